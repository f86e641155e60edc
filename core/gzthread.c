/* SPDX-License-Identifier: Apache-2.0 */
/* Inflating a .gz input on its own thread (see gzthread.h). */
#include "gzthread.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#ifdef APIGEE_BUNDLE_ISAL
#include <isa-l/igzip_lib.h>
#else
#include <zlib.h>
#endif

#include "banned.h"

#define GZTHREAD_IN (128u << 10)

struct gzslot {
	unsigned char *data;
	size_t len;
	bool full; /* published by the inflater, not yet handed back by the reader */
};

struct gzthread {
	int fd;
	pthread_t tid;
	bool started;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct gzslot slots[GZTHREAD_SLOTS];
	uint64_t produced, consumed; /* slot sequence numbers */
	bool holding;                /* the reader holds slot consumed (returned by read) */
	bool eof, stop;
	int err;           /* errno-style, with msg */
	char msg[160];     /* in libarchive's words */
	uint64_t packed;   /* compressed bytes read */
	unsigned char *in; /* the inflater's input buffer */
	/* the unread part of it (the inflater thread's) */
	unsigned char *next_in;
	size_t avail_in;
};

/* ---- the inflater: ISA-L's igzip when built with it, zlib otherwise ---------------------
 * inf_step() inflates from g->next_in into out, like libarchive's gzip filter:
 * the trailer's CRC and length are not held against the data (a wrong one ends
 * the member, nothing more). */

enum inf_result {
	INF_MORE, /* input used up or output full */
	INF_END,  /* the member ended */
	INF_FAIL, /* bad data */
};

#ifdef APIGEE_BUNDLE_ISAL

struct inflater {
	struct inflate_state st;
};

static int inf_init(struct inflater *f)
{
	isal_inflate_init(&f->st);
	f->st.crc_flag = ISAL_GZIP;
	return 0;
}

static void inf_reset(struct inflater *f)
{
	isal_inflate_reset(&f->st);
	f->st.crc_flag = ISAL_GZIP;
}

static void inf_end(struct inflater *f)
{
	(void)f;
}

static enum inf_result inf_step(struct inflater *f, struct gzthread *g, unsigned char *out,
                                size_t *len, size_t size)
{
	int r;

	f->st.next_in = g->next_in;
	f->st.avail_in = (uint32_t)g->avail_in;
	f->st.next_out = out + *len;
	f->st.avail_out = (uint32_t)(size - *len);
	r = isal_inflate(&f->st);
	g->next_in = f->st.next_in;
	g->avail_in = f->st.avail_in;
	*len = size - f->st.avail_out;
	if (r == ISAL_INCORRECT_CHECKSUM && f->st.block_state == ISAL_BLOCK_FINISH)
		return INF_END;
	if (r != ISAL_DECOMP_OK && r != ISAL_END_INPUT && r != ISAL_OUT_OVERFLOW)
		return INF_FAIL;
	return f->st.block_state == ISAL_BLOCK_FINISH ? INF_END : INF_MORE;
}

#else

struct inflater {
	z_stream strm;
};

static int inf_init(struct inflater *f)
{
	memset(&f->strm, 0, sizeof(f->strm));
	return inflateInit2(&f->strm, 16 + 15) == Z_OK ? 0 : -ENOMEM;
}

static void inf_reset(struct inflater *f)
{
	inflateReset(&f->strm);
}

static void inf_end(struct inflater *f)
{
	inflateEnd(&f->strm);
}

static enum inf_result inf_step(struct inflater *f, struct gzthread *g, unsigned char *out,
                                size_t *len, size_t size)
{
	z_stream *strm = &f->strm;
	int zr;

	strm->next_in = g->next_in;
	strm->avail_in = (uInt)g->avail_in;
	strm->next_out = out + *len;
	strm->avail_out = (uInt)(size - *len);
	zr = inflate(strm, Z_NO_FLUSH);
	g->next_in = strm->next_in;
	g->avail_in = strm->avail_in;
	*len = size - strm->avail_out;
	if (zr == Z_DATA_ERROR && strm->msg &&
	    (strcmp(strm->msg, "incorrect data check") == 0 ||
	     strcmp(strm->msg, "incorrect length check") == 0))
		return INF_END;
	if (zr != Z_OK && zr != Z_STREAM_END && zr != Z_BUF_ERROR)
		return INF_FAIL;
	return zr == Z_STREAM_END ? INF_END : INF_MORE;
}

