/* SPDX-License-Identifier: Apache-2.0 */
/* The streaming UTF-16 -> UTF-8 decoder (see utf16.h). */
#include "utf16.h"

#include <stdint.h>
#include <string.h>

#include "banned.h"

static void put_utf8(unsigned char *out, size_t *o, uint32_t cp)
{
	if (cp < 0x80) {
		out[(*o)++] = (unsigned char)cp;
	} else if (cp < 0x800) {
		out[(*o)++] = (unsigned char)(0xC0 | (cp >> 6));
		out[(*o)++] = (unsigned char)(0x80 | (cp & 0x3F));
	} else if (cp < 0x10000) {
		out[(*o)++] = (unsigned char)(0xE0 | (cp >> 12));
		out[(*o)++] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
		out[(*o)++] = (unsigned char)(0x80 | (cp & 0x3F));
	} else {
		out[(*o)++] = (unsigned char)(0xF0 | (cp >> 18));
		out[(*o)++] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
		out[(*o)++] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
		out[(*o)++] = (unsigned char)(0x80 | (cp & 0x3F));
	}
}

static uint32_t unit(const struct utf16_dec *d, size_t at)
{
	return d->enc == UTF16_LE ? (uint32_t)(d->pend[at] | (d->pend[at + 1] << 8))
	                          : (uint32_t)((d->pend[at] << 8) | d->pend[at + 1]);
}

/* Decode one chunk (pending bytes first). */
static int decode(struct utf16_dec *d, const unsigned char *p, size_t len, utf16_out_fn out,
                  void *ud)
{
	enum {
		CHUNK = 4096
	};
	unsigned char o8[CHUNK * 2 + 8];
	size_t o = 0, i = 0;

	while (i < len) {
		uint32_t u;
		int r;

		while (d->n_pend < 2 && i < len)
			d->pend[d->n_pend++] = p[i++];
		if (d->n_pend < 2)
			break;
		u = unit(d, 0);
		if (u >= 0xD800 && u < 0xDC00) {
			uint32_t lo;

			while (d->n_pend < 4 && i < len)
				d->pend[d->n_pend++] = p[i++];
			if (d->n_pend < 4)
				break;
			lo = unit(d, 2);
			if (lo >= 0xDC00 && lo < 0xE000) {
				put_utf8(o8, &o, 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00));
				d->n_pend = 0;
			} else {
				put_utf8(o8, &o, 0xFFFD);
				memmove(d->pend, d->pend + 2, 2);
				d->n_pend = 2;
				continue;
			}
		} else {
			put_utf8(o8, &o, u >= 0xDC00 && u < 0xE000 ? 0xFFFD : u);
			d->n_pend = 0;
		}
		if (o >= CHUNK * 2) {
			r = out(ud, o8, o);
			if (r < 0)
				return r;
			o = 0;
		}
	}
	return o ? out(ud, o8, o) : 0;
}

int utf16_feed(struct utf16_dec *d, const void *data, size_t len, utf16_out_fn out, void *ud)
{
	const unsigned char *p = data;

	if (d->enc == UTF16_SNIFF) {
		/* the first two bytes decide; a member of one byte is not UTF-16 */
		while (d->n_pend < 2 && len) {
			d->pend[d->n_pend++] = *p++;
			len--;
		}
		if (d->n_pend < 2)
			return 0;
		if (d->pend[0] == 0xFF && d->pend[1] == 0xFE)
			d->enc = UTF16_LE;
		else if (d->pend[0] == 0xFE && d->pend[1] == 0xFF)
			d->enc = UTF16_BE;
		else
			d->enc = UTF16_NONE;
		d->n_pend = 0; /* a BOM is dropped */
		if (d->enc == UTF16_NONE) {
			unsigned char first[2] = { d->pend[0], d->pend[1] };
			int r = out(ud, first, 2);

			if (r < 0)
				return r;
		}
	}
	if (!len)
		return 0;
	if (d->enc == UTF16_NONE)
		return out(ud, p, len);
	return decode(d, p, len, out, ud);
}

int utf16_end(struct utf16_dec *d, utf16_out_fn out, void *ud)
{
	if (d->enc == UTF16_SNIFF && d->n_pend) {
		unsigned char c = d->pend[0];

		d->enc = UTF16_NONE;
		d->n_pend = 0;
		return out(ud, &c, 1);
	}
	if (utf16_decoding(d) && d->n_pend) {
		static const unsigned char rep[3] = { 0xEF, 0xBF, 0xBD };

		d->n_pend = 0;
		return out(ud, rep, sizeof(rep));
	}
	return 0;
}
