/*
 * offline: the test mode (-t).  Reads each file as the MTA would present
 * it — header fields one by one, then the body with CRLF line ends in
 * chunks of a chosen size — and drives the very same session code as the
 * milter, then prints the headers it would add (or one JSON line).
 */
#ifndef SM_OFFLINE_H
#define SM_OFFLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#define OFFLINE_MAX_RCPT 64

struct offline_options {
	const char *from;         /* NULL: the From header's address */
	const char *rcpt[OFFLINE_MAX_RCPT];
	size_t n_rcpt;            /* 0: the first SupportAddress */
	time_t time;
	bool time_set;            /* else: now */
	bool json;
	bool show_reply;
	size_t chunk;             /* body chunk size fed to the session */
};

void offline_options_init(struct offline_options *o);
int offline_options_add_rcpt(struct offline_options *o, const char *rcpt);
/* ISO 8601 "YYYY-MM-DDTHH:MM[:SS[.frac]](Z|+HH:MM|+HHMM|+HH)", or "@EPOCH". */
int offline_parse_time(const char *s, time_t *out);
/* Analyses each file ("-" = standard input); returns the exit status. */
int offline_run(const struct offline_options *o, const char *const *files, size_t n);

#endif
