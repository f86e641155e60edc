/* SPDX-License-Identifier: Apache-2.0 */
/* Certificate and key facts.
 *
 * A PEM block scanner of our own classifies malformed input the way OpenSSL reports
 * it (bad end line, bad base64 decode, truncated, ...), deterministically and without
 * ever prompting for a passphrase; OpenSSL's d2i_* functions then turn the DER of
 * each block into plain facts: names, validity, fingerprints and a hash of the public
 * key. Private key material is freed (and decoded buffers cleansed) before returning. */
#include "pem.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include <jansson.h>
#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/opensslv.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "cleanup.h"
#include "error.h"
#include "text.h"
#include "base64.h"
#include "banned.h"

#if OPENSSL_VERSION_NUMBER < 0x30000000L
#define EVP_PKEY_get_base_id EVP_PKEY_base_id
#define EVP_PKEY_get_bits EVP_PKEY_bits
#endif

#define PEM_MAX_LABEL 200
#define HEX_SHA256_LEN 64

static const char *const pem_error_names[PEM_ERR__MAX] = {
	[PEM_OK] = "ok",
	[PEM_ERR_EMPTY] = "empty",
	[PEM_ERR_NO_PEM] = "no-pem",
	[PEM_ERR_BAD_BASE64] = "bad-base64",
	[PEM_ERR_BAD_END_LINE] = "bad-end-line",
	[PEM_ERR_TRUNCATED] = "truncated",
	[PEM_ERR_WRONG_OBJECT] = "wrong-object",
	[PEM_ERR_BAD_DER] = "bad-der",
	[PEM_ERR_ENCRYPTED] = "encrypted",
	[PEM_ERR_UNSUPPORTED] = "unsupported",
	[PEM_ERR_MISSING] = "missing",
};

static const char *const pem_error_texts[PEM_ERR__MAX] = {
	[PEM_OK] = "ok",
	[PEM_ERR_EMPTY] = "empty file",
	[PEM_ERR_NO_PEM] = "no PEM data (not a PEM file)",
	[PEM_ERR_BAD_BASE64] = "bad base64 decode",
	[PEM_ERR_BAD_END_LINE] = "bad end line",
	[PEM_ERR_TRUNCATED] = "truncated data",
	[PEM_ERR_WRONG_OBJECT] = "wrong object type",
	[PEM_ERR_BAD_DER] = "malformed DER",
	[PEM_ERR_ENCRYPTED] = "encrypted key without passphrase",
	[PEM_ERR_UNSUPPORTED] = "unsupported key type",
	[PEM_ERR_MISSING] = "file missing or unreadable",
};

const char *pem_error_name(enum pem_error e)
{
	if ((int)e < 0 || e >= PEM_ERR__MAX)
		return "invalid";
	return pem_error_names[e];
}

const char *pem_error_text(enum pem_error e)
{
	if ((int)e < 0 || e >= PEM_ERR__MAX)
		return "invalid";
	return pem_error_texts[e];
}

enum pem_error pem_error_from_name(const char *name)
{
	if (!name)
		return PEM_ERR__INVALID;
	for (int i = 0; i < PEM_ERR__MAX; i++)
		if (strcmp(pem_error_names[i], name) == 0)
			return (enum pem_error)i;
	return PEM_ERR__INVALID;
}

/* ---- small helpers --------------------------------------------------------- */

static char *strdup_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *strdup_printf(const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	return n < 0 ? NULL : s;
}

static void hex_encode(const unsigned char *md, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[md[i] >> 4];
		out[2 * i + 1] = digits[md[i] & 0xf];
	}
	out[2 * n] = '\0';
}

static int sha256_hex(const unsigned char *data, size_t len, char out[HEX_SHA256_LEN + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (!EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) || mdlen != 32)
		return -ENOMEM;
	hex_encode(md, mdlen, out);
	return 0;
}

/* Strict UTF-8 check (no overlong forms, no surrogates, no NUL), so that every string
 * we return can go into JSON unchanged. */
static bool utf8_valid(const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned char c = s[i];
		size_t k;
		uint32_t cp;

		if (c == 0)
			return false;
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			k = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			k = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			k = 3;
			cp = c & 0x07;
		} else {
			return false;
		}
		if (n - i <= k)
			return false;
		for (size_t j = 1; j <= k; j++) {
			if ((s[i + j] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + j] & 0x3f);
		}
		if ((k == 2 && cp < 0x800) || (k == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += k + 1;
	}
	return true;
}

/* A label or boundary line for an error message: printable, short. */
static void excerpt(const char *s, size_t len, char *out, size_t size)
{
	text_escape(s, len, out, size);
}

/* ---- certificate facts ----------------------------------------------------- */

static int name_oneline(X509_NAME *name, char **ret)
{
	static const unsigned long flags[] = {
		(XN_FLAG_ONELINE & ~ASN1_STRFLGS_ESC_MSB) | ASN1_STRFLGS_UTF8_CONVERT,
		XN_FLAG_ONELINE,
	};
	int r = -ENOMEM;

	*ret = NULL;
	/* UTF-8 first, as openssl x509 -subject prints it; names that are not valid UTF-8
	 * fall back to the escaped ASCII form. */
	for (size_t i = 0; i < ELEMENTSOF(flags); i++) {
		BIO *b = BIO_new(BIO_s_mem());
		char *p = NULL;
		long n;

		if (!b)
			return -ENOMEM;
		if (X509_NAME_print_ex(b, name, 0, flags[i]) < 0) {
			BIO_free(b);
			r = -EINVAL;
			continue;
		}
		n = BIO_get_mem_data(b, &p);
		if (n < 0 || (n > 0 && !utf8_valid((const unsigned char *)p, (size_t)n))) {
			BIO_free(b);
			r = -EINVAL;
			continue;
		}
		*ret = strndup(n > 0 ? p : "", n > 0 ? (size_t)n : 0);
		BIO_free(b);
		return *ret ? 0 : -ENOMEM;
	}
	if (r == -EINVAL) {
		*ret = strdup("");
		return *ret ? 0 : -ENOMEM;
	}
	return r;
}

static int last_common_name(X509_NAME *name, char **ret)
{
	unsigned char *u = NULL;
	int i = -1, last = -1, n;

	*ret = NULL;
	while ((i = X509_NAME_get_index_by_NID(name, NID_commonName, i)) >= 0)
		last = i;
	if (last < 0)
		return 0;
	n = ASN1_STRING_to_UTF8(&u, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, last)));
	if (n < 0)
		return 0; /* not convertible: treat as no CN */
	if (utf8_valid(u, (size_t)n)) {
		*ret = strndup((const char *)u, (size_t)n);
		if (!*ret) {
			OPENSSL_free(u);
			return -ENOMEM;
		}
	}
	OPENSSL_free(u);
	return 0;
}

static bool printable_ascii(const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			return false;
	return true;
}

