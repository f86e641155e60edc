/* The check registry and runner: the family tables concatenated in report order
 * (SNI, TLS, XLB, CURL), lookup by ID, and checks_run(), which gives every check
 * exactly one finding and fills the report-level facts (collection time and how
 * it was chosen, private keys and unreadable members in the input). */
#include "checks.h"

#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bundle.h"
#include "cleanup.h"
#include "error.h"
#include "model.h"
#include "text.h"
#include "banned.h"

/* One explicit list, in report order. Element addresses of the extern family
 * tables are address constants, so the list can be a static const table; the
 * length of each family is checked against the table at run time (assert) and by
 * tests/test_checks.c, so a row added to a family without a line here is caught. */
static const struct check *const all_checks[] = {
	&checks_sni[0],  &checks_sni[1],  &checks_sni[2],  &checks_sni[3],  &checks_sni[4],
	&checks_sni[5],  &checks_sni[6],

	&checks_tls[0],  &checks_tls[1],  &checks_tls[2],  &checks_tls[3],  &checks_tls[4],
	&checks_tls[5],  &checks_tls[6],  &checks_tls[7],

	&checks_xlb[0],  &checks_xlb[1],  &checks_xlb[2],  &checks_xlb[3],  &checks_xlb[4],
	&checks_xlb[5],  &checks_xlb[6],  &checks_xlb[7],  &checks_xlb[8],

	&checks_curl[0], &checks_curl[1], &checks_curl[2], &checks_curl[3], &checks_curl[4],
	&checks_curl[5], &checks_curl[6],
};

const struct check *const *checks_all(size_t *ret_n)
{
	/* programmer error: a family table and the list above disagree */
	assert(checks_sni_len + checks_tls_len + checks_xlb_len + checks_curl_len ==
	       ELEMENTSOF(all_checks));
	if (ret_n)
		*ret_n = ELEMENTSOF(all_checks);
	return all_checks;
}

const struct check *checks_find(const char *id)
{
	if (!id)
		return NULL;
	for (size_t i = 0; i < ELEMENTSOF(all_checks); i++)
		if (strcasecmp(all_checks[i]->id, id) == 0)
			return all_checks[i];
	return NULL;
}

/* ---- report-level warnings ------------------------------------------------------------ */

#define MAX_LISTED_MEMBERS 20

