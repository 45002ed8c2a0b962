/*
 * rules_parse: the line-level grammar of support-milter.rules(5) — one
 * function per directive — and the regex literals.
 *
 * Input: the text of one file.  Each logical line (continuations joined,
 * at most RULES_MAX_LINE bytes, valid UTF-8, no NUL) is parsed on its
 * own; an error is reported as "file:line: message" and parsing goes on
 * with the next line, so --check shows every error at once.  A named
 * rule is registered even when the rest of its line is in error, so that
 * its users are not reported as undefined too.  Regexes are compiled here,
 * once, with PCRE2_UTF | PCRE2_UCP (and the i, m, s, x flags) and JIT-
 * compiled where the library can; without JIT the interpreter runs them.
 * Items and categories must be declared before their label, present and
 * applies lines; rule names may be used anywhere (rules_expr.c).
 */
#include "autoconfig.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "diag.h"
#include "facts.h"
#include "rules_int.h"

void rules_error(struct loader *ld, const char *fmt, ...)
{
	if (ld->stopped)
		return;
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	diag_error(ld->d, ld->rs->files[ld->file], ld->line, "%s", msg);
	if (++ld->errors >= RULES_MAX_ERRORS) {
		diag_error(ld->d, ld->rs->files[ld->file], ld->line,
		           "too many errors; stopping");
		ld->stopped = true;
	}
}

/* Length of s[0..n) cut to at most 48 bytes on a UTF-8 boundary: user
 * tokens are quoted in messages, whole and valid when short. */
int rules_qlen(const char *s, size_t n)
{
	if (n <= 48)
		return (int)n;
	n = 48;
	while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	return (int)n;
}

/* Reads a rule NAME at *pp into out; false after reporting. */
static bool take_name(struct loader *ld, const char **pp, char *out, const char *usage)
{
	const char *p = skip_ws(*pp);
	size_t n = word_len(p);
	if (n == 0) {
		rules_error(ld, "usage: %s", usage);
		return false;
	}
	bool ok = is_name_start(p[0]);
	for (size_t i = 0; ok && i < n; i++)
		ok = is_name_char(p[i]);
	if (!ok) {
		rules_error(ld, "bad rule name '%.*s': use letters, digits and '_', not starting with a digit",
		     rules_qlen(p, n), p);
		return false;
	}
	if (n > RULES_MAX_NAME) {
		rules_error(ld, "rule name longer than %u characters", RULES_MAX_NAME);
		return false;
	}
	if (rules_is_reserved(p, n)) {
		rules_error(ld, "'%.*s' is a built-in name", (int)n, p);
		return false;
	}
	memcpy(out, p, n);
	out[n] = '\0';
	*pp = p + n;
	return true;
}

/* Reads an item/category ID. */
static bool take_id(struct loader *ld, const char **pp, char *out, const char *usage)
{
	const char *p = skip_ws(*pp);
	size_t n = word_len(p);
	if (n == 0) {
		rules_error(ld, "usage: %s", usage);
		return false;
	}
	bool ok = p[0] != '-' && p[0] != '.';
	for (size_t i = 0; ok && i < n; i++)
		ok = is_id_char(p[i]);
	if (!ok) {
		rules_error(ld, "bad id '%.*s': use letters, digits, '-', '_' and '.'", rules_qlen(p, n), p);
		return false;
	}
	if (n > RULES_MAX_NAME) {
		rules_error(ld, "id longer than %u characters", RULES_MAX_NAME);
		return false;
	}
	memcpy(out, p, n);
	out[n] = '\0';
	*pp = p + n;
	return true;
}

/* Reads one keyword from a fixed list; returns its index or -1 after
 * reporting the usage. */
static int take_choice(struct loader *ld, const char **pp, const char *const *words,
                       const char *usage)
{
	const char *p = skip_ws(*pp);
	size_t n = word_len(p);
	for (int i = 0; words[i] != NULL; i++)
		if (word_is(p, n, words[i])) {
			*pp = p + n;
			return i;
		}
	rules_error(ld, "usage: %s", usage);
	return -1;
}

/* ------------------------------------------------------------ regexes */

