/* SPDX-License-Identifier: Apache-2.0 */
/* The redaction engine: the redactor (run key, rules, counts, pseudonym map), the
 * streams that split a member into lines and run the stages over them, markers,
 * and the redaction.json report. The rules themselves live in rules_*.c. */
#include "redact.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "capture.h"
#include "cleanup.h"
#include "error.h"
#include "kindscan.h"
#include "pcap_redact.h"
#include "redact_internal.h"
#include "utf16.h"
#include "yamljson.h"
#include "banned.h"

const struct rule_def redact_builtin_rules[RULE__BUILTIN_MAX] = {
	[RULE_PEM_PRIVATE_KEY] = { "pem-private-key", "value-shape" },
	[RULE_BASE64_PRIVATE_KEY] = { "base64-private-key", "value-shape" },
	[RULE_SECRET_DATA] = { "secret-data", "structural" },
	[RULE_YAML_KEY] = { "yaml-credential-key", "structural" },
	[RULE_JSON_MEMBER] = { "json-credential-member", "structural" },
	[RULE_LAST_APPLIED] = { "secret-last-applied-configuration", "structural" },
	[RULE_HTTP_HEADER] = { "http-credential-header", "header" },
	[RULE_CREDENTIAL_KV] = { "credential-key-value", "context" },
	[RULE_QUERY_PARAM] = { "url-query-credential", "query" },
	[RULE_CLI_FLAG] = { "cli-credential-flag", "context" },
	[RULE_GCP_ACCESS_TOKEN] = { "gcp-access-token", "value-shape" },
	[RULE_JWT] = { "jwt", "value-shape" },
	[RULE_GOOGLE_API_KEY] = { "google-api-key", "value-shape" },
	[RULE_AWS_ACCESS_KEY] = { "aws-access-key-id", "value-shape" },
	[RULE_BASE64_SA_JSON] = { "base64-service-account-json", "value-shape" },
	[RULE_HIGH_ENTROPY] = { "high-entropy-in-credential-context", "context" },
	[RULE_LONG_TOKEN] = { "over-long-token", "limit" },
	[RULE_NAMED_VALUE] = { "named-credential-value", "structural" },
	[RULE_CMDLINE_PASSWORD] = { "command-line-password", "context" },
	[RULE_SQL_PASSWORD] = { "sql-password", "context" },
	[RULE_FILE_FORMAT] = { "credential-file-format", "structural" },
	[RULE_XML_ELEMENT] = { "xml-credential-element", "structural" },
	[RULE_JWK_PRIVATE] = { "jwk-private-member", "structural" },
	[RULE_GITHUB_TOKEN] = { "github-token", "value-shape" },
	[RULE_SLACK_TOKEN] = { "slack-token", "value-shape" },
	[RULE_SLACK_WEBHOOK] = { "slack-webhook-path", "value-shape" },
	[RULE_STRIPE_KEY] = { "stripe-secret-key", "value-shape" },
	[RULE_SENDGRID_KEY] = { "sendgrid-api-key", "value-shape" },
	[RULE_WRAPPED_TOKEN] = { "wrapped-token-continuation", "value-shape" },
	[RULE_MEMBER_NAME] = { "credential-in-member-name", "name" },
	[RULE_CERT_DROPPED] = { "certificate-dropped", "pseudonym" },
	[RULE_PSEUDO_IP] = { "pseudonym-ip", "pseudonym" },
	[RULE_PSEUDO_HOST] = { "pseudonym-host", "pseudonym" },
	[RULE_PSEUDO_EMAIL] = { "pseudonym-email", "pseudonym" },
	[RULE_PSEUDO_NAME] = { "pseudonym-name", "pseudonym" },
	[RULE_PSEUDO_DN] = { "pseudonym-dn", "pseudonym" },
	[RULE_PSEUDO_FINGERPRINT] = { "pseudonym-fingerprint", "pseudonym" },
	[RULE_DER_PRIVATE_KEY] = { "der-private-key", "value-shape" },
	[RULE_BASE64_GZIP] = { "base64-gzip-with-secrets", "value-shape" },
	[RULE_VENDOR_TOKEN] = { "vendor-token", "value-shape" },
};

/* ---- markers ------------------------------------------------------------------- */

static size_t format_marker(const unsigned char *mac, const char *label, char *out)
{
	int n = snprintf(out, 64, "<redacted:%02x%02x%02x%02x%s%s>", mac[0], mac[1], mac[2], mac[3],
	                 label ? " " : "", label ? label : "");

	return n > 0 && n < 64 ? (size_t)n : 0;
}

int redact_mac_begin(const struct redactor *r, struct redact_mac *m)
{
	m->ctx = EVP_MAC_CTX_dup(r->mac);
	return m->ctx ? 0 : -ENOMEM;
}

int redact_mac_update(struct redact_mac *m, const void *data, size_t len)
{
	if (!m->ctx)
		return -EINVAL;
	return EVP_MAC_update(m->ctx, data, len) == 1 ? 0 : -EIO;
}

void redact_mac_release(struct redact_mac *m)
{
	EVP_MAC_CTX_free(m->ctx);
	m->ctx = NULL;
}

size_t redact_mac_end(struct redact_mac *m, const char *label, char *out)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	size_t mlen = 0;

	if (!m->ctx || EVP_MAC_final(m->ctx, mac, &mlen, sizeof(mac)) != 1 || mlen < 4)
		memset(mac, 0, sizeof(mac));
	redact_mac_release(m);
	return format_marker(mac, label, out);
}

