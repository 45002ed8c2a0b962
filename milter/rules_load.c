/*
 * rules_load: the rules module's entry points for loading — a directory
 * of *.rules files (strcmp name order; hidden files and other names are
 * ignored), one file, or a buffer — and the rule set's memory: growing
 * its arrays while parsing, the name maps, the version hash, freeing.
 *
 * A missing or unreadable directory is an error (no rule set); an empty
 * one gives an empty rule set and a warning.  Files are read whole, each
 * at most RULES_MAX_FILE bytes.  The hash is FNV-1a 64 over each file's
 * base name, length and contents in load order, shown as 12 hex digits.
 * Any error, including running out of memory, frees everything and
 * returns NULL; nothing half-built escapes.
 */
#include "autoconfig.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "diag.h"
#include "prefilter.h"
#include "rules_int.h"

/* ------------------------------------------------------------ building */

int rules_grow(void **p, size_t *cap, size_t need, size_t size)
{
	if (need <= *cap)
		return 0;
	size_t n = *cap ? *cap * 2 : 16;
	while (n < need)
		n *= 2;
	void *q = realloc(*p, n * size);
	if (q == NULL)
		return -1;
	*p = q;
	*cap = n;
	return 0;
}

uint32_t rules_add_node(struct ruleset *rs, uint8_t kind, uint32_t file, uint32_t line)
{
	if (rs->n_nodes >= RULES_MAX_NODES ||
	    rules_grow((void **)&rs->nodes, &rs->cap_nodes, rs->n_nodes + 1, sizeof(*rs->nodes)) < 0) {
		rs->failed = true;
		return RULES_NONE;
	}
	struct rnode *n = &rs->nodes[rs->n_nodes];
	memset(n, 0, sizeof(*n));
	n->kind = kind;
	n->re = RULES_NONE;
	n->file = file;
	n->line = line;
	return (uint32_t)rs->n_nodes++;
}

int rules_add_op(struct ruleset *rs, uint32_t kind, uint32_t arg)
{
	if (rs->n_ops >= UINT32_MAX / 2 ||
	    rules_grow((void **)&rs->ops, &rs->cap_ops, rs->n_ops + 1, sizeof(*rs->ops)) < 0) {
		rs->failed = true;
		return -1;
	}
	rs->ops[rs->n_ops].kind = kind;
	rs->ops[rs->n_ops].arg = arg;
	rs->n_ops++;
	return 0;
}

char *rules_strdup(struct ruleset *rs, const char *s)
{
	char *p = strdup(s);
	if (p == NULL)
		rs->failed = true;
	return p;
}

char *rules_strndup(struct ruleset *rs, const char *s, size_t n)
{
	char *p = strndup(s, n);
	if (p == NULL)
		rs->failed = true;
	return p;
}

int rules_append_u32(struct ruleset *rs, uint32_t **arr, size_t *n, size_t *cap, uint32_t v)
{
	if (rules_grow((void **)arr, cap, *n + 1, sizeof(**arr)) < 0) {
		rs->failed = true;
		return -1;
	}
	(*arr)[(*n)++] = v;
	return 0;
}

/* ------------------------------------------------------------ regexes */

/* Rewrites two escapes that PCRE2_UCP makes slow when they lead a
 * pattern (PCRE2 then cannot skip ahead to a possible start and tries a
 * full match at every character: about five times the cost):
 *   \d, \D  become [0-9], [^0-9]: ASCII digits, which is what mail rules
 *           mean (PCRE2 10.43 has this as PCRE2_EXTRA_ASCII_BSD; Debian 12
 *           ships 10.42);
 *   \s, \S  become the explicit class of the same characters UCP gives
 *           them (HT LF VT FF CR, NEL, and the Unicode spaces).
 * Inside a class the members are inserted; \D and \S inside a class stay.
 * Other escapes are copied in pairs (\cX in threes); \Q...\E, (?#...)
 * and, with the x flag, # comments are copied untouched.  NULL — use the
 * pattern as written — when there is nothing to rewrite, when an inline
 * (?x) makes comments ambiguous, when the scan ends inside a class, or on
 * OOM; and if the rewritten pattern does not compile, the original runs. */
