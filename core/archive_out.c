/* SPDX-License-Identifier: Apache-2.0 */
/* Atomic, reproducible bundle archives with libarchive (see archive_out.h). */
#include "archive_out.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <openssl/evp.h>

#include "buf.h"
#include "cleanup.h"
#include "error.h"
#include "pgzip.h"
#include "banned.h"

#define ARCHIVE_OUT_CHUNK 65536

struct archive_out {
	struct archive *a;
	struct pgzip *pz; /* .tar.gz: libarchive writes the tar, pgzip deflates it */
	int fd;
	char *final_path;
	char *temp_path;
	char *dir;
	char *top;
	int64_t mtime;
	struct archive_out_member *members;
	size_t n, cap;
	/* the members' SHA-256: fetched once, not per member (100k-member bundles) */
	EVP_MD *sha256;
	EVP_MD_CTX *mdctx;
	struct outq *q; /* archive_out_add_take(): the adds on a thread (NULL: none yet) */
};

/* ---- adds on a thread of their own (archive_out_add_take) ---------------------------- */

#define OUTQ_ITEMS 256u
#define OUTQ_BYTES (16u << 20) /* queued member bytes at most (more: one at a time) */

struct outq_item {
	char *path;
	void *data;
	size_t len;
};

struct outq {
	pthread_mutex_t lock;
	pthread_cond_t work, room;
	bool stop, consumer_waiting, producer_waiting;
	pthread_t tid;
	struct outq_item items[OUTQ_ITEMS];
	uint64_t head, tail; /* queued, written */
	size_t bytes;        /* of the items queued and not written */
	int rc;              /* the first failure (sticky), its message in err */
	struct error err;
};

static int add_now(struct archive_out *a, const char *relpath, const void *data, size_t len,
                   struct error *err);
static bool relpath_ok(const char *p);

static void *outq_main(void *arg)
{
	struct archive_out *a = arg;
	struct outq *q = a->q;

	pthread_mutex_lock(&q->lock);
	for (;;) {
		uint64_t from, to;
		size_t done = 0;
		struct error e = ERROR_INIT;
		int failed;

		while (!q->stop && q->tail == q->head) {
			q->consumer_waiting = true;
			pthread_cond_wait(&q->work, &q->lock);
		}
		q->consumer_waiting = false;
		if (q->tail == q->head)
			break;
		from = q->tail;
		to = q->head;
		failed = q->rc;
		pthread_mutex_unlock(&q->lock);
		for (uint64_t i = from; i < to; i++) {
			struct outq_item *it = &q->items[i % OUTQ_ITEMS];

			/* after a failure nothing more is written (the archive is aborted) */
			if (failed == 0)
				failed =
				        add_now(a, it->path, it->data ? it->data : "", it->len, &e);
			done += it->len;
			free(it->path);
			free(it->data);
			it->path = it->data = NULL;
		}
		pthread_mutex_lock(&q->lock);
		if (failed < 0 && q->rc == 0) {
			q->rc = failed;
			q->err = e;
		}
		q->tail = to;
		q->bytes -= done;
		if (q->producer_waiting)
			pthread_cond_signal(&q->room);
	}
	pthread_mutex_unlock(&q->lock);
	return NULL;
}

/* Wait until everything queued is written (or until there is room for len more
 * bytes and one more item); the first failure of the thread, as err. */
static int outq_wait(struct archive_out *a, bool all, size_t len, struct error *err)
{
	struct outq *q = a->q;
	int rc;

	if (!q)
		return 0;
	pthread_mutex_lock(&q->lock);
	while (q->tail != q->head &&
	       (all || q->head - q->tail >= OUTQ_ITEMS || q->bytes + len > OUTQ_BYTES)) {
		q->producer_waiting = true;
		if (q->consumer_waiting)
			pthread_cond_signal(&q->work);
		pthread_cond_wait(&q->room, &q->lock);
	}
	q->producer_waiting = false;
	rc = q->rc;
	pthread_mutex_unlock(&q->lock);
	if (rc < 0 && err)
		*err = q->err;
	return rc;
}

