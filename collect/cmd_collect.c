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
};

/* Sorted by name. */
static const struct option long_options[] = {
	{ "api-base", required_argument, NULL, OPT_API_BASE },
	{ "attach", required_argument, NULL, OPT_ATTACH },
	{ "cacert", required_argument, NULL, OPT_CACERT },
	{ "context", required_argument, NULL, OPT_CONTEXT },
	{ "gcloud", required_argument, NULL, OPT_GCLOUD },
	{ "help", no_argument, NULL, 'h' },
	{ "host", required_argument, NULL, OPT_HOST },
	{ "ingress", required_argument, NULL, OPT_INGRESS },
	{ "instance", required_argument, NULL, OPT_INSTANCE },
	{ "jobs", required_argument, NULL, OPT_JOBS },
	{ "kubeconfig", required_argument, NULL, OPT_KUBECONFIG },
	{ "kubectl", required_argument, NULL, OPT_KUBECTL },
	{ "log-lines", required_argument, NULL, OPT_LOG_LINES },
	{ "map", required_argument, NULL, OPT_MAP },
	{ "namespace", required_argument, NULL, 'n' },
	{ "network-project", required_argument, NULL, OPT_NETWORK_PROJECT },
	{ "offline", no_argument, NULL, OPT_OFFLINE },
	{ "org", required_argument, NULL, OPT_ORG },
	{ "output", required_argument, NULL, 'o' },
	{ "overrides", required_argument, NULL, OPT_OVERRIDES },
	{ "project", required_argument, NULL, OPT_PROJECT },
	{ "pseudonymize", no_argument, NULL, OPT_PSEUDONYMIZE },
	{ "resolve", required_argument, NULL, OPT_RESOLVE },
	{ "since", required_argument, NULL, OPT_SINCE },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "token-file", required_argument, NULL, OPT_TOKEN_FILE },
	{ NULL, 0, NULL, 0 },
};

static void usage(FILE *f)
{
	fputs("usage: apigee-bundle collect -o BUNDLE.tar.gz [options]\n"
	      "\n"
	      "Gather, redact and write a support bundle (.tar.gz or .tar.zst).\n"
	      "\n"
	      "  -o, --output FILE        the archive to write (atomically)\n"
	      "      --overrides FILE     hybrid overrides.yaml (repeatable)\n"
	      "  -n, --namespace NS       Kubernetes namespace (default apigee)\n"
	      "      --kubeconfig FILE    passed to kubectl\n"
	      "      --context NAME       passed to kubectl\n"
	      "      --kubectl PATH       kubectl to run (default: from PATH)\n"
	      "      --gcloud PATH        gcloud to run (default: from PATH)\n"
	      "      --org NAME           Apigee organization (default: org of overrides.yaml)\n"
	      "      --instance NAME      instance to query (repeatable; default: all)\n"
	      "      --api-base URL       management API (default https://apigee.googleapis.com)\n"
	      "      --token-file FILE    API token; else $APIGEE_TOKEN; else gcloud\n"
	      "      --cacert FILE        extra CA bundle for API calls and probes\n"
	      "      --host NAME[:PORT]   host name to probe (repeatable; default: route and\n"
	      "                           env group host names)\n"
	      "      --resolve N:P:ADDR   probe N:P at ADDR, as curl --resolve (repeatable)\n"
	      "      --ingress ADDR[:P]   ingress address to probe with and without SNI\n"
	      "                           (repeatable; default: the ingress gateway service)\n"
	      "      --project ID         GCP project: gather load balancer facts with gcloud\n"
	      "      --network-project ID the Shared VPC host project of the authorized network\n"
	      "      --attach FILE        add a file under attachments/, redacted (repeatable)\n"
	      "      --log-lines N        lines of log per container (default 10000)\n"
	      "      --since DURATION     only logs newer than this (e.g. 2h, as kubectl)\n"
	      "      --offline            no API calls and no probes\n"
	      "      --pseudonymize       replace names and addresses by consistent tokens\n"
	      "      --map FILE           the pseudonym map to read and update (mode 0600)\n"
	      "      --timeout SECONDS    per command and request (default 30)\n"
	      "      --jobs N             commands run at once (default 4)\n"
	      "\n"
	      "Exit status: 0 all collected; 4 written, but some sources failed or were\n"
	      "skipped; 2 usage error; 1 no bundle written.\n",
	      f);
}

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
};

