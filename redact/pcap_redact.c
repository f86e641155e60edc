/* SPDX-License-Identifier: Apache-2.0 */
/* Packet captures in a bundle: cut to what the checks read, pseudonymized on
 * request (see pcap_redact.h). Pass 1 follows every TCP direction
 * (core/tcpflow.c) and finds where its cleartext TLS records end; pass 2 writes
 * every frame again with its share of what is kept. */
#include "pcap_redact.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <pcap/pcap.h>
#include <pthread.h>
#include <zlib.h>

#include "capture.h"
#include "error.h"
#include "fdio.h"
#include "redact_internal.h"
#include "tcpflow.h"
#include "tlsparse.h"
#include "banned.h"

#define HASH_BUCKETS 65536u
#define GROW_MAX (64u << 10) /* a frame may grow this much (a longer SNI) */
#define OUT_SNAPLEN 262144

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_ACK 0x10

struct ep {
	uint8_t addr[16];
	uint8_t v6;
	uint16_t port;
};

struct deliv {
	uint64_t end; /* stream offset after this frame's bytes */
	uint64_t frame;
	int64_t us;
};

/* Pass 1 state of one direction. */
struct dir1 {
	struct tcp_dir tcp;
	uint8_t hdr[5];
	size_t hdr_len;
	uint64_t rec_left;
	uint64_t rec_start;
	uint64_t got; /* bytes delivered */
	bool stopped;
	uint64_t stop_at;
	struct buf pfx; /* pseudonymizing: the kept bytes */
	struct deliv *dl;
	size_t n_dl, cap_dl;
};

/* What pass 2 needs of one direction. */
struct dmap {
	bool based;
	uint32_t base; /* sequence number of stream offset 0 */
	bool fin;
	uint64_t fin_off;
	uint64_t keep;         /* original bytes kept */
	struct pcr_rewrite *w; /* the new prefix; NULL = the original bytes */
};

struct conn {
	struct ep e[2];
	uint64_t first_frame;
	int64_t first_us;
	bool closed;
	bool settled;  /* both directions stopped, or reset: no reassembly state */
	uint32_t next; /* hash chain: index + 1 */
	struct dmap m[2];
	struct dir1 *d1; /* [2], pass 1 only */
};

struct job {
	struct redactor *r; /* NULL: no pseudonymization */
	bool pseudo;
	struct pcap_redact_result *res;
	struct conn *conns;
	size_t n_conns, cap_conns;
	uint32_t *hash;   /* index + 1 */
	uint32_t *frames; /* per frame: conn index + 1 | dir << 31; 0 = not followed */
	size_t n_frames, cap_frames;
	uint64_t held;  /* prefix bytes held */
	size_t settled; /* connections whose reassembly is over */
	json_t *certs;
	int dlt;
	bool oom;
};

struct tcpk {
	struct ep src, dst;
	uint8_t flags;
	uint32_t seq;
	const uint8_t *payload;
	size_t len, missing;
};

/* ---- small helpers ------------------------------------------------------------------------ */

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void wr16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static bool ep_eq(const struct ep *a, const struct ep *b)
{
	return a->port == b->port && a->v6 == b->v6 && memcmp(a->addr, b->addr, 16) == 0;
}

static unsigned ep_hash(const struct ep *a, const struct ep *b)
{
	unsigned h = 2166136261u;

	for (size_t i = 0; i < 16; i++)
		h = (h ^ (a->addr[i] ^ b->addr[i])) * 16777619u;
	h = (h ^ (unsigned)(a->port ^ b->port)) * 16777619u;
	return h % HASH_BUCKETS;
}

/* ---- decoding (both passes) ------------------------------------------------------------- */

/* The IP header at p: where the transport header starts, its protocol, the
 * bytes it declares. 0 = not decodable. */
struct ipk {
	bool v6;
	size_t hl;    /* IP header length, extension headers included */
	size_t total; /* IP length declared (0 for TSO: the capture's) */
	unsigned proto;
	bool frag;
	size_t nh_at; /* offset of the next-header byte that names proto */
};

static bool ip4_parse(const uint8_t *p, size_t n, struct ipk *k)
{
	if (n < 20 || (p[0] >> 4) != 4)
		return false;
	k->v6 = false;
	k->hl = (size_t)(p[0] & 0x0f) * 4;
	k->total = (size_t)p[2] << 8 | p[3];
	if (k->hl < 20 || k->hl > n || (k->total && k->total < k->hl))
		return false;
	if (k->total == 0)
		k->total = n;
	k->proto = p[9];
	k->nh_at = 9;
	k->frag = ((p[6] & 0x3f) | p[7]) != 0;
	return true;
}

static bool ip6_parse(const uint8_t *p, size_t n, struct ipk *k)
{
	size_t off = 40;
	unsigned nh;

	if (n < 40 || (p[0] >> 4) != 6)
		return false;
	k->v6 = true;
	k->total = ((size_t)p[4] << 8 | p[5]) + 40;
	k->nh_at = 6;
	k->frag = false;
	nh = p[6];
	/* hop-by-hop and destination options are walked; anything else ends it */
	for (int i = 0; i < 8 && (nh == 0 || nh == 60); i++) {
		if (off + 8 > n)
			return false;
		k->nh_at = off;
		nh = p[off];
		off += ((size_t)p[off + 1] + 1) * 8;
	}
	if (off > n || off > k->total)
		return false;
	k->hl = off;
	k->proto = nh;
	k->frag = nh == 44;
	return true;
}

static bool ip_parse(unsigned et, const uint8_t *p, size_t n, struct ipk *k)
{
	memset(k, 0, sizeof(*k));
	if (et == 0x0800)
		return ip4_parse(p, n, k);
	if (et == 0x86dd)
		return ip6_parse(p, n, k);
	return false;
}

