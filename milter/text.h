/*
 * text: the text rules read.  Fed the decoded bytes of every text part
 * (text/plain, text/html, and other text types without a file name), it converts them to
 * UTF-8 (charset.c), reduces HTML (html.c), splits lines and keeps two
 * bounded views:
 *
 *   body  everything the customer's side wrote: the new text, quoted
 *         history, forwarded mails — but not the text of earlier replies
 *         from support itself (quoted under an attribution line or an
 *         Outlook header block naming a support address), which never
 *         supplies an item or a category;
 *   own   only the newest words: the top-level text before the first
 *         quoted-history marker, without "> " lines and without forwarded
 *         messages.
 *
 * Quoted-history markers: "> " lines (any number of '>', also ">" alone,
 * and HTML <blockquote>); "-----Original Message-----" and
 * "-----Oprindelig meddelelse-----" (any dashes, any case); Outlook's
 * "From:/Fra: ... Sent:/Sendt: ... To:/Til: ... Subject:/Emne:" block
 * (Date:/Dato: may stand for Sent, Cc: and the like may come between,
 * any order, also inside '>' quotes, also without a separator line);
 * "Den ... skrev ...:"; Gmail's Danish "... kl. 14:05 skrev ...:" even
 * when wrapped over two lines; "On ... wrote:" (also wrapped);
 * "---------- Forwarded message ---------" / "Videresendt meddelelse" /
 * "Begin forwarded message:".  Text after the first marker never returns
 * to own (bottom-posting is rare with this audience; it still counts in
 * body).  The sig-dash line "-- " is no marker: the signature (e.g.
 * "Logget ind som: X") stays in both views.
 *
 * Who wrote a quoted segment: an attribution naming an address for which
 * is_support() holds makes the '>' lines one level deeper that follow it
 * support's (or, when the next text is not deeper, e.g. Apple Mail's
 * attribution inside the quote, the lines at its own depth); an Outlook
 * header block sets the writer of its depth until the next block,
 * separator or attribution.  Support's segments reach neither view.
 *
 * Lines are stored without trailing white space (U+00A0 counts as a
 * space) and without their leading '>' marks, each ending in "\n", so
 * the last line of one part never glues to the next.  Lines longer than
 * 2 KiB are split.  When a view reaches max_size, further text is dropped
 * (cut at a character boundary) and `truncated` set.  In a
 * multipart/alternative, an HTML part is skipped when a plain-text
 * sibling was already taken (same words twice only costs space).
 */
#ifndef SM_TEXT_H
#define SM_TEXT_H

#include <stdbool.h>
#include <stddef.h>

struct text_sink;

struct text_part {
	const char *charset;   /* NULL = us-ascii */
	bool is_html;
	bool is_forwarded;     /* inside a message/rfc822 (or forwarded digest) */
	bool skip;             /* caller decided not to keep it (alternative duplicate) */
};

/* is_support(ctx, addr) tells whether an address is support's own. */
struct text_sink *text_new(size_t max_size,
                           bool (*is_support)(void *ctx, const char *addr), void *ctx);
void text_free(struct text_sink *t);

/* Adds a header-derived line (the Subject, a forwarded mail's Subject)
 * to body (and to own when own is true).  A line "From: ..." added with
 * own false announces the forwarded mail whose parts follow: when it
 * names a support address, that mail's own text is support's (in
 * neither view; what it quotes from the customer still counts). */
void text_add_line(struct text_sink *t, const char *utf8, size_t n, bool own);

void text_part_begin(struct text_sink *t, const struct text_part *part);
void text_part_data(struct text_sink *t, const unsigned char *p, size_t n);
void text_part_end(struct text_sink *t);

const char *text_body(const struct text_sink *t, size_t *len);
const char *text_own(const struct text_sink *t, size_t *len);
bool text_truncated(const struct text_sink *t);
bool text_charset_unknown(const struct text_sink *t); /* some part had an unknown charset */
/* Best guess of the language of own text (else body): "da" or "en". */
const char *text_language(const struct text_sink *t);

#endif
