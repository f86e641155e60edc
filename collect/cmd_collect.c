/* SPDX-License-Identifier: Apache-2.0 */
/* apigee-bundle collect: gather everything a ticket needs -- Kubernetes objects and
 * logs through kubectl, overrides.yaml and its certificate facts, the management
 * API, TLS probes, gcloud load balancer facts, user files -- redact it, and write
 * one verified archive atomically (contract.md, doc/bundle-layout.md).
 *
 * Exit status: 0 every source collected; 4 the bundle was written but some source
 * failed or was skipped (sources switched off on purpose -- --offline, no
 * --project -- do not count); 2 usage error; 1 no bundle written (leak found,
 * interrupted, disk full, ...).
 *
 * Signals: SIGINT/SIGTERM/SIGHUP set the one file-scope mutable variable of this
 * program, `interrupted` (a volatile sig_atomic_t, as only a signal handler may
 * write it). Children are killed by their runner when they see it, no new source
 * starts, the staged members (unlinked temp files) vanish, and no archive is
 * written. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "archive_out.h"
#include "collect.h"
#include "cli.h"
#include "commands.h"
#include "error.h"
#include "redact.h"
#include "run.h"
#include "sources.h"
#include "text.h"
#include "banned.h"

/* The only mutable file-scope state: written by the signal handler alone. */
static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

/* jansson's free: wipe first. Every JSON value of a collection -- including the
 * parsed `kubectl get secrets` output -- is wiped when freed. malloc stays the
 * plain one, so memory from json_dumps() is still released with free(). */
static void wiping_free(void *p)
{
	if (p) {
		OPENSSL_cleanse(p, malloc_usable_size(p));
		free(p);
	}
}

enum {
	OPT_OVERRIDES = 256,
	OPT_KUBECONFIG,
	OPT_CONTEXT,
	OPT_KUBECTL,
	OPT_GCLOUD,
	OPT_ORG,
	OPT_INSTANCE,
	OPT_API_BASE,
	OPT_TOKEN_FILE,
	OPT_CACERT,
	OPT_HOST,
	OPT_RESOLVE,
	OPT_INGRESS,
	OPT_PROJECT,
	OPT_ATTACH,
	OPT_LOG_LINES,
	OPT_SINCE,
	OPT_OFFLINE,
	OPT_PSEUDONYMIZE,
	OPT_MAP,
	OPT_TIMEOUT,
	OPT_JOBS,
	OPT_NETWORK_PROJECT,
	OPT_LIST,
	OPT_ONLY,
	OPT_SKIP,
	OPT_CAPTURE,
};

/* The names of the sources for --only/--skip completion (source_table, keys). */
#define COLLECT_SOURCE_WORDS                                                             \
	"kubectl|overrides|management-api|gcloud|attachments|gcloud-network|tls-probes|" \
	"packet-capture"

static const struct cli_option collect_options_table[] = {
	{ "api-base", 0, OPT_API_BASE, "URL", 0,
	  "management API base (default https://apigee.googleapis.com)", NULL },
	{ "attach", 0, OPT_ATTACH, "FILE", CLI_REPEAT,
	  "add a user file (curl -v transcript, log export, pcap, gcloud JSON) under "
	  "attachments/, redacted like everything else; repeatable",
	  "file" },
	{ "cacert", 0, OPT_CACERT, "FILE", 0, "extra CA bundle for API calls and probes", "file" },
	{ "capture", 0, OPT_CAPTURE, "IFACE[:SECONDS]", 0,
	  "run tcpdump on IFACE while the TLS probes run (at most SECONDS, default 60) and "
	  "keep the probes' handshakes as captures/probes.pcap; skipped with the reason when "
	  "tcpdump is missing or may not capture",
	  NULL },
	{ "context", 0, OPT_CONTEXT, "NAME", 0, "kubeconfig context, passed to kubectl", NULL },
	{ "gcloud", 0, OPT_GCLOUD, "PATH", 0,
	  "gcloud to run (default: from PATH; a PATH that does not exist is a usage error)",
	  "file" },
	{ "host", 0, OPT_HOST, "NAME[:PORT]", CLI_REPEAT,
	  "host name to probe; repeatable (default: route and env group host names)", NULL },
	{ "ingress", 0, OPT_INGRESS, "ADDR[:PORT]", CLI_REPEAT,
	  "ingress address to probe with and without SNI; repeatable (default: the ingress "
	  "gateway service)",
	  NULL },
	{ "instance", 0, OPT_INSTANCE, "NAME", CLI_REPEAT,
	  "instance to query; repeatable (default: all the API lists)", NULL },
	{ "jobs", 0, OPT_JOBS, "N", 0,
	  "commands run at once per source (kubectl, gcloud), 1 to 32 (default 6)", NULL },
	{ "kubeconfig", 0, OPT_KUBECONFIG, "FILE", 0, "passed to kubectl", "file" },
	{ "kubectl", 0, OPT_KUBECTL, "PATH", 0,
	  "kubectl to run (default: from PATH; a PATH that does not exist is a usage error)",
	  "file" },
	{ "list", 0, OPT_LIST, NULL, 0,
	  "print every source that would be gathered, with its commands or requests, and run "
	  "nothing",
	  NULL },
	{ "log-lines", 0, OPT_LOG_LINES, "N", 0, "lines of log per container (default 10000)",
	  NULL },
	{ "map", 0, OPT_MAP, "FILE", 0,
	  "the pseudonym map to read and update (mode 0600; never in the bundle)", "file" },
	{ "namespace", 'n', 'n', "NS", 0, "Kubernetes namespace (default apigee)", NULL },
	{ "network-project", 0, OPT_NETWORK_PROJECT, "ID", 0,
	  "the Shared VPC host project of the authorized network", NULL },
	{ "offline", 0, OPT_OFFLINE, NULL, 0,
	  "no API calls and no probes: cluster and file sources only", NULL },
	{ "only", 0, OPT_ONLY, "SOURCE", CLI_REPEAT,
	  "gather only this source (a name --list prints); repeatable", NULL },
	{ "org", 0, OPT_ORG, "NAME", 0, "Apigee organization (default: org of overrides.yaml)",
	  NULL },
	{ "output", 'o', 'o', "FILE", 0,
	  "the archive to write, atomically (.tar.gz or .tar.zst); - streams a tar.gz to "
	  "standard output; default apigee-bundle-ORG-YYYYmmddTHHMMSSZ.tar.gz",
	  "file" },
	{ "overrides", 0, OPT_OVERRIDES, "FILE", CLI_REPEAT,
	  "hybrid overrides.yaml; repeatable; relative sslCertPath/sslKeyPath resolve against "
	  "its folder",
	  "file" },
	{ "project", 0, OPT_PROJECT, "ID", 0,
	  "GCP project: gather load balancer, certificate, firewall and peering facts with "
	  "gcloud",
	  NULL },
	{ "pseudonymize", 0, OPT_PSEUDONYMIZE, NULL, 0,
	  "also replace IP addresses, host names, e-mail addresses, org and project names by "
	  "consistent tokens; certificate facts are extracted first and pseudonymized with the "
	  "same map, the certificates themselves are dropped",
	  NULL },
	{ "resolve", 0, OPT_RESOLVE, "NAME:PORT:ADDR", CLI_REPEAT,
	  "probe NAME:PORT at ADDR, as curl --resolve; repeatable", NULL },
	{ "since", 0, OPT_SINCE, "DURATION", 0, "only logs newer than this (e.g. 2h, as kubectl)",
	  NULL },
	{ "skip", 0, OPT_SKIP, "SOURCE", CLI_REPEAT,
	  "do not gather this source (a name --list prints); repeatable", NULL },
	{ "timeout", 0, OPT_TIMEOUT, "SECONDS", 0, "per command and request (default 30)", NULL },
	{ "token-file", 0, OPT_TOKEN_FILE, "FILE", 0,
	  "API token; else $APIGEE_TOKEN; else gcloud auth print-access-token (never stored)",
	  "file" },
};

