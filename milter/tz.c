/*
 * tz: time zones from TZif files (RFC 8536 / RFC 9636), see tz.h.
 *
 * Owns: reading one zoneinfo file into an immutable struct tz, and
 * converting instants to local broken-down time with it.  Nothing here
 * touches TZ, tzset() or localtime(): those share process-wide state,
 * and the milter converts times on many threads while a reload may load
 * another zone.  A loaded struct tz is read-only, so any number of
 * threads may use it at once.
 *
 * Input: a zone name looked up under $TZDIR (default /usr/share/zoneinfo),
 * an absolute path, or "UTC" (built in, so it works without tzdata).
 * Relative names are restricted to the characters zone names use and may
 * not contain "." components, so a config value cannot walk out of the
 * zoneinfo directory.
 *
 * Format: TZif v1 (32-bit) files and v2+ (the 64-bit block is used, the
 * v1 block only skipped).  Instants after the last transition follow the
 * POSIX TZ rule in the v2+ footer, so "slim" files (few transitions, rule
 * for the rest) and "fat" files (transitions up to 2037) give the same
 * answers; v3 rule extensions (hours -167..167, all-year DST) are
 * accepted.  Leap-second records are skipped: time_t is POSIX time.
 *
 * Limits: files up to 1 MiB, 100000 transitions, 256 types; instants
 * within about +-300 million years.  Every failure is a -1 / NULL with a
 * message in the caller's buffer; nothing here logs or exits.
 */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "diag.h"
#include "tz.h"

#define TZ_DEFAULT_DIR "/usr/share/zoneinfo"
#define TZ_MAX_FILE (1024 * 1024)
#define TZ_MAX_TRANS 100000
#define TZ_MAX_TYPES 256
#define TZ_MAX_CHARS 4096
#define TZ_MAX_LEAPS 10000
#define TZ_MAX_NAME 255
#define TZ_ABBR_MAX 31
/* Beyond this a year no longer fits comfortably in tm_year. */
#define TZ_T_LIMIT INT64_C(10000000000000000)
#define SECS_PER_DAY 86400

enum rule_kind { RULE_JULIAN1 = 'J', RULE_JULIAN0 = 'D', RULE_MONTH = 'M' };

struct rule_date {
	char kind;
	int n;            /* J: 1..365, D: 0..365 */
	int month, week, wday;
	long secs;        /* local time of day of the change; v3 allows -167..167 h */
};

struct tz_rule {
	long std_off, dst_off;  /* seconds east of UTC */
	bool has_dst;
	struct rule_date start, end;
	char std_name[TZ_ABBR_MAX + 1];
	char dst_name[TZ_ABBR_MAX + 1];
};

struct tz_type {
	int32_t utoff;
	bool isdst;
	uint8_t desig;    /* index into chars; always NUL-terminated there */
};

struct tz {
	char *name;
	int64_t *trans;
	uint8_t *trans_type;
	size_t n_trans;
	struct tz_type *types;
	size_t n_types;
	char *chars;      /* charcnt bytes plus a guard NUL */
	bool has_rule;
	struct tz_rule rule;
};

/* ------------------------------------------------------------ calendar */

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	if ((a % b != 0) && ((a < 0) != (b < 0)))
		q--;
	return q;
}

static bool is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int month_days(int64_t y, int m)
{
	static const int mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	return m == 2 && is_leap(y) ? 29 : mdays[m - 1];
}

/* Days since 1970-01-01 of a proleptic Gregorian date (m 1..12, d 1..31);
 * the era arithmetic keeps it exact for negative years too. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = floor_div(y, 400);
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	z += 719468;
	int64_t era = floor_div(z, 146097);
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

/* ------------------------------------------------------ POSIX TZ rules */

/* std/dst designation: 3+ letters, or <...> with letters, digits, + and -. */
static bool parse_abbr(const char **pp, char *out)
{
	const char *p = *pp;
	size_t n = 0;
	if (*p == '<') {
		p++;
		while (*p != '>') {
			if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
			      (*p >= '0' && *p <= '9') || *p == '+' || *p == '-'))
				return false;
			if (n >= TZ_ABBR_MAX)
				return false;
			out[n++] = *p++;
		}
		p++;
	} else {
		while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z')) {
			if (n >= TZ_ABBR_MAX)
				return false;
			out[n++] = *p++;
		}
	}
	if (n < 3)
		return false;
	out[n] = '\0';
	*pp = p;
	return true;
}

