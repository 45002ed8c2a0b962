/*
 * Unit tests: counters -- the key scheme and dates (pure), and the Redis
 * thread against a throw-away redis-server that each test starts itself
 * on a free loopback port in a private temp dir (REDIS_SERVER from the
 * environment; the whole file is skipped, exit 77, when it is empty or not
 * executable).  Faults are real: the server is SIGKILLed and restarted,
 * put to sleep with DEBUG SLEEP, given a password, made OOM / read-only.
 *
 * CTR_TEST_SLACK_MS (default 100: CI machines are shared and sanitizer
 * builds are slow) is how much longer than timeout_ms a
 * ctr_count call may take before the tests call it a failure; the maximum
 * wait measured is printed either way.
 */
#include "autoconfig.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "counters.h"
#include "counters_int.h"   /* CTR_HOLD_MS */
#include "log.h"

#define ADDR "support@example.com"

/* ------------------------------------------------------------ helpers */

static const char *redis_bin;
static char tmpdir[128];
static pid_t redis_pid = -1;
static pid_t other_pids[4];              /* earlier servers of the same test */
static int n_other;
static int redis_port;
static char redis_args_extra[8][256];
static int n_extra;
static bool debug_command_flag = true;   /* server knows --enable-debug-command */
/* How much longer than RedisTimeout a call may take before the test calls
 * it waiting on Redis.  A call that really waited on Redis I/O would take
 * the I/O timeout (1 s in these tests); anything shorter is the scheduler
 * on a loaded machine (a distcheck beside other builds saw 133 ms), so the
 * bound sits well below 1 s and well above scheduling noise.  The real
 * figure is printed by test_print_max_wait. */
static long slack_ms = 400;
static long max_wait_seen_us;            /* over all tests, printed at the end */
static long max_over_us;                 /* longest wait beyond timeout_ms */

static long elapsed_us(const struct timespec *a)
{
	struct timespec b;
	clock_gettime(CLOCK_MONOTONIC, &b);
	return (long)((b.tv_sec - a->tv_sec) * 1000000L + (b.tv_nsec - a->tv_nsec) / 1000);
}

static void sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int free_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	close(fd);
	return ntohs(sa.sin_port);
}

static char server_str[64];
static const char *server(void)
{
	snprintf(server_str, sizeof(server_str), "127.0.0.1:%d", redis_port);
	return server_str;
}

static redisContext *rc_open(void)
{
	char err[256];
	return ctr_redis_connect(server(), NULL, 0, 2000, err, sizeof(err));
}

/* Runs a command on a fresh connection; the reply's integer, or -1. */
static long long rcmd(const char *fmt, ...)
{
	redisContext *c = rc_open();
	if (c == NULL)
		return -1;
	va_list ap;
	va_start(ap, fmt);
	redisReply *r = redisvCommand(c, fmt, ap);
	va_end(ap);
	long long v = -1;
	if (r != NULL && r->type == REDIS_REPLY_INTEGER)
		v = r->integer;
	else if (r != NULL && r->type == REDIS_REPLY_STRING)
		v = strtoll(r->str, NULL, 10);
	else if (r != NULL && r->type == REDIS_REPLY_STATUS)
		v = 0;
	if (r != NULL)
		freeReplyObject(r);
	redisFree(c);
	return v;
}

/* Does a redis-server answer (even "NOAUTH")? */
static bool redis_ping(void)
{
	char err[256];
	redisContext *c = ctr_redis_connect(server(), NULL, 0, 2000, err, sizeof(err));
	if (c == NULL)
		return false;
	redisReply *r = redisCommand(c, "PING");
	bool ok = r != NULL;
	if (r != NULL)
		freeReplyObject(r);
	redisFree(c);
	return ok;
}

/* Starts redis-server on redis_port (chosen if 0) with the extra
 * "--name value" pairs set by redis_extra(); waits until it answers. */
static void redis_start(void)
{
	if (redis_port == 0)
		redis_port = free_port();
	for (int attempt = 0; attempt < 2; attempt++) {
		char port[16];
		snprintf(port, sizeof(port), "%d", redis_port);
		const char *argv[32];
		int a = 0;
		argv[a++] = redis_bin;
		argv[a++] = "--port";
		argv[a++] = port;
		argv[a++] = "--bind";
		argv[a++] = "127.0.0.1";
		argv[a++] = "--dir";
		argv[a++] = tmpdir;
		argv[a++] = "--logfile";
		argv[a++] = "redis.log";
		argv[a++] = "--save";
		argv[a++] = "";
		argv[a++] = "--daemonize";
		argv[a++] = "no";
		bool aof = false;
		for (int i = 0; i < n_extra; i++) {
			argv[a++] = redis_args_extra[i];
			if (strcmp(redis_args_extra[i], "--appendonly") == 0)
				aof = true;
		}
		if (!aof) {
			argv[a++] = "--appendonly";
			argv[a++] = "no";
		}
		if (debug_command_flag) {
			argv[a++] = "--enable-debug-command";
			argv[a++] = "yes";
		}
		argv[a] = NULL;
		pid_t pid = fork();
		ck_assert_int_ge(pid, 0);
		if (pid == 0) {
			/* Dies with the test even when the test crashes. */
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			int fd = open("/dev/null", O_RDWR);
			dup2(fd, 0);
			dup2(fd, 1);
			dup2(fd, 2);
			execv(redis_bin, (char *const *)argv);
			_exit(127);
		}
		redis_pid = pid;
		for (int i = 0; i < 200; i++) {
			if (redis_ping())
				return;
			int st;
			if (waitpid(pid, &st, WNOHANG) == pid) {
				redis_pid = -1;
				break;
			}
			sleep_ms(25);
		}
		if (redis_pid > 0)
			ck_abort_msg("redis-server did not answer on port %d", redis_port);
		/* Redis before 7 does not know --enable-debug-command. */
		ck_assert_msg(debug_command_flag, "redis-server exited at start (see %s/redis.log)", tmpdir);
		debug_command_flag = false;
	}
	ck_abort_msg("redis-server would not start");
}

static void redis_kill(void)
{
	if (redis_pid > 0) {
		kill(redis_pid, SIGKILL);
		waitpid(redis_pid, NULL, 0);
		redis_pid = -1;
	}
}

/* Keeps the running server (killed at teardown) and lets redis_start
 * start another. */
static void redis_keep_aside(void)
{
	ck_assert_int_lt(n_other, 4);
	other_pids[n_other++] = redis_pid;
	redis_pid = -1;
	redis_port = 0;
}

static void redis_extra(const char *name, const char *value)
{
	snprintf(redis_args_extra[n_extra++], sizeof(redis_args_extra[0]), "%s", name);
	snprintf(redis_args_extra[n_extra++], sizeof(redis_args_extra[0]), "%s", value);
}

/* Log capture: stderr (where log.c writes in the foreground) to a file. */
static int saved_stderr = -1;
static char logpath[160];

static void log_capture(void)
{
	fflush(stderr);
	snprintf(logpath, sizeof(logpath), "%s/test.log", tmpdir);
	int fd = open(logpath, O_CREAT | O_TRUNC | O_WRONLY | O_APPEND, 0600);
	ck_assert_int_ge(fd, 0);
	saved_stderr = dup(2);
	dup2(fd, 2);
	close(fd);
}

static void log_restore(void)
{
	if (saved_stderr >= 0) {
		fflush(stderr);
		dup2(saved_stderr, 2);
		close(saved_stderr);
		saved_stderr = -1;
	}
}

/* Lines of the captured log containing both needles. */
static int log_count(const char *a, const char *b)
{
	fflush(stderr);
	FILE *fp = fopen(logpath, "r");
	char line[4096];
	int n = 0;
	if (fp == NULL)
		return -1;
	while (fgets(line, sizeof(line), fp) != NULL)
		if (strstr(line, a) != NULL && (b == NULL || strstr(line, b) != NULL))
			n++;
	fclose(fp);
	return n;
}