static int src_kube(void *ud, struct error *err)
{
	struct run_state *st = ud;

	return collect_kube(st->o, st->s, &st->kf, err);
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

/* Probe targets: explicit ones, else what phase 1 found. With --project the env
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
		return 0;
	}
	probe_targets(st, &hosts, &ingress);
	if (!hosts.n && !ingress.n && !o->resolves.n)
		sink_source_ex(st->s, "TLS probes", OUTCOME_SKIPPED,
		               "no targets (no --host/--ingress, and none found in the routes, env "
		               "groups or the ingress gateway service)",
		               -1, false);
	else
		r = collect_probes(&po, st->s, err);
	strv_release(&hosts);
	strv_release(&ingress);
	return r;
}

/* The one list of the collector's sources: phase 1 runs in parallel; phase 2 needs
 * what phase 1 found (probe targets, the authorized network). A source that returns
 * an error is reported and marked failed in the manifest by collect_run_sources. */
static const struct collect_source source_table[] = {
	{ "kubectl", COLLECT_PHASE_GATHER, src_kube },
	{ "overrides", COLLECT_PHASE_GATHER, src_overrides },
	{ "management API", COLLECT_PHASE_GATHER, src_api },
	{ "gcloud", COLLECT_PHASE_GATHER, src_gcloud },
	{ "attachments", COLLECT_PHASE_GATHER, src_attachments },
	{ "gcloud network", COLLECT_PHASE_AFTER, src_gcloud_network },
	{ "TLS probes", COLLECT_PHASE_AFTER, src_probes },
};

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
}

static int parse_options(int argc, char **argv, struct collect_options *o,
                         const char **ret_token_file)
{
	long v;
	int c;

	while ((c = getopt_long(argc, argv, "o:n:h", long_options, NULL)) != -1) {
		int r = 0;

		switch (c) {
		case 'o':
			o->output = optarg;
			break;
		case 'n':
			o->ns = optarg;
			break;
		case 'h':
			usage(stdout);
			return 1;
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
		case OPT_LOG_LINES:
			if (parse_long(optarg, 1, 10000000, &v) < 0) {
				fprintf(stderr, "apigee-bundle collect: --log-lines wants a number "
				                "from 1 to 10000000\n");
				return -EINVAL;
			}
			o->log_lines = v;
			break;
		case OPT_SINCE:
			if (!valid_duration(optarg)) {
				fprintf(stderr, "apigee-bundle collect: --since wants a duration "
				                "such as 30m or 2h\n");
				return -EINVAL;
			}
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
			if (parse_long(optarg, 1, 86400, &v) < 0) {
				fprintf(stderr, "apigee-bundle collect: --timeout wants seconds "
				                "from 1 to 86400\n");
				return -EINVAL;
			}
			o->timeout_ms = (int64_t)v * 1000;
			break;
		case OPT_JOBS:
			if (parse_long(optarg, 1, 32, &v) < 0) {
				fprintf(stderr, "apigee-bundle collect: --jobs wants 1 to 32\n");
				return -EINVAL;
			}
			o->parallel = (unsigned)v;
			break;
		default:
			fputs("see 'apigee-bundle collect --help'\n", stderr);
			return -EINVAL;
		}
		if (r < 0)
			return r;
	}
	if (optind < argc) {
		fprintf(stderr, "apigee-bundle collect: unexpected argument '%s'\n", argv[optind]);
		return -EINVAL;
	}
	if (!o->output) {
		fprintf(stderr, "apigee-bundle collect: -o/--output is required\n");
		return -EINVAL;
	}
	if (archive_out_format_from_path(o->output) == ARCHIVE_OUT__INVALID) {
		fprintf(stderr,
		        "apigee-bundle collect: '%s': the output must end in .tar.gz or "
		        ".tar.zst\n",
		        o->output);
		return -EINVAL;
	}
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
				int r = parsers[k].parse(lists[k]->v[i], &t, &err);

				probe_target_release(&t);
				if (r < 0) {
					fprintf(stderr, "apigee-bundle collect: %s '%s': %s\n",
					        parsers[k].opt, lists[k]->v[i], err.message);
					return -EINVAL;
				}
			}
	}
	if (o->map && !o->pseudonymize) {
		fprintf(stderr, "apigee-bundle collect: --map needs --pseudonymize\n");
		return -EINVAL;
	}
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
	sink_print_summary(s, stderr);
	fprintf(stderr,
	        "wrote %s (%u members) in %lld ms; waiting on commands and the network: %lld ms "
	        "of wall time (%lld ms summed over parallel waits)\n",
	        o->output, sum.members, (long long)(run_now_ms() - t0), (long long)sum.wait_wall_ms,
	        (long long)sum.wait_ms);
	return sum.failed || sum.skipped ? EXIT_PARTIAL : EXIT_OK;
}

