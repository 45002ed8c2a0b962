/* STUB: replaced by the module owner. */
#include "autoconfig.h"
#include <stddef.h>
#include <stdbool.h>
#include "snapshot.h"

struct snapshot *snapshot_load(const char *config_path, bool config_optional, struct diag *d)
{
	(void)config_path;
	(void)config_optional;
	(void)d;
	return NULL;
}

void snapshot_install(struct snapshot *s)
{
	(void)s;
}

struct snapshot *snapshot_acquire(void)
{
	return NULL;
}

void snapshot_release(struct snapshot *s)
{
	(void)s;
}

void snapshot_shutdown(void)
{
}
