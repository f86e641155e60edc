/* SPDX-License-Identifier: Apache-2.0 */
/* Line scanners for text artifacts: the dispatcher, the ingress access-log
 * scanner and the apigee-watcher scanner. Client transcripts (curl, s_client)
 * are in textscan_client.c, kubectl text outputs in textscan_k8s.c.
 *
 * Access logs can be several gigabytes, so the common line costs a few memmem
 * calls: only lines that mention filter_chain_not_found are parsed as JSON, and a
 * line recognised as an access-log or zap entry goes to no other scanner.
 *
 * Approximations, by design:
 *   - access.distinct_remote counts distinct addresses across the bundle exactly
 *     up to MODEL_MAX_DISTINCT (then "at least");
 *   - bundle_note_time() gets every rejected entry's start_time and the newest
 *     start_time of each access-log member (compared as strings, not parsed per
 *     line), plus every zap "ts";
 *   - a member counts as a watcher log when it has zap lines and either a caller
 *     or its path says "watcher", or when it names a missing secret. */
#include "textscan.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "buf.h"
#include "bundle.h"
#include "cleanup.h"
#include "model.h"
#include "text.h"
#include "textscan_client.h"
#include "textscan_openssl.h"
#include "textscan_k8s.h"
#include "textscan_util.h"

#include "banned.h"

#define ACCESS_EXCERPT_CHARS 240 /* enough to show status_details in Apigee's format */
#define PRETTY_MAX_BYTES (64u << 10)
#define PRETTY_MAX_LINES 200
#define JSON_PREFIX_MAX 256 /* a log prefix before the JSON object */
#define WATCHER_MAX_NAMES 4 /* distinct secret names taken from one line */

struct textscan {
	struct bundle *b;
	char *artifact;
	uint64_t lines;
	struct ts_kinds kinds;
	struct client_scan *client;
	struct k8s_scan *k8s;
	struct ossl_scan *ossl;

	/* access log */
	uint64_t access_entries;
	bool json_local;    /* entries carry downstream_local_address (Istio's JSON keys) */
	char last_time[40]; /* newest start time of the member's entries */
	struct buf pretty;  /* a pretty-printed JSON entry being gathered */
	bool pretty_active;
	unsigned pretty_line;
	unsigned pretty_lines;
	int pretty_depth;

	/* apigee-watcher */
	uint64_t zap_lines;
	uint64_t zap_errors;
	uint64_t missing;
	bool watcher_hint;
	char last_missing[254];
	unsigned last_missing_line;
};

/* ---- small helpers ------------------------------------------------------------ */

static bool has(const char *s, size_t n, const char *needle)
{
	return text_find(s, n, needle) != NULL;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static void copy_cstr(char *dst, size_t size, const char *p, size_t n)
{
	if (n >= size)
		n = size - 1;
	memcpy(dst, p, n);
	dst[n] = '\0';
	if (memchr(dst, '\0', n))
		dst[strnlen(dst, n)] = '\0';
}

/* Skip a `kubectl logs --prefix` "[pod/x/c] " and an RFC 3339 timestamp
 * (--timestamps); *ret_time gets the timestamp when there is one. */
/* A line copied from a terminal pane (k9s, a TUI table): "│ TEXT   │   │". */
static struct ts_tok strip_pane(struct ts_tok b)
{
	static const char bar[] = "\xe2\x94\x82"; /* U+2502 */

	if (!text_starts_with(b.p, b.n, bar))
		return b;
	b = ts_trim(b.p + 3, b.n - 3);
	while (b.n >= 3 && memcmp(b.p + b.n - 3, bar, 3) == 0)
		b = ts_trim(b.p, b.n - 3);
	return b;
}

static struct ts_tok strip_prefix(const char *line, size_t len, struct ts_tok *ret_time)
{
	struct ts_tok b = strip_pane((struct ts_tok){ line, len });

	ret_time->p = NULL;
	ret_time->n = 0;
	if (text_starts_with(b.p, b.n, "[pod/")) {
		const char *e = text_find(b.p, b.n < 512 ? b.n : 512, "] ");

		if (e) {
			b.n -= (size_t)(e + 2 - b.p);
			b.p = e + 2;
		}
	}
	if (b.n > 20 && is_digit(b.p[0]) && b.p[4] == '-' && b.p[10] == 'T') {
		const char *sp = memchr(b.p, ' ', b.n < 40 ? b.n : 40);
		int64_t t;

		if (sp && text_parse_time(b.p, (size_t)(sp - b.p), &t) == 0) {
			ret_time->p = b.p;
			ret_time->n = (size_t)(sp - b.p);
			b.n -= (size_t)(sp + 1 - b.p);
			b.p = sp + 1;
		}
	}
	return ts_trim(b.p, b.n);
}

/* The JSON object of a log line: at the start of the body, or after a short
 * prefix without quotes (other log collectors' "pod container " prefixes). */
static bool json_body(struct ts_tok body, struct ts_tok *ret)
{
	const char *brace;

	if (body.n < 2 || body.p[body.n - 1] != '}')
		return false;
	if (body.p[0] == '{') {
		*ret = body;
		return true;
	}
	brace = memchr(body.p, '{', body.n < JSON_PREFIX_MAX ? body.n : JSON_PREFIX_MAX);
	if (!brace || memchr(body.p, '"', (size_t)(brace - body.p)))
		return false;
	ret->p = brace;
	ret->n = body.n - (size_t)(brace - body.p);
	return true;
}

/* Bounded nesting check before handing a line to jansson. */
static bool json_depth_ok(const char *p, size_t n, int max)
{
	int depth = 0;
	bool in_str = false;

	for (size_t i = 0; i < n; i++) {
		char c = p[i];

		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = false;
		} else if (c == '"') {
			in_str = true;
		} else if (c == '{' || c == '[') {
			if (++depth > max)
				return false;
		} else if (c == '}' || c == ']') {
			depth--;
		}
	}
	return true;
}

