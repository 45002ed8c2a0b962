/*
 * outq: bounded reply queue, one sender thread, sendmail runs with a
 * watchdog (see outq.h).
 *
 * Owns: the queue (a list of copied jobs, at most AutoReplyQueueSize),
 * the sender thread, its rate limiter and the running child.  The mail
 * path only takes the mutex for a list append; all waiting (Redis, the
 * child) happens in the sender thread.
 *
 * The child: posix_spawn with an empty signal mask and default
 * dispositions (the milter blocks or ignores several signals, and an
 * ignored SIGPIPE would survive exec), in a process group of its own so
 * that the watchdog also reaches what it started (sendmail's postdrop, a
 * wrapper script's sleep), with descriptors beyond 2 closed where the C
 * library can (glibc 2.34: posix_spawn_file_actions_addclosefrom_np);
 * ours are all close-on-exec anyway.  The message is written through a
 * non-blocking pipe while the output is read, so a child that does not
 * read cannot block us past the deadline.  SIGPIPE is blocked in this
 * thread and a pending one consumed after EPIPE.
 */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "autoreply.h"
#include "eligible.h"
#include "hdr.h"
#include "log.h"
#include "outq.h"
#include "ratelimit.h"

extern char **environ;

struct job {
	struct job *next;
	char qid[32];
	char *rcpt;
	char *key;
	char *msg;
	size_t len;
};

struct conf {
	char **argv;           /* the command's words */
	size_t argc;
	long timeout;
	size_t queue_size;
	struct ratelimit_options rl;
	char *redis_server, *redis_password, *redis_key_prefix;
};

static struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t thread;
	bool running;
	bool stopping;
	struct timespec stop_deadline;   /* CLOCK_MONOTONIC */
	struct job *head, *tail;
	size_t n, cap;
	struct conf *pending;            /* from outq_reconfigure */
	struct outq_stats stats;
} q = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER };

/* Owned by the sender thread (set up before it starts, freed after join). */
static struct conf *cur;
static struct ratelimit *rl;

/* ------------------------------------------------------------- splitter */

void outq_free_argv(char **argv)
{
	if (argv == NULL)
		return;
	for (char **a = argv; *a != NULL; a++)
		free(*a);
	free(argv);
}

char **outq_split_command(const char *cmd, size_t *argc)
{
	char **argv = calloc(OUTQ_MAX_ARGS + 1, sizeof(*argv));
	size_t n = 0;
	if (argv == NULL || cmd == NULL)
		goto fail;
	for (const char *p = cmd;;) {
		p += strspn(p, " \t");
		if (*p == '\0')
			break;
		size_t len = strcspn(p, " \t");
		if (n == OUTQ_MAX_ARGS || (argv[n] = strndup(p, len)) == NULL)
			goto fail;
		n++;
		p += len;
	}
	if (n == 0)
		goto fail;
	*argc = n;
	return argv;
fail:
	outq_free_argv(argv);
	return NULL;
}

/* ------------------------------------------------------------ config */

static void conf_free(struct conf *c)
{
	if (c == NULL)
		return;
	outq_free_argv(c->argv);
	free(c->redis_server);
	free(c->redis_password);
	free(c->redis_key_prefix);
	free(c);
}

static char *dup_or_empty(const char *s)
{
	return strdup(s != NULL ? s : "");
}

static struct conf *conf_new(const struct autoreply_options *o)
{
	struct conf *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	c->argv = outq_split_command(o->sendmail_command, &c->argc);
	if (c->argv == NULL || c->argv[0][0] != '/') {
		log_err(NULL, "autoreply: SendmailCommand \"%s\" is not usable (absolute path, at most %d words)",
		        o->sendmail_command != NULL ? o->sendmail_command : "", OUTQ_MAX_ARGS);
		conf_free(c);
		return NULL;
	}
	c->timeout = o->timeout > 0 ? o->timeout : 60;
	c->queue_size = o->queue_size > 0 ? (size_t)o->queue_size : 1;
	c->redis_server = dup_or_empty(o->redis_server);
	c->redis_password = dup_or_empty(o->redis_password);
	c->redis_key_prefix = dup_or_empty(o->redis_key_prefix);
	if (c->redis_server == NULL || c->redis_password == NULL || c->redis_key_prefix == NULL) {
		conf_free(c);
		return NULL;
	}
	c->rl = (struct ratelimit_options){
		.period = o->period, .max_per_10min = o->max_per_10min, .senders = o->senders,
		.redis_server = c->redis_server, .redis_password = c->redis_password,
		.redis_database = o->redis_database, .redis_timeout_ms = o->redis_timeout_ms,
		.redis_key_prefix = c->redis_key_prefix,
	};
	return c;
}

