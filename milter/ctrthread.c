/*
 * ctrthread: the one thread that owns the Redis connection (counters.h
 * explains the design; counters.c feeds it).
 *
 * Each loop: sleep until the queue has entries, options changed, a
 * reconnect is due or a round is due (below); move up to CTR_TAKE_MAX
 * queue entries into the pending table (one entry per distinct key with
 * its delta: an outage costs one entry per key touched, not per message);
 * then, connected and a round due, freeze the pending table into batches of at most
 * CTR_BATCH_MAX keys, each with a fresh token, and send up to
 * CTR_PIPE_MAX batches (plus a DEL of acknowledged tokens) in one round
 * trip.  A batch leaves the outbox only when Redis answered it (or
 * refused it for good); pending + outbox never exceed backlog_size keys.
 * One round per loop, so a long backlog flush never starves the queue.
 *
 * A round is due at once when a message is waiting for its hour count
 * (a ticketed entry is pending and a ctr_end or ctr_count is blocked on
 * it), the outbox is not empty, the connection is new or Redis was not
 * (yet) reported up, or the pending table is big (CTR_HOLD_KEYS, or half
 * the backlog).  Otherwise what is pending and the tokens to delete are
 * held at most CTR_HOLD_MS after the oldest of them was taken, so that
 * they go with the next round that must go anyway.  That includes the
 * arrivals of messages still being received (ctr_begin, at DATA): a busy
 * MTA's arrivals then share the round that the first of them to reach its
 * end asks for, and most messages find their count already there (through
 * Postfix on the bench, one round per three short mails or four 300 KB
 * ones, instead of one each); a message's verdict keys ride along with a
 * later round.
 * Stop flushes everything regardless.
 *
 * The connection is blocking with io_timeout_ms on every call; a failed
 * call or a refusing reply (OOM, READONLY, ...) drops the connection and
 * schedules a reconnect with exponential backoff (CTR_BACKOFF_*).
 */
#include "autoconfig.h"

#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "counters.h"
#include "counters_int.h"
#include "log.h"

/* Applies one batch: a new token first, so that a resent batch is a
 * no-op.  The token's SET is the script's first write, so a refusing
 * server (OOM, READONLY) fails the whole script before anything is
 * written; a counter that cannot be incremented (its key holds something
 * else) gives an error element and does not stop the others. */
static const char BATCH_SCRIPT[] =
	"if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then return false end\n"
	"local r = {}\n"
	"for i = 2, #KEYS do\n"
	"  local v = redis.pcall('INCRBY', KEYS[i], ARGV[2 * i - 2])\n"
	"  if type(v) == 'number' then redis.call('EXPIRE', KEYS[i], ARGV[2 * i - 1]) end\n"
	"  r[i - 1] = v\n"
	"end\n"
	"return r\n";

struct pent {
	char *key;
	long long delta;
	uint8_t fam;
};

/* A message waiting for its hour count: the hour key's entry, and the
 * message's rank among that entry's increments. */
struct wrec {
	uint64_t ticket;
	size_t idx;
	long long ord;
};

struct pending {
	struct pent *e;          /* in arrival order */
	size_t n, cap;
	uint32_t *slot;          /* open addressing: entry index + 1, 0 = free */
	size_t nslot;            /* a power of two, 2 * cap */
	struct wrec *w;
	size_t nw, wcap;
	size_t nticket;          /* merged entries whose message wants its count */
};

struct batch {
	struct batch *next;
	char token[CTR_MAX_PREFIX + 48];
	struct pent *e;
	size_t n;
	struct wrec *w;          /* idx relative to this batch */
	size_t nw;
};

