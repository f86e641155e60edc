/* SPDX-License-Identifier: Apache-2.0 */
/* The per-bundle pipeline of analyze (open, check, no-evidence note) shared by the
 * single-input report, the fleet mode and diff; and the fleet mode's pieces that
 * do not print: folders of bundles, the bundle's identity, one JSON line per
 * bundle whose "report" is the document of 'analyze --format json' itself. */
#include "fleet.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "archive_in.h"
#include "buf.h"
#include "bundle.h"
#include "checks.h"
#include "commands.h"
#include "error.h"
#include "redact.h"
#include "report.h"
#include "report_impl.h"
#include "banned.h"

int analyze_note_no_evidence(const struct bundle *b, struct findings *fs)
{
	struct warning *w;
	int r = 0;

	if (!fs->n)
		return 0;
	for (size_t i = 0; i < fs->n; i++)
		if (fs->items[i].status != STATUS_SKIP)
			return 0;
	w = findings_add_warning(fs, WARNING_NO_EVIDENCE);
	if (!w)
		return -ENOMEM;
	for (size_t i = 0; i < b->n_artifacts && r >= 0; i++)
		r = warning_add_member(w, b->artifacts[i].path,
		                       artifact_kind_name(b->artifacts[i].kind));
	if (r < 0)
		return r;
	/* first: move the new warning to the front */
	if (fs->n_warnings > 1) {
		struct warning tmp = fs->warnings[fs->n_warnings - 1];

		memmove(fs->warnings + 1, fs->warnings,
		        (fs->n_warnings - 1) * sizeof(fs->warnings[0]));
		fs->warnings[0] = tmp;
	}
	/* exit 3 only when nothing read was even recognised as a kind of evidence; a
	 * recognised file that no check can use alone (overrides.yaml without the
	 * routes) is usable input, merely not enough */
	for (size_t i = 0; i < b->n_artifacts; i++)
		if (b->artifacts[i].kind != ART_TEXT && b->artifacts[i].kind != ART_BINARY &&
		    b->artifacts[i].kind != ART_UNKNOWN)
			return 0;
	return 1;
}

static int redact_one(struct redactor *r, char **text)
{
	char *red;

	if (!*text)
		return 0;
	red = redact_text(r, *text);
	if (!red)
		return -ENOMEM;
	free(*text);
	*text = red;
	return 0;
}

int analyze_redact_findings(struct findings *fs)
{
	struct redact_options o = { 0 };
	struct error err = ERROR_INIT;
	struct redactor *r = NULL;
	int rc = redactor_new(&o, &r, &err);

	for (size_t i = 0; rc == 0 && i < fs->n; i++) {
		struct finding *f = &fs->items[i];

		rc = redact_one(r, &f->summary);
		for (size_t k = 0; rc == 0 && k < f->n_evidence; k++)
			rc = redact_one(r, &f->evidence[k].excerpt);
		for (size_t k = 0; rc == 0 && k < f->notes.n; k++)
			rc = redact_one(r, &f->notes.v[k]);
	}
	redactor_free(r);
	return rc;
}

int analyze_open_temp(const char *path, char **ret_tmp, FILE **ret_f)
{
	const char *slash = strrchr(path, '/');
	struct buf tmp = BUF_INIT;
	mode_t mask;
	int fd, r;
	FILE *f;

	if (slash)
		r = buf_printf(&tmp, "%.*s/.%s.XXXXXX", (int)(slash - path), path, slash + 1);
	else
		r = buf_printf(&tmp, ".%s.XXXXXX", path);
	if (r < 0)
		return r;
	fd = mkostemp(tmp.data, O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		buf_release(&tmp);
		return r;
	}
	mask = umask(0);
	umask(mask);
	if (fchmod(fd, 0666 & ~mask) < 0 || !(f = fdopen(fd, "w"))) {
		r = -errno;
		close(fd);
		unlink(tmp.data);
		buf_release(&tmp);
		return r;
	}
	*ret_f = f;
	*ret_tmp = buf_detach(&tmp, NULL);
	return 0;
}

int analyze_one(const char *input, const struct analyze_one_options *o, struct analyze_one *ret,
                struct error *err)
{
	int r;

	memset(ret, 0, sizeof(*ret));
	r = bundle_open(input, o->bundle, &ret->b, err);
	if (r < 0) {
		ret->b = NULL;
		if (!err->code)
			error_set(err, r, input, 0, "%s", strerror(-r));
		return EXIT_UNREADABLE;
	}
	error_reset(err);
	r = checks_run(ret->b, o->checks, o->n_checks, &ret->fs, err);
	if (r < 0) {
		findings_release(&ret->fs);
		memset(&ret->fs, 0, sizeof(ret->fs));
		bundle_free(ret->b);
		ret->b = NULL;
		if (!err->code)
			error_set(err, r, input, 0, "cannot run the checks: %s", strerror(-r));
		return EXIT_UNREADABLE;
	}
	r = analyze_note_no_evidence(ret->b, &ret->fs);
	if (r < 0)
		return r;
	ret->no_evidence = r > 0;
	if (analyze_redact_findings(&ret->fs) < 0)
		return -ENOMEM;
	if (ret->no_evidence)
		return EXIT_UNREADABLE;
	for (size_t i = 0; i < ret->fs.n; i++)
		if (ret->fs.items[i].status == STATUS_FAIL)
			return EXIT_FINDINGS;
	return EXIT_OK;
}

