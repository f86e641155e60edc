/* SPDX-License-Identifier: Apache-2.0 */
/* The kept TLS prefix of one direction of a captured stream, rewritten for a
 * pseudonymized bundle (see pcap_redact.h): records are read back into the
 * handshake message stream, the messages are kept, rewritten (the ClientHello's
 * server_name) or dropped (a Certificate becomes its facts), and the records are
 * rebuilt around what is left. Pieces say which original bytes became which new
 * bytes, so that every TCP segment can be given its share of the new prefix. */
#include "pcap_redact.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "pem.h"
#include "redact_internal.h"
#include "tlsparse.h"
#include "banned.h"

#define MAX_RECORDS 4096
#define PCR_GROW_MAX 1024 /* bytes a ClientHello may grow by */

struct rec {
	uint64_t p;     /* offset of the record header in the prefix */
	uint8_t type;   /* 21 alert, 22 handshake */
	uint8_t ver[2]; /* record version bytes */
	size_t avail;   /* body bytes present */
	uint64_t h;     /* handshake records: offset of the body in the message stream */
};

struct hs {
	struct buf h;  /* the handshake message stream (bodies of handshake records) */
	struct buf h2; /* the new one */
	struct pcr_piece *pc;
	size_t n_pc, cap_pc;
	struct rec *recs;
	size_t n_recs;
	bool server; /* the first message is a ServerHello */
};

static int add_piece(struct pcr_piece **v, size_t *n, size_t *cap, uint64_t os, uint64_t ol,
                     uint64_t ns, uint64_t nl)
{
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 16;
		struct pcr_piece *p = realloc(*v, c * sizeof(*p));

		if (!p)
			return -ENOMEM;
		*v = p;
		*cap = c;
	}
	(*v)[(*n)++] = (struct pcr_piece){ os, ol, ns, nl };
	return 0;
}

static uint64_t map_pieces(const struct pcr_piece *pc, size_t n, uint64_t off, uint64_t total)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (pc[mid].os + pc[mid].ol <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == n)
		return total;
	if (off < pc[lo].os)
		return pc[lo].ns;
	return pc[lo].ns + (off - pc[lo].os < pc[lo].nl ? off - pc[lo].os : pc[lo].nl);
}

uint64_t pcr_map(const struct pcr_rewrite *w, uint64_t off)
{
	return map_pieces(w->pc, w->n_pc, off, w->out.len);
}

/* ---- records -> message stream ------------------------------------------------------ */

static int read_records(const uint8_t *p, size_t n, struct hs *x)
{
	size_t off = 0, cap = 0;

	while (off + 5 <= n && x->n_recs < MAX_RECORDS) {
		struct tls_record_hdr h;
		struct rec *r;

		if (tls_record_header(p + off, 5, &h) != 1 ||
		    (h.type != TLS_CT_HANDSHAKE && h.type != TLS_CT_ALERT))
			break;
		if (x->n_recs == cap) {
			size_t c = cap ? cap * 2 : 16;
			struct rec *v = realloc(x->recs, c * sizeof(*v));

			if (!v)
				return -ENOMEM;
			x->recs = v;
			cap = c;
		}
		r = &x->recs[x->n_recs++];
		r->p = off;
		r->type = h.type;
		r->ver[0] = p[off + 1];
		r->ver[1] = p[off + 2];
		r->avail = n - off - 5 < h.length ? n - off - 5 : h.length;
		r->h = x->h.len;
		if (h.type == TLS_CT_HANDSHAKE && buf_append(&x->h, p + off + 5, r->avail) < 0)
			return -ENOMEM;
		off += 5 + r->avail;
	}
	return 0;
}

/* ---- messages ------------------------------------------------------------------------------ */

static void put24(uint8_t *p, size_t v)
{
	p[0] = (uint8_t)(v >> 16);
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)v;
}

/* The server_name extension data with every host_name pseudonymized. 0, 1 (does
 * not parse), -ENOMEM. */
