/*
 * config: support-milter.conf(5), see config.h.
 *
 * Owns: the key table (keys[] below), the file parser, defaults, range
 * checks, the dump, and the support-address predicate; the syntax checks
 * of string values are in config_check.c (config_int.h).  The
 * table is the single source of truth: a key exists exactly when it has
 * a row, its default is the row's text run through the same parser as
 * the file (so a bad default cannot hide), and the docs test checks every
 * row against the man page and the shipped file.
 *
 * File format: "Key value" lines; the value is the rest of the line with
 * surrounding blanks removed; blank lines and lines whose first non-blank
 * is '#' are ignored ('#' later on a line is part of the value, which
 * gets a warning).  Keys are case-insensitive.  Repeatable keys: the
 * first occurrence in a file replaces the default list, later ones add;
 * the value "none" empties a list.  A non-repeatable key given twice is
 * a warning and the last value wins (as in Postfix's main.cf).  Keys
 * that may be empty take the literal value "" for it.
 *
 * Limits: file 1 MiB, line 4096 bytes, 100 support addresses, the window
 * and date limits of hours.h, 32 sendmail arguments.  Every error is
 * reported as "file:line: message" through the diag and loading goes on,
 * so --check shows them all; the result is then NULL.  Nothing here
 * exits or logs directly.
 */
#include "autoconfig.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "config.h"
#include "config_int.h"
#include "diag.h"
#include "log.h"
#include "tz.h"

#define CONFIG_MAX_FILE (1024 * 1024)
#define CONFIG_MAX_LINE 4096
#define CONFIG_MAX_ADDRESSES 100

enum key_type { KT_STRING, KT_BOOL, KT_INT, KT_ADDRESS, KT_LOGLEVEL, KT_FACILITY,
                KT_WINDOW, KT_DATE, KT_TZ };

enum {
	KF_REPEAT = 1,   /* may be given several times; values accumulate */
	KF_EMPTY = 2,    /* "" is a valid value */
	KF_SIZE = 4,     /* integer in bytes: k and m suffixes */
	KF_SECONDS = 8,  /* integer in seconds: s, m, h and d suffixes */
	KF_SECRET = 16,  /* never quoted back in messages */
};

/* 0 = fine, 1 = fine but msg holds a warning, -1 = msg holds the error. */
typedef int (*value_check)(const char *v, char *msg, size_t msgsz);

struct key {
	const char *name;
	enum key_type type;
	unsigned flags;
	size_t off;          /* the field in struct config */
	size_t count_off;    /* repeatable: its count field */
	size_t max_count;
	long min, max;       /* KT_INT */
	value_check check;   /* KT_STRING: syntax beyond "not empty" */
	const char *def;     /* as written in the file; repeatable: '\n'-separated */
	const char *desc;
};

#define F(field) offsetof(struct config, field)
#define STR(name, field, flags, check, def, desc) \
	{ name, KT_STRING, flags, F(field), 0, 0, 0, 0, check, def, desc }
#define INT(name, field, flags, min, max, def, desc) \
	{ name, KT_INT, flags, F(field), 0, 0, min, max, NULL, def, desc }
#define LIST(name, type, field, count, max, def, desc) \
	{ name, type, KF_REPEAT, F(field), F(count), max, 0, 0, NULL, def, desc }
#define OTHER(name, type, field, def, desc) \
	{ name, type, 0, F(field), 0, 0, 0, 0, NULL, def, desc }

