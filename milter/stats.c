/*
 * support-milter-stats: reads the load counters (counters.h) back from
 * Redis and shows the weekday x hour heat map of the last N ISO weeks, the
 * busiest hours and the totals per priority, category and missing item
 * (support-milter-stats(8)).
 *
 *   support-milter-stats [-c FILE] [--weeks N] [--end YYYY-MM-DD]
 *                        [--address A]... [--svg FILE] [--json]
 *                        [--numbers] [--ascii] [--timeout MS]
 *
 * Redis settings, support addresses and time zone come from the milter's
 * configuration file.  The period is the ISO week containing --end (by
 * default today in TimeZone) and the N-1 weeks before it; the heat map sums
 * the per-week weekday x hour counters of those weeks exactly, the totals
 * sum the daily counters of their days.  Several addresses are added up.
 *
 * Reads: 168 keys per week and address (MGET), 7 per week and address for
 * the daily totals, and one SCAN over the keyspace (MATCH on the address's
 * daily keys) to find the category, item and priority ids.  Memory is
 * bounded by MAX_SCAN_KEYS.  Exit status per sysexits(3): 0 ok, 64 usage,
 * 69 Redis unavailable or failing, 73 cannot write the SVG, 78 config.
 */
#include "autoconfig.h"

#include <ctype.h>
#include <getopt.h>
#include <langinfo.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include <hiredis/hiredis.h>

#include "buf.h"
#include "config.h"
#include "counters.h"
#include "diag.h"
#include "heatmap.h"
#include "tz.h"

#define MAX_WEEKS 520
#define MAX_ADDRESSES 64
#define MGET_CHUNK 500
#define MAX_SCAN_KEYS 2000000
#define DEFAULT_TIMEOUT_MS 5000

static void usage(FILE *fp)
{
	fprintf(fp,
	        "usage: support-milter-stats [-c FILE] [-w WEEKS] [-e YYYY-MM-DD] [-a ADDRESS]...\n"
	        "                            [--svg FILE] [--json] [--numbers] [--ascii]\n"
	        "                            [--timeout MS]\n");
}

static int parse_date(const char *s, int *y, int *m, int *d)
{
	char extra;
	int iy, iw;
	if (sscanf(s, "%4d-%2d-%2d%c", y, m, d, &extra) != 3 || strlen(s) != 10 ||
	    ctr_iso_week(*y, *m, *d, &iy, &iw) < 0)
		return -1;
	return 0;
}

static void fmt_date(long days, char out[12])
{
	int y, m, d;
	ctr_civil_from_days(days, &y, &m, &d);
	snprintf(out, 12, "%04d-%02d-%02d", y, m, d);
}

/* GETs keys[0..n) (MGET in chunks) and adds each value to sums[i]. */
static int mget_add(redisContext *c, char **keys, size_t n, long long *sums)
{
	for (size_t at = 0; at < n; at += MGET_CHUNK) {
		size_t k = n - at < MGET_CHUNK ? n - at : MGET_CHUNK;
		const char *argv[MGET_CHUNK + 1];
		argv[0] = "MGET";
		for (size_t i = 0; i < k; i++)
			argv[1 + i] = keys[at + i];
		redisReply *r = redisCommandArgv(c, (int)(k + 1), argv, NULL);
		if (r == NULL) {
			fprintf(stderr, "support-milter-stats: Redis: %s\n", c->errstr);
			return -1;
		}
		if (r->type != REDIS_REPLY_ARRAY || r->elements != k) {
			fprintf(stderr, "support-milter-stats: Redis MGET: %s\n",
			        r->type == REDIS_REPLY_ERROR ? r->str : "unexpected reply");
			freeReplyObject(r);
			return -1;
		}
		for (size_t i = 0; i < k; i++)
			if (r->element[i]->type == REDIS_REPLY_STRING)
				sums[at + i] += strtoll(r->element[i]->str, NULL, 10);
		freeReplyObject(r);
	}
	return 0;
}

struct keyset {
	char **key;
	size_t n, cap;
};

static int keyset_add(struct keyset *ks, const char *key)
{
	if (ks->n == ks->cap) {
		size_t cap = ks->cap != 0 ? ks->cap * 2 : 256;
		char **k = realloc(ks->key, cap * sizeof(*k));
		if (k == NULL)
			return -1;
		ks->key = k;
		ks->cap = cap;
	}
	if ((ks->key[ks->n] = strdup(key)) == NULL)
		return -1;
	ks->n++;
	return 0;
}

static void keyset_free(struct keyset *ks)
{
	for (size_t i = 0; i < ks->n; i++)
		free(ks->key[i]);
	free(ks->key);
	memset(ks, 0, sizeof(*ks));
}

