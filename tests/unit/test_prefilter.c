/*
 * test_prefilter: the required-literal prefilter (prefilter.h) — literal
 * extraction from pattern shapes, the folding checked against PCRE2's
 * caseless matching for every code point, the scan, and soundness over
 * the shipped rules and every text of the corpora at hand: whenever
 * PCRE2 matches, the prefilter must have said "maybe".
 */
#include "autoconfig.h"

#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "diag.h"
#include "encode.h"
#include "prefilter.h"
#include "rules_int.h"

#define UTF (PCRE2_UTF | PCRE2_UCP)
#define CI (PCRE2_UTF | PCRE2_UCP | PCRE2_CASELESS)

/* Literal set as "a|b|c" in sorted order; "-" for unfiltered. */
static void lits_str(const struct pf_lits *l, char *out, size_t cap)
{
	const char *v[PF_MAX_REQ];
	char tmp[PF_MAX_REQ][PF_MAX_LIT + 1];
	for (unsigned i = 0; i < l->n; i++) {
		memcpy(tmp[i], l->s[i], l->len[i]);
		tmp[i][l->len[i]] = '\0';
		v[i] = tmp[i];
	}
	for (unsigned i = 1; i < l->n; i++)
		for (unsigned j = i; j > 0 && strcmp(v[j - 1], v[j]) > 0; j--) {
			const char *t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	out[0] = '\0';
	if (l->n == 0)
		snprintf(out, cap, "-");
	for (unsigned i = 0; i < l->n; i++) {
		strncat(out, v[i], cap - strlen(out) - 1);
		if (i + 1 < l->n)
			strncat(out, "|", cap - strlen(out) - 1);
	}
}

static const struct {
	const char *re;
	uint32_t opts;
	const char *want;
} extract_cases[] = {
	/* shapes of the shipped rules */
	{ "\\b(foo|bar)\\b", CI, "bar|foo" },
	{ "\\w+rapport(en|er)?", CI, "rapport" },
	{ "e-?conomic", CI, "e-conomic|economic" },
	{ "mac\\h?os", CI, "mac" },
	{ "(?<!kl\\.\\h)\\b(\\d{1,2}/\\d{1,2})\\b", CI, "-" },
	{ "(?<!kl\\.\\h)vagt", CI, "vagt" },
	{ "(?<![-\\w])(afdeling(en|er)?|departments?)\\b", CI, "afdeling|department" },
	{ "\\Qa.b*c\\E+", CI, "a.b*" },        /* the + is on the c */
	{ "\\Qab", CI, "ab" },
	{ "x\\Q\\E+", CI, "-" },               /* quantifier after an empty \Q\E: not read */
	{ "(?i:medarb|lønnr)\\h+\\d+", UTF, "lønnr|medarb" },
	{ "((ab|cd)+x)*yz", CI, "yz" },
	{ "((ab|cd)+x)+", CI, "ab|cd" },
	{ "ab{0,3}cd", CI, "cd" },
	{ "ab{2,}cd", CI, "cd" },
	{ "abc{2,}", CI, "ab" },
	{ "(abc){1}", CI, "abc" },
	{ "(abc){0,1}de", CI, "de" },           /* abcde contains de */
	{ "ab{0}cd", CI, "cd" },                /* b{0} matches "": "ab" is not required */
	{ "(?:abc){0}de", CI, "de" },
	{ "(abc|)de", CI, "de" },
	{ "(foo)?(bar)?", CI, "-" },
	{ "foo|", CI, "-" },
	{ "(|foo)bar", CI, "bar" },
	{ "\\bring(e|er)?\\h+tilbage\\b", CI, "tilbage" },
	{ "E\\d{3}|shows", CI, "-" },           /* "e" is too short */
	{ "ab|c", CI, "-" },
	{ "(we|I) (would like|want|need) (to|a|an|the)\\b", CI,
	  "i need |i want |i would like |we need |we want |we would like " },
	{ "AbC", UTF, "abc" },                 /* case-sensitive parts fold too */
	{ "ÆBLE|ØRE", CI, "æble|øre" },
	{ "\\x41\\x{42}C", CI, "abc" },
	{ "\\x{e6}ble", CI, "æble" },
	{ "a\\tb\\.c\\/d", CI, "a\tb.c/d" },
	{ "a\\-b", CI, "a-b" },
	/* characters whose case set is not known to fold: unknown */
	{ "straße", CI, "stra" },
	{ "µgram", CI, "gram" },
	{ "ÿxy", CI, "xy" },
	{ "a÷bc", CI, "bc" },
	{ "a×bc", CI, "bc" },
	{ "ſx", CI, "-" },                     /* long s in a pattern: unknown */
	{ "\\x{212A}elvin", CI, "elvin" },
	{ "Ωmega", CI, "mega" },
	/* classes, dots, escapes */
	{ "[abc]de", CI, "de" },
	{ "[]x]yz", CI, "yz" },
	{ "[^]x]yz", CI, "yz" },
	{ "[[:alpha:]]yz", CI, "yz" },
	{ "[\\]]yz", CI, "yz" },
	{ "[\\c]]ab", CI, "ab" },               /* \c] is one member */
	{ "xyz[\\c\\]|]", CI, "-" },           /* the class is [\c\]: "|" splits */
	{ "[\\d{]ab|cd}]xyz", CI, "ab|cd}]xyz" }, /* "{" after \d is a member */
	{ "[\\x{5d}\\p{L}]ab", CI, "ab" },
	{ "\\p{L|x}ab", CI, "-" },               /* not a property name: not read */
	{ "a.bc", CI, "bc" },
	{ "ab\\1cd", CI, "ab" },
	{ "(ab)\\1", CI, "ab" },
	{ "\\0ab", CI, "ab" },
	{ "\\pLab", CI, "ab" },
	{ "\\p{Lu}ab\\P{Ll}", CI, "ab" },
	{ "^From: ", UTF, "from: " },
	{ "(?=abc)de", CI, "de" },
	{ "(?!abc)de", CI, "de" },
	{ "(?<=abc)de", CI, "de" },
	{ "(?<name>ab)(?P<n2>cd)(?'n3'ef)", CI, "abcdef" },
	{ "(?:ab)(?>cd)(?|ef)", CI, "abcdef" },
	{ "(?i)abc", UTF, "abc" },
	{ "(?-i)abc", CI, "abc" },
	{ "(?#comment)abc", CI, "abc" },
	{ "a(?i)*", CI, "-" },                 /* quantifier after an option setting */
	{ "ab+?cd", CI, "cd" },
	{ "ab*+cd", CI, "cd" },
	{ "a{x}", CI, "-" },                   /* a brace that is not a quantifier */
	{ "ab{,3}", CI, "-" },
	{ "\\N{U+41}bc", CI, "-" },
	/* given up */
	{ "abc", CI | PCRE2_EXTENDED, "-" },
	{ "(?x)abc", CI, "-" },
	{ "(?i:(?x)abc)", CI, "-" },
	{ "(?xx)abc", CI, "-" },
	{ "(?^x:abc)", CI, "-" },
	{ "(?*abc)de", CI, "-" },               /* non-atomic lookaround */
	{ "(?<*abc)de", CI, "-" },
	{ "ab(*ACCEPT)cd", CI, "-" },           /* a match may end early */
	{ "(?<n>x)(?P=n)ab", CI, "-" },
	{ "(x)(?-1)ab", CI, "-" },
	{ "(?(1)ab|cd)", CI, "-" },
	{ "(ab)(?1)", CI, "-" },
	{ "(?R)?ab", CI, "-" },
	{ "(?<n>ab)(?&n)", CI, "-" },
	{ "(?P<n>ab)(?P>n)", CI, "-" },
	{ "(ab)\\g1", CI, "-" },
	{ "(*UTF)abc", CI, "-" },
	{ "(*SKIP)abc", CI, "-" },
	{ "(?C1)abc", CI, "-" },
	{ "\\cAabc", CI, "-" },
	{ "\\o{101}bc", CI, "-" },
	{ "(ab", CI, "-" },
	{ "ab)", CI, "-" },
	{ "*ab", CI, "-" },
	{ "[ab", CI, "-" },
	{ "", CI, "-" },
	{ "a", CI, "-" },
};

START_TEST(test_extract)
{
	char got[4096];
	for (size_t i = 0; i < sizeof(extract_cases) / sizeof(extract_cases[0]); i++) {
		struct pf_lits l;
		const char *re = extract_cases[i].re;
		int rc = pf_extract(re, strlen(re), extract_cases[i].opts, &l);
		lits_str(&l, got, sizeof(got));
		ck_assert_msg(strcmp(got, extract_cases[i].want) == 0, "%s: got %s, want %s", re, got,
		              extract_cases[i].want);
		ck_assert_int_eq(rc, l.n > 0 ? 0 : 1);
	}
}
END_TEST

/* Alternations: 64 literals fit, 65 do not; 32 levels of nesting do,
 * 33 do not. */
START_TEST(test_limits)
{
	char re[4096], got[8192];
	struct pf_lits l;
	size_t o = 0;
	for (int i = 0; i < 64; i++)
		o += (size_t)snprintf(re + o, sizeof(re) - o, "%sw%02dx", i ? "|" : "", i);
	ck_assert_int_eq(pf_extract(re, o, CI, &l), 0);
	ck_assert_uint_eq(l.n, 64);
	o += (size_t)snprintf(re + o, sizeof(re) - o, "|w64x");
	ck_assert_int_eq(pf_extract(re, o, CI, &l), 1);
	lits_str(&l, got, sizeof(got));
	ck_assert_str_eq(got, "-");

	o = 0;
	for (int i = 0; i < 32; i++)
		re[o++] = '(';
	memcpy(re + o, "ab", 2);
	o += 2;
	for (int i = 0; i < 32; i++)
		re[o++] = ')';
	ck_assert_int_eq(pf_extract(re, o, CI, &l), 0);
	memmove(re + 1, re, o);
	re[0] = '(';
	re[++o] = ')';
	o++;
	ck_assert_int_eq(pf_extract(re, o, CI, &l), 1);

	/* Long literals are cut into the best piece of at most 32 bytes. */
	const char *longre = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJ";
	ck_assert_int_eq(pf_extract(longre, strlen(longre), CI, &l), 0);
	ck_assert_uint_eq(l.n, 1);
	ck_assert_uint_eq(l.len[0], 32);
}
END_TEST

static const struct {
	const char *in, *out;
} fold_cases[] = {
	{ "ABCxyz", "abcxyz" },
	{ "\xE2\x84\xAA" "elvin", "kelvin" },          /* KELVIN SIGN */
	{ "\xC5\xBF" "ort", "sort" },                 /* LONG S */
	{ "\xE2\x84\xAB" "ngstr", "\xC3\xA5ngstr" },   /* ANGSTROM SIGN */
	{ "ÆØÅ æøå", "æøå æøå" },
	{ "ÉCOLE", "école" },
	{ "÷×", "÷×" },
	{ "ßµÿ", "ßµÿ" },
	{ "ÀÞ", "àþ" },
	{ "\xC3", "\xC3" },                            /* cut: copied */
	{ "\xE2\x84", "\xE2\x84" },
	{ "", "" },
};

START_TEST(test_fold)
{
	char out[64];
	for (size_t i = 0; i < sizeof(fold_cases) / sizeof(fold_cases[0]); i++) {
		size_t n = pf_fold(fold_cases[i].in, strlen(fold_cases[i].in), out);
		ck_assert_msg(n == strlen(fold_cases[i].out) && memcmp(out, fold_cases[i].out, n) == 0,
		              "fold %s", fold_cases[i].in);
	}
}
END_TEST

static pcre2_code *compile(const char *re, uint32_t opts)
{
	int ec;
	PCRE2_SIZE off;
	pcre2_code *c = pcre2_compile((PCRE2_SPTR)re, PCRE2_ZERO_TERMINATED, opts, &ec, &off, NULL);
	ck_assert_ptr_nonnull(c);
	(void)pcre2_jit_compile(c, PCRE2_JIT_COMPLETE);
	return c;
}

static bool matches(pcre2_code *c, const char *s, size_t n)
{
	pcre2_match_data *md = pcre2_match_data_create(1, NULL);
	int rc = pcre2_match(c, (PCRE2_SPTR)s, n, 0, 0, md, NULL);
	pcre2_match_data_free(md);
	return rc >= 0;
}

/* The spec's examples, then the whole claim: for every character a literal
 * may hold, every code point PCRE2 matches it against caselessly folds to
 * the same bytes as the literal character. */
START_TEST(test_fold_vs_pcre2)
{
	static const struct {
		const char *re, *text;
	} pairs[] = {
		{ "k", "\xE2\x84\xAA" }, { "K", "\xE2\x84\xAA" }, { "å", "\xE2\x84\xAB" },
		{ "Å", "\xE2\x84\xAB" }, { "s", "\xC5\xBF" }, { "æ", "Æ" }, { "é", "É" },
	};
	char a[8], b[8];
	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		pcre2_code *c = compile(pairs[i].re, CI);
		ck_assert(matches(c, pairs[i].text, strlen(pairs[i].text)));
		size_t na = pf_fold(pairs[i].re, strlen(pairs[i].re), a);
		size_t nb = pf_fold(pairs[i].text, strlen(pairs[i].text), b);
		ck_assert(na == nb && memcmp(a, b, na) == 0);
		pcre2_code_free(c);
	}
	/* Not folded, and PCRE2 agrees they differ from their neighbours. */
	pcre2_code *c = compile("\\x{d7}", CI);
	ck_assert(!matches(c, "\xC3\xB7", 2));
	pcre2_code_free(c);
	/* PCRE2 folds one character to one: a literal "ss" or "st" is never
	 * matched by the single characters ß, U+1E9E or the ligature U+FB06
	 * (with full case folding F would have to expand them). */
	static const char *const multi[][2] = {
		{ "ss", "\xC3\x9F" }, { "SS", "\xE1\xBA\x9E" }, { "st", "\xEF\xAC\x86" },
	};
	for (size_t i = 0; i < sizeof(multi) / sizeof(multi[0]); i++) {
		c = compile(multi[i][0], CI);
		ck_assert(!matches(c, multi[i][1], strlen(multi[i][1])));
		pcre2_code_free(c);
	}

	/* Every code point, once, separated by nothing. */
	size_t cap = 0x110000u * 4, n = 0;
	char *all = malloc(cap);
	uint32_t *cpat = malloc(cap * sizeof(*cpat));   /* code point at each byte */
	ck_assert_ptr_nonnull(all);
	ck_assert_ptr_nonnull(cpat);
	for (uint32_t cp = 0; cp < 0x110000u; cp++) {
		if (cp >= 0xD800 && cp <= 0xDFFF)
			continue;
		size_t l = encode_utf8_put(cp, all + n);
		for (size_t k = 0; k < l; k++)
			cpat[n + k] = cp;
		n += l;
	}
	pcre2_match_data *md = pcre2_match_data_create(1, NULL);
	unsigned checked = 0, hits = 0;
	for (uint32_t lc = 0; lc <= 0xFF; lc++) {
		struct pf_lits l;
		char re[16], lit[8], t[8];
		snprintf(re, sizeof(re), "\\x{%x}\\x{%x}", lc, lc);
		/* A doubled character: two-byte literals, so pf_extract says
		 * which characters it takes as literal. */
		if (pf_extract(re, strlen(re), CI, &l) != 0)
			continue;
		checked++;
		snprintf(re, sizeof(re), "\\x{%x}", lc);
		pcre2_code *one = compile(re, CI);
		size_t ll = l.len[0] / 2;
		memcpy(lit, l.s[0], ll);
		PCRE2_SIZE off = 0;
		while (off < n && pcre2_match(one, (PCRE2_SPTR)all, n, off, 0, md, NULL) >= 0) {
			PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
			size_t tl = pf_fold(all + ov[0], ov[1] - ov[0], t);
			ck_assert_msg(tl == ll && memcmp(t, lit, ll) == 0,
			              "U+%04X matches U+%04X caselessly but folds differently", cpat[ov[0]], lc);
			hits++;
			off = ov[1] > ov[0] ? ov[1] : ov[0] + 1;
		}
		pcre2_code_free(one);
	}
	pcre2_match_data_free(md);
	/* ASCII and the 60 Latin-1 letters; k, s and å have three members. */
	ck_assert_uint_eq(checked, 128 + 60);
	ck_assert_uint_ge(hits, 128 + 26 + 60 + 3);
	free(all);
	free(cpat);
}
END_TEST

