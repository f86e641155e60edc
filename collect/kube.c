/* SPDX-License-Identifier: Apache-2.0 */
/* Kubernetes sources through the real kubectl: version, ApigeeRoutes (JSON, table,
 * describe), ApigeeRouteConfigs, Secrets (facts only: values are read in memory,
 * turned into certificate/key facts and wiped), ingress gateway and watcher pods,
 * services and container logs.
 *
 * Few processes (kube_split.c splits their output back into one member per
 * object, byte for byte what one command per object prints): one `kubectl get`
 * for the JSON lists of every kind, one for the tables of routes, secrets and
 * services, one `kubectl describe apigeeroute` of every route, one `kubectl logs
 * -l ... --all-containers --prefix` for the gateway and watcher containers, plus
 * version and the pod table. All six start at once on a pool of o->parallel
 * workers fed by a queue; the describes and logs are matched with the lists once
 * both are in. Whatever fails or does not split as expected (a kind not served,
 * forbidden, a timeout, a route made in between, an empty log) is done again
 * the old way, one command per kind / route / container, so each outcome is
 * recorded as before. When even
 * `kubectl version` times out the API server is taken as unreachable and the
 * commands not started yet are skipped instead of each waiting for the full
 * timeout again. */
#include "collect.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "error.h"
#include "run.h"
#include "kube_split.h"
#include "text.h"
#include "base64.h"
#include "banned.h"

struct kube {
	const struct collect_options *o;
	struct sink *s;
	pthread_mutex_t mu;
	bool unreachable;
	char unreachable_why[160];

	/* phase 1 results (raw stdout, for the collector's own use) */
	struct buf routes_json;
	struct buf pods_json;
	struct buf services_json;

	/* work that follows from the lists */
	struct strv describe_routes;
	struct strv log_pods, log_containers; /* parallel vectors */
	bool *log_labelled; /* per log_pods entry: its pod is selected by LOGS_SELECTOR */

	/* the job queue (mu): jobs may add jobs (a describe per route listed) */
	pthread_cond_t cv;
	struct kjob *q;
	size_t q_head, q_n, q_cap;
	unsigned running;
	bool routes_done, services_done, pods_scanned;
	/* started with the lists, matched with them once both are in */
	struct logs_set *logs_all;
	bool logs_all_done;
	struct buf describe_all, describe_all_err;
	struct strv describe_all_argv;
	struct run_result describe_all_res;
	bool describe_all_ok, describe_all_done;
	struct kube_facts *facts;
	void (*facts_ready)(void *ud);
	void *facts_ud;
};

/* ---- helpers ----------------------------------------------------------------------------- */

char *collect_describe_failure(const struct run_result *res, const char *stderr_text)
{
	struct buf b = BUF_INIT;
	char line[200] = "";

	if (stderr_text) {
		/* the last line that is not a klog debug line ("E1121 05:35:24.16 ...") says
		 * it best (kubectl's "The connection to the server ... was refused"); else
		 * the first line */
		const char *best = NULL, *first = NULL;
		size_t best_n = 0, first_n = 0;

		for (const char *s = stderr_text; *s;) {
			size_t n = strcspn(s, "\r\n");
			bool klog = n > 5 && strchr("IWEF", s[0]) && s[1] >= '0' && s[1] <= '9' &&
			            s[2] >= '0' && s[2] <= '9' && s[3] >= '0' && s[3] <= '9' &&
			            s[4] >= '0' && s[4] <= '9';

			if (n && !first) {
				first = s;
				first_n = n;
			}
			if (n && !klog) {
				best = s;
				best_n = n;
			}
			s += n;
			while (*s == '\r' || *s == '\n')
				s++;
		}
		if (!best) {
			best = first;
			best_n = first_n;
		}
		if (best) {
			if (best_n >= sizeof(line))
				best_n = sizeof(line) - 1;
			memcpy(line, best, best_n);
			line[best_n] = '\0';
		}
	}
	if (res->not_found)
		buf_puts(&b, "program not found");
	else if (res->cancelled)
		buf_puts(&b, "interrupted");
	else if (res->timed_out)
		buf_printf(&b, "timed out after %lld ms", (long long)res->duration_ms);
	else if (res->term_signal)
		buf_printf(&b, "killed by signal %d", res->term_signal);
	else
		buf_printf(&b, "exit %d", res->exit_status);
	if (line[0])
		buf_printf(&b, ": %s", line);
	return buf_detach(&b, NULL);
}

/* kubectl's own client timeout reads like this */
static bool stderr_says_timeout(const char *e)
{
	return e && (strstr(e, "Client.Timeout") || strstr(e, "context deadline exceeded") ||
	             strstr(e, "i/o timeout") || strstr(e, "TLS handshake timeout") ||
	             strstr(e, "net/http: request canceled"));
}

static char *display_name(const struct strv *argv, size_t skip)
{
	struct strv v = STRV_INIT;
	char *s;

	for (size_t i = skip; i < argv->n; i++)
		strv_push(&v, argv->v[i]);
	s = strv_join(&v, " ");
	strv_release(&v);
	return s;
}

