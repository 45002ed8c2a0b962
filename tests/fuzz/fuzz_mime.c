/*
 * fuzz_mime: libFuzzer target for mime.c.
 *
 * Input: byte 0 picks the limits and the chunk pattern, byte 1 seeds the
 * chunk sizes, the rest is a whole message (top-level header fields split
 * here, as the MTA would hand them, then the body).  The body is parsed
 * twice, whole and in chunks; both runs must give the same event digest
 * (events never depend on the chunking), part_begin/part_end must
 * balance, part_data must only come inside a leaf.  Any violation aborts.
 *
 * Build (after configure, from the top of the tree):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -I milter -I . \
 *     tests/fuzz/fuzz_mime.c milter/mime.c milter/decode.c milter/rfc2231.c \
 *     milter/rfc2047.c milter/charset.c milter/buf.c -o /tmp/fuzz_mime
 * Seeds: each golden mail (tests/data/mime) and corpus mail with two
 * leading bytes, e.g.
 *   for f in tests/data/mime/[0-9]*.eml; do (printf 'a7'; cat "$f") > seeds/$(basename "$f"); done
 *   /tmp/fuzz_mime -max_len=200000 -max_total_time=600 corpus seeds
 */
#include "autoconfig.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mime.h"

#define OPEN_MAX 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct track {
	uint64_t h;           /* FNV-1a over the events */
	size_t open;
	bool leaf[OPEN_MAX];
	unsigned long begins, ends;
};

static void mix(struct track *t, const void *p, size_t n)
{
	const unsigned char *s = p;
	for (size_t i = 0; i < n; i++) {
		t->h ^= s[i];
		t->h *= 1099511628211ull;
	}
}

static void mix_str(struct track *t, const char *s)
{
	if (s == NULL)
		s = "(null)";
	mix(t, s, strlen(s) + 1);
}

static void on_header(void *ctx, unsigned depth, bool in_message, const char *name,
                      const char *value, size_t value_len)
{
	struct track *t = ctx;
	if (value[value_len] != '\0')
		abort();
	mix(t, "H", 1);
	mix(t, &depth, sizeof(depth));
	mix(t, &in_message, sizeof(in_message));
	mix_str(t, name);
	mix(t, value, value_len);
}

static void on_begin(void *ctx, const struct mime_part_info *pi)
{
	struct track *t = ctx;
	if (t->open > 0 && t->open <= OPEN_MAX && t->leaf[t->open - 1])
		abort(); /* a part inside a leaf */
	if (pi->content_type == NULL || pi->depth != t->open || pi->index != t->begins)
		abort();
	if (pi->is_multipart && pi->is_message)
		abort();
	if (t->open < OPEN_MAX)
		t->leaf[t->open] = !pi->is_multipart && !pi->is_message;
	t->open++;
	t->begins++;
	mix(t, "B", 1);
	mix(t, &pi->depth, sizeof(pi->depth));
	mix_str(t, pi->content_type);
	mix_str(t, pi->declared_type);
	mix_str(t, pi->charset);
	mix_str(t, pi->encoding);
	mix_str(t, pi->filename);
	mix_str(t, pi->disposition);
	mix_str(t, pi->content_id);
	mix_str(t, pi->parent_type);
	mix(t, &pi->sibling_index, sizeof(pi->sibling_index));
	bool b[4] = { pi->type_declared, pi->is_multipart, pi->is_message, pi->in_message };
	mix(t, b, sizeof(b));
}

static void on_data(void *ctx, const unsigned char *p, size_t n)
{
	struct track *t = ctx;
	if (t->open == 0 || (t->open <= OPEN_MAX && !t->leaf[t->open - 1]) || n == 0)
		abort();
	/* no marker: how the data is cut into calls may vary */
	mix(t, p, n);
}

static void on_end(void *ctx)
{
	struct track *t = ctx;
	if (t->open == 0)
		abort();
	t->open--;
	t->ends++;
	mix(t, "E", 1);
}

