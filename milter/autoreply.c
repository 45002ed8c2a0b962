/*
 * autoreply: the reply message and its templates (see autoreply.h).
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
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "autoreply.h"
#include "buf.h"
#include "diag.h"
#include "eligible.h"
#include "encode.h"
#include "facts.h"
#include "hours.h"
#include "tz.h"
#include "verdict.h"

#define LANG_DA 0
#define LANG_EN 1
#define MAX_COND_DEPTH 8
#define WRAP_COLUMNS 72

struct autoreply_templates {
	char *text[2];
	char *file[2];
};

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

/* ------------------------------------------------------------- rendering */

struct render {
	const struct autoreply_options *o;
	const struct facts *f;
	const struct verdict *v;
	int lang;
	const char *subject;        /* sanitized original subject */
	struct buf *out;            /* NULL: check only */
	struct diag *d;
	const char *file;
	unsigned errors;
	bool blank_pending;
};

static const char *const cond_names[] = {
	"missing", "recommended", "categories", "callback", "out-of-scope", "open",
};

static const char *item_label(const struct verdict_item *it, int lang)
{
	const char *l = lang == LANG_EN ? it->label_en : it->label_da;
	if (l == NULL || l[0] == '\0')
		l = lang == LANG_EN ? it->label_da : it->label_en;
	return l != NULL && l[0] != '\0' ? l : it->id;
}

static const char *category_text(const struct verdict_category *c, int lang)
{
	const char *t = lang == LANG_EN ? c->explain_en : c->explain_da;
	if (t == NULL || t[0] == '\0')
		t = lang == LANG_EN ? c->explain_da : c->explain_en;
	return t != NULL && t[0] != '\0' ? t : NULL;
}

static bool cond_value(const struct render *r, size_t which)
{
	const struct verdict *v = r->v;
	switch (which) {
	case 0:
	case 1:
		for (size_t i = 0; i < v->n_missing; i++)
			if (v->missing[i].required == (which == 0))
				return true;
		return false;
	case 2:
		for (size_t i = 0; i < v->n_categories; i++)
			if (category_text(&v->categories[i], r->lang) != NULL)
				return true;
		return false;
	case 3:
		for (size_t i = 0; i < v->n_categories; i++)
			if (v->categories[i].id != NULL && strcmp(v->categories[i].id, "callback") == 0)
				return true;
		return false;
	case 4:
		return v->out_of_scope;
	default:
		return r->f->hours.open;
	}
}

static void render_error(struct render *r, unsigned line, const char *msg, const char *arg, size_t n)
{
	r->errors++;
	if (r->d != NULL)
		diag_error(r->d, r->file, line, "%s%s%.*s%s", msg, n > 0 ? " \"" : "", (int)(n > 60 ? 60 : n),
		           arg != NULL ? arg : "", n > 0 ? "\"" : "");
}

/* Opening hours in words, from the windows. */
static void format_hours(const struct hours_spec *h, int lang, struct buf *out)
{
	static const char *const da[] = { "søndag", "mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag" };
	static const char *const en[] = { "Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday" };
	const char *const *names = lang == LANG_EN ? en : da;
	if (h == NULL)
		return;
	for (size_t w = 0; w < h->n_open; w++) {
		const struct hours_window *win = &h->open[w];
		if (w > 0)
			buf_append(out, ", ", 2);
		/* Runs of days in Monday-first order. */
		bool first_run = true;
		for (int i = 0; i < 7;) {
			int wday = (i + 1) % 7;
			if (!(win->days & (1u << wday))) {
				i++;
				continue;
			}
			int j = i;
			while (j + 1 < 7 && (win->days & (1u << ((j + 2) % 7))))
				j++;
			if (!first_run)
				buf_append(out, ", ", 2);
			first_run = false;
			buf_printf(out, "%s", names[wday]);
			if (j > i)
				buf_printf(out, "%s%s", j == i + 1 ? (lang == LANG_EN ? " and " : " og ") : "–",
				           names[(j + 1) % 7]);
			i = j + 1;
		}
		char sep = lang == LANG_EN ? ':' : '.';
		buf_printf(out, "%s%02u%c%02u–%02u%c%02u", lang == LANG_EN ? " " : " kl. ",
		           win->start_min / 60u, sep, win->start_min % 60u, win->end_min / 60u, sep,
		           win->end_min % 60u);
	}
}

