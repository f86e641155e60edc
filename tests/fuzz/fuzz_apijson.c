/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target for the management API's pagination merge (collect/api.c,
 * api_page_merge): the input is split into pages at NUL bytes; the first byte
 * picks the list key. Each page is merged into one document like the collector
 * merges instances / attachments / envgroups answers. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "error.h"
#include "sink.h"
#include "sources.h"

#include "banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* api.c calls the sink; nothing here reaches those calls */
int sink_emit(struct sink *s, const struct member_out *m)
{
	(void)s;
	(void)m;
	return 0;
}

void sink_source(struct sink *s, const char *name, enum outcome o, const char *reason)
{
	(void)s;
	(void)name;
	(void)o;
	(void)reason;
}

void sink_add_wait(struct sink *s, int64_t ms)
{
	(void)s;
	(void)ms;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const keys[] = { "instances", "attachments", "environmentGroups",
		                            "environmentGroupAttachments" };
	json_t *acc = NULL;
	const char *key;
	size_t i = 1;

	if (size < 1 || size > (1u << 20))
		return 0;
	key = keys[data[0] % 4];
	while (i <= size) {
		const uint8_t *end = memchr(data + i, 0, size - i);
		size_t len = end ? (size_t)(end - (data + i)) : size - i;
		struct error err = ERROR_INIT;
		char *next = NULL;
		int r = api_page_merge(&acc, key, data + i, len, &next, &err);

		if (r == 0 && acc && !json_is_array(json_object_get(acc, key)))
			abort();
		if (r < 0 && next)
			abort();
		free(next);
		i += len + 1;
	}
	if (acc) {
		char *s = json_dumps(acc, JSON_COMPACT);

		free(s);
	}
	json_decref(acc);
	return 0;
}
