/* SPDX-License-Identifier: Apache-2.0 */
/* The leak scan: a last look at a member's final bytes for anything on the
 * contract's never-list. It is written apart from the rules on purpose (plain
 * substring searches, its own base64 decoder, a real YAML/JSON parse of small
 * documents instead of the redactor's tokenizers), so that a mistake in a rule
 * is not repeated here:
 *
 *   - "PRIVATE KEY-----" anywhere (any PEM private key, PGP key blocks);
 *   - base64 text that decodes to "-----BEGIN ... PRIVATE";
 *   - "ya29." access tokens, JWTs (eyJ….….), Google API keys, AWS key ids,
 *     SendGrid (SG.….…) keys, and every token of the rules' vendor prefix table
 *     (GitHub, Slack, Stripe, GitLab, npm, PyPI, Docker Hub, Vault, ...: the one
 *     place a prefix is written; the scan asks it, the rules' walk does not);
 *   - Authorization / Proxy-Authorization / Cookie / Set-Cookie / x-api-key /
 *     apikey values that are not a marker ("Bearer <redacted:…>" is fine);
 *   - JSON members named password, token, secret, private_key, … whose string
 *     value is not empty or a marker (also inside escaped JSON strings);
 *   - for YAML/JSON documents up to 16 MiB: Kubernetes Secret data/stringData
 *     values and overrides.yaml credentials (password, *EncryptionKey,
 *     axHashSalt, client secrets, private keys) that are not markers.
 *
 * A gzip member (a gzip'd packet capture, a log export) is scanned inflated, so
 * the payload of a capture is read whether it was compressed or not.
 *
 * A value counts as redacted only when it is exactly a marker. */
#include "redact.h"

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <zlib.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>

#include "error.h"
#include "yamljson.h"
#include "banned.h"

#define LEAK_LINE_MAX (1u << 20)
#define LEAK_OVERLAP 1024
#define LEAK_DOC_MAX (16u << 20)
#define LEAK_WALK_MAX 2000000
#define LEAK_GZ_MAX (4ull << 30) /* inflated bytes of one gzip member scanned */
#define LEAK_HITS_MAX 200        /* kept per member; the rest are counted */

struct leak_scan {
	struct buf line;
	unsigned line_no;
	bool found;
	size_t n_hits;
	size_t total_hits;
	struct buf doc;
	bool doc_off;
	int gz; /* 0 undecided, 1 a gzip member (scanned inflated), -1 not */
	z_stream z;
	bool z_end;
	uint64_t inflated;
	bool vfirst_ready; /* vfirst[] is filled (on the first line long enough) */
	/* last, not zeroed: only hits[0..n_hits) are read */
	struct leak_hit hits[LEAK_HITS_MAX]; /* the first ones, in order */
	/* the vendor table's prefixes by first byte: a bit per second byte (mod 64) */
	uint64_t vpair[256];
};

static bool is_tok(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_';
}

/* "<redacted:" 8 hex digits, optional label, ">" at p; its length or 0 */
static size_t marker_len(const char *p, size_t n)
{
	static const char head[] = "<redacted:";
	size_t i;

	if (n < sizeof(head) - 1 + 9 || memcmp(p, head, sizeof(head) - 1) != 0)
		return 0;
	for (i = sizeof(head) - 1; i < sizeof(head) - 1 + 8; i++)
		if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f')))
			return 0;
	for (; i < n && i < 80; i++) {
		if (p[i] == '>')
			return i + 1;
		if (!((p[i] >= 'a' && p[i] <= 'z') || p[i] == ' '))
			return 0;
	}
	return 0;
}

/* Empty, or markers only: a multi-line scalar whose lines were each replaced
 * folds into markers separated by white space. */
static bool value_ok(const char *v, size_t n)
{
	size_t i = 0, m;
	bool any = false;

	if (n == 0)
		return true;
	while (i < n) {
		if (v[i] == ' ' || v[i] == '\n' || v[i] == '\t' || v[i] == '\r') {
			i++;
			continue;
		}
		m = marker_len(v + i, n - i);
		if (!m)
			return false;
		i += m;
		any = true;
	}
	return any;
}

static void add_hit(struct leak_scan *s, const char *kind, unsigned line)
{
	s->found = true;
	if (s->n_hits < LEAK_HITS_MAX) {
		struct leak_hit *h = &s->hits[s->n_hits++];

		snprintf(h->kind, sizeof(h->kind), "%s", kind);
		h->line = line;
	}
	s->total_hits++;
}

