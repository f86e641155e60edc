/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for core/pem.c: certificate and key facts, the classification of
 * malformed PEM input, key matching, host name matching and the JSON forms.
 * Every key and certificate is generated here at run time; nothing private is
 * checked in. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "buf.h"
#include "cleanup.h"
#include "error.h"
#include "pem.h"
#include "banned.h"

#define T_2020 ((time_t)1577836800) /* 2020-01-01T00:00:00Z */
#define T_2021 ((time_t)1609459200)
#define T_2025 ((time_t)1735689600)
#define T_2035 ((time_t)2051222400) /* 2035-01-01T00:00:00Z */
#define T_2060 ((time_t)2840140800) /* 2060-01-01: GeneralizedTime */
#define T_2100 ((time_t)4102444800)

struct keys {
	EVP_PKEY *rsa, *rsa2, *ec, *ec2, *ed;
};

/* ---- generating material --------------------------------------------------- */

static void add_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
	X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, ctx, nid, value);

	assert_non_null(e);
	assert_int_equal(X509_add_ext(x, e, -1), 1);
	X509_EXTENSION_free(e);
}

/* A certificate for key, signed by ca_key (self-signed when ca is NULL). */
static X509 *make_cert(EVP_PKEY *key, EVP_PKEY *ca_key, X509 *ca, const char *cn, const char *san,
                       time_t nb, time_t na, bool is_ca)
{
	X509 *x = X509_new();
	X509_NAME *n;
	X509V3_CTX ctx;
	EVP_PKEY *signer = ca_key ? ca_key : key;

	assert_non_null(x);
	assert_int_equal(X509_set_version(x, 2), 1);
	assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x), is_ca ? 1 : 2), 1);
	assert_non_null(ASN1_TIME_set(X509_getm_notBefore(x), nb));
	assert_non_null(ASN1_TIME_set(X509_getm_notAfter(x), na));
	assert_int_equal(X509_set_pubkey(x, key), 1);
	n = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(n, "C", MBSTRING_ASC, (const unsigned char *)"US", -1, -1, 0);
	X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC, (const unsigned char *)"Example Org", -1,
	                           -1, 0);
	if (cn)
		X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1,
		                           0);
	assert_int_equal(X509_set_issuer_name(x, ca ? X509_get_subject_name(ca) : n), 1);
	X509V3_set_ctx(&ctx, ca ? ca : x, x, NULL, NULL, 0);
	add_ext(x, &ctx, NID_basic_constraints, is_ca ? "critical,CA:TRUE" : "CA:FALSE");
	if (is_ca)
		add_ext(x, &ctx, NID_key_usage, "critical,keyCertSign,cRLSign");
	if (san)
		add_ext(x, &ctx, NID_subject_alt_name, san);
	assert_true(X509_sign(x, signer,
	                      EVP_PKEY_get_base_id(signer) == EVP_PKEY_ED25519 ? NULL
	                                                                       : EVP_sha256()) > 0);
	return x;
}

static char *bio_take(BIO *b, size_t *ret_len)
{
	char *p = NULL, *s;
	long n = BIO_get_mem_data(b, &p);

	assert_true(n >= 0);
	s = malloc((size_t)n + 1);
	assert_non_null(s);
	memcpy(s, p, (size_t)n);
	s[n] = '\0';
	if (ret_len)
		*ret_len = (size_t)n;
	BIO_free(b);
	return s;
}

static char *cert_pem(X509 *x)
{
	BIO *b = BIO_new(BIO_s_mem());

	assert_int_equal(PEM_write_bio_X509(b, x), 1);
	return bio_take(b, NULL);
}

/* PKCS#8 "PRIVATE KEY", unencrypted. */
static char *key_pem_pkcs8(EVP_PKEY *k)
{
	BIO *b = BIO_new(BIO_s_mem());

	assert_int_equal(PEM_write_bio_PKCS8PrivateKey(b, k, NULL, NULL, 0, NULL, NULL), 1);
	return bio_take(b, NULL);
}

/* "RSA PRIVATE KEY" / "EC PRIVATE KEY", optionally encrypted (Proc-Type header). */
static char *key_pem_traditional(EVP_PKEY *k, const EVP_CIPHER *enc, const char *pass)
{
	BIO *b = BIO_new(BIO_s_mem());

	assert_int_equal(PEM_write_bio_PrivateKey_traditional(b, k, enc, (unsigned char *)pass,
	                                                      pass ? (int)strlen(pass) : 0, NULL,
	                                                      NULL),
	                 1);
	return bio_take(b, NULL);
}

static char *csr_pem(EVP_PKEY *k)
{
	X509_REQ *req = X509_REQ_new();
	BIO *b = BIO_new(BIO_s_mem());

	assert_non_null(req);
	assert_int_equal(X509_REQ_set_pubkey(req, k), 1);
	X509_NAME_add_entry_by_txt(X509_REQ_get_subject_name(req), "CN", MBSTRING_ASC,
	                           (const unsigned char *)"csr.example.com", -1, -1, 0);
	assert_true(X509_REQ_sign(req, k, EVP_sha256()) > 0);
	assert_int_equal(PEM_write_bio_X509_REQ(b, req), 1);
	X509_REQ_free(req);
	return bio_take(b, NULL);
}

