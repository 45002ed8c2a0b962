/*
 * Tests for decode.c: base64 / quoted-printable / identity, each case run
 * whole, cut at every offset (two pieces, and three pieces for short
 * inputs) and byte by byte: output and error count must not change.
 */
#include "autoconfig.h"

#include <check.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"

struct sink {
	unsigned char data[4096];
	size_t n;
	bool overflow;
};

static void sink_cb(void *ctx, const unsigned char *p, size_t n)
{
	struct sink *s = ctx;
	if (s->n + n > sizeof(s->data)) {
		s->overflow = true;
		return;
	}
	memcpy(s->data + s->n, p, n);
	s->n += n;
}

/* Decodes `in` fed in pieces ending at the given cut offsets. */
static void run(enum decode_kind kind, const char *in, size_t len, const size_t *cuts, size_t ncuts,
		struct sink *s, unsigned long *errors)
{
	struct decoder d;
	memset(s, 0, sizeof(*s));
	decode_init(&d, kind);
	size_t at = 0;
	for (size_t k = 0; k < ncuts; k++) {
		decode_feed(&d, (const unsigned char *)in + at, cuts[k] - at, sink_cb, s);
		at = cuts[k];
	}
	decode_feed(&d, (const unsigned char *)in + at, len - at, sink_cb, s);
	decode_finish(&d, sink_cb, s);
	*errors = d.errors;
}

struct dcase {
	enum decode_kind kind;
	const char *in;
	const char *out;
	size_t outlen; /* 0: strlen(out) */
	unsigned long errors;
};

static const struct dcase cases[] = {
	/* base64: good */
	{ DECODE_BASE64, "aGVsbG8=", "hello", 0, 0 },
	{ DECODE_BASE64, "aGVsbG8gd29ybGQ=", "hello world", 0, 0 },
	{ DECODE_BASE64, "aGVs\r\nbG8=\r\n", "hello", 0, 0 },
	{ DECODE_BASE64, "aGVs bG8g\td29y\nbGQ=", "hello world", 0, 0 },
	{ DECODE_BASE64, "w6bDuMOl", "\xc3\xa6\xc3\xb8\xc3\xa5", 0, 0 },
	{ DECODE_BASE64, "AP8A", "\0\xff\0", 3, 0 },
	{ DECODE_BASE64, "QQ==", "A", 0, 0 },
	{ DECODE_BASE64, "QUI=", "AB", 0, 0 },
	{ DECODE_BASE64, "", "", 0, 0 },
	{ DECODE_BASE64, "====", "", 0, 0 },
	/* base64: missing padding, concatenated bodies */
	{ DECODE_BASE64, "aGVsbG8", "hello", 0, 0 },
	{ DECODE_BASE64, "QQ", "A", 0, 0 },
	{ DECODE_BASE64, "QQ==QkM=", "ABC", 0, 0 },
	{ DECODE_BASE64, "QUI=\r\nQUI=\r\n", "ABAB", 0, 0 },
	/* base64: junk skipped and counted */
	{ DECODE_BASE64, "aGV*sbG8=", "hello", 0, 1 },
	{ DECODE_BASE64, "!!!", "", 0, 3 },
	{ DECODE_BASE64, "aGVs-bG8.=", "hello", 0, 2 },
	{ DECODE_BASE64, "Q", "", 0, 1 },
	{ DECODE_BASE64, "Q===", "", 0, 1 },
	{ DECODE_BASE64, "QUJDQ", "ABC", 0, 1 },
	/* quoted-printable: good */
	{ DECODE_QP, "Frav=E6r", "Frav\xe6r", 0, 0 },
	{ DECODE_QP, "Frav=e6r", "Frav\xe6r", 0, 0 },
	{ DECODE_QP, "a=3Db", "a=b", 0, 0 },
	{ DECODE_QP, "=00", "\0", 1, 0 },
	{ DECODE_QP, "a b\tc", "a b\tc", 0, 0 },
	{ DECODE_QP, "line1\r\nline2\r\n", "line1\r\nline2\r\n", 0, 0 },
	{ DECODE_QP, "line1\nline2\n", "line1\nline2\n", 0, 0 },
	/* soft line breaks */
	{ DECODE_QP, "abc=\r\ndef", "abcdef", 0, 0 },
	{ DECODE_QP, "abc=\ndef", "abcdef", 0, 0 },
	{ DECODE_QP, "abc= \t\r\ndef", "abcdef", 0, 0 },
	{ DECODE_QP, "abc=  \ndef", "abcdef", 0, 0 },
	{ DECODE_QP, "100%=", "100%", 0, 0 },
	{ DECODE_QP, "end=\r", "end", 0, 0 },
	/* trailing white space dropped, inner kept */
	{ DECODE_QP, "abc  \r\ndef", "abc\r\ndef", 0, 0 },
	{ DECODE_QP, "abc \t\nx", "abc\nx", 0, 0 },
	{ DECODE_QP, "last  ", "last", 0, 0 },
	{ DECODE_QP, "a  =41", "a  A", 0, 0 },
	{ DECODE_QP, "a \rb", "a \rb", 0, 0 },
	{ DECODE_QP, "a \r", "a\r", 0, 0 },
	/* malformed '=' passed through and counted */
	{ DECODE_QP, "=ZZ", "=ZZ", 0, 1 },
	{ DECODE_QP, "=4G", "=4G", 0, 1 },
	{ DECODE_QP, "==41", "=A", 0, 1 },
	{ DECODE_QP, "=4", "=4", 0, 1 },
	{ DECODE_QP, "=4\r\n", "=4\r\n", 0, 1 },
	{ DECODE_QP, "= x", "= x", 0, 1 },
	{ DECODE_QP, "=\rx", "=\rx", 0, 1 },
	{ DECODE_QP, "50 = 50", "50 = 50", 0, 1 },
	/* identity */
	{ DECODE_IDENTITY, "a=41 \r\n", "a=41 \r\n", 0, 0 },
	{ DECODE_IDENTITY, "\xe6x\xff", "\xe6x\xff", 0, 0 },
};

