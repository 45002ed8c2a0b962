/*
 * counters: the side of the load counters that milter threads touch --
 * options, the bounded queue, ctr_count() and its bounded wait -- and
 * start / reconfigure / stop of the Redis thread (ctrthread.c).  Design,
 * key names and fault behaviour: counters.h.
 *
 * ctr_count() and ctr_begin()/ctr_end() build a message's keys into one
 * allocation (at most CTR_MAX_KEYS keys of CTR_KEY_MAX bytes), append it
 * to the ring ctrq.q (queue_size entries; full = dropped, counted, logged
 * once per episode), and if Redis is up and the caller wants the hour
 * count, link a waiter that the Redis thread hands the count to; the
 * caller collects it on the waiter's condition variable, waiting at most
 * timeout_ms.  Nothing here does I/O; ctrq.mu is held only to enqueue and
 * while waiting on the condvar.
 */
#include "autoconfig.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "counters.h"
#include "counters_int.h"
#include "log.h"

/* ------------------------------------------------------------ options */

void ctr_options_defaults(struct ctr_options *o)
{
	memset(o, 0, sizeof(*o));
	o->timeout_ms = CTR_DEFAULT_TIMEOUT_MS;
	o->io_timeout_ms = CTR_DEFAULT_IO_TIMEOUT_MS;
	o->key_prefix = CTR_DEFAULT_PREFIX;
	o->ttl[CTR_FAM_HOUR] = CTR_DEFAULT_TTL_HOUR;
	o->ttl[CTR_FAM_WEEK_HOUR] = CTR_DEFAULT_TTL_WEEK_HOUR;
	o->ttl[CTR_FAM_DAY] = CTR_DEFAULT_TTL_DAY;
	o->queue_size = CTR_DEFAULT_QUEUE_SIZE;
	o->backlog_size = CTR_DEFAULT_BACKLOG_SIZE;
}

bool ctr_is_on(const char *server)
{
	return server != NULL && *server != '\0';
}

int ctr_check_options(const struct ctr_options *o, char *err, size_t errsz)
{
	char host[256];
	int port;
	if (ctr_is_on(o->server) && ctr_parse_server(o->server, host, sizeof(host), &port, err, errsz) < 0)
		return -1;
	if (o->key_prefix != NULL && !ctr_is_prefix(o->key_prefix)) {
		snprintf(err, errsz, "bad key prefix (at most %d printable characters, no blanks)",
		         CTR_MAX_PREFIX);
		return -1;
	}
	if (o->database < 0 || o->timeout_ms < 1 || o->timeout_ms > 60000 ||
	    o->io_timeout_ms < 1 || o->io_timeout_ms > 600000 ||
	    o->queue_size < 1 || o->queue_size > 10000000 ||
	    o->backlog_size < CTR_MAX_KEYS || o->backlog_size > 100000000) {
		snprintf(err, errsz, "counter option out of range");
		return -1;
	}
	for (int i = 0; i < CTR_N_FAMILIES; i++)
		if (o->ttl[i] < 60 || o->ttl[i] > 100L * 365 * 86400) {
			snprintf(err, errsz, "counter TTL out of range (60 s to 100 years)");
			return -1;
		}
	return 0;
}

void ctr_opt_free(struct ctr_optcopy *c)
{
	free(c->server);
	free(c->password);
	free(c->prefix);
	memset(c, 0, sizeof(*c));
}

int ctr_opt_copy(struct ctr_optcopy *dst, const struct ctr_options *src)
{
	struct ctr_optcopy c = { .o = *src };
	c.server = strdup(src->server != NULL ? src->server : "");
	c.password = strdup(src->password != NULL ? src->password : "");
	c.prefix = strdup(src->key_prefix != NULL ? src->key_prefix : CTR_DEFAULT_PREFIX);
	if (c.server == NULL || c.password == NULL || c.prefix == NULL) {
		ctr_opt_free(&c);
		return -1;
	}
	c.o.server = c.server;
	c.o.password = c.password;
	c.o.key_prefix = c.prefix;
	ctr_opt_free(dst);
	*dst = c;
	return 0;
}

static const char *nz(const char *s)
{
	return s != NULL ? s : "";
}

bool ctr_same_connection(const struct ctr_options *a, const struct ctr_options *b)
{
	return strcmp(nz(a->server), nz(b->server)) == 0 &&
	       strcmp(nz(a->password), nz(b->password)) == 0 &&
	       a->database == b->database && a->io_timeout_ms == b->io_timeout_ms;
}

/* ------------------------------------------------------------ shared state */

