/* SPDX-License-Identifier: Apache-2.0 */
/* Parallel gzip compression of one stream (as pigz does).
 *
 * The input is cut into blocks of PGZIP_BLOCK bytes; worker threads deflate them
 * at the same time, each block primed with the last 32 KiB of the one before
 * (deflateSetDictionary) and ended with a sync flush, so that the pieces, written
 * in order, make ONE valid deflate stream inside ONE gzip member (header without
 * time stamp, CRC-32 combined from the blocks). Any gzip reader (gzip -t,
 * libarchive, zlib) reads it. Block boundaries depend only on the byte count, never
 * on the timing of the threads: the same input and level give the same bytes.
 *
 * Memory: 2 x threads + 2 slots of about 300 KiB each.
 *
 *   struct pgzip *z;
 *   pgzip_open(fd, 1, 0, &z);        level 1..9, threads 0 = one per online CPU
 *   pgzip_write(z, data, len);       any number of times; -errno on failure
 *   pgzip_finish(z);                 the last block and the trailer; -errno
 *   pgzip_free(z);                   always (also after a failure: stops the
 *                                    workers, writes nothing more)
 * The fd is the caller's (never closed here). Not thread-safe itself: one writer. */
#ifndef CORE_PGZIP_H
#define CORE_PGZIP_H

#include <stddef.h>
#include <stdint.h>

#define PGZIP_BLOCK (128u << 10)
#define PGZIP_THREADS_MAX 16

struct pgzip;

int pgzip_open(int fd, int level, int threads, struct pgzip **ret);
int pgzip_write(struct pgzip *z, const void *data, size_t len);
int pgzip_finish(struct pgzip *z);
/* Compressed bytes written to fd so far. */
uint64_t pgzip_out_bytes(const struct pgzip *z);
void pgzip_free(struct pgzip *z);

#endif
