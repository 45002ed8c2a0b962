/*
 * counters: per support address load counters in Redis (SPEC §6), and the
 * key scheme that support-milter-stats reads back.
 *
 * Threads.  Milter threads call ctr_begin() at DATA (or at the end of a
 * message's headers) and ctr_end() at its end (or ctr_count() once);
 * these put the message's increments on a bounded queue and return.  ONE
 * thread (started by ctr_start) owns the hiredis connection (0.14 API,
 * blocking socket with a timeout), drains the queue, merges increments into
 * a bounded backlog keyed by counter name, and sends them to Redis in
 * pipelined batches.  A milter thread never does Redis I/O and never waits
 * for Redis longer than timeout_ms: if the value of this hour's counter has
 * not come back by then, ctr_count() returns false and the caller omits
 * X-Support-Load (never a stale or invented number).
 *
 * Keys.  With prefix P (RedisKeyPrefix, default "sm:") and a support
 * address A (bare, lower-case), times in the support's local time zone:
 *
 *   P A:h:YYYYMMDDHH            messages in that local hour
 *   P A:wh:GGGG-Www:D:HH        messages in ISO week GGGG-Www, ISO weekday
 *                               D (1 = Monday .. 7 = Sunday), hour HH
 *   P A:d:YYYYMMDD              messages that day
 *   P A:d:YYYYMMDD:cat:ID       ... in category ID
 *   P A:d:YYYYMMDD:miss:ID      ... with missing item ID
 *   P A:d:YYYYMMDD:prio:NAME    ... with priority NAME
 *   P tok:INSTANCE:SEQ          batch tokens (below), short-lived
 *
 * ("P A" is the two strings concatenated, e.g.
 * "sm:support@example.com:h:2024012909".)  The weekday x hour counters are
 * kept per ISO week so that "the last N weeks" is an exact sum of N x 168
 * keys.  Every counter is INCRBY'd and then EXPIRE'd with its family's TTL
 * in the same atomic step, each time: "EXPIRE only when INCR returned 1"
 * would leave a key without a TTL whenever that first EXPIRE was lost, and
 * a backlog flush INCRBY's by n, so it never sees 1.  A key therefore lives
 * TTL seconds after its last increment.
 *
 * Batching.  Nothing is sent for a message until some message waits for
 * its hour count: keys are queued without waking the Redis thread, which
 * looks at the queue at least every 100 ms (CTR_HOLD_MS), and held up to
 * CTR_HOLD_MS so that they ride along with the next batch that must go
 * anyway, the one a ctr_end or ctr_count blocked on its count asks for.
 * So the arrivals of the messages a busy MTA is receiving share one
 * batch, and most ctr_end calls find their count already there; verdict
 * keys, take-backs and the deletion of acknowledged tokens ride along
 * too.  Counters read back may lag by about 200 ms.  A stop
 * flushes everything.
 *
 * Exactly once.  Each batch is applied by a small Lua script (EVAL) that
 * first does SET P tok:INSTANCE:SEQ NX EX 86400 and applies the increments
 * only if that token was new.  A batch whose reply was lost (Redis died or
 * stalled past the I/O timeout after applying it) is resent unchanged with
 * the same token on the next connection, so it is applied once.  Tokens of
 * acknowledged batches are deleted in the next round trip.  Needs Redis
 * >= 2.6 with scripting.
 *
 * Faults.  Redis down, slow, restarting or refusing (wrong password, OOM,
 * READONLY, LOADING...): increments stay in the backlog (at most
 * backlog_size distinct counter keys: the counts of an outage of any length
 * stay exact while the keys fit), the thread reconnects with exponential
 * backoff, and logs ONE warning per outage and one info line when Redis
 * takes writes again.  Increments that do not fit are dropped, counted
 * (ctr_get_stats) and logged once per overflow episode; so are messages
 * that find the queue full.  Errors that retrying cannot cure (a counter key
 * holding a non-number) drop that batch, logged.
 *
 * Memory: the queue holds at most queue_size messages (each at most
 * CTR_MAX_KEYS keys of at most CTR_KEY_MAX bytes); the backlog at most
 * backlog_size keys.
 */
