/* SPDX-License-Identifier: Apache-2.0 */
/* Inflating a gzip'd member as it streams past (see gunzip.h). */
#include "gunzip.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h"

#define GUNZIP_OUT (64u << 10)

bool gunzip_magic(const void *data, size_t len)
{
	const unsigned char *p = data;

	return len >= 3 && p[0] == 0x1f && p[1] == 0x8b && p[2] == 8;
}

int gunzip_init(struct gunzip *g)
{
	memset(g, 0, sizeof(*g));
	g->out = malloc(GUNZIP_OUT);
	if (!g->out)
		return -ENOMEM;
	if (inflateInit2(&g->z, 16 + MAX_WBITS) != Z_OK) {
		free(g->out);
		g->out = NULL;
		return -ENOMEM;
	}
	g->ready = true;
	return 0;
}

/* A gzip member ended: another may follow; anything else is ignored. */
static void member_end(struct gunzip *g)
{
	g->state = GUNZIP_DONE;
	if (g->z.avail_in && gunzip_magic(g->z.next_in, g->z.avail_in) &&
	    inflateReset(&g->z) == Z_OK)
		g->state = GUNZIP_RUNNING;
}

int gunzip_feed(struct gunzip *g, const void *data, size_t len, gunzip_fn fn, void *userdata)
{
	if (!g->ready)
		return -ENOMEM;
	/* after a member's end, the next one starts with the magic (checked on the
	 * first bytes that come) */
	if (g->state == GUNZIP_DONE && len && g->z.avail_in == 0 && gunzip_magic(data, len) &&
	    inflateReset(&g->z) == Z_OK)
		g->state = GUNZIP_RUNNING;
	if (g->state != GUNZIP_RUNNING)
		return 0;
	g->z.next_in = (Bytef *)(uintptr_t)data;
	g->z.avail_in = (uInt)len;
	while (g->state == GUNZIP_RUNNING && (g->z.avail_in || g->z.avail_out == 0)) {
		uInt before = g->z.avail_in;
		int zr, rc;
		size_t n;

		g->z.next_out = g->out;
		g->z.avail_out = GUNZIP_OUT;
		zr = inflate(&g->z, Z_NO_FLUSH);
		g->packed_in += before - g->z.avail_in;
		n = GUNZIP_OUT - g->z.avail_out;
		if (n) {
			g->inflated += n;
			if ((rc = fn(userdata, g->out, n)) < 0)
				return rc;
		}
		if (zr == Z_STREAM_END) {
			member_end(g);
		} else if (zr == Z_MEM_ERROR) {
			return -ENOMEM;
		} else if (zr != Z_OK && zr != Z_BUF_ERROR) {
			g->state = GUNZIP_CORRUPT;
			g->bad_at = g->packed_in;
			snprintf(g->why, sizeof(g->why), "%s",
			         g->z.msg ? g->z.msg : "corrupt data");
		} else if (zr == Z_BUF_ERROR && g->z.avail_in == 0) {
			break;
		}
	}
	g->z.avail_in = 0;
	return 0;
}

enum gunzip_state gunzip_end(struct gunzip *g)
{
	if (g->state == GUNZIP_RUNNING)
		g->state = GUNZIP_TRUNCATED;
	return g->state;
}

void gunzip_release(struct gunzip *g)
{
	if (g->ready)
		inflateEnd(&g->z);
	g->ready = false;
	free(g->out);
	g->out = NULL;
}
