/* SPDX-License-Identifier: Apache-2.0 */
/* The line rules: PEM blocks (stage 1) and, on every line, HTTP credential
 * headers, credential key=value / key: value pairs, URL query parameters, command
 * line flags, and secrets recognised by their shape (JWT, ya29. tokens, Google and
 * AWS keys, base64 of a private key or of a service-account JSON) -- stage 3.
 *
 * Every rule is a check at a trigger byte (':' '=' 'y' 'e' 'A' 'L' '-') so that a
 * line is read once, whatever the number of rules. */
#include "redact_internal.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <zlib.h>

#include "base64.h"
#include "error.h"
#include "banned.h"

const uint8_t redact_cc[256] = {
	0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x88, 0x88, 0x88, 0x88, 0x88, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x88, 0x00, 0x08, 0x00, 0x00, 0x00, 0x08, 0x08, 0x08, 0x08, 0x00, 0x02, 0x08,
	0x34, 0x20, 0x02, 0x77, 0x77, 0x77, 0x77, 0x77, 0x77, 0x77, 0x77, 0x77, 0x77, 0x00, 0x08,
	0x08, 0x02, 0x08, 0x00, 0x00, 0x77, 0x77, 0x77, 0x77, 0x77, 0x77, 0x37, 0x37, 0x37, 0x37,
	0x37, 0x37, 0x37, 0x37, 0x37, 0x37, 0x37, 0x37, 0x37, 0x37, 0x37, 0x37, 0x37, 0x37, 0x37,
	0x37, 0x08, 0x00, 0x08, 0x00, 0x34, 0x08, 0x77, 0x77, 0x77, 0x77, 0x77, 0x77, 0x37, 0x37,
	0x37, 0x37, 0x37, 0x37, 0x37, 0x37, 0x37, 0x37, 0x37, 0x37, 0x37, 0x37, 0x37, 0x37, 0x37,
	0x37, 0x37, 0x37, 0x08, 0x08, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00,
};

/* ---- key classes ----------------------------------------------------------------- */

bool redact_key_eq_ci(const char *key, size_t len, const char *word)
{
	return strlen(word) == len && strncasecmp(key, word, len) == 0;
}

/* Word lists with their lengths, lower case, so that a key is lower-cased once
 * and compared with memcmp (the JSON pass asks for every member name). */
struct word {
	const char *w;
	uint8_t n;
};

#define W(s)                     \
	{                        \
		s, sizeof(s) - 1 \
	}

static bool w_eq(const char *low, size_t n, const struct word *list)
{
	for (; list->w; list++)
		if (list->n == n && low[0] == list->w[0] && memcmp(low, list->w, n) == 0)
			return true;
	return false;
}

static bool w_ends(const char *low, size_t n, const struct word *list)
{
	for (; list->w; list++)
		if (list->n <= n && memcmp(low + n - list->n, list->w, list->n) == 0)
			return true;
	return false;
}

static bool w_contains(const char *low, size_t n, const struct word *list)
{
	for (; list->w; list++)
		if (list->n <= n && memmem(low, n, list->w, list->n))
			return true;
	return false;
}

static const struct word secret_exact[] = {
	W("password"),
	W("passwd"),
	W("pwd"),
	W("passphrase"),
	W("axhashsalt"),
	W("plaintextdek"),
	W("client_secret"),
	W("clientsecret"),
	W("client-secret"),
	W("private_key"),
	W("privatekey"),
	W("private-key"),
	W("private_key_id"),
	W("privatekeyid"),
	W("token"),
	W("access_token"),
	W("accesstoken"),
	W("access-token"),
	W("refresh_token"),
	W("refreshtoken"),
	W("refresh-token"),
	W("id_token"),
	W("idtoken"),
	W("auth_token"),
	W("authtoken"),
	W("session_token"),
	W("sessiontoken"),
	W("bearer_token"),
	W("apikey"),
	W("api_key"),
	W("api-key"),
	W("x-api-key"),
	W("x-goog-api-key"),
	W("x-auth-token"),
	W("secretaccesskey"),
	W("secret_access_key"),
	W("aws_secret_access_key"),
	W("aws_session_token"),
	W("secret_key"),
	W("secretkey"),
	W("salt"),
	W("dek"),
	W("x-goog-signature"),
	W("x-amz-signature"),
	W("x-amz-security-token"),
	W("x-amz-credential"),
	W("pass"),
	W("pw"),
	W("consumerkey"),
	W("consumer_key"),
	W("consumersecret"),
	W("consumer_secret"),
	W("cookiesecret"),
	W("cookie_secret"),
	W("sharedsecret"),
	W("jwtsecret"),
	W("webhooksecret"),
	W("signingsecret"),
	W("hmacsecret"),
	W("appsecret"),
	W("storepass"),
	W("keypass"),
	W("srcstorepass"),
	W("deststorepass"),
	W("srckeypass"),
	W("destkeypass"),
	{ NULL, 0 },
};

/* values that run to the end of the line when not quoted (HTTP headers) */
static const struct word header_names[] = {
	W("authorization"), W("proxy-authorization"), W("cookie"),
	W("set-cookie"),    W("x-api-key"),           W("apikey"),
	W("api-key"),       W("x-goog-api-key"),      W("x-auth-token"),
	{ NULL, 0 },
};

static const struct word ref_suffixes[] = {
	W("path"),   W("paths"),       W("ref"),    W("refs"),     W("name"),       W("names"),
	W("file"),   W("files"),       W("class"),  W("provider"), W("uri"),        W("url"),
	W("type"),   W("enabled"),     W("format"), W("version"),  W("size"),       W("bytes"),
	W("count"),  W("length"),      W("expiry"), W("expires"),  W("expiration"), W("ttl"),
	W("sha256"), W("fingerprint"), W("bits"),   W("status"),   W("source"),     W("mode"),
	W("policy"), W("id"),          { NULL, 0 },
};

/* NAME ends in one of these (DB_PASS, MYSQL_PWD, keystore-password, keyPassphrase):
 * the value is a credential, in YAML, JSON, XML, env, properties and flags alike */
static const struct word secret_suffixes[] = {
	W("password"),    W("passwd"),     W("encryptionkey"), W("secretkey"), W("_secret"),
	W("-secret"),     W("token"),      W("apikey"),        W("api_key"),   W("privatekey"),
	W("private_key"), W("_pass"),      W("-pass"),         W("_pwd"),      W("-pwd"),
	W("_pw"),         W("passphrase"), W("storepass"),     W("keypass"),   W("secret_key"),
	W("-secret-key"), { NULL, 0 },
};

static const struct word context_words[] = {
	W("secret"), W("token"),   W("passw"),      W("credential"), W("apikey"), W("api_key"),
	W("salt"),   W("private"), W("encryption"), W("signature"),  W("auth"),   { NULL, 0 },
};

/* Keys that hold a context word but name public facts: Apigee's authorizedNetwork
 * ("projects/HOST/global/networks/NET", which the XLB checks compare). */
static const struct word plain_exact[] = {
	W("authorizednetwork"),
	/* public: a kubeconfig's cluster CA, an SPKI public key */
	W("certificate-authority-data"),
	W("publickey"),
	W("public_key"),
	{ NULL, 0 },
};

/* Letters pairs that start one of the words above: a key without any of them is
 * plain, which is most keys, decided in one pass. */
static bool may_be_sensitive(const char *low, size_t n)
{
	for (size_t i = 0; i + 1 < n; i++) {
		char a = low[i], b = low[i + 1];

		switch (a) {
		case 'p':
			if (b == 'a' || b == 'w' || b == 'r')
				return true;
			break;
		case 's':
			if (b == 'e' || b == 'a' || b == 'i')
				return true;
			break;
		case 't':
			if (b == 'o')
				return true;
			break;
		case 'k':
			if (b == 'e')
				return true;
			break;
		case 'a':
			if (b == 'u' || b == 'x' || b == 'p')
				return true;
			break;
		case 'c':
			if (b == 'o' || b == 'r' || b == 'l')
				return true;
			break;
		case 'd':
			if (b == 'e')
				return true;
			break;
		case 'e':
			if (b == 'n')
				return true;
			break;
		case 'i':
			if (b == 'd')
				return true;
			break;
		case 'x':
			if (b == '-')
				return true;
			break;
		case 'b':
			if (b == 'e')
				return true;
			break;
		default:
			break;
		}
	}
	return false;
}

static bool header_name_low(const char *low, size_t n)
{
	static const struct word cookie[] = { W("cookie"), W("api-key"), W("apikey"), { NULL, 0 } };

	return w_eq(low, n, header_names) || w_ends(low, n, cookie);
}

enum key_class redact_key_class(const char *key, size_t len, bool json)
{
	char low[REDACT_KEY_MAX];
	const char *last;
	size_t last_len;

	if (len == 0 || len >= sizeof(low))
		return KEY_PLAIN;
	for (size_t i = 0; i < len; i++) {
		char c = key[i];

		low[i] = c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
	}
	if (!may_be_sensitive(low, len))
		return KEY_PLAIN;
	/* "redis.auth.password" (a Secret data key): judge the last segment too */
	last = low;
	last_len = len;
	for (size_t i = len; i > 0; i--)
		if (low[i - 1] == '.') {
			last = low + i;
			last_len = len - i;
			break;
		}
	if (len >= 13 && memcmp(low + len - 13, "authorization", 13) == 0)
		return KEY_AUTH;
	if (w_eq(low, len, secret_exact) ||
	    (last != low && last_len && w_eq(last, last_len, secret_exact)))
		return KEY_SECRET;
	if (header_name_low(low, len))
		return KEY_SECRET;
	/* JSON "secret"; docker's config.json "auth" (base64 of user:password) */
	if (json && ((len == 6 && memcmp(low, "secret", 6) == 0) ||
	             (len == 4 && memcmp(low, "auth", 4) == 0)))
		return KEY_SECRET;
	if (w_ends(last, last_len, ref_suffixes))
		return KEY_REF;
	if (w_ends(last, last_len, secret_suffixes))
		return KEY_SECRET;
	if (last != low) {
		/* "backend.api.key", "smtp.auth.pass": the segments read as one name */
		for (size_t i = 0; i < len; i++)
			if (low[i] == '.')
				low[i] = '_';
		if (w_ends(low, len, secret_suffixes))
			return KEY_SECRET;
	}
	if (w_eq(last, last_len, plain_exact))
		return KEY_PLAIN;
	if (w_contains(last, last_len, context_words))
		return KEY_CONTEXT;
	if (last_len >= 3 && memcmp(last + last_len - 3, "key", 3) == 0)
		return KEY_CONTEXT;
	return KEY_PLAIN;
}

enum key_class stream_key_class(struct redact_stream *s, const char *key, size_t len, bool json)
{
	uint32_t h = 2166136261u;
	enum key_class cls;
	size_t slot;

	if (len == 0 || len >= sizeof(s->kc[0].key))
		return redact_key_class(key, len, json);
	{
		/* most keys hold no trigger pair at all: no hashing for them */
		char low[sizeof(s->kc[0].key)];

		for (size_t i = 0; i < len; i++) {
			char c = key[i];

			low[i] = c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
		}
		if (!may_be_sensitive(low, len))
			return KEY_PLAIN;
	}
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)key[i]) * 16777619u;
	h ^= json;
	slot = h & (sizeof(s->kc) / sizeof(s->kc[0]) - 1);
	if (s->kc[slot].len == len && (s->kc[slot].cls & 0x80) == (json ? 0x80 : 0) &&
	    memcmp(s->kc[slot].key, key, len) == 0)
		return (enum key_class)(s->kc[slot].cls & 0x7f);
	cls = redact_key_class(key, len, json);
	memcpy(s->kc[slot].key, key, len);
	s->kc[slot].len = (uint8_t)len;
	s->kc[slot].cls = (uint8_t)(cls | (json ? 0x80 : 0));
	return cls;
}

/* "16 bytes": what `kubectl describe secret` prints instead of a value */
static bool value_is_size(const char *v, size_t n)
{
	size_t i = 0;

	while (i < n && v[i] >= '0' && v[i] <= '9')
		i++;
	return i > 0 && i < 12 && n - i == 6 && memcmp(v + i, " bytes", 6) == 0;
}

bool redact_value_is_harmless(const char *v, size_t n)
{
	size_t i;

	if (n == 0 || redact_marker_at(v, n) == n)
		return true;
	if (redact_key_eq_ci(v, n, "null") || redact_key_eq_ci(v, n, "true") ||
	    redact_key_eq_ci(v, n, "false") || redact_key_eq_ci(v, n, "~") ||
	    redact_key_eq_ci(v, n, "-") || redact_key_eq_ci(v, n, "<none>"))
		return true;
	for (i = 0; i < n && v[i] == '*'; i++)
		;
	if (i == n)
		return true;
	if (value_is_size(v, n))
		return true;
	/* $VAR, ${VAR} or $(VAR): a template placeholder */
	if (v[0] == '$') {
		size_t a = 1, b = n;

		if (n > 2 && ((v[1] == '{' && v[n - 1] == '}') || (v[1] == '(' && v[n - 1] == ')')))
			a = 2, b = n - 1;
		if (b <= a)
			return false;
		for (i = a; i < b; i++)
			if (!((v[i] >= 'A' && v[i] <= 'Z') || (v[i] >= '0' && v[i] <= '9') ||
			      v[i] == '_'))
				return false;
		return true;
	}
	return false;
}

/* "user:password" (no blanks, not a URL, not host:port) */
static bool user_pass_pair(const char *v, size_t n)
{
	const char *c = memchr(v, ':', n);
	size_t k, digits = 0;

	if (!c || c == v || (size_t)(c - v) + 1 >= n)
		return false;
	if ((size_t)(c - v) + 2 < n && c[1] == '/' && c[2] == '/')
		return false;
	for (k = 0; k < n; k++)
		if (v[k] == ' ' || v[k] == '\t' || v[k] == '{' || v[k] == '$')
			return false;
	for (k = (size_t)(c - v) + 1; k < n; k++)
		digits += v[k] >= '0' && v[k] <= '9';
	return digits != n - (size_t)(c - v) - 1;
}

bool redact_context_value(const char *v, size_t n)
{
	return redact_high_entropy(v, n) || user_pass_pair(v, n);
}

enum key_class redact_name_class(const char *name, size_t len)
{
	enum key_class cls = redact_key_class(name, len, true);

	/* "secret" as a name is a credential's name, as in JSON */
	return cls == KEY_REF ? KEY_PLAIN : cls;
}

