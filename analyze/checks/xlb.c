/* SPDX-License-Identifier: Apache-2.0 */
/* Family XLB: external clients cannot reach Apigee through the Google Cloud load
 * balancer (seed playbook 002).
 *
 * Scope of this version (decided with the lead; checks.md lists them all):
 *   - XLB-009 (environment not attached to an instance) is judged from the
 *     management API answers: the organization's environments (or, without the
 *     organization, the environments attached to env groups) against each
 *     instance's attachments;
 *   - XLB-004 fails from a client transcript that shows HTTP 502 with the Google
 *     "Server Error ... try again in 30 seconds" page; load balancer logs and
 *     backend health are not read yet;
 *   - the other checks need gcloud JSON that the model does not hold yet: they are
 *     honest skips naming the input and the command, and say when gcloud JSON is
 *     present but not read. */
#include "checks.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdbool.h>
#include <string.h>

#include "bundle.h"
#include "cleanup.h"
#include "findings.h"
#include "gcp.h"
#include "model.h"
#include "text.h"
#include "common.h"
#include "banned.h"

#define HINT_PROJECT " (or: apigee-bundle collect --project PROJECT_ID)"
#define DEFAULT_PROXY_TAG "gke-apigee-proxy"
#define NA_HYBRID "not applicable: hybrid organization"
#define NA_HYBRID_HINT                                                                           \
	"nothing: the XLB checks are about the Apigee X load balancer; a hybrid organization's " \
	"ingress is judged by the SNI and TLS checks"
#define NA_PSC "not applicable: PSC backend"
#define NA_PSC_HINT                                                                            \
	"nothing: the load balancer reaches Apigee through a Private Service Connect network " \
	"endpoint group, not through apigee-proxy VMs"

/* ---- shared facts ------------------------------------------------------------------------ */

/* Hybrid: the organization says so, or the input is a hybrid cluster's (overrides,
 * routes) with no Apigee X instance and no Google Cloud load balancer facts. */
static bool is_hybrid(const struct bundle *b)
{
	if (b->org.seen && b->org.runtime_type)
		return strcmp(b->org.runtime_type, "HYBRID") == 0;
	/* a client transcript answered by the Google front end means a Google load
	 * balancer is in the path: then the XLB checks do apply */
	for (size_t i = 0; i < b->n_curls; i++)
		if (b->curls[i].via_google || b->curls[i].gfe_error_page)
			return false;
	return !b->gcp.seen && b->n_instances == 0 && (b->overrides_seen || b->n_routes > 0);
}

/* Evidence at a field of the organization document: "/environments" under the
 * pointer of the organization object (the document root, or an item of a list). */
static void org_evidence(struct finding *f, const struct bundle *b, const char *field,
                         const char *excerpt)
{
	char ptr[256];

	if (!b->org.where.artifact)
		return;
	snprintf(ptr, sizeof(ptr), "%s/%s", b->org.where.pointer ? b->org.where.pointer : "",
	         field);
	finding_evidence_at(f, b->org.where.artifact, b->org.where.line, ptr,
	                    excerpt ? excerpt : b->org.where.excerpt);
}

static bool has_psc(const struct bundle *b)
{
	for (size_t i = 0; i < b->gcp.n_backends; i++)
		if (b->gcp.backends[i].psc)
			return true;
	return false;
}

/* an apigee-proxy VM or template: it carries the ENDPOINT metadata, or it was made
 * from a template that does */
static bool is_proxy_vm(const struct bundle *b, const struct gcp_vm *v)
{
	if (v->endpoint)
		return true;
	if (!v->template_of)
		return false;
	for (size_t i = 0; i < b->gcp.n_vms; i++) {
		const struct gcp_vm *t = &b->gcp.vms[i];

		if (t->is_template && t->endpoint && t->name &&
		    strcmp(gcp_short_name(v->template_of), t->name) == 0)
			return true;
	}
	return false;
}

static size_t count_proxy_vms(const struct bundle *b)
{
	size_t n = 0;

	for (size_t i = 0; i < b->gcp.n_vms; i++)
		n += is_proxy_vm(b, &b->gcp.vms[i]);
	return n;
}

/* Skips shared by XLB-001..008: hybrid, PSC, then the plain missing input. */
static bool skip_not_applicable(const struct bundle *b, struct finding *f, bool psc_too)
{
	if (is_hybrid(b)) {
		finding_set(f, STATUS_SKIP, "%s", NA_HYBRID);
		finding_skip(f, NA_HYBRID, NA_HYBRID_HINT);
		return true;
	}
	if (psc_too && has_psc(b) && count_proxy_vms(b) == 0) {
		finding_set(f, STATUS_SKIP,
		            "%s: the load balancer's backend is a Private Service Connect network "
		            "endpoint group, there are no apigee-proxy VMs",
		            NA_PSC);
		for (size_t i = 0; i < b->gcp.n_backends; i++)
			if (b->gcp.backends[i].psc)
				finding_evidence(f, &b->gcp.backends[i].where, NULL);
		finding_skip(f, NA_PSC, NA_PSC_HINT);
		return true;
	}
	return false;
}

static void skip_missing(struct finding *f, const char *missing)
{
	finding_set(f, STATUS_SKIP, "needs %s", missing);
	finding_skip(f, missing, f->check ? f->check->collect_hint : NULL);
}

/* ---- XLB-001 ------------------------------------------------------------------------------ */

static const struct cert_rec *lb_leaf(const struct bundle *b, const char *name)
{
	for (size_t i = 0; i < b->n_certs; i++) {
		const struct cert_rec *c = &b->certs[i];

		if (c->role == CERT_ROLE_LB && c->chain_index == 0 && c->owner &&
		    strcmp(c->owner, name) == 0)
			return c;
	}
	return NULL;
}

/* the certificates the load balancer uses: those its HTTPS proxies name, else all */
/* Served by some target HTTPS proxy: listed in its sslCertificates, unless the proxy
 * uses a Certificate Manager map ("If set, sslCertificates will be ignored"). */
static bool lb_cert_in_use(const struct bundle *b, const struct gcp_sslcert *c)
{
	if (b->gcp.n_proxies == 0)
		return true;
	for (size_t i = 0; i < b->gcp.n_proxies; i++)
		if (c->name && !b->gcp.proxies[i].certificate_map &&
		    strv_contains(&b->gcp.proxies[i].certs, c->name))
			return true;
	return false;
}

struct x1 {
	size_t judged, bad, warn;
	unsigned domain_notes; /* bit per x1_domain_why row already noted */
	struct strv names;     /* names the judged certificates cover (SAN / managed domains) */
	const struct cert_rec *leaves[64];
	size_t n_leaves;
};