/* Adversarial patterns: each with a text PCRE2 matches, so the prefilter
 * must say "maybe" for it.  The first group were wrong once: a class read
 * as ending at a "]" PCRE2 takes as a member ([\c]] is one character,
 * after \d a "{" is a member, not a brace) made members literals. */
static const struct {
	const char *re;
	uint32_t opts;
	const char *text;
} sound_cases[] = {
	{ "[\\c]]ab", CI, "\x1D" "ab" },
	{ "[\\c]]ab|xy", CI, "\x1D" "ab" },
	{ "xyz[\\c\\]|]", CI, "]" },
	{ "[\\d{]ab|cd}]xyz", CI, "1{ab" },
	{ "[\\w{]ab|cd}]xyz", CI, "x{ab" },
	{ "[\\s{]ab|cd}]xyz", CI, " {ab" },
	{ "[a\\d{}]ab|x]cdef", CI, "}ab" },
	/* zero repetitions, empty branches, optional groups */
	{ "ab{0}cd", CI, "acd" },
	{ "(?:abc){0}de", CI, "de" },
	{ "(?:abc){0,0}de", CI, "de" },
	{ "x(?:abc)?yz", CI, "xyz" },
	{ "(abc|)de", CI, "de" },
	{ "(|abc)de", CI, "de" },
	{ "abc|", CI, "" },
	{ "|abc", CI, "" },
	{ "(?:ab|cd){2}", CI, "cdab" },
	{ "(ab)?+cd", CI, "cd" },
	{ "(ab){1,2}?cd", CI, "abcd" },
	{ "x*+ab", CI, "ab" },
	{ "ab++c", CI, "abbc" },
	{ "ab*?c", CI, "ac" },
	{ "ab??c", CI, "ac" },
	/* braces that are literals in 10.42 */
	{ "ab{,3}", CI, "ab{,3}" },
	{ "ab{", CI, "ab{" },
	{ "ab{x}", CI, "ab{x}" },
	{ "ab{1,2,3}", CI, "ab{1,2,3}" },
	{ "ab}cd", CI, "ab}cd" },
	{ "ab]cd", CI, "ab]cd" },
	/* \Q..\E, \E alone */
	{ "\\Qab", CI, "ab" },
	{ "\\Qab\\E+", CI, "abbb" },
	{ "ab\\E+", CI, "abbb" },
	{ "\\Qa|b\\E|cd", CI, "cd" },
	{ "\\Qa\\\\Eb", CI, "a\\b" },
	{ "[a-z\\Q]\\E]xy", CI, "]xy" },
	/* escapes */
	{ "\\0123ab", CI, "\n3ab" },
	{ "\\101bc", CI, "Abc" },
	{ "\\1234", CI, "S4" },
	{ "(a)\\1bc", CI, "aAbc" },
	{ "\\x41\\x{42}", CI, "ab" },
	{ "\\x4g", CI, "\x04g" },
	{ "\\e\\a\\t\\n", CI, "\x1B\x07\t\n" },
	{ "[\\x{5d}]ab", CI, "]ab" },
	{ "[\\p{L}\\]]xy", CI, "]xy" },
	{ "[\\N{U+5D}]xy|ab", CI, "]xy" },
	{ "\\p{Lu}ab", UTF, "Xab" },
	{ "ab\\K", CI, "ab" },
	{ "a\\Kbc", CI, "abc" },
	{ "\\Rab", CI, "\r\nab" },
	{ "\\Xab", CI, "e\xCC\x81" "ab" },
	{ "\\Cab", CI, "xab" },
	{ "(?s)a.bc", UTF, "a\nbc" },
	{ "(?m)^ab$", UTF, "x\nab\ny" },
	{ "a\\Nbc", CI, "axbc" },
	/* groups, options, comments */
	{ "(?|ab|cd)ef", CI, "cdef" },
	{ "(?>ab|cd)+ef", CI, "cdcdef" },
	{ "(?<=abc)de", CI, "abcde" },
	{ "(?<=x(?i)y)ab", UTF, "xYab" },
	{ "(?#c)ab(?#d)cd", CI, "abcd" },
	{ "a(?i)b|cd", UTF, "cd" },
	{ "(?i:ab)(?-i:CD)", UTF, "ABCD" },
	{ "(?^)ab", CI, "ab" },
	{ "(?-i)AB", CI, "AB" },
	{ "(?<n>ab)(?J)(?<n>cd)", CI, "abcd" },
	{ "(?=a(*ACCEPT)bc)axy", CI, "axy" },
	{ "ab(*ACCEPT)cd", CI, "ab" },
	{ "(*COMMIT)ab|cd", CI, "ab" },
	/* case sets: ASCII and Latin-1 letters with partners elsewhere */
	{ "kelvin", CI, "\xE2\x84\xAA" "elvin" },
	{ "(?i)KELVIN", UTF, "\xE2\x84\xAA" "elvin" },
	{ "(?i:KE)lvin", UTF, "\xE2\x84\xAA" "elvin" },
	{ "(?i)K\\x{212a}", UTF, "\xE2\x84\xAA" "k" },
	{ "st", CI, "\xC5\xBF" "t" },
	{ "\\x{17f}t", CI, "st" },
	{ "\xC3\xA5xy", CI, "\xE2\x84\xAB" "xy" },         /* å, ANGSTROM */
	{ "\xC3\x85XY", CI, "\xE2\x84\xAB" "xy" },
	{ "\xC3\x86" "BLE", CI, "\xC3\xA6" "ble" },        /* Æ */
	{ "\xC3\xBF" "ab", CI, "\xC5\xB8" "ab" },          /* ÿ, Ÿ */
	{ "\xC2\xB5" "ab", CI, "\xCE\x9C" "ab" },          /* µ, Greek capital mu */
	{ "\xC3\x9F" "ab", CI, "\xE1\xBA\x9E" "ab" },      /* ß, capital sharp s */
	{ "\xC7\x85" "ab", CI, "\xC7\x86" "ab" },          /* Dž title case, dž */
	{ "\xC7\x85" "ab", CI, "\xC7\x84" "ab" },          /* DŽ */
	{ "\xCE\xA3" "xy", CI, "\xCF\x82" "xy" },          /* Σ, final sigma */
	{ "\xC3\xA9" "cole", CI, "\xC3\x89" "COLE" },
};

