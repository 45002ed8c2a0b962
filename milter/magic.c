/* STUB: replaced by the module owner. */
#include "autoconfig.h"
#include <stddef.h>
#include <stdbool.h>
#include "magic.h"

int magic_preload(char *err, size_t errsz)
{
	(void)err;
	(void)errsz;
	return 0;
}

bool magic_mime_type(const unsigned char *p, size_t n, char *out, size_t outsz)
{
	(void)p;
	(void)n;
	(void)out;
	(void)outsz;
	return false;
}

bool magic_describe(const unsigned char *p, size_t n, char *out, size_t outsz)
{
	(void)p;
	(void)n;
	(void)out;
	(void)outsz;
	return false;
}

void magic_thread_done(void)
{
}