static int strp_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Escapes glob characters for SCAN MATCH. */
static void glob_escape(struct buf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		if (strchr("*?[]\\", *s) != NULL)
			buf_putc(b, '\\');
		buf_putc(b, *s);
	}
}

struct period {
	long first;      /* days: Monday of the first week */
	int weeks;
};

/* The heat map cells of one address. */
static int read_cells(redisContext *c, const char *prefix, const char *addr,
                      const struct period *p, struct heatmap *h)
{
	char *keys[168];
	char store[168][CTR_KEY_MAX];
	for (int w = 0; w < p->weeks; w++) {
		int y, m, d, iy, iw;
		ctr_civil_from_days(p->first + 7L * w, &y, &m, &d);
		ctr_iso_week(y, m, d, &iy, &iw);
		for (int k = 0; k < 168; k++) {
			keys[k] = store[k];
			if (ctr_key_week_hour(store[k], CTR_KEY_MAX, prefix, addr, iy, iw, k / 24 + 1, k % 24) < 0)
				return -1;
		}
		long long sums[168] = { 0 };
		if (mget_add(c, keys, 168, sums) < 0)
			return -1;
		for (int k = 0; k < 168; k++)
			h->cell[k / 24][k % 24] += sums[k];
	}
	return 0;
}

static int read_daily(redisContext *c, const char *prefix, const char *addr,
                      const struct period *p, struct heatmap *h)
{
	size_t n = (size_t)p->weeks * 7;
	struct keyset ks = { 0 };
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		char key[CTR_KEY_MAX];
		int y, m, d;
		ctr_civil_from_days(p->first + (long)i, &y, &m, &d);
		rc = ctr_key_day(key, sizeof(key), prefix, addr, y, m, d, NULL, NULL) < 0 ||
		     keyset_add(&ks, key) < 0 ? -1 : 0;
	}
	if (rc == 0)
		rc = mget_add(c, ks.key, ks.n, h->daily);
	keyset_free(&ks);
	return rc;
}

/* "YYYYMMDD" -> days, or LONG_MIN-ish failure as -1 return. */
static int key_date(const char *s, long *days)
{
	int y, m, d;
	for (int i = 0; i < 8; i++)
		if (!isdigit((unsigned char)s[i]))
			return -1;
	if (sscanf(s, "%4d%2d%2d", &y, &m, &d) != 3)
		return -1;
	int iy, iw;
	if (ctr_iso_week(y, m, d, &iy, &iw) < 0)
		return -1;
	*days = ctr_days_from_civil(y, m, d);
	return 0;
}

/* Category, missing item and priority totals of one address: SCAN for its
 * daily keys, keep those of the period, add them up by id. */
