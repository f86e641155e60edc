/* SPDX-License-Identifier: Apache-2.0 */
/* core/archive_in.c (folders, archives in several formats, loose files, names,
 * limits) and the redact-a-bundle pipeline redact/pipeline.c (redact_bundle():
 * output members, redaction.json, manifest rewrite, leak refusal, dry run,
 * duplicate and unsafe names). Inputs are built in a temp folder per test. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <cmocka.h>
#include <jansson.h>

#include "archive_in.h"
#include "buf.h"
#include "error.h"
#include "pipeline.h"
#include "redact.h"
#include "text.h"
#include "banned.h"

#define SALT "FAKE-AX-HASH-SALT-VALUE-03"

struct tmp {
	char dir[256];
};

static void rm_rf(const char *path)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
	assert_int_equal(system(cmd), 0);
}

static int setup(void **state)
{
	struct tmp *t = calloc(1, sizeof(*t));
	const char *base = getenv("TMPDIR");

	if (!t)
		return -1;
	snprintf(t->dir, sizeof(t->dir), "%s/test_pipeline.XXXXXX", base && *base ? base : "/tmp");
	if (!mkdtemp(t->dir))
		return -1;
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct tmp *t = *state;

	rm_rf(t->dir);
	free(t);
	return 0;
}

static void write_file(const char *dir, const char *rel, const char *text)
{
	char path[600];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

struct member {
	const char *name;
	const char *text;
	unsigned type; /* AE_IFREG when 0 */
};

/* An archive of members in a libarchive format (e.g. archive_write_set_format_zip). */
static void write_archive(const char *path, int (*format)(struct archive *),
                          int (*filter)(struct archive *), const struct member *m, size_t n)
{
	struct archive *a = archive_write_new();
	struct archive_entry *e = archive_entry_new();

	assert_int_equal(format(a), ARCHIVE_OK);
	if (filter)
		assert_int_equal(filter(a), ARCHIVE_OK);
	assert_int_equal(archive_write_open_filename(a, path), ARCHIVE_OK);
	for (size_t i = 0; i < n; i++) {
		size_t len = m[i].text ? strlen(m[i].text) : 0;

		archive_entry_clear(e);
		archive_entry_set_pathname(e, m[i].name);
		archive_entry_set_filetype(e, m[i].type ? m[i].type : AE_IFREG);
		archive_entry_set_perm(e, 0644);
		archive_entry_set_mtime(e, 1700000000, 0);
		if (m[i].type == AE_IFLNK)
			archive_entry_set_symlink(e, "/etc/passwd");
		else
			archive_entry_set_size(e, (la_int64_t)len);
		assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
		if (len)
			assert_int_equal(archive_write_data(a, m[i].text, len), (la_ssize_t)len);
	}
	archive_entry_free(e);
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
}

/* All members of an input as "type:name=content;" (content for files). */
static char *listing(const char *path, unsigned flags)
{
	struct archive_in *in = NULL;
	const struct archive_in_member *m;
	struct error err = ERROR_INIT;
	struct buf out = BUF_INIT;
	int r;

	assert_int_equal(archive_in_open(path, flags, NULL, &in, &err), 0);
	while ((r = archive_in_next(in, &m, &err)) == 1) {
		buf_printf(&out, "%d:%s", (int)m->type, m->path);
		if (m->type == ARCHIVE_IN_FILE) {
			struct buf data = BUF_INIT;

			assert_int_equal(archive_in_read_all(in, &data, 1 << 20, &err), 0);
			buf_printf(&out, "=%.*s", (int)data.len, data.data ? data.data : "");
			buf_release(&data);
		}
		buf_putc(&out, ';');
	}
	assert_int_equal(r, 0);
	archive_in_free(in);
	return buf_detach(&out, NULL);
}

static const struct member two[] = {
	{ "top/a.txt", "alpha", 0 },
	{ "top/sub/b.txt", "beta", 0 },
};

