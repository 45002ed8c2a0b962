/*
 * Tests for rfc2047.c: B and Q words, case, adjacent and split words,
 * malformed words kept literally, words without surrounding space and in
 * quoted strings, raw 8-bit text, unfolding; the output is always valid
 * UTF-8.
 */
#include "autoconfig.h"

#include <check.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "rfc2047.h"

#define AE "\xc3\xa6"
#define OE "\xc3\xb8"
#define AA "\xc3\xa5"

static const struct {
	const char *in;
	const char *out;
} cases[] = {
	/* plain text */
	{ "", "" },
	{ "Hello world", "Hello world" },
	{ "a = b ? c", "a = b ? c" },
	/* B and Q, case-insensitive */
	{ "=?iso-8859-1?Q?Frav=E6r?=", "Frav" AE "r" },
	{ "=?ISO-8859-1?q?Frav=e6r?=", "Frav" AE "r" },
	{ "=?utf-8?B?w6bDuMOl?=", AE OE AA },
	{ "=?UTF-8?b?w6bDuMOl?=", AE OE AA },
	{ "=?utf-8?B?w6bDuMOlLnBkZg==?=", AE OE AA ".pdf" },
	{ "=?utf-8?B?QQ?=", "A" }, /* padding missing */
	{ "=?utf-8?Q?hello_world?=", "hello world" },
	{ "=?utf-8?Q?a_?=", "a " },
	{ "=?iso-8859-1?Q?Sp=F8rgsm=E5l_om_faktura?=", "Sp" OE "rgsm" AA "l om faktura" },
	{ "=?windows-1252?Q?=93hej=94_=80?=", "\xe2\x80\x9chej\xe2\x80\x9d \xe2\x82\xac" },
	{ "SV: =?iso-8859-1?Q?Frav=E6r?= i dag", "SV: Frav" AE "r i dag" },
	{ "Re: =?utf-8?Q?Fejl?= i =?utf-8?Q?system?=", "Re: Fejl i system" },
	/* adjacent words: white space between them dropped */
	{ "=?utf-8?Q?a?= =?utf-8?Q?b?=", "ab" },
	{ "=?utf-8?Q?a?=\r\n =?utf-8?Q?b?=", "ab" },
	{ "=?utf-8?Q?a?=\n\t =?UTF-8?B?Yg==?=", "ab" },
	{ "=?utf-8?Q?a?==?utf-8?Q?b?=", "ab" },
	{ "=?iso-8859-1?Q?=E6?= =?utf-8?Q?=C3=B8?=", AE OE },
	{ "=?utf-8?Q?a?= b =?utf-8?Q?c?=", "a b c" },
	{ "x =?utf-8?Q?a?= ", "x a " },
	/* a multi-byte character split across words */
	{ "=?utf-8?B?w6bD?= =?utf-8?B?uMOl?=", AE OE AA },
	{ "=?utf-8?Q?=C3?= =?UTF-8?Q?=A6?=", AE },
	{ "=?utf-8?Q?=C3?= =?utf-8?B?pg==?=", AE },
	{ "=?utf-8*da?Q?=C3?= =?utf-8?Q?=A6?=", AE },
	/* RFC 2231 language suffix */
	{ "=?utf-8*da?Q?=C3=A6?=", AE },
	{ "=?ISO-8859-1*da-DK?Q?=E6?=", AE },
	/* no surrounding white space, quoted strings */
	{ "foo=?utf-8?Q?bar?=baz", "foobarbaz" },
	{ "\"=?utf-8?Q?J=C3=B8rgen?=\" <j@example.dk>", "\"J" OE "rgen\" <j@example.dk>" },
	{ "\"=?utf-8?Q?J=C3=B8rgen?= Hansen\" <j@example.dk>", "\"J" OE "rgen Hansen\" <j@example.dk>" },
	/* malformed words stay literal */
	{ "=?utf-8?Q?abc", "=?utf-8?Q?abc" },
	{ "=?utf-8?Q?abc?", "=?utf-8?Q?abc?" },
	{ "=?utf-8?B?w6b*?=", "=?utf-8?B?w6b*?=" },
	{ "=?utf-8?B?Q?=", "=?utf-8?B?Q?=" },
	{ "=?utf-8?X?abc?=", "=?utf-8?X?abc?=" },
	{ "=?utf-8?QQ?abc?=", "=?utf-8?QQ?abc?=" },
	{ "=??Q?abc?=", "=??Q?abc?=" },
	{ "=?*da?Q?abc?=", "=?*da?Q?abc?=" },
	{ "=?utf-8?Q?a b?=", "=?utf-8?Q?a b?=" },
	{ "=?", "=?" },
	{ "=?=", "=?=" },
	{ "=", "=" },
	{ "=?utf-8?Q?a?= =?utf-8?X?b?=", "a =?utf-8?X?b?=" },
	{ "=?utf-8?B?w6b*?= =?utf-8?Q?a?=", "=?utf-8?B?w6b*?= a" },
	{ "=?utf-8?Q?=C3?= =?utf-8?B?#?= =?utf-8?Q?=A6?=", "\xc3\x83 =?utf-8?B?#?= \xc2\xa6" },
	/* empty text, '?' and stray '=' inside Q */
	{ "=?utf-8?Q?\?=", "" },
	{ "a =?utf-8?B?\?= b", "a  b" },
	{ "=?utf-8?Q?a?b?=", "a?b" },
	{ "=?utf-8?Q?100=?=", "100=" },
	{ "=?utf-8?Q?=ZZ?=", "=ZZ" },
	/* unknown charset: UTF-8, else windows-1252 */
	{ "=?x-unknown?Q?=C3=A6?=", AE },
	{ "=?klingon?Q?=E6?=", AE },
	{ "=?utf-8?Q?=E6?=", AE },
	/* raw 8-bit outside words */
	{ "Frav\xe6r", "Frav" AE "r" },
	{ "Frav" AE "r", "Frav" AE "r" },
	{ "Frav\xe6r =?utf-8?Q?i_dag?=", "Frav" AE "r i dag" },
	/* unfolding, controls */
	{ "a\r\n b", "a b" },
	{ "a\n\tb", "a\tb" },
	{ "a\r\n", "a" },
	{ "=?utf-8?Q?a=00b=0Dc=0A?=", "a b c " },
	{ "=?utf-8?Q?=E2=82?=", "\xc3\xa2\xe2\x80\x9a" },
};

