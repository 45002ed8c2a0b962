/*
 * fuzz_prefilter: libFuzzer soundness check of the required-literal
 * prefilter (prefilter.h).  Input: PATTERN NUL TEXT (several texts may
 * follow, NUL-separated); without a NUL the whole input is the pattern and
 * a fixed set of texts is used (so rules' patterns, one per file, seed it).
 * The pattern is compiled as the rules compile it (UTF, UCP; caseless,
 * multiline, dotall chosen by a hash of the input).  Whenever PCRE2 finds
 * a match, the prefilter must have said "maybe" for the text, and the
 * folded match itself must contain one of the literals (unless \K moved
 * the match start); otherwise abort().
 *
 * Build: make fuzz (FUZZ_TARGETS); run: make fuzz-run or
 *   ./tests/fuzz/fuzz_prefilter -max_total_time=600 DIR
 */
#include "autoconfig.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "prefilter.h"
#include "rules_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const fixed[] = {
	"Hej, vi kan ikke logge ind. Ring venligst tilbage, det haster! Fravær i vagtplanen.",
	"Please call me back, the payroll export is broken since today. Can you restore it?",
	"Medarbejderen Jens Hansen (medarb.nr. 1042) har ÆNDRET sin ferie; uge 45, 3/11 2026.",
	"\xE2\x84\xAA" "ELVIN \xC5\xBF" "ORT \xE2\x84\xAB" "NGSTRØM straße STRASSE µ Μ ÿ Ÿ ×÷ ÀÉÞ àéþ",
	"From: Mette Kjær <mette@example.dk>\nSubject: Sv: Fravær\n> quoted text\n",
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!",
	"",
	"x",
};

static void check_text(pcre2_code *re, pcre2_match_data *md, pcre2_match_context *mc,
                       struct pf_scan *sc, const struct pf_lits *l, bool has_k,
                       const char *t, size_t n)
{
	if (!rules_utf8_valid(t, n))
		return;   /* the rules check texts this way before matching */
	pf_scan_reset(sc);
	bool maybe = pf_scan_maybe(sc, 0, t, n);
	int rc = pcre2_match(re, (PCRE2_SPTR)t, n, 0, PCRE2_NO_UTF_CHECK, md, mc);
	if (rc < 0)
		return;   /* no match, or the match limit and the like */
	if (!maybe)
		abort();
	if (has_k)
		return;
	PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
	if (ov[1] < ov[0])
		return;
	size_t mlen = ov[1] - ov[0];
	char *f = malloc(mlen + 1);
	if (f == NULL)
		return;
	size_t fl = pf_fold(t + ov[0], mlen, f);
	bool found = false;
	for (unsigned i = 0; i < l->n && !found; i++)
		found = l->len[i] <= fl && memmem(f, fl, l->s[i], l->len[i]) != NULL;
	free(f);
	if (!found)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 4096)
		return 0;
	const char *in = (const char *)data;
	const char *nul = memchr(in, '\0', size);
	size_t plen = nul != NULL ? (size_t)(nul - in) : size;
	unsigned h = 0;
	for (size_t i = 0; i < size; i++)
		h = h * 31 + data[i];
	uint32_t opts = PCRE2_UTF | PCRE2_UCP;
	if (h & 1)
		opts |= PCRE2_CASELESS;
	if (h & 2)
		opts |= PCRE2_MULTILINE;
	if (h & 4)
		opts |= PCRE2_DOTALL;

	struct pf_lits l;
	if (pf_extract(in, plen, opts, &l) != 0)
		return 0;
	int ec;
	PCRE2_SIZE off;
	pcre2_code *re = pcre2_compile((PCRE2_SPTR)in, plen, opts, &ec, &off, NULL);
	if (re == NULL)
		return 0;
	struct prefilter *pf = prefilter_new();
	pcre2_match_data *md = pcre2_match_data_create(1, NULL);
	pcre2_match_context *mc = pcre2_match_context_create(NULL);
	if (pf == NULL || md == NULL || mc == NULL)
		abort();
	pcre2_set_match_limit(mc, 20000);
	pcre2_set_depth_limit(mc, 20000);
	prefilter_add(pf, 0, in, plen, opts);
	prefilter_use(pf, 0);
	prefilter_build(pf);
	if (!prefilter_filtered(pf, 0))
		abort();   /* pf_extract said it is filtered */
	struct pf_scan *sc = pf_scan_new(pf);
	if (sc == NULL)
		abort();
	bool has_k = memmem(in, plen, "\\K", 2) != NULL;
	if (nul != NULL) {
		const char *t = nul + 1, *end = in + size;
		while (t <= end) {
			const char *e = memchr(t, '\0', (size_t)(end - t));
			size_t tl = e != NULL ? (size_t)(e - t) : (size_t)(end - t);
			check_text(re, md, mc, sc, &l, has_k, t, tl);
			if (e == NULL)
				break;
			t = e + 1;
		}
	} else {
		for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
			check_text(re, md, mc, sc, &l, has_k, fixed[i], strlen(fixed[i]));
	}
	pf_scan_free(sc);
	prefilter_free(pf);
	pcre2_match_context_free(mc);
	pcre2_match_data_free(md);
	pcre2_code_free(re);
	return 0;
}
