/* SPDX-License-Identifier: Apache-2.0 */
/* A recording sink for the unit tests of collector sources (test_api.c,
 * test_probe.c): it implements the sink calls of collect/sink.h by keeping a
 * copy of every member and source line, so a test can assert what would have
 * been stored. Linked instead of collect/sink.c. Allocate with calloc, free with
 * rec_sink_free(). */
#ifndef TESTS_REC_SINK_H
#define TESTS_REC_SINK_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "sink.h"

#define REC_SINK_MAX 64

struct rec_member {
	char *path, *url, *target, *error;
	struct buf data;
	enum outcome outcome;
	int exit_status, http_status;
	enum member_source source;
};

struct rec_source {
	char *name, *reason;
	enum outcome outcome;
};

struct sink {
	struct rec_member m[REC_SINK_MAX];
	size_t n_m;
	struct rec_source s[REC_SINK_MAX];
	size_t n_s;
	int64_t wait_ms;
};

void rec_sink_free(struct sink *s);
/* NULL when absent (find_source then lists the names it has). */
const struct rec_member *find_member(const struct sink *s, const char *path);
const struct rec_source *find_source(const struct sink *s, const char *name);

#endif
