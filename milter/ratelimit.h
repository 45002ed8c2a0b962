/*
 * ratelimit: may we send an auto-reply now?  Two limits:
 *
 * - per sender: at most one reply per `period` seconds.  Kept in Redis
 *   (SET PREFIX "autoreply:" sender 1 NX EX period, so several MTAs
 *   sharing one Redis answer a sender once) over a connection of its
 *   own, and always also in an in-process table (bounded to `senders`
 *   entries, oldest forgotten first), which alone decides while Redis is
 *   not configured or not reachable;
 * - a global breaker: at most `max_per_10min` replies in any 10 minutes
 *   from this process, against floods (a forged-sender spam run).
 *
 * Single-threaded: the object belongs to outq's sender thread, so the
 * mail path never waits on Redis.  Redis calls are bounded by the
 * timeout; after a failure the connection is retried at most every
 * RATELIMIT_RETRY seconds, and decisions fall back to the table.
 */
#ifndef SM_RATELIMIT_H
#define SM_RATELIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#define RATELIMIT_WINDOW 600        /* the breaker's window, seconds */
#define RATELIMIT_RETRY 10          /* seconds between Redis reconnects */
#define RATELIMIT_MAX_BREAKER 1000000
#define RATELIMIT_MAX_SENDERS 10000000

struct ratelimit_options {
	long period;              /* seconds per sender (>= 1) */
	long max_per_10min;       /* 0: no breaker */
	long senders;             /* in-process table entries (>= 1) */
	const char *redis_server; /* NULL or "": in-process only */
	const char *redis_password;
	long redis_database;
	long redis_timeout_ms;
	const char *redis_key_prefix;
};

enum ratelimit_result {
	RATELIMIT_OK = 0,    /* send; the sender is now recorded */
	RATELIMIT_SENDER,    /* this sender had a reply within the period */
	RATELIMIT_BREAKER,   /* too many replies in the last 10 minutes */
};

struct ratelimit;

/* Copies the options; connects to Redis lazily.  NULL on OOM. */
struct ratelimit *ratelimit_new(const struct ratelimit_options *o);
void ratelimit_free(struct ratelimit *rl);

/* Decides for key (the lower-cased sender) at now, and records a send
 * when the answer is RATELIMIT_OK. */
enum ratelimit_result ratelimit_check(struct ratelimit *rl, const char *key, time_t now);

/* Forgets key's record (the reply could not be handed to the MTA), so
 * the sender's next mail may be answered.  The breaker keeps counting. */
void ratelimit_release(struct ratelimit *rl, const char *key);

const char *ratelimit_result_name(enum ratelimit_result r);

/* Did the last decision come from Redis?  (For logs and tests.) */
bool ratelimit_used_redis(const struct ratelimit *rl);

#endif