struct rt {
	struct ctr_optcopy opt;
	unsigned gen;
	redisContext *c;
	bool connected_once;
	bool in_outage;
	time_t outage_oldest;            /* earliest receipt time counted while out */
	int64_t outage_start, next_try;
	long backoff;
	bool backlog_full;               /* in a backlog overflow episode */
	unsigned long long backlog_drops; /* messages dropped in it */
	int64_t refused_logged_at;        /* last "refused" warning */
	long long refused_quiet;          /* increments refused since, not logged */
	struct pending p;
	struct batch *head, *tail;
	size_t out_keys;
	char *del[CTR_DEL_MAX];
	size_t ndel;
	bool del_refused;                /* the last DEL was refused: the tokens go with the next batch */
	int64_t hold_since;              /* oldest pending key or token taken (0: none) */
	uint64_t instance;
	unsigned long long seq;
	/* not yet published to ctrq.st */
	unsigned long long d_backlog, d_error, d_batches, d_outages;
};

static uint32_t fnv1a(const char *s)
{
	uint32_t h = 2166136261u;
	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

static size_t pend_slot(const struct pending *p, const char *key, uint32_t h)
{
	size_t mask = p->nslot - 1, i = h & mask;
	while (p->slot[i] != 0 && strcmp(p->e[p->slot[i] - 1].key, key) != 0)
		i = (i + 1) & mask;
	return i;
}

static int pend_grow(struct pending *p, size_t need)
{
	size_t cap = p->cap != 0 ? p->cap : 64;
	while (cap < need)
		cap *= 2;
	if (cap == p->cap)
		return 0;
	struct pent *e = realloc(p->e, cap * sizeof(*e));
	if (e == NULL)
		return -1;
	p->e = e;
	uint32_t *slot = calloc(cap * 2, sizeof(*slot));
	if (slot == NULL)
		return -1;
	free(p->slot);
	p->slot = slot;
	p->nslot = cap * 2;
	p->cap = cap;
	for (size_t i = 0; i < p->n; i++)
		p->slot[pend_slot(p, p->e[i].key, fnv1a(p->e[i].key))] = (uint32_t)(i + 1);
	return 0;
}

static void pend_release(struct pending *p, bool free_keys)
{
	if (free_keys)
		for (size_t i = 0; i < p->n; i++)
			free(p->e[i].key);
	free(p->e);
	free(p->slot);
	free(p->w);
	memset(p, 0, sizeof(*p));
}

static void backlog_dropped(struct rt *r)
{
	r->d_backlog++;
	r->backlog_drops++;
	if (!r->backlog_full) {
		r->backlog_full = true;
		log_warn(NULL, "counters: backlog full (%ld counter keys): messages are not counted "
		         "until Redis takes the backlog", r->opt.o.backlog_size);
	}
}

/* Adds one message's increments to the pending table, all or nothing. */
static void merge(struct rt *r, const struct ctr_qent *q)
{
	struct pending *p = &r->p;
	uint32_t h[CTR_MAX_KEYS];
	size_t fresh = 0;
	for (unsigned k = 0; k < q->nkeys; k++) {
		h[k] = fnv1a(q->data + q->off[k]);
		if (p->nslot == 0 || p->slot[pend_slot(p, q->data + q->off[k], h[k])] == 0)
			fresh++;
	}
	if (p->n + r->out_keys + fresh > (size_t)r->opt.o.backlog_size ||
	    pend_grow(p, p->n + fresh) < 0) {
		backlog_dropped(r);
		return;
	}
	for (unsigned k = 0; k < q->nkeys; k++) {
		const char *key = q->data + q->off[k];
		size_t i = pend_slot(p, key, h[k]);
		if (p->slot[i] == 0) {
			char *dup = strdup(key);
			if (dup == NULL) {
				/* Out of memory half-way: the rest of this message is lost. */
				backlog_dropped(r);
				return;
			}
			p->e[p->n] = (struct pent){ .key = dup, .delta = 0, .fam = q->family[k] };
			p->slot[i] = (uint32_t)++p->n;
		}
		p->e[p->slot[i] - 1].delta += q->sign;
	}
	if (r->in_outage && q->received > 0 && (r->outage_oldest == 0 || q->received < r->outage_oldest))
		r->outage_oldest = q->received;
	if (q->ticket != 0)
		p->nticket++;
	if (q->ticket != 0 && p->nw < CTR_WREC_MAX) {
		if (p->nw == p->wcap) {
			size_t cap = p->wcap != 0 ? p->wcap * 2 : 16;
			struct wrec *w = realloc(p->w, cap * sizeof(*w));
			if (w == NULL)
				return;
			p->w = w;
			p->wcap = cap;
		}
		size_t idx = p->slot[pend_slot(p, q->data + q->off[0], h[0])] - 1;
		p->w[p->nw++] = (struct wrec){ .ticket = q->ticket, .idx = idx, .ord = p->e[idx].delta };
	}
}

static void batch_free(struct batch *b)
{
	if (b == NULL)
		return;
	for (size_t i = 0; i < b->n; i++)
		free(b->e[i].key);
	free(b->e);
	free(b->w);
	free(b);
}

/* Moves the pending table into frozen batches at the end of the outbox.
 * -1 (pending unchanged) on OOM. */
static int freeze(struct rt *r)
{
	struct pending *p = &r->p;
	size_t nb = (p->n + CTR_BATCH_MAX - 1) / CTR_BATCH_MAX;
	struct batch *first = NULL, **link = &first;
	for (size_t bi = 0; bi < nb; bi++) {
		struct batch *b = calloc(1, sizeof(*b));
		if (b == NULL)
			goto oom;
		*link = b;
		link = &b->next;
		b->n = p->n - bi * CTR_BATCH_MAX < CTR_BATCH_MAX ? p->n - bi * CTR_BATCH_MAX : CTR_BATCH_MAX;
		for (size_t i = 0; i < p->nw; i++)
			if (p->w[i].idx / CTR_BATCH_MAX == bi)
				b->nw++;
		b->e = malloc(b->n * sizeof(*b->e));
		b->w = b->nw > 0 ? malloc(b->nw * sizeof(*b->w)) : NULL;
		if (b->e == NULL || (b->nw > 0 && b->w == NULL))
			goto oom;
	}
	size_t bi = 0;
	for (struct batch *b = first; b != NULL; b = b->next, bi++) {
		memcpy(b->e, p->e + bi * CTR_BATCH_MAX, b->n * sizeof(*b->e));
		size_t k = 0;
		for (size_t i = 0; i < p->nw; i++)
			if (p->w[i].idx / CTR_BATCH_MAX == bi) {
				b->w[k] = p->w[i];
				b->w[k++].idx %= CTR_BATCH_MAX;
			}
		snprintf(b->token, sizeof(b->token), "%stok:%016" PRIx64 ":%llu",
		         r->opt.prefix, r->instance, ++r->seq);
		r->out_keys += b->n;
		if (r->tail != NULL)
			r->tail->next = b;
		else
			r->head = b;
		r->tail = b;
	}
	if (p->cap > 1024) {
		/* Give back what a long outage took. */
		pend_release(p, false);
	} else {
		p->n = 0;
		p->nw = 0;
		p->nticket = 0;
		if (p->slot != NULL)
			memset(p->slot, 0, p->nslot * sizeof(*p->slot));
	}
	return 0;
oom:
	while (first != NULL) {
		struct batch *next = first->next;
		first->n = 0;   /* the keys still belong to the pending table */
		batch_free(first);
		first = next;
	}
	return -1;
}

/* "Up" holds for the options generation the thread works with: right
 * after a reconfigure nobody waits on the old connection's state. */
static void set_up(const struct rt *r, bool up)
{
	pthread_mutex_lock(&ctrq.mu);
	ctrq.up = up;
	ctrq.up_gen = r->gen;
	pthread_mutex_unlock(&ctrq.mu);
}

static void publish(struct rt *r)
{
	pthread_mutex_lock(&ctrq.mu);
	ctrq.st.dropped_backlog += r->d_backlog;
	ctrq.st.dropped_error += r->d_error;
	ctrq.st.batches += r->d_batches;
	ctrq.st.outages += r->d_outages;
	ctrq.st.backlog_keys = r->p.n + r->out_keys;
	pthread_mutex_unlock(&ctrq.mu);
	r->d_backlog = r->d_error = r->d_batches = r->d_outages = 0;
}

static void disconnect(struct rt *r)
{
	if (r->c != NULL) {
		redisFree(r->c);
		r->c = NULL;
	}
	set_up(r, false);
}

static void go_down(struct rt *r, const char *why)
{
	disconnect(r);
	int64_t now = ctr_now_ms();
	r->next_try = now + r->backoff;
	r->backoff = r->backoff * 2 < CTR_BACKOFF_MAX_MS ? r->backoff * 2 : CTR_BACKOFF_MAX_MS;
	if (r->in_outage) {
		log_debug(NULL, "counters: Redis %s still unavailable: %s", r->opt.server, why);
		return;
	}
	r->in_outage = true;
	r->outage_start = now;
	r->d_outages++;
	log_warn(NULL, "counters: Redis %s: %s; counting in memory until it takes writes again "
	         "(backlog up to %ld counter keys)", r->opt.server, why, r->opt.o.backlog_size);
}

/* Writes succeed (again). */
static void came_back(struct rt *r, size_t written)
{
	r->backoff = CTR_BACKOFF_MIN_MS;
	if (r->in_outage) {
		r->in_outage = false;
		char oldest[64] = "";
		if (r->outage_oldest != 0)
			snprintf(oldest, sizeof(oldest), ", the oldest for a message received %ld s ago",
			         (long)(time(NULL) - r->outage_oldest));
		log_info(NULL, "counters: Redis %s takes writes again after %.1f s; writing the "
		         "%zu counter keys kept meanwhile%s", r->opt.server,
		         (double)(ctr_now_ms() - r->outage_start) / 1000.0,
		         written + r->p.n + r->out_keys, oldest);
		r->outage_oldest = 0;
	}
	if (r->backlog_full && r->p.n + r->out_keys == 0) {
		r->backlog_full = false;
		log_info(NULL, "counters: backlog written; %llu messages could not be counted "
		         "while it was full", r->backlog_drops);
		r->backlog_drops = 0;
	}
	set_up(r, true);
}

static void try_connect(struct rt *r)
{
	char err[256];
	redisContext *c = ctr_redis_connect(r->opt.server, r->opt.password, r->opt.o.database,
	                                    r->opt.o.io_timeout_ms, err, sizeof(err));
	if (c == NULL) {
		go_down(r, err);
		return;
	}
	r->c = c;
	if (!r->in_outage && !r->connected_once)
		log_info(NULL, "counters: connected to Redis %s", r->opt.server);
	r->connected_once = true;
}

static bool is_transient(const char *err)
{
	static const char *const codes[] = {
		"OOM", "READONLY", "NOAUTH", "WRONGPASS", "NOPERM", "LOADING", "BUSY",
		"MASTERDOWN", "MISCONF", "NOREPLICAS", "TRYAGAIN", "CLUSTERDOWN",
	};
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		size_t n = strlen(codes[i]);
		if (strncmp(err, codes[i], n) == 0 && (err[n] == ' ' || err[n] == '\0'))
			return true;
		/* Older servers wrap a script's error: "... @user_script:1: -OOM ..." */
		for (const char *p = strstr(err, codes[i]); p != NULL; p = strstr(p + 1, codes[i]))
			if (p > err && p[-1] == '-' && (p[n] == ' ' || p[n] == '\0'))
				return true;
	}
	return false;
}

