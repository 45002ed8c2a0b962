/*
 * mlfi: libmilter callbacks (see mlfi.h).
 *
 * Protocol economy: we ask the MTA not to send what we never use
 * (connect, HELO, unknown commands) and not to wait for our reply where
 * we always continue (MAIL, RCPT, each header, end of headers, body
 * chunks), and to send only the one macro we read (the queue id) with
 * each event (mlfi_protocol.h).  Mail with no support recipient is
 * accepted at DATA, so the MTA sends neither its headers nor its body.
 * When an MTA does not offer a no-reply option we fall back to replying
 * CONTINUE.  SMFIP_SKIP is not
 * used: skipping the rest of the body needs a reply to every body chunk
 * (a round trip each, where NR_BODY has none), and the analysis needs the
 * whole body anyway, since a later part may hold the text or the
 * screenshot.
 *
 * Per connection: a small struct holding the negotiated options and the
 * current message's session.  A session lives from MAIL to end of message
 * or abort.
 *
 * Latency: the TCP listening socket gets TCP_NODELAY (see
 * set_nodelay_on_listeners), or every end of message over TCP waits
 * ~40 ms for a delayed ACK.
 *
 * Shutdown: smfi_main returns when libmilter's listener stops, but its
 * worker threads are not joined and may still be inside our callbacks,
 * or enter them later for connections they already hold.  So every
 * callback that analyses (and so reaches the snapshot, the counters
 * queue, the reply queue or libmagic) passes a gate, and mlfi_run closes
 * the gate and waits, at most MLFI_DRAIN_SECONDS, until no callback is
 * inside before it returns and main tears those modules down.  A
 * callback that finds the gate closed lets its message pass unanalysed
 * (our prefixed headers are still removed at end of message): it only
 * touches the session's own memory, which teardown never frees.
 */
#include "autoconfig.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <libmilter/mfapi.h>

#include "hdr.h"
#include "log.h"
#include "mlfi.h"
#include "mlfi_protocol.h"
#include "session.h"
#include "snapshot.h"

struct mlfi_conn {
	unsigned long protocol;   /* negotiated SMFIP_* */
	struct session *session;
};

/* ------------------------------------------------------------- the gate */

/* Longest wait for callbacks still analysing at shutdown: above the
 * slowest callback we make (end of message: rules under their match
 * limit, a Redis round trip under RedisTimeout, libmagic on a bounded
 * prefix), and well below what a service manager allows for a stop. */
#define MLFI_DRAIN_SECONDS 10

/* Sequentially consistent: a callback counts itself in before it looks
 * at gate_closed, and the drain closes the gate before it reads
 * gate_active, so a callback that found the gate open is always seen
 * by the drain. */
static atomic_uint gate_active;
static atomic_bool gate_closed;

/* true: the caller may analyse and must call gate_leave() when done;
 * false: shutting down, the message passes unanalysed. */
static bool gate_enter(void)
{
	atomic_fetch_add(&gate_active, 1);
	if (atomic_load(&gate_closed)) {
		atomic_fetch_sub(&gate_active, 1);
		return false;
	}
	return true;
}

static void gate_leave(void)
{
	atomic_fetch_sub(&gate_active, 1);
}

/* Closes the gate and waits (bounded) until no callback is analysing.
 * 0 when drained, -1 when callbacks are still inside at the deadline.
 * Polls: this runs once, at shutdown, and a condition variable would
 * put a mutex on every callback of every message instead. */
static int gate_drain(void)
{
	atomic_store(&gate_closed, true);
	struct timespec tick = { 0, 2 * 1000 * 1000 };
	for (long waited_ms = 0; atomic_load(&gate_active) > 0; waited_ms += 2) {
		if (waited_ms >= MLFI_DRAIN_SECONDS * 1000L)
			return -1;
		nanosleep(&tick, NULL);
	}
	return 0;
}

/* --------------------------------------------------------- the callbacks */

static struct mlfi_conn *conn_of(SMFICTX *ctx)
{
	struct mlfi_conn *c = smfi_getpriv(ctx);
	if (c == NULL) {
		c = calloc(1, sizeof(*c));
		if (c == NULL)
			return NULL;
		if (smfi_setpriv(ctx, c) != MI_SUCCESS) {
			free(c);
			return NULL;
		}
	}
	return c;
}

static sfsistat reply(const struct mlfi_conn *c, unsigned long nr_flag)
{
	return c != NULL && (c->protocol & nr_flag) ? SMFIS_NOREPLY : SMFIS_CONTINUE;
}

static void end_session(struct mlfi_conn *c)
{
	session_free(c->session);
	c->session = NULL;
}

static void take_qid(SMFICTX *ctx, struct session *s)
{
	if (session_qid(s) != NULL)
		return;
	const char *qid = smfi_getsymval(ctx, "i");
	if (qid != NULL)
		session_set_qid(s, qid);
}