static const struct key keys[] = {
	STR("Socket", socket, 0, config_check_socket, CONFIG_DEFAULT_SOCKET,
	    "where libmilter listens: unix:/path, local:/path, inet:PORT@HOST, inet6:PORT@HOST"),
	LIST("SupportAddress", KT_ADDRESS, support_address, n_support_address,
	     CONFIG_MAX_ADDRESSES, "support@timemap.dk",
	     "an envelope recipient whose mail is analysed (+detail matches too)"),
	STR("HeaderPrefix", header_prefix, 0, config_check_header_prefix, "X-Support-",
	    "prefix of the added headers; incoming headers with it are removed"),
	STR("RulesDir", rules_dir, 0, NULL, SYSCONFDIR "/support-milter/rules",
	    "directory of the *.rules files"),
	OTHER("TimeZone", KT_TZ, time_zone, "Europe/Copenhagen",
	      "time zone of the opening hours (zoneinfo name or UTC)"),
	LIST("OpeningHours", KT_WINDOW, hours.open, hours.n_open, HOURS_MAX_WINDOWS,
	     "Mon-Fri 09:00-15:00", "when support is open: DAYS HH:MM-HH:MM"),
	LIST("PeakWindow", KT_WINDOW, hours.peak, hours.n_peak, HOURS_MAX_WINDOWS,
	     "Mon-Fri 09:00-10:00\nMon-Tue 09:00-15:00", "busy periods within the opening hours"),
	LIST("ClosedDate", KT_DATE, hours.closed, hours.n_closed, HOURS_MAX_DATES,
	     "none", "a date support is closed: YYYY-MM-DD, or MM-DD every year"),
	INT("ScreenshotMinWidth", screenshot_min_width, 0, 1, 65535, "200",
	    "narrowest image (pixels) counted as a screenshot"),
	INT("ScreenshotMinHeight", screenshot_min_height, 0, 1, 65535, "100",
	    "lowest image (pixels) counted as a screenshot"),
	INT("MaxHeaderSize", max_header_size, KF_SIZE, 1024, 1048576, "64k",
	    "bytes of one header field kept; the rest is cut"),
	INT("MaxHeaders", max_headers, 0, 10, 100000, "1000",
	    "header fields kept per message for the rules"),
	INT("MaxLineLength", max_line_length, KF_SIZE, 1024, 1048576, "8k",
	    "longer MIME lines are passed on in pieces"),
	INT("MaxMimeDepth", max_mime_depth, 0, 1, 100, "20",
	    "deepest multipart / message/rfc822 nesting analysed"),
	INT("MaxMimeParts", max_mime_parts, 0, 1, 100000, "500", "MIME parts analysed per message"),
	INT("MaxTextSize", max_text_size, KF_SIZE, 1024, 67108864, "256k",
	    "bytes of decoded text kept for the rules"),
	INT("MaxSniffBytes", max_sniff_bytes, KF_SIZE, 512, 1048576, "16k",
	    "first bytes of each attachment given to libmagic"),
	INT("RegexMatchLimit", regex_match_limit, 0, 1000, 100000000, "100000",
	    "PCRE2 match limit per regex test"),
	INT("MilterTimeout", milter_timeout, KF_SECONDS, 1, 86400, "300",
	    "seconds libmilter waits for the MTA"),
	STR("RedisServer", redis_server, KF_EMPTY, config_check_redis, "",
	    "Redis for the load counters: host, host:port, [v6]:port or /socket; \"\" = none"),
	STR("RedisPassword", redis_password, KF_EMPTY | KF_SECRET, NULL, "",
	    "password for Redis AUTH; \"\" = none"),
	INT("RedisDatabase", redis_database, 0, 0, 1000000, "0", "Redis database number"),
	INT("RedisTimeout", redis_timeout, 0, 1, 10000, "20",
	    "milliseconds a Redis call may take"),
	STR("RedisKeyPrefix", redis_key_prefix, KF_EMPTY, config_check_key_prefix, "sm:",
	    "prefix of every Redis key"),
	INT("RedisQueueSize", redis_queue_size, 0, 1, 1000000, "1000",
	    "messages waiting for the Redis thread; more are dropped and counted"),
	INT("RedisBacklog", redis_backlog, 0, 68, 100000000, "10000",
	    "distinct counter keys kept while Redis cannot take writes"),
	INT("RedisIOTimeout", redis_io_timeout, 0, 1, 600000, "2000",
	    "milliseconds the Redis thread waits to connect, read or write"),
	INT("RedisHourTTL", redis_hour_ttl, KF_SECONDS, 60, 3153600000L, "35d",
	    "lifetime of the per-hour counters"),
	INT("RedisWeekHourTTL", redis_week_hour_ttl, KF_SECONDS, 60, 3153600000L, "400d",
	    "lifetime of the weekday x hour counters of each week"),
	INT("RedisDayTTL", redis_day_ttl, KF_SECONDS, 60, 3153600000L, "400d",
	    "lifetime of the per-day counters (total, category, missing item, priority)"),
	OTHER("AutoReply", KT_BOOL, auto_reply, "no",
	      "send auto-replies listing missing information"),
	STR("SendmailCommand", sendmail_command, 0, config_check_command,
	    "/usr/sbin/sendmail -i -f <> -N never --",
	    "command that sends auto-replies (no shell; the recipient is appended)"),
	INT("SendmailTimeout", sendmail_timeout, KF_SECONDS, 1, 3600, "60",
	    "seconds before a sendmail run is killed"),
	INT("AutoReplyInterval", auto_reply_interval, KF_SECONDS, 60, 31536000, "86400",
	    "at most one auto-reply per sender in this many seconds"),
	INT("AutoReplyQueueSize", auto_reply_queue_size, 0, 1, 100000, "100",
	    "auto-replies waiting to be sent; more are dropped"),
	INT("AutoReplySenders", auto_reply_senders, 0, 100, 10000000, "10000",
	    "senders remembered in-process when Redis is unavailable"),
	STR("AutoReplyFromName", auto_reply_from_name, KF_EMPTY, config_check_display_name, "",
	    "display name in the From of auto-replies; \"\" = the bare address"),
	INT("AutoReplyMaxPer10Min", auto_reply_max_per_10min, 0, 0, 1000000, "30",
	    "at most this many auto-replies in any 10 minutes (0 = no limit)"),
	OTHER("LogLevel", KT_LOGLEVEL, log_level, "info", "err, warning, info or debug"),
	OTHER("Syslog", KT_BOOL, syslog, "yes", "log to syslog (stderr in the foreground)"),
	OTHER("SyslogFacility", KT_FACILITY, syslog_facility, "mail",
	      "syslog facility: mail, daemon, user, local0..local7"),
	STR("PidFile", pid_file, KF_EMPTY, config_check_abs_path, "", "file for the process id; \"\" = none"),
	STR("UserID", user_id, KF_EMPTY, config_check_user, "",
	    "user[:group] to run as after start; \"\" = do not change"),
};