const struct cli_command cli_collect = {
	.name = "collect",
	.synopsis = "[-o BUNDLE.tar.gz] [options]",
	.summary = "gather, redact and write a support bundle",
	.description =
	        "Gather Kubernetes objects and logs (kubectl), overrides.yaml and its certificate "
	        "facts, the management API, TLS probes, gcloud load balancer facts and user "
	        "files; redact them and write one verified archive atomically. Progress goes to "
	        "stderr, one line per source (a live line on a TTY), and a summary at the end; "
	        "--quiet prints only errors, --verbose each command line and request.",
	CLI_OPTIONS(collect_options_table),
	.exit_status = "0 all collected; 4 written, but some sources failed or were skipped; 2 "
	               "usage error; 3 an input file (--overrides, --attach, --token-file, "
	               "--cacert, --kubeconfig) is missing; 1 no bundle written.",
	.complete_args = NULL,
};

static int parse_long(const char *s, long lo, long hi, long *ret)
{
	char *end = NULL;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || !end || *end || end == s || v < lo || v > hi)
		return -EINVAL;
	*ret = v;
	return 0;
}

/* kubectl's --since: a Go duration such as 30s, 5m, 2h, 1h30m. */
static bool valid_duration(const char *s)
{
	bool any = false;

	while (*s) {
		const char *d = s;

		while (*s >= '0' && *s <= '9')
			s++;
		if (s == d || !(*s == 's' || *s == 'm' || *s == 'h'))
			return false;
		s++;
		any = true;
	}
	return any;
}

static int read_token_file(const char *path, struct buf *ret, struct error *err)
{
	char chunk[4096];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int r = 0;

	buf_init(ret, 64 * 1024);
	if (fd < 0)
		return error_set(err, -errno, path, 0, "cannot open '%s': %s", path,
		                 strerror(errno));
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n < 0)
				r = error_set(err, -errno, path, 0, "cannot read '%s': %s", path,
				              strerror(errno));
			break;
		}
		if (buf_append(ret, chunk, (size_t)n) < 0) {
			r = error_set(err, -ERANGE, path, 0, "'%s' is too large for a token", path);
			break;
		}
	}
	OPENSSL_cleanse(chunk, sizeof(chunk));
	close(fd);
	while (r == 0 && ret->len && strchr(" \t\r\n", ret->data[ret->len - 1]))
		ret->data[--ret->len] = '\0';
	if (r == 0 && ret->len == 0)
		r = error_set(err, -EINVAL, path, 0, "'%s' holds no token", path);
	if (r == 0 && (memchr(ret->data, '\n', ret->len) || memchr(ret->data, '\r', ret->len)))
		r = error_set(err, -EINVAL, path, 0, "'%s' holds more than one line", path);
	return r;
}

static void wipe_buf(struct buf *b)
{
	if (b->data)
		OPENSSL_cleanse(b->data, b->cap);
	buf_release(b);
}

static void now_utc(char *out, size_t size)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	text_format_time((int64_t)ts.tv_sec, out, size);
}

static json_t *strv_json(const struct strv *v)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < v->n; i++)
		json_array_append_new(a, json_string(v->v[i]));
	return a;
}

/* ---- the sources ------------------------------------------------------------------------ */

/* What the sources share: options, the token, and the facts that phase 1 finds for
 * phase 2 (probe targets, the networks gcloud needs to describe). */
struct run_state {
	struct collect_options *o;
	struct sink *s;
	const char *token;
	const char *token_why;
	struct kube_facts kf;
	struct strv api_hosts;
	struct gcloud_facts gf;
	struct pktcap_sync cap;     /* --capture and the probes */
	struct collect_facts facts; /* which of kf, api_hosts, gf are complete */
};

static void kube_facts_ready(void *ud)
{
	struct run_state *st = ud;

	collect_facts_provide(&st->facts, COLLECT_FACT_KUBE);
}

static int src_kube(void *ud, struct error *err)
{
	struct run_state *st = ud;

	return collect_kube(st->o, st->s, &st->kf, kube_facts_ready, st, err);
}

static int src_overrides(void *ud, struct error *err)
{
	struct run_state *st = ud;

	return collect_overrides(st->o, st->s, NULL, err);
}

