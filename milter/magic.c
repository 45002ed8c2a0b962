/*
 * magic: content typing with libmagic, one handle per thread.
 *
 * Owns: a pthread key whose value is this thread's magic_t, opened and
 * loaded with the default database on first use (pthread_once creates the
 * key), closed by the key's destructor when the thread exits, or now by
 * magic_thread_done().  A handle is never shared between threads: libmagic
 * handles are not thread-safe.  The one handle serves both questions (MIME
 * type and description): magic_setflags() is per handle, so switching the
 * flags before each call is safe within the thread.
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
 * -> false, "application/octet-stream" (MIME) or "" (description).
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

static pthread_key_t key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static int key_error; /* from pthread_key_create, 0 when the key exists */

static void handle_destroy(void *h)
{
	magic_close((magic_t)h);
}

static void key_create(void)
{
	key_error = pthread_key_create(&key, handle_destroy);
}

/* This thread's loaded handle, opened on first use; NULL (and a reason
 * in err, when given) if it cannot be had. */
static magic_t handle(char *err, size_t errsz)
{
	pthread_once(&key_once, key_create);
	if (key_error != 0) {
		if (err)
			snprintf(err, errsz, "pthread_key_create: %s", strerror(key_error));
		return NULL;
	}
	magic_t m = pthread_getspecific(key);
	if (m)
		return m;
	m = magic_open(FLAGS_MIME);
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
	int rc = pthread_setspecific(key, m);
	if (rc != 0) {
		if (err)
			snprintf(err, errsz, "pthread_setspecific: %s", strerror(rc));
		magic_close(m);
		return NULL;
	}
	return m;
}

int magic_preload(char *err, size_t errsz)
{
	if (err && errsz)
		err[0] = '\0';
	return handle(err, errsz) ? 0 : -1;
}

/* libmagic's answer for the buffer under `flags`, or NULL. */
static const char *ask(int flags, const unsigned char *p, size_t n)
{
	static const unsigned char empty[1];
	magic_t m = handle(NULL, 0);
	if (!m || magic_setflags(m, flags) != 0)
		return NULL;
	return magic_buffer(m, p && n ? p : empty, p ? n : 0);
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

bool magic_mime_type(const unsigned char *p, size_t n, char *out, size_t outsz)
{
	const char *r = ask(FLAGS_MIME, p, n);
	/* An answer with white space or parameters is not a bare type. */
	if (!r || !*r || strcspn(r, " \t;") != strlen(r)) {
		copy_out(out, outsz, "application/octet-stream");
		return false;
	}
	copy_out(out, outsz, r);
	return true;
}

bool magic_describe(const unsigned char *p, size_t n, char *out, size_t outsz)
{
	const char *r = ask(FLAGS_DESC, p, n);
	copy_out(out, outsz, r ? r : "");
	return r != NULL;
}

void magic_thread_done(void)
{
	pthread_once(&key_once, key_create);
	if (key_error != 0)
		return;
	magic_t m = pthread_getspecific(key);
	if (m) {
		pthread_setspecific(key, NULL);
		magic_close(m);
	}
}
