/*
 * charset: streaming conversion of text to UTF-8 (see charset.h).
 *
 * Three converters behind one interface:
 *   - UTF8: for "utf-8", "us-ascii", no label and labels iconv does not
 *     know.  Valid UTF-8 passes through; each byte that does not start a
 *     valid sequence is decoded as windows-1252 (real mail lies about being
 *     ascii, and an unlabelled 8-bit Danish mail is windows-1252).
 *   - CP1252: an immutable table for "windows-1252" and "iso-8859-1": as
 *     in the WHATWG Encoding Standard, iso-8859-1 is read as windows-1252,
 *     because 0x80-0x9F are C1 controls nobody means and Outlook's curly
 *     quotes and euro sign are what is really there.
 *   - ICONV: everything else iconv knows (iso-8859-15, koi8-r, utf-16,
 *     iso-2022-jp, gb2312 read as its superset GBK, ...).
 * Output is always valid UTF-8: undecodable bytes become U+FFFD and set
 * `invalid`.
 *
 * A multi-byte sequence cut between two feeds is kept in a small carry
 * buffer (CARRY_MAX bytes); a "sequence" longer than that is invalid.
 * Memory per converter is constant; output is batched through a stack
 * buffer.  No globals except constant tables, so converters may be used
 * from any thread (one converter per thread at a time).
 */
#include "autoconfig.h"

#include <errno.h>
#include <iconv.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "charset.h"

#define CARRY_MAX 16
#define LABEL_MAX 64

enum charset_mode { CS_UTF8, CS_CP1252, CS_ICONV };

struct charset_conv {
	enum charset_mode mode;
	iconv_t cd;
	bool unknown;
	bool invalid;
	unsigned char carry[CARRY_MAX];
	size_t ncarry;
};

/* windows-1252 0x80-0x9F; 0 marks the five undefined bytes. */
static const uint16_t cp1252_high[32] = {
	0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
	0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017D, 0,
	0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
	0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178,
};

/* Label aliases that iconv does not know or that we read differently. */
static const struct {
	const char *label;
	const char *target; /* "" = our UTF-8 converter, "cp1252" = table */
} aliases[] = {
	{ "utf-8", "" },
	{ "utf8", "" },
	{ "us-ascii", "" },
	{ "ascii", "" },
	{ "us", "" },
	{ "ansi_x3.4-1968", "" },
	{ "iso646-us", "" },
	{ "unicode-1-1-utf-8", "" },
	{ "windows-1252", "cp1252" },
	{ "windows1252", "cp1252" },
	{ "win-1252", "cp1252" },
	{ "cp1252", "cp1252" },
	{ "cp-1252", "cp1252" },
	{ "ms-ansi", "cp1252" },
	{ "iso-8859-1", "cp1252" },
	{ "iso8859-1", "cp1252" },
	{ "iso_8859-1", "cp1252" },
	{ "iso88591", "cp1252" },
	{ "iso_8859-1:1987", "cp1252" },
	{ "latin1", "cp1252" },
	{ "latin-1", "cp1252" },
	{ "l1", "cp1252" },
	{ "cp819", "cp1252" },
	{ "ibm819", "cp1252" },
	{ "iso8859-15", "ISO-8859-15" },
	{ "iso885915", "ISO-8859-15" },
	{ "latin9", "ISO-8859-15" },
	{ "latin-9", "ISO-8859-15" },
	{ "gb2312", "GBK" },
	{ "gb_2312-80", "GBK" },
	{ "ks_c_5601-1987", "CP949" },
	{ "euc-kr", "CP949" },
	{ "shift_jis", "CP932" },
	{ "sjis", "CP932" },
	{ "windows-31j", "CP932" },
	{ "tis-620", "CP874" },
	{ "iso-8859-8-i", "ISO-8859-8" },
	{ "mac-roman", "MACINTOSH" },
	{ "macroman", "MACINTOSH" },
	{ "x-mac-roman", "MACINTOSH" },
};

/*
 * Reduces a label to lower case without quotes or surrounding space.
 * Returns false for labels that cannot be charset names (too long, or with
 * characters like '/' that iconv_open would read as conversion options).
 */
