/*
 * text: the two bounded text views the rules read (see text.h).
 *
 * Owns: per text part, the pipeline  bytes -> charset_conv (UTF-8) ->
 * html_reducer (HTML parts only) -> line splitter -> quoted-history
 * classifier -> views.  Header-derived lines (Subject) are appended
 * directly by text_add_line().
 *
 * Lines: "\n", "\r\n" and a lone "\r" end a line; U+00A0 becomes a space,
 * other control characters become spaces, trailing white space is
 * stripped; every stored line ends with "\n", so the text of two parts
 * never glues together.  A line longer than LINE_MAX bytes is split (at
 * the last space in its second half, else at a character boundary); the
 * pieces are classified like the line they continue.
 *
 * Classification (the contract is in text.h): each line is OWN (body and
 * own), BODY (body only) or SUPPORT (neither).  The writer of quoted text
 * is tracked per quote depth in struct qstate; forwarded parts have their
 * own state, reset per part, so one forwarded mail cannot make the next
 * one look like support's.
 *
 * Lookahead: a possible header block or two-line attribution is decided
 * only after the following lines; up to PENDING_MAX lines wait in a fixed
 * queue, which is flushed at the end of every part.
 *
 * Limits: each view holds at most max_size bytes (cut at a character
 * boundary, `truncated` set, later text dropped); per-sink state is a
 * fixed LINE_MAX line buffer plus the PENDING_MAX queue, independent of
 * message size.  Once both views are full, further parts cost nothing.
 *
 * Failure: allocation failure in text_new returns NULL; in a view it
 * stops that view from growing (reported as truncated).  Every function
 * accepts a NULL sink and does nothing.
 */
#include "autoconfig.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "charset.h"
#include "html.h"
#include "text.h"

#define LINE_MAX_BYTES 2048
#define PENDING_MAX 8
#define DEPTH_MAX 16
#define ATTR_MAX 400    /* longest line taken for an attribution */
#define ATTR2_MAX 200   /* longest second line of a wrapped attribution */

enum lclass { C_OWN, C_BODY, C_SUPPORT };

enum hfield { F_NONE, F_FROM, F_DATE, F_TO, F_SUBJECT, F_OTHER };

/* Quoted-history state for one stream of lines (top level or forwarded). */
struct qstate {
	bool history;                    /* a marker was seen: no more own */
	bool support[DEPTH_MAX + 1];     /* lines at this depth are support's */
	bool attr_pending;               /* attribution waiting for its text */
	unsigned attr_depth;
	bool attr_support;
	enum lclass last;                /* for continuation pieces */
};

struct pline {
	char s[LINE_MAX_BYTES + 1];
	size_t n;
	bool cont; /* continues the previous (over-long) line */
};

struct text_sink {
	size_t max_size;
	bool (*is_support)(void *ctx, const char *addr);
	void *ctx;

	struct buf body, own;
	bool body_full, own_full;
	bool charset_unknown;

	bool in_part;
	bool html;
	bool forwarded;
	bool skip;
	struct charset_conv *conv;
	struct html_reducer *hr;

	char line[LINE_MAX_BYTES + 1];
	size_t line_len;
	bool line_cont;
	bool prev_cr;

	struct qstate top, fwd;
	bool fwd_support;   /* the forwarded mail announced last is support's */
	struct pline q[PENDING_MAX];
	size_t qn;
};

/* ---------------------------------------------------------------- views */

/* Bytes of s[0..n) that end on a UTF-8 character boundary. */
static size_t utf8_cut(const char *s, size_t n)
{
	size_t k = n;
	for (int back = 0; back < 3 && k > 0; back++) {
		unsigned char c = (unsigned char)s[k];
		if ((c & 0xC0) != 0x80)
			break;
		k--;
	}
	if (k > 0 && ((unsigned char)s[k] & 0xC0) == 0x80)
		return n; /* not UTF-8 anyway */
	return k;
}

