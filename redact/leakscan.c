/* SPDX-License-Identifier: Apache-2.0 */
/* The leak scan: a last look at a member's final bytes for anything on the
 * contract's never-list. It is written apart from the rules on purpose (plain
 * substring searches, its own base64 decoder, a real YAML/JSON parse of small
 * documents instead of the redactor's tokenizers), so that a mistake in a rule
 * is not repeated here:
 *
 *   - "PRIVATE KEY-----" anywhere (any PEM private key, PGP key blocks);
 *   - base64 text that decodes to "-----BEGIN ... PRIVATE";
 *   - "ya29." access tokens, JWTs (eyJ….….), Google API keys, AWS key ids;
 *   - Authorization / Proxy-Authorization / Cookie / Set-Cookie / x-api-key /
 *     apikey values that are not a marker ("Bearer <redacted:…>" is fine);
 *   - JSON members named password, token, secret, private_key, … whose string
 *     value is not empty or a marker (also inside escaped JSON strings);
 *   - for YAML/JSON documents up to 16 MiB: Kubernetes Secret data/stringData
 *     values and overrides.yaml credentials (password, *EncryptionKey,
 *     axHashSalt, client secrets, private keys) that are not markers.
 *
 * A value counts as redacted only when it is exactly a marker. */
#include "redact.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "error.h"
#include "yamljson.h"
#include "banned.h"

#define LEAK_LINE_MAX (1u << 20)
#define LEAK_OVERLAP 1024
#define LEAK_DOC_MAX (16u << 20)
#define LEAK_WALK_MAX 2000000

struct leak_scan {
	struct buf line;
	unsigned line_no;
	bool found;
	struct leak_hit hit;
	struct buf doc;
	bool doc_off;
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

static bool value_ok(const char *v, size_t n)
{
	return n == 0 || marker_len(v, n) == n;
}

static void set_hit(struct leak_hit *h, const char *kind, unsigned line)
{
	snprintf(h->kind, sizeof(h->kind), "%s", kind);
	h->line = line;
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

	for (size_t i = 0; i < n; i++) {
		size_t b, e, v, ve;
		bool esc;

		if (p[i] != '"')
			continue;
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

/* The never-list, in the order the kinds are reported. */
static const struct {
	const char *kind;
	bool (*found)(const char *p, size_t n);
} text_kinds[] = {
	{ "PEM private key", pem_private_key },
	{ "access token (ya29.)", gcp_access_token },
	{ "JWT", jwt },
	{ "base64 PEM private key", b64_pem_private_key },
	{ "Google API key", google_api_key },
	{ "AWS access key id", aws_access_key },
	{ "credential header value", header_values },
	{ "credential JSON member", json_members },
};

static const char *scan_text(const char *p, size_t n)
{
	for (size_t i = 0; i < sizeof(text_kinds) / sizeof(text_kinds[0]); i++)
		if (text_kinds[i].found(p, n))
			return text_kinds[i].kind;
	return NULL;
}

/* ---- documents ------------------------------------------------------------------------ */

struct walk {
	unsigned visited;
	struct leak_hit *hit;
	bool found;
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

static bool credential_key(const char *k)
{
	static const char *const keys[] = {
		"password",      "passwd",       "axHashSalt",
		"client_secret", "clientSecret", "private_key",
		"privateKey",    "plainTextDEK", NULL,
	};
	size_t n = strlen(k);

	for (const char *const *x = keys; *x; x++)
		if (strcasecmp(k, *x) == 0)
			return true;
	return n >= 13 && strcasecmp(k + n - 13, "encryptionkey") == 0;
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

static void walk(struct walk *w, const json_t *v, unsigned depth)
{
	const char *k;
	json_t *c;
	size_t i;

	if (w->found || depth > 200 || ++w->visited > LEAK_WALK_MAX)
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

		for (const char *const *f = fields; *f && !w->found; f++) {
			json_t *d = json_object_get(v, *f);

			json_object_foreach(d, k, c)
			{
				if (strcmp(k, YAMLJSON_LINE_KEY) == 0)
					continue;
				if (bad_scalar(c)) {
					set_hit(w->hit, "Kubernetes Secret data value",
					        yamljson_line(d) ? yamljson_line(d)
					                         : yamljson_line(v));
					w->found = true;
					return;
				}
			}
		}
	}
	if (json_is_string(json_object_get(v, "kind")) &&
	    strcmp(json_string_value(json_object_get(v, "kind")), "Secret") == 0 &&
	    last_applied_leaks(v)) {
		set_hit(w->hit, "Secret last-applied-configuration", yamljson_line(v));
		w->found = true;
		return;
	}
	json_object_foreach((json_t *)v, k, c)
	{
		if (w->found)
			return;
		if (credential_key(k) && bad_scalar(c)) {
			char kind[64];

			snprintf(kind, sizeof(kind), "credential value (%.40s)", k);
			set_hit(w->hit, kind, yamljson_line(v));
			w->found = true;
			return;
		}
		walk(w, c, depth + 1);
	}
}

static void scan_doc(struct leak_scan *s)
{
	struct error e = ERROR_INIT;
	json_t *docs = NULL;
	struct walk w = { 0, &s->hit, false };

	if (s->doc_off || s->doc.len == 0)
		return;
	if (yamljson_parse((const uint8_t *)s->doc.data, s->doc.len, "member", &docs, &e) < 0)
		return;
	walk(&w, docs, 0);
	if (w.found)
		s->found = true;
	json_decref(docs);
}

/* ---- streaming ------------------------------------------------------------------------ */

int leak_scan_begin(const char *member, struct leak_scan **ret)
{
	struct leak_scan *s = calloc(1, sizeof(*s));

	(void)member;
	if (!s)
		return -ENOMEM;
	buf_init(&s->line, 0);
	buf_init(&s->doc, 0);
	s->line_no = 1;
	*ret = s;
	return 0;
}

static void check_line(struct leak_scan *s)
{
	const char *kind;

	if (s->found)
		return;
	kind = scan_text(s->line.data ? s->line.data : "", s->line.len);
	if (kind) {
		set_hit(&s->hit, kind, s->line_no);
		s->found = true;
	}
}

int leak_scan_write(struct leak_scan *s, const void *data, size_t len)
{
	const char *p = data;

	if (!s)
		return -EINVAL;
	if (!s->doc_off) {
		if (s->doc.len + len > LEAK_DOC_MAX) {
			buf_release(&s->doc);
			s->doc_off = true;
		} else if (buf_append(&s->doc, data, len) < 0) {
			return -ENOMEM;
		}
	}
	while (len && !s->found) {
		const char *nl = memchr(p, '\n', len);
		size_t take = nl ? (size_t)(nl - p) : len;

		if (s->line.len + take > LEAK_LINE_MAX) {
			size_t room = LEAK_LINE_MAX - s->line.len;
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

int leak_scan_end(struct leak_scan *s, struct leak_hit *ret_hit)
{
	int found;

	if (!s)
		return 0;
	if (!s->found && s->line.len)
		check_line(s);
	if (!s->found)
		scan_doc(s);
	found = s->found;
	if (found && ret_hit)
		*ret_hit = s->hit;
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
