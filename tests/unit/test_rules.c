/*
 * test_rules: the rules language (parser, linker, --check messages) and
 * its evaluation on hand-built facts.  Every directive has good lines and
 * bad lines; bad lines are checked against the exact "file:line: message"
 * text that --check prints.
 */
#include "autoconfig.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "diag.h"
#include "facts.h"
#include "rules.h"
#include "rules_int.h"
#include "verdict.h"

/* ------------------------------------------------------------ helpers */

static struct buf errout;

static void capture(struct diag *d, const char *line)
{
	(void)d;
	buf_printf(&errout, "%s\n", line);
}

static void diag_capture(struct diag *d)
{
	memset(d, 0, sizeof(*d));
	d->emit = capture;
	buf_reset(&errout);
}

static void setup(void)
{
	buf_init(&errout, 1 << 20);
}

static void teardown(void)
{
	buf_free(&errout);
}

static const struct rules_options opts = { .match_limit = 100000 };

static struct ruleset *load(const char *text, struct diag *d)
{
	diag_capture(d);
	return rules_load_buffer("t.rules", text, strlen(text), &opts, d);
}

/* Loads text, which must fail with exactly the diagnostics in want. */
static void expect_errors(const char *text, const char *want)
{
	struct diag d;
	struct ruleset *rs = load(text, &d);
	ck_assert_msg(rs == NULL, "loaded: %s", text);
	ck_assert_str_eq(buf_cstr(&errout), want);
	ck_assert_uint_gt(d.errors, 0);
}

static struct ruleset *expect_ok(const char *text)
{
	struct diag d;
	struct ruleset *rs = load(text, &d);
	ck_assert_msg(rs != NULL, "failed: %s\n%s", text, buf_cstr(&errout));
	ck_assert_uint_eq(d.errors, 0);
	return rs;
}

/* A facts record with sane empty values; tests fill in what they need. */
static void facts_blank(struct facts *f)
{
	memset(f, 0, sizeof(*f));
	f->subject = "";
	f->body = "";
	f->own = "";
	f->language = "da";
	f->env_from = "kunde@example.dk";
}

static void facts_text(struct facts *f, const char *subject, const char *body, const char *own)
{
	f->subject = subject;
	f->body = body;
	f->body_len = strlen(body);
	f->own = own;
	f->own_len = strlen(own);
}

static void eval(const struct ruleset *rs, const struct facts *f, struct verdict *v)
{
	struct rules_scratch *sc = rules_scratch_new(rs);
	ck_assert_ptr_nonnull(sc);
	ck_assert_int_eq(rules_eval(rs, sc, f, v), 0);
	ck_assert(v->rules_ran);
	rules_scratch_free(sc);
}

/* The fired list as "A,B,C". */
static const char *fired(const struct verdict *v)
{
	static char s[4096];
	s[0] = '\0';
	for (size_t i = 0; i < v->n_fired; i++) {
		if (i > 0)
			strcat(s, ",");
		strcat(s, v->fired[i]);
	}
	return s;
}

static const char *missing(const struct verdict *v)
{
	static char s[1024];
	s[0] = '\0';
	for (size_t i = 0; i < v->n_missing; i++) {
		if (i > 0)
			strcat(s, ",");
		strcat(s, v->missing[i].id);
	}
	return s;
}

static const char *cats(const struct verdict *v)
{
	static char s[1024];
	s[0] = '\0';
	for (size_t i = 0; i < v->n_categories; i++) {
		if (i > 0)
			strcat(s, ",");
		strcat(s, v->categories[i].id);
	}
	return s;
}

/* Loads rules, evaluates them on f and returns whether rule name fired. */
static bool fires(const char *rules, const struct facts *f, const char *name)
{
	struct ruleset *rs = expect_ok(rules);
	struct verdict v;
	eval(rs, f, &v);
	bool hit = false;
	for (size_t i = 0; i < v.n_fired; i++)
		hit = hit || strcmp(v.fired[i], name) == 0;
	rules_free(rs);
	return hit;
}

/* ------------------------------------------------------------ good lines */

static const char *const good_lines[] = {
	/* header */
	"header H From =~ /example\\.dk/i\n",
	"header H From !~ /x/\n",
	"header H exists:List-Id\n",
	"header H ALL =~ /^List-Id:/mi\n",
	"header H Subject =~ m{a/b{2}}i\n",
	/* subject, body, own */
	"subject S /fravær/i\n",
	"subject S m!a/b!\n",
	"body B /ring(e)? mig op/i\n",
	"body B /a b # c/x\n",
	"own O /logget ind som \\S+/is\n",
	/* attach */
	"attach A image && width >= 200 && height >= 100 && !inline\n",
	"attach A detected =~ /png/ && declared !~ /png/ && name =~ /\\.exe$/i\n",
	"attach A size > 1M && size <= 2G && size != 0 && size == 5k && size < 10\n",
	"attach A mismatch && forwarded && screenshot && !image\n",
	/* envelope */
	"envelope E from =~ /^$/\n",
	"envelope E rcpt !~ /support@/i\n",
	/* flag */
	"flag F truncated\n",
	"flag F mime-error encoding-error charset-error any-error\n",
	"flag F trunc-header trunc-line trunc-depth trunc-parts trunc-text trunc-headers\n",
	/* meta */
	"body A /a/\nbody B /b/\nmeta M (A || !B) && !!A\n",
	"meta M B\nbody B /b/\n",   /* a name may be used before its definition */
	"meta M screenshot || mismatch || open || peak || closed_date || null_sender\n",
	"meta M language(en) && !language(da) || true && !false\n",
	/* describe */
	"body B /b/\ndescribe B The customer says b\n",
	"describe B before the rule is fine\nbody B /b/\n",
	/* item, label, present, applies */
	"item reason required\nitem screenshot recommended\n"
	"label reason da Hvad henvendelsen drejer sig om\nlabel reason en What it is about\n"
	"label screenshot da Et skærmbillede\nlabel screenshot en A screenshot\n"
	"present reason true\npresent screenshot screenshot\n",
	"item employee-name required\nlabel employee-name da Navn\nlabel employee-name en Name\n"
	"body EMP /medarbejder/i\npresent employee-name EMP\napplies employee-name EMP\n"
	"applies employee-name false\n",
	/* category */
	"category callback in-scope CB\nbody CB /ring mig op/i\nlabel callback da Vi ringer ikke op\n",
	"category data-restore out-of-scope R && !category(callback)\ncategory callback in-scope false\n"
	"body R /gendan/i\n",
	/* priority, autoreply */
	"priority high true\npriority normal false\npriority low out_of_scope\n",
	"autoreply required_missing || out_of_scope\nautoreply false\n",
	/* layout: comments, blanks, CRLF, continuations */
	"# comment\n\n   # indented comment\r\nbody B /b/\r\n",
	"body B /a|\\\n      b/\n",
	"meta M A &&\\\n  B\nbody A /a/\nbody B /b/\n",
	"",
};

START_TEST(test_good_lines)
{
	for (size_t i = 0; i < sizeof(good_lines) / sizeof(good_lines[0]); i++) {
		struct diag d;
		struct ruleset *rs = load(good_lines[i], &d);
		ck_assert_msg(rs != NULL, "good line %zu failed: %s\n%s", i, good_lines[i],
		              buf_cstr(&errout));
		ck_assert_uint_eq(d.errors, 0);
		rules_free(rs);
	}
}
END_TEST

/* ------------------------------------------------------------ bad lines */

