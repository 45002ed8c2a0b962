/*
 * json: a small writer for the offline mode's JSON lines.  Strings are
 * escaped per RFC 8259; invalid UTF-8 is replaced by U+FFFD so the output
 * is always valid JSON whatever the message contained.
 */
#ifndef SM_JSON_H
#define SM_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "buf.h"

void json_string(struct buf *out, const char *s, size_t len);
void json_cstring(struct buf *out, const char *s);
/* "key": — with a leading comma unless *first; clears *first. */
void json_key(struct buf *out, bool *first, const char *key);

#endif
