/*
 * test_imgsize: the image size readers on real files (tests/data/images),
 * fed whole, byte by byte and in odd pieces; every prefix of every file
 * (unknown or the right size, never anything else); hand-built edge cases
 * per format, bad next to good.
 */
#include "autoconfig.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imgsize.h"

/* ------------------------------------------------------------ helpers */

#include "test_images.h"

struct result {
	bool ok;
	enum imgsize_format fmt;
	uint32_t w, h;
};

/* Feeds p in pieces: chunk > 0 fixed size, chunk == 0 a varying pattern. */
static struct result run_chunked(const unsigned char *p, size_t n, size_t chunk)
{
	static const size_t pattern[] = {1, 3, 7, 2, 4096, 13, 4095, 1, 65536, 5, 4097, 31};
	struct imgsize s;
	struct result r;
	size_t off = 0, k = 0;

	imgsize_init(&s);
	while (off < n) {
		size_t c = chunk ? chunk : pattern[k++ % (sizeof pattern / sizeof pattern[0])];
		if (c > n - off)
			c = n - off;
		imgsize_feed(&s, p + off, c);
		off += c;
	}
	r.ok = imgsize_finish(&s);
	r.fmt = s.format;
	r.w = s.width;
	r.h = s.height;
	return r;
}

/* ------------------------------------------------------------ real files */

static const struct {
	const char *file;
	enum imgsize_format fmt;
	uint32_t w, h;
} files[] = {
	{"png-1920x1080.png", IMG_PNG, 1920, 1080},
	{"png-logo-120x40.png", IMG_PNG, 120, 40},
	{"apng-64x48.png", IMG_PNG, 64, 48},
	{"gif-1x1.gif", IMG_GIF, 1, 1},
	{"gif-1024x600.gif", IMG_GIF, 1024, 600},
	{"bmp-core-300x150.bmp", IMG_BMP, 300, 150},
	{"bmp-info-301x151.bmp", IMG_BMP, 301, 151},
	{"bmp-v5-302x152.bmp", IMG_BMP, 302, 152},
	{"bmp-topdown-40x20.bmp", IMG_BMP, 40, 20},
	{"jpeg-baseline-640x480.jpg", IMG_JPEG, 640, 480},
	{"jpeg-progressive-800x600.jpg", IMG_JPEG, 800, 600},
	{"jpeg-bigapp-640x480.jpg", IMG_JPEG, 640, 480},
	{"webp-lossy-300x200.webp", IMG_WEBP, 300, 200},
	{"webp-lossless-300x200.webp", IMG_WEBP, 300, 200},
	{"webp-extended-333x222.webp", IMG_WEBP, 333, 222},
	{"tiff-ii-257x131.tif", IMG_TIFF, 257, 131},
	{"tiff-mm-258x132.tif", IMG_TIFF, 258, 132},
	{"tiff-far-ifd-100x50.tif", IMG_TIFF, 100, 50},
	{"heic-320x240.heic", IMG_HEIF, 320, 240},
	{"avif-320x240.avif", IMG_HEIF, 320, 240},
	{"heif-primary-800x600.heic", IMG_HEIF, 800, 600},
	/* not images, or cut inside the header */
	{"notpng-zip.png", IMG_UNKNOWN, 0, 0},
	{"notpng-pe.png", IMG_UNKNOWN, 0, 0},
	{"doc-minimal.docx", IMG_UNKNOWN, 0, 0},
	{"doc-minimal.pdf", IMG_UNKNOWN, 0, 0},
	{"doc-ole.doc", IMG_UNKNOWN, 0, 0},
	{"text-notes.txt", IMG_UNKNOWN, 0, 0},
	{"garbage.bin", IMG_UNKNOWN, 0, 0},
	{"trunc-png.png", IMG_PNG, 0, 0},
	{"trunc-gif.gif", IMG_UNKNOWN, 0, 0},
	{"trunc-jpeg-bigapp.jpg", IMG_JPEG, 0, 0},
	{"trunc-webp.webp", IMG_WEBP, 0, 0},
	{"trunc-tiff.tif", IMG_TIFF, 0, 0},
	{"trunc-heic.heic", IMG_HEIF, 0, 0},
};

