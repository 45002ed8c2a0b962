/*
 * Tests for charset.c: labels and aliases, the Danish letters and the
 * windows-1252 specials in each single-byte charset, iconv charsets,
 * invalid bytes, unknown labels; every case also fed cut at every offset
 * and byte by byte (multi-byte sequences split between feeds).
 */
#include "autoconfig.h"

#include <check.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "charset.h"

#define AEOEAA "\xc3\xa6\xc3\xb8\xc3\xa5" /* æøå in UTF-8 */
#define FFFD "\xef\xbf\xbd"

struct sink {
	char data[8192];
	size_t n;
	bool overflow;
};

static void sink_cb(void *ctx, const char *p, size_t n)
{
	struct sink *s = ctx;
	if (s->n + n >= sizeof(s->data)) {
		s->overflow = true;
		return;
	}
	memcpy(s->data + s->n, p, n);
	s->n += n;
	s->data[s->n] = '\0';
}

struct ccase {
	const char *label;
	const char *in;
	size_t inlen; /* 0: strlen(in) */
	const char *out;
	bool unknown;
	bool invalid;
};

static const struct ccase cases[] = {
	/* æøå and friends in each charset */
	{ "utf-8", AEOEAA, 0, AEOEAA, false, false },
	{ "iso-8859-1", "\xe6\xf8\xe5\xc6\xd8\xc5", 0, AEOEAA "\xc3\x86\xc3\x98\xc3\x85", false, false },
	{ "iso-8859-15", "\xe6\xf8\xe5\xa4", 0, AEOEAA "\xe2\x82\xac", false, false },
	{ "windows-1252", "\xe6\xf8\xe5 \x80 \x93hej\x94 \x96", 0,
	  AEOEAA " \xe2\x82\xac \xe2\x80\x9chej\xe2\x80\x9d \xe2\x80\x93", false, false },
	{ "cp1252", "\x80", 0, "\xe2\x82\xac", false, false },
	/* iso-8859-1 read as windows-1252 (WHATWG) */
	{ "iso-8859-1", "\x93x\x94", 0, "\xe2\x80\x9cx\xe2\x80\x9d", false, false },
	/* label spelling */
	{ "UTF-8", AEOEAA, 0, AEOEAA, false, false },
	{ "utf8", AEOEAA, 0, AEOEAA, false, false },
	{ "\"utf-8\"", AEOEAA, 0, AEOEAA, false, false },
	{ " Latin1 ", "\xe6", 0, "\xc3\xa6", false, false },
	{ "ISO8859-1", "\xe6", 0, "\xc3\xa6", false, false },
	{ "iso_8859-15", "\xa4", 0, "\xe2\x82\xac", false, false },
	{ "x-cp1252", "\x80", 0, "\xe2\x82\xac", false, false },
	{ "Windows-1252", "\xf8", 0, "\xc3\xb8", false, false },
	{ "", "abc", 0, "abc", false, false },
	{ NULL, "abc", 0, "abc", false, false },
	/* us-ascii / utf-8: valid UTF-8 kept, other bytes as windows-1252 */
	{ "us-ascii", "plain", 0, "plain", false, false },
	{ "us-ascii", AEOEAA, 0, AEOEAA, false, false },
	{ "us-ascii", "Frav\xe6r", 0, "Frav\xc3\xa6r", false, true },
	{ NULL, "Frav\xe6r", 0, "Frav\xc3\xa6r", false, true },
	{ "utf-8", "Frav\xe6r", 0, "Frav\xc3\xa6r", false, true },
	{ "utf-8", "\x93quoted\x94", 0, "\xe2\x80\x9cquoted\xe2\x80\x9d", false, true },
	{ "utf-8", "\xc0\xaf", 0, "\xc3\x80\xc2\xaf", false, true },            /* overlong */
	{ "utf-8", "\xed\xa0\x80", 0, "\xc3\xad\xc2\xa0\xe2\x82\xac", false, true }, /* surrogate */
	{ "utf-8", "\xf4\x90\x80\x80", 0, "\xc3\xb4" FFFD "\xe2\x82\xac\xe2\x82\xac", false, true },
	{ "utf-8", "\xf0\x9f\x98\x80!", 0, "\xf0\x9f\x98\x80!", false, false },
	{ "utf-8", "a\xe2\x82", 0, "a\xc3\xa2\xe2\x80\x9a", false, true }, /* truncated at end */
	{ "utf-8", "\x81", 0, FFFD, false, true },
	{ "windows-1252", "\x81\x8d", 0, FFFD FFFD, false, true },
	/* unknown labels: UTF-8, else windows-1252 */
	{ "x-unknown-charset", AEOEAA, 0, AEOEAA, true, false },
	{ "foo", "\xe6", 0, "\xc3\xa6", true, true },
	{ "utf-8//TRANSLIT", "a", 0, "a", true, false },
	{ "iso-8859-1,utf-8", "a", 0, "a", true, false },
	{ "averyveryveryveryveryveryveryveryveryveryveryveryveryverylonglabelname", "a", 0, "a", true, false },
	/* iconv charsets */
	{ "koi8-r", "\xf0\xd2\xc9\xd7\xc5\xd4", 0,
	  "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82", false, false },
	{ "iso-2022-jp", "\x1b$B$3$s$K$A$O\x1b(B!", 0,
	  "\xe3\x81\x93\xe3\x82\x93\xe3\x81\xab\xe3\x81\xa1\xe3\x81\xaf!", false, false },
	{ "gb2312", "\xc4\xe3\xba\xc3", 0, "\xe4\xbd\xa0\xe5\xa5\xbd", false, false },
	{ "GB2312", "\xff\xff", 0, FFFD FFFD, false, true },
	{ "utf-16", "\xff\xfe" "a\0\xe6\0", 6, "a\xc3\xa6", false, false },
	{ "utf-16le", "a\0\xe6\0", 4, "a\xc3\xa6", false, false },
	{ "utf-16le", "a\0b", 3, "a" FFFD, false, true }, /* odd byte at the end */
	{ "UTF-16BE", "\xd8\x3d\xde\x00", 4, "\xf0\x9f\x98\x80", false, false },
	{ "windows-1250", "\x9a", 0, "\xc5\xa1", false, false },
	{ "x-mac-roman", "\x8e", 0, "\xc3\xa9", false, false },
	{ "utf-7", "Hi Mom -+Jjo--!", 0, "Hi Mom -\xe2\x98\xba-!", false, false },
};