/* A safe single path component for a member name. */
static char *safe_component(const char *name)
{
	size_t n = strlen(name), k = 0;
	char *out = malloc(n > 100 ? 101 : n + 2);

	if (!out)
		return NULL;
	for (size_t i = 0; i < n && k < 100; i++) {
		char c = name[i];

		out[k++] = ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		            (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-')
		                   ? c
		                   : '_';
	}
	out[k] = '\0';
	if (k == 0 || strcmp(out, ".") == 0 || strcmp(out, "..") == 0) {
		out[0] = '_';
		out[1] = '\0';
	}
	return out;
}

static int kubectl_argv(const struct collect_options *o, struct strv *argv)
{
	char t[64];

	if (strv_push(argv, o->kubectl) < 0)
		return -ENOMEM;
	if (o->kubeconfig &&
	    (strv_push(argv, "--kubeconfig") < 0 || strv_push(argv, o->kubeconfig) < 0))
		return -ENOMEM;
	if (o->context && (strv_push(argv, "--context") < 0 || strv_push(argv, o->context) < 0))
		return -ENOMEM;
	snprintf(t, sizeof(t), "--request-timeout=%llds",
	         (long long)((o->timeout_ms + 999) / 1000));
	if (strv_push(argv, "-n") < 0 || strv_push(argv, o->ns) < 0 || strv_push(argv, t) < 0)
		return -ENOMEM;
	return 0;
}

/* Number of leading argv entries that are common options (for display names). */
static size_t common_args(const struct collect_options *o)
{
	return 1 + (o->kubeconfig ? 2 : 0) + (o->context ? 2 : 0) + 3;
}

static bool kube_is_unreachable(struct kube *k, char *why, size_t size)
{
	bool u;

	pthread_mutex_lock(&k->mu);
	u = k->unreachable;
	if (u)
		snprintf(why, size, "%s", k->unreachable_why);
	pthread_mutex_unlock(&k->mu);
	return u;
}

static void kube_mark_unreachable(struct kube *k, const char *name)
{
	pthread_mutex_lock(&k->mu);
	if (!k->unreachable) {
		k->unreachable = true;
		snprintf(k->unreachable_why, sizeof(k->unreachable_why),
		         "cluster unreachable ('%s' timed out)", name);
	}
	pthread_mutex_unlock(&k->mu);
}

/* Run one command; fill res, out, errbuf. Outcome and reason (caller frees). */
static enum outcome run_one(const struct collect_options *o, struct sink *s,
                            const struct strv *argv, struct buf *out, struct buf *errbuf,
                            struct run_result *res, run_out_fn fn, void *ud, char **ret_reason)
{
	struct child_process cmd = CHILD_PROCESS_INIT;
	struct error err = ERROR_INIT;
	enum outcome oc = OUTCOME_OK;
	int r;

	*ret_reason = NULL;
	if (strv_copy(&cmd.argv, argv) < 0) {
		*ret_reason = strdup("out of memory");
		return OUTCOME_FAILED;
	}
	cmd.timeout_ms = o->timeout_ms;
	cmd.out_cap = COLLECT_MAX_JSON;
	cmd.err_cap = 64 * 1024;
	cmd.cancel = o->cancel;
	cmd.out_fn = fn;
	cmd.out_userdata = ud;
	r = run_capture(&cmd, out, errbuf, res, &err);
	child_process_release(&cmd);
	sink_add_wait(s, res->duration_ms);
	if (r < 0 && !res->duration_ms && !res->not_found) {
		*ret_reason = strdup(err.message);
		return OUTCOME_FAILED;
	}
	if (res->not_found) {
		*ret_reason = strdup("program not found");
		return OUTCOME_SKIPPED;
	}
	if (r < 0) {
		*ret_reason = strdup(err.message);
		return OUTCOME_FAILED;
	}
	if (res->timed_out || (res->exit_status != 0 && stderr_says_timeout(errbuf->data)))
		oc = OUTCOME_TIMEOUT;
	else if (res->exit_status != 0 || res->cancelled || res->term_signal)
		oc = OUTCOME_FAILED;
	else if (res->out_truncated)
		oc = OUTCOME_FAILED;
	if (oc != OUTCOME_OK)
		*ret_reason = res->out_truncated && res->exit_status == 0
		                      ? strdup("output over the size limit (cut)")
		                      : collect_describe_failure(res, errbuf->data);
	return oc;
}

enum outcome collect_command(const struct collect_options *o, struct sink *s, const char *name,
                             const char *path, const struct strv *argv, struct buf *ret_out,
                             collect_classify_fn classify)
{
	struct buf out = BUF_INIT, errbuf = BUF_INIT;
	struct run_result res;
	struct command_verdict v = { OUTCOME_OK, NULL, false };

	sink_begin(s, name);
	v.outcome = run_one(o, s, argv, &out, &errbuf, &res, NULL, NULL, &v.reason);
	if (classify)
		classify(&res, &errbuf, &v);
	if (path && !v.no_member && v.outcome != OUTCOME_SKIPPED) {
		struct member_out m = {
			.path = path,
			.data = out.data,
			.len = out.len,
			.source = MEMBER_SRC_COMMAND,
			.argv = argv,
			.outcome = v.outcome,
			.exit_status = res.exit_status,
			.duration_ms = res.duration_ms,
			.error = v.reason,
			.stderr_text = errbuf.data,
		};

		sink_emit(s, &m);
	}
	sink_source_ex(s, name, v.outcome, v.reason, res.duration_ms, false);
	if (ret_out && v.outcome == OUTCOME_OK) {
		*ret_out = out;
		buf_init(&out, 0);
	}
	free(v.reason);
	buf_release(&out);
	buf_release(&errbuf);
	return v.outcome;
}

/* A cluster without the Apigee CRDs (Apigee X, or a Helm install without
 * ApigeeRouteConfig): a fact about the cluster, not a collection failure. */
static void kube_classify(const struct run_result *res, struct buf *errbuf,
                          struct command_verdict *v)
{
	(void)res;
	if (v->outcome == OUTCOME_FAILED && errbuf->data &&
	    strstr(errbuf->data, "the server doesn't have a resource type")) {
		v->outcome = OUTCOME_OK;
		free(v->reason);
		v->reason = strdup("resource type not served by this cluster");
		v->no_member = true;
	}
}

/* One kubectl command: argv = common args + the given words. */
static enum outcome kubectl(struct kube *k, const char *path, struct buf *ret_out, ...)
{
	struct strv argv = STRV_INIT;
	char *name = NULL;
	char why[200];
	enum outcome oc;
	va_list ap;

	if (kubectl_argv(k->o, &argv) < 0)
		goto oom;
	va_start(ap, ret_out);
	for (const char *w = va_arg(ap, const char *); w; w = va_arg(ap, const char *))
		if (strv_push(&argv, w) < 0) {
			va_end(ap);
			goto oom;
		}
	va_end(ap);
	name = display_name(&argv, common_args(k->o));
	if (!name)
		goto oom;
	{
		char *full = NULL;

		if (asprintf(&full, "kubectl %s", name) < 0)
			goto oom;
		free(name);
		name = full;
	}
	if (kube_is_unreachable(k, why, sizeof(why))) {
		sink_source_ex(k->s, name, OUTCOME_SKIPPED, why, -1, false);
		oc = OUTCOME_SKIPPED;
	} else {
		oc = collect_command(k->o, k->s, name, path, &argv, ret_out, kube_classify);
		/* only the cheapest request decides that the API server is gone: one
		 * resource that hangs must not cost the others */
		if (oc == OUTCOME_TIMEOUT && strcmp(argv.v[common_args(k->o)], "version") == 0)
			kube_mark_unreachable(k, name);
	}
	free(name);
	strv_release(&argv);
	return oc;
oom:
	free(name);
	strv_release(&argv);
	return OUTCOME_FAILED;
}

/* ---- secrets: values in memory only ----------------------------------------------------- */

/* A growable buffer that wipes every block it gives up. */
struct secure_buf {
	char *data;
	size_t len, cap, max;
};

static int secure_append(void *ud, const void *data, size_t len)
{
	struct secure_buf *b = ud;

	if (len > b->max - b->len)
		return -ERANGE;
	if (b->len + len + 1 > b->cap) {
		size_t ncap = b->cap ? b->cap * 2 : 65536;
		char *p;

		while (ncap < b->len + len + 1)
			ncap *= 2;
		p = malloc(ncap);
		if (!p)
			return -ENOMEM;
		if (b->data) {
			memcpy(p, b->data, b->len);
			OPENSSL_cleanse(b->data, b->cap);
			free(b->data);
		}
		b->data = p;
		b->cap = ncap;
	}
	memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
	return 0;
}

static void secure_release(struct secure_buf *b)
{
	if (b->data) {
		OPENSSL_cleanse(b->data, b->cap);
		free(b->data);
	}
	memset(b, 0, sizeof(*b));
}

struct decoded {
	const char *key;
	unsigned char *data;
	size_t len;
};

static void decoded_wipe(struct decoded *d, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (d[i].data) {
			OPENSSL_cleanse(d[i].data, d[i].len);
			free(d[i].data);
			d[i].data = NULL;
		}
}

static const struct decoded *find_key(const struct decoded *d, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(d[i].key, key) == 0)
			return &d[i];
	return NULL;
}

