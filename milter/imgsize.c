/*
 * imgsize: width x height of PNG, GIF, BMP, JPEG, WebP, TIFF and HEIF/AVIF
 * images from their own headers, read as a forward-only stream.
 *
 * Inputs: the decoded bytes of one part, in pieces of any size.  Output:
 * format, width, height (0 x 0 when unknown).
 *
 * How: every reader is a small state machine that asks for "len bytes at
 * file offset at" (want()).  Bytes before that offset are skipped without
 * being stored; the wanted bytes are collected in the fixed window of
 * struct imgsize (IMGSIZE_WINDOW) and the next step runs once they are all
 * there.  So a step sees the same bytes however the input was cut, a
 * 200 KB EXIF block or a multi-megabyte mdat costs nothing, and memory is
 * the struct alone.  A reader never asks for an offset behind the window
 * (the stream cannot be rewound); a structure that would need that, or
 * more than the window, is "unknown".
 *
 * Limits and failure: every length field is checked against the window
 * and its container before use; sizes of 0 or beyond IMGSIZE_MAX_DIM are
 * unknown; a JPEG with more than JPEG_MAX_JUNK stray bytes between
 * segments is abandoned.  Nothing here allocates, logs or recurses.
 */
#include "autoconfig.h"

#include <string.h>

#include "imgsize.h"

#define DETECT_LEN 12
#define JPEG_MAX_JUNK 65536u
#define HEIF_FTYP_MAX 1024u

enum state {
	ST_DETECT = 0,
	ST_PNG_CHUNK, ST_PNG_IHDR,
	ST_BMP_DIB, ST_BMP,
	ST_WEBP,
	ST_JPEG_FF, ST_JPEG_CODE, ST_JPEG_LEN, ST_JPEG_SOF,
	ST_TIFF_COUNT, ST_TIFF_ENTRIES,
	ST_HEIF_FTYP, ST_HEIF_BOX, ST_HEIF_LARGE,
	ST_HEIF_PITM, ST_HEIF_IPMA, ST_HEIF_ISPE,
};

/* ------------------------------------------------------------ bytes */

static uint32_t be16(const unsigned char *p) { return (uint32_t)p[0] << 8 | p[1]; }
static uint32_t le16(const unsigned char *p) { return (uint32_t)p[1] << 8 | p[0]; }
static uint32_t le24(const unsigned char *p) { return (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0]; }

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

static uint64_t be64(const unsigned char *p)
{
	return (uint64_t)be32(p) << 32 | be32(p + 4);
}

/* TIFF fields follow the file's byte order. */
static uint32_t t16(const struct imgsize *s, const unsigned char *p)
{
	return s->big_endian ? be16(p) : le16(p);
}

static uint32_t t32(const struct imgsize *s, const unsigned char *p)
{
	return s->big_endian ? be32(p) : le32(p);
}

/* ------------------------------------------------------------ window */

static void give_up(struct imgsize *s)
{
	s->done = true;
	s->width = s->height = 0;
}

static void found(struct imgsize *s, uint32_t w, uint32_t h)
{
	s->done = true;
	if (w == 0 || h == 0 || w > IMGSIZE_MAX_DIM || h > IMGSIZE_MAX_DIM) {
		s->width = s->height = 0;
		return;
	}
	s->width = w;
	s->height = h;
}

/* The next step needs bytes [at, at+len).  What the window already holds
 * from `at` on is kept; anything before `at` that has not arrived yet is
 * skipped as it streams past. */
static void want(struct imgsize *s, uint64_t at, size_t len, int state)
{
	if (len == 0 || len > IMGSIZE_WINDOW || at < s->win_start) {
		give_up(s);
		return;
	}
	uint64_t have_end = s->win_start + s->nwin;
	if (at < have_end) {
		size_t k = (size_t)(at - s->win_start);
		memmove(s->win, s->win + k, s->nwin - k);
		s->nwin -= k;
	} else {
		s->nwin = 0;
		s->skip_until = at;
	}
	s->win_start = at;
	s->need = len;
	s->state = state;
}

