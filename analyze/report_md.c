/* SPDX-License-Identifier: Apache-2.0 */
/* The markdown report: the text report's structure as CommonMark / GitHub
 * markdown, to paste into a ticket. Text from the input is backslash-escaped in
 * prose, and put in code spans or fenced blocks whose delimiters are longer than
 * any run of backticks inside, so that it cannot close them. */
#include "report_impl.h"

#include <errno.h>
#include <string.h>

#include "bundle.h"
#include "checks.h"
#include "report.h"
#include "version.h"
#include "banned.h"

static void put_ticks(FILE *out, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fputc('`', out);
}

/* A code span holding s; mode is ESC_MD_CODE, or ESC_MD_CELL inside a table. */
static void put_code(FILE *out, const char *s, enum report_esc mode)
{
	size_t n, len;
	bool pad;

	if (!s || !*s) {
		fputs("(empty)", out);
		return;
	}
	n = report_backtick_run(s) + 1;
	len = strlen(s);
	pad = n > 1 || s[0] == ' ' || s[len - 1] == ' ';
	put_ticks(out, n);
	if (pad)
		fputc(' ', out);
	report_put(out, s, mode);
	if (pad)
		fputc(' ', out);
	put_ticks(out, n);
}

static void put_status(FILE *out, enum status s)
{
	fprintf(out, "**%s**", report_status_upper(s));
}

static void put_header(FILE *out, const struct report_view *v)
{
	const struct bundle *b = v->bundle;

	fprintf(out, "# apigee-bundle analysis\n\n");
	fprintf(out, "- **Input:** ");
	put_code(out, v->input, ESC_MD_CODE);
	fputc('\n', out);
	if (b) {
		bool any = false;

		fprintf(out, "- **Bundle:** ");
		if (b->is_collected) {
			fprintf(out, "collected by apigee-bundle");
			if (b->tool_version) {
				fputc(' ', out);
				report_put(out, b->tool_version, ESC_MD);
			}
		} else {
			fprintf(out, "loose files");
		}
		fprintf(out, ", %zu artifact%s", v->n_artifacts, v->n_artifacts == 1 ? "" : "s");
		for (size_t k = 0; k < ART__MAX; k++) {
			if (!v->kind_counts[k] || k == ART_UNKNOWN || k == ART_TEXT ||
			    k == ART_BINARY)
				continue;
			fprintf(out, "%s", any ? ", " : " (");
			report_put(out, artifact_kind_name(k), ESC_MD);
			fprintf(out, " %zu", v->kind_counts[k]);
			any = true;
		}
		if (any)
			fputc(')', out);
		if (v->n_unreadable)
			fprintf(out, "; %zu unreadable", v->n_unreadable);
		fputc('\n', out);
	}
	fprintf(out, "- **Collected:** %s (%s)\n", v->collected_at, v->time_source_text);
	fprintf(out, "- **Result:** %zu fail, %zu warn, %zu pass, %zu skip, %zu error\n",
	        v->counts[STATUS_FAIL], v->counts[STATUS_WARN], v->counts[STATUS_PASS],
	        v->counts[STATUS_SKIP], v->counts[STATUS_ERROR]);
}

static void put_related(FILE *out, const struct report_view *v, const struct finding *f)
{
	for (size_t i = 0; i < f->related.n; i++) {
		const struct finding *r = report_find(v, f->related.v[i]);

		fprintf(out, "%s", i ? ", " : "");
		put_code(out, f->related.v[i], ESC_MD_CODE);
		fprintf(out, " (%s)", r ? status_name(r->status) : "not run");
	}
}

