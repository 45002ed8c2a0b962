/*
 * decode: restartable Content-Transfer-Encoding decoders.  Input may be
 * cut anywhere (inside a base64 quantum, between '=' and its hex digits,
 * inside a CRLF); the decoder keeps the few bytes of state it needs.
 * Output goes to a callback in pieces; no allocation.
 *
 * base64: whitespace and characters outside the alphabet are skipped,
 * '=' ends a quantum, data after padding is decoded as a new quantum
 * (concatenated base64 happens).  quoted-printable: soft line breaks
 * removed, malformed "=XY" passed through literally, trailing white space
 * before a line break dropped (RFC 2045 6.7).  Hard line breaks come out
 * as they went in (CRLF or LF); a '=' at the very end of the part is a
 * soft break.  `errors` counts base64 junk (not white space) and malformed
 * QP escapes; the result never depends on where the input was cut.
 */
#ifndef SM_DECODE_H
#define SM_DECODE_H

#include <stddef.h>

enum decode_kind { DECODE_IDENTITY = 0, DECODE_BASE64, DECODE_QP };

struct decoder {
	enum decode_kind kind;
	unsigned char pend[4];
	unsigned npend;
	unsigned long errors;  /* junk characters / malformed escapes seen */
	unsigned char ws[128]; /* QP: white space held until we know if a line break follows */
	unsigned nws;
};

typedef void (*decode_sink)(void *ctx, const unsigned char *p, size_t n);

/* The value of one hex digit (either case), or -1: for QP's "=XY", RFC
 * 2047 Q words, RFC 2231 "%XY" and the prefilter's "\xHH". */
static inline int decode_hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* kind from a Content-Transfer-Encoding value (case-insensitive; unknown
 * values are identity). */
enum decode_kind decode_kind_of(const char *cte);
void decode_init(struct decoder *d, enum decode_kind kind);
void decode_feed(struct decoder *d, const unsigned char *p, size_t n, decode_sink out, void *ctx);
/* Flushes what is pending at the end of the part. */
void decode_finish(struct decoder *d, decode_sink out, void *ctx);
/* Like decode_feed, but the output is only counted, not produced: returns
 * how many bytes decode_feed would have handed to its sink, and leaves
 * the state (pending bytes, errors) exactly as decode_feed would, so that
 * decode_feed, decode_skip and decode_finish may follow one another in
 * any order.  For base64 this counts alphabet characters (a block of
 * bytes at a time) instead of decoding them. */
size_t decode_skip(struct decoder *d, const unsigned char *p, size_t n);

#endif
