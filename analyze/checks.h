/* SPDX-License-Identifier: Apache-2.0 */
/* The check registry: families of checks, each a table of rows.
 *
 * Adding a check:
 *   1. add a row to its family's table in analyze/checks/<family>.c, keeping the
 *      table sorted by ID. The ID is the family's ID, a dash and three digits
 *      ("TLS-009"); the title is the one spec/checks.md gives it (it names the
 *      fault); the pass sentence says the same of a pass; the source names seed
 *      files that check_playbook_title() knows. tests/test_checks.c checks the rows
 *      (sorted, unique, prefixed, complete); tests/test_catalog.py compares IDs and
 *      titles with spec/checks.md and lists the spec's checks not written yet;
 *   2. write its run function in the same file: pure, reads only the bundle model,
 *      writes only the finding it is given (status, summary, evidence; skip with what
 *      is missing; a symptom check names the causes it points to with finding_relate);
 *   3. test it: a unit test in tests/test_checks.c that drives it to fail and to
 *      pass, and fixture folders under tests/fixtures/analyze/ (input/ and
 *      expected.json, see tests/run_fixtures.py) where it fails and where it passes;
 *      if it was listed in KNOWN_GAPS of tests/test_catalog.py, remove it there.
 * Nothing else lists the checks: the runner, `apigee-bundle checks`, `analyze
 * --check` and every report format read the tables.
 *
 * Adding a family: one row in analyze/checks/families.h (ID, title as the spec's
 * "## Family" heading gives it, whether it is the symptom family), its file
 * analyze/checks/<name>.c ending in CHECK_ROWS(name, table), and that file in
 * analyze/meson.build. (The man page names the families in prose: update it.)
 *
 * Checks run in family-table order (SNI, TLS, XLB, CURL ...) and row order, and may
 * read the findings of earlier checks through `prior` (SNI-003 looks at SNI-001/002;
 * CURL-* do not depend on others). */
#ifndef ANALYZE_CHECKS_H
#define ANALYZE_CHECKS_H

#include <stdbool.h>
#include <stddef.h>

#include "findings.h"

struct bundle;
struct error;

typedef int (*check_run_fn)(const struct bundle *b, const struct findings *prior,
                            struct finding *f);

/* One row of a family table. */
struct check {
	const char *id;
	const char *title; /* the fault, as spec/checks.md names it; shown unless it passed */
	const char *pass;  /* the same said of a pass: "Every private key matches its ..." */
	enum severity severity;
	const char *inputs;       /* what it reads, for the catalog */
	const char *remediation;  /* the fix, in our words */
	const char *source;       /* seed playbook file(s), ", " between (check_playbook_title) */
	const char *collect_hint; /* default command / option that gathers its input */
	check_run_fn run;
};

/* A family's table, defined in its file by CHECK_ROWS(). */
struct check_rows {
	const struct check *v;
	size_t n;
};

#define CHECK_ROWS(name, table) \
	const struct check_rows check_rows_##name = { (table), sizeof(table) / sizeof((table)[0]) }

#define CHECK_FAMILY(name, ID, label, title, symptom) \
	extern const struct check_rows check_rows_##name;
#include "checks/families.h"
#undef CHECK_FAMILY

/* A row of analyze/checks/families.h. */
struct check_family {
	const char *id;    /* "SNI": the prefix of its check IDs */
	const char *label; /* "Apigee X": what a reader calls these checks */
	const char *title; /* "connection reset for non-SNI clients" */
	bool symptom;      /* the client-side symptom family (CURL) */
	const struct check_rows *rows;
};

/* The families in run and report order; *ret_n gets the count. */
const struct check_family *check_families(size_t *ret_n);
/* The family whose ID is id (case-insensitive); NULL if none. */
const struct check_family *check_family_find(const char *id);
/* Number of checks in all families. */
size_t checks_count(void);
/* The check whose ID is id (case-insensitive); NULL if none. */
const struct check *checks_find(const char *id);

/* The title of a seed playbook, by its file name ("000_47a4624b937bcbbd.txt");
 * NULL for a file the table does not know. */
const char *check_playbook_title(const char *file);

/* Run every check (or only those in only[0..n_only)) against b; fills out with one
 * finding per check, in registry order, and the report-level warnings. A check
 * returning < 0 gets status error. */
int checks_run(const struct bundle *b, const char *const *only, size_t n_only, struct findings *out,
               struct error *err);

#endif
