/*
 * offline: the -t test mode (see offline.h).
 *
 * The header block is read line by line (a field is at most
 * MaxHeaderSize; longer ones are cut like the MTA would refuse them) and
 * handed over exactly as libmilter would: name, and the value without
 * the blank after the colon, continuation lines kept with their line
 * break.  The body is converted to CRLF line ends, as an MTA passes it
 * to a milter, and fed in chunks of --chunk bytes counted over the whole
 * body, so that results can be compared across chunk sizes.
 */
#include "autoconfig.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <time.h>

#include "addr.h"
#include "autoreply.h"
#include "buf.h"
#include "config.h"
#include "facts.h"
#include "hdr.h"
#include "offline.h"
#include "session.h"
#include "snapshot.h"

#define OFFLINE_HEADER_BLOCK_MAX (4u * 1024 * 1024)

void offline_options_init(struct offline_options *o)
{
	memset(o, 0, sizeof(*o));
	o->chunk = 65536;
}

int offline_options_add_rcpt(struct offline_options *o, const char *rcpt)
{
	if (o->n_rcpt >= OFFLINE_MAX_RCPT)
		return -1;
	o->rcpt[o->n_rcpt++] = rcpt;
	return 0;
}

static int parse_digits(const char **p, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)**p))
			return -1;
		v = v * 10 + (**p - '0');
		(*p)++;
	}
	*out = v;
	return 0;
}

int offline_parse_time(const char *s, time_t *out)
{
	if (s[0] == '@') {
		char *end;
		errno = 0;
		long long v = strtoll(s + 1, &end, 10);
		if (errno != 0 || *end != '\0' || end == s + 1)
			return -1;
		*out = (time_t)v;
		return 0;
	}
	struct tm tm = { 0 };
	const char *p = s;
	int year, mon, day, hour, min, sec = 0;
	if (parse_digits(&p, 4, &year) < 0 || *p++ != '-' || parse_digits(&p, 2, &mon) < 0 ||
	    *p++ != '-' || parse_digits(&p, 2, &day) < 0)
		return -1;
	if (*p != 'T' && *p != 't' && *p != ' ')
		return -1;
	p++;
	if (parse_digits(&p, 2, &hour) < 0 || *p++ != ':' || parse_digits(&p, 2, &min) < 0)
		return -1;
	if (*p == ':') {
		p++;
		if (parse_digits(&p, 2, &sec) < 0)
			return -1;
		if (*p == '.' || *p == ',') {
			p++;
			if (!isdigit((unsigned char)*p))
				return -1;
			while (isdigit((unsigned char)*p))
				p++;
		}
	}
	long offset = 0;
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int sign = *p++ == '-' ? -1 : 1, oh, om = 0;
		if (parse_digits(&p, 2, &oh) < 0)
			return -1;
		if (*p == ':')
			p++;
		if (isdigit((unsigned char)*p) && parse_digits(&p, 2, &om) < 0)
			return -1;
		if (oh > 23 || om > 59)
			return -1;
		offset = sign * (oh * 3600L + om * 60L);
	} else {
		return -1;
	}
	if (*p != '\0')
		return -1;
	if (mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 23 || min > 59 || sec > 60)
		return -1;
	tm.tm_year = year - 1900;
	tm.tm_mon = mon - 1;
	tm.tm_mday = day;
	tm.tm_hour = hour;
	tm.tm_min = min;
	tm.tm_sec = sec;
	time_t t = timegm(&tm);
	if (t == (time_t)-1)
		return -1;
	*out = t - offset;
	return 0;
}

/* Reads one line (with its LF, if any) into line; false at EOF. */
static bool read_line(FILE *fp, struct buf *line)
{
	buf_reset(line);
	int c;
	while ((c = getc(fp)) != EOF) {
		buf_putc(line, (char)c);
		if (c == '\n')
			break;
	}
	return line->len > 0;
}

static void chomp(struct buf *line)
{
	while (line->len > 0 && (line->data[line->len - 1] == '\n' || line->data[line->len - 1] == '\r'))
		line->data[--line->len] = '\0';
}

struct header_field {
	char *name;
	char *value;
};

struct header_block {
	struct header_field *fields;
	size_t n;
	size_t bytes;
};

static void header_block_free(struct header_block *hb)
{
	for (size_t i = 0; i < hb->n; i++) {
		free(hb->fields[i].name);
		free(hb->fields[i].value);
	}
	free(hb->fields);
}