#define UCP_SPACES "\\t\\n\\v\\f\\r \\x{85}\\x{a0}\\x{1680}\\x{180e}\\x{2000}-\\x{200a}" \
                   "\\x{2028}\\x{2029}\\x{202f}\\x{205f}\\x{3000}"

static const char *class_rewrite(char e, bool in_class)
{
	switch (e) {
	case 'd': return in_class ? "0-9" : "[0-9]";
	case 'D': return in_class ? NULL : "[^0-9]";
	case 's': return in_class ? UCP_SPACES : "[" UCP_SPACES "]";
	case 'S': return in_class ? NULL : "[^" UCP_SPACES "]";
	default: return NULL;
	}
}

static char *fast_classes(const char *p, size_t n, bool extended, size_t *outlen)
{
	bool any = false;
	for (size_t i = 0; i + 1 < n; i++) {
		if (p[i] == '\\' && p[i + 1] != '\0' && strchr("dDsS", p[i + 1]) != NULL)
			any = true;
		/* An inline (?x) would turn # into a comment mid-pattern: rather
		 * than guess where, leave such a pattern as written. */
		if (p[i] == '(' && p[i + 1] == '?') {
			size_t k = i + 2;
			while (k < n && (p[k] == '-' || p[k] == '^' || (p[k] >= 'a' && p[k] <= 'z')))
				if (p[k++] == 'x')
					return NULL;
		}
	}
	if (!any)
		return NULL;
	struct buf out;
	buf_init(&out, n * 50 + 16);
	size_t i = 0;
	bool in_class = false, quoted = false;
	while (i < n) {
		char c = p[i];
		size_t k = 1;
		if (quoted) {
			if (c == '\\' && i + 1 < n && p[i + 1] == 'E') {
				quoted = false;
				k = 2;
			}
		} else if (c == '\\' && i + 1 < n) {
			const char *rep = class_rewrite(p[i + 1], in_class);
			if (rep != NULL) {
				buf_append(&out, rep, strlen(rep));
				i += 2;
				continue;
			}
			quoted = p[i + 1] == 'Q';
			k = p[i + 1] == 'c' && i + 2 < n ? 3 : 2;   /* \cX: X is literal */
		} else if (in_class) {
			if (c == '[' && i + 1 < n && p[i + 1] == ':') {
				/* Only a whole "[:name:]" or "[:^name:]" is one
				 * member; otherwise, as for PCRE2, "[" is a plain
				 * member and the next "]" ends the class. */
				size_t e = i + 2;
				if (e < n && p[e] == '^')
					e++;
				while (e < n && ((p[e] >= 'a' && p[e] <= 'z') || (p[e] >= 'A' && p[e] <= 'Z')))
					e++;
				k = e + 1 < n && p[e] == ':' && p[e + 1] == ']' ? e + 2 - i : 1;
			} else {
				in_class = c != ']';
			}
		} else if (c == '[') {
			/* "[]...]" and "[^]...]" start with a literal ']'. */
			if (i + k < n && p[i + k] == '^')
				k++;
			if (i + k < n && p[i + k] == ']')
				k++;
			in_class = true;
		} else if ((c == '#' && extended) ||
		           (c == '(' && i + 2 < n && p[i + 1] == '?' && p[i + 2] == '#')) {
			const char *end = memchr(p + i, c == '#' ? '\n' : ')', n - i);
			k = end != NULL ? (size_t)(end - (p + i)) + 1 : n - i;
		}
		buf_append(&out, p + i, k);
		i += k;
	}
	if (out.failed || out.truncated || in_class) {
		buf_free(&out);
		return NULL;
	}
	*outlen = out.len;
	return buf_steal(&out);
}

