/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz the line scanners (core/textscan*.c): the input is split at '\n' and fed
 * line by line into a zeroed bundle, as the ingest layer does for a text member,
 * then the bundle is released. Exercises every scanner's state machine, the
 * JSON parse of access-log lines and the caps. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bundle.h"
#include "model.h"
#include "textscan.h"
#include "banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bundle *b = calloc(1, sizeof(*b));
	struct artifact a = { 0 };
	struct textscan *ts = NULL;
	const char *p = (const char *)data;
	unsigned lineno = 0;

	if (!b)
		return 0;
	if (textscan_begin(b, "fuzz/input.txt", &ts) < 0) {
		bundle_free(b);
		return 0;
	}
	while (size) {
		const char *nl = memchr(p, '\n', size);
		size_t n = nl ? (size_t)(nl - p) : size;

		if (n > BUNDLE_MAX_LINE_BYTES)
			n = BUNDLE_MAX_LINE_BYTES;
		if (textscan_line(ts, p, n, ++lineno) < 0) {
			textscan_free(ts);
			ts = NULL;
			break;
		}
		if (!nl)
			break;
		size -= (size_t)(nl + 1 - p);
		p = nl + 1;
	}
	if (ts)
		textscan_end(ts, &a);
	bundle_free(b);
	return 0;
}
