/*
 * test_autoreply: composing the auto-reply.  Every composed message is
 * parsed back: each header line must be printable ASCII within 78
 * columns, the header set and values exact, the subject decoded again
 * by the project's RFC 2047 decoder, and the body decoded by a strict
 * quoted-printable decoder written here (lines <= 76) and compared with
 * the template's text.  Injection attempts (raw and encoded CR/LF, 8-bit
 * bytes, 5000-character subjects, bad Message-IDs, hostile envelope
 * senders) must yield clean headers or no reply.  Also: the encoders on
 * their own, template syntax errors as file:line, conditionals, opening
 * hours, and the --show-reply text.
 */
#include "autoconfig.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "autoreply.h"
#include "buf.h"
#include "diag.h"
#include "encode.h"
#include "facts.h"
#include "hours.h"
#include "rfc2047.h"
#include "tz.h"
#include "verdict.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define SUPPORT "support@timemap.dk"
#define CUST "kunde@example.dk"
#define REAL_TEMPLATES TOP_SRCDIR "/rules/templates"

/* ------------------------------------------------------------ helpers */

struct parsed {
	char *names[40];
	char *values[40];   /* unfolded: "\n " removed */
	size_t n;
	char *body;         /* QP-decoded */
	size_t max_qp_line;
};

static void parsed_free(struct parsed *p)
{
	for (size_t i = 0; i < p->n; i++) {
		free(p->names[i]);
		free(p->values[i]);
	}
	free(p->body);
	memset(p, 0, sizeof(*p));
}

static const char *hget(const struct parsed *p, const char *name)
{
	for (size_t i = 0; i < p->n; i++)
		if (strcasecmp(p->names[i], name) == 0)
			return p->values[i];
	return NULL;
}

static size_t hcount(const struct parsed *p, const char *name)
{
	size_t n = 0;
	for (size_t i = 0; i < p->n; i++)
		if (strcasecmp(p->names[i], name) == 0)
			n++;
	return n;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;  /* we emit upper case only */
}

/* Strict QP: "=XX" (upper-case hex) and "=\n" only; every line <= 76. */
static char *qp_decode_strict(const char *s, size_t *max_line)
{
	size_t len = strlen(s), o = 0, col = 0;
	char *out = malloc(len + 1);
	ck_assert_ptr_nonnull(out);
	*max_line = 0;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\n') {
			out[o++] = '\n';
			col = 0;
			continue;
		}
		if (++col > *max_line)
			*max_line = col;
		ck_assert_msg((unsigned char)s[i] >= 0x20 && (unsigned char)s[i] < 0x7f, "raw byte 0x%02x in QP body",
		              (unsigned char)s[i]);
		if (s[i] != '=') {
			out[o++] = s[i];
			continue;
		}
		if (s[i + 1] == '\n') {
			i++;
			col = 0;
			continue;
		}
		int a = hexval(s[i + 1]), b = a >= 0 ? hexval(s[i + 2]) : -1;
		ck_assert_msg(a >= 0 && b >= 0, "bad QP escape at %zu", i);
		out[o++] = (char)(a * 16 + b);
		i += 2;
		col += 2;
		if (col > *max_line)
			*max_line = col;
	}
	out[o] = '\0';
	return out;
}

