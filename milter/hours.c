/*
 * hours: opening hours, peak windows and closed dates (see hours.h).
 *
 * Owns: parsing the window and date syntax of the config keys
 * OpeningHours, PeakWindow and ClosedDate, formatting windows back, and
 * deciding open / peak / closed date at an instant.
 *
 * Evaluation converts the instant with tz.c (never the process-wide TZ),
 * so it is thread-safe and needs no locks; the clock is always a
 * parameter.  Windows have minute resolution: a window "09:00-15:00"
 * contains 09:00:00 up to 14:59:59.  A window never crosses midnight
 * (write two windows instead), so the local weekday alone decides which
 * windows apply; on DST switch days the wall-clock times are what count.
 *
 * Failure: parsers return -1 with a one-line message (no file:line; the
 * caller adds that).  If the time cannot be converted, hours_eval reports
 * closed and not peak, with a zeroed local time.
 */
#include "autoconfig.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "hours.h"
#include "diag.h"
#include "tz.h"

static const char *const day_names[7] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };

/* Day name at s (exactly three letters, then a delimiter); -1 if none. */
static int parse_day(const char *s, size_t len)
{
	if (len != 3)
		return -1;
	for (int d = 0; d < 7; d++)
		if (strncasecmp(s, day_names[d], 3) == 0)
			return d;
	return -1;
}

static int parse_days(const char *s, size_t len, uint8_t *days, char *err, size_t errsz)
{
	const char *p = s, *end = s + len;
	*days = 0;
	while (p < end) {
		const char *comma = memchr(p, ',', (size_t)(end - p));
		const char *item_end = comma != NULL ? comma : end;
		const char *dash = memchr(p, '-', (size_t)(item_end - p));
		const char *a_end = dash != NULL ? dash : item_end;
		int a = parse_day(p, (size_t)(a_end - p));
		int b = dash != NULL ? parse_day(dash + 1, (size_t)(item_end - dash - 1)) : a;
		if (a < 0 || b < 0) {
			const char *bad = a < 0 ? p : dash + 1;
			int badlen = (int)((a < 0 ? a_end : item_end) - bad);
			diag_set(err, errsz, "bad day \"%.*s\" (expected Mon, Tue, Wed, Thu, Fri, "
			        "Sat or Sun, a range like Mon-Fri, or a comma list)",
			        badlen > 20 ? 20 : badlen, bad);
			return -1;
		}
		/* A range runs forward through the week and may wrap (Fri-Mon). */
		for (int d = a;; d = (d + 1) % 7) {
			*days |= (uint8_t)(1u << d);
			if (d == b)
				break;
		}
		p = item_end;
		if (comma != NULL) {
			p++;
			if (p == end) {
				diag_set(err, errsz, "day list ends with a comma");
				return -1;
			}
		}
	}
	return 0;
}

/* "H:MM" or "HH:MM", 00:00..24:00; returns minutes or -1. */
static int parse_time(const char *s, size_t len)
{
	if (len < 4 || len > 5 || s[len - 3] != ':')
		return -1;
	for (size_t i = 0; i < len; i++)
		if (i != len - 3 && !isdigit((unsigned char)s[i]))
			return -1;
	int h = len == 5 ? (s[0] - '0') * 10 + (s[1] - '0') : s[0] - '0';
	int m = (s[len - 2] - '0') * 10 + (s[len - 1] - '0');
	if (m > 59 || h > 24 || (h == 24 && m != 0))
		return -1;
	return h * 60 + m;
}

int hours_parse_window(const char *s, struct hours_window *out, char *err, size_t errsz)
{
	if (s == NULL || out == NULL) {
		diag_set(err, errsz, "missing window");
		return -1;
	}
	const char *p = s;
	while (isspace((unsigned char)*p))
		p++;
	const char *days = p;
	while (*p != '\0' && !isspace((unsigned char)*p))
		p++;
	size_t days_len = (size_t)(p - days);
	while (isspace((unsigned char)*p))
		p++;
	const char *range = p;
	while (*p != '\0' && !isspace((unsigned char)*p))
		p++;
	size_t range_len = (size_t)(p - range);
	while (isspace((unsigned char)*p))
		p++;
	if (days_len == 0 || range_len == 0 || *p != '\0') {
		diag_set(err, errsz, "expected DAYS HH:MM-HH:MM, e.g. \"Mon-Fri 09:00-15:00\"");
		return -1;
	}
	struct hours_window w;
	if (parse_days(days, days_len, &w.days, err, errsz) != 0)
		return -1;
	const char *dash = memchr(range, '-', range_len);
	if (dash == NULL) {
		diag_set(err, errsz, "bad time range \"%.*s\" (expected HH:MM-HH:MM)",
		        (int)(range_len > 20 ? 20 : range_len), range);
		return -1;
	}
	size_t a_len = (size_t)(dash - range), b_len = range_len - a_len - 1;
	int a = parse_time(range, a_len);
	int b = parse_time(dash + 1, b_len);
	if (a < 0 || a == 24 * 60) {
		diag_set(err, errsz, "bad start time \"%.*s\" (expected HH:MM, 00:00 to 23:59)",
		        (int)(a_len > 20 ? 20 : a_len), range);
		return -1;
	}
	if (b < 0) {
		diag_set(err, errsz, "bad end time \"%.*s\" (expected HH:MM, 00:01 to 24:00)",
		        (int)(b_len > 20 ? 20 : b_len), dash + 1);
		return -1;
	}
	if (b <= a) {
		diag_set(err, errsz, "end %.*s is not after start %.*s (a window cannot cross "
		        "midnight: write two windows)", (int)b_len, dash + 1, (int)a_len, range);
		return -1;
	}
	w.start_min = (uint16_t)a;
	w.end_min = (uint16_t)b;
	*out = w;
	return 0;
}

