/*
 * charset: streaming conversion of a part's bytes to UTF-8 with iconv.
 *
 * Known charsets use iconv; "utf-8"/"us-ascii"/unknown labels are
 * validated as UTF-8, and invalid sequences decoded as windows-1252 (what
 * an unlabelled 8-bit Danish mail almost always is), setting `unknown` or
 * `invalid`.  Sequences cut between two feeds are carried over.  An
 * iconv_t is opened per conversion (iconv_open is cheap next to a
 * message); output goes to a callback.
 *
 * Labels are matched leniently (case, quotes, "latin1", "utf8",
 * "iso8859-1", an "x-" prefix).  "iso-8859-1" is read as windows-1252 (as
 * browsers do).  Output is always valid UTF-8: bytes the charset cannot
 * decode become U+FFFD (invalid is set); a UTF-8 byte order mark at the
 * start is dropped; NUL bytes pass through.  A converter is used by one
 * thread at a time; there is no shared state.
 */
#ifndef SM_CHARSET_H
#define SM_CHARSET_H

#include <stdbool.h>
#include <stddef.h>

struct charset_conv;

typedef void (*charset_sink)(void *ctx, const char *utf8, size_t n);

/* label may be NULL (us-ascii per RFC 2045, decoded leniently).  NULL
 * only when memory runs out: an unknown label still gives a converter. */
struct charset_conv *charset_new(const char *label);
void charset_free(struct charset_conv *c);
void charset_feed(struct charset_conv *c, const unsigned char *p, size_t n, charset_sink out, void *ctx);
void charset_finish(struct charset_conv *c, charset_sink out, void *ctx);
bool charset_is_unknown(const struct charset_conv *c); /* label not supported */
bool charset_had_invalid(const struct charset_conv *c); /* bytes invalid in the charset */

/* One-shot: converts a whole string into a malloc'd NUL-terminated UTF-8
 * string (for headers and encoded words).  Never NULL except on OOM.
 * `unknown` may be NULL.  A NUL in the input ends the C string early. */
char *charset_to_utf8(const char *label, const char *p, size_t n, bool *unknown);

#endif
