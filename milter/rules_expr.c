/*
 * rules_expr: boolean expressions (meta, present, applies, category,
 * priority and autoreply lines) and the linker.
 *
 * The compiler turns "A && !(B || category(x))" into a short program for
 * rules_eval.c: operands are pushed, && and || jump over the rest of
 * their chain once the answer is known.  It recurses only on '(' and
 * stops at RULES_MAX_NESTING.  Rule names may be used before they are
 * defined; they are resolved by rules_link() once every file is read,
 * which also builds the programs of the item, scope and autoreply nodes
 * and rejects cycles (an iterative depth-first search, so a long chain of
 * metas cannot exhaust the stack), reporting each as
 * "meta cycle: A -> B -> A" at the line of its first rule.
 */
#include "autoconfig.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "rules_int.h"

/* Built-in operand names, and the names of the functions. */
static const struct {
	const char *name;
	int builtin;          /* enum rules_builtin, or -1 */
} builtins[] = {
	{ "true", BI_TRUE }, { "false", BI_FALSE },
	{ "screenshot", BI_SCREENSHOT }, { "mismatch", BI_MISMATCH },
	{ "open", BI_OPEN }, { "peak", BI_PEAK }, { "closed_date", BI_CLOSED_DATE },
	{ "null_sender", BI_NULL_SENDER },
	{ "out_of_scope", -1 }, { "required_missing", -1 },
	{ "present", -1 }, { "applies", -1 }, { "missing", -1 },
	{ "category", -1 }, { "language", -1 },
};

bool rules_is_reserved(const char *p, size_t n)
{
	for (size_t i = 0; i < sizeof(builtins) / sizeof(builtins[0]); i++)
		if (word_is(p, n, builtins[i].name))
			return true;
	return false;
}

uint32_t rules_add_ref(struct loader *ld, uint32_t kind, const char *name, size_t n, const char *at)
{
	struct ruleset *rs = ld->rs;
	if (rules_grow((void **)&rs->refs, &rs->cap_refs, rs->n_refs + 1, sizeof(*rs->refs)) < 0) {
		rs->failed = true;
		return RULES_NONE;
	}
	struct rref *r = &rs->refs[rs->n_refs];
	memset(r, 0, sizeof(*r));
	r->name = rules_strndup(rs, name, n);
	if (r->name == NULL)
		return RULES_NONE;
	r->kind = kind;
	r->file = ld->file;
	r->line = ld->line;
	r->col = at != NULL ? rules_col(ld, at) : 0;
	return (uint32_t)rs->n_refs++;
}

/* ------------------------------------------------------------ expressions */

struct xp {
	struct loader *ld;
	const char *p;
	unsigned depth;
	bool err;
};

static void xp_fail(struct xp *x, const char *what, const char *at)
{
	if (x->err)
		return;
	x->err = true;
	if (*at == '\0')
		rules_error(x->ld, "%s at end of line", what);
	else
		rules_error(x->ld, "%s at column %u", what, rules_col(x->ld, at));
}

static void xp_op(struct xp *x, uint32_t kind, uint32_t arg)
{
	if (rules_add_op(x->ld->rs, kind, arg) < 0)
		x->err = true;
}

static void x_or(struct xp *x);