START_TEST(test_file_sizes)
{
	size_t n;
	unsigned char *p = load(files[_i].file, &n);
	static const size_t chunks[] = {SIZE_MAX, 1, 0, 2, 3, 7, 511, 4095, 4096, 4097};
	bool want_ok = files[_i].w != 0;

	for (size_t c = 0; c < sizeof chunks / sizeof chunks[0]; c++) {
		size_t chunk = chunks[c] == SIZE_MAX ? (n ? n : 1) : chunks[c];
		struct result r = run_chunked(p, n, chunk);
		ck_assert_msg(r.ok == want_ok && r.w == files[_i].w && r.h == files[_i].h &&
		              r.fmt == files[_i].fmt,
		              "%s chunk %zu: ok=%d fmt=%s %ux%u", files[_i].file, chunk, r.ok,
		              imgsize_format_name(r.fmt), r.w, r.h);
	}
	uint32_t w = 7, h = 7;
	enum imgsize_format fmt;
	ck_assert(imgsize_of(p, n, &w, &h, &fmt) == want_ok);
	ck_assert_uint_eq(w, files[_i].w);
	ck_assert_uint_eq(h, files[_i].h);
	ck_assert_int_eq(fmt, files[_i].fmt);
	free(p);
}
END_TEST

/* 0, 1, ... 3000, then steps of 977, always ending with n itself. */
static size_t next_prefix(size_t len, size_t n)
{
	if (len == n)
		return n + 1;
	size_t step = len < 3000 ? 1 : 977;
	return n - len > step ? len + step : n;
}

/* Every prefix: unknown or the exact size; once known, known for all longer
 * prefixes.  Prefixes up to 3000 bytes one by one, then in steps. */
START_TEST(test_file_prefixes)
{
	size_t n;
	if (files[_i].w == 0)
		return;
	unsigned char *p = load(files[_i].file, &n);
	bool seen = false;

	for (size_t len = 0; len <= n; len = next_prefix(len, n)) {
		uint32_t w, h;
		bool ok = imgsize_of(p, len, &w, &h, NULL);
		if (ok)
			ck_assert_msg(w == files[_i].w && h == files[_i].h, "%s[:%zu] -> %ux%u",
			              files[_i].file, len, w, h);
		else
			ck_assert_msg(!seen, "%s[:%zu] lost the size", files[_i].file, len);
		seen = seen || ok;
	}
	ck_assert_msg(seen, "%s: never known", files[_i].file);
	free(p);
}
END_TEST

/* The 200 KB APP segments before SOF are skipped, not buffered: the size is
 * only known once the stream has passed them. */
START_TEST(test_jpeg_big_app_streamed)
{
	size_t n;
	unsigned char *p = load("jpeg-bigapp-640x480.jpg", &n);
	ck_assert_uint_gt(n, 200000);
	ck_assert(!imgsize_of(p, 150000, NULL, NULL, NULL));
	struct imgsize s;
	imgsize_init(&s);
	for (size_t off = 0; off < n; off += 1000)
		imgsize_feed(&s, p + off, n - off < 1000 ? n - off : 1000);
	ck_assert(s.done);
	ck_assert(imgsize_finish(&s));
	ck_assert_uint_eq(s.width, 640);
	ck_assert_uint_eq(s.height, 480);
	free(p);
}
END_TEST