static void log_dump(void)
{
	FILE *fp = fopen(logpath, "r");
	char line[4096];
	if (fp == NULL)
		return;
	while (fgets(line, sizeof(line), fp) != NULL)
		if (saved_stderr >= 0)
			dprintf(saved_stderr, "  log| %s", line);
	fclose(fp);
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void setup(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "%s/ctr-test.XXXXXX", getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	redis_port = 0;
	n_extra = 0;
}

static void teardown(void)
{
	ctr_stop();
	if (saved_stderr >= 0 && getenv("CTR_TEST_LOG") != NULL)
		log_dump();
	log_restore();
	redis_kill();
	for (int i = 0; i < n_other; i++) {
		kill(other_pids[i], SIGKILL);
		waitpid(other_pids[i], NULL, 0);
	}
	n_other = 0;
	nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- events and the expected counts ---- */

struct ev_spec {
	int y, m, d, h;
	const char *prio;
	const char *cats[3];
	const char *miss[3];
};

static void ev_fill(struct ctr_event *ev, const struct ev_spec *s)
{
	int iy, iw;
	memset(ev, 0, sizeof(*ev));
	ev->address = ADDR;
	ev->received = time(NULL);
	ev->year = s->y;
	ev->month = s->m;
	ev->day = s->d;
	ev->wday = ctr_iso_week(s->y, s->m, s->d, &iy, &iw) % 7;
	ev->hour = s->h;
	ev->priority = s->prio;
	ev->categories = s->cats;
	ev->missing = s->miss;
	while (ev->n_categories < 3 && s->cats[ev->n_categories] != NULL)
		ev->n_categories++;
	while (ev->n_missing < 3 && s->miss[ev->n_missing] != NULL)
		ev->n_missing++;
}

/* The i-th event of a deterministic mix over two days, three hours,
 * two priorities, a category on some, one or two missing items. */
static void ev_mix(struct ev_spec *s, int i)
{
	static const char *const none[3] = { NULL, NULL, NULL };
	memset(s, 0, sizeof(*s));
	s->y = 2024;
	s->m = 1;
	s->d = 28 + i % 2;                 /* Sunday 28th (2024-W04), Monday 29th (W05) */
	s->h = 8 + i % 3;
	s->prio = i % 4 == 0 ? "high" : "normal";
	memcpy(s->cats, none, sizeof(none));
	memcpy(s->miss, none, sizeof(none));
	if (i % 5 == 0)
		s->cats[0] = "callback";
	if (i % 3 == 0) {
		s->miss[0] = "user";
		s->miss[1] = "location";
	} else {
		s->miss[0] = "screenshot";
	}
}

#define TALLY_MAX 256
struct tally {
	char key[TALLY_MAX][CTR_KEY_MAX];
	long long n[TALLY_MAX];
	enum ctr_family fam[TALLY_MAX];
	int count;
	pthread_mutex_t mu;
};

static void tally_add(struct tally *t, const char *key, enum ctr_family fam)
{
	pthread_mutex_lock(&t->mu);
	int i;
	for (i = 0; i < t->count; i++)
		if (strcmp(t->key[i], key) == 0)
			break;
	if (i == t->count) {
		ck_assert_int_lt(t->count, TALLY_MAX);
		snprintf(t->key[i], CTR_KEY_MAX, "%s", key);
		t->fam[i] = fam;
		t->n[i] = 0;
		t->count++;
	}
	t->n[i]++;
	pthread_mutex_unlock(&t->mu);
}

static void tally_event(struct tally *t, const struct ev_spec *s, const char *prefix)
{
	char k[CTR_KEY_MAX];
	int iy, iw, wd = ctr_iso_week(s->y, s->m, s->d, &iy, &iw);
	ck_assert_int_gt(ctr_key_hour(k, sizeof(k), prefix, ADDR, s->y, s->m, s->d, s->h), 0);
	tally_add(t, k, CTR_FAM_HOUR);
	ck_assert_int_gt(ctr_key_week_hour(k, sizeof(k), prefix, ADDR, iy, iw, wd, s->h), 0);
	tally_add(t, k, CTR_FAM_WEEK_HOUR);
	ck_assert_int_gt(ctr_key_day(k, sizeof(k), prefix, ADDR, s->y, s->m, s->d, NULL, NULL), 0);
	tally_add(t, k, CTR_FAM_DAY);
	if (s->prio != NULL) {
		ck_assert_int_gt(ctr_key_day(k, sizeof(k), prefix, ADDR, s->y, s->m, s->d, "prio", s->prio), 0);
		tally_add(t, k, CTR_FAM_DAY);
	}
	for (int i = 0; i < 3 && s->cats[i] != NULL; i++) {
		ck_assert_int_gt(ctr_key_day(k, sizeof(k), prefix, ADDR, s->y, s->m, s->d, "cat", s->cats[i]), 0);
		tally_add(t, k, CTR_FAM_DAY);
	}
	for (int i = 0; i < 3 && s->miss[i] != NULL; i++) {
		ck_assert_int_gt(ctr_key_day(k, sizeof(k), prefix, ADDR, s->y, s->m, s->d, "miss", s->miss[i]), 0);
		tally_add(t, k, CTR_FAM_DAY);
	}
}

static struct tally *tally_new(void)
{
	struct tally *t = calloc(1, sizeof(*t));
	ck_assert_ptr_nonnull(t);
	pthread_mutex_init(&t->mu, NULL);
	return t;
}

static void tally_free(struct tally *t)
{
	pthread_mutex_destroy(&t->mu);
	free(t);
}

/* Every expected key holds exactly its count and a TTL close to its
 * family's; no other counter key exists under the prefix. */
static void tally_verify(const struct tally *t, const struct ctr_options *o, const char *prefix)
{
	redisContext *c = rc_open();
	ck_assert_ptr_nonnull(c);
	for (int i = 0; i < t->count; i++) {
		redisReply *r = redisCommand(c, "GET %s", t->key[i]);
		ck_assert_ptr_nonnull(r);
		ck_assert_msg(r->type == REDIS_REPLY_STRING, "%s missing", t->key[i]);
		ck_assert_msg(strtoll(r->str, NULL, 10) == t->n[i], "%s = %s, expected %lld",
		              t->key[i], r->str, t->n[i]);
		freeReplyObject(r);
		r = redisCommand(c, "TTL %s", t->key[i]);
		ck_assert_ptr_nonnull(r);
		ck_assert_int_eq(r->type, REDIS_REPLY_INTEGER);
		ck_assert_msg(r->integer <= o->ttl[t->fam[i]] && r->integer > o->ttl[t->fam[i]] - 120,
		              "%s TTL %lld, family TTL %ld", t->key[i], r->integer, o->ttl[t->fam[i]]);
		freeReplyObject(r);
	}
	redisReply *r = redisCommand(c, "KEYS %s*", prefix);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(r->type, REDIS_REPLY_ARRAY);
	size_t tokens = 0;
	for (size_t i = 0; i < r->elements; i++)
		if (strncmp(r->element[i]->str + strlen(prefix), "tok:", 4) == 0)
			tokens++;
	ck_assert_msg(r->elements - tokens == (size_t)t->count, "%zu counter keys in Redis, %d expected",
	              r->elements - tokens, t->count);
	/* Acknowledged batches' tokens are deleted. */
	ck_assert_uint_eq(tokens, 0);
	freeReplyObject(r);
	redisFree(c);
}

static long long tally_get(const struct tally *t, const char *key)
{
	for (int i = 0; i < t->count; i++)
		if (strcmp(t->key[i], key) == 0)
			return t->n[i];
	return 0;
}

static void opts(struct ctr_options *o, long timeout_ms)
{
	ctr_options_defaults(o);
	o->server = server();
	o->timeout_ms = timeout_ms;
	o->io_timeout_ms = 1000;
}

static bool wait_for(bool (*pred)(void), long ms)
{
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!pred()) {
		if (elapsed_us(&t0) > ms * 1000)
			return false;
		sleep_ms(10);
	}
	return true;
}

static bool is_up(void)
{
	struct ctr_stats st;
	ctr_get_stats(&st);
	return st.up;
}

static bool is_idle(void)
{
	struct ctr_stats st;
	ctr_get_stats(&st);
	return st.up && st.queued == 0 && st.backlog_keys == 0;
}

/* ctr_count, timed; the wait is checked against timeout + slack. */
static bool count_timed(const struct ctr_event *ev, long long *v, long timeout_ms, long *max_us)
{
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	bool ok = ctr_count(ev, v);
	long us = elapsed_us(&t0);
	if (us > *max_us)
		*max_us = us;
	if (us > max_wait_seen_us)
		max_wait_seen_us = us;
	if (us - timeout_ms * 1000 > max_over_us)
		max_over_us = us - timeout_ms * 1000;
	ck_assert_msg(us <= (timeout_ms + slack_ms) * 1000, "ctr_count took %ld us (timeout %ld ms)",
	              us, timeout_ms);
	return ok;
}

/* ------------------------------------------------------------ pure parts */

START_TEST(test_dates)
{
	static const struct { int y, m, d; long days; int iso_y, iso_w, iso_wd; } t[] = {
		{ 1970, 1, 1, 0, 1970, 1, 4 },
		{ 2000, 3, 1, 11017, 2000, 9, 3 },
		{ 2021, 1, 3, 18630, 2020, 53, 7 },     /* Sunday of 2020's week 53 */
		{ 2024, 1, 29, 19751, 2024, 5, 1 },
		{ 2024, 2, 29, 19782, 2024, 9, 4 },
		{ 2024, 12, 30, 20087, 2025, 1, 1 },    /* Monday of 2025-W01 */
		{ 2026, 1, 1, 20454, 2026, 1, 4 },
		{ 2027, 1, 1, 20819, 2026, 53, 5 },
		{ 1969, 12, 31, -1, 1970, 1, 3 },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int iy, iw, y, m, d;
		ck_assert_int_eq(ctr_days_from_civil(t[i].y, t[i].m, t[i].d), t[i].days);
		ctr_civil_from_days(t[i].days, &y, &m, &d);
		ck_assert_int_eq(y, t[i].y);
		ck_assert_int_eq(m, t[i].m);
		ck_assert_int_eq(d, t[i].d);
		ck_assert_int_eq(ctr_iso_week(t[i].y, t[i].m, t[i].d, &iy, &iw), t[i].iso_wd);
		ck_assert_int_eq(iy, t[i].iso_y);
		ck_assert_int_eq(iw, t[i].iso_w);
	}
	/* Round trip over 1600..2400, and weekdays advance by one. */
	int prev = -1;
	for (long z = ctr_days_from_civil(1600, 1, 1); z < ctr_days_from_civil(2400, 1, 1); z += 1) {
		int y, m, d, iy, iw;
		ctr_civil_from_days(z, &y, &m, &d);
		ck_assert_int_eq(ctr_days_from_civil(y, m, d), z);
		int wd = ctr_iso_week(y, m, d, &iy, &iw);
		ck_assert_int_ge(wd, 1);
		if (prev > 0)
			ck_assert_int_eq(wd, prev % 7 + 1);
		prev = wd;
	}
	static const int bad[][3] = { { 2023, 2, 29 }, { 2024, 13, 1 }, { 2024, 0, 1 }, { 2024, 4, 31 },
	                              { 0, 1, 1 }, { 2024, 1, 0 }, { 1900, 2, 29 } };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int iy, iw;
		ck_assert_int_eq(ctr_iso_week(bad[i][0], bad[i][1], bad[i][2], &iy, &iw), -1);
	}
	int iy, iw;
	ck_assert_int_eq(ctr_iso_week(2000, 2, 29, &iy, &iw), 2);
}
END_TEST