static void put_diagnosis(FILE *out, const struct report_view *v)
{
	fprintf(out, "\n## Diagnosis\n\n");
	if (v->n_symptoms == 0) {
		fprintf(out, "**Symptom:** ");
		report_put(out, report_no_symptom_text(v), ESC_MD);
		fprintf(out, "\n\n");
	}
	for (size_t i = 0; i < v->n_symptoms; i++) {
		const struct finding *f = v->symptoms[i];

		fprintf(out, "**Symptom:** ");
		put_status(out, f->status);
		fputc(' ', out);
		put_code(out, report_check_id(f), ESC_MD_CODE);
		fputc(' ', out);
		report_put(out, report_check_title(f), ESC_MD);
		fprintf(out, " — ");
		report_put(out, report_summary(f), ESC_MD);
		if (f->related.n) {
			fprintf(out, "  \nPoints to: ");
			put_related(out, v, f);
		}
		fprintf(out, "\n\n");
	}
	if (v->n_causes == 0) {
		fprintf(out, "**Likely causes:** none found among the checks that could run");
		if (v->counts[STATUS_SKIP])
			fprintf(out, " (%zu skipped: see *What to collect next*)",
			        v->counts[STATUS_SKIP]);
		fprintf(out, ".\n");
	} else {
		fprintf(out, "**Likely causes, strongest first:**\n\n");
		for (size_t i = 0; i < v->n_causes; i++) {
			const struct finding *f = v->causes[i];

			fprintf(out, "%zu. ", i + 1);
			put_status(out, f->status);
			fputc(' ', out);
			put_code(out, report_check_id(f), ESC_MD_CODE);
			fputc(' ', out);
			report_put(out, report_check_title(f), ESC_MD);
			fprintf(out, " — ");
			report_put(out, report_summary(f), ESC_MD);
			fputc('\n', out);
		}
	}
	if (v->counts[STATUS_ERROR]) {
		bool first = true;

		fprintf(out,
		        "\n**Unknown:** %zu check%s could not read %s input (see *Warnings*): ",
		        v->counts[STATUS_ERROR], v->counts[STATUS_ERROR] == 1 ? "" : "s",
		        v->counts[STATUS_ERROR] == 1 ? "its" : "their");
		for (size_t i = 0; i < v->fs->n; i++) {
			if (v->fs->items[i].status != STATUS_ERROR)
				continue;
			fprintf(out, "%s", first ? "" : ", ");
			put_code(out, report_check_id(&v->fs->items[i]), ESC_MD_CODE);
			first = false;
		}
		fputc('\n', out);
	}
}

/* Failures and warnings first: the order in which checks are listed. */
static const enum status md_order[] = { STATUS_FAIL, STATUS_WARN, STATUS_ERROR, STATUS_PASS,
	                                STATUS_SKIP };

static void put_table(FILE *out, const struct report_view *v)
{
	fprintf(out, "\n## Checks\n\n| ID | Status | Title |\n| --- | --- | --- |\n");
	for (size_t k = 0; k < sizeof(md_order) / sizeof(md_order[0]); k++) {
		for (size_t i = 0; i < v->fs->n; i++) {
			const struct finding *f = &v->fs->items[i];

			const char *na = report_family_na(v, f->family);

			if (f->status != md_order[k] || !report_shown(v, f))
				continue;
			if (na && (i == 0 || v->fs->items[i - 1].family != f->family)) {
				fprintf(out, "| %s | ", f->family->id);
				put_status(out, f->status);
				fprintf(out, " | %s checks: not applicable (", f->family->label);
				report_put(out, na, ESC_MD_TABLE);
				fprintf(out, ") |\n");
			}
			if (na)
				continue;
			fprintf(out, "| ");
			put_code(out, report_check_id(f), ESC_MD_CELL);
			fprintf(out, " | ");
			put_status(out, f->status);
			fprintf(out, " | ");
			report_put(out, report_check_heading(f), ESC_MD_TABLE);
			fprintf(out, " |\n");
		}
	}
	report_put_hidden(out, v, "\n", "\n");
}

static void put_evidence(FILE *out, const struct finding *f)
{
	size_t fence = 3;

	for (size_t i = 0; i < f->n_evidence; i++) {
		const struct evidence *e = &f->evidence[i];
		size_t n;

		n = report_backtick_run(e->artifact) + 1;
		fence = n > fence ? n : fence;
		n = report_backtick_run(e->pointer) + 1;
		fence = n > fence ? n : fence;
		n = report_backtick_run(e->excerpt) + 1;
		fence = n > fence ? n : fence;
	}
	fprintf(out, "<details><summary>Evidence (%zu)</summary>\n\n",
	        f->n_evidence + f->evidence_dropped);
	put_ticks(out, fence);
	fprintf(out, "text\n");
	for (size_t i = 0; i < f->n_evidence; i++) {
		const struct evidence *e = &f->evidence[i];

		report_put(out, e->artifact ? e->artifact : "(input)", ESC_MD_CODE);
		if (e->line)
			fprintf(out, ":%u", e->line);
		if (e->pointer && *e->pointer) {
			fputc('#', out);
			report_put(out, e->pointer, ESC_MD_CODE);
		}
		if (e->excerpt && *e->excerpt) {
			fprintf(out, "  ");
			report_put(out, e->excerpt, ESC_MD_CODE);
		}
		fputc('\n', out);
	}
	if (f->evidence_dropped)
		fprintf(out, "(%zu more not shown)\n", f->evidence_dropped);
	put_ticks(out, fence);
	fprintf(out, "\n\n</details>\n\n");
}

