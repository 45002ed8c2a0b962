/*
 * autoreply_int: what autoreply.c and autoreply_tmpl.c share (not for
 * other modules).
 */
#ifndef SM_AUTOREPLY_INT_H
#define SM_AUTOREPLY_INT_H

#include "autoreply.h"

struct buf;
struct facts;
struct verdict;

#define AUTOREPLY_LANG_DA 0
#define AUTOREPLY_LANG_EN 1

struct autoreply_templates {
	char *text[2];   /* indexed by AUTOREPLY_LANG_*; checked when loaded */
	char *file[2];
};

/* Renders template lang for the message into out (UTF-8 text, LF line
 * ends).  subject is the sanitized original subject.  0, or -1 when the
 * template has an error (templates loaded by autoreply_templates_load
 * have none). */
int autoreply_render(const struct autoreply_templates *t, int lang, const struct autoreply_options *o,
                     const struct facts *f, const struct verdict *v, const char *subject, struct buf *out);

#endif
