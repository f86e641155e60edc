/* apigee-bundle redact IN -o OUT [--rules FILE] [--dry-run] [--pseudonymize] [--map FILE]
 *
 * Re-redacts an existing bundle, a folder, or a tar / tar.gz / tar.zst of loose
 * files into a new archive, member by member, never extracting to disk:
 *
 *   1. a first look at the input (headers; with --pseudonymize also the small
 *      YAML/JSON members, to learn the org and project names): the common top
 *      folder, the newest time stamp;
 *   2. every member streams through the redactor into a spill (memory up to
 *      8 MiB, else an unlinked file in a private temp folder, since a tar header
 *      needs the size first) and through the leak scan at the same time; then
 *      into the archive (core/archive_out.c: temp file + rename);
 *   3. redaction.json (this run's counts merged with the input's), and
 *      manifest.json last with the new sizes and SHA-256s when the input had one;
 *   4. any leak-scan hit: no archive, the member, line and kind are named; exit 1.
 *
 * Exit status: 0 written (or --dry-run done); 1 leak or failure, nothing written;
 * 2 usage error. */
#include "redact.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <jansson.h>

#include "archive_out.h"
#include "buf.h"
#include "cleanup.h"
#include "commands.h"
#include "error.h"
#include "text.h"
#include "banned.h"

#define SPILL_MEM_MAX (8u << 20)
#define LEARN_MAX (4u << 20)
#define SIDE_DOC_MAX (64u << 20)
#define MAX_MEMBERS 200000
#define MAX_TOTAL (256ull << 30)
#define READ_CHUNK (256u << 10)

struct member_name {
	char *path; /* relative to the top folder */
};

struct job {
	const char *in;
	const char *out;
	bool is_dir;
	bool dry_run;
	bool pseudo;
	struct redactor *r;
	struct archive_out *ao;
	char *top_in; /* common top folder of the input ("" = none) */
	int64_t mtime;
	char tmpdir[512];
	int spill_fd;
	struct buf mem; /* the spill while small */
	bool in_file;   /* the spill went to spill_fd */
	char wbuf[1u << 16];
	size_t wlen;
	uint64_t spill_size;
	struct leak_scan *scan;
	struct buf manifest;  /* input manifest.json, raw */
	struct buf redaction; /* input redaction.json, raw */
	bool have_manifest, have_redaction;
	struct strv seen; /* output names written */
	uint64_t total_in;
	size_t members;
	struct stat map_st, out_st;
	bool have_map_st;
	/* leak */
	bool leaked;
	char leak_member[1024];
	struct leak_hit hit;
};

static void usage(FILE *f)
{
	fputs("usage: apigee-bundle redact IN -o OUT [--rules FILE] [--dry-run] [--pseudonymize] "
	      "[--map FILE]\n",
	      f);
}

static void help(void)
{
	usage(stdout);
	puts("\nRedact an existing bundle, an unpacked bundle folder, or a folder / tar / tar.gz\n"
	     "/ tar.zst of loose files into a new archive (.tar.gz, or .tar.zst / .tar by the\n"
	     "name of OUT), streaming member by member.\n\n"
	     "  -o, --output FILE   the archive to write (atomically)\n"
	     "  --rules FILE        extra rules: literals, regexes, key paths\n"
	     "                      (schemas/redact-rules.schema.json)\n"
	     "  --dry-run           list what would be redacted, per rule and member; write "
	     "nothing\n"
	     "  --pseudonymize      also replace IP addresses, host names, e-mail addresses, org\n"
	     "                      and project names by consistent tokens; drop certificates\n"
	     "  --map FILE          the pseudonym map to reuse and update (mode 0600); never\n"
	     "                      written into the bundle\n\n"
	     "A leak scan checks every member before the archive is finished; on a hit nothing\n"
	     "is written. Exit status: 0 ok; 1 leak or failure; 2 usage error.");
}

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

	if (j->dry_run)
		return 0;
	if ((rc = leak_scan_write(j->scan, data, len)) < 0)
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

