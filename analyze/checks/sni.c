/* SPDX-License-Identifier: Apache-2.0 */
/* Family SNI: connection reset for clients that send no SNI (seed playbook 000,
 * restated in 003/004). The hybrid ingress picks a filter chain by the SNI name;
 * a client without SNI matches none unless a wildcard ApigeeRoute with
 * enableNonSniClient: true is attached to the virtual host through
 * additionalGateways and running. These checks look for the symptom in the
 * ingress access log and the probes, then for each configuration step.
 *
 * Decisions where checks.md leaves room (documented here, tested in
 * tests/test_checks.c):
 *   - SNI-002 judges only reset / EOF / alert outcomes; a no-SNI probe that timed
 *     out, was refused or failed DNS proves nothing about certificates. When the
 *     SNI probe to the same address failed as well the ingress is broken for
 *     everyone, which is not this cause: warn, not fail.
 *   - SNI-003 concludes "no wildcard route" only when the hostnames of every known
 *     route are known (a route whose hostnames are unknown could be the wildcard).
 *   - SNI-004/005/006 pass when their inputs are there and there is nothing to
 *     judge (no wildcard route, no additionalGateways): SNI-003 carries that fault.
 *   - SNI-005 warns when some virtual hosts list the wildcard route and others do
 *     not (non-SNI clients then reach only some env groups).
 *   - SNI-006 finds the route generated for a virtual host by its name (the
 *     virtual host name as a whole dash-separated token, e.g.
 *     myorg-hyb-dev-grp-000-33620d0 for dev-grp) and, failing that, by shared host
 *     names; an ApigeeRouteConfig (kustomize installs) that lists the gateway
 *     counts as applied. */
#include "checks.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "bundle.h"
#include "cleanup.h"
#include "findings.h"
#include "model.h"
#include "text.h"
#include "common.h"
#include "pcap.h"
#include "banned.h"

#define HINT_ROUTES_JSON "kubectl -n apigee get apigeeroutes -o json  (or: apigee-bundle collect)"
#define HINT_ROUTES_OVERRIDES                                                                     \
	"kubectl -n apigee get apigeeroutes -o json, and the overrides.yaml  (or: apigee-bundle " \
	"collect --overrides overrides.yaml)"

/* ---- helpers ------------------------------------------------------------------------------ */

static bool route_is_wildcard(const struct route *r)
{
	return r->hostnames_known && strv_contains(&r->hostnames, "*");
}

static bool prior_failed(const struct findings *prior, const char *id)
{
	const struct finding *p = findings_get(prior, id);

	return p && p->status == STATUS_FAIL;
}

static bool strv_overlap(const struct strv *x, const struct strv *y)
{
	for (size_t i = 0; i < x->n; i++)
		if (strcmp(x->v[i], "*") != 0 && strv_contains(y, x->v[i]))
			return true;
	return false;
}

/* What we know about the set of routes: can "no wildcard route" be concluded? */
enum route_knowledge {
	ROUTES_NONE = 0,   /* no route data at all */
	ROUTES_NAMES_ONLY, /* a table: names and states, no hostnames */
	ROUTES_PARTIAL,    /* hostnames known for some routes only */
	ROUTES_COMPLETE,   /* hostnames known for every route (or an empty list) */
};

static enum route_knowledge route_knowledge(const struct bundle *b)
{
	size_t known = 0;

	if (b->n_routes == 0)
		return b->routes_listed ? ROUTES_COMPLETE : ROUTES_NONE;
	for (size_t i = 0; i < b->n_routes; i++)
		if (b->routes[i].hostnames_known)
			known++;
	if (known == 0)
		return ROUTES_NAMES_ONLY;
	return known == b->n_routes ? ROUTES_COMPLETE : ROUTES_PARTIAL;
}

static bool any_wildcard(const struct bundle *b)
{
	for (size_t i = 0; i < b->n_routes; i++)
		if (route_is_wildcard(&b->routes[i]))
			return true;
	return false;
}

