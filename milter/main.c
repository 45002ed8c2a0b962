/*
 * main: command line, modes and process life (support-milter(8)).
 *
 *   support-milter [-c FILE] [-f] [-s SOCKET]        run the milter
 *   support-milter [-c FILE] --check                 validate config and rules
 *   support-milter [-c FILE] --dump-config           print the effective config
 *   support-milter [-c FILE] -t FILE... [options]    analyse files offline
 *
 * Exit status follows sysexits(3): 0 ok, 64 usage, 66 unreadable input,
 * 69 the milter could not start, 78 configuration error.
 * Signals: SIGUSR1 reloads (libmilter itself stops on SIGHUP, SIGTERM,
 * SIGINT); a dedicated thread waits for it so that reload never runs in
 * signal context.
 *
 * Stopping, in this order, each step bounded: mlfi_run returns once no
 * callback is analysing any more (mlfi.c's gate; later callbacks let
 * their messages pass); the reload thread is stopped and joined, so that
 * no reload restarts the counters or the reply sender behind us or
 * installs a snapshot after the last one was dropped; then the reply
 * sender (OUTQ_DRAIN_SECONDS), the counters thread (its final flush), the
 * idle libmagic handles and the current snapshot (messages still holding
 * it keep it alive).
 */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <syslog.h>
#include <unistd.h>

#include "autoreply.h"
#include "config.h"
#include "counters.h"
#include "diag.h"
#include "log.h"
#include "magic.h"
#include "mlfi.h"
#include "offline.h"
#include "outq.h"
#include "rules.h"
#include "snapshot.h"

static const char *config_path;   /* NULL: the default file, if it exists */
static bool config_given;

static void usage(FILE *fp)
{
	fprintf(fp,
	        "usage: support-milter [-c FILE] [-f] [-s SOCKET]\n"
	        "       support-milter [-c FILE] --check | --dump-config | -V\n"
	        "       support-milter [-c FILE] -t FILE... [--from ADDR] [--rcpt ADDR]...\n"
	        "                      [--time ISO8601] [--json] [--chunk N] [--show-text]\n");
}

/* An uninstalled binary (run from the build tree) reads the rules of its
 * source tree when the configured default directory does not exist, so
 * that `make check` and a fresh checkout work without `make install`. */
static void set_uninstalled_rules_fallback(void)
{
#if defined(TOP_BUILDDIR) && defined(TOP_SRCDIR)
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return;
	exe[n] = '\0';
	char *slash = strrchr(exe, '/');
	if (slash == NULL)
		return;
	*slash = '\0';
	if (strcmp(exe, TOP_BUILDDIR "/milter") == 0)
		snapshot_set_fallback_rules_dir(TOP_SRCDIR "/rules");
#endif
}

static struct snapshot *load_snapshot(struct diag *d)
{
	const char *path = config_path != NULL ? config_path : CONFIG_DEFAULT_FILE;
	return snapshot_load(path, !config_given, d);
}

static int do_check(void)
{
	struct diag d;
	diag_to_stream(&d, stderr);
	struct snapshot *s = load_snapshot(&d);
	if (s == NULL) {
		fprintf(stderr, "support-milter: %u error%s\n", d.errors, d.errors == 1 ? "" : "s");
		return EX_CONFIG;
	}
	char err[256];
	if (magic_preload(err, sizeof(err)) < 0) {
		fprintf(stderr, "support-milter: libmagic: %s\n", err);
		snapshot_release(s);
		return EX_CONFIG;
	}
	magic_shutdown();
	printf("configuration %s: ok\n", s->cfg->file != NULL ? s->cfg->file : "(built-in defaults)");
	printf("rules %s: %zu rules, hash %s\n", s->rules_dir, rules_count(s->rules),
	       rules_hash(s->rules));
	snapshot_release(s);
	return d.errors == 0 ? 0 : EX_CONFIG;
}

static int do_dump_config(void)
{
	struct diag d;
	diag_to_stream(&d, stderr);
	struct snapshot *s = load_snapshot(&d);
	if (s == NULL)
		return EX_CONFIG;
	config_dump(s->cfg, stdout);
	snapshot_release(s);
	return 0;
}

/* ---------------------------------------------------------------- milter */

/* Starts, reconfigures or stops the auto-reply sender to match AutoReply. */
static void apply_autoreply(const struct snapshot *s)
{
	struct autoreply_options o;
	snapshot_autoreply_options(s, &o);
	if (o.enabled && !outq_running()) {
		if (outq_start(&o) < 0)
			log_err(NULL, "auto-replies could not start; none will be sent");
	} else if (o.enabled) {
		outq_reconfigure(&o);
	} else if (outq_running()) {
		outq_stop();
	}
}

/* Set before the reload thread is woken for the last time. */
static atomic_bool reload_stopping;