static int append_batch(struct rt *r, const struct batch *b)
{
	size_t argc = 5 + 3 * b->n;
	const char **argv = malloc(argc * sizeof(*argv));
	char (*num)[24] = malloc((2 * b->n + 2) * sizeof(*num));
	int rc = -1;
	if (argv != NULL && num != NULL) {
		size_t a = 0;
		argv[a++] = "EVAL";
		argv[a++] = BATCH_SCRIPT;
		snprintf(num[0], sizeof(num[0]), "%zu", b->n + 1);
		argv[a++] = num[0];
		argv[a++] = b->token;
		for (size_t i = 0; i < b->n; i++)
			argv[a++] = b->e[i].key;
		snprintf(num[1], sizeof(num[1]), "%d", CTR_TOKEN_TTL);
		argv[a++] = num[1];
		for (size_t i = 0; i < b->n; i++) {
			snprintf(num[2 + 2 * i], sizeof(num[0]), "%lld", b->e[i].delta);
			snprintf(num[3 + 2 * i], sizeof(num[0]), "%ld", r->opt.o.ttl[b->e[i].fam]);
			argv[a++] = num[2 + 2 * i];
			argv[a++] = num[3 + 2 * i];
		}
		rc = redisAppendCommandArgv(r->c, (int)a, argv, NULL) == REDIS_OK ? 0 : -1;
	}
	free(argv);
	free(num);
	return rc;
}