static int src_api(void *ud, struct error *err)
{
	struct run_state *st = ud;
	const struct collect_options *o = st->o;
	const char *name = "management API";
	struct api_options ao = {
		.base = o->api_base,
		.org = o->org,
		.instances = &o->instances,
		.token = st->token,
		.cacert = o->cacert,
		.timeout_s = (long)((o->timeout_ms + 999) / 1000),
		.max_retries = -1,
		.backoff_ms = 0,
		.cancel = o->cancel,
	};

	if (o->offline) {
		sink_source_ex(st->s, name, OUTCOME_SKIPPED, "offline mode", -1, true);
		return 0;
	}
	if (!o->org) {
		sink_source_ex(st->s, name, OUTCOME_SKIPPED,
		               "no --org given and no org in overrides.yaml", -1, false);
		return 0;
	}
	if (!st->token) {
		sink_source_ex(st->s, name, OUTCOME_SKIPPED, st->token_why, -1, false);
		return 0;
	}
	return collect_api(&ao, st->s, &st->api_hosts, err);
}

static int src_gcloud(void *ud, struct error *err)
{
	struct run_state *st = ud;

	return collect_gcloud(st->o, st->s, &st->gf, err);
}

static int src_gcloud_network(void *ud, struct error *err)
{
	struct run_state *st = ud;

	return collect_gcloud_network(st->o, st->s, &st->gf, err);
}

static int src_attachments(void *ud, struct error *err)
{
	struct run_state *st = ud;

	return collect_attachments(st->o, st->s, err);
}

/* Is name (without port) already a --host or --resolve target? */
static bool targeted(const struct collect_options *o, const char *name)
{
	const struct strv *lists[] = { &o->hosts, &o->resolves };
	size_t n = strlen(name);

	for (size_t k = 0; k < 2; k++)
		for (size_t i = 0; i < lists[k]->n; i++)
			if (strncmp(lists[k]->v[i], name, n) == 0 &&
			    (lists[k]->v[i][n] == ':' || lists[k]->v[i][n] == '\0'))
				return true;
	return false;
}

/* The facts probe_targets() reads with these options: the routes' host names and
 * the ingress service unless --host / --ingress name the targets; the env groups'
 * host names unless --host names them (and no --project). */
static unsigned probe_needs(const void *ud)
{
	const struct run_state *st = ud;
	const struct collect_options *o = st->o;
	unsigned need = 0;

	if (o->offline)
		return 0;
	if (!o->hosts.n || !o->ingress.n)
		need |= COLLECT_FACT_KUBE;
	if (!o->hosts.n || o->project)
		need |= COLLECT_FACT_API;
	return need;
}

static unsigned gcloud_network_needs(const void *ud)
{
	(void)ud;
	return COLLECT_FACT_API | COLLECT_FACT_GCLOUD;
}

/* Probe targets: explicit ones, else what the other sources found. With --project the env
 * groups' host names are the load balancer's: they are probed as well (by DNS, unless
 * a --host or --resolve names them already). */
static void probe_targets(const struct run_state *st, struct strv *hosts, struct strv *ingress)
{
	const struct collect_options *o = st->o;

	if (o->hosts.n)
		strv_copy(hosts, &o->hosts);
	else
		for (size_t i = 0; i < st->kf.route_hosts.n; i++)
			strv_push_unique(hosts, st->kf.route_hosts.v[i]);
	for (size_t i = 0; i < st->api_hosts.n; i++)
		if (!strchr(st->api_hosts.v[i], '*') && (!o->hosts.n || o->project) &&
		    !targeted(o, st->api_hosts.v[i]))
			strv_push_unique(hosts, st->api_hosts.v[i]);
	if (o->ingress.n)
		strv_copy(ingress, &o->ingress);
	else
		strv_copy(ingress, &st->kf.ingress_addrs);
}

static int src_probes(void *ud, struct error *err)
{
	struct run_state *st = ud;
	const struct collect_options *o = st->o;
	struct strv hosts = STRV_INIT, ingress = STRV_INIT;
	struct probe_options po = {
		.hosts = &hosts,
		.resolves = &o->resolves,
		.ingress = &ingress,
		.cacert = o->cacert,
		.timeout_s = (long)((o->timeout_ms + 999) / 1000),
		.cancel = o->cancel,
	};
	int r = 0;

	if (o->offline) {
		sink_source_ex(st->s, "TLS probes", OUTCOME_SKIPPED, "offline mode", -1, true);
		pktcap_probes_done(&st->cap);
		return 0;
	}
	if (o->capture_iface)
		pktcap_wait_started(&st->cap);
	probe_targets(st, &hosts, &ingress);
	if (!hosts.n && !ingress.n && !o->resolves.n)
		sink_source_ex(st->s, "TLS probes", OUTCOME_SKIPPED,
		               "no targets (no --host/--ingress, and none found in the routes, env "
		               "groups or the ingress gateway service)",
		               -1, false);
	else
		r = collect_probes(&po, st->s, err);
	pktcap_probes_done(&st->cap);
	strv_release(&hosts);
	strv_release(&ingress);
	return r;
}

/* The TCP ports of every probe target, as text ("443"). */
static int probe_ports(const struct run_state *st, struct strv *ports)
{
	static int (*const parse[])(const char *, struct probe_target *,
	                            struct error *) = { probe_parse_host, probe_parse_resolve,
		                                        probe_parse_ingress };
	struct strv hosts = STRV_INIT, ingress = STRV_INIT;
	const struct strv *lists[] = { &hosts, &st->o->resolves, &ingress };
	int r = 0;

	probe_targets(st, &hosts, &ingress);
	for (size_t k = 0; k < 3; k++)
		for (size_t i = 0; r == 0 && i < lists[k]->n; i++) {
			struct probe_target t = { NULL, NULL, 0 };
			struct error e = ERROR_INIT;
			char port[16];

			if (parse[k](lists[k]->v[i], &t, &e) == 0 && t.port > 0) {
				snprintf(port, sizeof(port), "%d", t.port);
				r = strv_push_unique(ports, port);
			}
			probe_target_release(&t);
		}
	if (r == 0 && ports->n == 0)
		r = strv_push(ports, "443");
	strv_release(&hosts);
	strv_release(&ingress);
	return r;
}

static int src_capture(void *ud, struct error *err)
{
	struct run_state *st = ud;
	struct strv ports = STRV_INIT;
	int r;

	if (!st->o->capture_iface)
		return 0;
	if (st->o->offline) {
		pktcap_started(&st->cap);
		sink_source_ex(st->s, "packet capture", OUTCOME_SKIPPED, "offline mode: no probes",
		               -1, true);
		return 0;
	}
	r = probe_ports(st, &ports);
	if (r == 0)
		r = collect_pktcap(st->o, &ports, st->s, &st->cap, err);
	pktcap_started(&st->cap);
	strv_release(&ports);
	return r;
}

