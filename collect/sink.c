/* SPDX-License-Identifier: Apache-2.0 */
/* The sink: every member a source produces is redacted, leak-scanned and staged
 * here; the outcome of every source is printed as a progress line and recorded;
 * at the end the staged members are written in path order, then redaction.json,
 * then manifest.json, into one atomic archive.
 *
 * Sources run on several threads; one mutex guards the sink, the redactor (which
 * is not thread-safe) and the progress output. Members above COLLECT_MEMBER_SPILL
 * bytes are staged in temp files that are unlinked as soon as they are created, so
 * that no staged byte survives the process, whatever ends it. Only redacted bytes
 * are ever staged. */
#include "collect.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "archive_out.h"
#include "error.h"
#include "fdio.h"
#include "redact.h"
#include "run.h"
#include "text.h"
#include "version.h"
#include "banned.h"

struct staged {
	char *orig_path; /* as the source named it */
	char *path;      /* in the archive (pseudonymized when asked) */
	struct buf data; /* the redacted bytes, or */
	int fd;          /* an unlinked temp file holding them (-1 = none) */
	bool present;    /* a member exists (else: a manifest entry only) */
	json_t *entry;   /* the manifest entry without size and sha256 */
};

struct raw_keep {
	char *path;
	struct buf data;
	bool have;
};

struct sink {
	pthread_mutex_t mu;
	struct redactor *r;
	char *staging_dir;
	FILE *progress;
	bool verbose;
	bool tty;
	const volatile sig_atomic_t *cancel;

	struct staged *m;
	size_t n, cap;
	json_t *sources;
	unsigned collected, skipped, failed, disabled;
	int64_t wait_ms;
	struct wait_span *spans; /* when the waits happened, for the wall-clock union */
	size_t n_spans, cap_spans;

	struct strv protect;
	struct strv running;
	struct raw_keep *raw;
	size_t n_raw;

	int fatal;
	struct error fatal_err;
	unsigned literal_hits;
	int64_t t0; /* run_now_ms() at sink_new: the sources' start_ms/end_ms count from it */
};

struct wait_span {
	int64_t start, end;
};

struct sink_stream {
	struct sink *s;
	char *path;
	struct redact_stream *rs;
	struct leak_scan *ls;
	int fd;
	uint64_t size;
	int error;
	struct buf tail; /* last bytes, to find a protected literal across chunks */
	bool literal_hit;
};

const char *outcome_name(enum outcome o)
{
	static const char *const names[] = {
		[OUTCOME_OK] = "ok",
		[OUTCOME_FAILED] = "failed",
		[OUTCOME_TIMEOUT] = "timeout",
		[OUTCOME_SKIPPED] = "skipped",
	};

	if ((int)o < 0 || o >= OUTCOME__MAX)
		return "invalid";
	return names[o];
}

static const char *source_type(enum member_source t)
{
	switch (t) {
	case MEMBER_SRC_COMMAND:
		return "command";
	case MEMBER_SRC_API:
		return "api";
	case MEMBER_SRC_PROBE:
		return "probe";
	case MEMBER_SRC_FILE:
		return "file";
	default:
		return "collector";
	}
}

/* ---- life cycle ------------------------------------------------------------------------ */

int sink_new(const struct sink_options *o, struct sink **ret, struct error *err)
{
	struct sink *s = calloc(1, sizeof(*s));

	if (!s)
		return error_set(err, -ENOMEM, NULL, 0, "out of memory");
	pthread_mutex_init(&s->mu, NULL);
	s->r = o->redactor;
	s->progress = o->progress;
	s->tty = o->tty;
	s->verbose = o->verbose;
	s->cancel = o->cancel;
	s->t0 = run_now_ms();
	s->staging_dir = strdup(o->staging_dir ? o->staging_dir : ".");
	s->sources = json_array();
	if (!s->staging_dir || !s->sources) {
		sink_free(s);
		return error_set(err, -ENOMEM, NULL, 0, "out of memory");
	}
	*ret = s;
	return 0;
}

static void staged_release(struct staged *m)
{
	free(m->orig_path);
	free(m->path);
	buf_release(&m->data);
	if (m->fd >= 0)
		close(m->fd);
	json_decref(m->entry);
}