START_TEST(test_keys)
{
	char k[CTR_KEY_MAX];
	ck_assert_int_gt(ctr_key_hour(k, sizeof(k), "sm:", "Support@Example.COM", 2024, 1, 29, 9), 0);
	ck_assert_str_eq(k, "sm:support@example.com:h:2024012909");
	ck_assert_int_gt(ctr_key_week_hour(k, sizeof(k), NULL, ADDR, 2024, 5, 1, 9), 0);
	ck_assert_str_eq(k, "sm:support@example.com:wh:2024-W05:1:09");
	ck_assert_int_gt(ctr_key_day(k, sizeof(k), "x/", ADDR, 2024, 1, 29, NULL, NULL), 0);
	ck_assert_str_eq(k, "x/support@example.com:d:20240129");
	ck_assert_int_gt(ctr_key_day(k, sizeof(k), "", ADDR, 2024, 1, 29, "cat", "callback"), 0);
	ck_assert_str_eq(k, "support@example.com:d:20240129:cat:callback");
	ck_assert_int_eq(ctr_key_day(k, sizeof(k), "sm:", ADDR, 2024, 1, 29, "miss", "employee-number"),
	                 (int)strlen("sm:support@example.com:d:20240129:miss:employee-number"));
	ck_assert_str_eq(k, "sm:support@example.com:d:20240129:miss:employee-number");
	ck_assert_int_gt(ctr_key_day(k, sizeof(k), "sm:", ADDR, 2024, 1, 29, "prio", "high"), 0);
	ck_assert_str_eq(k, "sm:support@example.com:d:20240129:prio:high");

	/* Bad parts next to the good ones. */
	ck_assert_int_eq(ctr_key_hour(k, sizeof(k), "sm:", ADDR, 2024, 1, 29, 24), -1);
	ck_assert_int_eq(ctr_key_hour(k, sizeof(k), "sm:", ADDR, 2024, 2, 30, 9), -1);
	ck_assert_int_eq(ctr_key_hour(k, sizeof(k), "sm:", "two words@x", 2024, 1, 29, 9), -1);
	ck_assert_int_eq(ctr_key_hour(k, sizeof(k), "sm:", "", 2024, 1, 29, 9), -1);
	ck_assert_int_eq(ctr_key_hour(k, sizeof(k), "s m:", ADDR, 2024, 1, 29, 9), -1);
	ck_assert_int_eq(ctr_key_hour(k, 20, "sm:", ADDR, 2024, 1, 29, 9), -1);   /* does not fit */
	ck_assert_int_eq(ctr_key_week_hour(k, sizeof(k), "sm:", ADDR, 2024, 54, 1, 9), -1);
	ck_assert_int_eq(ctr_key_week_hour(k, sizeof(k), "sm:", ADDR, 2024, 5, 0, 9), -1);
	ck_assert_int_eq(ctr_key_week_hour(k, sizeof(k), "sm:", ADDR, 2024, 5, 8, 9), -1);
	ck_assert_int_eq(ctr_key_day(k, sizeof(k), "sm:", ADDR, 2024, 1, 29, "cat", "two words"), -1);
	ck_assert_int_eq(ctr_key_day(k, sizeof(k), "sm:", ADDR, 2024, 1, 29, "cat", ""), -1);
	ck_assert_int_eq(ctr_key_day(k, sizeof(k), "sm:", ADDR, 2024, 1, 29, "cat", "a:b"), -1);
	ck_assert_int_eq(ctr_key_day(k, sizeof(k), "sm:", ADDR, 2024, 1, 29, "other", "x"), -1);
	ck_assert_int_eq(ctr_key_day(k, sizeof(k), "sm:", ADDR, 2024, 1, 29, "cat", NULL), -1);

	static const struct { const char *s; bool ok; } ids[] = {
		{ "callback", true }, { "employee-number", true }, { "a.b_c+d", true },
		{ "x", true }, { "", false }, { "a b", false }, { "a:b", false }, { "æ", false },
		{ "0123456789012345678901234567890123456789012345678901234567890123", true },
		{ "01234567890123456789012345678901234567890123456789012345678901234", false },
	};
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
		ck_assert_msg(ctr_is_id(ids[i].s) == ids[i].ok, "ctr_is_id(\"%s\")", ids[i].s);
	ck_assert(!ctr_is_id(NULL));
	ck_assert(ctr_is_prefix(""));
	ck_assert(!ctr_is_prefix("a\tb"));
	ck_assert(ctr_is_address("støtte@eksempel.dk"));
	ck_assert(!ctr_is_address("a\nb@x"));
}
END_TEST

START_TEST(test_parse_server)
{
	static const struct { const char *s; const char *host; int port; } good[] = {
		{ "127.0.0.1:6380", "127.0.0.1", 6380 },
		{ "localhost", "localhost", 6379 },
		{ "redis.example.com:7000", "redis.example.com", 7000 },
		{ "[::1]:7001", "::1", 7001 },
		{ "[::1]", "::1", 6379 },
		{ "/run/redis/redis.sock", "/run/redis/redis.sock", 0 },
	};
	static const char *const bad[] = {
		"", "host:0", "host:65536", "host:", "::1:6379", "[::1", "[::1]x", "host:abc",
		"ho st", ":6379", "host:12x",
	};
	char host[256], err[256];
	int port;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		ck_assert_msg(ctr_parse_server(good[i].s, host, sizeof(host), &port, err, sizeof(err)) == 0,
		              "%s: %s", good[i].s, err);
		ck_assert_str_eq(host, good[i].host);
		ck_assert_int_eq(port, good[i].port);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		ck_assert_msg(ctr_parse_server(bad[i], host, sizeof(host), &port, err, sizeof(err)) == -1,
		              "\"%s\" accepted", bad[i]);
		ck_assert(err[0] != '\0');
	}
	ck_assert_int_eq(ctr_parse_server(NULL, host, sizeof(host), &port, err, sizeof(err)), -1);
}
END_TEST

