/* SPDX-License-Identifier: Apache-2.0 */
/* The leak scan of the redacted members on a thread of its own (issue 11).
 *
 * The main thread redacts member after member; the bytes of each member's output
 * are copied into a bounded ring of blocks and scanned (leak_scan_*) on a second
 * thread, in order, with the same per-member scan as before. When a member's scan
 * ends, done() is called ON THE SCAN THREAD with the member's name and its scan
 * (before leak_scan_end); whatever done() writes belongs to the scan thread until
 * the next scanq_sync() returns.
 *
 *   scanq_open(done, userdata, &q);
 *   scanq_begin(q, name); scanq_write(q, data, len)...; scanq_end(q, true);
 *                                     false = end the scan without done()
 *   scanq_leaked(q)                   a hint, without waiting: done() reported a leak
 *   scanq_sync(q)                     waits until every member queued is scanned;
 *                                     0 or the first -errno of the scan
 *   scanq_free(q)                     syncs, stops the thread
 *
 * One producer (the caller), one consumer. Memory: SCANQ_SLOTS x SCANQ_BLOCK. */
#ifndef REDACT_SCANQ_H
#define REDACT_SCANQ_H

#include <stdbool.h>
#include <stddef.h>

#include "redact.h"

#define SCANQ_BLOCK (64u << 10)
#define SCANQ_SLOTS 64u

struct scanq;

/* done() returns true when the member leaked (for scanq_leaked()). */
typedef bool (*scanq_done_fn)(void *userdata, const char *name, struct leak_scan *s);

int scanq_open(scanq_done_fn done, void *userdata, struct scanq **ret);
int scanq_begin(struct scanq *q, const char *name);
int scanq_write(struct scanq *q, const void *data, size_t len);
int scanq_end(struct scanq *q, bool report);
bool scanq_leaked(const struct scanq *q);
int scanq_sync(struct scanq *q);
void scanq_free(struct scanq *q);

#endif