static int header_block_add(struct header_block *hb, const struct buf *field)
{
	const char *text = buf_cstr(field);
	const char *colon = memchr(text, ':', field->len);
	if (colon == NULL)
		return 0;
	size_t nlen = (size_t)(colon - text);
	while (nlen > 0 && (text[nlen - 1] == ' ' || text[nlen - 1] == '\t'))
		nlen--;
	const char *v = colon + 1;
	while (*v == ' ' || *v == '\t')
		v++;
	if (hb->n % 32 == 0) {
		struct header_field *f = realloc(hb->fields, (hb->n + 32) * sizeof(*f));
		if (f == NULL)
			return -1;
		hb->fields = f;
	}
	hb->fields[hb->n].name = strndup(text, nlen);
	hb->fields[hb->n].value = strdup(v);
	if (hb->fields[hb->n].name == NULL || hb->fields[hb->n].value == NULL) {
		free(hb->fields[hb->n].name);
		free(hb->fields[hb->n].value);
		return -1;
	}
	hb->n++;
	return 0;
}

/* Reads the header block; the first body line (if the block ended on a
 * line that is not a header) is left in pending. */
static int read_headers(FILE *fp, size_t max_field, struct header_block *hb, struct buf *pending)
{
	struct buf line, field;
	buf_init(&line, max_field);
	buf_init(&field, max_field);
	int rc = 0;
	bool have_field = false;
	while (read_line(fp, &line)) {
		hb->bytes += line.len;
		if ((line.data[0] == ' ' || line.data[0] == '\t') && have_field) {
			/* A continuation keeps its line break, as the MTA passes it. */
			buf_putc(&field, '\n');
			chomp(&line);
			buf_append(&field, line.data, line.len);
			continue;
		}
		if (have_field && header_block_add(hb, &field) < 0) {
			rc = -1;
			break;
		}
		have_field = false;
		chomp(&line);
		if (line.len == 0)
			break;
		const char *colon = memchr(line.data, ':', line.len);
		bool is_field = colon != NULL && colon != line.data && hb->bytes < OFFLINE_HEADER_BLOCK_MAX;
		for (const char *q = line.data; is_field && q < colon; q++)
			if (*q <= ' ' || *q >= 127)
				is_field = *q == ' ' || *q == '\t';
		if (!is_field) {
			/* Not a header: the body starts here, without a blank line. */
			buf_append(pending, line.data, line.len);
			buf_append(pending, "\r\n", 2);
			break;
		}
		buf_reset(&field);
		buf_append(&field, line.data, line.len);
		have_field = true;
	}
	if (have_field && rc == 0 && header_block_add(hb, &field) < 0)
		rc = -1;
	buf_free(&line);
	buf_free(&field);
	return rc;
}

struct feeder {
	struct session *s;
	size_t chunk;
	unsigned char *stage;
	size_t len;
	bool last_cr;
};

static void feeder_push(struct feeder *f, const unsigned char *p, size_t n)
{
	while (n > 0) {
		size_t take = f->chunk - f->len;
		if (take > n)
			take = n;
		memcpy(f->stage + f->len, p, take);
		f->len += take;
		p += take;
		n -= take;
		if (f->len == f->chunk) {
			session_body(f->s, f->stage, f->len);
			f->len = 0;
		}
	}
}

/* Bare LF becomes CRLF, as the MTA hands the body to a milter. */
static void feeder_feed(struct feeder *f, const unsigned char *p, size_t n)
{
	size_t start = 0;
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '\n' && !(i > 0 ? p[i - 1] == '\r' : f->last_cr)) {
			feeder_push(f, p + start, i - start);
			feeder_push(f, (const unsigned char *)"\r\n", 2);
			start = i + 1;
		}
	}
	feeder_push(f, p + start, n - start);
	if (n > 0)
		f->last_cr = p[n - 1] == '\r';
}

static void first_address(void *ctx, const char *addr)
{
	char *out = ctx;
	if (out[0] == '\0')
		addr_bare(addr, out, ADDR_BUF_SIZE);
}

