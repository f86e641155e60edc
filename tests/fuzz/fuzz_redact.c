/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz a redaction pass, the line rules and the leak scan. Built twice: as
 * fuzz_redact for the text and JSON passes (member "x.log": the JSON tokenizer
 * over log lines and documents) and, with -DFUZZ_MEMBER='"overrides.yaml"', as
 * fuzz_redact_yaml for the YAML key-path pass (indentation, block scalars, flow
 * collections). The first byte picks the chunk size (streaming splits lines
 * anywhere) and whether pseudonymization is on. */
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "redact.h"
#include "banned.h"

#ifndef FUZZ_MEMBER
#define FUZZ_MEMBER "x.log"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int sink(void *ud, const void *d, size_t n)
{
	return leak_scan_write(ud, d, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct redactor *plain, *pseudo;
	struct error err = ERROR_INIT;
	struct redact_stream *s;
	struct leak_scan *scan;
	struct leak_hit hit;
	struct redactor *r;
	size_t chunk;

	if (size < 1 || size > (1u << 20))
		return 0;
	if (!plain) {
		struct redact_options o = { 0 };

		if (redactor_new(&o, &plain, &err) < 0)
			return 0;
		o.pseudonymize = true;
		if (redactor_new(&o, &pseudo, &err) < 0)
			return 0;
	}
	r = data[0] & 0x80 ? pseudo : plain;
	chunk = (size_t)(data[0] & 0x7f) + 1;
	data++;
	size--;
	if (redact_stream_begin(r, FUZZ_MEMBER, &s) < 0)
		return 0;
	if (leak_scan_begin(FUZZ_MEMBER, &scan) < 0) {
		redact_stream_end(s, sink, NULL);
		return 0;
	}
	for (size_t off = 0; off < size; off += chunk) {
		size_t n = size - off < chunk ? size - off : chunk;

		if (redact_stream_write(s, data + off, n, sink, scan) < 0)
			break;
	}
	redact_stream_end(s, sink, scan);
	leak_scan_end(scan, &hit);
	return 0;
}
