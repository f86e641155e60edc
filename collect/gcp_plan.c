/* SPDX-License-Identifier: Apache-2.0 */
/* The gcloud source's plan: which certificates, backend services, instance groups
 * and templates to describe, read from the lists gcloud printed (gcp_plan.h). */
#include "gcp_plan.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "error.h"
#include "yamljson.h"
#include "banned.h"

#define GCP_PLAN_MAX_DEPTH 64

static bool safe_name(const char *s)
{
	if (!s || !*s || strlen(s) > 200 || strcmp(s, ".") == 0 || strcmp(s, "..") == 0 ||
	    s[0] == '-')
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '.' || *s == '_' || *s == '-'))
			return false;
	return true;
}

void gcp_ref_release(struct gcp_ref *r)
{
	free(r->project);
	free(r->location);
	free(r->name);
	memset(r, 0, sizeof(*r));
}

static char *seg_dup(const char *s)
{
	return strndup(s, strcspn(s, "/?#"));
}

int gcp_ref_parse(const char *url, struct gcp_ref *ret)
{
	const char *p = url ? strstr(url, "projects/") : NULL;
	const char *last;

	memset(ret, 0, sizeof(*ret));
	if (!url)
		return -EINVAL;
	last = strrchr(url, '/');
	ret->name = strdup(last ? last + 1 : url);
	if (p) {
		const char *scope;

		p += strlen("projects/");
		ret->project = seg_dup(p);
		scope = strchr(p, '/');
		if (scope && strncmp(scope, "/global/", 8) == 0)
			ret->scope = GCP_SCOPE_GLOBAL;
		else if (scope && strncmp(scope, "/regions/", 9) == 0) {
			ret->scope = GCP_SCOPE_REGION;
			ret->location = seg_dup(scope + 9);
		} else if (scope && strncmp(scope, "/zones/", 7) == 0) {
			ret->scope = GCP_SCOPE_ZONE;
			ret->location = seg_dup(scope + 7);
		}
	}
	if (!ret->name || !safe_name(ret->name) || (ret->project && !safe_name(ret->project)) ||
	    (ret->location && !safe_name(ret->location)) ||
	    (ret->scope >= GCP_SCOPE_REGION && !ret->location)) {
		gcp_ref_release(ret);
		return -EINVAL;
	}
	return 0;
}

/* The resources of a list answer: an array, {"items": [...]}, or one object. */
static json_t *load_items(const struct gcp_json *j)
{
	json_t *doc, *items;

	if (!j->data || j->len > GCP_PLAN_MAX_JSON)
		return NULL;
	doc = json_loadb(j->data, j->len, JSON_REJECT_DUPLICATES, NULL);
	if (json_is_array(doc))
		return doc;
	items = json_object_get(doc, "items");
	if (json_is_array(items)) {
		json_incref(items);
		json_decref(doc);
		return items;
	}
	if (json_is_object(doc)) {
		json_t *a = json_array();

		json_array_append_new(a, doc);
		return a;
	}
	json_decref(doc);
	return NULL;
}

static bool same_ref(const struct gcp_ref *a, const struct gcp_ref *b)
{
	return strcmp(a->name, b->name) == 0 && a->scope == b->scope &&
	       (a->location == b->location ||
	        (a->location && b->location && strcmp(a->location, b->location) == 0)) &&
	       (!a->project || !b->project || strcmp(a->project, b->project) == 0);
}

static bool has_ref(const struct gcp_plan *p, enum gcp_ref_kind k, const struct gcp_ref *r)
{
	for (size_t i = 0; i < p->n[k]; i++)
		if (same_ref(&p->refs[k][i], r))
			return true;
	return false;
}

/* Add the resource named by url to the plan (once). -ENOMEM only. */
static int add_ref(struct gcp_plan *p, enum gcp_ref_kind k, const char *url)
{
	struct gcp_ref r;

	if (!url || gcp_ref_parse(url, &r) < 0)
		return 0;
	if (has_ref(p, k, &r)) {
		gcp_ref_release(&r);
		return 0;
	}
	if (p->n[k] >= GCP_PLAN_MAX) {
		p->dropped[k]++;
		gcp_ref_release(&r);
		return 0;
	}
	if (!p->refs[k]) {
		p->refs[k] = calloc(GCP_PLAN_MAX, sizeof(struct gcp_ref));
		if (!p->refs[k]) {
			gcp_ref_release(&r);
			return -ENOMEM;
		}
	}
	p->refs[k][p->n[k]++] = r;
	return 0;
}

