/* SPDX-License-Identifier: Apache-2.0 */
/* Child processes without a shell, with output caps, timeouts that kill the whole
 * process group, and a small worker pool for running independent jobs at once. */
#include "run.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "banned.h"

extern char **environ;

#define RUN_READ_CHUNK 65536
#define RUN_SLICE_MS 100        /* how often the wait loop looks at the clock and the child */
#define RUN_ORPHAN_GRACE_MS 500 /* leader gone, pipes still open: then kill the rest */
#define RUN_GIVE_UP_MS 1000     /* after SIGKILL: stop reading pipes held by escapees */

void child_process_init(struct child_process *cmd)
{
	struct child_process init = CHILD_PROCESS_INIT;

	*cmd = init;
}

void child_process_release(struct child_process *cmd)
{
	if (!cmd)
		return;
	strv_release(&cmd->argv);
	strv_release(&cmd->env_extra);
}

int64_t run_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

char *run_find_program(const char *name)
{
	const char *path, *p;

	if (!name || !*name)
		return NULL;
	if (strchr(name, '/')) {
		struct stat st;

		if (stat(name, &st) == 0 && S_ISREG(st.st_mode) && access(name, X_OK) == 0)
			return strdup(name);
		return NULL;
	}
	path = getenv("PATH");
	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (p = path;;) {
		const char *colon = strchr(p, ':');
		size_t dlen = colon ? (size_t)(colon - p) : strlen(p);
		struct buf b = BUF_INIT;
		struct stat st;

		if (buf_printf(&b, "%.*s/%s", (int)(dlen ? dlen : 1), dlen ? p : ".", name) < 0) {
			buf_release(&b);
			return NULL;
		}
		if (stat(b.data, &st) == 0 && S_ISREG(st.st_mode) && access(b.data, X_OK) == 0)
			return buf_detach(&b, NULL);
		buf_release(&b);
		if (!colon)
			break;
		p = colon + 1;
	}
	return NULL;
}

/* environ with env_extra applied: same-name entries are replaced. */
static char **build_env(const struct strv *extra)
{
	size_t n = 0, k = 0;
	char **env;

	while (environ && environ[n])
		n++;
	env = calloc(n + extra->n + 1, sizeof(*env));
	if (!env)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		const char *eq = strchr(environ[i], '=');
		size_t nl = eq ? (size_t)(eq - environ[i]) : strlen(environ[i]);
		bool replaced = false;

		for (size_t j = 0; j < extra->n; j++)
			if (strncmp(extra->v[j], environ[i], nl) == 0 && extra->v[j][nl] == '=')
				replaced = true;
		if (!replaced)
			env[k++] = environ[i];
	}
	for (size_t j = 0; j < extra->n; j++)
		env[k++] = extra->v[j];
	env[k] = NULL;
	return env;
}

struct stream {
	int fd;
	struct buf *buf;
	size_t cap;
	bool truncated;
	uint64_t bytes;
	run_out_fn fn;
	void *ud;
};

/* Read what is there. Returns 1 at EOF, 0 otherwise, negative when out_fn failed. */
static int drain(struct stream *st, char *chunk)
{
	ssize_t n = read(st->fd, chunk, RUN_READ_CHUNK);

	if (n < 0)
		return errno == EINTR || errno == EAGAIN ? 0 : 1;
	if (n == 0)
		return 1;
	st->bytes += (uint64_t)n;
	if (st->fn) {
		int r = st->fn(st->ud, chunk, (size_t)n);

		if (r < 0)
			return r;
		return 0;
	}
	if (st->buf && !st->truncated) {
		size_t room = st->cap > st->buf->len ? st->cap - st->buf->len : 0;
		size_t take = (size_t)n < room ? (size_t)n : room;

		if (take && buf_append(st->buf, chunk, take) < 0)
			st->truncated = true;
		if (take < (size_t)n)
			st->truncated = true;
	}
	return 0;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* A program that is not there is told by its errno before spawning: not every
 * posix_spawnp reports a failed exec (under valgrind, or where it is fork + exec,
 * the child just exits 127). 0 or an errno. */
static int spawn_check(const struct child_process *cmd)
{
	const char *p = cmd->argv.v[0];
	char *found;
	bool ok;

	if (strchr(p, '/')) {
		if (p[0] != '/' && cmd->cwd)
			return 0; /* relative to the child's folder: posix_spawnp says */
		return access(p, X_OK) == 0 ? 0 : errno;
	}
	found = run_find_program(p);
	ok = found != NULL;
	free(found);
	return ok ? 0 : ENOENT;
}

static int spawn(const struct child_process *cmd, int out_w, int err_w, pid_t *ret_pid)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, all;
	char **env;
	int r;

	if ((r = spawn_check(cmd)) != 0)
		return r;
	env = build_env(&cmd->env_extra);
	if (!env)
		return ENOMEM;
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&at);
	sigemptyset(&none);
	sigfillset(&all);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &all);
	posix_spawnattr_setpgroup(&at, 0);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
	                                      POSIX_SPAWN_SETSIGDEF);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, out_w, 1);
	posix_spawn_file_actions_adddup2(&fa, err_w, 2);
	if (cmd->cwd)
		posix_spawn_file_actions_addchdir_np(&fa, cmd->cwd);
	r = posix_spawnp(ret_pid, cmd->argv.v[0], &fa, &at, cmd->argv.v, env);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	free(env);
	return r;
}

