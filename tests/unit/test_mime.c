/*
 * Tests for mime.c.  A recording callback set serialises every event to a
 * string (one line per event, a leaf's data joined and escaped), and
 * checks the protocol as it goes: part_begin/part_end balance, part_data
 * only inside a leaf.  Every mail is also fed in chunks of 1, 2, 3, 7,
 * 64, 4096 and 65535 bytes: the serialisation must not change.  The
 * golden mails in tests/data/mime (NAME.eml + NAME.ref) and the shared
 * corpora (when ../shared exists) go through the same checks.
 */
#include "autoconfig.h"

#include <check.h>
#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"
#include "mime.h"

#define REC_MAX (8u << 20)
#define OPEN_MAX 4096

struct rec {
	struct buf out;
	struct buf data;       /* the current leaf's data, until the next event */
	size_t data_total;     /* all part_data bytes */
	unsigned nbegin, nend, nheader;
	size_t open;
	bool leaf[OPEN_MAX];   /* per open part: a leaf? */
	bool bad;
	char why[160];
};

static void rec_fail(struct rec *r, const char *why)
{
	if (!r->bad)
		snprintf(r->why, sizeof(r->why), "%s", why);
	r->bad = true;
}

static void esc(struct buf *b, const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = p[i];
		if (c == '\n')
			buf_append(b, "\\n", 2);
		else if (c == '\r')
			buf_append(b, "\\r", 2);
		else if (c == '\t')
			buf_append(b, "\\t", 2);
		else if (c == '\\' || c == '"')
			buf_printf(b, "\\%c", c);
		else if (c < ' ' || c >= 127)
			buf_printf(b, "\\x%02x", c);
		else
			buf_putc(b, (char)c);
	}
}

static void rec_flush_data(struct rec *r)
{
	if (r->data.len == 0)
		return;
	buf_putc(&r->out, '"');
	esc(&r->out, (const unsigned char *)r->data.data, r->data.len);
	buf_append(&r->out, "\"\n", 2);
	buf_reset(&r->data);
}

static void rec_header(void *ctx, unsigned depth, bool in_message, const char *name,
                       const char *value, size_t value_len)
{
	struct rec *r = ctx;
	rec_flush_data(r);
	r->nheader++;
	buf_printf(&r->out, "H%u%s %s: ", depth, in_message ? "m" : "", name);
	esc(&r->out, (const unsigned char *)value, value_len);
	buf_putc(&r->out, '\n');
	if (value[value_len] != '\0')
		rec_fail(r, "header value not NUL-terminated");
}

static void rec_begin(void *ctx, const struct mime_part_info *pi)
{
	struct rec *r = ctx;
	rec_flush_data(r);
	if (r->open > 0 && r->open <= OPEN_MAX && r->leaf[r->open - 1])
		rec_fail(r, "part_begin inside a leaf");
	if (pi->content_type == NULL) {
		rec_fail(r, "content_type NULL");
		return;
	}
	if (pi->is_multipart && pi->is_message)
		rec_fail(r, "multipart and message");
	if (pi->index != r->nbegin)
		rec_fail(r, "index is not the running number");
	if (pi->depth != r->open)
		rec_fail(r, "depth is not the nesting level");
	if ((pi->depth == 0) != (pi->parent_type == NULL))
		rec_fail(r, "parent_type NULL exactly at the top");
	if (r->open < OPEN_MAX)
		r->leaf[r->open] = !pi->is_multipart && !pi->is_message;
	r->open++;
	r->nbegin++;
	struct buf *b = &r->out;
	buf_printf(b, "B%u #%u %s", pi->depth, pi->index, pi->content_type);
	if (!pi->type_declared)
		buf_append(b, " (default)", 10);
	if (pi->declared_type != NULL && strcmp(pi->declared_type, pi->content_type) != 0)
		buf_printf(b, " decl=%s", pi->declared_type);
	if (pi->charset != NULL)
		buf_printf(b, " cs=%s", pi->charset);
	if (pi->encoding != NULL)
		buf_printf(b, " enc=%s", pi->encoding);
	if (pi->filename != NULL)
		buf_printf(b, " fn=%s", pi->filename);
	if (pi->disposition != NULL)
		buf_printf(b, " disp=%s", pi->disposition);
	if (pi->content_id != NULL)
		buf_printf(b, " cid=%s", pi->content_id);
	if (pi->parent_type != NULL)
		buf_printf(b, " par=%s s%u", pi->parent_type, pi->sibling_index);
	if (pi->is_multipart)
		buf_append(b, " MP", 3);
	if (pi->is_message)
		buf_append(b, " MSG", 4);
	if (pi->in_message)
		buf_append(b, " inmsg", 6);
	buf_putc(b, '\n');
}

static void rec_data(void *ctx, const unsigned char *p, size_t n)
{
	struct rec *r = ctx;
	if (r->open == 0 || (r->open <= OPEN_MAX && !r->leaf[r->open - 1]))
		rec_fail(r, "part_data outside a leaf");
	if (n == 0)
		rec_fail(r, "empty part_data");
	r->data_total += n;
	buf_append(&r->data, p, n);
}

static void rec_end(void *ctx)
{
	struct rec *r = ctx;
	rec_flush_data(r);
	if (r->open == 0) {
		rec_fail(r, "part_end without part_begin");
		return;
	}
	r->open--;
	r->nend++;
	buf_append(&r->out, "E\n", 2);
}

static const struct mime_callbacks rec_cb = {
	.header = rec_header,
	.part_begin = rec_begin,
	.part_data = rec_data,
	.part_end = rec_end,
};

static const struct mime_limits lim_default = {
	.max_header_size = 4096,
	.max_line = 1000,
	.max_depth = 20,
	.max_parts = 200,
};

/* Top-level header splitter, as the MTA would hand the fields: folded
 * values keep their line breaks.  Returns the offset of the body. */
static size_t feed_headers(struct mime_parser *mp, const char *m, size_t len)
{
	size_t i = 0;
	struct buf name, value;
	buf_init(&name, 1000);
	buf_init(&value, 1u << 20);
	bool have = false;
	while (i < len) {
		const char *lf = memchr(m + i, '\n', len - i);
		size_t e = lf != NULL ? (size_t)(lf - m) : len;
		size_t next = lf != NULL ? e + 1 : len;
		size_t l = e - i;
		if (l > 0 && m[i + l - 1] == '\r')
			l--;
		if (l == 0) {
			i = next;
			break;
		}
		if ((m[i] == ' ' || m[i] == '\t') && have) {
			/* folded: the value keeps its line break, as sent */
			if (l < e - i)
				buf_append(&value, "\r\n", 2);
			else
				buf_putc(&value, '\n');
			buf_append(&value, m + i, l);
		} else {
			if (have)
				mime_header(mp, buf_cstr(&name), buf_cstr(&value));
			have = false;
			const char *colon = memchr(m + i, ':', l);
			if (colon != NULL) {
				buf_reset(&name);
				buf_reset(&value);
				buf_append(&name, m + i, (size_t)(colon - (m + i)));
				size_t v = (size_t)(colon - m) + 1;
				while (v < i + l && m[v] == ' ')
					v++;
				buf_append(&value, m + v, i + l - v);
				have = true;
			}
		}
		i = next;
	}
	if (have)
		mime_header(mp, buf_cstr(&name), buf_cstr(&value));
	buf_free(&name);
	buf_free(&value);
	return i;
}