static sfsistat mlfi_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
                               unsigned long f2, unsigned long f3, unsigned long *pf0,
                               unsigned long *pf1, unsigned long *pf2, unsigned long *pf3)
{
	(void)f2;
	(void)f3;
	struct mlfi_conn *c = conn_of(ctx);
	*pf0 = f0 & MLFI_WANTED_ACTIONS;
	*pf1 = f1 & MLFI_WANTED_PROTOCOL;
	*pf2 = 0;
	*pf3 = 0;
	if (c != NULL)
		c->protocol = *pf1;
	if (*pf0 & SMFIF_SETSYMLIST)
		mlfi_ask_for_macros(ctx);
	return SMFIS_CONTINUE;
}

static sfsistat mlfi_envfrom(SMFICTX *ctx, char **argv)
{
	struct mlfi_conn *c = conn_of(ctx);
	if (c == NULL) {
		log_err(NULL, "out of memory: message passes unanalysed");
		return SMFIS_ACCEPT;
	}
	end_session(c);
	/* Shutting down: not even a session (nothing pinned, nothing to
	 * finish); ACCEPT spares the MTA the rest of the message. */
	if (!gate_enter())
		return SMFIS_ACCEPT;
	struct snapshot *snap = snapshot_acquire();
	if (snap == NULL) {
		gate_leave();
		return SMFIS_ACCEPT;
	}
	c->session = session_new(snap);
	snapshot_release(snap);
	gate_leave();
	if (c->session == NULL) {
		log_err(NULL, "out of memory: message passes unanalysed");
		return SMFIS_ACCEPT;
	}
	take_qid(ctx, c->session);
	session_set_sender(c->session, argv != NULL && argv[0] != NULL ? argv[0] : "");
	return reply(c, SMFIP_NR_MAIL);
}

static sfsistat mlfi_envrcpt(SMFICTX *ctx, char **argv)
{
	struct mlfi_conn *c = smfi_getpriv(ctx);
	if (c == NULL || c->session == NULL)
		return reply(c, SMFIP_NR_RCPT);
	if (argv != NULL && argv[0] != NULL)
		session_add_rcpt(c->session, argv[0]);
	return reply(c, SMFIP_NR_RCPT);
}

static sfsistat mlfi_data(SMFICTX *ctx)
{
	struct mlfi_conn *c = smfi_getpriv(ctx);
	/* No support recipient: nothing to do, and nothing more to read. */
	if (c == NULL || c->session == NULL || !session_is_support(c->session)) {
		if (c != NULL)
			end_session(c);
		return SMFIS_ACCEPT;
	}
	take_qid(ctx, c->session);
	if (gate_enter()) {
		session_data(c->session);
		gate_leave();
	}
	return SMFIS_CONTINUE;
}

static sfsistat mlfi_header(SMFICTX *ctx, char *name, char *value)
{
	struct mlfi_conn *c = smfi_getpriv(ctx);
	if (c != NULL && c->session != NULL)
		session_header(c->session, name, value);
	return reply(c, SMFIP_NR_HDR);
}

static sfsistat mlfi_eoh(SMFICTX *ctx)
{
	struct mlfi_conn *c = smfi_getpriv(ctx);
	if (c != NULL && c->session != NULL) {
		take_qid(ctx, c->session);
		if (gate_enter()) {
			session_end_headers(c->session);
			gate_leave();
		}
	}
	return reply(c, SMFIP_NR_EOH);
}

static sfsistat mlfi_body(SMFICTX *ctx, unsigned char *chunk, size_t len)
{
	struct mlfi_conn *c = smfi_getpriv(ctx);
	/* The body is where attachments meet libmagic: not once the gate
	 * is closed. */
	if (c != NULL && c->session != NULL && gate_enter()) {
		session_body(c->session, chunk, len);
		gate_leave();
	}
	return reply(c, SMFIP_NR_BODY);
}

static sfsistat mlfi_eom(SMFICTX *ctx)
{
	struct mlfi_conn *c = smfi_getpriv(ctx);
	if (c == NULL || c->session == NULL)
		return SMFIS_ACCEPT;
	struct session *s = c->session;
	take_qid(ctx, s);
	bool analyse = gate_enter();
	if (analyse)
		session_finish(s);
	else
		log_info(session_qid(s), "shutting down: message passes unanalysed");

	/* Unanalysed, the removals still apply: the tracker saw every
	 * header, and a forged header of ours must not pass. */
	bool logged = false;
	struct hdr_removal rm;
	for (size_t i = 0; session_removal(s, i, &rm); i++) {
		if (smfi_chgheader(ctx, (char *)rm.name, rm.index, NULL) != MI_SUCCESS && !logged) {
			log_err(session_qid(s), "could not remove header %s[%d]", rm.name, rm.index);
			logged = true;
		}
	}
	const char *name, *value;
	for (size_t i = 0; session_add(s, i, &name, &value); i++) {
		if (smfi_addheader(ctx, (char *)name, (char *)value) != MI_SUCCESS && !logged) {
			log_err(session_qid(s), "could not add header %s", name);
			logged = true;
		}
	}
	if (analyse) {
		/* Off the mail path: the sender thread does the rest. */
		session_send_reply(s);
		gate_leave();
	}
	end_session(c);
	return SMFIS_ACCEPT;
}