static const struct {
	const char *text;
	const char *errors;
} bad_lines[] = {
	/* general */
	{ "bogus X\n", "t.rules:1: unknown directive 'bogus'\n" },
	{ "Body B /x/\n", "t.rules:1: unknown directive 'Body'\n" },
	{ "body B /x/\nbody B /y/\n",
	  "t.rules:2: duplicate rule 'B' (first defined at t.rules:1)\n" },
	{ "body 1B /x/\n",
	  "t.rules:1: bad rule name '1B': use letters, digits and '_', not starting with a digit\n" },
	{ "body B-2 /x/\n",
	  "t.rules:1: bad rule name 'B-2': use letters, digits and '_', not starting with a digit\n" },
	{ "body open /x/\n", "t.rules:1: 'open' is a built-in name\n" },
	{ "body\n", "t.rules:1: usage: body NAME /REGEX/FLAGS\n" },
	{ "body B /x\xff/\n", "t.rules:1: invalid UTF-8\n" },
	{ "body B /x/\n\nbody C \\\n  /y\n",
	  "t.rules:3: unterminated regex at column 8\n" },
	{ "# a comment \\\nbogus\n", "t.rules:2: unknown directive 'bogus'\n" },
	/* header */
	{ "header H From /x/\n",
	  "t.rules:1: usage: header NAME FIELD =~ /REGEX/FLAGS (or !~), or header NAME exists:FIELD\n" },
	{ "header H\n",
	  "t.rules:1: usage: header NAME FIELD =~ /REGEX/FLAGS (or !~), or header NAME exists:FIELD\n" },
	{ "header H Fr:om =~ /x/\n", "t.rules:1: bad header field name 'Fr:om'\n" },
	{ "header H exists:Fr:om\n", "t.rules:1: bad header field name 'Fr:om'\n" },
	{ "header H From =~ x\n", "t.rules:1: expected /REGEX/ at column 18\n" },
	{ "header H From =~ /a(b/\n",
	  "t.rules:1: bad regex /a(b/: missing closing parenthesis at offset 3\n" },
	/* subject, body, own */
	{ "subject S /x/q\n", "t.rules:1: bad regex flag 'q' (use i, m, s, x)\n" },
	{ "subject S /x/iø\n", "t.rules:1: bad regex flag 'ø' (use i, m, s, x)\n" },
	{ "subject S /[a-/\n",
	  "t.rules:1: bad regex /[a-/: missing terminating ] for character class at offset 3\n" },
	{ "body B /x/ trailing\n", "t.rules:1: unexpected 'trailing' at column 12\n" },
	{ "body B /x\n", "t.rules:1: unterminated regex at column 8\n" },
	{ "body B m{a{2}\n", "t.rules:1: unterminated regex at column 9\n" },
	{ "own O /(?<n/\n",
	  "t.rules:1: bad regex /(?<n/: syntax error in subpattern name (missing terminator?) at offset 4\n" },
	{ "own O\n", "t.rules:1: usage: own NAME /REGEX/FLAGS\n" },
	/* attach */
	{ "attach A colour =~ /x/\n", "t.rules:1: unknown attach condition 'colour'\n" },
	{ "attach A size >= 10q\n", "t.rules:1: bad number '10q'\n" },
	{ "attach A size >= 99999999999999999999\n",
	  "t.rules:1: bad number '99999999999999999999'\n" },
	{ "attach A width >= \n", "t.rules:1: expected a number at column 19\n" },
	{ "attach A width = 3\n",
	  "t.rules:1: expected <, <=, >, >=, == or != at column 16\n" },
	{ "attach A image width > 1\n",
	  "t.rules:1: expected '&&' before 'width' at column 16\n" },
	{ "attach A !size > 1\n",
	  "t.rules:1: '!' only goes before inline, image, mismatch, forwarded or screenshot\n" },
	{ "attach A name /x/\n",
	  "t.rules:1: usage: attach NAME CONDITION [&& CONDITION ...]\n" },
	{ "attach A image &&\n", "t.rules:1: expected an attach condition at column 18\n" },
	{ "attach A\n", "t.rules:1: usage: attach NAME CONDITION [&& CONDITION ...]\n" },
	/* envelope */
	{ "envelope E to =~ /x/\n", "t.rules:1: usage: envelope NAME from|rcpt =~ /REGEX/FLAGS (or !~)\n" },
	{ "envelope E from /x/\n", "t.rules:1: usage: envelope NAME from|rcpt =~ /REGEX/FLAGS (or !~)\n" },
	/* flag */
	{ "flag F truncated bogus-flag\n", "t.rules:1: unknown flag 'bogus-flag'\n" },
	{ "flag F\n", "t.rules:1: usage: flag NAME FLAG [FLAG ...]\n" },
	/* meta */
	{ "meta M\n", "t.rules:1: usage: meta NAME EXPRESSION\n" },
	{ "meta M \n", "t.rules:1: usage: meta NAME EXPRESSION\n" },
	{ "body A /a/\nmeta M A &&\n", "t.rules:2: expected a rule name, '!' or '(' at end of line\n" },
	{ "body A /a/\nmeta M (A\n", "t.rules:2: expected ')' at end of line\n" },
	{ "body A /a/\nmeta M A)\n", "t.rules:2: unbalanced ')' at column 9\n" },
	{ "body A /a/\nbody B /b/\nmeta M A B\n",
	  "t.rules:3: expected '&&', '||' or end of expression at column 10\n" },
	{ "body A /a/\nmeta M A & A\n",
	  "t.rules:2: expected '&&', '||' or end of expression at column 10\n" },
	{ "meta M A || UNDEF\nbody A /a/\n", "t.rules:1: undefined rule 'UNDEF' at column 13\n" },
	{ "meta M category callback\n", "t.rules:1: expected '(' at column 17\n" },
	{ "meta M missing()\n", "t.rules:1: expected an id at column 16\n" },
	{ "meta M language(fr)\n", "t.rules:1: language() takes da or en at column 17\n" },
	{ "meta M missing(nothing)\n", "t.rules:1: unknown item 'nothing' at column 16\n" },
	{ "meta M category(nothing)\n", "t.rules:1: unknown category 'nothing' at column 17\n" },
	{ "item user required\nmeta M category(user)\n",
	  "t.rules:2: 'user' is an item, not a category, at column 17\n"
	  "t.rules:1: warning: item 'user' has no present line: it is always missing\n"
	  "t.rules:1: warning: item 'user' has no da or en label\n" },
	{ "meta M M\n", "t.rules:1: meta cycle: M -> M\n" },
	{ "meta A B\nmeta B C\nmeta C A\n", "t.rules:1: meta cycle: A -> B -> C -> A\n" },
	{ "category oos out-of-scope X\nmeta X out_of_scope\n",
	  "t.rules:1: meta cycle: category(oos) -> X -> out_of_scope -> category(oos)\n" },
	/* describe */
	{ "describe X\n", "t.rules:1: usage: describe NAME TEXT\n" },
	{ "describe NOPE something\n", "t.rules:1: describe for undefined rule 'NOPE'\n" },
	{ "body B /b/\ndescribe B one\ndescribe B two\n", "t.rules:3: duplicate describe for 'B'\n" },
	/* item */
	{ "item reason mandatory\n", "t.rules:1: usage: item ID required|recommended\n" },
	{ "item Bad! required\n", "t.rules:1: bad id 'Bad!': use letters, digits, '-', '_' and '.'\n" },
	{ "item -x required\n", "t.rules:1: bad id '-x': use letters, digits, '-', '_' and '.'\n" },
	{ "item x required extra\n", "t.rules:1: unexpected 'extra' at column 17\n" },
	{ "item x required\nlabel x da X\nlabel x en X\npresent x true\nitem x recommended\n",
	  "t.rules:5: duplicate item 'x' (first defined at t.rules:1)\n" },
	/* label */
	{ "item x required\nlabel x fr Raison\nlabel x da X\nlabel x en X\npresent x true\n",
	  "t.rules:2: usage: label ID da|en TEXT\n" },
	{ "label nobody da Hvem\n",
	  "t.rules:1: label for unknown item or category 'nobody' (declare it first)\n" },
	{ "item x required\nlabel x da\nlabel x da X\nlabel x en X\npresent x true\n",
	  "t.rules:2: usage: label ID da|en TEXT\n" },
	{ "item x required\nlabel x da X\nlabel x da Y\nlabel x en X\npresent x true\n",
	  "t.rules:3: duplicate label 'x' da\n" },
	/* present */
	{ "present nobody true\n",
	  "t.rules:1: present for unknown item 'nobody' (declare it first)\n" },
	{ "category c in-scope true\npresent c true\n",
	  "t.rules:2: present for 'c', which is a category, not an item\n" },
	{ "item x required\nlabel x da X\nlabel x en X\npresent x\n",
	  "t.rules:4: usage: present ID EXPRESSION\n"
	  "t.rules:1: warning: item 'x' has no present line: it is always missing\n" },
	{ "item x required\nlabel x da X\nlabel x en X\npresent x missing(x)\n",
	  "t.rules:4: meta cycle: missing(x) -> present(x) -> missing(x)\n" },
	/* applies */
	{ "applies nobody true\n",
	  "t.rules:1: applies for unknown item 'nobody' (declare it first)\n" },
	{ "item x required\nlabel x da X\nlabel x en X\npresent x true\napplies x (true\n",
	  "t.rules:5: expected ')' at end of line\n" },
	/* category */
	{ "category x maybe true\n", "t.rules:1: usage: category ID in-scope|out-of-scope EXPRESSION\n" },
	{ "category x in-scope\n", "t.rules:1: usage: category ID in-scope|out-of-scope EXPRESSION\n" },
	{ "category x in-scope true\ncategory x out-of-scope false\n",
	  "t.rules:2: duplicate category 'x' (first defined at t.rules:1)\n" },
	{ "item x required\nlabel x da X\nlabel x en X\npresent x true\ncategory x in-scope true\n",
	  "t.rules:5: duplicate item 'x' (first defined at t.rules:1)\n" },
	/* priority */
	{ "priority urgent true\n", "t.rules:1: usage: priority high|normal|low EXPRESSION\n" },
	{ "priority high\n", "t.rules:1: usage: priority high|normal|low EXPRESSION\n" },
	{ "priority high !\n", "t.rules:1: expected a rule name, '!' or '(' at end of line\n" },
	/* autoreply */
	{ "autoreply\n", "t.rules:1: usage: autoreply EXPRESSION\n" },
	{ "autoreply true ||\n", "t.rules:1: expected a rule name, '!' or '(' at end of line\n" },
	{ "autoreply NOPE\n", "t.rules:1: undefined rule 'NOPE' at column 11\n" },
};