struct result {
	char *events;
	unsigned flags;
	unsigned nbegin, nend;
	size_t data_total;
	bool bad;
	char why[160];
};

static void result_free(struct result *res)
{
	free(res->events);
	res->events = NULL;
}

/* Runs one mail; chunk 0 = the body in one piece. */
static void run(const char *m, size_t len, size_t chunk, const struct mime_limits *lim,
                struct result *res)
{
	struct rec *r = calloc(1, sizeof(*r));
	ck_assert_ptr_nonnull(r);
	buf_init(&r->out, REC_MAX);
	buf_init(&r->data, REC_MAX);
	struct mime_parser *mp = mime_new(lim, &rec_cb, r);
	ck_assert_ptr_nonnull(mp);
	size_t at = feed_headers(mp, m, len);
	mime_end_headers(mp);
	if (chunk == 0)
		chunk = len - at + 1;
	while (at < len) {
		size_t k = len - at < chunk ? len - at : chunk;
		mime_feed(mp, (const unsigned char *)m + at, k);
		at += k;
	}
	mime_finish(mp);
	res->flags = mime_flags(mp);
	mime_free(mp);
	rec_flush_data(r);
	buf_printf(&r->out, "F%02x\n", res->flags);
	if (r->open != 0)
		rec_fail(r, "part_begin without part_end");
	res->events = buf_steal(&r->out);
	res->nbegin = r->nbegin;
	res->nend = r->nend;
	res->data_total = r->data_total;
	res->bad = r->bad;
	memcpy(res->why, r->why, sizeof(res->why));
	buf_free(&r->data);
	free(r);
}

static const size_t chunks[] = { 1, 2, 3, 7, 64, 4096, 65535 };

/* The events of the whole-body run, after checking that every chunking
 * gives the same.  Caller frees. */
static char *events_all_chunks(const char *label, const char *m, size_t len,
                               const struct mime_limits *lim, unsigned *flags)
{
	struct result whole = { 0 };
	run(m, len, 0, lim, &whole);
	ck_assert_msg(!whole.bad, "%s: %s", label, whole.why);
	for (size_t c = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++) {
		struct result part = { 0 };
		run(m, len, chunks[c], lim, &part);
		ck_assert_msg(!part.bad, "%s chunk %zu: %s", label, chunks[c], part.why);
		ck_assert_msg(strcmp(whole.events, part.events) == 0,
		              "%s: chunk %zu differs:\n%s\n--- whole:\n%s", label, chunks[c],
		              part.events, whole.events);
		result_free(&part);
	}
	if (flags != NULL)
		*flags = whole.flags;
	return whole.events;
}

/* ------------------------------------------------------------ files */

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	struct buf b;
	buf_init(&b, 64u << 20);
	char tmp[65536];
	size_t k;
	while ((k = fread(tmp, 1, sizeof(tmp), f)) > 0)
		buf_append(&b, tmp, k);
	fclose(f);
	*len = b.len;
	char *s = buf_steal(&b);
	buf_free(&b);
	return s;
}

static bool has_suffix(const char *s, const char *suf)
{
	size_t n = strlen(s), m = strlen(suf);
	return n >= m && strcmp(s + n - m, suf) == 0;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The *.eml names in dir, sorted; NULL when dir does not exist. */
static char **list_eml(const char *dir, size_t *n)
{
	DIR *d = opendir(dir);
	*n = 0;
	if (d == NULL)
		return NULL;
	char **v = NULL;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (!has_suffix(de->d_name, ".eml"))
			continue;
		v = realloc(v, (*n + 1) * sizeof(*v));
		ck_assert_ptr_nonnull(v);
		v[(*n)++] = strdup(de->d_name);
	}
	closedir(d);
	if (*n > 0)
		qsort(v, *n, sizeof(*v), cmp_names);
	return v;
}

static void free_list(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

#define GOLDEN_DIR TEST_DATA_DIR "/mime"

/* Golden mails: NAME.eml gives the events in NAME.ref (MIME_WRITE_REF=1
 * in the environment writes the .ref files instead, for review). */
START_TEST(test_golden)
{
	size_t n;
	char **names = list_eml(GOLDEN_DIR, &n);
	ck_assert_msg(names != NULL && n >= 30, "golden mails missing in %s", GOLDEN_DIR);
	bool write = getenv("MIME_WRITE_REF") != NULL;
	for (size_t i = 0; i < n; i++) {
		char path[1024];
		snprintf(path, sizeof(path), "%s/%s", GOLDEN_DIR, names[i]);
		size_t len;
		char *m = read_file(path, &len);
		ck_assert_ptr_nonnull(m);
		char *ev = events_all_chunks(names[i], m, len, &lim_default, NULL);
		snprintf(path + strlen(path) - 4, 5, ".ref");
		if (write) {
			FILE *f = fopen(path, "w");
			ck_assert_ptr_nonnull(f);
			fputs(ev, f);
			fclose(f);
		} else {
			size_t rlen;
			char *ref = read_file(path, &rlen);
			ck_assert_msg(ref != NULL, "%s missing", path);
			ck_assert_msg(strcmp(ev, ref) == 0, "%s: got\n%s\nexpected\n%s", names[i], ev, ref);
			free(ref);
		}
		/* the same mail with CRLF line ends gives the same events
		 * (mails that already hold a CR keep binary data as sent) */
		if (memchr(m, '\r', len) == NULL) {
			struct buf b;
			buf_init(&b, 2 * len + 16);
			for (size_t k = 0; k < len; k++) {
				if (m[k] == '\n')
					buf_putc(&b, '\r');
				buf_putc(&b, m[k]);
			}
			char *ev2 = events_all_chunks(names[i], b.data, b.len, &lim_default, NULL);
			ck_assert_msg(strcmp(ev, ev2) == 0, "%s with CRLF: got\n%s\nexpected\n%s",
			              names[i], ev2, ev);
			free(ev2);
			buf_free(&b);
		}
		free(ev);
		free(m);
	}
	free_list(names, n);
}
END_TEST

/* Robustness corpora, when ../shared is there: no protocol violation,
 * same events byte by byte and in big chunks. */
static size_t run_corpus_dir(const char *dir, bool recurse)
{
	DIR *d = opendir(dir);
	if (d == NULL)
		return 0;
	size_t count = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		char path[2048];
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		struct stat st;
		if (stat(path, &st) != 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			if (recurse)
				count += run_corpus_dir(path, true);
			continue;
		}
		if (!recurse && !has_suffix(de->d_name, ".eml"))
			continue;
		size_t len;
		char *m = read_file(path, &len);
		ck_assert_ptr_nonnull(m);
		struct result a = { 0 }, b = { 0 };
		run(m, len, 1, &lim_default, &a);
		run(m, len, 65535, &lim_default, &b);
		ck_assert_msg(!a.bad && !b.bad, "%s: %s%s", path, a.why, b.why);
		ck_assert_msg(strcmp(a.events, b.events) == 0, "%s: chunking changes the events", path);
		ck_assert_uint_eq(a.nbegin, a.nend);
		ck_assert_uint_ge(a.nbegin, 1);
		result_free(&a);
		result_free(&b);
		free(m);
		count++;
	}
	closedir(d);
	return count;
}

