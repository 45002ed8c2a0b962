/* STUB: replaced by the module owner. */
#include "autoconfig.h"
#include <stddef.h>
#include <stdbool.h>
#include "verdict.h"

void verdict_init(struct verdict *v)
{
	(void)v;
}

const char *verdict_priority_name(enum priority p)
{
	(void)p;
	return NULL;
}

bool verdict_has_required_missing(const struct verdict *v)
{
	(void)v;
	return false;
}
