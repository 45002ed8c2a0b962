/*
 * fuzz_rules: libFuzzer target for the rules language.  Feeds arbitrary
 * bytes to rules_load_buffer and, when they load, evaluates the rule set
 * on a fixed facts record (text with Danish letters, headers, two
 * attachments, flags) twice with one scratch, as a session would, and
 * once more with the prefilter off: the verdicts must be the same (only
 * match_errors may differ: a regex the prefilter rules out cannot hit its
 * match limit), or the target aborts.
 *
 * Build (see the report of the rules module for the file list):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE \
 *     -I milter -I . tests/fuzz/fuzz_rules.c milter/rules_load.c \
 *     milter/rules_parse.c milter/rules_expr.c milter/rules_eval.c \
 *     milter/verdict.c milter/diag.c milter/log.c milter/buf.c \
 *     milter/facts.c $(pkg-config --cflags --libs libpcre2-8) -o /tmp/fuzz_rules
 * Seeds: tests/data/rules/ (and any rules/ directory).
 */
#include "autoconfig.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

#include "diag.h"
#include "facts.h"
#include "rules.h"
#include "rules_int.h"
#include "verdict.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void quiet(struct diag *d, const char *line)
{
	(void)d;
	(void)line;
}

static const char body[] =
	"Vagtplan\nHej, fravær for medarbejderen Jens (medarb.nr. 1042) d. 3/11 virker ikke.\n"
	"Jeg er logget ind som mette.k. Vil I ringe mig op?\n> tidligere: HASTER\n"
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!";

static bool same_verdict(const struct verdict *a, const struct verdict *b)
{
	if (a->rules_ran != b->rules_ran || a->priority != b->priority ||
	    a->out_of_scope != b->out_of_scope || a->autoreply_wanted != b->autoreply_wanted ||
	    a->n_categories != b->n_categories || a->n_missing != b->n_missing ||
	    a->n_fired != b->n_fired || a->fired_truncated != b->fired_truncated)
		return false;
	for (size_t i = 0; i < a->n_categories; i++)
		if (strcmp(a->categories[i].id, b->categories[i].id) != 0)
			return false;
	for (size_t i = 0; i < a->n_missing; i++)
		if (strcmp(a->missing[i].id, b->missing[i].id) != 0)
			return false;
	for (size_t i = 0; i < a->n_fired; i++)
		if (strcmp(a->fired[i], b->fired[i]) != 0)
			return false;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct diag d = { .emit = quiet };
	/* A small limit keeps catastrophic patterns from the fuzzer cheap. */
	struct rules_options opt = { .match_limit = 20000 };
	struct ruleset *rs = rules_load_buffer("fuzz.rules", (const char *)data, size, &opt, &d);
	if (rs == NULL)
		return 0;

	static struct facts_header hdrs[] = {
		{ "From", "Mette <mette@example.dk>" }, { "Subject", "Fravær i vagtplan" },
		{ "Auto-Submitted", "no" }, { "Received", "from x" }, { "Received", "from y" },
	};
	static const char *rcpt[] = { "support@timemap.dk" };
	struct attachment att[2];
	memset(att, 0, sizeof(att));
	strcpy(att[0].declared_type, "image/jpeg");
	strcpy(att[0].detected_type, "image/png");
	strcpy(att[0].filename, "skærm.jpg");
	att[0].width = 1280;
	att[0].height = 720;
	att[0].size = 123456;
	att[0].is_image = att[0].mismatch = att[0].is_inline = true;
	strcpy(att[1].declared_type, "application/octet-stream");
	strcpy(att[1].detected_type, "application/zip");
	att[1].size = 999;
	att[1].in_message = true;

	struct facts f;
	memset(&f, 0, sizeof(f));
	f.subject = "Fravær i vagtplan";
	f.headers = hdrs;
	f.n_headers = sizeof(hdrs) / sizeof(hdrs[0]);
	f.body = body;
	f.body_len = sizeof(body) - 1;
	f.own = body;
	f.own_len = 120;
	f.language = "da";
	f.attachments = att;
	f.n_attachments = 2;
	f.screenshot = &att[0];
	f.mismatch = true;
	f.env_from = "mette@example.dk";
	f.rcpt = rcpt;
	f.n_rcpt = 1;
	f.hours.open = true;
	f.flags = FACT_TRUNC_LINE | FACT_ERR_CHARSET;

	struct rules_scratch *sc = rules_scratch_new(rs);
	if (sc != NULL) {
		struct verdict v;
		int rc = -1;
		for (int i = 0; i < 2; i++) {
			rc = rules_eval(rs, sc, &f, &v);
			if (rc == 0) {
				(void)verdict_priority_name(v.priority);
				(void)verdict_has_required_missing(&v);
			}
			f.language = "en";
			f.body_len = 10;
		}
		rules_scratch_free(sc);
		/* The last evaluation again, every regex run by PCRE2. */
		struct rules_scratch *all = rules_scratch_new(rs);
		if (all != NULL && rc == 0) {
			rules_scratch_set_prefilter(all, false);
			struct verdict w;
			if (rules_eval(rs, all, &f, &w) == 0 && !same_verdict(&v, &w))
				abort();
		}
		rules_scratch_free(all);
	}
	(void)rules_hash(rs);
	(void)rules_describe(rs, "A");
	rules_free(rs);
	return 0;
}