static void view_add(struct text_sink *t, struct buf *v, bool *full, const char *s, size_t n)
{
	if (*full)
		return;
	if (v->failed || v->len + n + 1 > t->max_size) {
		size_t room = t->max_size > v->len ? t->max_size - v->len : 0;
		if (room > n)
			room = n;
		if (room > 0 && room < n)
			room = utf8_cut(s, room);
		if (room > 0 && !v->failed)
			buf_append(v, s, room);
		*full = true;
		return;
	}
	buf_append(v, s, n);
	buf_append(v, "\n", 1);
	if (v->failed)
		*full = true;
}

static void store(struct text_sink *t, enum lclass c, const char *s, size_t n)
{
	if (c == C_SUPPORT)
		return;
	if (c == C_OWN && !t->forwarded)
		view_add(t, &t->own, &t->own_full, s, n);
	view_add(t, &t->body, &t->body_full, s, n);
}

/* ---------------------------------------------------------------- matching */

static int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static bool is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80;
}

static bool is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static bool has_prefix_ci(const char *s, size_t n, const char *p)
{
	size_t k = strlen(p);
	if (n < k)
		return false;
	for (size_t i = 0; i < k; i++)
		if (lower((unsigned char)s[i]) != p[i])
			return false;
	return true;
}

static bool has_suffix_ci(const char *s, size_t n, const char *p)
{
	size_t k = strlen(p);
	return n >= k && has_prefix_ci(s + n - k, k, p);
}

/* Whether the lowercase word w occurs in s as a whole word. */
static bool has_word_ci(const char *s, size_t n, const char *w)
{
	size_t k = strlen(w);
	for (size_t i = 0; i + k <= n; i++) {
		if (i > 0 && is_alpha((unsigned char)s[i - 1]))
			continue;
		if (i + k < n && is_alpha((unsigned char)s[i + k]))
			continue;
		if (has_prefix_ci(s + i, n - i, w))
			return true;
	}
	return false;
}

static bool has_time(const char *s, size_t n)
{
	for (size_t i = 0; i + 3 < n; i++)
		if (is_digit((unsigned char)s[i]) && (s[i + 1] == ':' || s[i + 1] == '.') &&
		    is_digit((unsigned char)s[i + 2]) && is_digit((unsigned char)s[i + 3]))
			return true;
	return false;
}

/* "Den 9. nov. 2026 kl. 10:12 skrev X <a@b>:", "On ..., X <a@b> wrote:",
 * "X <a@b> skrev:".  The date or address requirement keeps ordinary
 * sentences ending in a colon ("Den skrev:") out. */
static bool is_attribution(const char *s, size_t n)
{
	if (n == 0 || n > ATTR_MAX || s[n - 1] != ':')
		return false;
	bool at = memchr(s, '@', n) != NULL;
	if (has_word_ci(s, n, "skrev")) {
		if (has_prefix_ci(s, n, "den ") || has_prefix_ci(s, n, "d. "))
			return at || has_time(s, n) || has_word_ci(s, n, "kl");
		return at && has_suffix_ci(s, n, "skrev:");
	}
	if (has_word_ci(s, n, "wrote")) {
		if (has_prefix_ci(s, n, "on "))
			return at || has_time(s, n);
		return at && has_suffix_ci(s, n, "wrote:");
	}
	return false;
}

/* A first line that a wrapped attribution may start with. */
static bool may_start_attribution(const char *s, size_t n)
{
	return n <= ATTR_MAX && (has_prefix_ci(s, n, "den ") || has_prefix_ci(s, n, "on "));
}

static bool is_separator(const char *s, size_t n)
{
	static const char *const seps[] = {
		"original message", "oprindelig meddelelse", "forwarded message",
		"videresendt meddelelse", "begin forwarded message",
		"start på videresendt meddelelse", "videresendt besked", NULL,
	};
	size_t i = 0, e = n;
	while (i < e && (s[i] == '-' || s[i] == '_' || s[i] == ' ' || s[i] == '*'))
		i++;
	while (e > i && (s[e - 1] == '-' || s[e - 1] == '_' || s[e - 1] == ' ' ||
	                 s[e - 1] == '*' || s[e - 1] == ':'))
		e--;
	for (const char *const *p = seps; *p != NULL; p++)
		if (e - i == strlen(*p) && has_prefix_ci(s + i, e - i, *p))
			return true;
	return false;
}