void sink_free(struct sink *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		staged_release(&s->m[i]);
	free(s->m);
	for (size_t i = 0; i < s->n_raw; i++) {
		free(s->raw[i].path);
		if (s->raw[i].data.data)
			OPENSSL_cleanse(s->raw[i].data.data, s->raw[i].data.len);
		buf_release(&s->raw[i].data);
	}
	free(s->raw);
	free(s->spans);
	for (size_t i = 0; i < s->protect.n; i++)
		OPENSSL_cleanse(s->protect.v[i], strlen(s->protect.v[i]));
	strv_release(&s->protect);
	strv_release(&s->running);
	json_decref(s->sources);
	free(s->staging_dir);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

/* Record the first failure that forbids a bundle. Called with the lock held. */
static void set_fatal(struct sink *s, const struct error *e)
{
	if (s->fatal)
		return;
	s->fatal = e->code ? e->code : -EIO;
	s->fatal_err = *e;
}

int sink_failed(struct sink *s, struct error *ret)
{
	int r;

	pthread_mutex_lock(&s->mu);
	r = s->fatal;
	if (r && ret)
		*ret = s->fatal_err;
	pthread_mutex_unlock(&s->mu);
	return r;
}

int sink_protect(struct sink *s, const char *secret)
{
	int r = 0;

	if (!secret || strlen(secret) < 8)
		return 0;
	pthread_mutex_lock(&s->mu);
	r = strv_push_unique(&s->protect, secret);
	pthread_mutex_unlock(&s->mu);
	return r;
}

int sink_keep_raw(struct sink *s, const char *path)
{
	struct raw_keep *p;
	int r = 0;

	pthread_mutex_lock(&s->mu);
	p = realloc(s->raw, (s->n_raw + 1) * sizeof(*p));
	if (!p) {
		r = -ENOMEM;
		goto out;
	}
	s->raw = p;
	memset(&p[s->n_raw], 0, sizeof(*p));
	p[s->n_raw].path = strdup(path);
	if (!p[s->n_raw].path) {
		r = -ENOMEM;
		goto out;
	}
	s->n_raw++;
out:
	pthread_mutex_unlock(&s->mu);
	return r;
}

int sink_raw(struct sink *s, const char *path, struct buf *ret)
{
	int r = -ENOENT;

	pthread_mutex_lock(&s->mu);
	for (size_t i = 0; i < s->n_raw; i++)
		if (strcmp(s->raw[i].path, path) == 0 && s->raw[i].have) {
			buf_init(ret, 0);
			r = buf_append(ret, s->raw[i].data.data ? s->raw[i].data.data : "",
			               s->raw[i].data.len);
		}
	pthread_mutex_unlock(&s->mu);
	return r;
}

/* A wait that just ended: summed (child time) and kept as a span, so that the
 * summary can also say how much of the wall clock had at least one wait going. */
void sink_add_wait(struct sink *s, int64_t ms)
{
	int64_t now = run_now_ms();

	if (ms <= 0)
		return;
	pthread_mutex_lock(&s->mu);
	s->wait_ms += ms;
	if (s->n_spans == s->cap_spans) {
		size_t ncap = s->cap_spans ? s->cap_spans * 2 : 64;
		struct wait_span *p = realloc(s->spans, ncap * sizeof(*p));

		if (p) {
			s->spans = p;
			s->cap_spans = ncap;
		}
	}
	if (s->n_spans < s->cap_spans)
		s->spans[s->n_spans++] = (struct wait_span){ now - ms, now };
	pthread_mutex_unlock(&s->mu);
}

static int cmp_span(const void *a, const void *b)
{
	const struct wait_span *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* The length of the union of the spans. Lock held. */
static int64_t wait_wall(struct sink *s)
{
	int64_t total = 0, cs = 0, ce = -1;

	if (s->n_spans)
		qsort(s->spans, s->n_spans, sizeof(*s->spans), cmp_span);
	for (size_t i = 0; i < s->n_spans; i++) {
		if (ce < 0 || s->spans[i].start > ce) {
			if (ce >= 0)
				total += ce - cs;
			cs = s->spans[i].start;
			ce = s->spans[i].end;
		} else if (s->spans[i].end > ce) {
			ce = s->spans[i].end;
		}
	}
	if (ce >= 0)
		total += ce - cs;
	return total;
}

/* ---- progress ------------------------------------------------------------------------- */

static unsigned term_width(FILE *f)
{
	struct winsize ws;

	if (ioctl(fileno(f), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 20)
		return ws.ws_col;
	return 80;
}

/* The live line: what is running now. Lock held. */
static void draw_status(struct sink *s)
{
	char line[512], esc[256];
	size_t w;
	int n;

	if (!s->progress || !s->tty)
		return;
	fputs("\r\033[K", s->progress);
	if (!s->running.n) {
		fflush(s->progress);
		return;
	}
	text_escape(s->running.v[s->running.n - 1], strlen(s->running.v[s->running.n - 1]), esc,
	            sizeof(esc));
	n = snprintf(line, sizeof(line), "[%zu running] %s", s->running.n, esc);
	w = term_width(s->progress) - 1;
	if (n > 0 && (size_t)n > w && w < sizeof(line))
		line[w] = '\0';
	fputs(line, s->progress);
	fflush(s->progress);
}

void sink_begin(struct sink *s, const char *name)
{
	pthread_mutex_lock(&s->mu);
	strv_push(&s->running, name);
	draw_status(s);
	pthread_mutex_unlock(&s->mu);
}

static void running_remove(struct sink *s, const char *name)
{
	for (size_t i = 0; i < s->running.n; i++)
		if (strcmp(s->running.v[i], name) == 0) {
			free(s->running.v[i]);
			memmove(&s->running.v[i], &s->running.v[i + 1],
			        (s->running.n - i) * sizeof(char *));
			s->running.n--;
			return;
		}
}

void sink_end(struct sink *s, const char *name)
{
	pthread_mutex_lock(&s->mu);
	running_remove(s, name);
	draw_status(s);
	pthread_mutex_unlock(&s->mu);
}

/* Redact a string that goes into the manifest (argv, URLs, reasons): pseudonyms
 * apply there too. Lock held. Returns a new json string or NULL. */
static json_t *redacted_string(struct sink *s, const char *str)
{
	struct buf out = BUF_INIT;
	json_t *j;

	if (!str)
		return json_null();
	if (!s->r || redact_buffer(s->r, "manifest.json", str, strlen(str), &out, NULL) < 0) {
		buf_release(&out);
		return json_string("<redacted>");
	}
	/* the redactor works on lines and may end the text with a newline */
	if (out.len && out.data[out.len - 1] == '\n' && !(*str && str[strlen(str) - 1] == '\n'))
		out.data[--out.len] = '\0';
	j = json_stringn(out.data ? out.data : "", out.len);
	if (!j)
		j = json_string("<unprintable>");
	buf_release(&out);
	return j;
}

void sink_source_ex(struct sink *s, const char *name, enum outcome o, const char *reason,
                    int64_t duration_ms, bool user_disabled)
{
	const char *status = o == OUTCOME_OK        ? "collected"
	                     : o == OUTCOME_SKIPPED ? "skipped"
	                                            : "failed";
	char ename[256], ereason[512];
	json_t *e, *rreason = NULL;

	pthread_mutex_lock(&s->mu);
	/* the reason may quote a child's stderr: the terminal gets the redacted text
	 * too, never more than the manifest */
	if (reason)
		rreason = redacted_string(s, reason);
	if (reason && json_is_string(rreason))
		reason = json_string_value(rreason);
	else if (reason)
		reason = "<redacted>";
	e = json_object();
	if (e) {
		json_object_set_new(e, "name", redacted_string(s, name));
		json_object_set_new(e, "status", json_string(status));
		if (rreason)
			json_object_set_new(e, "reason", json_incref(rreason));
		if (duration_ms >= 0)
			json_object_set_new(e, "duration_ms", json_integer(duration_ms));
		/* when, in ms since the collection started: what ran at once, and what
		 * waited for what (the critical path) */
		{
			int64_t end = run_now_ms() - s->t0;

			if (duration_ms >= 0)
				json_object_set_new(
				        e, "start_ms",
				        json_integer(end > duration_ms ? end - duration_ms : 0));
			json_object_set_new(e, "end_ms", json_integer(end));
		}
		if (o == OUTCOME_TIMEOUT)
			json_object_set_new(e, "timed_out", json_true());
		if (user_disabled)
			json_object_set_new(e, "user_disabled", json_true());
		json_array_append_new(s->sources, e);
	}
	if (user_disabled)
		s->disabled++;
	else if (o == OUTCOME_OK)
		s->collected++;
	else if (o == OUTCOME_SKIPPED)
		s->skipped++;
	else
		s->failed++;

	running_remove(s, name);
	if (s->progress) {
		text_escape(name, strlen(name), ename, sizeof(ename));
		text_escape(reason ? reason : "", reason ? strlen(reason) : 0, ereason,
		            sizeof(ereason));
		if (s->tty)
			fputs("\r\033[K", s->progress);
		if (o == OUTCOME_OK && duration_ms >= 0)
			fprintf(s->progress, "%s ... ok (%lld ms)%s%s\n", ename,
			        (long long)duration_ms, reason ? ": " : "", ereason);
		else if (o == OUTCOME_OK)
			fprintf(s->progress, "%s ... ok%s%s\n", ename, reason ? ": " : "", ereason);
		else
			fprintf(s->progress, "%s ... %s%s%s\n", ename,
			        o == OUTCOME_SKIPPED ? "skipped" : "failed", reason ? ": " : "",
			        ereason);
		draw_status(s);
		fflush(s->progress);
	}
	json_decref(rreason);
	pthread_mutex_unlock(&s->mu);
}

void sink_source(struct sink *s, const char *name, enum outcome o, const char *reason)
{
	sink_source_ex(s, name, o, reason, -1, false);
}

/* ---- members --------------------------------------------------------------------------- */

/* --verbose: the command line or request that produced m, as run ("+ argv..."),
 * with the member it went to. Neither holds the token (it travels in a header or
 * the environment, never in argv or the URL). */
static void trace_member(struct sink *s, const struct member_out *m)
{
	char esc[512];

	if (!s->progress || !s->verbose)
		return;
	if (s->tty)
		fputs("\r\033[K", s->progress);
	fputs("+", s->progress);
	if (m->source == MEMBER_SRC_COMMAND && m->argv)
		for (size_t i = 0; i < m->argv->n; i++) {
			text_escape(m->argv->v[i], strlen(m->argv->v[i]), esc, sizeof(esc));
			fprintf(s->progress, strpbrk(esc, " '\"$") ? " '%s'" : " %s", esc);
		}
	else if (m->source == MEMBER_SRC_API && m->url) {
		text_escape(m->url, strlen(m->url), esc, sizeof(esc));
		fprintf(s->progress, " GET %s", esc);
	} else if (m->target) {
		text_escape(m->target, strlen(m->target), esc, sizeof(esc));
		fprintf(s->progress, " %s %s", m->source == MEMBER_SRC_PROBE ? "probe" : "file",
		        esc);
	}
	text_escape(m->path, strlen(m->path), esc, sizeof(esc));
	fprintf(s->progress, "  -> %s\n", esc);
	fflush(s->progress);
}

static json_t *make_entry(struct sink *s, const struct member_out *m)
{
	json_t *e = json_object(), *src = json_object();

	trace_member(s, m);

	if (!e || !src) {
		json_decref(e);
		json_decref(src);
		return NULL;
	}
	json_object_set_new(src, "type", json_string(source_type(m->source)));
	switch (m->source) {
	case MEMBER_SRC_COMMAND: {
		json_t *argv = json_array();

		for (size_t i = 0; m->argv && i < m->argv->n; i++)
			json_array_append_new(argv, redacted_string(s, m->argv->v[i]));
		json_object_set_new(src, "argv", argv);
		break;
	}
	case MEMBER_SRC_API:
		json_object_set_new(src, "url", redacted_string(s, m->url));
		json_object_set_new(src, "method", json_string("GET"));
		break;
	case MEMBER_SRC_PROBE:
		json_object_set_new(src, "target", redacted_string(s, m->target));
		break;
	case MEMBER_SRC_FILE:
		json_object_set_new(src, "path", redacted_string(s, m->target));
		break;
	default:
		break;
	}
	json_object_set_new(e, "source", src);
	json_object_set_new(e, "status", json_string(outcome_name(m->outcome)));
	if (m->exit_status >= 0)
		json_object_set_new(e, "exit_status", json_integer(m->exit_status));
	if (m->http_status > 0)
		json_object_set_new(e, "http_status", json_integer(m->http_status));
	if (m->duration_ms >= 0)
		json_object_set_new(e, "duration_ms", json_integer(m->duration_ms));
	if (m->error)
		json_object_set_new(e, "error", redacted_string(s, m->error));
	if (m->stderr_text && *m->stderr_text) {
		size_t n = strlen(m->stderr_text);
		char *cut = strndup(m->stderr_text,
		                    n > COLLECT_MAX_STDERR_KEPT ? COLLECT_MAX_STDERR_KEPT : n);

		if (cut) {
			json_object_set_new(e, "stderr", redacted_string(s, cut));
			free(cut);
		}
	}
	return e;
}

static bool path_taken(const struct sink *s, const char *path)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->m[i].path, path) == 0)
			return true;
	return false;
}