static sfsistat mlfi_abort(SMFICTX *ctx)
{
	struct mlfi_conn *c = smfi_getpriv(ctx);
	if (c != NULL)
		end_session(c);
	return SMFIS_CONTINUE;
}

static sfsistat mlfi_close(SMFICTX *ctx)
{
	struct mlfi_conn *c = smfi_getpriv(ctx);
	if (c != NULL) {
		end_session(c);
		free(c);
		smfi_setpriv(ctx, NULL);
	}
	return SMFIS_CONTINUE;
}

static struct smfiDesc mlfi_desc = {
	.xxfi_name = "support-milter",
	.xxfi_version = SMFI_VERSION,
	.xxfi_flags = SMFIF_ADDHDRS | SMFIF_CHGHDRS,
	.xxfi_envfrom = mlfi_envfrom,
	.xxfi_envrcpt = mlfi_envrcpt,
	.xxfi_header = mlfi_header,
	.xxfi_eoh = mlfi_eoh,
	.xxfi_body = mlfi_body,
	.xxfi_eom = mlfi_eom,
	.xxfi_abort = mlfi_abort,
	.xxfi_close = mlfi_close,
	.xxfi_data = mlfi_data,
	.xxfi_negotiate = mlfi_negotiate,
};

/*
 * libmilter writes each reply with its own write(), and at end of message
 * we send several (one ADDHEADER per added header, CHGHEADER per removal,
 * then ACCEPT).  With Nagle's algorithm on, only the first small segment
 * leaves at once; the next waits until the MTA acknowledges it, and the
 * MTA's kernel delays that ACK (up to 40 ms on Linux) because the MTA,
 * still waiting for the final reply, sends nothing to piggyback it on.
 * Measured with milterload at K=16 over TCP: end-of-message p50 43.6 ms
 * without TCP_NODELAY, well under 1 ms with it.
 *
 * libmilter does not set TCP_NODELAY and does not expose its sockets, so
 * after smfi_opensocket we find its listening socket and set the option
 * there; on Linux (and the BSDs) an accepted socket inherits it from the
 * listener.  The socket is one of the first descriptors of the process:
 * scanning the first 1024 finds it.  A listening TCP socket that already
 * existed before smfi_opensocket (none in support-milter) would get the
 * option too, harmlessly.  Failure only costs latency: logged, not fatal.
 */
#define MLFI_FD_SCAN 1024

static bool is_tcp_listener(int fd)
{
	int v = 0;
	socklen_t len = sizeof(v);
	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &v, &len) != 0 || v == 0)
		return false;
	len = sizeof(v);
	if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &v, &len) != 0 || (v != AF_INET && v != AF_INET6))
		return false;
	len = sizeof(v);
	return getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &len) == 0 && v == SOCK_STREAM;
}

static void set_nodelay_on_listeners(const char *socket)
{
	int found = 0;
	for (int fd = 0; fd < MLFI_FD_SCAN; fd++) {
		if (!is_tcp_listener(fd))
			continue;
		int one = 1;
		if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) != 0)
			log_warn(NULL, "cannot set TCP_NODELAY on %s: %s (replies may wait for delayed ACKs)",
			         socket, strerror(errno));
		else
			found++;
	}
	if (found == 0)
		log_warn(NULL, "no listening TCP socket found for %s: TCP_NODELAY not set", socket);
}

static bool is_tcp_socket_spec(const char *socket)
{
	return strncmp(socket, "inet:", 5) == 0 || strncmp(socket, "inet6:", 6) == 0;
}

int mlfi_setup(const char *socket, long timeout_seconds)
{
	if (smfi_setconn((char *)socket) != MI_SUCCESS) {
		log_err(NULL, "invalid milter socket %s", socket);
		return -1;
	}
	if (smfi_settimeout((int)timeout_seconds) != MI_SUCCESS) {
		log_err(NULL, "invalid milter timeout %ld", timeout_seconds);
		return -1;
	}
	if (smfi_register(mlfi_desc) != MI_SUCCESS) {
		log_err(NULL, "smfi_register failed");
		return -1;
	}
	/* true: remove a unix socket file left behind by a crash. */
	if (smfi_opensocket(true) != MI_SUCCESS) {
		log_err(NULL, "cannot open milter socket %s: %s", socket, strerror(errno));
		return -1;
	}
	if (is_tcp_socket_spec(socket))
		set_nodelay_on_listeners(socket);
	return 0;
}

int mlfi_run(void)
{
	int rc = smfi_main() == MI_SUCCESS ? 0 : -1;
	if (gate_drain() < 0)
		log_warn(NULL, "stopping: %u callbacks still analysing after %d s; exiting without them",
		         atomic_load(&gate_active), MLFI_DRAIN_SECONDS);
	return rc;
}

void mlfi_stop(void)
{
	smfi_stop();
}