static const char *closing_delim(char c)
{
	switch (c) {
	case '{': return "}";
	case '(': return ")";
	case '[': return "]";
	case '<': return ">";
	default: return NULL;
	}
}

/* Parses /REGEX/FLAGS (or m{REGEX}FLAGS, m!REGEX!FLAGS ...) at *pp,
 * compiles it and returns its index, or RULES_NONE after reporting. */
static uint32_t take_regex(struct loader *ld, const char **pp)
{
	struct ruleset *rs = ld->rs;
	const char *p = skip_ws(*pp);
	char open, close;
	if (*p == '/') {
		open = close = '/';
	} else if (*p == 'm' && p[1] != '\0' && (unsigned char)p[1] < 0x80 &&
	           (p[1] == '/' || (!is_name_char(p[1]) && !is_ws(p[1]) &&
	                            p[1] > ' ' && p[1] != '\\'))) {
		p++;
		open = *p;
		const char *c = closing_delim(open);
		close = c != NULL ? *c : open;
	} else {
		rules_error(ld, "expected /REGEX/ at column %u", rules_col(ld, p));
		return RULES_NONE;
	}
	const char *start = ++p;
	unsigned nest = 0;
	while (*p != '\0') {
		if (*p == '\\' && p[1] != '\0') {
			p += 2;
			continue;
		}
		if (*p == close && nest == 0)
			break;
		if (open != close && *p == open)
			nest++;
		else if (open != close && *p == close)
			nest--;
		p++;
	}
	if (*p != close) {
		rules_error(ld, "unterminated regex at column %u", rules_col(ld, start - 1));
		return RULES_NONE;
	}
	size_t plen = (size_t)(p - start);
	p++;
	uint32_t opts = PCRE2_UTF | PCRE2_UCP;
	for (; *p != '\0' && !is_ws(*p); p++) {
		switch (*p) {
		case 'i': opts |= PCRE2_CASELESS; break;
		case 'm': opts |= PCRE2_MULTILINE; break;
		case 's': opts |= PCRE2_DOTALL; break;
		case 'x': opts |= PCRE2_EXTENDED; break;
		default: {
			size_t n = 1;
			while ((((unsigned char)p[n]) & 0xC0) == 0x80)
				n++;
			rules_error(ld, "bad regex flag '%.*s' (use i, m, s, x)", (int)n, p);
			return RULES_NONE;
		}
		}
	}
	*pp = p;
	char emsg[256];
	size_t off;
	uint32_t re = rules_add_regex(rs, start, plen, opts, emsg, sizeof(emsg), &off);
	if (re == RULES_NONE && !rs->failed)
		rules_error(ld, "bad regex /%.*s/: %s at offset %zu", rules_qlen(start, plen), start,
		            emsg, off);
	return re;
}

/* After the last argument only blanks may follow. */
static bool at_end(struct loader *ld, const char *p)
{
	p = skip_ws(p);
	if (*p == '\0')
		return true;
	size_t n = word_len(p);
	rules_error(ld, "unexpected '%.*s' at column %u", rules_qlen(p, n), p, rules_col(ld, p));
	return false;
}

/* ------------------------------------------------------------ directives */

/* A named rule: registered even when the rest of its line is in error. */
static uint32_t new_rule(struct loader *ld, uint8_t kind, const char *name)
{
	struct ruleset *rs = ld->rs;
	uint32_t nd = rules_add_node(rs, kind, ld->file, ld->line);
	if (nd == RULES_NONE) {
		if (rs->n_nodes >= RULES_MAX_NODES)
			rules_error(ld, "too many rules (at most %u)", RULES_MAX_NODES);
		return RULES_NONE;
	}
	struct rnode *n = &rs->nodes[nd];
	n->name = rules_strdup(rs, name);
	n->is_rule = 1;
	n->visible = !(name[0] == '_' && name[1] == '_');
	rs->n_rules++;
	uint32_t old;
	int r = rmap_put(rs->names, name, nd, &old);
	if (r < 0)
		rs->failed = true;
	else if (r == 1)
		rules_error(ld, "duplicate rule '%s' (first defined at %s:%u)", name,
		     rs->files[rs->nodes[old].file], rs->nodes[old].line);
	return nd;
}