START_TEST(test_bad_lines)
{
	expect_errors(bad_lines[_i].text, bad_lines[_i].errors);
}
END_TEST

START_TEST(test_all_errors_collected)
{
	/* Errors of every kind in one file: all reported, parse errors in
	 * line order, then those found once every line is read. */
	expect_errors(
		"bogus X\n"
		"body B /a(/\n"
		"meta M UNDEF || B\n"
		"body B /dup/\n"
		"meta C1 C2\n"
		"meta C2 C1\n"
		"item x required\n"
		"item x required\n"
		"attach A colour =~ /x/\n",
		"t.rules:1: unknown directive 'bogus'\n"
		"t.rules:2: bad regex /a(/: missing closing parenthesis at offset 2\n"
		"t.rules:4: duplicate rule 'B' (first defined at t.rules:2)\n"
		"t.rules:8: duplicate item 'x' (first defined at t.rules:7)\n"
		"t.rules:9: unknown attach condition 'colour'\n"
		"t.rules:3: undefined rule 'UNDEF' at column 8\n"
		"t.rules:7: warning: item 'x' has no present line: it is always missing\n"
		"t.rules:7: warning: item 'x' has no da or en label\n"
		"t.rules:5: meta cycle: C1 -> C2 -> C1\n");
}
END_TEST

START_TEST(test_line_limits)
{
	/* NUL inside a line, and a logical line over the limit. */
	static const char nul[] = "body A /a/\nbody B /b\0/\n";
	struct diag d;
	diag_capture(&d);
	ck_assert_ptr_null(rules_load_buffer("t.rules", nul, sizeof(nul) - 1, &opts, &d));
	ck_assert_str_eq(buf_cstr(&errout), "t.rules:2: NUL byte in line\n");

	size_t n = 70000;
	char *big = malloc(n + 16);
	memcpy(big, "body B /", 8);
	memset(big + 8, 'a', n);
	memcpy(big + 8 + n, "/\n", 3);
	diag_capture(&d);
	ck_assert_ptr_null(rules_load_buffer("t.rules", big, strlen(big), &opts, &d));
	ck_assert_str_eq(buf_cstr(&errout), "t.rules:1: line longer than 65536 bytes\n");
	free(big);

	/* Deep nesting is refused, not recursed into. */
	struct buf e;
	buf_init(&e, 1 << 16);
	buf_printf(&e, "meta M ");
	for (int i = 0; i < 100; i++)
		buf_putc(&e, '(');
	buf_printf(&e, "true");
	for (int i = 0; i < 100; i++)
		buf_putc(&e, ')');
	buf_putc(&e, '\n');
	expect_errors(buf_cstr(&e), "t.rules:1: expression nested too deeply at column 72\n");
	buf_free(&e);
}
END_TEST

START_TEST(test_too_many_errors)
{
	struct buf t;
	buf_init(&t, 1 << 20);
	for (int i = 0; i < 1500; i++)
		buf_printf(&t, "bogus %d\n", i);
	struct diag d;
	diag_capture(&d);
	ck_assert_ptr_null(rules_load_buffer("t.rules", buf_cstr(&t), t.len, &opts, &d));
	ck_assert_uint_eq(d.errors, 1001);
	ck_assert_ptr_nonnull(strstr(buf_cstr(&errout), "t.rules:1000: too many errors; stopping\n"));
	buf_free(&t);
}
END_TEST

/* ------------------------------------------------------------ files */

static char tmpdir[64];

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *fp = fopen(path, "w");
	ck_assert_ptr_nonnull(fp);
	fputs(text, fp);
	fclose(fp);
}

START_TEST(test_dir_errors_across_files)
{
	struct diag d;
	diag_capture(&d);
	struct ruleset *rs = rules_load_dir(TEST_DATA_DIR "/rules/bad", &opts, &d);
	ck_assert_ptr_null(rs);
	ck_assert_str_eq(buf_cstr(&errout),
		TEST_DATA_DIR "/rules/bad/10-first.rules:4: bad regex /vagtplan(/: missing closing parenthesis at offset 9\n"
		TEST_DATA_DIR "/rules/bad/20-second.rules:3: duplicate rule 'LOC' (first defined at " TEST_DATA_DIR "/rules/bad/10-first.rules:4)\n"
		TEST_DATA_DIR "/rules/bad/20-second.rules:6: label for unknown item or category 'usr' (declare it first)\n"
		TEST_DATA_DIR "/rules/bad/20-second.rules:8: unknown directive 'frobnicate'\n"
		TEST_DATA_DIR "/rules/bad/20-second.rules:9: undefined rule 'USER_GIVEN' at column 21\n");
	ck_assert_uint_eq(d.errors, 5);
}
END_TEST

START_TEST(test_dir_good)
{
	struct diag d;
	diag_capture(&d);
	struct ruleset *rs = rules_load_dir(TEST_DATA_DIR "/rules/good", &opts, &d);
	ck_assert_msg(rs != NULL, "%s", buf_cstr(&errout));
	ck_assert_str_eq(buf_cstr(&errout), "");
	/* 10-items.rules, 20-text.rules; README, .hidden.rules and
	 * 30-old.rules~ are not read (they would not parse). */
	ck_assert_uint_eq(rules_count(rs), 4);
	ck_assert_str_eq(rules_describe(rs, "LOC_VAGTPLAN"), "Vagtplan named in subject or text");
	ck_assert_ptr_null(rules_describe(rs, "USER_GIVEN"));
	ck_assert_ptr_null(rules_describe(rs, "NOPE"));
	const char *h = rules_hash(rs);
	ck_assert_uint_eq(strlen(h), 12);
	ck_assert_uint_eq(strspn(h, "0123456789abcdef"), 12);

	struct facts f;
	facts_blank(&f);
	facts_text(&f, "Vagtplan", "Vagtplan virker ikke. Jeg er logget ind som mette", "");
	struct verdict v;
	eval(rs, &f, &v);
	ck_assert_str_eq(missing(&v), "screenshot");
	ck_assert_str_eq(fired(&v), "LOC_VAGTPLAN,USER_GIVEN");
	rules_free(rs);
}
END_TEST

START_TEST(test_dir_missing_and_empty)
{
	struct diag d;
	diag_capture(&d);
	ck_assert_ptr_null(rules_load_dir(TEST_DATA_DIR "/rules/does-not-exist", &opts, &d));
	ck_assert_str_eq(buf_cstr(&errout),
	                 TEST_DATA_DIR "/rules/does-not-exist: cannot open rules directory: No such file or directory\n");

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_rules.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	write_file(tmpdir, "notes.txt", "bogus\n");
	diag_capture(&d);
	struct ruleset *rs = rules_load_dir(tmpdir, &opts, &d);
	ck_assert_ptr_nonnull(rs);
	ck_assert_uint_eq(d.warnings, 1);
	ck_assert_uint_eq(rules_count(rs), 0);
	struct facts f;
	facts_blank(&f);
	struct verdict v;
	eval(rs, &f, &v);
	ck_assert_int_eq(v.priority, PRIORITY_NORMAL);
	ck_assert_uint_eq(v.n_missing + v.n_categories + v.n_fired, 0);
	ck_assert(!v.autoreply_wanted);
	rules_free(rs);

	/* A directory named like a rules file is an error, not skipped. */
	char sub[128];
	snprintf(sub, sizeof(sub), "%s/50-dir.rules", tmpdir);
	ck_assert_int_eq(mkdir(sub, 0700), 0);
	diag_capture(&d);
	ck_assert_ptr_null(rules_load_dir(tmpdir, &opts, &d));
	char want[256];
	snprintf(want, sizeof(want), "%s: cannot read: not a regular file\n", sub);
	ck_assert_str_eq(buf_cstr(&errout), want);
	rmdir(sub);

	/* rules_load_file on a missing file. */
	diag_capture(&d);
	ck_assert_ptr_null(rules_load_file("/nonexistent/x.rules", &opts, &d));
	ck_assert_str_eq(buf_cstr(&errout), "/nonexistent/x.rules: cannot read: No such file or directory\n");

	snprintf(sub, sizeof(sub), "%s/notes.txt", tmpdir);
	unlink(sub);
	rmdir(tmpdir);
}
END_TEST