/* The last path segment of url equals name. */
static bool url_names(const char *url, const char *name)
{
	const char *last = url ? strrchr(url, '/') : NULL;

	return url && name && strcmp(last ? last + 1 : url, name) == 0;
}

static bool in_strv(const struct strv *v, const char *url)
{
	for (size_t i = 0; url && i < v->n; i++)
		if (strcmp(v->v[i], url) == 0)
			return true;
	return false;
}

/* Certificates and URL maps of every target HTTPS proxy. */
static int plan_proxies(struct gcp_plan *p, json_t *proxies, struct strv *url_maps)
{
	json_t *px, *c;
	size_t i, j;

	json_array_foreach(proxies, i, px)
	{
		json_array_foreach(json_object_get(px, "sslCertificates"), j,
		                   c) if (add_ref(p, GCP_REF_CERT, json_string_value(c)) <
		                          0) return -ENOMEM;
		if (json_str(px, "urlMap") &&
		    strv_push_unique(url_maps, json_str(px, "urlMap")) < 0)
			return -ENOMEM;
	}
	return 0;
}

static int push_service(struct strv *services, const json_t *v)
{
	const char *s = json_string_value(v);

	return s ? strv_push_unique(services, s) : 0;
}

/* The backend services a URL map sends to. */
static int url_map_services(const json_t *um, struct strv *services)
{
	json_t *pm, *rule;
	size_t i, j;
	int r = push_service(services, json_object_get(um, "defaultService"));

	json_array_foreach(json_object_get(um, "pathMatchers"), i, pm)
	{
		r |= push_service(services, json_object_get(pm, "defaultService"));
		json_array_foreach(json_object_get(pm, "pathRules"), j, rule) r |=
		        push_service(services, json_object_get(rule, "service"));
		json_array_foreach(json_object_get(pm, "routeRules"), j, rule) r |=
		        push_service(services, json_object_get(rule, "service"));
	}
	return r < 0 ? -ENOMEM : 0;
}

static int plan_url_maps(json_t *maps, const struct strv *used, struct strv *services)
{
	json_t *um;
	size_t i;

	json_array_foreach(maps, i, um)
	{
		const char *self = json_str(um, "selfLink"), *name = json_str(um, "name");
		bool wanted = !used->n || in_strv(used, self);

		for (size_t k = 0; !wanted && k < used->n; k++)
			wanted = url_names(used->v[k], name);
		if (wanted && url_map_services(um, services) < 0)
			return -ENOMEM;
	}
	return 0;
}

static bool service_used(const json_t *bs, const struct strv *services)
{
	if (in_strv(services, json_str(bs, "selfLink")))
		return true;
	for (size_t k = 0; k < services->n; k++)
		if (url_names(services->v[k], json_str(bs, "name")))
			return true;
	return false;
}

/* Is the network endpoint group at url a Private Service Connect one? Apigee X
 * load balancers with NEG backends use PSC; a NEG the list does not show (it
 * could not be read) is taken as one. */
static bool neg_is_psc(json_t *negs, const char *url)
{
	json_t *n;
	size_t i;

	json_array_foreach(negs, i, n)
	{
		const char *self = json_str(n, "selfLink"),
		           *type = json_str(n, "networkEndpointType");

		if ((self && strcmp(self, url) == 0) || url_names(url, json_str(n, "name")))
			return type && strcmp(type, "PRIVATE_SERVICE_CONNECT") == 0;
	}
	return true;
}

/* Backend services to ask the health of, and the instance groups behind them. */
static int plan_backends(struct gcp_plan *p, json_t *backends, json_t *negs,
                         const struct strv *services, struct strv *groups)
{
	json_t *bs, *be;
	size_t i, j;

	json_array_foreach(backends, i, bs)
	{
		if (services->n && !service_used(bs, services))
			continue;
		if (add_ref(p, GCP_REF_HEALTH,
		            json_str(bs, "selfLink") ? json_str(bs, "selfLink")
		                                     : json_str(bs, "name")) < 0)
			return -ENOMEM;
		json_array_foreach(json_object_get(bs, "backends"), j, be)
		{
			const char *g = json_str(be, "group");

			if (!g)
				continue;
			if (strstr(g, "/networkEndpointGroups/")) {
				if (neg_is_psc(negs, g))
					p->psc_negs++;
			} else if (strstr(g, "/instanceGroups/")) {
				p->mig_backends++;
				if (strv_push_unique(groups, g) < 0)
					return -ENOMEM;
			}
		}
	}
	return 0;
}