size_t redact_marker(const struct redactor *r, const void *data, size_t len, const char *label,
                     char *out)
{
	struct redact_mac m;

	if (redact_mac_begin(r, &m) < 0) {
		unsigned char zero[4] = { 0 };

		return format_marker(zero, label, out);
	}
	redact_mac_update(&m, data, len);
	return redact_mac_end(&m, label, out);
}

size_t redact_marker_at(const char *p, size_t avail)
{
	size_t i;

	if (avail < REDACT_MARKER_FULL || memcmp(p, REDACT_MARKER, REDACT_MARKER_LEN) != 0)
		return 0;
	for (i = REDACT_MARKER_LEN; i < REDACT_MARKER_LEN + 8; i++)
		if (!cc_is((unsigned char)p[i], CC_HEX))
			return 0;
	/* "<redacted:12345678>" or "<redacted:12345678 private key>" */
	for (; i < avail && i < 64; i++)
		if (p[i] == '>')
			return i + 1;
	return 0;
}

bool redact_fire(struct redact_stream *s, int rule)
{
	if (rule < 0 || (size_t)rule >= s->r->n_rules)
		return false;
	if (rule == s->r->disabled_rule)
		return false;
	s->counts[rule]++;
	return true;
}

int redact_emit(struct redact_stream *s, int rule, const char *data, size_t len, const char *label,
                struct buf *out)
{
	char m[64];
	size_t n;

	if (!redact_fire(s, rule))
		return buf_append(out, data, len);
	n = redact_marker(s->r, data, len, label, m);
	return buf_append(out, m, n);
}

/* ---- the redactor ------------------------------------------------------------------ */

static int rule_by_name(const char *name)
{
	for (int i = 0; i < RULE__BUILTIN_MAX; i++)
		if (strcmp(redact_builtin_rules[i].name, name) == 0)
			return i;
	return -1;
}

static int read_file(const char *path, struct buf *ret, size_t max, struct error *err)
{
	_cleanup_fclose_ FILE *f = fopen(path, "rbe");
	char tmp[65536];
	size_t n;

	buf_init(ret, max);
	if (!f)
		return error_set(err, -errno, path, 0, "cannot open '%s': %s", path,
		                 strerror(errno));
	while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0)
		if (buf_append(ret, tmp, n) < 0)
			return error_set(err, -ERANGE, path, 0, "'%s' is too big", path);
	if (ferror(f))
		return error_set(err, -EIO, path, 0, "cannot read '%s'", path);
	return 0;
}

int redactor_new(const struct redact_options *opts, struct redactor **ret, struct error *err)
{
	unsigned char key[32];
	struct redactor *r;
	EVP_MAC *mac = NULL;
	OSSL_PARAM params[2];
	int rc = 0;

	r = calloc(1, sizeof(*r));
	if (!r)
		return error_set(err, -ENOMEM, NULL, 0, "out of memory");
	if (opts)
		r->opts = *opts;
	r->disabled_rule = -1;
	pthread_mutex_init(&r->lock, NULL);
	r->n_rules = RULE__BUILTIN_MAX;
	if (r->opts.disable_rule) {
		r->disabled_rule = rule_by_name(r->opts.disable_rule);
		if (r->disabled_rule < 0) {
			rc = error_set(err, -EINVAL, NULL, 0, "unknown rule '%s'",
			               r->opts.disable_rule);
			goto out;
		}
	}
	r->opts.disable_rule = NULL;

	/* the run key: random, used only inside the MAC context, never stored */
	if (RAND_bytes(key, sizeof(key)) != 1) {
		rc = error_set(err, -EIO, NULL, 0, "cannot get random bytes for the run key");
		goto out;
	}
	mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	r->mac = mac ? EVP_MAC_CTX_new(mac) : NULL;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	if (!r->mac || EVP_MAC_init(r->mac, key, sizeof(key), params) != 1) {
		rc = error_set(err, -EIO, NULL, 0, "cannot set up HMAC-SHA256");
		goto out;
	}
	OPENSSL_cleanse(key, sizeof(key));

	if (r->opts.rules_file) {
		struct buf data = BUF_INIT;

		r->rules_file = strdup(r->opts.rules_file);
		rc = read_file(r->opts.rules_file, &data, 4u << 20, err);
		if (rc == 0)
			rc = user_rules_parse((const uint8_t *)(data.data ? data.data : ""),
			                      data.len, r->opts.rules_file, &r->user, err);
		buf_release(&data);
		if (rc < 0)
			goto out;
		r->n_rules += user_rules_count(r->user);
	}
	r->opts.rules_file = r->rules_file;
	if (r->opts.map_file && !(r->map_file = strdup(r->opts.map_file))) {
		rc = error_set(err, -ENOMEM, NULL, 0, "out of memory");
		goto out;
	}
	r->opts.map_file = r->map_file;
	if (r->opts.pseudonymize) {
		rc = pseudo_new(r->map_file, &r->pseudo, err);
		if (rc < 0)
			goto out;
	}
	r->counts = json_array();
	for (size_t i = 0; r->counts && i < r->n_rules; i++)
		if (json_array_append_new(r->counts, json_object()) < 0) {
			json_decref(r->counts);
			r->counts = NULL;
		}
	if (!r->counts) {
		rc = error_set(err, -ENOMEM, NULL, 0, "out of memory");
		goto out;
	}
out:
	EVP_MAC_free(mac);
	OPENSSL_cleanse(key, sizeof(key));
	if (rc < 0) {
		redactor_free(r);
		return rc;
	}
	*ret = r;
	return 0;
}

