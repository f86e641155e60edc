/* SPDX-License-Identifier: Apache-2.0 */
/* The redact-a-bundle pipeline (see pipeline.h). */
#include "pipeline.h"

#include <errno.h>
#include <strings.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "archive_in.h"
#include "archive_out.h"
#include "buf.h"
#include "capture.h"
#include "cleanup.h"
#include "error.h"
#include "fdio.h"
#include "manifest_out.h"
#include "scanq.h"
#include "strset.h"
#include "text.h"
#include "banned.h"

#define SPILL_MEM_MAX (8u << 20)
#define LEARN_MAX (4u << 20)
#define SIDE_DOC_MAX (64u << 20)

struct job {
	const struct redact_bundle_options *o;
	struct redactor *r;
	struct redact_bundle_result *res;
	enum archive_in_kind kind;
	struct archive_out *ao;
	char *top_in;     /* common top folder of the input ("" = none) */
	int64_t mtime;    /* of the output's members: the newest in the input */
	int64_t in_mtime; /* of the input itself, when nothing better is known */
	char tmpdir[512];
	int spill_fd;
	struct buf mem; /* the spill while small */
	bool in_file;   /* the spill went to spill_fd */
	char wbuf[1u << 16];
	size_t wlen;
	uint64_t spill_size;
	struct leak_scan *scan; /* a document's scan, here (side members, manifest.json) */
	struct scanq *q;        /* the members' scans, on their own thread */
	int manifest_fd;        /* input manifest.json, raw, in a temp file (-1: none) */
	struct buf redaction;   /* input redaction.json, raw */
	bool have_manifest, have_redaction;
	struct strset seen; /* output names written */
	struct stat map_st, out_st;
	bool have_map_st, have_out_st;
	/* the running totals of the bounds: the input and everything nested in it */
	struct archive_in_budget budget;
	/* the last member ended early (a truncated gzip inside the input): why */
	struct error cut;
	/* redaction.json "truncated": every such member; NULL = none */
	json_t *truncated;
};

/* ---- spill: where a redacted member waits for its tar header ---------------------- */

