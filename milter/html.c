/*
 * html: streaming HTML-to-text reduction.
 *
 * Owns: turning the UTF-8 text of a text/html part into the lines a
 * reader would see in a browser.  Input arrives in arbitrary pieces (a
 * tag, entity or comment may be cut anywhere); output goes to a callback
 * in pieces whose concatenation depends only on the input bytes, never
 * on how they were cut.
 *
 * What it does: tags are dropped; block tags end the current line; <br>
 * (and a newline inside <pre>) always emits one, so "<div><br></div>" is
 * an empty line as in a browser; <td>/<th> separate cells by a space;
 * <style>, <script>, <title>, <xml> content is skipped as raw text;
 * <head> content is dropped; comments (Outlook's conditional comments
 * included) and <!...>/<?...> declarations are dropped; named, decimal
 * and hex entities are decoded (a few legacy names also without ';');
 * white space is collapsed as a browser does outside <pre>.  Lines inside
 * <blockquote> are prefixed with one '>' per level and a space, so text.c
 * treats them like "> " quoting in plain text.  &nbsp; becomes a plain
 * space that still counts as content, so Word's "<p><o:p>&nbsp;</o:p></p>"
 * paragraph filler yields an empty line.
 *
 * Limits: the state is a few fixed-size fields: a tag name of at most
 * TAG_NAME_MAX bytes (longer names are unknown tags), an entity of at most
 * ENT_MAX bytes (longer ones are emitted literally); attributes are never
 * stored, and a quoted attribute value running past TAG_LEN_MAX bytes
 * stops being honoured so a stray quote cannot swallow the rest of the
 * document.  Blockquote prefixes are capped at QUOTE_MAX levels.
 *
 * Failure: there is none to report; malformed HTML is reduced the way a
 * lenient browser would.  An unterminated tag, comment or raw-text
 * element at html_finish() is dropped.
 */
#include "autoconfig.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "encode.h"
#include "html.h"

#define TAG_NAME_MAX 32
#define TAG_LEN_MAX 4096
#define ENT_MAX 32
#define OUT_MAX 512
#define QUOTE_MAX 16

enum hstate {
	S_TEXT,
	S_LT,          /* after '<' */
	S_LT_SLASH,    /* after "</" */
	S_TAGNAME,
	S_TAGATTR,
	S_ATTRQ,       /* inside a quoted attribute value */
	S_BANG,        /* after "<!" */
	S_BANG_DASH,   /* after "<!-" */
	S_COMMENT,
	S_BOGUS,       /* <!...>, <?...>, </ ...>: skipped up to '>' */
	S_ENTITY,
	S_RAW,         /* content of style/script/title/xml */
	S_RAW_LT,
	S_RAW_NAME,    /* matching "</name" inside raw text */
};

struct html_reducer {
	enum hstate st;

	char name[TAG_NAME_MAX + 1];
	size_t name_len;
	bool name_long;
	bool closing;
	bool saw_eq;
	char quote;
	size_t tag_len;
	int dashes;

	char ent[ENT_MAX + 1];
	size_t ent_len;

	char raw[8];          /* name of the raw-text element we are in */
	size_t raw_match;

	unsigned qdepth;      /* open <blockquote>s */
	unsigned pre;         /* open <pre>s */
	bool pre_skip_nl;     /* a newline right after <pre> is not content */
	bool in_head;

	bool line_content;    /* something was emitted on the current line */
	bool pending_space;
	bool pending_break;

	html_sink out;
	void *ctx;
	char obuf[OUT_MAX];
	size_t olen;
};

/* ---------------------------------------------------------------- output */

static void flush(struct html_reducer *h)
{
	if (h->olen > 0 && h->out != NULL)
		h->out(h->ctx, h->obuf, h->olen);
	h->olen = 0;
}