static void check_case(const struct dcase *c, const struct sink *s, unsigned long errors, const char *how)
{
	size_t outlen = c->outlen ? c->outlen : strlen(c->out);
	ck_assert_msg(!s->overflow, "%s: overflow", c->in);
	ck_assert_msg(s->n == outlen && memcmp(s->data, c->out, outlen) == 0,
		      "input \"%s\" (%s): got %zu bytes \"%.*s\", want \"%s\"", c->in, how, s->n, (int)s->n,
		      (const char *)s->data, c->out);
	ck_assert_msg(errors == c->errors, "input \"%s\" (%s): errors %lu, want %lu", c->in, how, errors, c->errors);
}

START_TEST(test_table)
{
	const struct dcase *c = &cases[_i];
	size_t len = strlen(c->in);
	struct sink s;
	unsigned long errors;
	char how[64];

	run(c->kind, c->in, len, NULL, 0, &s, &errors);
	check_case(c, &s, errors, "whole");

	for (size_t cut = 0; cut <= len; cut++) {
		snprintf(how, sizeof(how), "cut at %zu", cut);
		run(c->kind, c->in, len, &cut, 1, &s, &errors);
		check_case(c, &s, errors, how);
	}
	for (size_t a = 0; a <= len; a++)
		for (size_t b = a; b <= len; b++) {
			size_t cuts[2] = { a, b };
			snprintf(how, sizeof(how), "cuts at %zu,%zu", a, b);
			run(c->kind, c->in, len, cuts, 2, &s, &errors);
			check_case(c, &s, errors, how);
		}
	size_t cuts[64];
	size_t n = len < 64 ? len : 64;
	for (size_t k = 0; k < n; k++)
		cuts[k] = k + 1;
	run(c->kind, c->in, len, cuts, n, &s, &errors);
	check_case(c, &s, errors, "byte by byte");
}
END_TEST

