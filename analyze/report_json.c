/* SPDX-License-Identifier: Apache-2.0 */
/* The JSON report: one document valid against schemas/findings.schema.json
 * ("apigee-bundle/findings/v1"). Built with jansson, which escapes strings; text
 * from the input that is not valid UTF-8 is made so ("\xNN") first, because
 * jansson refuses it. Key order is fixed (JSON_PRESERVE_ORDER) so that output is
 * stable for golden-file tests. */
#include "report_impl.h"

#include <errno.h>
#include <string.h>

#include <jansson.h>

#include "bundle.h"
#include "checks.h"
#include "report.h"
#include "version.h"
#include "banned.h"

#define FINDINGS_FORMAT "apigee-bundle/findings/v1"
#define FINDINGS_SCHEMA_VERSION 1

/* A JSON string for s (NULL = JSON null). */
static json_t *jstr(const char *s)
{
	struct buf b = BUF_INIT;
	json_t *j;

	if (!s)
		return json_null();
	j = json_string(s);
	if (j)
		return j;
	if (report_escape(&b, s, ESC_TEXT) == 0)
		j = json_string(b.data);
	buf_release(&b);
	return j;
}

/* json_object_set_new, remembering a failure in *r. jansson releases val when
 * it cannot be stored, also when o is NULL (an earlier allocation failed). */
static void put(json_t *o, const char *key, json_t *val, int *r)
{
	if (json_object_set_new(o, key, val) < 0)
		*r = -ENOMEM;
}

static void push(json_t *a, json_t *val, int *r)
{
	if (json_array_append_new(a, val) < 0)
		*r = -ENOMEM;
}

static json_t *strv_json(const struct strv *s, int *r)
{
	json_t *a = json_array();

	for (size_t i = 0; i < s->n; i++)
		push(a, jstr(s->v[i]), r);
	return a;
}

/* Write doc (indented, keys in insertion order) and release it; r is the result of
 * building it. 0, -ENOMEM, -EIO. */
static int dump(FILE *out, json_t *doc, int r)
{
	if (!doc && r == 0)
		r = -ENOMEM;
	if (r == 0 && (json_dumpf(doc, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER) < 0 ||
	               fputc('\n', out) == EOF))
		r = -EIO;
	json_decref(doc);
	return r;
}

static json_t *bundle_json(const struct report_view *v, int *r)
{
	const struct bundle *b = v->bundle;
	json_t *o = json_object();
	json_t *kinds = json_object();

	put(o, "collected", json_boolean(b && b->is_collected), r);
	if (b && b->is_collected && b->tool_version)
		put(o, "collector_version", jstr(b->tool_version), r);
	put(o, "artifacts", json_integer((json_int_t)v->n_artifacts), r);
	put(o, "unreadable", json_integer((json_int_t)v->n_unreadable), r);
	for (size_t k = 0; k < ART__MAX; k++)
		if (v->kind_counts[k])
			put(kinds, artifact_kind_name(k),
			    json_integer((json_int_t)v->kind_counts[k]), r);
	put(o, "recognised", kinds, r);
	return o;
}

static json_t *diag_entry(const struct finding *f, bool symptom, int *r)
{
	json_t *o = json_object();

	put(o, "check", jstr(report_check_id(f)), r);
	put(o, "title", jstr(report_check_title(f)), r);
	put(o, "status", json_string(status_name(f->status)), r);
	put(o, "severity", json_string(severity_name(f->severity)), r);
	put(o, "summary", jstr(report_summary(f)), r);
	if (symptom && f->related.n)
		put(o, "related", strv_json(&f->related, r), r);
	return o;
}

static json_t *diagnosis_json(const struct report_view *v, int *r)
{
	json_t *o = json_object();
	json_t *sym = json_array();
	json_t *cau = json_array();

	for (size_t i = 0; i < v->n_symptoms; i++)
		push(sym, diag_entry(v->symptoms[i], true, r), r);
	for (size_t i = 0; i < v->n_causes; i++)
		push(cau, diag_entry(v->causes[i], false, r), r);
	put(o, "symptoms", sym, r);
	put(o, "causes", cau, r);
	return o;
}

static const char *skip_missing(const struct finding *f)
{
	if (f->missing)
		return f->missing;
	if (f->check && f->check->inputs)
		return f->check->inputs;
	return "an input this check needs";
}

static const char *skip_command(const struct finding *f)
{
	if (f->collect_hint)
		return f->collect_hint;
	return f->check ? f->check->collect_hint : NULL;
}

static json_t *evidence_json(const struct evidence *e, int *r)
{
	json_t *o = json_object();

	put(o, "artifact", jstr(e->artifact ? e->artifact : ""), r);
	if (e->line)
		put(o, "line", json_integer((json_int_t)e->line), r);
	if (e->pointer)
		put(o, "pointer", jstr(e->pointer), r);
	if (e->excerpt)
		put(o, "excerpt", jstr(e->excerpt), r);
	return o;
}

