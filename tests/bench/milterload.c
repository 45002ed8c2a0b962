/*
 * milterload: a milter-protocol (version 6) load generator, the MTA side
 * written from scratch so that the milter is measured without an MTA.
 *
 *   milterload [-c CONNS] [-n MSGS | -d SECONDS] [-m PER_CONN] [-R RATE]
 *              [-f FROM] [-r RCPT] [-N] SOCKET FILE|DIR...
 *   milterload -I CONNS [-d SECONDS] SOCKET FILE|DIR...
 *
 * SOCKET is inet:PORT@HOST, inet:HOST:PORT or unix:PATH.  The mails
 * (*.eml in each DIR, LF or CRLF lines) are replayed round-robin over
 * CONNS concurrent connections (default 16), one thread per connection,
 * until MSGS messages are done or SECONDS have passed (default 5 s).
 * Each connection carries PER_CONN messages (default 1: Postfix opens one
 * milter connection per SMTP session, and most sessions carry one mail)
 * and is then closed and reopened.  Without -R the load is a closed loop:
 * each connection starts its next message as soon as the last one is
 * answered, which saturates the CPU, so latency then includes the wait
 * for a CPU.  -R RATE paces the start of message i at i/RATE seconds
 * (open loop, CONNS connections at most in flight): the latency of a
 * milter that is busy but not overloaded.
 *
 * What it sends is what Postfix sends (src/milter/milter8.c is the
 * model): OPTNEG offering every protocol 6 option; per event the macros
 * first, even for events the milter asked not to get; CONNECT, HELO,
 * MAIL, RCPT, DATA, each header (value without the one leading space,
 * folded lines joined by "\n"), EOH, the body with CRLF line ends in
 * chunks of at most 65535 bytes, end of message, then ABORT (Postfix
 * resets the milter after every transaction) and QUIT.  Events the milter
 * declined (SMFIP_NO*) are not sent; where it negotiated no reply
 * (SMFIP_NR_*) no reply is awaited and output is batched until a reply
 * is needed, as Postfix's buffered stream does.  An ACCEPT before end of
 * message ends the transaction (as does SMFIR_SKIP for the rest of the
 * body).  At end of message, ADDHEADER/CHGHEADER/INSHEADER and the other
 * modification replies are read and counted until the final reply.
 *
 * Measured: messages per second (wall clock, first connect to last
 * reply) and the end-of-message latency, from the write that carries
 * SMFIC_BODYEOB to the final reply: p50, p99, max.  -N sets TCP_NODELAY
 * on the MTA side too (Postfix does not).
 *
 * -I CONNS: memory mode.  Opens CONNS connections one after the other,
 * takes each through OPTNEG, MAIL, RCPT, DATA and the first mail's
 * headers, prints "ready CONNS" and holds them open for SECONDS (default
 * 30) or until killed.
 *
 * Output: one line, "key=value ..." (see report()); exit status 0, 1 when
 * any connection failed or the milter broke the protocol, 64 on usage.
 */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <libmilter/mfapi.h>
#include <libmilter/mfdef.h>

#define CHUNK MILTER_CHUNK_SIZE
#define MAX_REPLY (1024 * 1024) /* a milter reply larger than this is an error */

/* Postfix's offer: every protocol 6 event and no-reply option. */
#define OFFER_PROTOCOL                                                                      \
	(SMFIP_NOCONNECT | SMFIP_NOHELO | SMFIP_NOMAIL | SMFIP_NORCPT | SMFIP_NOBODY |      \
	 SMFIP_NOHDRS | SMFIP_NOEOH | SMFIP_NOUNKNOWN | SMFIP_NODATA | SMFIP_SKIP |         \
	 SMFIP_RCPT_REJ | SMFIP_NR_CONN | SMFIP_NR_HELO | SMFIP_NR_MAIL | SMFIP_NR_RCPT |   \
	 SMFIP_NR_DATA | SMFIP_NR_UNKN | SMFIP_NR_HDR | SMFIP_NR_EOH | SMFIP_NR_BODY |      \
	 SMFIP_HDR_LEADSPC)
