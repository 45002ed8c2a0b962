/*
 * decode: restartable base64 / quoted-printable / identity decoders (see
 * decode.h).
 *
 * Input: a part's body bytes, fed in chunks cut anywhere.  Output: decoded
 * bytes handed to the sink through a small stack buffer; nothing is
 * allocated.  The only state carried between feeds is in struct decoder:
 * up to three base64 sextets, the '=' / "=X" / "=\r" / "\r" prefix of a
 * quoted-printable sequence, and up to sizeof(ws) bytes of QP white space
 * whose fate (dropped as trailing, or kept) depends on what follows.
 * The decoders are byte-at-a-time state machines, so the output does not
 * depend on where the input was cut; the fast paths (runs of base64
 * alphabet found 16 or 8 bytes at a time and decoded a quantum at a time,
 * runs of plain QP text copied at once) only take shortcuts through
 * states the byte loop would pass through anyway.
 *
 * Failure behaviour: nothing fails.  Junk in base64 and malformed '='
 * sequences in QP are counted in `errors`; junk is skipped, malformed
 * escapes are passed through literally.
 */
#include "autoconfig.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#if defined(__SSE2__) && !defined(DECODE_NO_SIMD)
#include <emmintrin.h>
#define DECODE_SSE2 1
#endif

#include "decode.h"

/* Output is batched so that the sink is not called once per byte. */
struct emit {
	unsigned char buf[512];
	size_t n;
	size_t total;      /* bytes emitted (decode_skip's answer) */
	decode_sink out;
	void *ctx;
};

static void emit_flush(struct emit *e)
{
	if (e->n > 0 && e->out != NULL)
		e->out(e->ctx, e->buf, e->n);
	e->total += e->n;
	e->n = 0;
}

static void emit_byte(struct emit *e, unsigned char c)
{
	if (e->n == sizeof(e->buf))
		emit_flush(e);
	e->buf[e->n++] = c;
}

static void emit_bytes(struct emit *e, const unsigned char *p, size_t n)
{
	while (n > 0) {
		if (e->n == sizeof(e->buf))
			emit_flush(e);
		size_t k = sizeof(e->buf) - e->n;
		if (k > n)
			k = n;
		memcpy(e->buf + e->n, p, k);
		e->n += k;
		p += k;
		n -= k;
	}
}

enum decode_kind decode_kind_of(const char *cte)
{
	if (cte == NULL)
		return DECODE_IDENTITY;
	/* Tolerate surrounding space, quotes and trailing comments or
	 * parameters: compare only the first token. */
	while (*cte == ' ' || *cte == '\t' || *cte == '"' || *cte == '\r' || *cte == '\n')
		cte++;
	size_t n = 0;
	while (cte[n] != '\0' && cte[n] != ' ' && cte[n] != '\t' && cte[n] != '"' &&
	       cte[n] != ';' && cte[n] != '(' && cte[n] != '\r' && cte[n] != '\n')
		n++;
	if (n == 6 && strncasecmp(cte, "base64", 6) == 0)
		return DECODE_BASE64;
	if (n == 16 && strncasecmp(cte, "quoted-printable", 16) == 0)
		return DECODE_QP;
	return DECODE_IDENTITY;
}

void decode_init(struct decoder *d, enum decode_kind kind)
{
	memset(d, 0, sizeof(*d));
	d->kind = kind;
}

/* ------------------------------------------------------------ base64 */

/* A byte's sextet (0..63), or B64_PAD ('='), B64_WS (white space,
 * ignored) or B64_JUNK (counted as an error).  Only the alphabet has bit
 * 6 clear. */
enum { B64_PAD = 64, B64_WS, B64_JUNK };

static const unsigned char b64_class[256] = {
	66, 66, 66, 66, 66, 66, 66, 66, 66, 65, 65, 66, 66, 65, 66, 66,
	66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66,
	65, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 62, 66, 66, 66, 63,
	52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 66, 66, 66, 64, 66, 66,
	66, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
	15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 66, 66, 66, 66, 66,
	66, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,
	41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 66, 66, 66, 66, 66,
	66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66,
	66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66,
	66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66,
	66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66,
	66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66,
	66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66,
	66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66,
	66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66,
};

#ifdef DECODE_SSE2
/* Set bits in a mask with few of them (line breaks in a block). */
static unsigned sparse_bits(unsigned x)
{
	unsigned k = 0;
	for (; x != 0; x &= x - 1)
		k++;
	return k;
}