static bool tcp_parse(const uint8_t *ip, size_t n, const struct ipk *ik, struct tcpk *k)
{
	const uint8_t *p = ip + ik->hl;
	size_t avail = n - ik->hl, total = ik->total - ik->hl, hl;

	if (ik->proto != 6 || ik->frag || avail < 20 || total < 20)
		return false;
	hl = (size_t)(p[12] >> 4) * 4;
	if (hl < 20 || hl > avail || hl > total)
		return false;
	memset(k, 0, sizeof(*k));
	k->src.v6 = k->dst.v6 = ik->v6;
	memcpy(k->src.addr, ip + (ik->v6 ? 8 : 12), ik->v6 ? 16 : 4);
	memcpy(k->dst.addr, ip + (ik->v6 ? 24 : 16), ik->v6 ? 16 : 4);
	k->src.port = (uint16_t)(p[0] << 8 | p[1]);
	k->dst.port = (uint16_t)(p[2] << 8 | p[3]);
	k->seq = rd32(p + 4);
	k->flags = p[13];
	k->payload = p + hl;
	k->len = (avail < total ? avail : total) - hl;
	k->missing = total - hl - k->len;
	return true;
}

/* A frame's TCP segment, when it is one. */
static bool frame_tcp(int dlt, const uint8_t *p, size_t n, struct tcpk *k)
{
	size_t off;
	unsigned et = capture_link(dlt, p, n, &off);
	struct ipk ik;

	return et && ip_parse(et, p + off, n - off, &ik) && tcp_parse(p + off, n - off, &ik, k);
}

/* ---- pass 1 ---------------------------------------------------------------------------------- */

static struct conn *conn_get(struct job *j, const struct tcpk *k, uint64_t frame, int64_t us,
                             int *ret_dir)
{
	unsigned h = ep_hash(&k->src, &k->dst);
	bool fresh_syn = (k->flags & TH_SYN) && !(k->flags & TH_ACK);
	struct conn *c;

	for (uint32_t i = j->hash[h]; i; i = j->conns[i - 1].next) {
		c = &j->conns[i - 1];
		if (ep_eq(&c->e[0], &k->src) && ep_eq(&c->e[1], &k->dst))
			*ret_dir = 0;
		else if (ep_eq(&c->e[1], &k->src) && ep_eq(&c->e[0], &k->dst))
			*ret_dir = 1;
		else
			continue;
		if (!(c->closed && fresh_syn))
			return c;
		break; /* a new connection on the same addresses */
	}
	/* as many open as the analyzer follows (each may hold out-of-order data) */
	if (j->n_conns >= PCAP_REDACT_MAX_CONNS || j->n_conns - j->settled >= CAPTURE_MAX_CONNS)
		return NULL;
	if (j->n_conns == j->cap_conns) {
		size_t nc = j->cap_conns ? j->cap_conns * 2 : 256;
		struct conn *v = realloc(j->conns, nc * sizeof(*v));

		if (!v) {
			j->oom = true;
			return NULL;
		}
		j->conns = v;
		j->cap_conns = nc;
	}
	c = &j->conns[j->n_conns];
	memset(c, 0, sizeof(*c));
	c->d1 = calloc(2, sizeof(*c->d1));
	if (!c->d1) {
		j->oom = true;
		return NULL;
	}
	buf_init(&c->d1[0].pfx, 0);
	buf_init(&c->d1[1].pfx, 0);
	c->e[0] = k->src;
	c->e[1] = k->dst;
	c->first_frame = frame;
	c->first_us = us;
	c->next = j->hash[h];
	j->hash[h] = (uint32_t)++j->n_conns;
	j->res->st.conns++;
	*ret_dir = 0;
	return c;
}

struct wctx {
	struct job *j;
	struct dir1 *d;
	uint64_t frame;
	int64_t us;
};

static void stop_dir(struct dir1 *d, uint64_t at)
{
	d->stopped = true;
	d->stop_at = at;
	d->tcp.gap = true;
	tcp_dir_release(&d->tcp);
}

/* The walker over the in-order bytes of a direction: record headers. */
static int walk(void *ud, const uint8_t *p, size_t n)
{
	struct wctx *x = ud;
	struct dir1 *d = x->d;
	struct job *j = x->j;

	while (n && !d->stopped) {
		size_t k;

		if (d->hdr_len < 5) {
			struct tls_record_hdr h;

			k = 5 - d->hdr_len < n ? 5 - d->hdr_len : n;
			memcpy(d->hdr + d->hdr_len, p, k);
			d->hdr_len += k;
			if (d->hdr_len == 5) {
				if (tls_record_header(d->hdr, 5, &h) != 1 ||
				    (h.type != TLS_CT_HANDSHAKE && h.type != TLS_CT_ALERT)) {
					stop_dir(d, d->rec_start);
					break;
				}
				d->rec_left = h.length;
			}
		} else {
			k = d->rec_left < n ? (size_t)d->rec_left : n;
			d->rec_left -= k;
		}
		if (j->pseudo) {
			if (d->pfx.len + k > PCAP_REDACT_PREFIX_MAX ||
			    j->held + k > PCAP_REDACT_BUDGET) {
				stop_dir(d, d->rec_start);
				break;
			}
			if (buf_append(&d->pfx, p, k) < 0)
				return -ENOMEM;
			j->held += k;
		}
		d->got += k;
		p += k;
		n -= k;
		if (d->hdr_len == 5 && d->rec_left == 0) {
			d->hdr_len = 0;
			d->rec_start = d->got;
		}
	}
	if (j->pseudo && (!d->n_dl || d->dl[d->n_dl - 1].end != d->got)) {
		if (d->n_dl == d->cap_dl) {
			size_t nc = d->cap_dl ? d->cap_dl * 2 : 8;
			struct deliv *v = realloc(d->dl, nc * sizeof(*v));

			if (!v)
				return -ENOMEM;
			d->dl = v;
			d->cap_dl = nc;
		}
		d->dl[d->n_dl++] = (struct deliv){ d->got, x->frame, x->us };
	}
	return 0;
}

