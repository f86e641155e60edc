/* SPDX-License-Identifier: Apache-2.0 */
/* The bundle model: locators, array growth, enum names. */
#include "model.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "banned.h"

static int dup_or_null(char **dst, const char *src)
{
	char *p = NULL;

	if (src) {
		p = strdup(src);
		if (!p)
			return -ENOMEM;
	}
	free(*dst);
	*dst = p;
	return 0;
}

int loc_set(struct loc *l, const char *artifact, unsigned line, const char *pointer,
            const char *excerpt)
{
	if (dup_or_null(&l->artifact, artifact) < 0 || dup_or_null(&l->pointer, pointer) < 0 ||
	    dup_or_null(&l->excerpt, excerpt) < 0)
		return -ENOMEM;
	l->line = line;
	return 0;
}

int loc_copy(struct loc *dst, const struct loc *src)
{
	return loc_set(dst, src->artifact, src->line, src->pointer, src->excerpt);
}

void loc_release(struct loc *l)
{
	if (!l)
		return;
	FREE_AND_NULL(l->artifact);
	FREE_AND_NULL(l->pointer);
	FREE_AND_NULL(l->excerpt);
	l->line = 0;
}

int model_grow(void **v, size_t *cap, size_t n, size_t elem)
{
	size_t ncap;
	void *p;

	if (n < *cap)
		return 0;
	if (n >= MODEL_MAX_ITEMS)
		return -ERANGE;
	ncap = *cap ? *cap * 2 : 8;
	if (ncap > MODEL_MAX_ITEMS)
		ncap = MODEL_MAX_ITEMS;
	p = realloc(*v, ncap * elem);
	if (!p)
		return -ENOMEM;
	memset((char *)p + *cap * elem, 0, (ncap - *cap) * elem);
	*v = p;
	*cap = ncap;
	return 0;
}

static const char *const probe_outcome_names[PROBE__MAX] = {
	[PROBE_OK] = "ok",       [PROBE_RESET] = "reset",     [PROBE_EOF] = "eof",
	[PROBE_ALERT] = "alert", [PROBE_TIMEOUT] = "timeout", [PROBE_REFUSED] = "refused",
	[PROBE_DNS] = "dns",     [PROBE_ERROR] = "error",
};

const char *probe_outcome_name(enum probe_outcome o)
{
	if (o < 0 || o >= PROBE__MAX)
		return "invalid";
	return probe_outcome_names[o];
}

enum probe_outcome probe_outcome_from_name(const char *s)
{
	for (int i = 0; i < PROBE__MAX; i++)
		if (s && strcmp(s, probe_outcome_names[i]) == 0)
			return (enum probe_outcome)i;
	return PROBE__INVALID;
}

static const char *const artifact_kind_names[ART__MAX] = {
	[ART_UNKNOWN] = "unknown",
	[ART_MANIFEST] = "manifest",
	[ART_REDACTION] = "redaction-report",
	[ART_OVERRIDES] = "overrides",
	[ART_K8S_JSON] = "kubernetes-objects",
	[ART_K8S_TABLE] = "kubectl-table",
	[ART_K8S_DESCRIBE] = "kubectl-describe",
	[ART_ACCESS_LOG] = "ingress-access-log",
	[ART_WATCHER_LOG] = "watcher-log",
	[ART_CURL] = "curl-transcript",
	[ART_SCLIENT] = "openssl-s_client",
	[ART_PEM] = "pem",
	[ART_API_JSON] = "management-api",
	[ART_GCP_JSON] = "gcloud-json",
	[ART_COLLECTOR_JSON] = "collector-facts",
	[ART_TEXT] = "text",
	[ART_BINARY] = "binary",
	[ART_CAPTURE] = "packet-capture",
};

const char *artifact_kind_name(enum artifact_kind k)
{
	if (k < 0 || k >= ART__MAX)
		return "invalid";
	return artifact_kind_names[k];
}