bool redact_jwk_private_member(const char *key, size_t len)
{
	if (len == 1)
		return key[0] == 'd' || key[0] == 'p' || key[0] == 'q' || key[0] == 'k';
	return len == 2 && ((key[0] == 'd' && (key[1] == 'p' || key[1] == 'q')) ||
	                    (key[0] == 'q' && key[1] == 'i'));
}

static bool name_ends(const char *name, size_t n, const char *suffix)
{
	size_t m = strlen(suffix);

	return n >= m && strncasecmp(name + n - m, suffix, m) == 0;
}

enum member_format redact_member_format(const char *member)
{
	const char *base = strrchr(member, '/');
	size_t n;

	base = base ? base + 1 : member;
	n = strlen(base);
	if (strcasecmp(base, ".netrc") == 0 || strcasecmp(base, "_netrc") == 0 ||
	    strcasecmp(base, "netrc") == 0)
		return FMT_NETRC;
	if (strcasecmp(base, ".pgpass") == 0 || strcasecmp(base, "pgpass") == 0 ||
	    strcasecmp(base, "pgpass.conf") == 0)
		return FMT_PGPASS;
	if (strncasecmp(base, "jmxremote", 9) == 0 &&
	    (name_ends(base, n, ".password") || name_ends(base, n, ".password.template")))
		return FMT_JMXPASS;
	if (name_ends(base, n, ".properties") || name_ends(base, n, ".env") ||
	    strcasecmp(base, ".env") == 0 || name_ends(base, n, ".ini") ||
	    name_ends(base, n, ".conf") || name_ends(base, n, ".cfg") || name_ends(base, n, ".cnf"))
		return FMT_PROPERTIES;
	return FMT_NONE;
}

bool redact_high_entropy(const char *v, size_t n)
{
	unsigned counts[256] = { 0 };
	bool upper = false, lower = false, digit = false, b64sym = false, hex = true;
	double h = 0;

	if (n < 16 || n > 8192)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];

		if (!cc_is(c, CC_B64 | CC_B64URL) && c != '.' && c != '~')
			return false;
		upper |= c >= 'A' && c <= 'Z';
		lower |= c >= 'a' && c <= 'z';
		digit |= c >= '0' && c <= '9';
		b64sym |= c == '+' || c == '/' || c == '=';
		hex &= cc_is(c, CC_HEX) != 0;
		counts[c]++;
	}
	for (int c = 0; c < 256; c++)
		if (counts[c]) {
			double p = (double)counts[c] / (double)n;

			h -= p * log2(p);
		}
	if (hex && n >= 32 && digit)
		return h >= 3.0;
	if (upper && lower && digit)
		return h >= 3.0;
	if (b64sym && (upper || lower) && n >= 20)
		return h >= 3.5;
	return false;
}

/* ---- base64 ------------------------------------------------------------------------ */

static bool mem_has(const unsigned char *d, size_t n, const char *needle)
{
	size_t m = strlen(needle);

	return m <= n && memmem(d, n, needle, m) != NULL;
}

/* ---- stage 1: PEM blocks ---------------------------------------------------------- */

enum pem_kind {
	PEM_NONE = 0,
	PEM_PRIVATE = 1,
	PEM_CERT = 2,
};

/* At p a "-----BEGIN LABEL-----": which kind, and where the BEGIN line's
 * "-----" after the label ends. */
static enum pem_kind pem_begin_kind(const struct redact_stream *s, const char *p, size_t n,
                                    const char **ret_label, size_t *ret_label_len,
                                    size_t *ret_hdr_len)
{
	const char *label = p + 11, *end;
	size_t avail = n - 11, ll;

	end = memmem(label, avail, "-----", 5);
	if (!end || end - label > 64)
		return PEM_NONE;
	ll = (size_t)(end - label);
	*ret_label = label;
	*ret_label_len = ll;
	*ret_hdr_len = 11 + ll + 5;
	if (memmem(label, ll, "PRIVATE KEY", 11))
		return s->r->disabled_rule == RULE_PEM_PRIVATE_KEY ? PEM_NONE : PEM_PRIVATE;
	if (s->r->pseudo &&
	    (memmem(label, ll, "CERTIFICATE", 11) || memmem(label, ll, "X509 CRL", 8)))
		return PEM_CERT;
	return PEM_NONE;
}

/* A line that can be inside a PEM body: base64, blanks, RFC 1421 headers. */
static bool pem_body_line(const char *p, size_t n)
{
	size_t i = 0;

	while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r'))
		i++;
	if (n - i >= 10 &&
	    (memcmp(p + i, "Proc-Type:", 10) == 0 || memcmp(p + i, "DEK-Info:", 9) == 0))
		return true;
	for (; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (!cc_is(c, CC_B64) && c != ' ' && c != '\t' && c != '\r' && c != '"' &&
		    c != '\\')
			return false;
	}
	return true;
}

/* Keep the text of a certificate block being dropped, for its facts (bounded:
 * beyond PEM_BODY_MAX the block gets a marker only). */
static void pem_body_add(struct redact_stream *s, const char *p, size_t n, bool new_line)
{
	if (s->pem_state != PEM_CERT || s->pem_body_over)
		return;
	if ((new_line && buf_putc(&s->pem_body, '\n') < 0) || buf_append(&s->pem_body, p, n) < 0)
		s->pem_body_over = true;
}

static void pem_body_start(struct redact_stream *s)
{
	buf_reset(&s->pem_body);
	s->pem_body_over = false;
}

static int pem_marker(struct redact_stream *s, struct buf *out)
{
	char m[64];
	size_t n;
	int rule = s->pem_state == PEM_PRIVATE ? RULE_PEM_PRIVATE_KEY : RULE_CERT_DROPPED;
	int rc = 1;

	/* a disabled rule (tests) cannot give the key back: it was not kept */
	redact_fire(s, rule);
	if (s->pem_state == PEM_CERT)
		s->dropped_certificates++;
	n = redact_mac_end(&s->pem_mac, s->pem_state == PEM_PRIVATE ? "private key" : "certificate",
	                   m);
	if (buf_append(out, s->pem_prefix.data ? s->pem_prefix.data : "", s->pem_prefix.len) < 0)
		return -ENOMEM;
	buf_reset(&s->pem_prefix);
	/* a certificate inside a document: its facts stand for it (with the marker) */
	if (s->pem_state == PEM_CERT && !s->pem_body_over && s->pem_body.len)
		rc = pemfile_block_facts(s, s->pem_body.data, s->pem_body.len, m, n, out);
	s->pem_state = PEM_NONE;
	pem_body_start(s);
	if (rc < 0)
		return rc;
	return rc == 0 ? 0 : buf_append(out, m, n);
}

int stage_pem_finish(struct redact_stream *s, struct buf *out)
{
	if (s->pem_state == PEM_NONE)
		return 0;
	if (pem_marker(s, out) < 0)
		return -ENOMEM;
	return buf_putc(out, '\n');
}

/* Copy in[0..n) to out, replacing private key blocks (and certificates when
 * pseudonymizing); a block that does not end on this line is held in the stream. */
static int pem_scan(struct redact_stream *s, const char *in, size_t n, struct buf *out,
                    bool *ret_consumed)
{
	size_t i = 0;

	while (i < n) {
		const char *b = n - i >= 11 ? memmem(in + i, n - i, "-----BEGIN ", 11) : NULL;
		const char *label, *end;
		size_t ll, hl, at;
		enum pem_kind k;

		if (!b)
			break;
		at = (size_t)(b - in);
		k = pem_begin_kind(s, b, n - at, &label, &ll, &hl);
		if (k == PEM_NONE) {
			if (buf_append(out, in + i, at + 11 - i) < 0)
				return -ENOMEM;
			i = at + 11;
			continue;
		}
		if (buf_append(out, in + i, at - i) < 0)
			return -ENOMEM;
		s->pem_state = k;
		pem_body_start(s);
		if (redact_mac_begin(s->r, &s->pem_mac) < 0)
			return -ENOMEM;
		/* the END on the same line (JSON "...\n..." strings)? */
		end = memmem(b + hl, n - at - hl, "-----END ", 9);
		if (end) {
			const char *close = memmem(end + 9, n - (size_t)(end + 9 - in), "-----", 5);
			size_t stop = close ? (size_t)(close + 5 - in) : n;

			redact_mac_update(&s->pem_mac, b, stop - at);
			pem_body_add(s, b, stop - at, false);
			buf_reset(&s->pem_prefix);
			if (pem_marker(s, out) < 0)
				return -ENOMEM;
			i = stop;
			continue;
		}
		/* a block over several lines: keep what came before BEGIN for the marker line */
		redact_mac_update(&s->pem_mac, b, n - at);
		pem_body_add(s, b, n - at, false);
		buf_reset(&s->pem_prefix);
		buf_append(&s->pem_prefix, out->data ? out->data : "", out->len);
		buf_reset(out);
		s->pem_lines = s->pem_junk = 0;
		*ret_consumed = true;
		return 0;
	}
	return buf_append(out, in + i, n - i);
}

/* An END line of a private key without its BEGIN (a cut file): the line from
 * the dashes on becomes a marker. */
static int stray_end(struct redact_stream *s, const char *in, size_t n, struct buf *out)
{
	const char *k = memmem(in, n, "PRIVATE KEY", 11);
	const char *d;

	if (!k)
		return buf_append(out, in, n);
	d = memmem(in, n, "-----END ", 9);
	if (!d || d > k)
		return buf_append(out, in, n);
	if (buf_append(out, in, (size_t)(d - in)) < 0)
		return -ENOMEM;
	return redact_emit(s, RULE_PEM_PRIVATE_KEY, d, n - (size_t)(d - in), "private key", out);
}

int stage_pem(struct redact_stream *s, const char *in, size_t n, const struct piece *pc,
              struct buf *out, bool *ret_consumed)
{
	const char *end;
	int rc;

	*ret_consumed = false;
	if (!in || !n)
		return s->pem_state == PEM_NONE ? 0 : (*ret_consumed = true, 0);
	if (s->pem_state == PEM_NONE) {
		/* fast path: most lines have no "-----" */
		if (n < 11 || !memmem(in, n, "-----", 5))
			return buf_append(out, in, n);
		if (memmem(in, n, "-----BEGIN ", 11))
			return pem_scan(s, in, n, out, ret_consumed);
		return stray_end(s, in, n, out);
	}
	end = n >= 9 ? memmem(in, n, "-----END ", 9) : NULL;
	if (end) {
		const char *close = memmem(end + 9, n - (size_t)(end + 9 - in), "-----", 5);
		size_t stop = close ? (size_t)(close + 5 - in) : n;

		redact_mac_update(&s->pem_mac, in, stop);
		pem_body_add(s, in, stop, !pc->cont);
		if ((rc = pem_marker(s, out)) < 0)
			return rc;
		return pem_scan(s, in + stop, n - stop, out, ret_consumed);
	}
	/* a damaged body line (bad base64) stays inside the block: the END usually
	 * follows; a block that never ends gives up after 64 lines that are not PEM */
	if (pc->cont || (++s->pem_lines < 100000 && (pem_body_line(in, n) || ++s->pem_junk < 64))) {
		redact_mac_update(&s->pem_mac, in, n);
		pem_body_add(s, in, n, !pc->cont);
		*ret_consumed = true;
		return 0;
	}
	/* a block without END (truncated): the marker gets its own line */
	if ((rc = pem_marker(s, out)) < 0 || (rc = buf_putc(out, '\n')) < 0)
		return rc;
	rc = redact_stream_emit_raw(s, out->data, out->len);
	buf_reset(out);
	if (rc < 0)
		return rc;
	return pem_scan(s, in, n, out, ret_consumed);
}

/* ---- stage 3: line rules ------------------------------------------------------------ */

struct kv {
	const char *key;
	size_t key_len;
	bool key_quoted;  /* "key": (JSON-ish) */
	char outer_quote; /* the key sits inside '…' or "…" (a -H 'Cookie: …' argument) */
	bool query;       /* ?key= or &key= */
	bool dashes;      /* --key= */
};

/* Find the key that ends just before in[i] (':' or '='). */
static bool kv_key(const char *in, size_t i, char sep, struct kv *kv)
{
	size_t e = i, b;

	memset(kv, 0, sizeof(*kv));
	(void)sep;
	while (e > 0 && i - e < 8 && (in[e - 1] == ' ' || in[e - 1] == '\t'))
		e--;
	if (e > 0 && (in[e - 1] == '"' || in[e - 1] == '\'')) {
		kv->key_quoted = true;
		e--;
		if (e > 0 && in[e - 1] == '\\')
			e--;
	}
	b = e;
	while (b > 0 && e - b < REDACT_KEY_MAX && cc_is((unsigned char)in[b - 1], CC_KEY))
		b--;
	if (b == e || (b > 0 && cc_is((unsigned char)in[b - 1], CC_KEY)))
		return false;
	kv->key = in + b;
	kv->key_len = e - b;
	while (kv->key_len && kv->key[0] == '-') {
		kv->key++;
		kv->key_len--;
		kv->dashes = true;
	}
	if (!kv->key_len)
		return false;
	if (kv->key_quoted) {
		if (b > 0 && (in[b - 1] == '"' || in[b - 1] == '\''))
			b--;
		if (b > 0 && in[b - 1] == '\\')
			b--;
	}
	/* "%3Faccess_token", "\u0026access_token": an encoded '?' or '&' before */
	if (!kv->key_quoted && b > 0 && in[b - 1] == '%' && kv->key_len > 2 &&
	    cc_is((unsigned char)kv->key[0], CC_HEX) && cc_is((unsigned char)kv->key[1], CC_HEX)) {
		kv->query = true;
		kv->key += 2;
		kv->key_len -= 2;
	} else if (!kv->key_quoted && b > 0 && in[b - 1] == '\\' && kv->key_len > 5 &&
	           kv->key[0] == 'u' && memcmp(kv->key + 1, "00", 2) == 0 &&
	           cc_is((unsigned char)kv->key[3], CC_HEX) &&
	           cc_is((unsigned char)kv->key[4], CC_HEX)) {
		kv->query = true;
		kv->key += 5;
		kv->key_len -= 5;
	}
	if (b > 0 && (in[b - 1] == '?' || in[b - 1] == '&' || in[b - 1] == ';'))
		kv->query = sep == '=';
	if (!kv->key_quoted && b > 0 && (in[b - 1] == '\'' || in[b - 1] == '"'))
		kv->outer_quote = in[b - 1];
	return true;
}