/* Appends text wrapped at WRAP_COLUMNS characters (a longer word gets a
 * line of its own). */
static void wrap_text(const char *text, struct buf *out)
{
	size_t col = 0;
	const char *p = text;
	while (*p != '\0') {
		while (*p == ' ')
			p++;
		size_t n = strcspn(p, " ");
		if (n == 0)
			break;
		size_t chars = 0;
		for (size_t k = 0; k < n; k++)
			if (((unsigned char)p[k] & 0xc0) != 0x80)
				chars++;
		if (col > 0 && col + 1 + chars > WRAP_COLUMNS) {
			buf_putc(out, '\n');
			col = 0;
		} else if (col > 0) {
			buf_putc(out, ' ');
			col++;
		}
		buf_append(out, p, n);
		col += chars;
		p += n;
	}
}

static void expand_missing(const struct render *r, struct buf *out)
{
	static const char *const pref[] = { " (meget gerne)", " (very much preferred)" };
	char label[512];
	bool first = true;
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < r->v->n_missing; i++) {
			const struct verdict_item *it = &r->v->missing[i];
			if (it->required != (pass == 0))
				continue;
			const char *l = item_label(it, r->lang);
			encode_sanitize_utf8(l, strlen(l), 200, label, sizeof(label));
			if (!first)
				buf_putc(out, '\n');
			first = false;
			buf_printf(out, "- %s%s", label, pass == 0 ? "" : pref[r->lang]);
		}
	}
}

static void expand_categories(const struct render *r, struct buf *out)
{
	struct buf hours, text;
	bool first = true;
	buf_init(&hours, 1024);
	buf_init(&text, 8192);
	format_hours(r->o->hours, r->lang, &hours);
	for (size_t i = 0; i < r->v->n_categories; i++) {
		const char *t = category_text(&r->v->categories[i], r->lang);
		if (t == NULL)
			continue;
		buf_reset(&text);
		for (const char *p = t; *p != '\0';) {
			const char *ph = strstr(p, "{{hours}}");
			size_t n = ph != NULL ? (size_t)(ph - p) : strlen(p);
			buf_append(&text, p, n);
			if (ph == NULL)
				break;
			buf_append(&text, buf_cstr(&hours), hours.len);
			p = ph + 9;
		}
		char *clean = malloc(text.len + 4);
		if (clean == NULL) {
			out->failed = true;
			break;
		}
		encode_sanitize_utf8(buf_cstr(&text), text.len, text.len + 1, clean, text.len + 4);
		if (!first)
			buf_append(out, "\n\n", 2);
		first = false;
		wrap_text(clean, out);
		free(clean);
	}
	buf_free(&hours);
	buf_free(&text);
}

static bool expand(const struct render *r, const char *name, size_t n, struct buf *out)
{
	if (n == 7 && memcmp(name, "missing", 7) == 0) {
		if (out != NULL)
			expand_missing(r, out);
	} else if (n == 10 && memcmp(name, "categories", 10) == 0) {
		if (out != NULL)
			expand_categories(r, out);
	} else if (n == 5 && memcmp(name, "hours", 5) == 0) {
		if (out != NULL)
			format_hours(r->o->hours, r->lang, out);
	} else if (n == 7 && memcmp(name, "subject", 7) == 0) {
		if (out != NULL)
			buf_printf(out, "%s", r->subject);
	} else {
		return false;
	}
	return true;
}

/* Emits one rendered line: blank lines collapse, none at the start. */
static void emit_line(struct render *r, const char *s, size_t n)
{
	if (n == 0) {
		r->blank_pending = r->out->len > 0;
		return;
	}
	if (r->blank_pending)
		buf_putc(r->out, '\n');
	r->blank_pending = false;
	buf_append(r->out, s, n);
	buf_putc(r->out, '\n');
}

