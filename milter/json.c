/*
 * json: string escaping for the offline mode's output (see json.h).
 * Invalid UTF-8 becomes U+FFFD so the output always parses.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <string.h>

#include "json.h"

/* Length of a valid UTF-8 sequence at p (at most n bytes), 0 if invalid. */
static size_t utf8_seq_len(const unsigned char *p, size_t n)
{
	unsigned char c = p[0];
	size_t len;
	unsigned min;
	unsigned cp;
	if (c < 0x80)
		return 1;
	else if (c >= 0xc2 && c <= 0xdf) { len = 2; cp = c & 0x1f; min = 0x80; }
	else if (c >= 0xe0 && c <= 0xef) { len = 3; cp = c & 0x0f; min = 0x800; }
	else if (c >= 0xf0 && c <= 0xf4) { len = 4; cp = c & 0x07; min = 0x10000; }
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

void json_string(struct buf *out, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	buf_putc(out, '"');
	size_t i = 0;
	while (i < len) {
		unsigned char c = p[i];
		if (c == '"' || c == '\\') {
			buf_putc(out, '\\');
			buf_putc(out, (char)c);
			i++;
		} else if (c == '\n') {
			buf_append(out, "\\n", 2);
			i++;
		} else if (c == '\t') {
			buf_append(out, "\\t", 2);
			i++;
		} else if (c == '\r') {
			buf_append(out, "\\r", 2);
			i++;
		} else if (c < 0x20 || c == 0x7f) {
			buf_printf(out, "\\u%04x", c);
			i++;
		} else {
			size_t n = utf8_seq_len(p + i, len - i);
			if (n == 0) {
				buf_append(out, "\\ufffd", 6);
				i++;
			} else {
				buf_append(out, p + i, n);
				i += n;
			}
		}
	}
	buf_putc(out, '"');
}

void json_cstring(struct buf *out, const char *s)
{
	json_string(out, s, strlen(s));
}

void json_key(struct buf *out, bool *first, const char *key)
{
	if (!*first)
		buf_append(out, ", ", 2);
	*first = false;
	json_cstring(out, key);
	buf_append(out, ": ", 2);
}
