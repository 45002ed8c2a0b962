/*
 * prefilter: required literals for regexes (prefilter.h), in three parts.
 *
 * Extraction (pf_extract) reads a pattern's text once, left to right, on
 * an explicit stack of group frames (at most PF_MAX_DEPTH deep, patterns
 * of at most PF_MAX_PATTERN bytes).  Each item gets one of
 *   EXACT  every string it can match, folded (<= PF_MAX_EXACT strings of
 *          <= PF_MAX_LIT bytes),
 *   REQ    literals one of which every match contains (<= PF_MAX_REQ),
 *   ANY    nothing known.
 * Literal characters are EXACT, zero-width items and lookarounds match
 * "", everything that consumes text in a way not read here (classes, \w,
 * back-references, ...) is ANY.  A concatenation keeps the cross product
 * of the exact items since the last inexact one and the best required set
 * seen (longest shortest literal, then fewest); an alternation unites.
 * Anything not clearly understood — the x flag, conditionals, recursion
 * and subroutine calls, verbs, callouts, \c, \g, \k, \o, a "{" that is
 * not a plain quantifier — makes the regex unfiltered: it always runs.
 * Giving up, ANY and losing exactness are always safe; claiming a string
 * is the only way to be wrong, and only literal characters claim one.
 *
 * Folding F (pf_fold): A-Z to a-z, U+00C0..U+00DE but U+00D7 to +0x20,
 * KELVIN SIGN to "k", LONG S to "s", ANGSTROM SIGN to "å".  Under PCRE2's
 * UTF caseless matching the characters that match a literal character c
 * are c's case set; F maps that whole set to F(c) for exactly the
 * characters a literal may hold: ASCII and U+00C0..U+00FE except
 * U+00D7, U+00DF and U+00F7 (tests/unit/test_prefilter.c checks this
 * against PCRE2 for every code point).  Other characters are ANY.
 *
 * Table and scan: the literals of the regexes used on body, own and
 * subject, sorted and deduplicated, with a bitmap of their first two
 * bytes and a small hash from such a pair to its run of literals.  A text
 * is folded into a reused buffer (folding never makes it longer) and
 * scanned once: at each position the bitmap says whether a literal may
 * start there, and only then are the literals with that pair compared.
 * The time is linear in the text (times the literals sharing a pair).
 * OOM anywhere means "maybe": the regex runs.
 */
#include "autoconfig.h"

#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "prefilter.h"

/* ------------------------------------------------------------ folding */

size_t pf_fold(const char *str, size_t n, char *out)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, o = 0;
	while (i < n) {
		unsigned char c = s[i];
		if (c >= 'A' && c <= 'Z') {
			out[o++] = (char)(c + 0x20);
			i++;
		} else if (c < 0xC3) {
			out[o++] = (char)c;
			i++;
		} else if (c == 0xC3 && i + 1 < n && s[i + 1] >= 0x80 && s[i + 1] <= 0x9E &&
		           s[i + 1] != 0x97) {
			out[o++] = (char)0xC3;
			out[o++] = (char)(s[i + 1] + 0x20);
			i += 2;
		} else if (c == 0xC5 && i + 1 < n && s[i + 1] == 0xBF) {
			out[o++] = 's';
			i += 2;
		} else if (c == 0xE2 && i + 2 < n && s[i + 1] == 0x84 &&
		           (s[i + 2] == 0xAA || s[i + 2] == 0xAB)) {
			if (s[i + 2] == 0xAA) {
				out[o++] = 'k';
			} else {
				out[o++] = (char)0xC3;
				out[o++] = (char)0xA5;
			}
			i += 3;
		} else {
			out[o++] = (char)c;
			i++;
		}
	}
	return o;
}

/* ------------------------------------------------------------ sets */

enum { K_EXACT = 0, K_REQ, K_ANY };

struct pset {
	uint8_t kind;
	uint8_t n;
	uint8_t len[PF_MAX_REQ];
	char s[PF_MAX_REQ][PF_MAX_LIT];
};

/* Copies the used part only: a set is about 2 KB, mostly empty. */
static void set_copy(struct pset *dst, const struct pset *src)
{
	dst->kind = src->kind;
	dst->n = src->n;
	for (unsigned i = 0; i < src->n; i++) {
		dst->len[i] = src->len[i];
		memcpy(dst->s[i], src->s[i], src->len[i]);
	}
}

static void set_any(struct pset *a)
{
	a->kind = K_ANY;
	a->n = 0;
}

static void set_empty(struct pset *a)
{
	a->kind = K_EXACT;
	a->n = 1;
	a->len[0] = 0;
}

static bool set_has(const struct pset *a, const char *s, size_t len)
{
	for (unsigned i = 0; i < a->n; i++)
		if (a->len[i] == len && memcmp(a->s[i], s, len) == 0)
			return true;
	return false;
}

