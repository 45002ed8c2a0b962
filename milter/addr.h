/*
 * addr: e-mail address handling for envelope and header addresses:
 * stripping <>, comparing an address against a support address
 * (case-insensitive, with "+detail" on the local part allowed), and
 * extracting addresses from To/Cc/From header values.
 */
#ifndef SM_ADDR_H
#define SM_ADDR_H

#include <stdbool.h>
#include <stddef.h>

/* Buffer size that holds any address worth looking at (RFC 5321 allows
 * 256 octets for a path; quoted local parts can be longer). */
#define ADDR_BUF_SIZE 512

/* Copies the bare address of an envelope argument ("<a@b>", "a@b",
 * "<>", "<@route:a@b>") into out; returns its length (0 for the null
 * sender).  A return value >= outsz means it did not fit: out is then ""
 * (never a cut address), like snprintf's truncation check. */
size_t addr_bare(const char *in, char *out, size_t outsz);

/* addr matches want: local parts equal ignoring case (addr may carry
 * "+detail"), domains equal ignoring case.  want has no detail.  A quoted
 * local part is compared as written (quotes included, no detail); an
 * address without '@' or with an empty part never matches. */
bool addr_matches(const char *addr, const char *want);

/* Calls fn for each address in an RFC 5322 address-list header value
 * (display names, comments, groups and quoted strings skipped).  The
 * address is passed as found (no case change), NUL-terminated and valid
 * only during the call; elements without '@' or longer than
 * ADDR_BUF_SIZE - 1 are skipped. */
void addr_list_each(const char *value, void (*fn)(void *ctx, const char *addr), void *ctx);

#endif
