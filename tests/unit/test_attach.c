/*
 * test_attach: libmagic typing (magic.c, a pool of handles, also from
 * four and from more than MAGIC_POOL_MAX threads at once, loaded once and
 * not again for new threads), attachment records (attach.c) for real
 * files fed in pieces, the mismatch family table, the description size
 * parser, the screenshot threshold, and attach_wants_more.  Every test's
 * teardown closes the pooled libmagic handles, so LeakSanitizer sees no
 * handle left behind.
 */
#include "autoconfig.h"

#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attach.h"
#include "magic.h"
#include "mime.h"

#include "test_images.h"

static void teardown(void)
{
	magic_shutdown();
}

/* ------------------------------------------------------------ magic */

/* libmagic 5.44 (Debian 12) answers. */
static const struct {
	const char *file;
	const char *mime;
} typed[] = {
	{"png-1920x1080.png", "image/png"},
	{"apng-64x48.png", "image/png"},
	{"gif-1x1.gif", "image/gif"},
	{"bmp-core-300x150.bmp", "image/bmp"},
	{"bmp-topdown-40x20.bmp", "image/bmp"},
	{"jpeg-baseline-640x480.jpg", "image/jpeg"},
	{"jpeg-bigapp-640x480.jpg", "image/jpeg"},
	{"webp-lossless-300x200.webp", "image/webp"},
	{"tiff-mm-258x132.tif", "image/tiff"},
	{"heic-320x240.heic", "image/heic"},
	{"heif-primary-800x600.heic", "image/heic"},
	{"avif-320x240.avif", "image/avif"},
	{"notpng-zip.png", "application/zip"},
	{"notpng-pe.png", "application/vnd.microsoft.portable-executable"},
	{"doc-minimal.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
	{"doc-minimal.pdf", "application/pdf"},
	{"doc-ole.doc", "application/x-ole-storage"},
	{"text-notes.txt", "text/plain"},
	{"garbage.bin", "application/octet-stream"},
};

START_TEST(test_magic_types)
{
	size_t n;
	unsigned char *p = load(typed[_i].file, &n);
	char out[ATTACH_TYPE_MAX];
	ck_assert(magic_mime_type(p, n, out, sizeof out));
	ck_assert_msg(strcmp(out, typed[_i].mime) == 0, "%s: %s", typed[_i].file, out);
	free(p);
}
END_TEST

START_TEST(test_magic_misc)
{
	char err[256] = "x";
	ck_assert_int_eq(magic_preload(err, sizeof err), 0);
	ck_assert_str_eq(err, "");

	char out[256];
	ck_assert(magic_mime_type(NULL, 0, out, sizeof out));
	ck_assert_str_eq(out, "application/x-empty");

	size_t n;
	unsigned char *p = load("png-1920x1080.png", &n);
	ck_assert(magic_describe(p, n, out, sizeof out));
	ck_assert_msg(strstr(out, "PNG image data, 1920 x 1080") != NULL, "%s", out);
	/* Truncated to the caller's buffer. */
	char small[8];
	ck_assert(magic_mime_type(p, n, small, sizeof small));
	ck_assert_str_eq(small, "image/p");
	/* Only the bytes given are looked at: 8 bytes of PNG are not a PNG size. */
	ck_assert(magic_describe(p, 8, out, sizeof out));
	ck_assert_msg(strstr(out, "1920") == NULL, "%s", out);
	free(p);

	/* Freeing twice, then using again (reopens). */
	magic_thread_done();
	magic_shutdown();
	magic_shutdown();
	unsigned long loads = magic_load_count();
	ck_assert(magic_mime_type((const unsigned char *)"%PDF-1.4\n", 9, out, sizeof out));
	ck_assert_str_eq(out, "application/pdf");
	ck_assert_uint_eq(magic_load_count(), loads + 1);
	/* ... and the handle is kept: no load for the next calls. */
	ck_assert(magic_describe((const unsigned char *)"%PDF-1.4\n", 9, out, sizeof out));
	ck_assert(magic_mime_type(NULL, 0, out, sizeof out));
	ck_assert_uint_eq(magic_load_count(), loads + 1);
}
END_TEST

struct worker {
	int rounds;
	bool explicit_done;
	int failures;
	unsigned char *data[sizeof typed / sizeof typed[0]];
	size_t len[sizeof typed / sizeof typed[0]];
};

static void *worker_run(void *arg)
{
	struct worker *w = arg;
	char out[ATTACH_TYPE_MAX];
	for (int r = 0; r < w->rounds; r++)
		for (size_t i = 0; i < sizeof typed / sizeof typed[0]; i++)
			if (!magic_mime_type(w->data[i], w->len[i], out, sizeof out) ||
			    strcmp(out, typed[i].mime) != 0)
				w->failures++;
	/* Half the threads free explicitly; the others leave it to the key's
	 * destructor at thread exit. */
	if (w->explicit_done)
		magic_thread_done();
	return NULL;
}

START_TEST(test_magic_threads)
{
	enum { NT = 4 };
	pthread_t t[NT];
	struct worker w[NT];
	memset(w, 0, sizeof w);
	for (int k = 0; k < NT; k++) {
		w[k].rounds = 5;
		w[k].explicit_done = k % 2 == 0;
		for (size_t i = 0; i < sizeof typed / sizeof typed[0]; i++)
			w[k].data[i] = load(typed[i].file, &w[k].len[i]);
	}
	for (int k = 0; k < NT; k++)
		ck_assert_int_eq(pthread_create(&t[k], NULL, worker_run, &w[k]), 0);
	for (int k = 0; k < NT; k++)
		ck_assert_int_eq(pthread_join(t[k], NULL), 0);
	for (int k = 0; k < NT; k++) {
		ck_assert_int_eq(w[k].failures, 0);
		for (size_t i = 0; i < sizeof typed / sizeof typed[0]; i++)
			free(w[k].data[i]);
	}
}
END_TEST

/* Threads come and go (as libmilter's workers do): handles are loaded at
 * most once per pool slot, however many threads there were; more threads
 * than slots wait for a handle instead of loading one. */
START_TEST(test_magic_pool)
{
	enum { NT = MAGIC_POOL_MAX + 8, WAVES = 3 };
	static struct worker w[NT];
	memset(w, 0, sizeof w);
	unsigned char *data[sizeof typed / sizeof typed[0]];
	size_t len[sizeof typed / sizeof typed[0]];
	for (size_t i = 0; i < sizeof typed / sizeof typed[0]; i++)
		data[i] = load(typed[i].file, &len[i]);
	magic_shutdown();
	unsigned long loads = magic_load_count();
	for (int wave = 0; wave < WAVES; wave++) {
		pthread_t t[NT];
		for (int k = 0; k < NT; k++) {
			w[k].rounds = 2;
			w[k].explicit_done = k % 2 == 0;
			memcpy(w[k].data, data, sizeof data);
			memcpy(w[k].len, len, sizeof len);
			ck_assert_int_eq(pthread_create(&t[k], NULL, worker_run, &w[k]), 0);
		}
		for (int k = 0; k < NT; k++)
			ck_assert_int_eq(pthread_join(t[k], NULL), 0);
		for (int k = 0; k < NT; k++)
			ck_assert_int_eq(w[k].failures, 0);
	}
	unsigned long used = magic_load_count() - loads;
	ck_assert_uint_ge(used, 1);
	ck_assert_msg(used <= MAGIC_POOL_MAX, "%lu handles loaded for %d threads", used, NT * WAVES);
	for (size_t i = 0; i < sizeof typed / sizeof typed[0]; i++)
		free(data[i]);
}
END_TEST

/* ------------------------------------------------------------ records */

struct part {
	const char *file;       /* in tests/data/images, NULL = empty part */
	const char *type;       /* declared Content-Type, NULL = none */
	const char *filename;
	const char *disposition;
	const char *cid;
};

/* Runs one part through the scanner in pieces of `chunk` bytes. */
static void scan(struct attach_scanner *a, const struct part *pt, size_t chunk,
                 struct attachment *out)
{
	struct mime_part_info info = {
		.depth = 2, .index = 3,
		.content_type = pt->type ? pt->type : "text/plain",
		.type_declared = pt->type != NULL,
		.filename = pt->filename, .disposition = pt->disposition,
		.content_id = pt->cid, .in_message = true,
	};
	size_t n = 0;
	unsigned char *p = pt->file ? load(pt->file, &n) : NULL;
	attach_begin(a, &info);
	for (size_t off = 0; off < n; off += chunk)
		attach_data(a, p + off, n - off < chunk ? n - off : chunk);
	attach_end(a, out);
	free(p);
}

static const struct {
	struct part part;
	const char *detected;
	uint64_t size;
	uint32_t w, h;
	bool is_image, is_inline, mismatch, screenshot;
} records[] = {
	/* the corpus's key cases */
	{{"png-1920x1080.png", "image/png", "skaermbillede.png", "attachment", NULL},
	 "image/png", 2282, 1920, 1080, true, false, false, true},
	{{"notpng-zip.png", "image/png", "screenshot.png", "attachment", NULL},
	 "application/zip", 1228, 0, 0, false, false, true, false},
	{{"notpng-pe.png", "image/png", "screenshot.png", "attachment", NULL},
	 "application/vnd.microsoft.portable-executable", 1024, 0, 0, false, false, true, false},
	{{"png-1920x1080.png", "image/jpeg", "screenshot.jpg", "attachment", NULL},
	 "image/png", 2282, 1920, 1080, true, false, true, true},
	{{"png-1920x1080.png", "application/octet-stream", "Skærmbillede 2026-11-18 kl. 10.12.png",
	  "attachment", NULL},
	 "image/png", 2282, 1920, 1080, true, false, false, true},
	{{"png-1920x1080.png", NULL, "x.png", NULL, NULL},
	 "image/png", 2282, 1920, 1080, true, false, false, true},
	/* name alone disagrees, type alone disagrees */
	{{"png-1920x1080.png", "application/octet-stream", "x.gif", NULL, NULL},
	 "image/png", 2282, 1920, 1080, true, false, true, true},
	{{"png-1920x1080.png", "image/gif", "x.png", NULL, NULL},
	 "image/png", 2282, 1920, 1080, true, false, true, true},
	/* logos, pixels, inline forms */
	{{"png-logo-120x40.png", "image/png", "image001.png", "inline", "image001.png@01DA"},
	 "image/png", 305, 120, 40, true, true, false, false},
	{{"gif-1x1.gif", "image/gif", "t.gif", "inline", NULL},
	 "image/gif", 43, 1, 1, true, true, false, false},
	{{"gif-1024x600.gif", "image/gif", NULL, NULL, "part1.abc@example.dk"},
	 "image/gif", 1323, 1024, 600, true, true, false, true},
	{{"gif-1024x600.gif", "image/gif", "vagtplan.gif", "attachment", "part1.abc@example.dk"},
	 "image/gif", 1323, 1024, 600, true, false, false, true},
	/* other image formats and their aliases */
	{{"jpeg-bigapp-640x480.jpg", "image/pjpeg", "IMG_0412.JPEG", NULL, NULL},
	 "image/jpeg", 204335, 640, 480, true, false, false, true},
	{{"jpeg-baseline-640x480.jpg", "image/jpg", "foto.jfif", NULL, NULL},
	 "image/jpeg", 4168, 640, 480, true, false, false, true},
	{{"heic-320x240.heic", "image/heif", "IMG_2231.HEIC", NULL, NULL},
	 "image/heic", 472, 320, 240, true, false, false, true},
	{{"avif-320x240.avif", "image/avif", "x.heic", NULL, NULL},
	 "image/avif", 358, 320, 240, true, false, false, true},
	{{"bmp-topdown-40x20.bmp", "image/x-ms-bmp", "a.bmp", NULL, NULL},
	 "image/bmp", 2454, 40, 20, true, false, false, false},
	{{"tiff-far-ifd-100x50.tif", "image/tiff", "scan.TIFF", NULL, NULL},
	 "image/tiff", 15264, 100, 50, true, false, false, false},
	{{"webp-extended-333x222.webp", "image/webp", "registrering.webp", NULL, NULL},
	 "image/webp", 288, 333, 222, true, false, false, true},
	/* documents */
	{{"doc-minimal.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
	  "Vejledning godkendelse.docx", "attachment", NULL},
	 "application/vnd.openxmlformats-officedocument.wordprocessingml.document", 1284, 0, 0,
	 false, false, false, false},
	{{"doc-minimal.docx", "application/zip", "a.zip", NULL, NULL},
	 "application/vnd.openxmlformats-officedocument.wordprocessingml.document", 1284, 0, 0,
	 false, false, false, false},
	{{"doc-minimal.docx", "image/png", "a.png", NULL, NULL},
	 "application/vnd.openxmlformats-officedocument.wordprocessingml.document", 1284, 0, 0,
	 false, false, true, false},
	{{"doc-minimal.pdf", "application/pdf", "Ferieoversigt.pdf", NULL, NULL},
	 "application/pdf", 329, 0, 0, false, false, false, false},
	{{"doc-minimal.pdf", "application/octet-stream", "Ferieoversigt.png", NULL, NULL},
	 "application/pdf", 329, 0, 0, false, false, true, false},
	{{"doc-ole.doc", "application/msword", "gammel.doc", NULL, NULL},
	 "application/x-ole-storage", 1024, 0, 0, false, false, false, false},
	{{"doc-ole.doc", "application/vnd.ms-excel", "gammel.xls", NULL, NULL},
	 "application/x-ole-storage", 1024, 0, 0, false, false, false, false},
	{{"notpng-pe.png", "application/x-msdownload", "setup.exe", NULL, NULL},
	 "application/vnd.microsoft.portable-executable", 1024, 0, 0, false, false, false, false},
	{{"text-notes.txt", "application/octet-stream", "notes.txt", NULL, NULL},
	 "text/plain", 44, 0, 0, false, false, false, false},
	/* libmagic cannot tell: no mismatch whatever the claims */
	{{"garbage.bin", "image/png", "x.png", NULL, NULL},
	 "application/octet-stream", 4096, 0, 0, false, false, false, false},
	/* empty part */
	{{NULL, "image/png", "empty.png", "inline", NULL},
	 "application/x-empty", 0, 0, 0, false, true, false, false},
	/* truncated image: typed by content, size unknown */
	{{"trunc-png.png", "image/png", "cut.png", NULL, NULL},
	 "image/png", 20, 0, 0, true, false, false, false},
};

START_TEST(test_records)
{
	static const size_t chunks[] = {1, 7, 4096, 1 << 20};
	struct attach_scanner *a = attach_new(4096);
	ck_assert_ptr_nonnull(a);
	for (size_t c = 0; c < sizeof chunks / sizeof chunks[0]; c++) {
		struct attachment r;
		const struct part *pt = &records[_i].part;
		if (chunks[c] == 1 && pt->file && strcmp(pt->file, "jpeg-bigapp-640x480.jpg") == 0)
			continue; /* 200 KB byte by byte: covered by test_imgsize */
		memset(&r, 0x5a, sizeof r);
		scan(a, pt, chunks[c], &r);
		const char *what = pt->file ? pt->file : "(empty)";
		ck_assert_msg(strcmp(r.detected_type, records[_i].detected) == 0, "%s: %s", what,
		              r.detected_type);
		ck_assert_str_eq(r.declared_type, pt->type ? pt->type : "");
		ck_assert_str_eq(r.filename, pt->filename ? pt->filename : "");
		ck_assert_str_eq(r.content_id, pt->cid ? pt->cid : "");
		ck_assert_uint_eq(r.size, records[_i].size);
		ck_assert_msg(r.width == records[_i].w && r.height == records[_i].h, "%s: %ux%u",
		              what, r.width, r.height);
		ck_assert_msg(r.is_image == records[_i].is_image, "%s: is_image", what);
		ck_assert_msg(r.is_inline == records[_i].is_inline, "%s: is_inline", what);
		ck_assert_msg(r.mismatch == records[_i].mismatch, "%s: mismatch %d", what, r.mismatch);
		ck_assert_msg(attach_is_screenshot(&r, 200, 100) == records[_i].screenshot,
		              "%s: screenshot", what);
		ck_assert_uint_eq(r.depth, 2);
		ck_assert(r.in_message);
	}
	attach_free(a);
}
END_TEST

/* One scanner, many parts: nothing carries over from one part to the next;
 * only the first max_sniff bytes reach libmagic, all bytes reach imgsize. */
START_TEST(test_scanner_reuse)
{
	struct attach_scanner *a = attach_new(600);
	struct attachment r;
	const struct part png = {"png-1920x1080.png", "image/png", "a.png", NULL, NULL};
	const struct part zip = {"notpng-zip.png", "image/png", "b.png", NULL, NULL};
	const struct part big = {"jpeg-bigapp-640x480.jpg", "image/jpeg", "c.jpg", NULL, NULL};

	scan(a, &png, 100, &r);
	ck_assert(r.is_image && !r.mismatch && r.width == 1920);
	scan(a, &zip, 100, &r);
	ck_assert(!r.is_image && r.mismatch && r.width == 0);
	ck_assert_str_eq(r.detected_type, "application/zip");
	scan(a, &big, 65536, &r);
	ck_assert_str_eq(r.detected_type, "image/jpeg");
	ck_assert(r.width == 640 && r.height == 480 && !r.mismatch);
	scan(a, &png, 3, &r);
	ck_assert(r.is_image && !r.mismatch && r.height == 1080 && r.size == 2282);
	attach_free(a);

	/* max_sniff below the minimum is raised: PNG still typed. */
	a = attach_new(0);
	ck_assert_ptr_nonnull(a);
	scan(a, &png, 5, &r);
	ck_assert_str_eq(r.detected_type, "image/png");
	attach_free(a);
}
END_TEST

/* A feeder that stops when attach_wants_more says so and then gives the
 * size gets the record of a feeder that gives every byte. */
static const struct {
	const char *file;
	const char *type;
	bool stops_early; /* with max_sniff 512: before the end of the file */
} early[] = {
	{"png-1920x1080.png", "image/png", true},
	{"jpeg-bigapp-640x480.jpg", "image/jpeg", true},  /* SOF after a 200 KB APP segment */
	{"tiff-far-ifd-100x50.tif", "image/tiff", false},    /* IFD at the end */
	{"heif-primary-800x600.heic", "image/heic", false}, /* meta after mdat */
	{"garbage.bin", "application/octet-stream", true},
	{"gif-1x1.gif", "image/gif", false},              /* smaller than the sniff buffer */
};

START_TEST(test_wants_more)
{
	size_t n;
	unsigned char *p = load(early[_i].file, &n);
	struct mime_part_info info = {.content_type = early[_i].type, .type_declared = true,
	                              .filename = early[_i].file};
	struct attach_scanner *full = attach_new(512), *a = attach_new(512);
	ck_assert(!attach_wants_more(a)); /* no part open */
	struct attachment want, got;
	attach_begin(full, &info);
	attach_data(full, p, n);
	attach_end(full, &want);
	static const size_t steps[] = {1, 7, 512, 4096, 1u << 20};
	for (size_t s = 0; s < sizeof steps / sizeof steps[0]; s++) {
		attach_begin(a, &info);
		size_t at = 0;
		while (at < n && attach_wants_more(a)) {
			size_t k = n - at < steps[s] ? n - at : steps[s];
			attach_data(a, p + at, k);
			at += k;
		}
		if (early[_i].stops_early && steps[s] < n)
			ck_assert_msg(at < n, "%s step %zu: fed all %zu bytes", early[_i].file, steps[s], n);
		attach_set_size(a, 1);  /* smaller than what was fed: ignored */
		attach_set_size(a, n);
		attach_end(a, &got);
		ck_assert(!attach_wants_more(a));
		ck_assert_uint_eq(got.size, n);
		ck_assert_str_eq(got.detected_type, want.detected_type);
		ck_assert_uint_eq(got.width, want.width);
		ck_assert_uint_eq(got.height, want.height);
		ck_assert_int_eq(got.is_image, want.is_image);
		ck_assert_int_eq(got.mismatch, want.mismatch);
	}
	/* The jpeg needs more than the sniff buffer: imgsize is not done. */
	if (strcmp(early[_i].file, "jpeg-bigapp-640x480.jpg") == 0) {
		attach_begin(a, &info);
		attach_data(a, p, 4096);
		ck_assert(attach_wants_more(a));
		attach_end(a, &got);
		ck_assert_uint_eq(want.width, 640);
	}
	attach_free(full);
	attach_free(a);
	free(p);
}
END_TEST

START_TEST(test_scanner_edges)
{
	attach_free(NULL);
	struct attach_scanner *a = attach_new(1024);
	struct attachment r;

	/* end without begin; data without begin */
	attach_data(a, (const unsigned char *)"x", 1);
	memset(&r, 0x5a, sizeof r);
	attach_end(a, &r);
	ck_assert_str_eq(r.detected_type, "application/x-empty");
	ck_assert(!r.is_image && !r.mismatch && r.size == 0);

	/* a file name longer than the record keeps its extension for the
	 * mismatch decision and is cut on a UTF-8 boundary */
	char name[400];
	size_t k = 0;
	while (k < 300) {
		memcpy(name + k, "\xc3\xa6", 2); /* æ */
		k += 2;
	}
	memcpy(name + k, "x.exe", 6);
	const struct part pe_named = {"png-1920x1080.png", "application/octet-stream", name, NULL, NULL};
	scan(a, &pe_named, 4096, &r);
	ck_assert(r.mismatch);
	ck_assert_uint_lt(strlen(r.filename), ATTACH_NAME_MAX);
	ck_assert_uint_eq(strlen(r.filename) % 2, 0);

	/* over-long declared type and Content-ID are cut, not overflowed */
	char longtype[300], cid[300];
	memset(longtype, 'a', sizeof longtype - 1);
	longtype[sizeof longtype - 1] = '\0';
	memcpy(longtype, "image/", 6);
	memset(cid, 'c', sizeof cid - 1);
	cid[sizeof cid - 1] = '\0';
	const struct part odd = {"gif-1x1.gif", longtype, NULL, NULL, cid};
	scan(a, &odd, 4096, &r);
	ck_assert_uint_eq(strlen(r.declared_type), ATTACH_TYPE_MAX - 1);
	ck_assert_uint_eq(strlen(r.content_id), ATTACH_CID_MAX - 1);
	ck_assert(r.is_inline);
	attach_free(a);
}
END_TEST

/* ------------------------------------------------------------ mismatch table */

static const struct {
	const char *declared, *filename, *detected;
	bool mismatch;
} mm[] = {
	{"image/png", "screenshot.png", "image/png", false},
	{"image/png", "screenshot.png", "application/zip", true},
	{"image/png", "screenshot.png", "application/x-dosexec", true},
	{"image/png", "screenshot.png", "application/vnd.microsoft.portable-executable", true},
	{"image/jpeg", "screenshot.jpg", "image/png", true},
	{"application/octet-stream", "x.png", "image/png", false},
	{"", "x.png", "image/png", false},
	{NULL, NULL, "image/png", false},
	{"application/octet-stream", NULL, "application/zip", false},
	{"application/octet-stream", "x.png", "application/zip", true},
	{"application/octet-stream", "x.PNG", "application/zip", true},
	{"application/octet-stream", "x.png. ", "application/zip", true},
	{"application/octet-stream", "dir/x.png", "application/zip", true},
	{"application/octet-stream", "x.png\\y", "application/zip", false},
	/* aliases */
	{"image/jpg", "a.jpe", "image/jpeg", false},
	{"image/pjpeg", "a.jfif", "image/jpeg", false},
	{"image/x-ms-bmp", "a.bmp", "image/bmp", false},
	{"image/x-bmp", "a.dib", "image/bmp", false},
	{"image/tiff", "a.tif", "image/tiff", false},
	{"image/tiff", "a.tiff", "image/tiff", false},
	{"image/heic", "a.heic", "image/heif", false},
	{"image/heif", "a.avif", "image/avif", false},
	{"image/avif", "a.heif", "image/heic", false},
	{"image/png", "a.apng", "image/apng", false},
	{"image/webp", "a.webp", "image/webp", false},
	{"image/gif", "a.gif", "image/png", true},
	{"IMAGE/PNG; name=\"x\"", "a.png", "image/png", false},
	/* documents */
	{"application/pdf", "a.pdf", "application/pdf", false},
	{"application/pdf", "a.pdf", "text/plain", true},
	{"application/zip", "a.zip", "application/zip", false},
	{"application/x-zip-compressed", "a.zip", "application/zip", false},
	{"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "a.xlsx",
	 "application/zip", false},
	{"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "a.xlsx",
	 "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", false},
	{"application/vnd.openxmlformats-officedocument.wordprocessingml.document", "a.docx",
	 "application/vnd.openxmlformats-officedocument.wordprocessingml.document", false},
	{"application/vnd.ms-excel.sheet.macroEnabled.12", "a.xlsm", "application/zip", false},
	{"application/vnd.oasis.opendocument.text", "a.odt", "application/zip", false},
	{"application/zip", "a.pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation", false},
	{"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "a.xlsx",
	 "application/x-dosexec", true},
	{"application/msword", "a.doc", "application/msword", false},
	{"application/msword", "a.doc", "application/x-ole-storage", false},
	{"application/msword", "a.doc", "application/CDFV2", false},
	{"application/vnd.ms-excel", "a.xls", "application/vnd.ms-excel", false},
	{"application/vnd.ms-excel", "a.xls", "application/msword", false},
	{"application/vnd.ms-excel", "a.xlsx", "application/x-ole-storage", true},
	{"application/msword", "a.doc", "application/zip", true},
	/* executables */
	{"application/x-msdownload", "a.exe", "application/x-dosexec", false},
	{"application/octet-stream", "a.dll", "application/vnd.microsoft.portable-executable", false},
	{"application/x-dosexec", "a.exe", "application/x-executable", false},
	{"application/octet-stream", "invoice.pdf.exe", "application/x-dosexec", false},
	{"application/pdf", "invoice.pdf.exe", "application/x-dosexec", true},
	/* text */
	{"application/octet-stream", "a.txt", "text/plain", false},
	{"application/octet-stream", "a.csv", "text/csv", false},
	{"application/octet-stream", "a.log", "text/plain", false},
	{"application/json", "a.json", "text/plain", false},
	{"application/octet-stream", "a.json", "application/json", false},
	{"application/octet-stream", "a.svg", "text/xml", false},
	{"application/octet-stream", "a.rtf", "text/rtf", false},
	{"application/rtf", "a.rtf", "text/rtf", false},
	{"application/octet-stream", "a.txt", "image/png", true},
	{"application/octet-stream", "a.png", "text/plain", true},
	/* text and structure parts are never a mismatch */
	{"text/plain", "a.png", "application/zip", false},
	{"text/html", "a.exe", "image/png", false},
	{"message/rfc822", "a.eml", "application/zip", false},
	{"multipart/mixed", NULL, "text/plain", false},
	/* unknown to the table: not judged */
	{"application/octet-stream", "a.xyz", "image/png", false},
	{"application/octet-stream", "noext", "application/zip", false},
	{"application/octet-stream", ".png", "application/zip", true},
	{"application/x-rar-compressed", "a.rar", "application/x-rar", false},
	{"application/x-whatever", NULL, "image/png", false},
	{"image/x-icon", "a.ico", "image/vnd.microsoft.icon", false},
	{"image/x-portable-pixmap", NULL, "image/x-portable-pixmap", false},
	{"image/x-foo", NULL, "image/png", false},
	{"image/x-foo", NULL, "application/zip", true},
	{"video/mp4", NULL, "image/png", true},
	{"video/mp4", NULL, "video/quicktime", false},
	{"audio/mpeg", NULL, "audio/x-wav", false},
	{"image/png", NULL, "video/mp4", true},
	{"application/octet-stream", "a.png", "video/mp4", true},
	/* libmagic could not tell */
	{"image/png", "a.png", "application/octet-stream", false},
	{"image/png", "a.exe", "application/x-empty", false},
	{"image/png", "a.png", "", false},
	{"image/png", "a.png", NULL, false},
};

START_TEST(test_mismatch_table)
{
	ck_assert_msg(attach_is_mismatch(mm[_i].declared, mm[_i].filename, mm[_i].detected) ==
	              mm[_i].mismatch, "declared %s name %s detected %s: want %d",
	              mm[_i].declared ? mm[_i].declared : "(null)",
	              mm[_i].filename ? mm[_i].filename : "(null)",
	              mm[_i].detected ? mm[_i].detected : "(null)", mm[_i].mismatch);
}
END_TEST

/* ------------------------------------------------------------ descriptions */

static const struct {
	const char *desc;
	bool ok;
	uint32_t w, h;
} descs[] = {
	{"PNG image data, 1920 x 1080, 8-bit colormap, non-interlaced", true, 1920, 1080},
	{"GIF image data, version 89a, 1024 x 600", true, 1024, 600},
	{"JPEG image data, JFIF standard 1.01, aspect ratio, density 1x1, segment length 16, "
	 "baseline, precision 8, 640x480, components 3", true, 640, 480},
	{"JPEG image data, JFIF standard 1.01, resolution (DPI), density 72x72, segment length 16",
	 false, 0, 0},
	{"PC bitmap, Windows 3.x format, 40 x -20 x 24, image size 2400, resolution 2835 x 2835 px/m",
	 true, 40, 20},
	{"RIFF (little-endian) data, Web/P image, VP8 encoding, 1280x720, Scaling: [none]x[none]",
	 true, 1280, 720},
	{"TIFF image data, little-endian, direntries=15, height=50, bps=15194, compression=none, "
	 "width=100", true, 100, 50},
	{"TIFF image data, little-endian, direntries=15, height=50", false, 0, 0},
	{"MS Windows icon resource - 1 icon, 48x48, 32 bits/pixel", true, 48, 48},
	{"Adobe Photoshop Image, 2000 x 1000, RGB, 3x 8-bit channels", true, 2000, 1000},
	{"PNG image data, 1920 x 0, 0-bit grayscale", false, 0, 0},
	{"PNG image data, 2000000 x 10", false, 0, 0},
	{"PNG image data, 99999999999999999999 x 10", false, 0, 0},
	{"PNG image data, 19 x 10x", false, 0, 0},
	{"x 10, 10 x, 10 y 10", false, 0, 0},
	{"", false, 0, 0},
	{"ISO Media, HEIF Image HEVC Main or Main Still Picture Profile", false, 0, 0},
};

START_TEST(test_description_sizes)
{
	uint32_t w = 0, h = 0;
	bool ok = attach_size_from_description(descs[_i].desc, &w, &h);
	ck_assert_msg(ok == descs[_i].ok, "%s", descs[_i].desc);
	if (ok)
		ck_assert_msg(w == descs[_i].w && h == descs[_i].h, "%s: %ux%u", descs[_i].desc, w, h);
}
END_TEST

/* An ICO: imgsize does not read it, libmagic's description gives the size. */
START_TEST(test_description_fallback)
{
	unsigned char ico[6 + 16 + 40] = {0, 0, 1, 0, 1, 0, 48, 48, 0, 0, 1, 0, 32, 0};
	ico[14] = 40;                  /* bytes in resource */
	ico[18] = 22;                  /* offset */
	ico[22] = 40;                  /* BITMAPINFOHEADER */
	ico[26] = 48;
	ico[30] = 96;
	ico[34] = 1;
	ico[36] = 32;
	struct attach_scanner *a = attach_new(4096);
	struct mime_part_info info = {.content_type = "image/x-icon", .type_declared = true,
	                              .filename = "favicon.ico"};
	struct attachment r;
	attach_begin(a, &info);
	attach_data(a, ico, sizeof ico);
	attach_end(a, &r);
	ck_assert_msg(strncmp(r.detected_type, "image/", 6) == 0, "%s", r.detected_type);
	ck_assert(r.is_image);
	ck_assert_msg(r.width == 48 && r.height == 48, "%ux%u", r.width, r.height);
	ck_assert(!r.mismatch);
	ck_assert(!attach_is_screenshot(&r, 200, 100));
	attach_free(a);
}
END_TEST

/* ------------------------------------------------------------ screenshot */

START_TEST(test_screenshot_threshold)
{
	static const struct {
		bool image;
		uint32_t w, h;
		bool yes;
	} t[] = {
		{true, 200, 100, true}, {true, 199, 100, false}, {true, 200, 99, false},
		{true, 120, 40, false}, {true, 1, 1, false}, {true, 828, 1792, true},
		{true, 100, 200, false}, {true, 1024, 60, false}, {false, 1920, 1080, false},
		{true, 0, 0, false},
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		struct attachment a;
		memset(&a, 0, sizeof a);
		a.is_image = t[i].image;
		a.width = t[i].w;
		a.height = t[i].h;
		ck_assert_msg(attach_is_screenshot(&a, 200, 100) == t[i].yes, "%ux%u", t[i].w, t[i].h);
	}
	struct attachment z;
	memset(&z, 0, sizeof z);
	z.is_image = true;
	ck_assert(!attach_is_screenshot(&z, 0, 0)); /* unknown size is no screenshot */
	ck_assert(!attach_is_screenshot(NULL, 0, 0));
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("attach");
	TCase *tc = tcase_create("magic");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_magic_types, 0, (int)(sizeof typed / sizeof typed[0]));
	tcase_add_test(tc, test_magic_misc);
	tcase_add_test(tc, test_magic_threads);
	tcase_add_test(tc, test_magic_pool);
	suite_add_tcase(s, tc);

	tc = tcase_create("records");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_records, 0, (int)(sizeof records / sizeof records[0]));
	tcase_add_test(tc, test_scanner_reuse);
	tcase_add_test(tc, test_scanner_edges);
	tcase_add_loop_test(tc, test_wants_more, 0, (int)(sizeof early / sizeof early[0]));
	tcase_add_test(tc, test_description_fallback);
	suite_add_tcase(s, tc);

	tc = tcase_create("rules");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_loop_test(tc, test_mismatch_table, 0, (int)(sizeof mm / sizeof mm[0]));
	tcase_add_loop_test(tc, test_description_sizes, 0, (int)(sizeof descs / sizeof descs[0]));
	tcase_add_test(tc, test_screenshot_threshold);
	suite_add_tcase(s, tc);
	return s;
}

#include "check_main.h"
