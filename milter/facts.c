/*
 * facts: helpers over the immutable facts record (see facts.h).
 */
#include "autoconfig.h"

#include <strings.h>

#include "facts.h"

const char *facts_header(const struct facts *f, const char *name)
{
	for (size_t i = 0; i < f->n_headers; i++)
		if (strcasecmp(f->headers[i].name, name) == 0)
			return f->headers[i].value;
	return NULL;
}
