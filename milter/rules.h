/*
 * rules: the rules language (support-milter.rules(5)) — loading a
 * directory of *.rules files into an immutable rule set, and evaluating
 * it against the facts of one message into a verdict.
 *
 * Loading compiles every regex once (JIT where available), resolves meta
 * expressions, rejects cycles and duplicates, and reports every error as
 * "file:line: message" through the diag; any error means no rule set.
 * A rule set is immutable and shared by all threads; evaluation keeps its
 * per-message state (match data, rule results) in a scratch object owned
 * by the caller (one per session).
 */
#ifndef SM_RULES_H
#define SM_RULES_H

#include <stdbool.h>
#include <stddef.h>

struct diag;
struct facts;
struct verdict;
struct ruleset;
struct rules_scratch;

struct rules_options {
	unsigned long match_limit;   /* PCRE2 match limit per test; 0 = library default */
};

/* Loads the *.rules files of dir in name order. NULL after reporting every error. */
struct ruleset *rules_load_dir(const char *dir, const struct rules_options *opt, struct diag *d);
/* Loads one file (tests, fuzzing). */
struct ruleset *rules_load_file(const char *path, const struct rules_options *opt, struct diag *d);
/* Parses rules from memory; name is used in messages. */
struct ruleset *rules_load_buffer(const char *name, const char *text, size_t len,
                                  const struct rules_options *opt, struct diag *d);
void rules_free(struct ruleset *rs);

size_t rules_count(const struct ruleset *rs);
/* Short hex digest of the files' contents, for X-Support-Triage and logs. */
const char *rules_hash(const struct ruleset *rs);

struct rules_scratch *rules_scratch_new(const struct ruleset *rs);
void rules_scratch_free(struct rules_scratch *sc);

/* Evaluates and fills the verdict (verdict.h). 0 on success, -1 on an
 * internal error (the session then fails open). */
int rules_eval(const struct ruleset *rs, struct rules_scratch *sc,
               const struct facts *f, struct verdict *out);

#endif