/* The one list of the collector's sources, all started at once; a source that
 * needs what another finds (probe targets, the authorized network) waits for
 * those facts only, and providers come first. A source that returns an error is
 * reported and marked failed in the manifest by collect_run_sources. */
static const struct collect_source source_table[] = {
	{ "kubectl", COLLECT_PHASE_GATHER, src_kube, COLLECT_FACT_KUBE, NULL },
	{ "overrides", COLLECT_PHASE_GATHER, src_overrides, 0, NULL },
	{ "management API", COLLECT_PHASE_GATHER, src_api, COLLECT_FACT_API, NULL },
	{ "gcloud", COLLECT_PHASE_GATHER, src_gcloud, COLLECT_FACT_GCLOUD, NULL },
	{ "attachments", COLLECT_PHASE_GATHER, src_attachments, 0, NULL },
	{ "gcloud network", COLLECT_PHASE_AFTER, src_gcloud_network, 0, gcloud_network_needs },
	{ "TLS probes", COLLECT_PHASE_AFTER, src_probes, 0, probe_needs },
	{ "packet capture", COLLECT_PHASE_AFTER, src_capture, 0, probe_needs },
};

#define N_SOURCES (sizeof(source_table) / sizeof(source_table[0]))

/* A source's name on the command line (--only, --skip, --list): lower case, '-'
 * for a space ("management API" -> "management-api"). */
static void source_key(const char *name, char *dst, size_t size)
{
	size_t i = 0;

	for (; name[i] && i + 1 < size; i++)
		dst[i] = name[i] == ' '                     ? '-'
		         : name[i] >= 'A' && name[i] <= 'Z' ? (char)(name[i] - 'A' + 'a')
		                                            : name[i];
	dst[i] = '\0';
}

static const struct collect_source *source_find(const char *key)
{
	char k[64];

	for (size_t i = 0; i < N_SOURCES; i++) {
		source_key(source_table[i].name, k, sizeof(k));
		if (strcmp(k, key) == 0)
			return &source_table[i];
	}
	return NULL;
}

/* Every --only/--skip value names a source; else a usage error with the closest. */
static int check_sources(const struct strv *names, const char *opt)
{
	char keys[N_SOURCES][64];
	const char *cand[N_SOURCES];

	for (size_t i = 0; i < N_SOURCES; i++) {
		source_key(source_table[i].name, keys[i], sizeof(keys[i]));
		cand[i] = keys[i];
	}
	for (size_t i = 0; i < names->n; i++) {
		const char *best;

		if (source_find(names->v[i]))
			continue;
		best = cli_closest(names->v[i], cand, N_SOURCES);
		if (best)
			return cli_usage_error(
			        &cli_collect,
			        "%s '%s': no such source; did you mean '%s'? (--list "
			        "names them)",
			        opt, names->v[i], best);
		return cli_usage_error(&cli_collect, "%s '%s': no such source (--list names them)",
		                       opt, names->v[i]);
	}
	return 0;
}

static bool source_selected(const struct collect_options *o, const struct collect_source *src)
{
	char k[64];
	bool only = o->only.n == 0;

	source_key(src->name, k, sizeof(k));
	for (size_t i = 0; i < o->only.n; i++)
		if (strcmp(o->only.v[i], k) == 0)
			only = true;
	for (size_t i = 0; i < o->skip.n; i++)
		if (strcmp(o->skip.v[i], k) == 0)
			return false;
	return only;
}

/* What each source runs, for --list: its first-level commands and requests, exactly
 * as they will run ("K " lines get the kubectl prefix, "G " lines gcloud's, "A "
 * lines the API base and org). Per-object commands (describe of each route, logs
 * of each pod, gcloud describe of each certificate the proxies name) follow from
 * what these return. */
static const struct {
	const char *source;
	const char *lines[10];
} source_commands[] = {
	{ "kubectl",
	  { "K version -o json",
	    "K get apigeeroutes,apigeerouteconfigs,secrets,services,pods -o json  (one member per "
	    "kind; secrets: facts only)",
	    "K get apigeeroutes,secrets,services  (one table per kind)",
	    "K get pods -o wide -l app in (apigee-ingressgateway,apigee-watcher)",
	    "K describe apigeeroute  (one member per route)",
	    "K logs -l app in (apigee-ingressgateway,apigee-watcher,istio-ingressgateway) "
	    "--all-containers --prefix --tail=N  (one member per container)",
	    "K get KIND / describe apigeeroute ROUTE / logs POD -c CONTAINER  (one at a time, "
	    "where one of the above fails)",
	    NULL } },
	{ "overrides", { "read each --overrides file and its sslCertPath/sslKeyPath", NULL } },
	{ "management API",
	  { "A", "A/instances", "A/envgroups", "A/instances/NAME/attachments  (each instance)",
	    NULL } },
	{ "gcloud",
	  { "G compute forwarding-rules list", "G compute target-https-proxies list",
	    "G compute url-maps list", "G compute backend-services list",
	    "G compute network-endpoint-groups list", "G compute instance-groups managed list",
	    "G compute instances list", "G compute firewall-rules list",
	    "G compute networks peerings list", NULL } },
	{ "attachments", { "read each --attach file", NULL } },
	{ "gcloud network",
	  { "G compute networks describe NET  (the authorized network)",
	    "G compute networks get-effective-firewalls NET", NULL } },
	{ "TLS probes",
	  { "HTTPS and TLS handshake with SNI to each --host / route host name",
	    "TLS handshake without SNI to each --ingress address", NULL } },
};

