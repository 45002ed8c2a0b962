/*
 * session: one message's analysis (see session.h).
 *
 * Inputs arrive in milter order; the session routes them:
 *   headers  → removal tracker (always), kept header list, MIME parser
 *   body     → MIME parser → text parts to text.c, other leaves to attach.c
 *   finish   → facts → rules → verdict → header list (report.c)
 *
 * Failure: an allocation failure or any internal inconsistency sets the
 * sticky `failed` flag and logs once; after that every input is ignored
 * except header names, so the prefixed-header removals still happen.
 * Memory: everything is bounded by the pinned config's limits (header
 * count and size, parts, text kept, sniff bytes); the body itself is
 * never stored.
 */
#include "autoconfig.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "addr.h"
#include "attach.h"
#include "autoreply.h"
#include "buf.h"
#include "config.h"
#include "counters.h"
#include "eligible.h"
#include "facts.h"
#include "hdr.h"
#include "hours.h"
#include "log.h"
#include "mime.h"
#include "outq.h"
#include "report.h"
#include "rfc2047.h"
#include "rules.h"
#include "session.h"
#include "snapshot.h"
#include "text.h"
#include "verdict.h"

#define SESSION_MAX_ADD 16
#define SESSION_MAX_RCPT 1000
#define SESSION_MAX_DEPTH_TRACK 128
#define SESSION_ADDR_MAX 512

enum leaf_kind { LEAF_NONE, LEAF_TEXT, LEAF_ATTACH };

struct added_header {
	char *name;
	char *value;
};

struct session {
	struct snapshot *snap;
	const struct config *cfg;
	char qid[64];
	time_t time;
	bool time_set;

	char *env_from;
	char **rcpt;
	size_t n_rcpt;
	bool support;
	char support_addr[SESSION_ADDR_MAX]; /* the configured address first matched */

	struct hdr_tracker *tracker;
	bool failed;
	bool finished;

	/* analysis */
	struct mime_parser *mime;
	struct text_sink *text;
	struct attach_scanner *attach;
	enum leaf_kind leaf;
	/* per depth: a multipart/alternative whose plain-text part was taken */
	bool alt_has_plain[SESSION_MAX_DEPTH_TRACK];
	struct attachment *atts;
	size_t n_atts;
	size_t cap_atts;
	struct facts_header *headers;
	size_t n_headers;
	bool headers_truncated;
	char *subject;
	uint64_t body_bytes;

	/* results */
	struct facts facts;
	struct verdict verdict;
	struct rules_scratch *scratch;
	bool verdict_valid;
	bool autoreply;
	const char *autoreply_why_not;
	bool has_load;
	long long load;
	long redis_wait_us;       /* -1: not counted */
	struct ctr_pending *counting; /* arrival counted at DATA */
	bool arrival_tried;       /* ctr_begin called (it may have returned NULL) */
	bool hours_known;         /* facts.time and facts.hours set (session_fix_time) */
	struct added_header add[SESSION_MAX_ADD];
	size_t n_add;
	struct timespec started;
};

