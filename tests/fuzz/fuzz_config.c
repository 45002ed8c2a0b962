/*
 * fuzz_config: arbitrary bytes as a configuration file.  The parser must
 * report errors (never crash, leak or hang), and whatever loads must
 * dump and reload to the same dump.
 */
#include "autoconfig.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "config.h"
#include "diag.h"

static void quiet(struct diag *d, const char *line)
{
	(void)d;
	(void)line;
}

static char *dump_of(const struct config *cfg, size_t *len)
{
	char *text = NULL;
	FILE *fp = open_memstream(&text, len);
	if (fp == NULL)
		abort();
	config_dump(cfg, fp);
	fclose(fp);
	return text;
}

static struct config *load_bytes(const uint8_t *data, size_t size)
{
	int fd = memfd_create("fuzz-config", 0);
	if (fd < 0)
		abort();
	if (size > 0 && write(fd, data, size) != (ssize_t)size)
		abort();
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	struct diag d = { .emit = quiet };
	struct config *cfg = config_load(path, &d);
	close(fd);
	return cfg;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config *cfg = load_bytes(data, size);
	if (cfg == NULL)
		return 0;
	size_t len1, len2;
	char *dump1 = dump_of(cfg, &len1);
	struct config *again = load_bytes((const uint8_t *)dump1, len1);
	if (again == NULL)
		abort(); /* a dump must always load */
	char *dump2 = dump_of(again, &len2);
	if (len1 != len2 || memcmp(dump1, dump2, len1) != 0)
		abort(); /* dump → load → dump is stable */
	free(dump1);
	free(dump2);
	config_free(again);
	config_free(cfg);
	return 0;
}