static enum hfield header_field(const char *s, size_t n)
{
	static const struct {
		const char *name;
		enum hfield f;
	} names[] = {
		{ "from", F_FROM }, { "fra", F_FROM },
		{ "sent", F_DATE }, { "sendt", F_DATE }, { "date", F_DATE }, { "dato", F_DATE },
		{ "to", F_TO }, { "til", F_TO },
		{ "subject", F_SUBJECT }, { "emne", F_SUBJECT },
		{ "cc", F_OTHER }, { "bcc", F_OTHER }, { "reply-to", F_OTHER },
		{ "svar til", F_OTHER }, { "importance", F_OTHER }, { "prioritet", F_OTHER },
		{ "vigtighed", F_OTHER }, { "attachments", F_OTHER },
		{ "vedhæftede filer", F_OTHER },
	};
	size_t i = 0;
	while (i < n && s[i] == '*')
		i++;
	for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
		size_t l = strlen(names[k].name);
		if (has_prefix_ci(s + i, n - i, names[k].name) && i + l < n && s[i + l] == ':')
			return names[k].f;
	}
	return F_NONE;
}

/* Whether any address in s is support's. */
static bool names_support(const struct text_sink *t, const char *s, size_t n)
{
	if (t->is_support == NULL)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] != '@')
			continue;
		size_t a = i, b = i + 1;
		while (a > 0 && ((s[a - 1] != '\0' && strchr("._%+-'=!#$&*/?^`{|}~", s[a - 1]) != NULL) ||
		                 is_digit((unsigned char)s[a - 1]) ||
		                 (is_alpha((unsigned char)s[a - 1]) && (unsigned char)s[a - 1] < 0x80)))
			a--;
		while (b < n && (s[b] == '.' || s[b] == '-' || is_digit((unsigned char)s[b]) ||
		                 (is_alpha((unsigned char)s[b]) && (unsigned char)s[b] < 0x80)))
			b++;
		while (b > i + 1 && s[b - 1] == '.')
			b--;
		if (a == i || b == i + 1 || b - a > 254)
			continue;
		char addr[256];
		memcpy(addr, s + a, b - a);
		addr[b - a] = '\0';
		if (t->is_support(t->ctx, addr))
			return true;
	}
	return false;
}

/* ---------------------------------------------------------------- classifier */

/* Quote depth and the offset of the text after the '>' marks. */
static unsigned quote_depth(const char *s, size_t n, size_t *off)
{
	unsigned d = 0;
	size_t i = 0;
	while (i < n && s[i] == '>') {
		d++;
		i++;
		size_t j = i;
		while (j < n && s[j] == ' ')
			j++;
		if (j < n && s[j] == '>')
			i = j;
	}
	if (d > 0 && i < n && s[i] == ' ')
		i++;
	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	*off = i;
	return d > DEPTH_MAX ? DEPTH_MAX : d;
}

static struct qstate *qs(struct text_sink *t)
{
	return t->forwarded ? &t->fwd : &t->top;
}

static void set_owner(struct qstate *st, unsigned depth, bool support)
{
	if (depth > DEPTH_MAX)
		depth = DEPTH_MAX;
	st->support[depth] = support;
	for (unsigned d = depth + 1; d <= DEPTH_MAX; d++)
		st->support[d] = false;
}

/* Class of an ordinary line; also settles a pending attribution. */
static enum lclass classify(struct qstate *st, unsigned depth, bool blank)
{
	if (depth > 0)
		st->history = true;
	if (st->attr_pending && !blank) {
		if (depth > st->attr_depth)
			set_owner(st, st->attr_depth + 1, st->attr_support);
		else if (depth == st->attr_depth)
			set_owner(st, depth, st->attr_support);
		st->attr_pending = false;
	}
	if (depth == 0 && !st->history)
		return st->support[0] ? C_SUPPORT : C_OWN;
	return st->support[depth] ? C_SUPPORT : C_BODY;
}

