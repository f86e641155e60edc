/* SPDX-License-Identifier: Apache-2.0 */
/* Google Cloud JSON by content: gcloud lists and describes, Compute REST answers
 * (plain, {"items": [...]}, aggregated {"items": {"zones/x": {"instances": [...]}}}),
 * get-effective-firewalls, get-health, and Cloud Logging entries (one object, an
 * array, `gcloud logging read --format=json`, or the REST {"entries": [...]}).
 * Field names are the camelCase ones gcloud prints. */
#include "gcp.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bundle.h"
#include "cleanup.h"
#include "ingest.h"
#include "text.h"
#include "textscan.h"
#include "yamljson.h"
#include "banned.h"

#define PTR_MAX 256

/* ---- small helpers ----------------------------------------------------------------- */

static int dup_str(char **dst, const char *s)
{
	if (!s)
		return 0;
	free(*dst);
	*dst = strdup(s);
	return *dst ? 0 : -ENOMEM;
}

static int strv_add_json(struct strv *s, const json_t *arr)
{
	size_t i;
	json_t *v;

	json_array_foreach(arr, i, v)
	{
		if (json_is_string(v) && strv_push_unique(s, json_string_value(v)) < 0)
			return -ENOMEM;
	}
	return 0;
}

static int set_loc(struct loc *l, const struct artifact *a, const char *ptr, const json_t *o,
                   const char *excerpt)
{
	_cleanup_free_ char *ex = excerpt ? text_excerpt(excerpt, strlen(excerpt), 160) : NULL;

	loc_release(l);
	return loc_set(l, a->path, o ? yamljson_line(o) : 0, ptr && *ptr ? ptr : "", ex);
}

static void mark(struct bundle *b, struct artifact *a)
{
	if (a->kind == ART_UNKNOWN || a->kind == ART_TEXT)
		a->kind = ART_GCP_JSON;
	a->kinds_seen |= 1u << ART_GCP_JSON;
	b->gcp.seen = true;
}

static bool has_prefix(const char *s, const char *p)
{
	return s && strncmp(s, p, strlen(p)) == 0;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = s ? strlen(s) : 0, m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

const char *gcp_short_name(const char *s)
{
	const char *slash = s ? strrchr(s, '/') : NULL;

	return slash ? slash + 1 : s;
}

/* a new zeroed element of a gcp_facts array (NULL: no memory, or the cap) */
static void *add_item(struct bundle *b, void **base, size_t *cap, size_t *n, size_t elem)
{
	int r = model_grow(base, cap, *n, elem);

	if (r == -ERANGE)
		b->model_capped = true;
	if (r < 0)
		return NULL;
	return (char *)*base + elem * (*n)++;
}

#define ADD(b, field)                                                                       \
	add_item((b), (void **)&(b)->gcp.field, &(b)->gcp.cap_##field, &(b)->gcp.n_##field, \
	         sizeof(*(b)->gcp.field))

/* ---- CIDR and network names --------------------------------------------------------- */

int cidr4_parse(const char *s, struct cidr4 *ret)
{
	unsigned o[4], len = 32;
	char tail[8] = "";
	int n;

	if (!s)
		return -EINVAL;
	n = sscanf(s, "%3u.%3u.%3u.%3u/%2u%7s", &o[0], &o[1], &o[2], &o[3], &len, tail);
	if ((n != 4 && n != 5) || tail[0] || len > 32)
		return -EINVAL;
	if (n == 4 && strchr(s, '/'))
		return -EINVAL;
	for (int i = 0; i < 4; i++)
		if (o[i] > 255)
			return -EINVAL;
	ret->len = len;
	ret->addr = (uint32_t)o[0] << 24 | (uint32_t)o[1] << 16 | (uint32_t)o[2] << 8 | o[3];
	if (len < 32)
		ret->addr &= len ? ~((1u << (32 - len)) - 1) : 0;
	return 0;
}

static uint32_t mask_of(unsigned len)
{
	return len >= 32 ? 0xffffffffu : len ? ~((1u << (32 - len)) - 1) : 0;
}

bool cidr4_covers(const struct cidr4 *outer, const struct cidr4 *inner)
{
	return outer->len <= inner->len && (inner->addr & mask_of(outer->len)) == outer->addr;
}

bool cidr4_overlaps(const struct cidr4 *x, const struct cidr4 *y)
{
	return cidr4_covers(x, y) || cidr4_covers(y, x);
}

void gcp_network_split(const char *s, const char **name, size_t *name_len, const char **project,
                       size_t *project_len)
{
	const char *p = s ? strstr(s, "projects/") : NULL;
	const char *n = s ? strstr(s, "/networks/") : NULL;

	/* the name follows the last "/networks/" (a project may be called "networks") */
	for (const char *m = n; m; m = strstr(m + 1, "/networks/"))
		n = m;
	if (n)
		n++;
	else if (s && strncmp(s, "networks/", 9) == 0)
		n = s;

	*project = NULL;
	*project_len = 0;
	if (p && (p == s || p[-1] == '/')) {
		const char *e = strchr(p + 9, '/');

		*project = p + 9;
		*project_len = e ? (size_t)(e - *project) : strlen(*project);
	}
	*name = n ? n + 9 : (s ? s : "");
	*name_len = strcspn(*name, "/");
}

static bool all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return n > 0;
}