static int collect_san(X509 *x, struct cert_facts *c)
{
	GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	int r = 0, n;

	if (!gens)
		return 0;
	n = sk_GENERAL_NAME_num(gens);
	for (int i = 0; i < n && r >= 0; i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		const unsigned char *d;
		char ip[INET6_ADDRSTRLEN];
		int len;

		if (g->type == GEN_DNS && c->san_dns.n < PEM_MAX_NAMES) {
			d = ASN1_STRING_get0_data(g->d.dNSName);
			len = ASN1_STRING_length(g->d.dNSName);
			/* A name with control or non-ASCII bytes matches no real host name. */
			if (len <= 0 || !printable_ascii(d, (size_t)len))
				continue;
			_cleanup_free_ char *name = strndup((const char *)d, (size_t)len);

			r = name ? strv_push_unique(&c->san_dns, name) : -ENOMEM;
		} else if (g->type == GEN_IPADD && c->san_ip.n < PEM_MAX_NAMES) {
			d = ASN1_STRING_get0_data(g->d.iPAddress);
			len = ASN1_STRING_length(g->d.iPAddress);
			if (len == 4 && inet_ntop(AF_INET, d, ip, sizeof(ip)))
				r = strv_push_unique(&c->san_ip, ip);
			else if (len == 16 && inet_ntop(AF_INET6, d, ip, sizeof(ip)))
				r = strv_push_unique(&c->san_ip, ip);
		}
	}
	GENERAL_NAMES_free(gens);
	return r;
}

static int asn1_time_epoch(const ASN1_TIME *t, int64_t *ret)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (!t || !ASN1_TIME_to_tm(t, &tm))
		return -EINVAL;
	/* GeneralizedTime covers years after 2049; time_t is 64-bit on our targets. */
	*ret = (int64_t)timegm(&tm);
	return 0;
}

static const char *pkey_type_name(const EVP_PKEY *pk, int id)
{
	switch (id) {
	case EVP_PKEY_RSA:
		return "RSA";
	case EVP_PKEY_RSA_PSS:
		return "RSA-PSS";
	case EVP_PKEY_EC:
		return "EC";
	case EVP_PKEY_DSA:
		return "DSA";
	case EVP_PKEY_DH:
		return "DH";
	case EVP_PKEY_DHX:
		return "DHX";
	case EVP_PKEY_ED25519:
		return "ED25519";
	case EVP_PKEY_ED448:
		return "ED448";
	case EVP_PKEY_X25519:
		return "X25519";
	case EVP_PKEY_X448:
		return "X448";
	default:
		break;
	}
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
	{
		const char *n = EVP_PKEY_get0_type_name(pk);

		if (n)
			return n;
	}
#else
	(void)pk;
#endif
	if (id != NID_undef && OBJ_nid2sn(id))
		return OBJ_nid2sn(id);
	return "unknown";
}

/* SHA-256 of the SubjectPublicKeyInfo DER, the same bytes for a certificate's key
 * and a private key's public half. */
static int pkey_spki_sha256(const EVP_PKEY *pk, char out[HEX_SHA256_LEN + 1])
{
	unsigned char *der = NULL;
	int n, r;

	n = i2d_PUBKEY((EVP_PKEY *)pk, &der);
	if (n <= 0)
		return -EINVAL;
	r = sha256_hex(der, (size_t)n, out);
	OPENSSL_free(der);
	return r;
}

static int cert_key_facts(X509 *x, struct cert_facts *c)
{
	EVP_PKEY *pk = X509_get0_pubkey(x);
	X509_PUBKEY *xpk = X509_get_X509_PUBKEY(x);
	unsigned char *der = NULL;
	int n, r;

	if (pk) {
		c->key_type = strdup(pkey_type_name(pk, EVP_PKEY_get_base_id(pk)));
		if (!c->key_type)
			return -ENOMEM;
		c->key_bits = EVP_PKEY_get_bits(pk);
		if (c->key_bits < 0)
			c->key_bits = 0;
		if (pkey_spki_sha256(pk, c->pubkey_sha256) == 0)
			return 0;
	}

	/* A key OpenSSL cannot load: name its algorithm and hash the SPKI as encoded. */
	if (!xpk)
		return 0;
	if (!c->key_type) {
		ASN1_OBJECT *alg = NULL;
		char oid[80];

		if (X509_PUBKEY_get0_param(&alg, NULL, NULL, NULL, xpk) && alg) {
			int nid = OBJ_obj2nid(alg);

			if (nid != NID_undef && OBJ_nid2sn(nid))
				snprintf(oid, sizeof(oid), "%s", OBJ_nid2sn(nid));
			else if (OBJ_obj2txt(oid, sizeof(oid), alg, 1) <= 0)
				snprintf(oid, sizeof(oid), "unknown");
		} else {
			snprintf(oid, sizeof(oid), "unknown");
		}
		c->key_type = strdup(oid);
		if (!c->key_type)
			return -ENOMEM;
	}
	n = i2d_X509_PUBKEY(xpk, &der);
	if (n <= 0)
		return 0;
	r = sha256_hex(der, (size_t)n, c->pubkey_sha256);
	OPENSSL_free(der);
	return r;
}

/* Fill c from x. -ENOMEM, or -EINVAL with *ret_why for a certificate whose fields
 * cannot be read (e.g. an invalid validity time). c is released on failure. */
static int facts_from_x509(X509 *x, struct cert_facts *c, const char **ret_why)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	int r;

	memset(c, 0, sizeof(*c));
	*ret_why = NULL;
	r = name_oneline(X509_get_subject_name(x), &c->subject);
	if (r >= 0)
		r = name_oneline(X509_get_issuer_name(x), &c->issuer);
	if (r >= 0)
		r = last_common_name(X509_get_subject_name(x), &c->common_name);
	if (r >= 0)
		r = collect_san(x, c);
	if (r < 0)
		goto out;

	if (asn1_time_epoch(X509_get0_notBefore(x), &c->not_before) < 0) {
		*ret_why = "invalid notBefore time";
		r = -EINVAL;
		goto out;
	}
	if (asn1_time_epoch(X509_get0_notAfter(x), &c->not_after) < 0) {
		*ret_why = "invalid notAfter time";
		r = -EINVAL;
		goto out;
	}

	if (!X509_digest(x, EVP_sha256(), md, &mdlen) || mdlen != 32) {
		*ret_why = "cannot encode certificate";
		r = -EINVAL;
		goto out;
	}
	hex_encode(md, mdlen, c->sha256);

	r = cert_key_facts(x, c);
	if (r < 0)
		goto out;
	c->self_signed = X509_check_issued(x, x) == X509_V_OK;
	c->is_ca = X509_check_ca(x) != 0;
out:
	if (r < 0)
		cert_facts_release(c);
	return r;
}

int cert_facts_from_x509(const struct x509_st *x, struct cert_facts *ret, struct error *err)
{
	const char *why = NULL;
	int r;

	memset(ret, 0, sizeof(*ret));
	if (!x)
		return error_set(err, -EINVAL, NULL, 0, "no certificate");
	r = facts_from_x509((X509 *)x, ret, &why);
	if (r == -ENOMEM)
		return error_set(err, r, NULL, 0, "out of memory");
	if (r < 0)
		return error_set(err, r, NULL, 0, "cannot read certificate: %s", why ? why : "?");
	return 0;
}

static const char *openssl_reason(void)
{
	unsigned long e = ERR_peek_error();
	const char *s = e ? ERR_reason_error_string(e) : NULL;

	return s ? s : "asn1 parse error";
}

int cert_facts_from_der(const uint8_t *der, size_t len, struct cert_facts *ret, struct error *err)
{
	const unsigned char *p = der;
	const char *why = NULL;
	X509 *x;
	int r;

	memset(ret, 0, sizeof(*ret));
	if (len > PEM_MAX_INPUT)
		return error_set(err, -ERANGE, NULL, 0,
		                 "certificate of %zu bytes exceeds the limit of %zu bytes", len,
		                 (size_t)PEM_MAX_INPUT);
	if (!der || len == 0)
		return error_set(err, -EINVAL, NULL, 0, "cannot parse certificate: no data");
	ERR_clear_error();
	x = d2i_X509(NULL, &p, (long)len);
	if (!x) {
		r = error_set(err, -EINVAL, NULL, 0, "cannot parse certificate: %s",
		              openssl_reason());
		ERR_clear_error();
		return r;
	}
	r = facts_from_x509(x, ret, &why);
	X509_free(x);
	ERR_clear_error();
	if (r == -ENOMEM)
		return error_set(err, r, NULL, 0, "out of memory");
	if (r < 0)
		return error_set(err, r, NULL, 0, "cannot read certificate: %s", why ? why : "?");
	return 0;
}

