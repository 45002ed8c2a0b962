/* STUB: replaced by the module owner. */
#include "autoconfig.h"
#include <stddef.h>
#include <stdbool.h>
#include "tz.h"

struct tz *tz_load(const char *name, char *err, size_t errsz)
{
	(void)name;
	(void)err;
	(void)errsz;
	return NULL;
}

void tz_free(struct tz *tz)
{
	(void)tz;
}

const char *tz_name(const struct tz *tz)
{
	(void)tz;
	return NULL;
}

int tz_localtime(const struct tz *tz, time_t t, struct tm *out)
{
	(void)tz;
	(void)t;
	(void)out;
	return 0;
}