/* The value of "key": in a flat JSON line, without parsing it: a string's
 * contents, or a bare number / literal. */
static bool json_peek(const char *p, size_t n, const char *quoted_key, struct ts_tok *ret,
                      bool *ret_string)
{
	const char *end = p + n;
	const char *k = text_find(p, n, quoted_key);
	const char *v;

	if (!k)
		return false;
	v = k + strlen(quoted_key);
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	if (v >= end || *v != ':')
		return false;
	v++;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	if (v >= end)
		return false;
	if (*v == '"') {
		const char *q = v + 1;

		while (q < end && *q != '"') {
			if (*q == '\\')
				q++;
			q++;
		}
		if (q > end)
			q = end;
		ret->p = v + 1;
		ret->n = (size_t)(q - v - 1);
		*ret_string = true;
		return true;
	}
	ret->p = v;
	ret->n = 0;
	while (v + ret->n < end && v[ret->n] != ',' && v[ret->n] != '}' && v[ret->n] != ' ')
		ret->n++;
	*ret_string = false;
	return true;
}

/* ---- access log ------------------------------------------------------------------ */

/* The quoted keys that tell a JSON log line's kind, found in one pass over its
 * quotes (the same answer as searching for each "key" in turn). */
enum json_key_bits {
	JK_STATUS_DETAILS = 1u << 0,
	JK_SNI_HOST = 1u << 1,
	JK_FLAGS = 1u << 2,
	JK_START_TIME = 1u << 3,
	JK_REMOTE_ADDRESS = 1u << 4,
	JK_LEVEL = 1u << 5,
	JK_MSG = 1u << 6,
};

/* Apigee's ingress format (status_details, sni_host, upstream_response_flags,
 * remote_address) and Istio's / Envoy's default JSON format (response_code_details,
 * requested_server_name, response_flags, downstream_remote_address). */

static bool access_json_keys(unsigned keys)
{
	return (keys & (JK_STATUS_DETAILS | JK_SNI_HOST | JK_FLAGS)) ||
	       ((keys & JK_START_TIME) && (keys & JK_REMOTE_ADDRESS));
}

/* The keys seen, up to the first that makes it an access-log entry (the others
 * matter only when it is not one). */
static unsigned json_keys_seen(const char *p, size_t n)
{
	static const struct {
		const char *quoted;
		unsigned bit;
	} keys[] = {
		{ "\"status_details\"", JK_STATUS_DETAILS },
		{ "\"response_code_details\"", JK_STATUS_DETAILS },
		{ "\"sni_host\"", JK_SNI_HOST },
		{ "\"requested_server_name\"", JK_SNI_HOST },
		{ "\"upstream_response_flags\"", JK_FLAGS },
		{ "\"start_time\"", JK_START_TIME },
		{ "\"remote_address\"", JK_REMOTE_ADDRESS },
		{ "\"downstream_remote_address\"", JK_REMOTE_ADDRESS },
		{ "\"downstream_direct_remote_address\"", JK_REMOTE_ADDRESS },
		{ "\"level\"", JK_LEVEL },
		{ "\"msg\"", JK_MSG },
	};
	const char *end = p + n, *q = p;
	unsigned seen = 0;
	uint64_t firsts = 0; /* the keys' first letters (6 bits): most quotes start none */

	for (size_t i = 0; i < ELEMENTSOF(keys); i++)
		firsts |= 1ull << (keys[i].quoted[1] & 63);
	while (q < end && (q = memchr(q, '"', (size_t)(end - q)))) {
		size_t left = (size_t)(end - q);

		if (left > 1 && !((firsts >> (q[1] & 63)) & 1)) {
			q++;
			continue;
		}
		for (size_t i = 0; i < ELEMENTSOF(keys) && left > 1; i++)
			if (q[1] == keys[i].quoted[1] && text_starts_with(q, left, keys[i].quoted))
				seen |= keys[i].bit;
		if (access_json_keys(seen))
			break;
		q++;
	}
	return seen;
}

/* "[2022-10-12T05:43:16.541Z] \"..." (Envoy / Istio text format) */
static bool access_text_line(struct ts_tok body, struct ts_tok *ret_time)
{
	const char *e;
	int64_t t;

	if (body.n < 24 || body.p[0] != '[' || !is_digit(body.p[1]))
		return false;
	e = text_find(body.p, body.n < 48 ? body.n : 48, "] \"");
	if (!e || text_parse_time(body.p + 1, (size_t)(e - body.p - 1), &t) < 0)
		return false;
	ret_time->p = body.p + 1;
	ret_time->n = (size_t)(e - body.p - 1);
	return true;
}

