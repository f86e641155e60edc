/* SPDX-License-Identifier: Apache-2.0 */
/* The text report: for a person at a terminal. Colour (ANSI SGR) only when the
 * caller allows it; every piece of text from the input is escaped so that it can
 * neither move the cursor nor change colours. */
#include "report_impl.h"

#include <errno.h>
#include <string.h>

#include "bundle.h"
#include "checks.h"
#include "report.h"
#include "banned.h"

#define TEXT_WIDTH 80     /* when the caller gives none */
#define TEXT_MIN_WIDTH 40 /* narrower terminals get this and wrap */
#define TEXT_INDENT 10    /* where summaries, evidence and remediation start */

#define SGR_RESET "\033[0m"
#define SGR_BOLD "\033[1m"

struct text_ctx {
	FILE *out;
	bool color;
	size_t width; /* columns to fit */
};

static const char *status_sgr(enum status s)
{
	switch (s) {
	case STATUS_FAIL:
		return "\033[1;31m";
	case STATUS_WARN:
		return "\033[33m";
	case STATUS_PASS:
		return "\033[32m";
	case STATUS_SKIP:
		return "\033[2m";
	case STATUS_ERROR:
		return "\033[35m";
	default:
		return "";
	}
}

/* "[FAIL]" padded to the width of "[ERROR]". */
static void put_tag(const struct text_ctx *t, enum status s)
{
	const char *name = report_status_upper(s);
	size_t pad = 5 - (strlen(name) < 5 ? strlen(name) : 5);

	if (t->color)
		fprintf(t->out, "%s[%s]%s", status_sgr(s), name, SGR_RESET);
	else
		fprintf(t->out, "[%s]", name);
	fprintf(t->out, "%*s", (int)pad, "");
}

static void put_heading(const struct text_ctx *t, const char *s)
{
	if (t->color)
		fprintf(t->out, "%s%s%s\n", SGR_BOLD, s, SGR_RESET);
	else
		fprintf(t->out, "%s\n", s);
}

/* Bytes of the first max code points of the valid UTF-8 s. */
static size_t utf8_prefix(const char *s, size_t max)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = 0;

	for (size_t cols = 0; p[n] && cols < max; cols++) {
		n++;
		while ((p[n] & 0xc0) == 0x80)
			n++;
	}
	return n;
}

/* Write an escaped word at col; a word wider than the line is cut at the width
 * and goes on at indent. Returns the column after it. */
static size_t put_word(const struct text_ctx *t, const char *w, size_t col, size_t indent)
{
	size_t left = report_text_width(w);

	while (col + left > t->width && t->width > col && t->width - indent > 8) {
		size_t n = utf8_prefix(w, t->width - col);

		fwrite(w, 1, n, t->out);
		left -= t->width - col;
		w += n;
		fprintf(t->out, "\n%*s", (int)indent, "");
		col = indent;
	}
	fputs(w, t->out);
	return col + left;
}

/* Word-wrap untrusted s starting at column col; continuation lines are indented by
 * indent. Ends with a newline. */
static void put_wrapped(const struct text_ctx *t, const char *s, size_t col, size_t indent)
{
	const char *p = s ? s : "";
	struct buf word = BUF_INIT;
	bool first = true;

	while (*p) {
		const char *e;
		size_t n, w;

		while (*p == ' ')
			p++;
		if (!*p)
			break;
		e = strchr(p, ' ');
		n = e ? (size_t)(e - p) : strlen(p);
		buf_reset(&word);
		if (buf_append(&word, p, n) < 0 || !word.data)
			break;
		{
			struct buf esc = BUF_INIT;

			if (report_escape(&esc, word.data, ESC_TEXT) < 0 || !esc.data) {
				buf_release(&esc);
				break;
			}
			w = report_text_width(esc.data);
			if (!first && col + 1 + w > t->width && col > indent) {
				fprintf(t->out, "\n%*s", (int)indent, "");
				col = indent;
			} else if (!first) {
				fputc(' ', t->out);
				col++;
			}
			col = put_word(t, esc.data, col, indent);
			buf_release(&esc);
		}
		first = false;
		p += n;
	}
	buf_release(&word);
	fputc('\n', t->out);
}