/* One Secret -> {name, type, data_keys, tls?}. */
static json_t *secret_item(json_t *sec)
{
	json_t *meta = json_object_get(sec, "metadata"), *data = json_object_get(sec, "data");
	const char *name = json_string_value(json_object_get(meta, "name"));
	const char *type = json_string_value(json_object_get(sec, "type"));
	json_t *item, *keys;
	struct decoded *dec = NULL;
	size_t n = 0, cap = json_is_object(data) ? json_object_size(data) : 0;
	const struct decoded *cert = NULL, *key = NULL;
	const char *k;
	json_t *v;

	if (!name)
		return NULL;
	item = json_pack("{s:s,s:s?}", "name", name, "type", type);
	keys = json_object();
	if (!item || !keys) {
		json_decref(item);
		json_decref(keys);
		return NULL;
	}
	if (cap)
		dec = calloc(cap, sizeof(*dec));
	json_object_foreach(data, k, v)
	{
		const char *val = json_string_value(v);
		unsigned char *raw = NULL;
		size_t rawlen = 0;
		json_t *ko = json_object();

		if (val && base64_decode(val, json_string_length(v), BASE64_SPACE | BASE64_URL,
		                         &raw, &rawlen) == 0) {
			json_object_set_new(ko, "size", json_integer((json_int_t)rawlen));
			if (dec && n < cap) {
				dec[n].key = k;
				dec[n].data = raw;
				dec[n].len = rawlen;
				n++;
				raw = NULL;
			}
		} else {
			json_object_set_new(ko, "size", json_null());
			json_object_set_new(ko, "error", json_string("not base64"));
		}
		if (raw) {
			OPENSSL_cleanse(raw, rawlen);
			free(raw);
		}
		json_object_set_new(keys, k, ko);
	}
	json_object_set_new(item, "data_keys", keys);

	/* TLS material: kubernetes.io/tls, or Apigee's cert/key pair */
	if ((cert = find_key(dec, n, "tls.crt")))
		key = find_key(dec, n, "tls.key");
	else if ((cert = find_key(dec, n, "cert")))
		key = find_key(dec, n, "key");
	if (cert && (key || (type && strcmp(type, "kubernetes.io/tls") == 0) ||
	             strcmp(cert->key, "cert") == 0)) {
		json_t *tls = json_pack("{s:s,s:s?}", "cert_key", cert->key, "key_key",
		                        key ? key->key : NULL);

		if (tls &&
		    collect_tls_entry(tls, cert->data, cert->len, NULL, key ? key->data : NULL,
		                      key ? key->len : 0, NULL, NULL) == 0)
			json_object_set_new(item, "tls", tls);
		else
			json_decref(tls);
	}
	decoded_wipe(dec, n);
	free(dec);
	return item;
}

/* Wipe every string under data/stringData before the JSON tree is freed (the
 * allocator set by cmd_collect also wipes on free; this covers any other). */
static void wipe_secret_values(json_t *list)
{
	json_t *items = json_object_get(list, "items"), *it;
	size_t i;

	json_array_foreach(items, i, it)
	{
		const char *fields[] = { "data", "stringData" };

		for (size_t f = 0; f < 2; f++) {
			json_t *d = json_object_get(it, fields[f]), *v;
			const char *key;

			json_object_foreach(d, key, v) if (json_is_string(v)) OPENSSL_cleanse(
			        (char *)json_string_value(v), json_string_length(v));
		}
	}
}

/* The apigee-bundle/secrets/v1 document of the Secrets among items (kind NULL:
 * every item is one). */
static json_t *secrets_doc(struct kube *k, json_t *items, const char *kind)
{
	json_t *doc = json_pack("{s:s,s:s,s:[]}", "kind", "apigee-bundle/secrets/v1", "namespace",
	                        k->o->ns, "items");
	json_t *it, *dst = json_object_get(doc, "items");
	size_t i;

	json_array_foreach(items, i, it)
	{
		json_t *item;

		if (kind && !kube_kind_is(it, kind))
			continue;
		item = secret_item(it);
		if (item)
			json_array_append_new(dst, item);
	}
	return doc;
}

static void job_secrets(struct kube *k)
{
	struct strv argv = STRV_INIT;
	struct secure_buf out = { NULL, 0, 0, COLLECT_MAX_JSON };
	struct buf errbuf = BUF_INIT;
	struct run_result res;
	const char *name = "kubectl get secrets -o json (facts only)";
	char *reason = NULL, why[200];
	json_t *list = NULL, *doc = NULL, *items;
	enum outcome oc;

	if (kube_is_unreachable(k, why, sizeof(why))) {
		sink_source_ex(k->s, name, OUTCOME_SKIPPED, why, -1, false);
		return;
	}
	if (kubectl_argv(k->o, &argv) < 0 || strv_push(&argv, "get") < 0 ||
	    strv_push(&argv, "secrets") < 0 || strv_push(&argv, "-o") < 0 ||
	    strv_push(&argv, "json") < 0)
		goto out;
	sink_begin(k->s, name);
	/* stdout goes into memory that is wiped, never into the sink */
	oc = run_one(k->o, k->s, &argv, NULL, &errbuf, &res, secure_append, &out, &reason);
	if (oc == OUTCOME_OK) {
		json_error_t jerr;

		list = json_loadb(out.data ? out.data : "", out.len, 0, &jerr);
		items = json_object_get(list, "items");
		if (!json_is_array(items)) {
			oc = OUTCOME_FAILED;
			reason = strdup("kubectl printed no Secret list");
		}
	}
	doc = secrets_doc(k, oc == OUTCOME_OK ? json_object_get(list, "items") : NULL, NULL);
	if (doc) {
		char *text = oc == OUTCOME_OK ? json_dumps(doc, JSON_INDENT(2)) : NULL;
		struct member_out m = {
			.path = "kubernetes/secrets.json",
			.data = text,
			.len = text ? strlen(text) : 0,
			.source = MEMBER_SRC_COMMAND,
			.argv = &argv,
			.outcome = oc,
			.exit_status = res.exit_status,
			.duration_ms = res.duration_ms,
			.error = reason,
			.stderr_text = errbuf.data,
		};

		if (oc != OUTCOME_SKIPPED)
			sink_emit(k->s, &m);
		free(text);
	}
	sink_source_ex(k->s, name, oc, reason, res.duration_ms, false);
out:
	if (list) {
		wipe_secret_values(list);
		json_decref(list);
	}
	json_decref(doc);
	secure_release(&out);
	buf_release(&errbuf);
	strv_release(&argv);
	free(reason);
}

/* ---- pods, services, routes ------------------------------------------------------------- */

static const char *obj_name(json_t *obj)
{
	return json_string_value(json_object_get(json_object_get(obj, "metadata"), "name"));
}

static bool is_gateway_or_watcher(json_t *pod)
{
	const char *app = kube_label_app(pod), *name = obj_name(pod);

	if (app && (strcmp(app, "apigee-ingressgateway") == 0 ||
	            strcmp(app, "apigee-watcher") == 0 || strcmp(app, "istio-ingressgateway") == 0))
		return true;
	return name && (strncmp(name, "apigee-ingressgateway", 21) == 0 ||
	                strncmp(name, "apigee-watcher", 14) == 0);
}

static size_t list_len(const struct buf *b)
{
	json_t *j = b->len ? json_loadb(b->data, b->len, 0, NULL) : NULL;
	size_t n = json_array_size(json_object_get(j, "items"));

	json_decref(j);
	return n;
}

static void job_pods(struct kube *k)
{
	struct buf out = BUF_INIT;
	enum outcome oc;

	/* by label first (one request); clusters with other labels: by name prefix */
	oc = kubectl(k, NULL, &out, "get", "pods", "-l",
	             "app in (apigee-ingressgateway,apigee-watcher)", "-o", "json", NULL);
	if (oc == OUTCOME_OK && list_len(&out) > 0) {
		struct member_out m = {
			.path = "kubernetes/pods.json",
			.data = out.data,
			.len = out.len,
			.source = MEMBER_SRC_COMMAND,
			.outcome = OUTCOME_OK,
			.exit_status = 0,
			.duration_ms = -1,
		};
		struct strv argv = STRV_INIT;

		kubectl_argv(k->o, &argv);
		strv_push(&argv, "get");
		strv_push(&argv, "pods");
		strv_push(&argv, "-l");
		strv_push(&argv, "app in (apigee-ingressgateway,apigee-watcher)");
		strv_push(&argv, "-o");
		strv_push(&argv, "json");
		m.argv = &argv;
		sink_emit(k->s, &m);
		strv_release(&argv);
		k->pods_json = out;
		return;
	}
	buf_release(&out);
	if (oc == OUTCOME_TIMEOUT || oc == OUTCOME_SKIPPED)
		return;
	if (kubectl(k, "kubernetes/pods.json", &out, "get", "pods", "-o", "json", NULL) ==
	    OUTCOME_OK)
		k->pods_json = out;
	else
		buf_release(&out);
}

