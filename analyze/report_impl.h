/* SPDX-License-Identifier: Apache-2.0 */
/* Internals shared by the report renderers (report_text.c, report_json.c,
 * report_md.c, report_html.c); not for use outside analyze/report*.c.
 *
 * report_write():
 *   1. builds a struct report_view once: the header facts, the diagnosis (symptoms
 *      and causes in order), the "what to collect next" groups, the merged warnings
 *      and the tally;
 *   2. hands it to the renderer for the format, which only decides layout and
 *      escaping;
 *   3. releases the view.
 * Every string in the view that came from the input is raw: renderers escape it
 * with report_put() (or, for JSON, report_json_string()). */
#ifndef ANALYZE_REPORT_IMPL_H
#define ANALYZE_REPORT_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "buf.h"
#include "findings.h"
#include "model.h"

struct bundle;
struct check;
struct check_family;
struct report_options;

/* How untrusted text is escaped on output. Every mode first makes the text one
 * printable line of valid UTF-8: control bytes, C1 controls and bytes that are not
 * UTF-8 become "\xNN", a tab becomes a space. */
enum report_esc {
	ESC_TEXT = 0, /* terminal: nothing more */
	ESC_MD,       /* markdown inline text: backslash-escape syntax where it would act */
	ESC_MD_TABLE, /* the same in a markdown table cell: "|" as "\|" too */
	ESC_MD_CODE,  /* inside a markdown code span or fenced block: nothing more */
	ESC_MD_CELL,  /* inside a code span in a markdown table cell: "|" as "\|" */
	ESC_HTML,     /* HTML text and attribute values: & < > " ' as entities */
};

/* One "what to collect next" entry: the checks that share one command. */
struct report_collect {
	const char *command; /* the command or collect option; NULL = unknown */
	struct strv missing; /* distinct missing inputs */
	struct strv checks;  /* check IDs */
};

struct report_view {
	const struct bundle *bundle; /* may be NULL */
	const struct findings *fs;
	const struct report_options *opts;
	const char *input;            /* never NULL */
	char collected_at[32];        /* "YYYY-MM-DDTHH:MM:SSZ" */
	const char *time_source;      /* "manifest", "newest-timestamp", "analysis-clock" */
	const char *time_source_text; /* the same, for people */

	/* The diagnosis: symptoms (CURL-* with fail/warn) in registry order, causes
	 * (other checks with fail/warn) strongest first. */
	const struct finding **symptoms;
	size_t n_symptoms;
	const struct finding **causes;
	size_t n_causes;
	bool symptoms_all_skipped; /* no client transcript at all */

	struct report_collect *collect;
	size_t n_collect;

	struct strv warnings; /* the runner's warnings (fs->warnings), one sentence each */
	size_t counts[STATUS__MAX];
	size_t n_artifacts;
	size_t n_unreadable;
	size_t kind_counts[ART__MAX]; /* artifacts by enum artifact_kind */
};

int report_view_init(struct report_view *v, const struct bundle *b, const struct findings *fs,
                     const struct report_options *opts);
void report_view_release(struct report_view *v);

/* The renderers: 0 or -EIO (writing failed), -ENOMEM. */
int report_text_write(FILE *out, const struct report_view *v);
int report_json_write(FILE *out, const struct report_view *v);
int report_md_write(FILE *out, const struct report_view *v);
int report_html_write(FILE *out, const struct report_view *v);
/* A text colour on its background in the HTML report's style sheet. */
struct report_color {
	const char *selector; /* CSS selector */
	const char *fg, *bg;  /* "#rrggbb" */
	enum status status;   /* the badge of this status; STATUS__MAX for text */
};
/* The HTML report's palette (for the contrast test). */
const struct report_color *report_html_palette(size_t *n);
/* The check catalog as a JSON array (apigee-bundle checks --format json). */
int report_json_catalog(FILE *out);

/* Write s (NULL = nothing) escaped for mode. */
void report_put(FILE *out, const char *s, enum report_esc mode);
/* The same into a buffer (0, -ENOMEM). */
int report_escape(struct buf *dst, const char *s, enum report_esc mode);
/* Display width of s once escaped for ESC_TEXT (code points, not bytes). */
size_t report_text_width(const char *s);
/* Longest run of backticks in s (for markdown code span / fence length). */
size_t report_backtick_run(const char *s);

/* Helpers on findings and checks. */
bool report_is_symptom(const struct finding *f);
/* fail, warn or error: what --only-problems keeps. */
bool report_is_problem(const struct finding *f);
/* Whether the check is listed: all of them, or only problems with --only-problems. */
bool report_shown(const struct report_view *v, const struct finding *f);
/* With --only-problems and checks left out: "PRE(N passing and M skipped checks not
 * shown: --only-problems)POST", escaping nothing (the text is ours). */
void report_put_hidden(FILE *out, const struct report_view *v, const char *pre, const char *post);
/* When no check of family applies to this input (each skipped as "not applicable:
 * REASON", one REASON), REASON ("hybrid organization"): the renderers then show
 * the family as one line, "XLB checks: not applicable (hybrid organization)".
 * NULL otherwise. */
const char *report_family_na(const struct report_view *v, const struct check_family *family);
const char *report_check_id(const struct finding *f);
const char *report_check_title(const struct finding *f);
/* What a check's line says: its pass sentence when it passed, else its title (the
 * fault). */
const char *report_check_heading(const struct finding *f);
/* The titles of the check's playbooks, "; " between (a file the playbook table
 * does not know as itself), appended to out. 0, -ENOMEM. */
int report_playbooks(const struct check *c, struct buf *out);
/* The finding's summary, or a generated sentence when the check left none. */
const char *report_summary(const struct finding *f);
/* The finding for id, NULL when that check did not run. */
const struct finding *report_find(const struct report_view *v, const char *id);
/* The diagnosis sentence when no symptom failed. */
const char *report_no_symptom_text(const struct report_view *v);
/* "fail" / "FAIL" etc. */
const char *report_status_upper(enum status s);

#endif