struct ctr_shared ctrq = { .mu = PTHREAD_MUTEX_INITIALIZER };

int64_t ctr_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct timespec ctr_ms_to_ts(int64_t ms)
{
	struct timespec ts = { .tv_sec = (time_t)(ms / 1000), .tv_nsec = (long)(ms % 1000) * 1000000 };
	return ts;
}

/* Resizes the ring (caller holds ctrq.mu); entries that no longer fit are
 * dropped and counted. 0 or -1 (OOM: ring unchanged). */
static int ring_resize(size_t cap)
{
	struct ctr_qent **nq = calloc(cap, sizeof(*nq));
	if (nq == NULL)
		return -1;
	size_t n = 0;
	for (size_t i = 0; i < ctrq.qlen; i++) {
		struct ctr_qent *e = ctrq.q[(ctrq.qhead + i) % ctrq.qcap];
		if (n < cap) {
			nq[n++] = e;
		} else {
			free(e);
			ctrq.st.dropped_queue++;
		}
	}
	free(ctrq.q);
	ctrq.q = nq;
	ctrq.qcap = cap;
	ctrq.qhead = 0;
	ctrq.qlen = n;
	return 0;
}

/* ------------------------------------------------------------ milter side */

static int add_key(struct buf *b, struct ctr_qent *h, int len, const char *key, enum ctr_family fam)
{
	if (len < 0 || h->nkeys >= CTR_MAX_KEYS)
		return -1;
	h->family[h->nkeys] = (uint8_t)fam;
	h->off[h->nkeys] = (uint16_t)b->len;
	h->nkeys++;
	return buf_append(b, key, (size_t)len + 1);
}

static bool seen_before(const char *const *ids, size_t i)
{
	for (size_t j = 0; j < i; j++)
		if (ids[j] != NULL && strcmp(ids[j], ids[i]) == 0)
			return true;
	return false;
}

static int add_items(struct buf *b, struct ctr_qent *h, const char *prefix, const struct ctr_event *ev,
                     const char *kind, const char *const *ids, size_t n)
{
	char key[CTR_KEY_MAX];
	if (n > CTR_MAX_ITEMS)
		n = CTR_MAX_ITEMS;
	for (size_t i = 0; i < n; i++) {
		if (!ctr_is_id(ids[i])) {
			log_debug(NULL, "counters: %s id not counted (not [A-Za-z0-9._+-], 1 to %d characters)",
			          kind, CTR_MAX_ID);
			continue;
		}
		if (seen_before(ids, i))
			continue;
		int len = ctr_key_day(key, sizeof(key), prefix, ev->address, ev->year, ev->month,
		                      ev->day, kind, ids[i]);
		if (add_key(b, h, len, key, CTR_FAM_DAY) < 0)
			return -1;
	}
	return 0;
}

/* Which of a message's keys an entry carries: the arrival (hour, weekday x
 * hour, day) is known at the end of the headers, the verdict (priority,
 * categories, missing items) only at the end of the message. */
enum ctr_parts {
	CTR_PART_ARRIVAL = 1,
	CTR_PART_VERDICT = 2,
	CTR_PART_ALL = 3,
};

/* The message's keys in one allocation; NULL for a bad event or OOM.
 * With the arrival part, key 0 is the hour key. */
static struct ctr_qent *build_entry(const struct ctr_event *ev, const char *prefix, enum ctr_parts parts)
{
	int iy, iw;
	int iwd = ctr_iso_week(ev->year, ev->month, ev->day, &iy, &iw);
	if (iwd < 0 || iwd % 7 != ev->wday || ev->hour < 0 || ev->hour > 23 || !ctr_is_address(ev->address))
		return NULL;
	struct ctr_qent h = { .received = ev->received, .sign = 1 };
	struct buf b;
	buf_init(&b, (size_t)CTR_MAX_KEYS * CTR_KEY_MAX);
	char key[CTR_KEY_MAX];
	int rc = 0;
	if (parts & CTR_PART_ARRIVAL) {
		rc |= add_key(&b, &h, ctr_key_hour(key, sizeof(key), prefix, ev->address, ev->year,
		                                   ev->month, ev->day, ev->hour), key, CTR_FAM_HOUR);
		rc |= add_key(&b, &h, ctr_key_week_hour(key, sizeof(key), prefix, ev->address, iy, iw,
		                                        iwd, ev->hour), key, CTR_FAM_WEEK_HOUR);
		rc |= add_key(&b, &h, ctr_key_day(key, sizeof(key), prefix, ev->address, ev->year,
		                                  ev->month, ev->day, NULL, NULL), key, CTR_FAM_DAY);
	}
	if ((parts & CTR_PART_VERDICT) && ev->priority != NULL && *ev->priority != '\0') {
		if (ctr_is_id(ev->priority))
			rc |= add_key(&b, &h, ctr_key_day(key, sizeof(key), prefix, ev->address,
			                                  ev->year, ev->month, ev->day, "prio",
			                                  ev->priority), key, CTR_FAM_DAY);
		else
			log_debug(NULL, "counters: priority name not counted");
	}
	if ((parts & CTR_PART_VERDICT) && ev->n_categories > 0 && ev->categories != NULL)
		rc |= add_items(&b, &h, prefix, ev, "cat", ev->categories, ev->n_categories);
	if ((parts & CTR_PART_VERDICT) && ev->n_missing > 0 && ev->missing != NULL)
		rc |= add_items(&b, &h, prefix, ev, "miss", ev->missing, ev->n_missing);
	struct ctr_qent *e = NULL;
	if (rc == 0 && !b.failed && !b.truncated) {
		e = malloc(sizeof(*e) + b.len);
		if (e != NULL) {
			*e = h;
			memcpy(e->data, b.data, b.len);
		}
	}
	buf_free(&b);
	return e;
}

