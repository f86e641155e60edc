/* SPDX-License-Identifier: Apache-2.0 */
/* Atomic, reproducible bundle archives with libarchive (see archive_out.h). */
#include "archive_out.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
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
};

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

int archive_out_add(struct archive_out *a, const char *relpath, const void *data, size_t len,
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
	int dfd, r = 0;

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