START_TEST(test_garbage)
{
	/* A fixed pseudo-random stream, and each known signature followed by it. */
	static const struct {
		const char *s;
		size_t n;
	} sigs[] = {
		{"", 0}, {"\x89PNG\r\n\x1a\n", 8}, {"GIF89a", 6}, {"BM", 2}, {"\xff\xd8\xff", 3},
		{"RIFF\x10\0\0\0WEBP", 12}, {"II*\0", 4}, {"MM\0*", 4},
		{"\0\0\0\x18" "ftypheic", 12},
	};
	unsigned char buf[8192];
	uint32_t x = 12345;
	for (int round = 0; round < 270; round++) {
		for (size_t i = 0; i < sizeof buf; i++) {
			x = x * 1103515245u + 12345u;
			buf[i] = (unsigned char)(x >> 16);
		}
		size_t k = (size_t)round % (sizeof sigs / sizeof sigs[0]);
		memcpy(buf, sigs[k].s, sigs[k].n);
		uint32_t w, h;
		bool ok = imgsize_of(buf, sizeof buf, &w, &h, NULL);
		struct result r = run_chunked(buf, sizeof buf, 0);
		ck_assert(r.ok == ok && r.w == w && r.h == h);
		if (ok)
			ck_assert(w > 0 && h > 0 && w <= IMGSIZE_MAX_DIM && h <= IMGSIZE_MAX_DIM);
		else
			ck_assert(w == 0 && h == 0);
	}
	ck_assert(!imgsize_of(NULL, 0, NULL, NULL, NULL));
}
END_TEST

START_TEST(test_format_names)
{
	ck_assert_str_eq(imgsize_format_name(IMG_UNKNOWN), "unknown");
	ck_assert_str_eq(imgsize_format_name(IMG_PNG), "png");
	ck_assert_str_eq(imgsize_format_name(IMG_GIF), "gif");
	ck_assert_str_eq(imgsize_format_name(IMG_BMP), "bmp");
	ck_assert_str_eq(imgsize_format_name(IMG_JPEG), "jpeg");
	ck_assert_str_eq(imgsize_format_name(IMG_WEBP), "webp");
	ck_assert_str_eq(imgsize_format_name(IMG_TIFF), "tiff");
	ck_assert_str_eq(imgsize_format_name(IMG_HEIF), "heif");
	ck_assert_str_eq(imgsize_format_name((enum imgsize_format)99), "unknown");
}
END_TEST

START_TEST(test_feed_after_done)
{
	size_t n;
	unsigned char *p = load("gif-1x1.gif", &n);
	struct imgsize s;
	imgsize_init(&s);
	imgsize_feed(&s, p, n);
	ck_assert(s.done);
	imgsize_feed(&s, (const unsigned char *)"\x89PNG", 4);
	imgsize_feed(&s, p, 0);
	ck_assert(imgsize_finish(&s));
	ck_assert(imgsize_finish(&s));
	ck_assert_uint_eq(s.width, 1);
	ck_assert_uint_eq(s.offset, n + 4);
	free(p);
}
END_TEST

/* ------------------------------------------------------------ built by hand */

struct bb {
	unsigned char p[300000];
	size_t n;
};

static struct bb *bb_new(void)
{
	struct bb *b = calloc(1, sizeof *b);
	ck_assert_ptr_nonnull(b);
	return b;
}

static void put(struct bb *b, const void *s, size_t n)
{
	ck_assert_uint_le(b->n + n, sizeof b->p);
	memcpy(b->p + b->n, s, n);
	b->n += n;
}

static void puts_(struct bb *b, const char *s) { put(b, s, strlen(s)); }
static void put8(struct bb *b, unsigned v) { unsigned char c = (unsigned char)v; put(b, &c, 1); }
static void fill(struct bb *b, unsigned v, size_t n) { while (n--) put8(b, v); }
static void be16w(struct bb *b, uint32_t v) { put8(b, v >> 8); put8(b, v); }
static void le16w(struct bb *b, uint32_t v) { put8(b, v); put8(b, v >> 8); }
static void be32w(struct bb *b, uint32_t v) { be16w(b, v >> 16); be16w(b, v & 0xffff); }
static void le32w(struct bb *b, uint32_t v) { le16w(b, v & 0xffff); le16w(b, v >> 16); }
static void le24w(struct bb *b, uint32_t v) { put8(b, v); put8(b, v >> 8); put8(b, v >> 16); }

/* Checks the buffer whole and byte by byte. */
static void expect(struct bb *b, const char *what, bool ok, uint32_t w, uint32_t h)
{
	struct result r1 = run_chunked(b->p, b->n, b->n ? b->n : 1);
	struct result r2 = run_chunked(b->p, b->n, 1);
	ck_assert_msg(r1.ok == ok && r1.w == w && r1.h == h, "%s: got ok=%d %ux%u", what,
	              r1.ok, r1.w, r1.h);
	ck_assert_msg(r2.ok == r1.ok && r2.w == r1.w && r2.h == r1.h, "%s: bytewise differs", what);
}

