/*
 * mlfi: the libmilter glue — with mlfi_protocol.h, the only code that
 * includes libmilter.
 * It turns milter callbacks into session calls and the session's results
 * into smfi_chgheader / smfi_addheader, and never returns anything but
 * CONTINUE, NOREPLY or ACCEPT: the milter is transparent, and an internal
 * error lets the mail pass.
 */
#ifndef SM_MLFI_H
#define SM_MLFI_H

#include <stdbool.h>

/* Registers the filter and opens the socket (removing a stale unix
 * socket file).  0 on success; -1 with the reason logged. */
int mlfi_setup(const char *socket, long timeout_seconds);
/* Runs the milter until it is told to stop and no callback is analysing
 * any more (at most 10 s after libmilter returns; later callbacks let
 * their messages pass unanalysed); returns libmilter's status. */
int mlfi_run(void);
/* Asks a running milter to stop (smfi_stop). */
void mlfi_stop(void);

#endif