/* 0xff in the lanes that hold alphabet characters.  Signed compares:
 * bytes >= 0x80 are negative and match no range; c | 0x20 folds A-Z onto
 * a-z and maps nothing else into a-z. */
static __m128i b64_alpha16(__m128i v)
{
	const __m128i lo_az = _mm_set1_epi8('a' - 1), hi_az = _mm_set1_epi8('z' + 1);
	const __m128i lo_d = _mm_set1_epi8('/' - 1), hi_d = _mm_set1_epi8('9' + 1); /* '/', 0-9 */
	__m128i f = _mm_or_si128(v, _mm_set1_epi8(0x20));
	__m128i ok = _mm_and_si128(_mm_cmpgt_epi8(f, lo_az), _mm_cmpgt_epi8(hi_az, f));
	ok = _mm_or_si128(ok, _mm_and_si128(_mm_cmpgt_epi8(v, lo_d), _mm_cmpgt_epi8(hi_d, v)));
	return _mm_or_si128(ok, _mm_cmpeq_epi8(v, _mm_set1_epi8('+')));
}

/* 0xff in the lanes that hold CR or LF. */
static __m128i b64_break16(__m128i v)
{
	return _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('\r')),
	                    _mm_cmpeq_epi8(v, _mm_set1_epi8('\n')));
}

static __m128i load16(const unsigned char *p)
{
	return _mm_loadu_si128((const __m128i *)(const void *)p);
}
#endif

/* For counting: the length of the prefix of p made of alphabet characters
 * and line breaks (what a base64 body is between its rare '=', spaces and
 * junk), and in *alpha how many of them are alphabet characters. */
static size_t b64_span(const unsigned char *p, size_t n, size_t *alpha)
{
	size_t i = 0, a = 0;
#ifdef DECODE_SSE2
	/* 64 bytes a step while all of them qualify; the line breaks are
	 * counted per lane (each lane subtracts -1 per break, at most 4 a
	 * step, summed up before a lane can overflow). */
	const __m128i zero = _mm_setzero_si128();
	__m128i acc = zero;
	unsigned steps = 0;
	size_t breaks = 0;
	while (n - i >= 64) {
		__m128i v0 = load16(p + i), v1 = load16(p + i + 16);
		__m128i v2 = load16(p + i + 32), v3 = load16(p + i + 48);
		__m128i b0 = b64_break16(v0), b1 = b64_break16(v1);
		__m128i b2 = b64_break16(v2), b3 = b64_break16(v3);
		__m128i g = _mm_and_si128(_mm_and_si128(_mm_or_si128(b64_alpha16(v0), b0),
		                                        _mm_or_si128(b64_alpha16(v1), b1)),
		                          _mm_and_si128(_mm_or_si128(b64_alpha16(v2), b2),
		                                        _mm_or_si128(b64_alpha16(v3), b3)));
		if (_mm_movemask_epi8(g) != 0xffff)
			break;
		acc = _mm_sub_epi8(acc, _mm_add_epi8(_mm_add_epi8(b0, b1), _mm_add_epi8(b2, b3)));
		i += 64;
		if (++steps == 63) {
			__m128i sum = _mm_sad_epu8(acc, zero);
			breaks += (size_t)_mm_cvtsi128_si32(sum) + (size_t)_mm_extract_epi16(sum, 4);
			acc = zero;
			steps = 0;
		}
	}
	__m128i sum = _mm_sad_epu8(acc, zero);
	breaks += (size_t)_mm_cvtsi128_si32(sum) + (size_t)_mm_extract_epi16(sum, 4);
	a = i - breaks;
	while (n - i >= 16) {
		__m128i v = load16(p + i);
		unsigned okm = (unsigned)_mm_movemask_epi8(b64_alpha16(v));
		unsigned brm = (unsigned)_mm_movemask_epi8(b64_break16(v));
		unsigned bad = ~(okm | brm) & 0xffffu;
		if (bad != 0) {
			unsigned k = (unsigned)__builtin_ctz(bad);
			*alpha = a + k - sparse_bits(brm & ((1u << k) - 1));
			return i + k;
		}
		a += 16 - sparse_bits(brm);
		i += 16;
	}
#endif
	for (; i < n; i++) {
		if (b64_class[p[i]] < B64_PAD)
			a++;
		else if (p[i] != '\r' && p[i] != '\n')
			break;
	}
	*alpha = a;
	return i;
}