static pcre2_code *compile(const char *p, size_t n, uint32_t opts, char *err, size_t errsz,
                           size_t *erroff)
{
	int ec;
	PCRE2_SIZE off;
	pcre2_code *code = pcre2_compile((PCRE2_SPTR)p, n, opts, &ec, &off, NULL);
	if (code == NULL && err != NULL) {
		if (pcre2_get_error_message(ec, (PCRE2_UCHAR *)err, errsz) < 0)
			snprintf(err, errsz, "error %d", ec);
		*erroff = (size_t)off;
	}
	return code;
}

uint32_t rules_add_regex(struct ruleset *rs, const char *p, size_t n, uint32_t opts,
                         char *err, size_t errsz, size_t *erroff)
{
	/* The pattern as written is compiled first, so that error offsets
	 * are the admin's; the rewritten one is what runs. */
	pcre2_code *code = compile(p, n, opts, err, errsz, erroff);
	if (code == NULL)
		return RULES_NONE;
	size_t alen;
	char *alt = fast_classes(p, n, (opts & PCRE2_EXTENDED) != 0, &alen);
	if (alt != NULL) {
		pcre2_code *c2 = compile(alt, alen, opts, NULL, 0, NULL);
		free(alt);
		if (c2 != NULL) {
			pcre2_code_free(code);
			code = c2;
		}
	}
	/* JIT is an optimisation: without it (no JIT support in the library,
	 * no executable memory) the interpreter runs the same pattern. */
	(void)pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
	if (rules_grow((void **)&rs->re, &rs->cap_re, rs->n_re + 1, sizeof(*rs->re)) < 0) {
		pcre2_code_free(code);
		rs->failed = true;
		return RULES_NONE;
	}
	rs->re[rs->n_re] = code;
	/* The literals come from the pattern as written: the rewrite has
	 * the same matches.  Failing here only leaves the regex unfiltered. */
	prefilter_add(rs->pf, (uint32_t)rs->n_re, p, n, opts);
	return (uint32_t)rs->n_re++;
}

/* ------------------------------------------------------------ map */

/* Open addressing, linear probing, at most half full.  Keys are copied. */
struct rmap {
	char **keys;
	uint32_t *vals;
	size_t cap, n;
};

static size_t rmap_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ull;
	}
	return (size_t)(h ^ (h >> 32));
}

struct rmap *rmap_new(void)
{
	struct rmap *m = calloc(1, sizeof(*m));
	if (m == NULL)
		return NULL;
	m->cap = 64;
	m->keys = calloc(m->cap, sizeof(*m->keys));
	m->vals = calloc(m->cap, sizeof(*m->vals));
	if (m->keys == NULL || m->vals == NULL) {
		rmap_free(m);
		return NULL;
	}
	return m;
}

void rmap_free(struct rmap *m)
{
	if (m == NULL)
		return;
	if (m->keys != NULL)
		for (size_t i = 0; i < m->cap; i++)
			free(m->keys[i]);
	free(m->keys);
	free(m->vals);
	free(m);
}

static size_t rmap_slot(const struct rmap *m, const char *key)
{
	size_t i = rmap_hash(key) & (m->cap - 1);
	while (m->keys[i] != NULL && strcmp(m->keys[i], key) != 0)
		i = (i + 1) & (m->cap - 1);
	return i;
}

static int rmap_rehash(struct rmap *m)
{
	struct rmap big = { .cap = m->cap * 2 };
	big.keys = calloc(big.cap, sizeof(*big.keys));
	big.vals = calloc(big.cap, sizeof(*big.vals));
	if (big.keys == NULL || big.vals == NULL) {
		free(big.keys);
		free(big.vals);
		return -1;
	}
	for (size_t i = 0; i < m->cap; i++) {
		if (m->keys[i] == NULL)
			continue;
		size_t j = rmap_slot(&big, m->keys[i]);
		big.keys[j] = m->keys[i];
		big.vals[j] = m->vals[i];
	}
	free(m->keys);
	free(m->vals);
	m->keys = big.keys;
	m->vals = big.vals;
	m->cap = big.cap;
	return 0;
}

