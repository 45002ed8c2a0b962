/*
 * prefilter: the folding, the rule set's literal table and the per-message
 * scan (prefilter.h); prefilter_extract.c reads the patterns.
 *
 * Folding F (pf_fold): A-Z to a-z, U+00C0..U+00DE but U+00D7 to +0x20,
 * KELVIN SIGN to "k", LONG S to "s", ANGSTROM SIGN to "å".  Under PCRE2's
 * UTF caseless matching the characters that match a literal character c
 * are c's case set; F maps that whole set to F(c) for exactly the
 * characters a literal may hold: ASCII and U+00C0..U+00FE except
 * U+00D7, U+00DF and U+00F7 (tests/unit/test_prefilter.c checks this
 * against PCRE2 for every code point).  Other characters are ANY.
 *
 * Table and scan: the literals of the regexes used on body, own and
 * subject, sorted and deduplicated, with a bitmap of their first two
 * bytes and a small hash from such a pair to its run of literals.  A text
 * is folded into a reused buffer (folding never makes it longer) and
 * scanned once: at each position the bitmap says whether a literal may
 * start there, and only then are the literals with that pair compared.
 * The time is linear in the text (times the literals sharing a pair).
 * OOM anywhere means "maybe": the regex runs.
 */
#include "autoconfig.h"

#include <stdlib.h>
#include <string.h>

#include "prefilter_int.h"

/* ------------------------------------------------------------ folding */

size_t pf_fold(const char *str, size_t n, char *out)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, o = 0;
	while (i < n) {
		unsigned char c = s[i];
		if (c >= 'A' && c <= 'Z') {
			out[o++] = (char)(c + 0x20);
			i++;
		} else if (c < 0xC3) {
			out[o++] = (char)c;
			i++;
		} else if (c == 0xC3 && i + 1 < n && s[i + 1] >= 0x80 && s[i + 1] <= 0x9E &&
		           s[i + 1] != 0x97) {
			out[o++] = (char)0xC3;
			out[o++] = (char)(s[i + 1] + 0x20);
			i += 2;
		} else if (c == 0xC5 && i + 1 < n && s[i + 1] == 0xBF) {
			out[o++] = 's';
			i += 2;
		} else if (c == 0xE2 && i + 2 < n && s[i + 1] == 0x84 &&
		           (s[i + 2] == 0xAA || s[i + 2] == 0xAB)) {
			if (s[i + 2] == 0xAA) {
				out[o++] = 'k';
			} else {
				out[o++] = (char)0xC3;
				out[o++] = (char)0xA5;
			}
			i += 3;
		} else {
			out[o++] = (char)c;
			i++;
		}
	}
	return o;
}

/* ------------------------------------------------------------ table */

struct lit {
	uint8_t len;
	char s[PF_MAX_LIT];
};

struct pair_slot {
	uint32_t start, count;     /* count 0: empty slot */
	uint16_t pair;
};

struct prefilter {
	/* load time: each regex's extraction, NULL when unfiltered */
	struct pf_lits **cand;
	bool *used;
	size_t n_re, cap_re;
	struct pf_work *work;      /* the extraction's stack, reused */
	/* built */
	bool built;                /* prefilter_build ran: no more prefilter_add */
	struct lit *lits;          /* sorted by bytes, unique */
	size_t n_lits;
	uint64_t bitmap[65536 / 64];
	struct pair_slot *slots;   /* pair -> its run of literals, open addressing */
	size_t slot_mask;
	uint32_t *off;             /* regex i's literals: ids[off[i] .. off[i + 1]) */
	uint32_t *ids;
	size_t n_filtered;
};

struct prefilter *prefilter_new(void)
{
	return calloc(1, sizeof(struct prefilter));
}

static void drop_cand(struct prefilter *pf)
{
	for (size_t i = 0; pf->cand != NULL && i < pf->n_re; i++)
		free(pf->cand[i]);
	free(pf->cand);
	free(pf->used);
	pf_work_free(pf->work);
	pf->cand = NULL;
	pf->used = NULL;
	pf->work = NULL;
}

void prefilter_free(struct prefilter *pf)
{
	if (pf == NULL)
		return;
	drop_cand(pf);
	free(pf->lits);
	free(pf->slots);
	free(pf->off);
	free(pf->ids);
	free(pf);
}