static void x1_expiry(const struct bundle *b, struct finding *f, struct x1 *t, const char *name,
                      int64_t not_before, int64_t not_after, const struct loc *where)
{
	char when[40], ex[256];

	text_format_time(not_after, when, sizeof(when));
	if (not_after && b->collected_at > not_after) {
		t->bad++;
		snprintf(ex, sizeof(ex), "certificate %s expired %s (before collection time)", name,
		         when);
		finding_evidence(f, where, ex);
	} else if (not_before && b->collected_at < not_before) {
		t->bad++;
		snprintf(ex, sizeof(ex), "certificate %s is not valid yet at collection time",
		         name);
		finding_evidence(f, where, ex);
	} else if (not_after && not_after - b->collected_at < 30 * 86400) {
		t->warn++;
		snprintf(ex, sizeof(ex), "certificate %s expires %s, within 30 days of collection",
		         name, when);
		finding_evidence(f, where, ex);
	}
}

/* What a managed certificate's failed domain status asks of the customer. */
static void x1_domain_why(struct finding *f, struct x1 *t, const struct gcp_sslcert *c)
{
	static const struct {
		const char *state;
		const char *why;
	} rows[] = {
		{ "=FAILED_NOT_VISIBLE",
		  "FAILED_NOT_VISIBLE: the domain's DNS A/AAAA record does not resolve to the load "
		  "balancer's forwarding-rule IP (or the proxy does not serve 443 yet); point the "
		  "record there, provisioning then retries by itself" },
		{ "=FAILED_CAA_",
		  "FAILED_CAA_CHECKING/FAILED_CAA_FORBIDDEN: the domain's CAA records do not allow "
		  "pki.goog (or letsencrypt.org) to issue; add a CAA record for them" },
		{ "=FAILED_RATE_LIMITED",
		  "FAILED_RATE_LIMITED: the certificate authority's rate limit was hit; wait, or "
		  "ask Google Cloud support" },
	};

	for (size_t i = 0; i < c->domain_status.n; i++)
		for (size_t k = 0; k < sizeof(rows) / sizeof(rows[0]); k++)
			if (strstr(c->domain_status.v[i], rows[k].state) &&
			    !(t->domain_notes & (1u << k))) {
				t->domain_notes |= 1u << k;
				finding_note(f, "%s", rows[k].why);
			}
}

static int x1_managed(struct finding *f, struct x1 *t, const struct gcp_sslcert *c)
{
	_cleanup_free_ char *ds = strv_join(&c->domain_status, ", ");
	char ex[512];

	x1_domain_why(f, t, c);
	if (strcmp(c->managed_status, "ACTIVE") != 0) {
		t->bad++;
		snprintf(ex, sizeof(ex), "managed certificate %s is %s%s%s",
		         c->name ? c->name : "?", c->managed_status, ds && *ds ? ": " : "",
		         ds ? ds : "");
		finding_evidence(f, &c->where, ex);
		return 0;
	}
	for (size_t i = 0; i < c->domain_status.n; i++)
		if (!strstr(c->domain_status.v[i], "=ACTIVE")) {
			t->warn++;
			snprintf(ex, sizeof(ex), "managed certificate %s is ACTIVE but %s",
			         c->name ? c->name : "?", c->domain_status.v[i]);
			finding_evidence(f, &c->where, ex);
		}
	for (size_t i = 0; i < c->domains.n; i++)
		if (strv_push_unique(&t->names, c->domains.v[i]) < 0)
			return -ENOMEM;
	return 0;
}

static int x1_cert(const struct bundle *b, struct finding *f, struct x1 *t,
                   const struct gcp_sslcert *c)
{
	const struct cert_rec *leaf = c->has_pem && c->name ? lb_leaf(b, c->name) : NULL;
	const char *name = c->name ? c->name : "?";

	t->judged++;
	if (c->managed_status)
		return x1_managed(f, t, c);
	if (leaf && !leaf->parsed) {
		char ex[256];

		t->bad++;
		snprintf(ex, sizeof(ex), "certificate %s does not parse: %s", name,
		         leaf->error_text ? leaf->error_text : "?");
		finding_evidence(f, &leaf->where, ex);
		return 0;
	}
	if (leaf) {
		if (t->n_leaves < ELEMENTSOF(t->leaves))
			t->leaves[t->n_leaves++] = leaf;
		x1_expiry(b, f, t, name, leaf->facts.not_before, leaf->facts.not_after,
		          &leaf->where);
		return 0;
	}
	x1_expiry(b, f, t, name, 0, c->expire, &c->where);
	for (size_t i = 0; i < c->sans.n; i++)
		if (strv_push_unique(&t->names, c->sans.v[i]) < 0)
			return -ENOMEM;
	return 0;
}

static bool x1_covered(const struct x1 *t, const char *host)
{
	struct cert_facts names = { 0 };

	for (size_t i = 0; i < t->n_leaves; i++)
		if (cert_covers_host(&t->leaves[i]->facts, host, NULL))
			return true;
	names.san_dns = t->names; /* borrowed: only read */
	return t->names.n && cert_covers_host(&names, host, NULL);
}

static int x1_hosts(const struct bundle *b, struct finding *f, struct x1 *t, size_t *ret_hosts)
{
	size_t hosts = 0;

	for (size_t g = 0; g < b->n_envgroups; g++) {
		const struct api_envgroup *eg = &b->envgroups[g];

		for (size_t i = 0; i < eg->hostnames.n; i++) {
			char ex[512];

			hosts++;
			if (x1_covered(t, eg->hostnames.v[i]))
				continue;
			t->bad++;
			snprintf(ex, sizeof(ex),
			         "env group %s host name %s is covered by none of the load "
			         "balancer's "
			         "certificates",
			         eg->name, eg->hostnames.v[i]);
			finding_evidence(f, &eg->where, ex);
		}
	}
	*ret_hosts = hosts;
	return 0;
}