static bool parse_num(const char **pp, long min, long max, long *out)
{
	const char *p = *pp;
	long v = 0;
	if (*p < '0' || *p > '9')
		return false;
	while (*p >= '0' && *p <= '9') {
		v = v * 10 + (*p++ - '0');
		if (v > max)
			return false;
	}
	if (v < min)
		return false;
	*out = v;
	*pp = p;
	return true;
}

/* [+-]hh[:mm[:ss]] in seconds; max_hours is 24 for offsets, 167 for rule times. */
static bool parse_hms(const char **pp, long max_hours, long *out)
{
	const char *p = *pp;
	long sign = 1, h, m = 0, s = 0;
	if (*p == '+' || *p == '-')
		sign = *p++ == '-' ? -1 : 1;
	if (!parse_num(&p, 0, max_hours, &h))
		return false;
	if (*p == ':') {
		p++;
		if (!parse_num(&p, 0, 59, &m))
			return false;
		if (*p == ':') {
			p++;
			if (!parse_num(&p, 0, 59, &s))
				return false;
		}
	}
	*out = sign * (h * 3600 + m * 60 + s);
	*pp = p;
	return true;
}

static bool parse_rule_date(const char **pp, struct rule_date *rd)
{
	const char *p = *pp;
	long a, b, c;
	memset(rd, 0, sizeof(*rd));
	if (*p == 'J') {
		p++;
		if (!parse_num(&p, 1, 365, &a))
			return false;
		rd->kind = RULE_JULIAN1;
		rd->n = (int)a;
	} else if (*p == 'M') {
		p++;
		if (!parse_num(&p, 1, 12, &a) || *p++ != '.' ||
		    !parse_num(&p, 1, 5, &b) || *p++ != '.' ||
		    !parse_num(&p, 0, 6, &c))
			return false;
		rd->kind = RULE_MONTH;
		rd->month = (int)a;
		rd->week = (int)b;
		rd->wday = (int)c;
	} else {
		if (!parse_num(&p, 0, 365, &a))
			return false;
		rd->kind = RULE_JULIAN0;
		rd->n = (int)a;
	}
	rd->secs = 2 * 3600;
	if (*p == '/') {
		p++;
		if (!parse_hms(&p, 167, &rd->secs))
			return false;
	}
	*pp = p;
	return true;
}

/* "std offset [dst [offset] [,start[/time],end[/time]]]". */
static bool parse_posix_tz(const char *s, struct tz_rule *r)
{
	const char *p = s;
	long off;
	memset(r, 0, sizeof(*r));
	if (!parse_abbr(&p, r->std_name) || !parse_hms(&p, 24, &off))
		return false;
	r->std_off = -off;   /* POSIX offsets count west of UTC */
	if (*p == '\0')
		return true;
	if (!parse_abbr(&p, r->dst_name))
		return false;
	r->has_dst = true;
	r->dst_off = r->std_off + 3600;
	if (*p != ',' && *p != '\0') {
		if (!parse_hms(&p, 24, &off))
			return false;
		r->dst_off = -off;
	}
	if (*p == '\0') {
		/* No rule given: the historical default (US rules), as glibc does. */
		const char *dflt = "M3.2.0,M11.1.0";
		return parse_rule_date(&dflt, &r->start) && *dflt++ == ',' &&
		       parse_rule_date(&dflt, &r->end);
	}
	if (*p++ != ',' || !parse_rule_date(&p, &r->start) || *p++ != ',' ||
	    !parse_rule_date(&p, &r->end))
		return false;
	return *p == '\0';
}

/* UTC instant of a rule change in year y; off is the offset in force
 * before the change (the rule times are in that local time). */
static int64_t rule_instant(const struct rule_date *rd, int64_t y, long off)
{
	int64_t days;
	switch (rd->kind) {
	case RULE_JULIAN1:
		/* Jn never counts February 29. */
		days = days_from_civil(y, 1, 1) + rd->n - 1 + (is_leap(y) && rd->n >= 60);
		break;
	case RULE_JULIAN0:
		days = days_from_civil(y, 1, 1) + rd->n;
		break;
	default: {
		int64_t first = days_from_civil(y, rd->month, 1);
		int wday_first = (int)((first % 7 + 11) % 7);   /* 1970-01-01 was a Thursday */
		int mday = 1 + (rd->wday - wday_first + 7) % 7 + (rd->week - 1) * 7;
		while (mday > month_days(y, rd->month))
			mday -= 7;
		days = first + mday - 1;
		break;
	}
	}
	return days * SECS_PER_DAY + rd->secs - off;
}