/* Stop the thread; when cancel, what is still queued is dropped unwritten. */
static void outq_free(struct archive_out *a, bool cancel)
{
	struct outq *q = a->q;

	if (!q)
		return;
	pthread_mutex_lock(&q->lock);
	if (cancel && q->rc == 0)
		q->rc = -ECANCELED;
	q->stop = true;
	pthread_cond_signal(&q->work);
	pthread_mutex_unlock(&q->lock);
	pthread_join(q->tid, NULL);
	pthread_cond_destroy(&q->room);
	pthread_cond_destroy(&q->work);
	pthread_mutex_destroy(&q->lock);
	free(q);
	a->q = NULL;
}

static int outq_start(struct archive_out *a)
{
	struct outq *q = calloc(1, sizeof(*q));

	if (!q)
		return -ENOMEM;
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->work, NULL);
	pthread_cond_init(&q->room, NULL);
	a->q = q;
	if (pthread_create(&q->tid, NULL, outq_main, a) != 0) {
		pthread_cond_destroy(&q->room);
		pthread_cond_destroy(&q->work);
		pthread_mutex_destroy(&q->lock);
		free(q);
		a->q = NULL;
		return -EAGAIN;
	}
	return 0;
}

int archive_out_add_take(struct archive_out *a, const char *relpath, void *data, size_t len,
                         struct error *err)
{
	struct outq_item *it;
	char *path;
	int rc;

	if (!relpath_ok(relpath)) {
		free(data);
		return error_set(err, -EINVAL, relpath, 0, "bad member path");
	}
	if (!a->q && (rc = outq_start(a)) < 0) {
		free(data);
		return error_set(err, rc, a->final_path, 0, "cannot start a thread: %s",
		                 strerror(-rc));
	}
	path = strdup(relpath);
	rc = path ? outq_wait(a, false, len, err)
	          : error_set(err, -ENOMEM, relpath, 0, "out of memory");
	if (rc < 0) {
		free(path);
		free(data);
		return rc;
	}
	pthread_mutex_lock(&a->q->lock);
	it = &a->q->items[a->q->head % OUTQ_ITEMS];
	it->path = path;
	it->data = data;
	it->len = len;
	a->q->head++;
	a->q->bytes += len;
	/* woken in batches: many small members cost few wake-ups */
	if (a->q->consumer_waiting &&
	    (a->q->head - a->q->tail >= OUTQ_ITEMS / 4 || a->q->bytes >= (1u << 20)))
		pthread_cond_signal(&a->q->work);
	pthread_mutex_unlock(&a->q->lock);
	return 0;
}

int archive_out_flush(struct archive_out *a, struct error *err)
{
	return outq_wait(a, true, 0, err);
}

static const struct {
	const char *suffix;
	enum archive_out_format fmt;
} suffixes[] = {
	{ ".tar.gz", ARCHIVE_OUT_TAR_GZ },   { ".tgz", ARCHIVE_OUT_TAR_GZ },
	{ ".tar.zst", ARCHIVE_OUT_TAR_ZST }, { ".tzst", ARCHIVE_OUT_TAR_ZST },
	{ ".tar", ARCHIVE_OUT_TAR },
};

static const char *match_suffix(const char *path, enum archive_out_format *ret)
{
	size_t len = strlen(path);

	for (size_t i = 0; i < ELEMENTSOF(suffixes); i++) {
		size_t sl = strlen(suffixes[i].suffix);

		if (len > sl && strcmp(path + len - sl, suffixes[i].suffix) == 0) {
			if (ret)
				*ret = suffixes[i].fmt;
			return path + len - sl;
		}
	}
	return NULL;
}

enum archive_out_format archive_out_format_from_path(const char *path)
{
	enum archive_out_format f = ARCHIVE_OUT__INVALID;

	if (!path || !match_suffix(path, &f))
		return ARCHIVE_OUT__INVALID;
	return f;
}

