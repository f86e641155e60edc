/* SPDX-License-Identifier: Apache-2.0 */
/* Packet captures: libpcap reads the frames; link, IP and TCP headers are
 * decoded here, TCP is put in order by tcpflow.c and TLS read by tlsparse.c. */
#include "capture.h"

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <pcap/pcap.h>
#include <zlib.h>

#include "bundle.h"
#include "cleanup.h"
#include "model.h"
#include "pem.h"
#include "tcpflow.h"
#include "tlsparse.h"
#include "banned.h"

#define HASH_BUCKETS 4096u
#define IDLE_US (120ll * 1000000) /* a connection quiet this long may be retired */

struct ep {
	uint8_t addr[16];
	uint8_t v6;
	uint16_t port;
};

struct track {
	struct track *next;
	struct ep e[2]; /* e[0] sent the first packet seen */
	int cdir;       /* direction of the client (0: e[0] -> e[1]) */
	bool roles_known;
	bool closed;
	struct tcp_dir tcp[2];
	struct tls_dir tls[2];
	struct pcap_conn rec; /* client/server text filled at the end */
	struct cert_facts *leaf;
	uint64_t frame;
	int64_t us;
};

/* Results, private to the reader until capture_end. */
struct result {
	struct pcap_conn rec;
	struct cert_facts *leaf;
};

struct scan {
	const char *artifact;
	struct track *hash[HASH_BUCKETS];
	size_t n_tracks;
	struct result *res;
	size_t n_res, cap_res;
	struct pcap_stats st;
	char *error;
	bool oom;
	uint64_t next_sweep; /* packet count before which a full table is not swept again */
};

struct capture {
	struct bundle *b;
	size_t ai;
	struct scan s;
	int fd[2]; /* fd[0] ours, fd[1] the reader's */
	bool started;
	bool writer_dead;
	pthread_t thread;
	bool gzip;
	z_stream z;
	bool z_init, z_end;
	char *gz_error; /* ours; the reader has its own in s.error */
};

void capture_time_text(int64_t us, char *out, size_t size)
{
	time_t t = (time_t)(us / 1000000);
	struct tm tm;

	if (!gmtime_r(&t, &tm)) {
		snprintf(out, size, "?");
		return;
	}
	snprintf(out, size, "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ", tm.tm_year + 1900,
	         tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
	         (long long)(us % 1000000));
}

/* ---- recognising ------------------------------------------------------------- */

static bool magic_ok(const uint8_t *p, size_t n)
{
	static const uint8_t magics[][4] = {
		{ 0xa1, 0xb2, 0xc3, 0xd4 }, { 0xd4, 0xc3, 0xb2, 0xa1 }, { 0xa1, 0xb2, 0x3c, 0x4d },
		{ 0x4d, 0x3c, 0xb2, 0xa1 }, { 0x0a, 0x0d, 0x0d, 0x0a },
	};

	if (n < 4)
		return false;
	for (size_t i = 0; i < ELEMENTSOF(magics); i++)
		if (memcmp(p, magics[i], 4) == 0)
			return true;
	return false;
}

enum capture_format capture_sniff(const void *data, size_t n)
{
	const uint8_t *p = data;
	uint8_t out[8];
	z_stream z;
	bool ok;

	if (magic_ok(p, n))
		return CAPTURE_PLAIN;
	if (n < 18 || p[0] != 0x1f || p[1] != 0x8b)
		return CAPTURE_NONE;
	memset(&z, 0, sizeof(z));
	if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
		return CAPTURE_NONE;
	z.next_in = (Bytef *)(uintptr_t)p;
	z.avail_in = (uInt)(n > (1u << 20) ? 1u << 20 : n);
	z.next_out = out;
	z.avail_out = sizeof(out);
	inflate(&z, Z_SYNC_FLUSH);
	ok = sizeof(out) - z.avail_out >= 4 && magic_ok(out, 4);
	inflateEnd(&z);
	return ok ? CAPTURE_GZIP : CAPTURE_NONE;
}