/* Strict UTF-8 check (no overlongs, surrogates, or > U+10FFFF). */
static bool utf8_valid(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		if (*p < 0x80) {
			p++;
			continue;
		}
		int n;
		unsigned lo = 0x80, hi = 0xBF;
		if (*p >= 0xC2 && *p <= 0xDF)
			n = 1;
		else if (*p >= 0xE0 && *p <= 0xEF) {
			n = 2;
			lo = *p == 0xE0 ? 0xA0 : 0x80;
			hi = *p == 0xED ? 0x9F : 0xBF;
		} else if (*p >= 0xF0 && *p <= 0xF4) {
			n = 3;
			lo = *p == 0xF0 ? 0x90 : 0x80;
			hi = *p == 0xF4 ? 0x8F : 0xBF;
		} else
			return false;
		p++;
		for (int k = 0; k < n; k++, p++) {
			if (k == 0 ? (*p < lo || *p > hi) : (*p < 0x80 || *p > 0xBF))
				return false;
		}
	}
	return true;
}

START_TEST(test_table)
{
	const char *in = cases[_i].in;
	char *out = rfc2047_decode(in, strlen(in));
	ck_assert_ptr_nonnull(out);
	ck_assert_msg(strcmp(out, cases[_i].out) == 0, "in \"%s\": got \"%s\", want \"%s\"", in, out, cases[_i].out);
	ck_assert_msg(utf8_valid(out), "in \"%s\": invalid UTF-8", in);
	free(out);
}
END_TEST

/* The length is honoured (no reading past it, NUL not special). */
START_TEST(test_length)
{
	const char in[] = "=?utf-8?Q?a?=XYZ";
	char *out = rfc2047_decode(in, 13);
	ck_assert_str_eq(out, "a");
	free(out);
	out = rfc2047_decode(in, 12); /* cut inside "?=" */
	ck_assert_str_eq(out, "=?utf-8?Q?a?");
	free(out);
	out = rfc2047_decode("a\0b", 3);
	ck_assert_str_eq(out, "a b");
	free(out);
	out = rfc2047_decode(NULL, 0);
	ck_assert_str_eq(out, "");
	free(out);
}
END_TEST

/* Long and hostile inputs stay bounded and valid. */
START_TEST(test_bounded)
{
	size_t n = 20000;
	char *in = malloc(n + 1);
	ck_assert_ptr_nonnull(in);
	static const char *pats[] = { "=?", "=?utf-8?Q?", "=?utf-8?B?w6bD?= ", "\xff\xfe", "=?a?q?=?b" };
	for (size_t p = 0; p < sizeof(pats) / sizeof(pats[0]); p++) {
		size_t pl = strlen(pats[p]);
		for (size_t k = 0; k < n; k++)
			in[k] = pats[p][k % pl];
		in[n] = '\0';
		char *out = rfc2047_decode(in, n);
		ck_assert_ptr_nonnull(out);
		ck_assert(strlen(out) <= 4 * n);
		ck_assert(utf8_valid(out));
		free(out);
	}
	free(in);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("rfc2047");
	TCase *tc = tcase_create("rfc2047");
	tcase_add_loop_test(tc, test_table, 0, (int)(sizeof(cases) / sizeof(cases[0])));
	tcase_add_test(tc, test_length);
	tcase_add_test(tc, test_bounded);
	suite_add_tcase(s, tc);
	return s;
}

#include "check_main.h"