START_TEST(test_sound_cases)
{
	pcre2_match_data *md = pcre2_match_data_create(1, NULL);
	for (size_t i = 0; i < sizeof(sound_cases) / sizeof(sound_cases[0]); i++) {
		const char *re = sound_cases[i].re, *t = sound_cases[i].text;
		pcre2_code *c = compile(re, sound_cases[i].opts);
		int rc = pcre2_match(c, (PCRE2_SPTR)t, strlen(t), 0, 0, md, NULL);
		ck_assert_msg(rc >= 0, "case %zu %s: PCRE2 does not match (%d)", i, re, rc);
		struct prefilter *pf = prefilter_new();
		ck_assert_ptr_nonnull(pf);
		prefilter_add(pf, 0, re, strlen(re), sound_cases[i].opts);
		prefilter_use(pf, 0);
		prefilter_build(pf);
		struct pf_scan *sc = pf_scan_new(pf);
		ck_assert_ptr_nonnull(sc);
		ck_assert_msg(pf_scan_maybe(sc, 0, t, strlen(t)), "case %zu %s: ruled out", i, re);
		pf_scan_free(sc);
		prefilter_free(pf);
		pcre2_code_free(c);
	}
	pcre2_match_data_free(md);
}
END_TEST

/* ------------------------------------------------------------ scan */