static void test_archive_in__formats(void **state)
{
	struct tmp *t = *state;
	static const struct {
		const char *name;
		int (*format)(struct archive *);
		int (*filter)(struct archive *);
	} fmts[] = {
		{ "a.tar", archive_write_set_format_pax_restricted, NULL },
		{ "a.tar.gz", archive_write_set_format_gnutar, archive_write_add_filter_gzip },
		{ "a.tar.zst", archive_write_set_format_ustar, archive_write_add_filter_zstd },
		{ "a.tar.xz", archive_write_set_format_ustar, archive_write_add_filter_xz },
		{ "a.zip", archive_write_set_format_zip, NULL },
		{ "a.cpio", archive_write_set_format_cpio_newc, NULL },
		{ "a.cpio.gz", archive_write_set_format_cpio_odc, archive_write_add_filter_gzip },
	};

	for (size_t i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
		char path[600];
		char *got;

		snprintf(path, sizeof(path), "%s/%s", t->dir, fmts[i].name);
		write_archive(path, fmts[i].format, fmts[i].filter, two, 2);
		got = listing(path, 0);
		if (strcmp(got, "0:top/a.txt=alpha;0:top/sub/b.txt=beta;") != 0) {
			print_error("%s: %s\n", fmts[i].name, got);
			fail();
		}
		free(got);
	}
}