/* Counting is on: the prefix in use. */
static bool counting_on(char *prefix, size_t prefixsz, long *timeout_ms)
{
	pthread_mutex_lock(&ctrq.mu);
	bool on = ctrq.started && !ctrq.stop && ctr_is_on(ctrq.opt.o.server);
	if (on) {
		snprintf(prefix, prefixsz, "%s", ctrq.opt.prefix);
		if (timeout_ms != NULL)
			*timeout_ms = ctrq.opt.o.timeout_ms;
	}
	pthread_mutex_unlock(&ctrq.mu);
	return on;
}

/* Puts e on the queue for the Redis thread (which then owns it), or frees
 * it: 0 or -1.  With w and Redis up, w is linked to receive e's hour
 * count.  is_message: e starts a message (ctr_stats.events). */
static int enqueue(struct ctr_qent *e, struct ctr_waiter *w, bool is_message)
{
	pthread_mutex_lock(&ctrq.mu);
	if (!ctrq.started || ctrq.stop || !ctr_is_on(ctrq.opt.o.server)) {
		pthread_mutex_unlock(&ctrq.mu);
		free(e);
		return -1;
	}
	if (ctrq.qlen >= ctrq.qcap) {
		ctrq.st.dropped_queue++;
		ctrq.q_overflow_drops++;
		bool first = !ctrq.q_overflow;
		ctrq.q_overflow = true;
		size_t cap = ctrq.qcap;
		pthread_mutex_unlock(&ctrq.mu);
		free(e);
		if (first)
			log_warn(NULL, "counters: queue full (%zu messages): messages are not counted "
			         "until the Redis thread catches up", cap);
		return -1;
	}
	if (w != NULL && ctr_is_up()) {
		e->ticket = w->ticket = ++ctrq.next_ticket;
		w->done = false;
		w->blocked = false;
		pthread_cond_init(&w->cv, &ctrq.mono);
		w->prev = NULL;
		w->next = ctrq.waiters;
		if (ctrq.waiters != NULL)
			ctrq.waiters->prev = w;
		ctrq.waiters = w;
		w->linked = true;
	}
	ctrq.q[(ctrq.qhead + ctrq.qlen) % ctrq.qcap] = e;
	ctrq.qlen++;
	if (is_message)
		ctrq.st.events++;
	/* A wake-up of the Redis thread costs more than building the entry,
	 * and nobody waits yet, not even for a ticket: a ctr_begin's count is
	 * first wanted at its ctr_end (collect wakes the thread then).  So
	 * the entry is left for the thread's next round or its periodic look
	 * at the queue (every CTR_HOLD_MS); a filling queue wakes it at once. */
	if (ctrq.qlen * 2 >= ctrq.qcap)
		pthread_cond_signal(&ctrq.wake);
	pthread_mutex_unlock(&ctrq.mu);
	return 0;
}

/* Waits until w has its count or deadline_ms (CLOCK_MONOTONIC) passes,
 * and unlinks it: true with *value set when the count came. */