START_TEST(test_options)
{
	struct ctr_options o;
	char err[256];
	ctr_options_defaults(&o);
	ck_assert_int_eq(ctr_check_options(&o, err, sizeof(err)), 0);   /* off is fine */
	o.server = "127.0.0.1:1";
	ck_assert_int_eq(ctr_check_options(&o, err, sizeof(err)), 0);
	struct ctr_options b = o;
	b.server = "bad host";
	ck_assert_int_eq(ctr_check_options(&b, err, sizeof(err)), -1);
	b = o;
	b.timeout_ms = 0;
	ck_assert_int_eq(ctr_check_options(&b, err, sizeof(err)), -1);
	b = o;
	b.queue_size = 0;
	ck_assert_int_eq(ctr_check_options(&b, err, sizeof(err)), -1);
	b = o;
	b.backlog_size = CTR_MAX_KEYS - 1;
	ck_assert_int_eq(ctr_check_options(&b, err, sizeof(err)), -1);
	b = o;
	b.ttl[CTR_FAM_DAY] = 10;
	ck_assert_int_eq(ctr_check_options(&b, err, sizeof(err)), -1);
	b = o;
	b.key_prefix = "with blank";
	ck_assert_int_eq(ctr_check_options(&b, err, sizeof(err)), -1);
	b = o;
	b.database = -1;
	ck_assert_int_eq(ctr_check_options(&b, err, sizeof(err)), -1);
	ck_assert_int_eq(ctr_start(&b), -1);
}
END_TEST

/* No server: nothing counted, nothing waited for, nothing logged. */
START_TEST(test_off)
{
	struct ctr_options o;
	struct ctr_event ev;
	struct ev_spec s;
	long long v = -7;
	ctr_options_defaults(&o);
	log_capture();
	ck_assert_int_eq(ctr_start(&o), 0);
	ck_assert_int_eq(ctr_start(&o), -1);          /* only once */
	ev_mix(&s, 0);
	ev_fill(&ev, &s);
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < 1000; i++)
		ck_assert(!ctr_count(&ev, &v));
	ck_assert_int_lt(elapsed_us(&t0), 200000);
	ck_assert_int_eq(v, -7);
	struct ctr_stats st;
	ctr_get_stats(&st);
	ck_assert_uint_eq(st.events, 0);
	ctr_stop();
	ctr_stop();                                    /* idempotent */
	ck_assert(!ctr_count(&ev, &v));                /* after stop */
	ck_assert_int_eq(log_count("counters", "warning"), 0);
	ck_assert_int_eq(log_count("[error]", NULL), 1);      /* the second start */
	ck_assert_int_eq(log_count("already started", NULL), 1);
}
END_TEST

/* Exact counts for every key family, TTLs, hour values in order. */
START_TEST(test_exact_sequential)
{
	redis_start();
	struct ctr_options o;
	opts(&o, 2000);
	o.ttl[CTR_FAM_HOUR] = 3600;
	o.ttl[CTR_FAM_WEEK_HOUR] = 7200;
	o.ttl[CTR_FAM_DAY] = 86400;
	log_capture();
	ck_assert_int_eq(ctr_start(&o), 0);
	ck_assert(wait_for(is_up, 5000));
	struct tally *t = tally_new();
	long long hour_seen[2][3] = { { 0 } };
	long max_us = 0;
	for (int i = 0; i < 300; i++) {
		struct ev_spec s;
		struct ctr_event ev;
		long long v = 0;
		ev_mix(&s, i);
		ev_fill(&ev, &s);
		ck_assert_msg(count_timed(&ev, &v, o.timeout_ms, &max_us), "event %d not answered", i);
		/* The n-th message of an hour gets n. */
		ck_assert_int_eq(v, ++hour_seen[s.d - 28][s.h - 8]);
		tally_event(t, &s, "sm:");
	}
	/* Bad events are refused, not counted. */
	struct ev_spec s;
	struct ctr_event ev;
	long long v;
	ev_mix(&s, 0);
	ev_fill(&ev, &s);
	ev.wday = (ev.wday + 1) % 7;
	ck_assert(!ctr_count(&ev, &v));
	ev_fill(&ev, &s);
	ev.hour = 24;
	ck_assert(!ctr_count(&ev, &v));
	ev_fill(&ev, &s);
	ev.day = 32;
	ck_assert(!ctr_count(&ev, &v));
	ev_fill(&ev, &s);
	ev.address = "has space@x";
	ck_assert(!ctr_count(&ev, &v));
	/* A bad id is skipped, the rest counted. */
	ev_fill(&ev, &s);
	static const char *const badcat[] = { "no good", "callback", "callback" };
	ev.categories = badcat;
	ev.n_categories = 3;
	ev.priority = "not:ok";
	ck_assert(ctr_count(&ev, &v));
	struct ev_spec s2 = s;
	s2.prio = NULL;
	s2.cats[0] = "callback";
	tally_event(t, &s2, "sm:");
	ck_assert(ctr_count(NULL, &v) == false);

	ctr_stop();
	tally_verify(t, &o, "sm:");
	ck_assert_int_eq(tally_get(t, "sm:support@example.com:h:2024012909"), 50);
	ck_assert_int_eq(tally_get(t, "sm:support@example.com:wh:2024-W05:1:09"), 50);
	ck_assert_int_eq(tally_get(t, "sm:support@example.com:d:20240128"), 151);
	ck_assert_int_eq(log_count("warning", NULL), 0);
	printf("test_exact_sequential: max ctr_count wait %ld us\n", max_us);
	tally_free(t);
}
END_TEST

/* ctr_begin at the end of the headers, ctr_end at the end of the message,
 * ctr_cancel for a message that never ends: the n-th message of an hour
 * that reaches its end gets n, cancelled messages leave no trace, and
 * every counter is exact -- also when Redis is down in between. */
START_TEST(test_two_step)
{
	redis_extra("--appendonly", "yes");
	redis_extra("--appendfsync", "always");
	redis_start();
	struct ctr_options o;
	opts(&o, 2000);
	log_capture();
	ck_assert_int_eq(ctr_start(&o), 0);
	ck_assert(wait_for(is_up, 5000));
	struct tally *t = tally_new();
	long long hour_seen[2][3] = { { 0 } };
	for (int i = 0; i < 200; i++) {
		struct ev_spec s;
		struct ctr_event ev;
		ev_mix(&s, i);
		ev_fill(&ev, &s);
		struct ctr_event arrival = ev;
		arrival.categories = NULL;
		arrival.n_categories = 0;
		arrival.priority = "ignored-at-begin";
		struct ctr_pending *p = ctr_begin(&arrival);
		ck_assert_ptr_nonnull(p);
		if (i % 4 == 3) {
			ctr_cancel(p);
			continue;
		}
		long long v = 0;
		ck_assert_msg(ctr_end(p, &ev, &v), "message %d not answered", i);
		ck_assert_int_eq(v, ++hour_seen[s.d - 28][s.h - 8]);
		tally_event(t, &s, "sm:");
	}
	/* Several messages in flight at once, ending in another order. */
	struct ctr_pending *fl[6];
	struct ev_spec fs[6];
	for (int i = 0; i < 6; i++) {
		struct ctr_event ev;
		ev_mix(&fs[i], 300 + i);
		ev_fill(&ev, &fs[i]);
		fl[i] = ctr_begin(&ev);
		ck_assert_ptr_nonnull(fl[i]);
	}
	for (int i = 5; i >= 0; i--) {
		struct ctr_event ev;
		ev_fill(&ev, &fs[i]);
		if (i == 2) {
			ctr_cancel(fl[i]);
			continue;
		}
		long long v = 0;
		ck_assert(ctr_end(fl[i], &ev, &v));
		ck_assert_int_gt(v, 0);
		tally_event(t, &fs[i], "sm:");
	}
	ck_assert_ptr_null(ctr_begin(NULL));
	ck_assert(!ctr_end(NULL, NULL, NULL));
	ctr_cancel(NULL);
	ck_assert(wait_for(is_idle, 10000));

	/* Redis down: the hour count cannot come (ctr_end gives up within its
	 * timeout), the increments and the take-backs wait in the backlog. */
	redis_kill();
	struct ctr_options quick;
	opts(&quick, 50);
	ctr_reconfigure(&quick);
	for (int i = 0; i < 40; i++) {
		struct ev_spec s;
		struct ctr_event ev;
		ev_mix(&s, 400 + i);
		ev_fill(&ev, &s);
		struct ctr_pending *p = ctr_begin(&ev);
		ck_assert_ptr_nonnull(p);
		if (i % 3 == 0) {
			ctr_cancel(p);
			continue;
		}
		struct timespec t0;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		long long v = -1;
		ck_assert(!ctr_end(p, &ev, &v));
		ck_assert_int_eq(v, -1);
		ck_assert_int_le(elapsed_us(&t0), (quick.timeout_ms + slack_ms) * 1000);
		tally_event(t, &s, "sm:");
	}
	redis_start();
	ck_assert_msg(wait_for(is_idle, 10000), "backlog not flushed 10 s after the restart");
	ctr_stop();
	tally_verify(t, &o, "sm:");
	struct ctr_stats st;
	ctr_get_stats(&st);
	ck_assert_uint_eq(st.dropped_backlog + st.dropped_queue + st.dropped_error, 0);
	tally_free(t);
}
END_TEST

