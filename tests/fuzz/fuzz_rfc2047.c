/*
 * libFuzzer target for the header/body codecs: rfc2047_decode,
 * mime_params_parse, decode_feed (all three kinds) and charset_feed.
 *
 * Input layout: byte 0 picks the charset label, bytes 1-2 seed the split
 * points, the rest is the payload.  Properties checked (abort on failure):
 *   - rfc2047 and rfc2231 output is valid UTF-8 and bounded by the input;
 *   - decode and charset output (and error counts / flags) are the same
 *     whether the payload is fed whole or cut at pseudo-random points;
 *   - charset output is valid UTF-8.
 *
 * Build (from a configured tree, for autoconfig.h):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -I milter -I . \
 *     tests/fuzz/fuzz_rfc2047.c milter/rfc2047.c milter/rfc2231.c milter/charset.c \
 *     milter/decode.c milter/buf.c -o /tmp/fuzz_2047
 */
#include "autoconfig.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "charset.h"
#include "decode.h"
#include "rfc2047.h"
#include "rfc2231.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *labels[] = {
	NULL, "utf-8", "us-ascii", "iso-8859-1", "iso-8859-15", "windows-1252", "koi8-r", "iso-2022-jp",
	"gb2312", "utf-16", "utf-16le", "utf-7", "big5", "shift_jis", "x-unknown", "",
};

static bool utf8_valid(const unsigned char *p, size_t n)
{
	size_t i = 0;
	while (i < n) {
		unsigned char b = p[i];
		if (b < 0x80) {
			i++;
			continue;
		}
		size_t len;
		unsigned char lo = 0x80, hi = 0xBF;
		if (b >= 0xC2 && b <= 0xDF)
			len = 2;
		else if (b >= 0xE0 && b <= 0xEF) {
			len = 3;
			lo = b == 0xE0 ? 0xA0 : 0x80;
			hi = b == 0xED ? 0x9F : 0xBF;
		} else if (b >= 0xF0 && b <= 0xF4) {
			len = 4;
			lo = b == 0xF0 ? 0x90 : 0x80;
			hi = b == 0xF4 ? 0x8F : 0xBF;
		} else
			return false;
		if (i + len > n)
			return false;
		if (p[i + 1] < lo || p[i + 1] > hi)
			return false;
		for (size_t k = 2; k < len; k++)
			if (p[i + k] < 0x80 || p[i + k] > 0xBF)
				return false;
		i += len;
	}
	return true;
}

struct out {
	unsigned char *p;
	size_t n, cap;
};

static void out_put(struct out *o, const void *p, size_t n)
{
	if (o->n + n > o->cap) {
		size_t cap = (o->n + n) * 2 + 64;
		unsigned char *q = realloc(o->p, cap);
		if (q == NULL)
			abort();
		o->p = q;
		o->cap = cap;
	}
	memcpy(o->p + o->n, p, n);
	o->n += n;
}

static void dec_sink(void *ctx, const unsigned char *p, size_t n)
{
	out_put(ctx, p, n);
}

static void cs_sink(void *ctx, const char *p, size_t n)
{
	out_put(ctx, p, n);
}

/* Next cut: pieces of 0..31 bytes, or occasionally a big one. */
static size_t next_piece(uint32_t *seed)
{
	*seed = *seed * 1103515245u + 12345u;
	uint32_t r = *seed >> 16;
	return (r & 0x100) ? (r & 0x3FF) : (r & 0x1F);
}

static void run_decode(enum decode_kind kind, const unsigned char *p, size_t n, uint32_t seed, bool split,
		       struct out *o, unsigned long *errors)
{
	struct decoder d;
	decode_init(&d, kind);
	size_t at = 0;
	while (at < n) {
		size_t k = split ? next_piece(&seed) : n;
		if (k > n - at)
			k = n - at;
		decode_feed(&d, p + at, k, dec_sink, o);
		at += k;
	}
	decode_finish(&d, dec_sink, o);
	*errors = d.errors;
}

static void run_charset(const char *label, const unsigned char *p, size_t n, uint32_t seed, bool split,
			struct out *o, bool *invalid)
{
	struct charset_conv *c = charset_new(label);
	if (c == NULL)
		abort();
	size_t at = 0;
	while (at < n) {
		size_t k = split ? next_piece(&seed) : n;
		if (k > n - at)
			k = n - at;
		charset_feed(c, p + at, k, cs_sink, o);
		at += k;
	}
	charset_finish(c, cs_sink, o);
	*invalid = charset_had_invalid(c);
	charset_free(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 3)
		return 0;
	const char *label = labels[data[0] % (sizeof(labels) / sizeof(labels[0]))];
	uint32_t seed = (uint32_t)data[1] << 8 | data[2];
	const unsigned char *p = data + 3;
	size_t n = size - 3;

	char *s = rfc2047_decode((const char *)p, n);
	if (s == NULL)
		abort();
	size_t sl = strlen(s);
	if (sl > 4 * n + 64 || !utf8_valid((const unsigned char *)s, sl))
		abort();
	free(s);

	struct mime_params mp;
	if (mime_params_parse((const char *)p, n, &mp) != 0)
		abort();
	if (mp.value == NULL || mp.n > MIME_PARAM_MAX)
		abort();
	for (size_t k = 0; k < mp.n; k++) {
		size_t vl = strlen(mp.values[k]);
		bool exact = strcmp(mp.names[k], "boundary") == 0; /* raw bytes by design */
		if (vl > 4 * n + 64 || (!exact && !utf8_valid((const unsigned char *)mp.values[k], vl)))
			abort();
		if (mime_params_get(&mp, mp.names[k]) == NULL)
			abort();
	}
	mime_params_free(&mp);

	for (int kind = DECODE_IDENTITY; kind <= DECODE_QP; kind++) {
		struct out a = { 0 }, b = { 0 };
		unsigned long ea, eb;
		run_decode((enum decode_kind)kind, p, n, seed, false, &a, &ea);
		run_decode((enum decode_kind)kind, p, n, seed, true, &b, &eb);
		if (a.n != b.n || (a.n > 0 && memcmp(a.p, b.p, a.n) != 0) || ea != eb || a.n > n)
			abort();
		free(a.p);
		free(b.p);
	}

	struct out a = { 0 }, b = { 0 };
	bool ia, ib;
	run_charset(label, p, n, seed, false, &a, &ia);
	run_charset(label, p, n, seed, true, &b, &ib);
	if (!utf8_valid(a.p, a.n) || !utf8_valid(b.p, b.n))
		abort();
	if (a.n != b.n || (a.n > 0 && memcmp(a.p, b.p, a.n) != 0) || ia != ib)
		abort();
	free(a.p);
	free(b.p);
	return 0;
}
