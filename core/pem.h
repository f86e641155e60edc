/* SPDX-License-Identifier: Apache-2.0 */
/* Certificate and key facts with OpenSSL.
 *
 * The one place that turns PEM/DER bytes into facts: subject, issuer, SAN names,
 * validity, SHA-256 fingerprint, public key type/size and a hash of the public key
 * (SubjectPublicKeyInfo DER, SHA-256) that makes key<->certificate matching a string
 * comparison for RSA, EC and EdDSA alike. Private keys are parsed only to compute
 * their public key hash; nothing returned here holds private key material.
 *
 * Malformed input is classified the way OpenSSL reports it (enum pem_error), so the
 * report can say "bad end line" exactly as the playbook's openssl output does.
 * Every parser takes (data, len) and never touches the filesystem (fuzzable). */
#ifndef CORE_PEM_H
#define CORE_PEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct error;
struct json_t;
struct x509_st;

/* Limits on what the input controls. */
#define PEM_MAX_INPUT (16u * 1024 * 1024) /* larger input: -ERANGE */
#define PEM_MAX_ITEMS 1000                /* more BEGIN blocks: -ERANGE */
#define PEM_MAX_NAMES 1000                /* SAN DNS / IP entries kept per certificate */

enum pem_error {
	PEM_OK = 0,
	PEM_ERR_EMPTY,      /* zero bytes or only white space */
	PEM_ERR_NO_PEM,     /* no "-----BEGIN" line: text, DER, something else */
	PEM_ERR_BAD_BASE64, /* body is not valid base64 ("bad base64 decode") */
	PEM_ERR_BAD_END_LINE, /* END line missing, misspelled or not matching BEGIN ("bad end line") */
	PEM_ERR_TRUNCATED,    /* base64 fine but the DER inside is cut short */
	PEM_ERR_WRONG_OBJECT, /* a key, CSR, ... where a certificate belongs, or vice versa */
	PEM_ERR_BAD_DER,      /* decodes but is not a valid ASN.1 certificate/key */
	PEM_ERR_ENCRYPTED,    /* encrypted private key and no passphrase */
	PEM_ERR_UNSUPPORTED,  /* a key algorithm OpenSSL cannot load */
	PEM_ERR_MISSING,      /* the named file does not exist or cannot be read (collector) */
	PEM_ERR__MAX,
	PEM_ERR__INVALID = -22,
};

/* Stable machine name ("bad-end-line") and the human text ("bad end line").
 * Out-of-range values give "invalid"; pem_error_from_name() returns
 * PEM_ERR__INVALID for an unknown name. */
const char *pem_error_name(enum pem_error e);
const char *pem_error_text(enum pem_error e);
enum pem_error pem_error_from_name(const char *name);

struct cert_facts {
	char *subject; /* one line, "CN = a.example.com, O = x" */
	char *issuer;
	char *common_name; /* last CN of the subject, NULL if none */
	struct strv san_dns;
	struct strv san_ip;
	int64_t not_before; /* seconds since the epoch, UTC */
	int64_t not_after;
	char sha256[65];        /* fingerprint of the DER certificate, lower-case hex */
	char pubkey_sha256[65]; /* SHA-256 of the SubjectPublicKeyInfo DER */
	char *key_type;         /* "RSA", "EC", "ED25519", ... */
	int key_bits;
	bool self_signed;
	bool is_ca;
};

struct key_facts {
	enum pem_error status; /* PEM_OK when the key loaded */
	char *key_type;
	int key_bits;
	char pubkey_sha256[65]; /* empty unless status == PEM_OK */
	bool encrypted;
};

enum pem_kind {
	PEM_ITEM_CERT,
	PEM_ITEM_KEY,   /* any PRIVATE KEY block: RSA, EC, PKCS#8, ENCRYPTED */
	PEM_ITEM_OTHER, /* CSR, public key, parameters, ... */
};

struct pem_item {
	enum pem_kind kind;
	char *label;            /* "CERTIFICATE", "RSA PRIVATE KEY", ... */
	unsigned line;          /* 1-based line of the BEGIN line (0 for DER input) */
	enum pem_error error;   /* PEM_OK or why this block failed */
	char *error_text;       /* why, worded like OpenSSL; NULL when PEM_OK */
	struct cert_facts cert; /* valid when kind == PEM_ITEM_CERT && error == PEM_OK */
	struct key_facts key;   /* valid when kind == PEM_ITEM_KEY */
};