/* The archive path for a member: pseudonymized when asked, unique. Lock held. */
static char *member_path(struct sink *s, const char *path)
{
	char *p = s->r ? redact_member_name(s->r, path) : strdup(path);
	struct buf b = BUF_INIT;

	if (!p || !path_taken(s, p))
		return p;
	for (unsigned k = 2; k < 100000; k++) {
		const char *slash = strrchr(p, '/');
		const char *dot = strrchr(slash ? slash : p, '.');
		size_t stem = dot && dot != (slash ? slash + 1 : p) ? (size_t)(dot - p) : strlen(p);

		buf_reset(&b);
		if (buf_printf(&b, "%.*s-%u%s", (int)stem, p, k, p + stem) < 0)
			break;
		if (!path_taken(s, b.data)) {
			free(p);
			return buf_detach(&b, NULL);
		}
	}
	buf_release(&b);
	free(p);
	return NULL;
}

static struct staged *staged_add(struct sink *s)
{
	struct staged *m;

	if (s->n == s->cap) {
		size_t ncap = s->cap ? s->cap * 2 : 64;
		struct staged *p = realloc(s->m, ncap * sizeof(*p));

		if (!p)
			return NULL;
		s->m = p;
		s->cap = ncap;
	}
	m = &s->m[s->n++];
	memset(m, 0, sizeof(*m));
	m->fd = -1;
	return m;
}