/* Adds s to an exact set; false when full. */
static bool exact_put(struct pset *a, const char *s, size_t len)
{
	if (set_has(a, s, len))
		return true;
	if (a->n >= PF_MAX_EXACT || len > PF_MAX_LIT)
		return false;
	memcpy(a->s[a->n], s, len);
	a->len[a->n++] = (uint8_t)len;
	return true;
}

static bool contains(const char *hay, size_t hlen, const char *needle, size_t nlen)
{
	return nlen <= hlen && memmem(hay, hlen, needle, nlen) != NULL;
}

/* Adds s to a required set, kept minimal: a literal containing another
 * says nothing more (the OR is the same without it).  False when full. */
static bool req_put(struct pset *a, const char *s, size_t len)
{
	for (unsigned i = 0; i < a->n; i++)
		if (contains(s, len, a->s[i], a->len[i]))
			return true;
	unsigned k = 0;
	for (unsigned i = 0; i < a->n; i++) {
		if (contains(a->s[i], a->len[i], s, len))
			continue;
		if (k != i) {
			memcpy(a->s[k], a->s[i], a->len[i]);
			a->len[k] = a->len[i];
		}
		k++;
	}
	a->n = (uint8_t)k;
	if (a->n >= PF_MAX_REQ)
		return false;
	memcpy(a->s[a->n], s, len);
	a->len[a->n++] = (uint8_t)len;
	return true;
}

/* EXACT to REQ in place; a set holding "" says nothing. */
static void to_req(struct pset *a, struct pset *tmp)
{
	if (a->kind != K_EXACT)
		return;
	tmp->kind = K_REQ;
	tmp->n = 0;
	for (unsigned i = 0; i < a->n; i++) {
		if (a->len[i] == 0 || !req_put(tmp, a->s[i], a->len[i])) {
			set_any(a);
			return;
		}
	}
	set_copy(a, tmp);
}

static unsigned min_len(const struct pset *a)
{
	unsigned m = PF_MAX_LIT + 1;
	for (unsigned i = 0; i < a->n; i++)
		if (a->len[i] < m)
			m = a->len[i];
	return m;
}

/* Is required set a more selective than b (ANY is the worst)? */
static bool req_better(const struct pset *a, const struct pset *b)
{
	if (a->kind == K_ANY || a->n == 0)
		return false;
	if (b->kind == K_ANY || b->n == 0)
		return true;
	unsigned ma = min_len(a), mb = min_len(b);
	return ma != mb ? ma > mb : a->n < b->n;
}

/* ------------------------------------------------------------ extraction */

enum { L_NONE = 0, L_ATOM, L_QUANT, L_BLOCKED };

struct frame {
	struct pset alt;    /* the branches before this one, united */
	struct pset req;    /* best required set of this branch so far */
	struct pset tail;   /* exact strings since the last inexact item */
	struct pset last;   /* the item a quantifier would apply to */
	bool have_alt;
	bool pure;          /* the branch so far is all exact: tail is it */
	bool zero_width;    /* lookaround: the group matches "" */
	uint8_t last_state;
};

struct work {
	struct frame fr[PF_MAX_DEPTH + 1];
	struct pset t1, t2, atom;
};

static void frame_init(struct frame *f, bool zero_width)
{
	f->have_alt = false;
	f->pure = true;
	f->zero_width = zero_width;
	f->last_state = L_NONE;
	set_any(&f->req);
	set_empty(&f->tail);
}

static void keep_better(struct pset *dst, const struct pset *cand)
{
	if (req_better(cand, dst))
		set_copy(dst, cand);
}

/* tail x into out; false when the product is too large. */
static bool product(const struct pset *a, const struct pset *b, struct pset *out)
{
	if ((unsigned)a->n * b->n > PF_MAX_EXACT)
		return false;
	out->kind = K_EXACT;
	out->n = 0;
	for (unsigned i = 0; i < a->n; i++) {
		for (unsigned j = 0; j < b->n; j++) {
			size_t l = (size_t)a->len[i] + b->len[j];
			if (l > PF_MAX_LIT)
				return false;
			char s[2 * PF_MAX_LIT];
			memcpy(s, a->s[i], a->len[i]);
			memcpy(s + a->len[i], b->s[j], b->len[j]);
			if (!exact_put(out, s, l))
				return false;
		}
	}
	return true;
}