static void hex(const unsigned char *md, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static void x509_sha256(X509 *x, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	assert_int_equal(X509_digest(x, EVP_sha256(), md, &n), 1);
	assert_int_equal(n, 32);
	hex(md, n, out);
}

static void spki_sha256(EVP_PKEY *k, char out[65])
{
	unsigned char *der = NULL, md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	int len = i2d_PUBKEY(k, &der);

	assert_true(len > 0);
	assert_int_equal(EVP_Digest(der, (size_t)len, md, &n, EVP_sha256(), NULL), 1);
	OPENSSL_free(der);
	hex(md, n, out);
}

/* ---- text surgery on PEM --------------------------------------------------- */

/* A copy of s with the first occurrence of old replaced by new. */
static char *replace(const char *s, const char *old, const char *new)
{
	const char *p = strstr(s, old);
	struct buf b = BUF_INIT;

	assert_non_null(p);
	assert_int_equal(buf_append(&b, s, (size_t)(p - s)), 0);
	assert_int_equal(buf_puts(&b, new), 0);
	assert_int_equal(buf_puts(&b, p + strlen(old)), 0);
	return buf_detach(&b, NULL);
}

/* A copy of s without the `drop` lines just before the first "-----END" line. */
static char *drop_last_body_lines(const char *s, int drop)
{
	const char *end = strstr(s, "-----END");
	const char *cut = end;
	struct buf b = BUF_INIT;

	assert_non_null(end);
	/* Walk back to the start of the first dropped line; keep everything before it. */
	for (int i = 0; i < drop; i++) {
		cut--; /* the '\n' ending the previous line */
		while (cut > s && cut[-1] != '\n')
			cut--;
	}
	assert_int_equal(buf_append(&b, s, (size_t)(cut - s)), 0);
	assert_int_equal(buf_puts(&b, end), 0);
	return buf_detach(&b, NULL);
}

/* Every "\n" becomes "\r\n". */
static char *to_crlf(const char *s)
{
	struct buf b = BUF_INIT;

	for (; *s; s++) {
		if (*s == '\n')
			assert_int_equal(buf_putc(&b, '\r'), 0);
		assert_int_equal(buf_putc(&b, *s), 0);
	}
	return buf_detach(&b, NULL);
}

static char *concat(const char *a, const char *b)
{
	struct buf out = BUF_INIT;

	assert_int_equal(buf_puts(&out, a), 0);
	assert_int_equal(buf_puts(&out, b), 0);
	return buf_detach(&out, NULL);
}

/* ---- parsing helpers -------------------------------------------------------- */

static void parse(const char *s, struct pem_file *f)
{
	struct error err = ERROR_INIT;

	assert_int_equal(pem_file_parse((const uint8_t *)s, strlen(s), f, &err), 0);
}

static enum pem_error parse_cert(const char *s, struct pem_file *f)
{
	struct error err = ERROR_INIT;
	enum pem_error e = PEM_ERR__INVALID;

	assert_int_equal(pem_parse_cert_file((const uint8_t *)s, strlen(s), f, &e, &err), 0);
	assert_int_equal(e, f->error);
	return e;
}

static void parse_key(const char *s, struct key_facts *k)
{
	struct error err = ERROR_INIT;

	assert_int_equal(pem_parse_key_file((const uint8_t *)s, strlen(s), k, &err), 0);
}

/* The file-level class of s, with the text checked to contain `text`. */
static void expect_file_error(const char *s, enum pem_error want, const char *text)
{
	struct pem_file f;

	parse(s, &f);
	assert_int_equal(f.error, want);
	if (want == PEM_OK)
		assert_null(f.error_text);
	else
		assert_non_null(f.error_text);
	if (text && !strstr(f.error_text, text))
		fail_msg("error_text '%s' lacks '%s'", f.error_text, text);
	pem_file_release(&f);
}

/* ---- fixtures --------------------------------------------------------------- */

static int group_setup(void **state)
{
	struct keys *k = calloc(1, sizeof(*k));

	if (!k)
		return -1;
	k->rsa = EVP_RSA_gen(2048);
	k->rsa2 = EVP_RSA_gen(2048);
	k->ec = EVP_EC_gen("P-256");
	k->ec2 = EVP_EC_gen("P-256");
	k->ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	if (!k->rsa || !k->rsa2 || !k->ec || !k->ec2 || !k->ed)
		return -1;
	*state = k;
	return 0;
}

static int group_teardown(void **state)
{
	struct keys *k = *state;

	EVP_PKEY_free(k->rsa);
	EVP_PKEY_free(k->rsa2);
	EVP_PKEY_free(k->ec);
	EVP_PKEY_free(k->ec2);
	EVP_PKEY_free(k->ed);
	free(k);
	return 0;
}

static X509 *rsa_leaf(const struct keys *k)
{
	return make_cert(k->rsa, NULL, NULL, "a.example.com",
	                 "DNS:a.example.com,DNS:*.example.com,IP:10.0.0.1,IP:2001:db8::1", T_2025,
	                 T_2035, false);
}

/* ---- error names -------------------------------------------------------------- */

static void test_pem__error_names(void **state)
{
	static const char *const names[] = { "ok",           "empty",        "no-pem",
		                             "bad-base64",   "bad-end-line", "truncated",
		                             "wrong-object", "bad-der",      "encrypted",
		                             "unsupported",  "missing" };

	(void)state;
	assert_int_equal(ELEMENTSOF(names), PEM_ERR__MAX);
	for (int i = 0; i < PEM_ERR__MAX; i++) {
		assert_string_equal(pem_error_name((enum pem_error)i), names[i]);
		assert_int_equal(pem_error_from_name(names[i]), i);
	}
	assert_string_equal(pem_error_text(PEM_ERR_BAD_END_LINE), "bad end line");
	assert_string_equal(pem_error_text(PEM_ERR_BAD_BASE64), "bad base64 decode");
	assert_string_equal(pem_error_text(PEM_ERR_NO_PEM), "no PEM data (not a PEM file)");
	assert_string_equal(pem_error_text(PEM_ERR_ENCRYPTED), "encrypted key without passphrase");
	assert_int_equal(pem_error_from_name("nope"), PEM_ERR__INVALID);
	assert_int_equal(pem_error_from_name(NULL), PEM_ERR__INVALID);
	assert_string_equal(pem_error_name(PEM_ERR__MAX), "invalid");
	assert_string_equal(pem_error_name(PEM_ERR__INVALID), "invalid");
}

/* ---- facts -------------------------------------------------------------------- */

static void test_pem__rsa_cert_facts(void **state)
{
	const struct keys *k = *state;
	X509 *x = rsa_leaf(k);
	char *pem = cert_pem(x), fp[65], pk[65];
	struct pem_file f;
	const struct cert_facts *c;

	x509_sha256(x, fp);
	spki_sha256(k->rsa, pk);
	assert_int_equal(parse_cert(pem, &f), PEM_OK);
	assert_int_equal(f.n_items, 1);
	assert_false(f.der);
	assert_false(f.has_private_key);
	assert_int_equal(f.items[0].kind, PEM_ITEM_CERT);
	assert_string_equal(f.items[0].label, "CERTIFICATE");
	assert_int_equal(f.items[0].line, 1);
	assert_int_equal(f.items[0].error, PEM_OK);
	c = &f.items[0].cert;
	assert_string_equal(c->subject, "C = US, O = Example Org, CN = a.example.com");
	assert_string_equal(c->issuer, c->subject);
	assert_string_equal(c->common_name, "a.example.com");
	assert_int_equal(c->san_dns.n, 2);
	assert_string_equal(c->san_dns.v[0], "a.example.com");
	assert_string_equal(c->san_dns.v[1], "*.example.com");
	assert_int_equal(c->san_ip.n, 2);
	assert_string_equal(c->san_ip.v[0], "10.0.0.1");
	assert_string_equal(c->san_ip.v[1], "2001:db8::1");
	assert_int_equal(c->not_before, T_2025);
	assert_int_equal(c->not_after, T_2035);
	assert_string_equal(c->sha256, fp);
	assert_string_equal(c->pubkey_sha256, pk);
	assert_string_equal(c->key_type, "RSA");
	assert_int_equal(c->key_bits, 2048);
	assert_true(c->self_signed);
	assert_false(c->is_ca);
	pem_file_release(&f);
	free(pem);
	X509_free(x);
}

static void test_pem__ec_and_ed25519_facts(void **state)
{
	const struct keys *k = *state;
	X509 *ec = make_cert(k->ec, NULL, NULL, "ec.example.com", "DNS:ec.example.com", T_2025,
	                     T_2035, false);
	X509 *ed = make_cert(k->ed, NULL, NULL, "ed.example.com", "DNS:ed.example.com", T_2025,
	                     T_2035, false);
	char *p1 = cert_pem(ec), *p2 = cert_pem(ed), *k1 = key_pem_pkcs8(k->ec),
	     *k2 = key_pem_pkcs8(k->ed);
	struct pem_file f1, f2;
	struct key_facts kf1, kf2;

	assert_int_equal(parse_cert(p1, &f1), PEM_OK);
	assert_int_equal(parse_cert(p2, &f2), PEM_OK);
	assert_string_equal(f1.items[0].cert.key_type, "EC");
	assert_int_equal(f1.items[0].cert.key_bits, 256);
	assert_string_equal(f2.items[0].cert.key_type, "ED25519");
	/* 256 with OpenSSL 3, 253 with 1.1.1 */
	assert_true(f2.items[0].cert.key_bits == 256 || f2.items[0].cert.key_bits == 253);
	parse_key(k1, &kf1);
	parse_key(k2, &kf2);
	assert_int_equal(kf1.status, PEM_OK);
	assert_string_equal(kf1.key_type, "EC");
	assert_int_equal(kf1.key_bits, 256);
	assert_false(kf1.encrypted);
	assert_int_equal(kf2.status, PEM_OK);
	assert_string_equal(kf2.key_type, "ED25519");
	assert_true(cert_key_match(&f1.items[0].cert, &kf1));
	assert_true(cert_key_match(&f2.items[0].cert, &kf2));
	assert_false(cert_key_match(&f1.items[0].cert, &kf2));
	key_facts_release(&kf1);
	key_facts_release(&kf2);
	pem_file_release(&f1);
	pem_file_release(&f2);
	free(p1);
	free(p2);
	free(k1);
	free(k2);
	X509_free(ec);
	X509_free(ed);
}

static void test_pem__validity(void **state)
{
	const struct keys *k = *state;
	X509 *expired =
	        make_cert(k->ec, NULL, NULL, "old.example.com", NULL, T_2020, T_2021, false);
	X509 *future = make_cert(k->ec, NULL, NULL, "new.example.com", NULL, T_2100, T_2100 + 86400,
	                         false);
	X509 *late = make_cert(k->ec, NULL, NULL, "late.example.com", NULL, T_2025, T_2060, false);
	char *p1 = cert_pem(expired), *p2 = cert_pem(future), *p3 = cert_pem(late);
	struct pem_file f;
	time_t now = time(NULL);

	assert_int_equal(parse_cert(p1, &f), PEM_OK);
	assert_int_equal(f.items[0].cert.not_before, T_2020);
	assert_int_equal(f.items[0].cert.not_after, T_2021);
	assert_true(f.items[0].cert.not_after < now);
	pem_file_release(&f);

	assert_int_equal(parse_cert(p2, &f), PEM_OK);
	assert_int_equal(f.items[0].cert.not_before, T_2100);
	assert_int_equal(f.items[0].cert.not_after, T_2100 + 86400);
	assert_true(f.items[0].cert.not_before > now);
	pem_file_release(&f);

	/* notAfter after 2049 is a GeneralizedTime. */
	assert_int_equal(ASN1_STRING_type(X509_get0_notAfter(late)), V_ASN1_GENERALIZEDTIME);
	assert_int_equal(parse_cert(p3, &f), PEM_OK);
	assert_int_equal(f.items[0].cert.not_after, T_2060);
	pem_file_release(&f);
	free(p1);
	free(p2);
	free(p3);
	X509_free(expired);
	X509_free(future);
	X509_free(late);
}

static void test_pem__cn_only_and_ip_san(void **state)
{
	const struct keys *k = *state;
	X509 *cn = make_cert(k->ec, NULL, NULL, "cn-only.example.com", NULL, T_2025, T_2035, false);
	X509 *ip = make_cert(k->ec, NULL, NULL, NULL, "IP:192.0.2.7", T_2025, T_2035, false);
	char *p1 = cert_pem(cn), *p2 = cert_pem(ip);
	struct pem_file f;
	const char *m = NULL;

	assert_int_equal(parse_cert(p1, &f), PEM_OK);
	assert_int_equal(f.items[0].cert.san_dns.n, 0);
	assert_string_equal(f.items[0].cert.common_name, "cn-only.example.com");
	assert_true(cert_covers_host(&f.items[0].cert, "CN-ONLY.example.com.", &m));
	assert_string_equal(m, "cn-only.example.com");
	assert_false(cert_covers_host(&f.items[0].cert, "other.example.com", &m));
	assert_null(m);
	pem_file_release(&f);

	assert_int_equal(parse_cert(p2, &f), PEM_OK);
	assert_null(f.items[0].cert.common_name);
	assert_string_equal(f.items[0].cert.subject, "C = US, O = Example Org");
	assert_int_equal(f.items[0].cert.san_ip.n, 1);
	assert_true(cert_covers_host(&f.items[0].cert, "192.0.2.7", &m));
	assert_string_equal(m, "192.0.2.7");
	assert_false(cert_covers_host(&f.items[0].cert, "192.0.2.8", NULL));
	pem_file_release(&f);
	free(p1);
	free(p2);
	X509_free(cn);
	X509_free(ip);
}

static void test_pem__chain_order(void **state)
{
	const struct keys *k = *state;
	X509 *ca = make_cert(k->rsa2, NULL, NULL, "Example Test CA", NULL, T_2020, T_2060, true);
	X509 *leaf = make_cert(k->ec, k->rsa2, ca, "leaf.example.com", "DNS:leaf.example.com",
	                       T_2025, T_2035, false);
	char *pl = cert_pem(leaf), *pc = cert_pem(ca), *chain = concat(pl, pc);
	char fl[65], fc[65];
	struct pem_file f;

	x509_sha256(leaf, fl);
	x509_sha256(ca, fc);
	assert_int_equal(parse_cert(chain, &f), PEM_OK);
	assert_int_equal(f.n_items, 2);
	assert_string_equal(f.items[0].cert.sha256, fl);
	assert_string_equal(f.items[1].cert.sha256, fc);
	assert_false(f.items[0].cert.self_signed);
	assert_false(f.items[0].cert.is_ca);
	assert_true(f.items[1].cert.self_signed);
	assert_true(f.items[1].cert.is_ca);
	assert_string_equal(f.items[0].cert.issuer, f.items[1].cert.subject);
	{
		unsigned lines = 0;

		for (const char *q = pl; *q; q++)
			lines += *q == '\n';
		assert_int_equal(f.items[0].line, 1);
		assert_int_equal(f.items[1].line, lines + 1);
	}
	assert_true(f.items[1].line > f.items[0].line);
	pem_file_release(&f);
	free(pl);
	free(pc);
	free(chain);
	X509_free(ca);
	X509_free(leaf);
}

/* ---- key formats and matching ---------------------------------------------- */

static void test_pem__key_formats(void **state)
{
	const struct keys *k = *state;
	char *pk8 = key_pem_pkcs8(k->rsa), *trad = key_pem_traditional(k->rsa, NULL, NULL),
	     *ec_trad = key_pem_traditional(k->ec, NULL, NULL), want[65], want_ec[65];
	struct key_facts a, b, c;
	struct pem_file f;

	spki_sha256(k->rsa, want);
	spki_sha256(k->ec, want_ec);
	assert_non_null(strstr(pk8, "-----BEGIN PRIVATE KEY-----"));
	assert_non_null(strstr(trad, "-----BEGIN RSA PRIVATE KEY-----"));
	assert_non_null(strstr(ec_trad, "-----BEGIN EC PRIVATE KEY-----"));
	parse_key(pk8, &a);
	parse_key(trad, &b);
	parse_key(ec_trad, &c);
	assert_int_equal(a.status, PEM_OK);
	assert_int_equal(b.status, PEM_OK);
	assert_int_equal(c.status, PEM_OK);
	assert_string_equal(a.pubkey_sha256, want);
	assert_string_equal(b.pubkey_sha256, want);
	assert_string_equal(c.pubkey_sha256, want_ec);
	assert_string_equal(b.key_type, "RSA");
	assert_int_equal(b.key_bits, 2048);
	assert_string_equal(c.key_type, "EC");

	parse(trad, &f);
	assert_true(f.has_private_key);
	assert_int_equal(f.items[0].kind, PEM_ITEM_KEY);
	assert_int_equal(f.items[0].key.status, PEM_OK);
	pem_file_release(&f);

	key_facts_release(&a);
	key_facts_release(&b);
	key_facts_release(&c);
	free(pk8);
	free(trad);
	free(ec_trad);
}

static void test_pem__key_match(void **state)
{
	const struct keys *k = *state;
	X509 *rc = rsa_leaf(k);
	X509 *ecc = make_cert(k->ec, NULL, NULL, "ec.example.com", NULL, T_2025, T_2035, false);
	char *prc = cert_pem(rc), *pec = cert_pem(ecc);
	char *kr = key_pem_pkcs8(k->rsa), *kr2 = key_pem_traditional(k->rsa2, NULL, NULL);
	char *ke = key_pem_traditional(k->ec, NULL, NULL), *ke2 = key_pem_pkcs8(k->ec2);
	struct pem_file fr, fe;
	struct key_facts r1, r2, e1, e2, empty = { 0 };

	parse(prc, &fr);
	parse(pec, &fe);
	parse_key(kr, &r1);
	parse_key(kr2, &r2);
	parse_key(ke, &e1);
	parse_key(ke2, &e2);
	assert_true(cert_key_match(&fr.items[0].cert, &r1));
	assert_false(cert_key_match(&fr.items[0].cert, &r2));
	assert_true(cert_key_match(&fe.items[0].cert, &e1));
	assert_false(cert_key_match(&fe.items[0].cert, &e2));
	assert_false(cert_key_match(&fr.items[0].cert, &e1));
	assert_false(cert_key_match(&fe.items[0].cert, &r1));
	assert_false(cert_key_match(&fr.items[0].cert, &empty));
	assert_false(cert_key_match(NULL, &r1));

	/* A combined file: the certificate and its key. */
	{
		char *both = concat(prc, kr);
		struct pem_file fb;
		struct key_facts kb;

		assert_int_equal(parse_cert(both, &fb), PEM_OK);
		assert_true(fb.has_private_key);
		assert_int_equal(fb.n_items, 2);
		assert_true(cert_key_match(&fb.items[0].cert, &fb.items[1].key));
		pem_file_release(&fb);
		parse_key(both, &kb);
		assert_int_equal(kb.status, PEM_OK);
		assert_string_equal(kb.pubkey_sha256, r1.pubkey_sha256);
		key_facts_release(&kb);
		free(both);
	}
	pem_file_release(&fr);
	pem_file_release(&fe);
	key_facts_release(&r1);
	key_facts_release(&r2);
	key_facts_release(&e1);
	key_facts_release(&e2);
	free(prc);
	free(pec);
	free(kr);
	free(kr2);
	free(ke);
	free(ke2);
	X509_free(rc);
	X509_free(ecc);
}

/* ---- malformed input ------------------------------------------------------------ */

static void test_pem__empty(void **state)
{
	struct pem_file f;
	struct key_facts kf;
	struct error err = ERROR_INIT;
	enum pem_error e;

	(void)state;
	assert_int_equal(pem_file_parse(NULL, 0, &f, &err), 0);
	assert_int_equal(f.error, PEM_ERR_EMPTY);
	assert_int_equal(f.n_items, 0);
	pem_file_release(&f);
	expect_file_error(" \r\n\t\n  ", PEM_ERR_EMPTY, "empty");
	assert_int_equal(pem_parse_cert_file((const uint8_t *)"\n", 1, &f, &e, &err), 0);
	assert_int_equal(e, PEM_ERR_EMPTY);
	pem_file_release(&f);
	parse_key("", &kf);
	assert_int_equal(kf.status, PEM_ERR_EMPTY);
	key_facts_release(&kf);
}

static void test_pem__no_pem(void **state)
{
	struct pem_file f;
	struct key_facts kf;

	(void)state;
	expect_file_error("hello, this is not a certificate\n", PEM_ERR_NO_PEM, "no start line");
	/* A malformed BEGIN line is not a BEGIN line (as in OpenSSL). */
	expect_file_error("-----BEGIN CERTIFICATE\nMAMCAQE=\n-----END CERTIFICATE-----\n",
	                  PEM_ERR_NO_PEM, NULL);
	assert_int_equal(parse_cert("plain text\n", &f), PEM_ERR_NO_PEM);
	assert_false(f.der);
	assert_non_null(strstr(f.error_text, "expecting: CERTIFICATE"));
	pem_file_release(&f);
	parse_key("plain text\n", &kf);
	assert_int_equal(kf.status, PEM_ERR_NO_PEM);
	key_facts_release(&kf);
}

static void test_pem__der_input(void **state)
{
	const struct keys *k = *state;
	X509 *x = rsa_leaf(k);
	unsigned char *der = NULL;
	int n = i2d_X509(x, &der);
	struct pem_file f;
	struct error err = ERROR_INIT;
	struct cert_facts c;
	enum pem_error e;
	char fp[65];

	assert_true(n > 0);
	x509_sha256(x, fp);
	assert_int_equal(pem_file_parse(der, (size_t)n, &f, &err), 0);
	assert_int_equal(f.error, PEM_ERR_NO_PEM);
	assert_true(f.der);
	assert_int_equal(f.n_items, 1);
	assert_int_equal(f.items[0].kind, PEM_ITEM_CERT);
	assert_int_equal(f.items[0].line, 0);
	assert_int_equal(f.items[0].error, PEM_OK);
	assert_string_equal(f.items[0].cert.sha256, fp);
	assert_non_null(strstr(f.error_text, "DER"));
	pem_file_release(&f);

	assert_int_equal(pem_parse_cert_file(der, (size_t)n, &f, &e, &err), 0);
	assert_int_equal(e, PEM_ERR_NO_PEM);
	assert_true(f.der);
	pem_file_release(&f);

	assert_int_equal(cert_facts_from_der(der, (size_t)n, &c, &err), 0);
	assert_string_equal(c.sha256, fp);
	cert_facts_release(&c);
	assert_int_equal(cert_facts_from_der(der, (size_t)n - 10, &c, &err), -EINVAL);
	assert_non_null(strstr(err.message, "cannot parse certificate"));

	/* DER cut short is not recognised as DER. */
	assert_int_equal(pem_file_parse(der, (size_t)n - 10, &f, &err), 0);
	assert_int_equal(f.error, PEM_ERR_NO_PEM);
	assert_false(f.der);
	assert_int_equal(f.n_items, 0);
	pem_file_release(&f);

	assert_int_equal(cert_facts_from_x509(x, &c, &err), 0);
	assert_string_equal(c.sha256, fp);
	cert_facts_release(&c);
	OPENSSL_free(der);
	X509_free(x);
}

static void test_pem__bad_base64(void **state)
{
	const struct keys *k = *state;
	X509 *x = rsa_leaf(k);
	char *pem = cert_pem(x), *bad, *nl;
	struct pem_file f;

	/* A body character replaced by '!', in the third body line. */
	bad = strdup(pem);
	nl = strchr(bad, '\n');
	nl = strchr(nl + 1, '\n');
	nl = strchr(nl + 1, '\n');
	nl[10] = '!';
	assert_int_equal(parse_cert(bad, &f), PEM_ERR_BAD_BASE64);
	assert_int_equal(f.items[0].error, PEM_ERR_BAD_BASE64);
	assert_int_equal(f.error_line, 1);
	assert_non_null(strstr(f.error_text, "bad base64 decode"));
	assert_non_null(strstr(f.error_text, "'!' at line 4"));
	pem_file_release(&f);
	free(bad);

	/* One character dropped: length not a multiple of 4. */
	bad = strdup(pem);
	nl = strchr(bad, '\n') + 5;
	memmove(nl, nl + 1, strlen(nl + 1) + 1);
	expect_file_error(bad, PEM_ERR_BAD_BASE64, "multiple of 4");
	free(bad);

	/* Data after padding. */
	expect_file_error("-----BEGIN CERTIFICATE-----\nMA==\nMAMC\n-----END CERTIFICATE-----\n",
	                  PEM_ERR_BAD_BASE64, "padding");
	free(pem);
	X509_free(x);
}

static void test_pem__bad_end_line(void **state)
{
	const struct keys *k = *state;
	X509 *x = rsa_leaf(k);
	char *pem = cert_pem(x), *bad, *p;
	static const char *const ends[] = {
		"-----END CERTIFICAT-----",      "-----END PRIVATE KEY-----",
		"----END CERTIFICATE-----",      "-----END CERTIFICATE----",
		"-----END CERTIFICATE-----junk",
	};
	struct pem_file f;

	for (size_t i = 0; i < ELEMENTSOF(ends); i++) {
		bad = replace(pem, "-----END CERTIFICATE-----", ends[i]);
		assert_int_equal(parse_cert(bad, &f), PEM_ERR_BAD_END_LINE);
		assert_non_null(strstr(f.error_text, "bad end line"));
		pem_file_release(&f);
		free(bad);
	}

	/* END line removed. */
	bad = replace(pem, "-----END CERTIFICATE-----\n", "");
	expect_file_error(bad, PEM_ERR_BAD_END_LINE, "before the end of the input");
	free(bad);

	/* END glued to the last body line (a lost newline). */
	p = strstr(pem, "\n-----END");
	bad = strdup(pem);
	bad[p - pem] = ' ';
	expect_file_error(bad, PEM_ERR_BAD_END_LINE, "bad end line");
	free(bad);

	/* The first block lacks its END line; the second still parses. */
	bad = replace(pem, "-----END CERTIFICATE-----\n", "");
	p = concat(bad, pem);
	parse(p, &f);
	assert_int_equal(f.n_items, 2);
	assert_int_equal(f.error, PEM_ERR_BAD_END_LINE);
	assert_non_null(strstr(f.error_text, "next BEGIN line"));
	assert_int_equal(f.items[0].error, PEM_ERR_BAD_END_LINE);
	assert_int_equal(f.items[1].error, PEM_OK);
	pem_file_release(&f);
	free(p);
	free(bad);
	free(pem);
	X509_free(x);
}

/* The DER of x as PEM wrapped at width, with extra text after the BEGIN line. */
static char *rewrap(X509 *x, int width, const char *after_begin)
{
	unsigned char *der = NULL, *b64;
	int n = i2d_X509(x, &der), m;
	struct buf b = BUF_INIT;

	assert_true(n > 0);
	b64 = malloc((size_t)n / 3 * 4 + 8);
	assert_non_null(b64);
	m = EVP_EncodeBlock(b64, der, n);
	assert_int_equal(buf_puts(&b, "-----BEGIN CERTIFICATE-----\n"), 0);
	assert_int_equal(buf_puts(&b, after_begin), 0);
	for (int i = 0; i < m; i += width) {
		assert_int_equal(buf_append(&b, b64 + i, (size_t)(m - i < width ? m - i : width)),
		                 0);
		assert_int_equal(buf_putc(&b, '\n'), 0);
	}
	assert_int_equal(buf_puts(&b, "-----END CERTIFICATE-----\n"), 0);
	free(b64);
	OPENSSL_free(der);
	return buf_detach(&b, NULL);
}

/* Blank lines, headers and line lengths follow OpenSSL's get_header_and_data(). */
static void test_pem__body_structure(void **state)
{
	const struct keys *k = *state;
	X509 *x = rsa_leaf(k);
	char *pem = cert_pem(x), *t, *u;
	struct pem_file f;

	/* Any line width without a blank line; 64 after a blank line after BEGIN. */
	t = rewrap(x, 76, "");
	expect_file_error(t, PEM_OK, NULL);
	free(t);
	t = rewrap(x, 40, "");
	expect_file_error(t, PEM_OK, NULL);
	free(t);
	t = rewrap(x, 64, "\n");
	expect_file_error(t, PEM_OK, NULL);
	free(t);
	t = rewrap(x, 76, "\n");
	expect_file_error(t, PEM_ERR_BAD_BASE64, "longer than 64");
	free(t);
	t = rewrap(x, 40, "\n");
	expect_file_error(t, PEM_ERR_BAD_END_LINE, "short line 3");
	free(t);

	/* A blank line inside the data (openssl: "not proc type"); two blank lines; a
	 * blank line before END. */
	t = rewrap(x, 64, "");
	u = replace(t, "\n", "\n\n"); /* after BEGIN: fine */
	expect_file_error(u, PEM_OK, NULL);
	free(u);
	u = replace(strchr(t, '\n') + 1, "\n", "\n\n");
	{
		char *v = concat("-----BEGIN CERTIFICATE-----\n", u);

		expect_file_error(v, PEM_ERR_BAD_BASE64, "blank line inside the data at line 3");
		free(v);
		free(u);
		u = replace(strchr(t, '\n') + 1, "\n", "\n\n\n");
		v = concat("-----BEGIN CERTIFICATE-----\n", u);
		expect_file_error(v, PEM_ERR_BAD_END_LINE, "second blank line");
		free(v);
		free(u);
	}
	free(t);
	t = replace(pem, "\n-----END", "\n\n-----END");
	expect_file_error(t, PEM_ERR_BAD_BASE64, "blank line inside the data");
	free(t);

	/* Headers: only Proc-Type is accepted, and a blank line must end them. */
	t = rewrap(x, 64, "Comment: hello\n\n");
	expect_file_error(t, PEM_ERR_BAD_BASE64, "unexpected PEM header at line 2");
	free(t);
	t = rewrap(x, 64, "Comment: hello\n");
	expect_file_error(t, PEM_ERR_BAD_BASE64, "not followed by a blank line");
	free(t);

	/* A whole PEM on one line (line breaks lost): no start line. */
	t = strdup(pem);
	for (char *q = t; *q; q++)
		if (*q == '\n')
			*q = ' ';
	assert_int_equal(parse_cert(t, &f), PEM_ERR_NO_PEM);
	assert_non_null(strstr(f.error_text, "line breaks lost"));
	pem_file_release(&f);
	free(t);

	/* An indented END line. */
	t = replace(pem, "-----END", "  -----END");
	expect_file_error(t, PEM_ERR_BAD_END_LINE, "(indented)");
	free(t);
	free(pem);
	X509_free(x);
}

static void test_pem__truncated(void **state)
{
	const struct keys *k = *state;
	X509 *x = rsa_leaf(k);
	char *pem = cert_pem(x), *key = key_pem_traditional(k->rsa, NULL, NULL), *bad;
	struct pem_file f;
	struct key_facts kf;

	bad = drop_last_body_lines(pem, 3);
	assert_non_null(strstr(bad, "-----END CERTIFICATE-----"));
	assert_int_equal(parse_cert(bad, &f), PEM_ERR_TRUNCATED);
	assert_non_null(strstr(f.error_text, "unable to load certificate"));
	assert_non_null(strstr(f.error_text, "truncated"));
	pem_file_release(&f);
	free(bad);

	bad = drop_last_body_lines(key, 5);
	parse_key(bad, &kf);
	assert_int_equal(kf.status, PEM_ERR_TRUNCATED);
	assert_string_equal(kf.key_type, "RSA");
	assert_string_equal(kf.pubkey_sha256, "");
	key_facts_release(&kf);
	free(bad);

	/* Nothing between BEGIN and END. */
	expect_file_error("-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n",
	                  PEM_ERR_TRUNCATED, "truncated");
	free(pem);
	free(key);
	X509_free(x);
}

static void test_pem__bad_der(void **state)
{
	(void)state;
	/* SEQUENCE { INTEGER 1 }: complete DER, not a certificate. */
	expect_file_error("-----BEGIN CERTIFICATE-----\nMAMCAQE=\n-----END CERTIFICATE-----\n",
	                  PEM_ERR_BAD_DER, "unable to load certificate");
	expect_file_error(
	        "-----BEGIN RSA PRIVATE KEY-----\nMAMCAQE=\n-----END RSA PRIVATE KEY-----\n",
	        PEM_ERR_BAD_DER, "unable to load private key");
	expect_file_error("-----BEGIN PRIVATE KEY-----\nMAMCAQE=\n-----END PRIVATE KEY-----\n",
	                  PEM_ERR_BAD_DER, "unable to load private key");
	/* BER indefinite length. */
	expect_file_error("-----BEGIN CERTIFICATE-----\nMIAAAA==\n-----END CERTIFICATE-----\n",
	                  PEM_ERR_BAD_DER, NULL);
}

static void test_pem__wrong_object(void **state)
{
	const struct keys *k = *state;
	X509 *x = rsa_leaf(k);
	char *key = key_pem_pkcs8(k->rsa), *csr = csr_pem(k->ec), *pem = cert_pem(x);
	struct pem_file f;
	struct key_facts kf;

	assert_int_equal(parse_cert(key, &f), PEM_ERR_WRONG_OBJECT);
	assert_true(f.has_private_key);
	assert_non_null(strstr(f.error_text, "expecting: CERTIFICATE, found: PRIVATE KEY"));
	pem_file_release(&f);

	assert_int_equal(parse_cert(csr, &f), PEM_ERR_WRONG_OBJECT);
	assert_int_equal(f.items[0].kind, PEM_ITEM_OTHER);
	assert_string_equal(f.items[0].label, "CERTIFICATE REQUEST");
	assert_int_equal(f.items[0].error, PEM_OK);
	pem_file_release(&f);

	parse_key(pem, &kf);
	assert_int_equal(kf.status, PEM_ERR_WRONG_OBJECT);
	assert_string_equal(kf.pubkey_sha256, "");
	key_facts_release(&kf);
	parse_key(csr, &kf);
	assert_int_equal(kf.status, PEM_ERR_WRONG_OBJECT);
	key_facts_release(&kf);
	free(key);
	free(csr);
	free(pem);
	X509_free(x);
}

static void test_pem__encrypted(void **state)
{
	const struct keys *k = *state;
	BIO *b = BIO_new(BIO_s_mem());
	char *p8, *trad;
	struct key_facts kf;
	struct pem_file f;

	assert_int_equal(PEM_write_bio_PKCS8PrivateKey(b, k->ec, EVP_aes_256_cbc(), NULL, 0, NULL,
	                                               (void *)"throwaway"),
	                 1);
	p8 = bio_take(b, NULL);
	assert_non_null(strstr(p8, "-----BEGIN ENCRYPTED PRIVATE KEY-----"));
	parse_key(p8, &kf);
	assert_int_equal(kf.status, PEM_ERR_ENCRYPTED);
	assert_true(kf.encrypted);
	assert_string_equal(kf.pubkey_sha256, "");
	key_facts_release(&kf);
	parse(p8, &f);
	assert_int_equal(f.error, PEM_ERR_ENCRYPTED);
	assert_true(f.has_private_key);
	assert_true(f.items[0].key.encrypted);
	assert_non_null(strstr(f.error_text, "encrypted"));
	pem_file_release(&f);

	trad = key_pem_traditional(k->rsa, EVP_aes_128_cbc(), "throwaway");
	assert_non_null(strstr(trad, "Proc-Type: 4,ENCRYPTED"));
	parse_key(trad, &kf);
	assert_int_equal(kf.status, PEM_ERR_ENCRYPTED);
	assert_true(kf.encrypted);
	assert_string_equal(kf.key_type, "RSA");
	key_facts_release(&kf);
	free(p8);
	free(trad);
}

static void test_pem__unsupported(void **state)
{
	/* PrivateKeyInfo for the made-up algorithm 1.3.6.1.4.1.55555.1.1. */
	static const unsigned char p8[] = { 0x30, 0x17, 0x02, 0x01, 0x00, 0x30, 0x0c, 0x06, 0x0a,
		                            0x2b, 0x06, 0x01, 0x04, 0x01, 0x83, 0xb2, 0x03, 0x01,
		                            0x01, 0x04, 0x04, 0xde, 0xad, 0xbe, 0xef };
	unsigned char b64[64];
	char text[256];
	struct key_facts kf;

	(void)state;
	EVP_EncodeBlock(b64, p8, sizeof(p8));
	snprintf(text, sizeof(text), "-----BEGIN PRIVATE KEY-----\n%s\n-----END PRIVATE KEY-----\n",
	         (const char *)b64);
	parse_key(text, &kf);
	assert_int_equal(kf.status, PEM_ERR_UNSUPPORTED);
	key_facts_release(&kf);
	expect_file_error(text, PEM_ERR_UNSUPPORTED, "1.3.6.1.4.1.55555.1.1");

	parse_key("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n"
	          "-----END OPENSSH PRIVATE KEY-----\n",
	          &kf);
	assert_int_equal(kf.status, PEM_ERR_UNSUPPORTED);
	key_facts_release(&kf);
}

static void test_pem__crlf_and_surrounding_text(void **state)
{
	const struct keys *k = *state;
	X509 *x = rsa_leaf(k);
	char *pem = cert_pem(x), *crlf = to_crlf(pem), *wrapped, *indented, fp[65];
	struct pem_file f;

	x509_sha256(x, fp);
	assert_int_equal(parse_cert(crlf, &f), PEM_OK);
	assert_string_equal(f.items[0].cert.sha256, fp);
	pem_file_release(&f);

	wrapped = concat("Bag Attributes\n    friendlyName: leaf\nsubject=CN = a\n\n", crlf);
	free(crlf);
	crlf = concat(wrapped, "\r\n  trailing notes\r\n");
	assert_int_equal(parse_cert(crlf, &f), PEM_OK);
	assert_int_equal(f.items[0].line, 5);
	assert_string_equal(f.items[0].cert.sha256, fp);
	pem_file_release(&f);

	/* Trailing white space is fine, indentation is not (as for OpenSSL). */
	indented = replace(pem, "-----BEGIN CERTIFICATE-----", "-----BEGIN CERTIFICATE-----  \t");
	assert_int_equal(parse_cert(indented, &f), PEM_OK);
	pem_file_release(&f);
	free(indented);
	indented = replace(pem, "-----BEGIN CERTIFICATE-----", "   -----BEGIN CERTIFICATE-----");
	assert_int_equal(parse_cert(indented, &f), PEM_ERR_NO_PEM);
	assert_non_null(strstr(f.error_text, "expecting: CERTIFICATE"));
	assert_non_null(strstr(f.error_text, "indented"));
	pem_file_release(&f);
	free(indented);
	free(wrapped);
	free(crlf);
	free(pem);
	X509_free(x);
}

/* ---- host names ------------------------------------------------------------- */

static void test_pem__host_matching(void **state)
{
	static const struct {
		const char *host;
		const char *match; /* NULL: no match */
	} cases[] = {
		{ "a.example.com", "a.example.com" },
		{ "A.EXAMPLE.COM", "a.example.com" },
		{ "a.example.com.", "a.example.com" },
		{ "x.wild.example.com", "*.wild.example.com" },
		{ "X.Wild.Example.Com.", "*.wild.example.com" },
		{ "wild.example.com", NULL },     /* never the bare domain */
		{ "a.b.wild.example.com", NULL }, /* exactly one label */
		{ ".wild.example.com", NULL },    /* not an empty label */
		{ "foo.example.org", NULL },      /* "f*o" is no wildcard */
		{ "fo.example.org", NULL },
		{ "x.com", NULL }, /* "*.com" is refused */
		{ "mixed.example.net", "Mixed.Example.NET." },
		{ "b.example.com", NULL },
		{ "*.wild.example.com", "*.wild.example.com" },
		{ "", NULL },
		{ ".", NULL },
		{ "10.0.0.1", "10.0.0.1" },
		{ "10.0.0.2", NULL },
		{ "2001:DB8:0::1", "2001:db8::1" },
		{ "[2001:db8::1]", "2001:db8::1" },
		{ "cn.example.com", NULL }, /* the CN is ignored when there are SAN DNS names */
	};
	struct cert_facts c = { 0 }, cn = { 0 };
	const char *m;

	(void)state;
	assert_int_equal(strv_push(&c.san_dns, "a.example.com"), 0);
	assert_int_equal(strv_push(&c.san_dns, "*.wild.example.com"), 0);
	assert_int_equal(strv_push(&c.san_dns, "f*o.example.org"), 0);
	assert_int_equal(strv_push(&c.san_dns, "*.com"), 0);
	assert_int_equal(strv_push(&c.san_dns, "Mixed.Example.NET."), 0);
	assert_int_equal(strv_push(&c.san_ip, "10.0.0.1"), 0);
	assert_int_equal(strv_push(&c.san_ip, "2001:db8::1"), 0);
	c.common_name = strdup("cn.example.com");
	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		bool ok = cert_covers_host(&c, cases[i].host, &m);

		if (ok != (cases[i].match != NULL))
			fail_msg("host '%s': expected %s", cases[i].host,
			         cases[i].match ? "a match" : "no match");
		if (cases[i].match)
			assert_string_equal(m, cases[i].match);
		else
			assert_null(m);
	}
	assert_false(cert_covers_host(&c, NULL, &m));
	assert_false(cert_covers_host(NULL, "a.example.com", NULL));

	/* CN fallback only without SAN DNS names, wildcard rules included. */
	cn.common_name = strdup("*.cn.example.com");
	assert_int_equal(strv_push(&cn.san_ip, "192.0.2.1"), 0);
	assert_true(cert_covers_host(&cn, "x.cn.example.com", &m));
	assert_string_equal(m, "*.cn.example.com");
	assert_false(cert_covers_host(&cn, "cn.example.com", NULL));
	assert_false(cert_covers_host(&cn, "192.0.2.2", NULL));
	assert_true(cert_covers_host(&cn, "192.0.2.1", NULL));
	cert_facts_release(&c);
	cert_facts_release(&cn);
}

