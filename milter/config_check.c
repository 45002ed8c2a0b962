/*
 * config_check: the syntax checks of config values the key table in
 * config.c names (sockets, paths, users, Redis servers, key prefixes,
 * commands, display names, addresses), each answering 0, 1 (a warning in
 * msg) or -1 (the error in msg); see config_int.h.  Pure functions of
 * their argument: no state, no I/O.
 */
#include "autoconfig.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "config_int.h"

int config_msgf(char *msg, size_t msgsz, int rc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, msgsz, fmt, ap);
	va_end(ap);
	return rc;
}

/* ------------------------------------------------------------- checks */

static bool is_abs_path(const char *v, size_t max)
{
	return v[0] == '/' && strlen(v) <= max && strpbrk(v, " \t") == NULL;
}

static bool all_chars(const char *s, size_t n, const char *extra)
{
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && (s[i] == '\0' || strchr(extra, s[i]) == NULL))
			return false;
	return true;
}

/* A display name goes into a header (RFC 2047-encoded when not ASCII):
 * no control characters, and short enough for one encoded line. */
int config_check_display_name(const char *v, char *msg, size_t msgsz)
{
	size_t n = 0;
	for (const unsigned char *p = (const unsigned char *)v; *p != '\0'; p++, n++)
		if (*p < 0x20 || *p == 0x7f)
			return config_msgf(msg, msgsz, -1, "control character in display name");
	if (n > 64)
		return config_msgf(msg, msgsz, -1, "display name longer than 64 bytes");
	return 0;
}

int config_check_socket(const char *v, char *msg, size_t msgsz)
{
	static const char *const forms =
		"expected unix:/path, local:/path, inet:PORT@HOST, inet6:PORT@HOST or /path";
	const char *colon = strchr(v, ':');
	if (v[0] == '/' || strncasecmp(v, "unix:", 5) == 0 || strncasecmp(v, "local:", 6) == 0) {
		const char *path = v[0] == '/' ? v : colon + 1;
		if (!is_abs_path(path, SUN_PATH_MAX))
			return config_msgf(msg, msgsz, -1, "bad socket path \"%s\" (absolute, at most %d "
			            "bytes, no blanks)", path, SUN_PATH_MAX);
		return 0;
	}
	bool v6 = strncasecmp(v, "inet6:", 6) == 0;
	if (!v6 && strncasecmp(v, "inet:", 5) != 0)
		return config_msgf(msg, msgsz, -1, "bad socket \"%s\" (%s)", v, forms);
	const char *port = colon + 1, *at = strchr(port, '@');
	size_t plen = at != NULL ? (size_t)(at - port) : strlen(port);
	if (at == NULL && strchr(port, ':') != NULL)
		return config_msgf(msg, msgsz, -1, "bad socket \"%s\": libmilter wants inet:PORT@HOST, "
		            "e.g. inet:8891@127.0.0.1 (HOST:PORT is Postfix's client syntax)", v);
	if (plen == 0 || plen > 32 || !all_chars(port, plen, "-_"))
		return config_msgf(msg, msgsz, -1, "bad port in socket \"%s\" (%s)", v, forms);
	bool numeric = strspn(port, "0123456789") == plen;
	if (numeric && (plen > 5 || atoi(port) < 1 || atoi(port) > 65535))
		return config_msgf(msg, msgsz, -1, "port in socket \"%s\" is out of range (1 to 65535)", v);
	if (at == NULL)
		return 0;       /* inet:PORT listens on every address */
	const char *host = at + 1;
	size_t hlen = strlen(host);
	if (hlen > 2 && host[0] == '[' && host[hlen - 1] == ']') {
		host++;
		hlen -= 2;
	}
	if (hlen == 0 || hlen > 253 || !all_chars(host, hlen, v6 ? ".-:" : ".-"))
		return config_msgf(msg, msgsz, -1, "bad host in socket \"%s\" (%s)", v, forms);
	return 0;
}

