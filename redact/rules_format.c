/* SPDX-License-Identifier: Apache-2.0 */
/* Line rules for credentials that come in a known format or shape (stage 3, called
 * from stage_text()):
 *
 *   - files with their own credential lines: .netrc (also "machine … password …"
 *     lines anywhere), .pgpass (host:port:db:user:password), jmxremote.password
 *     (role password);
 *   - XML elements: <Password>…</Password>, <Header name="Authorization">Basic
 *     …</Header>, <Entry name="db_password"><Value>…</Value> (the element or its
 *     name attribute judged by the key vocabulary of redact_key_class());
 *   - vendor token shapes: one table of the token prefixes with a public format
 *     (GitHub, Slack, Stripe, GitLab, npm, PyPI, Docker Hub, Vault, OpenAI-style
 *     sk-, Atlassian, DigitalOcean, Shopify, Heroku, Mailgun, Google refresh
 *     tokens, age keys, ...), Slack webhook paths, SendGrid (SG.x.y);
 *   - credentials in member names (redact_name_secrets()).
 *
 * The key vocabulary stays in rules_text.c: these rules only ask it. */
#include "redact_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "banned.h"

static bool blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

static size_t skip_blanks(const char *in, size_t n, size_t i)
{
	while (i < n && blank(in[i]))
		i++;
	return i;
}

static size_t token_end(const char *in, size_t n, size_t i)
{
	while (i < n && !blank(in[i]))
		i++;
	return i;
}

/* out gets in[from..vs), a marker for in[vs..ve) under rule. */
static int put(struct redact_stream *s, int rule, const char *in, size_t from, size_t vs, size_t ve,
               struct buf *out)
{
	if (buf_append(out, in + from, vs - from) < 0)
		return -ENOMEM;
	return redact_emit(s, rule, in + vs, ve - vs, NULL, out);
}

/* ---- .netrc ------------------------------------------------------------------------- */

static bool word_ci(const char *in, size_t b, size_t e, const char *w)
{
	return e - b == strlen(w) && strncasecmp(in + b, w, e - b) == 0;
}

/* "machine h login u password p account a", on one line or many: the token after
 * password / passwd / account. */
static int netrc_line(struct redact_stream *s, const char *in, size_t n, struct buf *out)
{
	size_t i = skip_blanks(in, n, 0), from = 0;
	bool hit = false;

	while (i < n) {
		size_t e = token_end(in, n, i), v, ve;

		if (!(word_ci(in, i, e, "password") || word_ci(in, i, e, "passwd") ||
		      word_ci(in, i, e, "account"))) {
			i = skip_blanks(in, n, e);
			continue;
		}
		v = skip_blanks(in, n, e);
		if (v >= n)
			break;
		ve = token_end(in, n, v);
		if (in[v] == '"') {
			const char *q = memchr(in + v + 1, '"', n - v - 1);

			v++;
			ve = q ? (size_t)(q - in) : n;
		}
		if (ve > v && !redact_marker_at(in + v, ve - v)) {
			if (put(s, RULE_FILE_FORMAT, in, from, v, ve, out) < 0)
				return -ENOMEM;
			from = ve;
			hit = true;
		}
		i = skip_blanks(in, n, ve);
	}
	if (!hit)
		return STAGE_UNCHANGED;
	return buf_append(out, in + from, n - from);
}

static bool netrc_like(const char *in, size_t n)
{
	size_t i = skip_blanks(in, n, 0), e = token_end(in, n, i);

	if (!(word_ci(in, i, e, "machine") || word_ci(in, i, e, "default")))
		return false;
	for (size_t k = e; k + 9 <= n; k++)
		if ((in[k] == 'p' || in[k] == 'P') && blank(in[k - 1]) &&
		    strncasecmp(in + k, "password", 8) == 0 && (k + 8 == n || blank(in[k + 8])))
			return true;
	return false;
}

/* ---- .pgpass -------------------------------------------------------------------------- */

/* host:port:database:user:password (\: escapes a colon); strict unless the member
 * is a pgpass file: the port is digits or '*', the first fields hold no blanks. */
static int pgpass_line(struct redact_stream *s, const char *in, size_t n, bool strict,
                       struct buf *out)
{
	size_t f = 0, i, start[5] = { 0 };
	size_t ve = n;

	if (n == 0 || in[0] == '#')
		return STAGE_UNCHANGED;
	for (i = 0; i < n && f < 4; i++) {
		if (in[i] == '\\') {
			i++;
			continue;
		}
		if (strict && blank(in[i]))
			return STAGE_UNCHANGED;
		if (in[i] == ':')
			start[++f] = i + 1;
	}
	if (f < 4 || start[4] >= n)
		return STAGE_UNCHANGED;
	if (strict) {
		size_t pb = start[1], pe = start[2] - 1;

		if (!(pe - pb == 1 && in[pb] == '*')) {
			/* a port: 3 to 5 digits (time stamps have 2-digit fields) */
			if (pe - pb < 3 || pe - pb > 5)
				return STAGE_UNCHANGED;
			for (size_t k = pb; k < pe; k++)
				if (in[k] < '0' || in[k] > '9')
					return STAGE_UNCHANGED;
		}
	}
	while (ve > start[4] && blank(in[ve - 1]))
		ve--;
	if (ve == start[4] || redact_marker_at(in + start[4], ve - start[4]))
		return STAGE_UNCHANGED;
	if (put(s, RULE_FILE_FORMAT, in, 0, start[4], ve, out) < 0)
		return -ENOMEM;
	return buf_append(out, in + ve, n - ve);
}

