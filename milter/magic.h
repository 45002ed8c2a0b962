/*
 * magic: content typing with libmagic.  libmagic handles are not
 * thread-safe and magic_load() costs far more than typing a buffer, so
 * the process keeps a small bounded pool of loaded handles: each call
 * checks one out, types, and returns it.  A handle is never used by two
 * threads at once and is never reloaded per message or per thread (it
 * stays loaded until magic_shutdown).  magic_preload() at start-up fails
 * early if the magic database is missing (and leaves one loaded handle
 * in the pool).
 */
#ifndef SM_MAGIC_H
#define SM_MAGIC_H

#include <stdbool.h>
#include <stddef.h>

/* 0 on success; -1 with a message (libmagic's) in err. */
int magic_preload(char *err, size_t errsz);
/* MIME type of the buffer ("image/png", "application/zip" ...) into out;
 * returns false (out = "application/octet-stream") if libmagic failed. */
bool magic_mime_type(const unsigned char *p, size_t n, char *out, size_t outsz);
/* libmagic's description (for "PNG image data, 1920 x 1080, ..."); false on failure. */
bool magic_describe(const unsigned char *p, size_t n, char *out, size_t outsz);
/* Kept for callers of the per-thread design: a thread holds no handle
 * between calls now, so there is nothing to free; a no-op. */
void magic_thread_done(void);
/* Closes every pooled handle not in use (call at exit, when no thread
 * types any more; a handle in use is kept and goes back to the pool).
 * Later calls load handles again. */
void magic_shutdown(void);

/* Most handles ever loaded at once; more concurrent callers wait (for
 * at most a few typings: magic.c explains why two). */
#define MAGIC_POOL_MAX 2
/* Exposed for tests: handles loaded (magic_load calls that succeeded)
 * since start. */
unsigned long magic_load_count(void);

#endif

/*
 * This header's name is libmagic's, and milter/ is on the -I path, so
 * <magic.h> finds this file first.  magic.c defines SM_MAGIC_LIBMAGIC and
 * includes <magic.h>: the next <magic.h> on the path is libmagic's.
 * (With -iquote for milter/ instead of -I this detour is not taken.)
 */
#if defined(SM_MAGIC_LIBMAGIC) && !defined(MAGIC_NONE)
#include_next <magic.h>
#endif
