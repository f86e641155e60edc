/* SPDX-License-Identifier: Apache-2.0 */
/* The bundle model: the facts that the ingest layer extracts from every artifact
 * of a bundle (collected archive, unpacked folder, or loose hand-gathered files),
 * and that checks read. Checks never see raw bytes; they see these facts plus a
 * locator (struct loc) for each, which becomes the finding's evidence.
 *
 * Ownership: everything here is owned by the struct bundle that holds it and is
 * released by bundle_free(). Arrays are (v, n) pairs grown with model_grow().
 * Every array the input controls is capped (MODEL_MAX_*), so memory stays bounded
 * whatever the bundle size; counters keep counting past the caps. */
#ifndef CORE_MODEL_H
#define CORE_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "pem.h"

#define MODEL_MAX_ITEMS 4096     /* routes, secrets, certificates, traces, ... per kind */
#define MODEL_MAX_SAMPLES 5      /* evidence samples kept per aggregate */
#define MODEL_MAX_DISTINCT 65536 /* distinct values counted exactly (then "at least") */

/* Where a fact was found: the evidence locator. */
struct loc {
	char *artifact; /* member path inside the bundle */
	unsigned line;  /* 1-based, 0 = not applicable */
	char *pointer;  /* JSON pointer or YAML path, NULL = not applicable */
	char *excerpt;  /* short, printable, already escaped; NULL = none */
};

int loc_set(struct loc *l, const char *artifact, unsigned line, const char *pointer,
            const char *excerpt);
int loc_copy(struct loc *dst, const struct loc *src);
void loc_release(struct loc *l);

/* Grow *v (elements of size elem) so that index n is valid; 0 / -ENOMEM / -ERANGE
 * when n reaches MODEL_MAX_ITEMS. New memory is zeroed. */
int model_grow(void **v, size_t *cap, size_t n, size_t elem);

/* ---- collection and redaction records (for the report) ------------------- */

/* A manifest.json "sources" entry: what collect gathered, skipped or failed. */
struct manifest_source {
	char *name;
	char *status; /* "collected", "skipped", "failed" (as written) */
	char *reason; /* NULL when none */
};

/* A redaction.json "rules" entry: how many values the rule replaced. */
struct redaction_count {
	char *rule;
	uint64_t count;
};

/* ---- Kubernetes ----------------------------------------------------------- */

enum route_source {
	ROUTE_SRC_JSON = 1 << 0,     /* kubectl get -o json / -o yaml (full spec) */
	ROUTE_SRC_TABLE = 1 << 1,    /* kubectl get apigeeroutes (NAME STATE AGE) */
	ROUTE_SRC_DESCRIBE = 1 << 2, /* kubectl describe apigeeroute */
	ROUTE_SRC_JSONPATH = 1 << 3, /* -o jsonpath='{.spec.X}' fragment in a transcript */
};

enum tristate {
	TRI_ABSENT = 0, /* field not present */
	TRI_FALSE,
	TRI_TRUE,  /* boolean true */
	TRI_OTHER, /* present but not a boolean (e.g. the string "true") */
};

struct route {
	char *name;
	char *namespace_;
	struct strv hostnames;
	bool hostnames_known;
	enum tristate non_sni; /* spec.enableNonSniClient */
	char *non_sni_raw;     /* textual value as found, for evidence */
	struct strv additional_gateways;
	bool gateways_known;
	struct strv credential_names; /* spec.ports[].tls.credentialName */
	char *state;                  /* status.state or the STATE column; NULL = unknown */
	unsigned sources;             /* enum route_source bits */
	struct loc where;             /* best locator: JSON > describe > table */
};

/* ApigeeRouteConfig (kustomize installs): additionalGateways equivalent. */
struct route_config {
	char *name;
	struct strv additional_gateways;
	enum tristate non_sni;
	struct loc where;
};

struct secret_meta {
	char *name;
	char *type;
	struct strv data_keys;
	struct loc where;
};

struct pod_meta {
	char *name;
	char *app; /* metadata.labels.app */
	char *phase;
	char *ready; /* "2/2" when known */
	struct loc where;
};