/* ---- jmxremote.password ------------------------------------------------------------------ */

static int jmx_line(struct redact_stream *s, const char *in, size_t n, struct buf *out)
{
	size_t i = skip_blanks(in, n, 0), e, v, ve = n;

	if (i >= n || in[i] == '#')
		return STAGE_UNCHANGED;
	e = token_end(in, n, i);
	v = skip_blanks(in, n, e);
	while (ve > v && blank(in[ve - 1]))
		ve--;
	if (v >= ve || redact_marker_at(in + v, ve - v))
		return STAGE_UNCHANGED;
	if (put(s, RULE_FILE_FORMAT, in, 0, v, ve, out) < 0)
		return -ENOMEM;
	return buf_append(out, in + ve, n - ve);
}

/* ---- XML -------------------------------------------------------------------------------- */

static bool xml_name_char(char c)
{
	return cc_is((unsigned char)c, CC_KEY) || c == ':';
}

/* An Apigee flow variable name (<AccessToken>request.header.token</AccessToken>
 * names where the token is, it is not one). */
static bool flow_variable(const char *v, size_t n)
{
	static const char *const prefixes[] = {
		"request.", "response.", "message.", "private.", "flow.",       "apigee.",
		"proxy.",   "target.",   "system.",  "client.",  "oauthv2",     "verifyapikey.",
		"jwt.",     "context.",  "error.",   "current.", "accesstoken", NULL,
	};

	for (size_t k = 0; k < n; k++)
		if (!(cc_is((unsigned char)v[k], CC_KEY)))
			return false;
	for (const char *const *p = prefixes; *p; p++)
		if (n > strlen(*p) && strncasecmp(v, *p, strlen(*p)) == 0)
			return true;
	return false;
}

/* The text in[vs..ve) of an element whose class is cls: replaced unless it must
 * stay. */
static int xml_text(struct redact_stream *s, enum key_class cls, const char *in, size_t from,
                    size_t vs, size_t ve, struct buf *out, bool *ret_done)
{
	size_t end = ve;
	int rc;

	*ret_done = false;
	vs = skip_blanks(in, ve, vs);
	while (ve > vs && blank(in[ve - 1]))
		ve--;
	if (cls == KEY_AUTH) {
		size_t w = vs;

		while (w < ve && ((in[w] >= 'A' && in[w] <= 'Z') || (in[w] >= 'a' && in[w] <= 'z')))
			w++;
		if (w > vs && w < ve && in[w] == ' ')
			vs = skip_blanks(in, ve, w);
	}
	if (vs >= ve || redact_marker_at(in + vs, ve - vs) == ve - vs ||
	    redact_value_is_harmless(in + vs, ve - vs))
		return 0;
	if ((in[vs] == '{' && in[ve - 1] == '}') || flow_variable(in + vs, ve - vs))
		return 0; /* an Apigee flow variable (reference) */
	if (cls == KEY_CONTEXT && !redact_context_value(in + vs, ve - vs))
		return 0;
	*ret_done = true;
	rc = put(s, RULE_XML_ELEMENT, in, from, vs, ve, out);
	/* the blanks after the text stay */
	return rc < 0 ? rc : buf_append(out, in + ve, end - ve);
}

/* The class of an element by its name (the local part) or its name="…" attribute. */
static enum key_class xml_class(const char *in, size_t nb, size_t ne, size_t ab, size_t ae)
{
	const char *colon = memchr(in + nb, ':', ne - nb);
	enum key_class cls;

	if (colon)
		nb = (size_t)(colon - in) + 1;
	cls = redact_name_class(in + nb, ne - nb);
	if (cls == KEY_PLAIN && ae > ab)
		cls = redact_name_class(in + ab, ae - ab);
	return cls;
}

/* The name="…" attribute among in[b..e): its value's bounds. */
static void xml_name_attr(const char *in, size_t b, size_t e, size_t *ret_ab, size_t *ret_ae)
{
	*ret_ab = *ret_ae = 0;
	for (size_t k = b; k + 6 < e; k++) {
		const char *q;

		if (!(blank(in[k]) && strncasecmp(in + k + 1, "name=", 5) == 0 &&
		      (in[k + 6] == '"' || in[k + 6] == '\'')))
			continue;
		q = memchr(in + k + 7, in[k + 6], e - k - 7);
		if (!q)
			return;
		*ret_ab = k + 7;
		*ret_ae = (size_t)(q - in);
		return;
	}
}