static int spill_flush(struct job *j)
{
	size_t off = 0;

	while (off < j->wlen) {
		ssize_t n = write(j->spill_fd, j->wbuf + off, j->wlen - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		off += (size_t)n;
	}
	j->wlen = 0;
	return 0;
}

static int spill_reset(struct job *j)
{
	buf_reset(&j->mem);
	j->in_file = false;
	j->wlen = 0;
	j->spill_size = 0;
	if (j->spill_fd >= 0 &&
	    (ftruncate(j->spill_fd, 0) < 0 || lseek(j->spill_fd, 0, SEEK_SET) < 0))
		return -errno;
	return 0;
}

static int spill_open(struct job *j)
{
	char path[600];
	int fd;

	snprintf(path, sizeof(path), "%s/spill.XXXXXX", j->tmpdir);
	fd = mkstemp(path);
	if (fd < 0)
		return -errno;
	unlink(path);
	j->spill_fd = fd;
	return 0;
}

static int on_output(void *userdata, const void *data, size_t len)
{
	struct job *j = userdata;
	int rc;

	if (j->o->dry_run)
		return 0;
	rc = j->scan ? leak_scan_write(j->scan, data, len) : scanq_write(j->q, data, len);
	if (rc < 0)
		return rc;
	j->spill_size += len;
	if (!j->in_file) {
		if (j->mem.len + len <= SPILL_MEM_MAX)
			return buf_append(&j->mem, data, len);
		if (j->spill_fd < 0 && (rc = spill_open(j)) < 0)
			return rc;
		j->in_file = true;
		if (j->mem.len) {
			size_t off = 0;

			while (off < j->mem.len) {
				ssize_t n = write(j->spill_fd, j->mem.data + off, j->mem.len - off);

				if (n < 0 && errno == EINTR)
					continue;
				if (n < 0)
					return -errno;
				off += (size_t)n;
			}
			buf_reset(&j->mem);
		}
	}
	if (j->wlen + len > sizeof(j->wbuf) && (rc = spill_flush(j)) < 0)
		return rc;
	if (len >= sizeof(j->wbuf)) {
		size_t off = 0;

		while (off < len) {
			ssize_t n = write(j->spill_fd, (const char *)data + off, len - off);

			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				return -errno;
			off += (size_t)n;
		}
		return 0;
	}
	memcpy(j->wbuf + j->wlen, data, len);
	j->wlen += len;
	return 0;
}

/* ---- paths ---------------------------------------------------------------------------- */

static const char *strip_top(struct job *j, const char *rel)
{
	size_t n;

	if (!j->top_in) {
		/* no first look (without --pseudonymize): the first member's folder is
		 * taken for the common top folder; members outside it keep their path */
		const char *slash = strchr(rel, '/');

		j->top_in = slash ? strndup(rel, (size_t)(slash - rel)) : strdup("");
		if (!j->top_in)
			return rel;
	}
	n = strlen(j->top_in);
	if (n && strncmp(rel, j->top_in, n) == 0 && rel[n] == '/')
		return rel + n + 1;
	return rel;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

static bool learnable(const char *rel)
{
	return ends_with(rel, ".yaml") || ends_with(rel, ".yml") || ends_with(rel, ".json");
}

/* The output archive and the pseudonym map, when they lie inside a folder input. */
static bool skipped(const struct job *j, const struct archive_in_member *m)
{
	if (j->kind != ARCHIVE_IN_FOLDER)
		return false;
	return (j->have_map_st && m->dev == j->map_st.st_dev && m->ino == j->map_st.st_ino) ||
	       (j->have_out_st && m->dev == j->out_st.st_dev && m->ino == j->out_st.st_ino);
}

static void notice(struct job *j, enum redact_notice what, const char *member)
{
	if (j->o->notice)
		j->o->notice(j->o->userdata, what, member);
}

/* The input's bounds, one budget over the input and everything nested in it;
 * progress is reported for the input itself only. */
static struct archive_in_limits job_limits(struct job *j, bool nested)
{
	struct archive_in_limits lim = { .max_total = j->o->max_total,
		                         .max_member = j->o->max_member,
		                         .max_ratio = j->o->max_ratio,
		                         .max_members = j->o->max_members,
		                         .budget = &j->budget,
		                         .nested = nested };

	if (!nested) {
		lim.progress = j->o->progress;
		lim.progress_userdata = j->o->progress_userdata;
	}
	return lim;
}

static int open_input(struct job *j, struct archive_in **ret, struct error *err)
{
	struct archive_in_limits lim = job_limits(j, false);
	int rc;

	memset(&j->budget, 0, sizeof(j->budget)); /* each pass counts from the start */
	rc = archive_in_open(j->o->in, ARCHIVE_IN_LOOSE_FILE, &lim, ret, err);

	if (rc == 0)
		j->kind = archive_in_kind(*ret);
	return rc;
}

/* ---- the redaction of one member ---------------------------------------------------------- */

/* A member's first bytes decide whether it is text to redact or a compressed
 * file / an archive to open (gzip, zstd, bzip2, xz, zip, tar): those are copied
 * to a private temp file and read again through core/archive_in.c, member by
 * member, so that no marker is ever written into compressed bytes. */
enum feed_state {
	FEED_SNIFF = 0,
	FEED_REDACT,
	FEED_CONTAINER,
};

#define HEAD_MAX 512
#define NESTED_DEPTH_MAX 3 /* archives inside archives inside the input */

struct member_feed {
	struct job *j;
	struct redact_stream *s;
	enum feed_state state;
	/* FEED_REDACT: the member is held (memory up to SPILL_MEM_MAX, then an
	 * unlinked temp file) while the redactor's kind look-ahead reads it whole
	 * (redact_stream_prefeed()), then redacted from there */
	struct buf hold;
	int hold_fd;
	bool direct;    /* a packet capture: straight to the redactor (it spools it itself) */
	unsigned depth; /* 0: a member of the input */
	unsigned char head[HEAD_MAX];
	size_t n_head;
	int raw_fd;
	char raw_path[600];
};

static bool container_magic(const unsigned char *h, size_t n)
{
	static const struct {
		size_t off;
		const char *magic;
		size_t len;
	} magics[] = {
		{ 0, "\x1f\x8b", 2 },         /* gzip */
		{ 0, "\x28\xb5\x2f\xfd", 4 }, /* zstd */
		{ 0, "BZh", 3 },              /* bzip2 */
		{ 0,
		  "\xfd"
		  "7zXZ\x00",
		  6 },                  /* xz */
		{ 0, "PK\x03\x04", 4 }, /* zip */
		{ 0, "PK\x05\x06", 4 }, /* empty zip */
		{ 257, "ustar", 5 },    /* tar */
	};

	for (size_t i = 0; i < sizeof(magics) / sizeof(magics[0]); i++)
		if (n >= magics[i].off + magics[i].len &&
		    memcmp(h + magics[i].off, magics[i].magic, magics[i].len) == 0)
			return true;
	return false;
}

static int start_container(struct member_feed *f)
{
	snprintf(f->raw_path, sizeof(f->raw_path), "%s/nested.XXXXXX", f->j->tmpdir);
	f->raw_fd = mkstemp(f->raw_path);
	if (f->raw_fd < 0) {
		f->raw_path[0] = '\0';
		return -errno;
	}
	f->state = FEED_CONTAINER;
	return fd_write_all(f->raw_fd, f->head, f->n_head);
}

/* A text member's bytes: to the kind look-ahead, and held for the redaction. */
static int hold_write(struct member_feed *f, const void *data, size_t len)
{
	int rc;

	if (f->direct)
		return redact_stream_write(f->s, data, len, on_output, f->j);
	if ((rc = redact_stream_prefeed(f->s, data, len)) < 0)
		return rc;
	if (f->hold_fd < 0 && f->hold.len + len <= SPILL_MEM_MAX)
		return buf_append(&f->hold, data, len);
	if (f->hold_fd < 0) {
		char path[600];

		snprintf(path, sizeof(path), "%s/hold.XXXXXX", f->j->tmpdir);
		if ((f->hold_fd = mkstemp(path)) < 0)
			return -errno;
		unlink(path);
		if ((rc = fd_write_all(f->hold_fd, f->hold.data, f->hold.len)) < 0)
			return rc;
		buf_release(&f->hold);
	}
	return fd_write_all(f->hold_fd, data, len);
}

/* The member was read whole: redact what was held. */
static int hold_replay(struct member_feed *f)
{
	int rc = f->direct ? 0 : redact_stream_prefeed_end(f->s);
	char *chunk;

	if (rc < 0 || f->direct)
		return rc;
	if (f->hold_fd < 0)
		return f->hold.len ? redact_stream_write(f->s, f->hold.data, f->hold.len, on_output,
		                                         f->j)
		                   : 0;
	if (lseek(f->hold_fd, 0, SEEK_SET) < 0)
		return -errno;
	chunk = malloc(ARCHIVE_IN_CHUNK);
	if (!chunk)
		return -ENOMEM;
	for (;;) {
		ssize_t n = read(f->hold_fd, chunk, ARCHIVE_IN_CHUNK);

		if (n < 0 && errno == EINTR)
			continue;
		rc = n < 0 ? -errno : 0;
		if (n > 0)
			rc = redact_stream_write(f->s, chunk, (size_t)n, on_output, f->j);
		if (n <= 0 || rc < 0)
			break;
	}
	free(chunk);
	return rc;
}

/* The head is complete (or the member ended): choose. */
static int decide_feed(struct member_feed *f)
{
	if (container_magic(f->head, f->n_head))
		return start_container(f);
	f->state = FEED_REDACT;
	f->direct = capture_sniff(f->head, f->n_head) != CAPTURE_NONE;
	return hold_write(f, f->head, f->n_head);
}

static int feed_redactor(void *userdata, const void *data, size_t len)
{
	struct member_feed *f = userdata;
	int rc;

	if (f->state == FEED_SNIFF) {
		size_t take = len < HEAD_MAX - f->n_head ? len : HEAD_MAX - f->n_head;

		memcpy(f->head + f->n_head, data, take);
		f->n_head += take;
		data = (const char *)data + take;
		len -= take;
		if (f->n_head < HEAD_MAX)
			return 0;
		if ((rc = decide_feed(f)) < 0)
			return rc;
	}
	if (!len)
		return 0;
	if (f->state == FEED_CONTAINER)
		return fd_write_all(f->raw_fd, data, len);
	return hold_write(f, data, len);
}

static int discard(void *userdata, const void *data, size_t len)
{
	(void)userdata;
	(void)data;
	(void)len;
	return 0;
}

static void note_leak(struct job *j, const char *name, const struct leak_hit *hit)
{
	struct redact_bundle_result *res = j->res;

	if (!res->leaked) {
		res->hit = *hit;
		snprintf(res->leak_member, sizeof(res->leak_member), "%s", name);
	}
	res->leaked = true;
	res->total_leaks++;
	if (res->n_leaks >= REDACT_LEAKS_MAX)
		return;
	if (res->n_leaks % 64 == 0) {
		struct redact_leak *l = realloc(res->leaks, (res->n_leaks + 64) * sizeof(*l));

		if (!l)
			return; /* the count and the first hit are still right */
		res->leaks = l;
	}
	res->leaks[res->n_leaks].member = strdup(name);
	if (!res->leaks[res->n_leaks].member)
		return;
	res->leaks[res->n_leaks++].hit = *hit;
}

/* Every hit of a member's scan into the result (on the scan thread for the
 * members: the result's leak fields are read only after scanq_sync()). */
static bool note_hits(void *userdata, const char *name, struct leak_scan *s)
{
	struct job *j = userdata;
	const struct leak_hit *hits;
	size_t total, n = leak_scan_hits(s, &hits, &total);

	for (size_t i = 0; i < n; i++)
		note_leak(j, name, &hits[i]);
	if (total > n)
		j->res->total_leaks += total - n;
	return n > 0;
}

/* The same for a document scanned here; frees the scan. */
static void end_scan(struct job *j, const char *name)
{
	note_hits(j, name, j->scan);
	leak_scan_end(j->scan, NULL);
	j->scan = NULL;
}

/* Wait for the members' scans: j->res's leak fields are ours again. */
static int sync_scan(struct job *j)
{
	return scanq_sync(j->q);
}

void redact_bundle_result_release(struct redact_bundle_result *res)
{
	for (size_t i = 0; i < res->n_leaks; i++)
		free(res->leaks[i].member);
	free(res->leaks);
	res->leaks = NULL;
	res->n_leaks = 0;
}

/* Stream the current member (input name rel) through the redactor into the spill,
 * the leak scan on the way. 1 (and *ret_raw, a temp file the caller removes) when
 * the member is a compressed file or an archive. */
static int redact_member(struct job *j, struct archive_in *in, const char *rel, const char *name,
                         unsigned depth, char *ret_raw, struct error *err)
{
	struct member_feed f = { .j = j, .depth = depth, .raw_fd = -1, .hold_fd = -1 };
	struct error rerr = ERROR_INIT;
	int rc, frc;

	if ((rc = spill_reset(j)) < 0)
		return error_set(err, rc, rel, 0, "cannot reset the spill file: %s", strerror(-rc));
	if (!j->o->dry_run && (rc = scanq_begin(j->q, name)) < 0)
		return error_set(err, rc, rel, 0, "out of memory");
	rc = redact_stream_begin(j->r, rel, &f.s);
	if (rc < 0) {
		if (!j->o->dry_run)
			scanq_end(j->q, false);
		return error_set(err, rc, rel, 0, "cannot redact '%s'", rel);
	}
	rc = archive_in_feed(in, feed_redactor, &f, &rerr);
	if (rc == -EIO && depth > 0 && archive_in_kind(in) == ARCHIVE_IN_LOOSE &&
	    f.state != FEED_CONTAINER) {
		/* a compressed file inside the input that ends early: what was inflated
		 * is kept, redacted; the caller names it (j->cut) */
		j->cut = rerr;
		rc = 0;
	}
	if (rc == 0 && f.state == FEED_SNIFF)
		rc = decide_feed(&f);
	if (rc == 0 && f.state == FEED_REDACT)
		rc = hold_replay(&f);
	buf_release(&f.hold);
	if (f.hold_fd >= 0)
		close(f.hold_fd);
	if (f.raw_fd >= 0) {
		/* a container: nothing went to the redactor */
		redact_stream_end(f.s, discard, NULL);
		if (close(f.raw_fd) < 0 && rc == 0)
			rc = -errno;
		if (!j->o->dry_run)
			scanq_end(j->q, false);
		if (rc < 0) {
			unlink(f.raw_path);
			return error_set(err, rc, rel, 0, "cannot read '%s': %s", rel,
			                 rerr.message[0] ? rerr.message : strerror(-rc));
		}
		memcpy(ret_raw, f.raw_path, sizeof(f.raw_path));
		return 1;
	}
	if (rc == 0)
		rc = redact_stream_end(f.s, on_output, j);
	else
		redact_stream_end(f.s, on_output, j);
	if (rc == 0 && j->in_file)
		rc = spill_flush(j);
	if (!j->o->dry_run && (frc = scanq_end(j->q, true)) < 0 && rc == 0)
		rc = frc;
	if (rc < 0 && !rerr.message[0] &&
	    redactor_take_why(j->r, rel, rerr.message, sizeof(rerr.message)))
		rerr.code = rc; /* a stage said why (a refused capture: frame and byte) */
	if (rc < 0)
		return error_set(err, rc, rel, 0, "cannot redact '%s': %s", rel,
		                 rerr.message[0] ? rerr.message
		                 : rc == -ERANGE ? "input too big"
		                                 : strerror(-rc));
	return 0;
}

static int add_doc(struct job *j, const char *name, const char *text, size_t len,
                   struct error *err);

/* Members the redaction of the last one made (a capture's certificate facts). */
static int side_members(struct job *j, struct error *err)
{
	_cleanup_free_ char *name = NULL;
	struct buf b = BUF_INIT;
	int rc = 0;

	while (rc == 0 && redactor_take_side(j->r, &name, &b) == 1) {
		/* the member's own verdict first (its scan is on the scan thread) */
		if ((rc = sync_scan(j)) < 0 || j->res->leaked) {
			buf_release(&b);
			break;
		}
		rc = strset_contains(&j->seen, name)
		             ? 0
		             : add_doc(j, name, b.data ? b.data : "", b.len, err);
		if (rc == 0 && !j->res->leaked &&
		    (rc = strset_add(&j->seen, name) < 0 ? -ENOMEM : 0) == 0)
			j->res->members++;
		buf_release(&b);
		free(name);
		name = NULL;
	}
	return rc;
}

static int nested(struct job *j, const char *raw, const char *rel, unsigned depth,
                  struct error *err);

/* Redact the current member and add it as rel (input name); a container is opened
 * and its members added below rel. */
static int do_member(struct job *j, struct archive_in *in, const char *rel, unsigned depth,
                     struct error *err)
{
	_cleanup_free_ char *name = NULL;
	char raw[600];
	int rc;

	name = redact_member_name(j->r, rel);
	if (!name)
		return error_set(err, -ENOMEM, rel, 0, "out of memory");
	if (!j->o->dry_run && strset_contains(&j->seen, name)) {
		notice(j, REDACT_NOTICE_DUPLICATE, rel);
		return 0;
	}
	rc = redact_member(j, in, rel, name, depth, raw, err);
	if (rc < 0)
		return rc;
	if (rc == 1)
		return nested(j, raw, rel, depth + 1, err);
	if (j->o->dry_run) {
		j->res->members++;
		return 0;
	}
	if (scanq_leaked(j->q))
		return 0; /* stop adding; the caller reports (a hint: the output is dropped) */
	if (j->in_file) {
		rc = archive_out_add_fd(j->ao, name, j->spill_fd, err);
	} else {
		/* written (tar header, digest, compression) on the archive's thread */
		size_t len;
		char *data = buf_detach(&j->mem, &len);

		rc = archive_out_add_take(j->ao, name, data, len, err);
	}
	if (rc < 0)
		return rc;
	j->res->members++;
	rc = strset_add(&j->seen, name) < 0 ? -ENOMEM : 0;
	return rc < 0 ? rc : side_members(j, err);
}

/* ---- compressed files and archives inside the input ------------------------------------ */

/* x.log.gz -> x.log; a name without a known suffix gets ".decompressed" */
static char *decompressed_name(const char *rel)
{
	static const char *const suffixes[] = { ".gz", ".gzip", ".zst", ".bz2", ".xz", ".z" };
	size_t n = strlen(rel);
	struct buf b = BUF_INIT;

	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		size_t m = strlen(suffixes[i]);

		if (n > m && strcasecmp(rel + n - m, suffixes[i]) == 0 && rel[n - m - 1] != '/')
			return strndup(rel, n - m);
	}
	if (buf_printf(&b, "%s.decompressed", rel) < 0)
		return NULL;
	return buf_detach(&b, NULL);
}

/* A container that cannot be redacted member by member is refused, named. */
static void refuse(struct job *j, const char *rel, const char *why)
{
	_cleanup_free_ char *name = redact_member_name(j->r, rel);
	struct leak_hit hit = { .line = 0 };

	snprintf(hit.kind, sizeof(hit.kind), "archive %s", why);
	note_leak(j, name ? name : rel, &hit);
}

/* The compressed file rel ended early (j->cut says where); what was inflated went
 * out, redacted, as inner: said on stderr, in redaction.json and in the manifest. */
static int note_truncated(struct job *j, const char *rel, const char *inner, struct error *err)
{
	_cleanup_free_ char *src = redact_member_name(j->r, rel),
	                    *out = redact_member_name(j->r, inner);
	char esc_src[600], esc_out[600], msg[1800];
	json_t *e;

	if (!src || !out)
		return error_set(err, -ENOMEM, rel, 0, "out of memory");
	text_escape(src, strlen(src), esc_src, sizeof(esc_src));
	text_escape(out, strlen(out), esc_out, sizeof(esc_out));
	snprintf(msg, sizeof(msg), "'%s' is %s; what was inflated is kept, redacted, as '%s'",
	         esc_src, j->cut.message, esc_out);
	notice(j, REDACT_NOTICE_TRUNCATED, msg);
	if (j->o->dry_run)
		return 0;
	if (!j->truncated && !(j->truncated = json_array()))
		return error_set(err, -ENOMEM, rel, 0, "out of memory");
	e = json_pack("{s:s,s:s,s:s}", "member", out, "source", src, "error", j->cut.message);
	if (!e || json_array_append_new(j->truncated, e) < 0)
		return error_set(err, -ENOMEM, rel, 0, "out of memory");
	return 0;
}

static int nested_member(struct job *j, struct archive_in *in, const struct archive_in_member *m,
                         const char *rel, unsigned depth, struct error *err)
{
	_cleanup_free_ char *clean = NULL, *inner = NULL;
	struct buf b = BUF_INIT;
	int rc;

	if (m->type != ARCHIVE_IN_FILE)
		return 0; /* links, devices: never followed, as in the input */
	if (archive_in_kind(in) != ARCHIVE_IN_ARCHIVE) {
		inner = decompressed_name(rel);
	} else {
		clean = archive_in_unsafe_name(m->path) ? NULL : archive_in_clean_path(m->path);
		if (!clean) {
			notice(j, REDACT_NOTICE_UNSAFE_NAME, m->path);
			return 0;
		}
		if (buf_printf(&b, "%s/%s", rel, clean) == 0)
			inner = buf_detach(&b, NULL);
		buf_release(&b);
	}
	if (!inner)
		return error_set(err, -ENOMEM, rel, 0, "out of memory");
	error_reset(&j->cut);
	rc = do_member(j, in, inner, depth, err);
	if (rc == 0 && j->cut.code)
		rc = note_truncated(j, rel, inner, err);
	return rc;
}

/* The container rel (its bytes in the temp file raw, removed here), member by
 * member, under the input's bounds. A container that cannot be read, or one
 * nested too deep, is refused by name (nothing is written). */
static int nested(struct job *j, const char *raw, const char *rel, unsigned depth,
                  struct error *err)
{
	struct archive_in_limits lim = job_limits(j, true);
	struct archive_in *in = NULL;
	const struct archive_in_member *m;
	struct error e = ERROR_INIT;
	bool named;
	int h, rc = 0;

	if (depth > NESTED_DEPTH_MAX) {
		unlink(raw);
		refuse(j, rel, "nested more than 3 deep");
		return 0;
	}
	rc = archive_in_open(raw, ARCHIVE_IN_LOOSE_FILE, &lim, &in, &e);
	unlink(raw);
	if (rc < 0) {
		archive_in_free(in);
		refuse(j, rel, "that cannot be opened");
		return rc == -ENOMEM ? rc : 0;
	}
	while (rc == 0 && (h = archive_in_next(in, &m, &e)) == 1)
		rc = nested_member(j, in, m, rel, depth, &e);
	named = rc < 0; /* a member's error names it; the reader's names a path inside */
	if (rc == 0 && h < 0)
		rc = h;
	archive_in_free(in);
	if (rc == -EIO) {
		/* truncated or corrupt inside: refused, the rest of the input goes on */
		refuse(j, rel, "unreadable (truncated, corrupt or encrypted)");
		return 0;
	}
	if (rc == -ERANGE && e.code && !named) {
		/* a bound of the whole input: named by the container it was hit in */
		char esc[600], where[600];

		text_escape(rel, strlen(rel), esc, sizeof(esc));
		text_escape(e.source, strlen(e.source), where, sizeof(where));
		return error_set(err, rc, rel, 0, "'%s' (at '%s' inside it): %s", esc, where,
		                 e.message);
	}
	if (rc < 0 && e.code)
		*err = e;
	return rc;
}

static int to_fd(void *userdata, const void *data, size_t len)
{
	return fd_write_all(*(int *)userdata, data, len);
}

/* A temp file in the job's folder, unlinked at once. */
static int temp_fd(struct job *j)
{
	char path[600];
	int fd;

	snprintf(path, sizeof(path), "%s/manifest.XXXXXX", j->tmpdir);
	fd = mkstemp(path);
	if (fd < 0)
		return -errno;
	unlink(path);
	return fd;
}

/* The input manifest goes to a temp file (a collector's manifest lists every
 * member: held in memory it would grow with their number). */
static int keep_manifest(struct job *j, struct archive_in *in, struct error *err)
{
	int rc;

	if (j->manifest_fd >= 0)
		close(j->manifest_fd);
	j->manifest_fd = temp_fd(j);
	if (j->manifest_fd < 0)
		return error_set(err, j->manifest_fd, "manifest.json", 0,
		                 "cannot make a temp file: %s", strerror(-j->manifest_fd));
	rc = archive_in_feed(in, to_fd, &j->manifest_fd, err);
	if (rc < 0)
		return error_set(err, rc, "manifest.json", 0, "cannot read '%s'", "manifest.json");
	return 0;
}

/* manifest.json and redaction.json of the input are kept aside for the end */
static int side_member(struct job *j, struct archive_in *in, const char *rel, bool *ret_taken,
                       struct error *err)
{
	struct buf *b = NULL;
	int rc;

	*ret_taken = false;
	if (strcmp(rel, "manifest.json") == 0) {
		*ret_taken = true;
		j->have_manifest = true;
		return keep_manifest(j, in, err);
	} else if (strcmp(rel, "redaction.json") == 0) {
		b = &j->redaction;
		j->have_redaction = true;
	} else {
		return 0;
	}
	*ret_taken = true;
	buf_reset(b);
	rc = archive_in_read_all(in, b, SIDE_DOC_MAX, err);
	if (rc < 0)
		return error_set(err, rc, rel, 0, "cannot read '%s'", rel);
	return 0;
}

/* ---- the two passes over the input ------------------------------------------------------- */

struct top_guess {
	char *top;
	bool common;
};

static void guess_top(struct top_guess *t, const char *rel)
{
	const char *slash = strchr(rel, '/');

	if (!slash) {
		t->common = false;
	} else if (t->common) {
		if (!t->top)
			t->top = strndup(rel, (size_t)(slash - rel));
		else if (strlen(t->top) != (size_t)(slash - rel) ||
		         strncmp(t->top, rel, (size_t)(slash - rel)) != 0)
			t->common = false;
	}
}

/* Pass 1 reads a member's head: the small YAML/JSON documents are learned, the
 * compressed files and archives inside the input opened as the main pass opens
 * them (a name only seen inside a nested zip is learned too), anything else is
 * not read on. */
struct learn_feed {
	struct job *j;
	const char *rel;
	bool doc;   /* a name to learn from, while it stays within LEARN_MAX */
	int raw_fd; /* a container, spooled */
	char raw_path[600];
	struct buf head; /* the first HEAD_MAX bytes, then the document */
};

#define LEARN_STOP (-ECANCELED) /* nothing more to read in this member */

/* Spool the container's bytes so far to a temp file; the rest follows there. */
static int learn_spool(struct learn_feed *f)
{
	snprintf(f->raw_path, sizeof(f->raw_path), "%s/nested.XXXXXX", f->j->tmpdir);
	f->raw_fd = mkstemp(f->raw_path);
	if (f->raw_fd < 0) {
		f->raw_path[0] = '\0';
		return -errno;
	}
	return fd_write_all(f->raw_fd, f->head.data, f->head.len);
}

static int learn_feed(void *userdata, const void *data, size_t len)
{
	struct learn_feed *f = userdata;
	bool deciding = f->head.len < HEAD_MAX;

	if (f->raw_fd >= 0)
		return fd_write_all(f->raw_fd, data, len);
	if (!deciding && (!f->doc || f->head.len + len > LEARN_MAX)) {
		f->doc = false; /* larger than a document worth learning from */
		return LEARN_STOP;
	}
	if (buf_append(&f->head, data, len) < 0)
		return -ENOMEM;
	if (!deciding || f->head.len < HEAD_MAX)
		return 0;
	if (container_magic((const unsigned char *)f->head.data, f->head.len))
		return learn_spool(f);
	if (!f->doc || f->head.len > LEARN_MAX) {
		f->doc = false;
		return LEARN_STOP;
	}
	return 0;
}

static int learn_nested(struct job *j, const char *raw, const char *rel, unsigned depth,
                        struct error *err);

/* The current member (input name rel): learned from, or opened when it is a
 * container. <0 only for a bound hit or out of memory (err set). */
static int learn_member(struct job *j, struct archive_in *in, const char *rel, unsigned depth,
                        struct error *err)
{
	struct learn_feed f = { .j = j, .rel = rel, .doc = learnable(rel), .raw_fd = -1 };
	struct error rerr = ERROR_INIT;
	int rc;

	buf_init(&f.head, 0);
	rc = archive_in_feed(in, learn_feed, &f, &rerr);
	if (rc == LEARN_STOP || rc == -EIO)
		rc = 0; /* read no further; a read error is the main pass's to tell */
	if (rc == 0 && f.raw_fd < 0 && f.head.len < HEAD_MAX &&
	    container_magic((const unsigned char *)f.head.data, f.head.len))
		rc = learn_spool(&f); /* a container shorter than HEAD_MAX */
	if (f.raw_fd >= 0) {
		if (close(f.raw_fd) < 0 && rc == 0)
			rc = -errno;
		if (rc == 0)
			rc = learn_nested(j, f.raw_path, rel, depth + 1, &rerr);
		unlink(f.raw_path);
	} else if (rc == 0 && f.doc && f.head.len) {
		redactor_learn(j->r, rel, f.head.data, f.head.len);
	}
	buf_release(&f.head);
	if (rc < 0 && rerr.code)
		*err = rerr;
	else if (rc < 0)
		error_set(err, rc, rel, 0, "cannot read '%s': %s", rel, strerror(-rc));
	return rc;
}

/* A container inside the input, for pass 1: under the same bounds as the main
 * pass; one that cannot be read or is nested too deep is left to the main pass. */
static int learn_nested(struct job *j, const char *raw, const char *rel, unsigned depth,
                        struct error *err)
{
	struct archive_in_limits lim = job_limits(j, true);
	struct archive_in *in = NULL;
	const struct archive_in_member *m;
	struct error e = ERROR_INIT;
	int h = 0, rc;

	if (depth > NESTED_DEPTH_MAX ||
	    archive_in_open(raw, ARCHIVE_IN_LOOSE_FILE, &lim, &in, &e) < 0)
		return 0;
	rc = 0;
	while (rc == 0 && (h = archive_in_next(in, &m, &e)) == 1) {
		_cleanup_free_ char *inner = NULL, *clean = NULL;
		struct buf b = BUF_INIT;

		if (m->type != ARCHIVE_IN_FILE)
			continue;
		if (archive_in_kind(in) != ARCHIVE_IN_ARCHIVE) {
			inner = decompressed_name(rel);
		} else {
			clean = archive_in_unsafe_name(m->path) ? NULL
			                                        : archive_in_clean_path(m->path);
			if (!clean)
				continue;
			if (buf_printf(&b, "%s/%s", rel, clean) == 0)
				inner = buf_detach(&b, NULL);
			buf_release(&b);
		}
		rc = inner ? learn_member(j, in, inner, depth, err) : -ENOMEM;
	}
	archive_in_free(in);
	if (rc == 0 && h == -ERANGE) {
		*err = e;
		rc = h;
	}
	return rc == -ENOMEM ? error_set(err, rc, rel, 0, "out of memory") : rc;
}

/* Pass 1 (--pseudonymize): the names to learn; for an archive also the common top
 * folder and the newest time. */
static int prepass(struct job *j, struct error *err)
{
	struct archive_in *in = NULL;
	const struct archive_in_member *m;
	struct top_guess t = { NULL, true };
	int h, rc;

	rc = open_input(j, &in, err);
	if (rc < 0)
		return rc;
	while ((h = archive_in_next(in, &m, err)) == 1) {
		_cleanup_free_ char *rel = NULL;

		if (m->type != ARCHIVE_IN_FILE || m->open_errno || skipped(j, m))
			continue;
		rel = archive_in_unsafe_name(m->path) ? NULL : archive_in_clean_path(m->path);
		if (!rel)
			continue;
		if (j->kind == ARCHIVE_IN_ARCHIVE) {
			if (m->mtime > j->mtime)
				j->mtime = m->mtime;
			guess_top(&t, rel);
		}
		if ((rc = learn_member(j, in, rel, 0, err)) < 0)
			break;
	}
	archive_in_free(in);
	if (rc < 0) {
		free(t.top);
		return rc;
	}
	j->top_in = strdup(j->kind == ARCHIVE_IN_ARCHIVE && t.common && t.top ? t.top : "");
	free(t.top);
	if (h < 0)
		return h;
	return j->top_in ? 0 : -ENOMEM;
}

static int pass_member(struct job *j, struct archive_in *in, const struct archive_in_member *m,
                       struct error *err)
{
	_cleanup_free_ char *rel = NULL;
	const char *r;
	bool taken;
	int rc;

	if (m->type == ARCHIVE_IN_LINK || m->type == ARCHIVE_IN_SPECIAL) {
		/* links, devices, fifos, sockets: never followed, never opened; named */
		char what[1200];

		archive_in_describe(m, what, sizeof(what));
		notice(j, REDACT_NOTICE_NOT_FILE, what);
		return 0;
	}
	if (m->type != ARCHIVE_IN_FILE || skipped(j, m))
		return 0;
	if (m->open_errno)
		return error_set(err, -m->open_errno, m->path, 0, "cannot open '%s/%s': %s",
		                 j->o->in, m->path, strerror(m->open_errno));
	rel = archive_in_unsafe_name(m->path) ? NULL : archive_in_clean_path(m->path);
	if (!rel) {
		notice(j, REDACT_NOTICE_UNSAFE_NAME, m->path);
		return 0;
	}
	r = strip_top(j, rel);
	if (j->kind == ARCHIVE_IN_LOOSE && archive_in_compressed(in)) {
		/* one compressed file given as the input: named as one inside a folder is
		 * (x.log.gz -> x.log), its content being the inflated bytes */
		char *plain = decompressed_name(r);

		if (!plain)
			return error_set(err, -ENOMEM, rel, 0, "out of memory");
		free(rel);
		rel = plain;
		r = rel;
	}
	rc = side_member(j, in, r, &taken, err);
	if (rc < 0 || taken)
		return rc;
	return do_member(j, in, r, 0, err);
}

static int main_pass(struct job *j, struct error *err)
{
	struct archive_in *in = NULL;
	const struct archive_in_member *m;
	int h = 0, rc;

	rc = open_input(j, &in, err);
	if (rc < 0)
		return rc;
	if (j->kind != ARCHIVE_IN_ARCHIVE && !j->top_in) {
		j->top_in = strdup("");
		if (!j->top_in)
			rc = -ENOMEM;
	}
	/* after a leak the scan goes on, so that one run lists every hit */
	while (rc == 0 && (h = archive_in_next(in, &m, err)) == 1)
		rc = pass_member(j, in, m, err);
	if (rc == 0 && h < 0)
		rc = h;
	archive_in_free(in);
	return rc;
}

/* ---- redaction.json and manifest.json ------------------------------------------------------ */

/* This run's report plus the counts of an earlier redaction of the same bundle. */
static json_t *merged_report(struct job *j)
{
	json_t *rep = redactor_report_json(j->r), *old, *rules, *it;
	json_error_t jerr;
	size_t i;

	if (rep && j->truncated)
		json_object_set(rep, "truncated", j->truncated);
	if (!rep || !j->have_redaction)
		return rep;
	old = json_loadb(j->redaction.data ? j->redaction.data : "", j->redaction.len, 0, &jerr);
	rules = json_object_get(rep, "rules");
	json_array_foreach(json_object_get(old, "rules"), i, it)
	{
		const char *name = json_string_value(json_object_get(it, "rule"));
		json_t *mine = NULL, *r2, *members = json_object_get(it, "members");
		size_t k;
		const char *m;
		json_t *c;

		if (!name)
			continue;
		json_array_foreach(rules, k,
		                   r2) if (json_string_value(json_object_get(r2, "rule")) &&
		                           strcmp(json_string_value(json_object_get(r2, "rule")),
		                                  name) == 0) mine = r2;
		if (!mine) {
			mine = json_pack("{s:s,s:s,s:i,s:{}}", "rule", name, "kind",
			                 json_string_value(json_object_get(it, "kind"))
			                         ? json_string_value(json_object_get(it, "kind"))
			                         : "earlier",
			                 "count", 0, "members");
			if (!mine)
				continue;
			json_array_append_new(rules, mine);
		}
		json_object_foreach(members, m, c)
		{
			_cleanup_free_ char *pm = redact_member_name(j->r, m);
			json_t *cur;

			if (!pm || !json_is_integer(c))
				continue;
			cur = json_object_get(json_object_get(mine, "members"), pm);
			json_object_set_new(
			        json_object_get(mine, "members"), pm,
			        json_integer(json_integer_value(cur) + json_integer_value(c)));
			json_object_set_new(
			        mine, "count",
			        json_integer(json_integer_value(json_object_get(mine, "count")) +
			                     json_integer_value(c)));
		}
	}
	if (json_is_array(json_object_get(old, "truncated"))) {
		json_t *t = json_object_get(rep, "truncated");

		if (!t)
			json_object_set_new(rep, "truncated", (t = json_array()));
		json_array_extend(t, json_object_get(old, "truncated"));
	}
	if (json_is_object(json_object_get(old, "capture_cut"))) {
		static const char *const keys[] = { "captures", "frames", "bytes" };
		json_t *o = json_object_get(old, "capture_cut"),
		       *n = json_object_get(rep, "capture_cut");

		if (!n)
			json_object_set_new(rep, "capture_cut", (n = json_object()));
		for (size_t k = 0; k < 3; k++)
			json_object_set_new(
			        n, keys[k],
			        json_integer(json_integer_value(json_object_get(n, keys[k])) +
			                     json_integer_value(json_object_get(o, keys[k]))));
	}
	if (json_is_integer(json_object_get(old, "dropped_certificates")))
		json_object_set_new(
		        rep, "dropped_certificates",
		        json_integer(
		                json_integer_value(json_object_get(rep, "dropped_certificates")) +
		                json_integer_value(json_object_get(old, "dropped_certificates"))));
	json_decref(old);
	return rep;
}

static int add_doc(struct job *j, const char *name, const char *text, size_t len, struct error *err)
{
	int rc = sync_scan(j);
	bool leaked = j->res->leaked;

	if (rc == 0)
		rc = leak_scan_begin(name, &j->scan);

	if (rc == 0)
		rc = leak_scan_write(j->scan, text, len);
	if (rc < 0)
		return error_set(err, rc, name, 0, "out of memory");
	end_scan(j, name);
	if (j->res->leaked && !leaked)
		return 0;
	return archive_out_add(j->ao, name, text, len, err);
}

static int write_redaction(struct job *j, struct error *err)
{
	json_t *rep = merged_report(j);
	char *text;
	int rc;

	if (!rep)
		return error_set(err, -ENOMEM, "redaction.json", 0, "out of memory");
	text = json_dumps(rep, JSON_INDENT(2) | JSON_SORT_KEYS);
	json_decref(rep);
	if (!text)
		return error_set(err, -ENOMEM, "redaction.json", 0, "out of memory");
	rc = add_doc(j, "redaction.json", text, strlen(text), err);
	free(text);
	if (rc == 0)
		rc = strset_add(&j->seen, "redaction.json") < 0 ? -ENOMEM : 0;
	return rc;
}

/* A member that was cut short (a truncated gzip inside the input) says so
 * (manifest_out annotate()). */
static int mark_truncated(void *userdata, json_t *artifact, const char *path)
{
	const struct job *j = userdata;
	size_t i;
	json_t *t;

	json_array_foreach(j->truncated, i, t)
	{
		const char *m = json_string_value(json_object_get(t, "member"));

		if (m && strcmp(m, path) == 0) {
			json_t *why = json_object_get(t, "error");

			if (json_object_set_new(artifact, "truncated", json_true()) < 0 ||
			    (why && json_object_set(artifact, "error", why) < 0))
				return -ENOMEM;
			return 0;
		}
	}
	return 0;
}

/* Writes to a file through a buffer (the redactor hands on line by line). */
struct fd_out {
	int fd;
	struct buf b;
};

static int to_fd_buffered(void *userdata, const void *data, size_t len)
{
	struct fd_out *o = userdata;
	int rc = buf_append(&o->b, data, len);

	if (rc == 0 && o->b.len >= sizeof(((struct job *)NULL)->wbuf)) {
		rc = fd_write_all(o->fd, o->b.data, o->b.len);
		buf_reset(&o->b);
	}
	return rc;
}

/* The input manifest, redacted like any member (argv, URLs, host names), into a
 * temp file; the fd or -errno. */
static int redact_manifest(struct job *j)
{
	struct redact_stream *s = NULL;
	char chunk[65536];
	int fd = temp_fd(j), rc;
	struct fd_out o = { .fd = fd };
	ssize_t got;

	if (fd < 0)
		return fd;
	rc = lseek(j->manifest_fd, 0, SEEK_SET) < 0 ? -errno : 0;
	if (rc == 0)
		rc = redact_stream_begin(j->r, "manifest.json", &s);
	while (rc == 0 && (got = read(j->manifest_fd, chunk, sizeof(chunk))) != 0) {
		if (got < 0 && errno == EINTR)
			continue;
		rc = got < 0 ? -errno
		             : redact_stream_write(s, chunk, (size_t)got, to_fd_buffered, &o);
	}
	if (s) {
		int end = redact_stream_end(s, to_fd_buffered, &o);

		rc = rc < 0 ? rc : end;
	}
	if (rc == 0 && o.b.len)
		rc = fd_write_all(fd, o.b.data, o.b.len);
	buf_release(&o.b);
	if (rc < 0) {
		close(fd);
		return rc;
	}
	return fd;
}

static bool in_output(void *userdata, const char *path)
{
	const struct job *j = userdata;

	return strset_contains(&j->seen, path);
}

/* The redacted text (fd) as it is: not a manifest of ours. */
static int copy_as_is(struct job *j, int fd)
{
	char chunk[65536];
	ssize_t got;
	int rc = lseek(fd, 0, SEEK_SET) < 0 ? -errno : 0;

	while (rc == 0 && (got = read(fd, chunk, sizeof(chunk))) != 0) {
		if (got < 0 && errno == EINTR)
			continue;
		rc = got < 0 ? -errno : on_output(j, chunk, (size_t)got);
	}
	return rc;
}

/* manifest.json with the output's sizes and digests, streamed through the spill
 * and the leak scan like a member (manifest_out.c). */
static int write_manifest(struct job *j, struct error *err)
{
	const struct archive_out_member *mem;
	struct manifest_out mo = { .in_output = in_output,
		                   .annotate = mark_truncated,
		                   .userdata = j,
		                   .max_value = SIDE_DOC_MAX };
	int rc = sync_scan(j), fd;
	bool leaked = j->res->leaked;

	if (rc < 0)
		return error_set(err, rc, "manifest.json", 0, "cannot scan: %s", strerror(-rc));
	fd = redact_manifest(j);
	if (fd < 0)
		return error_set(err, fd, "manifest.json", 0, "cannot redact 'manifest.json': %s",
		                 strerror(-fd));
	if ((rc = archive_out_flush(j->ao, err)) < 0) {
		close(fd);
		return rc;
	}
	mem = archive_out_members(j->ao, &mo.n_members);
	mo.members = mem;
	rc = spill_reset(j);
	if (rc == 0)
		rc = leak_scan_begin("manifest.json", &j->scan);
	if (rc == 0)
		rc = manifest_out_write(&mo, fd, on_output, j);
	if (rc == 1) {
		/* not ours: keep it as redacted text */
		leak_scan_end(j->scan, NULL);
		j->scan = NULL;
		rc = spill_reset(j);
		if (rc == 0)
			rc = leak_scan_begin("manifest.json", &j->scan);
		if (rc == 0)
			rc = copy_as_is(j, fd);
	}
	close(fd);
	if (rc == 0 && j->in_file)
		rc = spill_flush(j);
	if (j->scan)
		end_scan(j, "manifest.json");
	if (rc < 0)
		return error_set(err, rc, "manifest.json", 0, "cannot write 'manifest.json': %s",
		                 strerror(-rc));
	if (j->res->leaked && !leaked)
		return 0;
	if (j->in_file)
		return archive_out_add_fd(j->ao, "manifest.json", j->spill_fd, err);
	return archive_out_add(j->ao, "manifest.json", j->mem.data ? j->mem.data : "", j->mem.len,
	                       err);
}

/* ---- the whole ------------------------------------------------------------------------- */

static void job_release(struct job *j)
{
	if (j->ao)
		archive_out_abort(j->ao);
	scanq_free(j->q);
	if (j->scan)
		leak_scan_end(j->scan, NULL);
	if (j->spill_fd >= 0)
		close(j->spill_fd);
	if (j->tmpdir[0])
		rmdir(j->tmpdir);
	buf_release(&j->mem);
	if (j->manifest_fd >= 0)
		close(j->manifest_fd);
	buf_release(&j->redaction);
	strset_release(&j->seen);
	free(j->top_in);
	json_decref(j->truncated);
}

static int job_init(struct job *j, struct error *err)
{
	const struct redact_bundle_options *o = j->o;
	struct stat st;

	if (stat(o->in, &st) < 0)
		return error_set(err, -errno, o->in, 0, "cannot open '%s': %s", o->in,
		                 strerror(errno));
	j->in_mtime = st.st_mtime;
	if (o->map_file && stat(o->map_file, &j->map_st) == 0)
		j->have_map_st = true;
	if (o->out && stat(o->out, &j->out_st) == 0)
		j->have_out_st = true;
	snprintf(j->tmpdir, sizeof(j->tmpdir), "%s/apigee-bundle-redact.XXXXXX",
	         o->tmpdir && *o->tmpdir ? o->tmpdir : "/tmp");
	if (!mkdtemp(j->tmpdir)) {
		int e = errno;

		j->tmpdir[0] = '\0';
		return error_set(err, -e, NULL, 0, "cannot make a temp folder: %s", strerror(e));
	}
	buf_init(&j->mem, 0);
	return 0;
}

static int open_output(struct job *j, struct error *err)
{
	_cleanup_free_ char *top_out = NULL;
	enum archive_out_format fmt = archive_out_format_from_path(j->o->out);

	if (fmt < 0)
		return error_set(err, -EINVAL, j->o->out, 0,
		                 "the output must end in .tar.gz, .tgz, .tar.zst or .tar");
	struct archive_out_options ao = { .level = j->o->level, .threads = j->o->threads };

	top_out = archive_out_top_from_path(j->o->out);
	if (!top_out)
		return error_set(err, -ENOMEM, NULL, 0, "out of memory");
	return archive_out_open_opts(j->o->out, top_out, fmt, j->mtime, &ao, &j->ao, err);
}

/* After the members: the two documents, then commit (or abort on a leak). */
static int finish(struct job *j, struct error *err)
{
	int rc = write_redaction(j, err);

	if (rc == 0 && !j->res->leaked && j->have_manifest)
		rc = write_manifest(j, err);
	if (rc < 0 || j->res->leaked)
		return rc;
	rc = redactor_save_map(j->r, err);
	if (rc < 0)
		return rc;
	rc = archive_out_commit(j->ao, err);
	j->ao = NULL;
	if (rc == 0)
		j->res->written = j->res->members + 1 + j->have_manifest;
	return rc;
}

int redact_bundle(struct redactor *r, const struct redact_bundle_options *opts,
                  struct redact_bundle_result *ret, struct error *err)
{
	struct job j;
	int rc;

	memset(&j, 0, sizeof(j));
	memset(ret, 0, sizeof(*ret));
	j.o = opts;
	j.r = r;
	j.res = ret;
	j.spill_fd = -1;
	j.manifest_fd = -1;
	if (!opts->dry_run && !opts->out)
		return error_set(err, -EINVAL, NULL, 0, "no output named");
	rc = job_init(&j, err);
	/* the first look costs one more decompression: only to learn names */
	if (rc == 0 && opts->pseudonymize)
		rc = prepass(&j, err);
	if (!j.mtime)
		j.mtime = j.in_mtime;
	if (rc == 0 && !opts->dry_run)
		rc = open_output(&j, err);
	if (rc == 0 && !opts->dry_run && (rc = scanq_open(note_hits, &j, &j.q)) < 0)
		error_set(err, rc, NULL, 0, "cannot start the leak scan: %s", strerror(-rc));
	if (rc == 0) {
		int src;

		rc = main_pass(&j, err);
		/* every member's verdict in (also after a failure: the result is ours) */
		src = sync_scan(&j);
		if (rc == 0 && src < 0)
			rc = error_set(err, src, opts->in, 0, "cannot scan: %s", strerror(-src));
	}
	if (rc == 0 && !opts->dry_run && !ret->leaked)
		rc = finish(&j, err);
	if (rc < 0 && !err->message[0])
		error_set(err, rc, opts->in, 0, "%s", strerror(-rc));
	if (rc < 0)
		redact_bundle_result_release(ret);
	job_release(&j);
	return rc;
}