/* Stores a decided line; quote marks are dropped so that a rule anchored
 * at the start of a line also finds the words in quoted history. */
static void emit(struct text_sink *t, enum lclass c, const struct pline *l)
{
	qs(t)->last = c;
	size_t off = 0;
	if (!l->cont && quote_depth(l->s, l->n, &off) == 0)
		off = 0;
	store(t, c, l->s + off, l->n - off);
}

static void pop(struct text_sink *t, size_t k)
{
	/* The queue is short (PENDING_MAX lines) and rarely holds more than
	 * one line, so moving the rest down is cheap. */
	memmove(&t->q[0], &t->q[k], (t->qn - k) * sizeof t->q[0]);
	t->qn -= k;
}

enum decision { D_DONE, D_WAIT };

/* A header block at the head of the queue: D_DONE when confirmed (and
 * consumed), D_WAIT when more lines are needed, else *refuted. */
static enum decision try_header_block(struct text_sink *t, unsigned depth, bool force, bool *refuted)
{
	struct qstate *st = qs(t);
	unsigned seen = 0;
	size_t from = 0;
	bool have_from = false;
	*refuted = false;
	for (size_t i = 0; i < t->qn; i++) {
		const struct pline *l = &t->q[i];
		if (l->cont)
			continue;
		size_t off;
		unsigned d = quote_depth(l->s, l->n, &off);
		enum hfield f = d == depth ? header_field(l->s + off, l->n - off) : F_NONE;
		if (f == F_NONE) {
			*refuted = true;
			return D_DONE;
		}
		if (f != F_OTHER)
			seen |= 1u << f;
		if (f == F_FROM && !have_from) {
			have_from = true;
			from = i;
		}
		if (seen == ((1u << F_FROM) | (1u << F_DATE) | (1u << F_TO) | (1u << F_SUBJECT))) {
			const struct pline *fl = &t->q[from];
			bool sup = names_support(t, fl->s, fl->n);
			st->history = true;
			st->attr_pending = false;
			set_owner(st, depth, sup);
			/* The quoted header block stays readable (its Subject can
			 * name the module), but not its date: a Sent: line is
			 * when a mail was written, not the date a request is
			 * about. */
			for (size_t k = 0; k <= i; k++) {
				const struct pline *hl = &t->q[k];
				size_t hoff;
				unsigned hd = quote_depth(hl->s, hl->n, &hoff);
				if (hl->cont || hd != depth || header_field(hl->s + hoff, hl->n - hoff) != F_DATE)
					emit(t, C_BODY, hl);
			}
			pop(t, i + 1);
			return D_DONE;
		}
	}
	if (force) {
		*refuted = true;
		return D_DONE;
	}
	return D_WAIT;
}

static void start_attribution(struct text_sink *t, unsigned depth, const char *s, size_t n)
{
	struct qstate *st = qs(t);
	st->history = true;
	st->attr_pending = true;
	st->attr_depth = depth;
	st->attr_support = names_support(t, s, n);
}

/* Decides the line at the head of the queue. */
static enum decision resolve_head(struct text_sink *t, bool force)
{
	struct qstate *st = qs(t);
	const struct pline *l = &t->q[0];
	if (l->cont) {
		emit(t, st->last, l);
		pop(t, 1);
		return D_DONE;
	}
	size_t off;
	unsigned depth = quote_depth(l->s, l->n, &off);
	const char *c = l->s + off;
	size_t cn = l->n - off;