static void put_finding(FILE *out, const struct report_view *v, const struct finding *f)
{
	const struct check *c = f->check;
	bool bad = f->status == STATUS_FAIL || f->status == STATUS_WARN;

	fprintf(out, "#### %s · %s · ", report_status_upper(f->status), report_check_id(f));
	report_put(out, report_check_heading(f), ESC_MD);
	fprintf(out, "\n\n");
	report_put(out, report_summary(f), ESC_MD);
	fprintf(out, "\n\n");
	if (f->status == STATUS_SKIP && f->missing && !strstr(report_summary(f), f->missing)) {
		fprintf(out, "Missing: ");
		report_put(out, f->missing, ESC_MD);
		fprintf(out, "\n\n");
	}
	if (f->n_evidence || f->evidence_dropped)
		put_evidence(out, f);
	if (f->related.n) {
		fprintf(out, "Points to: ");
		put_related(out, v, f);
		fprintf(out, "\n\n");
	}
	for (size_t i = 0; i < f->notes.n; i++) {
		fprintf(out, "Note: ");
		report_put(out, f->notes.v[i], ESC_MD);
		fprintf(out, "\n\n");
	}
	if (bad && c && c->remediation) {
		fprintf(out, "**Remediation:** ");
		report_put(out, c->remediation, ESC_MD);
		fprintf(out, "\n\n");
	}
	if (bad && c && c->source) {
		struct buf pb = BUF_INIT;

		fprintf(out, "Playbook: ");
		report_put(out, report_playbooks(c, &pb) == 0 && pb.data ? pb.data : c->source,
		           ESC_MD);
		fprintf(out, "\n\n");
		buf_release(&pb);
	}
}

static void put_family_heading(FILE *out, const struct check_family *family)
{
	fprintf(out, "\n### ");
	report_put(out, family ? family->id : "(no family)", ESC_MD);
	if (family) {
		fprintf(out, " — ");
		report_put(out, family->title, ESC_MD);
	}
	fprintf(out, "\n\n");
}

/* Failures, warnings and errors first (in that order), then the checks that passed
 * or skipped, by family. */
static void put_details(FILE *out, const struct report_view *v)
{
	const struct check_family *family = NULL;
	bool any = false;

	fprintf(out, "\n## Failures and warnings\n\n");
	for (size_t k = 0; k < 3; k++)
		for (size_t i = 0; i < v->fs->n; i++)
			if (v->fs->items[i].status == md_order[k]) {
				put_finding(out, v, &v->fs->items[i]);
				any = true;
			}
	if (!any)
		fprintf(out, "None: no check failed or warned.\n\n");
	if (v->opts->only_problems)
		return;
	any = false;
	for (size_t i = 0; i < v->fs->n; i++) {
		const struct finding *f = &v->fs->items[i];

		if (report_is_problem(f))
			continue;
		if (!any)
			fprintf(out, "\n## Other checks\n");
		if (!any || f->family != family) {
			const char *na = report_family_na(v, f->family);

			family = f->family;
			put_family_heading(out, family);
			if (na) {
				fprintf(out, "**SKIP** %s checks: not applicable (", family->label);
				report_put(out, na, ESC_MD);
				fprintf(out, ")\n\n");
			}
		}
		any = true;
		if (!report_family_na(v, f->family))
			put_finding(out, v, f);
	}
}

static void put_collect(FILE *out, const struct report_view *v)
{
	if (!v->n_collect)
		return;
	fprintf(out, "## What to collect next\n\n");
	for (size_t i = 0; i < v->n_collect; i++) {
		const struct report_collect *c = &v->collect[i];

		fprintf(out, "- ");
		for (size_t j = 0; j < c->checks.n; j++) {
			fprintf(out, "%s", j ? ", " : "");
			put_code(out, c->checks.v[j], ESC_MD_CODE);
		}
		fprintf(out, ": missing ");
		for (size_t j = 0; j < c->missing.n; j++) {
			fprintf(out, "%s", j ? "; " : "");
			report_put(out, c->missing.v[j], ESC_MD);
		}
		if (c->command) {
			fprintf(out, "  \n  collect: ");
			put_code(out, c->command, ESC_MD_CODE);
		}
		fputc('\n', out);
	}
	fputc('\n', out);
}

static void put_warnings(FILE *out, const struct report_view *v)
{
	if (!v->warnings.n)
		return;
	fprintf(out, "## Warnings\n\n");
	for (size_t i = 0; i < v->warnings.n; i++) {
		fprintf(out, "- ");
		report_put(out, v->warnings.v[i], ESC_MD);
		fputc('\n', out);
	}
	fputc('\n', out);
}

int report_md_write(FILE *out, const struct report_view *v)
{
	put_header(out, v);
	put_diagnosis(out, v);
	put_table(out, v);
	put_details(out, v);
	put_collect(out, v);
	put_warnings(out, v);
	fprintf(out,
	        "---\n\n*apigee-bundle %s — %zu fail, %zu warn, %zu pass, %zu skip, %zu error*\n",
	        APIGEE_BUNDLE_VERSION, v->counts[STATUS_FAIL], v->counts[STATUS_WARN],
	        v->counts[STATUS_PASS], v->counts[STATUS_SKIP], v->counts[STATUS_ERROR]);
	return ferror(out) ? -EIO : 0;
}
