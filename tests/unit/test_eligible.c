/*
 * test_eligible: the auto-reply eligibility check on hand-made facts — a
 * table of exclusion cases (RFC 3834 / RFC 5230 / robot senders / our own
 * address / spam / reports / not addressed to us / unsafe senders) next
 * to eligible look-alikes, and the safe-address test used before an
 * address reaches sendmail's command line.
 */
#include "autoconfig.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "eligible.h"
#include "facts.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define MAXH 6

struct hcase {
	const char *env_from;
	const char *h[MAXH][2];   /* extra headers; To: support is added unless "To" given */
	const char *want;         /* NULL = eligible */
};

#define SUPPORT "support@timemap.dk"
#define CUST "kunde@example.dk"

static const struct hcase cases[] = {
	/* --- exclusions ------------------------------------------------ */
	{ "", { { NULL } }, "null-sender" },
	{ "MAILER-DAEMON@mail.example.dk", { { NULL } }, "robot-sender" },
	{ "postmaster@example.dk", { { NULL } }, "robot-sender" },
	{ "LISTSERV@lists.example.com", { { NULL } }, "robot-sender" },
	{ "majordomo@example.org", { { NULL } }, "robot-sender" },
	{ "owner-hr-list@example.org", { { NULL } }, "robot-sender" },
	{ "hr-list-request@example.org", { { NULL } }, "robot-sender" },
	{ "noreply@example.com", { { NULL } }, "robot-sender" },
	{ "No-Reply@example.com", { { NULL } }, "robot-sender" },
	{ "bounce-8812-support=timemap.dk@mail.example.com", { { NULL } }, "robot-sender" },
	{ CUST, { { "From", "Mail Delivery System <MAILER-DAEMON@mail.example.dk>" } }, "robot-sender" },
	{ SUPPORT, { { NULL } }, "from-support" },
	{ "Support+note@TimeMap.DK", { { NULL } }, "from-support" },
	{ CUST, { { "From", "Timegrip Support <support@timemap.dk>" } }, "from-support" },
	{ CUST, { { "Auto-Submitted", "auto-replied" } }, "auto-submitted" },
	{ CUST, { { "Auto-Submitted", "auto-generated" } }, "auto-submitted" },
	{ CUST, { { "auto-submitted", "Auto-Notified; owner-email=\"a@b.dk\"" } }, "auto-submitted" },
	{ CUST, { { "Auto-Submitted", "" } }, "auto-submitted" },
	{ CUST, { { "X-Autoreply", "yes" } }, "auto-reply-header" },
	{ CUST, { { "X-Autorespond", "Out of office" } }, "auto-reply-header" },
	{ CUST, { { "Precedence", "bulk" } }, "precedence" },
	{ CUST, { { "Precedence", " Junk" } }, "precedence" },
	{ CUST, { { "PRECEDENCE", "list" } }, "precedence" },
	{ CUST, { { "Precedence", "auto_reply" } }, "precedence" },
	{ CUST, { { "List-Id", "HR-Nyt <hrnyt.example.com>" } }, "list" },
	{ CUST, { { "List-Unsubscribe", "<mailto:x@example.com>" } }, "list" },
	{ CUST, { { "List-Post", "NO" } }, "list" },
	{ CUST, { { "Mailing-List", "contact x-help@example.org" } }, "list" },
	{ CUST, { { "X-Mailing-List", "x@example.org" } }, "list" },
	{ CUST, { { "X-Auto-Response-Suppress", "All" } }, "auto-response-suppress" },
	{ CUST, { { "X-Auto-Response-Suppress", "DR, OOF" } }, "auto-response-suppress" },
	{ CUST, { { "X-Auto-Response-Suppress", "RN, NRN, AutoReply" } }, "auto-response-suppress" },
	{ CUST, { { "X-Loop", "support@timemap.dk" } }, "loop" },
	{ CUST, { { "X-Spam-Flag", "YES" } }, "spam" },
	{ CUST, { { "X-Spam-Status", "Yes, score=9.1 required=5.0" } }, "spam" },
	{ CUST, { { "Content-Type", "multipart/report; report-type=delivery-status; boundary=x" } }, "report" },
	{ CUST, { { "To", "kollega@example.dk" } }, "not-addressed" },
	{ CUST, { { "To", "undisclosed-recipients:;" }, { "Bcc", SUPPORT } }, "not-addressed" },
	{ CUST, { { "To", "\"support@timemap.dk\" <other@example.dk>" } }, "not-addressed" },
	{ "-oQ/tmp@example.dk", { { NULL } }, "bad-sender" },
	{ "a@b>\r\nBcc: c@d.dk", { { NULL } }, "bad-sender" },
	{ "\"a b\"@example.dk", { { NULL } }, "bad-sender" },
	{ "user@localhost", { { NULL } }, "bad-sender" },
	{ "|/bin/sh@example.dk", { { NULL } }, "bad-sender" },
	{ "a%b@example.dk", { { NULL } }, "bad-sender" },
	/* the first applicable reason wins: envelope before headers */
	{ "", { { "Auto-Submitted", "auto-replied" } }, "null-sender" },

	/* --- eligible look-alikes -------------------------------------- */
	{ CUST, { { NULL } }, NULL },
	{ CUST, { { "Auto-Submitted", "no" } }, NULL },
	{ CUST, { { "Auto-Submitted", " No (a human wrote this)" } }, NULL },
	{ CUST, { { "Precedence", "first-class" } }, NULL },
	{ CUST, { { "X-Auto-Response-Suppress", "DR, RN, NRN" } }, "auto-response-suppress" },
	{ CUST, { { "X-Auto-Response-Suppress", "  " } }, NULL },
	{ CUST, { { "X-Spam-Flag", "NO" } }, NULL },
	{ CUST, { { "X-Spam-Status", "No, score=0.3" } }, NULL },
	{ CUST, { { "Content-Type", "multipart/mixed; boundary=\"report\"" } }, NULL },
	{ CUST, { { "To", "kollega@example.dk" }, { "Cc", "Support <SUPPORT@timemap.dk>" } }, NULL },
	{ CUST, { { "To", "a@example.dk, support+vagtplan@timemap.dk" } }, NULL },
	{ CUST, { { "From", "Owner Of Shop <owner@example.dk>" } }, NULL },
	{ "reply-team@example.dk", { { "Subject", "noreply" } }, NULL },
	{ "Kunde.Navn+tag@Example.DK", { { NULL } }, NULL },
	{ "o'brien@example.ie", { { NULL } }, NULL },
};

