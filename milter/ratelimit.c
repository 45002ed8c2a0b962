/*
 * ratelimit: once per sender per period, and a global breaker (see
 * ratelimit.h).
 *
 * The in-process table stores a keyed 64-bit hash of each sender, not
 * the address (about 28 bytes per sender with the index, whatever the
 * address length), in insertion order in a ring; since every entry
 * lives for the same period, the oldest entry is also the first to
 * expire, so a full table forgets the oldest.  A bucket index (chained
 * through the ring slots) makes lookups O(1).  The hash key is random per
 * process so that nobody can aim collisions at a sender; a collision
 * would cost one reply, never send one twice.
 *
 * The breaker is a ring of the last N send times: a send is allowed when
 * the oldest of the last N is more than 10 minutes ago.
 *
 * Redis (hiredis 0.14, blocking, with the configured timeout): AUTH and
 * SELECT once per connection, then SET key 1 NX EX period per decision
 * (reply OK: allowed; nil: refused).  Any error closes the connection;
 * the next attempt waits RATELIMIT_RETRY seconds.  Only the sender
 * thread calls this, so a slow Redis delays replies, never mail.
 */
#include "autoconfig.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/time.h>

#include <hiredis/hiredis.h>

#include "config.h"
#include "log.h"
#include "ratelimit.h"

#define NIL UINT32_MAX

struct rl_entry {
	uint64_t hash;
	time_t expires;
	uint32_t next;   /* bucket chain */
	uint32_t bucket;
};

struct ratelimit {
	long period;
	long max_per_10min;

	/* in-process table */
	struct rl_entry *ring;
	uint32_t *buckets;
	size_t cap, n, head, nbuckets;
	uint64_t seed;

	/* breaker */
	time_t *sends;
	size_t n_sends, sends_head;

	/* Redis */
	char *host;       /* NULL: no Redis */
	char *unix_path;
	int port;
	char *password;
	long database;
	struct timeval timeout;
	char *prefix;
	redisContext *redis;
	time_t redis_retry_at;
	bool used_redis;
};

static uint64_t hash_key(const struct ratelimit *rl, const char *key)
{
	uint64_t h = rl->seed ^ 0xcbf29ce484222325ULL;
	for (const unsigned char *p = (const unsigned char *)key; *p != '\0'; p++) {
		h ^= *p;
		h *= 0x100000001b3ULL;
	}
	/* splitmix64 finalizer: spreads the bits FNV leaves clustered */
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebULL;
	h ^= h >> 31;
	return h;
}

/* RedisServer as config.c reads it (one syntax for every Redis user). */
static int parse_server(struct ratelimit *rl, const char *s)
{
	char host[256], err[200];
	int port;
	if (config_parse_redis_server(s, host, sizeof(host), &port, err, sizeof(err)) < 0) {
		log_err(NULL, "autoreply ratelimit: %s", err);
		return -1;
	}
	rl->port = port;
	if (port == 0)
		rl->unix_path = strdup(host);
	else
		rl->host = strdup(host);
	return rl->unix_path != NULL || rl->host != NULL ? 0 : -1;
}

struct ratelimit *ratelimit_new(const struct ratelimit_options *o)
{
	struct ratelimit *rl = calloc(1, sizeof(*rl));
	if (rl == NULL)
		return NULL;
	rl->period = o->period > 0 ? o->period : 86400;
	rl->max_per_10min = o->max_per_10min > 0 ? o->max_per_10min : 0;
	if (rl->max_per_10min > RATELIMIT_MAX_BREAKER)
		rl->max_per_10min = RATELIMIT_MAX_BREAKER;
	rl->cap = o->senders > 0 ? (size_t)o->senders : 1;
	if (rl->cap > RATELIMIT_MAX_SENDERS)
		rl->cap = RATELIMIT_MAX_SENDERS;
	rl->nbuckets = 16;
	while (rl->nbuckets < rl->cap)
		rl->nbuckets <<= 1;
	rl->ring = calloc(rl->cap, sizeof(*rl->ring));
	rl->buckets = malloc(rl->nbuckets * sizeof(*rl->buckets));
	if (rl->max_per_10min > 0)
		rl->sends = calloc((size_t)rl->max_per_10min, sizeof(*rl->sends));
	if (rl->ring == NULL || rl->buckets == NULL || (rl->max_per_10min > 0 && rl->sends == NULL))
		goto fail;
	for (size_t i = 0; i < rl->nbuckets; i++)
		rl->buckets[i] = NIL;
	if (getrandom(&rl->seed, sizeof(rl->seed), GRND_NONBLOCK) != (ssize_t)sizeof(rl->seed))
		rl->seed = (uint64_t)time(NULL) * 0x9e3779b97f4a7c15ULL ^ (uint64_t)(uintptr_t)rl;

