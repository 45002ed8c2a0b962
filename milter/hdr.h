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

/* Writes at most outsz-1 bytes and a NUL; returns the length written. */
size_t hdr_sanitize(const char *in, size_t len, char *out, size_t outsz);

/* Returns a malloc'd folded copy of value (already sanitized) for a header
 * called name; NULL on allocation failure. */
char *hdr_fold(const char *name, const char *value);

/* A header name is a valid field name (RFC 5322 ftext, 1..997 bytes). */
bool hdr_is_valid_name(const char *name);

bool hdr_has_prefix(const char *name, const char *prefix);

struct hdr_tracker;
struct hdr_removal {
	const char *name; /* as first seen */
	int index;        /* 1-based occurrence among same-named headers */
};

struct hdr_tracker *hdr_tracker_new(const char *prefix);
void hdr_tracker_free(struct hdr_tracker *t);
/* Call for every incoming header in order. */
void hdr_tracker_see(struct hdr_tracker *t, const char *name);
size_t hdr_tracker_count(const struct hdr_tracker *t);
/* Removal i (0-based) in the order they must be applied: for each name,
 * highest index first. */
bool hdr_tracker_removal(const struct hdr_tracker *t, size_t i, struct hdr_removal *out);

#endif
