/*
 * attach: one record per non-text leaf part (attachment or inline image).
 *
 * Inputs: the part's parsed headers (attach_begin), its decoded bytes in
 * pieces of any size (attach_data), until attach_wants_more says that
 * the rest cannot change the record; then the full size (attach_set_size).  Output: struct attachment
 * (attach_end): declared and detected type, file name, Content-ID, decoded
 * size, image size, inline/image/mismatch flags.
 *
 * Memory: the sniff buffer (max_sniff bytes) is allocated once per scanner
 * and reused for every part; imgsize keeps its own fixed window.  A 50 MB
 * part costs what a 50 KB one does.
 *
 * Typing: libmagic on the first max_sniff bytes (magic.c, a pool of
 * handles).  Image size: imgsize over the bytes (it ignores the rest once
 * it knows or gives up); only if that fails and libmagic says image/...,
 * the size in libmagic's description.
 *
 * Mismatch: a small table maps MIME types and file-name extensions to
 * families; declared type or extension in a family other than the
 * detected type's family disagrees (see attach.h for what is not judged).
 *
 * Failure: nothing here fails a message: a libmagic failure gives
 * application/octet-stream (never a mismatch, never an image); attach_new
 * returns NULL only when out of memory.
 */
#include "autoconfig.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "attach.h"
#include "magic.h"
#include "mime.h"

#define EXT_MAX 12 /* longest extension kept ("jfif", "docx" ...) */
#define DESC_MAX 512

struct attach_scanner {
	size_t max_sniff;
	unsigned char *sniff;
	size_t nsniff;
	bool active;             /* between attach_begin and attach_end */
	char ext[EXT_MAX + 1];   /* lower-case, from the full file name */
	struct attachment cur;
	struct imgsize img;
};

/* ------------------------------------------------------------ families */

enum family {
	F_NONE = 0, F_PNG, F_JPEG, F_GIF, F_BMP, F_WEBP, F_TIFF, F_HEIF, F_ICO,
	F_SVG, F_PDF, F_ZIP, F_OLE, F_EXE, F_RTF, F_TEXT,
};

struct type_row {
	const char *type;
	enum family f;
};

/* Exact types (compared case-insensitively: libmagic says application/CDFV2). */
static const struct type_row type_exact[] = {
	{"image/png", F_PNG}, {"image/apng", F_PNG}, {"image/x-png", F_PNG},
	{"image/vnd.mozilla.apng", F_PNG},
	{"image/jpeg", F_JPEG}, {"image/jpg", F_JPEG}, {"image/pjpeg", F_JPEG},
	{"image/gif", F_GIF},
	{"image/bmp", F_BMP}, {"image/x-ms-bmp", F_BMP}, {"image/x-bmp", F_BMP},
	{"image/x-windows-bmp", F_BMP},
	{"image/webp", F_WEBP},
	{"image/tiff", F_TIFF}, {"image/x-tiff", F_TIFF},
	{"image/heic", F_HEIF}, {"image/heif", F_HEIF}, {"image/avif", F_HEIF},
	{"image/heic-sequence", F_HEIF}, {"image/heif-sequence", F_HEIF},
	{"image/avif-sequence", F_HEIF},
	{"image/x-icon", F_ICO}, {"image/vnd.microsoft.icon", F_ICO},
	{"image/svg+xml", F_SVG},
	{"application/pdf", F_PDF}, {"application/x-pdf", F_PDF},
	{"application/zip", F_ZIP}, {"application/x-zip-compressed", F_ZIP},
	{"application/x-zip", F_ZIP}, {"application/java-archive", F_ZIP},
	{"application/epub+zip", F_ZIP},
	{"application/msword", F_OLE}, {"application/vnd.ms-excel", F_OLE},
	{"application/vnd.ms-powerpoint", F_OLE}, {"application/vnd.ms-outlook", F_OLE},
	{"application/vnd.ms-office", F_OLE}, {"application/x-ole-storage", F_OLE},
	{"application/cdfv2", F_OLE}, {"application/x-msi", F_OLE},
	{"application/vnd.visio", F_OLE},
	{"application/x-dosexec", F_EXE}, {"application/x-msdownload", F_EXE},
	{"application/vnd.microsoft.portable-executable", F_EXE},
	{"application/x-executable", F_EXE}, {"application/x-ms-dos-executable", F_EXE},
	{"application/x-msdos-program", F_EXE}, {"application/x-sharedlib", F_EXE},
	{"application/x-pie-executable", F_EXE},
	{"text/rtf", F_RTF}, {"application/rtf", F_RTF},
	{"application/json", F_TEXT}, {"application/xml", F_TEXT},
	{"application/csv", F_TEXT},
};