static void job_routes_json(struct kube *k)
{
	struct buf out = BUF_INIT;

	if (kubectl(k, "kubernetes/apigeeroutes.json", &out, "get", "apigeeroutes", "-o", "json",
	            NULL) == OUTCOME_OK)
		k->routes_json = out;
	else
		buf_release(&out);
}

static void job_services(struct kube *k)
{
	struct buf out = BUF_INIT;

	if (kubectl(k, "kubernetes/services.json", &out, "get", "services", "-o", "json", NULL) ==
	    OUTCOME_OK)
		k->services_json = out;
	else
		buf_release(&out);
}

/* ---- phase 2: describe and logs ------------------------------------------------------- */

static void job_describe(struct kube *k, const char *route)
{
	char *safe = safe_component(route);
	char *path = NULL;

	if (safe && asprintf(&path, "kubernetes/describe/apigeeroute-%s.txt", safe) >= 0)
		kubectl(k, path, NULL, "describe", "apigeeroute", route, NULL);
	free(path);
	free(safe);
}

/* Routes per `kubectl describe apigeeroute A B ...` (a bounded command line). */
#define DESCRIBE_SET_MAX 32

/* One describe for up to DESCRIBE_SET_MAX routes from describe_routes[first],
 * split back into one member per route. false: it failed or did not split
 * (nothing recorded); the caller describes each route on its own. */
static bool job_describe_set(struct kube *k, size_t first, size_t n)
{
	struct strv argv = STRV_INIT;
	struct buf out = BUF_INIT, errbuf = BUF_INIT;
	struct run_result res;
	size_t off[DESCRIBE_SET_MAX], end[DESCRIBE_SET_MAX];
	char *name = NULL, *reason = NULL, why[200];
	bool ok = false;

	if (kube_is_unreachable(k, why, sizeof(why)) || kubectl_argv(k->o, &argv) < 0 ||
	    strv_push(&argv, "describe") < 0 || strv_push(&argv, "apigeeroute") < 0)
		goto out;
	for (size_t i = 0; i < n; i++)
		if (strv_push(&argv, k->describe_routes.v[first + i]) < 0)
			goto out;
	name = display_name(&argv, common_args(k->o));
	if (!name)
		goto out;
	sink_begin(k->s, name);
	if (run_one(k->o, k->s, &argv, &out, &errbuf, &res, NULL, NULL, &reason) == OUTCOME_OK &&
	    kube_describe_split(&out, k->describe_routes.v + first, n, off, end)) {
		ok = true;
		for (size_t i = 0; i < n; i++) {
			char *safe = safe_component(k->describe_routes.v[first + i]), *path = NULL;
			struct member_out m = {
				.data = out.data + off[i],
				.len = end[i] - off[i],
				.source = MEMBER_SRC_COMMAND,
				.argv = &argv,
				.outcome = OUTCOME_OK,
				.exit_status = res.exit_status,
				.duration_ms = res.duration_ms,
				.stderr_text = errbuf.data,
			};

			if (safe &&
			    asprintf(&path, "kubernetes/describe/apigeeroute-%s.txt", safe) >= 0) {
				m.path = path;
				sink_emit(k->s, &m);
				free(path);
			}
			free(safe);
		}
	}
	if (ok) {
		char *full = NULL;

		sink_end(k->s, name);
		if (asprintf(&full, "kubectl %s", name) >= 0) {
			sink_source_ex(k->s, full, OUTCOME_OK, NULL, res.duration_ms, false);
			free(full);
		}
	} else {
		sink_end(k->s, name);
	}
out:
	free(name);
	free(reason);
	buf_release(&out);
	buf_release(&errbuf);
	strv_release(&argv);
	return ok;
}

static void job_logs(struct kube *k, const char *pod, const char *container)
{
	const struct collect_options *o = k->o;
	struct strv argv = STRV_INIT;
	struct buf errbuf = BUF_INIT;
	struct run_result res;
	struct sink_stream *st = NULL;
	struct error err = ERROR_INIT;
	char *sp = safe_component(pod), *sc = safe_component(container);
	char *path = NULL, *name = NULL, *reason = NULL, tail[32], why[200];
	enum outcome oc;

	if (!sp || !sc || asprintf(&path, "kubernetes/logs/%s/%s.log", sp, sc) < 0)
		goto out;
	if (asprintf(&name, "kubectl logs %s -c %s", pod, container) < 0) {
		name = NULL;
		goto out;
	}
	if (kube_is_unreachable(k, why, sizeof(why))) {
		sink_source_ex(k->s, name, OUTCOME_SKIPPED, why, -1, false);
		goto out;
	}
	snprintf(tail, sizeof(tail), "--tail=%ld", o->log_lines);
	if (kubectl_argv(o, &argv) < 0 || strv_push(&argv, "logs") < 0 ||
	    strv_push(&argv, pod) < 0 || strv_push(&argv, "-c") < 0 ||
	    strv_push(&argv, container) < 0 || strv_push(&argv, tail) < 0)
		goto out;
	if (o->since) {
		char *s = NULL;

		if (asprintf(&s, "--since=%s", o->since) < 0 || strv_push(&argv, s) < 0) {
			free(s);
			goto out;
		}
		free(s);
	}
	if (sink_stream_begin(k->s, path, &st, &err) < 0) {
		sink_source_ex(k->s, name, OUTCOME_FAILED, err.message, -1, false);
		goto out;
	}
	sink_begin(k->s, name);
	/* logs can be large: streamed through the redactor into a staged file */
	oc = run_one(o, k->s, &argv, NULL, &errbuf, &res, sink_stream_write, st, &reason);
	{
		struct member_out m = {
			.path = path,
			.source = MEMBER_SRC_COMMAND,
			.argv = &argv,
			.outcome = oc,
			.exit_status = res.exit_status,
			.duration_ms = res.duration_ms,
			.error = reason,
			.stderr_text = errbuf.data,
		};

		if (res.out_bytes > 0 || oc == OUTCOME_OK)
			sink_stream_end(st, &m, &err);
		else if (oc != OUTCOME_SKIPPED) {
			sink_stream_abort(st);
			sink_emit(k->s, &m);
		} else {
			sink_stream_abort(st);
		}
		st = NULL;
	}
	sink_source_ex(k->s, name, oc, reason, res.duration_ms, false);
out:
	sink_stream_abort(st);
	free(sp);
	free(sc);
	free(path);
	free(name);
	free(reason);
	buf_release(&errbuf);
	strv_release(&argv);
}

