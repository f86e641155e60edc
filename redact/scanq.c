/* SPDX-License-Identifier: Apache-2.0 */
/* The leak scan on its own thread (see scanq.h). */
#include "scanq.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h"

enum slot_end {
	SLOT_OPEN = 0, /* the member goes on in the next slot */
	SLOT_REPORT,   /* the member ends here: done(), then leak_scan_end() */
	SLOT_DROP,     /* the member ends here: leak_scan_end() only */
};

/* A piece of one member: its start (name), bytes, its end. */
struct slot {
	char *name; /* set: a member starts here (owned) */
	unsigned char *data;
	size_t len;
	enum slot_end end;
};

struct scanq {
	pthread_mutex_t lock;
	pthread_cond_t work; /* slots were queued, or stop */
	pthread_cond_t room; /* slots were scanned */
	bool stop, consumer_waiting, producer_waiting;
	uint64_t head; /* slots queued (the producer's) */
	uint64_t tail; /* slots scanned (the consumer's) */
	int err;       /* sticky: the first failure of the scan */
	atomic_bool leaked;
	struct slot slots[SCANQ_SLOTS];
	/* the producer's */
	bool claimed; /* slots[head % SCANQ_SLOTS] is being filled */
	/* the consumer's */
	scanq_done_fn done;
	void *userdata;
	struct leak_scan *scan;
	char *name;
	pthread_t tid;
	bool started;
};

/* ---- the scan thread ------------------------------------------------------------------ */

static void close_member(struct scanq *q, bool report)
{
	if (q->scan) {
		if (report && q->done && q->done(q->userdata, q->name, q->scan))
			atomic_store(&q->leaked, true);
		leak_scan_end(q->scan, NULL);
	}
	q->scan = NULL;
	free(q->name);
	q->name = NULL;
}

static void scan_slot(struct scanq *q, struct slot *s, int *err)
{
	int rc;

	if (s->name) {
		close_member(q, false); /* a member never ended (an error upstream) */
		q->name = s->name;
		s->name = NULL;
		rc = leak_scan_begin(q->name, &q->scan);
		if (rc < 0) {
			q->scan = NULL;
			if (!*err)
				*err = rc;
		}
	}
	if (s->len && q->scan && (rc = leak_scan_write(q->scan, s->data, s->len)) < 0 && !*err)
		*err = rc;
	s->len = 0;
	if (s->end != SLOT_OPEN)
		close_member(q, s->end == SLOT_REPORT);
	s->end = SLOT_OPEN;
}

static void *scan_main(void *arg)
{
	struct scanq *q = arg;

	pthread_mutex_lock(&q->lock);
	for (;;) {
		uint64_t from, to;
		int err = 0;

		while (!q->stop && q->tail == q->head) {
			q->consumer_waiting = true;
			pthread_cond_wait(&q->work, &q->lock);
		}
		q->consumer_waiting = false;
		if (q->tail == q->head)
			break; /* stop, and nothing left */
		from = q->tail;
		to = q->head;
		pthread_mutex_unlock(&q->lock);
		for (uint64_t i = from; i < to; i++)
			scan_slot(q, &q->slots[i % SCANQ_SLOTS], &err);
		pthread_mutex_lock(&q->lock);
		if (err && !q->err)
			q->err = err;
		q->tail = to;
		if (q->producer_waiting)
			pthread_cond_signal(&q->room);
	}
	pthread_mutex_unlock(&q->lock);
	return NULL;
}

/* ---- the producer ---------------------------------------------------------------------- */

/* The slot to fill, waiting for one to be free. */
static struct slot *current(struct scanq *q)
{
	if (!q->claimed) {
		pthread_mutex_lock(&q->lock);
		while (q->head - q->tail >= SCANQ_SLOTS) {
			q->producer_waiting = true;
			if (q->consumer_waiting)
				pthread_cond_signal(&q->work);
			pthread_cond_wait(&q->room, &q->lock);
		}
		q->producer_waiting = false;
		pthread_mutex_unlock(&q->lock);
		q->claimed = true;
	}
	return &q->slots[q->head % SCANQ_SLOTS];
}

