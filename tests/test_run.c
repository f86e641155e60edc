/* SPDX-License-Identifier: Apache-2.0 */
/* Tests of the subprocess runner (core/run.c) and its worker pool. */
#include <errno.h>
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

#include "buf.h"
#include "error.h"
#include "run.h"
#include "banned.h"

static void cmd_set(struct child_process *cmd, const char *first, ...)
{
	va_list ap;

	child_process_init(cmd);
	va_start(ap, first);
	for (const char *a = first; a; a = va_arg(ap, const char *))
		assert_int_equal(strv_push(&cmd->argv, a), 0);
	va_end(ap);
}

/* Alive and not a zombie (an orphan may wait for a reaper that never comes). */
static int is_alive(long pid)
{
	char path[64], line[512];
	const char *rp;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (!fgets(line, sizeof(line), f)) {
		fclose(f);
		return 0;
	}
	fclose(f);
	rp = strrchr(line, ')');
	return rp && rp[1] == ' ' && rp[2] != 'Z' && rp[2] != 'X';
}

static void test_run__echo(void **state)
{
	struct child_process cmd;
	struct buf out = BUF_INIT, err_out = BUF_INIT;
	struct run_result res;
	struct error err = ERROR_INIT;

	(void)state;
	cmd_set(&cmd, "echo", "hello", "world", NULL);
	assert_int_equal(run_capture(&cmd, &out, &err_out, &res, &err), 0);
	assert_int_equal(res.exit_status, 0);
	assert_false(res.timed_out);
	assert_false(res.not_found);
	assert_string_equal(out.data, "hello world\n");
	assert_int_equal(err_out.len, 0);
	child_process_release(&cmd);
	buf_release(&out);
	buf_release(&err_out);
}

static void test_run__exit_code_and_stderr(void **state)
{
	struct child_process cmd;
	struct buf out = BUF_INIT, err_out = BUF_INIT;
	struct run_result res;
	struct error err = ERROR_INIT;

	(void)state;
	cmd_set(&cmd, "sh", "-c", "echo out; echo oops >&2; exit 3", NULL);
	assert_int_equal(run_capture(&cmd, &out, &err_out, &res, &err), 0);
	assert_int_equal(res.exit_status, 3);
	assert_int_equal(res.term_signal, 0);
	assert_string_equal(out.data, "out\n");
	assert_string_equal(err_out.data, "oops\n");
	child_process_release(&cmd);
	buf_release(&out);
	buf_release(&err_out);
}

static void test_run__signal(void **state)
{
	struct child_process cmd;
	struct run_result res;
	struct error err = ERROR_INIT;

	(void)state;
	cmd_set(&cmd, "sh", "-c", "kill -9 $$", NULL);
	assert_int_equal(run_capture(&cmd, NULL, NULL, &res, &err), 0);
	assert_int_equal(res.exit_status, -1);
	assert_int_equal(res.term_signal, SIGKILL);
	child_process_release(&cmd);
}

static void test_run__stdin_is_dev_null(void **state)
{
	struct child_process cmd;
	struct buf out = BUF_INIT;
	struct run_result res;
	struct error err = ERROR_INIT;

	(void)state;
	cmd_set(&cmd, "cat", NULL);
	cmd.timeout_ms = 5000;
	assert_int_equal(run_capture(&cmd, &out, NULL, &res, &err), 0);
	assert_int_equal(res.exit_status, 0);
	assert_false(res.timed_out);
	assert_int_equal(out.len, 0);
	child_process_release(&cmd);
	buf_release(&out);
}