/* ../shared next to the repository (or next to the worktrees' parent),
 * or SHARED_DIR. */
static size_t run_corpora(const char *shared)
{
	char dir[1024];
	snprintf(dir, sizeof(dir), "%s/corpus/public", shared);
	size_t n = run_corpus_dir(dir, true);
	snprintf(dir, sizeof(dir), "%s/corpus/labelled", shared);
	return n + run_corpus_dir(dir, false);
}

START_TEST(test_corpora)
{
	const char *env = getenv("SHARED_DIR");
	size_t n = env != NULL ? run_corpora(env) : 0;
	if (n == 0)
		n = run_corpora(TOP_SRCDIR "/../shared");
	if (n == 0)
		n = run_corpora(TOP_SRCDIR "/../../shared");
	if (n == 0)
		fprintf(stderr, "test_mime: no shared corpus, skipped\n");
	else
		fprintf(stderr, "test_mime: %zu corpus mails\n", n);
}
END_TEST

/* ------------------------------------------------------------ focused */

/* Runs a mail with its body fed in chunks of `chunk` (0: whole) and
 * returns the result; every case also checks the protocol. */
static struct result run_checked(const char *m, size_t len, size_t chunk,
                                 const struct mime_limits *lim)
{
	struct result r = { 0 };
	run(m, len, chunk, lim, &r);
	ck_assert_msg(!r.bad, "%s", r.why);
	ck_assert_uint_eq(r.nbegin, r.nend);
	return r;
}

/* The decoded data of leaf number idx (part index) in an event string. */
static bool leaf_data(const char *events, unsigned idx, struct buf *out)
{
	char key[32];
	snprintf(key, sizeof(key), " #%u ", idx);
	const char *b = strstr(events, key);
	if (b == NULL)
		return false;
	const char *nl = strchr(b, '\n');
	if (nl == NULL || nl[1] != '"')
		return true; /* no data */
	for (const char *s = nl + 2; *s != '\0' && !(s[0] == '"' && s[1] == '\n'); s++) {
		if (*s != '\\') {
			buf_putc(out, *s);
			continue;
		}
		s++;
		if (*s == 'n')
			buf_putc(out, '\n');
		else if (*s == 'r')
			buf_putc(out, '\r');
		else if (*s == 't')
			buf_putc(out, '\t');
		else if (*s == 'x') {
			unsigned v;
			sscanf(s + 1, "%2x", &v);
			buf_putc(out, (char)v);
			s += 2;
		} else
			buf_putc(out, *s);
	}
	return true;
}

START_TEST(test_png_decoded)
{
	size_t mlen, plen;
	char *m = read_file(GOLDEN_DIR "/03-mixed-png-base64.eml", &mlen);
	char *png = read_file(GOLDEN_DIR "/png-4x3.bin", &plen);
	ck_assert_ptr_nonnull(m);
	ck_assert_ptr_nonnull(png);
	for (size_t c = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++) {
		struct result r = run_checked(m, mlen, chunks[c], &lim_default);
		struct buf d;
		buf_init(&d, 1u << 20);
		ck_assert(leaf_data(r.events, 2, &d));
		ck_assert_uint_eq(d.len, plen);
		ck_assert(memcmp(d.data, png, plen) == 0);
		ck_assert(strstr(r.events, "B1 #2 image/png enc=base64 fn=skaermbillede.png disp=attachment") != NULL);
		buf_free(&d);
		result_free(&r);
	}
	free(m);
	free(png);
}
END_TEST

/* ------------------------------------------------------------ enough */

/* mime_part_enough: mode -1 never says it, 0 says it in every leaf's
 * part_begin, 1 after a leaf's first part_data.  Records the events
 * (without data) and each leaf's size: the sum of part_data in mode -1
 * (checked against mime_part_size), mime_part_size otherwise. */
struct erec {
	struct mime_parser *mp;
	int mode;
	struct buf ev;
	bool in_leaf, said, bad;
	uint64_t fed;
	char why[120];
};

static void erec_header(void *ctx, unsigned depth, bool in_message, const char *name,
                        const char *value, size_t value_len)
{
	struct erec *r = ctx;
	(void)value;
	buf_printf(&r->ev, "H%u%s %s %zu\n", depth, in_message ? "m" : "", name, value_len);
}

static void erec_begin(void *ctx, const struct mime_part_info *pi)
{
	struct erec *r = ctx;
	buf_printf(&r->ev, "B%u #%u %s\n", pi->depth, pi->index, pi->content_type);
	r->in_leaf = !pi->is_multipart && !pi->is_message;
	r->said = false;
	r->fed = 0;
	if (mime_part_size(r->mp) != 0 && r->in_leaf) {
		r->bad = true;
		snprintf(r->why, sizeof(r->why), "size not 0 at part_begin of #%u", pi->index);
	}
	if (r->mode == 0) {
		mime_part_enough(r->mp);
		r->said = r->in_leaf;
	}
}

static void erec_data(void *ctx, const unsigned char *p, size_t n)
{
	struct erec *r = ctx;
	(void)p;
	if (r->said) {
		r->bad = true;
		snprintf(r->why, sizeof(r->why), "part_data after mime_part_enough");
	}
	r->fed += n;
	if (r->mode == 1) {
		mime_part_enough(r->mp);
		r->said = true;
	}
}

static void erec_end(void *ctx)
{
	struct erec *r = ctx;
	if (r->in_leaf) {
		uint64_t size = mime_part_size(r->mp);
		if (r->mode < 0 && size != r->fed) {
			r->bad = true;
			snprintf(r->why, sizeof(r->why), "mime_part_size %llu, part_data %llu",
			         (unsigned long long)size, (unsigned long long)r->fed);
		}
		buf_printf(&r->ev, "size %llu\n", (unsigned long long)size);
	}
	r->in_leaf = false;
	buf_append(&r->ev, "E\n", 2);
}

