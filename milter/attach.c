/* STUB: replaced by the module owner. */
#include "autoconfig.h"
#include <stddef.h>
#include <stdbool.h>
#include "attach.h"

struct attach_scanner *attach_new(size_t max_sniff)
{
	(void)max_sniff;
	return NULL;
}

void attach_free(struct attach_scanner *a)
{
	(void)a;
}

void attach_begin(struct attach_scanner *a, const struct mime_part_info *part)
{
	(void)a;
	(void)part;
}

void attach_data(struct attach_scanner *a, const unsigned char *p, size_t n)
{
	(void)a;
	(void)p;
	(void)n;
}

void attach_end(struct attach_scanner *a, struct attachment *out)
{
	(void)a;
	(void)out;
}

bool attach_is_mismatch(const char *declared, const char *filename, const char *detected)
{
	(void)declared;
	(void)filename;
	(void)detected;
	return false;
}