#define OFFER_ACTIONS SMFI_CURR_ACTS

struct header {
	char *name;
	char *value;
};

struct mail {
	struct header *hdrs;
	size_t n_hdrs;
	char *body; /* CRLF line ends */
	size_t body_len;
};

struct conn {
	int fd;
	unsigned long actions;  /* negotiated SMFIF_* */
	unsigned long protocol; /* negotiated SMFIP_* */
	char *out;
	size_t out_len, out_cap;
	char in[65536];
	size_t in_off, in_len;
	char *pkt; /* the last reply's data */
	size_t pkt_cap;
};

struct worker {
	pthread_t tid;
	uint64_t *lat_ns; /* end-of-message latencies */
	size_t n_lat, cap_lat;
	unsigned long early;    /* messages accepted before end of message */
	unsigned long hdr_mods; /* ADDHEADER/CHGHEADER/INSHEADER replies */
	unsigned long errors;
	char first_error[200];
};

/* ---------------------------------------------------------------- options */
static const char *opt_socket;
static int opt_conns = 16;
static long opt_msgs;  /* 0: time-bound */
static double opt_secs = -1;
static long opt_per_conn = 1;
static const char *opt_from = "customer@example.dk";
static const char *opt_rcpt = "support@timemap.dk";
static bool opt_nodelay;
static int opt_idle;
static double opt_rate; /* 0: closed loop, as fast as the milter answers */

static struct mail *mails;
static size_t n_mails;
static atomic_long next_msg;
static atomic_ulong qid_seq;
static atomic_bool stopping;
static struct timespec deadline;
static uint64_t start_ns;

static struct sockaddr_storage peer;
static socklen_t peer_len;

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n);
	if (q == NULL) {
		fprintf(stderr, "milterload: out of memory\n");
		exit(1);
	}
	return q;
}

static char *xstrndup(const char *s, size_t n)
{
	char *d = xrealloc(NULL, n + 1);
	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

/* ---------------------------------------------------------------- corpus */

/* Splits one mail into headers (unfolded the way Postfix hands them to a
 * milter) and a CRLF body. */
static void mail_parse(struct mail *m, const char *p, size_t len)
{
	const char *end = p + len;
	size_t cap = 0;
	memset(m, 0, sizeof(*m));
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *next = nl ? nl + 1 : end;
		size_t l = (size_t)((nl ? nl : end) - p);
		if (l > 0 && p[l - 1] == '\r')
			l--;
		if (l == 0) {
			p = next;
			break;
		}
		if ((*p == ' ' || *p == '\t') && m->n_hdrs > 0) {
			struct header *h = &m->hdrs[m->n_hdrs - 1];
			size_t ol = strlen(h->value);
			h->value = xrealloc(h->value, ol + 1 + l + 1);
			h->value[ol] = '\n';
			memcpy(h->value + ol + 1, p, l);
			h->value[ol + 1 + l] = '\0';
			p = next;
			continue;
		}
		const char *colon = memchr(p, ':', l);
		if (colon == NULL || colon == p)
			break; /* not a header: the body starts here */
		const char *ne = colon;
		while (ne > p && (ne[-1] == ' ' || ne[-1] == '\t'))
			ne--;
		const char *v = colon + 1;
		if (v < p + l && *v == ' ')
			v++;
		if (m->n_hdrs == cap) {
			cap = cap ? 2 * cap : 16;
			m->hdrs = xrealloc(m->hdrs, cap * sizeof(*m->hdrs));
		}
		m->hdrs[m->n_hdrs].name = xstrndup(p, (size_t)(ne - p));
		m->hdrs[m->n_hdrs].value = xstrndup(v, (size_t)(p + l - v));
		m->n_hdrs++;
		p = next;
	}
	/* Body: every line, the last one too, ends in CRLF. */
	m->body = xrealloc(NULL, 2 * (size_t)(end - p) + 2);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t l = (size_t)((nl ? nl : end) - p);
		if (l > 0 && p[l - 1] == '\r')
			l--;
		memcpy(m->body + m->body_len, p, l);
		m->body_len += l;
		memcpy(m->body + m->body_len, "\r\n", 2);
		m->body_len += 2;
		p = nl ? nl + 1 : end;
	}
}

