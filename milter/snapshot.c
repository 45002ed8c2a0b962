/*
 * snapshot: the configuration and rule set in force (see snapshot.h).
 *
 * One mutex guards the current pointer and every reference count; it is
 * held only for a few instructions per message, far below anything a
 * milter would notice.  A snapshot is freed by whoever drops its last
 * reference: after a reload that is the last message still using it.
 */
#include "autoconfig.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"
#include "diag.h"
#include "log.h"
#include "rules.h"
#include "snapshot.h"

static pthread_mutex_t snapshot_lock = PTHREAD_MUTEX_INITIALIZER;
static struct snapshot *snapshot_current;
static unsigned snapshot_generation;
static const char *snapshot_fallback_rules_dir;

void snapshot_set_fallback_rules_dir(const char *dir)
{
	snapshot_fallback_rules_dir = dir;
}

/* The compiled-in default directory, when missing, gives way to the
 * fallback (an uninstalled binary's source tree). */
static const char *rules_dir_of(const struct config *cfg)
{
	struct stat st;
	if (snapshot_fallback_rules_dir != NULL &&
	    strcmp(cfg->rules_dir, SYSCONFDIR "/support-milter/rules") == 0 &&
	    stat(cfg->rules_dir, &st) < 0)
		return snapshot_fallback_rules_dir;
	return cfg->rules_dir;
}

static void snapshot_destroy(struct snapshot *s)
{
	rules_free(s->rules);
	config_free(s->cfg);
	free(s);
}

struct snapshot *snapshot_load(const char *config_path, bool config_optional, struct diag *d)
{
	struct config *cfg;
	struct stat st;

	if (config_path == NULL || (config_optional && stat(config_path, &st) < 0 && errno == ENOENT))
		cfg = config_defaults(d);
	else
		cfg = config_load(config_path, d);
	if (cfg == NULL)
		return NULL;

	struct rules_options opt = { .match_limit = (unsigned long)cfg->regex_match_limit };
	struct ruleset *rules = rules_load_dir(rules_dir_of(cfg), &opt, d);
	if (rules == NULL) {
		config_free(cfg);
		return NULL;
	}
	struct snapshot *s = calloc(1, sizeof(*s));
	if (s == NULL) {
		diag_error(d, NULL, 0, "out of memory");
		rules_free(rules);
		config_free(cfg);
		return NULL;
	}
	s->cfg = cfg;
	s->rules = rules;
	s->refs = 1;
	return s;
}

void snapshot_install(struct snapshot *s)
{
	pthread_mutex_lock(&snapshot_lock);
	struct snapshot *old = snapshot_current;
	s->generation = ++snapshot_generation;
	snapshot_current = s;
	bool free_old = old != NULL && --old->refs == 0;
	pthread_mutex_unlock(&snapshot_lock);
	if (free_old)
		snapshot_destroy(old);
}

struct snapshot *snapshot_acquire(void)
{
	pthread_mutex_lock(&snapshot_lock);
	struct snapshot *s = snapshot_current;
	if (s != NULL)
		s->refs++;
	pthread_mutex_unlock(&snapshot_lock);
	return s;
}

void snapshot_ref(struct snapshot *s)
{
	pthread_mutex_lock(&snapshot_lock);
	s->refs++;
	pthread_mutex_unlock(&snapshot_lock);
}

void snapshot_release(struct snapshot *s)
{
	if (s == NULL)
		return;
	pthread_mutex_lock(&snapshot_lock);
	bool last = --s->refs == 0;
	pthread_mutex_unlock(&snapshot_lock);
	if (last)
		snapshot_destroy(s);
}

void snapshot_shutdown(void)
{
	pthread_mutex_lock(&snapshot_lock);
	struct snapshot *s = snapshot_current;
	snapshot_current = NULL;
	pthread_mutex_unlock(&snapshot_lock);
	snapshot_release(s);
}
