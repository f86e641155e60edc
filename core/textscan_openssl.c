/* SPDX-License-Identifier: Apache-2.0 */
/* Recognise the openssl tool's "unable to load ..." errors and classify them. */
#include "textscan_openssl.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bundle.h"
#include "cleanup.h"
#include "pem.h"
#include "text.h"
#include "textscan_util.h"
#include "banned.h"

/* error-stack lines looked at after a header */
#define OSSL_REASON_LINES 6

enum ossl_what {
	OSSL_NONE = 0,
	OSSL_CERT,
	OSSL_KEY,
};

struct ossl_scan {
	struct bundle *b;
	const char *artifact;
	struct ts_kinds *kinds;
	enum ossl_what what;
	unsigned header_line;
	char header[160];
	unsigned reason_lines;
	enum pem_error reason;
	char reason_text[200];
};

static const struct {
	const char *text;
	enum ossl_what what;
} headers[] = {
	{ "unable to load certificate", OSSL_CERT },
	{ "error loading certificates", OSSL_CERT },
	{ "could not read certificate from", OSSL_CERT },
	{ "unable to load x509", OSSL_CERT },
	{ "could not find certificate", OSSL_CERT },
	{ "unable to load private key", OSSL_KEY },
	{ "could not read private key from", OSSL_KEY },
	{ "could not find private key", OSSL_KEY },
	{ "unable to load key", OSSL_KEY },
};

/* The reason an OpenSSL error line gives, mapped to our classes; the most
 * specific text first. */
static const struct {
	const char *text;
	enum pem_error e;
} reasons[] = {
	{ "bad end line", PEM_ERR_BAD_END_LINE },
	{ "bad base64 decode", PEM_ERR_BAD_BASE64 },
	{ "no start line", PEM_ERR_NO_PEM },
	{ "expecting:", PEM_ERR_WRONG_OBJECT },
	{ "bad decrypt", PEM_ERR_ENCRYPTED },
	{ "bad password read", PEM_ERR_ENCRYPTED },
	{ "header too long", PEM_ERR_TRUNCATED },
	{ "too long", PEM_ERR_TRUNCATED },
	{ "not enough data", PEM_ERR_TRUNCATED },
	{ "truncated", PEM_ERR_TRUNCATED },
	{ "unsupported", PEM_ERR_UNSUPPORTED },
	{ "sequence not constructed", PEM_ERR_BAD_DER },
	{ "wrong tag", PEM_ERR_BAD_DER },
	{ "nested asn1 error", PEM_ERR_BAD_DER },
	{ "asn1", PEM_ERR_BAD_DER },
};

int ossl_scan_new(struct bundle *b, const char *artifact, struct ts_kinds *kinds,
                  struct ossl_scan **ret)
{
	struct ossl_scan *os = calloc(1, sizeof(*os));

	if (!os)
		return -ENOMEM;
	os->b = b;
	os->artifact = artifact;
	os->kinds = kinds;
	*ret = os;
	return 0;
}

/* Store what the pending header and its reason say. */
static int flush(struct ossl_scan *os)
{
	enum pem_error e = os->reason ? os->reason : PEM_ERR_BAD_DER;
	char text[400];
	int r = 0;

	if (os->what == OSSL_NONE)
		return 0;
	snprintf(text, sizeof(text), "%s%s%s", os->header, os->reason_text[0] ? ": " : "",
	         os->reason_text);
	if (os->what == OSSL_CERT) {
		struct cert_rec *c = bundle_add_cert(os->b);

		if (c) {
			c->role = CERT_ROLE_LOOSE;
			c->key_match = -1;
			c->error = e;
			c->error_text = strdup(text);
			if (!c->error_text ||
			    loc_set(&c->where, os->artifact, os->header_line, NULL, text) < 0)
				r = -ENOMEM;
		}
	} else {
		struct key_rec *k = bundle_add_key(os->b);

		if (k) {
			k->facts.status = e;
			k->facts.encrypted = e == PEM_ERR_ENCRYPTED;
			k->error_text = strdup(text);
			if (!k->error_text ||
			    loc_set(&k->where, os->artifact, os->header_line, NULL, text) < 0)
				r = -ENOMEM;
		}
	}
	ts_kinds_note(os->kinds, ART_PEM, 1);
	os->what = OSSL_NONE;
	os->reason = PEM_OK;
	os->reason_text[0] = '\0';
	return r;
}

static void note_reason(struct ossl_scan *os, const char *line, size_t len,
                        const struct text_pairs *tp)
{
	for (size_t i = 0; i < ELEMENTSOF(reasons); i++) {
		const char *hit = text_pairs_may_have(tp, reasons[i].text)
		                          ? text_find_ci(line, len, reasons[i].text)
		                          : NULL;
		size_t n;

		if (!hit)
			continue;
		/* the first specific reason wins; "ASN1 lib" lines only fill a gap */
		if (os->reason &&
		    (os->reason != PEM_ERR_BAD_DER || reasons[i].e == PEM_ERR_BAD_DER))
			return;
		os->reason = reasons[i].e;
		n = (size_t)(line + len - hit);
		text_escape(hit, n, os->reason_text, sizeof(os->reason_text));
		return;
	}
}

int ossl_scan_line(struct ossl_scan *os, const char *line, size_t len, unsigned lineno,
                   const struct text_pairs *tp)
{
	size_t tl;
	const char *t = text_trim(line, len, &tl);
	int r;

	for (size_t i = 0; i < ELEMENTSOF(headers); i++) {
		const char *hit = text_pairs_may_have(tp, headers[i].text)
		                          ? text_find_ci(t, tl, headers[i].text)
		                          : NULL;

		if (!hit)
			continue;
		r = flush(os);
		if (r < 0)
			return r;
		os->what = headers[i].what;
		os->header_line = lineno;
		text_escape(hit, (size_t)(t + tl - hit), os->header, sizeof(os->header));
		os->reason_lines = 0;
		/* OpenSSL 3 may give the reason on the same line */
		note_reason(os, hit, (size_t)(t + tl - hit), tp);
		return 0;
	}
	if (os->what == OSSL_NONE)
		return 0;
	if (tl == 0 || ++os->reason_lines > OSSL_REASON_LINES)
		return flush(os);
	if ((text_pairs_may_have(tp, "error:") && text_find_ci(t, tl, "error:")) ||
	    (text_pairs_may_have(tp, "routines") && text_find_ci(t, tl, "routines")))
		note_reason(os, t, tl, tp);
	return 0;
}

int ossl_scan_end(struct ossl_scan *os)
{
	return os ? flush(os) : 0;
}

void ossl_scan_free(struct ossl_scan *os)
{
	free(os);
}