static int xlb_001(const struct bundle *b, const struct findings *prior, struct finding *f)
{
	struct x1 t = { 0 };
	size_t hosts = 0;
	int r = 0;

	(void)prior;
	if (skip_not_applicable(b, f, false))
		return 0;
	for (size_t i = 0; r == 0 && i < b->gcp.n_sslcerts; i++)
		if (lb_cert_in_use(b, &b->gcp.sslcerts[i]))
			r = x1_cert(b, f, &t, &b->gcp.sslcerts[i]);
	if (r == 0 && t.judged)
		r = x1_hosts(b, f, &t, &hosts);
	if (r < 0)
		goto out;
	if (t.judged == 0)
		skip_missing(f, "the load balancer's certificates (gcloud compute ssl-certificates "
		                "list/describe, target-https-proxies list)");
	else if (t.bad)
		finding_set(f, STATUS_FAIL,
		            "%zu problem(s) with the %zu load balancer certificate(s) in use%s",
		            t.bad, t.judged,
		            hosts ? " (validity at collection time, coverage of the env group host "
		                    "names)"
		                  : "");
	else if (t.warn)
		finding_set(f, STATUS_WARN,
		            "%zu load balancer certificate(s) need attention soon (see evidence)",
		            t.warn);
	else
		finding_set(f, STATUS_PASS,
		            "%zu load balancer certificate(s) valid at collection time%s", t.judged,
		            hosts ? " and covering every env group host name" : "");
	if (t.judged && !hosts)
		finding_note(f, "no env group host names in the input: host name coverage was not "
		                "judged (add the envgroups API answer)");
	for (size_t i = 0; i < b->gcp.n_proxies; i++)
		if (b->gcp.proxies[i].certificate_map)
			finding_note(
			        f,
			        "target HTTPS proxy %s uses Certificate Manager map %s, which "
			        "takes precedence over its sslCertificates (they are not served "
			        "and "
			        "not judged); the map's certificates are not in the input (gcloud "
			        "certificate-manager maps entries list)",
			        b->gcp.proxies[i].name ? b->gcp.proxies[i].name : "?",
			        b->gcp.proxies[i].certificate_map);
out:
	strv_release(&t.names);
	return r;
}

/* ---- XLB-002 ------------------------------------------------------------------------------ */

/* Compare what a handshake for host got (leaf fingerprint sha) with the load balancer
 * certificate that covers the name, else any: with no match the load balancer serves
 * its first certificate. 0 = nothing to compare with, 1 = same, 2 = differs. */
static int x2_compare(const struct bundle *b, struct finding *f, const char *host, const char *sha,
                      const struct loc *where, const char *how)
{
	bool same = false, cand = false;
	char ex[512];

	for (int pass = 0; pass < 2 && !cand; pass++)
		for (size_t k = 0; k < b->n_certs; k++) {
			const struct cert_rec *c = &b->certs[k];

			if (c->role != CERT_ROLE_LB || !c->parsed || c->chain_index != 0 ||
			    (pass == 0 && !cert_covers_host(&c->facts, host, NULL)))
				continue;
			cand = true;
			same |= strcmp(c->facts.sha256, sha) == 0;
		}
	if (!cand)
		return 0;
	if (same)
		return 1;
	snprintf(ex, sizeof(ex),
	         "%s%s served SHA-256 %.16s..., not a configured load balancer "
	         "certificate",
	         host, how, sha);
	finding_evidence(f, where, ex);
	return 2;
}

/* A leaf a client transcript showed for host (curl -v "start date"/"expire date",
 * OpenSSL 3 s_client "v:NotBefore/NotAfter"), against the load balancer certificate
 * that covers the name, else any: a certificate with other validity dates is another
 * certificate (seed 002 compares the two by hand). 0 = nothing to compare, 1 = same
 * dates, 2 = differs. */
static int x2_compare_dates(const struct bundle *b, struct finding *f, const char *tool,
                            const char *host, int64_t nb, int64_t na, const struct loc *where,
                            unsigned dates_line)
{
	const struct cert_rec *cand = NULL;
	char ex[600], snb[32], sna[32], cnb[32], cna[32];

	if (!host || !nb || !na)
		return 0;
	for (int pass = 0; pass < 2 && !cand; pass++)
		for (size_t k = 0; k < b->n_certs; k++) {
			const struct cert_rec *c = &b->certs[k];

			if (c->role != CERT_ROLE_LB || !c->parsed || c->chain_index != 0 ||
			    (pass == 0 && !cert_covers_host(&c->facts, host, NULL)))
				continue;
			if (!cand || (c->facts.not_before == nb && c->facts.not_after == na))
				cand = c;
		}
	if (!cand)
		return 0;
	if (cand->facts.not_before == nb && cand->facts.not_after == na)
		return 1;
	text_format_time(nb, snb, sizeof(snb));
	text_format_time(na, sna, sizeof(sna));
	text_format_time(cand->facts.not_before, cnb, sizeof(cnb));
	text_format_time(cand->facts.not_after, cna, sizeof(cna));
	snprintf(ex, sizeof(ex),
	         "%s for %s got a certificate valid %s .. %s; the configured %s is valid %s .. %s",
	         tool, host, snb, sna, cand->owner ? cand->owner : "certificate", cnb, cna);
	if (dates_line && where->artifact)
		finding_evidence_at(f, where->artifact, dates_line, NULL, ex);
	else
		finding_evidence(f, where, ex);
	return 2;
}

static int xlb_002(const struct bundle *b, const struct findings *prior, struct finding *f)
{
	size_t compared = 0, differ = 0, lb = 0;

	(void)prior;
	if (skip_not_applicable(b, f, false))
		return 0;
	for (size_t i = 0; i < b->n_certs; i++)
		lb += b->certs[i].role == CERT_ROLE_LB && b->certs[i].parsed &&
		      b->certs[i].chain_index == 0;
	for (size_t i = 0; lb && i < b->n_probes; i++) {
		const struct probe *p = &b->probes[i];
		int v;

		if (!p->sni || !p->got_cert || !p->leaf_sha256[0])
			continue;
		v = x2_compare(b, f, p->sni, p->leaf_sha256, &p->where, "");
		compared += v > 0;
		differ += v == 2;
	}
	for (size_t i = 0; lb && i < b->n_sclients; i++) {
		const struct sclient_trace *s = &b->sclients[i];
		int v = s->noservername || !s->host[0]
		                ? 0
		                : x2_compare_dates(b, f, "openssl s_client", s->host,
		                                   s->leaf_not_before_t, s->leaf_not_after_t,
		                                   &s->where, s->leaf_dates_line);

		compared += v > 0;
		differ += v == 2;
	}
	for (size_t i = 0; lb && i < b->n_curls; i++) {
		const struct curl_trace *c = &b->curls[i];
		int v = c->ip_literal ? 0
		                      : x2_compare_dates(b, f, "curl", c->host,
		                                         c->leaf_not_before_t, c->leaf_not_after_t,
		                                         &c->where, c->leaf_dates_line);

		compared += v > 0;
		differ += v == 2;
	}
	if (differ)
		finding_set(f, STATUS_FAIL,
		            "%zu of %zu probed host name(s) got a certificate other than the load "
		            "balancer's configured one",
		            differ, compared);
	else if (compared)
		finding_set(f, STATUS_PASS,
		            "%zu probed host name(s) got the configured load balancer certificate",
		            compared);
	else if (!lb && b->gcp.n_sslcerts)
		skip_missing(f,
		             "the PEM of the load balancer certificate (ssl-certificates "
		             "describe; a managed certificate has one once ACTIVE) and a TLS probe "
		             "of its host names");
	else
		skip_missing(f, "a TLS probe of the load balancer host names and the "
		                "ssl-certificates JSON");
	return 0;
}