static const char *const query_names[] = {
	"access_token",
	"key",
	"apikey",
	"api_key",
	"token",
	"client_secret",
	"password",
	"sig",
	"signature",
	"id_token",
	"refresh_token",
	"secret",
	"auth",
	"code",
	"x-goog-signature",
	"x-amz-signature",
	"x-amz-security-token",
	"x-amz-credential",
	"passwd",
	NULL,
};

/* End of an unquoted value starting at v. */
static size_t value_end(const char *in, size_t n, size_t v)
{
	while (v < n && !cc_is((unsigned char)in[v], CC_DELIM) &&
	       !(in[v] == '\\' && v + 1 < n && (in[v + 1] == 'u' || in[v + 1] == '"')))
		v++;
	return v;
}

/* End of a quoted value whose opening quote is at v (the index of the closing
 * quote, or n when it does not close on this piece). */
static size_t quoted_end(const char *in, size_t n, size_t v, bool escaped_quote)
{
	char q = in[v];
	size_t i = v + 1;

	if (escaped_quote) {
		/* \"...\" inside a JSON string */
		for (; i + 1 < n; i++)
			if (in[i] == '\\' && in[i + 1] == '"')
				return i;
		return n;
	}
	for (; i < n; i++) {
		if (q == '"' && in[i] == '\\') {
			i++;
			continue;
		}
		if (in[i] == q)
			return i;
	}
	return n;
}

static bool header_name_low_ci(const char *key, size_t len)
{
	char low[REDACT_KEY_MAX];

	if (len >= sizeof(low))
		return false;
	for (size_t i = 0; i < len; i++)
		low[i] = key[i] >= 'A' && key[i] <= 'Z' ? (char)(key[i] + 32) : key[i];
	return header_name_low(low, len);
}

/* Is a header name's value in the rest of this line? */
static bool is_header_name(const struct kv *kv)
{
	char low[REDACT_KEY_MAX];

	if (kv->key_len >= sizeof(low))
		return false;
	for (size_t i = 0; i < kv->key_len; i++) {
		char c = kv->key[i];

		low[i] = c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
	}
	return header_name_low(low, kv->key_len);
}

static bool in_list(const char *key, size_t len, const char *const *list)
{
	for (; *list; list++)
		if (redact_key_eq_ci(key, len, *list))
			return true;
	return false;
}

/* user:password@host in a URL: in[i] is the ':' after "//user". 0 with *ret_used
 * set when replaced, 0 with *ret_used 0 when not a URL's user information. */
static int url_userinfo(struct redact_stream *s, const char *in, size_t n, size_t i,
                        struct buf *out, size_t *ret_used)
{
	size_t k = i + 1, at = 0;

	/* the password may hold '@' ';' '&' unencoded: up to the last '@' before
	 * the path, a blank or a quote */
	for (; k < n && k - i < 512; k++) {
		char c = in[k];

		if (c == '/' || c == ' ' || c == '\t' || c == '"' || c == '\'' || c == '<' ||
		    c == '>' || c == '\\' || c == '?' || c == '#')
			break;
		if (c == '@')
			at = k;
	}
	if (at > i + 1) {
		if (buf_putc(out, ':') < 0 ||
		    redact_emit(s, RULE_CREDENTIAL_KV, in + i + 1, at - i - 1, NULL, out) < 0)
			return -ENOMEM;
		*ret_used = at - i;
	}
	return 0;
}

/* in[0..k) ends with "//" or, in a JSON string, "\/\/". */
static bool slashes_before(const char *in, size_t k)
{
	if (k >= 2 && in[k - 1] == '/' && in[k - 2] == '/')
		return true;
	return k >= 4 && memcmp(in + k - 4, "\\/\\/", 4) == 0;
}

/* in[i] is ':' after the user of a URL's user information ("scheme://USER:"):
 * the user holds no blank, quote or '/' ("ldaps://cn=admin,dc=x:pw@h"). */
static bool url_user_before(const char *in, size_t i)
{
	size_t k = i;

	while (k > 0 && i - k < 256) {
		char c = in[k - 1];

		if (c == '/' || c == ' ' || c == '\t' || c == '"' || c == '\'' || c == '@' ||
		    c == '<' || c == '>')
			break;
		k--;
	}
	return k < i && slashes_before(in, k);
}

/* The key's class and the rule that replaces its value; false when the value
 * stays. */
static bool kv_classify(struct redact_stream *s, const struct kv *kv, char sep,
                        enum key_class *ret_cls, int *ret_rule)
{
	enum key_class cls;

	if (kv->query && in_list(kv->key, kv->key_len, query_names)) {
		*ret_cls = KEY_SECRET;
		*ret_rule = RULE_QUERY_PARAM;
		return true;
	}
	if (s->name_pending && redact_key_eq_ci(kv->key, kv->key_len, "value")) {
		/* "name: DB_PASSWORD" then "value: …" (an env list pasted as text) */
		*ret_cls = (enum key_class)s->name_pending_cls;
		*ret_rule = RULE_NAMED_VALUE;
		s->name_pending = 0;
		return true;
	}
	cls = stream_key_class(s, kv->key, kv->key_len, kv->key_quoted || sep == '=');
	if (cls == KEY_PLAIN || cls == KEY_REF)
		return false;
	*ret_cls = cls;
	if (kv->query && cls == KEY_SECRET)
		*ret_rule = RULE_QUERY_PARAM;
	else if (cls == KEY_AUTH || (is_header_name(kv) && !kv->key_quoted && sep == ':'))
		*ret_rule = RULE_HTTP_HEADER;
	else if (cls == KEY_CONTEXT)
		*ret_rule = RULE_HIGH_ENTROPY;
	else
		*ret_rule = kv->dashes ? RULE_CLI_FLAG : RULE_CREDENTIAL_KV;
	return true;
}

/* Where a value is, [vs, ve), after the separator. */
struct kv_value {
	size_t vs, ve;
	bool quoted;
	bool to_eol; /* runs to the end of a partial piece: the rest is dropped too */
};

/* An unquoted value: up to its end; a ${VAR} placeholder whole. */
static size_t plain_value_end(const char *in, size_t n, size_t v)
{
	size_t ve = value_end(in, n, v);

	if (ve == v + 1 && in[v] == '$' && v + 1 < n && (in[v + 1] == '{' || in[v + 1] == '(')) {
		const char *close = memchr(in + v, in[v + 1] == '{' ? '}' : ')', n - v);

		if (close && close - (in + v) < 128)
			ve = (size_t)(close - in) + 1;
	}
	return ve;
}

/* The value after the separator at i; false when there is none to look at (end of
 * input, a marker already, an object or array). */
static bool kv_value_at(const char *in, size_t n, size_t i, const struct kv *kv, int rule,
                        struct kv_value *ret)
{
	size_t v = i + 1;
	bool esc = false;

	memset(ret, 0, sizeof(*ret));
	while (v < n && (in[v] == ' ' || in[v] == '\t'))
		v++;
	if (v >= n || redact_marker_at(in + v, n - v))
		return false;
	if (in[v] == '"' || in[v] == '\'') {
		ret->quoted = true;
	} else if (in[v] == '\\' && v + 1 < n && in[v + 1] == '"') {
		ret->quoted = esc = true;
		v++;
	}
	if (ret->quoted) {
		ret->vs = v + 1;
		ret->ve = quoted_end(in, n, v, esc);
	} else if (in[v] == '[' && in[i] == ':' && n - v > 10 &&
	           memcmp(in + v, "[]string{\"", 10) == 0) {
		/* Go's %#v: http.Header{"Authorization":[]string{"Bearer …"}} */
		const char *q = memchr(in + v + 10, '"', n - v - 10);

		ret->vs = v + 10;
		ret->ve = q ? (size_t)(q - in) : n;
	} else if (in[v] == '[' && rule == RULE_HTTP_HEADER && in[i] == ':') {
		/* a Go header map: map[Authorization:[Bearer …]] */
		const char *q = memchr(in + v, ']', n - v);

		ret->vs = v + 1;
		ret->ve = q ? (size_t)(q - in) : n;
	} else if (in[v] == '{' || in[v] == '[') {
		return false;
	} else if (rule == RULE_HTTP_HEADER && in[i] == ':') {
		const char *q = kv->outer_quote ? memchr(in + v, kv->outer_quote, n - v) : NULL;

		ret->vs = v;
		ret->ve = q ? (size_t)(q - in) : n;
	} else {
		ret->vs = v;
		ret->ve = plain_value_end(in, n, v);
	}
	return true;
}

/* A value that stays: empty, a marker, harmless, or (by context) not random. */
static bool kv_value_stays(const char *in, const struct kv *kv, enum key_class cls, int rule,
                           const struct kv_value *val)
{
	size_t len = val->ve - val->vs;

	if (cls == KEY_CONTEXT && (val->to_eol || !redact_context_value(in + val->vs, len)))
		return true;
	if (len == 0 || redact_marker_at(in + val->vs, len) == len)
		return true;
	return !kv->key_quoted && !val->quoted && rule != RULE_HTTP_HEADER && !val->to_eol &&
	       redact_value_is_harmless(in + val->vs, len);
}

/* Keep the auth scheme: "Bearer <redacted:...>" (moves vs past it). False when the
 * credential after the scheme is a marker already. */
static bool skip_auth_scheme(const char *in, struct kv_value *val)
{
	size_t w = val->vs, ve = val->ve;

	while (w < ve && ((in[w] >= 'A' && in[w] <= 'Z') || (in[w] >= 'a' && in[w] <= 'z')))
		w++;
	if (!(w > val->vs && w < ve && in[w] == ' '))
		return true;
	while (w < ve && in[w] == ' ')
		w++;
	if (w < ve && !redact_marker_at(in + w, ve - w))
		val->vs = w;
	else if (w < ve)
		return false;
	return true;
}

/* Does the line start with the key (blanks or "export " before it)? */
static bool key_starts_line(const char *in, const struct kv *kv)
{
	size_t k = (size_t)(kv->key - in);

	while (k > 0 && in[k - 1] == '-')
		k--;
	if (k >= 7 && memcmp(in + k - 7, "export ", 7) == 0)
		k -= 7;
	while (k > 0 && (in[k - 1] == ' ' || in[k - 1] == '\t'))
		k--;
	return k == 0;
}

/* A plain value of a credential key that has blanks: "db.password = two words" in
 * a properties / env / ini file or a "key = value" / "key: value" line (to the end
 * of the line); "Password=two words;" in a connection string (to the ';'). */
static void extend_value(struct redact_stream *s, const char *in, size_t n, size_t i,
                         const struct kv *kv, struct kv_value *val)
{
	size_t ks = (size_t)(kv->key - in), ve = val->ve;
	bool spaced = (i > 0 && (in[i - 1] == ' ' || in[i - 1] == '\t')) ||
	              (i + 1 < n && (in[i + 1] == ' ' || in[i + 1] == '\t'));
	const char *semi;

	if (ve >= n || (in[ve] != ' ' && in[ve] != '\t'))
		return;
	if (key_starts_line(in, kv) && !kv->dashes &&
	    (s->fmt == FMT_PROPERTIES || spaced || in[i] == ':')) {
		ve = n;
		while (ve > val->vs &&
		       (in[ve - 1] == ' ' || in[ve - 1] == '\t' || in[ve - 1] == '\r'))
			ve--;
		val->ve = ve;
		return;
	}
	semi = memchr(in + ve, ';', n - ve);
	if (!semi || semi - (in + ve) > 128 || !(ks > 0 && in[ks - 1] == ';'))
		return;
	for (const char *p = in + ve; p < semi; p++)
		if (*p == '=' || *p == '"' || *p == '\'' || *p == '&' || *p == '\t')
			return;
	val->ve = (size_t)(semi - in);
}

/* Copy the key and separator, replace the value. */
static int kv_replace(struct redact_stream *s, const char *in, size_t i, int rule,
                      const struct kv_value *val, struct buf *out, size_t *ret_used)
{
	if (buf_append(out, in + i, val->vs - i) < 0)
		return -ENOMEM;
	if (!redact_fire(s, rule)) {
		if (buf_append(out, in + val->vs, val->ve - val->vs) < 0)
			return -ENOMEM;
	} else {
		char m[64];
		size_t ml = redact_marker(s->r, in + val->vs, val->ve - val->vs, NULL, m);

		if (buf_append(out, m, ml) < 0)
			return -ENOMEM;
		if (val->to_eol)
			s->eol_redact = true;
	}
	*ret_used = val->ve - i;
	return 0;
}

/* "name: DB_PASSWORD" / name="db_password": the "value" key on this line or the
 * next holds a credential. */
static void note_name(struct redact_stream *s, const char *in, size_t n, size_t i)
{
	size_t v = i + 1, ve;
	enum key_class cls;

	while (v < n && (in[v] == ' ' || in[v] == '\t' || in[v] == '"' || in[v] == '\''))
		v++;
	ve = v;
	while (ve < n && cc_is((unsigned char)in[ve], CC_KEY))
		ve++;
	cls = redact_name_class(in + v, ve - v);
	if (cls == KEY_SECRET || cls == KEY_AUTH || cls == KEY_CONTEXT) {
		s->name_pending = 2;
		s->name_pending_cls = cls;
	}
}

/* In[i] is ':' or '='. Returns how many bytes were handled (copied or replaced),
 * 0 when nothing applies (the caller copies the byte). */
static int kv_rule(struct redact_stream *s, const char *in, size_t n, size_t i,
                   const struct piece *pc, struct buf *out, size_t *ret_used)
{
	char sep = in[i];
	struct kv kv;
	struct kv_value val;
	enum key_class cls;
	int rule;

	*ret_used = 0;
	if (sep == ':' && s->kv_skip && i + 1 == s->kv_skip)
		return 0;
	if (sep == ':' && slashes_before(in, i))
		return url_userinfo(s, in, n, i, out, ret_used); /* redis://:password@host */
	if (sep == ':' && url_user_before(in, i))
		return url_userinfo(s, in, n, i, out, ret_used); /* scheme://user:password@ */
	if (!kv_key(in, i, sep, &kv))
		return 0;
	if (redact_key_eq_ci(kv.key, kv.key_len, "name"))
		note_name(s, in, n, i);
	if (!kv_classify(s, &kv, sep, &cls, &rule))
		return 0;
	if (!kv_value_at(in, n, i, &kv, rule, &val))
		return 0;
	if (!val.quoted && cls == KEY_SECRET &&
	    (rule == RULE_CREDENTIAL_KV || rule == RULE_QUERY_PARAM))
		extend_value(s, in, n, i, &kv, &val);
	/* keytool -storepass:env VAR / -storepass:file PATH name where the password is */
	if (kv.dashes && sep == ':' &&
	    (redact_key_eq_ci(in + val.vs, val.ve - val.vs, "env") ||
	     redact_key_eq_ci(in + val.vs, val.ve - val.vs, "file")))
		return 0;
	val.to_eol = val.ve == n && pc->partial;
	if (kv_value_stays(in, &kv, cls, rule, &val))
		return 0;
	if (cls == KEY_AUTH && !skip_auth_scheme(in, &val))
		return 0;
	return kv_replace(s, in, i, rule, &val, out, ret_used);
}

