/*
 * prefilter_int: what prefilter.c and prefilter_extract.c share and no one
 * else needs: pf_extract with reusable working memory, for reading the
 * many patterns of a rule set.
 */
#ifndef SM_PREFILTER_INT_H
#define SM_PREFILTER_INT_H

#include "prefilter.h"

/* A stack of group frames (about PF_MAX_DEPTH literal sets). */
struct pf_work;
struct pf_work *pf_work_new(void);
void pf_work_free(struct pf_work *w);
/* pf_extract (prefilter.h) with w's memory instead of its own. */
int pf_extract_with(struct pf_work *w, const char *p, size_t n, uint32_t opts, struct pf_lits *out);

#endif