static void list_line(const struct collect_options *o, const char *line)
{
	if (line[0] == 'K' && line[1] == ' ') {
		printf("    %s", o->kubectl ? o->kubectl : "kubectl");
		if (o->kubeconfig)
			printf(" --kubeconfig %s", o->kubeconfig);
		if (o->context)
			printf(" --context %s", o->context);
		printf(" -n %s --request-timeout=%llds %s\n", o->ns,
		       (long long)((o->timeout_ms + 999) / 1000), line + 2);
	} else if (line[0] == 'G' && line[1] == ' ') {
		const char *note = strstr(line, "  (");
		int len = note ? (int)(note - line - 2) : (int)strlen(line + 2);

		printf("    %s %.*s --project %s --format=json --quiet%s\n",
		       o->gcloud ? o->gcloud : "gcloud", len, line + 2,
		       o->project ? o->project : "PROJECT", note ? note : "");
	} else if (line[0] == 'A' && (line[1] == '/' || !line[1])) {
		const char *base = o->api_base ? o->api_base : "https://apigee.googleapis.com";

		printf("    GET %s%s/organizations/%s%s\n", base, strstr(base, "/v1") ? "" : "/v1",
		       o->org ? o->org : "ORG", line + 1);
	} else {
		printf("    %s\n", line);
	}
}

/* Why a selected source would not run with these options; NULL: it would run. */
static const char *source_off(const struct collect_options *o, const char *name)
{
	if (strcmp(name, "kubectl") == 0 && !o->kubectl)
		return "kubectl not found";
	if (strcmp(name, "overrides") == 0 && !o->overrides.n)
		return "no --overrides";
	if (strcmp(name, "management API") == 0)
		return o->offline ? "--offline"
		       : !o->org  ? "no --org (and none in overrides.yaml)"
		                  : NULL;
	if (strncmp(name, "gcloud", 6) == 0)
		return !o->project ? "no --project" : !o->gcloud ? "gcloud not found" : NULL;
	if (strcmp(name, "attachments") == 0 && !o->attach.n)
		return "no --attach";
	if (strcmp(name, "TLS probes") == 0 && o->offline)
		return "--offline";
	return NULL;
}

/* collect --list: every source, whether it would run, and what it runs. */
static int list_sources(const struct collect_options *o)
{
	char k[64];

	for (size_t i = 0; i < N_SOURCES; i++) {
		const char *name = source_table[i].name;
		const char *off = !source_selected(o, &source_table[i])
		                          ? "not selected (--only/--skip)"
		                          : source_off(o, name);

		source_key(name, k, sizeof(k));
		printf("%-15s %s%s\n", k, off ? "skipped: " : "would run",
		       off ? off
		       : source_table[i].phase == COLLECT_PHASE_AFTER
		               ? " (once the facts it needs are known)"
		               : "");
		for (size_t j = 0; j < sizeof(source_commands) / sizeof(source_commands[0]); j++)
			if (strcmp(source_commands[j].source, name) == 0)
				for (size_t l = 0; source_commands[j].lines[l]; l++)
					list_line(o, source_commands[j].lines[l]);
	}
	return EXIT_OK;
}

static json_t *options_json(const struct collect_options *o, const char *token_source)
{
	json_t *j = json_object();

	if (!j)
		return NULL;
	json_object_set_new(j, "output", json_string(o->output));
	json_object_set_new(j, "namespace", json_string(o->ns));
	json_object_set_new(j, "kubeconfig",
	                    o->kubeconfig ? json_string(o->kubeconfig) : json_null());
	json_object_set_new(j, "context", o->context ? json_string(o->context) : json_null());
	json_object_set_new(j, "kubectl",
	                    o->kubectl
	                            ? json_string(o->kubectl)
	                            : json_string(o->kubectl_arg ? o->kubectl_arg : "(not found)"));
	json_object_set_new(j, "gcloud", o->gcloud ? json_string(o->gcloud) : json_null());
	json_object_set_new(j, "org", o->org ? json_string(o->org) : json_null());
	json_object_set_new(j, "instances", strv_json(&o->instances));
	json_object_set_new(
	        j, "api_base",
	        json_string(o->api_base ? o->api_base : "https://apigee.googleapis.com"));
	json_object_set_new(j, "token_source", json_string(token_source));
	json_object_set_new(j, "cacert", o->cacert ? json_string(o->cacert) : json_null());
	json_object_set_new(j, "overrides", strv_json(&o->overrides));
	json_object_set_new(j, "hosts", strv_json(&o->hosts));
	json_object_set_new(j, "resolves", strv_json(&o->resolves));
	json_object_set_new(j, "ingress", strv_json(&o->ingress));
	json_object_set_new(j, "project", o->project ? json_string(o->project) : json_null());
	json_object_set_new(j, "network_project",
	                    o->network_project ? json_string(o->network_project) : json_null());
	json_object_set_new(j, "attach", strv_json(&o->attach));
	json_object_set_new(j, "log_lines", json_integer(o->log_lines));
	json_object_set_new(j, "since", o->since ? json_string(o->since) : json_null());
	json_object_set_new(j, "offline", json_boolean(o->offline));
	if (o->capture_iface)
		json_object_set_new(j, "capture", json_string(o->capture_iface));
	json_object_set_new(j, "pseudonymize", json_boolean(o->pseudonymize));
	json_object_set_new(j, "map", json_boolean(o->map != NULL));
	json_object_set_new(j, "timeout_s", json_integer((json_int_t)(o->timeout_ms / 1000)));
	return j;
}

static void release_options(struct collect_options *o)
{
	strv_release(&o->overrides);
	strv_release(&o->instances);
	strv_release(&o->hosts);
	strv_release(&o->resolves);
	strv_release(&o->ingress);
	strv_release(&o->attach);
	strv_release(&o->only);
	strv_release(&o->skip);
	free(o->capture_iface);
}