/* Everything between a valid command line and the exit status: the token, the
 * redactor, the sink, the two phases of sources, the archive. */
static int collect_run(struct collect_options *o, const char *token_file, bool tty)
{
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
	so.progress = stderr;
	so.tty = tty;
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
	for (unsigned phase = 0; phase < COLLECT_PHASE__MAX && !interrupted; phase++)
		collect_run_sources(source_table, sizeof(source_table) / sizeof(source_table[0]),
		                    phase, &st, s, &interrupted);
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
	wipe_buf(&token);
	free(staging);
	return ret;
}

int cmd_collect(int argc, char **argv, struct context *ctx)
{
	struct collect_options o = { 0 };
	struct sigaction sa, old_int, old_term, old_hup;
	const char *token_file = NULL;
	char *kubectl = NULL, *gcloud = NULL, *org = NULL;
	int r, ret;

	json_set_alloc_funcs(malloc, wiping_free);
	o.ns = COLLECT_DEFAULT_NAMESPACE;
	o.log_lines = COLLECT_DEFAULT_LOG_LINES;
	o.timeout_ms = COLLECT_DEFAULT_TIMEOUT_S * 1000;
	o.parallel = COLLECT_DEFAULT_PARALLEL;
	o.cancel = &interrupted;

	r = parse_options(argc, argv, &o, &token_file);
	if (r != 0) {
		release_options(&o);
		return r > 0 ? EXIT_OK : EXIT_USAGE;
	}
	for (size_t i = 0; i < o.overrides.n; i++)
		if (access(o.overrides.v[i], R_OK) < 0) {
			fprintf(stderr, "apigee-bundle collect: cannot read '%s': %s\n",
			        o.overrides.v[i], strerror(errno));
			release_options(&o);
			return EXIT_USAGE;
		}
	if (check_output_dir(o.output) < 0) {
		release_options(&o);
		return EXIT_FINDINGS;
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	sigaction(SIGHUP, &sa, &old_hup);

	/* programs */
	kubectl = run_find_program(o.kubectl_arg ? o.kubectl_arg : "kubectl");
	gcloud = run_find_program(o.gcloud_arg ? o.gcloud_arg : "gcloud");
	o.kubectl = kubectl;
	o.gcloud = gcloud;
	if (!o.org && (org = collect_overrides_org(&o.overrides)))
		o.org = org;

	ret = collect_run(&o, token_file, ctx->stderr_tty);

	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	sigaction(SIGHUP, &old_hup, NULL);
	free(kubectl);
	free(gcloud);
	free(org);
	release_options(&o);
	return ret;
}
