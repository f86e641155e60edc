/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz the gcloud / Cloud Logging recogniser (core/ingest_gcp.c) on one JSON value,
 * and the CIDR and network-name parsers on the raw text. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "bundle.h"
#include "gcp.h"
#include "banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct artifact a = { .path = (char *)"gcp/fuzz.json" };
	struct bundle *b = calloc(1, sizeof(*b));
	char *text = malloc(size + 1);
	json_t *v;

	if (!b || !text) {
		free(b);
		free(text);
		return 0;
	}
	memcpy(text, data, size);
	text[size] = '\0';
	{
		struct cidr4 c, d;

		if (cidr4_parse(text, &c) == 0 && cidr4_parse("130.211.0.0/22", &d) == 0)
			(void)(cidr4_covers(&c, &d) + cidr4_overlaps(&c, &d));
		(void)gcp_network_same(text, "projects/p/global/networks/default");
		(void)gcp_short_name(text);
	}
	v = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
	if (v) {
		(void)ingest_gcp_value(b, &a, v, "");
		json_decref(v);
	}
	free(text);
	bundle_free(b);
	return 0;
}
