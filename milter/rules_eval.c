/*
 * rules_eval: runs a loaded rule set over the facts of one message and
 * fills the verdict (verdict.h).
 *
 * The rule set is shared and read-only; everything that changes per
 * message lives in the caller's scratch: one tri-state result per node
 * (each test runs at most once per message), the frame and value stacks
 * of the expression programs, PCRE2 match data, a match context with the
 * configured match and depth limits, and a JIT stack.  Programs run on an
 * explicit frame stack — one frame per node at most, because the graph is
 * acyclic (rules_link) — so no user-controlled depth reaches the C stack.
 *
 * Regex tests: subject, body and own are checked once per message to be
 * valid UTF-8 and then matched with PCRE2_NO_UTF_CHECK; other strings are
 * checked on each test (they are short).  Invalid UTF-8 or a PCRE2 error
 * (match limit, depth limit, JIT stack) counts as no match and is counted
 * in verdict.match_errors with the first rule concerned, for the log.
 * Before PCRE2 runs on subject, body or own, the prefilter (prefilter.h)
 * may answer "no match": the text is scanned once per message for the
 * literals one of which every match of such a regex contains.  It comes
 * after the UTF-8 check, so invalid text is counted as before; a regex it
 * rules out can no longer hit the match limit.
 *
 * Verdict: missing items in declaration order, matched categories in
 * declaration order, out_of_scope, the first priority line that holds
 * (else normal), autoreply, and the names of the true rules in definition
 * order without those starting with "__" (at most VERDICT_MAX_FIRED).
 * Memory: the scratch is sized once for its rule set; evaluation does not
 * allocate except for the ALL header text (bounded by RULES_MAX_ALL).
 */
#include "autoconfig.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "encode.h"
#include "facts.h"
#include "prefilter.h"
#include "rules_int.h"

#define RULES_MAX_ALL (1u << 20)           /* ALL header text kept */
#define RULES_JIT_STACK_MIN (32u << 10)
#define RULES_JIT_STACK_MAX (512u << 10)

struct frame {
	uint32_t node;
	uint32_t pc;
};

/* The prefiltered texts (re_match's text), or PF_NONE. */
enum { PF_SUBJECT = 0, PF_BODY, PF_OWN, PF_TEXTS, PF_NONE = -1 };

struct rules_scratch {
	const struct ruleset *rs;
	uint8_t *res;            /* per node: 0 unknown, 1 false, 2 true */
	struct frame *frames;    /* n_nodes */
	uint8_t *stack;          /* n_ops + 1 */
	size_t stack_cap;
	pcre2_match_data *md;
	pcre2_match_context *mctx;
	pcre2_jit_stack *jit;
	struct buf all;          /* "Name: value\n" per header, for ALL */
	bool all_built;
	int8_t utf_subject, utf_body, utf_own, utf_all; /* -1 unknown, 0 bad, 1 good */
	const struct facts *f;
	unsigned match_errors;
	const char *match_error_rule;
	/* Which literals subject, body and own contain (NULL on OOM: no
	 * prefilter), scanned on first need in each message. */
	struct pf_scan *pf[PF_TEXTS];
	bool pf_off;             /* tests: run every regex */
	unsigned pf_skips;
};

bool rules_utf8_valid(const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;
	while (i < n) {
		if (s[i] < 0x80) { /* most of any text: no call per byte */
			i++;
			continue;
		}
		unsigned cp;
		size_t len = encode_utf8_char(s + i, n - i, &cp);
		if (len == 0)
			return false;
		i += len;
	}
	return true;
}

static void scratch_destroy(struct rules_scratch *sc)
{
	free(sc->res);
	free(sc->frames);
	free(sc->stack);
	pcre2_match_data_free(sc->md);
	pcre2_match_context_free(sc->mctx);
	pcre2_jit_stack_free(sc->jit);
	buf_free(&sc->all);
	for (int i = 0; i < PF_TEXTS; i++)
		pf_scan_free(sc->pf[i]);
	free(sc);
}