/* A safe relative path: no absolute part, no "..", no empty result. Caller frees. */
static char *clean_path(const char *p)
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
	if (!b.len || b.len > ARCHIVE_OUT_MAX_PATH) {
		buf_release(&b);
		return NULL;
	}
	return buf_detach(&b, NULL);
}

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

static bool learnable(const char *rel, int64_t size)
{
	return size >= 0 && size <= (int64_t)LEARN_MAX &&
	       (ends_with(rel, ".yaml") || ends_with(rel, ".yml") || ends_with(rel, ".json"));
}

/* ---- input: folders ------------------------------------------------------------------- */

struct dir_list {
	struct strv rel;
};

static int walk_dir(struct job *j, const char *root, const char *rel, struct strv *out, int depth)
{
	struct buf path = BUF_INIT;
	struct dirent **names = NULL;
	int n, rc = 0;

	if (depth > 64)
		return 0;
	buf_printf(&path, "%s%s%s", root, *rel ? "/" : "", rel);
	n = scandir(path.data, &names, NULL, alphasort);
	if (n < 0) {
		rc = -errno;
		fprintf(stderr, "apigee-bundle redact: cannot read '%s': %s\n", path.data,
		        strerror(errno));
		buf_release(&path);
		return rc;
	}
	for (int i = 0; i < n; i++) {
		const char *nm = names[i]->d_name;
		struct buf child = BUF_INIT, full = BUF_INIT;
		struct stat st;

		if (rc == 0 && strcmp(nm, ".") != 0 && strcmp(nm, "..") != 0) {
			buf_printf(&child, "%s%s%s", rel, *rel ? "/" : "", nm);
			buf_printf(&full, "%s/%s", root, child.data);
			if (lstat(full.data, &st) == 0) {
				bool skip = (j->have_map_st && st.st_dev == j->map_st.st_dev &&
				             st.st_ino == j->map_st.st_ino) ||
				            (st.st_dev == j->out_st.st_dev &&
				             st.st_ino == j->out_st.st_ino);

				if (S_ISDIR(st.st_mode))
					rc = walk_dir(j, root, child.data, out, depth + 1);
				else if (S_ISREG(st.st_mode) && !skip) {
					if (out->n >= MAX_MEMBERS)
						rc = -ERANGE;
					else
						rc = strv_push(out, child.data);
					if (st.st_mtime > j->mtime)
						j->mtime = st.st_mtime;
				}
				/* links, devices, sockets: never followed */
			}
		}
		buf_release(&child);
		buf_release(&full);
		free(names[i]);
	}
	free(names);
	buf_release(&path);
	return rc;
}

/* ---- the redaction of one member ---------------------------------------------------------- */

