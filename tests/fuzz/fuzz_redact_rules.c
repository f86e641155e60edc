/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz the user rules parser (YAML/JSON, validation, regcomp) and, when a file
 * parses, one line through the user-rule stage via a redactor. */
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "redact_internal.h"
#include "banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct error err = ERROR_INIT;
	struct user_rules *u = NULL;

	if (size > (64u << 10))
		return 0;
	if (user_rules_parse(data, size, "fuzz.yaml", &u, &err) == 0) {
		const char *path[3] = { "a", "b", "c" };
		size_t lens[3] = { 1, 1, 1 };

		(void)user_rules_match_path(u, path, lens, 3);
		for (size_t i = 0; i < user_rules_count(u); i++)
			(void)user_rules_name(u, i);
		user_rules_free(u);
	}
	return 0;
}