/* An unlinked temp file in the staging folder. */
static int stage_fd(struct sink *s, struct error *err)
{
	struct buf p = BUF_INIT;
	int fd;

	if (buf_printf(&p, "%s/.apigee-bundle.stage.XXXXXX", s->staging_dir) < 0) {
		buf_release(&p);
		return error_set(err, -ENOMEM, NULL, 0, "out of memory");
	}
	fd = mkostemp(p.data, O_CLOEXEC);
	if (fd < 0) {
		int e = errno;

		buf_release(&p);
		return error_set(err, -e, s->staging_dir, 0, "cannot stage a member: %s",
		                 strerror(e));
	}
	unlink(p.data);
	buf_release(&p);
	return fd;
}

/* Replace protected literals in b. Lock held. */
static int replace_literals(struct sink *s, struct buf *b)
{
	for (size_t i = 0; i < s->protect.n; i++) {
		const char *lit = s->protect.v[i];
		size_t ll = strlen(lit);
		const char *hit;

		while (b->len && (hit = memmem(b->data, b->len, lit, ll))) {
			struct buf nb = BUF_INIT;
			size_t off = (size_t)(hit - b->data);

			if (buf_append(&nb, b->data, off) < 0 ||
			    buf_puts(&nb, "<redacted:token>") < 0 ||
			    buf_append(&nb, hit + ll, b->len - off - ll) < 0) {
				buf_release(&nb);
				return -ENOMEM;
			}
			OPENSSL_cleanse(b->data, b->len);
			buf_release(b);
			*b = nb;
			s->literal_hits++;
		}
	}
	return 0;
}

