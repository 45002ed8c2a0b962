/*
 * html: streaming HTML-to-text reduction for text/html parts.  Input is
 * UTF-8 (after charset conversion), fed in arbitrary pieces.  Tags are
 * dropped; <br>, <p>, <div>, <tr>, <li>, <h1>-<h6>, <blockquote>, <table>
 * produce line breaks; <style>, <script>, <head> content and comments are
 * dropped; character entities (named, decimal, hex) decoded; runs of
 * white space collapsed as a browser would.  <blockquote> content is
 * marked quoted by prefixing its lines with "> " so that text.c can
 * separate quoted history the same way as in plain text.
 * Bounded state: a tag or entity longer than a small limit is skipped.
 */
#ifndef SM_HTML_H
#define SM_HTML_H

#include <stddef.h>

struct html_reducer;

typedef void (*html_sink)(void *ctx, const char *text, size_t n);

struct html_reducer *html_new(void);
void html_free(struct html_reducer *h);
void html_feed(struct html_reducer *h, const char *p, size_t n, html_sink out, void *ctx);
/* Flushes what is pending (an unfinished entity is emitted literally; an
 * unfinished tag or comment is dropped) and resets the reducer, so it can
 * be used for the next part. */
void html_finish(struct html_reducer *h, html_sink out, void *ctx);
/* Forgets all state (as after html_new) without emitting anything. */
void html_reset(struct html_reducer *h);

#endif
