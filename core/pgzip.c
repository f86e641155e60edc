/* SPDX-License-Identifier: Apache-2.0 */
/* Parallel gzip compression of one stream (see pgzip.h). */
#include "pgzip.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>
#ifdef APIGEE_BUNDLE_ISAL
#include <isa-l/crc.h>
#include <isa-l/igzip_lib.h>
#endif

#include "fdio.h"
#include "banned.h"

#define PGZIP_DICT 32768u

enum slot_state {
	SLOT_FREE = 0, /* being filled by the writer (or unused) */
	SLOT_QUEUED,
	SLOT_BUSY,
	SLOT_DONE,
};

struct slot {
	enum slot_state state;
	bool last;
	unsigned char *in;
	size_t in_len;
	unsigned char dict[PGZIP_DICT];
	size_t dict_len;
	unsigned char *out;
	size_t out_len, out_cap;
	uint32_t crc;
	int err;
};

struct worker {
	struct pgzip *z;
	pthread_t tid;
	bool started;
	z_stream strm;
	bool strm_ready;
#ifdef APIGEE_BUNDLE_ISAL
	/* level 1 with ISA-L: igzip's level 1 (same format, a few times faster) */
	struct isal_zstream isal;
	unsigned char *isal_buf;
#endif
};

struct pgzip {
	int fd;
	int level;
	int err; /* sticky */
	pthread_mutex_t lock;
	pthread_cond_t work; /* a slot was queued, or stop */
	pthread_cond_t done; /* a slot was compressed */
	bool stop;
	struct slot *slots;
	size_t nslots;
	uint64_t seq_submit, seq_take, seq_write; /* block sequence numbers */
	struct worker *workers;
	size_t nworkers;
	unsigned char dict[PGZIP_DICT]; /* the tail of the last block queued */
	size_t dict_len;
	uint32_t crc;
	uint64_t total_in, total_out;
};

/* ---- the workers ------------------------------------------------------------------- */

static int grow_out(struct slot *s)
{
	size_t ncap = s->out_cap * 2;
	unsigned char *p = realloc(s->out, ncap);

	if (!p)
		return -ENOMEM;
	s->out = p;
	s->out_cap = ncap;
	return 0;
}

#ifdef APIGEE_BUNDLE_ISAL
static int isal_slot(struct worker *w, struct slot *s)
{
	struct isal_zstream *st = &w->isal;

	isal_deflate_reset(st);
	st->flush = SYNC_FLUSH;
	st->end_of_stream = s->last;
	if (s->dict_len && isal_deflate_set_dict(st, s->dict, (uint32_t)s->dict_len) != COMP_OK)
		return -EIO;
	st->next_in = s->in;
	st->avail_in = (uint32_t)s->in_len;
	s->out_len = 0;
	for (;;) {
		int rc;

		if (s->out_len == s->out_cap && (rc = grow_out(s)) < 0)
			return rc;
		st->next_out = s->out + s->out_len;
		st->avail_out = (uint32_t)(s->out_cap - s->out_len);
		if (isal_deflate(st) != COMP_OK)
			return -EIO;
		s->out_len = s->out_cap - st->avail_out;
		if (st->avail_in == 0 &&
		    st->internal_state.state == (s->last ? ZSTATE_END : ZSTATE_NEW_HDR))
			break;
	}
	s->crc = crc32_gzip_refl(0, s->in, s->in_len);
	return 0;
}
#endif

static int deflate_slot(z_stream *strm, struct slot *s)
{
	int flush = s->last ? Z_FINISH : Z_SYNC_FLUSH, zr;

	if (deflateReset(strm) != Z_OK)
		return -EIO;
	if (s->dict_len && deflateSetDictionary(strm, s->dict, (uInt)s->dict_len) != Z_OK)
		return -EIO;
	strm->next_in = s->in;
	strm->avail_in = (uInt)s->in_len;
	s->out_len = 0;
	for (;;) {
		if (s->out_len == s->out_cap && (zr = grow_out(s)) < 0)
			return zr;
		strm->next_out = s->out + s->out_len;
		strm->avail_out = (uInt)(s->out_cap - s->out_len);
		zr = deflate(strm, flush);
		s->out_len = s->out_cap - strm->avail_out;
		if (zr == Z_STREAM_ERROR)
			return -EIO;
		if (flush == Z_FINISH ? zr == Z_STREAM_END
		                      : strm->avail_in == 0 && strm->avail_out != 0)
			break;
	}
	s->crc = (uint32_t)crc32(0L, s->in, (uInt)s->in_len);
	return 0;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct pgzip *z = w->z;

	pthread_mutex_lock(&z->lock);
	for (;;) {
		struct slot *s;

		while (!z->stop && z->seq_take == z->seq_submit)
			pthread_cond_wait(&z->work, &z->lock);
		if (z->stop)
			break;
		s = &z->slots[z->seq_take++ % z->nslots];
		s->state = SLOT_BUSY;
		pthread_mutex_unlock(&z->lock);
#ifdef APIGEE_BUNDLE_ISAL
		if (w->isal_buf)
			s->err = isal_slot(w, s);
		else
#endif
			s->err = deflate_slot(&w->strm, s);
		pthread_mutex_lock(&z->lock);
		s->state = SLOT_DONE;
		pthread_cond_broadcast(&z->done);
	}
	pthread_mutex_unlock(&z->lock);
	return NULL;
}