/* The window's bytes at file offset `at` (the step asked for them). */
static const unsigned char *at(const struct imgsize *s, uint64_t off)
{
	return s->win + (size_t)(off - s->win_start);
}

/* ------------------------------------------------------------ detection */

static bool heif_brand(const unsigned char *b)
{
	static const char brands[][5] = {
		"heic", "heix", "heim", "heis", "hevc", "hevx", "mif1", "mif2",
		"msf1", "avif", "avis",
	};
	for (size_t i = 0; i < sizeof brands / sizeof brands[0]; i++)
		if (memcmp(b, brands[i], 4) == 0)
			return true;
	return false;
}

static void step_detect(struct imgsize *s)
{
	const unsigned char *d = s->win;

	if (memcmp(d, "\x89PNG\r\n\x1a\n", 8) == 0) {
		s->format = IMG_PNG;
		s->pos = 8;
		want(s, 8, 8, ST_PNG_CHUNK);
	} else if (memcmp(d, "GIF87a", 6) == 0 || memcmp(d, "GIF89a", 6) == 0) {
		s->format = IMG_GIF;
		found(s, le16(d + 6), le16(d + 8));
	} else if (d[0] == 'B' && d[1] == 'M') {
		want(s, 0, 18, ST_BMP_DIB);
	} else if (d[0] == 0xFF && d[1] == 0xD8 && d[2] == 0xFF) {
		s->format = IMG_JPEG;
		s->pos = 2;
		want(s, 2, 1, ST_JPEG_FF);
	} else if (memcmp(d, "RIFF", 4) == 0 && memcmp(d + 8, "WEBP", 4) == 0) {
		s->format = IMG_WEBP;
		want(s, 0, 30, ST_WEBP);
	} else if (memcmp(d, "II*\0", 4) == 0 || memcmp(d, "MM\0*", 4) == 0) {
		s->format = IMG_TIFF;
		s->big_endian = d[0] == 'M';
		uint32_t ifd = t32(s, d + 4);
		if (ifd < 8) {
			give_up(s);
			return;
		}
		s->pos = ifd;
		want(s, ifd, 2, ST_TIFF_COUNT);
	} else if (memcmp(d + 4, "ftyp", 4) == 0) {
		uint32_t size = be32(d);
		if (size < 16 || size > HEIF_FTYP_MAX) {
			give_up(s);
			return;
		}
		want(s, 0, size, ST_HEIF_FTYP);
	} else {
		give_up(s);
	}
}

/* ------------------------------------------------------------ PNG, BMP, WebP */

static void step_png_chunk(struct imgsize *s)
{
	const unsigned char *c = at(s, s->pos);
	uint32_t len = be32(c);

	/* Apple's "optimised" PNGs put a CgBI chunk before IHDR. */
	if (s->pos == 8 && memcmp(c + 4, "CgBI", 4) == 0 && len < 64) {
		s->pos += 12 + (uint64_t)len;
		want(s, s->pos, 8, ST_PNG_CHUNK);
		return;
	}
	if (memcmp(c + 4, "IHDR", 4) != 0 || len != 13) {
		give_up(s);
		return;
	}
	want(s, s->pos + 8, 8, ST_PNG_IHDR);
}

static void step_png_ihdr(struct imgsize *s)
{
	const unsigned char *d = at(s, s->pos + 8);
	found(s, be32(d), be32(d + 4));
}

/* The DIB header's size says which header follows and how much of it we need. */
static void step_bmp_dib(struct imgsize *s)
{
	want(s, 0, le32(s->win + 14) == 12 ? 24 : 28, ST_BMP);
}