static bool has_literal(const struct sink *s, const void *data, size_t len)
{
	for (size_t i = 0; i < s->protect.n; i++)
		if (len && memmem(data, len, s->protect.v[i], strlen(s->protect.v[i])))
			return true;
	return false;
}

static void leak_fatal(struct sink *s, const char *path, const struct leak_hit *hit)
{
	struct error e = ERROR_INIT;

	if (hit && hit->line)
		error_set(&e, -EPERM, path, hit->line,
		          "leak scan: %s at line %u of '%s'; no bundle written", hit->kind,
		          hit->line, path);
	else
		error_set(&e, -EPERM, path, 0, "leak scan: %s in '%s'; no bundle written",
		          hit && hit->kind[0] ? hit->kind : "the API token", path);
	set_fatal(s, &e);
}

int sink_emit(struct sink *s, const struct member_out *m)
{
	struct buf copy = BUF_INIT, red = BUF_INIT;
	struct error e = ERROR_INIT;
	struct leak_hit hit;
	struct staged *st;
	json_t *entry = NULL;
	char *path;
	bool present = m->len > 0 || m->outcome == OUTCOME_OK;
	int r = 0;

	pthread_mutex_lock(&s->mu);
	if (s->fatal)
		goto out;

	/* the raw copy kept for the collector itself (never written) */
	for (size_t i = 0; i < s->n_raw; i++)
		if (strcmp(s->raw[i].path, m->path) == 0 && !s->raw[i].have) {
			buf_init(&s->raw[i].data, 0);
			if (buf_append(&s->raw[i].data, m->data ? m->data : "", m->len) == 0)
				s->raw[i].have = true;
		}

	entry = make_entry(s, m);
	if (!entry) {
		r = error_set(&e, -ENOMEM, m->path, 0, "out of memory");
		goto fail;
	}
	path = member_path(s, m->path);
	st = path ? staged_add(s) : NULL;
	if (!st) {
		free(path);
		r = error_set(&e, -ENOMEM, m->path, 0, "out of memory");
		goto fail;
	}
	st->orig_path = strdup(m->path);
	st->path = path;
	st->entry = entry;
	entry = NULL;
	if (!st->orig_path || !st->path) {
		r = error_set(&e, -ENOMEM, m->path, 0, "out of memory");
		goto fail;
	}
	st->present = present;
	if (!present)
		goto out;

	/* protected literals first, then the redactor, then the independent scan */
	if (buf_append(&copy, m->data ? m->data : "", m->len) < 0 ||
	    replace_literals(s, &copy) < 0) {
		r = error_set(&e, -ENOMEM, m->path, 0, "out of memory");
		goto fail;
	}
	if (s->r) {
		r = redact_buffer(s->r, m->path, copy.data ? copy.data : "", copy.len, &red, &e);
		if (r < 0)
			goto fail;
	} else {
		red = copy;
		buf_init(&copy, 0);
	}
	memset(&hit, 0, sizeof(hit));
	if (leak_scan_buffer(red.data ? red.data : "", red.len, &hit) != 0) {
		leak_fatal(s, st->path, &hit);
		goto out;
	}
	if (has_literal(s, red.data, red.len)) {
		leak_fatal(s, st->path, NULL);
		goto out;
	}
	if (red.len > COLLECT_MEMBER_SPILL) {
		st->fd = stage_fd(s, &e);
		if (st->fd < 0) {
			r = st->fd;
			st->fd = -1;
			goto fail;
		}
		r = fd_write_all(st->fd, red.data, red.len);
		if (r < 0) {
			error_set(&e, r, s->staging_dir, 0, "cannot stage '%s': %s", m->path,
			          strerror(-r));
			goto fail;
		}
		buf_release(&red);
	} else {
		st->data = red;
		buf_init(&red, 0);
	}
	goto out;
fail:
	set_fatal(s, &e);
out:
	json_decref(entry);
	if (copy.data)
		OPENSSL_cleanse(copy.data, copy.len);
	buf_release(&copy);
	buf_release(&red);
	pthread_mutex_unlock(&s->mu);
	return r;
}

/* ---- streamed members ----------------------------------------------------------------- */