static bool same_ratelimit(const struct conf *a, const struct conf *b)
{
	return a->rl.period == b->rl.period && a->rl.max_per_10min == b->rl.max_per_10min &&
	       a->rl.senders == b->rl.senders && a->rl.redis_database == b->rl.redis_database &&
	       a->rl.redis_timeout_ms == b->rl.redis_timeout_ms &&
	       strcmp(a->redis_server, b->redis_server) == 0 &&
	       strcmp(a->redis_password, b->redis_password) == 0 &&
	       strcmp(a->redis_key_prefix, b->redis_key_prefix) == 0;
}

/* ------------------------------------------------------------ the child */

struct run_result {
	bool spawned;
	int spawn_errno;
	bool exited;
	int status;          /* waitpid status when exited */
	bool timed_out;
	bool killed_hard;    /* SIGKILL was needed */
	bool unreaped;       /* did not die even after SIGKILL (gave up waiting) */
	bool short_write;    /* the child did not take the whole message */
	char output[OUTQ_OUTPUT_KEEP + 1];
	size_t output_len;
	double ms;
};

static double ms_since(const struct timespec *t0)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t0->tv_sec) * 1e3 + (double)(now.tv_nsec - t0->tv_nsec) / 1e6;
}

static bool past(const struct timespec *deadline)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > deadline->tv_sec ||
	       (now.tv_sec == deadline->tv_sec && now.tv_nsec >= deadline->tv_nsec);
}

static int ms_until(const struct timespec *deadline)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	long long ms = (long long)(deadline->tv_sec - now.tv_sec) * 1000 +
	               (deadline->tv_nsec - now.tv_nsec) / 1000000;
	return ms < 0 ? 0 : ms > 1000 ? 1000 : (int)ms;
}

/* The stop deadline, when stopping and earlier than d. */
static void clamp_to_stop(struct timespec *d)
{
	pthread_mutex_lock(&q.mu);
	if (q.stopping && (q.stop_deadline.tv_sec < d->tv_sec ||
	                   (q.stop_deadline.tv_sec == d->tv_sec && q.stop_deadline.tv_nsec < d->tv_nsec)))
		*d = q.stop_deadline;
	pthread_mutex_unlock(&q.mu);
}

static void consume_sigpipe(void)
{
	sigset_t set;
	struct timespec zero = { 0, 0 };
	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	while (sigtimedwait(&set, NULL, &zero) == SIGPIPE)
		;
}