static void session_fail(struct session *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void session_fail(struct session *s, const char *fmt, ...)
{
	if (s->failed)
		return;
	s->failed = true;
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_err(session_qid(s), "analysis failed, message passes with our headers removed only: %s", msg);
}

static bool session_is_support_cb(void *ctx, const char *addr)
{
	const struct session *s = ctx;
	return config_is_support_address(s->cfg, addr);
}

struct session *session_new(struct snapshot *snap)
{
	struct session *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	snapshot_ref(snap);
	s->snap = snap;
	s->cfg = snap->cfg;
	s->tracker = hdr_tracker_new(s->cfg->header_prefix);
	if (s->tracker == NULL) {
		snapshot_release(snap);
		free(s);
		return NULL;
	}
	s->redis_wait_us = -1;
	clock_gettime(CLOCK_MONOTONIC, &s->started);
	return s;
}

void session_free(struct session *s)
{
	if (s == NULL)
		return;
	mime_free(s->mime);
	text_free(s->text);
	attach_free(s->attach);
	rules_scratch_free(s->scratch);
	/* Still pending: the message never reached its end. */
	ctr_cancel(s->counting);
	hdr_tracker_free(s->tracker);
	for (size_t i = 0; i < s->n_headers; i++) {
		free((char *)s->headers[i].name);
		free((char *)s->headers[i].value);
	}
	free(s->headers);
	free(s->atts);
	free(s->subject);
	free(s->env_from);
	for (size_t i = 0; i < s->n_rcpt; i++)
		free(s->rcpt[i]);
	free(s->rcpt);
	for (size_t i = 0; i < s->n_add; i++) {
		free(s->add[i].name);
		free(s->add[i].value);
	}
	snapshot_release(s->snap);
	free(s);
}

void session_set_qid(struct session *s, const char *qid)
{
	if (qid == NULL)
		return;
	/* Queue ids are short tokens; anything else is cut and made safe so
	 * that it can lead every log line. */
	size_t n = hdr_sanitize(qid, strlen(qid), s->qid, sizeof(s->qid));
	for (size_t i = 0; i < n; i++)
		if (s->qid[i] == ' ')
			s->qid[i] = '_';
}

const char *session_qid(const struct session *s)
{
	return s->qid[0] != '\0' ? s->qid : NULL;
}

void session_set_time(struct session *s, time_t t)
{
	s->time = t;
	s->time_set = true;
}

void session_set_sender(struct session *s, const char *addr)
{
	char bare[SESSION_ADDR_MAX];
	addr_bare(addr != NULL ? addr : "", bare, sizeof(bare));
	free(s->env_from);
	s->env_from = strdup(bare);
	if (s->env_from == NULL)
		session_fail(s, "out of memory");
}

bool session_add_rcpt(struct session *s, const char *addr)
{
	char bare[SESSION_ADDR_MAX];
	addr_bare(addr != NULL ? addr : "", bare, sizeof(bare));
	/* Counters are kept per configured address, so that +detail
	 * variants and spellings share one set. */
	const char *configured = config_support_address(s->cfg, bare);
	bool is_support = configured != NULL;
	if (is_support && !s->support) {
		s->support = true;
		snprintf(s->support_addr, sizeof(s->support_addr), "%s", configured);
	}
	if (s->n_rcpt >= SESSION_MAX_RCPT || s->failed)
		return is_support;
	char **r = realloc(s->rcpt, (s->n_rcpt + 1) * sizeof(*r));
	if (r == NULL) {
		session_fail(s, "out of memory");
		return is_support;
	}
	s->rcpt = r;
	s->rcpt[s->n_rcpt] = strdup(bare);
	if (s->rcpt[s->n_rcpt] == NULL) {
		session_fail(s, "out of memory");
		return is_support;
	}
	s->n_rcpt++;
	return is_support;
}

bool session_is_support(const struct session *s)
{
	return s->support;
}

bool session_failed(const struct session *s)
{
	return s->failed;
}

/* ------------------------------------------------------------ MIME events */

static void on_header(void *ctx, unsigned depth, bool in_message, const char *name,
                      const char *value, size_t value_len)
{
	struct session *s = ctx;
	(void)depth;
	/* A forwarded mail's Subject and sender are part of what the customer
	 * sent (the sender is often the employee concerned); they are shown
	 * as a mail client shows a forwarded message's header lines. */
	if (!in_message || s->failed)
		return;
	bool is_subject = strcasecmp(name, "Subject") == 0;
	if (!is_subject && strcasecmp(name, "From") != 0)
		return;
	char *decoded = rfc2047_decode(value, value_len);
	struct buf line;
	buf_init(&line, 1024);
	buf_printf(&line, "%s: %s", is_subject ? "Subject" : "From", decoded != NULL ? decoded : "");
	if (decoded == NULL || line.failed)
		session_fail(s, "out of memory");
	else
		text_add_line(s->text, line.data, line.len, false);
	free(decoded);
	buf_free(&line);
}

static bool is_text_leaf(const struct mime_part_info *part)
{
	const char *type = part->content_type;
	bool attached = part->disposition != NULL && strcmp(part->disposition, "attachment") == 0;
	if (strcmp(type, "text/plain") == 0 || strcmp(type, "text/html") == 0)
		return !(attached && part->filename != NULL);
	/* Bounce reports are read as text: rules look for their wording. */
	if (strcmp(type, "message/delivery-status") == 0 || strcmp(type, "text/rfc822-headers") == 0)
		return true;
	return strncmp(type, "text/", 5) == 0 && part->filename == NULL && !attached;
}

static void on_part_begin(void *ctx, const struct mime_part_info *part)
{
	struct session *s = ctx;
	s->leaf = LEAF_NONE;
	if (s->failed) {
		mime_part_enough(s->mime); /* a leaf nobody reads: only counted */
		return;
	}
	if (part->is_multipart) {
		if (part->depth < SESSION_MAX_DEPTH_TRACK)
			s->alt_has_plain[part->depth] = false;
		return;
	}
	if (part->is_message)
		return;

	if (is_text_leaf(part)) {
		struct text_part tp = {
			.charset = part->charset,
			.is_html = strcmp(part->content_type, "text/html") == 0,
			.is_forwarded = part->in_message,
		};
		bool in_alt = part->parent_type != NULL &&
		              strcmp(part->parent_type, "multipart/alternative") == 0 &&
		              part->depth > 0 && part->depth - 1 < SESSION_MAX_DEPTH_TRACK;
		if (in_alt) {
			bool *has_plain = &s->alt_has_plain[part->depth - 1];
			if (tp.is_html && *has_plain)
				tp.skip = true;
			else if (!tp.is_html)
				*has_plain = true;
		}
		text_part_begin(s->text, &tp);
		s->leaf = LEAF_TEXT;
		return;
	}

	if (s->n_atts >= (size_t)s->cfg->max_mime_parts) {
		mime_part_enough(s->mime);
		return;
	}
	attach_begin(s->attach, part);
	s->leaf = LEAF_ATTACH;
}

static void on_part_data(void *ctx, const unsigned char *p, size_t n)
{
	struct session *s = ctx;
	if (s->failed)
		return;
	if (s->leaf == LEAF_TEXT)
		text_part_data(s->text, p, n);
	else if (s->leaf == LEAF_ATTACH) {
		attach_data(s->attach, p, n);
		/* The rest of a big attachment is only counted, not decoded:
		 * on_part_end hands its size over. */
		if (!attach_wants_more(s->attach))
			mime_part_enough(s->mime);
	}
}

static void on_part_end(void *ctx)
{
	struct session *s = ctx;
	enum leaf_kind leaf = s->leaf;
	s->leaf = LEAF_NONE;
	if (s->failed)
		return;
	if (leaf == LEAF_TEXT) {
		text_part_end(s->text);
	} else if (leaf == LEAF_ATTACH) {
		if (s->n_atts == s->cap_atts) {
			size_t cap = s->cap_atts ? s->cap_atts * 2 : 4;
			struct attachment *a = realloc(s->atts, cap * sizeof(*a));
			if (a == NULL) {
				session_fail(s, "out of memory");
				return;
			}
			s->atts = a;
			s->cap_atts = cap;
		}
		attach_set_size(s->attach, mime_part_size(s->mime));
		attach_end(s->attach, &s->atts[s->n_atts++]);
	}
}

static int session_start_analysis(struct session *s)
{
	const struct config *cfg = s->cfg;
	struct mime_limits limits = {
		.max_header_size = (size_t)cfg->max_header_size,
		.max_line = (size_t)cfg->max_line_length,
		.max_depth = (size_t)cfg->max_mime_depth,
		.max_parts = (size_t)cfg->max_mime_parts,
	};
	static const struct mime_callbacks callbacks = {
		.header = on_header,
		.part_begin = on_part_begin,
		.part_data = on_part_data,
		.part_end = on_part_end,
	};
	s->mime = mime_new(&limits, &callbacks, s);
	s->text = text_new((size_t)cfg->max_text_size, session_is_support_cb, s);
	s->attach = attach_new((size_t)cfg->max_sniff_bytes);
	if (s->mime == NULL || s->text == NULL || s->attach == NULL)
		return -1;
	return 0;
}

/* ---------------------------------------------------------------- inputs */

static void session_keep_header(struct session *s, const char *name, const char *value)
{
	if (s->n_headers >= (size_t)s->cfg->max_headers) {
		s->headers_truncated = true;
		return;
	}
	if (s->n_headers % 16 == 0) {
		struct facts_header *h = realloc(s->headers, (s->n_headers + 16) * sizeof(*h));
		if (h == NULL) {
			session_fail(s, "out of memory");
			return;
		}
		s->headers = h;
	}
	size_t len = strnlen(value, (size_t)s->cfg->max_header_size);
	char *decoded = rfc2047_decode(value, len);
	char *copy = strdup(name);
	if (decoded == NULL || copy == NULL) {
		free(decoded);
		free(copy);
		session_fail(s, "out of memory");
		return;
	}
	s->headers[s->n_headers].name = copy;
	s->headers[s->n_headers].value = decoded;
	s->n_headers++;
	if (s->subject == NULL && strcasecmp(name, "Subject") == 0) {
		s->subject = strdup(decoded);
		if (s->subject == NULL)
			session_fail(s, "out of memory");
	}
}

void session_header(struct session *s, const char *name, const char *value)
{
	if (name == NULL)
		return;
	if (value == NULL)
		value = "";
	hdr_tracker_see(s->tracker, name);
	if (!s->support || s->failed)
		return;
	if (s->mime == NULL && session_start_analysis(s) < 0) {
		session_fail(s, "out of memory starting analysis");
		return;
	}
	/* Our own prefixed headers are forgeries here: they are removed and
	 * must not steer the rules either. */
	if (hdr_has_prefix(name, s->cfg->header_prefix))
		return;
	session_keep_header(s, name, value);
	mime_header(s->mime, name, value);
}

/* The receipt time, fixed once (at DATA when counting, else at the end
 * of the message), and the support's local hours at that time: both the
 * counters and X-Support-Hours read these. */
static void session_fix_time(struct session *s)
{
	if (s->hours_known)
		return;
	if (!s->time_set) {
		s->time = time(NULL);
		s->time_set = true;
	}
	s->facts.time = s->time;
	hours_eval(&s->cfg->hours, s->time, &s->facts.hours);
	s->hours_known = true;
}

/* The counters' view of the message's arrival (no verdict yet). */
static struct ctr_event session_counter_event(const struct session *s)
{
	const struct tm *local = &s->facts.hours.local;
	return (struct ctr_event){
		.address = s->support_addr,
		.received = s->facts.time,
		.year = local->tm_year + 1900,
		.month = local->tm_mon + 1,
		.day = local->tm_mday,
		.wday = local->tm_wday,
		.hour = local->tm_hour,
	};
}

/* The load counters learn of the message at DATA (at the latest at the
 * end of its headers): while the content comes (an MTA sends it only
 * after the client has sent it all; Postfix's cleanup replays it from the
 * queue file), the arrival rides along with the batch another message's
 * end asks for, so that this hour's count (X-Support-Load) is usually
 * back by the end of the message, and Redis sees one batch per several
 * messages.  The receipt time is fixed here: the counted hour and
 * X-Support-Hours are the same hour. */
static void session_count_arrival(struct session *s)
{
	if (s->arrival_tried || s->cfg->redis_server[0] == '\0')
		return;
	s->arrival_tried = true;
	session_fix_time(s);
	struct ctr_event ev = session_counter_event(s);
	s->counting = ctr_begin(&ev);
}

void session_end_headers(struct session *s)
{
	if (!s->support || s->failed)
		return;
	if (s->mime == NULL && session_start_analysis(s) < 0) {
		session_fail(s, "out of memory starting analysis");
		return;
	}
	mime_end_headers(s->mime);
	if (s->subject != NULL)
		text_add_line(s->text, s->subject, strlen(s->subject), true);
	session_count_arrival(s);
}

void session_data(struct session *s)
{
	if (s->support && !s->failed)
		session_count_arrival(s);
}

void session_body(struct session *s, const unsigned char *p, size_t n)
{
	if (!s->support || s->failed || s->mime == NULL)
		return;
	s->body_bytes += n;
	mime_feed(s->mime, p, n);
}

/* ---------------------------------------------------------------- finish */

static void session_add_header(void *ctx, const char *name, const char *value)
{
	struct session *s = ctx;
	if (s->n_add >= SESSION_MAX_ADD) {
		session_fail(s, "too many headers to add");
		return;
	}
	char *full = malloc(strlen(s->cfg->header_prefix) + strlen(name) + 1);
	if (full == NULL) {
		session_fail(s, "out of memory");
		return;
	}
	strcpy(full, s->cfg->header_prefix);
	strcat(full, name);
	char *folded = hdr_fold(full, value);
	if (folded == NULL) {
		free(full);
		session_fail(s, "out of memory");
		return;
	}
	s->add[s->n_add].name = full;
	s->add[s->n_add].value = folded;
	s->n_add++;
}

static unsigned session_flags(const struct session *s)
{
	unsigned m = mime_flags(s->mime), f = 0;
	if (m & MIME_TRUNC_HEADER) f |= FACT_TRUNC_HEADER;
	if (m & MIME_TRUNC_LINE) f |= FACT_TRUNC_LINE;
	if (m & MIME_TRUNC_DEPTH) f |= FACT_TRUNC_DEPTH;
	if (m & MIME_TRUNC_PARTS) f |= FACT_TRUNC_PARTS;
	if (m & (MIME_ERR_BOUNDARY | MIME_ERR_HEADER)) f |= FACT_ERR_MIME;
	if (m & MIME_ERR_ENCODING) f |= FACT_ERR_ENCODING;
	if (text_truncated(s->text)) f |= FACT_TRUNC_TEXT;
	if (text_charset_unknown(s->text)) f |= FACT_ERR_CHARSET;
	if (s->headers_truncated) f |= FACT_TRUNC_HEADERS;
	return f;
}

static void session_build_facts(struct session *s)
{
	struct facts *f = &s->facts;
	const struct config *cfg = s->cfg;

	f->subject = s->subject != NULL ? s->subject : "";
	f->headers = s->headers;
	f->n_headers = s->n_headers;
	f->body = text_body(s->text, &f->body_len);
	f->own = text_own(s->text, &f->own_len);
	f->language = text_language(s->text);
	f->attachments = s->atts;
	f->n_attachments = s->n_atts;
	for (size_t i = 0; i < s->n_atts; i++) {
		const struct attachment *a = &s->atts[i];
		if (a->mismatch)
			f->mismatch = true;
		if (f->screenshot == NULL &&
		    attach_is_screenshot(a, (uint32_t)cfg->screenshot_min_width,
		                         (uint32_t)cfg->screenshot_min_height))
			f->screenshot = a;
	}
	f->env_from = s->env_from != NULL ? s->env_from : "";
	f->rcpt = (const char *const *)s->rcpt;
	f->n_rcpt = s->n_rcpt;
	session_fix_time(s);
	f->flags = session_flags(s);
}

static struct report_input session_report_input(const struct session *s)
{
	bool analysed = s->finished && !s->failed;
	struct report_input in = {
		.cfg = s->cfg,
		.facts = analysed ? &s->facts : NULL,
		.verdict = analysed && s->verdict_valid ? &s->verdict : NULL,
		.rules_hash = s->snap->rules != NULL ? rules_hash(s->snap->rules) : NULL,
		.qid = session_qid(s),
		.autoreply = s->autoreply,
		.autoreply_why_not = s->autoreply_why_not,
		.has_load = s->has_load,
		.load = s->load,
	};
	return in;
}

static void session_log_summary(const struct session *s)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	double ms = (double)(now.tv_sec - s->started.tv_sec) * 1e3 +
	            (double)(now.tv_nsec - s->started.tv_nsec) / 1e6;
	struct report_input in = session_report_input(s);
	struct buf line;
	buf_init(&line, 2048);
	report_summary(&in, &line);
	buf_printf(&line, " removed=%zu size=%llu ms=%.1f", hdr_tracker_count(s->tracker),
	           (unsigned long long)s->body_bytes, ms);
	if (s->redis_wait_us >= 0)
		buf_printf(&line, " load=%lld redis_wait_us=%ld", s->has_load ? s->load : -1LL,
		           s->redis_wait_us);
	log_info(session_qid(s), "%s", buf_cstr(&line));
	buf_free(&line);
}