START_TEST(test_hash)
{
	struct diag d;
	diag_capture(&d);
	struct ruleset *a = rules_load_buffer("x.rules", "body B /b/\n", 11, &opts, &d);
	struct ruleset *b = rules_load_buffer("/other/dir/x.rules", "body B /b/\n", 11, &opts, &d);
	struct ruleset *c = rules_load_buffer("x.rules", "body B /c/\n", 11, &opts, &d);
	struct ruleset *e = rules_load_buffer("y.rules", "body B /b/\n", 11, &opts, &d);
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	ck_assert_ptr_nonnull(c);
	ck_assert_ptr_nonnull(e);
	ck_assert_str_eq(rules_hash(a), rules_hash(b));   /* base name only */
	ck_assert_str_ne(rules_hash(a), rules_hash(c));   /* contents */
	ck_assert_str_ne(rules_hash(a), rules_hash(e));   /* name */
	rules_free(a);
	rules_free(b);
	rules_free(c);
	rules_free(e);
	rules_free(NULL);
	ck_assert_str_eq(rules_hash(NULL), "-");
	ck_assert_uint_eq(rules_count(NULL), 0);
}
END_TEST

START_TEST(test_500_rules_load)
{
	struct buf t;
	buf_init(&t, 8 << 20);
	for (int i = 0; i < 500; i++) {
		switch (i % 5) {
		case 0: buf_printf(&t, "body R%d /\\bmodul%d\\w*/i\n", i, i); break;
		case 1: buf_printf(&t, "subject R%d /emne%d|fejl%d/i\n", i, i, i); break;
		case 2: buf_printf(&t, "header R%d X-Test-%d =~ /v%d/\n", i, i, i); break;
		case 3: buf_printf(&t, "own R%d /ord%d (og|eller) \\d+/i\n", i, i); break;
		default: buf_printf(&t, "meta R%d R%d || !R%d && R%d\n", i, i - 1, i - 2, i - 4); break;
		}
	}
	struct ruleset *rs = expect_ok(buf_cstr(&t));
	ck_assert_uint_eq(rules_count(rs), 500);
	struct facts f;
	facts_blank(&f);
	facts_text(&f, "emne1", "modul0 modul5", "");
	struct verdict v;
	eval(rs, &f, &v);
	/* R(5k+4) = R(5k+3) || !R(5k+2) && R(5k): only modul0 and modul5 are
	 * in the body, so only R4 and R9 of the metas hold. */
	ck_assert_str_eq(fired(&v), "R0,R1,R4,R5,R9");
	rules_free(rs);
	buf_free(&t);
}
END_TEST

/* ------------------------------------------------------------ evaluation */

static const char *const support_rules =
	"body     __LOC_VAGTPLAN /vagtplan/i\n"
	"body     __LOC_FRAVAER  /fravær/i\n"
	"meta     LOCATION       __LOC_VAGTPLAN || __LOC_FRAVAER\n"
	"body     USER_GIVEN     /logget (ind|på) som \\S+/i\n"
	"own      REASON         /virker ikke|fejl|hvordan/i\n"
	"body     EMPLOYEE       /en af (mine|vores) medarbejdere|medarbejderen \\w+/i\n"
	"body     EMP_NAME       /medarbejderen [A-ZÆØÅ]\\w+/\n"
	"body     EMP_NUMBER     /medarb(ejder)?\\.?\\s*nr\\.?\\s*\\d+/i\n"
	"body     EMP_DATE       /\\b(i dag|i går|\\d+\\/\\d+)/i\n"
	"body     __CB_ASK       /ringe? (mig|os) op/i\n"
	"body     __CB_NOT       /(ikke|ingen) (brug for|behov for) (at blive ringet|et opkald)/i\n"
	"meta     CALLBACK       __CB_ASK && !__CB_NOT\n"
	"body     RESTORE        /gendan|genskab/i\n"
	"header   __AUTO_NOT_NO  Auto-Submitted !~ /^no$/i\n"
	"header   __HAS_AUTO     exists:Auto-Submitted\n"
	"meta     AUTOMATIC      __HAS_AUTO && __AUTO_NOT_NO\n"
	"body     URGENT         /\\b(haster|akut)\\b/i\n"
	"item reason required\n"
	"label reason da Hvad henvendelsen drejer sig om\n"
	"label reason en What the request is about\n"
	"present reason REASON && !AUTOMATIC\n"
	"item location required\n"
	"label location da Hvor i systemet\n"
	"label location en Where in the system\n"
	"present location LOCATION && !AUTOMATIC\n"
	"item user required\n"
	"label user da Brugeren\n"
	"label user en The user\n"
	"present user USER_GIVEN && !AUTOMATIC\n"
	"item employee-name required\n"
	"label employee-name da Medarbejderens navn\n"
	"label employee-name en The employee's name\n"
	"applies employee-name EMPLOYEE\n"
	"present employee-name EMP_NAME\n"
	"item employee-number required\n"
	"label employee-number da Medarbejdernummer\n"
	"label employee-number en Employee number\n"
	"applies employee-number EMPLOYEE\n"
	"present employee-number EMP_NUMBER\n"
	"item employee-date required\n"
	"label employee-date da Dato\n"
	"label employee-date en Date\n"
	"applies employee-date EMPLOYEE\n"
	"present employee-date EMP_DATE\n"
	"item screenshot recommended\n"
	"label screenshot da Et skærmbillede\n"
	"label screenshot en A screenshot\n"
	"present screenshot screenshot\n"
	"category callback in-scope CALLBACK\n"
	"label callback da Vi ringer ikke op.\n"
	"category data-restore out-of-scope RESTORE\n"
	"category unrelated out-of-scope AUTOMATIC\n"
	"priority low AUTOMATIC\n"
	"priority low out_of_scope && !LOCATION\n"
	"priority high URGENT && !out_of_scope\n"
	"autoreply required_missing || out_of_scope || category(callback)\n";

START_TEST(test_eval_items)
{
	struct ruleset *rs = expect_ok(support_rules);
	struct facts f;
	struct verdict v;

	/* Not about an employee: the employee items do not apply. */
	facts_blank(&f);
	facts_text(&f, "Vagtplan", "Vagtplan\nHvordan kopierer jeg en uge?", "Hvordan kopierer jeg en uge?");
	eval(rs, &f, &v);
	ck_assert_str_eq(missing(&v), "user,screenshot");
	ck_assert(verdict_has_required_missing(&v));
	ck_assert(v.autoreply_wanted);
	ck_assert_str_eq(v.missing[0].label_da, "Brugeren");
	ck_assert_str_eq(v.missing[0].label_en, "The user");
	ck_assert(v.missing[0].required);
	ck_assert(!v.missing[1].required);
	ck_assert_int_eq(v.priority, PRIORITY_NORMAL);
	ck_assert(!v.out_of_scope);

	/* About one employee, with number and date but no name. */
	const char *t = "Fravær: en af mine medarbejdere har medarb. nr. 1042 og blev syg i går; "
	                "det virker ikke. Logget ind som mette.k";
	facts_text(&f, "", t, t);
	eval(rs, &f, &v);
	ck_assert_str_eq(missing(&v), "employee-name,screenshot");

	/* Everything given, screenshot too: nothing missing, no reply. */
	struct attachment shot;
	memset(&shot, 0, sizeof(shot));
	f.screenshot = &shot;
	t = "Fravær for medarbejderen Jens, medarbejdernr. 7, d. 3/11 virker ikke. Logget på som mk";
	facts_text(&f, "", t, t);
	eval(rs, &f, &v);
	ck_assert_str_eq(missing(&v), "");
	ck_assert(!verdict_has_required_missing(&v));
	ck_assert(!v.autoreply_wanted);

	/* Only the recommended item missing: no auto-reply by default. */
	f.screenshot = NULL;
	eval(rs, &f, &v);
	ck_assert_str_eq(missing(&v), "screenshot");
	ck_assert(!verdict_has_required_missing(&v));
	ck_assert(!v.autoreply_wanted);
	rules_free(rs);
}
END_TEST