/* <property name="keyStorePassword" value="…"/>: the value attribute. The bytes
 * handled, 0 if none. */
static size_t xml_value_attr(struct redact_stream *s, enum key_class cls, const char *in, size_t i,
                             size_t b, size_t e, struct buf *out, int *ret_err)
{
	bool done;

	for (size_t k = b; k + 7 < e; k++) {
		const char *q;

		if (!(blank(in[k]) && strncasecmp(in + k + 1, "value=", 6) == 0 &&
		      (in[k + 7] == '"' || in[k + 7] == '\'')))
			continue;
		q = memchr(in + k + 8, in[k + 7], e - k - 8);
		if (!q)
			return 0;
		*ret_err = xml_text(s, cls, in, i, k + 8, (size_t)(q - in), out, &done);
		return done ? (size_t)(q - in) - i : 0;
	}
	return 0;
}

size_t redact_xml_element(struct redact_stream *s, const char *in, size_t n, size_t i,
                          struct buf *out, int *ret_err)
{
	size_t nb = i + 1, ne, gt, ab, ae, close;
	const char *g, *c;
	enum key_class cls;
	bool done;

	*ret_err = 0;
	if (nb >= n || !((in[nb] >= 'A' && in[nb] <= 'Z') || (in[nb] >= 'a' && in[nb] <= 'z')))
		return 0;
	for (ne = nb; ne < n && xml_name_char(in[ne]); ne++)
		;
	if (ne >= n || !(in[ne] == '>' || blank(in[ne])))
		return 0;
	g = memchr(in + ne, '>', n - ne);
	if (!g)
		return 0;
	gt = (size_t)(g - in);
	xml_name_attr(in, ne, gt, &ab, &ae);
	cls = xml_class(in, nb, ne, ab, ae);
	if (cls == KEY_PLAIN || cls == KEY_REF)
		return 0;
	if (g[-1] == '/')
		return xml_value_attr(s, cls, in, i, ne, gt, out, ret_err);
	c = gt + 1 < n ? memmem(in + gt + 1, n - gt - 1, "</", 2) : NULL;
	if (!c) {
		if (skip_blanks(in, n, gt + 1) == n) {
			/* the text or a <Value> follows on the next lines */
			s->xml_pending = 3;
			s->xml_pending_cls = cls;
		}
		return 0;
	}
	close = (size_t)(c - in);
	if (memchr(in + gt + 1, '<', close - gt - 1))
		return 0;
	*ret_err = xml_text(s, cls, in, i, gt + 1, close, out, &done);
	return done ? close - i : 0;
}

/* A line after an element that named a credential and left its text for later. */
static int xml_pending_line(struct redact_stream *s, const char *in, size_t n, struct buf *out)
{
	size_t i = skip_blanks(in, n, 0), gt, close;
	const char *g, *c;
	bool done;
	int rc;

	if (i >= n)
		return STAGE_UNCHANGED;
	if (in[i] != '<') {
		/* the element's text on its own line */
		s->xml_pending = 0;
		rc = xml_text(s, (enum key_class)s->xml_pending_cls, in, 0, i, n, out, &done);
		if (rc < 0)
			return rc;
		return done ? 0 : STAGE_UNCHANGED;
	}
	if (i + 1 < n && in[i + 1] == '/') {
		s->xml_pending = 0;
		return STAGE_UNCHANGED;
	}
	s->xml_pending--;
	/* only a <Value> under a credential's name: not the policy's <DisplayName> */
	if (strncasecmp(in + i, "<Value>", 7) != 0)
		return STAGE_UNCHANGED;
	g = memchr(in + i, '>', n - i);
	if (!g || g[-1] == '/')
		return STAGE_UNCHANGED;
	gt = (size_t)(g - in);
	c = gt + 1 < n ? memmem(in + gt + 1, n - gt - 1, "</", 2) : NULL;
	if (!c)
		return STAGE_UNCHANGED;
	close = (size_t)(c - in);
	if (memchr(in + gt + 1, '<', close - gt - 1))
		return STAGE_UNCHANGED;
	s->xml_pending = 0;
	rc = xml_text(s, (enum key_class)s->xml_pending_cls, in, 0, gt + 1, close, out, &done);
	if (rc < 0)
		return rc;
	if (!done)
		return STAGE_UNCHANGED;
	return buf_append(out, in + close, n - close);
}

/* ---- the line as a whole ------------------------------------------------------------------ */

/* ---- PuTTY key files: "Private-Lines: N", then N lines of the key ---------------- */

static int ppk_line(struct redact_stream *s, const char *in, size_t n, struct buf *out)
{
	size_t e = n;

	if (s->ppk_lines > 0) {
		s->ppk_lines--;
		while (e > 0 && blank(in[e - 1]))
			e--;
		if (e == 0 || redact_marker_at(in, e) == e)
			return STAGE_UNCHANGED;
		if (redact_emit(s, RULE_FILE_FORMAT, in, e, "private key", out) < 0)
			return -ENOMEM;
		return buf_append(out, in + e, n - e);
	}
	if (n > 15 && memcmp(in, "Private-Lines:", 14) == 0) {
		unsigned long v = strtoul(in + 14, NULL, 10);

		s->ppk_lines = (uint8_t)(v > 255 ? 255 : v);
	}
	return STAGE_UNCHANGED;
}