/* Output of the redactor for a stream: scan, look for literals, stage. Lock held. */
static int stream_out(void *userdata, const void *data, size_t len)
{
	struct sink_stream *st = userdata;
	struct sink *s = st->s;
	int r;

	if (!len || st->error)
		return st->error;
	if (st->size + len > COLLECT_MAX_LOG_BYTES)
		return st->error = -EFBIG;
	leak_scan_write(st->ls, data, len);
	if (s->protect.n) {
		size_t maxl = 0;

		for (size_t i = 0; i < s->protect.n; i++)
			if (strlen(s->protect.v[i]) > maxl)
				maxl = strlen(s->protect.v[i]);
		if (buf_append(&st->tail, data, len) < 0)
			return st->error = -ENOMEM;
		if (has_literal(s, st->tail.data, st->tail.len))
			st->literal_hit = true;
		if (st->tail.len > maxl) {
			size_t keep = maxl;

			memmove(st->tail.data, st->tail.data + st->tail.len - keep, keep);
			st->tail.len = keep;
		}
	}
	r = fd_write_all(st->fd, data, len);
	if (r < 0)
		return st->error = r;
	st->size += len;
	return 0;
}

int sink_stream_begin(struct sink *s, const char *path, struct sink_stream **ret, struct error *err)
{
	struct sink_stream *st = calloc(1, sizeof(*st));
	int r;

	if (!st)
		return error_set(err, -ENOMEM, path, 0, "out of memory");
	st->s = s;
	st->fd = -1;
	st->path = strdup(path);
	if (!st->path) {
		free(st);
		return error_set(err, -ENOMEM, path, 0, "out of memory");
	}
	pthread_mutex_lock(&s->mu);
	r = stage_fd(s, err);
	if (r >= 0) {
		st->fd = r;
		r = 0;
		if (s->r && redact_stream_begin(s->r, path, &st->rs) < 0)
			r = error_set(err, -ENOMEM, path, 0, "cannot start redaction");
		if (r == 0 && leak_scan_begin(path, &st->ls) < 0)
			r = error_set(err, -ENOMEM, path, 0, "cannot start the leak scan");
	}
	pthread_mutex_unlock(&s->mu);
	if (r < 0) {
		sink_stream_abort(st);
		return r;
	}
	*ret = st;
	return 0;
}

int sink_stream_write(void *stream, const void *data, size_t len)
{
	struct sink_stream *st = stream;
	int r;

	pthread_mutex_lock(&st->s->mu);
	if (st->error)
		r = st->error;
	else if (st->rs)
		r = redact_stream_write(st->rs, data, len, stream_out, st);
	else
		r = stream_out(st, data, len);
	if (r < 0 && !st->error)
		st->error = r;
	pthread_mutex_unlock(&st->s->mu);
	return r < 0 ? r : 0;
}

void sink_stream_abort(struct sink_stream *st)
{
	if (!st)
		return;
	if (st->rs) {
		/* finish into nowhere: the stream owns state that only end frees */
		st->error = -ECANCELED;
		pthread_mutex_lock(&st->s->mu);
		redact_stream_end(st->rs, stream_out, st);
		pthread_mutex_unlock(&st->s->mu);
	}
	if (st->ls) {
		struct leak_hit hit;

		leak_scan_end(st->ls, &hit);
	}
	if (st->fd >= 0)
		close(st->fd);
	buf_release(&st->tail);
	free(st->path);
	free(st);
}

/* The documents the redaction of a stream made beside it (a capture's certificate
 * facts, redacted already, under their output names): staged as members of their
 * own with the stream's source. Called with s->mu held. 0, or -ENOMEM. */
static int stage_sides(struct sink *s, const struct member_out *m)
{
	struct buf data;
	char *name;
	int r = 0;

	while (s->r && redactor_take_side(s->r, &name, &data) == 1) {
		json_t *entry = r == 0 && !path_taken(s, name) ? make_entry(s, m) : NULL;
		struct staged *sg = entry ? staged_add(s) : NULL;

		if (!sg) {
			if (entry)
				r = -ENOMEM;
			json_decref(entry);
			free(name);
			buf_release(&data);
			continue;
		}
		sg->entry = entry;
		sg->path = name;
		sg->orig_path = strdup(name);
		sg->data = data;
		sg->present = true;
		if (!sg->orig_path)
			r = -ENOMEM;
	}
	return r;
}

