/*
 * charset: streaming conversion of a part's bytes to UTF-8 with iconv.
 *
 * Known charsets use iconv; "utf-8"/"us-ascii"/unknown labels are
 * validated as UTF-8, and invalid sequences decoded as windows-1252 (what
 * an unlabelled 8-bit Danish mail almost always is), setting `unknown` or
 * `invalid`.  Sequences cut between two feeds are carried over.  An
 * iconv_t is opened per conversion (iconv_open is cheap next to a
 * message); output goes to a callback.
 */
#ifndef SM_CHARSET_H
#define SM_CHARSET_H

#include <stdbool.h>
#include <stddef.h>

struct charset_conv;

typedef void (*charset_sink)(void *ctx, const char *utf8, size_t n);

/* label may be NULL (us-ascii per RFC 2045, decoded leniently). */
struct charset_conv *charset_new(const char *label);
void charset_free(struct charset_conv *c);
void charset_feed(struct charset_conv *c, const unsigned char *p, size_t n, charset_sink out, void *ctx);
void charset_finish(struct charset_conv *c, charset_sink out, void *ctx);
bool charset_is_unknown(const struct charset_conv *c); /* label not supported */
bool charset_had_invalid(const struct charset_conv *c); /* bytes invalid in the charset */

/* One-shot: converts a whole string into a malloc'd NUL-terminated UTF-8
 * string (for headers and encoded words).  Never NULL except on OOM. */
char *charset_to_utf8(const char *label, const char *p, size_t n, bool *unknown);

#endif