static void render_line(struct render *r, const char *s, size_t n, unsigned lineno, bool active)
{
	struct buf line;
	buf_init(&line, AUTOREPLY_MAX_MESSAGE);
	size_t placeholders = 0;
	for (size_t i = 0; i < n;) {
		if (i + 1 < n && s[i] == '{' && s[i + 1] == '{') {
			const char *close = NULL;
			for (size_t k = i + 2; k + 1 < n; k++)
				if (s[k] == '}' && s[k + 1] == '}') {
					close = s + k;
					break;
				}
			if (close == NULL) {
				render_error(r, lineno, "unterminated {{", NULL, 0);
				break;
			}
			const char *name = s + i + 2;
			size_t nlen = (size_t)(close - name);
			if (!expand(r, name, nlen, active && r->out != NULL ? &line : NULL))
				render_error(r, lineno, "unknown placeholder", name, nlen);
			placeholders++;
			i = (size_t)(close - s) + 2;
			continue;
		}
		if (s[i] != '\r')
			buf_putc(&line, s[i]);
		i++;
	}
	if (active && r->out != NULL) {
		/* A line that was nothing but placeholders expanding to nothing
		 * is dropped, so an empty list leaves no blank line. */
		bool only_blank = true;
		for (size_t k = 0; k < line.len; k++)
			if (line.data[k] != ' ' && line.data[k] != '\t')
				only_blank = false;
		if (line.failed || line.truncated)
			r->out->failed = true;
		if (!(placeholders > 0 && only_blank)) {
			size_t len = line.len;
			while (len > 0 && (line.data[len - 1] == ' ' || line.data[len - 1] == '\t'))
				len--;
			emit_line(r, buf_cstr(&line), len);
		}
	}
	buf_free(&line);
}

/* One pass over a template: checks it (r->out NULL: every line, both
 * branches) or renders it. */
static int template_walk(const char *text, struct render *r)
{
	bool stack[MAX_COND_DEPTH + 1];
	size_t depth = 0;
	unsigned lineno = 0;
	bool active = true;
	const char *p = text;
	while (*p != '\0') {
		size_t n = strcspn(p, "\n");
		const char *s = p;
		p += n;
		if (*p == '\n')
			p++;
		lineno++;
		if (n > 0 && s[n - 1] == '\r')
			n--;
		if (n > 0 && s[0] == '#')
			continue;
		/* Directives stand alone on their line (blanks around allowed). */
		size_t a = 0, b = n;
		while (a < b && (s[a] == ' ' || s[a] == '\t'))
			a++;
		while (b > a && (s[b - 1] == ' ' || s[b - 1] == '\t'))
			b--;
		const char *t = s + a;
		size_t tn = b - a;
		if (tn == 7 && memcmp(t, "{{end}}", 7) == 0) {
			if (depth == 0) {
				render_error(r, lineno, "{{end}} without {{if}}", NULL, 0);
				continue;
			}
			depth--;
			active = true;
			for (size_t i = 0; i < depth; i++)
				active = active && stack[i];
			continue;
		}
		if (tn > 7 && memcmp(t, "{{if ", 5) == 0 && memcmp(t + tn - 2, "}}", 2) == 0) {
			const char *name = t + 5;
			size_t nlen = tn - 7;
			bool neg = nlen > 0 && name[0] == '!';
			if (neg)
				name++, nlen--;
			size_t which = sizeof(cond_names) / sizeof(cond_names[0]);
			for (size_t i = 0; i < sizeof(cond_names) / sizeof(cond_names[0]); i++)
				if (strlen(cond_names[i]) == nlen && memcmp(cond_names[i], name, nlen) == 0)
					which = i;
			bool value = true;
			if (which == sizeof(cond_names) / sizeof(cond_names[0]))
				render_error(r, lineno, "unknown condition", name, nlen);
			else if (r->out != NULL)
				value = cond_value(r, which) != neg;
			if (depth == MAX_COND_DEPTH) {
				render_error(r, lineno, "{{if}} nested too deep (at most 8)", NULL, 0);
				continue;
			}
			stack[depth++] = value;
			active = active && value;
			continue;
		}
		render_line(r, s, n, lineno, active);
	}
	if (depth > 0)
		render_error(r, lineno, "{{if}} without {{end}} at end of file", NULL, 0);
	return r->errors > 0 ? -1 : 0;
}