/* Appends item x (consumed) to the current branch of f. */
static void cat_add(struct frame *f, struct pset *x, struct work *w)
{
	if (x->kind == K_EXACT) {
		if (product(&f->tail, x, &w->t1)) {
			set_copy(&f->tail, &w->t1);
			return;
		}
		f->pure = false;
		to_req(&f->tail, &w->t1);
		keep_better(&f->req, &f->tail);
		set_copy(&f->tail, x);
		return;
	}
	f->pure = false;
	to_req(&f->tail, &w->t1);
	keep_better(&f->req, &f->tail);
	keep_better(&f->req, x);
	set_empty(&f->tail);
}

static void commit(struct frame *f, struct work *w)
{
	if (f->last_state == L_ATOM || f->last_state == L_QUANT)
		cat_add(f, &f->last, w);
	f->last_state = L_NONE;
}

/* Starts a new item: the previous one is final now. */
static struct pset *new_item(struct frame *f, struct work *w)
{
	commit(f, w);
	f->last_state = L_ATOM;
	return &f->last;
}

/* Ends the current branch of f and unites it into f->alt. */
static void end_branch(struct frame *f, struct work *w)
{
	commit(f, w);
	struct pset *r = &w->t2;
	if (f->pure) {
		set_copy(r, &f->tail);
	} else {
		set_copy(r, &f->req);
		to_req(&f->tail, &w->t1);
		keep_better(r, &f->tail);
	}
	bool as_req = true;
	if (!f->have_alt) {
		set_copy(&f->alt, r);
		f->have_alt = true;
		as_req = false;
	} else if (f->alt.kind == K_EXACT && r->kind == K_EXACT) {
		set_copy(&w->t1, &f->alt);
		bool ok = true;
		for (unsigned i = 0; i < r->n && ok; i++)
			ok = exact_put(&w->t1, r->s[i], r->len[i]);
		if (ok) {
			set_copy(&f->alt, &w->t1);
			as_req = false;
		}
	}
	if (as_req) {
		to_req(&f->alt, &w->t1);
		to_req(r, &w->t1);
		if (f->alt.kind == K_ANY || r->kind == K_ANY) {
			set_any(&f->alt);
		} else {
			for (unsigned i = 0; i < r->n; i++) {
				if (!req_put(&f->alt, r->s[i], r->len[i])) {
					set_any(&f->alt);
					break;
				}
			}
		}
	}
	f->pure = true;
	f->last_state = L_NONE;
	set_any(&f->req);
	set_empty(&f->tail);
}

static void quantify(struct pset *a, unsigned min, unsigned max, struct pset *tmp)
{
	if (min == 0) {
		if (max == 1 && a->kind == K_EXACT && exact_put(a, "", 0))
			return;
		set_any(a);
		return;
	}
	if (min == 1 && max == 1)
		return;
	to_req(a, tmp);
}

/* One UTF-8 character at p[0..n): its code point and length, or -1. */
static int utf8_char(const unsigned char *p, size_t n, uint32_t *cp)
{
	unsigned c = p[0];
	int len;
	uint32_t min;
	if (c < 0x80) {
		*cp = c;
		return 1;
	} else if (c >= 0xC2 && c <= 0xDF) {
		len = 2;
		min = 0x80;
	} else if (c >= 0xE0 && c <= 0xEF) {
		len = 3;
		min = 0x800;
	} else if (c >= 0xF0 && c <= 0xF4) {
		len = 4;
		min = 0x10000;
	} else {
		return -1;
	}
	if (n < (size_t)len)
		return -1;
	uint32_t v = c & (0x7Fu >> len);
	for (int k = 1; k < len; k++) {
		if ((p[k] & 0xC0) != 0x80)
			return -1;
		v = (v << 6) | (p[k] & 0x3Fu);
	}
	if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
		return -1;
	*cp = v;
	return len;
}

/* A literal character: EXACT {F(c)} when c's case set is known to fold
 * to F(c), else one unknown character. */
