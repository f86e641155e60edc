/* SPDX-License-Identifier: Apache-2.0 */
/* The output's manifest.json, written entry by entry (see manifest_out.h). */
#include "manifest_out.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "buf.h"
#include "error.h"
#include "banned.h"

#define WINDOW_MIN (64u << 10)
#define FLUSH_AT (64u << 10)

/* A window over the input file: values are parsed one at a time. */
struct reader {
	int fd;
	char *d;
	size_t len, off, cap, max;
	bool eof;
};

/* Read more; -ERANGE when one value does not fit in max bytes. */
static int more(struct reader *r)
{
	ssize_t got;

	if (r->eof)
		return 0;
	if (r->off) {
		memmove(r->d, r->d + r->off, r->len - r->off);
		r->len -= r->off;
		r->off = 0;
	}
	if (r->len == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : WINDOW_MIN;
		char *d;

		if (cap > r->max)
			return -ERANGE;
		d = realloc(r->d, cap);
		if (!d)
			return -ENOMEM;
		r->d = d;
		r->cap = cap;
	}
	do
		got = read(r->fd, r->d + r->len, r->cap - r->len);
	while (got < 0 && errno == EINTR);
	if (got < 0)
		return -errno;
	if (got == 0)
		r->eof = true;
	r->len += (size_t)got;
	return 0;
}

/* The next byte that is not white space (not consumed), or -1 at the end. */
static int peek(struct reader *r, int *ret_rc)
{
	*ret_rc = 0;
	for (;;) {
		while (r->off < r->len && strchr(" \t\r\n", r->d[r->off]) && r->d[r->off])
			r->off++;
		if (r->off < r->len)
			return (unsigned char)r->d[r->off];
		if (r->eof || (*ret_rc = more(r)) < 0)
			return -1;
	}
}

/* One JSON value at the window's start; 1 when the text is not JSON. */
static int value(struct reader *r, json_t **ret)
{
	int c, rc;

	c = peek(r, &rc);
	if (rc < 0)
		return rc;
	if (c < 0)
		return 1;
	for (;;) {
		const char *p = r->d + r->off;
		size_t n = r->len - r->off, end = n;
		json_error_t e;
		json_t *v;

		if (n && *p != '"' && *p != '{' && *p != '[') {
			/* a number, true, false, null: up to the delimiter (jansson would
			 * read past it) */
			for (end = 0; end < n && !strchr(",}] \t\r\n", p[end]) && p[end]; end++)
				;
			if (end == n && !r->eof) {
				if ((rc = more(r)) < 0)
					return rc;
				continue;
			}
			v = json_loadb(p, end, JSON_DECODE_ANY, &e);
			if (!v)
				return 1;
			r->off += end;
			*ret = v;
			return 0;
		}
		v = n ? json_loadb(p, n, JSON_DECODE_ANY | JSON_DISABLE_EOF_CHECK, &e) : NULL;
		if (v && e.position > 0 && (size_t)e.position <= n) {
			r->off += (size_t)e.position;
			*ret = v;
			return 0;
		}
		json_decref(v);
		if (r->eof)
			return 1;
		if ((rc = more(r)) < 0)
			return rc;
	}
}

static int expect(struct reader *r, char c)
{
	int rc, got = peek(r, &rc);

	if (rc < 0)
		return rc;
	if (got != (unsigned char)c)
		return 1;
	r->off++;
	return 0;
}

/* Append v as json_dumps(JSON_INDENT(2)) would write it at this depth. */
static int dump(struct buf *out, const json_t *v, int depth)
{
	char *text = json_dumps(v, JSON_INDENT(2) | JSON_ENCODE_ANY);
	int rc = 0;

	if (!text)
		return -ENOMEM;
	static const char spaces[] = "        ";
	const char *p = text, *nl;

	/* strings hold no raw line break: every one starts a line to indent */
	while (rc == 0 && (nl = strchr(p, '\n'))) {
		rc = buf_append(out, p, (size_t)(nl - p) + 1);
		if (rc == 0)
			rc = buf_append(out, spaces, (size_t)depth * 2);
		p = nl + 1;
	}
	if (rc == 0)
		rc = buf_puts(out, p);
	free(text);
	return rc;
}

struct writer {
	struct buf out;
	redact_out_fn fn;
	void *userdata;
};

static int flush(struct writer *w, bool force)
{
	int rc = 0;

	if (w->out.len && (force || w->out.len >= FLUSH_AT)) {
		rc = w->fn(w->userdata, w->out.data, w->out.len);
		buf_reset(&w->out);
	}
	return rc;
}

static int cmp_path(const void *a, const void *b, void *members)
{
	const struct archive_out_member *m = members;

	return strcmp(m[*(const size_t *)a].path, m[*(const size_t *)b].path);
}

struct entries {
	const struct manifest_out *o;
	size_t *by_path; /* member indexes sorted by path */
	bool *used;      /* the member's entry was found */
	bool first;
};