static void build(const struct hcase *c, struct facts *f, struct facts_header *hs, size_t *n)
{
	bool has_to = false;
	*n = 0;
	for (size_t i = 0; i < MAXH && c->h[i][0] != NULL; i++) {
		hs[*n].name = c->h[i][0];
		hs[*n].value = c->h[i][1];
		if (strcmp(c->h[i][0], "To") == 0)
			has_to = true;
		(*n)++;
	}
	if (!has_to) {
		hs[*n].name = "To";
		hs[*n].value = "Timegrip Support <support@timemap.dk>";
		(*n)++;
	}
	memset(f, 0, sizeof(*f));
	f->env_from = c->env_from;
	f->headers = hs;
	f->n_headers = *n;
	f->subject = "";
	f->language = "da";
}

START_TEST(table)
{
	const struct hcase *c = &cases[_i];
	struct facts f;
	struct facts_header hs[MAXH + 1];
	size_t n;
	static const char *const own[] = { SUPPORT, "helpdesk@timemap.dk" };

	build(c, &f, hs, &n);
	const char *got = eligible_why_not_addrs(&f, own, NELEM(own));
	if (c->want == NULL)
		ck_assert_msg(got == NULL, "case %d (%s): expected eligible, got %s", _i, c->env_from, got);
	else
		ck_assert_msg(got != NULL && strcmp(got, c->want) == 0, "case %d (%s): expected %s, got %s",
		              _i, c->env_from, c->want, got != NULL ? got : "eligible");
}
END_TEST

/* At least 15 exclusion cases, and eligible ones: the table itself is
 * part of the contract (issue #6). */
START_TEST(table_size)
{
	size_t excl = 0, ok = 0;
	for (size_t i = 0; i < NELEM(cases); i++)
		if (cases[i].want != NULL)
			excl++;
		else
			ok++;
	ck_assert_uint_ge(excl, 15);
	ck_assert_uint_ge(ok, 5);
}
END_TEST