/* Skip (or error) with the reason the route list does not allow a verdict. */
static void skip_routes(const struct bundle *b, struct finding *f, enum route_knowledge k)
{
	struct buf m = BUF_INIT;

	if (k == ROUTES_NONE) {
		check_skip_or_error(b, f, HINT_ROUTES, "the ApigeeRoute list as JSON",
		                    HINT_ROUTES_JSON);
		return;
	}
	if (k == ROUTES_NAMES_ONLY) {
		finding_set(f, STATUS_SKIP,
		            "the ApigeeRoute table (NAME STATE AGE) lacks the host names of the "
		            "routes");
		finding_skip(f, "spec.hostnames of the ApigeeRoutes (kubectl get -o json)",
		             HINT_ROUTES_JSON);
		return;
	}
	for (size_t i = 0; i < b->n_routes; i++)
		if (!b->routes[i].hostnames_known)
			buf_printf(&m, "%s%s", m.len ? ", " : "", b->routes[i].name);
	finding_set(f, STATUS_SKIP,
	            "the host names of route(s) %s are unknown; any of them could "
	            "be the wildcard route",
	            m.data ? m.data : "?");
	finding_skip(f, "spec.hostnames of every ApigeeRoute", HINT_ROUTES_JSON);
	buf_release(&m);
}

static const char *tri_text(const struct route *r)
{
	switch (r->non_sni) {
	case TRI_ABSENT:
		return "is not set";
	case TRI_FALSE:
		return "is false";
	case TRI_OTHER:
		return "is not a boolean";
	case TRI_TRUE:
	default:
		return "is true";
	}
}

/* ---- SNI-001 ---------------------------------------------------------------------------- */

static int sni_001(const struct bundle *b, const struct findings *prior, struct finding *f)
{
	const struct access_log_stats *s = &b->access;

	(void)prior;
	if (s->files == 0) {
		check_skip_or_error(
		        b, f, HINT_ACCESS_LOG, "ingress gateway access logs",
		        "kubectl -n apigee logs -l app=apigee-ingressgateway --all-containers "
		        "--prefix  (or: apigee-bundle collect)");
		return 0;
	}
	check_note_unreadable(b, f, HINT_ACCESS_LOG);
	if (s->not_ingress)
		finding_note(
		        f,
		        "%" PRIu64 " filter_chain_not_found line(s) set aside: not the Apigee "
		        "ingress (no ingressgateway pod, listener %s is not on 443/8443, first "
		        "in %s)",
		        s->not_ingress, s->not_ingress_local, s->not_ingress_file);
	if (s->nonsni_reject == 0 && (s->not_ingress || s->other_entries) &&
	    (s->not_ingress >= s->entries || s->other_entries >= s->entries)) {
		/* every line read belongs to another workload */
		finding_skip(f, "ingress gateway access logs (the lines read are other workloads')",
		             "kubectl -n apigee logs -l app=apigee-ingressgateway --all-containers "
		             "--prefix  (or: apigee-bundle collect)");
		return 0;
	}
	if (s->nonsni_reject == 0) {
		finding_set(
		        f, STATUS_PASS,
		        "%" PRIu64 " access-log entries in %" PRIu64
		        " file(s); none is a handshake without SNI rejected for lack of a filter "
		        "chain",
		        s->entries, s->files);
		finding_note(f, "TLS handshake failures are not always written to the access log; "
		                "an absence here does not rule out SNI-002/SNI-003");
		pcap_nosni_note(b, f);
		if (s->fcnf_with_sni)
			finding_note(f,
			             "%" PRIu64
			             " entries were rejected with filter_chain_not_found "
			             "for an SNI name that no route serves",
			             s->fcnf_with_sni);
		return 0;
	}
	finding_set(f, STATUS_FAIL,
	            "%" PRIu64
	            " handshake(s) without SNI were rejected with filter_chain_not_found "
	            "(first %s, last %s) from %s%" PRIu64 " distinct client address(es)",
	            s->nonsni_reject, s->first_start[0] ? s->first_start : "?",
	            s->last_start[0] ? s->last_start : "?", s->distinct_capped ? "at least " : "",
	            s->distinct_remote);
	for (size_t i = 0; i < s->n_samples && i < MODEL_MAX_SAMPLES; i++)
		finding_evidence(f, &s->samples[i], NULL);
	pcap_nosni_note(b, f);
	return 0;
}

/* ---- SNI-002 ---------------------------------------------------------------------------- */

static bool no_cert_outcome(const struct probe *p)
{
	return !p->got_cert &&
	       (p->outcome == PROBE_RESET || p->outcome == PROBE_EOF || p->outcome == PROBE_ALERT);
}

static bool same_target(const struct probe *x, const struct probe *y)
{
	if (x->port && y->port && x->port != y->port)
		return false;
	return x->address && y->address && strcmp(x->address, y->address) == 0;
}

/* curl to an IP address: curl sends no SNI for an IP literal (RFC 6066), so its
 * handshake is a no-SNI handshake; a reset or an alert before it completed means no
 * certificate came, a completed handshake or a verify result means one did. */