static void char_item(struct pset *a, uint32_t cp)
{
	char s[2];
	size_t len;
	if (cp < 0x80) {
		s[0] = (char)(cp >= 'A' && cp <= 'Z' ? cp + 0x20 : cp);
		len = 1;
	} else if ((cp >= 0xC0 && cp <= 0xDE && cp != 0xD7) ||
	           (cp >= 0xE0 && cp <= 0xFE && cp != 0xF7)) {
		if (cp <= 0xDE)
			cp += 0x20;
		s[0] = (char)0xC3;
		s[1] = (char)(0x80 | (cp & 0x3F));
		len = 2;
	} else {
		set_any(a);
		return;
	}
	a->kind = K_EXACT;
	a->n = 1;
	a->len[0] = (uint8_t)len;
	memcpy(a->s[0], s, len);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_alnum(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* An escape outside a class at p[i] == '\\'; sets *i past it.  Returns 0
 * with the item in *a (or *kind_none for \E: no item), -1 to give up. */
static int escape_item(const char *p, size_t n, size_t *ip, struct pset *a, bool *no_item)
{
	size_t i = *ip;
	*no_item = false;
	if (i + 1 >= n)
		return -1;
	char e = p[i + 1];
	i += 2;
	switch (e) {
	case 'b': case 'B': case 'A': case 'z': case 'Z': case 'G': case 'K':
		set_empty(a);
		break;
	case 'd': case 'D': case 's': case 'S': case 'w': case 'W': case 'h': case 'H':
	case 'v': case 'V': case 'R': case 'X': case 'C':
		set_any(a);
		break;
	case 'N':
		if (i < n && p[i] == '{')
			return -1;   /* \N{U+..} or a quantifier: not read */
		set_any(a);
		break;
	case 'p': case 'P':
		if (i < n && p[i] == '{') {
			const char *end = memchr(p + i, '}', n - i);
			if (end == NULL)
				return -1;
			i = (size_t)(end - p) + 1;
		} else if (i < n && ((p[i] >= 'A' && p[i] <= 'Z') || (p[i] >= 'a' && p[i] <= 'z'))) {
			i++;
		} else {
			return -1;
		}
		set_any(a);
		break;
	case 't': char_item(a, '\t'); break;
	case 'n': char_item(a, '\n'); break;
	case 'r': char_item(a, '\r'); break;
	case 'f': char_item(a, '\f'); break;
	case 'e': char_item(a, 0x1B); break;
	case 'a': char_item(a, 0x07); break;
	case 'x': {
		uint32_t cp = 0;
		if (i < n && p[i] == '{') {
			size_t k = i + 1, digits = 0;
			for (; k < n && hexval(p[k]) >= 0; k++, digits++) {
				if (digits >= 8)
					return -1;
				cp = cp * 16 + (uint32_t)hexval(p[k]);
			}
			if (digits == 0 || k >= n || p[k] != '}')
				return -1;
			i = k + 1;
		} else {
			for (int d = 0; d < 2 && i < n && hexval(p[i]) >= 0; d++)
				cp = cp * 16 + (uint32_t)hexval(p[i++]);
		}
		char_item(a, cp);
		break;
	}
	case 'E':
		*no_item = true;   /* a lone \E is ignored */
		break;
	default:
		if (is_digit(e)) {
			/* A back-reference or an octal character: either way
			 * unknown text, however many digits PCRE2 takes. */
			while (i < n && is_digit(p[i]))
				i++;
			set_any(a);
		} else if (is_alnum(e)) {
			return -1;   /* \c \g \k \o and anything else */
		} else if ((unsigned char)e < 0x80) {
			char_item(a, (unsigned char)e);
		} else {
			uint32_t cp;
			int l = utf8_char((const unsigned char *)p + i - 1, n - (i - 1), &cp);
			if (l < 0)
				return -1;
			i += (size_t)l - 1;
			char_item(a, cp);
		}
		break;
	}
	*ip = i;
	return 0;
}

/* A class at p[i] == '['; sets *i past it; -1 when not read. */
static int skip_class(const char *p, size_t n, size_t *ip)
{
	size_t i = *ip + 1;
	if (i < n && p[i] == '^')
		i++;
	if (i < n && p[i] == ']')
		i++;
	while (i < n) {
		char c = p[i];
		if (c == ']') {
			*ip = i + 1;
			return 0;
		}
		if (c == '\\') {
			if (i + 1 >= n || p[i + 1] == 'Q' || p[i + 1] == 'E')
				return -1;
			i += 2;
			if (i < n && p[i] == '{' && is_alnum(p[i - 1])) {
				const char *end = memchr(p + i, '}', n - i);
				if (end == NULL)
					return -1;
				i = (size_t)(end - p) + 1;
			}
		} else if (c == '[' && i + 1 < n && (p[i + 1] == ':' || p[i + 1] == '.' || p[i + 1] == '=')) {
			if (p[i + 1] != ':')
				return -1;
			size_t k = i + 2;
			if (k < n && p[k] == '^')
				k++;
			while (k < n && (is_alnum(p[k]) || p[k] == '<' || p[k] == '>'))
				k++;
			if (k + 1 >= n || p[k] != ':' || p[k + 1] != ']')
				return -1;
			i = k + 2;
		} else {
			i++;
		}
	}
	return -1;
}

/* A "{n}", "{n,}" or "{n,m}" at p[i]; -1 when it is anything else. */
static int brace_quant(const char *p, size_t n, size_t *ip, unsigned *min, unsigned *max)
{
	size_t i = *ip + 1;
	unsigned long a = 0, b;
	size_t d = 0;
	for (; i < n && is_digit(p[i]); i++, d++)
		if ((a = a * 10 + (unsigned long)(p[i] - '0')) > 65535)
			return -1;
	if (d == 0 || i >= n)
		return -1;
	if (p[i] == '}') {
		b = a;
	} else if (p[i] == ',') {
		i++;
		b = 0;
		d = 0;
		for (; i < n && is_digit(p[i]); i++, d++)
			if ((b = b * 10 + (unsigned long)(p[i] - '0')) > 65535)
				return -1;
		if (i >= n || p[i] != '}')
			return -1;
		if (d == 0)
			b = UINT32_MAX;
	} else {
		return -1;
	}
	*min = (unsigned)a;
	*max = (unsigned)b;
	*ip = i + 1;
	return 0;
}

enum { G_PLAIN, G_ZERO, G_COMMENT, G_OPTIONS, G_FAIL };

/* What "(" at p[i] opens; *ip is set past the opener (for G_COMMENT and
 * G_OPTIONS past the closing ")"). */
static int group_kind(const char *p, size_t n, size_t *ip)
{
	size_t i = *ip + 1;
	if (i < n && p[i] == '*')
		return G_FAIL;
	if (i >= n || p[i] != '?') {
		*ip = i;
		return G_PLAIN;
	}
	i++;
	if (i >= n)
		return G_FAIL;
	char c = p[i];
	if (c == ':' || c == '>' || c == '|') {
		*ip = i + 1;
		return G_PLAIN;
	}
	if (c == '=' || c == '!') {
		*ip = i + 1;
		return G_ZERO;
	}
	if (c == '<' && i + 1 < n && (p[i + 1] == '=' || p[i + 1] == '!')) {
		*ip = i + 2;
		return G_ZERO;
	}
	if (c == '#') {
		const char *end = memchr(p + i, ')', n - i);
		if (end == NULL)
			return G_FAIL;
		*ip = (size_t)(end - p) + 1;
		return G_COMMENT;
	}
	if (c == '<' || c == '\'' || (c == 'P' && i + 1 < n && p[i + 1] == '<')) {
		char close = c == '\'' ? '\'' : '>';
		i += c == 'P' ? 2 : 1;
		size_t k = i;
		while (k < n && (is_alnum(p[k]) || p[k] == '_'))
			k++;
		if (k == i || k >= n || p[k] != close)
			return G_FAIL;
		*ip = k + 1;
		return G_PLAIN;
	}
	/* Option letters; x changes how the rest reads, others do not. */
	size_t k = i;
	while (k < n && p[k] != ')' && p[k] != ':') {
		if (strchr("imnsUJ-^", p[k]) == NULL || p[k] == '\0')
			return G_FAIL;
		k++;
	}
	if (k >= n)
		return G_FAIL;
	*ip = k + 1;
	return p[k] == ')' ? G_OPTIONS : G_PLAIN;
}

#define PF_OPTS_OK (PCRE2_UTF | PCRE2_UCP | PCRE2_CASELESS | PCRE2_MULTILINE | PCRE2_DOTALL | \
                    PCRE2_NO_UTF_CHECK | PCRE2_DOLLAR_ENDONLY | PCRE2_UNGREEDY | PCRE2_NO_AUTO_CAPTURE)

/* The walk; the top set in *out (REQ or ANY), -1 to give up. */
static int walk(const char *p, size_t n, struct work *w, struct pset *out)
{
	unsigned depth = 0;
	frame_init(&w->fr[0], false);
	size_t i = 0;
	while (i < n) {
		struct frame *f = &w->fr[depth];
		char c = p[i];
		switch (c) {
		case '\\': {
			bool none;
			if (i + 1 < n && p[i + 1] == 'Q') {
				size_t start = i + 2;
				const char *end = memmem(p + start, n - start, "\\E", 2);
				size_t stop = end != NULL ? (size_t)(end - p) : n;
				if (stop == start) {
					commit(f, w);
					f->last_state = L_BLOCKED;
				}
				for (size_t k = start; k < stop;) {
					uint32_t cp;
					int l = utf8_char((const unsigned char *)p + k, stop - k, &cp);
					if (l < 0)
						return -1;
					char_item(new_item(f, w), cp);
					k += (size_t)l;
				}
				i = end != NULL ? stop + 2 : n;
				break;
			}
			if (escape_item(p, n, &i, &w->atom, &none) < 0)
				return -1;
			if (none) {
				commit(f, w);
				f->last_state = L_BLOCKED;
			} else {
				set_copy(new_item(f, w), &w->atom);
			}
			break;
		}
		case '(': {
			int g = group_kind(p, n, &i);
			if (g == G_FAIL)
				return -1;
			if (g == G_COMMENT || g == G_OPTIONS) {
				commit(f, w);
				f->last_state = L_BLOCKED;
				break;
			}
			if (depth >= PF_MAX_DEPTH)
				return -1;
			frame_init(&w->fr[++depth], g == G_ZERO);
			break;
		}
		case ')': {
			if (depth == 0)
				return -1;
			end_branch(f, w);
			struct frame *up = &w->fr[--depth];
			struct pset *a = new_item(up, w);
			if (f->zero_width)
				set_empty(a);
			else
				set_copy(a, &f->alt);
			i++;
			break;
		}
		case '|':
			end_branch(f, w);
			i++;
			break;
		case '[':
			if (skip_class(p, n, &i) < 0)
				return -1;
			set_any(new_item(f, w));
			break;
		case '.':
			set_any(new_item(f, w));
			i++;
			break;
		case '^':
		case '$':
			set_empty(new_item(f, w));
			i++;
			break;
		case '?':
		case '*':
		case '+':
		case '{': {
			unsigned min, max;
			if (c == '{') {
				if (brace_quant(p, n, &i, &min, &max) < 0)
					return -1;
			} else {
				min = c == '+' ? 1 : 0;
				max = c == '?' ? 1 : UINT32_MAX;
				i++;
			}
			if (f->last_state != L_ATOM)
				return -1;
			quantify(&f->last, min, max, &w->t1);
			f->last_state = L_QUANT;
			if (i < n && (p[i] == '?' || p[i] == '+'))
				i++;
			break;
		}
		default: {
			uint32_t cp;
			int l = utf8_char((const unsigned char *)p + i, n - i, &cp);
			if (l < 0)
				return -1;
			char_item(new_item(f, w), cp);
			i += (size_t)l;
			break;
		}
		}
	}
	if (depth != 0)
		return -1;
	end_branch(&w->fr[0], w);
	set_copy(out, &w->fr[0].alt);
	to_req(out, &w->t1);
	return 0;
}

static int extract(const char *p, size_t n, uint32_t opts, struct pf_lits *out, struct work *w)
{
	out->n = 0;
	if ((opts & ~(uint32_t)PF_OPTS_OK) != 0 || n > PF_MAX_PATTERN)
		return 1;
	struct pset top;
	if (walk(p, n, w, &top) < 0 || top.kind != K_REQ || top.n == 0 || min_len(&top) < PF_MIN_LIT)
		return 1;
	for (unsigned i = 0; i < top.n; i++) {
		out->len[i] = top.len[i];
		memcpy(out->s[i], top.s[i], top.len[i]);
	}
	out->n = top.n;
	return 0;
}

int pf_extract(const char *p, size_t n, uint32_t opts, struct pf_lits *out)
{
	out->n = 0;
	struct work *w = malloc(sizeof(*w));
	if (w == NULL)
		return -1;
	int rc = extract(p, n, opts, out, w);
	free(w);
	return rc;
}

/* ------------------------------------------------------------ table */

struct lit {
	uint8_t len;
	char s[PF_MAX_LIT];
};

struct pair_slot {
	uint32_t start, count;     /* count 0: empty slot */
	uint16_t pair;
};

struct prefilter {
	/* load time: each regex's extraction, NULL when unfiltered */
	struct pf_lits **cand;
	bool *used;
	size_t n_re, cap_re;
	struct work *work;         /* the extraction's stack, reused */
	/* built */
	struct lit *lits;          /* sorted by bytes, unique */
	uint16_t *pair;            /* first two bytes of each */
	size_t n_lits;
	uint64_t bitmap[65536 / 64];
	struct pair_slot *slots;   /* pair -> its run of literals, open addressing */
	size_t slot_mask;
	uint32_t *off, *cnt;       /* per regex: ids[off .. off + cnt) */
	uint32_t *ids;
	size_t n_ids;
	size_t n_filtered;
};

struct prefilter *prefilter_new(void)
{
	return calloc(1, sizeof(struct prefilter));
}

static void drop_cand(struct prefilter *pf)
{
	for (size_t i = 0; pf->cand != NULL && i < pf->n_re; i++)
		free(pf->cand[i]);
	free(pf->cand);
	free(pf->used);
	free(pf->work);
	pf->cand = NULL;
	pf->used = NULL;
	pf->work = NULL;
}

void prefilter_free(struct prefilter *pf)
{
	if (pf == NULL)
		return;
	drop_cand(pf);
	free(pf->lits);
	free(pf->pair);
	free(pf->slots);
	free(pf->off);
	free(pf->cnt);
	free(pf->ids);
	free(pf);
}

void prefilter_add(struct prefilter *pf, uint32_t re, const char *p, size_t n, uint32_t opts)
{
	if (pf == NULL || pf->lits != NULL || re >= UINT32_MAX / 2)
		return;
	if (re >= pf->cap_re) {
		size_t cap = pf->cap_re ? pf->cap_re * 2 : 64;
		while (cap <= re)
			cap *= 2;
		struct pf_lits **c = realloc(pf->cand, cap * sizeof(*c));
		if (c == NULL)
			return;
		pf->cand = c;
		bool *u = realloc(pf->used, cap * sizeof(*u));
		if (u == NULL)
			return;
		pf->used = u;
		for (size_t i = pf->cap_re; i < cap; i++) {
			pf->cand[i] = NULL;
			pf->used[i] = false;
		}
		pf->cap_re = cap;
	}
	if (re >= pf->n_re)
		pf->n_re = re + 1;
	free(pf->cand[re]);
	pf->cand[re] = NULL;
	if (pf->work == NULL && (pf->work = malloc(sizeof(*pf->work))) == NULL)
		return;
	struct pf_lits *l = malloc(sizeof(*l));
	if (l == NULL)
		return;
	if (extract(p, n, opts, l, pf->work) != 0) {
		free(l);
		return;
	}
	pf->cand[re] = l;
}

void prefilter_use(struct prefilter *pf, uint32_t re)
{
	if (pf != NULL && pf->used != NULL && re < pf->n_re)
		pf->used[re] = true;
}

static int lit_cmp(const void *a, const void *b)
{
	const struct lit *x = a, *y = b;
	size_t m = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->s, y->s, m);
	return c != 0 ? c : (int)x->len - (int)y->len;
}

