/* STUB: replaced by the module owner. */
#include "autoconfig.h"
#include <stddef.h>
#include <stdbool.h>
#include "html.h"

struct html_reducer *html_new(void)
{
	return NULL;
}

void html_free(struct html_reducer *h)
{
	(void)h;
}

void html_feed(struct html_reducer *h, const char *p, size_t n, html_sink out, void *ctx)
{
	(void)h;
	(void)p;
	(void)n;
	(void)out;
	(void)ctx;
}

void html_finish(struct html_reducer *h, html_sink out, void *ctx)
{
	(void)h;
	(void)out;
	(void)ctx;
}