int config_check_header_prefix(const char *v, char *msg, size_t msgsz)
{
	size_t n = strlen(v);
	if (n > 64)
		return config_msgf(msg, msgsz, -1, "header prefix longer than 64 characters");
	for (const char *p = v; *p != '\0'; p++)
		if (*p <= ' ' || *p > '~' || *p == ':')
			return config_msgf(msg, msgsz, -1, "bad header prefix \"%s\" (printable ASCII "
			            "without ':' or blanks, e.g. X-Support-)", v);
	if (n < 4)
		return config_msgf(msg, msgsz, 1, "header prefix \"%s\" is short: every incoming header "
		            "starting with it is removed", v);
	return 0;
}

int config_check_abs_path(const char *v, char *msg, size_t msgsz)
{
	if (*v != '\0' && !is_abs_path(v, PATH_MAX - 1))
		return config_msgf(msg, msgsz, -1, "bad path \"%s\" (expected an absolute path)", v);
	return 0;
}

static bool is_user_name(const char *s, size_t n)
{
	if (n > 0 && s[n - 1] == '$')
		n--;    /* Samba machine accounts end in '$' */
	return n >= 1 && n <= 32 && s[0] != '-' && s[0] != '.' && all_chars(s, n, "_.-");
}

int config_check_user(const char *v, char *msg, size_t msgsz)
{
	if (*v == '\0')
		return 0;
	const char *colon = strchr(v, ':');
	size_t ulen = colon != NULL ? (size_t)(colon - v) : strlen(v);
	if (!is_user_name(v, ulen) || (colon != NULL && !is_user_name(colon + 1, strlen(colon + 1))))
		return config_msgf(msg, msgsz, -1, "bad user \"%s\" (expected user or user:group)", v);
	return 0;
}

int config_parse_redis_server(const char *s, char *host, size_t hostsz, int *port,
                              char *err, size_t errsz)
{
	const char *h = s, *p = NULL;
	size_t hlen;
	bool v6 = false;
	if (s == NULL || *s == '\0')
		return config_msgf(err, errsz, -1, "empty Redis server");
	if (s[0] == '/') {
		if (!is_abs_path(s, SUN_PATH_MAX))
			return config_msgf(err, errsz, -1, "bad Redis socket path \"%s\"", s);
		if (snprintf(host, hostsz, "%s", s) >= (int)hostsz)
			return config_msgf(err, errsz, -1, "Redis socket path too long");
		*port = 0;
		return 0;
	}
	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		if (close == NULL || (close[1] != '\0' && close[1] != ':'))
			return config_msgf(err, errsz, -1, "bad Redis server \"%s\" (expected [v6addr]:port)", s);
		h = s + 1;
		hlen = (size_t)(close - h);
		p = close[1] == ':' ? close + 2 : NULL;
		v6 = true;
	} else {
		const char *colon = strchr(s, ':');
		if (colon != NULL && strchr(colon + 1, ':') != NULL)
			return config_msgf(err, errsz, -1, "bad Redis server \"%s\" (put an IPv6 address "
			            "in brackets: [::1]:6379)", s);
		hlen = colon != NULL ? (size_t)(colon - s) : strlen(s);
		p = colon != NULL ? colon + 1 : NULL;
	}
	if (hlen == 0 || hlen > 253 || !all_chars(h, hlen, v6 ? ":." : ".-"))
		return config_msgf(err, errsz, -1, "bad Redis host in \"%s\"", s);
	long portv = 6379;
	if (p != NULL) {
		char *end;
		errno = 0;
		portv = strtol(p, &end, 10);
		if (!isdigit((unsigned char)*p) || *end != '\0' || errno != 0 ||
		    portv < 1 || portv > 65535)
			return config_msgf(err, errsz, -1, "bad Redis port in \"%s\" (1 to 65535)", s);
	}
	if (hlen >= hostsz)
		return config_msgf(err, errsz, -1, "Redis host too long");
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	*port = (int)portv;
	return 0;
}