/* ---- the writer ---------------------------------------------------------------------- */

/* Write out the oldest block; wait for it when wait, else only if it is done.
 * 1 written, 0 nothing to write (yet), -errno. */
static int drain_one(struct pgzip *z, bool wait)
{
	struct slot *s;
	int rc;

	if (z->seq_write == z->seq_submit)
		return 0;
	s = &z->slots[z->seq_write % z->nslots];
	pthread_mutex_lock(&z->lock);
	while (wait && s->state != SLOT_DONE)
		pthread_cond_wait(&z->done, &z->lock);
	rc = s->state == SLOT_DONE;
	pthread_mutex_unlock(&z->lock);
	if (!rc)
		return 0;
	if (s->err < 0)
		return s->err;
	rc = fd_write_all(z->fd, s->out, s->out_len);
	if (rc < 0)
		return rc;
	z->crc = (uint32_t)crc32_combine(z->crc, s->crc, (z_off_t)s->in_len);
	z->total_in += s->in_len;
	z->total_out += s->out_len;
	s->in_len = 0;
	s->last = false;
	s->state = SLOT_FREE;
	z->seq_write++;
	return 1;
}

static struct slot *current(struct pgzip *z)
{
	return &z->slots[z->seq_submit % z->nslots];
}

/* Queue the current block; then make sure the next slot is free. */
static int submit(struct pgzip *z, bool last)
{
	struct slot *s = current(z);
	int rc;

	memcpy(s->dict, z->dict, z->dict_len);
	s->dict_len = z->dict_len;
	if (s->in_len >= PGZIP_DICT) {
		memcpy(z->dict, s->in + s->in_len - PGZIP_DICT, PGZIP_DICT);
		z->dict_len = PGZIP_DICT;
	}
	s->last = last;
	pthread_mutex_lock(&z->lock);
	s->state = SLOT_QUEUED;
	z->seq_submit++;
	pthread_cond_signal(&z->work);
	pthread_mutex_unlock(&z->lock);
	while ((rc = drain_one(z, z->seq_submit - z->seq_write >= z->nslots)) == 1)
		;
	return rc;
}

int pgzip_write(struct pgzip *z, const void *data, size_t len)
{
	const unsigned char *p = data;

	if (z->err)
		return z->err;
	while (len) {
		struct slot *s = current(z);
		size_t n = PGZIP_BLOCK - s->in_len;

		if (n > len)
			n = len;
		memcpy(s->in + s->in_len, p, n);
		s->in_len += n;
		p += n;
		len -= n;
		if (s->in_len == PGZIP_BLOCK) {
			int rc = submit(z, false);

			if (rc < 0)
				return z->err = rc;
		}
	}
	return 0;
}

int pgzip_finish(struct pgzip *z)
{
	unsigned char trailer[8];
	int rc;

	if (z->err)
		return z->err;
	rc = submit(z, true);
	while (rc >= 0 && z->seq_write != z->seq_submit)
		rc = drain_one(z, true);
	if (rc < 0)
		return z->err = rc;
	for (int i = 0; i < 4; i++) {
		trailer[i] = (unsigned char)(z->crc >> (8 * i));
		trailer[4 + i] = (unsigned char)(z->total_in >> (8 * i));
	}
	rc = fd_write_all(z->fd, trailer, sizeof(trailer));
	if (rc < 0)
		return z->err = rc;
	z->total_out += sizeof(trailer);
	z->err = -EALREADY; /* nothing more can be written */
	return 0;
}

uint64_t pgzip_out_bytes(const struct pgzip *z)
{
	return z->total_out;
}