static void *reload_thread(void *arg)
{
	sigset_t *set = arg;
	for (;;) {
		int sig;
		if (sigwait(set, &sig) != 0 || sig != SIGUSR1)
			continue;
		if (atomic_load(&reload_stopping))
			break;
		struct diag d;
		diag_to_log(&d);
		struct snapshot *s = load_snapshot(&d);
		if (s == NULL) {
			struct snapshot *cur = snapshot_acquire();
			log_err(NULL, "reload failed (%u error%s): keeping configuration generation %u",
			        d.errors, d.errors == 1 ? "" : "s", cur != NULL ? cur->generation : 0);
			snapshot_release(cur);
			continue;
		}
		log_set_level((enum log_level)s->cfg->log_level);
		struct ctr_options co;
		snapshot_counter_options(s, &co);
		ctr_reconfigure(&co);
		apply_autoreply(s);
		size_t n = rules_count(s->rules);
		char hash[64];
		snprintf(hash, sizeof(hash), "%s", rules_hash(s->rules));
		snapshot_install(s);
		struct snapshot *cur = snapshot_acquire();
		log_info(NULL, "reloaded: generation=%u rules=%zu hash=%s", cur != NULL ? cur->generation : 0,
		         n, hash);
		snapshot_release(cur);
	}
	return NULL;
}

/* Wakes the reload thread with a SIGUSR1 of its own and waits for it: a
 * reload in progress is finished first (bounded by loading one
 * configuration).  A SIGUSR1 arriving later stays pending, harmlessly:
 * every thread blocks it. */
static void stop_reload_thread(pthread_t tid)
{
	atomic_store(&reload_stopping, true);
	int rc = pthread_kill(tid, SIGUSR1);
	if (rc == 0)
		rc = pthread_join(tid, NULL);
	if (rc != 0)
		log_err(NULL, "cannot stop the reload thread: %s", strerror(rc));
}

static int drop_privileges(const char *user_id)
{
	char user[256];
	snprintf(user, sizeof(user), "%s", user_id);
	char *group = strchr(user, ':');
	if (group != NULL)
		*group++ = '\0';
	struct passwd *pw = getpwnam(user);
	if (pw == NULL) {
		log_err(NULL, "UserID: no such user %s", user);
		return -1;
	}
	gid_t gid = pw->pw_gid;
	if (group != NULL) {
		struct group *gr = getgrnam(group);
		if (gr == NULL) {
			log_err(NULL, "UserID: no such group %s", group);
			return -1;
		}
		gid = gr->gr_gid;
	}
	if (setgid(gid) < 0 || initgroups(pw->pw_name, gid) < 0 || setuid(pw->pw_uid) < 0) {
		log_err(NULL, "UserID %s: %s", user_id, strerror(errno));
		return -1;
	}
	return 0;
}

static int write_pid_file(const char *path)
{
	FILE *fp = fopen(path, "w");
	if (fp == NULL) {
		log_err(NULL, "PidFile %s: %s", path, strerror(errno));
		return -1;
	}
	fprintf(fp, "%ld\n", (long)getpid());
	return fclose(fp) == 0 ? 0 : -1;
}

static int daemonize(void)
{
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid > 0)
		_exit(0);
	if (setsid() < 0)
		return -1;
	int fd = open("/dev/null", O_RDWR);
	if (fd >= 0) {
		dup2(fd, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		if (fd > STDERR_FILENO)
			close(fd);
	}
	return chdir("/");
}

static int run_milter(bool foreground, const char *socket_override)
{
	struct diag d;
	diag_to_stream(&d, stderr);
	struct snapshot *s = load_snapshot(&d);
	if (s == NULL)
		return EX_CONFIG;
	const struct config *cfg = s->cfg;
	log_open("support-milter", foreground || !cfg->syslog, cfg->syslog_facility);
	log_set_level((enum log_level)cfg->log_level);

	char err[256];
	if (magic_preload(err, sizeof(err)) < 0) {
		log_err(NULL, "libmagic: %s", err);
		snapshot_release(s);
		return EX_CONFIG;
	}

	const char *sock = socket_override != NULL ? socket_override : cfg->socket;
	if (mlfi_setup(sock, cfg->milter_timeout) < 0) {
		snapshot_release(s);
		return EX_UNAVAILABLE;
	}
	if (!foreground && daemonize() < 0) {
		log_err(NULL, "cannot become a daemon: %s", strerror(errno));
		snapshot_release(s);
		return EX_OSERR;
	}
	if (cfg->pid_file[0] != '\0' && write_pid_file(cfg->pid_file) < 0) {
		snapshot_release(s);
		return EX_CANTCREAT;
	}
	if (cfg->user_id[0] != '\0' && geteuid() == 0 && drop_privileges(cfg->user_id) < 0) {
		snapshot_release(s);
		return EX_NOUSER;
	}

	/* Block SIGUSR1 in every thread; the reload thread waits for it.  The
	 * stop signals are blocked too before any thread exists, so that
	 * only libmilter's own signal thread (which sigwaits for them) ever
	 * takes them and smfi_main returns for a clean exit. */
	static sigset_t reload_set;
	sigemptyset(&reload_set);
	sigaddset(&reload_set, SIGUSR1);
	sigset_t blocked = reload_set;
	sigaddset(&blocked, SIGTERM);
	sigaddset(&blocked, SIGINT);
	sigaddset(&blocked, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &blocked, NULL);
	signal(SIGPIPE, SIG_IGN);
	pthread_t tid;
	if (pthread_create(&tid, NULL, reload_thread, &reload_set) != 0) {
		log_err(NULL, "cannot start the reload thread");
		snapshot_release(s);
		return EX_OSERR;
	}

	/* Counters are optional: a failure to start them is logged and the
	 * milter runs without them. */
	struct ctr_options co;
	snapshot_counter_options(s, &co);
	if (ctr_start(&co) < 0)
		log_err(NULL, "load counters could not start; running without them");
	apply_autoreply(s);

	log_info(NULL, "starting %s on %s: rules=%zu hash=%s", PACKAGE_STRING, sock,
	         rules_count(s->rules), rules_hash(s->rules));
	char *pid_file = strdup(cfg->pid_file);
	snapshot_install(s);
	int rc = mlfi_run();
	log_info(NULL, "stopping");
	stop_reload_thread(tid);
	outq_stop();
	ctr_stop();
	magic_shutdown();
	snapshot_shutdown();
	if (pid_file != NULL && pid_file[0] != '\0')
		unlink(pid_file);
	free(pid_file);
	return rc == 0 ? 0 : EX_SOFTWARE;
}