/* Length of the run of alphabet characters at the start of p.  Base64
 * bodies are long runs (a line each) between single line breaks, so the
 * run is found a block at a time; the rest byte by byte. */
static size_t b64_run(const unsigned char *p, size_t n)
{
	size_t i = 0;
#ifdef DECODE_SSE2
	while (n - i >= 16) {
		unsigned bad = ~(unsigned)_mm_movemask_epi8(b64_alpha16(load16(p + i))) & 0xffffu;
		if (bad != 0)
			return i + (size_t)__builtin_ctz(bad);
		i += 16;
	}
#else
	while (n - i >= 8) {
		const unsigned char *q = p + i;
		unsigned bad = b64_class[q[0]] | b64_class[q[1]] | b64_class[q[2]] | b64_class[q[3]] |
		               b64_class[q[4]] | b64_class[q[5]] | b64_class[q[6]] | b64_class[q[7]];
		if (bad & B64_PAD)
			break;
		i += 8;
	}
#endif
	while (i < n && b64_class[p[i]] < B64_PAD)
		i++;
	return i;
}

/* Emits what the held sextets (npend of them, fewer than 4) amount to. */
static void b64_partial(struct decoder *d, struct emit *e)
{
	const unsigned char *s = d->pend;
	if (d->npend == 1)
		d->errors++; /* six bits cannot make a byte */
	if (d->npend >= 2)
		emit_byte(e, (unsigned char)(s[0] << 2 | s[1] >> 4));
	if (d->npend >= 3)
		emit_byte(e, (unsigned char)(s[1] << 4 | s[2] >> 2));
	d->npend = 0;
}

/* A run of alphabet characters: the held sextets are completed first,
 * then whole quanta go straight into the output buffer, and what is left
 * (fewer than 4) is held. */
static void b64_feed_run(struct decoder *d, const unsigned char *p, size_t n, struct emit *e)
{
	while (d->npend > 0 && n > 0) {
		d->pend[d->npend++] = b64_class[*p++];
		n--;
		if (d->npend == 4) {
			const unsigned char *s = d->pend;
			emit_byte(e, (unsigned char)(s[0] << 2 | s[1] >> 4));
			emit_byte(e, (unsigned char)(s[1] << 4 | s[2] >> 2));
			emit_byte(e, (unsigned char)(s[2] << 6 | s[3]));
			d->npend = 0;
		}
	}
	while (n >= 4) {
		/* two spare bytes: pairs of quanta are stored 8 bytes wide */
		size_t room = sizeof(e->buf) - e->n;
		room = room >= 2 ? (room - 2) / 3 : 0;
		if (room == 0) {
			emit_flush(e);
			continue;
		}
		size_t q = n / 4;
		if (q > room)
			q = room;
		unsigned char *o = e->buf + e->n;
		size_t k = 0;
		for (; k + 2 <= q; k += 2, p += 8, o += 6) {
			uint64_t v = (uint64_t)b64_class[p[0]] << 58 | (uint64_t)b64_class[p[1]] << 52 |
			             (uint64_t)b64_class[p[2]] << 46 | (uint64_t)b64_class[p[3]] << 40 |
			             (uint64_t)b64_class[p[4]] << 34 | (uint64_t)b64_class[p[5]] << 28 |
			             (uint64_t)b64_class[p[6]] << 22 | (uint64_t)b64_class[p[7]] << 16;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
			v = __builtin_bswap64(v);
#endif
			memcpy(o, &v, 8); /* big-endian: the 6 bytes, then 2 spare */
		}
		for (; k < q; k++, p += 4, o += 3) {
			uint32_t v = (uint32_t)b64_class[p[0]] << 18 | (uint32_t)b64_class[p[1]] << 12 |
			             (uint32_t)b64_class[p[2]] << 6 | b64_class[p[3]];
			o[0] = (unsigned char)(v >> 16);
			o[1] = (unsigned char)(v >> 8);
			o[2] = (unsigned char)v;
		}
		e->n += q * 3;
		n -= q * 4;
	}
	for (size_t k = 0; k < n; k++)
		d->pend[d->npend++] = b64_class[p[k]];
}

