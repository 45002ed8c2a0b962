/*
 * eligible: RFC 3834 / RFC 5230 auto-reply eligibility (see eligible.h).
 *
 * Input: the facts (envelope sender, top-level header fields, decoded)
 * and our own addresses.  Output: NULL or a fixed reason string.  No
 * allocation, no state; each header value is scanned once.
 *
 * Decisions on the edges, documented in support-milter(8):
 * - the support address must be in To or Cc: a Bcc'd copy is usually a
 *   list expansion or a customer copying support silently, and RFC 3834
 *   §2 recommends not answering mail that was not addressed to us;
 * - X-Auto-Response-Suppress with any value stops us: All, AutoReply
 *   and OOF (what Exchange sets on its own automatic mail) as RFC 3834
 *   practice asks, and DR/RN/NRN too, because the product's labelling
 *   conventions treat the header itself as the mark of automatic mail;
 * - X-Loop of any value stops us (we never add one ourselves, so it is
 *   always someone else's loop guard);
 * - besides RFC 3834's Auto-Submitted, the non-standard markers of
 *   common auto-responders (X-Autoreply, X-Autorespond) and of mailing
 *   lists (Mailing-List, X-Mailing-List, X-ML-Name) and delivery or read
 *   reports (Content-Type multipart/report) stop us, as in ezmlm-weed;
 * - the robot local parts are matched case-insensitively on the envelope
 *   sender and on the From address;
 * - a sender that is not a plain, safe addr-spec is never answered (the
 *   address goes to sendmail's command line).
 */
#include "autoconfig.h"

#include <ctype.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "config.h"
#include "eligible.h"
#include "facts.h"

/* The value's first word is word (then end, blank, ';', ',' or '('). */
static bool value_is(const char *value, const char *word)
{
	while (isspace((unsigned char)*value))
		value++;
	size_t n = strlen(word);
	if (strncasecmp(value, word, n) != 0)
		return false;
	value += n;
	while (isspace((unsigned char)*value))
		value++;
	return *value == '\0' || *value == ';' || *value == '(' || *value == ',';
}

static bool value_starts(const char *value, const char *prefix)
{
	while (isspace((unsigned char)*value))
		value++;
	return strncasecmp(value, prefix, strlen(prefix)) == 0;
}

/* Robot senders by local part (RFC 3834 §2, RFC 5230 §4.5). */
static bool is_robot_address(const char *addr)
{
	const char *at = strrchr(addr, '@');
	size_t local = at != NULL ? (size_t)(at - addr) : strlen(addr);
	static const char *const exact[] = {
		"mailer-daemon", "postmaster", "listserv", "majordomo", "noreply", "no-reply",
		"no_reply", "donotreply", "do-not-reply", "do_not_reply", "bounce", "bounces",
	};
	for (size_t i = 0; i < sizeof(exact) / sizeof(exact[0]); i++)
		if (strlen(exact[i]) == local && strncasecmp(addr, exact[i], local) == 0)
			return true;
	if (local >= 6 && strncasecmp(addr, "owner-", 6) == 0)
		return true;
	if (local >= 8 && strncasecmp(addr + local - 8, "-request", 8) == 0)
		return true;
	if (local >= 7 && strncasecmp(addr, "bounce-", 7) == 0)
		return true;
	return false;
}

static bool is_own(const char *addr, const char *const *own, size_t n_own)
{
	for (size_t i = 0; i < n_own; i++)
		if (addr_matches(addr, own[i]))
			return true;
	return false;
}

struct addr_scan {
	const char *const *own;
	size_t n_own;
	bool support;
	bool robot;
};

static void scan_address(void *ctx, const char *addr)
{
	struct addr_scan *scan = ctx;
	char bare[ADDR_BUF_SIZE];
	if (addr_bare(addr, bare, sizeof(bare)) >= sizeof(bare))
		return;
	if (is_own(bare, scan->own, scan->n_own))
		scan->support = true;
	if (is_robot_address(bare))
		scan->robot = true;
}