int stage_format_line(struct redact_stream *s, const char *in, size_t n, struct buf *out)
{
	int rc;

	if (s->ppk_lines > 0 || (n > 15 && in[0] == 'P')) {
		rc = ppk_line(s, in, n, out);
		if (rc != STAGE_UNCHANGED)
			return rc;
	}

	if (s->xml_pending > 0) {
		rc = xml_pending_line(s, in, n, out);
		if (rc != STAGE_UNCHANGED)
			return rc;
	}
	switch (s->fmt) {
	case FMT_NETRC:
		return netrc_line(s, in, n, out);
	case FMT_PGPASS:
		return pgpass_line(s, in, n, false, out);
	case FMT_JMXPASS:
		return jmx_line(s, in, n, out);
	default:
		break;
	}
	if (n >= 20 && netrc_like(in, n))
		return netrc_line(s, in, n, out);
	if (n >= 9 && n < 4096 && memchr(in, ':', n) && !memchr(in, ' ', n))
		return pgpass_line(s, in, n, true, out);
	return STAGE_UNCHANGED;
}

/* ---- vendor token shapes -------------------------------------------------------------------- */

static size_t run_cls(const char *in, size_t n, size_t i, uint8_t cls, const char *extra)
{
	while (i < n &&
	       (cc_is((unsigned char)in[i], cls) || (extra && in[i] && strchr(extra, in[i]))))
		i++;
	return i;
}

static bool starts(const char *in, size_t n, size_t i, const char *w)
{
	size_t m = strlen(w);

	return n - i >= m && memcmp(in + i, w, m) == 0;
}

/* The token prefixes with a public format: one row per prefix, the body that
 * follows it (characters, bounds) and the rule that counts it. */
enum {
	VP_MIXED = 1, /* the body must mix upper case, lower case and digits */
	VP_EXACT = 2, /* the body is exactly max characters */
};

struct vendor_prefix {
	const char *prefix;
	uint8_t plen;
	uint8_t min, max; /* body length; max 0 = unbounded */
	uint8_t cls;      /* CC_ALNUM, CC_B64URL, CC_HEX or an | of them */
	uint8_t flags;
	int16_t rule;
};

#define VP(p, mn, mx, c, f, r)                    \
	{                                         \
		p, sizeof(p) - 1, mn, mx, c, f, r \
	}

