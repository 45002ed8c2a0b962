/*
 * eligible: RFC 3834 / RFC 5230 auto-reply eligibility (see eligible.h).
 *
 * Decisions on the edges, documented in support-milter(8):
 * - the support address must be in To or Cc: a Bcc'd copy is usually a
 *   list expansion or a customer copying support silently, and RFC 3834
 *   §2 recommends not answering mail that was not addressed to us;
 * - X-Auto-Response-Suppress stops us for All, AutoReply and OOF (what
 *   Exchange sets on its own automatic mail); DR/RN/NRN alone do not;
 * - the robot local parts are matched case-insensitively on the envelope
 *   sender and on the From address.
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

static bool has_word(const char *value, const char *word)
{
	size_t n = strlen(word);
	for (const char *p = value; *p != '\0'; p++) {
		if (strncasecmp(p, word, n) == 0 &&
		    (p == value || !isalnum((unsigned char)p[-1])) &&
		    !isalnum((unsigned char)p[n]))
			return true;
	}
	return false;
}

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
	return *value == '\0' || *value == ';' || *value == '(';
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

struct addr_scan {
	const struct config *cfg;
	bool support;
	bool robot;
};

static void scan_support(void *ctx, const char *addr)
{
	struct addr_scan *scan = ctx;
	char bare[512];
	addr_bare(addr, bare, sizeof(bare));
	if (config_is_support_address(scan->cfg, bare))
		scan->support = true;
	if (is_robot_address(bare))
		scan->robot = true;
}

const char *eligible_why_not(const struct facts *f, const struct config *cfg)
{
	if (f->env_from[0] == '\0')
		return "null-sender";
	if (is_robot_address(f->env_from))
		return "robot-sender";
	if (config_is_support_address(cfg, f->env_from))
		return "from-support";

	for (size_t i = 0; i < f->n_headers; i++) {
		const char *name = f->headers[i].name, *value = f->headers[i].value;
		if (strcasecmp(name, "Auto-Submitted") == 0 && !value_is(value, "no"))
			return "auto-submitted";
		if (strcasecmp(name, "Precedence") == 0 &&
		    (value_is(value, "bulk") || value_is(value, "junk") || value_is(value, "list")))
			return "precedence";
		if (strncasecmp(name, "List-", 5) == 0)
			return "list";
		if (strcasecmp(name, "X-Auto-Response-Suppress") == 0 &&
		    (has_word(value, "All") || has_word(value, "AutoReply") || has_word(value, "OOF")))
			return "auto-response-suppress";
		if (strcasecmp(name, "X-Loop") == 0)
			return "loop";
		if (strcasecmp(name, "X-Spam-Flag") == 0 && value_is(value, "yes"))
			return "spam";
	}

	const char *from = facts_header(f, "From");
	if (from != NULL) {
		struct addr_scan scan = { .cfg = cfg };
		addr_list_each(from, scan_support, &scan);
		if (scan.support)
			return "from-support";
		if (scan.robot)
			return "robot-sender";
	}

	struct addr_scan to = { .cfg = cfg };
	for (size_t i = 0; i < f->n_headers; i++)
		if (strcasecmp(f->headers[i].name, "To") == 0 || strcasecmp(f->headers[i].name, "Cc") == 0)
			addr_list_each(f->headers[i].value, scan_support, &to);
	if (!to.support)
		return "not-addressed";
	return NULL;
}
