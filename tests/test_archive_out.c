/* SPDX-License-Identifier: Apache-2.0 */
/* Tests of the atomic archive writer (core/archive_out.c): round trip through
 * libarchive, SHA-256 records, abort leaves nothing behind, reproducible bytes. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
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

#include "archive_out.h"
#include "buf.h"
#include "error.h"
#include "banned.h"

static char tmpdir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_archive_out.XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static int teardown(void **state)
{
	DIR *d = opendir(tmpdir);
	struct dirent *e;

	(void)state;
	while (d && (e = readdir(d))) {
		char p[512];

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(p, sizeof(p), "%s/%s", tmpdir, e->d_name);
		unlink(p);
	}
	if (d)
		closedir(d);
	rmdir(tmpdir);
	return 0;
}

static void test_archive_out__names(void **state)
{
	char *t;

	(void)state;
	assert_int_equal(archive_out_format_from_path("/x/support.tar.gz"), ARCHIVE_OUT_TAR_GZ);
	assert_int_equal(archive_out_format_from_path("support.tgz"), ARCHIVE_OUT_TAR_GZ);
	assert_int_equal(archive_out_format_from_path("a.tar.zst"), ARCHIVE_OUT_TAR_ZST);
	assert_int_equal(archive_out_format_from_path("a.zip"), ARCHIVE_OUT__INVALID);
	t = archive_out_top_from_path("/tmp/support.tar.gz");
	assert_string_equal(t, "support");
	free(t);
	t = archive_out_top_from_path("case-42.tar.zst");
	assert_string_equal(t, "case-42");
	free(t);
}

static void write_two(const char *path, enum archive_out_format fmt)
{
	struct archive_out *a = NULL;
	struct error err = ERROR_INIT;
	char staged[512];
	int fd;
	const struct archive_out_member *m;
	size_t n;

	assert_int_equal(archive_out_open(path, "support", fmt, 1700000000, &a, &err), 0);
	assert_int_equal(archive_out_add(a, "kubernetes/pods.json", "{\"items\":[]}\n", 13, &err),
	                 0);
	snprintf(staged, sizeof(staged), "%s/staged.XXXXXX", tmpdir);
	fd = mkstemp(staged);
	assert_true(fd >= 0);
	unlink(staged);
	assert_int_equal(write(fd, "abc", 3), 3);
	assert_int_equal(archive_out_add_fd(a, "kubernetes/logs/p/c.log", fd, &err), 0);
	close(fd);
	/* refused member names */
	assert_int_equal(archive_out_add(a, "../evil", "x", 1, &err), -EINVAL);
	assert_int_equal(archive_out_add(a, "/abs", "x", 1, &err), -EINVAL);
	m = archive_out_members(a, &n);
	assert_int_equal(n, 2);
	assert_string_equal(m[1].path, "kubernetes/logs/p/c.log");
	assert_int_equal(m[1].size, 3);
	/* sha256("abc") */
	assert_string_equal(m[1].sha256,
	                    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	assert_int_equal(archive_out_commit(a, &err), 0);
}

static void test_archive_out__round_trip(void **state)
{
	const char *fmts[] = { "b.tar.gz", "b.tar.zst" };

	(void)state;
	for (size_t f = 0; f < 2; f++) {
		char path[512];
		struct archive *ar = archive_read_new();
		struct archive_entry *e;
		struct stat st;
		int i = 0;

		snprintf(path, sizeof(path), "%s/%s", tmpdir, fmts[f]);
		write_two(path, archive_out_format_from_path(path));
		assert_int_equal(stat(path, &st), 0);
		assert_int_equal(st.st_mode & 0777, 0600);
		/* only the archive is left in the folder: no temp file */
		assert_int_equal(count_entries(tmpdir), (int)f + 1);

		archive_read_support_filter_all(ar);
		archive_read_support_format_tar(ar);
		assert_int_equal(archive_read_open_filename(ar, path, 10240), ARCHIVE_OK);
		while (archive_read_next_header(ar, &e) == ARCHIVE_OK) {
			char data[64] = { 0 };
			la_ssize_t n = archive_read_data(ar, data, sizeof(data) - 1);

			if (i == 0) {
				assert_string_equal(archive_entry_pathname(e),
				                    "support/kubernetes/pods.json");
				assert_int_equal(n, 13);
			} else {
				assert_string_equal(archive_entry_pathname(e),
				                    "support/kubernetes/logs/p/c.log");
				assert_string_equal(data, "abc");
			}
			assert_int_equal(archive_entry_mtime(e), 1700000000);
			assert_int_equal(archive_entry_uid(e), 0);
			assert_string_equal(archive_entry_uname(e), "root");
			assert_int_equal(archive_entry_perm(e), 0644);
			i++;
		}
		assert_int_equal(i, 2);
		archive_read_free(ar);
	}
}