/* Hands the hour counts to the messages still waiting for them. */
static void deliver(const struct batch *b, const redisReply *rep)
{
	if (b->nw == 0)
		return;
	pthread_mutex_lock(&ctrq.mu);
	for (size_t i = 0; i < b->nw; i++) {
		const struct wrec *w = &b->w[i];
		const redisReply *el = rep->element[w->idx];
		if (el->type != REDIS_REPLY_INTEGER)
			continue;
		for (struct ctr_waiter *x = ctrq.waiters; x != NULL; x = x->next)
			if (x->ticket == w->ticket) {
				x->value = el->integer - b->e[w->idx].delta + w->ord;
				x->done = true;
				/* At once, not when x wakes: a round the thread
				 * would send meanwhile would carry no one's count. */
				if (x->blocked) {
					x->blocked = false;
					ctrq.nwaiting--;
				}
				pthread_cond_signal(&x->cv);
				break;
			}
	}
	pthread_mutex_unlock(&ctrq.mu);
}

static void forget_token(struct rt *r, const char *token)
{
	/* A token not deleted expires by itself (CTR_TOKEN_TTL). */
	if (r->ndel < CTR_DEL_MAX && (r->del[r->ndel] = strdup(token)) != NULL)
		r->ndel++;
}

/* Increments Redis will never take (a counter key holding something
 * else): dropped, counted, and logged at most once per
 * CTR_REFUSED_LOG_MS, since every later batch may hit the same key. */