void analyze_one_release(struct analyze_one *one)
{
	if (!one)
		return;
	findings_release(&one->fs);
	bundle_free(one->b);
	memset(one, 0, sizeof(*one));
}

/* ---- folders of bundles ---------------------------------------------------------------------- */

static bool is_file(const char *dir, const char *name, const char *name2)
{
	char path[4096];
	struct stat st;
	int n;

	if (name2)
		n = snprintf(path, sizeof(path), "%s/%s/%s", dir, name, name2);
	else
		n = snprintf(path, sizeof(path), "%s/%s", dir, name);
	return n > 0 && (size_t)n < sizeof(path) && lstat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* An unpacked collected bundle: manifest.json at the top, or in its only subfolder. */
static bool folder_has_manifest(const char *path)
{
	DIR *d;
	struct dirent *e;
	char sub[256] = "";
	size_t n = 0;

	if (is_file(path, "manifest.json", NULL))
		return true;
	d = opendir(path);
	if (!d)
		return false;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (++n > 1)
			break;
		snprintf(sub, sizeof(sub), "%s", e->d_name);
	}
	closedir(d);
	return n == 1 && is_file(path, sub, "manifest.json");
}

/* A file read as an archive (core/archive_in: tar, zip, cpio; any filter). */
static bool file_is_archive(const char *path)
{
	struct archive_in *in = NULL;
	struct error err = ERROR_INIT;
	bool yes;

	if (archive_in_open(path, 0, NULL, &in, &err) < 0)
		return false;
	yes = archive_in_kind(in) == ARCHIVE_IN_ARCHIVE;
	archive_in_free(in);
	return yes;
}

static bool entry_is_bundle(const char *dir, const char *name)
{
	char path[4096];
	struct stat st;
	int n = snprintf(path, sizeof(path), "%s/%s", dir, name);

	if (n <= 0 || (size_t)n >= sizeof(path) || lstat(path, &st) < 0)
		return false;
	if (S_ISDIR(st.st_mode))
		return folder_has_manifest(path);
	return S_ISREG(st.st_mode) && st.st_size > 0 && file_is_archive(path);
}

bool fleet_is_folder_of_bundles(const char *path, struct buf *ret_other)
{
	struct stat st;
	struct dirent *e;
	size_t bundles = 0;
	bool all = true;
	DIR *d;

	if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode) || is_file(path, "manifest.json", NULL))
		return false;
	d = opendir(path);
	if (!d)
		return false;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		if (entry_is_bundle(path, e->d_name)) {
			bundles++;
		} else if (all) {
			all = false;
			if (ret_other && buf_puts(ret_other, e->d_name) < 0)
				break;
		}
		if (!all && (bundles || !ret_other))
			break;
	}
	closedir(d);
	if (!bundles && ret_other)
		buf_reset(ret_other);
	return all && bundles > 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The bundles of a folder of bundles, in byte order of their names. */
static int expand_folder(const char *path, struct strv *ret)
{
	struct strv names = STRV_INIT;
	struct dirent *e;
	size_t len = strlen(path);
	DIR *d = opendir(path);
	int r = 0;

	if (!d)
		return strv_push(ret, path);
	while (r >= 0 && (e = readdir(d)))
		if (e->d_name[0] != '.')
			r = strv_push(&names, e->d_name);
	closedir(d);
	if (r >= 0 && names.n)
		qsort(names.v, names.n, sizeof(names.v[0]), cmp_str);
	while (len > 1 && path[len - 1] == '/')
		len--;
	for (size_t i = 0; r >= 0 && i < names.n; i++) {
		struct buf p = BUF_INIT;

		r = buf_printf(&p, "%.*s/%s", (int)len, path, names.v[i]);
		if (r >= 0)
			r = strv_push(ret, p.data);
		buf_release(&p);
	}
	strv_release(&names);
	return r < 0 ? r : 0;
}

int fleet_expand(const char *const *args, size_t n, struct strv *ret, struct strv *ret_notes)
{
	for (size_t i = 0; i < n; i++) {
		struct buf other = BUF_INIT;
		int r;

		if (fleet_is_folder_of_bundles(args[i], &other)) {
			r = expand_folder(args[i], ret);
		} else {
			r = strv_push(ret, args[i]);
			if (r >= 0 && other.len && (r = strv_push(ret_notes, args[i])) >= 0)
				r = strv_push(ret_notes, other.data);
		}
		buf_release(&other);
		if (r < 0)
			return r;
	}
	return 0;
}