static void run(const struct ccase *c, const size_t *cuts, size_t ncuts, struct sink *s, bool *unknown,
		bool *invalid)
{
	size_t len = c->inlen ? c->inlen : strlen(c->in);
	memset(s, 0, sizeof(*s));
	struct charset_conv *cv = charset_new(c->label);
	ck_assert_ptr_nonnull(cv);
	size_t at = 0;
	for (size_t k = 0; k < ncuts; k++) {
		charset_feed(cv, (const unsigned char *)c->in + at, cuts[k] - at, sink_cb, s);
		at = cuts[k];
	}
	charset_feed(cv, (const unsigned char *)c->in + at, len - at, sink_cb, s);
	charset_finish(cv, sink_cb, s);
	*unknown = charset_is_unknown(cv);
	*invalid = charset_had_invalid(cv);
	charset_free(cv);
}

static void check_case(const struct ccase *c, const struct sink *s, bool unknown, bool invalid, const char *how)
{
	size_t outlen = strlen(c->out);
	const char *label = c->label ? c->label : "(null)";
	ck_assert_msg(!s->overflow, "%s: overflow", label);
	ck_assert_msg(s->n == outlen && memcmp(s->data, c->out, outlen) == 0,
		      "label %s (%s): got %zu bytes \"%.*s\", want \"%s\"", label, how, s->n, (int)s->n, s->data,
		      c->out);
	ck_assert_msg(unknown == c->unknown, "label %s (%s): unknown %d", label, how, unknown);
	ck_assert_msg(invalid == c->invalid, "label %s (%s): invalid %d", label, how, invalid);
}