static const char *header_why_not(const char *name, const char *value)
{
	if (strcasecmp(name, "Auto-Submitted") == 0 && !value_is(value, "no"))
		return "auto-submitted";
	if ((strcasecmp(name, "X-Autoreply") == 0 || strcasecmp(name, "X-Autorespond") == 0) &&
	    !value_is(value, "no"))
		return "auto-reply-header";
	if (strcasecmp(name, "Precedence") == 0 &&
	    (value_is(value, "bulk") || value_is(value, "junk") || value_is(value, "list") ||
	     value_is(value, "auto_reply")))
		return "precedence";
	if (strncasecmp(name, "List-", 5) == 0 || strcasecmp(name, "Mailing-List") == 0 ||
	    strcasecmp(name, "X-Mailing-List") == 0 || strcasecmp(name, "X-ML-Name") == 0)
		return "list";
	/* Any value: the sender asked for no automatic answers of some kind,
	 * and the product's labelling treats the header itself as the sign. */
	if (strcasecmp(name, "X-Auto-Response-Suppress") == 0 && value[strspn(value, " \t")] != '\0')
		return "auto-response-suppress";
	if (strcasecmp(name, "X-Loop") == 0)
		return "loop";
	if ((strcasecmp(name, "X-Spam-Flag") == 0 || strcasecmp(name, "X-Spam-Status") == 0) &&
	    value_is(value, "yes"))
		return "spam";
	if (strcasecmp(name, "Content-Type") == 0 && value_starts(value, "multipart/report"))
		return "report";
	return NULL;
}

const char *eligible_why_not_addrs(const struct facts *f, const char *const *own, size_t n_own)
{
	if (f->env_from == NULL || f->env_from[0] == '\0')
		return "null-sender";
	if (!eligible_is_safe_address(f->env_from))
		return "bad-sender";
	if (is_robot_address(f->env_from))
		return "robot-sender";
	if (is_own(f->env_from, own, n_own))
		return "from-support";

	for (size_t i = 0; i < f->n_headers; i++) {
		const char *why = header_why_not(f->headers[i].name, f->headers[i].value);
		if (why != NULL)
			return why;
	}

	struct addr_scan from = { .own = own, .n_own = n_own };
	for (size_t i = 0; i < f->n_headers; i++)
		if (strcasecmp(f->headers[i].name, "From") == 0)
			addr_list_each(f->headers[i].value, scan_address, &from);
	if (from.support)
		return "from-support";
	if (from.robot)
		return "robot-sender";

	struct addr_scan to = { .own = own, .n_own = n_own };
	for (size_t i = 0; i < f->n_headers; i++)
		if (strcasecmp(f->headers[i].name, "To") == 0 || strcasecmp(f->headers[i].name, "Cc") == 0)
			addr_list_each(f->headers[i].value, scan_address, &to);
	if (!to.support)
		return "not-addressed";
	return NULL;
}

const char *eligible_why_not(const struct facts *f, const struct config *cfg)
{
	return eligible_why_not_addrs(f, (const char *const *)cfg->support_address,
	                              cfg->n_support_address);
}

static bool is_local_char(unsigned char c)
{
	return isalnum(c) || (c != '\0' && strchr("._+-=&'#$*?^{}~", c) != NULL);
}

static bool is_safe_domain(const char *d)
{
	size_t labels = 0;
	for (;;) {
		size_t n = 0;
		while (isalnum((unsigned char)d[n]) || d[n] == '-')
			n++;
		if (n == 0 || n > 63 || d[0] == '-' || d[n - 1] == '-')
			return false;
		labels++;
		d += n;
		if (*d == '\0')
			return labels >= 2;
		if (*d != '.')
			return false;
		d++;
	}
}

bool eligible_is_safe_address(const char *addr)
{
	if (addr == NULL)
		return false;
	size_t len = strnlen(addr, 255);
	if (len == 0 || len > 254)
		return false;
	const char *at = strchr(addr, '@');
	if (at == NULL || at == addr || (size_t)(at - addr) > 64)
		return false;
	if (addr[0] == '-' || addr[0] == '.' || at[-1] == '.')
		return false;
	for (const char *p = addr; p < at; p++) {
		if (!is_local_char((unsigned char)*p))
			return false;
		if (p[0] == '.' && p[1] == '.')
			return false;
	}
	return is_safe_domain(at + 1);
}