	enum hfield f = header_field(c, cn);
	if (f != F_NONE && f != F_OTHER) {
		bool refuted;
		enum decision d = try_header_block(t, depth, force, &refuted);
		if (!refuted)
			return d;
	}
	if (is_separator(c, cn)) {
		st->history = true;
		st->attr_pending = false;
		set_owner(st, depth, false);
		emit(t, classify(st, depth, true), l);
		pop(t, 1);
		return D_DONE;
	}
	/* Attribution lines ("Den 9. nov. 2026 kl. 10:12 skrev ...:") only say
	 * who wrote what follows, and when: they are kept out of the views so
	 * that their date is never taken for the date a request is about. */
	if (is_attribution(c, cn)) {
		st->history = true;
		start_attribution(t, depth, c, cn);
		pop(t, 1);
		return D_DONE;
	}
	if (may_start_attribution(c, cn)) {
		if (t->qn < 2 && !force)
			return D_WAIT;
		if (t->qn >= 2 && !t->q[1].cont) {
			const struct pline *l2 = &t->q[1];
			size_t off2;
			unsigned d2 = quote_depth(l2->s, l2->n, &off2);
			const char *c2 = l2->s + off2;
			size_t cn2 = l2->n - off2;
			char joined[ATTR_MAX + 1];
			if (d2 == depth && cn2 > 0 && cn2 <= ATTR2_MAX && cn + 1 + cn2 <= ATTR_MAX &&
			    c2[cn2 - 1] == ':') {
				memcpy(joined, c, cn);
				joined[cn] = ' ';
				memcpy(joined + cn + 1, c2, cn2);
				if (is_attribution(joined, cn + 1 + cn2)) {
					st->history = true;
					start_attribution(t, depth, joined, cn + 1 + cn2);
					pop(t, 2);
					return D_DONE;
				}
			}
		}
	}
	emit(t, classify(st, depth, cn == 0), l);
	pop(t, 1);
	return D_DONE;
}

static void drain(struct text_sink *t, bool force)
{
	while (t->qn > 0) {
		if (resolve_head(t, force || t->qn == PENDING_MAX) == D_WAIT)
			break;
	}
}

/* ---------------------------------------------------------------- lines */

/* Normalizes a finished line and queues it for classification. */
static void push_line(struct text_sink *t, const char *s, size_t n, bool cont)
{
	if (t->qn == PENDING_MAX)
		drain(t, true);
	struct pline *l = &t->q[t->qn++];
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == 0xC2 && i + 1 < n && (unsigned char)s[i + 1] == 0xA0) {
			l->s[k++] = ' ';
			i++;
		} else if (c < 0x20 || c == 0x7F) {
			l->s[k++] = c == '\t' ? '\t' : ' ';
		} else {
			l->s[k++] = (char)c;
		}
	}
	while (k > 0 && (l->s[k - 1] == ' ' || l->s[k - 1] == '\t'))
		k--;
	l->s[k] = '\0';
	l->n = k;
	l->cont = cont;
	drain(t, false);
}

static void end_line(struct text_sink *t)
{
	push_line(t, t->line, t->line_len, t->line_cont);
	t->line_len = 0;
	t->line_cont = false;
}

/* The line buffer is full: pass on its first piece, keep the rest. */
static void split_line(struct text_sink *t)
{
	size_t cut = 0;
	for (size_t i = t->line_len; i > LINE_MAX_BYTES / 2; i--) {
		if (t->line[i - 1] == ' ') {
			cut = i;
			break;
		}
	}
	if (cut == 0)
		cut = utf8_cut(t->line, t->line_len);
	if (cut == 0)
		cut = t->line_len;
	push_line(t, t->line, cut, t->line_cont);
	memmove(t->line, t->line + cut, t->line_len - cut);
	t->line_len -= cut;
	t->line_cont = true;
}

static void on_text(void *ctx, const char *p, size_t n)
{
	struct text_sink *t = ctx;
	for (size_t i = 0; i < n; i++) {
		char c = p[i];
		if (t->prev_cr) {
			t->prev_cr = false;
			if (c == '\n')
				continue;
		}
		if (c == '\r') {
			end_line(t);
			t->prev_cr = true;
		} else if (c == '\n') {
			end_line(t);
		} else {
			if (t->line_len == LINE_MAX_BYTES) {
				/* split_line looks at the byte after the buffer to
				 * find a character boundary */
				t->line[t->line_len] = c;
				split_line(t);
			}
			t->line[t->line_len++] = c;
		}
	}
}

