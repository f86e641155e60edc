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
#include <string.h>

#include "bundle.h"
#include "cleanup.h"
#include "findings.h"
#include "model.h"
#include "common.h"
#include "banned.h"

#define HINT_PROJECT " (or: apigee-bundle collect --project PROJECT_ID)"

/* A skip for an input this version does not read, saying so when it is there. */
static void skip_gcloud(const struct bundle *b, struct finding *f, const char *missing)
{
	size_t gcp = 0;

	for (size_t i = 0; i < b->n_artifacts; i++)
		if (b->artifacts[i].kind == ART_GCP_JSON ||
		    (b->artifacts[i].kinds_seen & (1u << ART_GCP_JSON)))
			gcp++;
	if (gcp)
		finding_note(f,
		             "%zu gcloud JSON file(s) are in the input, but this version does not "
		             "read them for this check yet",
		             gcp);
	finding_set(f, STATUS_SKIP, "needs %s", missing);
	finding_skip(f, missing, f->check ? f->check->collect_hint : NULL);
}

static int xlb_001(const struct bundle *b, const struct findings *prior, struct finding *f)
{
	(void)prior;
	skip_gcloud(b, f,
	            "the load balancer's certificates (gcloud compute target-https-proxies list, "
	            "ssl-certificates describe) and the env group host names");
	return 0;
}

static int xlb_002(const struct bundle *b, const struct findings *prior, struct finding *f)
{
	(void)prior;
	skip_gcloud(b, f, "a TLS probe of the load balancer host and its ssl-certificates JSON");
	return 0;
}

static int xlb_003(const struct bundle *b, const struct findings *prior, struct finding *f)
{
	(void)prior;
	for (size_t i = 0; i < b->n_curls; i++)
		if (b->curls[i].symptoms & CURL_SYM_HTTP403_404) {
			finding_note(f,
			             "a client transcript shows HTTP %d (CURL-006); only the load "
			             "balancer log can tell whether Cloud Armor denied it",
			             b->curls[i].http_status);
			break;
		}
	skip_gcloud(b, f, "load balancer log entries (jsonPayload.enforcedSecurityPolicy) as JSON");
	return 0;
}

static int xlb_004(const struct bundle *b, const struct findings *prior, struct finding *f)
{
	size_t n = 0;
	const struct curl_trace *first = NULL;

	(void)prior;
	for (size_t i = 0; i < b->n_curls; i++) {
		const struct curl_trace *t = &b->curls[i];

		if (!(t->symptoms & CURL_SYM_HTTP502) || !t->gfe_error_page)
			continue;
		n++;
		if (!first)
			first = t;
		finding_evidence(f, &t->where, NULL);
	}
	if (n) {
		finding_set(
		        f, STATUS_FAIL,
		        "%zu client transcript(s) show HTTP 502 with the Google front end's "
		        "\"Server Error ... try again in 30 seconds\" page%s%s: the load balancer "
		        "found no healthy apigee-proxy backend",
		        n, first->host ? " from " : "", first->host ? first->host : "");
		finding_note(
		        f, "backend health and the load balancer log (statusDetails "
		           "failed_to_pick_backend) would confirm it; see XLB-005..XLB-008 for the "
		           "usual causes");
		return 0;
	}
	skip_gcloud(b, f,
	            "load balancer log entries (statusDetails failed_to_pick_backend), backend "
	            "health JSON, or a curl -v transcript of the failing call");
	return 0;
}

static int xlb_005(const struct bundle *b, const struct findings *prior, struct finding *f)
{
	(void)prior;
	skip_gcloud(b, f, "firewall rules JSON and the apigee-proxy instances' network tags");
	return 0;
}

static int xlb_006(const struct bundle *b, const struct findings *prior, struct finding *f)
{
	(void)prior;
	skip_gcloud(
	        b, f,
	        "the apigee-proxy instance template JSON (metadata ENDPOINT) and the instance's "
	        "host from the Apigee API");
	return 0;
}

static int xlb_007(const struct bundle *b, const struct findings *prior, struct finding *f)
{
	(void)prior;
	skip_gcloud(b, f,
	            "the network peerings JSON (servicenetworking-googleapis-com) and the "
	            "organization's authorizedNetwork");
	return 0;
}