/* Names of the routes, their non-wildcard host names. */
static void scan_routes(struct kube *k, struct kube_facts *f)
{
	json_t *j = k->routes_json.len
	                    ? json_loadb(k->routes_json.data, k->routes_json.len, 0, NULL)
	                    : NULL;
	json_t *items = json_object_get(j, "items"), *it, *h;
	size_t i, n;

	if (!items && json_is_object(j) && json_object_get(j, "spec"))
		items = NULL;
	json_array_foreach(items, i, it)
	{
		const char *name = obj_name(it);

		if (name)
			strv_push_unique(&k->describe_routes, name);
		json_array_foreach(json_object_get(json_object_get(it, "spec"), "hostnames"), n, h)
		{
			const char *host = json_string_value(h);

			if (host && *host && !strchr(host, '*'))
				strv_push_unique(&f->route_hosts, host);
		}
	}
	json_decref(j);
}

/* The pods `kubectl logs -l LOGS_SELECTOR` selects. */
#define LOGS_SELECTOR "app in (apigee-ingressgateway,apigee-watcher,istio-ingressgateway)"
static bool log_selected(json_t *pod)
{
	const char *app = kube_label_app(pod);

	return app &&
	       (strcmp(app, "apigee-ingressgateway") == 0 || strcmp(app, "apigee-watcher") == 0 ||
	        strcmp(app, "istio-ingressgateway") == 0);
}

static void scan_pods(struct kube *k)
{
	json_t *j =
	        k->pods_json.len ? json_loadb(k->pods_json.data, k->pods_json.len, 0, NULL) : NULL;
	json_t *it, *c;
	size_t i, n;

	json_array_foreach(json_object_get(j, "items"), i, it)
	{
		const char *pod = obj_name(it);

		if (!pod || !is_gateway_or_watcher(it))
			continue;
		json_array_foreach(json_object_get(json_object_get(it, "spec"), "containers"), n, c)
		{
			const char *cn = json_string_value(json_object_get(c, "name"));

			if (cn && strv_push(&k->log_pods, pod) == 0 &&
			    strv_push(&k->log_containers, cn) == 0) {
				bool *nl = realloc(k->log_labelled,
				                   k->log_pods.n * sizeof(*k->log_labelled));

				if (nl) {
					k->log_labelled = nl;
					nl[k->log_pods.n - 1] = log_selected(it);
				} else {
					/* without the flag the pod is not in the set: its own job */
					k->log_pods.n--;
					free(k->log_pods.v[k->log_pods.n]);
					k->log_containers.n--;
					free(k->log_containers.v[k->log_containers.n]);
				}
			}
		}
	}
	json_decref(j);
}

/* External addresses of the ingress gateway services, "addr:port". */
static void scan_services(struct kube *k, struct kube_facts *f)
{
	json_t *j = k->services_json.len
	                    ? json_loadb(k->services_json.data, k->services_json.len, 0, NULL)
	                    : NULL;
	json_t *it, *p, *ing;
	size_t i, n;

	json_array_foreach(json_object_get(j, "items"), i, it)
	{
		const char *app = kube_label_app(it), *name = obj_name(it);
		json_t *spec = json_object_get(it, "spec");
		json_int_t port = 0;

		if (!((app && strcmp(app, "apigee-ingressgateway") == 0) ||
		      (name && strncmp(name, "apigee-ingressgateway", 21) == 0)))
			continue;
		json_array_foreach(json_object_get(spec, "ports"), n, p)
		{
			const char *pn = json_string_value(json_object_get(p, "name"));
			json_int_t num = json_integer_value(json_object_get(p, "port"));

			if ((pn && strcmp(pn, "https") == 0) || (!port && num == 443))
				port = num;
		}
		if (port <= 0 || port > 65535)
			port = 443;
		json_array_foreach(json_object_get(json_object_get(json_object_get(it, "status"),
		                                                   "loadBalancer"),
		                                   "ingress"),
		                   n, ing)
		{
			const char *ip = json_string_value(json_object_get(ing, "ip"));
			char addr[320];

			if (!ip)
				ip = json_string_value(json_object_get(ing, "hostname"));
			if (!ip || !*ip)
				continue;
			if (strchr(ip, ':'))
				snprintf(addr, sizeof(addr), "[%s]:%lld", ip, (long long)port);
			else
				snprintf(addr, sizeof(addr), "%s:%lld", ip, (long long)port);
			strv_push_unique(&f->ingress_addrs, addr);
		}
	}
	json_decref(j);
}

void kube_facts_release(struct kube_facts *f)
{
	if (!f)
		return;
	strv_release(&f->route_hosts);
	strv_release(&f->ingress_addrs);
}

/* ---- the job queue ------------------------------------------------------------------ */

enum kjob_type {
	KJ_LISTS, /* the combined get; when it fails: the five below */
	KJ_ROUTES_JSON,
	KJ_ROUTECONFIGS,
	KJ_SECRETS,
	KJ_PODS,
	KJ_SERVICES,
	KJ_VERSION,
	KJ_ROUTES_TABLE,
	KJ_SECRETS_TABLE,
	KJ_PODS_TABLE,
	KJ_SERVICES_TABLE,
	KJ_TABLES,       /* routes, secrets and services tables in one get; else the three above */
	KJ_DESCRIBE,     /* i: describe_routes */
	KJ_DESCRIBE_SET, /* i: the first of up to DESCRIBE_SET_MAX describe_routes */
	KJ_LOGS,         /* i: log_pods / log_containers */
	KJ_LOGS_ALL,     /* every labelled container in one kubectl logs -l */
	KJ_DESCRIBE_ALL, /* every route in one kubectl describe */
};

struct kjob {
	enum kjob_type t;
	size_t i;
};

/* Add a job. mu held. */
static void kq_push(struct kube *k, enum kjob_type t, size_t i)
{
	if (k->q_n == k->q_cap) {
		size_t ncap = k->q_cap ? k->q_cap * 2 : 32;
		struct kjob *nq = realloc(k->q, ncap * sizeof(*nq));

		if (!nq)
			return; /* out of memory: the job is lost, as the strv_push would be */
		k->q = nq;
		k->q_cap = ncap;
	}
	k->q[k->q_n].t = t;
	k->q[k->q_n].i = i;
	k->q_n++;
	pthread_cond_broadcast(&k->cv);
}

/* ---- the logs in one kubectl logs -l ... --prefix ----------------------------------- */

/* Containers per `kubectl logs -l`: each is a staged stream held open meanwhile. */

static char *log_path(const char *pod, const char *container)
{
	char *sp = safe_component(pod), *sc = safe_component(container), *path = NULL;

	if (sp && sc && asprintf(&path, "kubernetes/logs/%s/%s.log", sp, sc) < 0)
		path = NULL;
	free(sp);
	free(sc);
	return path;
}

static int logs_argv(const struct collect_options *o, struct strv *argv)
{
	char tail[32];
	int r;

	snprintf(tail, sizeof(tail), "--tail=%ld", o->log_lines);
	r = kubectl_argv(o, argv);
	if (r == 0 &&
	    (strv_push(argv, "logs") < 0 || strv_push(argv, "-l") < 0 ||
	     strv_push(argv, LOGS_SELECTOR) < 0 || strv_push(argv, "--all-containers") < 0 ||
	     strv_push(argv, "--prefix") < 0 || strv_push(argv, tail) < 0))
		r = -ENOMEM;
	if (r == 0 && o->since) {
		char *s = NULL;

		if (asprintf(&s, "--since=%s", o->since) < 0 || strv_push(argv, s) < 0)
			r = -ENOMEM;
		free(s);
	}
	return r;
}

/* The containers of the one `kubectl logs -l ... --prefix`, started with the
 * lists (it needs none of them): a staged stream for each container seen. */
struct logs_set {
	struct kube *k;
	struct strv argv;
	struct buf err;
	struct run_result res;
	bool ok;
	struct sink_stream *st[KUBE_DEMUX_MAX];
	struct kube_demux dm;
};