/* Write the escaped (valid UTF-8) s cut to at most max columns, the last of them an
 * ellipsis when something was cut; code points are cut whole. */
static void put_cut(const struct text_ctx *t, const char *s, size_t max)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t cols = 0, keep = 0;

	if (report_text_width(s) <= max) {
		fputs(s, t->out);
		return;
	}
	while (p[keep] && cols + 1 < max) {
		size_t n = 1;

		while ((p[keep + n] & 0xc0) == 0x80)
			n++;
		keep += n;
		cols++;
	}
	fwrite(s, 1, keep, t->out);
	fputs("\xe2\x80\xa6", t->out); /* U+2026 HORIZONTAL ELLIPSIS */
}

/* One evidence line at TEXT_INDENT + 2: "member:line#pointer  excerpt", cut to the
 * width. */
static void put_evidence_line(const struct text_ctx *t, const struct evidence *e)
{
	struct buf line = BUF_INIT;
	size_t indent = TEXT_INDENT + 2;
	int r;

	r = report_escape(&line, e->artifact ? e->artifact : "(input)", ESC_TEXT);
	if (r == 0 && e->line)
		r = buf_printf(&line, ":%u", e->line);
	if (r == 0 && e->pointer && *e->pointer) {
		r = buf_printf(&line, "#");
		if (r == 0)
			r = report_escape(&line, e->pointer, ESC_TEXT);
	}
	if (r == 0 && e->excerpt && *e->excerpt) {
		r = buf_printf(&line, "  ");
		if (r == 0)
			r = report_escape(&line, e->excerpt, ESC_TEXT);
	}
	fprintf(t->out, "%*s", (int)indent, "");
	put_cut(t, r == 0 && line.data ? line.data : "(out of memory)", t->width - indent);
	fputc('\n', t->out);
	buf_release(&line);
}

static void put_header(const struct text_ctx *t, const struct report_view *v)
{
	const struct bundle *b = v->bundle;
	struct buf line = BUF_INIT;
	bool any = false;
	int r = 0;

	if (t->color)
		fprintf(t->out, "%sapigee-bundle analysis%s\n", SGR_BOLD, SGR_RESET);
	else
		fprintf(t->out, "apigee-bundle analysis\n");
	/* a long path is cut to the width, as evidence lines are */
	fprintf(t->out, "Input:      ");
	if (report_escape(&line, v->input ? v->input : "", ESC_TEXT) == 0)
		put_cut(t, line.data ? line.data : "", t->width > 24 ? t->width - 12 : 12);
	fputc('\n', t->out);
	buf_reset(&line);
	if (b) {
		if (b->is_collected)
			r = buf_printf(&line, "collected by apigee-bundle%s%s",
			               b->tool_version ? " " : "",
			               b->tool_version ? b->tool_version : "");
		else
			r = buf_puts(&line, "loose files");
		if (r == 0)
			r = buf_printf(&line, ", %zu artifact%s", v->n_artifacts,
			               v->n_artifacts == 1 ? "" : "s");
		for (size_t k = 0; r == 0 && k < ART__MAX; k++) {
			if (!v->kind_counts[k] || k == ART_UNKNOWN || k == ART_TEXT ||
			    k == ART_BINARY)
				continue;
			r = buf_printf(&line, "%s%s %zu", any ? ", " : " (", artifact_kind_name(k),
			               v->kind_counts[k]);
			any = true;
		}
		if (r == 0 && any)
			r = buf_putc(&line, ')');
		if (r == 0 && v->n_unreadable)
			r = buf_printf(&line, "; %zu unreadable", v->n_unreadable);
		fprintf(t->out, "Bundle:     ");
		put_wrapped(t, r == 0 ? line.data : "(out of memory)", 12, 12);
	}
	buf_reset(&line);
	r = buf_printf(&line, "%s (%s)", v->collected_at, v->time_source_text);
	fprintf(t->out, "Collected:  ");
	put_wrapped(t, r == 0 ? line.data : "(out of memory)", 12, 12);
	buf_release(&line);
}

