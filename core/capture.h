/* SPDX-License-Identifier: Apache-2.0 */
/* Packet captures (pcap, pcapng, either possibly gzip'd) read with libpcap:
 * link layers Ethernet (with VLAN tags), Linux cooked SLL/SLL2, raw IP and
 * loopback/null; IPv4 and IPv6; TCP followed in order per connection
 * (tcpflow.h) and TLS read from the streams (tlsparse.h). The facts go into the
 * model: b->pcap_conns, b->pcap and CERT_ROLE_SERVED certificates.
 *
 * Streaming: ingest hands the member's bytes to capture_feed(); a reader
 * thread runs libpcap on the other end of a socket pair, so memory stays
 * bounded whatever the capture size (the socket buffer, the connection table of
 * CAPTURE_MAX_CONNS, and per direction what tcpflow.h / tlsparse.h hold). The
 * thread writes only its own state; capture_end() joins it and moves the facts
 * into the bundle. */
#ifndef CORE_CAPTURE_H
#define CORE_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <pcap/pcap.h>

struct bundle;
struct capture;

#define CAPTURE_MAX_CONNS 16384 /* connections followed at the same time */

enum capture_format {
	CAPTURE_NONE = 0,
	CAPTURE_PLAIN, /* pcap or pcapng */
	CAPTURE_GZIP,  /* the same, gzip-compressed */
};

/* Recognise a capture from its first bytes (n may be short; gzip is inflated
 * far enough to see the magic). */
enum capture_format capture_sniff(const void *data, size_t n);

int capture_begin(struct bundle *b, size_t artifact_index, enum capture_format fmt,
                  struct capture **ret);
/* Consecutive bytes of the member; 0 or -ENOMEM. Bytes after the reader has
 * stopped (a broken capture) are discarded. */
int capture_feed(struct capture *c, const void *data, size_t len);
/* Wait for the reader, record the facts (and any error, with frame number) in the
 * bundle and free c. */
int capture_end(struct capture *c);
/* Abandon (on an error of the caller): stops the reader and frees c. */
void capture_free(struct capture *c);

/* Read a whole capture from f in the calling thread (fuzzing, tests). */
int capture_read_file(struct bundle *b, size_t artifact_index, FILE *f);

/* The served certificates a pseudonymized capture lost (redact/pcap_redact.h):
 * "<capture>.certs.json", kind "apigee-bundle/capture-certs/v1". Ingest reads the
 * facts into CERT_ROLE_SERVED certificates and, once every member is read, joins
 * each to its connection (same capture, same first frame), so PCAP-003 and the
 * TLS checks judge it as if the Certificate message were still there. */
struct capcert_pending {
	size_t cert; /* index in b->certs */
	char *capture;
	uint64_t conn_frame, frame;
	int64_t us;
};

struct capcert_list {
	struct capcert_pending *v;
	size_t n, cap;
};

struct json_t;
struct artifact;
/* 1 (recognised), -ENOMEM. */
int capture_certs_doc(struct bundle *b, const struct artifact *a, const struct json_t *o,
                      struct capcert_list *l);
int capture_certs_link(struct bundle *b, const struct capcert_list *l);
void capcert_list_release(struct capcert_list *l);

/* "2026-12-03T09:22:01.123456Z" */
void capture_time_text(int64_t us, char *out, size_t size);

/* The link header of a frame of link type dlt (Ethernet with VLAN tags, Linux
 * cooked SLL/SLL2, BSD loopback, raw IP): the ethertype after it (0 = not IP, or
 * too short) and in *ret_off where the network header starts (0 when unknown). */
unsigned capture_link(int dlt, const uint8_t *p, size_t n, size_t *ret_off);

/* The link types capture_link() reads, libpcap's DLT_ numbers (those an older
 * pcap.h lacks are defined here, for the reader and the redactor alike). */
#ifndef DLT_LINUX_SLL2
#define DLT_LINUX_SLL2 276
#endif
#ifndef DLT_IPV4
#define DLT_IPV4 228
#endif
#ifndef DLT_IPV6
#define DLT_IPV6 229
#endif
bool capture_dlt_known(int dlt);

#endif
