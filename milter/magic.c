/*
 * magic: content typing with libmagic, from a small pool of handles.
 *
 * Owns: up to POOL_MAX magic_t handles, each opened and loaded with the
 * default database once (lazily, when every existing handle is busy) and
 * then kept until magic_shutdown().  A caller checks a handle out under
 * the pool's mutex, types one buffer with it, and returns it: a handle is
 * never used by two threads at once (libmagic handles are not
 * thread-safe), and none is loaded again per message or per thread.
 * (Per-thread handles were reloaded whenever libmilter's worker pool
 * ended a thread and started another: magic_load is far dearer than
 * typing.)  When all POOL_MAX handles are busy, callers wait on a
 * condition variable.  magic_load runs outside the mutex, so typing with
 * the other handles goes on meanwhile.  The one handle serves both
 * questions (MIME type and description): magic_setflags() is per handle
 * and set before each call.
 *
 * Inputs: a buffer and its length; libmagic looks at those bytes only (the
 * caller bounds them, attach.c passes at most its max_sniff prefix).
 * Outputs: the MIME type or description, NUL-terminated and truncated to
 * the caller's buffer.
 *
 * Flags: MAGIC_NO_CHECK_COMPRESS, so libmagic never decompresses a part
 * (gzip stays application/gzip; nothing is inflated or spawned for it);
 * tar, CDF (for application/msword etc.), ZIP and its OOXML/ODF
 * refinements stay on, as they are what make Office files come out right.
 * MAGIC_ERROR turns a database or read error into a failure instead of a
 * guess.
 *
 * Failure: no handle (database missing, out of memory) or a libmagic error
 * -> false, "application/octet-stream" (MIME) or "" (description); a
 * failed load takes no pool slot, so the next call tries again.
 * magic_preload() reports the reason at start-up.
 */
#include "autoconfig.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

/* libmagic's header: see the note at the end of our magic.h. */
#define SM_MAGIC_LIBMAGIC 1
#include <magic.h>
#include "magic.h"

#define FLAGS_COMMON (MAGIC_ERROR | MAGIC_NO_CHECK_COMPRESS)
#define FLAGS_MIME (FLAGS_COMMON | MAGIC_MIME_TYPE)
#define FLAGS_DESC FLAGS_COMMON

/* Typing 16 KiB takes 10-20 us for an image and 0.2-1.4 ms for text
 * (libmagic tries its text formats), so two handles type thousands of
 * parts a second, and only support mail is typed.  More handles cost
 * memory: each handle maps the 8 MB database privately and, typing
 * all sorts of content, comes to touch most of it, so every handle added
 * under a burst of concurrent typing raised the RSS by about 8 MB for good
 * (with up to 16 handles: 21 -> 28 MB in the soak test after 12,000
 * mails; 37-44 MB instead of 24 MB after 3 s of K = 16 direct load, at the
 * same throughput). */
#define POOL_MAX MAGIC_POOL_MAX

static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pool_free = PTHREAD_COND_INITIALIZER;
static magic_t pool_idle[POOL_MAX]; /* loaded handles nobody uses */
static unsigned pool_nidle;
static unsigned pool_nopen;         /* loaded handles, idle or checked out */
static unsigned long pool_loads;    /* for tests */

static magic_t load_one(char *err, size_t errsz)
{
	magic_t m = magic_open(FLAGS_MIME);
	if (!m) {
		if (err)
			snprintf(err, errsz, "magic_open: %s", strerror(errno));
		return NULL;
	}
	if (magic_load(m, NULL) != 0) {
		if (err) {
			const char *why = magic_error(m);
			snprintf(err, errsz, "magic_load: %s", why ? why : "unknown error");
		}
		magic_close(m);
		return NULL;
	}
	return m;
}

/* A loaded handle for this caller alone, until checkin(); NULL (and a
 * reason in err, when given) if none can be had. */
static magic_t checkout(char *err, size_t errsz)
{
	pthread_mutex_lock(&pool_lock);
	while (pool_nidle == 0 && pool_nopen >= POOL_MAX)
		pthread_cond_wait(&pool_free, &pool_lock);
	if (pool_nidle > 0) {
		magic_t m = pool_idle[--pool_nidle];
		pthread_mutex_unlock(&pool_lock);
		return m;
	}
	pool_nopen++; /* the slot is ours while we load */
	pthread_mutex_unlock(&pool_lock);

	magic_t m = load_one(err, errsz);
	pthread_mutex_lock(&pool_lock);
	if (m) {
		pool_loads++;
	} else {
		pool_nopen--;
		pthread_cond_signal(&pool_free);
	}
	pthread_mutex_unlock(&pool_lock);
	return m;
}

static void checkin(magic_t m)
{
	pthread_mutex_lock(&pool_lock);
	pool_idle[pool_nidle++] = m;
	pthread_cond_signal(&pool_free);
	pthread_mutex_unlock(&pool_lock);
}

int magic_preload(char *err, size_t errsz)
{
	if (err && errsz)
		err[0] = '\0';
	magic_t m = checkout(err, errsz);
	if (!m)
		return -1;
	checkin(m);
	return 0;
}

static void copy_out(char *out, size_t outsz, const char *s)
{
	if (!out || outsz == 0)
		return;
	size_t n = strlen(s);
	if (n >= outsz)
		n = outsz - 1;
	memcpy(out, s, n);
	out[n] = '\0';
}

/* libmagic's answer for the buffer under `flags` into out (truncated);
 * false when there is none.  The answer lives in the handle, so it is
 * copied before the handle goes back. */
static bool ask(int flags, const unsigned char *p, size_t n, char *out, size_t outsz)
{
	static const unsigned char empty[1];
	magic_t m = checkout(NULL, 0);
	if (!m)
		return false;
	const char *r = NULL;
	if (magic_setflags(m, flags) == 0)
		r = magic_buffer(m, p && n ? p : empty, p ? n : 0);
	if (r)
		copy_out(out, outsz, r);
	checkin(m);
	return r != NULL;
}

bool magic_mime_type(const unsigned char *p, size_t n, char *out, size_t outsz)
{
	char r[256];
	/* An answer with white space or parameters is not a bare type. */
	if (!ask(FLAGS_MIME, p, n, r, sizeof r) || !*r || strcspn(r, " \t;") != strlen(r)) {
		copy_out(out, outsz, "application/octet-stream");
		return false;
	}
	copy_out(out, outsz, r);
	return true;
}

bool magic_describe(const unsigned char *p, size_t n, char *out, size_t outsz)
{
	if (ask(FLAGS_DESC, p, n, out, outsz))
		return true;
	copy_out(out, outsz, "");
	return false;
}

void magic_thread_done(void)
{
	/* Nothing is held per thread any more: handles go back to the pool
	 * after every call. */
}

void magic_shutdown(void)
{
	pthread_mutex_lock(&pool_lock);
	while (pool_nidle > 0) {
		magic_close(pool_idle[--pool_nidle]);
		pool_nopen--;
	}
	pthread_mutex_unlock(&pool_lock);
}

unsigned long magic_load_count(void)
{
	pthread_mutex_lock(&pool_lock);
	unsigned long n = pool_loads;
	pthread_mutex_unlock(&pool_lock);
	return n;
}
