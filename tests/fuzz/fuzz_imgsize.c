/*
 * fuzz_imgsize: libFuzzer target for imgsize.c.  The input is fed whole
 * and again in pieces whose sizes come from a PRNG seeded by the input's
 * first bytes; both runs must agree (chunking must not change the result)
 * and the result must be "unknown" or a size within IMGSIZE_MAX_DIM.
 *
 * Build (manually; not part of make check):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE \
 *     -I milter -I . tests/fuzz/fuzz_imgsize.c milter/imgsize.c -o /tmp/fuzz_img
 *   /tmp/fuzz_img -max_len=300000 CORPUS_DIR tests/data/images
 */
#include "autoconfig.h"

#include <stdint.h>
#include <stdlib.h>

#include "imgsize.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t w1, h1;
	enum imgsize_format f1;
	bool ok1 = imgsize_of(data, size, &w1, &h1, &f1);

	if (ok1 != (w1 != 0 && h1 != 0) || w1 > IMGSIZE_MAX_DIM || h1 > IMGSIZE_MAX_DIM)
		abort();

	uint32_t x = 2166136261u;
	for (size_t i = 0; i < size && i < 16; i++)
		x = (x ^ data[i]) * 16777619u;

	struct imgsize s;
	imgsize_init(&s);
	size_t off = 0;
	while (off < size) {
		x = x * 1103515245u + 12345u;
		size_t c;
		switch ((x >> 16) % 4) {
		case 0: c = 1; break;
		case 1: c = (x >> 8) % 16 + 1; break;
		case 2: c = (x >> 4) % 5000 + 1; break;
		default: c = 0; break; /* empty feeds are legal too */
		}
		if (c > size - off)
			c = size - off;
		imgsize_feed(&s, data + off, c);
		off += c;
	}
	bool ok2 = imgsize_finish(&s);
	if (ok1 != ok2 || w1 != s.width || h1 != s.height || f1 != s.format)
		abort();
	if (s.offset != size)
		abort();
	return 0;
}