/* One option of the command line: 0, or CLI_USAGE (printed), -ENOMEM. */
static int take_option(int c, struct collect_options *o, const char **ret_token_file)
{
	long v;
	int r = 0;

	{
		switch (c) {
		case 'o':
			o->output = optarg;
			break;
		case 'n':
			o->ns = optarg;
			break;
		case OPT_LIST:
			o->list = true;
			break;
		case OPT_ONLY:
			r = strv_push(&o->only, optarg);
			break;
		case OPT_SKIP:
			r = strv_push(&o->skip, optarg);
			break;
		case OPT_OVERRIDES:
			r = strv_push(&o->overrides, optarg);
			break;
		case OPT_KUBECONFIG:
			o->kubeconfig = optarg;
			break;
		case OPT_CONTEXT:
			o->context = optarg;
			break;
		case OPT_KUBECTL:
			o->kubectl_arg = optarg;
			break;
		case OPT_GCLOUD:
			o->gcloud_arg = optarg;
			break;
		case OPT_ORG:
			o->org = optarg;
			break;
		case OPT_INSTANCE:
			r = strv_push(&o->instances, optarg);
			break;
		case OPT_API_BASE:
			o->api_base = optarg;
			break;
		case OPT_TOKEN_FILE:
			*ret_token_file = optarg;
			break;
		case OPT_CACERT:
			o->cacert = optarg;
			break;
		case OPT_HOST:
			r = strv_push(&o->hosts, optarg);
			break;
		case OPT_RESOLVE:
			r = strv_push(&o->resolves, optarg);
			break;
		case OPT_INGRESS:
			r = strv_push(&o->ingress, optarg);
			break;
		case OPT_PROJECT:
			o->project = optarg;
			break;
		case OPT_NETWORK_PROJECT:
			o->network_project = optarg;
			break;
		case OPT_ATTACH:
			r = strv_push(&o->attach, optarg);
			break;
		case OPT_CAPTURE:
			free(o->capture_iface);
			o->capture_iface = NULL;
			if (pktcap_parse(optarg, &o->capture_iface, &o->capture_seconds) < 0)
				return cli_usage_error(&cli_collect, "--capture wants IFACE or "
				                                     "IFACE:SECONDS (1 to 3600)"),
				       CLI_USAGE;
			break;
		case OPT_LOG_LINES:
			if (parse_long(optarg, 1, 10000000, &v) < 0)
				return cli_usage_error(
				               &cli_collect,
				               "--log-lines wants a number from 1 to 10000000"),
				       CLI_USAGE;
			o->log_lines = v;
			break;
		case OPT_SINCE:
			if (!valid_duration(optarg))
				return cli_usage_error(
				               &cli_collect,
				               "--since wants a duration such as 30m or 2h"),
				       CLI_USAGE;
			o->since = optarg;
			break;
		case OPT_OFFLINE:
			o->offline = true;
			break;
		case OPT_PSEUDONYMIZE:
			o->pseudonymize = true;
			break;
		case OPT_MAP:
			o->map = optarg;
			break;
		case OPT_TIMEOUT:
			if (parse_long(optarg, 1, 86400, &v) < 0)
				return cli_usage_error(&cli_collect,
				                       "--timeout wants seconds from 1 to 86400"),
				       CLI_USAGE;
			o->timeout_ms = (int64_t)v * 1000;
			break;
		case OPT_JOBS:
			if (parse_long(optarg, 1, 32, &v) < 0)
				return cli_usage_error(&cli_collect, "--jobs wants 1 to 32"),
				       CLI_USAGE;
			o->parallel = (unsigned)v;
			break;
		default:
			break;
		}
	}
	return r;
}

/* The command line into o. 0 go on; PARSE_HELP (--help printed) or EXIT_USAGE
 * (printed) to stop; -ENOMEM. */
#define PARSE_HELP 100
static int parse_options(int argc, char **argv, struct context *ctx, struct collect_options *o,
                         const char **ret_token_file)
{
	struct cli_parser cp;
	int c, r = 0;

	cli_parser_init(&cp, &cli_collect, ctx);
	while (r == 0 && (c = cli_next(&cp, argc, argv)) >= 0)
		r = take_option(c, o, ret_token_file);
	cli_parser_release(&cp);
	if (r == CLI_USAGE)
		return EXIT_USAGE;
	if (r < 0)
		return r;
	if (c != CLI_END)
		return c == CLI_HELP ? PARSE_HELP : EXIT_USAGE;
	if (optind < argc)
		return cli_usage_error(&cli_collect, "unexpected argument '%s'", argv[optind]);
	if (o->output && strcmp(o->output, "-") != 0 &&
	    archive_out_format_from_path(o->output) == ARCHIVE_OUT__INVALID)
		return cli_usage_error(&cli_collect,
		                       "'%s': the output must end in .tar.gz or .tar.zst",
		                       o->output);
	r = check_sources(&o->only, "--only");
	if (r == 0)
		r = check_sources(&o->skip, "--skip");
	if (r)
		return r;
	/* probe targets are checked now rather than after the whole collection */
	{
		static const struct {
			const char *opt;
			int (*parse)(const char *, struct probe_target *, struct error *);
		} parsers[] = {
			{ "--host", probe_parse_host },
			{ "--resolve", probe_parse_resolve },
			{ "--ingress", probe_parse_ingress },
		};
		const struct strv *lists[] = { &o->hosts, &o->resolves, &o->ingress };

		for (size_t k = 0; k < 3; k++)
			for (size_t i = 0; i < lists[k]->n; i++) {
				struct probe_target t = { NULL, NULL, 0 };
				struct error err = ERROR_INIT;
				int pr = parsers[k].parse(lists[k]->v[i], &t, &err);

				probe_target_release(&t);
				if (pr < 0)
					return cli_usage_error(&cli_collect, "%s '%s': %s",
					                       parsers[k].opt, lists[k]->v[i],
					                       err.message);
			}
	}
	if (o->map && !o->pseudonymize)
		return cli_usage_error(&cli_collect, "--map needs --pseudonymize");
	return 0;
}

/* Fail before collecting anything when the archive cannot be written there. */
static int check_output_dir(const char *output)
{
	char *copy = strdup(output), *slash = copy ? strrchr(copy, '/') : NULL;
	const char *dir = !copy ? "." : slash == copy ? "/" : slash ? copy : ".";
	int r = 0;

	if (slash && slash != copy)
		*slash = '\0';
	if (access(dir, W_OK | X_OK) < 0) {
		fprintf(stderr, "apigee-bundle collect: cannot write to '%s': %s\n", dir,
		        strerror(errno));
		r = -errno;
	}
	free(copy);
	return r;
}

/* The folder of the output file (staged members live there). Caller frees. */
static char *output_dir(const char *output)
{
	char *copy = strdup(output), *slash;

	if (!copy)
		return NULL;
	slash = strrchr(copy, '/');
	if (slash == copy)
		slash[1] = '\0';
	else if (slash)
		*slash = '\0';
	else {
		free(copy);
		copy = strdup(".");
	}
	return copy;
}

/* The token: file, environment, gcloud -- kept in memory for the API only. why gets
 * the reason when there is none. Returns the token source, or NULL on a usage error
 * (printed). */