/* Waits up to ms for pid; true when it was reaped. */
static bool reap(pid_t pid, int ms, int *status)
{
	for (int waited = 0;; waited += 10) {
		pid_t r = waitpid(pid, status, WNOHANG);
		if (r == pid)
			return true;
		if (r < 0 && errno == ECHILD) {
			*status = -1;  /* reaped by someone else (SIGCHLD ignored?) */
			return true;
		}
		if (waited >= ms)
			return false;
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
}

static void kill_group(pid_t pid, int sig)
{
	if (kill(-pid, sig) < 0)
		kill(pid, sig);
}

static int spawn_child(char *const *argv, int in_fd, int out_fd, pid_t *pid)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t empty, def;
	int rc;

	sigemptyset(&empty);
	sigemptyset(&def);
	static const int defaults[] = { SIGPIPE, SIGCHLD, SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1,
	                                SIGUSR2, SIGALRM, SIGTSTP, SIGTTIN, SIGTTOU, SIGXFSZ };
	for (size_t i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++)
		sigaddset(&def, defaults[i]);

	if ((rc = posix_spawn_file_actions_init(&fa)) != 0)
		return rc;
	if ((rc = posix_spawnattr_init(&at)) != 0) {
		posix_spawn_file_actions_destroy(&fa);
		return rc;
	}
	if ((rc = posix_spawn_file_actions_adddup2(&fa, in_fd, 0)) == 0 &&
	    (rc = posix_spawn_file_actions_adddup2(&fa, out_fd, 1)) == 0 &&
	    (rc = posix_spawn_file_actions_adddup2(&fa, out_fd, 2)) == 0
#if defined(__GLIBC__) && defined(__GLIBC_PREREQ)
#if __GLIBC_PREREQ(2, 34)
	    && (rc = posix_spawn_file_actions_addclosefrom_np(&fa, 3)) == 0
#endif
#endif
	    && (rc = posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF |
	                                               POSIX_SPAWN_SETPGROUP)) == 0 &&
	    (rc = posix_spawnattr_setsigmask(&at, &empty)) == 0 &&
	    (rc = posix_spawnattr_setsigdefault(&at, &def)) == 0 &&
	    (rc = posix_spawnattr_setpgroup(&at, 0)) == 0)
		rc = posix_spawn(pid, argv[0], &fa, &at, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	return rc;
}

static void keep_output(struct run_result *res, int fd, bool *open_)
{
	char tmp[4096];
	for (;;) {
		ssize_t n = read(fd, tmp, sizeof(tmp));
		if (n > 0) {
			size_t room = OUTQ_OUTPUT_KEEP - res->output_len;
			size_t take = (size_t)n < room ? (size_t)n : room;
			memcpy(res->output + res->output_len, tmp, take);
			res->output_len += take;
			continue;
		}
		if (n == 0 || (errno != EINTR && errno != EAGAIN))
			*open_ = false;
		if (n < 0 && errno == EINTR)
			continue;
		return;
	}
}

static void run_command(char *const *argv, const char *msg, size_t len, long timeout, struct run_result *res)
{
	int in[2] = { -1, -1 }, out[2] = { -1, -1 };
	struct timespec t0, deadline;
	pid_t pid;

	memset(res, 0, sizeof(*res));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	deadline = t0;
	deadline.tv_sec += timeout;
	clamp_to_stop(&deadline);

	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0) {
		res->spawn_errno = errno;
		goto done;
	}
	int rc = spawn_child(argv, in[0], out[1], &pid);
	close(in[0]);
	close(out[1]);
	in[0] = out[1] = -1;
	if (rc != 0) {
		res->spawn_errno = rc;
		goto done;
	}
	res->spawned = true;
	fcntl(in[1], F_SETFL, O_NONBLOCK);
	fcntl(out[0], F_SETFL, O_NONBLOCK);

	size_t off = 0;
	bool out_open = true;
	if (len == 0) {
		close(in[1]);
		in[1] = -1;
	}
	for (;;) {
		if (reap(pid, 0, &res->status)) {
			res->exited = true;
			break;
		}
		if (past(&deadline)) {
			res->timed_out = true;
			break;
		}
		struct pollfd pfd[2];
		nfds_t n = 0;
		if (in[1] >= 0)
			pfd[n++] = (struct pollfd){ .fd = in[1], .events = POLLOUT };
		if (out_open)
			pfd[n++] = (struct pollfd){ .fd = out[0], .events = POLLIN };
		clamp_to_stop(&deadline);
		int wait = ms_until(&deadline);
		if (wait > 50)
			wait = 50;
		if (n == 0 || poll(pfd, n, wait) < 0) {
			struct timespec ts = { 0, (long)(wait > 10 ? 10 : wait) * 1000000L };
			nanosleep(&ts, NULL);
			if (n == 0)
				continue;
		}
		if (in[1] >= 0) {
			ssize_t w = write(in[1], msg + off, len - off);
			if (w > 0)
				off += (size_t)w;
			if ((w < 0 && errno != EAGAIN && errno != EINTR) || off == len) {
				if (w < 0 && errno == EPIPE)
					consume_sigpipe();
				close(in[1]);
				in[1] = -1;
			}
		}
		if (out_open)
			keep_output(res, out[0], &out_open);
	}
	if (!res->exited) {
		/* The watchdog: TERM the group, then KILL it. */
		kill_group(pid, SIGTERM);
		if (reap(pid, OUTQ_KILL_GRACE * 1000, &res->status)) {
			res->exited = true;
		} else {
			kill_group(pid, SIGKILL);
			res->killed_hard = true;
			res->exited = reap(pid, 5000, &res->status);
			res->unreaped = !res->exited;
		}
	}
	if (out_open)
		keep_output(res, out[0], &out_open);
	res->short_write = off < len;
