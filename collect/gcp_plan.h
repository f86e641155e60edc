/* SPDX-License-Identifier: Apache-2.0 */
/* What the gcloud source describes after its lists (pure, fuzzable: no process,
 * no file, no network).
 *
 * From the JSON that `gcloud compute … list --format=json` printed -- an array of
 * resources, or the REST form {"items": [...]} -- the plan names:
 *   - every SSL certificate a target HTTPS proxy uses (ssl-certificates describe);
 *   - every backend service behind the URL maps those proxies use (get-health);
 *     all backend services when no proxy or URL map could be read;
 *   - the managed instance groups behind those backend services (list-instances)
 *     and their instance templates (instance-templates describe); when the
 *     backends are only network endpoint groups (Private Service Connect) there
 *     are none, and psc_negs says why;
 * each with its project and scope from the resource URL
 * (https://www.googleapis.com/compute/v1/projects/P/regions/R/sslCertificates/N,
 * projects/P/global/..., or a bare name). At most GCP_PLAN_MAX refs per kind
 * (dropped counts the rest). Names are checked ([A-Za-z0-9._-]) before they become
 * arguments. */
#ifndef COLLECT_GCP_PLAN_H
#define COLLECT_GCP_PLAN_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

struct error;

#define GCP_PLAN_MAX 50
#define GCP_PLAN_MAX_JSON (64u << 20)

enum gcp_ref_kind {
	GCP_REF_CERT = 0, /* compute ssl-certificates describe */
	GCP_REF_HEALTH,   /* compute backend-services get-health */
	GCP_REF_MIG,      /* compute instance-groups managed list-instances */
	GCP_REF_TEMPLATE, /* compute instance-templates describe */
	GCP_REF__MAX,
};

enum gcp_scope {
	GCP_SCOPE_NONE = 0, /* a bare name */
	GCP_SCOPE_GLOBAL,
	GCP_SCOPE_REGION,
	GCP_SCOPE_ZONE,
};

struct gcp_ref {
	char *project; /* NULL: the --project */
	enum gcp_scope scope;
	char *location; /* region or zone, NULL for global */
	char *name;
};

struct gcp_json {
	const char *data; /* NULL when the list could not be read */
	size_t len;
};

struct gcp_lists {
	struct gcp_json proxies;  /* target-https-proxies list */
	struct gcp_json url_maps; /* url-maps list */
	struct gcp_json backends; /* backend-services list */
	struct gcp_json negs;     /* network-endpoint-groups list */
	struct gcp_json migs;     /* instance-groups managed list */
};

struct gcp_plan {
	struct gcp_ref *refs[GCP_REF__MAX];
	size_t n[GCP_REF__MAX];
	unsigned dropped[GCP_REF__MAX];
	unsigned psc_negs;     /* PSC network endpoint groups behind the load balancer */
	unsigned mig_backends; /* instance groups behind the load balancer */
	bool lb_known;         /* the proxies, URL maps and backend services were read */
};

/* Fills ret (gcp_plan_release it, also on failure). Lists that are not JSON are
 * ignored (the analyzer reports them); returns -ENOMEM only. */
int gcp_plan_build(const struct gcp_lists *in, struct gcp_plan *ret, struct error *err);
void gcp_plan_release(struct gcp_plan *p);

/* Parse a resource URL or path into ref (ref->name is the last segment). Returns
 * -EINVAL when the name is not a safe argument. */
int gcp_ref_parse(const char *url, struct gcp_ref *ret);
void gcp_ref_release(struct gcp_ref *r);

/* The networks (URLs as printed) of an instance template describe answer, added
 * to ret without duplicates. Not JSON: nothing added. */
int gcp_template_networks(const char *data, size_t len, struct strv *ret);

/* authorizedNetwork of an organization answer: ret_project (NULL when the value
 * names no project) and ret_name, both malloc'd; -ENOENT when there is none,
 * -EINVAL when it is not a safe name. *ret_no_peering is set when the
 * organization says disableVpcPeering (Private Service Connect only). */
int gcp_authorized_network(const char *data, size_t len, char **ret_project, char **ret_name,
                           bool *ret_no_peering);

#endif
