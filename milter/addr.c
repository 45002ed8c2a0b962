/*
 * addr: e-mail addresses from the envelope and from To/Cc/From values
 * (see addr.h).
 *
 * Inputs are untrusted NUL-terminated strings; nothing is allocated.
 * - addr_bare: "<a@b>", " a@b ", "<@r1,@r2:a@b>" -> "a@b"; "<>" and ""
 *   -> "" (length 0).  An address that does not fit in outsz is not cut:
 *   out becomes "" and the full length is returned (as snprintf does), so
 *   a caller that forgets the check still cannot match a prefix of a
 *   longer address ("support@example.com.evil.test").
 * - addr_matches: splits at the last '@' (a quoted local part may hold
 *   '@', a domain may not).  A quoted local part is compared as written,
 *   quotes included, and has no "+detail".
 * - addr_list_each: one pass, no recursion, O(length).  Comments nest
 *   with a depth counter; quoted strings keep their quotes and escapes;
 *   white space outside quotes is dropped (RFC 5322 CFWS).  An element
 *   longer than ADDR_BUF_SIZE - 1 is skipped, not cut, and so is an
 *   element with no '@' outside quotes (a bare display name,
 *   "undisclosed-recipients:;").
 */
#include "autoconfig.h"

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "addr.h"

static bool is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static unsigned char lower(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char)(c - 'A' + 'a') : c;
}

static bool ci_equal(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (lower((unsigned char)a[i]) != lower((unsigned char)b[i]))
			return false;
	return true;
}

/* p is at '"': returns the position after the closing quote (or the end
 * of the string when it is unterminated). */
static const char *skip_quoted(const char *p)
{
	for (p++; *p != '\0' && *p != '"'; p++)
		if (*p == '\\' && p[1] != '\0')
			p++;
	return *p == '"' ? p + 1 : p;
}

/* The address after a source route "@a,@b:" at the start of [s, e). */
static const char *skip_route(const char *s, const char *e)
{
	if (s >= e || *s != '@')
		return s;
	for (const char *p = s; p < e; p++) {
		if (*p == '"')
			break;
		if (*p == ':')
			return p + 1;
	}
	return s;
}

size_t addr_bare(const char *in, char *out, size_t outsz)
{
	const char *s, *e;

	if (outsz > 0)
		out[0] = '\0';
	if (in == NULL)
		return 0;
	for (s = in; is_ws(*s); s++)
		;
	if (*s == '<') {
		for (e = ++s; *e != '\0' && *e != '>';)
			e = (*e == '"') ? skip_quoted(e) : e + 1;
	} else {
		e = s + strlen(s);
	}
	for (; s < e && is_ws(*s); s++)
		;
	s = skip_route(s, e);
	for (; s < e && is_ws(*s); s++)
		;
	for (; e > s && is_ws(e[-1]); e--)
		;
	size_t len = (size_t)(e - s);
	if (len < outsz) {
		memcpy(out, s, len);
		out[len] = '\0';
	}
	return len;
}

bool addr_matches(const char *addr, const char *want)
{
	if (addr == NULL || want == NULL)
		return false;
	const char *aat = strrchr(addr, '@'), *wat = strrchr(want, '@');
	if (aat == NULL || wat == NULL || aat == addr || wat == want ||
	    aat[1] == '\0')
		return false;
	if (strlen(aat) != strlen(wat) || !ci_equal(aat, wat, strlen(aat)))
		return false;
	size_t alen = (size_t)(aat - addr), wlen = (size_t)(wat - want);
	if (alen < wlen || !ci_equal(addr, want, wlen))
		return false;
	if (alen == wlen)
		return true;
	return addr[0] != '"' && addr[wlen] == '+';
}

/* ------------------------------------------------------- address lists */

struct elem {
	char buf[ADDR_BUF_SIZE];
	size_t len;
	bool over;   /* longer than buf: skipped */
	bool angle;  /* inside <...> */
	bool closed; /* after <...>: the rest of the element is ignored */
};

static void elem_reset(struct elem *el)
{
	el->len = 0;
	el->over = false;
	el->angle = false;
	el->closed = false;
}

static void elem_put(struct elem *el, char c)
{
	if (el->closed)
		return;
	if (el->len + 1 >= sizeof(el->buf)) {
		el->over = true;
		return;
	}
	el->buf[el->len++] = c;
}

static void elem_emit(struct elem *el, void (*fn)(void *ctx, const char *addr), void *ctx)
{
	if (!el->over && el->len > 0) {
		el->buf[el->len] = '\0';
		const char *s = skip_route(el->buf, el->buf + el->len);
		bool at = false;
		for (const char *p = s; *p != '\0' && !at;)
			if (*p == '"')
				p = skip_quoted(p);
			else
				at = *p++ == '@';
		if (at)
			fn(ctx, s);
	}
	elem_reset(el);
}

void addr_list_each(const char *value, void (*fn)(void *ctx, const char *addr), void *ctx)
{
	struct elem el;
	size_t depth = 0; /* comment nesting */
	bool quoted = false;

	if (value == NULL || fn == NULL)
		return;
	elem_reset(&el);
	for (const char *p = value; *p != '\0'; p++) {
		char c = *p;

		if (depth > 0) {
			if (c == '\\' && p[1] != '\0')
				p++;
			else if (c == '(')
				depth++;
			else if (c == ')')
				depth--;
			continue;
		}
		if (quoted) {
			elem_put(&el, c);
			if (c == '\\' && p[1] != '\0')
				elem_put(&el, *++p);
			else if (c == '"')
				quoted = false;
			continue;
		}
		if (is_ws(c))
			continue;
		switch (c) {
		case '(':
			depth = 1;
			continue;
		case '"':
			quoted = true;
			break;
		case '<':
			if (el.angle)
				break;
			/* What came before was a display name. */
			elem_reset(&el);
			el.angle = true;
			continue;
		case '>':
			if (!el.angle)
				break;
			el.angle = false;
			el.closed = true;
			continue;
		case ',':
		case ';':
			if (el.angle)
				break; /* inside a source route */
			elem_emit(&el, fn, ctx);
			continue;
		case ':':
			if (el.angle)
				break;
			/* A group's display name. */
			elem_reset(&el);
			continue;
		default:
			break;
		}
		elem_put(&el, c);
	}
	elem_emit(&el, fn, ctx);
}
