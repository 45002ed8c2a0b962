/*
 * mime: the one-pass streaming MIME parser (contract in mime.h).
 *
 * Input: top-level header fields (mime_header), then body bytes in chunks
 * of any size (mime_feed), then mime_finish.  Output: header, part_begin,
 * part_data, part_end callbacks.
 *
 * How: body bytes are cut into lines (LF or CRLF); a line longer than
 * max_line is handed on in pieces cut at fixed offsets from the line start,
 * so the events never depend on where the chunks were cut.  Every line
 * start is checked against the boundaries of the open multiparts; the
 * open containers form an explicit stack of frames (no recursion), one
 * per nesting level, at most max_depth of them.  The part being read is
 * the "entity": first its header block, then either a leaf body (decoded
 * with decode.c), or a container (a new frame).  Where only boundaries
 * matter (preamble, epilogue, a base64 or binary leaf body), runs of
 * complete lines that cannot be boundary lines and are not over-long go
 * to the decoder in one piece (bulk_lines): same events, same counts,
 * without the per-line work.
 *
 * Limits: see mime.h; nothing here grows with the input beyond them.
 * Failure: the parser never fails once created; allocation failures
 * degrade (a header not kept, nesting treated as too deep).
 */
#include "autoconfig.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "decode.h"
#include "mime.h"
#include "rfc2047.h"
#include "rfc2231.h"

#define OUT_MAX 4096   /* part_data is handed on in pieces of up to this */
#define LEAF_SLICE 4096 /* encoded bytes of a binary leaf decoded between checks of "enough" */
#define TYPE_KEEP 96   /* a container's type as kept for parent_type */

#define DEFAULT_HEADER_SIZE 65536
#define DEFAULT_LINE 8192
#define DEFAULT_DEPTH 20
#define DEFAULT_PARTS 500

enum eol { EOL_NONE = 0, EOL_LF, EOL_CRLF };

enum pstate {
	S_HEADERS, /* reading the entity's header block */
	S_BODY,    /* reading a leaf's body */
	S_SKIP,    /* preamble, epilogue, or a part we do not look at */
	S_DONE     /* after mime_finish */
};

/* Where the later pieces of an over-long line go. */
enum cont { C_SKIP, C_HDR, C_BODY };

struct frame {
	unsigned depth;     /* of the container itself */
	unsigned nchildren;
	size_t blen;        /* 0 for message/rfc822 frames */
	bool is_multipart;
	bool emitted;       /* part_begin was sent, part_end is owed */
	bool digest;
	bool in_message;    /* the children are inside an enclosed message */
	char type[TYPE_KEEP];
	char boundary[MIME_BOUNDARY_MAX];
};

/* A raw header value, as a slice we own. */
struct raw {
	char *s;
	size_t n;
};

struct entity {
	unsigned depth;
	unsigned index;
	unsigned sibling;
	bool emitted;
	bool in_message;
	bool digest_child;
	bool first_line;    /* no header line seen yet (mbox "From " check) */
	struct raw ct, cte, cd, cid; /* first occurrence wins */
};

struct mime_parser {
	struct mime_limits lim;
	struct mime_callbacks cb;
	void *ctx;
	unsigned flags;
	size_t nparts;
	bool top_headers_done;
	enum pstate state;
	enum cont cont;
	bool mid_line;        /* the last piece handed on was not a line's end */

	unsigned char *line;  /* pending line: at most cap + 1 bytes */
	size_t llen;
	size_t cap;

	struct buf hdr;       /* the header field under construction */

	struct frame *frames;
	size_t nframes;
	size_t fcap;
	size_t nbound;        /* multipart frames among them */

	struct entity ent;

	/* the current leaf */
	struct decoder dec;
	bool leaf_text;
	bool enough;          /* mime_part_enough: count, do not hand on */
	uint64_t leaf_size;   /* decoded bytes of the leaf so far */
	bool held_cr;
	unsigned char eol[2]; /* line break held back until the next line */
	size_t neol;
	unsigned char out[OUT_MAX];
	size_t nout;
};

static bool is_wsp(unsigned char c)
{
	return c == ' ' || c == '\t';
}

