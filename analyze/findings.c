/* Findings: status and severity names, and the helpers checks use to fill the
 * one finding they are given (status, summary, evidence, skip reason, notes).
 *
 * The helpers return nothing: a check must not fail because memory ran out while
 * it was describing its result. On allocation failure the piece of text is left
 * out (a summary falls back to a fixed string), never half-written. */
#include "findings.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "checks.h"
#include "cleanup.h"
#include "model.h"
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

void findings_release(struct findings *fs)
{
	if (!fs)
		return;
	for (size_t i = 0; i < fs->n; i++)
		finding_release(&fs->items[i]);
	free(fs->items);
	fs->items = NULL;
	fs->n = 0;
	strv_release(&fs->warnings);
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