static int pass1_tcp(struct job *j, const struct tcpk *k, uint64_t frame, int64_t us)
{
	int dir = 0;
	struct conn *c = conn_get(j, k, frame, us, &dir);
	struct dir1 *d;
	struct dmap *m;
	struct wctx x;
	int r;

	if (!c) {
		j->frames[frame - 1] = 0;
		if (!j->oom)
			j->res->st.untracked++;
		return j->oom ? -ENOMEM : 0;
	}
	j->frames[frame - 1] = (uint32_t)(c - j->conns + 1) | (uint32_t)dir << 31;
	d = &c->d1[dir];
	m = &c->m[dir];
	if (k->flags & TH_SYN)
		tcp_dir_syn(&d->tcp, k->seq);
	x = (struct wctx){ j, d, frame, us };
	if (!(k->flags & TH_SYN) && !d->stopped) {
		r = tcp_dir_segment(&d->tcp, k->seq, k->payload, k->len, k->missing, walk, &x);
		if (r < 0)
			return r;
		if (d->tcp.gap && !d->stopped)
			stop_dir(d, d->got); /* bytes missing for good: what came is kept */
	}
	if (!m->based && d->tcp.started) {
		m->based = true;
		m->base = d->tcp.next - (uint32_t)d->tcp.delivered;
	}
	if ((k->flags & TH_FIN) && m->based && !m->fin) {
		int32_t rel = (int32_t)(k->seq - m->base);

		if (rel >= 0) {
			m->fin = true;
			m->fin_off = (uint64_t)rel + k->len + k->missing;
		}
	}
	if (k->flags & TH_RST)
		c->closed = true;
	if (!c->settled && (c->closed || (c->d1[0].stopped && c->d1[1].stopped))) {
		for (int i = 0; i < 2; i++)
			if (!c->d1[i].stopped)
				stop_dir(&c->d1[i], c->d1[i].got);
		c->settled = true;
		j->settled++;
	}
	return 0;
}

static json_t *cert_entry(const struct conn *c, int dir, const struct dir1 *d,
                          const struct pcr_cert_out *co)
{
	const struct ep *cl = &c->e[!dir], *sv = &c->e[dir];
	char ca[64], sa[64], when[40];
	uint64_t frame = 0;
	int64_t us = 0;

	for (size_t i = 0; i < d->n_dl; i++)
		if (d->dl[i].end > co->p_last) {
			frame = d->dl[i].frame;
			us = d->dl[i].us;
			break;
		}
	inet_ntop(cl->v6 ? AF_INET6 : AF_INET, cl->addr, ca, sizeof(ca));
	inet_ntop(sv->v6 ? AF_INET6 : AF_INET, sv->addr, sa, sizeof(sa));
	capture_time_text(us, when, sizeof(when));
	return json_pack("{s:I,s:I,s:s,s:I,s:s,s:i,s:s,s:i,s:O}", "connection_frame",
	                 (json_int_t)c->first_frame, "frame", (json_int_t)frame, "time", when,
	                 "time_us", (json_int_t)us, "client", ca, "client_port", (int)cl->port,
	                 "server", sa, "server_port", (int)sv->port, "cert", co->facts);
}

/* The end of pass 1 for one direction: the cut, and the new prefix. */
static int finish_dir(struct job *j, struct conn *c, int dir)
{
	struct dir1 *d = &c->d1[dir];
	struct dmap *m = &c->m[dir];
	int rc;

	m->keep = d->stopped ? d->stop_at : d->got;
	if (m->fin && m->fin_off < m->keep)
		m->fin_off = m->keep;
	if (!j->pseudo || m->keep == 0)
		return 0;
	m->w = calloc(1, sizeof(*m->w));
	if (!m->w)
		return -ENOMEM;
	rc = pcr_rewrite_prefix(j->r, (const uint8_t *)d->pfx.data,
	                        m->keep < d->pfx.len ? m->keep : d->pfx.len, m->w);
	if (rc < 0)
		return rc;
	j->res->st.pseudo_sni += m->w->sni;
	for (size_t i = 0; i < m->w->n_certs; i++) {
		json_t *e = cert_entry(c, dir, d, &m->w->certs[i]);

		if (!e || json_array_append_new(j->certs, e) < 0)
			return -ENOMEM;
		j->res->st.certs++;
	}
	return 0;
}

static void dir1_release(struct dir1 *d)
{
	tcp_dir_release(&d->tcp);
	buf_release(&d->pfx);
	free(d->dl);
}

static int finish_pass1(struct job *j)
{
	int rc = 0;

	for (size_t i = 0; i < j->n_conns; i++) {
		struct conn *c = &j->conns[i];

		for (int dir = 0; dir < 2 && rc == 0; dir++)
			rc = finish_dir(j, c, dir);
		dir1_release(&c->d1[0]);
		dir1_release(&c->d1[1]);
		free(c->d1);
		c->d1 = NULL;
	}
	return rc;
}

/* ---- pass 2 ------------------------------------------------------------------------------ */

/* A relative stream offset of this direction in the output. */
static int64_t map_off(const struct dmap *m, int64_t off)
{
	uint64_t newkeep = m->w ? m->w->out.len : m->keep;

	if (off < 0)
		return off;
	if ((uint64_t)off < m->keep)
		return m->w ? (int64_t)pcr_map(m->w, (uint64_t)off) : off;
	if (m->fin && (uint64_t)off > m->fin_off)
		return (int64_t)(newkeep + ((uint64_t)off - m->fin_off));
	return (int64_t)newkeep;
}

