/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz the YAML-to-JSON converter (alias and depth limits included). */
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "error.h"
#include "yamljson.h"
#include "banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct error err = ERROR_INIT;
	json_t *docs = NULL;

	if (size > (1u << 20))
		return 0;
	if (yamljson_parse(data, size, "fuzz", &docs, &err) == 0)
		json_decref(docs);
	return 0;
}
