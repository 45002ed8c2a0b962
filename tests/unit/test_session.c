/*
 * Unit tests: session — the path the milter and the offline mode share:
 * recipient matching, removal of forged prefixed headers, our headers
 * (names, values, folding), hours at a given time, and independence of
 * the body chunking; the snapshot's settings for the counters.
 */
#include "autoconfig.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "buf.h"
#include "counters.h"
#include "diag.h"
#include "hdr.h"
#include "log.h"
#include "magic.h"
#include "offline.h"
#include "session.h"
#include "snapshot.h"

static struct snapshot *snap;
static char conf_path[] = "/tmp/test-session-XXXXXX";

static void setup(void)
{
	int fd = mkstemp(conf_path);
	ck_assert_int_ge(fd, 0);
	FILE *fp = fdopen(fd, "w");
	fprintf(fp, "SupportAddress support@timemap.dk\nSupportAddress hjaelp@example.dk\n"
	            "RulesDir %s/rules\nLogLevel err\n", TOP_SRCDIR);
	fclose(fp);
	struct diag d;
	diag_to_stream(&d, stderr);
	snap = snapshot_load(conf_path, false, &d);
	ck_assert_ptr_nonnull(snap);
	log_set_level(LOG_LEVEL_ERR);
}

static void teardown(void)
{
	snapshot_release(snap);
	unlink(conf_path);
	strcpy(conf_path, "/tmp/test-session-XXXXXX");
	magic_shutdown();
}

static const char *const headers[][2] = {
	{ "From", "Hanne Holm <hanne@example.dk>" },
	{ "X-Support-Priority", "high" },
	{ "To", "support@timemap.dk" },
	{ "x-support-priority", "high" },
	{ "Subject", "Vagtplan viser forkert antal timer" },
	{ "X-SUPPORT-Priority", "low" },
	{ "X-Support-Load", "999" },
	{ "Content-Type", "text/plain; charset=utf-8" },
};

static const char body[] =
	"Hej\r\n\r\nI vagtplanen for uge 48 viser den samlede sum 37 timer for Ole Berg\r\n"
	"(medarb.nr. 1042), men han har kun 30 timers vagter.\r\n\r\n"
	"Jeg er logget ind som hanne.h\r\n";

/* 2026-11-23 09:30 CET, a Monday: open and peak. */
#define MONDAY_0930 ((time_t)1795422600)

static struct session *run_session(const char *rcpt, size_t chunk, time_t when)
{
	struct session *s = session_new(snap);
	ck_assert_ptr_nonnull(s);
	session_set_qid(s, "TESTQID1");
	session_set_time(s, when);
	session_set_sender(s, "<hanne@example.dk>");
	session_add_rcpt(s, rcpt);
	for (size_t i = 0; i < sizeof(headers) / sizeof(headers[0]); i++)
		session_header(s, headers[i][0], headers[i][1]);
	session_end_headers(s);
	size_t n = sizeof(body) - 1;
	for (size_t off = 0; off < n; off += chunk)
		session_body(s, (const unsigned char *)body + off, n - off < chunk ? n - off : chunk);
	session_finish(s);
	return s;
}

static const char *added(const struct session *s, const char *want)
{
	const char *name, *value;
	for (size_t i = 0; session_add(s, i, &name, &value); i++)
		if (strcmp(name, want) == 0)
			return value;
	return NULL;
}

START_TEST(test_not_support)
{
	struct session *s = run_session("<someone@example.com>", 65536, MONDAY_0930);
	ck_assert(!session_is_support(s));
	ck_assert_uint_eq(session_removal_count(s), 0);
	ck_assert_uint_eq(session_add_count(s), 0);
	ck_assert_ptr_null(session_facts(s));
	session_free(s);
}
END_TEST

START_TEST(test_support_detail_and_case)
{
	struct session *s = run_session("<Support+Urgent@TimeMap.DK>", 65536, MONDAY_0930);
	ck_assert(session_is_support(s));
	ck_assert(!session_failed(s));
	session_free(s);
	s = run_session("<hjaelp@example.dk>", 65536, MONDAY_0930);
	ck_assert(session_is_support(s));
	session_free(s);
	s = run_session("<support@timemap.dk.evil.example>", 65536, MONDAY_0930);
	ck_assert(!session_is_support(s));
	session_free(s);
}
END_TEST

