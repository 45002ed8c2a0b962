/* STUB: replaced by the module owner. */
#include "autoconfig.h"
#include <stddef.h>
#include <stdbool.h>
#include "rules.h"

struct ruleset *rules_load_dir(const char *dir, const struct rules_options *opt, struct diag *d)
{
	(void)dir;
	(void)opt;
	(void)d;
	return NULL;
}

struct ruleset *rules_load_file(const char *path, const struct rules_options *opt, struct diag *d)
{
	(void)path;
	(void)opt;
	(void)d;
	return NULL;
}

struct ruleset *rules_load_buffer(const char *name, const char *text, size_t len, const struct rules_options *opt, struct diag *d)
{
	(void)name;
	(void)text;
	(void)len;
	(void)opt;
	(void)d;
	return NULL;
}

void rules_free(struct ruleset *rs)
{
	(void)rs;
}

size_t rules_count(const struct ruleset *rs)
{
	(void)rs;
	return 0;
}

const char *rules_hash(const struct ruleset *rs)
{
	(void)rs;
	return NULL;
}

struct rules_scratch *rules_scratch_new(const struct ruleset *rs)
{
	(void)rs;
	return NULL;
}

void rules_scratch_free(struct rules_scratch *sc)
{
	(void)sc;
}

int rules_eval(const struct ruleset *rs, struct rules_scratch *sc, const struct facts *f, struct verdict *out)
{
	(void)rs;
	(void)sc;
	(void)f;
	(void)out;
	return 0;
}
