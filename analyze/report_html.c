/* SPDX-License-Identifier: Apache-2.0 */
/* The HTML report: one self-contained file that opens offline. Inline CSS only:
 * no scripts, no fonts, images or style sheets from elsewhere, and a
 * Content-Security-Policy that forbids them should anything slip in. Every piece
 * of text, trusted or not, goes through the HTML escaper. */
#include "report_impl.h"

#include <errno.h>
#include <string.h>

#include "bundle.h"
#include "checks.h"
#include "report.h"
#include "version.h"
#include "banned.h"

static const char html_style[] =
        "body{font:15px/1.45 system-ui,-apple-system,\"Segoe UI\",sans-serif;margin:2em auto;"
        "max-width:70em;padding:0 1em;color:#1d1d1f;background:#fff}\n"
        "h1{font-size:1.6em;margin-bottom:.3em}h2{margin-top:1.6em;border-bottom:1px solid #ddd}\n"
        "h3{margin-top:1.4em}table{border-collapse:collapse;width:100%}\n"
        "td,th{border:1px solid #ddd;padding:.3em .6em;text-align:left;vertical-align:top}\n"
        "th{background:#f4f4f6}code,pre{font:13px/1.4 ui-monospace,Menlo,Consolas,monospace}\n"
        "pre{background:#f6f8fa;border:1px solid #e1e4e8;padding:.6em;overflow-x:auto;"
        "white-space:pre-wrap;word-break:break-all}\n"
        ".tag{display:inline-block;min-width:3.6em;text-align:center;border-radius:3px;"
        "font-weight:600;font-size:.85em;padding:0 .3em;color:#fff}\n"
        ".fail{background:#c62828}.warn{background:#e6a100}.pass{background:#2e7d32}\n"
        ".skip{background:#9e9e9e}.error{background:#8e24aa}\n"
        ".finding{border-left:4px solid #ddd;padding:.2em 0 .2em .8em;margin:1em 0}\n"
        ".finding.f-fail{border-color:#c62828}.finding.f-warn{border-color:#e6a100}\n"
        ".finding.f-pass{border-color:#2e7d32}.finding.f-skip{border-color:#9e9e9e}\n"
        ".finding.f-error{border-color:#8e24aa}.meta{color:#555}dl{margin:0}"
        "dt{font-weight:600}dd{margin:0 0 .4em 1.2em}\n"
        ".warnings li{color:#8a4b00}footer{margin-top:2em;color:#777;font-size:.85em}\n";

static void esc(FILE *out, const char *s)
{
	report_put(out, s, ESC_HTML);
}

static void put_tag(FILE *out, enum status s)
{
	fprintf(out, "<span class=\"tag %s\">%s</span>", status_name(s), report_status_upper(s));
}

static void put_check_link(FILE *out, const struct finding *f)
{
	fprintf(out, "<a href=\"#");
	esc(out, report_check_id(f));
	fprintf(out, "\"><code>");
	esc(out, report_check_id(f));
	fprintf(out, "</code></a>");
}

