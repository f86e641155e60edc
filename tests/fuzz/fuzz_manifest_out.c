/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz the streaming manifest rewriter (redact/manifest_out.c): any text as the
 * input manifest, a few output members; the result must be one JSON document
 * whenever the rewriter says it wrote one. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "buf.h"
#include "fdio.h"
#include "manifest_out.h"
#include "banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int to_buf(void *userdata, const void *d, size_t n)
{
	return buf_append(userdata, d, n);
}

static bool in_output(void *userdata, const char *path)
{
	(void)userdata;
	return strcmp(path, "a.log") == 0 || strcmp(path, "b/c.txt") == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char p0[] = "a.log", p1[] = "b/c.txt";
	struct archive_out_member members[2] = { { p0, 3, "" }, { p1, 5, "" } };
	struct manifest_out mo = {
		.members = members, .n_members = 2, .in_output = in_output, .max_value = 1u << 20
	};
	struct buf out = BUF_INIT;
	FILE *f = tmpfile();
	int rc;

	if (!f || size > (1u << 20)) {
		if (f)
			fclose(f);
		return 0;
	}
	memset(members[0].sha256, 'a', 64);
	memset(members[1].sha256, 'b', 64);
	if (fd_write_all(fileno(f), data, size) == 0) {
		rc = manifest_out_write(&mo, fileno(f), to_buf, &out);
		if (rc == 0) {
			json_error_t e;
			json_t *doc = json_loadb(out.data ? out.data : "", out.len, 0, &e);

			if (!json_is_object(doc))
				abort();
			json_decref(doc);
		}
	}
	buf_release(&out);
	fclose(f);
	return 0;
}