static void refused(struct rt *r, long long increments, const char *why)
{
	r->d_error += (unsigned long long)increments;
	int64_t now = ctr_now_ms();
	if (r->refused_logged_at != 0 && now - r->refused_logged_at < CTR_REFUSED_LOG_MS) {
		r->refused_quiet += increments;
		return;
	}
	log_warn(NULL, "counters: Redis %s refused %lld counter increments (%s); they are "
	         "dropped (%lld more since the last such warning)", r->opt.server, increments,
	         why, r->refused_quiet);
	r->refused_logged_at = now;
	r->refused_quiet = 0;
}

/* What to do with the head batch given its reply: 0 done with it, -1
 * keep it (Redis refuses for now; reason in why). */
static int handle_reply(struct rt *r, const struct batch *b, const redisReply *rep,
                        char *why, size_t whysz)
{
	long long all = 0;
	for (size_t i = 0; i < b->n; i++)
		all += b->e[i].delta;
	switch (rep->type) {
	case REDIS_REPLY_ARRAY:
		if (rep->elements != b->n)
			break;
		deliver(b, rep);
		long long bad = 0;
		const char *first = NULL;
		for (size_t i = 0; i < b->n; i++)
			if (rep->element[i]->type != REDIS_REPLY_INTEGER) {
				bad += b->e[i].delta;
				if (first == NULL)
					first = rep->element[i]->type == REDIS_REPLY_ERROR
					        ? rep->element[i]->str : "unexpected reply";
			}
		if (bad > 0)
			refused(r, bad, first);
		forget_token(r, b->token);
		r->d_batches++;
		return 0;
	case REDIS_REPLY_NIL:
		/* Its token exists: an earlier send was applied, its reply lost. */
		forget_token(r, b->token);
		r->d_batches++;
		return 0;
	case REDIS_REPLY_ERROR:
		if (is_transient(rep->str)) {
			snprintf(why, whysz, "%s", rep->str);
			return -1;
		}
		break;
	default:
		break;
	}
	/* Not retried: the same batch would be refused again and block the rest. */
	forget_token(r, b->token);
	refused(r, all, rep->type == REDIS_REPLY_ERROR ? rep->str : "unexpected reply");
	return 0;
}

