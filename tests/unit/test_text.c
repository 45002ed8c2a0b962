/*
 * test_text: the text sink.  Quote-marker forms (Danish and English, one
 * and two lines), who wrote a quoted segment, forwarded parts, charsets,
 * HTML-only mail, truncation, the language guess; every case is run with
 * several chunk sizes and must give the same views.
 */
#include "autoconfig.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "text.h"

#define SUPPORT_ADDR "support@example.dk"

static int support_calls;

static bool is_support(void *ctx, const char *addr)
{
	ck_assert_ptr_eq(ctx, &support_calls);
	support_calls++;
	return strcasecmp(addr, SUPPORT_ADDR) == 0;
}

struct part {
	const char *charset;
	bool html;
	bool fwd;
	bool skip;
	const char *data;
};

struct result {
	char *body;
	char *own;
	bool truncated;
	bool unknown;
	const char *lang;
};

static void result_free(struct result *r)
{
	free(r->body);
	free(r->own);
}

/* Runs the parts through a new sink, fed `chunk` bytes at a time. */
static struct result run(const struct part *parts, size_t np, size_t chunk, size_t max,
                         const char *subject)
{
	struct text_sink *t = text_new(max, is_support, &support_calls);
	ck_assert_ptr_nonnull(t);
	if (subject != NULL)
		text_add_line(t, subject, strlen(subject), true);
	for (size_t i = 0; i < np; i++) {
		struct text_part tp = {
			.charset = parts[i].charset, .is_html = parts[i].html,
			.is_forwarded = parts[i].fwd, .skip = parts[i].skip,
		};
		const unsigned char *d = (const unsigned char *)parts[i].data;
		size_t n = strlen(parts[i].data);
		size_t c = chunk == 0 || chunk > n ? (n > 0 ? n : 1) : chunk;
		text_part_begin(t, &tp);
		for (size_t off = 0; off < n; off += c)
			text_part_data(t, d + off, n - off < c ? n - off : c);
		text_part_end(t);
	}
	struct result r;
	size_t bl, ol;
	const char *b = text_body(t, &bl);
	const char *o = text_own(t, &ol);
	ck_assert_uint_eq(strlen(b), bl);
	ck_assert_uint_eq(strlen(o), ol);
	ck_assert_uint_le(bl, max);
	ck_assert_uint_le(ol, max);
	r.body = strdup(b);
	r.own = strdup(o);
	r.truncated = text_truncated(t);
	r.unknown = text_charset_unknown(t);
	r.lang = text_language(t);
	text_free(t);
	return r;
}

static const size_t chunks[] = { 0, 1, 2, 3, 7, 64 };

/* Runs with every chunk size; all must agree with the whole-feed run. */
static void check_parts(const struct part *parts, size_t np, const char *want_own,
                        const char *want_body)
{
	struct result ref = run(parts, np, 0, 1u << 20, NULL);
	ck_assert_msg(strcmp(ref.own, want_own) == 0, "own:\n[%s]\nwant:\n[%s]", ref.own, want_own);
	ck_assert_msg(strcmp(ref.body, want_body) == 0, "body:\n[%s]\nwant:\n[%s]", ref.body, want_body);
	for (size_t i = 1; i < sizeof chunks / sizeof chunks[0]; i++) {
		struct result r = run(parts, np, chunks[i], 1u << 20, NULL);
		ck_assert_msg(strcmp(r.own, ref.own) == 0, "chunk %zu own differs:\n[%s]", chunks[i], r.own);
		ck_assert_msg(strcmp(r.body, ref.body) == 0, "chunk %zu body differs:\n[%s]", chunks[i], r.body);
		ck_assert_str_eq(r.lang, ref.lang);
		result_free(&r);
	}
	result_free(&ref);
}

static void check_plain(const char *in, const char *want_own, const char *want_body)
{
	struct part p = { "utf-8", false, false, false, in };
	check_parts(&p, 1, want_own, want_body);
}

struct qcase {
	const char *name;
	const char *in;
	const char *own;
	const char *body;
};

