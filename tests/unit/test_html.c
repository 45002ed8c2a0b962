/*
 * test_html: the HTML reducer, table-driven; every case is also fed byte
 * by byte and split at every offset, which must give the same text.
 */
#include "autoconfig.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "html.h"

static void sink(void *ctx, const char *p, size_t n)
{
	buf_append(ctx, p, n);
}

/* Reduces `in` fed in pieces of `chunk` bytes (0 = whole). */
static char *reduce_chunked(const char *in, size_t len, size_t chunk)
{
	struct html_reducer *h = html_new();
	struct buf b;
	buf_init(&b, 1u << 20);
	ck_assert_ptr_nonnull(h);
	if (chunk == 0)
		chunk = len > 0 ? len : 1;
	for (size_t off = 0; off < len; off += chunk) {
		size_t k = len - off < chunk ? len - off : chunk;
		html_feed(h, in + off, k, sink, &b);
	}
	html_finish(h, sink, &b);
	html_free(h);
	char *s = buf_steal(&b);
	buf_free(&b);
	ck_assert_ptr_nonnull(s);
	return s;
}

/* Reduces `in` split once at `cut`. */
static char *reduce_split(const char *in, size_t len, size_t cut)
{
	struct html_reducer *h = html_new();
	struct buf b;
	buf_init(&b, 1u << 20);
	html_feed(h, in, cut, sink, &b);
	html_feed(h, in + cut, len - cut, sink, &b);
	html_finish(h, sink, &b);
	html_free(h);
	char *s = buf_steal(&b);
	buf_free(&b);
	return s;
}

static char *reduce(const char *in)
{
	return reduce_chunked(in, strlen(in), 0);
}

/* Checks the whole-feed result and that every other cutting agrees. */
static void check_case(const char *in, const char *want)
{
	size_t len = strlen(in);
	char *whole = reduce(in);
	ck_assert_msg(strcmp(whole, want) == 0, "input [%s]\n got [%s]\nwant [%s]", in, whole, want);
	char *bytes = reduce_chunked(in, len, 1);
	ck_assert_msg(strcmp(bytes, want) == 0, "byte-by-byte [%s] got [%s]", in, bytes);
	free(bytes);
	for (size_t cut = 0; cut <= len; cut++) {
		char *s = reduce_split(in, len, cut);
		ck_assert_msg(strcmp(s, want) == 0, "cut at %zu of [%s] got [%s]", cut, in, s);
		free(s);
	}
	free(whole);
}

struct tcase {
	const char *in;
	const char *want;
};

static const struct tcase entity_cases[] = {
	{ "a &amp; b", "a & b" },
	{ "&lt;b&gt; &quot;x&quot; &apos;y&apos;", "<b> \"x\" 'y'" },
	{ "bl&aring;b&aelig;r gr&oslash;d", "blåbær grød" },
	{ "&AElig;&Oslash;&Aring;&aelig;&oslash;&aring;", "ÆØÅæøå" },
	{ "&eacute;&uuml;&szlig;&ntilde;&ccedil;&yuml;", "éüßñçÿ" },
	{ "vent&hellip; 1&ndash;2 &mdash; &laquo;x&raquo;", "vent… 1–2 — «x»" },
	{ "&euro;5 &copy; &reg; &trade;", "€5 © ® ™" },
	{ "bin&shy;d&shy;streg", "bindstreg" },
	{ "&#65;&#066;&#x43;&#X44;&#x00e6;", "ABCDæ" },
	{ "&#150; &#x93;x&#x94;", "– “x”" },            /* windows-1252 range */
	{ "&#0; &#xD800; &#1114112; &#99999999999;", "\xEF\xBF\xBD \xEF\xBF\xBD \xEF\xBF\xBD \xEF\xBF\xBD" },
	{ "&#x110000;", "\xEF\xBF\xBD" },
	{ "&#1;", "\xEF\xBF\xBD" },
	/* missing ';' */
	{ "a &amp b &lt c", "a & b < c" },
	{ "&aring &oslash;", "å ø" },
	{ "&nbspHej", " Hej" },
	{ "&#229 &#xe6", "å æ" },
	{ "&hellip x", "&hellip x" },                   /* not a legacy name */
	/* not entities */
	{ "fisk & chips", "fisk & chips" },
	{ "&;", "&;" },
	{ "&#;", "&#;" },
	{ "&#x;", "&#x;" },
	{ "&bogus;", "&bogus;" },
	{ "a&&amp;b", "a&&b" },
	{ "&abcdefghijklmnopqrstuvwxyzabcdefghij;", "&abcdefghijklmnopqrstuvwxyzabcdefghij;" },
	{ "trailing &", "trailing &" },
	{ "trailing &amp", "trailing &" },
	{ "&lt;script&gt;x&lt;/script&gt;", "<script>x</script>" },
	{ "&#32;&#32;x&#10;y", "x y" },
	{ "x&nbsp;&nbsp;y", "x  y" },
};

