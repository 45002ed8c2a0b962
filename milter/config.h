/*
 * config: the configuration file (support-milter.conf(5)).
 *
 * "Key value" lines, '#' comments, blank lines ignored; keys are
 * case-insensitive; repeatable keys accumulate.  One table in config.c
 * drives parsing, defaults, range checks, --check, --dump-config and the
 * documentation test: a key exists exactly when it has a row there.
 *
 * Loading never stops at the first error: every bad line is reported
 * through the diag as "file:line: message", and the result is NULL if
 * there was any.  Warnings (a non-repeatable key set twice: the last one
 * wins; a "#" that looks like a trailing comment) do not fail the load.
 * A loaded config is immutable; sessions pin it through the snapshot
 * (snapshot.h).
 */
#ifndef SM_CONFIG_H
#define SM_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include "hours.h"

struct diag;
struct tz;

#define CONFIG_DEFAULT_SOCKET "inet:8891@127.0.0.1"
#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif
#define CONFIG_DEFAULT_FILE SYSCONFDIR "/support-milter/support-milter.conf"

struct config {
	char *file;                 /* where it was read from; NULL = built-in defaults */

	/* milter */
	char *socket;
	char *pid_file;             /* "" = none */
	char *user_id;              /* "" = do not change user */
	long milter_timeout;        /* seconds, MTA I/O timeout given to libmilter */

	/* what is analysed and tagged */
	char **support_address;     /* lower-case bare addresses */
	size_t n_support_address;
	char *header_prefix;
	char *rules_dir;

	/* time */
	char *time_zone;
	struct tz *tz;              /* owned, loaded from time_zone */
	struct hours_spec hours;    /* OpeningHours, PeakWindow, ClosedDate; hours.tz = tz */

	/* screenshot decision */
	long screenshot_min_width;
	long screenshot_min_height;

	/* limits (bytes unless stated) */
	long max_header_size;       /* one header field, name and value */
	long max_headers;           /* header fields kept per message for rules */
	long max_line_length;       /* longer MIME lines are passed on in pieces */
	long max_mime_depth;        /* nesting of multipart / message/rfc822 */
	long max_mime_parts;        /* parts analysed per message */
	long max_text_size;         /* decoded text kept for rules */
	long max_sniff_bytes;       /* first bytes of each non-text part typed by libmagic */
	long regex_match_limit;     /* PCRE2 match limit per regex test */

	/* Redis counters */
	char *redis_server;         /* "" = no counters; host:port or /path/to/socket
	                             * (config_parse_redis_server splits it) */
	char *redis_password;       /* "" = no AUTH */
	long redis_database;
	long redis_timeout;         /* milliseconds */
	char *redis_key_prefix;
	long redis_queue_size;      /* messages waiting for the Redis thread */
	long redis_backlog;         /* distinct counter keys kept while Redis is down */
	long redis_io_timeout;      /* milliseconds: the Redis thread's connect/read/write */
	long redis_hour_ttl;        /* seconds */
	long redis_week_hour_ttl;   /* seconds */
	long redis_day_ttl;         /* seconds */

	/* auto-reply */
	bool auto_reply;
	char *sendmail_command;
	char **sendmail_argv;       /* sendmail_command split at blanks; NULL-terminated,
	                             * argv[0] is an absolute path */
	long sendmail_timeout;      /* seconds before a sendmail run is killed */
	long auto_reply_interval;   /* seconds: at most one auto-reply per sender per interval */
	long auto_reply_queue_size; /* replies waiting for the sender thread; more are dropped */
	long auto_reply_senders;    /* senders remembered in-process when Redis is unavailable */
	char *auto_reply_from_name; /* display name of the reply's From; "" = none */
	long auto_reply_max_per_10min; /* global breaker; 0 = none */

	/* logging */
	int log_level;              /* enum log_level */
	bool syslog;
	int syslog_facility;
};

/* Built-in defaults (what runs with no configuration file). NULL on OOM. */
struct config *config_defaults(struct diag *d);
/* Reads path over the defaults; NULL after reporting every error. */
struct config *config_load(const char *path, struct diag *d);
void config_free(struct config *cfg);

/* The table's keys, for the docs test and --dump-config (NULL past the end). */
size_t config_key_count(void);
const char *config_key_name(size_t i);
/* The key's default as it is written in the file (repeatable keys: the
 * values separated by newlines; "" for an empty default), and its
 * one-line description. NULL past the end. */
const char *config_key_default(size_t i);
const char *config_key_description(size_t i);
/* Prints every key with its value in the file format (postconf -n style). */
void config_dump(const struct config *cfg, FILE *fp);

/* Is addr (bare) one of the support addresses (addr_matches: case-
 * insensitive, +detail)?  config_support_address says which (as
 * configured, lower-cased), or NULL. */
bool config_is_support_address(const struct config *cfg, const char *addr);
const char *config_support_address(const struct config *cfg, const char *addr);

/* Splits a RedisServer value: "host", "host:port", "[v6addr]:port" (port
 * 6379 when omitted) or "/path/to/socket" (host = the path, port = 0).
 * 0 on success; -1 with a message in err. */
int config_parse_redis_server(const char *s, char *host, size_t hostsz, int *port,
                              char *err, size_t errsz);

#endif