/* The state of one child being supervised. */
struct supervise {
	const struct child_process *cmd;
	struct stream st[2];
	bool open[2];
	bool reaped;
	pid_t pid;
	int status;
	int fn_error;
	int64_t deadline, term_at, kill_at, leader_gone_at;
};

/* Reap the leader if it exited; stop the group on timeout / cancel / a refusing
 * consumer (SIGTERM, SIGKILL after the grace period), and abandon processes that
 * escaped the group but keep a pipe open. Returns true when it is time to give up. */
static bool supervise_clock(struct supervise *sv, struct run_result *res, int64_t now)
{
	if (!sv->reaped) {
		pid_t w = waitpid(sv->pid, &sv->status, WNOHANG);

		if (w == sv->pid || (w < 0 && errno == ECHILD)) {
			sv->reaped = true;
			sv->leader_gone_at = now;
		}
	}
	if (sv->term_at < 0 && !sv->reaped) {
		bool cancel = sv->cmd->cancel && *sv->cmd->cancel;
		bool late = sv->deadline >= 0 && now >= sv->deadline;

		if (sv->fn_error || cancel || late) {
			if (!sv->fn_error && cancel)
				res->cancelled = true;
			else if (!sv->fn_error)
				res->timed_out = true;
			kill(-sv->pid, SIGTERM);
			sv->term_at = now;
		}
	}
	if (sv->term_at >= 0 && sv->kill_at < 0 && now - sv->term_at >= RUN_KILL_GRACE_MS) {
		kill(-sv->pid, SIGKILL);
		sv->kill_at = now;
	}
	/* The leader exited but something it started still holds a pipe. */
	if (sv->reaped && (sv->open[0] || sv->open[1]) && sv->kill_at < 0 &&
	    now - sv->leader_gone_at >= RUN_ORPHAN_GRACE_MS) {
		kill(-sv->pid, SIGKILL);
		sv->kill_at = now;
	}
	if (sv->kill_at >= 0 && now - sv->kill_at >= RUN_GIVE_UP_MS) {
		sv->open[0] = sv->open[1] = false;
		if (!sv->reaped) {
			waitpid(sv->pid, &sv->status, 0);
			sv->reaped = true;
		}
		return true;
	}
	return false;
}