static const struct tcase drop_cases[] = {
	{ "<style>p { color: red }</style>Hej", "Hej" },
	{ "<STYLE type=\"text/css\"><!-- a>b {x} --></STYLE>Hej", "Hej" },
	{ "<script>if (a < b && c) document.write('</p>')</script>Hej", "Hej" },
	{ "<script>x = '</scriptx>';</script >ok", "ok" },
	{ "<title>Titel</title><p>Tekst</p>", "Tekst" },
	{ "<head><meta charset=utf-8><title>T</title><style>x</style></head><body>Krop</body>", "Krop" },
	{ "<head><o:something>Word</o:something></head>Krop", "Krop" },
	{ "<head><p>implicit body", "implicit body" },
	{ "a<!-- comment <p> -->b", "ab" },
	{ "a<!---->b<!-->c<!--->d", "abcd" },
	{ "a<!-- x -- y --!>b", "ab" },
	{ "<!--[if gte mso 9]><xml><o:OfficeDocumentSettings><o:AllowPNG/></o:OfficeDocumentSettings></xml><![endif]-->Hej", "Hej" },
	{ "<!--[if !mso]><!-->synlig<!--<![endif]-->", "synlig" },
	{ "<![if !supportLists]>1.<![endif]> punkt", "1. punkt" },
	{ "<xml><w:WordDocument>DA</w:WordDocument></xml>tekst", "tekst" },
	{ "<!DOCTYPE html><?xml version=\"1.0\"?>x", "x" },
	{ "<a href=\"x>y\" title='a>b'>link</a>", "link" },
	{ "<img src=x alt=\"logo\">Hej", "Hej" },
	{ "a < b and c > d", "a < b and c > d" },
	{ "x</>y", "xy" },
	{ "x</ 3>y", "xy" },
	{ "<span>fo</span><b>o</b>", "foo" },
	{ "unterminated <b class=\"x", "unterminated" },
	{ "unterminated <!-- comment", "unterminated" },
	{ "tail <", "tail <" },
	{ "<o:p>&nbsp;</o:p>", " " },
};