static uint32_t map_seq(const struct dmap *m, uint32_t seq)
{
	if (!m->based)
		return seq;
	return m->base + (uint32_t)map_off(m, (int32_t)(seq - m->base));
}

struct frame_out {
	uint8_t *p; /* output buffer */
	size_t n;   /* bytes written */
	size_t cap;
	bool whole;  /* every header was complete: wire length = n */
	bool cut;    /* payload was removed */
	bool pseudo; /* an address changed */
};

/* SACK blocks (the peer's sequence space). */
static void map_options(uint8_t *o, size_t n, const struct dmap *peer)
{
	size_t i = 0;

	while (i < n) {
		size_t len;

		if (o[i] == 0)
			break;
		if (o[i] == 1) {
			i++;
			continue;
		}
		if (i + 1 >= n || (len = o[i + 1]) < 2 || i + len > n)
			break;
		if (o[i] == 5)
			for (size_t b = i + 2; b + 8 <= i + len; b += 8) {
				wr32(o + b, map_seq(peer, rd32(o + b)));
				wr32(o + b + 4, map_seq(peer, rd32(o + b + 4)));
			}
		i += len;
	}
}

/* The payload a segment keeps. */
static void tcp_payload(const struct dmap *m, const struct tcpk *k, const uint8_t **ret_p,
                        size_t *ret_n)
{
	int64_t a, b, na, nb;

	*ret_p = NULL;
	*ret_n = 0;
	if (!m || !m->based || (k->flags & TH_SYN) || !k->len)
		return;
	a = (int32_t)(k->seq - m->base);
	if (a < 0 || (uint64_t)a >= m->keep)
		return;
	b = a + (int64_t)k->len;
	if ((uint64_t)b > m->keep)
		b = (int64_t)m->keep;
	if (!m->w) {
		*ret_p = k->payload;
		*ret_n = (size_t)(b - a);
		return;
	}
	na = (int64_t)pcr_map(m->w, (uint64_t)a);
	nb = (int64_t)pcr_map(m->w, (uint64_t)b);
	if ((uint64_t)nb > m->w->out.len)
		nb = (int64_t)m->w->out.len;
	if (na > nb)
		na = nb;
	*ret_p = (const uint8_t *)m->w->out.data + na;
	*ret_n = (size_t)(nb - na);
}

static uint32_t pseudo_sum(const uint8_t *ip, bool v6, unsigned proto, size_t len)
{
	uint32_t sum = v6 ? csum_add(0, ip + 8, 32) : csum_add(0, ip + 12, 8);

	return sum + proto + (uint32_t)(len >> 16) + (uint32_t)(len & 0xffff);
}

/* TCP: header (options included) and what the segment keeps. Returns the bytes
 * written after the IP header. */
static size_t tcp_out(struct job *j, uint32_t fv, const uint8_t *ip_in, const struct ipk *ik,
                      size_t n, uint8_t *ip_out, size_t room, struct frame_out *fo)
{
	struct tcpk k;
	struct conn *c = fv ? &j->conns[(fv & 0x7fffffffu) - 1] : NULL;
	int dir = (int)(fv >> 31);
	const struct dmap *m = c ? &c->m[dir] : NULL, *peer = c ? &c->m[!dir] : NULL;
	const uint8_t *pl;
	size_t hl, pn;
	uint8_t *t = ip_out + ik->hl;

	if (!tcp_parse(ip_in, n, ik, &k))
		return (size_t)-1;
	hl = (size_t)(ip_in[ik->hl + 12] >> 4) * 4;
	memcpy(t, ip_in + ik->hl, hl);
	tcp_payload(m, &k, &pl, &pn);
	if (m)
		wr32(t + 4, map_seq(m, k.seq));
	if (peer && (k.flags & TH_ACK))
		wr32(t + 8, map_seq(peer, rd32(t + 8)));
	if (peer)
		map_options(t + 20, hl - 20, peer);
	if (pn > room - ik->hl - hl)
		pn = room - ik->hl - hl; /* never: a ClientHello grows by 1 KiB at most */
	if (pn)
		memcpy(t + hl, pl, pn);
	fo->cut |= pn != k.len + k.missing;
	t[16] = t[17] = 0;
	return hl + pn;
}

/* UDP, ICMP, other protocols: the header only. */
static size_t other_out(const uint8_t *ip_in, const struct ipk *ik, size_t n, uint8_t *ip_out,
                        struct frame_out *fo)
{
	size_t keep = 0;

	if (!ik->frag && (ik->proto == 17 || ik->proto == 1 || ik->proto == 58))
		keep = 8;
	if (ik->hl + keep > n || ik->hl + keep > ik->total)
		return (size_t)-1;
	memcpy(ip_out + ik->hl, ip_in + ik->hl, keep);
	if (ik->proto == 17 && keep)
		wr16(ip_out + ik->hl + 4, 8);
	if (keep)
		ip_out[ik->hl + (ik->proto == 17 ? 6 : 2)] =
		        ip_out[ik->hl + (ik->proto == 17 ? 7 : 3)] = 0;
	fo->cut |= ik->total > ik->hl + keep;
	return keep;
}

