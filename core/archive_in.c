/* SPDX-License-Identifier: Apache-2.0 */
/* One reader of bundle input: folders, archives, loose files (see archive_in.h). */
#include "archive_in.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "buf.h"
#include "cleanup.h"
#include "error.h"
#include "text.h"
#include "gzthread.h"
#include "banned.h"

#define CLEAN_PATH_MAX 1024

/* The one list of archive formats read; every filter libarchive has is enabled. */
static int (*const formats[])(struct archive *) = {
	archive_read_support_format_tar,
	archive_read_support_format_gnutar,
	archive_read_support_format_zip,
	archive_read_support_format_cpio,
};

struct walk_entry {
	char *rel;
	enum archive_in_type type;
	struct stat st;
};

struct archive_in {
	enum archive_in_kind kind;
	char *path;
	uint64_t max_total;
	uint64_t max_member, member_bytes;
	unsigned max_ratio;
	size_t max_members, count;
	struct archive_in_budget own, *bud; /* bud: lim->budget or &own */
	bool nested;                        /* bytes count into bud->total only */
	uint64_t total;                     /* this reader's own uncompressed bytes */
	/* archives and loose files */
	struct archive *a;
	bool peeked; /* the first header was read by the probe */
	int peek_status;
	struct archive_entry *entry;
	struct gzthread *gz; /* a .gz input inflated on its own thread */
	bool loose_done;
	char *loose_name;
	/* folders */
	struct walk_entry *w;
	size_t n_w, cap_w, next_w;
	int fd;
	bool fd_error; /* the file could not be read: feeding stops at once */
	struct archive_in_member cur;
	char last[256]; /* the name of the last member read, for a damaged header after it */
	char *chunk;
	/* progress (lim->progress) */
	archive_in_progress_fn progress;
	void *progress_userdata;
	uint64_t input_size, folder_done;
};

/* ---- folders ------------------------------------------------------------------- */