static struct rules_scratch *scratch_create(const struct ruleset *rs)
{
	struct rules_scratch *sc = calloc(1, sizeof(*sc));
	if (sc == NULL)
		return NULL;
	sc->rs = rs;
	sc->stack_cap = rs->n_ops + 1;
	sc->res = calloc(rs->n_nodes, 1);
	sc->frames = calloc(rs->n_nodes, sizeof(*sc->frames));
	sc->stack = calloc(sc->stack_cap, 1);
	/* One ovector pair is enough: the tests ask only "does it match". */
	sc->md = pcre2_match_data_create(1, NULL);
	sc->mctx = pcre2_match_context_create(NULL);
	buf_init(&sc->all, RULES_MAX_ALL);
	for (int i = 0; i < PF_TEXTS; i++)
		sc->pf[i] = pf_scan_new(rs->pf);
	if (sc->res == NULL || sc->frames == NULL || sc->stack == NULL ||
	    sc->md == NULL || sc->mctx == NULL) {
		scratch_destroy(sc);
		return NULL;
	}
	if (rs->match_limit > 0) {
		uint32_t lim = rs->match_limit > UINT32_MAX ? UINT32_MAX : (uint32_t)rs->match_limit;
		pcre2_set_match_limit(sc->mctx, lim);
		pcre2_set_depth_limit(sc->mctx, lim);
	}
	/* Without a JIT stack of its own a JIT match uses 32 KiB of the
	 * thread's stack; with one, deep patterns fail cleanly instead. */
	sc->jit = pcre2_jit_stack_create(RULES_JIT_STACK_MIN, RULES_JIT_STACK_MAX, NULL);
	if (sc->jit != NULL)
		pcre2_jit_stack_assign(sc->mctx, NULL, sc->jit);
	return sc;
}

/* A scratch costs a few allocations and a JIT stack, which is an mmap and,
 * when freed, an munmap that interrupts every CPU running one of our
 * threads.  libmilter starts and ends threads all the time, so the reuse is
 * per rule set, not per thread: rules_scratch_free puts a scratch back,
 * rules_scratch_new takes one, and the rule set frees what is idle when it
 * goes (a reload).  rules_eval resets every per-message field. */
#define RULES_POOL_MAX 32

struct rules_scratch_pool {
	pthread_mutex_t lock;
	struct rules_scratch *idle[RULES_POOL_MAX];
	size_t n_idle;
};

struct rules_scratch_pool *rules_pool_new(void)
{
	struct rules_scratch_pool *pool = calloc(1, sizeof(*pool));
	if (pool != NULL && pthread_mutex_init(&pool->lock, NULL) != 0) {
		free(pool);
		return NULL;
	}
	return pool;
}

void rules_pool_free(struct rules_scratch_pool *pool)
{
	if (pool == NULL)
		return;
	for (size_t i = 0; i < pool->n_idle; i++)
		scratch_destroy(pool->idle[i]);
	pthread_mutex_destroy(&pool->lock);
	free(pool);
}

struct rules_scratch *rules_scratch_new(const struct ruleset *rs)
{
	if (rs == NULL)
		return NULL;
	struct rules_scratch *sc = NULL;
	if (rs->pool != NULL) {
		pthread_mutex_lock(&rs->pool->lock);
		if (rs->pool->n_idle > 0)
			sc = rs->pool->idle[--rs->pool->n_idle];
		pthread_mutex_unlock(&rs->pool->lock);
	}
	return sc != NULL ? sc : scratch_create(rs);
}

/* The caller still holds the rule set (the session releases its snapshot
 * after this), so sc->rs is alive. */
void rules_scratch_free(struct rules_scratch *sc)
{
	if (sc == NULL)
		return;
	struct rules_scratch_pool *pool = sc->rs->pool;
	if (pool != NULL) {
		sc->f = NULL;
		sc->pf_off = false;
		pthread_mutex_lock(&pool->lock);
		bool kept = pool->n_idle < RULES_POOL_MAX;
		if (kept)
			pool->idle[pool->n_idle++] = sc;
		pthread_mutex_unlock(&pool->lock);
		if (kept)
			return;
	}
	scratch_destroy(sc);
}

/* ------------------------------------------------------------ leaves */