static bool boundary_before(const char *in, size_t i, uint8_t cls)
{
	return i == 0 || !cc_is((unsigned char)in[i - 1], cls);
}

static size_t run_of(const char *in, size_t n, size_t i, uint8_t cls, const char *extra)
{
	while (i < n &&
	       (cc_is((unsigned char)in[i], cls) || (extra && in[i] && strchr(extra, in[i]))))
		i++;
	return i;
}

/* ya29.… (a Google OAuth access token) */
static size_t shape_gcp_token(const char *in, size_t n, size_t i, int *ret_rule)
{
	size_t e;

	if (!(n - i > 15 && memcmp(in + i, "ya29.", 5) == 0 && boundary_before(in, i, CC_B64URL)))
		return 0;
	e = run_of(in, n, i + 5, CC_B64URL, ".");
	if (e - i < 15)
		return 0;
	*ret_rule = RULE_GCP_ACCESS_TOKEN;
	return e - i;
}

/* Only blanks before in[i] on its line. */
static bool line_start(const char *in, size_t i)
{
	while (i > 0 && (in[i - 1] == ' ' || in[i - 1] == '\t'))
		i--;
	return i == 0;
}

/* base64 of a JSON document (a service-account key file) */
static size_t shape_b64_json(const char *in, size_t n, size_t i, int *ret_rule)
{
	unsigned char dec[384];
	size_t e = run_of(in, n, i, CC_B64, NULL), d;

	/* a long run, or a whole line of base64 wrapped at 32..76+ columns */
	if (e - i < 100 && !(e == n && e - i >= 32 && (e - i) % 4 == 0 && line_start(in, i)))
		return 0;
	d = base64_decode_prefix(in + i, e - i, dec, sizeof(dec));
	if (!mem_has(dec, d, "service_acc") && !mem_has(dec, d, "private_key"))
		return 0;
	*ret_rule = RULE_BASE64_SA_JSON;
	return e - i;
}

/* A base64 run that does not go on from a longer one before i. */
static bool b64_starts(const char *in, size_t i)
{
	return boundary_before(in, i, CC_B64URL) &&
	       !(i > 0 && (in[i - 1] == '+' || in[i - 1] == '/'));
}

/* eyJ….eyJ….sig (a JWT), else base64 JSON */
static size_t shape_jwt(const char *in, size_t n, size_t i, int *ret_rule)
{
	size_t e, e2;

	if (n - i < 20 || !b64_starts(in, i))
		return 0;
	if (in[i + 1] == 'y' && in[i + 2] == 'J') {
		e = run_of(in, n, i, CC_B64URL, NULL);
		if (e < n && in[e] == '.' && e - i >= 10) {
			e2 = run_of(in, n, e + 1, CC_B64URL, NULL);
			if (e2 - e > 2 && e2 < n && in[e2] == '.') {
				*ret_rule = RULE_JWT;
				return run_of(in, n, e2 + 1, CC_B64URL, NULL) - i;
			}
			if (e2 == n) {
				/* header and part of the payload: cut by a line break */
				*ret_rule = RULE_JWT;
				return n - i;
			}
		}
		if (e == n && e - i >= 16) {
			/* a JWT header cut by a line break: {"alg" / {"typ" / {"kid" */
			unsigned char dec[48];
			size_t d = base64_decode_prefix(in + i, e - i, dec, sizeof(dec));

			if (mem_has(dec, d, "\"alg\"") || mem_has(dec, d, "\"typ\"") ||
			    mem_has(dec, d, "\"kid\"")) {
				*ret_rule = RULE_JWT;
				return n - i;
			}
		}
	}
	return shape_b64_json(in, n, i, ret_rule);
}

/* AIza… (a Google API key) */
static size_t shape_google_api_key(const char *in, size_t n, size_t i, int *ret_rule)
{
	if (!(n - i >= 39 && memcmp(in + i, "AIza", 4) == 0 && boundary_before(in, i, CC_B64URL)))
		return 0;
	if (run_of(in, n, i + 4, CC_B64URL, NULL) - i != 39)
		return 0;
	*ret_rule = RULE_GOOGLE_API_KEY;
	return 39;
}

/* AKIA…/ASIA… (an AWS access key id): 16 upper-case letters or digits */
static size_t shape_aws_key(const char *in, size_t n, size_t i, int *ret_rule)
{
	size_t e;

	if (!(n - i >= 20 && (memcmp(in + i, "AKIA", 4) == 0 || memcmp(in + i, "ASIA", 4) == 0) &&
	      boundary_before(in, i, CC_ALNUM)))
		return 0;
	for (e = i + 4; e < n && e < i + 20; e++)
		if (!((in[e] >= 'A' && in[e] <= 'Z') || (in[e] >= '0' && in[e] <= '9')))
			return 0;
	if (!(e == i + 20 && (e == n || !cc_is((unsigned char)in[e], CC_ALNUM))))
		return 0;
	*ret_rule = RULE_AWS_ACCESS_KEY;
	return 20;
}

#define B64_PEM_LOOK (64u << 10) /* decoded bytes of a base64 PEM bundle looked at */

/* A line of base64 PEM without a key, that ends its line: the next lines may
 * carry on the bundle (wrapped at 64 or 76 columns, each line decodes alone). */
static void b64_wrap_start(struct redact_stream *s, const unsigned char *dec, size_t d)
{
	s->b64_pem_wrap = true;
	s->b64_tail_n = (uint8_t)sizeof(s->b64_tail);
	memcpy(s->b64_tail, dec + d - sizeof(s->b64_tail), sizeof(s->b64_tail));
}

static bool b64_line(const char *in, size_t n);

/* base64_decode_prefix() over a run of any length (chunks of 1364 characters,
 * a multiple of 4, so that each decodes alone) */
static size_t b64_decode_long(const char *in, size_t n, unsigned char *out, size_t cap)
{
	size_t d = 0, i = 0;

	while (i < n && d < cap) {
		size_t take = n - i < 1364 ? n - i : 1364;
		size_t got = base64_decode_prefix(in + i, take, out + d, cap - d);

		d += got;
		if (take < 1364 || got < 1023)
			break;
		i += take;
	}
	return d;
}

/* A line that goes on with a wrapped base64 PEM bundle: true when the key starts
 * in it (then it becomes a marker and the lines after it are dropped). */
static bool b64_wrap_key(struct redact_stream *s, const char *in, size_t n)
{
	unsigned char dec[sizeof(s->b64_tail) + 3072];
	size_t i = 0, d;
	bool key;

	while (i < n && (in[i] == ' ' || in[i] == '\t'))
		i++;
	memcpy(dec, s->b64_tail, s->b64_tail_n);
	d = s->b64_tail_n +
	    b64_decode_long(in + i, n - i, dec + s->b64_tail_n, sizeof(dec) - s->b64_tail_n);
	key = mem_has(dec, d, "PRIVATE KEY");
	if (d >= sizeof(s->b64_tail)) {
		memcpy(s->b64_tail, dec + d - sizeof(s->b64_tail), sizeof(s->b64_tail));
		s->b64_tail_n = (uint8_t)sizeof(s->b64_tail);
	}
	return key;
}

/* LS0tLS1CRUdJTi… (base64 of "-----BEGIN"): a private key; with --pseudonymize a
 * certificate too */
static size_t shape_b64_pem(struct redact_stream *s, const char *in, size_t n, size_t i,
                            int *ret_rule, const char **ret_label)
{
	unsigned char small[80], *dec = small;
	size_t e, d, cap = sizeof(small);

	if (n - i < 20 || memcmp(in + i, "LS0tLS1CRUdJTi", 14) != 0 || !b64_starts(in, i))
		return 0;
	e = run_of(in, n, i, CC_B64, NULL);
	/* base64 wrapped with \n escapes inside a JSON string */
	while (e + 2 < n && in[e] == '\\' && in[e + 1] == 'n' &&
	       cc_is((unsigned char)in[e + 2], CC_B64))
		e = run_of(in, n, e + 2, CC_B64, NULL);
	/* a bundle holds its key after the certificates: look at all of it */
	if (e - i > 100 && (dec = malloc(B64_PEM_LOOK)) != NULL)
		cap = B64_PEM_LOOK;
	else
		dec = small;
	d = dec != small ? b64_decode_long(in + i, e - i, dec, cap)
	                 : base64_decode_prefix(in + i, e - i, dec, cap);
	if (dec != small) {
		bool key = mem_has(dec, d, "PRIVATE KEY");

		if (!key && e == n && d >= sizeof(s->b64_tail))
			b64_wrap_start(s, dec, d);
		free(dec);
		dec = small;
		d = base64_decode_prefix(in + i, e - i, dec, sizeof(small));
		if (key) {
			*ret_rule = RULE_BASE64_PRIVATE_KEY;
			*ret_label = "private key";
			return e - i;
		}
	} else if (e == n && e - i <= 104 && d >= sizeof(s->b64_tail) &&
	           !mem_has(dec, d, "PRIVATE KEY"))
		b64_wrap_start(s, dec, d); /* the first line of a wrapped bundle */
	if (mem_has(dec, d, "PRIVATE KEY")) {
		*ret_rule = RULE_BASE64_PRIVATE_KEY;
		*ret_label = "private key";
		return e - i;
	}
	if (s->r->pseudo && mem_has(dec, d, "CERTIFICATE")) {
		*ret_rule = RULE_CERT_DROPPED;
		*ret_label = "certificate";
		return e - i;
	}
	return 0;
}

/* DER that starts like a private key (PKCS#1, PKCS#8, SEC1, PKCS#12, encrypted
 * PKCS#8): SEQUENCE { INTEGER version, INTEGER | SEQUENCE | OCTET STRING ... } or
 * SEQUENCE { SEQUENCE { OID pkcs5 / pkcs12 PBE } }. A certificate (SEQUENCE {
 * SEQUENCE { [0] ...), a public key or a CSR is none. */
static bool der_private_prefix(const unsigned char *d, size_t n)
{
	static const unsigned char pkcs5[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x05 };
	static const unsigned char pkcs12[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x0c };
	size_t p, q;

	if (n < 16 || d[0] != 0x30 || (d[1] >= 0x80 && d[1] != 0x81 && d[1] != 0x82))
		return false;
	p = d[1] < 0x80 ? 2 : d[1] == 0x81 ? 3 : 4;
	if (d[p] == 0x02 && d[p + 1] == 0x01) {
		unsigned char v = d[p + 2], t = d[p + 3];

		return (v == 0 && (t == 0x02 || t == 0x30)) ||
		       (v == 1 && (t == 0x04 || t == 0x30)) || (v == 3 && t == 0x30);
	}
	if (d[p] != 0x30 || (d[p + 1] >= 0x80 && d[p + 1] != 0x81))
		return false;
	q = p + (d[p + 1] < 0x80 ? 2 : 3);
	if (q + 2 + sizeof(pkcs5) > n || d[q] != 0x06 || d[q + 1] < 9)
		return false;
	return memcmp(d + q + 2, pkcs5, sizeof(pkcs5)) == 0 ||
	       memcmp(d + q + 2, pkcs12, sizeof(pkcs12)) == 0;
}

/* MII… without its PEM lines: the base64 of a DER private key, on one line or
 * the first line of a wrapped body (32 columns or more). */
static size_t shape_b64_der_key(struct redact_stream *s, const char *in, size_t n, size_t i,
                                int *ret_rule, const char **ret_label)
{
	unsigned char dec[24];
	size_t e, d;

	if (n - i < 32 || !b64_starts(in, i))
		return 0;
	e = run_of(in, n, i, CC_B64, NULL);
	if (e - i < 32 || (e < n && cc_is((unsigned char)in[e], CC_B64URL)))
		return 0;
	d = base64_decode_prefix(in + i, 32, dec, sizeof(dec));
	if (!der_private_prefix(dec, d))
		return 0;
	*ret_rule = RULE_BASE64_PRIVATE_KEY;
	*ret_label = "private key";
	return e - i;
}

#define B64_GZIP_MAX (4u << 20)      /* base64 characters of a gzip looked into */
#define B64_GZIP_OUT_MAX (16u << 20) /* bytes it may decompress to */

/* Inflate a gzip stream into out (at most B64_GZIP_OUT_MAX bytes); 0 when whole. */
static int gunzip_all(const unsigned char *in, size_t n, struct buf *out)
{
	unsigned char chunk[16384];
	z_stream z;
	int zr = Z_OK;

	memset(&z, 0, sizeof(z));
	if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
		return -ENOMEM;
	z.next_in = (unsigned char *)in;
	z.avail_in = (uInt)n;
	while (zr == Z_OK) {
		z.next_out = chunk;
		z.avail_out = sizeof(chunk);
		zr = inflate(&z, Z_NO_FLUSH);
		if ((zr == Z_OK || zr == Z_STREAM_END) &&
		    (out->len + (sizeof(chunk) - z.avail_out) > B64_GZIP_OUT_MAX ||
		     buf_append(out, chunk, sizeof(chunk) - z.avail_out) < 0))
			zr = Z_MEM_ERROR;
		if (zr == Z_OK && z.avail_in == 0 && z.avail_out != 0)
			zr = Z_BUF_ERROR; /* truncated */
	}
	inflateEnd(&z);
	return zr == Z_STREAM_END ? 0 : -EIO;
}

/* H4sI… (base64 of a gzip stream, as ConfigMap binaryData holds it): opened and
 * its text redacted on the side; the value stays when nothing in it is a secret,
 * and becomes a marker when something is (or when it cannot be read whole). */