static int parse_digits(const char *s, size_t n)
{
	int v = 0;
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

int hours_parse_date(const char *s, struct hours_date *out, char *err, size_t errsz)
{
	static const int mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	if (s == NULL || out == NULL) {
		diag_set(err, errsz, "missing date");
		return -1;
	}
	while (isspace((unsigned char)*s))
		s++;
	size_t len = strlen(s);
	while (len > 0 && isspace((unsigned char)s[len - 1]))
		len--;
	int y = 0, m, d;
	if (len == 10 && s[4] == '-' && s[7] == '-') {
		y = parse_digits(s, 4);
		m = parse_digits(s + 5, 2);
		d = parse_digits(s + 8, 2);
	} else if (len == 5 && s[2] == '-') {
		m = parse_digits(s, 2);
		d = parse_digits(s + 3, 2);
	} else {
		diag_set(err, errsz, "bad date \"%.*s\" (expected YYYY-MM-DD, or MM-DD for "
		        "every year)", (int)(len > 20 ? 20 : len), s);
		return -1;
	}
	bool leap = y == 0 || (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (y < 0 || (len == 10 && y < 1970) || m < 1 || m > 12 || d < 1 ||
	    d > mdays[m - 1] || (m == 2 && d == 29 && !leap)) {
		diag_set(err, errsz, "no such date \"%.*s\"%s", (int)len, s,
		        len == 10 && y >= 0 && y < 1970 ? " (years before 1970 are not accepted)" : "");
		return -1;
	}
	out->year = (uint16_t)y;
	out->month = (uint8_t)m;
	out->day = (uint8_t)d;
	return 0;
}

static bool in_window(const struct hours_window *w, int wday, int minute)
{
	return (w->days & (1u << wday)) != 0 && minute >= w->start_min && minute < w->end_min;
}

void hours_eval(const struct hours_spec *spec, time_t t, struct hours_result *out)
{
	memset(out, 0, sizeof(*out));
	if (spec == NULL)
		return;
	struct tm tm;
	int rc;
	if (spec->tz != NULL) {
		rc = tz_localtime(spec->tz, t, &tm);
	} else {
		rc = gmtime_r(&t, &tm) != NULL ? 0 : -1;
	}
	if (rc != 0)
		return;
	out->local = tm;
	out->utc_offset = tm.tm_gmtoff;

	int year = tm.tm_year + 1900;
	for (size_t i = 0; i < spec->n_closed && i < HOURS_MAX_DATES; i++) {
		const struct hours_date *cd = &spec->closed[i];
		if ((cd->year == 0 || cd->year == year) && cd->month == tm.tm_mon + 1 &&
		    cd->day == tm.tm_mday) {
			out->closed_date = true;
			break;
		}
	}
	if (out->closed_date)
		return;

	int minute = tm.tm_hour * 60 + tm.tm_min;
	for (size_t i = 0; i < spec->n_open && i < HOURS_MAX_WINDOWS; i++)
		if (in_window(&spec->open[i], tm.tm_wday, minute)) {
			out->open = true;
			break;
		}
	if (!out->open)
		return;
	for (size_t i = 0; i < spec->n_peak && i < HOURS_MAX_WINDOWS; i++)
		if (in_window(&spec->peak[i], tm.tm_wday, minute)) {
			out->peak = true;
			break;
		}
}

/* Appends to out at *len, never past outsz (the result is always terminated). */
static void append(char *out, size_t outsz, size_t *len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void append(char *out, size_t outsz, size_t *len, const char *fmt, ...)
{
	if (*len >= outsz)
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(out + *len, outsz - *len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	*len = (size_t)n >= outsz - *len ? outsz : *len + (size_t)n;
}

void hours_format_window(const struct hours_window *w, char *out, size_t outsz)
{
	if (out == NULL || outsz == 0)
		return;
	out[0] = '\0';
	if (w == NULL)
		return;
	size_t len = 0;
	bool first = true;
	/* Runs of days in Monday-first order, as people write them. */
	for (int i = 0; i < 7;) {
		int d = (i + 1) % 7;
		if ((w->days & (1u << d)) == 0) {
			i++;
			continue;
		}
		int j = i;
		while (j + 1 < 7 && (w->days & (1u << ((j + 2) % 7))) != 0)
			j++;
		append(out, outsz, &len, "%s%s", first ? "" : ",", day_names[d]);
		if (j > i)
			append(out, outsz, &len, "-%s", day_names[(j + 1) % 7]);
		first = false;
		i = j + 1;
	}
	if (first)
		append(out, outsz, &len, "none");
	append(out, outsz, &len, " %02u:%02u-%02u:%02u", w->start_min / 60u, w->start_min % 60u,
	       w->end_min / 60u, w->end_min % 60u);
}