int rmap_put(struct rmap *m, const char *key, uint32_t val, uint32_t *old)
{
	if ((m->n + 1) * 2 > m->cap && rmap_rehash(m) < 0)
		return -1;
	size_t i = rmap_slot(m, key);
	if (m->keys[i] != NULL) {
		*old = m->vals[i];
		return 1;
	}
	if ((m->keys[i] = strdup(key)) == NULL)
		return -1;
	m->vals[i] = val;
	m->n++;
	return 0;
}

bool rmap_get(const struct rmap *m, const char *key, uint32_t *val)
{
	if (m == NULL)
		return false;
	size_t i = rmap_slot(m, key);
	if (m->keys[i] == NULL)
		return false;
	*val = m->vals[i];
	return true;
}

/* ------------------------------------------------------------ files */

static const char *const builtin_names[BI_COUNT] = {
	[BI_TRUE] = "true", [BI_FALSE] = "false", [BI_SCREENSHOT] = "screenshot",
	[BI_MISMATCH] = "mismatch", [BI_OPEN] = "open", [BI_PEAK] = "peak",
	[BI_CLOSED_DATE] = "closed_date", [BI_NULL_SENDER] = "null_sender",
};

static uint32_t named_node(struct ruleset *rs, uint8_t kind, const char *name)
{
	uint32_t nd = rules_add_node(rs, kind, 0, 0);
	if (nd != RULES_NONE)
		rs->nodes[nd].name = rules_strdup(rs, name);
	return nd;
}

static struct ruleset *rs_new(const struct rules_options *opt)
{
	struct ruleset *rs = calloc(1, sizeof(*rs));
	if (rs == NULL)
		return NULL;
	rs->names = rmap_new();
	rs->ids = rmap_new();
	rs->pool = rules_pool_new();
	rs->pf = prefilter_new();
	if (rs->names == NULL || rs->ids == NULL || rs->pool == NULL || rs->pf == NULL)
		rs->failed = true;
	for (unsigned i = 0; i < BI_COUNT; i++) {
		rs->builtin[i] = named_node(rs, RN_BUILTIN, builtin_names[i]);
		if (rs->builtin[i] != RULES_NONE)
			rs->nodes[rs->builtin[i]].arg = i;
	}
	rs->out_of_scope = named_node(rs, RN_OUT_OF_SCOPE, "out_of_scope");
	rs->required_missing = named_node(rs, RN_REQUIRED_MISSING, "required_missing");
	rs->autoreply = named_node(rs, RN_AUTOREPLY, "autoreply");
	rs->match_limit = opt != NULL ? opt->match_limit : 0;
	rs->hash = 0xcbf29ce484222325ull;   /* FNV-1a 64 offset basis */
	if (rs->failed) {
		rules_free(rs);
		return NULL;
	}
	return rs;
}

static void hash_bytes(struct ruleset *rs, const void *p, size_t n)
{
	const unsigned char *s = p;
	uint64_t h = rs->hash;
	for (size_t i = 0; i < n; i++) {
		h ^= s[i];
		h *= 0x100000001b3ull;
	}
	rs->hash = h;
}

/* The hash covers each file's base name and contents, in load order, so
 * that the same rules installed elsewhere give the same version. */
static void hash_file(struct ruleset *rs, const char *path, const char *text, size_t len)
{
	const char *base = strrchr(path, '/');
	base = base != NULL ? base + 1 : path;
	unsigned char lenbytes[8];
	for (int i = 0; i < 8; i++)
		lenbytes[i] = (unsigned char)((uint64_t)len >> (8 * i));
	hash_bytes(rs, base, strlen(base) + 1);
	hash_bytes(rs, lenbytes, sizeof(lenbytes));
	hash_bytes(rs, text, len);
}