struct sender {
	int first, n;
	long timeout_ms;
	struct tally *t;
	long long values[500];
	int answered;
	long max_us;
};

static void *sender_main(void *arg)
{
	struct sender *sd = arg;
	for (int i = 0; i < sd->n; i++) {
		struct ev_spec s;
		struct ctr_event ev;
		long long v;
		ev_mix(&s, sd->first + i);
		s.d = 29;
		s.h = 9;
		ev_fill(&ev, &s);
		struct timespec t0;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		bool ok = ctr_count(&ev, &v);
		long us = elapsed_us(&t0);
		if (us > sd->max_us)
			sd->max_us = us;
		if (ok)
			sd->values[sd->answered++] = v;
		tally_event(sd->t, &s, "p/");
	}
	return NULL;
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;
	return (x > y) - (x < y);
}

/* Four milter threads at once, with the real default timeout. */
START_TEST(test_exact_threads)
{
	redis_start();
	struct ctr_options o;
	opts(&o, CTR_DEFAULT_TIMEOUT_MS);
	o.key_prefix = "p/";
	ck_assert_int_eq(ctr_start(&o), 0);
	ck_assert(wait_for(is_up, 5000));
	struct tally *t = tally_new();
	struct sender sd[4];
	pthread_t th[4];
	for (int i = 0; i < 4; i++) {
		sd[i] = (struct sender){ .first = i * 500, .n = 500, .timeout_ms = o.timeout_ms, .t = t };
		ck_assert_int_eq(pthread_create(&th[i], NULL, sender_main, &sd[i]), 0);
	}
	long long all[2000];
	int n = 0;
	long max_us = 0;
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		memcpy(all + n, sd[i].values, (size_t)sd[i].answered * sizeof(all[0]));
		n += sd[i].answered;
		if (sd[i].max_us > max_us)
			max_us = sd[i].max_us;
	}
	if (max_us > max_wait_seen_us)
		max_wait_seen_us = max_us;
	if (max_us - o.timeout_ms * 1000 > max_over_us)
		max_over_us = max_us - o.timeout_ms * 1000;
	/* Every value handed out is a distinct position 1..2000 in the hour. */
	qsort(all, (size_t)n, sizeof(all[0]), cmp_ll);
	for (int i = 0; i < n; i++) {
		ck_assert_int_ge(all[i], 1);
		ck_assert_int_le(all[i], 2000);
		if (i > 0)
			ck_assert_int_ne(all[i], all[i - 1]);
	}
	ck_assert_int_gt(n, 0);
	ck_assert_int_le(max_us, (o.timeout_ms + slack_ms) * 1000);
	ctr_stop();
	tally_verify(t, &o, "p/");
	ck_assert_int_eq(tally_get(t, "p/support@example.com:h:2024012909"), 2000);
	struct ctr_stats st;
	ctr_get_stats(&st);
	ck_assert_uint_eq(st.events, 2000);
	printf("test_exact_threads: %d of 2000 answered within %ld ms; max wait %ld us; %llu batches\n",
	       n, o.timeout_ms, max_us, st.batches);
	tally_free(t);
}
END_TEST

/* A unix socket and a database number. */
START_TEST(test_unix_socket)
{
	char sock[200], db_key[CTR_KEY_MAX];
	snprintf(sock, sizeof(sock), "%s/redis.sock", tmpdir);
	redis_extra("--unixsocket", sock);
	redis_start();
	struct ctr_options o;
	opts(&o, 2000);
	o.server = sock;
	o.database = 3;
	ck_assert_int_eq(ctr_start(&o), 0);
	ck_assert(wait_for(is_up, 5000));
	struct ev_spec s;
	struct ctr_event ev;
	long long v;
	ev_mix(&s, 1);
	ev_fill(&ev, &s);
	ck_assert(ctr_count(&ev, &v));
	ck_assert_int_eq(v, 1);
	ck_assert(ctr_count(&ev, &v));
	ck_assert_int_eq(v, 2);
	ctr_stop();
	ctr_key_hour(db_key, sizeof(db_key), "sm:", ADDR, s.y, s.m, s.d, s.h);
	ck_assert_int_eq(rcmd("EXISTS %s", db_key), 0);    /* not in database 0 */
	char err[256];
	redisContext *c = ctr_redis_connect(sock, NULL, 3, 1000, err, sizeof(err));
	ck_assert_msg(c != NULL, "%s", err);
	redisReply *r = redisCommand(c, "GET %s", db_key);
	ck_assert_str_eq(r->str, "2");
	freeReplyObject(r);
	redisFree(c);
}
END_TEST

struct bg {
	atomic_int sent;
	int n;
	struct tally *t;
	atomic_bool quit;
};

static void *bg_main(void *arg)
{
	struct bg *b = arg;
	for (int i = 0; i < b->n && !atomic_load(&b->quit); i++) {
		struct ev_spec s;
		struct ctr_event ev;
		ev_mix(&s, i);
		ev_fill(&ev, &s);
		(void)ctr_count(&ev, NULL);
		tally_event(b->t, &s, "sm:");
		atomic_fetch_add(&b->sent, 1);
		sleep_ms(2);
	}
	return NULL;
}

static bool wait_sent(struct bg *b, int n, long ms)
{
	for (long i = 0; i < ms / 5 && atomic_load(&b->sent) < n; i++)
		sleep_ms(5);
	return atomic_load(&b->sent) >= n;
}

/* SIGKILL mid-run (durable AOF, so what Redis acknowledged survives):
 * mail keeps flowing, ctr_count answers false quickly while Redis is
 * gone, the backlog is written after the restart, counts are exact, one
 * warning and one "back" line. */
START_TEST(test_kill_restart)
{
	redis_extra("--appendonly", "yes");
	redis_extra("--appendfsync", "always");
	redis_start();
	struct ctr_options o;
	opts(&o, CTR_DEFAULT_TIMEOUT_MS);
	log_capture();
	ck_assert_int_eq(ctr_start(&o), 0);
	ck_assert(wait_for(is_up, 5000));
	struct bg b = { .n = 900, .t = tally_new() };
	pthread_t th;
	ck_assert_int_eq(pthread_create(&th, NULL, bg_main, &b), 0);
	ck_assert(wait_sent(&b, 300, 20000));
	redis_kill();
	/* Meanwhile a milter thread that wants the hour count. */
	long max_us = 0;
	int answered_down = 0;
	for (int i = 0; i < 50; i++) {
		struct ev_spec s;
		struct ctr_event ev;
		long long v;
		ev_mix(&s, 1000 + i);
		ev_fill(&ev, &s);
		if (count_timed(&ev, &v, o.timeout_ms, &max_us))
			answered_down++;
		tally_event(b.t, &s, "sm:");
		sleep_ms(5);
	}
	ck_assert_int_eq(answered_down, 0);
	ck_assert(wait_sent(&b, 600, 20000));
	redis_start();
	ck_assert_msg(wait_for(is_up, 10000), "not reconnected 10 s after the restart");
	pthread_join(th, NULL);
	ck_assert_int_eq(atomic_load(&b.sent), 900);
	ck_assert(wait_for(is_idle, 10000));
	ctr_stop();
	tally_verify(b.t, &o, "sm:");
	ck_assert_int_eq(log_count("counters: Redis", "warning"), 1);
	ck_assert_int_eq(log_count("takes writes again after", "info"), 1);
	struct ctr_stats st;
	ctr_get_stats(&st);
	ck_assert_uint_eq(st.outages, 1);
	ck_assert_uint_eq(st.dropped_backlog + st.dropped_queue + st.dropped_error, 0);
	printf("test_kill_restart: 950 messages exact across a SIGKILL; max wait while down %ld us\n", max_us);
	tally_free(b.t);
}
END_TEST