/* "points to: SNI-001 (fail), TLS-001 (skip)" at column indent. */
static void put_related(const struct text_ctx *t, const struct report_view *v,
                        const struct finding *f, size_t indent)
{
	size_t col = indent + strlen("points to: ");

	if (!f->related.n)
		return;
	fprintf(t->out, "%*spoints to: ", (int)indent, "");
	for (size_t i = 0; i < f->related.n; i++) {
		const struct finding *r = report_find(v, f->related.v[i]);
		const char *st = r ? status_name(r->status) : "not run";
		size_t w = report_text_width(f->related.v[i]) + strlen(st) + 3;

		if (i) {
			fputc(',', t->out);
			col++;
			if (col + 1 + w > t->width) {
				fprintf(t->out, "\n%*s", (int)(indent + 11), "");
				col = indent + 11;
			} else {
				fputc(' ', t->out);
				col++;
			}
		}
		report_put(t->out, f->related.v[i], ESC_TEXT);
		fprintf(t->out, " (");
		if (t->color && r)
			fprintf(t->out, "%s%s%s", status_sgr(r->status), st, SGR_RESET);
		else
			fprintf(t->out, "%s", st);
		fputc(')', t->out);
		col += w;
	}
	fputc('\n', t->out);
}

/* "[FAIL]  ID title — summary", the summary wrapped to indent; col is where the
 * tag starts. */
static void put_diag_line(const struct text_ctx *t, const struct finding *f, size_t col,
                          size_t indent)
{
	struct buf line = BUF_INIT;
	int r;

	put_tag(t, f->status);
	fprintf(t->out, " %s ", report_check_id(f));
	col += 7 + 1 + strlen(report_check_id(f)) + 1;
	r = buf_printf(&line, "%s — %s", report_check_title(f), report_summary(f));
	put_wrapped(t, r == 0 ? line.data : "(out of memory)", col, indent);
	buf_release(&line);
}

/* Checks that ended in error: their verdict is unknown until the input is fixed. */
static void put_unreadable(const struct text_ctx *t, const struct report_view *v)
{
	size_t n = v->counts[STATUS_ERROR];
	struct buf line = BUF_INIT;
	bool first = true;
	int r;

	if (!n)
		return;
	r = buf_printf(&line, "%zu check%s could not read %s input (see Warnings):", n,
	               n == 1 ? "" : "s", n == 1 ? "its" : "their");
	for (size_t i = 0; r == 0 && i < v->fs->n; i++) {
		if (v->fs->items[i].status != STATUS_ERROR)
			continue;
		r = buf_printf(&line, "%s %s", first ? "" : ",", report_check_id(&v->fs->items[i]));
		first = false;
	}
	fprintf(t->out, "  Unknown:  ");
	put_wrapped(t, r == 0 ? line.data : "(out of memory)", 12, 12);
	buf_release(&line);
}

static void put_diagnosis(const struct text_ctx *t, const struct report_view *v)
{
	fputc('\n', t->out);
	put_heading(t, "Diagnosis");
	if (v->n_symptoms == 0) {
		fprintf(t->out, "  Symptom:  ");
		put_wrapped(t, report_no_symptom_text(v), 12, 12);
	}
	for (size_t i = 0; i < v->n_symptoms; i++) {
		fprintf(t->out, "  %-10s", i == 0 ? "Symptom:" : "");
		put_diag_line(t, v->symptoms[i], 12, 12);
		put_related(t, v, v->symptoms[i], 12);
	}
	if (v->n_causes == 0) {
		fprintf(t->out, "  Causes:   none found among the checks that could run");
		if (v->counts[STATUS_SKIP])
			fprintf(t->out, " (%zu skipped:\n            see \"What to collect next\")",
			        v->counts[STATUS_SKIP]);
		fputc('\n', t->out);
	} else {
		fprintf(t->out, "  Likely causes, strongest first:\n");
		for (size_t i = 0; i < v->n_causes; i++) {
			fprintf(t->out, "  %2zu. ", i + 1);
			put_diag_line(t, v->causes[i], 6, 14);
		}
	}
	put_unreadable(t, v);
}