bool gcp_network_same(const char *x, const char *y)
{
	const char *xn, *xp, *yn, *yp;
	size_t xnl, xpl, ynl, ypl;

	if (!x || !y)
		return false;
	gcp_network_split(x, &xn, &xnl, &xp, &xpl);
	gcp_network_split(y, &yn, &ynl, &yp, &ypl);
	if (xnl == 0 || xnl != ynl || memcmp(xn, yn, xnl) != 0)
		return false;
	/* a project number (services vpc-peerings list) cannot be compared with an ID */
	if (!xp || !yp || all_digits(xp, xpl) != all_digits(yp, ypl))
		return true;
	return xpl == ypl && memcmp(xp, yp, xpl) == 0;
}

/* ---- firewall rules ------------------------------------------------------------------ */

static bool port_spec_has_443(const json_t *ports)
{
	size_t i;
	json_t *p;

	if (!ports || json_array_size(ports) == 0)
		return true; /* no ports: every port */
	json_array_foreach(ports, i, p)
	{
		unsigned lo = 0, hi = 0;
		const char *s = json_string_value(p);
		int n = s ? sscanf(s, "%u-%u", &lo, &hi) : 0;

		if ((n == 1 && lo == 443) || (n == 2 && lo <= 443 && 443 <= hi))
			return true;
	}
	return false;
}

static bool proto_is_tcp(const char *p)
{
	return p && (strcmp(p, "tcp") == 0 || strcmp(p, "all") == 0 || strcmp(p, "6") == 0);
}

/* allowed[] / denied[] of a VPC rule, layer4Configs[] of a policy rule */
static bool l4_has_tcp443(const json_t *arr, const char *proto_key)
{
	size_t i;
	json_t *e;

	json_array_foreach(arr, i, e)
	{
		if (proto_is_tcp(json_str(e, proto_key)) &&
		    port_spec_has_443(json_object_get(e, "ports")))
			return true;
	}
	return false;
}

static int fw_common(struct gcp_fw_rule *r, const json_t *o)
{
	json_t *pri = json_object_get(o, "priority");
	const char *dir = json_str(o, "direction");

	r->priority = json_is_integer(pri) ? (int)json_integer_value(pri) : 1000;
	r->ingress = !dir || strcmp(dir, "INGRESS") == 0;
	r->disabled = json_is_true(json_object_get(o, "disabled"));
	return dup_str(&r->name, json_str(o, "name"));
}

static int fw_rule(struct bundle *b, struct artifact *a, const json_t *o, const char *ptr)
{
	struct gcp_fw_rule *r = ADD(b, rules);
	json_t *allowed = json_object_get(o, "allowed"), *denied = json_object_get(o, "denied");

	if (!r)
		return -ENOMEM;
	b->gcp.firewalls_seen = true;
	r->allow = json_is_array(allowed) && json_array_size(allowed) > 0;
	r->tcp443 = l4_has_tcp443(r->allow ? allowed : denied, "IPProtocol");
	if (fw_common(r, o) < 0 || dup_str(&r->network, json_str(o, "network")) < 0 ||
	    strv_add_json(&r->source_ranges, json_object_get(o, "sourceRanges")) < 0 ||
	    strv_add_json(&r->target_tags, json_object_get(o, "targetTags")) < 0 ||
	    strv_add_json(&r->target_sas, json_object_get(o, "targetServiceAccounts")) < 0 ||
	    set_loc(&r->where, a, ptr, o, r->name) < 0)
		return -ENOMEM;
	return 1;
}

static int policy_rule(struct bundle *b, struct artifact *a, const json_t *o, const char *ptr,
                       const char *policy)
{
	struct gcp_fw_rule *r = ADD(b, rules);
	const json_t *match = json_object_get(o, "match");
	const char *action = json_str(o, "action");
	char name[160];

	if (!r)
		return -ENOMEM;
	b->gcp.firewalls_seen = true;
	r->policy = true;
	r->allow = action && strcmp(action, "allow") == 0;
	r->next = action && strcmp(action, "goto_next") == 0;
	r->tcp443 = l4_has_tcp443(json_object_get(match, "layer4Configs"), "ipProtocol");
	if (fw_common(r, o) < 0 ||
	    strv_add_json(&r->source_ranges, json_object_get(match, "srcIpRanges")) < 0 ||
	    strv_add_json(&r->target_sas, json_object_get(o, "targetServiceAccounts")) < 0)
		return -ENOMEM;
	r->disabled = json_is_true(json_object_get(o, "disabled"));
	snprintf(name, sizeof(name), "%s priority %d", policy ? policy : "firewall policy",
	         r->priority);
	if (!r->name && dup_str(&r->name, name) < 0)
		return -ENOMEM;
	return set_loc(&r->where, a, ptr, o, name) < 0 ? -ENOMEM : 1;
}

