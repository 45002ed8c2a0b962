/*
 * test_ratelimit: the auto-reply limits without Redis — one reply per
 * sender per period in the in-process table (expiry, bounded size with
 * the oldest forgotten first, release), the global breaker (N per 10
 * minutes, sliding), and the fall-back when the configured Redis cannot
 * be reached.  The Redis path itself is in test_ratelimit_redis.
 */
#include "autoconfig.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ratelimit.h"

#define T0 ((time_t)1800000000)

static struct ratelimit *mk(long period, long breaker, long senders)
{
	struct ratelimit_options o = { .period = period, .max_per_10min = breaker, .senders = senders };
	struct ratelimit *rl = ratelimit_new(&o);
	ck_assert_ptr_nonnull(rl);
	return rl;
}

START_TEST(same_sender_twice)
{
	struct ratelimit *rl = mk(86400, 0, 1000);
	ck_assert_int_eq(ratelimit_check(rl, "a@x.dk", T0), RATELIMIT_OK);
	ck_assert(!ratelimit_used_redis(rl));
	ck_assert_int_eq(ratelimit_check(rl, "a@x.dk", T0 + 1), RATELIMIT_SENDER);
	ck_assert_int_eq(ratelimit_check(rl, "b@x.dk", T0 + 1), RATELIMIT_OK);
	ck_assert_int_eq(ratelimit_check(rl, "a@x.dk", T0 + 86399), RATELIMIT_SENDER);
	/* the period is over */
	ck_assert_int_eq(ratelimit_check(rl, "a@x.dk", T0 + 86400), RATELIMIT_OK);
	ck_assert_int_eq(ratelimit_check(rl, "a@x.dk", T0 + 86401), RATELIMIT_SENDER);
	ratelimit_free(rl);
}
END_TEST

START_TEST(release)
{
	struct ratelimit *rl = mk(3600, 0, 10);
	ck_assert_int_eq(ratelimit_check(rl, "a@x.dk", T0), RATELIMIT_OK);
	ratelimit_release(rl, "a@x.dk");
	ck_assert_int_eq(ratelimit_check(rl, "a@x.dk", T0 + 1), RATELIMIT_OK);
	ck_assert_int_eq(ratelimit_check(rl, "a@x.dk", T0 + 2), RATELIMIT_SENDER);
	ratelimit_release(rl, "never@x.dk");  /* unknown: harmless */
	ratelimit_free(rl);
}
END_TEST

/* A full table forgets its oldest sender first, and only that one. */
START_TEST(table_bounded)
{
	enum { CAP = 100 };
	struct ratelimit *rl = mk(86400, 0, CAP);
	char k[64];
	for (int i = 0; i < CAP; i++) {
		snprintf(k, sizeof(k), "s%d@x.dk", i);
		ck_assert_int_eq(ratelimit_check(rl, k, T0 + i), RATELIMIT_OK);
	}
	for (int i = 0; i < CAP; i++) {
		snprintf(k, sizeof(k), "s%d@x.dk", i);
		ck_assert_int_eq(ratelimit_check(rl, k, T0 + CAP), RATELIMIT_SENDER);
	}
	ck_assert_int_eq(ratelimit_check(rl, "new@x.dk", T0 + CAP), RATELIMIT_OK);
	ck_assert_int_eq(ratelimit_check(rl, "s0@x.dk", T0 + CAP), RATELIMIT_OK);  /* forgotten */
	ck_assert_int_eq(ratelimit_check(rl, "s2@x.dk", T0 + CAP), RATELIMIT_SENDER);
	/* many more than fit: still bounded, still answers for the newest */
	for (int i = 0; i < 100000; i++) {
		snprintf(k, sizeof(k), "flood%d@x.dk", i);
		ratelimit_check(rl, k, T0 + CAP);
	}
	ck_assert_int_eq(ratelimit_check(rl, "flood99999@x.dk", T0 + CAP), RATELIMIT_SENDER);
	ck_assert_int_eq(ratelimit_check(rl, "flood0@x.dk", T0 + CAP), RATELIMIT_OK);
	ratelimit_free(rl);
}
END_TEST