static size_t slot_hash(uint16_t pair)
{
	return (size_t)(((uint32_t)pair * 0x9E3779B1u) >> 16);
}

static uint16_t pair_of(const char *s)
{
	return (uint16_t)(((unsigned char)s[0] << 8) | (unsigned char)s[1]);
}

void prefilter_build(struct prefilter *pf)
{
	if (pf == NULL || pf->lits != NULL)
		return;
	size_t total = 0;
	for (size_t i = 0; i < pf->n_re; i++)
		if (pf->cand[i] != NULL && pf->used[i])
			total += pf->cand[i]->n;
	pf->off = calloc(pf->n_re + 1, sizeof(*pf->off));
	pf->cnt = calloc(pf->n_re + 1, sizeof(*pf->cnt));
	pf->lits = calloc(total + 1, sizeof(*pf->lits));
	pf->ids = calloc(total + 1, sizeof(*pf->ids));
	pf->pair = calloc(total + 1, sizeof(*pf->pair));
	if (pf->off == NULL || pf->cnt == NULL || pf->lits == NULL || pf->ids == NULL ||
	    pf->pair == NULL) {
		/* Unfiltered: n_filtered stays 0 and every cnt (if any) 0. */
		free(pf->cnt);
		pf->cnt = NULL;
		drop_cand(pf);
		if (pf->lits == NULL)
			pf->lits = calloc(1, sizeof(*pf->lits));
		pf->n_re = 0;
		return;
	}
	size_t k = 0;
	for (size_t i = 0; i < pf->n_re; i++) {
		const struct pf_lits *l = pf->cand[i];
		if (l == NULL || !pf->used[i])
			continue;
		for (unsigned j = 0; j < l->n; j++) {
			pf->lits[k].len = l->len[j];
			memcpy(pf->lits[k].s, l->s[j], l->len[j]);
			k++;
		}
	}
	qsort(pf->lits, k, sizeof(*pf->lits), lit_cmp);
	size_t u = 0;
	for (size_t i = 0; i < k; i++)
		if (u == 0 || lit_cmp(&pf->lits[u - 1], &pf->lits[i]) != 0)
			pf->lits[u++] = pf->lits[i];
	pf->n_lits = u;
	for (size_t i = 0; i < u; i++) {
		pf->pair[i] = pair_of(pf->lits[i].s);
		pf->bitmap[pf->pair[i] >> 6] |= 1ull << (pf->pair[i] & 63);
	}
	size_t nslots = 16;
	while (nslots < 2 * u)
		nslots *= 2;
	pf->slots = calloc(nslots, sizeof(*pf->slots));
	if (pf->slots == NULL) {
		free(pf->cnt);
		pf->cnt = NULL;
		drop_cand(pf);
		pf->n_re = 0;
		return;
	}
	pf->slot_mask = nslots - 1;
	for (size_t i = 0; i < u;) {
		size_t j = i;
		while (j < u && pf->pair[j] == pf->pair[i])
			j++;
		size_t h = slot_hash(pf->pair[i]) & pf->slot_mask;
		while (pf->slots[h].count != 0)
			h = (h + 1) & pf->slot_mask;
		pf->slots[h].pair = pf->pair[i];
		pf->slots[h].start = (uint32_t)i;
		pf->slots[h].count = (uint32_t)(j - i);
		i = j;
	}
	for (size_t i = 0; i < pf->n_re; i++) {
		const struct pf_lits *l = pf->cand[i];
		if (l == NULL || !pf->used[i])
			continue;
		pf->off[i] = (uint32_t)pf->n_ids;
		for (unsigned j = 0; j < l->n; j++) {
			struct lit key;
			key.len = l->len[j];
			memcpy(key.s, l->s[j], l->len[j]);
			const struct lit *hit = bsearch(&key, pf->lits, u, sizeof(*pf->lits), lit_cmp);
			pf->ids[pf->n_ids++] = (uint32_t)(hit - pf->lits);
		}
		pf->cnt[i] = l->n;
		pf->n_filtered++;
	}
	drop_cand(pf);
}