static void step_bmp(struct imgsize *s)
{
	const unsigned char *d = s->win;
	uint32_t dib = le32(d + 14);

	if (dib == 12) { /* BITMAPCOREHEADER: 16-bit unsigned sizes */
		if (le16(d + 22) != 1) {
			give_up(s);
			return;
		}
		s->format = IMG_BMP;
		found(s, le16(d + 18), le16(d + 20));
		return;
	}
	/* BITMAPINFOHEADER and its successors (V2..V5), OS/2 2.x (16/64). */
	if (dib != 16 && dib != 40 && dib != 52 && dib != 56 && dib != 64 &&
	    dib != 108 && dib != 124) {
		give_up(s);
		return;
	}
	if (le16(d + 26) != 1) {
		give_up(s);
		return;
	}
	s->format = IMG_BMP;
	int64_t w = (int32_t)le32(d + 18);
	int64_t h = (int32_t)le32(d + 22);
	if (h < 0) /* top-down rows */
		h = -h;
	if (w <= 0 || h > UINT32_MAX) {
		give_up(s);
		return;
	}
	found(s, (uint32_t)w, (uint32_t)h);
}

static void step_webp(struct imgsize *s)
{
	const unsigned char *d = s->win;
	const unsigned char *c = d + 20; /* first chunk's payload */

	if (memcmp(d + 12, "VP8 ", 4) == 0) {
		/* 3-byte frame tag (bit 0 clear on a key frame), start code. */
		if ((c[0] & 1) != 0 || memcmp(c + 3, "\x9d\x01\x2a", 3) != 0) {
			give_up(s);
			return;
		}
		found(s, le16(c + 6) & 0x3fff, le16(c + 8) & 0x3fff);
	} else if (memcmp(d + 12, "VP8L", 4) == 0) {
		if (c[0] != 0x2f) {
			give_up(s);
			return;
		}
		uint32_t bits = le32(c + 1);
		found(s, (bits & 0x3fff) + 1, ((bits >> 14) & 0x3fff) + 1);
	} else if (memcmp(d + 12, "VP8X", 4) == 0) {
		found(s, le24(c + 4) + 1, le24(c + 7) + 1);
	} else {
		give_up(s);
	}
}

/* ------------------------------------------------------------ JPEG */

static bool is_sof(unsigned m)
{
	return m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC;
}

/* Between segments: expect 0xFF; tolerate (bounded) junk as libjpeg does. */
static void step_jpeg_ff(struct imgsize *s)
{
	unsigned b = *at(s, s->pos);
	s->pos++;
	if (b == 0xFF) {
		want(s, s->pos, 1, ST_JPEG_CODE);
		return;
	}
	if (++s->junk > JPEG_MAX_JUNK) {
		give_up(s);
		return;
	}
	want(s, s->pos, 1, ST_JPEG_FF);
}

static void step_jpeg_code(struct imgsize *s)
{
	unsigned m = *at(s, s->pos);
	s->pos++;
	if (m == 0xFF) { /* fill byte */
		want(s, s->pos, 1, ST_JPEG_CODE);
	} else if (m == 0x00) { /* stuffed zero outside entropy data: junk */
		want(s, s->pos, 1, ST_JPEG_FF);
	} else if (m == 0x01 || (m >= 0xD0 && m <= 0xD8)) { /* TEM, RSTn, SOI: no length */
		want(s, s->pos, 1, ST_JPEG_FF);
	} else if (m == 0xD9 || m == 0xDA) { /* EOI or scan data before any frame header */
		give_up(s);
	} else {
		s->aux = m;
		want(s, s->pos, 2, ST_JPEG_LEN);
	}
}

static void step_jpeg_len(struct imgsize *s)
{
	unsigned m = s->aux;
	uint32_t len = be16(at(s, s->pos));

	if (len < 2) {
		give_up(s);
		return;
	}
	if (is_sof(m)) {
		if (len < 8) {
			give_up(s);
			return;
		}
		want(s, s->pos + 2, 5, ST_JPEG_SOF);
		return;
	}
	s->pos += len;
	want(s, s->pos, 1, ST_JPEG_FF);
}

static void step_jpeg_sof(struct imgsize *s)
{
	const unsigned char *d = at(s, s->pos + 2); /* precision, Y, X */
	found(s, be16(d + 3), be16(d + 1));
}

/* ------------------------------------------------------------ TIFF */

