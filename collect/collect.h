/* SPDX-License-Identifier: Apache-2.0 */
/* The collector's internals: options, the sink's life cycle (sink.h has what
 * sources call) and the sources implemented in this folder (kube.c, overrides.c,
 * gcloud.c). The network sources (api.c, probe.c) are declared in sources.h.
 *
 * One collection, as cmd_collect.c runs it:
 *   1. sink_new() -- the redactor, the staging area next to the output file;
 *   2. every source at once: collect_kube(), collect_overrides(), collect_api(),
 *      collect_gcloud(), collect_attachments(); each emits members and outcomes;
 *      collect_probes() and collect_gcloud_network() as soon as the facts they
 *      need (probe targets, networks) are known;
 *   4. sink_finish() -- members sorted by path, then redaction.json, then
 *      manifest.json, written atomically; or nothing at all when a leak was found
 *      or the run was interrupted;
 *   5. sink_free() -- removes whatever was staged.
 * Library code: nothing here prints except the sink's progress lines, which go to
 * the stream the cmd layer hands it. */
#ifndef COLLECT_COLLECT_H
#define COLLECT_COLLECT_H

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "buf.h"
#include "sink.h"

struct error;
struct json_t;
struct redactor;
struct run_result;

#define COLLECT_DEFAULT_NAMESPACE "apigee"
#define COLLECT_DEFAULT_LOG_LINES 10000
#define COLLECT_DEFAULT_TIMEOUT_S 30
/* kubectl commands at once: the six first-level ones (lists, logs, describe,
 * tables, version, pod table) all start together; fallbacks queue behind them */
#define COLLECT_DEFAULT_PARALLEL 6
#define COLLECT_MAX_JSON (64u << 20)       /* kubectl JSON held in memory */
#define COLLECT_MEMBER_SPILL (1u << 20)    /* staged members above this go to a file */
#define COLLECT_MAX_STDERR_KEPT 2048       /* stderr bytes kept in the manifest */
#define COLLECT_MAX_LOG_BYTES (2ull << 30) /* per container log */
#define COLLECT_MAX_ATTACH (256u << 20)    /* per --attach file */

struct collect_options {
	const char *output;
	const char *ns;
	const char *kubeconfig;
	const char *context;
	const char *kubectl; /* resolved path or NULL = not found */
	const char *kubectl_arg;
	const char *gcloud; /* resolved path or NULL */
	const char *gcloud_arg;
	const char *org;
	const char *api_base;
	const char *cacert;
	const char *project;
	const char *network_project; /* Shared VPC host project (--network-project) */
	const char *since;
	const char *map;
	struct strv overrides, instances, hosts, resolves, ingress, attach;
	long log_lines;
	bool offline;
	bool pseudonymize;
	int64_t timeout_ms;
	unsigned parallel;
	const volatile sig_atomic_t *cancel;
	/* the command line only (cmd_collect.c) */
	const char *output_label; /* how messages name the output ("standard output") */
	struct strv only, skip;   /* --only / --skip source names */
	bool list;                /* --list: print the sources, run nothing */
	bool quiet;               /* --quiet: no summary */
	char *capture_iface;      /* --capture IFACE[:SECONDS] (owned), NULL = none */
	long capture_seconds;
};

/* ---- the source table (run_sources.c) -------------------------------------------- */

/* The collector's sources run from one table (cmd_collect.c), all at once: a
 * source waits only for the facts it needs from another (probe targets from the
 * routes, the authorized network from gcloud), never for a whole phase. A source
 * records its own members and outcomes in the sink; when it cannot run at all it
 * returns a negative errno with err set, and collect_run_sources then marks it
 * failed in the manifest with err's message, which the sink also prints as the
 * source's progress line. */
enum collect_phase {
	COLLECT_PHASE_GATHER = 0, /* independent sources */
	COLLECT_PHASE_AFTER,      /* sources that need what others find (see needs) */
	COLLECT_PHASE__MAX,
};

/* Facts one source hands to others (bits). */
enum collect_fact {
	COLLECT_FACT_KUBE = 1u << 0,   /* route host names, ingress addresses */
	COLLECT_FACT_API = 1u << 1,    /* env group host names, api/organization.json */
	COLLECT_FACT_GCLOUD = 1u << 2, /* the networks of the proxy templates */
};

