/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for the TCP follower (core/tcpflow.c) and the TLS record and
 * handshake parser (core/tlsparse.c). Messages are built byte by byte here. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "tcpflow.h"
#include "tlsparse.h"
#include "banned.h"

/* ---- TCP ------------------------------------------------------------------------ */

static int collect(void *ud, const uint8_t *p, size_t n)
{
	return buf_append(ud, p, n);
}

static void tcp_in_order_and_retransmission(void **state)
{
	struct tcp_dir d = { 0 };
	struct buf out = BUF_INIT;

	(void)state;
	tcp_dir_syn(&d, 99);
	assert_int_equal(tcp_dir_segment(&d, 100, (const uint8_t *)"hello", 5, 0, collect, &out),
	                 0);
	/* full retransmission, then one overlapping the end */
	assert_int_equal(tcp_dir_segment(&d, 100, (const uint8_t *)"hello", 5, 0, collect, &out),
	                 0);
	assert_int_equal(tcp_dir_segment(&d, 103, (const uint8_t *)"lo wor", 6, 0, collect, &out),
	                 0);
	assert_int_equal(out.len, 9);
	assert_memory_equal(out.data, "hello wor", 9);
	assert_int_equal(d.retransmitted, 7);
	assert_false(d.gap);
	tcp_dir_release(&d);
	buf_release(&out);
}

static void tcp_out_of_order(void **state)
{
	struct tcp_dir d = { 0 };
	struct buf out = BUF_INIT;

	(void)state;
	tcp_dir_syn(&d, 0xfffffffe); /* sequence numbers wrap */
	assert_int_equal(tcp_dir_segment(&d, 5, (const uint8_t *)"GHI", 3, 0, collect, &out), 0);
	assert_int_equal(tcp_dir_segment(&d, 2, (const uint8_t *)"DEF", 3, 0, collect, &out), 0);
	assert_int_equal(tcp_dir_segment(&d, 2, (const uint8_t *)"DEF", 3, 0, collect, &out), 0);
	assert_int_equal(out.len, 0);
	assert_int_equal(d.ooo_segs, 2);
	assert_int_equal(
	        tcp_dir_segment(&d, 0xffffffff, (const uint8_t *)"ABC", 3, 0, collect, &out), 0);
	assert_int_equal(out.len, 9);
	assert_memory_equal(out.data, "ABCDEFGHI", 9);
	assert_int_equal(d.ooo_segs, 0);
	tcp_dir_release(&d);
	buf_release(&out);
}

static void tcp_bounded(void **state)
{
	struct tcp_dir d = { 0 };
	struct buf out = BUF_INIT;
	static uint8_t big[4096];
	uint32_t seq = 1000;

	(void)state;
	tcp_dir_syn(&d, 0);
	/* a hole at 1..999 that never fills: the held bytes reach the cap */
	for (size_t i = 0; i < TCP_MAX_OOO_BYTES / sizeof(big) + 2 && !d.gap; i++) {
		assert_int_equal(tcp_dir_segment(&d, seq, big, sizeof(big), 0, collect, &out), 0);
		seq += sizeof(big);
	}
	assert_true(d.gap);
	assert_true(d.capped);
	assert_int_equal(d.ooo_bytes, 0);
	assert_int_equal(tcp_dir_segment(&d, 1, big, 10, 0, collect, &out), 0);
	assert_int_equal(out.len, 0);
	tcp_dir_release(&d);
	buf_release(&out);
}

static void tcp_snaplen_cut(void **state)
{
	struct tcp_dir d = { 0 };
	struct buf out = BUF_INIT;

	(void)state;
	tcp_dir_syn(&d, 0);
	assert_int_equal(tcp_dir_segment(&d, 1, (const uint8_t *)"abc", 3, 100, collect, &out), 0);
	assert_true(d.gap);
	assert_true(d.cut);
	assert_int_equal(tcp_dir_segment(&d, 104, (const uint8_t *)"def", 3, 0, collect, &out), 0);
	assert_int_equal(out.len, 3);
	tcp_dir_release(&d);
	buf_release(&out);
}

/* ---- TLS ------------------------------------------------------------------------ */

