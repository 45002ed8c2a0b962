/*
 * report: renders headers, JSON and the summary log line (see report.h).
 * Every value that carries text from the message (the detected type of an
 * image, the queue id) passes through hdr_sanitize; the rest are fixed
 * words, numbers and rule names, which the rules parser restricts to
 * [A-Za-z0-9_.-].
 */
#include "autoconfig.h"

#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "config.h"
#include "facts.h"
#include "hdr.h"
#include "json.h"
#include "report.h"
#include "verdict.h"

#define REPORT_VALUE_MAX 4096

/* The verdict's lists of names, read one way. */
static const char *category_at(const struct verdict *v, size_t i) { return v->categories[i].id; }
static const char *missing_at(const struct verdict *v, size_t i) { return v->missing[i].id; }
static const char *fired_at(const struct verdict *v, size_t i) { return v->fired[i]; }

static void join(const struct verdict *v, size_t n, const char *(*at)(const struct verdict *, size_t),
                 struct buf *out, const char *sep)
{
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			buf_append(out, sep, strlen(sep));
		buf_append(out, at(v, i), strlen(at(v, i)));
	}
}

static void json_names(struct buf *out, bool *first, const char *key, const struct verdict *v,
                       size_t n, const char *(*at)(const struct verdict *, size_t))
{
	json_key(out, first, key);
	buf_putc(out, '[');
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			buf_append(out, ", ", 2);
		json_cstring(out, at(v, i));
	}
	buf_putc(out, ']');
}

static void emit(void (*add)(void *, const char *, const char *), void *ctx,
                 const char *name, const struct buf *value)
{
	char clean[REPORT_VALUE_MAX];
	hdr_sanitize(buf_cstr(value), value->len, clean, sizeof(clean));
	add(ctx, name, clean);
}

static void screenshot_text(const struct facts *f, struct buf *out)
{
	if (f->screenshot == NULL) {
		buf_append(out, "no", 2);
		return;
	}
	buf_printf(out, "yes (%s %ux%u)", f->screenshot->detected_type,
	           (unsigned)f->screenshot->width, (unsigned)f->screenshot->height);
}

void report_headers(const struct report_input *in,
                    void (*add)(void *ctx, const char *name, const char *value), void *ctx)
{
	const struct facts *f = in->facts;
	const struct verdict *v = in->verdict;
	struct buf value;
	buf_init(&value, REPORT_VALUE_MAX - 1);

	if (f == NULL)
		goto done;
	if (v != NULL) {
		buf_reset(&value);
		buf_printf(&value, "%s", verdict_priority_name(v->priority));
		emit(add, ctx, "Priority", &value);

		buf_reset(&value);
		buf_printf(&value, "%s", v->out_of_scope ? "out-of-scope" : "in-scope");
		emit(add, ctx, "Scope", &value);

		if (v->n_categories > 0) {
			buf_reset(&value);
			join(v, v->n_categories, category_at, &value, ", ");
			emit(add, ctx, "Category", &value);
		}

		buf_reset(&value);
		if (v->n_missing == 0)
			buf_append(&value, "none", 4);
		else
			join(v, v->n_missing, missing_at, &value, ", ");
		emit(add, ctx, "Missing", &value);
	}

	buf_reset(&value);
	screenshot_text(f, &value);
	emit(add, ctx, "Screenshot", &value);

	buf_reset(&value);
	buf_printf(&value, "%s", f->hours.open ? "open" : "closed");
	emit(add, ctx, "Hours", &value);

	buf_reset(&value);
	buf_printf(&value, "%s", f->hours.peak ? "yes" : "no");
	emit(add, ctx, "Peak", &value);

	if (in->has_load) {
		buf_reset(&value);
		buf_printf(&value, "%lld", in->load);
		emit(add, ctx, "Load", &value);
	}

	buf_reset(&value);
	buf_printf(&value, "%s/%s", PACKAGE_NAME, PACKAGE_VERSION);
	if (in->rules_hash != NULL)
		buf_printf(&value, "; rules=%s", in->rules_hash);
	if (in->qid != NULL)
		buf_printf(&value, "; queue-id=%s", in->qid);
	if (v != NULL) {
		buf_append(&value, "; fired=", 8);
		if (v->n_fired == 0)
			buf_append(&value, "none", 4);
		join(v, v->n_fired, fired_at, &value, ", ");
	}
	emit(add, ctx, "Triage", &value);
done:
	buf_free(&value);
}

static void json_bool(struct buf *out, bool *first, const char *key, bool value)
{
	json_key(out, first, key);
	buf_printf(out, "%s", value ? "true" : "false");
}

static void json_str(struct buf *out, bool *first, const char *key, const char *value)
{
	json_key(out, first, key);
	json_cstring(out, value);
}