#define U_HEADER "header NAME FIELD =~ /REGEX/FLAGS (or !~), or header NAME exists:FIELD"
#define U_TEXT(d) d " NAME /REGEX/FLAGS"
#define U_ATTACH "attach NAME CONDITION [&& CONDITION ...]"
#define U_ENV "envelope NAME from|rcpt =~ /REGEX/FLAGS (or !~)"
#define U_FLAG "flag NAME FLAG [FLAG ...]"
#define U_META "meta NAME EXPRESSION"
#define U_DESCRIBE "describe NAME TEXT"
#define U_ITEM "item ID required|recommended"
#define U_LABEL "label ID da|en TEXT"
#define U_PRESENT "present ID EXPRESSION"
#define U_APPLIES "applies ID EXPRESSION"
#define U_CATEGORY "category ID in-scope|out-of-scope EXPRESSION"
#define U_PRIORITY "priority high|normal|low EXPRESSION"
#define U_AUTOREPLY "autoreply EXPRESSION"

/* "=~" or "!~": 0, 1, or -1 after reporting. */
static int take_match_op(struct loader *ld, const char **pp, const char *usage)
{
	const char *p = skip_ws(*pp);
	if ((p[0] == '=' || p[0] == '!') && p[1] == '~') {
		*pp = p + 2;
		return p[0] == '!';
	}
	rules_error(ld, "usage: %s", usage);
	return -1;
}

static bool valid_field(const char *p, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)p[i] <= ' ' || (unsigned char)p[i] >= 127 || p[i] == ':')
			return false;
	return true;
}

static void d_header(struct loader *ld, const char *p)
{
	char name[RULES_MAX_NAME + 1];
	if (!take_name(ld, &p, name, U_HEADER))
		return;
	uint32_t nd = new_rule(ld, RN_HEADER, name);
	if (nd == RULES_NONE)
		return;
	p = skip_ws(p);
	size_t n = word_len(p);
	if (n > 7 && strncmp(p, "exists:", 7) == 0) {
		if (!valid_field(p + 7, n - 7)) {
			rules_error(ld, "bad header field name '%.*s'", rules_qlen(p + 7, n - 7), p + 7);
			return;
		}
		ld->rs->nodes[nd].exists = 1;
		ld->rs->nodes[nd].field = rules_strndup(ld->rs, p + 7, n - 7);
		at_end(ld, p + n);
		return;
	}
	if (n == 0) {
		rules_error(ld, "usage: %s", U_HEADER);
		return;
	}
	if (!valid_field(p, n)) {
		rules_error(ld, "bad header field name '%.*s'", rules_qlen(p, n), p);
		return;
	}
	if (!word_is(p, n, "ALL") &&
	    (ld->rs->nodes[nd].field = rules_strndup(ld->rs, p, n)) == NULL)
		return;
	p += n;
	int neg = take_match_op(ld, &p, U_HEADER);
	if (neg < 0)
		return;
	uint32_t re = take_regex(ld, &p);
	if (re == RULES_NONE)
		return;
	ld->rs->nodes[nd].neg = (uint8_t)neg;
	ld->rs->nodes[nd].re = re;
	at_end(ld, p);
}

static void d_text(struct loader *ld, const char *p, uint8_t kind, const char *usage)
{
	char name[RULES_MAX_NAME + 1];
	if (!take_name(ld, &p, name, usage))
		return;
	uint32_t nd = new_rule(ld, kind, name);
	if (nd == RULES_NONE)
		return;
	if (*skip_ws(p) == '\0') {
		rules_error(ld, "usage: %s", usage);
		return;
	}
	uint32_t re = take_regex(ld, &p);
	if (re == RULES_NONE)
		return;
	ld->rs->nodes[nd].re = re;
	at_end(ld, p);
}

static void d_subject(struct loader *ld, const char *p) { d_text(ld, p, RN_SUBJECT, U_TEXT("subject")); }
static void d_body(struct loader *ld, const char *p) { d_text(ld, p, RN_BODY, U_TEXT("body")); }
static void d_own(struct loader *ld, const char *p) { d_text(ld, p, RN_OWN, U_TEXT("own")); }

