/* STUB: replaced by the module owner. */
#include "autoconfig.h"
#include <stddef.h>
#include <stdbool.h>
#include "config.h"

struct config *config_defaults(struct diag *d)
{
	(void)d;
	return NULL;
}

struct config *config_load(const char *path, struct diag *d)
{
	(void)path;
	(void)d;
	return NULL;
}

void config_free(struct config *cfg)
{
	(void)cfg;
}

size_t config_key_count(void)
{
	return 0;
}

const char *config_key_name(size_t i)
{
	(void)i;
	return NULL;
}

void config_dump(const struct config *cfg, FILE *fp)
{
	(void)cfg;
	(void)fp;
}

bool config_is_support_address(const struct config *cfg, const char *addr)
{
	(void)cfg;
	(void)addr;
	return false;
}