static int read_fd_all(int fd, struct buf *b)
{
	char tmp[65536];
	ssize_t n;

	while ((n = read(fd, tmp, sizeof(tmp))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (buf_append(b, tmp, (size_t)n) < 0)
			return -ERANGE;
	}
	return 0;
}

typedef ssize_t (*read_fn)(void *src, void *buf, size_t len);

static ssize_t read_archive(void *src, void *buf, size_t len)
{
	la_ssize_t n = archive_read_data(src, buf, len);

	return n < 0 ? -EIO : (ssize_t)n;
}

static ssize_t read_fd(void *src, void *buf, size_t len)
{
	int fd = *(int *)src;
	ssize_t n;

	do
		n = read(fd, buf, len);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n;
}

/* Redact one member read through rd(src) and add it as rel (input name). */
static int do_member(struct job *j, const char *rel, read_fn rd, void *src, struct error *err)
{
	_cleanup_free_ char *name = NULL;
	_cleanup_free_ char *chunk = malloc(READ_CHUNK);
	struct redact_stream *s = NULL;
	struct leak_hit hit;
	ssize_t n;
	int rc;

	if (!chunk)
		return error_set(err, -ENOMEM, rel, 0, "out of memory");
	name = redact_member_name(j->r, rel);
	if (!name)
		return error_set(err, -ENOMEM, rel, 0, "out of memory");
	if (!j->dry_run && strv_contains(&j->seen, name)) {
		fprintf(stderr, "apigee-bundle redact: '%s' appears twice; keeping the first\n",
		        rel);
		return 0;
	}
	if ((rc = spill_reset(j)) < 0)
		return error_set(err, rc, rel, 0, "cannot reset the spill file: %s", strerror(-rc));
	if (!j->dry_run && (rc = leak_scan_begin(name, &j->scan)) < 0)
		return error_set(err, rc, rel, 0, "out of memory");
	rc = redact_stream_begin(j->r, rel, &s);
	if (rc < 0) {
		leak_scan_end(j->scan, NULL);
		j->scan = NULL;
		return error_set(err, rc, rel, 0, "cannot redact '%s'", rel);
	}
	while ((n = rd(src, chunk, READ_CHUNK)) > 0) {
		j->total_in += (uint64_t)n;
		if (j->total_in > MAX_TOTAL) {
			rc = -ERANGE;
			break;
		}
		rc = redact_stream_write(s, chunk, (size_t)n, on_output, j);
		if (rc < 0)
			break;
	}
	if (n < 0 && rc == 0)
		rc = (int)n;
	if (rc == 0)
		rc = redact_stream_end(s, on_output, j);
	else
		redact_stream_end(s, on_output, j);
	if (rc == 0 && j->in_file)
		rc = spill_flush(j);
	if (j->dry_run) {
		j->members++;
		return rc < 0 ? error_set(err, rc, rel, 0, "cannot redact '%s': %s", rel,
		                          strerror(-rc))
		              : 0;
	}
	if (leak_scan_end(j->scan, &hit) == 1 && !j->leaked) {
		j->leaked = true;
		j->hit = hit;
		snprintf(j->leak_member, sizeof(j->leak_member), "%s", name);
	}
	j->scan = NULL;
	if (rc < 0)
		return error_set(err, rc, rel, 0, "cannot redact '%s': %s", rel,
		                 rc == -ERANGE ? "input too big" : strerror(-rc));
	if (j->leaked)
		return 0; /* stop adding; the caller reports */
	if (j->in_file)
		rc = archive_out_add_fd(j->ao, name, j->spill_fd, err);
	else
		rc = archive_out_add(j->ao, name, j->mem.data ? j->mem.data : "", j->mem.len, err);
	if (rc < 0)
		return rc;
	j->members++;
	return strv_push(&j->seen, name);
}

/* manifest.json and redaction.json of the input are kept aside for the end */
static int side_member(struct job *j, const char *rel, read_fn rd, void *src, bool *ret_taken)
{
	struct buf *b = NULL;
	char tmp[65536];
	ssize_t n;

	*ret_taken = false;
	if (strcmp(rel, "manifest.json") == 0) {
		b = &j->manifest;
		j->have_manifest = true;
	} else if (strcmp(rel, "redaction.json") == 0) {
		b = &j->redaction;
		j->have_redaction = true;
	} else {
		return 0;
	}
	*ret_taken = true;
	buf_reset(b);
	buf_init(b, SIDE_DOC_MAX);
	while ((n = rd(src, tmp, sizeof(tmp))) > 0)
		if (buf_append(b, tmp, (size_t)n) < 0)
			return -ERANGE;
	return n < 0 ? (int)n : 0;
}

/* ---- the two passes over an archive ---------------------------------------------------- */

static struct archive *open_archive(const char *path, struct error *err)
{
	struct archive *a = archive_read_new();

	if (!a) {
		error_set(err, -ENOMEM, path, 0, "out of memory");
		return NULL;
	}
	archive_read_support_filter_all(a);
	archive_read_support_format_tar(a);
	archive_read_support_format_gnutar(a);
	if (archive_read_open_filename(a, path, 1u << 16) != ARCHIVE_OK) {
		error_set(err, -EINVAL, path, 0, "cannot read '%s': %s", path,
		          archive_error_string(a) ? archive_error_string(a) : "not an archive");
		archive_read_free(a);
		return NULL;
	}
	return a;
}

/* Pass 1: the common top folder, the newest time, and the names to learn. */
static int archive_prepass(struct job *j, struct error *err)
{
	struct archive *a = open_archive(j->in, err);
	struct archive_entry *e;
	char *top = NULL;
	bool common = true;
	size_t count = 0;
	int h, rc = 0;

	if (!a)
		return err->code ? err->code : -EINVAL;
	while ((h = archive_read_next_header(a, &e)) == ARCHIVE_OK || h == ARCHIVE_WARN) {
		_cleanup_free_ char *rel = NULL;
		const char *slash;

		if (archive_entry_filetype(e) != AE_IFREG)
			continue;
		if (++count > MAX_MEMBERS) {
			rc = error_set(err, -ERANGE, j->in, 0, "more than %d members", MAX_MEMBERS);
			break;
		}
		rel = clean_path(archive_entry_pathname(e) ? archive_entry_pathname(e) : "");
		if (!rel)
			continue;
		if (archive_entry_mtime(e) > j->mtime)
			j->mtime = archive_entry_mtime(e);
		slash = strchr(rel, '/');
		if (!slash) {
			common = false;
		} else if (common) {
			if (!top)
				top = strndup(rel, (size_t)(slash - rel));
			else if (strlen(top) != (size_t)(slash - rel) ||
			         strncmp(top, rel, (size_t)(slash - rel)) != 0)
				common = false;
		}
		if (j->pseudo && learnable(rel, archive_entry_size(e))) {
			struct buf b = BUF_INIT;
			char tmp[65536];
			la_ssize_t n;

			buf_init(&b, LEARN_MAX);
			while ((n = archive_read_data(a, tmp, sizeof(tmp))) > 0)
				if (buf_append(&b, tmp, (size_t)n) < 0)
					break;
			redactor_learn(j->r, rel, b.data, b.len);
			buf_release(&b);
		}
	}
	if (rc == 0 && h != ARCHIVE_EOF)
		rc = error_set(err, -EIO, j->in, 0, "cannot read '%s': %s", j->in,
		               archive_error_string(a) ? archive_error_string(a)
		                                       : "broken archive");
	archive_read_free(a);
	j->top_in = strdup(common && top ? top : "");
	free(top);
	if (!j->top_in && rc == 0)
		rc = -ENOMEM;
	return rc;
}

static int archive_pass(struct job *j, struct error *err)
{
	struct archive *a = open_archive(j->in, err);
	struct archive_entry *e;
	int h = ARCHIVE_EOF, rc = 0;

	if (!a)
		return err->code ? err->code : -EINVAL;
	while (rc == 0 && !j->leaked &&
	       ((h = archive_read_next_header(a, &e)) == ARCHIVE_OK || h == ARCHIVE_WARN)) {
		_cleanup_free_ char *rel = NULL;
		const char *r;
		bool taken;

		if (archive_entry_filetype(e) != AE_IFREG)
			continue;
		rel = clean_path(archive_entry_pathname(e) ? archive_entry_pathname(e) : "");
		if (!rel) {
			fprintf(stderr, "apigee-bundle redact: skipping unsafe member name\n");
			continue;
		}
		r = strip_top(j, rel);
		rc = side_member(j, r, read_archive, a, &taken);
		if (rc < 0) {
			rc = error_set(err, rc, r, 0, "cannot read '%s'", r);
			break;
		}
		if (!taken)
			rc = do_member(j, r, read_archive, a, err);
	}
	if (rc == 0 && !j->leaked && h != ARCHIVE_EOF)
		rc = error_set(err, -EIO, j->in, 0, "cannot read '%s': %s", j->in,
		               archive_error_string(a) ? archive_error_string(a)
		                                       : "broken archive");
	archive_read_free(a);
	return rc;
}

static int dir_pass(struct job *j, struct error *err)
{
	struct strv files = STRV_INIT;
	int rc;

	rc = walk_dir(j, j->in, "", &files, 0);
	if (rc < 0) {
		strv_release(&files);
		return error_set(err, rc, j->in, 0, "cannot read the folder '%s'", j->in);
	}
	j->top_in = strdup("");
	/* learn names first (small YAML/JSON files) */
	for (size_t i = 0; i < files.n && j->pseudo; i++) {
		struct buf full = BUF_INIT, b = BUF_INIT;
		struct stat st;
		int fd;

		buf_printf(&full, "%s/%s", j->in, files.v[i]);
		fd = open(full.data, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd >= 0 && fstat(fd, &st) == 0 && learnable(files.v[i], st.st_size)) {
			buf_init(&b, LEARN_MAX + 1);
			if (read_fd_all(fd, &b) == 0)
				redactor_learn(j->r, files.v[i], b.data, b.len);
		}
		if (fd >= 0)
			close(fd);
		buf_release(&b);
		buf_release(&full);
	}
	for (size_t i = 0; i < files.n && rc == 0 && !j->leaked; i++) {
		struct buf full = BUF_INIT;
		bool taken;
		int fd;

		buf_printf(&full, "%s/%s", j->in, files.v[i]);
		fd = open(full.data, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0) {
			rc = error_set(err, -errno, files.v[i], 0, "cannot open '%s': %s",
			               full.data, strerror(errno));
			buf_release(&full);
			break;
		}
		rc = side_member(j, files.v[i], read_fd, &fd, &taken);
		if (rc < 0)
			rc = error_set(err, rc, files.v[i], 0, "cannot read '%s'", files.v[i]);
		else if (!taken)
			rc = do_member(j, files.v[i], read_fd, &fd, err);
		close(fd);
		buf_release(&full);
	}
	strv_release(&files);
	return rc;
}

/* ---- redaction.json and manifest.json ------------------------------------------------------ */

/* This run's report plus the counts of an earlier redaction of the same bundle. */
static json_t *merged_report(struct job *j)
{
	json_t *rep = redactor_report_json(j->r), *old, *rules, *it;
	json_error_t jerr;
	size_t i;

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
	struct leak_hit hit;

	if (leak_scan_buffer(text, len, &hit) == 1) {
		j->leaked = true;
		j->hit = hit;
		snprintf(j->leak_member, sizeof(j->leak_member), "%s", name);
		return 0;
	}
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
		rc = strv_push(&j->seen, "redaction.json");
	return rc;
}

static int write_manifest(struct job *j, struct error *err)
{
	struct buf red = BUF_INIT;
	json_error_t jerr;
	json_t *m = NULL, *arts, *it;
	const struct archive_out_member *mem;
	size_t n, i;
	char *text = NULL;
	int rc;

	/* the manifest is redacted like any member (argv, URLs, host names) */
	rc = redact_buffer(j->r, "manifest.json", j->manifest.data ? j->manifest.data : "",
	                   j->manifest.len, &red, err);
	if (rc < 0)
		return rc;
	m = json_loadb(red.data ? red.data : "", red.len, 0, &jerr);
	if (!m || !json_is_object(m)) {
		/* not ours: keep it as redacted text */
		rc = add_doc(j, "manifest.json", red.data ? red.data : "", red.len, err);
		goto out;
	}
	arts = json_object_get(m, "artifacts");
	if (!json_is_array(arts)) {
		arts = json_array();
		json_object_set_new(m, "artifacts", arts);
	}
	mem = archive_out_members(j->ao, &n);
	for (size_t k = 0; k < n; k++) {
		json_t *found = NULL;

		json_array_foreach(arts, i, it)
		{
			const char *p = json_string_value(json_object_get(it, "path"));

			if (p && strcmp(p, mem[k].path) == 0) {
				found = it;
				break;
			}
		}
		if (!found) {
			found = json_pack("{s:s,s:{s:s},s:s}", "path", mem[k].path, "source",
			                  "type", "collector", "status", "ok");
			if (!found || json_array_append_new(arts, found) < 0) {
				rc = error_set(err, -ENOMEM, "manifest.json", 0, "out of memory");
				goto out;
			}
		}
		json_object_set_new(found, "size", json_integer((json_int_t)mem[k].size));
		json_object_set_new(found, "sha256", json_string(mem[k].sha256));
	}
	/* entries whose member is not in the output any more lose their hash */
	json_array_foreach(arts, i, it)
	{
		const char *p = json_string_value(json_object_get(it, "path"));

		if (p && json_object_get(it, "sha256") && !strv_contains(&j->seen, p)) {
			json_object_del(it, "sha256");
			json_object_del(it, "size");
		}
	}
	text = json_dumps(m, JSON_INDENT(2));
	if (!text) {
		rc = error_set(err, -ENOMEM, "manifest.json", 0, "out of memory");
		goto out;
	}
	rc = add_doc(j, "manifest.json", text, strlen(text), err);
out:
	free(text);
	json_decref(m);
	buf_release(&red);
	return rc;
}

/* ---- dry run ------------------------------------------------------------------------------- */

static void print_dry_run(struct job *j)
{
	json_t *rep = redactor_report_json(j->r), *it;
	size_t i;
	uint64_t total = 0;

	printf("%-36s %-14s %8s  %s\n", "RULE", "KIND", "COUNT", "MEMBER");
	json_array_foreach(json_object_get(rep, "rules"), i, it)
	{
		const char *m;
		json_t *c;

		json_object_foreach(json_object_get(it, "members"), m, c)
		{
			char esc[300];

			text_escape(m, strlen(m), esc, sizeof(esc));
			printf("%-36s %-14s %8lld  %s\n",
			       json_string_value(json_object_get(it, "rule")),
			       json_string_value(json_object_get(it, "kind")),
			       (long long)json_integer_value(c), esc);
			total += (uint64_t)json_integer_value(c);
		}
	}
	printf("%llu values in %zu members would be redacted%s (dry run: nothing written)\n",
	       (unsigned long long)total, j->members,
	       json_is_true(json_object_get(rep, "pseudonymized")) ? " or pseudonymized" : "");
	json_decref(rep);
}

/* ---- the command ------------------------------------------------------------------------- */

static void job_release(struct job *j)
{
	if (j->spill_fd >= 0)
		close(j->spill_fd);
	if (j->tmpdir[0])
		rmdir(j->tmpdir);
	buf_release(&j->mem);
	buf_release(&j->manifest);
	buf_release(&j->redaction);
	strv_release(&j->seen);
	free(j->top_in);
	redactor_free(j->r);
}

int cmd_redact(int argc, char **argv, struct context *ctx)
{
	enum {
		OPT_RULES = 0x100,
		OPT_DRY,
		OPT_PSEUDO,
		OPT_MAP
	};
	static const struct option opts[] = {
		{ "dry-run", no_argument, NULL, OPT_DRY },
		{ "help", no_argument, NULL, 'h' },
		{ "map", required_argument, NULL, OPT_MAP },
		{ "output", required_argument, NULL, 'o' },
		{ "pseudonymize", no_argument, NULL, OPT_PSEUDO },
		{ "rules", required_argument, NULL, OPT_RULES },
		{ NULL, 0, NULL, 0 },
	};
	struct redact_options ro = { 0 };
	struct error err = ERROR_INIT;
	struct job j;
	struct stat st;
	enum archive_out_format fmt = ARCHIVE_OUT_TAR_GZ;
	_cleanup_free_ char *top_out = NULL;
	const char *tmp = getenv("TMPDIR");
	char msg[1200];
	int c, rc = 0, ret = EXIT_FINDINGS;

	(void)ctx;
	memset(&j, 0, sizeof(j));
	j.spill_fd = -1;
	while ((c = getopt_long(argc, argv, "ho:", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			help();
			return EXIT_OK;
		case 'o':
			j.out = optarg;
			break;
		case OPT_RULES:
			ro.rules_file = optarg;
			break;
		case OPT_DRY:
			ro.dry_run = j.dry_run = true;
			break;
		case OPT_PSEUDO:
			ro.pseudonymize = j.pseudo = true;
			break;
		case OPT_MAP:
			ro.map_file = optarg;
			break;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (argc - optind != 1 || (!j.out && !j.dry_run)) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (ro.map_file && !ro.pseudonymize) {
		fputs("apigee-bundle redact: --map needs --pseudonymize\n", stderr);
		return EXIT_USAGE;
	}
	j.in = argv[optind];
	if (j.out) {
		fmt = archive_out_format_from_path(j.out);
		if (fmt < 0) {
			fprintf(stderr,
			        "apigee-bundle redact: '%s': the output must end in .tar.gz, .tgz, "
			        ".tar.zst or .tar\n",
			        j.out);
			return EXIT_USAGE;
		}
	}
	if (stat(j.in, &st) < 0) {
		fprintf(stderr, "apigee-bundle redact: cannot open '%s': %s\n", j.in,
		        strerror(errno));
		return EXIT_USAGE;
	}
	j.is_dir = S_ISDIR(st.st_mode);
	if (ro.map_file && stat(ro.map_file, &j.map_st) == 0)
		j.have_map_st = true;
	if (j.out && stat(j.out, &j.out_st) < 0)
		memset(&j.out_st, 0xff, sizeof(j.out_st));
	if (ro.map_file && j.out && strcmp(ro.map_file, j.out) == 0) {
		fputs("apigee-bundle redact: --map and -o name the same file\n", stderr);
		return EXIT_USAGE;
	}

	rc = redactor_new(&ro, &j.r, &err);
	if (rc < 0) {
		error_format(&err, msg, sizeof(msg));
		fprintf(stderr, "apigee-bundle redact: %s\n", msg);
		return rc == -EINVAL ? EXIT_USAGE : EXIT_FINDINGS;
	}
	snprintf(j.tmpdir, sizeof(j.tmpdir), "%s/apigee-bundle-redact.XXXXXX",
	         tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(j.tmpdir)) {
		fprintf(stderr, "apigee-bundle redact: cannot make a temp folder: %s\n",
		        strerror(errno));
		j.tmpdir[0] = '\0';
		goto out;
	}
	buf_init(&j.mem, 0);

	/* the first look costs one more decompression: only to learn names */
	if (!j.is_dir && j.pseudo && (rc = archive_prepass(&j, &err)) < 0)
		goto fail;
	if (!j.mtime)
		j.mtime = st.st_mtime;
	if (!j.dry_run) {
		top_out = archive_out_top_from_path(j.out);
		if (!top_out) {
			rc = error_set(&err, -ENOMEM, NULL, 0, "out of memory");
			goto fail;
		}
		rc = archive_out_open(j.out, top_out, fmt, j.mtime, &j.ao, &err);
		if (rc < 0)
			goto fail;
	}
	rc = j.is_dir ? dir_pass(&j, &err) : archive_pass(&j, &err);
	if (rc < 0)
		goto fail;
	if (j.dry_run) {
		print_dry_run(&j);
		ret = EXIT_OK;
		goto out;
	}
	if (!j.leaked)
		rc = write_redaction(&j, &err);
	if (rc == 0 && !j.leaked && j.have_manifest)
		rc = write_manifest(&j, &err);
	if (rc < 0)
		goto fail;
	if (j.leaked) {
		text_escape(j.leak_member, strlen(j.leak_member), msg, sizeof(msg));
		fprintf(stderr,
		        "apigee-bundle redact: leak scan: %s:%u: %s is still there; no archive "
		        "written\n",
		        msg, j.hit.line, j.hit.kind);
		archive_out_abort(j.ao);
		j.ao = NULL;
		goto out;
	}
	rc = redactor_save_map(j.r, &err);
	if (rc < 0)
		goto fail;
	rc = archive_out_commit(j.ao, &err);
	j.ao = NULL;
	if (rc < 0)
		goto fail;
	fprintf(stderr, "apigee-bundle redact: %zu members written to %s\n",
	        j.members + 1 + j.have_manifest, j.out);
	ret = EXIT_OK;
	goto out;
fail:
	error_format(&err, msg, sizeof(msg));
	fprintf(stderr, "apigee-bundle redact: %s%s\n", msg,
	        j.dry_run ? "" : "; no archive written");
	if (j.ao)
		archive_out_abort(j.ao);
	j.ao = NULL;
out:
	job_release(&j);
	return ret;
}