static int push_printf(struct strv *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int push_printf(struct strv *s, const char *fmt, ...)
{
	struct buf m = BUF_INIT;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = buf_vprintf(&m, fmt, ap);
	va_end(ap);
	if (r == 0)
		r = strv_push(s, m.data ? m.data : "");
	buf_release(&m);
	return r;
}

/* "N member(s) <what>: PATH: error; PATH: error; ... and K more" over the artifacts
 * that pick() selects; nothing when none does. */
static int list_members(const struct bundle *b, struct strv *out, const char *what,
                        bool (*pick)(const struct artifact *a))
{
	struct buf m = BUF_INIT;
	size_t n = 0, listed = 0;
	int r = 0;

	for (size_t i = 0; i < b->n_artifacts; i++)
		if (pick(&b->artifacts[i]))
			n++;
	if (n == 0)
		return 0;
	r = buf_printf(&m, "%zu member(s) %s: ", n, what);
	for (size_t i = 0; r == 0 && i < b->n_artifacts; i++) {
		const struct artifact *a = &b->artifacts[i];

		if (!pick(a))
			continue;
		if (listed == MAX_LISTED_MEMBERS) {
			r = buf_printf(&m, "; ... and %zu more", n - listed);
			break;
		}
		r = buf_printf(&m, "%s%s", listed ? "; " : "", a->path ? a->path : "(unnamed)");
		if (r == 0)
			r = buf_printf(&m, ": %s", a->error ? a->error : "unreadable");
		listed++;
	}
	if (r == 0)
		r = strv_push(out, m.data);
	buf_release(&m);
	return r;
}

static bool artifact_failed(const struct artifact *a)
{
	return a->failed;
}

/* read, but something was left out: links not followed, over-long lines cut */
static bool artifact_partial(const struct artifact *a)
{
	return !a->failed && a->error;
}

static int collect_warnings(const struct bundle *b, struct findings *out)
{
	char when[32];
	int r = 0;

	for (size_t i = 0; r == 0 && i < b->n_artifacts; i++)
		if (b->artifacts[i].has_private_key)
			r = push_printf(
			        &out->warnings,
			        "the input contains a private key (%s); it was used for "
			        "TLS-003/TLS-004 only \xe2\x80\x94 do not send private keys "
			        "with a ticket",
			        b->artifacts[i].path);
	if (r == 0 && b->model_capped)
		r = push_printf(&out->warnings,
		                "the input holds more than %d items of one kind (routes, "
		                "certificates, transcripts, ...); the rest were not read, so a "
		                "verdict that needs all of them may be incomplete",
		                MODEL_MAX_ITEMS);
	if (r == 0)
		r = list_members(b, &out->warnings, "could not be read", artifact_failed);
	if (r == 0)
		r = list_members(b, &out->warnings, "were read only in part", artifact_partial);
	if (r < 0)
		return r;
	text_format_time(b->collected_at, when, sizeof(when));
	switch (b->time_source) {
	case TIME_FROM_MANIFEST:
		return push_printf(&out->warnings, "collection time %s from the manifest", when);
	case TIME_FROM_NEWEST_TIMESTAMP:
		return push_printf(&out->warnings,
		                   "collection time %s, the newest timestamp in the input "
		                   "(no manifest)",
		                   when);
	case TIME_FROM_ANALYSIS_CLOCK:
	default:
		return push_printf(&out->warnings,
		                   "collection time %s from the analysis clock (no manifest and no "
		                   "timestamps)",
		                   when);
	}
}

/* ---- running ---------------------------------------------------------------------------- */

static bool selected(const struct check *c, const char *const *only, size_t n_only)
{
	if (!only)
		return true;
	for (size_t i = 0; i < n_only; i++)
		if (only[i] && strcasecmp(only[i], c->id) == 0)
			return true;
	return false;
}

/* Fill the defaults a check left open, so that every finding is complete. */
static void finish_finding(const struct check *c, struct finding *f)
{
	if (f->status == STATUS_SKIP) {
		if (!f->missing && !f->collect_hint)
			finding_skip(f, c->inputs, c->collect_hint);
		else if (!f->collect_hint)
			finding_skip(f, NULL, c->collect_hint);
		else if (!f->missing)
			finding_skip(f, c->inputs, NULL);
	}
	if (!f->summary)
		finding_set(f, f->status, "%s",
		            f->status == STATUS_PASS ? "no sign of this problem in the input"
		                                     : c->title);
}

int checks_run(const struct bundle *b, const char *const *only, size_t n_only, struct findings *out,
               struct error *err)
{
	size_t n_all, n_sel = 0;
	const struct check *const *all = checks_all(&n_all);
	int r;

	/* 1. the selection must name known checks only */
	for (size_t i = 0; only && i < n_only; i++)
		if (!only[i] || !checks_find(only[i]))
			return error_set(err, -EINVAL, NULL, 0, "unknown check '%s'",
			                 only[i] ? only[i] : "(null)");
	for (size_t i = 0; i < n_all; i++)
		if (selected(all[i], only, n_only))
			n_sel++;

	/* 2. report-level facts */
	memset(out, 0, sizeof(*out));
	out->collected_at = b->collected_at;
	out->time_source = (int)b->time_source;
	out->input_has_private_key = b->input_has_private_key;
	r = collect_warnings(b, out);
	if (r < 0)
		goto fail;
	out->items = calloc(n_sel ? n_sel : 1, sizeof(*out->items));
	if (!out->items) {
		r = -ENOMEM;
		goto fail;
	}

	/* 3. one finding per check, in catalog order; a check sees the findings made
	 * before it (out->n grows as they are completed) */
	for (size_t i = 0; i < n_all; i++) {
		const struct check *c = all[i];
		struct finding *f;

		if (!selected(c, only, n_only))
			continue;
		f = &out->items[out->n];
		f->check = c;
		f->status = STATUS_SKIP;
		f->severity = c->severity;
		r = c->run ? c->run(b, out, f) : 0;
		if (r < 0) {
			f->status = STATUS_ERROR;
			finding_set(f, STATUS_ERROR, "the check could not finish: %s",
			            r == -ENOMEM ? "out of memory" : strerror(-r));
		}
		finish_finding(c, f);
		out->n++;
	}
	return 0;
fail:
	findings_release(out);
	return error_set(err, r, NULL, 0, "cannot run the checks: %s", strerror(-r));
}
