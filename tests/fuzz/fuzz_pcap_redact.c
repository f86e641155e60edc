/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz the capture rewriter (redact/pcap_redact.c, pcap_hello.c): the first byte
 * chooses pseudonymization (bit 0) and whether the capture goes through the
 * redaction stream in small pieces (bit 1; gzip'd captures, side documents) or
 * straight to pcap_redact_fd(); the rest is a pcap or pcapng file. Whatever it
 * writes must be a capture the analyzer's reader takes again. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bundle.h"
#include "capture.h"
#include "error.h"
#include "pcap_redact.h"
#include "redact.h"
#include "banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int drop(void *ud, const void *d, size_t n)
{
	(void)ud;
	(void)d;
	(void)n;
	return 0;
}

static void reread(int fd)
{
	struct bundle *b = calloc(1, sizeof(*b));
	FILE *f;

	if (!b)
		return;
	b->artifacts = calloc(1, sizeof(*b->artifacts));
	if (b->artifacts) {
		b->cap_artifacts = b->n_artifacts = 1;
		b->artifacts[0].path = strdup("out.pcap");
		lseek(fd, 0, SEEK_SET);
		f = fdopen(dup(fd), "rb");
		if (f && b->artifacts[0].path) {
			(void)capture_read_file(b, 0, f);
			/* what we write, libpcap reads back */
			if (b->artifacts[0].failed)
				abort();
		} else if (f) {
			fclose(f);
		}
	}
	bundle_free(b);
}

static void via_stream(struct redactor *r, const uint8_t *data, size_t size)
{
	struct redact_stream *s;
	char *name;
	struct buf side;

	if (redact_stream_begin(r, "captures/fuzz.pcap", &s) < 0)
		return;
	for (size_t off = 0; off < size; off += 97)
		if (redact_stream_write(s, data + off, size - off < 97 ? size - off : 97, drop,
		                        NULL) < 0)
			break;
	redact_stream_end(s, drop, NULL);
	while (redactor_take_side(r, &name, &side) == 1) {
		free(name);
		buf_release(&side);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct redactor *plain, *pseudo;
	struct error err = ERROR_INIT;
	struct pcap_redact_result res;
	struct redactor *r;
	int in, out;

	if (size < 2 || size > (4u << 20))
		return 0;
	memset(&res, 0, sizeof(res));
	if (!plain) {
		struct redact_options o = { 0 };

		if (redactor_new(&o, &plain, &err) < 0)
			return 0;
		o.pseudonymize = true;
		if (redactor_new(&o, &pseudo, &err) < 0)
			return 0;
	}
	r = data[0] & 1 ? pseudo : plain;
	if (data[0] & 2) {
		via_stream(r, data + 1, size - 1);
		return 0;
	}
	in = memfd_create("in", MFD_CLOEXEC);
	out = memfd_create("out", MFD_CLOEXEC);
	if (in >= 0 && out >= 0 && write(in, data + 1, size - 1) == (ssize_t)(size - 1) &&
	    pcap_redact_fd(r, in, out, &res) == 0)
		reread(out);
	pcap_redact_result_release(&res);
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	return 0;
}
