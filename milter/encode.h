/*
 * encode: the writing side of MIME for the auto-reply — quoted-printable
 * bodies (RFC 2045 §6.7), header fields folded at 78 columns with RFC 2047
 * encoded words where the text is not plain ASCII, and UTF-8 text
 * sanitizing.  Everything here emits a fixed alphabet: header output is
 * printable ASCII, blanks and "\n " folds only, whatever the input.
 * Output goes to a struct buf (its maximum bounds everything); LF line
 * ends, as sendmail reads them.
 */
#ifndef SM_ENCODE_H
#define SM_ENCODE_H

#include <stdbool.h>
#include <stddef.h>

struct buf;

#define ENCODE_LINE_MAX 78   /* header line, before the LF */
#define ENCODE_QP_LINE_MAX 76 /* quoted-printable line, soft break included */

/* Appends the quoted-printable form of UTF-8 text with LF line ends.
 * Lines are at most 76 characters ("=\n" soft breaks); a trailing
 * blank, '=', tabs, control and 8-bit bytes are encoded, and so are a '.'
 * or the 'F' of "From " at the start of a line (mailbox and SMTP
 * safety).  CR bytes are dropped.  0, or -1 when out failed or was cut. */
int encode_qp(const char *in, size_t len, struct buf *out);

/* Copies UTF-8 text into out (NUL-terminated, at most outsz-1 bytes, cut
 * at a character boundary): invalid UTF-8 bytes dropped, C0/C1 controls,
 * DEL, line/paragraph separators and bidi overrides turned into blanks,
 * runs of blanks collapsed to one space, ends trimmed.  At most max_chars
 * characters are kept; when more were there, "..." is appended (within
 * outsz).  Returns the length. */
size_t encode_sanitize_utf8(const char *in, size_t len, size_t max_chars, char *out, size_t outsz);

/* Appends "Name: " + prefix + text as an unstructured field (Subject)
 * and its LF: plain words folded at white space when text is printable
 * ASCII without "=?" and without words too long to fold, else RFC 2047
 * encoded words (Q or B, whichever is shorter, never splitting a UTF-8
 * character) after the ASCII prefix.  text must be sanitized (see
 * encode_sanitize_utf8).  0 or -1. */
int encode_header_text(struct buf *out, const char *name, const char *prefix, const char *text);

/* Appends "Name: " + mailbox + LF for a display name and a (safe)
 * address: "addr" alone when name is empty, otherwise the name as atoms,
 * a quoted string, or RFC 2047 encoded words (phrase alphabet) when it
 * is not ASCII, then "<addr>".  0 or -1. */
int encode_header_mailbox(struct buf *out, const char *name, const char *display, const char *addr);

/* Appends "Name: " + the space-separated tokens + LF, folding between
 * tokens (msg-id lists).  Tokens must be printable ASCII without blanks. */
int encode_header_tokens(struct buf *out, const char *name, const char *const *tokens, size_t n);

/* Length of the valid UTF-8 sequence at p (1..4), or 0 when the bytes at
 * p (at most n) are not one; *cp receives the code point. */
size_t encode_utf8_char(const unsigned char *p, size_t n, unsigned *cp);

/* The inverse: writes code point cp as UTF-8 to out (room for 4 bytes)
 * and returns its length (1..4).  cp must be a Unicode scalar value (at
 * most 0x10FFFF, not a surrogate): callers map anything else to U+FFFD
 * first. */
size_t encode_utf8_put(unsigned cp, char *out);

#endif
