/*
 * Unit tests: mlfi_setup sets TCP_NODELAY on libmilter's listening TCP
 * socket, and connections accepted on it inherit the option (what keeps
 * the several replies at end of message from waiting for delayed ACKs).
 * The test accepts one connection itself instead of running smfi_main.
 */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "mlfi.h"

/* libmilter's listening socket: the one IPv4 socket in listening state. */
static int find_listener(void)
{
	for (int fd = 0; fd < 1024; fd++) {
		int v = 0;
		socklen_t len = sizeof(v);
		if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &v, &len) != 0 || v == 0)
			continue;
		len = sizeof(v);
		if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &v, &len) == 0 && v == AF_INET)
			return fd;
	}
	return -1;
}

static int nodelay_of(int fd)
{
	int v = -1;
	socklen_t len = sizeof(v);
	ck_assert_int_eq(getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &v, &len), 0);
	return v;
}

START_TEST(test_nodelay_on_accepted_connections)
{
	log_open("test_mlfi", true, 0);
	/* Bad: an address this host does not have cannot be bound.  In a
	 * child: libmilter keeps the first smfi_setconn/smfi_register copies
	 * when called again (a leak the sanitizers would report here). */
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		_exit(mlfi_setup("inet:1@192.0.2.1", 10) == -1 && find_listener() == -1 ? 0 : 1);
	int status = 0;
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ck_assert_int_eq(find_listener(), -1);

	/* Good: loopback, a port the kernel picks. */
	ck_assert_int_eq(mlfi_setup("inet:0@127.0.0.1", 10), 0);
	int lfd = find_listener();
	ck_assert_int_ge(lfd, 0);
	ck_assert_int_eq(nodelay_of(lfd), 1);

	struct sockaddr_in sin;
	socklen_t slen = sizeof(sin);
	ck_assert_int_eq(getsockname(lfd, (struct sockaddr *)&sin, &slen), 0);
	int cfd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(cfd, 0);
	ck_assert_int_eq(connect(cfd, (struct sockaddr *)&sin, slen), 0);
	int afd = accept(lfd, NULL, NULL);
	ck_assert_int_ge(afd, 0);
	ck_assert_int_eq(nodelay_of(afd), 1); /* inherited from the listener */
	ck_assert_int_eq(nodelay_of(cfd), 0); /* the client's own default */
	close(afd);
	close(cfd);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("mlfi");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_nodelay_on_accepted_connections);
	suite_add_tcase(s, tc);
	return s;
}

#include "check_main.h"
