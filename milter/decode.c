/* STUB: replaced by the module owner. */
#include "autoconfig.h"
#include <stddef.h>
#include <stdbool.h>
#include "decode.h"

enum decode_kind decode_kind_of(const char *cte)
{
	(void)cte;
	return 0;
}

void decode_init(struct decoder *d, enum decode_kind kind)
{
	(void)d;
	(void)kind;
}

void decode_feed(struct decoder *d, const unsigned char *p, size_t n, decode_sink out, void *ctx)
{
	(void)d;
	(void)p;
	(void)n;
	(void)out;
	(void)ctx;
}

void decode_finish(struct decoder *d, decode_sink out, void *ctx)
{
	(void)d;
	(void)out;
	(void)ctx;
}
