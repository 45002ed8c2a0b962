/*
 * verdict: the small helpers of the rules' outcome record (verdict.h).
 * The record itself is filled by rules_eval(); a verdict that was only
 * initialised says "normal, in scope, nothing missing, rules did not run".
 */
#include "autoconfig.h"

#include <string.h>

#include "verdict.h"

void verdict_init(struct verdict *v)
{
	memset(v, 0, sizeof(*v));
	v->priority = PRIORITY_NORMAL;
}

const char *verdict_priority_name(enum priority p)
{
	switch (p) {
	case PRIORITY_LOW: return "low";
	case PRIORITY_HIGH: return "high";
	case PRIORITY_NORMAL: break;
	}
	return "normal";
}

bool verdict_has_required_missing(const struct verdict *v)
{
	for (size_t i = 0; i < v->n_missing; i++)
		if (v->missing[i].required)
			return true;
	return false;
}
