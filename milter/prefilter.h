/*
 * prefilter: required literals for the rules' regexes, so that a body,
 * own or subject test whose regex cannot match a message is answered
 * without running PCRE2.
 *
 * At load time each regex's pattern text is read (never compiled) into a
 * set of folded literals such that every match of the regex contains one
 * of them; a pattern the reader does not fully understand gets no set and
 * always runs.  Per message each text is folded once and scanned once for
 * all literals of the rule set; a regex with a set none of whose literals
 * occurs cannot match.  The folding (pf_fold) maps every character PCRE2
 * (UTF, caseless) may match against a literal character to that
 * character's folded form, so the test is sound with or without the i
 * flag.
 */
#ifndef SM_PREFILTER_H
#define SM_PREFILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PF_MAX_LIT      32u    /* bytes in one literal */
#define PF_MAX_EXACT    16u    /* strings in an exact set */
#define PF_MAX_REQ      64u    /* literals in a required set */
#define PF_MAX_DEPTH    32u    /* group nesting read */
#define PF_MAX_PATTERN  8192u  /* pattern bytes read */
#define PF_MIN_LIT      2u     /* shorter literals: the regex runs always */

/* The literal set of one regex, as the extraction gives it. */
struct pf_lits {
	unsigned n;                         /* 0: unfiltered */
	uint8_t len[PF_MAX_REQ];
	char s[PF_MAX_REQ][PF_MAX_LIT];
};

/* Reads pattern p[0..n) compiled with PCRE2 options opts (only
 * PCRE2_EXTENDED matters: such patterns are not read).  Fills out and
 * returns 0 when the regex is filtered, 1 when it is not (out->n == 0),
 * -1 on OOM (also out->n == 0: unfiltered, never wrong). */
int pf_extract(const char *p, size_t n, uint32_t opts, struct pf_lits *out);

/* Folds s[0..n) into out (at least n bytes); returns the folded length
 * (<= n).  Bytes that are not one of the folded characters are copied, so
 * invalid UTF-8 passes through. */
size_t pf_fold(const char *s, size_t n, char *out);

/* ------------------------------------------------------------ rule set */

struct prefilter;

struct prefilter *prefilter_new(void);
void prefilter_free(struct prefilter *pf);
/* Records regex re's pattern (re: the rule set's regex index, in
 * increasing order from 0).  Never fails visibly: on OOM the regex is
 * unfiltered. */
void prefilter_add(struct prefilter *pf, uint32_t re, const char *p, size_t n, uint32_t opts);
/* Marks regex re as matched against body, own or subject text; only such
 * regexes get literals in the table. */
void prefilter_use(struct prefilter *pf, uint32_t re);
/* Builds the literal table; after it the prefilter is read-only.  On OOM
 * every regex is unfiltered. */
void prefilter_build(struct prefilter *pf);

/* Number of literals in the table, and of regexes with a set. */
size_t prefilter_n_literals(const struct prefilter *pf);
size_t prefilter_n_filtered(const struct prefilter *pf);
/* Is regex re filtered (it has a literal set in the table)? */
bool prefilter_filtered(const struct prefilter *pf, uint32_t re);

/* ------------------------------------------------------------ per message */

/* Which literals one text contains; reusable across messages. */
struct pf_scan;

struct pf_scan *pf_scan_new(const struct prefilter *pf);
void pf_scan_free(struct pf_scan *sc);
/* Forgets the text: the next pf_scan_maybe scans again. */
void pf_scan_reset(struct pf_scan *sc);
/* Gives back a large fold buffer (between messages). */
void pf_scan_trim(struct pf_scan *sc);
/* May regex re match s[0..n)?  The first call after a reset folds and
 * scans s (the caller passes the same text until the next reset).  True
 * when re is unfiltered, when one of its literals occurs, or when the scan
 * could not be done (OOM). */
bool pf_scan_maybe(struct pf_scan *sc, uint32_t re, const char *s, size_t n);

#endif
