/* Unit tests: buf (bounded growable buffer) and json (string escaping). */
#include "autoconfig.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "json.h"

START_TEST(test_append_within_max)
{
	struct buf b;
	buf_init(&b, 16);
	ck_assert_int_eq(buf_append(&b, "hello", 5), 0);
	ck_assert_int_eq(buf_putc(&b, ' '), 0);
	ck_assert_int_eq(buf_printf(&b, "%d", 42), 0);
	ck_assert_str_eq(buf_cstr(&b), "hello 42");
	ck_assert_uint_eq(b.len, 8);
	ck_assert(!b.truncated);
	buf_free(&b);
}
END_TEST

START_TEST(test_append_cut_at_max)
{
	struct buf b;
	buf_init(&b, 10);
	ck_assert_int_eq(buf_append(&b, "0123456789abcdef", 16), -1);
	ck_assert(b.truncated);
	ck_assert_uint_eq(b.len, 10);
	ck_assert_str_eq(buf_cstr(&b), "0123456789");
	ck_assert_uint_le(b.cap, 11);
	ck_assert_int_eq(buf_putc(&b, 'x'), -1);
	ck_assert_uint_eq(b.len, 10);
	buf_free(&b);
}
END_TEST

START_TEST(test_printf_long)
{
	struct buf b;
	buf_init(&b, 100000);
	char big[5000];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ck_assert_int_eq(buf_printf(&b, "<%s>", big), 0);
	ck_assert_uint_eq(b.len, sizeof(big) + 1);
	buf_free(&b);
}
END_TEST

START_TEST(test_reset_steal_empty)
{
	struct buf b;
	buf_init(&b, 8);
	ck_assert_str_eq(buf_cstr(&b), "");
	buf_append(&b, "abc", 3);
	buf_reset(&b);
	ck_assert_str_eq(buf_cstr(&b), "");
	buf_append(&b, "xyz", 3);
	char *p = buf_steal(&b);
	ck_assert_str_eq(p, "xyz");
	ck_assert_uint_eq(b.len, 0);
	free(p);
	p = buf_steal(&b);
	ck_assert_str_eq(p, "");
	free(p);
	buf_free(&b);
}
END_TEST

static const struct {
	const char *in;
	size_t len;
	const char *out;
} json_cases[] = {
	{ "plain", 5, "\"plain\"" },
	{ "q\"b\\", 4, "\"q\\\"b\\\\\"" },
	{ "a\nb\tc\r", 6, "\"a\\nb\\tc\\r\"" },
	{ "\x01\x7f", 2, "\"\\u0001\\u007f\"" },
	{ "fravær", 7, "\"fravær\"" },
	{ "bad \xe6 latin1", 12, "\"bad \\ufffd latin1\"" },
	{ "cut \xc3", 5, "\"cut \\ufffd\"" },
	{ "overlong \xc0\xaf", 11, "\"overlong \\ufffd\\ufffd\"" },
	{ "surrogate \xed\xa0\x80", 13, "\"surrogate \\ufffd\\ufffd\\ufffd\"" },
	{ "nul\0x", 5, "\"nul\\u0000x\"" },
};

START_TEST(test_json_escape)
{
	struct buf b;
	buf_init(&b, 1024);
	json_string(&b, json_cases[_i].in, json_cases[_i].len);
	ck_assert_str_eq(buf_cstr(&b), json_cases[_i].out);
	buf_free(&b);
}
END_TEST

START_TEST(test_json_key)
{
	struct buf b;
	buf_init(&b, 1024);
	bool first = true;
	buf_putc(&b, '{');
	json_key(&b, &first, "a");
	buf_append(&b, "1", 1);
	json_key(&b, &first, "b");
	buf_append(&b, "2", 1);
	buf_putc(&b, '}');
	ck_assert_str_eq(buf_cstr(&b), "{\"a\": 1, \"b\": 2}");
	buf_free(&b);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("buf");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_append_within_max);
	tcase_add_test(tc, test_append_cut_at_max);
	tcase_add_test(tc, test_printf_long);
	tcase_add_test(tc, test_reset_steal_empty);
	tcase_add_loop_test(tc, test_json_escape, 0, sizeof(json_cases) / sizeof(json_cases[0]));
	tcase_add_test(tc, test_json_key);
	suite_add_tcase(s, tc);
	return s;
}

#include "check_main.h"