/* Which facts are ready: a source waits for the ones it needs. */
struct collect_facts {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	unsigned ready;
};
void collect_facts_init(struct collect_facts *f);
void collect_facts_release(struct collect_facts *f);
/* Mark facts ready (a source may say so before it ends: kubectl once it listed
 * the routes and services, before the logs). */
void collect_facts_provide(struct collect_facts *f, unsigned facts);
void collect_facts_wait(struct collect_facts *f, unsigned facts);

struct collect_source {
	const char *name;
	enum collect_phase phase; /* GATHER sources come first in the table */
	int (*run)(void *state, struct error *err);
	unsigned provides; /* facts ready at the latest when run() returns */
	/* the facts it needs with these options (NULL: none); waited for before run() */
	unsigned (*needs)(const void *state);
};

/* Run the n sources of table at once (one thread each), every source after the
 * facts it needs; facts that no source of the table provides count as ready.
 * Returns the number of sources that failed. */
unsigned collect_run_sources(const struct collect_source *table, size_t n, void *state,
                             struct collect_facts *facts, struct sink *s,
                             const volatile sig_atomic_t *cancel);

/* ---- the sink's life cycle (sink.c) ------------------------------------------------ */

struct sink_options {
	struct redactor *redactor; /* borrowed */
	const char *staging_dir;   /* where spilled members go (unlinked at once) */
	FILE *progress;            /* NULL = silent */
	bool tty;                  /* live status line */
	bool verbose;              /* print each command line and request (--verbose) */
	const volatile sig_atomic_t *cancel;
};

struct sink_summary {
	unsigned collected, skipped, failed, disabled;
	unsigned members;
	uint64_t bytes;
	int64_t wait_ms;      /* summed over all waits (parallel waits add up) */
	int64_t wait_wall_ms; /* wall-clock time with at least one wait going */
};

int sink_new(const struct sink_options *o, struct sink **ret, struct error *err);
void sink_free(struct sink *s);

/* A source started (live status line on a TTY). */
void sink_begin(struct sink *s, const char *name);
/* A started step ended without an outcome of its own (another step records it). */
void sink_end(struct sink *s, const char *name);
/* sink_source() with the duration shown, and user_disabled for sources switched
 * off on purpose (--offline, no --project): recorded as skipped, not counted for
 * the exit status. duration_ms < 0: unknown. */
void sink_source_ex(struct sink *s, const char *name, enum outcome o, const char *reason,
                    int64_t duration_ms, bool user_disabled);
/* A literal (the API token) that must never appear in any member: occurrences are
 * replaced before redaction in buffered members; found in a streamed member, it is
 * a leak (no archive). Strings shorter than 8 bytes are ignored. */
int sink_protect(struct sink *s, const char *secret);
/* Keep a raw copy of the member emitted under path (for the collector's own use:
 * probe targets from api/envgroups.json). sink_raw copies it into ret (-ENOENT). */
int sink_keep_raw(struct sink *s, const char *path);
int sink_raw(struct sink *s, const char *path, struct buf *ret);

/* Streaming members (logs): bytes are redacted and leak-scanned as they come and
 * staged in an unlinked temp file. sink_stream_write has run_out_fn's shape. */
struct sink_stream;
int sink_stream_begin(struct sink *s, const char *path, struct sink_stream **ret,
                      struct error *err);
int sink_stream_write(void *stream, const void *data, size_t len);
/* Finish: m describes the member (m->path, m->data and m->len are ignored). */
int sink_stream_end(struct sink_stream *st, const struct member_out *m, struct error *err);
void sink_stream_abort(struct sink_stream *st);

/* The first failure that forbids writing a bundle (a leak, a staging write error,
 * out of memory): 0 if none, else negative with ret filled. */
int sink_failed(struct sink *s, struct error *ret);

/* Write the archive: members sorted by path, redaction.json, manifest.json.
 * collection is the manifest's "collection" object (start, end, options; borrowed).
 * Fills ret_summary (may be NULL) also on failure. On any failure nothing exists at
 * output (the temp file is removed). */
int sink_finish(struct sink *s, const char *output, struct json_t *collection, int64_t mtime,
                struct sink_summary *ret_summary, struct error *err);
void sink_get_summary(struct sink *s, struct sink_summary *ret);
/* Print the summary of skipped/failed sources with reasons. */
void sink_print_summary(struct sink *s, FILE *f);

/* ---- sources in this folder -------------------------------------------------------- */