/* Type prefixes: the OOXML / ODF zoo is a family of ZIP containers. */
static const struct type_row type_prefix[] = {
	{"application/vnd.openxmlformats-officedocument.", F_ZIP},
	{"application/vnd.ms-excel.sheet.macroenabled", F_ZIP},
	{"application/vnd.ms-excel.sheet.binary.macroenabled", F_ZIP},
	{"application/vnd.ms-word.document.macroenabled", F_ZIP},
	{"application/vnd.ms-powerpoint.presentation.macroenabled", F_ZIP},
	{"application/vnd.oasis.opendocument.", F_ZIP},
	{"text/", F_TEXT},
};

static const struct {
	const char *ext;
	enum family f;
} ext_table[] = {
	{"png", F_PNG}, {"apng", F_PNG},
	{"jpg", F_JPEG}, {"jpeg", F_JPEG}, {"jpe", F_JPEG}, {"jfif", F_JPEG},
	{"gif", F_GIF},
	{"bmp", F_BMP}, {"dib", F_BMP},
	{"webp", F_WEBP},
	{"tif", F_TIFF}, {"tiff", F_TIFF},
	{"heic", F_HEIF}, {"heif", F_HEIF}, {"avif", F_HEIF}, {"hif", F_HEIF},
	{"ico", F_ICO},
	{"svg", F_SVG},
	{"pdf", F_PDF},
	{"zip", F_ZIP}, {"docx", F_ZIP}, {"xlsx", F_ZIP}, {"pptx", F_ZIP},
	{"docm", F_ZIP}, {"xlsm", F_ZIP}, {"pptm", F_ZIP}, {"dotx", F_ZIP},
	{"xltx", F_ZIP}, {"ppsx", F_ZIP}, {"odt", F_ZIP}, {"ods", F_ZIP},
	{"odp", F_ZIP}, {"jar", F_ZIP}, {"epub", F_ZIP},
	{"doc", F_OLE}, {"xls", F_OLE}, {"ppt", F_OLE}, {"dot", F_OLE},
	{"xlt", F_OLE}, {"pps", F_OLE}, {"msg", F_OLE}, {"msi", F_OLE},
	{"exe", F_EXE}, {"dll", F_EXE}, {"scr", F_EXE}, {"cpl", F_EXE},
	{"rtf", F_RTF},
	{"txt", F_TEXT}, {"text", F_TEXT}, {"log", F_TEXT}, {"csv", F_TEXT},
	{"tsv", F_TEXT}, {"json", F_TEXT}, {"xml", F_TEXT}, {"html", F_TEXT},
	{"htm", F_TEXT}, {"md", F_TEXT}, {"ini", F_TEXT}, {"cfg", F_TEXT},
	{"conf", F_TEXT}, {"ics", F_TEXT}, {"vcf", F_TEXT}, {"yaml", F_TEXT},
	{"yml", F_TEXT}, {"sql", F_TEXT},
};

/* Declared types that say nothing about the content. */
static const char *const generic_types[] = {
	"application/octet-stream", "binary/octet-stream", "application/binary",
	"application/unknown", "application/download", "application/x-download",
	"application/force-download",
};

