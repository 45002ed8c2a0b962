/*
 * mime: a one-pass streaming MIME parser (RFC 2045-2049, RFC 5322).
 *
 * The top-level header fields come from the MTA one by one
 * (mime_header); the body is fed in chunks of any size (mime_feed); the
 * parser splits lines across chunks, passes over-long lines on in pieces
 * of max_line bytes, tracks multipart boundaries (a stack bounded by
 * max_depth; no recursion), decodes base64 / quoted-printable
 * (decode.c), and emits events:
 *
 *   header      every header field of every part and of every enclosed
 *               message (unfolded, raw bytes), with its depth;
 *   part_begin  a part's parsed headers (type, charset, encoding, file
 *               name, disposition, Content-ID) — for leaves and containers;
 *   part_data   decoded bytes of a leaf part, in pieces;
 *   part_end    the end of a part (also at end of input for parts left
 *               open by a missing closing boundary).
 *
 * Tolerated: preamble and epilogue, missing closing boundaries, boundaries
 * with trailing white space, absent Content-Type (text/plain; in a
 * multipart/digest message/rfc822), duplicated Content-Type (the first
 * wins), CRLF or LF line ends, NUL bytes.  Beyond max_depth nested parts
 * are treated as opaque leaves; beyond max_parts parts are skipped; both
 * set a flag.  The parser never fails: every input yields events.
 *
 * Event order: a part's header events, then its part_begin; for a
 * message/rfc822 part, part_begin(the rfc822 part), the enclosed
 * message's header events (depth + 1, in_message), part_begin(the
 * enclosed message, depth + 1, parent_type "message/rfc822"), its body
 * and parts, part_end(enclosed), part_end(rfc822 part).  Every
 * part_begin has exactly one part_end, innermost first.  part_data only
 * between part_begin and part_end of a leaf.  The pointers handed to
 * callbacks are valid only during the call.
 *
 * Decisions (where RFCs or real mail leave room):
 *  - content_type is the type the parser acts on; declared_type is the
 *    Content-Type value as written (lower-cased, without parameters), for
 *    the record.  They differ when: the declared type is not a valid
 *    "type/subtype" (then application/octet-stream); a multipart has no
 *    usable boundary (empty or longer than MIME_BOUNDARY_MAX: text/plain
 *    leaf); a multipart or message/rfc822 is nested beyond max_depth
 *    (application/octet-stream leaf with the raw body, MIME_TRUNC_DEPTH).
 *    An empty Content-Type counts as absent (text/plain).
 *  - Content-Transfer-Encoding is honoured for leaves only; containers
 *    (and containers turned opaque by the depth limit) are read as 7bit.
 *  - part_data of text-ish leaves (every text type, and message types
 *    read as leaves: delivery-status, partial, ...) has every line break
 *    as "\n" (also CRLF inside base64 or quoted-printable); other leaves
 *    in 7bit/8bit/binary keep their line ends as sent (a PNG sent as
 *    binary stays intact).  The line break before a boundary line is not
 *    data; at the end of input it is.
 *  - A part header line that is neither a field, a continuation nor
 *    empty ends the header block and is the first body line
 *    (MIME_ERR_HEADER); an mbox "From " line opening a header block is
 *    skipped.
 *  - Boundary lines: "--" boundary, then only white space (delimiter) or
 *    "--" (close; anything may follow).  The innermost exact match wins,
 *    so an inner boundary that is a prefix of an outer one works.  A
 *    boundary of an outer multipart closes every part inside it
 *    (MIME_ERR_BOUNDARY for each inner multipart left unclosed).
 *  - max_line below MIME_LINE_MIN is raised to it, so that a boundary
 *    line is always seen whole; pieces of a longer line are cut at
 *    multiples of max_line from the line start, whatever the chunking.
 *  - max_parts counts part_begin events, the message itself included;
 *    skipped parts get no events at all (also no header events), but
 *    their boundaries are still tracked.
 *  - Memory: the pending line, one header field, the raw Content-* values
 *    of the part being opened (each at most max_header_size), one frame
 *    per open container (at most max_depth), a 4 KB output buffer.
 */
#ifndef SM_MIME_H
#define SM_MIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MIME_BOUNDARY_MAX 200 /* longer boundary parameters are ignored */
#define MIME_LINE_MIN 256     /* smallest effective max_line */

struct mime_limits {
	size_t max_header_size; /* one header field; longer ones are cut */
	size_t max_line;        /* body lines longer are passed on in pieces */
	size_t max_depth;       /* nesting (top level = 0) */
	size_t max_parts;
};

