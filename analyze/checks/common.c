/* Helpers shared by the check families: missing and unreadable inputs. */
#include "common.h"

#include <stddef.h>

#include "bundle.h"
#include "findings.h"
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