static const struct qcase quote_cases[] = {
	{ "no history", "Hej\r\n\r\nVagtplanen er forkert.   \r\nMvh Bo",
	  "Hej\n\nVagtplanen er forkert.\nMvh Bo\n",
	  "Hej\n\nVagtplanen er forkert.\nMvh Bo\n" },
	{ "gt quotes", "Svar her\n> citat\n>> dybere\n>\n> > spaced\nbund",
	  "Svar her\n",
	  "Svar her\ncitat\ndybere\n\nspaced\nbund\n" },
	{ "gt alone", ">\nefter",
	  "", "\nefter\n" },
	{ "original message, support", "Her er billedet.\n\n-----Original Message-----\nFrom: Support <support@example.dk>\nSent: 10 November 2026 09:41\nTo: Bo <bo@example.com>\nSubject: RE: Flex\n\nPlease tell us your login.\nWe do not call back.\n",
	  "Her er billedet.\n\n",
	  "Her er billedet.\n\n-----Original Message-----\nFrom: Support <support@example.dk>\nSent: 10 November 2026 09:41\nTo: Bo <bo@example.com>\nSubject: RE: Flex\n" },
	{ "oprindelig meddelelse, odd dashes and case", "Tak\n--- OPRINDELIG meddelelse ---\nFra: Lars Eriksen\nSendt: 10. november 2026 09:32\nTil: support@example.dk\nEmne: Flex\n\nJeg er logget på som lars.e.",
	  "Tak\n",
	  "Tak\n--- OPRINDELIG meddelelse ---\nFra: Lars Eriksen\nSendt: 10. november 2026 09:32\nTil: support@example.dk\nEmne: Flex\n\nJeg er logget på som lars.e.\n" },
	{ "two outlook blocks: support then customer", "Ny tekst\n-----Oprindelig meddelelse-----\nFra: Timegrip Support <SUPPORT@example.dk>\nSendt: 10. november 2026 09:41\nTil: Lars <le@example.com>\nEmne: SV: Flex\n\nVi ringer ikke op.\n\n-----Oprindelig meddelelse-----\nFra: Lars\nSendt: 10. november 2026 09:32\nTil: support@example.dk\nEmne: Flex\n\nLønnr. 208, logget på som lars.e.",
	  "Ny tekst\n",
	  "Ny tekst\n-----Oprindelig meddelelse-----\nFra: Timegrip Support <SUPPORT@example.dk>\nSendt: 10. november 2026 09:41\nTil: Lars <le@example.com>\nEmne: SV: Flex\n-----Oprindelig meddelelse-----\nFra: Lars\nSendt: 10. november 2026 09:32\nTil: support@example.dk\nEmne: Flex\n\nLønnr. 208, logget på som lars.e.\n" },
	{ "outlook block without separator", "Se vedhæftede.\nFra: Support <support@example.dk>\nSendt: 3. november 2026 10:02\nCc: x@example.com\nTil: Hanne <h@example.net>\nEmne: SV: Stempelur\n\nOplys venligst din bruger.",
	  "Se vedhæftede.\n",
	  "Se vedhæftede.\nFra: Support <support@example.dk>\nSendt: 3. november 2026 10:02\nCc: x@example.com\nTil: Hanne <h@example.net>\nEmne: SV: Stempelur\n" },
	{ "bold outlook block from gmail", "Videre\n*From:* Support <support@example.dk>\n*Sent:* Monday\n*To:* Bo\n*Subject:* RE: x\nVi ringer ikke op.",
	  "Videre\n",
	  "Videre\n*From:* Support <support@example.dk>\n*Sent:* Monday\n*To:* Bo\n*Subject:* RE: x\n" },
	{ "outlook block inside gt quotes", "Svar\n> -----Original Message-----\n> From: Support <support@example.dk>\n> Sent: x\n> To: y\n> Subject: z\n>\n> Vi ringer ikke op.\nbund",
	  "Svar\n",
	  "Svar\n-----Original Message-----\nFrom: Support <support@example.dk>\nSent: x\nTo: y\nSubject: z\nbund\n" },
	{ "outlook web underscore line", "Tak\n________________________________\nFra: Support <support@example.dk>\nSendt: 9. november 2026 10:12\nTil: Bo\nEmne: SV: x\n\nVi ringer ikke op.",
	  "Tak\n________________________________\n",
	  "Tak\n________________________________\nFra: Support <support@example.dk>\nSendt: 9. november 2026 10:12\nTil: Bo\nEmne: SV: x\n" },
	{ "not a header block", "Fra: mandag er vagtplanen forkert\nTil: hele ugen\nMvh",
	  "Fra: mandag er vagtplanen forkert\nTil: hele ugen\nMvh\n",
	  "Fra: mandag er vagtplanen forkert\nTil: hele ugen\nMvh\n" },
	{ "den skrev, support, gt quoted", "Jeg er logget ind som bo.\n\nDen 9. nov. 2026 kl. 10:12 skrev Timegrip Support <support@example.dk>:\n> Oplys venligst din bruger.\n>\n> Vi ringer ikke op.\n",
	  "Jeg er logget ind som bo.\n\n",
	  "Jeg er logget ind som bo.\n\nDen 9. nov. 2026 kl. 10:12 skrev Timegrip Support <support@example.dk>:\n" },
	{ "gmail wrapped danish attribution", "Brugeren er mette.k\n\nDen man. 9. nov. 2026 kl. 10:12 skrev Timegrip Support <\nsupport@example.dk>:\n\n> Vi ringer ikke op.\n> Oplys venligst din bruger.\n",
	  "Brugeren er mette.k\n\n",
	  "Brugeren er mette.k\n\nDen man. 9. nov. 2026 kl. 10:12 skrev Timegrip Support <\nsupport@example.dk>:\n\n" },
	{ "wrapped attribution, skrev on second line", "Ok\nDen 9. nov. 2026 kl. 10.12 Timegrip Support <support@example.dk>\nskrev:\n> Hvilken afdeling?\n",
	  "Ok\n",
	  "Ok\nDen 9. nov. 2026 kl. 10.12 Timegrip Support <support@example.dk>\nskrev:\n" },
	{ "on wrote, support", "Thanks.\nOn Mon, Nov 9, 2026 at 10:12 AM Timegrip Support <support@example.dk> wrote:\n> Please state your login.\n",
	  "Thanks.\n",
	  "Thanks.\nOn Mon, Nov 9, 2026 at 10:12 AM Timegrip Support <support@example.dk> wrote:\n" },
	{ "on wrote wrapped", "Thanks.\nOn Mon, Nov 9, 2026 at 10:12 AM Timegrip Support <\nsupport@example.dk> wrote:\n> Please state your login.\n",
	  "Thanks.\n",
	  "Thanks.\nOn Mon, Nov 9, 2026 at 10:12 AM Timegrip Support <\nsupport@example.dk> wrote:\n" },
	{ "attribution of the customer keeps the quote in body", "Se nedenfor.\nDen 8. nov. 2026 kl. 08:00 skrev Bo <bo@example.com>:\n> Medarbejder 1042 mangler timer.\n",
	  "Se nedenfor.\n",
	  "Se nedenfor.\nDen 8. nov. 2026 kl. 08:00 skrev Bo <bo@example.com>:\nMedarbejder 1042 mangler timer.\n" },
	{ "support quote containing the customer's older quote", "Nyt\nDen 9. nov. 2026 kl. 10:12 skrev Support <support@example.dk>:\n> Hvilken bruger?\n>\n> Den 8. nov. 2026 kl. 08:00 skrev Bo <bo@example.com>:\n>> Vagtplanen for Lise nr. 7 er tom.\n> Venlig hilsen Support\nbund",
	  "Nyt\n",
	  "Nyt\nDen 9. nov. 2026 kl. 10:12 skrev Support <support@example.dk>:\nVagtplanen for Lise nr. 7 er tom.\nbund\n" },
	{ "inline answers between support's quoted lines", "Den 9. nov. 2026 kl. 10:12 skrev Support <support@example.dk>:\n> Hvilken bruger?\nbo.k\n> Hvilken afdeling?\nKøkken",
	  "",
	  "Den 9. nov. 2026 kl. 10:12 skrev Support <support@example.dk>:\nbo.k\nKøkken\n" },
	{ "unquoted segment after attribution is support's", "Ok.\nDen 9. nov. 2026 kl. 10:12 skrev Support <support@example.dk>:\n\nVi ringer ikke op.\nMvh Support",
	  "Ok.\n",
	  "Ok.\nDen 9. nov. 2026 kl. 10:12 skrev Support <support@example.dk>:\n\n" },
	{ "plain sentences are no attribution", "Den er forkert:\nDen viser 7,5 timer\nOn the clock terminal:\nbund",
	  "Den er forkert:\nDen viser 7,5 timer\nOn the clock terminal:\nbund\n",
	  "Den er forkert:\nDen viser 7,5 timer\nOn the clock terminal:\nbund\n" },
	{ "forwarded message separator", "Se nedenfor\n\n---------- Forwarded message ---------\nFrom: Lise <lise@example.com>\nDate: Sun, 29 Nov 2026\nSubject: Vagter\nTo: Ole <ole@example.dk>\n\nMit nummer er 5521.",
	  "Se nedenfor\n\n",
	  "Se nedenfor\n\n---------- Forwarded message ---------\nFrom: Lise <lise@example.com>\nDate: Sun, 29 Nov 2026\nSubject: Vagter\nTo: Ole <ole@example.dk>\n\nMit nummer er 5521.\n" },
	{ "videresendt meddelelse", "FYI\n---------- Videresendt meddelelse ---------\nFra: Support <support@example.dk>\nDato: man. 9. nov. 2026\nEmne: Sag\nTil: Ole\n\nVi ringer ikke op.",
	  "FYI\n",
	  "FYI\n---------- Videresendt meddelelse ---------\nFra: Support <support@example.dk>\nDato: man. 9. nov. 2026\nEmne: Sag\nTil: Ole\n" },
	{ "begin forwarded message", "Se\nBegin forwarded message:\n\nFrom: Lise <lise@example.com>\nSubject: Vagter\nDate: 29 November 2026\nTo: Ole\n\nNr. 5521",
	  "Se\n",
	  "Se\nBegin forwarded message:\n\nFrom: Lise <lise@example.com>\nSubject: Vagter\nDate: 29 November 2026\nTo: Ole\n\nNr. 5521\n" },
	{ "sig dash keeps the signature", "Vagtplanen er tom.\n-- \nBo Holm\nLogget ind som: bo.h\n",
	  "Vagtplanen er tom.\n--\nBo Holm\nLogget ind som: bo.h\n",
	  "Vagtplanen er tom.\n--\nBo Holm\nLogget ind som: bo.h\n" },
	{ "control characters and nbsp", "a\tb\x01" "c\xC2\xA0\xC2\xA0\nd\re\r\n\rf",
	  "a\tb c\nd\ne\n\nf\n",
	  "a\tb c\nd\ne\n\nf\n" },
};