static void sni_002_curls(const struct bundle *b, struct finding *f, size_t *fails, size_t *passes,
                          const char **first_addr, bool *why_noted)
{
	for (size_t i = 0; i < b->n_curls; i++) {
		const struct curl_trace *c = &b->curls[i];
		bool got = c->symptoms & (CURL_SYM_OK | CURL_SYM_VERIFY);

		if (!c->ip_literal || !c->tls)
			continue;
		if (got) {
			(*passes)++;
			finding_evidence(f, &c->where, NULL);
			continue;
		}
		if (!(c->symptoms & (CURL_SYM_RESET | CURL_SYM_ALERT)) || c->exit_code == 56)
			continue;
		(*fails)++;
		if (!*first_addr)
			*first_addr = c->host;
		finding_evidence(f, &c->where, NULL);
		if (!*why_noted) {
			finding_note(
			        f,
			        "no SNI in the curl call to %s: curl sends none to an IP address",
			        c->host ? c->host : "an IP address");
			*why_noted = true;
		}
	}
}

static int sni_002(const struct bundle *b, const struct findings *prior, struct finding *f)
{
	size_t fails = 0, passes = 0, both_fail = 0, judged = 0;
	const char *served = NULL, *first_addr = NULL;
	bool why_noted = false;

	(void)prior;
	/* 1. the collector's probes */
	for (size_t i = 0; i < b->n_probes; i++) {
		const struct probe *p = &b->probes[i];
		const struct probe *with_sni = NULL;

		if (p->sni)
			continue;
		if (p->got_cert) {
			passes++;
			judged++;
			finding_evidence(f, &p->where, NULL);
			for (size_t k = 0; k < b->n_certs && !served; k++)
				if (b->certs[k].role == CERT_ROLE_SERVED && b->certs[k].parsed &&
				    strcmp(b->certs[k].facts.sha256, p->leaf_sha256) == 0)
					served = b->certs[k].facts.subject;
			continue;
		}
		if (!no_cert_outcome(p)) {
			finding_note(
			        f, "the no-SNI probe of %s ended with '%s' before TLS: no verdict",
			        p->address ? p->address : "?", probe_outcome_name(p->outcome));
			continue;
		}
		judged++;
		for (size_t j = 0; j < b->n_probes && !with_sni; j++)
			if (b->probes[j].sni && same_target(p, &b->probes[j]))
				with_sni = &b->probes[j];
		if (with_sni && !with_sni->got_cert) {
			both_fail++;
			finding_evidence(f, &p->where, NULL);
			finding_evidence(f, &with_sni->where, NULL);
			continue;
		}
		fails++;
		if (!first_addr)
			first_addr = p->address;
		finding_evidence(f, &p->where, NULL);
		if (with_sni)
			finding_evidence(f, &with_sni->where, NULL);
		else
			finding_note(f, "no SNI handshake to %s was tried",
			             p->address ? p->address : "the same address");
	}
	/* 2. openssl s_client -noservername transcripts */
	for (size_t i = 0; i < b->n_sclients; i++) {
		const struct sclient_trace *s = &b->sclients[i];

		if (!s->noservername)
			continue;
		if (s->got_cert) {
			passes++;
			judged++;
			finding_evidence(f, &s->where, NULL);
		} else if (s->no_peer_cert || s->reset || s->alert) {
			fails++;
			judged++;
			if (!first_addr)
				first_addr = s->target;
			finding_evidence(f, &s->where, NULL);
			if (s->no_sni_why && !why_noted) {
				finding_note(f, "no SNI in the s_client run against %s: %s",
				             s->target ? s->target : s->host, s->no_sni_why);
				why_noted = true;
			}
		}
	}
	/* 2b. curl calls to an IP address */
	sni_002_curls(b, f, &fails, &passes, &first_addr, &why_noted);
	judged = fails + passes + both_fail;
	/* 3. packet captures: ClientHellos without SNI and what answered them */
	{
		size_t refused = 0, answered = 0;

		pcap_nosni_outcomes(b, f, &refused, &answered, first_addr ? NULL : &first_addr);
		fails += refused;
		passes += answered;
		judged += refused + answered;
	}
	if (!judged) {
		check_skip_or_error(b, f, HINT_PROBES,
		                    "a TLS handshake without SNI against an ingress address",
		                    "openssl s_client -connect INGRESS_IP:443 -noservername  (or: "
		                    "apigee-bundle collect --ingress INGRESS_IP)");
		return 0;
	}
	if (fails) {
		finding_set(f, STATUS_FAIL,
		            "%zu handshake(s) without SNI got no certificate from the ingress%s%s "
		            "(connection reset, EOF or alert before the Certificate message)",
		            fails, first_addr ? " at " : "", first_addr ? first_addr : "");
		return 0;
	}
	if (both_fail) {
		f->severity = SEVERITY_MEDIUM;
		finding_set(
		        f, STATUS_WARN,
		        "the ingress gave no certificate with or without SNI: the failure is not "
		        "specific to non-SNI clients (see TLS-001..TLS-004)");
		return 0;
	}
	finding_set(f, STATUS_PASS,
	            "a handshake without SNI received a certificate%s%s: a wildcard route is "
	            "serving non-SNI clients",
	            served ? " " : "", served ? served : "");
	return 0;
}

