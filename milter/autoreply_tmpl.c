/*
 * autoreply_tmpl: the reply templates (see autoreply.h for the syntax) —
 * loading and checking reply.da.txt / reply.en.txt, and rendering one for
 * a message.
 *
 * Inputs: the template text (admin-written, UTF-8, at most
 * AUTOREPLY_MAX_TEMPLATE bytes), the verdict's labels and explanations
 * (from the rules), the opening hours, the sanitized subject.  Output:
 * the reply's body text (UTF-8, LF lines) in a bounded buf.
 *
 * One walker serves both uses: checking (every line and both branches of
 * every section, errors as file:line through the diag) and rendering
 * (sections evaluated).  Sections nest through a fixed stack of
 * MAX_COND_DEPTH; no recursion.  Text from the rules is sanitized
 * (controls to blanks) and explanations are wrapped at WRAP_COLUMNS.
 */
#include "autoconfig.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "autoreply.h"
#include "autoreply_int.h"
#include "buf.h"
#include "diag.h"
#include "encode.h"
#include "facts.h"
#include "hours.h"
#include "verdict.h"

#define MAX_COND_DEPTH 8
#define WRAP_COLUMNS 72

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
	const char *l = lang == AUTOREPLY_LANG_EN ? it->label_en : it->label_da;
	if (l == NULL || l[0] == '\0')
		l = lang == AUTOREPLY_LANG_EN ? it->label_da : it->label_en;
	return l != NULL && l[0] != '\0' ? l : it->id;
}

static const char *category_text(const struct verdict_category *c, int lang)
{
	const char *t = lang == AUTOREPLY_LANG_EN ? c->explain_en : c->explain_da;
	if (t == NULL || t[0] == '\0')
		t = lang == AUTOREPLY_LANG_EN ? c->explain_da : c->explain_en;
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
	const char *const *names = lang == AUTOREPLY_LANG_EN ? en : da;
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
				buf_printf(out, "%s%s", j == i + 1 ? (lang == AUTOREPLY_LANG_EN ? " and " : " og ") : "–",
				           names[(j + 1) % 7]);
			i = j + 1;
		}
		char sep = lang == AUTOREPLY_LANG_EN ? ':' : '.';
		buf_printf(out, "%s%02u%c%02u–%02u%c%02u", lang == AUTOREPLY_LANG_EN ? " " : " kl. ",
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


int autoreply_render(const struct autoreply_templates *t, int lang, const struct autoreply_options *o,
                     const struct facts *f, const struct verdict *v, const char *subject, struct buf *out)
{
	struct render r = { .o = o, .f = f, .v = v, .lang = lang, .subject = subject, .out = out };
	return template_walk(t->text[lang], &r);
}