struct service_meta {
	char *name;
	char *type;
	struct strv external_ips; /* status.loadBalancer.ingress[].ip / hostname */
	struct loc where;
};

/* ---- overrides.yaml ------------------------------------------------------- */

struct vhost {
	char *name;
	char *ssl_cert_path;
	char *ssl_key_path;
	char *ssl_secret;
	struct strv additional_gateways;
	bool gateways_known;
	struct strv host_aliases; /* apigeectl-era hostAliases */
	struct loc where;
	/* the members sslCertPath / sslKeyPath name, resolved once by ingest against the
	 * folder (relative, other base folder, bare names, Windows paths): 1 + index in
	 * bundle.artifacts, 0 = not in the input */
	size_t cert_file, key_file;
};

struct overrides {
	char *org;
	char *instance_id;
	char *project;
	struct loc where; /* the file */
};

/* ---- certificates ---------------------------------------------------------- */

enum cert_role {
	CERT_ROLE_LOOSE = 0, /* a PEM file found in the input */
	CERT_ROLE_VHOST,     /* named by a virtual host's sslCertPath */
	CERT_ROLE_SECRET,    /* held by a Kubernetes Secret */
	CERT_ROLE_SERVED,    /* received by a TLS probe or shown in a transcript */
	CERT_ROLE_LB,        /* a load balancer certificate (gcloud) */
};

enum key_state {
	KEYSTATE_UNKNOWN = 0, /* no key seen for this certificate */
	KEYSTATE_OK,          /* key loaded; see key_match */
	KEYSTATE_BAD,         /* key present but unreadable; key_error says why */
};

/* One certificate slot: a parsed certificate (chain position chain_index, 0 = leaf)
 * or a failed parse of something that should have been one. */
struct cert_rec {
	enum cert_role role;
	char *owner; /* virtual host, secret name, probed host name / address; NULL for loose */
	char *file;  /* the configured path (sslCertPath) or data key, when known */
	unsigned chain_index;
	bool parsed;
	struct cert_facts facts; /* when parsed */
	enum pem_error error;    /* when !parsed */
	char *error_text;
	enum key_state key_state; /* leaf only */
	int key_match;            /* -1 unknown, 0 mismatch, 1 match */
	enum pem_error key_error;
	char *key_error_text;
	struct loc where;
};

/* A private key found loose in the input (its facts only; the key is not kept). */
struct key_rec {
	struct key_facts facts;
	char *error_text;
	struct loc where;
};

/* ---- logs ----------------------------------------------------------------- */

struct access_log_stats {
	uint64_t files;
	uint64_t lines;         /* all lines of recognised access logs */
	uint64_t entries;       /* lines recognised as access-log entries */
	uint64_t nonsni_reject; /* sni empty + filter_chain_not_found */
	uint64_t fcnf_with_sni; /* filter_chain_not_found for a named SNI (unknown host) */
	char first_start[40];   /* start_time of the first / last rejected entry */
	char last_start[40];
	struct loc samples[MODEL_MAX_SAMPLES];
	size_t n_samples;
	uint64_t distinct_remote; /* distinct remote addresses among rejected entries */
	bool distinct_capped;
	/* filter_chain_not_found lines of other workloads (a sidecar's listener, not the
	 * ingress: no ingressgateway pod/file name, local port not 443/8443): set aside */
	uint64_t not_ingress;
	char not_ingress_local[64]; /* the first such line's local address */
	char not_ingress_file[128]; /* and its file */
	uint64_t other_entries;     /* entries whose listener is known and not the ingress's */
};

struct watcher_missing {
	char *secret;
	uint64_t count;
	struct loc first;
};

struct watcher_stats {
	uint64_t files;
	uint64_t lines;
	uint64_t errors; /* level=error lines */
	struct watcher_missing *missing;
	size_t n_missing, cap_missing;
};

/* ---- client transcripts and probes --------------------------------------- */