/* networks get-effective-firewalls: {"firewalls": [...], "firewallPolicys": [...]} */
static int effective_firewalls(struct bundle *b, struct artifact *a, const json_t *o,
                               const char *ptr)
{
	json_t *arr = json_object_get(o, "firewalls"), *it;
	size_t i;
	char p[PTR_MAX];

	b->gcp.firewalls_seen = true;
	json_array_foreach(arr, i, it)
	{
		snprintf(p, sizeof(p), "%s/firewalls/%zu", ptr, i);
		if (json_is_object(it) && fw_rule(b, a, it, p) < 0)
			return -ENOMEM;
	}
	arr = json_object_get(o, "firewallPolicys");
	json_array_foreach(arr, i, it)
	{
		json_t *rules = json_object_get(it, "rules"), *ru;
		const char *pname = json_str(it, "shortName") ? json_str(it, "shortName")
		                                              : json_str(it, "name");
		size_t k;

		json_array_foreach(rules, k, ru)
		{
			snprintf(p, sizeof(p), "%s/firewallPolicys/%zu/rules/%zu", ptr, i, k);
			if (json_is_object(ru) && policy_rule(b, a, ru, p, pname) < 0)
				return -ENOMEM;
		}
	}
	return 1;
}

/* ---- instances and templates ----------------------------------------------------------- */

static const char *metadata_value(const json_t *md, const char *key)
{
	json_t *items = json_object_get(md, "items"), *it;
	size_t i;

	json_array_foreach(items, i, it)
	{
		const char *k = json_str(it, "key");

		if (k && strcmp(k, key) == 0)
			return json_str(it, "value");
	}
	return NULL;
}

/* "regions/us-central1/subnetworks/x" or "zones/us-central1-b" -> "us-central1" */
static int region_of(char **dst, const char *subnet, const char *zone)
{
	const char *r = subnet ? strstr(subnet, "regions/") : NULL;
	char buf[64];

	if (r) {
		snprintf(buf, sizeof(buf), "%.*s", (int)strcspn(r + 8, "/"), r + 8);
		return dup_str(dst, buf);
	}
	zone = gcp_short_name(zone);
	if (zone && strlen(zone) > 2 && zone[strlen(zone) - 2] == '-') {
		snprintf(buf, sizeof(buf), "%.*s", (int)strlen(zone) - 2, zone);
		return dup_str(dst, buf);
	}
	return 0;
}

/* props: an instance, or the "properties" of a template */
static int vm(struct bundle *b, struct artifact *a, const json_t *o, const json_t *props,
              const char *ptr, bool is_template)
{
	struct gcp_vm *v = ADD(b, vms);
	const json_t *md = json_object_get(props, "metadata");
	json_t *nics = json_object_get(props, "networkInterfaces"), *nic;
	json_t *sas = json_object_get(props, "serviceAccounts"), *sa;
	size_t i;
	char p[PTR_MAX];

	if (!v)
		return -ENOMEM;
	v->is_template = is_template;
	if (dup_str(&v->name, json_str(o, "name")) < 0 ||
	    dup_str(&v->endpoint, metadata_value(md, "ENDPOINT")) < 0 ||
	    dup_str(&v->template_of, metadata_value(md, "instance-template")) < 0 ||
	    strv_add_json(&v->tags, json_object_get(json_object_get(props, "tags"), "items")) < 0)
		return -ENOMEM;
	json_array_foreach(nics, i, nic)
	{
		if (json_str(nic, "network") &&
		    strv_push_unique(&v->networks, json_str(nic, "network")) < 0)
			return -ENOMEM;
		if (i == 0 &&
		    (dup_str(&v->ip, json_str(nic, "networkIP")) < 0 ||
		     region_of(&v->region, json_str(nic, "subnetwork"), json_str(o, "zone")) < 0))
			return -ENOMEM;
	}
	if (!v->region && region_of(&v->region, NULL, json_str(o, "zone")) < 0)
		return -ENOMEM;
	json_array_foreach(sas, i, sa)
	{
		if (json_str(sa, "email") && strv_push_unique(&v->sas, json_str(sa, "email")) < 0)
			return -ENOMEM;
	}
	if (set_loc(&v->where, a, ptr, o, v->name) < 0)
		return -ENOMEM;
	if (v->endpoint) {
		char ex[160];
		json_t *items = json_object_get(md, "items"), *it;

		json_array_foreach(items, i, it)
		{
			if (json_str(it, "key") && strcmp(json_str(it, "key"), "ENDPOINT") == 0)
				break;
		}
		snprintf(p, sizeof(p), "%s%s/metadata/items/%zu", ptr,
		         is_template ? "/properties" : "", i);
		snprintf(ex, sizeof(ex), "ENDPOINT=%s", v->endpoint);
		if (set_loc(&v->endpoint_where, a, p, NULL, ex) < 0)
			return -ENOMEM;
	}
	return 1;
}

/* ---- networks and peerings --------------------------------------------------------------- */

static int network(struct bundle *b, struct artifact *a, const json_t *o, const char *ptr)
{
	const char *self = json_str(o, "selfLink") ? json_str(o, "selfLink") : json_str(o, "name");
	json_t *arr = json_object_get(o, "peerings"), *it;
	size_t i;
	char p[PTR_MAX];

	b->gcp.networks_seen = true;
	if (self && strv_push_unique(&b->gcp.networks, self) < 0)
		return -ENOMEM;
	json_array_foreach(arr, i, it)
	{
		struct gcp_peering *pe = ADD(b, peerings);
		char ex[256];

		if (!pe)
			return -ENOMEM;
		snprintf(p, sizeof(p), "%s/peerings/%zu", ptr, i);
		snprintf(ex, sizeof(ex), "%s -> %s (%s)",
		         json_str(it, "name") ? json_str(it, "name") : "?",
		         json_str(it, "network") ? json_str(it, "network") : "?",
		         json_str(it, "state") ? json_str(it, "state") : "state unknown");
		if (dup_str(&pe->network, self) < 0 ||
		    dup_str(&pe->name, json_str(it, "name")) < 0 ||
		    dup_str(&pe->peer, json_str(it, "network")) < 0 ||
		    dup_str(&pe->state, json_str(it, "state")) < 0 ||
		    set_loc(&pe->where, a, p, it, ex) < 0)
			return -ENOMEM;
	}
	return 1;
}