/* Why the connection failed, in words an operator can act on. */
static void io_failure(const struct rt *r, char *why, size_t whysz)
{
	const redisContext *c = r->c;
	if (c->err == REDIS_ERR_IO && (strstr(c->errstr, "temporarily unavailable") != NULL ||
	                               strstr(c->errstr, "timed out") != NULL))
		snprintf(why, whysz, "no answer within %ld ms", r->opt.o.io_timeout_ms);
	else
		snprintf(why, whysz, "%s", c->errstr[0] != '\0' ? c->errstr : "no reply");
}

/* One round trip: the tokens to delete and up to CTR_PIPE_MAX batches. 0 when
 * Redis answered all; -1 (reason in why) when the connection failed or
 * Redis refuses: the batches not answered stay in the outbox. */
static int send_round(struct rt *r, size_t *written, char *why, size_t whysz)
{
	redisContext *c = r->c;
	/* Tokens leave the list only once Redis confirmed their DEL. */
	size_t ndel = r->ndel;
	bool del = ndel > 0;
	*written = 0;
	if (del) {
		const char *argv[1 + CTR_DEL_MAX];
		argv[0] = "DEL";
		for (size_t i = 0; i < ndel; i++)
			argv[1 + i] = r->del[i];
		if (redisAppendCommandArgv(c, (int)(1 + ndel), argv, NULL) != REDIS_OK) {
			snprintf(why, whysz, "%s", c->errstr[0] != '\0' ? c->errstr : "out of memory");
			return -1;
		}
	}
	size_t nb = 0;
	for (const struct batch *b = r->head; b != NULL && nb < CTR_PIPE_MAX; b = b->next, nb++)
		if (append_batch(r, b) < 0) {
			snprintf(why, whysz, "%s", c->errstr[0] != '\0' ? c->errstr : "out of memory");
			return -1;
		}
	for (size_t i = 0; i < nb + del; i++) {
		redisReply *rep = NULL;
		if (redisGetReply(c, (void **)&rep) != REDIS_OK || rep == NULL) {
			io_failure(r, why, whysz);
			return -1;
		}
		if (del && i == 0) {
			/* Refused for now (READONLY, ...): the tokens stay for a
			 * later round, but do not call for one by themselves (an ACL
			 * denying DEL alone would have them sent forever). */
			r->del_refused = rep->type == REDIS_REPLY_ERROR && is_transient(rep->str);
			freeReplyObject(rep);
			if (r->del_refused)
				continue;
			for (size_t k = 0; k < ndel; k++)
				free(r->del[k]);
			memmove(r->del, r->del + ndel, (r->ndel - ndel) * sizeof(r->del[0]));
			r->ndel -= ndel;
			continue;
		}
		struct batch *b = r->head;
		int rc = handle_reply(r, b, rep, why, whysz);
		freeReplyObject(rep);
		if (rc < 0)
			return -1;
		r->head = b->next;
		if (r->head == NULL)
			r->tail = NULL;
		r->out_keys -= b->n;
		*written += b->n;
		batch_free(b);
	}
	return 0;
}

static bool has_work(const struct rt *r)
{
	return r->p.n > 0 || r->head != NULL || (r->ndel > 0 && !r->del_refused);
}

/* Starts the hold clock when something waits to be sent, stops it when
 * nothing does. */
static void note_held(struct rt *r, int64_t now)
{
	if (r->p.n == 0 && (r->ndel == 0 || r->del_refused))
		r->hold_since = 0;
	else if (r->hold_since == 0)
		r->hold_since = now;
}