enum curl_symptom {
	CURL_SYM_RESET = 1 << 0,       /* reset / SSL_ERROR_SYSCALL during the handshake */
	CURL_SYM_ALERT = 1 << 1,       /* handshake failure alert */
	CURL_SYM_VERIFY = 1 << 2,      /* certificate verification failed (60/51) */
	CURL_SYM_HTTP502 = 1 << 3,     /* 502 with the Google "Server Error" page */
	CURL_SYM_HTTP503 = 1 << 4,     /* 503 (via: 1.1 google) */
	CURL_SYM_HTTP403_404 = 1 << 5, /* 403 / 404 */
	CURL_SYM_CONNECT = 1 << 6,     /* refused / timed out / DNS */
	CURL_SYM_OK = 1 << 7,          /* handshake completed and an HTTP status arrived */
};

/* What a certificate verification failure means, decided once in ingest from the
 * OpenSSL verify code (s_client, probes) or from the client's error text (curl with
 * OpenSSL, LibreSSL, NSS, Schannel, Secure Transport). The checks read only this. */
enum verify_class {
	VERIFY_UNKNOWN = 0,    /* no verification result shown */
	VERIFY_OK,             /* verify return code 0, "SSL certificate verify ok" */
	VERIFY_VALIDITY,       /* 9/10: not yet valid / expired (TLS-005's business) */
	VERIFY_UNTRUSTED_ROOT, /* 18/19: self-signed or a private root the client lacks */
	VERIFY_MISSING_ISSUER, /* 2/20/21: unable to get issuer, missing intermediate */
	VERIFY_HOST_MISMATCH,  /* 62: name mismatch (TLS-006's business) */
	VERIFY_OTHER,
};

const char *verify_class_name(enum verify_class c);
enum verify_class verify_class_from_code(long code);
enum verify_class verify_class_from_text(const char *text);

/* The trust a client verified against, read from its command line. */
enum trust_source {
	TRUST_DEFAULT = 0, /* the client's default store (no CA option seen) */
	TRUST_CA_GIVEN,    /* -CAfile / -CApath / --cacert / --capath */
	TRUST_NONE,        /* -k / --insecure: verification result ignored */
};

struct curl_trace {
	int exit_code;     /* curl: (NN); -1 when not shown */
	char *tls_library; /* "OpenSSL", "LibreSSL", "schannel", "SecureTransport", NULL */
	char *url;
	char *host;        /* host of the URL / "Connected to" */
	bool ip_literal;   /* target is an IP literal: the client sends no SNI */
	bool insecure;     /* -k seen */
	unsigned symptoms; /* enum curl_symptom bits */
	int http_status;   /* last response status, 0 = none */
	bool via_google;
	bool gfe_error_page; /* "Server Error ... try again in 30 seconds" */
	char *verify_error;  /* "certificate has expired", "self-signed certificate", ... */
	char *connect_error; /* "Connection refused", "Could not resolve host", ... */
	struct loc where;    /* line of the decisive message */
	enum verify_class verify_class;
	enum trust_source trust;
	bool tls;                /* https URL or a TLS handshake line */
	char leaf_subject[256];  /* "*  subject: ..." of the served certificate */
	char leaf_issuer[256];   /* "*  issuer: ..." */
	char leaf_not_after[40]; /* "*  expire date: ..." */
	bool cert_requested;     /* the server asked for a client certificate (Request CERT) */
	/* realworld2: the served leaf's dates as the client printed them ("start date",
	 * "expire date" of every TLS backend), 0 = not shown; the client's own date check;
	 * the response's Date header (the server's clock when the transcript was taken) */
	int64_t leaf_not_before_t, leaf_not_after_t;
	unsigned leaf_dates_line; /* line of the "expire date", 0 = none */
	bool dates_ok;
	int64_t http_date;
};