START_TEST(test_quotes)
{
	const struct qcase *c = &quote_cases[_i];
	support_calls = 0;
	struct part p = { "utf-8", false, false, false, c->in };
	struct result r = run(&p, 1, 0, 1u << 20, NULL);
	ck_assert_msg(strcmp(r.own, c->own) == 0, "%s: own\n[%s]\nwant\n[%s]", c->name, r.own, c->own);
	ck_assert_msg(strcmp(r.body, c->body) == 0, "%s: body\n[%s]\nwant\n[%s]", c->name, r.body, c->body);
	result_free(&r);
	check_plain(c->in, c->own, c->body);
}
END_TEST

/* Without an is_support callback nothing is support's. */
START_TEST(test_no_callback)
{
	struct text_sink *t = text_new(4096, NULL, NULL);
	struct text_part tp = { "utf-8", false, false, false };
	const char *in = "Ok\nDen 9. nov. 2026 kl. 10:12 skrev Support <support@example.dk>:\n> Vi ringer ikke op.\n";
	text_part_begin(t, &tp);
	text_part_data(t, (const unsigned char *)in, strlen(in));
	text_part_end(t);
	ck_assert_str_eq(text_body(t, NULL), "Ok\nDen 9. nov. 2026 kl. 10:12 skrev Support <support@example.dk>:\nVi ringer ikke op.\n");
	ck_assert_str_eq(text_own(t, NULL), "Ok\n");
	text_free(t);
}
END_TEST