	if (o->redis_server != NULL && o->redis_server[0] != '\0') {
		if (parse_server(rl, o->redis_server) < 0)
			goto fail;
		rl->password = strdup(o->redis_password != NULL ? o->redis_password : "");
		rl->prefix = strdup(o->redis_key_prefix != NULL ? o->redis_key_prefix : "");
		if (rl->password == NULL || rl->prefix == NULL)
			goto fail;
		rl->database = o->redis_database;
		long ms = o->redis_timeout_ms > 0 ? o->redis_timeout_ms : 20;
		rl->timeout.tv_sec = ms / 1000;
		rl->timeout.tv_usec = (ms % 1000) * 1000;
	}
	return rl;
fail:
	ratelimit_free(rl);
	return NULL;
}

void ratelimit_free(struct ratelimit *rl)
{
	if (rl == NULL)
		return;
	if (rl->redis != NULL)
		redisFree(rl->redis);
	free(rl->ring);
	free(rl->buckets);
	free(rl->sends);
	free(rl->host);
	free(rl->unix_path);
	free(rl->password);
	free(rl->prefix);
	free(rl);
}

/* ------------------------------------------------------------- the table */

static struct rl_entry *table_find(struct ratelimit *rl, uint64_t h)
{
	for (uint32_t i = rl->buckets[h & (rl->nbuckets - 1)]; i != NIL; i = rl->ring[i].next)
		if (rl->ring[i].hash == h)
			return &rl->ring[i];
	return NULL;
}

static void table_unlink(struct ratelimit *rl, uint32_t slot)
{
	uint32_t *link = &rl->buckets[rl->ring[slot].bucket];
	while (*link != NIL && *link != slot)
		link = &rl->ring[*link].next;
	if (*link == slot)
		*link = rl->ring[slot].next;
}

static void table_put(struct ratelimit *rl, uint64_t h, time_t expires)
{
	struct rl_entry *e = table_find(rl, h);
	if (e != NULL) {
		e->expires = expires;
		return;
	}
	uint32_t slot;
	if (rl->n == rl->cap) {
		slot = (uint32_t)rl->head;
		table_unlink(rl, slot);
		rl->head = (rl->head + 1) % rl->cap;
	} else {
		slot = (uint32_t)((rl->head + rl->n) % rl->cap);
		rl->n++;
	}
	uint32_t b = (uint32_t)(h & (rl->nbuckets - 1));
	rl->ring[slot] = (struct rl_entry){ .hash = h, .expires = expires, .next = rl->buckets[b], .bucket = b };
	rl->buckets[b] = slot;
}

/* --------------------------------------------------------------- redis */

/* Closes the connection after a failure; detail is Redis' error reply
 * when there was one. */
static void redis_drop(struct ratelimit *rl, time_t now, const char *what, const redisReply *r)
{
	const char *detail = r != NULL && r->type == REDIS_REPLY_ERROR && r->str != NULL ? r->str :
	                     rl->redis != NULL && rl->redis->errstr[0] != '\0' ? rl->redis->errstr : "error";
	log_warn(NULL, "autoreply ratelimit: redis %s: %.200s; using the in-process table for %d s", what,
	         detail, RATELIMIT_RETRY);
	if (rl->redis != NULL)
		redisFree(rl->redis);
	rl->redis = NULL;
	rl->redis_retry_at = now + RATELIMIT_RETRY;
}

static redisReply *redis_argv(struct ratelimit *rl, int argc, const char **argv)
{
	size_t len[8];
	for (int i = 0; i < argc; i++)
		len[i] = strlen(argv[i]);
	return redisCommandArgv(rl->redis, argc, argv, len);
}

static bool redis_connect(struct ratelimit *rl, time_t now)
{
	if (rl->redis != NULL)
		return true;
	if (now < rl->redis_retry_at)
		return false;
	rl->redis = rl->unix_path != NULL ? redisConnectUnixWithTimeout(rl->unix_path, rl->timeout)
	                                  : redisConnectWithTimeout(rl->host, rl->port, rl->timeout);
	if (rl->redis == NULL || rl->redis->err != 0 || redisSetTimeout(rl->redis, rl->timeout) != REDIS_OK) {
		redis_drop(rl, now, "connect", NULL);
		return false;
	}
	char db[32];
	snprintf(db, sizeof(db), "%ld", rl->database);
	const char *auth[] = { "AUTH", rl->password }, *sel[] = { "SELECT", db };
	if (rl->password[0] != '\0') {
		redisReply *r = redis_argv(rl, 2, auth);
		bool ok = r != NULL && r->type == REDIS_REPLY_STATUS;
		if (!ok)
			redis_drop(rl, now, "AUTH", r);
		if (r != NULL)
			freeReplyObject(r);
		if (!ok)
			return false;
	}
	if (rl->database != 0) {
		redisReply *r = redis_argv(rl, 2, sel);
		bool ok = r != NULL && r->type == REDIS_REPLY_STATUS;
		if (!ok)
			redis_drop(rl, now, "SELECT", r);
		if (r != NULL)
			freeReplyObject(r);
		if (!ok)
			return false;
	}
	log_info(NULL, "autoreply ratelimit: redis connected");
	return true;
}