/* decode_skip over the first `cut` bytes (in pieces of `step`), then
 * decode_feed over the rest: the count plus the bytes fed must be the
 * decoded output, the state carried over exactly. */
static void run_skip(const struct dcase *c, size_t cut, size_t step)
{
	size_t len = strlen(c->in), outlen = c->outlen ? c->outlen : strlen(c->out);
	struct decoder d;
	struct sink s;
	memset(&s, 0, sizeof(s));
	decode_init(&d, c->kind);
	size_t counted = 0;
	for (size_t at = 0; at < cut; at += step) {
		size_t k = cut - at < step ? cut - at : step;
		counted += decode_skip(&d, (const unsigned char *)c->in + at, k);
	}
	decode_feed(&d, (const unsigned char *)c->in + cut, len - cut, sink_cb, &s);
	decode_finish(&d, sink_cb, &s);
	ck_assert_msg(counted + s.n == outlen, "input \"%s\" skip %zu step %zu: %zu + %zu bytes, want %zu",
		      c->in, cut, step, counted, s.n, outlen);
	ck_assert_msg(memcmp(s.data, c->out + counted, s.n) == 0, "input \"%s\" skip %zu step %zu: tail differs",
		      c->in, cut, step);
	ck_assert_msg(d.errors == c->errors, "input \"%s\" skip %zu: errors %lu, want %lu", c->in, cut,
		      d.errors, c->errors);
}

START_TEST(test_skip)
{
	const struct dcase *c = &cases[_i];
	size_t len = strlen(c->in);
	for (size_t cut = 0; cut <= len; cut++) {
		run_skip(c, cut, len + 1);
		run_skip(c, cut, 1);
		run_skip(c, cut, 3);
	}
}
END_TEST

/* More white space than the hold buffer: the excess is kept as-is. */
START_TEST(test_qp_long_whitespace)
{
	char in[512], want[512];
	size_t wsn = 200;
	struct sink whole, piece;
	unsigned long e1, e2;

	/* followed by text: all white space kept */
	memset(in, ' ', wsn);
	memcpy(in + wsn, "x", 2);
	run(DECODE_QP, in, wsn + 1, NULL, 0, &whole, &e1);
	ck_assert_uint_eq(whole.n, wsn + 1);
	ck_assert_mem_eq(whole.data, in, wsn + 1);
	ck_assert_uint_eq(e1, 0);

	/* followed by a line break: what overflowed the hold buffer is
	 * flushed, the rest dropped as trailing */
	memcpy(in + wsn, "\r\n", 3);
	run(DECODE_QP, in, wsn + 2, NULL, 0, &whole, &e1);
	struct decoder d;
	size_t hold = sizeof(d.ws);
	memset(want, ' ', hold);
	memcpy(want + hold, "\r\n", 2);
	ck_assert_uint_eq(whole.n, hold + 2);
	ck_assert_mem_eq(whole.data, want, hold + 2);
	for (size_t cut = 0; cut <= wsn + 2; cut++) {
		run(DECODE_QP, in, wsn + 2, &cut, 1, &piece, &e2);
		ck_assert_uint_eq(piece.n, whole.n);
		ck_assert_mem_eq(piece.data, whole.data, whole.n);
	}

	/* after '=': too much padding for a soft break, passed through */
	in[0] = '=';
	memset(in + 1, ' ', wsn);
	memcpy(in + 1 + wsn, "x", 2);
	run(DECODE_QP, in, wsn + 2, NULL, 0, &whole, &e1);
	ck_assert_uint_eq(whole.n, wsn + 2);
	ck_assert_mem_eq(whole.data, in, wsn + 2);
	ck_assert_uint_eq(e1, 1);
}
END_TEST

