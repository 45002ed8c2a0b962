/*
 * null-milter: the do-nothing libmilter milter the benchmarks compare
 * support-milter with.
 *
 *   null-milter SOCKET        e.g. inet:8899@127.0.0.1 or unix:/tmp/n.sock
 *
 * It registers every callback and answers CONTINUE to each (ACCEPT at
 * end of message), and it has no negotiate callback: libmilter then asks
 * the MTA for every event with a reply to each, which is what a naive
 * milter costs before it does any work.  Like support-milter it declares
 * that it may add and change headers (it never does).  It leaves
 * TCP_NODELAY alone, as libmilter does: a one-packet reply is not
 * delayed by Nagle, and that is all it ever sends.
 *
 * Runs in the foreground until SIGTERM/SIGINT/SIGHUP (libmilter's own
 * handling); exit status 0 after a clean stop, 1 when the socket cannot
 * be opened.
 */
#include "autoconfig.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include <libmilter/mfapi.h>

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

static sfsistat null_argv(SMFICTX *ctx, char **argv)
{
	(void)ctx;
	(void)argv;
	return SMFIS_CONTINUE;
}

static sfsistat null_header(SMFICTX *ctx, char *name, char *value)
{
	(void)ctx;
	(void)name;
	(void)value;
	return SMFIS_CONTINUE;
}

static sfsistat null_body(SMFICTX *ctx, unsigned char *chunk, size_t len)
{
	(void)ctx;
	(void)chunk;
	(void)len;
	return SMFIS_CONTINUE;
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

static sfsistat null_eom(SMFICTX *ctx)
{
	(void)ctx;
	return SMFIS_ACCEPT;
}

static struct smfiDesc null_desc = {
	.xxfi_name = "null-milter",
	.xxfi_version = SMFI_VERSION,
	.xxfi_flags = SMFIF_ADDHDRS | SMFIF_CHGHDRS,
	.xxfi_connect = null_connect,
	.xxfi_helo = null_helo,
	.xxfi_envfrom = null_argv,
	.xxfi_envrcpt = null_argv,
	.xxfi_header = null_header,
	.xxfi_eoh = null_event,
	.xxfi_body = null_body,
	.xxfi_eom = null_eom,
	.xxfi_abort = null_event,
	.xxfi_close = null_event,
	.xxfi_unknown = null_unknown,
	.xxfi_data = null_event,
};

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: null-milter SOCKET\n");
		return 64;
	}
	if (smfi_setconn(argv[1]) != MI_SUCCESS || smfi_register(null_desc) != MI_SUCCESS ||
	    smfi_opensocket(true) != MI_SUCCESS) {
		fprintf(stderr, "null-milter: cannot listen on %s\n", argv[1]);
		return 1;
	}
	return smfi_main() == MI_SUCCESS ? 0 : 1;
}