static void step_tiff_count(struct imgsize *s)
{
	uint32_t n = t16(s, at(s, s->pos));
	if (n == 0) {
		give_up(s);
		return;
	}
	/* Tags are sorted and 256/257 come first: a cut IFD still has them. */
	size_t max = IMGSIZE_WINDOW / 12;
	size_t take = n < max ? n : max;
	want(s, s->pos + 2, take * 12, ST_TIFF_ENTRIES);
}

static void step_tiff_entries(struct imgsize *s)
{
	uint32_t w = 0, h = 0;
	const unsigned char *e = at(s, s->pos + 2);

	for (size_t i = 0; i + 12 <= s->need; i += 12, e += 12) {
		uint32_t tag = t16(s, e), type = t16(s, e + 2), count = t32(s, e + 4);
		uint32_t v;
		if ((tag != 256 && tag != 257) || count < 1)
			continue;
		if (type == 3) /* SHORT: left-justified in the value field */
			v = t16(s, e + 8);
		else if (type == 4) /* LONG */
			v = t32(s, e + 8);
		else
			continue;
		if (tag == 256)
			w = v;
		else
			h = v;
	}
	found(s, w, h);
}

/* ------------------------------------------------------------ HEIF */

/*
 * The box walk descends only meta (top level) -> iprp -> ipco; the depth
 * says which container we are in.  ispe properties are numbered from 1 in
 * ipco order; ipma maps pitm's primary item to property numbers.  When
 * iprp ends: the primary item's ispe, else the largest ispe seen.
 */
enum { HD_TOP = 0, HD_META = 1, HD_IPRP = 2, HD_IPCO = 3 };

static void heif_resolve(struct imgsize *s)
{
	if (s->heif.has_primary && s->heif.has_ipma) {
		for (unsigned a = 0; a < s->heif.nassoc; a++)
			for (unsigned i = 0; i < s->heif.nispe; i++)
				if (s->heif.ispe[i].index == s->heif.assoc[a]) {
					found(s, s->heif.ispe[i].w, s->heif.ispe[i].h);
					return;
				}
	}
	found(s, s->heif.big_w, s->heif.big_h);
}

static uint64_t heif_parent_end(const struct imgsize *s)
{
	return s->heif.depth == 0 ? UINT64_MAX : s->heif.end[s->heif.depth - 1];
}

/* Next box header at s->pos, after closing the containers that end here. */
static void heif_next(struct imgsize *s)
{
	for (;;) {
		while (s->heif.depth > 0 && s->pos >= s->heif.end[s->heif.depth - 1]) {
			unsigned closing = s->heif.depth--;
			if (closing == HD_IPRP) {
				heif_resolve(s);
				return;
			}
			if (closing == HD_META) { /* meta without iprp */
				give_up(s);
				return;
			}
		}
		uint64_t pend = heif_parent_end(s);
		if (pend - s->pos >= 8) {
			want(s, s->pos, 8, ST_HEIF_BOX);
			return;
		}
		if (s->heif.depth == 0) {
			give_up(s);
			return;
		}
		s->pos = pend; /* leftover too short for a box: the container ends */
	}
}