START_TEST(test_forged_removed_in_reverse)
{
	struct session *s = run_session("<support@timemap.dk>", 65536, MONDAY_0930);
	ck_assert_uint_eq(session_removal_count(s), 4);
	struct hdr_removal rm[4];
	for (size_t i = 0; i < 4; i++)
		ck_assert(session_removal(s, i, &rm[i]));
	/* Every copy of X-Support-Priority, whatever its case, top index first. */
	int prio_seen = 0, last_index = 4;
	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(rm[i].name, "X-Support-Priority") == 0) {
			ck_assert_int_lt(rm[i].index, last_index);
			last_index = rm[i].index;
			prio_seen++;
		} else {
			ck_assert_str_eq(rm[i].name, "X-Support-Load");
			ck_assert_int_eq(rm[i].index, 1);
		}
	}
	ck_assert_int_eq(prio_seen, 3);
	ck_assert_int_eq(last_index, 1);
	session_free(s);
}
END_TEST

START_TEST(test_our_headers)
{
	struct session *s = run_session("<support@timemap.dk>", 65536, MONDAY_0930);
	ck_assert_str_eq(added(s, "X-Support-Hours"), "open");
	ck_assert_str_eq(added(s, "X-Support-Peak"), "yes");
	ck_assert_str_eq(added(s, "X-Support-Screenshot"), "no");
	ck_assert_str_eq(added(s, "X-Support-Priority"), "normal");
	ck_assert_str_eq(added(s, "X-Support-Scope"), "in-scope");
	ck_assert_ptr_nonnull(strstr(added(s, "X-Support-Missing"), "screenshot"));
	const char *triage = added(s, "X-Support-Triage");
	ck_assert_ptr_nonnull(triage);
	ck_assert_ptr_nonnull(strstr(triage, "support-milter/" PACKAGE_VERSION));
	ck_assert_ptr_nonnull(strstr(triage, "queue-id=TESTQID1"));
	/* The forged values never come back, and no Load header without Redis. */
	ck_assert_ptr_null(added(s, "X-Support-Load"));
	/* Every physical line of every header fits in 78 columns; only
	 * printable ASCII, and continuations start with a tab. */
	const char *name, *value;
	for (size_t i = 0; session_add(s, i, &name, &value); i++) {
		size_t col = strlen(name) + 2;
		for (const char *p = value; *p != '\0'; p++) {
			if (*p == '\n') {
				ck_assert_int_eq(p[1], '\t');
				ck_assert_uint_le(col, 78);
				col = 0;
				continue;
			}
			ck_assert(*p == '\t' || (*p >= 0x20 && *p < 0x7f));
			col++;
		}
		ck_assert_uint_le(col, 78);
	}
	session_free(s);
}
END_TEST

START_TEST(test_hours_at_times)
{
	/* Saturday 2026-11-28 10:00 CET: closed, not peak. */
	struct session *s = run_session("<support@timemap.dk>", 65536, (time_t)1795856400);
	ck_assert_str_eq(added(s, "X-Support-Hours"), "closed");
	ck_assert_str_eq(added(s, "X-Support-Peak"), "no");
	session_free(s);
	/* Wednesday 2026-11-25 14:59:59 CET open, not peak; 15:00:00 closed. */
	s = run_session("<support@timemap.dk>", 65536, (time_t)1795615199);
	ck_assert_str_eq(added(s, "X-Support-Hours"), "open");
	ck_assert_str_eq(added(s, "X-Support-Peak"), "no");
	session_free(s);
	s = run_session("<support@timemap.dk>", 65536, (time_t)1795615200);
	ck_assert_str_eq(added(s, "X-Support-Hours"), "closed");
	session_free(s);
}
END_TEST

START_TEST(test_chunking_independent)
{
	static const size_t sizes[] = { 1, 2, 7, 64, 4096, 65535 };
	struct buf ref;
	buf_init(&ref, 1 << 20);
	struct session *s = run_session("<support@timemap.dk>", 1 << 20, MONDAY_0930);
	session_report(s, "x", &ref);
	session_free(s);
	ck_assert_ptr_nonnull(strstr(buf_cstr(&ref), "\"hours\": \"open\""));
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct buf got;
		buf_init(&got, 1 << 20);
		s = run_session("<support@timemap.dk>", sizes[i], MONDAY_0930);
		session_report(s, "x", &got);
		session_free(s);
		ck_assert_msg(strcmp(buf_cstr(&ref), buf_cstr(&got)) == 0, "chunk %zu:\n%s\n%s", sizes[i],
		              buf_cstr(&ref), buf_cstr(&got));
		buf_free(&got);
	}
	buf_free(&ref);
}
END_TEST