/* ---- SNI-003 ---------------------------------------------------------------------------- */

/* A user attachment or transcript shows a non-SNI client being reset. */
static const struct loc *nonsni_symptom(const struct bundle *b)
{
	for (size_t i = 0; i < b->n_curls; i++)
		if (b->curls[i].ip_literal && (b->curls[i].symptoms & CURL_SYM_RESET))
			return &b->curls[i].where;
	for (size_t i = 0; i < b->n_sclients; i++)
		if (b->sclients[i].noservername && !b->sclients[i].got_cert &&
		    (b->sclients[i].no_peer_cert || b->sclients[i].reset))
			return &b->sclients[i].where;
	return NULL;
}

static void route_list_evidence(const struct bundle *b, struct finding *f)
{
	for (size_t i = 0; i < b->n_routes; i++)
		finding_evidence(f, &b->routes[i].where, NULL);
}

static int sni_003(const struct bundle *b, const struct findings *prior, struct finding *f)
{
	enum route_knowledge k = route_knowledge(b);
	const struct loc *symptom;
	struct buf names = BUF_INIT;
	const char *why = NULL;

	for (size_t i = 0; i < b->n_routes; i++)
		if (route_is_wildcard(&b->routes[i])) {
			finding_set(f, STATUS_PASS, "ApigeeRoute %s has hostnames [\"*\"]",
			            b->routes[i].name);
			finding_evidence(f, &b->routes[i].where, NULL);
			return 0;
		}
	if (k != ROUTES_COMPLETE) {
		skip_routes(b, f, k);
		return 0;
	}
	check_note_unreadable(b, f, HINT_ROUTES);
	for (size_t i = 0; i < b->n_routes; i++)
		if (buf_printf(&names, "%s%s", i ? ", " : "", b->routes[i].name) < 0) {
			buf_release(&names);
			return -ENOMEM;
		}
	symptom = nonsni_symptom(b);
	if (prior_failed(prior, "SNI-001"))
		why = "the ingress access log shows non-SNI handshakes being rejected (SNI-001)";
	else if (prior_failed(prior, "SNI-002"))
		why = "a handshake without SNI got no certificate (SNI-002)";
	else if (symptom)
		why = "a client transcript shows a non-SNI client being reset";
	if (why) {
		finding_set(
		        f, STATUS_FAIL,
		        "no ApigeeRoute has \"*\" among spec.hostnames (%zu route(s)%s%s), and %s",
		        b->n_routes, b->n_routes ? ": " : "", names.data ? names.data : "", why);
		if (symptom)
			finding_evidence(f, symptom, NULL);
	} else {
		f->severity = SEVERITY_MEDIUM;
		finding_set(f, STATUS_WARN,
		            "no ApigeeRoute has \"*\" among spec.hostnames (%zu route(s)%s%s): "
		            "non-SNI clients will be reset",
		            b->n_routes, b->n_routes ? ": " : "", names.data ? names.data : "");
	}
	route_list_evidence(b, f);
	buf_release(&names);
	return 0;
}

/* ---- SNI-004 ---------------------------------------------------------------------------- */

static bool non_sni_known(const struct route *r)
{
	return (r->sources & (ROUTE_SRC_JSON | ROUTE_SRC_DESCRIBE)) || r->non_sni != TRI_ABSENT;
}

/* A credentialName copied from a template and never filled in ("<CREDENTIAL_NAME>",
 * "${TLS_SECRET}", "$TLS_SECRET", "YOUR_SECRET"): no such secret exists, so the
 * route has no certificate to give non-SNI clients. */
static bool is_placeholder(const char *v)
{
	size_t n = strlen(v);

	return (n > 2 && v[0] == '<' && v[n - 1] == '>') || v[0] == '$' || strstr(v, "{{") ||
	       text_find_ci(v, n, "your_") || text_find_ci(v, n, "your-") ||
	       strstr(v, "CREDENTIAL_NAME");
}