static size_t shape_b64_gzip(struct redact_stream *s, const char *in, size_t n, size_t i,
                             int *ret_rule, const char **ret_label)
{
	size_t e, d, cap;
	unsigned char *dec;
	struct buf text = BUF_INIT, red = BUF_INIT;
	struct error err = ERROR_INIT;
	bool secret = true;
	char name[128];

	if (n - i < 24 || memcmp(in + i, "H4sI", 4) != 0 || !b64_starts(in, i))
		return 0;
	e = run_of(in, n, i, CC_B64, NULL);
	if (e - i < 24)
		return 0;
	cap = (e - i) / 4 * 3 + 3;
	dec = e - i <= B64_GZIP_MAX ? malloc(cap) : NULL;
	if (dec) {
		d = b64_decode_long(in + i, e - i, dec, cap);
		if (gunzip_all(dec, d, &text) == 0) {
			snprintf(name, sizeof(name), "%.100s#base64-gzip", s->member);
			if (redact_buffer(s->r, name, text.data ? text.data : "", text.len, &red,
			                  &err) == 0)
				secret = red.len != text.len ||
				         (text.len && memcmp(red.data, text.data, text.len) != 0);
		}
		OPENSSL_cleanse(dec, cap);
		free(dec);
	}
	if (text.data)
		OPENSSL_cleanse(text.data, text.len);
	buf_release(&text);
	buf_release(&red);
	if (!secret)
		return 0;
	*ret_rule = RULE_BASE64_GZIP;
	*ret_label = "gzip with secrets";
	return e - i;
}

/* Value shapes, by their first character. Return the length of a match at in[i]
 * and the rule, 0 if none. */
static size_t shape_at(struct redact_stream *s, const char *in, size_t n, size_t i, int *ret_rule,
                       const char **ret_label)
{
	size_t len;

	*ret_label = NULL;
	switch (in[i]) {
	case 'y':
		return shape_gcp_token(in, n, i, ret_rule);
	case 'e':
		return shape_jwt(in, n, i, ret_rule);
	case 'A':
		len = shape_google_api_key(in, n, i, ret_rule);
		if (!len)
			len = shape_aws_key(in, n, i, ret_rule);
		return len ? len : redact_vendor_shape(in, n, i, ret_rule);
	case 'L':
		return shape_b64_pem(s, in, n, i, ret_rule, ret_label);
	case 'M':
		return shape_b64_der_key(s, in, n, i, ret_rule, ret_label);
	case 'H':
		len = shape_b64_gzip(s, in, n, i, ret_rule, ret_label);
		return len ? len : redact_vendor_shape(in, n, i, ret_rule);
	default:
		return redact_vendor_shape(in, n, i, ret_rule);
	}
}

size_t redact_name_shape(struct redactor *r, const char *in, size_t n, size_t i)
{
	int rule;

	(void)r;
	switch (in[i]) {
	case 'y':
		return shape_gcp_token(in, n, i, &rule);
	case 'e':
		return shape_jwt(in, n, i, &rule);
	case 'A':
		return shape_google_api_key(in, n, i, &rule) ? shape_google_api_key(in, n, i, &rule)
		                                             : shape_aws_key(in, n, i, &rule);
	default:
		return 0;
	}
}

static const char *const cli_flags[] = {
	"password",     "passwd", "token",      "client-secret", "api-key",  "apikey",
	"access-token", "secret", "passphrase", "refresh-token", "id-token", "key-password",
	"auth-token",   NULL,
};

/* single-dash password flags: keytool, nodetool, openssl (-pass*: "pass:VALUE") */
static const char *const dash_flags[] = {
	"pw",         "storepass",   "srcstorepass", "deststorepass", "keypass",
	"srckeypass", "destkeypass", "password",     "passwd",        "pass",
	"passin",     "passout",     NULL,
};

/* tools whose one-letter flag takes the password: mysql -pVALUE, cqlsh -p VALUE */
static const struct {
	const char *tool;
	char flag;
	bool glued;
} tool_flags[] = {
	{ "mysql", 'p', true },         { "mariadb", 'p', true },
	{ "cqlsh", 'p', false },        { "sshpass", 'p', false },
	{ "redis-cli", 'a', false },    { "docker login", 'p', false },
	{ "podman login", 'p', false }, { "oc login", 'p', false },
	{ "mongosh", 'p', false },      { NULL, 0, false },
};

struct flag_value {
	size_t vs, len;
	int rule;
	bool pending; /* the flag ends the line: its value is on the next one */
};

/* curl's other spellings: "--user=USER:PASS", "-uUSER:PASS" */
static bool cli_user_glued(const char *in, size_t n, size_t i)
{
	if (n - i > 8 && memcmp(in + i, "--user=", 7) == 0)
		return true;
	return in[i + 1] == 'u' && cc_is((unsigned char)in[i + 2], CC_ALNUM) &&
	       memmem(in, n, "curl", 4) != NULL;
}

/* "-u user:password", "--user user:password" */
static bool cli_user(const char *in, size_t n, size_t i, struct flag_value *fv)
{
	size_t e, b;
	const char *colon;

	if (!(n - i > 4 && boundary_before(in, i, CC_KEY) &&
	      ((in[i + 1] == 'u' && in[i + 2] == ' ') ||
	       (n - i > 8 && memcmp(in + i, "--user ", 7) == 0) || cli_user_glued(in, n, i))))
		return false;
	e = in[i + 1] == 'u' ? i + 3 : i + 7;
	if (in[i + 1] == 'u' && in[i + 2] != ' ')
		e = i + 2; /* curl -uUSER:PASS */
	while (e < n && in[e] == ' ')
		e++;
	if (e < n && (in[e] == '\'' || in[e] == '"'))
		e++;
	b = value_end(in, n, e);
	colon = memchr(in + e, ':', b - e);
	if (!colon || (size_t)(colon + 1 - in) >= b)
		return false;
	fv->vs = (size_t)(colon + 1 - in);
	fv->len = b - fv->vs;
	fv->rule = RULE_CLI_FLAG;
	return true;
}

/* Is the flag in[b..e) (dashes: 1 or 2) a password flag of this line? */
static bool password_flag(struct redact_stream *s, const char *in, size_t n, size_t b, size_t e,
                          int dashes, bool *ret_glued)
{
	*ret_glued = false;
	if (dashes == 2)
		return in_list(in + b, e - b, cli_flags) ||
		       stream_key_class(s, in + b, e - b, false) == KEY_SECRET;
	if (in_list(in + b, e - b, dash_flags))
		return true;
	if (e - b < 1)
		return false;
	for (size_t t = 0; tool_flags[t].tool; t++) {
		size_t tl = strlen(tool_flags[t].tool);

		if (in[b] != tool_flags[t].flag || !memmem(in, n, tool_flags[t].tool, tl))
			continue;
		if (tool_flags[t].glued && e - b > 1) {
			*ret_glued = true;
			return true;
		}
		if (!tool_flags[t].glued && e - b == 1)
			return true;
	}
	return false;
}

/* The value after a flag that ends at e: "FLAG VALUE", "FLAG", "VALUE" (a list on
 * one line), or nothing more on the line (pending). */
static bool flag_value_at(const char *in, size_t n, size_t e, struct flag_value *fv)
{
	size_t v = e;
	char q = 0;

	if (v < n && (in[v] == '"' || in[v] == '\'')) {
		/* the flag was a quoted list item */
		v++;
		if (v < n && in[v] == ',')
			v++;
	}
	while (v < n && (in[v] == ' ' || in[v] == '\t' || in[v] == '\r'))
		v++;
	if (v >= n) {
		fv->pending = true;
		return true;
	}
	if (v == e)
		return false;
	if (in[v] == '"' || in[v] == '\'') {
		q = in[v++];
	} else if (in[e] == '"' || in[e] == '\'') {
		return false; /* a list item that is not quoted: not a list */
	}
	if (v >= n || in[v] == '-' || redact_marker_at(in + v, n - v))
		return false;
	fv->vs = v;
	if (q) {
		const char *c = memchr(in + v, q, n - v);

		fv->len = (c ? (size_t)(c - in) : n) - v;
	} else {
		fv->len = value_end(in, n, v) - v;
	}
	return fv->len > 0;
}

/* "--password VALUE", "-storepass VALUE", "-pw VALUE", "mysql -pVALUE",
 * "-passout pass:VALUE", "-u user:password" */
static bool cli_flag(struct redact_stream *s, const char *in, size_t n, size_t i,
                     struct flag_value *fv)
{
	int dashes = n - i > 1 && in[i + 1] == '-' ? 2 : 1;
	size_t b = i + (size_t)dashes, e;
	bool glued;

	memset(fv, 0, sizeof(*fv));
	if (cli_user(in, n, i, fv))
		return true;
	if (n - i < 2 || !boundary_before(in, i, CC_KEY) || (i > 0 && in[i - 1] == '-'))
		return false;
	e = b;
	while (e < n && (cc_is((unsigned char)in[e], CC_ALNUM) || in[e] == '-' || in[e] == '_'))
		e++;
	if (e == b || (e < n && in[e] == '=') || !password_flag(s, in, n, b, e, dashes, &glued))
		return false;
	fv->rule = dashes == 2 ? RULE_CLI_FLAG : RULE_CMDLINE_PASSWORD;
	if (glued) {
		fv->vs = b + 1;
		fv->len = value_end(in, n, b + 1) - fv->vs;
		return true;
	}
	if (!flag_value_at(in, n, e, fv))
		return false;
	if (fv->pending)
		return true;
	if (dashes == 1 &&
	    (in_list(in + b, e - b, (const char *const[]){ "pass", "passin", "passout", NULL }))) {
		/* openssl: pass:VALUE; env:, file:, fd:, stdin name where it is */
		if (fv->len <= 5 || memcmp(in + fv->vs, "pass:", 5) != 0)
			return false;
		fv->vs += 5;
		fv->len -= 5;
	}
	return !redact_value_is_harmless(in + fv->vs, fv->len);
}

/* The line after a password flag that ended its line (a YAML or JSON list item). */
static int pending_flag_value(struct redact_stream *s, const char *in, size_t n, struct buf *out)
{
	size_t v = 0, ve;
	char q = 0;

	while (v < n && (in[v] == ' ' || in[v] == '\t'))
		v++;
	if (v + 1 < n && in[v] == '-' && in[v + 1] == ' ')
		v += 2;
	while (v < n && in[v] == ' ')
		v++;
	if (v < n && (in[v] == '"' || in[v] == '\''))
		q = in[v++];
	if (v >= n || in[v] == '-' || redact_marker_at(in + v, n - v))
		return STAGE_UNCHANGED;
	if (q) {
		const char *c = memchr(in + v, q, n - v);

		ve = c ? (size_t)(c - in) : n;
	} else {
		ve = value_end(in, n, v);
	}
	if (ve == v || redact_value_is_harmless(in + v, ve - v))
		return STAGE_UNCHANGED;
	if (buf_append(out, in, v) < 0 ||
	    redact_emit(s, RULE_CMDLINE_PASSWORD, in + v, ve - v, NULL, out) < 0)
		return -ENOMEM;
	return buf_append(out, in + ve, n - ve);
}

/* ---- SQL: IDENTIFIED BY 'x', PASSWORD 'x' ------------------------------------------------ */

static size_t word_ci_at(const char *in, size_t n, size_t i, const char *w)
{
	size_t m = strlen(w);

	if (n - i < m || strncasecmp(in + i, w, m) != 0)
		return 0;
	return i + m < n && cc_is((unsigned char)in[i + m], CC_KEY) ? 0 : m;
}

static size_t blanks_at(const char *in, size_t n, size_t i)
{
	size_t k = i;

	while (k < n && (in[k] == ' ' || in[k] == '\t'))
		k++;
	return k - i;
}

/* After IDENTIFIED: "BY", or "WITH plugin BY" / "WITH plugin AS": where the
 * value starts. */
static bool identified_by(const char *in, size_t n, size_t k, size_t *ret_v)
{
	size_t w;

	if ((w = word_ci_at(in, n, k, "with"))) {
		k += w + blanks_at(in, n, k + w);
		while (k < n && cc_is((unsigned char)in[k], CC_KEY))
			k++;
		k += blanks_at(in, n, k);
		if (!word_ci_at(in, n, k, "by") && !word_ci_at(in, n, k, "as"))
			return false;
	} else if (!word_ci_at(in, n, k, "by")) {
		return false;
	}
	*ret_v = k + 2;
	return true;
}

static size_t sql_password(const char *in, size_t n, size_t i, size_t *ret_vs)
{
	size_t v, w, b, ve;
	bool identified = false;

	if (n - i < 10 || !boundary_before(in, i, CC_KEY) ||
	    ((in[i + 1] | 0x20) != 'd' && (in[i + 1] | 0x20) != 'a'))
		return 0;
	if ((w = word_ci_at(in, n, i, "identified")) && (b = blanks_at(in, n, i + w)) &&
	    identified_by(in, n, i + w + b, &v)) {
		v += blanks_at(in, n, v);
		if ((w = word_ci_at(in, n, v, "password")))
			v += w + blanks_at(in, n, v + w);
		identified = true;
	} else if ((w = word_ci_at(in, n, i, "password")) && (b = blanks_at(in, n, i + w)) &&
	           i + w + b < n && (in[i + w + b] == '\'' || in[i + w + b] == '"')) {
		v = i + w + b;
	} else {
		return 0;
	}
	if (v >= n)
		return 0;
	if (in[v] == '\'' || in[v] == '"') {
		const char *c = memchr(in + v + 1, in[v], n - v - 1);

		*ret_vs = v + 1;
		ve = c ? (size_t)(c - in) : n;
	} else {
		if (!identified)
			return 0;
		*ret_vs = v;
		ve = value_end(in, n, v);
	}
	return ve > *ret_vs && !redact_marker_at(in + *ret_vs, ve - *ret_vs) ? ve - *ret_vs : 0;
}

/* ---- Oracle user/password@host --------------------------------------------------------- */

static bool oracle_line(const char *in, size_t n)
{
	static const char *const tools[] = { "sqlplus", "oracle", "sqlldr",  "expdp",  "impdp",
		                             "rman",    "dgmgrl", "SQLPLUS", "ORACLE", NULL };

	for (const char *const *t = tools; *t; t++)
		if (memmem(in, n, *t, strlen(*t)))
			return true;
	return false;
}

/* in[i] is '@': "user/password@host" on an Oracle command line or JDBC URL. The
 * password's bounds, 0 if none. */