#define NKEYS (sizeof(keys) / sizeof(keys[0]))

static const char *const level_names[] = { "err", "warning", "info", "debug" };
static const char *const facility_names[] = {
	"mail", "daemon", "user", "local0", "local1", "local2", "local3",
	"local4", "local5", "local6", "local7",
};

#define FIELD(cfg, k, type) ((type *)(void *)((char *)(cfg) + (k)->off))
#define COUNT(cfg, k) ((size_t *)(void *)((char *)(cfg) + (k)->count_off))

/* ---------------------------------------------------------- set value */

static int parse_bool(const char *v)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(v, yes[i]) == 0)
			return 1;
		if (strcasecmp(v, no[i]) == 0)
			return 0;
	}
	return -1;
}

static void fmt_int(const struct key *k, long v, char *out, size_t outsz)
{
	if ((k->flags & KF_SIZE) && v != 0 && v % 1048576 == 0)
		snprintf(out, outsz, "%ldm", v / 1048576);
	else if ((k->flags & KF_SIZE) && v != 0 && v % 1024 == 0)
		snprintf(out, outsz, "%ldk", v / 1024);
	else
		snprintf(out, outsz, "%ld", v);
}

static int parse_int(const struct key *k, const char *v, long *out, char *msg, size_t msgsz)
{
	char *end;
	errno = 0;
	long long n = strtoll(v, &end, 10);
	long long mult = 1;
	bool digits = end != v && isdigit((unsigned char)end[-1]);
	if (digits && *end != '\0' && end[1] == '\0') {
		char c = (char)tolower((unsigned char)*end);
		if ((k->flags & KF_SIZE) && (c == 'k' || c == 'm'))
			mult = c == 'k' ? 1024 : 1048576;
		else if ((k->flags & KF_SECONDS) && strchr("smhd", c) != NULL)
			mult = c == 's' ? 1 : c == 'm' ? 60 : c == 'h' ? 3600 : 86400;
		if (mult != 1 || c == 's')
			end++;
	}
	if (!digits || *end != '\0')
		return config_msgf(msg, msgsz, -1, "bad number \"%s\"%s", v,
		            (k->flags & KF_SIZE) ? " (bytes; k and m suffixes allowed)" :
		            (k->flags & KF_SECONDS) ? " (seconds; s, m, h and d suffixes allowed)" : "");
	char lo[32], hi[32];
	fmt_int(k, k->min, lo, sizeof(lo));
	fmt_int(k, k->max, hi, sizeof(hi));
	if (errno == ERANGE || n > LLONG_MAX / mult || n < LLONG_MIN / mult ||
	    n * mult < k->min || n * mult > k->max)
		return config_msgf(msg, msgsz, -1, "%s is out of range (%s to %s)", v, lo, hi);
	*out = (long)(n * mult);
	return 0;
}