void redactor_free(struct redactor *r)
{
	if (!r)
		return;
	redactor_free_sides(r);
	EVP_MAC_CTX_free(r->mac);
	user_rules_free(r->user);
	pseudo_free(r->pseudo);
	json_decref(r->counts);
	free(r->rules_file);
	free(r->map_file);
	pthread_mutex_destroy(&r->lock);
	free(r);
}

int redactor_add_name(struct redactor *r, const char *category, const char *value)
{
	int rc;

	if (!r || !r->pseudo || !value)
		return 0;
	pthread_mutex_lock(&r->lock);
	rc = pseudo_add_name(r->pseudo, category, value);
	pthread_mutex_unlock(&r->lock);
	return rc;
}

int redactor_learn(struct redactor *r, const char *member, const void *data, size_t len)
{
	struct error e = ERROR_INIT;
	json_t *docs = NULL;
	size_t i;
	json_t *d;
	int rc = 0;

	if (!r || !r->pseudo || !data || len == 0 || len > (16u << 20) ||
	    !pseudo_may_learn(data, len))
		return 0;
	if (yamljson_parse(data, len, member, &docs, &e) < 0)
		return 0;
	pthread_mutex_lock(&r->lock);
	json_array_foreach(docs, i, d)
	{
		rc = pseudo_learn_json(r->pseudo, d);
		if (rc < 0)
			break;
	}
	pthread_mutex_unlock(&r->lock);
	json_decref(docs);
	return rc;
}

int redactor_save_map(struct redactor *r, struct error *err)
{
	int rc;

	if (!r || !r->pseudo || !r->map_file)
		return 0;
	pthread_mutex_lock(&r->lock);
	rc = pseudo_save(r->pseudo, r->map_file, err);
	pthread_mutex_unlock(&r->lock);
	return rc;
}

static const char *rule_name(const struct redactor *r, size_t i)
{
	if (i < RULE__BUILTIN_MAX)
		return redact_builtin_rules[i].name;
	return user_rules_name(r->user, i - RULE__BUILTIN_MAX);
}

static const char *rule_kind(const struct redactor *r, size_t i)
{
	static const char *const user_kinds[USER_RULE__MAX] = {
		[USER_RULE_LITERAL] = "user-literal",
		[USER_RULE_REGEX] = "user-regex",
		[USER_RULE_KEY_PATH] = "user-key-path",
	};
	enum user_rule_kind k;

	if (i < RULE__BUILTIN_MAX)
		return redact_builtin_rules[i].kind;
	k = user_rules_kind(r->user, i - RULE__BUILTIN_MAX);
	return k >= 0 && k < USER_RULE__MAX ? user_kinds[k] : "user";
}

json_t *redactor_report_json(const struct redactor *r)
{
	struct redactor *rw = (struct redactor *)r; /* the lock only */
	json_t *doc, *rules;

	if (!r)
		return NULL;
	doc = json_object();
	rules = json_array();
	if (!doc || !rules) {
		json_decref(doc);
		json_decref(rules);
		return NULL;
	}
	pthread_mutex_lock(&rw->lock);
	for (size_t i = 0; i < r->n_rules; i++) {
		json_t *members = json_array_get(r->counts, i);
		json_int_t total = 0;
		const char *k;
		json_t *v;

		json_object_foreach(members, k, v) total += json_integer_value(v);
		json_array_append_new(rules, json_pack("{s:s,s:s,s:I,s:O}", "rule", rule_name(r, i),
		                                       "kind", rule_kind(r, i), "count", total,
		                                       "members", members));
	}
	json_object_set_new(doc, "format", json_string("apigee-bundle/redaction/v1"));
	json_object_set_new(doc, "rules", rules);
	json_object_set_new(doc, "pseudonymized", json_boolean(r->pseudo != NULL));
	json_object_set_new(doc, "dropped_certificates",
	                    json_integer((json_int_t)r->dropped_certificates));
	if (r->captures)
		json_object_set_new(doc, "capture_cut",
		                    json_pack("{s:I,s:I,s:I}", "captures", (json_int_t)r->captures,
		                              "frames", (json_int_t)r->capture_frames_cut, "bytes",
		                              (json_int_t)r->capture_bytes_cut));
	pthread_mutex_unlock(&rw->lock);
	return doc;
}

/* The output name of a member: credentials in its path components replaced, then
 * pseudonymized when asked. */
static char *member_name(struct redactor *r, const char *member, unsigned *ret_hits)
{
	struct buf clean = BUF_INIT, out = BUF_INIT;
	int rc;

	*ret_hits = 0;
	if (!member)
		return NULL;
	if (!r)
		return strdup(member);
	buf_init(&clean, 1u << 16);
	rc = redact_name_secrets(r, member, strlen(member), &clean, ret_hits);
	if (rc == 0 && !r->pseudo) {
		rc = buf_putc(&clean, '\0');
		return rc < 0 ? (buf_release(&clean), NULL) : buf_detach(&clean, NULL);
	}
	buf_init(&out, 1u << 16);
	if (rc < 0 || pseudo_string(r, clean.data ? clean.data : "", clean.len, &out) < 0 ||
	    buf_putc(&out, '\0') < 0) {
		buf_release(&clean);
		buf_release(&out);
		return NULL;
	}
	buf_release(&clean);
	return buf_detach(&out, NULL);
}

char *redact_member_name(struct redactor *r, const char *member)
{
	unsigned hits;

	return member_name(r, member, &hits);
}