char *archive_out_top_from_path(const char *path)
{
	const char *base = strrchr(path, '/');
	const char *end;

	base = base ? base + 1 : path;
	end = match_suffix(base, NULL);
	if (!end)
		end = base + strlen(base);
	if (end == base)
		return strdup("bundle");
	return strndup(base, (size_t)(end - base));
}

static bool relpath_ok(const char *p)
{
	size_t len = strlen(p);

	if (!len || len > ARCHIVE_OUT_MAX_PATH || p[0] == '/' || p[len - 1] == '/')
		return false;
	for (const char *s = p; *s;) {
		const char *e = strchr(s, '/');
		size_t n = e ? (size_t)(e - s) : strlen(s);

		if (n == 0 || (n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
			return false;
		s += n;
		if (*s == '/')
			s++;
	}
	return true;
}

void archive_out_level_range(enum archive_out_format fmt, int *ret_min, int *ret_max)
{
	*ret_min = fmt == ARCHIVE_OUT_TAR_GZ || fmt == ARCHIVE_OUT_TAR_ZST ? 1 : 0;
	*ret_max = fmt == ARCHIVE_OUT_TAR_GZ ? 9 : fmt == ARCHIVE_OUT_TAR_ZST ? 19 : 0;
}

static la_ssize_t pgzip_cb(struct archive *ar, void *userdata, const void *buffer, size_t length)
{
	struct archive_out *o = userdata;
	int rc = pgzip_write(o->pz, buffer, length);

	if (rc < 0) {
		archive_set_error(ar, -rc, "%s", strerror(-rc));
		return -1;
	}
	return (la_ssize_t)length;
}

/* Compression: our parallel gzip, or libarchive's zstd filter with its threads. */
static int setup_filter(struct archive_out *o, enum archive_out_format fmt,
                        const struct archive_out_options *opts)
{
	char value[16];
	int rc;

	switch (fmt) {
	case ARCHIVE_OUT_TAR_GZ:
		rc = pgzip_open(o->fd, opts->level ? opts->level : ARCHIVE_OUT_GZ_LEVEL_DEFAULT,
		                opts->threads, &o->pz);
		if (rc < 0)
			return rc;
		/* the tar ends after its two zero blocks, as it did inside libarchive's
		 * gzip filter */
		if (archive_write_set_bytes_in_last_block(o->a, 1) != ARCHIVE_OK ||
		    archive_write_open(o->a, o, NULL, pgzip_cb, NULL) != ARCHIVE_OK)
			return -EIO;
		return 0;
	case ARCHIVE_OUT_TAR_ZST:
		if (archive_write_add_filter_zstd(o->a) != ARCHIVE_OK)
			return -EIO;
		snprintf(value, sizeof(value), "%d",
		         opts->level ? opts->level : ARCHIVE_OUT_ZST_LEVEL_DEFAULT);
		if (archive_write_set_filter_option(o->a, "zstd", "compression-level", value) !=
		    ARCHIVE_OK)
			return -EIO;
		snprintf(value, sizeof(value), "%d",
		         opts->threads ? opts->threads : (int)sysconf(_SC_NPROCESSORS_ONLN));
		/* a libzstd without threads refuses: one thread then */
		archive_write_set_filter_option(o->a, "zstd", "threads", value);
		break;
	default:
		break;
	}
	return archive_write_open_fd(o->a, o->fd) == ARCHIVE_OK ? 0 : -EIO;
}

int archive_out_open(const char *final_path, const char *top_folder, enum archive_out_format fmt,
                     int64_t mtime, struct archive_out **ret, struct error *err)
{
	return archive_out_open_opts(final_path, top_folder, fmt, mtime, NULL, ret, err);
}

int archive_out_open_opts(const char *final_path, const char *top_folder,
                          enum archive_out_format fmt, int64_t mtime,
                          const struct archive_out_options *opts, struct archive_out **ret,
                          struct error *err)
{
	static const struct archive_out_options defaults = { 0, 0 };
	int lmin, lmax;
	struct archive_out *o;
	_cleanup_free_ char *copy = NULL;
	const char *base;
	struct buf tmp = BUF_INIT;
	int r = 0;

	if (fmt < 0 || fmt >= ARCHIVE_OUT__MAX)
		return error_set(err, -EINVAL, final_path, 0, "unsupported archive format");
	if (!opts)
		opts = &defaults;
	archive_out_level_range(fmt, &lmin, &lmax);
	if (opts->level && (opts->level < lmin || opts->level > lmax))
		return error_set(err, -EINVAL, final_path, 0,
		                 lmax ? "compression level %d out of range (%d..%d)"
		                      : "compression level %d: the format has none",
		                 opts->level, lmin, lmax);
	if (!top_folder || !relpath_ok(top_folder) || strchr(top_folder, '/'))
		return error_set(err, -EINVAL, final_path, 0, "bad top folder name");
	o = calloc(1, sizeof(*o));
	copy = strdup(final_path);
	if (!o || !copy) {
		free(o);
		return error_set(err, -ENOMEM, final_path, 0, "out of memory");
	}
	o->fd = -1;
	o->mtime = mtime;
	base = strrchr(final_path, '/');
	o->dir = strdup(dirname(copy));
	o->final_path = strdup(final_path);
	o->top = strdup(top_folder);
	if (!o->dir || !o->final_path || !o->top ||
	    buf_printf(&tmp, "%s/.%s.tmp.XXXXXX", o->dir, base ? base + 1 : final_path) < 0) {
		r = error_set(err, -ENOMEM, final_path, 0, "out of memory");
		goto fail;
	}
	o->temp_path = buf_detach(&tmp, NULL);
	/* mkstemp creates the file 0600 */
	o->fd = mkstemp(o->temp_path);
	if (o->fd < 0) {
		r = error_set(err, -errno, final_path, 0,
		              "cannot create a temporary file in '%s': %s", o->dir,
		              strerror(errno));
		FREE_AND_NULL(o->temp_path);
		goto fail;
	}
	o->a = archive_write_new();
	if (!o->a) {
		r = error_set(err, -ENOMEM, final_path, 0, "out of memory");
		goto fail;
	}
	if (archive_write_set_format_pax_restricted(o->a) != ARCHIVE_OK)
		goto fail_archive;
	r = setup_filter(o, fmt, opts);
	if (r == -EIO)
		goto fail_archive;
	if (r < 0) {
		r = error_set(err, r, final_path, 0, "cannot set up the compression: %s",
		              strerror(-r));
		goto fail;
	}
	*ret = o;
	return 0;

fail_archive:
	r = error_set(err, -EIO, final_path, 0, "cannot set up the archive: %s",
	              archive_error_string(o->a) ? archive_error_string(o->a) : "unknown error");
fail:
	buf_release(&tmp);
	archive_out_abort(o);
	return r;
}

static int record(struct archive_out *a, const char *relpath, uint64_t size,
                  const unsigned char *md, struct error *err)
{
	struct archive_out_member *m;

	if (a->n == a->cap) {
		size_t ncap = a->cap ? a->cap * 2 : 64;
		struct archive_out_member *p = realloc(a->members, ncap * sizeof(*p));

		if (!p)
			return error_set(err, -ENOMEM, relpath, 0, "out of memory");
		a->members = p;
		a->cap = ncap;
	}
	m = &a->members[a->n];
	m->path = strdup(relpath);
	if (!m->path)
		return error_set(err, -ENOMEM, relpath, 0, "out of memory");
	m->size = size;
	for (int i = 0; i < 32; i++) {
		m->sha256[2 * i] = "0123456789abcdef"[md[i] >> 4];
		m->sha256[2 * i + 1] = "0123456789abcdef"[md[i] & 15];
	}
	m->sha256[64] = '\0';
	a->n++;
	return 0;
}

static int write_header(struct archive_out *a, const char *relpath, uint64_t size,
                        struct error *err)
{
	struct archive_entry *e;
	struct buf name = BUF_INIT;
	int r = 0;

	if (!relpath_ok(relpath))
		return error_set(err, -EINVAL, relpath, 0, "bad member path");
	e = archive_entry_new();
	if (!e || buf_printf(&name, "%s/%s", a->top, relpath) < 0) {
		archive_entry_free(e);
		buf_release(&name);
		return error_set(err, -ENOMEM, relpath, 0, "out of memory");
	}
	archive_entry_set_pathname(e, name.data);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, (la_int64_t)size);
	archive_entry_set_uid(e, 0);
	archive_entry_set_gid(e, 0);
	archive_entry_set_uname(e, "root");
	archive_entry_set_gname(e, "root");
	archive_entry_set_mtime(e, (time_t)a->mtime, 0);
	if (archive_write_header(a->a, e) != ARCHIVE_OK)
		r = error_set(err, archive_errno(a->a) > 0 ? -archive_errno(a->a) : -EIO,
		              a->final_path, 0, "cannot write '%s': %s", relpath,
		              archive_error_string(a->a) ? archive_error_string(a->a) : "error");
	archive_entry_free(e);
	buf_release(&name);
	return r;
}

static int write_data(struct archive_out *a, const char *relpath, const void *data, size_t len,
                      struct error *err)
{
	const char *p = data;

	while (len) {
		la_ssize_t n = archive_write_data(a->a, p, len);

		if (n <= 0)
			return error_set(err, archive_errno(a->a) > 0 ? -archive_errno(a->a) : -EIO,
			                 a->final_path, 0, "cannot write '%s': %s", relpath,
			                 archive_error_string(a->a) ? archive_error_string(a->a)
			                                            : "write error");
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The digest context, ready for a member's bytes; NULL when out of memory. */
static EVP_MD_CTX *digest_begin(struct archive_out *a)
{
	if (!a->sha256)
		a->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
	if (!a->mdctx)
		a->mdctx = EVP_MD_CTX_new();
	if (!a->sha256 || !a->mdctx || !EVP_DigestInit_ex(a->mdctx, a->sha256, NULL))
		return NULL;
	return a->mdctx;
}

static int add_now(struct archive_out *a, const char *relpath, const void *data, size_t len,
                   struct error *err)
{
	EVP_MD_CTX *ctx;
	unsigned char md[32];
	unsigned int mdlen = 0;
	int r;

	r = write_header(a, relpath, len, err);
	if (r < 0)
		return r;
	r = write_data(a, relpath, data, len, err);
	if (r < 0)
		return r;
	ctx = digest_begin(a);
	if (!ctx || !EVP_DigestUpdate(ctx, data, len) || !EVP_DigestFinal_ex(ctx, md, &mdlen))
		return error_set(err, -EIO, relpath, 0, "cannot compute SHA-256");
	return record(a, relpath, len, md, err);
}

int archive_out_add(struct archive_out *a, const char *relpath, const void *data, size_t len,
                    struct error *err)
{
	int rc = archive_out_flush(a, err);

	return rc < 0 ? rc : add_now(a, relpath, data, len, err);
}

int archive_out_add_fd(struct archive_out *a, const char *relpath, int fd, struct error *err)
{
	EVP_MD_CTX *ctx = NULL;
	unsigned char md[32];
	unsigned int mdlen = 0;
	struct stat st;
	uint64_t left;
	char *chunk = NULL;
	int r;

	if (fstat(fd, &st) < 0 || lseek(fd, 0, SEEK_SET) < 0)
		return error_set(err, -errno, relpath, 0, "cannot read the staged member: %s",
		                 strerror(errno));
	left = (uint64_t)st.st_size;
	r = archive_out_flush(a, err);
	if (r == 0)
		r = write_header(a, relpath, left, err);
	if (r < 0)
		return r;
	chunk = malloc(ARCHIVE_OUT_CHUNK);
	ctx = digest_begin(a);
	if (!chunk || !ctx) {
		r = error_set(err, -ENOMEM, relpath, 0, "out of memory");
		goto out;
	}
	/* Exactly the size announced in the header: a file that changed under us is
	 * an error, not a corrupt archive. */
	while (left) {
		size_t want = left < ARCHIVE_OUT_CHUNK ? (size_t)left : ARCHIVE_OUT_CHUNK;
		ssize_t n = read(fd, chunk, want);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = error_set(err, n < 0 ? -errno : -EIO, relpath, 0,
			              "cannot read the staged member: %s",
			              n < 0 ? strerror(errno) : "file shrank");
			goto out;
		}
		r = write_data(a, relpath, chunk, (size_t)n, err);
		if (r < 0)
			goto out;
		EVP_DigestUpdate(ctx, chunk, (size_t)n);
		left -= (uint64_t)n;
	}
	EVP_DigestFinal_ex(ctx, md, &mdlen);
	r = record(a, relpath, (uint64_t)st.st_size, md, err);
out:
	free(chunk);
	return r;
}

const struct archive_out_member *archive_out_members(const struct archive_out *a, size_t *ret_n)
{
	*ret_n = a->n;
	return a->members;
}

const char *archive_out_temp_path(const struct archive_out *a)
{
	return a->temp_path;
}

static void archive_out_free(struct archive_out *a)
{
	outq_free(a, true);
	for (size_t i = 0; i < a->n; i++)
		free(a->members[i].path);
	free(a->members);
	free(a->final_path);
	free(a->temp_path);
	free(a->dir);
	free(a->top);
	EVP_MD_CTX_free(a->mdctx);
	EVP_MD_free(a->sha256);
	free(a);
}

int archive_out_commit(struct archive_out *a, struct error *err)
{
	int dfd, r = archive_out_flush(a, err);

	if (r < 0)
		goto fail;
	/* Close (flushes the compressor), then make the bytes durable before the name
	 * appears, then make the rename durable. */
	if (archive_write_close(a->a) != ARCHIVE_OK) {
		r = error_set(err, archive_errno(a->a) > 0 ? -archive_errno(a->a) : -EIO,
		              a->final_path, 0, "cannot finish the archive: %s%s%s",
		              archive_error_string(a->a) ? archive_error_string(a->a) : "error",
		              /* libarchive says "Write error": name the cause (ENOSPC, EFBIG) */
		              archive_errno(a->a) > 0 ? ": " : "",
		              archive_errno(a->a) > 0 ? strerror(archive_errno(a->a)) : "");
		goto fail;
	}
	archive_write_free(a->a);
	a->a = NULL;
	if (a->pz) {
		int rc = pgzip_finish(a->pz);

		pgzip_free(a->pz);
		a->pz = NULL;
		if (rc < 0) {
			r = error_set(err, rc, a->final_path, 0, "cannot write the archive: %s",
			              strerror(-rc));
			goto fail;
		}
	}
	if (fsync(a->fd) < 0) {
		r = error_set(err, -errno, a->final_path, 0, "cannot write the archive: %s",
		              strerror(errno));
		goto fail;
	}
	/* the bundle stays 0600 (mkstemp), as sosreport's do: it is for the support case */
	if (close(a->fd) < 0) {
		a->fd = -1;
		r = error_set(err, -errno, a->final_path, 0, "cannot write the archive: %s",
		              strerror(errno));
		goto fail;
	}
	a->fd = -1;
	if (rename(a->temp_path, a->final_path) < 0) {
		r = error_set(err, -errno, a->final_path, 0, "cannot rename '%s': %s", a->temp_path,
		              strerror(errno));
		goto fail;
	}
	dfd = open(a->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	archive_out_free(a);
	return 0;
fail:
	archive_out_abort(a);
	return r;
}

void archive_out_abort(struct archive_out *a)
{
	if (!a)
		return;
	outq_free(a, true); /* before the archive goes */
	if (a->a) {
		/* closes the filters (and may flush a little into the temp file, which
		 * goes next); archive_write_fail() first would leak them */
		archive_write_free(a->a);
	}
	pgzip_free(a->pz);
	if (a->fd >= 0)
		close(a->fd);
	if (a->temp_path)
		unlink(a->temp_path);
	archive_out_free(a);
}
