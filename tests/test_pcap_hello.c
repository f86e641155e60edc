/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the kept TLS prefix rewrite (redact/pcap_hello.c): a ClientHello
 * split over two records gets its SNI pseudonymized with every length fixed up;
 * a Certificate message becomes facts and its record goes; alerts stay; the
 * offset map is monotonic and covers the new prefix exactly. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "error.h"
#include "pcap_redact.h"
#include "redact.h"
#include "tlsparse.h"
#include "banned.h"

static void put16(struct buf *b, size_t v)
{
	uint8_t x[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	assert_int_equal(buf_append(b, x, 2), 0);
}

static void put24(struct buf *b, size_t v)
{
	uint8_t x[3] = { (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };

	assert_int_equal(buf_append(b, x, 3), 0);
}

/* A ClientHello message (header included) naming host. */
static void client_hello(struct buf *m, const char *host)
{
	struct buf body = BUF_INIT, ext = BUF_INIT;
	uint8_t random[32] = { 1, 2, 3 };
	size_t hl = strlen(host);

	put16(&body, 0x0303);
	assert_int_equal(buf_append(&body, random, 32), 0);
	assert_int_equal(buf_putc(&body, 0), 0); /* session id */
	put16(&body, 2);
	put16(&body, 0x1301);
	assert_int_equal(buf_putc(&body, 1), 0);
	assert_int_equal(buf_putc(&body, 0), 0);
	/* server_name, then supported_versions */
	put16(&ext, 0);
	put16(&ext, hl + 5);
	put16(&ext, hl + 3);
	assert_int_equal(buf_putc(&ext, 0), 0);
	put16(&ext, hl);
	assert_int_equal(buf_append(&ext, host, hl), 0);
	put16(&ext, 43);
	put16(&ext, 3);
	assert_int_equal(buf_append(&ext, "\x02\x03\x04", 3), 0);
	put16(&body, ext.len);
	assert_int_equal(buf_append(&body, ext.data, ext.len), 0);
	assert_int_equal(buf_putc(m, 1), 0);
	put24(m, body.len);
	assert_int_equal(buf_append(m, body.data, body.len), 0);
	buf_release(&body);
	buf_release(&ext);
}

static void record(struct buf *p, uint8_t type, const void *d, size_t n)
{
	assert_int_equal(buf_putc(p, (char)type), 0);
	put16(p, 0x0303);
	put16(p, n);
	assert_int_equal(buf_append(p, d, n), 0);
}

/* The handshake bytes of every record of p, and how many records of each type. */
static void unrecord(const uint8_t *p, size_t n, struct buf *hs, unsigned *ret_alerts)
{
	size_t off = 0;

	*ret_alerts = 0;
	while (off < n) {
		struct tls_record_hdr h;

		assert_int_equal(tls_record_header(p + off, n - off, &h), 1);
		assert_true(off + 5 + h.length <= n);
		assert_true(h.length > 0);
		if (h.type == TLS_CT_HANDSHAKE)
			assert_int_equal(buf_append(hs, p + off + 5, h.length), 0);
		else
			(*ret_alerts)++;
		off += 5 + h.length;
	}
	assert_int_equal(off, n);
}

static void rewrite_client_hello_split(void **state)
{
	struct redact_options o = { .pseudonymize = true };
	struct error err = ERROR_INIT;
	struct redactor *r;
	struct buf m = BUF_INIT, p = BUF_INIT, hs = BUF_INIT;
	struct pcr_rewrite w;
	struct tls_hello h;
	unsigned alerts;
	uint64_t last = 0;

	(void)state;
	assert_int_equal(redactor_new(&o, &r, &err), 0);
	client_hello(&m, "api.customer-example.com");
	/* split in two records, then a warning alert */
	record(&p, TLS_CT_HANDSHAKE, m.data, 30);
	record(&p, TLS_CT_HANDSHAKE, m.data + 30, m.len - 30);
	record(&p, TLS_CT_ALERT, "\x01\x70", 2);
	assert_int_equal(pcr_rewrite_prefix(r, (const uint8_t *)p.data, p.len, &w), 0);
	assert_int_equal(w.sni, 1);
	assert_null(memmem(w.out.data, w.out.len, "customer", 8));
	unrecord((const uint8_t *)w.out.data, w.out.len, &hs, &alerts);
	assert_int_equal(alerts, 1);
	assert_true(hs.len >= 4);
	assert_int_equal(hs.data[0], 1);
	assert_int_equal(tls_parse_client_hello((const uint8_t *)hs.data + 4, hs.len - 4, &h), 0);
	assert_true(h.has_sni);
	assert_non_null(strstr(h.sni, ".com"));
	assert_null(strstr(h.sni, "customer"));
	assert_int_equal(h.version, 0x0304);
	/* the map: monotonic, 0 -> 0, the end -> the new end */
	assert_int_equal(pcr_map(&w, 0), 0);
	for (uint64_t off = 0; off <= p.len; off++) {
		uint64_t v = pcr_map(&w, off);

		assert_true(v >= last);
		assert_true(v <= w.out.len);
		last = v;
	}
	assert_int_equal(pcr_map(&w, p.len), w.out.len);
	pcr_rewrite_release(&w);
	buf_release(&m);
	buf_release(&p);
	buf_release(&hs);
	redactor_free(r);
}

static void certificate_goes(void **state)
{
	struct redact_options o = { .pseudonymize = true };
	struct error err = ERROR_INIT;
	struct redactor *r;
	struct buf p = BUF_INIT, hs = BUF_INIT;
	struct pcr_rewrite w;
	unsigned alerts;
	/* ServerHello (minimal), then a Certificate of garbage in its own record, then
	 * ServerHelloDone */
	static const uint8_t sh[] = { 2, 0, 0, 38, 3, 3, 7, 7, 7, 7, 7, 7,    7,    7,
		                      7, 7, 7, 7,  7, 7, 7, 7, 7, 7, 7, 7,    7,    7,
		                      7, 7, 7, 7,  7, 7, 7, 7, 7, 7, 0, 0x13, 0x01, 0 };
	static const uint8_t cert[] = { 11, 0, 0, 9, 0, 0, 6, 0, 0, 3, 'a', 'b', 'c' };
	static const uint8_t done[] = { 14, 0, 0, 0 };

	(void)state;
	assert_int_equal(redactor_new(&o, &r, &err), 0);
	record(&p, TLS_CT_HANDSHAKE, sh, sizeof(sh));
	record(&p, TLS_CT_HANDSHAKE, cert, sizeof(cert));
	record(&p, TLS_CT_HANDSHAKE, done, sizeof(done));
	assert_int_equal(pcr_rewrite_prefix(r, (const uint8_t *)p.data, p.len, &w), 0);
	/* not a certificate: no facts, but the message is gone all the same */
	assert_int_equal(w.n_certs, 0);
	assert_int_equal(w.out.len, p.len - 5 - sizeof(cert));
	unrecord((const uint8_t *)w.out.data, w.out.len, &hs, &alerts);
	assert_int_equal(hs.len, sizeof(sh) + sizeof(done));
	assert_memory_equal(hs.data, sh, sizeof(sh));
	assert_memory_equal(hs.data + sizeof(sh), done, sizeof(done));
	/* a cut inside the certificate record maps to where its record was */
	assert_int_equal(pcr_map(&w, 5 + sizeof(sh) + 7), 5 + sizeof(sh));
	pcr_rewrite_release(&w);
	buf_release(&p);
	buf_release(&hs);
	redactor_free(r);
}

static void partial_message_dropped(void **state)
{
	struct redact_options o = { .pseudonymize = true };
	struct error err = ERROR_INIT;
	struct redactor *r;
	struct buf m = BUF_INIT, p = BUF_INIT;
	struct pcr_rewrite w;

	(void)state;
	assert_int_equal(redactor_new(&o, &r, &err), 0);
	client_hello(&m, "secret-host.customer-example.com");
	/* the record and the capture end in the middle of the name */
	record(&p, TLS_CT_HANDSHAKE, m.data, m.len);
	p.len -= 20;
	assert_int_equal(pcr_rewrite_prefix(r, (const uint8_t *)p.data, p.len, &w), 0);
	assert_int_equal(w.out.len, 0);
	assert_int_equal(pcr_map(&w, p.len), 0);
	pcr_rewrite_release(&w);
	buf_release(&m);
	buf_release(&p);
	redactor_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rewrite_client_hello_split),
		cmocka_unit_test(certificate_goes),
		cmocka_unit_test(partial_message_dropped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
