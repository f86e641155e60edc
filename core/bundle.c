/* The bundle reader: walks a folder or streams an archive with libarchive, one
 * pass, feeding every member to ingest; plus the model's find-or-add helpers and
 * its destructor. */
#include "bundle.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "cleanup.h"
#include "error.h"
#include "gcp.h"
#include "ingest.h"
#include "text.h"
#include "textscan.h"
#include "banned.h"

#define READ_CHUNK (256u << 10)

/* ---- find-or-add helpers ------------------------------------------------------ */

/* model_grow(), remembering when a cap was reached */
static int grow_noted(struct bundle *b, int r)
{
	if (r == -ERANGE)
		b->model_capped = true;
	return r;
}

#define GROW(b, field)                                                                      \
	grow_noted((b), model_grow((void **)&(b)->field, &(b)->cap_##field, (b)->n_##field, \
	                           sizeof(*(b)->field)))

struct route *bundle_route(struct bundle *b, const char *name)
{
	struct route *r;

	for (size_t i = 0; i < b->n_routes; i++)
		if (strcmp(b->routes[i].name, name) == 0)
			return &b->routes[i];
	if (GROW(b, routes) < 0)
		return NULL;
	r = &b->routes[b->n_routes];
	r->name = strdup(name);
	if (!r->name)
		return NULL;
	b->n_routes++;
	return r;
}

const struct route *bundle_find_route(const struct bundle *b, const char *name)
{
	for (size_t i = 0; i < b->n_routes; i++)
		if (strcmp(b->routes[i].name, name) == 0)
			return &b->routes[i];
	return NULL;
}

struct secret_meta *bundle_secret(struct bundle *b, const char *name)
{
	struct secret_meta *s;

	for (size_t i = 0; i < b->n_secrets; i++)
		if (strcmp(b->secrets[i].name, name) == 0)
			return &b->secrets[i];
	if (GROW(b, secrets) < 0)
		return NULL;
	s = &b->secrets[b->n_secrets];
	s->name = strdup(name);
	if (!s->name)
		return NULL;
	b->n_secrets++;
	return s;
}

const struct secret_meta *bundle_find_secret(const struct bundle *b, const char *name)
{
	for (size_t i = 0; i < b->n_secrets; i++)
		if (strcmp(b->secrets[i].name, name) == 0)
			return &b->secrets[i];
	return NULL;
}

struct api_instance *bundle_instance(struct bundle *b, const char *name)
{
	struct api_instance *s;

	for (size_t i = 0; i < b->n_instances; i++)
		if (strcmp(b->instances[i].name, name) == 0)
			return &b->instances[i];
	if (GROW(b, instances) < 0)
		return NULL;
	s = &b->instances[b->n_instances];
	s->name = strdup(name);
	if (!s->name)
		return NULL;
	b->n_instances++;
	return s;
}

struct api_envgroup *bundle_envgroup(struct bundle *b, const char *name)
{
	struct api_envgroup *s;

	for (size_t i = 0; i < b->n_envgroups; i++)
		if (strcmp(b->envgroups[i].name, name) == 0)
			return &b->envgroups[i];
	if (GROW(b, envgroups) < 0)
		return NULL;
	s = &b->envgroups[b->n_envgroups];
	s->name = strdup(name);
	if (!s->name)
		return NULL;
	b->n_envgroups++;
	return s;
}