/* Hands this message to the load counters (never waits on Redis beyond
 * RedisTimeout) and keeps this hour's count if it came in time. */
static void session_count(struct session *s)
{
	const char *cats[VERDICT_MAX_CATEGORIES], *miss[VERDICT_MAX_ITEMS];
	struct ctr_event ev = session_counter_event(s);
	if (s->verdict_valid) {
		for (size_t i = 0; i < s->verdict.n_categories; i++)
			cats[i] = s->verdict.categories[i].id;
		for (size_t i = 0; i < s->verdict.n_missing; i++)
			miss[i] = s->verdict.missing[i].id;
		ev.priority = verdict_priority_name(s->verdict.priority);
		ev.categories = cats;
		ev.n_categories = s->verdict.n_categories;
		ev.missing = miss;
		ev.n_missing = s->verdict.n_missing;
	}
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (s->counting != NULL) {
		s->has_load = ctr_end(s->counting, &ev, &s->load);
		s->counting = NULL;
	} else {
		s->has_load = ctr_count(&ev, &s->load);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	s->redis_wait_us = (long)((t1.tv_sec - t0.tv_sec) * 1000000L + (t1.tv_nsec - t0.tv_nsec) / 1000);
}

void session_finish(struct session *s)
{
	if (s->finished)
		return;
	s->finished = true;
	if (!s->support)
		return;
	if (!s->failed && s->mime == NULL && session_start_analysis(s) < 0)
		session_fail(s, "out of memory starting analysis");
	if (!s->failed) {
		mime_finish(s->mime);
		session_build_facts(s);
	}
	if (!s->failed && s->snap->rules != NULL) {
		if (s->scratch == NULL)
			s->scratch = rules_scratch_new(s->snap->rules);
		verdict_init(&s->verdict);
		if (s->scratch == NULL || rules_eval(s->snap->rules, s->scratch, &s->facts, &s->verdict) < 0)
			session_fail(s, "rules evaluation failed");
		else
			s->verdict_valid = true;
	}
	if (!s->failed && s->verdict_valid && s->verdict.autoreply_wanted) {
		s->autoreply_why_not = eligible_why_not(&s->facts, s->cfg);
		s->autoreply = s->autoreply_why_not == NULL;
	}
	if (!s->failed && s->cfg->redis_server[0] != '\0')
		session_count(s);
	/* Passed unanalysed: it still arrived, so its arrival stays counted. */
	ctr_end(s->counting, NULL, NULL);
	s->counting = NULL;
	if (!s->failed) {
		struct report_input in = session_report_input(s);
		report_headers(&in, session_add_header, s);
		if (s->failed) {
			/* Never add half of our headers. */
			for (size_t i = 0; i < s->n_add; i++) {
				free(s->add[i].name);
				free(s->add[i].value);
			}
			s->n_add = 0;
		}
	}
	if (hdr_tracker_truncated(s->tracker))
		log_warn(session_qid(s), "more prefixed headers than can be tracked: only the last %d copies are removed",
		         HDR_TRACKER_MAX_REMOVALS);
	session_log_summary(s);
}

/* --------------------------------------------------------------- results */

size_t session_removal_count(const struct session *s)
{
	return s->support ? hdr_tracker_count(s->tracker) : 0;
}

bool session_removal(const struct session *s, size_t i, struct hdr_removal *out)
{
	if (!s->support)
		return false;
	return hdr_tracker_removal(s->tracker, i, out);
}

size_t session_add_count(const struct session *s)
{
	return s->n_add;
}

bool session_add(const struct session *s, size_t i, const char **name, const char **value)
{
	if (i >= s->n_add)
		return false;
	*name = s->add[i].name;
	*value = s->add[i].value;
	return true;
}

const struct facts *session_facts(const struct session *s)
{
	return s->finished && !s->failed && s->support ? &s->facts : NULL;
}

const struct verdict *session_verdict(const struct session *s)
{
	return s->finished && !s->failed && s->verdict_valid ? &s->verdict : NULL;
}

struct snapshot *session_snapshot(const struct session *s)
{
	return s->snap;
}

void session_report(const struct session *s, const char *file, struct buf *out)
{
	struct report_input in = session_report_input(s);
	report_json(&in, file, out);
}

bool session_autoreply(const struct session *s, const char **why_not)
{
	if (why_not != NULL)
		*why_not = s->autoreply_why_not;
	return s->autoreply;
}

const char *session_support_address(const struct session *s)
{
	return s->support_addr;
}

void session_send_reply(struct session *s)
{
	if (!s->autoreply || s->failed || !s->cfg->auto_reply || !outq_running())
		return;
	struct autoreply_options o;
	snapshot_autoreply_options(s->snap, &o);
	struct buf msg;
	buf_init(&msg, AUTOREPLY_MAX_MESSAGE);
	char rcpt[SESSION_ADDR_MAX], key[SESSION_ADDR_MAX];
	if (autoreply_compose(&o, &s->facts, &s->verdict, s->support_addr, &msg, rcpt, sizeof(rcpt)) < 0) {
		log_warn(session_qid(s), "auto-reply not sent: %s", autoreply_error());
	} else if (autoreply_sender_key(rcpt, key, sizeof(key)) < 0) {
		log_warn(session_qid(s), "auto-reply not sent: sender address too long");
	} else if (outq_submit_qid(session_qid(s) != NULL ? session_qid(s) : "-", rcpt, key, msg.data,
	                           msg.len)) {
		log_debug(session_qid(s), "auto-reply queued");
	}
	buf_free(&msg);
}
