/* SPDX-License-Identifier: Apache-2.0 */
/* --capture IFACE[:SECONDS]: tcpdump on the probed ports while the TLS probes run,
 * so the bundle holds the probes' own handshakes on the wire
 * (captures/probes.pcap, cut and pseudonymized like every capture by the
 * redactor, redact/pcap_redact.h).
 *
 * tcpdump writes the capture to its stdout (-w -, packet-buffered), so no file
 * is left behind and tcpdump's privilege drop does not matter; the bytes go
 * straight into a streamed member. The probes wait until tcpdump says it is
 * listening (or has given up); tcpdump stops with SIGINT when the probes are
 * done, after SECONDS at the latest, or when the capture reaches
 * PKTCAP_MAX_BYTES. A missing tcpdump, or one that may not capture, makes the
 * source "skipped" with the reason. */
#include "collect.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>

#include "error.h"
#include "run.h"
#include "sources.h"
#include "banned.h"

#define PKTCAP_NAME "packet capture"
#define PKTCAP_MEMBER "captures/probes.pcap"
#define PKTCAP_MAX_BYTES (64u << 20)
#define PKTCAP_START_MS 15000 /* tcpdump must be listening by then */
#define PKTCAP_STOP_MS 5000   /* after SIGINT, then SIGKILL */
#define PKTCAP_MAX_PORTS 16

extern char **environ;

void pktcap_sync_init(struct pktcap_sync *y)
{
	pthread_mutex_init(&y->mu, NULL);
	pthread_cond_init(&y->cv, NULL);
	y->started = y->probes_done = false;
}

void pktcap_sync_release(struct pktcap_sync *y)
{
	pthread_mutex_destroy(&y->mu);
	pthread_cond_destroy(&y->cv);
}

static void set_flag(struct pktcap_sync *y, bool *flag)
{
	pthread_mutex_lock(&y->mu);
	*flag = true;
	pthread_cond_broadcast(&y->cv);
	pthread_mutex_unlock(&y->mu);
}

void pktcap_started(struct pktcap_sync *y)
{
	set_flag(y, &y->started);
}

void pktcap_probes_done(struct pktcap_sync *y)
{
	set_flag(y, &y->probes_done);
}

/* Wait up to ms for the flag; true when it is set. */
static bool wait_flag(struct pktcap_sync *y, const bool *flag, int64_t ms)
{
	struct timespec ts;
	bool v;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += (time_t)(ms / 1000);
	ts.tv_nsec += (long)(ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&y->mu);
	while (!*flag && pthread_cond_timedwait(&y->cv, &y->mu, &ts) == 0)
		;
	v = *flag;
	pthread_mutex_unlock(&y->mu);
	return v;
}

static bool probes_done(struct pktcap_sync *y)
{
	bool v;

	pthread_mutex_lock(&y->mu);
	v = y->probes_done;
	pthread_mutex_unlock(&y->mu);
	return v;
}

void pktcap_wait_started(struct pktcap_sync *y)
{
	wait_flag(y, &y->started, PKTCAP_START_MS + 1000);
}

int pktcap_parse(const char *arg, char **ret_iface, long *ret_seconds)
{
	const char *colon = strrchr(arg, ':');
	char *end = NULL;
	long s = PKTCAP_DEFAULT_SECONDS;

	if (colon) {
		errno = 0;
		s = strtol(colon + 1, &end, 10);
		if (errno || end == colon + 1 || *end || s < 1 || s > 3600)
			return -EINVAL;
	}
	if (colon == arg || !*arg)
		return -EINVAL;
	*ret_iface = colon ? strndup(arg, (size_t)(colon - arg)) : strdup(arg);
	*ret_seconds = s;
	return *ret_iface ? 0 : -ENOMEM;
}

/* "tcp and (port 443 or port 8443)": the ports of every probe target. */
static int filter_text(const struct strv *ports, struct buf *out)
{
	int rc = buf_puts(out, "tcp and (");

	for (size_t i = 0; rc == 0 && i < ports->n; i++)
		rc = buf_printf(out, "%sport %s", i ? " or " : "", ports->v[i]);
	if (rc == 0)
		rc = buf_putc(out, ')');
	return rc;
}