/* ---- identity and the line ------------------------------------------------------------------- */

int fleet_manifest_sha256(const struct bundle *b, char hex[65], struct error *err)
{
	const struct artifact *m = NULL;
	struct buf data = BUF_INIT;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	int r;

	hex[0] = '\0';
	if (b->manifest_sha256[0]) { /* hashed while it was read */
		memcpy(hex, b->manifest_sha256, 65);
		return 0;
	}
	for (size_t i = 0; i < b->n_artifacts && !m; i++)
		if (b->artifacts[i].kind == ART_MANIFEST)
			m = &b->artifacts[i];
	if (!m)
		return -ENOENT;
	r = bundle_read(b, m->path, BUNDLE_MAX_DOC_BYTES, &data, err);
	if (r >= 0 &&
	    (!EVP_Digest(data.data ? data.data : "", data.len, md, &mdlen, EVP_sha256(), NULL) ||
	     mdlen != 32))
		r = error_set(err, -EIO, m->path, 0, "cannot compute SHA-256");
	buf_release(&data);
	if (r < 0)
		return r;
	for (unsigned i = 0; i < mdlen; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	return 0;
}

/* The findings document of 'analyze --format json' for one, parsed back: the JSON
 * renderer stays the one source of that document. */
static json_t *report_doc(const char *input, const struct analyze_one *one)
{
	struct report_options ro = { .format = REPORT_JSON, .input = input };
	char *text = NULL;
	size_t len = 0;
	json_t *doc = NULL;
	FILE *f = open_memstream(&text, &len);
	int r;

	if (!f)
		return NULL;
	r = report_write(f, one->b, &one->fs, &ro);
	if (fclose(f) == 0 && r == 0)
		doc = json_loadb(text, len, 0, NULL);
	free(text);
	return doc;
}

static void put(json_t *o, const char *key, json_t *val, int *r)
{
	if (json_object_set_new(o, key, val) < 0)
		*r = -ENOMEM;
}

/* A JSON string for s, made valid UTF-8 first ("\xNN") as the report does; null
 * for NULL or "". */
json_t *fleet_json_string(const char *s)
{
	struct buf b = BUF_INIT;
	json_t *j;

	if (!s || !*s)
		return json_null();
	j = json_string(s);
	if (j)
		return j;
	if (report_escape(&b, s, ESC_TEXT) == 0)
		j = json_string(b.data);
	buf_release(&b);
	return j;
}

static json_t *error_json(const char *input, const struct error *err, int *r)
{
	json_t *o = json_object();
	const char *msg = err && err->message[0] ? err->message : "cannot read the input";

	put(o, "message", fleet_json_string(msg), r);
	if (err && err->source[0] && strcmp(err->source, input) != 0)
		put(o, "source", fleet_json_string(err->source), r);
	if (err && err->line)
		put(o, "line", json_integer((json_int_t)err->line), r);
	return o;
}

const char *fleet_bundle_org(const struct bundle *b)
{
	if (b->overrides.org && *b->overrides.org)
		return b->overrides.org;
	if (b->org.name && *b->org.name)
		return b->org.name;
	return NULL;
}

static void identity(json_t *line, const struct analyze_one *one, json_t *doc, int *r)
{
	struct error merr = ERROR_INIT;
	char hex[65];

	put(line, "org", fleet_json_string(fleet_bundle_org(one->b)), r);
	put(line, "collected_at", json_incref(json_object_get(doc, "collected_at")), r);
	put(line, "collected_at_source", json_incref(json_object_get(doc, "collected_at_source")),
	    r);
	if (fleet_manifest_sha256(one->b, hex, &merr) == 0)
		put(line, "manifest_sha256", json_string(hex), r);
	else
		put(line, "manifest_sha256", json_null(), r);
}

json_t *fleet_line(const char *input, int status, const struct analyze_one *one,
                   const struct error *err)
{
	json_t *line = json_object();
	json_t *doc = one->b ? report_doc(input, one) : NULL;
	int r = 0;

	put(line, "format", json_string(FLEET_LINE_FORMAT), &r);
	put(line, "input", fleet_json_string(input), &r);
	put(line, "ok", json_boolean(doc != NULL), &r);
	put(line, "exit", json_integer(doc ? status : EXIT_UNREADABLE), &r);
	if (doc) {
		identity(line, one, doc, &r);
		put(line, "report", doc, &r);
	} else if (one->b) {
		struct error e = ERROR_INIT;

		error_set(&e, -ENOMEM, input, 0, "cannot render the report");
		put(line, "error", error_json(input, &e, &r), &r);
	} else {
		put(line, "error", error_json(input, err, &r), &r);
	}
	if (r < 0) {
		json_decref(line);
		return NULL;
	}
	return line;
}