static const struct vendor_prefix vendor_prefixes[] = {
	/* grouped by the first character (vendor_start[] points at each group):
	 * GitHub ghp_ gho_ ghu_ ghs_ ghr_ github_pat_; GitLab gl*- and GR1348941;
	 * Grafana glsa_ glc_; Slack xox?- xapp-; Stripe sk_/rk_ live and test keys,
	 * whsec_; npm; PyPI; Docker Hub; Hugging Face; HashiCorp Vault hvs. hvb. hvr.
	 * and legacy s.<24>; OpenAI-style sk- (sk-proj-, sk-ant-); Atlassian;
	 * DigitalOcean; Shopify; Heroku; Mailgun; Postman; New Relic; Databricks;
	 * Linear; Contentful; Square; Google refresh tokens, OAuth client secrets,
	 * Cloud Storage HMAC ids; age secret keys */
	VP("github_pat_", 40, 0, CC_B64URL, 0, RULE_GITHUB_TOKEN),
	VP("ghp_", 30, 0, CC_ALNUM, 0, RULE_GITHUB_TOKEN),
	VP("gho_", 30, 0, CC_ALNUM, 0, RULE_GITHUB_TOKEN),
	VP("ghu_", 30, 0, CC_ALNUM, 0, RULE_GITHUB_TOKEN),
	VP("ghs_", 30, 0, CC_ALNUM, 0, RULE_GITHUB_TOKEN),
	VP("ghr_", 30, 0, CC_ALNUM, 0, RULE_GITHUB_TOKEN),
	VP("glpat-", 20, 0, CC_B64URL, 0, RULE_VENDOR_TOKEN),
	VP("gldt-", 20, 0, CC_B64URL, 0, RULE_VENDOR_TOKEN),
	VP("glrt-", 20, 0, CC_B64URL, 0, RULE_VENDOR_TOKEN),
	VP("glrtr-", 20, 0, CC_B64URL, 0, RULE_VENDOR_TOKEN),
	VP("glptt-", 20, 0, CC_B64URL, 0, RULE_VENDOR_TOKEN),
	VP("glft-", 20, 0, CC_B64URL, 0, RULE_VENDOR_TOKEN),
	VP("glimt-", 20, 0, CC_B64URL, 0, RULE_VENDOR_TOKEN),
	VP("glagent-", 20, 0, CC_B64URL, 0, RULE_VENDOR_TOKEN),
	VP("glcbt-", 20, 0, CC_B64URL, 0, RULE_VENDOR_TOKEN),
	VP("glsoat-", 20, 0, CC_B64URL, 0, RULE_VENDOR_TOKEN),
	VP("gloas-", 20, 0, CC_B64URL, 0, RULE_VENDOR_TOKEN),
	VP("glffct-", 20, 0, CC_B64URL, 0, RULE_VENDOR_TOKEN),
	VP("glsa_", 32, 0, CC_B64URL, 0, RULE_VENDOR_TOKEN),
	VP("glc_", 32, 0, CC_B64URL, 0, RULE_VENDOR_TOKEN),
	VP("xoxa-", 20, 0, CC_B64URL, 0, RULE_SLACK_TOKEN),
	VP("xoxb-", 20, 0, CC_B64URL, 0, RULE_SLACK_TOKEN),
	VP("xoxe-", 20, 0, CC_B64URL, 0, RULE_SLACK_TOKEN),
	VP("xoxo-", 20, 0, CC_B64URL, 0, RULE_SLACK_TOKEN),
	VP("xoxp-", 20, 0, CC_B64URL, 0, RULE_SLACK_TOKEN),
	VP("xoxr-", 20, 0, CC_B64URL, 0, RULE_SLACK_TOKEN),
	VP("xoxs-", 20, 0, CC_B64URL, 0, RULE_SLACK_TOKEN),
	VP("xapp-", 20, 0, CC_B64URL, 0, RULE_SLACK_TOKEN),
	VP("sk_live_", 16, 0, CC_ALNUM, 0, RULE_STRIPE_KEY),
	VP("sk_test_", 16, 0, CC_ALNUM, 0, RULE_STRIPE_KEY),
	VP("s.", 24, 24, CC_ALNUM, VP_MIXED | VP_EXACT, RULE_VENDOR_TOKEN),
	VP("sk-", 32, 0, CC_B64URL, VP_MIXED, RULE_VENDOR_TOKEN),
	VP("shpat_", 32, 0, CC_HEX, 0, RULE_VENDOR_TOKEN),
	VP("shpca_", 32, 0, CC_HEX, 0, RULE_VENDOR_TOKEN),
	VP("shppa_", 32, 0, CC_HEX, 0, RULE_VENDOR_TOKEN),
	VP("shpss_", 32, 0, CC_HEX, 0, RULE_VENDOR_TOKEN),
	VP("sq0csp-", 22, 0, CC_B64URL, 0, RULE_VENDOR_TOKEN),
	VP("sq0atp-", 22, 0, CC_B64URL, 0, RULE_VENDOR_TOKEN),
	VP("rk_live_", 16, 0, CC_ALNUM, 0, RULE_STRIPE_KEY),
	VP("rk_test_", 16, 0, CC_ALNUM, 0, RULE_STRIPE_KEY),
	VP("whsec_", 16, 0, CC_ALNUM, 0, RULE_STRIPE_KEY),
	VP("GR1348941", 20, 0, CC_B64URL, 0, RULE_VENDOR_TOKEN),
	VP("GOCSPX-", 24, 0, CC_B64URL, 0, RULE_VENDOR_TOKEN),
	VP("GOOG1", 50, 0, CC_ALNUM, 0, RULE_VENDOR_TOKEN),
	VP("npm_", 36, 0, CC_ALNUM, 0, RULE_VENDOR_TOKEN),
	VP("pypi-AgE", 40, 0, CC_B64URL, 0, RULE_VENDOR_TOKEN),
	VP("dckr_pat_", 20, 0, CC_B64URL, 0, RULE_VENDOR_TOKEN),
	VP("dckr_oat_", 20, 0, CC_B64URL, 0, RULE_VENDOR_TOKEN),
	VP("dop_v1_", 64, 0, CC_HEX, 0, RULE_VENDOR_TOKEN),
	VP("doo_v1_", 64, 0, CC_HEX, 0, RULE_VENDOR_TOKEN),
	VP("dor_v1_", 64, 0, CC_HEX, 0, RULE_VENDOR_TOKEN),
	VP("dapi", 32, 32, CC_HEX, VP_EXACT, RULE_VENDOR_TOKEN),
	VP("hf_", 30, 0, CC_ALNUM, VP_MIXED, RULE_VENDOR_TOKEN),
	VP("hvs.", 24, 0, CC_B64URL, 0, RULE_VENDOR_TOKEN),
	VP("hvb.", 24, 0, CC_B64URL, 0, RULE_VENDOR_TOKEN),
	VP("hvr.", 24, 0, CC_B64URL, 0, RULE_VENDOR_TOKEN),
	VP("ATATT3", 100, 0, CC_B64URL | CC_B64, 0, RULE_VENDOR_TOKEN),
	VP("ATCTT3", 100, 0, CC_B64URL | CC_B64, 0, RULE_VENDOR_TOKEN),
	VP("AGE-SECRET-KEY-1", 50, 0, CC_ALNUM, 0, RULE_VENDOR_TOKEN),
	VP("HRKU-", 30, 0, CC_B64URL, 0, RULE_VENDOR_TOKEN),
	VP("key-", 32, 32, CC_HEX, VP_EXACT, RULE_VENDOR_TOKEN),
	VP("PMAK-", 50, 0, CC_B64URL, 0, RULE_VENDOR_TOKEN),
	VP("NRAK-", 27, 0, CC_ALNUM, 0, RULE_VENDOR_TOKEN),
	VP("lin_api_", 40, 0, CC_ALNUM, 0, RULE_VENDOR_TOKEN),
	VP("CFPAT-", 40, 0, CC_B64URL, 0, RULE_VENDOR_TOKEN),
	VP("1//", 40, 0, CC_B64URL, 0, RULE_VENDOR_TOKEN),
};

