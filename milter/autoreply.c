/*
 * autoreply: the reply message (see autoreply.h); the templates are
 * autoreply_tmpl.c's.
 *
 * Inputs: the facts (envelope sender, decoded subject, header values,
 * language, hours), the verdict (missing items and categories with their
 * labels from the rules), the templates and the options.  Output: one
 * complete message in a bounded buf, and the recipient.  Failure: -1 and
 * no reply; nothing is logged here (the caller logs with the queue id).
 *
 * Limits: templates AUTOREPLY_MAX_TEMPLATE bytes each; the subject is
 * cut to AUTOREPLY_SUBJECT_CHARS characters; References keeps the first
 * and the last msg-ids up to AUTOREPLY_MAX_REFERENCES; the message is at
 * most AUTOREPLY_MAX_MESSAGE bytes (more fails: a template that large is
 * a mistake, not a reason to send half a reply).
 *
 * Header safety: every header value is built by encode.c from sanitized
 * text or from tokens that passed a strict syntax check (addresses:
 * eligible_is_safe_address; msg-ids: dot-atom "@" dot-atom), and the
 * finished header block is checked byte by byte once more.
 */
#include "autoconfig.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "autoreply.h"
#include "autoreply_int.h"
#include "buf.h"
#include "eligible.h"
#include "encode.h"
#include "facts.h"
#include "hours.h"
#include "tz.h"
#include "verdict.h"

void autoreply_options_init(struct autoreply_options *o)
{
	memset(o, 0, sizeof(*o));
	o->from_name = "";
	o->period = 86400;
	o->max_per_10min = 30;
	o->queue_size = 100;
	o->timeout = 60;
	o->senders = 10000;
	o->sendmail_command = "/usr/sbin/sendmail -i -f <> -N never --";
	o->templates_dir = "";
	o->redis_server = "";
	o->redis_password = "";
	o->redis_timeout_ms = 20;
	o->redis_key_prefix = "sm:";
}

/* ---------------------------------------------------------------- headers */

/* Drops leading reply markers ("Re:", "SV:", "AW:", "Antw:", "Re[2]:",
 * "RE :") so that ours is not doubled. */
static const char *strip_reply_prefixes(const char *s)
{
	static const char *const markers[] = { "re", "sv", "aw", "antw" };
	for (;;) {
		while (*s == ' ')
			s++;
		const char *p = NULL;
		for (size_t i = 0; i < sizeof(markers) / sizeof(markers[0]); i++) {
			size_t n = strlen(markers[i]);
			if (strncasecmp(s, markers[i], n) == 0) {
				p = s + n;
				break;
			}
		}
		if (p == NULL)
			return s;
		if (*p == '[' || *p == '(') {
			char close = *p == '[' ? ']' : ')';
			p++;
			while (isdigit((unsigned char)*p))
				p++;
			if (*p != close)
				return s;
			p++;
		}
		while (*p == ' ')
			p++;
		if (*p != ':')
			return s;
		s = p + 1;
	}
}

static bool is_atext_dot(unsigned char c)
{
	return isalnum(c) || (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~.", c) != NULL);
}

static bool is_dot_atom(const char *s, size_t n)
{
	if (n == 0 || s[0] == '.' || s[n - 1] == '.')
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!is_atext_dot((unsigned char)s[i]))
			return false;
		if (s[i] == '.' && i + 1 < n && s[i + 1] == '.')
			return false;
	}
	return true;
}

/* "<left@right>" with dot-atom-text on both sides, at most 250 bytes. */
static bool is_msg_id(const char *s, size_t n)
{
	if (n < 5 || n > 250 || s[0] != '<' || s[n - 1] != '>')
		return false;
	const char *at = memchr(s, '@', n);
	if (at == NULL)
		return false;
	size_t l = (size_t)(at - s) - 1, r = n - 2 - l - 1;
	return is_dot_atom(s + 1, l) && is_dot_atom(at + 1, r);
}