static char *run_enough(const char *m, size_t len, size_t chunk, int mode,
                        const struct mime_limits *lim)
{
	static const struct mime_callbacks cb = {
		.header = erec_header,
		.part_begin = erec_begin,
		.part_data = erec_data,
		.part_end = erec_end,
	};
	struct erec r = { .mode = mode };
	buf_init(&r.ev, REC_MAX);
	r.mp = mime_new(lim, &cb, &r);
	ck_assert_ptr_nonnull(r.mp);
	size_t at = feed_headers(r.mp, m, len);
	mime_end_headers(r.mp);
	if (chunk == 0)
		chunk = len - at + 1;
	for (; at < len; at += chunk)
		mime_feed(r.mp, (const unsigned char *)m + at, len - at < chunk ? len - at : chunk);
	mime_finish(r.mp);
	buf_printf(&r.ev, "F%02x\n", mime_flags(r.mp));
	mime_free(r.mp);
	ck_assert_msg(!r.bad, "mode %d chunk %zu: %s", mode, chunk, r.why);
	return buf_steal(&r.ev);
}

static void check_enough(const char *label, const char *m, size_t len, const struct mime_limits *lim)
{
	char *want = run_enough(m, len, 0, -1, lim);
	for (int mode = -1; mode <= 1; mode++)
		for (size_t c = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++) {
			char *got = run_enough(m, len, chunks[c], mode, lim);
			ck_assert_msg(strcmp(got, want) == 0, "%s mode %d chunk %zu:\n%s\n--- want:\n%s", label,
			              mode, chunks[c], got, want);
			free(got);
		}
	free(want);
}

/* Every encoding and leaf kind, the last part left open. */
static const char enough_mail[] =
	"Content-Type: multipart/mixed; boundary=\"b\"\n\n"
	"--b\nContent-Type: image/png\nContent-Transfer-Encoding: base64\n\n"
	"iVBORw0KGgoAAAANSUhEUgAAAAQAAAADCAIAAAA7ljmRAAAAEklEQVR4nGP4z8DAwMDAwMDAAAMBAQA=\n"
	"QQ==QkM=\n*junk*\nQUJDRA\n"
	"--b\nContent-Type: text/plain; name=log.txt\nContent-Transfer-Encoding: base64\n\n"
	"bGluZTENCmxpbmUyDQpsaW5lMw0KbGFzdA0=\n"
	"--b\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
	"a=3Db=\r\nc  \r\n=ZZ tail=\r\n"
	"--b\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
	"line one\r\nline two\r\n\r\n"
	"--b\nContent-Type: application/pdf\nContent-Transfer-Encoding: base64\n\n"
	"JVBERi0xLjQK\r\nJVBERi0xLjQKJVBERi0xLjQK\r\nQUI";

/* A base64 leaf of about 40 KB (CRLF lines of 76, a '=' quantum end in
 * the middle, since concatenated bodies exist) and a quoted-printable
 * leaf of about 20 KB with escapes and soft breaks throughout. */
static char *big_binary_mail(size_t *len)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	struct buf m;
	buf_init(&m, 1 << 20);
	buf_printf(&m, "Content-Type: multipart/mixed; boundary=\"b\"\n\n"
	               "--b\r\nContent-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n\r\n");
	uint32_t x = 12345;
	for (int line = 0; line < 540; line++) {
		char l[80];
		for (int i = 0; i < 76; i++) {
			x = x * 1103515245u + 12345u;
			l[i] = b64[(x >> 16) & 63];
		}
		if (line == 270) /* two sextets and padding: one byte, then a new quantum */
			memcpy(l + 72, "QQ==", 4);
		buf_append(&m, l, 76);
		buf_append(&m, "\r\n", 2);
	}
	buf_printf(&m, "--b\r\nContent-Type: application/octet-stream\r\n"
	               "Content-Transfer-Encoding: quoted-printable\r\n\r\n");
	for (int line = 0; line < 300; line++) {
		for (int i = 0; i < 24; i++) {
			x = x * 1103515245u + 12345u;
			unsigned c = (x >> 16) & 0xff;
			if (c >= 33 && c <= 126 && c != '=')
				buf_printf(&m, "%c", (int)c);
			else
				buf_printf(&m, "=%02X", c);
		}
		buf_append(&m, line % 3 == 0 ? "=\r\n" : "\r\n", line % 3 == 0 ? 3 : 2);
	}
	buf_printf(&m, "--b--\r\n");
	*len = m.len;
	return buf_steal(&m);
}

/* mime_part_enough changes nothing but part_data: the same events, flags
 * and (mime_part_size) leaf sizes, for every chunking. */
START_TEST(test_enough)
{
	check_enough("enough_mail", enough_mail, sizeof(enough_mail) - 1, &lim_default);
	size_t n;
	char **names = list_eml(GOLDEN_DIR, &n);
	ck_assert_uint_gt(n, 0);
	for (size_t i = 0; i < n; i++) {
		size_t mlen;
		char path[1024];
		snprintf(path, sizeof(path), "%s/%s", GOLDEN_DIR, names[i]);
		char *m = read_file(path, &mlen);
		ck_assert_ptr_nonnull(m);
		check_enough(names[i], m, mlen, &lim_default);
		free(m);
	}
	free_list(names, n);
	/* Binary leaves many slices long in one piece: "enough" said in
	 * the middle of a piece switches to counting there (mime.c's
	 * LEAF_SLICE), and the sizes stay exact. */
	char *big = big_binary_mail(&n);
	check_enough("big_binary_mail", big, n, &lim_default);
	free(big);
	/* Outside a leaf and on NULL: nothing. */
	mime_part_enough(NULL);
	ck_assert_uint_eq(mime_part_size(NULL), 0);
}
END_TEST

/* A binary part keeps its bytes, CR LF included; text gets LF. */
START_TEST(test_binary_keeps_crlf)
{
	size_t mlen;
	char *m = read_file(GOLDEN_DIR "/14-crlf-binary.eml", &mlen);
	ck_assert_ptr_nonnull(m);
	struct result r = run_checked(m, mlen, 3, &lim_default);
	struct buf d;
	buf_init(&d, 4096);
	ck_assert(leaf_data(r.events, 2, &d));
	static const char want[] = "\x89PNG\r\n\x1a\n\0\0raw\nlf only";
	ck_assert_uint_eq(d.len, sizeof(want) - 1);
	ck_assert(memcmp(d.data, want, d.len) == 0);
	buf_reset(&d);
	ck_assert(leaf_data(r.events, 1, &d));
	ck_assert_str_eq(d.data, "text\nline");
	buf_free(&d);
	result_free(&r);
	free(m);
}
END_TEST

/* ------------------------------------------------------------ bulk path */

/*
 * Where only boundaries matter (a base64 or binary leaf, the preamble and
 * epilogue, parts not reported), runs of lines are handed on in bulk
 * instead of line by line.  Chunks of 1 byte mostly take the line-by-line
 * path, whole bodies mostly the bulk one, so every mail here is checked
 * for the same events in every chunking and split at every offset (a
 * boundary line or a CRLF cut anywhere), for the same sizes with and
 * without mime_part_enough, for its flags, and for the decoded bytes.
 * In the templates '@' stands for the base64 of the case's data.
 */
struct bcase {
	const char *name;
	bool crlf;        /* every "\n" of the template becomes "\r\n" */
	const char *tmpl;
	size_t raw;       /* data bytes behind '@' */
	size_t width;     /* base64 characters per line */
	size_t max_parts;
	unsigned flags;   /* expected mime_flags */
	int leaf;         /* index of a part whose data must be the raw bytes, or -1 */
};