static void note_error(struct rules_scratch *sc, uint32_t nd)
{
	if (sc->match_errors++ == 0)
		sc->match_error_rule = sc->rs->nodes[nd].name;
}

void rules_scratch_set_prefilter(struct rules_scratch *sc, bool on)
{
	sc->pf_off = !on;
}

unsigned rules_scratch_prefilter_skips(const struct rules_scratch *sc)
{
	return sc->pf_skips;
}

/* Does regex re match s[0..len)?  utf caches the UTF-8 check of s; text
 * is which of subject, body and own s is (PF_NONE: another string). */
static bool re_match(struct rules_scratch *sc, uint32_t nd, uint32_t re,
                     const char *s, size_t len, int8_t *utf, int text)
{
	int8_t local = -1;
	if (s == NULL) {
		s = "";
		len = 0;
	}
	if (utf == NULL)
		utf = &local;
	if (*utf < 0)
		*utf = rules_utf8_valid(s, len);
	if (*utf == 0) {
		note_error(sc, nd);
		return false;
	}
	/* After the UTF-8 check, so that invalid text counts its error as
	 * before: the prefilter only stands in for a PCRE2 "no match". */
	if (text != PF_NONE && !sc->pf_off && sc->pf[text] != NULL &&
	    !pf_scan_maybe(sc->pf[text], re, s, len)) {
		sc->pf_skips++;
		return false;
	}
	int rc = pcre2_match(sc->rs->re[re], (PCRE2_SPTR)s, len, 0, PCRE2_NO_UTF_CHECK,
	                     sc->md, sc->mctx);
	if (rc >= 0)
		return true;   /* 0: matched, ovector too small for the groups */
	if (rc != PCRE2_ERROR_NOMATCH)
		note_error(sc, nd);
	return false;
}

static bool same_attachment(const struct attachment *a, const struct attachment *b)
{
	return a == b || (a->size == b->size && a->width == b->width && a->height == b->height &&
	                  strcmp(a->detected_type, b->detected_type) == 0 &&
	                  strcmp(a->filename, b->filename) == 0 &&
	                  strcmp(a->content_id, b->content_id) == 0);
}

static bool cmp_num(uint64_t v, const struct acond *c)
{
	switch (c->cmp) {
	case CMP_LT: return v < c->num;
	case CMP_LE: return v <= c->num;
	case CMP_GT: return v > c->num;
	case CMP_GE: return v >= c->num;
	case CMP_EQ: return v == c->num;
	default: return v != c->num;
	}
}

static bool cond_holds(struct rules_scratch *sc, uint32_t nd, const struct attachment *a,
                       const struct acond *c)
{
	const char *s = NULL;
	size_t max = 0;
	bool v = false;
	switch (c->what) {
	case AC_DETECTED: s = a->detected_type; max = sizeof(a->detected_type); break;
	case AC_DECLARED: s = a->declared_type; max = sizeof(a->declared_type); break;
	case AC_NAME: s = a->filename; max = sizeof(a->filename); break;
	case AC_WIDTH: return cmp_num(a->width, c);
	case AC_HEIGHT: return cmp_num(a->height, c);
	case AC_SIZE: return cmp_num(a->size, c);
	case AC_INLINE: v = a->is_inline; break;
	case AC_IMAGE: v = a->is_image; break;
	case AC_MISMATCH: v = a->mismatch; break;
	case AC_FORWARDED: v = a->in_message; break;
	default:
		v = sc->f->screenshot != NULL && same_attachment(a, sc->f->screenshot);
		break;
	}
	if (s != NULL)
		v = re_match(sc, nd, c->re, s, strnlen(s, max), NULL, PF_NONE);
	return v != (c->neg != 0);
}

static void build_all(struct rules_scratch *sc)
{
	const struct facts *f = sc->f;
	sc->all_built = true;
	for (size_t i = 0; i < f->n_headers; i++) {
		const struct facts_header *h = &f->headers[i];
		if (h->name == NULL)
			continue;
		buf_printf(&sc->all, "%s: %s\n", h->name, h->value != NULL ? h->value : "");
	}
}

