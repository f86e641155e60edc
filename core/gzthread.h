/* SPDX-License-Identifier: Apache-2.0 */
/* Inflate a .gz input on its own thread, ahead of libarchive.
 *
 * libarchive's gzip filter inflates on the thread that parses the tar and
 * scans / redacts the members. For a gzip file, gzthread_open() instead starts a
 * thread that reads and inflates it (ISA-L's igzip when built with it, else zlib;
 * concatenated gzip members followed; anything after the last member is ignored,
 * as libarchive does) into a bounded queue of GZTHREAD_SLOTS blocks of
 * GZTHREAD_BLOCK bytes, and opens the archive on that inflated stream (archive_read_open with our read callback): libarchive
 * still recognises the format (tar, cpio, ... even a second compression layer);
 * decompression and analysis run on two cores. Bad or truncated data is an
 * archive error in libarchive's words ("truncated gzip input", "gzip decompression
 * failed"), after the same data libarchive would have given.
 *
 *   struct gzthread *g;
 *   r = gzthread_open(a, path, &g);   1 opened; 0 not a gzip file (nothing done);
 *                                     -errno
 *   ... archive_read_next_header(a, ...) ...
 *   gzthread_packed_bytes(g);         compressed bytes read so far (the bomb ratio)
 *   archive_read_free(a);  gzthread_free(g);   in this order
 * Memory: about GZTHREAD_SLOTS x GZTHREAD_BLOCK + 256 KiB. */
#ifndef CORE_GZTHREAD_H
#define CORE_GZTHREAD_H

#include <stdint.h>

struct archive;
struct gzthread;

/* libarchive's gzip filter hands out 64 KiB blocks and drops the one it was filling
 * on an error: the same here, so that an error comes after the same bytes. */
#define GZTHREAD_BLOCK (64u << 10)
#define GZTHREAD_SLOTS 16

int gzthread_open(struct archive *a, const char *path, struct gzthread **ret);
uint64_t gzthread_packed_bytes(struct gzthread *g);
void gzthread_free(struct gzthread *g);

#endif
