/* SPDX-License-Identifier: Apache-2.0 */
/* TLS records and the handshake messages the PCAP checks read. */
#include "tlsparse.h"

#include <errno.h>
#include <string.h>

#include "banned.h"

/* A bounded reader: every get fails once the bytes run out. */
struct rd {
	const uint8_t *p;
	size_t n;
	bool bad;
};

static bool rd_need(struct rd *r, size_t k)
{
	if (r->bad || r->n < k) {
		r->bad = true;
		return false;
	}
	return true;
}

static unsigned rd_u8(struct rd *r)
{
	unsigned v;

	if (!rd_need(r, 1))
		return 0;
	v = r->p[0];
	r->p++;
	r->n--;
	return v;
}

static unsigned rd_u16(struct rd *r)
{
	unsigned v;

	if (!rd_need(r, 2))
		return 0;
	v = (unsigned)r->p[0] << 8 | r->p[1];
	r->p += 2;
	r->n -= 2;
	return v;
}

static size_t rd_u24(struct rd *r)
{
	size_t v;

	if (!rd_need(r, 3))
		return 0;
	v = (size_t)r->p[0] << 16 | (size_t)r->p[1] << 8 | r->p[2];
	r->p += 3;
	r->n -= 3;
	return v;
}

/* A sub-reader over the next k bytes (which are consumed). */
static struct rd rd_sub(struct rd *r, size_t k)
{
	struct rd s = { NULL, 0, true };

	if (!rd_need(r, k))
		return s;
	s.p = r->p;
	s.n = k;
	s.bad = false;
	r->p += k;
	r->n -= k;
	return s;
}

static void rd_skip(struct rd *r, size_t k)
{
	(void)rd_sub(r, k);
}

int tls_record_header(const uint8_t *p, size_t n, struct tls_record_hdr *ret)
{
	if (n < 5)
		return 0;
	if (p[0] < TLS_CT_CCS || p[0] > 24 || p[1] != 3 || p[2] > 4)
		return -EINVAL;
	ret->type = p[0];
	ret->version = (uint16_t)(p[1] << 8 | p[2]);
	ret->length = (uint16_t)(p[3] << 8 | p[4]);
	if (ret->length == 0 || ret->length > TLS_MAX_RECORD)
		return -EINVAL;
	return 1;
}

static void copy_host_name(char *dst, const uint8_t *p, size_t n)
{
	if (n > TLS_MAX_SNI)
		n = TLS_MAX_SNI;
	for (size_t i = 0; i < n; i++)
		dst[i] = p[i] > 0x20 && p[i] < 0x7f ? (char)p[i] : '?';
	dst[n] = '\0';
}

static void parse_sni(struct rd ext, struct tls_hello *h)
{
	struct rd list = rd_sub(&ext, rd_u16(&ext));

	h->has_sni = true;
	while (!list.bad && list.n) {
		unsigned type = rd_u8(&list);
		struct rd name = rd_sub(&list, rd_u16(&list));

		if (!name.bad && type == 0 && !h->sni[0]) {
			copy_host_name(h->sni, name.p, name.n);
			return;
		}
	}
}

static void parse_client_versions(struct rd ext, struct tls_hello *h)
{
	struct rd list = rd_sub(&ext, rd_u8(&ext));

	h->has_supported_versions = true;
	while (!list.bad && list.n >= 2) {
		unsigned v = rd_u16(&list);

		/* ignore GREASE values (0x?a?a) */
		if ((v & 0x0f0f) == 0x0a0a)
			continue;
		if (v > h->version && (v >> 8) == 3)
			h->version = (uint16_t)v;
	}
}

/* Walk the extensions block; client selects how supported_versions reads. */
static int parse_extensions(struct rd *r, struct tls_hello *h, bool client)
{
	struct rd exts;

	if (r->n == 0)
		return 0; /* no extensions (SSLv3-style hello) */
	exts = rd_sub(r, rd_u16(r));
	if (exts.bad)
		return -EINVAL;
	while (exts.n) {
		unsigned type = rd_u16(&exts);
		struct rd ext = rd_sub(&exts, rd_u16(&exts));

		if (exts.bad || ext.bad)
			return -EINVAL;
		if (type == 0 && client)
			parse_sni(ext, h);
		else if (type == 43 && client)
			parse_client_versions(ext, h);
		else if (type == 43 && ext.n == 2) {
			h->has_supported_versions = true;
			h->version = (uint16_t)rd_u16(&ext);
		}
	}
	return 0;
}

