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
	unsigned long match_limit;   /* PCRE2 match (and depth) limit per test; 0 = library default */
};

/* Loads the *.rules files of dir in strcmp name order (hidden files and
 * other names ignored). NULL after reporting every error; a missing dir is
 * an error, an empty one gives an empty rule set and a warning. */
struct ruleset *rules_load_dir(const char *dir, const struct rules_options *opt, struct diag *d);
/* Loads one file (tests, fuzzing). */
struct ruleset *rules_load_file(const char *path, const struct rules_options *opt, struct diag *d);
/* Parses rules from memory; name is used in messages. */
struct ruleset *rules_load_buffer(const char *name, const char *text, size_t len,
                                  const struct rules_options *opt, struct diag *d);
void rules_free(struct ruleset *rs);

/* Named rules (tests and metas). */
size_t rules_count(const struct ruleset *rs);
/* Short hex digest of the files' contents, for X-Support-Triage and logs:
 * 12 hex digits of FNV-1a 64 over base names and contents in load order. */
const char *rules_hash(const struct ruleset *rs);
/* The describe text of a rule, or NULL. */
const char *rules_describe(const struct ruleset *rs, const char *name);

struct rules_scratch *rules_scratch_new(const struct ruleset *rs);
void rules_scratch_free(struct rules_scratch *sc);

/* Evaluates and fills the verdict (verdict.h). 0 on success, -1 on an
 * internal error (the session then fails open).  With rs NULL the verdict
 * is only initialised (rules_ran false) and 0 is returned.  Regex tests
 * that hit the match limit count as no match (verdict.match_errors). */
int rules_eval(const struct ruleset *rs, struct rules_scratch *sc,
               const struct facts *f, struct verdict *out);

#endif