/* A long base64 body (beyond the decoder's output batch) in random-ish
 * pieces decodes to the same bytes. */
START_TEST(test_b64_long)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	unsigned char raw[3000];
	char enc[4200];
	size_t n = 0;
	for (size_t k = 0; k < sizeof(raw); k++)
		raw[k] = (unsigned char)(k * 7 + 3);
	for (size_t k = 0; k < sizeof(raw); k += 3) {
		unsigned v = (unsigned)raw[k] << 16 | (unsigned)raw[k + 1] << 8 | raw[k + 2];
		enc[n++] = alphabet[v >> 18 & 63];
		enc[n++] = alphabet[v >> 12 & 63];
		enc[n++] = alphabet[v >> 6 & 63];
		enc[n++] = alphabet[v & 63];
		if (k % 57 == 54) {
			enc[n++] = '\r';
			enc[n++] = '\n';
		}
	}
	struct sink s;
	unsigned long errors;
	size_t cuts[] = { 1, 2, 77, 78, 1000, 1001, 1003, 4000 };
	run(DECODE_BASE64, enc, n, cuts, sizeof(cuts) / sizeof(cuts[0]), &s, &errors);
	ck_assert_uint_eq(errors, 0);
	ck_assert_uint_eq(s.n, sizeof(raw));
	ck_assert_mem_eq(s.data, raw, sizeof(raw));
}
END_TEST

START_TEST(test_null_sink)
{
	struct decoder d;
	decode_init(&d, DECODE_QP);
	decode_feed(&d, (const unsigned char *)"a=41=", 5, NULL, NULL);
	decode_finish(&d, NULL, NULL);
	ck_assert_uint_eq(d.errors, 0);
}
END_TEST

/* ------------------------------------------------ base64 fast paths */

/* The decoders find alphabet runs a block (16 or 64 bytes) at a time and
 * count instead of decoding in decode_skip.  Long generated bodies, with
 * the awkward characters put where a block starts, ends or straddles,
 * are checked against a byte-at-a-time reference written from the
 * contract in decode.h. */

struct ref_out {
	unsigned char *data;
	size_t n;
	unsigned long errors;
	unsigned npend;
};

static void ref_b64(const unsigned char *p, size_t n, struct ref_out *r)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	unsigned pend[4];
	unsigned np = 0;
	r->n = 0;
	r->errors = 0;
	for (size_t i = 0; i <= n; i++) {
		int v = -1;
		if (i < n && p[i] != '\0') {
			const char *a = strchr(alphabet, p[i]);
			v = a != NULL ? (int)(a - alphabet) : -1;
		}
		if (v >= 0) {
			pend[np++] = (unsigned)v;
			if (np == 4) {
				unsigned x = pend[0] << 18 | pend[1] << 12 | pend[2] << 6 | pend[3];
				r->data[r->n++] = (unsigned char)(x >> 16);
				r->data[r->n++] = (unsigned char)(x >> 8);
				r->data[r->n++] = (unsigned char)x;
				np = 0;
			}
			continue;
		}
		if (i == n)
			r->npend = np;
		if (i < n && p[i] != '=' && p[i] != ' ' && p[i] != '\t' && p[i] != '\r' && p[i] != '\n') {
			r->errors++;
			continue;
		}
		if (i < n && p[i] != '=')
			continue;
		/* '=' or the end: the quantum so far */
		if (np == 1)
			r->errors++;
		if (np >= 2)
			r->data[r->n++] = (unsigned char)(pend[0] << 2 | pend[1] >> 4);
		if (np >= 3)
			r->data[r->n++] = (unsigned char)(pend[1] << 4 | pend[2] >> 2);
		np = 0;
	}
}

struct big_sink {
	unsigned char *data;
	size_t n, cap;
};