/* The first row of each first character's group, + 1 (0: no prefix starts with
 * it); test_redact checks it against the table. */
static const uint8_t vendor_start[256] = {
	['g'] = 1,  ['x'] = 21, ['s'] = 29, ['r'] = 39, ['w'] = 41, ['G'] = 42,
	['n'] = 45, ['p'] = 46, ['d'] = 47, ['h'] = 53, ['A'] = 57, ['H'] = 60,
	['k'] = 61, ['P'] = 62, ['N'] = 63, ['l'] = 64, ['C'] = 65, ['1'] = 66,
};

bool redact_vendor_first(unsigned char c)
{
	return vendor_start[c] != 0;
}

static bool body_mixed(const char *b, size_t n)
{
	bool up = false, low = false, dig = false;

	for (size_t k = 0; k < n; k++) {
		up |= b[k] >= 'A' && b[k] <= 'Z';
		low |= b[k] >= 'a' && b[k] <= 'z';
		dig |= b[k] >= '0' && b[k] <= '9';
	}
	return up && low && dig;
}

/* One row at in[i]: the token's length, 0 if it does not match. */
static size_t vendor_row(const struct vendor_prefix *v, const char *in, size_t n, size_t i)
{
	size_t plen = v->plen, e, body;

	if (n - i <= plen || in[i + 1] != v->prefix[1] || memcmp(in + i, v->prefix, plen) != 0)
		return 0;
	e = run_cls(in, n, i + plen, v->cls, NULL);
	body = e - i - plen;
	if (v->flags & VP_EXACT) {
		if (body != v->max || (e < n && cc_is((unsigned char)in[e], CC_ALNUM)))
			return 0;
	} else if (!(body >= v->min || (e == n && body >= 8))) {
		return 0;
	}
	if ((v->flags & VP_MIXED) && !body_mixed(in + i + plen, body))
		return 0;
	return e - i;
}

/* An Azure AD client secret: three characters, a digit, "Q~", 31..34 more
 * ([A-Za-z0-9_~.-]). */
static size_t azure_ad_secret(const char *in, size_t n, size_t i)
{
	size_t e;

	if (n - i < 37 || in[i + 4] != 'Q' || in[i + 5] != '~' || in[i + 3] < '0' ||
	    in[i + 3] > '9')
		return 0;
	for (size_t k = i; k < i + 3; k++)
		if (!cc_is((unsigned char)in[k], CC_B64URL) && in[k] != '~' && in[k] != '.')
			return 0;
	e = run_cls(in, n, i + 6, CC_B64URL, "~.");
	if (e - i - 6 < 31 || e - i - 6 > 34 || !body_mixed(in + i + 6, e - i - 6))
		return 0;
	return e - i;
}

size_t redact_vendor_shape(const char *in, size_t n, size_t i, int *ret_rule)
{
	size_t len = 0;

	if (i > 0 && cc_is((unsigned char)in[i - 1], CC_ALNUM))
		return 0;
	*ret_rule = -1;
	if (redact_vendor_infix(in, n, i) &&
	    (i == 0 || !cc_is((unsigned char)in[i - 1], CC_B64URL)) &&
	    (len = azure_ad_secret(in, n, i)) > 0) {
		*ret_rule = RULE_VENDOR_TOKEN;
		return len;
	}
	for (size_t k = vendor_start[(unsigned char)in[i]];
	     k && k <= sizeof(vendor_prefixes) / sizeof(vendor_prefixes[0]) &&
	     vendor_prefixes[k - 1].prefix[0] == in[i];
	     k++) {
		len = vendor_row(&vendor_prefixes[k - 1], in, n, i);
		if (len) {
			*ret_rule = vendor_prefixes[k - 1].rule;
			return len;
		}
	}
	switch (in[i]) {
	case 'T':
		/* hooks.slack.com/services/T…/B…/…: the path is the credential */
		if (i >= 25 && memcmp(in + i - 25, "hooks.slack.com/services/", 25) == 0) {
			size_t e = run_cls(in, n, i, CC_ALNUM, "/_-");

			if (e - i >= 12)
				len = e - i;
		}
		*ret_rule = RULE_SLACK_WEBHOOK;
		break;
	case 'S':
		if (starts(in, n, i, "SG.")) {
			size_t a = run_cls(in, n, i + 3, CC_B64URL, NULL), b;

			if (a - i - 3 >= 16 && a < n && in[a] == '.') {
				b = run_cls(in, n, a + 1, CC_B64URL, NULL);
				if (b - a - 1 >= 16 || b == n)
					len = b - i;
			}
		}
		*ret_rule = RULE_SENDGRID_KEY;
		break;
	default:
		break;
	}
	return len;
}