/* gcloud services vpc-peerings list: {"network": "projects/NUM/global/networks/N",
 * "peering": "servicenetworking-googleapis-com", "service": "services/...", ...} */
static int vpc_peering(struct bundle *b, struct artifact *a, const json_t *o, const char *ptr)
{
	struct gcp_peering *pe = ADD(b, peerings);
	char ex[256];

	if (!pe)
		return -ENOMEM;
	b->gcp.networks_seen = true;
	snprintf(ex, sizeof(ex), "%s peered by %s", json_str(o, "network"), json_str(o, "peering"));
	if (dup_str(&pe->network, json_str(o, "network")) < 0 ||
	    dup_str(&pe->name, json_str(o, "peering")) < 0 ||
	    dup_str(&pe->peer, json_str(o, "service")) < 0 ||
	    set_loc(&pe->where, a, ptr, o, ex) < 0)
		return -ENOMEM;
	return 1;
}

/* ---- certificates and proxies -------------------------------------------------------------- */

static int sslcert(struct bundle *b, struct artifact *a, const json_t *o, const char *ptr)
{
	struct gcp_sslcert *c = ADD(b, sslcerts);
	const json_t *m = json_object_get(o, "managed");
	json_t *ds = json_object_get(m, "domainStatus"), *v;
	const char *k, *pem = json_str(o, "certificate");
	char p[PTR_MAX];

	if (!c)
		return -ENOMEM;
	b->gcp.sslcerts_seen = true;
	if (dup_str(&c->name, json_str(o, "name")) < 0 ||
	    dup_str(&c->type, json_str(o, "type")) < 0 ||
	    dup_str(&c->managed_status, json_str(m, "status")) < 0 ||
	    dup_str(&c->expire_time, json_str(o, "expireTime")) < 0 ||
	    strv_add_json(&c->domains, json_object_get(m, "domains")) < 0 ||
	    strv_add_json(&c->sans, json_object_get(o, "subjectAlternativeNames")) < 0 ||
	    set_loc(&c->where, a, ptr, o, c->name) < 0)
		return -ENOMEM;
	json_object_foreach(ds, k, v)
	{
		char kv[256];

		snprintf(kv, sizeof(kv), "%s=%s", k,
		         json_is_string(v) ? json_string_value(v) : "?");
		if (strv_push(&c->domain_status, kv) < 0)
			return -ENOMEM;
	}
	if (c->expire_time)
		(void)text_parse_time(c->expire_time, strlen(c->expire_time), &c->expire);
	/* a certificate withheld by pseudonymization is not a broken one: judge the
	 * expireTime and subjectAlternativeNames gcloud prints next to it */
	if (pem && *pem && !has_prefix(pem, "<redacted:")) {
		int r;

		snprintf(p, sizeof(p), "%s/certificate", ptr);
		r = ingest_cert_value(b, a, pem, strlen(pem), CERT_ROLE_LB, c->name ? c->name : "?",
		                      "certificate", p, yamljson_line(o));
		if (r < 0)
			return r;
		c->has_pem = true;
	}
	return 1;
}

static int proxy(struct bundle *b, struct artifact *a, const json_t *o, const char *ptr)
{
	struct gcp_proxy *x = ADD(b, proxies);
	json_t *arr = json_object_get(o, "sslCertificates"), *it;
	size_t i;

	if (!x)
		return -ENOMEM;
	if (dup_str(&x->name, json_str(o, "name")) < 0 ||
	    dup_str(&x->url_map, gcp_short_name(json_str(o, "urlMap"))) < 0 ||
	    dup_str(&x->certificate_map, gcp_short_name(json_str(o, "certificateMap"))) < 0 ||
	    set_loc(&x->where, a, ptr, o, json_str(o, "name")) < 0)
		return -ENOMEM;
	json_array_foreach(arr, i, it)
	{
		if (json_is_string(it) &&
		    strv_push_unique(&x->certs, gcp_short_name(json_string_value(it))) < 0)
			return -ENOMEM;
	}
	return 1;
}

/* ---- backends and health -------------------------------------------------------------------- */

static int backend(struct bundle *b, struct artifact *a, const json_t *o, const char *ptr,
                   const char *what)
{
	struct gcp_backend *x = ADD(b, backends);
	const char *type = json_str(o, "networkEndpointType");

	if (!x)
		return -ENOMEM;
	x->psc = (type && strcmp(type, "PRIVATE_SERVICE_CONNECT") == 0) ||
	         json_str(o, "pscTargetService") != NULL;
	if (dup_str(&x->name, json_str(o, "name")) < 0 || dup_str(&x->kind, what) < 0 ||
	    dup_str(&x->template_, json_str(o, "instanceTemplate")) < 0 ||
	    dup_str(&x->base_name, json_str(o, "baseInstanceName")) < 0 ||
	    set_loc(&x->where, a, ptr, o, json_str(o, "name")) < 0)
		return -ENOMEM;
	return 1;
}

