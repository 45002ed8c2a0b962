/*
 * magic: content typing with libmagic.  libmagic handles are not
 * thread-safe and magic_load() costs far more than typing a buffer, so
 * each thread gets its own handle, loaded once on first use and freed at
 * thread exit (pthread key destructor).  magic_preload() at start-up
 * fails early if the magic database is missing.
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
/* Frees this thread's handle now (tests; threads call it implicitly). */
void magic_thread_done(void);

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
