/*
 * diag: formats "file:line: message" and hands it to the emitter (see
 * diag.h).  Messages longer than 1 KiB are cut; that is plenty for a
 * parser message quoting a token.
 */
#include "autoconfig.h"

#include <stdarg.h>
#include <stdio.h>

#include "diag.h"
#include "log.h"

static void diag_vemit(struct diag *d, const char *kind, const char *file,
                       unsigned line, const char *fmt, va_list ap)
{
	char msg[1024], full[1400];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (file != NULL && line > 0)
		snprintf(full, sizeof(full), "%s:%u: %s%s", file, line, kind, msg);
	else if (file != NULL)
		snprintf(full, sizeof(full), "%s: %s%s", file, kind, msg);
	else
		snprintf(full, sizeof(full), "%s%s", kind, msg);
	if (d != NULL && d->emit != NULL)
		d->emit(d, full);
}

void diag_error(struct diag *d, const char *file, unsigned line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	diag_vemit(d, "", file, line, fmt, ap);
	va_end(ap);
	if (d != NULL)
		d->errors++;
}

void diag_warning(struct diag *d, const char *file, unsigned line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	diag_vemit(d, "warning: ", file, line, fmt, ap);
	va_end(ap);
	if (d != NULL)
		d->warnings++;
}

static void emit_stream(struct diag *d, const char *line)
{
	fprintf((FILE *)d->ctx, "%s\n", line);
}

void diag_to_stream(struct diag *d, FILE *fp)
{
	d->emit = emit_stream;
	d->ctx = fp;
	d->errors = d->warnings = 0;
}

static void emit_log(struct diag *d, const char *line)
{
	(void)d;
	log_err(NULL, "%s", line);
}

void diag_to_log(struct diag *d)
{
	d->emit = emit_log;
	d->ctx = NULL;
	d->errors = d->warnings = 0;
}

void diag_set(char *err, size_t errsz, const char *fmt, ...)
{
	if (err == NULL || errsz == 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errsz, fmt, ap);
	va_end(ap);
}
