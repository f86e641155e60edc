/* SPDX-License-Identifier: Apache-2.0 */
/* The bundle reader: walks a folder or streams an archive with libarchive, one
 * pass, feeding every member to ingest; plus the model's find-or-add helpers and
 * its destructor. */
#include "bundle.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "archive_in.h"
#include "cleanup.h"
#include "error.h"
#include "gunzip.h"
#include "gcp.h"
#include "ingest.h"
#include "text.h"
#include "textscan.h"
#include "banned.h"

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
DEFINE_ADD(bundle_add_pcap_conn, struct pcap_conn, pcap_conns)

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
	for (size_t i = 0; i < b->n_sources; i++) {
		free(b->sources[i].name);
		free(b->sources[i].status);
		free(b->sources[i].reason);
	}
	free(b->sources);
	for (size_t i = 0; i < b->n_redactions; i++)
		free(b->redactions[i].rule);
	free(b->redactions);
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
	for (size_t i = 0; i < b->n_pcap_conns; i++) {
		free(b->pcap_conns[i].sni);
		loc_release(&b->pcap_conns[i].where);
	}
	free(b->pcap_conns);
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

	if (b->n_artifacts > b->max_members) /* one more: "(archive)", a damaged tail */
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

static void artifact_fail(struct bundle *b, size_t ai, const char *why)
{
	struct artifact *a = &b->artifacts[ai];

	a->failed = true;
	free(a->error);
	a->error = strdup(why);
}

/* The member being ingested; md hashes a member named manifest.json as it is read,
 * so that the bundle's identity (b->manifest_sha256) needs no second pass. A
 * gzip'd member (x.log.gz) is inflated on the way (core/gunzip.h), its bytes
 * counted into the input's bounds. */
struct feed {
	struct ingest *ing;
	EVP_MD_CTX *md;
	struct archive_in *in;
	struct error *err; /* a bound hit while inflating */
	bool first;        /* the first chunk decides: gzip or not */
	bool gz;
	struct gunzip g;
};

static int feed_inflated(void *userdata, const void *data, size_t len)
{
	struct feed *f = userdata;
	int r = archive_in_account(f->in, len, f->err);

	return r < 0 ? r : ingest_feed(f->ing, data, len);
}

static int feed_ingest(void *userdata, const void *data, size_t len)
{
	struct feed *f = userdata;

	if (f->md && !EVP_DigestUpdate(f->md, data, len)) {
		EVP_MD_CTX_free(f->md);
		f->md = NULL;
	}
	if (f->first) {
		f->first = false;
		if (gunzip_magic(data, len)) {
			if (gunzip_init(&f->g) < 0)
				return -ENOMEM;
			f->gz = true;
		}
	}
	if (f->gz)
		return gunzip_feed(&f->g, data, len, feed_inflated, f);
	return ingest_feed(f->ing, data, len);
}

/* A gzip'd member that ends early or breaks: what was inflated was read; where
 * it ends is the news. */
static void gunzip_verdict(struct bundle *b, size_t ai, struct gunzip *g)
{
	enum gunzip_state st = gunzip_end(g);
	char why[300];

	if (st == GUNZIP_TRUNCATED)
		snprintf(why, sizeof(why),
		         "truncated gzip: the data ends at byte %llu, inside a gzip member; the "
		         "%llu bytes inflated up to there were read",
		         (unsigned long long)g->packed_in, (unsigned long long)g->inflated);
	else if (st == GUNZIP_CORRUPT)
		snprintf(why, sizeof(why),
		         "corrupt gzip at byte %llu (%s); the %llu bytes inflated up to there were "
		         "read",
		         (unsigned long long)g->bad_at, g->why, (unsigned long long)g->inflated);
	else
		return;
	artifact_fail(b, ai, why);
}

/* manifest.json at the top or in the one top folder of a collected bundle */
static EVP_MD_CTX *manifest_md(const char *path)
{
	const char *slash = strchr(path, '/');
	const char *base = strrchr(path, '/');
	EVP_MD_CTX *md;

	base = base ? base + 1 : path;
	if (strcmp(base, "manifest.json") != 0 || (slash && strchr(slash + 1, '/')))
		return NULL;
	md = EVP_MD_CTX_new();
	if (md && !EVP_DigestInit_ex(md, EVP_sha256(), NULL)) {
		EVP_MD_CTX_free(md);
		md = NULL;
	}
	return md;
}

