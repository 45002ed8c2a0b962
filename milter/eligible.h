/*
 * eligible: may this message be answered automatically at all?  RFC 3834
 * §2 and the practice of Sieve vacation (RFC 5230 §4.5) implementations:
 * never answer automatic, bulk, list or looping mail, null or robot
 * senders, spam, or our own support address.  Rate limits are not here
 * (they need state); this is a pure function of the facts and config.
 */
#ifndef SM_ELIGIBLE_H
#define SM_ELIGIBLE_H

struct config;
struct facts;

/* NULL when a reply may be sent; otherwise a short fixed reason
 * ("auto-submitted", "list", "null-sender", ...) for logs and --show-reply. */
const char *eligible_why_not(const struct facts *f, const struct config *cfg);

#endif