static void big_sink_cb(void *ctx, const unsigned char *p, size_t n)
{
	struct big_sink *s = ctx;
	ck_assert_uint_le(s->n + n, s->cap);
	memcpy(s->data + s->n, p, n);
	s->n += n;
}

struct fcase {
	const char *name;
	size_t raw;        /* bytes encoded */
	size_t width;      /* characters per line */
	const char *eol;
	const char *insert; /* put into the encoded text ... */
	size_t ilen;
	size_t at;          /* ... at this offset (clamped to the end) */
	const char *insert2;
	size_t ilen2;
	size_t at2;
};

#define INS(s) s, sizeof(s) - 1

static const struct fcase fcases[] = {
	{ "clean LF", 3000, 76, "\n", INS(""), 0, INS(""), 0 },
	{ "clean CRLF", 3000, 76, "\r\n", INS(""), 0, INS(""), 0 },
	{ "no line breaks", 5000, 100000, "\n", INS(""), 0, INS(""), 0 },
	/* more than 63 steps of 64 bytes without a stop: the per-lane
	 * line-break counters are summed up on the way */
	{ "long CRLF", 12000, 76, "\r\n", INS(""), 0, INS(""), 0 },
	{ "long, 1-char lines", 4000, 1, "\n", INS(""), 0, INS(""), 0 },
	{ "long, 2-char lines CRLF", 4000, 2, "\r\n", INS(""), 0, INS(""), 0 },
	{ "width 64", 3000, 64, "\n", INS(""), 0, INS(""), 0 },
	{ "width 63 CRLF", 3000, 63, "\r\n", INS(""), 0, INS(""), 0 },
	{ "padding mid-block", 3000, 76, "\n", INS("QQ=="), 37, INS(""), 0 },
	{ "padding at a block end", 3000, 76, "\r\n", INS("QUI="), 60, INS("="), 4096 },
	{ "padding then 1 char", 3000, 76, "\n", INS("=Q="), 1000, INS(""), 0 },
	{ "padding, odd sextets", 3000, 76, "\n", INS("Q="), 63, INS("QUJ="), 127 },
	{ "junk at block start", 3000, 76, "\n", INS("*"), 64, INS("!"), 4032 },
	{ "junk at block end", 3000, 76, "\r\n", INS("-"), 63, INS("\xff"), 4031 },
	{ "NUL and high bytes", 3000, 76, "\n", INS("\0"), 16, INS("\x80\xc3\xa6"), 200 },
	{ "space and tab", 3000, 76, "\r\n", INS(" "), 15, INS("\t\t"), 3000 },
	{ "lone CR, doubled breaks", 3000, 76, "\r\n", INS("\r"), 128, INS("\n\n\r\n"), 129 },
	{ "dash line", 3000, 76, "\n", INS("--x\n"), 78, INS("\n--\n"), 2000 },
	{ "unfinished quantum at the end", 3001, 76, "\n", INS(""), 0, INS(""), 0 },
	{ "two sextets at the end", 3002, 76, "\r\n", INS(""), 0, INS(""), 0 },
	{ "one sextet at the end", 3000, 76, "\n", INS("Q"), 100000, INS(""), 0 },
	{ "all junk", 0, 76, "\n", INS("!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"), 0, INS(""), 0 },
};