#define T_HEAD "Subject: t\nContent-Type: multipart/mixed; boundary=\"b\"\n\n"
#define T_TEXT "--b\nContent-Type: text/plain\n\nhello\n"
#define T_PNG "--b\nContent-Type: image/png\nContent-Transfer-Encoding: base64\n\n"
#define T_MIXED T_HEAD "preamble\n" T_TEXT T_PNG "@\n--b--\nepilogue\n"

static const struct bcase bcases[] = {
	{ "LF", false, T_MIXED, 600, 76, 200, 0, 2 },
	{ "CRLF", true, T_MIXED, 600, 76, 200, 0, 2 },
	{ "CRLF, 4 KB", true, T_MIXED, 3000, 76, 200, 0, 2 },
	{ "no padding", false, T_MIXED, 601, 76, 200, 0, 2 },
	{ "dash lines in base64", false, T_HEAD T_PNG "@\n--b-\n-\n--\n@\n--b--\n", 300, 76, 200,
	  MIME_ERR_ENCODING, -1 },
	{ "boundary prefix in base64", true, T_HEAD T_PNG "@\n--bx\n@\n--b\t \n" "Content-Type: text/plain\n\nx\n--b--\n",
	  300, 76, 200, MIME_ERR_ENCODING, -1 },
	{ "padding mid-body", false, T_HEAD T_PNG "@\nQQ==\n@\n--b--\n", 301, 76, 200, 0, -1 },
	{ "junk", true, T_HEAD T_PNG "@\n*junk*\n@\n--b--\n", 300, 76, 200, MIME_ERR_ENCODING, -1 },
	{ "one long line", false, T_MIXED, 600, 100000, 200, MIME_TRUNC_LINE, 2 },
	{ "lines of max_line", false, T_MIXED, 900, 256, 200, 0, 2 },
	{ "lines of max_line, CRLF", true, T_MIXED, 900, 256, 200, 0, 2 },
	{ "lines of max_line + 1", false, T_MIXED, 900, 257, 200, MIME_TRUNC_LINE, 2 },
	{ "lines of max_line + 1, CRLF", true, T_MIXED, 900, 257, 200, MIME_TRUNC_LINE, 2 },
	{ "lines of max_line - 1, CRLF", true, T_MIXED, 900, 255, 200, 0, 2 },
	{ "inner multipart closed by the outer boundary", false,
	  T_HEAD "--b\nContent-Type: multipart/related; boundary=\"bb\"\n\n--bb\n"
	         "Content-Type: image/gif\nContent-Transfer-Encoding: base64\n\n@\n--b\n"
	         "Content-Type: text/plain\n\nx\n--b--\n",
	  400, 76, 200, MIME_ERR_BOUNDARY, 2 },
	{ "binary at the end, no closing boundary", false,
	  T_HEAD T_TEXT "--b\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: binary\n\n"
	                "bin\r\r\nary\r\n-x\n\rdata\r\n",
	  0, 76, 200, MIME_ERR_BOUNDARY, -1 },
	{ "8bit binary with dashes and CRs", false,
	  T_HEAD "--b\nContent-Type: application/octet-stream\n\nline\r\n-dash\r\n--b-not\r\n\r\n\r\rx\n"
	         "--b--\n",
	  0, 76, 200, 0, -1 },
	{ "long preamble and epilogue lines", false, T_HEAD "@\n-\n--c\n" T_PNG "@\n--b--\n@\n--\n", 600, 100000,
	  200, MIME_TRUNC_LINE, -1 },
	{ "boundary with trailing white space", true, T_HEAD T_PNG "@\n--b  \n" "Content-Type: text/plain\n\nx\n--b-- x\n",
	  500, 76, 200, 0, 1 },
	{ "single part, break at the end", false,
	  "Content-Type: image/png\nContent-Transfer-Encoding: base64\n\n@\n", 700, 76, 200, 0, 0 },
	{ "single part, no break at the end", true,
	  "Content-Type: image/png\nContent-Transfer-Encoding: base64\n\n@", 700, 76, 200, 0, 0 },
	{ "parts beyond max_parts", false, T_MIXED, 600, 76, 2, MIME_TRUNC_PARTS, -1 },
	{ "base64 text leaf", true,
	  T_HEAD "--b\nContent-Type: text/plain\nContent-Transfer-Encoding: base64\n\n@\n--b--\n", 400, 76, 200,
	  0, -1 },
	{ "quoted-printable binary leaf", false,
	  T_HEAD "--b\nContent-Type: application/pdf\nContent-Transfer-Encoding: quoted-printable\n\n"
	         "abc=3D=\n--x\n  \nend \r\n--b--\n",
	  0, 76, 200, 0, -1 },
	{ "CR before LF before the boundary in an LF mail", false, T_HEAD T_PNG "@\r\n\r\n--b\r\n\n--b--\n", 300, 76,
	  200, 0, -1 },
};

static unsigned char braw(size_t k)
{
	return (unsigned char)(k * 131 + k / 7);
}

static char *bcase_mail(const struct bcase *c, size_t *len)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	struct buf b64, m;
	buf_init(&b64, 1u << 20);
	buf_init(&m, 4u << 20);
	size_t col = 0;
	for (size_t k = 0; k < c->raw; k += 3) {
		size_t n = c->raw - k < 3 ? c->raw - k : 3;
		unsigned v = (unsigned)braw(k) << 16 | (n > 1 ? (unsigned)braw(k + 1) << 8 : 0) |
		             (n > 2 ? braw(k + 2) : 0);
		char q[4] = { alphabet[v >> 18 & 63], alphabet[v >> 12 & 63], n > 1 ? alphabet[v >> 6 & 63] : '=',
		              n > 2 ? alphabet[v & 63] : '=' };
		for (size_t j = 0; j < 4; j++) {
			if (col == c->width) {
				buf_putc(&b64, '\n');
				col = 0;
			}
			buf_putc(&b64, q[j]);
			col++;
		}
	}
	for (const char *t = c->tmpl; *t != '\0'; t++) {
		if (*t == '@')
			buf_append(&m, b64.data != NULL ? b64.data : "", b64.len);
		else
			buf_putc(&m, *t);
	}
	buf_free(&b64);
	if (c->crlf) {
		struct buf x;
		buf_init(&x, 8u << 20);
		for (size_t k = 0; k < m.len; k++) {
			if (m.data[k] == '\n')
				buf_putc(&x, '\r');
			buf_putc(&x, m.data[k]);
		}
		buf_free(&m);
		m = x;
	}
	*len = m.len;
	return buf_steal(&m);
}

