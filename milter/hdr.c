/* STUB: replaced by the module owner. */
#include "autoconfig.h"
#include <stddef.h>
#include <stdbool.h>
#include "hdr.h"

size_t hdr_sanitize(const char *in, size_t len, char *out, size_t outsz)
{
	(void)in;
	(void)len;
	(void)out;
	(void)outsz;
	return 0;
}

char *hdr_fold(const char *name, const char *value)
{
	(void)name;
	(void)value;
	return NULL;
}

bool hdr_is_valid_name(const char *name)
{
	(void)name;
	return false;
}

bool hdr_has_prefix(const char *name, const char *prefix)
{
	(void)name;
	(void)prefix;
	return false;
}

struct hdr_tracker *hdr_tracker_new(const char *prefix)
{
	(void)prefix;
	return NULL;
}

void hdr_tracker_free(struct hdr_tracker *t)
{
	(void)t;
}

void hdr_tracker_see(struct hdr_tracker *t, const char *name)
{
	(void)t;
	(void)name;
}

size_t hdr_tracker_count(const struct hdr_tracker *t)
{
	(void)t;
	return 0;
}

bool hdr_tracker_removal(const struct hdr_tracker *t, size_t i, struct hdr_removal *out)
{
	(void)t;
	(void)i;
	(void)out;
	return false;
}