static int read_items(redisContext *c, const char *prefix, const char *addr,
                      const struct period *p, struct heatmap *h)
{
	char base[CTR_KEY_MAX];
	int blen = ctr_key_day(base, sizeof(base), prefix, addr, 1970, 1, 1, NULL, NULL);
	if (blen < 0)
		return -1;
	blen -= 8;            /* "...:d:" without the date */
	base[blen] = '\0';
	struct buf pat;
	buf_init(&pat, 4 * CTR_KEY_MAX);
	glob_escape(&pat, base);
	buf_printf(&pat, "*:*:*");
	struct keyset ks = { 0 };
	char cursor[32] = "0";
	int rc = 0;
	long last = p->first + 7L * p->weeks - 1;
	do {
		const char *argv[] = { "SCAN", cursor, "MATCH", buf_cstr(&pat), "COUNT", "1000" };
		redisReply *r = redisCommandArgv(c, 6, argv, NULL);
		if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
		    r->element[0]->type != REDIS_REPLY_STRING || r->element[1]->type != REDIS_REPLY_ARRAY) {
			fprintf(stderr, "support-milter-stats: Redis SCAN: %s\n",
			        r == NULL ? c->errstr : r->type == REDIS_REPLY_ERROR ? r->str : "unexpected reply");
			if (r != NULL)
				freeReplyObject(r);
			rc = -1;
			break;
		}
		snprintf(cursor, sizeof(cursor), "%s", r->element[0]->str);
		for (size_t i = 0; i < r->element[1]->elements && rc == 0; i++) {
			const redisReply *k = r->element[1]->element[i];
			long days;
			if (k->type != REDIS_REPLY_STRING || strncmp(k->str, base, (size_t)blen) != 0 ||
			    key_date(k->str + blen, &days) < 0 || days < p->first || days > last)
				continue;
			if (ks.n >= MAX_SCAN_KEYS) {
				fprintf(stderr, "support-milter-stats: more than %d daily keys for %s\n",
				        MAX_SCAN_KEYS, addr);
				rc = -1;
			} else if (keyset_add(&ks, k->str) < 0) {
				rc = -1;
			}
		}
		freeReplyObject(r);
	} while (rc == 0 && strcmp(cursor, "0") != 0);
	buf_free(&pat);

	long long *v = NULL;
	if (rc == 0 && ks.n > 0) {
		/* SCAN may return a key twice. */
		qsort(ks.key, ks.n, sizeof(ks.key[0]), strp_cmp);
		size_t u = 0;
		for (size_t i = 0; i < ks.n; i++) {
			if (u > 0 && strcmp(ks.key[u - 1], ks.key[i]) == 0)
				free(ks.key[i]);
			else
				ks.key[u++] = ks.key[i];
		}
		ks.n = u;
		v = calloc(ks.n, sizeof(*v));
		rc = v == NULL ? -1 : mget_add(c, ks.key, ks.n, v);
	}
	for (size_t i = 0; rc == 0 && i < ks.n; i++) {
		const char *rest = ks.key[i] + blen + 8;   /* ":kind:id" */
		struct heatmap_list *l = NULL;
		const char *id = NULL;
		if (strncmp(rest, ":cat:", 5) == 0) {
			l = &h->cat;
			id = rest + 5;
		} else if (strncmp(rest, ":miss:", 6) == 0) {
			l = &h->miss;
			id = rest + 6;
		} else if (strncmp(rest, ":prio:", 6) == 0) {
			l = &h->prio;
			id = rest + 6;
		}
		if (l != NULL && ctr_is_id(id) && v[i] != 0)
			rc = heatmap_list_add(l, id, v[i]);
	}
	free(v);
	keyset_free(&ks);
	return rc;
}