/* ---- XLB-003 ------------------------------------------------------------------------------ */

static int xlb_003(const struct bundle *b, const struct findings *prior, struct finding *f)
{
	const struct gcp_log_stats *l = &b->gcp.logs;

	(void)prior;
	if (skip_not_applicable(b, f, false))
		return 0;
	if (l->armor_deny) {
		_cleanup_free_ char *pol = strv_join(&l->policies, ", ");

		struct buf codes = BUF_INIT;
		const struct {
			const char *name;
			uint64_t n;
		} by[] = { { "403", l->deny_403 },
			   { "404", l->deny_404 },
			   { "502", l->deny_502 },
			   { "other", l->deny_other } };

		for (size_t i = 0; i < ELEMENTSOF(by); i++)
			if (by[i].n)
				buf_printf(&codes, "%s%s x%llu", codes.data ? ", " : "", by[i].name,
				           (unsigned long long)by[i].n);
		finding_set(f, STATUS_FAIL,
		            "%llu load balancer request(s) denied by Cloud Armor (policy %s); "
		            "status codes returned: %s",
		            (unsigned long long)l->armor_deny, pol && *pol ? pol : "unnamed",
		            codes.data ? codes.data : "not logged");
		buf_release(&codes);
		for (size_t i = 0; i < l->n_deny_samples; i++)
			finding_evidence(f, &l->deny_samples[i], NULL);
		return 0;
	}
	if (l->lb_requests) {
		finding_set(
		        f, STATUS_PASS,
		        "%llu load balancer request log entr%s, none denied by a security policy",
		        (unsigned long long)l->lb_requests, l->lb_requests == 1 ? "y" : "ies");
		return 0;
	}
	for (size_t i = 0; i < b->n_curls; i++)
		if (b->curls[i].symptoms & CURL_SYM_HTTP403_404) {
			finding_note(f,
			             "a client transcript shows HTTP %d (CURL-006); only the load "
			             "balancer log can tell whether Cloud Armor denied it",
			             b->curls[i].http_status);
			break;
		}
	skip_missing(f, "load balancer request log entries (jsonPayload.enforcedSecurityPolicy) "
	                "as JSON");
	return 0;
}

/* ---- XLB-004 ------------------------------------------------------------------------------ */

static size_t x4_curl(const struct bundle *b, struct finding *f, const struct curl_trace **first)
{
	size_t n = 0;

	for (size_t i = 0; i < b->n_curls; i++) {
		const struct curl_trace *t = &b->curls[i];

		if (!(t->symptoms & CURL_SYM_HTTP502) || !t->gfe_error_page)
			continue;
		n++;
		if (!*first)
			*first = t;
		finding_evidence(f, &t->where, NULL);
	}
	return n;
}

static size_t x4_health(const struct bundle *b, struct finding *f, size_t *ret_healthy)
{
	size_t bad = 0, good = 0;

	for (size_t i = 0; i < b->gcp.n_health; i++) {
		const struct gcp_health *h = &b->gcp.health[i];

		if (h->state && strcmp(h->state, "HEALTHY") == 0) {
			good++;
			continue;
		}
		bad++;
		finding_evidence(f, &h->where, NULL);
	}
	*ret_healthy = good;
	return bad;
}

static int xlb_004(const struct bundle *b, const struct findings *prior, struct finding *f)
{
	const struct gcp_log_stats *l = &b->gcp.logs;
	const struct curl_trace *first = NULL;
	size_t healthy = 0, unhealthy, pages;
	struct buf why = BUF_INIT;

	(void)prior;
	if (skip_not_applicable(b, f, false))
		return 0;
	unhealthy = x4_health(b, f, &healthy);
	for (size_t i = 0; i < l->n_nb_samples; i++)
		finding_evidence(f, &l->nb_samples[i], NULL);
	for (size_t i = 0; i < l->n_hc_samples; i++)
		finding_evidence(f, &l->hc_samples[i], NULL);
	pages = x4_curl(b, f, &first);
	if (unhealthy)
		buf_printf(&why, "%s%zu backend member(s) not HEALTHY", why.len ? "; " : "",
		           unhealthy);
	if (l->no_backend)
		buf_printf(&why, "%s%llu log entr%s with statusDetails failed_to_pick_backend",
		           why.len ? "; " : "", (unsigned long long)l->no_backend,
		           l->no_backend == 1 ? "y" : "ies");
	if (l->hc_unhealthy)
		buf_printf(&why, "%s%llu health-check probe result(s) UNHEALTHY",
		           why.len ? "; " : "", (unsigned long long)l->hc_unhealthy);
	if (pages)
		buf_printf(&why,
		           "%s%zu client transcript(s) with the Google front end's 502 "
		           "\"Server Error\" page",
		           why.len ? "; " : "", pages);
	if (why.len)
		finding_set(f, STATUS_FAIL, "the load balancer finds no healthy backend: %s",
		            why.data);
	else if (healthy && l->lb_admitted)
		finding_set(f, STATUS_PASS,
		            "%zu backend member(s) HEALTHY, %llu load balancer request log entr%s "
		            "(not denied by a security policy) without failed_to_pick_backend",
		            healthy, (unsigned long long)l->lb_admitted,
		            l->lb_admitted == 1 ? "y" : "ies");
	else if (healthy)
		finding_set(f, STATUS_PASS, "%zu backend member(s) HEALTHY", healthy);
	else if (l->lb_admitted)
		finding_set(f, STATUS_PASS,
		            "%llu load balancer request log entr%s (not denied by a security "
		            "policy) without failed_to_pick_backend",
		            (unsigned long long)l->lb_admitted, l->lb_admitted == 1 ? "y" : "ies");
	else if (l->lb_requests)
		skip_missing(f,
		             "backend health JSON (backend-services get-health) or load balancer "
		             "log entries of requests that reached backend selection (every "
		             "logged request was denied by Cloud Armor first)");
	else
		skip_missing(f, "load balancer log entries (statusDetails failed_to_pick_backend), "
		                "backend health JSON (backend-services get-health), or a curl -v "
		                "transcript of the failing call");
	if (why.len && has_psc(b))
		finding_note(f,
		             "the backend is a Private Service Connect network endpoint group: "
		             "check the PSC endpoint and the Apigee instance's service attachment");
	else if (why.len)
		finding_note(f, "see XLB-005 (health-check firewall), XLB-006 (ENDPOINT) and "
		                "XLB-008 (network) for the usual causes");
	buf_release(&why);
	return 0;
}

/* ---- XLB-005 ------------------------------------------------------------------------------ */

