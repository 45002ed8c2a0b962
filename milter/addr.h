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

/* Copies the bare address of an envelope argument ("<a@b>", "a@b",
 * "<>") into out; returns its length (0 for the null sender). */
size_t addr_bare(const char *in, char *out, size_t outsz);

/* addr matches want: local parts equal ignoring case (addr may carry
 * "+detail"), domains equal ignoring case.  want has no detail. */
bool addr_matches(const char *addr, const char *want);

/* Calls fn for each address in an RFC 5322 address-list header value
 * (display names, comments, groups and quoted strings skipped). */
void addr_list_each(const char *value, void (*fn)(void *ctx, const char *addr), void *ctx);

#endif
