/* SPDX-License-Identifier: Apache-2.0 */
/* The HTML report: one self-contained file that opens offline. Inline CSS only:
 * no scripts, no fonts, images or style sheets from elsewhere, and a
 * Content-Security-Policy that forbids them should anything slip in. Every piece
 * of text, trusted or not, goes through the HTML escaper. */
#include "report_impl.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#include "bundle.h"
#include "checks.h"
#include "report.h"
#include "text.h"
#include "version.h"
#include "banned.h"

/* The palette, declared once: each rule's text colour on its background. The badge
 * rows also colour the left border of their check's card. Every pair meets WCAG AA
 * for normal text (4.5:1), which tests/test_report.c computes. */
static const struct report_color html_palette[] = {
	{ "body", "#1d1d1f", "#ffffff", STATUS__MAX },
	{ "th", "#1d1d1f", "#f4f4f6", STATUS__MAX },
	{ "pre", "#1d1d1f", "#f6f8fa", STATUS__MAX },
	{ "a", "#0b57d0", "#ffffff", STATUS__MAX },
	{ ".meta", "#555555", "#ffffff", STATUS__MAX },
	{ ".warnings li", "#8a4b00", "#ffffff", STATUS__MAX },
	{ "footer", "#595959", "#ffffff", STATUS__MAX },
	{ ".fail", "#ffffff", "#c62828", STATUS_FAIL },
	{ ".warn", "#1d1d1f", "#f0b400", STATUS_WARN },
	{ ".pass", "#ffffff", "#2e7d32", STATUS_PASS },
	{ ".skip", "#ffffff", "#616161", STATUS_SKIP },
	{ ".error", "#ffffff", "#8e24aa", STATUS_ERROR },
};

const struct report_color *report_html_palette(size_t *n)
{
	*n = sizeof(html_palette) / sizeof(html_palette[0]);
	return html_palette;
}

static const char html_style[] =
        "body{font:15px/1.45 system-ui,-apple-system,\"Segoe UI\",sans-serif;margin:2em auto;"
        "max-width:70em;padding:0 1em}\n"
        "h1{font-size:1.6em;margin-bottom:.3em}h2{margin-top:1.6em;border-bottom:1px solid #ddd}\n"
        "h3{margin-top:1.4em}h4{margin:.2em 0 .4em;font-size:1em}\n"
        "table{border-collapse:collapse;width:100%;margin:.6em 0}\n"
        "caption{text-align:left;font-weight:600;padding:.2em 0}\n"
        "td,th{border:1px solid #ddd;padding:.3em .6em;text-align:left;vertical-align:top}\n"
        "code,pre{font:13px/1.4 ui-monospace,Menlo,Consolas,monospace}\n"
        "pre{border:1px solid #e1e4e8;padding:.6em;overflow-x:auto;"
        "white-space:pre-wrap;overflow-wrap:anywhere;word-break:normal}\n"
        "td code,dd code{overflow-wrap:anywhere}\n"
        ".tag{display:inline-block;min-width:3.6em;text-align:center;border-radius:3px;"
        "font-weight:600;font-size:.85em;padding:0 .3em}\n"
        ".finding{border-left:4px solid #ddd;padding:.2em 0 .2em .8em;margin:1em 0}\n"
        "dl{margin:0}dt{font-weight:600}dd{margin:0 0 .4em 1.2em}\n"
        ".anchor{text-decoration:none;margin-left:.3em}\n"
        "footer{margin-top:2em;font-size:.85em}\n"
        "@media print{body{margin:0;max-width:none}a{color:inherit}"
        ".finding,tr,pre{break-inside:avoid;page-break-inside:avoid}"
        "h2,h3,h4{break-after:avoid;page-break-after:avoid}.anchor{display:none}}\n";

