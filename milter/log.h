/*
 * log: the one logger.  Lines go to syslog (facility from the config) or,
 * in the foreground, to stderr.  Every line about a message starts with
 * its queue id ("-" when unknown), then key=value fields.  Message bodies
 * are never logged: callers pass only names, sizes and verdicts.
 */
#ifndef SM_LOG_H
#define SM_LOG_H

#include <stdbool.h>

enum log_level { LOG_LEVEL_ERR = 0, LOG_LEVEL_WARN, LOG_LEVEL_INFO, LOG_LEVEL_DEBUG };

/* to_stderr: foreground; facility: a syslog facility (LOG_MAIL ...). */
void log_open(const char *ident, bool to_stderr, int facility);
void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* Parses "err", "warning", "info", "debug"; -1 when unknown. */
int log_level_parse(const char *name);
/* Parses a syslog facility name ("mail", "daemon", "local0".."local7"); -1 when unknown. */
int log_facility_parse(const char *name);

void log_err(const char *qid, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_warn(const char *qid, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_info(const char *qid, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_debug(const char *qid, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
