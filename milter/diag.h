/*
 * diag: collects "file:line: message" errors from the parsers (config,
 * rules) so that --check can print all of them and reload can log them.
 * A NULL file means "no file" and prints only the message.
 */
#ifndef SM_DIAG_H
#define SM_DIAG_H

#include <stddef.h>
#include <stdio.h>

struct diag {
	/* Called once per error with the formatted "file:line: message". */
	void (*emit)(struct diag *d, const char *line);
	void *ctx;
	unsigned errors;
	unsigned warnings;
};

void diag_error(struct diag *d, const char *file, unsigned line,
                const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void diag_warning(struct diag *d, const char *file, unsigned line,
                  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Formats a one-line error message into err (a leaf function's "what went
 * wrong" for its caller); a no-op when err is NULL or errsz is 0. */
void diag_set(char *err, size_t errsz, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* A diag that prints to a stdio stream (ctx = FILE *). */
void diag_to_stream(struct diag *d, FILE *fp);
/* A diag that logs each line through log_err. */
void diag_to_log(struct diag *d);

#endif