static void put_finding(const struct text_ctx *t, const struct report_view *v,
                        const struct finding *f)
{
	const struct check *c = f->check;
	bool bad = f->status == STATUS_FAIL || f->status == STATUS_WARN;

	fprintf(t->out, "  ");
	put_tag(t, f->status);
	fprintf(t->out, " %-8s ", report_check_id(f));
	put_wrapped(t, report_check_heading(f), 2 + 7 + 1 + 9, 2 + 7 + 1 + 9);
	fprintf(t->out, "%*s", TEXT_INDENT, "");
	put_wrapped(t, report_summary(f), TEXT_INDENT, TEXT_INDENT);
	if (f->status == STATUS_SKIP && f->missing && !strstr(report_summary(f), f->missing)) {
		fprintf(t->out, "%*smissing: ", TEXT_INDENT, "");
		put_wrapped(t, f->missing, TEXT_INDENT + 9, TEXT_INDENT + 9);
	}
	if (f->n_evidence || f->evidence_dropped) {
		fprintf(t->out, "%*sevidence:\n", TEXT_INDENT, "");
		for (size_t i = 0; i < f->n_evidence; i++)
			put_evidence_line(t, &f->evidence[i]);
		if (f->evidence_dropped)
			fprintf(t->out, "%*s(%zu more not shown)\n", TEXT_INDENT + 2, "",
			        f->evidence_dropped);
	}
	put_related(t, v, f, TEXT_INDENT);
	for (size_t i = 0; i < f->notes.n; i++) {
		fprintf(t->out, "%*snote: ", TEXT_INDENT, "");
		put_wrapped(t, f->notes.v[i], TEXT_INDENT + 6, TEXT_INDENT + 6);
	}
	if (bad && c && c->remediation) {
		fprintf(t->out, "%*sfix: ", TEXT_INDENT, "");
		put_wrapped(t, c->remediation, TEXT_INDENT + 5, TEXT_INDENT + 5);
	}
	if (bad && c && c->source) {
		struct buf pb = BUF_INIT;

		fprintf(t->out, "%*splaybook: ", TEXT_INDENT, "");
		put_wrapped(t, report_playbooks(c, &pb) == 0 && pb.data ? pb.data : c->source,
		            TEXT_INDENT + 10, TEXT_INDENT + 10);
		buf_release(&pb);
	}
}

/* The first finding of f's family. */
static const struct finding *first_of(const struct report_view *v, const struct finding *f)
{
	for (size_t i = 0; i < v->fs->n; i++)
		if (v->fs->items[i].family == f->family)
			return &v->fs->items[i];
	return f;
}

static void put_checks(const struct text_ctx *t, const struct report_view *v)
{
	const struct check_family *family = NULL;
	bool shown_any = false;

	for (size_t i = 0; i < v->fs->n; i++) {
		const struct finding *f = &v->fs->items[i];
		const char *na = report_family_na(v, f->family);

		if (!report_shown(v, f))
			continue;
		if (!shown_any || f->family != family) {
			struct buf line = BUF_INIT;
			int r;

			family = f->family;
			fputc('\n', t->out);
			if (family)
				r = buf_printf(&line, "%s — %s", family->id, family->title);
			else
				r = buf_puts(&line, "(no family)");
			if (t->color)
				fprintf(t->out, "%s", SGR_BOLD);
			put_wrapped(t, r == 0 ? line.data : "(out of memory)", 0, 2);
			if (t->color)
				fprintf(t->out, "%s", SGR_RESET);
			buf_release(&line);
		}
		shown_any = true;
		if (na && f == first_of(v, f)) {
			struct buf line = BUF_INIT;
			int r = buf_printf(&line, "%s checks: not applicable (%s)", family->label,
			                   na);

			fprintf(t->out, "  ");
			put_tag(t, STATUS_SKIP);
			fputc(' ', t->out);
			put_wrapped(t, r == 0 ? line.data : "(out of memory)", 10, 10);
			buf_release(&line);
		}
		if (!na)
			put_finding(t, v, f);
	}
	report_put_hidden(t->out, v, "\n", "\n");
}

