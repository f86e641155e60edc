/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz the whole ingest path: the input is written to a temporary file and opened
 * as a bundle (archive, compressed file or loose file), as `analyze` does. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "bundle.h"
#include "error.h"
#include "banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[] = "/tmp/fuzz-bundle-XXXXXX";
	struct bundle_options opts = { .now = 1700000000, .max_total_bytes = 64u << 20 };
	struct error err = ERROR_INIT;
	struct bundle *b = NULL;
	int fd = mkstemp(path);

	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		unlink(path);
		return 0;
	}
	close(fd);
	if (bundle_open(path, &opts, &b, &err) == 0)
		bundle_free(b);
	unlink(path);
	return 0;
}