/* The first character of every vendor prefix is one redact_vendor_first() takes
 * (unit tests). */
bool redact_vendor_table_ok(void)
{
	for (size_t k = 0; k < sizeof(vendor_prefixes) / sizeof(vendor_prefixes[0]); k++) {
		unsigned char c = (unsigned char)vendor_prefixes[k].prefix[0];
		size_t g = vendor_start[c];

		/* the group of c starts at g - 1 and holds every row up to k */
		if (g == 0 || g - 1 > k ||
		    vendor_prefixes[k].plen != strlen(vendor_prefixes[k].prefix))
			return false;
		for (size_t j = g - 1; j <= k; j++)
			if ((unsigned char)vendor_prefixes[j].prefix[0] != c)
				return false;
		if (g >= 2 && (unsigned char)vendor_prefixes[g - 2].prefix[0] == c)
			return false;
	}
	return true;
}

/* The leak scan's view of the same table: the row whose token starts at in[i] (a
 * word start), its length in *ret_len and a name for the refusal ("GitHub ghp_",
 * "glpat-"); NULL when no row matches. The scan calls it on every line, so a
 * prefix added to the table above is refused wherever a rule misses it. */
const char *redact_vendor_token_at(const char *in, size_t n, size_t i, size_t *ret_len)
{
	size_t nrows = sizeof(vendor_prefixes) / sizeof(vendor_prefixes[0]);

	if (i > 0 && cc_is((unsigned char)in[i - 1], CC_ALNUM))
		return NULL;
	for (size_t k = vendor_start[(unsigned char)in[i]];
	     k && k <= nrows && vendor_prefixes[k - 1].prefix[0] == in[i]; k++) {
		const struct vendor_prefix *v = &vendor_prefixes[k - 1];

		*ret_len = vendor_row(v, in, n, i);
		if (*ret_len)
			return v->rule == RULE_GITHUB_TOKEN  ? "GitHub"
			       : v->rule == RULE_SLACK_TOKEN ? "Slack"
			       : v->rule == RULE_STRIPE_KEY  ? "Stripe"
			                                     : v->prefix;
	}
	return NULL;
}

/* A made-up token for row k of the table (its prefix, a body of the fewest
 * characters it takes, mixed case and digits, or hex), NUL-terminated in buf; its
 * length, 0 past the last row (the unit tests: every row is redacted and every
 * row is refused by the leak scan). */
size_t redact_vendor_example(size_t k, char *buf, size_t cap)
{
	static const char mixed[] = "Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8Qr9St0Uv";
	static const char hex[] = "0a1b2c3d4e5f6789";
	const struct vendor_prefix *v;
	size_t body, n;

	if (k >= sizeof(vendor_prefixes) / sizeof(vendor_prefixes[0]))
		return 0;
	v = &vendor_prefixes[k];
	body = (v->flags & VP_EXACT) ? v->max : v->min;
	n = v->plen + body;
	if (n + 1 > cap)
		return 0;
	memcpy(buf, v->prefix, v->plen);
	for (size_t i = 0; i < body; i++)
		buf[v->plen + i] = v->cls == CC_HEX ? hex[i % (sizeof(hex) - 1)]
		                                    : mixed[i % (sizeof(mixed) - 1)];
	buf[n] = 0;
	return n;
}

/* The body's first characters on the line a wrap cut: a digit or a capital ("4iX",
 * not "token" of "npm_token" or "config"); the rest is judged on the next line
 * (rules_text.c's vendor_tail_rest()). */
static bool cut_piece(const char *b, size_t n)
{
	for (size_t k = 0; k < n; k++)
		if ((b[k] >= '0' && b[k] <= '9') || (b[k] >= 'A' && b[k] <= 'Z'))
			return true;
	return false;
}

/* A vendor token cut by a line wrap before its body had 8 characters: in[i..) is a
 * prefix of the table (4 characters or more, not an exact-length row) and 1 to 7
 * body characters with a digit or a capital, then only blanks to the end of the
 * line. Its length, or 0. The
 * caller knows the line is wide enough to be wrapped. */