/* Events for the body fed in two pieces, cut at body offset `cut`. */
static char *run_split(const char *m, size_t len, size_t cut, const struct mime_limits *lim)
{
	struct rec *r = calloc(1, sizeof(*r));
	ck_assert_ptr_nonnull(r);
	buf_init(&r->out, REC_MAX);
	buf_init(&r->data, REC_MAX);
	struct mime_parser *mp = mime_new(lim, &rec_cb, r);
	ck_assert_ptr_nonnull(mp);
	size_t at = feed_headers(mp, m, len);
	mime_end_headers(mp);
	size_t k = len - at < cut ? len - at : cut;
	mime_feed(mp, (const unsigned char *)m + at, k);
	mime_feed(mp, (const unsigned char *)m + at + k, len - at - k);
	mime_finish(mp);
	rec_flush_data(r);
	buf_printf(&r->out, "F%02x\n", mime_flags(mp));
	mime_free(mp);
	ck_assert_msg(!r->bad, "cut %zu: %s", cut, r->why);
	char *ev = buf_steal(&r->out);
	buf_free(&r->data);
	free(r);
	return ev;
}

START_TEST(test_bulk)
{
	const struct bcase *c = &bcases[_i];
	const struct mime_limits lim = {
		.max_header_size = 4096,
		.max_line = MIME_LINE_MIN,
		.max_depth = 20,
		.max_parts = c->max_parts,
	};
	ck_assert_uint_eq(MIME_LINE_MIN, 256); /* the widths above are about it */
	size_t len;
	char *m = bcase_mail(c, &len);
	unsigned flags;
	char *ev = events_all_chunks(c->name, m, len, &lim, &flags);
	ck_assert_msg(flags == c->flags, "%s: flags %02x, want %02x", c->name, flags, c->flags);
	for (size_t cut = 0; cut <= len; cut++) {
		char *got = run_split(m, len, cut, &lim);
		size_t d = 0;
		while (got[d] != '\0' && got[d] == ev[d])
			d++;
		ck_assert_msg(got[d] == ev[d], "%s: cut at %zu differs at event byte %zu: \"%.60s\" vs \"%.60s\"",
		              c->name, cut, d, got + d, ev + d);
		free(got);
	}
	check_enough(c->name, m, len, &lim);
	if (c->leaf >= 0) {
		struct buf d;
		buf_init(&d, 1u << 20);
		ck_assert(leaf_data(ev, (unsigned)c->leaf, &d));
		ck_assert_msg(d.len == c->raw, "%s: %zu bytes decoded, want %zu", c->name, d.len, c->raw);
		for (size_t k = 0; k < c->raw; k++)
			ck_assert_msg((unsigned char)d.data[k] == braw(k), "%s: byte %zu differs", c->name, k);
		buf_free(&d);
	}
	free(ev);
	free(m);
}
END_TEST

static char *nested_multiparts(size_t levels, bool close)
{
	struct buf b;
	buf_init(&b, 64u << 20);
	buf_printf(&b, "Subject: deep\nContent-Type: multipart/mixed; boundary=b0\n\n");
	for (size_t i = 0; i < levels; i++)
		buf_printf(&b, "--b%zu\nContent-Type: multipart/mixed; boundary=b%zu\n\n", i, i + 1);
	buf_printf(&b, "--b%zu\nContent-Type: text/plain\n\ndeepest\n", levels);
	if (close)
		for (size_t i = levels + 1; i-- > 0;)
			buf_printf(&b, "--b%zu--\n", i);
	return buf_steal(&b);
}

START_TEST(test_depth_limit)
{
	static const size_t depths[] = { 0, 1, 5, 20 };
	for (size_t close = 0; close <= 1; close++) {
		char *m = nested_multiparts(1000, close);
		for (size_t d = 0; d < sizeof(depths) / sizeof(depths[0]); d++) {
			struct mime_limits lim = lim_default;
			lim.max_depth = depths[d];
			for (size_t c = 0; c < 2; c++) {
				struct result r = run_checked(m, strlen(m), c == 0 ? 0 : 7, &lim);
				/* containers at depth 0..max_depth-1, then one opaque leaf */
				ck_assert_uint_eq(r.nbegin, depths[d] + 1);
				ck_assert(r.flags & MIME_TRUNC_DEPTH);
				/* at max_depth 0 there is no multipart to leave open */
				ck_assert_uint_eq(!!(r.flags & MIME_ERR_BOUNDARY), !close && depths[d] > 0);
				char want[64];
				snprintf(want, sizeof(want), "B%zu #%zu application/octet-stream decl=multipart/mixed",
				         depths[d], depths[d]);
				ck_assert_msg(strstr(r.events, want) != NULL, "%s", r.events);
				result_free(&r);
			}
		}
		/* deep enough for all of it: every level a part */
		struct mime_limits lim = lim_default;
		lim.max_depth = 2000;
		lim.max_parts = 5000;
		struct result r = run_checked(m, strlen(m), 64, &lim);
		ck_assert_uint_eq(r.nbegin, 1002);
		ck_assert_uint_eq(r.flags & MIME_TRUNC_DEPTH, 0);
		ck_assert_uint_eq(!!(r.flags & MIME_ERR_BOUNDARY), !close);
		result_free(&r);
		free(m);
	}
}
END_TEST

START_TEST(test_depth_rfc822)
{
	struct buf b;
	buf_init(&b, 1u << 20);
	buf_printf(&b, "Subject: 0\nContent-Type: message/rfc822\n\n");
	for (int i = 1; i < 1000; i++)
		buf_printf(&b, "Subject: %d\nContent-Type: message/rfc822\n\n", i);
	buf_printf(&b, "Subject: last\n\ntext\n");
	struct mime_limits lim = lim_default;
	lim.max_depth = 10;
	struct result r = run_checked(b.data, b.len, 0, &lim);
	ck_assert_uint_eq(r.nbegin, 11);
	ck_assert(r.flags & MIME_TRUNC_DEPTH);
	ck_assert_msg(strstr(r.events, "H10m Subject: 10\nH10m Content-Type: message/rfc822\nB10 #10 application/octet-stream decl=message/rfc822") != NULL,
	              "%s", r.events);
	ck_assert(strstr(r.events, "H11m") == NULL);
	result_free(&r);
	buf_free(&b);
}
END_TEST