/* Keep the member's newest start time without parsing every line: RFC 3339 UTC
 * times of one log compare as strings. */
static void access_time(struct textscan *ts, struct ts_tok t)
{
	size_t cur = strlen(ts->last_time);
	int c;

	if (!t.n || t.n >= sizeof(ts->last_time))
		return;
	c = memcmp(t.p, ts->last_time, t.n < cur ? t.n : cur);
	if (cur && (c < 0 || (c == 0 && t.n <= cur)))
		return;
	copy_cstr(ts->last_time, sizeof(ts->last_time), t.p, t.n);
}

/* first_start / last_start across the bundle, by parsed time */
static void access_reject_time(struct textscan *ts, const char *s, size_t n)
{
	struct access_log_stats *a = &ts->b->access;
	int64_t t, old;
	bool ok;

	if (!n)
		return;
	ok = text_parse_time(s, n, &t) == 0;
	if (ok)
		bundle_note_time(ts->b, t);
	if (!a->first_start[0] ||
	    (ok && (text_parse_time(a->first_start, strlen(a->first_start), &old) < 0 || t < old)))
		copy_cstr(a->first_start, sizeof(a->first_start), s, n);
	if (!a->last_start[0] ||
	    (ok && (text_parse_time(a->last_start, strlen(a->last_start), &old) < 0 || t > old)))
		copy_cstr(a->last_start, sizeof(a->last_start), s, n);
}

/* "10.0.0.1:40000" -> "10.0.0.1", "[::1]:443" -> "::1", "::1" stays */
static struct ts_tok strip_port(struct ts_tok a)
{
	const char *colon;

	if (!a.n)
		return a;
	if (a.p[0] == '[') {
		const char *rb = memchr(a.p, ']', a.n);

		if (rb) {
			a.n = (size_t)(rb - a.p - 1);
			a.p++;
		}
		return a;
	}
	colon = memchr(a.p, ':', a.n);
	if (colon && !memchr(colon + 1, ':', a.n - (size_t)(colon + 1 - a.p)))
		a.n = (size_t)(colon - a.p);
	return a;
}

/* The bundle-wide set of rejected remote addresses, made on first use. */
static struct ts_hashset *bundle_remotes(struct bundle *b)
{
	struct ts_hashset *set = b->access_remotes;

	if (!set) {
		set = calloc(1, sizeof(*set));
		if (!set)
			return NULL;
		set->max = MODEL_MAX_DISTINCT;
		b->access_remotes = set;
	}
	return set;
}

static int access_reject(struct textscan *ts, const char *line, size_t len, unsigned lineno,
                         struct ts_tok start, struct ts_tok remote)
{
	struct access_log_stats *a = &ts->b->access;
	int r = 0;

	a->nonsni_reject++;
	access_reject_time(ts, start.p, start.n);
	remote = strip_port(ts_trim(remote.p, remote.n));
	if (remote.n && !ts_tok_eq(remote, "-")) {
		struct ts_hashset *set = bundle_remotes(ts->b);

		r = set ? ts_hashset_add(set, remote.p, remote.n) : -ENOMEM;
		if (r > 0)
			a->distinct_remote++;
		if (set && set->capped)
			a->distinct_capped = true;
		if (r < 0)
			return r;
	}
	if (a->n_samples < MODEL_MAX_SAMPLES) {
		char *ex = ts_excerpt(line, len, 0, ACCESS_EXCERPT_CHARS);

		if (!ex)
			return -ENOMEM;
		r = loc_set(&a->samples[a->n_samples], ts->artifact, lineno, NULL, ex);
		free(ex);
		if (r < 0)
			return r;
		a->n_samples++;
	}
	return 0;
}

/* Is an access-log line the Apigee ingress's? The pod or file names the ingress
 * gateway (apigee-ingressgateway; istio-ingressgateway up to hybrid 1.7), or the
 * listener (LOCAL address) is on 443 / 8443. A sidecar's listener (a database on
 * 27017, ...) is another workload: its lines say nothing about the ingress. */
static bool ingress_port(struct ts_tok local)
{
	const char *colon = NULL;
	struct ts_tok port;

	for (size_t i = 0; i < local.n; i++)
		if (local.p[i] == ':')
			colon = local.p + i;
	if (!colon)
		return false;
	port = (struct ts_tok){ colon + 1, (size_t)(local.p + local.n - colon - 1) };
	return ts_tok_eq(port, "443") || ts_tok_eq(port, "8443");
}

static bool is_ingress_listener(const struct textscan *ts, const char *line, size_t len,
                                struct ts_tok local)
{
	return ingress_port(local) || text_find(line, len, "ingressgateway") ||
	       (ts->artifact && strstr(ts->artifact, "ingressgateway"));
}

/* An entry of another workload's listener (known LOCAL address, not the ingress).
 * Only the line's prefix (a `kubectl logs --prefix` pod name) is searched: this
 * runs for every entry. */