static size_t oracle_password(const char *in, size_t n, size_t i, size_t start, size_t *ret_vs)
{
	size_t b = i, slash = 0;

	if (i + 1 >= n || !(cc_is((unsigned char)in[i + 1], CC_HOST) || in[i + 1] == '/') ||
	    (n - i > 7 && memcmp(in + i + 1, "sha256:", 7) == 0))
		return 0;
	while (b > start && !cc_is((unsigned char)in[b - 1], CC_SPACE) && in[b - 1] != ':' &&
	       in[b - 1] != '"' && in[b - 1] != '\'' && in[b - 1] != '=') {
		if (in[b - 1] == '/' && !slash)
			slash = b - 1;
		b--;
	}
	if (!slash || slash == b || slash + 1 == i || !oracle_line(in, n))
		return 0;
	for (size_t k = b; k < slash; k++)
		if (!cc_is((unsigned char)in[k], CC_HOST) && in[k] != '$' && in[k] != '#')
			return 0;
	*ret_vs = slash + 1;
	return i - *ret_vs;
}

/* A line that is a continuation of a base64 private key (wrapped base64). */
static bool b64_line(const char *in, size_t n)
{
	size_t i = 0, k = 0;

	while (i < n && (in[i] == ' ' || in[i] == '\t'))
		i++;
	for (; i < n; i++, k++)
		if (!cc_is((unsigned char)in[i], CC_B64))
			return false;
	return k >= 16;
}

/* ---- values split over lines ---------------------------------------------------------- */

#define WRAP_MIN 60    /* a terminal's width: any token run on the next line goes on */
#define WRAP_NARROW 32 /* a hard wrap (fold, base64 -w, a mail client) from this width */

enum wrap_kind {
	WRAP_TOKEN = 0,  /* one run of token characters */
	WRAP_HEADER = 1, /* a header value: a Cookie list, a scheme and credentials */
	WRAP_SET_COOKIE = 2,
};

static bool trace_prefix(const char *in, size_t n)
{
	/* curl --trace-ascii: "003c: " */
	return n >= 6 && cc_is((unsigned char)in[0], CC_HEX) &&
	       cc_is((unsigned char)in[1], CC_HEX) && cc_is((unsigned char)in[2], CC_HEX) &&
	       cc_is((unsigned char)in[3], CC_HEX) && in[4] == ':' && in[5] == ' ';
}

static bool wrap_trailer(char c)
{
	return c == '"' || c == '\'' || c == ',' || c == ';' || c == ' ' || c == '\t' || c == '\r';
}

/* Does the line end with a marker (closing quotes and separators after it)? */
static bool ends_in_marker(const char *p, size_t n)
{
	while (n && wrap_trailer(p[n - 1]))
		n--;
	if (!n || p[n - 1] != '>')
		return false;
	for (size_t k = n - 1; k > 0 && n - k < 96; k--)
		if (p[k - 1] == '<')
			return redact_marker_at(p + k - 1, n - k + 1) == n - k + 1;
	return false;
}

/* "Name: value" with a credential header name (after blanks, a trace offset or
 * curl -v's "> "): its wrap kind, WRAP_TOKEN when the line is no such header. */
static enum wrap_kind header_line_kind(struct redact_stream *s, const char *in, size_t n)
{
	size_t k = trace_prefix(in, n) ? 6 : 0, b;

	while (k < n && (in[k] == ' ' || in[k] == '\t'))
		k++;
	if (k + 1 < n && (in[k] == '>' || in[k] == '<') && in[k + 1] == ' ')
		k += 2;
	b = k;
	while (k < n && cc_is((unsigned char)in[k], CC_KEY))
		k++;
	if (k == b || k >= n || in[k] != ':')
		return WRAP_TOKEN;
	if (redact_key_eq_ci(in + b, k - b, "set-cookie"))
		return WRAP_SET_COOKIE;
	if (header_name_low_ci(in + b, k - b) ||
	    stream_key_class(s, in + b, k - b, false) == KEY_AUTH)
		return WRAP_HEADER;
	return WRAP_TOKEN;
}

/* k9s views and some terminal copies draw a box around the text: "│ … │". */
static bool box_bar(const char *p)
{
	const unsigned char *u = (const unsigned char *)p;

	return u[0] == 0xe2 && ((u[1] == 0x94 && (u[2] == 0x82 || u[2] == 0x83)) ||
	                        (u[1] == 0x95 && u[2] == 0x91)); /* │ ┃ ║ */
}

/* The length of in without a right border and the blanks around it; n when the
 * line has no border. */
static size_t border_end(const char *in, size_t n)
{
	size_t e = n;

	while (e && (in[e - 1] == ' ' || in[e - 1] == '\t' || in[e - 1] == '\r'))
		e--;
	if (e < 3 || !box_bar(in + e - 3))
		return n;
	e -= 3;
	while (e && (in[e - 1] == ' ' || in[e - 1] == '\t'))
		e--;
	return e;
}

/* After a left border ("│ "): where the text starts, p when there is none. */
static size_t border_start(const char *in, size_t n, size_t p)
{
	if (n - p < 3 || !box_bar(in + p))
		return p;
	p += 3;
	while (p < n && (in[p] == ' ' || in[p] == '\t'))
		p++;
	return p;
}

/* A wide line that ends in a short word that may begin a vendor token ("glp" of
 * "glpat-…", "sk-ab"): kept, the next line may start with the rest of it. */
static void vendor_tail_note(struct redact_stream *s, const char *in, size_t n,
                             const struct piece *pc)
{
	size_t e, b;

	s->vendor_tail_len = 0;
	if (pc->partial || pc->cont || s->raw_len < WRAP_NARROW)
		return;
	e = border_end(in, n);
	while (e && (in[e - 1] == ' ' || in[e - 1] == '\t' || in[e - 1] == '\r'))
		e--;
	for (b = e; b > 0 && e - b < sizeof(s->vendor_tail); b--)
		if (!cc_is((unsigned char)in[b - 1], CC_ALNUM) && in[b - 1] != '_' &&
		    in[b - 1] != '-' && in[b - 1] != '.' && in[b - 1] != '/')
			break;
	/* the leftmost place a prefix can start ("...glpat-": at the 'g') */
	while (b < e && !(redact_vendor_first((unsigned char)in[b]) &&
	                  (b == 0 || !cc_is((unsigned char)in[b - 1], CC_ALNUM))))
		b++;
	if (b == e)
		return;
	memcpy(s->vendor_tail, in + b, e - b);
	s->vendor_tail_len = (uint8_t)(e - b);
}

/* The line after vendor_tail_note() kept a word: when the word and the start of
 * this line make a token of the vendor table, this line's part of it goes. */
static int vendor_tail_rest(struct redact_stream *s, const char *in, size_t n, size_t tail,
                            struct buf *out)
{
	char joined[sizeof(s->vendor_tail) + 512];
	size_t p = 0, m, len;

	while (p < n && (in[p] == ' ' || in[p] == '\t'))
		p++;
	p = border_start(in, n, p);
	m = n - p < 512 ? n - p : 512;
	memcpy(joined, s->vendor_tail, tail);
	memcpy(joined + tail, in + p, m);
	if (!redact_vendor_token_at(joined, tail + m, 0, &len) || len <= tail)
		return STAGE_UNCHANGED;
	len -= tail;
	if (buf_append(out, in, p) < 0 ||
	    redact_emit(s, RULE_WRAPPED_TOKEN, in + p, len, NULL, out) < 0)
		return -ENOMEM;
	return buf_append(out, in + p + len, n - p - len);
}

/* After the stage's work on a whole line: a line of at least WRAP_NARROW
 * characters (as read) that ends in a marker may go on in the next line. */
static void wrap_arm(struct redact_stream *s, const char *in, size_t n, const char *o, size_t on,
                     const struct piece *pc)
{
	vendor_tail_note(s, in, n, pc);
	if (pc->partial || pc->cont || s->raw_len < WRAP_NARROW ||
	    !ends_in_marker(o, border_end(o, on)))
		return;
	s->wrap_width = s->raw_len;
	s->wrap_kind = (uint8_t)header_line_kind(s, in, n);
}

/* A piece of a token that is no plain word: a digit, both cases, or a base64
 * symbol (the short last piece of a narrow wrap; "done" or "---" is not one). */
static bool token_piece(const char *p, size_t n)
{
	bool up = false, low = false;

	for (size_t k = 0; k < n; k++) {
		if ((p[k] >= '0' && p[k] <= '9') || p[k] == '+' || p[k] == '/' || p[k] == '=' ||
		    p[k] == '_')
			return true;
		up |= p[k] >= 'A' && p[k] <= 'Z';
		low |= p[k] >= 'a' && p[k] <= 'z';
	}
	return up && low;
}

/* in[p..e) is "NAME=value" with a name that reads as a key (HEROKU_APP_ID,
 * javax.net.ssl.trustStoreType: a letter first, few digits, a separator or one
 * case), not the rest of a token: the next line of an env or properties file. */
static bool key_assignment(const char *in, size_t n, size_t p, size_t e)
{
	const char *eq = memchr(in + p, '=', e - p);
	size_t k, name, digits = 0;
	bool sep = false, up = false, low = false;

	if (!eq)
		return false;
	name = (size_t)(eq - in) - p;
	for (k = name + 1; p + k < e && in[p + k] == '='; k++)
		;
	/* "NAME='value'": a quote after the '=' opens a value (base64 padding before a
	 * closing quote has nothing but trailers after it) */
	if (p + k == e &&
	    !(e + 1 < n && (in[e] == '\'' || in[e] == '"') && !wrap_trailer(in[e + 1])))
		return false;
	if (name < 2 || name > 64 ||
	    !((in[p] >= 'A' && in[p] <= 'Z') || (in[p] >= 'a' && in[p] <= 'z')))
		return false; /* base64 padding, or no name */
	for (k = p; k < p + name; k++) {
		digits += in[k] >= '0' && in[k] <= '9';
		sep |= in[k] == '_' || in[k] == '.' || in[k] == '-';
		up |= in[k] >= 'A' && in[k] <= 'Z';
		low |= in[k] >= 'a' && in[k] <= 'z';
		if (!cc_is((unsigned char)in[k], CC_ALNUM) && in[k] != '_' && in[k] != '.' &&
		    in[k] != '-')
			return false;
	}
	return digits <= 2 && (sep || !(up && low));
}

/* A header value wrapped onto this line: a Cookie list (blanks only after a
 * ';'), the rest of the credentials, or of a Set-Cookie value up to its first
 * ';' (the attributes stay). */
static int header_rest(struct redact_stream *s, const char *in, size_t n, size_t width,
                       enum wrap_kind kind, struct buf *out)
{
	size_t p = 0, e = n;
	const char *semi = NULL;

	while (p < n && (in[p] == ' ' || in[p] == '\t'))
		p++;
	while (e > p && (in[e - 1] == ' ' || in[e - 1] == '\t' || in[e - 1] == '\r'))
		e--;
	if (kind == WRAP_SET_COOKIE && (semi = memchr(in + p, ';', e - p)) != NULL)
		e = (size_t)(semi - in);
	if (e == p || redact_marker_at(in + p, e - p))
		return STAGE_UNCHANGED;
	for (size_t k = p; k < e; k++)
		if ((in[k] == ' ' || in[k] == '\t') && in[k - 1] != ';')
			return STAGE_UNCHANGED; /* words: not the rest of a header value */
	if (buf_append(out, in, p) < 0 ||
	    redact_emit(s, RULE_WRAPPED_TOKEN, in + p, e - p, NULL, out) < 0)
		return -ENOMEM;
	if (!semi && n >= width) {
		s->wrap_width = (uint32_t)width;
		s->wrap_kind = (uint8_t)kind;
	}
	return buf_append(out, in + e, n - e);
}

/* The line after a line whose secret ran to its end, width characters wide:
 * when it is one run of token characters (after a trace offset or indentation)
 * no longer than that line, it is the rest; a full-width piece may go on. */
static int wrapped_rest(struct redact_stream *s, const char *in, size_t n, size_t width,
                        enum wrap_kind kind, struct buf *out)
{
	bool trace = trace_prefix(in, n);
	size_t p = trace ? 6 : 0, e, t;

	if (trace && p < n && !redact_marker_at(in + p, n - p)) {
		/* curl --trace-ascii cuts a header line every 64 bytes: the whole data
		 * of the next line is the rest of the value (Cookie lists have blanks) */
		if (buf_append(out, in, p) < 0 ||
		    redact_emit(s, RULE_WRAPPED_TOKEN, in + p, n - p, NULL, out) < 0)
			return -ENOMEM;
		if (n >= WRAP_MIN)
			s->wrap_width = (uint32_t)n;
		return 0;
	}
	while (p < n && (in[p] == ' ' || in[p] == '\t'))
		p++;
	p = border_start(in, n, p);
	if (width < WRAP_MIN && n > width)
		return STAGE_UNCHANGED; /* a hard wrap's pieces are never wider */
	if (kind != WRAP_TOKEN)
		return header_rest(s, in, n, width, kind, out);
	e = run_of(in, n, p, CC_B64 | CC_B64URL, ".~%");
	if (e == p || redact_marker_at(in + p, n - p))
		return STAGE_UNCHANGED;
	if (key_assignment(in, n, p, e))
		return STAGE_UNCHANGED;
	if (e < n && (in[e] == '&' || in[e] == '"' || in[e] == '\'' || in[e] == ';')) {
		/* the rest of a query value or quoted string, then more of the line */
		if (!token_piece(in + p, e - p))
			return STAGE_UNCHANGED;
	} else {
		for (t = e; t < border_end(in, n); t++)
			if (!wrap_trailer(in[t]))
				return STAGE_UNCHANGED;
		if (n < width && !token_piece(in + p, e - p))
			return STAGE_UNCHANGED;
	}
	if (buf_append(out, in, p) < 0 ||
	    redact_emit(s, RULE_WRAPPED_TOKEN, in + p, e - p, NULL, out) < 0)
		return -ENOMEM;
	if ((e == n || (e == border_end(in, n) && e < n)) && (n >= WRAP_MIN || n >= width))
		s->wrap_width = (uint32_t)width;
	return buf_append(out, in + e, n - e);
}

/* ---- curl --trace hex dumps --------------------------------------------------------- */

/* "0040: 2f 38 2e 35 2e 30 0d 0a 41 75 74 68 6f 72 69 7a /8.5.0..Authoriz": an
 * offset, up to 16 bytes in hex, their text ('.' for what does not print). A
 * header value runs over several such lines; the bytes go through a small state
 * machine that knows the header vocabulary and form parameters. */
#define TRACE_MAX 32 /* bytes of one dump line (16 in every tool's default) */

enum trace_state {
	TRACE_NAME = 0, /* a header or parameter name is being read */
	TRACE_PLAIN,    /* a value that stays, to the end of its line */
	TRACE_SCHEME,   /* an Authorization scheme word ("Bearer"): stays */
	TRACE_SECRET,   /* a header value: secret to the end of its line */
	TRACE_FORM,     /* a form / query value: secret to '&' or a blank */
};