int sink_stream_end(struct sink_stream *st, const struct member_out *m, struct error *err)
{
	struct sink *s = st->s;
	struct leak_hit hit;
	struct staged *sg;
	json_t *entry;
	char *path;
	int r = 0, scan;

	pthread_mutex_lock(&s->mu);
	if (st->rs && !st->error) {
		r = redact_stream_end(st->rs, stream_out, st);
		if (r < 0 && !st->error)
			st->error = r;
	} else if (st->rs) {
		int keep = st->error;

		redact_stream_end(st->rs, stream_out, st);
		st->error = keep;
	}
	st->rs = NULL;
	memset(&hit, 0, sizeof(hit));
	scan = leak_scan_end(st->ls, &hit);
	st->ls = NULL;
	if (s->fatal) {
		r = 0;
		goto out;
	}
	if (st->error && st->error != -EFBIG) {
		error_set(err, st->error, st->path, 0, "cannot stage '%s': %s", st->path,
		          strerror(-st->error));
		set_fatal(s, err);
		r = st->error;
		goto out;
	}
	if (scan != 0) {
		leak_fatal(s, st->path, &hit);
		goto out;
	}
	if (st->literal_hit) {
		leak_fatal(s, st->path, NULL);
		goto out;
	}
	entry = make_entry(s, m);
	path = entry ? member_path(s, st->path) : NULL;
	sg = path ? staged_add(s) : NULL;
	if (!sg) {
		free(path);
		json_decref(entry);
		error_set(err, -ENOMEM, st->path, 0, "out of memory");
		set_fatal(s, err);
		r = -ENOMEM;
		goto out;
	}
	sg->entry = entry;
	sg->orig_path = strdup(st->path);
	sg->path = path;
	sg->present = true;
	sg->fd = st->fd;
	st->fd = -1;
	if (st->error == -EFBIG)
		json_object_set_new(entry, "truncated", json_true());
	if (!sg->orig_path || !sg->path) {
		error_set(err, -ENOMEM, st->path, 0, "out of memory");
		set_fatal(s, err);
		r = -ENOMEM;
	}
	if (r == 0 && (r = stage_sides(s, m)) < 0) {
		error_set(err, r, st->path, 0, "out of memory");
		set_fatal(s, err);
	}
out:
	pthread_mutex_unlock(&s->mu);
	st->error = 0;
	sink_stream_abort(st);
	return r;
}

/* ---- the archive ----------------------------------------------------------------------- */

static int cmp_staged(const void *a, const void *b)
{
	const struct staged *x = a, *y = b;

	return strcmp(x->path, y->path);
}

void sink_get_summary(struct sink *s, struct sink_summary *ret)
{
	pthread_mutex_lock(&s->mu);
	memset(ret, 0, sizeof(*ret));
	ret->collected = s->collected;
	ret->skipped = s->skipped;
	ret->failed = s->failed;
	ret->disabled = s->disabled;
	ret->wait_ms = s->wait_ms;
	ret->wait_wall_ms = wait_wall(s);
	for (size_t i = 0; i < s->n; i++)
		if (s->m[i].present)
			ret->members++;
	pthread_mutex_unlock(&s->mu);
}

void sink_print_summary(struct sink *s, FILE *f)
{
	size_t i;
	json_t *e;

	pthread_mutex_lock(&s->mu);
	fprintf(f, "collected %u, skipped %u, failed %u", s->collected, s->skipped, s->failed);
	if (s->disabled)
		fprintf(f, " (%u switched off)", s->disabled);
	fputc('\n', f);
	json_array_foreach(s->sources, i, e)
	{
		const char *st = json_string_value(json_object_get(e, "status"));
		const char *reason = json_string_value(json_object_get(e, "reason"));
		const char *name = json_string_value(json_object_get(e, "name"));
		char en[256], er[512];

		if (!st || strcmp(st, "collected") == 0 ||
		    json_is_true(json_object_get(e, "user_disabled")))
			continue;
		text_escape(name ? name : "", name ? strlen(name) : 0, en, sizeof(en));
		text_escape(reason ? reason : "", reason ? strlen(reason) : 0, er, sizeof(er));
		fprintf(f, "  %s: %s%s%s\n", st, en, reason ? ": " : "", er);
	}
	pthread_mutex_unlock(&s->mu);
}

/* Add a document the collector writes last (redaction.json, manifest.json) after
 * the leak scan. Lock held. */
static int add_final(struct sink *s, struct archive_out *a, const char *path, const char *data,
                     size_t len, struct error *err)
{
	struct leak_hit hit;

	memset(&hit, 0, sizeof(hit));
	if (leak_scan_buffer(data, len, &hit) != 0 || has_literal(s, data, len)) {
		leak_fatal(s, path, &hit);
		*err = s->fatal_err;
		return -EPERM;
	}
	return archive_out_add(a, path, data, len, err);
}

/* Redact every string of a JSON tree in place (the manifest's options). Lock held. */
static void redact_strings(struct sink *s, json_t *j)
{
	const char *k;
	json_t *v;
	size_t i;

	if (json_is_object(j)) {
		json_object_foreach(j, k, v)
		{
			if (json_is_string(v))
				json_object_set_new(j, k, redacted_string(s, json_string_value(v)));
			else
				redact_strings(s, v);
		}
	} else if (json_is_array(j)) {
		json_array_foreach(j, i, v)
		{
			if (json_is_string(v))
				json_array_set_new(j, i, redacted_string(s, json_string_value(v)));
			else
				redact_strings(s, v);
		}
	}
}

static json_t *sha_entry(const char *path, const struct archive_out_member *am)
{
	return json_pack("{s:s,s:{s:s},s:s,s:I,s:s}", "path", path, "source", "type", "collector",
	                 "status", "ok", "size", (json_int_t)am->size, "sha256", am->sha256);
}