static const struct {
	const char *name;
	uint8_t what;
	char type;     /* 'r' regex, 'n' number, 'b' boolean */
} attach_conds[] = {
	{ "detected", AC_DETECTED, 'r' }, { "declared", AC_DECLARED, 'r' },
	{ "name", AC_NAME, 'r' },
	{ "width", AC_WIDTH, 'n' }, { "height", AC_HEIGHT, 'n' }, { "size", AC_SIZE, 'n' },
	{ "inline", AC_INLINE, 'b' }, { "image", AC_IMAGE, 'b' },
	{ "mismatch", AC_MISMATCH, 'b' }, { "forwarded", AC_FORWARDED, 'b' },
	{ "screenshot", AC_SCREENSHOT, 'b' },
};

/* NUMBER with an optional k, M or G suffix (powers of 1024). */
static bool take_number(struct loader *ld, const char **pp, uint64_t *out)
{
	const char *p = skip_ws(*pp);
	size_t n = 0;
	while (p[n] != '\0' && !is_ws(p[n]) && p[n] != '&' && p[n] != '|')
		n++;
	uint64_t v = 0;
	size_t i = 0;
	bool ok = n > 0 && p[0] >= '0' && p[0] <= '9';
	for (; ok && i < n && p[i] >= '0' && p[i] <= '9'; i++) {
		if (v > (UINT64_MAX - 9) / 10)
			ok = false;
		v = v * 10 + (uint64_t)(p[i] - '0');
	}
	if (ok && i < n) {
		unsigned shift = p[i] == 'k' || p[i] == 'K' ? 10 : p[i] == 'M' ? 20 : p[i] == 'G' ? 30 : 0;
		if (shift == 0 || i + 1 != n || v > (UINT64_MAX >> shift))
			ok = false;
		else
			v <<= shift;
	}
	if (!ok) {
		if (n == 0)
			rules_error(ld, "expected a number at column %u", rules_col(ld, p));
		else
			rules_error(ld, "bad number '%.*s'", rules_qlen(p, n), p);
		return false;
	}
	*out = v;
	*pp = p + n;
	return true;
}

static bool take_cmp(struct loader *ld, const char **pp, uint8_t *out)
{
	static const char *const ops[] = { "<=", ">=", "==", "!=", "<", ">", NULL };
	static const uint8_t cmps[] = { CMP_LE, CMP_GE, CMP_EQ, CMP_NE, CMP_LT, CMP_GT };
	const char *p = skip_ws(*pp);
	for (int i = 0; ops[i] != NULL; i++) {
		size_t n = strlen(ops[i]);
		if (strncmp(p, ops[i], n) == 0) {
			*out = cmps[i];
			*pp = p + n;
			return true;
		}
	}
	rules_error(ld, "expected <, <=, >, >=, == or != at column %u", rules_col(ld, p));
	return false;
}

static bool take_cond(struct loader *ld, const char **pp, struct acond *c)
{
	const char *p = skip_ws(*pp);
	bool neg = false;
	if (*p == '!') {
		neg = true;
		p = skip_ws(p + 1);
	}
	size_t n = 0;
	while ((p[n] >= 'a' && p[n] <= 'z') || (p[n] >= 'A' && p[n] <= 'Z'))
		n++;
	if (n == 0) {
		rules_error(ld, "expected an attach condition at column %u", rules_col(ld, p));
		return false;
	}
	size_t i = 0;
	while (i < sizeof(attach_conds) / sizeof(attach_conds[0]) &&
	       !word_is(p, n, attach_conds[i].name))
		i++;
	if (i == sizeof(attach_conds) / sizeof(attach_conds[0])) {
		size_t w = word_len(p);
		rules_error(ld, "unknown attach condition '%.*s'", rules_qlen(p, w), p);
		return false;
	}
	memset(c, 0, sizeof(*c));
	c->what = attach_conds[i].what;
	c->re = RULES_NONE;
	p += n;
	char type = attach_conds[i].type;
	if (neg && type != 'b') {
		rules_error(ld, "'!' only goes before inline, image, mismatch, forwarded or screenshot");
		return false;
	}
	c->neg = neg;
	if (type == 'r') {
		int m = take_match_op(ld, &p, U_ATTACH);
		if (m < 0)
			return false;
		c->neg = (uint8_t)m;
		if ((c->re = take_regex(ld, &p)) == RULES_NONE)
			return false;
	} else if (type == 'n') {
		if (!take_cmp(ld, &p, &c->cmp) || !take_number(ld, &p, &c->num))
			return false;
	}
	*pp = p;
	return true;
}