int tls_parse_client_hello(const uint8_t *p, size_t n, struct tls_hello *ret)
{
	struct rd r = { p, n, false };

	memset(ret, 0, sizeof(*ret));
	ret->legacy_version = (uint16_t)rd_u16(&r);
	rd_skip(&r, 32);         /* random */
	rd_skip(&r, rd_u8(&r));  /* session id */
	rd_skip(&r, rd_u16(&r)); /* cipher suites */
	rd_skip(&r, rd_u8(&r));  /* compression methods */
	if (r.bad)
		return -EINVAL;
	if (parse_extensions(&r, ret, true) < 0)
		return -EINVAL;
	if (!ret->has_supported_versions || ret->version == 0)
		ret->version = ret->legacy_version;
	return 0;
}

int tls_parse_server_hello(const uint8_t *p, size_t n, struct tls_hello *ret)
{
	struct rd r = { p, n, false };

	memset(ret, 0, sizeof(*ret));
	ret->legacy_version = (uint16_t)rd_u16(&r);
	rd_skip(&r, 32);        /* random */
	rd_skip(&r, rd_u8(&r)); /* session id */
	rd_skip(&r, 2);         /* cipher suite */
	rd_skip(&r, 1);         /* compression method */
	if (r.bad)
		return -EINVAL;
	if (parse_extensions(&r, ret, false) < 0)
		return -EINVAL;
	if (!ret->has_supported_versions)
		ret->version = ret->legacy_version;
	return 0;
}

int tls_parse_certificate(const uint8_t *p, size_t n, const uint8_t **ret_der, size_t *ret_len)
{
	struct rd r = { p, n, false };
	struct rd list = rd_sub(&r, rd_u24(&r));
	struct rd cert;

	if (list.bad)
		return -EINVAL;
	if (list.n == 0)
		return -ENOENT;
	cert = rd_sub(&list, rd_u24(&list));
	if (cert.bad || cert.n == 0)
		return -EINVAL;
	*ret_der = cert.p;
	*ret_len = cert.n;
	return 0;
}

const char *tls_alert_name(uint8_t desc)
{
	switch (desc) {
	case 0:
		return "close_notify";
	case 10:
		return "unexpected_message";
	case 20:
		return "bad_record_mac";
	case 22:
		return "record_overflow";
	case 40:
		return "handshake_failure";
	case 42:
		return "bad_certificate";
	case 43:
		return "unsupported_certificate";
	case 44:
		return "certificate_revoked";
	case 45:
		return "certificate_expired";
	case 46:
		return "certificate_unknown";
	case 47:
		return "illegal_parameter";
	case 48:
		return "unknown_ca";
	case 49:
		return "access_denied";
	case 50:
		return "decode_error";
	case 51:
		return "decrypt_error";
	case 70:
		return "protocol_version";
	case 71:
		return "insufficient_security";
	case 80:
		return "internal_error";
	case 86:
		return "inappropriate_fallback";
	case 90:
		return "user_canceled";
	case 109:
		return "missing_extension";
	case 110:
		return "unsupported_extension";
	case 112:
		return "unrecognized_name";
	case 113:
		return "bad_certificate_status_response";
	case 115:
		return "unknown_psk_identity";
	case 116:
		return "certificate_required";
	case 120:
		return "no_application_protocol";
	default:
		return "unknown";
	}
}

const char *tls_version_name(uint16_t v)
{
	switch (v) {
	case 0x0300:
		return "SSLv3";
	case 0x0301:
		return "TLSv1.0";
	case 0x0302:
		return "TLSv1.1";
	case 0x0303:
		return "TLSv1.2";
	case 0x0304:
		return "TLSv1.3";
	default:
		return "unknown";
	}
}