int sink_finish(struct sink *s, const char *output, json_t *collection, int64_t mtime,
                struct sink_summary *ret_summary, struct error *err)
{
	struct archive_out *a = NULL;
	const struct archive_out_member *am;
	json_t *artifacts = NULL, *manifest = NULL, *report = NULL, *coll = NULL;
	char *top = NULL, *rdoc = NULL, *mdoc = NULL;
	size_t n_am, k = 0;
	int r = 0;

	if (ret_summary)
		sink_get_summary(s, ret_summary);
	pthread_mutex_lock(&s->mu);
	if (s->fatal) {
		*err = s->fatal_err;
		r = s->fatal;
		goto out;
	}
	if (s->cancel && *s->cancel) {
		r = error_set(err, -EINTR, NULL, 0, "interrupted; no bundle written");
		goto out;
	}
	if (s->n)
		qsort(s->m, s->n, sizeof(*s->m), cmp_staged);
	top = archive_out_top_from_path(output);
	if (!top) {
		r = error_set(err, -ENOMEM, NULL, 0, "out of memory");
		goto out;
	}
	r = archive_out_open(output, top, archive_out_format_from_path(output), mtime, &a, err);
	if (r < 0)
		goto out;

	/* members in path order */
	for (size_t i = 0; i < s->n; i++) {
		struct staged *m = &s->m[i];

		if (!m->present)
			continue;
		if (s->cancel && *s->cancel) {
			r = error_set(err, -EINTR, NULL, 0, "interrupted; no bundle written");
			goto out;
		}
		if (m->fd >= 0)
			r = archive_out_add_fd(a, m->path, m->fd, err);
		else
			r = archive_out_add(a, m->path, m->data.data ? m->data.data : "",
			                    m->data.len, err);
		if (r < 0)
			goto out;
	}

	/* the manifest entries, with the sizes and digests just computed */
	am = archive_out_members(a, &n_am);
	artifacts = json_array();
	if (!artifacts) {
		r = error_set(err, -ENOMEM, NULL, 0, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < s->n; i++) {
		struct staged *m = &s->m[i];
		json_t *e = json_object();

		json_object_set_new(e, "path", json_string(m->path));
		json_object_update(e, m->entry);
		if (m->present && k < n_am) {
			json_object_set_new(e, "size", json_integer((json_int_t)am[k].size));
			json_object_set_new(e, "sha256", json_string(am[k].sha256));
			k++;
		}
		json_array_append_new(artifacts, e);
	}

	/* redaction.json: counts only, computed after every member went through */
	report = s->r ? redactor_report_json(s->r)
	              : json_pack("{s:s,s:[]}", "format", "apigee-bundle/redaction/v1", "rules");
	rdoc = report ? json_dumps(report, JSON_INDENT(2)) : NULL;
	if (!rdoc) {
		r = error_set(err, -ENOMEM, NULL, 0, "cannot build redaction.json");
		goto out;
	}
	r = add_final(s, a, "redaction.json", rdoc, strlen(rdoc), err);
	if (r < 0)
		goto out;
	am = archive_out_members(a, &n_am);
	json_array_append_new(artifacts, sha_entry("redaction.json", &am[n_am - 1]));

	/* manifest.json last */
	coll = json_deep_copy(collection);
	manifest = json_object();
	if (!coll || !manifest) {
		r = error_set(err, -ENOMEM, NULL, 0, "out of memory");
		goto out;
	}
	redact_strings(s, json_object_get(coll, "options"));
	json_object_set_new(manifest, "format", json_string("apigee-bundle/manifest/v1"));
	json_object_set_new(manifest, "tool_version", json_string(APIGEE_BUNDLE_VERSION));
	json_object_set(manifest, "collection", coll);
	json_object_set(manifest, "artifacts", artifacts);
	json_object_set(manifest, "sources", s->sources);
	json_object_set_new(manifest, "summary",
	                    json_pack("{s:i,s:i,s:i,s:i,s:I,s:I}", "collected", s->collected,
	                              "skipped", s->skipped, "failed", s->failed, "switched_off",
	                              s->disabled, "wait_ms", (json_int_t)s->wait_ms,
	                              "wait_wall_ms", (json_int_t)wait_wall(s)));
	mdoc = json_dumps(manifest, JSON_INDENT(2));
	if (!mdoc) {
		r = error_set(err, -ENOMEM, NULL, 0, "cannot build manifest.json");
		goto out;
	}
	r = add_final(s, a, "manifest.json", mdoc, strlen(mdoc), err);
	if (r < 0)
		goto out;
	if (s->cancel && *s->cancel) {
		r = error_set(err, -EINTR, NULL, 0, "interrupted; no bundle written");
		goto out;
	}
	r = archive_out_commit(a, err);
	a = NULL;
	if (r == 0 && ret_summary)
		ret_summary->members = (unsigned)n_am + 1;
out:
	if (a)
		archive_out_abort(a);
	free(top);
	free(rdoc);
	free(mdoc);
	json_decref(coll);
	json_decref(report);
	json_decref(artifacts);
	json_decref(manifest);
	pthread_mutex_unlock(&s->mu);
	return r;
}