static bool collect(struct ctr_waiter *w, int64_t deadline_ms, long long *value)
{
	pthread_mutex_lock(&ctrq.mu);
	if (!w->linked) {
		pthread_mutex_unlock(&ctrq.mu);
		return false;
	}
	struct timespec deadline = ctr_ms_to_ts(deadline_ms);
	/* Not there yet: the round that carries this ticket is due now
	 * (ctrthread.c flush_due), and takes every arrival queued since. */
	if (!w->done) {
		w->blocked = true;
		ctrq.nwaiting++;
		pthread_cond_signal(&ctrq.wake);
	}
	while (!w->done && ctrq.started && !ctrq.stop)
		if (pthread_cond_timedwait(&w->cv, &ctrq.mu, &deadline) == ETIMEDOUT)
			break;
	if (w->blocked) {   /* gave up, or stopping */
		w->blocked = false;
		ctrq.nwaiting--;
	}
	if (w->prev != NULL)
		w->prev->next = w->next;
	else
		ctrq.waiters = w->next;
	if (w->next != NULL)
		w->next->prev = w->prev;
	w->linked = false;
	bool done = w->done;
	if (done) {
		*value = w->value;
		ctrq.st.answered++;
	}
	pthread_mutex_unlock(&ctrq.mu);
	pthread_cond_destroy(&w->cv);
	return done;
}

bool ctr_count(const struct ctr_event *ev, long long *this_hour)
{
	int64_t t0 = ctr_now_ms();
	char prefix[CTR_MAX_PREFIX + 1];
	long timeout = 0;
	if (ev == NULL || !counting_on(prefix, sizeof(prefix), &timeout))
		return false;
	struct ctr_qent *e = build_entry(ev, prefix, CTR_PART_ALL);
	if (e == NULL) {
		log_debug(NULL, "counters: event not counted (invalid date, hour, weekday or address, or out of memory)");
		return false;
	}
	struct ctr_waiter w = { .linked = false };
	if (enqueue(e, this_hour != NULL ? &w : NULL, true) < 0)
		return false;
	return collect(&w, t0 + timeout, this_hour);
}

struct ctr_pending {
	struct ctr_waiter w;
	struct ctr_qent *undo;   /* the arrival keys again, to take back */
	char prefix[CTR_MAX_PREFIX + 1];
};

/* A copy of a queue entry (its keys end with the last key's NUL). */
static struct ctr_qent *qent_dup(const struct ctr_qent *e)
{
	size_t len = 0;
	if (e->nkeys > 0) {
		const char *last = e->data + e->off[e->nkeys - 1];
		len = (size_t)(last - e->data) + strlen(last) + 1;
	}
	struct ctr_qent *c = malloc(sizeof(*c) + len);
	if (c != NULL)
		memcpy(c, e, sizeof(*c) + len);
	return c;
}

struct ctr_pending *ctr_begin(const struct ctr_event *ev)
{
	char prefix[CTR_MAX_PREFIX + 1];
	if (ev == NULL || !counting_on(prefix, sizeof(prefix), NULL))
		return NULL;
	struct ctr_pending *p = calloc(1, sizeof(*p));
	struct ctr_qent *e = build_entry(ev, prefix, CTR_PART_ARRIVAL);
	struct ctr_qent *undo = e != NULL ? qent_dup(e) : NULL;
	if (p == NULL || e == NULL || undo == NULL) {
		log_debug(NULL, "counters: event not counted (invalid date, hour, weekday or address, or out of memory)");
		free(p);
		free(e);
		free(undo);
		return NULL;
	}
	undo->sign = -1;
	p->undo = undo;
	snprintf(p->prefix, sizeof(p->prefix), "%s", prefix);
	if (enqueue(e, &p->w, true) < 0) {
		free(undo);
		free(p);
		return NULL;
	}
	return p;
}

bool ctr_end(struct ctr_pending *p, const struct ctr_event *ev, long long *this_hour)
{
	if (p == NULL)
		return false;
	long timeout = 0;
	char prefix[CTR_MAX_PREFIX + 1];
	bool on = counting_on(prefix, sizeof(prefix), &timeout);
	if (on && ev != NULL) {
		/* The prefix the arrival was counted under: a reload in between
		 * does not split one message over two prefixes. */
		struct ctr_qent *e = build_entry(ev, p->prefix, CTR_PART_VERDICT);
		if (e != NULL && e->nkeys > 0)
			(void)enqueue(e, NULL, false);
		else
			free(e);
	}
	long long v = 0;
	bool wait = on && this_hour != NULL;
	bool got = collect(&p->w, ctr_now_ms() + (wait ? timeout : 0), &v);
	if (got && this_hour != NULL)
		*this_hour = v;
	free(p->undo);
	free(p);
	return got;
}