void prefilter_add(struct prefilter *pf, uint32_t re, const char *p, size_t n, uint32_t opts)
{
	if (pf == NULL || pf->built || re >= UINT32_MAX / 2)
		return;
	if (re >= pf->cap_re) {
		size_t cap = pf->cap_re ? pf->cap_re * 2 : 64;
		while (cap <= re)
			cap *= 2;
		struct pf_lits **c = realloc(pf->cand, cap * sizeof(*c));
		if (c == NULL)
			return;
		pf->cand = c;
		bool *u = realloc(pf->used, cap * sizeof(*u));
		if (u == NULL)
			return;
		pf->used = u;
		for (size_t i = pf->cap_re; i < cap; i++) {
			pf->cand[i] = NULL;
			pf->used[i] = false;
		}
		pf->cap_re = cap;
	}
	if (re >= pf->n_re)
		pf->n_re = re + 1;
	free(pf->cand[re]);
	pf->cand[re] = NULL;
	if (pf->work == NULL && (pf->work = pf_work_new()) == NULL)
		return;
	struct pf_lits *l = malloc(sizeof(*l));
	if (l == NULL)
		return;
	if (pf_extract_with(pf->work, p, n, opts, l) != 0) {
		free(l);
		return;
	}
	pf->cand[re] = l;
}

void prefilter_use(struct prefilter *pf, uint32_t re)
{
	if (pf != NULL && pf->used != NULL && re < pf->n_re)
		pf->used[re] = true;
}

static int lit_cmp(const void *a, const void *b)
{
	const struct lit *x = a, *y = b;
	size_t m = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->s, y->s, m);
	return c != 0 ? c : (int)x->len - (int)y->len;
}

static size_t slot_hash(uint16_t pair)
{
	return (size_t)(((uint32_t)pair * 0x9E3779B1u) >> 16);
}

static uint16_t pair_of(const char *s)
{
	return (uint16_t)(((unsigned char)s[0] << 8) | (unsigned char)s[1]);
}

/* Out of memory while building: every regex stays unfiltered. */
static void build_failed(struct prefilter *pf)
{
	free(pf->off);
	pf->off = NULL;
	drop_cand(pf);
	pf->n_re = 0;
}

void prefilter_build(struct prefilter *pf)
{
	if (pf == NULL || pf->built)
		return;
	pf->built = true;
	size_t total = 0;
	for (size_t i = 0; i < pf->n_re; i++)
		if (pf->cand[i] != NULL && pf->used[i])
			total += pf->cand[i]->n;
	pf->off = calloc(pf->n_re + 1, sizeof(*pf->off));
	pf->lits = calloc(total + 1, sizeof(*pf->lits));
	pf->ids = calloc(total + 1, sizeof(*pf->ids));
	if (pf->off == NULL || pf->lits == NULL || pf->ids == NULL) {
		build_failed(pf);
		return;
	}
	size_t k = 0;
	for (size_t i = 0; i < pf->n_re; i++) {
		const struct pf_lits *l = pf->cand[i];
		if (l == NULL || !pf->used[i])
			continue;
		for (unsigned j = 0; j < l->n; j++) {
			pf->lits[k].len = l->len[j];
			memcpy(pf->lits[k].s, l->s[j], l->len[j]);
			k++;
		}
	}
	qsort(pf->lits, k, sizeof(*pf->lits), lit_cmp);
	size_t u = 0;
	for (size_t i = 0; i < k; i++)
		if (u == 0 || lit_cmp(&pf->lits[u - 1], &pf->lits[i]) != 0)
			pf->lits[u++] = pf->lits[i];
	pf->n_lits = u;
	for (size_t i = 0; i < u; i++) {
		uint16_t key = pair_of(pf->lits[i].s);
		pf->bitmap[key >> 6] |= 1ull << (key & 63);
	}
	size_t nslots = 16;
	while (nslots < 2 * u)
		nslots *= 2;
	pf->slots = calloc(nslots, sizeof(*pf->slots));
	if (pf->slots == NULL) {
		build_failed(pf);
		return;
	}
	pf->slot_mask = nslots - 1;
	for (size_t i = 0; i < u;) {
		uint16_t key = pair_of(pf->lits[i].s);
		size_t j = i;
		while (j < u && pair_of(pf->lits[j].s) == key)
			j++;
		size_t h = slot_hash(key) & pf->slot_mask;
		while (pf->slots[h].count != 0)
			h = (h + 1) & pf->slot_mask;
		pf->slots[h].pair = key;
		pf->slots[h].start = (uint32_t)i;
		pf->slots[h].count = (uint32_t)(j - i);
		i = j;
	}
	size_t n_ids = 0;
	for (size_t i = 0; i < pf->n_re; i++) {
		const struct pf_lits *l = pf->cand[i];
		pf->off[i] = (uint32_t)n_ids;
		if (l == NULL || !pf->used[i])
			continue;
		for (unsigned j = 0; j < l->n; j++) {
			struct lit key;
			key.len = l->len[j];
			memcpy(key.s, l->s[j], l->len[j]);
			const struct lit *hit = bsearch(&key, pf->lits, u, sizeof(*pf->lits), lit_cmp);
			pf->ids[n_ids++] = (uint32_t)(hit - pf->lits);
		}
		pf->n_filtered++;
	}
	pf->off[pf->n_re] = (uint32_t)n_ids;
	drop_cand(pf);
}