START_TEST(test_eval_categories_priority)
{
	struct ruleset *rs = expect_ok(support_rules);
	struct facts f;
	struct verdict v;

	/* Callback alone is in scope, and wants a reply. */
	facts_blank(&f);
	const char *t = "Vil I ringe mig op? Det drejer sig om vagtplan. Logget ind som bo";
	facts_text(&f, "", t, t);
	eval(rs, &f, &v);
	ck_assert_str_eq(cats(&v), "callback");
	ck_assert(!v.out_of_scope);
	ck_assert(v.autoreply_wanted);
	ck_assert_str_eq(v.categories[0].explain_da, "Vi ringer ikke op.");
	ck_assert_ptr_null(v.categories[0].explain_en);
	ck_assert_str_eq(missing(&v), "reason,screenshot");
	ck_assert_str_eq(fired(&v), "LOCATION,USER_GIVEN,CALLBACK");

	/* The negation keeps it from being a callback. */
	t = "Vagtplan virker ikke, men jeg har ikke brug for et opkald, ring mig op hvis I vil";
	facts_text(&f, "", t, t);
	eval(rs, &f, &v);
	ck_assert_str_eq(cats(&v), "");

	/* Out of scope without a location: low. */
	t = "Kan I gendanne de vagter vi slettede? HASTER";
	facts_text(&f, "", t, t);
	eval(rs, &f, &v);
	ck_assert_str_eq(cats(&v), "data-restore");
	ck_assert(v.out_of_scope);
	ck_assert(v.autoreply_wanted);
	ck_assert(v.categories[0].out_of_scope);
	ck_assert_int_eq(v.priority, PRIORITY_LOW);

	/* Urgent, in scope: high; the first matching priority line wins. */
	t = "Akut: fravær virker ikke for nogen";
	facts_text(&f, "", t, t);
	eval(rs, &f, &v);
	ck_assert_int_eq(v.priority, PRIORITY_HIGH);

	/* Automatic mail: low even though it says akut, no items present. */
	struct facts_header hdrs[] = { { "From", "x@y" }, { "Auto-Submitted", "auto-replied" } };
	f.headers = hdrs;
	f.n_headers = 2;
	t = "Akut: fravær. Logget ind som x. Fejl i vagtplan";
	facts_text(&f, "", t, t);
	eval(rs, &f, &v);
	ck_assert_int_eq(v.priority, PRIORITY_LOW);
	ck_assert_str_eq(cats(&v), "unrelated");
	ck_assert_str_eq(missing(&v), "reason,location,user,screenshot");

	/* Auto-Submitted: no is a human. */
	hdrs[1].value = "No";
	eval(rs, &f, &v);
	ck_assert_int_eq(v.priority, PRIORITY_HIGH);
	ck_assert_str_eq(cats(&v), "");
	rules_free(rs);
}
END_TEST

START_TEST(test_eval_priority_order)
{
	struct ruleset *rs = expect_ok(
		"body A /a/\nbody B /b/\n"
		"priority normal A && B\n"
		"priority high A\n"
		"priority low B\n");
	struct facts f;
	struct verdict v;
	facts_blank(&f);
	static const struct { const char *body; enum priority p; } cases[] = {
		{ "a b", PRIORITY_NORMAL }, { "a", PRIORITY_HIGH }, { "b", PRIORITY_LOW },
		{ "c", PRIORITY_NORMAL },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		facts_text(&f, "", cases[i].body, "");
		eval(rs, &f, &v);
		ck_assert_int_eq(v.priority, cases[i].p);
	}
	rules_free(rs);
}
END_TEST

START_TEST(test_eval_autoreply)
{
	struct facts f;
	struct verdict v;
	facts_blank(&f);
	/* Default: required_missing || out_of_scope. */
	struct ruleset *rs = expect_ok("item r required\nlabel r da R\nlabel r en R\npresent r R\n"
	                               "body R /r/\ncategory x out-of-scope X\nbody X /x/\n");
	static const struct { const char *body; bool want; } dflt[] = {
		{ "r", false }, { "", true }, { "r x", true },
	};
	for (size_t i = 0; i < sizeof(dflt) / sizeof(dflt[0]); i++) {
		facts_text(&f, "", dflt[i].body, "");
		eval(rs, &f, &v);
		ck_assert_msg(v.autoreply_wanted == dflt[i].want, "case %zu", i);
	}
	rules_free(rs);
	/* Explicit lines replace the default and are OR'd. */
	rs = expect_ok("item r required\nlabel r da R\nlabel r en R\npresent r R\nbody R /r/\n"
	               "body Q /q/\nbody Z /z/\nautoreply Q\nautoreply Z && !R\n");
	static const struct { const char *body; bool want; } expl[] = {
		{ "", false }, { "q", true }, { "z", true }, { "z r", false }, { "q r", true },
	};
	for (size_t i = 0; i < sizeof(expl) / sizeof(expl[0]); i++) {
		facts_text(&f, "", expl[i].body, "");
		eval(rs, &f, &v);
		ck_assert_msg(v.autoreply_wanted == expl[i].want, "case %zu", i);
	}
	rules_free(rs);
}
END_TEST

START_TEST(test_eval_fired_list)
{
	struct facts f;
	struct verdict v;
	facts_blank(&f);
	facts_text(&f, "x", "x", "x");
	struct ruleset *rs = expect_ok("body Z /x/\nbody __HIDDEN /x/\nmeta A __HIDDEN\n"
	                               "body _ONE /x/\nbody NO /y/\nmeta NOT_NO !NO\n");
	eval(rs, &f, &v);
	ck_assert_str_eq(fired(&v), "Z,A,_ONE,NOT_NO");
	ck_assert(!v.fired_truncated);
	rules_free(rs);

	/* More than VERDICT_MAX_FIRED: cut, and said so. */
	struct buf t;
	buf_init(&t, 1 << 20);
	for (int i = 0; i < VERDICT_MAX_FIRED + 5; i++)
		buf_printf(&t, "body R%d /x/\n", i);
	rs = expect_ok(buf_cstr(&t));
	eval(rs, &f, &v);
	ck_assert_uint_eq(v.n_fired, VERDICT_MAX_FIRED);
	ck_assert(v.fired_truncated);
	ck_assert_str_eq(v.fired[0], "R0");
	rules_free(rs);
	buf_free(&t);
}
END_TEST

START_TEST(test_eval_case_folding)
{
	struct facts f;
	facts_blank(&f);
	facts_text(&f, "Fravær og ØL på ÅEN", "fravær", "");
	ck_assert(fires("body B /FRAVÆR/i\n", &f, "B"));
	ck_assert(!fires("body B /FRAVÆR/\n", &f, "B"));
	ck_assert(fires("subject S /^fravær og øl på åen$/i\n", &f, "S"));
	ck_assert(fires("subject S /\\bøl\\b/i\n", &f, "S"));  /* UCP: ø is a word char */
	ck_assert(fires("subject S /^\\w+ og/\n", &f, "S"));
	ck_assert(!fires("subject S /^.{5} /\n", &f, "S"));  /* UTF: one char per letter */
	ck_assert(fires("subject S /^.{6} /\n", &f, "S"));
	ck_assert(fires("subject S /ØL.*ÅEN/\n", &f, "S"));
}
END_TEST

