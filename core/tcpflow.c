/* SPDX-License-Identifier: Apache-2.0 */
/* TCP reassembly of one direction. */
#include "tcpflow.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h"

struct tcp_seg {
	struct tcp_seg *next;
	uint32_t seq;
	size_t len;
	bool cut; /* the bytes after these were not captured */
	uint8_t data[];
};

static int32_t seq_diff(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b);
}

void tcp_dir_syn(struct tcp_dir *d, uint32_t isn)
{
	if (d->started)
		return;
	d->started = true;
	d->next = isn + 1;
}

void tcp_dir_release(struct tcp_dir *d)
{
	while (d->ooo) {
		struct tcp_seg *s = d->ooo;

		d->ooo = s->next;
		free(s);
	}
	d->ooo_bytes = d->ooo_segs = 0;
}

static void give_up(struct tcp_dir *d)
{
	d->gap = true;
	tcp_dir_release(d);
}

/* Deliver the in-order part of p (which starts at seq, seq <= next). */
static int deliver_at(struct tcp_dir *d, uint32_t seq, const uint8_t *p, size_t n, bool cut,
                      tcp_deliver_fn deliver, void *ud)
{
	size_t old = (size_t)(uint32_t)(d->next - seq);
	int r = 0;

	if (old >= n) {
		d->retransmitted += n;
		return 0;
	}
	d->retransmitted += old;
	p += old;
	n -= old;
	d->next += (uint32_t)n;
	d->delivered += n;
	if (deliver)
		r = deliver(ud, p, n);
	if (cut) {
		give_up(d);
		d->cut = true;
	}
	return r;
}

static int drain(struct tcp_dir *d, tcp_deliver_fn deliver, void *ud)
{
	while (!d->gap && d->ooo && seq_diff(d->ooo->seq, d->next) <= 0) {
		struct tcp_seg *s = d->ooo;
		int r;

		d->ooo = s->next;
		d->ooo_bytes -= s->len;
		d->ooo_segs--;
		r = deliver_at(d, s->seq, s->data, s->len, s->cut, deliver, ud);
		free(s);
		if (r < 0)
			return r;
	}
	return 0;
}

static int hold(struct tcp_dir *d, uint32_t seq, const uint8_t *p, size_t n, bool cut)
{
	struct tcp_seg **pp = &d->ooo, *s;

	if (d->ooo_bytes + n > TCP_MAX_OOO_BYTES || d->ooo_segs + 1 > TCP_MAX_OOO_SEGS) {
		give_up(d);
		d->capped = true;
		return 0;
	}
	while (*pp && seq_diff((*pp)->seq, seq) <= 0) {
		if ((*pp)->seq == seq && (*pp)->len >= n)
			return 0; /* the same segment again */
		pp = &(*pp)->next;
	}
	s = malloc(sizeof(*s) + n);
	if (!s)
		return -ENOMEM;
	s->seq = seq;
	s->len = n;
	s->cut = cut;
	memcpy(s->data, p, n);
	s->next = *pp;
	*pp = s;
	d->ooo_bytes += n;
	d->ooo_segs++;
	return 0;
}

int tcp_dir_segment(struct tcp_dir *d, uint32_t seq, const uint8_t *p, size_t n, size_t missing,
                    tcp_deliver_fn deliver, void *ud)
{
	int32_t off;
	int r;

	if (d->gap || (n == 0 && missing == 0))
		return 0;
	if (!d->started) {
		d->started = true;
		d->next = seq;
	}
	off = seq_diff(seq, d->next);
	if (off > 0) {
		if ((uint32_t)off > TCP_MAX_AHEAD)
			return 0;
		return hold(d, seq, p, n, missing > 0);
	}
	if (off < 0 && (uint64_t)(-(int64_t)off) > TCP_MAX_AHEAD)
		return 0; /* far behind: an old duplicate or noise */
	r = deliver_at(d, seq, p, n, missing > 0, deliver, ud);
	if (r < 0)
		return r;
	return drain(d, deliver, ud);
}