/* Forwarded parts reach body only; their quoted support text is still
 * dropped, and one forwarded part does not leak its state to the next. */
START_TEST(test_forwarded)
{
	const struct part parts[] = {
		{ "utf-8", false, false, false, "Se den vedhæftede mail.\nLogget ind som: ole" },
		{ "utf-8", false, true, false, "Hej Ole\nMit nummer er 5521.\n-----Original Message-----\nFrom: support@example.dk\nSent: x\nTo: y\nSubject: z\nVi ringer ikke op." },
		{ "utf-8", false, true, false, "Anden mail: uge 49." },
		{ "us-ascii", false, false, false, "Sendt fra min iPhone" },
	};
	check_parts(parts, 4,
	            "Se den vedhæftede mail.\nLogget ind som: ole\nSendt fra min iPhone\n",
	            "Se den vedhæftede mail.\nLogget ind som: ole\nHej Ole\nMit nummer er 5521.\n-----Original Message-----\nFrom: support@example.dk\nSent: x\nTo: y\nSubject: z\nAnden mail: uge 49.\nSendt fra min iPhone\n");
}
END_TEST

/* A mail from support forwarded as an attachment (announced by the
 * caller's "From: " line) is support's, but what it quotes from the
 * customer and the next forwarded mail are not. */