static void put_collect(const struct text_ctx *t, const struct report_view *v)
{
	if (!v->n_collect)
		return;
	fputc('\n', t->out);
	put_heading(t, "What to collect next");
	for (size_t i = 0; i < v->n_collect; i++) {
		const struct report_collect *c = &v->collect[i];

		struct buf ids = BUF_INIT;
		int r = 0;

		for (size_t j = 0; r == 0 && j < c->checks.n; j++)
			r = buf_printf(&ids, "%s%s", j ? ", " : "", c->checks.v[j]);
		fprintf(t->out, "  ");
		put_wrapped(t, r == 0 && ids.data ? ids.data : "(out of memory)", 2, 2);
		buf_release(&ids);
		for (size_t j = 0; j < c->missing.n; j++) {
			fprintf(t->out, "      missing: ");
			put_wrapped(t, c->missing.v[j], 15, 15);
		}
		fprintf(t->out, "      collect: ");
		put_wrapped(t, c->command ? c->command : "(no command known: see the playbook)", 15,
		            15);
	}
}

static void put_warnings(const struct text_ctx *t, const struct report_view *v)
{
	if (!v->warnings.n)
		return;
	fputc('\n', t->out);
	put_heading(t, "Warnings");
	for (size_t i = 0; i < v->warnings.n; i++) {
		fprintf(t->out, "  ! ");
		put_wrapped(t, v->warnings.v[i], 4, 4);
	}
}

/* "Result: 3 fail, 1 warn, … (N checks)", wrapped at the width with the counts
 * kept whole. */
static void put_tally(const struct text_ctx *t, const struct report_view *v)
{
	static const enum status order[] = { STATUS_FAIL, STATUS_WARN, STATUS_PASS, STATUS_SKIP,
		                             STATUS_ERROR };
	size_t n = sizeof(order) / sizeof(order[0]), col = 8;
	char item[64];

	fprintf(t->out, "\nResult: ");
	for (size_t i = 0; i <= n; i++) {
		size_t len;

		if (i < n)
			len = (size_t)snprintf(item, sizeof(item), "%zu %s%s", v->counts[order[i]],
			                       status_name(order[i]), i + 1 < n ? "," : "");
		else
			len = (size_t)snprintf(item, sizeof(item), "(%zu check%s)", v->fs->n,
			                       v->fs->n == 1 ? "" : "s");
		if (i && col + 1 + len > t->width) {
			fprintf(t->out, "\n%8s", "");
			col = 8;
		} else if (i) {
			fputc(' ', t->out);
			col++;
		}
		if (i < n && t->color && v->counts[order[i]])
			fprintf(t->out, "%s%.*s%s%s", status_sgr(order[i]),
			        (int)(len - (i + 1 < n)), item, SGR_RESET, i + 1 < n ? "," : "");
		else
			fputs(item, t->out);
		col += len;
	}
	fputc('\n', t->out);
}

int report_text_write(FILE *out, const struct report_view *v)
{
	struct text_ctx t = { out, v->opts && v->opts->color, TEXT_WIDTH };

	if (v->opts && v->opts->width)
		t.width = v->opts->width < TEXT_MIN_WIDTH ? TEXT_MIN_WIDTH : v->opts->width;

	put_header(&t, v);
	put_diagnosis(&t, v);
	put_checks(&t, v);
	put_collect(&t, v);
	put_warnings(&t, v);
	put_tally(&t, v);
	return ferror(out) ? -EIO : 0;
}
