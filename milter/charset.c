/* STUB: replaced by the module owner. */
#include "autoconfig.h"
#include <stddef.h>
#include <stdbool.h>
#include "charset.h"

struct charset_conv *charset_new(const char *label)
{
	(void)label;
	return NULL;
}

void charset_free(struct charset_conv *c)
{
	(void)c;
}

void charset_feed(struct charset_conv *c, const unsigned char *p, size_t n, charset_sink out, void *ctx)
{
	(void)c;
	(void)p;
	(void)n;
	(void)out;
	(void)ctx;
}

void charset_finish(struct charset_conv *c, charset_sink out, void *ctx)
{
	(void)c;
	(void)out;
	(void)ctx;
}

bool charset_is_unknown(const struct charset_conv *c)
{
	(void)c;
	return false;
}

bool charset_had_invalid(const struct charset_conv *c)
{
	(void)c;
	return false;
}

char *charset_to_utf8(const char *label, const char *p, size_t n, bool *unknown)
{
	(void)label;
	(void)p;
	(void)n;
	(void)unknown;
	return NULL;
}