/* Encodes f's data and puts its insertions in; returns the length. */
static size_t fcase_text(const struct fcase *f, char *out, size_t cap)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t n = 0, col = 0;
	unsigned char q[3];
	for (size_t k = 0; k < f->raw; k += 3) {
		size_t m = f->raw - k < 3 ? f->raw - k : 3;
		for (size_t j = 0; j < 3; j++)
			q[j] = j < m ? (unsigned char)((k + j) * 131 + (k + j) / 7) : 0;
		unsigned v = (unsigned)q[0] << 16 | (unsigned)q[1] << 8 | q[2];
		char c4[4] = { alphabet[v >> 18 & 63], alphabet[v >> 12 & 63], alphabet[v >> 6 & 63],
		               alphabet[v & 63] };
		if (m < 3)
			c4[3] = '=';
		if (m < 2)
			c4[2] = '=';
		for (size_t j = 0; j < 4; j++) {
			ck_assert_uint_lt(n + 4, cap);
			out[n++] = c4[j];
			if (++col == f->width) {
				memcpy(out + n, f->eol, strlen(f->eol));
				n += strlen(f->eol);
				col = 0;
			}
		}
	}
	/* insert2 first: its offset refers to the text without insert */
	const char *ins[2] = { f->insert2, f->insert };
	size_t il[2] = { f->ilen2, f->ilen };
	size_t at[2] = { f->at2, f->at };
	for (size_t k = 0; k < 2; k++) {
		if (il[k] == 0)
			continue;
		size_t a = at[k] < n ? at[k] : n;
		ck_assert_uint_lt(n + il[k], cap);
		memmove(out + a + il[k], out + a, n - a);
		memcpy(out + a, ins[k], il[k]);
		n += il[k];
	}
	return n;
}

#define FAST_CAP 40000

/* Feed in pieces of `step` bytes, alternating decode_feed and
 * decode_skip per piece as `pattern` says (bit k: piece k is skipped;
 * all-ones: skip everything): counts, bytes and the state at the end
 * must be the reference's. */
static void fast_run(const struct fcase *f, const unsigned char *in, size_t n, const struct ref_out *ref,
                     size_t step, unsigned pattern)
{
	struct decoder d;
	decode_init(&d, DECODE_BASE64);
	struct big_sink s = { .data = malloc(FAST_CAP), .cap = FAST_CAP };
	ck_assert_ptr_nonnull(s.data);
	size_t total = 0;
	unsigned k = 0;
	for (size_t at = 0; at < n; at += step, k++) {
		size_t m = n - at < step ? n - at : step;
		if (pattern >> (k % 32) & 1u) {
			total += decode_skip(&d, in + at, m);
		} else {
			size_t before = s.n;
			decode_feed(&d, in + at, m, big_sink_cb, &s);
			size_t got = s.n - before;
			ck_assert_msg(total + got <= ref->n &&
			                  memcmp(s.data + before, ref->data + total, got) == 0,
			              "%s step %zu pattern %x: decoded bytes differ at %zu", f->name, step,
			              pattern, total);
			total += got;
		}
	}
	ck_assert_msg(d.npend == ref->npend, "%s step %zu pattern %x: %u sextets held, want %u", f->name,
	              step, pattern, d.npend, ref->npend);
	size_t before = s.n;
	decode_finish(&d, big_sink_cb, &s);
	size_t got = s.n - before;
	ck_assert_msg(total + got == ref->n && memcmp(s.data + before, ref->data + total, got) == 0,
	              "%s step %zu pattern %x: %zu bytes, want %zu (or the held sextets differ)", f->name,
	              step, pattern, total + got, ref->n);
	ck_assert_msg(d.errors == ref->errors, "%s step %zu pattern %x: errors %lu, want %lu", f->name, step,
	              pattern, d.errors, ref->errors);
	free(s.data);
}

