/*
 * rfc2231: parses MIME header parameters (see rfc2231.h).
 *
 * Two passes over a Content-Type / Content-Disposition value:
 *   1. scan: the leading value, then "name=value" pairs into a bounded
 *      table of raw segments (at most SEG_MAX; extra ignored).  Quoted
 *      strings lose their backslash escapes, comments (nesting counted,
 *      not recursed) are skipped, CR/LF count as white space.  Missing
 *      semicolons are tolerated: "a=1 b=2" is two parameters; an unquoted
 *      value containing spaces ("name=my file.pdf") runs on while what
 *      follows is not "token=".
 *   2. assemble: per parameter name, in order of first appearance (at most
 *      MIME_PARAM_MAX), either the RFC 2231 form (name*=, or the sections
 *      name*0, name*1*, ... sorted by number, first of each number wins,
 *      charset from the first section, %XX decoded in the '*' sections,
 *      then converted to UTF-8) or, when there is none, the first plain
 *      value, RFC 2047-decoded (Outlook writes filename="=?utf-8?B?...?=")
 *      which also reads raw 8-bit as UTF-8 or windows-1252.  The RFC 2231
 *      form wins over the plain one: clients send both, the plain one
 *      being the lossy fallback.
 * Control characters in values become spaces.  Exception: "boundary" is
 * kept byte for byte (quotes and escapes removed, nothing decoded), since
 * the MIME parser compares it with the delimiter lines in the body.
 *
 * Memory is proportional to the input.  Malformed input parses as far as
 * it can; -1 only on allocation failure (and then `out` is empty).
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
#include "rfc2231.h"

#define SEG_MAX 128        /* raw name=value segments kept */
#define SECTION_MAX 999    /* highest continuation number accepted */

struct seg {
	char *name;   /* base name, lower-cased, without '*' parts */
	char *value;  /* raw value (quotes and escapes removed) */
	size_t nvalue;
	int section;  /* -1: not a continuation */
	bool ext;     /* name ended in '*': charset'lang' and/or %XX */
	bool used;
};

struct scan {
	const char *s;
	size_t len;
	size_t i;
};

static bool is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Token characters for names and unquoted values, loosely. */
static bool is_tok(char c)
{
	return !is_ws(c) && c != ';' && c != '=' && c != '"' && c != '(' && c != ')' && c != '\0';
}

static void skip_comment(struct scan *sc)
{
	size_t depth = 0;
	while (sc->i < sc->len) {
		char c = sc->s[sc->i++];
		if (c == '\\' && sc->i < sc->len)
			sc->i++;
		else if (c == '(')
			depth++;
		else if (c == ')' && --depth == 0)
			return;
	}
}

static void skip_cfws(struct scan *sc)
{
	while (sc->i < sc->len) {
		char c = sc->s[sc->i];
		if (is_ws(c))
			sc->i++;
		else if (c == '(')
			skip_comment(sc);
		else
			break;
	}
}

/* Does "token [ws] =" start at sc->i? */
static bool at_name_eq(const struct scan *sc)
{
	size_t i = sc->i;
	size_t start = i;
	while (i < sc->len && is_tok(sc->s[i]))
		i++;
	if (i == start)
		return false;
	while (i < sc->len && is_ws(sc->s[i]))
		i++;
	return i < sc->len && sc->s[i] == '=';
}

