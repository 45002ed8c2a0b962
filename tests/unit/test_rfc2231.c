/*
 * Tests for rfc2231.c: leading value, quoted strings and escapes,
 * comments, sloppy separators, RFC 2231 continuations and charset values,
 * RFC 2047 words in quoted values, limits, garbage.
 */
#include "autoconfig.h"

#include <check.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rfc2231.h"

#define AE "\xc3\xa6"
#define OE "\xc3\xb8"
#define AA "\xc3\xa5"

/* Expected parameters as "name=value" strings, in order. */
static const struct {
	const char *in;
	const char *value;
	const char *params[5];
} cases[] = {
	{ "text/plain; charset=utf-8", "text/plain", { "charset=utf-8" } },
	{ "Text/PLAIN; CHARSET=\"UTF-8\"", "text/plain", { "charset=UTF-8" } },
	{ "  text/html  ", "text/html", { NULL } },
	{ "\"text/plain\"; format=flowed", "text/plain", { "format=flowed" } },
	{ "multipart/mixed;\r\n\tboundary=\"----=_Part_0_12.34\"", "multipart/mixed",
	  { "boundary=----=_Part_0_12.34" } },
	{ "multipart/alternative; boundary=----=_NextPart_000", "multipart/alternative",
	  { "boundary=----=_NextPart_000" } },
	/* quoted strings */
	{ "attachment; filename=\"a\\\"b\\\\c.txt\"", "attachment", { "filename=a\"b\\c.txt" } },
	{ "attachment; filename=\"a;b=c.txt\"; size=3", "attachment", { "filename=a;b=c.txt", "size=3" } },
	{ "attachment; filename=\"abc", "attachment", { "filename=abc" } },
	{ "attachment; filename=\"\"", "attachment", { "filename=" } },
	/* comments */
	{ "text/plain (comment) ; charset=(x) utf-8 (y)", "text/plain", { "charset=utf-8" } },
	{ "text/plain (a (nested; x=y) c); charset=utf-8", "text/plain", { "charset=utf-8" } },
	{ "text/plain (unterminated; charset=utf-8", "text/plain", { NULL } },
	/* sloppy separators */
	{ "text/plain charset=utf-8 format=flowed", "text/plain", { "charset=utf-8", "format=flowed" } },
	{ "text/plain ;charset = utf-8 ;; ; format=flowed;", "text/plain", { "charset=utf-8", "format=flowed" } },
	{ "text/plain;charset=utf-8;delsp=yes", "text/plain", { "charset=utf-8", "delsp=yes" } },
	{ "attachment; filename=my file.pdf; size=3", "attachment", { "filename=my file.pdf", "size=3" } },
	{ "attachment; filename=my file.pdf size=3", "attachment", { "filename=my file.pdf", "size=3" } },
	{ "filename=x.pdf", "", { "filename=x.pdf" } },
	{ "inline; junk; name=a", "inline", { "name=a" } },
	/* RFC 2231 continuations, in and out of order */
	{ "attachment; filename*0=\"abc\"; filename*1=\"def.txt\"", "attachment", { "filename=abcdef.txt" } },
	{ "attachment; filename*1=\"def.txt\"; filename*0=\"abc\"", "attachment", { "filename=abcdef.txt" } },
	{ "attachment; filename*2=c; filename*10=e; filename*0=a; filename*1=b; filename*3=d", "attachment",
	  { "filename=abcde" } },
	{ "attachment; filename*0=\"abc\"; filename*0=\"zzz\"; filename*1=\"d\"", "attachment",
	  { "filename=abcd" } },
	{ "attachment; filename*1=\"b\"", "attachment", { "filename=b" } },
	/* extended values */
	{ "attachment; filename*=utf-8''%C3%A6%C3%B8%C3%A5.pdf", "attachment", { "filename=" AE OE AA ".pdf" } },
	{ "attachment; filename*=UTF-8'da'%c3%a6.pdf", "attachment", { "filename=" AE ".pdf" } },
	{ "attachment; filename*=iso-8859-1'da'Frav%E6r.doc", "attachment", { "filename=Frav" AE "r.doc" } },
	{ "attachment; filename*=''plain%20name", "attachment", { "filename=plain name" } },
	{ "attachment; filename*=%C3%A6.pdf", "attachment", { "filename=" AE ".pdf" } },
	{ "attachment; filename*=utf-8''100%", "attachment", { "filename=100%" } },
	{ "attachment; filename*=utf-8''%ZZ%4", "attachment", { "filename=%ZZ%4" } },
	{ "attachment; filename*=utf-8''a%00b", "attachment", { "filename=a b" } },
	{ "attachment; filename*=klingon''%E6", "attachment", { "filename=" AE } },
	{ "attachment; filename*0*=utf-8''%C3%A6; filename*1=\"-plain%20.txt\"; filename*2*=%C3%B8", "attachment",
	  { "filename=" AE "-plain%20.txt" OE } },
	{ "attachment; filename*1*=%A6; filename*0*=utf-8''%C3", "attachment", { "filename=" AE } },
	/* the RFC 2231 form wins over the plain one, whatever the order */
	{ "attachment; filename=\"fallback.pdf\"; filename*=utf-8''real%C3%A6.pdf", "attachment",
	  { "filename=real" AE ".pdf" } },
	{ "attachment; filename*=utf-8''real%C3%A6.pdf; filename=\"fallback.pdf\"", "attachment",
	  { "filename=real" AE ".pdf" } },
	/* RFC 2047 inside quoted values (Outlook), raw 8-bit */
	{ "attachment; filename=\"=?utf-8?B?w6bDuMOlLnBkZg==?=\"", "attachment", { "filename=" AE OE AA ".pdf" } },
	{ "attachment; filename=\"=?iso-8859-1?Q?Frav=E6r?= 2024.docx\"", "attachment",
	  { "filename=Frav" AE "r 2024.docx" } },
	{ "attachment; filename=\"Frav\xe6r.pdf\"", "attachment", { "filename=Frav" AE "r.pdf" } },
	{ "attachment; filename=\"Frav" AE "r.pdf\"", "attachment", { "filename=Frav" AE "r.pdf" } },
	/* duplicates: first wins; names lower-cased */
	{ "text/plain; charset=utf-8; charset=iso-8859-1", "text/plain", { "charset=utf-8" } },
	{ "text/plain; Charset=a; CHARSET=b; x=1", "text/plain", { "charset=a", "x=1" } },
	/* continuation numbers out of range are ordinary names */
	{ "a; name*1000=x", "a", { "name*1000=x" } },
	{ "a; *0=x", "a", { "*0=x" } },
	/* garbage */
	{ "", "", { NULL } },
	{ ";;;===\"\"(((", "", { NULL } },
	{ "=", "", { NULL } },
	{ "text/plain; =x; y", "text/plain", { NULL } },
	{ "text/plain; a=\"\\", "text/plain", { "a=\\" } },
	{ "\"\"", "", { NULL } },
};