START_TEST(test_eval_fast_classes)
{
	/* \d is ASCII [0-9]; \s keeps its Unicode members (rules_load.c
	 * rewrites both so that PCRE2 can skip ahead); everything else in
	 * the pattern keeps its meaning. */
	static const struct { const char *re; const char *text; bool want; } cases[] = {
		{ "/^\\d+$/", "2024", true },
		{ "/\\d/", "\xd9\xa3", false },              /* ARABIC-INDIC DIGIT THREE */
		{ "/^\\D+$/", "\xd9\xa3x", true },
		{ "/^[\\d.]+$/", "3.11", true },
		{ "/^[^\\d]+$/", "abc", true },
		{ "/^[^\\d]+$/", "ab1", false },
		{ "/^[]\\d]+$/", "]9]", true },
		{ "/^[[:alpha:]\\d]+$/", "æ9", true },
		{ "/^a\\\\d$/", "a\\d", true },               /* escaped backslash, then d */
		{ "/^\\Qa\\d\\E$/", "a\\d", true },
		{ "/^\\Qa\\d\\E$/", "a5", false },
		{ "/^\\c[\\d$/", "\x1b" "5", true },
		{ "/a\\s+b/", "a\xc2\xa0 b", true },          /* NO-BREAK SPACE */
		{ "/a\\sb/", "a\xe2\x80\x83" "b", true },       /* EM SPACE */
		{ "/a\\sb/", "a\tb", true },
		{ "/a\\sb/", "a_b", false },
		{ "/^\\S+$/", "æøå", true },
		{ "/^[\\s,]+$/", " ,\xc2\xa0", true },
		{ "/^[^\\s]+$/", "ab\xc2\xa0", false },
		{ "/a \\d # comment [ \\d/x", "a5", true },    /* a # comment ends the pattern */
		{ "/a(?#[ \\d)\\d/", "a5", true },
		{ "/(?x) a \\d # [/", "a5", true },             /* left as written */
		{ "/[\\s-a]/", "-", true },                       /* falls back to the original */
		{ "/x\\d{2}/i", "X42", true },
		/* "[:" that is no POSIX class: the class ends at the first "]" */
		{ "/[[:x]b:]\\sc]/", "xb:] c]", true },
		{ "/[[:x]b:]\\sc]/", "xb:]\\sc]", false },
		{ "/^[[:^digit:]\\s]+$/", "a \xc2\xa0", true },
	};
	struct facts f;
	facts_blank(&f);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char rule[256];
		snprintf(rule, sizeof(rule), "body B %s\n", cases[i].re);
		facts_text(&f, "", cases[i].text, "");
		struct diag d;
		struct ruleset *rs = load(rule, &d);
		if (rs == NULL && strcmp(cases[i].re, "/[\\s-a]/") == 0)
			continue;   /* PCRE2 versions differ on this range */
		ck_assert_msg(rs != NULL, "%s: %s", cases[i].re, buf_cstr(&errout));
		struct verdict v;
		eval(rs, &f, &v);
		ck_assert_msg((v.n_fired == 1) == cases[i].want, "%s on '%s'", cases[i].re, cases[i].text);
		rules_free(rs);
	}
	/* Error offsets are those of the pattern as written. */
	expect_errors("body B /\\d\\s(/\n",
	              "t.rules:1: bad regex /\\d\\s(/: missing closing parenthesis at offset 5\n");
}
END_TEST

START_TEST(test_eval_views)
{
	struct facts f;
	facts_blank(&f);
	facts_text(&f, "Emne", "Emne\nmine ord\n> citeret\nlinje", "mine ord");
	ck_assert(fires("subject S /emne/i\n", &f, "S"));
	ck_assert(!fires("subject S /mine/\n", &f, "S"));
	ck_assert(fires("body B /citeret/\n", &f, "B"));
	ck_assert(!fires("own O /citeret/\n", &f, "O"));
	ck_assert(fires("own O /^mine ord$/\n", &f, "O"));
	ck_assert(fires("body B /^linje$/m\n", &f, "B"));
	ck_assert(!fires("body B /^linje$/\n", &f, "B"));
	ck_assert(fires("body B /ord.+citeret/s\n", &f, "B"));
	ck_assert(!fires("body B /ord.+citeret/\n", &f, "B"));
	ck_assert(fires("body B / m i n e /x\n", &f, "B"));
	/* NULL strings behave as empty ones. */
	f.subject = NULL;
	f.body = NULL;
	f.body_len = 0;
	ck_assert(fires("subject S /^$/\nbody B /^$/\nmeta M S && B\n", &f, "M"));
}
END_TEST

START_TEST(test_eval_headers)
{
	struct facts f;
	facts_blank(&f);
	struct facts_header hdrs[] = {
		{ "From", "Mette <mette@example.dk>" },
		{ "received", "from a" }, { "Received", "from b" },
		{ "List-Id", "<news.example.com>" },
	};
	f.headers = hdrs;
	f.n_headers = 4;
	ck_assert(fires("header H from =~ /mette@/\n", &f, "H"));
	ck_assert(fires("header H Received =~ /from b/\n", &f, "H"));     /* any of them */
	ck_assert(fires("header H RECEIVED =~ /from a/\n", &f, "H"));
	ck_assert(!fires("header H Received !~ /from b/\n", &f, "H"));
	ck_assert(fires("header H Precedence !~ /bulk/\n", &f, "H"));     /* absent */
	ck_assert(!fires("header H Precedence =~ /.*/\n", &f, "H"));
	ck_assert(fires("header H exists:list-id\n", &f, "H"));
	ck_assert(!fires("header H exists:Precedence\n", &f, "H"));
	ck_assert(fires("header H ALL =~ /^List-Id: <news/m\n", &f, "H"));
	ck_assert(fires("header H ALL =~ /from a\\nReceived: from b/\n", &f, "H"));
	ck_assert(!fires("header H ALL !~ /^From:/m\n", &f, "H"));
}
END_TEST

START_TEST(test_eval_attachments)
{
	struct facts f;
	facts_blank(&f);
	struct attachment a[2];
	memset(a, 0, sizeof(a));
	strcpy(a[0].declared_type, "image/png");
	strcpy(a[0].detected_type, "application/zip");
	strcpy(a[0].filename, "skærmbillede.png");
	a[0].size = 300 * 1024;
	a[0].mismatch = true;
	strcpy(a[1].declared_type, "image/jpeg");
	strcpy(a[1].detected_type, "image/png");
	strcpy(a[1].filename, "logo.jpg");
	a[1].width = 120;
	a[1].height = 40;
	a[1].size = 2000;
	a[1].is_image = true;
	a[1].is_inline = true;
	a[1].in_message = true;
	f.attachments = a;
	f.n_attachments = 2;
	f.mismatch = true;
	static const struct { const char *rule; bool want; } cases[] = {
		{ "attach A detected =~ /zip/ && declared =~ /^image\\//", true },
		{ "attach A detected =~ /zip/ && inline", false },   /* same attachment */
		{ "attach A image && width >= 200", false },
		{ "attach A image && width >= 100 && height < 50", true },
		{ "attach A name =~ /SKÆRM/i && size >= 300k && size < 1M", true },
		{ "attach A size > 300k", false },
		{ "attach A size == 2000 && !mismatch && forwarded", true },
		{ "attach A !inline && !image", true },
		{ "attach A mismatch && name !~ /\\.png$/", false },
		{ "attach A screenshot", false },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char rule[256];
		snprintf(rule, sizeof(rule), "%s\n", cases[i].rule);
		ck_assert_msg(fires(rule, &f, "A") == cases[i].want, "%s", cases[i].rule);
	}
	ck_assert(fires("meta M mismatch && !screenshot\n", &f, "M"));
	f.screenshot = &a[1];
	ck_assert(fires("attach A screenshot && image\nmeta M screenshot\nmeta N A && M\n", &f, "N"));
	/* A copy of the record still counts as the screenshot. */
	struct attachment copy = a[1];
	f.screenshot = &copy;
	ck_assert(fires("attach A screenshot && inline\n", &f, "A"));
	f.n_attachments = 0;
	ck_assert(!fires("attach A !image\n", &f, "A"));
}
END_TEST