/* "type/subtype" of s without parameters or white space, into out. */
static void bare_type(const char *s, char *out, size_t outsz)
{
	size_t n = 0;
	if (s)
		while (*s == ' ' || *s == '\t')
			s++;
	while (s && *s && *s != ';' && *s != ' ' && *s != '\t' && n + 1 < outsz)
		out[n++] = (char)tolower((unsigned char)*s++);
	out[n] = '\0';
}

static enum family type_family(const char *t)
{
	for (size_t i = 0; i < sizeof type_exact / sizeof type_exact[0]; i++)
		if (strcasecmp(t, type_exact[i].type) == 0)
			return type_exact[i].f;
	for (size_t i = 0; i < sizeof type_prefix / sizeof type_prefix[0]; i++)
		if (strncasecmp(t, type_prefix[i].type, strlen(type_prefix[i].type)) == 0)
			return type_prefix[i].f;
	return F_NONE;
}

static enum family ext_family(const char *ext)
{
	for (size_t i = 0; i < sizeof ext_table / sizeof ext_table[0]; i++)
		if (strcmp(ext, ext_table[i].ext) == 0)
			return ext_table[i].f;
	return F_NONE;
}

/* Lower-case extension of a file name into ext ("" when none or too long).
 * Trailing dots and spaces are dropped, as Windows does when it opens the
 * file ("x.exe. " runs as x.exe). */
static void file_ext(const char *name, char *ext, size_t extsz)
{
	ext[0] = '\0';
	if (!name)
		return;
	size_t end = strlen(name);
	while (end > 0 && (name[end - 1] == '.' || name[end - 1] == ' '))
		end--;
	size_t dot = end;
	while (dot > 0 && name[dot - 1] != '.' && name[dot - 1] != '/' && name[dot - 1] != '\\')
		dot--;
	if (dot == 0 || name[dot - 1] != '.')
		return;
	size_t len = end - dot;
	if (len == 0 || len >= extsz)
		return;
	for (size_t i = 0; i < len; i++)
		ext[i] = (char)tolower((unsigned char)name[dot + i]);
	ext[len] = '\0';
}

static bool is_text_like(enum family f)
{
	return f == F_TEXT || f == F_SVG || f == F_RTF;
}

/* Does content of family `det` (detected type string dt) agree with
 * something that claims family `claim`? */
static bool agrees(enum family claim, enum family det)
{
	if (claim == det)
		return true;
	/* Text formats are often typed as plain text by libmagic. */
	return is_text_like(claim) && det == F_TEXT;
}

static const char *major_end(const char *t)
{
	const char *slash = strchr(t, '/');
	return slash ? slash : t + strlen(t);
}

static bool declared_disagrees(const char *decl, const char *det, enum family det_f)
{
	enum family df = type_family(decl);
	if (df != F_NONE)
		return !agrees(df, det_f);
	/* A type we have no family for: judge only a media type that says
	 * image/audio/video against content we do know to be something else. */
	if (strcasecmp(decl, det) == 0 || det_f == F_NONE)
		return false;
	size_t ml = (size_t)(major_end(decl) - decl);
	bool media = (ml == 5 && strncmp(decl, "image", 5) == 0) ||
	             (ml == 5 && strncmp(decl, "audio", 5) == 0) ||
	             (ml == 5 && strncmp(decl, "video", 5) == 0);
	if (!media)
		return false;
	size_t dl = (size_t)(major_end(det) - det);
	return !(dl == ml && strncasecmp(decl, det, ml) == 0);
}