static int logs_set_write(void *ud, size_t i, const void *data, size_t len)
{
	struct logs_set *d = ud;

	return sink_stream_write(d->st[i], data, len);
}

static int logs_set_open(void *ud, size_t i)
{
	struct logs_set *d = ud;
	struct error err = ERROR_INIT;
	char *path = log_path(d->dm.pods[i], d->dm.containers[i]);
	int r = path ? sink_stream_begin(d->k->s, path, &d->st[i], &err) : -ENOMEM;

	free(path);
	return r;
}

static void logs_set_free(struct logs_set *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->dm.n; i++)
		sink_stream_abort(d->st[i]);
	strv_release(&d->argv);
	buf_release(&d->err);
	free(d);
}

#define LOGS_NAME "kubectl logs -l " LOGS_SELECTOR " --all-containers --prefix"

static void logs_reconcile(struct kube *k);

/* The logs of every labelled container in one command, demultiplexed by prefix
 * into one stream per container; kept until the pod list says which are wanted. */
static void job_logs_all(struct kube *k)
{
	struct logs_set *d = calloc(1, sizeof(*d));
	char *reason = NULL, why[200];
	bool both;

	if (d && !kube_is_unreachable(k, why, sizeof(why)) && logs_argv(k->o, &d->argv) == 0) {
		d->k = k;
		d->dm.write = logs_set_write;
		d->dm.open = logs_set_open;
		d->dm.ud = d;
		kube_demux_init(&d->dm);
		sink_begin(k->s, LOGS_NAME);
		d->ok = run_one(k->o, k->s, &d->argv, NULL, &d->err, &d->res, kube_demux_write,
		                &d->dm, &reason) == OUTCOME_OK &&
		        kube_demux_finished(&d->dm);
		sink_end(k->s, LOGS_NAME);
	}
	free(reason);
	pthread_mutex_lock(&k->mu);
	k->logs_all = d;
	k->logs_all_done = true;
	both = k->pods_scanned;
	pthread_mutex_unlock(&k->mu);
	if (both)
		logs_reconcile(k);
}

static int logs_find(const struct logs_set *d, const char *pod, const char *container)
{
	for (size_t j = 0; d && d->ok && j < d->dm.n; j++)
		if (strcmp(d->dm.pods[j], pod) == 0 && strcmp(d->dm.containers[j], container) == 0)
			return (int)j;
	return -1;
}

/* Once both the logs and the pod list are in: each labelled container of the list
 * whose log came gets its member; one that printed nothing (an empty log, or a pod
 * gone since: its own command says which), or all of them when the command
 * failed, gets its own `kubectl logs` as before. Containers not in the list (init
 * containers, pods made since) are dropped. */
static void logs_reconcile(struct kube *k)
{
	struct logs_set *d = k->logs_all;
	size_t done = 0;

	for (size_t i = 0; i < k->log_pods.n; i++) {
		int j = k->log_labelled[i] ? logs_find(d, k->log_pods.v[i], k->log_containers.v[i])
		                           : -2;
		char *path = j >= 0 ? log_path(k->log_pods.v[i], k->log_containers.v[i]) : NULL;

		if (j >= 0 && d->dm.bytes[j] && d->st[j] && path) {
			struct error err = ERROR_INIT;
			struct member_out m = {
				.path = path,
				.source = MEMBER_SRC_COMMAND,
				.argv = &d->argv,
				.outcome = OUTCOME_OK,
				.exit_status = d->res.exit_status,
				.duration_ms = d->res.duration_ms,
				.stderr_text = d->err.data,
			};

			/* a staging failure is the sink's (no bundle): no retry */
			sink_stream_end(d->st[j], &m, &err);
			d->st[j] = NULL;
			done++;
		} else if (j != -2) {
			pthread_mutex_lock(&k->mu);
			kq_push(k, KJ_LOGS, i);
			pthread_mutex_unlock(&k->mu);
		}
		free(path);
	}
	if (done) {
		char *full = NULL;

		if (asprintf(&full, "%s (%zu containers)", LOGS_NAME, done) >= 0) {
			sink_source_ex(k->s, full, OUTCOME_OK, NULL, d->res.duration_ms, false);
			free(full);
		}
	}
	logs_set_free(d);
	k->logs_all = NULL;
}

/* ---- the lists in one kubectl get ---------------------------------------------------- */

/* The kinds of the combined get and the member each becomes; pods are the
 * ingress gateway and watcher pods (as `-l app in (...)`), all pods when none is
 * labelled so; the Secrets become facts only. */
#define LISTS_RESOURCES "apigeeroutes,apigeerouteconfigs,secrets,services,pods"
#define PODS_SELECTOR "app in (apigee-ingressgateway,apigee-watcher)"

static const struct {
	const char *kind;
	const char *path;
} list_members[] = {
	{ "ApigeeRoute", "kubernetes/apigeeroutes.json" },
	{ "ApigeeRouteConfig", "kubernetes/apigeerouteconfigs.json" },
	{ "Service", "kubernetes/services.json" },
	{ "Pod", "kubernetes/pods.json" },
};

/* Split the combined List into today's members. 0, or -1 when the output is not
 * a List (the caller then falls back to one get per kind). */
static int lists_split(struct kube *k, json_t *list, const struct strv *argv,
                       const struct run_result *res, const char *stderr_text)
{
	json_t *items = json_object_get(list, "items");
	struct buf texts[4];
	int r = 0;

	if (!json_is_array(items))
		return -1;
	for (size_t i = 0; i < 4; i++)
		buf_init(&texts[i], COLLECT_MAX_JSON);
	for (size_t i = 0; i < 4 && r == 0; i++)
		r = kube_list_text(items, list_members[i].kind, i == 3, &texts[i]);
	for (size_t i = 0; i < 4 && r == 0; i++) {
		struct member_out m = {
			.path = list_members[i].path,
			.data = texts[i].data,
			.len = texts[i].len,
			.source = MEMBER_SRC_COMMAND,
			.argv = argv,
			.outcome = OUTCOME_OK,
			.exit_status = res->exit_status,
			.duration_ms = res->duration_ms,
			.stderr_text = stderr_text,
		};

		sink_emit(k->s, &m);
	}
	if (r == 0) {
		json_t *doc = secrets_doc(k, items, "Secret");
		char *text = doc ? json_dumps(doc, JSON_INDENT(2)) : NULL;
		struct member_out m = {
			.path = "kubernetes/secrets.json",
			.data = text,
			.len = text ? strlen(text) : 0,
			.source = MEMBER_SRC_COMMAND,
			.argv = argv,
			.outcome = text ? OUTCOME_OK : OUTCOME_FAILED,
			.exit_status = res->exit_status,
			.duration_ms = res->duration_ms,
			.error = text ? NULL : "out of memory",
			.stderr_text = stderr_text,
		};

		sink_emit(k->s, &m);
		free(text);
		json_decref(doc);
		k->routes_json = texts[0];
		k->services_json = texts[2];
		k->pods_json = texts[3];
		buf_init(&texts[0], 0);
		buf_init(&texts[2], 0);
		buf_init(&texts[3], 0);
	}
	for (size_t i = 0; i < 4; i++)
		buf_release(&texts[i]);
	return r < 0 ? -1 : 0;
}

/* One `kubectl get` for the lists. Its stdout holds Secret values: it is read into
 * memory that is wiped. false: it failed (a kind not served, forbidden, timed
 * out); nothing was recorded and the caller gets each kind on its own. */