static bool label_normalise(const char *label, char *out, size_t outsz)
{
	while (*label == ' ' || *label == '\t' || *label == '"' || *label == '\'')
		label++;
	size_t n = 0;
	for (; *label != '\0'; label++) {
		unsigned char c = (unsigned char)*label;
		if (c == '"' || c == '\'' || c == ' ' || c == '\t')
			break;
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' || c == ':';
		if (!ok || n + 1 >= outsz)
			return false;
		out[n++] = (char)(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
	}
	out[n] = '\0';
	return true;
}

static const char *alias_of(const char *norm)
{
	for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
		if (strcmp(aliases[i].label, norm) == 0)
			return aliases[i].target;
	return NULL;
}

/* Chooses the converter for a normalised label (tries without "x-"). */
static void conv_select(struct charset_conv *c, const char *norm)
{
	for (int pass = 0; pass < 2; pass++) {
		const char *target = alias_of(norm);
		if (target != NULL && target[0] == '\0') {
			c->mode = CS_UTF8;
			return;
		}
		if (target != NULL && strcmp(target, "cp1252") == 0) {
			c->mode = CS_CP1252;
			return;
		}
		iconv_t cd = iconv_open("UTF-8", target != NULL ? target : norm);
		if (cd != (iconv_t)-1) {
			c->mode = CS_ICONV;
			c->cd = cd;
			return;
		}
		if (pass == 0 && strncmp(norm, "x-", 2) == 0 && norm[2] != '\0')
			norm += 2;
		else
			break;
	}
	c->mode = CS_UTF8;
	c->unknown = true;
}

struct charset_conv *charset_new(const char *label)
{
	struct charset_conv *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	c->mode = CS_UTF8;
	c->cd = (iconv_t)-1;
	char norm[LABEL_MAX];
	if (label == NULL)
		return c;
	if (!label_normalise(label, norm, sizeof(norm))) {
		c->unknown = true;
		return c;
	}
	if (norm[0] == '\0')
		return c; /* charset="" : the RFC 2045 default */
	conv_select(c, norm);
	return c;
}

void charset_free(struct charset_conv *c)
{
	if (c == NULL)
		return;
	if (c->cd != (iconv_t)-1)
		iconv_close(c->cd);
	free(c);
}

bool charset_is_unknown(const struct charset_conv *c)
{
	return c != NULL && c->unknown;
}

bool charset_had_invalid(const struct charset_conv *c)
{
	return c != NULL && c->invalid;
}

/* ------------------------------------------------------------- output */

struct out {
	char buf[1024];
	size_t n;
	charset_sink sink;
	void *ctx;
};

static void out_flush(struct out *o)
{
	if (o->n > 0 && o->sink != NULL)
		o->sink(o->ctx, o->buf, o->n);
	o->n = 0;
}

static void out_bytes(struct out *o, const void *p, size_t n)
{
	const char *s = p;
	while (n > 0) {
		if (o->n == sizeof(o->buf))
			out_flush(o);
		size_t k = sizeof(o->buf) - o->n;
		if (k > n)
			k = n;
		memcpy(o->buf + o->n, s, k);
		o->n += k;
		s += k;
		n -= k;
	}
}

static void out_cp(struct out *o, uint32_t cp)
{
	unsigned char u[4];
	size_t n;
	if (cp < 0x80) {
		u[0] = (unsigned char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (unsigned char)(0xC0 | cp >> 6);
		u[1] = (unsigned char)(0x80 | (cp & 0x3F));
		n = 2;
	} else {
		u[0] = (unsigned char)(0xE0 | cp >> 12);
		u[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
		u[2] = (unsigned char)(0x80 | (cp & 0x3F));
		n = 3;
	}
	out_bytes(o, u, n);
}

static void out_replacement(struct charset_conv *c, struct out *o)
{
	c->invalid = true;
	out_cp(o, 0xFFFD);
}

/* One byte read as windows-1252. */
static void out_cp1252(struct charset_conv *c, struct out *o, unsigned char b)
{
	if (b < 0x80 || b >= 0xA0) {
		out_cp(o, b);
		return;
	}
	uint16_t cp = cp1252_high[b - 0x80];
	if (cp == 0)
		out_replacement(c, o);
	else
		out_cp(o, cp);
}

/* --------------------------------------------------------- converters */

/*
 * Length of the valid UTF-8 sequence at p (n bytes available): >0 the
 * sequence length, 0 a valid but incomplete prefix, -1 invalid.
 * Strict: no overlong forms, no surrogates, nothing above U+10FFFF.
 */
static int utf8_seq(const unsigned char *p, size_t n)
{
	unsigned char b = p[0];
	int len;
	unsigned char lo = 0x80, hi = 0xBF; /* range of the second byte */
	if (b < 0x80)
		return 1;
	if (b >= 0xC2 && b <= 0xDF)
		len = 2;
	else if (b >= 0xE0 && b <= 0xEF) {
		len = 3;
		if (b == 0xE0)
			lo = 0xA0;
		else if (b == 0xED)
			hi = 0x9F;
	} else if (b >= 0xF0 && b <= 0xF4) {
		len = 4;
		if (b == 0xF0)
			lo = 0x90;
		else if (b == 0xF4)
			hi = 0x8F;
	} else
		return -1;
	for (int i = 1; i < len; i++) {
		if ((size_t)i >= n)
			return 0;
		unsigned char x = p[i];
		if (i == 1 ? (x < lo || x > hi) : (x < 0x80 || x > 0xBF))
			return -1;
	}
	return len;
}

/*
 * Converts p[0..n) and returns the number of bytes consumed.  Without
 * `final`, an incomplete sequence at the end (at most CARRY_MAX bytes) is
 * left unconsumed for the next feed; with `final` it is replaced.
 */
static size_t conv_run(struct charset_conv *c, const unsigned char *p, size_t n, bool final, struct out *o)
{
	size_t i = 0;
	if (c->mode == CS_CP1252) {
		for (; i < n; i++)
			out_cp1252(c, o, p[i]);
		return n;
	}
	if (c->mode == CS_UTF8) {
		while (i < n) {
			size_t start = i;
			while (i < n && p[i] < 0x80)
				i++;
			out_bytes(o, p + start, i - start);
			if (i == n)
				break;
			int len = utf8_seq(p + i, n - i);
			if (len > 0) {
				out_bytes(o, p + i, (size_t)len);
				i += (size_t)len;
			} else if (len == 0 && !final) {
				return i; /* wait for the rest */
			} else {
				c->invalid = true;
				out_cp1252(c, o, p[i]);
				i++;
			}
		}
		return n;
	}
	/* iconv */
	while (i < n) {
		char tmp[512];
		char *in = (char *)(p + i);
		size_t inleft = n - i;
		char *op = tmp;
		size_t outleft = sizeof(tmp);
		size_t r = iconv(c->cd, &in, &inleft, &op, &outleft);
		int err = r == (size_t)-1 ? errno : 0;
		out_bytes(o, tmp, sizeof(tmp) - outleft);
		i = (size_t)((const unsigned char *)in - p);
		if (err == 0 || err == E2BIG)
			continue;
		if (err == EINVAL && !final && n - i <= CARRY_MAX)
			return i;
		if (err == EINVAL && final) {
			/* One replacement for the truncated tail. */
			out_replacement(c, o);
			return n;
		}
		/* EILSEQ, an over-long "incomplete" sequence, or anything
		 * else: skip one byte so that we always progress. */
		out_replacement(c, o);
		i++;
	}
	return n;
}

static void conv_feed(struct charset_conv *c, const unsigned char *p, size_t n, struct out *o)
{
	if (c->ncarry > 0) {
		/* Join the carried bytes with the start of this feed. */
		unsigned char tmp[2 * CARRY_MAX];
		size_t old = c->ncarry;
		size_t take = n < CARRY_MAX ? n : CARRY_MAX;
		memcpy(tmp, c->carry, old);
		memcpy(tmp + old, p, take);
		size_t used = conv_run(c, tmp, old + take, false, o);
		if (used < old) {
			/* Still incomplete: then all of p is in tmp (see
			 * conv_run's CARRY_MAX bound). */
			c->ncarry = old + take - used;
			memmove(c->carry, tmp + used, c->ncarry);
			return;
		}
		c->ncarry = 0;
		p += used - old;
		n -= used - old;
	}
	size_t used = conv_run(c, p, n, false, o);
	c->ncarry = n - used;
	memcpy(c->carry, p + used, c->ncarry);
}

void charset_feed(struct charset_conv *c, const unsigned char *p, size_t n, charset_sink out, void *ctx)
{
	if (c == NULL || n == 0)
		return;
	struct out o = { .n = 0, .sink = out, .ctx = ctx };
	conv_feed(c, p, n, &o);
	out_flush(&o);
}

void charset_finish(struct charset_conv *c, charset_sink out, void *ctx)
{
	if (c == NULL)
		return;
	struct out o = { .n = 0, .sink = out, .ctx = ctx };
	if (c->ncarry > 0) {
		unsigned char tmp[CARRY_MAX];
		size_t n = c->ncarry;
		memcpy(tmp, c->carry, n);
		c->ncarry = 0;
		conv_run(c, tmp, n, true, &o);
	}
	if (c->mode == CS_ICONV) {
		/* Return to the initial shift state (ISO-2022-JP). */
		char tmp[64];
		char *op = tmp;
		size_t outleft = sizeof(tmp);
		iconv(c->cd, NULL, NULL, &op, &outleft);
		out_bytes(&o, tmp, sizeof(tmp) - outleft);
	}
	out_flush(&o);
}

/* ------------------------------------------------------------ one-shot */

static void buf_sink(void *ctx, const char *p, size_t n)
{
	buf_append(ctx, p, n);
}

char *charset_to_utf8(const char *label, const char *p, size_t n, bool *unknown)
{
	if (unknown != NULL)
		*unknown = false;
	struct charset_conv *c = charset_new(label);
	if (c == NULL)
		return NULL;
	if (unknown != NULL)
		*unknown = c->unknown;
	struct buf b;
	/* Every input byte makes at most 4 output bytes (U+FFFD is 3). */
	buf_init(&b, n > (SIZE_MAX - 64) / 4 ? SIZE_MAX - 1 : n * 4 + 64);
	charset_feed(c, (const unsigned char *)p, n, buf_sink, &b);
	charset_finish(c, buf_sink, &b);
	charset_free(c);
	if (b.failed) {
		buf_free(&b);
		return NULL;
	}
	return buf_steal(&b);
}