static bool hex_pair(const char *p, unsigned char *ret)
{
	int v = 0;

	for (int k = 0; k < 2; k++) {
		char c = p[k];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return false;
	}
	*ret = (unsigned char)v;
	return true;
}

static bool dump_text_is(const char *t, const unsigned char *b, size_t m)
{
	for (size_t c = 0; c < m; c++)
		if (t[c] != (b[c] >= 0x20 && b[c] < 0x7f ? (char)b[c] : '.'))
			return false;
	return true;
}

/* The hex area of a dump line from in[q]: tokens of 2 or 4 hex digits apart by
 * one or two blanks. Their bytes go to b; ends[] / counts[] say where each token
 * ends and how many bytes came up to it. The number of tokens. */
static size_t dump_tokens(const char *in, size_t n, size_t q, unsigned char *b, size_t *ends,
                          size_t *counts)
{
	size_t ntok = 0, k = 0;

	while (q < n && ntok < TRACE_MAX) {
		size_t sp = q, t;

		while (q < n && in[q] == ' ')
			q++;
		if (q - sp > 2 || q >= n)
			break;
		for (t = q; t < n && cc_is((unsigned char)in[t], CC_HEX); t++)
			;
		if (t == q || (t - q) % 2 || t - q > 4 || (t < n && in[t] != ' ') ||
		    k + (t - q) / 2 > TRACE_MAX)
			break;
		for (size_t h = q; h < t; h += 2)
			hex_pair(in + h, &b[k++]);
		ends[ntok] = t;
		counts[ntok++] = k;
		q = t;
	}
	return ntok;
}

/* A hex dump line: curl --trace ("0040: 2f 38 2e ... /8.5.0..Authoriz"), xxd
 * ("00000040: 2f38 2e35 ...  /8.5..."), tcpdump -X ("\t0x0040:  2f38 2e35 ...
 * /8.5"), hexdump -C ("00000040  2f 38 2e 35 ...  |/8.5...|"): its bytes (0 when
 * the line is no such line), where the hex area starts and the text column. */
static size_t trace_hex_bytes(const char *in, size_t n, unsigned char *b, size_t *ret_hex,
                              size_t *ret_text)
{
	size_t p = 0, q, ends[TRACE_MAX], counts[TRACE_MAX], ntok;

	while (p < n && (in[p] == ' ' || in[p] == '\t'))
		p++;
	if (n - p > 2 && in[p] == '0' && in[p + 1] == 'x')
		p += 2;
	for (q = p; q < n && cc_is((unsigned char)in[q], CC_HEX); q++)
		;
	if (q - p < 4 || q - p > 8)
		return 0;
	if (q < n && in[q] == ':')
		q++;
	if (q >= n || in[q] != ' ')
		return 0;
	*ret_hex = q + 1;
	ntok = dump_tokens(in, n, q, b, ends, counts);
	/* the longest run of tokens whose text column follows */
	for (size_t j = ntok; j-- > 0;) {
		size_t e = n, m = counts[j], t, k;
		bool bar = e > 0 && in[e - 1] == '|';

		e -= bar;
		if (e < ends[j] + 1 + bar + m)
			continue;
		t = e - m;
		if (bar && in[--t] != '|')
			continue;
		for (k = ends[j]; k < t && in[k] == ' '; k++)
			;
		if (k == t && dump_text_is(in + e - m, b, m)) {
			*ret_text = e - m;
			return m;
		}
	}
	return 0;
}

/* The name read so far ends at c (':' or '='): the state for its value. */
static enum trace_state trace_name_end(struct redact_stream *s, char c)
{
	const char *nm = s->trace_name;
	size_t len = s->trace_name_len;
	enum key_class cls;

	s->trace_name_len = 0;
	if (len == 0)
		return TRACE_PLAIN;
	if (c == '=')
		return in_list(nm, len, query_names) ||
		                       stream_key_class(s, nm, len, true) == KEY_SECRET
		               ? TRACE_FORM
		               : TRACE_NAME;
	cls = stream_key_class(s, nm, len, false);
	if (cls == KEY_AUTH)
		return TRACE_SCHEME;
	return header_name_low_ci(nm, len) ? TRACE_SECRET : TRACE_PLAIN;
}

/* One byte through the state machine: is it secret? */
static bool trace_byte(struct redact_stream *s, unsigned char c)
{
	enum trace_state st = (enum trace_state)s->trace_state;

	if (c == '\r' || c == '\n') {
		s->trace_state = TRACE_NAME;
		s->trace_name_len = 0;
		return false;
	}
	switch (st) {
	case TRACE_NAME:
		if (c == ':' || c == '=')
			s->trace_state = (uint8_t)trace_name_end(s, (char)c);
		else if (cc_is(c, CC_KEY) && s->trace_name_len < sizeof(s->trace_name))
			s->trace_name[s->trace_name_len++] = (char)c;
		else
			s->trace_name_len = 0;
		return false;
	case TRACE_SCHEME:
		/* blanks, the scheme word, one blank: they stay */
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')) {
			s->trace_name_len = 1;
			return false;
		}
		if (c == ' ' && s->trace_name_len == 0)
			return false;
		s->trace_state = TRACE_SECRET;
		return c != ' ';
	case TRACE_SECRET:
		return c != ' ' || s->trace_name_len++ > 0; /* the blank after ':' stays */
	case TRACE_FORM:
		if (c == '&' || c == ' ' || c == '"') {
			s->trace_state = TRACE_NAME;
			s->trace_name_len = 0;
			return false;
		}
		return true;
	default:
		return false;
	}
}

/* The hex and text columns of bytes [a, e), secret ones as one marker per run. */
static int trace_columns(struct redact_stream *s, const unsigned char *b, const bool *sec, size_t k,
                         int rule, struct buf *out, bool text)
{
	for (size_t c = 0; c < k;) {
		size_t e = c;
		char m[64];
		size_t ml;

		if (!sec[c]) {
			char h[4];

			if (text)
				h[0] = b[c] >= 0x20 && b[c] < 0x7f ? (char)b[c] : '.';
			else
				snprintf(h, sizeof(h), "%02x ", b[c]);
			if (buf_append(out, h, text ? 1 : 3) < 0)
				return -ENOMEM;
			c++;
			continue;
		}
		while (e < k && sec[e])
			e++;
		ml = redact_marker(s->r, b + c, e - c, NULL, m);
		if (buf_append(out, m, ml) < 0 || (!text && buf_putc(out, ' ') < 0))
			return -ENOMEM;
		c = e;
	}
	(void)rule;
	return 0;
}

/* A hex dump line: rewritten when some of its bytes are secret (0), else
 * STAGE_UNCHANGED; a line that is no hex dump line ends the dump. */
static int trace_hex_line(struct redact_stream *s, const char *in, size_t n, struct buf *out)
{
	unsigned char b[TRACE_MAX];
	bool sec[TRACE_MAX], any = false;
	size_t hex = 0, text = 0, k = trace_hex_bytes(in, n, b, &hex, &text);
	int rule;

	if (!k) {
		s->trace_state = TRACE_NAME;
		s->trace_name_len = 0;
		return STAGE_UNCHANGED;
	}
	s->wrap_width = 0;
	for (size_t c = 0; c < k; c++)
		any |= sec[c] = trace_byte(s, b[c]);
	if (!any)
		return STAGE_UNCHANGED;
	rule = s->trace_state == TRACE_FORM ? RULE_QUERY_PARAM : RULE_HTTP_HEADER;
	if (!redact_fire(s, rule))
		return STAGE_UNCHANGED;
	(void)text;
	if (buf_append(out, in, hex) < 0 || trace_columns(s, b, sec, k, rule, out, false) < 0)
		return -ENOMEM;
	return trace_columns(s, b, sec, k, rule, out, true);
}

/* Before the rules: what an earlier line left pending. STAGE_UNCHANGED when the
 * line goes through the rules. */
/* Where the command of a shell line starts: after a prompt ("$ ", "# ",
 * "PS C:\> ") in its first 64 bytes and "sudo ". */
static size_t command_start(const char *in, size_t n)
{
	size_t lim = n < 64 ? n : 64, p = 0;
	const char *d = memchr(in, '$', lim);

	if (!d)
		d = memchr(in, '>', lim);
	if (!d)
		d = memchr(in, '#', lim);
	if (d)
		p = (size_t)(d - in) + 1;
	while (p < n && in[p] == ' ')
		p++;
	if (n - p > 5 && memcmp(in + p, "sudo ", 5) == 0)
		p += 5;
	return p;
}

/* A shell command that prints a secret: kubectl/oc get secret with a jsonpath or
 * go-template of its .data, gcloud secrets versions access, vault … -field=,
 * gcloud auth print-access-token / print-identity-token, heroku auth:token. Only
 * a line whose command is one of these tools is searched. */
static bool prints_secret(const char *in, size_t n)
{
	size_t p;

	if (!in || n < 16)
		return false;
	p = command_start(in, n);
	if (n - p < 8)
		return false;
	switch (in[p]) {
	case 'k':
	case 'o':
		return (memcmp(in + p, "kubectl ", 8) == 0 || memcmp(in + p, "oc ", 3) == 0) &&
		       memmem(in, n, "get secret", 10) && memmem(in, n, ".data", 5) &&
		       (memmem(in, n, "jsonpath", 8) || memmem(in, n, "template", 8));
	case 'g':
		return memcmp(in + p, "gcloud ", 7) == 0 &&
		       (memmem(in, n, "secrets versions access", 23) ||
		        memmem(in, n, "print-access-token", 18) ||
		        memmem(in, n, "print-identity-token", 20));
	case 'h':
		return memcmp(in + p, "heroku ", 7) == 0 && memmem(in, n, "auth:token", 10);
	case 'v':
		return memcmp(in + p, "vault ", 6) == 0 && memmem(in, n, " -field=", 8);
	default:
		return false;
	}
}

/* The line after such a command: its output, unless it is the next prompt. */
static int printed_secret(struct redact_stream *s, const char *in, size_t n, struct buf *out)
{
	size_t p = 0, e = n;

	while (p < n && (in[p] == ' ' || in[p] == '\t'))
		p++;
	while (e > p && (in[e - 1] == ' ' || in[e - 1] == '\t' || in[e - 1] == '\r'))
		e--;
	if (e == p || e - p > 16384 ||
	    (e - p >= 2 && (in[p] == '$' || in[p] == '#' || in[p] == '>') &&
	     (in[p + 1] == ' ' || in[p + 1] == '\t')) ||
	    redact_marker_at(in + p, e - p) == e - p || in[p] == '{' || in[p] == '[')
		return STAGE_UNCHANGED; /* a prompt, or a JSON document the JSON rules read */
	if (buf_append(out, in, p) < 0 ||
	    redact_emit(s, RULE_CMDLINE_PASSWORD, in + p, e - p, NULL, out) < 0)
		return -ENOMEM;
	/* base64 wrapped over lines (a mail client, base64 -w 76): the marker stands
	 * for the rest too */
	s->b64_key_cont = b64_line(in, n);
	return buf_append(out, in + e, n - e);
}

static int line_pending(struct redact_stream *s, const char *in, size_t n, struct buf *out)
{
	size_t tail = s->vendor_tail_len;
	bool printed = s->print_pending;
	int rc;

	s->vendor_tail_len = 0;
	s->print_pending = prints_secret(in, n);
	if (printed) {
		rc = printed_secret(s, in, n, out);
		if (rc != STAGE_UNCHANGED)
			return rc;
	}

	if (n >= 12 || s->trace_state != TRACE_NAME || s->trace_name_len) {
		rc = trace_hex_line(s, in, n, out);
		if (rc != STAGE_UNCHANGED)
			return rc;
	}
	if (s->wrap_width) {
		size_t width = s->wrap_width;

		s->wrap_width = 0;
		rc = wrapped_rest(s, in, n, width, (enum wrap_kind)s->wrap_kind, out);
		if (rc != STAGE_UNCHANGED)
			return rc;
	}
	if (tail) {
		rc = vendor_tail_rest(s, in, n, tail, out);
		if (rc != STAGE_UNCHANGED)
			return rc;
	}
	if (s->flag_pending) {
		s->flag_pending = false;
		rc = pending_flag_value(s, in, n, out);
		if (rc != STAGE_UNCHANGED)
			return rc;
	}
	return stage_format_line(s, in, n, out);
}

/* ---- encoded separators and quoted pairs ----------------------------------------------- */

/* in[i] starts "%3D" or "\u003d" (an encoded '=' in a URL inside a URL or a JSON
 * string): "access_token%3DVALUE%26…". */
static int encoded_kv(struct redact_stream *s, const char *in, size_t n, size_t i, size_t seplen,
                      struct buf *out, size_t *ret_used)
{
	struct kv kv;
	enum key_class cls;
	int rule;
	size_t vs = i + seplen, ve = vs;

	*ret_used = 0;
	if (!kv_key(in, i, '=', &kv))
		return 0;
	kv.query = true;
	if (!kv_classify(s, &kv, '=', &cls, &rule))
		return 0;
	while (ve < n && !cc_is((unsigned char)in[ve], CC_DELIM) && in[ve] != '%' && in[ve] != '\\')
		ve++;
	if (ve == vs || redact_marker_at(in + vs, ve - vs) ||
	    (cls == KEY_CONTEXT && !redact_context_value(in + vs, ve - vs)))
		return 0;
	if (buf_append(out, in + i, seplen) < 0 ||
	    redact_emit(s, rule, in + vs, ve - vs, NULL, out) < 0)
		return -ENOMEM;
	*ret_used = ve - i;
	return 0;
}

static size_t encoded_sep(const char *in, size_t n, size_t i)
{
	if (in[i] == '%' && n - i >= 3 && in[i + 1] == '3' &&
	    (in[i + 2] == 'D' || in[i + 2] == 'd'))
		return 3;
	if (in[i] == '\\' && n - i >= 6 && memcmp(in + i + 1, "u003", 4) == 0 &&
	    (in[i + 5] == 'd' || in[i + 5] == 'D'))
		return 6;
	return 0;
}