static long today(const struct config *cfg)
{
	time_t now = time(NULL);
	struct tm tm;
	if (cfg->tz == NULL || tz_localtime(cfg->tz, now, &tm) != 0)
		localtime_r(&now, &tm);
	return ctr_days_from_civil(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

static bool utf8_terminal(void)
{
	setlocale(LC_CTYPE, "");
	const char *cs = nl_langinfo(CODESET);
	return cs != NULL && (strcmp(cs, "UTF-8") == 0 || strcmp(cs, "utf8") == 0);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "weeks", required_argument, NULL, 'w' },
		{ "end", required_argument, NULL, 'e' },
		{ "address", required_argument, NULL, 'a' },
		{ "svg", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "numbers", no_argument, NULL, 'n' },
		{ "ascii", no_argument, NULL, 'A' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config_path = CONFIG_DEFAULT_FILE, *svg_path = NULL, *end = NULL;
	char *addr[MAX_ADDRESSES];
	size_t n_addr = 0;
	long weeks = 4, timeout_ms = DEFAULT_TIMEOUT_MS;
	bool json = false, numbers = false, ascii = false;
	int opt;
	char *endp;

	while ((opt = getopt_long(argc, argv, "c:w:e:a:hV", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			config_path = optarg;
			break;
		case 'w':
			weeks = strtol(optarg, &endp, 10);
			if (*optarg == '\0' || *endp != '\0' || weeks < 1 || weeks > MAX_WEEKS) {
				fprintf(stderr, "support-milter-stats: --weeks: 1 to %d\n", MAX_WEEKS);
				return EX_USAGE;
			}
			break;
		case 'e':
			end = optarg;
			break;
		case 'a':
			if (n_addr >= MAX_ADDRESSES || !ctr_is_address(optarg)) {
				fprintf(stderr, "support-milter-stats: --address: bad address or more than %d\n",
				        MAX_ADDRESSES);
				return EX_USAGE;
			}
			addr[n_addr++] = optarg;
			break;
		case 's':
			svg_path = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'n':
			numbers = true;
			break;
		case 'A':
			ascii = true;
			break;
		case 't':
			timeout_ms = strtol(optarg, &endp, 10);
			if (*optarg == '\0' || *endp != '\0' || timeout_ms < 1 || timeout_ms > 600000) {
				fprintf(stderr, "support-milter-stats: --timeout: 1 to 600000 ms\n");
				return EX_USAGE;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("support-milter-stats %s\n", PACKAGE_VERSION);
			return 0;
		default:
			usage(stderr);
			return EX_USAGE;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return EX_USAGE;
	}
	signal(SIGPIPE, SIG_IGN);

	struct diag dg;
	diag_to_stream(&dg, stderr);
	struct config *cfg = config_load(config_path, &dg);
	if (cfg == NULL) {
		fprintf(stderr, "support-milter-stats: %s: configuration not usable\n", config_path);
		return EX_CONFIG;
	}
	int status = EX_CONFIG;
	redisContext *c = NULL;
	struct heatmap h = { 0 };
	struct buf out;
	buf_init(&out, 8 * 1024 * 1024);

	if (n_addr == 0)
		for (size_t i = 0; i < cfg->n_support_address && n_addr < MAX_ADDRESSES; i++)
			addr[n_addr++] = cfg->support_address[i];
	for (size_t i = 0; i < n_addr; i++)
		for (char *p = addr[i]; *p != '\0'; p++)
			*p = (char)tolower((unsigned char)*p);
	if (n_addr == 0) {
		fprintf(stderr, "support-milter-stats: no SupportAddress in %s and no --address\n", config_path);
		goto done;
	}
	if (cfg->redis_server == NULL || *cfg->redis_server == '\0') {
		fprintf(stderr, "support-milter-stats: RedisServer is not set in %s: there are no counters\n",
		        config_path);
		goto done;
	}
	long end_day;
	if (end != NULL) {
		int y, m, d;
		if (parse_date(end, &y, &m, &d) < 0) {
			fprintf(stderr, "support-milter-stats: --end: a date YYYY-MM-DD\n");
			status = EX_USAGE;
			goto done;
		}
		end_day = ctr_days_from_civil(y, m, d);
	} else {
		end_day = today(cfg);
	}

	/* The period: whole ISO weeks, the last one containing end_day. */
	int y, m, d, iy, iw;
	ctr_civil_from_days(end_day, &y, &m, &d);
	int wd = ctr_iso_week(y, m, d, &iy, &iw);
	struct period p = { .first = end_day - (wd - 1) - 7L * (weeks - 1), .weeks = (int)weeks };
	snprintf(h.last_week, sizeof(h.last_week), "%04d-W%02d", iy, iw);
	ctr_civil_from_days(p.first, &y, &m, &d);
	ctr_iso_week(y, m, d, &iy, &iw);
	snprintf(h.first_week, sizeof(h.first_week), "%04d-W%02d", iy, iw);
	fmt_date(p.first, h.from);
	fmt_date(p.first + 7L * weeks - 1, h.to);
	h.weeks = (int)weeks;
	h.time_zone = cfg->time_zone;
	h.addresses = (const char *const *)addr;
	h.n_addresses = n_addr;
	h.daily = calloc((size_t)weeks * 7, sizeof(*h.daily));
	if (h.daily == NULL) {
		status = EX_OSERR;
		goto done;
	}

	char err[256];
	c = ctr_redis_connect(cfg->redis_server, cfg->redis_password, cfg->redis_database,
	                      timeout_ms, err, sizeof(err));
	status = EX_UNAVAILABLE;
	if (c == NULL) {
		fprintf(stderr, "support-milter-stats: Redis %s: %s\n", cfg->redis_server, err);
		goto done;
	}
	const char *prefix = cfg->redis_key_prefix != NULL ? cfg->redis_key_prefix : CTR_DEFAULT_PREFIX;
	for (size_t i = 0; i < n_addr; i++)
		if (read_cells(c, prefix, addr[i], &p, &h) < 0 || read_daily(c, prefix, addr[i], &p, &h) < 0 ||
		    read_items(c, prefix, addr[i], &p, &h) < 0)
			goto done;
	for (int i = 0; i < 7 * h.weeks; i++)
		h.total += h.daily[i];
	heatmap_list_sort(&h.prio);
	heatmap_list_sort(&h.cat);
	heatmap_list_sort(&h.miss);

	status = 0;
	if (svg_path != NULL) {
		heatmap_svg(&h, &out);
		FILE *fp = fopen(svg_path, "w");
		if (fp == NULL || out.failed || out.truncated ||
		    fwrite(out.data, 1, out.len, fp) != out.len || fclose(fp) != 0) {
			fprintf(stderr, "support-milter-stats: cannot write %s\n", svg_path);
			status = EX_CANTCREAT;
		}
		buf_reset(&out);
	}
	if (json) {
		heatmap_json(&h, &out);
		fwrite(buf_cstr(&out), 1, out.len, stdout);
	} else {
		heatmap_text(&h, stdout, !ascii && utf8_terminal(), numbers);
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "support-milter-stats: cannot write the report\n");
		status = EX_IOERR;
	}
done:
	if (c != NULL)
		redisFree(c);
	buf_free(&out);
	heatmap_release(&h);
	config_free(cfg);
	return status;
}