/* Keep the digest when ingest recognised the member as our manifest (the first). */
static void manifest_digest(struct bundle *b, const struct artifact *a, EVP_MD_CTX *md)
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned n = 0;

	if (md && a->kind == ART_MANIFEST && !a->failed && !b->manifest_sha256[0] &&
	    EVP_DigestFinal_ex(md, d, &n) && n == 32)
		for (unsigned i = 0; i < n; i++)
			snprintf(b->manifest_sha256 + 2 * i, 3, "%02x", d[i]);
	EVP_MD_CTX_free(md);
}

/* One regular member through ingest. A read error marks the artifact failed; for
 * an archive the stream cannot go on past it (*ret_stop). */
static int ingest_member(struct bundle *b, struct archive_in *in, size_t ai, bool *ret_stop,
                         struct error *err)
{
	struct error rerr = ERROR_INIT;
	struct ingest *ing = NULL;
	struct feed f = { .in = in, .err = &rerr, .first = true };
	int r;

	r = ingest_begin(b, ai, &ing);
	if (r < 0)
		return r;
	f.ing = ing;
	f.md = manifest_md(b->artifacts[ai].path);
	r = archive_in_feed(in, feed_ingest, &f, &rerr);
	if (r != 0)
		EVP_MD_CTX_free(TAKE_PTR(f.md));
	if (r == -EIO) {
		gunzip_release(&f.g);
		if (archive_in_kind(in) == ARCHIVE_IN_LOOSE && archive_in_compressed(in)) {
			ingest_end(ing);
			ingest_free(ing);
			return error_set(err, -EIO, b->input, 0, "%s", rerr.message);
		}
		/* what was read is kept; the read error, not "empty file", is the news */
		r = ingest_end(ing);
		ingest_free(ing);
		artifact_fail(b, ai, rerr.message);
		*ret_stop = archive_in_kind(in) != ARCHIVE_IN_FOLDER;
		return r;
	}
	if (r < 0) {
		gunzip_release(&f.g);
		if (rerr.message[0])
			*err = rerr;
		ingest_free(ing);
		return r;
	}
	r = ingest_end(ing);
	ingest_free(ing);
	if (f.gz)
		gunzip_verdict(b, ai, &f.g);
	gunzip_release(&f.g);
	manifest_digest(b, &b->artifacts[ai], f.md);
	return r;
}

/* One member of any kind: an artifact, ingested when it is a regular file. */
static int read_member(struct bundle *b, struct archive_in *in, const struct archive_in_member *m,
                       bool *ret_stop, struct error *err)
{
	char name[1024];
	size_t ai;
	int r;

	if (m->type == ARCHIVE_IN_DIR)
		return 0;
	if (archive_in_kind(in) == ARCHIVE_IN_ARCHIVE)
		member_name(m->path, name, sizeof(name));
	else
		snprintf(name, sizeof(name), "%s", m->path);
	r = add_artifact(b, name, &ai);
	if (r < 0)
		return r == -ERANGE ? error_set(err, r, b->input, 0,
		                                "more than %zu members; --max-members raises the "
		                                "bound",
		                                b->max_members)
		                    : r;
	if (archive_in_unsafe_name(m->path)) {
		/* it would land outside the folder if unpacked: say so, read nothing */
		artifact_fail(b, ai, "unsafe member name (absolute or with '..'): not read");
		return 0;
	}
	if (m->type != ARCHIVE_IN_FILE) {
		/* links are not followed (they could point anywhere), devices and fifos
		 * never opened: say which and where a link points */
		char what[1200], *p, *e;

		archive_in_describe(m, what, sizeof(what));
		p = strchr(what, '(');
		e = strrchr(what, ')');
		if (p && e && e > p) /* "'x' (symbolic link to '/y')" -> "symbolic link to '/y'" */
			snprintf(e, sizeof(what) - (size_t)(e - what), ": not followed");
		b->artifacts[ai].error = strdup(p ? p + 1 : what);
		return 0;
	}
	if (m->open_errno) {
		artifact_fail(b, ai, strerror(m->open_errno));
		return 0;
	}
	return ingest_member(b, in, ai, ret_stop, err);
}

struct name_ix {
	const char *path;
	size_t i;
};

static int cmp_name_ix(const void *a, const void *b)
{
	const struct name_ix *x = a, *y = b;
	int c = strcmp(x->path, y->path);

	return c ? c : (x->i > y->i) - (x->i < y->i);
}

/* Members of the same name (a hostile or merged archive): every copy is read; each
 * copy after the first says so, with the count. O(n log n) over the members. */