/* All PEM blocks of one file, or the reason the file holds none usable. */
struct pem_file {
	struct pem_item *items;
	size_t n_items;
	enum pem_error error; /* file-level: PEM_ERR_EMPTY / NO_PEM, or the first item error */
	char *error_text;     /* NULL when error == PEM_OK */
	unsigned error_line;
	bool has_private_key;
	bool der; /* the input was a DER certificate, not PEM */
};

/* Parse every block of a PEM (or single DER certificate) file. Never fails on
 * malformed content: that is reported in ret->error / items[i].error. Fails only
 * on allocation errors (-ENOMEM), input over PEM_MAX_INPUT or more than
 * PEM_MAX_ITEMS blocks (-ERANGE); ret is then zeroed. Caller releases ret with
 * pem_file_release() (which accepts a zeroed struct).
 *
 * How the input is read (OpenSSL's PEM_read_bio_ex() rules, checked against
 * OpenSSL 3.0; white space at the end of lines and CRLF are fine everywhere):
 *   1. Only white space (or nothing): error PEM_ERR_EMPTY, no items.
 *   2. Every line "-----BEGIN LABEL-----" starting in column 1 (LABEL printable
 *      ASCII without "-----") starts a block; text before, between and after
 *      blocks is ignored. Anything else is not a BEGIN line: an indented one, a
 *      misspelled one, or a whole PEM squeezed onto one line.
 *   3. No BEGIN line: error PEM_ERR_NO_PEM ("no start line", with a hint when
 *      "-----BEGIN " occurs elsewhere). If the whole input is one DER
 *      certificate, it is parsed anyway: der = true, items[0] holds its facts
 *      (label "CERTIFICATE", line 0), and error stays PEM_ERR_NO_PEM so that
 *      TLS-002 can still say "not PEM".
 *   4. Per block, checks run in this order and the first failure is items[i].error:
 *      a. BAD_END_LINE: the input ends, or a new BEGIN line comes, before an END
 *         line; or the END line is not exactly "-----END LABEL-----" (label
 *         mismatch, misspelling, trailing text, indented); or a body line starts
 *         with '-' or contains "-----" (a mangled boundary, END glued to the last
 *         line); or a second blank line; or, after a blank line, a data line
 *         shorter than 64 characters that is not the last one.
 *      b. BAD_BASE64: headers (lines with ':' before the first blank line) not
 *         ended by a blank line, or not starting with "Proc-Type: "; a blank line
 *         inside the data (openssl: "not proc type"); after a blank line, a data
 *         line longer than 64 characters; a character outside the base64
 *         alphabet; a length that is not a multiple of 4; bad '=' padding.
 *         Without a blank line, data lines may have any length.
 *      c. key blocks: "Proc-Type: 4,ENCRYPTED" -> ENCRYPTED; a label other than
 *         PRIVATE KEY, ENCRYPTED PRIVATE KEY, RSA/EC/DSA PRIVATE KEY
 *         ("OPENSSH PRIVATE KEY", ...) -> UNSUPPORTED.
 *      d. TRUNCATED: the decoded DER is empty, or its outer length claims more
 *         bytes than there are (lines cut off).
 *      e. BAD_DER: the DER uses BER indefinite length, or d2i fails, or a
 *         certificate field (validity time) is unreadable.
 *      f. ENCRYPTED PRIVATE KEY with a valid EncryptedPrivateKeyInfo -> ENCRYPTED;
 *         PKCS#8 PRIVATE KEY of an algorithm OpenSSL does not know -> UNSUPPORTED
 *         (a known algorithm that fails to load is BAD_DER).
 *      key.encrypted is set for both encrypted forms whatever the error. Nothing is
 *      ever decrypted and no passphrase is ever asked for. Blocks of other labels
 *      (CSR, PUBLIC KEY, parameters...) get a, b and d only; PGP and SSH2 armour
 *      only a.
 *   5. error / error_text / error_line are those of the first failed block (in
 *      file order), else PEM_OK. has_private_key is set for any PRIVATE KEY block,
 *      readable or not.
 * error_text strings read like OpenSSL's messages ("bad end line: expected
 * '-----END CERTIFICATE-----', found ...", "bad base64 decode: invalid character
 * '!' at line 5", "unable to load certificate: too long: ... truncated").
 * The OpenSSL error queue of the calling thread is cleared. */