static bool job_lists(struct kube *k)
{
	const char *name = "kubectl get " LISTS_RESOURCES " -o json (secrets: facts only)";
	struct strv argv = STRV_INIT;
	struct secure_buf out = { NULL, 0, 0, COLLECT_MAX_JSON };
	struct buf errbuf = BUF_INIT;
	struct run_result res;
	char *reason = NULL, why[200];
	json_t *list = NULL;
	bool ok = false;

	if (kube_is_unreachable(k, why, sizeof(why)))
		return false;
	if (kubectl_argv(k->o, &argv) < 0 || strv_push(&argv, "get") < 0 ||
	    strv_push(&argv, LISTS_RESOURCES) < 0 || strv_push(&argv, "-o") < 0 ||
	    strv_push(&argv, "json") < 0)
		goto out;
	sink_begin(k->s, name);
	if (run_one(k->o, k->s, &argv, NULL, &errbuf, &res, secure_append, &out, &reason) ==
	    OUTCOME_OK) {
		list = json_loadb(out.data ? out.data : "", out.len, 0, NULL);
		ok = list && lists_split(k, list, &argv, &res, errbuf.data) == 0;
	}
	if (ok)
		sink_source_ex(k->s, name, OUTCOME_OK, NULL, res.duration_ms, false);
	else
		sink_end(k->s, name);
out:
	if (list) {
		wipe_secret_values(list);
		json_decref(list);
	}
	secure_release(&out);
	buf_release(&errbuf);
	strv_release(&argv);
	free(reason);
	return ok;
}

static void describe_reconcile(struct kube *k);

static void routes_done(struct kube *k)
{
	bool ready, both;

	scan_routes(k, k->facts);
	pthread_mutex_lock(&k->mu);
	k->routes_done = true;
	ready = k->services_done;
	both = k->describe_all_done;
	pthread_mutex_unlock(&k->mu);
	if (ready && k->facts_ready)
		k->facts_ready(k->facts_ud);
	if (both)
		describe_reconcile(k);
}

static void services_done(struct kube *k)
{
	bool ready;

	scan_services(k, k->facts);
	pthread_mutex_lock(&k->mu);
	k->services_done = true;
	ready = k->routes_done;
	pthread_mutex_unlock(&k->mu);
	if (ready && k->facts_ready)
		k->facts_ready(k->facts_ud);
}

/* The containers of pods that LOGS_SELECTOR does not select (named like a
 * gateway only) each get their own `kubectl logs`; the others come from the one
 * logs command (logs_reconcile). */
static void pods_done(struct kube *k)
{
	bool both;

	scan_pods(k);
	pthread_mutex_lock(&k->mu);
	for (size_t i = 0; i < k->log_pods.n; i++)
		if (!k->log_labelled[i])
			kq_push(k, KJ_LOGS, i);
	k->pods_scanned = true;
	both = k->logs_all_done;
	pthread_mutex_unlock(&k->mu);
	if (both)
		logs_reconcile(k);
}

/* `kubectl describe apigeeroute` of every route, started with the lists. */
static void job_describe_all(struct kube *k)
{
	char *reason = NULL, why[200];
	bool both;

	if (!kube_is_unreachable(k, why, sizeof(why)) &&
	    kubectl_argv(k->o, &k->describe_all_argv) == 0 &&
	    strv_push(&k->describe_all_argv, "describe") == 0 &&
	    strv_push(&k->describe_all_argv, "apigeeroute") == 0) {
		sink_begin(k->s, "kubectl describe apigeeroute");
		k->describe_all_ok = run_one(k->o, k->s, &k->describe_all_argv, &k->describe_all,
		                             &k->describe_all_err, &k->describe_all_res, NULL, NULL,
		                             &reason) == OUTCOME_OK;
		sink_end(k->s, "kubectl describe apigeeroute");
	}
	free(reason);
	pthread_mutex_lock(&k->mu);
	k->describe_all_done = true;
	both = k->routes_done;
	pthread_mutex_unlock(&k->mu);
	if (both)
		describe_reconcile(k);
}

/* Once both the describe of every route and the route list are in: split it, one
 * member per listed route, when it names exactly the listed routes in their
 * order; else (a route made or gone in between, a failure) describe the listed
 * routes by name, as sets. */
static void describe_reconcile(struct kube *k)
{
	size_t n = k->describe_routes.n;
	size_t *off = n ? calloc(2 * n, sizeof(*off)) : NULL;
	bool ok = off && k->describe_all_ok &&
	          kube_describe_split(&k->describe_all, k->describe_routes.v, n, off, off + n);

	for (size_t i = 0; ok && i < n; i++) {
		char *safe = safe_component(k->describe_routes.v[i]), *path = NULL;
		struct member_out m = {
			.data = k->describe_all.data + off[i],
			.len = off[n + i] - off[i],
			.source = MEMBER_SRC_COMMAND,
			.argv = &k->describe_all_argv,
			.outcome = OUTCOME_OK,
			.exit_status = k->describe_all_res.exit_status,
			.duration_ms = k->describe_all_res.duration_ms,
			.stderr_text = k->describe_all_err.data,
		};

		if (safe && asprintf(&path, "kubernetes/describe/apigeeroute-%s.txt", safe) >= 0) {
			m.path = path;
			sink_emit(k->s, &m);
			free(path);
		}
		free(safe);
	}
	if (ok)
		sink_source_ex(k->s, "kubectl describe apigeeroute", OUTCOME_OK, NULL,
		               k->describe_all_res.duration_ms, false);
	pthread_mutex_lock(&k->mu);
	/* one route: its own describe; more: one describe per set */
	for (size_t i = 0; !ok && i < n; i += DESCRIBE_SET_MAX)
		kq_push(k, n > 1 ? KJ_DESCRIBE_SET : KJ_DESCRIBE, i);
	pthread_mutex_unlock(&k->mu);
	free(off);
}

static void describe_set(struct kube *k, size_t first)
{
	size_t n = k->describe_routes.n - first;

	if (n > DESCRIBE_SET_MAX)
		n = DESCRIBE_SET_MAX;
	if (job_describe_set(k, first, n))
		return;
	pthread_mutex_lock(&k->mu);
	for (size_t i = 0; i < n; i++)
		kq_push(k, KJ_DESCRIBE, first + i);
	pthread_mutex_unlock(&k->mu);
}

static void run_lists(struct kube *k)
{
	static const enum kjob_type per_kind[] = { KJ_ROUTES_JSON, KJ_SERVICES, KJ_PODS, KJ_SECRETS,
		                                   KJ_ROUTECONFIGS };

	if (job_lists(k)) {
		services_done(k);
		routes_done(k);
		pods_done(k);
		return;
	}
	pthread_mutex_lock(&k->mu);
	for (size_t i = 0; i < sizeof(per_kind) / sizeof(per_kind[0]); i++)
		kq_push(k, per_kind[i], 0);
	pthread_mutex_unlock(&k->mu);
}

/* ---- the tables in one kubectl get ---------------------------------------------------- */

/* The tables one get prints for several kinds: one table per kind, separated by
 * an empty line, every NAME cell prefixed with "KIND/". */

/* One `kubectl get` for the tables of routes, secrets and services. false: it
 * failed or did not split (nothing recorded); the caller gets each on its own.
 * A kind without objects has no table: its member is empty, as its own get
 * prints nothing on stdout then. */