static int sni_rewrite(struct redactor *r, const uint8_t *d, size_t n, struct buf *out,
                       unsigned *ret_names)
{
	size_t list, off = 2;
	struct buf names = BUF_INIT;
	int rc = 0;

	if (n < 2)
		return 1;
	list = (size_t)d[0] << 8 | d[1];
	if (list != n - 2)
		return 1;
	while (rc == 0 && off < n) {
		size_t len;

		if (off + 3 > n || (len = (size_t)d[off + 1] << 8 | d[off + 2]) > n - off - 3) {
			rc = 1;
			break;
		}
		if (d[off] == 0) {
			struct buf t = BUF_INIT;

			rc = pseudo_string(r, (const char *)d + off + 3, len, &t);
			if (rc == 0 && t.len > 0xffff)
				rc = 1;
			if (rc == 0) {
				uint8_t hdr[3] = { 0, (uint8_t)(t.len >> 8), (uint8_t)t.len };

				rc = buf_append(&names, hdr, 3);
				if (rc == 0)
					rc = buf_append(&names, t.data ? t.data : "", t.len);
				(*ret_names)++;
			}
			buf_release(&t);
		} else {
			rc = buf_append(&names, d + off, 3 + len);
		}
		off += 3 + len;
	}
	if (rc == 0 && names.len > 0xffff)
		rc = 1;
	if (rc == 0) {
		uint8_t hdr[2] = { (uint8_t)(names.len >> 8), (uint8_t)names.len };

		rc = buf_append(out, hdr, 2);
		if (rc == 0)
			rc = buf_append(out, names.data ? names.data : "", names.len);
	}
	buf_release(&names);
	return rc;
}

/* Skip a vector with a 1- or 2-byte length at *off. */
static bool skip_vec(const uint8_t *b, size_t n, size_t *off, int width)
{
	size_t len;

	if (*off + (size_t)width > n)
		return false;
	len = width == 1 ? b[*off] : (size_t)b[*off] << 8 | b[*off + 1];
	if (len > n - *off - (size_t)width)
		return false;
	*off += (size_t)width + len;
	return true;
}

/* The extensions of a ClientHello body from ext (after the total length). */
static int exts_rewrite(struct redactor *r, const uint8_t *e, size_t n, struct buf *out,
                        unsigned *ret_names)
{
	size_t off = 0;
	int rc = 0;

	while (rc == 0 && off < n) {
		unsigned type;
		size_t len;

		if (off + 4 > n)
			return 1;
		type = (unsigned)e[off] << 8 | e[off + 1];
		len = (size_t)e[off + 2] << 8 | e[off + 3];
		if (len > n - off - 4)
			return 1;
		if (type == 0) {
			struct buf d = BUF_INIT;

			rc = sni_rewrite(r, e + off + 4, len, &d, ret_names);
			if (rc == 0 && d.len > 0xffff)
				rc = 1;
			if (rc == 0) {
				uint8_t hdr[4] = { 0, 0, (uint8_t)(d.len >> 8), (uint8_t)d.len };

				rc = buf_append(out, hdr, 4);
				if (rc == 0)
					rc = buf_append(out, d.data ? d.data : "", d.len);
			}
			buf_release(&d);
		} else {
			rc = buf_append(out, e + off, 4 + len);
		}
		off += 4 + len;
	}
	return rc;
}

/* A whole ClientHello message m[0..n) (header included) with its SNI
 * pseudonymized, appended to out. 0, 1 (does not parse: drop it), -ENOMEM. */
static int client_hello(struct redactor *r, const uint8_t *m, size_t n, struct buf *out,
                        unsigned *ret_names)
{
	const uint8_t *b = m + 4;
	size_t bn = n - 4, off = 34, start = out->len, ext_len;
	struct buf ext = BUF_INIT;
	int rc;

	if (bn < 34 || !skip_vec(b, bn, &off, 1) || !skip_vec(b, bn, &off, 2) ||
	    !skip_vec(b, bn, &off, 1))
		return 1;
	if (off == bn) /* no extensions: no name */
		return buf_append(out, m, n);
	if (off + 2 > bn)
		return 1;
	ext_len = (size_t)b[off] << 8 | b[off + 1];
	if (ext_len != bn - off - 2)
		return 1;
	rc = exts_rewrite(r, b + off + 2, ext_len, &ext, ret_names);
	if (rc == 0 && ext.len > 0xffff)
		rc = 1;
	if (rc == 0) {
		uint8_t el[2] = { (uint8_t)(ext.len >> 8), (uint8_t)ext.len };

		rc = buf_append(out, m, 4 + off);
		if (rc == 0)
			rc = buf_append(out, el, 2);
		if (rc == 0)
			rc = buf_append(out, ext.data ? ext.data : "", ext.len);
		/* pseudonyms are short: a message that grows much is not what we think */
		if (rc == 0 && out->len - start > n + PCR_GROW_MAX)
			rc = 1;
		if (rc == 0)
			put24((uint8_t *)out->data + start + 1, out->len - start - 4);
	}
	buf_release(&ext);
	if (rc == 1)
		out->len = start;
	return rc;
}