done:
	for (int i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (out[i] >= 0)
			close(out[i]);
	}
	res->ms = ms_since(&t0);
}

/* ------------------------------------------------------------ the thread */

static void count(unsigned long *field)
{
	pthread_mutex_lock(&q.mu);
	(*field)++;
	pthread_mutex_unlock(&q.mu);
}

static void log_outcome(const struct job *j, const struct run_result *res)
{
	char output[OUTQ_OUTPUT_KEEP + 1];
	hdr_sanitize(res->output, res->output_len, output, sizeof(output));
	const char *qid = j->qid[0] != '\0' ? j->qid : NULL;

	if (!res->spawned) {
		log_err(qid, "autoreply to=<%s> not sent: cannot run %s: %s", j->rcpt, cur->argv[0],
		        strerror(res->spawn_errno));
		return;
	}
	if (res->timed_out) {
		log_warn(qid, "autoreply to=<%s> not sent: %s killed after %ld s timeout (%s)%s ms=%.0f%s%s",
		         j->rcpt, cur->argv[0], cur->timeout, res->killed_hard ? "SIGKILL" : "SIGTERM",
		         res->unreaped ? ", still not reaped" : "", res->ms, output[0] ? " output=" : "", output);
		return;
	}
	if (res->status == -1) {
		log_warn(qid, "autoreply to=<%s> not sent: %s ended with an unknown status (reaped elsewhere)",
		         j->rcpt, cur->argv[0]);
		return;
	}
	if (WIFEXITED(res->status) && WEXITSTATUS(res->status) == 0) {
		log_info(qid, "autoreply to=<%s> sent ms=%.0f%s", j->rcpt, res->ms,
		         res->short_write ? " (the command did not read the whole message)" : "");
		return;
	}
	if (WIFEXITED(res->status))
		log_warn(qid, "autoreply to=<%s> not sent: %s exited with status %d%s ms=%.0f%s%s", j->rcpt,
		         cur->argv[0], WEXITSTATUS(res->status),
		         WEXITSTATUS(res->status) == 75 ? " (temporary failure)" : "", res->ms,
		         output[0] ? " output=" : "", output);
	else if (WIFSIGNALED(res->status))
		log_warn(qid, "autoreply to=<%s> not sent: %s killed by signal %d ms=%.0f%s%s", j->rcpt,
		         cur->argv[0], WTERMSIG(res->status), res->ms, output[0] ? " output=" : "", output);
	else
		log_warn(qid, "autoreply to=<%s> not sent: %s ended with status 0x%x", j->rcpt,
		         cur->argv[0], (unsigned)res->status);
}

