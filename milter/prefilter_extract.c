/*
 * prefilter_extract: reading a regex pattern into its required literals
 * (pf_extract, prefilter.h); prefilter.c folds texts, builds the table and
 * scans.
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
 * Literal characters are folded as pf_fold folds texts; prefilter.c
 * says which characters a literal may hold and why that is sound.
 */
#include "autoconfig.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "decode.h"
#include "encode.h"
#include "prefilter_int.h"

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

enum { L_NONE = 0, L_ATOM, L_QUANT };

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

struct pf_work {
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
static void cat_add(struct frame *f, struct pset *x, struct pf_work *w)
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

static void commit(struct frame *f, struct pf_work *w)
{
	if (f->last_state == L_ATOM || f->last_state == L_QUANT)
		cat_add(f, &f->last, w);
	f->last_state = L_NONE;
}

/* Starts a new item: the previous one is final now. */
static struct pset *new_item(struct frame *f, struct pf_work *w)
{
	commit(f, w);
	f->last_state = L_ATOM;
	return &f->last;
}

/* Ends the current branch of f and unites it into f->alt. */
static void end_branch(struct frame *f, struct pf_work *w)
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

/* A literal character: EXACT {F(c)} when c's case set is known to fold
 * to F(c), else one unknown character. */
static void char_item(struct pset *a, uint32_t cp)
{
	if (!(cp < 0x80 || (cp >= 0xC0 && cp <= 0xDE && cp != 0xD7) ||
	      (cp >= 0xE0 && cp <= 0xFE && cp != 0xF7))) {
		set_any(a);
		return;
	}
	if ((cp >= 'A' && cp <= 'Z') || (cp >= 0xC0 && cp <= 0xDE))
		cp += 0x20;
	a->kind = K_EXACT;
	a->n = 1;
	a->len[0] = (uint8_t)encode_utf8_put(cp, a->s[0]);
}

/* The UTF-8 character at p (at most n bytes) as the item *a; its length,
 * or 0 when the bytes are not UTF-8. */
static size_t utf8_item(const char *p, size_t n, struct pset *a)
{
	unsigned cp;
	size_t l = encode_utf8_char((const unsigned char *)p, n, &cp);
	if (l != 0)
		char_item(a, cp);
	return l;
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
 * with the item in *a (or *no_item for \E: no item), -1 to give up. */
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
			/* Property names only: never skip a "|" or ")". */
			size_t k = i + 1;
			while (k < n && (is_alnum(p[k]) || strchr("_ -&=:^", p[k]) != NULL) && p[k] != '\0')
				k++;
			if (k >= n || p[k] != '}')
				return -1;
			i = k + 1;
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
			for (; k < n && decode_hex_digit(p[k]) >= 0; k++, digits++) {
				if (digits >= 8)
					return -1;
				cp = cp * 16 + (uint32_t)decode_hex_digit(p[k]);
			}
			if (digits == 0 || k >= n || p[k] != '}')
				return -1;
			i = k + 1;
		} else {
			for (int d = 0; d < 2 && i < n && decode_hex_digit(p[i]) >= 0; d++)
				cp = cp * 16 + (uint32_t)decode_hex_digit(p[i++]);
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
		} else {
			size_t l = utf8_item(p + i - 1, n - (i - 1), a);
			if (l == 0)
				return -1;
			i += l - 1;
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
			/* The class must end where PCRE2 ends it: a "]" read as
			 * its end too early makes class members literals.  So
			 * \cX takes X (even "]" or "\"), and only \x \o \N \p
			 * \P take a "{...}" (after \d or \w a "{" is a member);
			 * PCRE2 rejects braces that do not close with "}", and a
			 * "]", "[" or "\" inside them is not read. */
			if (i + 1 >= n || p[i + 1] == 'Q' || p[i + 1] == 'E')
				return -1;
			char e = p[i + 1];
			i += 2;
			if (e == 'c') {
				if (i >= n)
					return -1;
				i++;
			} else if (i < n && p[i] == '{' && e != '\0' && strchr("xoNpP", e) != NULL) {
				size_t k = i + 1;
				while (k < n && p[k] != '}' && p[k] != ']' && p[k] != '[' && p[k] != '\\')
					k++;
				if (k >= n || p[k] != '}')
					return -1;
				i = k + 1;
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
static int walk(const char *p, size_t n, struct pf_work *w, struct pset *out)
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
				if (stop == start)
					commit(f, w); /* a quantifier after "\Q\E" has no item */
				for (size_t k = start; k < stop;) {
					size_t l = utf8_item(p + k, stop - k, new_item(f, w));
					if (l == 0)
						return -1;
					k += l;
				}
				i = end != NULL ? stop + 2 : n;
				break;
			}
			if (escape_item(p, n, &i, &w->atom, &none) < 0)
				return -1;
			if (none) {
				commit(f, w); /* a lone \E: a quantifier after it has no item */
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
				commit(f, w); /* a quantifier after it has no item */
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
			size_t l = utf8_item(p + i, n - i, new_item(f, w));
			if (l == 0)
				return -1;
			i += l;
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

int pf_extract_with(struct pf_work *w, const char *p, size_t n, uint32_t opts, struct pf_lits *out)
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

struct pf_work *pf_work_new(void)
{
	return malloc(sizeof(struct pf_work));
}

void pf_work_free(struct pf_work *w)
{
	free(w);
}

int pf_extract(const char *p, size_t n, uint32_t opts, struct pf_lits *out)
{
	out->n = 0;
	struct pf_work *w = pf_work_new();
	if (w == NULL)
		return -1;
	int rc = pf_extract_with(w, p, n, opts, out);
	pf_work_free(w);
	return rc;
}