static void l4_checksum(uint8_t *ip, const struct ipk *ik, size_t l4, bool udp4_zero)
{
	uint8_t *t = ip + ik->hl;
	size_t at;
	uint32_t sum;
	uint16_t v;

	if (ik->frag)
		return;
	if (ik->proto == 6 && l4 >= 20)
		at = 16;
	else if (ik->proto == 17 && l4 >= 8)
		at = 6;
	else if ((ik->proto == 1 || ik->proto == 58) && l4 >= 8)
		at = 2;
	else
		return;
	if (ik->proto == 17 && udp4_zero && !ik->v6)
		return; /* no checksum before: none now */
	sum = ik->proto == 1 ? 0 : pseudo_sum(ip, ik->v6, ik->proto, l4);
	v = csum_fold(csum_add(sum, t, l4));
	if (ik->proto == 17 && v == 0)
		v = 0xffff;
	wr16(t + at, v);
}

static void ip_addresses(struct job *j, uint8_t *ip, bool v6, struct frame_out *fo)
{
	uint8_t before[32];

	if (!j->pseudo)
		return;
	memcpy(before, ip + (v6 ? 8 : 12), v6 ? 32 : 8);
	if (v6) {
		pseudo_ip6_bytes(j->r, ip + 8);
		pseudo_ip6_bytes(j->r, ip + 24);
	} else {
		pseudo_ip4_bytes(j->r, ip + 12);
		pseudo_ip4_bytes(j->r, ip + 16);
	}
	fo->pseudo |= memcmp(before, ip + (v6 ? 8 : 12), v6 ? 32 : 8) != 0;
}

/* The IP packet at in[0..n) into out; returns bytes written or -1 (copy the
 * link header only). */
static size_t ip_out(struct job *j, uint32_t fv, unsigned et, const uint8_t *in, size_t n,
                     uint8_t *out, size_t room, struct frame_out *fo)
{
	struct ipk ik;
	size_t l4;
	bool udp_zero;

	if (!ip_parse(et, in, n, &ik))
		return (size_t)-1;
	memcpy(out, in, ik.hl);
	ip_addresses(j, out, ik.v6, fo);
	if (j->pseudo && !ik.v6 && ik.hl > 20)
		memset(out + 20, 1, ik.hl - 20); /* options (record route...): no-ops */
	udp_zero = ik.proto == 17 && !ik.frag && ik.hl + 8 <= n && in[ik.hl + 6] == 0 &&
	           in[ik.hl + 7] == 0;
	if (ik.proto == 6 && !ik.frag)
		l4 = tcp_out(j, fv, in, &ik, n, out, room, fo);
	else
		l4 = other_out(in, &ik, n, out, fo);
	if (l4 == (size_t)-1) {
		/* a transport header cut by the snap length: the IP header alone */
		fo->whole = false;
		fo->cut = true;
		l4 = 0;
	}
	if (ik.v6) {
		wr16(out + 4, (unsigned)(ik.hl - 40 + l4));
		if (!fo->whole || (l4 == 0 && ik.total > ik.hl))
			out[ik.nh_at] = 59; /* no next header */
	} else {
		wr16(out + 2, (unsigned)(ik.hl + l4));
		out[10] = out[11] = 0;
		wr16(out + 10, csum_fold(csum_add(0, out, ik.hl)));
	}
	if (fo->whole)
		l4_checksum(out, &ik, l4, udp_zero);
	return ik.hl + l4;
}

static void link_macs(struct job *j, uint8_t *p, size_t off)
{
	if (!j->pseudo)
		return;
	if (j->dlt == DLT_EN10MB && off >= 14) {
		pseudo_mac(j->r, p);
		pseudo_mac(j->r, p + 6);
	} else if (j->dlt == DLT_LINUX_SLL && off >= 16 && ((unsigned)p[4] << 8 | p[5]) == 6) {
		pseudo_mac(j->r, p + 6);
	} else if (j->dlt == DLT_LINUX_SLL2 && off >= 20 && p[11] == 6) {
		pseudo_mac(j->r, p + 12);
	}
}

static void frame_out(struct job *j, uint32_t fv, const struct pcap_pkthdr *h, const uint8_t *in,
                      struct frame_out *fo)
{
	size_t off;
	unsigned et = capture_link(j->dlt, in, h->caplen, &off);
	size_t ipn;

	fo->n = 0;
	fo->whole = true;
	fo->cut = false;
	fo->pseudo = false;
	if (off > h->caplen)
		off = 0;
	memcpy(fo->p, in, off);
	link_macs(j, fo->p, off);
	fo->n = off;
	ipn = et ? ip_out(j, fv, et, in + off, h->caplen - off, fo->p + off, fo->cap - off, fo)
	         : (size_t)-1;
	if (ipn == (size_t)-1) {
		/* not IP, or its header is not all there: the link header only */
		fo->whole = false;
		fo->cut |= h->caplen > off;
		return;
	}
	fo->n += ipn;
}

/* ---- the two passes --------------------------------------------------------------------- */

static pcap_t *open_in(int fd, struct pcap_redact_result *res)
{
	char errbuf[PCAP_ERRBUF_SIZE] = "";
	int dfd = dup(fd);
	FILE *f;
	pcap_t *pc;

	if (dfd < 0 || lseek(dfd, 0, SEEK_SET) < 0 || !(f = fdopen(dfd, "rb"))) {
		if (dfd >= 0)
			close(dfd);
		snprintf(res->error, sizeof(res->error), "cannot read the capture: %s",
		         strerror(errno));
		return NULL;
	}
	pc = pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_NANO, errbuf);
	if (!pc) {
		fclose(f);
		snprintf(res->error, sizeof(res->error),
		         "not a readable capture: %s (its file header, at byte 0)", errbuf);
	}
	return pc;
}

static int64_t frame_us(const struct pcap_pkthdr *h)
{
	int64_t sec = h->ts.tv_sec < 0              ? 0
	              : h->ts.tv_sec > 100000000000 ? 100000000000
	                                            : h->ts.tv_sec;
	int64_t nsec = h->ts.tv_usec < 0 || h->ts.tv_usec >= 1000000000 ? 0 : h->ts.tv_usec;

	return sec * 1000000 + nsec / 1000;
}