#ifndef SM_COUNTERS_H
#define SM_COUNTERS_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct redisContext;

#define CTR_MAX_ITEMS 32      /* categories, and missing items, counted per message */
#define CTR_MAX_ID 64         /* longest category / item / priority id */
#define CTR_MAX_PREFIX 64
#define CTR_MAX_ADDRESS 254
#define CTR_MAX_KEYS (4 + 2 * CTR_MAX_ITEMS)
#define CTR_KEY_MAX 512

enum ctr_family {
	CTR_FAM_HOUR = 0,     /* :h: */
	CTR_FAM_WEEK_HOUR,    /* :wh: */
	CTR_FAM_DAY,          /* :d: and its :cat: :miss: :prio: */
	CTR_N_FAMILIES
};

struct ctr_options {
	const char *server;      /* "host", "host:port", "[v6]:port", "/path/socket"; NULL or "" = off */
	const char *password;    /* NULL or "" = no AUTH */
	long database;           /* SELECT n (0 = skip) */
	long timeout_ms;         /* longest a milter thread waits for this hour's count */
	long io_timeout_ms;      /* the Redis thread's connect / read / write timeout */
	const char *key_prefix;  /* NULL = "sm:" */
	long ttl[CTR_N_FAMILIES];/* seconds */
	long queue_size;         /* messages waiting for the Redis thread */
	long backlog_size;       /* distinct counter keys kept while Redis cannot take them */
};

/* Defaults (also the proposed config defaults). */
#define CTR_DEFAULT_PREFIX "sm:"
#define CTR_DEFAULT_TIMEOUT_MS 20
#define CTR_DEFAULT_IO_TIMEOUT_MS 2000
#define CTR_DEFAULT_TTL_HOUR (35L * 86400)
#define CTR_DEFAULT_TTL_WEEK_HOUR (400L * 86400)
#define CTR_DEFAULT_TTL_DAY (400L * 86400)
#define CTR_DEFAULT_QUEUE_SIZE 1000
#define CTR_DEFAULT_BACKLOG_SIZE 10000

/* One analysed message. Strings are read during the call only. */
struct ctr_event {
	const char *address;      /* support address, bare, lower-case */
	time_t received;          /* receipt time: not in a key; the "back" log line reports the oldest kept */
	int year, month, day;     /* local date in the support's time zone (month 1..12) */
	int wday;                 /* local weekday, 0 = Sunday (tm_wday); must match the date */
	int hour;                 /* local hour 0..23 */
	const char *priority;     /* NULL or "" = none */
	const char *const *categories;
	size_t n_categories;      /* more than CTR_MAX_ITEMS: the rest are not counted */
	const char *const *missing;
	size_t n_missing;
};

struct ctr_stats {
	unsigned long long events;          /* messages accepted onto the queue */
	unsigned long long dropped_queue;   /* messages dropped: queue full */
	unsigned long long dropped_backlog; /* messages dropped: backlog full */
	unsigned long long dropped_error;   /* increments Redis refused for good */
	unsigned long long batches;         /* batches Redis acknowledged */
	unsigned long long outages;         /* outages begun */
	unsigned long long answered;        /* ctr_count calls answered in time */
	size_t queued;                      /* messages on the queue now */
	size_t backlog_keys;                /* counter keys waiting now */
	bool up;                            /* connected and taking writes */
};

/* 0 if o is usable; -1 with a message in err. */
int ctr_check_options(const struct ctr_options *o, char *err, size_t errsz);
/* Fills o with the defaults above (server NULL: off). */
void ctr_options_defaults(struct ctr_options *o);

/* Starts the Redis thread (even with the server off: ctr_reconfigure may
 * turn counting on). Copies o. 0 on success; -1 (logged) on bad options or
 * when already started. */
