/*
 * attach: the record of one non-text part (attachment or inline image).
 * Fed the part's headers (mime_part_info) and its decoded bytes, it keeps
 * the first max_sniff bytes for libmagic, streams the bytes through
 * imgsize until it is done, counts the decoded size (or is told it, when
 * the feeder stopped early: attach_wants_more), and at the end decides:
 *
 *   detected   libmagic's MIME type of the first bytes;
 *   width/height from imgsize (libmagic's description as a fallback);
 *   mismatch   the declared type or the file name's extension disagrees
 *              with the detected type.  application/octet-stream (and an
 *              absent type) is generic and no mismatch by itself; aliases
 *              agree (image/jpg ~ image/jpeg, .jpg/.jpeg/.jpe, .tif/.tiff,
 *              .heic/.heif ~ image/heic/heif/avif); containers and
 *              message/text parts are never a mismatch.
 *   is_image   the detected type is an image type ("image/...").
 *
 * Type families (attach.c's table) decide agreement: PNG, JPEG, GIF, BMP,
 * WebP, TIFF, HEIF/AVIF, ICO, SVG, PDF, ZIP (with OOXML/ODF), OLE (old
 * Office), executables, RTF, text.  A declared type or extension outside
 * the table is not judged; a detected application/octet-stream or
 * application/x-empty (libmagic could not tell) is never a mismatch.
 * The extension is taken from the full file name even when the stored
 * filename had to be cut.  max_sniff below ATTACH_MIN_SNIFF is raised to it.
 */
#ifndef SM_ATTACH_H
#define SM_ATTACH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "imgsize.h"

struct mime_part_info;

#define ATTACH_TYPE_MAX 96
#define ATTACH_NAME_MAX 256
#define ATTACH_CID_MAX 128
#define ATTACH_MIN_SNIFF 512

struct attachment {
	char declared_type[ATTACH_TYPE_MAX]; /* "" when no Content-Type */
	char detected_type[ATTACH_TYPE_MAX];
	char filename[ATTACH_NAME_MAX];      /* UTF-8, "" when none */
	char content_id[ATTACH_CID_MAX];
	uint64_t size;                       /* decoded bytes */
	uint32_t width, height;              /* 0 when unknown */
	bool is_inline;                      /* Content-Disposition inline, or a Content-ID without disposition */
	bool is_image;
	bool mismatch;
	unsigned depth;
	bool in_message;                     /* inside a forwarded message */
};

struct attach_scanner;

struct attach_scanner *attach_new(size_t max_sniff);
void attach_free(struct attach_scanner *a);
void attach_begin(struct attach_scanner *a, const struct mime_part_info *part);
void attach_data(struct attach_scanner *a, const unsigned char *p, size_t n);
/* false once more bytes of this part cannot change the record but its
 * size: the sniff buffer is full and imgsize is done (dimensions found
 * or given up).  The feeder may then stop calling attach_data, and must
 * give the part's full decoded size to attach_set_size before attach_end. */
bool attach_wants_more(const struct attach_scanner *a);
/* The part's decoded size, when not every byte went through attach_data
 * (replaces the count of bytes fed; ignored when smaller than it). */
void attach_set_size(struct attach_scanner *a, uint64_t size);
/* Finishes the part and fills out. */
void attach_end(struct attach_scanner *a, struct attachment *out);

/* Exposed for tests: does declared type / file name disagree with detected?
 * declared may be "" or NULL (absent), filename "" or NULL (none). */
bool attach_is_mismatch(const char *declared, const char *filename, const char *detected);

/* Exposed for tests: the image size in a libmagic description ("PNG image
 * data, 1920 x 1080, ...", "..., 1280x720, ...", TIFF "height=H ... width=W");
 * fields such as "density 72x72" are not sizes.  false when none. */
bool attach_size_from_description(const char *desc, uint32_t *w, uint32_t *h);

/* A screenshot candidate: is_image and width >= min_w and height >= min_h,
 * taken literally (no rotation): 828x1792 passes 200x100, 100x200 does not. */
bool attach_is_screenshot(const struct attachment *a, uint32_t min_w, uint32_t min_h);

#endif