void cert_facts_release(struct cert_facts *c)
{
	if (!c)
		return;
	free(c->subject);
	free(c->issuer);
	free(c->common_name);
	free(c->key_type);
	strv_release(&c->san_dns);
	strv_release(&c->san_ip);
	memset(c, 0, sizeof(*c));
}

void key_facts_release(struct key_facts *k)
{
	if (!k)
		return;
	free(k->key_type);
	memset(k, 0, sizeof(*k));
}

static int dup_str(char **dst, const char *src)
{
	*dst = NULL;
	if (!src)
		return 0;
	*dst = strdup(src);
	return *dst ? 0 : -ENOMEM;
}

int cert_facts_copy(struct cert_facts *dst, const struct cert_facts *src)
{
	int r;

	memset(dst, 0, sizeof(*dst));
	if (!src)
		return 0;
	dst->not_before = src->not_before;
	dst->not_after = src->not_after;
	memcpy(dst->sha256, src->sha256, sizeof(dst->sha256));
	memcpy(dst->pubkey_sha256, src->pubkey_sha256, sizeof(dst->pubkey_sha256));
	dst->key_bits = src->key_bits;
	dst->self_signed = src->self_signed;
	dst->is_ca = src->is_ca;
	r = dup_str(&dst->subject, src->subject);
	if (r >= 0)
		r = dup_str(&dst->issuer, src->issuer);
	if (r >= 0)
		r = dup_str(&dst->common_name, src->common_name);
	if (r >= 0)
		r = dup_str(&dst->key_type, src->key_type);
	if (r >= 0)
		r = strv_copy(&dst->san_dns, &src->san_dns);
	if (r >= 0)
		r = strv_copy(&dst->san_ip, &src->san_ip);
	if (r < 0)
		cert_facts_release(dst);
	return r;
}

/* ---- PEM scanning ---------------------------------------------------------- */

struct line {
	const char *p; /* trimmed of white space on both ends (including \r) */
	size_t len;
	const char *raw; /* as in the input, without '\n' */
	size_t rlen;     /* raw length without trailing white space (OpenSSL's sanitize_line) */
	unsigned no;     /* 1-based */
};

struct reader {
	const char *data;
	size_t len;
	size_t pos;
	unsigned no; /* lines returned so far */
};

static bool next_line(struct reader *r, struct line *ret)
{
	const char *start, *nl;
	size_t n;

	if (r->pos >= r->len)
		return false;
	start = r->data + r->pos;
	nl = memchr(start, '\n', r->len - r->pos);
	n = nl ? (size_t)(nl - start) : r->len - r->pos;
	r->pos += n + (nl ? 1 : 0);
	r->no++;
	ret->raw = start;
	ret->rlen = n;
	while (ret->rlen && isspace((unsigned char)start[ret->rlen - 1]))
		ret->rlen--;
	ret->p = text_trim(start, n, &ret->len);
	ret->no = r->no;
	return true;
}

/* "-----BEGIN LABEL-----" at the start of a line, trailing white space allowed
 * (OpenSSL's get_name()). The label must be printable ASCII without "-----", so a
 * whole PEM squeezed onto one line is not a BEGIN line, as for OpenSSL. */
static bool parse_begin(const struct line *l, const char **ret_label, size_t *ret_len)
{
	static const char pre[] = "-----BEGIN ";
	const size_t pl = sizeof(pre) - 1;
	const char *label = l->raw + pl;
	size_t n;

	if (!text_starts_with(l->raw, l->rlen, pre) || l->rlen < pl + 5 ||
	    memcmp(l->raw + l->rlen - 5, "-----", 5) != 0)
		return false;
	n = l->rlen - pl - 5;
	if (n > PEM_MAX_LABEL || !printable_ascii((const unsigned char *)label, n) ||
	    memmem(label, n, "-----", 5))
		return false;
	*ret_label = label;
	*ret_len = n;
	return true;
}

static bool str_ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

static enum pem_kind classify_label(const char *label)
{
	if (strcmp(label, "CERTIFICATE") == 0 || strcmp(label, "TRUSTED CERTIFICATE") == 0 ||
	    strcmp(label, "X509 CERTIFICATE") == 0)
		return PEM_ITEM_CERT;
	if (str_ends_with(label, "PRIVATE KEY"))
		return PEM_ITEM_KEY;
	return PEM_ITEM_OTHER;
}

enum der_state {
	DER_OK,
	DER_SHORT,
	DER_BAD,
};

/* Look at the outermost tag and length only: does the DER claim more bytes than
 * there are? That is how a body with lines cut off shows. */
static enum der_state der_outer(const uint8_t *p, size_t n, size_t *ret_need)
{
	size_t i = 1, l = 0;

	*ret_need = 0;
	if (n < 2)
		return DER_SHORT;
	if ((p[0] & 0x1f) == 0x1f) {
		while (i < n && (p[i] & 0x80))
			i++;
		if (i >= n)
			return DER_SHORT;
		i++;
	}
	if (i >= n)
		return DER_SHORT;
	if (p[i] == 0x80)
		return DER_BAD; /* indefinite length is BER, not DER */
	if (p[i] & 0x80) {
		size_t k = p[i] & 0x7f;

		if (k > 4)
			return DER_BAD;
		if (n - i - 1 < k)
			return DER_SHORT;
		for (size_t j = 0; j < k; j++)
			l = (l << 8) | p[i + 1 + j];
		i += 1 + k;
	} else {
		l = p[i];
		i++;
	}
	*ret_need = i + l;
	if (l > n - i)
		return DER_SHORT;
	return DER_OK;
}

/* The body of one block while we read it. Buffers are allocated once per file with
 * room for the whole input, so key material is never left behind by a realloc. */
struct scan {
	char *b64;
	size_t b64_len;
	uint8_t *der;
	size_t der_len;
};