START_TEST(test_snapshot_pinning)
{
	/* A session keeps the snapshot it started with after a new one is
	 * installed and the old one is dropped by everyone else. */
	snapshot_ref(snap);
	snapshot_install(snap);
	struct snapshot *pinned = snapshot_acquire();
	struct session *s = session_new(pinned);
	snapshot_release(pinned);
	struct diag d;
	diag_to_stream(&d, stderr);
	struct snapshot *next = snapshot_load(conf_path, false, &d);
	ck_assert_ptr_nonnull(next);
	snapshot_install(next);
	ck_assert_ptr_eq(session_snapshot(s), snap);
	session_set_time(s, MONDAY_0930);
	session_add_rcpt(s, "support@timemap.dk");
	session_header(s, "Subject", "Fravær");
	session_end_headers(s);
	session_finish(s);
	ck_assert_str_eq(added(s, "X-Support-Hours"), "open");
	session_free(s);
	struct snapshot *cur = snapshot_acquire();
	ck_assert_ptr_eq(cur, next);
	ck_assert_uint_gt(cur->generation, 1);
	snapshot_release(cur);
	snapshot_shutdown();
}
END_TEST

START_TEST(test_counter_options)
{
	/* Every Redis* key reaches the counters, each in its own field. */
	char path[] = "/tmp/test-session-redis-XXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	FILE *fp = fdopen(fd, "w");
	fprintf(fp, "SupportAddress support@timemap.dk\nRulesDir %s/rules\nLogLevel err\n"
	            "RedisServer 127.0.0.1:6390\nRedisPassword s3cret\nRedisDatabase 3\n"
	            "RedisTimeout 17\nRedisIOTimeout 1234\nRedisKeyPrefix tm:\n"
	            "RedisHourTTL 2d\nRedisWeekHourTTL 3d\nRedisDayTTL 5d\n"
	            "RedisQueueSize 77\nRedisBacklog 999\n", TOP_SRCDIR);
	fclose(fp);
	struct diag d;
	diag_to_stream(&d, stderr);
	struct snapshot *r = snapshot_load(path, false, &d);
	unlink(path);
	ck_assert_ptr_nonnull(r);
	struct ctr_options o;
	snapshot_counter_options(r, &o);
	ck_assert_str_eq(o.server, "127.0.0.1:6390");
	ck_assert_str_eq(o.password, "s3cret");
	ck_assert_int_eq(o.database, 3);
	ck_assert_int_eq(o.timeout_ms, 17);
	ck_assert_int_eq(o.io_timeout_ms, 1234);
	ck_assert_str_eq(o.key_prefix, "tm:");
	ck_assert_int_eq(o.ttl[CTR_FAM_HOUR], 2 * 86400);
	ck_assert_int_eq(o.ttl[CTR_FAM_WEEK_HOUR], 3 * 86400);
	ck_assert_int_eq(o.ttl[CTR_FAM_DAY], 5 * 86400);
	ck_assert_int_eq(o.queue_size, 77);
	ck_assert_int_eq(o.backlog_size, 999);
	snapshot_release(r);
	/* The defaults: no server, the documented timeouts. */
	snapshot_counter_options(snap, &o);
	ck_assert(o.server == NULL || o.server[0] == '\0');
	ck_assert_int_eq(o.timeout_ms, CTR_DEFAULT_TIMEOUT_MS);
	ck_assert_int_eq(o.io_timeout_ms, CTR_DEFAULT_IO_TIMEOUT_MS);
	ck_assert_int_eq(o.ttl[CTR_FAM_HOUR], CTR_DEFAULT_TTL_HOUR);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("session");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_not_support);
	tcase_add_test(tc, test_support_detail_and_case);
	tcase_add_test(tc, test_forged_removed_in_reverse);
	tcase_add_test(tc, test_our_headers);
	tcase_add_test(tc, test_hours_at_times);
	tcase_add_test(tc, test_chunking_independent);
	tcase_add_test(tc, test_snapshot_pinning);
	tcase_add_test(tc, test_counter_options);
	suite_add_tcase(s, tc);
	return s;
}

#include "check_main.h"