static int cert_facts_out(const uint8_t *body, size_t len, uint64_t p_last, struct pcr_rewrite *w)
{
	const uint8_t *der;
	size_t n;
	struct cert_facts f;
	struct pcr_cert_out *v;
	json_t *j;

	if (tls_parse_certificate(body, len, &der, &n) < 0)
		return 0;
	memset(&f, 0, sizeof(f));
	if (cert_facts_from_der(der, n, &f, NULL) < 0)
		return 0;
	j = cert_facts_to_json(&f);
	cert_facts_release(&f);
	if (!j)
		return -ENOMEM;
	v = realloc(w->certs, (w->n_certs + 1) * sizeof(*v));
	if (!v) {
		json_decref(j);
		return -ENOMEM;
	}
	w->certs = v;
	v[w->n_certs++] = (struct pcr_cert_out){ p_last, j };
	return 0;
}

/* The offset in the prefix of message-stream offset h (a byte of a handshake record). */
static uint64_t h_to_p(const struct hs *x, uint64_t h)
{
	for (size_t i = 0; i < x->n_recs; i++) {
		const struct rec *r = &x->recs[i];

		if (r->type == TLS_CT_HANDSHAKE && h >= r->h && h < r->h + r->avail)
			return r->p + 5 + (h - r->h);
	}
	return 0;
}

static bool keep_type(uint8_t t)
{
	/* ClientHello, ServerHello, ServerKeyExchange, ServerHelloDone, ClientKeyExchange:
	 * no names in them */
	return t == 1 || t == 2 || t == 12 || t == 14 || t == 16;
}

/* One complete message at h[off..off+len): kept, rewritten or dropped. */
static int one_message(struct redactor *r, struct hs *x, size_t off, size_t len,
                       struct pcr_rewrite *w)
{
	const uint8_t *m = (const uint8_t *)x->h.data + off;
	uint64_t ns = x->h2.len;
	int rc = 0;

	if (off == 0)
		x->server = m[0] == TLS_HS_SERVER_HELLO;
	if (m[0] == TLS_HS_CLIENT_HELLO) {
		rc = client_hello(r, m, len, &x->h2, &w->sni);
		if (rc == 1)
			rc = 0; /* does not parse: dropped */
	} else if (keep_type(m[0])) {
		rc = buf_append(&x->h2, m, len);
	} else if (m[0] == TLS_HS_CERTIFICATE && x->server) {
		rc = cert_facts_out(m + 4, len - 4, h_to_p(x, off + len - 1), w);
	}
	if (rc < 0)
		return rc;
	return add_piece(&x->pc, &x->n_pc, &x->cap_pc, off, len, ns, x->h2.len - ns);
}

static int messages(struct redactor *r, struct hs *x, struct pcr_rewrite *w)
{
	size_t off = 0, n = x->h.len;
	const uint8_t *h = (const uint8_t *)x->h.data;
	int rc = 0;

	while (rc == 0 && off < n) {
		size_t len;

		if (n - off < 4 || (len = 4 + ((size_t)h[off + 1] << 16 | (size_t)h[off + 2] << 8 |
		                               h[off + 3])) > n - off)
			break; /* an incomplete message: dropped */
		rc = one_message(r, x, off, len, w);
		off += len;
	}
	if (rc == 0 && off < n)
		rc = add_piece(&x->pc, &x->n_pc, &x->cap_pc, off, n - off, x->h2.len, 0);
	return rc;
}

/* ---- message stream -> records --------------------------------------------------------- */