START_TEST(test_forwarded_from_support)
{
	const char *in = "Tak for din mail. Vi ringer ikke op.\n\nDen 8. nov. 2026 kl. 08:00 skrev Bo <bo@example.com>:\n> Lise nr. 7 mangler.\n";
	const struct text_part top = { "utf-8", false, false, false };
	const struct text_part fwd = { "utf-8", false, true, false };
	struct text_sink *t = text_new(4096, is_support, &support_calls);
	text_part_begin(t, &top);
	text_part_data(t, (const unsigned char *)"Se svaret", 9);
	text_part_end(t);
	text_add_line(t, "From: Support <support@example.dk>", 34, false);
	text_part_begin(t, &fwd);
	text_part_data(t, (const unsigned char *)in, strlen(in));
	text_part_end(t);
	text_add_line(t, "From: Bo <bo@example.com>", 25, false);
	text_part_begin(t, &fwd);
	text_part_data(t, (const unsigned char *)"Uge 49", 6);
	text_part_end(t);
	ck_assert_str_eq(text_body(t, NULL),
	                 "Se svaret\nFrom: Support <support@example.dk>\n"
	                 "Lise nr. 7 mangler.\n"
	                 "From: Bo <bo@example.com>\nUge 49\n");
	ck_assert_str_eq(text_own(t, NULL), "Se svaret\n");
	/* a top-level part clears the announcement */
	text_add_line(t, "From: support@example.dk", 24, false);
	text_part_begin(t, &top);
	text_part_end(t);
	text_part_begin(t, &fwd);
	text_part_data(t, (const unsigned char *)"kunde", 5);
	text_part_end(t);
	ck_assert_ptr_nonnull(strstr(text_body(t, NULL), "\nkunde\n"));
	text_free(t);
}
END_TEST

/* Once history started, a later top-level part does not return to own,
 * but it is not support's either. */
START_TEST(test_history_sticky_across_parts)
{
	const struct part parts[] = {
		{ "utf-8", false, false, false, "Ny\nFra: Support <support@example.dk>\nSendt: x\nTil: y\nEmne: z\nVi ringer ikke op." },
		{ "utf-8", false, false, false, "Næste del" },
	};
	check_parts(parts, 2, "Ny\n",
	            "Ny\nFra: Support <support@example.dk>\nSendt: x\nTil: y\nEmne: z\nNæste del\n");
}
END_TEST

/* Parts are separated: the last line of one part does not glue to the
 * first of the next, and a pending two-line marker does not span parts. */
START_TEST(test_part_boundaries)
{
	const struct part parts[] = {
		{ "utf-8", false, false, false, "første del uden linjeskift" },
		{ "utf-8", false, false, false, "Den 9. nov. 2026 kl. 10:12 skrev Support <" },
		{ "utf-8", false, false, false, "support@example.dk>:\nanden" },
	};
	check_parts(parts, 3,
	            "første del uden linjeskift\nDen 9. nov. 2026 kl. 10:12 skrev Support <\nsupport@example.dk>:\nanden\n",
	            "første del uden linjeskift\nDen 9. nov. 2026 kl. 10:12 skrev Support <\nsupport@example.dk>:\nanden\n");
}
END_TEST

/* An HTML-only mail: Outlook's reply with a header block and Gmail's
 * blockquote, reduced and classified like plain text. */