/* ---- connections ------------------------------------------------------------- */

static unsigned ep_hash(const struct ep *a, const struct ep *b)
{
	unsigned h = 2166136261u;

	for (size_t i = 0; i < 16; i++)
		h = (h ^ (a->addr[i] ^ b->addr[i])) * 16777619u;
	h = (h ^ (unsigned)(a->port ^ b->port)) * 16777619u;
	return h % HASH_BUCKETS;
}

static bool ep_eq(const struct ep *a, const struct ep *b)
{
	return a->port == b->port && a->v6 == b->v6 && memcmp(a->addr, b->addr, 16) == 0;
}

static void ep_text(const struct ep *e, char *out, size_t size)
{
	if (!inet_ntop(e->v6 ? AF_INET6 : AF_INET, e->addr, out, (socklen_t)size))
		snprintf(out, size, "?");
}

static void track_free(struct track *t)
{
	for (int d = 0; d < 2; d++) {
		tcp_dir_release(&t->tcp[d]);
		tls_dir_release(&t->tls[d]);
	}
	free(t->rec.sni);
	if (t->leaf) {
		cert_facts_release(t->leaf);
		free(t->leaf);
	}
	free(t);
}

/* Keep the connection's facts when it tried to connect or said ClientHello. */
static void track_finish(struct scan *s, struct track *t)
{
	struct pcap_conn *r = &t->rec;
	struct result *x;
	const struct ep *c = &t->e[t->cdir], *sv = &t->e[!t->cdir];

	s->st.streams_capped += t->tcp[0].capped + t->tcp[1].capped;
	s->st.streams_cut += t->tcp[0].cut + t->tcp[1].cut;
	if (r->tcp == PCAP_TCP_MIDSTREAM && !r->client_hello) {
		track_free(t);
		return;
	}
	if (s->n_res >= MODEL_MAX_ITEMS) {
		s->st.conns_unrecorded++;
		track_free(t);
		return;
	}
	if (model_grow((void **)&s->res, &s->cap_res, s->n_res, sizeof(*s->res)) < 0) {
		s->oom = true;
		track_free(t);
		return;
	}
	ep_text(c, r->client, sizeof(r->client));
	ep_text(sv, r->server, sizeof(r->server));
	r->client_port = c->port;
	r->server_port = sv->port;
	r->stream_cut = t->tcp[0].cut || t->tcp[1].cut || t->tcp[0].capped || t->tcp[1].capped;
	x = &s->res[s->n_res++];
	x->rec = *r;
	x->leaf = t->leaf;
	r->sni = NULL;
	t->leaf = NULL;
	track_free(t);
}

static struct track **track_slot(struct scan *s, const struct ep *src, const struct ep *dst,
                                 int *ret_dir)
{
	struct track **pp = &s->hash[ep_hash(src, dst)];

	for (; *pp; pp = &(*pp)->next) {
		struct track *t = *pp;

		if (ep_eq(&t->e[0], src) && ep_eq(&t->e[1], dst)) {
			*ret_dir = 0;
			return pp;
		}
		if (ep_eq(&t->e[1], src) && ep_eq(&t->e[0], dst)) {
			*ret_dir = 1;
			return pp;
		}
	}
	return pp;
}

/* Retire closed and idle connections to make room. */
static void sweep(struct scan *s, int64_t now_us)
{
	for (size_t i = 0; i < HASH_BUCKETS; i++) {
		struct track **pp = &s->hash[i];

		while (*pp) {
			struct track *t = *pp;

			if (t->closed || now_us - t->rec.last_us > IDLE_US) {
				*pp = t->next;
				s->n_tracks--;
				track_finish(s, t);
			} else {
				pp = &t->next;
			}
		}
	}
}

static void finish_all(struct scan *s)
{
	for (size_t i = 0; i < HASH_BUCKETS; i++)
		while (s->hash[i]) {
			struct track *t = s->hash[i];

			s->hash[i] = t->next;
			track_finish(s, t);
		}
	s->n_tracks = 0;
}

