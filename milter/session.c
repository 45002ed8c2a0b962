/* STUB: replaced by the module owner. */
#include "autoconfig.h"
#include <stddef.h>
#include <stdbool.h>
#include "session.h"

struct session *session_new(struct snapshot *snap)
{
	(void)snap;
	return NULL;
}

void session_free(struct session *s)
{
	(void)s;
}

void session_set_qid(struct session *s, const char *qid)
{
	(void)s;
	(void)qid;
}

const char *session_qid(const struct session *s)
{
	(void)s;
	return NULL;
}

void session_set_time(struct session *s, time_t t)
{
	(void)s;
	(void)t;
}

void session_set_sender(struct session *s, const char *addr)
{
	(void)s;
	(void)addr;
}

bool session_add_rcpt(struct session *s, const char *addr)
{
	(void)s;
	(void)addr;
	return false;
}

bool session_is_support(const struct session *s)
{
	(void)s;
	return false;
}

void session_header(struct session *s, const char *name, const char *value)
{
	(void)s;
	(void)name;
	(void)value;
}

void session_end_headers(struct session *s)
{
	(void)s;
}

void session_body(struct session *s, const unsigned char *p, size_t n)
{
	(void)s;
	(void)p;
	(void)n;
}

void session_finish(struct session *s)
{
	(void)s;
}

bool session_failed(const struct session *s)
{
	(void)s;
	return false;
}

size_t session_removal_count(const struct session *s)
{
	(void)s;
	return 0;
}

bool session_removal(const struct session *s, size_t i, struct hdr_removal *out)
{
	(void)s;
	(void)i;
	(void)out;
	return false;
}

size_t session_add_count(const struct session *s)
{
	(void)s;
	return 0;
}

bool session_add(const struct session *s, size_t i, const char **name, const char **value)
{
	(void)s;
	(void)i;
	(void)name;
	(void)value;
	return false;
}

const struct facts *session_facts(const struct session *s)
{
	(void)s;
	return NULL;
}

const struct verdict *session_verdict(const struct session *s)
{
	(void)s;
	return NULL;
}

struct snapshot *session_snapshot(const struct session *s)
{
	(void)s;
	return NULL;
}
