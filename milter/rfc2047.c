/*
 * rfc2047: decodes encoded words in a header value to UTF-8 (see
 * rfc2047.h).
 *
 * One left-to-right pass over the value.  Every "=?" is tried as an
 * encoded word "=?charset[*lang]?B|Q?text?=" (text bounded to WORD_MAX
 * bytes, no line breaks; spaces tolerated, as some clients write them);
 * what does not parse, or whose base64 is bad, stays literal.  Decoded words are held as raw bytes while the next
 * thing is another word in the same charset (only white space between), so
 * a multi-byte character split across two words is joined before the
 * charset conversion; white space between adjacent words is dropped.
 * Literal text is unfolded (CR and LF removed, the folding white space
 * kept) and converted as UTF-8 with a windows-1252 fallback.  Control
 * characters (NUL, CR, LF from decoded words) become spaces, so the
 * result is one line of valid UTF-8.
 *
 * Limits: output is at most a small constant times the input (each input
 * byte makes at most 4 output bytes).  Failure: NULL only when memory runs
 * out.
 */
#include "autoconfig.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "charset.h"
#include "decode.h"
#include "rfc2047.h"

#define CHARSET_MAX 64
#define WORD_MAX 1024 /* encoded text; RFC 2047 says 75 for the whole word */

struct word {
	char charset[CHARSET_MAX + 1]; /* without the language suffix */
	size_t end;                    /* offset just past "?=" */
	bool is_b;
	const char *text;
	size_t ntext;
};