int pem_file_parse(const uint8_t *data, size_t len, struct pem_file *ret, struct error *err);
void pem_file_release(struct pem_file *f);

/* Parse a file that must hold a certificate (chain); the first certificate is the
 * leaf. Sets *ret_error to:
 *   PEM_ERR_EMPTY / PEM_ERR_NO_PEM as for pem_file_parse (a DER certificate is
 *   PEM_ERR_NO_PEM with ret->der set and its facts in items[0]);
 *   PEM_ERR_WRONG_OBJECT when there is no CERTIFICATE block but a key, CSR, ...;
 *   else the leaf block's error (PEM_OK when the leaf parsed; later blocks of the
 *   chain may still have failed, see items[]).
 * ret is as for pem_file_parse, except that ret->error, error_text and error_line
 * are rewritten to describe *ret_error ("expecting: CERTIFICATE, found: RSA
 * PRIVATE KEY"). */
int pem_parse_cert_file(const uint8_t *data, size_t len, struct pem_file *ret,
                        enum pem_error *ret_error, struct error *err);

/* Parse a file that must hold one private key (the first PRIVATE KEY block is used).
 * Fills ret: status PEM_OK with key_type, key_bits and pubkey_sha256; or the class
 * of failure (EMPTY, NO_PEM, WRONG_OBJECT when the file holds only certificates or
 * other blocks, or the key block's error). key_type may be known from the label of
 * a failed "RSA/EC/DSA PRIVATE KEY" block. The key material is freed and decoded
 * buffers are cleansed before returning. Fails like pem_file_parse. */
int pem_parse_key_file(const uint8_t *data, size_t len, struct key_facts *ret, struct error *err);

void cert_facts_release(struct cert_facts *c);
void key_facts_release(struct key_facts *k);
int cert_facts_copy(struct cert_facts *dst, const struct cert_facts *src);

/* Facts of a certificate in DER form (used by the TLS probes). -EINVAL when it
 * does not parse, -ERANGE over PEM_MAX_INPUT. Caller releases ret. */
int cert_facts_from_der(const uint8_t *der, size_t len, struct cert_facts *ret, struct error *err);
/* The same from an OpenSSL X509 (e.g. SSL_get0_peer_certificate()); x is not kept. */
int cert_facts_from_x509(const struct x509_st *x, struct cert_facts *ret, struct error *err);

/* The key matches the certificate: both public key hashes known and equal. */
bool cert_key_match(const struct cert_facts *c, const struct key_facts *k);

/* RFC 6125 host name check: SAN DNS names (or the CN when there is no SAN DNS
 * name); a wildcard only as the whole left-most label ("*.example.com", never
 * "f*o.example.com" or "*.com"), matching exactly one non-empty label, never the
 * bare domain. Case-insensitive; a trailing dot is ignored. An IP literal host
 * ("10.0.0.1", "::1", "[::1]") is compared with the SAN IP addresses only. If
 * ret_matched is not NULL it gets the name that matched (borrowed from c). */
bool cert_covers_host(const struct cert_facts *c, const char *host, const char **ret_matched);

/* JSON form used inside bundles ("cert facts" objects) and its reader.
 * cert_facts_to_json returns a new reference (NULL on ENOMEM):
 *   {"subject", "issuer", "common_name" (or null), "san_dns": [...], "san_ip": [...],
 *    "not_before": "2025-01-01T00:00:00Z", "not_after", "sha256", "pubkey_sha256",
 *    "key_type", "key_bits", "self_signed", "is_ca"}
 * key_facts_to_json: {"status": pem_error_name(), "key_type", "key_bits",
 *    "pubkey_sha256" (or null), "encrypted"}, never anything private.
 * The readers accept missing members and null; a member of the wrong type is
 * -EINVAL (with err), times may also be integers (epoch seconds). */
struct json_t *cert_facts_to_json(const struct cert_facts *c);
int cert_facts_from_json(const struct json_t *j, struct cert_facts *ret, struct error *err);
struct json_t *key_facts_to_json(const struct key_facts *k);
int key_facts_from_json(const struct json_t *j, struct key_facts *ret, struct error *err);

#endif
