/* SPDX-License-Identifier: Apache-2.0 */
/* Tests of the pieces that keep big bundles fast: core/pgzip.c (parallel gzip:
 * one valid gzip stream, the same bytes whatever the number of threads) and
 * core/strset.c (the set of member names seen). */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <zlib.h>

#include "buf.h"
#include "pgzip.h"
#include "strset.h"
#include "banned.h"

/* Log-like text that compresses but not trivially; len not a multiple of a block. */
static void make_input(struct buf *b, size_t len)
{
	uint32_t x = 12345;

	while (b->len < len) {
		char line[128];
		int n;

		x = x * 1103515245u + 12345u;
		n = snprintf(line, sizeof(line),
		             "{\"ip\":\"10.%u.%u.%u\",\"status\":%u,\"path\":\"/v1/%u\"}\n",
		             x >> 24, (x >> 16) & 255, (x >> 8) & 255, 200 + x % 4, x % 100000);
		assert_int_equal(buf_append(b, line, (size_t)n), 0);
	}
	b->len = len;
}

/* Compress in into a memory file with level and threads, in pieces of step bytes. */
static void pgz_compress(const struct buf *in, int level, int threads, size_t step, struct buf *out)
{
	char path[] = "/tmp/test_perf.XXXXXX";
	int fd = mkstemp(path);
	struct pgzip *z = NULL;
	char chunk[65536];
	ssize_t n;

	assert_true(fd >= 0);
	unlink(path);
	assert_int_equal(pgzip_open(fd, level, threads, &z), 0);
	for (size_t off = 0; off < in->len; off += step)
		assert_int_equal(
		        pgzip_write(z, in->data + off, in->len - off < step ? in->len - off : step),
		        0);
	assert_int_equal(pgzip_finish(z), 0);
	assert_int_equal(pgzip_write(z, "x", 1), -EALREADY);
	assert_int_equal((off_t)pgzip_out_bytes(z), lseek(fd, 0, SEEK_CUR));
	pgzip_free(z);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		assert_int_equal(buf_append(out, chunk, (size_t)n), 0);
	close(fd);
}

/* zlib's gzip decoder checks the CRC and the length in the trailer */
static void assert_gunzips_to(const struct buf *gz, const struct buf *want)
{
	z_stream s;
	unsigned char *got = malloc(want->len + 1);

	assert_non_null(got);
	memset(&s, 0, sizeof(s));
	assert_int_equal(inflateInit2(&s, 16 + 15), Z_OK);
	s.next_in = (unsigned char *)gz->data;
	s.avail_in = (uInt)gz->len;
	s.next_out = got;
	s.avail_out = (uInt)want->len + 1;
	assert_int_equal(inflate(&s, Z_FINISH), Z_STREAM_END);
	assert_int_equal(s.total_out, want->len);
	assert_int_equal(s.avail_in, 0); /* one member, nothing after it */
	assert_memory_equal(got, want->data, want->len);
	inflateEnd(&s);
	free(got);
}

static void test_pgzip__round_trip_and_deterministic(void **state)
{
	static const size_t sizes[] = {
		0, 1, PGZIP_BLOCK - 1, PGZIP_BLOCK, PGZIP_BLOCK + 1, 5 * PGZIP_BLOCK + 777
	};

	(void)state;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct buf in = BUF_INIT, one = BUF_INIT, three = BUF_INIT, nine = BUF_INIT;

		make_input(&in, sizes[i]);
		pgz_compress(&in, 1, 1, 1000, &one);
		pgz_compress(&in, 1, 3, 100000, &three);
		pgz_compress(&in, 9, 2, 4096, &nine);
		assert_gunzips_to(&one, &in);
		assert_gunzips_to(&three, &in);
		assert_gunzips_to(&nine, &in);
		/* the same bytes whatever the threads and the write sizes */
		assert_int_equal(one.len, three.len);
		assert_memory_equal(one.data, three.data, one.len);
		buf_release(&in);
		buf_release(&one);
		buf_release(&three);
		buf_release(&nine);
	}
}

static void test_pgzip__bad_arguments_and_write_error(void **state)
{
	struct pgzip *z = NULL;
	int fds[2];
	char big[4096] = { 0 };
	int rc = 0;

	(void)state;
	assert_int_equal(pgzip_open(1, 0, 1, &z), -EINVAL);
	assert_int_equal(pgzip_open(1, 10, 1, &z), -EINVAL);
	/* a closed pipe: the error comes back from a write or from finish */
	assert_int_equal(pipe(fds), 0);
	close(fds[0]);
	signal(SIGPIPE, SIG_IGN);
	if (pgzip_open(fds[1], 1, 2, &z) == 0) {
		for (int i = 0; i < 200 && rc == 0; i++)
			rc = pgzip_write(z, big, sizeof(big));
		if (rc == 0)
			rc = pgzip_finish(z);
		pgzip_free(z);
	} else {
		rc = -EPIPE;
	}
	assert_int_equal(rc, -EPIPE);
	close(fds[1]);
	/* freeing without finishing: workers stop, nothing leaks */
	fds[0] = open("/dev/null", O_WRONLY | O_CLOEXEC);
	assert_int_equal(pgzip_open(fds[0], 1, 2, &z), 0);
	assert_int_equal(pgzip_write(z, big, sizeof(big)), 0);
	pgzip_free(z);
	close(fds[0]);
}

static void test_strset__basics(void **state)
{
	struct strset s = STRSET_INIT;
	char name[32];

	(void)state;
	assert_false(strset_contains(&s, "a"));
	for (int i = 0; i < 5000; i++) {
		snprintf(name, sizeof(name), "d/%d.log", i);
		assert_int_equal(strset_add(&s, name), 1);
	}
	assert_int_equal(strset_add(&s, "d/17.log"), 0);
	assert_int_equal(s.n, 5000);
	for (int i = 0; i < 5000; i++) {
		snprintf(name, sizeof(name), "d/%d.log", i);
		assert_true(strset_contains(&s, name));
	}
	assert_false(strset_contains(&s, "d/5000.log"));
	assert_int_equal(strset_add(&s, ""), 1);
	assert_true(strset_contains(&s, ""));
	strset_release(&s);
	assert_false(strset_contains(&s, "d/1.log"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pgzip__round_trip_and_deterministic),
		cmocka_unit_test(test_pgzip__bad_arguments_and_write_error),
		cmocka_unit_test(test_strset__basics),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
