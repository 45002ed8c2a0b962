/*
 * ctrkeys: the counters' key scheme (counters.h), the date arithmetic it
 * needs (ISO weeks), and connecting to Redis -- the parts that the milter's
 * Redis thread, support-milter-stats and the tests share.  Pure functions
 * but ctr_redis_connect, which blocks for at most its timeout per step
 * (host names are resolved by getaddrinfo, which has no timeout: use an
 * address to keep a connect bounded).
 */
#include "autoconfig.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "counters.h"

/* ------------------------------------------------------------ dates */

long ctr_days_from_civil(int y, int m, int d)
{
	long yy = (long)y - (m <= 2);
	long era = (yy >= 0 ? yy : yy - 399) / 400;
	long yoe = yy - era * 400;
	long doy = (153L * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void ctr_civil_from_days(long z, int *y, int *m, int *d)
{
	z += 719468;
	long era = (z >= 0 ? z : z - 146096) / 146097;
	long doe = z - era * 146097;
	long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	long mp = (5 * doy + 2) / 153;
	long mm = mp < 10 ? mp + 3 : mp - 9;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)mm;
	*y = (int)(yoe + era * 400 + (mm <= 2));
}

static bool is_valid_date(int y, int m, int d)
{
	static const int dim[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	if (y < 1 || y > 9999 || m < 1 || m > 12 || d < 1)
		return false;
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return d <= dim[m - 1] + (m == 2 && leap);
}

int ctr_iso_week(int y, int m, int d, int *iso_year, int *iso_week)
{
	if (!is_valid_date(y, m, d))
		return -1;
	long days = ctr_days_from_civil(y, m, d);
	/* 1970-01-01 was a Thursday (ISO weekday 4). */
	int wd = (int)(((days % 7) + 7 + 3) % 7) + 1;
	/* The ISO week belongs to the year of its Thursday. */
	long thursday = days - (wd - 1) + 3;
	int ty, tm, td;
	ctr_civil_from_days(thursday, &ty, &tm, &td);
	*iso_year = ty;
	*iso_week = (int)((thursday - ctr_days_from_civil(ty, 1, 1)) / 7 + 1);
	return wd;
}

/* ------------------------------------------------------------ keys */

bool ctr_is_id(const char *s)
{
	size_t n = 0;
	if (s == NULL)
		return false;
	for (; s[n] != '\0'; n++)
		if (n >= CTR_MAX_ID || !(isalnum((unsigned char)s[n]) || strchr("._+-", s[n]) != NULL))
			return false;
	return n > 0;
}

bool ctr_is_prefix(const char *s)
{
	size_t n = strlen(s);
	if (n > CTR_MAX_PREFIX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] <= ' ' || s[i] > '~')
			return false;
	return true;
}

/* Bytes of a bare address: no blanks or controls (a key is binary-safe,
 * but these keys are also typed into redis-cli). */
bool ctr_is_address(const char *s)
{
	size_t n = 0;
	if (s == NULL)
		return false;
	for (; s[n] != '\0'; n++)
		if (n >= CTR_MAX_ADDRESS || (unsigned char)s[n] <= ' ' || s[n] == 0x7f)
			return false;
	return n > 0;
}

/* Writes prefix + lower-cased address, then the formatted rest. */
static int key_printf(char *out, size_t outsz, const char *prefix, const char *addr,
                      const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static int key_printf(char *out, size_t outsz, const char *prefix, const char *addr,
                      const char *fmt, ...)
{
	if (prefix == NULL)
		prefix = CTR_DEFAULT_PREFIX;
	if (!ctr_is_prefix(prefix) || !ctr_is_address(addr))
		return -1;
	size_t pl = strlen(prefix), al = strlen(addr);
	if (pl + al + 1 > outsz)
		return -1;
	memcpy(out, prefix, pl);
	for (size_t i = 0; i < al; i++)
		out[pl + i] = (char)tolower((unsigned char)addr[i]);
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(out + pl + al, outsz - pl - al, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= outsz - pl - al)
		return -1;
	return (int)(pl + al) + n;
}

int ctr_key_hour(char *out, size_t outsz, const char *prefix, const char *addr,
                 int y, int m, int d, int hour)
{
	if (!is_valid_date(y, m, d) || hour < 0 || hour > 23)
		return -1;
	return key_printf(out, outsz, prefix, addr, ":h:%04d%02d%02d%02d", y, m, d, hour);
}

int ctr_key_week_hour(char *out, size_t outsz, const char *prefix, const char *addr,
                      int iso_year, int iso_week, int iso_wday, int hour)
{
	if (iso_year < 1 || iso_year > 9999 || iso_week < 1 || iso_week > 53 ||
	    iso_wday < 1 || iso_wday > 7 || hour < 0 || hour > 23)
		return -1;
	return key_printf(out, outsz, prefix, addr, ":wh:%04d-W%02d:%d:%02d",
	                  iso_year, iso_week, iso_wday, hour);
}

int ctr_key_day(char *out, size_t outsz, const char *prefix, const char *addr,
                int y, int m, int d, const char *kind, const char *id)
{
	if (!is_valid_date(y, m, d))
		return -1;
	if (kind == NULL)
		return key_printf(out, outsz, prefix, addr, ":d:%04d%02d%02d", y, m, d);
	if ((strcmp(kind, "cat") != 0 && strcmp(kind, "miss") != 0 && strcmp(kind, "prio") != 0) ||
	    !ctr_is_id(id))
		return -1;
	return key_printf(out, outsz, prefix, addr, ":d:%04d%02d%02d:%s:%s", y, m, d, kind, id);
}

/* ------------------------------------------------------------ connecting */

int ctr_parse_server(const char *s, char *host, size_t hostsz, int *port,
                     char *err, size_t errsz)
{
	if (s == NULL || *s == '\0') {
		snprintf(err, errsz, "no Redis server");
		return -1;
	}
	if (s[0] == '/') {
		if (strlen(s) >= 108 || strlen(s) >= hostsz) {
			snprintf(err, errsz, "Redis socket path too long");
			return -1;
		}
		strcpy(host, s);
		*port = 0;
		return 0;
	}
	const char *h = s, *p;
	size_t hl;
	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		if (close == NULL || (close[1] != '\0' && close[1] != ':')) {
			snprintf(err, errsz, "bad Redis server \"%s\" (expected [v6addr]:port)", s);
			return -1;
		}
		h = s + 1;
		hl = (size_t)(close - h);
		p = close[1] == ':' ? close + 2 : NULL;
	} else {
		const char *colon = strchr(s, ':');
		if (colon != NULL && strchr(colon + 1, ':') != NULL) {
			snprintf(err, errsz, "bad Redis server \"%s\" (write an IPv6 address in brackets)", s);
			return -1;
		}
		hl = colon != NULL ? (size_t)(colon - s) : strlen(s);
		p = colon != NULL ? colon + 1 : NULL;
	}
	for (size_t i = 0; i < hl; i++)
		if (!(isalnum((unsigned char)h[i]) || strchr(".-:_", h[i]) != NULL))
			hl = 0;
	if (hl == 0 || hl >= hostsz) {
		snprintf(err, errsz, "bad Redis host in \"%s\"", s);
		return -1;
	}
	long pv = 6379;
	if (p != NULL) {
		char *end;
		errno = 0;
		pv = strtol(p, &end, 10);
		if (!isdigit((unsigned char)*p) || *end != '\0' || errno != 0 || pv < 1 || pv > 65535) {
			snprintf(err, errsz, "bad Redis port in \"%s\"", s);
			return -1;
		}
	}
	memcpy(host, h, hl);
	host[hl] = '\0';
	*port = (int)pv;
	return 0;
}

/* A command whose reply must be +OK; -1 with the reason in err. */
static int expect_ok(redisContext *c, int argc, const char **argv, char *err, size_t errsz)
{
	redisReply *rep = redisCommandArgv(c, argc, argv, NULL);
	if (rep == NULL) {
		snprintf(err, errsz, "%s: %s", argv[0], c->errstr[0] != '\0' ? c->errstr : "no reply");
		return -1;
	}
	int rc = 0;
	if (rep->type == REDIS_REPLY_ERROR) {
		snprintf(err, errsz, "%s: %s", argv[0], rep->str);
		rc = -1;
	}
	freeReplyObject(rep);
	return rc;
}

struct redisContext *ctr_redis_connect(const char *server, const char *password,
                                       long database, long timeout_ms,
                                       char *err, size_t errsz)
{
	char host[256];
	int port;
	if (ctr_parse_server(server, host, sizeof(host), &port, err, errsz) < 0)
		return NULL;
	if (timeout_ms < 1)
		timeout_ms = 1;
	struct timeval tv = { .tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000 };
	redisContext *c = port == 0 ? redisConnectUnixWithTimeout(host, tv)
	                            : redisConnectWithTimeout(host, port, tv);
	if (c == NULL) {
		snprintf(err, errsz, "out of memory");
		return NULL;
	}
	if (c->err != 0) {
		snprintf(err, errsz, "connect: %s", c->errstr);
		redisFree(c);
		return NULL;
	}
	if (redisSetTimeout(c, tv) != REDIS_OK) {
		snprintf(err, errsz, "cannot set the socket timeout: %s", c->errstr);
		redisFree(c);
		return NULL;
	}
	if (port != 0)
		(void)redisEnableKeepAlive(c);
	if (password != NULL && *password != '\0') {
		const char *argv[] = { "AUTH", password };
		if (expect_ok(c, 2, argv, err, errsz) < 0) {
			redisFree(c);
			return NULL;
		}
	}
	if (database > 0) {
		char db[24];
		snprintf(db, sizeof(db), "%ld", database);
		const char *argv[] = { "SELECT", db };
		if (expect_ok(c, 2, argv, err, errsz) < 0) {
			redisFree(c);
			return NULL;
		}
	}
	return c;
}

