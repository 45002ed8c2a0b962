/*
 * test_hours: tz.c (TZif reading, POSIX footer rules) and hours.c
 * (window and date syntax, open / peak / closed-date evaluation).
 *
 * The time zone code is checked against glibc's own localtime_r, which
 * the test (single-threaded) may drive through TZ: for the system's fat
 * files, the slim files in tests/data/tz/slim (zic -b slim, tzdata
 * 2025b), a v1-only file cut from a fat one, and bare POSIX TZ strings.
 * Every instant where glibc's offset changes is found by bisection and
 * compared at the second before and the second itself.
 */
#include "autoconfig.h"

#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hours.h"
#include "tz.h"

#define ZONEINFO "/usr/share/zoneinfo"
#define SLIM TEST_DATA_DIR "/tz/slim"

static time_t utc(int y, int mo, int d, int h, int mi, int s)
{
	struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d,
	                 .tm_hour = h, .tm_min = mi, .tm_sec = s };
	return timegm(&tm);
}

static struct tz *load_ok(const char *name)
{
	char err[512] = "";
	struct tz *tz = tz_load(name, err, sizeof(err));
	ck_assert_msg(tz != NULL, "tz_load(%s): %s", name, err);
	return tz;
}

/* ------------------------------------------------------------ windows */

static const struct {
	const char *in;
	uint8_t days;         /* bit 0 = Sunday */
	unsigned start, end;  /* minutes */
	const char *formatted;
} good_windows[] = {
	{ "Mon-Fri 09:00-15:00", 0x3e, 540, 900, "Mon-Fri 09:00-15:00" },
	{ "mon-fri 9:00-15:00", 0x3e, 540, 900, "Mon-Fri 09:00-15:00" },
	{ "  MON 00:00-24:00  ", 0x02, 0, 1440, "Mon 00:00-24:00" },
	{ "Sat-Sun 10:00-12:30", 0x41, 600, 750, "Sat-Sun 10:00-12:30" },
	{ "Fri-Mon 08:00-09:00", 0x63, 480, 540, "Mon,Fri-Sun 08:00-09:00" },
	{ "Mon,Wed-Thu 09:00-10:00", 0x1a, 540, 600, "Mon,Wed-Thu 09:00-10:00" },
	{ "Sun 23:59-24:00", 0x01, 1439, 1440, "Sun 23:59-24:00" },
	{ "Mon-Sun 09:00-09:01", 0x7f, 540, 541, "Mon-Sun 09:00-09:01" },
	{ "Tue-Tue 09:00-10:00", 0x04, 540, 600, "Tue 09:00-10:00" },
	{ "Mon\t09:00-10:00", 0x02, 540, 600, "Mon 09:00-10:00" },
};

static const struct {
	const char *in;
	const char *msg;      /* substring of the error */
} bad_windows[] = {
	{ "Mon-Fri 15:00-09:00", "end 09:00 is not after start 15:00" },
	{ "Mon-Fri 09:00-09:00", "is not after start" },
	{ "Mon-Fri 22:00-02:00", "cannot cross midnight" },
	{ "Mon-Fry 09:00-15:00", "bad day \"Fry\"" },
	{ "Monday 09:00-15:00", "bad day \"Monday\"" },
	{ "Mo-Fr 09:00-15:00", "bad day \"Mo\"" },
	{ "Mon, 09:00-15:00", "ends with a comma" },
	{ "Mon-Fri", "expected DAYS HH:MM-HH:MM" },
	{ "09:00-15:00", "expected DAYS HH:MM-HH:MM" },
	{ "", "expected DAYS HH:MM-HH:MM" },
	{ "Mon-Fri 09:00-15:00 extra", "expected DAYS HH:MM-HH:MM" },
	{ "Mon - Fri 09:00-15:00", "expected DAYS HH:MM-HH:MM" },
	{ "Mon-Fri 9-15", "bad start time \"9\"" },
	{ "Mon-Fri 09:00", "bad time range" },
	{ "Mon-Fri 25:00-26:00", "bad start time" },
	{ "Mon-Fri 24:00-24:00", "bad start time" },
	{ "Mon-Fri 09:60-10:00", "bad start time" },
	{ "Mon-Fri 09:00-24:01", "bad end time" },
	{ "Mon-Fri 09:00-1500", "bad end time" },
	{ "Mon-Fri 09:00-15:0", "bad end time" },
	{ "Mon-Fri 0x:00-15:00", "bad start time" },
	{ "Mon-Fri -09:00-15:00", "bad start time" },
};

START_TEST(test_window_good)
{
	struct hours_window w;
	char err[256] = "", out[64];
	ck_assert_msg(hours_parse_window(good_windows[_i].in, &w, err, sizeof(err)) == 0,
	              "%s: %s", good_windows[_i].in, err);
	ck_assert_uint_eq(w.days, good_windows[_i].days);
	ck_assert_uint_eq(w.start_min, good_windows[_i].start);
	ck_assert_uint_eq(w.end_min, good_windows[_i].end);
	hours_format_window(&w, out, sizeof(out));
	ck_assert_str_eq(out, good_windows[_i].formatted);
	/* The formatted text parses back to the same window. */
	struct hours_window w2;
	ck_assert_int_eq(hours_parse_window(out, &w2, err, sizeof(err)), 0);
	ck_assert(w2.days == w.days && w2.start_min == w.start_min && w2.end_min == w.end_min);
}
END_TEST

START_TEST(test_window_bad)
{
	struct hours_window w = { 0 };
	char err[256] = "";
	ck_assert_int_eq(hours_parse_window(bad_windows[_i].in, &w, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, bad_windows[_i].msg) != NULL, "\"%s\": got \"%s\", want \"%s\"",
	              bad_windows[_i].in, err, bad_windows[_i].msg);
}
END_TEST

