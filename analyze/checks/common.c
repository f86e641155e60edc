/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers shared by the check families: missing and unreadable inputs, names. */
#include "common.h"

#include <stddef.h>
#include <string.h>

#include "bundle.h"
#include "findings.h"
#include "model.h"
#include "banned.h"

const struct artifact *check_unreadable(const struct bundle *b, unsigned hints)
{
	for (size_t i = 0; i < b->n_artifacts; i++)
		if (b->artifacts[i].failed && (b->artifacts[i].hints & hints))
			return &b->artifacts[i];
	return NULL;
}

void check_skip_or_error(const struct bundle *b, struct finding *f, unsigned hints,
                         const char *missing, const char *hint)
{
	const struct artifact *a = check_unreadable(b, hints);

	if (a) {
		finding_set(f, STATUS_ERROR, "%s could not be read: %s", a->path,
		            a->error ? a->error : "unreadable");
		finding_evidence_at(f, a->path, a->error_line, NULL, a->error);
		return;
	}
	finding_skip(f, missing, hint);
}

void check_note_unreadable(const struct bundle *b, struct finding *f, unsigned hints)
{
	for (size_t i = 0; i < b->n_artifacts; i++) {
		const struct artifact *a = &b->artifacts[i];

		if (a->failed && (a->hints & hints))
			finding_note(f,
			             "%s could not be read (%s); the verdict is based on the rest",
			             a->path, a->error ? a->error : "unreadable");
	}
}

bool name_has_token(const char *hay, const char *needle)
{
	size_t n = strlen(needle);

	if (!n)
		return false;
	for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
		if ((p == hay || p[-1] == '-') && (p[n] == '\0' || p[n] == '-'))
			return true;
	return false;
}

const struct api_envgroup *envgroup_named(const struct bundle *b, const char *name)
{
	for (size_t i = 0; i < b->n_envgroups; i++)
		if (strcmp(b->envgroups[i].name, name) == 0)
			return &b->envgroups[i];
	return NULL;
}