/* Queue the current slot; the scan thread is woken when half the ring waits (or
 * when wake), so that many small members cost few wake-ups. */
static int push(struct scanq *q, bool wake)
{
	int rc;

	pthread_mutex_lock(&q->lock);
	if (q->claimed) {
		q->head++;
		q->claimed = false;
	}
	if (q->consumer_waiting && (wake || q->head - q->tail >= SCANQ_SLOTS / 2))
		pthread_cond_signal(&q->work);
	rc = q->err;
	pthread_mutex_unlock(&q->lock);
	return rc;
}

int scanq_begin(struct scanq *q, const char *name)
{
	struct slot *s;
	int rc = 0;

	if (q->claimed) {
		struct slot *c = &q->slots[q->head % SCANQ_SLOTS];

		if (c->name || c->len)
			rc = push(q, false);
	}
	s = current(q);
	free(s->name);
	s->name = strdup(name ? name : "");
	s->len = 0;
	s->end = SLOT_OPEN;
	if (!s->name) {
		q->claimed = false;
		return -ENOMEM;
	}
	return rc;
}

int scanq_write(struct scanq *q, const void *data, size_t len)
{
	const unsigned char *p = data;

	while (len) {
		struct slot *s = current(q);
		size_t n = SCANQ_BLOCK - s->len;

		if (n > len)
			n = len;
		memcpy(s->data + s->len, p, n);
		s->len += n;
		p += n;
		len -= n;
		if (s->len == SCANQ_BLOCK) {
			int rc = push(q, false);

			if (rc < 0)
				return rc;
		}
	}
	return 0;
}

int scanq_end(struct scanq *q, bool report)
{
	current(q)->end = report ? SLOT_REPORT : SLOT_DROP;
	return push(q, false);
}

bool scanq_leaked(const struct scanq *q)
{
	return q && atomic_load(&((struct scanq *)q)->leaked);
}

int scanq_sync(struct scanq *q)
{
	int rc;

	if (!q)
		return 0;
	if (q->claimed) {
		struct slot *c = &q->slots[q->head % SCANQ_SLOTS];

		if (c->name || c->len || c->end != SLOT_OPEN)
			push(q, true);
		else
			q->claimed = false;
	}
	pthread_mutex_lock(&q->lock);
	while (q->tail != q->head) {
		q->producer_waiting = true;
		if (q->consumer_waiting)
			pthread_cond_signal(&q->work);
		pthread_cond_wait(&q->room, &q->lock);
	}
	q->producer_waiting = false;
	rc = q->err;
	pthread_mutex_unlock(&q->lock);
	return rc;
}

/* ---- setting up and tearing down -------------------------------------------------- */

void scanq_free(struct scanq *q)
{
	if (!q)
		return;
	if (q->started) {
		scanq_sync(q);
		pthread_mutex_lock(&q->lock);
		q->stop = true;
		pthread_cond_signal(&q->work);
		pthread_mutex_unlock(&q->lock);
		pthread_join(q->tid, NULL);
	}
	close_member(q, false);
	for (size_t i = 0; i < SCANQ_SLOTS; i++) {
		free(q->slots[i].name);
		free(q->slots[i].data);
	}
	pthread_cond_destroy(&q->room);
	pthread_cond_destroy(&q->work);
	pthread_mutex_destroy(&q->lock);
	free(q);
}

int scanq_open(scanq_done_fn done, void *userdata, struct scanq **ret)
{
	struct scanq *q = calloc(1, sizeof(*q));

	if (!q)
		return -ENOMEM;
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->work, NULL);
	pthread_cond_init(&q->room, NULL);
	atomic_init(&q->leaked, false);
	q->done = done;
	q->userdata = userdata;
	for (size_t i = 0; i < SCANQ_SLOTS; i++) {
		q->slots[i].data = malloc(SCANQ_BLOCK);
		if (!q->slots[i].data) {
			scanq_free(q);
			return -ENOMEM;
		}
	}
	if (pthread_create(&q->tid, NULL, scan_main, q) != 0) {
		scanq_free(q);
		return -EAGAIN;
	}
	q->started = true;
	*ret = q;
	return 0;
}