static int item_fail(struct pem_item *it, enum pem_error e, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static int item_fail(struct pem_item *it, enum pem_error e, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	int n;

	it->error = e;
	free(it->error_text);
	it->error_text = NULL;
	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -ENOMEM;
	it->error_text = s;
	return 0;
}

static const char *object_name(const struct pem_item *it)
{
	switch (it->kind) {
	case PEM_ITEM_CERT:
		return "certificate";
	case PEM_ITEM_KEY:
		return "private key";
	default:
		return "object";
	}
}

static int check_der_outer(struct pem_item *it, const uint8_t *der, size_t n, bool *ret_ok)
{
	size_t need = 0;
	enum der_state st = der_outer(der, n, &need);

	*ret_ok = false;
	if (st == DER_SHORT && n == 0)
		return item_fail(
		        it, PEM_ERR_TRUNCATED,
		        "unable to load %s: no data between BEGIN and END lines: truncated",
		        object_name(it));
	if (st == DER_SHORT && need == 0)
		return item_fail(it, PEM_ERR_TRUNCATED,
		                 "unable to load %s: header too long: truncated", object_name(it));
	if (st == DER_SHORT)
		return item_fail(it, PEM_ERR_TRUNCATED,
		                 "unable to load %s: too long: DER needs %zu bytes, %zu present: "
		                 "truncated",
		                 object_name(it), need, n);
	if (st == DER_BAD)
		return item_fail(it, PEM_ERR_BAD_DER,
		                 "unable to load %s: malformed DER (bad length encoding)",
		                 object_name(it));
	*ret_ok = true;
	return 0;
}

static int load_cert(struct pem_item *it, const uint8_t *der, size_t n)
{
	const unsigned char *p = der;
	const char *why = NULL;
	bool ok;
	X509 *x;
	int r;

	r = check_der_outer(it, der, n, &ok);
	if (r < 0 || !ok)
		return r;
	ERR_clear_error();
	if (strcmp(it->label, "TRUSTED CERTIFICATE") == 0)
		x = d2i_X509_AUX(NULL, &p, (long)n);
	else
		x = d2i_X509(NULL, &p, (long)n);
	if (!x) {
		r = item_fail(it, PEM_ERR_BAD_DER, "unable to load certificate: %s",
		              openssl_reason());
		ERR_clear_error();
		return r;
	}
	r = facts_from_x509(x, &it->cert, &why);
	X509_free(x);
	ERR_clear_error();
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return item_fail(it, PEM_ERR_BAD_DER, "unable to load certificate: %s",
		                 why ? why : "asn1 parse error");
	return 0;
}

static bool key_algorithm_known(const ASN1_OBJECT *alg)
{
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
	EVP_KEYMGMT *km;
	char oid[80];

	if (!alg || OBJ_obj2txt(oid, sizeof(oid), alg, 1) <= 0)
		return false;
	km = EVP_KEYMGMT_fetch(NULL, oid, NULL);
	if (!km)
		return false;
	EVP_KEYMGMT_free(km);
	return true;
#else
	return alg && EVP_PKEY_asn1_find(NULL, OBJ_obj2nid(alg)) != NULL;
#endif
}

static int key_facts_from_pkey(struct pem_item *it, EVP_PKEY *pk)
{
	struct key_facts *k = &it->key;

	free(k->key_type);
	k->key_type = strdup(pkey_type_name(pk, EVP_PKEY_get_base_id(pk)));
	if (!k->key_type)
		return -ENOMEM;
	k->key_bits = EVP_PKEY_get_bits(pk);
	if (k->key_bits < 0)
		k->key_bits = 0;
	if (pkey_spki_sha256(pk, k->pubkey_sha256) < 0) {
		k->pubkey_sha256[0] = '\0';
		return item_fail(it, PEM_ERR_UNSUPPORTED,
		                 "unable to load private key: cannot encode the %s public key",
		                 k->key_type);
	}
	return 0;
}

static int load_key(struct pem_item *it, const uint8_t *der, size_t n, bool proc_encrypted)
{
	const unsigned char *p = der;
	EVP_PKEY *pk = NULL;
	bool ok;
	int type = EVP_PKEY_NONE, r;

	if (proc_encrypted)
		return item_fail(it, PEM_ERR_ENCRYPTED,
		                 "unable to load private key: encrypted key without passphrase "
		                 "(Proc-Type: 4,ENCRYPTED)");
	if (strcmp(it->label, "RSA PRIVATE KEY") == 0)
		type = EVP_PKEY_RSA;
	else if (strcmp(it->label, "EC PRIVATE KEY") == 0)
		type = EVP_PKEY_EC;
	else if (strcmp(it->label, "DSA PRIVATE KEY") == 0)
		type = EVP_PKEY_DSA;
	else if (strcmp(it->label, "PRIVATE KEY") != 0 &&
	         strcmp(it->label, "ENCRYPTED PRIVATE KEY") != 0)
		return item_fail(it, PEM_ERR_UNSUPPORTED,
		                 "unable to load private key: unsupported key format '%s'",
		                 it->label);

	r = check_der_outer(it, der, n, &ok);
	if (r < 0 || !ok)
		return r;
	ERR_clear_error();

	if (strcmp(it->label, "ENCRYPTED PRIVATE KEY") == 0) {
		/* PKCS#8 EncryptedPrivateKeyInfo: never decrypted, only checked. */
		X509_SIG *sig = d2i_X509_SIG(NULL, &p, (long)n);

		if (!sig) {
			r = item_fail(it, PEM_ERR_BAD_DER, "unable to load private key: %s",
			              openssl_reason());
			ERR_clear_error();
			return r;
		}
		X509_SIG_free(sig);
		return item_fail(it, PEM_ERR_ENCRYPTED,
		                 "unable to load private key: encrypted key without passphrase "
		                 "(ENCRYPTED PRIVATE KEY)");
	}

	if (type == EVP_PKEY_NONE) {
		/* PKCS#8 PrivateKeyInfo: an algorithm OpenSSL does not know is
		 * "unsupported", a known one that fails to load is malformed. */
		PKCS8_PRIV_KEY_INFO *p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &p, (long)n);
		const ASN1_OBJECT *alg = NULL;
		bool known;

		if (!p8) {
			r = item_fail(it, PEM_ERR_BAD_DER, "unable to load private key: %s",
			              openssl_reason());
			ERR_clear_error();
			return r;
		}
		PKCS8_pkey_get0(&alg, NULL, NULL, NULL, p8);
		known = key_algorithm_known(alg);
		pk = known ? EVP_PKCS82PKEY(p8) : NULL;
		if (!pk) {
			char oid[80] = "unknown";

			if (alg)
				OBJ_obj2txt(oid, sizeof(oid), alg, 0);
			PKCS8_PRIV_KEY_INFO_free(p8);
			if (!known)
				r = item_fail(it, PEM_ERR_UNSUPPORTED,
				              "unable to load private key: unsupported private "
				              "key algorithm %s",
				              oid);
			else
				r = item_fail(it, PEM_ERR_BAD_DER,
				              "unable to load private key: %s (%s)",
				              openssl_reason(), oid);
			ERR_clear_error();
			return r;
		}
		PKCS8_PRIV_KEY_INFO_free(p8);
	} else {
		pk = d2i_PrivateKey(type, NULL, &p, (long)n);
		if (!pk) {
			r = item_fail(it, PEM_ERR_BAD_DER, "unable to load private key: %s",
			              openssl_reason());
			ERR_clear_error();
			return r;
		}
	}
	r = key_facts_from_pkey(it, pk);
	EVP_PKEY_free(pk);
	ERR_clear_error();
	return r;
}

/* What a failed key block's label tells about its type. */
static const char *label_key_type(const char *label)
{
	if (strcmp(label, "RSA PRIVATE KEY") == 0)
		return "RSA";
	if (strcmp(label, "EC PRIVATE KEY") == 0)
		return "EC";
	if (strcmp(label, "DSA PRIVATE KEY") == 0)
		return "DSA";
	return NULL;
}

static bool label_is_der(const char *label)
{
	/* Armour that is not DER inside: PGP (with its "=xxxx" checksum line) and
	 * OpenSSH/SSH2 public key blocks. */
	return strncmp(label, "PGP ", 4) != 0 && strncmp(label, "SSH2 ", 5) != 0;
}

/* Where OpenSSL's get_header_and_data() is in a block: before the first line that
 * holds ':' or a blank line, in RFC 1421 headers, or after the blank line that ends
 * them. */
enum hdr_state {
	HDR_MAYBE,
	HDR_IN,
	HDR_POST,
};

