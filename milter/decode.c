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
 * Because the decoders are byte-at-a-time state machines, the output does
 * not depend on where the input was cut.
 *
 * Failure behaviour: nothing fails.  Junk in base64 and malformed '='
 * sequences in QP are counted in `errors`; junk is skipped, malformed
 * escapes are passed through literally.
 */
#include "autoconfig.h"

#include <stdbool.h>
#include <string.h>
#include <strings.h>

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
	for (size_t i = 0; i < n; i++)
		emit_byte(e, p[i]);
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

static int b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
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

static void b64_feed(struct decoder *d, const unsigned char *p, size_t n, struct emit *e)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = p[i];
		int v = b64_value(c);
		if (v >= 0) {
			d->pend[d->npend++] = (unsigned char)v;
			if (d->npend == 4) {
				const unsigned char *s = d->pend;
				emit_byte(e, (unsigned char)(s[0] << 2 | s[1] >> 4));
				emit_byte(e, (unsigned char)(s[1] << 4 | s[2] >> 2));
				emit_byte(e, (unsigned char)(s[2] << 6 | s[3]));
				d->npend = 0;
			}
		} else if (c == '=') {
			/* Padding ends the quantum; whatever follows starts a
			 * new one (concatenated base64 bodies exist).  Extra
			 * '=' after a finished quantum is harmless. */
			if (d->npend > 0)
				b64_partial(d, e);
		} else if (c != ' ' && c != '\t' && c != '\r' && c != '\n') {
			d->errors++;
		}
	}
}

/* For b64_skip: a byte's sextet (0..63, as b64_value), or B64_PAD ('='),
 * B64_WS (white space, ignored) or B64_JUNK (counted as an error). */
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

/* Same state changes as b64_feed (the held sextets are kept, so that a
 * later decode_feed or decode_finish emits the right bytes); returns the
 * byte count b64_feed would have emitted.  A run of alphabet characters
 * (a whole line, usually) is counted at once: only its last sextets
 * (fewer than 4) can be pending at its end. */
static size_t b64_skip(struct decoder *d, const unsigned char *p, size_t n)
{
	size_t out = 0, i = 0;
	unsigned np = d->npend;
	while (i < n) {
		size_t start = i;
		while (i < n && b64_class[p[i]] < B64_PAD)
			i++;
		size_t run = i - start;
		if (run > 0) {
			size_t total = np + run;
			unsigned rem = (unsigned)(total % 4);
			out += total / 4 * 3;
			if (total < 4) {
				for (size_t k = 0; k < run; k++)
					d->pend[np + k] = b64_class[p[start + k]];
			} else {
				/* the last quantum boundary lies inside the run */
				for (unsigned k = 0; k < rem; k++)
					d->pend[k] = b64_class[p[i - rem + k]];
			}
			np = rem;
		}
		if (i == n)
			break;
		unsigned char v = b64_class[p[i++]];
		if (v == B64_PAD) {
			/* as b64_partial: 2 sextets make 1 byte, 3 make 2 */
			if (np == 1)
				d->errors++;
			else if (np >= 2)
				out += np - 1;
			np = 0;
		} else if (v == B64_JUNK) {
			d->errors++;
		}
	}
	d->npend = np;
	return out;
}

/* ------------------------------------------------------ quoted-printable */

static int hex_value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

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
			if (hex_value(c) >= 0 && d->nws == 0) {
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
		int hi = hex_value(d->pend[1]), lo = hex_value(c);
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
	if (d->kind == DECODE_BASE64) {
		b64_feed(d, p, n, &e);
	} else {
		for (size_t i = 0; i < n; i++)
			qp_byte(d, p[i], &e);
	}
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
	for (size_t i = 0; i < n; i++)
		qp_byte(d, p[i], &e);
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