static bool leaf(struct rules_scratch *sc, uint32_t nd)
{
	const struct rnode *n = &sc->rs->nodes[nd];
	const struct facts *f = sc->f;
	bool any = false;
	switch (n->kind) {
	case RN_SUBJECT:
		return re_match(sc, nd, n->re, f->subject,
		                f->subject != NULL ? strlen(f->subject) : 0, &sc->utf_subject,
		                PF_SUBJECT);
	case RN_BODY:
		return re_match(sc, nd, n->re, f->body, f->body_len, &sc->utf_body, PF_BODY);
	case RN_OWN:
		return re_match(sc, nd, n->re, f->own, f->own_len, &sc->utf_own, PF_OWN);
	case RN_HEADER:
		if (n->field == NULL) {
			if (!sc->all_built)
				build_all(sc);
			any = re_match(sc, nd, n->re, sc->all.data, sc->all.len, &sc->utf_all, PF_NONE);
		}
		for (size_t i = 0; n->field != NULL && i < f->n_headers && !any; i++) {
			const struct facts_header *h = &f->headers[i];
			if (h->name == NULL || strcasecmp(h->name, n->field) != 0)
				continue;
			any = n->exists || re_match(sc, nd, n->re, h->value,
			                            h->value != NULL ? strlen(h->value) : 0, NULL, PF_NONE);
		}
		return any != (n->neg != 0);
	case RN_ENVELOPE:
		if (n->arg == ENV_FROM) {
			any = re_match(sc, nd, n->re, f->env_from,
			               f->env_from != NULL ? strlen(f->env_from) : 0, NULL, PF_NONE);
		}
		for (size_t i = 0; n->arg == ENV_RCPT && i < f->n_rcpt && !any; i++)
			if (f->rcpt[i] != NULL)
				any = re_match(sc, nd, n->re, f->rcpt[i], strlen(f->rcpt[i]), NULL, PF_NONE);
		return any != (n->neg != 0);
	case RN_ATTACH:
		for (size_t i = 0; i < f->n_attachments && !any; i++) {
			any = true;
			for (uint32_t k = 0; k < n->cond_n && any; k++)
				any = cond_holds(sc, nd, &f->attachments[i], &sc->rs->conds[n->cond_off + k]);
		}
		return any;
	case RN_FLAG:
		return (f->flags & n->arg) != 0;
	case RN_LANGUAGE:
		return f->language != NULL && strcasecmp(f->language, n->field) == 0;
	case RN_BUILTIN:
		switch (n->arg) {
		case BI_TRUE: return true;
		case BI_SCREENSHOT: return f->screenshot != NULL;
		case BI_MISMATCH: return f->mismatch;
		case BI_OPEN: return f->hours.open;
		case BI_PEAK: return f->hours.peak;
		case BI_CLOSED_DATE: return f->hours.closed_date;
		case BI_NULL_SENDER: return f->env_from == NULL || f->env_from[0] == '\0';
		default: return false;
		}
	default:
		return false;
	}
}

/* ------------------------------------------------------------ programs */

static bool is_program(const struct ruleset *rs, uint32_t nd)
{
	return rs->nodes[nd].kind >= RN_META;
}

