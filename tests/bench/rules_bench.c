/*
 * rules_bench: how long 500 rules take to load, and to evaluate on a
 * typical support mail.  Not a test (timings depend on the machine); it
 * prints numbers for the budget: load < 1 s, analysis < 1 ms.
 *
 * The rule set is generated in the shape of real rules: word-list
 * regexes with alternations on body/own/subject (case-insensitive, UTF-8),
 * header tests, attachment tests, metas over them, seven items with
 * present/applies lines, seven categories and priority lines.  The mail
 * is about 3 KB of Danish text with quoted history, 12 header fields and
 * two attachments.
 *
 * Usage: rules_bench [RUNS [RULES_DIR]]   (default 1000 evaluations; with
 * RULES_DIR those rules instead of the generated ones).  Evaluation is
 * timed with the prefilter (prefilter.h) and without it.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "diag.h"
#include "facts.h"
#include "rules.h"
#include "rules_int.h"
#include "verdict.h"

/* Thread CPU time: on a shared machine a wall-clock mean is dominated by
 * the time slices other processes get; CPU time is what the rules cost. */
static double cpu(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double wall(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *const words[] = {
	"vagtplan", "tidsregistrering", "lønkørsel", "fravær", "stempelur", "rapporter",
	"medarbejder", "afdeling", "godkendelse", "overenskomst", "ferie", "løneksport",
	"indstillinger", "app", "sygemeld", "vagt", "skema", "timer", "overtid", "tillæg",
};
#define NWORDS (sizeof(words) / sizeof(words[0]))

static void gen_rules(struct buf *t, int n)
{
	static const char *const items[] = { "reason", "location", "user", "employee-name",
	                                     "employee-number", "employee-date", "screenshot" };
	static const char *const cats[] = { "callback", "data-restore", "data-entry", "third-party",
	                                    "network", "customization", "unrelated" };
	int made = 0;
	for (int i = 0; made < n - 30; i++, made++) {
		const char *a = words[i % NWORDS], *b = words[(i * 7 + 3) % NWORDS];
		switch (i % 8) {
		case 0: buf_printf(t, "body   R%d /\\b(%s|%s)\\w*\\b/i\n", i, a, b); break;
		case 1: buf_printf(t, "own    R%d /\\b%s\\w{0,4}\\s+(virker|fejler|mangler)\\b/i\n", i, a); break;
		case 2: buf_printf(t, "subject R%d /%s|%s%d/i\n", i, a, b, i); break;
		case 3: buf_printf(t, "header R%d X-Mailer =~ /%s%d/i\n", i, a, i); break;
		case 4: buf_printf(t, "body   __R%d /(?:logget|logged) (?:ind|på|in) (?:som|as) %s%d/i\n", i, a, i); break;
		case 5: buf_printf(t, "attach R%d image && width >= %d && height >= 100\n", i, 100 + i); break;
		case 6: buf_printf(t, "meta   R%d R%d || R%d && !R%d\n", i, i - 6, i - 5, i - 4); break;
		default: buf_printf(t, "body   R%d /\\d+\\. ?(?:%s|%s) \\d{4}/i\n", i, a, b); break;
		}
	}
	for (size_t k = 0; k < 7; k++) {
		buf_printf(t, "item %s %s\nlabel %s da %s\nlabel %s en %s\n", items[k],
		           k == 6 ? "recommended" : "required", items[k], items[k], items[k], items[k]);
		buf_printf(t, "body __P%zu /\\b%s\\w*/i\npresent %s __P%zu || R%zu\n", k, words[k], items[k], k, k * 8);
		if (k >= 3 && k <= 5)
			buf_printf(t, "applies %s R%zu\n", items[k], k * 8 + 1);
		made++;
	}
	for (size_t k = 0; k < 7; k++) {
		buf_printf(t, "body __C%zu /%s.{0,20}(hjælp|ændre|gendan)/i\n", k, words[k + 7]);
		buf_printf(t, "category %s %s __C%zu && !R%zu\n", cats[k], k == 0 ? "in-scope" : "out-of-scope", k, k * 8 + 2);
		made++;
	}
	while (made < n)
		buf_printf(t, "meta   R%d R0 || R1\n", 100000 + made++);
	buf_printf(t, "priority low out_of_scope && !category(callback)\n"
	              "priority high R0 && R1 && !out_of_scope\n"
	              "autoreply required_missing || out_of_scope || category(callback)\n");
}

static const char mail[] =
	"Problemer med vagtplan og fravær\n"
	"Hej Support\n\n"
	"Vi har et problem i vagtplanen: når vi kopierer ugen til næste uge, forsvinder "
	"vagterne for en af vores medarbejdere. Det drejer sig om medarbejderen Jens Hansen, "
	"medarb.nr. 1042, og det sker for uge 45 og 46. Vi har prøvet at logge ud og ind igen, "
	"og vi har prøvet i både Chrome og Edge, men det virker ikke.\n\n"
	"Jeg er logget ind som mette.k på Solgården.\n\n"
	"Kan I se hvad der er galt? Det haster lidt, fordi lønkørslen skal køre på fredag.\n\n"
	"Venlig hilsen\nMette Kjær\nDaglig leder, Solgården\nTlf. 12 34 56 78\n\n"
	"> Den 3. november 2026 kl. 10:12 skrev Mette Kjær:\n"
	"> Hej, vi har også set at stempeluret ikke altid registrerer når folk går hjem. "
	"Er der en indstilling for det under Indstillinger -> Stempelur? "
	"Vi bruger appen på iPhone og Android.\n"
	"> \n> Mvh Mette\n"
	"> -----Oprindelig meddelelse-----\n"
	"> Fra: Support\n> Sendt: 2. november 2026 09:00\n"
	"> Emne: Sv: Fravær\n"
	"> Tak for din henvendelse. Vi har brug for at vide hvilken bruger du er logget ind som, "
	"hvor i systemet problemet er, og meget gerne et skærmbillede.\n"
	"Lorem ipsum dolor sit amet, vagterne er flyttet; ferie og fravær hænger sammen med "
	"overenskomsten og tillæg for overtid. Rapporterne viser timer og skema for afdelingen. "
	"Lorem ipsum dolor sit amet, vagterne er flyttet; ferie og fravær hænger sammen med "
	"overenskomsten og tillæg for overtid. Rapporterne viser timer og skema for afdelingen. "
	"Lorem ipsum dolor sit amet, vagterne er flyttet; ferie og fravær hænger sammen med "
	"overenskomsten og tillæg for overtid. Rapporterne viser timer og skema for afdelingen.\n";

int main(int argc, char **argv)
{
	int runs = argc > 1 ? atoi(argv[1]) : 1000;
	if (runs <= 0)
		runs = 1000;
	struct buf t;
	buf_init(&t, 16 << 20);
	gen_rules(&t, 500);

	struct diag d;
	diag_to_stream(&d, stderr);
	struct rules_options opt = { .match_limit = 100000 };
	double c0 = cpu(), w0 = wall();
	struct ruleset *rs = argc > 2 ? rules_load_dir(argv[2], &opt, &d)
	                              : rules_load_buffer("bench.rules", buf_cstr(&t), t.len, &opt, &d);
	double c_load = cpu() - c0, w_load = wall() - w0;
	if (rs == NULL) {
		fprintf(stderr, "rules_bench: the generated rules did not load\n");
		return 1;
	}

	struct facts_header hdrs[] = {
		{ "Received", "from mx.example.dk by mx1.timemap.dk" }, { "Received", "from a by b" },
		{ "From", "Mette Kjær <mette@solgaarden.example.dk>" }, { "To", "support@timemap.dk" },
		{ "Subject", "Problemer med vagtplan og fravær" }, { "Date", "Mon, 9 Nov 2026 09:14:00 +0100" },
		{ "Message-ID", "<abc@example.dk>" }, { "MIME-Version", "1.0" },
		{ "Content-Type", "multipart/related; boundary=x" }, { "X-Mailer", "Microsoft Outlook 16.0" },
		{ "Thread-Index", "AdnZ" }, { "Content-Language", "da-DK" },
	};
	struct attachment att[2];
	memset(att, 0, sizeof(att));
	strcpy(att[0].detected_type, "image/png");
	strcpy(att[0].declared_type, "image/png");
	strcpy(att[0].filename, "image001.png");
	att[0].width = 1280;
	att[0].height = 720;
	att[0].size = 180000;
	att[0].is_image = att[0].is_inline = true;
	strcpy(att[1].detected_type, "image/png");
	strcpy(att[1].declared_type, "image/png");
	strcpy(att[1].filename, "logo.png");
	att[1].width = 120;
	att[1].height = 40;
	att[1].size = 3000;
	att[1].is_image = att[1].is_inline = true;
	struct facts f;
	memset(&f, 0, sizeof(f));
	f.subject = "Problemer med vagtplan og fravær";
	f.headers = hdrs;
	f.n_headers = sizeof(hdrs) / sizeof(hdrs[0]);
	f.body = mail;
	f.body_len = sizeof(mail) - 1;
	const char *q = strstr(mail, "> Den");
	f.own = mail;
	f.own_len = (size_t)(q - mail);
	f.language = "da";
	f.attachments = att;
	f.n_attachments = 2;
	f.screenshot = &att[0];
	f.env_from = "mette@solgaarden.example.dk";

	struct rules_scratch *sc = rules_scratch_new(rs);
	struct verdict v;
	double c_eval = 0, w_eval = 0, c_off = 0, w_off = 0;
	unsigned skips = 0;
	for (int pass = 0; pass < 2; pass++) {
		rules_scratch_set_prefilter(sc, pass == 0);
		rules_eval(rs, sc, &f, &v);    /* warm up: first-touch page faults */
		skips = pass == 0 ? rules_scratch_prefilter_skips(sc) : skips;
		c0 = cpu();
		w0 = wall();
		for (int i = 0; i < runs; i++)
			rules_eval(rs, sc, &f, &v);
		*(pass == 0 ? &c_eval : &c_off) = (cpu() - c0) / runs;
		*(pass == 0 ? &w_eval : &w_off) = (wall() - w0) / runs;
	}

	if (argc > 2)
		printf("rules: %zu named rules from %s, hash %s\n", rules_count(rs), argv[2], rules_hash(rs));
	else
		printf("rules: %zu named rules (%zu bytes of rules text), hash %s\n",
		       rules_count(rs), t.len, rules_hash(rs));
	printf("load: %.1f ms CPU, %.1f ms wall (budget 1000 ms)\n", c_load * 1e3, w_load * 1e3);
	printf("eval: %.1f us CPU, %.1f us wall per mail, mean of %d (budget 1000 us); "
	       "%u regex tests answered by the prefilter\n", c_eval * 1e6, w_eval * 1e6, runs, skips);
	printf("eval without the prefilter: %.1f us CPU, %.1f us wall per mail\n",
	       c_off * 1e6, w_off * 1e6);
	printf("mail: %zu bytes of text, %zu header fields, %zu attachments; %zu rules fired%s\n",
	       f.body_len, f.n_headers, f.n_attachments, v.n_fired, v.fired_truncated ? " (list cut)" : "");
	rules_scratch_free(sc);
	rules_free(rs);
	buf_free(&t);
	return 0;
}
