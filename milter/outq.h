/*
 * outq: the auto-reply queue and its one sender thread.
 *
 * The milter thread composes a reply and hands it over with outq_submit,
 * which copies it and returns at once (false when the queue is full or
 * not running: the reply is dropped and logged; mail is never delayed).
 * The sender thread takes replies in order, asks the rate limit
 * (ratelimit.h: per sender, breaker) and runs SendmailCommand for each:
 *
 *   - the command is split at blanks into argv by our own splitter and
 *     run with posix_spawn, never through a shell; the recipient is
 *     appended as one separate argument after "--" (added unless the
 *     command already ends with "--"); "<>" is passed as written (the
 *     null envelope sender for sendmail's -f);
 *   - the message goes to its standard input; its output is captured
 *     (first OUTQ_OUTPUT_KEEP bytes, for the log);
 *   - a watchdog gives it SendmailTimeout seconds, then SIGTERM to its
 *     process group, then SIGKILL after OUTQ_KILL_GRACE seconds;
 *   - the outcome (exit status, signal, timeout) is logged; a reply that
 *     was not handed over releases the sender's rate-limit record.
 *
 * One queue per process (the milter has one sender).  The functions are
 * thread-safe.
 */
#ifndef SM_OUTQ_H
#define SM_OUTQ_H

#include <stdbool.h>
#include <stddef.h>

struct autoreply_options;

#define OUTQ_MAX_ARGS 32          /* words in SendmailCommand */
#define OUTQ_KILL_GRACE 2         /* seconds between SIGTERM and SIGKILL */
#define OUTQ_DRAIN_SECONDS 10     /* outq_stop's deadline for the backlog */
#define OUTQ_OUTPUT_KEEP 256      /* bytes of the command's output logged */

struct outq_stats {
	unsigned long submitted;     /* accepted by outq_submit */
	unsigned long dropped_full;  /* refused: queue full */
	unsigned long sent;          /* command exited 0 */
	unsigned long failed;        /* non-zero exit, signal or spawn error */
	unsigned long timed_out;     /* of failed: killed by the watchdog */
	unsigned long rate_limited;  /* not sent: the sender had one */
	unsigned long breaker;       /* not sent: the global breaker */
	unsigned long dropped_stop;  /* left in the queue at outq_stop's deadline */
};

/* Starts the sender thread.  -1 when the command is not usable (empty,
 * not an absolute path, more than OUTQ_MAX_ARGS words), out of memory,
 * or already running. */
int outq_start(const struct autoreply_options *o);

/* Queues a copy of the message for recipient (a safe address, see
 * eligible_is_safe_address); sender_key is the rate limit's key
 * (autoreply_sender_key).  Never blocks.  false (and a log line) when the
 * queue is full, not running, the recipient is unsafe or out of memory. */
bool outq_submit(const char *recipient, const char *sender_key, const char *message, size_t len);
/* The same, with the original message's queue id for the log lines. */
bool outq_submit_qid(const char *qid, const char *recipient, const char *sender_key,
                     const char *message, size_t len);

/* New command, timeout, queue size and rate-limit settings, taken by the
 * sender thread before its next reply (a bad command is logged and the
 * old one kept).  The in-process rate table is kept unless a rate-limit
 * setting changed. */
void outq_reconfigure(const struct autoreply_options *o);

/* Stops accepting, sends what is queued until OUTQ_DRAIN_SECONDS have
 * passed (a command still running then is killed), drops the rest (and
 * logs it) and joins the thread.  A no-op when not running. */
void outq_stop(void);

bool outq_running(void);
void outq_get_stats(struct outq_stats *out);

/* The splitter (exposed for tests): argv of the words of cmd, NULL-
 * terminated, malloc'd (free with outq_free_argv).  NULL when empty,
 * more than OUTQ_MAX_ARGS words or out of memory. */
char **outq_split_command(const char *cmd, size_t *argc);
void outq_free_argv(char **argv);

#endif