/* Evaluates node root; -1 only if the rule set is inconsistent (a bug). */
static int eval_node(struct rules_scratch *sc, uint32_t root, bool *out)
{
	const struct ruleset *rs = sc->rs;
	*out = false;
	if (sc->res[root] == 0 && !is_program(rs, root))
		sc->res[root] = leaf(sc, root) ? 2 : 1;
	if (sc->res[root] != 0) {
		*out = sc->res[root] == 2;
		return 0;
	}
	size_t nf = 0, sp = 0;
	sc->frames[nf].node = root;
	sc->frames[nf++].pc = rs->nodes[root].code_off;
	while (nf > 0) {
		struct frame *fr = &sc->frames[nf - 1];
		const struct rop *op = &rs->ops[fr->pc];
		switch (op->kind) {
		case OP_PUSH: {
			uint8_t r = sc->res[op->arg];
			if (r == 0 && is_program(rs, op->arg)) {
				/* Suspend here; the PUSH runs again once the
				 * operand's frame has stored its result. */
				if (nf >= rs->n_nodes)
					return -1;
				sc->frames[nf].node = op->arg;
				sc->frames[nf++].pc = rs->nodes[op->arg].code_off;
				continue;
			}
			if (r == 0)
				r = sc->res[op->arg] = leaf(sc, op->arg) ? 2 : 1;
			if (sp >= sc->stack_cap)
				return -1;
			sc->stack[sp++] = r == 2;
			fr->pc++;
			break;
		}
		case OP_NOT:
			if (sp == 0)
				return -1;
			sc->stack[sp - 1] ^= 1;
			fr->pc++;
			break;
		case OP_AND_SKIP:
		case OP_OR_SKIP:
			if (sp == 0)
				return -1;
			if ((sc->stack[sp - 1] != 0) == (op->kind == OP_OR_SKIP)) {
				fr->pc = op->arg;
			} else {
				sp--;
				fr->pc++;
			}
			break;
		case OP_END:
			if (sp == 0)
				return -1;
			sc->res[fr->node] = sc->stack[--sp] ? 2 : 1;
			nf--;
			break;
		default:
			return -1;
		}
	}
	*out = sc->res[root] == 2;
	return 0;
}

static const char *label(const char *want, const char *other, const char *id)
{
	return want != NULL ? want : other != NULL ? other : id;
}

int rules_eval(const struct ruleset *rs, struct rules_scratch *sc,
               const struct facts *f, struct verdict *out)
{
	verdict_init(out);
	if (rs == NULL)
		return 0;
	if (sc == NULL || sc->rs != rs || f == NULL)
		return -1;
	memset(sc->res, 0, rs->n_nodes);
	buf_reset(&sc->all);
	sc->all_built = false;
	sc->utf_subject = sc->utf_body = sc->utf_own = sc->utf_all = -1;
	sc->match_errors = 0;
	sc->match_error_rule = NULL;
	sc->f = f;
	sc->pf_skips = 0;
	for (int i = 0; i < PF_TEXTS; i++) {
		pf_scan_reset(sc->pf[i]);
		pf_scan_trim(sc->pf[i]);
	}

	int rc = 0;
	bool v;
	for (size_t i = 0; i < rs->n_items; i++) {
		const struct ritem *it = &rs->items[i];
		rc |= eval_node(sc, it->missing, &v);
		if (v && out->n_missing < VERDICT_MAX_ITEMS) {
			struct verdict_item *m = &out->missing[out->n_missing++];
			m->id = it->id;
			m->label_da = label(it->label_da, it->label_en, it->id);
			m->label_en = label(it->label_en, it->label_da, it->id);
			m->required = it->required;
		}
	}
	for (size_t i = 0; i < rs->n_cats; i++) {
		const struct rcat *c = &rs->cats[i];
		rc |= eval_node(sc, c->node, &v);
		if (v && out->n_categories < VERDICT_MAX_CATEGORIES) {
			struct verdict_category *vc = &out->categories[out->n_categories++];
			vc->id = c->id;
			vc->out_of_scope = c->out_of_scope;
			vc->explain_da = c->label_da;
			vc->explain_en = c->label_en;
		}
	}
	rc |= eval_node(sc, rs->out_of_scope, &out->out_of_scope);
	for (size_t i = 0; i < rs->n_prios; i++) {
		rc |= eval_node(sc, rs->prios[i].node, &v);
		if (v) {
			out->priority = rs->prios[i].priority;
			break;
		}
	}
	rc |= eval_node(sc, rs->autoreply, &out->autoreply_wanted);
	for (uint32_t i = 0; i < rs->n_nodes && rc == 0; i++) {
		if (!rs->nodes[i].is_rule)
			continue;
		rc |= eval_node(sc, i, &v);
		if (!v || !rs->nodes[i].visible)
			continue;
		if (out->n_fired < VERDICT_MAX_FIRED)
			out->fired[out->n_fired++] = rs->nodes[i].name;
		else
			out->fired_truncated = true;
	}
	out->match_errors = sc->match_errors;
	out->match_error_rule = sc->match_error_rule;
	out->rules_ran = rc == 0;
	return rc == 0 ? 0 : -1;
}
