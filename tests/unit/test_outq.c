/*
 * test_outq: the reply queue and its sender thread, with SendmailCommand
 * pointing at small scripts in tests/data/reply/ — capture.sh records
 * argv and stdin, hang.sh sleeps 60 s, hang-ignore-term.sh also ignores
 * SIGTERM, tempfail.sh exits 75, noread.sh exits without reading, slow.sh
 * takes a second.  Checks: argv exactly as built (no shell, "<>" kept,
 * "--" before the recipient), the message byte-exact on stdin, submit
 * returning at once (the time is printed, not asserted), the watchdog
 * (SIGTERM, then SIGKILL) and its log line, exit 75 logged, a full queue
 * dropping and logging, the sender limit applied in the thread, stop
 * draining, reconfigure, and the splitter.
 *
 * Log lines go to stderr (the logger's foreground mode); each test sends
 * fd 2 to a file and reads it back.
 */
#include "autoconfig.h"

#include <check.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "autoreply.h"
#include "outq.h"

#define DATA TEST_DATA_DIR "/reply"
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static char capdir[64];
static char logpath[96];
static int saved_stderr = -1;

static void capture_setup(void)
{
	strcpy(capdir, "/tmp/test_outq.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(capdir));
	setenv("REPLY_CAPTURE_DIR", capdir, 1);
	snprintf(logpath, sizeof(logpath), "%s/log", capdir);
	fflush(stderr);
	saved_stderr = dup(2);
	int fd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	dup2(fd, 2);
	close(fd);
}

static void capture_teardown(void)
{
	char cmd[200];
	fflush(stderr);
	if (saved_stderr >= 0) {
		dup2(saved_stderr, 2);
		close(saved_stderr);
		saved_stderr = -1;
	}
	/* show the log lines in the test output, then clean up */
	snprintf(cmd, sizeof(cmd), "sed 's/^/  log: /' %s; rm -rf %s", logpath, capdir);
	if (system(cmd) != 0)
		fprintf(stderr, "cleanup failed\n");
}

static char *slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "r");
	if (fp == NULL)
		return NULL;
	char *data = malloc(1 << 20);
	size_t n = fread(data, 1, (1 << 20) - 1, fp);
	fclose(fp);
	data[n] = '\0';
	if (len != NULL)
		*len = n;
	return data;
}

static bool log_has(const char *needle)
{
	fflush(stderr);
	char *log = slurp(logpath, NULL);
	bool found = log != NULL && strstr(log, needle) != NULL;
	free(log);
	return found;
}

static void options(struct autoreply_options *o, const char *command)
{
	autoreply_options_init(o);
	o->enabled = true;
	o->sendmail_command = command;
	o->timeout = 1;
	o->queue_size = 10;
	o->max_per_10min = 0;
}