/* ---- TLS events --------------------------------------------------------------- */

struct deliver_ctx {
	struct scan *s;
	struct track *t;
	int dir;
};

static void on_client_hello(struct deliver_ctx *x, const uint8_t *body, size_t len)
{
	struct track *t = x->t;
	struct tls_hello h;

	if (t->rec.client_hello || tls_parse_client_hello(body, len, &h) < 0)
		return;
	if (!t->roles_known) {
		t->cdir = x->dir;
		t->roles_known = true;
	}
	if (x->dir != t->cdir)
		return;
	x->s->st.handshakes++;
	t->rec.client_hello = true;
	t->rec.has_sni = h.has_sni && h.sni[0];
	if (t->rec.has_sni) {
		t->rec.sni = strdup(h.sni);
		if (!t->rec.sni)
			x->s->oom = true;
	}
	t->rec.client_version = h.version;
	t->rec.ch_frame = t->frame;
	t->rec.ch_us = t->us;
}

static void on_certificate(struct deliver_ctx *x, const uint8_t *body, size_t len)
{
	struct track *t = x->t;
	const uint8_t *der;
	size_t n;

	if (t->leaf || (t->rec.server_hello && t->rec.version > 0x0303))
		return;
	if (tls_parse_certificate(body, len, &der, &n) < 0)
		return;
	t->leaf = calloc(1, sizeof(*t->leaf));
	if (!t->leaf) {
		x->s->oom = true;
		return;
	}
	if (cert_facts_from_der(der, n, t->leaf, NULL) < 0) {
		free(t->leaf);
		t->leaf = NULL;
		return;
	}
	t->rec.cert_frame = t->frame;
	t->rec.cert_us = t->us;
}

static int ev_handshake(void *ud, uint8_t type, const uint8_t *body, size_t len)
{
	struct deliver_ctx *x = ud;
	struct track *t = x->t;
	struct tls_hello h;

	if (type == TLS_HS_CLIENT_HELLO) {
		on_client_hello(x, body, len);
	} else if (type == TLS_HS_SERVER_HELLO && t->roles_known && x->dir != t->cdir &&
	           !t->rec.server_hello && tls_parse_server_hello(body, len, &h) == 0) {
		t->rec.server_hello = true;
		t->rec.version = h.version;
		t->rec.sh_frame = t->frame;
	} else if (type == TLS_HS_CERTIFICATE && t->roles_known && x->dir != t->cdir) {
		on_certificate(x, body, len);
	}
	return x->s->oom ? -ENOMEM : 0;
}

static int ev_alert(void *ud, uint8_t level, uint8_t desc)
{
	struct deliver_ctx *x = ud;
	struct track *t = x->t;
	bool from_server = t->roles_known && x->dir != t->cdir;

	if (t->rec.n_alerts < PCAP_MAX_ALERTS) {
		struct pcap_alert *a = &t->rec.alerts[t->rec.n_alerts++];

		a->level = level;
		a->desc = desc;
		a->from_server = from_server;
		a->before_done = true;
		a->frame = t->frame;
		a->time_us = t->us;
	}
	if (from_server && t->rec.client_hello && !t->rec.server_hello &&
	    t->rec.end == PCAP_END_NONE) {
		t->rec.end = PCAP_END_ALERT;
		t->rec.end_frame = t->frame;
		t->rec.end_us = t->us;
	}
	return 0;
}

static const struct tls_events tls_ev = { ev_handshake, ev_alert, NULL };

static int deliver(void *ud, const uint8_t *p, size_t n)
{
	struct deliver_ctx *x = ud;
	struct tls_dir *d = &x->t->tls[x->dir];
	int r = tls_dir_feed(d, p, n, &tls_ev, ud);

	return r;
}

/* After the handshake (or on a stream that is not TLS) nothing more is read:
 * a stream that never ends costs nothing. */