/* Sets one value.  first: the key's first line in this file (or the
 * default), which replaces a repeatable key's list. */
static int key_set(struct config *cfg, const struct key *k, const char *v, bool first,
                   char *msg, size_t msgsz)
{
	int rc = 0;
	bool empty = strcmp(v, "\"\"") == 0;
	if (empty && !(k->flags & KF_EMPTY))
		return config_msgf(msg, msgsz, -1, "may not be empty");
	if ((k->flags & KF_REPEAT) && first) {
		if (k->type == KT_ADDRESS)
			for (size_t i = 0; i < *COUNT(cfg, k); i++)
				free((*FIELD(cfg, k, char **))[i]);
		*COUNT(cfg, k) = 0;
	}
	if ((k->flags & KF_REPEAT) && k->type != KT_ADDRESS && strcasecmp(v, "none") == 0) {
		*COUNT(cfg, k) = 0;
		return 0;
	}
	size_t *count = (k->flags & KF_REPEAT) ? COUNT(cfg, k) : NULL;
	if (count != NULL && *count >= k->max_count)
		return config_msgf(msg, msgsz, -1, "more than %zu values", k->max_count);

	switch (k->type) {
	case KT_STRING:
	case KT_TZ: {
		if (empty)
			v = "";
		if (k->check != NULL && (rc = k->check(v, msg, msgsz)) < 0)
			return -1;
		struct tz *tz = NULL;
		if (k->type == KT_TZ && (tz = tz_load(v, msg, msgsz)) == NULL)
			return -1;
		char *copy = strdup(v);
		if (copy == NULL) {
			tz_free(tz);
			return config_msgf(msg, msgsz, -1, "out of memory");
		}
		free(*FIELD(cfg, k, char *));
		*FIELD(cfg, k, char *) = copy;
		if (k->type == KT_TZ) {
			tz_free(cfg->tz);
			cfg->tz = tz;
		}
		return rc;
	}
	case KT_BOOL: {
		int b = parse_bool(v);
		if (b < 0)
			return config_msgf(msg, msgsz, -1, "bad boolean \"%s\" (expected yes or no)", v);
		*FIELD(cfg, k, bool) = b == 1;
		return 0;
	}
	case KT_INT:
		return parse_int(k, v, FIELD(cfg, k, long), msg, msgsz);
	case KT_LOGLEVEL:
	case KT_FACILITY: {
		int x = k->type == KT_LOGLEVEL ? log_level_parse(v) : log_facility_parse(v);
		if (x < 0)
			return config_msgf(msg, msgsz, -1, "unknown %s \"%s\" (expected %s)",
			            k->type == KT_LOGLEVEL ? "log level" : "syslog facility", v,
			            k->type == KT_LOGLEVEL ? "err, warning, info or debug" :
			            "mail, daemon, user or local0 to local7");
		*FIELD(cfg, k, int) = x;
		return 0;
	}
	case KT_WINDOW:
		if (hours_parse_window(v, &FIELD(cfg, k, struct hours_window)[*count], msg, msgsz) != 0)
			return -1;
		(*count)++;
		return 0;
	case KT_DATE:
		if (hours_parse_date(v, &FIELD(cfg, k, struct hours_date)[*count], msg, msgsz) != 0)
			return -1;
		(*count)++;
		return 0;
	case KT_ADDRESS: {
		char addr[256];
		char ***list = FIELD(cfg, k, char **);
		if (config_parse_address(v, addr, sizeof(addr), msg, msgsz) != 0)
			return -1;
		for (size_t i = 0; i < *count; i++)
			if (strcmp((*list)[i], addr) == 0)
				return config_msgf(msg, msgsz, 1, "%s is already listed", addr);
		char **grown = realloc(*list, (*count + 1) * sizeof(**list));
		if (grown == NULL)
			return config_msgf(msg, msgsz, -1, "out of memory");
		*list = grown;
		if ((grown[*count] = strdup(addr)) == NULL)
			return config_msgf(msg, msgsz, -1, "out of memory");
		(*count)++;
		return 0;
	}
	}
	return -1;
}