static void put(struct html_reducer *h, const char *s, size_t n)
{
	while (n > 0) {
		size_t room = OUT_MAX - h->olen;
		size_t k = n < room ? n : room;
		memcpy(h->obuf + h->olen, s, k);
		h->olen += k;
		s += k;
		n -= k;
		if (h->olen == OUT_MAX)
			flush(h);
	}
}

static void put_quote_marks(struct html_reducer *h)
{
	unsigned d = h->qdepth < QUOTE_MAX ? h->qdepth : QUOTE_MAX;
	for (unsigned i = 0; i < d; i++)
		put(h, ">", 1);
}

/* Realizes a pending block break and the line's quote prefix or a
 * collapsed space before the next visible character. */
static void begin_content(struct html_reducer *h)
{
	if (h->pending_break) {
		if (h->line_content) {
			put(h, "\n", 1);
			h->line_content = false;
		}
		h->pending_break = false;
		h->pending_space = false;
	}
	if (!h->line_content) {
		if (h->qdepth > 0) {
			put_quote_marks(h);
			put(h, " ", 1);
		}
		h->line_content = true;
		h->pending_space = false;
	} else if (h->pending_space) {
		put(h, " ", 1);
		h->pending_space = false;
	}
}

static void emit_text(struct html_reducer *h, const char *s, size_t n)
{
	if (h->in_head || n == 0)
		return;
	h->pre_skip_nl = false;
	begin_content(h);
	put(h, s, n);
}

/* <br>, or a newline inside <pre>: always ends a line, even an empty one. */
static void line_break(struct html_reducer *h)
{
	if (h->in_head)
		return;
	h->pre_skip_nl = false;
	if (h->pending_break) {
		if (h->line_content) {
			put(h, "\n", 1);
			h->line_content = false;
		}
		h->pending_break = false;
	}
	if (!h->line_content)
		put_quote_marks(h);
	put(h, "\n", 1);
	h->line_content = false;
	h->pending_space = false;
}

static void block_break(struct html_reducer *h)
{
	h->pending_break = true;
}

static void white(struct html_reducer *h, unsigned char c)
{
	if (h->in_head)
		return;
	if (h->pre > 0) {
		if (c == '\n') {
			if (h->pre_skip_nl)
				h->pre_skip_nl = false;
			else
				line_break(h);
		} else if (c == ' ' || c == '\t') {
			char s = (char)c;
			emit_text(h, &s, 1);
		}
		return;
	}
	if (h->line_content && !h->pending_break)
		h->pending_space = true;
}