static int fail_boundary(struct pem_item *it, const struct line *l)
{
	char found[96];

	excerpt(l->raw, l->rlen, found, sizeof(found));
	return item_fail(it, PEM_ERR_BAD_END_LINE,
	                 "bad end line: expected '-----END %s-----', found '%s' at line %u%s",
	                 it->label, found, l->no,
	                 l->rlen && isspace((unsigned char)l->raw[0]) ? " (indented)" : "");
}

/* Read the body of the block whose BEGIN line is begin, up to and including its END
 * line, and classify it. The reader is left after the END line, or on the next BEGIN
 * line when the END line is missing.
 *
 * The structure rules are OpenSSL's (get_header_and_data): lines holding ':' before
 * any blank line are headers; a blank line ends the headers, and if there were no
 * headers, whatever came before it is taken as a (bad) header; after that blank line
 * data lines are at most 64 characters and only the last may be shorter; a second
 * blank line is an error. White space at the end of a line is ignored. */
/* The base64 characters of one data line into s->b64; the first character that is
 * not base64 is remembered (line and escaped text) and skipped. */
static void append_b64(struct scan *s, const struct line *l, unsigned *bad_line, char *bad_char,
                       size_t bad_size)
{
	for (size_t i = 0; i < l->rlen; i++) {
		unsigned char c = (unsigned char)l->raw[i];

		if (isspace(c))
			continue;
		if (!base64_is_char(c) && c != '=') {
			if (!*bad_line) {
				*bad_line = l->no;
				text_escape((const char *)&c, 1, bad_char, bad_size);
			}
			continue;
		}
		s->b64[s->b64_len++] = (char)c;
	}
}

/* The decoded DER of a well-formed block, by its kind. */
static int load_item(struct pem_item *it, struct scan *s, bool proc_encrypted)
{
	bool ok;

	if (it->kind == PEM_ITEM_CERT)
		return load_cert(it, s->der, s->der_len);
	if (it->kind == PEM_ITEM_KEY)
		return load_key(it, s->der, s->der_len, proc_encrypted);
	return check_der_outer(it, s->der, s->der_len, &ok);
}

static int scan_block(struct reader *rd, const struct line *begin, struct scan *s,
                      struct pem_item *it)
{
	enum hdr_state st = HDR_MAYBE;
	bool proc_encrypted = false, first_is_proc = false, short_line = false;
	bool der = it->kind != PEM_ITEM_OTHER || label_is_der(it->label);
	char bad_char[16] = "";
	unsigned bad_line = 0, hdr_lines = 0, blank_line = 0, long_line = 0, short_no = 0;
	const char *why = NULL;
	struct line l;
	int r;

	s->b64_len = 0;
	s->der_len = 0;
	for (;;) {
		size_t save_pos = rd->pos;
		unsigned save_no = rd->no;

		if (!next_line(rd, &l)) {
			r = item_fail(it, PEM_ERR_BAD_END_LINE,
			              "bad end line: no '-----END %s-----' line before the end "
			              "of the input",
			              it->label);
			goto classified;
		}
		if (text_starts_with(l.raw, l.rlen, "-----END ")) {
			size_t ll = strlen(it->label);

			if (l.rlen == 9 + ll + 5 && memcmp(l.raw + 9, it->label, ll) == 0 &&
			    memcmp(l.raw + 9 + ll, "-----", 5) == 0)
				break;
			r = fail_boundary(it, &l);
			goto classified;
		}
		if (text_starts_with(l.raw, l.rlen, "-----BEGIN ")) {
			rd->pos = save_pos;
			rd->no = save_no;
			r = item_fail(it, PEM_ERR_BAD_END_LINE,
			              "bad end line: no '-----END %s-----' line before the next "
			              "BEGIN line at line %u",
			              it->label, l.no);
			goto classified;
		}
		if (l.len && (l.p[0] == '-' || text_find(l.p, l.len, "-----"))) {
			/* Never base64: a mangled or indented boundary ("----END ...",
			 * "-----ED ...", END glued to the last body line). */
			r = fail_boundary(it, &l);
			goto classified;
		}
		if (!der)
			continue; /* PGP/SSH2 armour: only the END line matters */

		if (l.len == 0) {
			if (st == HDR_POST) {
				r = item_fail(it, PEM_ERR_BAD_END_LINE,
				              "bad end line: second blank line at line %u inside "
				              "the '%s' block",
				              l.no, it->label);
				goto classified;
			}
			/* Lines before the first blank line are headers, even base64. */
			if (st == HDR_MAYBE && hdr_lines)
				blank_line = l.no;
			st = HDR_POST;
			OPENSSL_cleanse(s->b64, s->b64_len);
			s->b64_len = 0;
			continue;
		}
		if (short_line) {
			r = item_fail(it, PEM_ERR_BAD_END_LINE,
			              "bad end line: short line %u is not the last line of the "
			              "data",
			              short_no);
			goto classified;
		}
		if (st == HDR_MAYBE && memchr(l.raw, ':', l.rlen))
			st = HDR_IN;
		if (st != HDR_POST && hdr_lines++ == 0)
			first_is_proc = text_starts_with(l.raw, l.rlen, "Proc-Type: ");
		if (st == HDR_IN) {
			if (text_starts_with(l.raw, l.rlen, "Proc-Type: ") &&
			    text_find(l.raw, l.rlen, "ENCRYPTED"))
				proc_encrypted = true;
			continue;
		}
		if (st == HDR_POST) {
			if (l.rlen > 64 && !long_line)
				long_line = l.no;
			else if (l.rlen < 64) {
				short_line = true;
				short_no = l.no;
			}
		}
		append_b64(s, &l, &bad_line, bad_char, sizeof(bad_char));
	}

	if (!der) {
		r = 0;
		goto classified;
	}
	/* The body is checked the way PEM_read_bio_ex() and PEM_get_EVP_CIPHER_INFO()
	 * would, first failure wins. */
	if (st == HDR_IN) {
		r = item_fail(it, PEM_ERR_BAD_BASE64,
		              "bad base64 decode: no data: the PEM headers are not followed by a "
		              "blank line");
		goto classified;
	}
	if (blank_line) {
		r = item_fail(it, PEM_ERR_BAD_BASE64,
		              "bad base64 decode: blank line inside the data at line %u "
		              "(openssl: not proc type)",
		              blank_line);
		goto classified;
	}
	if (st == HDR_POST && hdr_lines && !first_is_proc) {
		r = item_fail(it, PEM_ERR_BAD_BASE64,
		              "bad base64 decode: unexpected PEM header at line %u "
		              "(openssl: not proc type)",
		              begin->no + 1);
		goto classified;
	}
	if (bad_line) {
		r = item_fail(it, PEM_ERR_BAD_BASE64,
		              "bad base64 decode: invalid character '%s' at line %u", bad_char,
		              bad_line);
		goto classified;
	}
	if (long_line) {
		r = item_fail(it, PEM_ERR_BAD_BASE64,
		              "bad base64 decode: line %u is longer than 64 characters after a "
		              "blank line",
		              long_line);
		goto classified;
	}
	if (base64_decode_into(s->b64, s->b64_len, BASE64_STRICT, s->der,
	                       BASE64_DECODED_MAX(s->b64_len), &s->der_len, &why) < 0) {
		r = item_fail(it, PEM_ERR_BAD_BASE64, "bad base64 decode: %s (lines %u-%u)", why,
		              begin->no + 1, l.no - 1);
		goto classified;
	}