static void send_job(const struct job *j)
{
	const char *qid = j->qid[0] != '\0' ? j->qid : NULL;
	enum ratelimit_result lim = rl != NULL ? ratelimit_check(rl, j->key, time(NULL)) : RATELIMIT_OK;
	if (lim != RATELIMIT_OK) {
		log_info(qid, "autoreply to=<%s> not sent: %s (%s)", j->rcpt, ratelimit_result_name(lim),
		         ratelimit_used_redis(rl) ? "redis" : "memory");
		count(lim == RATELIMIT_BREAKER ? &q.stats.breaker : &q.stats.rate_limited);
		return;
	}
	char *argv[OUTQ_MAX_ARGS + 3];
	size_t n = 0;
	for (size_t i = 0; i < cur->argc; i++)
		argv[n++] = cur->argv[i];
	if (strcmp(cur->argv[cur->argc - 1], "--") != 0)
		argv[n++] = (char *)"--";
	argv[n++] = j->rcpt;
	argv[n] = NULL;

	struct run_result res;
	run_command(argv, j->msg, j->len, cur->timeout, &res);
	log_outcome(j, &res);
	bool ok = res.spawned && !res.timed_out && res.exited && WIFEXITED(res.status) &&
	          WEXITSTATUS(res.status) == 0;
	if (!ok && rl != NULL)
		ratelimit_release(rl, j->key);
	pthread_mutex_lock(&q.mu);
	if (ok) {
		q.stats.sent++;
	} else {
		q.stats.failed++;
		if (res.timed_out)
			q.stats.timed_out++;
	}
	pthread_mutex_unlock(&q.mu);
}

static void job_free(struct job *j)
{
	if (j == NULL)
		return;
	free(j->rcpt);
	free(j->key);
	free(j->msg);
	free(j);
}

/* Takes a pending configuration (called with the mutex held). */
static void apply_pending(void)
{
	struct conf *c = q.pending;
	q.pending = NULL;
	q.cap = c->queue_size;
	pthread_mutex_unlock(&q.mu);
	if (!same_ratelimit(c, cur)) {
		struct ratelimit *fresh = ratelimit_new(&c->rl);
		if (fresh != NULL) {
			ratelimit_free(rl);
			rl = fresh;
		} else {
			log_err(NULL, "autoreply: out of memory for the new rate limit; keeping the old one");
		}
	}
	conf_free(cur);
	cur = c;
	pthread_mutex_lock(&q.mu);
}

static void *sender_main(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&q.mu);
	for (;;) {
		if (q.pending != NULL)
			apply_pending();
		if (q.head == NULL) {
			if (q.stopping)
				break;
			pthread_cond_wait(&q.cv, &q.mu);
			continue;
		}
		if (q.stopping && past(&q.stop_deadline)) {
			size_t dropped = q.n;
			while (q.head != NULL) {
				struct job *j = q.head;
				q.head = j->next;
				job_free(j);
			}
			q.tail = NULL;
			q.n = 0;
			q.stats.dropped_stop += dropped;
			pthread_mutex_unlock(&q.mu);
			log_warn(NULL, "autoreply: stopping: %zu queued replies dropped", dropped);
			pthread_mutex_lock(&q.mu);
			break;
		}
		struct job *j = q.head;
		q.head = j->next;
		if (q.head == NULL)
			q.tail = NULL;
		q.n--;
		pthread_mutex_unlock(&q.mu);
		send_job(j);
		job_free(j);
		pthread_mutex_lock(&q.mu);
	}
	pthread_mutex_unlock(&q.mu);
	return NULL;
}

/* ------------------------------------------------------------ the API */

int outq_start(const struct autoreply_options *o)
{
	struct conf *c = conf_new(o);
	if (c == NULL)
		return -1;
	struct ratelimit *r = ratelimit_new(&c->rl);
	if (r == NULL) {
		log_err(NULL, "autoreply: cannot set up the rate limit (RedisServer \"%s\"?)", c->redis_server);
		conf_free(c);
		return -1;
	}
	pthread_mutex_lock(&q.mu);
	if (q.running) {
		pthread_mutex_unlock(&q.mu);
		ratelimit_free(r);
		conf_free(c);
		return -1;
	}
	cur = c;
	rl = r;
	q.cap = c->queue_size;
	q.stopping = false;
	memset(&q.stats, 0, sizeof(q.stats));
	/* Born with every signal blocked: a process-directed SIGTERM must
	 * never land here (libmilter waits for it in its own thread). */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	int rc = pthread_create(&q.thread, NULL, sender_main, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		pthread_mutex_unlock(&q.mu);
		log_err(NULL, "autoreply: cannot start the sender thread: %s", strerror(rc));
		ratelimit_free(rl);
		conf_free(cur);
		rl = NULL;
		cur = NULL;
		return -1;
	}
	q.running = true;
	pthread_mutex_unlock(&q.mu);
	return 0;
}