static void x_primary(struct xp *x)
{
	struct ruleset *rs = x->ld->rs;
	const char *p = skip_ws(x->p);
	if (*p == '(') {
		if (++x->depth > RULES_MAX_NESTING) {
			xp_fail(x, "expression nested too deeply", p);
			return;
		}
		x->p = p + 1;
		x_or(x);
		if (x->err)
			return;
		p = skip_ws(x->p);
		if (*p != ')') {
			xp_fail(x, "expected ')'", p);
			return;
		}
		x->depth--;
		x->p = p + 1;
		return;
	}
	if (!is_name_start(*p)) {
		xp_fail(x, "expected a rule name, '!' or '('", p);
		return;
	}
	const char *name = p;
	size_t n = 0;
	while (is_name_char(name[n]))
		n++;
	p = name + n;
	x->p = p;
	static const struct { const char *name; uint32_t ref; } funcs[] = {
		{ "present", REF_PRESENT }, { "applies", REF_APPLIES },
		{ "missing", REF_MISSING }, { "category", REF_CATEGORY },
		{ "language", RULES_NONE },
	};
	for (size_t i = 0; i < sizeof(funcs) / sizeof(funcs[0]); i++) {
		if (!word_is(name, n, funcs[i].name))
			continue;
		const char *q = skip_ws(p);
		if (*q != '(') {
			xp_fail(x, "expected '('", q);
			return;
		}
		q = skip_ws(q + 1);
		const char *id = q;
		size_t idn = 0;
		while (is_id_char(id[idn]))
			idn++;
		if (idn == 0) {
			xp_fail(x, "expected an id", id);
			return;
		}
		q = skip_ws(id + idn);
		if (*q != ')') {
			xp_fail(x, "expected ')'", q);
			return;
		}
		x->p = q + 1;
		if (funcs[i].ref == RULES_NONE) {
			if (!(idn == 2 && ((id[0] == 'd' && id[1] == 'a') ||
			                   (id[0] == 'e' && id[1] == 'n')))) {
				xp_fail(x, "language() takes da or en", id);
				return;
			}
			uint32_t nd = rules_add_node(rs, RN_LANGUAGE, x->ld->file, x->ld->line);
			if (nd == RULES_NONE || (rs->nodes[nd].field = rules_strndup(rs, id, 2)) == NULL) {
				x->err = true;
				return;
			}
			xp_op(x, OP_PUSH, nd);
			return;
		}
		uint32_t r = rules_add_ref(x->ld, funcs[i].ref, id, idn, id);
		if (r == RULES_NONE) {
			x->err = true;
			return;
		}
		xp_op(x, OP_PUSH_REF, r);
		return;
	}
	for (size_t i = 0; i < sizeof(builtins) / sizeof(builtins[0]); i++) {
		if (!word_is(name, n, builtins[i].name))
			continue;
		uint32_t nd = builtins[i].builtin >= 0 ? rs->builtin[builtins[i].builtin]
		            : word_is(name, n, "out_of_scope") ? rs->out_of_scope
		            : rs->required_missing;
		xp_op(x, OP_PUSH, nd);
		return;
	}
	uint32_t r = rules_add_ref(x->ld, REF_RULE, name, n, name);
	if (r == RULES_NONE) {
		x->err = true;
		return;
	}
	xp_op(x, OP_PUSH_REF, r);
}

static void x_unary(struct xp *x)
{
	unsigned nots = 0;
	const char *p = skip_ws(x->p);
	while (*p == '!') {
		nots++;
		p = skip_ws(p + 1);
	}
	x->p = p;
	x_primary(x);
	if (!x->err && (nots & 1))
		xp_op(x, OP_NOT, 0);
}

/* Operands of one && or || chain; every skip jumps to the chain's end.
 * The pending skips are linked through their arg until patched. */
static void x_chain(struct xp *x, const char *tok, uint32_t kind, void (*operand)(struct xp *))
{
	struct ruleset *rs = x->ld->rs;
	uint32_t pending = RULES_NONE;
	operand(x);
	while (!x->err) {
		const char *p = skip_ws(x->p);
		if (p[0] != tok[0] || p[1] != tok[1])
			break;
		uint32_t at = (uint32_t)rs->n_ops;
		xp_op(x, kind, pending);
		if (x->err)
			return;
		pending = at;
		x->p = p + 2;
		operand(x);
	}
	if (x->err)
		return;
	uint32_t end = (uint32_t)rs->n_ops;
	while (pending != RULES_NONE) {
		uint32_t next = rs->ops[pending].arg;
		rs->ops[pending].arg = end;
		pending = next;
	}
}

static void x_and(struct xp *x)
{
	x_chain(x, "&&", OP_AND_SKIP, x_unary);
}

static void x_or(struct xp *x)
{
	x_chain(x, "||", OP_OR_SKIP, x_and);
}

/* Compiles the expression at p into node's code.  On error the code is
 * replaced by "false" so that linking still sees a well-formed program. */
bool rules_compile_expr(struct loader *ld, const char *p, uint32_t node)
{
	struct ruleset *rs = ld->rs;
	if (node == RULES_NONE)
		return false;
	size_t start = rs->n_ops;
	struct xp x = { .ld = ld, .p = p };
	if (*skip_ws(p) == '\0')
		xp_fail(&x, "expected an expression", skip_ws(p));
	else
		x_or(&x);
	if (!x.err) {
		const char *q = skip_ws(x.p);
		if (*q == ')')
			xp_fail(&x, "unbalanced ')'", q);
		else if (*q != '\0')
			xp_fail(&x, "expected '&&', '||' or end of expression", q);
	}
	if (!x.err)
		xp_op(&x, OP_END, 0);
	if (x.err) {
		rs->n_ops = start;
		if (rules_add_op(rs, OP_PUSH, rs->builtin[BI_FALSE]) < 0 ||
		    rules_add_op(rs, OP_END, 0) < 0)
			return false;
	}
	rs->nodes[node].code_off = (uint32_t)start;
	rs->nodes[node].code_len = (uint32_t)(rs->n_ops - start);
	return !x.err;
}

/* ------------------------------------------------------------ linking */

struct linker {
	struct ruleset *rs;
	struct diag *d;
	unsigned errors, budget;
};