#define DEFINE_ADD(fn, type, field)               \
	type *fn(struct bundle *b)                \
	{                                         \
		if (GROW(b, field) < 0)           \
			return NULL;              \
		return &b->field[b->n_##field++]; \
	}

DEFINE_ADD(bundle_add_vhost, struct vhost, vhosts)
DEFINE_ADD(bundle_add_cert, struct cert_rec, certs)
DEFINE_ADD(bundle_add_key, struct key_rec, keys)
DEFINE_ADD(bundle_add_curl, struct curl_trace, curls)
DEFINE_ADD(bundle_add_sclient, struct sclient_trace, sclients)
DEFINE_ADD(bundle_add_probe, struct probe, probes)
DEFINE_ADD(bundle_add_api_error, struct api_error, api_errors)
DEFINE_ADD(bundle_add_pod, struct pod_meta, pods)
DEFINE_ADD(bundle_add_service, struct service_meta, services)
DEFINE_ADD(bundle_add_route_config, struct route_config, route_configs)

void bundle_note_time(struct bundle *b, int64_t t)
{
	/* ignore nonsense: before 2000 or far in the future */
	if (t < 946684800 || t > 32503680000LL)
		return;
	if (t > b->newest_timestamp)
		b->newest_timestamp = t;
}

void bundle_watcher_missing(struct bundle *b, const char *secret, size_t len, const char *artifact,
                            unsigned line, const char *excerpt)
{
	struct watcher_stats *w = &b->watcher;
	struct watcher_missing *m;

	for (size_t i = 0; i < w->n_missing; i++)
		if (strlen(w->missing[i].secret) == len &&
		    memcmp(w->missing[i].secret, secret, len) == 0) {
			w->missing[i].count++;
			return;
		}
	if (grow_noted(b, model_grow((void **)&w->missing, &w->cap_missing, w->n_missing,
	                             sizeof(*w->missing))) < 0)
		return;
	m = &w->missing[w->n_missing];
	m->secret = strndup(secret, len);
	if (!m->secret)
		return;
	m->count = 1;
	loc_set(&m->first, artifact, line, NULL, excerpt);
	w->n_missing++;
}

/* ---- destructor ------------------------------------------------------------------ */

static void route_release(struct route *r)
{
	free(r->name);
	free(r->namespace_);
	strv_release(&r->hostnames);
	free(r->non_sni_raw);
	strv_release(&r->additional_gateways);
	strv_release(&r->credential_names);
	free(r->state);
	loc_release(&r->where);
}

static void cert_rec_release(struct cert_rec *c)
{
	free(c->owner);
	free(c->file);
	cert_facts_release(&c->facts);
	free(c->error_text);
	free(c->key_error_text);
	loc_release(&c->where);
}

static void curl_release(struct curl_trace *c)
{
	free(c->tls_library);
	free(c->url);
	free(c->host);
	free(c->verify_error);
	free(c->connect_error);
	loc_release(&c->where);
}

static void sclient_release(struct sclient_trace *s)
{
	free(s->target);
	free(s->alert);
	free(s->verify_text);
	free(s->leaf_subject);
	loc_release(&s->where);
}

static void probe_release(struct probe *p)
{
	free(p->host);
	free(p->address);
	free(p->sni);
	free(p->alert);
	free(p->error);
	free(p->protocol);
	free(p->cipher);
	free(p->verify_error);
	loc_release(&p->where);
}

void bundle_free(struct bundle *b)
{
	if (!b)
		return;
	free(b->input);
	free(b->top);
	free(b->tool_version);
	free(b->namespace_);
	for (size_t i = 0; i < b->n_artifacts; i++) {
		struct artifact *a = &b->artifacts[i];

		free(a->path);
		free(a->error);
		free(a->source_url);
	}
	free(b->artifacts);
	for (size_t i = 0; i < b->n_routes; i++)
		route_release(&b->routes[i]);
	free(b->routes);
	for (size_t i = 0; i < b->n_route_configs; i++) {
		free(b->route_configs[i].name);
		strv_release(&b->route_configs[i].additional_gateways);
		loc_release(&b->route_configs[i].where);
	}
	free(b->route_configs);
	for (size_t i = 0; i < b->n_secrets; i++) {
		free(b->secrets[i].name);
		free(b->secrets[i].type);
		strv_release(&b->secrets[i].data_keys);
		loc_release(&b->secrets[i].where);
	}
	free(b->secrets);
	for (size_t i = 0; i < b->n_pods; i++) {
		free(b->pods[i].name);
		free(b->pods[i].app);
		free(b->pods[i].phase);
		free(b->pods[i].ready);
		loc_release(&b->pods[i].where);
	}
	free(b->pods);
	for (size_t i = 0; i < b->n_services; i++) {
		free(b->services[i].name);
		free(b->services[i].type);
		strv_release(&b->services[i].external_ips);
		loc_release(&b->services[i].where);
	}
	free(b->services);
	free(b->overrides.org);
	free(b->overrides.instance_id);
	free(b->overrides.project);
	loc_release(&b->overrides.where);
	for (size_t i = 0; i < b->n_vhosts; i++) {
		struct vhost *v = &b->vhosts[i];

		free(v->name);
		free(v->ssl_cert_path);
		free(v->ssl_key_path);
		free(v->ssl_secret);
		strv_release(&v->additional_gateways);
		strv_release(&v->host_aliases);
		loc_release(&v->where);
	}
	free(b->vhosts);
	for (size_t i = 0; i < b->n_certs; i++)
		cert_rec_release(&b->certs[i]);
	free(b->certs);
	for (size_t i = 0; i < b->n_keys; i++) {
		key_facts_release(&b->keys[i].facts);
		free(b->keys[i].error_text);
		loc_release(&b->keys[i].where);
	}
	free(b->keys);
	for (size_t i = 0; i < b->access.n_samples; i++)
		loc_release(&b->access.samples[i]);
	for (size_t i = 0; i < b->watcher.n_missing; i++) {
		free(b->watcher.missing[i].secret);
		loc_release(&b->watcher.missing[i].first);
	}
	free(b->watcher.missing);
	for (size_t i = 0; i < b->n_curls; i++)
		curl_release(&b->curls[i]);
	free(b->curls);
	for (size_t i = 0; i < b->n_sclients; i++)
		sclient_release(&b->sclients[i]);
	free(b->sclients);
	for (size_t i = 0; i < b->n_probes; i++)
		probe_release(&b->probes[i]);
	free(b->probes);
	free(b->org.name);
	free(b->org.runtime_type);
	free(b->org.authorized_network);
	strv_release(&b->org.environments);
	loc_release(&b->org.where);
	for (size_t i = 0; i < b->n_instances; i++) {
		struct api_instance *s = &b->instances[i];

		free(s->name);
		free(s->host);
		free(s->location);
		strv_release(&s->attached_envs);
		loc_release(&s->where);
		loc_release(&s->attachments_where);
	}
	free(b->instances);
	for (size_t i = 0; i < b->n_envgroups; i++) {
		struct api_envgroup *g = &b->envgroups[i];

		free(g->name);
		strv_release(&g->hostnames);
		strv_release(&g->attached_envs);
		loc_release(&g->where);
	}
	free(b->envgroups);
	for (size_t i = 0; i < b->n_api_errors; i++) {
		free(b->api_errors[i].status);
		free(b->api_errors[i].message);
		free(b->api_errors[i].url);
		loc_release(&b->api_errors[i].where);
	}
	free(b->api_errors);
	gcp_facts_release(&b->gcp);
	ingest_pending_free(b);
	textscan_bundle_release(b);
	free(b);
}

/* ---- reading ---------------------------------------------------------------------- */

static int add_artifact(struct bundle *b, const char *path, size_t *ret_index)
{
	struct artifact *a;

	if (b->n_artifacts >= BUNDLE_MAX_MEMBERS)
		return -ERANGE;
	if (b->n_artifacts == b->cap_artifacts) {
		size_t ncap = b->cap_artifacts ? b->cap_artifacts * 2 : 64;
		struct artifact *p = realloc(b->artifacts, ncap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		b->artifacts = p;
		b->cap_artifacts = ncap;
	}
	a = &b->artifacts[b->n_artifacts];
	memset(a, 0, sizeof(*a));
	a->source_status = -1;
	a->path = strdup(path);
	if (!a->path)
		return -ENOMEM;
	*ret_index = b->n_artifacts++;
	return 0;
}

/* Make an archive member name safe to show and to use as an identifier: no
 * leading '/', "./" removed; control bytes escaped. */
static void member_name(const char *raw, char *out, size_t size)
{
	while (*raw == '/')
		raw++;
	while (raw[0] == '.' && raw[1] == '/')
		raw += 2;
	text_escape(raw, strlen(raw), out, size);
}

static int ingest_fd(struct bundle *b, size_t ai, int fd, uint64_t *total, uint64_t max_total,
                     struct error *err)
{
	_cleanup_free_ char *chunk = malloc(READ_CHUNK);
	struct ingest *in = NULL;
	int r;

	if (!chunk)
		return -ENOMEM;
	r = ingest_begin(b, ai, &in);
	if (r < 0)
		return r;
	for (;;) {
		ssize_t n = read(fd, chunk, READ_CHUNK);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			struct artifact *a = &b->artifacts[ai];

			a->failed = true;
			free(a->error);
			a->error = strdup(strerror(errno));
			break;
		}
		if (n == 0)
			break;
		*total += (uint64_t)n;
		if (*total > max_total) {
			ingest_free(in);
			return error_set(err, -ERANGE, b->artifacts[ai].path, 0,
			                 "input larger than %llu bytes",
			                 (unsigned long long)max_total);
		}
		r = ingest_feed(in, chunk, (size_t)n);
		if (r < 0) {
			ingest_free(in);
			return r;
		}
	}
	r = ingest_end(in);
	ingest_free(in);
	return r;
}

static int name_cmp(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

static int walk_dir(struct bundle *b, const char *root, const char *rel, unsigned depth,
                    uint64_t *total, uint64_t max_total, struct error *err)
{
	struct buf path = BUF_INIT;
	struct strv names = STRV_INIT;
	DIR *d;
	struct dirent *de;
	int r = 0;

	if (depth > 32)
		return 0;
	if (buf_printf(&path, "%s%s%s", root, *rel ? "/" : "", rel) < 0)
		return -ENOMEM;
	d = opendir(path.data);
	if (!d) {
		r = error_set(err, -errno, path.data, 0, "cannot open folder: %s", strerror(errno));
		buf_release(&path);
		return r;
	}
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
		struct buf full = BUF_INIT, relp = BUF_INIT;
		struct stat st;

		if (buf_printf(&full, "%s/%s", path.data, names.v[i]) < 0 ||
		    buf_printf(&relp, "%s%s%s", rel, *rel ? "/" : "", names.v[i]) < 0) {
			r = -ENOMEM;
		} else if (lstat(full.data, &st) < 0) {
			/* vanished: ignore */
		} else if (S_ISDIR(st.st_mode)) {
			r = walk_dir(b, root, relp.data, depth + 1, total, max_total, err);
		} else if (S_ISREG(st.st_mode)) {
			size_t ai;
			int fd;

			r = add_artifact(b, relp.data, &ai);
			if (r == 0) {
				fd = open(full.data, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
				if (fd < 0) {
					b->artifacts[ai].failed = true;
					b->artifacts[ai].error = strdup(strerror(errno));
				} else {
					r = ingest_fd(b, ai, fd, total, max_total, err);
					close(fd);
				}
			}
		} else if (S_ISLNK(st.st_mode)) {
			size_t ai;

			/* links are not followed: they could point anywhere */
			r = add_artifact(b, relp.data, &ai);
			if (r == 0)
				b->artifacts[ai].error = strdup("symbolic link not followed");
		}
		buf_release(&full);
		buf_release(&relp);
	}
	strv_release(&names);
	buf_release(&path);
	return r;
}

static int read_archive_stream(struct bundle *b, struct archive *ar, uint64_t max_total,
                               struct error *err)
{
	struct archive_entry *e;
	_cleanup_free_ char *chunk = malloc(READ_CHUNK);
	uint64_t total = 0;
	size_t members = 0;
	int r;

	if (!chunk)
		return -ENOMEM;
	for (;;) {
		char name[1024];
		size_t ai;
		struct ingest *in = NULL;
		mode_t type;

		r = archive_read_next_header(ar, &e);
		if (r == ARCHIVE_EOF)
			break;
		if (r == ARCHIVE_WARN)
			r = ARCHIVE_OK;
		if (r != ARCHIVE_OK) {
			if (members == 0)
				return error_set(err, -EIO, b->input, 0,
				                 "not a readable archive: %s",
				                 archive_error_string(ar));
			/* a truncated or corrupt tail: keep what was read */
			if (add_artifact(b, "(archive)", &ai) == 0) {
				b->artifacts[ai].failed = true;
				b->artifacts[ai].error =
				        strdup(archive_error_string(ar) ? archive_error_string(ar)
				                                        : "archive read error");
			}
			return 0;
		}
		members++;
		type = archive_entry_filetype(e);
		member_name(archive_entry_pathname(e) ? archive_entry_pathname(e) : "(unnamed)",
		            name, sizeof(name));
		if (type == AE_IFDIR)
			continue;
		r = add_artifact(b, name, &ai);
		if (r < 0)
			return error_set(err, r, b->input, 0, "too many members (limit %d)",
			                 BUNDLE_MAX_MEMBERS);
		if (type != AE_IFREG || archive_entry_hardlink(e)) {
			b->artifacts[ai].error = strdup("link or special file not followed");
			continue;
		}
		r = ingest_begin(b, ai, &in);
		if (r < 0)
			return r;
		for (;;) {
			la_ssize_t n = archive_read_data(ar, chunk, READ_CHUNK);

			if (n == 0)
				break;
			if (n < 0) {
				struct artifact *a = &b->artifacts[ai];

				a->failed = true;
				free(a->error);
				a->error =
				        strdup(archive_error_string(ar) ? archive_error_string(ar)
				                                        : "read error");
				ingest_end(in);
				ingest_free(in);
				return 0; /* the stream cannot continue past this */
			}
			total += (uint64_t)n;
			if (total > max_total) {
				ingest_free(in);
				return error_set(
				        err, -ERANGE, name, 0,
				        "archive expands beyond %llu bytes (decompression bomb?)",
				        (unsigned long long)max_total);
			}
			r = ingest_feed(in, chunk, (size_t)n);
			if (r < 0) {
				ingest_free(in);
				return r;
			}
		}
		r = ingest_end(in);
		ingest_free(in);
		if (r < 0)
			return r;
	}
	return 0;
}

static void archive_free_p(struct archive **a)
{
	if (*a)
		archive_read_free(*a);
}

static int open_archive_file(struct bundle *b, const char *path, uint64_t max_total,
                             struct error *err)
{
	_cleanup_(archive_free_p) struct archive *ar = archive_read_new();
	const char *base;
	struct archive_entry *e;
	size_t ai;
	int r;

	if (!ar)
		return -ENOMEM;
	archive_read_support_filter_all(ar);
	archive_read_support_format_tar(ar);
	archive_read_support_format_gnutar(ar);
	archive_read_support_format_zip(ar);
	archive_read_support_format_cpio(ar);
	if (archive_read_open_filename(ar, path, READ_CHUNK) == ARCHIVE_OK) {
		r = archive_read_next_header(ar, &e);
		if (r == ARCHIVE_OK || r == ARCHIVE_WARN || r == ARCHIVE_EOF) {
			archive_read_free(ar);
			ar = archive_read_new();
			if (!ar)
				return -ENOMEM;
			archive_read_support_filter_all(ar);
			archive_read_support_format_tar(ar);
			archive_read_support_format_gnutar(ar);
			archive_read_support_format_zip(ar);
			archive_read_support_format_cpio(ar);
			if (archive_read_open_filename(ar, path, READ_CHUNK) != ARCHIVE_OK)
				return error_set(err, -EIO, path, 0, "cannot read archive: %s",
				                 archive_error_string(ar));
			b->is_archive = true;
			return read_archive_stream(b, ar, max_total, err);
		}
	}
	archive_read_free(ar);

	/* not an archive: one loose file, possibly compressed (access.log.gz) */
	ar = archive_read_new();
	if (!ar)
		return -ENOMEM;
	archive_read_support_filter_all(ar);
	archive_read_support_format_raw(ar);
	if (archive_read_open_filename(ar, path, READ_CHUNK) != ARCHIVE_OK)
		return error_set(err, -EIO, path, 0, "cannot read: %s", archive_error_string(ar));
	r = archive_read_next_header(ar, &e);
	if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
		return error_set(err, -EIO, path, 0, "cannot read: %s", archive_error_string(ar));
	base = strrchr(path, '/');
	base = base ? base + 1 : path;
	r = add_artifact(b, base, &ai);
	if (r < 0)
		return r;
	{
		_cleanup_free_ char *chunk = malloc(READ_CHUNK);
		struct ingest *in = NULL;
		uint64_t total = 0;

		if (!chunk)
			return -ENOMEM;
		r = ingest_begin(b, ai, &in);
		if (r < 0)
			return r;
		for (;;) {
			la_ssize_t n = archive_read_data(ar, chunk, READ_CHUNK);

			if (n == 0)
				break;
			if (n < 0) {
				int filters = archive_filter_count(ar);

				ingest_end(in);
				ingest_free(in);
				if (filters > 1)
					return error_set(
					        err, -EIO, path, 0,
					        "compressed data is truncated or corrupt: %s",
					        archive_error_string(ar));
				b->artifacts[ai].failed = true;
				b->artifacts[ai].error =
				        strdup(archive_error_string(ar) ? archive_error_string(ar)
				                                        : "read error");
				return 0;
			}
			total += (uint64_t)n;
			if (total > max_total) {
				ingest_free(in);
				return error_set(err, -ERANGE, path, 0,
				                 "input expands beyond %llu bytes",
				                 (unsigned long long)max_total);
			}
			r = ingest_feed(in, chunk, (size_t)n);
			if (r < 0) {
				ingest_free(in);
				return r;
			}
		}
		r = ingest_end(in);
		ingest_free(in);
	}
	return r;
}

int bundle_open(const char *path, const struct bundle_options *opts, struct bundle **ret,
                struct error *err)
{
	struct bundle *b;
	struct stat st;
	uint64_t max_total =
	        opts && opts->max_total_bytes ? opts->max_total_bytes : BUNDLE_MAX_TOTAL_BYTES;
	uint64_t total = 0;
	int r;

	if (stat(path, &st) < 0)
		return error_set(err, -errno, path, 0, "cannot open: %s", strerror(errno));
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->input = strdup(path);
	if (!b->input) {
		free(b);
		return -ENOMEM;
	}
	if (S_ISDIR(st.st_mode))
		r = walk_dir(b, path, "", 0, &total, max_total, err);
	else if (S_ISREG(st.st_mode))
		r = open_archive_file(b, path, max_total, err);
	else
		r = error_set(err, -EINVAL, path, 0, "not a file or folder");
	if (r == 0 && b->n_artifacts == 0)
		r = error_set(err, -ENOENT, path, 0, "no files to analyse");
	if (r == 0) {
		r = ingest_finish(b);
		if (r == -ENOMEM)
			error_set(err, r, path, 0, "out of memory");
	}
	if (r == 0) {
		int64_t now = opts && opts->now ? opts->now : (int64_t)time(NULL);

		if (b->collected_at) {
			b->time_source = TIME_FROM_MANIFEST;
		} else if (b->newest_timestamp) {
			b->collected_at = b->newest_timestamp;
			b->time_source = TIME_FROM_NEWEST_TIMESTAMP;
		} else {
			b->collected_at = now;
			b->time_source = TIME_FROM_ANALYSIS_CLOCK;
		}
	}
	if (r < 0) {
		if (r == -ENOMEM && !err->message[0])
			error_set(err, r, path, 0, "out of memory");
		bundle_free(b);
		return r;
	}
	*ret = b;
	return 0;
}

struct read_ctx {
	const char *member;
	size_t max;
	struct buf *out;
	bool found;
};

int bundle_read(const struct bundle *b, const char *member, size_t max, struct buf *ret,
                struct error *err)
{
	struct stat st;

	if (stat(b->input, &st) < 0)
		return error_set(err, -errno, b->input, 0, "cannot open: %s", strerror(errno));
	if (S_ISDIR(st.st_mode)) {
		struct buf p = BUF_INIT;
		_cleanup_free_ char *chunk = NULL;
		int fd, r = 0;

		if (strstr(member, "..") || member[0] == '/')
			return error_set(err, -EINVAL, member, 0, "invalid member name");
		if (buf_printf(&p, "%s/%s", b->input, member) < 0)
			return -ENOMEM;
		fd = open(p.data, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		buf_release(&p);
		if (fd < 0)
			return error_set(err, -ENOENT, member, 0, "no such member");
		chunk = malloc(READ_CHUNK);
		if (!chunk) {
			close(fd);
			return -ENOMEM;
		}
		for (;;) {
			ssize_t n = read(fd, chunk, READ_CHUNK);

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			if (ret->len + (size_t)n > max) {
				r = error_set(err, -ERANGE, member, 0,
				              "member larger than %zu bytes", max);
				break;
			}
			if (buf_append(ret, chunk, (size_t)n) < 0) {
				r = -ENOMEM;
				break;
			}
		}
		close(fd);
		return r;
	}
	{
		_cleanup_(archive_free_p) struct archive *ar = archive_read_new();
		struct archive_entry *e;

		if (!ar)
			return -ENOMEM;
		archive_read_support_filter_all(ar);
		archive_read_support_format_tar(ar);
		archive_read_support_format_gnutar(ar);
		archive_read_support_format_zip(ar);
		archive_read_support_format_cpio(ar);
		if (archive_read_open_filename(ar, b->input, READ_CHUNK) != ARCHIVE_OK)
			return error_set(err, -EIO, b->input, 0, "cannot read archive: %s",
			                 archive_error_string(ar));
		while (archive_read_next_header(ar, &e) == ARCHIVE_OK) {
			char name[1024];
			char tmp[65536];

			member_name(archive_entry_pathname(e) ? archive_entry_pathname(e) : "",
			            name, sizeof(name));
			if (strcmp(name, member) != 0)
				continue;
			for (;;) {
				la_ssize_t n = archive_read_data(ar, tmp, sizeof(tmp));

				if (n == 0)
					return 0;
				if (n < 0)
					return error_set(err, -EIO, member, 0, "%s",
					                 archive_error_string(ar));
				if (ret->len + (size_t)n > max)
					return error_set(err, -ERANGE, member, 0,
					                 "member larger than %zu bytes", max);
				if (buf_append(ret, tmp, (size_t)n) < 0)
					return -ENOMEM;
			}
		}
	}
	return error_set(err, -ENOENT, member, 0, "no such member");
}

int bundle_foreach(const struct bundle *b, bundle_foreach_fn fn, void *userdata)
{
	for (size_t i = 0; i < b->n_artifacts; i++) {
		int r = fn(&b->artifacts[i], userdata);

		if (r != 0)
			return r;
	}
	return 0;
}