START_TEST(test_eval_envelope_flags_builtins)
{
	struct facts f;
	facts_blank(&f);
	const char *rcpt[] = { "info@timemap.dk", "support+x@timemap.dk" };
	f.rcpt = rcpt;
	f.n_rcpt = 2;
	f.env_from = "";
	ck_assert(fires("envelope E from =~ /^$/\n", &f, "E"));
	ck_assert(fires("meta M null_sender\n", &f, "M"));
	ck_assert(fires("envelope E rcpt =~ /^support\\+/\n", &f, "E"));
	ck_assert(!fires("envelope E rcpt !~ /^support/\n", &f, "E"));
	f.env_from = "MAILER-DAEMON@example.com";
	ck_assert(!fires("meta M null_sender\n", &f, "M"));
	ck_assert(fires("envelope E from =~ /^mailer-daemon@/i\n", &f, "E"));

	f.flags = FACT_TRUNC_TEXT;
	ck_assert(fires("flag F truncated\n", &f, "F"));
	ck_assert(fires("flag F trunc-text\n", &f, "F"));
	ck_assert(!fires("flag F trunc-line any-error\n", &f, "F"));
	f.flags = FACT_ERR_CHARSET;
	ck_assert(fires("flag F any-error\n", &f, "F"));
	ck_assert(fires("flag F mime-error charset-error\n", &f, "F"));
	ck_assert(!fires("flag F truncated\n", &f, "F"));

	f.hours.open = true;
	f.hours.peak = false;
	f.hours.closed_date = false;
	ck_assert(fires("meta M open && !peak && !closed_date && true && !false\n", &f, "M"));
	f.hours.peak = true;
	f.hours.closed_date = true;
	ck_assert(fires("meta M peak && closed_date\n", &f, "M"));
	f.language = "en";
	ck_assert(fires("meta M language(en) && !language(da)\n", &f, "M"));
}
END_TEST

START_TEST(test_eval_match_limit)
{
	/* Catastrophic backtracking: the limit stops it, it counts as no
	 * match, and the verdict says which rule. */
	struct rules_options small = { .match_limit = 5000 };
	struct diag d;
	diag_capture(&d);
	const char *text = "body EVIL /^(\\w+\\s?)*$/\nbody FINE /a/\nmeta NOT_EVIL !EVIL\n";
	struct ruleset *rs = rules_load_buffer("t.rules", text, strlen(text), &small, &d);
	ck_assert_ptr_nonnull(rs);
	char body[200];
	memset(body, 'a', 60);
	strcpy(body + 60, "!");
	struct facts f;
	facts_blank(&f);
	facts_text(&f, "", body, "");
	struct rules_scratch *sc = rules_scratch_new(rs);
	struct verdict v;
	time_t t0 = time(NULL);
	ck_assert_int_eq(rules_eval(rs, sc, &f, &v), 0);
	ck_assert(time(NULL) - t0 < 5);
	ck_assert_str_eq(fired(&v), "FINE,NOT_EVIL");
	ck_assert_uint_eq(v.match_errors, 1);
	ck_assert_str_eq(v.match_error_rule, "EVIL");
	/* The scratch is reset for the next message. */
	facts_text(&f, "", "a b", "");
	ck_assert_int_eq(rules_eval(rs, sc, &f, &v), 0);
	ck_assert_str_eq(fired(&v), "EVIL,FINE");
	ck_assert_uint_eq(v.match_errors, 0);
	ck_assert_ptr_null(v.match_error_rule);
	rules_scratch_free(sc);
	rules_free(rs);
}
END_TEST

START_TEST(test_eval_invalid_utf8)
{
	/* The session promises UTF-8; if a string is not, no regex runs on
	 * it and the error is counted, never a crash. */
	struct facts f;
	facts_blank(&f);
	facts_text(&f, "Fejl \xc3", "ok \xff\xfe", "ok");
	struct ruleset *rs = expect_ok("subject S /Fejl/\nbody B /ok/\nown O /ok/\n");
	struct verdict v;
	eval(rs, &f, &v);
	ck_assert_str_eq(fired(&v), "O");
	ck_assert_uint_eq(v.match_errors, 2);
	ck_assert_str_eq(v.match_error_rule, "S");
	rules_free(rs);
}
END_TEST

START_TEST(test_eval_lazy_and_shared)
{
	/* A deep chain of metas runs without recursion and each test once. */
	struct buf t;
	buf_init(&t, 8 << 20);
	buf_printf(&t, "body M0 /x/\n");
	for (int i = 1; i < 5000; i++)
		buf_printf(&t, "meta M%d !M%d\n", i, i - 1);
	struct ruleset *rs = expect_ok(buf_cstr(&t));
	struct facts f;
	facts_blank(&f);
	facts_text(&f, "", "x", "");
	struct verdict v;
	eval(rs, &f, &v);
	ck_assert_uint_eq(v.n_fired, VERDICT_MAX_FIRED);
	ck_assert_str_eq(v.fired[1], "M2");
	rules_free(rs);
	buf_free(&t);

	/* rules_eval without a rule set: initialised verdict, rules_ran false. */
	verdict_init(&v);
	v.priority = PRIORITY_HIGH;
	ck_assert_int_eq(rules_eval(NULL, NULL, &f, &v), 0);
	ck_assert(!v.rules_ran);
	ck_assert_int_eq(v.priority, PRIORITY_NORMAL);
	ck_assert_ptr_null(rules_scratch_new(NULL));
	rules_scratch_free(NULL);

	/* A scratch belongs to its rule set. */
	struct ruleset *a = expect_ok("body A /a/\n");
	struct ruleset *b = expect_ok("body B /b/\n");
	struct rules_scratch *sa = rules_scratch_new(a);
	ck_assert_int_eq(rules_eval(b, sa, &f, &v), -1);
	rules_scratch_free(sa);
	rules_free(a);
	rules_free(b);
}
END_TEST

START_TEST(test_scratch_reuse)
{
	/* A scratch given back is handed out again, and nothing of the
	 * previous message leaks into the next evaluation. */
	struct ruleset *rs = expect_ok("body A /alpha/\nheader H ALL =~ /^X-Flag: on$/m\n");
	struct facts f;
	facts_blank(&f);
	struct facts_header h = { .name = "X-Flag", .value = "on" };
	f.headers = &h;
	f.n_headers = 1;
	facts_text(&f, "", "alpha", "");
	struct verdict v;
	struct rules_scratch *sc = rules_scratch_new(rs);
	ck_assert_int_eq(rules_eval(rs, sc, &f, &v), 0);
	ck_assert_str_eq(fired(&v), "A,H");
	rules_scratch_free(sc);

	struct rules_scratch *again = rules_scratch_new(rs);
	ck_assert_ptr_eq(again, sc);
	struct facts g;
	facts_blank(&g);
	facts_text(&g, "", "beta", "");
	ck_assert_int_eq(rules_eval(rs, again, &g, &v), 0);
	ck_assert_uint_eq(v.n_fired, 0);
	rules_scratch_free(again);

	/* More scratches than the pool keeps: the rest are freed (the
	 * sanitizer build checks for leaks), the pool goes with the rules. */
	struct rules_scratch *many[80];
	for (size_t i = 0; i < 80; i++) {
		many[i] = rules_scratch_new(rs);
		ck_assert_ptr_nonnull(many[i]);
		for (size_t k = 0; k < i; k++)
			ck_assert_ptr_ne(many[i], many[k]);
	}
	for (size_t i = 0; i < 80; i++)
		rules_scratch_free(many[i]);
	ck_assert_int_eq(rules_eval(rs, sc = rules_scratch_new(rs), &f, &v), 0);
	ck_assert_str_eq(fired(&v), "A,H");
	rules_scratch_free(sc);
	rules_free(rs);
}
END_TEST

/* Texts are matched with PCRE2_NO_UTF_CHECK after rules_utf8_valid, so
 * it must reject exactly what PCRE2's own check rejects: every string of
 * one and two bytes, and the strings of three and four bytes made of the
 * bytes at the edges of UTF-8's ranges (overlongs, surrogates, above
 * U+10FFFF, truncations, stray continuation bytes). */
START_TEST(test_utf8_valid_as_pcre2)
{
	static const unsigned char edge[] = { 0x00, 0x41, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf,
	                                      0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xe1, 0xed, 0xee, 0xef,
	                                      0xf0, 0xf1, 0xf4, 0xf5, 0xff };
	const size_t ne = sizeof(edge);
	int err;
	PCRE2_SIZE at;
	pcre2_code *re = pcre2_compile((PCRE2_SPTR) "", 0, PCRE2_UTF, &err, &at, NULL);
	ck_assert_ptr_nonnull(re);
	pcre2_match_data *md = pcre2_match_data_create(1, NULL);
	ck_assert_ptr_nonnull(md);
	unsigned char s[4];
	size_t checked = 0;
	for (size_t len = 1; len <= 4; len++) {
		size_t total = 1;
		for (size_t k = 0; k < len; k++)
			total *= len <= 2 ? 256 : ne;
		for (size_t v = 0; v < total; v++) {
			size_t x = v;
			for (size_t k = 0; k < len; k++) {
				size_t base = len <= 2 ? 256 : ne;
				s[k] = len <= 2 ? (unsigned char)(x % base) : edge[x % base];
				x /= base;
			}
			int rc = pcre2_match(re, s, len, 0, 0, md, NULL);
			bool pcre_ok = !(rc <= PCRE2_ERROR_UTF8_ERR1 && rc >= PCRE2_ERROR_UTF8_ERR21);
			ck_assert_msg(rules_utf8_valid((const char *)s, len) == pcre_ok,
			              "%zu bytes %02x %02x %02x %02x: PCRE2 %d", len, s[0],
			              len > 1 ? s[1] : 0, len > 2 ? s[2] : 0, len > 3 ? s[3] : 0, rc);
			checked++;
		}
	}
	ck_assert_uint_gt(checked, 65536);
	pcre2_match_data_free(md);
	pcre2_code_free(re);
}
END_TEST

