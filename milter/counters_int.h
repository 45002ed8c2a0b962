/*
 * counters_int.h: what counters.c (the queue, ctr_count, start/stop) and
 * ctrthread.c (the Redis thread) share.  Not for other modules.
 */
#ifndef SM_COUNTERS_INT_H
#define SM_COUNTERS_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "counters.h"

#define CTR_BATCH_MAX 256      /* keys per EVAL */
#define CTR_PIPE_MAX 8         /* EVALs per round trip */
#define CTR_TAKE_MAX 256       /* queue entries the thread moves per loop */
#define CTR_WREC_MAX 4096      /* waiting messages remembered per pending table */
#define CTR_DEL_MAX 64         /* acknowledged tokens deleted per round trip */
#define CTR_TOKEN_TTL 86400
#define CTR_BACKOFF_MIN_MS 100
#define CTR_BACKOFF_MAX_MS 5000
#define CTR_REFUSED_LOG_MS 600000
/* Keys nobody waits for (a message's verdict, a cancelled message's
 * take-back) and acknowledged tokens to delete are held this long, so
 * that they ride along with the next batch that must go at once (one a
 * message waits on): most messages then cost Redis one EVAL, not two.
 * Counters read back by support-milter-stats may lag this much. */
#define CTR_HOLD_MS 100
/* ... unless this many keys are pending: a full batch gains nothing by
 * waiting. */
#define CTR_HOLD_KEYS CTR_BATCH_MAX

/* An owned copy of the options. */
struct ctr_optcopy {
	struct ctr_options o;
	char *server, *password, *prefix;
};

/* One message's keys, NUL-terminated one after the other in data; key 0
 * is its hour key. */
struct ctr_qent {
	uint64_t ticket;       /* 0: nobody waits for the hour count */
	int sign;              /* +1, or -1 to take a cancelled message's keys back */
	time_t received;
	unsigned nkeys;
	uint8_t family[CTR_MAX_KEYS];
	uint16_t off[CTR_MAX_KEYS];
	char data[];
};

/* A message that wants its hour count (on ctr_count's stack, or in a
 * ctr_pending); linked into ctrq.waiters from when its entry is queued
 * until it collects the value or gives up. */
struct ctr_waiter {
	uint64_t ticket;
	bool done;
	bool linked;
	bool blocked;          /* counted in ctrq.nwaiting */
	long long value;
	pthread_cond_t cv;
	struct ctr_waiter *prev, *next;
};

/* Everything both sides touch, guarded by mu. */
struct ctr_shared {
	pthread_mutex_t mu;
	pthread_cond_t wake;         /* the Redis thread sleeps on it */
	pthread_condattr_t mono;     /* CLOCK_MONOTONIC, for every condvar here */
	bool started, stop;
	pthread_t thread;
	struct ctr_optcopy opt;
	unsigned gen;                /* +1 per (re)configuration */
	struct ctr_qent **q;         /* ring of qcap entries */
	size_t qcap, qhead, qlen;
	bool q_overflow;             /* in a queue overflow episode */
	unsigned long long q_overflow_drops;
	uint64_t next_ticket;
	struct ctr_waiter *waiters;
	unsigned nwaiting;           /* of them, blocked in collect() without their count */
	bool up;                     /* connected and taking writes ... */
	unsigned up_gen;             /* ... with the options of this generation */
	struct ctr_stats st;
};

extern struct ctr_shared ctrq;

/* Is Redis up for the current options? (caller holds ctrq.mu) */
static inline bool ctr_is_up(void)
{
	return ctrq.up && ctrq.up_gen == ctrq.gen;
}

int64_t ctr_now_ms(void);
struct timespec ctr_ms_to_ts(int64_t ms);
bool ctr_is_on(const char *server);
int ctr_opt_copy(struct ctr_optcopy *dst, const struct ctr_options *src);
void ctr_opt_free(struct ctr_optcopy *c);
/* Do a and b use the same connection (NULL strings count as "")? */
bool ctr_same_connection(const struct ctr_options *a, const struct ctr_options *b);
void *ctr_thread_main(void *arg);

#endif