struct x5_target {
	const char *name;
	const struct strv *tags;
	const struct strv *sas;
	const struct strv *networks;
	const struct loc *where;
};

static bool any_common(const struct strv *x, const struct strv *y)
{
	for (size_t i = 0; x && y && i < x->n; i++)
		if (strv_contains(y, x->v[i]))
			return true;
	return false;
}

static bool rule_targets(const struct gcp_fw_rule *r, const struct x5_target *t)
{
	bool net = !r->network || !t->networks || t->networks->n == 0;

	for (size_t i = 0; !net && i < t->networks->n; i++)
		net = gcp_network_same(r->network, t->networks->v[i]);
	if (!net)
		return false;
	if (r->target_tags.n)
		return any_common(&r->target_tags, t->tags);
	if (r->target_sas.n)
		return any_common(&r->target_sas, t->sas);
	return true;
}

/* allow rules must cover the whole range, deny rules only touch it */
static bool rule_source(const struct gcp_fw_rule *r, const struct cidr4 *range, bool whole)
{
	for (size_t i = 0; i < r->source_ranges.n; i++) {
		struct cidr4 c;

		if (cidr4_parse(r->source_ranges.v[i], &c) < 0)
			continue;
		if (whole ? cidr4_covers(&c, range) : cidr4_overlaps(&c, range))
			return true;
	}
	return false;
}

static bool rule_decides(const struct gcp_fw_rule *r, const struct x5_target *t,
                         const struct cidr4 *range)
{
	if (r->disabled || !r->ingress || !r->tcp443 || !rule_targets(r, t))
		return false;
	return rule_source(r, range, r->allow || r->next);
}

/* The rule that decides whether health checks from range reach t on tcp:443:
 * firewall policy rules first (a matching goto_next hands over to the VPC rules),
 * then VPC rules, each by priority (a deny wins a tie). NULL: nothing admits them
 * (the implied deny). */
static const struct gcp_fw_rule *x5_decider(const struct bundle *b, const struct x5_target *t,
                                            const struct cidr4 *range)
{
	const struct gcp_fw_rule *best = NULL;

	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < b->gcp.n_rules; i++) {
			const struct gcp_fw_rule *r = &b->gcp.rules[i];

			if (r->policy != (pass == 0) || !rule_decides(r, t, range))
				continue;
			if (!best || r->priority < best->priority ||
			    (r->priority == best->priority && !r->allow))
				best = r;
		}
		if (best && !best->next)
			return best;
		best = NULL;
	}
	return NULL;
}

static const char *const hc_ranges[] = { "130.211.0.0/22", "35.191.0.0/16" };

static size_t x5_target_check(const struct bundle *b, struct finding *f, const struct x5_target *t,
                              struct strv *allowing)
{
	size_t bad = 0;

	for (size_t k = 0; k < ELEMENTSOF(hc_ranges); k++) {
		struct cidr4 range;
		const struct gcp_fw_rule *r;
		char ex[512];

		(void)cidr4_parse(hc_ranges[k], &range);
		r = x5_decider(b, t, &range);
		if (r && r->allow) {
			bool seen = strv_contains(allowing, r->name ? r->name : "?");

			if (!seen && strv_push(allowing, r->name ? r->name : "?") == 0 &&
			    allowing->n <= 4)
				finding_evidence(f, &r->where, NULL);
			continue;
		}
		bad++;
		if (r)
			snprintf(ex, sizeof(ex), "%s: %s tcp:443 is denied by %s (priority %d)",
			         t->name, hc_ranges[k], r->name ? r->name : "?", r->priority);
		else
			snprintf(ex, sizeof(ex),
			         "%s: no enabled ingress allow rule admits %s on tcp:443 to it",
			         t->name, hc_ranges[k]);
		finding_evidence(f, r ? &r->where : t->where, ex);
	}
	return bad;
}

/* allow rules for the health-check ranges that target something else: the usual mistake
 * (the playbook: a MIG tagged other than gke-apigee-proxy needs its tag in the rule) */
static void x5_near_misses(const struct bundle *b, struct finding *f, const char *vm_tags)
{
	bool noted = false;

	for (size_t i = 0; i < b->gcp.n_rules; i++) {
		const struct gcp_fw_rule *r = &b->gcp.rules[i];
		_cleanup_free_ char *tags = NULL;
		struct cidr4 range;
		char ex[512];

		(void)cidr4_parse(hc_ranges[0], &range);
		if (!r->allow || r->policy || !r->ingress || !rule_source(r, &range, true) ||
		    !r->target_tags.n)
			continue;
		tags = strv_join(&r->target_tags, ", ");
		snprintf(ex, sizeof(ex),
		         "rule %s (network %s%s) admits the health-check ranges for target tag(s) "
		         "%s",
		         r->name ? r->name : "?", r->network ? gcp_short_name(r->network) : "?",
		         r->disabled ? ", disabled" : "", tags ? tags : "?");
		finding_evidence(f, &r->where, ex);
		if (noted || r->disabled || !vm_tags)
			continue;
		noted = true;
		finding_note(
		        f,
		        "rule %s admits the health checks only for target tag(s) %s, which the "
		        "apigee-proxy instances do not carry (theirs: %s): add one of their "
		        "tags to the rule's target tags, or add %s to the instance template's "
		        "network tags and roll the managed instance group",
		        r->name ? r->name : "?", tags ? tags : "?", *vm_tags ? vm_tags : "none",
		        r->target_tags.v[0]);
	}
}

static int xlb_005(const struct bundle *b, const struct findings *prior, struct finding *f)
{
	static const char *const default_tag[] = { DEFAULT_PROXY_TAG };
	const struct strv def = { (char **)default_tag, 1, 0 };
	struct strv allowing = STRV_INIT;
	size_t targets = 0, bad = 0;
	char *bad_tags = NULL; /* the tags of the first instance / template not admitted */

	(void)prior;
	if (skip_not_applicable(b, f, true))
		return 0;
	if (!b->gcp.firewalls_seen) {
		skip_missing(f, "the firewall rules JSON (gcloud compute firewall-rules list, or "
		                "networks get-effective-firewalls)");
		return 0;
	}
	for (size_t i = 0; i < b->gcp.n_vms; i++) {
		const struct gcp_vm *v = &b->gcp.vms[i];
		struct x5_target t = { v->name ? v->name : "?", &v->tags, &v->sas, &v->networks,
			               &v->where };
		size_t n;
		char label[256];
		_cleanup_free_ char *tl = NULL;

		if (!is_proxy_vm(b, v))
			continue;
		tl = strv_join(&v->tags, ", ");
		snprintf(label, sizeof(label), "%s %s (tags: %s)",
		         v->is_template ? "template" : "instance", t.name, tl && *tl ? tl : "none");
		t.name = label;
		targets++;
		n = x5_target_check(b, f, &t, &allowing);
		bad += n;
		if (n && !bad_tags)
			bad_tags = strdup(tl ? tl : "");
	}
	if (targets == 0) {
		struct x5_target t = { "instances tagged " DEFAULT_PROXY_TAG, &def, NULL, NULL,
			               NULL };

		bad = x5_target_check(b, f, &t, &allowing);
		finding_note(f, "no apigee-proxy instance or template is in the input: judged for "
		                "the default network tag " DEFAULT_PROXY_TAG);
	}
	if (bad) {
		x5_near_misses(b, f, bad_tags);
		finding_set(f, STATUS_FAIL,
		            "load balancer health checks (130.211.0.0/22, 35.191.0.0/16, tcp:443) "
		            "cannot reach the apigee-proxy instances: %zu range/target pair(s) not "
		            "admitted",
		            bad);
	} else {
		_cleanup_free_ char *list = strv_join(&allowing, ", ");

		finding_set(f, STATUS_PASS,
		            "health checks from 130.211.0.0/22 and 35.191.0.0/16 reach the "
		            "apigee-proxy instances on tcp:443 (rule %s)",
		            list ? list : "?");
	}
	free(bad_tags);
	strv_release(&allowing);
	return 0;
}

