/* SPDX-License-Identifier: Apache-2.0 */
/* UTF-16 with a byte order mark (what Windows PowerShell writes with `>`) decoded
 * to UTF-8 as a stream: the one decoder analyze (core/ingest.c) and redact
 * (redact/redact.c) share.
 *
 *   struct utf16_dec d = UTF16_DEC_INIT;
 *   utf16_feed(&d, data, len, out, ud) any number of times;
 *   utf16_end(&d, out, ud);
 *
 * The first two bytes decide: FF FE is UTF-16LE, FE FF UTF-16BE (the BOM is
 * dropped); anything else passes through unchanged. A lone surrogate or an odd
 * last byte becomes U+FFFD. */
#ifndef CORE_UTF16_H
#define CORE_UTF16_H

#include <stdbool.h>
#include <stddef.h>

enum utf16_enc {
	UTF16_SNIFF = 0,
	UTF16_NONE, /* not UTF-16: bytes pass through */
	UTF16_LE,
	UTF16_BE,
};

struct utf16_dec {
	enum utf16_enc enc;
	unsigned char pend[4]; /* an odd byte, or a high surrogate waiting for its pair */
	size_t n_pend;
};

#define UTF16_DEC_INIT                \
	{                             \
		UTF16_SNIFF, { 0 }, 0 \
	}

typedef int (*utf16_out_fn)(void *userdata, const void *data, size_t len);

/* 0, or out's negative value. */
int utf16_feed(struct utf16_dec *d, const void *data, size_t len, utf16_out_fn out, void *userdata);
int utf16_end(struct utf16_dec *d, utf16_out_fn out, void *userdata);

static inline bool utf16_decoding(const struct utf16_dec *d)
{
	return d->enc == UTF16_LE || d->enc == UTF16_BE;
}

#endif