static void heif_box(struct imgsize *s, uint64_t size, unsigned hdr)
{
	const unsigned char *type = at(s, s->pos + 4);
	uint64_t pend = heif_parent_end(s);
	uint64_t body = s->pos + hdr;
	uint64_t end;

	if (size == 0) { /* to the end of the container (or file) */
		end = pend;
	} else {
		if (size < hdr || size > pend - s->pos) {
			give_up(s);
			return;
		}
		end = s->pos + size;
	}
	uint64_t blen = end - body;
	unsigned d = s->heif.depth;

	if (d == HD_TOP && memcmp(type, "meta", 4) == 0) {
		if (blen < 4) {
			give_up(s);
			return;
		}
		s->heif.end[s->heif.depth++] = end;
		s->pos = body + 4; /* FullBox: version and flags */
		heif_next(s);
		return;
	}
	if (d == HD_META && memcmp(type, "iprp", 4) == 0) {
		s->heif.end[s->heif.depth++] = end;
		s->pos = body;
		heif_next(s);
		return;
	}
	if (d == HD_IPRP && memcmp(type, "ipco", 4) == 0) {
		s->heif.end[s->heif.depth++] = end;
		s->heif.prop_index = 1;
		s->pos = body;
		heif_next(s);
		return;
	}
	if (end == UINT64_MAX) { /* an unbounded box we do not read: nothing follows */
		give_up(s);
		return;
	}
	uint32_t prop = 0;
	if (d == HD_IPCO)
		prop = s->heif.prop_index++;
	s->pos = end;
	if (d == HD_META && memcmp(type, "pitm", 4) == 0 && blen >= 6) {
		want(s, body, blen >= 8 ? 8 : 6, ST_HEIF_PITM);
	} else if (d == HD_IPRP && memcmp(type, "ipma", 4) == 0 && blen >= 8 &&
	           blen <= IMGSIZE_WINDOW) {
		want(s, body, (size_t)blen, ST_HEIF_IPMA);
	} else if (d == HD_IPCO && memcmp(type, "ispe", 4) == 0 && blen >= 12) {
		s->aux = prop;
		want(s, body, 12, ST_HEIF_ISPE);
	} else {
		heif_next(s);
	}
}

static void step_heif_ftyp(struct imgsize *s)
{
	uint32_t size = be32(s->win);
	bool ok = heif_brand(s->win + 8);
	for (uint32_t o = 16; !ok && o + 4 <= size; o += 4)
		ok = heif_brand(s->win + o);
	if (!ok) {
		give_up(s);
		return;
	}
	s->format = IMG_HEIF;
	s->pos = size;
	heif_next(s);
}

static void step_heif_box(struct imgsize *s)
{
	uint32_t size = be32(at(s, s->pos));
	if (size == 1) {
		want(s, s->pos, 16, ST_HEIF_LARGE);
		return;
	}
	heif_box(s, size, 8);
}

static void step_heif_large(struct imgsize *s)
{
	uint64_t size = be64(at(s, s->pos + 8));
	if (size == 0) { /* 0 is not a valid largesize */
		give_up(s);
		return;
	}
	heif_box(s, size, 16);
}

static void step_heif_pitm(struct imgsize *s)
{
	const unsigned char *d = s->win;
	if (d[0] == 0) {
		s->heif.primary = be16(d + 4);
	} else if (s->need >= 8) {
		s->heif.primary = be32(d + 4);
	} else {
		heif_next(s);
		return;
	}
	s->heif.has_primary = true;
	heif_next(s);
}

static void step_heif_ipma(struct imgsize *s)
{
	const unsigned char *d = s->win;
	size_t n = s->need, p = 8;
	unsigned version = d[0];
	bool wide = (d[3] & 1) != 0;
	uint32_t entries = be32(d + 4);

	for (uint32_t i = 0; i < entries; i++) {
		uint32_t item;
		if (version < 1) {
			if (p + 3 > n)
				break;
			item = be16(d + p);
			p += 2;
		} else {
			if (p + 5 > n)
				break;
			item = be32(d + p);
			p += 4;
		}
		unsigned cnt = d[p++];
		size_t alen = (size_t)cnt * (wide ? 2 : 1);
		if (alen > n - p)
			break;
		if (s->heif.has_primary && item == s->heif.primary) {
			for (unsigned k = 0; k < cnt && s->heif.nassoc < IMGSIZE_HEIF_ASSOC; k++) {
				uint32_t idx = wide ? be16(d + p + 2 * k) & 0x7fff : d[p + k] & 0x7fu;
				s->heif.assoc[s->heif.nassoc++] = (uint16_t)idx;
			}
		}
		p += alen;
	}
	s->heif.has_ipma = true;
	heif_next(s);
}

