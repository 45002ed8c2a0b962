/*
 * rfc2047: decodes encoded words (=?charset?B|Q?text?=) in unstructured
 * header values (Subject), display names and file names to UTF-8.
 * Tolerant as mail readers are: white space between adjacent encoded
 * words dropped, words split in the middle of a multi-byte character
 * joined before conversion, encoded words inside quoted strings and
 * without surrounding space decoded, malformed words kept literally.
 * Raw 8-bit bytes outside encoded words are taken as UTF-8 if valid,
 * else windows-1252.  Unfolds (CRLF + WSP removed).
 */
#ifndef SM_RFC2047_H
#define SM_RFC2047_H

#include <stddef.h>

/* Returns a malloc'd NUL-terminated UTF-8 string, one line (control
 * characters other than tab become spaces); NULL only on OOM.  At most
 * 4 * len + 64 bytes. */
char *rfc2047_decode(const char *value, size_t len);

#endif
