/*
 * snapshot: the configuration and rule set in force, as one refcounted
 * unit.  Every session pins the snapshot current when it starts and
 * releases it when it ends, so a reload never changes the rules under a
 * message in flight.  Reload builds a complete new snapshot and installs
 * it only if both config and rules are fully valid.
 */
#ifndef SM_SNAPSHOT_H
#define SM_SNAPSHOT_H

#include <stdbool.h>

struct autoreply_options;
struct autoreply_templates;
struct ctr_options;
struct config;
struct ruleset;
struct diag;

struct snapshot {
	struct config *cfg;
	struct ruleset *rules;   /* never NULL once loaded (an empty directory gives an empty set) */
	struct autoreply_templates *templates; /* RulesDir/templates, checked at load */
	char *rules_dir;         /* the directory the rules were read from */
	unsigned generation;     /* 1 for the first, +1 per successful reload */
	/* private */
	unsigned refs;
};

/* Loads config (path NULL = built-in defaults; path must exist unless
 * optional) and the rules it names.  NULL after reporting every error. */
struct snapshot *snapshot_load(const char *config_path, bool config_optional, struct diag *d);

/* The auto-reply settings of this snapshot (config keys, templates). */
void snapshot_autoreply_options(const struct snapshot *s, struct autoreply_options *o);
/* The load counters' settings of this snapshot (the Redis* keys). */
void snapshot_counter_options(const struct snapshot *s, struct ctr_options *o);

/* Where an uninstalled binary finds rules when the compiled-in default
 * RulesDir does not exist (set by main). */
void snapshot_set_fallback_rules_dir(const char *dir);

/* Makes s the current snapshot (takes the caller's reference). */
void snapshot_install(struct snapshot *s);
/* A new reference to the current snapshot; NULL if none installed. */
struct snapshot *snapshot_acquire(void);
/* Another reference to a snapshot the caller already holds. */
void snapshot_ref(struct snapshot *s);
void snapshot_release(struct snapshot *s);
/* Drops the installed snapshot (shutdown). */
void snapshot_shutdown(void);

#endif
