/*
 * test_hdr: sanitizing (injection, NUL, 8-bit, size limits), folding
 * (every line checked), field-name validity, prefix compare and the
 * removal tracker (per-name, case-insensitive, reverse order, limits).
 */
#include "autoconfig.h"

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hdr.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------------ helpers */

static bool allowed_alphabet(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c != ' ' && (c < 0x21 || c > 0x7E))
			return false;
	}
	return true;
}

/* Checks a folded value the way an MTA would write it after "name: ":
 * only "\n\t" breaks, no line over 78 unless it holds a single token, and
 * no needless break (the next word would not have fit, unless the line
 * was ended at a comma on purpose). */
static void check_folded(const char *name, const char *folded)
{
	size_t col = strlen(name) + 2;
	const char *line = folded;

	for (;;) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		ck_assert_msg(allowed_alphabet(line, len), "bad byte in line");
		ck_assert_msg(len == 0 || (line[0] != ' ' && line[len - 1] != ' '),
			      "space at a line edge");
		if (col + len > HDR_FOLD_COLUMNS)
			ck_assert_msg(memchr(line, ' ', len) == NULL,
				      "line of %zu columns has a break point",
				      col + len);
		if (nl == NULL)
			break;
		ck_assert_msg(nl[1] == '\t', "newline not followed by a tab");
		ck_assert_msg(len > 0, "empty line before a break");
		const char *next = nl + 2;
		size_t wlen = strcspn(next, " \n");
		ck_assert_msg(wlen > 0, "empty continuation line");
		ck_assert_msg(col + len + 1 + wlen > HDR_FOLD_COLUMNS ||
				      line[len - 1] == ',',
			      "needless break before \"%.*s\"", (int)wlen, next);
		line = next;
		col = 1;
	}
}

/* Replaces each "\n\t" by a space. */
static char *unfold(const char *s)
{
	char *u = malloc(strlen(s) + 1);
	ck_assert_ptr_nonnull(u);
	size_t o = 0;
	for (; *s; s++) {
		if (s[0] == '\n' && s[1] == '\t') {
			u[o++] = ' ';
			s++;
		} else {
			u[o++] = *s;
		}
	}
	u[o] = '\0';
	return u;
}

/* ------------------------------------------------------------ sanitize */

static const struct {
	const char *in;
	size_t len; /* 0: strlen */
	size_t outsz;
	const char *want;
} san_cases[] = {
	{ "plain", 0, 64, "plain" },
	{ "a\r\nBcc: x", 0, 64, "a Bcc: x" },
	{ "a\r\n\r\nBcc: x\r\n", 0, 64, "a Bcc: x" },
	{ "a\nSubject: x", 0, 64, "a Subject: x" },
	{ "a\rb", 0, 64, "a b" },
	{ "hello\0world", 11, 64, "hello world" },
	{ "\0\0\0", 3, 64, "" },
	{ "\t  lead  and\t\ttrail \r\n", 0, 64, "lead and trail" },
	{ "   ", 0, 64, "" },
	{ "", 0, 64, "" },
	{ "a\x01\x1f\x7f" "b", 0, 64, "a b" },
	{ "\xe6\xf8\xe5", 0, 64, "???" },                          /* Latin-1 æøå */
	{ "\xc3\xa6\xc3\xb8\xc3\xa5", 0, 64, "???" },              /* UTF-8 æøå */
	{ "bl\xc3\xa5" "b\xc3\xa6r", 0, 64, "bl?b?r" },
	{ "\xe2\x82\xac 5", 0, 64, "? 5" },                        /* € */
	{ "\xf0\x9f\x98\x80!", 0, 64, "?!" },                      /* U+1F600 */
	{ "\xe2\x82", 0, 64, "??" },                               /* cut sequence */
	{ "\xc0\xaf", 0, 64, "??" },                               /* overlong */
	{ "\xed\xa0\x80", 0, 64, "???" },                          /* surrogate */
	{ "\xf4\x90\x80\x80", 0, 64, "????" },                     /* > U+10FFFF */
	{ "\x80\xbf", 0, 64, "??" },                               /* stray continuation */
	{ "\xc3\xa6", 1, 64, "?" },                                /* len cuts the sequence */
	/* exact outsz boundaries */
	{ "abc", 0, 4, "abc" },
	{ "abc", 0, 3, "ab" },
	{ "abc", 0, 2, "a" },
	{ "abc", 0, 1, "" },
	{ "a b", 0, 4, "a b" },
	{ "a b", 0, 3, "a" },
	{ "a  \r\n b", 0, 3, "a" },
	{ "\xc3\xa6x", 0, 2, "?" },
	{ "\xc3\xa6x", 0, 3, "?x" },
	{ "  x", 0, 2, "x" },
};