int ctr_start(const struct ctr_options *o);
/* New options (reload): reconnects if server, password, database or I/O
 * timeout changed; turning the server off discards the backlog (logged). */
void ctr_reconfigure(const struct ctr_options *o);
/* Tries to flush the backlog (bounded by the I/O timeout), logs what is
 * lost, stops the thread and frees everything. No-op if not started. */
void ctr_stop(void);

/* Counts one message. Never blocks on Redis. With this_hour non-NULL and
 * Redis up, waits at most timeout_ms for the value this message's INCR of
 * the per-hour key returned: true with *this_hour set if it came in time,
 * false otherwise (and always false when off, down, or the event is bad). */
bool ctr_count(const struct ctr_event *ev, long long *this_hour);

/* A message counted in two steps, so that its arrival can go to Redis
 * with other messages' batches while it is received: ctr_begin, at DATA
 * (at the latest at the end of the headers), queues the arrival keys
 * (hour, weekday x hour, day; ev's priority, categories and missing items
 * are ignored) with a ticket for this hour's count; ctr_end, at the end of
 * the message, queues the verdict keys (priority, categories, missing; the
 * date fields must be those given to ctr_begin) and collects the count,
 * waiting at most timeout_ms for it if it has not come yet (its batch is
 * then sent at once, see Batching).  A message that does not reach its
 * end (aborted, connection lost) is ctr_cancel'ed: its arrival keys are
 * taken back (INCRBY -1), so the counters stay exact.  ctr_begin returns
 * NULL when counting is off, the event is bad or the queue is full;
 * ctr_end and ctr_cancel free the handle and accept NULL (ctr_end then
 * returns false). */
struct ctr_pending;
struct ctr_pending *ctr_begin(const struct ctr_event *ev);
bool ctr_end(struct ctr_pending *p, const struct ctr_event *ev, long long *this_hour);
void ctr_cancel(struct ctr_pending *p);

void ctr_get_stats(struct ctr_stats *out);

/* ---- shared with support-milter-stats and the tests ---- */

/* Connects (TCP or unix socket per server), sets the timeout for I/O,
 * AUTH and SELECT. NULL with a message in err. */
struct redisContext *ctr_redis_connect(const char *server, const char *password,
                                       long database, long timeout_ms,
                                       char *err, size_t errsz);
/* Splits a server string as described in ctr_options (port 6379 when
 * omitted; a socket path gives port 0). 0 or -1 with a message. */
int ctr_parse_server(const char *s, char *host, size_t hostsz, int *port,
                     char *err, size_t errsz);

/* Proleptic Gregorian dates <-> days since 1970-01-01. */
long ctr_days_from_civil(int y, int m, int d);
void ctr_civil_from_days(long days, int *y, int *m, int *d);
/* ISO 8601 week of a date; returns the ISO weekday 1 (Mon) .. 7 (Sun),
 * or -1 for an invalid date. */
int ctr_iso_week(int y, int m, int d, int *iso_year, int *iso_week);

/* Key builders (the scheme above). Return the length, or -1 when a part is
 * invalid or the key would not fit in outsz. */
int ctr_key_hour(char *out, size_t outsz, const char *prefix, const char *addr,
                 int y, int m, int d, int hour);
int ctr_key_week_hour(char *out, size_t outsz, const char *prefix, const char *addr,
                      int iso_year, int iso_week, int iso_wday, int hour);
/* kind NULL: the day's total; else "cat", "miss" or "prio" with id. */
int ctr_key_day(char *out, size_t outsz, const char *prefix, const char *addr,
                int y, int m, int d, const char *kind, const char *id);

/* Is s usable as an id in a key (1..CTR_MAX_ID of [A-Za-z0-9._+-])? */
bool ctr_is_id(const char *s);
/* A key prefix: at most CTR_MAX_PREFIX printable ASCII characters, no blanks. */
bool ctr_is_prefix(const char *s);
/* An address as it goes into a key: 1..CTR_MAX_ADDRESS bytes, no blanks
 * or control characters. */
bool ctr_is_address(const char *s);

#endif
