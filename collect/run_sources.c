/* SPDX-License-Identifier: Apache-2.0 */
/* The collector's source runner: one table of sources (name, phase, function),
 * run phase by phase; every source that cannot run is reported on the progress
 * stream and marked failed in the manifest, with its error message. */
#include "collect.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "run.h"
#include "banned.h"

#define RUN_SOURCES_MAX 32

struct phase_run {
	const struct collect_source *table;
	size_t idx[RUN_SOURCES_MAX];
	int r[RUN_SOURCES_MAX];
	struct error err[RUN_SOURCES_MAX];
	void *state;
};

static void job(void *ud, size_t i)
{
	struct phase_run *p = ud;
	const struct collect_source *src = &p->table[p->idx[i]];

	p->r[i] = src->run(p->state, &p->err[i]);
}

unsigned collect_run_sources(const struct collect_source *table, size_t n, enum collect_phase phase,
                             void *state, struct sink *s, const volatile sig_atomic_t *cancel)
{
	struct phase_run *p = calloc(1, sizeof(*p));
	unsigned failed = 0;
	size_t k = 0;

	if (!p) {
		sink_source_ex(s, "collector", OUTCOME_FAILED, "out of memory", -1, false);
		return 1;
	}
	p->table = table;
	p->state = state;
	for (size_t i = 0; i < n && k < RUN_SOURCES_MAX; i++)
		if (table[i].phase == phase)
			p->idx[k++] = i;
	run_parallel(k, (unsigned)k, job, p, cancel);
	for (size_t i = 0; i < k; i++) {
		char why[600];

		if (p->r[i] >= 0)
			continue;
		/* a source that failed before recording anything still leaves a trace */
		snprintf(why, sizeof(why), "%s",
		         p->err[i].message[0] ? p->err[i].message : strerror(-p->r[i]));
		sink_source_ex(s, table[p->idx[i]].name, OUTCOME_FAILED, why, -1, false);
		failed++;
	}
	free(p);
	return failed;
}