	r = load_item(it, s, proc_encrypted);

classified:
	if (it->kind == PEM_ITEM_KEY) {
		it->key.encrypted =
		        proc_encrypted || strcmp(it->label, "ENCRYPTED PRIVATE KEY") == 0;
		it->key.status = it->error;
		if (it->error != PEM_OK && !it->key.key_type && label_key_type(it->label)) {
			it->key.key_type = strdup(label_key_type(it->label));
			if (!it->key.key_type && r >= 0)
				r = -ENOMEM;
		}
	}
	/* Key material: wipe what we decoded before the buffers are reused or freed. */
	OPENSSL_cleanse(s->b64, s->b64_len);
	OPENSSL_cleanse(s->der, s->der_len);
	s->b64_len = s->der_len = 0;
	return r;
}

static void pem_item_release(struct pem_item *it)
{
	free(it->label);
	free(it->error_text);
	cert_facts_release(&it->cert);
	key_facts_release(&it->key);
	memset(it, 0, sizeof(*it));
}

void pem_file_release(struct pem_file *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->n_items; i++)
		pem_item_release(&f->items[i]);
	free(f->items);
	free(f->error_text);
	memset(f, 0, sizeof(*f));
}

static bool all_space(const uint8_t *data, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!isspace(data[i]))
			return false;
	return true;
}

static int set_file_error(struct pem_file *f, enum pem_error e, unsigned line, const char *text)
{
	f->error = e;
	f->error_line = line;
	free(f->error_text);
	f->error_text = NULL;
	if (e == PEM_OK)
		return 0;
	f->error_text = strdup(text ? text : pem_error_text(e));
	return f->error_text ? 0 : -ENOMEM;
}

/* Input without any BEGIN line: a DER certificate is parsed (f->der), but the file
 * still counts as "not PEM". */
static int try_der(const uint8_t *data, size_t len, struct pem_file *f)
{
	const unsigned char *p = data;
	struct pem_item *it;
	const char *why = NULL;
	X509 *x;
	int r;

	ERR_clear_error();
	x = d2i_X509(NULL, &p, (long)len);
	if (!x || p != data + len) {
		X509_free(x);
		ERR_clear_error();
		if (memmem(data, len, "-----BEGIN ", 11))
			return set_file_error(
			        f, PEM_ERR_NO_PEM, 0,
			        "no start line: '-----BEGIN' is not at the start of a "
			        "line of its own (indented, or line breaks lost)");
		return set_file_error(f, PEM_ERR_NO_PEM, 0, "no start line: no PEM data");
	}
	it = calloc(1, sizeof(*it));
	if (!it) {
		X509_free(x);
		return -ENOMEM;
	}
	f->items = it;
	it->kind = PEM_ITEM_CERT;
	it->label = strdup("CERTIFICATE");
	r = it->label ? facts_from_x509(x, &it->cert, &why) : -ENOMEM;
	X509_free(x);
	ERR_clear_error();
	if (r == -ENOMEM) {
		free(it->label);
		free(it);
		f->items = NULL;
		return r;
	}
	f->n_items = 1;
	if (r < 0) {
		r = item_fail(it, PEM_ERR_BAD_DER, "unable to load certificate: %s",
		              why ? why : "asn1 parse error");
		if (r < 0)
			return r;
	}
	f->der = true;
	return set_file_error(f, PEM_ERR_NO_PEM, 0,
	                      "no start line: the input is a DER certificate, not PEM");
}

int pem_file_parse(const uint8_t *data, size_t len, struct pem_file *ret, struct error *err)
{
	struct reader rd = { (const char *)data, len, 0, 0 };
	struct scan s = { 0 };
	size_t cap = 0;
	struct line l;
	int r = 0;

	memset(ret, 0, sizeof(*ret));
	if (!data && len)
		return error_set(err, -EINVAL, NULL, 0, "no data");
	if (len > PEM_MAX_INPUT)
		return error_set(err, -ERANGE, NULL, 0,
		                 "input of %zu bytes exceeds the limit of %zu bytes", len,
		                 (size_t)PEM_MAX_INPUT);
	if (all_space(data, len)) {
		r = set_file_error(ret, PEM_ERR_EMPTY, 0, "empty file: no data");
		goto out;
	}

	ERR_clear_error();
	s.b64 = malloc(len + 1);
	s.der = malloc(len / 4 * 3 + 4);
	if (!s.b64 || !s.der) {
		r = -ENOMEM;
		goto out;
	}

	/* Every BEGIN line starts a block; text before, between and after is ignored,
	 * as openssl does. */
	while (next_line(&rd, &l)) {
		const char *label;
		size_t label_len;
		struct pem_item *it;

		if (!parse_begin(&l, &label, &label_len))
			continue;
		if (ret->n_items >= PEM_MAX_ITEMS) {
			r = error_set(err, -ERANGE, NULL, l.no, "more than %d PEM blocks",
			              PEM_MAX_ITEMS);
			goto out;
		}
		if (ret->n_items == cap) {
			size_t ncap = cap ? cap * 2 : 4;
			struct pem_item *p = realloc(ret->items, ncap * sizeof(*p));

			if (!p) {
				r = -ENOMEM;
				goto out;
			}
			ret->items = p;
			cap = ncap;
		}
		it = &ret->items[ret->n_items++];
		memset(it, 0, sizeof(*it));
		it->line = l.no;
		it->label = strndup(label, label_len);
		if (!it->label) {
			r = -ENOMEM;
			goto out;
		}
		it->kind = classify_label(it->label);
		if (it->kind == PEM_ITEM_KEY)
			ret->has_private_key = true;
		r = scan_block(&rd, &l, &s, it);
		if (r < 0)
			goto out;
	}

	if (ret->n_items == 0) {
		r = try_der(data, len, ret);
		goto out;
	}
	ret->error = PEM_OK;
	for (size_t i = 0; i < ret->n_items; i++) {
		if (ret->items[i].error != PEM_OK) {
			r = set_file_error(ret, ret->items[i].error, ret->items[i].line,
			                   ret->items[i].error_text);
			break;
		}
	}
out:
	if (s.b64)
		OPENSSL_cleanse(s.b64, len + 1);
	if (s.der)
		OPENSSL_cleanse(s.der, len / 4 * 3 + 4);
	free(s.b64);
	free(s.der);
	ERR_clear_error();
	if (r < 0) {
		pem_file_release(ret);
		if (r == -ENOMEM)
			return error_set(err, r, NULL, 0, "out of memory");
		return r;
	}
	return 0;
}

int pem_parse_cert_file(const uint8_t *data, size_t len, struct pem_file *ret,
                        enum pem_error *ret_error, struct error *err)
{
	const struct pem_item *cert = NULL, *other = NULL;
	char *text;
	int r;

	*ret_error = PEM_ERR__INVALID;
	r = pem_file_parse(data, len, ret, err);
	if (r < 0)
		return r;
	if (ret->error == PEM_ERR_EMPTY || (ret->error == PEM_ERR_NO_PEM && ret->der)) {
		*ret_error = ret->error;
		return 0;
	}
	if (ret->error == PEM_ERR_NO_PEM) {
		/* "no start line: <hint>" becomes "no start line: expecting: CERTIFICATE
		 * (<hint>)", as openssl adds "Expecting: ...". */
		const char *hint = ret->error_text ? strstr(ret->error_text, ": ") : NULL;

		*ret_error = ret->error;
		text = hint && strcmp(hint + 2, "no PEM data") != 0
		               ? strdup_printf("no start line: expecting: CERTIFICATE (%s)",
		                               hint + 2)
		               : strdup("no start line: expecting: CERTIFICATE");
		if (!text)
			goto nomem;
		r = set_file_error(ret, PEM_ERR_NO_PEM, 0, text);
		free(text);
		if (r < 0)
			goto nomem;
		return 0;
	}
	for (size_t i = 0; i < ret->n_items && !cert; i++) {
		if (ret->items[i].kind == PEM_ITEM_CERT)
			cert = &ret->items[i];
		else if (!other)
			other = &ret->items[i];
	}