static int redis_key(const struct ratelimit *rl, const char *key, char *out, size_t outsz)
{
	int n = snprintf(out, outsz, "%sautoreply:%s", rl->prefix, key);
	return n < 0 || (size_t)n >= outsz ? -1 : 0;
}

/* 1: set (first reply), 0: already there, -1: Redis unusable. */
static int redis_set_nx(struct ratelimit *rl, const char *key, time_t now)
{
	char k[600], ex[32];
	if (rl->host == NULL && rl->unix_path == NULL)
		return -1;
	if (!redis_connect(rl, now) || redis_key(rl, key, k, sizeof(k)) < 0)
		return -1;
	snprintf(ex, sizeof(ex), "%ld", rl->period);
	const char *argv[] = { "SET", k, "1", "NX", "EX", ex };
	redisReply *r = redis_argv(rl, 6, argv);
	int rc = -1;
	if (r != NULL && r->type == REDIS_REPLY_STATUS)
		rc = 1;
	else if (r != NULL && r->type == REDIS_REPLY_NIL)
		rc = 0;
	if (rc < 0)
		redis_drop(rl, now, "SET", r);
	if (r != NULL)
		freeReplyObject(r);
	return rc;
}

/* -------------------------------------------------------------- decisions */

static bool breaker_open(const struct ratelimit *rl, time_t now)
{
	if (rl->max_per_10min == 0 || rl->n_sends < (size_t)rl->max_per_10min)
		return false;
	return rl->sends[rl->sends_head] > now - RATELIMIT_WINDOW;
}

static void breaker_record(struct ratelimit *rl, time_t now)
{
	if (rl->max_per_10min == 0)
		return;
	size_t cap = (size_t)rl->max_per_10min;
	if (rl->n_sends < cap) {
		rl->sends[(rl->sends_head + rl->n_sends) % cap] = now;
		rl->n_sends++;
	} else {
		rl->sends[rl->sends_head] = now;
		rl->sends_head = (rl->sends_head + 1) % cap;
	}
}

enum ratelimit_result ratelimit_check(struct ratelimit *rl, const char *key, time_t now)
{
	rl->used_redis = false;
	if (breaker_open(rl, now))
		return RATELIMIT_BREAKER;
	uint64_t h = hash_key(rl, key);
	struct rl_entry *e = table_find(rl, h);
	if (e != NULL && e->expires > now)
		return RATELIMIT_SENDER;
	int set = redis_set_nx(rl, key, now);
	rl->used_redis = set >= 0;
	if (set == 0) {
		/* Another MTA (or an earlier run) answered this sender; remember
		 * it here too, for when Redis goes away. */
		table_put(rl, h, now + rl->period);
		return RATELIMIT_SENDER;
	}
	table_put(rl, h, now + rl->period);
	breaker_record(rl, now);
	return RATELIMIT_OK;
}

void ratelimit_release(struct ratelimit *rl, const char *key)
{
	struct rl_entry *e = table_find(rl, hash_key(rl, key));
	if (e != NULL)
		e->expires = 0;
	char k[600];
	if (rl->redis != NULL && redis_key(rl, key, k, sizeof(k)) == 0) {
		const char *argv[] = { "DEL", k };
		redisReply *r = redis_argv(rl, 2, argv);
		bool ok = r != NULL && r->type == REDIS_REPLY_INTEGER;
		if (!ok)
			redis_drop(rl, time(NULL), "DEL", r);
		if (r != NULL)
			freeReplyObject(r);
	}
}

const char *ratelimit_result_name(enum ratelimit_result r)
{
	switch (r) {
	case RATELIMIT_OK:
		return "ok";
	case RATELIMIT_SENDER:
		return "sender-limit";
	case RATELIMIT_BREAKER:
		return "breaker";
	}
	return "?";
}

bool ratelimit_used_redis(const struct ratelimit *rl)
{
	return rl->used_redis;
}