static void png(struct bb *b, uint32_t len, const char *type, uint32_t w, uint32_t h)
{
	b->n = 0;
	put(b, "\x89PNG\r\n\x1a\n", 8);
	be32w(b, len);
	puts_(b, type);
	be32w(b, w);
	be32w(b, h);
	put(b, "\x08\x02\0\0\0", 5);
	be32w(b, 0); /* CRC: not checked */
}

START_TEST(test_png_cases)
{
	struct bb *b = bb_new();
	png(b, 13, "IHDR", 1000000, 1);
	expect(b, "png max width", true, 1000000, 1);
	png(b, 13, "IHDR", 1000001, 1);
	expect(b, "png beyond max", false, 0, 0);
	png(b, 13, "IHDR", 0, 10);
	expect(b, "png zero width", false, 0, 0);
	png(b, 13, "IHDR", 0x80000000u, 10);
	expect(b, "png huge width", false, 0, 0);
	png(b, 12, "IHDR", 10, 10);
	expect(b, "png IHDR length 12", false, 0, 0);
	png(b, 13, "IDAT", 10, 10);
	expect(b, "png first chunk not IHDR", false, 0, 0);
	/* Apple CgBI chunk before IHDR */
	b->n = 0;
	put(b, "\x89PNG\r\n\x1a\n", 8);
	be32w(b, 4);
	puts_(b, "CgBI");
	be32w(b, 0x50002002);
	be32w(b, 0);
	be32w(b, 13);
	puts_(b, "IHDR");
	be32w(b, 750);
	be32w(b, 1334);
	put(b, "\x08\x06\0\0\0", 5);
	be32w(b, 0);
	expect(b, "png CgBI", true, 750, 1334);
	/* Signature damaged in the last byte */
	png(b, 13, "IHDR", 10, 10);
	b->p[7] = 0;
	expect(b, "png bad signature", false, 0, 0);
	free(b);
}
END_TEST

START_TEST(test_gif_cases)
{
	struct bb *b = bb_new();
	b->n = 0;
	puts_(b, "GIF87a");
	le16w(b, 65535);
	le16w(b, 2);
	put(b, "\0\0\0;", 4);
	expect(b, "gif87a", true, 65535, 2);
	b->p[4] = '8'; /* GIF88a does not exist */
	expect(b, "gif88a", false, 0, 0);
	b->n = 0;
	puts_(b, "GIF89a");
	le16w(b, 0);
	le16w(b, 5);
	put(b, "\0\0\0;", 4);
	expect(b, "gif zero width", false, 0, 0);
	free(b);
}
END_TEST

static void bmp(struct bb *b, uint32_t dib, int32_t w, int32_t h, unsigned planes)
{
	b->n = 0;
	puts_(b, "BM");
	le32w(b, 1000);
	le32w(b, 0);
	le32w(b, 54);
	le32w(b, dib);
	if (dib == 12) {
		le16w(b, (uint32_t)w);
		le16w(b, (uint32_t)h);
		le16w(b, planes);
		le16w(b, 24);
	} else {
		le32w(b, (uint32_t)w);
		le32w(b, (uint32_t)h);
		le16w(b, planes);
		le16w(b, 24);
		fill(b, 0, dib - 16);
	}
}