static struct prefilter *build(const char *const *res, size_t n)
{
	struct prefilter *pf = prefilter_new();
	ck_assert_ptr_nonnull(pf);
	for (size_t i = 0; i < n; i++) {
		prefilter_add(pf, (uint32_t)i, res[i], strlen(res[i]), CI);
		prefilter_use(pf, (uint32_t)i);
	}
	prefilter_build(pf);
	return pf;
}

START_TEST(test_scan)
{
	static const char *const res[] = {
		"abc|bcd",       /* 0: overlapping literals */
		"xy",            /* 1 */
		"\\w+",          /* 2: unfiltered */
		"ring|tilbage",  /* 3 */
		"fravær",        /* 4 */
		"kelvin",        /* 5 */
	};
	static const struct {
		const char *text;
		const char *maybe;   /* per regex: 1 maybe, 0 no */
	} cases[] = {
		{ "", "001000" },
		{ "x", "001000" },
		{ "xy", "011000" },
		{ "abcd", "101000" },
		{ "zbcd", "101000" },
		{ "zabc", "101000" },
		{ "..bcd", "101000" },
		{ "ab cd", "001000" },
		{ "Ringe Tilbage", "001100" },
		{ "FRAVÆR", "001010" },
		{ "FRAVAER", "001000" },
		{ "\xE2\x84\xAA" "ELVIN", "001001" },
		{ "kelvi", "001000" },
		{ "xxxxxxxxxy", "011000" },
	};
	static const char *const other[] = { "xy" };
	struct prefilter *pf = build(res, 6);
	ck_assert_uint_eq(prefilter_n_filtered(pf), 5);
	ck_assert_uint_eq(prefilter_n_literals(pf), 7);
	ck_assert(!prefilter_filtered(pf, 2));
	ck_assert(!prefilter_filtered(pf, 99));
	struct pf_scan *sc = pf_scan_new(pf);
	ck_assert_ptr_nonnull(sc);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		pf_scan_reset(sc);
		for (uint32_t r = 0; r < 6; r++) {
			bool m = pf_scan_maybe(sc, r, cases[i].text, strlen(cases[i].text));
			ck_assert_msg(m == (cases[i].maybe[r] == '1'), "%s: regex %u", cases[i].text, r);
		}
	}
	/* Without a reset the first text's result stays (the caller's
	 * contract); after one, nothing is carried over. */
	pf_scan_reset(sc);
	ck_assert(pf_scan_maybe(sc, 1, "xy", 2));
	ck_assert(pf_scan_maybe(sc, 1, "zz", 2));
	pf_scan_reset(sc);
	ck_assert(!pf_scan_maybe(sc, 1, "zz", 2));
	pf_scan_free(sc);
	prefilter_free(pf);

	/* Unused regexes get no literals. */
	pf = prefilter_new();
	prefilter_add(pf, 0, other[0], 2, CI);
	prefilter_build(pf);
	ck_assert(!prefilter_filtered(pf, 0));
	ck_assert_uint_eq(prefilter_n_literals(pf), 0);
	prefilter_free(pf);
	prefilter_free(NULL);
	pf_scan_free(NULL);
}
END_TEST