static int walk_push(struct archive_in *in, const char *rel, enum archive_in_type type,
                     const struct stat *st)
{
	struct walk_entry *e;

	if (in->n_w >= in->max_members)
		return -ERANGE;
	if (in->n_w == in->cap_w) {
		size_t ncap = in->cap_w ? in->cap_w * 2 : 64;
		struct walk_entry *p = realloc(in->w, ncap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		in->w = p;
		in->cap_w = ncap;
	}
	e = &in->w[in->n_w];
	e->rel = strdup(rel);
	if (!e->rel)
		return -ENOMEM;
	e->type = type;
	e->st = *st;
	in->n_w++;
	return 0;
}

static int name_cmp(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

static int walk_one(struct archive_in *in, const char *rel, unsigned depth, struct error *err);

static int walk_child(struct archive_in *in, const char *rel, unsigned depth, struct error *err)
{
	_cleanup_(buf_release) struct buf full = BUF_INIT;
	struct stat st;

	if (buf_printf(&full, "%s/%s", in->path, rel) < 0)
		return -ENOMEM;
	if (lstat(full.data, &st) < 0)
		return 0; /* vanished */
	if (S_ISDIR(st.st_mode))
		return walk_one(in, rel, depth + 1, err);
	if (S_ISREG(st.st_mode))
		return walk_push(in, rel, ARCHIVE_IN_FILE, &st);
	if (S_ISLNK(st.st_mode))
		return walk_push(in, rel, ARCHIVE_IN_LINK, &st);
	/* devices, sockets, fifos: named by the callers, never opened */
	return walk_push(in, rel, ARCHIVE_IN_SPECIAL, &st);
}

static int walk_one(struct archive_in *in, const char *rel, unsigned depth, struct error *err)
{
	_cleanup_(buf_release) struct buf path = BUF_INIT;
	_cleanup_(strv_release) struct strv names = STRV_INIT;
	struct dirent *de;
	DIR *d;
	int r = 0;

	if (depth > ARCHIVE_IN_MAX_DEPTH)
		return 0;
	if (buf_printf(&path, "%s%s%s", in->path, *rel ? "/" : "", rel) < 0)
		return -ENOMEM;
	d = opendir(path.data);
	if (!d)
		return error_set(err, -errno, path.data, 0, "cannot open folder: %s",
		                 strerror(errno));
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (strv_push(&names, de->d_name) < 0) {
			r = -ENOMEM;
			break;
		}
	}
	closedir(d);
	if (r == 0 && names.n)
		qsort(names.v, names.n, sizeof(char *), name_cmp);
	for (size_t i = 0; r == 0 && i < names.n; i++) {
		_cleanup_(buf_release) struct buf child = BUF_INIT;

		if (buf_printf(&child, "%s%s%s", rel, *rel ? "/" : "", names.v[i]) < 0)
			return -ENOMEM;
		r = walk_child(in, child.data, depth, err);
	}
	if (r == -ERANGE && !err->message[0])
		error_set(err, r, in->path, 0,
		          "more than %zu files; --max-members raises the bound", in->max_members);
	return r;
}

static int folder_next(struct archive_in *in, const struct archive_in_member **ret)
{
	struct walk_entry *e;

	if (in->fd >= 0) {
		close(in->fd);
		in->fd = -1;
	}
	if (in->next_w >= in->n_w)
		return 0;
	e = &in->w[in->next_w++];
	memset(&in->cur, 0, sizeof(in->cur));
	in->cur.path = e->rel;
	in->cur.type = e->type;
	in->cur.size = e->st.st_size;
	in->cur.mtime = e->st.st_mtime;
	in->cur.dev = e->st.st_dev;
	in->cur.ino = e->st.st_ino;
	in->cur.what = S_ISLNK(e->st.st_mode)    ? "symbolic link"
	               : S_ISFIFO(e->st.st_mode) ? "FIFO"
	               : S_ISSOCK(e->st.st_mode) ? "socket"
	               : S_ISCHR(e->st.st_mode)  ? "character device"
	               : S_ISBLK(e->st.st_mode)  ? "block device"
	                                         : NULL;
	in->fd_error = false;
	if (e->type == ARCHIVE_IN_FILE) {
		_cleanup_(buf_release) struct buf full = BUF_INIT;

		if (buf_printf(&full, "%s/%s", in->path, e->rel) < 0)
			return -ENOMEM;
		in->fd = open(full.data, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (in->fd < 0)
			in->cur.open_errno = errno;
	}
	in->count++;
	in->bud->members++;
	*ret = &in->cur;
	return 1;
}

/* ---- archives and loose files ---------------------------------------------------- */

static struct archive *reader_new(bool loose)
{
	struct archive *a = archive_read_new();

	if (!a)
		return NULL;
	archive_read_support_filter_all(a);
	if (loose) {
		archive_read_support_format_raw(a);
		return a;
	}
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
		formats[i](a);
	return a;
}

/* The first header of path is the end of a tar (its first 1 KiB is zero bytes, as
 * in an empty tar): is it something else, a (gzip'd) file that starts with zero
 * bytes? Yes when a byte that is not zero follows, or zero bytes run on past
 * 1 MiB (an empty tar is 10 KiB); then it is read as a file, not as an empty
 * archive. */
static bool zero_lead_not_tar(const char *path)
{
	struct archive *a = reader_new(true);
	struct archive_entry *e;
	char chunk[16384];
	int64_t seen = 0;
	la_ssize_t got = 0;
	bool other = false;

	if (!a)
		return false;
	if (archive_read_open_filename(a, path, ARCHIVE_IN_CHUNK) == ARCHIVE_OK &&
	    archive_read_next_header(a, &e) == ARCHIVE_OK) {
		while (!other && seen <= (1 << 20) &&
		       (got = archive_read_data(a, chunk, sizeof(chunk))) > 0) {
			for (la_ssize_t k = 0; k < got && !other; k++)
				other = chunk[k] != 0;
			seen += got;
		}
		other |= seen > (1 << 20) || got < 0;
	}
	archive_read_free(a);
	return other;
}

static int open_file(struct archive_in *in, unsigned flags, struct error *err)
{
	const char *base;
	int h, g;

	in->a = reader_new(false);
	if (!in->a)
		return -ENOMEM;
	g = gzthread_open(in->a, in->path, &in->gz);
	if (g == -ENOMEM || g == -EAGAIN)
		return g;
	if (g == 1 || (g == 0 && archive_read_open_filename(in->a, in->path, ARCHIVE_IN_CHUNK) ==
	                                 ARCHIVE_OK)) {
		h = archive_read_next_header(in->a, &in->entry);
		if (h == ARCHIVE_OK || h == ARCHIVE_WARN ||
		    (h == ARCHIVE_EOF && !zero_lead_not_tar(in->path))) {
			in->kind = ARCHIVE_IN_ARCHIVE;
			in->peeked = true;
			in->peek_status = h;
			return 0;
		}
	}
	if (!(flags & ARCHIVE_IN_LOOSE_FILE))
		return error_set(err, -EIO, in->path, 0, "cannot read '%s': %s", in->path,
		                 archive_error_string(in->a) ? archive_error_string(in->a)
		                                             : "not an archive");
	archive_read_free(in->a);
	gzthread_free(in->gz);
	in->gz = NULL;
	in->a = reader_new(true);
	if (!in->a)
		return -ENOMEM;
	if (archive_read_open_filename(in->a, in->path, ARCHIVE_IN_CHUNK) != ARCHIVE_OK)
		return error_set(err, -EIO, in->path, 0, "cannot read: %s",
		                 archive_error_string(in->a));
	h = archive_read_next_header(in->a, &in->entry);
	if (h != ARCHIVE_OK && h != ARCHIVE_WARN)
		return error_set(err, -EIO, in->path, 0, "cannot read: %s",
		                 archive_error_string(in->a));
	base = strrchr(in->path, '/');
	in->loose_name = strdup(base ? base + 1 : in->path);
	if (!in->loose_name)
		return -ENOMEM;
	in->kind = ARCHIVE_IN_LOOSE;
	return 0;
}

/* ---- naming members that are no file (pseudo-hostile: kept apart from the read loop) ---- */

static const char *entry_what(struct archive_entry *e)
{
	if (archive_entry_hardlink(e))
		return "hard link";
	switch (archive_entry_filetype(e)) {
	case AE_IFLNK:
		return "symbolic link";
	case AE_IFCHR:
		return "character device";
	case AE_IFBLK:
		return "block device";
	case AE_IFIFO:
		return "FIFO";
	case AE_IFSOCK:
		return "socket";
	case AE_IFREG:
	case AE_IFDIR:
		return NULL;
	default:
		return "special file";
	}
}

void archive_in_describe(const struct archive_in_member *m, char *out, size_t size)
{
	char name[512], link[512];

	text_escape(m->path, strlen(m->path), name, sizeof(name));
	if (m->link) {
		text_escape(m->link, strlen(m->link), link, sizeof(link));
		snprintf(out, size, "'%s' (%s to '%s')", name, m->what ? m->what : "link", link);
	} else {
		snprintf(out, size, "'%s' (%s)", name,
		         m->what ? m->what
		                 : (m->type == ARCHIVE_IN_FILE ? "file" : "special file"));
	}
}

static enum archive_in_type entry_type(struct archive_entry *e)
{
	switch (archive_entry_filetype(e)) {
	case AE_IFDIR:
		return ARCHIVE_IN_DIR;
	case AE_IFLNK:
		return ARCHIVE_IN_LINK;
	case AE_IFREG:
		return archive_entry_hardlink(e) ? ARCHIVE_IN_LINK : ARCHIVE_IN_FILE;
	default:
		return ARCHIVE_IN_SPECIAL;
	}
}

static int archive_next(struct archive_in *in, const struct archive_in_member **ret,
                        struct error *err)
{
	int h;

	if (in->peeked) {
		in->peeked = false;
		h = in->peek_status;
	} else {
		h = archive_read_next_header(in->a, &in->entry);
	}
	if (h == ARCHIVE_EOF)
		return 0;
	if (h != ARCHIVE_OK && h != ARCHIVE_WARN) {
		/* where: the member before the damaged header, the unpacked offset */
		char last[300];

		text_escape(in->last, strlen(in->last), last, sizeof(last));
		return error_set(err, -EIO, in->path, 0,
		                 "cannot read '%s': %s (the header after %s%s%s, near byte %lld of "
		                 "the unpacked archive)",
		                 in->path,
		                 archive_error_string(in->a) ? archive_error_string(in->a)
		                                             : "broken archive",
		                 in->count ? "member '" : "the start", in->count ? last : "",
		                 in->count ? "'" : "", (long long)archive_filter_bytes(in->a, 0));
	}
	memset(&in->cur, 0, sizeof(in->cur));
	in->cur.path = archive_entry_pathname(in->entry) ? archive_entry_pathname(in->entry) : "";
	in->cur.type = entry_type(in->entry);
	in->cur.what = entry_what(in->entry);
	in->cur.link = archive_entry_hardlink(in->entry) ? archive_entry_hardlink(in->entry)
	                                                 : archive_entry_symlink(in->entry);
	snprintf(in->last, sizeof(in->last), "%s", in->cur.path);
	in->cur.size = archive_entry_size_is_set(in->entry) ? archive_entry_size(in->entry) : -1;
	in->cur.mtime = archive_entry_mtime(in->entry);
	if (in->cur.type != ARCHIVE_IN_DIR && (++in->count, ++in->bud->members > in->max_members))
		return error_set(err, -ERANGE, in->nested ? in->cur.path : in->path, 0,
		                 "more than %zu members in all (an archive bomb?); --max-members "
		                 "raises the bound",
		                 in->max_members);
	*ret = &in->cur;
	return 1;
}

static int loose_next(struct archive_in *in, const struct archive_in_member **ret)
{
	if (in->loose_done)
		return 0;
	in->loose_done = true;
	memset(&in->cur, 0, sizeof(in->cur));
	in->cur.path = in->loose_name;
	in->cur.type = ARCHIVE_IN_FILE;
	in->cur.size = -1;
	in->cur.mtime = archive_entry_mtime(in->entry);
	in->count++;
	in->bud->members++;
	*ret = &in->cur;
	return 1;
}

/* ---- the API ------------------------------------------------------------------------- */

int archive_in_open(const char *path, unsigned flags, const struct archive_in_limits *lim,
                    struct archive_in **ret, struct error *err)
{
	struct archive_in *in;
	struct stat st;
	int r;

	if (stat(path, &st) < 0)
		return error_set(err, -errno, path, 0, "cannot open: %s", strerror(errno));
	if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
		return error_set(err, -EINVAL, path, 0, "not a file or folder");
	in = calloc(1, sizeof(*in));
	if (!in)
		return -ENOMEM;
	in->fd = -1;
	in->max_total = lim && lim->max_total ? lim->max_total : ARCHIVE_IN_MAX_TOTAL;
	in->max_member = lim && lim->max_member ? lim->max_member : ARCHIVE_IN_MAX_MEMBER;
	in->max_ratio = lim && lim->max_ratio ? lim->max_ratio : ARCHIVE_IN_MAX_RATIO;
	in->max_members = lim && lim->max_members ? lim->max_members : ARCHIVE_IN_MAX_MEMBERS;
	in->bud = lim && lim->budget ? lim->budget : &in->own;
	in->nested = lim && lim->nested;
	in->progress = lim ? lim->progress : NULL;
	in->progress_userdata = lim ? lim->progress_userdata : NULL;
	in->input_size = S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0;
	in->path = strdup(path);
	in->chunk = malloc(ARCHIVE_IN_CHUNK);
	if (!in->path || !in->chunk) {
		archive_in_free(in);
		return -ENOMEM;
	}
	if (S_ISDIR(st.st_mode)) {
		in->kind = ARCHIVE_IN_FOLDER;
		r = walk_one(in, "", 0, err);
	} else {
		r = open_file(in, flags, err);
	}
	if (r < 0) {
		archive_in_free(in);
		return r;
	}
	*ret = in;
	return 0;
}

enum archive_in_kind archive_in_kind(const struct archive_in *in)
{
	return in->kind;
}

bool archive_in_compressed(const struct archive_in *in)
{
	return in->gz || (in->a && archive_filter_count(in->a) > 1);
}

const char *archive_in_error(const struct archive_in *in)
{
	const char *s = in->a ? archive_error_string(in->a) : NULL;

	return s ? s : "read error";
}

size_t archive_in_count(const struct archive_in *in)
{
	return in->count;
}

static int next_member(struct archive_in *in, const struct archive_in_member **ret,
                       struct error *err)
{
	switch (in->kind) {
	case ARCHIVE_IN_FOLDER:
		return folder_next(in, ret);
	case ARCHIVE_IN_ARCHIVE:
		return archive_next(in, ret, err);
	case ARCHIVE_IN_LOOSE:
		return loose_next(in, ret);
	default:
		return -EINVAL;
	}
}

/* Tell lim->progress how far reading has got (a folder's size is summed once). */
static void report_progress(struct archive_in *in, const struct archive_in_member *m)
{
	struct archive_in_progress p = { .members = in->count, .bytes = in->total };

	if (in->kind == ARCHIVE_IN_FOLDER) {
		if (!in->input_size)
			for (size_t i = 0; i < in->n_w; i++)
				if (S_ISREG(in->w[i].st.st_mode))
					in->input_size += (uint64_t)in->w[i].st.st_size;
		in->folder_done += m->size > 0 ? (uint64_t)m->size : 0;
		p.done = in->folder_done;
	} else if (in->a) {
		int64_t n = archive_filter_bytes(in->a, -1);

		p.done = n > 0 ? (uint64_t)n : 0;
	}
	p.total = in->input_size;
	in->progress(in->progress_userdata, &p);
}

int archive_in_next(struct archive_in *in, const struct archive_in_member **ret, struct error *err)
{
	int r;

	in->member_bytes = 0;
	r = next_member(in, ret, err);

	if (r == 1 && in->progress && (*ret)->type != ARCHIVE_IN_DIR)
		report_progress(in, *ret);
	return r;
}

static ssize_t read_chunk(struct archive_in *in)
{
	ssize_t n;

	if (in->kind != ARCHIVE_IN_FOLDER)
		return archive_read_data(in->a, in->chunk, ARCHIVE_IN_CHUNK);
	if (in->fd < 0)
		return 0;
	do
		n = read(in->fd, in->chunk, ARCHIVE_IN_CHUNK);
	while (n < 0 && errno == EINTR);
	return n;
}

static const char *read_error(struct archive_in *in, int saved_errno)
{
	if (in->kind == ARCHIVE_IN_FOLDER)
		return strerror(saved_errno);
	return archive_error_string(in->a) ? archive_error_string(in->a) : "read error";
}

/* A bound as given: "64 MiB", "100 KiB", else bytes. */
static const char *size_text(uint64_t n, char *out, size_t size)
{
	static const char *const units[] = { "TiB", "GiB", "MiB", "KiB" };

	for (unsigned k = 0; k < 4; k++) {
		unsigned shift = 10u * (4 - k);

		if (n >= (UINT64_C(1) << shift) && n % (UINT64_C(1) << shift) == 0) {
			snprintf(out, size, "%llu %s", (unsigned long long)(n >> shift), units[k]);
			return out;
		}
	}
	snprintf(out, size, "%llu bytes", (unsigned long long)n);
	return out;
}

uint64_t archive_in_packed_bytes(const struct archive_in *in)
{
	int64_t n;

	if (in->kind == ARCHIVE_IN_FOLDER)
		return in->total;
	if (in->gz)
		return gzthread_packed_bytes(in->gz);
	n = in->a ? archive_filter_bytes(in->a, -1) : 0;
	return n > 0 ? (uint64_t)n : 0;
}

/* The bounds, after more bytes came out of the current member. The total and the
 * ratio are those of the whole input, nested readers included (in->bud). */
static int check_limits(struct archive_in *in, struct error *err)
{
	const struct archive_in_budget *b = in->bud;
	char x[32], y[32];

	if (!in->nested)
		in->bud->packed = archive_in_packed_bytes(in);
	if (b->total > in->max_total)
		return error_set(err, -ERANGE, in->cur.path, 0,
		                 "the input expands beyond %s in all (a decompression bomb?); "
		                 "--max-total-bytes raises the bound",
		                 size_text(in->max_total, x, sizeof(x)));
	if (in->member_bytes > in->max_member)
		return error_set(err, -ERANGE, in->cur.path, 0,
		                 "the member expands beyond %s (a decompression bomb?); "
		                 "--max-member-bytes raises the bound",
		                 size_text(in->max_member, x, sizeof(x)));
	if (b->total <= ARCHIVE_IN_RATIO_FLOOR || !b->packed ||
	    b->total / b->packed < in->max_ratio)
		return 0;
	return error_set(err, -ERANGE, in->cur.path, 0,
	                 "%s came out of %s of input: compressed more than %u:1 in all (a "
	                 "decompression bomb?); --max-ratio raises the bound",
	                 size_text(b->total & ~((UINT64_C(1) << 20) - 1), x, sizeof(x)),
	                 size_text(b->packed & ~((UINT64_C(1) << 10) - 1), y, sizeof(y)),
	                 in->max_ratio);
}

int archive_in_account(struct archive_in *in, uint64_t n, struct error *err)
{
	in->bud->total += n;
	in->member_bytes += n;
	return check_limits(in, err);
}

/* A read error of the current member: where, in its bytes and in the input's. */
static int feed_error(struct archive_in *in, int saved_errno, struct error *err)
{
	if (in->kind == ARCHIVE_IN_FOLDER)
		return error_set(err, -EIO, in->cur.path, 0, "cannot read after %llu bytes: %s",
		                 (unsigned long long)in->member_bytes, read_error(in, saved_errno));
	return error_set(err, -EIO, in->cur.path, 0,
	                 "truncated or corrupt after %llu bytes, near byte %llu of the %s: %s",
	                 (unsigned long long)in->member_bytes,
	                 (unsigned long long)archive_in_packed_bytes(in),
	                 in->kind == ARCHIVE_IN_LOOSE ? "compressed file" : "archive",
	                 read_error(in, saved_errno));
}

int archive_in_feed(struct archive_in *in, archive_in_feed_fn fn, void *userdata, struct error *err)
{
	for (;;) {
		ssize_t n = read_chunk(in);
		int r;

		if (n == 0)
			return 0;
		if (n < 0)
			return feed_error(in, errno, err);
		in->total += (uint64_t)n;
		in->bud->total += (uint64_t)n;
		in->member_bytes += (uint64_t)n;
		if ((r = check_limits(in, err)) < 0)
			return r;
		r = fn(userdata, in->chunk, (size_t)n);
		if (r < 0)
			return r;
	}
}

struct read_all {
	struct buf *out;
	size_t max;
};

static int read_all_feed(void *userdata, const void *data, size_t len)
{
	struct read_all *ra = userdata;

	if (ra->out->len + len > ra->max)
		return -ERANGE;
	return buf_append(ra->out, data, len) < 0 ? -ENOMEM : 0;
}

int archive_in_read_all(struct archive_in *in, struct buf *out, size_t max, struct error *err)
{
	struct read_all ra = { out, max };
	int r = archive_in_feed(in, read_all_feed, &ra, err);

	if (r == -ERANGE && !err->message[0])
		return error_set(err, r, in->cur.path, 0, "member larger than %zu bytes", max);
	return r;
}

void archive_in_free(struct archive_in *in)
{
	if (!in)
		return;
	if (in->a)
		archive_read_free(in->a);
	gzthread_free(in->gz); /* after libarchive: it reads from it */
	if (in->fd >= 0)
		close(in->fd);
	for (size_t i = 0; i < in->n_w; i++)
		free(in->w[i].rel);
	free(in->w);
	free(in->loose_name);
	free(in->chunk);
	free(in->path);
	free(in);
}

bool archive_in_unsafe_name(const char *path)
{
	const char *s = path;

	if (path[0] == '/')
		return true;
	while (*s) {
		const char *e = strchr(s, '/');
		size_t n = e ? (size_t)(e - s) : strlen(s);

		if (n == 2 && s[0] == '.' && s[1] == '.')
			return true;
		s += n;
		while (*s == '/')
			s++;
	}
	return false;
}

char *archive_in_clean_path(const char *p)
{
	struct buf b = BUF_INIT;
	const char *s = p;

	while (*s) {
		const char *e;
		size_t n;

		while (*s == '/')
			s++;
		e = strchr(s, '/');
		n = e ? (size_t)(e - s) : strlen(s);
		if (n == 2 && s[0] == '.' && s[1] == '.') {
			buf_release(&b);
			return NULL;
		}
		if (n && !(n == 1 && s[0] == '.')) {
			if ((b.len && buf_putc(&b, '/') < 0) || buf_append(&b, s, n) < 0) {
				buf_release(&b);
				return NULL;
			}
		}
		s += n;
	}
	if (!b.len || b.len > CLEAN_PATH_MAX) {
		buf_release(&b);
		return NULL;
	}
	return buf_detach(&b, NULL);
}