START_TEST(test_bmp_cases)
{
	struct bb *b = bb_new();
	bmp(b, 40, 640, -480, 1);
	expect(b, "bmp top-down", true, 640, 480);
	bmp(b, 40, 640, 480, 1);
	expect(b, "bmp bottom-up", true, 640, 480);
	bmp(b, 124, 3, 2, 1);
	expect(b, "bmp v5", true, 3, 2);
	bmp(b, 108, 3, 2, 1);
	expect(b, "bmp v4", true, 3, 2);
	bmp(b, 64, 3, 2, 1);
	expect(b, "bmp os/2 2.x", true, 3, 2);
	bmp(b, 12, 65535, 65535, 1);
	expect(b, "bmp core 16-bit", true, 65535, 65535);
	bmp(b, 40, -640, 480, 1);
	expect(b, "bmp negative width", false, 0, 0);
	bmp(b, 40, 640, INT32_MIN, 1);
	expect(b, "bmp INT32_MIN height", false, 0, 0);
	bmp(b, 40, 640, 480, 2);
	expect(b, "bmp planes 2", false, 0, 0);
	bmp(b, 12, 64, 64, 0);
	expect(b, "bmp core planes 0", false, 0, 0);
	bmp(b, 41, 640, 480, 1);
	expect(b, "bmp odd dib size", false, 0, 0);
	bmp(b, 40, 640, 0, 1);
	expect(b, "bmp zero height", false, 0, 0);
	free(b);
}
END_TEST

static void jpeg_seg(struct bb *b, unsigned marker, size_t payload, unsigned v)
{
	put8(b, 0xFF);
	put8(b, marker);
	be16w(b, (uint32_t)payload + 2);
	fill(b, v, payload);
}

static void jpeg_sof(struct bb *b, unsigned marker, uint32_t w, uint32_t h)
{
	put8(b, 0xFF);
	put8(b, marker);
	be16w(b, 11);
	put8(b, 8);
	be16w(b, h);
	be16w(b, w);
	put(b, "\x01\x01\x11\x00", 4);
}

START_TEST(test_jpeg_cases)
{
	struct bb *b = bb_new();

	/* Fill bytes, RST and TEM markers, a stuffed zero and junk between segments. */
	b->n = 0;
	put(b, "\xff\xd8", 2);
	jpeg_seg(b, 0xE0, 14, 0);
	put(b, "\xff\xff\xff", 3);
	jpeg_seg(b, 0xDB, 65, 1);
	put(b, "\xff\xd0\xff\x01\xff\x00junk", 10);
	jpeg_sof(b, 0xC2, 1024, 768);
	expect(b, "jpeg fill/rst/junk", true, 1024, 768);

	/* DHT, JPG and DAC payloads that look like frame headers are skipped. */
	static const unsigned not_sof[] = {0xC4, 0xC8, 0xCC};
	for (size_t i = 0; i < 3; i++) {
		b->n = 0;
		put(b, "\xff\xd8", 2);
		jpeg_sof(b, not_sof[i], 99, 99);
		jpeg_sof(b, 0xC1, 320, 200);
		expect(b, "jpeg non-SOF C4/C8/CC", true, 320, 200);
	}
	/* Every real SOFn is taken. */
	static const unsigned sof[] = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9,
	                               0xCA, 0xCB, 0xCD, 0xCE, 0xCF};
	for (size_t i = 0; i < sizeof sof / sizeof sof[0]; i++) {
		b->n = 0;
		put(b, "\xff\xd8", 2);
		jpeg_sof(b, sof[i], 17, 9);
		expect(b, "jpeg SOFn", true, 17, 9);
	}
	/* Scan or end before any frame header. */
	b->n = 0;
	put(b, "\xff\xd8", 2);
	jpeg_seg(b, 0xDA, 10, 0);
	jpeg_sof(b, 0xC0, 17, 9);
	expect(b, "jpeg SOS first", false, 0, 0);
	b->n = 0;
	put(b, "\xff\xd8\xff\xd9", 4);
	jpeg_sof(b, 0xC0, 17, 9);
	expect(b, "jpeg EOI first", false, 0, 0);
	/* Segment lengths below 2, SOF too short, height 0 (DNL). */
	b->n = 0;
	put(b, "\xff\xd8\xff\xe0\x00\x01", 6);
	jpeg_sof(b, 0xC0, 17, 9);
	expect(b, "jpeg length 1", false, 0, 0);
	b->n = 0;
	put(b, "\xff\xd8\xff\xc0\x00\x07\x08\x00\x10\x00\x10\x01", 12);
	expect(b, "jpeg short SOF", false, 0, 0);
	b->n = 0;
	put(b, "\xff\xd8", 2);
	jpeg_sof(b, 0xC0, 17, 0);
	expect(b, "jpeg height 0", false, 0, 0);
	/* A segment spanning beyond the window, then the frame. */
	b->n = 0;
	put(b, "\xff\xd8", 2);
	for (int i = 0; i < 4; i++)
		jpeg_seg(b, 0xE2, 65533, (unsigned)i);
	jpeg_sof(b, 0xC0, 4032, 3024);
	expect(b, "jpeg 4 x 64 KiB APP2", true, 4032, 3024);
	/* Too much junk between segments. */
	b->n = 0;
	put(b, "\xff\xd8", 2);
	jpeg_seg(b, 0xE0, 14, 0);
	fill(b, 0x11, 70000);
	jpeg_sof(b, 0xC0, 17, 9);
	expect(b, "jpeg 70000 junk bytes", false, 0, 0);
	b->n = 0;
	put(b, "\xff\xd8", 2);
	jpeg_seg(b, 0xE0, 14, 0);
	fill(b, 0x11, 60000);
	jpeg_sof(b, 0xC0, 17, 9);
	expect(b, "jpeg 60000 junk bytes", true, 17, 9);
	/* Not a JPEG: SOI without a following marker. */
	b->n = 0;
	put(b, "\xff\xd8\x00", 3);
	jpeg_sof(b, 0xC0, 17, 9);
	expect(b, "jpeg no marker after SOI", false, 0, 0);
	free(b);
}
END_TEST