/* ---- JSON ------------------------------------------------------------------------ */

static void test_pem__json_round_trip(void **state)
{
	const struct keys *k = *state;
	X509 *x = rsa_leaf(k);
	char *pem = cert_pem(x), *key = key_pem_pkcs8(k->rsa), *dump;
	struct pem_file f;
	struct key_facts kf, kf2;
	struct cert_facts back, copy;
	struct error err = ERROR_INIT;
	json_t *j, *j2;
	const struct cert_facts *c;

	assert_int_equal(parse_cert(pem, &f), PEM_OK);
	c = &f.items[0].cert;
	j = cert_facts_to_json(c);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "not_before")),
	                    "2025-01-01T00:00:00Z");
	assert_string_equal(json_string_value(json_object_get(j, "not_after")),
	                    "2035-01-01T00:00:00Z");
	assert_int_equal(json_array_size(json_object_get(j, "san_dns")), 2);
	assert_true(json_is_true(json_object_get(j, "self_signed")));
	assert_int_equal(json_object_size(j), 13);
	dump = json_dumps(j, JSON_SORT_KEYS);
	assert_non_null(dump);
	json_decref(j);
	j = json_loads(dump, 0, NULL);
	assert_non_null(j);
	assert_int_equal(cert_facts_from_json(j, &back, &err), 0);
	assert_string_equal(back.subject, c->subject);
	assert_string_equal(back.issuer, c->issuer);
	assert_string_equal(back.common_name, c->common_name);
	assert_int_equal(back.san_dns.n, 2);
	assert_string_equal(back.san_dns.v[1], "*.example.com");
	assert_int_equal(back.san_ip.n, 2);
	assert_int_equal(back.not_before, c->not_before);
	assert_int_equal(back.not_after, c->not_after);
	assert_string_equal(back.sha256, c->sha256);
	assert_string_equal(back.pubkey_sha256, c->pubkey_sha256);
	assert_string_equal(back.key_type, "RSA");
	assert_int_equal(back.key_bits, 2048);
	assert_true(back.self_signed);
	assert_false(back.is_ca);
	j2 = cert_facts_to_json(&back);
	assert_true(json_equal(j, j2));
	json_decref(j2);

	assert_int_equal(cert_facts_copy(&copy, &back), 0);
	j2 = cert_facts_to_json(&copy);
	assert_true(json_equal(j, j2));
	json_decref(j2);
	cert_facts_release(&copy);
	cert_facts_release(&back);
	json_decref(j);
	free(dump);

	parse_key(key, &kf);
	j = key_facts_to_json(&kf);
	assert_non_null(j);
	assert_int_equal(json_object_size(j), 5);
	assert_string_equal(json_string_value(json_object_get(j, "status")), "ok");
	assert_string_equal(json_string_value(json_object_get(j, "pubkey_sha256")),
	                    c->pubkey_sha256);
	assert_int_equal(key_facts_from_json(j, &kf2, &err), 0);
	assert_int_equal(kf2.status, PEM_OK);
	assert_string_equal(kf2.key_type, "RSA");
	assert_int_equal(kf2.key_bits, 2048);
	assert_true(cert_key_match(c, &kf2));
	key_facts_release(&kf2);
	json_decref(j);
	key_facts_release(&kf);

	kf.status = PEM_ERR_ENCRYPTED;
	kf.encrypted = true;
	j = key_facts_to_json(&kf);
	assert_string_equal(json_string_value(json_object_get(j, "status")), "encrypted");
	assert_true(json_is_null(json_object_get(j, "pubkey_sha256")));
	assert_int_equal(key_facts_from_json(j, &kf2, &err), 0);
	assert_int_equal(kf2.status, PEM_ERR_ENCRYPTED);
	assert_true(kf2.encrypted);
	json_decref(j);
	key_facts_release(&kf2);

	pem_file_release(&f);
	free(pem);
	free(key);
	X509_free(x);
}

