/*
 * rules_int.h: the inside of a rule set, shared by rules_parse.c (which
 * builds it), rules_link.c (which resolves names, synthesizes the item and
 * scope nodes and rejects cycles) and rules_eval.c (which reads it).
 * Nothing outside the rules module includes this file.
 *
 * Everything a message can be asked about is a node: the tests (header,
 * subject, body, own, attach, envelope, flag), the metas, the built-ins
 * (screenshot, open, ...), and the nodes the engine makes from items and
 * categories (present(ID), applies(ID), missing(ID), category(ID),
 * out_of_scope, required_missing) and from the anonymous expressions of
 * present/applies/priority/autoreply lines.  A node either tests the facts
 * directly (a leaf) or runs a small boolean program (code) whose operands
 * are other nodes.  The node graph is acyclic (checked at load time), so
 * evaluation memoises one tri-state per node and needs at most one frame
 * per node.
 */
#ifndef SM_RULES_INT_H
#define SM_RULES_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "rules.h"
#include "verdict.h"

/* Load-time limits; they are part of the language's contract (rules(5)). */
#define RULES_MAX_LINE       65536u   /* one logical line, continuations joined */
#define RULES_MAX_FILE       (8u << 20) /* one file */
#define RULES_MAX_FILES      1000u
#define RULES_MAX_NODES      200000u
#define RULES_MAX_NAME       100u     /* rule names and item/category ids */
#define RULES_MAX_NESTING    64u      /* parentheses in one expression */
#define RULES_MAX_ERRORS     1000u    /* then "too many errors" and stop */
#define RULES_MAX_ITEMS      VERDICT_MAX_ITEMS
#define RULES_MAX_CATEGORIES VERDICT_MAX_CATEGORIES

#define RULES_NONE UINT32_MAX

enum rnode_kind {
	/* leaves: they read the facts */
	RN_HEADER = 0,   /* field (NULL = ALL), regex, neg; or exists */
	RN_SUBJECT,
	RN_BODY,
	RN_OWN,
	RN_ATTACH,       /* conds[cond_off .. cond_off + cond_n) */
	RN_ENVELOPE,     /* arg: ENV_FROM / ENV_RCPT */
	RN_FLAG,         /* arg: mask of enum facts_flag */
	RN_BUILTIN,      /* arg: enum rules_builtin */
	RN_LANGUAGE,     /* language(xx): field holds "xx" */
	/* programs */
	RN_META,
	RN_EXPR,         /* anonymous: a present/applies/priority/autoreply line */
	RN_PRESENT,      /* item's present lines OR'd; false when none */
	RN_APPLIES,      /* item's applies lines OR'd; true when none */
	RN_MISSING,      /* applies && !present */
	RN_CATEGORY,
	RN_OUT_OF_SCOPE, /* any out-of-scope category */
	RN_REQUIRED_MISSING, /* any required item missing */
	RN_AUTOREPLY,    /* autoreply lines OR'd; default required_missing || out_of_scope */
};

enum rules_builtin {
	BI_TRUE = 0, BI_FALSE, BI_SCREENSHOT, BI_MISMATCH, BI_OPEN, BI_PEAK,
	BI_CLOSED_DATE, BI_NULL_SENDER, BI_COUNT
};

enum { ENV_FROM = 0, ENV_RCPT = 1 };

/* Program ops.  && and || short-circuit: AND_SKIP jumps to arg (leaving
 * the false on the stack) when the top is false, otherwise pops it. */
enum rop_kind { OP_PUSH = 0, OP_PUSH_REF, OP_NOT, OP_AND_SKIP, OP_OR_SKIP, OP_END };

struct rop {
	uint32_t kind;   /* enum rop_kind */
	uint32_t arg;    /* OP_PUSH: node; OP_PUSH_REF: ref; *_SKIP: absolute op index */
};

/* A name used in an expression, resolved after every file is read. */
enum rref_kind {
	REF_RULE = 0, REF_PRESENT, REF_APPLIES, REF_MISSING, REF_CATEGORY,
	REF_DESCRIBE     /* not in an expression: a describe line (text) */
};

