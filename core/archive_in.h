/* SPDX-License-Identifier: Apache-2.0 */
/* Reading a bundle's input, one member at a time: a folder, an archive, or one
 * loose (possibly compressed) file, the same way for analyze (core/bundle.c),
 * redact (redact/pipeline.c) and verify (collect/cmd_verify.c).
 *
 * The formats and filters read are listed once, in archive_in.c: tar (ustar, pax,
 * GNU), zip and cpio, each raw or through any filter libarchive knows (gzip,
 * zstd, bzip2, xz, ...). A folder is walked depth first, names in byte order,
 * never following links. Every byte read goes through one read -> limit -> feed
 * loop, archive_in_feed(), which enforces the limits.
 *
 * The caller:
 *   1. archive_in_open(path, ARCHIVE_IN_LOOSE_FILE, &limits, &in, &err);
 *   2. while ((r = archive_in_next(in, &m, &err)) == 1):
 *        for m->type == ARCHIVE_IN_FILE, optionally archive_in_feed(in, fn, ud, &err)
 *        (a member not fed is skipped);
 *   3. archive_in_free(in). */
#ifndef CORE_ARCHIVE_IN_H
#define CORE_ARCHIVE_IN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct error;
struct archive_in;

#define ARCHIVE_IN_MAX_TOTAL (256ull << 30) /* uncompressed bytes, all members */
#define ARCHIVE_IN_MAX_MEMBER (16ull << 30) /* uncompressed bytes, one member */
/* Uncompressed / compressed bytes read, checked once more than
 * ARCHIVE_IN_RATIO_FLOOR bytes came out: a gzip of zeros is about 1000:1, text
 * logs 5:1 to 50:1. */
#define ARCHIVE_IN_MAX_RATIO 200
#define ARCHIVE_IN_RATIO_FLOOR (64ull << 20)
#define ARCHIVE_IN_MAX_MEMBERS 200000
#define ARCHIVE_IN_MAX_DEPTH 64 /* folder nesting */
#define ARCHIVE_IN_CHUNK (256u << 10)

/* archive_in_open() flags */
#define ARCHIVE_IN_LOOSE_FILE 1u /* a file that is no archive is read as one member */

enum archive_in_kind {
	ARCHIVE_IN_FOLDER = 0,
	ARCHIVE_IN_ARCHIVE,
	ARCHIVE_IN_LOOSE, /* one file, the member is named by its base name */
	ARCHIVE_IN__KIND_MAX,
	ARCHIVE_IN__KIND_INVALID = -22,
};

enum archive_in_type {
	ARCHIVE_IN_FILE = 0,
	ARCHIVE_IN_DIR,     /* archives only; a folder's subfolders are walked */
	ARCHIVE_IN_LINK,    /* symbolic or hard link: never followed */
	ARCHIVE_IN_SPECIAL, /* device, fifo, socket (archives only) */
	ARCHIVE_IN__TYPE_MAX,
	ARCHIVE_IN__TYPE_INVALID = -22,
};

/* How far reading has got, after each member (for a progress line). */
struct archive_in_progress {
	size_t members; /* returned so far */
	uint64_t bytes; /* member bytes read so far */
	uint64_t
	        done; /* position in the input: compressed bytes of an archive, file bytes of a folder */
	uint64_t total; /* the input's size in the same unit; 0 = unknown */
};
typedef void (*archive_in_progress_fn)(void *userdata, const struct archive_in_progress *p);

/* The running totals the bounds judge, shared by the input and every compressed
 * file or archive read inside it (redact opens those, analyze inflates gzip'd
 * members), so that a bomb split over many nested archives is stopped too. */
struct archive_in_budget {
	uint64_t total;  /* uncompressed bytes out of every reader and decoder */
	uint64_t packed; /* bytes of the input itself read so far (the ratio's base) */
	size_t members;  /* members of every reader */
};

/* The bounds on what an input may expand to; each error names the bound and the
 * command-line option that raises it (the same in analyze and redact). */
struct archive_in_limits {
	uint64_t max_total;  /* 0 = ARCHIVE_IN_MAX_TOTAL (--max-total-bytes) */
	uint64_t max_member; /* 0 = ARCHIVE_IN_MAX_MEMBER (--max-member-bytes) */
	unsigned max_ratio;  /* 0 = ARCHIVE_IN_MAX_RATIO (--max-ratio) */
	size_t max_members;  /* 0 = ARCHIVE_IN_MAX_MEMBERS (--max-members) */
	/* the running totals to add to; NULL = this reader's own. A reader with
	 * nested set reads something inside the input (a temp file): its bytes count
	 * into budget->total, never into budget->packed. */
	struct archive_in_budget *budget;
	bool nested;
	archive_in_progress_fn progress; /* after each member; NULL = none */
	void *progress_userdata;
};