/* The pieces of the handshake record r's body, from the message-stream pieces. */
static int body_pieces(struct hs *x, const struct rec *r, uint64_t nbody, struct pcr_rewrite *w,
                       size_t *cap)
{
	uint64_t hb = r->h, he = r->h + r->avail;
	uint64_t base = map_pieces(x->pc, x->n_pc, hb, x->h2.len);
	int rc = 0;

	for (size_t i = 0; i < x->n_pc && rc == 0; i++) {
		const struct pcr_piece *q = &x->pc[i];
		uint64_t s = q->os > hb ? q->os : hb, e = q->os + q->ol < he ? q->os + q->ol : he;
		uint64_t ms, me;

		if (s >= e)
			continue;
		ms = map_pieces(x->pc, x->n_pc, s, x->h2.len);
		me = map_pieces(x->pc, x->n_pc, e, x->h2.len);
		rc = add_piece(&w->pc, &w->n_pc, cap, r->p + 5 + (s - hb), e - s,
		               nbody + (ms - base), me - ms);
	}
	return rc;
}

static int rebuild(const uint8_t *p, struct hs *x, struct pcr_rewrite *w)
{
	size_t cap = 0;
	int rc = 0;

	for (size_t i = 0; i < x->n_recs && rc == 0; i++) {
		const struct rec *r = &x->recs[i];
		uint64_t ns = w->out.len, ms, me;
		uint8_t hdr[5] = { r->type, r->ver[0], r->ver[1], 0, 0 };

		if (r->type == TLS_CT_ALERT) {
			hdr[3] = (uint8_t)(r->avail >> 8);
			hdr[4] = (uint8_t)r->avail;
			rc = buf_append(&w->out, hdr, 5);
			if (rc == 0)
				rc = buf_append(&w->out, p + r->p + 5, r->avail);
			if (rc == 0)
				rc = add_piece(&w->pc, &w->n_pc, &cap, r->p, 5 + r->avail, ns,
				               5 + r->avail);
			continue;
		}
		ms = map_pieces(x->pc, x->n_pc, r->h, x->h2.len);
		me = map_pieces(x->pc, x->n_pc, r->h + r->avail, x->h2.len);
		if (me - ms > 0xffff)
			me = ms + 0xffff;
		if (me == ms) {
			/* nothing left in this record: it goes */
			rc = add_piece(&w->pc, &w->n_pc, &cap, r->p, 5 + r->avail, ns, 0);
			continue;
		}
		hdr[3] = (uint8_t)((me - ms) >> 8);
		hdr[4] = (uint8_t)(me - ms);
		rc = buf_append(&w->out, hdr, 5);
		if (rc == 0)
			rc = add_piece(&w->pc, &w->n_pc, &cap, r->p, 5, ns, 5);
		if (rc == 0)
			rc = body_pieces(x, r, ns + 5, w, &cap);
		if (rc == 0)
			rc = buf_append(&w->out, x->h2.data + ms, me - ms);
	}
	return rc;
}

int pcr_rewrite_prefix(struct redactor *r, const uint8_t *p, size_t n, struct pcr_rewrite *ret)
{
	struct hs x;
	size_t end;
	int rc;

	memset(&x, 0, sizeof(x));
	memset(ret, 0, sizeof(*ret));
	buf_init(&x.h, 0);
	buf_init(&x.h2, 0);
	buf_init(&ret->out, 0);
	rc = read_records(p, n, &x);
	if (rc == 0)
		rc = messages(r, &x, ret);
	if (rc == 0)
		rc = rebuild(p, &x, ret);
	/* bytes after the last record (a partial header): dropped */
	end = x.n_recs ? x.recs[x.n_recs - 1].p + 5 + x.recs[x.n_recs - 1].avail : 0;
	if (rc == 0 && end < n) {
		size_t cap = ret->n_pc;

		rc = add_piece(&ret->pc, &ret->n_pc, &cap, end, n - end, ret->out.len, 0);
	}
	buf_release(&x.h);
	buf_release(&x.h2);
	free(x.pc);
	free(x.recs);
	if (rc < 0)
		pcr_rewrite_release(ret);
	return rc;
}

void pcr_rewrite_release(struct pcr_rewrite *w)
{
	buf_release(&w->out);
	free(w->pc);
	for (size_t i = 0; i < w->n_certs; i++)
		json_decref(w->certs[i].facts);
	free(w->certs);
	memset(w, 0, sizeof(*w));
}