static void b64_feed(struct decoder *d, const unsigned char *p, size_t n, struct emit *e)
{
	size_t i = 0;
	while (i < n) {
		size_t run = b64_run(p + i, n - i);
		if (run > 0) {
			b64_feed_run(d, p + i, run, e);
			i += run;
			if (i == n)
				break;
		}
		unsigned char v = b64_class[p[i++]];
		if (v == B64_PAD) {
			/* Padding ends the quantum; whatever follows starts a
			 * new one (concatenated base64 bodies exist).  Extra
			 * '=' after a finished quantum is harmless. */
			if (d->npend > 0)
				b64_partial(d, e);
		} else if (v == B64_JUNK) {
			d->errors++;
		} else {
			/* line breaks come in pairs (CRLF): no empty run between */
			while (i < n && b64_class[p[i]] == B64_WS)
				i++;
		}
	}
}

/* Same state changes as b64_feed (the held sextets are kept, so that a
 * later decode_feed or decode_finish emits the right bytes); returns the
 * byte count b64_feed would have emitted.  Only the number of alphabet
 * characters between two '=' matters for the count; the values of the
 * held sextets are picked up at the end, from the last few alphabet
 * characters. */
static size_t b64_skip(struct decoder *d, const unsigned char *p, size_t n)
{
	size_t out = 0, i = 0;
	unsigned np0 = d->npend; /* held when the current stretch began */
	size_t c = 0;            /* alphabet characters in the stretch */
	while (i < n) {
		size_t a;
		i += b64_span(p + i, n - i, &a);
		c += a;
		if (i == n)
			break;
		unsigned char v = b64_class[p[i++]];
		if (v == B64_PAD) {
			/* as b64_partial: 2 sextets make 1 byte, 3 make 2 */
			size_t t = np0 + c;
			unsigned r = (unsigned)(t % 4);
			out += t / 4 * 3;
			if (r == 1)
				d->errors++;
			else if (r >= 2)
				out += r - 1;
			np0 = 0;
			c = 0;
		} else if (v == B64_JUNK) {
			d->errors++;
		}
	}
	size_t t = np0 + c;
	unsigned r = (unsigned)(t % 4);
	out += t / 4 * 3;
	/* The last r sextets stay held: all from this stretch when it has
	 * that many (the earlier ones completed quanta), else the stretch
	 * completes no quantum and follows the np0 sextets held before. */
	unsigned from = c >= r ? 0 : np0;
	unsigned want = r - from;
	for (size_t k = n; want > 0 && k-- > 0;) {
		if (b64_class[p[k]] < B64_PAD)
			d->pend[from + --want] = b64_class[p[k]];
	}
	d->npend = r;
	return out;
}

/* ------------------------------------------------------ quoted-printable */

static void qp_flush_ws(struct decoder *d, struct emit *e)
{
	emit_bytes(e, d->ws, d->nws);
	d->nws = 0;
}

/*
 * States, encoded in pend[]/npend:
 *   npend 0            plain text (ws may hold white space)
 *   "="                after '=' (ws may hold white space after the '=')
 *   "=X" (X hex)       after '=' and one hex digit
 *   "=\r"              after '=', optional white space, CR
 *   "\r"               after CR in plain text (ws holds white space before it)
 * A byte that does not continue the sequence resolves the state and is
 * then processed again from the plain state, so nothing is lost.
 */