int config_check_redis(const char *v, char *msg, size_t msgsz)
{
	char host[256];
	int port;
	if (*v == '\0')
		return 0;
	return config_parse_redis_server(v, host, sizeof(host), &port, msg, msgsz);
}

int config_check_key_prefix(const char *v, char *msg, size_t msgsz)
{
	if (strlen(v) > 64)
		return config_msgf(msg, msgsz, -1, "Redis key prefix longer than 64 characters");
	for (const char *p = v; *p != '\0'; p++)
		if (*p <= ' ' || *p > '~')
			return config_msgf(msg, msgsz, -1, "bad Redis key prefix \"%s\" (printable "
			            "ASCII without blanks)", v);
	return 0;
}

/* Splits a command at blanks (no quoting: it is never given to a shell). */
char **config_split_command(const char *v, size_t *n_out)
{
	char **argv = calloc(CONFIG_MAX_ARGS + 1, sizeof(*argv));
	size_t n = 0;
	if (argv == NULL)
		return NULL;
	for (const char *p = v;;) {
		p += strspn(p, " \t");
		if (*p == '\0')
			break;
		size_t len = strcspn(p, " \t");
		if (n == CONFIG_MAX_ARGS || (argv[n] = strndup(p, len)) == NULL) {
			*n_out = n + 1;  /* tells "too many" from "out of memory" */
			for (size_t i = 0; i < n; i++)
				free(argv[i]);
			free(argv);
			return NULL;
		}
		n++;
		p += len;
	}
	*n_out = n;
	return argv;
}

void config_free_argv(char **argv)
{
	if (argv == NULL)
		return;
	for (char **a = argv; *a != NULL; a++)
		free(*a);
	free(argv);
}

int config_check_command(const char *v, char *msg, size_t msgsz)
{
	size_t n = 0;
	char **argv = config_split_command(v, &n);
	if (argv == NULL)
		return config_msgf(msg, msgsz, -1, n > CONFIG_MAX_ARGS ? "more than 32 arguments" :
		            "out of memory");
	int rc = 0;
	if (argv[0][0] != '/')
		rc = config_msgf(msg, msgsz, -1, "command must start with an absolute path, not \"%s\"",
		          argv[0]);
	config_free_argv(argv);
	return rc;
}

/* A host name: dot-separated labels of letters, digits and inner '-'. */
static bool is_domain(const char *s, size_t n)
{
	if (n == 0 || n > 253)
		return false;
	for (size_t i = 0; i < n;) {
		size_t len = 0;
		while (i + len < n && s[i + len] != '.')
			len++;
		if (len == 0 || len > 63 || s[i] == '-' || s[i + len - 1] == '-' ||
		    !all_chars(s + i, len, "-"))
			return false;
		i += len + 1;
		if (i == n)
			return false;   /* trailing dot */
	}
	return true;
}

/* addr as a support address: optional <>, local@domain, no quoting. */
int config_parse_address(const char *v, char *out, size_t outsz, char *msg, size_t msgsz)
{
	size_t n = strlen(v);
	if (n >= 2 && v[0] == '<' && v[n - 1] == '>') {
		v++;
		n -= 2;
	}
	const char *at = memchr(v, '@', n);
	size_t llen = at != NULL ? (size_t)(at - v) : 0;
	size_t dlen = at != NULL ? n - llen - 1 : 0;
	if (at == NULL || n >= outsz || llen == 0 || llen > 64 || dlen == 0 ||
	    !all_chars(v, llen, "!#$%&'*+-/=?^_`{|}~.") || v[0] == '.' || at[-1] == '.' ||
	    memmem(v, llen, "..", 2) != NULL || !is_domain(at + 1, dlen))
		return config_msgf(msg, msgsz, -1, "bad address \"%.*s\" (expected local@domain)",
		            (int)n, v);
	for (size_t i = 0; i < n; i++)
		out[i] = (char)tolower((unsigned char)v[i]);
	out[n] = '\0';
	return 0;
}