/* The MIGs behind the load balancer (all MIGs when it could not be read) and
 * their templates. */
static int plan_migs(struct gcp_plan *p, json_t *migs, const struct strv *groups)
{
	json_t *m;
	size_t i;

	json_array_foreach(migs, i, m)
	{
		const char *ig = json_str(m, "instanceGroup"),
		           *tpl = json_str(m, "instanceTemplate");
		const char *self = json_str(m, "selfLink");
		bool wanted = !p->lb_known || in_strv(groups, ig);

		for (size_t k = 0; !wanted && k < groups->n; k++)
			wanted = url_names(groups->v[k], json_str(m, "name"));
		if (!wanted)
			continue;
		if (!tpl) {
			json_t *v = json_array_get(json_object_get(m, "versions"), 0);

			tpl = json_str(v, "instanceTemplate");
		}
		if (add_ref(p, GCP_REF_MIG, self ? self : ig) < 0 ||
		    add_ref(p, GCP_REF_TEMPLATE, tpl) < 0)
			return -ENOMEM;
	}
	return 0;
}

int gcp_plan_build(const struct gcp_lists *in, struct gcp_plan *ret, struct error *err)
{
	json_t *proxies = load_items(&in->proxies), *maps = load_items(&in->url_maps);
	json_t *backends = load_items(&in->backends), *negs = load_items(&in->negs);
	json_t *migs = load_items(&in->migs);
	struct strv url_maps = STRV_INIT, services = STRV_INIT, groups = STRV_INIT;
	int r;

	memset(ret, 0, sizeof(*ret));
	ret->lb_known = proxies && maps && backends;
	r = plan_proxies(ret, proxies, &url_maps);
	if (r == 0)
		r = plan_url_maps(maps, &url_maps, &services);
	if (r == 0)
		r = plan_backends(ret, backends, negs, &services, &groups);
	if (r == 0)
		r = plan_migs(ret, migs, &groups);
	json_decref(proxies);
	json_decref(maps);
	json_decref(backends);
	json_decref(negs);
	json_decref(migs);
	strv_release(&url_maps);
	strv_release(&services);
	strv_release(&groups);
	if (r < 0)
		return error_set(err, r, NULL, 0, "out of memory");
	return 0;
}

void gcp_plan_release(struct gcp_plan *p)
{
	for (int k = 0; k < GCP_REF__MAX; k++) {
		for (size_t i = 0; i < p->n[k]; i++)
			gcp_ref_release(&p->refs[k][i]);
		free(p->refs[k]);
	}
	memset(p, 0, sizeof(*p));
}

int gcp_template_networks(const char *data, size_t len, struct strv *ret)
{
	json_t *doc = len <= GCP_PLAN_MAX_JSON ? json_loadb(data, len, 0, NULL) : NULL;
	json_t *props = json_object_get(doc, "properties"), *nic;
	size_t i;
	int r = 0;

	json_array_foreach(json_object_get(props, "networkInterfaces"), i, nic)
	{
		const char *net = json_str(nic, "network");

		if (net && strv_push_unique(ret, net) < 0)
			r = -ENOMEM;
	}
	json_decref(doc);
	return r;
}

int gcp_authorized_network(const char *data, size_t len, char **ret_project, char **ret_name,
                           bool *ret_no_peering)
{
	json_t *doc = len <= GCP_PLAN_MAX_JSON ? json_loadb(data, len, 0, NULL) : NULL;
	const char *net = json_str(doc, "authorizedNetwork");
	struct gcp_ref r;
	int rc = -ENOENT;

	*ret_project = *ret_name = NULL;
	*ret_no_peering = json_is_true(json_object_get(doc, "disableVpcPeering"));
	if (net && *net) {
		rc = gcp_ref_parse(net, &r);
		if (rc == 0) {
			*ret_project = r.project;
			*ret_name = r.name;
			r.project = r.name = NULL;
			gcp_ref_release(&r);
		}
	}
	json_decref(doc);
	return rc;
}