/* ---- streams ------------------------------------------------------------------------ */

int redact_stream_begin(struct redactor *r, const char *member, struct redact_stream **ret)
{
	struct redact_stream *s;
	unsigned name_hits = 0;

	if (!r || !ret)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->r = r;
	s->dry_run = r->opts.dry_run;
	s->member = strdup(member ? member : "");
	s->out_member = member_name(r, member ? member : "", &name_hits);
	s->counts = calloc(r->n_rules, sizeof(*s->counts));
	s->fmt = redact_member_format(s->member ? s->member : "");
	/* s->json and s->yaml: made by the stages on first use */
	if (!s->member || !s->out_member || !s->counts) {
		free(s->member);
		free(s->out_member);
		free(s->counts);
		free(s);
		return -ENOMEM;
	}
	buf_init(&s->line, 0);
	buf_init(&s->sniff, 0);
	buf_init(&s->a, 0);
	buf_init(&s->b, 0);
	buf_init(&s->pem_prefix, 4096);
	while (name_hits--)
		redact_fire(s, RULE_MEMBER_NAME);
	buf_init(&s->pem_body, PEM_BODY_MAX);
	buf_init(&s->look, 0);
	*ret = s;
	return 0;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

/* A first meaningful line like "key:", "key: value", "- item" or "---". */
static bool sniff_yaml(const char *d, size_t n)
{
	size_t i = 0;

	while (i < n) {
		const char *line = d + i;
		const char *nl = memchr(line, '\n', n - i);
		size_t len = nl ? (size_t)(nl - line) : n - i;
		size_t k = 0;

		i += len + 1;
		while (k < len && (line[k] == ' ' || line[k] == '\t' || line[k] == '\r'))
			k++;
		if (k == len || line[k] == '#')
			continue;
		if (line[k] == '{' || line[k] == '[')
			return false;
		if (len - k >= 3 && memcmp(line + k, "---", 3) == 0)
			return true;
		if (line[k] == '-' && k + 1 < len && line[k + 1] == ' ')
			return true;
		if (!((line[k] >= 'A' && line[k] <= 'Z') || (line[k] >= 'a' && line[k] <= 'z') ||
		      line[k] == '_' || line[k] == '"'))
			return false;
		for (size_t j = k + 1; j < len; j++) {
			unsigned char c = (unsigned char)line[j];

			if (c == ':')
				return j + 1 == len || line[j + 1] == ' ' || line[j + 1] == '\r' ||
				       line[j + 1] == '\t';
			if (!cc_is(c, CC_KEY) && c != '"' && c != '/')
				return false;
		}
		return false;
	}
	return false;
}

static void decide_mode(struct redact_stream *s)
{
	const char *d = s->sniff.data ? s->sniff.data : "";

	if (capture_sniff(d, s->sniff.len) != CAPTURE_NONE)
		s->mode = STREAM_CAPTURE;
	else if (pemfile_candidate(s, d, s->sniff.len))
		s->mode = STREAM_PEMFILE;
	else if (ends_with(s->member, ".yaml") || ends_with(s->member, ".yml"))
		s->mode = STREAM_YAML;
	else if (ends_with(s->member, ".json") || ends_with(s->member, ".jsonl") ||
	         ends_with(s->member, ".log") || memchr(d, '\0', s->sniff.len))
		s->mode = STREAM_TEXT;
	else
		s->mode = sniff_yaml(d, s->sniff.len) ? STREAM_YAML : STREAM_TEXT;
}

static int emit(struct redact_stream *s, const void *data, size_t len)
{
	if (s->dry_run || len == 0)
		return 0;
	return s->out(s->userdata, data, len);
}

/* Does the line hold "-----" (a PEM boundary)? Found from each '-' (memchr). */
static bool has_dashes(const char *p, size_t n)
{
	for (const char *a = p; n >= 5 && (a = memchr(a, '-', n - 4 - (size_t)(a - p)));) {
		size_t k = 1;

		while (k < 5 && a[k] == '-')
			k++;
		if (k == 5)
			return true;
		a += k;
		if ((size_t)(a - p) > n - 5)
			return false;
	}
	return false;
}

/* Run one line or piece through the stages and write the result. A stage that
 * returns STAGE_UNCHANGED appended nothing: its input goes on as it is, so a line
 * nothing applies to is not copied from buffer to buffer. */
static int run_line(struct redact_stream *s, const char *in, size_t n, const struct piece *pc,
                    const char *eol, size_t eol_len)
{
	struct buf *bufs[2] = { &s->a, &s->b };
	const char *cur = in;
	size_t len = n;
	int k = 0; /* the buffer the next stage writes to */
	bool consumed = false;
	int rc;

#define NEXT_STAGE(call)                                          \
	do {                                                      \
		buf_reset(bufs[k]);                               \
		rc = (call);                                      \
		if (rc < 0)                                       \
			return rc;                                \
		if (rc != STAGE_UNCHANGED && rc != 1) {           \
			cur = bufs[k]->data ? bufs[k]->data : ""; \
			len = bufs[k]->len;                       \
			k ^= 1;                                   \
		}                                                 \
	} while (0)

	if (!pc->cont) {
		s->lineno++;
		s->raw_len = n < UINT32_MAX ? (uint32_t)n : UINT32_MAX;
	}
	s->kv_skip = 0;
	if (s->pem_state != 0 || has_dashes(in, n)) {
		buf_reset(bufs[k]);
		rc = stage_pem(s, in, n, pc, bufs[k], &consumed);
		if (rc < 0 || consumed)
			return rc;
		cur = bufs[k]->data ? bufs[k]->data : "";
		len = bufs[k]->len;
		k ^= 1;
	}
	if (s->mode == STREAM_YAML)
		NEXT_STAGE(stage_yaml(s, cur, len, pc, bufs[k]));
	else
		NEXT_STAGE(stage_json(s, cur, len, pc, bufs[k]));
	if (rc == 1)
		return 0; /* held back (a YAML block scalar being redacted) */
	NEXT_STAGE(stage_text(s, cur, len, pc, bufs[k]));
	if (s->drop_line) {
		s->drop_line = false;
		return 0;
	}
	if (s->r->user)
		NEXT_STAGE(stage_user(s, cur, len, bufs[k]));
	if (s->r->pseudo)
		NEXT_STAGE(stage_pseudo(s, cur, len, bufs[k]));
#undef NEXT_STAGE
	if (len && (rc = emit(s, cur, len)) < 0)
		return rc;
	return eol_len ? emit(s, eol, eol_len) : 0;
}

int redact_stream_emit_raw(struct redact_stream *s, const void *data, size_t len)
{
	return emit(s, data, len);
}

static int end_long_run(struct redact_stream *s)
{
	char m[64];
	size_t n;
	struct piece pc = { .partial = true, .cont = true };

	s->long_run = false;
	if (redact_fire(s, RULE_LONG_TOKEN)) {
		n = redact_mac_end(&s->long_mac, NULL, m);
	} else {
		/* disabled (tests only): the bytes are gone anyway; say so */
		redact_mac_release(&s->long_mac);
		n = (size_t)snprintf(m, sizeof(m), "<over-long token>");
	}
	return run_line(s, m, n, &pc, NULL, 0);
}

static int line_done(struct redact_stream *s, bool partial)
{
	struct piece pc = { .partial = partial, .cont = s->last_was_partial };
	const char *d = s->line.data ? s->line.data : "";
	size_t n = s->line.len;
	int rc;

	if (!partial && n && d[n - 1] == '\r')
		rc = run_line(s, d, n - 1, &pc, "\r\n", 2);
	else
		rc = run_line(s, d, n, &pc, partial ? NULL : "\n", partial ? 0 : 1);
	s->last_was_partial = partial;
	buf_reset(&s->line);
	return rc;
}

/* The last line of a member that does not end with a line break: none is added
 * (a binary stays byte for byte what it was when nothing in it is redacted). */
static int last_line(struct redact_stream *s)
{
	struct piece pc = { .partial = false, .cont = s->last_was_partial };
	const char *d = s->line.data ? s->line.data : "";
	size_t n = s->line.len;
	int rc;

	if (n && d[n - 1] == '\r')
		rc = run_line(s, d, n - 1, &pc, "\r", 1);
	else
		rc = run_line(s, d, n, &pc, NULL, 0);
	s->last_was_partial = false;
	buf_reset(&s->line);
	return rc;
}

/* The line buffer is full: hand on a piece that ends at a delimiter, or start
 * replacing a run that has none. */
static int cut_line(struct redact_stream *s)
{
	char *d = s->line.data;
	size_t n = s->line.len, i = n, limit = n > REDACT_TOKEN_MAX ? n - REDACT_TOKEN_MAX : 0;
	struct piece pc;
	int rc;

	while (i > limit && !cc_is((unsigned char)d[i - 1], CC_DELIM))
		i--;
	if (i > limit) {
		/* d[i-1] is a delimiter: the piece ends before it */
		size_t keep = n - (i - 1);
		char *rest = malloc(keep);

		if (!rest)
			return -ENOMEM;
		memcpy(rest, d + i - 1, keep);
		s->line.len = i - 1;
		rc = line_done(s, true);
		if (rc == 0)
			rc = buf_append(&s->line, rest, keep);
		free(rest);
		return rc;
	}
	/* no delimiter in the last REDACT_TOKEN_MAX bytes: find where the run starts */
	while (i > 0 && !cc_is((unsigned char)d[i - 1], CC_DELIM))
		i--;
	rc = redact_mac_begin(s->r, &s->long_mac);
	if (rc < 0)
		return rc;
	redact_mac_update(&s->long_mac, d + i, n - i);
	s->long_run = true;
	s->line.len = i;
	pc = (struct piece){ .partial = true, .cont = s->last_was_partial };
	if (i) {
		rc = run_line(s, d, i, &pc, NULL, 0);
		if (rc < 0)
			return rc;
	}
	s->last_was_partial = true;
	buf_reset(&s->line);
	return 0;
}

static int feed(struct redact_stream *s, const char *p, size_t n)
{
	uint64_t base = s->fed;
	const char *p0 = p;
	int rc;

	s->fed += n;
	if (s->look.len < REDACT_LOOK_MAX &&
	    (rc = buf_append(
	             &s->look, p,
	             n < REDACT_LOOK_MAX - s->look.len ? n : REDACT_LOOK_MAX - s->look.len)) < 0)
		return rc;

	while (n) {
		const char *nl;
		size_t take;

		if (s->long_run) {
			size_t i = 0;

			while (i < n && p[i] != '\n' && !cc_is((unsigned char)p[i], CC_DELIM))
				i++;
			redact_mac_update(&s->long_mac, p, i);
			p += i;
			n -= i;
			if (!n)
				return 0;
			rc = end_long_run(s);
			if (rc < 0)
				return rc;
			continue;
		}
		nl = memchr(p, '\n', n);
		take = nl ? (size_t)(nl - p) : n;
		if (s->line.len + take >= REDACT_LINE_MAX) {
			size_t room = REDACT_LINE_MAX - s->line.len;

			if ((rc = buf_append(&s->line, p, room)) < 0 || (rc = cut_line(s)) < 0)
				return rc;
			p += room;
			n -= room;
			continue;
		}
		if ((rc = buf_append(&s->line, p, take)) < 0)
			return rc;
		if (!nl)
			return 0;
		s->line_off = base + (uint64_t)(p - p0) + take - s->line.len;
		if ((rc = line_done(s, false)) < 0)
			return rc;
		p += take + 1;
		n -= take + 1;
	}
	return 0;
}

int redact_stream_feed_text(struct redact_stream *s, const char *data, size_t len)
{
	return feed(s, data, len);
}

/* A packet capture: from here on the bytes go to pcap_redact.c. */
static int capture_start(struct redact_stream *s)
{
	int rc = pcap_redact_begin(s, capture_sniff(s->sniff.data, s->sniff.len) == CAPTURE_GZIP,
	                           &s->cap);

	if (rc == 0)
		rc = pcap_redact_write(s->cap, s->sniff.data, s->sniff.len);
	buf_release(&s->sniff);
	return rc;
}

/* The member's bytes after UTF-16 decoding. */
static int write_decoded(void *userdata, const void *data, size_t len)
{
	struct redact_stream *s = userdata;
	int rc;

	if (s->mode == STREAM_CAPTURE)
		return pcap_redact_write(s->cap, data, len);
	if (s->mode == STREAM_PEMFILE) {
		if (s->sniff.len + len <= REDACT_PEMFILE_MAX)
			return buf_append(&s->sniff, data, len);
		/* too big for a certificate file: redact it as text */
		s->mode = STREAM_TEXT;
		rc = feed(s, s->sniff.data, s->sniff.len);
		buf_release(&s->sniff);
		return rc < 0 ? rc : feed(s, data, len);
	}
	if (s->mode == STREAM_SNIFF) {
		size_t room = REDACT_SNIFF_MAX - s->sniff.len;
		size_t take = len < room ? len : room;

		if ((rc = buf_append(&s->sniff, data, take)) < 0)
			return rc;
		if (s->sniff.len < REDACT_SNIFF_MAX)
			return 0;
		decide_mode(s);
		data = (const char *)data + take;
		len -= take;
		if (s->mode == STREAM_CAPTURE)
			return (rc = capture_start(s)) < 0 ? rc
			                                   : pcap_redact_write(s->cap, data, len);
		if (s->mode == STREAM_PEMFILE) {
			if (s->sniff.len + len <= REDACT_PEMFILE_MAX)
				return buf_append(&s->sniff, data, len);
			s->mode = STREAM_TEXT;
		}
		rc = feed(s, s->sniff.data, s->sniff.len);
		buf_release(&s->sniff);
		if (rc < 0)
			return rc;
	}
	return feed(s, data, len);
}

int redact_stream_write(struct redact_stream *s, const void *data, size_t len, redact_out_fn out,
                        void *userdata)
{
	int rc;

	if (!s)
		return -EINVAL;
	s->out = out;
	s->userdata = userdata;
	if (len == 0)
		return 0;
	if (s->dry_run && (rc = out(userdata, data, len)) < 0)
		return rc;
	/* UTF-16 (with a byte order mark) is redacted, and written, as UTF-8 text */
	return utf16_feed(&s->dec, data, len, write_decoded, s);
}

static int prefeed_decoded(void *userdata, const void *data, size_t len)
{
	return kindscan_feed(userdata, data, len);
}

int redact_stream_prefeed(struct redact_stream *s, const void *data, size_t len)
{
	int rc;

	if (!s->ks) {
		struct utf16_dec d = UTF16_DEC_INIT;

		if ((rc = kindscan_new(&s->ks)) < 0)
			return rc;
		s->ks_dec = d;
	}
	return utf16_feed(&s->ks_dec, data, len, prefeed_decoded, s->ks);
}

int redact_stream_prefeed_end(struct redact_stream *s)
{
	int rc;

	if (!s->ks)
		return 0;
	rc = utf16_end(&s->ks_dec, prefeed_decoded, s->ks);
	return rc < 0 ? rc : kindscan_end(s->ks);
}

static void stream_free(struct redact_stream *s)
{
	pcap_redact_abort(s->cap);
	kindscan_free(s->ks);
	buf_release(&s->look);
	buf_release(&s->line);
	buf_release(&s->sniff);
	buf_release(&s->a);
	buf_release(&s->b);
	buf_release(&s->pem_prefix);
	buf_release(&s->pem_body);
	redact_mac_release(&s->long_mac);
	redact_mac_release(&s->pem_mac);
	json_state_free(s->json);
	yaml_state_free(s->yaml);
	free(s->counts);
	free(s->member);
	free(s->out_member);
	free(s);
}

/* Add this stream's counts to the redactor's report. */
static int merge_counts(struct redact_stream *s)
{
	struct redactor *r = s->r;
	int rc = 0;

	pthread_mutex_lock(&r->lock);
	for (size_t i = 0; i < r->n_rules; i++) {
		json_t *members = json_array_get(r->counts, i);
		json_t *cur;

		if (!s->counts[i])
			continue;
		cur = json_object_get(members, s->out_member);
		if (json_object_set_new(
		            members, s->out_member,
		            json_integer(json_integer_value(cur) + (json_int_t)s->counts[i])) < 0)
			rc = -ENOMEM;
	}
	r->dropped_certificates += s->dropped_certificates;
	pthread_mutex_unlock(&r->lock);
	return rc;
}

/* A binary private key or key store: the member becomes one marker line. */
static int drop_der_key(struct redact_stream *s)
{
	char m[64];
	size_t n;
	int rc = 0;

	if (redact_fire(s, RULE_DER_PRIVATE_KEY)) {
		n = redact_marker(s->r, s->sniff.data, s->sniff.len, "private key", m);
		m[n++] = '\n';
		rc = emit(s, m, n);
	} else {
		rc = emit(s, s->sniff.data, s->sniff.len);
	}
	buf_release(&s->sniff);
	s->mode = STREAM_TEXT;
	return rc;
}

int redact_stream_end(struct redact_stream *s, redact_out_fn out, void *userdata)
{
	int rc = 0;

	if (!s)
		return 0;
	s->out = out;
	s->userdata = userdata;
	rc = utf16_end(&s->dec, write_decoded, s);
	if (rc < 0) {
		stream_free(s);
		return rc;
	}
	if (s->mode == STREAM_SNIFF)
		decide_mode(s);
	if (s->mode == STREAM_CAPTURE) {
		rc = s->cap ? 0 : capture_start(s);
		if (rc == 0)
			rc = pcap_redact_end(s->cap);
		s->cap = NULL;
	} else if (s->mode == STREAM_PEMFILE &&
	           pemfile_is_der_private(s->sniff.data ? s->sniff.data : "", s->sniff.len)) {
		rc = drop_der_key(s);
	} else if (s->mode == STREAM_PEMFILE && !s->r->pseudo &&
	           pemfile_is_der_cert(s->sniff.data ? s->sniff.data : "", s->sniff.len)) {
		/* a certificate is public, and binary: pass it through untouched */
		rc = emit(s, s->sniff.data, s->sniff.len);
		buf_release(&s->sniff);
		s->mode = STREAM_TEXT;
	} else if (s->mode == STREAM_PEMFILE) {
		struct buf doc = BUF_INIT;

		rc = pemfile_facts(s, s->sniff.data ? s->sniff.data : "", s->sniff.len, &doc);
		if (rc == 0) {
			/* the facts document goes through the stages like any JSON */
			s->mode = STREAM_TEXT;
			rc = feed(s, doc.data ? doc.data : "", doc.len);
		} else if (rc == 1) {
			s->mode = STREAM_TEXT;
			rc = feed(s, s->sniff.data ? s->sniff.data : "", s->sniff.len);
		}
		buf_release(&doc);
		buf_release(&s->sniff);
	} else if (s->mode == STREAM_SNIFF || s->sniff.len) {
		if (s->mode == STREAM_SNIFF)
			s->mode = STREAM_TEXT;
		rc = feed(s, s->sniff.data ? s->sniff.data : "", s->sniff.len);
		buf_release(&s->sniff);
	}
	if (rc == 0 && s->long_run)
		rc = end_long_run(s);
	if (rc == 0 && (s->line.len || s->last_was_partial))
		rc = last_line(s);
	if (rc == 0) {
		/* a block still open at the end: write its marker */
		buf_reset(&s->a);
		rc = stage_pem_finish(s, &s->a);
		if (rc == 0 && s->a.len)
			rc = emit(s, s->a.data, s->a.len);
		buf_reset(&s->a);
		if (rc == 0)
			rc = stage_yaml_finish(s, &s->a);
		if (rc == 0 && s->a.len)
			rc = emit(s, s->a.data, s->a.len);
	}
	if (rc == 0)
		rc = merge_counts(s);
	stream_free(s);
	return rc;
}

struct buf_sink {
	struct buf *b;
};

static int to_buf(void *userdata, const void *data, size_t len)
{
	struct buf_sink *bs = userdata;

	return buf_append(bs->b, data, len);
}

int redact_buffer(struct redactor *r, const char *member, const void *data, size_t len,
                  struct buf *ret, struct error *err)
{
	struct redact_stream *s = NULL;
	struct buf_sink bs = { ret };
	int rc;

	buf_init(ret, 0);
	rc = redact_stream_begin(r, member, &s);
	if (rc < 0)
		return error_set(err, rc, member, 0, "cannot start redacting '%s'", member);
	rc = redact_stream_write(s, data, len, to_buf, &bs);
	if (rc < 0) {
		redact_stream_end(s, to_buf, &bs);
		buf_release(ret);
		return error_set(err, rc, member, 0, "cannot redact '%s'", member);
	}
	rc = redact_stream_end(s, to_buf, &bs);
	if (rc < 0) {
		buf_release(ret);
		return error_set(err, rc, member, 0, "cannot redact '%s'", member);
	}
	return 0;
}

char *redact_text(struct redactor *r, const char *text)
{
	struct buf out = BUF_INIT;
	struct error err = ERROR_INIT;

	/* a neutral name: text mode, whose JSON tokenizer also finds values in prose */
	if (redact_buffer(r, "excerpt.txt", text, strlen(text), &out, &err) < 0)
		return NULL;
	if (buf_putc(&out, '\0') < 0) {
		buf_release(&out);
		return NULL;
	}
	return buf_detach(&out, NULL);
}

/* The value after "kind:" at k (a line's text from the key on) is Secret? */
static bool kind_is_secret(const char *k, size_t n)
{
	size_t i = 5;

	while (i < n && (k[i] == ' ' || k[i] == '\t' || k[i] == '"' || k[i] == '\''))
		i++;
	return n - i >= 6 && memcmp(k + i, "Secret", 6) == 0 &&
	       (n - i == 6 || !cc_is((unsigned char)k[i + 6], CC_KEY));
}

bool redact_look_kind_not_secret(const struct redact_stream *s, int col)
{
	const char *d = s->look.data ? s->look.data : "";
	size_t n = s->look.len, i = s->line_off < n ? (size_t)s->line_off : n;
	const char *nl = memchr(d + i, '\n', n - i);

	if (s->ks)
		return kindscan_yaml(s->ks, s->line_off, col); /* the whole member was read */
	if (!nl || col < 0)
		return false;
	for (i = (size_t)(nl - d) + 1; i < n;) {
		size_t e = i, ind = 0;

		while (e < n && d[e] != '\n')
			e++;
		if (e == n && s->fed > n)
			return false; /* the look-ahead ends inside the line */
		while (i + ind < e && d[i + ind] == ' ')
			ind++;
		if (i + ind < e && d[i + ind] != '#' && d[i + ind] != '\r') {
			if (ind < (size_t)col || (ind == (size_t)col && d[i + ind] == '-'))
				return false; /* the mapping ended */
			if (ind == (size_t)col && e - i - ind >= 5 &&
			    memcmp(d + i + ind, "kind:", 5) == 0)
				return !kind_is_secret(d + i + ind, e - i - ind);
		}
		i = e + 1;
	}
	return false;
}

/* ---- JSON look-ahead: skip values of the look buffer (SIZE_MAX: ran out) ---- */

static size_t j_ws(const char *d, size_t n, size_t i)
{
	while (i < n && (d[i] == ' ' || d[i] == '\t' || d[i] == '\r' || d[i] == '\n'))
		i++;
	return i;
}

static size_t j_string_end(const char *d, size_t n, size_t i)
{
	for (i++; i < n; i++) {
		if (d[i] == '\\')
			i++;
		else if (d[i] == '"')
			return i + 1;
	}
	return SIZE_MAX;
}

static size_t j_skip_value(const char *d, size_t n, size_t i)
{
	size_t depth = 0;

	i = j_ws(d, n, i);
	if (i < n && d[i] == '"')
		return j_string_end(d, n, i);
	if (i < n && (d[i] == '{' || d[i] == '[')) {
		for (; i < n; i++) {
			if (d[i] == '"') {
				i = j_string_end(d, n, i);
				if (i == SIZE_MAX)
					return i;
				i--;
			} else if (d[i] == '{' || d[i] == '[') {
				depth++;
			} else if ((d[i] == '}' || d[i] == ']') && --depth == 0) {
				return i + 1;
			}
		}
		return SIZE_MAX;
	}
	while (i < n && !strchr(",}] \t\r\n", d[i]))
		i++;
	return i < n ? i : SIZE_MAX;
}

bool redact_look_json_kind_not_secret(const struct redact_stream *s, size_t col)
{
	const char *d = s->look.data ? s->look.data : "";
	size_t n = s->look.len, i = (size_t)s->line_off + col;

	if (s->ks)
		return kindscan_json(s->ks, s->line_off + col); /* the whole member was read */
	if (s->line_off + col >= n || d[i] != '{')
		return false;
	i = j_skip_value(d, n, i);
	for (int members = 0; i != SIZE_MAX && members < 64; members++) {
		size_t ks, ke;

		i = j_ws(d, n, i);
		if (i < n && d[i] == ',')
			i = j_ws(d, n, i + 1);
		if (i >= n || d[i] != '"')
			return false; /* the parent ends, or not JSON as expected */
		ks = i + 1;
		ke = j_string_end(d, n, i);
		if (ke == SIZE_MAX)
			return false;
		i = j_ws(d, n, ke);
		if (i >= n || d[i] != ':')
			return false;
		i = j_ws(d, n, i + 1);
		if (ke - 1 - ks == 4 && memcmp(d + ks, "kind", 4) == 0)
			return i < n && d[i] == '"' &&
			       !(n - i > 8 && memcmp(d + i, "\"Secret\"", 8) == 0);
		i = j_skip_value(d, n, i);
	}
	return false;
}

/* The "entry" array of an Apigee KVM opens at col of the current line: does a
 * member after it say "encrypted": true (the maven plugin writes the entries
 * first)? Within the look-ahead window only. */
bool redact_look_json_encrypted(const struct redact_stream *s, size_t col)
{
	const char *d = s->look.data ? s->look.data : "";
	size_t n = s->look.len, i = (size_t)s->line_off + col;

	if (s->line_off + col >= n || d[i] != '[')
		return false;
	i = j_skip_value(d, n, i);
	for (int members = 0; i != SIZE_MAX && members < 64; members++) {
		size_t ks, ke;

		i = j_ws(d, n, i);
		if (i < n && d[i] == ',')
			i = j_ws(d, n, i + 1);
		if (i >= n || d[i] != '"')
			return false;
		ks = i + 1;
		ke = j_string_end(d, n, i);
		if (ke == SIZE_MAX)
			return false;
		i = j_ws(d, n, ke);
		if (i >= n || d[i] != ':')
			return false;
		i = j_ws(d, n, i + 1);
		if (ke - 1 - ks == 9 && memcmp(d + ks, "encrypted", 9) == 0)
			return n - i >= 4 && memcmp(d + i, "true", 4) == 0;
		i = j_skip_value(d, n, i);
	}
	return false;
}