static void step_heif_ispe(struct imgsize *s)
{
	const unsigned char *d = s->win; /* version/flags, width, height */
	uint32_t w = be32(d + 4), h = be32(d + 8);
	uint32_t index = s->aux;

	if (s->heif.nispe < IMGSIZE_HEIF_ISPE) {
		s->heif.ispe[s->heif.nispe].index = index;
		s->heif.ispe[s->heif.nispe].w = w;
		s->heif.ispe[s->heif.nispe].h = h;
		s->heif.nispe++;
	}
	if (w <= IMGSIZE_MAX_DIM && h <= IMGSIZE_MAX_DIM &&
	    (uint64_t)w * h > (uint64_t)s->heif.big_w * s->heif.big_h) {
		s->heif.big_w = w;
		s->heif.big_h = h;
	}
	heif_next(s);
}

/* ------------------------------------------------------------ driver */

static void step(struct imgsize *s)
{
	switch (s->state) {
	case ST_DETECT: step_detect(s); break;
	case ST_PNG_CHUNK: step_png_chunk(s); break;
	case ST_PNG_IHDR: step_png_ihdr(s); break;
	case ST_BMP_DIB: step_bmp_dib(s); break;
	case ST_BMP: step_bmp(s); break;
	case ST_WEBP: step_webp(s); break;
	case ST_JPEG_FF: step_jpeg_ff(s); break;
	case ST_JPEG_CODE: step_jpeg_code(s); break;
	case ST_JPEG_LEN: step_jpeg_len(s); break;
	case ST_JPEG_SOF: step_jpeg_sof(s); break;
	case ST_TIFF_COUNT: step_tiff_count(s); break;
	case ST_TIFF_ENTRIES: step_tiff_entries(s); break;
	case ST_HEIF_FTYP: step_heif_ftyp(s); break;
	case ST_HEIF_BOX: step_heif_box(s); break;
	case ST_HEIF_LARGE: step_heif_large(s); break;
	case ST_HEIF_PITM: step_heif_pitm(s); break;
	case ST_HEIF_IPMA: step_heif_ipma(s); break;
	case ST_HEIF_ISPE: step_heif_ispe(s); break;
	default: give_up(s); break;
	}
}

void imgsize_init(struct imgsize *s)
{
	memset(s, 0, sizeof *s);
	s->format = IMG_UNKNOWN;
	s->state = ST_DETECT;
	s->need = DETECT_LEN;
}

void imgsize_feed(struct imgsize *s, const unsigned char *p, size_t n)
{
	while (!s->done) {
		if (s->nwin >= s->need) {
			step(s);
			continue;
		}
		if (n == 0)
			break;
		if (s->offset < s->skip_until) {
			uint64_t gap = s->skip_until - s->offset;
			size_t d = gap < n ? (size_t)gap : n;
			p += d;
			n -= d;
			s->offset += d;
			continue;
		}
		size_t take = s->need - s->nwin;
		if (take > n)
			take = n;
		memcpy(s->win + s->nwin, p, take);
		s->nwin += take;
		p += take;
		n -= take;
		s->offset += take;
	}
	s->offset += n;
}

bool imgsize_finish(struct imgsize *s)
{
	s->done = true;
	return s->width != 0 && s->height != 0;
}

bool imgsize_of(const unsigned char *p, size_t n, uint32_t *w, uint32_t *h, enum imgsize_format *fmt)
{
	struct imgsize s;
	imgsize_init(&s);
	imgsize_feed(&s, p, n);
	bool ok = imgsize_finish(&s);
	if (w)
		*w = s.width;
	if (h)
		*h = s.height;
	if (fmt)
		*fmt = s.format;
	return ok;
}

const char *imgsize_format_name(enum imgsize_format f)
{
	switch (f) {
	case IMG_PNG: return "png";
	case IMG_GIF: return "gif";
	case IMG_BMP: return "bmp";
	case IMG_JPEG: return "jpeg";
	case IMG_WEBP: return "webp";
	case IMG_TIFF: return "tiff";
	case IMG_HEIF: return "heif";
	case IMG_UNKNOWN: break;
	}
	return "unknown";
}
