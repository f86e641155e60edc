/* SPDX-License-Identifier: Apache-2.0 */
/* Child processes without a shell (git's run-command), and a small worker pool.
 *
 * run_capture() starts argv[0] (searched on PATH when it has no '/') with
 * posix_spawnp: no shell, its own process group, stdin from /dev/null, the
 * signal mask and dispositions reset, the parent's environment plus env_extra.
 * Both output pipes are drained with poll(); bytes beyond a cap are read and
 * discarded (the result says "truncated"), so a chatty child never blocks. A
 * timeout (or the caller's cancel flag) sends SIGTERM to the whole group, then
 * SIGKILL 2 s later, so grandchildren die too. The child is always reaped.
 *
 * The caller:
 *   1. struct child_process cmd = CHILD_PROCESS_INIT; strv_push(&cmd.argv, ...);
 *      sets timeout_ms / caps / cwd / env_extra / cancel / out_fn as needed;
 *   2. run_capture(&cmd, &out, &errbuf, &res, &err): 0 when the child ran (whatever
 *      its exit status: check res.exit_status, res.term_signal, res.timed_out),
 *      a negative errno when it could not be started -- res.not_found is then set
 *      for a missing binary (ENOENT), err says why;
 *   3. child_process_release(&cmd); buf_release() on the buffers (caller owns them).
 *
 * Thread-safe: several threads may run children at once (every pipe is
 * O_CLOEXEC, no global state). */
#ifndef CORE_RUN_H
#define CORE_RUN_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct error;

#define RUN_DEFAULT_CAP (64u << 20) /* bytes kept per stream when the cap is 0 */
#define RUN_KILL_GRACE_MS 2000      /* SIGTERM -> SIGKILL */
#define RUN_MAX_PARALLEL 64

/* Receives stdout bytes as they arrive instead of the out buffer (for output too
 * big to hold). A negative return stops the capture: the group is killed and
 * run_capture returns that value. */
typedef int (*run_out_fn)(void *userdata, const void *data, size_t len);

struct child_process {
	struct strv argv;      /* argv[0] is the program */
	struct strv env_extra; /* "NAME=value" entries added to (or replacing in) the environment */
	const char *cwd;       /* NULL = inherit */
	int64_t timeout_ms;    /* 0 = none */
	size_t out_cap, err_cap;             /* 0 = RUN_DEFAULT_CAP */
	const volatile sig_atomic_t *cancel; /* non-zero: stop the child like a timeout */
	run_out_fn out_fn;                   /* NULL = collect stdout into out */
	void *out_userdata;
};

#define CHILD_PROCESS_INIT                                            \
	{                                                             \
		STRV_INIT, STRV_INIT, NULL, 0, 0, 0, NULL, NULL, NULL \
	}

void child_process_init(struct child_process *cmd);
void child_process_release(struct child_process *cmd);

struct run_result {
	int exit_status; /* 0..255 when the child exited, -1 when killed by a signal */
	int term_signal; /* the signal that ended it, 0 if it exited */
	bool timed_out;  /* we killed it: timeout */
	bool cancelled;  /* we killed it: *cancel became non-zero */
	bool not_found;  /* the program does not exist (ENOENT) */
	bool out_truncated, err_truncated;
	int64_t duration_ms;
	uint64_t out_bytes, err_bytes; /* seen, including discarded bytes */
};

/* out and err_out may be NULL (the stream is discarded). See the top comment. */
int run_capture(const struct child_process *cmd, struct buf *out, struct buf *err_out,
                struct run_result *res, struct error *err);

/* Search PATH for an executable named name (no '/'), or check a path (with '/').
 * Returns a newly allocated path (caller frees) or NULL. */
char *run_find_program(const char *name);

/* Monotonic clock in milliseconds. */
int64_t run_now_ms(void);

/* Run fn(userdata, i) for every i in [0, n) on at most max_parallel threads
 * (1 = in the calling thread, in order). Jobs are taken in index order. Once
 * *cancel is non-zero no new job starts. Returns 0, or -errno when threads could
 * not be created (the remaining jobs then run in the calling thread). */
typedef void (*run_job_fn)(void *userdata, size_t i);
int run_parallel(size_t n, unsigned max_parallel, run_job_fn fn, void *userdata,
                 const volatile sig_atomic_t *cancel);

#endif