static void webp(struct bb *b, const char *chunk)
{
	b->n = 0;
	puts_(b, "RIFF");
	le32w(b, 100);
	puts_(b, "WEBP");
	puts_(b, chunk);
	le32w(b, 30);
}

START_TEST(test_webp_cases)
{
	struct bb *b = bb_new();
	webp(b, "VP8 ");
	put(b, "\x50\x05\x00\x9d\x01\x2a", 6);
	le16w(b, 0x4000 | 1280); /* 2-bit scale above the 14-bit size */
	le16w(b, 0xC000 | 720);
	fill(b, 0, 10);
	expect(b, "webp vp8 scaled", true, 1280, 720);
	b->p[23] = 0x9c;
	expect(b, "webp vp8 bad start code", false, 0, 0);
	b->p[23] = 0x9d;
	b->p[20] |= 1; /* inter frame */
	expect(b, "webp vp8 not a key frame", false, 0, 0);

	webp(b, "VP8L");
	put8(b, 0x2f);
	le32w(b, (uint32_t)(16383 | 16383u << 14));
	fill(b, 0, 10);
	expect(b, "webp vp8l max", true, 16384, 16384);
	b->p[20] = 0x2e;
	expect(b, "webp vp8l bad signature", false, 0, 0);

	webp(b, "VP8X");
	put(b, "\x10\0\0\0", 4);
	le24w(b, 999999);
	le24w(b, 0);
	fill(b, 0, 10);
	expect(b, "webp vp8x", true, 1000000, 1);
	webp(b, "VP8X");
	put(b, "\x10\0\0\0", 4);
	le24w(b, 0xffffff);
	le24w(b, 5);
	fill(b, 0, 10);
	expect(b, "webp vp8x beyond max", false, 0, 0);

	webp(b, "ALPH");
	fill(b, 0, 20);
	expect(b, "webp unknown first chunk", false, 0, 0);
	webp(b, "VP8L");
	memcpy(b->p + 8, "WAVE", 4);
	expect(b, "riff wave", false, 0, 0);
	free(b);
}
END_TEST

static void tiff_entry(struct bb *b, bool be, uint32_t tag, uint32_t type, uint32_t v)
{
	void (*w16)(struct bb *, uint32_t) = be ? be16w : le16w;
	void (*w32)(struct bb *, uint32_t) = be ? be32w : le32w;
	w16(b, tag);
	w16(b, type);
	w32(b, 1);
	if (type == 3) {
		w16(b, v);
		w16(b, 0);
	} else {
		w32(b, v);
	}
}

