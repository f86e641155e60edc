/* SPDX-License-Identifier: Apache-2.0 */
#include "fdio.h"

#include <errno.h>
#include <unistd.h>

#include "banned.h"

int fd_write_all(int fd, const void *data, size_t len)
{
	const unsigned char *p = data;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}