/* Our own addresses come from the config the session pinned. */
START_TEST(with_config)
{
	char *addrs[] = { (char *)"helpdesk@timemap.dk", (char *)SUPPORT };
	struct config cfg;
	memset(&cfg, 0, sizeof(cfg));
	cfg.support_address = addrs;
	cfg.n_support_address = 2;

	struct facts f;
	struct facts_header hs[MAXH + 1];
	size_t n;
	const struct hcase ok = { CUST, { { NULL } }, NULL };
	build(&ok, &f, hs, &n);
	ck_assert_ptr_null(eligible_why_not(&f, &cfg));
	f.env_from = "HelpDesk+x@timemap.dk";
	ck_assert_str_eq(eligible_why_not(&f, &cfg), "from-support");
	f.env_from = CUST;
	cfg.n_support_address = 0;   /* nobody is "us": the mail is not addressed to us */
	ck_assert_str_eq(eligible_why_not(&f, &cfg), "not-addressed");
}
END_TEST

static const struct {
	const char *addr;
	bool ok;
} safe[] = {
	{ "a@b.dk", true },
	{ "kunde.navn+tag@example.dk", true },
	{ "o'brien@example.ie", true },
	{ "x_y-z=1&2#3$4*5?6^7{8}9~0@sub-domain.example.co.uk", true },
	{ "A@EXAMPLE.DK", true },
	{ "", false },
	{ "@example.dk", false },
	{ "a@", false },
	{ "a", false },
	{ "a@b", false },              /* no dot: not a mail domain we answer */
	{ "a@@b.dk", false },
	{ "a@b@c.dk", false },
	{ "-oQ/tmp@x.dk", false },
	{ "-f@x.dk", false },
	{ ".a@x.dk", false },
	{ "a.@x.dk", false },
	{ "a..b@x.dk", false },
	{ "a b@x.dk", false },
	{ "\"a\"@x.dk", false },
	{ "<a@x.dk>", false },
	{ "a@x.dk>", false },
	{ "a@b>\r\nBcc: c@d", false },
	{ "a@x.dk\n", false },
	{ "a\t@x.dk", false },
	{ "a%b@x.dk", false },
	{ "a!b@x.dk", false },
	{ "a/b@x.dk", false },
	{ "|cmd@x.dk", false },
	{ "a\\b@x.dk", false },
	{ "a`id`@x.dk", false },
	{ "a@-x.dk", false },
	{ "a@x-.dk", false },
	{ "a@x..dk", false },
	{ "a@.x.dk", false },
	{ "a@x.dk.", false },
	{ "a@[127.0.0.1]", false },
	{ "a@x_y.dk", false },
	{ "\xc3\xa6@x.dk", false },
	{ "a@\xc3\xa6.dk", false },
	{ "a@xn--6ca.dk", true },
};

START_TEST(safe_address)
{
	ck_assert_msg(eligible_is_safe_address(safe[_i].addr) == safe[_i].ok, "\"%s\" should be %s",
	              safe[_i].addr, safe[_i].ok ? "safe" : "refused");
}
END_TEST

START_TEST(safe_address_lengths)
{
	char local[80], addr[400];
	memset(local, 'a', 64);
	local[64] = '\0';
	snprintf(addr, sizeof(addr), "%s@x.dk", local);
	ck_assert(eligible_is_safe_address(addr));
	memset(local, 'a', 65);
	local[65] = '\0';
	snprintf(addr, sizeof(addr), "%s@x.dk", local);
	ck_assert(!eligible_is_safe_address(addr));
	/* 254 bytes in all is the limit (RFC 5321 path minus the brackets) */
	char dom[300];
	size_t o = 0;
	while (o < 240) {
		memcpy(dom + o, "abcdefghi.", 10);
		o += 10;
	}
	memcpy(dom + o, "dk", 3);
	snprintf(addr, sizeof(addr), "ab@%s", dom);  /* 3 + 242 = 245 */
	ck_assert(eligible_is_safe_address(addr));
	snprintf(addr, sizeof(addr), "abcdefghijkl@%s", dom);  /* 255 */
	ck_assert(!eligible_is_safe_address(addr));
	ck_assert(!eligible_is_safe_address(NULL));
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("eligible");
	TCase *tc = tcase_create("core");
	tcase_add_loop_test(tc, table, 0, NELEM(cases));
	tcase_add_test(tc, table_size);
	tcase_add_test(tc, with_config);
	tcase_add_loop_test(tc, safe_address, 0, NELEM(safe));
	tcase_add_test(tc, safe_address_lengths);
	suite_add_tcase(s, tc);
	return s;
}

#include "check_main.h"