static void put_style(FILE *out)
{
	fprintf(out, "<style>\n%s", html_style);
	for (size_t i = 0; i < sizeof(html_palette) / sizeof(html_palette[0]); i++) {
		const struct report_color *c = &html_palette[i];

		fprintf(out, "%s{color:%s;background:%s}\n", c->selector, c->fg, c->bg);
		if (c->status != STATUS__MAX)
			fprintf(out, ".finding.f-%s{border-color:%s}\n", status_name(c->status),
			        c->bg);
	}
	fprintf(out, "</style>\n");
}

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
	fprintf(out, "</title>\n");
	put_style(out);
	fprintf(out, "</head>\n<body>\n<main>\n");
	fprintf(out, "<h1>apigee-bundle analysis</h1>\n<table>\n<caption>The bundle</caption>\n");
	fprintf(out, "<tr><th scope=\"row\">Input</th><td><code>");
	esc(out, v->input);
	fprintf(out, "</code></td></tr>\n");
	if (b) {
		bool any = false;

		fprintf(out, "<tr><th scope=\"row\">Bundle</th><td>");
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
	fprintf(out, "<tr><th scope=\"row\">Collected</th><td>");
	esc(out, v->collected_at);
	fprintf(out, " (");
	esc(out, v->time_source_text);
	fprintf(out, ")</td></tr>\n<tr><th scope=\"row\">Result</th><td>");
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
	fprintf(out, "<h2 id=\"diagnosis\">Diagnosis</h2>\n");
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

/* ---- the timeline: certificate validity and resets against the collection time */

#define TL_ROWS_MAX 12  /* certificates drawn at most */
#define TL_LABEL_MAX 38 /* code points of a label shown (the label column is 260) */
#define TL_PLOT_X 270   /* where the time axis starts */
#define TL_PLOT_W 610   /* and its width */
#define TL_ROW_H 24

struct tl_span {
	const char *label; /* raw */
	int64_t from, to;
	bool bad;
};

struct timeline {
	struct tl_span rows[TL_ROWS_MAX + 1];
	size_t n;
	int64_t lo, hi, at;
};

static void tl_date(int64_t t, char *out, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&tt, &tm) || !strftime(out, len, "%Y-%m-%d %H:%M", &tm))
		snprintf(out, len, "?");
}

static long tl_x(const struct timeline *tl, int64_t t)
{
	return TL_PLOT_X + (long)((double)(t - tl->lo) * TL_PLOT_W / (double)(tl->hi - tl->lo));
}

/* The rows: leaf certificates (validity window), then the resets (first to last). */
static void tl_collect(struct timeline *tl, const struct bundle *b, int64_t at)
{
	int64_t first, last;
	const char *fs = b->access.first_start, *ls = b->access.last_start;

	for (size_t i = 0; i < b->n_certs && tl->n < TL_ROWS_MAX; i++) {
		const struct cert_rec *c = &b->certs[i];

		if (!c->parsed || c->chain_index != 0)
			continue;
		tl->rows[tl->n++] =
		        (struct tl_span){ c->facts.common_name
			                          ? c->facts.common_name
			                          : (c->owner ? c->owner : "certificate"),
			                  c->facts.not_before, c->facts.not_after,
			                  at < c->facts.not_before || at > c->facts.not_after };
	}
	if (b->access.nonsni_reject && text_parse_time(fs, strlen(fs), &first) == 0 &&
	    text_parse_time(ls, strlen(ls), &last) == 0)
		tl->rows[tl->n++] =
		        (struct tl_span){ "non-SNI handshakes rejected", first, last, true };
	tl->lo = tl->hi = tl->at = at;
	for (size_t i = 0; i < tl->n; i++) {
		tl->lo = tl->rows[i].from < tl->lo ? tl->rows[i].from : tl->lo;
		tl->hi = tl->rows[i].to > tl->hi ? tl->rows[i].to : tl->hi;
	}
	{
		int64_t pad = (tl->hi - tl->lo) / 20;

		pad = pad < 60 ? 60 : pad;
		tl->lo -= pad;
		tl->hi += pad;
	}
}

/* A label cut to TL_LABEL_MAX code points (an ellipsis shows the cut). */
static void put_label(FILE *out, const char *s)
{
	char cut[TL_LABEL_MAX * 4 + 4];
	size_t n = 0, cps = 0;

	while (s[n] && cps < TL_LABEL_MAX && n + 4 < sizeof(cut)) {
		n++;
		while (((unsigned char)s[n] & 0xc0) == 0x80)
			n++;
		cps++;
	}
	if (!s[n]) {
		esc(out, s);
		return;
	}
	memcpy(cut, s, n);
	cut[n] = '\0';
	esc(out, cut);
	fputs("\xe2\x80\xa6", out);
}