START_TEST(test_html_only)
{
	const struct part outlook[] = {
		{ "utf-8", true, false, false,
		  "<html><head><style>p {margin:0}</style></head><body>"
		  "<p class=MsoNormal>Hej<o:p></o:p></p><p class=MsoNormal><o:p>&nbsp;</o:p></p>"
		  "<p class=MsoNormal>Her er sk&aelig;rmbilledet.<o:p></o:p></p>"
		  "<div style=\"border-top:solid #E1E1E1 1.0pt\"><p class=MsoNormal><b>Fra:</b> Support &lt;support@example.dk&gt;<br>"
		  "<b>Sendt:</b> 10. november 2026 09:41<br><b>Til:</b> Lars<br><b>Emne:</b> SV: Flex</p></div>"
		  "<p class=MsoNormal>Vi ringer ikke op.<o:p></o:p></p></body></html>" },
	};
	check_parts(outlook, 1, "Hej\n\nHer er skærmbilledet.\n",
	            "Hej\n\nHer er skærmbilledet.\nFra: Support <support@example.dk>\nSendt: 10. november 2026 09:41\nTil: Lars\nEmne: SV: Flex\n");

	const struct part gmail[] = {
		{ "utf-8", true, false, false,
		  "<div dir=\"ltr\">Brugeren er <b>mette.k</b></div><br><div class=\"gmail_quote\">"
		  "<div dir=\"ltr\" class=\"gmail_attr\">Den man. 9. nov. 2026 kl. 10:12 skrev Timegrip Support &lt;<a href=\"mailto:support@example.dk\">support@example.dk</a>&gt;:<br></div>"
		  "<blockquote class=\"gmail_quote\" style=\"margin:0px 0px 0px 0.8ex\">Hej<br>Vi ringer ikke op.</blockquote></div>" },
	};
	check_parts(gmail, 1, "Brugeren er mette.k\n\n",
	            "Brugeren er mette.k\n\nDen man. 9. nov. 2026 kl. 10:12 skrev Timegrip Support <support@example.dk>:\n");

	/* Apple Mail puts the attribution inside the blockquote. */
	const struct part apple[] = {
		{ "utf-8", true, false, false,
		  "<div>Tak</div><div><br><blockquote type=\"cite\"><div>On 9 Nov 2026, at 10:12, Timegrip Support &lt;support@example.dk&gt; wrote:</div>"
		  "<br><div><div>Please state your login.</div></div></blockquote></div>" },
	};
	check_parts(apple, 1, "Tak\n\n",
	            "Tak\n\nOn 9 Nov 2026, at 10:12, Timegrip Support <support@example.dk> wrote:\n\n");
}
END_TEST

/* A duplicate alternative part is skipped entirely. */
START_TEST(test_skip)
{
	const struct part parts[] = {
		{ "utf-8", false, false, false, "Plain" },
		{ "utf-8", true, false, true, "<p>Plain</p>" },
	};
	check_parts(parts, 2, "Plain\n", "Plain\n");
}
END_TEST

START_TEST(test_charsets)
{
	const struct part latin1[] = {
		{ "iso-8859-1", false, false, false, "Bl\xE5" "b\xE6r gr\xF8" "d \xC6\xD8\xC5" },
	};
	check_parts(latin1, 1, "Blåbær grød ÆØÅ\n", "Blåbær grød ÆØÅ\n");

	const struct part cp1252[] = {
		{ "windows-1252", true, false, false, "<p>L\xF8nk\xF8rsel \x96 \x93Periode l\xE5st\x94</p>" },
	};
	check_parts(cp1252, 1, "Lønkørsel – “Periode låst”\n", "Lønkørsel – “Periode låst”\n");

	struct result r = run(latin1, 1, 1, 4096, NULL);
	ck_assert(!r.unknown);
	result_free(&r);

	const struct part unknown[] = {
		{ "x-no-such-charset", false, false, false, "abc \xE6" },
	};
	r = run(unknown, 1, 0, 4096, NULL);
	ck_assert(r.unknown);
	ck_assert_str_eq(r.body, "abc æ\n");
	result_free(&r);
}
END_TEST

START_TEST(test_truncation)
{
	const struct part parts[] = {
		{ "utf-8", false, false, false, "ææææææææææ\nøøøøø\nlast" },
	};
	/* 25 bytes: "ææææææææææ\n" is 21, then 4 bytes of ø's = 2 chars. */
	for (size_t i = 0; i < sizeof chunks / sizeof chunks[0]; i++) {
		struct result r = run(parts, 1, chunks[i], 25, NULL);
		ck_assert(r.truncated);
		ck_assert_str_eq(r.body, "ææææææææææ\nøø");
		ck_assert_str_eq(r.own, "ææææææææææ\nøø");
		result_free(&r);
	}
	/* An odd limit never cuts a character in half. */
	struct result r = run(parts, 1, 0, 24, NULL);
	ck_assert_str_eq(r.body, "ææææææææææ\nø");
	ck_assert(r.truncated);
	result_free(&r);

	/* Exactly fitting is not truncation. */
	r = run(parts, 1, 0, 37, NULL);
	ck_assert(!r.truncated);
	ck_assert_str_eq(r.body, "ææææææææææ\nøøøøø\nlast\n");
	result_free(&r);

	/* The Subject line counts against the limit too. */
	r = run(parts, 1, 0, 10, "Subject");
	ck_assert_str_eq(r.body, "Subject\næ");
	ck_assert(r.truncated);
	result_free(&r);

	/* A long own text with history: body fills first, own keeps going. */
	struct buf big;
	buf_init(&big, 1u << 20);
	for (int i = 0; i < 2000; i++)
		buf_append(&big, "linje med tekst\n", 16);
	const struct part bigp[] = { { "utf-8", false, false, false, big.data } };
	r = run(bigp, 1, 4096, 1000, NULL);
	ck_assert(r.truncated);
	ck_assert_uint_eq(strlen(r.body), 1000);
	ck_assert_uint_eq(strlen(r.own), 1000);
	result_free(&r);
	buf_free(&big);
}
END_TEST