/* The single msg-id of a Message-ID value (blanks around allowed). */
static bool parse_message_id(const char *v, char *out, size_t outsz)
{
	if (v == NULL)
		return false;
	while (*v == ' ' || *v == '\t')
		v++;
	size_t n = strcspn(v, " \t");
	const char *rest = v + n;
	while (*rest == ' ' || *rest == '\t')
		rest++;
	if (*rest != '\0' || !is_msg_id(v, n) || n >= outsz)
		return false;
	memcpy(out, v, n);
	out[n] = '\0';
	return true;
}

struct refs {
	char ids[AUTOREPLY_MAX_REFERENCES][256];
	size_t n;
	bool have_first;
};

/* Keeps the first valid msg-id and the last ones (RFC 5322 §3.6.4 lets a
 * long References lose its middle), skipping anything invalid. */
static void collect_references(const char *v, struct refs *r)
{
	size_t keep_last = AUTOREPLY_MAX_REFERENCES - 2;  /* first + last + the parent */
	char last[AUTOREPLY_MAX_REFERENCES][256];
	size_t n_last = 0, head = 0;
	r->n = 0;
	while (v != NULL && *v != '\0') {
		const char *lt = strchr(v, '<');
		if (lt == NULL)
			break;
		const char *gt = strchr(lt, '>');
		if (gt == NULL)
			break;
		size_t n = (size_t)(gt - lt) + 1;
		v = gt + 1;
		if (!is_msg_id(lt, n) || n >= 256)
			continue;
		if (r->n == 0) {
			memcpy(r->ids[0], lt, n);
			r->ids[0][n] = '\0';
			r->n = 1;
			continue;
		}
		size_t slot = (head + n_last) % keep_last;
		if (n_last == keep_last)
			head = (head + 1) % keep_last;
		else
			n_last++;
		memcpy(last[slot], lt, n);
		last[slot][n] = '\0';
	}
	for (size_t i = 0; i < n_last; i++)
		memcpy(r->ids[r->n++], last[(head + i) % keep_last], 256);
}

static void format_date(time_t t, const struct hours_spec *h, char *out, size_t outsz)
{
	static const char *const days[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
	                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm tm;
	long off = 0;
	memset(&tm, 0, sizeof(tm));
	if (h != NULL && h->tz != NULL && tz_localtime(h->tz, t, &tm) == 0 && tm.tm_year >= 70 && tm.tm_mon >= 0 &&
	    tm.tm_mon < 12 && tm.tm_wday >= 0 && tm.tm_wday < 7) {
		off = tm.tm_gmtoff;
	} else {
		gmtime_r(&t, &tm);
	}
	long aoff = off < 0 ? -off : off;
	snprintf(out, outsz, "%s, %d %s %04d %02d:%02d:%02d %c%02ld%02ld", days[tm.tm_wday], tm.tm_mday,
	         months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec,
	         off < 0 ? '-' : '+', aoff / 3600, aoff % 3600 / 60);
}

static void new_message_id(const char *support, time_t t, char *out, size_t outsz)
{
	static unsigned long counter;
	unsigned char rnd[12];
	if (getrandom(rnd, sizeof(rnd), GRND_NONBLOCK) != (ssize_t)sizeof(rnd)) {
		/* No entropy yet: uniqueness is what matters for a Message-ID. */
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		unsigned long long x = (unsigned long long)ts.tv_nsec ^ ((unsigned long long)getpid() << 32) ^
		                       __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED);
		for (size_t i = 0; i < sizeof(rnd); i++) {
			x = x * 6364136223846793005ULL + 1442695040888963407ULL;
			rnd[i] = (unsigned char)(x >> 56);
		}
	}
	char hexs[2 * sizeof(rnd) + 1];
	for (size_t i = 0; i < sizeof(rnd); i++)
		snprintf(hexs + 2 * i, 3, "%02x", rnd[i]);
	const char *domain = strchr(support, '@') + 1;
	snprintf(out, outsz, "<sm.%lld.%s@%s>", (long long)t, hexs, domain);
	for (char *p = out; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
}

/* The header block is printable ASCII, lines at most 998 bytes, every
 * line a field or a continuation. */
static bool headers_are_clean(const char *msg, size_t len)
{
	size_t col = 0;
	bool line_start = true;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)msg[i];
		if (c == '\n') {
			if (line_start)
				return true;  /* the blank line: end of the header */
			line_start = true;
			col = 0;
			continue;
		}
		if (c < 0x20 || c > 0x7e)
			return false;
		if (line_start && c != ' ' && c != '\t' && !isalnum(c))
			return false;
		line_start = false;
		if (++col > 998)
			return false;
	}
	return false;
}

