/*
 * facts: what is known about one message when the analysis ends — a plain
 * record the rules engine reads and nothing writes after it is built.
 * Strings are UTF-8, NUL-terminated, owned by the session (valid until
 * session_free).
 */
#ifndef SM_FACTS_H
#define SM_FACTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include "attach.h"
#include "hours.h"

enum facts_flag {
	FACT_TRUNC_HEADER  = 1u << 0,  /* a header field was cut */
	FACT_TRUNC_LINE    = 1u << 1,  /* over-long lines split */
	FACT_TRUNC_DEPTH   = 1u << 2,  /* MIME nesting beyond the limit */
	FACT_TRUNC_PARTS   = 1u << 3,  /* parts beyond the limit skipped */
	FACT_TRUNC_TEXT    = 1u << 4,  /* text beyond MaxTextSize dropped */
	FACT_TRUNC_HEADERS = 1u << 5,  /* header fields beyond MaxHeaders not kept */
	FACT_ERR_MIME      = 1u << 8,  /* broken MIME structure */
	FACT_ERR_ENCODING  = 1u << 9,  /* bad base64 / quoted-printable */
	FACT_ERR_CHARSET   = 1u << 10, /* unknown charset or invalid bytes */
};

struct facts_header {
	const char *name;    /* as received */
	const char *value;   /* unfolded; RFC 2047 decoded to UTF-8 */
};

struct facts {
	const char *subject;             /* decoded; "" when none */
	const struct facts_header *headers; /* top-level header fields, in order */
	size_t n_headers;
	const char *body;                /* text.h "body" view */
	size_t body_len;
	const char *own;                 /* text.h "own" view */
	size_t own_len;
	const char *language;            /* "da" or "en" */
	const struct attachment *attachments;
	size_t n_attachments;
	const struct attachment *screenshot; /* the first qualifying image, or NULL */
	bool mismatch;                   /* some attachment has mismatch */
	const char *env_from;            /* bare; "" = null sender */
	const char *const *rcpt;         /* bare envelope recipients */
	size_t n_rcpt;
	time_t time;                     /* receipt time */
	struct hours_result hours;
	unsigned flags;                  /* enum facts_flag */
};

/* First header value with that name (case-insensitive), or NULL. */
const char *facts_header(const struct facts *f, const char *name);

#endif