/* Header, `gap` filler bytes, then an IFD with width/height of the given types. */
static void tiff(struct bb *b, bool be, size_t gap, uint32_t wtype, uint32_t w,
                 uint32_t htype, uint32_t h, uint32_t count)
{
	b->n = 0;
	put(b, be ? "MM\0*" : "II*\0", 4);
	(be ? be32w : le32w)(b, (uint32_t)(8 + gap));
	fill(b, 0xAB, gap);
	(be ? be16w : le16w)(b, count);
	tiff_entry(b, be, 254, 4, 0);
	tiff_entry(b, be, 256, wtype, w);
	tiff_entry(b, be, 257, htype, h);
	for (uint32_t i = 3; i < count; i++)
		tiff_entry(b, be, 258 + i, 3, 8);
	fill(b, 0, 4);
}

START_TEST(test_tiff_cases)
{
	struct bb *b = bb_new();
	tiff(b, false, 0, 3, 640, 4, 480, 3);
	expect(b, "tiff II short/long", true, 640, 480);
	tiff(b, true, 0, 4, 70000, 3, 65535, 3);
	expect(b, "tiff MM long/short", true, 70000, 65535);
	tiff(b, true, 60000, 3, 12, 3, 34, 3);
	expect(b, "tiff MM IFD at 60 KB", true, 12, 34);
	tiff(b, false, 200000, 3, 56, 3, 78, 3);
	expect(b, "tiff II IFD at 200 KB", true, 56, 78);
	tiff(b, false, 0, 3, 640, 4, 480, 400);
	expect(b, "tiff IFD larger than the window", true, 640, 480);
	tiff(b, false, 0, 5, 640, 4, 480, 3);
	expect(b, "tiff width RATIONAL", false, 0, 0);
	tiff(b, false, 0, 3, 640, 3, 480, 2);
	expect(b, "tiff without ImageLength", false, 0, 0);
	tiff(b, false, 0, 3, 640, 3, 480, 0);
	expect(b, "tiff empty IFD", false, 0, 0);
	tiff(b, false, 0, 3, 640, 3, 480, 3);
	b->p[4] = 4; /* IFD offset inside the header */
	expect(b, "tiff IFD offset 4", false, 0, 0);
	tiff(b, false, 0, 3, 640, 3, 480, 3);
	b->p[2] = 0x2b; /* BigTIFF */
	expect(b, "bigtiff", false, 0, 0);
	free(b);
}
END_TEST

static size_t box_begin(struct bb *b, const char *type)
{
	size_t at = b->n;
	be32w(b, 0);
	puts_(b, type);
	return at;
}

static void box_end(struct bb *b, size_t at)
{
	uint32_t size = (uint32_t)(b->n - at);
	b->p[at] = (unsigned char)(size >> 24);
	b->p[at + 1] = (unsigned char)(size >> 16);
	b->p[at + 2] = (unsigned char)(size >> 8);
	b->p[at + 3] = (unsigned char)size;
}

static void ispe(struct bb *b, uint32_t w, uint32_t h)
{
	size_t at = box_begin(b, "ispe");
	be32w(b, 0);
	be32w(b, w);
	be32w(b, h);
	box_end(b, at);
}

enum heif_opt {
	H_PLAIN = 0, H_NO_IPRP = 1, H_MP4 = 2, H_NO_PITM = 4, H_MDAT0 = 8, H_BIG_IPMA = 16,
	H_IPMA_V1_WIDE = 32, H_SHORT_BOX = 64, H_LARGESIZE_META = 128,
};