static void other_entry(struct textscan *ts, const char *line, size_t prefix, struct ts_tok local)
{
	size_t digits = 0;

	/* only an ADDRESS:PORT: another text format's word there says nothing */
	while (digits < local.n && is_digit(local.p[local.n - 1 - digits]))
		digits++;
	if (!digits || digits >= local.n || local.p[local.n - 1 - digits] != ':')
		return;
	if (!is_ingress_listener(ts, line, prefix, local))
		ts->b->access.other_entries++;
}

/* A filter_chain_not_found line set aside: not the ingress's listener. */
static void not_ingress(struct textscan *ts, struct ts_tok local)
{
	struct access_log_stats *a = &ts->b->access;

	if (!a->not_ingress++) {
		copy_cstr(a->not_ingress_local, sizeof(a->not_ingress_local), local.p, local.n);
		copy_cstr(a->not_ingress_file, sizeof(a->not_ingress_file), ts->artifact,
		          strlen(ts->artifact));
	}
}

/* The k-th word from the end of a line (0 = the last), scanning only its tail. */
static struct ts_tok tail_word(struct ts_tok body, unsigned k)
{
	const char *e = body.p + body.n;

	for (;;) {
		const char *w;

		while (e > body.p && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		w = e;
		while (w > body.p && w[-1] != ' ' && w[-1] != '\t')
			w--;
		if (!k-- || w == body.p)
			return (struct ts_tok){ w, (size_t)(e - w) };
		e = w;
	}
}

/* ---- the fields of a rejected JSON entry ------------------------------------------------
 * A filter_chain_not_found entry is read for four fields. Envoy writes a flat object
 * of plain ASCII strings (and numbers): flat_json() reads such a line in one pass,
 * and says "not sure" (0) for anything else -- an escape, a nested value, a
 * non-ASCII or control byte, a fraction, anything jansson might judge otherwise --
 * and jansson reads those. Both fill the same struct rej_fields. */

enum rej_key {
	RK_STATUS_DETAILS,
	RK_RESPONSE_CODE_DETAILS,
	RK_SNI_HOST,
	RK_REQUESTED_SERVER_NAME,
	RK_START_TIME,
	RK_REMOTE_ADDRESS,
	RK_DOWNSTREAM_REMOTE_ADDRESS,
	RK_DOWNSTREAM_DIRECT_REMOTE_ADDRESS,
	RK_DOWNSTREAM_LOCAL_ADDRESS,
	RK__MAX
};

/* Apigee's ingress keys first, then Istio's / Envoy's default JSON format: of the
 * keys for one field, the first one the entry has counts (rej_pick). */
static const char *const rej_key_names[RK__MAX] = {
	"status_details",
	"response_code_details",
	"sni_host",
	"requested_server_name",
	"start_time",
	"remote_address",
	"downstream_remote_address",
	"downstream_direct_remote_address",
	"downstream_local_address",
};

enum rej_type {
	RT_ABSENT = 0,
	RT_STRING,
	RT_NULL,
	RT_OTHER, /* a number, a boolean, an object or an array */
};

struct rej_fields {
	enum rej_type type[RK__MAX];
	struct ts_tok str[RK__MAX]; /* RT_STRING: the contents */
};

static const char *flat_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	return p;
}

/* A string without escapes of printable ASCII at p ('"'): the byte after it, or
 * NULL when not sure. */
static const char *flat_string(const char *p, const char *end, struct ts_tok *ret)
{
	const char *q = p + 1;

	while (q < end && *q != '"') {
		if (*q < 0x20 || *q > 0x7e || *q == '\\')
			return NULL;
		q++;
	}
	if (q >= end)
		return NULL;
	ret->p = p + 1;
	ret->n = (size_t)(q - p - 1);
	return q + 1;
}

/* null, true, false or an integer of at most 18 digits: the byte after it, or NULL. */
static const char *flat_bare(const char *p, const char *end, enum rej_type *ret)
{
	static const char *const words[] = { "null", "true", "false" };
	const char *q = p;
	size_t digits = 0;

	for (size_t i = 0; i < ELEMENTSOF(words); i++)
		if (text_starts_with(p, (size_t)(end - p), words[i])) {
			*ret = i == 0 ? RT_NULL : RT_OTHER;
			return p + strlen(words[i]);
		}
	if (q < end && *q == '-')
		q++;
	while (q + digits < end && is_digit(q[digits]))
		digits++;
	if (!digits || digits > 18 || (digits > 1 && q[0] == '0'))
		return NULL;
	*ret = RT_OTHER;
	return q + digits;
}

/* One "key": value; the byte after it, or NULL when not sure. */
static const char *flat_member(const char *p, const char *end, struct rej_fields *f)
{
	struct ts_tok key, str = { NULL, 0 };
	enum rej_type type = RT_STRING;

	if (p >= end || *p != '"' || !(p = flat_string(p, end, &key)))
		return NULL;
	p = flat_ws(p, end);
	if (p >= end || *p != ':')
		return NULL;
	p = flat_ws(p + 1, end);
	if (p < end && *p == '"')
		p = flat_string(p, end, &str);
	else
		p = flat_bare(p, end, &type);
	if (!p)
		return NULL;
	for (size_t k = 0; k < RK__MAX; k++)
		if (ts_tok_eq(key, rej_key_names[k])) {
			/* a repeated key: the last one counts, as in jansson */
			f->type[k] = type;
			f->str[k] = str;
		}
	return flat_ws(p, end);
}