START_TEST(test_table)
{
	const char *in = cases[_i].in;
	struct mime_params p;
	ck_assert_int_eq(mime_params_parse(in, strlen(in), &p), 0);
	ck_assert_ptr_nonnull(p.value);
	ck_assert_msg(strcmp(p.value, cases[_i].value) == 0, "in \"%s\": value \"%s\"", in, p.value);
	size_t want = 0;
	while (want < 5 && cases[_i].params[want] != NULL)
		want++;
	ck_assert_msg(p.n == want, "in \"%s\": %zu params, want %zu", in, p.n, want);
	for (size_t k = 0; k < want; k++) {
		char got[512];
		snprintf(got, sizeof(got), "%s=%s", p.names[k], p.values[k]);
		ck_assert_msg(strcmp(got, cases[_i].params[k]) == 0, "in \"%s\": got \"%s\", want \"%s\"", in, got,
			      cases[_i].params[k]);
	}
	mime_params_free(&p);
}
END_TEST

START_TEST(test_get)
{
	struct mime_params p;
	const char *in = "text/plain; charset=utf-8; Format=flowed";
	ck_assert_int_eq(mime_params_parse(in, strlen(in), &p), 0);
	ck_assert_str_eq(mime_params_get(&p, "charset"), "utf-8");
	ck_assert_str_eq(mime_params_get(&p, "CHARSET"), "utf-8");
	ck_assert_str_eq(mime_params_get(&p, "format"), "flowed");
	ck_assert_ptr_null(mime_params_get(&p, "name"));
	ck_assert_ptr_null(mime_params_get(&p, "charse"));
	mime_params_free(&p);
	ck_assert_ptr_null(p.value);
	ck_assert_uint_eq(p.n, 0);
	mime_params_free(&p); /* twice is harmless */
	mime_params_free(NULL);
	ck_assert_ptr_null(mime_params_get(NULL, "x"));
}
END_TEST

