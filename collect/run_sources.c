/* SPDX-License-Identifier: Apache-2.0 */
/* The collector's source runner: one table of sources (name, function, the facts
 * each provides and needs), all run at once; a source waits only for the facts
 * it needs. Every source that cannot run is reported on the progress stream and
 * marked failed in the manifest, with its error message. */
#include "collect.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "run.h"
#include "banned.h"

#define RUN_SOURCES_MAX 32

void collect_facts_init(struct collect_facts *f)
{
	pthread_mutex_init(&f->mu, NULL);
	pthread_cond_init(&f->cv, NULL);
	f->ready = 0;
}

void collect_facts_release(struct collect_facts *f)
{
	pthread_cond_destroy(&f->cv);
	pthread_mutex_destroy(&f->mu);
}

void collect_facts_provide(struct collect_facts *f, unsigned facts)
{
	pthread_mutex_lock(&f->mu);
	f->ready |= facts;
	pthread_cond_broadcast(&f->cv);
	pthread_mutex_unlock(&f->mu);
}

void collect_facts_wait(struct collect_facts *f, unsigned facts)
{
	pthread_mutex_lock(&f->mu);
	while ((f->ready & facts) != facts)
		pthread_cond_wait(&f->cv, &f->mu);
	pthread_mutex_unlock(&f->mu);
}

struct sources_run {
	const struct collect_source *table;
	struct collect_facts *facts;
	int r[RUN_SOURCES_MAX];
	struct error err[RUN_SOURCES_MAX];
	void *state;
};

static void job(void *ud, size_t i)
{
	struct sources_run *p = ud;
	const struct collect_source *src = &p->table[i];

	if (src->needs)
		collect_facts_wait(p->facts, src->needs(p->state));
	p->r[i] = src->run(p->state, &p->err[i]);
	/* whatever happened, those waiting on this source go on */
	collect_facts_provide(p->facts, src->provides);
}

unsigned collect_run_sources(const struct collect_source *table, size_t n, void *state,
                             struct collect_facts *facts, struct sink *s,
                             const volatile sig_atomic_t *cancel)
{
	struct sources_run *p = calloc(1, sizeof(*p));
	unsigned failed = 0, provided = 0;

	if (!p) {
		sink_source_ex(s, "collector", OUTCOME_FAILED, "out of memory", -1, false);
		return 1;
	}
	if (n > RUN_SOURCES_MAX)
		n = RUN_SOURCES_MAX;
	p->table = table;
	p->state = state;
	p->facts = facts;
	for (size_t i = 0; i < n; i++)
		provided |= table[i].provides;
	/* nobody here provides them (a source not selected): nothing to wait for */
	collect_facts_provide(facts, ~provided);
	/* one thread per source: a waiting source holds no slot another needs (and
	 * with fewer threads, the table's order -- providers first -- still never
	 * makes a source wait for one not started) */
	run_parallel(n, (unsigned)n, job, p, cancel);
	for (size_t i = 0; i < n; i++) {
		char why[600];

		if (p->r[i] >= 0)
			continue;
		/* a source that failed before recording anything still leaves a trace */
		snprintf(why, sizeof(why), "%s",
		         p->err[i].message[0] ? p->err[i].message : strerror(-p->r[i]));
		sink_source_ex(s, table[i].name, OUTCOME_FAILED, why, -1, false);
		failed++;
	}
	free(p);
	return failed;
}