static bool is_white(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

/* ---------------------------------------------------------------- entities */

/* U+00A0..U+00FF; all of them are also recognised without ';'. */
static const char *const latin1_names[96] = {
	"nbsp", "iexcl", "cent", "pound", "curren", "yen", "brvbar", "sect",
	"uml", "copy", "ordf", "laquo", "not", "shy", "reg", "macr",
	"deg", "plusmn", "sup2", "sup3", "acute", "micro", "para", "middot",
	"cedil", "sup1", "ordm", "raquo", "frac14", "frac12", "frac34", "iquest",
	"Agrave", "Aacute", "Acirc", "Atilde", "Auml", "Aring", "AElig", "Ccedil",
	"Egrave", "Eacute", "Ecirc", "Euml", "Igrave", "Iacute", "Icirc", "Iuml",
	"ETH", "Ntilde", "Ograve", "Oacute", "Ocirc", "Otilde", "Ouml", "times",
	"Oslash", "Ugrave", "Uacute", "Ucirc", "Uuml", "Yacute", "THORN", "szlig",
	"agrave", "aacute", "acirc", "atilde", "auml", "aring", "aelig", "ccedil",
	"egrave", "eacute", "ecirc", "euml", "igrave", "iacute", "icirc", "iuml",
	"eth", "ntilde", "ograve", "oacute", "ocirc", "otilde", "ouml", "divide",
	"oslash", "ugrave", "uacute", "ucirc", "uuml", "yacute", "thorn", "yuml",
};

struct named_entity {
	const char *name;
	uint32_t cp;
	bool legacy; /* recognised without ';' */
};

static const struct named_entity other_names[] = {
	{ "amp", '&', true }, { "lt", '<', true }, { "gt", '>', true },
	{ "quot", '"', true }, { "AMP", '&', true }, { "LT", '<', true },
	{ "GT", '>', true }, { "QUOT", '"', true }, { "COPY", 0xA9, true },
	{ "REG", 0xAE, true },
	{ "apos", '\'', false }, { "Tab", '\t', false }, { "NewLine", '\n', false },
	{ "OElig", 0x152, false }, { "oelig", 0x153, false },
	{ "Scaron", 0x160, false }, { "scaron", 0x161, false },
	{ "Yuml", 0x178, false }, { "fnof", 0x192, false },
	{ "circ", 0x2C6, false }, { "tilde", 0x2DC, false },
	{ "ensp", 0x2002, false }, { "emsp", 0x2003, false },
	{ "thinsp", 0x2009, false }, { "zwnj", 0x200C, false },
	{ "zwj", 0x200D, false }, { "lrm", 0x200E, false }, { "rlm", 0x200F, false },
	{ "ndash", 0x2013, false }, { "mdash", 0x2014, false },
	{ "lsquo", 0x2018, false }, { "rsquo", 0x2019, false },
	{ "sbquo", 0x201A, false }, { "ldquo", 0x201C, false },
	{ "rdquo", 0x201D, false }, { "bdquo", 0x201E, false },
	{ "dagger", 0x2020, false }, { "Dagger", 0x2021, false },
	{ "bull", 0x2022, false }, { "hellip", 0x2026, false },
	{ "permil", 0x2030, false }, { "lsaquo", 0x2039, false },
	{ "rsaquo", 0x203A, false }, { "euro", 0x20AC, false },
	{ "trade", 0x2122, false }, { "larr", 0x2190, false },
	{ "uarr", 0x2191, false }, { "rarr", 0x2192, false },
	{ "darr", 0x2193, false }, { "harr", 0x2194, false },
	{ "minus", 0x2212, false }, { "check", 0x2713, false },
};

/* HTML5: numeric references 0x80-0x9F mean what windows-1252 puts there. */
static const uint16_t c1_map[32] = {
	0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
	0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017D, 0,
	0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
	0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178,
};

/* Looks the name up; with need_legacy only names valid without ';'. */
static bool lookup_entity(const char *name, size_t n, bool need_legacy, uint32_t *cp)
{
	for (size_t i = 0; i < 96; i++) {
		if (strlen(latin1_names[i]) == n && memcmp(latin1_names[i], name, n) == 0) {
			*cp = 0xA0 + (uint32_t)i;
			return true;
		}
	}
	for (size_t i = 0; i < sizeof other_names / sizeof other_names[0]; i++) {
		const struct named_entity *e = &other_names[i];
		if (need_legacy && !e->legacy)
			continue;
		if (strlen(e->name) == n && memcmp(e->name, name, n) == 0) {
			*cp = e->cp;
			return true;
		}
	}
	return false;
}

static void emit_cp(struct html_reducer *h, uint32_t cp)
{
	switch (cp) {
	case ' ': case '\t': case '\n': case '\r': case '\f':
		white(h, (unsigned char)cp);
		return;
	case 0xA0: /* non-collapsible, but a plain space for the rules' \s */
		emit_text(h, " ", 1);
		return;
	case 0xAD: case 0x200B: case 0x200C: case 0x200D: case 0x200E:
	case 0x200F: case 0xFEFF:
		return; /* invisible */
	default:
		break;
	}
	if (cp == 0 || (cp < 0x20) || (cp >= 0x7F && cp < 0xA0) ||
	    (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
		cp = 0xFFFD;
	char u[4];
	emit_text(h, u, encode_utf8_put(cp, u));
}

static uint32_t numeric_value(const char *s, size_t n, bool *ok)
{
	bool hex = n > 0 && (s[0] == 'x' || s[0] == 'X');
	size_t i = hex ? 1 : 0;
	uint32_t v = 0;
	bool big = false;
	*ok = false;
	for (; i < n; i++) {
		unsigned d;
		char c = s[i];
		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (hex && c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else if (hex && c >= 'A' && c <= 'F')
			d = (unsigned)(c - 'A' + 10);
		else
			break;
		*ok = true;
		if (!big) {
			v = v * (hex ? 16u : 10u) + d;
			if (v > 0x10FFFF)
				big = true;
		}
	}
	if (big)
		return 0xFFFFFFFFu;
	if (v >= 0x80 && v <= 0x9F && c1_map[v - 0x80] != 0)
		v = c1_map[v - 0x80];
	return v;
}

/* Decodes h->ent (the bytes after '&').  Unknown names stay literal. */
static void resolve_entity(struct html_reducer *h, bool semicolon)
{
	const char *e = h->ent;
	size_t n = h->ent_len;
	uint32_t cp;

	h->st = S_TEXT;
	if (n > 0 && e[0] == '#') {
		bool ok;
		size_t digits = n - 1;
		cp = numeric_value(e + 1, digits, &ok);
		/* Only the digits belong to the reference; a stray letter that
		 * ended the collection (e.g. "&#12a") cannot occur here since
		 * the collector stops at the first non-digit. */
		if (ok) {
			emit_cp(h, cp);
			return;
		}
	} else if (n > 0) {
		if (semicolon && lookup_entity(e, n, false, &cp)) {
			emit_cp(h, cp);
			return;
		}
		/* Without ';' browsers decode the longest legacy name that
		 * prefixes the word: "&nbspHej" is a space and "Hej". */
		for (size_t k = n; k >= 2; k--) {
			if (lookup_entity(e, k, true, &cp)) {
				emit_cp(h, cp);
				emit_text(h, e + k, n - k);
				if (semicolon)
					emit_text(h, ";", 1);
				return;
			}
		}
	}
	emit_text(h, "&", 1);
	emit_text(h, e, n);
	if (semicolon)
		emit_text(h, ";", 1);
}

static bool is_alpha(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static bool is_hex(unsigned char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Whether c continues the entity collected so far. */
static bool entity_char(const struct html_reducer *h, unsigned char c)
{
	if (h->ent_len >= ENT_MAX)
		return false;
	if (h->ent_len == 0)
		return c == '#' || is_alpha(c);
	if (h->ent[0] != '#')
		return is_alpha(c) || is_digit(c);
	if (h->ent_len == 1)
		return c == 'x' || c == 'X' || is_digit(c);
	if (h->ent[1] == 'x' || h->ent[1] == 'X')
		return is_hex(c);
	return is_digit(c);
}

/* ---------------------------------------------------------------- tags */

static bool name_is(const struct html_reducer *h, const char *s)
{
	return strcmp(h->name, s) == 0;
}

static bool name_in(const struct html_reducer *h, const char *const *set)
{
	for (; *set != NULL; set++)
		if (name_is(h, *set))
			return true;
	return false;
}

static const char *const block_tags[] = {
	"address", "article", "aside", "body", "caption", "center", "dd",
	"details", "dialog", "dir", "div", "dl", "dt", "fieldset",
	"figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4",
	"h5", "h6", "header", "hr", "html", "li", "main", "menu", "nav", "ol",
	"p", "section", "summary", "table", "tbody", "tfoot", "thead", "tr",
	"ul", NULL,
};

/* Start tags that may appear in <head> without ending it. */
static const char *const head_tags[] = {
	"base", "basefont", "bgsound", "link", "meta", "noscript", "object",
	"param", "script", "style", "template", "title", "xml", NULL,
};

static const char *const raw_tags[] = { "script", "style", "title", "xml", NULL };

static void tag_end(struct html_reducer *h)
{
	h->st = S_TEXT;
	if (h->name_long || h->name_len == 0)
		return;
	if (h->in_head && !h->closing && !name_in(h, head_tags) &&
	    strchr(h->name, ':') == NULL)
		h->in_head = false;

	if (name_is(h, "br")) {
		line_break(h);
	} else if (name_is(h, "blockquote")) {
		block_break(h);
		if (!h->closing)
			h->qdepth++;
		else if (h->qdepth > 0)
			h->qdepth--;
	} else if (name_is(h, "pre")) {
		block_break(h);
		if (!h->closing) {
			h->pre++;
			h->pre_skip_nl = true;
		} else if (h->pre > 0) {
			h->pre--;
		}
	} else if (name_in(h, block_tags)) {
		block_break(h);
		if (name_is(h, "body"))
			h->in_head = false;
	} else if (name_is(h, "td") || name_is(h, "th")) {
		if (h->line_content && !h->pending_break)
			h->pending_space = true;
	} else if (name_is(h, "head")) {
		h->in_head = !h->closing;
	} else if (!h->closing && name_in(h, raw_tags)) {
		memcpy(h->raw, h->name, h->name_len + 1);
		h->st = S_RAW;
	}
}

static void start_tag(struct html_reducer *h, unsigned char c, bool closing)
{
	h->st = S_TAGNAME;
	h->closing = closing;
	h->name_len = 0;
	h->name_long = false;
	h->name[0] = '\0';
	h->saw_eq = false;
	h->tag_len = 0;
	if (c >= 'A' && c <= 'Z')
		c = (unsigned char)(c - 'A' + 'a');
	h->name[h->name_len++] = (char)c;
	h->name[h->name_len] = '\0';
}

/* ---------------------------------------------------------------- driver */

/* Processes one byte; returns false when the byte must be looked at
 * again in the new state (every such transition leads to a state that
 * consumes it, so this terminates). */
static bool step(struct html_reducer *h, unsigned char c)
{
	switch (h->st) {
	case S_TEXT:
		if (c == '<')
			h->st = S_LT;
		else if (c == '&') {
			h->st = S_ENTITY;
			h->ent_len = 0;
		} else if (is_white(c))
			white(h, c);
		else {
			char s = (char)c;
			emit_text(h, &s, 1);
		}
		return true;

	case S_LT:
		if (is_alpha(c))
			start_tag(h, c, false);
		else if (c == '/')
			h->st = S_LT_SLASH;
		else if (c == '!')
			h->st = S_BANG;
		else if (c == '?')
			h->st = S_BOGUS;
		else {
			/* "a < b": the '<' was text. */
			h->st = S_TEXT;
			emit_text(h, "<", 1);
			return false;
		}
		return true;

	case S_LT_SLASH:
		if (is_alpha(c))
			start_tag(h, c, true);
		else if (c == '>')
			h->st = S_TEXT;
		else
			h->st = S_BOGUS;
		return true;

	case S_TAGNAME:
		h->tag_len++;
		if (c == '>') {
			tag_end(h);
		} else if (is_white(c) || c == '/') {
			h->st = S_TAGATTR;
		} else if (h->name_len < TAG_NAME_MAX) {
			if (c >= 'A' && c <= 'Z')
				c = (unsigned char)(c - 'A' + 'a');
			h->name[h->name_len++] = (char)c;
			h->name[h->name_len] = '\0';
		} else {
			h->name_long = true;
		}
		return true;

	case S_TAGATTR:
		h->tag_len++;
		if (c == '>')
			tag_end(h);
		else if (c == '=')
			h->saw_eq = true;
		else if ((c == '"' || c == '\'') && h->saw_eq) {
			h->quote = (char)c;
			h->st = S_ATTRQ;
		} else if (!is_white(c))
			h->saw_eq = false;
		return true;

	case S_ATTRQ:
		h->tag_len++;
		if ((char)c == h->quote) {
			h->st = S_TAGATTR;
			h->saw_eq = false;
		} else if (h->tag_len > TAG_LEN_MAX) {
			h->st = S_TAGATTR;
			h->saw_eq = false;
			return c != '>' ? true : false;
		}
		return true;

	case S_BANG:
		if (c == '-')
			h->st = S_BANG_DASH;
		else if (c == '>')
			h->st = S_TEXT;
		else
			h->st = S_BOGUS;
		return true;

	case S_BANG_DASH:
		if (c == '-') {
			h->st = S_COMMENT;
			/* "<!-->" and "<!--->" are complete (empty) comments. */
			h->dashes = 2;
		} else if (c == '>')
			h->st = S_TEXT;
		else
			h->st = S_BOGUS;
		return true;

	case S_COMMENT:
		if (c == '-')
			h->dashes++;
		else if (c == '>' && h->dashes >= 2)
			h->st = S_TEXT;
		else if (c == '!' && h->dashes >= 2)
			; /* "--!>" also ends a comment */
		else
			h->dashes = 0;
		return true;

	case S_BOGUS:
		if (c == '>')
			h->st = S_TEXT;
		return true;

	case S_ENTITY:
		if (entity_char(h, c)) {
			h->ent[h->ent_len++] = (char)c;
			h->ent[h->ent_len] = '\0';
			return true;
		}
		if (c == ';' && h->ent_len > 0) {
			resolve_entity(h, true);
			return true;
		}
		resolve_entity(h, false);
		return false;

	case S_RAW:
		if (c == '<')
			h->st = S_RAW_LT;
		return true;

	case S_RAW_LT:
		if (c == '/') {
			h->st = S_RAW_NAME;
			h->raw_match = 0;
			return true;
		}
		h->st = S_RAW;
		return false;

	case S_RAW_NAME: {
		size_t rl = strlen(h->raw);
		if (h->raw_match == rl) {
			if (is_white(c) || c == '/' || c == '>') {
				/* "</style" matched: finish it as an end tag. */
				memcpy(h->name, h->raw, rl + 1);
				h->name_len = rl;
				h->name_long = false;
				h->closing = true;
				h->saw_eq = false;
				h->tag_len = rl;
				h->st = S_TAGATTR;
				return false;
			}
			h->st = S_RAW;
			return false;
		}
		unsigned char lc = (c >= 'A' && c <= 'Z') ? (unsigned char)(c - 'A' + 'a') : c;
		if ((char)lc == h->raw[h->raw_match]) {
			h->raw_match++;
			return true;
		}
		h->st = S_RAW;
		return false;
	}
	}
	return true;
}

struct html_reducer *html_new(void)
{
	struct html_reducer *h = calloc(1, sizeof *h);
	return h;
}

void html_reset(struct html_reducer *h)
{
	if (h == NULL)
		return;
	memset(h, 0, sizeof *h);
	h->st = S_TEXT;
}

void html_free(struct html_reducer *h)
{
	free(h);
}

void html_feed(struct html_reducer *h, const char *p, size_t n, html_sink out, void *ctx)
{
	if (h == NULL || p == NULL)
		return;
	h->out = out;
	h->ctx = ctx;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		while (!step(h, c))
			;
	}
	flush(h);
}

void html_finish(struct html_reducer *h, html_sink out, void *ctx)
{
	if (h == NULL)
		return;
	h->out = out;
	h->ctx = ctx;
	switch (h->st) {
	case S_ENTITY:
		resolve_entity(h, false);
		break;
	case S_LT:
		emit_text(h, "<", 1);
		break;
	default:
		break; /* an unterminated tag, comment or raw element is dropped */
	}
	flush(h);
	html_reset(h);
}