struct sclient_trace {
	bool noservername; /* -noservername, or an IP target without -servername */
	char *target;
	bool no_peer_cert; /* "no peer certificate available" */
	bool got_cert;     /* "Certificate chain" / "Server certificate" seen */
	bool reset;        /* errno=104/54, Connection reset */
	char *alert;       /* "handshake failure", ... */
	int verify_code;   /* Verify return code: N; -1 unknown */
	char *verify_text;
	char *leaf_subject;
	struct loc where;
	enum verify_class verify_class; /* from verify_code */
	enum trust_source trust;
	const char *no_sni_why; /* static text: why this run sent no SNI; NULL = unknown */
	char host[256];         /* -servername, else the host of -connect */
	char leaf_issuer[256];  /* depth 0 "i:" / "issuer=" */
	bool cert_requested;    /* "Client Certificate Types" / acceptable client CA names */
	/* realworld2: OpenSSL 3 "v:NotBefore: ...; NotAfter: ..." of the leaf (0 = not
	 * shown) and the session's "Start Time:" (0 = not shown) */
	int64_t leaf_not_before_t, leaf_not_after_t;
	unsigned leaf_dates_line; /* line of the "v:NotBefore", 0 = none */
	int64_t start_time;
};

enum probe_outcome {
	PROBE_OK = 0,
	PROBE_RESET,
	PROBE_EOF,
	PROBE_ALERT,
	PROBE_TIMEOUT,
	PROBE_REFUSED,
	PROBE_DNS,
	PROBE_ERROR,
	PROBE__MAX,
	PROBE__INVALID = -22,
};

const char *probe_outcome_name(enum probe_outcome o);
enum probe_outcome probe_outcome_from_name(const char *s);

/* One TLS handshake made by the collector. */
struct probe {
	char *host;    /* the host name this probe is about (may be NULL for an ingress address) */
	char *address; /* address connected to */
	int port;
	char *sni; /* server name sent, NULL = no SNI */
	enum probe_outcome outcome;
	char *alert;
	char *error;
	char *protocol;
	char *cipher;
	bool got_cert;
	char leaf_sha256[65];
	int verify_ok; /* -1 unknown, 0 failed, 1 ok */
	long verify_code;
	char *verify_error;
	enum verify_class verify_class; /* from verify_code / verify_error */
	struct loc where;
};

/* ---- Apigee management API ------------------------------------------------ */

struct api_org {
	bool seen;
	char *name;
	char *runtime_type;
	char *authorized_network;
	struct strv environments;
	struct loc where;
};

struct api_instance {
	char *name;
	char *host;
	char *location;
	struct strv attached_envs;
	bool attachments_known;
	struct loc where;
	struct loc attachments_where;
};

struct api_envgroup {
	char *name;
	struct strv hostnames;
	struct strv attached_envs;
	bool attachments_known;
	struct loc where;
};

struct api_error {
	int code;
	char *status;
	char *message;
	char *url;
	struct loc where;
};

/* ---- packet captures (core/capture.c) ------------------------------------- */

enum pcap_tcp_state {
	PCAP_TCP_MIDSTREAM = 0, /* no SYN in the capture */
	PCAP_TCP_NO_ANSWER,     /* SYN(s) without SYN-ACK before the capture ended */
	PCAP_TCP_REFUSED,       /* SYN answered by a reset */
	PCAP_TCP_ESTABLISHED,   /* SYN-ACK seen */
};

/* What the server did after a ClientHello and before any ServerHello. */
enum pcap_hs_end {
	PCAP_END_NONE = 0, /* nothing (or a ServerHello) */
	PCAP_END_RST,
	PCAP_END_FIN,
	PCAP_END_ALERT,
};

#define PCAP_MAX_ALERTS 4

struct pcap_alert {
	uint8_t level, desc;
	bool from_server;
	bool before_done; /* before the handshake completed (cleartext) */
	uint64_t frame;
	int64_t time_us;
};

/* One TCP connection of a capture that tried to connect or carried a ClientHello. */
struct pcap_conn {
	char client[48], server[48]; /* addresses as text */
	uint16_t client_port, server_port;
	enum pcap_tcp_state tcp;
	uint64_t first_frame; /* first packet of the connection */
	int64_t first_us;     /* its time, microseconds since the epoch */
	int64_t last_us;      /* time of its last packet */
	bool client_hello;
	bool has_sni;
	char *sni; /* NULL without SNI */
	uint16_t client_version;
	uint64_t ch_frame;
	int64_t ch_us;
	bool server_hello;
	uint16_t version; /* negotiated (supported_versions aware) */
	uint64_t sh_frame;
	enum pcap_hs_end end;
	uint64_t end_frame;
	int64_t end_us;
	struct pcap_alert alerts[PCAP_MAX_ALERTS];
	size_t n_alerts;
	long cert_index; /* served leaf in bundle->certs, -1 none */
	uint64_t cert_frame;
	int64_t cert_us;
	bool stream_cut;  /* the capture lacks bytes of this stream (snap length, hole) */
	struct loc where; /* artifact, line = frame of the first packet, excerpt */
};

