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
	decode_sink out;
	void *ctx;
};

static void emit_flush(struct emit *e)
{
	if (e->n > 0 && e->out != NULL)
		e->out(e->ctx, e->buf, e->n);
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

void decode_finish(struct decoder *d, decode_sink out, void *ctx)
{
	struct emit e = { .n = 0, .out = out, .ctx = ctx };
	if (d->kind == DECODE_BASE64)
		b64_partial(d, &e);
	else if (d->kind == DECODE_QP)
		qp_finish(d, &e);
	emit_flush(&e);
}
