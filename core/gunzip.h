/* SPDX-License-Identifier: Apache-2.0 */
/* A gzip'd member inside the input, inflated as it streams past (zlib): analyze
 * reads rotated logs (x.log.gz) as the text they hold, and says where one that was
 * cut short ends. Multi-member gzip (cat a.gz b.gz) is read whole; bytes after the
 * last member that are no gzip are ignored, as gzip(1) does.
 *
 *   struct gunzip g;
 *   gunzip_init(&g);
 *   gunzip_feed(&g, data, len, fn, userdata) ...  (fn gets the inflated bytes)
 *   gunzip_end(&g)  ->  GUNZIP_DONE, GUNZIP_TRUNCATED or GUNZIP_CORRUPT
 *   gunzip_release(&g); */
#ifndef CORE_GUNZIP_H
#define CORE_GUNZIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <zlib.h>

/* gzip's magic: a member starting so is inflated */
bool gunzip_magic(const void *data, size_t len);

enum gunzip_state {
	GUNZIP_RUNNING = 0,
	GUNZIP_DONE,      /* the last gzip member ended */
	GUNZIP_TRUNCATED, /* the data ended inside a gzip member */
	GUNZIP_CORRUPT,   /* not inflatable from here on: the rest is ignored */
	GUNZIP__STATE_MAX,
	GUNZIP__STATE_INVALID = -22,
};

struct gunzip {
	z_stream z;
	bool ready;
	enum gunzip_state state;
	uint64_t packed_in; /* compressed bytes fed */
	uint64_t inflated;  /* bytes given to fn */
	uint64_t bad_at;    /* GUNZIP_CORRUPT: the compressed byte where it broke */
	char why[128];      /* GUNZIP_CORRUPT: zlib's message */
	unsigned char *out;
};

typedef int (*gunzip_fn)(void *userdata, const void *data, size_t len);

int gunzip_init(struct gunzip *g); /* 0 or -ENOMEM */
/* 0, or fn's negative value, or -ENOMEM. */
int gunzip_feed(struct gunzip *g, const void *data, size_t len, gunzip_fn fn, void *userdata);
enum gunzip_state gunzip_end(struct gunzip *g);
void gunzip_release(struct gunzip *g);

#endif
