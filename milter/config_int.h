/*
 * config_int.h: inside the config module.  config_check.c holds the
 * value checks the key table names, and the helpers config.c shares with
 * them; nothing outside config*.c includes this.
 */
#ifndef SM_CONFIG_INT_H
#define SM_CONFIG_INT_H

#include <stddef.h>

#define CONFIG_MAX_ARGS 32   /* words in a command (SendmailCommand) */
#define SUN_PATH_MAX 107     /* sizeof(sun_path) - 1 on Linux */

/* Writes a message and returns rc, so checks can "return config_msgf(...)". */
int config_msgf(char *msg, size_t msgsz, int rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Value checks: 0 = fine, 1 = fine but msg holds a warning, -1 = msg
 * holds the error. */
int config_check_socket(const char *v, char *msg, size_t msgsz);
int config_check_header_prefix(const char *v, char *msg, size_t msgsz);
int config_check_abs_path(const char *v, char *msg, size_t msgsz);
int config_check_user(const char *v, char *msg, size_t msgsz);
int config_check_redis(const char *v, char *msg, size_t msgsz);
int config_check_key_prefix(const char *v, char *msg, size_t msgsz);
int config_check_command(const char *v, char *msg, size_t msgsz);
int config_check_display_name(const char *v, char *msg, size_t msgsz);

/* A support address: bare, lower-cased into out; 0 or -1 (msg says why). */
int config_parse_address(const char *v, char *out, size_t outsz, char *msg, size_t msgsz);
/* SendmailCommand split into words (NULL-terminated, at most
 * CONFIG_MAX_ARGS); NULL when it cannot be.  config_free_argv frees it. */
char **config_split_command(const char *v, size_t *n_out);
void config_free_argv(char **argv);

#endif
