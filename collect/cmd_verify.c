/* SPDX-License-Identifier: Apache-2.0 */
/* apigee-bundle verify BUNDLE: stream the archive once, recompute every member's
 * size and SHA-256, and compare them with manifest.json; check the manifest's
 * structure (the required parts of schemas/manifest.schema.json, in C), that
 * redaction.json is there, and run the leak scan over every member again.
 * Exit 0 when all is well, 1 with every problem listed, 2 usage error. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "archive_in.h"
#include "buf.h"
#include "error.h"
#include "cli.h"
#include "commands.h"
#include "redact.h"
#include "text.h"
#include "yamljson.h"
#include "banned.h"

#define VERIFY_MAX_DOC (64u << 20)
#define VERIFY_MAX_MEMBERS 200000
#define VERIFY_MAX_PROBLEMS 200

struct seen {
	char *path; /* relative to the top folder */
	uint64_t size;
	char sha256[65];
	bool matched;
	size_t order; /* in the archive */
};

struct verify {
	struct seen *m;
	size_t n, cap;
	char *top;
	struct strv problems;
	size_t n_problems;
	struct buf manifest, redaction;
	bool manifest_last;
};

static void problem(struct verify *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void problem(struct verify *v, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	v->n_problems++;
	if (v->problems.n >= VERIFY_MAX_PROBLEMS)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	strv_push(&v->problems, line);
}

static int cmp_seen(const void *a, const void *b)
{
	const struct seen *x = a, *y = b;
	int c = strcmp(x->path, y->path);

	return c ? c : (x->order > y->order) - (x->order < y->order);
}

/* After the archive is read: members sorted by name (then archive order), so a
 * lookup is a binary search and 100 000 members cost O(n log n); a name that
 * appears twice is a problem, the first copy is the one checked. */
static void index_seen(struct verify *v)
{
	if (v->n)
		qsort(v->m, v->n, sizeof(*v->m), cmp_seen);
	for (size_t i = 1; i < v->n; i++)
		if (strcmp(v->m[i].path, v->m[i - 1].path) == 0) {
			v->m[i].matched = true; /* not "missing from the manifest" again */
			if (i < 2 || strcmp(v->m[i].path, v->m[i - 2].path) != 0)
				problem(v, "%s: appears twice in the archive", v->m[i].path);
		}
}

static struct seen *find_seen(struct verify *v, const char *path)
{
	size_t lo = 0, hi = v->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(v->m[mid].path, path);

		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < v->n && strcmp(v->m[lo].path, path) == 0 ? &v->m[lo] : NULL;
}

static bool is_hex64(const char *s)
{
	if (!s || strlen(s) != 64)
		return false;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
			return false;
	return true;
}

struct member_read {
	struct verify *v;
	const char *rel;
	EVP_MD_CTX *md;
	struct leak_scan *ls;
	struct buf *keep;
	uint64_t size;
};

static int feed_member(void *userdata, const void *data, size_t len)
{
	struct member_read *mr = userdata;

	EVP_DigestUpdate(mr->md, data, len);
	mr->size += len;
	if (mr->ls)
		leak_scan_write(mr->ls, data, len);
	if (mr->keep && buf_append(mr->keep, data, len) < 0) {
		problem(mr->v, "%s: larger than %u bytes", mr->rel, VERIFY_MAX_DOC);
		mr->keep = NULL;
	}
	return 0;
}

static int add_seen(struct verify *v, const char *rel, uint64_t size, const unsigned char *md)
{
	struct seen *s;

	if (v->n == v->cap) {
		size_t ncap = v->cap ? v->cap * 2 : 64;
		struct seen *p = realloc(v->m, ncap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		v->m = p;
		v->cap = ncap;
	}
	s = &v->m[v->n++];
	memset(s, 0, sizeof(*s));
	s->path = strdup(rel);
	s->order = v->n;
	s->size = size;
	for (int i = 0; i < 32; i++)
		snprintf(s->sha256 + 2 * i, 3, "%02x", md[i]);
	return s->path ? 0 : -ENOMEM;
}

/* One member: digest, size, leak scan, keep manifest/redaction bytes. */
static int read_member(struct verify *v, struct archive_in *in, const char *rel)
{
	struct member_read mr = { v, rel, EVP_MD_CTX_new(), NULL, NULL, 0 };
	struct error err = ERROR_INIT;
	struct leak_hit hit;
	unsigned char md[32];
	unsigned int mdlen = 0;
	int r;

	if (!mr.md || !EVP_DigestInit_ex(mr.md, EVP_sha256(), NULL)) {
		EVP_MD_CTX_free(mr.md);
		return -ENOMEM;
	}
	if (strcmp(rel, "manifest.json") == 0)
		mr.keep = &v->manifest;
	else if (strcmp(rel, "redaction.json") == 0)
		mr.keep = &v->redaction;
	if (mr.keep)
		buf_init(mr.keep, VERIFY_MAX_DOC);
	leak_scan_begin(rel, &mr.ls);
	r = archive_in_feed(in, feed_member, &mr, &err);
	if (r < 0)
		problem(v, "%s: cannot read: %s", rel, err.message[0] ? err.message : strerror(-r));
	EVP_DigestFinal_ex(mr.md, md, &mdlen);
	EVP_MD_CTX_free(mr.md);
	memset(&hit, 0, sizeof(hit));
	if (mr.ls && leak_scan_end(mr.ls, &hit) != 0)
		problem(v, "%s:%u: leak scan found %s", rel, hit.line, hit.kind);
	if (r < 0)
		return r;
	return add_seen(v, rel, mr.size, md);
}

/* The name below the top folder, or NULL (a problem noted). A folder's files are
 * already below it. */
static const char *below_top(struct verify *v, const char *name, bool folder)
{
	const char *slash = strchr(name, '/');

	if (folder)
		return name;
	if (!slash || slash == name || name[0] == '/' || strstr(name, "/../") ||
	    strcmp(slash, "/..") == 0) {
		problem(v, "%s: not under one top folder", name);
		return NULL;
	}
	if (!v->top)
		v->top = strndup(name, (size_t)(slash - name));
	else if (strncmp(name, v->top, strlen(v->top)) || name[strlen(v->top)] != '/') {
		problem(v, "%s: outside the top folder '%s'", name, v->top);
		return NULL;
	}
	return slash + 1;
}

/* Every format core/archive_in.c reads (tar, zip, cpio, any filter), or a folder. */
static int read_archive(struct verify *v, const char *path)
{
	struct archive_in_limits lim = { .max_members = VERIFY_MAX_MEMBERS };
	struct error err = ERROR_INIT;
	struct archive_in *in = NULL;
	const struct archive_in_member *m;
	bool folder;
	int r = 0, h;

	h = archive_in_open(path, 0, &lim, &in, &err);
	if (h < 0) {
		problem(v, "%s: cannot open: %s", path, err.message);
		return -EIO;
	}
	folder = archive_in_kind(in) == ARCHIVE_IN_FOLDER;
	while (r == 0 && (h = archive_in_next(in, &m, &err)) == 1) {
		const char *rel;

		if (m->type == ARCHIVE_IN_DIR)
			continue;
		if (m->type != ARCHIVE_IN_FILE || m->open_errno) {
			char what[1200];

			archive_in_describe(m, what, sizeof(what));
			problem(v, "%s: not a regular file, not read", what);
			continue;
		}
		rel = below_top(v, m->path, folder);
		if (!rel)
			continue;
		if (v->manifest.len || v->manifest.data)
			v->manifest_last = false;
		r = read_member(v, in, rel);
		if (strcmp(rel, "manifest.json") == 0)
			v->manifest_last = true;
	}
	if (h == -ERANGE) {
		problem(v, "more than %d members", VERIFY_MAX_MEMBERS);
		r = h;
	} else if (h < 0 && r == 0) {
		problem(v, "%s", err.message);
		r = -EIO;
	}
	archive_in_free(in);
	return r;
}

static bool in_list(const char *s, const char *const *list)
{
	for (; s && *list; list++)
		if (strcmp(s, *list) == 0)
			return true;
	return false;
}

static bool time_ok(const char *s)
{
	int64_t t;

	return s && text_parse_time(s, strlen(s), &t) == 0;
}

/* The manifest's structure: what schemas/manifest.schema.json requires. */
static void check_manifest(struct verify *v, const json_t *m)
{
	static const char *const types[] = { "command", "api", "probe", "file", "collector", NULL };
	static const char *const statuses[] = { "ok", "failed", "timeout", "skipped", NULL };
	static const char *const src_statuses[] = { "collected", "skipped", "failed", NULL };
	json_t *coll = json_object_get(m, "collection"), *arts = json_object_get(m, "artifacts");
	json_t *srcs = json_object_get(m, "sources"), *it;
	size_t i;

	if (!json_str(m, "format") ||
	    strcmp(json_str(m, "format"), "apigee-bundle/manifest/v1") != 0)
		problem(v, "manifest.json: format is not \"apigee-bundle/manifest/v1\"");
	if (!json_str(m, "tool_version"))
		problem(v, "manifest.json: no tool_version");
	if (!json_is_object(coll))
		problem(v, "manifest.json: no collection object");
	else {
		if (!time_ok(json_str(coll, "start")))
			problem(v, "manifest.json: /collection/start is not a UTC time");
		if (!time_ok(json_str(coll, "end")))
			problem(v, "manifest.json: /collection/end is not a UTC time");
		if (!json_is_object(json_object_get(coll, "options")))
			problem(v, "manifest.json: /collection/options is not an object");
		else if (json_object_get(json_object_get(coll, "options"), "token"))
			problem(v, "manifest.json: /collection/options holds a token");
	}
	if (!json_is_array(arts)) {
		problem(v, "manifest.json: no artifacts array");
		return;
	}
	json_array_foreach(arts, i, it)
	{
		const char *path = json_str(it, "path"), *sha = json_str(it, "sha256");
		json_t *src = json_object_get(it, "source"), *size = json_object_get(it, "size");

		if (!path) {
			problem(v, "manifest.json: /artifacts/%zu has no path", i);
			continue;
		}
		if (!json_is_object(src) || !in_list(json_str(src, "type"), types))
			problem(v, "manifest.json: %s: bad source", path);
		else if (strcmp(json_str(src, "type"), "command") == 0 &&
		         !json_is_array(json_object_get(src, "argv")))
			problem(v, "manifest.json: %s: command source without argv", path);
		else if (strcmp(json_str(src, "type"), "api") == 0 && !json_str(src, "url"))
			problem(v, "manifest.json: %s: api source without url", path);
		if (!in_list(json_str(it, "status"), statuses))
			problem(v, "manifest.json: %s: bad status", path);
		if (sha && !is_hex64(sha))
			problem(v, "manifest.json: %s: sha256 is not 64 hex digits", path);
		if ((sha != NULL) != json_is_integer(size))
			problem(v, "manifest.json: %s: size and sha256 go together", path);
		if (sha) {
			struct seen *s = find_seen(v, path);

			if (!s)
				problem(v, "%s: listed in the manifest, missing from the archive",
				        path);
			else if (s->matched)
				problem(v, "%s: listed twice in the manifest", path);
			else {
				s->matched = true;
				if (s->size != (uint64_t)json_integer_value(size))
					problem(v, "%s: size %llu, the manifest says %lld", path,
					        (unsigned long long)s->size,
					        (long long)json_integer_value(size));
				if (strcmp(s->sha256, sha) != 0)
					problem(v, "%s: SHA-256 differs from the manifest", path);
			}
		}
	}
	if (!json_is_array(srcs))
		problem(v, "manifest.json: no sources array");
	json_array_foreach(srcs, i, it)
	{
		json_t *reason = json_object_get(it, "reason");

		if (!json_str(it, "name") || !in_list(json_str(it, "status"), src_statuses))
			problem(v, "manifest.json: /sources/%zu: needs a name and a status", i);
		else if (reason && !json_is_string(reason))
			problem(v, "manifest.json: /sources/%zu: reason is not a string", i);
	}
}

/* Verify the bundle at path (label names it in messages). */
static int verify_run(const char *path, const char *label)
{
	struct verify v;
	json_t *manifest = NULL, *red = NULL;
	json_error_t jerr;
	int r;

	memset(&v, 0, sizeof(v));
	r = read_archive(&v, path);
	index_seen(&v);
	if (r == 0) {
		if (!v.manifest.data)
			problem(&v, "manifest.json: missing");
		else if (!(manifest = json_loadb(v.manifest.data, v.manifest.len, 0, &jerr)))
			problem(&v, "manifest.json:%d: invalid JSON: %s", jerr.line, jerr.text);
		else {
			if (!v.manifest_last)
				problem(&v, "manifest.json: not the last member");
			check_manifest(&v, manifest);
			for (size_t i = 0; i < v.n; i++)
				if (!v.m[i].matched && strcmp(v.m[i].path, "manifest.json") != 0)
					problem(&v, "%s: in the archive but not in the manifest",
					        v.m[i].path);
		}
		if (!v.redaction.data)
			problem(&v, "redaction.json: missing");
		else if (!(red = json_loadb(v.redaction.data, v.redaction.len, 0, &jerr)))
			problem(&v, "redaction.json:%d: invalid JSON: %s", jerr.line, jerr.text);
		else if (!json_str(red, "format") ||
		         strncmp(json_str(red, "format"), "apigee-bundle/redaction/", 24) != 0)
			problem(&v, "redaction.json: format is not apigee-bundle/redaction/v1");
	}
	for (size_t i = 0; i < v.problems.n; i++) {
		char esc[1024];

		text_escape(v.problems.v[i], strlen(v.problems.v[i]), esc, sizeof(esc));
		fprintf(stderr, "apigee-bundle verify: %s\n", esc);
	}
	if (v.n_problems > v.problems.n)
		fprintf(stderr, "apigee-bundle verify: ... and %zu more problems\n",
		        v.n_problems - v.problems.n);
	if (!v.n_problems)
		printf("%s: ok, %zu members verified\n", label, v.n);
	else
		fprintf(stderr, "apigee-bundle verify: %s: %zu problem%s\n", label, v.n_problems,
		        v.n_problems == 1 ? "" : "s");
	r = v.n_problems ? EXIT_FINDINGS : EXIT_OK;
	json_decref(manifest);
	json_decref(red);
	for (size_t i = 0; i < v.n; i++)
		free(v.m[i].path);
	free(v.m);
	free(v.top);
	strv_release(&v.problems);
	buf_release(&v.manifest);
	buf_release(&v.redaction);
	return r;
}

const struct cli_command cli_verify = {
	.name = "verify",
	.synopsis = "BUNDLE",
	.summary = "verify a bundle's checksums and schemas",
	.description = "Re-check every member's size and SHA-256 against manifest.json, the "
	               "manifest's structure, redaction.json and the leak scan. BUNDLE - reads "
	               "the bundle from standard input.",
	.options = NULL,
	.n_options = 0,
	.exit_status = "0 ok; 1 problems (listed); 2 usage error; 3 BUNDLE missing or "
	               "unreadable.",
	.complete_args = "file",
};

int cmd_verify(int argc, char **argv, struct context *ctx)
{
	struct cli_parser cp;
	char *spooled = NULL;
	const char *path;
	struct stat st;
	int c, r;

	cli_parser_init(&cp, &cli_verify, ctx);
	c = cli_next(&cp, argc, argv);
	cli_parser_release(&cp);
	if (c != CLI_END)
		return c == CLI_HELP ? EXIT_OK : EXIT_USAGE;
	if (argc - optind != 1)
		return cli_usage_error(&cli_verify,
		                       argc == optind ? "missing BUNDLE" : "one BUNDLE only");
	path = argv[optind];
	if (strcmp(path, "-") == 0) {
		r = cli_stdin_to_temp(&spooled);
		if (r < 0) {
			cli_error(&cli_verify, "cannot read standard input: %s", strerror(-r));
			return EXIT_UNREADABLE;
		}
	} else if (stat(path, &st) < 0) {
		char esc[512];

		text_escape(path, strlen(path), esc, sizeof(esc));
		cli_error(&cli_verify, "cannot open '%s': %s", esc, strerror(errno));
		return EXIT_UNREADABLE;
	}
	r = verify_run(spooled ? spooled : path, spooled ? "(standard input)" : path);
	if (spooled)
		unlink(spooled);
	free(spooled);
	return r;
}