static void put_timeline(FILE *out, const struct report_view *v)
{
	struct timeline tl = { .n = 0 };
	char a[32], z[32], c[32];
	long height, xa;

	if (!v->bundle || !v->fs->collected_at)
		return;
	tl_collect(&tl, v->bundle, v->fs->collected_at);
	if (!tl.n)
		return;
	height = (long)(tl.n + 2) * TL_ROW_H;
	tl_date(tl.lo, a, sizeof(a));
	tl_date(tl.hi, z, sizeof(z));
	tl_date(tl.at, c, sizeof(c));
	fprintf(out,
	        "<h2 id=\"timeline\">Timeline</h2>\n<figure>\n<svg class=\"timeline\" "
	        "role=\"img\" aria-labelledby=\"timeline-title\" viewBox=\"0 0 900 %ld\" "
	        "width=\"100%%\" font-size=\"12\">\n<title id=\"timeline-title\">Certificate "
	        "validity and resets against the collection time (%s UTC)</title>\n",
	        height, c);
	for (size_t i = 0; i < tl.n; i++) {
		const struct tl_span *r = &tl.rows[i];
		long y = (long)i * TL_ROW_H + 6, x0 = tl_x(&tl, r->from), x1 = tl_x(&tl, r->to);

		fprintf(out, "<text x=\"0\" y=\"%ld\" fill=\"#1d1d1f\">", y + 13);
		put_label(out, r->label);
		fprintf(out,
		        "</text>\n<rect x=\"%ld\" y=\"%ld\" width=\"%ld\" height=\"16\" "
		        "fill=\"%s\"/>\n",
		        x0, y, x1 - x0 < 2 ? 2 : x1 - x0, r->bad ? "#c62828" : "#2e7d32");
	}
	xa = tl_x(&tl, tl.at);
	fprintf(out,
	        "<line x1=\"%ld\" y1=\"0\" x2=\"%ld\" y2=\"%ld\" stroke=\"#1d1d1f\" "
	        "stroke-dasharray=\"4 3\"/>\n"
	        "<text x=\"%ld\" y=\"%ld\" fill=\"#1d1d1f\" text-anchor=\"%s\">collected "
	        "%s</text>\n"
	        "<text x=\"%d\" y=\"%ld\" fill=\"#555555\">%s</text>\n"
	        "<text x=\"%d\" y=\"%ld\" fill=\"#555555\" text-anchor=\"end\">%s</text>\n"
	        "</svg>\n<figcaption>Green: valid at the collection time; red: expired or not yet "
	        "valid, or the span of the rejected handshakes. Dashed: the collection time."
	        "</figcaption>\n</figure>\n",
	        xa, xa, (long)tl.n * TL_ROW_H + 4, xa, (long)tl.n * TL_ROW_H + 18,
	        xa > TL_PLOT_X + TL_PLOT_W / 2 ? "end" : "start", c, TL_PLOT_X,
	        (long)(tl.n + 1) * TL_ROW_H + 14, a, TL_PLOT_X + TL_PLOT_W,
	        (long)(tl.n + 1) * TL_ROW_H + 14, z);
}

static void put_table(FILE *out, const struct report_view *v)
{
	fprintf(out, "<h2 id=\"checks\">Checks</h2>\n<table>\n<caption>Every check and its status"
	             "</caption>\n<tr><th scope=\"col\">ID</th><th scope=\"col\">Status</th>"
	             "<th scope=\"col\">Severity</th><th scope=\"col\">Title</th></tr>\n");
	for (size_t i = 0; i < v->fs->n; i++) {
		const struct finding *f = &v->fs->items[i];

		if (!report_shown(v, f))
			continue;
		fprintf(out, "<tr><td>");
		put_check_link(out, f);
		fprintf(out, "</td><td>");
		put_tag(out, f->status);
		fprintf(out, "</td><td>%s</td><td>", severity_name(f->severity));
		esc(out, report_check_heading(f));
		fprintf(out, "</td></tr>\n");
	}
	fprintf(out, "</table>\n");
	report_put_hidden(out, v, "<p class=\"meta\">", "</p>\n");
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

	fprintf(out, "<section class=\"finding f-%s\" id=\"", status_name(f->status));
	esc(out, report_check_id(f));
	fprintf(out, "\">\n<h4>");
	put_tag(out, f->status);
	fprintf(out, " <code>");
	esc(out, report_check_id(f));
	fprintf(out, "</code> ");
	esc(out, report_check_heading(f));
	fprintf(out, " <span class=\"meta\">(%s)</span><a class=\"anchor\" href=\"#",
	        severity_name(f->severity));
	esc(out, report_check_id(f));
	fprintf(out, "\" aria-label=\"link to this check\">#</a></h4>\n<p>");
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
	fprintf(out, "</dl>\n</section>\n");
}