static void test_run__cap(void **state)
{
	struct child_process cmd;
	struct buf out = BUF_INIT;
	struct run_result res;
	struct error err = ERROR_INIT;

	(void)state;
	/* 1 MB of output, 1000 bytes kept: the child must still finish (no blocking) */
	cmd_set(&cmd, "sh", "-c", "head -c 1000000 /dev/zero | tr '\\0' x", NULL);
	cmd.out_cap = 1000;
	cmd.timeout_ms = 20000;
	assert_int_equal(run_capture(&cmd, &out, NULL, &res, &err), 0);
	assert_int_equal(res.exit_status, 0);
	assert_true(res.out_truncated);
	assert_false(res.timed_out);
	assert_int_equal(out.len, 1000);
	assert_int_equal(res.out_bytes, 1000000);
	child_process_release(&cmd);
	buf_release(&out);
}

static void test_run__timeout_kills_group(void **state)
{
	struct child_process cmd;
	struct buf out = BUF_INIT;
	struct run_result res;
	struct error err = ERROR_INIT;
	char pidfile[] = "/tmp/test_run_pid.XXXXXX";
	int fd = mkstemp(pidfile);
	char script[512];
	FILE *f;
	long gpid = 0;
	int64_t t0;

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	/* the grandchild writes its pid; it holds stdout open, so a runner that only
	 * killed the child would wait for it */
	snprintf(script, sizeof(script), "sleep 100 & echo $! > %s; sleep 100", pidfile);
	cmd_set(&cmd, "sh", "-c", script, NULL);
	cmd.timeout_ms = 300;
	t0 = run_now_ms();
	assert_int_equal(run_capture(&cmd, &out, NULL, &res, &err), 0);
	assert_true(run_now_ms() - t0 < 5000);
	assert_true(res.timed_out);
	assert_int_equal(res.exit_status, -1);
	assert_int_equal(res.term_signal, SIGTERM);
	f = fopen(pidfile, "r");
	assert_non_null(f);
	assert_int_equal(fscanf(f, "%ld", &gpid), 1);
	fclose(f);
	unlink(pidfile);
	assert_true(gpid > 0);
	/* the grandchild is gone too (give the kernel a moment to reap it via init) */
	for (int i = 0; i < 50 && is_alive(gpid); i++)
		usleep(20000);
	assert_false(is_alive(gpid));
	child_process_release(&cmd);
	buf_release(&out);
}

static void test_run__term_ignored_then_kill(void **state)
{
	struct child_process cmd;
	struct run_result res;
	struct error err = ERROR_INIT;
	int64_t t0;

	(void)state;
	cmd_set(&cmd, "sh", "-c", "trap '' TERM; sleep 100", NULL);
	cmd.timeout_ms = 200;
	t0 = run_now_ms();
	assert_int_equal(run_capture(&cmd, NULL, NULL, &res, &err), 0);
	assert_true(res.timed_out);
	assert_true(run_now_ms() - t0 < 6000);
	assert_int_equal(res.term_signal, SIGKILL);
	child_process_release(&cmd);
}

static void test_run__cancel(void **state)
{
	static volatile sig_atomic_t cancel = 1;
	struct child_process cmd;
	struct run_result res;
	struct error err = ERROR_INIT;

	(void)state;
	cmd_set(&cmd, "sleep", "100", NULL);
	cmd.cancel = &cancel;
	assert_int_equal(run_capture(&cmd, NULL, NULL, &res, &err), 0);
	assert_true(res.cancelled);
	assert_false(res.timed_out);
	child_process_release(&cmd);
}

static void test_run__missing_binary(void **state)
{
	struct child_process cmd;
	struct run_result res;
	struct error err = ERROR_INIT;

	(void)state;
	cmd_set(&cmd, "/nonexistent/kubectl", "version", NULL);
	assert_int_equal(run_capture(&cmd, NULL, NULL, &res, &err), -ENOENT);
	assert_true(res.not_found);
	assert_non_null(strstr(err.message, "cannot run"));
	child_process_release(&cmd);

	cmd_set(&cmd, "apigee-bundle-no-such-program", NULL);
	assert_int_equal(run_capture(&cmd, NULL, NULL, &res, &err), -ENOENT);
	assert_true(res.not_found);
	child_process_release(&cmd);
	assert_null(run_find_program("apigee-bundle-no-such-program"));
}

