/*
 * null-milter: the do-nothing libmilter milter the benchmarks compare
 * support-milter with.
 *
 *   null-milter [-H | -L] SOCKET   e.g. inet:8899@127.0.0.1 or unix:/tmp/n.sock
 *
 * It registers every callback and answers CONTINUE to each (ACCEPT at
 * end of message), and it has no negotiate callback: libmilter then asks
 * the MTA for every event with a reply to each, which is what a naive
 * milter costs before it does any work.  Like support-milter it declares
 * that it may add and change headers (it never does).  It leaves
 * TCP_NODELAY alone, as libmilter does: a one-packet reply is not
 * delayed by Nagle, and that is all it ever sends.
 *
 * -H: a do-nothing milter that tags: at end of message it adds eight
 * header fields of the length of support-milter's, so the bench can tell
 * what the MTA's header edits cost apart from the analysis.  It then sends
 * nine replies at once and sets TCP_NODELAY on its listening socket as
 * support-milter does (else each waits for a delayed ACK).
 *
 * -L: the floor for a milter that reads the whole message and tags it:
 * -H, plus support-milter's protocol economy (mlfi_protocol.h: no
 * connect, HELO or unknown-command events, no replies to MAIL, RCPT,
 * headers, end of headers and body chunks, only the "i" macro).  What
 * support-milter costs beyond this is its analysis and its Redis
 * counting.
 *
 * Runs in the foreground until SIGTERM/SIGINT/SIGHUP (libmilter's own
 * handling); exit status 0 after a clean stop, 1 when the socket cannot
 * be opened.
 */
#include "autoconfig.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <libmilter/mfapi.h>

#include "mlfi_protocol.h"

static bool add_headers, lean;

static unsigned long lean_protocol; /* negotiated; the same for every connection */

/* -L: what support-milter asks for (mlfi_protocol.h, mlfi_negotiate). */
static sfsistat lean_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
                               unsigned long f2, unsigned long f3, unsigned long *pf0,
                               unsigned long *pf1, unsigned long *pf2, unsigned long *pf3)
{
	(void)f2;
	(void)f3;
	*pf0 = f0 & MLFI_WANTED_ACTIONS;
	*pf1 = f1 & MLFI_WANTED_PROTOCOL;
	*pf2 = 0;
	*pf3 = 0;
	lean_protocol = *pf1;
	if (*pf0 & SMFIF_SETSYMLIST)
		mlfi_ask_for_macros(ctx);
	return SMFIS_CONTINUE;
}

static sfsistat lean_reply(unsigned long nr_flag)
{
	return lean && (lean_protocol & nr_flag) ? SMFIS_NOREPLY : SMFIS_CONTINUE;
}

static sfsistat null_connect(SMFICTX *ctx, char *host, _SOCK_ADDR *addr)
{
	(void)ctx;
	(void)host;
	(void)addr;
	return SMFIS_CONTINUE;
}

static sfsistat null_helo(SMFICTX *ctx, char *name)
{
	(void)ctx;
	(void)name;
	return SMFIS_CONTINUE;
}

static sfsistat null_envfrom(SMFICTX *ctx, char **argv)
{
	(void)ctx;
	(void)argv;
	return lean_reply(SMFIP_NR_MAIL);
}

static sfsistat null_envrcpt(SMFICTX *ctx, char **argv)
{
	(void)ctx;
	(void)argv;
	return lean_reply(SMFIP_NR_RCPT);
}

static sfsistat null_header(SMFICTX *ctx, char *name, char *value)
{
	(void)ctx;
	(void)name;
	(void)value;
	return lean_reply(SMFIP_NR_HDR);
}

static sfsistat null_body(SMFICTX *ctx, unsigned char *chunk, size_t len)
{
	(void)ctx;
	(void)chunk;
	(void)len;
	return lean_reply(SMFIP_NR_BODY);
}

static sfsistat null_unknown(SMFICTX *ctx, const char *cmd)
{
	(void)ctx;
	(void)cmd;
	return SMFIS_CONTINUE;
}

static sfsistat null_event(SMFICTX *ctx)
{
	(void)ctx;
	return SMFIS_CONTINUE;
}

static sfsistat null_eoh(SMFICTX *ctx)
{
	(void)ctx;
	return lean_reply(SMFIP_NR_EOH);
}

static sfsistat null_eom(SMFICTX *ctx)
{
	static const char *const fields[][2] = {
		{ "X-Null-Priority", "normal" },
		{ "X-Null-Scope", "in-scope" },
		{ "X-Null-Missing", "user, employee-name, screenshot" },
		{ "X-Null-Screenshot", "yes (image/png 1280x720)" },
		{ "X-Null-Hours", "open" },
		{ "X-Null-Peak", "yes" },
		{ "X-Null-Load", "42" },
		{ "X-Null-Triage", "null-milter/1; rules=000000000000; fired=LOCATION, REASON, EMP_DATE" },
	};
	for (size_t i = 0; add_headers && i < sizeof(fields) / sizeof(fields[0]); i++)
		(void)smfi_addheader(ctx, (char *)fields[i][0], (char *)fields[i][1]);
	return SMFIS_ACCEPT;
}

/* As support-milter's mlfi.c does: the listening TCP socket gets
 * TCP_NODELAY, which accepted sockets inherit. */
static void nodelay_on_listeners(void)
{
	for (int fd = 0; fd < 1024; fd++) {
		int v = 0, one = 1;
		socklen_t len = sizeof(v);
		if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &v, &len) != 0 || v == 0)
			continue;
		len = sizeof(v);
		if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &v, &len) == 0 && (v == AF_INET || v == AF_INET6))
			(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	}
}

static struct smfiDesc null_desc = {
	.xxfi_name = "null-milter",
	.xxfi_version = SMFI_VERSION,
	.xxfi_flags = SMFIF_ADDHDRS | SMFIF_CHGHDRS,
	.xxfi_connect = null_connect,
	.xxfi_helo = null_helo,
	.xxfi_envfrom = null_envfrom,
	.xxfi_envrcpt = null_envrcpt,
	.xxfi_header = null_header,
	.xxfi_eoh = null_eoh,
	.xxfi_body = null_body,
	.xxfi_eom = null_eom,
	.xxfi_abort = null_event,
	.xxfi_close = null_event,
	.xxfi_unknown = null_unknown,
	.xxfi_data = null_event,
};

int main(int argc, char **argv)
{
	if (argc == 3 && (strcmp(argv[1], "-H") == 0 || strcmp(argv[1], "-L") == 0)) {
		add_headers = true;
		lean = argv[1][1] == 'L';
		argv++;
		argc--;
	}
	if (argc != 2) {
		fprintf(stderr, "usage: null-milter [-H | -L] SOCKET\n");
		return 64;
	}
	if (lean) {
		null_desc.xxfi_negotiate = lean_negotiate;
	}
	if (smfi_setconn(argv[1]) != MI_SUCCESS || smfi_register(null_desc) != MI_SUCCESS ||
	    smfi_opensocket(true) != MI_SUCCESS) {
		fprintf(stderr, "null-milter: cannot listen on %s\n", argv[1]);
		return 1;
	}
	if (add_headers)
		nodelay_on_listeners();
	return smfi_main() == MI_SUCCESS ? 0 : 1;
}
