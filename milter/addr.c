/* STUB: replaced by the module owner. */
#include "autoconfig.h"
#include <stddef.h>
#include <stdbool.h>
#include "addr.h"

size_t addr_bare(const char *in, char *out, size_t outsz)
{
	(void)in;
	(void)out;
	(void)outsz;
	return 0;
}

bool addr_matches(const char *addr, const char *want)
{
	(void)addr;
	(void)want;
	return false;
}

void addr_list_each(const char *value, void (*fn)(void *ctx, const char *addr), void *ctx)
{
	(void)value;
	(void)fn;
	(void)ctx;
}