static const struct mime_callbacks cbs = {
	.header = on_header,
	.part_begin = on_begin,
	.part_data = on_data,
	.part_end = on_end,
};

/* Feeds the top-level header block field by field; returns the offset of
 * the body. */
static size_t feed_headers(struct mime_parser *p, const char *m, size_t len)
{
	char *name = NULL, *value = NULL;
	size_t vlen = 0;
	size_t i = 0;
	while (i < len) {
		const char *lf = memchr(m + i, '\n', len - i);
		size_t e = lf != NULL ? (size_t)(lf - m) : len;
		size_t next = lf != NULL ? e + 1 : len;
		size_t l = e - i;
		if (l > 0 && m[i + l - 1] == '\r')
			l--;
		if (l == 0) {
			i = next;
			break;
		}
		if ((m[i] == ' ' || m[i] == '\t') && name != NULL) {
			char *v = realloc(value, vlen + l + 3);
			if (v == NULL)
				abort();
			value = v;
			memcpy(value + vlen, "\r\n", 2);
			memcpy(value + vlen + 2, m + i, l);
			vlen += l + 2;
			value[vlen] = '\0';
		} else {
			if (name != NULL)
				mime_header(p, name, value);
			free(name);
			free(value);
			name = value = NULL;
			const char *colon = memchr(m + i, ':', l);
			if (colon != NULL) {
				size_t nl = (size_t)(colon - (m + i));
				name = strndup(m + i, nl);
				size_t v = nl + 1;
				while (v < l && m[i + v] == ' ')
					v++;
				vlen = l - v;
				value = strndup(m + i + v, vlen);
				if (name == NULL || value == NULL)
					abort();
			}
		}
		i = next;
	}
	if (name != NULL)
		mime_header(p, name, value);
	free(name);
	free(value);
	return i;
}

static uint64_t run(const char *m, size_t len, const struct mime_limits *lim, unsigned mode,
                    unsigned seed)
{
	static const size_t fixed[] = { 1, 2, 3, 7, 64, 4096, 65535 };
	struct track *t = calloc(1, sizeof(*t));
	if (t == NULL)
		abort();
	t->h = 14695981039346656037ull;
	struct mime_parser *p = mime_new(lim, &cbs, t);
	if (p == NULL)
		abort();
	size_t at = feed_headers(p, m, len);
	mime_end_headers(p);
	uint32_t x = seed * 2654435761u + 1;
	while (at < len) {
		size_t k;
		if (mode == 0)
			k = len - at;
		else if (mode <= 7)
			k = fixed[mode - 1];
		else {
			x = x * 1103515245u + 12345u;
			k = 1 + (x >> 16) % (mode == 8 ? 5 : 300);
		}
		if (k > len - at)
			k = len - at;
		mime_feed(p, (const unsigned char *)m + at, k);
		at += k;
	}
	mime_finish(p);
	unsigned flags = mime_flags(p);
	mix(t, &flags, sizeof(flags));
	mime_free(p);
	if (t->open != 0 || t->begins != t->ends)
		abort();
	uint64_t h = t->h;
	free(t);
	return h;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	unsigned sel = data[0], seed = data[1];
	const char *m = (const char *)data + 2;
	size_t len = size - 2;
	struct mime_limits lim = {
		.max_header_size = (sel & 0x10) ? 64 : 8192,
		.max_line = (sel & 0x20) ? 256 : 2000,
		.max_depth = (sel & 0x40) ? 3 : 40,
		.max_parts = (sel & 0x80) ? 5 : 1000,
	};
	unsigned mode = 1 + (sel & 0x0f) % 9; /* 1..9: never the whole body */
	uint64_t whole = run(m, len, &lim, 0, seed);
	uint64_t chunked = run(m, len, &lim, mode, seed);
	if (whole != chunked)
		abort(); /* the chunking changed the events */
	return 0;
}
