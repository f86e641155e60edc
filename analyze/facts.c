/* SPDX-License-Identifier: Apache-2.0 */
/* The facts of a bundle as comparable JSON, and the difference of two bundles:
 * facts and check statuses (apigee-bundle diff). */
#include "facts.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bundle.h"
#include "checks.h"
#include "findings.h"
#include "fleet.h"
#include "text.h"
#include "banned.h"

const char *const facts_kinds[] = {
	"routes",     "virtual_hosts",  "secrets",         "certificates", "instances",
	"env_groups", "firewall_rules", "lb_certificates", "probes",
};
const size_t facts_n_kinds = sizeof(facts_kinds) / sizeof(facts_kinds[0]);

/* ---- building ---------------------------------------------------------------------------------- */

/* A string value (invalid UTF-8 made "\xNN"), null for NULL. */
static json_t *jstr(const char *s)
{
	return s ? (*s ? fleet_json_string(s) : json_string("")) : json_null();
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The strings of s, sorted and without repeats. */
static json_t *sorted(const struct strv *s)
{
	json_t *a = json_array();
	const char **v;

	if (!a || !s->n)
		return a;
	v = malloc(s->n * sizeof(*v));
	if (!v) {
		json_decref(a);
		return NULL;
	}
	memcpy(v, s->v, s->n * sizeof(*v));
	qsort(v, s->n, sizeof(*v), cmp_str);
	for (size_t i = 0; i < s->n; i++)
		if ((i == 0 || strcmp(v[i], v[i - 1]) != 0) &&
		    json_array_append_new(a, jstr(v[i])) < 0)
			break;
	free(v);
	return a;
}

static const char *tristate_name(enum tristate t)
{
	switch (t) {
	case TRI_FALSE:
		return "false";
	case TRI_TRUE:
		return "true";
	case TRI_OTHER:
		return "not a boolean";
	default:
		return "absent";
	}
}

static json_t *utc(int64_t t)
{
	char s[40];

	if (!t)
		return json_null();
	text_format_time(t, s, sizeof(s));
	return json_string(s);
}

/* set kind[key] = val; a key met twice keeps the first value (MODEL_MAX_ITEMS
 * bounds the count). */
static void add(json_t *kind, const char *key, json_t *val, int *r)
{
	json_t *k = jstr(key && *key ? key : "(unnamed)");
	const char *ks = json_string_value(k);

	if (!val || !ks) {
		*r = -ENOMEM;
	} else if (!json_object_get(kind, ks)) {
		if (json_object_set(kind, ks, val) < 0)
			*r = -ENOMEM;
	}
	json_decref(k);
	json_decref(val);
}

static void routes(const struct bundle *b, json_t *kind, int *r)
{
	for (size_t i = 0; i < b->n_routes; i++) {
		const struct route *rt = &b->routes[i];
		json_t *v = json_pack("{s:o,s:s,s:o,s:o,s:o}", "hostnames", sorted(&rt->hostnames),
		                      "enableNonSniClient", tristate_name(rt->non_sni),
		                      "additionalGateways", sorted(&rt->additional_gateways),
		                      "credentialNames", sorted(&rt->credential_names), "state",
		                      jstr(rt->state));

		add(kind, rt->name, v, r);
	}
	for (size_t i = 0; i < b->n_route_configs; i++) {
		const struct route_config *rc = &b->route_configs[i];
		struct buf key = BUF_INIT;

		if (buf_printf(&key, "ApigeeRouteConfig %s", rc->name ? rc->name : "") < 0) {
			*r = -ENOMEM;
			return;
		}
		add(kind, key.data,
		    json_pack("{s:o,s:s}", "additionalGateways", sorted(&rc->additional_gateways),
		              "enableNonSniClient", tristate_name(rc->non_sni)),
		    r);
		buf_release(&key);
	}
}

static void vhosts(const struct bundle *b, json_t *kind, int *r)
{
	for (size_t i = 0; i < b->n_vhosts; i++) {
		const struct vhost *vh = &b->vhosts[i];

		add(kind, vh->name,
		    json_pack("{s:o,s:o,s:o,s:o}", "sslCertPath", jstr(vh->ssl_cert_path),
		              "sslKeyPath", jstr(vh->ssl_key_path), "sslSecret",
		              jstr(vh->ssl_secret), "additionalGateways",
		              sorted(&vh->additional_gateways)),
		    r);
	}
}

static void secrets(const struct bundle *b, json_t *kind, int *r)
{
	for (size_t i = 0; i < b->n_secrets; i++) {
		const struct secret_meta *s = &b->secrets[i];

		add(kind, s->name,
		    json_pack("{s:o,s:o}", "type", jstr(s->type), "keys", sorted(&s->data_keys)),
		    r);
	}
}

static const char *role_name(enum cert_role role)
{
	static const char *const names[] = { "file", "virtual host", "secret", "served",
		                             "load balancer" };

	return (size_t)role < sizeof(names) / sizeof(names[0]) ? names[role] : "other";
}

/* Where a certificate is used: "secret NAME", "served HOST", ... */
static int cert_use(const struct cert_rec *c, struct buf *out)
{
	const char *who = c->owner ? c->owner : c->where.artifact;

	return buf_printf(out, "%s %s", role_name(c->role), who ? who : "");
}

/* One entry per distinct certificate (fingerprint), with every place it is used. */
static void certs(const struct bundle *b, json_t *kind, int *r)
{
	for (size_t i = 0; i < b->n_certs && *r == 0; i++) {
		const struct cert_rec *c = &b->certs[i];
		struct buf use = BUF_INIT, key = BUF_INIT;
		json_t *e;

		if (cert_use(c, &use) < 0 ||
		    (!c->parsed && buf_printf(&key, "unreadable: %s", use.data) < 0)) {
			*r = -ENOMEM;
		} else if (!c->parsed) {
			add(kind, key.data, json_pack("{s:o}", "error", jstr(c->error_text)), r);
		} else if ((e = json_object_get(kind, c->facts.sha256))) {
			if (json_array_append_new(json_object_get(e, "used_by"), jstr(use.data)) <
			    0)
				*r = -ENOMEM;
		} else {
			add(kind, c->facts.sha256,
			    json_pack("{s:o,s:o,s:o,s:o,s:o,s:[o]}", "subject",
			              jstr(c->facts.subject), "issuer", jstr(c->facts.issuer),
			              "not_after", utc(c->facts.not_after), "not_before",
			              utc(c->facts.not_before), "dns", sorted(&c->facts.san_dns),
			              "used_by", jstr(use.data)),
			    r);
		}
		buf_release(&use);
		buf_release(&key);
	}
}

/* used_by in byte order without repeats: the order of the members (folder walk or
 * archive order) must not make two bundles differ. */
static void certs_sorted(const struct bundle *b, json_t *kind, int *r)
{
	const char *key;
	json_t *e;

	certs(b, kind, r);
	json_object_foreach(kind, key, e)
	{
		json_t *used = json_object_get(e, "used_by"), *u;
		struct strv v = STRV_INIT;
		size_t i;

		if (!used)
			continue;
		json_array_foreach(used, i, u) if (strv_push(&v, json_string_value(u)) < 0) *r =
		        -ENOMEM;
		if (json_object_set_new(e, "used_by", sorted(&v)) < 0)
			*r = -ENOMEM;
		strv_release(&v);
	}
}

static void instances(const struct bundle *b, json_t *kind, int *r)
{
	for (size_t i = 0; i < b->n_instances; i++) {
		const struct api_instance *in = &b->instances[i];

		add(kind, in->name,
		    json_pack("{s:o,s:o,s:o}", "host", jstr(in->host), "location",
		              jstr(in->location), "attached_environments",
		              in->attachments_known ? sorted(&in->attached_envs) : json_null()),
		    r);
	}
}

static void envgroups(const struct bundle *b, json_t *kind, int *r)
{
	for (size_t i = 0; i < b->n_envgroups; i++) {
		const struct api_envgroup *g = &b->envgroups[i];

		add(kind, g->name,
		    json_pack("{s:o,s:o}", "hostnames", sorted(&g->hostnames),
		              "attached_environments",
		              g->attachments_known ? sorted(&g->attached_envs) : json_null()),
		    r);
	}
}

static void firewalls(const struct bundle *b, json_t *kind, int *r)
{
	for (size_t i = 0; i < b->gcp.n_rules; i++) {
		const struct gcp_fw_rule *fw = &b->gcp.rules[i];

		add(kind, fw->name,
		    json_pack("{s:o,s:s,s:s,s:b,s:b,s:i,s:b,s:o,s:o,s:o}", "network",
		              jstr(fw->network), "direction", fw->ingress ? "ingress" : "egress",
		              "action",
		              fw->next    ? "goto_next"
		              : fw->allow ? "allow"
		                          : "deny",
		              "disabled", fw->disabled, "policy", fw->policy, "priority",
		              fw->priority, "tcp_443", fw->tcp443, "source_ranges",
		              sorted(&fw->source_ranges), "target_tags", sorted(&fw->target_tags),
		              "target_service_accounts", sorted(&fw->target_sas)),
		    r);
	}
}

static void lb_certs(const struct bundle *b, json_t *kind, int *r)
{
	for (size_t i = 0; i < b->gcp.n_sslcerts; i++) {
		const struct gcp_sslcert *c = &b->gcp.sslcerts[i];

		add(kind, c->name,
		    json_pack("{s:o,s:o,s:o,s:o,s:o}", "type", jstr(c->type), "managed_status",
		              jstr(c->managed_status), "domains", sorted(&c->domains), "sans",
		              sorted(&c->sans), "expire_time", jstr(c->expire_time)),
		    r);
	}
}

/* A probe is keyed by what it tried: host, address:port, SNI or none. */
static void probes(const struct bundle *b, json_t *kind, int *r)
{
	for (size_t i = 0; i < b->n_probes; i++) {
		const struct probe *p = &b->probes[i];
		struct buf key = BUF_INIT;

		if (buf_printf(&key, "%s %s:%d %s%s", p->host ? p->host : "-",
		               p->address ? p->address : "-", p->port, p->sni ? "sni=" : "no SNI",
		               p->sni ? p->sni : "") < 0) {
			*r = -ENOMEM;
			return;
		}
		add(kind, key.data,
		    json_pack("{s:s,s:o,s:o}", "outcome", probe_outcome_name(p->outcome), "alert",
		              jstr(p->alert), "leaf_sha256",
		              p->got_cert && p->leaf_sha256[0] ? json_string(p->leaf_sha256)
		                                               : json_null()),
		    r);
		buf_release(&key);
	}
}

json_t *facts_json(const struct bundle *b)
{
	static void (*const fill[])(const struct bundle *, json_t *, int *) = {
		routes,    vhosts,    secrets,  certs_sorted, instances,
		envgroups, firewalls, lb_certs, probes,
	};
	json_t *doc = json_object();
	int r = doc ? 0 : -ENOMEM;

	for (size_t i = 0; i < facts_n_kinds && r == 0; i++) {
		json_t *kind = json_object();

		if (!kind) {
			r = -ENOMEM;
			break;
		}
		fill[i](b, kind, &r);
		if (json_object_set_new(doc, facts_kinds[i], kind) < 0)
			r = -ENOMEM;
	}
	if (r < 0) {
		json_decref(doc);
		return NULL;
	}
	return doc;
}

/* ---- comparing --------------------------------------------------------------------------------- */

static json_t *sorted_keys(const json_t *a, const json_t *b)
{
	json_t *keys = json_array();
	const char *k;
	json_t *v;
	size_t n;
	const char **v2;

	json_object_foreach((json_t *)a, k, v) json_array_append_new(keys, json_string(k));
	json_object_foreach((json_t *)b, k, v) if (!json_object_get(a, k))
	        json_array_append_new(keys, json_string(k));
	n = json_array_size(keys);
	v2 = malloc((n ? n : 1) * sizeof(*v2));
	if (!v2) {
		json_decref(keys);
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		v2[i] = json_string_value(json_array_get(keys, i));
	qsort(v2, n, sizeof(*v2), cmp_str);
	v = json_array();
	for (size_t i = 0; i < n && v; i++)
		json_array_append_new(v, json_string(v2[i]));
	free(v2);
	json_decref(keys);
	return v;
}

/* The names of the members of two objects that differ. */
static json_t *changed_fields(const json_t *o, const json_t *n)
{
	json_t *keys = sorted_keys(o, n), *out = json_array();
	size_t i;
	json_t *k;

	json_array_foreach(keys, i, k)
	{
		const char *name = json_string_value(k);

		if (!json_equal(json_object_get(o, name), json_object_get(n, name)))
			json_array_append_new(out, json_string(name));
	}
	json_decref(keys);
	return out;
}

static json_t *kind_diff(const json_t *o, const json_t *n, size_t *count)
{
	json_t *keys = sorted_keys(o, n), *k;
	json_t *added = json_array(), *removed = json_array(), *changed = json_array();
	json_t *out;
	size_t i;

	json_array_foreach(keys, i, k)
	{
		const char *key = json_string_value(k);
		json_t *ov = json_object_get(o, key), *nv = json_object_get(n, key);

		if (!ov)
			json_array_append_new(added,
			                      json_pack("{s:s,s:O}", "key", key, "value", nv));
		else if (!nv)
			json_array_append_new(removed,
			                      json_pack("{s:s,s:O}", "key", key, "value", ov));
		else if (!json_equal(ov, nv))
			json_array_append_new(changed, json_pack("{s:s,s:o,s:O,s:O}", "key", key,
			                                         "fields", changed_fields(ov, nv),
			                                         "old", ov, "new", nv));
	}
	json_decref(keys);
	*count = json_array_size(added) + json_array_size(removed) + json_array_size(changed);
	out = json_pack("{s:o,s:o,s:o}", "added", added, "removed", removed, "changed", changed);
	return out;
}

json_t *facts_diff(const json_t *old_facts, const json_t *new_facts, size_t *ret_n)
{
	json_t *out = json_object();

	*ret_n = 0;
	for (size_t i = 0; i < facts_n_kinds && out; i++) {
		const json_t *o = json_object_get(old_facts, facts_kinds[i]);
		const json_t *n = json_object_get(new_facts, facts_kinds[i]);
		json_t *empty = json_object(), *d;
		size_t count = 0;

		d = kind_diff(o ? o : empty, n ? n : empty, &count);
		json_decref(empty);
		if (!d) {
			json_decref(out);
			return NULL;
		}
		if (count)
			json_object_set(out, facts_kinds[i], d);
		json_decref(d);
		*ret_n += count;
	}
	return out;
}

static json_t *drop(json_t *j)
{
	json_decref(j);
	return NULL;
}

static json_t *status_change(const struct finding *o, const struct finding *n)
{
	const struct finding *f = n ? n : o;

	return json_pack("{s:s,s:o,s:s,s:s,s:o}", "check", f->check->id, "title",
	                 jstr(f->check->title), "old", o ? status_name(o->status) : "absent", "new",
	                 n ? status_name(n->status) : "absent", "summary",
	                 jstr(f->summary ? f->summary : ""));
}

json_t *checks_diff(const struct findings *old_fs, const struct findings *new_fs, size_t *ret_same)
{
	json_t *out = json_array();

	*ret_same = 0;
	for (size_t i = 0; i < new_fs->n && out; i++) {
		const struct finding *n = &new_fs->items[i];
		const struct finding *o = findings_get(old_fs, n->check->id);

		if (o && o->status == n->status)
			(*ret_same)++;
		else if (json_array_append_new(out, status_change(o, n)) < 0)
			out = drop(out);
	}
	for (size_t i = 0; i < old_fs->n && out; i++) {
		const struct finding *o = &old_fs->items[i];

		if (!findings_get(new_fs, o->check->id) &&
		    json_array_append_new(out, status_change(o, NULL)) < 0)
			out = drop(out);
	}
	return out;
}