/* ---- XLB-006 ------------------------------------------------------------------------------ */

static bool x6_matches(const struct bundle *b, const struct gcp_vm *v, bool *ret_regional,
                       const char **ret_host)
{
	bool regional = false;

	for (size_t i = 0; v->region && i < b->n_instances; i++)
		regional |= b->instances[i].location &&
		            strcmp(b->instances[i].location, v->region) == 0;
	*ret_regional = regional;
	for (size_t i = 0; i < b->n_instances; i++) {
		const struct api_instance *in = &b->instances[i];

		if (!in->host ||
		    (regional && (!in->location || strcmp(in->location, v->region) != 0)))
			continue;
		if (!*ret_host)
			*ret_host = in->host;
		if (strcmp(in->host, v->endpoint) == 0)
			return true;
	}
	return false;
}

static int xlb_006(const struct bundle *b, const struct findings *prior, struct finding *f)
{
	size_t judged = 0, bad = 0, hosts = 0;

	(void)prior;
	if (skip_not_applicable(b, f, true))
		return 0;
	for (size_t i = 0; i < b->n_instances; i++)
		hosts += b->instances[i].host != NULL;
	for (size_t i = 0; hosts && i < b->gcp.n_vms; i++) {
		const struct gcp_vm *v = &b->gcp.vms[i];
		const char *host = NULL;
		bool regional;
		char ex[512];

		if (!v->endpoint)
			continue;
		judged++;
		if (x6_matches(b, v, &regional, &host)) {
			finding_evidence(f, &v->endpoint_where, NULL);
			continue;
		}
		bad++;
		snprintf(ex, sizeof(ex),
		         "%s %s has ENDPOINT %s but the Apigee instance%s%s%s host is %s",
		         v->is_template ? "template" : "instance", v->name ? v->name : "?",
		         v->endpoint, regional ? " in " : "", regional ? v->region : "",
		         regional ? "" : "'s", host ? host : "?");
		finding_evidence(f, &v->endpoint_where, ex);
	}
	if (bad)
		finding_set(
		        f, STATUS_FAIL,
		        "%zu apigee-proxy template/instance(s) point at an ENDPOINT that is not "
		        "the Apigee instance's host",
		        bad);
	else if (judged)
		finding_set(
		        f, STATUS_PASS,
		        "%zu apigee-proxy template/instance(s) have ENDPOINT equal to the Apigee "
		        "instance's host",
		        judged);
	else if (!hosts)
		skip_missing(f, "the Apigee instances (host) from the management API");
	else
		skip_missing(f, "the apigee-proxy instance template JSON (metadata ENDPOINT)");
	return 0;
}

/* ---- XLB-007 ------------------------------------------------------------------------------ */

static bool is_sn_peering(const struct gcp_peering *p)
{
	return (p->name && strcmp(p->name, "servicenetworking-googleapis-com") == 0) ||
	       (p->peer && strstr(p->peer, "/networks/servicenetworking"));
}

static int xlb_007(const struct bundle *b, const struct findings *prior, struct finding *f)
{
	const char *an = b->org.authorized_network;
	size_t sn = 0, on_auth = 0, inactive = 0;
	bool auth_described = false;

	(void)prior;
	if (skip_not_applicable(b, f, false))
		return 0;
	if (!an) {
		skip_missing(f, "the organization's authorizedNetwork (Apigee API)");
		return 0;
	}
	for (size_t i = 0; i < b->gcp.networks.n; i++)
		auth_described |= gcp_network_same(b->gcp.networks.v[i], an);
	for (size_t i = 0; i < b->gcp.n_peerings; i++) {
		const struct gcp_peering *p = &b->gcp.peerings[i];
		char ex[512];

		if (!is_sn_peering(p))
			continue;
		sn++;
		if (gcp_network_same(p->network, an)) {
			on_auth++;
			if (p->state && strcmp(p->state, "ACTIVE") != 0)
				inactive++;
			finding_evidence(f, &p->where, NULL);
			continue;
		}
		snprintf(ex, sizeof(ex), "servicenetworking is peered with %s, not with %s",
		         p->network ? p->network : "?", an);
		finding_evidence(f, &p->where, ex);
	}
	if (sn && !on_auth) {
		finding_set(f, STATUS_FAIL,
		            "the network peered with servicenetworking is not the organization's "
		            "authorizedNetwork %s",
		            an);
		org_evidence(f, b, "authorizedNetwork", an);
	} else if (on_auth && inactive) {
		finding_set(f, STATUS_WARN,
		            "authorizedNetwork %s is peered with servicenetworking but the peering "
		            "is not ACTIVE",
		            an);
	} else if (on_auth) {
		finding_set(f, STATUS_PASS,
		            "authorizedNetwork %s is peered with servicenetworking (ACTIVE)", an);
	} else if (auth_described) {
		finding_set(f, STATUS_FAIL,
		            "authorizedNetwork %s has no servicenetworking-googleapis-com peering",
		            an);
		org_evidence(f, b, "authorizedNetwork", an);
	} else {
		skip_missing(
		        f,
		        "the authorized network's peerings (gcloud compute networks describe "
		        "NETWORK or networks peerings list; for Shared VPC in the host project)");
	}
	return 0;
}

/* ---- XLB-008 ------------------------------------------------------------------------------ */