/* 1: json (from '{' to its last byte '}') is a flat object, its fields in *f;
 * 0: not sure. */
static int flat_json(struct ts_tok json, struct rej_fields *f)
{
	const char *p = json.p, *end = json.p + json.n;

	memset(f, 0, sizeof(*f));
	if (json.n < 2 || p[0] != '{' || end[-1] != '}')
		return 0;
	p = flat_ws(p + 1, end);
	if (p < end && *p == '}')
		return p + 1 == end;
	for (;;) {
		p = flat_member(p, end, f);
		if (!p || p >= end)
			return 0;
		if (*p == '}')
			return p + 1 == end;
		if (*p != ',')
			return 0;
		p = flat_ws(p + 1, end);
	}
}

/* The same fields from jansson's object (valid while it lives). */
static void json_fields(const json_t *j, struct rej_fields *f)
{
	memset(f, 0, sizeof(*f));
	for (size_t k = 0; k < RK__MAX; k++) {
		const json_t *v = json_object_get(j, rej_key_names[k]);

		if (!v)
			continue;
		if (json_is_string(v)) {
			f->type[k] = RT_STRING;
			f->str[k].p = json_string_value(v);
			f->str[k].n = json_string_length(v);
		} else {
			f->type[k] = json_is_null(v) ? RT_NULL : RT_OTHER;
		}
	}
}

/* The first of the keys from..to that the entry has (RK__MAX: none). */
static enum rej_key rej_pick(const struct rej_fields *f, enum rej_key from, enum rej_key to)
{
	for (enum rej_key k = from; k <= to; k++)
		if (f->type[k] != RT_ABSENT)
			return k;
	return RK__MAX;
}

static struct ts_tok rej_string(const struct rej_fields *f, enum rej_key k)
{
	struct ts_tok none = { NULL, 0 };

	return k < RK__MAX && f->type[k] == RT_STRING ? f->str[k] : none;
}

static int access_fields_reject(struct textscan *ts, const struct rej_fields *f, const char *line,
                                size_t len, unsigned lineno)
{
	enum rej_key details = rej_pick(f, RK_STATUS_DETAILS, RK_RESPONSE_CODE_DETAILS);
	enum rej_key sni = rej_pick(f, RK_SNI_HOST, RK_REQUESTED_SERVER_NAME);
	enum rej_key remote = rej_pick(f, RK_REMOTE_ADDRESS, RK_DOWNSTREAM_DIRECT_REMOTE_ADDRESS);
	struct ts_tok local = rej_string(f, RK_DOWNSTREAM_LOCAL_ADDRESS);
	bool nonsni;

	if (details == RK__MAX || f->type[details] != RT_STRING ||
	    !ts_tok_eq(f->str[details], "filter_chain_not_found"))
		return 0;
	if (f->type[RK_DOWNSTREAM_LOCAL_ADDRESS] == RT_STRING &&
	    !is_ingress_listener(ts, line, len, local)) {
		not_ingress(ts, local);
		return 0;
	}
	nonsni = sni == RK__MAX || f->type[sni] == RT_NULL ||
	         (f->type[sni] == RT_STRING && (f->str[sni].n == 0 || ts_tok_eq(f->str[sni], "-")));
	if (!nonsni) {
		ts->b->access.fcnf_with_sni++;
		return 0;
	}
	return access_reject(ts, line, len, lineno, rej_string(f, RK_START_TIME),
	                     rej_string(f, remote));
}

/* A filter_chain_not_found JSON entry: read its fields (flat_json, else jansson). */
static int access_json_reject(struct textscan *ts, struct ts_tok json, const char *line, size_t len,
                              unsigned lineno)
{
	struct rej_fields f;
	json_t *j;
	int r = 0;

	if (flat_json(json, &f))
		return access_fields_reject(ts, &f, line, len, lineno);
	if (!json_depth_ok(json.p, json.n, BUNDLE_MAX_DEPTH))
		return 0;
	j = json_loadb(json.p, json.n, 0, NULL);
	if (!j)
		return 0;
	if (json_is_object(j)) {
		json_fields(j, &f);
		r = access_fields_reject(ts, &f, line, len, lineno);
	}
	json_decref(j);
	return r;
}

