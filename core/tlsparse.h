/* SPDX-License-Identifier: Apache-2.0 */
/* TLS record and handshake parsing for packet captures: only what the PCAP checks
 * read (record headers, ClientHello with its extensions, ServerHello version,
 * Certificate on TLS <= 1.2, alerts). Every length is checked against the bytes
 * it claims to cover; nothing here allocates except tls_dir's buffers.
 *
 * tls_dir follows one direction of a TCP connection: feed it the in-order bytes
 * (tls_dir_feed) and it reports handshake messages and alerts through callbacks.
 * Memory per direction: one partial record header and the handshake bytes of one
 * message, at most TLS_MAX_HANDSHAKE; application data is skipped, not kept. */
#ifndef CORE_TLSPARSE_H
#define CORE_TLSPARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define TLS_MAX_RECORD (16384 + 2048)  /* TLSCiphertext limit (RFC 8446 5.2) */
#define TLS_MAX_HANDSHAKE (256u << 10) /* a handshake message we are willing to hold */
#define TLS_MAX_SNI 255

enum tls_content {
	TLS_CT_CCS = 20,
	TLS_CT_ALERT = 21,
	TLS_CT_HANDSHAKE = 22,
	TLS_CT_APPDATA = 23,
};

enum tls_hs_type {
	TLS_HS_CLIENT_HELLO = 1,
	TLS_HS_SERVER_HELLO = 2,
	TLS_HS_CERTIFICATE = 11,
};

struct tls_record_hdr {
	uint8_t type;
	uint16_t version;
	uint16_t length;
};

/* 1 = header read, 0 = fewer than 5 bytes, -EINVAL = not a TLS record header. */
int tls_record_header(const uint8_t *p, size_t n, struct tls_record_hdr *ret);

struct tls_hello {
	uint16_t legacy_version;
	uint16_t version; /* ClientHello: highest offered; ServerHello: negotiated */
	bool has_sni;
	char sni[TLS_MAX_SNI + 1]; /* host_name, printable ASCII only (others escaped as '?') */
	bool has_supported_versions;
};

/* Parse a handshake message body (after the 4-byte handshake header). 0 or -EINVAL. */
int tls_parse_client_hello(const uint8_t *p, size_t n, struct tls_hello *ret);
int tls_parse_server_hello(const uint8_t *p, size_t n, struct tls_hello *ret);
/* TLS <= 1.2 Certificate: the first (leaf) certificate's DER. 0, -ENOENT (empty
 * list) or -EINVAL. */
int tls_parse_certificate(const uint8_t *p, size_t n, const uint8_t **ret_der, size_t *ret_len);

const char *tls_alert_name(uint8_t desc);
const char *tls_version_name(uint16_t v);

struct tls_events {
	/* a complete handshake message (type, body) outside encryption */
	int (*handshake)(void *ud, uint8_t type, const uint8_t *body, size_t len);
	/* a cleartext alert record */
	int (*alert)(void *ud, uint8_t level, uint8_t desc);
	/* ChangeCipherSpec or application data: what follows is encrypted */
	int (*encrypted)(void *ud, uint8_t type);
};

enum tls_dir_state {
	TLS_DIR_START = 0, /* nothing seen yet */
	TLS_DIR_RECORDS,   /* reading records */
	TLS_DIR_NOT_TLS,   /* the stream is not TLS: ignored from here */
	TLS_DIR_BROKEN,    /* a record or message broke a limit: ignored from here */
};

struct tls_dir {
	enum tls_dir_state state;
	uint8_t hdr[5];
	size_t hdr_len;
	struct tls_record_hdr rec; /* current record, when hdr_len == 5 */
	size_t rec_left;           /* bytes of the current record still to come */
	uint8_t alert[2];
	size_t alert_len;
	bool encrypted; /* after ChangeCipherSpec / application data */
	struct buf hs;  /* handshake bytes of the message being assembled */
	uint64_t records;
};

void tls_dir_init(struct tls_dir *d);
void tls_dir_release(struct tls_dir *d);
/* Feed consecutive stream bytes. Returns what a callback returned when < 0, else 0. */
int tls_dir_feed(struct tls_dir *d, const uint8_t *p, size_t n, const struct tls_events *ev,
                 void *ud);

#endif