	/* The file-level error now describes the leaf, so that error/error_text/line
	 * match *ret_error. */
	if (!cert) {
		*ret_error = PEM_ERR_WRONG_OBJECT;
		text = strdup_printf("expecting: CERTIFICATE, found: %s", other->label);
		if (!text)
			goto nomem;
		r = set_file_error(ret, PEM_ERR_WRONG_OBJECT, other->line, text);
		free(text);
	} else {
		*ret_error = cert->error;
		r = set_file_error(ret, cert->error, cert->error == PEM_OK ? 0 : cert->line,
		                   cert->error == PEM_OK ? NULL : cert->error_text);
	}
	if (r < 0)
		goto nomem;
	return 0;
nomem:
	pem_file_release(ret);
	*ret_error = PEM_ERR__INVALID;
	return error_set(err, -ENOMEM, NULL, 0, "out of memory");
}

int pem_parse_key_file(const uint8_t *data, size_t len, struct key_facts *ret, struct error *err)
{
	struct pem_file f;
	const struct pem_item *key = NULL;
	int r;

	memset(ret, 0, sizeof(*ret));
	r = pem_file_parse(data, len, &f, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < f.n_items && !key; i++)
		if (f.items[i].kind == PEM_ITEM_KEY)
			key = &f.items[i];
	if (f.error == PEM_ERR_EMPTY || f.error == PEM_ERR_NO_PEM) {
		ret->status = f.error;
	} else if (!key) {
		ret->status = PEM_ERR_WRONG_OBJECT;
	} else {
		ret->status = key->key.status;
		ret->encrypted = key->key.encrypted;
		ret->key_bits = key->key.key_bits;
		memcpy(ret->pubkey_sha256, key->key.pubkey_sha256, sizeof(ret->pubkey_sha256));
		if (dup_str(&ret->key_type, key->key.key_type) < 0) {
			pem_file_release(&f);
			memset(ret, 0, sizeof(*ret));
			return error_set(err, -ENOMEM, NULL, 0, "out of memory");
		}
	}
	pem_file_release(&f);
	return 0;
}

/* ---- matching -------------------------------------------------------------- */

bool cert_key_match(const struct cert_facts *c, const struct key_facts *k)
{
	return c && k && c->pubkey_sha256[0] && k->pubkey_sha256[0] &&
	       strcmp(c->pubkey_sha256, k->pubkey_sha256) == 0;
}

/* pattern and host are compared without a trailing dot; host has none already. */
static bool dns_name_matches(const char *pat, const char *host)
{
	size_t pl = strlen(pat), hl = strlen(host);
	const char *dot;
	bool wildcard;

	if (pl && pat[pl - 1] == '.')
		pl--;
	if (pl == 0)
		return false;
	/* A valid wildcard: "*." then at least two labels, no other '*' (OpenSSL
	 * refuses "*.com" too). */
	wildcard = pl > 2 && pat[0] == '*' && pat[1] == '.' && !memchr(pat + 1, '*', pl - 1) &&
	           memchr(pat + 2, '.', pl - 2) != NULL;
	if (memchr(pat, '*', pl) && !wildcard)
		return false;
	if (pl == hl && strncasecmp(pat, host, pl) == 0)
		return true;
	if (!wildcard)
		return false;
	/* The '*' stands for exactly one non-empty left-most label. */
	dot = strchr(host, '.');
	if (!dot || dot == host || memchr(host, '*', (size_t)(dot - host)))
		return false;
	return strlen(dot) == pl - 1 && strncasecmp(dot, pat + 1, pl - 1) == 0;
}

static bool parse_ip(const char *s, int *ret_family, unsigned char addr[16])
{
	memset(addr, 0, 16);
	if (inet_pton(AF_INET, s, addr) == 1) {
		*ret_family = AF_INET;
		return true;
	}
	if (inet_pton(AF_INET6, s, addr) == 1) {
		*ret_family = AF_INET6;
		return true;
	}
	return false;
}

bool cert_covers_host(const struct cert_facts *c, const char *host, const char **ret_matched)
{
	unsigned char addr[16], other[16];
	char h[256];
	size_t hl;
	int fam, ofam;

	if (ret_matched)
		*ret_matched = NULL;
	if (!c || !host)
		return false;
	hl = strlen(host);
	if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
		host++;
		hl -= 2;
	}
	if (hl && host[hl - 1] == '.')
		hl--;
	if (hl == 0 || hl >= sizeof(h) || memchr(host, '\0', hl))
		return false;
	memcpy(h, host, hl);
	h[hl] = '\0';

	if (parse_ip(h, &fam, addr)) {
		for (size_t i = 0; i < c->san_ip.n; i++) {
			if (parse_ip(c->san_ip.v[i], &ofam, other) && ofam == fam &&
			    memcmp(addr, other, fam == AF_INET ? 4 : 16) == 0) {
				if (ret_matched)
					*ret_matched = c->san_ip.v[i];
				return true;
			}
		}
		return false;
	}

	if (c->san_dns.n > 0) {
		for (size_t i = 0; i < c->san_dns.n; i++) {
			if (dns_name_matches(c->san_dns.v[i], h)) {
				if (ret_matched)
					*ret_matched = c->san_dns.v[i];
				return true;
			}
		}
		return false;
	}
	if (c->common_name && dns_name_matches(c->common_name, h)) {
		if (ret_matched)
			*ret_matched = c->common_name;
		return true;
	}
	return false;
}

/* ---- JSON ------------------------------------------------------------------ */

