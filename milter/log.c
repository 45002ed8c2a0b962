/*
 * log: syslog or stderr (see log.h).  The level is read without a lock:
 * it is an int written only at start-up and reload, and a torn read is
 * impossible on every platform we build for.
 */
#include "autoconfig.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <time.h>

#include "log.h"

static bool log_stderr = true;
static volatile int log_level = LOG_LEVEL_INFO;
static const char *log_ident = "support-milter";

void log_open(const char *ident, bool to_stderr, int facility)
{
	log_ident = ident;
	log_stderr = to_stderr;
	if (!to_stderr)
		openlog(ident, LOG_PID | LOG_NDELAY, facility);
}

void log_set_level(enum log_level level)
{
	log_level = (int)level;
}

enum log_level log_get_level(void)
{
	return (enum log_level)log_level;
}

int log_level_parse(const char *name)
{
	static const char *const names[] = { "err", "warning", "info", "debug" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcasecmp(name, names[i]) == 0)
			return (int)i;
	if (strcasecmp(name, "error") == 0)
		return LOG_LEVEL_ERR;
	if (strcasecmp(name, "warn") == 0)
		return LOG_LEVEL_WARN;
	return -1;
}

int log_facility_parse(const char *name)
{
	static const struct { const char *name; int facility; } facilities[] = {
		{ "mail", LOG_MAIL }, { "daemon", LOG_DAEMON }, { "user", LOG_USER },
		{ "local0", LOG_LOCAL0 }, { "local1", LOG_LOCAL1 }, { "local2", LOG_LOCAL2 },
		{ "local3", LOG_LOCAL3 }, { "local4", LOG_LOCAL4 }, { "local5", LOG_LOCAL5 },
		{ "local6", LOG_LOCAL6 }, { "local7", LOG_LOCAL7 },
	};
	for (size_t i = 0; i < sizeof(facilities) / sizeof(facilities[0]); i++)
		if (strcasecmp(name, facilities[i].name) == 0)
			return facilities[i].facility;
	return -1;
}

static void log_v(enum log_level level, int prio, const char *qid, const char *fmt, va_list ap)
{
	if ((int)level > log_level)
		return;
	char msg[2048];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	/* One line per call: a newline in a message would forge a log line. */
	for (char *p = msg; *p != '\0'; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	if (log_stderr) {
		static const char *const tags[] = { "error", "warning", "info", "debug" };
		fprintf(stderr, "%s[%s]: %s%s%s\n", log_ident, tags[level],
		        qid != NULL ? qid : "", qid != NULL ? ": " : "", msg);
	} else {
		syslog(prio, "%s%s%s", qid != NULL ? qid : "", qid != NULL ? ": " : "", msg);
	}
}

#define LOG_FN(fn, level, prio)                                   \
	void fn(const char *qid, const char *fmt, ...)            \
	{                                                         \
		va_list ap;                                       \
		va_start(ap, fmt);                                \
		log_v(level, prio, qid, fmt, ap);                 \
		va_end(ap);                                       \
	}

LOG_FN(log_err, LOG_LEVEL_ERR, LOG_ERR)
LOG_FN(log_warn, LOG_LEVEL_WARN, LOG_WARNING)
LOG_FN(log_info, LOG_LEVEL_INFO, LOG_INFO)
LOG_FN(log_debug, LOG_LEVEL_DEBUG, LOG_DEBUG)