struct rref {
	char *name;
	char *text;      /* REF_DESCRIBE */
	uint32_t kind;   /* enum rref_kind */
	uint32_t file;
	uint32_t line;
	uint32_t col;
};

enum acond_what {
	AC_DETECTED = 0, AC_DECLARED, AC_NAME,   /* regex */
	AC_WIDTH, AC_HEIGHT, AC_SIZE,            /* number */
	AC_INLINE, AC_IMAGE, AC_MISMATCH, AC_FORWARDED, AC_SCREENSHOT /* boolean */
};

enum acond_cmp { CMP_LT = 0, CMP_LE, CMP_GT, CMP_GE, CMP_EQ, CMP_NE };

struct acond {
	uint8_t what;    /* enum acond_what */
	uint8_t neg;     /* !~, or !boolean */
	uint8_t cmp;     /* enum acond_cmp */
	uint32_t re;
	uint64_t num;
};

struct rnode {
	uint8_t kind;    /* enum rnode_kind */
	uint8_t neg;     /* !~ */
	uint8_t exists;  /* header exists:FIELD */
	uint8_t is_rule; /* a named test or meta: goes to the fired list */
	uint8_t visible; /* is_rule and the name does not start with "__" */
	uint32_t arg;
	uint32_t re;     /* regex index, RULES_NONE when none */
	uint32_t cond_off, cond_n;
	uint32_t code_off, code_len;
	uint32_t file, line;
	char *name;      /* rules: NAME; synthesized: "missing(user)" ... */
	char *field;     /* header name (NULL = ALL), or language */
	char *describe;
};

struct ritem {
	char *id;
	bool required;
	char *label_da, *label_en;
	uint32_t file, line;
	uint32_t present, applies, missing;     /* nodes */
	uint32_t *present_expr, *applies_expr;  /* RN_EXPR nodes of its lines */
	size_t n_present, n_applies, cap_present, cap_applies;
};

struct rcat {
	char *id;
	bool out_of_scope;
	char *label_da, *label_en;
	uint32_t file, line;
	uint32_t node;   /* RN_CATEGORY */
};

struct rprio {
	enum priority priority;
	uint32_t node;   /* RN_EXPR */
};

struct rmap;

struct ruleset {
	struct rnode *nodes;
	size_t n_nodes, cap_nodes;
	struct rop *ops;
	size_t n_ops, cap_ops;
	struct rref *refs;            /* load time only */
	size_t n_refs, cap_refs;
	pcre2_code **re;
	size_t n_re, cap_re;
	struct prefilter *pf;         /* required literals of body/own/subject regexes */
	struct acond *conds;
	size_t n_conds, cap_conds;
	struct ritem items[RULES_MAX_ITEMS];
	size_t n_items;
	struct rcat cats[RULES_MAX_CATEGORIES];
	size_t n_cats;
	struct rprio *prios;
	size_t n_prios, cap_prios;
	uint32_t *autoreply_expr;     /* RN_EXPR nodes of autoreply lines */
	size_t n_autoreply, cap_autoreply;
	char **files;                 /* names as used in messages */
	size_t n_files;
	struct rmap *names;           /* rule name -> node (load time only) */
	struct rmap *ids;             /* item/category id -> (index | CAT_BIT) */
	uint32_t builtin[BI_COUNT];
	uint32_t out_of_scope, required_missing, autoreply;
	size_t n_rules;               /* tests and metas */
	unsigned long match_limit;    /* from rules_options */
	uint64_t hash;
	char hash_hex[13];
	bool failed;                  /* allocation failure while loading */
	/* Idle evaluation scratches for reuse (rules_eval.c): the one mutable
	 * part of a loaded rule set, behind its own lock. */
	struct rules_scratch_pool *pool;
};

struct rules_scratch_pool *rules_pool_new(void);
/* Frees the pool and the scratches in it. */
void rules_pool_free(struct rules_scratch_pool *pool);

#define RULES_ID_CAT 0x80000000u

/* ------------------------------------------------------------ loading */

struct diag;