static void maybe_stop(struct track *t, int dir)
{
	struct tls_dir *d = &t->tls[dir];

	if (d->state == TLS_DIR_NOT_TLS || d->state == TLS_DIR_BROKEN || d->encrypted) {
		t->tcp[dir].gap = true;
		tcp_dir_release(&t->tcp[dir]);
		tls_dir_release(d);
	}
}

/* ---- packets -------------------------------------------------------------------- */

struct pkt {
	struct ep src, dst;
	uint8_t flags;
	uint32_t seq;
	const uint8_t *payload;
	size_t len;     /* captured payload bytes */
	size_t missing; /* payload bytes not captured */
};

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_ACK 0x10

static struct track *track_new(struct scan *s, struct track **slot, const struct pkt *k)
{
	struct track *t;

	t = calloc(1, sizeof(*t));
	if (!t) {
		s->oom = true;
		return NULL;
	}
	t->e[0] = k->src;
	t->e[1] = k->dst;
	t->rec.cert_index = -1;
	tls_dir_init(&t->tls[0]);
	tls_dir_init(&t->tls[1]);
	t->next = *slot;
	*slot = t;
	s->n_tracks++;
	s->st.conns++;
	return t;
}

static void tcp_flags(struct track *t, int dir, const struct pkt *k)
{
	bool from_server = t->roles_known && dir != t->cdir;
	struct pcap_conn *r = &t->rec;

	if ((k->flags & TH_SYN) && !(k->flags & TH_ACK)) {
		if (!t->roles_known) {
			t->cdir = dir;
			t->roles_known = true;
		}
		tcp_dir_syn(&t->tcp[dir], k->seq);
		if (r->tcp == PCAP_TCP_MIDSTREAM)
			r->tcp = PCAP_TCP_NO_ANSWER;
	} else if ((k->flags & TH_SYN) && (k->flags & TH_ACK)) {
		if (!t->roles_known) {
			t->cdir = !dir;
			t->roles_known = true;
		}
		tcp_dir_syn(&t->tcp[dir], k->seq);
		if (dir != t->cdir && r->tcp != PCAP_TCP_MIDSTREAM)
			r->tcp = PCAP_TCP_ESTABLISHED;
	}
	if (!(k->flags & (TH_RST | TH_FIN)))
		return;
	if (k->flags & TH_RST)
		t->closed = true;
	if (from_server && (k->flags & TH_RST) && r->tcp == PCAP_TCP_NO_ANSWER)
		r->tcp = PCAP_TCP_REFUSED;
	if (from_server && r->client_hello && !r->server_hello && r->end == PCAP_END_NONE) {
		r->end = k->flags & TH_RST ? PCAP_END_RST : PCAP_END_FIN;
		r->end_frame = t->frame;
		r->end_us = t->us;
	}
}

static int tcp_packet(struct scan *s, const struct pkt *k, uint64_t frame, int64_t us)
{
	int dir = 0;
	struct track **slot = track_slot(s, &k->src, &k->dst, &dir);
	struct track *t = *slot;
	bool fresh_syn = (k->flags & TH_SYN) && !(k->flags & TH_ACK);
	struct deliver_ctx x;
	int r;

	if (t && t->closed && fresh_syn) {
		*slot = t->next;
		s->n_tracks--;
		track_finish(s, t);
		t = NULL;
		slot = track_slot(s, &k->src, &k->dst, &dir);
	}
	if (!t) {
		if (s->n_tracks >= CAPTURE_MAX_CONNS && s->st.packets >= s->next_sweep) {
			/* amortised: a full sweep at most once per CAPTURE_MAX_CONNS packets */
			sweep(s, us);
			s->next_sweep = s->st.packets + CAPTURE_MAX_CONNS;
			slot = track_slot(s, &k->src, &k->dst, &dir);
		}
		if (s->n_tracks >= CAPTURE_MAX_CONNS) {
			if (fresh_syn || k->len)
				s->st.conns_untracked++;
			return 0;
		}
		t = track_new(s, slot, k);
		if (!t)
			return s->oom ? -ENOMEM : 0;
		dir = 0;
		t->rec.first_frame = frame;
		t->rec.first_us = us;
	}
	t->frame = frame;
	t->us = us;
	t->rec.last_us = us;
	if (k->flags & TH_SYN)
		tcp_flags(t, dir, k);
	x.s = s;
	x.t = t;
	x.dir = dir;
	r = tcp_dir_segment(&t->tcp[dir], k->seq, k->payload, k->len, k->missing, deliver, &x);
	if (r < 0)
		return r;
	maybe_stop(t, dir);
	if (!(k->flags & TH_SYN))
		tcp_flags(t, dir, k);
	return s->oom ? -ENOMEM : 0;
}

