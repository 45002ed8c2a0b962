/*
 * test_ratelimit_redis: the per-sender limit against a throw-away
 * redis-server on a free loopback port (with a password, so AUTH is
 * exercised): SET NX EX semantics, key name and TTL, a second MTA
 * sharing the Redis, SELECT, a wrong password, Redis going away and
 * coming back, release.
 *
 * Its own main(): when no redis-server can be found (REDIS_SERVER, then
 * /usr/bin and /usr/sbin) it prints why and exits 77, which automake
 * reports as SKIP, so a missing server is visible and never a pass.
 */
#include "autoconfig.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "ratelimit.h"

#define PASSWORD "t3st-secret"

static const char *server_bin;
static char tmpdir[64];
static int port;
static pid_t server_pid = -1;
static char server_addr[64];

static int free_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return ntohs(sa.sin_port);
}

static redisContext *admin(void)
{
	struct timeval tv = { 1, 0 };
	redisContext *c = redisConnectWithTimeout("127.0.0.1", port, tv);
	if (c == NULL || c->err != 0) {
		if (c != NULL)
			redisFree(c);
		return NULL;
	}
	redisReply *r = redisCommand(c, "AUTH %s", PASSWORD);
	if (r != NULL)
		freeReplyObject(r);
	return c;
}

