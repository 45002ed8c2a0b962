/*
 * encode: quoted-printable bodies, folded header fields with RFC 2047
 * encoded words, UTF-8 sanitizing (see encode.h).
 *
 * Inputs are untrusted UTF-8 (decoded subjects) or admin text (display
 * name, templates); outputs are appended to a bounded struct buf.  No
 * recursion, no allocation besides the buf's.  Header output is built
 * only from: the field name (ours), printable ASCII words that passed a
 * character test, encoded words (alphanumerics, '=', '?', '_', hex) and
 * "\n " folds, so no input can end a header early or start another.
 *
 * Encoded words follow RFC 2047 §2 and §5: at most 75 characters each,
 * a line holding one never exceeds 78 columns, each word holds whole
 * UTF-8 characters, adjacent words are separated by folding white space
 * (which decoders drop), so blanks inside the text are encoded in the
 * words ('_' in Q, in the base64 of B).  In a phrase (display name) Q
 * uses only the letters, digits and "!*+-/" that §5(3) allows.
 */
#include "autoconfig.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "encode.h"

static const char hex[] = "0123456789ABCDEF";

/* ----------------------------------------------------------------- utf-8 */

size_t encode_utf8_char(const unsigned char *p, size_t n, unsigned *cp)
{
	if (n == 0)
		return 0;
	unsigned c = p[0];
	size_t len;
	unsigned min;
	if (c < 0x80) {
		*cp = c;
		return 1;
	} else if (c >= 0xc2 && c <= 0xdf) {
		len = 2, min = 0x80, c &= 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3, min = 0x800, c &= 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4, min = 0x10000, c &= 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (p[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

size_t encode_utf8_put(unsigned cp, char *out)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* Characters that must not survive into a subject or name: controls,
 * line breaks of any kind, and the bidi controls that can make a subject
 * read differently from what it is. */
static bool is_blank_like(unsigned cp)
{
	return cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f) || cp == 0x85 ||
	       cp == 0x2028 || cp == 0x2029 || (cp >= 0x202a && cp <= 0x202e) ||
	       (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200e || cp == 0x200f ||
	       cp == 0xfeff || cp == 0xa0 || cp == 0x3000;
}

size_t encode_sanitize_utf8(const char *in, size_t len, size_t max_chars, char *out, size_t outsz)
{
	static const char ellipsis[] = "...";
	size_t o = 0, chars = 0;
	bool pending_space = false, cut = false;
	const unsigned char *p = (const unsigned char *)in;

	if (outsz == 0)
		return 0;
	/* Leave room for the ellipsis so a cut is always visible. */
	size_t room = outsz - 1 > sizeof(ellipsis) ? outsz - 1 - (sizeof(ellipsis) - 1) : 0;
	for (size_t i = 0; i < len;) {
		unsigned cp;
		size_t n = encode_utf8_char(p + i, len - i, &cp);
		if (n == 0) {
			i++;
			continue;
		}
		if (cp == ' ' || is_blank_like(cp)) {
			pending_space = o > 0;
			i += n;
			continue;
		}
		size_t need = n + (pending_space ? 1 : 0);
		if (chars + (pending_space ? 1 : 0) + 1 > max_chars || o + need > room) {
			cut = true;
			break;
		}
		if (pending_space) {
			out[o++] = ' ';
			chars++;
			pending_space = false;
		}
		memcpy(out + o, p + i, n);
		o += n;
		chars++;
		i += n;
	}
	if (cut && o + sizeof(ellipsis) - 1 < outsz) {
		memcpy(out + o, ellipsis, sizeof(ellipsis) - 1);
		o += sizeof(ellipsis) - 1;
	}
	out[o] = '\0';
	return o;
}

/* -------------------------------------------------------- quoted-printable */

static bool qp_literal(unsigned char c)
{
	/* A tab is allowed literally, but encoding it costs little and keeps
	 * every byte of the body in one plain alphabet. */
	return (c >= 33 && c <= 126 && c != '=') || c == ' ';
}

int encode_qp(const char *in, size_t len, struct buf *out)
{
	const unsigned char *p = (const unsigned char *)in;
	size_t col = 0;
	bool line_start = true;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = p[i];
		if (c == '\r')
			continue;
		if (c == '\n') {
			buf_putc(out, '\n');
			col = 0;
			line_start = true;
			continue;
		}
		/* Is this the last byte of its line (ignoring CRs)? */
		size_t j = i + 1;
		while (j < len && p[j] == '\r')
			j++;
		bool at_eol = j >= len || p[j] == '\n';
		bool encode = !qp_literal(c) || (c == ' ' && at_eol) ||
		              (line_start && c == '.') ||
		              (line_start && c == 'F' && len - i >= 5 && memcmp(p + i, "From ", 5) == 0);
		size_t w = encode ? 3 : 1;
		/* A soft break "=" needs one column; the last chunk of a line
		 * may use all 76 because no "=" follows it. */
		size_t limit = at_eol ? ENCODE_QP_LINE_MAX : ENCODE_QP_LINE_MAX - 1;
		if (col + w > limit) {
			buf_append(out, "=\n", 2);
			col = 0;
			line_start = true;
			encode = encode || c == '.' ||
			         (c == 'F' && len - i >= 5 && memcmp(p + i, "From ", 5) == 0);
			w = encode ? 3 : 1;
		}
		if (encode) {
			char e[3] = { '=', hex[c >> 4], hex[c & 15] };
			buf_append(out, e, 3);
		} else {
			buf_putc(out, (char)c);
		}
		col += w;
		line_start = false;
	}
	return out->truncated || out->failed ? -1 : 0;
}

/* ------------------------------------------------------------- headers */

struct hline {
	struct buf *out;
	size_t col;
};

static void hl_start(struct hline *hl, struct buf *out, const char *name)
{
	hl->out = out;
	buf_printf(out, "%s:", name);
	hl->col = strlen(name) + 1;
}

/* Writes a token preceded by a blank, folding first when it would not fit
 * (never at the start of the field body: a fold there helps nobody). */
static void hl_token(struct hline *hl, const char *tok, size_t n, bool first)
{
	if (!first && hl->col + 1 + n > ENCODE_LINE_MAX) {
		buf_append(hl->out, "\n", 1);
		hl->col = 0;
	}
	buf_putc(hl->out, ' ');
	buf_append(hl->out, tok, n);
	hl->col += 1 + n;
}

static int hl_end(struct hline *hl)
{
	buf_putc(hl->out, '\n');
	return hl->out->truncated || hl->out->failed ? -1 : 0;
}

static bool is_printable_ascii(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return false;
	return true;
}

/* The longest blank-free run: longer words cannot be folded. */
static size_t longest_word(const char *s)
{
	size_t best = 0, cur = 0;
	for (; *s != '\0'; s++) {
		cur = *s == ' ' ? 0 : cur + 1;
		if (cur > best)
			best = cur;
	}
	return best;
}

static bool q_safe(unsigned char c, bool phrase)
{
	if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
		return true;
	if (c == '!' || c == '*' || c == '+' || c == '-' || c == '/')
		return true;
	return !phrase && (c == '.' || c == ',' || c == ':' || c == ';' || c == '(' || c == ')' ||
	                   c == '\'' || c == '&' || c == '%' || c == '#' || c == '@');
}

static size_t q_width(unsigned char c, bool phrase)
{
	return c == ' ' || q_safe(c, phrase) ? 1 : 3;
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static size_t b64_len(size_t n)
{
	return (n + 2) / 3 * 4;
}

static void put_b64(struct buf *out, const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)p[i] << 16;
		if (i + 1 < n)
			v |= (unsigned)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		char q[4] = { b64[(v >> 18) & 63], b64[(v >> 12) & 63],
		              i + 1 < n ? b64[(v >> 6) & 63] : '=', i + 2 < n ? b64[v & 63] : '=' };
		buf_append(out, q, 4);
	}
}

#define EW_OVERHEAD 12  /* "=?utf-8?Q?" + "?=" */
#define EW_MAX 75

/* Writes the UTF-8 text as encoded words, each ending on a character
 * boundary, folding between words so every line stays within 78. */
static void hl_encoded_words(struct hline *hl, const char *text, bool phrase, bool first)
{
	const unsigned char *p = (const unsigned char *)text;
	size_t len = strlen(text), qlen = 0;
	for (size_t i = 0; i < len; i++)
		qlen += q_width(p[i], phrase);
	bool use_b = b64_len(len) < qlen;

	size_t i = 0;
	while (i < len) {
		/* Room for this word's payload on the current line, or on a
		 * fresh one when fewer than one 4-byte character would fit. */
		size_t avail = hl->col + 1 + EW_OVERHEAD < ENCODE_LINE_MAX ?
		               ENCODE_LINE_MAX - hl->col - 1 - EW_OVERHEAD : 0;
		if (avail > EW_MAX - EW_OVERHEAD)
			avail = EW_MAX - EW_OVERHEAD;
		if (avail < 12 && !first) {
			buf_append(hl->out, "\n", 1);
			hl->col = 0;
			continue;
		}
		first = false;
		size_t end = i, width = 0;
		while (end < len) {
			unsigned cp;
			size_t n = encode_utf8_char(p + end, len - end, &cp);
			if (n == 0)
				n = 1;  /* sanitized input never gets here; stay safe */
			size_t w = 0;
			if (use_b) {
				w = b64_len(end + n - i);
			} else {
				w = width;
				for (size_t k = 0; k < n; k++)
					w += q_width(p[end + k], phrase);
			}
			if (w > avail && end > i)
				break;
			width = w;
			end += n;
		}
		size_t before = hl->out->len;
		buf_append(hl->out, use_b ? " =?utf-8?B?" : " =?utf-8?Q?", 11);
		if (use_b) {
			put_b64(hl->out, p + i, end - i);
		} else {
			for (size_t k = i; k < end; k++) {
				unsigned char c = p[k];
				if (c == ' ') {
					buf_putc(hl->out, '_');
				} else if (q_safe(c, phrase)) {
					buf_putc(hl->out, (char)c);
				} else {
					char e[3] = { '=', hex[c >> 4], hex[c & 15] };
					buf_append(hl->out, e, 3);
				}
			}
		}
		buf_append(hl->out, "?=", 2);
		hl->col += hl->out->len - before;
		i = end;
	}
}

/* Plain ASCII words, folded at blanks. */
static void hl_words(struct hline *hl, const char *text, bool first)
{
	const char *p = text;
	while (*p != '\0') {
		while (*p == ' ')
			p++;
		size_t n = strcspn(p, " ");
		if (n == 0)
			break;
		hl_token(hl, p, n, first);
		first = false;
		p += n;
	}
}

int encode_header_text(struct buf *out, const char *name, const char *prefix, const char *text)
{
	struct hline hl;
	hl_start(&hl, out, name);
	bool plain = is_printable_ascii(text) && strstr(text, "=?") == NULL &&
	             longest_word(text) <= ENCODE_LINE_MAX - EW_OVERHEAD - 10;
	hl_words(&hl, prefix, true);
	bool first = prefix[0] == '\0';
	if (plain)
		hl_words(&hl, text, first);
	else if (text[0] != '\0')
		hl_encoded_words(&hl, text, false, first);
	return hl_end(&hl);
}

static bool is_atext(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

int encode_header_mailbox(struct buf *out, const char *name, const char *display, const char *addr)
{
	struct hline hl;
	char angle[300];
	hl_start(&hl, out, name);
	if (display == NULL || display[0] == '\0') {
		hl_token(&hl, addr, strlen(addr), true);
		return hl_end(&hl);
	}
	bool atoms = true, ascii = is_printable_ascii(display);
	for (const char *p = display; *p != '\0'; p++)
		if (*p != ' ' && !is_atext((unsigned char)*p))
			atoms = false;
	if (strstr(display, "=?") != NULL)
		atoms = false;
	if (ascii && atoms && longest_word(display) <= 40) {
		hl_words(&hl, display, true);
	} else if (ascii && strlen(display) <= 60) {
		struct buf q;
		buf_init(&q, 200);
		buf_putc(&q, '"');
		for (const char *p = display; *p != '\0'; p++) {
			if (*p == '"' || *p == '\\')
				buf_putc(&q, '\\');
			buf_putc(&q, *p);
		}
		buf_putc(&q, '"');
		hl_token(&hl, buf_cstr(&q), q.len, true);
		bool bad = q.failed;
		buf_free(&q);
		if (bad)
			return -1;
	} else {
		hl_encoded_words(&hl, display, true, true);
	}
	int n = snprintf(angle, sizeof(angle), "<%s>", addr);
	if (n < 0 || (size_t)n >= sizeof(angle))
		return -1;
	hl_token(&hl, angle, (size_t)n, false);
	return hl_end(&hl);
}

int encode_header_tokens(struct buf *out, const char *name, const char *const *tokens, size_t n)
{
	struct hline hl;
	hl_start(&hl, out, name);
	for (size_t i = 0; i < n; i++)
		hl_token(&hl, tokens[i], strlen(tokens[i]), i == 0);
	return hl_end(&hl);
}
