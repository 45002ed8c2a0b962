/*
 * test_addr: envelope addresses (brackets, source routes, null sender,
 * buffer limits), matching against the support address (case, +detail,
 * quoted local parts) and address-list walking (display names, comments,
 * groups, quoted strings, limits).
 */
#include "autoconfig.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------------ addr_bare */

static const struct {
	const char *in;
	size_t outsz;
	const char *want; /* what out holds */
	size_t ret;
} bare_cases[] = {
	{ "<a@b>", 64, "a@b", 3 },
	{ "a@b", 64, "a@b", 3 },
	{ "  <a@b>  ", 64, "a@b", 3 },
	{ "< a@b >", 64, "a@b", 3 },
	{ "\t a@b \r\n", 64, "a@b", 3 },
	{ "<User+Tag@Example.COM>", 64, "User+Tag@Example.COM", 20 },
	{ "<>", 64, "", 0 },
	{ "< >", 64, "", 0 },
	{ "", 64, "", 0 },
	{ "   ", 64, "", 0 },
	{ NULL, 64, "", 0 },
	{ "<@x.example,@y.example:u@d.example>", 64, "u@d.example", 11 },
	{ "<@x.example:u@d.example>", 64, "u@d.example", 11 },
	{ "@x.example:u@d.example", 64, "u@d.example", 11 },
	{ "<@x.example:>", 64, "", 0 },
	{ "<\"a>b\"@d>", 64, "\"a>b\"@d", 7 },
	{ "<\"a\\\">b\"@d>", 64, "\"a\\\">b\"@d", 9 },
	{ "<a@b", 64, "a@b", 3 },
	{ "<a@b> SIZE=100", 64, "a@b", 3 },
	/* limits: an address that does not fit is not cut */
	{ "<abcdef@x>", 9, "abcdef@x", 8 },
	{ "<abcdef@x>", 8, "", 8 },
	{ "<abcdef@x>", 1, "", 8 },
	{ "<>", 1, "", 0 },
	{ "<support@example.com.evil.test>", 20, "", 29 },
};

START_TEST(bare_table)
{
	char out[64];

	memset(out, 'Z', sizeof(out));
	size_t n = addr_bare(bare_cases[_i].in, out, bare_cases[_i].outsz);
	ck_assert_uint_eq(n, bare_cases[_i].ret);
	ck_assert_str_eq(out, bare_cases[_i].want);
	for (size_t i = bare_cases[_i].outsz; i < sizeof(out); i++)
		ck_assert_int_eq(out[i], 'Z');
}
END_TEST

START_TEST(bare_outsz_zero)
{
	char out[4] = "ZZZ";
	ck_assert_uint_eq(addr_bare("<a@b>", out, 0), 3);
	ck_assert_str_eq(out, "ZZZ");
}
END_TEST

/* ------------------------------------------------------------ matches */

static const struct {
	const char *addr, *want;
	bool match;
} match_cases[] = {
	{ "support@example.com", "support@example.com", true },
	{ "SUPPORT@Example.COM", "support@example.com", true },
	{ "support@example.com", "Support@EXAMPLE.com", true },
	{ "support+foo@example.com", "support@example.com", true },
	{ "Support+Foo@example.com", "support@example.com", true },
	{ "support+@example.com", "support@example.com", true },
	{ "support+a+b@example.com", "support@example.com", true },
	{ "supportx@example.com", "support@example.com", false },
	{ "support-foo@example.com", "support@example.com", false },
	{ "foo+support@example.com", "support@example.com", false },
	{ "suppor@example.com", "support@example.com", false },
	{ "support@example.org", "support@example.com", false },
	{ "support@example.com.evil", "support@example.com", false },
	{ "support@sub.example.com", "support@example.com", false },
	{ "support@xample.com", "support@example.com", false },
	{ "support", "support@example.com", false },
	{ "support@", "support@example.com", false },
	{ "@example.com", "support@example.com", false },
	{ "", "support@example.com", false },
	{ "support", "support", false },
	{ "support@example.com", "support", false },
	{ "support@example.com", "@example.com", false },
	{ NULL, "support@example.com", false },
	{ "support@example.com", NULL, false },
	/* quoted local parts: literal, no detail */
	{ "\"support\"@example.com", "support@example.com", false },
	{ "\"support\"@example.com", "\"support\"@example.com", true },
	{ "\"Support\"@example.com", "\"support\"@example.com", true },
	{ "\"support+x\"@example.com", "support@example.com", false },
	{ "\"support\"+x@example.com", "\"support\"@example.com", false },
	{ "\"a@b\"@example.com", "\"a@b\"@example.com", true },
	{ "\"a@b\"@example.com", "b@example.com", false },
};

START_TEST(match_table)
{
	ck_assert_msg(addr_matches(match_cases[_i].addr, match_cases[_i].want) ==
			      match_cases[_i].match,
		      "addr_matches(%s, %s)", match_cases[_i].addr ? match_cases[_i].addr : "NULL",
		      match_cases[_i].want ? match_cases[_i].want : "NULL");
}
END_TEST

/* ------------------------------------------------------------ lists */