#endif

/* ---- the inflating thread ------------------------------------------------------------- */

/* Wait for a free slot; NULL when told to stop. */
static struct gzslot *free_slot(struct gzthread *g)
{
	struct gzslot *s = &g->slots[g->produced % GZTHREAD_SLOTS];

	pthread_mutex_lock(&g->lock);
	while (!g->stop && s->full)
		pthread_cond_wait(&g->cond, &g->lock);
	pthread_mutex_unlock(&g->lock);
	return g->stop ? NULL : s;
}

static void publish(struct gzthread *g, struct gzslot *s)
{
	pthread_mutex_lock(&g->lock);
	s->full = true;
	g->produced++;
	pthread_cond_broadcast(&g->cond);
	pthread_mutex_unlock(&g->lock);
}

static void finish(struct gzthread *g, int err, const char *msg)
{
	pthread_mutex_lock(&g->lock);
	g->eof = true;
	if (err) {
		g->err = err;
		snprintf(g->msg, sizeof(g->msg), "%s", msg);
	}
	pthread_cond_broadcast(&g->cond);
	pthread_mutex_unlock(&g->lock);
}

/* Fill the inflater's input; 0 at the end of the file, <0 on a read error. */
static ssize_t refill(struct gzthread *g)
{
	ssize_t n;

	do
		n = read(g->fd, g->in, GZTHREAD_IN);
	while (n < 0 && errno == EINTR);
	if (n > 0) {
		g->next_in = g->in;
		g->avail_in = (size_t)n;
		pthread_mutex_lock(&g->lock);
		g->packed += (uint64_t)n;
		pthread_mutex_unlock(&g->lock);
	}
	return n < 0 ? -errno : n;
}

/* After a member: another one follows (1), or the end (0). */
static int next_member(struct gzthread *g, struct inflater *f)
{
	if (!g->avail_in && refill(g) <= 0)
		return 0;
	if (g->avail_in < 2 && g->next_in[0] == 0x1f) {
		/* the magic split over two reads: keep the first byte */
		unsigned char first = g->next_in[0];

		if (refill(g) <= 0)
			return 0;
		if (g->next_in[0] != 0x8b)
			return 0;
		/* inflate resumes from a buffer holding both bytes */
		memmove(g->in + 1, g->next_in, g->avail_in);
		g->in[0] = first;
		g->next_in = g->in;
		g->avail_in++;
	}
	if (g->avail_in < 2 || g->next_in[0] != 0x1f || g->next_in[1] != 0x8b)
		return 0;
	inf_reset(f);
	return 1;
}

static void *inflater_main(void *arg)
{
	struct gzthread *g = arg;
	struct inflater *f = malloc(sizeof(*f));
	struct gzslot *s = NULL;
	enum inf_result ir;
	ssize_t n;

	if (!f || inf_init(f) < 0) {
		free(f);
		finish(g, ENOMEM, "out of memory");
		return NULL;
	}
	for (;;) {
		if (!s && !(s = free_slot(g)))
			break;
		if (!g->avail_in) {
			n = refill(g);
			if (n <= 0) {
				/* libarchive drops the block it was filling: so do we */
				finish(g, n < 0 ? (int)-n : EINVAL,
				       n < 0 ? strerror((int)-n) : "truncated gzip input");
				break;
			}
		}
		ir = inf_step(f, g, s->data, &s->len, GZTHREAD_BLOCK);
		if (ir == INF_FAIL) {
			/* libarchive's words, whatever the inflater's reason */
			finish(g, EINVAL, "gzip decompression failed");
			break;
		}
		if (s->len == GZTHREAD_BLOCK) {
			publish(g, s);
			s = NULL;
		}
		if (ir == INF_END && !next_member(g, f)) {
			if (s && s->len)
				publish(g, s);
			finish(g, 0, NULL);
			break;
		}
	}
	inf_end(f);
	free(f);
	return NULL;
}

