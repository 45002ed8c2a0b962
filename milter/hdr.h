/*
 * hdr: everything that reaches a header we add goes through here.
 *
 * - hdr_sanitize: reduces any bytes to a fixed alphabet (printable ASCII;
 *   control characters, CR, LF, NUL become a space, 8-bit bytes '?', runs
 *   of white space collapse, ends trimmed).  The result can never break a
 *   header or start a new one.
 * - hdr_fold: folds a sanitized value at white space so that no line of
 *   "Name: value" exceeds 78 columns where a break is possible; the
 *   continuation is "\n\t" (libmilter and both MTAs take that form).
 * - the removal tracker: counts incoming headers whose name starts with
 *   the prefix (case-insensitive) and lists the smfi_chgheader deletions
 *   in reverse index order, so that every copy of a name is removed
 *   (indices are per name, counted case-insensitively by both MTAs).
 */
#ifndef SM_HDR_H
#define SM_HDR_H

#include <stdbool.h>
#include <stddef.h>

#define HDR_FOLD_COLUMNS 78

/* Tracker limits: distinct prefixed names remembered, bytes of their
 * names, and removals listed (see hdr_tracker_truncated). */
#define HDR_TRACKER_MAX_NAMES 1000
#define HDR_TRACKER_MAX_NAME_BYTES (64 * 1024)
#define HDR_TRACKER_MAX_REMOVALS 1000

/* Writes at most outsz-1 bytes and a NUL (nothing when outsz is 0);
 * returns the length written.  A valid UTF-8 sequence becomes one '?'. */
size_t hdr_sanitize(const char *in, size_t len, char *out, size_t outsz);

/* Returns a malloc'd folded copy of value (already sanitized) for a header
 * called name; NULL on allocation failure.  The result is the value only
 * (the MTA writes "name: "), with "\n\t" between lines; the first line is
 * measured with "name: " in front, the tab counts as one character.  The
 * value is sanitized again, so hdr_fold(n, hdr_fold(n, v)) is stable. */
char *hdr_fold(const char *name, const char *value);

/* A header name is a valid field name (RFC 5322 ftext, 1..997 bytes). */
bool hdr_is_valid_name(const char *name);

bool hdr_has_prefix(const char *name, const char *prefix);

struct hdr_tracker;
struct hdr_removal {
	const char *name; /* as first seen */
	int index;        /* 1-based occurrence among same-named headers */
};

/* Copies prefix; NULL if prefix is not a valid field name (the empty
 * prefix would remove every header) or on allocation failure. */
struct hdr_tracker *hdr_tracker_new(const char *prefix);
void hdr_tracker_free(struct hdr_tracker *t);
/* Forgets the headers seen (for the next message), keeps the prefix. */
void hdr_tracker_reset(struct hdr_tracker *t);
/* Call for every incoming header in order. */
void hdr_tracker_see(struct hdr_tracker *t, const char *name);
size_t hdr_tracker_count(const struct hdr_tracker *t);
/* Removal i (0-based) in the order they must be applied: for each name,
 * highest index first. */
bool hdr_tracker_removal(const struct hdr_tracker *t, size_t i, struct hdr_removal *out);
/* Some prefixed headers could not be listed (more than the limits above,
 * or an allocation failed): the caller should log it.  Listed removals
 * are still correct: a listed name's indices start at its true count. */
bool hdr_tracker_truncated(const struct hdr_tracker *t);

#endif