struct sleeper {
	long seconds;
};

static void *sleeper_main(void *arg)
{
	struct sleeper *s = arg;
	redisContext *c = rc_open();
	if (c == NULL)
		return NULL;
	struct timeval tv = { .tv_sec = s->seconds + 5 };
	redisSetTimeout(c, tv);
	redisReply *r = redisCommand(c, "DEBUG SLEEP %ld", s->seconds);
	if (r != NULL)
		freeReplyObject(r);
	redisFree(c);
	return NULL;
}

/* DEBUG SLEEP 1 (shorter than the I/O timeout) and then DEBUG SLEEP 2
 * (longer: the thread gives up on the connection and resends the batch
 * that Redis will still apply -- the token keeps the count exact). */
START_TEST(test_slow)
{
	redis_start();
	ck_assert_msg(rcmd("DEBUG SET-ACTIVE-EXPIRE 1") == 0, "DEBUG is not enabled in this redis-server");
	struct ctr_options o;
	opts(&o, CTR_DEFAULT_TIMEOUT_MS);
	o.io_timeout_ms = 1500;
	log_capture();
	ck_assert_int_eq(ctr_start(&o), 0);
	ck_assert(wait_for(is_up, 5000));
	struct tally *t = tally_new();
	long max_us = 0;
	int i = 0;
	for (long secs = 1; secs <= 2; secs++) {
		struct sleeper sl = { .seconds = secs };
		pthread_t th;
		ck_assert_int_eq(pthread_create(&th, NULL, sleeper_main, &sl), 0);
		sleep_ms(100);
		for (int k = 0; k < 60; k++, i++) {
			struct ev_spec s;
			struct ctr_event ev;
			long long v;
			ev_mix(&s, i);
			ev_fill(&ev, &s);
			(void)count_timed(&ev, &v, o.timeout_ms, &max_us);
			tally_event(t, &s, "sm:");
			sleep_ms(25);
		}
		pthread_join(th, NULL);
		ck_assert(wait_for(is_idle, 10000));
	}
	ctr_stop();
	tally_verify(t, &o, "sm:");
	/* The 1 s sleep is not an outage; the 2 s one is, once. */
	ck_assert_int_eq(log_count("counters: Redis", "warning"), 1);
	printf("test_slow: max ctr_count wait during DEBUG SLEEP %ld us (timeout %ld ms)\n",
	       max_us, o.timeout_ms);
	tally_free(t);
}
END_TEST

/* A wrong password: mail flows, one warning however long it lasts, no
 * crash; fixing the password (reload) writes the backlog. */
START_TEST(test_wrong_password)
{
	redis_extra("--requirepass", "right");
	redis_start();
	struct ctr_options o;
	opts(&o, CTR_DEFAULT_TIMEOUT_MS);
	o.password = "wrong";
	log_capture();
	ck_assert_int_eq(ctr_start(&o), 0);
	struct tally *t = tally_new();
	long max_us = 0;
	for (int i = 0; i < 40; i++) {
		struct ev_spec s;
		struct ctr_event ev;
		long long v;
		ev_mix(&s, i);
		ev_fill(&ev, &s);
		ck_assert(!count_timed(&ev, &v, o.timeout_ms, &max_us));
		tally_event(t, &s, "sm:");
		sleep_ms(40);   /* 1.6 s: several reconnect attempts */
	}
	ck_assert_int_eq(log_count("counters: Redis", "warning"), 1);
	ck_assert_int_ge(log_count("WRONGPASS", NULL) + log_count("invalid password", NULL), 1);
	ck_assert_int_eq(log_count("right", NULL), 0);      /* no password in the log */
	struct ctr_stats st;
	ctr_get_stats(&st);
	ck_assert(!st.up);
	ck_assert_uint_eq(st.outages, 1);
	ck_assert_uint_gt(st.backlog_keys, 0);
	o.password = "right";
	ctr_reconfigure(&o);
	ck_assert(wait_for(is_idle, 5000));
	ctr_stop();
	/* tally_verify connects without a password: do it by hand. */
	char err[256];
	redisContext *c = ctr_redis_connect(server(), "right", 0, 1000, err, sizeof(err));
	ck_assert_msg(c != NULL, "%s", err);
	redisReply *r = redisCommand(c, "GET sm:support@example.com:h:2024012809");
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(r->type, REDIS_REPLY_STRING);
	ck_assert_int_eq(strtoll(r->str, NULL, 10), tally_get(t, "sm:support@example.com:h:2024012809"));
	freeReplyObject(r);
	r = redisCommand(c, "GET sm:support@example.com:d:20240129");
	ck_assert_int_eq(strtoll(r->str, NULL, 10), 20);
	freeReplyObject(r);
	redisFree(c);
	tally_free(t);
}
END_TEST

static void send_mix(struct tally *t, int from, int n, bool expect_answer, long timeout_ms, long *max_us)
{
	for (int i = from; i < from + n; i++) {
		struct ev_spec s;
		struct ctr_event ev;
		long long v;
		ev_mix(&s, i);
		ev_fill(&ev, &s);
		bool ok = count_timed(&ev, &v, timeout_ms, max_us);
		if (expect_answer)
			ck_assert_msg(ok, "event %d not answered", i);
		else
			ck_assert_msg(!ok, "event %d answered while Redis refuses writes", i);
		tally_event(t, &s, "sm:");
		sleep_ms(10);
	}
}

/* Redis refusing writes: OOM, then READONLY (a replica). */
START_TEST(test_refusing)
{
	redis_start();
	struct ctr_options o;
	opts(&o, 500);
	log_capture();
	ck_assert_int_eq(ctr_start(&o), 0);
	ck_assert(wait_for(is_up, 5000));
	struct tally *t = tally_new();
	long max_us = 0;
	send_mix(t, 0, 10, true, o.timeout_ms, &max_us);

	ck_assert_int_eq(rcmd("CONFIG SET maxmemory 1"), 0);
	send_mix(t, 10, 20, false, o.timeout_ms, &max_us);
	ck_assert_int_eq(log_count("counters: Redis", "warning"), 1);
	ck_assert_int_eq(log_count("OOM", NULL), 1);
	ck_assert_int_eq(rcmd("CONFIG SET maxmemory 0"), 0);
	ck_assert(wait_for(is_idle, 10000));
	send_mix(t, 30, 10, true, o.timeout_ms, &max_us);

	int dead = free_port();
	ck_assert_int_eq(rcmd("REPLICAOF 127.0.0.1 %d", dead), 0);
	send_mix(t, 40, 20, false, o.timeout_ms, &max_us);
	ck_assert_int_eq(log_count("counters: Redis", "warning"), 2);
	ck_assert_int_eq(log_count("READONLY", NULL), 1);
	ck_assert_int_eq(rcmd("REPLICAOF NO ONE"), 0);
	ck_assert(wait_for(is_idle, 10000));
	send_mix(t, 60, 10, true, o.timeout_ms, &max_us);
	ctr_stop();
	tally_verify(t, &o, "sm:");
	ck_assert_int_eq(log_count("takes writes again after", "info"), 2);
	tally_free(t);
}
END_TEST

/* A key holding something else: its increments are dropped (counted,
 * one warning), the batch's other keys are written. */