static void rule_lookup(const struct tz_rule *r, int64_t t, long *off, bool *isdst,
                        const char **abbr)
{
	*off = r->std_off;
	*isdst = false;
	*abbr = r->std_name;
	if (!r->has_dst)
		return;
	int64_t y, best = INT64_MIN;
	int m, d;
	bool best_dst = false;
	civil_from_days(floor_div(t + r->std_off, SECS_PER_DAY), &y, &m, &d);
	/* The latest change at or before t, looking one year either side so
	 * that southern-hemisphere rules and new-year edges need no cases. */
	for (int64_t yy = y - 1; yy <= y + 1; yy++) {
		int64_t on = rule_instant(&r->start, yy, r->std_off);
		int64_t offi = rule_instant(&r->end, yy, r->dst_off);
		if (offi <= t && offi > best) {
			best = offi;
			best_dst = false;
		}
		/* ">=": when the end of one period is the start of the next
		 * (all-year DST, "0/0,J365/25"), DST wins. */
		if (on <= t && on >= best) {
			best = on;
			best_dst = true;
		}
	}
	if (best_dst) {
		*off = r->dst_off;
		*isdst = true;
		*abbr = r->dst_name;
	}
}

/* ---------------------------------------------------------------- TZif */

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const unsigned char *p)
{
	uint64_t v = (uint64_t)be32(p) << 32 | be32(p + 4);
	return (int64_t)v;
}

struct tzif_counts {
	uint32_t isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt;
};

static bool tzif_header(const unsigned char *p, size_t len, char *version,
                        struct tzif_counts *c)
{
	if (len < 44 || memcmp(p, "TZif", 4) != 0)
		return false;
	*version = (char)p[4];
	c->isutcnt = be32(p + 20);
	c->isstdcnt = be32(p + 24);
	c->leapcnt = be32(p + 28);
	c->timecnt = be32(p + 32);
	c->typecnt = be32(p + 36);
	c->charcnt = be32(p + 40);
	return c->timecnt <= TZ_MAX_TRANS && c->typecnt <= TZ_MAX_TYPES &&
	       c->charcnt <= TZ_MAX_CHARS && c->leapcnt <= TZ_MAX_LEAPS &&
	       c->isutcnt <= TZ_MAX_TYPES && c->isstdcnt <= TZ_MAX_TYPES;
}

static size_t tzif_block_size(const struct tzif_counts *c, size_t timesz)
{
	return (size_t)c->timecnt * (timesz + 1) + (size_t)c->typecnt * 6 + c->charcnt +
	       (size_t)c->leapcnt * (timesz + 4) + c->isstdcnt + c->isutcnt;
}

/* Reads the data block at p (already bounds-checked) into tz. */
static const char *tzif_block(struct tz *tz, const unsigned char *p,
                              const struct tzif_counts *c, size_t timesz)
{
	if (c->typecnt == 0 || c->charcnt == 0)
		return "no local time types";
	if ((c->isutcnt != 0 && c->isutcnt != c->typecnt) ||
	    (c->isstdcnt != 0 && c->isstdcnt != c->typecnt))
		return "inconsistent counts";
	tz->n_trans = c->timecnt;
	tz->n_types = c->typecnt;
	tz->trans = calloc(c->timecnt + 1, sizeof(*tz->trans));
	tz->trans_type = calloc(c->timecnt + 1, 1);
	tz->types = calloc(c->typecnt, sizeof(*tz->types));
	tz->chars = calloc(c->charcnt + 1, 1);
	if (tz->trans == NULL || tz->trans_type == NULL || tz->types == NULL || tz->chars == NULL)
		return "out of memory";
	for (size_t i = 0; i < c->timecnt; i++, p += timesz) {
		tz->trans[i] = timesz == 8 ? be64(p) : (int32_t)be32(p);
		if (i > 0 && tz->trans[i] <= tz->trans[i - 1])
			return "transition times not ascending";
	}
	for (size_t i = 0; i < c->timecnt; i++, p++) {
		if (*p >= c->typecnt)
			return "transition to an undefined type";
		tz->trans_type[i] = *p;
	}
	for (size_t i = 0; i < c->typecnt; i++, p += 6) {
		int32_t utoff = (int32_t)be32(p);
		/* RFC 9636's sane range; it also keeps the arithmetic far from overflow. */
		if (utoff < -89999 || utoff > 93599 || p[4] > 1 || p[5] >= c->charcnt)
			return "bad local time type";
		tz->types[i].utoff = utoff;
		tz->types[i].isdst = p[4] == 1;
		tz->types[i].desig = p[5];
	}
	memcpy(tz->chars, p, c->charcnt);
	return NULL;
}

