/* STUB: replaced by the module owner. */
#include "autoconfig.h"
#include <stddef.h>
#include <stdbool.h>
#include "rfc2047.h"

char *rfc2047_decode(const char *value, size_t len)
{
	(void)value;
	(void)len;
	return NULL;
}