/* ---------------------------------------------------------------- compose */

static int compose(const struct autoreply_options *o, const struct facts *f, const struct verdict *v,
                   const char *support, struct buf *out, char *rcpt, size_t rcptsz, const char **why)
{
	if (!eligible_is_safe_address(f->env_from)) {
		*why = "the sender is not a plain address";
		return -1;
	}
	if (support == NULL || !eligible_is_safe_address(support)) {
		*why = "the support address is not a plain address";
		return -1;
	}
	if ((size_t)snprintf(rcpt, rcptsz, "%s", f->env_from) >= rcptsz) {
		*why = "recipient buffer too small";
		return -1;
	}

	struct autoreply_templates *own = NULL;
	const struct autoreply_templates *t = o->templates;
	if (t == NULL) {
		if (o->templates_dir == NULL || o->templates_dir[0] == '\0' ||
		    (own = autoreply_templates_load(o->templates_dir, NULL)) == NULL) {
			*why = "no valid templates";
			return -1;
		}
		t = own;
	}

	int lang = f->language != NULL && strcmp(f->language, "en") == 0 ? AUTOREPLY_LANG_EN : AUTOREPLY_LANG_DA;
	char subject[AUTOREPLY_SUBJECT_CHARS * 4 + 8];
	const char *orig = f->subject != NULL ? f->subject : "";
	encode_sanitize_utf8(orig, strlen(orig), AUTOREPLY_SUBJECT_CHARS, subject, sizeof(subject));

	struct buf body;
	buf_init(&body, AUTOREPLY_MAX_MESSAGE / 2);
	int rc = autoreply_render(t, lang, o, f, v, subject, &body);
	autoreply_templates_free(own);
	if (rc < 0 || body.failed || body.truncated) {
		*why = rc < 0 ? "template error" : "reply body too large";
		buf_free(&body);
		return -1;
	}

	char name[256];
	encode_sanitize_utf8(o->from_name != NULL ? o->from_name : "", o->from_name != NULL ? strlen(o->from_name) : 0,
	                     64, name, sizeof(name));
	const char *topic = strip_reply_prefixes(subject);
	if (*topic == '\0')
		topic = lang == AUTOREPLY_LANG_EN ? "Your support request" : "Din henvendelse til support";

	time_t now = time(NULL);
	char date[64], msgid[300], parent[256];
	format_date(now, o->hours, date, sizeof(date));
	new_message_id(support, now, msgid, sizeof(msgid));

	size_t start = out->len;
	encode_header_mailbox(out, "From", name, support);
	encode_header_mailbox(out, "To", "", rcpt);
	encode_header_text(out, "Subject", "Re:", topic);
	buf_printf(out, "Date: %s\n", date);
	buf_printf(out, "Message-ID: %s\n", msgid);
	if (parse_message_id(facts_header(f, "Message-ID"), parent, sizeof(parent))) {
		/* RFC 5322 §3.6.4: without References, a parent's single
		 * In-Reply-To msg-id starts the chain. */
		struct refs refs;
		char irt[256];
		const char *chain = facts_header(f, "References");
		if (chain == NULL && parse_message_id(facts_header(f, "In-Reply-To"), irt, sizeof(irt)))
			chain = irt;
		collect_references(chain, &refs);
		const char *tokens[AUTOREPLY_MAX_REFERENCES];
		size_t n = 0;
		for (size_t i = 0; i < refs.n; i++)
			if (strcmp(refs.ids[i], parent) != 0)
				tokens[n++] = refs.ids[i];
		tokens[n++] = parent;
		const char *one[1] = { parent };
		encode_header_tokens(out, "In-Reply-To", one, 1);
		encode_header_tokens(out, "References", tokens, n);
	}
	buf_printf(out, "Auto-Submitted: auto-replied\n");
	buf_printf(out, "X-Auto-Response-Suppress: All\n");
	buf_printf(out, "Precedence: bulk\n");
	buf_printf(out, "MIME-Version: 1.0\n");
	buf_printf(out, "Content-Type: text/plain; charset=utf-8\n");
	buf_printf(out, "Content-Transfer-Encoding: quoted-printable\n");
	buf_putc(out, '\n');
	encode_qp(buf_cstr(&body), body.len, out);
	buf_free(&body);

	if (out->failed || out->truncated) {
		*why = "reply too large";
		return -1;
	}
	if (!headers_are_clean(out->data + start, out->len - start)) {
		*why = "internal error: unclean header";
		return -1;
	}
	return 0;
}

