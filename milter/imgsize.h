/*
 * imgsize: image width x height from the image's own header, by small
 * readers of our own: PNG (IHDR), GIF (logical screen), BMP (DIB header),
 * JPEG (SOFn marker, found by skipping segments by their lengths, so a
 * large EXIF/ICC block before it costs nothing), WebP (VP8, VP8L, VP8X),
 * TIFF (IFD 0 ImageWidth/ImageLength, both byte orders) and HEIF/AVIF
 * (the 'ispe' property in meta/iprp/ipco).
 *
 * Streaming: fed the decoded bytes of a part in any pieces; keeps a small
 * fixed buffer (IMGSIZE_WINDOW) and skips what it does not need, so that
 * memory does not depend on the image size.  Garbage and truncated input
 * yield "unknown", never a crash.
 */
#ifndef SM_IMGSIZE_H
#define SM_IMGSIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IMGSIZE_WINDOW 4096

enum imgsize_format {
	IMG_UNKNOWN = 0, IMG_PNG, IMG_GIF, IMG_BMP, IMG_JPEG, IMG_WEBP, IMG_TIFF, IMG_HEIF
};

struct imgsize {
	enum imgsize_format format;
	bool done;           /* dimensions found, or given up */
	uint32_t width, height;
	/* private state */
	uint64_t offset;     /* bytes seen so far */
	uint64_t skip_until; /* JPEG/HEIF: ignore bytes before this offset */
	unsigned char win[IMGSIZE_WINDOW];
	size_t nwin;
	uint64_t win_start;  /* file offset of win[0] */
	int state;
};

void imgsize_init(struct imgsize *s);
void imgsize_feed(struct imgsize *s, const unsigned char *p, size_t n);
/* Ends the input; returns true if width and height are known. */
bool imgsize_finish(struct imgsize *s);
/* One-shot helper for a whole buffer. */
bool imgsize_of(const unsigned char *p, size_t n, uint32_t *w, uint32_t *h, enum imgsize_format *fmt);
const char *imgsize_format_name(enum imgsize_format f); /* "png", ... */

#endif
