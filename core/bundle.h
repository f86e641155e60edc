/* SPDX-License-Identifier: Apache-2.0 */
/* The bundle reader: open a bundle (collected archive, unpacked folder, a tar /
 * tar.gz / tar.zst of loose files, or one loose file), stream every member once,
 * recognise each by content and fill the model (model.h).
 *
 * The caller:
 *   1. bundle_open(path, &opts, &b, &err)  -- one pass; archives are read as a
 *      stream with libarchive and never extracted; logs are processed line by line;
 *   2. reads b->routes, b->certs, ... (checks do this through const pointers);
 *   3. bundle_free(b).
 * bundle_open fails (-EIO/-EINVAL, err names the file) only when the input as a
 * whole is unreadable or not a bundle; a bad member is recorded in its artifact
 * (failed, error) and reading goes on. */
#ifndef CORE_BUNDLE_H
#define CORE_BUNDLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "model.h"

struct error;

#define BUNDLE_MAX_DOC_BYTES (64u << 20) /* JSON/YAML/PEM documents held whole */
#define BUNDLE_MAX_LINE_BYTES (1u << 20) /* longer lines are cut (and counted) */
#define BUNDLE_MAX_MEMBERS 200000
#define BUNDLE_MAX_TOTAL_BYTES (256ull << 30) /* decompression-bomb guard */
#define BUNDLE_MAX_DEPTH 64                   /* JSON/YAML nesting */

struct archive_in_progress;

struct bundle_options {
	int64_t now;               /* analysis clock (seconds); 0 = time(NULL) */
	uint64_t max_total_bytes;  /* 0 = BUNDLE_MAX_TOTAL_BYTES */
	uint64_t max_member_bytes; /* 0 = ARCHIVE_IN_MAX_MEMBER (core/archive_in.h) */
	unsigned max_ratio;        /* 0 = ARCHIVE_IN_MAX_RATIO */
	size_t max_members;        /* 0 = BUNDLE_MAX_MEMBERS (--max-members) */
	/* after each member read (a progress line); NULL = none */
	void (*progress)(void *userdata, const struct archive_in_progress *p);
	void *progress_userdata;
};

struct bundle {
	char *input; /* the path given */
	bool is_archive;
	size_t max_members;       /* members read at most (bundle_options) */
	bool is_collected;        /* has a manifest.json of ours */
	char manifest_sha256[65]; /* of that manifest.json as read, hex; "" = none */
	char *top;                /* top folder of a collected bundle ("" if none) */

	/* collection time, see checks.md: manifest, else newest timestamp, else clock */
	int64_t collected_at;
	enum time_source time_source;
	int64_t newest_timestamp; /* 0 = none seen */
	char *tool_version;       /* from the manifest */

	/* the manifest's "sources" and redaction.json's counts, for the report */
	struct manifest_source *sources;
	size_t n_sources, cap_sources;
	bool redaction_seen;
	struct redaction_count *redactions;
	size_t n_redactions, cap_redactions;

	struct artifact *artifacts;
	size_t n_artifacts, cap_artifacts;

	/* Kubernetes */
	bool routes_listed; /* a full route list (JSON List or table) was seen */
	struct route *routes;
	size_t n_routes, cap_routes;
	struct route_config *route_configs;
	size_t n_route_configs, cap_route_configs;
	bool secrets_listed;
	struct secret_meta *secrets;
	size_t n_secrets, cap_secrets;
	struct pod_meta *pods;
	size_t n_pods, cap_pods;
	struct service_meta *services;
	size_t n_services, cap_services;
	char *namespace_;

	/* overrides.yaml (all files merged; org from the first that names one) */
	bool overrides_seen;
	struct overrides overrides;
	struct vhost *vhosts;
	size_t n_vhosts, cap_vhosts;

	/* certificates and keys */
	struct cert_rec *certs;
	size_t n_certs, cap_certs;
	struct key_rec *keys;
	size_t n_keys, cap_keys;
	bool input_has_private_key;

	/* logs */
	struct access_log_stats access;
	struct watcher_stats watcher;

	/* client side */
	struct curl_trace *curls;
	size_t n_curls, cap_curls;
	struct sclient_trace *sclients;
	size_t n_sclients, cap_sclients;
	bool probes_seen; /* a probes document was present (even if empty) */
	struct probe *probes;
	size_t n_probes, cap_probes;

	/* management API */
	struct api_org org;
	bool instances_listed;
	struct api_instance *instances;
	size_t n_instances, cap_instances;
	bool envgroups_listed;
	struct api_envgroup *envgroups;
	size_t n_envgroups, cap_envgroups;
	struct api_error *api_errors;
	size_t n_api_errors, cap_api_errors;

	/* Google Cloud: gcloud JSON and Cloud Logging entries (ingest_gcp.c) */
	struct gcp_facts gcp;

	/* packet captures */
	struct pcap_stats pcap;
	struct pcap_conn *pcap_conns;
	size_t n_pcap_conns, cap_pcap_conns;

	/* some kind of fact reached MODEL_MAX_ITEMS: later ones were dropped, so
	 * verdicts that need every item may be incomplete (the report says so) */
	bool model_capped;

	/* internal: attachments documents whose instance is known only from the
	 * manifest (resolved at the end of the pass) */
	void *pending;
	/* internal (textscan.c): the bundle-wide set of remote addresses of rejected
	 * non-SNI handshakes, for access.distinct_remote */
	void *access_remotes;
};

int bundle_open(const char *path, const struct bundle_options *opts, struct bundle **ret,
                struct error *err);
void bundle_free(struct bundle *b);

/* Read one member's bytes again (archives are re-opened and scanned). At most max
 * bytes; -ENOENT when absent, -ERANGE when larger. */
int bundle_read(const struct bundle *b, const char *member, size_t max, struct buf *ret,
                struct error *err);

typedef int (*bundle_foreach_fn)(const struct artifact *a, void *userdata);
int bundle_foreach(const struct bundle *b, bundle_foreach_fn fn, void *userdata);

/* ---- used by the ingest parsers (not by checks) ---------------------------- */

struct route *bundle_route(struct bundle *b, const char *name); /* find or add */
const struct route *bundle_find_route(const struct bundle *b, const char *name);
struct vhost *bundle_add_vhost(struct bundle *b);
struct cert_rec *bundle_add_cert(struct bundle *b);
struct key_rec *bundle_add_key(struct bundle *b);
struct secret_meta *bundle_secret(struct bundle *b, const char *name); /* find or add */
const struct secret_meta *bundle_find_secret(const struct bundle *b, const char *name);
struct curl_trace *bundle_add_curl(struct bundle *b);
struct sclient_trace *bundle_add_sclient(struct bundle *b);
struct probe *bundle_add_probe(struct bundle *b);
struct api_instance *bundle_instance(struct bundle *b, const char *name);
struct api_envgroup *bundle_envgroup(struct bundle *b, const char *name);
struct api_error *bundle_add_api_error(struct bundle *b);
struct pod_meta *bundle_add_pod(struct bundle *b);
struct service_meta *bundle_add_service(struct bundle *b);
struct route_config *bundle_add_route_config(struct bundle *b);
struct pcap_conn *bundle_add_pcap_conn(struct bundle *b);
/* Record a time seen in the data (for the loose-files collection time). */
void bundle_note_time(struct bundle *b, int64_t t);
void bundle_watcher_missing(struct bundle *b, const char *secret, size_t len, const char *artifact,
                            unsigned line, const char *excerpt);

#endif
