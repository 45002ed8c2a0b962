/* STUB: replaced by the module owner. */
#include "autoconfig.h"
#include <stddef.h>
#include <stdbool.h>
#include "rfc2231.h"

int mime_params_parse(const char *value, size_t len, struct mime_params *out)
{
	(void)value;
	(void)len;
	(void)out;
	return 0;
}

void mime_params_free(struct mime_params *p)
{
	(void)p;
}

const char *mime_params_get(const struct mime_params *p, const char *name)
{
	(void)p;
	(void)name;
	return NULL;
}