static void d_attach(struct loader *ld, const char *p)
{
	struct ruleset *rs = ld->rs;
	char name[RULES_MAX_NAME + 1];
	if (!take_name(ld, &p, name, U_ATTACH))
		return;
	uint32_t nd = new_rule(ld, RN_ATTACH, name);
	if (nd == RULES_NONE)
		return;
	if (*skip_ws(p) == '\0') {
		rules_error(ld, "usage: %s", U_ATTACH);
		return;
	}
	size_t off = rs->n_conds;
	for (;;) {
		struct acond c;
		if (!take_cond(ld, &p, &c))
			return;
		if (rules_grow((void **)&rs->conds, &rs->cap_conds, rs->n_conds + 1, sizeof(c)) < 0) {
			rs->failed = true;
			return;
		}
		rs->conds[rs->n_conds++] = c;
		p = skip_ws(p);
		if (*p == '\0')
			break;
		if (p[0] != '&' || p[1] != '&') {
			size_t n = word_len(p);
			rules_error(ld, "expected '&&' before '%.*s' at column %u", rules_qlen(p, n), p, rules_col(ld, p));
			return;
		}
		p += 2;
	}
	rs->nodes[nd].cond_off = (uint32_t)off;
	rs->nodes[nd].cond_n = (uint32_t)(rs->n_conds - off);
}

static void d_envelope(struct loader *ld, const char *p)
{
	static const char *const which[] = { "from", "rcpt", NULL };
	char name[RULES_MAX_NAME + 1];
	if (!take_name(ld, &p, name, U_ENV))
		return;
	uint32_t nd = new_rule(ld, RN_ENVELOPE, name);
	if (nd == RULES_NONE)
		return;
	int w = take_choice(ld, &p, which, U_ENV);
	if (w < 0)
		return;
	int neg = take_match_op(ld, &p, U_ENV);
	if (neg < 0)
		return;
	uint32_t re = take_regex(ld, &p);
	if (re == RULES_NONE)
		return;
	ld->rs->nodes[nd].arg = (uint32_t)w;
	ld->rs->nodes[nd].neg = (uint8_t)neg;
	ld->rs->nodes[nd].re = re;
	at_end(ld, p);
}

#define FLAGS_TRUNC (FACT_TRUNC_HEADER | FACT_TRUNC_LINE | FACT_TRUNC_DEPTH | \
                     FACT_TRUNC_PARTS | FACT_TRUNC_TEXT | FACT_TRUNC_HEADERS)
#define FLAGS_ERR (FACT_ERR_MIME | FACT_ERR_ENCODING | FACT_ERR_CHARSET)

static const struct {
	const char *name;
	unsigned mask;
} flag_names[] = {
	{ "truncated", FLAGS_TRUNC }, { "any-error", FLAGS_ERR },
	{ "trunc-header", FACT_TRUNC_HEADER }, { "trunc-line", FACT_TRUNC_LINE },
	{ "trunc-depth", FACT_TRUNC_DEPTH }, { "trunc-parts", FACT_TRUNC_PARTS },
	{ "trunc-text", FACT_TRUNC_TEXT }, { "trunc-headers", FACT_TRUNC_HEADERS },
	{ "mime-error", FACT_ERR_MIME }, { "encoding-error", FACT_ERR_ENCODING },
	{ "charset-error", FACT_ERR_CHARSET },
};

static void d_flag(struct loader *ld, const char *p)
{
	char name[RULES_MAX_NAME + 1];
	if (!take_name(ld, &p, name, U_FLAG))
		return;
	uint32_t nd = new_rule(ld, RN_FLAG, name);
	if (nd == RULES_NONE)
		return;
	unsigned mask = 0;
	p = skip_ws(p);
	if (*p == '\0') {
		rules_error(ld, "usage: %s", U_FLAG);
		return;
	}
	while (*p != '\0') {
		size_t n = word_len(p), i = 0;
		while (i < sizeof(flag_names) / sizeof(flag_names[0]) && !word_is(p, n, flag_names[i].name))
			i++;
		if (i == sizeof(flag_names) / sizeof(flag_names[0])) {
			rules_error(ld, "unknown flag '%.*s'", rules_qlen(p, n), p);
			return;
		}
		mask |= flag_names[i].mask;
		p = skip_ws(p + n);
	}
	ld->rs->nodes[nd].arg = mask;
}

