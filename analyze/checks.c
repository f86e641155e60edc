/* SPDX-License-Identifier: Apache-2.0 */
/* The check registry and runner: the family table (analyze/checks/families.h)
 * with each family's rows, lookup by ID, and checks_run(), which gives every check
 * exactly one finding and fills the report-level warnings (private keys and
 * unreadable members in the input, collection time and how it was chosen). */
#include "checks.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bundle.h"
#include "cleanup.h"
#include "error.h"
#include "model.h"
#include "banned.h"

#define CHECK_FAMILY(name, ID, label, title, symptom) \
	{ ID, label, title, symptom, &check_rows_##name },
static const struct check_family families[] = {
#include "checks/families.h"
};
#undef CHECK_FAMILY

const struct check_family *check_families(size_t *ret_n)
{
	if (ret_n)
		*ret_n = ELEMENTSOF(families);
	return families;
}

const struct check_family *check_family_find(const char *id)
{
	for (size_t i = 0; id && i < ELEMENTSOF(families); i++)
		if (strcasecmp(families[i].id, id) == 0)
			return &families[i];
	return NULL;
}

size_t checks_count(void)
{
	size_t n = 0;

	for (size_t i = 0; i < ELEMENTSOF(families); i++)
		n += families[i].rows->n;
	return n;
}

const struct check *checks_find(const char *id)
{
	for (size_t i = 0; id && i < ELEMENTSOF(families); i++)
		for (size_t j = 0; j < families[i].rows->n; j++)
			if (strcasecmp(families[i].rows->v[j].id, id) == 0)
				return &families[i].rows->v[j];
	return NULL;
}

/* The seed playbooks (/work/shared/seeds, spec/checks.md): file name and title, in
 * our words. Reports name a playbook by its title. */
static const struct {
	const char *file;
	const char *title;
} playbooks[] = {
	{ "000_47a4624b937bcbbd.txt",
	  "Apigee hybrid: TLS handshake reset for clients without SNI" },
	{ "001_22208df47de6b036.txt",
	  "Apigee hybrid: API calls fail with TLS errors (missing ingress secret, malformed "
	  "certificate, key that does not match)" },
	{ "002_4cec95510c21cd8a.txt",
	  "Apigee X and hybrid: external clients cannot reach Apigee (load balancer, Cloud "
	  "Armor, apigee-proxy VMs, network peering, environment attachments)" },
	{ "003_a047eb56f9b9c3f7.txt",
	  "Apigee hybrid: TLS handshake reset for clients without SNI (Indonesian edition)" },
	{ "004_c751887885ac3c92.txt",
	  "Apigee hybrid: TLS handshake reset for clients without SNI (Spanish edition)" },
};

const char *check_playbook_title(const char *file)
{
	for (size_t i = 0; file && i < ELEMENTSOF(playbooks); i++)
		if (strcmp(playbooks[i].file, file) == 0)
			return playbooks[i].title;
	return NULL;
}

/* ---- report-level warnings ------------------------------------------------------------ */

/* One UNREADABLE or PARTIAL warning over the artifacts pick() selects; nothing when
 * none does. */
static int warn_members(const struct bundle *b, struct findings *out, enum warning_kind kind,
                        bool (*pick)(const struct artifact *a))
{
	struct warning *w = NULL;
	int r = 0;

	for (size_t i = 0; r == 0 && i < b->n_artifacts; i++) {
		const struct artifact *a = &b->artifacts[i];

		if (!pick(a))
			continue;
		if (!w)
			w = findings_add_warning(out, kind);
		if (!w)
			return -ENOMEM;
		r = warning_add_member(w, a->path, a->error);
	}
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
	struct warning *w;
	int r = 0;

	for (size_t i = 0; r == 0 && i < b->n_artifacts; i++) {
		if (!b->artifacts[i].has_private_key)
			continue;
		w = findings_add_warning(out, WARNING_PRIVATE_KEY);
		if (!w)
			return -ENOMEM;
		w->path = strdup(b->artifacts[i].path ? b->artifacts[i].path : "(unnamed)");
		if (!w->path)
			return -ENOMEM;
	}
	if (b->model_capped) {
		w = findings_add_warning(out, WARNING_ITEMS_CAPPED);
		if (!w)
			return -ENOMEM;
		w->count = MODEL_MAX_ITEMS;
	}
	r = warn_members(b, out, WARNING_UNREADABLE, artifact_failed);
	if (r == 0)
		r = warn_members(b, out, WARNING_PARTIAL, artifact_partial);
	if (r < 0)
		return r;
	w = findings_add_warning(out, WARNING_COLLECTION_TIME);
	if (!w)
		return -ENOMEM;
	w->time = b->collected_at;
	w->time_source = (int)b->time_source;
	return 0;
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

/* Run one check into f (a zeroed finding). */
static void run_one(const struct bundle *b, const struct check_family *fam, const struct check *c,
                    const struct findings *prior, struct finding *f)
{
	int r;

	f->check = c;
	f->family = fam;
	f->status = STATUS_SKIP;
	f->severity = c->severity;
	r = c->run ? c->run(b, prior, f) : 0;
	if (r < 0) {
		f->status = STATUS_ERROR;
		finding_set(f, STATUS_ERROR, "the check could not finish: %s",
		            r == -ENOMEM ? "out of memory" : strerror(-r));
	}
	finish_finding(c, f);
}

int checks_run(const struct bundle *b, const char *const *only, size_t n_only, struct findings *out,
               struct error *err)
{
	size_t n_sel = 0;
	int r;

	/* 1. the selection must name known checks only */
	for (size_t i = 0; only && i < n_only; i++)
		if (!only[i] || !checks_find(only[i]))
			return error_set(err, -EINVAL, NULL, 0, "unknown check '%s'",
			                 only[i] ? only[i] : "(null)");
	for (size_t i = 0; i < ELEMENTSOF(families); i++)
		for (size_t j = 0; j < families[i].rows->n; j++)
			if (selected(&families[i].rows->v[j], only, n_only))
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

	/* 3. one finding per check, in registry order; a check sees the findings made
	 * before it (out->n grows as they are completed) */
	for (size_t i = 0; i < ELEMENTSOF(families); i++) {
		const struct check_family *fam = &families[i];

		for (size_t j = 0; j < fam->rows->n; j++) {
			if (!selected(&fam->rows->v[j], only, n_only))
				continue;
			run_one(b, fam, &fam->rows->v[j], out, &out->items[out->n]);
			out->n++;
		}
	}
	return 0;
fail:
	findings_release(out);
	return error_set(err, r, NULL, 0, "cannot run the checks: %s", strerror(-r));
}
