/* SPDX-License-Identifier: Apache-2.0 */
/* The output's manifest.json, written entry by entry so that memory stays flat in
 * the number of members: the (redacted) input manifest is read from a file one
 * JSON value at a time (jansson, JSON_DISABLE_EOF_CHECK), each artifacts entry is
 * updated and written out at once, and the members without an entry are added at
 * the end. The text is what json_dumps(JSON_INDENT(2)) makes of the whole
 * document updated the same way:
 *
 *   - the first entry naming an output member gets its size and sha256 (and
 *     what annotate() adds);
 *   - an entry with a sha256 whose path is not in the output loses size and
 *     sha256;
 *   - every output member without an entry gets {"path", "source": {"type":
 *     "collector"}, "status": "ok", "size", "sha256"}, in output order;
 *   - no "artifacts" array: one is made (in place of a non-array, else last).
 *
 * Returns 0, 1 when the text is not one JSON object (the caller then keeps it as
 * it is, and discards what was written), or -errno. */
#ifndef REDACT_MANIFEST_OUT_H
#define REDACT_MANIFEST_OUT_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "archive_out.h"
#include "redact.h"

struct manifest_out {
	const struct archive_out_member *members; /* the output's, in order */
	size_t n_members;
	/* is this path a member of the output (also one made after the list)? */
	bool (*in_output)(void *userdata, const char *path);
	void *userdata;
	/* optional: more facts on the entry of an output member (after its digest) */
	int (*annotate)(void *userdata, json_t *entry, const char *path);
	size_t max_value; /* bytes one JSON value may take */
};

int manifest_out_write(const struct manifest_out *o, int fd, redact_out_fn fn, void *userdata);

#endif