/* healthStatus[] of a backendServiceGroupHealth; group is the backend it is about */
static int health(struct bundle *b, struct artifact *a, const json_t *o, const char *ptr,
                  const char *group)
{
	json_t *arr = json_object_get(o, "healthStatus"), *it;
	size_t i;
	char p[PTR_MAX];

	b->gcp.health_seen = true;
	json_array_foreach(arr, i, it)
	{
		struct gcp_health *h = ADD(b, health);
		const char *target = json_str(it, "instance") ? json_str(it, "instance")
		                                              : json_str(it, "ipAddress");
		char ex[256];

		if (!h)
			return -ENOMEM;
		snprintf(p, sizeof(p), "%s/healthStatus/%zu", ptr, i);
		snprintf(ex, sizeof(ex), "%s %s %s", gcp_short_name(target ? target : "?"),
		         json_str(it, "ipAddress") ? json_str(it, "ipAddress") : "",
		         json_str(it, "healthState") ? json_str(it, "healthState")
		                                     : "state unknown");
		if (dup_str(&h->backend, group) < 0 || dup_str(&h->target, target) < 0 ||
		    dup_str(&h->state, json_str(it, "healthState")) < 0 ||
		    set_loc(&h->where, a, p, it, ex) < 0)
			return -ENOMEM;
	}
	return 1;
}

/* ---- Cloud Logging entries ----------------------------------------------------------------- */

static bool is_log_entry(const json_t *o)
{
	if (!json_is_object(o))
		return false;
	if (!json_object_get(o, "jsonPayload") && !json_object_get(o, "httpRequest") &&
	    !json_object_get(o, "protoPayload") && !json_object_get(o, "textPayload"))
		return false;
	return json_object_get(o, "logName") || json_object_get(o, "resource") ||
	       json_object_get(o, "insertId") || json_object_get(o, "timestamp");
}

static void add_sample(struct loc *v, size_t *n, const struct artifact *a, const char *ptr,
                       const json_t *o, const char *ex)
{
	if (*n < MODEL_MAX_SAMPLES && set_loc(&v[*n], a, ptr, o, ex) == 0)
		(*n)++;
}

static const char *deny_policy(const json_t *jp)
{
	/* previewSecurityPolicy is what a rule in preview mode would have done: not enforced */
	static const char *const keys[] = { "enforcedSecurityPolicy",
		                            "enforcedEdgeSecurityPolicy" };

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const json_t *p = json_object_get(jp, keys[i]);
		const char *out = json_str(p, "outcome");

		if (out && strcmp(out, "DENY") == 0)
			return json_str(p, "name") ? json_str(p, "name") : "(unnamed policy)";
	}
	return NULL;
}

static int http_status(const json_t *req)
{
	json_t *s = json_object_get(req, "status");

	if (json_is_integer(s))
		return (int)json_integer_value(s);
	if (json_is_string(s)) {
		long v = strtol(json_string_value(s), NULL, 10);

		return v > 0 && v < 1000 ? (int)v : 0;
	}
	return 0;
}

/* ", HTTP 403", or nothing when the entry has no status */
static const char *status_text(int status, char buf[16])
{
	if (status <= 0)
		return "";
	snprintf(buf, 16, ", HTTP %d", status);
	return buf;
}

static int armor_deny(struct bundle *b, struct artifact *a, const json_t *o, const char *ptr,
                      const char *policy, int status)
{
	struct gcp_log_stats *l = &b->gcp.logs;
	char ex[256], fp[512], http[16];

	l->armor_deny++;
	if (status == 403)
		l->deny_403++;
	else if (status == 404)
		l->deny_404++;
	else if (status == 502)
		l->deny_502++;
	else
		l->deny_other++;
	if (policy && strv_push_unique(&l->policies, policy) < 0)
		return -ENOMEM;
	snprintf(ex, sizeof(ex), "%s DENY%s%s%s", policy ? policy : "security policy",
	         status_text(status, http), json_str(o, "timestamp") ? " at " : "",
	         json_str(o, "timestamp") ? json_str(o, "timestamp") : "");
	snprintf(fp, sizeof(fp), "%s/jsonPayload", ptr ? ptr : "");
	add_sample(l->deny_samples, &l->n_deny_samples, a, fp, o, ex);
	return 0;
}

static int point_at(struct loc *l, const char *ptr)
{
	if (l->pointer || !ptr || !*ptr)
		return 0;
	l->pointer = strdup(ptr);
	return l->pointer ? 0 : -ENOMEM;
}

/* A container's log line exported from Cloud Logging (resource.type k8s_container:
 * the ingress gateway's access log, the watcher's log) goes to the text scanners as
 * `kubectl logs --prefix` would have printed it, so the same checks read it; the
 * samples it gives point at the entry. */
static int container_entry(struct bundle *b, struct artifact *a, const json_t *o, const char *ptr,
                           struct textscan **ts)
{
	const json_t *res = json_object_get(o, "resource");
	const json_t *labels = json_object_get(res, "labels");
	const char *type = json_str(res, "type"), *text = json_str(o, "textPayload");
	const json_t *jp = json_object_get(o, "jsonPayload");
	_cleanup_free_ char *dump = NULL;
	struct buf line = BUF_INIT;
	size_t before = b->access.n_samples, before_w = b->watcher.n_missing, prefix;
	int r = 0;