/* ------------------------------------------------------------ loading */

struct load {
	const char *file;
	struct diag *d;
	unsigned errors;
	unsigned line_of[NKEYS];    /* last line that set the key; 0 = default */
};

static const struct key *key_find(const char *name, size_t len)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (strlen(keys[i].name) == len && strncasecmp(keys[i].name, name, len) == 0)
			return &keys[i];
	return NULL;
}

/* Optimal string alignment distance, case-insensitive, for "did you mean". */
static size_t edit_distance(const char *a, size_t n, const char *b, size_t m)
{
	size_t row[3][64];
	if (n >= 63 || m >= 63)
		return SIZE_MAX;
	size_t *prev2 = row[0], *prev = row[1], *cur = row[2];
	for (size_t j = 0; j <= m; j++)
		prev[j] = j;
	for (size_t i = 1; i <= n; i++) {
		cur[0] = i;
		for (size_t j = 1; j <= m; j++) {
			bool same = tolower((unsigned char)a[i - 1]) == tolower((unsigned char)b[j - 1]);
			size_t best = prev[j - 1] + (same ? 0 : 1);
			if (prev[j] + 1 < best)
				best = prev[j] + 1;
			if (cur[j - 1] + 1 < best)
				best = cur[j - 1] + 1;
			if (i > 1 && j > 1 && tolower((unsigned char)a[i - 1]) == tolower((unsigned char)b[j - 2]) &&
			    tolower((unsigned char)a[i - 2]) == tolower((unsigned char)b[j - 1]) &&
			    prev2[j - 2] + 1 < best)
				best = prev2[j - 2] + 1;
			cur[j] = best;
		}
		size_t *t = prev2;
		prev2 = prev;
		prev = cur;
		cur = t;
	}
	return prev[m];
}

static const char *suggest(const char *name, size_t len)
{
	const char *best = NULL;
	size_t best_d = SIZE_MAX;
	for (size_t i = 0; i < NKEYS; i++) {
		size_t klen = strlen(keys[i].name);
		size_t d = edit_distance(name, len, keys[i].name, klen);
		size_t limit = klen / 4 > 0 ? klen / 4 : 1;
		if (d <= limit && d < best_d) {
			best_d = d;
			best = keys[i].name;
		}
	}
	return best;
}

