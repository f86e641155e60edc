/* SPDX-License-Identifier: Apache-2.0 */
/* Writing to a file descriptor. */
#ifndef CORE_FDIO_H
#define CORE_FDIO_H

#include <stddef.h>

/* Write all len bytes of data to fd, again after EINTR and short writes.
 * 0, or -errno. */
int fd_write_all(int fd, const void *data, size_t len);

#endif