static void put16(struct buf *b, unsigned v)
{
	uint8_t x[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	buf_append(b, x, 2);
}

static void put24(struct buf *b, size_t v)
{
	uint8_t x[3] = { (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };

	buf_append(b, x, 3);
}

/* A ClientHello body: SNI when sni != NULL, supported_versions {GREASE, 1.3, 1.2}. */
static void client_hello(struct buf *b, const char *sni)
{
	static const uint8_t zero[32];
	struct buf ext = BUF_INIT;

	put16(b, 0x0303);
	buf_append(b, zero, 32);
	buf_putc(b, 0); /* session id */
	put16(b, 2);    /* cipher suites */
	put16(b, 0x1301);
	buf_putc(b, 1); /* compression */
	buf_putc(b, 0);
	if (sni) {
		size_t n = strlen(sni);

		put16(&ext, 0);
		put16(&ext, (unsigned)n + 5);
		put16(&ext, (unsigned)n + 3);
		buf_putc(&ext, 0);
		put16(&ext, (unsigned)n);
		buf_puts(&ext, sni);
	}
	put16(&ext, 43);
	put16(&ext, 7);
	buf_putc(&ext, 6);
	put16(&ext, 0x3a3a);
	put16(&ext, 0x0304);
	put16(&ext, 0x0303);
	put16(b, (unsigned)ext.len);
	buf_append(b, ext.data, ext.len);
	buf_release(&ext);
}

static void tls_client_hello(void **state)
{
	struct buf b = BUF_INIT;
	struct tls_hello h;

	(void)state;
	client_hello(&b, "api.example.com");
	assert_int_equal(tls_parse_client_hello((uint8_t *)b.data, b.len, &h), 0);
	assert_true(h.has_sni);
	assert_string_equal(h.sni, "api.example.com");
	assert_int_equal(h.version, 0x0304);
	/* every truncation is rejected or parsed within bounds, never read past */
	for (size_t n = 0; n < b.len; n++) {
		uint8_t *copy = malloc(n ? n : 1);

		memcpy(copy, b.data, n);
		(void)tls_parse_client_hello(copy, n, &h);
		free(copy);
	}
	assert_int_equal(tls_parse_client_hello((uint8_t *)b.data, 20, &h), -EINVAL);
	buf_reset(&b);
	client_hello(&b, NULL);
	assert_int_equal(tls_parse_client_hello((uint8_t *)b.data, b.len, &h), 0);
	assert_false(h.has_sni);
	buf_release(&b);
}

static void tls_record_headers(void **state)
{
	struct tls_record_hdr h;

	(void)state;
	assert_int_equal(tls_record_header((const uint8_t *)"\x16\x03\x01\x00\x10", 5, &h), 1);
	assert_int_equal(h.type, 22);
	assert_int_equal(h.length, 16);
	assert_int_equal(tls_record_header((const uint8_t *)"\x16\x03", 2, &h), 0);
	/* longer than TLSCiphertext allows, zero length, not TLS */
	assert_int_equal(tls_record_header((const uint8_t *)"\x16\x03\x03\xff\xff", 5, &h),
	                 -EINVAL);
	assert_int_equal(tls_record_header((const uint8_t *)"\x16\x03\x03\x00\x00", 5, &h),
	                 -EINVAL);
	assert_int_equal(tls_record_header((const uint8_t *)"GET /", 5, &h), -EINVAL);
}

struct seen {
	int hellos, alerts, encrypted;
	struct tls_hello h;
	uint8_t alert;
};

static int on_hs(void *ud, uint8_t type, const uint8_t *body, size_t len)
{
	struct seen *s = ud;

	if (type == TLS_HS_CLIENT_HELLO && tls_parse_client_hello(body, len, &s->h) == 0)
		s->hellos++;
	return 0;
}

static int on_alert(void *ud, uint8_t level, uint8_t desc)
{
	struct seen *s = ud;

	(void)level;
	s->alerts++;
	s->alert = desc;
	return 0;
}

static int on_enc(void *ud, uint8_t type)
{
	(void)type;
	((struct seen *)ud)->encrypted++;
	return 0;
}

static const struct tls_events events = { on_hs, on_alert, on_enc };

/* A ClientHello split across two records, fed one byte at a time, then an alert,
 * ChangeCipherSpec, and an encrypted alert that must not be read. */
static void tls_stream(void **state)
{
	struct buf hello = BUF_INIT, msg = BUF_INIT, s = BUF_INIT;
	struct tls_dir d;
	struct seen seen = { 0 };
	size_t half;

	(void)state;
	client_hello(&hello, "split.example.com");
	buf_putc(&msg, 1);
	put24(&msg, hello.len);
	buf_append(&msg, hello.data, hello.len);
	half = msg.len / 2;
	buf_append(&s, "\x16\x03\x01", 3);
	put16(&s, (unsigned)half);
	buf_append(&s, msg.data, half);
	buf_append(&s, "\x16\x03\x01", 3);
	put16(&s, (unsigned)(msg.len - half));
	buf_append(&s, msg.data + half, msg.len - half);
	buf_append(&s, "\x15\x03\x03\x00\x02\x02\x30", 7);         /* fatal unknown_ca */
	buf_append(&s, "\x14\x03\x03\x00\x01\x01", 6);             /* ChangeCipherSpec */
	buf_append(&s, "\x15\x03\x03\x00\x04\x11\x22\x33\x44", 9); /* encrypted alert */
	tls_dir_init(&d);
	for (size_t i = 0; i < s.len; i++)
		assert_int_equal(tls_dir_feed(&d, (uint8_t *)s.data + i, 1, &events, &seen), 0);
	assert_int_equal(seen.hellos, 1);
	assert_string_equal(seen.h.sni, "split.example.com");
	assert_int_equal(seen.alerts, 1);
	assert_int_equal(seen.alert, 48);
	assert_int_equal(seen.encrypted, 1);
	assert_int_equal(d.state, TLS_DIR_RECORDS);
	tls_dir_release(&d);
	buf_release(&hello);
	buf_release(&msg);
	buf_release(&s);
}

static void tls_hostile(void **state)
{
	struct tls_dir d;
	struct seen seen = { 0 };
	uint8_t rec[5 + 4] = { 0x16, 3, 1, 0, 4, 1, 0xff, 0xff, 0xff }; /* a 16 MB message */
	const uint8_t *der;
	size_t n;

	(void)state;
	tls_dir_init(&d);
	assert_int_equal(tls_dir_feed(&d, rec, sizeof(rec), &events, &seen), 0);
	assert_int_equal(d.state, TLS_DIR_BROKEN);
	assert_int_equal(d.hs.len, 0);
	tls_dir_release(&d);
	tls_dir_init(&d);
	assert_int_equal(
	        tls_dir_feed(&d, (const uint8_t *)"GET / HTTP/1.1\r\n", 16, &events, &seen), 0);
	assert_int_equal(d.state, TLS_DIR_NOT_TLS);
	tls_dir_release(&d);
	/* Certificate: an empty list, a length beyond the message */
	assert_int_equal(tls_parse_certificate((const uint8_t *)"\0\0\0", 3, &der, &n), -ENOENT);
	assert_int_equal(tls_parse_certificate((const uint8_t *)"\0\0\x09\0\x10\0abc", 9, &der, &n),
	                 -EINVAL);
	assert_int_equal(tls_parse_certificate((const uint8_t *)"\0\0\x06\0\0\x03"
	                                                        "abc",
	                                       9, &der, &n),
	                 0);
	assert_int_equal(n, 3);
}

static void tls_server_hello_version(void **state)
{
	static const uint8_t zero[32];
	struct buf b = BUF_INIT;
	struct tls_hello h;

	(void)state;
	put16(&b, 0x0303);
	buf_append(&b, zero, 32);
	buf_putc(&b, 0);
	put16(&b, 0x1301);
	buf_putc(&b, 0);
	put16(&b, 6);
	put16(&b, 43);
	put16(&b, 2);
	put16(&b, 0x0304);
	assert_int_equal(tls_parse_server_hello((uint8_t *)b.data, b.len, &h), 0);
	assert_int_equal(h.version, 0x0304);
	assert_string_equal(tls_version_name(h.version), "TLSv1.3");
	assert_int_equal(tls_parse_server_hello((uint8_t *)b.data, b.len - 3, &h), -EINVAL);
	assert_string_equal(tls_alert_name(48), "unknown_ca");
	buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(tcp_in_order_and_retransmission),
		cmocka_unit_test(tcp_out_of_order),
		cmocka_unit_test(tcp_bounded),
		cmocka_unit_test(tcp_snaplen_cut),
		cmocka_unit_test(tls_client_hello),
		cmocka_unit_test(tls_record_headers),
		cmocka_unit_test(tls_stream),
		cmocka_unit_test(tls_hostile),
		cmocka_unit_test(tls_server_hello_version),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