struct child {
	pid_t pid;
	int out, err; /* pipes */
};

static int spawn(const struct strv *argv, const char *path, struct child *c, struct error *err)
{
	posix_spawn_file_actions_t fa;
	int po[2] = { -1, -1 }, pe[2] = { -1, -1 }, rc;

	if (pipe2(po, O_CLOEXEC) < 0 || pipe2(pe, O_CLOEXEC) < 0) {
		rc = -errno;
		goto fail;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, po[1], 1);
	posix_spawn_file_actions_adddup2(&fa, pe[1], 2);
	rc = -posix_spawn(&c->pid, path, &fa, NULL, argv->v, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(po[1]);
	close(pe[1]);
	po[1] = pe[1] = -1;
	if (rc < 0)
		goto fail;
	c->out = po[0];
	c->err = pe[0];
	return 0;
fail:
	for (int i = 0; i < 2; i++) {
		if (po[i] >= 0)
			close(po[i]);
		if (pe[i] >= 0)
			close(pe[i]);
	}
	return error_set(err, rc, path, 0, "cannot start '%s': %s", path, strerror(-rc));
}

struct run {
	const struct collect_options *o;
	struct sink *s;
	struct pktcap_sync *y;
	struct sink_stream *st;
	struct child c;
	struct buf errtext;
	uint64_t bytes;
	bool listening, stopping, capped, out_eof, err_eof;
	int64_t t0, stop_at, kill_at;
	int status;
};

/* Read what is there on the pipes (wait up to ms). */
static int drain(struct run *x, int ms)
{
	struct pollfd p[2] = { { x->out_eof ? -1 : x->c.out, POLLIN, 0 },
		               { x->err_eof ? -1 : x->c.err, POLLIN, 0 } };
	char b[65536];
	int rc = 0;

	if (poll(p, 2, ms) < 0)
		return errno == EINTR ? 0 : -errno;
	if (p[0].revents) {
		ssize_t n = read(x->c.out, b, sizeof(b));

		if (n <= 0)
			x->out_eof = n == 0 || errno != EINTR;
		else if (!x->capped) {
			x->bytes += (uint64_t)n;
			rc = sink_stream_write(x->st, b, (size_t)n);
			x->capped = x->bytes >= PKTCAP_MAX_BYTES;
		}
	}
	if (p[1].revents) {
		ssize_t n = read(x->c.err, b, sizeof(b));

		if (n <= 0) {
			x->err_eof = n == 0 || errno != EINTR;
		} else if (x->errtext.len < 4096) {
			buf_append(&x->errtext, b, (size_t)n);
			if (!x->listening && x->errtext.data &&
			    strstr(x->errtext.data, "listening on")) {
				x->listening = true;
				pktcap_started(x->y);
			}
		}
	}
	return rc;
}

/* The main loop: until tcpdump has exited (and its output is read). */
static int supervise(struct run *x)
{
	int rc = 0;

	while (!(x->out_eof && x->err_eof)) {
		int64_t now = run_now_ms();

		if ((rc = drain(x, 100)) < 0)
			break;
		if (!x->stopping &&
		    (x->capped || (x->o->cancel && *x->o->cancel) || now >= x->stop_at ||
		     (!x->listening && now - x->t0 > PKTCAP_START_MS) ||
		     (x->listening && probes_done(x->y)))) {
			x->stopping = true;
			x->kill_at = now + PKTCAP_STOP_MS;
			kill(x->c.pid, SIGINT);
		}
		if (x->stopping && now >= x->kill_at) {
			kill(x->c.pid, SIGKILL);
			x->kill_at = INT64_MAX;
		}
	}
	while (waitpid(x->c.pid, &x->status, 0) < 0 && errno == EINTR)
		;
	return rc;
}

static bool not_permitted(const char *e)
{
	return e && (strcasestr(e, "permission") || strcasestr(e, "not permitted") ||
	             strcasestr(e, "operation not permitted"));
}

/* The last line tcpdump wrote before giving up, for the reason. */
static void last_line(const struct buf *b, char *out, size_t size)
{
	const char *s = b->data ? b->data : "";
	const char *e = s + b->len;

	while (e > s && (e[-1] == '\n' || e[-1] == '\r'))
		e--;
	for (const char *p = e; p > s; p--)
		if (p[-1] == '\n') {
			s = p;
			break;
		}
	snprintf(out, size, "%.*s", (int)(e - s), s);
}

static int finish(struct run *x, const struct strv *argv, struct error *err)
{
	char why[600], line[400];
	int rc;
	struct member_out m = {
		.path = PKTCAP_MEMBER,
		.source = MEMBER_SRC_COMMAND,
		.argv = argv,
		.outcome = OUTCOME_OK,
		.exit_status = WIFEXITED(x->status) ? WEXITSTATUS(x->status) : -1,
		.duration_ms = run_now_ms() - x->t0,
	};

	last_line(&x->errtext, line, sizeof(line));
	if (!x->listening || x->bytes == 0) {
		sink_stream_abort(x->st);
		x->st = NULL;
		snprintf(why, sizeof(why), "tcpdump %s: %s",
		         not_permitted(line) ? "may not capture" : "did not capture",
		         line[0] ? line : "no output");
		sink_source_ex(x->s, PKTCAP_NAME, OUTCOME_SKIPPED, why, m.duration_ms, false);
		return 0;
	}
	if (x->capped) {
		snprintf(why, sizeof(why), "capture stopped at the size cap (%u MiB)",
		         PKTCAP_MAX_BYTES >> 20);
		m.error = why;
	}
	m.stderr_text = x->errtext.data;
	rc = sink_stream_end(x->st, &m, err);
	x->st = NULL;
	if (rc == 0)
		sink_source_ex(x->s, PKTCAP_NAME, OUTCOME_OK, m.error, m.duration_ms, false);
	return rc;
}

/* --immediate-mode: libpcap hands each packet over as it comes; without it, packets
 * wait in the kernel's ring until a block fills or its timeout passes, and the
 * probes' few packets are still there when tcpdump is stopped. In that mode the
 * ring has one slot per packet of the snapshot length (256 KiB with -s 0): the
 * default 2 MiB held 8 packets, and a burst of the parallel probes lost some.
 * -B 32768 (KiB) gives 128 slots. */
static int push_args(struct strv *argv, const char *iface, const char *filter)
{
	const char *args[] = { "tcpdump", "-i",    iface, "--immediate-mode",
		               "-B",      "32768", "-U",  "-n",
		               "-s",      "0",     "-w",  "-",
		               filter };
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < sizeof(args) / sizeof(args[0]); i++)
		rc = strv_push(argv, args[i]);
	return rc;
}