/* The prefilter only stands in for PCRE2 saying "no match": verdicts with
 * and without it are the same, over the shipped rules and texts of every
 * kind, and invalid UTF-8 still counts its errors when no literal of the
 * regex occurs. */
static void verdict_str(const struct verdict *v, char *out, size_t cap)
{
	size_t o = (size_t)snprintf(out, cap, "fired=%s missing=%s cats=", fired(v), missing(v));
	for (size_t i = 0; i < v->n_categories && o < cap; i++)
		o += (size_t)snprintf(out + o, cap - o, "%s,", v->categories[i].id);
	if (o < cap)
		snprintf(out + o, cap - o, " oos=%d prio=%d auto=%d errors=%u/%s ran=%d",
		         v->out_of_scope, (int)v->priority, v->autoreply_wanted, v->match_errors,
		         v->match_error_rule != NULL ? v->match_error_rule : "-", v->rules_ran);
}

START_TEST(test_eval_prefilter_same)
{
	static const char *const texts[] = {
		"", "x", "ok",
		"Hej, vi kan ikke logge ind. Ring venligst tilbage, det haster!",
		"FRAVÆR i vagtplanen for medarbejderen Jens Hansen, medarb.nr. 1042, uge 45",
		"Please call me back, the payroll export is broken since today. Can you restore it?",
		"Hvordan ændrer jeg en vagt i appen? Jeg er logget ind som mette.k",
		"\xE2\x84\xAA" "AN I SE HVAD DER ER GALT? Vi har ſlettet en medarbejder ved en fejl.",
		"Automatisk svar: Jeg er på ferie til mandag",
		"Invoice 2026-11 and a demo of Timegrip, price list please. GDPR DPA attached.",
		"Mit brugernavn er anna42. Router og wifi virker fint, men stempleuret på terminalen nej.",
		"Vores medarbejdere kan ikke stemple ind i dag, lønkørsel inden kl. 12 i dag!",
		"bad \xff\xfe utf-8 without any literal",
		"Fejl \xc3",
	};
	struct rules_options o = { .match_limit = 100000 };
	struct ruleset *rs = rules_load_dir(TOP_SRCDIR "/rules", &o, NULL);
	ck_assert_ptr_nonnull(rs);
	struct rules_scratch *on = rules_scratch_new(rs), *off = rules_scratch_new(rs);
	ck_assert_ptr_nonnull(on);
	ck_assert_ptr_nonnull(off);
	rules_scratch_set_prefilter(off, false);
	size_t nt = sizeof(texts) / sizeof(texts[0]);
	unsigned long skips = 0;
	char a[8192], b[8192];
	for (size_t i = 0; i < nt; i++) {
		for (size_t k = 0; k < nt; k++) {
			struct facts f;
			facts_blank(&f);
			facts_text(&f, texts[k], texts[i], texts[(i + k) % nt]);
			struct verdict v1, v2;
			ck_assert_int_eq(rules_eval(rs, on, &f, &v1), 0);
			verdict_str(&v1, a, sizeof(a));
			skips += rules_scratch_prefilter_skips(on);
			ck_assert_int_eq(rules_eval(rs, off, &f, &v2), 0);
			verdict_str(&v2, b, sizeof(b));
			ck_assert_uint_eq(rules_scratch_prefilter_skips(off), 0);
			ck_assert_msg(strcmp(a, b) == 0, "texts %zu/%zu:\n%s\n%s", i, k, a, b);
		}
	}
	ck_assert_uint_gt(skips, nt * nt * 20);
	rules_scratch_free(on);
	rules_scratch_free(off);
	rules_free(rs);

	/* Invalid UTF-8 and none of the literals: the error still counts. */
	struct facts f;
	facts_blank(&f);
	facts_text(&f, "zz \xc3", "zz \xff", "zz");
	rs = expect_ok("subject S /fejl/\nbody B /okay/\nown O /okay/\n");
	struct rules_scratch *sc = rules_scratch_new(rs);
	struct verdict v;
	ck_assert_int_eq(rules_eval(rs, sc, &f, &v), 0);
	ck_assert_uint_eq(v.match_errors, 2);
	ck_assert_str_eq(v.match_error_rule, "S");
	ck_assert_uint_eq(rules_scratch_prefilter_skips(sc), 1);   /* own */
	/* Nothing carried over to the next message in the same scratch. */
	facts_text(&f, "", "okay", "okay");
	ck_assert_int_eq(rules_eval(rs, sc, &f, &v), 0);
	ck_assert_str_eq(fired(&v), "B,O");
	ck_assert_uint_eq(rules_scratch_prefilter_skips(sc), 1);   /* subject */
	facts_text(&f, "", "nope", "nope");
	ck_assert_int_eq(rules_eval(rs, sc, &f, &v), 0);
	ck_assert_str_eq(fired(&v), "");
	ck_assert_uint_eq(rules_scratch_prefilter_skips(sc), 3);
	rules_scratch_free(sc);
	rules_free(rs);
}
END_TEST

START_TEST(test_verdict_helpers)
{
	struct verdict v;
	memset(&v, 0xff, sizeof(v));
	verdict_init(&v);
	ck_assert_int_eq(v.priority, PRIORITY_NORMAL);
	ck_assert(!v.rules_ran && !v.out_of_scope && !v.autoreply_wanted);
	ck_assert_uint_eq(v.n_missing + v.n_categories + v.n_fired + v.match_errors, 0);
	ck_assert_str_eq(verdict_priority_name(PRIORITY_LOW), "low");
	ck_assert_str_eq(verdict_priority_name(PRIORITY_NORMAL), "normal");
	ck_assert_str_eq(verdict_priority_name(PRIORITY_HIGH), "high");
	ck_assert(!verdict_has_required_missing(&v));
	v.missing[0].required = false;
	v.n_missing = 1;
	ck_assert(!verdict_has_required_missing(&v));
	v.missing[1].required = true;
	v.n_missing = 2;
	ck_assert(verdict_has_required_missing(&v));
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("rules");
	TCase *tc = tcase_create("parse");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_good_lines);
	tcase_add_loop_test(tc, test_bad_lines, 0, sizeof(bad_lines) / sizeof(bad_lines[0]));
	tcase_add_test(tc, test_all_errors_collected);
	tcase_add_test(tc, test_line_limits);
	tcase_add_test(tc, test_too_many_errors);
	tcase_add_test(tc, test_dir_errors_across_files);
	tcase_add_test(tc, test_dir_good);
	tcase_add_test(tc, test_dir_missing_and_empty);
	tcase_add_test(tc, test_hash);
	tcase_add_test(tc, test_500_rules_load);
	suite_add_tcase(s, tc);
	tc = tcase_create("eval");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_eval_items);
	tcase_add_test(tc, test_eval_categories_priority);
	tcase_add_test(tc, test_eval_priority_order);
	tcase_add_test(tc, test_eval_autoreply);
	tcase_add_test(tc, test_eval_fired_list);
	tcase_add_test(tc, test_eval_case_folding);
	tcase_add_test(tc, test_eval_fast_classes);
	tcase_add_test(tc, test_eval_views);
	tcase_add_test(tc, test_eval_headers);
	tcase_add_test(tc, test_eval_attachments);
	tcase_add_test(tc, test_eval_envelope_flags_builtins);
	tcase_add_test(tc, test_eval_match_limit);
	tcase_add_test(tc, test_eval_invalid_utf8);
	tcase_add_test(tc, test_eval_lazy_and_shared);
	tcase_add_test(tc, test_scratch_reuse);
	tcase_add_test(tc, test_utf8_valid_as_pcre2);
	tcase_add_test(tc, test_eval_prefilter_same);
	tcase_add_test(tc, test_verdict_helpers);
	suite_add_tcase(s, tc);
	return s;
}

#include "check_main.h"