/* One JSON access-log entry (a line, or a gathered pretty-printed object). */
static int access_json_entry(struct textscan *ts, struct ts_tok json, struct ts_tok prefix_time,
                             const char *line, size_t len, unsigned lineno)
{
	struct ts_tok v;
	bool is_str;

	ts->access_entries++;
	ts->b->access.entries++;
	ts_kinds_note(&ts->kinds, ART_ACCESS_LOG, 1);
	if (json_peek(json.p, json.n, "\"start_time\"", &v, &is_str) && is_str && v.n)
		access_time(ts, v);
	else
		access_time(ts, prefix_time);
	/* Istio's key; the formats of one file do not change: looked for on its first
	 * entry, then only if that one had it */
	if ((ts->access_entries == 1 || ts->json_local) &&
	    json_peek(json.p, json.n, "\"downstream_local_address\"", &v, &is_str) && is_str) {
		ts->json_local = true;
		other_entry(ts, line, (size_t)(json.p - line) < len ? (size_t)(json.p - line) : 0,
		            v);
	}
	if (!has(json.p, json.n, "filter_chain_not_found"))
		return 0;
	return access_json_reject(ts, json, line, len, lineno);
}

/* Envoy/Istio text format: the rejected non-SNI handshake is
 * [t] "- - -" 0 NR filter_chain_not_found - "-" 0 0 1 - "-" "-" "-" "-" "-" - - LOCAL REMOTE SNI ROUTE */
static int access_text_entry(struct textscan *ts, struct ts_tok body, struct ts_tok t,
                             const char *line, size_t len, unsigned lineno)
{
	struct ts_tok first[6], last[4] = { { NULL, 0 } }, w;
	const char *cur = body.p, *end = body.p + body.n;
	size_t n = 0;

	ts->access_entries++;
	ts->b->access.entries++;
	ts_kinds_note(&ts->kinds, ART_ACCESS_LOG, 1);
	access_time(ts, t);
	other_entry(ts, line, (size_t)(body.p - line), tail_word(body, 3));
	if (!has(body.p, body.n, "filter_chain_not_found"))
		return 0;
	while (ts_next_word(&cur, end, &w)) {
		if (n < ELEMENTSOF(first))
			first[n] = w;
		last[0] = last[1];
		last[1] = last[2];
		last[2] = last[3];
		last[3] = w;
		n++;
	}
	if (n < 9 || !ts_tok_eq(first[4], "filter_chain_not_found"))
		return 0;
	/* LOCAL REMOTE SNI ROUTE are the last four words */
	if (!is_ingress_listener(ts, line, len, last[0])) {
		not_ingress(ts, last[0]);
		return 0;
	}
	if (!ts_tok_eq(last[2], "-") && !ts_tok_eq(last[2], "\"-\"") &&
	    !ts_tok_eq(last[2], "\"\"")) {
		ts->b->access.fcnf_with_sni++;
		return 0;
	}
	return access_reject(ts, line, len, lineno, t, last[1]);
}

/* Pretty-printed entries ("{" alone, one "key": value per line, "}"), as
 * playbooks show them and users paste them. */
static int pretty_line(struct textscan *ts, const char *line, size_t len, unsigned lineno)
{
	struct ts_tok t = ts_trim(line, len);
	bool in_str = false;
	int r;

	if (!ts->pretty_active) {
		if (!ts_tok_eq(t, "{"))
			return 0;
		buf_reset(&ts->pretty);
		ts->pretty_active = true;
		ts->pretty_line = lineno;
		ts->pretty_lines = 0;
		ts->pretty_depth = 0;
	}
	if (++ts->pretty_lines > PRETTY_MAX_LINES || buf_append(&ts->pretty, t.p, t.n) < 0 ||
	    buf_putc(&ts->pretty, ' ') < 0) {
		ts->pretty_active = false;
		return 0;
	}
	for (size_t i = 0; i < t.n; i++) {
		char c = t.p[i];

		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = false;
		} else if (c == '"') {
			in_str = true;
		} else if (c == '{' || c == '[') {
			ts->pretty_depth++;
		} else if (c == '}' || c == ']') {
			ts->pretty_depth--;
		}
	}
	if (ts->pretty_depth > 0)
		return 0;
	ts->pretty_active = false;
	{
		struct ts_tok json = ts_trim(ts->pretty.data, ts->pretty.len);
		struct ts_tok none = { NULL, 0 };

		/* "}," closes an entry of a pasted array */
		if (json.n && json.p[json.n - 1] == ',')
			json.n--;
		if (!access_json_keys(json_keys_seen(json.p, json.n)))
			return 0;
		r = access_json_entry(ts, json, none, json.p, json.n, ts->pretty_line);
	}
	return r;
}

/* ---- apigee-watcher ------------------------------------------------------------ */

static bool is_level(struct ts_tok t, bool *ret_error)
{
	static const char *const levels[] = { "debug", "info",   "warn",  "warning",
		                              "error", "dpanic", "panic", "fatal" };

	for (size_t i = 0; i < ELEMENTSOF(levels); i++)
		if (ts_tok_eq_ci(t, levels[i])) {
			*ret_error = i >= 4;
			return true;
		}
	return false;
}

/* "ts": 1687991930.7745812 (epoch seconds) or an RFC 3339 string */
static void watcher_time(struct textscan *ts, struct ts_tok v, bool is_str)
{
	uint64_t sec;
	size_t used;
	int64_t t;

	if (is_str) {
		if (text_parse_time(v.p, v.n, &t) == 0)
			bundle_note_time(ts->b, t);
		return;
	}
	if (ts_parse_uint(v.p, v.n, 32503680000ull, &sec, &used) && sec > 0)
		bundle_note_time(ts->b, (int64_t)sec);
}