/* Waits until done(stats) or seconds pass. */
static bool wait_for(bool (*done)(const struct outq_stats *, unsigned long), unsigned long want, int seconds)
{
	for (int i = 0; i < seconds * 100; i++) {
		struct outq_stats st;
		outq_get_stats(&st);
		if (done(&st, want))
			return true;
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	return false;
}

static bool finished(const struct outq_stats *st, unsigned long want)
{
	return st->sent + st->failed + st->rate_limited + st->breaker >= want;
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static const char MSG[] = "From: support@timemap.dk\nTo: a@x.dk\nSubject: Re: x\n\nbody =3D ok\n.\n";

START_TEST(argv_and_stdin_exact)
{
	capture_setup();
	struct autoreply_options o;
	options(&o, DATA "/capture.sh -i -f <> -N never --");
	ck_assert_int_eq(outq_start(&o), 0);
	ck_assert_int_eq(outq_start(&o), -1);  /* one sender per process */
	double t0 = now_ms();
	ck_assert(outq_submit("a@x.dk", "a@x.dk", MSG, sizeof(MSG) - 1));
	double dt = now_ms() - t0;
	printf("outq_submit returned after %.3f ms\n", dt);
	ck_assert(wait_for(finished, 1, 10));
	outq_stop();

	char path[200];
	snprintf(path, sizeof(path), "%s/a@x.dk.args", capdir);
	char *args = slurp(path, NULL);
	ck_assert_ptr_nonnull(args);
	ck_assert_str_eq(args, "-i\n-f\n<>\n-N\nnever\n--\na@x.dk\n");
	free(args);
	snprintf(path, sizeof(path), "%s/a@x.dk.msg", capdir);
	size_t len;
	char *msg = slurp(path, &len);
	ck_assert_uint_eq(len, sizeof(MSG) - 1);
	ck_assert_str_eq(msg, MSG);
	free(msg);
	struct outq_stats st;
	outq_get_stats(&st);
	ck_assert_uint_eq(st.sent, 1);
	ck_assert_uint_eq(st.failed, 0);
	ck_assert(log_has("autoreply to=<a@x.dk> sent"));
	capture_teardown();
}
END_TEST

/* Without a trailing "--" one is added; with the qid, log lines carry it. */
START_TEST(dashdash_added_and_qid)
{
	capture_setup();
	struct autoreply_options o;
	options(&o, "  " DATA "/capture.sh\t-x  ");
	ck_assert_int_eq(outq_start(&o), 0);
	ck_assert(outq_submit_qid("4XyZ1", "b@x.dk", "b@x.dk", "m\n", 2));
	ck_assert(wait_for(finished, 1, 10));
	outq_stop();
	char path[200];
	snprintf(path, sizeof(path), "%s/b@x.dk.args", capdir);
	char *args = slurp(path, NULL);
	ck_assert_str_eq(args, "-x\n--\nb@x.dk\n");
	free(args);
	ck_assert(log_has("4XyZ1: autoreply to=<b@x.dk> sent"));
	capture_teardown();
}
END_TEST

START_TEST(hang_killed_by_watchdog)
{
	static const char *const scripts[] = { "/hang.sh", "/hang-ignore-term.sh" };
	static const char *const want[] = { "killed after 1 s timeout (SIGTERM)", "killed after 1 s timeout (SIGKILL)" };
	capture_setup();
	struct autoreply_options o;
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "%s%s", DATA, scripts[_i]);
	options(&o, cmd);
	ck_assert_int_eq(outq_start(&o), 0);
	double t0 = now_ms();
	ck_assert(outq_submit("c@x.dk", "c@x.dk", MSG, sizeof(MSG) - 1));
	printf("outq_submit (hanging command) returned after %.3f ms\n", now_ms() - t0);
	ck_assert(wait_for(finished, 1, 15));
	double took = now_ms() - t0;
	printf("watchdog ended %s after %.0f ms\n", scripts[_i], took);
	ck_assert_double_lt(took, 10000);
	struct outq_stats st;
	outq_get_stats(&st);
	ck_assert_uint_eq(st.failed, 1);
	ck_assert_uint_eq(st.timed_out, 1);
	ck_assert_uint_eq(st.sent, 0);
	outq_stop();
	ck_assert_msg(log_has(want[_i]), "log lacks \"%s\"", want[_i]);
	ck_assert(log_has("output=hanging"));
	/* the whole process group went: the script's sleep is gone too */
	char path[200];
	snprintf(path, sizeof(path), "%s/sleep.pid", capdir);
	char *pidtext = slurp(path, NULL);
	ck_assert_ptr_nonnull(pidtext);
	pid_t sleeper = (pid_t)atol(pidtext);
	free(pidtext);
	ck_assert_int_gt(sleeper, 1);
	bool gone = false;
	for (int i = 0; i < 200 && !gone; i++) {
		gone = kill(sleeper, 0) < 0;
		if (!gone) {
			struct timespec ts = { 0, 10 * 1000 * 1000 };
			nanosleep(&ts, NULL);
		}
	}
	ck_assert_msg(gone, "sleep %d survived the watchdog", (int)sleeper);
	capture_teardown();
}
END_TEST

START_TEST(exit_75_logged_and_released)
{
	capture_setup();
	struct autoreply_options o;
	options(&o, DATA "/tempfail.sh");
	ck_assert_int_eq(outq_start(&o), 0);
	ck_assert(outq_submit("d@x.dk", "d@x.dk", MSG, sizeof(MSG) - 1));
	ck_assert(wait_for(finished, 1, 10));
	ck_assert(log_has("autoreply to=<d@x.dk> not sent: " DATA "/tempfail.sh exited with status 75 (temporary failure)"));
	ck_assert(log_has("output=queue file write error"));
	/* the failed reply did not use up the sender's one reply */
	o.sendmail_command = DATA "/capture.sh";
	outq_reconfigure(&o);
	ck_assert(outq_submit("d@x.dk", "d@x.dk", MSG, sizeof(MSG) - 1));
	ck_assert(wait_for(finished, 2, 10));
	outq_stop();
	struct outq_stats st;
	outq_get_stats(&st);
	ck_assert_uint_eq(st.failed, 1);
	ck_assert_uint_eq(st.sent, 1);
	ck_assert_uint_eq(st.rate_limited, 0);
	capture_teardown();
}
END_TEST

START_TEST(child_does_not_read)
{
	capture_setup();
	struct autoreply_options o;
	options(&o, DATA "/noread.sh");
	ck_assert_int_eq(outq_start(&o), 0);
	size_t big = 1 << 20;  /* more than a pipe holds */
	char *m = malloc(big);
	memset(m, 'x', big);
	ck_assert(outq_submit("e@x.dk", "e@x.dk", m, big));
	free(m);
	ck_assert(wait_for(finished, 1, 10));
	outq_stop();
	struct outq_stats st;
	outq_get_stats(&st);
	ck_assert_uint_eq(st.sent, 1);  /* exit 0 is the MTA's word */
	ck_assert(log_has("did not read the whole message"));
	capture_teardown();
}
END_TEST

START_TEST(queue_full_drops_and_logs)
{
	capture_setup();
	struct autoreply_options o;
	options(&o, DATA "/slow.sh");
	o.queue_size = 2;
	o.timeout = 5;
	ck_assert_int_eq(outq_start(&o), 0);
	char rcpt[32];
	unsigned accepted = 0;
	double worst = 0;
	for (int i = 0; i < 10; i++) {
		snprintf(rcpt, sizeof(rcpt), "q%d@x.dk", i);
		double t0 = now_ms();
		if (outq_submit(rcpt, rcpt, MSG, sizeof(MSG) - 1))
			accepted++;
		double dt = now_ms() - t0;
		if (dt > worst)
			worst = dt;
	}
	printf("10 submits against a slow command: %u accepted, slowest submit %.3f ms\n", accepted, worst);
	ck_assert_uint_ge(accepted, 2);
	ck_assert_uint_le(accepted, 3);  /* two queued, perhaps one already taken */
	struct outq_stats st;
	outq_get_stats(&st);
	ck_assert_uint_eq(st.dropped_full, 10 - accepted);
	ck_assert(log_has("dropped: queue full (2)"));
	ck_assert(wait_for(finished, accepted, 15));
	outq_stop();
	outq_get_stats(&st);
	ck_assert_uint_eq(st.sent, accepted);
	capture_teardown();
}
END_TEST

/* The sender limit is applied in the thread: the second reply to the same
 * sender is not run at all. */
START_TEST(rate_limited_in_thread)
{
	capture_setup();
	struct autoreply_options o;
	options(&o, DATA "/capture.sh");
	ck_assert_int_eq(outq_start(&o), 0);
	ck_assert(outq_submit("f@x.dk", "f@x.dk", "one\n", 4));
	ck_assert(outq_submit("f@x.dk", "f@x.dk", "two\n", 4));
	ck_assert(outq_submit("g@x.dk", "g@x.dk", "three\n", 6));
	ck_assert(wait_for(finished, 3, 10));
	outq_stop();
	struct outq_stats st;
	outq_get_stats(&st);
	ck_assert_uint_eq(st.sent, 2);
	ck_assert_uint_eq(st.rate_limited, 1);
	char path[200];
	snprintf(path, sizeof(path), "%s/f@x.dk.msg", capdir);
	char *m = slurp(path, NULL);
	ck_assert_str_eq(m, "one\n");
	free(m);
	ck_assert(log_has("autoreply to=<f@x.dk> not sent: sender-limit (memory)"));
	capture_teardown();
}
END_TEST

START_TEST(breaker_in_thread)
{
	capture_setup();
	struct autoreply_options o;
	options(&o, DATA "/capture.sh");
	o.max_per_10min = 2;
	ck_assert_int_eq(outq_start(&o), 0);
	char rcpt[32];
	for (int i = 0; i < 4; i++) {
		snprintf(rcpt, sizeof(rcpt), "br%d@x.dk", i);
		ck_assert(outq_submit(rcpt, rcpt, "m\n", 2));
	}
	ck_assert(wait_for(finished, 4, 10));
	outq_stop();
	struct outq_stats st;
	outq_get_stats(&st);
	ck_assert_uint_eq(st.sent, 2);
	ck_assert_uint_eq(st.breaker, 2);
	ck_assert(log_has("not sent: breaker"));
	capture_teardown();
}
END_TEST

/* outq_stop sends what is queued (within its deadline). */
START_TEST(stop_drains)
{
	capture_setup();
	struct autoreply_options o;
	options(&o, DATA "/capture.sh");
	ck_assert_int_eq(outq_start(&o), 0);
	char rcpt[32];
	for (int i = 0; i < 5; i++) {
		snprintf(rcpt, sizeof(rcpt), "s%d@x.dk", i);
		ck_assert(outq_submit(rcpt, rcpt, "m\n", 2));
	}
	outq_stop();
	struct outq_stats st;
	outq_get_stats(&st);
	ck_assert_uint_eq(st.sent, 5);
	ck_assert(!outq_running());
	ck_assert(!outq_submit("late@x.dk", "late@x.dk", "m\n", 2));
	ck_assert(log_has("dropped: sender not running"));
	outq_stop();  /* again: no-op */
	capture_teardown();
}
END_TEST

START_TEST(refused_inputs)
{
	capture_setup();
	struct autoreply_options o;
	options(&o, "capture.sh");  /* not absolute */
	ck_assert_int_eq(outq_start(&o), -1);
	options(&o, "   ");
	ck_assert_int_eq(outq_start(&o), -1);
	options(&o, NULL);
	ck_assert_int_eq(outq_start(&o), -1);
	options(&o, DATA "/capture.sh");
	ck_assert_int_eq(outq_start(&o), 0);
	ck_assert(!outq_submit("-oQ/tmp@x.dk", "k", "m\n", 2));
	ck_assert(!outq_submit("a@b>\nBcc: c@d.dk", "k", "m\n", 2));
	ck_assert(log_has("recipient is not a plain address"));
	/* a bad reconfigure keeps the old command */
	struct autoreply_options bad;
	options(&bad, "relative/sendmail");
	outq_reconfigure(&bad);
	ck_assert(outq_submit("h@x.dk", "h@x.dk", "m\n", 2));
	ck_assert(wait_for(finished, 1, 10));
	outq_stop();
	struct outq_stats st;
	outq_get_stats(&st);
	ck_assert_uint_eq(st.sent, 1);
	ck_assert(log_has("is not usable"));
	capture_teardown();
}
END_TEST

START_TEST(missing_command)
{
	capture_setup();
	struct autoreply_options o;
	options(&o, "/nonexistent/sendmail -t");
	ck_assert_int_eq(outq_start(&o), 0);
	ck_assert(outq_submit("i@x.dk", "i@x.dk", "m\n", 2));
	ck_assert(wait_for(finished, 1, 10));
	outq_stop();
	struct outq_stats st;
	outq_get_stats(&st);
	ck_assert_uint_eq(st.failed, 1);
	ck_assert(log_has("/nonexistent/sendmail"));
	capture_teardown();
}
END_TEST

static const struct {
	const char *cmd;
	size_t argc;     /* 0: refused */
	const char *joined;
} splits[] = {
	{ "/usr/sbin/sendmail -i -f <> -N never --", 7, "/usr/sbin/sendmail|-i|-f|<>|-N|never|--" },
	{ "  /a\t\tb  ", 2, "/a|b" },
	{ "/a 'b c' \"d\"", 4, "/a|'b|c'|\"d\"" },   /* no quoting: a shell is never involved */
	{ "/a ; rm -rf / | x $(y) `z`", 9, "/a|;|rm|-rf|/|||x|$(y)|`z`" },
	{ "", 0, NULL },
	{ " \t ", 0, NULL },
	{ "/a 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31", 32, NULL },
	{ "/a 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31 32", 0, NULL },
};

START_TEST(splitter)
{
	size_t argc = 0;
	char **argv = outq_split_command(splits[_i].cmd, &argc);
	if (splits[_i].argc == 0) {
		ck_assert_ptr_null(argv);
		return;
	}
	ck_assert_ptr_nonnull(argv);
	ck_assert_uint_eq(argc, splits[_i].argc);
	ck_assert_ptr_null(argv[argc]);
	if (splits[_i].joined != NULL) {
		char joined[512] = "";
		for (size_t i = 0; i < argc; i++) {
			if (i > 0)
				strcat(joined, "|");
			strcat(joined, argv[i]);
		}
		ck_assert_str_eq(joined, splits[_i].joined);
	}
	outq_free_argv(argv);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("outq");
	TCase *tc = tcase_create("sender");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, argv_and_stdin_exact);
	tcase_add_test(tc, dashdash_added_and_qid);
	tcase_add_loop_test(tc, hang_killed_by_watchdog, 0, 2);
	tcase_add_test(tc, exit_75_logged_and_released);
	tcase_add_test(tc, child_does_not_read);
	tcase_add_test(tc, queue_full_drops_and_logs);
	tcase_add_test(tc, rate_limited_in_thread);
	tcase_add_test(tc, breaker_in_thread);
	tcase_add_test(tc, stop_drains);
	tcase_add_test(tc, refused_inputs);
	tcase_add_test(tc, missing_command);
	suite_add_tcase(s, tc);
	TCase *sp = tcase_create("splitter");
	tcase_add_loop_test(sp, splitter, 0, NELEM(splits));
	suite_add_tcase(s, sp);
	return s;
}

#include "check_main.h"