/* The command-line options of those bounds, one row each of a struct cli_option
 * table (core/cli.h), worded once for analyze and redact: the ids are the
 * command's own; inside names what else is read within the input and counts into
 * the bytes and the ratio ("gzip'd members"), members_inside what counts into the
 * members ("" or ", those of archives inside it"). */
/* clang-format off */
#define ARCHIVE_IN_OPTIONS(id_total, id_member, id_ratio, id_members, inside, members_inside) \
	{ "max-member-bytes", 0, (id_member), "N", 0, \
	  "bound on what one member may expand to (K, M, G, T suffixes; default 16G)", NULL }, \
	{ "max-members", 0, (id_members), "N", 0, \
	  "bound on the number of members" members_inside " (default 200000)", NULL }, \
	{ "max-ratio", 0, (id_ratio), "N", 0, \
	  "bound on the expansion of compressed input, " inside " inside it included (N:1 " \
	  "after the first 64 MiB; default 200)", NULL }, \
	{ "max-total-bytes", 0, (id_total), "N", 0, \
	  "bound on what the whole input may expand to, " inside " inside it included (K, M, " \
	  "G, T suffixes; default 256G)", NULL }
/* clang-format on */

struct archive_in_member {
	const char *path; /* as stored in the archive / below the folder; never NULL */
	enum archive_in_type type;
	int64_t size; /* as the header says (-1 unknown) */
	int64_t mtime;
	dev_t dev; /* folders only: to recognise a file (the output, a map) */
	ino_t ino;
	int open_errno; /* folders only: the file could not be opened (errno) */
	/* what a member that is no regular file is, to name it ("symbolic link",
	 * "hard link", "character device", "block device", "FIFO", "socket"; NULL for
	 * files and folders), and a link's target as stored (archives; else NULL) */
	const char *what;
	const char *link;
};

/* "'top/x' (symbolic link to '/etc/passwd')", escaped, into out (always
 * terminated): how analyze, redact and verify name a member they do not read. */
void archive_in_describe(const struct archive_in_member *m, char *out, size_t size);

typedef int (*archive_in_feed_fn)(void *userdata, const void *data, size_t len);

/* lim may be NULL. Errors: -ENOENT/-EACCES... (cannot open), -EIO (not readable,
 * or not an archive without ARCHIVE_IN_LOOSE_FILE), -ERANGE (a folder with too
 * many files), -ENOMEM. */
int archive_in_open(const char *path, unsigned flags, const struct archive_in_limits *lim,
                    struct archive_in **ret, struct error *err);
enum archive_in_kind archive_in_kind(const struct archive_in *in);
/* ARCHIVE_IN_LOOSE / ARCHIVE_IN_ARCHIVE: the data passes a decompression filter */
bool archive_in_compressed(const struct archive_in *in);
/* libarchive's text for the last failure ("read error" when it has none). */
const char *archive_in_error(const struct archive_in *in);
/* The members returned so far (directories not counted). */
size_t archive_in_count(const struct archive_in *in);

/* 1 and *ret (valid until the next call), 0 at the end, <0 with err set: -EIO a
 * broken archive (err names the input), -ERANGE more than max_members. */
int archive_in_next(struct archive_in *in, const struct archive_in_member **ret, struct error *err);

/* The current member's data, chunk by chunk, to fn. 0 done; <0: -ERANGE a limit
 * (err names the member and the limit), -EIO a read error (err names the member,
 * says "truncated or corrupt" and after how many bytes; for an archive the stream
 * cannot go on), or fn's own negative value (err not touched). */
int archive_in_feed(struct archive_in *in, archive_in_feed_fn fn, void *userdata,
                    struct error *err);

/* n more bytes came out of the current member by a decoder of the caller's (a
 * gzip'd member inflated): counted into the bounds as if read. 0, or -ERANGE with
 * err naming the member and the bound. */
int archive_in_account(struct archive_in *in, uint64_t n, struct error *err);

/* Bytes of the compressed (or folder) data read so far by this reader: where a
 * truncated or corrupt member ends. */
uint64_t archive_in_packed_bytes(const struct archive_in *in);

/* The current member whole into a buffer of at most max bytes (-ERANGE beyond). */
struct buf;
int archive_in_read_all(struct archive_in *in, struct buf *out, size_t max, struct error *err);

void archive_in_free(struct archive_in *in);

/* The member name is absolute or has a ".." component. */
bool archive_in_unsafe_name(const char *path);

/* A safe relative name for a member: no absolute part, no "." components, no
 * "..", not empty, at most 1024 bytes. NULL when unsafe (or out of memory).
 * Caller frees. */
char *archive_in_clean_path(const char *path);

#endif
