/* SPDX-License-Identifier: Apache-2.0 */
/* PEM files (a member that starts with "-----BEGIN "): when pseudonymizing, or when
 * the file holds private keys and no certificate, the file becomes a facts
 * document instead of a marker:
 *
 *   {"kind": "apigee-bundle/pem-file/v1",
 *    "note": "...",
 *    "error": null | {"class": "bad-end-line", "line": 3},
 *    "der": false,
 *    "items": [{"label": "CERTIFICATE", "line": 1, "error": null | {...},
 *               "cert": FACTS},
 *              {"label": "RSA PRIVATE KEY", "line": 30, "error": null | {...},
 *               "redacted": "<redacted:1a2b3c4d private key>", "key": KEYFACTS},
 *              {"label": "CERTIFICATE REQUEST", "line": 60}]}
 *
 * FACTS and KEYFACTS are those of core/pem.h (cert_facts_to_json,
 * key_facts_to_json): names, validity, fingerprints, public key hashes; nothing
 * private. The document then goes through the stages like any member, so the
 * names in it are pseudonymized with the same map as everything else, and the
 * analyzer can still judge the certificate (expiry, SAN coverage, key match)
 * without the PEM, which holds the real names. Error texts of key blocks are left
 * out (they may quote a line of the key). */
#include "redact_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>

#include "error.h"
#include "pem.h"
#include "banned.h"

bool pemfile_candidate(const struct redact_stream *s, const char *data, size_t len)
{
	size_t i = 0;

	/* a DER certificate (SEQUENCE, binary): its names when pseudonymizing, and
	 * kept byte for byte otherwise (text rules would corrupt it) */
	if (len > 64 && (unsigned char)data[0] == 0x30 &&
	    ((unsigned char)data[1] == 0x82 || (unsigned char)data[1] == 0x81) &&
	    memchr(data, '\0', len < 512 ? len : 512))
		return true;
	/* a small DER SEQUENCE that is the whole member (an EC key) */
	if (len > 16 && len < 128 && (unsigned char)data[0] == 0x30 &&
	    (unsigned char)data[1] == len - 2)
		return true;
	while (i < len && (data[i] == ' ' || data[i] == '\t' || data[i] == '\r' || data[i] == '\n'))
		i++;
	return len - i >= 11 && memcmp(data + i, "-----BEGIN ", 11) == 0;
}

bool pemfile_is_der_cert(const char *data, size_t len)
{
	const unsigned char *p = (const unsigned char *)data;
	X509 *x;
	bool whole;

	if (len < 64 || len > (16u << 20) || p[0] != 0x30)
		return false;
	x = d2i_X509(NULL, &p, (long)len);
	whole = x && p == (const unsigned char *)data + len;
	X509_free(x);
	ERR_clear_error();
	return whole;
}

bool pemfile_is_der_private(const char *data, size_t len)
{
	const unsigned char *start = (const unsigned char *)data, *end = start + len, *p;
	bool found = false;

	if (len < 16 || len > (16u << 20) || start[0] != 0x30)
		return false;
	p = start;
	{
		EVP_PKEY *k = d2i_AutoPrivateKey(NULL, &p, (long)len);

		found = k && p == end;
		EVP_PKEY_free(k);
	}
	if (!found) {
		X509_SIG *enc;

		p = start;
		enc = d2i_X509_SIG(NULL, &p, (long)len);
		found = enc && p == end;
		X509_SIG_free(enc);
	}
	if (!found) {
		PKCS12 *p12;

		p = start;
		p12 = d2i_PKCS12(NULL, &p, (long)len);
		found = p12 != NULL;
		PKCS12_free(p12);
	}
	ERR_clear_error();
	return found;
}

static json_t *error_json(enum pem_error e, unsigned line)
{
	if (e == PEM_OK)
		return json_null();
	return json_pack("{s:s,s:i}", "class", pem_error_name(e), "line", (int)line);
}