START_TEST(test_parts_limit)
{
	/* parts 0 (mixed), 1 (alternative), 2 (a1) are analysed; a2 and
	 * everything after is skipped, but the inner boundary still ends a1 */
	static const char m[] =
		"Subject: parts\nContent-Type: multipart/mixed; boundary=outer\n\n"
		"--outer\nContent-Type: multipart/alternative; boundary=inner\n\n"
		"--inner\nContent-Type: text/plain\n\na1 text\n"
		"--inner\nContent-Type: text/html\n\na2 text\n"
		"--inner--\n"
		"--outer\nContent-Type: text/plain\n\nb text\n"
		"--outer--\n";
	static const char want[] =
		"H0 Subject: parts\n"
		"H0 Content-Type: multipart/mixed; boundary=outer\n"
		"B0 #0 multipart/mixed MP\n"
		"H1 Content-Type: multipart/alternative; boundary=inner\n"
		"B1 #1 multipart/alternative par=multipart/mixed s0 MP\n"
		"H2 Content-Type: text/plain\n"
		"B2 #2 text/plain par=multipart/alternative s0\n"
		"\"a1 text\"\n"
		"E\nE\nE\nF08\n";
	struct mime_limits lim = lim_default;
	lim.max_parts = 3;
	unsigned flags;
	char *ev = events_all_chunks("parts", m, sizeof(m) - 1, &lim, &flags);
	ck_assert_str_eq(ev, want);
	free(ev);
	/* no part at all */
	lim.max_parts = 0;
	ev = events_all_chunks("parts0", m, sizeof(m) - 1, &lim, &flags);
	ck_assert_str_eq(ev, "F08\n");
	free(ev);
	/* many parts */
	struct buf b;
	buf_init(&b, 1u << 20);
	buf_printf(&b, "Content-Type: multipart/mixed; boundary=x\n\n");
	for (int i = 0; i < 1000; i++)
		buf_printf(&b, "--x\n\n%d\n", i);
	buf_printf(&b, "--x--\n");
	lim.max_parts = 50;
	struct result r = run_checked(b.data, b.len, 0, &lim);
	ck_assert_uint_eq(r.nbegin, 50);
	ck_assert(r.flags & MIME_TRUNC_PARTS);
	ck_assert_uint_eq(r.flags & MIME_ERR_BOUNDARY, 0);
	result_free(&r);
	buf_free(&b);
}
END_TEST

START_TEST(test_header_limit)
{
	struct buf b;
	buf_init(&b, 1u << 20);
	buf_printf(&b, "Subject: ");
	for (int i = 0; i < 100; i++)
		buf_printf(&b, "0123456789");
	buf_printf(&b, "\nContent-Type: multipart/mixed; boundary=b\n\n--b\nX-Long: ");
	for (int i = 0; i < 100; i++)
		buf_printf(&b, "abcdefghij");
	buf_printf(&b, "\nContent-Type: text/plain;\n charset=utf-8; name=");
	for (int i = 0; i < 10; i++)
		buf_printf(&b, "abcdefghij");
	buf_printf(&b, "\n\nbody\n--b--\n");
	struct mime_limits lim = lim_default;
	lim.max_header_size = 64;
	unsigned flags;
	char *ev = events_all_chunks("hdrlimit", b.data, b.len, &lim, &flags);
	ck_assert(flags & MIME_TRUNC_HEADER);
	/* 64 bytes: "Subject:" and 56 bytes of value */
	ck_assert(strstr(ev, "H0 Subject: 01234567890123456789012345678901234567890123456789012345\n") != NULL);
	ck_assert_msg(strstr(ev, "H1 X-Long: abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdef\n") != NULL,
	              "%s", ev);
	/* the cut (unfolded) Content-Type keeps type and charset, loses the end of the name */
	ck_assert_msg(strstr(ev, "B1 #1 text/plain cs=utf-8 fn=abcdefghijabcdefgh par=") != NULL, "%s", ev);
	ck_assert(strstr(ev, "\"body\"\n") != NULL);
	free(ev);
	/* without the limit nothing is cut */
	ev = events_all_chunks("hdrlimit-off", b.data, b.len, &lim_default, &flags);
	ck_assert_uint_eq(flags & MIME_TRUNC_HEADER, 0);
	free(ev);
	buf_free(&b);
}
END_TEST

START_TEST(test_long_lines)
{
	struct buf b;
	buf_init(&b, 1u << 20);
	buf_printf(&b, "Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\nX-Long: ");
	for (int i = 0; i < 100; i++)
		buf_printf(&b, "0123456789");
	buf_printf(&b, "\n\n");
	struct buf want;
	buf_init(&want, 1u << 20);
	for (int i = 0; i < 1000; i++)
		buf_putc(&want, (char)('a' + i % 26));
	buf_printf(&want, "\r\nshort\n");
	for (int i = 0; i < 256; i++)
		buf_putc(&want, 'x'); /* exactly max_line, then CRLF */
	buf_printf(&want, "\r\n");
	for (int i = 0; i < 257; i++)
		buf_putc(&want, 'y');
	buf_append(&b, want.data, want.len);
	/* a boundary with 300 bytes of trailing white space still counts;
	 * the line break before it is not data */
	buf_printf(&b, "\r\n--b");
	for (int i = 0; i < 300; i++)
		buf_putc(&b, ' ');
	buf_printf(&b, "\n\nsecond\n--b--\n");
	struct mime_limits lim = lim_default;
	lim.max_line = 10; /* raised to MIME_LINE_MIN */
	unsigned flags;
	char *ev = events_all_chunks("long", b.data, b.len, &lim, &flags);
	ck_assert(flags & MIME_TRUNC_LINE);
	struct buf d;
	buf_init(&d, 1u << 20);
	ck_assert(leaf_data(ev, 1, &d));
	/* text: CRLF became LF, nothing lost at the piece cuts */
	struct buf w2;
	buf_init(&w2, 1u << 20);
	for (size_t i = 0; i < want.len; i++)
		if (want.data[i] != '\r')
			buf_putc(&w2, want.data[i]);
	ck_assert_msg(d.len == w2.len && memcmp(d.data, w2.data, d.len) == 0, "%s", ev);
	/* the 1000-byte header line is whole */
	ck_assert(strstr(ev, "9012345678901234567890123456789\n") != NULL);
	buf_reset(&d);
	ck_assert(leaf_data(ev, 2, &d));
	ck_assert_str_eq(d.data, "second");
	buf_free(&d);
	buf_free(&w2);
	buf_free(&want);
	free(ev);
	buf_free(&b);
}
END_TEST

START_TEST(test_nul_bytes)
{
	static const char m[] =
		"Subject: a\0b\nContent-Type: multipart/mixed; boundary=b\n\n"
		"--b\nContent-Type: text/plain\nX-Nul: x\0y\n\nnul \0 inside\n\0\n--b--\n";
	unsigned flags;
	char *ev = events_all_chunks("nul", m, sizeof(m) - 1, &lim_default, &flags);
	ck_assert(strstr(ev, "H1 X-Nul: x\\x00y\n") != NULL);
	ck_assert(strstr(ev, "\"nul \\x00 inside\\n\\x00\"\n") != NULL);
	free(ev);
}
END_TEST

/* Counts data bytes and calls; what a big mail costs is one line and one
 * header field, whatever its size. */
struct counter {
	size_t bytes, calls, begins, ends;
	bool nonl;
};

static void cnt_begin(void *ctx, const struct mime_part_info *pi)
{
	(void)pi;
	((struct counter *)ctx)->begins++;
}

static void cnt_data(void *ctx, const unsigned char *p, size_t n)
{
	struct counter *c = ctx;
	c->bytes += n;
	c->calls++;
	if (memchr(p, '\n', n) != NULL)
		c->nonl = false;
}

static void cnt_end(void *ctx)
{
	((struct counter *)ctx)->ends++;
}

