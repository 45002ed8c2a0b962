/*
 * fuzz_hdr: libFuzzer target for hdr.c and addr.c.
 *
 * The input goes through hdr_sanitize and hdr_fold (under several header
 * names) and the invariants that keep a header unbreakable are checked:
 * only printable ASCII and single spaces; breaks only as "\n\t"; no CR;
 * no line over HDR_FOLD_COLUMNS unless it is a single token; unfolding
 * gives back the sanitized value; folding is stable.  The same bytes go
 * to addr_bare and addr_list_each (as a C string), whose outputs must be
 * bounded and NUL-terminated.  Any violation aborts.
 */
#include "autoconfig.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "hdr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c) do { if (!(c)) abort(); } while (0)

static void check_sanitized(const char *s, size_t n)
{
	CHECK(strlen(s) == n);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		CHECK(c == ' ' || (c >= 0x21 && c <= 0x7E));
		if (c == ' ')
			CHECK(i > 0 && i + 1 < n && s[i + 1] != ' ');
	}
}

static void check_folded(const char *name, const char *f, const char *clean)
{
	size_t col = strlen(name) + 2, o = 0;
	const char *line = f;

	CHECK(strchr(f, '\r') == NULL);
	for (;;) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		for (size_t i = 0; i < len; i++) {
			unsigned char c = (unsigned char)line[i];
			CHECK(c == ' ' || (c >= 0x21 && c <= 0x7E));
		}
		if (col + len > HDR_FOLD_COLUMNS)
			CHECK(memchr(line, ' ', len) == NULL);
		/* unfolding gives back the sanitized value */
		CHECK(strncmp(clean + o, line, len) == 0);
		o += len;
		if (nl == NULL)
			break;
		CHECK(nl[1] == '\t');
		CHECK(len > 0 && nl[2] != '\0' && nl[2] != ' ');
		CHECK(clean[o] == ' ');
		o++;
		line = nl + 2;
		col = 1;
	}
	CHECK(clean[o] == '\0');
}

static void count_addr(void *ctx, const char *addr)
{
	size_t n = strlen(addr);
	CHECK(n > 0 && n < ADDR_BUF_SIZE);
	CHECK(strchr(addr, '@') != NULL);
	(*(size_t *)ctx)++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = { "X", "X-Support-Triage",
		"X-A-Header-Name-Long-Enough-To-Leave-Only-A-Few-Columns-On-Line-1" };
	char *clean = malloc(size + 1);
	char *str = malloc(size + 1);
	char small[17];

	if (clean == NULL || str == NULL) {
		free(clean);
		free(str);
		return 0;
	}
	size_t n = hdr_sanitize((const char *)data, size, clean, size + 1);
	CHECK(n <= size);
	check_sanitized(clean, n);

	/* A small output is a prefix of the full one. */
	size_t m = hdr_sanitize((const char *)data, size, small, sizeof(small));
	CHECK(m < sizeof(small) && m <= n && strncmp(small, clean, m) == 0);
	check_sanitized(small, m);

	/* hdr_fold takes a C string: give it the raw bytes up to a NUL, it
	 * must sanitize them itself. */
	memcpy(str, data, size);
	str[size] = '\0';
	size_t slen = strlen(str);
	char *sclean = malloc(slen + 1);
	if (sclean != NULL) {
		hdr_sanitize(str, slen, sclean, slen + 1);
		for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
			char *f = hdr_fold(names[k], str);
			if (f == NULL)
				continue;
			check_folded(names[k], f, sclean);
			char *g = hdr_fold(names[k], f);
			CHECK(g == NULL || strcmp(f, g) == 0);
			free(g);
			free(f);
		}
		free(sclean);
	}

	char bare[ADDR_BUF_SIZE];
	memset(bare, 'Z', sizeof(bare));
	size_t b = addr_bare(str, bare, sizeof(bare));
	CHECK(b <= slen);
	CHECK(b < sizeof(bare) ? strlen(bare) == b : bare[0] == '\0');
	(void)addr_matches(bare, "support@example.com");
	(void)addr_matches(str, "support@example.com");

	size_t count = 0;
	addr_list_each(str, count_addr, &count);
	CHECK(count <= slen / 2 + 1); /* "@,@,@" is the densest */

	free(str);
	free(clean);
	return 0;
}