/* ftyp, meta{hdlr, pitm(2), iprp{ipco{ispe 4000x3000 (1), ispe 640x480 (2)}, ipma}} */
static void heif(struct bb *b, unsigned opt)
{
	b->n = 0;
	size_t f = box_begin(b, "ftyp");
	puts_(b, opt & H_MP4 ? "mp42" : "msf1");
	be32w(b, 0);
	puts_(b, opt & H_MP4 ? "isommp41" : "isomavif");
	box_end(b, f);
	if (opt & H_MDAT0) {
		box_begin(b, "mdat");
		fill(b, 0, 100); /* size 0: to the end of the file */
		return;
	}
	size_t m;
	if (opt & H_LARGESIZE_META) {
		m = b->n;
		be32w(b, 1);
		puts_(b, "meta");
		fill(b, 0, 8); /* patched below */
	} else {
		m = box_begin(b, "meta");
	}
	be32w(b, 0);
	size_t h = box_begin(b, "hdlr");
	fill(b, 0, 25);
	box_end(b, h);
	if (!(opt & H_NO_PITM)) {
		size_t p = box_begin(b, "pitm");
		be32w(b, 0);
		be16w(b, 2);
		box_end(b, p);
	}
	if (opt & H_SHORT_BOX) {
		be32w(b, 4); /* smaller than its own header */
		puts_(b, "free");
	}
	if (!(opt & H_NO_IPRP)) {
		size_t r = box_begin(b, "iprp");
		size_t c = box_begin(b, "ipco");
		ispe(b, 4000, 3000);
		ispe(b, 640, 480);
		box_end(b, c);
		size_t a = box_begin(b, "ipma");
		bool v1 = (opt & H_IPMA_V1_WIDE) != 0;
		be32w(b, v1 ? 0x01000001u : 0);
		uint32_t items = opt & H_BIG_IPMA ? 2000 : 2;
		be32w(b, items);
		for (uint32_t i = 0; i < items; i++) {
			uint32_t item = i == items - 1 ? 2 : (i == 0 ? 1 : 100 + i);
			if (v1)
				be32w(b, item);
			else
				be16w(b, item);
			put8(b, 1);
			uint32_t prop = item == 2 ? 2 : 1;
			if (v1)
				be16w(b, 0x8000 | prop);
			else
				put8(b, 0x80 | prop);
		}
		box_end(b, a);
		box_end(b, r);
	}
	if (opt & H_LARGESIZE_META) {
		uint64_t size = b->n - m;
		for (int i = 0; i < 8; i++)
			b->p[m + 8 + i] = (unsigned char)(size >> (56 - 8 * i));
	} else {
		box_end(b, m);
	}
	size_t d = box_begin(b, "mdat");
	fill(b, 0, 64);
	box_end(b, d);
}

START_TEST(test_heif_cases)
{
	struct bb *b = bb_new();
	heif(b, H_PLAIN);
	expect(b, "heif primary", true, 640, 480);
	heif(b, H_IPMA_V1_WIDE);
	expect(b, "heif ipma v1 wide", true, 640, 480);
	heif(b, H_LARGESIZE_META);
	expect(b, "heif 64-bit meta", true, 640, 480);
	heif(b, H_NO_PITM);
	expect(b, "heif no pitm: largest ispe", true, 4000, 3000);
	heif(b, H_BIG_IPMA);
	expect(b, "heif ipma beyond the window: largest ispe", true, 4000, 3000);
	heif(b, H_NO_IPRP);
	expect(b, "heif without iprp", false, 0, 0);
	heif(b, H_MP4);
	expect(b, "mp4 brands", false, 0, 0);
	heif(b, H_MDAT0);
	expect(b, "heif mdat to end of file first", false, 0, 0);
	heif(b, H_SHORT_BOX);
	expect(b, "heif box smaller than its header", false, 0, 0);
	heif(b, H_PLAIN);
	b->p[3] = 200; /* ftyp size beyond the data */
	expect(b, "heif ftyp too long", false, 0, 0);
	free(b);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("imgsize");
	TCase *tc = tcase_create("files");
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_file_sizes, 0, (int)(sizeof files / sizeof files[0]));
	tcase_add_loop_test(tc, test_file_prefixes, 0, (int)(sizeof files / sizeof files[0]));
	tcase_add_test(tc, test_jpeg_big_app_streamed);
	tcase_add_test(tc, test_garbage);
	tcase_add_test(tc, test_format_names);
	tcase_add_test(tc, test_feed_after_done);
	suite_add_tcase(s, tc);
	tc = tcase_create("cases");
	tcase_add_test(tc, test_png_cases);
	tcase_add_test(tc, test_gif_cases);
	tcase_add_test(tc, test_bmp_cases);
	tcase_add_test(tc, test_jpeg_cases);
	tcase_add_test(tc, test_webp_cases);
	tcase_add_test(tc, test_tiff_cases);
	tcase_add_test(tc, test_heif_cases);
	suite_add_tcase(s, tc);
	return s;
}

#include "check_main.h"