START_TEST(test_window_format_small_buffer)
{
	struct hours_window w = { .days = 0x3e, .start_min = 540, .end_min = 900 };
	char out[8];
	hours_format_window(&w, out, sizeof(out));
	ck_assert_str_eq(out, "Mon-Fri");
	hours_format_window(&w, out, 1);
	ck_assert_str_eq(out, "");
	ck_assert_int_eq(hours_parse_window(NULL, &w, NULL, 0), -1);
}
END_TEST

/* -------------------------------------------------------------- dates */

static const struct {
	const char *in;
	int ok;
	unsigned year, month, day;
	const char *msg;
} dates[] = {
	{ "2026-12-24", 1, 2026, 12, 24, NULL },
	{ "12-24", 1, 0, 12, 24, NULL },
	{ " 01-01 ", 1, 0, 1, 1, NULL },
	{ "02-29", 1, 0, 2, 29, NULL },
	{ "2028-02-29", 1, 2028, 2, 29, NULL },
	{ "2000-02-29", 1, 2000, 2, 29, NULL },
	{ "1970-01-01", 1, 1970, 1, 1, NULL },
	{ "9999-12-31", 1, 9999, 12, 31, NULL },
	{ "2026-02-29", 0, 0, 0, 0, "no such date" },
	{ "2100-02-29", 0, 0, 0, 0, "no such date" },
	{ "2026-02-30", 0, 0, 0, 0, "no such date" },
	{ "2026-04-31", 0, 0, 0, 0, "no such date" },
	{ "2026-13-01", 0, 0, 0, 0, "no such date" },
	{ "2026-00-10", 0, 0, 0, 0, "no such date" },
	{ "2026-01-00", 0, 0, 0, 0, "no such date" },
	{ "13-01", 0, 0, 0, 0, "no such date" },
	{ "1969-12-31", 0, 0, 0, 0, "before 1970" },
	{ "24/12", 0, 0, 0, 0, "bad date" },
	{ "2026-1-5", 0, 0, 0, 0, "bad date" },
	{ "2026-12-24x", 0, 0, 0, 0, "bad date" },
	{ "Dec 24", 0, 0, 0, 0, "bad date" },
	{ "", 0, 0, 0, 0, "bad date" },
	{ "2026-1a-01", 0, 0, 0, 0, "no such date" },
};

START_TEST(test_dates)
{
	struct hours_date d = { 0 };
	char err[256] = "";
	int rc = hours_parse_date(dates[_i].in, &d, err, sizeof(err));
	if (dates[_i].ok) {
		ck_assert_msg(rc == 0, "%s: %s", dates[_i].in, err);
		ck_assert_uint_eq(d.year, dates[_i].year);
		ck_assert_uint_eq(d.month, dates[_i].month);
		ck_assert_uint_eq(d.day, dates[_i].day);
	} else {
		ck_assert_msg(rc == -1, "%s accepted", dates[_i].in);
		ck_assert_msg(strstr(err, dates[_i].msg) != NULL, "%s: got \"%s\"", dates[_i].in, err);
	}
}
END_TEST

/* --------------------------------------------------------- evaluation */

static void add_window(struct hours_window *arr, size_t *n, const char *s)
{
	char err[256];
	ck_assert_msg(hours_parse_window(s, &arr[*n], err, sizeof(err)) == 0, "%s", err);
	(*n)++;
}

static void add_date(struct hours_spec *spec, const char *s)
{
	char err[256];
	ck_assert_msg(hours_parse_date(s, &spec->closed[spec->n_closed], err, sizeof(err)) == 0,
	              "%s", err);
	spec->n_closed++;
}

/* The built-in defaults, plus two closed dates. */
static void default_spec(struct hours_spec *spec, const struct tz *tz)
{
	memset(spec, 0, sizeof(*spec));
	spec->tz = tz;
	add_window(spec->open, &spec->n_open, "Mon-Fri 09:00-15:00");
	add_window(spec->peak, &spec->n_peak, "Mon-Fri 09:00-10:00");
	add_window(spec->peak, &spec->n_peak, "Mon-Tue 09:00-15:00");
	add_date(spec, "12-24");
	add_date(spec, "2026-03-04");
}