START_TEST(sanitize_table)
{
	const char *in = san_cases[_i].in;
	size_t len = san_cases[_i].len ? san_cases[_i].len : strlen(in);
	size_t outsz = san_cases[_i].outsz;
	char out[80];

	memset(out, 'Z', sizeof(out));
	size_t n = hdr_sanitize(in, len, out, outsz);
	ck_assert_str_eq(out, san_cases[_i].want);
	ck_assert_uint_eq(n, strlen(san_cases[_i].want));
	for (size_t i = n + 1; i < sizeof(out); i++)
		ck_assert_int_eq(out[i], 'Z');
}
END_TEST

START_TEST(sanitize_outsz_zero)
{
	char out[4] = "ZZZ";
	ck_assert_uint_eq(hdr_sanitize("abc", 3, out, 0), 0);
	ck_assert_str_eq(out, "ZZZ");
	ck_assert_uint_eq(hdr_sanitize(NULL, 5, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "");
}
END_TEST

/* Every outsz from 1 up: never writes past it, the result is a prefix of
 * the unbounded result cut at a character, without a trailing space. */
START_TEST(sanitize_every_outsz)
{
	static const char in[] = "  Re: \xc3\xa6\xc3\xb8 bl\xe5 \r\nBcc:\tx@y  z\x01\x02 end ";
	char full[128], out[128];
	size_t flen = hdr_sanitize(in, sizeof(in) - 1, full, sizeof(full));

	ck_assert_str_eq(full, "Re: ?? bl? Bcc: x@y z end");
	for (size_t outsz = 1; outsz < flen + 4; outsz++) {
		memset(out, 'Z', sizeof(out));
		size_t n = hdr_sanitize(in, sizeof(in) - 1, out, outsz);
		ck_assert_uint_lt(n, outsz);
		ck_assert_uint_eq(strlen(out), n);
		ck_assert_int_eq(out[outsz], 'Z');
		ck_assert_int_eq(strncmp(out, full, n), 0);
		if (n > 0)
			ck_assert_int_ne(out[n - 1], ' ');
		/* Cut only where the next output character did not fit. */
		if (n < flen) {
			size_t next = full[n] == ' ' ? 2 : 1;
			ck_assert_uint_ge(n + next + 1, outsz + 1);
		}
	}
}
END_TEST

START_TEST(sanitize_large)
{
	const size_t len = 100 * 1024;
	char *in = malloc(len), *out = malloc(len + 1);
	uint32_t x = 12345;

	ck_assert_ptr_nonnull(in);
	ck_assert_ptr_nonnull(out);
	for (size_t i = 0; i < len; i++) {
		x = x * 1103515245u + 12345u;
		in[i] = (char)(x >> 16);
	}
	size_t n = hdr_sanitize(in, len, out, len + 1);
	ck_assert_uint_le(n, len);
	ck_assert_uint_eq(strlen(out), n);
	ck_assert(allowed_alphabet(out, n));
	ck_assert_ptr_null(strstr(out, "  "));
	ck_assert(n == 0 || (out[0] != ' ' && out[n - 1] != ' '));

	/* A bounded output from the same big input. */
	n = hdr_sanitize(in, len, out, 1000);
	ck_assert_uint_le(n, 999);
	ck_assert_uint_eq(strlen(out), n);

	/* 100 KB of header-injection attempts collapse to spaces. */
	for (size_t i = 0; i + 3 <= len; i += 3)
		memcpy(in + i, "a\r\n", 3);
	n = hdr_sanitize(in, len - len % 3, out, len + 1);
	ck_assert_uint_eq(n, 2 * (len / 3) - 1);
	ck_assert_ptr_null(strpbrk(out, "\r\n"));
	free(in);
	free(out);
}
END_TEST

/* ------------------------------------------------------------ fold */

#define W10 "0123456789"
#define X100 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
#define A20 "aaaaaaaaaaaaaaaaaaaa"
#define B20 "bbbbbbbbbbbbbbbbbbbb"
#define N100 "X-Nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn"

static const struct {
	const char *name, *value, *want;
} fold_cases[] = {
	{ "X-Support-Priority", "high", "high" },
	{ "X-Support-Priority", "", "" },
	{ "X-Support-Priority", NULL, "" },
	/* 8 + 10 + 5 * 11 = 73 columns fit; the seventh word does not */
	{ "X-Test", W10 " " W10 " " W10 " " W10 " " W10 " " W10 " " W10,
	  W10 " " W10 " " W10 " " W10 " " W10 " " W10 "\n\t" W10 },
	/* exactly 78 columns: no break */
	{ "X-Test", W10 " " W10 " " W10 " " W10 " " W10 " " W10 " abcd",
	  W10 " " W10 " " W10 " " W10 " " W10 " " W10 " abcd" },
	/* 79 columns: one break */
	{ "X-Test", W10 " " W10 " " W10 " " W10 " " W10 " " W10 " abcde",
	  W10 " " W10 " " W10 " " W10 " " W10 " " W10 "\n\tabcde" },
	/* a long token gets a line of its own, unbroken */
	{ "X-Test", "short " X100 " tail", "short\n\t" X100 "\n\ttail" },
	{ "X-Test", X100 " b", X100 "\n\tb" },
	{ "X-Test", X100, X100 },
	/* the first word stays after a too-long name */
	{ N100, "a b", "a\n\tb" },
	/* a break after ", " in the second half of the line is preferred */
	{ "X-Support-Category", A20 ", " B20 ", cc dd ee ff gg hh ii jj kk ll mm nn",
	  A20 ", " B20 ",\n\tcc dd ee ff gg hh ii jj kk ll mm nn" },
	/* ... but not one early in the line */
	{ "X-Support-Category", "a, " W10 " " W10 " " W10 " " W10 " " W10 " " W10,
	  "a, " W10 " " W10 " " W10 " " W10 " " W10 "\n\t" W10 },
	/* not sanitized by the caller: still safe */
	{ "X-Test", "a\r\nBcc: evil@example.com", "a Bcc: evil@example.com" },
	{ "X-Test", "  \xc3\xa6  x\t", "? x" },
};

START_TEST(fold_table)
{
	char *f = hdr_fold(fold_cases[_i].name, fold_cases[_i].value);
	ck_assert_ptr_nonnull(f);
	ck_assert_str_eq(f, fold_cases[_i].want);
	check_folded(fold_cases[_i].name, f);
	free(f);
}
END_TEST

/* Many generated values and name lengths: every line checked, unfolding
 * gives back the sanitized value, folding twice changes nothing. */
START_TEST(fold_properties)
{
	static const char *names[] = { "X", "X-Support-Triage", "X-Support-Category",
				       "X-A-Rather-Long-Header-Name-That-Eats-Half-Of-The-Line-Already" };
	uint32_t x = 99;
	char value[1200], clean[1200];

	for (int round = 0; round < 400; round++) {
		size_t len = 0, target = (size_t)round * 3 % 1100;
		while (len < target) {
			x = x * 1103515245u + 12345u;
			size_t wl = 1 + (x >> 16) % ((x >> 8) % 8 == 0 ? 90 : 12);
			for (size_t k = 0; k < wl && len < target; k++)
				value[len++] = (char)('a' + (x >> (k % 16)) % 26);
			if (len < target)
				value[len++] = ((x >> 4) % 5 == 0) ? ',' : ' ';
			if (len < target && value[len - 1] == ',')
				value[len++] = ' ';
		}
		value[len] = '\0';
		hdr_sanitize(value, len, clean, sizeof(clean));
		for (size_t k = 0; k < NELEM(names); k++) {
			char *f = hdr_fold(names[k], value);
			ck_assert_ptr_nonnull(f);
			check_folded(names[k], f);
			char *u = unfold(f);
			ck_assert_str_eq(u, clean);
			char *g = hdr_fold(names[k], f);
			ck_assert_ptr_nonnull(g);
			ck_assert_str_eq(g, f);
			free(g);
			free(u);
			free(f);
		}
	}
}
END_TEST

/* ------------------------------------------------------------ names */

static const struct {
	const char *name;
	bool valid;
} name_cases[] = {
	{ "X-Support-Priority", true },
	{ "a", true },
	{ "!#$%&'*+-/=?^_`{|}~", true },
	{ "X-\x7e", true },
	{ "", false },
	{ NULL, false },
	{ "X Support", false },
	{ "X:Y", false },
	{ "X-Support:", false },
	{ "X\tY", false },
	{ "X\r\nY", false },
	{ "X\x7f", false },
	{ "\xc3\x9c" "ber", false },
};

START_TEST(name_table)
{
	ck_assert_int_eq(hdr_is_valid_name(name_cases[_i].name), name_cases[_i].valid);
}
END_TEST

START_TEST(name_length)
{
	char name[1000];
	memset(name, 'x', sizeof(name));
	name[997] = '\0';
	ck_assert(hdr_is_valid_name(name));
	name[997] = 'x';
	name[998] = '\0';
	ck_assert(!hdr_is_valid_name(name));
}
END_TEST

static const struct {
	const char *name, *prefix;
	bool has;
} prefix_cases[] = {
	{ "X-Support-Priority", "X-Support-", true },
	{ "x-support-priority", "X-SUPPORT-", true },
	{ "X-SUPPORT-Scope", "x-support-", true },
	{ "X-Support-", "X-Support-", true },
	{ "X-Support", "X-Support-", false },
	{ "X-Supporter", "X-Support-", false },
	{ "Subject", "X-Support-", false },
	{ "", "X-Support-", false },
	{ "anything", "", true },
	{ NULL, "X-Support-", false },
	{ "X-Support-Priority", NULL, false },
};

START_TEST(prefix_table)
{
	ck_assert_int_eq(hdr_has_prefix(prefix_cases[_i].name, prefix_cases[_i].prefix),
			 prefix_cases[_i].has);
}
END_TEST

/* ------------------------------------------------------------ tracker */

static void expect_removals(const struct hdr_tracker *t, const char *const *names,
			    const int *idx, size_t n)
{
	struct hdr_removal r;

	ck_assert_uint_eq(hdr_tracker_count(t), n);
	for (size_t i = 0; i < n; i++) {
		ck_assert(hdr_tracker_removal(t, i, &r));
		ck_assert_str_eq(r.name, names[i]);
		ck_assert_int_eq(r.index, idx[i]);
	}
	ck_assert(!hdr_tracker_removal(t, n, &r));
}

START_TEST(tracker_forged_priority)
{
	static const char *const seen[] = {
		"Received", "X-Support-Priority", "Subject", "From",
		"x-support-priority", "To", "X-Support", "X-Support-Priority", "Date",
	};
	static const char *const names[] = { "X-Support-Priority", "X-Support-Priority",
					     "X-Support-Priority" };
	static const int idx[] = { 3, 2, 1 };
	struct hdr_tracker *t = hdr_tracker_new("X-Support-");

	ck_assert_ptr_nonnull(t);
	for (size_t i = 0; i < NELEM(seen); i++)
		hdr_tracker_see(t, seen[i]);
	expect_removals(t, names, idx, 3);
	ck_assert(!hdr_tracker_truncated(t));
	hdr_tracker_free(t);
}
END_TEST

START_TEST(tracker_several_names)
{
	static const char *const seen[] = {
		"x-support-scope", "X-Support-Priority", "Subject", "X-SUPPORT-SCOPE",
		"X-Support-Triage", "x-support-PRIORITY", "X-Other", "X-Support-Scope",
	};
	static const char *const names[] = {
		"x-support-scope", "x-support-scope", "x-support-scope",
		"X-Support-Priority", "X-Support-Priority", "X-Support-Triage",
	};
	static const int idx[] = { 3, 2, 1, 2, 1, 1 };
	struct hdr_tracker *t = hdr_tracker_new("X-Support-");

	for (size_t i = 0; i < NELEM(seen); i++)
		hdr_tracker_see(t, seen[i]);
	expect_removals(t, names, idx, NELEM(idx));

	/* reset: the next message starts from nothing */
	hdr_tracker_reset(t);
	ck_assert_uint_eq(hdr_tracker_count(t), 0);
	hdr_tracker_see(t, "X-Support-Load");
	expect_removals(t, (const char *const[]){ "X-Support-Load" }, (const int[]){ 1 }, 1);
	hdr_tracker_free(t);
}
END_TEST

START_TEST(tracker_none)
{
	struct hdr_tracker *t = hdr_tracker_new("X-Support-");
	struct hdr_removal r;

	hdr_tracker_see(t, "Subject");
	hdr_tracker_see(t, "X-Supported");
	hdr_tracker_see(t, NULL);
	ck_assert_uint_eq(hdr_tracker_count(t), 0);
	ck_assert(!hdr_tracker_removal(t, 0, &r));
	ck_assert(!hdr_tracker_truncated(t));
	hdr_tracker_free(t);

	/* NULL tracker: harmless */
	hdr_tracker_free(NULL);
	hdr_tracker_reset(NULL);
	hdr_tracker_see(NULL, "X-Support-Priority");
	ck_assert_uint_eq(hdr_tracker_count(NULL), 0);
	ck_assert(!hdr_tracker_removal(NULL, 0, &r));
}
END_TEST

START_TEST(tracker_prefix)
{
	char prefix[] = "X-Custom-";
	struct hdr_tracker *t = hdr_tracker_new(prefix);

	memcpy(prefix, "Zzzzzzzz", 8); /* the tracker keeps its own copy */
	hdr_tracker_see(t, "x-custom-flag");
	hdr_tracker_see(t, "X-Support-Priority");
	hdr_tracker_see(t, "Zzzzzzzz-flag");
	expect_removals(t, (const char *const[]){ "x-custom-flag" }, (const int[]){ 1 }, 1);
	hdr_tracker_free(t);

	ck_assert_ptr_null(hdr_tracker_new(""));
	ck_assert_ptr_null(hdr_tracker_new(NULL));
	ck_assert_ptr_null(hdr_tracker_new("X Support-"));
	ck_assert_ptr_null(hdr_tracker_new("X-Support:"));
}
END_TEST

/* More occurrences than can be listed: the listed ones start at the true
 * top index, and the caller is told. */
START_TEST(tracker_limit_occurrences)
{
	struct hdr_tracker *t = hdr_tracker_new("X-Support-");
	struct hdr_removal r;

	for (int i = 0; i < 1500; i++)
		hdr_tracker_see(t, (i % 2) ? "X-Support-Priority" : "x-support-priority");
	ck_assert_uint_eq(hdr_tracker_count(t), HDR_TRACKER_MAX_REMOVALS);
	ck_assert(hdr_tracker_truncated(t));
	ck_assert(hdr_tracker_removal(t, 0, &r));
	ck_assert_str_eq(r.name, "x-support-priority");
	ck_assert_int_eq(r.index, 1500);
	ck_assert(hdr_tracker_removal(t, HDR_TRACKER_MAX_REMOVALS - 1, &r));
	ck_assert_int_eq(r.index, 1500 - HDR_TRACKER_MAX_REMOVALS + 1);
	ck_assert(!hdr_tracker_removal(t, HDR_TRACKER_MAX_REMOVALS, &r));
	hdr_tracker_free(t);
}
END_TEST

START_TEST(tracker_limit_names)
{
	struct hdr_tracker *t = hdr_tracker_new("X-Support-");
	struct hdr_removal r;
	char name[32];

	for (int i = 0; i < HDR_TRACKER_MAX_NAMES; i++) {
		snprintf(name, sizeof(name), "X-Support-%d", i);
		hdr_tracker_see(t, name);
	}
	ck_assert(!hdr_tracker_truncated(t));
	hdr_tracker_see(t, "X-Support-One-Too-Many");
	ck_assert(hdr_tracker_truncated(t));
	/* a tracked name is still counted */
	hdr_tracker_see(t, "x-support-0");
	ck_assert_uint_eq(hdr_tracker_count(t), HDR_TRACKER_MAX_REMOVALS);
	ck_assert(hdr_tracker_removal(t, 0, &r));
	ck_assert_str_eq(r.name, "X-Support-0");
	ck_assert_int_eq(r.index, 2);
	hdr_tracker_free(t);
}
END_TEST

START_TEST(tracker_limit_name_bytes)
{
	struct hdr_tracker *t = hdr_tracker_new("X-Support-");
	char name[1001];
	size_t fit = HDR_TRACKER_MAX_NAME_BYTES / 1000;

	memset(name, 'n', 1000);
	name[1000] = '\0';
	memcpy(name, "X-Support-", 10);
	for (size_t i = 0; i <= fit; i++) {
		snprintf(name + 10, 8, "%05zu", i);
		name[15] = 'n';
		hdr_tracker_see(t, name);
		ck_assert_int_eq(hdr_tracker_truncated(t), i == fit);
	}
	ck_assert_uint_eq(hdr_tracker_count(t), fit);
	hdr_tracker_free(t);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("hdr");
	TCase *tc;

	tc = tcase_create("sanitize");
	tcase_add_loop_test(tc, sanitize_table, 0, NELEM(san_cases));
	tcase_add_test(tc, sanitize_outsz_zero);
	tcase_add_test(tc, sanitize_every_outsz);
	tcase_add_test(tc, sanitize_large);
	suite_add_tcase(s, tc);

	tc = tcase_create("fold");
	tcase_add_loop_test(tc, fold_table, 0, NELEM(fold_cases));
	tcase_add_test(tc, fold_properties);
	suite_add_tcase(s, tc);

	tc = tcase_create("names");
	tcase_add_loop_test(tc, name_table, 0, NELEM(name_cases));
	tcase_add_test(tc, name_length);
	tcase_add_loop_test(tc, prefix_table, 0, NELEM(prefix_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("tracker");
	tcase_add_test(tc, tracker_forged_priority);
	tcase_add_test(tc, tracker_several_names);
	tcase_add_test(tc, tracker_none);
	tcase_add_test(tc, tracker_prefix);
	tcase_add_test(tc, tracker_limit_occurrences);
	tcase_add_test(tc, tracker_limit_names);
	tcase_add_test(tc, tracker_limit_name_bytes);
	suite_add_tcase(s, tc);
	return s;
}

#include "check_main.h"