static void lower(char *s)
{
	for (; *s != '\0'; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}

static char *memdup0(const char *s, size_t n)
{
	char *d = malloc(n + 1);
	if (d == NULL)
		return NULL;
	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

static void raw_clear(struct raw *r)
{
	free(r->s);
	r->s = NULL;
	r->n = 0;
}

static void raw_keep_first(struct raw *r, const char *v, size_t n)
{
	if (r->s != NULL)
		return;
	r->s = memdup0(v, n);
	r->n = r->s != NULL ? n : 0;
}

static void entity_clear(struct entity *e)
{
	raw_clear(&e->ct);
	raw_clear(&e->cte);
	raw_clear(&e->cd);
	raw_clear(&e->cid);
}

/* A new part starts: its header block comes next. */
static void entity_start(struct mime_parser *p, unsigned depth, unsigned sibling,
                         bool in_message, bool digest_child)
{
	struct entity *e = &p->ent;
	entity_clear(e);
	e->depth = depth;
	e->sibling = sibling;
	e->in_message = in_message;
	e->digest_child = digest_child;
	e->first_line = true;
	if (p->nparts < p->lim.max_parts && p->nparts < UINT32_MAX) {
		e->emitted = true;
		e->index = (unsigned)p->nparts++;
	} else {
		e->emitted = false;
		e->index = 0;
		p->flags |= MIME_TRUNC_PARTS;
	}
	buf_reset(&p->hdr);
	p->state = S_HEADERS;
}

/* ---------------------------------------------------------------- output */

static void out_flush(struct mime_parser *p)
{
	if (p->nout > 0 && p->cb.part_data != NULL)
		p->cb.part_data(p->ctx, p->out, p->nout);
	p->nout = 0;
}

static void out_put(struct mime_parser *p, const unsigned char *s, size_t n)
{
	p->leaf_size += n;
	while (n > 0) {
		if (p->enough) {
			/* Said in a part_data call made by out_flush below: the
			 * rest is only counted (leaf_size, above). */
			p->nout = 0;
			return;
		}
		size_t k = OUT_MAX - p->nout;
		if (k > n)
			k = n;
		memcpy(p->out + p->nout, s, k);
		p->nout += k;
		s += k;
		n -= k;
		if (p->nout == OUT_MAX)
			out_flush(p);
	}
}

/* Decoder output.  Text-ish leaves get CRLF as LF, also when the CR and
 * the LF arrive in different pieces. */
static void leaf_sink(void *ctx, const unsigned char *s, size_t n)
{
	struct mime_parser *p = ctx;
	if (!p->leaf_text) {
		out_put(p, s, n);
		return;
	}
	while (n > 0) {
		if (p->held_cr) {
			p->held_cr = false;
			if (s[0] != '\n')
				out_put(p, (const unsigned char *)"\r", 1);
		}
		const unsigned char *cr = memchr(s, '\r', n);
		if (cr == NULL) {
			out_put(p, s, n);
			return;
		}
		out_put(p, s, (size_t)(cr - s));
		n -= (size_t)(cr - s) + 1;
		s = cr + 1;
		p->held_cr = true;
	}
}

/* Body bytes into the leaf's decoder.  After mime_part_enough a binary
 * leaf's bytes are only counted (decode_skip, no output at all); a
 * text-ish leaf still goes through leaf_sink, whose CRLF folding changes
 * the count, and out_put counts without handing on. */
static void leaf_decode(struct mime_parser *p, const unsigned char *s, size_t n)
{
	if (p->leaf_text) {
		decode_feed(&p->dec, s, n, leaf_sink, p);
		return;
	}
	/* A piece can be most of a 64 KB body chunk: decoded in slices, so
	 * that the consumer's "enough" (said from inside leaf_sink) stops the
	 * decoding within a slice, not at the end of the piece. */
	while (n > 0 && !p->enough) {
		size_t k = n < LEAF_SLICE ? n : LEAF_SLICE;
		decode_feed(&p->dec, s, k, leaf_sink, p);
		s += k;
		n -= k;
	}
	if (n > 0)
		p->leaf_size += decode_skip(&p->dec, s, n);
}

static void eol_flush(struct mime_parser *p)
{
	if (p->neol > 0)
		leaf_decode(p, p->eol, p->neol);
	p->neol = 0;
}

static void leaf_start(struct mime_parser *p, enum decode_kind kind, bool text)
{
	decode_init(&p->dec, kind);
	p->leaf_text = text;
	p->enough = false;
	p->leaf_size = 0;
	p->held_cr = false;
	p->neol = 0;
	p->nout = 0;
	p->state = S_BODY;
}

/* keep_eol: the leaf ends at end of input, not at a boundary line, so
 * its last line break is data. */
static void leaf_end(struct mime_parser *p, bool keep_eol)
{
	if (p->ent.emitted) {
		if (keep_eol)
			eol_flush(p);
		decode_finish(&p->dec, leaf_sink, p);
		if (p->held_cr) {
			p->held_cr = false;
			out_put(p, (const unsigned char *)"\r", 1);
		}
		out_flush(p);
		if (p->dec.errors > 0)
			p->flags |= MIME_ERR_ENCODING;
		if (p->cb.part_end != NULL)
			p->cb.part_end(p->ctx);
	}
	p->neol = 0;
	p->state = S_SKIP;
}

static void body_piece(struct mime_parser *p, const unsigned char *s, size_t n,
                       bool final, enum eol eol)
{
	if (!p->ent.emitted)
		return;
	eol_flush(p);
	if (n > 0)
		leaf_decode(p, s, n);
	if (!final)
		return;
	if (eol == EOL_NONE) {
		p->neol = 0;
	} else if (eol == EOL_CRLF && !p->leaf_text && p->dec.kind == DECODE_IDENTITY) {
		memcpy(p->eol, "\r\n", 2);
		p->neol = 2;
	} else {
		p->eol[0] = '\n';
		p->neol = 1;
	}
}

/* ---------------------------------------------------------------- frames */

static bool can_push(struct mime_parser *p, unsigned depth)
{
	if (depth >= p->lim.max_depth)
		return false;
	if (p->nframes < p->fcap)
		return true;
	size_t ncap = p->fcap != 0 ? p->fcap * 2 : 8;
	if (ncap > p->lim.max_depth)
		ncap = p->lim.max_depth;
	if (ncap <= p->nframes)
		return false;
	struct frame *f = realloc(p->frames, ncap * sizeof(*f));
	if (f == NULL)
		return false;
	p->frames = f;
	p->fcap = ncap;
	return true;
}

static void push_frame(struct mime_parser *p, const char *type, const char *boundary,
                       size_t blen, bool in_message)
{
	struct frame *f = &p->frames[p->nframes++];
	memset(f, 0, sizeof(*f));
	f->depth = p->ent.depth;
	f->emitted = p->ent.emitted;
	f->in_message = in_message;
	size_t tl = strlen(type);
	if (tl >= sizeof(f->type))
		tl = sizeof(f->type) - 1;
	memcpy(f->type, type, tl);
	f->type[tl] = '\0';
	if (boundary != NULL) {
		f->is_multipart = true;
		f->digest = strcmp(type, "multipart/digest") == 0;
		memcpy(f->boundary, boundary, blen);
		f->blen = blen;
		p->nbound++;
	}
}

/* missing_close: the frame ends without its closing boundary. */
static void pop_frame(struct mime_parser *p, bool missing_close)
{
	struct frame *f = &p->frames[--p->nframes];
	if (f->is_multipart) {
		p->nbound--;
		if (missing_close)
			p->flags |= MIME_ERR_BOUNDARY;
	}
	if (f->emitted && p->cb.part_end != NULL)
		p->cb.part_end(p->ctx);
}

/* ---------------------------------------------------------------- headers */

static void header_field(struct mime_parser *p, const char *name, const char *value, size_t vlen)
{
	struct entity *e = &p->ent;
	if (e->emitted && p->cb.header != NULL)
		p->cb.header(p->ctx, e->depth, e->in_message, name, value, vlen);
	if (strcasecmp(name, "content-type") == 0)
		raw_keep_first(&e->ct, value, vlen);
	else if (strcasecmp(name, "content-transfer-encoding") == 0)
		raw_keep_first(&e->cte, value, vlen);
	else if (strcasecmp(name, "content-disposition") == 0)
		raw_keep_first(&e->cd, value, vlen);
	else if (strcasecmp(name, "content-id") == 0)
		raw_keep_first(&e->cid, value, vlen);
}

/* The field in p->hdr is complete: split it and hand it on. */
static void flush_header(struct mime_parser *p)
{
	struct buf *b = &p->hdr;
	if (b->truncated)
		p->flags |= MIME_TRUNC_HEADER;
	char *s = b->data;
	char *colon = s != NULL ? memchr(s, ':', b->len) : NULL;
	if (colon != NULL) {
		size_t nl = (size_t)(colon - s);
		while (nl > 0 && is_wsp((unsigned char)s[nl - 1]))
			nl--;
		char *v = colon + 1;
		size_t vl = b->len - (size_t)(v - s);
		while (vl > 0 && is_wsp((unsigned char)*v)) {
			v++;
			vl--;
		}
		while (vl > 0 && (is_wsp((unsigned char)v[vl - 1]) || v[vl - 1] == '\r'))
			vl--;
		s[nl] = '\0';
		v[vl] = '\0';
		header_field(p, s, v, vl);
	}
	buf_reset(b);
}

static bool is_header_line(const unsigned char *s, size_t n)
{
	size_t i = 0;
	while (i < n && s[i] > ' ' && s[i] < 127 && s[i] != ':')
		i++;
	if (i == 0)
		return false;
	while (i < n && is_wsp(s[i]))
		i++;
	return i < n && s[i] == ':';
}

static bool is_token_char(unsigned char c)
{
	return c > ' ' && c < 127 && strchr("()<>@,;:\\\"/[]?=", c) == NULL;
}

/* "type/subtype", both RFC 2045 tokens. */
static bool is_valid_type(const char *t)
{
	const char *s = t;
	while (is_token_char((unsigned char)*s))
		s++;
	if (s == t || *s != '/')
		return false;
	const char *sub = ++s;
	while (is_token_char((unsigned char)*s))
		s++;
	return s != sub && *s == '\0';
}

static char *param(const struct mime_params *mp, const char *name)
{
	for (size_t i = 0; i < mp->n; i++)
		if (mp->names[i] != NULL && strcmp(mp->names[i], name) == 0)
			return mp->values[i];
	return NULL;
}

static bool parse_params(const struct raw *r, struct mime_params *mp)
{
	memset(mp, 0, sizeof(*mp));
	if (r->s == NULL)
		return false;
	if (mime_params_parse(r->s, r->n, mp) != 0) {
		mime_params_free(mp);
		memset(mp, 0, sizeof(*mp));
		return false;
	}
	if (mp->value != NULL)
		lower(mp->value);
	return true;
}

/* Leaves whose line ends are not data: text, and message types read
 * as leaves (delivery-status, partial, external-body: 7bit by RFC 2046). */
static bool is_textish(const char *type)
{
	return strncmp(type, "text/", 5) == 0 || strncmp(type, "message/", 8) == 0;
}

/* First token of a Content-Transfer-Encoding value, lower-cased, in place. */
static char *cte_token(struct raw *r)
{
	if (r->s == NULL)
		return NULL;
	char *s = r->s;
	while (is_wsp((unsigned char)*s))
		s++;
	char *e = s;
	while (*e != '\0' && !is_wsp((unsigned char)*e) && *e != ';' && *e != '(' && *e != '\r')
		e++;
	*e = '\0';
	lower(s);
	return *s != '\0' ? s : NULL;
}

/* Content-ID without white space and angle brackets, in place. */
static char *cid_token(struct raw *r)
{
	if (r->s == NULL)
		return NULL;
	char *s = r->s;
	size_t n = strlen(s);
	while (n > 0 && is_wsp((unsigned char)*s)) {
		s++;
		n--;
	}
	while (n > 0 && (is_wsp((unsigned char)s[n - 1]) || s[n - 1] == '\r'))
		n--;
	if (n > 0 && *s == '<') {
		s++;
		n--;
	}
	if (n > 0 && s[n - 1] == '>')
		n--;
	s[n] = '\0';
	return n > 0 ? s : NULL;
}

/* The entity's header block is complete: decide what the part is, tell
 * the callbacks, and set up reading its body. */
static void open_part(struct mime_parser *p)
{
	struct entity *e = &p->ent;
	struct mime_params ct, cd;
	bool have_ct = parse_params(&e->ct, &ct);
	bool have_cd = parse_params(&e->cd, &cd);

	const char *declared = NULL;
	const char *type;
	if (have_ct && ct.value != NULL && ct.value[0] != '\0') {
		declared = ct.value;
		type = is_valid_type(ct.value) ? ct.value : "application/octet-stream";
	} else {
		type = e->digest_child ? "message/rfc822" : "text/plain";
	}

	bool multipart = strncmp(type, "multipart/", 10) == 0;
	bool message = strcmp(type, "message/rfc822") == 0 || strcmp(type, "message/global") == 0;
	char *boundary = NULL;
	size_t blen = 0;
	if (multipart) {
		boundary = have_ct ? param(&ct, "boundary") : NULL;
		if (boundary != NULL) {
			blen = strlen(boundary);
			/* RFC 2046 forbids trailing space; "--b " then still matches */
			while (blen > 0 && is_wsp((unsigned char)boundary[blen - 1]))
				blen--;
		}
		if (blen == 0 || blen > MIME_BOUNDARY_MAX) {
			multipart = false;
			type = "text/plain";
		}
	}
	bool opaque = false;
	if ((multipart || message) && !can_push(p, e->depth)) {
		opaque = true;
		multipart = message = false;
		type = "application/octet-stream";
		p->flags |= MIME_TRUNC_DEPTH;
	}

	char *enc = cte_token(&e->cte);
	enum decode_kind kind = DECODE_IDENTITY;
	if (!multipart && !message && !opaque && enc != NULL)
		kind = decode_kind_of(enc);

	char *charset = have_ct ? param(&ct, "charset") : NULL;
	if (charset != NULL) {
		lower(charset);
		if (charset[0] == '\0')
			charset = NULL;
	}
	const char *disposition = have_cd && cd.value != NULL && cd.value[0] != '\0' ? cd.value : NULL;
	char *fname = have_cd ? param(&cd, "filename") : NULL;
	if ((fname == NULL || fname[0] == '\0') && have_ct)
		fname = param(&ct, "name");
	if (fname != NULL && fname[0] == '\0')
		fname = NULL;
	char *decoded = NULL;
	if (fname != NULL && strstr(fname, "=?") != NULL) {
		decoded = rfc2047_decode(fname, strlen(fname));
		if (decoded != NULL)
			fname = decoded;
	}

	/* A leaf is set up before its part_begin, so that the callback may
	 * already say mime_part_enough. */
	bool leaf = !multipart && !message;
	if (leaf)
		leaf_start(p, kind, is_textish(type));

	if (e->emitted && p->cb.part_begin != NULL) {
		struct mime_part_info info = {
			.depth = e->depth,
			.index = e->index,
			.content_type = type,
			.type_declared = e->ct.s != NULL,
			.charset = charset,
			.encoding = enc,
			.filename = fname,
			.disposition = disposition,
			.content_id = cid_token(&e->cid),
			.is_multipart = multipart,
			.is_message = message,
			.in_message = e->in_message,
			.parent_type = p->nframes > 0 ? p->frames[p->nframes - 1].type : NULL,
			.sibling_index = e->sibling,
			.declared_type = declared,
		};
		p->cb.part_begin(p->ctx, &info);
	}

	if (multipart) {
		push_frame(p, type, boundary, blen, e->in_message);
		p->state = S_SKIP; /* the preamble */
	} else if (message) {
		push_frame(p, type, NULL, 0, true);
		entity_start(p, e->depth + 1, 0, true, false);
	}
	free(decoded);
	if (have_ct)
		mime_params_free(&ct);
	if (have_cd)
		mime_params_free(&cd);
}

static void finish_headers(struct mime_parser *p)
{
	flush_header(p);
	open_part(p);
}

/* Ends whatever part is being read (header block or leaf body). */
static void end_entity(struct mime_parser *p, bool keep_eol)
{
	/* A header block cut short opens its part (maybe a message/rfc822
	 * whose enclosed header block is then cut short too): bounded by
	 * max_depth. */
	while (p->state == S_HEADERS)
		finish_headers(p);
	if (p->state == S_BODY)
		leaf_end(p, keep_eol);
	p->state = S_SKIP;
}

/* ---------------------------------------------------------------- lines */

static bool is_padding(const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!is_wsp(s[i]) && s[i] != '\r')
			return false;
	return true;
}

static bool match_boundary(const struct mime_parser *p, const unsigned char *s, size_t n,
                           size_t *k, bool *close)
{
	for (int lenient = 0; lenient <= 1; lenient++) {
		for (size_t i = p->nframes; i-- > 0;) {
			const struct frame *f = &p->frames[i];
			if (!f->is_multipart || n < 2 + f->blen || memcmp(s + 2, f->boundary, f->blen) != 0)
				continue;
			const unsigned char *r = s + 2 + f->blen;
			size_t rn = n - 2 - f->blen;
			bool dashes = rn >= 2 && r[0] == '-' && r[1] == '-';
			if (!lenient && is_padding(r, rn)) {
				*k = i;
				*close = false;
				return true;
			}
			if (dashes && (lenient || is_padding(r + 2, rn - 2))) {
				*k = i;
				*close = true;
				return true;
			}
		}
	}
	return false;
}

static void on_boundary(struct mime_parser *p, size_t k, bool close)
{
	end_entity(p, false);
	while (p->nframes > k + 1)
		pop_frame(p, true);
	if (close) {
		pop_frame(p, false);
		p->state = S_SKIP; /* the epilogue */
		return;
	}
	struct frame *f = &p->frames[k];
	f->nchildren++;
	entity_start(p, f->depth + 1, f->nchildren - 1, f->in_message, f->digest);
}

static void header_line(struct mime_parser *p, const unsigned char *s, size_t n,
                        bool final, enum eol eol)
{
	for (;;) {
		if (n == 0) {
			finish_headers(p);
			p->cont = C_SKIP;
			return;
		}
		bool first = p->ent.first_line;
		p->ent.first_line = false;
		if (is_wsp(s[0])) {
			if (p->hdr.len > 0 || p->hdr.truncated) {
				buf_append(&p->hdr, s, n);
				p->cont = C_HDR;
			} else {
				p->flags |= MIME_ERR_HEADER;
				p->cont = C_SKIP;
			}
			return;
		}
		if (is_header_line(s, n)) {
			flush_header(p);
			buf_append(&p->hdr, s, n);
			p->cont = C_HDR;
			return;
		}
		if (first && n >= 5 && memcmp(s, "From ", 5) == 0) {
			p->cont = C_SKIP;
			return;
		}
		/* The body starts without the blank line. */
		p->flags |= MIME_ERR_HEADER;
		finish_headers(p);
		if (p->state != S_HEADERS)
			break;
		/* a message/rfc822 part: the line starts the enclosed message */
	}
	if (p->state == S_BODY) {
		body_piece(p, s, n, final, eol);
		p->cont = C_BODY;
	} else {
		p->cont = C_SKIP;
	}
}

/* One piece of a line: the whole line, or a max_line slice of a longer
 * one (final tells whether the line ends with it). */
static void on_piece(struct mime_parser *p, const unsigned char *s, size_t n,
                     bool final, enum eol eol)
{
	bool start = !p->mid_line;
	p->mid_line = !final;
	if (!final)
		p->flags |= MIME_TRUNC_LINE;
	if (p->state == S_DONE)
		return;
	if (!start) {
		if (p->cont == C_HDR)
			buf_append(&p->hdr, s, n);
		else if (p->cont == C_BODY && p->state == S_BODY)
			body_piece(p, s, n, final, eol);
		return;
	}
	if (p->nbound > 0 && n >= 2 && s[0] == '-' && s[1] == '-') {
		size_t k;
		bool close;
		if (match_boundary(p, s, n, &k, &close)) {
			on_boundary(p, k, close);
			p->cont = C_SKIP;
			return;
		}
	}
	switch (p->state) {
	case S_HEADERS:
		header_line(p, s, n, final, eol);
		break;
	case S_BODY:
		body_piece(p, s, n, final, eol);
		p->cont = C_BODY;
		break;
	default:
		p->cont = C_SKIP;
		break;
	}
}

/* A complete line (CR of CRLF already removed), or the rest at end of
 * input: cut into pieces of at most cap bytes. */
static void take_line(struct mime_parser *p, const unsigned char *s, size_t n, enum eol eol)
{
	while (n > p->cap) {
		on_piece(p, s, p->cap, false, EOL_NONE);
		s += p->cap;
		n -= p->cap;
	}
	on_piece(p, s, n, true, eol);
}

/* A pending line without its LF yet: can the first cap bytes go out as
 * a piece?  Only when more than cap bytes follow that are not just the
 * CR of a CRLF, so that the cut never depends on the chunking. */
static bool piece_ready(const unsigned char *s, size_t n, size_t cap)
{
	return n > cap + 1 || (n == cap + 1 && s[cap] != '\r');
}

static void complete_line(struct mime_parser *p, const unsigned char *s, size_t n)
{
	if (n > 0 && s[n - 1] == '\r')
		take_line(p, s, n - 1, EOL_CRLF);
	else
		take_line(p, s, n, EOL_LF);
}

/* ---------------------------------------------------------------- bulk */

/*
 * Lines whose content only matters for the boundary check: the preamble
 * and epilogue, the body of a leaf without events, and leaf bodies whose
 * decoder does not care where the lines end.  That is base64 (CR and LF
 * are white space to it, so a CRLF fed as is counts as the "\n" the line
 * machinery feeds), or identity for a leaf whose line ends are data as
 * sent.  Quoted-printable and text-ish identity leaves see line ends
 * rewritten, so they always go line by line.
 */
static bool bulk_ok(const struct mime_parser *p)
{
	if (p->state == S_SKIP)
		return true;
	if (p->state != S_BODY)
		return false;
	if (!p->ent.emitted)
		return true;
	return p->dec.kind == DECODE_BASE64 || (p->dec.kind == DECODE_IDENTITY && !p->leaf_text);
}

/*
 * s (n bytes) starts at a line start.  Returns how many bytes at its start
 * form complete lines that the line machinery would treat as plain data,
 * and treats them as it would: no line starts with '-' (a boundary line
 * may start there; that line and anything after it go line by line), and
 * no line is longer than cap without its line break (such a line is cut
 * into pieces and flagged: also line by line).  The line break of the last
 * line is held back as body_piece would, so that a boundary line right
 * after drops it.  Nothing is copied.
 *
 * The bytes are looked at in windows of cap + 1 from a line start: a line
 * ending in one is not over-long.  The search stops at the first line
 * that must go line by line, so the work is proportional to what is
 * consumed here or next by the line machinery, plus one window.
 */
static size_t bulk_lines(struct mime_parser *p, const unsigned char *s, size_t n)
{
	size_t end = 0; /* [0, end): plain complete lines */
	while (end < n) {
		const unsigned char *w = s + end;
		size_t wn = n - end < p->cap + 1 ? n - end : p->cap + 1;
		const unsigned char *dash = NULL;
		for (const unsigned char *q = w; (q = memchr(q, '-', wn - (size_t)(q - w))) != NULL; q++) {
			if (q == w || q[-1] == '\n') {
				dash = q;
				break;
			}
		}
		if (dash != NULL) {
			end = (size_t)(dash - s);
			break;
		}
		const unsigned char *lf = memrchr(w, '\n', wn);
		if (lf == NULL)
			break; /* an over-long line, or the incomplete last one */
		end = (size_t)(lf - s) + 1;
	}
	if (end == 0)
		return 0;
	bool crlf = end >= 2 && s[end - 2] == '\r';
	if (p->state == S_BODY) {
		if (p->ent.emitted) {
			eol_flush(p);
			size_t k = end - 1 - (crlf ? 1 : 0);
			if (k > 0)
				leaf_decode(p, s, k);
			if (crlf && !p->leaf_text && p->dec.kind == DECODE_IDENTITY) {
				memcpy(p->eol, "\r\n", 2);
				p->neol = 2;
			} else {
				p->eol[0] = '\n';
				p->neol = 1;
			}
		}
		p->cont = C_BODY;
	} else {
		p->cont = C_SKIP;
	}
	return end;
}

/* ---------------------------------------------------------------- API */

struct mime_parser *mime_new(const struct mime_limits *limits,
                             const struct mime_callbacks *cb, void *ctx)
{
	struct mime_parser *p = calloc(1, sizeof(*p));
	if (p == NULL)
		return NULL;
	if (limits != NULL) {
		p->lim = *limits;
	} else {
		p->lim.max_header_size = DEFAULT_HEADER_SIZE;
		p->lim.max_line = DEFAULT_LINE;
		p->lim.max_depth = DEFAULT_DEPTH;
		p->lim.max_parts = DEFAULT_PARTS;
	}
	if (cb != NULL)
		p->cb = *cb;
	p->ctx = ctx;
	p->cap = p->lim.max_line < MIME_LINE_MIN ? MIME_LINE_MIN : p->lim.max_line;
	if (p->cap > SIZE_MAX / 2)
		p->cap = SIZE_MAX / 2;
	/* +2: cap bytes, then one more to know the line goes on (or a CR) */
	p->line = malloc(p->cap + 2);
	if (p->line == NULL) {
		free(p);
		return NULL;
	}
	buf_init(&p->hdr, p->lim.max_header_size);
	entity_start(p, 0, 0, false, false);
	return p;
}

void mime_free(struct mime_parser *p)
{
	if (p == NULL)
		return;
	entity_clear(&p->ent);
	buf_free(&p->hdr);
	free(p->frames);
	free(p->line);
	free(p);
}

void mime_header(struct mime_parser *p, const char *name, const char *value)
{
	if (p == NULL || name == NULL || p->top_headers_done)
		return;
	if (value == NULL)
		value = "";
	/* The MTA may hand the value folded: unfold (drop CR and LF). */
	struct buf *b = &p->hdr;
	buf_reset(b);
	buf_append(b, name, strlen(name));
	buf_putc(b, ':');
	for (const char *s = value; *s != '\0';) {
		size_t k = strcspn(s, "\r\n");
		buf_append(b, s, k);
		s += k;
		while (*s == '\r' || *s == '\n')
			s++;
	}
	flush_header(p);
}

void mime_end_headers(struct mime_parser *p)
{
	if (p == NULL || p->top_headers_done)
		return;
	p->top_headers_done = true;
	finish_headers(p);
}

void mime_feed(struct mime_parser *p, const unsigned char *data, size_t n)
{
	if (p == NULL || p->state == S_DONE)
		return;
	if (!p->top_headers_done)
		mime_end_headers(p);
	while (n > 0) {
		if (p->llen == 0 && !p->mid_line && bulk_ok(p)) {
			size_t k = bulk_lines(p, data, n);
			data += k;
			n -= k;
			if (n == 0)
				break;
		}
		const unsigned char *lf = memchr(data, '\n', n);
		size_t seg = lf != NULL ? (size_t)(lf - data) : n;
		if (p->llen == 0) {
			/* Straight from the caller's bytes, no copy. */
			if (lf != NULL) {
				complete_line(p, data, seg);
				data += seg + 1;
				n -= seg + 1;
				continue;
			}
			while (piece_ready(data, n, p->cap)) {
				on_piece(p, data, p->cap, false, EOL_NONE);
				data += p->cap;
				n -= p->cap;
			}
			memcpy(p->line, data, n);
			p->llen = n;
			return;
		}
		while (seg > 0) {
			size_t k = p->cap + 2 - p->llen;
			if (k > seg)
				k = seg;
			memcpy(p->line + p->llen, data, k);
			p->llen += k;
			data += k;
			n -= k;
			seg -= k;
			while (piece_ready(p->line, p->llen, p->cap)) {
				on_piece(p, p->line, p->cap, false, EOL_NONE);
				memmove(p->line, p->line + p->cap, p->llen - p->cap);
				p->llen -= p->cap;
			}
		}
		if (lf != NULL) {
			complete_line(p, p->line, p->llen);
			p->llen = 0;
			data++;
			n--;
		}
	}
}

void mime_finish(struct mime_parser *p)
{
	if (p == NULL || p->state == S_DONE)
		return;
	if (!p->top_headers_done)
		mime_end_headers(p);
	if (p->llen > 0 || p->mid_line) {
		take_line(p, p->line, p->llen, EOL_NONE);
		p->llen = 0;
	}
	end_entity(p, true);
	while (p->nframes > 0)
		pop_frame(p, true);
	p->state = S_DONE;
}

void mime_part_enough(struct mime_parser *p)
{
	if (p != NULL && p->state == S_BODY)
		p->enough = true;
}

uint64_t mime_part_size(const struct mime_parser *p)
{
	return p != NULL ? p->leaf_size : 0;
}

unsigned mime_flags(const struct mime_parser *p)
{
	return p != NULL ? p->flags : 0;
}