static const struct tcase block_cases[] = {
	{ "<p>a</p><p>b</p>", "a\nb" },
	{ "a<br>b<br/>c<BR />d", "a\nb\nc\nd" },
	{ "<div>Hej</div><div><br></div><div>Vi har</div>", "Hej\n\nVi har" },
	{ "<div>a<br></div>b", "a\nb" },
	{ "<ul><li>en</li><li>to</li></ul>efter", "en\nto\nefter" },
	{ "<h1>Titel</h1>tekst<hr>mere", "Titel\ntekst\nmere" },
	{ "<table><tr><td>Navn</td><td>Lise</td></tr><tr><td>Nr</td><td>1042</td></tr></table>",
	  "Navn Lise\nNr 1042" },
	{ "<p class=MsoNormal>Hej<o:p></o:p></p>\n<p class=MsoNormal><o:p>&nbsp;</o:p></p>\n<p class=MsoNormal>Tekst<o:p></o:p></p>",
	  "Hej\n \nTekst" },
	{ "   lots   of\n\n\tspace   here  ", "lots of space here" },
	{ "<p>  leading</p>  <p>trailing  </p>", "leading\ntrailing" },
	{ "<pre>  a  b\n\n c</pre>after", "  a  b\n\n c\nafter" },
	{ "<pre>\nfirst</pre>", "first" },
	{ "<blockquote>citat</blockquote>svar", "> citat\nsvar" },
	{ "<blockquote>a<blockquote>b</blockquote>c</blockquote>d", "> a\n>> b\n> c\nd" },
	{ "<blockquote><p>x</p><p>&nbsp;</p><p>y</p></blockquote>", "> x\n>  \n> y" },
	{ "<blockquote>x<br><br>y</blockquote>", "> x\n>\n> y" },
	{ "</blockquote>extra close", "extra close" },
	{ "<div>Den man. 9. nov. 2026 kl. 10:12 skrev Support &lt;<a href=\"mailto:s@x.dk\">s@x.dk</a>&gt;:<br></div><blockquote class=\"gmail_quote\">Hej<br>Vi ringer ikke op.</blockquote>",
	  "Den man. 9. nov. 2026 kl. 10:12 skrev Support <s@x.dk>:\n> Hej\n> Vi ringer ikke op." },
};

START_TEST(test_entities)
{
	check_case(entity_cases[_i].in, entity_cases[_i].want);
}
END_TEST

START_TEST(test_dropped)
{
	check_case(drop_cases[_i].in, drop_cases[_i].want);
}
END_TEST

START_TEST(test_blocks)
{
	check_case(block_cases[_i].in, block_cases[_i].want);
}
END_TEST

/* A quoted attribute that never ends stops being honoured after the tag
 * limit, so the text after it is not lost for good. */
START_TEST(test_long_tag)
{
	struct buf in;
	buf_init(&in, 1u << 20);
	buf_append(&in, "<a title=\"", 10);
	for (int i = 0; i < 10000; i++)
		buf_putc(&in, 'x');
	buf_append(&in, "> tekst", 7);
	char *s = reduce_chunked(in.data, in.len, 0);
	ck_assert_str_eq(s, "tekst");
	free(s);
	s = reduce_chunked(in.data, in.len, 3);
	ck_assert_str_eq(s, "tekst");
	free(s);

	/* A long but properly quoted tag under the limit is honoured. */
	buf_reset(&in);
	buf_append(&in, "<a title=\"x>y\">ok", 17);
	s = reduce_chunked(in.data, in.len, 0);
	ck_assert_str_eq(s, "ok");
	free(s);

	/* A very long tag name is an unknown tag: dropped, no line break. */
	buf_reset(&in);
	buf_append(&in, "a<", 2);
	for (int i = 0; i < 100; i++)
		buf_putc(&in, 'p');
	buf_append(&in, ">b", 2);
	s = reduce_chunked(in.data, in.len, 0);
	ck_assert_str_eq(s, "ab");
	free(s);
	buf_free(&in);
}
END_TEST

static char *read_file(const char *name, size_t *len)
{
	char path[512];
	snprintf(path, sizeof path, "%s/text/%s", TEST_DATA_DIR, name);
	FILE *f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	struct buf b;
	buf_init(&b, 1u << 20);
	char tmp[4096];
	size_t k;
	while ((k = fread(tmp, 1, sizeof tmp, f)) > 0)
		buf_append(&b, tmp, k);
	fclose(f);
	*len = b.len;
	char *s = buf_steal(&b);
	buf_free(&b);
	return s;
}

/* Outlook's Word HTML: the style block, conditional comments, <o:p>
 * fillers and the header block of the quoted mail. */