/* own base64 decoder (standard and URL alphabets) */
static size_t unb64(const char *p, size_t n, unsigned char *out, size_t max)
{
	static const char alpha[] =
	        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	unsigned long acc = 0;
	size_t o = 0;
	int bits = 0;

	for (size_t i = 0; i < n && o < max; i++) {
		const char *c = p[i] ? strchr(alpha, p[i]) : NULL;
		int v;

		if (p[i] == '-')
			v = 62;
		else if (p[i] == '_')
			v = 63;
		else if (c)
			v = (int)(c - alpha);
		else
			break;
		acc = (acc << 6) | (unsigned long)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits);
		}
	}
	return o;
}

/* Does the word ending at p[e] (exclusive) end with name, case-insensitively, at
 * a word start or after '-'? */
static bool word_ends_with(const char *p, size_t e, const char *name)
{
	size_t m = strlen(name);

	if (e < m || strncasecmp(p + e - m, name, m) != 0)
		return false;
	return e == m || !is_tok((unsigned char)p[e - m - 1]) || p[e - m - 1] == '-';
}

/* Authorization-like names followed by ':' (maybe after a closing quote): found
 * from each ':' looking back. */
static bool header_values(const char *p, size_t n)
{
	static const char *const names[] = { "authorization", "cookie", "x-api-key", "apikey",
		                             NULL };
	const char *c = p;

	while ((c = memchr(c, ':', n - (size_t)(c - p)))) {
		size_t i = (size_t)(c - p), e = i;
		bool hit = false;

		c++;
		while (e > 0 && p[e - 1] == ' ')
			e--;
		if (e > 0 && (p[e - 1] == '"' || p[e - 1] == '\''))
			e--;
		if (e > 0 && p[e - 1] == '\\')
			e--;
		if (e < 6 || !strchr("neyNEY", p[e - 1]))
			continue;
		for (const char *const *nm = names; *nm && !hit; nm++)
			hit = word_ends_with(p, e, *nm);
		if (!hit)
			continue;
		{
			size_t v = i + 1, w;

			while (v < n && (p[v] == ' ' || p[v] == '\t'))
				v++;
			if (v < n && (p[v] == '"' || p[v] == '\''))
				v++;
			else if (v + 1 < n && p[v] == '\\' && p[v + 1] == '"')
				v += 2;
			/* a scheme word may stay */
			w = v;
			while (w < n &&
			       ((p[w] >= 'A' && p[w] <= 'Z') || (p[w] >= 'a' && p[w] <= 'z')))
				w++;
			if (w > v && w < n && p[w] == ' ') {
				while (w < n && p[w] == ' ')
					w++;
				v = w;
			}
			if (v < n && p[v] != '"' && p[v] != '\'' && p[v] != '\r' && p[v] != '\\' &&
			    !marker_len(p + v, n - v) && p[v] != '{' && p[v] != '[' &&
			    !(n - v >= 4 && memcmp(p + v, "null", 4) == 0))
				return true;
		}
	}
	return false;
}

/* "name": "value" with a name on the list and a value not a marker. */
static bool json_members(const char *p, size_t n)
{
	static const char *const names[] = {
		"password",    "passwd",         "token",        "secret",
		"private_key", "private_key_id", "access_token", "refresh_token",
		"id_token",    "client_secret",  "apikey",       "api_key",
		NULL,
	};

	for (const char *q = p; (q = memchr(q, '"', n - (size_t)(q - p))); q++) {
		size_t i = (size_t)(q - p), b, e, v, ve;
		bool esc;

		if (i + 1 >= n)
			continue;
		switch (p[i + 1] | 0x20) { /* the first letters of the names */
		case 'p':
		case 't':
		case 's':
		case 'a':
		case 'r':
		case 'c':
		case 'i':
			break;
		default:
			continue;
		}
		esc = i > 0 && p[i - 1] == '\\';
		b = i + 1;
		for (e = b; e < n && e - b < 20 && (is_tok((unsigned char)p[e])); e++)
			;
		if (e >= n || e == b)
			continue;
		if (esc ? !(p[e] == '\\' && e + 1 < n && p[e + 1] == '"') : p[e] != '"')
			continue;
		if (e - b < 5 || e - b > 14 || !strchr("ptsarciPTSARCI", p[b]))
			continue;
		{
			bool hit = false;

			for (const char *const *nm = names; *nm && !hit; nm++)
				hit = strnlen(*nm, e - b + 1) == e - b &&
				      strncasecmp(p + b, *nm, e - b) == 0;
			if (!hit)
				continue;
		}
		v = e + (esc ? 2 : 1);
		while (v < n && (p[v] == ' ' || p[v] == '\t'))
			v++;
		if (v >= n || p[v] != ':')
			continue;
		v++;
		while (v < n && (p[v] == ' ' || p[v] == '\t'))
			v++;
		if (esc) {
			if (!(v + 1 < n && p[v] == '\\' && p[v + 1] == '"'))
				continue;
			v += 2;
			for (ve = v; ve + 1 < n && !(p[ve] == '\\' && p[ve + 1] == '"'); ve++)
				;
		} else {
			if (v >= n)
				continue;
			if (p[v] >= '0' && p[v] <= '9')
				return true; /* a number under a credential name */
			if (p[v] != '"')
				continue;
			v++;
			for (ve = v; ve < n && p[ve] != '"'; ve++)
				if (p[ve] == '\\')
					ve++;
			if (ve > n)
				ve = n;
		}
		if (!value_ok(p + v, ve - v))
			return true;
	}
	return false;
}