	if (!type || strcmp(type, "k8s_container") != 0)
		return 0;
	if (!text && json_is_object(jp))
		text = dump = json_dumps(jp, JSON_COMPACT);
	if (!text)
		return 0;
	if (!*ts && (r = textscan_begin(b, a->path, ts)) < 0)
		return r;
	if (buf_printf(&line, "[pod/%s/%s] ",
	               json_str(labels, "pod_name") ? json_str(labels, "pod_name") : "?",
	               json_str(labels, "container_name") ? json_str(labels, "container_name")
	                                                  : "?") < 0)
		return -ENOMEM;
	prefix = line.len;
	for (const char *p = text; *p && r >= 0;) {
		size_t n = strcspn(p, "\n");

		line.len = prefix;
		if (buf_append(&line, p, n) < 0)
			r = -ENOMEM;
		else
			r = textscan_line(*ts, line.data, line.len, yamljson_line(o));
		p += n + (p[n] == '\n');
	}
	buf_release(&line);
	for (size_t i = before; r >= 0 && i < b->access.n_samples; i++)
		r = point_at(&b->access.samples[i], ptr);
	for (size_t i = before_w; r >= 0 && i < b->watcher.n_missing; i++)
		r = point_at(&b->watcher.missing[i].first, ptr);
	return r;
}

/* "health check from 35.191.0.1 to 10.0.0.2:443 (HTTPS): UNHEALTHY (TIMEOUT): Error:
 * Timeout waiting for connect": probeResultText without its empty "HTTP response: , " */
static void hc_excerpt(const json_t *hc, char *ex, size_t size)
{
	const char *text = json_str(hc, "probeResultText"), *detail;
	const char *src = json_str(hc, "probeSourceIp"),
	           *proto = json_str(hc, "healthCheckProtocol");
	json_t *port = json_object_get(hc, "targetPort");
	char at[32] = "";

	if (text && strncmp(text, "HTTP response: , ", 17) == 0)
		text += 17;
	detail = json_str(hc, "detailedHealthState");
	if (json_is_integer(port))
		snprintf(at, sizeof(at), ":%lld", (long long)json_integer_value(port));
	snprintf(ex, size, "health check %s%s%s %s%s%s%s%s: UNHEALTHY%s%s%s%s%s",
	         src ? "from " : "", src ? src : "", src ? " to" : "of",
	         json_str(hc, "targetIp") ? json_str(hc, "targetIp") : "?", at, proto ? " (" : "",
	         proto ? proto : "", proto ? ")" : "", detail ? " (" : "", detail ? detail : "",
	         detail ? ")" : "", text && *text ? ": " : "", text ? text : "");
}

static int log_entry(struct bundle *b, struct artifact *a, const json_t *o, const char *ptr,
                     struct textscan **scan)
{
	struct gcp_log_stats *l = &b->gcp.logs;
	const json_t *jp = json_object_get(o, "jsonPayload"),
	             *req = json_object_get(o, "httpRequest");
	const json_t *hc = json_object_get(jp, "healthCheckProbeResult");
	const char *details = json_str(jp, "statusDetails"), *policy = deny_policy(jp);
	const char *ts = json_str(o, "timestamp");
	int status = http_status(req);
	bool deny;

	l->entries++;
	if (ts) {
		int64_t t;

		if (text_parse_time(ts, strlen(ts), &t) == 0)
			bundle_note_time(b, t);
	}
	deny = policy || (details && has_prefix(details, "denied_by_security_policy"));
	if (req ||
	    (json_str(jp, "@type") && strstr(json_str(jp, "@type"), "LoadBalancerLogEntry"))) {
		l->lb_requests++;
		l->lb_admitted += !deny;
	}
	if (deny && armor_deny(b, a, o, ptr, policy, status) < 0)
		return -ENOMEM;
	if (details && strcmp(details, "failed_to_pick_backend") == 0) {
		char ex[256], http[16], fp[512];

		l->no_backend++;

		snprintf(ex, sizeof(ex), "statusDetails failed_to_pick_backend%s%s%s",
		         status_text(status, http), ts ? " at " : "", ts ? ts : "");
		snprintf(fp, sizeof(fp), "%s/jsonPayload/statusDetails", ptr ? ptr : "");
		add_sample(l->nb_samples, &l->n_nb_samples, a, fp, o, ex);
	}
	if (hc) {
		const char *st = json_str(hc, "healthState");

		l->hc_probes++;
		if (st && strcmp(st, "UNHEALTHY") == 0) {
			char ex[256];

			l->hc_unhealthy++;
			hc_excerpt(hc, ex, sizeof(ex));
			add_sample(l->hc_samples, &l->n_hc_samples, a, ptr, o, ex);
		}
	}
	return container_entry(b, a, o, ptr, scan) < 0 ? -ENOMEM : 1;
}

/* ---- dispatch ------------------------------------------------------------------------------ */

static int gcp_object(struct bundle *b, struct artifact *a, const json_t *o, const char *ptr);

/* a gcloud get-health list element: {"backend": URL, "status": {"healthStatus": [...]}} */
static bool is_health_wrapper(const json_t *o)
{
	return json_str(o, "backend") && json_is_object(json_object_get(o, "status")) &&
	       (json_object_get(json_object_get(o, "status"), "healthStatus") ||
	        json_object_get(json_object_get(o, "status"), "kind"));
}