/* ---- libarchive's side --------------------------------------------------------------- */

static la_ssize_t read_cb(struct archive *a, void *userdata, const void **buffer)
{
	struct gzthread *g = userdata;
	struct gzslot *s;
	la_ssize_t n;

	pthread_mutex_lock(&g->lock);
	if (g->holding) {
		/* libarchive is done with the block it had */
		g->slots[g->consumed % GZTHREAD_SLOTS].full = false;
		g->slots[g->consumed % GZTHREAD_SLOTS].len = 0;
		g->consumed++;
		g->holding = false;
		pthread_cond_broadcast(&g->cond);
	}
	s = &g->slots[g->consumed % GZTHREAD_SLOTS];
	while (!s->full && !g->eof)
		pthread_cond_wait(&g->cond, &g->lock);
	if (s->full) {
		g->holding = true;
		*buffer = s->data;
		n = (la_ssize_t)s->len;
	} else if (g->err) {
		archive_set_error(a, g->err, "%s", g->msg);
		n = -1;
	} else {
		n = 0;
	}
	pthread_mutex_unlock(&g->lock);
	return n;
}

uint64_t gzthread_packed_bytes(struct gzthread *g)
{
	uint64_t n;

	pthread_mutex_lock(&g->lock);
	n = g->packed;
	pthread_mutex_unlock(&g->lock);
	return n;
}

void gzthread_free(struct gzthread *g)
{
	if (!g)
		return;
	if (g->started) {
		pthread_mutex_lock(&g->lock);
		g->stop = true;
		pthread_cond_broadcast(&g->cond);
		pthread_mutex_unlock(&g->lock);
		pthread_join(g->tid, NULL);
	}
	for (size_t i = 0; i < GZTHREAD_SLOTS; i++)
		free(g->slots[i].data);
	free(g->in);
	if (g->fd >= 0)
		close(g->fd);
	pthread_cond_destroy(&g->cond);
	pthread_mutex_destroy(&g->lock);
	free(g);
}

static bool is_gzip_file(int fd)
{
	unsigned char magic[2];
	struct stat st;

	return fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && pread(fd, magic, 2, 0) == 2 &&
	       magic[0] == 0x1f && magic[1] == 0x8b;
}

int gzthread_open(struct archive *a, const char *path, struct gzthread **ret)
{
	struct gzthread *g;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	bool ok = true;

	*ret = NULL;
	if (fd < 0)
		return 0; /* libarchive's open names the error */
	if (!is_gzip_file(fd)) {
		close(fd);
		return 0;
	}
	g = calloc(1, sizeof(*g));
	if (!g) {
		close(fd);
		return -ENOMEM;
	}
	g->fd = fd;
	pthread_mutex_init(&g->lock, NULL);
	pthread_cond_init(&g->cond, NULL);
	/* one byte more: next_member() may put a split magic back in front */
	g->in = malloc(GZTHREAD_IN + 1);
	for (size_t i = 0; i < GZTHREAD_SLOTS; i++) {
		g->slots[i].data = malloc(GZTHREAD_BLOCK);
		if (!g->slots[i].data)
			ok = false;
	}
	if (!g->in || !ok) {
		gzthread_free(g);
		return -ENOMEM;
	}
	if (pthread_create(&g->tid, NULL, inflater_main, g) != 0) {
		gzthread_free(g);
		return -EAGAIN;
	}
	g->started = true;
	if (archive_read_open(a, g, NULL, read_cb, NULL) != ARCHIVE_OK) {
		gzthread_free(g);
		return -EIO;
	}
	*ret = g;
	return 1;
}