struct pcap_stats {
	uint64_t files;            /* captures read */
	uint64_t packets;          /* frames read */
	uint64_t undecoded;        /* frames not IPv4/IPv6 TCP (or of an unknown link type) */
	uint64_t conns;            /* TCP connections seen */
	uint64_t conns_untracked;  /* not followed: the connection table was full */
	uint64_t conns_unrecorded; /* followed but not kept: MODEL_MAX_ITEMS reached */
	uint64_t streams_capped;   /* directions given up: out-of-order buffer full */
	uint64_t streams_cut;      /* directions with bytes missing from the capture */
	uint64_t handshakes;       /* ClientHellos */
};

/* ---- artifacts -------------------------------------------------------------- */

enum artifact_kind {
	ART_UNKNOWN = 0,
	ART_MANIFEST,
	ART_REDACTION,
	ART_OVERRIDES,
	ART_K8S_JSON, /* kubectl -o json/yaml (routes, secrets, pods, services, ...) */
	ART_K8S_TABLE,
	ART_K8S_DESCRIBE,
	ART_ACCESS_LOG,
	ART_WATCHER_LOG,
	ART_CURL,
	ART_SCLIENT,
	ART_PEM,
	ART_API_JSON,
	ART_GCP_JSON,
	ART_COLLECTOR_JSON, /* apigee-bundle/... documents: probes, secrets, tls-files */
	ART_TEXT,           /* other text: scanned line by line, nothing recognised */
	ART_BINARY,
	ART_CAPTURE, /* pcap / pcapng (possibly gzip'd) */
	ART__MAX,
};

const char *artifact_kind_name(enum artifact_kind k);

/* What a failed artifact was probably meant to be (for `error` verdicts). */
enum artifact_hint {
	HINT_ROUTES = 1 << 0,
	HINT_OVERRIDES = 1 << 1,
	HINT_SECRETS = 1 << 2,
	HINT_ACCESS_LOG = 1 << 3,
	HINT_WATCHER = 1 << 4,
	HINT_CURL = 1 << 5,
	HINT_CERT = 1 << 6,
	HINT_PROBES = 1 << 7,
	HINT_API = 1 << 8,
	HINT_CAPTURE = 1 << 9,
};

struct artifact {
	char *path;
	enum artifact_kind kind;
	unsigned kinds_seen; /* bit per artifact_kind recognised inside (mixed transcripts) */
	uint64_t size;
	uint64_t lines;
	bool failed;    /* present but (partly) unreadable */
	unsigned hints; /* enum artifact_hint, for failed artifacts */
	char *error;    /* what failed, with place */
	unsigned error_line;
	bool has_private_key;
	/* from the manifest, when there is one */
	char *source_url;
	int source_status; /* exit status or HTTP status; -1 unknown */
};

enum time_source {
	TIME_FROM_MANIFEST = 0,
	TIME_FROM_NEWEST_TIMESTAMP,
	TIME_FROM_ANALYSIS_CLOCK,
};

/* ---- Google Cloud (gcloud --format=json, REST answers, Cloud Logging) ------ */

/* A VPC firewall rule or a firewall policy rule (get-effective-firewalls). */
struct gcp_fw_rule {
	char *name;
	char *network; /* as written (name, path or URL); NULL = unknown */
	bool ingress;
	bool allow; /* allowed[] / action allow; deny otherwise */
	bool next;  /* firewall policy action goto_next */
	bool disabled;
	bool policy; /* a firewall policy rule: evaluated before the VPC rules */
	bool tcp443; /* the rule's protocols/ports include tcp:443 */
	int priority;
	struct strv source_ranges;
	struct strv target_tags;
	struct strv target_sas;
	struct loc where;
};

