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
#include <string.h>
#include <strings.h>

#include "base64.h"
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

static const struct word secret_suffixes[] = {
	W("password"), W("passwd"),     W("encryptionkey"), W("secretkey"),
	W("_secret"),  W("-secret"),    W("token"),         W("apikey"),
	W("api_key"),  W("privatekey"), W("private_key"),   { NULL, 0 },
};

static const struct word context_words[] = {
	W("secret"), W("token"),   W("passw"),      W("credential"), W("apikey"), W("api_key"),
	W("salt"),   W("private"), W("encryption"), W("signature"),  W("auth"),   { NULL, 0 },
};

/* Keys that hold a context word but name public facts: Apigee's authorizedNetwork
 * ("projects/HOST/global/networks/NET", which the XLB checks compare). */
static const struct word plain_exact[] = {
	W("authorizednetwork"),
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
	if (json && len == 6 && memcmp(low, "secret", 6) == 0)
		return KEY_SECRET;
	if (w_ends(last, last_len, ref_suffixes))
		return KEY_REF;
	if (w_ends(last, last_len, secret_suffixes))
		return KEY_SECRET;
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
	/* $VAR or ${VAR}: a template placeholder */
	if (v[0] == '$') {
		size_t a = 1, b = n;

		if (n > 2 && v[1] == '{' && v[n - 1] == '}')
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

static int pem_marker(struct redact_stream *s, struct buf *out)
{
	char m[64];
	size_t n;
	int rule = s->pem_state == PEM_PRIVATE ? RULE_PEM_PRIVATE_KEY : RULE_CERT_DROPPED;

	/* a disabled rule (tests) cannot give the key back: it was not kept */
	redact_fire(s, rule);
	if (s->pem_state == PEM_CERT)
		s->dropped_certificates++;
	n = redact_mac_end(&s->pem_mac, s->pem_state == PEM_PRIVATE ? "private key" : "certificate",
	                   m);
	s->pem_state = PEM_NONE;
	if (buf_append(out, s->pem_prefix.data ? s->pem_prefix.data : "", s->pem_prefix.len) < 0)
		return -ENOMEM;
	buf_reset(&s->pem_prefix);
	return buf_append(out, m, n);
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
		if (redact_mac_begin(s->r, &s->pem_mac) < 0)
			return -ENOMEM;
		/* the END on the same line (JSON "...\n..." strings)? */
		end = memmem(b + hl, n - at - hl, "-----END ", 9);
		if (end) {
			const char *close = memmem(end + 9, n - (size_t)(end + 9 - in), "-----", 5);
			size_t stop = close ? (size_t)(close + 5 - in) : n;

			redact_mac_update(&s->pem_mac, b, stop - at);
			buf_reset(&s->pem_prefix);
			if (pem_marker(s, out) < 0)
				return -ENOMEM;
			i = stop;
			continue;
		}
		/* a block over several lines: keep what came before BEGIN for the marker line */
		redact_mac_update(&s->pem_mac, b, n - at);
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
		if ((rc = pem_marker(s, out)) < 0)
			return rc;
		return pem_scan(s, in + stop, n - stop, out, ret_consumed);
	}
	/* a damaged body line (bad base64) stays inside the block: the END usually
	 * follows; a block that never ends gives up after 64 lines that are not PEM */
	if (pc->cont || (++s->pem_lines < 100000 && (pem_body_line(in, n) || ++s->pem_junk < 64))) {
		redact_mac_update(&s->pem_mac, in, n);
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
	while (v < n && !cc_is((unsigned char)in[v], CC_DELIM))
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
	size_t at = i + 1;

	while (at < n && !cc_is((unsigned char)in[at], CC_DELIM) && in[at] != '/' && in[at] != '@')
		at++;
	if (at < n && in[at] == '@' && at > i + 1) {
		if (buf_putc(out, ':') < 0 ||
		    redact_emit(s, RULE_CREDENTIAL_KV, in + i + 1, at - i - 1, NULL, out) < 0)
			return -ENOMEM;
		*ret_used = at - i;
	}
	return 0;
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

	if (ve == v + 1 && in[v] == '$' && v + 1 < n && in[v + 1] == '{') {
		const char *close = memchr(in + v, '}', n - v);

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

	if (cls == KEY_CONTEXT && (val->to_eol || !redact_high_entropy(in + val->vs, len)))
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
	if (!kv_key(in, i, sep, &kv))
		return 0;
	if (sep == ':' && kv.key > in + 1 && kv.key[-1] == '/' && kv.key[-2] == '/')
		return url_userinfo(s, in, n, i, out, ret_used);
	if (!kv_classify(s, &kv, sep, &cls, &rule))
		return 0;
	if (!kv_value_at(in, n, i, &kv, rule, &val))
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

/* base64 of a JSON document (a service-account key file) */
static size_t shape_b64_json(const char *in, size_t n, size_t i, int *ret_rule)
{
	unsigned char dec[384];
	size_t e = run_of(in, n, i, CC_B64, NULL), d;

	if (e - i < 100)
		return 0;
	d = base64_decode_prefix(in + i, e - i, dec, sizeof(dec));
	if (!mem_has(dec, d, "service_account") && !mem_has(dec, d, "private_key"))
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

/* LS0tLS1CRUdJTi… (base64 of "-----BEGIN"): a private key; with --pseudonymize a
 * certificate too */
static size_t shape_b64_pem(struct redact_stream *s, const char *in, size_t n, size_t i,
                            int *ret_rule, const char **ret_label)
{
	unsigned char dec[80];
	size_t e, d;

	if (n - i < 20 || memcmp(in + i, "LS0tLS1CRUdJTi", 14) != 0 || !b64_starts(in, i))
		return 0;
	e = run_of(in, n, i, CC_B64, NULL);
	/* base64 wrapped with \n escapes inside a JSON string */
	while (e + 2 < n && in[e] == '\\' && in[e + 1] == 'n' &&
	       cc_is((unsigned char)in[e + 2], CC_B64))
		e = run_of(in, n, e + 2, CC_B64, NULL);
	d = base64_decode_prefix(in + i, e - i, dec, sizeof(dec));
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
		return len ? len : shape_aws_key(in, n, i, ret_rule);
	case 'L':
		return shape_b64_pem(s, in, n, i, ret_rule, ret_label);
	default:
		return 0;
	}
}

static const char *const cli_flags[] = {
	"password",     "passwd", "token",      "client-secret", "api-key",  "apikey",
	"access-token", "secret", "passphrase", "refresh-token", "id-token", "key-password",
	"auth-token",   NULL,
};

/* "--password VALUE", "-u user:password" */
static size_t cli_flag(const char *in, size_t n, size_t i, size_t *ret_vs)
{
	size_t b = i + 2, e;

	if (n - i > 4 && boundary_before(in, i, CC_KEY) &&
	    ((in[i + 1] == 'u' && in[i + 2] == ' ') ||
	     (n - i > 8 && memcmp(in + i, "--user ", 7) == 0))) {
		const char *colon;

		e = in[i + 1] == 'u' ? i + 3 : i + 7;
		while (e < n && in[e] == ' ')
			e++;
		if (e < n && (in[e] == '\'' || in[e] == '"'))
			e++;
		b = value_end(in, n, e);
		colon = memchr(in + e, ':', b - e);
		if (!colon || (size_t)(colon + 1 - in) >= b)
			return 0;
		*ret_vs = (size_t)(colon + 1 - in);
		return b - *ret_vs;
	}

	if (n - i < 4 || in[i + 1] != '-' || !boundary_before(in, i, CC_KEY))
		return 0;
	e = b;
	while (e < n && (cc_is((unsigned char)in[e], CC_ALNUM) || in[e] == '-' || in[e] == '_'))
		e++;
	if (e >= n || in[e] != ' ' || !in_list(in + b, e - b, cli_flags))
		return 0;
	while (e < n && in[e] == ' ')
		e++;
	if (e >= n || in[e] == '-' || redact_marker_at(in + e, n - e))
		return 0;
	*ret_vs = e;
	return value_end(in, n, e) - e;
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

int stage_text(struct redact_stream *s, const char *in, size_t n, const struct piece *pc,
               struct buf *out)
{
	size_t i = 0, start = 0;
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
	while (i < n) {
		unsigned char c = (unsigned char)in[i];
		size_t used = 0, len, vs = 0;
		const char *label;
		int rule;

		switch (c) {
		case '<':
			used = redact_marker_at(in + i, n - i);
			if (used) {
				i += used;
				continue;
			}
			break;
		case ':':
		case '=':
			if (buf_append(out, in + start, i - start) < 0)
				return -ENOMEM;
			start = i;
			rc = kv_rule(s, in, n, i, pc, out, &used);
			if (rc < 0)
				return rc;
			if (used) {
				i += used;
				start = i;
				if (s->eol_redact)
					return 0;
				continue;
			}
			break;
		case '-':
			len = cli_flag(in, n, i, &vs);
			if (len && !redact_value_is_harmless(in + vs, len)) {
				if (buf_append(out, in + start, vs - start) < 0 ||
				    redact_emit(s, RULE_CLI_FLAG, in + vs, len, NULL, out) < 0)
					return -ENOMEM;
				i = vs + len;
				start = i;
				continue;
			}
			break;
		case 'y':
		case 'e':
		case 'A':
		case 'L':
			len = shape_at(s, in, n, i, &rule, &label);
			if (len) {
				if (buf_append(out, in + start, i - start) < 0)
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
					if ((rule == RULE_BASE64_PRIVATE_KEY ||
					     rule == RULE_CERT_DROPPED) &&
					    i + len == n && !pc->partial)
						s->b64_key_cont = rule == RULE_BASE64_PRIVATE_KEY;
				}
				i += len;
				start = i;
				continue;
			}
			break;
		default:
			break;
		}
		i++;
	}
	if (start == 0 && out->len == 0)
		return STAGE_UNCHANGED;
	return buf_append(out, in + start, n - start);
}