/* TCP header at p (n captured of total bytes declared by IP). */
static int tcp_decode(struct scan *s, struct pkt *k, const uint8_t *p, size_t n, size_t total,
                      uint64_t frame, int64_t us)
{
	size_t hl;

	if (n < 20 || total < 20)
		return 1;
	hl = (size_t)(p[12] >> 4) * 4;
	if (hl < 20 || hl > n || hl > total)
		return 1;
	k->src.port = (uint16_t)(p[0] << 8 | p[1]);
	k->dst.port = (uint16_t)(p[2] << 8 | p[3]);
	k->seq = (uint32_t)p[4] << 24 | (uint32_t)p[5] << 16 | (uint32_t)p[6] << 8 | p[7];
	k->flags = p[13];
	k->payload = p + hl;
	k->len = (n < total ? n : total) - hl;
	k->missing = total - hl - k->len;
	return tcp_packet(s, k, frame, us);
}

static int ipv4_decode(struct scan *s, const uint8_t *p, size_t n, uint64_t frame, int64_t us)
{
	struct pkt k;
	size_t hl, total;

	if (n < 20 || (p[0] >> 4) != 4)
		return 1;
	hl = (size_t)(p[0] & 0x0f) * 4;
	total = (size_t)p[2] << 8 | p[3];
	if (hl < 20 || hl > n || total < hl)
		return 1;
	if (p[9] != 6 || ((p[6] & 0x3f) | p[7]) != 0)
		return 1; /* not TCP, or a fragment */
	memset(&k, 0, sizeof(k));
	memcpy(k.src.addr, p + 12, 4);
	memcpy(k.dst.addr, p + 16, 4);
	if (total == 0)
		total = n; /* TSO: length left to the capture */
	return tcp_decode(s, &k, p + hl, n - hl, total - hl, frame, us);
}

static int ipv6_decode(struct scan *s, const uint8_t *p, size_t n, uint64_t frame, int64_t us)
{
	struct pkt k;
	size_t off = 40, total;
	unsigned nh;

	if (n < 40 || (p[0] >> 4) != 6)
		return 1;
	total = ((size_t)p[4] << 8 | p[5]) + 40;
	nh = p[6];
	/* hop-by-hop, routing, destination options: skip; fragments: give up */
	for (int i = 0; i < 8 && (nh == 0 || nh == 43 || nh == 60); i++) {
		if (off + 8 > n)
			return 1;
		nh = p[off];
		off += ((size_t)p[off + 1] + 1) * 8;
	}
	if (nh != 6 || off > n || off > total)
		return 1;
	memset(&k, 0, sizeof(k));
	k.src.v6 = k.dst.v6 = 1;
	memcpy(k.src.addr, p + 8, 16);
	memcpy(k.dst.addr, p + 24, 16);
	return tcp_decode(s, &k, p + off, n - off, total - off, frame, us);
}

static int ip_decode(struct scan *s, unsigned ethertype, const uint8_t *p, size_t n, uint64_t frame,
                     int64_t us)
{
	if (ethertype == 0x0800)
		return ipv4_decode(s, p, n, frame, us);
	if (ethertype == 0x86dd)
		return ipv6_decode(s, p, n, frame, us);
	return 1;
}

static unsigned family_to_ethertype(uint32_t fam)
{
	if (fam == 2)
		return 0x0800;
	if (fam == 10 || fam == 24 || fam == 28 || fam == 30)
		return 0x86dd;
	return 0;
}

