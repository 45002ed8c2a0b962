/*
 * rfc2231: MIME header parameters (Content-Type, Content-Disposition):
 * parses "type/subtype; name=value; ..." including quoted strings,
 * comments, RFC 2231 continuations (name*0, name*1*) and charset/language
 * tagged values (name*=utf-8'da'%C3%A6), and RFC 2047 words inside quoted
 * values (what Outlook sends).  Values are returned as UTF-8, one line
 * (control characters become spaces), except "boundary", which is kept
 * byte for byte for the MIME parser.  Duplicate names: the first wins, but
 * an RFC 2231 form (name*= or name*0...) wins over a plain name= (clients
 * send both, the plain one as a lossy fallback).  Bounded: at most
 * MIME_PARAM_MAX names, 128 name=value segments, sections up to 999.
 */
#ifndef SM_RFC2231_H
#define SM_RFC2231_H

#include <stddef.h>

#define MIME_PARAM_MAX 32

struct mime_params {
	char *value;                  /* the leading "type/subtype" or disposition, lower-cased, trimmed */
	char *names[MIME_PARAM_MAX];  /* lower-cased */
	char *values[MIME_PARAM_MAX]; /* decoded UTF-8 */
	size_t n;
};

/* Parses a header value; 0 on success (malformed input parses as far as it
 * can and still returns 0), -1 on OOM.  Free with mime_params_free.
 * After success `value` is never NULL ("" when absent). */
int mime_params_parse(const char *value, size_t len, struct mime_params *out);
void mime_params_free(struct mime_params *p);
/* NULL when absent; name compared case-insensitively. */
const char *mime_params_get(const struct mime_params *p, const char *name);

#endif