size_t prefilter_n_literals(const struct prefilter *pf)
{
	return pf != NULL ? pf->n_lits : 0;
}

size_t prefilter_n_filtered(const struct prefilter *pf)
{
	return pf != NULL ? pf->n_filtered : 0;
}

bool prefilter_filtered(const struct prefilter *pf, uint32_t re)
{
	return pf != NULL && pf->off != NULL && re < pf->n_re && pf->off[re + 1] > pf->off[re];
}

/* ------------------------------------------------------------ scan */

#define PF_KEEP_FOLD (256u << 10)   /* a larger fold buffer is freed between messages */

enum { S_UNSCANNED = 0, S_SCANNED, S_FAILED };

struct pf_scan {
	const struct prefilter *pf;
	uint8_t *found;     /* per literal */
	uint8_t state;
	char *fold;
	size_t fold_cap;
};

struct pf_scan *pf_scan_new(const struct prefilter *pf)
{
	if (pf == NULL)
		return NULL;
	struct pf_scan *sc = calloc(1, sizeof(*sc));
	if (sc == NULL)
		return NULL;
	sc->pf = pf;
	sc->found = calloc(pf->n_lits + 1, 1);
	if (sc->found == NULL) {
		free(sc);
		return NULL;
	}
	return sc;
}

void pf_scan_free(struct pf_scan *sc)
{
	if (sc == NULL)
		return;
	free(sc->found);
	free(sc->fold);
	free(sc);
}

void pf_scan_reset(struct pf_scan *sc)
{
	if (sc != NULL)
		sc->state = S_UNSCANNED;
}

void pf_scan_trim(struct pf_scan *sc)
{
	if (sc != NULL && sc->fold_cap > PF_KEEP_FOLD) {
		free(sc->fold);
		sc->fold = NULL;
		sc->fold_cap = 0;
	}
}

/* The run of literals starting with pair key (it is in the bitmap). */
static const struct pair_slot *pair_run(const struct prefilter *pf, uint16_t key)
{
	size_t h = slot_hash(key) & pf->slot_mask;
	while (pf->slots[h].count != 0 && pf->slots[h].pair != key)
		h = (h + 1) & pf->slot_mask;
	return &pf->slots[h];
}

static void scan(struct pf_scan *sc, const char *s, size_t n)
{
	const struct prefilter *pf = sc->pf;
	sc->state = S_FAILED;
	if (n > sc->fold_cap) {
		char *b = realloc(sc->fold, n);
		if (b == NULL)
			return;
		sc->fold = b;
		sc->fold_cap = n;
	}
	size_t m = n > 0 ? pf_fold(s, n, sc->fold) : 0;
	const unsigned char *t = (const unsigned char *)sc->fold;
	memset(sc->found, 0, pf->n_lits);
	for (size_t i = 0; i + 1 < m; i++) {
		uint16_t key = pair_of(sc->fold + i);
		if ((pf->bitmap[key >> 6] & (1ull << (key & 63))) == 0)
			continue;
		const struct pair_slot *run = pair_run(pf, key);
		for (size_t k = run->start; k < (size_t)run->start + run->count; k++) {
			size_t len = pf->lits[k].len;
			/* Found once is enough; the third byte rules out most
			 * literals that share the pair before memcmp runs. */
			if (sc->found[k] || len > m - i ||
			    (len > 2 && t[i + 2] != (unsigned char)pf->lits[k].s[2]))
				continue;
			if (memcmp(t + i, pf->lits[k].s, len) == 0)
				sc->found[k] = 1;
		}
	}
	sc->state = S_SCANNED;
}

bool pf_scan_maybe(struct pf_scan *sc, uint32_t re, const char *s, size_t n)
{
	const struct prefilter *pf = sc->pf;
	if (!prefilter_filtered(pf, re))
		return true;
	if (sc->state == S_UNSCANNED)
		scan(sc, s, n);
	if (sc->state != S_SCANNED)
		return true;
	for (uint32_t k = pf->off[re]; k < pf->off[re + 1]; k++)
		if (sc->found[pf->ids[k]])
			return true;
	return false;
}