static void put_details(FILE *out, const struct report_view *v)
{
	const struct check_family *family = NULL;
	bool shown_any = false;

	fprintf(out, "<h2 id=\"details\">Details</h2>\n");
	for (size_t i = 0; i < v->fs->n; i++) {
		const struct finding *f = &v->fs->items[i];

		if (!report_shown(v, f))
			continue;
		if (!shown_any || f->family != family) {
			family = f->family;
			fprintf(out, "<h3>");
			esc(out, family ? family->id : "(no family)");
			if (family) {
				fprintf(out, " — ");
				esc(out, family->title);
			}
			fprintf(out, "</h3>\n");
			if (report_family_na(v, family)) {
				fprintf(out, "<p class=\"na\">");
				put_tag(out, STATUS_SKIP);
				fputc(' ', out);
				esc(out, family->label);
				fprintf(out, " checks: not applicable (");
				esc(out, report_family_na(v, family));
				fprintf(out, ")");
				/* the checks' anchors stay: report.html#XLB-003 still lands here */
				for (size_t j = 0; j < v->fs->n; j++)
					if (v->fs->items[j].family == family) {
						fprintf(out, " <span id=\"");
						esc(out, report_check_id(&v->fs->items[j]));
						fprintf(out, "\"></span>");
					}
				fprintf(out, "</p>\n");
			}
		}
		shown_any = true;
		if (!report_family_na(v, f->family))
			put_finding(out, v, f);
	}
}

static void put_collect(FILE *out, const struct report_view *v)
{
	if (!v->n_collect)
		return;
	fprintf(out, "<h2 id=\"collect\">What to collect next</h2>\n<table>\n"
	             "<caption>Inputs the skipped checks need, and the command that gathers "
	             "them</caption>\n<tr><th scope=\"col\">Checks</th><th scope=\"col\">"
	             "Missing</th><th scope=\"col\">Collect with</th></tr>\n");
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

/* The manifest's sources, failed and skipped first, and the redaction counts. */
static void put_sources(FILE *out, const struct bundle *b)
{
	static const char *const order[] = { "failed", "skipped", "collected", NULL };
	size_t counted = 0;

	fprintf(out, "<p>");
	for (size_t k = 0; order[k]; k++) {
		size_t n = 0;

		for (size_t i = 0; i < b->n_sources; i++)
			n += strcmp(b->sources[i].status, order[k]) == 0;
		fprintf(out, "%s%zu %s", k ? ", " : "", n, order[k]);
		counted += n;
	}
	if (counted < b->n_sources)
		fprintf(out, ", %zu other", b->n_sources - counted);
	fprintf(out, ".</p>\n<table>\n<caption>Sources the collector tried</caption>\n"
	             "<tr><th scope=\"col\">Source</th><th scope=\"col\">Status</th>"
	             "<th scope=\"col\">Reason</th></tr>\n");
	for (size_t k = 0; k <= 3; k++) {
		for (size_t i = 0; i < b->n_sources; i++) {
			const struct manifest_source *ms = &b->sources[i];
			bool known = false;

			for (size_t j = 0; order[j]; j++)
				known |= strcmp(ms->status, order[j]) == 0;
			if (k < 3 ? strcmp(ms->status, order[k]) != 0 : known)
				continue;
			fprintf(out, "<tr><td><code>");
			esc(out, ms->name);
			fprintf(out, "</code></td><td>");
			esc(out, ms->status);
			fprintf(out, "</td><td>");
			esc(out, ms->reason);
			fprintf(out, "</td></tr>\n");
		}
	}
	fprintf(out, "</table>\n");
}

static void put_manifest(FILE *out, const struct report_view *v)
{
	const struct bundle *b = v->bundle;

	if (!b || !b->is_collected || (!b->n_sources && !b->redaction_seen))
		return;
	fprintf(out, "<h2 id=\"manifest\">Collection and redaction</h2>\n");
	if (b->n_sources)
		put_sources(out, b);
	if (!b->redaction_seen)
		return;
	if (!b->n_redactions) {
		fprintf(out, "<p>Redaction: no rule replaced anything.</p>\n");
		return;
	}
	fprintf(out, "<table>\n<caption>Values redacted, per rule</caption>\n"
	             "<tr><th scope=\"col\">Rule</th><th scope=\"col\">Replaced</th></tr>\n");
	for (size_t i = 0; i < b->n_redactions; i++) {
		fprintf(out, "<tr><td><code>");
		esc(out, b->redactions[i].rule);
		fprintf(out, "</code></td><td>%llu</td></tr>\n",
		        (unsigned long long)b->redactions[i].count);
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
	put_timeline(out, v);
	put_table(out, v);
	put_details(out, v);
	put_collect(out, v);
	put_manifest(out, v);
	put_warnings(out, v);
	fprintf(out, "</main>\n<footer>Generated offline by apigee-bundle ");
	esc(out, APIGEE_BUNDLE_VERSION);
	fprintf(out, ".</footer>\n</body>\n</html>\n");
	return ferror(out) ? -EIO : 0;
}