size_t prefilter_n_literals(const struct prefilter *pf)
{
	return pf != NULL ? pf->n_lits : 0;
}

size_t prefilter_n_filtered(const struct prefilter *pf)
{
	return pf != NULL ? pf->n_filtered : 0;
}

bool prefilter_filtered(const struct prefilter *pf, uint32_t re)
{
	return pf != NULL && pf->cnt != NULL && re < pf->n_re && pf->cnt[re] > 0;
}

/* ------------------------------------------------------------ scan */

#define PF_KEEP_FOLD (256u << 10)   /* a larger fold buffer is freed between messages */

enum { S_UNSCANNED = 0, S_SCANNED, S_FAILED };

struct pf_scan {
	const struct prefilter *pf;
	uint8_t *found;     /* per literal */
	uint8_t state;
	char *fold;
	size_t fold_cap;
};

struct pf_scan *pf_scan_new(const struct prefilter *pf)
{
	if (pf == NULL)
		return NULL;
	struct pf_scan *sc = calloc(1, sizeof(*sc));
	if (sc == NULL)
		return NULL;
	sc->pf = pf;
	sc->found = calloc(pf->n_lits + 1, 1);
	if (sc->found == NULL) {
		free(sc);
		return NULL;
	}
	return sc;
}

void pf_scan_free(struct pf_scan *sc)
{
	if (sc == NULL)
		return;
	free(sc->found);
	free(sc->fold);
	free(sc);
}