/* ------------------------------------------------------------ soundness */

struct texts {
	char **s;
	size_t *len;
	size_t n, cap;
};

static void add_text(struct texts *t, const char *s, size_t n)
{
	if (!rules_utf8_valid(s, n))
		return;
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 256;
		t->s = realloc(t->s, t->cap * sizeof(*t->s));
		t->len = realloc(t->len, t->cap * sizeof(*t->len));
		ck_assert(t->s != NULL && t->len != NULL);
	}
	t->s[t->n] = malloc(n + 1);
	ck_assert_ptr_nonnull(t->s[t->n]);
	memcpy(t->s[t->n], s, n);
	t->s[t->n][n] = '\0';
	t->len[t->n++] = n;
}

/* A file whole (when valid UTF-8), and in chunks of about 2 KB cut at
 * line ends, so that invalid bytes elsewhere do not lose the rest. */
static void add_file(struct texts *t, const char *path)
{
	FILE *fp = fopen(path, "rb");
	if (fp == NULL)
		return;
	static char data[1 << 20];
	size_t n = fread(data, 1, sizeof(data), fp);
	fclose(fp);
	add_text(t, data, n);
	size_t start = 0;
	while (start < n) {
		size_t end = start + 2048 < n ? start + 2048 : n;
		while (end < n && data[end] != '\n')
			end++;
		add_text(t, data + start, end - start);
		start = end;
	}
}