/* Wait up to one slice for output and drain what came. */
static void supervise_pipes(struct supervise *sv, char *chunk)
{
	struct pollfd pfd[2];
	nfds_t nfd = 0;
	int wait_ms = !sv->open[0] && !sv->open[1] && !sv->reaped ? 10 : RUN_SLICE_MS;

	for (int i = 0; i < 2; i++)
		if (sv->open[i]) {
			pfd[nfd].fd = sv->st[i].fd;
			pfd[nfd].events = POLLIN;
			pfd[nfd].revents = 0;
			nfd++;
		}
	if (nfd == 0) {
		struct timespec ts = { 0, (long)wait_ms * 1000000L };

		nanosleep(&ts, NULL);
		return;
	}
	if (poll(pfd, nfd, wait_ms) <= 0)
		return;
	for (nfds_t k = 0; k < nfd; k++) {
		int i = pfd[k].fd == sv->st[0].fd ? 0 : 1;
		int d;

		if (!(pfd[k].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		d = drain(&sv->st[i], chunk);
		if (d < 0) {
			/* the consumer refused: stop the child, keep draining */
			if (!sv->fn_error)
				sv->fn_error = d;
			sv->st[i].fn = NULL;
			sv->st[i].buf = NULL;
		} else if (d == 1) {
			sv->open[i] = false;
		}
	}
}

int run_capture(const struct child_process *cmd, struct buf *out, struct buf *err_out,
                struct run_result *res, struct error *err)
{
	int out_p[2] = { -1, -1 }, err_p[2] = { -1, -1 };
	struct supervise sv;
	char *chunk = NULL;
	int64_t start;
	int r = 0;

	memset(res, 0, sizeof(*res));
	memset(&sv, 0, sizeof(sv));
	res->exit_status = -1;
	if (!cmd->argv.n)
		return error_set(err, -EINVAL, NULL, 0, "empty command");
	start = run_now_ms();
	sv.cmd = cmd;
	sv.deadline = cmd->timeout_ms > 0 ? start + cmd->timeout_ms : -1;
	sv.term_at = sv.kill_at = sv.leader_gone_at = -1;
	sv.open[0] = sv.open[1] = true;

	chunk = malloc(RUN_READ_CHUNK);
	if (!chunk)
		return error_set(err, -ENOMEM, cmd->argv.v[0], 0, "out of memory");
	if (pipe2(out_p, O_CLOEXEC) < 0 || pipe2(err_p, O_CLOEXEC) < 0) {
		r = error_set(err, -errno, cmd->argv.v[0], 0, "cannot create a pipe: %s",
		              strerror(errno));
		goto out;
	}
	r = spawn(cmd, out_p[1], err_p[1], &sv.pid);
	close_fd(&out_p[1]);
	close_fd(&err_p[1]);
	if (r != 0) {
		res->not_found = r == ENOENT;
		res->duration_ms = run_now_ms() - start;
		r = error_set(err, -r, cmd->argv.v[0], 0, "cannot run '%s': %s", cmd->argv.v[0],
		              strerror(r));
		goto out;
	}
	sv.st[0] = (struct stream){ out_p[0],
		                    out,
		                    cmd->out_cap ? cmd->out_cap : RUN_DEFAULT_CAP,
		                    false,
		                    0,
		                    cmd->out_fn,
		                    cmd->out_userdata };
	sv.st[1] =
	        (struct stream){ err_p[0], err_out, cmd->err_cap ? cmd->err_cap : RUN_DEFAULT_CAP,
		                 false,    0,       NULL,
		                 NULL };
	fcntl(out_p[0], F_SETFL, O_NONBLOCK);
	fcntl(err_p[0], F_SETFL, O_NONBLOCK);

	/* Drain both pipes until EOF and the child is reaped; every slice looks at the
	 * clock (supervise_clock) so that we never hang. */
	while (sv.open[0] || sv.open[1] || !sv.reaped) {
		if (supervise_clock(&sv, res, run_now_ms()))
			break;
		supervise_pipes(&sv, chunk);
	}

	res->duration_ms = run_now_ms() - start;
	if (WIFEXITED(sv.status)) {
		res->exit_status = WEXITSTATUS(sv.status);
	} else if (WIFSIGNALED(sv.status)) {
		res->exit_status = -1;
		res->term_signal = WTERMSIG(sv.status);
	}
	res->out_truncated = sv.st[0].truncated;
	res->err_truncated = sv.st[1].truncated;
	res->out_bytes = sv.st[0].bytes;
	res->err_bytes = sv.st[1].bytes;
	if (sv.fn_error)
		r = error_set(err, sv.fn_error, cmd->argv.v[0], 0,
		              "cannot store the output of '%s'", cmd->argv.v[0]);
out:
	close_fd(&out_p[0]);
	close_fd(&out_p[1]);
	close_fd(&err_p[0]);
	close_fd(&err_p[1]);
	if (chunk) {
		/* the chunk may have held secret output (kubectl get secrets) */
		explicit_bzero(chunk, RUN_READ_CHUNK);
		free(chunk);
	}
	return r;
}

/* ---- the worker pool --------------------------------------------------------------------- */

struct pool {
	pthread_mutex_t mu;
	size_t next, n;
	run_job_fn fn;
	void *ud;
	const volatile sig_atomic_t *cancel;
};

static void *pool_worker(void *arg)
{
	struct pool *p = arg;

	for (;;) {
		size_t i;

		pthread_mutex_lock(&p->mu);
		if (p->next >= p->n || (p->cancel && *p->cancel)) {
			pthread_mutex_unlock(&p->mu);
			return NULL;
		}
		i = p->next++;
		pthread_mutex_unlock(&p->mu);
		p->fn(p->ud, i);
	}
}

int run_parallel(size_t n, unsigned max_parallel, run_job_fn fn, void *userdata,
                 const volatile sig_atomic_t *cancel)
{
	struct pool p = { PTHREAD_MUTEX_INITIALIZER, 0, n, fn, userdata, cancel };
	pthread_t th[RUN_MAX_PARALLEL];
	size_t nth = 0, want;
	int r = 0;

	if (max_parallel < 1)
		max_parallel = 1;
	if (max_parallel > RUN_MAX_PARALLEL)
		max_parallel = RUN_MAX_PARALLEL;
	want = n < max_parallel ? n : max_parallel;
	if (want > 1)
		for (; nth < want; nth++) {
			int e = pthread_create(&th[nth], NULL, pool_worker, &p);

			if (e) {
				r = -e;
				break;
			}
		}
	if (nth == 0)
		pool_worker(&p);
	for (size_t i = 0; i < nth; i++)
		pthread_join(th[i], NULL);
	pthread_mutex_destroy(&p.mu);
	return r;
}
