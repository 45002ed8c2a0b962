/* STUB: replaced by the module owner. */
#include "autoconfig.h"
#include <stddef.h>
#include <stdbool.h>
#include "mime.h"

struct mime_parser *mime_new(const struct mime_limits *limits, const struct mime_callbacks *cb, void *ctx)
{
	(void)limits;
	(void)cb;
	(void)ctx;
	return NULL;
}

void mime_free(struct mime_parser *p)
{
	(void)p;
}

void mime_header(struct mime_parser *p, const char *name, const char *value)
{
	(void)p;
	(void)name;
	(void)value;
}

void mime_end_headers(struct mime_parser *p)
{
	(void)p;
}

void mime_feed(struct mime_parser *p, const unsigned char *data, size_t n)
{
	(void)p;
	(void)data;
	(void)n;
}

void mime_finish(struct mime_parser *p)
{
	(void)p;
}

unsigned mime_flags(const struct mime_parser *p)
{
	(void)p;
	return 0;
}
