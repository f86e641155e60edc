/* SPDX-License-Identifier: Apache-2.0 */
/* Writing a bundle archive atomically with libarchive.
 *
 * The archive is written to a temp file ".NAME.tmp.XXXXXX" (mode 0600) in the
 * folder of the final path and renamed over it only by archive_out_commit(), after
 * fsync of the file and then of the folder. Until then nothing exists under the
 * final name (the bundle keeps mode 0600); archive_out_abort() removes the temp
 * file. Entries are pax restricted ustar: regular files, mode 0644, uid/gid 0,
 * owner "root", and one fixed mtime (the collection start), so that the same
 * input gives the same bytes (the gzip header carries no time stamp). The caller
 * decides member order.
 *
 * The caller:
 *   1. archive_out_open(final, "support", ARCHIVE_OUT_TAR_GZ, mtime, &a, &err);
 *   2. archive_out_add(a, "kubernetes/pods.json", data, len, &err) or
 *      archive_out_add_fd(a, path, fd, &err) for members staged in files, any
 *      number of times (each member's size and SHA-256 are recorded:
 *      archive_out_members());
 *   3. archive_out_commit(a, &err) -- or archive_out_abort(a) on any failure.
 *      Both free a. A failed commit removes the temp file too.
 *
 * Compression: .tar.gz is deflated on every core (core/pgzip.c: one gzip member
 * any reader takes), .tar.zst by zstd's own worker threads. The level defaults to
 * ARCHIVE_OUT_GZ_LEVEL_DEFAULT / ARCHIVE_OUT_ZST_LEVEL_DEFAULT; archive_out_open_opts()
 * chooses another (gzip 1..9, zstd 1..19) and the number of threads. */
#ifndef CORE_ARCHIVE_OUT_H
#define CORE_ARCHIVE_OUT_H

#include <stddef.h>
#include <stdint.h>

struct error;
struct archive_out;

enum archive_out_format {
	ARCHIVE_OUT_TAR_GZ = 0,
	ARCHIVE_OUT_TAR_ZST,
	ARCHIVE_OUT_TAR,
	ARCHIVE_OUT__MAX,
	ARCHIVE_OUT__INVALID = -22,
};

#define ARCHIVE_OUT_MAX_PATH 1024

/* From the file name: ".tar.gz"/".tgz" -> TAR_GZ, ".tar.zst"/".tzst" -> TAR_ZST,
 * ".tar" -> TAR, else ARCHIVE_OUT__INVALID. */
enum archive_out_format archive_out_format_from_path(const char *path);

/* The top folder for an output path: its file name without the archive
 * extension ("/tmp/support.tar.gz" -> "support"). Caller frees. */
char *archive_out_top_from_path(const char *path);

struct archive_out_member {
	char *path; /* relative to the top folder */
	uint64_t size;
	char sha256[65];
};

#define ARCHIVE_OUT_GZ_LEVEL_DEFAULT 1
#define ARCHIVE_OUT_ZST_LEVEL_DEFAULT 3

struct archive_out_options {
	int level;   /* 0: the format's default */
	int threads; /* compression threads; 0: one per online CPU */
};

/* The levels fmt accepts (0, 0 for a plain .tar). */
void archive_out_level_range(enum archive_out_format fmt, int *ret_min, int *ret_max);

int archive_out_open_opts(const char *final_path, const char *top_folder,
                          enum archive_out_format fmt, int64_t mtime,
                          const struct archive_out_options *opts, struct archive_out **ret,
                          struct error *err);
/* archive_out_open_opts() with the defaults */
int archive_out_open(const char *final_path, const char *top_folder, enum archive_out_format fmt,
                     int64_t mtime, struct archive_out **ret, struct error *err);
/* relpath: no leading '/', no "." or ".." component, at most ARCHIVE_OUT_MAX_PATH. */
int archive_out_add(struct archive_out *a, const char *relpath, const void *data, size_t len,
                    struct error *err);
/* The whole content of fd from offset 0 (the file size is taken with fstat). */
int archive_out_add_fd(struct archive_out *a, const char *relpath, int fd, struct error *err);
/* Like archive_out_add(), but the member is written by a thread of the archive's
 * own while the caller goes on; data (malloc'd, may be NULL when len is 0) is
 * taken in every case. A failure of the thread is returned by a later call
 * (every other call waits for the members queued first). */
int archive_out_add_take(struct archive_out *a, const char *relpath, void *data, size_t len,
                         struct error *err);
/* Wait until every member queued is written; the first failure. Before
 * archive_out_members() when archive_out_add_take() was used. */
int archive_out_flush(struct archive_out *a, struct error *err);
/* The members added so far, in order (borrowed; valid until commit/abort). */
const struct archive_out_member *archive_out_members(const struct archive_out *a, size_t *ret_n);
/* The temp file's path (for tests and messages). */
const char *archive_out_temp_path(const struct archive_out *a);
int archive_out_commit(struct archive_out *a, struct error *err);
void archive_out_abort(struct archive_out *a);

#endif
