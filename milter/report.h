/*
 * report: turns the facts and verdict of a finished session into what
 * the outside sees — the header fields we add (names with the configured
 * prefix; values built only from fixed words, numbers, rule names and
 * sanitized text, then folded by hdr.c) and the offline mode's JSON line.
 * Nothing here decides anything; it only renders.
 */
#ifndef SM_REPORT_H
#define SM_REPORT_H

#include <stdbool.h>
#include <stddef.h>

struct buf;
struct config;
struct facts;
struct verdict;

struct report_input {
	const struct config *cfg;
	const struct facts *facts;      /* NULL when analysis failed */
	const struct verdict *verdict;  /* NULL when no rule set ran */
	const char *rules_hash;         /* NULL when no rule set */
	const char *qid;
	bool autoreply;                 /* wanted by the rules and eligible */
	const char *autoreply_why_not;  /* NULL, or the reason no reply is sent */
	bool has_load;                  /* this hour's count arrived from Redis in time */
	long long load;
};

/* Calls add(ctx, name, value) for each header to add, in the order of
 * SPEC §4.  Values are sanitized ASCII, not yet folded. */
void report_headers(const struct report_input *in,
                    void (*add)(void *ctx, const char *name, const char *value), void *ctx);

/* Appends one JSON object (no newline) describing the result for file. */
void report_json(const struct report_input *in, const char *file, struct buf *out);

/* Appends the summary log line's key=value fields. */
void report_summary(const struct report_input *in, struct buf *out);

#endif