static void qp_byte(struct decoder *d, unsigned char c, struct emit *e)
{
	for (;;) {
		if (d->npend == 0) {
			if (c == ' ' || c == '\t') {
				if (d->nws == sizeof(d->ws))
					qp_flush_ws(d, e);
				d->ws[d->nws++] = c;
			} else if (c == '\n') {
				d->nws = 0; /* trailing white space dropped */
				emit_byte(e, '\n');
			} else if (c == '\r') {
				d->pend[0] = '\r';
				d->npend = 1;
			} else if (c == '=') {
				qp_flush_ws(d, e);
				d->pend[0] = '=';
				d->npend = 1;
			} else {
				qp_flush_ws(d, e);
				emit_byte(e, c);
			}
			return;
		}
		if (d->pend[0] == '\r') {
			d->npend = 0;
			if (c == '\n') {
				d->nws = 0;
				emit_byte(e, '\r');
				emit_byte(e, '\n');
				return;
			}
			/* A bare CR is not a line break: keep everything. */
			qp_flush_ws(d, e);
			emit_byte(e, '\r');
			continue;
		}
		/* pend[0] == '=' */
		if (d->npend == 1) {
			if (decode_hex_digit(c) >= 0 && d->nws == 0) {
				d->pend[1] = c;
				d->npend = 2;
				return;
			}
			if (c == ' ' || c == '\t') {
				if (d->nws < sizeof(d->ws)) {
					d->ws[d->nws++] = c;
					return;
				}
				/* Too much padding to be a soft break. */
				d->errors++;
				emit_byte(e, '=');
				qp_flush_ws(d, e);
				d->npend = 0;
				continue;
			}
			if (c == '\n') {
				d->nws = 0; /* soft line break */
				d->npend = 0;
				return;
			}
			if (c == '\r') {
				d->pend[1] = '\r';
				d->npend = 2;
				return;
			}
			d->errors++;
			emit_byte(e, '=');
			qp_flush_ws(d, e);
			d->npend = 0;
			continue;
		}
		if (d->pend[1] == '\r') {
			d->npend = 0;
			if (c == '\n') {
				d->nws = 0; /* soft line break */
				return;
			}
			d->errors++;
			emit_byte(e, '=');
			qp_flush_ws(d, e);
			emit_byte(e, '\r');
			continue;
		}
		/* "=X" */
		d->npend = 0;
		int hi = decode_hex_digit(d->pend[1]), lo = decode_hex_digit(c);
		if (lo >= 0) {
			emit_byte(e, (unsigned char)(hi << 4 | lo));
			return;
		}
		d->errors++;
		emit_byte(e, '=');
		emit_byte(e, d->pend[1]);
		continue;
	}
}

/* Bytes that are not plain text to quoted-printable. */
static bool qp_special(unsigned char c)
{
	return c == '=' || c == '\n' || c == '\r' || c == ' ' || c == '\t';
}

/* In the plain state with no white space held, a run of plain bytes
 * comes out as it is: copied at once instead of byte by byte. */
static void qp_feed(struct decoder *d, const unsigned char *p, size_t n, struct emit *e)
{
	size_t i = 0;
	while (i < n) {
		if (d->npend == 0 && d->nws == 0) {
			size_t k = i;
			while (k < n && !qp_special(p[k]))
				k++;
			if (k > i) {
				emit_bytes(e, p + i, k - i);
				i = k;
				if (i == n)
					break;
			}
		}
		qp_byte(d, p[i++], e);
	}
}

static void qp_finish(struct decoder *d, struct emit *e)
{
	if (d->npend == 0) {
		d->nws = 0; /* trailing white space on the last line */
		return;
	}
	if (d->pend[0] == '\r') {
		d->nws = 0;
		emit_byte(e, '\r');
	} else if (d->npend == 2 && d->pend[1] != '\r') {
		d->errors++;
		emit_byte(e, '=');
		emit_byte(e, d->pend[1]);
	}
	/* A lone '=' (or "=\r") at the very end is a soft break with the
	 * line break missing: drop it. */
	d->nws = 0;
	d->npend = 0;
}

/* ------------------------------------------------------------- common */

void decode_feed(struct decoder *d, const unsigned char *p, size_t n, decode_sink out, void *ctx)
{
	if (n == 0)
		return;
	if (d->kind == DECODE_IDENTITY) {
		if (out != NULL)
			out(ctx, p, n);
		return;
	}
	struct emit e = { .n = 0, .out = out, .ctx = ctx };
	if (d->kind == DECODE_BASE64)
		b64_feed(d, p, n, &e);
	else
		qp_feed(d, p, n, &e);
	emit_flush(&e);
}

size_t decode_skip(struct decoder *d, const unsigned char *p, size_t n)
{
	if (n == 0 || d->kind == DECODE_IDENTITY)
		return n;
	if (d->kind == DECODE_BASE64)
		return b64_skip(d, p, n);
	/* QP output depends on look-ahead state: run the real state machine
	 * into a sink that drops the bytes. */
	struct emit e = { .n = 0, .total = 0, .out = NULL, .ctx = NULL };
	qp_feed(d, p, n, &e);
	emit_flush(&e);
	return e.total;
}

void decode_finish(struct decoder *d, decode_sink out, void *ctx)
{
	struct emit e = { .n = 0, .out = out, .ctx = ctx };
	if (d->kind == DECODE_BASE64)
		b64_partial(d, &e);
	else if (d->kind == DECODE_QP)
		qp_finish(d, &e);
	emit_flush(&e);
}