static bool is_wsp(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Parses an encoded word starting at s[i] == '='; false if there is none. */
static bool word_parse(const char *s, size_t len, size_t i, struct word *w)
{
	if (i + 1 >= len || s[i] != '=' || s[i + 1] != '?')
		return false;
	size_t p = i + 2, cs = p;
	while (p < len && s[p] != '?') {
		unsigned char c = (unsigned char)s[p];
		if (c <= ' ' || c >= 0x7F || c == '=' || c == '"' || p - cs >= CHARSET_MAX)
			return false;
		p++;
	}
	size_t cslen = p - cs;
	if (p >= len || cslen == 0)
		return false;
	/* RFC 2231 section 5: "utf-8*da" carries a language. */
	const char *star = memchr(s + cs, '*', cslen);
	if (star != NULL)
		cslen = (size_t)(star - (s + cs));
	if (cslen == 0)
		return false;
	memcpy(w->charset, s + cs, cslen);
	w->charset[cslen] = '\0';
	p++; /* '?' */
	if (p + 1 >= len || s[p + 1] != '?')
		return false;
	if (s[p] == 'B' || s[p] == 'b')
		w->is_b = true;
	else if (s[p] == 'Q' || s[p] == 'q')
		w->is_b = false;
	else
		return false;
	p += 2;
	size_t t = p;
	bool has_space = false, has_start = false;
	for (;;) {
		if (p + 1 >= len || p - t > WORD_MAX)
			return false;
		if (s[p] == '?' && s[p + 1] == '=')
			break;
		if (s[p] == '\r' || s[p] == '\n')
			return false;
		if (s[p] == ' ' || s[p] == '\t')
			has_space = true;
		if (s[p] == '=' && s[p + 1] == '?')
			has_start = true;
		p++;
	}
	/* Some clients leave spaces in the encoded text ("Frav=E6r i dag"):
	 * accepted unless the "word" then swallows the start of another. */
	if (has_space && has_start)
		return false;
	w->text = s + t;
	w->ntext = p - t;
	w->end = p + 2;
	return true;
}

static void bytes_sink(void *ctx, const unsigned char *p, size_t n)
{
	buf_append(ctx, p, n);
}

/* Appends the decoded text of w to dst; -1 (dst then holds junk) if the
 * base64 is bad. */
static int word_decode(const struct word *w, struct buf *dst)
{
	if (w->is_b) {
		struct decoder d;
		decode_init(&d, DECODE_BASE64);
		decode_feed(&d, (const unsigned char *)w->text, w->ntext, bytes_sink, dst);
		decode_finish(&d, bytes_sink, dst);
		return d.errors > 0 ? -1 : 0;
	}
	for (size_t i = 0; i < w->ntext; i++) {
		char c = w->text[i];
		int hi, lo;
		if (c == '_') {
			buf_putc(dst, ' ');
		} else if (c == '=' && i + 2 < w->ntext &&
			   (hi = decode_hex_digit(w->text[i + 1])) >= 0 &&
			   (lo = decode_hex_digit(w->text[i + 2])) >= 0) {
			buf_putc(dst, (char)(hi << 4 | lo));
			i += 2;
		} else {
			buf_putc(dst, c); /* malformed '=' kept, as in QP */
		}
	}
	return 0;
}

static void conv_sink(void *ctx, const char *p, size_t n)
{
	buf_append(ctx, p, n);
}

/* Converts p[0..n) from label (NULL: UTF-8 else windows-1252) onto out. */
static int append_converted(struct buf *out, const char *label, const char *p, size_t n)
{
	if (n == 0)
		return 0;
	struct charset_conv *c = charset_new(label);
	if (c == NULL)
		return -1;
	charset_feed(c, (const unsigned char *)p, n, conv_sink, out);
	charset_finish(c, conv_sink, out);
	charset_free(c);
	return 0;
}

struct state {
	struct buf out;
	struct buf raw;   /* literal bytes not yet converted */
	struct buf gap;   /* white space after the held run of words */
	struct buf bytes; /* decoded bytes of the held run */
	struct buf word;  /* scratch: one word's decoded bytes */
	char charset[CHARSET_MAX + 1];
	bool holding;     /* bytes/charset hold a run of words */
};

static int flush_raw(struct state *st)
{
	int rc = append_converted(&st->out, NULL, st->raw.data, st->raw.len);
	buf_reset(&st->raw);
	return rc;
}

/* Converts the held run; the white space after it becomes literal text. */
static int flush_word(struct state *st, bool keep_gap)
{
	if (!st->holding)
		return 0;
	st->holding = false;
	int rc = append_converted(&st->out, st->charset, st->bytes.data, st->bytes.len);
	buf_reset(&st->bytes);
	if (keep_gap && st->gap.len > 0)
		buf_append(&st->raw, st->gap.data, st->gap.len);
	buf_reset(&st->gap);
	return rc;
}

static void state_free(struct state *st)
{
	buf_free(&st->out);
	buf_free(&st->raw);
	buf_free(&st->gap);
	buf_free(&st->bytes);
	buf_free(&st->word);
}

static bool state_failed(const struct state *st)
{
	return st->out.failed || st->raw.failed || st->gap.failed || st->bytes.failed || st->word.failed;
}

char *rfc2047_decode(const char *value, size_t len)
{
	struct state st;
	memset(&st, 0, sizeof(st));
	size_t cap = len > (SIZE_MAX - 64) / 4 ? SIZE_MAX - 1 : len * 4 + 64;
	buf_init(&st.out, cap);
	buf_init(&st.raw, cap);
	buf_init(&st.gap, cap);
	buf_init(&st.bytes, cap);
	buf_init(&st.word, cap);
	int rc = 0;
	size_t i = 0;
	while (i < len && rc == 0) {
		struct word w;
		if (value[i] == '=' && word_parse(value, len, i, &w)) {
			buf_reset(&st.word);
			if (word_decode(&w, &st.word) == 0) {
				if (st.holding && strcasecmp(st.charset, w.charset) == 0) {
					buf_reset(&st.gap); /* between adjacent words */
				} else {
					rc = flush_word(&st, false);
					if (rc == 0)
						rc = flush_raw(&st);
					memcpy(st.charset, w.charset, sizeof(st.charset));
					st.holding = true;
				}
				buf_append(&st.bytes, st.word.data, st.word.len);
				i = w.end;
				continue;
			}
			/* Bad base64: the word is literal text. */
		}
		char c = value[i++];
		if (st.holding) {
			if (is_wsp(c)) {
				if (c != '\r' && c != '\n')
					buf_putc(&st.gap, c);
				continue;
			}
			rc = flush_word(&st, true);
		}
		if (c != '\r' && c != '\n') /* unfolding */
			buf_putc(&st.raw, c);
	}
	if (rc == 0)
		rc = flush_word(&st, true);
	if (rc == 0)
		rc = flush_raw(&st);
	if (rc < 0 || state_failed(&st)) {
		state_free(&st);
		return NULL;
	}
	size_t n = st.out.len;
	char *r = buf_steal(&st.out);
	state_free(&st);
	if (r == NULL)
		return NULL;
	/* One line of text: controls (NUL, or =0A in a word) become spaces. */
	for (size_t k = 0; k < n; k++)
		if ((unsigned char)r[k] < 0x20 && r[k] != '\t')
			r[k] = ' ';
	return r;
}