/* A line longer than the line bound is split; the pieces keep the class
 * of the line they continue, so a long quoted support line stays out. */
START_TEST(test_long_lines)
{
	struct buf in, want;
	buf_init(&in, 1u << 20);
	buf_init(&want, 1u << 20);
	const char *head = "Ok\nDen 9. nov. 2026 kl. 10:12 skrev Support <support@example.dk>:\n> ";
	buf_append(&in, head, strlen(head));
	for (int i = 0; i < 1000; i++)
		buf_append(&in, "ringer ikke ", 12);
	buf_append(&in, "\nbund ", 6);
	for (int i = 0; i < 3000; i++)
		buf_append(&in, "\xC3\xA6", 2);
	const char *w = "Ok\nDen 9. nov. 2026 kl. 10:12 skrev Support <support@example.dk>:\nbund";
	buf_append(&want, w, strlen(w));
	const struct part parts[] = { { "utf-8", false, false, false, in.data } };
	struct result ref = run(parts, 1, 0, 1u << 20, NULL);
	ck_assert_msg(strncmp(ref.body, want.data, want.len) == 0, "body starts [%.80s]", ref.body);
	ck_assert_str_eq(ref.own, "Ok\n");
	/* the æ run was split at a character boundary into valid lines */
	const char *tail = ref.body + want.len;
	size_t ae = 0, nl = 0;
	for (const char *p = tail; *p != '\0'; p++) {
		if (*p == '\n')
			nl++;
		else if ((unsigned char)*p == 0xC3 && (unsigned char)p[1] == 0xA6)
			ae++, p++;
		else if (*p != ' ')
			ck_abort_msg("unexpected byte %02x", (unsigned char)*p);
	}
	ck_assert_uint_eq(ae, 3000);
	ck_assert_uint_ge(nl, 3);
	for (size_t i = 1; i < sizeof chunks / sizeof chunks[0]; i++) {
		struct result r = run(parts, 1, chunks[i], 1u << 20, NULL);
		ck_assert_str_eq(r.body, ref.body);
		ck_assert_str_eq(r.own, ref.own);
		result_free(&r);
	}
	result_free(&ref);
	buf_free(&in);
	buf_free(&want);
}
END_TEST

struct lcase {
	const char *own_text;    /* top-level part */
	const char *fwd_text;    /* forwarded part, or NULL */
	const char *want;
};

static const struct lcase lang_cases[] = {
	{ "Hej\nJeg kan ikke se vagtplanen for uge 45. Kan I hjælpe?\nMvh Bo", NULL, "da" },
	{ "Hi,\nWe cannot open the payroll export. Please call me, it is urgent.\nKind regards", NULL, "en" },
	{ "Hej, det er ikke muligt. Please help, thanks", NULL, "da" },       /* mixed */
	{ "Vagtplan", NULL, "da" },                                           /* nothing to go on */
	{ "Sørens løn", NULL, "da" },
	{ "OK", "Hello, the clock terminal is not working. We have tried to restart it.", "en" },
	{ "Thanks", "Hej, jeg har et problem med vagtplanen og kan ikke logge ind.", "da" },
	{ "", "", "da" },
};

START_TEST(test_language)
{
	const struct lcase *c = &lang_cases[_i];
	struct part parts[2] = {
		{ "utf-8", false, false, false, c->own_text },
		{ "utf-8", false, true, false, c->fwd_text != NULL ? c->fwd_text : "" },
	};
	struct result r = run(parts, 2, 0, 4096, NULL);
	ck_assert_msg(strcmp(r.lang, c->want) == 0, "case %d: got %s", _i, r.lang);
	result_free(&r);
}
END_TEST