START_TEST(test_poisoned_key)
{
	redis_start();
	struct ctr_options o;
	opts(&o, 2000);
	ck_assert_int_eq(rcmd("SET sm:support@example.com:d:20240128:prio:high not-a-number"), 0);
	log_capture();
	ck_assert_int_eq(ctr_start(&o), 0);
	ck_assert(wait_for(is_up, 5000));
	struct tally *t = tally_new();
	long max_us = 0;
	send_mix(t, 0, 40, true, o.timeout_ms, &max_us);
	ck_assert(wait_for(is_idle, 5000));
	ctr_stop();
	struct ctr_stats st;
	ctr_get_stats(&st);
	/* Priority "high" is every 4th message, all on the 28th: 10 of 40. */
	ck_assert_int_eq(tally_get(t, "sm:support@example.com:d:20240128:prio:high"), 10);
	ck_assert_uint_eq(st.dropped_error, 10);
	ck_assert_uint_eq(st.batches, 40);
	ck_assert_int_eq(log_count("refused", "warning"), 1);
	ck_assert_int_eq(log_count("counters: Redis", "warning"), 1);   /* that one only */
	ck_assert_int_eq(rcmd("GET sm:support@example.com:d:20240128"), 20);
	ck_assert_int_eq(rcmd("GET sm:support@example.com:d:20240128:prio:normal"), 10);
	ck_assert_int_eq(rcmd("TTL sm:support@example.com:d:20240128:prio:high"), -1);   /* untouched */
	tally_free(t);
}
END_TEST

/* The backlog holds only backlog_size keys: the rest is dropped and
 * counted, one warning; what was kept is exact after Redis comes. */
START_TEST(test_backlog_overflow)
{
	redis_port = free_port();      /* nobody listens yet */
	struct ctr_options o;
	opts(&o, CTR_DEFAULT_TIMEOUT_MS);
	o.backlog_size = 100;
	log_capture();
	ck_assert_int_eq(ctr_start(&o), 0);
	struct tally *t = tally_new();
	long max_us = 0;
	/* Each message on a new day: 4 new keys (h, wh, d, prio); 25 fit. */
	for (int i = 0; i < 28; i++) {
		struct ev_spec s = { .y = 2024, .m = 2, .d = 1 + i, .h = i % 24, .prio = "normal" };
		struct ctr_event ev;
		long long v;
		ev_fill(&ev, &s);
		ck_assert(!count_timed(&ev, &v, o.timeout_ms, &max_us));
		if (i < 25)
			tally_event(t, &s, "sm:");
	}
	struct ctr_stats st;
	for (int w = 0; w < 200; w++) {
		ctr_get_stats(&st);
		if (st.queued == 0 && st.backlog_keys == 100 && st.dropped_backlog == 3)
			break;
		sleep_ms(5);
	}
	ck_assert_uint_eq(st.events, 28);
	ck_assert_uint_eq(st.dropped_backlog, 3);
	ck_assert_uint_eq(st.backlog_keys, 100);
	ck_assert_int_eq(log_count("backlog full", "warning"), 1);
	redis_start();
	ck_assert(wait_for(is_idle, 10000));
	ck_assert_int_eq(log_count("could not be counted", "info"), 1);
	ctr_stop();
	tally_verify(t, &o, "sm:");
	tally_free(t);
}
END_TEST

/* The queue holds queue_size messages while the thread is stuck in I/O. */
START_TEST(test_queue_overflow)
{
	redis_start();
	ck_assert_msg(rcmd("DEBUG SET-ACTIVE-EXPIRE 1") == 0, "DEBUG is not enabled in this redis-server");
	struct ctr_options o;
	opts(&o, CTR_DEFAULT_TIMEOUT_MS);
	o.queue_size = 5;
	o.io_timeout_ms = 5000;
	log_capture();
	ck_assert_int_eq(ctr_start(&o), 0);
	ck_assert(wait_for(is_up, 5000));
	struct sleeper sl = { .seconds = 1 };
	pthread_t th;
	ck_assert_int_eq(pthread_create(&th, NULL, sleeper_main, &sl), 0);
	sleep_ms(100);
	struct tally *t = tally_new();
	struct ev_spec s;
	struct ctr_event ev;
	ev_mix(&s, 0);
	ev_fill(&ev, &s);
	/* It waits for its count, so the thread sends it at once (not held)
	 * and blocks on Redis. */
	long long v;
	ck_assert(!ctr_count(&ev, &v));
	tally_event(t, &s, "sm:");
	sleep_ms(100);
	for (int i = 0; i < 12; i++) {
		ck_assert(!ctr_count(&ev, NULL));
		if (i < 5)
			tally_event(t, &s, "sm:");
	}
	struct ctr_stats st;
	ctr_get_stats(&st);
	ck_assert_uint_eq(st.dropped_queue, 7);
	ck_assert_uint_eq(st.events, 6);
	pthread_join(th, NULL);
	ck_assert(wait_for(is_idle, 5000));
	ctr_stop();
	ck_assert_int_eq(log_count("queue full", "warning"), 1);
	ck_assert_int_eq(log_count("queue drained; 7 messages", "info"), 1);
	tally_verify(t, &o, "sm:");
	tally_free(t);
}
END_TEST

/* Reload: a new prefix takes effect; a new server is connected to;
 * switching off discards (and logs) nothing when all was written. */
START_TEST(test_reconfigure)
{
	redis_start();
	struct ctr_options o;
	opts(&o, 2000);
	log_capture();
	ck_assert_int_eq(ctr_start(&o), 0);
	ck_assert(wait_for(is_up, 5000));
	struct ev_spec s;
	struct ctr_event ev;
	long long v;
	ev_mix(&s, 0);
	ev_fill(&ev, &s);
	ck_assert(ctr_count(&ev, &v));
	o.key_prefix = "new:";
	ctr_reconfigure(&o);
	ck_assert(ctr_count(&ev, &v));
	ck_assert_int_eq(v, 1);
	ck_assert_int_eq(rcmd("GET new:support@example.com:h:2024012808"), 1);
	ck_assert_int_eq(rcmd("GET sm:support@example.com:h:2024012808"), 1);

	/* A second server. */
	redis_keep_aside();
	redis_start();
	o.server = server();
	ctr_reconfigure(&o);
	ck_assert(wait_for(is_up, 5000));
	ck_assert(ctr_count(&ev, &v));
	ck_assert_int_eq(v, 1);
	/* A bad reload keeps what runs. */
	struct ctr_options bad = o;
	bad.timeout_ms = -5;
	ctr_reconfigure(&bad);
	ck_assert(ctr_count(&ev, &v));
	ck_assert_int_eq(v, 2);
	/* Off. */
	o.server = "";
	ctr_reconfigure(&o);
	ck_assert(!ctr_count(&ev, &v));
	ctr_stop();
	ck_assert_int_eq(log_count("warning", NULL), 0);
	ck_assert_int_eq(log_count("keeping the previous", NULL), 1);
}
END_TEST

/* cmdstat_eval's calls in INFO commandstats (0 before the first EVAL). */
static long long eval_calls(void)
{
	redisContext *c = rc_open();
	ck_assert_ptr_nonnull(c);
	redisReply *r = redisCommand(c, "INFO commandstats");
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(r->type, REDIS_REPLY_STRING);
	long long n = 0;
	const char *p = strstr(r->str, "cmdstat_eval:calls=");
	if (p != NULL)
		n = strtoll(p + strlen("cmdstat_eval:calls="), NULL, 10);
	freeReplyObject(r);
	redisFree(c);
	return n;
}

/* Keys nobody waits for (ctr_end's verdict, ctr_cancel's take-back, and a
 * ctr_begin's arrival until its ctr_end wants the count) ride along with
 * the round the next waiting ctr_end asks for: one message, one EVAL (not
 * two), and every counter still exact. */