void ctr_cancel(struct ctr_pending *p)
{
	if (p == NULL)
		return;
	long long ignored;
	(void)collect(&p->w, ctr_now_ms(), &ignored);
	(void)enqueue(p->undo, NULL, false);
	free(p);
}

void ctr_get_stats(struct ctr_stats *out)
{
	pthread_mutex_lock(&ctrq.mu);
	*out = ctrq.st;
	out->up = ctr_is_up();
	out->queued = ctrq.qlen;
	pthread_mutex_unlock(&ctrq.mu);
}

/* ------------------------------------------------------------ control */

int ctr_start(const struct ctr_options *o)
{
	char err[256];
	if (ctr_check_options(o, err, sizeof(err)) < 0) {
		log_err(NULL, "counters: %s", err);
		return -1;
	}
	pthread_mutex_lock(&ctrq.mu);
	if (ctrq.started) {
		pthread_mutex_unlock(&ctrq.mu);
		log_err(NULL, "counters: already started");
		return -1;
	}
	memset(&ctrq.st, 0, sizeof(ctrq.st));
	ctrq.stop = false;
	ctrq.up = false;
	ctrq.q_overflow = false;
	ctrq.q_overflow_drops = 0;
	if (ctr_opt_copy(&ctrq.opt, o) < 0 || ring_resize((size_t)o->queue_size) < 0) {
		ctr_opt_free(&ctrq.opt);
		pthread_mutex_unlock(&ctrq.mu);
		log_err(NULL, "counters: out of memory");
		return -1;
	}
	pthread_condattr_init(&ctrq.mono);
	pthread_condattr_setclock(&ctrq.mono, CLOCK_MONOTONIC);
	pthread_cond_init(&ctrq.wake, &ctrq.mono);
	ctrq.gen++;
	int rc = pthread_create(&ctrq.thread, NULL, ctr_thread_main, NULL);
	if (rc != 0) {
		pthread_cond_destroy(&ctrq.wake);
		pthread_condattr_destroy(&ctrq.mono);
		ctr_opt_free(&ctrq.opt);
		free(ctrq.q);
		ctrq.q = NULL;
		ctrq.qcap = 0;
		pthread_mutex_unlock(&ctrq.mu);
		log_err(NULL, "counters: cannot start the Redis thread: %s", strerror(rc));
		return -1;
	}
	ctrq.started = true;
	pthread_mutex_unlock(&ctrq.mu);
	return 0;
}

void ctr_reconfigure(const struct ctr_options *o)
{
	char err[256];
	if (ctr_check_options(o, err, sizeof(err)) < 0) {
		log_err(NULL, "counters: %s; keeping the previous counter settings", err);
		return;
	}
	pthread_mutex_lock(&ctrq.mu);
	if (!ctrq.started) {
		pthread_mutex_unlock(&ctrq.mu);
		(void)ctr_start(o);
		return;
	}
	bool same = ctr_is_on(o->server) && ctr_same_connection(&ctrq.opt.o, o);
	int rc = ctr_opt_copy(&ctrq.opt, o);
	if (rc == 0 && (size_t)o->queue_size != ctrq.qcap)
		rc = ring_resize((size_t)o->queue_size);
	/* The connection stays: messages may go on waiting for their count. */
	if (same && ctrq.up_gen == ctrq.gen)
		ctrq.up_gen++;
	ctrq.gen++;
	pthread_cond_signal(&ctrq.wake);
	pthread_mutex_unlock(&ctrq.mu);
	if (rc < 0)
		log_err(NULL, "counters: out of memory applying the new counter settings");
}

void ctr_stop(void)
{
	pthread_mutex_lock(&ctrq.mu);
	if (!ctrq.started) {
		pthread_mutex_unlock(&ctrq.mu);
		return;
	}
	ctrq.stop = true;
	pthread_cond_signal(&ctrq.wake);
	pthread_mutex_unlock(&ctrq.mu);
	pthread_join(ctrq.thread, NULL);
	pthread_mutex_lock(&ctrq.mu);
	while (ctrq.qlen > 0) {
		free(ctrq.q[ctrq.qhead]);
		ctrq.qhead = (ctrq.qhead + 1) % ctrq.qcap;
		ctrq.qlen--;
	}
	free(ctrq.q);
	ctrq.q = NULL;
	ctrq.qcap = ctrq.qhead = 0;
	ctr_opt_free(&ctrq.opt);
	ctrq.started = false;
	ctrq.up = false;
	pthread_cond_destroy(&ctrq.wake);
	pthread_condattr_destroy(&ctrq.mono);
	pthread_mutex_unlock(&ctrq.mu);
}