static void placeholder_note(struct finding *f, const struct route *r)
{
	for (size_t k = 0; k < r->credential_names.n; k++)
		if (is_placeholder(r->credential_names.v[k]))
			finding_note(f,
			             "wildcard route %s names credentialName %s, a template "
			             "placeholder: put the name of the TLS secret of the default "
			             "certificate there, or non-SNI clients get no certificate",
			             r->name, r->credential_names.v[k]);
}

static int sni_004(const struct bundle *b, const struct findings *prior, struct finding *f)
{
	size_t wild = 0, bad = 0, unknown = 0;
	const struct route *first_bad = NULL;

	(void)prior;
	for (size_t i = 0; i < b->n_routes; i++) {
		const struct route *r = &b->routes[i];

		if (!route_is_wildcard(r))
			continue;
		wild++;
		if (!non_sni_known(r)) {
			unknown++;
			finding_note(f,
			             "enableNonSniClient of wildcard route %s is not in the input",
			             r->name);
			continue;
		}
		if (r->non_sni != TRI_TRUE) {
			bad++;
			if (!first_bad)
				first_bad = r;
			finding_evidence(f, &r->where, NULL);
		}
	}
	if (bad) {
		finding_set(f, STATUS_FAIL,
		            "ApigeeRoute %s has hostnames [\"*\"] but enableNonSniClient %s%s%s%s",
		            first_bad->name, tri_text(first_bad),
		            first_bad->non_sni == TRI_OTHER && first_bad->non_sni_raw ? " (" : "",
		            first_bad->non_sni == TRI_OTHER && first_bad->non_sni_raw
		                    ? first_bad->non_sni_raw
		                    : "",
		            first_bad->non_sni == TRI_OTHER && first_bad->non_sni_raw ? ")" : "");
		if (bad > 1)
			finding_note(f, "%zu wildcard routes in all lack enableNonSniClient: true",
			             bad);
		return 0;
	}
	if (unknown) {
		finding_skip(f, "spec.enableNonSniClient of the wildcard route",
		             "kubectl -n apigee get apigeeroute NAME -o json");
		return 0;
	}
	if (wild) {
		finding_set(f, STATUS_PASS,
		            "%zu wildcard route(s), each with enableNonSniClient: true", wild);
		for (size_t i = 0; i < b->n_routes; i++)
			if (route_is_wildcard(&b->routes[i])) {
				finding_evidence(f, &b->routes[i].where, NULL);
				placeholder_note(f, &b->routes[i]);
			}
		return 0;
	}
	if (route_knowledge(b) == ROUTES_COMPLETE) {
		finding_set(f, STATUS_PASS,
		            "no wildcard route exists, so none can lack enableNonSniClient (see "
		            "SNI-003)");
		return 0;
	}
	skip_routes(b, f, route_knowledge(b));
	return 0;
}

/* ---- SNI-005 ---------------------------------------------------------------------------- */

static bool have_vhost_config(const struct bundle *b)
{
	return (b->overrides_seen && b->n_vhosts > 0) || b->n_route_configs > 0;
}

/* virtual host v names one of the enabled wildcard routes */
static bool vhost_lists_wildcard(const struct bundle *b, const struct vhost *v)
{
	for (size_t i = 0; i < b->n_routes; i++)
		if (route_is_wildcard(&b->routes[i]) && b->routes[i].non_sni == TRI_TRUE &&
		    strv_contains(&v->additional_gateways, b->routes[i].name))
			return true;
	return false;
}

static bool config_lists_wildcard(const struct bundle *b, const struct route_config *c)
{
	for (size_t i = 0; i < b->n_routes; i++)
		if (route_is_wildcard(&b->routes[i]) && b->routes[i].non_sni == TRI_TRUE &&
		    strv_contains(&c->additional_gateways, b->routes[i].name))
			return true;
	return false;
}