START_TEST(test_huge_line_and_header)
{
	const size_t big = 8u << 20;
	unsigned char *chunk = malloc(65536);
	ck_assert_ptr_nonnull(chunk);
	memset(chunk, 'a', 65536);
	struct mime_callbacks cb = { .part_begin = cnt_begin, .part_data = cnt_data, .part_end = cnt_end };
	struct counter c = { .nonl = true };
	struct mime_parser *p = mime_new(&lim_default, &cb, &c);
	mime_header(p, "Content-Type", "multipart/mixed; boundary=b");
	static const char head[] = "--b\nX-Big: ";
	mime_feed(p, (const unsigned char *)head, sizeof(head) - 1);
	for (size_t i = 0; i < big; i += 65536)
		mime_feed(p, chunk, 65536); /* an 8 MB header field */
	static const char mid[] = "\nContent-Type: application/octet-stream\n\n";
	mime_feed(p, (const unsigned char *)mid, sizeof(mid) - 1);
	for (size_t i = 0; i < big; i += 65536)
		mime_feed(p, chunk, 65536); /* an 8 MB line */
	static const char tail[] = "\n--b--\n";
	mime_feed(p, (const unsigned char *)tail, sizeof(tail) - 1);
	mime_finish(p);
	unsigned flags = mime_flags(p);
	mime_free(p);
	ck_assert_uint_eq(flags, MIME_TRUNC_LINE | MIME_TRUNC_HEADER);
	ck_assert_uint_eq(c.bytes, big);
	ck_assert(c.nonl);
	ck_assert_uint_eq(c.begins, 2);
	ck_assert_uint_eq(c.ends, 2);
	/* handed on in pieces of the output buffer, not byte by byte */
	ck_assert_uint_lt(c.calls, big / 1024);
	free(chunk);
}
END_TEST

static void count_begin(void *ctx, const struct mime_part_info *pi)
{
	(void)pi;
	(*(int *)ctx)++;
}

START_TEST(test_api_edges)
{
	mime_free(NULL);
	mime_header(NULL, "a", "b");
	mime_end_headers(NULL);
	mime_feed(NULL, (const unsigned char *)"x", 1);
	mime_finish(NULL);
	ck_assert_uint_eq(mime_flags(NULL), 0);

	/* no callbacks, default limits */
	struct mime_parser *p = mime_new(NULL, NULL, NULL);
	ck_assert_ptr_nonnull(p);
	mime_header(p, "Content-Type", "multipart/mixed; boundary=x");
	mime_feed(p, (const unsigned char *)"--x\n\nhi\n--x--\n", 14);
	mime_finish(p);
	mime_free(p);

	/* body without mime_end_headers, feeding after finish is ignored */
	int n = 0;
	struct mime_callbacks cb = { .part_begin = count_begin };
	p = mime_new(&lim_default, &cb, &n);
	mime_header(p, "Content-Type", "multipart/mixed; boundary=x");
	mime_feed(p, (const unsigned char *)"--x\n\nhi\n--x--\n", 14);
	mime_header(p, "Content-Type", "text/plain"); /* too late: ignored */
	mime_finish(p);
	mime_feed(p, (const unsigned char *)"--x\n\nhi\n--x--\n", 14);
	mime_finish(p);
	ck_assert_int_eq(n, 2);
	mime_free(p);

	/* nothing at all */
	n = 0;
	p = mime_new(&lim_default, &cb, &n);
	mime_finish(p);
	ck_assert_int_eq(n, 1);
	mime_free(p);
}
END_TEST

/* Headers the MTA hands folded with CRLF or LF: the callback gets them
 * unfolded, and a folded Content-Type still works. */
START_TEST(test_top_headers_folded)
{
	static const char *const folds[] = { "\r\n\t", "\n\t", "\r\n ", " " };
	for (size_t i = 0; i < sizeof(folds) / sizeof(folds[0]); i++) {
		struct rec *r = calloc(1, sizeof(*r));
		buf_init(&r->out, 1u << 20);
		buf_init(&r->data, 1u << 20);
		struct mime_parser *p = mime_new(&lim_default, &rec_cb, r);
		char v[128];
		snprintf(v, sizeof(v), "multipart/mixed;%sboundary=\"x y\"", folds[i]);
		mime_header(p, "Content-Type", v);
		snprintf(v, sizeof(v), "Hello%sworld", folds[i]);
		mime_header(p, "Subject", v);
		mime_end_headers(p);
		mime_feed(p, (const unsigned char *)"--x y\r\n\r\nhi\r\n--x y--\r\n", 22);
		mime_finish(p);
		mime_free(p);
		rec_flush_data(r);
		const char *want = strchr(folds[i], '\t') != NULL ? "H0 Subject: Hello\\tworld\n"
		                                                  : "H0 Subject: Hello world\n";
		ck_assert_msg(strstr(r->out.data, want) != NULL, "%s", r->out.data);
		ck_assert(strstr(r->out.data, "B1 #1 text/plain (default) par=multipart/mixed s0\n\"hi\"\nE\nE\n") != NULL);
		ck_assert(!r->bad);
		buf_free(&r->out);
		buf_free(&r->data);
		free(r);
	}
}
END_TEST

START_TEST(test_encoding_errors)
{
	static const char bad[] =
		"Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Transfer-Encoding: base64\n\n"
		"aGVs!!bG8=\n--b--\n";
	static const char good[] =
		"Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Transfer-Encoding: base64\n\n"
		"aGVs\nbG8=\n--b--\n";
	unsigned flags;
	char *ev = events_all_chunks("b64bad", bad, sizeof(bad) - 1, &lim_default, &flags);
	ck_assert(flags & MIME_ERR_ENCODING);
	free(ev);
	ev = events_all_chunks("b64good", good, sizeof(good) - 1, &lim_default, &flags);
	ck_assert_uint_eq(flags, 0);
	ck_assert(strstr(ev, "\"hello\"\n") != NULL);
	free(ev);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("mime");
	TCase *tc = tcase_create("mime");
	tcase_set_timeout(tc, 900);
	tcase_add_test(tc, test_golden);
	tcase_add_test(tc, test_png_decoded);
	tcase_add_test(tc, test_binary_keeps_crlf);
	tcase_add_test(tc, test_enough);
	tcase_add_loop_test(tc, test_bulk, 0, (int)(sizeof(bcases) / sizeof(bcases[0])));
	tcase_add_test(tc, test_depth_limit);
	tcase_add_test(tc, test_depth_rfc822);
	tcase_add_test(tc, test_parts_limit);
	tcase_add_test(tc, test_header_limit);
	tcase_add_test(tc, test_long_lines);
	tcase_add_test(tc, test_nul_bytes);
	tcase_add_test(tc, test_huge_line_and_header);
	tcase_add_test(tc, test_api_edges);
	tcase_add_test(tc, test_top_headers_folded);
	tcase_add_test(tc, test_encoding_errors);
	tcase_add_test(tc, test_corpora);
	suite_add_tcase(s, tc);
	return s;
}

#include "check_main.h"