static void test_pem__json_tolerance(void **state)
{
	static const char *const bad[] = {
		"{\"san_dns\": \"a.example.com\"}",
		"{\"san_dns\": [1]}",
		"{\"key_bits\": \"2048\"}",
		"{\"self_signed\": 1}",
		"{\"subject\": 7}",
		"{\"sha256\": \"abc\"}",
		"{\"not_after\": \"yesterday\"}",
		"[]",
	};
	struct cert_facts c;
	struct key_facts kf;
	struct error err = ERROR_INIT;
	json_t *j;

	(void)state;
	j = json_loads("{\"common_name\": null, \"not_after\": 1767225600, \"extra\": true}", 0,
	               NULL);
	assert_int_equal(cert_facts_from_json(j, &c, &err), 0);
	assert_null(c.common_name);
	assert_null(c.subject);
	assert_int_equal(c.not_after, 1767225600);
	assert_int_equal(c.san_dns.n, 0);
	cert_facts_release(&c);
	json_decref(j);
	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		j = json_loads(bad[i], 0, NULL);
		assert_non_null(j);
		error_reset(&err);
		assert_int_equal(cert_facts_from_json(j, &c, &err), -EINVAL);
		assert_int_equal(err.code, -EINVAL);
		assert_null(c.subject);
		json_decref(j);
	}
	j = json_loads("{\"status\": \"melted\"}", 0, NULL);
	assert_int_equal(key_facts_from_json(j, &kf, &err), -EINVAL);
	json_decref(j);
	j = json_loads("{\"status\": \"bad-end-line\", \"encrypted\": \"no\"}", 0, NULL);
	assert_int_equal(key_facts_from_json(j, &kf, &err), -EINVAL);
	json_decref(j);
	j = json_loads("{\"status\": \"bad-end-line\"}", 0, NULL);
	assert_int_equal(key_facts_from_json(j, &kf, &err), 0);
	assert_int_equal(kf.status, PEM_ERR_BAD_END_LINE);
	key_facts_release(&kf);
	json_decref(j);
}