static int sni_005(const struct bundle *b, const struct findings *prior, struct finding *f)
{
	const struct route *w = NULL;
	size_t listing = 0, not_listing = 0;
	struct buf missing = BUF_INIT;

	(void)prior;
	for (size_t i = 0; i < b->n_routes && !w; i++)
		if (route_is_wildcard(&b->routes[i]) && b->routes[i].non_sni == TRI_TRUE)
			w = &b->routes[i];
	if (!have_vhost_config(b)) {
		check_skip_or_error(b, f, HINT_OVERRIDES,
		                    "overrides.yaml (virtualhosts[].additionalGateways)",
		                    "apigee-bundle collect --overrides overrides.yaml  (or add "
		                    "overrides.yaml to the input)");
		return 0;
	}
	if (!w) {
		if (route_knowledge(b) != ROUTES_COMPLETE && !any_wildcard(b)) {
			skip_routes(b, f, route_knowledge(b));
			return 0;
		}
		check_note_unreadable(b, f, HINT_OVERRIDES);
		finding_set(
		        f, STATUS_PASS,
		        "no wildcard route with enableNonSniClient: true exists, so there is none "
		        "to list (see SNI-003/SNI-004)");
		return 0;
	}
	check_note_unreadable(b, f, HINT_OVERRIDES);
	for (size_t i = 0; i < b->n_vhosts; i++) {
		const struct vhost *v = &b->vhosts[i];

		if (vhost_lists_wildcard(b, v)) {
			listing++;
		} else {
			not_listing++;
			buf_printf(&missing, "%s%s", missing.len ? ", " : "", v->name);
			finding_evidence(f, &v->where, NULL);
		}
	}
	for (size_t i = 0; i < b->n_route_configs; i++)
		if (config_lists_wildcard(b, &b->route_configs[i]))
			listing++;
	if (listing == 0) {
		finding_set(
		        f, STATUS_FAIL,
		        "wildcard route %s enables non-SNI clients, but no virtual host lists it "
		        "in additionalGateways",
		        w->name);
		finding_evidence(f, &w->where, NULL);
	} else if (not_listing) {
		f->severity = SEVERITY_MEDIUM;
		finding_set(
		        f, STATUS_WARN,
		        "wildcard route %s is listed in additionalGateways of some virtual hosts "
		        "but not of %s",
		        w->name, missing.data ? missing.data : "?");
	} else {
		finding_set(
		        f, STATUS_PASS,
		        "wildcard route %s is listed in additionalGateways of every virtual host",
		        w->name);
	}
	buf_release(&missing);
	return 0;
}

/* ---- SNI-006 ---------------------------------------------------------------------------- */

/* route r is the route generated for virtual host v: by name (pass 0) or, when no
 * route matches by name, by shared host names (pass 1) */
static bool route_of_vhost(const struct bundle *b, const struct route *r, const struct vhost *v,
                           int pass)
{
	const struct api_envgroup *g;

	if (route_is_wildcard(r) || strv_contains(&v->additional_gateways, r->name))
		return false;
	if (pass == 0)
		return name_has_token(r->name, v->name);
	g = envgroup_named(b, v->name);
	return (g && strv_overlap(&r->hostnames, &g->hostnames)) ||
	       strv_overlap(&r->hostnames, &v->host_aliases);
}

static bool config_of_vhost(const struct bundle *b, const struct route_config *c,
                            const struct vhost *v)
{
	char want[512];

	if (b->overrides.org) {
		snprintf(want, sizeof(want), "%s-%s", b->overrides.org, v->name);
		if (strcmp(c->name, want) == 0)
			return true;
	}
	return name_has_token(c->name, v->name);
}

struct sni006_tally {
	size_t compared, missing, unknown, no_route;
	char first[512]; /* the first gap, for the summary */
};

static void sni_006_vhost(const struct bundle *b, const struct vhost *v, struct finding *f,
                          struct sni006_tally *t)
{
	int pass = 0;
	size_t n_match = 0;

	for (pass = 0; pass < 2 && n_match == 0; pass++)
		for (size_t i = 0; i < b->n_routes; i++)
			if (route_of_vhost(b, &b->routes[i], v, pass))
				n_match++;
	pass--;
	for (size_t g = 0; g < v->additional_gateways.n; g++) {
		const char *gw = v->additional_gateways.v[g];
		bool in_config = false;

		for (size_t c = 0; c < b->n_route_configs; c++)
			if (config_of_vhost(b, &b->route_configs[c], v) &&
			    strv_contains(&b->route_configs[c].additional_gateways, gw)) {
				in_config = true;
				t->compared++;
			}
		if (in_config)
			continue;
		if (n_match == 0) {
			t->no_route++;
			finding_note(f, "no ApigeeRoute for virtual host %s is in the input",
			             v->name);
			break;
		}
		for (size_t i = 0; i < b->n_routes; i++) {
			const struct route *r = &b->routes[i];
			char ex[512];

			if (!route_of_vhost(b, r, v, pass))
				continue;
			if (!r->gateways_known) {
				t->unknown++;
				finding_note(
				        f,
				        "spec.additionalGateways of route %s is not in the input",
				        r->name);
				continue;
			}
			t->compared++;
			if (strv_contains(&r->additional_gateways, gw))
				continue;
			if (t->missing++ == 0)
				snprintf(t->first, sizeof(t->first),
				         "virtual host %s lists %s, route %s lacks it", v->name, gw,
				         r->name);
			snprintf(ex, sizeof(ex),
			         "virtual host %s lists additionalGateways %s; route %s lacks it",
			         v->name, gw, r->name);
			finding_evidence(f, &v->where, NULL);
			finding_evidence(f, &r->where, ex);
		}
	}
}

