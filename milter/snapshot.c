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

#include "autoreply.h"
#include "config.h"
#include "counters.h"
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
	autoreply_templates_free(s->templates);
	free(s->rules_dir);
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

	const char *dir = rules_dir_of(cfg);
	struct rules_options opt = { .match_limit = (unsigned long)cfg->regex_match_limit };
	struct snapshot *s = calloc(1, sizeof(*s));
	if (s == NULL) {
		diag_error(d, NULL, 0, "out of memory");
		config_free(cfg);
		return NULL;
	}
	s->cfg = cfg;
	s->refs = 1;
	s->rules_dir = strdup(dir);
	s->rules = rules_load_dir(dir, &opt, d);
	/* The templates are checked with the rules (every error reported), so
	 * that --check and a reload catch a broken template too. */
	char tdir[4096];
	snprintf(tdir, sizeof(tdir), "%s/templates", dir);
	s->templates = autoreply_templates_load(tdir, d);
	if (s->rules_dir == NULL || s->rules == NULL || s->templates == NULL) {
		snapshot_destroy(s);
		return NULL;
	}
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

void snapshot_autoreply_options(const struct snapshot *s, struct autoreply_options *o)
{
	const struct config *cfg = s->cfg;
	autoreply_options_init(o);
	o->enabled = cfg->auto_reply;
	o->from_name = cfg->auto_reply_from_name;
	o->period = cfg->auto_reply_interval;
	o->max_per_10min = cfg->auto_reply_max_per_10min;
	o->queue_size = cfg->auto_reply_queue_size;
	o->timeout = cfg->sendmail_timeout;
	o->senders = cfg->auto_reply_senders;
	o->sendmail_command = cfg->sendmail_command;
	o->templates_dir = NULL;
	o->templates = s->templates;
	o->hours = &cfg->hours;
	o->redis_server = cfg->redis_server;
	o->redis_password = cfg->redis_password;
	o->redis_database = cfg->redis_database;
	o->redis_timeout_ms = cfg->redis_io_timeout;
	o->redis_key_prefix = cfg->redis_key_prefix;
}

/* The counters module does not know struct config.  The strings stay
 * valid while the snapshot lives; ctr_* copy them. */
void snapshot_counter_options(const struct snapshot *s, struct ctr_options *o)
{
	const struct config *cfg = s->cfg;
	ctr_options_defaults(o);
	o->server = cfg->redis_server;
	o->password = cfg->redis_password;
	o->database = cfg->redis_database;
	o->timeout_ms = cfg->redis_timeout;
	o->io_timeout_ms = cfg->redis_io_timeout;
	o->key_prefix = cfg->redis_key_prefix;
	o->ttl[CTR_FAM_HOUR] = cfg->redis_hour_ttl;
	o->ttl[CTR_FAM_WEEK_HOUR] = cfg->redis_week_hour_ttl;
	o->ttl[CTR_FAM_DAY] = cfg->redis_day_ttl;
	o->queue_size = cfg->redis_queue_size;
	o->backlog_size = cfg->redis_backlog;
}