static int kind_object(struct bundle *b, struct artifact *a, const json_t *o, const char *ptr,
                       const char *kind)
{
	const char *k = kind + 8; /* after "compute#" */

	if (strcmp(k, "firewall") == 0)
		return fw_rule(b, a, o, ptr);
	if (strcmp(k, "instanceTemplate") == 0)
		return vm(b, a, o, json_object_get(o, "properties"), ptr, true);
	if (strcmp(k, "instance") == 0)
		return vm(b, a, o, o, ptr, false);
	if (strcmp(k, "network") == 0)
		return network(b, a, o, ptr);
	if (strcmp(k, "sslCertificate") == 0)
		return sslcert(b, a, o, ptr);
	if (strcmp(k, "targetHttpsProxy") == 0)
		return proxy(b, a, o, ptr);
	if (strcmp(k, "instanceGroupManager") == 0)
		return backend(b, a, o, ptr, "managed instance group");
	if (strcmp(k, "networkEndpointGroup") == 0)
		return backend(b, a, o, ptr, "network endpoint group");
	if (strcmp(k, "backendService") == 0)
		return backend(b, a, o, ptr, "backend service");
	if (strcmp(k, "backendServiceGroupHealth") == 0)
		return health(b, a, o, ptr, NULL);
	return 1; /* another compute resource: recognised, no facts needed */
}

/* objects gcloud prints without "kind" (some describe formats, hand-made exports) */
static int shape_object(struct bundle *b, struct artifact *a, const json_t *o, const char *ptr)
{
	const json_t *props = json_object_get(o, "properties");

	if (json_object_get(o, "sourceRanges") || json_object_get(o, "allowed") ||
	    json_object_get(o, "denied"))
		return json_object_get(o, "direction") || json_object_get(o, "network")
		               ? fw_rule(b, a, o, ptr)
		               : 0;
	if (json_is_object(props) &&
	    (json_object_get(props, "networkInterfaces") || json_object_get(props, "machineType")))
		return vm(b, a, o, props, ptr, true);
	if (json_object_get(o, "networkInterfaces") && json_object_get(o, "machineType"))
		return vm(b, a, o, o, ptr, false);
	if (json_is_array(json_object_get(o, "peerings")))
		return network(b, a, o, ptr);
	if (json_str(o, "peering") && json_str(o, "network") && json_str(o, "service"))
		return vpc_peering(b, a, o, ptr);
	if ((json_is_object(json_object_get(o, "managed")) || json_str(o, "certificate")) &&
	    (json_str(o, "type") || json_str(o, "expireTime") || json_object_get(o, "selfManaged")))
		return sslcert(b, a, o, ptr);
	if (json_is_array(json_object_get(o, "sslCertificates")) && json_str(o, "urlMap"))
		return proxy(b, a, o, ptr);
	if (json_str(o, "networkEndpointType"))
		return backend(b, a, o, ptr, "network endpoint group");
	if (json_is_array(json_object_get(o, "healthStatus")))
		return health(b, a, o, ptr, NULL);
	if (is_health_wrapper(o)) {
		char p[PTR_MAX];

		snprintf(p, sizeof(p), "%s/status", ptr);
		return health(b, a, json_object_get(o, "status"), p, json_str(o, "backend"));
	}
	return 0;
}

/* a key as a JSON pointer token: "~" is "~0", "/" is "~1" */
static void json_pointer_escape(const char *key, char *out, size_t size)
{
	size_t o = 0;

	for (; *key && o + 3 < size; key++) {
		if (*key == '~' || *key == '/') {
			out[o++] = '~';
			out[o++] = *key == '~' ? '0' : '1';
		} else {
			out[o++] = *key;
		}
	}
	out[o] = '\0';
}

/* items of a list: an array, or the aggregated form {scope: {plural: [...]}} */
static int items(struct bundle *b, struct artifact *a, const json_t *it, const char *ptr)
{
	char p[PTR_MAX];
	json_t *v;
	int any = 0;

	if (json_is_array(it)) {
		size_t i;

		json_array_foreach(it, i, v)
		{
			int r;

			snprintf(p, sizeof(p), "%s/%zu", ptr, i);
			r = gcp_object(b, a, v, p);
			if (r < 0)
				return r;
			any |= r;
		}
		return any;
	}
	if (json_is_object(it)) {
		const char *scope;

		json_object_foreach((json_t *)it, scope, v)
		{
			const char *k;
			json_t *arr;

			json_object_foreach(v, k, arr)
			{
				int r;

				if (!json_is_array(arr))
					continue;
				char esc[128];

				json_pointer_escape(scope, esc, sizeof(esc));
				snprintf(p, sizeof(p), "%s/%s/%s", ptr, esc, k);
				r = items(b, a, arr, p);
				if (r < 0)
					return r;
				any |= r;
			}
		}
	}
	return any;
}

static int end_scan(struct textscan *ts, int r)
{
	if (!ts)
		return r < 0 ? r : 1;
	if (r < 0) {
		textscan_free(ts);
		return r;
	}
	r = textscan_end(ts, NULL);
	return r < 0 ? r : 1;
}