/* ---- one direction of a stream ------------------------------------------------- */

void tls_dir_init(struct tls_dir *d)
{
	memset(d, 0, sizeof(*d));
	buf_init(&d->hs, TLS_MAX_HANDSHAKE + 4);
}

void tls_dir_release(struct tls_dir *d)
{
	buf_release(&d->hs);
	buf_init(&d->hs, TLS_MAX_HANDSHAKE + 4);
}

/* Deliver every complete handshake message held in d->hs. */
static int hs_drain(struct tls_dir *d, const struct tls_events *ev, void *ud)
{
	size_t off = 0;
	int r = 0;

	while (d->hs.len - off >= 4) {
		const uint8_t *m = (const uint8_t *)d->hs.data + off;
		size_t len = (size_t)m[1] << 16 | (size_t)m[2] << 8 | m[3];

		if (len > TLS_MAX_HANDSHAKE) {
			d->state = TLS_DIR_BROKEN;
			buf_release(&d->hs);
			return 0;
		}
		if (d->hs.len - off - 4 < len)
			break;
		if (ev->handshake)
			r = ev->handshake(ud, m[0], m + 4, len);
		off += 4 + len;
		if (r < 0)
			break;
	}
	if (off) {
		memmove(d->hs.data, d->hs.data + off, d->hs.len - off);
		d->hs.len -= off;
	}
	return r;
}

static int record_bytes(struct tls_dir *d, const uint8_t *p, size_t k, const struct tls_events *ev,
                        void *ud)
{
	int r = 0;

	switch (d->rec.type) {
	case TLS_CT_HANDSHAKE:
		if (d->encrypted)
			return 0; /* Finished and later messages are encrypted */
		if (buf_append(&d->hs, p, k) < 0) {
			d->state = TLS_DIR_BROKEN;
			buf_release(&d->hs);
			return 0;
		}
		return hs_drain(d, ev, ud);
	case TLS_CT_ALERT:
		if (d->encrypted || d->rec.length != 2)
			return 0;
		while (k-- && d->alert_len < 2)
			d->alert[d->alert_len++] = *p++;
		if (d->alert_len == 2 && ev->alert)
			r = ev->alert(ud, d->alert[0], d->alert[1]);
		return r;
	default:
		return 0;
	}
}

static int record_start(struct tls_dir *d, const struct tls_events *ev, void *ud)
{
	int r = tls_record_header(d->hdr, 5, &d->rec);

	if (r < 0) {
		d->state = d->records ? TLS_DIR_BROKEN : TLS_DIR_NOT_TLS;
		buf_release(&d->hs);
		return 0;
	}
	d->records++;
	d->rec_left = d->rec.length;
	d->alert_len = 0;
	if ((d->rec.type == TLS_CT_CCS || d->rec.type == TLS_CT_APPDATA) && !d->encrypted) {
		d->encrypted = true;
		buf_release(&d->hs);
		if (ev->encrypted)
			return ev->encrypted(ud, d->rec.type);
	}
	return 0;
}

int tls_dir_feed(struct tls_dir *d, const uint8_t *p, size_t n, const struct tls_events *ev,
                 void *ud)
{
	int r;

	if (d->state == TLS_DIR_START)
		d->state = TLS_DIR_RECORDS;
	while (n && d->state == TLS_DIR_RECORDS) {
		size_t k;

		if (d->hdr_len < 5) {
			k = 5 - d->hdr_len < n ? 5 - d->hdr_len : n;
			memcpy(d->hdr + d->hdr_len, p, k);
			d->hdr_len += k;
			p += k;
			n -= k;
			if (d->hdr_len < 5)
				break;
			r = record_start(d, ev, ud);
			if (r < 0)
				return r;
			continue;
		}
		k = d->rec_left < n ? d->rec_left : n;
		r = record_bytes(d, p, k, ev, ud);
		if (r < 0)
			return r;
		p += k;
		n -= k;
		d->rec_left -= k;
		if (d->rec_left == 0)
			d->hdr_len = 0;
	}
	return 0;
}