static const char *get_token(const struct collect_options *o, const char *token_file,
                             struct buf *token, char *why, size_t why_size)
{
	struct error err = ERROR_INIT;
	const char *source = "none";

	if (token_file) {
		if (read_token_file(token_file, token, &err) < 0) {
			fprintf(stderr, "apigee-bundle collect: %s\n", err.message);
			return NULL;
		}
		source = "file";
	} else if (getenv("APIGEE_TOKEN") && *getenv("APIGEE_TOKEN")) {
		buf_init(token, 0);
		buf_puts(token, getenv("APIGEE_TOKEN"));
		source = "env";
	} else if (!o->offline && o->org && o->gcloud) {
		if (collect_gcloud_token(o, token, &err) == 0)
			source = "gcloud";
		else
			snprintf(why, why_size, "no token: %s", err.message);
	}
	if (!token->len && !why[0])
		snprintf(why, why_size,
		         "no token (--token-file, APIGEE_TOKEN or gcloud auth "
		         "print-access-token)");
	return source;
}

/* The redactor, taught the names to pseudonymize before the first member is
 * redacted: sources run in parallel, and the org appears in members written before
 * overrides.yaml or the organization answer would teach it. */
static int make_redactor(const struct collect_options *o, struct redactor **ret)
{
	struct redact_options ro = { 0 };
	struct error err = ERROR_INIT;
	struct redactor *red = NULL;

	ro.pseudonymize = o->pseudonymize;
	ro.map_file = o->map;
	if (redactor_new(&ro, &red, &err) < 0) {
		fprintf(stderr, "apigee-bundle collect: %s\n", err.message);
		return -EINVAL;
	}
	*ret = red;
	if ((o->org && redactor_add_name(red, "org", o->org) < 0) ||
	    (o->project && redactor_add_name(red, "project", o->project) < 0) ||
	    (o->network_project && redactor_add_name(red, "project", o->network_project) < 0)) {
		fprintf(stderr, "apigee-bundle collect: out of memory\n");
		return -ENOMEM;
	}
	for (size_t i = 0; o->pseudonymize && i < o->overrides.n; i++) {
		struct buf ov = BUF_INIT;
		FILE *f = fopen(o->overrides.v[i], "rb");

		/* overrides.yaml names the GCP project too (gcp.projectID) */
		buf_init(&ov, 16u << 20);
		if (f) {
			char chunk[8192];
			size_t n;

			while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
				if (buf_append(&ov, chunk, n) < 0)
					break;
			fclose(f);
			redactor_learn(red, o->overrides.v[i], ov.data ? ov.data : "", ov.len);
		}
		buf_release(&ov);
	}
	return 0;
}

/* Write the archive and say what happened. Returns the exit status. */
static int finish(struct sink *s, struct redactor *red, const struct collect_options *o,
                  json_t *collection, int64_t mtime, int64_t t0)
{
	struct sink_summary sum;
	struct error err = ERROR_INIT;

	if (interrupted) {
		fprintf(stderr, "apigee-bundle collect: interrupted; no bundle written\n");
		return EXIT_FINDINGS;
	}
	if (sink_finish(s, o->output, collection, mtime, &sum, &err) < 0) {
		char msg[1200];

		error_format(&err, msg, sizeof(msg));
		fprintf(stderr, "apigee-bundle collect: %s\n", msg);
		fprintf(stderr, "apigee-bundle collect: %sno bundle written\n",
		        interrupted ? "interrupted; " : "");
		return EXIT_FINDINGS;
	}
	if (o->pseudonymize && o->map && redactor_save_map(red, &err) < 0)
		fprintf(stderr, "apigee-bundle collect: cannot save the map: %s\n", err.message);
	if (!o->quiet)
		sink_print_summary(s, stderr);
	if (!o->quiet)
		fprintf(stderr,
		        "wrote %s (%u members) in %lld ms; waiting on commands and the network: "
		        "%lld ms "
		        "of wall time (%lld ms summed over parallel waits)\n",
		        o->output_label ? o->output_label : o->output, sum.members,
		        (long long)(run_now_ms() - t0), (long long)sum.wait_wall_ms,
		        (long long)sum.wait_ms);
	return sum.failed || sum.skipped ? EXIT_PARTIAL : EXIT_OK;
}

/* Everything between a valid command line and the exit status: the token, the
 * redactor, the sink, the two phases of sources, the archive. */
static int collect_run(struct collect_options *o, const char *token_file, bool tty, int verbosity)
{
	struct collect_source selected[N_SOURCES];
	size_t n_selected = 0;
	struct redactor *red = NULL;
	struct sink_options so = { 0 };
	struct sink *s = NULL;
	struct error err = ERROR_INIT;
	struct buf token = BUF_INIT;
	struct run_state st;
	const char *token_source;
	char *staging = NULL;
	char start[32], end[32], why[600] = "";
	json_t *collection = NULL;
	int64_t t0 = run_now_ms(), mtime;
	int ret = EXIT_FINDINGS;

	memset(&st, 0, sizeof(st));
	pktcap_sync_init(&st.cap);
	collect_facts_init(&st.facts);
	/* the collection time is the bundle's time (checks judge expiry by it) */
	now_utc(start, sizeof(start));
	mtime = (int64_t)time(NULL);
	token_source = get_token(o, token_file, &token, why, sizeof(why));
	if (!token_source) {
		ret = EXIT_USAGE;
		goto out;
	}
	st.token = token.len ? token.data : NULL;
	st.token_why = why;
	if (make_redactor(o, &red) < 0 || !(staging = output_dir(o->output)))
		goto out;
	so.redactor = red;
	so.staging_dir = staging;
	so.progress = verbosity < 0 ? NULL : stderr;
	so.tty = tty;
	so.verbose = verbosity > 0;
	so.cancel = &interrupted;
	if (sink_new(&so, &s, &err) < 0) {
		fprintf(stderr, "apigee-bundle collect: %s\n", err.message);
		goto out;
	}
	if (st.token)
		sink_protect(s, st.token);
	sink_keep_raw(s, "api/envgroups.json");
	sink_keep_raw(s, "api/organization.json");
	st.o = o;
	st.s = s;
	for (size_t i = 0; i < N_SOURCES; i++)
		if (source_selected(o, &source_table[i]))
			selected[n_selected++] = source_table[i];
		else
			sink_source_ex(s, source_table[i].name, OUTCOME_SKIPPED,
			               "not selected (--only/--skip)", -1, true);
	if (!interrupted)
		collect_run_sources(selected, n_selected, &st, &st.facts, s, &interrupted);
	now_utc(end, sizeof(end));
	collection = json_pack("{s:s,s:s,s:o,s:I}", "start", start, "end", end, "options",
	                       options_json(o, token_source), "duration_ms",
	                       (json_int_t)(run_now_ms() - t0));
	if (collection)
		ret = finish(s, red, o, collection, mtime, t0);
out:
	json_decref(collection);
	sink_free(s);
	redactor_free(red);
	kube_facts_release(&st.kf);
	strv_release(&st.api_hosts);
	gcloud_facts_release(&st.gf);
	pktcap_sync_release(&st.cap);
	collect_facts_release(&st.facts);
	wipe_buf(&token);
	free(staging);
	return ret;
}