static char *lower_dup(const char *p, size_t n)
{
	char *r = malloc(n + 1);
	if (r == NULL)
		return NULL;
	for (size_t k = 0; k < n; k++) {
		char c = p[k];
		r[k] = (char)(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
	}
	r[n] = '\0';
	return r;
}

/* Reads a value (quoted or not) into b, unescaped. */
static void read_value(struct scan *sc, struct buf *b)
{
	if (sc->i < sc->len && sc->s[sc->i] == '"') {
		sc->i++;
		while (sc->i < sc->len) {
			char c = sc->s[sc->i++];
			if (c == '"')
				return;
			if (c == '\\' && sc->i < sc->len)
				c = sc->s[sc->i++];
			if (c != '\r' && c != '\n')
				buf_putc(b, c);
		}
		return; /* unterminated: the rest is the value */
	}
	for (;;) {
		while (sc->i < sc->len && (is_tok(sc->s[sc->i]) || sc->s[sc->i] == '='))
			buf_putc(b, sc->s[sc->i++]);
		/* Unquoted "my file.pdf": continue over white space unless a
		 * new parameter or the end follows. */
		size_t save = sc->i;
		while (sc->i < sc->len && (sc->s[sc->i] == ' ' || sc->s[sc->i] == '\t'))
			sc->i++;
		if (sc->i == save || sc->i >= sc->len || !is_tok(sc->s[sc->i]) || at_name_eq(sc)) {
			sc->i = save;
			return;
		}
		buf_append(b, sc->s + save, sc->i - save);
	}
}

/* Splits "name", "name*", "name*N", "name*N*" into seg fields. */
static int seg_name(struct seg *g, const char *p, size_t n)
{
	g->section = -1;
	g->ext = false;
	const char *star = memchr(p, '*', n);
	size_t base = n;
	if (star != NULL) {
		size_t k = (size_t)(star - p) + 1;
		size_t digits = 0;
		long num = 0;
		while (k < n && p[k] >= '0' && p[k] <= '9' && digits < 4) {
			num = num * 10 + (p[k] - '0');
			k++;
			digits++;
		}
		bool trailing = digits > 0 && k < n && p[k] == '*';
		if (trailing)
			k++;
		if (k == n && num <= SECTION_MAX && star != p) {
			/* "name*" (digits 0) or "name*N" or "name*N*" */
			base = (size_t)(star - p);
			g->section = digits > 0 ? (int)num : -1;
			g->ext = digits > 0 ? trailing : true;
		}
	}
	g->name = lower_dup(p, base);
	return g->name == NULL ? -1 : 0;
}

static void segs_free(struct seg *segs, size_t n)
{
	for (size_t k = 0; k < n; k++) {
		free(segs[k].name);
		free(segs[k].value);
	}
}

/* Pass 1.  Returns the number of segments, or -1 on OOM (segs freed). */
static int scan_params(struct scan *sc, struct seg *segs)
{
	size_t n = 0;
	struct buf b;
	buf_init(&b, sc->len + 1);
	while (sc->i < sc->len) {
		skip_cfws(sc);
		if (sc->i >= sc->len)
			break;
		if (!is_tok(sc->s[sc->i])) {
			sc->i++; /* ';' or stray punctuation */
			continue;
		}
		size_t ns = sc->i;
		while (sc->i < sc->len && is_tok(sc->s[sc->i]))
			sc->i++;
		size_t ne = sc->i;
		skip_cfws(sc);
		if (sc->i >= sc->len || sc->s[sc->i] != '=')
			continue; /* a word without '=': ignored */
		sc->i++;
		skip_cfws(sc);
		buf_reset(&b);
		read_value(sc, &b);
		if (n == SEG_MAX)
			continue;
		struct seg *g = &segs[n];
		memset(g, 0, sizeof(*g));
		if (seg_name(g, sc->s + ns, ne - ns) < 0 || b.failed)
			goto oom;
		g->nvalue = b.len;
		g->value = malloc(b.len + 1);
		if (g->value == NULL) {
			free(g->name);
			goto oom;
		}
		if (b.len > 0)
			memcpy(g->value, b.data, b.len);
		g->value[b.len] = '\0';
		n++;
	}
	buf_free(&b);
	return (int)n;
oom:
	buf_free(&b);
	segs_free(segs, n);
	return -1;
}

static void pct_decode(struct buf *b, const char *p, size_t n)
{
	for (size_t k = 0; k < n; k++) {
		int hi, lo;
		if (p[k] == '%' && k + 2 < n && (hi = decode_hex_digit(p[k + 1])) >= 0 &&
		    (lo = decode_hex_digit(p[k + 2])) >= 0) {
			buf_putc(b, (char)(hi << 4 | lo));
			k += 2;
		} else {
			buf_putc(b, p[k]);
		}
	}
}

/* Values are one line of text: %00 or %0A must not cut or break them. */
static void ctl_to_space(char *s, size_t n)
{
	for (size_t k = 0; k < n; k++)
		if ((unsigned char)s[k] < 0x20 && s[k] != '\t')
			s[k] = ' ';
}

static void buf_sink(void *ctx, const char *p, size_t n)
{
	buf_append(ctx, p, n);
}

/* Pass 2 for one name in RFC 2231 form; NULL on OOM. */
static char *assemble_2231(struct seg *segs, size_t n, const char *name)
{
	struct buf b;
	size_t total = 0;
	for (size_t k = 0; k < n; k++)
		total += segs[k].nvalue;
	buf_init(&b, total + 1);
	char charset[65] = "";
	bool have_charset = false;
	const struct seg *single = NULL;
	for (size_t k = 0; k < n; k++)
		if (segs[k].section < 0 && segs[k].ext && strcmp(segs[k].name, name) == 0) {
			single = &segs[k];
			break;
		}
	/* Sections in numeric order: repeated selection of the smallest
	 * number above the previous one (the count is bounded by SEG_MAX). */
	int prev = -1;
	for (;;) {
		const struct seg *g = NULL;
		if (single != NULL) {
			if (prev >= 0)
				break;
			g = single;
		} else {
			for (size_t k = 0; k < n; k++)
				if (segs[k].section > prev && strcmp(segs[k].name, name) == 0 &&
				    (g == NULL || segs[k].section < g->section))
					g = &segs[k];
			if (g == NULL)
				break;
		}
		prev = g->section < 0 ? 0 : g->section;
		const char *v = g->value;
		size_t nv = g->nvalue;
		if (g->ext && !have_charset) {
			/* charset'language'text; tolerate the quotes missing. */
			const char *q1 = memchr(v, '\'', nv);
			const char *q2 = q1 != NULL ? memchr(q1 + 1, '\'', nv - (size_t)(q1 + 1 - v)) : NULL;
			if (q2 != NULL) {
				size_t cl = (size_t)(q1 - v);
				if (cl < sizeof(charset)) {
					memcpy(charset, v, cl);
					charset[cl] = '\0';
				}
				nv -= (size_t)(q2 + 1 - v);
				v = q2 + 1;
			}
		}
		have_charset = true; /* only the first section may carry one */
		if (g->ext)
			pct_decode(&b, v, nv);
		else
			buf_append(&b, v, nv);
	}
	if (b.failed) {
		buf_free(&b);
		return NULL;
	}
	struct buf u;
	buf_init(&u, b.len * 4 + 64);
	struct charset_conv *c = charset_new(charset[0] != '\0' ? charset : NULL);
	if (c != NULL) {
		charset_feed(c, (const unsigned char *)buf_cstr(&b), b.len, buf_sink, &u);
		charset_finish(c, buf_sink, &u);
		charset_free(c);
	}
	buf_free(&b);
	size_t ulen = u.len;
	char *r = c != NULL && !u.failed ? buf_steal(&u) : NULL;
	buf_free(&u);
	if (r != NULL)
		ctl_to_space(r, ulen);
	return r;
}

static bool has_2231_form(const struct seg *segs, size_t n, const char *name)
{
	for (size_t k = 0; k < n; k++)
		if ((segs[k].ext || segs[k].section >= 0) && strcmp(segs[k].name, name) == 0)
			return true;
	return false;
}

void mime_params_free(struct mime_params *p)
{
	if (p == NULL)
		return;
	free(p->value);
	for (size_t k = 0; k < p->n && k < MIME_PARAM_MAX; k++) {
		free(p->names[k]);
		free(p->values[k]);
	}
	memset(p, 0, sizeof(*p));
}

int mime_params_parse(const char *value, size_t len, struct mime_params *out)
{
	memset(out, 0, sizeof(*out));
	if (value == NULL) {
		value = "";
		len = 0;
	}
	struct scan sc = { .s = value, .len = len, .i = 0 };
	/* Leading value: up to ';' or white space; if it holds a '=' there
	 * is none ("Content-Disposition: filename=x"). */
	skip_cfws(&sc);
	size_t vs = sc.i;
	while (sc.i < len && value[sc.i] != ';' && !is_ws(value[sc.i]) && value[sc.i] != '(')
		sc.i++;
	size_t ve = sc.i;
	if (memchr(value + vs, '=', ve - vs) != NULL) {
		ve = vs;
		sc.i = vs;
	}
	while (ve > vs && value[ve - 1] == '"')
		ve--;
	while (vs < ve && value[vs] == '"')
		vs++;
	out->value = lower_dup(value + vs, ve - vs);
	if (out->value == NULL)
		return -1;

	struct seg *segs = calloc(SEG_MAX, sizeof(*segs));
	if (segs == NULL)
		goto oom;
	int ns = scan_params(&sc, segs);
	if (ns < 0) {
		free(segs);
		goto oom;
	}
	size_t n = (size_t)ns;
	for (size_t k = 0; k < n && out->n < MIME_PARAM_MAX; k++) {
		if (segs[k].used)
			continue;
		const char *name = segs[k].name;
		if (name[0] == '\0')
			continue;
		for (size_t j = k; j < n; j++)
			if (strcmp(segs[j].name, name) == 0)
				segs[j].used = true;
		char *v;
		if (has_2231_form(segs, n, name))
			v = assemble_2231(segs, n, name);
		else if (strcmp(name, "boundary") == 0)
			v = strdup(segs[k].value); /* compared with body bytes: exact */
		else
			v = rfc2047_decode(segs[k].value, segs[k].nvalue);
		if (v == NULL) {
			segs_free(segs, n);
			free(segs);
			goto oom;
		}
		char *nm = strdup(name);
		if (nm == NULL) {
			free(v);
			segs_free(segs, n);
			free(segs);
			goto oom;
		}
		out->names[out->n] = nm;
		out->values[out->n] = v;
		out->n++;
	}
	segs_free(segs, n);
	free(segs);
	return 0;
oom:
	mime_params_free(out);
	return -1;
}

const char *mime_params_get(const struct mime_params *p, const char *name)
{
	if (p == NULL || name == NULL)
		return NULL;
	for (size_t k = 0; k < p->n; k++)
		if (strcasecmp(p->names[k], name) == 0)
			return p->values[k];
	return NULL;
}