bool outq_submit_qid(const char *qid, const char *recipient, const char *sender_key,
                     const char *message, size_t len)
{
	if (!eligible_is_safe_address(recipient)) {
		log_warn(qid, "autoreply not queued: recipient is not a plain address");
		return false;
	}
	struct job *j = calloc(1, sizeof(*j));
	if (j != NULL) {
		j->rcpt = strdup(recipient);
		j->key = strdup(sender_key != NULL ? sender_key : recipient);
		j->msg = malloc(len > 0 ? len : 1);
		if (qid != NULL)
			snprintf(j->qid, sizeof(j->qid), "%s", qid);
	}
	if (j == NULL || j->rcpt == NULL || j->key == NULL || j->msg == NULL) {
		job_free(j);
		log_err(qid, "autoreply to=<%s> dropped: out of memory", recipient);
		return false;
	}
	memcpy(j->msg, message, len);
	j->len = len;

	pthread_mutex_lock(&q.mu);
	if (!q.running || q.stopping || q.n >= q.cap) {
		bool full = q.running && !q.stopping;
		size_t cap = q.cap;
		if (full)
			q.stats.dropped_full++;
		pthread_mutex_unlock(&q.mu);
		if (full)
			log_warn(qid, "autoreply to=<%s> dropped: queue full (%zu)", recipient, cap);
		else
			log_warn(qid, "autoreply to=<%s> dropped: sender not running", recipient);
		job_free(j);
		return false;
	}
	if (q.tail != NULL)
		q.tail->next = j;
	else
		q.head = j;
	q.tail = j;
	q.n++;
	q.stats.submitted++;
	pthread_cond_signal(&q.cv);
	pthread_mutex_unlock(&q.mu);
	return true;
}

bool outq_submit(const char *recipient, const char *sender_key, const char *message, size_t len)
{
	return outq_submit_qid(NULL, recipient, sender_key, message, len);
}

void outq_reconfigure(const struct autoreply_options *o)
{
	struct conf *c = conf_new(o);
	if (c == NULL) {
		log_err(NULL, "autoreply: new settings not taken; keeping the old SendmailCommand");
		return;
	}
	pthread_mutex_lock(&q.mu);
	if (!q.running) {
		pthread_mutex_unlock(&q.mu);
		conf_free(c);
		return;
	}
	conf_free(q.pending);
	q.pending = c;
	pthread_cond_signal(&q.cv);
	pthread_mutex_unlock(&q.mu);
}

void outq_stop(void)
{
	pthread_mutex_lock(&q.mu);
	if (!q.running || q.stopping) {
		pthread_mutex_unlock(&q.mu);
		return;
	}
	q.stopping = true;
	clock_gettime(CLOCK_MONOTONIC, &q.stop_deadline);
	q.stop_deadline.tv_sec += OUTQ_DRAIN_SECONDS;
	pthread_cond_signal(&q.cv);
	pthread_mutex_unlock(&q.mu);

	pthread_join(q.thread, NULL);

	pthread_mutex_lock(&q.mu);
	conf_free(q.pending);
	q.pending = NULL;
	q.running = false;
	q.stopping = false;
	pthread_mutex_unlock(&q.mu);
	ratelimit_free(rl);
	conf_free(cur);
	rl = NULL;
	cur = NULL;
}

bool outq_running(void)
{
	pthread_mutex_lock(&q.mu);
	bool r = q.running && !q.stopping;
	pthread_mutex_unlock(&q.mu);
	return r;
}

void outq_get_stats(struct outq_stats *out)
{
	pthread_mutex_lock(&q.mu);
	*out = q.stats;
	pthread_mutex_unlock(&q.mu);
}