/* Where the next frame starts in the capture (inflated when it was gzip'd). */
static long long frame_offset(pcap_t *pc)
{
	FILE *f = pcap_file(pc);
	long off = f ? ftell(f) : -1;

	return (long long)off;
}

static int pass1(struct job *j, int fd)
{
	pcap_t *pc = open_in(fd, j->res);
	struct pcap_pkthdr *h;
	const u_char *data;
	uint64_t frame = 0;
	long long at = 0;
	int r, rc = 0;

	if (!pc)
		return -EINVAL;
	j->dlt = pcap_datalink(pc);
	if (!capture_dlt_known(j->dlt)) {
		/* nothing of a frame we cannot decode may pass */
		snprintf(j->res->error, sizeof(j->res->error),
		         "link type %s (%d) cannot be redacted (frame 1, at byte %lld of the "
		         "capture, and every frame after it)",
		         pcap_datalink_val_to_name(j->dlt) ? pcap_datalink_val_to_name(j->dlt)
		                                           : "?",
		         j->dlt, frame_offset(pc));
		pcap_close(pc);
		return -EPROTONOSUPPORT;
	}
	while (rc == 0 && (at = frame_offset(pc), r = pcap_next_ex(pc, &h, &data)) == 1) {
		struct tcpk k;

		if (++frame > PCAP_REDACT_MAX_FRAMES) {
			snprintf(
			        j->res->error, sizeof(j->res->error),
			        "frame %llu, at byte %lld of the capture: more than %u frames, not "
			        "redacted",
			        (unsigned long long)frame, at, PCAP_REDACT_MAX_FRAMES);
			rc = -EFBIG;
			break;
		}
		if (j->n_frames == j->cap_frames) {
			size_t nc = j->cap_frames ? j->cap_frames * 2 : 4096;
			uint32_t *v = realloc(j->frames, nc * sizeof(*v));

			if (!v) {
				rc = -ENOMEM;
				break;
			}
			j->frames = v;
			j->cap_frames = nc;
		}
		j->frames[j->n_frames++] = 0;
		if (frame_tcp(j->dlt, data, h->caplen, &k))
			rc = pass1_tcp(j, &k, frame, frame_us(h));
	}
	if (rc == 0 && r == PCAP_ERROR) {
		j->res->st.truncated = true;
		snprintf(j->res->error, sizeof(j->res->error),
		         "after frame %llu, at byte %lld of the capture: %s",
		         (unsigned long long)frame, at, pcap_geterr(pc));
	}
	pcap_close(pc);
	return rc;
}

static int pass2(struct job *j, int fd_in, int fd_out, bool nano)
{
	pcap_t *pc = open_in(fd_in, j->res), *dead = NULL;
	pcap_dumper_t *dump = NULL;
	struct frame_out fo = { 0 };
	struct pcap_pkthdr *h;
	const u_char *data;
	size_t frame = 0;
	int dfd = -1, rc = 0, r;
	FILE *f = NULL;

	if (!pc)
		return -EINVAL;
	dead = pcap_open_dead_with_tstamp_precision(j->dlt, OUT_SNAPLEN,
	                                            nano ? PCAP_TSTAMP_PRECISION_NANO
	                                                 : PCAP_TSTAMP_PRECISION_MICRO);
	dfd = dup(fd_out);
	f = dfd >= 0 ? fdopen(dfd, "wb") : NULL;
	if (!f && dfd >= 0)
		close(dfd);
	dump = dead && f ? pcap_dump_fopen(dead, f) : NULL;
	fo.cap = OUT_SNAPLEN + GROW_MAX;
	fo.p = malloc(fo.cap);
	if (!dump || !fo.p) {
		if (!dump && f)
			fclose(f);
		rc = -ENOMEM;
		goto out;
	}
	while (frame < j->n_frames && (r = pcap_next_ex(pc, &h, &data)) == 1) {
		struct pcap_pkthdr oh = *h;
		const u_char *d = data;

		if (oh.caplen > OUT_SNAPLEN)
			oh.caplen = OUT_SNAPLEN;
		if (!nano)
			oh.ts.tv_usec /= 1000;
		frame_out(j, j->frames[frame++], &oh, d, &fo);
		j->res->st.frames++;
		j->res->st.bytes_in += h->caplen;
		j->res->st.frames_cut += fo.cut;
		j->res->st.bytes_cut += h->caplen > fo.n ? h->caplen - fo.n : 0;
		j->res->st.pseudo_addr += fo.pseudo;
		oh.caplen = (bpf_u_int32)fo.n;
		if (fo.whole)
			oh.len = (bpf_u_int32)fo.n;
		else if (oh.len < fo.n)
			oh.len = (bpf_u_int32)fo.n;
		j->res->st.bytes_out += fo.n;
		pcap_dump((u_char *)dump, &oh, fo.p);
	}
	if (pcap_dump_flush(dump) < 0) {
		snprintf(j->res->error, sizeof(j->res->error), "cannot write the capture");
		rc = -EIO;
	}
out:
	if (dump)
		pcap_dump_close(dump);
	if (dead)
		pcap_close(dead);
	pcap_close(pc);
	free(fo.p);
	return rc;
}

static bool input_nano(int fd, bool *ret_pcapng)
{
	uint8_t m[4];

	*ret_pcapng = false;
	if (pread(fd, m, 4, 0) != 4)
		return false;
	*ret_pcapng = m[0] == 0x0a && m[1] == 0x0d && m[2] == 0x0d && m[3] == 0x0a;
	return *ret_pcapng || (m[0] == 0xa1 && m[1] == 0xb2 && m[2] == 0x3c && m[3] == 0x4d) ||
	       (m[0] == 0x4d && m[1] == 0x3c && m[2] == 0xb2 && m[3] == 0xa1);
}