static _Thread_local const char *last_error = "no error";

int autoreply_compose(const struct autoreply_options *o, const struct facts *f,
                      const struct verdict *v, const char *support_address,
                      struct buf *out_message, char *recipient, size_t recipient_sz)
{
	const char *why = "unknown";
	int rc = compose(o, f, v, support_address, out_message, recipient, recipient_sz, &why);
	if (rc < 0)
		last_error = why;
	return rc;
}

const char *autoreply_error(void)
{
	return last_error;
}

int autoreply_sender_key(const char *recipient, char *out, size_t outsz)
{
	size_t n = strlen(recipient);
	if (n >= outsz)
		return -1;
	for (size_t i = 0; i <= n; i++)
		out[i] = (char)tolower((unsigned char)recipient[i]);
	return 0;
}

int autoreply_show(FILE *fp, const struct autoreply_options *o, const struct facts *f,
                   const struct verdict *v, const char *why_not, const char *support_address)
{
	if (f == NULL || v == NULL) {
		fprintf(fp, "auto-reply: none (no verdict: analysis failed or no rules)\n");
		return 1;
	}
	if (!v->autoreply_wanted) {
		fprintf(fp, "auto-reply: none (the rules do not ask for one)\n");
		return 1;
	}
	if (why_not != NULL) {
		fprintf(fp, "auto-reply: none (not eligible: %s)\n", why_not);
		return 1;
	}
	if (!o->enabled) {
		fprintf(fp, "auto-reply: none (disabled: AutoReply no)\n");
		return 1;
	}
	struct buf msg;
	char rcpt[AUTOREPLY_RCPT_SIZE];
	const char *why = "unknown";
	buf_init(&msg, AUTOREPLY_MAX_MESSAGE);
	if (compose(o, f, v, support_address, &msg, rcpt, sizeof(rcpt), &why) < 0) {
		fprintf(fp, "auto-reply: none (cannot compose: %s)\n", why);
		buf_free(&msg);
		return -1;
	}
	fprintf(fp, "auto-reply: to=%s language=%s missing=", rcpt,
	        f->language != NULL && strcmp(f->language, "en") == 0 ? "en" : "da");
	for (size_t i = 0; i < v->n_missing; i++)
		fprintf(fp, "%s%s", i > 0 ? "," : "", v->missing[i].id);
	fprintf(fp, " categories=");
	for (size_t i = 0; i < v->n_categories; i++)
		fprintf(fp, "%s%s", i > 0 ? "," : "", v->categories[i].id);
	fprintf(fp, "\n\n");
	fwrite(msg.data, 1, msg.len, fp);
	buf_free(&msg);
	return 0;
}