static int entries(struct bundle *b, struct artifact *a, const json_t *arr, const char *ptr)
{
	json_t *v;
	size_t i;
	char p[PTR_MAX];

	struct textscan *ts = NULL;
	int r = 0;

	json_array_foreach(arr, i, v)
	{
		snprintf(p, sizeof(p), "%s/%zu", ptr, i);
		if (is_log_entry(v) && (r = log_entry(b, a, v, p, &ts)) < 0)
			break;
	}
	return end_scan(ts, r);
}

static int gcp_object(struct bundle *b, struct artifact *a, const json_t *o, const char *ptr)
{
	const char *kind = json_str(o, "kind");
	char p[PTR_MAX];

	if (!json_is_object(o))
		return 0;
	if (is_log_entry(o)) {
		struct textscan *ts = NULL;

		return end_scan(ts, log_entry(b, a, o, ptr, &ts));
	}
	if (json_is_array(json_object_get(o, "entries")) &&
	    is_log_entry(json_array_get(json_object_get(o, "entries"), 0))) {
		snprintf(p, sizeof(p), "%s/entries", ptr);
		return entries(b, a, json_object_get(o, "entries"), p);
	}
	if (json_is_array(json_object_get(o, "firewalls")) ||
	    json_is_array(json_object_get(o, "firewallPolicys")))
		return effective_firewalls(b, a, o, ptr);
	if (json_object_get(o, "items") &&
	    ((kind && has_prefix(kind, "compute#") && (ends_with(kind, "List"))) ||
	     (json_str(o, "id") && strstr(json_str(o, "id"), "projects/")) ||
	     (json_str(o, "selfLink") && strstr(json_str(o, "selfLink"), "/compute/")) ||
	     has_prefix(json_str(json_array_get(json_object_get(o, "items"), 0), "kind"),
	                "compute#"))) {
		snprintf(p, sizeof(p), "%s/items", ptr);
		return items(b, a, json_object_get(o, "items"), p) >= 0 ? 1 : -ENOMEM;
	}
	if (kind && has_prefix(kind, "compute#"))
		return kind_object(b, a, o, ptr, kind);
	return shape_object(b, a, o, ptr);
}

int ingest_gcp_value(struct bundle *b, struct artifact *a, const json_t *v, const char *ptr)
{
	int r;

	if (json_is_array(v)) {
		const json_t *first = json_array_get(v, 0);

		if (!json_is_object(first))
			return 0;
		if (is_log_entry(first))
			r = entries(b, a, v, ptr);
		else
			r = items(b, a, v, ptr);
	} else {
		r = gcp_object(b, a, v, ptr);
	}
	if (r > 0)
		mark(b, a);
	return r;
}

/* ---- release --------------------------------------------------------------------------------- */

static void release_samples(struct loc *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		loc_release(&v[i]);
}

void gcp_facts_release(struct gcp_facts *g)
{
	for (size_t i = 0; i < g->n_rules; i++) {
		struct gcp_fw_rule *r = &g->rules[i];

		free(r->name);
		free(r->network);
		strv_release(&r->source_ranges);
		strv_release(&r->target_tags);
		strv_release(&r->target_sas);
		loc_release(&r->where);
	}
	free(g->rules);
	for (size_t i = 0; i < g->n_vms; i++) {
		struct gcp_vm *v = &g->vms[i];

		free(v->name);
		free(v->endpoint);
		free(v->ip);
		free(v->region);
		free(v->template_of);
		strv_release(&v->tags);
		strv_release(&v->networks);
		strv_release(&v->sas);
		loc_release(&v->where);
		loc_release(&v->endpoint_where);
	}
	free(g->vms);
	strv_release(&g->networks);
	for (size_t i = 0; i < g->n_peerings; i++) {
		free(g->peerings[i].network);
		free(g->peerings[i].name);
		free(g->peerings[i].peer);
		free(g->peerings[i].state);
		loc_release(&g->peerings[i].where);
	}
	free(g->peerings);
	for (size_t i = 0; i < g->n_sslcerts; i++) {
		struct gcp_sslcert *c = &g->sslcerts[i];

		free(c->name);
		free(c->type);
		free(c->managed_status);
		free(c->expire_time);
		strv_release(&c->domains);
		strv_release(&c->domain_status);
		strv_release(&c->sans);
		loc_release(&c->where);
	}
	free(g->sslcerts);
	for (size_t i = 0; i < g->n_proxies; i++) {
		free(g->proxies[i].name);
		free(g->proxies[i].url_map);
		free(g->proxies[i].certificate_map);
		strv_release(&g->proxies[i].certs);
		loc_release(&g->proxies[i].where);
	}
	free(g->proxies);
	for (size_t i = 0; i < g->n_health; i++) {
		free(g->health[i].backend);
		free(g->health[i].target);
		free(g->health[i].state);
		loc_release(&g->health[i].where);
	}
	free(g->health);
	for (size_t i = 0; i < g->n_backends; i++) {
		free(g->backends[i].name);
		free(g->backends[i].kind);
		free(g->backends[i].template_);
		free(g->backends[i].base_name);
		loc_release(&g->backends[i].where);
	}
	free(g->backends);
	strv_release(&g->logs.policies);
	release_samples(g->logs.deny_samples, g->logs.n_deny_samples);
	release_samples(g->logs.nb_samples, g->logs.n_nb_samples);
	release_samples(g->logs.hc_samples, g->logs.n_hc_samples);
	memset(g, 0, sizeof(*g));
}