static void test_archive_in__folder_order_and_links(void **state)
{
	struct tmp *t = *state;
	char sub[600], link[600];
	char *got;

	snprintf(sub, sizeof(sub), "%s/in", t->dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	snprintf(sub, sizeof(sub), "%s/in/b", t->dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	snprintf(sub, sizeof(sub), "%s/in", t->dir);
	write_file(sub, "c.txt", "c");
	write_file(sub, "a.txt", "a");
	write_file(sub, "b/z.txt", "z");
	snprintf(link, sizeof(link), "%s/in/l", t->dir);
	assert_int_equal(symlink("/etc/passwd", link), 0);
	got = listing(sub, 0);
	/* byte order, depth first; the link is a member that is never opened */
	assert_string_equal(got, "0:a.txt=a;0:b/z.txt=z;0:c.txt=c;2:l;");
	free(got);
}

static void test_archive_in__loose_files(void **state)
{
	struct tmp *t = *state;
	struct archive_in *in = NULL;
	struct error err = ERROR_INIT;
	char path[600];
	char *got;

	write_file(t->dir, "plain.log", "line one\n");
	snprintf(path, sizeof(path), "%s/plain.log", t->dir);
	/* without the flag a file that is no archive is an error naming it */
	assert_int_equal(archive_in_open(path, 0, NULL, &in, &err), -EIO);
	assert_non_null(strstr(err.source, "plain.log"));
	got = listing(path, ARCHIVE_IN_LOOSE_FILE);
	assert_string_equal(got, "0:plain.log=line one\n;");
	free(got);
}

static int count_feed(void *userdata, const void *data, size_t len)
{
	(void)data;
	*(size_t *)userdata += len;
	return 0;
}

static void test_archive_in__limits(void **state)
{
	struct tmp *t = *state;
	struct archive_in_limits lim = { .max_total = 6 };
	struct archive_in *in = NULL;
	const struct archive_in_member *m;
	struct error err = ERROR_INIT;
	size_t n = 0;
	char path[600];

	snprintf(path, sizeof(path), "%s/lim.tar", t->dir);
	write_archive(path, archive_write_set_format_pax_restricted, NULL, two, 2);
	assert_int_equal(archive_in_open(path, 0, &lim, &in, &err), 0);
	assert_int_equal(archive_in_next(in, &m, &err), 1);
	assert_int_equal(archive_in_feed(in, count_feed, &n, &err), 0);
	assert_int_equal(archive_in_next(in, &m, &err), 1);
	/* 5 + 4 bytes > 6: the limit names the member */
	assert_int_equal(archive_in_feed(in, count_feed, &n, &err), -ERANGE);
	assert_string_equal(err.source, "top/sub/b.txt");
	archive_in_free(in);

	lim = (struct archive_in_limits){ .max_members = 1 };
	error_reset(&err);
	assert_int_equal(archive_in_open(path, 0, &lim, &in, &err), 0);
	assert_int_equal(archive_in_next(in, &m, &err), 1);
	assert_int_equal(archive_in_next(in, &m, &err), -ERANGE);
	archive_in_free(in);
}

/* The per-member bound and the ratio bound name the member and the option. */
static void test_archive_in__member_and_ratio_bounds(void **state)
{
	struct tmp *t = *state;
	struct archive_in_limits lim = { .max_member = 4 };
	struct archive_in *in = NULL;
	const struct archive_in_member *m;
	struct error err = ERROR_INIT;
	struct archive *a;
	struct archive_entry *e;
	char path[600], *zeros;
	size_t n = 0, big = (size_t)ARCHIVE_IN_RATIO_FLOOR + (8u << 20);

	snprintf(path, sizeof(path), "%s/two.tar", t->dir);
	write_archive(path, archive_write_set_format_pax_restricted, NULL, two, 2);
	assert_int_equal(archive_in_open(path, 0, &lim, &in, &err), 0);
	assert_int_equal(archive_in_next(in, &m, &err), 1);
	assert_int_equal(archive_in_feed(in, count_feed, &n, &err), -ERANGE);
	assert_string_equal(err.source, "top/a.txt");
	assert_non_null(strstr(err.message, "--max-member-bytes"));
	archive_in_free(in);

	/* zeros compress about 1000:1: past the floor the ratio bound stops them */
	snprintf(path, sizeof(path), "%s/zeros.tar.gz", t->dir);
	zeros = calloc(1, big);
	assert_non_null(zeros);
	a = archive_write_new();
	e = archive_entry_new();
	archive_write_set_format_pax_restricted(a);
	archive_write_add_filter_gzip(a);
	assert_int_equal(archive_write_open_filename(a, path), ARCHIVE_OK);
	archive_entry_set_pathname(e, "top/zeros.log");
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_size(e, (la_int64_t)big);
	assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
	assert_int_equal(archive_write_data(a, zeros, big), (la_ssize_t)big);
	archive_write_close(a);
	archive_write_free(a);
	archive_entry_free(e);
	free(zeros);
	error_reset(&err);
	n = 0;
	assert_int_equal(archive_in_open(path, 0, NULL, &in, &err), 0);
	assert_int_equal(archive_in_next(in, &m, &err), 1);
	assert_int_equal(archive_in_feed(in, count_feed, &n, &err), -ERANGE);
	assert_string_equal(err.source, "top/zeros.log");
	assert_non_null(strstr(err.message, "--max-ratio"));
	assert_true(n <= (size_t)ARCHIVE_IN_RATIO_FLOOR + ARCHIVE_IN_CHUNK);
	archive_in_free(in);
	/* raised, the same member is read whole */
	lim = (struct archive_in_limits){ .max_ratio = 100000 };
	n = 0;
	assert_int_equal(archive_in_open(path, 0, &lim, &in, &err), 0);
	assert_int_equal(archive_in_next(in, &m, &err), 1);
	assert_int_equal(archive_in_feed(in, count_feed, &n, &err), 0);
	assert_int_equal(n, big);
	archive_in_free(in);
}

/* A truncated member: "truncated", and after how many bytes. */
static void test_archive_in__truncated(void **state)
{
	struct tmp *t = *state;
	struct archive_in *in = NULL;
	const struct archive_in_member *m;
	struct error err = ERROR_INIT;
	struct member big = { "top/log.txt", NULL, 0 };
	struct buf text = BUF_INIT;
	char path[600];
	size_t n = 0;
	FILE *f;
	long size;

	for (int i = 0; i < 40000; i++)
		buf_printf(&text, "line %d %x\n", i, (unsigned)(i * 2654435761u));
	big.text = text.data;
	snprintf(path, sizeof(path), "%s/t.tar.gz", t->dir);
	write_archive(path, archive_write_set_format_pax_restricted, archive_write_add_filter_gzip,
	              &big, 1);
	f = fopen(path, "r+");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	assert_int_equal(ftruncate(fileno(f), size / 2), 0);
	fclose(f);
	assert_int_equal(archive_in_open(path, 0, NULL, &in, &err), 0);
	assert_int_equal(archive_in_next(in, &m, &err), 1);
	assert_int_equal(archive_in_feed(in, count_feed, &n, &err), -EIO);
	assert_string_equal(err.source, "top/log.txt");
	assert_non_null(strstr(err.message, "truncated or corrupt after "));
	assert_true(n > 0 && n < text.len);
	archive_in_free(in);
	buf_release(&text);
}

/* The option values of the bounds: --max-member-bytes 100K */
static void test_archive_in__bound_values(void **state)
{
	uint64_t v = 0;

	(void)state;
	assert_int_equal(text_parse_size("100K", &v), 0);
	assert_int_equal(v, 100u << 10);
	assert_int_equal(text_parse_size("16G", &v), 0);
	assert_int_equal(v, 16ull << 30);
	assert_int_equal(text_parse_size("200", &v), 0);
	assert_int_equal(v, 200);
	assert_int_equal(text_parse_size("0", &v), -EINVAL);
	assert_int_equal(text_parse_size("1X", &v), -EINVAL);
	assert_int_equal(text_parse_size("1KB", &v), -EINVAL);
	assert_int_equal(text_parse_size("", &v), -EINVAL);
	assert_int_equal(text_parse_size("-1", &v), -EINVAL);
	assert_int_equal(text_parse_size("99999999999999999999", &v), -ERANGE);
	assert_int_equal(text_parse_size("8388608T", &v), -ERANGE);
}

static void test_archive_in__unsafe_name(void **state)
{
	(void)state;
	assert_true(archive_in_unsafe_name("/etc/passwd"));
	assert_true(archive_in_unsafe_name(".."));
	assert_true(archive_in_unsafe_name("a/../b"));
	assert_true(archive_in_unsafe_name("a//.."));
	assert_false(archive_in_unsafe_name("a/..b/c"));
	assert_false(archive_in_unsafe_name("./a/b"));
	assert_false(archive_in_unsafe_name("a...b"));
}

static void test_archive_in__clean_path(void **state)
{
	static const char *const cases[][2] = {
		{ "a/b", "a/b" },   { "/abs/x", "abs/x" }, { "./a//./b", "a/b" },
		{ "a/../b", NULL }, { "..", NULL },        { "", NULL },
		{ "./", NULL },     { "a/..b", "a/..b" },  { "/../etc/passwd", NULL },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = archive_in_clean_path(cases[i][0]);

		if (cases[i][1])
			assert_string_equal(got, cases[i][1]);
		else
			assert_null(got);
		free(got);
	}
}

/* ---- the pipeline ------------------------------------------------------------------- */

struct notices {
	struct strv seen;
};

static void on_notice(void *userdata, enum redact_notice what, const char *member)
{
	struct notices *n = userdata;
	char line[300];

	snprintf(line, sizeof(line), "%d:%s", (int)what, member);
	strv_push(&n->seen, line);
}

static int run_pipeline(const char *in, const char *out, bool dry, const char *disable,
                        struct notices *n, struct redact_bundle_result *res)
{
	struct redact_options ro = { .dry_run = dry, .disable_rule = disable };
	struct redact_bundle_options bo = { .in = in, .out = out, .dry_run = dry };
	struct error err = ERROR_INIT;
	struct redactor *r = NULL;
	int rc;

	bo.notice = on_notice;
	bo.userdata = n;
	assert_int_equal(redactor_new(&ro, &r, &err), 0);
	rc = redact_bundle(r, &bo, res, &err);
	redactor_free(r);
	return rc;
}

/* One member of the output archive (below its top folder), or NULL. */
static char *output_member(const char *archive, const char *rel)
{
	struct archive_in *in = NULL;
	const struct archive_in_member *m;
	struct error err = ERROR_INIT;
	char *found = NULL;

	assert_int_equal(archive_in_open(archive, 0, NULL, &in, &err), 0);
	while (!found && archive_in_next(in, &m, &err) == 1) {
		const char *slash = strchr(m->path, '/');
		struct buf data = BUF_INIT;

		if (!slash || strcmp(slash + 1, rel) != 0)
			continue;
		assert_int_equal(archive_in_read_all(in, &data, 1 << 20, &err), 0);
		buf_putc(&data, '\0');
		found = buf_detach(&data, NULL);
	}
	archive_in_free(in);
	return found;
}

static const char overrides[] = "org: fakeorg\naxHashSalt: " SALT "\n";
static const char manifest[] = "{\"format\": \"apigee-bundle/manifest/v1\", \"artifacts\": "
                               "[{\"path\": \"gone.txt\", \"size\": 1, \"sha256\": \"x\"}]}";

static void test_pipeline__folder_to_archive(void **state)
{
	struct tmp *t = *state;
	struct redact_bundle_result res;
	struct notices n = { STRV_INIT };
	char in[600], out[600];
	char *text;
	json_t *m;

	snprintf(in, sizeof(in), "%s/in", t->dir);
	snprintf(out, sizeof(out), "%s/out.tar.gz", t->dir);
	assert_int_equal(mkdir(in, 0700), 0);
	write_file(in, "overrides.yaml", overrides);
	write_file(in, "notes.txt", "nothing secret\n");
	write_file(in, "manifest.json", manifest);
	assert_int_equal(run_pipeline(in, out, false, NULL, &n, &res), 0);
	assert_false(res.leaked);
	assert_int_equal(res.members, 2);
	assert_int_equal(res.written, 4); /* + redaction.json + manifest.json */
	text = output_member(out, "overrides.yaml");
	assert_non_null(text);
	assert_null(strstr(text, SALT));
	assert_non_null(strstr(text, "<redacted:"));
	free(text);
	text = output_member(out, "redaction.json");
	assert_non_null(text);
	free(text);
	/* the manifest lists every member with its new size and digest; an entry whose
	 * member is gone loses them */
	text = output_member(out, "manifest.json");
	assert_non_null(text);
	m = json_loads(text, 0, NULL);
	assert_non_null(m);
	{
		json_t *arts = json_object_get(m, "artifacts"), *it;
		size_t i, hashed = 0;

		json_array_foreach(arts, i, it)
		{
			const char *p = json_string_value(json_object_get(it, "path"));

			if (strcmp(p, "gone.txt") == 0)
				assert_null(json_object_get(it, "sha256"));
			else if (json_object_get(it, "sha256"))
				hashed++;
		}
		assert_int_equal(hashed, 3); /* notes.txt, overrides.yaml, redaction.json */
	}
	json_decref(m);
	free(text);
	assert_int_equal(n.seen.n, 0);
	strv_release(&n.seen);
}

static void test_pipeline__zip_names_and_duplicates(void **state)
{
	struct tmp *t = *state;
	static const struct member ms[] = {
		{ "bundle/overrides.yaml", overrides, 0 },
		{ "bundle/overrides.yaml", "second copy\n", 0 },
		{ "bundle/../escape.txt", "x\n", 0 },
		{ "bundle/link", NULL, AE_IFLNK },
		{ "bundle/logs/app.log", "ok\n", 0 },
	};
	struct redact_bundle_result res;
	struct notices n = { STRV_INIT };
	char in[600], out[600];
	char *text;

	snprintf(in, sizeof(in), "%s/in.zip", t->dir);
	snprintf(out, sizeof(out), "%s/out.tar", t->dir);
	write_archive(in, archive_write_set_format_zip, NULL, ms, sizeof(ms) / sizeof(ms[0]));
	assert_int_equal(run_pipeline(in, out, false, NULL, &n, &res), 0);
	assert_int_equal(res.members, 2);
	/* the common top folder of the input is replaced by the output's */
	text = output_member(out, "logs/app.log");
	assert_string_equal(text, "ok\n");
	free(text);
	text = output_member(out, "overrides.yaml");
	assert_null(strstr(text, SALT));
	assert_null(strstr(text, "second copy"));
	free(text);
	/* the link is skipped and named, with its kind */
	assert_int_equal(n.seen.n, 3);
	assert_string_equal(n.seen.v[0], "1:overrides.yaml");
	assert_string_equal(n.seen.v[1], "0:bundle/../escape.txt");
	assert_non_null(strstr(n.seen.v[2], "2:'bundle/link' (symbolic link"));
	strv_release(&n.seen);
}

static void test_pipeline__leak_writes_nothing(void **state)
{
	struct tmp *t = *state;
	struct redact_bundle_result res;
	struct notices n = { STRV_INIT };
	char in[600], out[600];
	struct stat st;

	snprintf(in, sizeof(in), "%s/in", t->dir);
	snprintf(out, sizeof(out), "%s/out.tar.gz", t->dir);
	assert_int_equal(mkdir(in, 0700), 0);
	write_file(in, "a.log", "fine\n");
	write_file(in, "key.txt", "key AIzaSyFAKEfakeFAKEfakeFAKEfakeFAKE12345\n");
	write_file(in, "zz.txt",
	           "fine\nkey AIzaSyFAKEfakeFAKEfakeFAKEfakeFAKE67890\nfine\n"
	           "again AIzaSyFAKEfakeFAKEfakeFAKEfakeFAKE67890\n");
	assert_int_equal(run_pipeline(in, out, false, "google-api-key", &n, &res), 0);
	assert_true(res.leaked);
	assert_string_equal(res.leak_member, "key.txt");
	assert_int_equal(res.hit.line, 1);
	/* every hit of every member is listed, not only the first */
	assert_int_equal(res.n_leaks, 3);
	assert_int_equal(res.total_leaks, 3);
	assert_string_equal(res.leaks[1].member, "zz.txt");
	assert_int_equal(res.leaks[1].hit.line, 2);
	assert_int_equal(res.leaks[2].hit.line, 4);
	assert_string_equal(res.leaks[2].hit.kind, "Google API key");
	redact_bundle_result_release(&res);
	assert_int_equal(stat(out, &st), -1);
	/* and with the rule on, the same input is written */
	assert_int_equal(run_pipeline(in, out, false, NULL, &n, &res), 0);
	assert_false(res.leaked);
	assert_int_equal(stat(out, &st), 0);
	strv_release(&n.seen);
}

static void test_pipeline__dry_run_and_errors(void **state)
{
	struct tmp *t = *state;
	struct redact_bundle_result res;
	struct notices n = { STRV_INIT };
	char in[600], out[600], bad[600];
	struct redact_options ro = { 0 };
	struct redact_bundle_options bo = { 0 };
	struct error err = ERROR_INIT;
	struct redactor *r = NULL;
	struct stat st;

	snprintf(in, sizeof(in), "%s/in.tar.zst", t->dir);
	snprintf(out, sizeof(out), "%s/out.tar.gz", t->dir);
	write_archive(in, archive_write_set_format_ustar, archive_write_add_filter_zstd, two, 2);
	assert_int_equal(run_pipeline(in, NULL, true, NULL, &n, &res), 0);
	assert_int_equal(res.members, 2);
	assert_int_equal(res.written, 0);
	assert_int_equal(stat(out, &st), -1);

	/* a broken archive: an error naming the input, nothing written */
	snprintf(bad, sizeof(bad), "%s/bad.tar.gz", t->dir);
	{
		FILE *f = fopen(bad, "w");

		assert_non_null(f);
		fwrite("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03", 1, 10, f);
		fclose(f);
	}
	bo.in = bad;
	bo.out = out;
	assert_int_equal(redactor_new(&ro, &r, &err), 0);
	assert_true(redact_bundle(r, &bo, &res, &err) < 0);
	assert_true(err.message[0] != '\0');
	redactor_free(r);
	assert_int_equal(stat(out, &st), -1);
	strv_release(&n.seen);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_archive_in__formats, setup, teardown),
		cmocka_unit_test_setup_teardown(test_archive_in__folder_order_and_links, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_archive_in__loose_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_archive_in__limits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_archive_in__member_and_ratio_bounds, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_archive_in__truncated, setup, teardown),
		cmocka_unit_test(test_archive_in__bound_values),
		cmocka_unit_test(test_archive_in__unsafe_name),
		cmocka_unit_test(test_archive_in__clean_path),
		cmocka_unit_test_setup_teardown(test_pipeline__folder_to_archive, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pipeline__zip_names_and_duplicates, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_pipeline__leak_writes_nothing, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_pipeline__dry_run_and_errors, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
