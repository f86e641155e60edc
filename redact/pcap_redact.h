/* SPDX-License-Identifier: Apache-2.0 */
/* Packet captures in a bundle (pcap, pcapng, either gzip'd; recognised by
 * content): every frame is kept, so frame numbers and times stay what they were,
 * but no frame carries payload beyond what the PCAP checks read.
 *
 *   - TCP: per direction, the TLS records from the start of the stream up to the
 *     first ChangeCipherSpec or application data record (handshake and alert
 *     records: ClientHello, ServerHello, Certificate, alerts) are kept; every
 *     byte after that, and every stream that is not TLS (plain HTTP with its
 *     Authorization headers and cookies), is cut. Sequence and acknowledgement
 *     numbers (and SACK blocks) are rewritten so the cut streams stay valid TCP:
 *     SYN, FIN and RST frames are kept, data frames after the cut become empty
 *     segments. IP lengths and IP/TCP/UDP/ICMP checksums are recomputed.
 *   - UDP, ICMP and other protocols keep their headers only; frames that are not
 *     IP keep their link header only.
 *   - --pseudonymize: IPv4/IPv6 addresses in every IP header with the text
 *     members' map (so an address in the access log and in the capture gives the
 *     same pseudonym), MAC addresses (Ethernet, Linux cooked), the SNI host names
 *     label by label (extension, handshake and record lengths rewritten), IPv4
 *     options turned into no-ops; of the handshake only ClientHello, ServerHello,
 *     ServerKeyExchange, ServerHelloDone and ClientKeyExchange stay. A TLS <= 1.2
 *     server Certificate becomes its facts in a document beside the capture
 *     ("<member>.certs.json", kind "apigee-bundle/capture-certs/v1"), which the
 *     analyzer joins back to its connection, so PCAP-003 judges it as before.
 *
 * A capture libpcap cannot open, one of more than PCAP_REDACT_MAX_FRAMES frames
 * and one of a link type not decoded here (anything but Ethernet, Linux cooked
 * SLL/SLL2, raw IP and loopback) is refused: the member fails, nothing of it is
 * written. A capture cut short keeps the frames before the cut.
 *
 * Captures are written with libpcap: a pcapng input comes out as pcap (libpcap
 * writes no pcapng), a gzip'd one gzip'd again. The input is spilled to an
 * unlinked temp file (the rewrite reads it twice: first to decide per stream
 * where the cut is, then to write), so memory stays bounded. */
#ifndef REDACT_PCAP_REDACT_H
#define REDACT_PCAP_REDACT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct redactor;
struct redact_stream;
struct pcap_redact;

#define PCAP_REDACT_PREFIX_MAX (64u << 10) /* kept TLS bytes per direction (pseudonymizing) */
#define PCAP_REDACT_BUDGET (64u << 20)     /* all kept prefixes held at once */
#define PCAP_REDACT_MAX_CONNS (1u << 18)   /* connections followed; others lose all payload */
#define PCAP_REDACT_MAX_FRAMES (32u << 20) /* frames; a bigger capture is refused */

struct pcap_redact_stats {
	uint64_t frames;
	uint64_t frames_cut; /* frames that lost payload */
	uint64_t bytes_cut;  /* captured bytes removed (payload, snap length) */
	uint64_t bytes_in;   /* captured bytes of all frames */
	uint64_t bytes_out;
	uint64_t conns;       /* TCP connections followed */
	uint64_t untracked;   /* TCP frames of connections not followed (table full) */
	uint64_t certs;       /* server certificates replaced by their facts */
	uint64_t pseudo_addr; /* frames whose addresses were pseudonymized */
	uint64_t pseudo_sni;  /* SNI host names pseudonymized */
	bool truncated;       /* the capture ended in the middle of a frame */
	bool pcapng_as_pcap;
};

struct pcap_redact_result {
	struct pcap_redact_stats st;
	struct buf facts; /* the facts document (JSON, not yet redacted); empty when none */
	char error[256];  /* why the capture could not be read (rc < 0), or a note */
};

/* Rewrite the capture read from fd_in (a seekable file, read twice) into fd_out.
 * r may be NULL (no pseudonymization). 0, or <0 with res->error set (nothing
 * usable written). */
int pcap_redact_fd(struct redactor *r, int fd_in, int fd_out, struct pcap_redact_result *res);
void pcap_redact_result_release(struct pcap_redact_result *res);

/* The stream side (redact.c): the member's bytes, as they come. gzip: the
 * member is gzip-compressed. */
int pcap_redact_begin(struct redact_stream *s, bool gzip, struct pcap_redact **ret);
int pcap_redact_write(struct pcap_redact *c, const void *data, size_t len);
/* Rewrite and write the result through redact_stream_emit_raw(); the facts
 * document, when there is one, is queued on the redactor (redactor_take_side()).
 * Frees c. */
int pcap_redact_end(struct pcap_redact *c);
void pcap_redact_abort(struct pcap_redact *c);

/* ---- internal: the kept TLS prefix of one direction (pcap_hello.c) ---- */

struct pcr_piece {
	uint64_t os, ol; /* original stream offset, length */
	uint64_t ns, nl; /* new stream offset, length */
};

struct pcr_cert_out {
	uint64_t p_last; /* stream offset of the Certificate message's last byte */
	struct json_t *facts;
};

struct pcr_rewrite {
	struct buf out; /* the new prefix */
	struct pcr_piece *pc;
	size_t n_pc;
	struct pcr_cert_out *certs;
	size_t n_certs;
	unsigned sni; /* SNI names pseudonymized */
};

/* Rewrite the kept prefix p[0..n) of one direction for pseudonymization. */
int pcr_rewrite_prefix(struct redactor *r, const uint8_t *p, size_t n, struct pcr_rewrite *ret);
void pcr_rewrite_release(struct pcr_rewrite *w);
/* Map an original stream offset inside [0, n] to the new prefix. */
uint64_t pcr_map(const struct pcr_rewrite *w, uint64_t off);

#endif
