/*
 * session: one message's analysis, shaped like the milter phases so that
 * mlfi.c and the offline mode (-t) drive exactly the same code:
 *
 *   session_new → sender → rcpt... → header... → end_headers → body... →
 *   session_finish → read removals / headers to add / verdict → free
 *
 * The session pins a snapshot (config + rules).  Any internal error sets
 * the sticky `failed` state, is logged once, and from then on the session
 * does nothing but still lists the removals of prefixed headers (a
 * customer cannot pre-tag a mail even when analysis failed).
 */
#ifndef SM_SESSION_H
#define SM_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct snapshot;
struct facts;
struct verdict;
struct hdr_removal;

struct session;

/* Pins snap (takes a new reference). NULL on OOM. */
struct session *session_new(struct snapshot *snap);
void session_free(struct session *s);

void session_set_qid(struct session *s, const char *qid);
const char *session_qid(const struct session *s);
void session_set_time(struct session *s, time_t t);
/* Envelope; addresses as the MTA gives them ("<a@b>" or bare). */
void session_set_sender(struct session *s, const char *addr);
/* Returns true when this recipient is a support address. */
bool session_add_rcpt(struct session *s, const char *addr);
bool session_is_support(const struct session *s);

/* The recipients are complete (DATA): a support message's receipt time is
 * fixed and its arrival counted (load counters; see counters.h), so that
 * this hour's count is back from Redis long before the end of message. */
void session_data(struct session *s);
void session_header(struct session *s, const char *name, const char *value);
void session_end_headers(struct session *s);
void session_body(struct session *s, const unsigned char *p, size_t n);
/* Ends the message: facts → rules → verdict → headers to add. */
void session_finish(struct session *s);

bool session_failed(const struct session *s);

/* Prefixed incoming headers to delete, in the order to apply them. */
size_t session_removal_count(const struct session *s);
bool session_removal(const struct session *s, size_t i, struct hdr_removal *out);

/* Our headers to add at end of message (value folded, sanitized). */
size_t session_add_count(const struct session *s);
bool session_add(const struct session *s, size_t i, const char **name, const char **value);

/* After finish (NULL when failed or not analysed). */
const struct facts *session_facts(const struct session *s);
const struct verdict *session_verdict(const struct session *s);
struct snapshot *session_snapshot(const struct session *s);

/* Whether an auto-reply is due (wanted by the rules and eligible); when
 * not, *why_not (may be NULL) names the reason or is NULL. */
bool session_autoreply(const struct session *s, const char **why_not);
/* The configured support address the message was sent to ("" if none). */
const char *session_support_address(const struct session *s);
/* Composes the auto-reply and hands it to the sender queue (outq.h);
 * never waits.  A no-op unless a reply is due, AutoReply is on and the
 * queue runs.  Failures are logged. */
void session_send_reply(struct session *s);

/* Appends the offline mode's JSON object for this message. */
struct buf;
void session_report(const struct session *s, const char *file, struct buf *out);

#endif