/* Load-time state: where we are, and how many errors so far. */
struct loader {
	struct ruleset *rs;
	struct diag *d;
	uint32_t file;
	uint32_t line;
	const char *text;    /* the logical line being parsed */
	unsigned errors;
	bool stopped;        /* too many errors: the rest is skipped */
};

/* Reports "file:line: message" for the current line (rules_parse.c). */
void rules_error(struct loader *ld, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* s[0..n) cut to at most 48 bytes on a UTF-8 boundary, for quoting. */
int rules_qlen(const char *s, size_t n);

static inline unsigned rules_col(const struct loader *ld, const char *p)
{
	return (unsigned)(p - ld->text) + 1;
}

static inline bool is_ws(char c)
{
	return c == ' ' || c == '\t';
}

static inline const char *skip_ws(const char *p)
{
	while (is_ws(*p))
		p++;
	return p;
}

static inline size_t word_len(const char *p)
{
	size_t n = 0;
	while (p[n] != '\0' && !is_ws(p[n]))
		n++;
	return n;
}

static inline bool is_name_start(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static inline bool is_name_char(char c)
{
	return is_name_start(c) || (c >= '0' && c <= '9');
}

static inline bool is_id_char(char c)
{
	return is_name_char(c) || c == '-' || c == '.';
}

static inline bool word_is(const char *p, size_t n, const char *w)
{
	return strlen(w) == n && memcmp(p, w, n) == 0;
}

/* rules_load.c: growing the rule set */
int rules_grow(void **p, size_t *cap, size_t need, size_t size);
uint32_t rules_add_node(struct ruleset *rs, uint8_t kind, uint32_t file, uint32_t line);
int rules_add_op(struct ruleset *rs, uint32_t kind, uint32_t arg);
int rules_append_u32(struct ruleset *rs, uint32_t **arr, size_t *n, size_t *cap, uint32_t v);
char *rules_strdup(struct ruleset *rs, const char *s);
char *rules_strndup(struct ruleset *rs, const char *s, size_t n);
/* Compiles p[0..n) (PCRE2 options opts; \d is [0-9], see rules_load.c) and
 * JIT-compiles it; its index, or RULES_NONE with PCRE2's message in err
 * and the offset in *erroff (or rs->failed set on OOM). */
uint32_t rules_add_regex(struct ruleset *rs, const char *p, size_t n, uint32_t opts,
                         char *err, size_t errsz, size_t *erroff);

/* rules_map (rules_load.c): small open-addressing string map. */
struct rmap *rmap_new(void);
void rmap_free(struct rmap *m);
/* 0 added, 1 already present (*old set), -1 OOM. */
int rmap_put(struct rmap *m, const char *key, uint32_t val, uint32_t *old);
bool rmap_get(const struct rmap *m, const char *key, uint32_t *val);

/* rules_parse.c: parses one file's text line by line. */
void rules_parse_text(struct loader *ld, const char *text, size_t len);

/* rules_expr.c: the expression compiler and the linker. */
bool rules_is_reserved(const char *p, size_t n);
/* A name used at p (NULL: no column), resolved by rules_link. */
uint32_t rules_add_ref(struct loader *ld, uint32_t kind, const char *name, size_t n, const char *at);
/* Compiles the expression at p into node's code; false after reporting
 * (the code is then "false", so linking still sees a valid program). */
bool rules_compile_expr(struct loader *ld, const char *p, uint32_t node);
/* Resolves names, synthesizes item/scope/autoreply code, rejects cycles.
 * Reports at most budget errors; returns the number of errors. */
unsigned rules_link(struct ruleset *rs, struct diag *d, unsigned budget);

/* rules_eval.c: is s[0..n) valid UTF-8 (no overlongs, surrogates or code
 * points past U+10FFFF)? */
bool rules_utf8_valid(const char *s, size_t n);

/* rules_eval.c, for tests: with on false the scratch runs every regex
 * (no prefilter) until it goes back to the pool; the number of regex
 * tests the prefilter answered in the last rules_eval. */
void rules_scratch_set_prefilter(struct rules_scratch *sc, bool on);
unsigned rules_scratch_prefilter_skips(const struct rules_scratch *sc);

#endif