size_t redact_vendor_cut(const char *in, size_t n, size_t i)
{
	size_t nrows = sizeof(vendor_prefixes) / sizeof(vendor_prefixes[0]), end = n;

	if (i > 0 && cc_is((unsigned char)in[i - 1], CC_ALNUM))
		return 0;
	while (end > i && blank(in[end - 1]))
		end--;
	for (size_t k = vendor_start[(unsigned char)in[i]];
	     k && k <= nrows && vendor_prefixes[k - 1].prefix[0] == in[i]; k++) {
		const struct vendor_prefix *v = &vendor_prefixes[k - 1];
		size_t e;

		if (v->plen < 4 || (v->flags & VP_EXACT) || end - i < v->plen ||
		    memcmp(in + i, v->prefix, v->plen) != 0)
			continue;
		e = run_cls(in, end, i + v->plen, v->cls, NULL);
		if (e == end && e - i - v->plen < 8 && cut_piece(in + i + v->plen, e - i - v->plen))
			return e - i;
	}
	return 0;
}

/* ---- member names ---------------------------------------------------------------------------- */

static int name_marker(struct redactor *r, const char *v, size_t n, struct buf *out)
{
	char m[64];
	size_t ml = redact_marker(r, v, n, NULL, m);

	/* "<redacted:12345678>" -> "redacted-12345678": a portable file name */
	if (ml < REDACT_MARKER_FULL)
		return -EIO;
	return buf_append(out, "redacted-", 9) < 0 ? -ENOMEM
	                                           : buf_append(out, m + REDACT_MARKER_LEN, 8);
}

/* A value in a name that is no plain word ("Hunter2", "abc123", not "policy"). */
static bool name_value_secretish(const char *v, size_t n)
{
	bool upper = false, digit = false, other = false, letter = false;

	if (n < 4 || redact_value_is_harmless(v, n))
		return false;
	if (redact_name_class(v, n) != KEY_PLAIN || redact_key_class(v, n, false) == KEY_REF)
		return false;
	for (size_t k = 0; k < n; k++) {
		upper |= v[k] >= 'A' && v[k] <= 'Z';
		digit |= v[k] >= '0' && v[k] <= '9';
		other |= !cc_is((unsigned char)v[k], CC_ALNUM);
		letter |= (v[k] >= 'a' && v[k] <= 'z') || (v[k] >= 'A' && v[k] <= 'Z');
	}
	return letter && (upper || digit || other);
}

/* "token=VALUE", "password:VALUE", "password-VALUE.txt": where the value is. */
static bool name_kv(const char *c, size_t n, size_t *ret_vs, size_t *ret_ve)
{
	for (size_t k = 1; k < n && k < REDACT_KEY_MAX; k++) {
		enum key_class cls;
		size_t ve = n;
		const char *dot;

		if (!(c[k] == '=' || c[k] == ':' || c[k] == '-' || c[k] == '_' || c[k] == ' '))
			continue;
		/* as a YAML key: "secret-volume" is the name of a Secret, not one */
		cls = c[k] == '=' || c[k] == ':' ? redact_name_class(c, k)
		                                 : redact_key_class(c, k, false);
		if (cls != KEY_SECRET && cls != KEY_AUTH)
			continue;
		if (c[k] == '=' || c[k] == ':') {
			if (k + 1 < n) {
				*ret_vs = k + 1;
				*ret_ve = n;
				return true;
			}
			return false;
		}
		dot = memrchr(c + k + 1, '.', n - k - 1);
		if (dot && (size_t)(dot - c) > k + 1 && n - (size_t)(dot - c) <= 6)
			ve = (size_t)(dot - c);
		if (name_value_secretish(c + k + 1, ve - k - 1)) {
			*ret_vs = k + 1;
			*ret_ve = ve;
			return true;
		}
	}
	return false;
}

/* One path component. */
static int name_component(struct redactor *r, const char *c, size_t n, struct buf *out,
                          unsigned *hits)
{
	size_t vs, ve, from = 0;

	if (name_kv(c, n, &vs, &ve)) {
		(*hits)++;
		if (buf_append(out, c, vs) < 0 || name_marker(r, c + vs, ve - vs, out) < 0)
			return -ENOMEM;
		return buf_append(out, c + ve, n - ve);
	}
	for (size_t i = 0; i < n; i++) {
		int rule;
		size_t len = redact_vendor_shape(c, n, i, &rule);

		if (!len)
			len = redact_name_shape(r, c, n, i);
		if (!len)
			continue;
		(*hits)++;
		if (buf_append(out, c + from, i - from) < 0 || name_marker(r, c + i, len, out) < 0)
			return -ENOMEM;
		i += len - 1;
		from = i + 1;
	}
	return buf_append(out, c + from, n - from);
}

int redact_name_secrets(struct redactor *r, const char *in, size_t n, struct buf *out,
                        unsigned *ret_hits)
{
	size_t i = 0;
	int rc = 0;

	*ret_hits = 0;
	while (i <= n && rc == 0) {
		const char *slash = memchr(in + i, '/', n - i);
		size_t e = slash ? (size_t)(slash - in) : n;

		rc = name_component(r, in + i, e - i, out, ret_hits);
		if (rc == 0 && slash)
			rc = buf_putc(out, '/');
		if (!slash)
			break;
		i = e + 1;
	}
	return rc;
}