START_TEST(test_add_line_and_null)
{
	struct text_sink *t = text_new(4096, is_support, &support_calls);
	text_add_line(t, "Lønkørsel\r\nafvises  ", strlen("Lønkørsel\r\nafvises  "), true);
	text_add_line(t, "Fwd subject", 11, false);
	ck_assert_str_eq(text_own(t, NULL), "Lønkørsel  afvises\n");
	ck_assert_str_eq(text_body(t, NULL), "Lønkørsel  afvises\nFwd subject\n");
	/* data without begin, and end without begin, are ignored */
	text_part_data(t, (const unsigned char *)"x", 1);
	text_part_end(t);
	/* begin while a part is open ends that part first */
	struct text_part tp = { NULL, false, false, false };
	text_part_begin(t, &tp);
	text_part_data(t, (const unsigned char *)"a", 1);
	text_part_begin(t, &tp);
	text_part_data(t, (const unsigned char *)"b", 1);
	text_part_end(t);
	ck_assert_str_eq(text_body(t, NULL), "Lønkørsel  afvises\nFwd subject\na\nb\n");
	ck_assert(!text_truncated(t));
	text_free(t);

	size_t len = 99;
	ck_assert_str_eq(text_body(NULL, &len), "");
	ck_assert_uint_eq(len, 0);
	ck_assert_str_eq(text_own(NULL, &len), "");
	ck_assert(!text_truncated(NULL));
	ck_assert(!text_charset_unknown(NULL));
	ck_assert_str_eq(text_language(NULL), "da");
	text_add_line(NULL, "x", 1, true);
	text_part_begin(NULL, &tp);
	text_part_data(NULL, (const unsigned char *)"x", 1);
	text_part_end(NULL);
	text_free(NULL);
}
END_TEST

/* Token soup (fixed seed) of markers, header lines and line ends, plain
 * and HTML: the views must not depend on the chunk size. */
static const char *const soup[] = {
	"\n", "\r", "\r\n", "> ", ">>", ">", "Den 9. nov. 2026 kl. 10:12 skrev ",
	"Support <support@example.dk>", ":", "On Mon, 9 Nov 2026 ", " wrote:",
	"-----Original Message-----", "Fra: ", "Sendt: x", "Til: y", "Emne: z",
	"From: ", "Subject: ", "Date: ", "To: ", "tekst ", "\xC3\xA6", "\xC2\xA0",
	"  ", "\t", "<br>", "<blockquote>", "</blockquote>", "&gt;", "-- ",
};

START_TEST(test_soup_chunking)
{
	unsigned seed = 777;
	for (int round = 0; round < 200; round++) {
		struct buf in;
		buf_init(&in, 1u << 16);
		seed = seed * 1103515245u + 12345u;
		int ntok = 1 + (int)(seed >> 16) % 80;
		for (int k = 0; k < ntok; k++) {
			seed = seed * 1103515245u + 12345u;
			const char *tok = soup[(seed >> 16) % (sizeof soup / sizeof soup[0])];
			buf_append(&in, tok, strlen(tok));
		}
		const struct part parts[] = {
			{ "utf-8", false, false, false, in.data },
			{ "utf-8", true, false, false, in.data },
			{ "utf-8", false, true, false, in.data },
		};
		struct result ref = run(parts, 3, 0, 1u << 20, NULL);
		for (size_t c = 1; c <= 4; c++) {
			struct result r = run(parts, 3, c, 1u << 20, NULL);
			ck_assert_msg(strcmp(r.body, ref.body) == 0 && strcmp(r.own, ref.own) == 0,
			              "round %d chunk %zu differs; input [%s]", round, c, in.data);
			result_free(&r);
		}
		result_free(&ref);
		buf_free(&in);
	}
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("text");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_quotes, 0, (int)(sizeof quote_cases / sizeof quote_cases[0]));
	tcase_add_test(tc, test_no_callback);
	tcase_add_test(tc, test_forwarded);
	tcase_add_test(tc, test_forwarded_from_support);
	tcase_add_test(tc, test_history_sticky_across_parts);
	tcase_add_test(tc, test_part_boundaries);
	tcase_add_test(tc, test_html_only);
	tcase_add_test(tc, test_skip);
	tcase_add_test(tc, test_charsets);
	tcase_add_test(tc, test_truncation);
	tcase_add_test(tc, test_long_lines);
	tcase_add_loop_test(tc, test_language, 0, (int)(sizeof lang_cases / sizeof lang_cases[0]));
	tcase_add_test(tc, test_add_line_and_null);
	tcase_add_test(tc, test_soup_chunking);
	suite_add_tcase(s, tc);
	return s;
}

#include "check_main.h"