static void watcher_zap_json(struct textscan *ts, struct ts_tok json)
{
	struct ts_tok v;
	bool is_str, err = false;

	ts->zap_lines++;
	if (json_peek(json.p, json.n, "\"level\"", &v, &is_str) && is_level(v, &err) && err)
		ts->zap_errors++;
	if (json_peek(json.p, json.n, "\"ts\"", &v, &is_str))
		watcher_time(ts, v, is_str);
	if (has(json.p, json.n, "watcher"))
		ts->watcher_hint = true;
}

/* zap console encoding: "TIME\tLEVEL\tcaller\tmsg\t{...}" */
static bool watcher_zap_console(struct textscan *ts, struct ts_tok body)
{
	const char *tab1 = memchr(body.p, '\t', body.n < 40 ? body.n : 40), *tab2;
	struct ts_tok tm, lv;
	bool err = false;
	int64_t t;

	if (!tab1 || tab1 == body.p)
		return false;
	tm.p = body.p;
	tm.n = (size_t)(tab1 - body.p);
	tab2 = memchr(tab1 + 1, '\t', (size_t)(body.p + body.n - tab1 - 1));
	if (!tab2)
		return false;
	lv.p = tab1 + 1;
	lv.n = (size_t)(tab2 - tab1 - 1);
	if (!is_level(lv, &err))
		return false;
	if (text_parse_time(tm.p, tm.n, &t) == 0)
		bundle_note_time(ts->b, t);
	else if (!is_digit(tm.p[0]))
		return false;
	else
		watcher_time(ts, tm, false);
	ts->zap_lines++;
	if (err)
		ts->zap_errors++;
	if (has(body.p, body.n, "watcher"))
		ts->watcher_hint = true;
	return true;
}

/* The quoted name at p: "NAME" or \"NAME\" (inside a JSON string). */
static bool quoted_name(const char *p, const char *end, struct ts_tok *ret, const char **ret_after)
{
	const char *q;

	if (p < end && *p == '\\')
		p++;
	if (p >= end || *p != '"')
		return false;
	p++;
	for (q = p; q < end && *q != '"' && *q != '\\'; q++)
		;
	if (q >= end || !ts_is_name_like(p, (size_t)(q - p)))
		return false;
	ret->p = p;
	ret->n = (size_t)(q - p);
	if (*q == '\\')
		q++;
	*ret_after = q + 1;
	return true;
}

static bool name_in(const struct ts_tok *names, size_t n, struct ts_tok t)
{
	for (size_t i = 0; i < n; i++)
		if (names[i].n == t.n && memcmp(names[i].p, t.p, t.n) == 0)
			return true;
	return false;
}

/* NOT_FOUND: failed to get secret "X" in namespace "apigee": secrets "X" not found */
static int watcher_missing(struct textscan *ts, const char *line, size_t len, unsigned lineno)
{
	const char *end = line + len, *p, *after;
	struct ts_tok names[WATCHER_MAX_NAMES], nm;
	size_t n = 0, first_at = len;
	bool any_failed = false, not_found;

	if (!has(line, len, "ecret") && !has(line, len, "ECRET"))
		return 0;
	not_found = text_find_ci(line, len, "not found") || text_find_ci(line, len, "not_found");
	if (!not_found)
		return 0;
	for (p = line; (p = text_find_ci(p, (size_t)(end - p), "failed to get secret "));) {
		size_t at = (size_t)(p - line);

		p += 21;
		if (quoted_name(p, end, &nm, &after) && !name_in(names, n, nm) &&
		    n < WATCHER_MAX_NAMES) {
			names[n++] = nm;
			any_failed = true;
			if (at < first_at)
				first_at = at;
		}
	}
	for (p = line; (p = text_find_ci(p, (size_t)(end - p), "secrets "));) {
		size_t at = (size_t)(p - line);

		p += 8;
		if (!quoted_name(p, end, &nm, &after))
			continue;
		if (!text_starts_with(after, (size_t)(end - after), " not found") &&
		    !text_starts_with(after, (size_t)(end - after), " NOT FOUND"))
			continue;
		if (name_in(names, n, nm) || n >= WATCHER_MAX_NAMES)
			continue;
		/* the second half of a message wrapped over two lines */
		if (!any_failed && ts->last_missing_line && ts->last_missing_line + 1 == lineno &&
		    ts_tok_eq(nm, ts->last_missing))
			continue;
		names[n++] = nm;
		if (at < first_at)
			first_at = at;
	}
	ts->last_missing_line = 0;
	if (!n)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char *ex = ts_excerpt(line, len, first_at, TS_EXCERPT_CHARS);

		if (!ex)
			return -ENOMEM;
		bundle_watcher_missing(ts->b, names[i].p, names[i].n, ts->artifact, lineno, ex);
		free(ex);
		ts->missing++;
	}
	copy_cstr(ts->last_missing, sizeof(ts->last_missing), names[0].p, names[0].n);
	ts->last_missing_line = lineno;
	ts_kinds_note(&ts->kinds, ART_WATCHER_LOG, n);
	return 0;
}