static void slurp(const char *path, struct buf *b)
{
	char chunk[4096];
	int fd = open(path, O_RDONLY);
	ssize_t n;

	assert_true(fd >= 0);
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		assert_int_equal(buf_append(b, chunk, (size_t)n), 0);
	close(fd);
}

static void test_archive_out__reproducible(void **state)
{
	char p1[512], p2[512];
	struct buf b1 = BUF_INIT, b2 = BUF_INIT;

	(void)state;
	snprintf(p1, sizeof(p1), "%s/r1.tar.gz", tmpdir);
	snprintf(p2, sizeof(p2), "%s/r2.tar.gz", tmpdir);
	write_two(p1, ARCHIVE_OUT_TAR_GZ);
	sleep(1);
	write_two(p2, ARCHIVE_OUT_TAR_GZ);
	slurp(p1, &b1);
	slurp(p2, &b2);
	assert_int_equal(b1.len, b2.len);
	assert_memory_equal(b1.data, b2.data, b1.len);
	buf_release(&b1);
	buf_release(&b2);
}

/* archive_out_add_take(): the members written on the archive's thread give the
 * same archive and the same digests as archive_out_add(), also past a full queue. */
static void write_many(const char *path, bool take, struct buf *digests)
{
	struct archive_out *a = NULL;
	struct error err = ERROR_INIT;
	const struct archive_out_member *m;
	size_t n;

	assert_int_equal(archive_out_open(path, "many", ARCHIVE_OUT_TAR_GZ, 1700000000, &a, &err),
	                 0);
	for (int i = 0; i < 700; i++) {
		char name[32], text[64];
		int len;

		snprintf(name, sizeof(name), "d/m%04d.txt", i);
		len = snprintf(text, sizeof(text), "member %d\n", i);
		if (take) {
			char *data = i % 7 ? strdup(text) : NULL; /* empty ones too */

			assert_int_equal(
			        archive_out_add_take(a, name, data, data ? (size_t)len : 0, &err),
			        0);
		} else {
			assert_int_equal(
			        archive_out_add(a, name, text, i % 7 ? (size_t)len : 0, &err), 0);
		}
	}
	assert_int_equal(archive_out_add(a, "last.txt", "x", 1, &err), 0);
	assert_int_equal(archive_out_flush(a, &err), 0);
	m = archive_out_members(a, &n);
	assert_int_equal(n, 701);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(buf_append(digests, m[i].sha256, 64), 0);
	assert_int_equal(archive_out_commit(a, &err), 0);
}

static void test_archive_out__take_same_bytes(void **state)
{
	char p1[512], p2[512];
	struct buf b1 = BUF_INIT, b2 = BUF_INIT, d1 = BUF_INIT, d2 = BUF_INIT;

	(void)state;
	snprintf(p1, sizeof(p1), "%s/t1.tar.gz", tmpdir);
	snprintf(p2, sizeof(p2), "%s/t2.tar.gz", tmpdir);
	write_many(p1, false, &d1);
	write_many(p2, true, &d2);
	slurp(p1, &b1);
	slurp(p2, &b2);
	assert_int_equal(b1.len, b2.len);
	assert_memory_equal(b1.data, b2.data, b1.len);
	assert_int_equal(d1.len, d2.len);
	assert_memory_equal(d1.data, d2.data, d1.len);
	buf_release(&b1);
	buf_release(&b2);
	buf_release(&d1);
	buf_release(&d2);
	unlink(p1);
	unlink(p2);
}