static int sni_006(const struct bundle *b, const struct findings *prior, struct finding *f)
{
	struct sni006_tally t = { 0, 0, 0, 0, "" };
	size_t with_gw = 0;

	(void)prior;
	if (!b->overrides_seen || b->n_vhosts == 0) {
		check_skip_or_error(b, f, HINT_OVERRIDES, "overrides.yaml with its virtualhosts",
		                    "apigee-bundle collect --overrides overrides.yaml  (or add "
		                    "overrides.yaml to the input)");
		return 0;
	}
	check_note_unreadable(b, f, HINT_OVERRIDES);
	for (size_t i = 0; i < b->n_vhosts; i++) {
		const struct vhost *v = &b->vhosts[i];

		if (!v->gateways_known || v->additional_gateways.n == 0)
			continue;
		with_gw++;
		sni_006_vhost(b, v, f, &t);
	}
	if (with_gw == 0) {
		finding_set(
		        f, STATUS_PASS,
		        "no virtual host lists additionalGateways, so there is nothing to apply "
		        "(see SNI-005)");
		return 0;
	}
	if (t.missing) {
		finding_set(
		        f, STATUS_FAIL,
		        "%zu gateway(s) listed in additionalGateways of overrides.yaml are missing "
		        "from the env group's ApigeeRoute (%s): the overrides were edited but not "
		        "applied",
		        t.missing, t.first);
		return 0;
	}
	if (t.compared) {
		finding_set(f, STATUS_PASS,
		            "every additionalGateways entry of overrides.yaml is present on the "
		            "virtual host's ApigeeRoute");
		return 0;
	}
	if (b->n_routes == 0)
		check_skip_or_error(b, f, HINT_ROUTES, "the ApigeeRoute list as JSON",
		                    HINT_ROUTES_JSON);
	else
		finding_skip(f, "spec.additionalGateways of the env group routes",
		             HINT_ROUTES_JSON);
	return 0;
}

/* ---- SNI-007 ---------------------------------------------------------------------------- */

static int sni_007(const struct bundle *b, const struct findings *prior, struct finding *f)
{
	size_t known = 0, bad_wild = 0, bad_other = 0;
	const struct route *first = NULL;

	(void)prior;
	for (size_t i = 0; i < b->n_routes; i++) {
		const struct route *r = &b->routes[i];
		char ex[256];

		if (!r->state)
			continue;
		known++;
		if (strcasecmp(r->state, "running") == 0)
			continue;
		if (route_is_wildcard(r)) {
			bad_wild++;
			first = r;
		} else {
			bad_other++;
			if (!first)
				first = r;
		}
		snprintf(ex, sizeof(ex), "%s: state %s%s", r->name,
		         r->state[0] ? r->state : "(empty)",
		         route_is_wildcard(r) ? " (wildcard route)" : "");
		finding_evidence(f, &r->where, ex);
	}
	if (known == 0) {
		if (b->n_routes)
			finding_skip(f, "the STATE of the ApigeeRoutes",
			             "kubectl -n apigee get apigeeroutes");
		else
			check_skip_or_error(
			        b, f, HINT_ROUTES, "the ApigeeRoute list",
			        "kubectl -n apigee get apigeeroutes  (or: apigee-bundle collect)");
		return 0;
	}
	if (bad_wild) {
		finding_set(f, STATUS_FAIL, "wildcard route %s is in state '%s', not running",
		            first->name, first->state);
		return 0;
	}
	if (bad_other) {
		f->severity = SEVERITY_MEDIUM;
		finding_set(f, STATUS_WARN, "%zu route(s) not running, e.g. %s in state '%s'",
		            bad_other, first->name, first->state);
		return 0;
	}
	finding_set(f, STATUS_PASS, "all %zu route(s) with a known state are running", known);
	return 0;
}

/* ---- the table ------------------------------------------------------------------------- */

#define SRC_SNI "000_47a4624b937bcbbd.txt"
#define REMEDY_ENABLE                                                                            \
	"Give non-SNI clients a default certificate: create an ApigeeRoute with hostnames "      \
	"[\"*\"], enableNonSniClient: true and a TLS credentialName that names the secret of a " \
	"default certificate; put that route's name into additionalGateways of every virtual "   \
	"host in overrides.yaml; apply the virtual host settings (helm upgrade of the "          \
	"apigee-virtualhost chart, or apigeectl apply --settings virtualhosts). For a ticket "   \
	"send overrides.yaml, the output of kubectl -n apigee get apigeeroutes, kubectl -n "     \
	"apigee describe apigeeroute for each route, and the affected env group."