/* Connected and reported up: must a round go now (the file's comment)?
 * nwaiting is ctrq.nwaiting, read under ctrq.mu.  Outage recovery and the
 * first round of a connection are decided by the caller (Redis not
 * reported up). */
static bool flush_due(const struct rt *r, unsigned nwaiting, int64_t now)
{
	const struct pending *p = &r->p;
	return (p->nticket > 0 && nwaiting > 0) || r->head != NULL || r->in_outage ||
	       p->n >= CTR_HOLD_KEYS ||
	       2 * (p->n + r->out_keys) >= (size_t)r->opt.o.backlog_size ||
	       (r->hold_since != 0 && now - r->hold_since >= CTR_HOLD_MS);
}

static void flush_round(struct rt *r)
{
	char why[256];
	size_t written = 0;
	if (r->p.n > 0 && freeze(r) < 0)
		log_warn(NULL, "counters: out of memory; counter keys stay in the backlog");
	/* All that was held goes in this round (or stays in the outbox,
	 * which every round sends first). */
	r->hold_since = 0;
	if (r->head == NULL && r->ndel == 0) {
		came_back(r, 0);
		note_held(r, ctr_now_ms());
		return;
	}
	int rc = send_round(r, &written, why, sizeof(why));
	/* The tokens this round acknowledged wait for the next one. */
	note_held(r, ctr_now_ms());
	if (rc < 0) {
		go_down(r, why);
		return;
	}
	came_back(r, written);
}

static size_t discard_backlog(struct rt *r)
{
	size_t n = r->p.n + r->out_keys;
	pend_release(&r->p, true);
	while (r->head != NULL) {
		struct batch *b = r->head;
		r->head = b->next;
		batch_free(b);
	}
	r->tail = NULL;
	r->out_keys = 0;
	for (size_t i = 0; i < r->ndel; i++)
		free(r->del[i]);
	r->ndel = 0;
	r->del_refused = false;
	return n;
}

static void apply_options(struct rt *r, struct ctr_optcopy *fresh)
{
	bool reconnect = !ctr_is_on(r->opt.server) || !ctr_same_connection(&r->opt.o, &fresh->o);
	ctr_opt_free(&r->opt);
	r->opt = *fresh;
	if (!ctr_is_on(r->opt.server)) {
		disconnect(r);
		size_t n = discard_backlog(r);
		if (n > 0)
			log_info(NULL, "counters: Redis switched off; %zu counter keys not written", n);
		r->in_outage = false;
		return;
	}
	if (reconnect) {
		disconnect(r);
		r->in_outage = false;
		r->connected_once = false;
		r->backoff = CTR_BACKOFF_MIN_MS;
		r->next_try = 0;
	}
}

static uint64_t random64(void)
{
	uint64_t x;
	if (getrandom(&x, sizeof(x), GRND_NONBLOCK) == (ssize_t)sizeof(x))
		return x;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return ((uint64_t)getpid() << 32) ^ (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20);
}

/* Called with ctrq.mu held: sleeps until there is something to do. */
static void wait_for_work(struct rt *r)
{
	while (!ctrq.stop && ctrq.qlen == 0 && ctrq.gen == r->gen) {
		if (!ctr_is_on(r->opt.server)) {
			pthread_cond_wait(&ctrq.wake, &ctrq.mu);
		} else if (r->c != NULL) {
			if (!ctr_is_up() || flush_due(r, ctrq.nwaiting, ctr_now_ms()))
				return;
			/* Entries are queued without a wake-up until someone
			 * waits (counters.c enqueue, collect): look at the
			 * queue at least every CTR_HOLD_MS. */
			int64_t until = r->hold_since != 0 ? r->hold_since + CTR_HOLD_MS
			                                   : ctr_now_ms() + CTR_HOLD_MS;
			struct timespec ts = ctr_ms_to_ts(until);
			pthread_cond_timedwait(&ctrq.wake, &ctrq.mu, &ts);
		} else {
			if (ctr_now_ms() >= r->next_try)
				return;
			struct timespec ts = ctr_ms_to_ts(r->next_try);
			pthread_cond_timedwait(&ctrq.wake, &ctrq.mu, &ts);
		}
	}
}