static int xlb_008(const struct bundle *b, const struct findings *prior, struct finding *f)
{
	const char *an = b->org.authorized_network;
	size_t judged = 0, bad = 0;

	(void)prior;
	if (skip_not_applicable(b, f, true))
		return 0;
	for (size_t i = 0; an && i < b->gcp.n_vms; i++) {
		const struct gcp_vm *v = &b->gcp.vms[i];

		if (!is_proxy_vm(b, v) || !v->networks.n)
			continue;
		judged++;
		for (size_t k = 0; k < v->networks.n; k++) {
			char ex[512];

			if (gcp_network_same(v->networks.v[k], an))
				continue;
			bad++;
			snprintf(ex, sizeof(ex), "%s %s is on %s, authorizedNetwork is %s",
			         v->is_template ? "template" : "instance", v->name ? v->name : "?",
			         v->networks.v[k], an);
			finding_evidence(f, &v->where, ex);
		}
	}
	if (bad) {
		finding_set(f, STATUS_FAIL,
		            "%zu apigee-proxy network interface(s) are not on authorizedNetwork %s",
		            bad, an);
		org_evidence(f, b, "authorizedNetwork", an);
	} else if (judged) {
		finding_set(f, STATUS_PASS,
		            "%zu apigee-proxy template/instance(s) are on authorizedNetwork %s",
		            judged, an);
	} else if (!an) {
		skip_missing(f, "the organization's authorizedNetwork (Apigee API)");
	} else {
		skip_missing(f, "the apigee-proxy instance or template JSON "
		                "(networkInterfaces[].network)");
	}
	return 0;
}

/* ---- XLB-009 ---------------------------------------------------------------------------- */

/* The environments every instance must serve: the organization's list, or the
 * environments attached to env groups when the organization was not collected. */
static int wanted_envs(const struct bundle *b, struct strv *envs, const char **ret_from)
{
	if (b->org.seen && b->org.environments.n) {
		*ret_from = "the organization";
		return strv_copy(envs, &b->org.environments);
	}
	for (size_t i = 0; i < b->n_envgroups; i++)
		if (b->envgroups[i].attachments_known)
			for (size_t k = 0; k < b->envgroups[i].attached_envs.n; k++)
				if (strv_push_unique(envs, b->envgroups[i].attached_envs.v[k]) < 0)
					return -ENOMEM;
	*ret_from = "the env group attachments";
	return 0;
}

/* Which host names reach a missing environment: the env groups it is attached to. */
static void x9_affected_note(const struct bundle *b, struct finding *f, const char *instance,
                             const struct strv *missing)
{
	for (size_t k = 0; k < missing->n; k++)
		for (size_t i = 0; i < b->n_envgroups; i++) {
			const struct api_envgroup *g = &b->envgroups[i];
			_cleanup_free_ char *hosts = NULL;

			if (!g->attachments_known ||
			    !strv_contains(&g->attached_envs, missing->v[k]))
				continue;
			hosts = strv_join(&g->hostnames, ", ");
			finding_note(
			        f,
			        "environment %s serves env group %s (%s): calls to those host "
			        "names that reach instance %s get HTTP 503 until it is attached",
			        missing->v[k], g->name ? g->name : "?",
			        hosts && *hosts ? hosts : "no host names", instance);
		}
}

static int xlb_009(const struct bundle *b, const struct findings *prior, struct finding *f)
{
	struct strv envs = STRV_INIT;
	const char *from = NULL;
	size_t judged = 0, bad = 0;
	const char *first = NULL;
	int r;

	(void)prior;
	if (b->org.seen && b->org.runtime_type && strcmp(b->org.runtime_type, "HYBRID") == 0 &&
	    b->n_instances == 0) {
		/* hybrid runtimes are not API instances: nothing can be left unattached */
		finding_set(f, STATUS_PASS,
		            "organization %s is a hybrid organization: environments are served by "
		            "the cluster, not attached to Apigee X instances",
		            b->org.name ? b->org.name : "?");
		finding_evidence(f, &b->org.where, NULL);
		return 0;
	}
	if (is_hybrid(b) && b->n_instances == 0) {
		finding_set(f, STATUS_SKIP, "%s", NA_HYBRID);
		finding_skip(f, NA_HYBRID, NA_HYBRID_HINT);
		return 0;
	}
	r = wanted_envs(b, &envs, &from);
	if (r < 0)
		goto out;
	if (envs.n == 0) {
		check_skip_or_error(
		        b, f, HINT_API, "the organization's environments (Apigee API)",
		        "curl -H \"Authorization: Bearer $(gcloud auth print-access-token)\" "
		        "https://apigee.googleapis.com/v1/organizations/ORG  (or: apigee-bundle "
		        "collect --org ORG)");
		goto out;
	}
	for (size_t i = 0; i < b->n_instances; i++) {
		const struct api_instance *in = &b->instances[i];
		struct strv missing = STRV_INIT;
		_cleanup_free_ char *miss = NULL, *has = NULL;
		char ex[1024];

		if (!in->attachments_known) {
			finding_note(f, "the attachments of instance %s are not in the input",
			             in->name);
			continue;
		}
		judged++;
		for (size_t k = 0; k < envs.n; k++)
			if (!strv_contains(&in->attached_envs, envs.v[k]) &&
			    strv_push(&missing, envs.v[k]) < 0) {
				strv_release(&missing);
				r = -ENOMEM;
				goto out;
			}
		if (missing.n == 0) {
			strv_release(&missing);
			continue;
		}
		bad++;
		if (!first)
			first = in->name;
		miss = strv_join(&missing, ", ");
		has = strv_join(&in->attached_envs, ", ");
		snprintf(ex, sizeof(ex), "instance %s%s%s%s: missing %s; attached: %s", in->name,
		         in->location ? " (" : "", in->location ? in->location : "",
		         in->location ? ")" : "", miss ? miss : "?", has && *has ? has : "none");
		finding_evidence(
		        f, in->attachments_where.artifact ? &in->attachments_where : &in->where,
		        ex);
		x9_affected_note(b, f, in->name, &missing);
		strv_release(&missing);
	}
	if (bad) {
		finding_set(f, STATUS_FAIL,
		            "%zu instance(s) lack an attachment for an environment of %s, e.g. %s: "
		            "requests routed to it get HTTP 503",
		            bad, from, first);
		org_evidence(f, b, "environments", NULL);
	} else if (judged) {
		_cleanup_free_ char *list = strv_join(&envs, ", ");

		finding_set(f, STATUS_PASS, "%zu instance(s) have every environment attached (%s)",
		            judged, list ? list : "?");
	} else {
		check_skip_or_error(
		        b, f, HINT_API, "the attachments of each instance (Apigee API)",
		        "curl -H \"Authorization: Bearer $(gcloud auth print-access-token)\" "
		        "https://apigee.googleapis.com/v1/organizations/ORG/instances/INSTANCE/"
		        "attachments  (or: apigee-bundle collect --org ORG)");
	}
out:
	strv_release(&envs);
	return r;
}