static bool add_file(struct loader *ld, const char *name)
{
	struct ruleset *rs = ld->rs;
	if (rs->n_files >= RULES_MAX_FILES) {
		diag_error(ld->d, name, 0, "too many rules files (at most %u)", RULES_MAX_FILES);
		ld->errors++;
		return false;
	}
	char **f = realloc(rs->files, (rs->n_files + 1) * sizeof(*f));
	if (f == NULL) {
		rs->failed = true;
		return false;
	}
	rs->files = f;
	if ((f[rs->n_files] = rules_strdup(rs, name)) == NULL)
		return false;
	ld->file = (uint32_t)rs->n_files++;
	return true;
}

static struct ruleset *finish(struct loader *ld)
{
	struct ruleset *rs = ld->rs;
	if (!rs->failed && !ld->stopped)
		ld->errors += rules_link(rs, ld->d, RULES_MAX_ERRORS - ld->errors);
	if (rs->failed) {
		diag_error(ld->d, NULL, 0, "out of memory while loading rules");
		ld->errors++;
	}
	if (ld->errors > 0) {
		rules_free(rs);
		return NULL;
	}
	for (size_t i = 0; i < rs->n_refs; i++) {
		free(rs->refs[i].name);
		free(rs->refs[i].text);
	}
	free(rs->refs);
	rs->refs = NULL;
	rs->n_refs = rs->cap_refs = 0;
	/* Only the long texts are prefiltered: header, envelope and
	 * attachment strings are short, and their regexes always run. */
	for (size_t i = 0; i < rs->n_nodes; i++) {
		const struct rnode *nd = &rs->nodes[i];
		if ((nd->kind == RN_BODY || nd->kind == RN_OWN || nd->kind == RN_SUBJECT) &&
		    nd->re != RULES_NONE)
			prefilter_use(rs->pf, nd->re);
	}
	prefilter_build(rs->pf);
	snprintf(rs->hash_hex, sizeof(rs->hash_hex), "%012llx",
	         (unsigned long long)(rs->hash & 0xffffffffffffull));
	return rs;
}

/* Reads a whole regular file of at most RULES_MAX_FILE bytes. */
static char *read_file(const char *path, size_t *len, struct loader *ld)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	char *data = NULL;
	const char *why = NULL;
	if (fd < 0 || fstat(fd, &st) < 0) {
		why = strerror(errno);
	} else if (!S_ISREG(st.st_mode)) {
		why = "not a regular file";
	} else if ((uintmax_t)st.st_size > RULES_MAX_FILE) {
		diag_error(ld->d, path, 0, "file larger than %u bytes", RULES_MAX_FILE);
		ld->errors++;
	} else if ((data = malloc((size_t)st.st_size + 1)) == NULL) {
		ld->rs->failed = true;
	} else {
		size_t got = 0;
		for (;;) {
			ssize_t r = read(fd, data + got, (size_t)st.st_size + 1 - got);
			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0) {
				why = strerror(errno);
				break;
			}
			if (r == 0)
				break;
			got += (size_t)r;
			if (got > (size_t)st.st_size) {
				why = "file changed while being read";
				break;
			}
		}
		if (why != NULL) {
			free(data);
			data = NULL;
		} else {
			data[got] = '\0';
			*len = got;
		}
	}
	if (why != NULL) {
		diag_error(ld->d, path, 0, "cannot read: %s", why);
		ld->errors++;
	}
	if (fd >= 0)
		close(fd);
	return data;
}

static void load_one(struct loader *ld, const char *path)
{
	size_t len = 0;
	char *text = read_file(path, &len, ld);
	if (text == NULL)
		return;
	if (add_file(ld, path)) {
		hash_file(ld->rs, path, text, len);
		rules_parse_text(ld, text, len);
	}
	free(text);
}

struct ruleset *rules_load_buffer(const char *name, const char *text, size_t len,
                                  const struct rules_options *opt, struct diag *d)
{
	struct loader ld = { .d = d, .rs = rs_new(opt) };
	if (ld.rs == NULL) {
		diag_error(d, name, 0, "out of memory while loading rules");
		return NULL;
	}
	if (add_file(&ld, name)) {
		hash_file(ld.rs, name, text, len);
		rules_parse_text(&ld, text, len);
	}
	return finish(&ld);
}