static const struct {
	int y, mo, d, h, mi, s;     /* UTC */
	int open, peak, closed_date;
	int lhour, lmin, lsec, lwday;
	long offset;
	const char *why;
} evals[] = {
	/* 2026-03-02 is a Monday; CET = UTC+1 until 2026-03-29. */
	{ 2026, 3, 2, 8, 0, 0, 1, 1, 0, 9, 0, 0, 1, 3600, "Mon 09:00:00 opens, peak" },
	{ 2026, 3, 2, 7, 59, 59, 0, 0, 0, 8, 59, 59, 1, 3600, "Mon 08:59:59 closed" },
	{ 2026, 3, 2, 8, 59, 59, 1, 1, 0, 9, 59, 59, 1, 3600, "Mon 09:59:59 peak" },
	{ 2026, 3, 2, 9, 0, 0, 1, 1, 0, 10, 0, 0, 1, 3600, "Mon 10:00 peak (Mon-Tue)" },
	{ 2026, 3, 2, 13, 59, 59, 1, 1, 0, 14, 59, 59, 1, 3600, "Mon 14:59:59 open" },
	{ 2026, 3, 2, 14, 0, 0, 0, 0, 0, 15, 0, 0, 1, 3600, "Mon 15:00:00 closed" },
	{ 2026, 3, 3, 9, 0, 0, 1, 1, 0, 10, 0, 0, 2, 3600, "Tue 10:00 peak" },
	{ 2026, 3, 5, 8, 59, 59, 1, 1, 0, 9, 59, 59, 4, 3600, "Thu 09:59:59 peak" },
	{ 2026, 3, 5, 9, 0, 0, 1, 0, 0, 10, 0, 0, 4, 3600, "Thu 10:00 open, no peak" },
	{ 2026, 3, 5, 13, 59, 59, 1, 0, 0, 14, 59, 59, 4, 3600, "Thu 14:59:59 open" },
	{ 2026, 3, 5, 14, 0, 0, 0, 0, 0, 15, 0, 0, 4, 3600, "Thu 15:00 closed" },
	{ 2026, 3, 6, 8, 30, 0, 1, 1, 0, 9, 30, 0, 5, 3600, "Fri 09:30 peak" },
	{ 2026, 3, 7, 9, 0, 0, 0, 0, 0, 10, 0, 0, 6, 3600, "Sat closed" },
	{ 2026, 3, 8, 9, 0, 0, 0, 0, 0, 10, 0, 0, 0, 3600, "Sun closed" },
	/* Closed dates, by the local date. */
	{ 2026, 3, 4, 9, 0, 0, 0, 0, 1, 10, 0, 0, 3, 3600, "2026-03-04 closed date" },
	{ 2026, 3, 3, 23, 30, 0, 0, 0, 1, 0, 30, 0, 3, 3600, "local 03-04 00:30 is closed date" },
	{ 2026, 3, 4, 23, 30, 0, 0, 0, 0, 0, 30, 0, 4, 3600, "local 03-05 00:30 is not" },
	{ 2027, 12, 24, 9, 0, 0, 0, 0, 1, 10, 0, 0, 5, 3600, "12-24 every year (a Friday)" },
	/* DST starts 2026-03-29 01:00 UTC: 02:00 CET becomes 03:00 CEST. */
	{ 2026, 3, 29, 0, 59, 59, 0, 0, 0, 1, 59, 59, 0, 3600, "before spring switch" },
	{ 2026, 3, 29, 1, 0, 0, 0, 0, 0, 3, 0, 0, 0, 7200, "after spring switch" },
	{ 2026, 3, 27, 8, 30, 0, 1, 1, 0, 9, 30, 0, 5, 3600, "Fri before: 08:30 UTC is 09:30" },
	{ 2026, 3, 30, 7, 30, 0, 1, 1, 0, 9, 30, 0, 1, 7200, "Mon after: 07:30 UTC is 09:30" },
	{ 2026, 3, 30, 8, 30, 0, 1, 1, 0, 10, 30, 0, 1, 7200, "Mon after: 08:30 UTC is 10:30" },
	{ 2026, 3, 30, 12, 59, 59, 1, 1, 0, 14, 59, 59, 1, 7200, "Mon after: 14:59:59 CEST" },
	{ 2026, 3, 30, 13, 0, 0, 0, 0, 0, 15, 0, 0, 1, 7200, "Mon after: 15:00 CEST closed" },
	/* DST ends 2026-10-25 01:00 UTC: 03:00 CEST becomes 02:00 CET. */
	{ 2026, 10, 25, 0, 59, 59, 0, 0, 0, 2, 59, 59, 0, 7200, "before autumn switch" },
	{ 2026, 10, 25, 1, 0, 0, 0, 0, 0, 2, 0, 0, 0, 3600, "after autumn switch" },
	{ 2026, 10, 23, 7, 30, 0, 1, 1, 0, 9, 30, 0, 5, 7200, "Fri before: 07:30 UTC is 09:30" },
	{ 2026, 10, 26, 8, 30, 0, 1, 1, 0, 9, 30, 0, 1, 3600, "Mon after: 08:30 UTC is 09:30 CET" },
	{ 2026, 10, 26, 7, 30, 0, 0, 0, 0, 8, 30, 0, 1, 3600, "Mon after: 07:30 UTC is 08:30" },
	/* Far beyond the transitions of a fat file: the footer rule. */
	{ 2100, 1, 4, 8, 30, 0, 1, 1, 0, 9, 30, 0, 1, 3600, "2100-01-04 Mon CET" },
	{ 2100, 7, 5, 7, 30, 0, 1, 1, 0, 9, 30, 0, 1, 7200, "2100-07-05 Mon CEST" },
	{ 2100, 7, 5, 13, 0, 0, 0, 0, 0, 15, 0, 0, 1, 7200, "2100-07-05 15:00 CEST" },
	{ 2399, 12, 24, 9, 0, 0, 0, 0, 1, 10, 0, 0, 5, 3600, "2399-12-24 closed date" },
};

static void check_evals(const struct tz *tz)
{
	struct hours_spec spec;
	default_spec(&spec, tz);
	for (size_t i = 0; i < sizeof(evals) / sizeof(evals[0]); i++) {
		struct hours_result r;
		hours_eval(&spec, utc(evals[i].y, evals[i].mo, evals[i].d, evals[i].h, evals[i].mi,
		                      evals[i].s), &r);
		ck_assert_msg(r.open == evals[i].open && r.peak == evals[i].peak &&
		              r.closed_date == evals[i].closed_date,
		              "%s (%s): open=%d peak=%d closed_date=%d", evals[i].why, tz_name(tz),
		              r.open, r.peak, r.closed_date);
		ck_assert_msg(r.local.tm_hour == evals[i].lhour && r.local.tm_min == evals[i].lmin &&
		              r.local.tm_sec == evals[i].lsec && r.local.tm_wday == evals[i].lwday,
		              "%s: local %02d:%02d:%02d wday %d", evals[i].why, r.local.tm_hour,
		              r.local.tm_min, r.local.tm_sec, r.local.tm_wday);
		ck_assert_msg(r.utc_offset == evals[i].offset, "%s: offset %ld", evals[i].why,
		              r.utc_offset);
		ck_assert_str_eq(r.local.tm_zone, evals[i].offset == 3600 ? "CET" : "CEST");
	}
}

START_TEST(test_eval_copenhagen_fat)
{
	struct tz *tz = load_ok("Europe/Copenhagen");
	ck_assert_str_eq(tz_name(tz), "Europe/Copenhagen");
	check_evals(tz);
	tz_free(tz);
}
END_TEST