static bool job_tables(struct kube *k)
{
	const char *name = "kubectl get " KUBE_TABLES_RESOURCES;
	struct strv argv = STRV_INIT;
	struct buf out = BUF_INIT, errbuf = BUF_INIT, tables[KUBE_N_TABLES];
	struct run_result res;
	char *reason = NULL, why[200];
	bool ok = false;

	for (size_t i = 0; i < KUBE_N_TABLES; i++)
		buf_init(&tables[i], COLLECT_MAX_JSON);
	if (kube_is_unreachable(k, why, sizeof(why)) || kubectl_argv(k->o, &argv) < 0 ||
	    strv_push(&argv, "get") < 0 || strv_push(&argv, KUBE_TABLES_RESOURCES) < 0)
		goto out;
	sink_begin(k->s, name);
	ok = run_one(k->o, k->s, &argv, &out, &errbuf, &res, NULL, NULL, &reason) == OUTCOME_OK &&
	     kube_tables_split(&out, tables) == 0;
	for (size_t i = 0; ok && i < KUBE_N_TABLES; i++) {
		struct member_out m = {
			.path = kube_table_path(i),
			.data = tables[i].data,
			.len = tables[i].len,
			.source = MEMBER_SRC_COMMAND,
			.argv = &argv,
			.outcome = OUTCOME_OK,
			.exit_status = res.exit_status,
			.duration_ms = res.duration_ms,
			.stderr_text = errbuf.data,
		};

		sink_emit(k->s, &m);
	}
	if (ok)
		sink_source_ex(k->s, name, OUTCOME_OK, NULL, res.duration_ms, false);
	else
		sink_end(k->s, name);
out:
	for (size_t i = 0; i < KUBE_N_TABLES; i++)
		buf_release(&tables[i]);
	free(reason);
	buf_release(&out);
	buf_release(&errbuf);
	strv_release(&argv);
	return ok;
}

static void run_tables(struct kube *k)
{
	if (job_tables(k))
		return;
	pthread_mutex_lock(&k->mu);
	kq_push(k, KJ_ROUTES_TABLE, 0);
	kq_push(k, KJ_SECRETS_TABLE, 0);
	kq_push(k, KJ_SERVICES_TABLE, 0);
	pthread_mutex_unlock(&k->mu);
}

static void run_table(struct kube *k, enum kjob_type t)
{
	switch (t) {
	case KJ_VERSION:
		kubectl(k, "kubernetes/version.json", NULL, "version", "-o", "json", NULL);
		break;
	case KJ_ROUTES_TABLE:
		kubectl(k, "kubernetes/apigeeroutes.txt", NULL, "get", "apigeeroutes", NULL);
		break;
	case KJ_SECRETS_TABLE:
		kubectl(k, "kubernetes/secrets.txt", NULL, "get", "secrets", NULL);
		break;
	case KJ_PODS_TABLE:
		kubectl(k, "kubernetes/pods.txt", NULL, "get", "pods", "-o", "wide", "-l",
		        PODS_SELECTOR, NULL);
		break;
	case KJ_SERVICES_TABLE:
		kubectl(k, "kubernetes/services.txt", NULL, "get", "services", NULL);
		break;
	default:
		break;
	}
}

static void run_job(struct kube *k, struct kjob j)
{
	switch (j.t) {
	case KJ_LISTS:
		run_lists(k);
		break;
	case KJ_TABLES:
		run_tables(k);
		break;
	case KJ_ROUTES_JSON:
		job_routes_json(k);
		routes_done(k);
		break;
	case KJ_ROUTECONFIGS:
		kubectl(k, "kubernetes/apigeerouteconfigs.json", NULL, "get", "apigeerouteconfigs",
		        "-o", "json", NULL);
		break;
	case KJ_SECRETS:
		job_secrets(k);
		break;
	case KJ_PODS:
		job_pods(k);
		pods_done(k);
		break;
	case KJ_SERVICES:
		job_services(k);
		services_done(k);
		break;
	case KJ_DESCRIBE:
		job_describe(k, k->describe_routes.v[j.i]);
		break;
	case KJ_DESCRIBE_SET:
		describe_set(k, j.i);
		break;
	case KJ_LOGS_ALL:
		job_logs_all(k);
		break;
	case KJ_DESCRIBE_ALL:
		job_describe_all(k);
		break;
	case KJ_LOGS:
		job_logs(k, k->log_pods.v[j.i], k->log_containers.v[j.i]);
		break;
	default:
		run_table(k, j.t);
		break;
	}
}

/* A worker: take jobs until the queue is empty and no running job can add more;
 * once interrupted, start none. */
static void kq_worker(void *ud, size_t unused)
{
	struct kube *k = ud;

	(void)unused;
	pthread_mutex_lock(&k->mu);
	for (;;) {
		struct kjob j;

		while (k->q_head == k->q_n && k->running > 0)
			pthread_cond_wait(&k->cv, &k->mu);
		if (k->q_head == k->q_n || (k->o->cancel && *k->o->cancel))
			break;
		j = k->q[k->q_head++];
		k->running++;
		pthread_mutex_unlock(&k->mu);
		run_job(k, j);
		pthread_mutex_lock(&k->mu);
		k->running--;
		pthread_cond_broadcast(&k->cv);
	}
	pthread_cond_broadcast(&k->cv);
	pthread_mutex_unlock(&k->mu);
}

int collect_kube(const struct collect_options *o, struct sink *s, struct kube_facts *ret_facts,
                 void (*facts_ready)(void *ud), void *ud, struct error *err)
{
	static const char *const names[] = {
		"kubectl version",
		"kubectl get apigeeroutes -o json",
		"kubectl get apigeeroutes",
		"kubectl get apigeerouteconfigs -o json",
		"kubectl get secrets -o json (facts only)",
		"kubectl get secrets",
		"kubectl get pods",
		"kubectl get pods (table)",
		"kubectl get services -o json",
		"kubectl get services",
	};
	/* the combined get first: the describes and logs follow from it */
	/* every first-level command at once: the lists, and the logs and describes
	 * (those are matched with the lists afterwards), then the tables */
	static const enum kjob_type first[] = { KJ_LISTS,  KJ_LOGS_ALL, KJ_DESCRIBE_ALL,
		                                KJ_TABLES, KJ_VERSION,  KJ_PODS_TABLE };
	struct kube k = { 0 };
	int r;

	if (!o->kubectl) {
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			sink_source_ex(s, names[i], OUTCOME_SKIPPED, "kubectl not found", -1,
			               false);
		return 0;
	}
	k.o = o;
	k.s = s;
	k.facts = ret_facts;
	k.facts_ready = facts_ready;
	k.facts_ud = ud;
	pthread_mutex_init(&k.mu, NULL);
	pthread_cond_init(&k.cv, NULL);
	for (size_t i = 0; i < sizeof(first) / sizeof(first[0]); i++)
		kq_push(&k, first[i], 0);
	/* at most o->parallel commands at once, whatever the size of the cluster */
	r = run_parallel(o->parallel, o->parallel, kq_worker, &k, o->cancel);
	if (r < 0)
		error_set(err, r, NULL, 0, "cannot start worker threads");
	buf_release(&k.routes_json);
	buf_release(&k.pods_json);
	buf_release(&k.services_json);
	strv_release(&k.describe_routes);
	strv_release(&k.log_pods);
	strv_release(&k.log_containers);
	free(k.log_labelled);
	logs_set_free(k.logs_all); /* interrupted before the pod list came */
	buf_release(&k.describe_all);
	buf_release(&k.describe_all_err);
	strv_release(&k.describe_all_argv);
	free(k.q);
	pthread_cond_destroy(&k.cv);
	pthread_mutex_destroy(&k.mu);
	return r;
}