static int analyse_file(const struct offline_options *o, const char *file, struct snapshot *snap)
{
	FILE *fp = strcmp(file, "-") == 0 ? stdin : fopen(file, "rb");
	if (fp == NULL) {
		fprintf(stderr, "support-milter: %s: %s\n", file, strerror(errno));
		return EX_NOINPUT;
	}
	const struct config *cfg = snap->cfg;
	struct header_block hb = { 0 };
	struct buf pending;
	buf_init(&pending, (size_t)cfg->max_header_size + 2);
	struct session *s = NULL;
	unsigned char *stage = NULL, *readbuf = NULL;
	int rc = 0;

	if (read_headers(fp, (size_t)cfg->max_header_size, &hb, &pending) < 0)
		goto oom;
	s = session_new(snap);
	stage = malloc(o->chunk);
	readbuf = malloc(65536);
	if (s == NULL || stage == NULL || readbuf == NULL)
		goto oom;

	if (o->time_set)
		session_set_time(s, o->time);
	char from[ADDR_BUF_SIZE] = "";
	if (o->from != NULL) {
		snprintf(from, sizeof(from), "%s", o->from);
	} else {
		for (size_t i = 0; i < hb.n && from[0] == '\0'; i++)
			if (strcasecmp(hb.fields[i].name, "From") == 0)
				addr_list_each(hb.fields[i].value, first_address, from);
	}
	session_set_sender(s, from);
	if (o->n_rcpt == 0 && cfg->n_support_address > 0)
		session_add_rcpt(s, cfg->support_address[0]);
	for (size_t i = 0; i < o->n_rcpt; i++)
		session_add_rcpt(s, o->rcpt[i]);

	session_data(s);
	for (size_t i = 0; i < hb.n; i++)
		session_header(s, hb.fields[i].name, hb.fields[i].value);
	session_end_headers(s);

	struct feeder feeder = { .s = s, .chunk = o->chunk, .stage = stage };
	feeder_feed(&feeder, (const unsigned char *)pending.data, pending.len);
	size_t n;
	while ((n = fread(readbuf, 1, 65536, fp)) > 0)
		feeder_feed(&feeder, readbuf, n);
	if (ferror(fp)) {
		fprintf(stderr, "support-milter: %s: read error\n", file);
		rc = EX_IOERR;
	}
	if (feeder.len > 0)
		session_body(s, feeder.stage, feeder.len);
	session_finish(s);

	if (o->json) {
		struct buf out;
		buf_init(&out, 16 * 1024 * 1024);
		session_report(s, file, &out);
		printf("%s\n", buf_cstr(&out));
		buf_free(&out);
	} else {
		if (!session_is_support(s))
			printf("%s: no support recipient: accepted untouched\n", file);
		else
			printf("%s:\n", file);
		struct hdr_removal rm;
		for (size_t i = 0; session_removal(s, i, &rm); i++)
			printf("  remove %s[%d]\n", rm.name, rm.index);
		const char *name, *value;
		for (size_t i = 0; session_add(s, i, &name, &value); i++)
			printf("  %s: %s\n", name, value);
	}
	if (o->show_reply && session_facts(s) != NULL) {
		struct autoreply_options ao;
		snapshot_autoreply_options(snap, &ao);
		/* A preview: show what would go out even while AutoReply is off. */
		if (!ao.enabled)
			printf("auto-reply: (AutoReply is off: this reply would be sent if it were on)\n");
		ao.enabled = true;
		const char *why_not = NULL;
		bool due = session_autoreply(s, &why_not);
		const struct verdict *v = session_verdict(s);
		if (!due && why_not == NULL)
			printf("auto-reply: none (%s)\n", v == NULL ? "no rules" : "nothing to ask for");
		else
			autoreply_show(stdout, &ao, session_facts(s), v, why_not, session_support_address(s));
	}
	if (o->show_text) {
		const struct facts *f = session_facts(s);
		if (f != NULL)
			printf("--- subject\n%s\n--- body\n%s--- own\n%s--- end\n", f->subject, f->body, f->own);
	}
	fflush(stdout);
	goto done;
oom:
	fprintf(stderr, "support-milter: %s: out of memory\n", file);
	rc = EX_SOFTWARE;
done:
	session_free(s);
	free(stage);
	free(readbuf);
	buf_free(&pending);
	header_block_free(&hb);
	if (fp != stdin)
		fclose(fp);
	return rc;
}

int offline_run(const struct offline_options *o, const char *const *files, size_t n)
{
	int rc = 0;
	struct snapshot *snap = snapshot_acquire();
	if (snap == NULL)
		return EX_SOFTWARE;
	for (size_t i = 0; i < n; i++) {
		int r = analyse_file(o, files[i], snap);
		if (r != 0 && rc == 0)
			rc = r;
	}
	snapshot_release(snap);
	return rc;
}
