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
 * yield "unknown", never a crash.  The result does not depend on how the
 * input is cut into pieces.
 *
 * Reported sizes are the stored ones (no EXIF orientation, no HEIF irot);
 * 0 or more than IMGSIZE_MAX_DIM in either direction counts as unknown.
 * A TIFF IFD or a HEIF meta box may lie anywhere in the stream: it is
 * reached by skipping forward, never by buffering what lies before it.
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

/* Largest width or height believed; beyond it the header is taken as junk. */
#define IMGSIZE_MAX_DIM 1000000u
/* HEIF: ispe properties remembered, and properties of the primary item. */
#define IMGSIZE_HEIF_ISPE 16
#define IMGSIZE_HEIF_ASSOC 32
#define IMGSIZE_HEIF_DEPTH 4

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
	size_t need;         /* bytes wanted in win before the next step */
	uint64_t pos;        /* format cursor (file offset) */
	uint32_t junk;       /* JPEG: stray bytes between segments */
	uint32_t aux;        /* JPEG: current marker; HEIF: current property index */
	bool big_endian;     /* TIFF */
	struct {             /* HEIF box walk (no recursion: a stack of ends) */
		uint64_t end[IMGSIZE_HEIF_DEPTH];
		unsigned depth;
		uint32_t prop_index;    /* 1-based index of the next ipco child */
		uint32_t primary;       /* pitm item_ID */
		bool has_primary, has_ipma;
		uint16_t assoc[IMGSIZE_HEIF_ASSOC]; /* primary's property indices */
		unsigned nassoc;
		struct { uint32_t index, w, h; } ispe[IMGSIZE_HEIF_ISPE];
		unsigned nispe;
		uint32_t big_w, big_h;  /* largest ispe seen (fallback) */
	} heif;
};

void imgsize_init(struct imgsize *s);
void imgsize_feed(struct imgsize *s, const unsigned char *p, size_t n);
/* Ends the input; returns true if width and height are known. */
bool imgsize_finish(struct imgsize *s);
/* One-shot helper for a whole buffer. */
bool imgsize_of(const unsigned char *p, size_t n, uint32_t *w, uint32_t *h, enum imgsize_format *fmt);
const char *imgsize_format_name(enum imgsize_format f); /* "png", ... */

#endif
