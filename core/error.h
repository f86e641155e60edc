/* SPDX-License-Identifier: Apache-2.0 */
/* The error struct passed last to every function that can fail.
 *
 * Filled only on failure. Messages start lower-case, have no final full stop and
 * quote names: "cannot parse 'overrides.yaml'". source is the bundle member, file or
 * URL concerned; line is 1-based (0 = unknown); excerpt is a short, already
 * sanitised piece of the offending input (never a secret). */
#ifndef CORE_ERROR_H
#define CORE_ERROR_H

#include <stddef.h>

struct error {
	int code; /* negative errno-style */
	char message[512];
	char source[512];
	unsigned line;
	char excerpt[160];
};

#define ERROR_INIT \
	{          \
		0  \
	}

/* Set err (if not NULL) and return code, which must be negative. */
int error_set(struct error *err, int code, const char *source, unsigned line, const char *fmt, ...)
        __attribute__((format(printf, 5, 6)));

/* Attach a printable excerpt of data (control bytes escaped, truncated). */
void error_excerpt(struct error *err, const char *data, size_t len);

/* Clear err. */
void error_reset(struct error *err);

/* Format "source:line: message" into out. */
void error_format(const struct error *err, char *out, size_t size);

#endif