/* ---- ownership and limits ----------------------------------------------------- */

static void test_pem__release_zeroed(void **state)
{
	struct cert_facts c = { 0 }, d;
	struct key_facts k = { 0 };
	struct pem_file f = { 0 };

	(void)state;
	cert_facts_release(&c);
	cert_facts_release(NULL);
	key_facts_release(&k);
	key_facts_release(NULL);
	pem_file_release(&f);
	pem_file_release(NULL);
	assert_int_equal(cert_facts_copy(&d, &c), 0);
	assert_null(d.subject);
	cert_facts_release(&d);
}

static void test_pem__limits(void **state)
{
	struct error err = ERROR_INIT;
	struct pem_file f;
	struct key_facts kf;
	enum pem_error e;
	uint8_t *big = calloc(1, (size_t)PEM_MAX_INPUT + 1);
	struct buf b = BUF_INIT;

	(void)state;
	assert_non_null(big);
	assert_int_equal(pem_file_parse(big, (size_t)PEM_MAX_INPUT + 1, &f, &err), -ERANGE);
	assert_null(f.items);
	assert_int_equal(pem_parse_cert_file(big, (size_t)PEM_MAX_INPUT + 1, &f, &e, &err),
	                 -ERANGE);
	assert_int_equal(pem_parse_key_file(big, (size_t)PEM_MAX_INPUT + 1, &kf, &err), -ERANGE);
	free(big);

	for (int i = 0; i < PEM_MAX_ITEMS; i++)
		assert_int_equal(buf_puts(&b, "-----BEGIN X-----\nMAMCAQE=\n-----END X-----\n"), 0);
	assert_int_equal(pem_file_parse((const uint8_t *)b.data, b.len, &f, &err), 0);
	assert_int_equal(f.n_items, PEM_MAX_ITEMS);
	assert_int_equal(f.error, PEM_OK);
	pem_file_release(&f);
	assert_int_equal(buf_puts(&b, "-----BEGIN X-----\nMAMCAQE=\n-----END X-----\n"), 0);
	error_reset(&err);
	assert_int_equal(pem_file_parse((const uint8_t *)b.data, b.len, &f, &err), -ERANGE);
	assert_int_equal(err.code, -ERANGE);
	assert_null(f.items);
	buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pem__error_names),
		cmocka_unit_test(test_pem__rsa_cert_facts),
		cmocka_unit_test(test_pem__ec_and_ed25519_facts),
		cmocka_unit_test(test_pem__validity),
		cmocka_unit_test(test_pem__cn_only_and_ip_san),
		cmocka_unit_test(test_pem__chain_order),
		cmocka_unit_test(test_pem__key_formats),
		cmocka_unit_test(test_pem__key_match),
		cmocka_unit_test(test_pem__empty),
		cmocka_unit_test(test_pem__no_pem),
		cmocka_unit_test(test_pem__der_input),
		cmocka_unit_test(test_pem__bad_base64),
		cmocka_unit_test(test_pem__bad_end_line),
		cmocka_unit_test(test_pem__body_structure),
		cmocka_unit_test(test_pem__truncated),
		cmocka_unit_test(test_pem__bad_der),
		cmocka_unit_test(test_pem__wrong_object),
		cmocka_unit_test(test_pem__encrypted),
		cmocka_unit_test(test_pem__unsupported),
		cmocka_unit_test(test_pem__crlf_and_surrounding_text),
		cmocka_unit_test(test_pem__host_matching),
		cmocka_unit_test(test_pem__json_round_trip),
		cmocka_unit_test(test_pem__json_tolerance),
		cmocka_unit_test(test_pem__release_zeroed),
		cmocka_unit_test(test_pem__limits),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