/* Splits a composed message; asserts the header section is clean. */
static void parse(const char *msg, struct parsed *p)
{
	memset(p, 0, sizeof(*p));
	const char *s = msg;
	while (*s != '\n') {
		ck_assert_msg(*s != '\0', "no end of header");
		const char *e = strchr(s, '\n');
		ck_assert_ptr_nonnull(e);
		size_t n = (size_t)(e - s);
		ck_assert_msg(n <= 78, "header line longer than 78: %.*s", (int)n, s);
		for (size_t i = 0; i < n; i++)
			ck_assert_msg((unsigned char)s[i] >= 0x20 && (unsigned char)s[i] < 0x7f,
			              "byte 0x%02x in header line %.*s", (unsigned char)s[i], (int)n, s);
		if (s[0] == ' ' || s[0] == '\t') {
			ck_assert_msg(p->n > 0, "continuation without a field");
			size_t old = strlen(p->values[p->n - 1]);
			p->values[p->n - 1] = realloc(p->values[p->n - 1], old + n + 1);
			memcpy(p->values[p->n - 1] + old, s, n);
			p->values[p->n - 1][old + n] = '\0';
		} else {
			const char *colon = memchr(s, ':', n);
			ck_assert_msg(colon != NULL, "header line without colon: %.*s", (int)n, s);
			for (const char *c = s; c < colon; c++)
				ck_assert_msg((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') || *c == '-',
				              "odd field name %.*s", (int)(colon - s), s);
			ck_assert_uint_lt(p->n, NELEM(p->names));
			p->names[p->n] = strndup(s, (size_t)(colon - s));
			const char *v = colon + 1;
			if (*v == ' ')
				v++;
			p->values[p->n] = strndup(v, (size_t)(e - v));
			p->n++;
		}
		s = e + 1;
	}
	p->body = qp_decode_strict(s + 1, &p->max_qp_line);
}

/* Windows are built by hand: the test is about the words, not the
 * parser (hours.c has its own tests). */
#define DAY(d) (1u << (d))  /* 0 = Sunday, as tm_wday */

static struct hours_window win(unsigned days, unsigned start, unsigned end)
{
	struct hours_window w = { .days = (uint8_t)days, .start_min = (uint16_t)start, .end_min = (uint16_t)end };
	return w;
}

static void hours_weekdays(struct hours_spec *h)
{
	memset(h, 0, sizeof(*h));
	h->open[0] = win(DAY(1) | DAY(2) | DAY(3) | DAY(4) | DAY(5), 9 * 60, 15 * 60);
	h->n_open = 1;
}

/* The body with line breaks turned into blanks (for wrapped text). */
static char *flatten(const char *s)
{
	char *f = strdup(s);
	for (char *c = f; *c != '\0'; c++)
		if (*c == '\n')
			*c = ' ';
	return f;
}

struct fixture {
	struct facts f;
	struct facts_header hs[8];
	struct verdict v;
	struct autoreply_options o;
	struct hours_spec hours;
	struct autoreply_templates *t;
	struct buf msg;
	char rcpt[AUTOREPLY_RCPT_SIZE];
	struct parsed p;
};

static const struct verdict_item ITEM_USER = { "user", "Hvilken bruger du er logget på med",
                                               "Which user you are logged in as", true };
static const struct verdict_item ITEM_LOCATION = { "location", "Hvor i systemet det drejer sig om",
                                                   "Where in the system it is", true };
static const struct verdict_item ITEM_REASON = { "reason", "Hvad henvendelsen drejer sig om",
                                                 "What your request is about", true };
static const struct verdict_item ITEM_SCREENSHOT = { "screenshot", "Et skærmdump", "A screenshot", false };

static void fixture_init(struct fixture *x, const char *templates_dir)
{
	memset(x, 0, sizeof(*x));
	x->hs[0] = (struct facts_header){ "From", "Kunde <" CUST ">" };
	x->hs[1] = (struct facts_header){ "To", SUPPORT };
	x->hs[2] = (struct facts_header){ "Message-ID", "<orig.1@mail.example.dk>" };
	x->f.headers = x->hs;
	x->f.n_headers = 3;
	x->f.env_from = CUST;
	x->f.subject = "Vagtplan virker ikke";
	x->f.language = "da";
	x->f.body = "";
	x->f.own = "";
	x->v.rules_ran = true;
	x->v.autoreply_wanted = true;
	autoreply_options_init(&x->o);
	x->o.enabled = true;
	x->o.from_name = "Timegrip TM Support";
	hours_weekdays(&x->hours);
	x->o.hours = &x->hours;
	x->t = autoreply_templates_load(templates_dir, NULL);
	ck_assert_ptr_nonnull(x->t);
	x->o.templates = x->t;
	buf_init(&x->msg, AUTOREPLY_MAX_MESSAGE);
}

static void fixture_free(struct fixture *x)
{
	autoreply_templates_free(x->t);
	buf_free(&x->msg);
	parsed_free(&x->p);
}

static void add_missing(struct fixture *x, const struct verdict_item *it)
{
	x->v.missing[x->v.n_missing++] = *it;
}

static int compose(struct fixture *x)
{
	buf_reset(&x->msg);
	parsed_free(&x->p);
	int rc = autoreply_compose(&x->o, &x->f, &x->v, SUPPORT, &x->msg, x->rcpt, sizeof(x->rcpt));
	if (rc == 0)
		parse(buf_cstr(&x->msg), &x->p);
	return rc;
}

/* The "- " lines of the body, joined with '|'. */
static void bullets(const char *body, char *out, size_t outsz)
{
	out[0] = '\0';
	for (const char *s = body; *s != '\0';) {
		const char *e = strchr(s, '\n');
		size_t n = e != NULL ? (size_t)(e - s) : strlen(s);
		if (n > 2 && s[0] == '-' && s[1] == ' ') {
			if (out[0] != '\0')
				strncat(out, "|", outsz - strlen(out) - 1);
			strncat(out, s + 2, n - 2 < outsz - strlen(out) - 1 ? n - 2 : outsz - strlen(out) - 1);
		}
		s += n;
		if (*s == '\n')
			s++;
	}
}

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

/* A template directory with the given texts (en defaults to da). */
static const char *templates(const char *da, const char *en)
{
	if (tmpdir[0] == '\0') {
		strcpy(tmpdir, "/tmp/test_autoreply.XXXXXX");
		ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	}
	write_file(tmpdir, "reply.da.txt", da);
	write_file(tmpdir, "reply.en.txt", en != NULL ? en : da);
	return tmpdir;
}

static void templates_cleanup(void)
{
	char path[256];
	if (tmpdir[0] == '\0')
		return;
	snprintf(path, sizeof(path), "%s/reply.da.txt", tmpdir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/reply.en.txt", tmpdir);
	unlink(path);
	rmdir(tmpdir);
	tmpdir[0] = '\0';
}

/* ------------------------------------------------- the real templates */

START_TEST(danish_reply_headers_exact)
{
	struct fixture x;
	fixture_init(&x, REAL_TEMPLATES);
	add_missing(&x, &ITEM_USER);
	add_missing(&x, &ITEM_LOCATION);
	x.hs[3] = (struct facts_header){ "References", "<r1@example.dk> <r2@example.dk>" };
	x.f.n_headers = 4;
	ck_assert_int_eq(compose(&x), 0);
	ck_assert_str_eq(x.rcpt, CUST);

	static const char *const order[] = {
		"From", "To", "Subject", "Date", "Message-ID", "In-Reply-To", "References",
		"Auto-Submitted", "X-Auto-Response-Suppress", "Precedence", "MIME-Version",
		"Content-Type", "Content-Transfer-Encoding",
	};
	ck_assert_uint_eq(x.p.n, NELEM(order));
	for (size_t i = 0; i < NELEM(order); i++)
		ck_assert_str_eq(x.p.names[i], order[i]);
	ck_assert_str_eq(hget(&x.p, "From"), "Timegrip TM Support <" SUPPORT ">");
	ck_assert_str_eq(hget(&x.p, "To"), CUST);
	ck_assert_str_eq(hget(&x.p, "Subject"), "Re: Vagtplan virker ikke");
	ck_assert_str_eq(hget(&x.p, "In-Reply-To"), "<orig.1@mail.example.dk>");
	ck_assert_str_eq(hget(&x.p, "References"), "<r1@example.dk> <r2@example.dk> <orig.1@mail.example.dk>");
	ck_assert_str_eq(hget(&x.p, "Auto-Submitted"), "auto-replied");
	ck_assert_str_eq(hget(&x.p, "X-Auto-Response-Suppress"), "All");
	ck_assert_str_eq(hget(&x.p, "Precedence"), "bulk");
	ck_assert_str_eq(hget(&x.p, "MIME-Version"), "1.0");
	ck_assert_str_eq(hget(&x.p, "Content-Type"), "text/plain; charset=utf-8");
	ck_assert_str_eq(hget(&x.p, "Content-Transfer-Encoding"), "quoted-printable");

	/* Date: "Ddd, D Mon YYYY HH:MM:SS +0000" (no zone configured: UTC) */
	const char *date = hget(&x.p, "Date");
	char wd[8], mon[8], zone[8];
	int d, y, hh, mm, ss;
	ck_assert_int_eq(sscanf(date, "%3[A-Za-z], %d %3s %d %d:%d:%d %5s", wd, &d, mon, &y, &hh, &mm, &ss, zone), 8);
	ck_assert_uint_eq(strlen(wd), 3);
	ck_assert_ptr_nonnull(strstr("SunMonTueWedThuFriSat", wd));
	ck_assert_ptr_nonnull(strstr("JanFebMarAprMayJunJulAugSepOctNovDec", mon));
	ck_assert_int_ge(y, 2024);
	ck_assert_str_eq(zone, "+0000");

	/* Message-ID: fresh, random, in the support domain */
	const char *mid = hget(&x.p, "Message-ID");
	size_t ml = strlen(mid);
	ck_assert(mid[0] == '<' && mid[ml - 1] == '>');
	ck_assert_str_eq(mid + ml - strlen("@timemap.dk>"), "@timemap.dk>");
	char first[300];
	snprintf(first, sizeof(first), "%s", mid);
	ck_assert_int_eq(compose(&x), 0);
	ck_assert_str_ne(hget(&x.p, "Message-ID"), first);

	char b[1024];
	bullets(x.p.body, b, sizeof(b));
	ck_assert_str_eq(b, "Hvilken bruger du er logget på med|Hvor i systemet det drejer sig om");
	ck_assert_ptr_nonnull(strstr(x.p.body, "Hej\n"));
	ck_assert_ptr_nonnull(strstr(x.p.body, "mangler vi disse oplysninger"));
	ck_assert_ptr_nonnull(strstr(x.p.body, "mandag–fredag kl. 09.00–15.00"));
	ck_assert_ptr_null(strstr(x.p.body, "{{"));
	ck_assert_ptr_null(strstr(x.p.body, "#"));
	ck_assert_uint_le(x.p.max_qp_line, 76);
	fixture_free(&x);
}
END_TEST

START_TEST(english_reply)
{
	struct fixture x;
	fixture_init(&x, REAL_TEMPLATES);
	x.f.language = "en";
	x.f.subject = "Payroll export fails";
	add_missing(&x, &ITEM_REASON);
	add_missing(&x, &ITEM_USER);
	add_missing(&x, &ITEM_SCREENSHOT);
	ck_assert_int_eq(compose(&x), 0);
	ck_assert_str_eq(hget(&x.p, "Subject"), "Re: Payroll export fails");
	char b[1024];
	bullets(x.p.body, b, sizeof(b));
	ck_assert_str_eq(b, "What your request is about|Which user you are logged in as|"
	                    "A screenshot (very much preferred)");
	ck_assert_ptr_nonnull(strstr(x.p.body, "Hello\n"));
	ck_assert_ptr_nonnull(strstr(x.p.body, "Monday–Friday 09:00–15:00"));
	ck_assert_ptr_null(strstr(x.p.body, "Hej"));
	fixture_free(&x);
}
END_TEST

/* Items come out exactly as given, in the verdict's order, required
 * before recommended; nothing else is a bullet. */
START_TEST(missing_exact_order)
{
	static const struct verdict_item *const sets[][4] = {
		{ &ITEM_LOCATION, &ITEM_USER, NULL },
		{ &ITEM_USER, &ITEM_LOCATION, NULL },
		{ &ITEM_SCREENSHOT, &ITEM_REASON, NULL },
		{ &ITEM_REASON, NULL },
	};
	static const char *const want[] = {
		"Hvor i systemet det drejer sig om|Hvilken bruger du er logget på med",
		"Hvilken bruger du er logget på med|Hvor i systemet det drejer sig om",
		"Hvad henvendelsen drejer sig om|Et skærmdump (meget gerne)",
		"Hvad henvendelsen drejer sig om",
	};
	for (size_t k = 0; k < NELEM(sets); k++) {
		struct fixture x;
		fixture_init(&x, REAL_TEMPLATES);
		for (size_t i = 0; sets[k][i] != NULL; i++)
			add_missing(&x, sets[k][i]);
		ck_assert_int_eq(compose(&x), 0);
		char b[1024];
		bullets(x.p.body, b, sizeof(b));
		ck_assert_str_eq(b, want[k]);
		fixture_free(&x);
	}
}
END_TEST

/* A callback request with nothing missing: the category's text (with
 * {{hours}} inside it) and no list. */
START_TEST(categories_only)
{
	struct fixture x;
	fixture_init(&x, REAL_TEMPLATES);
	x.v.categories[0] = (struct verdict_category){
		"callback", false,
		"Vi ringer desværre ikke op, men besvarer din henvendelse her på e-mail. Telefonen er åben {{hours}}.",
		"We do not call back; we answer by e-mail. The phone is open {{hours}}." };
	x.v.n_categories = 1;
	ck_assert_int_eq(compose(&x), 0);
	ck_assert_ptr_nonnull(strstr(x.p.body, "Vi ringer desværre ikke op"));
	char *flat = flatten(x.p.body);
	ck_assert_ptr_nonnull(strstr(flat, "Telefonen er åben mandag–fredag kl. 09.00–15.00."));
	free(flat);
	ck_assert_ptr_null(strstr(x.p.body, "mangler vi"));
	char b[64];
	bullets(x.p.body, b, sizeof(b));
	ck_assert_str_eq(b, "");
	/* wrapped at 72 characters */
	for (const char *s = x.p.body; *s != '\0';) {
		const char *e = strchr(s, '\n');
		size_t chars = 0;
		for (const char *c = s; c < (e != NULL ? e : s + strlen(s)); c++)
			if (((unsigned char)*c & 0xc0) != 0x80)
				chars++;
		ck_assert_uint_le(chars, 72);
		s = e != NULL ? e + 1 : s + strlen(s);
	}
	fixture_free(&x);
}
END_TEST

/* ------------------------------------------------ template text, exact */

START_TEST(template_body_exact)
{
	const char *dir = templates("# comment line, dropped\n"
	                            "Hej {{subject}}\n"
	                            "\n"
	                            "{{if missing}}\n"
	                            "Mangler:\n"
	                            "{{missing}}\n"
	                            "{{end}}\n"
	                            "{{if !missing}}\n"
	                            "Intet mangler.\n"
	                            "{{end}}\n"
	                            "\n\n\n"
	                            "{{categories}}\n"
	                            "{{if open}}\n"
	                            "Vi har åbent nu.\n"
	                            "{{end}}\n"
	                            "{{if callback}}\n"
	                            "Ring ikke.\n"
	                            "{{end}}\n"
	                            "{{if out-of-scope}}\n"
	                            "Uden for.\n"
	                            "{{end}}\n"
	                            "Tider: {{hours}}\n"
	                            "From here . and = and trailing blank \n"
	                            ".\n",
	                            NULL);
	struct fixture x;
	fixture_init(&x, dir);
	add_missing(&x, &ITEM_USER);
	add_missing(&x, &ITEM_SCREENSHOT);
	ck_assert_int_eq(compose(&x), 0);
	ck_assert_str_eq(x.p.body, "Hej Vagtplan virker ikke\n"
	                           "\n"
	                           "Mangler:\n"
	                           "- Hvilken bruger du er logget på med\n"
	                           "- Et skærmdump (meget gerne)\n"
	                           "\n"
	                           "Tider: mandag–fredag kl. 09.00–15.00\n"
	                           "From here . and = and trailing blank\n"
	                           ".\n");
	/* the raw QP: leading "From " and "." are encoded, '=' too */
	const char *raw = strstr(buf_cstr(&x.msg), "\n\n") + 2;
	ck_assert_ptr_nonnull(strstr(raw, "\n=46rom here . and =3D and"));
	ck_assert_ptr_nonnull(strstr(raw, "\n=2E\n"));

	x.v.n_missing = 0;
	x.f.hours.open = true;
	x.v.out_of_scope = true;
	x.v.categories[0] = (struct verdict_category){ "callback", false, "Kategori-tekst.", "Category text." };
	x.v.n_categories = 1;
	ck_assert_int_eq(compose(&x), 0);
	ck_assert_str_eq(x.p.body, "Hej Vagtplan virker ikke\n"
	                           "\n"
	                           "Intet mangler.\n"
	                           "\n"
	                           "Kategori-tekst.\n"
	                           "Vi har åbent nu.\n"
	                           "Ring ikke.\n"
	                           "Uden for.\n"
	                           "Tider: mandag–fredag kl. 09.00–15.00\n"
	                           "From here . and = and trailing blank\n"
	                           ".\n");
	fixture_free(&x);
	templates_cleanup();
}
END_TEST

/* With the support's zone the Date is local time with its offset, and
 * denotes now. */
START_TEST(date_in_support_zone)
{
	char err[200];
	struct tz *tz = tz_load("Europe/Copenhagen", err, sizeof(err));
	ck_assert_msg(tz != NULL, "%s", err);
	struct fixture x;
	fixture_init(&x, REAL_TEMPLATES);
	x.hours.tz = tz;
	add_missing(&x, &ITEM_USER);
	ck_assert_int_eq(compose(&x), 0);
	const char *date = hget(&x.p, "Date");
	char wd[8], mon[8], zone[8];
	int d, y, hh, mm, ss;
	ck_assert_int_eq(sscanf(date, "%3[A-Za-z], %d %3s %d %d:%d:%d %5s", wd, &d, mon, &y, &hh, &mm, &ss, zone), 8);
	ck_assert_msg(strcmp(zone, "+0100") == 0 || strcmp(zone, "+0200") == 0, "zone %s", zone);
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	struct tm tm = { .tm_year = y - 1900, .tm_mon = (int)((strstr(months, mon) - months) / 3), .tm_mday = d,
	                 .tm_hour = hh, .tm_min = mm, .tm_sec = ss };
	long off = (zone[1] - '0') * 36000L + (zone[2] - '0') * 3600L + (zone[3] - '0') * 600L + (zone[4] - '0') * 60L;
	time_t t = timegm(&tm) - off;
	long diff = (long)(t - time(NULL));
	ck_assert_msg(diff > -10 && diff < 10, "Date %s is %ld s off", date, diff);
	fixture_free(&x);
	tz_free(tz);
}
END_TEST

/* ------------------------------------------------------ the subject */

static const struct {
	const char *subject;      /* as the facts hold it (decoded) */
	const char *want;         /* the reply's Subject, decoded again */
} subjects[] = {
	{ "Vagtplan", "Re: Vagtplan" },
	{ "Re: Vagtplan", "Re: Vagtplan" },
	{ "RE: SV: Aw: re : Vagtplan", "Re: Vagtplan" },
	{ "Re[3]: Vagtplan", "Re: Vagtplan" },
	{ "Antw: Vagtplan", "Re: Vagtplan" },
	{ "Fwd: Vagtplan", "Re: Fwd: Vagtplan" },
	{ "Regnskab", "Re: Regnskab" },
	{ "", "Re: Din henvendelse til support" },
	{ "Re:", "Re: Din henvendelse til support" },
	{ "a\r\nBcc: victim@example.com", "Re: a Bcc: victim@example.com" },
	{ "a\nTo: x@y.dk\n\nbody", "Re: a To: x@y.dk body" },
	{ "tab\there", "Re: tab here" },
	{ "Fejl i lønkørsel for Søren Ærø", "Re: Fejl i lønkørsel for Søren Ærø" },
	{ "\xff\xfe" "abc \xc3", "Re: abc" },
	{ "\xe2\x80\xae" "evil override", "Re: evil override" },
	{ "=?utf-8?Q?a=0D=0ABcc:_x?=", "Re: =?utf-8?Q?a=0D=0ABcc:_x?=" },
	{ "日本語の件名", "Re: 日本語の件名" },
	{ "Emoji 😀 ok", "Re: Emoji 😀 ok" },
	{ "a                      b", "Re: a b" },
};

START_TEST(subject_table)
{
	struct fixture x;
	fixture_init(&x, REAL_TEMPLATES);
	x.f.subject = subjects[_i].subject;
	add_missing(&x, &ITEM_USER);
	ck_assert_int_eq(compose(&x), 0);
	ck_assert_uint_eq(hcount(&x.p, "Subject"), 1);
	ck_assert_uint_eq(hcount(&x.p, "Bcc"), 0);
	ck_assert_uint_eq(hcount(&x.p, "To"), 1);
	const char *raw = hget(&x.p, "Subject");
	char *dec = rfc2047_decode(raw, strlen(raw));
	ck_assert_str_eq(dec, subjects[_i].want);
	free(dec);
	fixture_free(&x);
}
END_TEST

/* The subject as the session would decode it from an encoded word that
 * hides CR/LF: the reply still has one clean Subject line. */
START_TEST(subject_encoded_crlf)
{
	static const char *const raw_subjects[] = {
		"=?utf-8?Q?a=0D=0ABcc:_x@y.dk?=",
		"=?utf-8?B?YQ0KQmNjOiB4QHkuZGs=?=",
		"=?iso-8859-1?Q?caf=E9=0A=0AX-Evil:_1?=",
	};
	for (size_t i = 0; i < NELEM(raw_subjects); i++) {
		/* rfc2047.c already turns decoded controls into blanks; the
		 * subject_table rows with raw CR/LF cover a decoder that would
		 * not. */
		char *decoded = rfc2047_decode(raw_subjects[i], strlen(raw_subjects[i]));
		struct fixture x;
		fixture_init(&x, REAL_TEMPLATES);
		x.f.subject = decoded;
		add_missing(&x, &ITEM_USER);
		ck_assert_int_eq(compose(&x), 0);
		ck_assert_uint_eq(hcount(&x.p, "Bcc"), 0);
		ck_assert_uint_eq(hcount(&x.p, "X-Evil"), 0);
		const char *s = hget(&x.p, "Subject");
		char *again = rfc2047_decode(s, strlen(s));
		ck_assert_ptr_null(strpbrk(again, "\r\n"));
		ck_assert_ptr_nonnull(strstr(again, i == 2 ? "X-Evil: 1" : "Bcc: x@y.dk"));  /* kept as text */
		free(again);
		fixture_free(&x);
		free(decoded);
	}
}
END_TEST

START_TEST(subject_long)
{
	/* 5000 ASCII characters, 5000 two-byte characters, one 5000-byte word */
	char *s = malloc(10001);
	for (int kind = 0; kind < 3; kind++) {
		size_t o = 0;
		for (int i = 0; i < 5000; i++) {
			if (kind == 0) {
				s[o++] = i % 7 == 6 ? ' ' : (char)('a' + i % 26);
			} else if (kind == 1) {
				s[o++] = '\xc3';
				s[o++] = '\xa6';  /* æ */
			} else {
				s[o++] = 'x';
			}
		}
		s[o] = '\0';
		struct fixture x;
		fixture_init(&x, REAL_TEMPLATES);
		x.f.subject = s;
		add_missing(&x, &ITEM_USER);
		ck_assert_int_eq(compose(&x), 0);
		const char *raw = hget(&x.p, "Subject");
		char *dec = rfc2047_decode(raw, strlen(raw));
		size_t chars = 0;
		for (const char *c = dec; *c != '\0'; c++)
			if (((unsigned char)*c & 0xc0) != 0x80)
				chars++;
		ck_assert_uint_le(chars, 4 + AUTOREPLY_SUBJECT_CHARS + 3);
		ck_assert_uint_ge(chars, 4 + AUTOREPLY_SUBJECT_CHARS - 7);
		ck_assert_str_eq(dec + strlen(dec) - 3, "...");
		ck_assert_int_eq(strncmp(dec, "Re: ", 4), 0);
		ck_assert_int_eq(strncmp(dec + 4, s, 20), 0);
		free(dec);
		fixture_free(&x);
	}
	free(s);
}
END_TEST

/* ------------------------------------------------------ Message-IDs */

static const struct {
	const char *message_id;
	const char *references;
	const char *want_irt;    /* NULL: no In-Reply-To / References */
	const char *want_refs;
} msgids[] = {
	{ "<a@b.dk>", NULL, "<a@b.dk>", "<a@b.dk>" },
	{ "  <a.b+c@d.example>  ", NULL, "<a.b+c@d.example>", "<a.b+c@d.example>" },
	{ "<a@b.dk>", "<r@x.dk>", "<a@b.dk>", "<r@x.dk> <a@b.dk>" },
	{ "<a@b.dk>", "<r@x.dk> junk <bad id@x> <s@x.dk>\r\nBcc: e@f.dk <t@x.dk>", "<a@b.dk>",
	  "<r@x.dk> <s@x.dk> <t@x.dk> <a@b.dk>" },
	{ "<a@b.dk>", "<a@b.dk>", "<a@b.dk>", "<a@b.dk>" },
	{ "a@b.dk", NULL, NULL, NULL },
	{ "<a b@c.dk>", NULL, NULL, NULL },
	{ "<a@b.dk> <c@d.dk>", NULL, NULL, NULL },
	{ "<a@b.dk>\r\nBcc: x@y.dk", NULL, NULL, NULL },
	{ "<a@b.dk>\nBcc: x@y.dk", NULL, NULL, NULL },
	{ "<\"q\"@b.dk>", NULL, NULL, NULL },
	{ "<a@[1.2.3.4]>", NULL, NULL, NULL },
	{ "<@b.dk>", NULL, NULL, NULL },
	{ "<a@>", NULL, NULL, NULL },
	{ "<a..b@c.dk>", NULL, NULL, NULL },
	{ "<\xc3\xa6@b.dk>", NULL, NULL, NULL },
	{ "", NULL, NULL, NULL },
};

START_TEST(message_id_table)
{
	struct fixture x;
	fixture_init(&x, REAL_TEMPLATES);
	x.hs[2].value = msgids[_i].message_id;
	if (msgids[_i].references != NULL) {
		x.hs[3] = (struct facts_header){ "References", msgids[_i].references };
		x.f.n_headers = 4;
	}
	add_missing(&x, &ITEM_USER);
	ck_assert_int_eq(compose(&x), 0);
	ck_assert_uint_eq(hcount(&x.p, "Bcc"), 0);
	if (msgids[_i].want_irt == NULL) {
		ck_assert_ptr_null(hget(&x.p, "In-Reply-To"));
		ck_assert_ptr_null(hget(&x.p, "References"));
	} else {
		ck_assert_str_eq(hget(&x.p, "In-Reply-To"), msgids[_i].want_irt);
		ck_assert_str_eq(hget(&x.p, "References"), msgids[_i].want_refs);
	}
	fixture_free(&x);
}
END_TEST

START_TEST(references_bounded)
{
	struct buf refs;
	buf_init(&refs, 100000);
	for (int i = 0; i < 200; i++)
		buf_printf(&refs, "<ref%d.abcdefghijklmnop@lists.example.org> ", i);
	struct fixture x;
	fixture_init(&x, REAL_TEMPLATES);
	x.hs[3] = (struct facts_header){ "References", buf_cstr(&refs) };
	x.f.n_headers = 4;
	add_missing(&x, &ITEM_USER);
	ck_assert_int_eq(compose(&x), 0);
	const char *r = hget(&x.p, "References");
	size_t n = 0;
	for (const char *c = r; *c != '\0'; c++)
		if (*c == '<')
			n++;
	ck_assert_uint_eq(n, AUTOREPLY_MAX_REFERENCES);
	ck_assert_int_eq(strncmp(r, "<ref0.", 6), 0);  /* the thread's root is kept */
	ck_assert_ptr_nonnull(strstr(r, "<ref199.abcdefghijklmnop@lists.example.org> <orig.1@mail.example.dk>"));
	ck_assert_ptr_null(strstr(r, "<ref1."));
	fixture_free(&x);
	buf_free(&refs);
}
END_TEST

/* In-Reply-To of the original starts the chain when it has no References. */
START_TEST(references_from_in_reply_to)
{
	struct fixture x;
	fixture_init(&x, REAL_TEMPLATES);
	x.hs[3] = (struct facts_header){ "In-Reply-To", "<parent@x.dk>" };
	x.f.n_headers = 4;
	add_missing(&x, &ITEM_USER);
	ck_assert_int_eq(compose(&x), 0);
	ck_assert_str_eq(hget(&x.p, "References"), "<parent@x.dk> <orig.1@mail.example.dk>");
	fixture_free(&x);
}
END_TEST

/* --------------------------------------------------- hostile senders */

static const char *const hostile[] = {
	"a@b>\r\nBcc: c@d.dk",
	"-oQ/tmp@x.dk",
	"-oQ/tmp",
	"\"a\\\"b\"@x.dk",
	"a b@x.dk",
	"a@x.dk\n",
	"<a@x.dk>",
	"",
	"a@b",
	"|/bin/sh -c x@x.dk",
	"a@x.dk,b@y.dk",
	"a@x.dk -X/tmp/log",
};

START_TEST(hostile_sender)
{
	struct fixture x;
	fixture_init(&x, REAL_TEMPLATES);
	x.f.env_from = hostile[_i];
	add_missing(&x, &ITEM_USER);
	ck_assert_int_eq(compose(&x), -1);
	ck_assert_str_eq(autoreply_error(), "the sender is not a plain address");

	/* --show-reply says why */
	char *text = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&text, &len);
	ck_assert_int_eq(autoreply_show(fp, &x.o, &x.f, &x.v, NULL, SUPPORT), -1);
	fclose(fp);
	ck_assert_str_eq(text, "auto-reply: none (cannot compose: the sender is not a plain address)\n");
	free(text);
	fixture_free(&x);
}
END_TEST

START_TEST(support_address_checked)
{
	struct fixture x;
	fixture_init(&x, REAL_TEMPLATES);
	add_missing(&x, &ITEM_USER);
	ck_assert_int_eq(autoreply_compose(&x.o, &x.f, &x.v, "support@timemap.dk>\nBcc: x@y.dk", &x.msg,
	                                   x.rcpt, sizeof(x.rcpt)), -1);
	buf_reset(&x.msg);
	ck_assert_int_eq(autoreply_compose(&x.o, &x.f, &x.v, NULL, &x.msg, x.rcpt, sizeof(x.rcpt)), -1);
	char small[8];
	buf_reset(&x.msg);
	ck_assert_int_eq(autoreply_compose(&x.o, &x.f, &x.v, SUPPORT, &x.msg, small, sizeof(small)), -1);
	fixture_free(&x);
}
END_TEST

/* ------------------------------------------------------ display name */

static const struct {
	const char *name;
	const char *want_raw;    /* NULL: only check the decoded form */
	const char *want_decoded;
} names[] = {
	{ "", SUPPORT, SUPPORT },
	{ "Timegrip TM Support", "Timegrip TM Support <" SUPPORT ">", NULL },
	{ "Support, Timegrip", "\"Support, Timegrip\" <" SUPPORT ">", NULL },
	{ "Say \"hi\" \\ bye", "\"Say \\\"hi\\\" \\\\ bye\" <" SUPPORT ">", NULL },
	{ "Timegrip Støtte", NULL, "Timegrip Støtte <" SUPPORT ">" },
	{ "Evil\r\nBcc: x@y.dk", "\"Evil Bcc: x@y.dk\" <" SUPPORT ">", NULL },
	{ "=?utf-8?Q?x?=", "\"=?utf-8?Q?x?=\" <" SUPPORT ">", NULL },
};

START_TEST(display_name)
{
	struct fixture x;
	fixture_init(&x, REAL_TEMPLATES);
	x.o.from_name = names[_i].name;
	add_missing(&x, &ITEM_USER);
	ck_assert_int_eq(compose(&x), 0);
	const char *from = hget(&x.p, "From");
	if (names[_i].want_raw != NULL)
		ck_assert_str_eq(from, names[_i].want_raw);
	if (names[_i].want_decoded != NULL) {
		char *dec = rfc2047_decode(from, strlen(from));
		ck_assert_str_eq(dec, names[_i].want_decoded);
		free(dec);
	}
	ck_assert_uint_eq(hcount(&x.p, "Bcc"), 0);
	fixture_free(&x);
}
END_TEST

/* ---------------------------------------------------------- encoders */

static const struct {
	const char *in;
	const char *want;
} qp[] = {
	{ "abc\n", "abc\n" },
	{ "a=b\n", "a=3Db\n" },
	{ "trailing \n", "trailing=20\n" },
	{ "tab\t\n", "tab=09\n" },
	{ "mid dle\n", "mid dle\n" },
	{ "æ\n", "=C3=A6\n" },
	{ ".\n", "=2E\n" },
	{ "From me\n", "=46rom me\n" },
	{ "a\r\nb\n", "a\nb\n" },
	{ "no newline", "no newline" },
	{ "x From y\n", "x From y\n" },
	{ "", "" },
};

START_TEST(qp_table)
{
	struct buf b;
	buf_init(&b, 4096);
	ck_assert_int_eq(encode_qp(qp[_i].in, strlen(qp[_i].in), &b), 0);
	ck_assert_str_eq(buf_cstr(&b), qp[_i].want);
	buf_free(&b);
}
END_TEST

/* Long lines of every kind: lines <= 76, strict decoding gives the input
 * back (CRs aside), soft breaks never split an escape. */
START_TEST(qp_round_trip)
{
	static const char *const units[] = { "a", " ", "=", "æ", "😀", ".", "\t", "From ", "x" };
	char in[4000];
	for (unsigned seed = 1; seed < 200; seed++) {
		size_t o = 0;
		unsigned r = seed;
		while (o < sizeof(in) - 16) {
			r = r * 1103515245u + 12345u;
			const char *u = units[(r >> 16) % NELEM(units)];
			if ((r >> 8) % 97 == 0) {
				in[o++] = '\n';
				continue;
			}
			memcpy(in + o, u, strlen(u));
			o += strlen(u);
		}
		in[o] = '\0';
		struct buf b;
		buf_init(&b, 64000);
		ck_assert_int_eq(encode_qp(in, o, &b), 0);
		size_t max;
		char *dec = qp_decode_strict(buf_cstr(&b), &max);
		ck_assert_uint_le(max, 76);
		ck_assert_str_eq(dec, in);
		free(dec);
		buf_free(&b);
	}
}
END_TEST

START_TEST(qp_limit)
{
	struct buf b;
	buf_init(&b, 10);
	ck_assert_int_eq(encode_qp("æææææææææææ", strlen("æææææææææææ"), &b), -1);
	buf_free(&b);
}
END_TEST

/* encode_utf8_put is encode_utf8_char's inverse for every scalar value,
 * and writes the shortest form (which encode_utf8_char insists on). */
START_TEST(utf8_put_round_trip)
{
	for (unsigned cp = 0; cp <= 0x10ffff; cp++) {
		if (cp >= 0xd800 && cp <= 0xdfff)
			continue;
		char o[4];
		size_t len = encode_utf8_put(cp, o);
		size_t want = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
		unsigned back = ~0u;
		ck_assert_msg(len == want && encode_utf8_char((const unsigned char *)o, len, &back) == len &&
		                      back == cp,
		              "U+%04X: length %zu, read back U+%04X", cp, len, back);
	}
}
END_TEST

START_TEST(sanitize_utf8)
{
	char out[64];
	const char *in = "  a\x01\x7f" "b\xc2\x85" "c  ";
	ck_assert_uint_eq(encode_sanitize_utf8(in, strlen(in), 100, out, sizeof(out)), 5);
	ck_assert_str_eq(out, "a b c");
	encode_sanitize_utf8("abcdefghij", 10, 5, out, sizeof(out));
	ck_assert_str_eq(out, "abcde...");
	encode_sanitize_utf8("æøåæøå", strlen("æøåæøå"), 4, out, sizeof(out));
	ck_assert_str_eq(out, "æøåæ...");
	/* the byte limit cuts at a character boundary too */
	encode_sanitize_utf8("æøåæøåæøå", strlen("æøåæøåæøå"), 100, out, 10);
	ck_assert_str_eq(out, "æøå...");
	encode_sanitize_utf8("\xed\xa0\x80" "ok\xc0\xaf", 7, 100, out, sizeof(out));  /* surrogate, overlong */
	ck_assert_str_eq(out, "ok");
}
END_TEST

/* ------------------------------------------------------- templates */

static void collect(struct diag *d, const char *line)
{
	struct buf *b = d->ctx;
	buf_printf(b, "%s\n", line);
}

static const struct {
	const char *text;
	const char *want;  /* substring of the diag output, "" = loads */
} bad_templates[] = {
	{ "Hej {{missing}}\n", "" },
	{ "Hej {{nope}}\n", "reply.da.txt:1: unknown placeholder \"nope\"" },
	{ "a\nb {{missing\n", "reply.da.txt:2: unterminated {{" },
	{ "{{if missing}}\nx\n", "{{if}} without {{end}} at end of file" },
	{ "x\n{{end}}\n", "reply.da.txt:2: {{end}} without {{if}}" },
	{ "{{if sunny}}\n{{end}}\n", "reply.da.txt:1: unknown condition \"sunny\"" },
	{ "{{if !}}\n{{end}}\n", "unknown condition" },
	{ "{{if a}}{{if b}}\n", "unknown condition" },
	{ "{{if missing}}\n{{if open}}\n{{if callback}}\n{{if categories}}\n{{if recommended}}\n"
	  "{{if out-of-scope}}\n{{if !open}}\n{{if !missing}}\n{{if open}}\nx\n",
	  "reply.da.txt:9: {{if}} nested too deep" },
	{ "bad \xff byte\n", "reply.da.txt:1: not UTF-8 text" },
	{ "# {{nonsense}} in a comment is fine\n", "" },
};

START_TEST(template_errors)
{
	const char *dir = templates(bad_templates[_i].text, "ok\n");
	struct buf out;
	buf_init(&out, 8192);
	struct diag d = { .emit = collect, .ctx = &out };
	struct autoreply_templates *t = autoreply_templates_load(dir, &d);
	if (bad_templates[_i].want[0] == '\0') {
		ck_assert_ptr_nonnull(t);
		ck_assert_uint_eq(d.errors, 0);
	} else {
		ck_assert_ptr_null(t);
		ck_assert_msg(strstr(buf_cstr(&out), bad_templates[_i].want) != NULL, "got: %s", buf_cstr(&out));
		ck_assert_ptr_nonnull(strstr(buf_cstr(&out), dir));
	}
	autoreply_templates_free(t);
	buf_free(&out);
	templates_cleanup();
}
END_TEST

START_TEST(template_missing_file_and_size)
{
	struct buf out;
	buf_init(&out, 8192);
	struct diag d = { .emit = collect, .ctx = &out };
	ck_assert_ptr_null(autoreply_templates_load("/nonexistent/templates", &d));
	ck_assert_ptr_nonnull(strstr(buf_cstr(&out), "/nonexistent/templates/reply.da.txt: cannot open"));
	ck_assert_ptr_nonnull(strstr(buf_cstr(&out), "/nonexistent/templates/reply.en.txt: cannot open"));
	buf_free(&out);

	char *big = malloc(AUTOREPLY_MAX_TEMPLATE + 10);
	memset(big, 'x', AUTOREPLY_MAX_TEMPLATE + 9);
	big[AUTOREPLY_MAX_TEMPLATE + 9] = '\0';
	const char *dir = templates(big, NULL);
	buf_init(&out, 8192);
	ck_assert_ptr_null(autoreply_templates_load(dir, &d));
	ck_assert_ptr_nonnull(strstr(buf_cstr(&out), "larger than"));
	buf_free(&out);
	free(big);
	templates_cleanup();
}
END_TEST

/* Without preloaded templates, the directory is read per reply. */
START_TEST(templates_from_dir)
{
	struct fixture x;
	fixture_init(&x, REAL_TEMPLATES);
	x.o.templates = NULL;
	x.o.templates_dir = REAL_TEMPLATES;
	add_missing(&x, &ITEM_USER);
	ck_assert_int_eq(compose(&x), 0);
	x.o.templates_dir = "/nonexistent";
	buf_reset(&x.msg);
	ck_assert_int_eq(autoreply_compose(&x.o, &x.f, &x.v, SUPPORT, &x.msg, x.rcpt, sizeof(x.rcpt)), -1);
	fixture_free(&x);
}
END_TEST

/* Several windows, single days, pairs, and both languages. */
START_TEST(hours_text)
{
	const char *dir = templates("{{hours}}\n", NULL);
	struct fixture x;
	fixture_init(&x, dir);
	x.hours.open[0] = win(DAY(1) | DAY(2) | DAY(3) | DAY(4), 8 * 60 + 30, 16 * 60);
	x.hours.open[1] = win(DAY(5), 8 * 60 + 30, 14 * 60);
	x.hours.open[2] = win(DAY(6) | DAY(0), 10 * 60, 12 * 60);
	x.hours.n_open = 3;
	ck_assert_int_eq(compose(&x), 0);
	ck_assert_str_eq(x.p.body, "mandag–torsdag kl. 08.30–16.00, fredag kl. 08.30–14.00, "
	                           "lørdag og søndag kl. 10.00–12.00\n");
	x.f.language = "en";
	ck_assert_int_eq(compose(&x), 0);
	ck_assert_str_eq(x.p.body, "Monday–Thursday 08:30–16:00, Friday 08:30–14:00, "
	                           "Saturday and Sunday 10:00–12:00\n");
	x.o.hours = NULL;  /* no hours: the line disappears */
	ck_assert_int_eq(compose(&x), 0);
	ck_assert_str_eq(x.p.body, "");
	fixture_free(&x);
	templates_cleanup();
}
END_TEST

/* A template that would make the reply exceed the limit gives no reply. */
START_TEST(reply_too_large)
{
	struct buf t;
	buf_init(&t, AUTOREPLY_MAX_TEMPLATE);
	while (t.len + 20 < AUTOREPLY_MAX_TEMPLATE)
		buf_printf(&t, "{{categories}}\n");
	const char *dir = templates(buf_cstr(&t), NULL);
	buf_free(&t);
	struct fixture x;
	fixture_init(&x, dir);
	static char longtext[4096];
	memset(longtext, 'a', sizeof(longtext) - 1);
	x.v.categories[0] = (struct verdict_category){ "unrelated", true, longtext, longtext };
	x.v.n_categories = 1;
	ck_assert_int_eq(compose(&x), -1);
	fixture_free(&x);
	templates_cleanup();
}
END_TEST

/* ------------------------------------------------------- show-reply */

START_TEST(show_reply)
{
	struct fixture x;
	fixture_init(&x, REAL_TEMPLATES);
	add_missing(&x, &ITEM_USER);
	add_missing(&x, &ITEM_LOCATION);
	char *text = NULL;
	size_t len = 0;
	FILE *fp;

	fp = open_memstream(&text, &len);
	ck_assert_int_eq(autoreply_show(fp, &x.o, &x.f, &x.v, NULL, SUPPORT), 0);
	fclose(fp);
	const char *head = "auto-reply: to=" CUST " language=da missing=user,location categories=\n\nFrom: ";
	ck_assert_int_eq(strncmp(text, head, strlen(head)), 0);
	ck_assert_ptr_nonnull(strstr(text, "\nAuto-Submitted: auto-replied\n"));
	free(text);

	fp = open_memstream(&text, &len);
	ck_assert_int_eq(autoreply_show(fp, &x.o, &x.f, &x.v, "list", SUPPORT), 1);
	fclose(fp);
	ck_assert_str_eq(text, "auto-reply: none (not eligible: list)\n");
	free(text);

	x.v.autoreply_wanted = false;
	fp = open_memstream(&text, &len);
	ck_assert_int_eq(autoreply_show(fp, &x.o, &x.f, &x.v, NULL, SUPPORT), 1);
	fclose(fp);
	ck_assert_str_eq(text, "auto-reply: none (the rules do not ask for one)\n");
	free(text);

	fp = open_memstream(&text, &len);
	ck_assert_int_eq(autoreply_show(fp, &x.o, &x.f, NULL, NULL, SUPPORT), 1);
	fclose(fp);
	ck_assert_str_eq(text, "auto-reply: none (no verdict: analysis failed or no rules)\n");
	free(text);

	x.v.autoreply_wanted = true;
	x.o.enabled = false;
	fp = open_memstream(&text, &len);
	ck_assert_int_eq(autoreply_show(fp, &x.o, &x.f, &x.v, NULL, SUPPORT), 1);
	fclose(fp);
	ck_assert_str_eq(text, "auto-reply: none (disabled: AutoReply no)\n");
	free(text);
	fixture_free(&x);
}
END_TEST

START_TEST(sender_key)
{
	char k[32];
	ck_assert_int_eq(autoreply_sender_key("Kunde.Navn@Example.DK", k, sizeof(k)), 0);
	ck_assert_str_eq(k, "kunde.navn@example.dk");
	ck_assert_int_eq(autoreply_sender_key("a-very-long-address@example.com", k, 10), -1);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("autoreply");
	TCase *tc = tcase_create("compose");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, danish_reply_headers_exact);
	tcase_add_test(tc, english_reply);
	tcase_add_test(tc, missing_exact_order);
	tcase_add_test(tc, categories_only);
	tcase_add_test(tc, template_body_exact);
	tcase_add_test(tc, date_in_support_zone);
	tcase_add_loop_test(tc, subject_table, 0, NELEM(subjects));
	tcase_add_test(tc, subject_encoded_crlf);
	tcase_add_test(tc, subject_long);
	tcase_add_loop_test(tc, message_id_table, 0, NELEM(msgids));
	tcase_add_test(tc, references_bounded);
	tcase_add_test(tc, references_from_in_reply_to);
	tcase_add_loop_test(tc, hostile_sender, 0, NELEM(hostile));
	tcase_add_test(tc, support_address_checked);
	tcase_add_loop_test(tc, display_name, 0, NELEM(names));
	tcase_add_test(tc, templates_from_dir);
	tcase_add_test(tc, hours_text);
	tcase_add_test(tc, reply_too_large);
	tcase_add_test(tc, show_reply);
	tcase_add_test(tc, sender_key);
	suite_add_tcase(s, tc);

	TCase *enc = tcase_create("encode");
	tcase_add_loop_test(enc, qp_table, 0, NELEM(qp));
	tcase_add_test(enc, qp_round_trip);
	tcase_add_test(enc, qp_limit);
	tcase_add_test(enc, utf8_put_round_trip);
	tcase_add_test(enc, sanitize_utf8);
	suite_add_tcase(s, enc);

	TCase *tpl = tcase_create("templates");
	tcase_add_loop_test(tpl, template_errors, 0, NELEM(bad_templates));
	tcase_add_test(tpl, template_missing_file_and_size);
	suite_add_tcase(s, tpl);
	return s;
}

#include "check_main.h"