START_TEST(test_hold_rides_along)
{
	redis_start();
	struct ctr_options o;
	opts(&o, 2000);
	log_capture();
	ck_assert_int_eq(ctr_start(&o), 0);
	ck_assert(wait_for(is_up, 5000));
	struct tally *t = tally_new();
	long long hour_seen[2][3] = { { 0 } };
	enum { N = 120 };
	long long evals0 = eval_calls();
	for (int i = 0; i < N; i++) {
		struct ev_spec s;
		struct ctr_event ev;
		ev_mix(&s, i);
		ev_fill(&ev, &s);
		struct ctr_pending *p = ctr_begin(&ev);
		ck_assert_ptr_nonnull(p);
		/* The body, then the gap to the next message: each longer than
		 * a round trip (so that nothing rides along by chance), far
		 * shorter than the hold. */
		sleep_ms(2);
		if (i % 10 == 9) {
			ctr_cancel(p);
		} else {
			long long v = 0;
			ck_assert_msg(ctr_end(p, &ev, &v), "message %d not answered", i);
			ck_assert_int_eq(v, ++hour_seen[s.d - 28][s.h - 8]);
			tally_event(t, &s, "sm:");
		}
		sleep_ms(2);
	}
	ctr_stop();
	long long evals = eval_calls() - evals0;
	printf("test_hold_rides_along: %lld EVALs for %d messages\n", evals, N);
	/* Each answered message's ctr_end waits for one round: at least
	 * N - N/10 (a cancelled message waits for nothing).  Without holding,
	 * each ctr_begin, ctr_end and ctr_cancel would cost one: about 2N.  A
	 * few holds may run out on a loaded machine. */
	ck_assert_int_ge(evals, N - N / 10);
	ck_assert_msg(evals <= N + N / 4, "%lld EVALs for %d messages", evals, N);
	tally_verify(t, &o, "sm:");
	ck_assert_int_eq(log_count("warning", NULL), 0);
	tally_free(t);
}
END_TEST

/* A key nobody waits for, alone, is held (not written at once) but
 * reaches Redis within CTR_HOLD_MS plus scheduling; so does a take-back. */
START_TEST(test_hold_bounded)
{
	redis_start();
	struct ctr_options o;
	opts(&o, 2000);
	ck_assert_int_eq(ctr_start(&o), 0);
	ck_assert(wait_for(is_up, 5000));
	ck_assert(wait_for(is_idle, 5000));
	struct ev_spec s;
	struct ctr_event ev;
	ev_mix(&s, 1);
	ev_fill(&ev, &s);
	char key[CTR_KEY_MAX];
	ck_assert_int_gt(ctr_key_hour(key, sizeof(key), "sm:", ADDR, s.y, s.m, s.d, s.h), 0);
	const long bound_ms = CTR_HOLD_MS + 1500;   /* shared machines, sanitizer builds */
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert(!ctr_count(&ev, NULL));
	/* The thread took it after t0: it cannot be in Redis before t0 + hold. */
	long long v;
	int looked = 0;
	for (;;) {
		v = rcmd("GET %s", key);
		if (elapsed_us(&t0) >= CTR_HOLD_MS * 1000L * 3 / 4)
			break;
		ck_assert_msg(v == -1, "%s = %lld %ld us after ctr_count: not held", key, v,
		              elapsed_us(&t0));
		looked++;
		sleep_ms(5);
	}
	while ((v = rcmd("GET %s", key)) != 1 && elapsed_us(&t0) < bound_ms * 1000L)
		sleep_ms(5);
	long us = elapsed_us(&t0);
	ck_assert_msg(v == 1, "%s = %lld %ld ms after ctr_count", key, v, bound_ms);
	printf("test_hold_bounded: held key absent in %d looks, in Redis after %ld us (hold %d ms)\n",
	       looked, us, CTR_HOLD_MS);

	/* A ctr_begin nobody collects is held the same way; its ctr_cancel
	 * is held, then taken back. */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	struct ctr_pending *p = ctr_begin(&ev);
	ck_assert_ptr_nonnull(p);
	while ((v = rcmd("GET %s", key)) != 2 && elapsed_us(&t0) < bound_ms * 1000L)
		sleep_ms(5);
	ck_assert_msg(v == 2, "%s = %lld %ld ms after ctr_begin", key, v, bound_ms);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ctr_cancel(p);
	while ((v = rcmd("GET %s", key)) != 1 && elapsed_us(&t0) < bound_ms * 1000L)
		sleep_ms(5);
	ck_assert_msg(v == 1, "%s = %lld %ld ms after ctr_cancel", key, v, bound_ms);
	ck_assert(wait_for(is_idle, 5000));
	ctr_stop();
}
END_TEST

/* Messages being received do not cost a round each: their arrivals wait
 * for the round that the first ctr_end asks for, and the others find
 * their count there.  The ctr_begin calls are further apart than a round
 * trip, so that sending each at once would show as one EVAL each. */
START_TEST(test_arrivals_share_round)
{
	redis_start();
	struct ctr_options o;
	opts(&o, 2000);
	log_capture();
	ck_assert_int_eq(ctr_start(&o), 0);
	ck_assert(wait_for(is_up, 5000));
	ck_assert(wait_for(is_idle, 5000));
	enum { K = 5 };
	struct ctr_pending *p[K];
	struct ev_spec s[K];
	struct ctr_event ev[K];
	long long evals0 = eval_calls();
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < K; i++) {
		ev_mix(&s[i], 7);   /* the same hour: the counts are 1..K */
		ev_fill(&ev[i], &s[i]);
		p[i] = ctr_begin(&ev[i]);
		ck_assert_ptr_nonnull(p[i]);
		sleep_ms(3);
	}
	long long evals_begun = eval_calls() - evals0;
	for (int i = 0; i < K; i++) {
		long long v = 0;
		ck_assert_msg(ctr_end(p[i], &ev[i], &v), "message %d not answered", i);
		ck_assert_int_eq(v, i + 1);
	}
	long long evals = eval_calls() - evals0;
	long us = elapsed_us(&t0);
	printf("test_arrivals_share_round: %lld EVALs before the first ctr_end, %lld after the last "
	       "(%ld us, hold %d ms)\n", evals_begun, evals, us, CTR_HOLD_MS);
	/* Within the hold nothing went before the first ctr_end, and one
	 * round answered all K; a machine stalled past the hold may have let
	 * the held arrivals go by the clock, still as one round. */
	if (us < CTR_HOLD_MS * 1000L) {
		ck_assert_int_eq(evals_begun, 0);
		ck_assert_int_eq(evals, 1);
	} else {
		ck_assert_int_le(evals, 2);
	}
	ctr_stop();
	char key[CTR_KEY_MAX];
	ck_assert_int_gt(ctr_key_hour(key, sizeof(key), "sm:", ADDR, s[0].y, s[0].m, s[0].d, s[0].h), 0);
	ck_assert_int_eq(rcmd("GET %s", key), K);
	ck_assert_int_eq(log_count("warning", NULL), 0);
}
END_TEST

START_TEST(test_print_max_wait)
{
	printf("counters: longest ctr_count over all tests %ld us; longest beyond its timeout_ms "
	       "%ld us (allowed: %ld ms)\n", max_wait_seen_us, max_over_us, slack_ms);
}
END_TEST

static Suite *make_suite(void)
{
	redis_bin = getenv("REDIS_SERVER");
	if (redis_bin == NULL || *redis_bin == '\0' || access(redis_bin, X_OK) != 0) {
		fprintf(stderr, "SKIP: REDIS_SERVER is not set to a redis-server\n");
		exit(77);
	}
	if (getenv("CTR_TEST_SLACK_MS") != NULL)
		slack_ms = strtol(getenv("CTR_TEST_SLACK_MS"), NULL, 10);
	signal(SIGPIPE, SIG_IGN);
	log_open("test_counters", true, LOG_MAIL);
	log_set_level(LOG_LEVEL_INFO);
	setvbuf(stdout, NULL, _IONBF, 0);

	Suite *s = suite_create("counters");
	TCase *tc = tcase_create("keys");
	tcase_add_test(tc, test_dates);
	tcase_add_test(tc, test_keys);
	tcase_add_test(tc, test_parse_server);
	tcase_add_test(tc, test_options);
	suite_add_tcase(s, tc);

	tc = tcase_create("redis");
	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_off);
	tcase_add_test(tc, test_exact_sequential);
	tcase_add_test(tc, test_two_step);
	tcase_add_test(tc, test_exact_threads);
	tcase_add_test(tc, test_unix_socket);
	tcase_add_test(tc, test_kill_restart);
	tcase_add_test(tc, test_slow);
	tcase_add_test(tc, test_wrong_password);
	tcase_add_test(tc, test_refusing);
	tcase_add_test(tc, test_poisoned_key);
	tcase_add_test(tc, test_backlog_overflow);
	tcase_add_test(tc, test_queue_overflow);
	tcase_add_test(tc, test_reconfigure);
	tcase_add_test(tc, test_hold_rides_along);
	tcase_add_test(tc, test_hold_bounded);
	tcase_add_test(tc, test_arrivals_share_round);
	tcase_add_test(tc, test_print_max_wait);
	suite_add_tcase(s, tc);
	return s;
}

#include "check_main.h"
