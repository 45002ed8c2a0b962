/* STUB: replaced by the module owner. */
#include "autoconfig.h"
#include <stddef.h>
#include <stdbool.h>
#include "text.h"

struct text_sink *text_new(size_t max_size, bool (*is_support)(void *ctx, const char *addr), void *ctx)
{
	(void)max_size;
	(void)is_support;
	(void)ctx;
	return NULL;
}

void text_free(struct text_sink *t)
{
	(void)t;
}

void text_add_line(struct text_sink *t, const char *utf8, size_t n, bool own)
{
	(void)t;
	(void)utf8;
	(void)n;
	(void)own;
}

void text_part_begin(struct text_sink *t, const struct text_part *part)
{
	(void)t;
	(void)part;
}

void text_part_data(struct text_sink *t, const unsigned char *p, size_t n)
{
	(void)t;
	(void)p;
	(void)n;
}

void text_part_end(struct text_sink *t)
{
	(void)t;
}

const char *text_body(const struct text_sink *t, size_t *len)
{
	(void)t;
	(void)len;
	return NULL;
}

const char *text_own(const struct text_sink *t, size_t *len)
{
	(void)t;
	(void)len;
	return NULL;
}

bool text_truncated(const struct text_sink *t)
{
	(void)t;
	return false;
}

bool text_charset_unknown(const struct text_sink *t)
{
	(void)t;
	return false;
}

const char *text_language(const struct text_sink *t)
{
	(void)t;
	return NULL;
}