static bool pem_private_key(const char *p, size_t n)
{
	return p && n >= 16 &&
	       (memmem(p, n, "PRIVATE KEY-----", 16) || memmem(p, n, "PRIVATE KEY BLOCK-----", 22));
}

static bool gcp_access_token(const char *p, size_t n)
{
	const char *at;
	size_t left;

	for (at = p, left = n; (at = memmem(at, left, "ya29.", 5));
	     at += 5, left = n - (size_t)(at - p)) {
		size_t k = 5;

		while ((size_t)(at - p) + k < n && (is_tok((unsigned char)at[k]) || at[k] == '.'))
			k++;
		if (k >= 15)
			return true;
	}
	return false;
}

static bool jwt(const char *p, size_t n)
{
	const char *at;
	size_t left;

	for (at = p, left = n; (at = memmem(at, left, "eyJ", 3));
	     at += 3, left = n - (size_t)(at - p)) {
		size_t k = 3, end = n - (size_t)(at - p), a;

		while (k < end && is_tok((unsigned char)at[k]))
			k++;
		if (k < 10 || k >= end || at[k] != '.')
			continue;
		a = ++k;
		while (k < end && is_tok((unsigned char)at[k]))
			k++;
		if (k - a >= 2 && k < end && at[k] == '.')
			return true;
	}
	return false;
}

static bool b64_pem_private_key(const char *p, size_t n)
{
	const char *at;
	size_t left;

	for (at = p, left = n; (at = memmem(at, left, "LS0tLS1CRUdJTi", 14));
	     at += 14, left = n - (size_t)(at - p)) {
		unsigned char dec[96];
		size_t d = unb64(at, n - (size_t)(at - p), dec, sizeof(dec));

		if (d && memmem(dec, d, "PRIVATE", 7))
			return true;
	}
	return false;
}

static bool google_api_key(const char *p, size_t n)
{
	const char *at;
	size_t left;

	for (at = p, left = n; (at = memmem(at, left, "AIza", 4));
	     at += 4, left = n - (size_t)(at - p)) {
		size_t k = 4, end = n - (size_t)(at - p);

		while (k < end && is_tok((unsigned char)at[k]))
			k++;
		if (k == 39 && (at == p || !is_tok((unsigned char)at[-1])))
			return true;
	}
	return false;
}

