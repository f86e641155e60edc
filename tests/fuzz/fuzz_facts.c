/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz what diff and the fleet mode do with a bundle once ingest has read it: the
 * comparable facts (analyze/facts.c) of whatever the input made of the model, their
 * difference with nothing and with themselves, and the check-status comparison. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "bundle.h"
#include "checks.h"
#include "error.h"
#include "facts.h"
#include "findings.h"
#include "banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void facts(const struct bundle *b)
{
	json_t *f = facts_json(b), *empty = json_object(), *d;
	size_t n = 0;
	char *s;

	d = f ? facts_diff(empty, f, &n) : NULL;
	s = d ? json_dumps(d, JSON_COMPACT) : NULL;
	free(s);
	json_decref(d);
	d = f ? facts_diff(f, f, &n) : NULL;
	if (d && n != 0)
		abort(); /* a document always equals itself */
	json_decref(d);
	json_decref(f);
	json_decref(empty);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[] = "/tmp/fuzz-facts-XXXXXX";
	struct bundle_options opts = { .now = 1700000000, .max_total_bytes = 64u << 20 };
	struct error err = ERROR_INIT;
	struct findings fs = { 0 };
	struct bundle *b = NULL;
	int fd = mkstemp(path);
	size_t same = 0;

	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		unlink(path);
		return 0;
	}
	close(fd);
	if (bundle_open(path, &opts, &b, &err) == 0) {
		facts(b);
		if (checks_run(b, NULL, 0, &fs, &err) == 0) {
			json_t *d = checks_diff(&fs, &fs, &same);

			if (d && json_array_size(d) != 0)
				abort(); /* every status equals itself */
			json_decref(d);
		}
		findings_release(&fs);
		bundle_free(b);
	}
	unlink(path);
	return 0;
}