START_TEST(test_b64_fast)
{
	const struct fcase *f = &fcases[_i];
	char *in = malloc(FAST_CAP);
	struct ref_out ref = { .data = malloc(FAST_CAP) };
	ck_assert_ptr_nonnull(in);
	ck_assert_ptr_nonnull(ref.data);
	size_t n = fcase_text(f, in, FAST_CAP);
	const unsigned char *u = (const unsigned char *)in;
	ref_b64(u, n, &ref);
	if (strcmp(f->name, "all junk") == 0)
		ck_assert_uint_eq(ref.errors, n); /* the reference itself */
	static const size_t steps[] = { 1, 3, 15, 16, 17, 63, 64, 65, 77, 78, 1000, 4096 };
	static const unsigned patterns[] = { 0, ~0u, 0x55555555u, 0xaaaaaaaau, 0x0f0f0f0fu, 1 };
	fast_run(f, u, n, &ref, n + 1, 0);
	fast_run(f, u, n, &ref, n + 1, ~0u);
	for (size_t si = 0; si < sizeof(steps) / sizeof(steps[0]); si++)
		for (size_t pi = 0; pi < sizeof(patterns) / sizeof(patterns[0]); pi++) {
			if (steps[si] == 1 && n > 5000 && pi > 1)
				continue;
			fast_run(f, u, n, &ref, steps[si], patterns[pi]);
		}
	/* whole skip vs whole feed after a cut at every offset near the
	 * insertions and the block edges */
	for (size_t cut = 0; cut <= n && cut < 300; cut++) {
		struct decoder d1, d2;
		decode_init(&d1, DECODE_BASE64);
		decode_init(&d2, DECODE_BASE64);
		size_t c1 = decode_skip(&d1, u, cut) + decode_skip(&d1, u + cut, n - cut);
		struct big_sink s = { .data = malloc(FAST_CAP), .cap = FAST_CAP };
		ck_assert_ptr_nonnull(s.data);
		decode_feed(&d2, u, cut, big_sink_cb, &s);
		size_t mid = s.n;
		decode_feed(&d2, u + cut, n - cut, big_sink_cb, &s);
		ck_assert_msg(c1 == s.n && d1.npend == d2.npend && memcmp(d1.pend, d2.pend, d1.npend) == 0 &&
		                  d1.errors == d2.errors,
		              "%s cut %zu: skip %zu, feed %zu (%zu)", f->name, cut, c1, s.n, mid);
		free(s.data);
	}
	free(ref.data);
	free(in);
}
END_TEST

static const struct {
	const char *cte;
	enum decode_kind kind;
} kinds[] = {
	{ "base64", DECODE_BASE64 },
	{ "BASE64", DECODE_BASE64 },
	{ " Base64 ", DECODE_BASE64 },
	{ "\"base64\"", DECODE_BASE64 },
	{ "base64; x=y", DECODE_BASE64 },
	{ "base64 (comment)", DECODE_BASE64 },
	{ "quoted-printable", DECODE_QP },
	{ "Quoted-Printable", DECODE_QP },
	{ "7bit", DECODE_IDENTITY },
	{ "8bit", DECODE_IDENTITY },
	{ "binary", DECODE_IDENTITY },
	{ "x-uuencode", DECODE_IDENTITY },
	{ "base6", DECODE_IDENTITY },
	{ "base64x", DECODE_IDENTITY },
	{ "quoted", DECODE_IDENTITY },
	{ "", DECODE_IDENTITY },
	{ NULL, DECODE_IDENTITY },
};

START_TEST(test_kind_of)
{
	ck_assert_msg(decode_kind_of(kinds[_i].cte) == kinds[_i].kind, "cte \"%s\"",
		      kinds[_i].cte ? kinds[_i].cte : "(null)");
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("decode");
	TCase *tc = tcase_create("decode");
	tcase_add_loop_test(tc, test_table, 0, (int)(sizeof(cases) / sizeof(cases[0])));
	tcase_add_loop_test(tc, test_skip, 0, (int)(sizeof(cases) / sizeof(cases[0])));
	tcase_add_test(tc, test_qp_long_whitespace);
	tcase_add_test(tc, test_b64_long);
	tcase_add_loop_test(tc, test_b64_fast, 0, (int)(sizeof(fcases) / sizeof(fcases[0])));
	tcase_add_test(tc, test_null_sink);
	tcase_add_loop_test(tc, test_kind_of, 0, (int)(sizeof(kinds) / sizeof(kinds[0])));
	suite_add_tcase(s, tc);
	return s;
}

#include "check_main.h"