static bool upper_or_digit(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static bool alnum(char c)
{
	return upper_or_digit(c) || (c >= 'a' && c <= 'z');
}

/* AKIA / ASIA and 16 upper-case letters or digits, alone */
static bool aws_access_key(const char *p, size_t n)
{
	for (const char *a = p; (a = memchr(a, 'A', n - (size_t)(a - p))); a++) {
		size_t k, i = (size_t)(a - p);

		if (i + 20 > n)
			break;
		if ((p[i + 1] != 'K' && p[i + 1] != 'S') || p[i + 2] != 'I' || p[i + 3] != 'A')
			continue;
		if (i > 0 && alnum(p[i - 1]))
			continue;
		for (k = 4; k < 20 && upper_or_digit(p[i + k]); k++)
			;
		if (k == 20 && (i + 20 == n || !alnum(p[i + 20])))
			return true;
	}
	return false;
}

/* at p[i] a run of at least min characters of [A-Za-z0-9] (and extra) */
static bool tok_run(const char *p, size_t n, size_t i, size_t min, const char *extra)
{
	size_t k = i;

	while (k < n && (alnum(p[k]) || (extra && p[k] && strchr(extra, p[k]))))
		k++;
	return k - i >= min;
}

/* the token that starts at p[b] is not inside a word */
static bool starts_word(const char *p, size_t b)
{
	return b == 0 || !alnum(p[b - 1]);
}

static bool sendgrid_key(const char *p, size_t n, size_t i)
{
	size_t k = i + 1;

	if (!(p[i - 2] == 'S' && p[i - 1] == 'G' && starts_word(p, i - 2)))
		return false;
	while (k < n && (alnum(p[k]) || p[k] == '-' || p[k] == '_'))
		k++;
	return k - i - 1 >= 20 && k < n && p[k] == '.' && tok_run(p, n, k + 1, 40, "-_");
}

/* SendGrid (SG.….…) keys: looked for at each '.' from the third byte on (memchr);
 * the tokens of the vendor prefix table are vendor_table_token()'s */
static bool vendor_token(const char *p, size_t n)
{
	static const struct {
		char c;
		bool (*at)(const char *p, size_t n, size_t i);
	} seps[] = { { '.', sendgrid_key } };

	if (n < 3)
		return false;
	for (size_t k = 0; k < sizeof(seps) / sizeof(seps[0]); k++)
		for (const char *a = p + 2; (a = memchr(a, seps[k].c, n - (size_t)(a - p))); a++)
			if (seps[k].at(p, n, (size_t)(a - p)))
				return true;
	return false;
}

/* The never-list, in the order the kinds are reported. A kind with an anchor
 * cannot be found in a line that does not hold the anchor (a string its every
 * hit contains): the line is first searched for the anchor's rarest byte
 * (anchor[rare], memchr), and the kind's search runs only where the anchor is.
 * A kind without an anchor runs on every line. */
static const struct {
	const char *kind;
	bool (*found)(const char *p, size_t n);
	const char *anchor;
	unsigned char rare;
} text_kinds[] = {
	{ "PEM private key", pem_private_key, "PRIVATE KEY", 3 },
	{ "access token (ya29.)", gcp_access_token, "ya29.", 0 },
	{ "JWT", jwt, "eyJ", 2 },
	{ "base64 PEM private key", b64_pem_private_key, "LS0tLS1CRUdJTi", 11 },
	{ "Google API key", google_api_key, "AIza", 3 },
	{ "AWS access key id", aws_access_key, NULL, 0 },
	{ "vendor token (SendGrid)", vendor_token, "SG.", 1 },
	{ "credential header value", header_values, NULL, 0 },
	{ "credential JSON member", json_members, NULL, 0 },
};

/* Does p[0..n) hold anchor? Found from its rare byte. */
static bool has_anchor(const char *p, size_t n, const char *anchor, size_t rare)
{
	size_t m = strlen(anchor);
	char c = anchor[rare];

	if (n < m)
		return false;
	for (const char *at = p + rare; (at = memchr(at, c, n - m + 1 - (size_t)(at - p - rare)));
	     at++)
		if (memcmp(at - rare, anchor, m) == 0)
			return true;
	return false;
}

/* A token of the vendor prefix table the rules use (GitHub, Slack, Stripe, GitLab,
 * npm, PyPI, Docker Hub, Hugging Face, Vault, sk-, ...: one source of truth, see
 * redact_vendor_token_at()), named by its vendor or prefix: the first in the line. */
static void vendor_table_token(struct leak_scan *s, const char *p, size_t n, unsigned line)
{
	char kind[sizeof(s->hits[0].kind)];

	if (n < 10)
		return;
	if (!s->vfirst_ready) {
		char ex[256];

		memset(s->vpair, 0, sizeof(s->vpair));
		for (size_t r = 0; redact_vendor_example(r, ex, sizeof(ex)) > 0; r++)
			s->vpair[(unsigned char)ex[0]] |= 1ull << ((unsigned char)ex[1] & 63);
		s->vfirst_ready = true;
	}
	for (size_t i = 0; i + 8 < n; i++) {
		size_t len;
		const char *name;

		size_t k = i + 1;

		if (!((s->vpair[(unsigned char)p[i]] >> ((unsigned char)p[i + 1] & 63)) & 1) ||
		    (i > 0 && alnum(p[i - 1])))
			continue;
		/* every token of the table is 10 token characters or more */
		while (k < i + 10 && (alnum(p[k]) || p[k] == '_' || p[k] == '-' || p[k] == '.' ||
		                      p[k] == '/' || p[k] == '+' || p[k] == '='))
			k++;
		if (k < i + 10) {
			i = k;
			continue;
		}
		name = redact_vendor_token_at(p, n, i, &len);
		if (name) {
			snprintf(kind, sizeof(kind), "vendor token (%s)", name);
			add_hit(s, kind, line);
			return;
		}
	}
}

/* Every kind found in a line, once each. */
static void scan_text(struct leak_scan *s, const char *p, size_t n, unsigned line)
{
	for (size_t i = 0; i < sizeof(text_kinds) / sizeof(text_kinds[0]); i++)
		if ((!text_kinds[i].anchor ||
		     has_anchor(p, n, text_kinds[i].anchor, text_kinds[i].rare)) &&
		    text_kinds[i].found(p, n))
			add_hit(s, text_kinds[i].kind, line);
	vendor_table_token(s, p, n, line);
}

/* ---- documents ------------------------------------------------------------------------ */

struct walk {
	unsigned visited;
	struct leak_scan *s;
};

static bool bad_scalar(const json_t *v)
{
	if (json_is_string(v)) {
		const char *p = json_string_value(v);
		size_t n = json_string_length(v);

		/* block scalars end with a line break */
		while (n && (p[n - 1] == '\n' || p[n - 1] == ' ' || p[n - 1] == '\r'))
			n--;
		return !value_ok(p, n);
	}
	return json_is_number(v);
}

/* Keys whose values are credentials (any case), and keys ending in
 * CREDENTIAL_SUFFIX; doc_may_hold() looks for these same words. */
static const char *const credential_keys[] = {
	"password",   "passwd",       "axHashSalt", "client_secret", "clientSecret", "private_key",
	"privateKey", "plainTextDEK", NULL,
};
#define CREDENTIAL_SUFFIX "encryptionkey"

static bool credential_key(const char *k)
{
	const char *const *keys = credential_keys;
	size_t n = strlen(k);

	for (const char *const *x = keys; *x; x++)
		if (strcasecmp(k, *x) == 0)
			return true;
	return n >= strlen(CREDENTIAL_SUFFIX) &&
	       strcasecmp(k + n - strlen(CREDENTIAL_SUFFIX), CREDENTIAL_SUFFIX) == 0;
}

/* The annotation kubectl apply leaves on a Secret holds the whole Secret again. */
static bool last_applied_leaks(const json_t *secret)
{
	const json_t *ann = json_object_get(json_object_get(secret, "metadata"), "annotations");
	const json_t *la = json_object_get(ann, "kubectl.kubernetes.io/last-applied-configuration");
	json_t *inner, *d;
	json_error_t jerr;
	bool bad = false;
	const char *k;

	if (!json_is_string(la) || value_ok(json_string_value(la), json_string_length(la)))
		return false;
	inner = json_loadb(json_string_value(la), json_string_length(la), 0, &jerr);
	if (!inner)
		return strstr(json_string_value(la), "Secret") != NULL; /* unreadable: be safe */
	for (int f = 0; f < 2 && !bad; f++) {
		json_object_foreach(json_object_get(inner, f ? "stringData" : "data"), k,
		                    d) if (bad_scalar(d)) bad = true;
	}
	json_decref(inner);
	return bad;
}

/* An encrypted Apigee KVM ({"encrypted": true, "entry": [...]} in any key order)
 * or Apigee X's keyValueEntries: every entry value must be a marker. */
static void kvm_leaks(struct walk *w, const json_t *v)
{
	const json_t *list = json_object_get(v, "keyValueEntries"), *e;
	size_t i;

	if (!json_is_array(list) && json_is_true(json_object_get(v, "encrypted")))
		list = json_object_get(v, "entry");
	json_array_foreach(list, i, e)
	{
		if (bad_scalar(json_object_get(e, "value")))
			add_hit(w->s, "encrypted KVM entry value",
			        yamljson_line(e) ? yamljson_line(e) : yamljson_line(v));
	}
}

static void walk(struct walk *w, const json_t *v, unsigned depth)
{
	const char *k;
	json_t *c;
	size_t i;

	if (depth > 200 || ++w->visited > LEAK_WALK_MAX)
		return;
	if (json_is_array(v)) {
		json_array_foreach(v, i, c) walk(w, c, depth + 1);
		return;
	}
	if (!json_is_object(v))
		return;
	if (json_is_string(json_object_get(v, "kind")) &&
	    strcmp(json_string_value(json_object_get(v, "kind")), "Secret") == 0) {
		static const char *const fields[] = { "data", "stringData", NULL };

		for (const char *const *f = fields; *f; f++) {
			json_t *d = json_object_get(v, *f);

			json_object_foreach(d, k, c)
			{
				if (strcmp(k, YAMLJSON_LINE_KEY) == 0)
					continue;
				if (bad_scalar(c))
					add_hit(w->s, "Kubernetes Secret data value",
					        yamljson_line(d) ? yamljson_line(d)
					                         : yamljson_line(v));
			}
		}
	}
	if (json_is_string(json_object_get(v, "kind")) &&
	    strcmp(json_string_value(json_object_get(v, "kind")), "Secret") == 0 &&
	    last_applied_leaks(v))
		add_hit(w->s, "Secret last-applied-configuration", yamljson_line(v));
	kvm_leaks(w, v);
	json_object_foreach((json_t *)v, k, c)
	{
		if (credential_key(k) && bad_scalar(c)) {
			char kind[64];

			snprintf(kind, sizeof(kind), "credential value (%.40s)", k);
			add_hit(w->s, kind, yamljson_line(v));
			continue;
		}
		walk(w, c, depth + 1);
	}
}

/* Can walk() find anything in these bytes? Every key it reports on is one of
 * credential_keys or ends in CREDENTIAL_SUFFIX, and the "Secret" kind holds
 * "secret" (ASCII, any case); a document without any of them, without escapes (a
 * key written "pass\u0077ord") and without a NUL or a UTF-16 byte order mark
 * (text the words cannot be seen in) is not parsed: the parse is the most
 * expensive part of the scan. */
static bool doc_may_hold(const char *p, size_t n)
{
	const char *words[32];
	size_t nw = 0, shortest = SIZE_MAX;
	/* bit k: word k may start here (first letter) / go on here (second letter) */
	uint32_t first[256] = { 0 }, second[256] = { 0 };
	const unsigned char *u = (const unsigned char *)p;

	if (n >= 2 && ((u[0] == 0xff && u[1] == 0xfe) || (u[0] == 0xfe && u[1] == 0xff)))
		return true;
	if (memchr(p, '\\', n) || memchr(p, '\0', n))
		return true;
	words[nw++] = "secret";
	words[nw++] = CREDENTIAL_SUFFIX;
	words[nw++] = "encrypted";       /* an encrypted KVM */
	words[nw++] = "keyvalueentries"; /* Apigee X KVM entries */
	for (const char *const *k = credential_keys; *k && nw < 32; k++)
		words[nw++] = *k;
	for (size_t k = 0; k < nw; k++) {
		unsigned char c0 = (unsigned char)words[k][0], c1 = (unsigned char)words[k][1];

		first[c0 | 0x20] |= 1u << k;
		first[c0 & ~0x20u] |= 1u << k;
		second[c1 | 0x20] |= 1u << k;
		second[c1 & ~0x20u] |= 1u << k;
		if (strlen(words[k]) < shortest)
			shortest = strlen(words[k]);
	}
	if (shortest < 2)
		return true;
	for (size_t i = 0; i + shortest <= n; i++) {
		uint32_t bits;

		while (i + shortest <= n && !first[u[i]])
			i++;
		if (i + shortest > n)
			break;
		bits = first[u[i]] & second[u[i + 1]];
		for (size_t k = 0; bits; k++, bits >>= 1) {
			size_t m = strlen(words[k]);

			if ((bits & 1) && m <= n - i && strncasecmp(p + i, words[k], m) == 0)
				return true;
		}
	}
	return false;
}

static void scan_doc(struct leak_scan *s)
{
	struct error e = ERROR_INIT;
	json_t *docs = NULL;
	struct walk w = { 0, s };

	if (s->doc_off || s->doc.len == 0 || !doc_may_hold(s->doc.data, s->doc.len))
		return;
	if (yamljson_parse((const uint8_t *)s->doc.data, s->doc.len, "member", &docs, &e) < 0)
		return;
	walk(&w, docs, 0);
	json_decref(docs);
}

/* ---- streaming ------------------------------------------------------------------------ */

int leak_scan_begin(const char *member, struct leak_scan **ret)
{
	struct leak_scan *s = malloc(sizeof(*s));

	(void)member;
	if (!s)
		return -ENOMEM;
	memset(s, 0, offsetof(struct leak_scan, hits));
	buf_init(&s->line, 0);
	buf_init(&s->doc, 0);
	s->line_no = 1;
	*ret = s;
	return 0;
}

static void check_line(struct leak_scan *s)
{
	scan_text(s, s->line.data ? s->line.data : "", s->line.len, s->line_no);
}

/* Where to cut a line that is too long: not inside a marker (half a marker is no
 * marker, and the value before it would look bare). */
static size_t cut_room(const struct leak_scan *s, const char *p, size_t room)
{
	static const char head[] = "<redacted:";
	size_t look = room < 64 ? room : 64;

	for (size_t at = room - 1; room - at <= look; at--) {
		size_t cmp = room - at < sizeof(head) - 1 ? room - at : sizeof(head) - 1;

		if (p[at] == '>')
			break;
		if (p[at] == '<' && memcmp(p + at, head, cmp) == 0)
			return at > 0 || s->line.len > 0 ? at : room;
		if (at == 0)
			break;
	}
	return room;
}

static int scan_bytes(struct leak_scan *s, const void *data, size_t len);

/* A gzip member (a packet capture, a log export) is scanned as what it holds. */
static int scan_gzip(struct leak_scan *s, const void *data, size_t len)
{
	unsigned char out[65536];

	s->z.next_in = (Bytef *)(uintptr_t)data;
	s->z.avail_in = (uInt)len;
	while (!s->z_end && s->n_hits < LEAK_HITS_MAX && (s->z.avail_in || s->z.avail_out == 0)) {
		int zr, rc;

		s->z.next_out = out;
		s->z.avail_out = sizeof(out);
		zr = inflate(&s->z, Z_NO_FLUSH);
		s->inflated += sizeof(out) - s->z.avail_out;
		if ((rc = scan_bytes(s, out, sizeof(out) - s->z.avail_out)) < 0)
			return rc;
		if (zr == Z_STREAM_END && s->z.avail_in) {
			/* another gzip member follows */
			if (inflateReset(&s->z) != Z_OK)
				s->z_end = true;
		} else if (zr == Z_STREAM_END || (zr != Z_OK && zr != Z_BUF_ERROR) ||
		           s->inflated > LEAK_GZ_MAX) {
			s->z_end = true;
		} else if (s->z.avail_out != 0) {
			break;
		}
	}
	return 0;
}

int leak_scan_write(struct leak_scan *s, const void *data, size_t len)
{
	const unsigned char *u = data;

	if (!s)
		return -EINVAL;
	if (s->gz == 0 && len) {
		s->gz = len >= 2 && u[0] == 0x1f && u[1] == 0x8b ? 1 : -1;
		if (s->gz == 1 && inflateInit2(&s->z, 16 + MAX_WBITS) != Z_OK)
			return -ENOMEM;
	}
	if (s->gz == 1)
		return scan_gzip(s, data, len);
	return scan_bytes(s, data, len);
}

static int scan_bytes(struct leak_scan *s, const void *data, size_t len)
{
	const char *p = data;

	if (!s->doc_off) {
		if (s->doc.len + len > LEAK_DOC_MAX) {
			buf_release(&s->doc);
			s->doc_off = true;
		} else if (buf_append(&s->doc, data, len) < 0) {
			return -ENOMEM;
		}
	}
	while (len) {
		const char *nl = memchr(p, '\n', len);
		size_t take = nl ? (size_t)(nl - p) : len;

		if (s->line.len + take > LEAK_LINE_MAX) {
			size_t room = cut_room(s, p, LEAK_LINE_MAX - s->line.len);
			char keep[LEAK_OVERLAP];

			if (buf_append(&s->line, p, room) < 0)
				return -ENOMEM;
			check_line(s);
			/* go on with an overlap, so that nothing hides across the cut */
			memcpy(keep, s->line.data + s->line.len - LEAK_OVERLAP, LEAK_OVERLAP);
			buf_reset(&s->line);
			if (buf_append(&s->line, keep, LEAK_OVERLAP) < 0)
				return -ENOMEM;
			p += room;
			len -= room;
			continue;
		}
		if (buf_append(&s->line, p, take) < 0)
			return -ENOMEM;
		if (!nl)
			break;
		check_line(s);
		buf_reset(&s->line);
		s->line_no++;
		p += take + 1;
		len -= take + 1;
	}
	return 0;
}

/* A member that is one DER private key or a PKCS#12 store (binary: the text
 * searches cannot see it). */
static void scan_der(struct leak_scan *s)
{
	const unsigned char *start = (const unsigned char *)s->doc.data, *p = start;
	EVP_PKEY *k;
	PKCS12 *p12;
	X509_SIG *enc;
	bool found;

	if (s->doc_off || s->doc.len < 16 || start[0] != 0x30)
		return;
	k = d2i_AutoPrivateKey(NULL, &p, (long)s->doc.len);
	found = k != NULL;
	EVP_PKEY_free(k);
	p = start;
	enc = found ? NULL : d2i_X509_SIG(NULL, &p, (long)s->doc.len);
	found = found || enc;
	X509_SIG_free(enc);
	p = start;
	p12 = found ? NULL : d2i_PKCS12(NULL, &p, (long)s->doc.len);
	found = found || p12;
	PKCS12_free(p12);
	ERR_clear_error();
	if (found)
		add_hit(s, "DER private key or PKCS#12 store", 1);
}

static void scan_finish(struct leak_scan *s)
{
	if (s->line.len)
		check_line(s);
	buf_reset(&s->line);
	scan_der(s);
	scan_doc(s);
	buf_release(&s->doc);
	s->doc_off = true;
}

size_t leak_scan_hits(struct leak_scan *s, const struct leak_hit **ret, size_t *ret_total)
{
	if (!s) {
		*ret = NULL;
		*ret_total = 0;
		return 0;
	}
	if (!s->doc_off || s->line.len)
		scan_finish(s);
	*ret = s->hits;
	*ret_total = s->total_hits;
	return s->n_hits;
}

int leak_scan_end(struct leak_scan *s, struct leak_hit *ret_hit)
{
	int found;

	if (!s)
		return 0;
	if (!s->doc_off || s->line.len)
		scan_finish(s);
	found = s->found;
	if (found && ret_hit)
		*ret_hit = s->hits[0];
	if (s->gz == 1)
		inflateEnd(&s->z);
	buf_release(&s->line);
	buf_release(&s->doc);
	free(s);
	return found ? 1 : 0;
}

int leak_scan_buffer(const void *data, size_t len, struct leak_hit *ret_hit)
{
	struct leak_scan *s;
	int rc = leak_scan_begin(NULL, &s);

	if (rc < 0)
		return rc;
	rc = leak_scan_write(s, data, len);
	if (rc < 0) {
		leak_scan_end(s, NULL);
		return rc;
	}
	return leak_scan_end(s, ret_hit);
}

const char *leak_fix(const char *kind)
{
	static const struct {
		const char *prefix;
		const char *fix;
	} fixes[] = {
		{ "PEM private key", "delete the key block from this file (no analysis needs a "
		                     "private key), or leave the file out" },
		{ "base64 PEM private key", "delete the encoded key from this file, or leave the "
		                            "file out" },
		{ "Kubernetes Secret", "add a key-path rule for the Secret's data to --rules FILE, "
		                       "or leave the Secret out" },
		{ "Secret last-applied", "remove the last-applied-configuration annotation, or "
		                         "leave the Secret out" },
		{ "credential value", "add a key-path rule for this key to --rules FILE" },
		{ "credential JSON member", "add a key-path rule for this member to --rules FILE" },
		{ "credential header", "add a regex rule for this header's value to --rules FILE" },
		{ "archive", "unpack the archive and hand over its files instead" },
		{ "DER private key", "leave the key file out (no analysis needs a private key)" },
		{ "encrypted KVM",
		  "add a key-path rule for the map's entry values to --rules FILE, "
		  "or leave the KVM export out" },
	};

	for (size_t i = 0; kind && i < sizeof(fixes) / sizeof(fixes[0]); i++)
		if (strncmp(kind, fixes[i].prefix, strlen(fixes[i].prefix)) == 0)
			return fixes[i].fix;
	return "add a literal or regex rule for this value to --rules FILE "
	       "(schemas/redact-rules.schema.json), or remove it from the file";
}