static void add_dir(struct texts *t, const char *dir, unsigned depth)
{
	DIR *d = opendir(dir);
	if (d == NULL || depth > 4) {
		if (d != NULL)
			closedir(d);
		return;
	}
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		struct stat st;
		if (stat(path, &st) != 0)
			continue;
		if (S_ISDIR(st.st_mode))
			add_dir(t, path, depth + 1);
		else if (S_ISREG(st.st_mode) && st.st_size < (1 << 20))
			add_file(t, path);
	}
	closedir(d);
}

static void free_texts(struct texts *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->s[i]);
	free(t->s);
	free(t->len);
}

static void quiet(struct diag *d, const char *line)
{
	(void)d;
	(void)line;
}

static const char *const samples[] = {
	"Hej, vi kan ikke logge ind. Ring venligst tilbage på 12345678.",
	"FRAVÆR i vagtplanen for medarbejderen Jens Hansen, medarb.nr. 1042",
	"Please call me back, the payroll export is broken since today.",
	"Hvordan ændrer jeg en vagt i appen?",
	"\xE2\x84\xAA" "AN I SE HVAD DER ER GALT? ſlettet",
	"",
	"x",
};

static void corpus(struct texts *t)
{
	for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++)
		add_text(t, samples[i], strlen(samples[i]));
	add_dir(t, TOP_SRCDIR "/tests/golden", 0);
	add_dir(t, TOP_SRCDIR "/tests/data/offline", 0);
	const char *shared = getenv("SHARED_DIR");
	char path[4096];
	snprintf(path, sizeof(path), "%s/corpus", shared != NULL ? shared : TOP_SRCDIR "/../shared");
	add_dir(t, path, 0);
	/* Extra texts (e.g. the views support-milter -t --show-text prints). */
	const char *extra = getenv("PREFILTER_TEXTS");
	if (extra != NULL)
		add_dir(t, extra, 0);
}