static int load_file(const char *path)
{
	FILE *fp = fopen(path, "rb");
	if (fp == NULL) {
		fprintf(stderr, "milterload: %s: %s\n", path, strerror(errno));
		return -1;
	}
	char *data = NULL;
	size_t len = 0, cap = 0, n;
	do {
		if (cap - len < 65536) {
			cap = cap ? 2 * cap : 65536;
			data = xrealloc(data, cap);
		}
		n = fread(data + len, 1, cap - len, fp);
		len += n;
	} while (n > 0);
	bool bad = ferror(fp);
	fclose(fp);
	if (bad) {
		fprintf(stderr, "milterload: %s: read error\n", path);
		free(data);
		return -1;
	}
	mails = xrealloc(mails, (n_mails + 1) * sizeof(*mails));
	mail_parse(&mails[n_mails++], data, len);
	free(data);
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int load_path(const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		fprintf(stderr, "milterload: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return load_file(path);
	DIR *d = opendir(path);
	if (d == NULL) {
		fprintf(stderr, "milterload: %s: %s\n", path, strerror(errno));
		return -1;
	}
	char **names = NULL;
	size_t n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		size_t l = strlen(e->d_name);
		if (l > 4 && strcmp(e->d_name + l - 4, ".eml") == 0) {
			names = xrealloc(names, (n + 1) * sizeof(*names));
			names[n++] = xstrndup(e->d_name, l);
		}
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_str);
	int rc = 0;
	for (size_t i = 0; i < n; i++) {
		char full[4096];
		snprintf(full, sizeof(full), "%s/%s", path, names[i]);
		if (load_file(full) != 0)
			rc = -1;
		free(names[i]);
	}
	free(names);
	return rc;
}

/* ---------------------------------------------------------------- wire */

static int parse_socket(const char *spec)
{
	memset(&peer, 0, sizeof(peer));
	if (strncmp(spec, "unix:", 5) == 0 || strncmp(spec, "local:", 6) == 0 || spec[0] == '/') {
		const char *path = spec[0] == '/' ? spec : strchr(spec, ':') + 1;
		struct sockaddr_un *sun = (struct sockaddr_un *)&peer;
		if (strlen(path) >= sizeof(sun->sun_path))
			return -1;
		sun->sun_family = AF_UNIX;
		strcpy(sun->sun_path, path);
		peer_len = sizeof(*sun);
		return 0;
	}
	if (strncmp(spec, "inet:", 5) != 0)
		return -1;
	char host[256], port[16];
	const char *at = strchr(spec + 5, '@');
	const char *colon = strrchr(spec + 5, ':');
	if (at != NULL) { /* libmilter: inet:PORT@HOST */
		snprintf(port, sizeof(port), "%.*s", (int)(at - spec - 5), spec + 5);
		snprintf(host, sizeof(host), "%s", at + 1);
	} else if (colon != NULL) { /* Postfix: inet:HOST:PORT */
		snprintf(host, sizeof(host), "%.*s", (int)(colon - spec - 5), spec + 5);
		snprintf(port, sizeof(port), "%s", colon + 1);
	} else {
		return -1;
	}
	struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM};
	struct addrinfo *res;
	if (getaddrinfo(host, port, &hints, &res) != 0)
		return -1;
	memcpy(&peer, res->ai_addr, res->ai_addrlen);
	peer_len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

static void put32(char *p, uint32_t v)
{
	v = htonl(v);
	memcpy(p, &v, 4);
}

static uint32_t get32(const char *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return ntohl(v);
}

static void out_reserve(struct conn *c, size_t n)
{
	if (c->out_cap - c->out_len < n) {
		while (c->out_cap - c->out_len < n)
			c->out_cap = c->out_cap ? 2 * c->out_cap : 128 * 1024;
		c->out = xrealloc(c->out, c->out_cap);
	}
}

/* Appends one packet: the command and the concatenation of n parts. */
static void out_packet(struct conn *c, char cmd, size_t n, const void *const *parts,
                       const size_t *lens)
{
	size_t len = 1;
	for (size_t i = 0; i < n; i++)
		len += lens[i];
	out_reserve(c, 4 + len);
	put32(c->out + c->out_len, (uint32_t)len);
	c->out[c->out_len + 4] = cmd;
	c->out_len += 5;
	for (size_t i = 0; i < n; i++) {
		memcpy(c->out + c->out_len, parts[i], lens[i]);
		c->out_len += lens[i];
	}
}

/* SMFIC_MACRO for event cmd: name/value pairs, NULL-terminated. */
static void out_macros(struct conn *c, char cmd, const char *const *pairs)
{
	const void *parts[17];
	size_t lens[17], n = 1;
	parts[0] = &cmd;
	lens[0] = 1;
	for (size_t i = 0; pairs[i] != NULL && n < 17; i++, n++) {
		parts[n] = pairs[i];
		lens[n] = strlen(pairs[i]) + 1;
	}
	out_packet(c, SMFIC_MACRO, n, parts, lens);
}

static int flush_out(struct conn *c)
{
	size_t off = 0;
	while (off < c->out_len) {
		ssize_t n = send(c->fd, c->out + off, c->out_len - off, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		off += (size_t)n;
	}
	c->out_len = 0;
	return 0;
}

static int read_full(struct conn *c, char *dst, size_t n)
{
	while (n > 0) {
		if (c->in_off == c->in_len) {
			ssize_t r = recv(c->fd, c->in, sizeof(c->in), 0);
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0)
				return -1;
			c->in_off = 0;
			c->in_len = (size_t)r;
		}
		size_t k = c->in_len - c->in_off;
		if (k > n)
			k = n;
		memcpy(dst, c->in + c->in_off, k);
		c->in_off += k;
		dst += k;
		n -= k;
	}
	return 0;
}

/* Reads one reply packet: its command, its data in c->pkt (NUL-terminated). */
static int read_reply(struct conn *c, char *cmd, size_t *len)
{
	char hdr[5];
	if (read_full(c, hdr, 5) != 0)
		return -1;
	uint32_t l = get32(hdr);
	if (l < 1 || l > MAX_REPLY)
		return -1;
	*cmd = hdr[4];
	*len = l - 1;
	if (c->pkt_cap < *len + 1) {
		c->pkt_cap = *len + 1;
		c->pkt = xrealloc(c->pkt, c->pkt_cap);
	}
	if (read_full(c, c->pkt, *len) != 0)
		return -1;
	c->pkt[*len] = '\0';
	return 0;
}

static bool is_final(char r)
{
	return r == SMFIR_ACCEPT || r == SMFIR_CONTINUE || r == SMFIR_REJECT || r == SMFIR_TEMPFAIL ||
	       r == SMFIR_DISCARD || r == SMFIR_REPLYCODE || r == SMFIR_SKIP ||
	       r == SMFIR_SHUTDOWN || r == SMFIR_CONN_FAIL;
}

/* Waits for the final reply to an event; at end of message counts the
 * header modifications on the way.  *reply: the final command. */
static int await_reply(struct conn *c, bool eom, char *reply, unsigned long *mods)
{
	if (flush_out(c) != 0)
		return -1;
	for (;;) {
		char r;
		size_t len;
		if (read_reply(c, &r, &len) != 0)
			return -1;
		if (r == SMFIR_PROGRESS)
			continue;
		if (is_final(r)) {
			*reply = r;
			return 0;
		}
		if (!eom)
			return -1; /* a modification outside end of message */
		switch (r) {
		case SMFIR_ADDHEADER:
		case SMFIR_INSHEADER:
			if (!(c->actions & SMFIF_ADDHDRS))
				return -1;
			(*mods)++;
			break;
		case SMFIR_CHGHEADER:
			if (!(c->actions & SMFIF_CHGHDRS))
				return -1;
			(*mods)++;
			break;
		case SMFIR_ADDRCPT:
		case SMFIR_ADDRCPT_PAR:
		case SMFIR_DELRCPT:
		case SMFIR_CHGFROM:
		case SMFIR_REPLBODY:
		case SMFIR_QUARANTINE:
			break;
		default:
			return -1;
		}
	}
}

/* One event: macros first (always, as Postfix does), then the command
 * unless the milter declined it, then its reply unless the milter said
 * it will not reply.  *reply is SMFIR_CONTINUE when nothing came back. */
static int event(struct conn *c, char cmd, const char *const *macros, unsigned long no_flag,
                 unsigned long nr_flag, size_t n, const void *const *parts, const size_t *lens,
                 char *reply)
{
	*reply = SMFIR_CONTINUE;
	if (macros != NULL && macros[0] != NULL)
		out_macros(c, cmd, macros);
	if (c->protocol & no_flag)
		return 0;
	out_packet(c, cmd, n, parts, lens);
	if (c->protocol & nr_flag)
		return 0;
	unsigned long mods = 0;
	return await_reply(c, false, reply, &mods);
}

static int conn_open(struct conn *c)
{
	c->fd = socket(peer.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return -1;
	struct timeval tv = {.tv_sec = 30};
	setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (opt_nodelay && peer.ss_family == AF_INET) {
		int one = 1;
		setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	}
	if (connect(c->fd, (struct sockaddr *)&peer, peer_len) != 0)
		return -1;
	c->in_off = c->in_len = 0;
	c->out_len = 0;

	char neg[12];
	put32(neg, SMFI_PROT_VERSION);
	put32(neg + 4, OFFER_ACTIONS);
	put32(neg + 8, OFFER_PROTOCOL);
	const void *parts[] = {neg};
	const size_t lens[] = {sizeof(neg)};
	out_packet(c, SMFIC_OPTNEG, 1, parts, lens);
	if (flush_out(c) != 0)
		return -1;
	char r;
	size_t len;
	if (read_reply(c, &r, &len) != 0 || r != SMFIC_OPTNEG || len < 12)
		return -1;
	if (get32(c->pkt) > SMFI_PROT_VERSION)
		return -1;
	c->actions = get32(c->pkt + 4);
	c->protocol = get32(c->pkt + 8);
	if ((c->actions & ~(unsigned long)OFFER_ACTIONS) ||
	    (c->protocol & ~(unsigned long)OFFER_PROTOCOL & ~(SMFIP_MDS_256K | SMFIP_MDS_1M)))
		return -1;

	/* CONNECT: host name, family, port, address. */
	static const char *const conn_macros[] = {
		"j", "mx.bench.example", "{daemon_name}", "smtpd", "v", "Postfix 3.7",
		"_", "client.example.dk [192.0.2.10]", NULL};
	uint16_t port = htons(40000);
	const void *cp[] = {"client.example.dk", "4", &port, "192.0.2.10"};
	const size_t cl[] = {sizeof("client.example.dk"), 1, 2, sizeof("192.0.2.10")};
	if (event(c, SMFIC_CONNECT, conn_macros, SMFIP_NOCONNECT, SMFIP_NR_CONN, 4, cp, cl, &r) != 0)
		return -1;
	if (r != SMFIR_CONTINUE)
		return -1; /* neither milter decides at connect time */
	const void *hp[] = {"client.example.dk"};
	const size_t hl[] = {sizeof("client.example.dk")};
	if (event(c, SMFIC_HELO, NULL, SMFIP_NOHELO, SMFIP_NR_HELO, 1, hp, hl, &r) != 0)
		return -1;
	return r == SMFIR_CONTINUE ? 0 : -1;
}

static void conn_close(struct conn *c, bool quit)
{
	if (c->fd < 0)
		return;
	if (quit) {
		out_packet(c, SMFIC_QUIT, 0, NULL, NULL);
		(void)flush_out(c);
	}
	close(c->fd);
	c->fd = -1;
}

/* The envelope and, when the milter wants it, DATA.  *done: the milter
 * accepted (or rejected) the message before its content. */
static int send_envelope(struct conn *c, const char *qid, bool *done)
{
	char from[600], rcpt[600];
	snprintf(from, sizeof(from), "<%s>", opt_from);
	snprintf(rcpt, sizeof(rcpt), "<%s>", opt_rcpt);
	const char *mail_macros[] = {"{mail_addr}", opt_from, NULL};
	const char *rcpt_macros[] = {"i", qid, "{rcpt_addr}", opt_rcpt, "{rcpt_mailer}", "local", NULL};
	const char *i_macro[] = {"i", qid, NULL};
	const void *mp[] = {from};
	const size_t ml[] = {strlen(from) + 1};
	const void *rp[] = {rcpt};
	const size_t rl[] = {strlen(rcpt) + 1};
	char r;
	*done = true;
	if (event(c, SMFIC_MAIL, mail_macros, SMFIP_NOMAIL, SMFIP_NR_MAIL, 1, mp, ml, &r) != 0)
		return -1;
	if (r != SMFIR_CONTINUE)
		return 0;
	if (event(c, SMFIC_RCPT, rcpt_macros, SMFIP_NORCPT, SMFIP_NR_RCPT, 1, rp, rl, &r) != 0)
		return -1;
	if (r != SMFIR_CONTINUE)
		return 0;
	if (event(c, SMFIC_DATA, i_macro, SMFIP_NODATA, SMFIP_NR_DATA, 0, NULL, NULL, &r) != 0)
		return -1;
	*done = r != SMFIR_CONTINUE;
	return 0;
}

static int send_headers(struct conn *c, const struct mail *m, const char *qid, bool *done)
{
	const char *i_macro[] = {"i", qid, NULL};
	char r;
	*done = true;
	for (size_t i = 0; i < m->n_hdrs; i++) {
		const void *p[] = {m->hdrs[i].name, m->hdrs[i].value};
		const size_t l[] = {strlen(m->hdrs[i].name) + 1, strlen(m->hdrs[i].value) + 1};
		if (event(c, SMFIC_HEADER, i_macro, SMFIP_NOHDRS, SMFIP_NR_HDR, 2, p, l, &r) != 0)
			return -1;
		if (r == SMFIR_SKIP)
			break;
		if (r != SMFIR_CONTINUE)
			return 0;
	}
	*done = false;
	return 0;
}

/* One transaction.  *lat: end-of-message latency, 0 when the milter
 * decided earlier. */
static int run_message(struct conn *c, const struct mail *m, uint64_t *lat, unsigned long *mods)
{
	char qid[32];
	snprintf(qid, sizeof(qid), "B%010lX", atomic_fetch_add(&qid_seq, 1));
	const char *i_macro[] = {"i", qid, NULL};
	char r;
	bool done;
	*lat = 0;
	if (send_envelope(c, qid, &done) != 0)
		return -1;
	if (!done && send_headers(c, m, qid, &done) != 0)
		return -1;
	if (!done) {
		if (event(c, SMFIC_EOH, i_macro, SMFIP_NOEOH, SMFIP_NR_EOH, 0, NULL, NULL, &r) != 0)
			return -1;
		done = r != SMFIR_CONTINUE;
	}
	for (size_t off = 0; !done && off < m->body_len; off += CHUNK) {
		size_t n = m->body_len - off < CHUNK ? m->body_len - off : CHUNK;
		const void *p[] = {m->body + off};
		if (event(c, SMFIC_BODY, i_macro, SMFIP_NOBODY, SMFIP_NR_BODY, 1, p, &n, &r) != 0)
			return -1;
		if (r == SMFIR_SKIP)
			break;
		done = r != SMFIR_CONTINUE;
	}
	if (!done) {
		out_macros(c, SMFIC_BODYEOB, i_macro);
		out_packet(c, SMFIC_BODYEOB, 0, NULL, NULL);
		uint64_t t0 = now_ns();
		if (await_reply(c, true, &r, mods) != 0)
			return -1;
		*lat = now_ns() - t0;
		if (*lat == 0)
			*lat = 1;
	}
	/* Postfix resets every milter at the end of each transaction. */
	out_packet(c, SMFIC_ABORT, 0, NULL, NULL);
	return 0;
}

/* ---------------------------------------------------------------- workers */

static bool past_deadline(void)
{
	if (opt_secs < 0)
		return false;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec > deadline.tv_sec ||
	       (ts.tv_sec == deadline.tv_sec && ts.tv_nsec >= deadline.tv_nsec);
}

static void wait_until(uint64_t t)
{
	struct timespec ts = {.tv_sec = (time_t)(t / 1000000000u), .tv_nsec = (long)(t % 1000000000u)};
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

static void fail(struct worker *w, const char *what)
{
	if (w->errors++ == 0)
		snprintf(w->first_error, sizeof(w->first_error), "%s: %s", what,
		         errno ? strerror(errno) : "protocol error");
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct conn *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	c->fd = -1;
	while (!atomic_load(&stopping)) {
		errno = 0;
		if (conn_open(c) != 0) {
			fail(w, "connect/negotiate");
			conn_close(c, false);
			if (w->errors > 100)
				break;
			continue;
		}
		bool ok = true;
		for (long k = 0; k < opt_per_conn && ok; k++) {
			if (past_deadline()) {
				atomic_store(&stopping, true);
				break;
			}
			long idx = atomic_fetch_add(&next_msg, 1);
			if (opt_msgs > 0 && idx >= opt_msgs) {
				atomic_store(&stopping, true);
				break;
			}
			if (opt_rate > 0) {
				wait_until(start_ns + (uint64_t)((double)idx * 1e9 / opt_rate));
				if (past_deadline()) {
					atomic_store(&stopping, true);
					break;
				}
			}
			uint64_t lat;
			unsigned long mods = 0;
			errno = 0;
			if (run_message(c, &mails[(size_t)idx % n_mails], &lat, &mods) != 0) {
				fail(w, "message");
				ok = false;
				break;
			}
			w->hdr_mods += mods;
			if (lat == 0) {
				w->early++;
				continue;
			}
			if (w->n_lat == w->cap_lat) {
				w->cap_lat = w->cap_lat ? 2 * w->cap_lat : 4096;
				w->lat_ns = xrealloc(w->lat_ns, w->cap_lat * sizeof(*w->lat_ns));
			}
			w->lat_ns[w->n_lat++] = lat;
		}
		conn_close(c, ok);
	}
	free(c->out);
	free(c->pkt);
	free(c);
	return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static double pct_ms(const uint64_t *v, size_t n, double p)
{
	if (n == 0)
		return 0;
	size_t i = (size_t)(p * (double)(n - 1) + 0.5);
	return (double)v[i] / 1e6;
}

static int run_load(void)
{
	struct worker *w = calloc((size_t)opt_conns, sizeof(*w));
	if (w == NULL)
		return 1;
	if (opt_msgs == 0 && opt_secs < 0)
		opt_secs = 5;
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	if (opt_secs >= 0) {
		double whole = (double)(long)opt_secs;
		deadline.tv_sec += (time_t)whole;
		deadline.tv_nsec += (long)((opt_secs - whole) * 1e9);
		if (deadline.tv_nsec >= 1000000000) {
			deadline.tv_sec++;
			deadline.tv_nsec -= 1000000000;
		}
	}
	uint64_t t0 = now_ns();
	start_ns = t0;
	int started = 0;
	for (; started < opt_conns; started++)
		if (pthread_create(&w[started].tid, NULL, worker_main, &w[started]) != 0)
			break;
	for (int i = 0; i < started; i++)
		pthread_join(w[i].tid, NULL);
	double secs = (double)(now_ns() - t0) / 1e9;

	size_t n = 0;
	unsigned long early = 0, mods = 0, errors = 0;
	const char *first_error = NULL;
	for (int i = 0; i < started; i++) {
		n += w[i].n_lat;
		early += w[i].early;
		mods += w[i].hdr_mods;
		errors += w[i].errors;
		if (first_error == NULL && w[i].errors)
			first_error = w[i].first_error;
	}
	uint64_t *all = xrealloc(NULL, (n ? n : 1) * sizeof(*all));
	size_t k = 0;
	for (int i = 0; i < started; i++) {
		if (w[i].n_lat > 0)
			memcpy(all + k, w[i].lat_ns, w[i].n_lat * sizeof(*all));
		k += w[i].n_lat;
		free(w[i].lat_ns);
	}
	qsort(all, n, sizeof(*all), cmp_u64);
	unsigned long msgs = (unsigned long)n + early;
	printf("conns=%d msgs=%lu secs=%.3f rate=%.1f p50_ms=%.3f p99_ms=%.3f max_ms=%.3f "
	       "hdrs_per_msg=%.2f early=%lu errors=%lu\n",
	       started, msgs, secs, secs > 0 ? (double)msgs / secs : 0, pct_ms(all, n, 0.50),
	       pct_ms(all, n, 0.99), n ? (double)all[n - 1] / 1e6 : 0,
	       msgs ? (double)mods / (double)msgs : 0, early, errors);
	if (first_error != NULL)
		fprintf(stderr, "milterload: first error: %s\n", first_error);
	free(all);
	free(w);
	return errors == 0 && started == opt_conns ? 0 : 1;
}

/* Memory mode: CONNS connections parked after the headers of a mail. */
static int run_idle(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)opt_idle + 64) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	struct conn *cs = calloc((size_t)opt_idle, sizeof(*cs));
	if (cs == NULL)
		return 1;
	for (int i = 0; i < opt_idle; i++) {
		struct conn *c = &cs[i];
		bool done;
		char qid[32];
		snprintf(qid, sizeof(qid), "I%010d", i);
		errno = 0;
		if (conn_open(c) != 0 || send_envelope(c, qid, &done) != 0 || done ||
		    send_headers(c, &mails[0], qid, &done) != 0 || done || flush_out(c) != 0) {
			fprintf(stderr, "milterload: idle connection %d failed: %s\n", i,
			        errno ? strerror(errno) : "protocol error");
			return 1;
		}
	}
	printf("ready %d\n", opt_idle);
	fflush(stdout);
	struct timespec ts = {.tv_sec = opt_secs < 0 ? 30 : (time_t)opt_secs};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
	for (int i = 0; i < opt_idle; i++) {
		conn_close(&cs[i], false);
		free(cs[i].out);
		free(cs[i].pkt);
	}
	free(cs);
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: milterload [-c CONNS] [-n MSGS | -d SECONDS] [-m PER_CONN] [-R RATE]\n"
	                "                  [-f FROM] [-r RCPT] [-N] SOCKET FILE|DIR...\n"
	                "       milterload -I CONNS [-d SECONDS] SOCKET FILE|DIR...\n");
	exit(64);
}

int main(int argc, char **argv)
{
	int ch;
	while ((ch = getopt(argc, argv, "c:n:d:m:f:r:NI:R:")) != -1) {
		switch (ch) {
		case 'c': opt_conns = atoi(optarg); break;
		case 'n': opt_msgs = atol(optarg); break;
		case 'd': opt_secs = atof(optarg); break;
		case 'm': opt_per_conn = atol(optarg); break;
		case 'f': opt_from = optarg; break;
		case 'r': opt_rcpt = optarg; break;
		case 'N': opt_nodelay = true; break;
		case 'I': opt_idle = atoi(optarg); break;
		case 'R': opt_rate = atof(optarg); break;
		default: usage();
		}
	}
	if (argc - optind < 2 || opt_conns < 1 || opt_per_conn < 1 || opt_msgs < 0 || opt_idle < 0)
		usage();
	opt_socket = argv[optind];
	if (parse_socket(opt_socket) != 0) {
		fprintf(stderr, "milterload: bad socket %s\n", opt_socket);
		return 64;
	}
	for (int i = optind + 1; i < argc; i++)
		if (load_path(argv[i]) != 0)
			return 66;
	if (n_mails == 0) {
		fprintf(stderr, "milterload: no mails\n");
		return 66;
	}
	int rc = opt_idle > 0 ? run_idle() : run_load();
	for (size_t i = 0; i < n_mails; i++) {
		for (size_t j = 0; j < mails[i].n_hdrs; j++) {
			free(mails[i].hdrs[j].name);
			free(mails[i].hdrs[j].value);
		}
		free(mails[i].hdrs);
		free(mails[i].body);
	}
	free(mails);
	return rc;
}