static void d_meta(struct loader *ld, const char *p)
{
	char name[RULES_MAX_NAME + 1];
	if (!take_name(ld, &p, name, U_META))
		return;
	uint32_t nd = new_rule(ld, RN_META, name);
	if (*skip_ws(p) == '\0') {
		rules_error(ld, "usage: %s", U_META);
		p = "false";
	}
	rules_compile_expr(ld, p, nd);
}

static void d_describe(struct loader *ld, const char *p)
{
	char name[RULES_MAX_NAME + 1];
	const char *q = skip_ws(p);
	size_t n = word_len(q);
	if (!take_name(ld, &p, name, U_DESCRIBE))
		return;
	p = skip_ws(p);
	if (*p == '\0') {
		rules_error(ld, "usage: %s", U_DESCRIBE);
		return;
	}
	uint32_t r = rules_add_ref(ld, REF_DESCRIBE, q, n, NULL);
	if (r != RULES_NONE)
		ld->rs->refs[r].text = rules_strdup(ld->rs, p);
}

/* Declares an item or a category id; false after reporting. */
static bool new_id(struct loader *ld, const char *id, uint32_t val)
{
	struct ruleset *rs = ld->rs;
	uint32_t old;
	int r = rmap_put(rs->ids, id, val, &old);
	if (r < 0) {
		rs->failed = true;
		return false;
	}
	if (r == 1) {
		bool cat = (old & RULES_ID_CAT) != 0;
		uint32_t i = old & ~RULES_ID_CAT;
		rules_error(ld, "duplicate %s '%s' (first defined at %s:%u)",
		     cat ? "category" : "item", id,
		     rs->files[cat ? rs->cats[i].file : rs->items[i].file],
		     cat ? rs->cats[i].line : rs->items[i].line);
		return false;
	}
	return true;
}

static uint32_t synth_node(struct loader *ld, uint8_t kind, const char *fn, const char *id)
{
	struct ruleset *rs = ld->rs;
	uint32_t nd = rules_add_node(rs, kind, ld->file, ld->line);
	if (nd == RULES_NONE)
		return nd;
	size_t n = strlen(fn) + strlen(id) + 3;
	char *s = malloc(n);
	if (s == NULL) {
		rs->failed = true;
		return RULES_NONE;
	}
	snprintf(s, n, "%s(%s)", fn, id);
	rs->nodes[nd].name = s;
	return nd;
}

static void d_item(struct loader *ld, const char *p)
{
	static const char *const kinds[] = { "required", "recommended", NULL };
	struct ruleset *rs = ld->rs;
	char id[RULES_MAX_NAME + 1];
	if (!take_id(ld, &p, id, U_ITEM))
		return;
	int k = take_choice(ld, &p, kinds, U_ITEM);
	if (k < 0 || !at_end(ld, p))
		return;
	if (rs->n_items >= RULES_MAX_ITEMS) {
		rules_error(ld, "too many items (at most %u)", RULES_MAX_ITEMS);
		return;
	}
	if (!new_id(ld, id, (uint32_t)rs->n_items))
		return;
	struct ritem *it = &rs->items[rs->n_items++];
	it->id = rules_strdup(rs, id);
	it->required = k == 0;
	it->file = ld->file;
	it->line = ld->line;
	it->present = synth_node(ld, RN_PRESENT, "present", id);
	it->applies = synth_node(ld, RN_APPLIES, "applies", id);
	it->missing = synth_node(ld, RN_MISSING, "missing", id);
}