void textscan_bundle_release(struct bundle *b)
{
	if (!b || !b->access_remotes)
		return;
	ts_hashset_release(b->access_remotes);
	free(b->access_remotes);
	b->access_remotes = NULL;
}

/* ---- entry points ----------------------------------------------------------------- */

int textscan_begin(struct bundle *b, const char *artifact, struct textscan **ret)
{
	struct textscan *ts;
	int r;

	if (!b || !ret)
		return -EINVAL;
	ts = calloc(1, sizeof(*ts));
	if (!ts)
		return -ENOMEM;
	ts->b = b;
	ts->artifact = strdup(artifact ? artifact : "");
	buf_init(&ts->pretty, PRETTY_MAX_BYTES);
	if (!ts->artifact) {
		textscan_free(ts);
		return -ENOMEM;
	}
	r = client_scan_new(b, ts->artifact, &ts->kinds, &ts->client);
	if (r >= 0)
		r = k8s_scan_new(b, ts->artifact, &ts->kinds, &ts->k8s);
	if (r >= 0)
		r = ossl_scan_new(b, ts->artifact, &ts->kinds, &ts->ossl);
	if (r < 0) {
		textscan_free(ts);
		return r;
	}
	*ret = ts;
	return 0;
}

int textscan_line(struct textscan *ts, const char *line, size_t len, unsigned lineno)
{
	struct ts_tok body, prefix_time, json, t;
	struct text_pairs pairs;
	int r;

	if (!ts || (!line && len))
		return -EINVAL;
	if (!line)
		line = "";
	while (len && (line[len - 1] == '\r' || line[len - 1] == '\n'))
		len--;
	ts->lines++;

	r = pretty_line(ts, line, len, lineno);
	if (r < 0)
		return r;

	/* access-log and zap entries are nothing else: the cheap, common path */
	body = strip_prefix(line, len, &prefix_time);
	if (body.n && json_body(body, &json)) {
		unsigned keys = json_keys_seen(json.p, json.n);

		if (access_json_keys(keys))
			return access_json_entry(ts, json, prefix_time, line, len, lineno);
		if ((keys & JK_LEVEL) && (keys & JK_MSG)) {
			watcher_zap_json(ts, json);
			return watcher_missing(ts, line, len, lineno);
		}
	}
	if (access_text_line(body, &t))
		return access_text_entry(ts, body, t, line, len, lineno);
	if (body.n && watcher_zap_console(ts, body))
		return watcher_missing(ts, line, len, lineno);

	/* the transcript scanners ask each line for dozens of needles; watcher_missing
	 * reads nothing from a line without "ecret" in any case */
	text_pairs_init(&pairs, line, len);
	r = text_pairs_may_have(&pairs, "ecret") ? watcher_missing(ts, line, len, lineno) : 0;
	if (r < 0)
		return r;
	r = client_scan_line(ts->client, line, len, lineno, &pairs);
	if (r < 0)
		return r;
	r = ossl_scan_line(ts->ossl, line, len, lineno, &pairs);
	if (r < 0)
		return r;
	return k8s_scan_line(ts->k8s, line, len, lineno);
}

static bool artifact_says_watcher(const char *path)
{
	return path && text_find_ci(path, strlen(path), "watcher");
}

int textscan_end(struct textscan *ts, struct artifact *a)
{
	struct bundle *b;
	int r, r2;
	enum artifact_kind best = ART_TEXT;
	uint64_t best_w = 0;

	if (!ts)
		return -EINVAL;
	b = ts->b;
	r = client_scan_end(ts->client);
	r2 = k8s_scan_end(ts->k8s);
	if (r >= 0)
		r = r2;
	r2 = ossl_scan_end(ts->ossl);
	if (r >= 0)
		r = r2;

	if (ts->access_entries) {
		int64_t t;

		b->access.files++;
		b->access.lines += ts->lines;
		if (ts->last_time[0] &&
		    text_parse_time(ts->last_time, strlen(ts->last_time), &t) == 0)
			bundle_note_time(b, t);
	}
	if ((ts->zap_lines && (ts->watcher_hint || artifact_says_watcher(ts->artifact))) ||
	    ts->missing) {
		b->watcher.files++;
		b->watcher.lines += ts->lines;
		b->watcher.errors += ts->zap_errors;
		ts_kinds_note(&ts->kinds, ART_WATCHER_LOG, ts->zap_lines);
	}

	if (a) {
		/* the kind with the most recognised lines; ties go to the earlier kind */
		for (int k = 0; k < ART__MAX; k++)
			if (ts->kinds.weight[k] > best_w) {
				best_w = ts->kinds.weight[k];
				best = (enum artifact_kind)k;
			}
		a->kinds_seen |= ts->kinds.seen;
		a->kind = best;
		a->lines = ts->lines;
	}
	textscan_free(ts);
	return r;
}

void textscan_free(struct textscan *ts)
{
	if (!ts)
		return;
	client_scan_free(ts->client);
	k8s_scan_free(ts->k8s);
	ossl_scan_free(ts->ossl);
	buf_release(&ts->pretty);
	free(ts->artifact);
	free(ts);
}
