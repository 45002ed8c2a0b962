/*
 * verdict: the outcome of the rules for one message — priority, scope,
 * categories, missing items, the rules that fired, and whether an
 * auto-reply is wanted.  Strings point into the pinned rule set (valid
 * while the session holds its snapshot).
 */
#ifndef SM_VERDICT_H
#define SM_VERDICT_H

#include <stdbool.h>
#include <stddef.h>

#define VERDICT_MAX_ITEMS 32
#define VERDICT_MAX_CATEGORIES 32
#define VERDICT_MAX_FIRED 128

enum priority { PRIORITY_LOW = 0, PRIORITY_NORMAL, PRIORITY_HIGH };

struct verdict_item {
	const char *id;          /* "reason", "location", ... */
	const char *label_da;    /* human labels for the auto-reply */
	const char *label_en;
	bool required;           /* false: recommended only (screenshot) */
};

struct verdict_category {
	const char *id;          /* "callback", "data-restore", ... */
	bool out_of_scope;
	const char *explain_da;  /* the auto-reply's explanation; may be NULL */
	const char *explain_en;
};

struct verdict {
	bool rules_ran;          /* false: no rule set, only hours/screenshot known */
	enum priority priority;
	bool out_of_scope;
	struct verdict_category categories[VERDICT_MAX_CATEGORIES];
	size_t n_categories;
	struct verdict_item missing[VERDICT_MAX_ITEMS];
	size_t n_missing;
	const char *fired[VERDICT_MAX_FIRED];
	size_t n_fired;
	bool fired_truncated;
	bool autoreply_wanted;   /* the rules want a reply (eligibility is separate) */
	/* Regex tests that could not run to the end — PCRE2's match or depth
	 * limit, or text that is not valid UTF-8 — count as no match; the
	 * session logs this once (the first rule concerned, and how many). */
	unsigned match_errors;
	const char *match_error_rule;
};

void verdict_init(struct verdict *v);
const char *verdict_priority_name(enum priority p);
/* Any missing item that is required (not merely recommended)? */
bool verdict_has_required_missing(const struct verdict *v);

#endif
