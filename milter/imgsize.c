/* STUB: replaced by the module owner. */
#include "autoconfig.h"
#include <stddef.h>
#include <stdbool.h>
#include "imgsize.h"

void imgsize_init(struct imgsize *s)
{
	(void)s;
}

void imgsize_feed(struct imgsize *s, const unsigned char *p, size_t n)
{
	(void)s;
	(void)p;
	(void)n;
}

bool imgsize_finish(struct imgsize *s)
{
	(void)s;
	return false;
}

bool imgsize_of(const unsigned char *p, size_t n, uint32_t *w, uint32_t *h, enum imgsize_format *fmt)
{
	(void)p;
	(void)n;
	(void)w;
	(void)h;
	(void)fmt;
	return false;
}

const char *imgsize_format_name(enum imgsize_format f)
{
	(void)f;
	return NULL;
}