static void on_utf8(void *ctx, const char *p, size_t n)
{
	struct text_sink *t = ctx;
	if (t->html)
		html_feed(t->hr, p, n, on_text, t);
	else
		on_text(t, p, n);
}

/* ---------------------------------------------------------------- API */

struct text_sink *text_new(size_t max_size, bool (*is_support)(void *ctx, const char *addr), void *ctx)
{
	struct text_sink *t = calloc(1, sizeof *t);
	if (t == NULL)
		return NULL;
	t->hr = html_new();
	if (t->hr == NULL) {
		free(t);
		return NULL;
	}
	t->max_size = max_size;
	t->is_support = is_support;
	t->ctx = ctx;
	buf_init(&t->body, max_size);
	buf_init(&t->own, max_size);
	return t;
}

void text_free(struct text_sink *t)
{
	if (t == NULL)
		return;
	charset_free(t->conv);
	html_free(t->hr);
	buf_free(&t->body);
	buf_free(&t->own);
	free(t);
}

void text_add_line(struct text_sink *t, const char *utf8, size_t n, bool own)
{
	if (t == NULL || utf8 == NULL)
		return;
	char tmp[LINE_MAX_BYTES];
	if (n > sizeof tmp)
		n = utf8_cut(utf8, sizeof tmp);
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)utf8[i];
		tmp[k++] = c < 0x20 || c == 0x7F ? ' ' : (char)c;
	}
	while (k > 0 && tmp[k - 1] == ' ')
		k--;
	/* The caller shows a forwarded mail's sender as a "From: " line before
	 * its parts: a mail from support forwarded as an attachment is
	 * support's words like a quoted one. */
	if (!own && header_field(tmp, k) == F_FROM)
		t->fwd_support = names_support(t, tmp, k);
	if (own)
		view_add(t, &t->own, &t->own_full, tmp, k);
	view_add(t, &t->body, &t->body_full, tmp, k);
}

/* Nothing this part could add would be kept. */
static bool is_useless(const struct text_sink *t)
{
	return t->body_full && (t->own_full || t->forwarded || t->top.history);
}

void text_part_begin(struct text_sink *t, const struct text_part *part)
{
	if (t == NULL || part == NULL)
		return;
	if (t->in_part)
		text_part_end(t);
	t->in_part = true;
	t->html = part->is_html;
	t->forwarded = part->is_forwarded;
	t->skip = part->skip || is_useless(t);
	t->line_len = 0;
	t->line_cont = false;
	t->prev_cr = false;
	if (t->forwarded) {
		memset(&t->fwd, 0, sizeof t->fwd);
		t->fwd.support[0] = t->fwd_support;
	} else {
		t->fwd_support = false;
		/* A new part keeps "history" (own text does not come back) but
		 * not who wrote the segment the last part ended in. */
		t->top.attr_pending = false;
		set_owner(&t->top, 0, false);
	}
	if (t->skip)
		return;
	html_reset(t->hr);
	t->conv = charset_new(part->charset);
	if (t->conv != NULL && charset_is_unknown(t->conv))
		t->charset_unknown = true;
}

void text_part_data(struct text_sink *t, const unsigned char *p, size_t n)
{
	if (t == NULL || !t->in_part || t->skip || p == NULL)
		return;
	if (t->conv != NULL)
		charset_feed(t->conv, p, n, on_utf8, t);
}

void text_part_end(struct text_sink *t)
{
	if (t == NULL || !t->in_part)
		return;
	t->in_part = false;
	if (t->skip)
		return;
	if (t->conv != NULL) {
		charset_finish(t->conv, on_utf8, t);
		if (charset_is_unknown(t->conv))
			t->charset_unknown = true;
		charset_free(t->conv);
		t->conv = NULL;
	}
	if (t->html)
		html_finish(t->hr, on_text, t);
	if (t->line_len > 0)
		end_line(t);
	drain(t, true);
}

