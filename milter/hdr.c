/*
 * hdr: the only way message-derived text reaches a header we add, plus
 * the tracker that removes forged prefixed headers (see hdr.h).
 *
 * Inputs are untrusted bytes; outputs use a fixed alphabet (printable
 * ASCII and single spaces; after folding also "\n\t").
 *
 * - hdr_sanitize writes at most outsz bytes including the NUL; it cuts
 *   at an output character, never leaves a trailing space, and one valid
 *   UTF-8 sequence costs one '?'.
 * - hdr_fold counts RFC 5322 characters: the limit of 78 excludes the
 *   line end and the continuation tab counts as one character (the RFC
 *   counts characters, not display columns).  The first line carries
 *   "Name: ".  Breaks go at spaces; when a break after ", " lands in the
 *   second half of the line it is preferred, so lists fold at their
 *   commas.  A word that cannot fit is never split: it gets a line of its
 *   own (on the first line it stays after the name, since a value must
 *   not start with a fold).  The value is sanitized again first
 *   (idempotent), so even a careless caller cannot inject a line.
 * - The tracker keeps one entry per distinct prefixed name (first-seen
 *   spelling, counted case-insensitively), not one per occurrence.  Limits:
 *   HDR_TRACKER_MAX_NAMES distinct names, HDR_TRACKER_MAX_NAME_BYTES of
 *   stored names, HDR_TRACKER_MAX_REMOVALS removals listed.  A name that
 *   is already tracked is always counted, so its removals start at its
 *   true highest index; whatever cannot be listed is reported by
 *   hdr_tracker_truncated().  Allocation failure is reported the same way.
 */
#include "autoconfig.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hdr.h"

#define HDR_NAME_MAX 997

static unsigned char lower(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char)(c - 'A' + 'a') : c;
}

/* Length of the valid UTF-8 sequence at p (2..4), or 1 if the byte does
 * not start one: overlongs, surrogates and > U+10FFFF are not valid. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
	unsigned char c = p[0], lo = 0x80, hi = 0xBF;
	size_t need;

	if (c >= 0xC2 && c <= 0xDF)
		need = 1;
	else if (c == 0xE0)
		need = 2, lo = 0xA0;
	else if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF)
		need = 2;
	else if (c == 0xED)
		need = 2, hi = 0x9F;
	else if (c == 0xF0)
		need = 3, lo = 0x90;
	else if (c >= 0xF1 && c <= 0xF3)
		need = 3;
	else if (c == 0xF4)
		need = 3, hi = 0x8F;
	else
		return 1;
	if (n <= need || p[1] < lo || p[1] > hi)
		return 1;
	for (size_t i = 2; i <= need; i++)
		if ((p[i] & 0xC0) != 0x80)
			return 1;
	return need + 1;
}

size_t hdr_sanitize(const char *in, size_t len, char *out, size_t outsz)
{
	const unsigned char *p = (const unsigned char *)in;
	size_t o = 0;
	bool space = false;

	if (outsz == 0)
		return 0;
	if (in == NULL)
		len = 0;
	for (size_t i = 0; i < len;) {
		unsigned char c = p[i];
		char ch;

		if (c <= 0x20 || c == 0x7F) {
			space = true;
			i++;
			continue;
		}
		if (c < 0x7F) {
			ch = (char)c;
			i++;
		} else {
			ch = '?';
			i += utf8_len(p + i, len - i);
		}
		/* A pending space is written only together with the character
		 * after it, so a cut never leaves a trailing space. */
		size_t need = (space && o > 0) ? 2 : 1;
		if (o + need >= outsz)
			break;
		if (need == 2)
			out[o++] = ' ';
		out[o++] = ch;
		space = false;
	}
	out[o] = '\0';
	return o;
}

char *hdr_fold(const char *name, const char *value)
{
	const size_t limit = HDR_FOLD_COLUMNS;
	size_t vlen = value ? strlen(value) : 0;
	size_t col = name ? strlen(name) : 0;

	if (vlen > (SIZE_MAX - 1) / 2)
		return NULL;
	/* "Name: "; a name that fills the line leaves no room, not less. */
	col = col + 2 > limit ? limit : col + 2;

	char *clean = malloc(vlen + 1);
	char *out = malloc(2 * vlen + 1); /* a space becomes at most "\n\t" */
	if (clean == NULL || out == NULL) {
		free(clean);
		free(out);
		return NULL;
	}
	size_t clen = hdr_sanitize(value, vlen, clean, vlen + 1);
	size_t pos = 0, o = 0;

	/* Each round writes one physical line; clean[pos] is never a space. */
	while (pos < clen) {
		size_t room = limit - col;
		if (clen - pos <= room) {
			memcpy(out + o, clean + pos, clen - pos);
			o += clen - pos;
			break;
		}
		size_t brk = 0, comma = 0;
		for (size_t s = pos + 1; s <= pos + room; s++) {
			if (clean[s] != ' ')
				continue;
			brk = s;
			if (clean[s - 1] == ',' && col + (s - pos) >= limit / 2)
				comma = s;
		}
		if (comma)
			brk = comma;
		if (brk == 0) {
			/* The word does not fit anywhere: give it the line. */
			const char *sp = memchr(clean + pos, ' ', clen - pos);
			brk = sp ? (size_t)(sp - clean) : clen;
		}
		memcpy(out + o, clean + pos, brk - pos);
		o += brk - pos;
		if (brk >= clen)
			break;
		out[o++] = '\n';
		out[o++] = '\t';
		col = 1;
		pos = brk + 1;
	}
	out[o] = '\0';
	free(clean);
	return out;
}

