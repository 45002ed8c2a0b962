/*
 * buf: the one growable byte buffer, with a hard maximum.
 *
 * Appends past `max` are cut and set `truncated`; the buffer never grows
 * beyond max + 1 bytes (the spare byte keeps data NUL-terminated for
 * callers that need a C string).  Allocation failure sets `failed` and
 * the buffer stops growing; callers check either flag when they care.
 */
#ifndef SM_BUF_H
#define SM_BUF_H

#include <stdbool.h>
#include <stddef.h>

struct buf {
	char *data;     /* NUL-terminated when non-NULL */
	size_t len;
	size_t cap;
	size_t max;     /* hard limit on len */
	bool truncated; /* something was cut at max */
	bool failed;    /* an allocation failed */
};

void buf_init(struct buf *b, size_t max);
/* Appends what fits; returns 0 if everything was appended, -1 otherwise. */
int buf_append(struct buf *b, const void *p, size_t n);
int buf_putc(struct buf *b, char c);
int buf_printf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Empties the buffer but keeps its memory (and max). */
void buf_reset(struct buf *b);
/* Releases the memory; the buffer may be reused after buf_init. */
void buf_free(struct buf *b);
/* Never NULL: "" for an empty buffer. */
const char *buf_cstr(const struct buf *b);
/* Hands the memory to the caller (NUL-terminated, never NULL unless
 * allocation failed) and leaves the buffer empty. */
char *buf_steal(struct buf *b);

#endif
