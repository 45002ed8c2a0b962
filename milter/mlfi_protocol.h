/*
 * mlfi_protocol: what support-milter asks the MTA for, in one place, so
 * that the bench's floor milter (tests/bench/null-milter.c -L) asks for
 * exactly the same.  Used by mlfi.c; includes libmilter.
 */
#ifndef SM_MLFI_PROTOCOL_H
#define SM_MLFI_PROTOCOL_H

#include <stddef.h>

#include <libmilter/mfapi.h>

/* Actions we may take; masked by what the MTA offers. */
#define MLFI_WANTED_ACTIONS (SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_SETSYMLIST)

/* No connect, HELO or unknown-command events; no replies where we always
 * continue.  Masked by what the MTA offers. */
#define MLFI_WANTED_PROTOCOL                                                        \
	(SMFIP_NOCONNECT | SMFIP_NOHELO | SMFIP_NOUNKNOWN | SMFIP_NR_MAIL |         \
	 SMFIP_NR_RCPT | SMFIP_NR_HDR | SMFIP_NR_EOH | SMFIP_NR_BODY)

/* The only macro we read is the queue id ("i"): asking for just that
 * spares the MTA formatting, and us parsing, the dozen it sends by
 * default before every event (Postfix sends a stage's macros even for
 * events we opted out of).  A stage that is refused keeps the MTA's
 * default list, which is harmless.  Call when SMFIF_SETSYMLIST was
 * negotiated. */
static inline void mlfi_ask_for_macros(SMFICTX *ctx)
{
	static const int stages[] = { SMFIM_CONNECT, SMFIM_HELO, SMFIM_ENVFROM, SMFIM_ENVRCPT,
	                              SMFIM_DATA, SMFIM_EOH, SMFIM_EOM };
	for (size_t i = 0; i < sizeof(stages) / sizeof(stages[0]); i++)
		(void)smfi_setsymlist(ctx, stages[i], (char *)"i");
}

#endif