struct ruleset *rules_load_file(const char *path, const struct rules_options *opt, struct diag *d)
{
	struct loader ld = { .d = d, .rs = rs_new(opt) };
	if (ld.rs == NULL) {
		diag_error(d, path, 0, "out of memory while loading rules");
		return NULL;
	}
	load_one(&ld, path);
	return finish(&ld);
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool is_rules_file(const char *name)
{
	size_t n = strlen(name);
	return name[0] != '.' && n > 6 && strcmp(name + n - 6, ".rules") == 0;
}

struct ruleset *rules_load_dir(const char *dir, const struct rules_options *opt, struct diag *d)
{
	DIR *dp = opendir(dir);
	if (dp == NULL) {
		diag_error(d, dir, 0, "cannot open rules directory: %s", strerror(errno));
		return NULL;
	}
	struct loader ld = { .d = d, .rs = rs_new(opt) };
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	while (ld.rs != NULL && (de = readdir(dp)) != NULL) {
		if (!is_rules_file(de->d_name))
			continue;
		char *s = strdup(de->d_name);
		if (s == NULL || rules_grow((void **)&names, &cap, n + 1, sizeof(*names)) < 0) {
			free(s);
			ld.rs->failed = true;
			break;
		}
		names[n++] = s;
	}
	closedir(dp);
	if (ld.rs == NULL) {
		diag_error(d, dir, 0, "out of memory while loading rules");
		return NULL;
	}
	if (n > 1)
		qsort(names, n, sizeof(*names), cmp_names);
	if (n == 0 && !ld.rs->failed)
		diag_warning(d, dir, 0, "no *.rules files: the rule set is empty");
	for (size_t i = 0; i < n && !ld.stopped && !ld.rs->failed; i++) {
		size_t plen = strlen(dir) + strlen(names[i]) + 2;
		char *path = malloc(plen);
		if (path == NULL) {
			ld.rs->failed = true;
			break;
		}
		snprintf(path, plen, "%s/%s", dir, names[i]);
		load_one(&ld, path);
		free(path);
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return finish(&ld);
}

void rules_free(struct ruleset *rs)
{
	if (rs == NULL)
		return;
	for (size_t i = 0; i < rs->n_nodes; i++) {
		free(rs->nodes[i].name);
		free(rs->nodes[i].field);
		free(rs->nodes[i].describe);
	}
	free(rs->nodes);
	free(rs->ops);
	for (size_t i = 0; i < rs->n_refs; i++) {
		free(rs->refs[i].name);
		free(rs->refs[i].text);
	}
	free(rs->refs);
	for (size_t i = 0; i < rs->n_re; i++)
		pcre2_code_free(rs->re[i]);
	free(rs->re);
	prefilter_free(rs->pf);
	free(rs->conds);
	for (size_t i = 0; i < rs->n_items; i++) {
		free(rs->items[i].id);
		free(rs->items[i].label_da);
		free(rs->items[i].label_en);
		free(rs->items[i].present_expr);
		free(rs->items[i].applies_expr);
	}
	for (size_t i = 0; i < rs->n_cats; i++) {
		free(rs->cats[i].id);
		free(rs->cats[i].label_da);
		free(rs->cats[i].label_en);
	}
	free(rs->prios);
	free(rs->autoreply_expr);
	for (size_t i = 0; i < rs->n_files; i++)
		free(rs->files[i]);
	free(rs->files);
	rmap_free(rs->names);
	rmap_free(rs->ids);
	rules_pool_free(rs->pool);
	free(rs);
}

size_t rules_count(const struct ruleset *rs)
{
	return rs != NULL ? rs->n_rules : 0;
}

const char *rules_hash(const struct ruleset *rs)
{
	return rs != NULL ? rs->hash_hex : "-";
}

const char *rules_describe(const struct ruleset *rs, const char *name)
{
	uint32_t nd;
	if (rs == NULL || name == NULL || !rmap_get(rs->names, name, &nd))
		return NULL;
	return rs->nodes[nd].describe;
}