/* Called with ctrq.mu held: moves up to max queue entries into take[]. */
static size_t take_queue(struct ctr_qent **take, size_t max)
{
	size_t n = 0;
	while (ctrq.qlen > 0 && n < max) {
		take[n++] = ctrq.q[ctrq.qhead];
		ctrq.qhead = (ctrq.qhead + 1) % ctrq.qcap;
		ctrq.qlen--;
	}
	return n;
}

static void merge_all(struct rt *r, struct ctr_qent **take, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		merge(r, take[i]);
		free(take[i]);
	}
}

/* At stop: what is queued joins the backlog, which gets one last chance. */
static void final_flush(struct rt *r, struct ctr_qent **take)
{
	for (;;) {
		pthread_mutex_lock(&ctrq.mu);
		size_t n = take_queue(take, CTR_TAKE_MAX);
		pthread_mutex_unlock(&ctrq.mu);
		if (n == 0)
			break;
		merge_all(r, take, n);
	}
	if (ctr_is_on(r->opt.server) && has_work(r)) {
		int64_t deadline = ctr_now_ms() + 2 * r->opt.o.io_timeout_ms;
		if (r->c == NULL)
			try_connect(r);
		while (r->c != NULL && has_work(r) && ctr_now_ms() < deadline)
			flush_round(r);
		size_t lost = r->p.n + r->out_keys;
		if (lost > 0)
			log_warn(NULL, "counters: stopping with %zu counter keys not written to Redis", lost);
	}
	disconnect(r);
	discard_backlog(r);
	publish(r);
	ctr_opt_free(&r->opt);
}

void *ctr_thread_main(void *arg)
{
	(void)arg;
	/* hiredis writes with write(2): a closed socket must give EPIPE, not
	 * kill the process (the milter ignores SIGPIPE anyway; tests may not). */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	struct rt r = { .backoff = CTR_BACKOFF_MIN_MS, .instance = random64() };
	struct ctr_qent *take[CTR_TAKE_MAX];
	pthread_mutex_lock(&ctrq.mu);
	for (;;) {
		wait_for_work(&r);
		bool stop = ctrq.stop;
		struct ctr_optcopy fresh = { 0 };
		bool newopt = false;
		if (ctrq.gen != r.gen) {
			newopt = ctr_opt_copy(&fresh, &ctrq.opt.o) == 0;
			r.gen = ctrq.gen;
		}
		/* Not reported up (new connection, outage, other server): a round
		 * now says so, and until then no message gets a ticket. */
		bool up = ctr_is_up();
		size_t n = take_queue(take, CTR_TAKE_MAX);
		unsigned nwaiting = ctrq.nwaiting;
		bool q_over_end = ctrq.q_overflow && ctrq.qlen == 0;
		unsigned long long q_drops = ctrq.q_overflow_drops;
		if (q_over_end) {
			ctrq.q_overflow = false;
			ctrq.q_overflow_drops = 0;
		}
		pthread_mutex_unlock(&ctrq.mu);

		if (q_over_end)
			log_info(NULL, "counters: queue drained; %llu messages could not be counted "
			         "while it was full", q_drops);
		if (newopt)
			apply_options(&r, &fresh);
		merge_all(&r, take, n);
		if (stop)
			break;
		note_held(&r, ctr_now_ms());
		if (ctr_is_on(r.opt.server)) {
			if (r.c == NULL && ctr_now_ms() >= r.next_try)
				try_connect(&r);
			if (r.c != NULL && (!up || flush_due(&r, nwaiting, ctr_now_ms())))
				flush_round(&r);
		}
		publish(&r);
		pthread_mutex_lock(&ctrq.mu);
	}
	final_flush(&r, take);
	return NULL;
}