START_TEST(test_eval_copenhagen_slim)
{
	struct tz *tz = load_ok(SLIM "/Europe/Copenhagen");
	check_evals(tz);
	tz_free(tz);
}
END_TEST

START_TEST(test_eval_utc)
{
	/* Built in: works with TZDIR pointing at a directory without it. */
	setenv("TZDIR", "/nonexistent", 1);
	struct tz *tz = load_ok("UTC");
	unsetenv("TZDIR");
	struct hours_spec spec;
	default_spec(&spec, tz);
	struct hours_result r;
	hours_eval(&spec, utc(2026, 3, 2, 9, 0, 0), &r);
	ck_assert(r.open && r.peak && !r.closed_date);
	ck_assert_int_eq(r.local.tm_hour, 9);
	ck_assert_int_eq(r.utc_offset, 0);
	ck_assert_str_eq(r.local.tm_zone, "UTC");
	hours_eval(&spec, utc(2026, 7, 6, 14, 59, 59), &r);
	ck_assert(r.open && r.peak);
	hours_eval(&spec, utc(2026, 7, 6, 15, 0, 0), &r);
	ck_assert(!r.open && !r.peak);
	/* No time zone at all also means UTC. */
	spec.tz = NULL;
	hours_eval(&spec, utc(2026, 3, 2, 9, 0, 0), &r);
	ck_assert(r.open && r.local.tm_hour == 9);
	tz_free(tz);
}
END_TEST

START_TEST(test_eval_edges)
{
	struct tz *tz = load_ok("UTC");
	struct hours_spec spec;
	struct hours_result r;
	memset(&spec, 0, sizeof(spec));
	spec.tz = tz;
	/* No windows: never open, never peak. */
	hours_eval(&spec, utc(2026, 3, 2, 9, 0, 0), &r);
	ck_assert(!r.open && !r.peak && !r.closed_date);
	/* A peak window outside the opening hours never makes peak. */
	add_window(spec.open, &spec.n_open, "Mon 09:00-10:00");
	add_window(spec.peak, &spec.n_peak, "Mon 10:00-24:00");
	hours_eval(&spec, utc(2026, 3, 2, 9, 30, 0), &r);
	ck_assert(r.open && !r.peak);
	hours_eval(&spec, utc(2026, 3, 2, 10, 30, 0), &r);
	ck_assert(!r.open && !r.peak);
	/* 24:00 ends at midnight: 23:59:59 open, next day closed. */
	add_window(spec.open, &spec.n_open, "Sun 23:00-24:00");
	hours_eval(&spec, utc(2026, 3, 1, 23, 59, 59), &r);
	ck_assert(r.open);
	hours_eval(&spec, utc(2026, 3, 2, 0, 0, 0), &r);
	ck_assert(!r.open);
	/* Out of range instants are closed, never a crash. */
	hours_eval(&spec, (time_t)INT64_MAX, &r);
	ck_assert(!r.open && !r.peak);
	hours_eval(NULL, 0, &r);
	ck_assert(!r.open);
	tz_free(tz);
}
END_TEST

/* ------------------------------------------------------ tz vs glibc */

static void glibc_local(const char *tzenv, time_t t, struct tm *out)
{
	static char current[512];
	if (strcmp(current, tzenv) != 0) {
		snprintf(current, sizeof(current), "%s", tzenv);
		setenv("TZ", tzenv, 1);
		tzset();
	}
	if (localtime_r(&t, out) == NULL)
		ck_abort_msg("glibc localtime_r(%lld) failed", (long long)t);
}

static void compare_at(const struct tz *tz, const char *tzenv, time_t t)
{
	struct tm mine, ref;
	glibc_local(tzenv, t, &ref);
	/* Plain ifs: every passing Check assertion costs a write(2). */
	if (tz_localtime(tz, t, &mine) != 0)
		ck_abort_msg("%s: tz_localtime(%lld) failed", tzenv, (long long)t);
	if (mine.tm_year == ref.tm_year && mine.tm_mon == ref.tm_mon &&
	    mine.tm_mday == ref.tm_mday && mine.tm_hour == ref.tm_hour &&
	    mine.tm_min == ref.tm_min && mine.tm_sec == ref.tm_sec &&
	    mine.tm_wday == ref.tm_wday && mine.tm_yday == ref.tm_yday &&
	    mine.tm_isdst == ref.tm_isdst && mine.tm_gmtoff == ref.tm_gmtoff &&
	    strcmp(mine.tm_zone, ref.tm_zone) == 0)
		return;
	ck_abort_msg("%s at %lld: mine %04d-%02d-%02d %02d:%02d:%02d %+ld %s dst=%d yday=%d, "
	             "glibc %04d-%02d-%02d %02d:%02d:%02d %+ld %s dst=%d yday=%d",
	             tzenv, (long long)t,
	             mine.tm_year + 1900, mine.tm_mon + 1, mine.tm_mday, mine.tm_hour,
	             mine.tm_min, mine.tm_sec, mine.tm_gmtoff, mine.tm_zone, mine.tm_isdst,
	             mine.tm_yday,
	             ref.tm_year + 1900, ref.tm_mon + 1, ref.tm_mday, ref.tm_hour, ref.tm_min,
	             ref.tm_sec, ref.tm_gmtoff, ref.tm_zone, ref.tm_isdst, ref.tm_yday);
}

/* Compares from..to in steps, and both sides of every offset change. */
static void compare_range(const struct tz *tz, const char *tzenv, time_t from, time_t to)
{
	const time_t step = 3 * 86400 + 3607;   /* wanders through all hours */
	struct tm a, b;
	for (time_t t = from; t < to; t += step) {
		compare_at(tz, tzenv, t);
		glibc_local(tzenv, t, &a);
		glibc_local(tzenv, t + step, &b);
		if (a.tm_gmtoff == b.tm_gmtoff && a.tm_isdst == b.tm_isdst)
			continue;
		time_t lo = t, hi = t + step;   /* offset(lo) != offset(hi) */
		while (hi - lo > 1) {
			time_t mid = lo + (hi - lo) / 2;
			glibc_local(tzenv, mid, &b);
			if (b.tm_gmtoff == a.tm_gmtoff && b.tm_isdst == a.tm_isdst)
				lo = mid;
			else
				hi = mid;
		}
		compare_at(tz, tzenv, lo);
		compare_at(tz, tzenv, hi);
	}
}