static bool mismatch_ext(const char *declared, const char *ext, const char *detected)
{
	char decl[ATTACH_TYPE_MAX], det[ATTACH_TYPE_MAX];
	bare_type(declared, decl, sizeof decl);
	bare_type(detected, det, sizeof det);

	if (!det[0] || strcmp(det, "application/octet-stream") == 0 ||
	    strcmp(det, "application/x-empty") == 0 || strcmp(det, "inode/x-empty") == 0)
		return false;
	/* Text and structure parts are never a mismatch (corpus convention). */
	if (strncmp(decl, "text/", 5) == 0 || strncmp(decl, "message/", 8) == 0 ||
	    strncmp(decl, "multipart/", 10) == 0)
		return false;

	enum family det_f = type_family(det);
	bool generic = !decl[0];
	for (size_t i = 0; !generic && i < sizeof generic_types / sizeof generic_types[0]; i++)
		generic = strcmp(decl, generic_types[i]) == 0;
	if (!generic && declared_disagrees(decl, det, det_f))
		return true;

	enum family ef = ext[0] ? ext_family(ext) : F_NONE;
	return ef != F_NONE && !agrees(ef, det_f);
}

bool attach_is_mismatch(const char *declared, const char *filename, const char *detected)
{
	char ext[EXT_MAX + 1];
	file_ext(filename, ext, sizeof ext);
	return mismatch_ext(declared, ext, detected);
}

bool attach_is_screenshot(const struct attachment *a, uint32_t min_w, uint32_t min_h)
{
	return a && a->is_image && a->width >= min_w && a->height >= min_h &&
	       a->width > 0 && a->height > 0;
}

/* ------------------------------------------------------------ description */

static bool parse_dim(const char **s, uint32_t *v)
{
	const char *p = *s;
	uint64_t x = 0;
	if (*p == '-') /* BMP: negative height = top-down rows */
		p++;
	if (!isdigit((unsigned char)*p))
		return false;
	while (isdigit((unsigned char)*p)) {
		x = x * 10 + (uint64_t)(*p++ - '0');
		if (x > IMGSIZE_MAX_DIM)
			return false;
	}
	*v = (uint32_t)x;
	*s = p;
	return x > 0;
}

/* One comma-separated field of a description that is just a size:
 * "1920 x 1080", "1280x720", "40 x -20 x 24" (BMP adds the bit depth). */
static bool field_size(const char *f, const char *end, uint32_t *w, uint32_t *h)
{
	const char *p = f;
	while (p < end && *p == ' ')
		p++;
	if (!parse_dim(&p, w))
		return false;
	while (*p == ' ')
		p++;
	if (*p++ != 'x')
		return false;
	while (*p == ' ')
		p++;
	if (!parse_dim(&p, h))
		return false;
	if (p < end && p[0] == ' ' && p[1] == 'x') /* " x 24" bit depth */
		return true;
	while (p < end && *p == ' ')
		p++;
	return p == end;
}

/* TIFF: "..., height=50, ..., width=100". */
static bool field_kv(const char *f, const char *end, const char *key, uint32_t *v)
{
	while (f < end && *f == ' ')
		f++;
	size_t kl = strlen(key);
	if ((size_t)(end - f) <= kl || strncmp(f, key, kl) != 0)
		return false;
	const char *p = f + kl;
	return parse_dim(&p, v) && p == end;
}

bool attach_size_from_description(const char *d, uint32_t *w, uint32_t *h)
{
	if (!d)
		return false;
	uint32_t kw = 0, kh = 0;
	const char *f = d;
	for (;;) {
		const char *end = strchr(f, ',');
		if (!end)
			end = f + strlen(f);
		uint32_t a, b;
		if (field_size(f, end, &a, &b)) {
			*w = a;
			*h = b;
			return true;
		}
		if (field_kv(f, end, "width=", &a))
			kw = a;
		if (field_kv(f, end, "height=", &b))
			kh = b;
		if (!*end)
			break;
		f = end + 1;
	}
	if (kw && kh) {
		*w = kw;
		*h = kh;
		return true;
	}
	return false;
}

/* ------------------------------------------------------------ scanner */