bool hdr_is_valid_name(const char *name)
{
	if (name == NULL)
		return false;
	size_t n = strnlen(name, HDR_NAME_MAX + 1);
	if (n == 0 || n > HDR_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];
		if (c < 33 || c > 126 || c == ':')
			return false;
	}
	return true;
}

bool hdr_has_prefix(const char *name, const char *prefix)
{
	if (name == NULL || prefix == NULL)
		return false;
	for (; *prefix; name++, prefix++)
		if (*name == '\0' ||
		    lower((unsigned char)*name) != lower((unsigned char)*prefix))
			return false;
	return true;
}

/* ------------------------------------------------------------ tracker */

struct hdr_seen {
	char *name;    /* first-seen spelling */
	uint32_t hash; /* of the lower-cased name: a cheap first compare */
	int count;     /* occurrences, case-insensitive */
};

struct hdr_tracker {
	char *prefix;
	struct hdr_seen *seen;
	size_t nseen, cap;
	size_t name_bytes;
	bool truncated;
};

static uint32_t name_hash(const char *s)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	for (; *s; s++)
		h = (h ^ lower((unsigned char)*s)) * 16777619u;
	return h;
}

static bool name_eq(const char *a, const char *b)
{
	for (; *a && lower((unsigned char)*a) == lower((unsigned char)*b); a++, b++)
		;
	return *a == *b;
}

struct hdr_tracker *hdr_tracker_new(const char *prefix)
{
	if (!hdr_is_valid_name(prefix))
		return NULL;
	struct hdr_tracker *t = calloc(1, sizeof(*t));
	if (t == NULL)
		return NULL;
	t->prefix = strdup(prefix);
	if (t->prefix == NULL) {
		free(t);
		return NULL;
	}
	return t;
}

void hdr_tracker_reset(struct hdr_tracker *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->nseen; i++)
		free(t->seen[i].name);
	t->nseen = 0;
	t->name_bytes = 0;
	t->truncated = false;
}

void hdr_tracker_free(struct hdr_tracker *t)
{
	if (t == NULL)
		return;
	hdr_tracker_reset(t);
	free(t->seen);
	free(t->prefix);
	free(t);
}

void hdr_tracker_see(struct hdr_tracker *t, const char *name)
{
	if (t == NULL || !hdr_has_prefix(name, t->prefix))
		return;
	uint32_t h = name_hash(name);
	for (size_t i = 0; i < t->nseen; i++) {
		struct hdr_seen *e = &t->seen[i];
		if (e->hash == h && name_eq(e->name, name)) {
			if (e->count < INT_MAX)
				e->count++;
			return;
		}
	}
	size_t len = strlen(name);
	if (t->nseen >= HDR_TRACKER_MAX_NAMES ||
	    len > HDR_TRACKER_MAX_NAME_BYTES - t->name_bytes) {
		t->truncated = true;
		return;
	}
	if (t->nseen == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 8;
		if (cap > HDR_TRACKER_MAX_NAMES)
			cap = HDR_TRACKER_MAX_NAMES;
		struct hdr_seen *p = realloc(t->seen, cap * sizeof(*p));
		if (p == NULL) {
			t->truncated = true;
			return;
		}
		t->seen = p;
		t->cap = cap;
	}
	char *copy = strdup(name);
	if (copy == NULL) {
		t->truncated = true;
		return;
	}
	t->seen[t->nseen++] = (struct hdr_seen){ copy, h, 1 };
	t->name_bytes += len;
}

size_t hdr_tracker_count(const struct hdr_tracker *t)
{
	size_t n = 0;
	if (t == NULL)
		return 0;
	for (size_t i = 0; i < t->nseen; i++)
		n += (size_t)t->seen[i].count;
	return n > HDR_TRACKER_MAX_REMOVALS ? HDR_TRACKER_MAX_REMOVALS : n;
}

bool hdr_tracker_truncated(const struct hdr_tracker *t)
{
	if (t == NULL)
		return false;
	size_t n = 0;
	for (size_t i = 0; i < t->nseen; i++)
		n += (size_t)t->seen[i].count;
	return t->truncated || n > HDR_TRACKER_MAX_REMOVALS;
}

bool hdr_tracker_removal(const struct hdr_tracker *t, size_t i, struct hdr_removal *out)
{
	if (t == NULL || out == NULL || i >= hdr_tracker_count(t))
		return false;
	for (size_t k = 0; k < t->nseen; k++) {
		size_t c = (size_t)t->seen[k].count;
		if (i < c) {
			out->name = t->seen[k].name;
			out->index = (int)(c - i);
			return true;
		}
		i -= c;
	}
	return false;
}