static const char *const zones[] = {
	"Europe/Copenhagen", "America/New_York", "Australia/Sydney", "America/Nuuk",
	"Europe/Dublin", "Pacific/Chatham", "Asia/Kolkata", "Africa/Casablanca",
	"America/Sao_Paulo", "Etc/GMT+5", "Asia/Tehran", "America/St_Johns",
};

START_TEST(test_system_zones_match_glibc)
{
	char path[512], tzenv[600];
	snprintf(path, sizeof(path), "%s/%s", ZONEINFO, zones[_i]);
	if (access(path, R_OK) != 0)
		return;    /* tzdata without this zone */
	struct tz *tz = load_ok(zones[_i]);
	snprintf(tzenv, sizeof(tzenv), ":%s", path);
	compare_range(tz, tzenv, utc(1900, 1, 1, 0, 0, 0), utc(2150, 1, 1, 0, 0, 0));
	tz_free(tz);
}
END_TEST

static const char *const slim_zones[] = {
	"Europe/Copenhagen", "America/New_York", "Australia/Sydney", "America/Nuuk",
	"Europe/Dublin", "Pacific/Chatham", "Asia/Kolkata", "UTC",
};

START_TEST(test_slim_zones_match_glibc)
{
	char path[512], tzenv[600];
	snprintf(path, sizeof(path), "%s/%s", SLIM, slim_zones[_i]);
	struct tz *tz = load_ok(path);
	snprintf(tzenv, sizeof(tzenv), ":%s", path);
	compare_range(tz, tzenv, utc(1900, 1, 1, 0, 0, 0), utc(2150, 1, 1, 0, 0, 0));
	tz_free(tz);
}
END_TEST

START_TEST(test_tzdir_honoured)
{
	setenv("TZDIR", SLIM, 1);
	char err[512];
	struct tz *tz = tz_load("Pacific/Chatham", err, sizeof(err));
	struct tz *missing = tz_load("Europe/Berlin", err, sizeof(err));
	unsetenv("TZDIR");
	ck_assert_msg(tz != NULL, "%s", err);
	ck_assert_ptr_null(missing);
	ck_assert_msg(strstr(err, SLIM "/Europe/Berlin") != NULL, "%s", err);
	compare_range(tz, ":" SLIM "/Pacific/Chatham", utc(2020, 1, 1, 0, 0, 0),
	              utc(2030, 1, 1, 0, 0, 0));
	tz_free(tz);
}
END_TEST

/* ------------------------------------------------- made-up TZif files */

static char tmpdir[256];

static void tmp_setup(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_hours.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void tmp_teardown(void)
{
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	ck_assert_int_eq(system(cmd), 0);
}

static const char *write_tmp(const char *name, const void *data, size_t len)
{
	static char path[512];
	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	FILE *fp = fopen(path, "wb");
	ck_assert_ptr_nonnull(fp);
	ck_assert_uint_eq(fwrite(data, 1, len, fp), len);
	ck_assert_int_eq(fclose(fp), 0);
	return path;
}

static unsigned char *slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	ck_assert_msg(fp != NULL, "%s: %s", path, strerror(errno));
	unsigned char *buf = malloc(1 << 20);
	ck_assert_ptr_nonnull(buf);
	*len = fread(buf, 1, 1 << 20, fp);
	fclose(fp);
	return buf;
}

static void put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

/* A v3 file with one type and no transitions: only the footer speaks. */
static size_t make_footer_only(unsigned char *buf, int32_t utoff, const char *abbr,
                               const char *footer)
{
	size_t n = 0, alen = strlen(abbr) + 1;
	for (int block = 0; block < 2; block++) {
		memcpy(buf + n, "TZif3", 5);
		memset(buf + n + 5, 0, 15);
		put32(buf + n + 20, 0);
		put32(buf + n + 24, 0);
		put32(buf + n + 28, 0);
		put32(buf + n + 32, 0);
		put32(buf + n + 36, 1);
		put32(buf + n + 40, (uint32_t)alen);
		n += 44;
		put32(buf + n, (uint32_t)utoff);
		buf[n + 4] = 0;
		buf[n + 5] = 0;
		n += 6;
		memcpy(buf + n, abbr, alen);
		n += alen;
	}
	n += (size_t)sprintf((char *)buf + n, "\n%s\n", footer);
	return n;
}

START_TEST(test_v1_only_file)
{
	size_t len;
	unsigned char *fat = slurp(ZONEINFO "/Europe/Copenhagen", &len);
	ck_assert_uint_ge(len, 44);
	ck_assert_int_eq(fat[4], '2');
	/* The v1 header and block, as a version-0 file. */
	uint32_t c[6];
	for (int i = 0; i < 6; i++)
		c[i] = (uint32_t)fat[20 + 4 * i] << 24 | (uint32_t)fat[21 + 4 * i] << 16 |
		       (uint32_t)fat[22 + 4 * i] << 8 | fat[23 + 4 * i];
	size_t v1 = 44 + c[3] * 5 + c[4] * 6 + c[5] + c[2] * 8 + c[1] + c[0];
	fat[4] = 0;
	tmp_setup();
	const char *path = write_tmp("v1", fat, v1);
	struct tz *tz = load_ok(path);
	char tzenv[600];
	snprintf(tzenv, sizeof(tzenv), ":%s", path);
	/* After its last transition (2037) a v1 file keeps the last type. */
	compare_range(tz, tzenv, utc(1902, 1, 1, 0, 0, 0), utc(2100, 1, 1, 0, 0, 0));
	struct tm tm;
	ck_assert_int_eq(tz_localtime(tz, utc(2090, 7, 1, 12, 0, 0), &tm), 0);
	ck_assert_int_eq(tm.tm_gmtoff, 3600);
	ck_assert_int_eq(tm.tm_hour, 13);
	tz_free(tz);
	tmp_teardown();
	free(fat);
}
END_TEST