unsigned capture_link(int dlt, const uint8_t *p, size_t n, size_t *ret_off)
{
	size_t off;
	unsigned et;

	*ret_off = 0;
	switch (dlt) {
	case DLT_EN10MB:
		if (n < 14)
			return 0;
		et = (unsigned)p[12] << 8 | p[13];
		off = 14;
		for (int i = 0; i < 4 && (et == 0x8100 || et == 0x88a8 || et == 0x9100); i++) {
			if (off + 4 > n)
				return 0;
			et = (unsigned)p[off + 2] << 8 | p[off + 3];
			off += 4;
		}
		*ret_off = off;
		return et;
	case DLT_LINUX_SLL:
		if (n < 16)
			return 0;
		*ret_off = 16;
		return (unsigned)p[14] << 8 | p[15];
	case DLT_LINUX_SLL2:
		if (n < 20)
			return 0;
		*ret_off = 20;
		return (unsigned)p[0] << 8 | p[1];
	case DLT_NULL:
	case DLT_LOOP: {
		uint32_t be, le;

		if (n < 4)
			return 0;
		be = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
		le = (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
		*ret_off = 4;
		return family_to_ethertype(be) ? family_to_ethertype(be) : family_to_ethertype(le);
	}
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
		if (n < 1)
			return 0;
		*ret_off = 0;
		return (p[0] >> 4) == 4 ? 0x0800 : (p[0] >> 4) == 6 ? 0x86dd : 0;
	default:
		return 0;
	}
}

static int frame_decode(struct scan *s, int dlt, const struct pcap_pkthdr *h, const uint8_t *p,
                        uint64_t frame)
{
	/* pcapng timestamps are 64-bit: keep them between 1970 and the year 5138 */
	int64_t sec = h->ts.tv_sec < 0              ? 0
	              : h->ts.tv_sec > 100000000000 ? 100000000000
	                                            : h->ts.tv_sec;
	int64_t usec = h->ts.tv_usec < 0 || h->ts.tv_usec >= 1000000 ? 0 : h->ts.tv_usec;
	int64_t us = sec * 1000000 + usec;
	size_t off = 0;
	unsigned et = capture_link(dlt, p, h->caplen, &off);
	int r;

	s->st.packets++;
	r = et ? ip_decode(s, et, p + off, h->caplen - off, frame, us) : 1;
	if (r > 0)
		s->st.undecoded++;
	return r < 0 ? r : 0;
}

static void set_error(struct scan *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void set_error(struct scan *s, const char *fmt, ...)
{
	struct buf m = BUF_INIT;
	va_list ap;

	if (s->error)
		return;
	va_start(ap, fmt);
	if (buf_vprintf(&m, fmt, ap) == 0)
		s->error = buf_detach(&m, NULL);
	va_end(ap);
	buf_release(&m);
}

bool capture_dlt_known(int dlt)
{
	return dlt == DLT_EN10MB || dlt == DLT_LINUX_SLL || dlt == DLT_LINUX_SLL2 ||
	       dlt == DLT_NULL || dlt == DLT_LOOP || dlt == DLT_RAW || dlt == DLT_IPV4 ||
	       dlt == DLT_IPV6;
}

/* Read every frame of f (which is closed). */
static void scan_file(struct scan *s, FILE *f)
{
	char errbuf[PCAP_ERRBUF_SIZE] = "";
	pcap_t *pc = pcap_fopen_offline(f, errbuf);
	struct pcap_pkthdr *h;
	const u_char *data;
	uint64_t frame = 0;
	int dlt, r;

	if (!pc) {
		fclose(f);
		set_error(s, "not a readable capture: %s", errbuf);
		return;
	}
	dlt = pcap_datalink(pc);
	if (!capture_dlt_known(dlt))
		set_error(s, "link type %s (%d) is not read; frames counted as undecoded",
		          pcap_datalink_val_to_name(dlt) ? pcap_datalink_val_to_name(dlt) : "?",
		          dlt);
	while ((r = pcap_next_ex(pc, &h, &data)) == 1) {
		frame++;
		if (frame_decode(s, dlt, h, data, frame) < 0) {
			s->oom = true;
			break;
		}
	}
	if (r == PCAP_ERROR)
		set_error(s, "after frame %llu: %s", (unsigned long long)frame, pcap_geterr(pc));
	pcap_close(pc); /* closes f */
	finish_all(s);
}

static void scan_release(struct scan *s)
{
	finish_all(s);
	for (size_t i = 0; i < s->n_res; i++) {
		free(s->res[i].rec.sni);
		if (s->res[i].leaf) {
			cert_facts_release(s->res[i].leaf);
			free(s->res[i].leaf);
		}
	}
	free(s->res);
	s->res = NULL;
	s->n_res = 0;
	free(s->error);
	s->error = NULL;
}

/* ---- into the model ------------------------------------------------------------- */

static int record_cert(struct bundle *b, const char *artifact, struct result *x)
{
	struct pcap_conn *r = &x->rec;
	struct cert_rec *c;
	char when[40], ex[256];

	if (!x->leaf)
		return 0;
	c = bundle_add_cert(b);
	if (!c)
		return b->model_capped ? 0 : -ENOMEM;
	c->role = CERT_ROLE_SERVED;
	c->key_match = -1;
	c->parsed = true;
	c->facts = *x->leaf;
	free(x->leaf);
	x->leaf = NULL;
	capture_time_text(r->cert_us, when, sizeof(when));
	snprintf(ex, sizeof(ex), "frame %llu at %s: Certificate from %s:%u to %s:%u",
	         (unsigned long long)r->cert_frame, when, r->server, r->server_port, r->client,
	         r->client_port);
	if (r->sni)
		c->owner = strdup(r->sni);
	else {
		char own[64];

		snprintf(own, sizeof(own), "%s:%u", r->server, r->server_port);
		c->owner = strdup(own);
	}
	r->cert_index = (long)(c - b->certs);
	if (!c->owner || loc_set(&c->where, artifact, (unsigned)r->cert_frame, NULL, ex) < 0)
		return -ENOMEM;
	return 0;
}

static int record_results(struct bundle *b, size_t ai, struct scan *s)
{
	struct artifact *a = &b->artifacts[ai];
	const char *path = a->path;

	b->pcap.files++;
	b->pcap.packets += s->st.packets;
	b->pcap.undecoded += s->st.undecoded;
	b->pcap.conns += s->st.conns;
	b->pcap.conns_untracked += s->st.conns_untracked;
	b->pcap.conns_unrecorded += s->st.conns_unrecorded;
	b->pcap.streams_capped += s->st.streams_capped;
	b->pcap.streams_cut += s->st.streams_cut;
	b->pcap.handshakes += s->st.handshakes;
	for (size_t i = 0; i < s->n_res; i++) {
		struct result *x = &s->res[i];
		struct pcap_conn *r;
		char ex[160];

		if (record_cert(b, path, x) < 0)
			return -ENOMEM;
		r = bundle_add_pcap_conn(b);
		if (!r) {
			if (!b->model_capped)
				return -ENOMEM;
			b->pcap.conns_unrecorded++;
			continue;
		}
		*r = x->rec;
		x->rec.sni = NULL;
		bundle_note_time(b, r->last_us / 1000000);
		snprintf(ex, sizeof(ex), "%s:%u -> %s:%u", r->client, r->client_port, r->server,
		         r->server_port);
		if (loc_set(&r->where, path, (unsigned)r->first_frame, NULL, ex) < 0)
			return -ENOMEM;
	}
	a = &b->artifacts[ai];
	a->kind = ART_CAPTURE;
	if (s->error) {
		a->failed = true;
		a->hints |= HINT_CAPTURE;
		if (!a->error) {
			a->error = s->error;
			s->error = NULL;
		}
	}
	return 0;
}

int capture_read_file(struct bundle *b, size_t ai, FILE *f)
{
	struct scan s;
	int r;

	memset(&s, 0, sizeof(s));
	s.artifact = b->artifacts[ai].path;
	scan_file(&s, f);
	r = s.oom ? -ENOMEM : record_results(b, ai, &s);
	scan_release(&s);
	return r;
}

/* ---- streaming through a reader thread ------------------------------------------- */

static void *reader_main(void *arg)
{
	struct capture *c = arg;
	FILE *f = fdopen(c->fd[1], "rb");

	if (!f) {
		close(c->fd[1]);
		set_error(&c->s, "cannot read the capture: %s", strerror(errno));
		return NULL;
	}
	scan_file(&c->s, f);
	return NULL;
}

int capture_begin(struct bundle *b, size_t ai, enum capture_format fmt, struct capture **ret)
{
	struct capture *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	c->fd[0] = c->fd[1] = -1;
	c->b = b;
	c->ai = ai;
	c->s.artifact = b->artifacts[ai].path;
	c->gzip = fmt == CAPTURE_GZIP;
	if (c->gzip) {
		if (inflateInit2(&c->z, 16 + MAX_WBITS) != Z_OK) {
			free(c);
			return -ENOMEM;
		}
		c->z_init = true;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, c->fd) < 0) {
		capture_free(c);
		return -errno;
	}
	if (pthread_create(&c->thread, NULL, reader_main, c) != 0) {
		close(c->fd[1]);
		c->fd[1] = -1;
		capture_free(c);
		return -EAGAIN;
	}
	c->started = true;
	*ret = c;
	return 0;
}

static void send_all(struct capture *c, const uint8_t *p, size_t n)
{
	while (n && !c->writer_dead) {
		ssize_t k = send(c->fd[0], p, n, MSG_NOSIGNAL);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			c->writer_dead = true; /* the reader stopped: the rest is not read */
			return;
		}
		p += k;
		n -= (size_t)k;
	}
}