START_TEST(test_outlook_sample)
{
	size_t len, wlen;
	char *in = read_file("outlook-word.html", &len);
	char *want = read_file("outlook-word.txt", &wlen);
	char *got = reduce_chunked(in, len, 0);
	ck_assert_msg(strcmp(got, want) == 0, "got:\n%s\n--- want:\n%s", got, want);
	for (size_t chunk = 1; chunk < 80; chunk += 13) {
		char *s = reduce_chunked(in, len, chunk);
		ck_assert_msg(strcmp(s, want) == 0, "chunk %zu differs", chunk);
		free(s);
	}
	free(got);
	free(in);
	free(want);
}
END_TEST

/* A NULL reducer is tolerated and reset makes it reusable. */
START_TEST(test_lifecycle)
{
	struct buf b;
	buf_init(&b, 1024);
	html_feed(NULL, "x", 1, sink, &b);
	html_finish(NULL, sink, &b);
	html_free(NULL);
	html_reset(NULL);
	ck_assert_uint_eq(b.len, 0);

	struct html_reducer *h = html_new();
	html_feed(h, "<style>a", 8, sink, &b);
	html_reset(h);
	html_feed(h, "b&amp;c", 7, sink, &b);
	html_finish(h, sink, &b);
	ck_assert_str_eq(buf_cstr(&b), "b&c");
	buf_reset(&b);
	/* finish resets too: an unfinished comment does not hide the next part */
	html_feed(h, "x<!-- y", 7, sink, &b);
	html_finish(h, sink, &b);
	html_feed(h, "z", 1, sink, &b);
	html_finish(h, sink, &b);
	ck_assert_str_eq(buf_cstr(&b), "xz");
	html_free(h);
	buf_free(&b);
}
END_TEST

/* Token soup (fixed seed): whatever the input, the text must not depend
 * on where it was cut. */
static const char *const soup[] = {
	"<p>", "</p>", "<br>", "<div class=\"a>b\">", "</div>", "<blockquote>",
	"</blockquote>", "<pre>", "</pre>", "<style>", "</style>", "<script>",
	"</script>", "<!--", "-->", "<!--[if mso]>", "<![endif]-->", "<!", ">",
	"<", "&", "&amp", ";", "&#", "x", "e6", "&aring;", "&nbsp;", "&#150;",
	" ", "\n", "\t", "tekst", "\xC3\xA6", "<head>", "</head>", "<title>",
	"<td>", "<tr>", "'", "\"", "=", "<a href=", "</", "<o:p>", "</o:p>",
};

START_TEST(test_soup_chunking)
{
	unsigned seed = 12345;
	for (int round = 0; round < 300; round++) {
		struct buf in;
		buf_init(&in, 1u << 16);
		int ntok = 1 + (int)((seed = seed * 1103515245u + 12345u) >> 16) % 60;
		for (int k = 0; k < ntok; k++) {
			seed = seed * 1103515245u + 12345u;
			const char *tok = soup[(seed >> 16) % (sizeof soup / sizeof soup[0])];
			buf_append(&in, tok, strlen(tok));
		}
		char *whole = reduce_chunked(in.data, in.len, 0);
		for (size_t chunk = 1; chunk <= 5; chunk++) {
			char *s = reduce_chunked(in.data, in.len, chunk);
			ck_assert_msg(strcmp(s, whole) == 0, "round %d chunk %zu: [%s] vs [%s]\ninput [%s]",
			              round, chunk, s, whole, in.data);
			free(s);
		}
		free(whole);
		buf_free(&in);
	}
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("html");
	TCase *tc = tcase_create("core");
	tcase_add_loop_test(tc, test_entities, 0, (int)(sizeof entity_cases / sizeof entity_cases[0]));
	tcase_add_loop_test(tc, test_dropped, 0, (int)(sizeof drop_cases / sizeof drop_cases[0]));
	tcase_add_loop_test(tc, test_blocks, 0, (int)(sizeof block_cases / sizeof block_cases[0]));
	tcase_add_test(tc, test_long_tag);
	tcase_add_test(tc, test_outlook_sample);
	tcase_add_test(tc, test_lifecycle);
	tcase_add_test(tc, test_soup_chunking);
	suite_add_tcase(s, tc);
	return s;
}

#include "check_main.h"