static int note_duplicates(struct bundle *b)
{
	struct name_ix *v;
	size_t n = b->n_artifacts;

	if (n < 2)
		return 0;
	v = calloc(n, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		v[i] = (struct name_ix){ b->artifacts[i].path ? b->artifacts[i].path : "", i };
	qsort(v, n, sizeof(*v), cmp_name_ix);
	for (size_t i = 0, k; i < n; i = k) {
		for (k = i + 1; k < n && strcmp(v[k].path, v[i].path) == 0; k++)
			;
		for (size_t q = i + 1; q < k; q++) {
			struct artifact *a = &b->artifacts[v[q].i];
			char msg[160];

			if (a->error || strcmp(v[q].path, "(archive)") == 0)
				continue;
			snprintf(msg, sizeof(msg),
			         "duplicate member name: %zu members have it; each copy was read",
			         k - i);
			a->error = strdup(msg);
			if (!a->error) {
				free(v);
				return -ENOMEM;
			}
		}
	}
	free(v);
	return 0;
}

static int read_input(struct bundle *b, const struct bundle_options *opts, struct error *err)
{
	struct archive_in_limits lim = {
		.max_total = opts && opts->max_total_bytes ? opts->max_total_bytes
		                                           : BUNDLE_MAX_TOTAL_BYTES,
		.max_member = opts ? opts->max_member_bytes : 0,
		.max_ratio = opts ? opts->max_ratio : 0,
		.max_members = b->max_members,
		.progress = opts ? opts->progress : NULL,
		.progress_userdata = opts ? opts->progress_userdata : NULL,
	};
	struct archive_in *in = NULL;
	const struct archive_in_member *m;
	bool stop = false;
	int r;

	r = archive_in_open(b->input, ARCHIVE_IN_LOOSE_FILE, &lim, &in, err);
	if (r < 0)
		return r;
	b->is_archive = archive_in_kind(in) == ARCHIVE_IN_ARCHIVE;
	while (!stop && (r = archive_in_next(in, &m, err)) == 1) {
		r = read_member(b, in, m, &stop, err);
		if (r < 0)
			break;
	}
	if (r >= 0 && note_duplicates(b) < 0)
		r = -ENOMEM;
	if (r == -EIO && b->is_archive) {
		size_t ai;

		if (archive_in_count(in) == 0) {
			error_reset(err);
			r = error_set(err, -EIO, b->input, 0, "not a readable archive: %s",
			              archive_in_error(in));
		} else {
			/* a truncated or corrupt tail: keep what was read */
			if (add_artifact(b, "(archive)", &ai) == 0)
				artifact_fail(b, ai,
				              err->message[0] ? err->message
				                              : archive_in_error(in));
			error_reset(err);
			r = 0;
		}
	}
	archive_in_free(in);
	return r < 0 ? r : 0;
}

int bundle_open(const char *path, const struct bundle_options *opts, struct bundle **ret,
                struct error *err)
{
	struct bundle *b;
	struct stat st;
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
	b->max_members = opts && opts->max_members ? opts->max_members : BUNDLE_MAX_MEMBERS;
	if (S_ISDIR(st.st_mode) || S_ISREG(st.st_mode))
		r = read_input(b, opts, err);
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

/* A member by name, by reading the input up to it. */
int bundle_read(const struct bundle *b, const char *member, size_t max, struct buf *ret,
                struct error *err)
{
	struct archive_in *in = NULL;
	const struct archive_in_member *m;
	struct stat st;
	int r;

	if (stat(b->input, &st) < 0)
		return error_set(err, -errno, b->input, 0, "cannot open: %s", strerror(errno));
	if (S_ISDIR(st.st_mode) && (strstr(member, "..") || member[0] == '/'))
		return error_set(err, -EINVAL, member, 0, "invalid member name");
	r = archive_in_open(b->input, ARCHIVE_IN_LOOSE_FILE, NULL, &in, err);
	if (r < 0)
		return r;
	while ((r = archive_in_next(in, &m, err)) == 1) {
		char name[1024];

		if (archive_in_kind(in) == ARCHIVE_IN_ARCHIVE)
			member_name(m->path, name, sizeof(name));
		else
			snprintf(name, sizeof(name), "%s", m->path);
		if (m->type != ARCHIVE_IN_FILE || strcmp(name, member) != 0)
			continue;
		if (m->open_errno)
			r = error_set(err, -m->open_errno, member, 0, "%s",
			              strerror(m->open_errno));
		else
			r = archive_in_read_all(in, ret, max, err);
		archive_in_free(in);
		return r;
	}
	archive_in_free(in);
	if (r < 0)
		return r;
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