static int xlb_008(const struct bundle *b, const struct findings *prior, struct finding *f)
{
	(void)prior;
	skip_gcloud(b, f,
	            "the apigee-proxy instance JSON (networkInterfaces[].network) and the "
	            "organization's authorizedNetwork");
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
		strv_release(&missing);
	}
	if (bad) {
		finding_set(f, STATUS_FAIL,
		            "%zu instance(s) lack an attachment for an environment of %s, e.g. %s: "
		            "requests routed to it get HTTP 503",
		            bad, from, first);
		finding_evidence(f, &b->org.where, NULL);
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
	  SEVERITY_HIGH,
	  "gcloud compute target-https-proxies list and ssl-certificates describe (JSON); env "
	  "group host names",
	  "Replace the load balancer's self-managed certificate with one that is valid and whose "
	  "names cover every env group host name (or fix the managed certificate's "
	  "domains)." GATHER_XLB,
	  SRC_XLB,
	  "gcloud compute target-https-proxies list --format=json; gcloud compute "
	  "ssl-certificates describe NAME --format=json" HINT_PROJECT,
	  xlb_001 },
	{ "XLB-002", "Load balancer serves a different certificate than configured", SEVERITY_HIGH,
	  "TLS probe of the load balancer host; ssl-certificates JSON",
	  "The load balancer hands out a stale or wrong certificate although the right one is "
	  "configured: open a support case with Google Cloud Customer Care." GATHER_XLB,
	  SRC_XLB,
	  "gcloud compute ssl-certificates describe NAME --format=json, and apigee-bundle collect "
	  "--project PROJECT_ID --host HOST",
	  xlb_002 },
	{ "XLB-003", "Cloud Armor denied requests", SEVERITY_MEDIUM,
	  "load balancer log entries (JSON)",
	  "A Cloud Armor security policy rejects these requests: adjust the matching rule (its "
	  "name is in jsonPayload.enforcedSecurityPolicy.name) to admit the legitimate "
	  "traffic." GATHER_XLB,
	  SRC_XLB,
	  "gcloud logging read 'jsonPayload.enforcedSecurityPolicy.outcome=\"DENY\"' "
	  "--format=json  (enable logging on the backend service first; attach the export with "
	  "--attach)",
	  xlb_003 },
	{ "XLB-004", "apigee-proxy backends cannot forward traffic", SEVERITY_HIGH,
	  "load balancer logs; backend health JSON; curl output",
	  "The load balancer finds no healthy apigee-proxy VM. Check backend health of the "
	  "managed instance group, the firewall rule for the health-check ranges (XLB-005), the "
	  "template's ENDPOINT (XLB-006) and the networks (XLB-007, XLB-008)." GATHER_XLB,
	  SRC_XLB,
	  "gcloud compute backend-services get-health BACKEND_SERVICE --global --format=json; "
	  "gcloud logging read 'jsonPayload.statusDetails=\"failed_to_pick_backend\"' "
	  "--format=json" HINT_PROJECT,
	  xlb_004 },
	{ "XLB-005", "Firewall does not admit load balancer health checks", SEVERITY_HIGH,
	  "firewall rules JSON; MIG/instance tags",
	  "Add an enabled ingress firewall rule that allows tcp:443 from 130.211.0.0/22 and "
	  "35.191.0.0/16 to the network tag the apigee-proxy instances carry (by default "
	  "gke-apigee-proxy)." GATHER_XLB,
	  SRC_XLB,
	  "gcloud compute firewall-rules list --format=json; gcloud compute instance-groups "
	  "managed list-instances MIG --region REGION --format=json" HINT_PROJECT,
	  xlb_005 },
	{ "XLB-006", "apigee-proxy template ENDPOINT does not match the instance IP", SEVERITY_HIGH,
	  "instance template JSON (metadata ENDPOINT); instances API (host)",
	  "The Apigee instance was re-created with a new IP and the template still points at the "
	  "old one: create a template with the instance's current host as ENDPOINT and roll the "
	  "managed instance group to it." GATHER_XLB,
	  SRC_XLB,
	  "gcloud compute instance-templates describe TEMPLATE --format=json; GET "
	  "https://apigee.googleapis.com/v1/organizations/ORG/instances/INSTANCE" HINT_PROJECT,
	  xlb_006 },
	{ "XLB-007", "authorizedNetwork is not the network peered with servicenetworking",
	  SEVERITY_HIGH, "organization API (authorizedNetwork); peerings JSON",
	  "Peer servicenetworking with the VPC network named by the organization's "
	  "authorizedNetwork (for a shared VPC, the host project's network), as in the "
	  "service networking step of the Apigee provisioning guide." GATHER_XLB,
	  SRC_XLB,
	  "GET https://apigee.googleapis.com/v1/organizations/ORG; gcloud compute networks "
	  "peerings list --network=NETWORK --format=json" HINT_PROJECT,
	  xlb_007 },
	{ "XLB-008", "apigee-proxy instances are on a different network than authorizedNetwork",
	  SEVERITY_HIGH, "instance group / instance JSON (networkInterfaces[].network)",
	  "The apigee-proxy instance group was created on another network than authorizedNetwork. "
	  "If the peering is right (XLB-007) the group was built wrongly: re-create it on the "
	  "authorized network or contact Google Cloud Customer Care." GATHER_XLB,
	  SRC_XLB,
	  "gcloud compute instances describe INSTANCE --zone ZONE --format=json; GET "
	  "https://apigee.googleapis.com/v1/organizations/ORG" HINT_PROJECT,
	  xlb_008 },
	{ "XLB-009", "An environment is not attached to an instance", SEVERITY_HIGH,
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