static int tzif_parse(struct tz *tz, const unsigned char *buf, size_t len,
                      const char *path, char *err, size_t errsz)
{
	struct tzif_counts c;
	char version;
	if (!tzif_header(buf, len, &version, &c)) {
		diag_set(err, errsz, "%s: not a TZif time zone file", path);
		return -1;
	}
	size_t off = 44, timesz = 4;
	size_t v1size = tzif_block_size(&c, 4);
	if (v1size > len - off) {
		diag_set(err, errsz, "%s: truncated TZif file", path);
		return -1;
	}
	if (version >= '2') {
		/* v2+: the 64-bit block that follows is authoritative. */
		off += v1size;
		if (!tzif_header(buf + off, len - off, &version, &c) || version < '2') {
			diag_set(err, errsz, "%s: bad second TZif header", path);
			return -1;
		}
		off += 44;
		timesz = 8;
		if (tzif_block_size(&c, 8) > len - off) {
			diag_set(err, errsz, "%s: truncated TZif file", path);
			return -1;
		}
	} else if (version != '\0') {
		diag_set(err, errsz, "%s: unknown TZif version", path);
		return -1;
	}
	const char *why = tzif_block(tz, buf + off, &c, timesz);
	if (why != NULL) {
		diag_set(err, errsz, "%s: %s", path, why);
		return -1;
	}
	off += tzif_block_size(&c, timesz);
	if (timesz == 8) {
		/* Footer: "\n" TZ-string "\n"; an empty string means no rule. */
		if (off >= len || buf[off] != '\n') {
			diag_set(err, errsz, "%s: missing TZif footer", path);
			return -1;
		}
		const unsigned char *start = buf + off + 1;
		const unsigned char *nl = memchr(start, '\n', len - off - 1);
		size_t n = nl != NULL ? (size_t)(nl - start) : 0;
		char spec[256];
		if (nl == NULL || n >= sizeof(spec) || memchr(start, '\0', n) != NULL) {
			diag_set(err, errsz, "%s: bad TZif footer", path);
			return -1;
		}
		memcpy(spec, start, n);
		spec[n] = '\0';
		if (n > 0) {
			if (!parse_posix_tz(spec, &tz->rule)) {
				diag_set(err, errsz, "%s: bad TZ rule \"%s\" in footer", path, spec);
				return -1;
			}
			tz->has_rule = true;
		}
	}
	return 0;
}

/* ---------------------------------------------------------------- load */

/* Zone names as tzdata spells them: no absolute path, no "." components. */
static bool is_safe_name(const char *name)
{
	size_t len = strlen(name);
	if (len == 0 || len > TZ_MAX_NAME)
		return false;
	bool comp_start = true;
	for (const char *p = name; *p != '\0'; p++) {
		char ch = *p;
		bool ok = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
		          (ch >= '0' && ch <= '9') || ch == '_' || ch == '-' ||
		          ch == '+' || ch == '.' || ch == '/';
		if (!ok || (comp_start && (ch == '/' || ch == '.')))
			return false;
		comp_start = ch == '/';
	}
	return !comp_start;
}

static int read_file(const char *path, unsigned char **out, size_t *outlen,
                     char *err, size_t errsz)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		diag_set(err, errsz, "%s: %s", path, strerror(errno));
		return -1;
	}
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > TZ_MAX_FILE) {
		diag_set(err, errsz, "%s: not a time zone file", path);
		close(fd);
		return -1;
	}
	unsigned char *buf = malloc((size_t)st.st_size + 1);
	size_t have = 0;
	if (buf == NULL) {
		diag_set(err, errsz, "%s: out of memory", path);
		close(fd);
		return -1;
	}
	/* Read to EOF, bounded by the size fstat saw: a file that grows while
	 * we read is being replaced, and is refused rather than half-read. */
	size_t cap = (size_t)st.st_size + 1;
	while (have < cap) {
		ssize_t r = read(fd, buf + have, cap - have);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (r == 0)
				break;
			diag_set(err, errsz, "%s: %s", path, strerror(errno));
			free(buf);
			close(fd);
			return -1;
		}
		have += (size_t)r;
	}
	if (have == cap) {
		diag_set(err, errsz, "%s: changed while being read", path);
		free(buf);
		close(fd);
		return -1;
	}
	close(fd);
	*out = buf;
	*outlen = have;
	return 0;
}