/* POSIX rules: footer-only files against glibc reading the same rule
 * from TZ (names chosen so that no zoneinfo file shadows them). */
static const struct {
	int32_t utoff;
	const char *abbr, *rule;
} rules[] = {
	{ 3600, "CET", "CET-1CEST,M3.5.0,M10.5.0/3" },
	{ -18000, "QST", "QST5QDT,M3.2.0/2:30,M11.1.0" },
	{ 36000, "QEST", "QEST-10QEDT,M10.1.0,M4.1.0/3" },
	{ -18000, "QST", "QST5QDT,J60/1,J300" },
	{ -18000, "QST", "QST5QDT,59,299/3" },
	{ -10800, "QQQ", "QQQ3QQD2:30,M3.5.0/1:15:30,M9.4.6/23:59:59" },
	{ 19800, "<+0530>", "<+0530>-5:30" },
	{ -3600, "<-01>", "<-01>1<+00>0,M3.5.0/0,M10.5.0/1" },
	{ 3600, "IST", "IST-1GMT0,M10.5.0,M3.5.0/1" },
	{ 45900, "<+1245>", "<+1245>-12:45<+1345>,M9.5.0/2:45,M4.1.0/3:45" },
};

START_TEST(test_posix_rules_match_glibc)
{
	unsigned char buf[512];
	tmp_setup();
	size_t n = make_footer_only(buf, rules[_i].utoff, rules[_i].abbr[0] == '<' ?
	                            "ZZZ" : rules[_i].abbr, rules[_i].rule);
	struct tz *tz = load_ok(write_tmp("rule", buf, n));
	compare_range(tz, rules[_i].rule, utc(1971, 1, 1, 0, 0, 0), utc(2120, 1, 1, 0, 0, 0));
	tz_free(tz);
	tmp_teardown();
}
END_TEST

/* v3 extensions glibc may not share: checked by hand. */
START_TEST(test_posix_rule_extensions)
{
	unsigned char buf[512];
	struct tm tm;
	tmp_setup();
	/* All-year DST: in force every day of the year. */
	size_t n = make_footer_only(buf, -18000, "EST", "EST5EDT,0/0,J365/25");
	struct tz *tz = load_ok(write_tmp("allyear", buf, n));
	const time_t all[] = { utc(2026, 1, 1, 0, 0, 0), utc(2026, 1, 1, 5, 0, 0),
	                       utc(2026, 6, 30, 12, 0, 0), utc(2026, 12, 31, 23, 59, 59),
	                       utc(2028, 2, 29, 12, 0, 0), utc(2100, 12, 31, 12, 0, 0) };
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		ck_assert_int_eq(tz_localtime(tz, all[i], &tm), 0);
		ck_assert_msg(tm.tm_isdst == 1 && tm.tm_gmtoff == -14400, "all-year DST at %lld",
		              (long long)all[i]);
		ck_assert_str_eq(tm.tm_zone, "EDT");
	}
	tz_free(tz);
	/* Negative and over-24 rule times (America/Nuuk's footer). */
	n = make_footer_only(buf, -7200, "<-02>", "<-02>2<-01>,M3.5.0/-1,M10.5.0/0");
	tz = load_ok(write_tmp("nuuk", buf, n));
	/* Last Sunday of March 2026 is the 29th; "-1" is one hour before its
	 * midnight, Saturday 23:00 at -02, i.e. 2026-03-29 01:00 UTC, which
	 * is Sunday 00:00 at -01. */
	ck_assert_int_eq(tz_localtime(tz, utc(2026, 3, 29, 0, 59, 59), &tm), 0);
	ck_assert_int_eq(tm.tm_gmtoff, -7200);
	ck_assert_int_eq(tz_localtime(tz, utc(2026, 3, 29, 1, 0, 0), &tm), 0);
	ck_assert_int_eq(tm.tm_gmtoff, -3600);
	ck_assert_str_eq(tm.tm_zone, "-01");
	ck_assert_int_eq(tm.tm_mday, 29);
	ck_assert_int_eq(tm.tm_hour, 0);
	/* Ends 2026-10-25 00:00 local at -01 = 01:00 UTC. */
	ck_assert_int_eq(tz_localtime(tz, utc(2026, 10, 25, 0, 59, 59), &tm), 0);
	ck_assert_int_eq(tm.tm_gmtoff, -3600);
	ck_assert_int_eq(tz_localtime(tz, utc(2026, 10, 25, 1, 0, 0), &tm), 0);
	ck_assert_int_eq(tm.tm_gmtoff, -7200);
	ck_assert_int_eq(tm.tm_hour, 23);
	tz_free(tz);
	/* No rule after the DST name: the US rules. */
	n = make_footer_only(buf, -18000, "QST", "QST5QDT");
	tz = load_ok(write_tmp("norule", buf, n));
	ck_assert_int_eq(tz_localtime(tz, utc(2026, 7, 1, 12, 0, 0), &tm), 0);
	ck_assert_int_eq(tm.tm_gmtoff, -14400);
	ck_assert_int_eq(tz_localtime(tz, utc(2026, 3, 8, 6, 59, 59), &tm), 0);
	ck_assert_int_eq(tm.tm_gmtoff, -18000);
	ck_assert_int_eq(tz_localtime(tz, utc(2026, 3, 8, 7, 0, 0), &tm), 0);
	ck_assert_int_eq(tm.tm_gmtoff, -14400);
	tz_free(tz);
	tmp_teardown();
}
END_TEST