static long find_member(const struct entries *e, const char *path)
{
	size_t lo = 0, hi = e->o->n_members;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(e->o->members[e->by_path[mid]].path, path);

		if (c == 0)
			return (long)e->by_path[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

static int set_digest(json_t *entry, const struct archive_out_member *m)
{
	if (json_object_set_new(entry, "size", json_integer((json_int_t)m->size)) < 0 ||
	    json_object_set_new(entry, "sha256", json_string(m->sha256)) < 0)
		return -ENOMEM;
	return 0;
}

/* One entry: the first one of a member gets its size and digest; one whose
 * member is not in the output any more loses them. */
static int entry(struct entries *e, struct writer *w, json_t *it)
{
	const char *p = json_string_value(json_object_get(it, "path"));
	long k = p ? find_member(e, p) : -1;
	int rc;

	if (k >= 0 && !e->used[k]) {
		e->used[k] = true;
		if ((rc = set_digest(it, &e->o->members[k])) < 0)
			return rc;
		if (e->o->annotate && (rc = e->o->annotate(e->o->userdata, it, p)) < 0)
			return rc;
	} else if (p && json_object_get(it, "sha256") && !e->o->in_output(e->o->userdata, p)) {
		json_object_del(it, "sha256");
		json_object_del(it, "size");
	}
	if ((rc = buf_puts(&w->out, e->first ? "\n    " : ",\n    ")) < 0 ||
	    (rc = dump(&w->out, it, 2)) < 0)
		return rc;
	e->first = false;
	return flush(w, false);
}

/* Members without an entry get a new one, at the end, in output order. */
static int new_entries(struct entries *e, struct writer *w)
{
	for (size_t k = 0; k < e->o->n_members; k++) {
		const struct archive_out_member *m = &e->o->members[k];
		json_t *it;
		int rc;

		if (e->used[k])
			continue;
		it = json_pack("{s:s,s:{s:s},s:s}", "path", m->path, "source", "type", "collector",
		               "status", "ok");
		rc = it ? set_digest(it, m) : -ENOMEM;
		if (rc == 0)
			rc = entry(e, w, it);
		json_decref(it);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* The artifacts array (the reader at its '[' when present). */
static int artifacts(struct entries *e, struct reader *r, struct writer *w, bool present)
{
	int rc, c;
	json_t *it;

	e->first = true;
	if ((rc = buf_puts(&w->out, "[")) < 0)
		return rc;
	if (present && (rc = expect(r, '[')) != 0)
		return rc;
	while (present && (c = peek(r, &rc)) != ']') {
		if (rc < 0 || c < 0)
			return rc < 0 ? rc : 1;
		if (!e->first && (rc = expect(r, ',')) != 0)
			return rc;
		if ((rc = value(r, &it)) != 0)
			return rc;
		rc = entry(e, w, it); /* one that is not an object is kept as it is */
		json_decref(it);
		if (rc != 0)
			return rc;
	}
	if (present)
		r->off++; /* ']' */
	if ((rc = new_entries(e, w)) < 0)
		return rc;
	return buf_puts(&w->out, e->first ? "]" : "\n  ]");
}

/* "key": value of the top object; the artifacts streamed. */
static int member(struct entries *e, struct reader *r, struct writer *w, bool first, bool *ret_arts)
{
	json_t *key = NULL, *v = NULL;
	int rc, c;

	if ((rc = value(r, &key)) != 0)
		return rc;
	if (!json_is_string(key) || (rc = expect(r, ':')) != 0) {
		json_decref(key);
		return rc ? rc : 1;
	}
	rc = buf_puts(&w->out, first ? "\n  " : ",\n  ");
	if (rc == 0)
		rc = dump(&w->out, key, 1);
	if (rc == 0)
		rc = buf_puts(&w->out, ": ");
	if (rc == 0 && strcmp(json_string_value(key), "artifacts") == 0 && !*ret_arts) {
		*ret_arts = true;
		c = peek(r, &rc);
		if (rc == 0 && c != '[') {
			/* not an array: replaced by one */
			rc = value(r, &v);
			json_decref(v);
		}
		if (rc == 0)
			rc = artifacts(e, r, w, c == '[');
	} else if (rc == 0 && (rc = value(r, &v)) == 0) {
		rc = dump(&w->out, v, 1);
		json_decref(v);
	}
	json_decref(key);
	return rc < 0 || rc == 1 ? rc : flush(w, false);
}

static int top(struct entries *e, struct reader *r, struct writer *w)
{
	bool first = true, arts = false;
	int rc, c;

	if ((rc = expect(r, '{')) != 0 || (rc = buf_puts(&w->out, "{")) < 0)
		return rc;
	while ((c = peek(r, &rc)) != '}') {
		if (rc < 0 || c < 0)
			return rc < 0 ? rc : 1;
		if (!first && (rc = expect(r, ',')) != 0)
			return rc;
		if ((rc = member(e, r, w, first, &arts)) != 0)
			return rc;
		first = false;
	}
	r->off++;
	if (peek(r, &rc) >= 0 || rc < 0)
		return rc < 0 ? rc : 1; /* more after the object */
	if (!arts) {
		if ((rc = buf_puts(&w->out,
		                   first ? "\n  \"artifacts\": " : ",\n  \"artifacts\": ")) < 0 ||
		    (rc = artifacts(e, r, w, false)) < 0)
			return rc;
	}
	if ((rc = buf_puts(&w->out, "\n}")) < 0)
		return rc;
	return flush(w, true);
}

int manifest_out_write(const struct manifest_out *o, int fd, redact_out_fn fn, void *userdata)
{
	struct reader r = { .fd = fd, .max = o->max_value };
	struct writer w = { .fn = fn, .userdata = userdata };
	struct entries e = { .o = o };
	int rc = 0;

	if (lseek(fd, 0, SEEK_SET) < 0)
		return -errno;
	buf_init(&w.out, 0);
	e.by_path = calloc(o->n_members + 1, sizeof(*e.by_path));
	e.used = calloc(o->n_members + 1, sizeof(*e.used));
	if (!e.by_path || !e.used)
		rc = -ENOMEM;
	for (size_t k = 0; rc == 0 && k < o->n_members; k++)
		e.by_path[k] = k;
	if (rc == 0)
		qsort_r(e.by_path, o->n_members, sizeof(*e.by_path), cmp_path, (void *)o->members);
	if (rc == 0)
		rc = top(&e, &r, &w);
	free(e.by_path);
	free(e.used);
	free(r.d);
	buf_release(&w.out);
	return rc;
}
