/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz the whole-member kind scanner (redact/kindscan.c): the input in two pieces
 * (the first byte says where it is cut), then a question for every line start and
 * every '{'. */
#include <stddef.h>
#include <stdint.h>

#include "kindscan.h"
#include "banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kindscan *k = NULL;
	size_t cut;

	if (size < 1 || size > (1u << 20) || kindscan_new(&k) < 0)
		return 0;
	cut = (size_t)data[0] * size / 256;
	data++;
	size--;
	if (cut > size)
		cut = size;
	if (kindscan_feed(k, data, cut) == 0 && kindscan_feed(k, data + cut, size - cut) == 0 &&
	    kindscan_end(k) == 0) {
		for (size_t i = 0; i < size; i++) {
			if (i == 0 || data[i - 1] == '\n')
				(void)kindscan_yaml(k, i, 2);
			if (data[i] == '{')
				(void)kindscan_json(k, i);
		}
	}
	kindscan_free(k);
	return 0;
}