START_TEST(breaker)
{
	struct ratelimit *rl = mk(86400, 3, 1000);
	ck_assert_int_eq(ratelimit_check(rl, "a@x.dk", T0), RATELIMIT_OK);
	ck_assert_int_eq(ratelimit_check(rl, "b@x.dk", T0 + 100), RATELIMIT_OK);
	ck_assert_int_eq(ratelimit_check(rl, "c@x.dk", T0 + 200), RATELIMIT_OK);
	ck_assert_int_eq(ratelimit_check(rl, "d@x.dk", T0 + 300), RATELIMIT_BREAKER);
	ck_assert_int_eq(ratelimit_check(rl, "a@x.dk", T0 + 300), RATELIMIT_BREAKER);
	/* sliding: a's send leaves the window at T0 + 600 */
	ck_assert_int_eq(ratelimit_check(rl, "d@x.dk", T0 + 599), RATELIMIT_BREAKER);
	ck_assert_int_eq(ratelimit_check(rl, "d@x.dk", T0 + 600), RATELIMIT_OK);
	ck_assert_int_eq(ratelimit_check(rl, "e@x.dk", T0 + 650), RATELIMIT_BREAKER);
	/* the breaker does not use up a sender's reply */
	ck_assert_int_eq(ratelimit_check(rl, "e@x.dk", T0 + 700), RATELIMIT_OK);
	ck_assert_int_eq(ratelimit_check(rl, "e@x.dk", T0 + 5000), RATELIMIT_SENDER);
	ratelimit_free(rl);
}
END_TEST

START_TEST(no_breaker)
{
	struct ratelimit *rl = mk(86400, 0, 5000);
	char k[64];
	for (int i = 0; i < 2000; i++) {
		snprintf(k, sizeof(k), "s%d@x.dk", i);
		ck_assert_int_eq(ratelimit_check(rl, k, T0), RATELIMIT_OK);
	}
	ratelimit_free(rl);
}
END_TEST

/* Redis configured but not there: the table decides, quickly. */
START_TEST(redis_unreachable)
{
	struct ratelimit_options o = { .period = 600, .senders = 100, .redis_server = "127.0.0.1:1",
	                               .redis_timeout_ms = 100, .redis_key_prefix = "t:" };
	struct ratelimit *rl = ratelimit_new(&o);
	ck_assert_ptr_nonnull(rl);
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	ck_assert_int_eq(ratelimit_check(rl, "a@x.dk", T0), RATELIMIT_OK);
	ck_assert(!ratelimit_used_redis(rl));
	ck_assert_int_eq(ratelimit_check(rl, "a@x.dk", T0 + 1), RATELIMIT_SENDER);
	ck_assert_int_eq(ratelimit_check(rl, "b@x.dk", T0 + 2), RATELIMIT_OK);
	clock_gettime(CLOCK_MONOTONIC, &b);
	double ms = (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6;
	ck_assert_msg(ms < 1000, "fallback took %.0f ms", ms);
	ratelimit_free(rl);
}
END_TEST

static const char *const bad_servers[] = { "[::1", "[::1]x", "host:0", "host:99999", "host:12ab", "::1:6379", "bad host", "rel/sock" };

START_TEST(bad_server)
{
	struct ratelimit_options o = { .period = 600, .senders = 100, .redis_server = bad_servers[_i] };
	ck_assert_ptr_null(ratelimit_new(&o));
}
END_TEST

START_TEST(names)
{
	ck_assert_str_eq(ratelimit_result_name(RATELIMIT_OK), "ok");
	ck_assert_str_eq(ratelimit_result_name(RATELIMIT_SENDER), "sender-limit");
	ck_assert_str_eq(ratelimit_result_name(RATELIMIT_BREAKER), "breaker");
	ratelimit_free(NULL);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("ratelimit");
	TCase *tc = tcase_create("memory");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, same_sender_twice);
	tcase_add_test(tc, release);
	tcase_add_test(tc, table_bounded);
	tcase_add_test(tc, breaker);
	tcase_add_test(tc, no_breaker);
	tcase_add_test(tc, redis_unreachable);
	tcase_add_loop_test(tc, bad_server, 0, sizeof(bad_servers) / sizeof(bad_servers[0]));
	tcase_add_test(tc, names);
	suite_add_tcase(s, tc);
	return s;
}

#include "check_main.h"
