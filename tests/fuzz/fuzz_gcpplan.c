/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target for the gcloud source's plan (collect/gcp_plan.c): the input is
 * split at NUL bytes into the five list answers (target HTTPS proxies, URL maps,
 * backend services, network endpoint groups, managed instance groups); the
 * first part is also read as an organization (authorizedNetwork) and as an
 * instance template (networks). */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "error.h"
#include "gcp_plan.h"
#include "banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gcp_json parts[5];
	struct gcp_lists in;
	struct gcp_plan plan;
	struct error err = ERROR_INIT;
	struct strv nets = STRV_INIT;
	const char *p = (const char *)data, *end = p + size;
	char *project = NULL, *name = NULL;
	bool no_peering;

	memset(parts, 0, sizeof(parts));
	for (int i = 0; i < 5 && p <= end; i++) {
		const char *nul = memchr(p, '\0', (size_t)(end - p));
		size_t n = nul ? (size_t)(nul - p) : (size_t)(end - p);

		parts[i].data = p;
		parts[i].len = n;
		p += n + 1;
	}
	in.proxies = parts[0];
	in.url_maps = parts[1];
	in.backends = parts[2];
	in.negs = parts[3];
	in.migs = parts[4];
	gcp_plan_build(&in, &plan, &err);
	gcp_plan_release(&plan);
	if (parts[0].data) {
		gcp_template_networks(parts[0].data, parts[0].len, &nets);
		gcp_authorized_network(parts[0].data, parts[0].len, &project, &name, &no_peering);
	}
	strv_release(&nets);
	free(project);
	free(name);
	return 0;
}