static json_t *string_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *strv_to_json(const struct strv *v)
{
	json_t *a = json_array();

	if (!a)
		return NULL;
	for (size_t i = 0; i < v->n; i++) {
		if (json_array_append_new(a, json_string(v->v[i])) < 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

/* json_object_set_new() takes the reference even on failure. */
static int set_new(json_t *o, const char *key, json_t *v)
{
	if (!v)
		return -ENOMEM;
	return json_object_set_new(o, key, v) < 0 ? -ENOMEM : 0;
}

struct json_t *cert_facts_to_json(const struct cert_facts *c)
{
	char nb[32], na[32];
	json_t *o;
	int r;

	if (!c)
		return NULL;
	o = json_object();
	if (!o)
		return NULL;
	text_format_time(c->not_before, nb, sizeof(nb));
	text_format_time(c->not_after, na, sizeof(na));
	r = set_new(o, "subject", json_string(c->subject ? c->subject : ""));
	if (r >= 0)
		r = set_new(o, "issuer", json_string(c->issuer ? c->issuer : ""));
	if (r >= 0)
		r = set_new(o, "common_name", string_or_null(c->common_name));
	if (r >= 0)
		r = set_new(o, "san_dns", strv_to_json(&c->san_dns));
	if (r >= 0)
		r = set_new(o, "san_ip", strv_to_json(&c->san_ip));
	if (r >= 0)
		r = set_new(o, "not_before", json_string(nb));
	if (r >= 0)
		r = set_new(o, "not_after", json_string(na));
	if (r >= 0)
		r = set_new(o, "sha256", json_string(c->sha256));
	if (r >= 0)
		r = set_new(o, "pubkey_sha256", json_string(c->pubkey_sha256));
	if (r >= 0)
		r = set_new(o, "key_type", string_or_null(c->key_type));
	if (r >= 0)
		r = set_new(o, "key_bits", json_integer(c->key_bits));
	if (r >= 0)
		r = set_new(o, "self_signed", json_boolean(c->self_signed));
	if (r >= 0)
		r = set_new(o, "is_ca", json_boolean(c->is_ca));
	if (r < 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

struct json_t *key_facts_to_json(const struct key_facts *k)
{
	json_t *o;
	int r;

	if (!k)
		return NULL;
	o = json_object();
	if (!o)
		return NULL;
	r = set_new(o, "status", json_string(pem_error_name(k->status)));
	if (r >= 0)
		r = set_new(o, "key_type", string_or_null(k->key_type));
	if (r >= 0)
		r = set_new(o, "key_bits", json_integer(k->key_bits));
	if (r >= 0)
		r = set_new(o, "pubkey_sha256",
		            k->pubkey_sha256[0] ? json_string(k->pubkey_sha256) : json_null());
	if (r >= 0)
		r = set_new(o, "encrypted", json_boolean(k->encrypted));
	if (r < 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static int json_err(struct error *err, const char *what, const char *key, const char *expected)
{
	return error_set(err, -EINVAL, NULL, 0, "%s: '%s' is not %s", what, key, expected);
}

/* A string member: absent or null leaves *ret NULL. */
static int get_string(const json_t *o, const char *key, const char *what, char **ret,
                      struct error *err)
{
	const json_t *v = json_object_get(o, key);

	*ret = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v) || memchr(json_string_value(v), '\0', json_string_length(v)))
		return json_err(err, what, key, "a string");
	*ret = strdup(json_string_value(v));
	return *ret ? 0 : error_set(err, -ENOMEM, NULL, 0, "out of memory");
}

static int get_hex(const json_t *o, const char *key, const char *what, char out[HEX_SHA256_LEN + 1],
                   struct error *err)
{
	const json_t *v = json_object_get(o, key);
	const char *s;
	size_t n;

	out[0] = '\0';
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return json_err(err, what, key, "a string");
	s = json_string_value(v);
	n = json_string_length(v);
	if (n == 0)
		return 0;
	if (n != HEX_SHA256_LEN)
		return json_err(err, what, key, "a SHA-256 hex digest");
	for (size_t i = 0; i < n; i++) {
		if (!isxdigit((unsigned char)s[i]))
			return json_err(err, what, key, "a SHA-256 hex digest");
		out[i] = (char)tolower((unsigned char)s[i]);
	}
	out[n] = '\0';
	return 0;
}

static int get_int(const json_t *o, const char *key, const char *what, int *ret, struct error *err)
{
	const json_t *v = json_object_get(o, key);

	if (!v || json_is_null(v))
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 1 << 20)
		return json_err(err, what, key, "a key size");
	*ret = (int)json_integer_value(v);
	return 0;
}

static int get_bool(const json_t *o, const char *key, const char *what, bool *ret,
                    struct error *err)
{
	const json_t *v = json_object_get(o, key);

	if (!v || json_is_null(v))
		return 0;
	if (!json_is_boolean(v))
		return json_err(err, what, key, "a boolean");
	*ret = json_is_true(v);
	return 0;
}

static int get_time(const json_t *o, const char *key, const char *what, int64_t *ret,
                    struct error *err)
{
	const json_t *v = json_object_get(o, key);

	if (!v || json_is_null(v))
		return 0;
	if (json_is_integer(v)) {
		*ret = (int64_t)json_integer_value(v);
		return 0;
	}
	if (!json_is_string(v) ||
	    text_parse_time(json_string_value(v), json_string_length(v), ret) < 0)
		return json_err(err, what, key, "an RFC 3339 time");
	return 0;
}

static int get_strv(const json_t *o, const char *key, const char *what, struct strv *ret,
                    struct error *err)
{
	const json_t *v = json_object_get(o, key), *e;
	size_t i;

	if (!v || json_is_null(v))
		return 0;
	if (!json_is_array(v))
		return json_err(err, what, key, "an array");
	if (json_array_size(v) > PEM_MAX_NAMES)
		return error_set(err, -ERANGE, NULL, 0, "%s: '%s' has more than %d entries", what,
		                 key, PEM_MAX_NAMES);
	json_array_foreach(v, i, e)
	{
		if (!json_is_string(e) || memchr(json_string_value(e), '\0', json_string_length(e)))
			return json_err(err, what, key, "an array of strings");
		if (strv_push(ret, json_string_value(e)) < 0)
			return error_set(err, -ENOMEM, NULL, 0, "out of memory");
	}
	return 0;
}

int cert_facts_from_json(const struct json_t *j, struct cert_facts *ret, struct error *err)
{
	static const char what[] = "cert facts";
	int r;

	memset(ret, 0, sizeof(*ret));
	if (!j || !json_is_object(j))
		return error_set(err, -EINVAL, NULL, 0, "%s: not a JSON object", what);
	r = get_string(j, "subject", what, &ret->subject, err);
	if (r >= 0)
		r = get_string(j, "issuer", what, &ret->issuer, err);
	if (r >= 0)
		r = get_string(j, "common_name", what, &ret->common_name, err);
	if (r >= 0)
		r = get_strv(j, "san_dns", what, &ret->san_dns, err);
	if (r >= 0)
		r = get_strv(j, "san_ip", what, &ret->san_ip, err);
	if (r >= 0)
		r = get_time(j, "not_before", what, &ret->not_before, err);
	if (r >= 0)
		r = get_time(j, "not_after", what, &ret->not_after, err);
	if (r >= 0)
		r = get_hex(j, "sha256", what, ret->sha256, err);
	if (r >= 0)
		r = get_hex(j, "pubkey_sha256", what, ret->pubkey_sha256, err);
	if (r >= 0)
		r = get_string(j, "key_type", what, &ret->key_type, err);
	if (r >= 0)
		r = get_int(j, "key_bits", what, &ret->key_bits, err);
	if (r >= 0)
		r = get_bool(j, "self_signed", what, &ret->self_signed, err);
	if (r >= 0)
		r = get_bool(j, "is_ca", what, &ret->is_ca, err);
	if (r < 0)
		cert_facts_release(ret);
	return r;
}

int key_facts_from_json(const struct json_t *j, struct key_facts *ret, struct error *err)
{
	static const char what[] = "key facts";
	const json_t *st;
	int r = 0;

	memset(ret, 0, sizeof(*ret));
	if (!j || !json_is_object(j))
		return error_set(err, -EINVAL, NULL, 0, "%s: not a JSON object", what);
	st = json_object_get(j, "status");
	if (st && !json_is_null(st)) {
		enum pem_error e = json_is_string(st) ? pem_error_from_name(json_string_value(st))
		                                      : PEM_ERR__INVALID;

		if ((int)e < 0)
			return json_err(err, what, "status", "a known key status");
		ret->status = e;
	}
	r = get_string(j, "key_type", what, &ret->key_type, err);
	if (r >= 0)
		r = get_int(j, "key_bits", what, &ret->key_bits, err);
	if (r >= 0)
		r = get_hex(j, "pubkey_sha256", what, ret->pubkey_sha256, err);
	if (r >= 0)
		r = get_bool(j, "encrypted", what, &ret->encrypted, err);
	if (r < 0)
		key_facts_release(ret);
	return r;
}