void pf_scan_reset(struct pf_scan *sc)
{
	if (sc != NULL)
		sc->state = S_UNSCANNED;
}

void pf_scan_trim(struct pf_scan *sc)
{
	if (sc != NULL && sc->fold_cap > PF_KEEP_FOLD) {
		free(sc->fold);
		sc->fold = NULL;
		sc->fold_cap = 0;
	}
}

/* The run of literals starting with pair key (it is in the bitmap). */
static const struct pair_slot *pair_run(const struct prefilter *pf, uint16_t key)
{
	size_t h = slot_hash(key) & pf->slot_mask;
	while (pf->slots[h].count != 0 && pf->slots[h].pair != key)
		h = (h + 1) & pf->slot_mask;
	return &pf->slots[h];
}

static void scan(struct pf_scan *sc, const char *s, size_t n)
{
	const struct prefilter *pf = sc->pf;
	sc->state = S_FAILED;
	if (n > sc->fold_cap) {
		char *b = realloc(sc->fold, n);
		if (b == NULL)
			return;
		sc->fold = b;
		sc->fold_cap = n;
	}
	size_t m = n > 0 ? pf_fold(s, n, sc->fold) : 0;
	const unsigned char *t = (const unsigned char *)sc->fold;
	memset(sc->found, 0, pf->n_lits);
	for (size_t i = 0; i + 1 < m; i++) {
		uint16_t key = (uint16_t)((t[i] << 8) | t[i + 1]);
		if ((pf->bitmap[key >> 6] & (1ull << (key & 63))) == 0)
			continue;
		const struct pair_slot *run = pair_run(pf, key);
		for (size_t k = run->start; k < (size_t)run->start + run->count; k++) {
			size_t len = pf->lits[k].len;
			/* Found once is enough; the third byte rules out most
			 * literals that share the pair before memcmp runs. */
			if (sc->found[k] || len > m - i ||
			    (len > 2 && t[i + 2] != (unsigned char)pf->lits[k].s[2]))
				continue;
			if (memcmp(t + i, pf->lits[k].s, len) == 0)
				sc->found[k] = 1;
		}
	}
	sc->state = S_SCANNED;
}

bool pf_scan_maybe(struct pf_scan *sc, uint32_t re, const char *s, size_t n)
{
	const struct prefilter *pf = sc->pf;
	if (!prefilter_filtered(pf, re))
		return true;
	if (sc->state == S_UNSCANNED)
		scan(sc, s, n);
	if (sc->state != S_SCANNED)
		return true;
	const uint32_t *id = pf->ids + pf->off[re];
	for (uint32_t k = 0; k < pf->cnt[re]; k++)
		if (sc->found[id[k]])
			return true;
	return false;
}
