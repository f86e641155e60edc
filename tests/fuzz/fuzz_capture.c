/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz the capture reader (core/capture.c with tcpflow.c and tlsparse.c): the
 * input is a pcap or pcapng file, read by libpcap from memory, every frame
 * decoded, TCP followed and TLS parsed, the facts moved into a bundle. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bundle.h"
#include "capture.h"
#include "banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bundle *b;
	FILE *f;

	if (size == 0 || size > (4u << 20))
		return 0;
	(void)capture_sniff(data, size);
	b = calloc(1, sizeof(*b));
	if (!b)
		return 0;
	b->artifacts = calloc(1, sizeof(*b->artifacts));
	if (b->artifacts) {
		b->cap_artifacts = b->n_artifacts = 1;
		b->artifacts[0].path = strdup("fuzz.pcap");
		f = fmemopen((void *)(uintptr_t)data, size, "rb");
		if (f && b->artifacts[0].path)
			(void)capture_read_file(b, 0, f);
		else if (f)
			fclose(f);
	}
	bundle_free(b);
	return 0;
}