static void test_archive_out__take_then_abort(void **state)
{
	struct archive_out *a = NULL;
	struct error err = ERROR_INIT;
	char path[512];
	struct stat st;
	int before = count_entries(tmpdir);

	(void)state;
	snprintf(path, sizeof(path), "%s/taken.tar.gz", tmpdir);
	assert_int_equal(archive_out_open(path, "taken", ARCHIVE_OUT_TAR_GZ, 0, &a, &err), 0);
	for (int i = 0; i < 50; i++)
		assert_int_equal(archive_out_add_take(a, "x.txt", strdup("x"), 1, &err), 0);
	/* a bad name is refused at once, the data freed */
	assert_true(archive_out_add_take(a, "../x", strdup("x"), 1, &err) < 0);
	archive_out_abort(a);
	assert_int_equal(count_entries(tmpdir), before);
	assert_int_not_equal(stat(path, &st), 0);
}

static void test_archive_out__abort_leaves_nothing(void **state)
{
	struct archive_out *a = NULL;
	struct error err = ERROR_INIT;
	char path[512];
	struct stat st;
	int before = count_entries(tmpdir);

	(void)state;
	snprintf(path, sizeof(path), "%s/aborted.tar.gz", tmpdir);
	assert_int_equal(archive_out_open(path, "aborted", ARCHIVE_OUT_TAR_GZ, 0, &a, &err), 0);
	assert_int_equal(stat(archive_out_temp_path(a), &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(count_entries(tmpdir), before + 1);
	assert_int_equal(archive_out_add(a, "x.txt", "x", 1, &err), 0);
	archive_out_abort(a);
	assert_int_equal(count_entries(tmpdir), before);
	assert_int_not_equal(stat(path, &st), 0);
}

static void test_archive_out__no_folder(void **state)
{
	struct archive_out *a = NULL;
	struct error err = ERROR_INIT;

	(void)state;
	assert_true(archive_out_open("/nonexistent/dir/x.tar.gz", "x", ARCHIVE_OUT_TAR_GZ, 0, &a,
	                             &err) < 0);
	assert_non_null(strstr(err.message, "cannot create a temporary file"));
}

/* A full disk: the temp file's descriptor is swapped for /dev/full (every write
 * fails with ENOSPC); the writer must fail and leave no file behind. */
static void test_archive_out__write_error(void **state)
{
	struct archive_out *a = NULL;
	struct error err = ERROR_INIT;
	char path[512];
	char big[65536];
	int before = count_entries(tmpdir), r = 0;
	int fdfull;

	(void)state;
	snprintf(path, sizeof(path), "%s/full.tar", tmpdir);
	assert_int_equal(archive_out_open(path, "full", ARCHIVE_OUT_TAR, 0, &a, &err), 0);
	/* make the temp file's descriptor refer to /dev/full (ENOSPC on write) */
	fdfull = open("/dev/full", O_WRONLY);
	if (fdfull < 0) {
		archive_out_abort(a);
		skip();
	}
	{
		/* the writer's fd is the lowest one mkstemp returned; find it by path */
		char link[64], target[512];
		int fd;

		for (fd = 3; fd < 64; fd++) {
			ssize_t n;

			snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
			n = readlink(link, target, sizeof(target) - 1);
			if (n > 0) {
				target[n] = '\0';
				if (strcmp(target, archive_out_temp_path(a)) == 0)
					break;
			}
		}
		assert_true(fd < 64);
		assert_true(dup2(fdfull, fd) == fd);
		close(fdfull);
	}
	memset(big, 'x', sizeof(big));
	for (int i = 0; i < 64 && r == 0; i++)
		r = archive_out_add(a, "big.txt", big, sizeof(big), &err);
	if (r == 0)
		r = archive_out_commit(a, &err);
	else
		archive_out_abort(a);
	assert_true(r < 0);
	assert_int_equal(count_entries(tmpdir), before);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_archive_out__names),
		cmocka_unit_test(test_archive_out__round_trip),
		cmocka_unit_test(test_archive_out__reproducible),
		cmocka_unit_test(test_archive_out__take_same_bytes),
		cmocka_unit_test(test_archive_out__take_then_abort),
		cmocka_unit_test(test_archive_out__abort_leaves_nothing),
		cmocka_unit_test(test_archive_out__no_folder),
		cmocka_unit_test(test_archive_out__write_error),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