static void inflate_send(struct capture *c, const uint8_t *p, size_t n)
{
	uint8_t out[16384];

	c->z.next_in = (Bytef *)(uintptr_t)p;
	c->z.avail_in = (uInt)n;
	while (!c->z_end && !c->writer_dead && (c->z.avail_in || c->z.avail_out == 0)) {
		int zr;

		c->z.next_out = out;
		c->z.avail_out = sizeof(out);
		zr = inflate(&c->z, Z_NO_FLUSH);
		send_all(c, out, sizeof(out) - c->z.avail_out);
		if (zr == Z_STREAM_END) {
			c->z_end = true;
		} else if (zr != Z_OK) {
			c->z_end = true;
			free(c->gz_error);
			c->gz_error = strdup(c->z.msg ? c->z.msg : "error");
		} else if (c->z.avail_out != 0 && c->z.avail_in == 0) {
			break;
		}
	}
}

int capture_feed(struct capture *c, const void *data, size_t len)
{
	if (c->writer_dead)
		return 0;
	if (c->gzip)
		inflate_send(c, data, len);
	else
		send_all(c, data, len);
	return 0;
}

static void stop_reader(struct capture *c)
{
	if (c->fd[0] >= 0)
		shutdown(c->fd[0], SHUT_WR);
	if (c->started) {
		pthread_join(c->thread, NULL);
		c->started = false;
	}
	if (c->fd[0] >= 0)
		close(c->fd[0]);
	c->fd[0] = -1;
}

void capture_free(struct capture *c)
{
	if (!c)
		return;
	stop_reader(c);
	if (c->z_init)
		inflateEnd(&c->z);
	scan_release(&c->s);
	free(c->gz_error);
	free(c);
}

int capture_end(struct capture *c)
{
	int r;

	stop_reader(c);
	if (c->gz_error)
		set_error(&c->s, "gzip data is corrupt: %s", c->gz_error);
	else if (c->gzip && !c->z_end && !c->writer_dead)
		set_error(&c->s, "gzip data is truncated");
	r = c->s.oom ? -ENOMEM : record_results(c->b, c->ai, &c->s);
	capture_free(c);
	return r;
}