static struct tz *tz_utc(void)
{
	struct tz *tz = calloc(1, sizeof(*tz));
	if (tz == NULL)
		return NULL;
	tz->name = strdup("UTC");
	tz->types = calloc(1, sizeof(*tz->types));
	tz->chars = strdup("UTC");
	if (tz->name == NULL || tz->types == NULL || tz->chars == NULL) {
		tz_free(tz);
		return NULL;
	}
	tz->n_types = 1;
	return tz;
}

struct tz *tz_load(const char *name, char *err, size_t errsz)
{
	diag_set(err, errsz, "%s", "");
	if (name == NULL || *name == '\0') {
		diag_set(err, errsz, "empty time zone name");
		return NULL;
	}
	if (strcmp(name, "UTC") == 0) {
		struct tz *utc = tz_utc();
		if (utc == NULL)
			diag_set(err, errsz, "out of memory");
		return utc;
	}
	char path[4096];
	if (name[0] == '/') {
		if (snprintf(path, sizeof(path), "%s", name) >= (int)sizeof(path)) {
			diag_set(err, errsz, "time zone path too long");
			return NULL;
		}
	} else {
		if (!is_safe_name(name)) {
			diag_set(err, errsz, "bad time zone name \"%.64s\" (expected Area/City, "
			        "e.g. Europe/Copenhagen, or an absolute path)", name);
			return NULL;
		}
		const char *dir = getenv("TZDIR");
		if (dir == NULL || *dir == '\0')
			dir = TZ_DEFAULT_DIR;
		if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path)) {
			diag_set(err, errsz, "time zone path too long");
			return NULL;
		}
	}
	unsigned char *buf;
	size_t len;
	char why[512];
	if (read_file(path, &buf, &len, why, sizeof(why)) != 0) {
		diag_set(err, errsz, "unknown time zone \"%.64s\" (%s)", name, why);
		return NULL;
	}
	struct tz *tz = calloc(1, sizeof(*tz));
	if (tz == NULL || (tz->name = strdup(name)) == NULL) {
		diag_set(err, errsz, "out of memory");
		free(buf);
		tz_free(tz);
		return NULL;
	}
	int rc = tzif_parse(tz, buf, len, path, err, errsz);
	free(buf);
	if (rc != 0) {
		tz_free(tz);
		return NULL;
	}
	return tz;
}

void tz_free(struct tz *tz)
{
	if (tz == NULL)
		return;
	free(tz->name);
	free(tz->trans);
	free(tz->trans_type);
	free(tz->types);
	free(tz->chars);
	free(tz);
}

const char *tz_name(const struct tz *tz)
{
	return tz != NULL ? tz->name : NULL;
}

int tz_localtime(const struct tz *tz, time_t t, struct tm *out)
{
	if (tz == NULL || out == NULL)
		return -1;
	int64_t t64 = (int64_t)t;
	if (t64 < -TZ_T_LIMIT || t64 > TZ_T_LIMIT)
		return -1;

	long off;
	bool isdst;
	const char *abbr;
	if (tz->has_rule && (tz->n_trans == 0 || t64 >= tz->trans[tz->n_trans - 1])) {
		rule_lookup(&tz->rule, t64, &off, &isdst, &abbr);
	} else {
		/* Before the first transition: type 0 (RFC 8536 3.2). */
		size_t type = 0;
		if (tz->n_trans > 0 && t64 >= tz->trans[0]) {
			size_t lo = 0, hi = tz->n_trans;   /* trans[lo] <= t < trans[hi] */
			while (hi - lo > 1) {
				size_t mid = lo + (hi - lo) / 2;
				if (tz->trans[mid] <= t64)
					lo = mid;
				else
					hi = mid;
			}
			type = tz->trans_type[lo];
		}
		const struct tz_type *ty = &tz->types[type];
		off = ty->utoff;
		isdst = ty->isdst;
		abbr = tz->chars + ty->desig;
	}

	int64_t local = t64 + off;
	int64_t days = floor_div(local, SECS_PER_DAY);
	int64_t secs = local - days * SECS_PER_DAY;
	int64_t y;
	int m, d;
	civil_from_days(days, &y, &m, &d);
	memset(out, 0, sizeof(*out));
	out->tm_year = (int)(y - 1900);
	out->tm_mon = m - 1;
	out->tm_mday = d;
	out->tm_hour = (int)(secs / 3600);
	out->tm_min = (int)(secs / 60 % 60);
	out->tm_sec = (int)(secs % 60);
	out->tm_wday = (int)((days % 7 + 11) % 7);
	out->tm_yday = (int)(days - days_from_civil(y, 1, 1));
	out->tm_isdst = isdst ? 1 : 0;
	out->tm_gmtoff = off;
	out->tm_zone = abbr;
	return 0;
}