/* The length is honoured: nothing after it is read. */
START_TEST(test_length)
{
	struct mime_params p;
	const char *in = "text/plain; charset=utf-8; format=flowed";
	ck_assert_int_eq(mime_params_parse(in, 25, &p), 0);
	ck_assert_str_eq(p.value, "text/plain");
	ck_assert_str_eq(mime_params_get(&p, "charset"), "utf-8");
	ck_assert_ptr_null(mime_params_get(&p, "format"));
	mime_params_free(&p);
	ck_assert_int_eq(mime_params_parse(NULL, 0, &p), 0);
	ck_assert_str_eq(p.value, "");
	mime_params_free(&p);
}
END_TEST

/* At most MIME_PARAM_MAX parameters, the first ones. */
START_TEST(test_max_params)
{
	char in[2048] = "text/plain";
	size_t n = strlen(in);
	for (int k = 0; k < MIME_PARAM_MAX + 10; k++)
		n += (size_t)snprintf(in + n, sizeof(in) - n, "; p%d=v%d", k, k);
	struct mime_params p;
	ck_assert_int_eq(mime_params_parse(in, n, &p), 0);
	ck_assert_uint_eq(p.n, MIME_PARAM_MAX);
	ck_assert_str_eq(p.names[0], "p0");
	ck_assert_str_eq(p.values[MIME_PARAM_MAX - 1], "v31");
	ck_assert_ptr_null(mime_params_get(&p, "p32"));
	mime_params_free(&p);
}
END_TEST

/* Many continuation sections: bounded, in order, no quadratic blow-up. */
START_TEST(test_many_sections)
{
	size_t cap = 64 * 1024;
	char *in = malloc(cap);
	ck_assert_ptr_nonnull(in);
	size_t n = (size_t)snprintf(in, cap, "attachment");
	for (int k = 999; k >= 0; k--)
		n += (size_t)snprintf(in + n, cap - n, "; filename*%d=%c", k, 'a' + k % 26);
	struct mime_params p;
	ck_assert_int_eq(mime_params_parse(in, n, &p), 0);
	const char *f = mime_params_get(&p, "filename");
	ck_assert_ptr_nonnull(f);
	/* only the first segments seen are kept: the highest numbers */
	ck_assert(strlen(f) > 0 && strlen(f) <= 1000);
	for (size_t k = 1; f[k] != '\0'; k++)
		ck_assert(f[k] == 'a' + (f[k - 1] - 'a' + 1) % 26);
	mime_params_free(&p);
	free(in);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("rfc2231");
	TCase *tc = tcase_create("rfc2231");
	tcase_add_loop_test(tc, test_table, 0, (int)(sizeof(cases) / sizeof(cases[0])));
	tcase_add_test(tc, test_get);
	tcase_add_test(tc, test_length);
	tcase_add_test(tc, test_max_params);
	tcase_add_test(tc, test_many_sections);
	suite_add_tcase(s, tc);
	return s;
}

#include "check_main.h"
