/* SPDX-License-Identifier: Apache-2.0 */
/* One direction of a TCP connection, put back in order: segments arrive with
 * their sequence numbers (retransmitted, overlapping, out of order, cut by the
 * snap length) and the bytes come out once, in order, through a callback.
 *
 * Bounded: out-of-order segments are held up to TCP_MAX_OOO_BYTES /
 * TCP_MAX_OOO_SEGS per direction; past that, or when bytes are missing for good
 * (snap length, a hole never filled), the direction stops delivering (gap) and
 * says why (capped / cut). */
#ifndef CORE_TCPFLOW_H
#define CORE_TCPFLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TCP_MAX_OOO_BYTES (256u << 10)
#define TCP_MAX_OOO_SEGS 256u
#define TCP_MAX_AHEAD (1u << 24) /* a segment further ahead than this is noise */

struct tcp_seg;

struct tcp_dir {
	bool started;
	uint32_t next; /* sequence number of the next byte to deliver */
	struct tcp_seg *ooo;
	size_t ooo_bytes, ooo_segs;
	bool gap;    /* stopped delivering */
	bool capped; /* ... because the out-of-order buffer was full */
	bool cut;    /* ... because the capture lacks bytes (snap length) */
	uint64_t delivered;
	uint64_t retransmitted; /* bytes seen again */
};

typedef int (*tcp_deliver_fn)(void *ud, const uint8_t *p, size_t n);

void tcp_dir_syn(struct tcp_dir *d, uint32_t isn);
/* A segment carrying n captured bytes at seq; missing > 0 when the packet held
 * that many more payload bytes than were captured. Returns what deliver
 * returned when < 0, -ENOMEM, else 0. */
int tcp_dir_segment(struct tcp_dir *d, uint32_t seq, const uint8_t *p, size_t n, size_t missing,
                    tcp_deliver_fn deliver, void *ud);
/* Stop following: free what is buffered (the direction delivers nothing more). */
void tcp_dir_release(struct tcp_dir *d);

#endif