static void job_release(struct job *j)
{
	for (size_t i = 0; i < j->n_conns; i++) {
		struct conn *c = &j->conns[i];

		if (c->d1) {
			dir1_release(&c->d1[0]);
			dir1_release(&c->d1[1]);
			free(c->d1);
		}
		for (int d = 0; d < 2; d++)
			if (c->m[d].w) {
				pcr_rewrite_release(c->m[d].w);
				free(c->m[d].w);
			}
	}
	free(j->conns);
	free(j->hash);
	free(j->frames);
	json_decref(j->certs);
}

static int facts_doc(struct job *j)
{
	json_t *doc;
	char *text;
	int rc;

	if (json_array_size(j->certs) == 0)
		return 0;
	doc = json_pack("{s:s,s:s,s:O}", "kind", "apigee-bundle/capture-certs/v1", "note",
	                "the served certificates of the capture beside this file, replaced "
	                "there by their facts (pseudonymized bundle)",
	                "certificates", j->certs);
	text = doc ? json_dumps(doc, JSON_INDENT(2)) : NULL;
	json_decref(doc);
	if (!text)
		return -ENOMEM;
	rc = buf_puts(&j->res->facts, text);
	if (rc == 0)
		rc = buf_putc(&j->res->facts, '\n');
	free(text);
	return rc;
}

int pcap_redact_fd(struct redactor *r, int fd_in, int fd_out, struct pcap_redact_result *res)
{
	struct job j;
	bool pcapng, nano = input_nano(fd_in, &pcapng);
	int rc;

	memset(res, 0, sizeof(*res));
	buf_init(&res->facts, 0);
	memset(&j, 0, sizeof(j));
	j.r = r;
	j.pseudo = r && r->pseudo;
	j.res = res;
	j.hash = calloc(HASH_BUCKETS, sizeof(*j.hash));
	j.certs = json_array();
	if (!j.hash || !j.certs) {
		job_release(&j);
		return -ENOMEM;
	}
	res->st.pcapng_as_pcap = pcapng;
	rc = pass1(&j, fd_in);
	if (rc == 0 && j.oom)
		rc = -ENOMEM;
	if (rc == 0)
		rc = finish_pass1(&j);
	if (rc == 0)
		rc = pass2(&j, fd_in, fd_out, nano);
	if (rc == 0)
		rc = facts_doc(&j);
	if (rc == -ENOMEM && !res->error[0])
		snprintf(res->error, sizeof(res->error), "out of memory");
	job_release(&j);
	return rc;
}

void pcap_redact_result_release(struct pcap_redact_result *res)
{
	buf_release(&res->facts);
}

/* ---- the stream side ------------------------------------------------------------------------ */

struct redact_side {
	struct redact_side *next;
	char *name;
	struct buf data;
};

struct pcap_redact {
	struct redact_stream *s;
	int fd; /* the spilled input (inflated) */
	bool gzip;
	z_stream z;
	bool z_init, z_end;
	int error;
};

static int tmp_fd(void)
{
	const char *dir = getenv("TMPDIR");
	char path[600];
	int fd;

	snprintf(path, sizeof(path), "%s/apigee-bundle-capture.XXXXXX", dir && *dir ? dir : "/tmp");
	fd = mkstemp(path);
	if (fd < 0)
		return -errno;
	unlink(path);
	return fd;
}

int pcap_redact_begin(struct redact_stream *s, bool gzip, struct pcap_redact **ret)
{
	struct pcap_redact *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	c->s = s;
	c->gzip = gzip;
	c->fd = tmp_fd();
	if (c->fd < 0) {
		int e = c->fd;

		free(c);
		return e;
	}
	if (gzip) {
		if (inflateInit2(&c->z, 16 + MAX_WBITS) != Z_OK) {
			close(c->fd);
			free(c);
			return -ENOMEM;
		}
		c->z_init = true;
	}
	*ret = c;
	return 0;
}

static int inflate_to(struct pcap_redact *c, const void *data, size_t len)
{
	uint8_t out[65536];

	c->z.next_in = (Bytef *)(uintptr_t)data;
	c->z.avail_in = (uInt)len;
	while (!c->z_end && (c->z.avail_in || c->z.avail_out == 0)) {
		int zr, rc;

		c->z.next_out = out;
		c->z.avail_out = sizeof(out);
		zr = inflate(&c->z, Z_NO_FLUSH);
		if ((rc = fd_write_all(c->fd, out, sizeof(out) - c->z.avail_out)) < 0)
			return rc;
		if (zr == Z_STREAM_END)
			c->z_end = true; /* what follows (another member, junk) is not read */
		else if (zr != Z_OK && zr != Z_BUF_ERROR)
			c->z_end = true; /* corrupt: the capture ends here (reported truncated) */
		else if (c->z.avail_out != 0)
			break;
	}
	return 0;
}

int pcap_redact_write(struct pcap_redact *c, const void *data, size_t len)
{
	int rc;

	if (c->error)
		return c->error;
	rc = c->gzip ? inflate_to(c, data, len) : fd_write_all(c->fd, data, len);
	if (rc < 0)
		c->error = rc;
	return rc;
}

