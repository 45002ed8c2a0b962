/* STUB: replaced by the module owner. */
#include "autoconfig.h"
#include <stddef.h>
#include <stdbool.h>
#include "hours.h"

int hours_parse_window(const char *s, struct hours_window *out, char *err, size_t errsz)
{
	(void)s;
	(void)out;
	(void)err;
	(void)errsz;
	return 0;
}

int hours_parse_date(const char *s, struct hours_date *out, char *err, size_t errsz)
{
	(void)s;
	(void)out;
	(void)err;
	(void)errsz;
	return 0;
}

void hours_eval(const struct hours_spec *spec, time_t t, struct hours_result *out)
{
	(void)spec;
	(void)t;
	(void)out;
}

void hours_format_window(const struct hours_window *w, char *out, size_t outsz)
{
	(void)w;
	(void)out;
	(void)outsz;
}