static void json_attachments(struct buf *out, bool *first, const struct facts *f)
{
	json_key(out, first, "attachments");
	buf_putc(out, '[');
	for (size_t i = 0; i < f->n_attachments; i++) {
		const struct attachment *a = &f->attachments[i];
		bool afirst = true;
		buf_append(out, i > 0 ? ", {" : "{", i > 0 ? 3 : 1);
		json_str(out, &afirst, "declared", a->declared_type);
		json_str(out, &afirst, "detected", a->detected_type);
		json_str(out, &afirst, "name", a->filename);
		json_key(out, &afirst, "size");
		buf_printf(out, "%llu", (unsigned long long)a->size);
		json_key(out, &afirst, "width");
		buf_printf(out, "%u", (unsigned)a->width);
		json_key(out, &afirst, "height");
		buf_printf(out, "%u", (unsigned)a->height);
		json_bool(out, &afirst, "inline", a->is_inline);
		json_str(out, &afirst, "content_id", a->content_id);
		json_bool(out, &afirst, "image", a->is_image);
		json_bool(out, &afirst, "mismatch", a->mismatch);
		json_bool(out, &afirst, "forwarded", a->in_message);
		buf_putc(out, '}');
	}
	buf_putc(out, ']');
}

static void json_flags(struct buf *out, bool *first, unsigned flags)
{
	static const struct { unsigned bit; const char *name; } names[] = {
		{ FACT_TRUNC_HEADER, "header-truncated" }, { FACT_TRUNC_LINE, "line-split" },
		{ FACT_TRUNC_DEPTH, "depth-limit" }, { FACT_TRUNC_PARTS, "parts-limit" },
		{ FACT_TRUNC_TEXT, "text-truncated" }, { FACT_TRUNC_HEADERS, "headers-limit" },
		{ FACT_ERR_MIME, "mime-error" }, { FACT_ERR_ENCODING, "encoding-error" },
		{ FACT_ERR_CHARSET, "charset-error" },
	};
	json_key(out, first, "flags");
	buf_putc(out, '[');
	bool ffirst = true;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!(flags & names[i].bit))
			continue;
		if (!ffirst)
			buf_append(out, ", ", 2);
		ffirst = false;
		json_cstring(out, names[i].name);
	}
	buf_putc(out, ']');
}

void report_json(const struct report_input *in, const char *file, struct buf *out)
{
	const struct facts *f = in->facts;
	const struct verdict *v = in->verdict;
	bool first = true;
	buf_putc(out, '{');
	json_str(out, &first, "file", file);
	if (in->qid != NULL)
		json_str(out, &first, "queue_id", in->qid);
	if (f == NULL) {
		json_bool(out, &first, "analysed", false);
		buf_putc(out, '}');
		return;
	}
	if (v != NULL) {
		json_str(out, &first, "priority", verdict_priority_name(v->priority));
		json_str(out, &first, "scope", v->out_of_scope ? "out-of-scope" : "in-scope");
		json_names(out, &first, "categories", v, v->n_categories, category_at);
		json_names(out, &first, "missing", v, v->n_missing, missing_at);
	}
	json_bool(out, &first, "screenshot", f->screenshot != NULL);
	json_bool(out, &first, "mismatch", f->mismatch);
	json_str(out, &first, "hours", f->hours.open ? "open" : "closed");
	json_bool(out, &first, "peak", f->hours.peak);
	if (v != NULL) {
		json_bool(out, &first, "autoreply", in->autoreply);
		if (v->autoreply_wanted && in->autoreply_why_not != NULL)
			json_str(out, &first, "autoreply_suppressed", in->autoreply_why_not);
		json_names(out, &first, "rules", v, v->n_fired, fired_at);
	}
	json_str(out, &first, "language", f->language != NULL ? f->language : "da");
	json_attachments(out, &first, f);
	json_flags(out, &first, f->flags);
	buf_putc(out, '}');
}

void report_summary(const struct report_input *in, struct buf *out)
{
	const struct facts *f = in->facts;
	const struct verdict *v = in->verdict;
	if (f == NULL) {
		buf_printf(out, "analysed=no");
		return;
	}
	char from[256];
	hdr_sanitize(f->env_from, strlen(f->env_from), from, sizeof(from));
	buf_printf(out, "from=<%s> rcpt=%zu hours=%s peak=%s", from, f->n_rcpt,
	           f->hours.open ? "open" : "closed", f->hours.peak ? "yes" : "no");
	buf_printf(out, " screenshot=%s attachments=%zu mismatch=%s",
	           f->screenshot != NULL ? "yes" : "no", f->n_attachments, f->mismatch ? "yes" : "no");
	if (v != NULL) {
		buf_printf(out, " priority=%s scope=%s categories=", verdict_priority_name(v->priority),
		           v->out_of_scope ? "out-of-scope" : "in-scope");
		if (v->n_categories == 0)
			buf_append(out, "none", 4);
		join(v, v->n_categories, category_at, out, ",");
		buf_append(out, " missing=", 9);
		if (v->n_missing == 0)
			buf_append(out, "none", 4);
		join(v, v->n_missing, missing_at, out, ",");
		buf_printf(out, " rules=%s fired=%zu autoreply=%s", in->rules_hash != NULL ? in->rules_hash : "-",
		           v->n_fired, in->autoreply ? "yes" : "no");
		if (v->autoreply_wanted && in->autoreply_why_not != NULL)
			buf_printf(out, "(%s)", in->autoreply_why_not);
	}
	if (f->flags != 0)
		buf_printf(out, " flags=0x%x", f->flags);
}