static void put_header(FILE *out, const struct report_view *v)
{
	const struct bundle *b = v->bundle;

	fprintf(out, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	             "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
	             "style-src 'unsafe-inline'\">\n"
	             "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	             "<meta name=\"generator\" content=\"apigee-bundle ");
	esc(out, APIGEE_BUNDLE_VERSION);
	fprintf(out, "\">\n<title>apigee-bundle analysis: ");
	esc(out, v->input);
	fprintf(out, "</title>\n<style>\n%s</style>\n</head>\n<body>\n", html_style);
	fprintf(out, "<h1>apigee-bundle analysis</h1>\n<table class=\"meta\">\n");
	fprintf(out, "<tr><th>Input</th><td><code>");
	esc(out, v->input);
	fprintf(out, "</code></td></tr>\n");
	if (b) {
		bool any = false;

		fprintf(out, "<tr><th>Bundle</th><td>");
		if (b->is_collected) {
			fprintf(out, "collected by apigee-bundle");
			if (b->tool_version) {
				fputc(' ', out);
				esc(out, b->tool_version);
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
			esc(out, artifact_kind_name(k));
			fprintf(out, " %zu", v->kind_counts[k]);
			any = true;
		}
		if (any)
			fputc(')', out);
		if (v->n_unreadable)
			fprintf(out, "; %zu unreadable", v->n_unreadable);
		fprintf(out, "</td></tr>\n");
	}
	fprintf(out, "<tr><th>Collected</th><td>");
	esc(out, v->collected_at);
	fprintf(out, " (");
	esc(out, v->time_source_text);
	fprintf(out, ")</td></tr>\n<tr><th>Result</th><td>");
	for (int s = 0; s < STATUS__MAX; s++) {
		static const enum status order[] = { STATUS_FAIL, STATUS_WARN, STATUS_PASS,
			                             STATUS_SKIP, STATUS_ERROR };

		fprintf(out, "%s%zu %s", s ? ", " : "", v->counts[order[s]], status_name(order[s]));
	}
	fprintf(out, "</td></tr>\n</table>\n");
}

static void put_related(FILE *out, const struct report_view *v, const struct finding *f)
{
	for (size_t i = 0; i < f->related.n; i++) {
		const struct finding *r = report_find(v, f->related.v[i]);

		fprintf(out, "%s", i ? ", " : "");
		if (r) {
			put_check_link(out, r);
			fprintf(out, " (%s)", status_name(r->status));
		} else {
			fprintf(out, "<code>");
			esc(out, f->related.v[i]);
			fprintf(out, "</code> (not run)");
		}
	}
}

static void put_diag_line(FILE *out, const struct finding *f)
{
	put_tag(out, f->status);
	fputc(' ', out);
	put_check_link(out, f);
	fputc(' ', out);
	esc(out, report_check_title(f));
	fprintf(out, " — ");
	esc(out, report_summary(f));
}

static void put_diagnosis(FILE *out, const struct report_view *v)
{
	fprintf(out, "<h2>Diagnosis</h2>\n");
	if (v->n_symptoms == 0) {
		fprintf(out, "<p><strong>Symptom:</strong> ");
		esc(out, report_no_symptom_text(v));
		fprintf(out, "</p>\n");
	}
	for (size_t i = 0; i < v->n_symptoms; i++) {
		const struct finding *f = v->symptoms[i];

		fprintf(out, "<p><strong>Symptom:</strong> ");
		put_diag_line(out, f);
		if (f->related.n) {
			fprintf(out, "<br>\nPoints to: ");
			put_related(out, v, f);
		}
		fprintf(out, "</p>\n");
	}
	if (v->n_causes == 0) {
		fprintf(out, "<p><strong>Likely causes:</strong> none found among the checks "
		             "that could run");
		if (v->counts[STATUS_SKIP])
			fprintf(out,
			        " (%zu skipped: see <a href=\"#collect\">what to collect "
			        "next</a>)",
			        v->counts[STATUS_SKIP]);
		fprintf(out, ".</p>\n");
	} else {
		fprintf(out, "<p><strong>Likely causes, strongest first:</strong></p>\n<ol>\n");
		for (size_t i = 0; i < v->n_causes; i++) {
			fprintf(out, "<li>");
			put_diag_line(out, v->causes[i]);
			fprintf(out, "</li>\n");
		}
		fprintf(out, "</ol>\n");
	}
	if (v->counts[STATUS_ERROR]) {
		bool first = true;

		fprintf(out,
		        "<p><strong>Unknown:</strong> %zu check%s could not read %s input (see "
		        "<a href=\"#warnings\">warnings</a>): ",
		        v->counts[STATUS_ERROR], v->counts[STATUS_ERROR] == 1 ? "" : "s",
		        v->counts[STATUS_ERROR] == 1 ? "its" : "their");
		for (size_t i = 0; i < v->fs->n; i++) {
			if (v->fs->items[i].status != STATUS_ERROR)
				continue;
			fprintf(out, "%s", first ? "" : ", ");
			put_check_link(out, &v->fs->items[i]);
			first = false;
		}
		fprintf(out, "</p>\n");
	}
}

static void put_table(FILE *out, const struct report_view *v)
{
	fprintf(out, "<h2>Checks</h2>\n<table>\n<tr><th>ID</th><th>Status</th><th>Severity</th>"
	             "<th>Title</th></tr>\n");
	for (size_t i = 0; i < v->fs->n; i++) {
		const struct finding *f = &v->fs->items[i];

		fprintf(out, "<tr><td>");
		put_check_link(out, f);
		fprintf(out, "</td><td>");
		put_tag(out, f->status);
		fprintf(out, "</td><td>%s</td><td>", severity_name(f->severity));
		esc(out, report_check_heading(f));
		fprintf(out, "</td></tr>\n");
	}
	fprintf(out, "</table>\n");
}

static void put_evidence(FILE *out, const struct finding *f)
{
	fprintf(out, "<dt>Evidence</dt>\n<dd><pre>");
	for (size_t i = 0; i < f->n_evidence; i++) {
		const struct evidence *e = &f->evidence[i];

		esc(out, e->artifact ? e->artifact : "(input)");
		if (e->line)
			fprintf(out, ":%u", e->line);
		if (e->pointer && *e->pointer) {
			fputc('#', out);
			esc(out, e->pointer);
		}
		if (e->excerpt && *e->excerpt) {
			fprintf(out, "  ");
			esc(out, e->excerpt);
		}
		fputc('\n', out);
	}
	if (f->evidence_dropped)
		fprintf(out, "(%zu more not shown)\n", f->evidence_dropped);
	fprintf(out, "</pre></dd>\n");
}

static void put_finding(FILE *out, const struct report_view *v, const struct finding *f)
{
	const struct check *c = f->check;
	bool bad = f->status == STATUS_FAIL || f->status == STATUS_WARN;

	fprintf(out, "<div class=\"finding f-%s\" id=\"", status_name(f->status));
	esc(out, report_check_id(f));
	fprintf(out, "\">\n<p>");
	put_tag(out, f->status);
	fprintf(out, " <strong><code>");
	esc(out, report_check_id(f));
	fprintf(out, "</code> ");
	esc(out, report_check_heading(f));
	fprintf(out, "</strong> <span class=\"meta\">(%s)</span></p>\n<p>",
	        severity_name(f->severity));
	esc(out, report_summary(f));
	fprintf(out, "</p>\n<dl>\n");
	if (f->status == STATUS_SKIP && f->missing && !strstr(report_summary(f), f->missing)) {
		fprintf(out, "<dt>Missing</dt><dd>");
		esc(out, f->missing);
		fprintf(out, "</dd>\n");
	}
	if (f->n_evidence || f->evidence_dropped)
		put_evidence(out, f);
	if (f->related.n) {
		fprintf(out, "<dt>Points to</dt><dd>");
		put_related(out, v, f);
		fprintf(out, "</dd>\n");
	}
	for (size_t i = 0; i < f->notes.n; i++) {
		fprintf(out, "<dt>Note</dt><dd>");
		esc(out, f->notes.v[i]);
		fprintf(out, "</dd>\n");
	}
	if (bad && c && c->remediation) {
		fprintf(out, "<dt>Remediation</dt><dd>");
		esc(out, c->remediation);
		fprintf(out, "</dd>\n");
	}
	if (bad && c && c->source) {
		struct buf pb = BUF_INIT;

		fprintf(out, "<dt>Playbook</dt><dd>");
		esc(out, report_playbooks(c, &pb) == 0 && pb.data ? pb.data : c->source);
		fprintf(out, "</dd>\n");
		buf_release(&pb);
	}
	fprintf(out, "</dl>\n</div>\n");
}

static void put_details(FILE *out, const struct report_view *v)
{
	const struct check_family *family = NULL;

	fprintf(out, "<h2>Details</h2>\n");
	for (size_t i = 0; i < v->fs->n; i++) {
		const struct finding *f = &v->fs->items[i];

		if (i == 0 || f->family != family) {
			family = f->family;
			fprintf(out, "<h3>");
			esc(out, family ? family->id : "(no family)");
			if (family) {
				fprintf(out, " — ");
				esc(out, family->title);
			}
			fprintf(out, "</h3>\n");
		}
		put_finding(out, v, f);
	}
}

static void put_collect(FILE *out, const struct report_view *v)
{
	if (!v->n_collect)
		return;
	fprintf(out, "<h2 id=\"collect\">What to collect next</h2>\n<table>\n"
	             "<tr><th>Checks</th><th>Missing</th><th>Collect with</th></tr>\n");
	for (size_t i = 0; i < v->n_collect; i++) {
		const struct report_collect *c = &v->collect[i];

		fprintf(out, "<tr><td>");
		for (size_t j = 0; j < c->checks.n; j++) {
			fprintf(out, "%s<a href=\"#", j ? ", " : "");
			esc(out, c->checks.v[j]);
			fprintf(out, "\"><code>");
			esc(out, c->checks.v[j]);
			fprintf(out, "</code></a>");
		}
		fprintf(out, "</td><td>");
		for (size_t j = 0; j < c->missing.n; j++) {
			fprintf(out, "%s", j ? "; " : "");
			esc(out, c->missing.v[j]);
		}
		fprintf(out, "</td><td>");
		if (c->command) {
			fprintf(out, "<code>");
			esc(out, c->command);
			fprintf(out, "</code>");
		} else {
			fprintf(out, "see the playbook");
		}
		fprintf(out, "</td></tr>\n");
	}
	fprintf(out, "</table>\n");
}

static void put_warnings(FILE *out, const struct report_view *v)
{
	if (!v->warnings.n)
		return;
	fprintf(out, "<h2 id=\"warnings\">Warnings</h2>\n<ul class=\"warnings\">\n");
	for (size_t i = 0; i < v->warnings.n; i++) {
		fprintf(out, "<li>");
		esc(out, v->warnings.v[i]);
		fprintf(out, "</li>\n");
	}
	fprintf(out, "</ul>\n");
}

int report_html_write(FILE *out, const struct report_view *v)
{
	put_header(out, v);
	put_diagnosis(out, v);
	put_table(out, v);
	put_details(out, v);
	put_collect(out, v);
	put_warnings(out, v);
	fprintf(out, "<footer>Generated offline by apigee-bundle ");
	esc(out, APIGEE_BUNDLE_VERSION);
	fprintf(out, ".</footer>\n</body>\n</html>\n");
	return ferror(out) ? -EIO : 0;
}
