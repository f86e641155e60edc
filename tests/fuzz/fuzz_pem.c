/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz the PEM/DER certificate and key parser: block scanning, error classes,
 * certificate facts, host matching and the JSON forms of what it found. */
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "error.h"
#include "pem.h"
#include "banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct error err = ERROR_INIT;
	struct pem_file f;
	struct key_facts k;
	enum pem_error e;

	if (size > (1u << 20))
		return 0;
	if (pem_file_parse(data, size, &f, &err) == 0) {
		for (size_t i = 0; i < f.n_items; i++) {
			const struct pem_item *it = &f.items[i];
			struct cert_facts back;
			json_t *j;

			if (it->kind != PEM_ITEM_CERT || it->error != PEM_OK)
				continue;
			(void)cert_covers_host(&it->cert, "a.example.com", NULL);
			(void)cert_covers_host(&it->cert, "10.0.0.1", NULL);
			j = cert_facts_to_json(&it->cert);
			if (j && cert_facts_from_json(j, &back, &err) == 0)
				cert_facts_release(&back);
			json_decref(j);
		}
		pem_file_release(&f);
	}
	if (pem_parse_cert_file(data, size, &f, &e, &err) == 0)
		pem_file_release(&f);
	if (pem_parse_key_file(data, size, &k, &err) == 0) {
		json_t *j = key_facts_to_json(&k);

		json_decref(j);
		key_facts_release(&k);
	}
	return 0;
}