int collect_pktcap(const struct collect_options *o, const struct strv *ports, struct sink *s,
                   struct pktcap_sync *y, struct error *err)
{
	struct strv argv = STRV_INIT;
	struct buf filter = BUF_INIT;
	char *path = run_find_program("tcpdump");
	struct run x;
	int rc;

	memset(&x, 0, sizeof(x));
	x.o = o;
	x.s = s;
	x.y = y;
	buf_init(&x.errtext, 0);
	if (!path) {
		pktcap_started(y);
		sink_source_ex(s, PKTCAP_NAME, OUTCOME_SKIPPED, "tcpdump not found in PATH", -1,
		               false);
		return 0;
	}
	rc = filter_text(ports, &filter);
	if (rc == 0)
		rc = push_args(&argv, o->capture_iface, filter.data);
	if (rc == 0)
		rc = sink_stream_begin(s, PKTCAP_MEMBER, &x.st, err);
	x.t0 = run_now_ms();
	x.stop_at = x.t0 + o->capture_seconds * 1000;
	if (rc == 0 && (rc = spawn(&argv, path, &x.c, err)) < 0) {
		sink_stream_abort(x.st);
		x.st = NULL;
	}
	if (rc == 0) {
		rc = supervise(&x);
		close(x.c.out);
		close(x.c.err);
	}
	/* the probes never wait for a capture that is not coming */
	pktcap_started(y);
	if (rc == 0)
		rc = finish(&x, &argv, err);
	else if (x.st)
		sink_stream_abort(x.st);
	free(path);
	buf_release(&filter);
	buf_release(&x.errtext);
	strv_release(&argv);
	return rc;
}