static void kerr(struct linker *k, uint32_t file, uint32_t line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void kerr(struct linker *k, uint32_t file, uint32_t line, const char *fmt, ...)
{
	const char *fname = k->rs->n_files > 0 ? k->rs->files[file] : NULL;
	if (k->errors < k->budget) {
		char msg[1024];
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
		diag_error(k->d, fname, line, "%s", msg);
	} else if (k->errors == k->budget) {
		diag_error(k->d, fname, line, "too many errors; stopping");
	}
	k->errors++;
}

/* The node an expression operand names, or RULES_NONE after reporting. */
static uint32_t resolve(struct linker *k, const struct rref *r)
{
	struct ruleset *rs = k->rs;
	uint32_t v;
	if (r->kind == REF_RULE) {
		if (rmap_get(rs->names, r->name, &v))
			return v;
		kerr(k, r->file, r->line, "undefined rule '%s' at column %u", r->name, r->col);
		return RULES_NONE;
	}
	bool want_cat = r->kind == REF_CATEGORY;
	if (!rmap_get(rs->ids, r->name, &v)) {
		kerr(k, r->file, r->line, "unknown %s '%s' at column %u",
		     want_cat ? "category" : "item", r->name, r->col);
		return RULES_NONE;
	}
	bool is_cat = (v & RULES_ID_CAT) != 0;
	if (is_cat != want_cat) {
		kerr(k, r->file, r->line, "'%s' is %s, not %s, at column %u", r->name,
		     is_cat ? "a category" : "an item", want_cat ? "a category" : "an item", r->col);
		return RULES_NONE;
	}
	if (is_cat)
		return rs->cats[v & ~RULES_ID_CAT].node;
	const struct ritem *it = &rs->items[v];
	return r->kind == REF_PRESENT ? it->present : r->kind == REF_APPLIES ? it->applies : it->missing;
}

static void resolve_all(struct linker *k)
{
	struct ruleset *rs = k->rs;
	for (size_t i = 0; i < rs->n_ops; i++) {
		if (rs->ops[i].kind != OP_PUSH_REF)
			continue;
		uint32_t nd = resolve(k, &rs->refs[rs->ops[i].arg]);
		rs->ops[i].kind = OP_PUSH;
		rs->ops[i].arg = nd != RULES_NONE ? nd : rs->builtin[BI_FALSE];
	}
	for (size_t i = 0; i < rs->n_refs; i++) {
		struct rref *r = &rs->refs[i];
		if (r->kind != REF_DESCRIBE)
			continue;
		uint32_t nd;
		if (!rmap_get(rs->names, r->name, &nd))
			kerr(k, r->file, r->line, "describe for undefined rule '%s'", r->name);
		else if (rs->nodes[nd].describe != NULL)
			kerr(k, r->file, r->line, "duplicate describe for '%s'", r->name);
		else {
			rs->nodes[nd].describe = r->text;
			r->text = NULL;
		}
	}
}

/* node := list[0] || list[1] || ... (dflt when the list is empty). */
static void emit_or(struct ruleset *rs, uint32_t node, const uint32_t *list, size_t n,
                    uint32_t dflt)
{
	if (node == RULES_NONE)
		return;
	uint32_t off = (uint32_t)rs->n_ops;
	uint32_t end = n == 0 ? off + 1 : off + 2 * (uint32_t)n - 1;
	if (n == 0)
		rules_add_op(rs, OP_PUSH, dflt);
	for (size_t i = 0; i < n; i++) {
		rules_add_op(rs, OP_PUSH, list[i]);
		if (i + 1 < n)
			rules_add_op(rs, OP_OR_SKIP, end);
	}
	rules_add_op(rs, OP_END, 0);
	rs->nodes[node].code_off = off;
	rs->nodes[node].code_len = (uint32_t)rs->n_ops - off;
}

static void synthesize(struct linker *k)
{
	struct ruleset *rs = k->rs;
	uint32_t list[RULES_MAX_ITEMS > RULES_MAX_CATEGORIES ? RULES_MAX_ITEMS : RULES_MAX_CATEGORIES];
	size_t n = 0;
	for (size_t i = 0; i < rs->n_items; i++) {
		struct ritem *it = &rs->items[i];
		const char *f = rs->files[it->file];
		emit_or(rs, it->present, it->present_expr, it->n_present, rs->builtin[BI_FALSE]);
		emit_or(rs, it->applies, it->applies_expr, it->n_applies, rs->builtin[BI_TRUE]);
		if (it->missing != RULES_NONE) {
			uint32_t off = (uint32_t)rs->n_ops;
			rules_add_op(rs, OP_PUSH, it->applies);
			rules_add_op(rs, OP_AND_SKIP, off + 4);
			rules_add_op(rs, OP_PUSH, it->present);
			rules_add_op(rs, OP_NOT, 0);
			rules_add_op(rs, OP_END, 0);
			rs->nodes[it->missing].code_off = off;
			rs->nodes[it->missing].code_len = 5;
		}
		if (it->required)
			list[n++] = it->missing;
		if (it->n_present == 0)
			diag_warning(k->d, f, it->line, "item '%s' has no present line: it is always missing", it->id);
		if (it->label_da == NULL || it->label_en == NULL)
			diag_warning(k->d, f, it->line, "item '%s' has no %s label", it->id,
			             it->label_da == NULL && it->label_en == NULL ? "da or en"
			             : it->label_da == NULL ? "da" : "en");
	}
	emit_or(rs, rs->required_missing, list, n, rs->builtin[BI_FALSE]);
	n = 0;
	for (size_t i = 0; i < rs->n_cats; i++)
		if (rs->cats[i].out_of_scope)
			list[n++] = rs->cats[i].node;
	emit_or(rs, rs->out_of_scope, list, n, rs->builtin[BI_FALSE]);
	if (rs->n_autoreply > 0) {
		emit_or(rs, rs->autoreply, rs->autoreply_expr, rs->n_autoreply, rs->builtin[BI_FALSE]);
	} else {
		uint32_t dflt[2] = { rs->required_missing, rs->out_of_scope };
		emit_or(rs, rs->autoreply, dflt, 2, rs->builtin[BI_FALSE]);
	}
}

static bool is_program(const struct ruleset *rs, uint32_t nd)
{
	return rs->nodes[nd].kind >= RN_META;
}

/* Reports the cycle stk[from..sp) -> stk[from], starting the path and
 * placing the message at the first node in it that holds an expression
 * line (a meta, category, present, applies ... line); anonymous lines are
 * left out of the path (their item is in it). */
static void report_cycle(struct linker *k, const uint32_t *stk, size_t from, size_t sp)
{
	struct ruleset *rs = k->rs;
	size_t n = sp - from, a = 0;
	for (size_t i = 0; i < n; i++) {
		uint8_t kind = rs->nodes[stk[from + i]].kind;
		if (kind == RN_META || kind == RN_EXPR || kind == RN_CATEGORY) {
			a = i;
			break;
		}
	}
	char path[900];
	size_t len = 0;
	const char *first = NULL;
	for (size_t i = 0; i <= n && len < sizeof(path); i++) {
		const char *name = i < n ? rs->nodes[stk[from + (a + i) % n]].name : first;
		if (name == NULL)
			continue;
		if (first == NULL)
			first = name;
		int w = snprintf(path + len, sizeof(path) - len, "%s%s", len > 0 ? " -> " : "", name);
		if (w < 0)
			break;
		len += (size_t)w;
	}
	if (len >= sizeof(path))
		memcpy(path + sizeof(path) - 4, "...", 4);
	const struct rnode *at = &rs->nodes[stk[from + a]];
	kerr(k, at->file, at->line, "meta cycle: %s", path);
}

/* Depth-first search with an explicit stack (node, next op). */
static void find_cycles(struct linker *k)
{
	struct ruleset *rs = k->rs;
	uint8_t *color = calloc(rs->n_nodes, 1);
	uint32_t *stk = malloc(rs->n_nodes * sizeof(*stk));
	uint32_t *pc = malloc(rs->n_nodes * sizeof(*pc));
	if (color == NULL || stk == NULL || pc == NULL) {
		rs->failed = true;
		goto out;
	}
	for (uint32_t s = 0; s < rs->n_nodes; s++) {
		if (color[s] != 0 || !is_program(rs, s))
			continue;
		size_t sp = 0;
		stk[sp] = s;
		pc[sp++] = rs->nodes[s].code_off;
		color[s] = 1;
		while (sp > 0) {
			size_t t = sp - 1;
			uint32_t end = rs->nodes[stk[t]].code_off + rs->nodes[stk[t]].code_len;
			bool descended = false;
			while (pc[t] < end && !descended) {
				const struct rop *op = &rs->ops[pc[t]++];
				if (op->kind != OP_PUSH || !is_program(rs, op->arg))
					continue;
				uint32_t w = op->arg;
				if (color[w] == 0) {
					color[w] = 1;
					stk[sp] = w;
					pc[sp++] = rs->nodes[w].code_off;
					descended = true;
				} else if (color[w] == 1) {
					size_t from = 0;
					while (stk[from] != w)
						from++;
					report_cycle(k, stk, from, sp);
				}
			}
			if (!descended) {
				color[stk[t]] = 2;
				sp--;
			}
		}
	}
out:
	free(color);
	free(stk);
	free(pc);
}

unsigned rules_link(struct ruleset *rs, struct diag *d, unsigned budget)
{
	struct linker k = { .rs = rs, .d = d, .budget = budget };
	resolve_all(&k);
	synthesize(&k);
	if (!rs->failed)
		find_cycles(&k);
	return k.errors;
}