/* ---- setting up and tearing down -------------------------------------------------- */

static void stop_workers(struct pgzip *z)
{
	pthread_mutex_lock(&z->lock);
	z->stop = true;
	pthread_cond_broadcast(&z->work);
	pthread_mutex_unlock(&z->lock);
	for (size_t i = 0; i < z->nworkers; i++) {
		if (z->workers[i].started)
			pthread_join(z->workers[i].tid, NULL);
		z->workers[i].started = false;
	}
}

void pgzip_free(struct pgzip *z)
{
	if (!z)
		return;
	if (z->workers) {
		stop_workers(z);
		for (size_t i = 0; i < z->nworkers; i++) {
			if (z->workers[i].strm_ready)
				deflateEnd(&z->workers[i].strm);
#ifdef APIGEE_BUNDLE_ISAL
			free(z->workers[i].isal_buf);
#endif
		}
		free(z->workers);
	}
	for (size_t i = 0; z->slots && i < z->nslots; i++) {
		free(z->slots[i].in);
		free(z->slots[i].out);
	}
	free(z->slots);
	pthread_cond_destroy(&z->done);
	pthread_cond_destroy(&z->work);
	pthread_mutex_destroy(&z->lock);
	free(z);
}

static int default_threads(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : n > PGZIP_THREADS_MAX ? PGZIP_THREADS_MAX : (int)n;
}

static int make_slots(struct pgzip *z)
{
	z->nslots = 2 * z->nworkers + 2;
	z->slots = calloc(z->nslots, sizeof(*z->slots));
	if (!z->slots)
		return -ENOMEM;
	for (size_t i = 0; i < z->nslots; i++) {
		struct slot *s = &z->slots[i];

		s->out_cap = PGZIP_BLOCK + (PGZIP_BLOCK >> 4) + 1024;
		s->in = malloc(PGZIP_BLOCK);
		s->out = malloc(s->out_cap);
		if (!s->in || !s->out)
			return -ENOMEM;
	}
	return 0;
}

static int start_workers(struct pgzip *z)
{
	z->workers = calloc(z->nworkers, sizeof(*z->workers));
	if (!z->workers)
		return -ENOMEM;
	for (size_t i = 0; i < z->nworkers; i++) {
		struct worker *w = &z->workers[i];

		w->z = z;
#ifdef APIGEE_BUNDLE_ISAL
		if (z->level == 1) {
			isal_deflate_init(&w->isal);
			w->isal_buf = malloc(ISAL_DEF_LVL1_DEFAULT);
			if (!w->isal_buf)
				return -ENOMEM;
			w->isal.level = 1;
			w->isal.level_buf = w->isal_buf;
			w->isal.level_buf_size = ISAL_DEF_LVL1_DEFAULT;
			w->isal.gzip_flag =
			        IGZIP_DEFLATE; /* raw: the header and trailer are ours */
		}
#endif
		/* raw deflate (-15): the gzip header and trailer are ours */
		if (deflateInit2(&w->strm, z->level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) !=
		    Z_OK)
			return -ENOMEM;
		w->strm_ready = true;
		if (pthread_create(&w->tid, NULL, worker_main, w) != 0)
			return -EAGAIN;
		w->started = true;
	}
	return 0;
}

int pgzip_open(int fd, int level, int threads, struct pgzip **ret)
{
	/* no time stamp, no name; XFL 4 = fastest at level 1, 0 otherwise; OS 3 = Unix */
	unsigned char header[10] = { 0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3 };
	struct pgzip *z;
	int rc;

	if (level < 1 || level > 9 || threads < 0)
		return -EINVAL;
	z = calloc(1, sizeof(*z));
	if (!z)
		return -ENOMEM;
	pthread_mutex_init(&z->lock, NULL);
	pthread_cond_init(&z->work, NULL);
	pthread_cond_init(&z->done, NULL);
	z->fd = fd;
	z->level = level;
	z->nworkers = (size_t)(threads ? (threads > PGZIP_THREADS_MAX ? PGZIP_THREADS_MAX : threads)
	                               : default_threads());
	header[8] = level == 1 ? 4 : level == 9 ? 2 : 0;
	rc = make_slots(z);
	if (rc == 0)
		rc = start_workers(z);
	if (rc == 0)
		rc = fd_write_all(fd, header, sizeof(header));
	if (rc < 0) {
		pgzip_free(z);
		return rc;
	}
	z->total_out = sizeof(header);
	*ret = z;
	return 0;
}