/* ---- the table ------------------------------------------------------------------------- */

#define SRC_XLB "002_4cec95510c21cd8a.txt"
#define GATHER_XLB                                                                                \
	" If it persists, a ticket needs the Apigee organization, the environment and API proxy " \
	"affected, a debug session if the problem is intermittent, the curl -v output of a "      \
	"failing request, and the load balancer that sends API calls to Apigee."

static const struct check checks_xlb[] = {
	{ "XLB-001", "Load balancer certificate is expired or does not cover the host names",
	  "The load balancer certificates are valid and cover the host names", SEVERITY_HIGH,
	  "gcloud compute target-https-proxies list and ssl-certificates describe (JSON); env "
	  "group host names",
	  "Replace the load balancer's self-managed certificate with one that is valid and whose "
	  "names cover every env group host name (or fix the managed certificate's "
	  "domains)." GATHER_XLB,
	  SRC_XLB,
	  "gcloud compute target-https-proxies list --format=json; gcloud compute "
	  "ssl-certificates describe NAME --format=json" HINT_PROJECT,
	  xlb_001 },
	{ "XLB-002", "Load balancer serves a different certificate than configured",
	  "The load balancer serves the configured certificate", SEVERITY_HIGH,
	  "TLS probe of the load balancer host; ssl-certificates JSON",
	  "The load balancer hands out a stale or wrong certificate although the right one is "
	  "configured: open a support case with Google Cloud Customer Care." GATHER_XLB,
	  SRC_XLB,
	  "gcloud compute ssl-certificates describe NAME --format=json, and apigee-bundle collect "
	  "--project PROJECT_ID --host HOST",
	  xlb_002 },
	{ "XLB-003", "Cloud Armor denied requests", "Cloud Armor denied no request",
	  SEVERITY_MEDIUM, "load balancer log entries (JSON)",
	  "A Cloud Armor security policy rejects these requests: adjust the matching rule (its "
	  "name is in jsonPayload.enforcedSecurityPolicy.name) to admit the legitimate "
	  "traffic." GATHER_XLB,
	  SRC_XLB,
	  "gcloud logging read 'jsonPayload.enforcedSecurityPolicy.outcome=\"DENY\"' "
	  "--format=json  (enable logging on the backend service first; attach the export with "
	  "--attach)",
	  xlb_003 },
	{ "XLB-004", "apigee-proxy backends cannot forward traffic",
	  "The apigee-proxy backends forward traffic", SEVERITY_HIGH,
	  "load balancer logs; backend health JSON; curl output",
	  "The load balancer finds no healthy apigee-proxy VM. Check backend health of the "
	  "managed instance group, the firewall rule for the health-check ranges (XLB-005), the "
	  "template's ENDPOINT (XLB-006) and the networks (XLB-007, XLB-008)." GATHER_XLB,
	  SRC_XLB,
	  "gcloud compute backend-services get-health BACKEND_SERVICE --global --format=json; "
	  "gcloud logging read 'jsonPayload.statusDetails=\"failed_to_pick_backend\"' "
	  "--format=json" HINT_PROJECT,
	  xlb_004 },
	{ "XLB-005", "Firewall does not admit load balancer health checks",
	  "The firewall admits load balancer health checks", SEVERITY_HIGH,
	  "firewall rules JSON; MIG/instance tags",
	  "Add an enabled ingress firewall rule that allows tcp:443 from 130.211.0.0/22 and "
	  "35.191.0.0/16 to the network tag the apigee-proxy instances carry (by default "
	  "gke-apigee-proxy)." GATHER_XLB,
	  SRC_XLB,
	  "gcloud compute firewall-rules list --format=json; gcloud compute instance-groups "
	  "managed list-instances MIG --region REGION --format=json" HINT_PROJECT,
	  xlb_005 },
	{ "XLB-006", "apigee-proxy template ENDPOINT does not match the instance IP",
	  "The apigee-proxy template ENDPOINT matches the instance IP", SEVERITY_HIGH,
	  "instance template JSON (metadata ENDPOINT); instances API (host)",
	  "The Apigee instance was re-created with a new IP and the template still points at the "
	  "old one: create a template with the instance's current host as ENDPOINT and roll the "
	  "managed instance group to it." GATHER_XLB,
	  SRC_XLB,
	  "gcloud compute instance-templates describe TEMPLATE --format=json; GET "
	  "https://apigee.googleapis.com/v1/organizations/ORG/instances/INSTANCE" HINT_PROJECT,
	  xlb_006 },
	{ "XLB-007", "authorizedNetwork is not the network peered with servicenetworking",
	  "authorizedNetwork is the network peered with servicenetworking", SEVERITY_HIGH,
	  "organization API (authorizedNetwork); peerings JSON",
	  "Peer servicenetworking with the VPC network named by the organization's "
	  "authorizedNetwork (for a shared VPC, the host project's network), as in the "
	  "service networking step of the Apigee provisioning guide." GATHER_XLB,
	  SRC_XLB,
	  "GET https://apigee.googleapis.com/v1/organizations/ORG; gcloud compute networks "
	  "peerings list --network=NETWORK --format=json" HINT_PROJECT,
	  xlb_007 },
	{ "XLB-008", "apigee-proxy instances are on a different network than authorizedNetwork",
	  "Every apigee-proxy instance is on authorizedNetwork", SEVERITY_HIGH,
	  "instance group / instance JSON (networkInterfaces[].network)",
	  "The apigee-proxy instance group was created on another network than authorizedNetwork. "
	  "If the peering is right (XLB-007) the group was built wrongly: re-create it on the "
	  "authorized network or contact Google Cloud Customer Care." GATHER_XLB,
	  SRC_XLB,
	  "gcloud compute instances describe INSTANCE --zone ZONE --format=json; GET "
	  "https://apigee.googleapis.com/v1/organizations/ORG" HINT_PROJECT,
	  xlb_008 },
	{ "XLB-009", "An environment is not attached to an instance",
	  "Every environment is attached to every instance", SEVERITY_HIGH,
	  "organization API (environments); instances/{i}/attachments for every instance",
	  "Attach the missing environments to the instance (typical after adding a region), or "
	  "make the load balancer send that environment's traffic only to instances that have "
	  "it attached; check that the new region's instance group is healthy too." GATHER_XLB,
	  SRC_XLB,
	  "curl -H \"Authorization: Bearer $(gcloud auth print-access-token)\" "
	  "https://apigee.googleapis.com/v1/organizations/ORG/instances/INSTANCE/attachments  "
	  "(or: apigee-bundle collect --org ORG)",
	  xlb_009 },
};
CHECK_ROWS(xlb, checks_xlb);