static const char *const bad_rules[] = {
	"C", "CET", "CET-", "CET-25", "CET-1CEST,M3.5.0", "CET-1CEST,M13.5.0,M10.5.0",
	"CET-1CEST,M3.6.0,M10.5.0", "CET-1CEST,M3.5.7,M10.5.0", "CET-1CEST,J0,J100",
	"CET-1CEST,366,100", "CET-1CEST,M3.5.0/168,M10.5.0", "CET-1CEST,M3.5.0,M10.5.0,",
	"<AB>-1", "<A!B>-1", "CET-1:60", "CET-1CEST,M3.5.0,M10.5.0 ", "CET-1 CEST",
};

START_TEST(test_bad_footer)
{
	unsigned char buf[512];
	char err[512];
	tmp_setup();
	size_t n = make_footer_only(buf, 3600, "CET", bad_rules[_i]);
	ck_assert_ptr_null(tz_load(write_tmp("bad", buf, n), err, sizeof(err)));
	ck_assert_msg(strstr(err, "bad TZ rule") != NULL, "%s: %s", bad_rules[_i], err);
	tmp_teardown();
}
END_TEST

START_TEST(test_corrupt_files)
{
	size_t len;
	char err[512];
	unsigned char *fat = slurp(ZONEINFO "/Europe/Copenhagen", &len);
	unsigned char buf[512];
	tmp_setup();
	/* Cut at many points: always an error, never a crash. */
	for (size_t cut = 0; cut < len; cut += cut < 100 ? 1 : 37) {
		struct tz *cut_tz = tz_load(write_tmp("cut", fat, cut), err, sizeof(err));
		if (cut_tz != NULL || (strstr(err, "TZif") == NULL && strstr(err, "footer") == NULL))
			ck_abort_msg("cut at %zu: %s", cut, cut_tz != NULL ? "accepted" : err);
	}
	/* Without the final newline of the footer. */
	ck_assert_ptr_null(tz_load(write_tmp("nofooternl", fat, len - 1), err, sizeof(err)));
	ck_assert_msg(strstr(err, "footer") != NULL, "%s", err);
	/* Bad magic, unknown version. */
	memcpy(buf, fat, 64);
	buf[0] = 'X';
	ck_assert_ptr_null(tz_load(write_tmp("magic", buf, 64), err, sizeof(err)));
	ck_assert_msg(strstr(err, "not a TZif") != NULL, "%s", err);
	size_t n = make_footer_only(buf, 3600, "CET", "CET-1");
	buf[4] = '1';
	ck_assert_ptr_null(tz_load(write_tmp("version", buf, n), err, sizeof(err)));
	ck_assert_msg(strstr(err, "unknown TZif version") != NULL, "%s", err);
	/* A type index past the types. */
	n = make_footer_only(buf, 3600, "CET", "CET-1");
	size_t second = 44 + 6 + 4;
	put32(buf + second + 32, 1);   /* one transition ... */
	unsigned char fixed[512];
	memcpy(fixed, buf, second + 44);
	size_t m = second + 44;
	memset(fixed + m, 0, 8);       /* at 0 */
	fixed[m + 8] = 5;              /* to type 5 of 1 */
	memcpy(fixed + m + 9, buf + second + 44, n - second - 44);
	ck_assert_ptr_null(tz_load(write_tmp("type", fixed, n + 9), err, sizeof(err)));
	ck_assert_msg(strstr(err, "undefined type") != NULL, "%s", err);
	/* A huge utoff. */
	n = make_footer_only(buf, 200000, "CET", "CET-1");
	ck_assert_ptr_null(tz_load(write_tmp("utoff", buf, n), err, sizeof(err)));
	ck_assert_msg(strstr(err, "bad local time type") != NULL, "%s", err);
	/* Empty file, directory, non-TZif text. */
	ck_assert_ptr_null(tz_load(write_tmp("empty", "", 0), err, sizeof(err)));
	ck_assert_ptr_null(tz_load(tmpdir, err, sizeof(err)));
	ck_assert_msg(strstr(err, "not a time zone file") != NULL, "%s", err);
	ck_assert_ptr_null(tz_load("/etc/passwd", err, sizeof(err)));
	tmp_teardown();
	free(fat);
}
END_TEST

static const struct {
	const char *name, *msg;
} bad_names[] = {
	{ "../etc/passwd", "bad time zone name" },
	{ "Europe/../../etc/passwd", "bad time zone name" },
	{ "Europe/./Copenhagen", "bad time zone name" },
	{ ".hidden", "bad time zone name" },
	{ "Europe//Copenhagen", "bad time zone name" },
	{ "Europe/Copenhagen/", "bad time zone name" },
	{ "Europe/Copenhagen ", "bad time zone name" },
	{ "Europe/Copenhagen;rm", "bad time zone name" },
	{ "Europe\\Copenhagen", "bad time zone name" },
	{ "", "empty time zone name" },
	{ "Mars/Olympus_Mons", "unknown time zone \"Mars/Olympus_Mons\"" },
	{ "Europe", "not a time zone file" },
	{ "/nonexistent/zone", "No such file or directory" },
	{ "utc", "unknown time zone" },
};

START_TEST(test_bad_names)
{
	char err[512] = "";
	ck_assert_ptr_null(tz_load(bad_names[_i].name, err, sizeof(err)));
	ck_assert_msg(strstr(err, bad_names[_i].msg) != NULL, "%s: %s", bad_names[_i].name, err);
}
END_TEST