static const struct check checks_sni[] = {
	{ "SNI-001", "Ingress rejected handshakes that carried no SNI",
	  "The ingress rejected no handshake for lack of SNI", SEVERITY_HIGH,
	  "ingress gateway access logs (apigee-ingressgateway pods)",
	  "Clients connect without a server name (typically by IP address) and the ingress has "
	  "no filter chain for them. Either make the clients send SNI (call the API by its host "
	  "name) or enable non-SNI clients. " REMEDY_ENABLE,
	  SRC_SNI,
	  "kubectl -n apigee logs -l app=apigee-ingressgateway --all-containers --prefix  (or: "
	  "apigee-bundle collect)",
	  sni_001 },
	{ "SNI-002", "Ingress presents no certificate to clients without SNI",
	  "The ingress presents a certificate to clients without SNI", SEVERITY_HIGH,
	  "TLS probe results without SNI (collector probes, openssl s_client -noservername)",
	  "The ingress answers a handshake without SNI with a reset instead of a certificate, so "
	  "non-SNI clients are not enabled. " REMEDY_ENABLE,
	  SRC_SNI,
	  "openssl s_client -connect INGRESS_IP:443 -noservername  (or: apigee-bundle collect "
	  "--ingress INGRESS_IP)",
	  sni_002 },
	{ "SNI-003", "No wildcard ApigeeRoute exists", "A wildcard ApigeeRoute exists",
	  SEVERITY_HIGH, "ApigeeRoute list with spec.hostnames (kubectl get apigeeroutes -o json)",
	  "No route accepts handshakes without a server name. " REMEDY_ENABLE, SRC_SNI,
	  HINT_ROUTES_JSON, sni_003 },
	{ "SNI-004", "Wildcard route does not enable non-SNI clients",
	  "Every wildcard route enables non-SNI clients", SEVERITY_HIGH,
	  "ApigeeRoute list (spec.hostnames, spec.enableNonSniClient)",
	  "Set spec.enableNonSniClient to the boolean true (not a string) on the wildcard route "
	  "and re-apply it with kubectl apply -f; then check the remaining steps. " REMEDY_ENABLE,
	  SRC_SNI, HINT_ROUTES_JSON, sni_004 },
	{ "SNI-005", "Wildcard route is not listed in any virtual host's additionalGateways",
	  "Every wildcard route is listed in a virtual host's additionalGateways", SEVERITY_HIGH,
	  "overrides.yaml (virtualhosts[].additionalGateways) and the ApigeeRoute list",
	  "The wildcard route exists but no virtual host uses it. Add its name to "
	  "additionalGateways of each virtual host in overrides.yaml and apply the virtual host "
	  "settings. " REMEDY_ENABLE,
	  SRC_SNI, HINT_ROUTES_OVERRIDES, sni_005 },
	{ "SNI-006", "additionalGateways in overrides.yaml are not applied to the cluster",
	  "additionalGateways in overrides.yaml are applied to the cluster", SEVERITY_HIGH,
	  "overrides.yaml and the ApigeeRoute list (spec.additionalGateways)",
	  "overrides.yaml names the gateway but the env group's ApigeeRoute does not carry it: "
	  "the change was never applied. Apply the virtual host settings again (helm upgrade "
	  "ENV_GROUP apigee-virtualhost/ --set envgroup=ENV_GROUP -f overrides.yaml, or apigeectl "
	  "apply -f overrides.yaml --settings virtualhosts) and confirm with kubectl -n apigee get "
	  "apigeeroute ROUTE -o jsonpath='{.spec.additionalGateways}'.",
	  SRC_SNI, HINT_ROUTES_OVERRIDES, sni_006 },
	{ "SNI-007", "A route is not running", "Every route is running", SEVERITY_HIGH,
	  "ApigeeRoute list (STATE column or status.state)",
	  "Find out why the route is not running: kubectl -n apigee describe apigeeroute NAME "
	  "shows status errors and events, and the apigee-watcher and apigee-controller logs "
	  "say what failed. Fix the reported error and apply the route again.",
	  SRC_SNI, "kubectl -n apigee get apigeeroutes  (or: apigee-bundle collect)", sni_007 },
};
CHECK_ROWS(sni, checks_sni);