static void d_category(struct loader *ld, const char *p)
{
	static const char *const scopes[] = { "in-scope", "out-of-scope", NULL };
	struct ruleset *rs = ld->rs;
	char id[RULES_MAX_NAME + 1];
	if (!take_id(ld, &p, id, U_CATEGORY))
		return;
	int k = take_choice(ld, &p, scopes, U_CATEGORY);
	if (k < 0)
		return;
	if (*skip_ws(p) == '\0') {
		rules_error(ld, "usage: %s", U_CATEGORY);
		return;
	}
	if (rs->n_cats >= RULES_MAX_CATEGORIES) {
		rules_error(ld, "too many categories (at most %u)", RULES_MAX_CATEGORIES);
		return;
	}
	if (!new_id(ld, id, (uint32_t)rs->n_cats | RULES_ID_CAT))
		return;
	struct rcat *c = &rs->cats[rs->n_cats++];
	c->id = rules_strdup(rs, id);
	c->out_of_scope = k == 1;
	c->file = ld->file;
	c->line = ld->line;
	c->node = synth_node(ld, RN_CATEGORY, "category", id);
	if (c->node == RULES_NONE) {
		rs->n_cats--;
		return;
	}
	rules_compile_expr(ld, p, c->node);
}

/* The item (or, with cats, category) an id names; NULL after reporting. */
static bool find_id(struct loader *ld, const char *id, const char *directive, bool cats,
                    uint32_t *out)
{
	uint32_t v;
	if (!rmap_get(ld->rs->ids, id, &v)) {
		rules_error(ld, "%s for unknown %s '%s' (declare it first)", directive,
		     cats ? "item or category" : "item", id);
		return false;
	}
	if (!cats && (v & RULES_ID_CAT)) {
		rules_error(ld, "%s for '%s', which is a category, not an item", directive, id);
		return false;
	}
	*out = v;
	return true;
}

static void d_label(struct loader *ld, const char *p)
{
	static const char *const langs[] = { "da", "en", NULL };
	struct ruleset *rs = ld->rs;
	char id[RULES_MAX_NAME + 1];
	if (!take_id(ld, &p, id, U_LABEL))
		return;
	int lang = take_choice(ld, &p, langs, U_LABEL);
	if (lang < 0)
		return;
	p = skip_ws(p);
	if (*p == '\0') {
		rules_error(ld, "usage: %s", U_LABEL);
		return;
	}
	uint32_t v;
	if (!find_id(ld, id, "label", true, &v))
		return;
	char **slot;
	if (v & RULES_ID_CAT)
		slot = lang == 0 ? &rs->cats[v & ~RULES_ID_CAT].label_da : &rs->cats[v & ~RULES_ID_CAT].label_en;
	else
		slot = lang == 0 ? &rs->items[v].label_da : &rs->items[v].label_en;
	if (*slot != NULL) {
		rules_error(ld, "duplicate label '%s' %s", id, langs[lang]);
		return;
	}
	*slot = rules_strdup(rs, p);
}

static void d_present_applies(struct loader *ld, const char *p, bool present)
{
	struct ruleset *rs = ld->rs;
	const char *usage = present ? U_PRESENT : U_APPLIES;
	char id[RULES_MAX_NAME + 1];
	if (!take_id(ld, &p, id, usage))
		return;
	if (*skip_ws(p) == '\0') {
		rules_error(ld, "usage: %s", usage);
		return;
	}
	uint32_t v;
	if (!find_id(ld, id, present ? "present" : "applies", false, &v))
		return;
	uint32_t nd = rules_add_node(rs, RN_EXPR, ld->file, ld->line);
	if (nd == RULES_NONE)
		return;
	struct ritem *it = &rs->items[v];
	if (present)
		rules_append_u32(rs, &it->present_expr, &it->n_present, &it->cap_present, nd);
	else
		rules_append_u32(rs, &it->applies_expr, &it->n_applies, &it->cap_applies, nd);
	rules_compile_expr(ld, p, nd);
}

static void d_present(struct loader *ld, const char *p) { d_present_applies(ld, p, true); }
static void d_applies(struct loader *ld, const char *p) { d_present_applies(ld, p, false); }