int pemfile_facts(struct redact_stream *s, const char *data, size_t len, struct buf *ret)
{
	struct pem_file f = { 0 };
	struct error err = ERROR_INIT;
	json_t *doc = NULL, *items;
	size_t certs = 0, keys = 0;
	char *text = NULL;
	int rc;

	if (pem_file_parse((const uint8_t *)data, len, &f, &err) < 0)
		return 1;
	for (size_t i = 0; i < f.n_items; i++) {
		certs += f.items[i].kind == PEM_ITEM_CERT;
		keys += f.items[i].kind == PEM_ITEM_KEY;
	}
	/* plain redaction keeps certificates as they are */
	if (f.n_items == 0 || (!s->r->pseudo && (certs || !keys)) ||
	    (s->r->pseudo && !certs && !keys && !f.n_items)) {
		pem_file_release(&f);
		return 1;
	}
	rc = -ENOMEM;
	doc = json_pack("{s:s,s:s,s:o,s:b}", "kind", "apigee-bundle/pem-file/v1", "note",
	                s->r->pseudo ? "PEM blocks replaced by their facts (pseudonymized bundle)"
	                             : "private keys replaced by their facts",
	                "error", error_json(f.error, f.error_line), "der", f.der);
	items = json_array();
	if (!doc || !items)
		goto out;
	for (size_t i = 0; i < f.n_items; i++) {
		const struct pem_item *it = &f.items[i];
		json_t *o = json_pack("{s:s,s:i,s:o}", "label", it->label ? it->label : "", "line",
		                      (int)it->line, "error", error_json(it->error, it->line));

		if (!o || json_array_append_new(items, o) < 0)
			goto out;
		if (it->kind == PEM_ITEM_CERT) {
			redact_fire(s, RULE_CERT_DROPPED);
			s->dropped_certificates++;
			if (it->error == PEM_OK)
				json_object_set_new(o, "cert", cert_facts_to_json(&it->cert));
		} else if (it->kind == PEM_ITEM_KEY) {
			char m[64];
			size_t ml;

			redact_fire(s, RULE_PEM_PRIVATE_KEY);
			/* the marker stands for the block: label and line are enough to tell keys apart */
			ml = redact_marker(s->r, data, len, "private key", m);
			json_object_set_new(o, "redacted", json_stringn(m, ml));
			json_object_set_new(o, "key", key_facts_to_json(&it->key));
		}
	}
	json_object_set_new(doc, "items", items);
	items = NULL;
	text = json_dumps(doc, JSON_INDENT(2));
	if (!text)
		goto out;
	buf_init(ret, 0);
	if (buf_puts(ret, text) < 0 || buf_putc(ret, '\n') < 0)
		goto out;
	rc = 0;
out:
	free(text);
	json_decref(items);
	json_decref(doc);
	pem_file_release(&f);
	return rc;
}

/* The block as a PEM file: JSON escapes undone when it stood in a JSON string,
 * indentation (YAML block scalars, transcripts) and trailing white space removed
 * from every line, so BEGIN and END start in column 1 as pem_file_parse wants. */
static int block_text(const char *in, size_t n, bool escaped, struct buf *out)
{
	bool bol = true;

	for (size_t i = 0; i < n; i++) {
		char c = in[i];

		if (bol && (c == ' ' || c == '\t'))
			continue;
		bol = false;
		if (escaped && c == '\\' && i + 1 < n) {
			c = in[++i];
			if (c == 'n')
				c = '\n';
			else if (c == 'r' || c == 't')
				continue;
		}
		if (c == '\r')
			continue;
		if (buf_putc(out, c) < 0)
			return -ENOMEM;
		bol = c == '\n';
	}
	return buf_putc(out, '\n');
}

static int block_doc(const struct pem_file *f, const char *marker, size_t marker_len, json_t **ret)
{
	json_t *doc, *items;

	doc = json_pack("{s:s,s:s#,s:o,s:b}", "kind", "apigee-bundle/pem-file/v1", "redacted",
	                marker, (int)marker_len, "error", error_json(f->error, f->error_line),
	                "der", false);
	items = json_array();
	if (!doc || !items || json_object_set_new(doc, "items", items) < 0) {
		json_decref(doc);
		return -ENOMEM;
	}
	for (size_t i = 0; i < f->n_items; i++) {
		const struct pem_item *it = &f->items[i];
		json_t *o = json_pack("{s:s,s:i,s:o}", "label", it->label ? it->label : "", "line",
		                      (int)it->line, "error", error_json(it->error, it->line));

		if (!o || json_array_append_new(items, o) < 0) {
			json_decref(doc);
			return -ENOMEM;
		}
		if (it->kind == PEM_ITEM_CERT && it->error == PEM_OK &&
		    json_object_set_new(o, "cert", cert_facts_to_json(&it->cert)) < 0) {
			json_decref(doc);
			return -ENOMEM;
		}
	}
	*ret = doc;
	return 0;
}

int pemfile_block_facts(struct redact_stream *s, const char *block, size_t len, const char *marker,
                        size_t marker_len, struct buf *out)
{
	struct buf pem = BUF_INIT;
	struct pem_file f = { 0 };
	json_t *doc = NULL, *str = NULL;
	char *text = NULL;
	/* one line holding "\n" escapes: a JSON (or YAML double-quoted) string */
	bool escaped = !memchr(block, '\n', len) && memmem(block, len, "\\n", 2);
	int rc = -ENOMEM;

	(void)s;
	if (block_text(block, len, escaped, &pem) < 0)
		goto out;
	rc = pem_file_parse((const uint8_t *)pem.data, pem.len, &f, NULL);
	if (rc < 0 || f.n_items == 0 || f.has_private_key) {
		rc = rc == -ENOMEM ? rc : 1;
		goto out;
	}
	rc = -ENOMEM;
	if (block_doc(&f, marker, marker_len, &doc) < 0)
		goto out;
	if (escaped) {
		/* the document as the content of a JSON string: dump a string of it */
		char *inner = json_dumps(doc, JSON_COMPACT);

		str = inner ? json_string(inner) : NULL;
		free(inner);
		text = str ? json_dumps(str, JSON_ENCODE_ANY) : NULL;
		if (!text || buf_append(out, text + 1, strlen(text) - 2) < 0)
			goto out;
	} else {
		text = json_dumps(doc, JSON_COMPACT);
		if (!text || buf_puts(out, text) < 0)
			goto out;
	}
	rc = 0;
out:
	free(text);
	json_decref(str);
	json_decref(doc);
	pem_file_release(&f);
	buf_release(&pem);
	return rc;
}