static void test_run__find_program(void **state)
{
	char *p = run_find_program("sh");

	(void)state;
	assert_non_null(p);
	assert_true(p[0] == '/');
	free(p);
	p = run_find_program("/bin/sh");
	assert_non_null(p);
	free(p);
	assert_null(run_find_program("/nonexistent/sh"));
}

static void test_run__env_and_cwd(void **state)
{
	struct child_process cmd;
	struct buf out = BUF_INIT;
	struct run_result res;
	struct error err = ERROR_INIT;

	(void)state;
	cmd_set(&cmd, "sh", "-c", "echo \"$APIGEE_TEST_VAR\"; pwd", NULL);
	assert_int_equal(strv_push(&cmd.env_extra, "APIGEE_TEST_VAR=yes"), 0);
	cmd.cwd = "/";
	assert_int_equal(run_capture(&cmd, &out, NULL, &res, &err), 0);
	assert_string_equal(out.data, "yes\n/\n");
	child_process_release(&cmd);
	buf_release(&out);
}

struct sink_count {
	size_t bytes;
	int calls;
};

static int count_fn(void *ud, const void *data, size_t len)
{
	struct sink_count *c = ud;

	(void)data;
	c->bytes += len;
	c->calls++;
	return 0;
}

static void test_run__stream_callback(void **state)
{
	struct child_process cmd;
	struct run_result res;
	struct error err = ERROR_INIT;
	struct sink_count c = { 0, 0 };

	(void)state;
	cmd_set(&cmd, "head", "-c", "300000", "/dev/zero", NULL);
	cmd.out_fn = count_fn;
	cmd.out_userdata = &c;
	assert_int_equal(run_capture(&cmd, NULL, NULL, &res, &err), 0);
	assert_int_equal(res.exit_status, 0);
	assert_int_equal(c.bytes, 300000);
	child_process_release(&cmd);
}

struct par {
	int done[16];
	int64_t t0;
};

static void par_job(void *ud, size_t i)
{
	struct par *p = ud;
	struct child_process cmd;
	struct run_result res;

	cmd_set(&cmd, "sleep", "0.3", NULL);
	if (run_capture(&cmd, NULL, NULL, &res, NULL) == 0 && res.exit_status == 0)
		p->done[i] = 1;
	child_process_release(&cmd);
}

static void test_run__parallel(void **state)
{
	struct par p = { { 0 }, 0 };
	int64_t t0 = run_now_ms(), dt;

	(void)state;
	/* 8 jobs of 0.3 s on 4 workers: about 0.6 s, not 2.4 s */
	assert_int_equal(run_parallel(8, 4, par_job, &p, NULL), 0);
	dt = run_now_ms() - t0;
	for (int i = 0; i < 8; i++)
		assert_int_equal(p.done[i], 1);
	/* serial would be 2.4 s at least; the rest is room for a loaded machine and
	 * valgrind, which runs one thread at a time (scripts/valgrind.sh) */
	print_message("8 jobs of 0.3 s on 4 workers: %lld ms\n", (long long)dt);
	assert_true(dt < 2300);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_run__echo),
		cmocka_unit_test(test_run__exit_code_and_stderr),
		cmocka_unit_test(test_run__signal),
		cmocka_unit_test(test_run__stdin_is_dev_null),
		cmocka_unit_test(test_run__cap),
		cmocka_unit_test(test_run__timeout_kills_group),
		cmocka_unit_test(test_run__term_ignored_then_kill),
		cmocka_unit_test(test_run__cancel),
		cmocka_unit_test(test_run__missing_binary),
		cmocka_unit_test(test_run__find_program),
		cmocka_unit_test(test_run__env_and_cwd),
		cmocka_unit_test(test_run__stream_callback),
		cmocka_unit_test(test_run__parallel),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