enum mime_flag {
	MIME_TRUNC_HEADER = 1u << 0, /* a header field was cut */
	MIME_TRUNC_LINE   = 1u << 1, /* a line was passed on in pieces */
	MIME_TRUNC_DEPTH  = 1u << 2, /* nesting beyond max_depth */
	MIME_TRUNC_PARTS  = 1u << 3, /* parts beyond max_parts skipped */
	MIME_ERR_BOUNDARY = 1u << 4, /* a multipart ended without its closing boundary */
	MIME_ERR_ENCODING = 1u << 5, /* junk in base64 / malformed quoted-printable */
	MIME_ERR_HEADER   = 1u << 6, /* malformed header line */
};

struct mime_part_info {
	unsigned depth;             /* 0 = the message itself */
	unsigned index;             /* running number of the part, 0 = message */
	const char *content_type;   /* lower-case "type/subtype"; never NULL */
	bool type_declared;         /* a Content-Type header was present */
	const char *charset;        /* lower-case or NULL */
	const char *encoding;       /* lower-case Content-Transfer-Encoding or NULL */
	const char *filename;       /* UTF-8 (RFC 2231/2047 decoded) or NULL */
	const char *disposition;    /* "inline", "attachment", ... or NULL */
	const char *content_id;     /* without <> or NULL */
	bool is_multipart;
	bool is_message;            /* message/rfc822 (or global): its headers follow */
	bool in_message;            /* inside an enclosed (forwarded) message at any depth */
	const char *parent_type;    /* container's content type, NULL at top */
	unsigned sibling_index;     /* 0-based position within the parent multipart */
	const char *declared_type;  /* Content-Type as written, lower-cased, no parameters; NULL when absent */
};

/* Any callback may be NULL.  header: value_len bytes, NUL-terminated too
 * (a value may hold NUL bytes); name is trimmed, value trimmed of
 * surrounding white space. */
struct mime_callbacks {
	void (*header)(void *ctx, unsigned depth, bool in_message, const char *name,
	               const char *value, size_t value_len);
	void (*part_begin)(void *ctx, const struct mime_part_info *part);
	void (*part_data)(void *ctx, const unsigned char *p, size_t n);
	void (*part_end)(void *ctx);
};

struct mime_parser;

/* limits NULL: built-in defaults.  NULL only when out of memory. */
struct mime_parser *mime_new(const struct mime_limits *limits,
                             const struct mime_callbacks *cb, void *ctx);
void mime_free(struct mime_parser *p);

/* Top-level header fields, value as the MTA gives it (folded with CRLF or
 * LF, or not: unfolded here).  Ignored after mime_end_headers; the first
 * mime_feed or mime_finish ends the headers if it was not called. */
void mime_header(struct mime_parser *p, const char *name, const char *value);
void mime_end_headers(struct mime_parser *p);
void mime_feed(struct mime_parser *p, const unsigned char *data, size_t n);
/* Ends the body: closes every open part. */
void mime_finish(struct mime_parser *p);
unsigned mime_flags(const struct mime_parser *p);

/*
 * Skipping what a consumer does not need.  mime_part_enough, called from
 * a leaf's part_begin or part_data callback, says that no more decoded
 * bytes of the current leaf are wanted: no further part_data calls come
 * for it (also not the rest of the piece being handed on), but its lines
 * and the boundaries are still tracked as before and every other event
 * is unchanged.  Binary leaves' bytes are then only counted (for base64
 * the alphabet characters between padding, many lines at a time), not
 * decoded into a buffer; text-ish leaves are decoded but not handed on.
 * Outside a leaf (a container's part_begin, after the leaf's part_end) it
 * does nothing.  MIME_ERR_ENCODING is raised exactly as without it.
 *
 * mime_part_size: the decoded size of the current (or last) leaf so far,
 * in bytes: what the sum of part_data's n would be without
 * mime_part_enough, exactly (base64: 3 bytes per 4 alphabet characters,
 * a quantum cut by '=' or by the end of the part giving 1 byte for 2
 * characters and 2 for 3; quoted-printable: after escapes and soft
 * breaks; text-ish leaves: after CRLF -> LF).  In the leaf's part_end it
 * is the leaf's full decoded size; it stays valid until the next leaf
 * begins.  0 before any leaf.
 */
void mime_part_enough(struct mime_parser *p);
uint64_t mime_part_size(const struct mime_parser *p);

#endif
