/* SPDX-License-Identifier: Apache-2.0 */
/* Findings: status and severity names, and the helpers checks use to fill the
 * one finding they are given (status, summary, evidence, skip reason, notes).
 *
 * The helpers return nothing: a check must not fail because memory ran out while
 * it was describing its result. On allocation failure the piece of text is left
 * out (a summary falls back to a fixed string), never half-written. */
#include "findings.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "checks.h"
#include "cleanup.h"
#include "model.h"
#include "text.h"
#include "banned.h"

static const char *const status_names[STATUS__MAX] = {
	[STATUS_PASS] = "pass", [STATUS_WARN] = "warn",   [STATUS_FAIL] = "fail",
	[STATUS_SKIP] = "skip", [STATUS_ERROR] = "error",
};

static const char *const severity_names[SEVERITY__MAX] = {
	[SEVERITY_INFO] = "info",  [SEVERITY_LOW] = "notice",        [SEVERITY_MEDIUM] = "warning",
	[SEVERITY_HIGH] = "error", [SEVERITY_CRITICAL] = "critical",
};

const char *status_name(enum status s)
{
	if ((int)s < 0 || s >= STATUS__MAX)
		return "invalid";
	return status_names[s];
}

const char *severity_name(enum severity s)
{
	if ((int)s < 0 || s >= SEVERITY__MAX)
		return "invalid";
	return severity_names[s];
}

/* strdup that tolerates NULL */
static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

void finding_set(struct finding *f, enum status s, const char *fmt, ...)
{
	struct buf m = BUF_INIT;
	va_list ap;

	f->status = s;
	va_start(ap, fmt);
	if (buf_vprintf(&m, fmt, ap) < 0) {
		buf_release(&m);
		m.data = strdup("(summary unavailable: out of memory)");
	}
	va_end(ap);
	free(f->summary);
	f->summary = buf_detach(&m, NULL);
	if (!f->summary)
		f->summary = strdup("");
}

void finding_skip(struct finding *f, const char *missing, const char *collect_hint)
{
	f->status = STATUS_SKIP;
	if (missing) {
		free(f->missing);
		f->missing = strdup(missing);
	}
	if (collect_hint) {
		free(f->collect_hint);
		f->collect_hint = strdup(collect_hint);
	}
	/* a skip always says what it needs, also when the check gave no summary */
	if (!f->summary && f->missing) {
		struct buf m = BUF_INIT;

		if (buf_printf(&m, "needs %s", f->missing) == 0)
			f->summary = buf_detach(&m, NULL);
		buf_release(&m);
	}
}

void finding_evidence_at(struct finding *f, const char *artifact, unsigned line,
                         const char *pointer, const char *excerpt)
{
	struct evidence *e, *nv;

	if (f->n_evidence >= FINDING_MAX_EVIDENCE) {
		f->evidence_dropped++;
		return;
	}
	nv = realloc(f->evidence, (f->n_evidence + 1) * sizeof(*nv));
	if (!nv) {
		f->evidence_dropped++;
		return;
	}
	f->evidence = nv;
	e = &f->evidence[f->n_evidence];
	memset(e, 0, sizeof(*e));
	e->artifact = dup_or_null(artifact);
	e->line = line;
	e->pointer = dup_or_null(pointer);
	e->excerpt = dup_or_null(excerpt);
	if ((artifact && !e->artifact) || (pointer && !e->pointer) || (excerpt && !e->excerpt)) {
		free(e->artifact);
		free(e->pointer);
		free(e->excerpt);
		f->evidence_dropped++;
		return;
	}
	f->n_evidence++;
}

void finding_evidence(struct finding *f, const struct loc *where, const char *excerpt)
{
	if (!where) {
		finding_evidence_at(f, NULL, 0, NULL, excerpt);
		return;
	}
	finding_evidence_at(f, where->artifact, where->line, where->pointer,
	                    excerpt ? excerpt : where->excerpt);
}

void finding_note(struct finding *f, const char *fmt, ...)
{
	struct buf m = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	if (buf_vprintf(&m, fmt, ap) == 0 && m.data)
		strv_push(&f->notes, m.data);
	va_end(ap);
	buf_release(&m);
}

void finding_relate(struct finding *f, const char *check_id)
{
	if (check_id)
		strv_push_unique(&f->related, check_id);
}

static void finding_release(struct finding *f)
{
	for (size_t i = 0; i < f->n_evidence; i++) {
		free(f->evidence[i].artifact);
		free(f->evidence[i].pointer);
		free(f->evidence[i].excerpt);
	}
	free(f->evidence);
	free(f->summary);
	free(f->missing);
	free(f->collect_hint);
	strv_release(&f->related);
	strv_release(&f->notes);
	memset(f, 0, sizeof(*f));
}

/* ---- report-level warnings ------------------------------------------------------------- */

struct warning *findings_add_warning(struct findings *fs, enum warning_kind kind)
{
	struct warning *v;