static void d_priority(struct loader *ld, const char *p)
{
	static const char *const levels[] = { "low", "normal", "high", NULL };
	struct ruleset *rs = ld->rs;
	int k = take_choice(ld, &p, levels, U_PRIORITY);
	if (k < 0)
		return;
	if (*skip_ws(p) == '\0') {
		rules_error(ld, "usage: %s", U_PRIORITY);
		return;
	}
	uint32_t nd = rules_add_node(rs, RN_EXPR, ld->file, ld->line);
	if (nd == RULES_NONE ||
	    rules_grow((void **)&rs->prios, &rs->cap_prios, rs->n_prios + 1, sizeof(*rs->prios)) < 0) {
		rs->failed = true;
		return;
	}
	rs->prios[rs->n_prios].priority = (enum priority)k;
	rs->prios[rs->n_prios++].node = nd;
	rules_compile_expr(ld, p, nd);
}

static void d_autoreply(struct loader *ld, const char *p)
{
	struct ruleset *rs = ld->rs;
	if (*skip_ws(p) == '\0') {
		rules_error(ld, "usage: %s", U_AUTOREPLY);
		return;
	}
	uint32_t nd = rules_add_node(rs, RN_EXPR, ld->file, ld->line);
	if (nd == RULES_NONE ||
	    rules_append_u32(rs, &rs->autoreply_expr, &rs->n_autoreply, &rs->cap_autoreply, nd) < 0)
		return;
	rules_compile_expr(ld, p, nd);
}

static const struct {
	const char *name;
	void (*fn)(struct loader *, const char *);
} directives[] = {
	{ "header", d_header }, { "subject", d_subject }, { "body", d_body },
	{ "own", d_own }, { "attach", d_attach }, { "envelope", d_envelope },
	{ "flag", d_flag }, { "meta", d_meta }, { "describe", d_describe },
	{ "item", d_item }, { "label", d_label }, { "present", d_present },
	{ "applies", d_applies }, { "category", d_category },
	{ "priority", d_priority }, { "autoreply", d_autoreply },
};

static void parse_line(struct loader *ld, const char *line)
{
	ld->text = line;
	const char *p = skip_ws(line);
	if (*p == '\0')
		return;
	size_t n = word_len(p);
	for (size_t i = 0; i < sizeof(directives) / sizeof(directives[0]); i++) {
		if (word_is(p, n, directives[i].name)) {
			directives[i].fn(ld, p + n);
			return;
		}
	}
	rules_error(ld, "unknown directive '%.*s'", rules_qlen(p, n), p);
}

/* Splits text into logical lines: CR LF or LF endings; a line ending in
 * a backslash continues on the next, whose leading blanks are dropped;
 * a line whose first non-blank is '#' is a comment (and never continues). */
void rules_parse_text(struct loader *ld, const char *text, size_t len)
{
	struct buf line;
	buf_init(&line, RULES_MAX_LINE);
	size_t pos = 0;
	uint32_t lineno = 0;
	while (pos < len && !ld->stopped && !ld->rs->failed) {
		buf_reset(&line);
		line.truncated = false;
		uint32_t first = lineno + 1;
		bool nul = false, cont = true;
		while (cont && pos < len) {
			const char *s = text + pos;
			const char *nl = memchr(s, '\n', len - pos);
			size_t n = nl != NULL ? (size_t)(nl - s) : len - pos;
			pos += n + (nl != NULL);
			lineno++;
			if (n > 0 && s[n - 1] == '\r')
				n--;
			if (memchr(s, '\0', n) != NULL)
				nul = true;
			if (lineno == first) {
				size_t k = 0;
				while (k < n && is_ws(s[k]))
					k++;
				if (k < n && s[k] == '#')
					break;
			} else {
				while (n > 0 && is_ws(*s)) {
					s++;
					n--;
				}
			}
			cont = n > 0 && s[n - 1] == '\\';
			if (cont)
				n--;
			buf_append(&line, s, n);
		}
		ld->line = first;
		if (line.failed)
			ld->rs->failed = true;
		else if (nul)
			rules_error(ld, "NUL byte in line");
		else if (line.truncated)
			rules_error(ld, "line longer than %u bytes", RULES_MAX_LINE);
		else if (!rules_utf8_valid(buf_cstr(&line), line.len))
			rules_error(ld, "invalid UTF-8");
		else
			parse_line(ld, buf_cstr(&line));
	}
	buf_free(&line);
}