struct kube_facts {
	struct strv route_hosts;   /* non-wildcard ApigeeRoute host names */
	struct strv ingress_addrs; /* "ip:port" of the ingress gateway services */
};
void kube_facts_release(struct kube_facts *f);

/* kubectl sources (kube.c): version, routes, route configs, describe, secrets
 * (facts only), pods, services, logs. Missing kubectl: every source skipped.
 * The JSON lists come from one `kubectl get KIND,KIND,... -o json`, split back
 * into one member per kind (per-kind gets when it fails). facts_ready (may be
 * NULL) is called once ret_facts is complete, before the describes and logs. */
int collect_kube(const struct collect_options *o, struct sink *s, struct kube_facts *ret_facts,
                 void (*facts_ready)(void *ud), void *ud, struct error *err);

/* --overrides files (overrides.c): stored redacted, TLS facts of the files named by
 * sslCertPath/sslKeyPath, chains kept when public. ret_org (may be NULL) gets the
 * first org named (caller frees). */
int collect_overrides(const struct collect_options *o, struct sink *s, char **ret_org,
                      struct error *err);
/* The org named by the first overrides file that has one, without storing
 * anything (to default --org before the sources run). NULL when none. */
char *collect_overrides_org(const struct strv *files);

/* The TLS entry of a certificate file and an optional key (doc/bundle-layout.md):
 * adds "certificates", "cert_error", "key", "key_matches" to entry. cert may be
 * NULL with cert_missing set to the text of why it could not be read; the same for
 * the key (key_missing). *ret_public_chain is set when the certificate bytes
 * parsed as certificates and hold no private key (safe to store). */
int collect_tls_entry(struct json_t *entry, const void *cert, size_t cert_len,
                      const char *cert_missing, const void *key, size_t key_len,
                      const char *key_missing, bool *ret_public_chain);

/* gcloud sources (gcloud.c): with --project, the load balancer facts
 * (doc/bundle-layout.md, gcp/). Phase 1, collect_gcloud(): lists, then describes
 * of what the lists name (certificates, backend health, MIG instances, instance
 * templates) and the load balancer's logs; ret_facts gets the networks the
 * templates and instances use. Phase 2, collect_gcloud_network(): the authorized
 * network (api/organization.json kept raw by the sink, else the networks found)
 * described, its peerings and effective firewalls, in the --network-project host
 * project when given. gcloud failures are classified (permission denied, API not
 * enabled, not found) in the reason and the manifest. */
struct gcloud_facts {
	struct strv networks; /* network URLs/names of the apigee-proxy templates */
	bool ran;             /* phase 1 ran gcloud */
};
void gcloud_facts_release(struct gcloud_facts *f);
int collect_gcloud(const struct collect_options *o, struct sink *s, struct gcloud_facts *ret_facts,
                   struct error *err);
int collect_gcloud_network(const struct collect_options *o, struct sink *s,
                           const struct gcloud_facts *f, struct error *err);
/* `gcloud auth print-access-token` into ret (cleansed by the caller). */
int collect_gcloud_token(const struct collect_options *o, struct buf *ret, struct error *err);

/* --attach files (attach.c) */
int collect_attachments(const struct collect_options *o, struct sink *s, struct error *err);

/* What a source makes of a finished command: the outcome and reason the runner
 * found, which a classifier may change (a cluster without the CRDs, a gcloud 403). */
struct command_verdict {
	enum outcome outcome;
	char *reason;   /* malloc'd or NULL */
	bool no_member; /* record the source only, no member */
};
/* May also rewrite errbuf (the stderr that is stored, redacted, in the manifest). */
typedef void (*collect_classify_fn)(const struct run_result *res, struct buf *errbuf,
                                    struct command_verdict *v);

/* Shared by the kube and gcloud sources: run one command and emit its stdout as
 * the member at path (path NULL: emit nothing, only the source line), recording
 * argv, status, stderr and duration. classify (may be NULL) judges the result.
 * ret_out (may be NULL) receives stdout. Returns the outcome. */
enum outcome collect_command(const struct collect_options *o, struct sink *s, const char *name,
                             const char *path, const struct strv *argv, struct buf *ret_out,
                             collect_classify_fn classify);
/* "exit 1: first stderr line" / "timed out after 30 s" / "killed by signal 9". */
char *collect_describe_failure(const struct run_result *res, const char *stderr_text);

#endif
