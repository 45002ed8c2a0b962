/*
 * eligible: may this message be answered automatically at all?  RFC 3834
 * §2 and the practice of Sieve vacation (RFC 5230 §4.5) implementations:
 * never answer automatic, bulk, list or looping mail, null or robot
 * senders, spam, or our own support address.  Rate limits are not here
 * (they need state, see ratelimit.h); this is a pure function of the
 * facts and the support addresses.
 */
#ifndef SM_ELIGIBLE_H
#define SM_ELIGIBLE_H

#include <stdbool.h>
#include <stddef.h>

struct config;
struct facts;

/* NULL when a reply may be sent; otherwise a short fixed reason for logs
 * and --show-reply:
 *   null-sender, bad-sender, robot-sender, from-support, auto-submitted,
 *   auto-reply-header, precedence, list, auto-response-suppress, loop,
 *   spam, report, not-addressed. */
const char *eligible_why_not(const struct facts *f, const struct config *cfg);

/* The same with our own addresses given directly (bare, no "+detail";
 * compared case-insensitively, "+detail" on the message side allowed). */
const char *eligible_why_not_addrs(const struct facts *f, const char *const *own, size_t n_own);

/* Is addr a plain addr-spec that may be handed to sendmail as a
 * recipient argument: local@domain, at most 254 bytes; the local part
 * (1..64) of letters, digits and ._+-=&'#$*?^{}~ without a leading,
 * trailing or doubled dot and not starting with '-'; the domain two or
 * more LDH labels (1..63, no '-' at either end).  No quotes, no
 * spaces, no control or 8-bit bytes, no '<>', '%', '!', '/', '|', '\',
 * '`': nothing a mailer could read as a route, a program or an option. */
bool eligible_is_safe_address(const char *addr);

#endif