static void copy_str(char *dst, size_t dstsz, const char *src)
{
	size_t n = src ? strlen(src) : 0;
	if (n >= dstsz) {
		n = dstsz - 1;
		/* Do not leave half a UTF-8 sequence at the cut. */
		while (n > 0 && ((unsigned char)src[n] & 0xC0) == 0x80)
			n--;
	}
	if (n)
		memcpy(dst, src, n);
	dst[n] = '\0';
}

struct attach_scanner *attach_new(size_t max_sniff)
{
	struct attach_scanner *a = calloc(1, sizeof *a);
	if (!a)
		return NULL;
	a->max_sniff = max_sniff < ATTACH_MIN_SNIFF ? ATTACH_MIN_SNIFF : max_sniff;
	a->sniff = malloc(a->max_sniff);
	if (!a->sniff) {
		free(a);
		return NULL;
	}
	return a;
}

void attach_free(struct attach_scanner *a)
{
	if (!a)
		return;
	free(a->sniff);
	free(a);
}

void attach_begin(struct attach_scanner *a, const struct mime_part_info *part)
{
	if (!a)
		return;
	memset(&a->cur, 0, sizeof a->cur);
	a->nsniff = 0;
	a->ext[0] = '\0';
	imgsize_init(&a->img);
	a->active = true;
	if (!part)
		return;
	if (part->type_declared)
		bare_type(part->content_type, a->cur.declared_type, sizeof a->cur.declared_type);
	copy_str(a->cur.filename, sizeof a->cur.filename, part->filename);
	file_ext(part->filename, a->ext, sizeof a->ext);
	copy_str(a->cur.content_id, sizeof a->cur.content_id, part->content_id);
	a->cur.is_inline = part->disposition ? strcasecmp(part->disposition, "inline") == 0
	                                     : part->content_id != NULL;
	a->cur.depth = part->depth;
	a->cur.in_message = part->in_message;
}

void attach_data(struct attach_scanner *a, const unsigned char *p, size_t n)
{
	if (!a || !a->active || !p || n == 0)
		return;
	if (a->nsniff < a->max_sniff) {
		size_t k = a->max_sniff - a->nsniff;
		if (k > n)
			k = n;
		memcpy(a->sniff + a->nsniff, p, k);
		a->nsniff += k;
	}
	imgsize_feed(&a->img, p, n);
	a->cur.size += n;
}

bool attach_wants_more(const struct attach_scanner *a)
{
	if (!a || !a->active)
		return false;
	return a->nsniff < a->max_sniff || !a->img.done;
}

void attach_set_size(struct attach_scanner *a, uint64_t size)
{
	if (a && a->active && size > a->cur.size)
		a->cur.size = size;
}

void attach_end(struct attach_scanner *a, struct attachment *out)
{
	if (!a || !out)
		return;
	if (!a->active) { /* no attach_begin: an empty, untyped record */
		memset(out, 0, sizeof *out);
		copy_str(out->detected_type, sizeof out->detected_type, "application/x-empty");
		return;
	}
	struct attachment *c = &a->cur;
	if (c->size == 0)
		copy_str(c->detected_type, sizeof c->detected_type, "application/x-empty");
	else
		magic_mime_type(a->sniff, a->nsniff, c->detected_type, sizeof c->detected_type);
	c->is_image = strncmp(c->detected_type, "image/", 6) == 0;

	bool known = imgsize_finish(&a->img);
	if (c->is_image) {
		if (known) {
			c->width = a->img.width;
			c->height = a->img.height;
		} else {
			char desc[DESC_MAX];
			uint32_t w, h;
			if (magic_describe(a->sniff, a->nsniff, desc, sizeof desc) &&
			    attach_size_from_description(desc, &w, &h)) {
				c->width = w;
				c->height = h;
			}
		}
	}
	c->mismatch = mismatch_ext(c->declared_type, a->ext, c->detected_type);
	*out = *c;
	a->active = false;
}