const char *text_body(const struct text_sink *t, size_t *len)
{
	if (len != NULL)
		*len = t != NULL ? t->body.len : 0;
	return t != NULL ? buf_cstr(&t->body) : "";
}

const char *text_own(const struct text_sink *t, size_t *len)
{
	if (len != NULL)
		*len = t != NULL ? t->own.len : 0;
	return t != NULL ? buf_cstr(&t->own) : "";
}

bool text_truncated(const struct text_sink *t)
{
	return t != NULL && (t->body_full || t->own_full);
}

bool text_charset_unknown(const struct text_sink *t)
{
	return t != NULL && t->charset_unknown;
}

/* ---------------------------------------------------------------- language */

static const char *const da_words[] = {
	"og", "jeg", "ikke", "det", "er", "en", "et", "på", "med", "vi", "har",
	"kan", "til", "af", "den", "de", "som", "hvad", "hvordan", "hej", "tak",
	"venlig", "hilsen", "mvh", "min", "mit", "mine", "vores", "jer", "skal",
	"kunne", "være", "bliver", "blev", "der", "også", "men", "eller", "når",
	"hvis", "fra", "ved", "om", "så", "nu", "han", "hun", "venligst", "mig",
	NULL,
};

static const char *const en_words[] = {
	"the", "and", "is", "to", "we", "you", "not", "have", "our", "please",
	"can", "it", "this", "that", "with", "of", "are", "my", "your", "be",
	"will", "would", "hi", "hello", "thanks", "thank", "regards", "dear",
	"what", "how", "when", "there", "has", "was", "been", "could", "should",
	"if", "do", "does", "me", "in", "on", "an", "kind", NULL,
};

static bool in_list(const char *const *list, const char *w, size_t n)
{
	/* w holds no NUL, so strncmp stops at the end of a shorter entry;
	 * called for every word of a mail, it avoids a strlen per entry. */
	for (; *list != NULL; list++)
		if ((*list)[0] == w[0] && strncmp(*list, w, n) == 0 && (*list)[n] == '\0')
			return true;
	return false;
}

/* Counts Danish and English function words; a word with æ, ø or å is
 * Danish evidence too. */
static void score(const char *s, size_t n, unsigned *da, unsigned *en)
{
	*da = *en = 0;
	size_t i = 0;
	while (i < n) {
		while (i < n && !is_alpha((unsigned char)s[i]))
			i++;
		size_t a = i;
		char w[16];
		size_t k = 0;
		bool nordic = false;
		while (i < n && is_alpha((unsigned char)s[i])) {
			unsigned char c = (unsigned char)s[i];
			if (c == 0xC3 && i + 1 < n) {
				unsigned char c2 = (unsigned char)s[i + 1];
				if (c2 == 0xA6 || c2 == 0xB8 || c2 == 0xA5 || c2 == 0x86 ||
				    c2 == 0x98 || c2 == 0x85)
					nordic = true;
			}
			if (k < sizeof w)
				w[k++] = (char)lower(c);
			i++;
		}
		if (i == a)
			break;
		if (nordic)
			(*da)++;
		if (i - a <= sizeof w) {
			if (in_list(da_words, w, k))
				(*da)++;
			else if (in_list(en_words, w, k))
				(*en)++;
		}
	}
}

const char *text_language(const struct text_sink *t)
{
	if (t == NULL)
		return "da";
	unsigned da, en;
	score(t->own.data != NULL ? t->own.data : "", t->own.len, &da, &en);
	if (da + en == 0)
		score(t->body.data != NULL ? t->body.data : "", t->body.len, &da, &en);
	/* Danish is the default audience: English only when clearly so. */
	return en >= 2 && en > 2 * da ? "en" : "da";
}