/* For every regex of the shipped rules and every text: PCRE2 matches
 * implies the prefilter says maybe. */
START_TEST(test_sound_shipped)
{
	struct diag d = { .emit = quiet };
	struct rules_options opt = { .match_limit = 1000000 };
	struct ruleset *rs = rules_load_dir(TOP_SRCDIR "/rules", &opt, &d);
	ck_assert_ptr_nonnull(rs);
	ck_assert_uint_ge(prefilter_n_filtered(rs->pf), 40);
	struct texts t = { 0 };
	corpus(&t);
	/* More than the samples: the golden mails were read too. */
	ck_assert_uint_gt(t.n, sizeof(samples) / sizeof(samples[0]));
	struct pf_scan *sc = pf_scan_new(rs->pf);
	pcre2_match_data *md = pcre2_match_data_create(1, NULL);
	unsigned long pairs = 0, matched = 0, rejected = 0;
	for (size_t i = 0; i < t.n; i++) {
		pf_scan_reset(sc);
		for (uint32_t r = 0; r < rs->n_re; r++) {
			bool maybe = pf_scan_maybe(sc, r, t.s[i], t.len[i]);
			int rc = pcre2_match(rs->re[r], (PCRE2_SPTR)t.s[i], t.len[i], 0, 0, md, NULL);
			ck_assert_msg(rc >= 0 || rc == PCRE2_ERROR_NOMATCH, "regex %u: pcre2 %d", r, rc);
			ck_assert_msg(rc < 0 || maybe, "regex %u matches text %zu but was ruled out", r, i);
			pairs++;
			matched += rc >= 0;
			rejected += !maybe;
		}
	}
	printf("prefilter: %zu regexes (%zu filtered, %zu literals), %zu texts: "
	       "%lu pairs, %lu match, %lu ruled out without PCRE2\n",
	       rs->n_re, prefilter_n_filtered(rs->pf), prefilter_n_literals(rs->pf), t.n, pairs,
	       matched, rejected);
	ck_assert_uint_gt(rejected, pairs / 4);
	pcre2_match_data_free(md);
	pf_scan_free(sc);
	free_texts(&t);
	rules_free(rs);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("prefilter");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_extract);
	tcase_add_test(tc, test_limits);
	tcase_add_test(tc, test_fold);
	tcase_add_test(tc, test_fold_vs_pcre2);
	tcase_add_test(tc, test_sound_cases);
	tcase_add_test(tc, test_scan);
	tcase_add_test(tc, test_sound_shipped);
	suite_add_tcase(s, tc);
	return s;
}

#include "check_main.h"