/* The rewritten capture, gzip'd again when it came so, to the member's output. */
static int emit_file(struct pcap_redact *c, int fd)
{
	uint8_t in[65536], out[65536];
	z_stream z;
	int rc = 0;
	ssize_t n;

	if (lseek(fd, 0, SEEK_SET) < 0)
		return -errno;
	memset(&z, 0, sizeof(z));
	if (c->gzip &&
	    deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -ENOMEM;
	for (;;) {
		int flush;

		n = read(fd, in, sizeof(in));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
			break;
		}
		if (!c->gzip) {
			if (n == 0)
				break;
			if ((rc = redact_stream_emit_raw(c->s, in, (size_t)n)) < 0)
				break;
			continue;
		}
		flush = n == 0 ? Z_FINISH : Z_NO_FLUSH;
		z.next_in = in;
		z.avail_in = (uInt)n;
		do {
			z.next_out = out;
			z.avail_out = sizeof(out);
			deflate(&z, flush);
			rc = redact_stream_emit_raw(c->s, out, sizeof(out) - z.avail_out);
		} while (rc == 0 && z.avail_out == 0);
		if (rc < 0 || n == 0)
			break;
	}
	if (c->gzip)
		deflateEnd(&z);
	return rc;
}

/* The facts document: redacted like any member, then queued for the caller. */
static int queue_facts(struct pcap_redact *c, const struct buf *facts)
{
	struct redactor *r = c->s->r;
	struct redact_side *sd;
	struct error err = ERROR_INIT;
	char *in_name = NULL;
	int rc;

	if (facts->len == 0 || c->s->dry_run)
		return 0;
	sd = calloc(1, sizeof(*sd));
	if (!sd || asprintf(&in_name, "%s.certs.json", c->s->member) < 0) {
		free(sd);
		return -ENOMEM;
	}
	sd->name = redact_member_name(r, in_name);
	rc = sd->name ? redact_buffer(r, in_name, facts->data, facts->len, &sd->data, &err)
	              : -ENOMEM;
	free(in_name);
	if (rc < 0) {
		free(sd->name);
		free(sd);
		return rc;
	}
	pthread_mutex_lock(&r->lock);
	sd->next = r->side;
	r->side = sd;
	pthread_mutex_unlock(&r->lock);
	return 0;
}

static void count_result(struct pcap_redact *c, const struct pcap_redact_result *res)
{
	struct redact_stream *s = c->s;

	s->counts[RULE_PSEUDO_IP] += res->st.pseudo_addr;
	s->counts[RULE_PSEUDO_HOST] += res->st.pseudo_sni;
	s->counts[RULE_CERT_DROPPED] += res->st.certs;
	s->dropped_certificates += res->st.certs;
	pthread_mutex_lock(&s->r->lock);
	s->r->captures++;
	s->r->capture_frames_cut += res->st.frames_cut;
	s->r->capture_bytes_cut += res->st.bytes_cut;
	pthread_mutex_unlock(&s->r->lock);
}

struct redact_why {
	struct redact_why *next;
	char *member;
	char text[320];
};

/* A refused capture: why, for the caller (redactor_take_why()). */
static void note_why(struct redact_stream *s, const char *text)
{
	struct redact_why *w = calloc(1, sizeof(*w));

	if (!w || !(w->member = strdup(s->member))) {
		free(w);
		return; /* the errno still tells */
	}
	snprintf(w->text, sizeof(w->text), "%s", text);
	pthread_mutex_lock(&s->r->lock);
	w->next = s->r->why;
	s->r->why = w;
	pthread_mutex_unlock(&s->r->lock);
}

int redactor_take_why(struct redactor *r, const char *member, char *out, size_t size)
{
	struct redact_why **p, *w = NULL;

	pthread_mutex_lock(&r->lock);
	for (p = &r->why; *p; p = &(*p)->next)
		if (strcmp((*p)->member, member) == 0) {
			w = *p;
			*p = w->next;
			break;
		}
	pthread_mutex_unlock(&r->lock);
	if (!w)
		return 0;
	snprintf(out, size, "%s", w->text);
	free(w->member);
	free(w);
	return 1;
}

int pcap_redact_end(struct pcap_redact *c)
{
	struct pcap_redact_result res;
	int out = -1, rc = c->error;

	memset(&res, 0, sizeof(res));
	if (rc == 0 && (out = tmp_fd()) < 0)
		rc = out;
	if (rc == 0)
		rc = pcap_redact_fd(c->s->r, c->fd, out, &res);
	if (rc == 0)
		rc = emit_file(c, out);
	if (rc == 0)
		rc = queue_facts(c, &res.facts);
	if (rc == 0)
		count_result(c, &res);
	if (rc == -EINVAL || rc == -EFBIG)
		rc = -EBADMSG; /* not a capture after all: nothing of it may pass */
	/* -EPROTONOSUPPORT: a link type we do not decode; refused as well */
	if ((rc == -EBADMSG || rc == -EPROTONOSUPPORT) && res.error[0]) {
		char why[320];

		snprintf(why, sizeof(why), "capture refused, nothing of it written: %s", res.error);
		note_why(c->s, why);
	}
	if (out >= 0)
		close(out);
	pcap_redact_result_release(&res);
	pcap_redact_abort(c);
	return rc;
}

void pcap_redact_abort(struct pcap_redact *c)
{
	if (!c)
		return;
	if (c->z_init)
		inflateEnd(&c->z);
	if (c->fd >= 0)
		close(c->fd);
	free(c);
}

int redactor_take_side(struct redactor *r, char **ret_name, struct buf *ret_data)
{
	struct redact_side *sd;

	pthread_mutex_lock(&r->lock);
	sd = r->side;
	if (sd)
		r->side = sd->next;
	pthread_mutex_unlock(&r->lock);
	if (!sd)
		return 0;
	*ret_name = sd->name;
	*ret_data = sd->data;
	free(sd);
	return 1;
}

void redactor_free_sides(struct redactor *r)
{
	char *name;
	struct buf b;

	while (redactor_take_side(r, &name, &b) == 1) {
		free(name);
		buf_release(&b);
	}
	while (r->why) {
		struct redact_why *w = r->why;

		r->why = w->next;
		free(w->member);
		free(w);
	}
}