/* ------------------------------------------------------------------ main */

enum { OPT_CHECK = 256, OPT_DUMP, OPT_FROM, OPT_RCPT, OPT_TIME, OPT_JSON, OPT_CHUNK, OPT_SHOW_REPLY, OPT_SHOW_TEXT };

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "socket", required_argument, NULL, 's' },
		{ "test", no_argument, NULL, 't' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ "check", no_argument, NULL, OPT_CHECK },
		{ "dump-config", no_argument, NULL, OPT_DUMP },
		{ "from", required_argument, NULL, OPT_FROM },
		{ "rcpt", required_argument, NULL, OPT_RCPT },
		{ "time", required_argument, NULL, OPT_TIME },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "chunk", required_argument, NULL, OPT_CHUNK },
		{ "show-reply", no_argument, NULL, OPT_SHOW_REPLY },
		{ "show-text", no_argument, NULL, OPT_SHOW_TEXT },
		{ NULL, 0, NULL, 0 },
	};
	bool foreground = false, check = false, dump = false, test = false;
	const char *socket_override = NULL;
	struct offline_options off;
	offline_options_init(&off);
	int rc = 0, opt;

	while ((opt = getopt_long(argc, argv, "c:fs:tVh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c': config_path = optarg; config_given = true; break;
		case 'f': foreground = true; break;
		case 's': socket_override = optarg; break;
		case 't': test = true; break;
		case 'V': puts(PACKAGE_STRING); return 0;
		case 'h': usage(stdout); return 0;
		case OPT_CHECK: check = true; break;
		case OPT_DUMP: dump = true; break;
		case OPT_FROM: off.from = optarg; break;
		case OPT_RCPT:
			if (offline_options_add_rcpt(&off, optarg) < 0) {
				fprintf(stderr, "support-milter: too many --rcpt\n");
				return EX_USAGE;
			}
			break;
		case OPT_TIME:
			if (offline_parse_time(optarg, &off.time) < 0) {
				fprintf(stderr, "support-milter: --time %s: expected ISO 8601 with a UTC offset, "
				        "e.g. 2026-11-23T09:30:00+01:00\n", optarg);
				return EX_USAGE;
			}
			off.time_set = true;
			break;
		case OPT_JSON: off.json = true; break;
		case OPT_CHUNK: {
			char *end;
			long n = strtol(optarg, &end, 10);
			if (*end != '\0' || n < 1 || n > 16 * 1024 * 1024) {
				fprintf(stderr, "support-milter: --chunk must be 1..16777216\n");
				return EX_USAGE;
			}
			off.chunk = (size_t)n;
			break;
		}
		case OPT_SHOW_REPLY: off.show_reply = true; break;
		case OPT_SHOW_TEXT: off.show_text = true; break;
		default: usage(stderr); return EX_USAGE;
		}
	}
	set_uninstalled_rules_fallback();

	if (check)
		return do_check();
	if (dump)
		return do_dump_config();
	if (test) {
		if (optind >= argc) {
			usage(stderr);
			return EX_USAGE;
		}
		log_open("support-milter", true, LOG_MAIL);
		struct diag d;
		diag_to_stream(&d, stderr);
		struct snapshot *s = load_snapshot(&d);
		if (s == NULL)
			return EX_CONFIG;
		/* Offline runs are for reading results; routine info lines would
		 * only interleave with them. */
		log_set_level(s->cfg->log_level < LOG_LEVEL_WARN ? (enum log_level)s->cfg->log_level
		                                                 : LOG_LEVEL_WARN);
		snapshot_install(s);
		rc = offline_run(&off, (const char *const *)argv + optind, (size_t)(argc - optind));
		snapshot_shutdown();
		magic_shutdown();
		return rc;
	}
	if (optind < argc) {
		usage(stderr);
		return EX_USAGE;
	}
	return run_milter(foreground, socket_override);
}