START_TEST(test_table)
{
	const struct ccase *c = &cases[_i];
	size_t len = c->inlen ? c->inlen : strlen(c->in);
	struct sink s;
	bool unknown, invalid;
	char how[64];

	run(c, NULL, 0, &s, &unknown, &invalid);
	check_case(c, &s, unknown, invalid, "whole");
	for (size_t cut = 0; cut <= len; cut++) {
		snprintf(how, sizeof(how), "cut at %zu", cut);
		run(c, &cut, 1, &s, &unknown, &invalid);
		check_case(c, &s, unknown, invalid, how);
	}
	size_t cuts[64];
	size_t n = len < 64 ? len : 64;
	for (size_t k = 0; k < n; k++)
		cuts[k] = k + 1;
	run(c, cuts, n, &s, &unknown, &invalid);
	check_case(c, &s, unknown, invalid, "byte by byte");
}
END_TEST

/* Longer than the internal output batches, in odd pieces. */
START_TEST(test_long)
{
	static const char *labels[] = { "iso-8859-15", "windows-1252", "utf-8", "koi8-r" };
	unsigned char in[3000];
	for (size_t l = 0; l < sizeof(labels) / sizeof(labels[0]); l++) {
		size_t n = 0;
		bool utf8 = strcmp(labels[l], "utf-8") == 0;
		while (n + 2 <= sizeof(in)) {
			if (utf8) {
				in[n++] = 0xc3;
				in[n++] = 0xa6;
			} else {
				in[n++] = 0xe6;
				in[n++] = 'x';
			}
		}
		struct sink whole, pieces;
		memset(&whole, 0, sizeof(whole));
		memset(&pieces, 0, sizeof(pieces));
		struct charset_conv *c = charset_new(labels[l]);
		charset_feed(c, in, n, sink_cb, &whole);
		charset_finish(c, sink_cb, &whole);
		ck_assert(!charset_had_invalid(c));
		charset_free(c);
		c = charset_new(labels[l]);
		for (size_t at = 0; at < n;) {
			size_t k = (at % 13) + 1;
			if (k > n - at)
				k = n - at;
			charset_feed(c, in + at, k, sink_cb, &pieces);
			at += k;
		}
		charset_finish(c, sink_cb, &pieces);
		charset_free(c);
		ck_assert(!whole.overflow);
		ck_assert_uint_eq(whole.n, utf8 ? n : n / 2 * 3);
		ck_assert_uint_eq(whole.n, pieces.n);
		ck_assert_mem_eq(whole.data, pieces.data, whole.n);
	}
}
END_TEST

START_TEST(test_to_utf8)
{
	bool unknown = true;
	char *s = charset_to_utf8("iso-8859-1", "Frav\xe6r", 6, &unknown);
	ck_assert_str_eq(s, "Frav\xc3\xa6r");
	ck_assert(!unknown);
	free(s);

	s = charset_to_utf8("klingon", "Frav\xe6r", 6, &unknown);
	ck_assert_str_eq(s, "Frav\xc3\xa6r");
	ck_assert(unknown);
	free(s);

	s = charset_to_utf8("utf-8", "", 0, NULL);
	ck_assert_str_eq(s, "");
	free(s);

	s = charset_to_utf8(NULL, "a\xe2\x82\xac", 4, NULL);
	ck_assert_str_eq(s, "a\xe2\x82\xac");
	free(s);
}
END_TEST

/* NUL bytes pass through (the caller decides what they mean). */
START_TEST(test_nul)
{
	struct sink s;
	memset(&s, 0, sizeof(s));
	struct charset_conv *c = charset_new("utf-8");
	charset_feed(c, (const unsigned char *)"a\0b", 3, sink_cb, &s);
	charset_finish(c, sink_cb, &s);
	ck_assert(!charset_had_invalid(c));
	charset_free(c);
	ck_assert_uint_eq(s.n, 3);
	ck_assert_mem_eq(s.data, "a\0b", 3);
}
END_TEST

START_TEST(test_free_null)
{
	charset_free(NULL);
	ck_assert(!charset_is_unknown(NULL));
	ck_assert(!charset_had_invalid(NULL));
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("charset");
	TCase *tc = tcase_create("charset");
	tcase_add_loop_test(tc, test_table, 0, (int)(sizeof(cases) / sizeof(cases[0])));
	tcase_add_test(tc, test_long);
	tcase_add_test(tc, test_to_utf8);
	tcase_add_test(tc, test_nul);
	tcase_add_test(tc, test_free_null);
	suite_add_tcase(s, tc);
	return s;
}

#include "check_main.h"