static int server_start(void)
{
	char portstr[16];
	snprintf(portstr, sizeof(portstr), "%d", port);
	server_pid = fork();
	if (server_pid < 0)
		return -1;
	if (server_pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		if (null >= 0) {
			dup2(null, 1);
			dup2(null, 2);
		}
		execl(server_bin, server_bin, "--port", portstr, "--bind", "127.0.0.1", "--save", "",
		      "--appendonly", "no", "--dir", tmpdir, "--requirepass", PASSWORD, "--databases", "16",
		      (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 100; i++) {
		redisContext *c = admin();
		if (c != NULL) {
			redisReply *r = redisCommand(c, "PING");
			bool ok = r != NULL && r->type == REDIS_REPLY_STATUS;
			if (r != NULL)
				freeReplyObject(r);
			redisFree(c);
			if (ok)
				return 0;
		}
		struct timespec ts = { 0, 50 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	return -1;
}

static void server_stop(void)
{
	if (server_pid <= 0)
		return;
	kill(server_pid, SIGTERM);
	waitpid(server_pid, NULL, 0);
	server_pid = -1;
}

static struct ratelimit *mk(const char *password, long db, const char *prefix)
{
	struct ratelimit_options o = {
		.period = 3600, .senders = 100, .redis_server = server_addr, .redis_password = password,
		.redis_database = db, .redis_timeout_ms = 500, .redis_key_prefix = prefix,
	};
	struct ratelimit *rl = ratelimit_new(&o);
	ck_assert_ptr_nonnull(rl);
	return rl;
}

static long long ttl(long db, const char *key)
{
	redisContext *c = admin();
	ck_assert_ptr_nonnull(c);
	redisReply *r = redisCommand(c, "SELECT %ld", db);
	freeReplyObject(r);
	r = redisCommand(c, "TTL %s", key);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(r->type, REDIS_REPLY_INTEGER);
	long long v = r->integer;
	freeReplyObject(r);
	redisFree(c);
	return v;
}

START_TEST(set_nx)
{
	time_t now = time(NULL);
	struct ratelimit *rl = mk(PASSWORD, 0, "t1:");
	ck_assert_int_eq(ratelimit_check(rl, "a@x.dk", now), RATELIMIT_OK);
	ck_assert(ratelimit_used_redis(rl));
	long long t = ttl(0, "t1:autoreply:a@x.dk");
	ck_assert_int_gt(t, 3500);
	ck_assert_int_le(t, 3600);
	ck_assert_int_eq(ratelimit_check(rl, "a@x.dk", now), RATELIMIT_SENDER);
	/* a second MTA sharing the Redis: its own memory is empty */
	struct ratelimit *other = mk(PASSWORD, 0, "t1:");
	ck_assert_int_eq(ratelimit_check(other, "a@x.dk", now), RATELIMIT_SENDER);
	ck_assert(ratelimit_used_redis(other));
	ck_assert_int_eq(ratelimit_check(other, "b@x.dk", now), RATELIMIT_OK);
	ck_assert_int_eq(ratelimit_check(rl, "b@x.dk", now), RATELIMIT_SENDER);
	/* another prefix is another namespace */
	struct ratelimit *third = mk(PASSWORD, 0, "t2:");
	ck_assert_int_eq(ratelimit_check(third, "a@x.dk", now), RATELIMIT_OK);
	ratelimit_free(third);
	ratelimit_free(other);
	ratelimit_free(rl);
}
END_TEST

START_TEST(select_db)
{
	time_t now = time(NULL);
	struct ratelimit *rl = mk(PASSWORD, 5, "db:");
	ck_assert_int_eq(ratelimit_check(rl, "a@x.dk", now), RATELIMIT_OK);
	ck_assert(ratelimit_used_redis(rl));
	ck_assert_int_gt(ttl(5, "db:autoreply:a@x.dk"), 0);
	ck_assert_int_eq(ttl(0, "db:autoreply:a@x.dk"), -2);  /* not in db 0 */
	ratelimit_free(rl);
}
END_TEST

START_TEST(wrong_password)
{
	time_t now = time(NULL);
	struct ratelimit *rl = mk("wrong", 0, "pw:");
	ck_assert_int_eq(ratelimit_check(rl, "a@x.dk", now), RATELIMIT_OK);
	ck_assert(!ratelimit_used_redis(rl));
	ck_assert_int_eq(ttl(0, "pw:autoreply:a@x.dk"), -2);
	ck_assert_int_eq(ratelimit_check(rl, "a@x.dk", now), RATELIMIT_SENDER);  /* memory */
	ratelimit_free(rl);
}
END_TEST

START_TEST(release)
{
	time_t now = time(NULL);
	struct ratelimit *rl = mk(PASSWORD, 0, "rel:");
	ck_assert_int_eq(ratelimit_check(rl, "a@x.dk", now), RATELIMIT_OK);
	ratelimit_release(rl, "a@x.dk");
	ck_assert_int_eq(ttl(0, "rel:autoreply:a@x.dk"), -2);
	ck_assert_int_eq(ratelimit_check(rl, "a@x.dk", now), RATELIMIT_OK);
	ratelimit_free(rl);
}
END_TEST

/* Redis dies: memory decides; it comes back: used again after the retry
 * delay (the clock is the caller's, so no sleeping). */
START_TEST(redis_goes_away)
{
	time_t now = time(NULL);
	struct ratelimit *rl = mk(PASSWORD, 0, "away:");
	ck_assert_int_eq(ratelimit_check(rl, "a@x.dk", now), RATELIMIT_OK);
	ck_assert(ratelimit_used_redis(rl));
	server_stop();
	ck_assert_int_eq(ratelimit_check(rl, "b@x.dk", now), RATELIMIT_OK);
	ck_assert(!ratelimit_used_redis(rl));
	ck_assert_int_eq(ratelimit_check(rl, "b@x.dk", now), RATELIMIT_SENDER);
	ck_assert_int_eq(ratelimit_check(rl, "a@x.dk", now), RATELIMIT_SENDER);
	ck_assert_int_eq(server_start(), 0);
	/* within the retry delay: no reconnect yet */
	ck_assert_int_eq(ratelimit_check(rl, "c@x.dk", now + 1), RATELIMIT_OK);
	ck_assert(!ratelimit_used_redis(rl));
	ck_assert_int_eq(ratelimit_check(rl, "d@x.dk", now + RATELIMIT_RETRY + 1), RATELIMIT_OK);
	ck_assert(ratelimit_used_redis(rl));
	ck_assert_int_gt(ttl(0, "away:autoreply:d@x.dk"), 0);
	ratelimit_free(rl);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("ratelimit_redis");
	TCase *tc = tcase_create("redis");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, set_nx);
	tcase_add_test(tc, select_db);
	tcase_add_test(tc, wrong_password);
	tcase_add_test(tc, release);
	tcase_add_test(tc, redis_goes_away);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	static const char *const candidates[] = { "/usr/bin/redis-server", "/usr/sbin/redis-server",
	                                          "/usr/local/bin/redis-server" };
	const char *env = getenv("REDIS_SERVER");
	if (env != NULL && env[0] != '\0' && access(env, X_OK) == 0)
		server_bin = env;
	for (size_t i = 0; server_bin == NULL && i < sizeof(candidates) / sizeof(candidates[0]); i++)
		if (access(candidates[i], X_OK) == 0)
			server_bin = candidates[i];
	if (server_bin == NULL) {
		printf("SKIP: no redis-server (set REDIS_SERVER or install redis-server)\n");
		return 77;
	}
	strcpy(tmpdir, "/tmp/test_ratelimit_redis.XXXXXX");
	if (mkdtemp(tmpdir) == NULL || (port = free_port()) < 0) {
		perror("setup");
		return 99;
	}
	snprintf(server_addr, sizeof(server_addr), "127.0.0.1:%d", port);
	if (server_start() < 0) {
		printf("ERROR: %s did not start on port %d\n", server_bin, port);
		server_stop();
		rmdir(tmpdir);
		return 99;
	}
	printf("redis-server %s on %s\n", server_bin, server_addr);
	SRunner *sr = srunner_create(make_suite());
	srunner_set_fork_status(sr, CK_NOFORK);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	server_stop();
	rmdir(tmpdir);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