static void load_line(struct config *cfg, struct load *ld, unsigned lineno, char *line)
{
	char msg[600];
	char *p = line + strspn(line, " \t");
	if (*p == '\0' || *p == '#')
		return;
	size_t klen = strcspn(p, " \t");
	char *v = p + klen + strspn(p + klen, " \t");
	size_t vlen = strlen(v);
	while (vlen > 0 && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
		v[--vlen] = '\0';

	const struct key *k = key_find(p, klen);
	if (k == NULL) {
		size_t name_len = strcspn(p, " \t=:");
		const struct key *k2 = name_len < klen ? key_find(p, name_len) : NULL;
		const char *s = suggest(p, klen);
		if (k2 != NULL)
			diag_error(ld->d, ld->file, lineno, "expected \"%s value\" (key and value "
			           "are separated by blanks)", k2->name);
		else if (s != NULL)
			diag_error(ld->d, ld->file, lineno, "unknown key \"%.*s\" (did you mean "
			           "\"%s\"?)", (int)(klen > 64 ? 64 : klen), p, s);
		else
			diag_error(ld->d, ld->file, lineno, "unknown key \"%.*s\"",
			           (int)(klen > 64 ? 64 : klen), p);
		ld->errors++;
		return;
	}
	size_t ki = (size_t)(k - keys);
	if (vlen == 0) {
		diag_error(ld->d, ld->file, lineno, "%s: missing value%s", k->name,
		           (k->flags & KF_EMPTY) ? " (write \"\" for an empty value)" : "");
		ld->errors++;
		return;
	}
	if (v[0] == '=') {
		diag_error(ld->d, ld->file, lineno, "%s: expected \"%s value\" (no '=')",
		           k->name, k->name);
		ld->errors++;
		return;
	}
	if (!(k->flags & KF_SECRET) && (strstr(v, " #") != NULL || strstr(v, "\t#") != NULL))
		diag_warning(ld->d, ld->file, lineno, "%s: '#' in the value is not a comment "
		             "(comments must be on their own line)", k->name);
	bool first = ld->line_of[ki] == 0;
	if (!first && !(k->flags & KF_REPEAT))
		diag_warning(ld->d, ld->file, lineno, "%s: already set at line %u; this value "
		             "replaces it", k->name, ld->line_of[ki]);
	ld->line_of[ki] = lineno;
	int rc = key_set(cfg, k, v, first, msg, sizeof(msg));
	if (rc < 0) {
		diag_error(ld->d, ld->file, lineno, "%s: %s", k->name, msg);
		ld->errors++;
	} else if (rc > 0) {
		diag_warning(ld->d, ld->file, lineno, "%s: %s", k->name, msg);
	}
}

static char *read_config_file(const char *path, size_t *len, struct load *ld)
{
	FILE *fp = fopen(path, "re");
	if (fp == NULL) {
		diag_error(ld->d, path, 0, "cannot read: %s", strerror(errno));
		return NULL;
	}
	char *buf = malloc(CONFIG_MAX_FILE + 1);
	size_t n = buf != NULL ? fread(buf, 1, CONFIG_MAX_FILE + 1, fp) : 0;
	int err = ferror(fp) ? errno : 0;
	fclose(fp);
	if (buf == NULL || err != 0 || n > CONFIG_MAX_FILE) {
		diag_error(ld->d, path, 0, "cannot read: %s", buf == NULL ? "out of memory" :
		           err != 0 ? strerror(err) : "larger than 1 MiB");
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

static void load_file(struct config *cfg, struct load *ld)
{
	size_t len;
	char *buf = read_config_file(ld->file, &len, ld);
	if (buf == NULL) {
		ld->errors++;
		return;
	}
	unsigned lineno = 0;
	for (char *line = buf; line < buf + len;) {
		char *nl = memchr(line, '\n', (size_t)(buf + len - line));
		char *end = nl != NULL ? nl : buf + len;
		char *next = nl != NULL ? nl + 1 : end;
		lineno++;
		size_t n = (size_t)(end - line);
		if (n > 0 && line[n - 1] == '\r')
			n--;
		line[n] = '\0';
		bool bad = false;
		for (size_t i = 0; i < n; i++)
			if ((unsigned char)line[i] < ' ' && line[i] != '\t')
				bad = true;
		if (n > CONFIG_MAX_LINE) {
			diag_error(ld->d, ld->file, lineno, "line longer than %d bytes", CONFIG_MAX_LINE);
			ld->errors++;
		} else if (bad) {
			diag_error(ld->d, ld->file, lineno, "control character or NUL in line");
			ld->errors++;
		} else {
			load_line(cfg, ld, lineno, line);
		}
		line = next;
	}
	free(buf);
}

static void apply_defaults(struct config *cfg, struct load *ld)
{
	char msg[600], val[256];
	for (size_t i = 0; i < NKEYS; i++) {
		const struct key *k = &keys[i];
		const char *p = k->def;
		bool first = true;
		do {
			size_t n = strcspn(p, "\n");
			snprintf(val, sizeof(val), "%.*s", (int)n, p);
			/* An empty default is written "" in the file. */
			const char *v = val[0] != '\0' ? val : "\"\"";
			/* The time zone is loaded at the end, so that a file naming
			 * another zone works without the default's zoneinfo file. */
			if (k->type == KT_TZ) {
				free(cfg->time_zone);
				if ((cfg->time_zone = strdup(v)) == NULL) {
					diag_error(ld->d, NULL, 0, "out of memory");
					ld->errors++;
				}
			} else if (key_set(cfg, k, v, first, msg, sizeof(msg)) < 0) {
				diag_error(ld->d, NULL, 0, "built-in default of %s: %s", k->name, msg);
				ld->errors++;
			}
			first = false;
			p += n;
		} while (*p++ != '\0');
	}
}

static void finish(struct config *cfg, struct load *ld)
{
	char msg[600];
	if (cfg->tz == NULL && cfg->time_zone != NULL) {
		cfg->tz = tz_load(cfg->time_zone, msg, sizeof(msg));
		if (cfg->tz == NULL) {
			/* Only the default is loaded here: a file's TimeZone was loaded
			 * when its line was read. */
			diag_error(ld->d, ld->file, 0, "TimeZone %s (the default): %s",
			           cfg->time_zone, msg);
			ld->errors++;
		}
	}
	cfg->hours.tz = cfg->tz;
	size_t n;
	if (cfg->sendmail_command != NULL &&
	    (cfg->sendmail_argv = config_split_command(cfg->sendmail_command, &n)) == NULL) {
		diag_error(ld->d, ld->file, 0, "out of memory");
		ld->errors++;
	}
}

static struct config *build(const char *path, struct diag *d)
{
	struct load ld = { .file = path, .d = d };
	struct config *cfg = calloc(1, sizeof(*cfg));
	if (cfg == NULL) {
		diag_error(d, path, 0, "out of memory");
		return NULL;
	}
	apply_defaults(cfg, &ld);
	if (path != NULL) {
		if ((cfg->file = strdup(path)) == NULL) {
			diag_error(d, path, 0, "out of memory");
			ld.errors++;
		}
		load_file(cfg, &ld);
	}
	if (ld.errors == 0)
		finish(cfg, &ld);
	if (ld.errors != 0) {
		config_free(cfg);
		return NULL;
	}
	return cfg;
}

struct config *config_defaults(struct diag *d)
{
	return build(NULL, d);
}

struct config *config_load(const char *path, struct diag *d)
{
	return build(path, d);
}

void config_free(struct config *cfg)
{
	if (cfg == NULL)
		return;
	for (size_t i = 0; i < NKEYS; i++) {
		const struct key *k = &keys[i];
		if (k->type == KT_STRING || k->type == KT_TZ) {
			free(*FIELD(cfg, k, char *));
		} else if (k->type == KT_ADDRESS) {
			char **list = *FIELD(cfg, k, char **);
			for (size_t j = 0; list != NULL && j < *COUNT(cfg, k); j++)
				free(list[j]);
			free(list);
		}
	}
	config_free_argv(cfg->sendmail_argv);
	tz_free(cfg->tz);
	free(cfg->file);
	free(cfg);
}

/* --------------------------------------------------------- inspection */

size_t config_key_count(void)
{
	return NKEYS;
}

const char *config_key_name(size_t i)
{
	return i < NKEYS ? keys[i].name : NULL;
}

const char *config_key_default(size_t i)
{
	return i < NKEYS ? keys[i].def : NULL;
}

const char *config_key_description(size_t i)
{
	return i < NKEYS ? keys[i].desc : NULL;
}

void config_dump(const struct config *cfg, FILE *fp)
{
	char buf[128];
	if (cfg == NULL || fp == NULL)
		return;
	for (size_t i = 0; i < NKEYS; i++) {
		const struct key *k = &keys[i];
		const char *name = k->name;
		switch (k->type) {
		case KT_STRING:
		case KT_TZ: {
			const char *s = *FIELD(cfg, k, char *);
			fprintf(fp, "%s %s\n", name, s == NULL || *s == '\0' ? "\"\"" : s);
			break;
		}
		case KT_BOOL:
			fprintf(fp, "%s %s\n", name, *FIELD(cfg, k, bool) ? "yes" : "no");
			break;
		case KT_INT:
			fmt_int(k, *FIELD(cfg, k, long), buf, sizeof(buf));
			fprintf(fp, "%s %s\n", name, buf);
			break;
		case KT_LOGLEVEL: {
			int lv = *FIELD(cfg, k, int);
			fprintf(fp, "%s %s\n", name, lv >= 0 && lv <= 3 ? level_names[lv] : "info");
			break;
		}
		case KT_FACILITY: {
			const char *fac = "mail";
			for (size_t j = 0; j < sizeof(facility_names) / sizeof(facility_names[0]); j++)
				if (log_facility_parse(facility_names[j]) == *FIELD(cfg, k, int))
					fac = facility_names[j];
			fprintf(fp, "%s %s\n", name, fac);
			break;
		}
		case KT_ADDRESS:
			for (size_t j = 0; j < *COUNT(cfg, k); j++)
				fprintf(fp, "%s %s\n", name, (*FIELD(cfg, k, char **))[j]);
			break;
		case KT_WINDOW:
		case KT_DATE: {
			size_t n = *COUNT(cfg, k);
			if (n == 0)
				fprintf(fp, "%s none\n", name);
			for (size_t j = 0; j < n; j++) {
				if (k->type == KT_WINDOW) {
					hours_format_window(&FIELD(cfg, k, struct hours_window)[j], buf,
					                    sizeof(buf));
				} else {
					const struct hours_date *dt = &FIELD(cfg, k, struct hours_date)[j];
					if (dt->year != 0)
						snprintf(buf, sizeof(buf), "%04u-%02u-%02u", dt->year,
						         dt->month, dt->day);
					else
						snprintf(buf, sizeof(buf), "%02u-%02u", dt->month, dt->day);
				}
				fprintf(fp, "%s %s\n", name, buf);
			}
			break;
		}
		}
	}
}

const char *config_support_address(const struct config *cfg, const char *addr)
{
	if (cfg == NULL || addr == NULL)
		return NULL;
	for (size_t i = 0; i < cfg->n_support_address; i++)
		if (addr_matches(addr, cfg->support_address[i]))
			return cfg->support_address[i];
	return NULL;
}

bool config_is_support_address(const struct config *cfg, const char *addr)
{
	return config_support_address(cfg, addr) != NULL;
}
