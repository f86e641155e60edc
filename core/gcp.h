/* SPDX-License-Identifier: Apache-2.0 */
/* Google Cloud facts: recognise gcloud JSON (`gcloud ... --format=json` lists and
 * describes, the Compute REST answers, `networks get-effective-firewalls`,
 * `backend-services get-health`) and Cloud Logging entries by their content, and
 * fill struct gcp_facts (model.h). Also the two pieces of network arithmetic the
 * XLB checks need: IPv4 CIDR coverage and VPC network name comparison. */
#ifndef CORE_GCP_H
#define CORE_GCP_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

struct artifact;
struct bundle;
struct gcp_facts;

/* One JSON value (a whole document, or one YAML document). 1 = recognised,
 * 0 = not a Google Cloud shape, -ENOMEM. */
int ingest_gcp_value(struct bundle *b, struct artifact *a, const json_t *v, const char *ptr);

void gcp_facts_release(struct gcp_facts *g);

/* IPv4 CIDR ("130.211.0.0/22"; a bare address is a /32). 0, or -EINVAL when the
 * text is not one (IPv6 ranges are -EINVAL too: no IPv6 range matters here). */
struct cidr4 {
	uint32_t addr; /* host order, masked to the prefix */
	unsigned len;  /* 0..32 */
};

int cidr4_parse(const char *s, struct cidr4 *ret);
/* every address of inner is in outer */
bool cidr4_covers(const struct cidr4 *outer, const struct cidr4 *inner);
/* the two ranges share at least one address */
bool cidr4_overlaps(const struct cidr4 *x, const struct cidr4 *y);

/* A VPC network as written anywhere: "default", "global/networks/default",
 * "projects/P/global/networks/default", or a full compute URL. The project is
 * compared only when both forms carry one. */
bool gcp_network_same(const char *x, const char *y);
/* The network's name ("default") and project ("P", NULL when not written);
 * pointers into s, with lengths. */
void gcp_network_split(const char *s, const char **name, size_t *name_len, const char **project,
                       size_t *project_len);
/* Last path segment of a resource URL or path ("cert1" for .../sslCertificates/cert1). */
const char *gcp_short_name(const char *s);

#endif
