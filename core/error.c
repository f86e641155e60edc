/* SPDX-License-Identifier: Apache-2.0 */
/* The error struct: setting, excerpts and formatting. */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "text.h"
#include "banned.h"

int error_set(struct error *err, int code, const char *source, unsigned line, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return code;
	memset(err, 0, sizeof(*err));
	err->code = code;
	err->line = line;
	if (source)
		snprintf(err->source, sizeof(err->source), "%s", source);
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	return code;
}

void error_excerpt(struct error *err, const char *data, size_t len)
{
	if (!err)
		return;
	text_escape(data, len, err->excerpt, sizeof(err->excerpt));
}

void error_reset(struct error *err)
{
	if (err)
		memset(err, 0, sizeof(*err));
}

void error_format(const struct error *err, char *out, size_t size)
{
	if (err->source[0] && err->line)
		snprintf(out, size, "%s:%u: %s", err->source, err->line, err->message);
	else if (err->source[0])
		snprintf(out, size, "%s: %s", err->source, err->message);
	else
		snprintf(out, size, "%s", err->message);
}
