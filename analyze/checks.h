/* The check registry.
 *
 * Adding a check:
 *   1. add a row to the family's table in analyze/checks/<family>.c, keeping it
 *      sorted by ID (a unit test enforces sorted, unique IDs);
 *   2. write its run function: pure, reads only the bundle model, writes only the
 *      finding it is given (status, summary, evidence; skip with what is missing);
 *   3. add fixtures under tests/fixtures/analyze/ where it fails and where it passes.
 *
 * Checks run in registry order (SNI, TLS, XLB, CURL ...) but may read the findings
 * of earlier checks through `prior` (SNI-003 looks at SNI-001/002; CURL-* do not
 * depend on others). */
#ifndef ANALYZE_CHECKS_H
#define ANALYZE_CHECKS_H

#include <stddef.h>

#include "findings.h"

struct bundle;
struct error;

typedef int (*check_run_fn)(const struct bundle *b, const struct findings *prior,
                            struct finding *f);

struct check {
	const char *id;
	const char *family;
	const char *title;
	enum severity severity;
	const char *inputs;       /* what it reads, for the catalog */
	const char *remediation;  /* the fix, in our words */
	const char *source;       /* seed playbook file */
	const char *collect_hint; /* default command / option that gathers its input */
	check_run_fn run;
};

/* Family tables (analyze/checks/<family>.c). */
extern const struct check checks_sni[];
extern const size_t checks_sni_len;
extern const struct check checks_tls[];
extern const size_t checks_tls_len;
extern const struct check checks_xlb[];
extern const size_t checks_xlb_len;
extern const struct check checks_curl[];
extern const size_t checks_curl_len;

/* The whole catalog in report order; *ret_n gets the count. */
const struct check *const *checks_all(size_t *ret_n);
const struct check *checks_find(const char *id);

/* Run every check (or only those in only[0..n_only)) against b; fills out with one
 * finding per check. A check returning < 0 gets status error. */
int checks_run(const struct bundle *b, const char *const *only, size_t n_only, struct findings *out,
               struct error *err);

#endif
