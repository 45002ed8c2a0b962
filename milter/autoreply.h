/*
 * autoreply: composing the auto-reply (RFC 3834) for one message from its
 * facts, its verdict and the reply templates, and the --show-reply view
 * of it.  Sending is outq.h's job, the once-per-sender limit
 * ratelimit.h's, and whether a reply may be sent at all eligible.h's.
 *
 * The reply is a complete RFC 5322 message with LF line ends (what
 * sendmail reads on its standard input):
 *
 *   From: Display Name <support address>     (RFC 2047 when non-ASCII)
 *   To: envelope sender                       (a safe addr-spec, or no reply)
 *   Subject: Re: original subject              (sanitized, cut, RFC 2047)
 *   Date, Message-ID (random @ support domain)
 *   In-Reply-To, References                    (only valid msg-ids)
 *   Auto-Submitted: auto-replied
 *   X-Auto-Response-Suppress: All
 *   Precedence: bulk
 *   MIME-Version, Content-Type: text/plain; charset=utf-8,
 *   Content-Transfer-Encoding: quoted-printable
 *
 * Nothing from the original reaches a header unless it was decoded,
 * stripped of control characters and re-encoded in a fixed alphabet; a
 * final pass checks that every header byte is printable ASCII.
 *
 * Templates (rules/templates/reply.da.txt, reply.en.txt; UTF-8):
 *   #...              a comment line (dropped)
 *   {{missing}}       the missing items, one "- label" line each: the
 *                     required ones in the verdict's order, then the
 *                     recommended ones (the screenshot) marked as "very
 *                     much preferred" in the template's language
 *   {{categories}}    the matched categories' explanations, a paragraph
 *                     each (categories without one are skipped); an
 *                     explanation may itself use {{hours}}
 *   {{hours}}         the opening hours, e.g. "mandag–fredag kl. 09.00–15.00"
 *   {{subject}}       the original subject, sanitized
 *   {{if NAME}} ... {{end}}, {{if !NAME}} ... {{end}}
 *                     on lines of their own: keep the lines between only
 *                     when NAME holds (or does not); nesting up to 8 deep.
 *                     NAME is one of: missing (a required item is
 *                     missing), recommended (a recommended item is
 *                     missing), categories (a matched category has an
 *                     explanation), callback, out-of-scope, open (the
 *                     message arrived within opening hours)
 * A line holding only a placeholder that expands to nothing is dropped.
 * Any other "{{" is an error, reported as file:line when loading.
 */
#ifndef SM_AUTOREPLY_H
#define SM_AUTOREPLY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct buf;
struct diag;
struct facts;
struct hours_spec;
struct verdict;

#define AUTOREPLY_MAX_MESSAGE (256u * 1024)   /* a composed reply, bytes */
#define AUTOREPLY_MAX_TEMPLATE (64u * 1024)   /* one template file, bytes */
#define AUTOREPLY_SUBJECT_CHARS 150           /* original subject kept, characters */
#define AUTOREPLY_MAX_REFERENCES 10           /* msg-ids kept from References */
#define AUTOREPLY_RCPT_SIZE 256               /* recipient buffer that always suffices */

struct autoreply_templates;

/* Everything the auto-reply needs; the lead maps config keys onto it.
 * Strings are not owned (outq_start/outq_reconfigure copy what they
 * keep). */
struct autoreply_options {
	bool enabled;                 /* AutoReply */
	const char *from_name;        /* AutoReplyFromName; "" = bare address */
	long period;                  /* AutoReplyInterval, seconds per sender */
	long max_per_10min;           /* AutoReplyMaxPer10Min: global breaker; 0 = none */
	long queue_size;              /* AutoReplyQueueSize */
	long timeout;                 /* SendmailTimeout, seconds */
	long senders;                 /* AutoReplySenders: in-process rate table entries */
	const char *sendmail_command; /* SendmailCommand (split by outq, no shell) */
	const char *templates_dir;    /* RulesDir "/templates" */
	const struct autoreply_templates *templates; /* preloaded; NULL: read templates_dir */
	const struct hours_spec *hours; /* {{hours}} and the Date zone; NULL: none, UTC */

	/* the per-sender limit's store (RedisServer "" = in-process only) */
	const char *redis_server;     /* host, host:port, [v6]:port or /socket */
	const char *redis_password;
	long redis_database;
	long redis_timeout_ms;
	const char *redis_key_prefix; /* keys: PREFIX "autoreply:" sender */
};

/* The built-in defaults (enabled false, 1 day, 30 per 10 min, queue 100,
 * 60 s, 10000 senders, "/usr/sbin/sendmail -i -f <> -N never --"). */
void autoreply_options_init(struct autoreply_options *o);

/* Loads and checks reply.da.txt and reply.en.txt from dir; every error is
 * reported through d as file:line.  NULL on any error. */
struct autoreply_templates *autoreply_templates_load(const char *dir, struct diag *d);
void autoreply_templates_free(struct autoreply_templates *t);

/* Composes the reply to f's envelope sender into out_message (appended;
 * the caller initialises it, AUTOREPLY_MAX_MESSAGE is enough) and copies
 * the recipient into recipient.  support_address is the bare support
 * address the message was sent to.  0 on success; -1 when no reply can
 * be made (the sender or support address is not a safe address, no
 * template, out of memory); out_message is then unspecified.
 * Eligibility and the rules' wish are the caller's to check first. */
int autoreply_compose(const struct autoreply_options *o, const struct facts *f,
                      const struct verdict *v, const char *support_address,
                      struct buf *out_message, char *recipient, size_t recipient_sz);

/* Why the calling thread's last autoreply_compose failed (a fixed
 * string for the log, e.g. "the sender is not a plain address"). */
const char *autoreply_error(void);

/* --show-reply: writes to fp either
 *   "auto-reply: none (REASON)\n"
 * or
 *   "auto-reply: to=RCPT language=LL missing=ID,... categories=ID,...\n"
 *   "\n" followed by the message exactly as it would be sent.
 * v is NULL when there is no verdict; why_not is eligible_why_not's
 * answer.  The rate limit is only checked when sending, so it is not
 * shown.  Returns 0 when a reply was shown, 1 when none would be sent,
 * -1 when it could not be composed (the reason is printed). */
int autoreply_show(FILE *fp, const struct autoreply_options *o, const struct facts *f,
                   const struct verdict *v, const char *why_not, const char *support_address);

/* The lower-cased recipient used as the rate limit's key; 0, or -1 when
 * it does not fit. */
int autoreply_sender_key(const char *recipient, char *out, size_t outsz);

#endif