static json_t *finding_json(const struct finding *f, int *r)
{
	const struct check *c = f->check;
	json_t *o = json_object();
	json_t *ev = json_array();

	put(o, "check", jstr(report_check_id(f)), r);
	put(o, "family", jstr(f->family ? f->family->id : ""), r);
	put(o, "status", json_string(status_name(f->status)), r);
	put(o, "severity", json_string(severity_name(f->severity)), r);
	put(o, "title", jstr(report_check_title(f)), r);
	put(o, "summary", jstr(report_summary(f)), r);
	for (size_t i = 0; i < f->n_evidence; i++)
		push(ev, evidence_json(&f->evidence[i], r), r);
	put(o, "evidence", ev, r);
	if (f->evidence_dropped)
		put(o, "evidence_dropped", json_integer((json_int_t)f->evidence_dropped), r);
	if (f->status == STATUS_FAIL || f->status == STATUS_WARN)
		put(o, "remediation", jstr(c && c->remediation ? c->remediation : ""), r);
	put(o, "source", jstr(c && c->source ? c->source : ""), r);
	if (f->status == STATUS_SKIP || f->missing)
		put(o, "missing", jstr(skip_missing(f)), r);
	if ((f->status == STATUS_SKIP || f->collect_hint) && skip_command(f))
		put(o, "collect_hint", jstr(skip_command(f)), r);
	if (f->related.n)
		put(o, "related", strv_json(&f->related, r), r);
	if (f->notes.n)
		put(o, "notes", strv_json(&f->notes, r), r);
	return o;
}

static json_t *collect_json(const struct report_view *v, int *r)
{
	json_t *a = json_array();

	for (size_t i = 0; i < v->fs->n; i++) {
		const struct finding *f = &v->fs->items[i];
		json_t *o;

		if (f->status != STATUS_SKIP)
			continue;
		o = json_object();
		put(o, "check", jstr(report_check_id(f)), r);
		put(o, "missing", jstr(skip_missing(f)), r);
		put(o, "command", jstr(skip_command(f)), r);
		push(a, o, r);
	}
	return a;
}

static json_t *summary_json(const struct report_view *v, int *r)
{
	static const enum status order[] = { STATUS_FAIL, STATUS_WARN, STATUS_PASS, STATUS_SKIP,
		                             STATUS_ERROR };
	json_t *o = json_object();

	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		put(o, status_name(order[i]), json_integer((json_int_t)v->counts[order[i]]), r);
	return o;
}

int report_json_write(FILE *out, const struct report_view *v)
{
	json_t *doc = json_object();
	json_t *fa = json_array();
	int r = 0;

	put(doc, "format", json_string(FINDINGS_FORMAT), &r);
	put(doc, "schema_version", json_integer(FINDINGS_SCHEMA_VERSION), &r);
	put(doc, "tool_version", json_string(APIGEE_BUNDLE_VERSION), &r);
	put(doc, "input", jstr(v->input), &r);
	put(doc, "collected_at", json_string(v->collected_at), &r);
	put(doc, "collected_at_source", json_string(v->time_source), &r);
	put(doc, "bundle", bundle_json(v, &r), &r);
	put(doc, "diagnosis", diagnosis_json(v, &r), &r);
	for (size_t i = 0; i < v->fs->n; i++)
		push(fa, finding_json(&v->fs->items[i], &r), &r);
	put(doc, "findings", fa, &r);
	put(doc, "collect_next", collect_json(v, &r), &r);
	put(doc, "warnings", strv_json(&v->warnings, &r), &r);
	put(doc, "summary", summary_json(v, &r), &r);

	return dump(out, doc, r);
}

/* One catalog entry: the check's row and its family's ID. */
static json_t *catalog_entry(const struct check_family *fam, const struct check *c, int *r)
{
	json_t *o = json_object();

	put(o, "id", jstr(c->id), r);
	put(o, "family", jstr(fam->id), r);
	put(o, "title", jstr(c->title), r);
	put(o, "pass", jstr(c->pass), r);
	put(o, "severity", json_string(severity_name(c->severity)), r);
	put(o, "inputs", jstr(c->inputs), r);
	put(o, "remediation", jstr(c->remediation), r);
	put(o, "source", jstr(c->source), r);
	put(o, "collect_hint", jstr(c->collect_hint), r);
	return o;
}

int report_json_catalog(FILE *out)
{
	size_t n_fam;
	const struct check_family *fams = check_families(&n_fam);
	json_t *arr = json_array();
	int r = 0;

	for (size_t i = 0; i < n_fam; i++)
		for (size_t j = 0; j < fams[i].rows->n; j++)
			push(arr, catalog_entry(&fams[i], &fams[i].rows->v[j], &r), &r);
	return dump(out, arr, r);
}