START_TEST(test_tz_api_edges)
{
	struct tm tm;
	ck_assert_ptr_null(tz_load(NULL, NULL, 0));
	tz_free(NULL);
	ck_assert_ptr_null(tz_name(NULL));
	ck_assert_int_eq(tz_localtime(NULL, 0, &tm), -1);
	struct tz *tz = load_ok("Europe/Copenhagen");
	ck_assert_int_eq(tz_localtime(tz, 0, NULL), -1);
	ck_assert_int_eq(tz_localtime(tz, (time_t)INT64_MIN, &tm), -1);
	ck_assert_int_eq(tz_localtime(tz, (time_t)INT64_MAX, &tm), -1);
	/* Far but representable: the footer rule still applies in year 100000. */
	ck_assert_int_eq(tz_localtime(tz, utc(2026, 7, 1, 12, 0, 0) + (time_t)98000 * 31556952,
	                              &tm), 0);
	ck_assert_int_eq(tm.tm_year + 1900, 100026);
	ck_assert_int_eq(tm.tm_gmtoff, 7200);
	/* Before the first transition: local mean time. */
	ck_assert_int_eq(tz_localtime(tz, utc(1850, 1, 1, 0, 0, 0), &tm), 0);
	ck_assert_int_eq(tm.tm_gmtoff, 3020);
	ck_assert_str_eq(tm.tm_zone, "LMT");
	/* Leap day and wday / yday arithmetic before 1970. */
	ck_assert_int_eq(tz_localtime(tz, utc(1960, 2, 29, 10, 0, 0), &tm), 0);
	ck_assert_int_eq(tm.tm_mday, 29);
	ck_assert_int_eq(tm.tm_wday, 1);
	ck_assert_int_eq(tm.tm_yday, 59);
	tz_free(tz);
}
END_TEST

/* Several zones used from several threads at once give the same answers
 * as one thread alone: nothing in tz.c is process-wide state. */
#define THREAD_N 2000

struct thread_job {
	const struct tz *tz;
	const long *want;   /* gmtoff * 100000 + hour * 100 + minute */
	int bad;
};

static long tz_probe(const struct tz *tz, int i)
{
	struct tm tm;
	time_t t = utc(2020, 1, 1, 0, 0, 0) + (time_t)i * 86400 * 7 / 3;
	if (tz_localtime(tz, t, &tm) != 0)
		return -1;
	return tm.tm_gmtoff * 100000L + tm.tm_hour * 100L + tm.tm_min;
}

static void *thread_main(void *arg)
{
	struct thread_job *job = arg;
	for (int round = 0; round < 5; round++)
		for (int i = 0; i < THREAD_N; i++)
			if (tz_probe(job->tz, i) != job->want[i])
				job->bad++;
	return NULL;
}

START_TEST(test_threads)
{
	static const char *const names[] = { "Europe/Copenhagen", "Australia/Sydney",
	                                     "America/New_York", "UTC" };
	enum { NZ = sizeof(names) / sizeof(names[0]) };
	struct tz *tz[NZ];
	static long want[NZ][THREAD_N];
	for (size_t z = 0; z < NZ; z++) {
		tz[z] = load_ok(names[z]);
		for (int i = 0; i < THREAD_N; i++)
			want[z][i] = tz_probe(tz[z], i);
	}
	ck_assert_int_ne(want[0][0], want[1][0]);
	pthread_t th[NZ * 2];
	struct thread_job jobs[NZ * 2];
	for (size_t j = 0; j < NZ * 2; j++) {
		jobs[j] = (struct thread_job){ .tz = tz[j % NZ], .want = want[j % NZ] };
		ck_assert_int_eq(pthread_create(&th[j], NULL, thread_main, &jobs[j]), 0);
	}
	/* Meanwhile this thread loads and frees zones, as a reload does. */
	for (int i = 0; i < 20; i++)
		tz_free(load_ok(names[i % NZ]));
	for (size_t j = 0; j < NZ * 2; j++) {
		ck_assert_int_eq(pthread_join(th[j], NULL), 0);
		ck_assert_msg(jobs[j].bad == 0, "thread %zu: %d wrong answers", j, jobs[j].bad);
	}
	for (size_t z = 0; z < NZ; z++)
		tz_free(tz[z]);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("hours");
	TCase *tc = tcase_create("windows");
	tcase_add_loop_test(tc, test_window_good, 0, sizeof(good_windows) / sizeof(good_windows[0]));
	tcase_add_loop_test(tc, test_window_bad, 0, sizeof(bad_windows) / sizeof(bad_windows[0]));
	tcase_add_test(tc, test_window_format_small_buffer);
	tcase_add_loop_test(tc, test_dates, 0, sizeof(dates) / sizeof(dates[0]));
	suite_add_tcase(s, tc);

	tc = tcase_create("eval");
	tcase_add_test(tc, test_eval_copenhagen_fat);
	tcase_add_test(tc, test_eval_copenhagen_slim);
	tcase_add_test(tc, test_eval_utc);
	tcase_add_test(tc, test_eval_edges);
	suite_add_tcase(s, tc);

	tc = tcase_create("tz");
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_system_zones_match_glibc, 0, sizeof(zones) / sizeof(zones[0]));
	tcase_add_loop_test(tc, test_slim_zones_match_glibc, 0,
	                    sizeof(slim_zones) / sizeof(slim_zones[0]));
	tcase_add_test(tc, test_tzdir_honoured);
	tcase_add_test(tc, test_v1_only_file);
	tcase_add_loop_test(tc, test_posix_rules_match_glibc, 0, sizeof(rules) / sizeof(rules[0]));
	tcase_add_test(tc, test_posix_rule_extensions);
	tcase_add_loop_test(tc, test_bad_footer, 0, sizeof(bad_rules) / sizeof(bad_rules[0]));
	tcase_add_test(tc, test_corrupt_files);
	tcase_add_loop_test(tc, test_bad_names, 0, sizeof(bad_names) / sizeof(bad_names[0]));
	tcase_add_test(tc, test_tz_api_edges);
	tcase_add_test(tc, test_threads);
	suite_add_tcase(s, tc);
	return s;
}

#include "check_main.h"
