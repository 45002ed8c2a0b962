/*
 * test_images.h: loads a test image from tests/data/images for the unit
 * tests of the image readers and the attachment records.
 */
#ifndef SM_TEST_IMAGES_H
#define SM_TEST_IMAGES_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>

static unsigned char *load(const char *name, size_t *len)
{
	char path[512];
	snprintf(path, sizeof path, "%s/images/%s", TEST_DATA_DIR, name);
	FILE *f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
	long n = ftell(f);
	ck_assert_int_ge(n, 0);
	rewind(f);
	unsigned char *p = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(fread(p, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return p;
}

#endif