	if ((int)kind < 0 || kind >= WARNING__MAX)
		return NULL;
	v = realloc(fs->warnings, (fs->n_warnings + 1) * sizeof(*v));
	if (!v)
		return NULL;
	fs->warnings = v;
	v = &fs->warnings[fs->n_warnings++];
	memset(v, 0, sizeof(*v));
	v->kind = kind;
	return v;
}

int warning_add_member(struct warning *w, const char *path, const char *error)
{
	struct warning_member *m;

	w->count++;
	if (w->n_members >= WARNING_MAX_MEMBERS)
		return 0;
	m = realloc(w->members, (w->n_members + 1) * sizeof(*m));
	if (!m)
		return -ENOMEM;
	w->members = m;
	m = &w->members[w->n_members];
	m->path = strdup(path ? path : "(unnamed)");
	m->error = dup_or_null(error);
	if (!m->path || (error && !m->error)) {
		free(m->path);
		free(m->error);
		return -ENOMEM;
	}
	w->n_members++;
	return 0;
}

/* "N member(s) WHAT: PATH: error; PATH: error; ... and K more" */
static int members_text(const struct warning *w, const char *what, struct buf *out)
{
	int r = buf_printf(out, "%zu member(s) %s: ", w->count, what);

	for (size_t i = 0; r == 0 && i < w->n_members; i++)
		r = buf_printf(out, "%s%s: %s", i ? "; " : "", w->members[i].path,
		               w->members[i].error ? w->members[i].error : "unreadable");
	if (r == 0 && w->count > w->n_members)
		r = buf_printf(out, "; ... and %zu more", w->count - w->n_members);
	return r;
}

static int time_text(const struct warning *w, struct buf *out)
{
	char when[32];

	text_format_time(w->time, when, sizeof(when));
	switch (w->time_source) {
	case TIME_FROM_MANIFEST:
		return buf_printf(out, "collection time %s from the manifest", when);
	case TIME_FROM_NEWEST_TIMESTAMP:
		return buf_printf(out,
		                  "collection time %s, the newest timestamp in the input (no "
		                  "manifest); expiry checks judge against it",
		                  when);
	case TIME_FROM_ANALYSIS_CLOCK:
	default:
		return buf_printf(out,
		                  "collection time %s from the analysis clock (no manifest and no "
		                  "timestamps); expiry verdicts depend on when this ran",
		                  when);
	}
}

/* "nothing in the input is evidence for any check; read N file(s): PATH (kind), ..." */
static int no_evidence_text(const struct warning *w, struct buf *out)
{
	int r = buf_printf(
	        out, "nothing in the input is evidence for any check; read %zu file(s):", w->count);

	for (size_t i = 0; r == 0 && i < w->n_members; i++)
		r = buf_printf(out, "%s %s (%s)", i ? "," : "", w->members[i].path,
		               w->members[i].error ? w->members[i].error : "?");
	if (r == 0 && w->count > w->n_members)
		r = buf_printf(out, ", and %zu more", w->count - w->n_members);
	return r;
}

int warning_text(const struct warning *w, struct buf *out)
{
	switch (w->kind) {
	case WARNING_PRIVATE_KEY:
		return buf_printf(
		        out,
		        "the input contains a private key (%s); it was used for "
		        "TLS-003/TLS-004 only \xe2\x80\x94 do not send private keys with a "
		        "ticket ('apigee-bundle redact' removes them)",
		        w->path ? w->path : "(unnamed)");
	case WARNING_ITEMS_CAPPED:
		return buf_printf(out,
		                  "the input holds more than %zu items of one kind (routes, "
		                  "certificates, transcripts, ...); the rest were not read, so a "
		                  "verdict that needs all of them may be incomplete",
		                  w->count);
	case WARNING_UNREADABLE:
		return members_text(w, "could not be read", out);
	case WARNING_PARTIAL:
		return members_text(w, "were read only in part", out);
	case WARNING_COLLECTION_TIME:
		return time_text(w, out);
	case WARNING_NO_EVIDENCE:
		return no_evidence_text(w, out);
	default:
		return -EINVAL;
	}
}

static void warning_release(struct warning *w)
{
	free(w->path);
	for (size_t i = 0; i < w->n_members; i++) {
		free(w->members[i].path);
		free(w->members[i].error);
	}
	free(w->members);
}

void findings_release(struct findings *fs)
{
	if (!fs)
		return;
	for (size_t i = 0; i < fs->n; i++)
		finding_release(&fs->items[i]);
	free(fs->items);
	fs->items = NULL;
	fs->n = 0;
	for (size_t i = 0; i < fs->n_warnings; i++)
		warning_release(&fs->warnings[i]);
	free(fs->warnings);
	fs->warnings = NULL;
	fs->n_warnings = 0;
}

const struct finding *findings_get(const struct findings *fs, const char *check_id)
{
	if (!fs || !check_id)
		return NULL;
	for (size_t i = 0; i < fs->n; i++)
		if (fs->items[i].check && strcmp(fs->items[i].check->id, check_id) == 0)
			return &fs->items[i];
	return NULL;
}