/* in[i] is ',' after a quoted header name: Envoy's "'authorization', 'Bearer …'". */
static int quoted_pair(struct redact_stream *s, const char *in, size_t n, size_t i, struct buf *out,
                       size_t *ret_used)
{
	char q;
	const char *open, *close;
	size_t kb, v, ve, w;
	enum key_class cls;

	*ret_used = 0;
	/* "'name', 'value'": a blank after the comma (not compact JSON) */
	if (i < 3 || (in[i - 1] != '\'' && in[i - 1] != '"') || i + 2 >= n || in[i + 1] != ' ')
		return 0;
	q = in[i - 1];
	open = NULL;
	for (kb = i - 1; kb > 0 && i - kb < REDACT_KEY_MAX; kb--)
		if (in[kb - 1] == q) {
			open = in + kb - 1;
			break;
		}
	if (!open || kb + 1 >= i)
		return 0;
	cls = stream_key_class(s, in + kb, i - 1 - kb, true);
	if (!(cls == KEY_AUTH ||
	      (cls == KEY_SECRET && (q == '\'' || header_name_low_ci(in + kb, i - 1 - kb)))))
		return 0;
	v = i + 1;
	while (v < n && in[v] == ' ')
		v++;
	if (v >= n || in[v] != q)
		return 0;
	v++;
	close = memchr(in + v, q, n - v);
	ve = close ? (size_t)(close - in) : n;
	if (ve == v || redact_marker_at(in + v, ve - v))
		return 0;
	w = v;
	if (cls == KEY_AUTH) {
		while (w < ve && ((in[w] >= 'A' && in[w] <= 'Z') || (in[w] >= 'a' && in[w] <= 'z')))
			w++;
		if (w > v && w < ve && in[w] == ' ')
			while (w < ve && in[w] == ' ')
				w++;
		else
			w = v;
	}
	if (w >= ve || redact_marker_at(in + w, ve - w))
		return 0;
	if (buf_append(out, in + i, w - i) < 0 ||
	    redact_emit(s, RULE_HTTP_HEADER, in + w, ve - w, NULL, out) < 0)
		return -ENOMEM;
	*ret_used = ve - i;
	return 0;
}

/* ---- the line loop ---------------------------------------------------------------------- */

struct text_walk {
	size_t i, start;
	size_t last_end; /* where the last replacement ended */
};

/* Copy the pending input before a replacement at w->i. */
static int walk_flush(const char *in, struct text_walk *w, size_t upto, struct buf *out)
{
	int rc = buf_append(out, in + w->start, upto - w->start);

	w->start = upto;
	return rc;
}

static int walk_replaced(struct text_walk *w, size_t end)
{
	w->i = end;
	w->start = end;
	w->last_end = end;
	return 1;
}

/* A value shape at w->i. 1 when replaced, 0 if none, < 0 on failure. */
static int text_shape(struct redact_stream *s, const char *in, size_t n, const struct piece *pc,
                      struct text_walk *w, struct buf *out)
{
	size_t i = w->i, len;
	const char *label;
	int rule;

	label = NULL;
	len = redact_vendor_infix(in, n, i) ? redact_vendor_shape(in, n, i, &rule) : 0;
	if (!len)
		len = shape_at(s, in, n, i, &rule, &label);
	if (!len && !pc->partial && !pc->cont && s->raw_len >= WRAP_NARROW && n - i <= 48 &&
	    (len = redact_vendor_cut(in, border_end(in, n), i)) > 0)
		rule = RULE_VENDOR_TOKEN; /* cut by a wrap: the rest is on the next line */
	if (!len)
		return 0;
	if (walk_flush(in, w, i, out) < 0)
		return -ENOMEM;
	if (!redact_fire(s, rule)) {
		if (buf_append(out, in + i, len) < 0)
			return -ENOMEM;
	} else {
		char m[64];
		size_t ml = redact_marker(s->r, in + i, len, label, m);

		if (buf_append(out, m, ml) < 0)
			return -ENOMEM;
		if (rule == RULE_CERT_DROPPED)
			s->dropped_certificates++;
		if (rule == RULE_AWS_ACCESS_KEY)
			s->aws_hunt = 2; /* its secret key may follow: this line and the next */
		if ((rule == RULE_BASE64_PRIVATE_KEY || rule == RULE_CERT_DROPPED ||
		     rule == RULE_BASE64_SA_JSON) &&
		    i + len == n && !pc->partial)
			s->b64_key_cont = rule != RULE_CERT_DROPPED;
	}
	return walk_replaced(w, i + len);
}

/* A value at w->i found by looking at a key or flag before it. */
static int text_value(struct redact_stream *s, const char *in, size_t n, size_t vs, size_t len,
                      int rule, struct text_walk *w, struct buf *out)
{
	if (walk_flush(in, w, vs, out) < 0 || redact_emit(s, rule, in + vs, len, NULL, out) < 0)
		return -ENOMEM;
	(void)n;
	return walk_replaced(w, vs + len);
}

/* After ':' '=' ',' or an encoded '=': what kv_rule and friends handled. */
static int text_kv(struct redact_stream *s, const char *in, size_t n, const struct piece *pc,
                   struct text_walk *w, struct buf *out)
{
	size_t i = w->i, used = 0, sl;
	int rc;

	if (in[i] == ',' &&
	    !(i > 0 && (in[i - 1] == '\'' || in[i - 1] == '"') && i + 1 < n && in[i + 1] == ' '))
		return 0;
	sl = in[i] == '%' || in[i] == '\\' ? encoded_sep(in, n, i) : 0;
	if ((in[i] == '%' || in[i] == '\\') && !sl)
		return 0;
	if (walk_flush(in, w, i, out) < 0)
		return -ENOMEM;
	if (in[i] == ',')
		rc = quoted_pair(s, in, n, i, out, &used);
	else if (sl)
		rc = encoded_kv(s, in, n, i, sl, out, &used);
	else
		rc = kv_rule(s, in, n, i, pc, out, &used);
	if (rc < 0)
		return rc;
	if (!used)
		return 0;
	walk_replaced(w, i + used);
	return s->eol_redact ? 2 : 1;
}

/* A flag, SQL or Oracle password at w->i. */
static int text_word(struct redact_stream *s, const char *in, size_t n, struct text_walk *w,
                     struct buf *out)
{
	size_t i = w->i, vs = 0, len;
	struct flag_value fv;

	switch (in[i]) {
	case '-':
		if (!cli_flag(s, in, n, i, &fv))
			return 0;
		if (fv.pending) {
			s->flag_pending = true;
			return 0;
		}
		return text_value(s, in, n, fv.vs, fv.len, fv.rule, w, out);
	case 'i':
	case 'I':
	case 'p':
	case 'P':
		len = sql_password(in, n, i, &vs);
		return len ? text_value(s, in, n, vs, len, RULE_SQL_PASSWORD, w, out) : 0;
	case '@':
		len = oracle_password(in, n, i, w->start, &vs);
		return len ? text_value(s, in, n, vs, len, RULE_CREDENTIAL_KV, w, out) : 0;
	default:
		return 0;
	}
}

/* An AWS secret access key near its key id: 40 random base64 characters. */
static size_t aws_secret_at(const char *in, size_t n, size_t i)
{
	size_t e;

	if (!b64_starts(in, i) || n - i < 40)
		return 0;
	e = run_of(in, n, i, CC_B64, NULL);
	if (e - i != 40 || memchr(in + i, '=', 40) ||
	    (e < n && cc_is((unsigned char)in[e], CC_B64URL)))
		return 0;
	return redact_high_entropy(in + i, 40) ? 40 : 0;
}

/* A word starts at in[i] with the first character of a vendor token prefix. */
static bool vendor_word(const char *in, size_t i)
{
	return (i == 0 || !cc_is((unsigned char)in[i - 1], CC_ALNUM)) &&
	       redact_vendor_first((unsigned char)in[i]);
}

/* The bytes a step starts at, by what they start: text_step() dispatches on this
 * table and stage_text() skips every other byte in a tight loop (a new kind of
 * step needs its bytes here; the vendor token prefixes, AWS secrets and infix
 * tokens are looked for by text_may_start() too). */
enum text_step_kind {
	STEP_NONE = 0,
	STEP_ANGLE, /* a marker or an XML element */
	STEP_KV,    /* after ':' '=' ',' or an encoded '=' */
	STEP_WORD,  /* a flag, SQL or Oracle password */
	STEP_SHAPE, /* a value shape (JWT, ya29., AIza, vendor tokens, ...) */
};
static const unsigned char text_step_kind[256] = {
	['<'] = STEP_ANGLE, [':'] = STEP_KV,    ['='] = STEP_KV,    [','] = STEP_KV,
	['%'] = STEP_KV,    ['\\'] = STEP_KV,   ['-'] = STEP_WORD,  ['i'] = STEP_WORD,
	['I'] = STEP_WORD,  ['p'] = STEP_WORD,  ['P'] = STEP_WORD,  ['@'] = STEP_WORD,
	['y'] = STEP_SHAPE, ['e'] = STEP_SHAPE, ['A'] = STEP_SHAPE, ['L'] = STEP_SHAPE,
	['g'] = STEP_SHAPE, ['x'] = STEP_SHAPE, ['s'] = STEP_SHAPE, ['r'] = STEP_SHAPE,
	['w'] = STEP_SHAPE, ['S'] = STEP_SHAPE, ['T'] = STEP_SHAPE, ['H'] = STEP_SHAPE,
	['M'] = STEP_SHAPE,
};

static int text_angle(struct redact_stream *s, const char *in, size_t n, struct text_walk *w,
                      struct buf *out)
{
	size_t used = redact_marker_at(in + w->i, n - w->i);
	int err;

	if (used) {
		w->i += used;
		return 1;
	}
	if (w->i + 1 >= n || !((in[w->i + 1] >= 'A' && in[w->i + 1] <= 'Z') ||
	                       (in[w->i + 1] >= 'a' && in[w->i + 1] <= 'z')))
		return 0;
	if (walk_flush(in, w, w->i, out) < 0)
		return -ENOMEM;
	used = redact_xml_element(s, in, n, w->i, out, &err);
	if (err < 0)
		return err;
	return used ? walk_replaced(w, w->i + used) : 0;
}

/* Can a step start at in[i]? stage_text() skips the bytes where none can. A letter
 * or digit after a letter or digit starts none but an infix token or an AWS
 * secret (text_step(): shapes, vendor tokens and SQL passwords start a word). */
static bool text_may_start(const struct redact_stream *s, const char *in, size_t n, size_t i)
{
	unsigned char c = (unsigned char)in[i];

	if (redact_vendor_infix(in, n, i) || (s->aws_hunt && cc_is(c, CC_B64)))
		return true;
	if (i > 0 && cc_is(c, CC_ALNUM) && cc_is((unsigned char)in[i - 1], CC_ALNUM))
		return false;
	if (text_step_kind[c])
		return true;
	return redact_vendor_first(c) && (i == 0 || !cc_is((unsigned char)in[i - 1], CC_ALNUM));
}

/* One step at w->i: 1 when it moved w->i itself, 2 when the rest of the line is
 * dropped, 0 to go on with the next byte. */
static int text_step(struct redact_stream *s, const char *in, size_t n, const struct piece *pc,
                     struct text_walk *w, struct buf *out)
{
	unsigned char c = (unsigned char)in[w->i];
	size_t used;
	int err;

	if (s->aws_hunt && cc_is(c, CC_B64) && (used = aws_secret_at(in, n, w->i)) > 0)
		return text_value(s, in, n, w->i, used, RULE_HIGH_ENTROPY, w, out);
	if (redact_vendor_infix(in, n, w->i)) {
		/* a token known by a fixed infix (an Azure AD secret's "Q~") */
		err = text_shape(s, in, n, pc, w, out);
		if (err != 0)
			return err;
	}
	switch (text_step_kind[c]) {
	case STEP_ANGLE:
		return text_angle(s, in, n, w, out);
	case STEP_KV:
		return text_kv(s, in, n, pc, w, out);
	case STEP_WORD: {
		int rc = text_word(s, in, n, w, out);

		return rc == 0 && vendor_word(in, w->i) ? text_shape(s, in, n, pc, w, out) : rc;
	}
	case STEP_SHAPE:
		/* every shape starts a word (none goes on from a letter or digit) */
		if (w->i > 0 && cc_is((unsigned char)in[w->i - 1], CC_ALNUM))
			return 0;
		return text_shape(s, in, n, pc, w, out);
	default:
		if (w->i > 0 && cc_is((unsigned char)in[w->i - 1], CC_ALNUM))
			return 0;
		return redact_vendor_first(c) ? text_shape(s, in, n, pc, w, out) : 0;
	}
}

int stage_text(struct redact_stream *s, const char *in, size_t n, const struct piece *pc,
               struct buf *out)
{
	struct text_walk w = { 0, 0, (size_t)-1 };
	int rc;

	if (s->eol_redact) {
		/* a value that began in an earlier piece of this line */
		if (!pc->partial)
			s->eol_redact = false;
		return 0;
	}
	if (s->b64_key_cont) {
		/* the rest of a wrapped base64 key: the marker stands for it already */
		if (!pc->cont && b64_line(in, n)) {
			s->drop_line = true;
			redact_fire(s, RULE_BASE64_PRIVATE_KEY);
			return 0;
		}
		if (!pc->cont)
			s->b64_key_cont = false;
	}
	if (s->b64_pem_wrap && !pc->cont) {
		s->b64_pem_wrap = b64_line(in, n);
		if (s->b64_pem_wrap && b64_wrap_key(s, in, n)) {
			/* the key of the bundle starts here: this line and the rest go */
			s->b64_pem_wrap = false;
			s->b64_key_cont = true;
			return redact_emit(s, RULE_BASE64_PRIVATE_KEY, in, n, "private key", out);
		}
		if (s->b64_pem_wrap)
			return STAGE_UNCHANGED;
	}
	if (!pc->cont) {
		if (s->name_pending)
			s->name_pending--;
		if (s->aws_hunt)
			s->aws_hunt--;
		rc = line_pending(s, in, n, out);
		if (rc != STAGE_UNCHANGED)
			return rc;
		buf_reset(out);
	}
	while (w.i < n) {
		/* the bytes no step starts at, skipped in a tight loop */
		while (w.i < n && !text_may_start(s, in, n, w.i))
			w.i++;
		if (w.i == n)
			break;
		rc = text_step(s, in, n, pc, &w, out);
		if (rc < 0)
			return rc;
		if (rc == 2)
			return 0; /* the value runs on into the next piece */
		if (rc == 0)
			w.i++;
	}
	if (w.start == 0 && out->len == 0) {
		wrap_arm(s, in, n, in, n, pc);
		return STAGE_UNCHANGED;
	}
	rc = buf_append(out, in + w.start, n - w.start);
	if (rc == 0)
		wrap_arm(s, in, n, out->data, out->len, pc);
	return rc;
}