/* An explicit --kubectl/--gcloud that is not there is a usage error. */
static int check_programs(const struct collect_options *o)
{
	const char *given[] = { o->kubectl_arg, o->gcloud_arg };
	const char *opt[] = { "--kubectl", "--gcloud" };

	for (size_t i = 0; i < 2; i++) {
		char *p;

		if (!given[i])
			continue;
		p = run_find_program(given[i]);
		free(p);
		if (!p)
			return cli_usage_error(&cli_collect, "%s '%s': no such program", opt[i],
			                       given[i]);
	}
	return 0;
}

/* Every input file named on the command line must be readable: else exit 3, the
 * status every command gives a missing input. */
static int check_inputs(const struct collect_options *o, const char *token_file)
{
	const struct strv *lists[] = { &o->overrides, &o->attach };
	const char *single[] = { token_file, o->cacert, o->kubeconfig };

	for (size_t k = 0; k < 2; k++)
		for (size_t i = 0; i < lists[k]->n; i++)
			if (access(lists[k]->v[i], R_OK) < 0) {
				cli_error(&cli_collect, "cannot read '%s': %s", lists[k]->v[i],
				          strerror(errno));
				return EXIT_UNREADABLE;
			}
	for (size_t i = 0; i < 3; i++)
		if (single[i] && access(single[i], R_OK) < 0) {
			cli_error(&cli_collect, "cannot read '%s': %s", single[i], strerror(errno));
			return EXIT_UNREADABLE;
		}
	return 0;
}

/* The default output name, as sos and troubleshoot do:
 * apigee-bundle-ORG-YYYYmmddTHHMMSSZ.tar.gz (without ORG when none is known). */
static void default_output(const struct collect_options *o, char *dst, size_t size)
{
	char stamp[32], org[64] = "";
	time_t now = time(NULL);
	struct tm tm;
	size_t k = 0;

	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	/* the org in a file name: letters, digits, '-' only */
	for (const char *p = o->org ? o->org : ""; *p && k + 1 < sizeof(org); p++)
		org[k++] = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		                           (*p >= '0' && *p <= '9')
		                   ? *p
		                   : '-';
	org[k] = '\0';
	snprintf(dst, size, "apigee-bundle-%s%s%s.tar.gz", org, k ? "-" : "", stamp);
}

/* Everything after a valid command line: programs, --list, the output name, the
 * signal handlers, the collection, and for -o - the archive onto stdout. */
static int collect_main(struct collect_options *o, const char *token_file, struct context *ctx)
{
	struct sigaction sa, old_int, old_term, old_hup;
	char *kubectl = NULL, *gcloud = NULL, *org = NULL, *tmp_out = NULL;
	char name[128];
	int ret = EXIT_FINDINGS;

	kubectl = run_find_program(o->kubectl_arg ? o->kubectl_arg : "kubectl");
	gcloud = run_find_program(o->gcloud_arg ? o->gcloud_arg : "gcloud");
	o->kubectl = kubectl;
	o->gcloud = gcloud;
	if (!o->org && (org = collect_overrides_org(&o->overrides)))
		o->org = org;
	if (o->list) {
		ret = list_sources(o);
		goto out;
	}
	default_output(o, name, sizeof(name));
	if (!o->output)
		o->output = name;
	if (strcmp(o->output, "-") == 0) {
		int r = cli_temp_output(name, &tmp_out);

		if (r < 0) {
			cli_error(&cli_collect, "cannot create a temp file: %s", strerror(-r));
			goto out;
		}
		o->output = tmp_out;
		o->output_label = "standard output";
	}
	if (check_output_dir(o->output) < 0)
		goto out;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	sigaction(SIGHUP, &sa, &old_hup);
	ret = collect_run(o, token_file, ctx->stderr_tty, cli_verbosity(ctx));
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	sigaction(SIGHUP, &old_hup, NULL);
	if (tmp_out && (ret == EXIT_OK || ret == EXIT_PARTIAL) && cli_copy_to_stdout(tmp_out) < 0) {
		cli_error(&cli_collect, "cannot write the archive to standard output: %s",
		          strerror(errno));
		ret = EXIT_FINDINGS;
	}
out:
	cli_temp_output_remove(tmp_out);
	free(kubectl);
	free(gcloud);
	free(org);
	return ret;
}

int cmd_collect(int argc, char **argv, struct context *ctx)
{
	struct collect_options o = { 0 };
	const char *token_file = NULL;
	int r;

	json_set_alloc_funcs(malloc, wiping_free);
	o.ns = COLLECT_DEFAULT_NAMESPACE;
	o.log_lines = COLLECT_DEFAULT_LOG_LINES;
	o.timeout_ms = COLLECT_DEFAULT_TIMEOUT_S * 1000;
	o.parallel = COLLECT_DEFAULT_PARALLEL;
	o.cancel = &interrupted;

	r = parse_options(argc, argv, ctx, &o, &token_file);
	if (r == 0)
		r = check_programs(&o);
	if (r == 0 && !o.list)
		r = check_inputs(&o, token_file);
	if (r == 0) {
		o.quiet = cli_verbosity(ctx) < 0;
		r = collect_main(&o, token_file, ctx);
	}
	release_options(&o);
	return r == PARSE_HELP ? EXIT_OK : r < 0 ? EXIT_FINDINGS : r;
}