/* ------------------------------------------------------------- templates */

static const char *const template_names[2] = { "reply.da.txt", "reply.en.txt" };

static char *read_template(const char *path, struct diag *d)
{
	FILE *fp = fopen(path, "re");
	if (fp == NULL) {
		diag_error(d, path, 0, "cannot open: %s", strerror(errno));
		return NULL;
	}
	char *text = malloc(AUTOREPLY_MAX_TEMPLATE + 2);
	size_t n = text != NULL ? fread(text, 1, AUTOREPLY_MAX_TEMPLATE + 1, fp) : 0;
	bool err = ferror(fp) != 0;
	fclose(fp);
	if (text == NULL || err) {
		diag_error(d, path, 0, text == NULL ? "out of memory" : "read error");
		free(text);
		return NULL;
	}
	if (n > AUTOREPLY_MAX_TEMPLATE) {
		diag_error(d, path, 0, "larger than %u bytes", AUTOREPLY_MAX_TEMPLATE);
		free(text);
		return NULL;
	}
	text[n] = '\0';
	unsigned line = 1;
	for (size_t i = 0; i < n;) {
		unsigned cp;
		size_t k = encode_utf8_char((const unsigned char *)text + i, n - i, &cp);
		if (k == 0 || cp == 0) {
			diag_error(d, path, line, "not UTF-8 text (byte 0x%02x)", (unsigned char)text[i]);
			free(text);
			return NULL;
		}
		if (cp == '\n')
			line++;
		i += k;
	}
	return text;
}

struct autoreply_templates *autoreply_templates_load(const char *dir, struct diag *d)
{
	struct autoreply_templates *t = calloc(1, sizeof(*t));
	if (t == NULL) {
		diag_error(d, dir, 0, "out of memory");
		return NULL;
	}
	bool ok = true;
	for (int lang = 0; lang < 2; lang++) {
		size_t need = strlen(dir) + strlen(template_names[lang]) + 2;
		t->file[lang] = malloc(need);
		if (t->file[lang] == NULL) {
			diag_error(d, dir, 0, "out of memory");
			ok = false;
			continue;
		}
		snprintf(t->file[lang], need, "%s/%s", dir, template_names[lang]);
		t->text[lang] = read_template(t->file[lang], d);
		if (t->text[lang] == NULL) {
			ok = false;
			continue;
		}
		struct render r = { .d = d, .file = t->file[lang], .lang = lang };
		if (template_walk(t->text[lang], &r) < 0)
			ok = false;
	}
	if (!ok) {
		autoreply_templates_free(t);
		return NULL;
	}
	return t;
}

void autoreply_templates_free(struct autoreply_templates *t)
{
	if (t == NULL)
		return;
	for (int i = 0; i < 2; i++) {
		free(t->text[i]);
		free(t->file[i]);
	}
	free(t);
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

	int lang = f->language != NULL && strcmp(f->language, "en") == 0 ? LANG_EN : LANG_DA;
	char subject[AUTOREPLY_SUBJECT_CHARS * 4 + 8];
	const char *orig = f->subject != NULL ? f->subject : "";
	encode_sanitize_utf8(orig, strlen(orig), AUTOREPLY_SUBJECT_CHARS, subject, sizeof(subject));

	struct buf body;
	buf_init(&body, AUTOREPLY_MAX_MESSAGE / 2);
	struct render r = { .o = o, .f = f, .v = v, .lang = lang, .subject = subject, .out = &body };
	int rc = template_walk(t->text[lang], &r);
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
		topic = lang == LANG_EN ? "Your support request" : "Din henvendelse til support";

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

int autoreply_compose(const struct autoreply_options *o, const struct facts *f,
                      const struct verdict *v, const char *support_address,
                      struct buf *out_message, char *recipient, size_t recipient_sz)
{
	const char *why = NULL;
	return compose(o, f, v, support_address, out_message, recipient, recipient_sz, &why);
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