struct collect {
	char s[4096];
	size_t n;
};

static void collect(void *ctx, const char *addr)
{
	struct collect *c = ctx;
	size_t len = strlen(addr);

	ck_assert_uint_lt(len, ADDR_BUF_SIZE);
	if (c->n > 0 && c->n < sizeof(c->s) - 1)
		c->s[c->n++] = '|';
	if (c->n + len < sizeof(c->s)) {
		memcpy(c->s + c->n, addr, len);
		c->n += len;
	}
	c->s[c->n] = '\0';
	c->s[sizeof(c->s) - 1] = '\0';
}

static const struct {
	const char *value, *want; /* addresses joined by '|' */
} list_cases[] = {
	{ "Name <a@b>, \"Doe, J\" <c@d>, e@f (comment), group: g@h, i@j;",
	  "a@b|c@d|e@f|g@h|i@j" },
	{ "a@b", "a@b" },
	{ "A@B.Example", "A@B.Example" },
	{ "", "" },
	{ "undisclosed-recipients:;", "" },
	{ "Jane Doe", "" },
	{ "Jane Doe <>", "" },
	{ "\"a@b\"", "" },
	{ "<@r1.example,@r2.example:u@d>", "u@d" },
	{ "x (nested (comment) here) <y@z>", "y@z" },
	{ "(a\\) b@c) d@e", "d@e" },
	{ "(unterminated comment a@b", "" },
	{ "\"unterminated a@b", "" },
	{ "\"quoted local\"@d", "\"quoted local\"@d" },
	{ "\"x\\\"y, z\" <a@b>", "a@b" },
	{ "a@b,,c@d,", "a@b|c@d" },
	{ "a @ b . c", "a@b.c" },
	{ "Name <a@b> trailing junk, c@d", "a@b|c@d" },
	{ "a@b,\r\n\tc@d", "a@b|c@d" },
	{ "<a(comment)@b>", "a@b" },
	{ "Team: Ann <ann@x>, bob@y;, carol@z", "ann@x|bob@y|carol@z" },
	{ "Empty:;, Full: x@y;", "x@y" },
	{ "<a@b", "a@b" },
	{ "<a@b>, <c@d>", "a@b|c@d" },
	{ ":;,<>()\"", "" },
};

START_TEST(list_table)
{
	struct collect c = { .n = 0 };
	c.s[0] = '\0';
	addr_list_each(list_cases[_i].value, collect, &c);
	ck_assert_str_eq(c.s, list_cases[_i].want);
}
END_TEST

START_TEST(list_limits)
{
	size_t len = ADDR_BUF_SIZE + 100;
	char *v = malloc(len + 32);
	struct collect c = { .n = 0 };

	ck_assert_ptr_nonnull(v);
	/* an element just fitting, then one a byte too long, then a short one */
	memset(v, 'x', ADDR_BUF_SIZE - 3);
	memcpy(v + ADDR_BUF_SIZE - 3, "@d,", 4);
	addr_list_each(v, collect, &c);
	ck_assert_uint_eq(c.n, ADDR_BUF_SIZE - 1);

	c.n = 0;
	c.s[0] = '\0';
	memset(v, 'x', ADDR_BUF_SIZE - 2);
	memcpy(v + ADDR_BUF_SIZE - 2, "@d, ok@d", 9);
	addr_list_each(v, collect, &c);
	ck_assert_str_eq(c.s, "ok@d");

	c.n = 0;
	c.s[0] = '\0';
	addr_list_each(NULL, collect, &c);
	addr_list_each("a@b", NULL, NULL);
	ck_assert_uint_eq(c.n, 0);
	free(v);
}
END_TEST

static void count_cb(void *ctx, const char *addr)
{
	(void)addr;
	(*(size_t *)ctx)++;
}

/* Deep nesting and long inputs cost one pass, no recursion. */
START_TEST(list_large)
{
	const size_t len = 1024 * 1024;
	char *v = malloc(len + 1);
	size_t n = 0;

	ck_assert_ptr_nonnull(v);
	memset(v, '(', len);
	v[len] = '\0';
	addr_list_each(v, count_cb, &n);
	ck_assert_uint_eq(n, 0);

	for (size_t i = 0; i + 4 <= len; i += 4)
		memcpy(v + i, "a@b,", 4);
	addr_list_each(v, count_cb, &n);
	ck_assert_uint_eq(n, len / 4);

	memset(v, '<', len);
	n = 0;
	addr_list_each(v, count_cb, &n);
	ck_assert_uint_eq(n, 0);
	free(v);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("addr");
	TCase *tc;

	tc = tcase_create("bare");
	tcase_add_loop_test(tc, bare_table, 0, NELEM(bare_cases));
	tcase_add_test(tc, bare_outsz_zero);
	suite_add_tcase(s, tc);

	tc = tcase_create("matches");
	tcase_add_loop_test(tc, match_table, 0, NELEM(match_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("list");
	tcase_add_loop_test(tc, list_table, 0, NELEM(list_cases));
	tcase_add_test(tc, list_limits);
	tcase_add_test(tc, list_large);
	suite_add_tcase(s, tc);
	return s;
}

#include "check_main.h"