/* A VM or an instance template (properties of a template). */
struct gcp_vm {
	char *name;
	bool is_template;
	char *endpoint;    /* metadata ENDPOINT */
	char *ip;          /* networkInterfaces[0].networkIP (instances) */
	char *region;      /* from the subnetwork / zone, when known */
	char *template_of; /* instances: metadata instance-template */
	struct strv tags;
	struct strv networks;
	struct strv sas;
	struct loc where;
	struct loc endpoint_where;
};

struct gcp_peering {
	char *network; /* the local network (name/URL) the peering belongs to */
	char *name;
	char *peer;
	char *state;
	struct loc where;
};

struct gcp_sslcert {
	char *name;
	char *type;                /* SELF_MANAGED / MANAGED */
	char *managed_status;      /* managed.status */
	struct strv domains;       /* managed.domains */
	struct strv domain_status; /* "domain=STATE" */
	struct strv sans;          /* subjectAlternativeNames */
	char *expire_time;         /* expireTime as written */
	int64_t expire;            /* parsed, 0 = unknown */
	bool has_pem;              /* certificate parsed into b->certs (role LB, owner name) */
	struct loc where;
};

struct gcp_proxy {
	char *name;
	struct strv certs; /* sslCertificates, short names */
	char *url_map;
	char *certificate_map; /* Certificate Manager map: it overrides sslCertificates */
	struct loc where;
};

/* One backend member's health (get-health), or a NEG endpoint's. */
struct gcp_health {
	char *backend; /* backend group (URL or name), when known */
	char *target;  /* instance / endpoint / ip */
	char *state;   /* healthState */
	struct loc where;
};

struct gcp_backend {
	char *name;
	char *kind;      /* "backend service", "network endpoint group", "instance group manager" */
	bool psc;        /* a Private Service Connect NEG / a backend service using one */
	char *template_; /* MIGs: instanceTemplate */
	char *base_name; /* MIGs: baseInstanceName */
	struct loc where;
};

/* Aggregates over load balancer and health-check log entries. */
struct gcp_log_stats {
	uint64_t entries;     /* Cloud Logging entries seen */
	uint64_t lb_requests; /* entries with httpRequest or a LoadBalancerLogEntry payload */
	uint64_t lb_admitted; /* of those, not denied by a security policy */
	uint64_t
	        armor_deny; /* enforced(Edge)SecurityPolicy outcome DENY / denied_by_security_policy */
	uint64_t deny_403, deny_404, deny_502, deny_other;
	struct strv policies; /* denying policy names */
	struct loc deny_samples[MODEL_MAX_SAMPLES];
	size_t n_deny_samples;
	uint64_t no_backend; /* statusDetails failed_to_pick_backend */
	struct loc nb_samples[MODEL_MAX_SAMPLES];
	size_t n_nb_samples;
	uint64_t hc_probes; /* health-check probe results */
	uint64_t hc_unhealthy;
	struct loc hc_samples[MODEL_MAX_SAMPLES];
	size_t n_hc_samples;
};

struct gcp_facts {
	bool seen; /* any gcloud / Cloud Logging JSON recognised */
	bool firewalls_seen;
	struct gcp_fw_rule *rules;
	size_t n_rules, cap_rules;
	struct gcp_vm *vms; /* instances and templates */
	size_t n_vms, cap_vms;
	bool networks_seen;   /* a network describe / peerings list */
	struct strv networks; /* names/URLs of networks described */
	struct gcp_peering *peerings;
	size_t n_peerings, cap_peerings;
	bool sslcerts_seen;
	struct gcp_sslcert *sslcerts;
	size_t n_sslcerts, cap_sslcerts;
	struct gcp_proxy *proxies;
	size_t n_proxies, cap_proxies;
	bool health_seen;
	struct gcp_health *health;
	size_t n_health, cap_health;
	struct gcp_backend *backends;
	size_t n_backends, cap_backends;
	struct gcp_log_stats logs;
};

#endif
