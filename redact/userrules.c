/* SPDX-License-Identifier: Apache-2.0 */
/* User redaction rules: a YAML (or JSON) file, as schemas/redact-rules.schema.json
 * describes, adding literal strings, POSIX extended regexes and key paths:
 *
 *   format: apigee-bundle/redact-rules/v1      # optional
 *   rules:
 *     - name: customer-id
 *       literal: "ACME-12345"
 *     - name: ticket
 *       regex: "TICKET-[0-9]+"
 *       ignore_case: true
 *     - name: db-password
 *       key_path: "database.*.password"
 *
 * Literals and regexes apply to every line of every member (stage 4, after the
 * built-in rules); key paths apply to YAML and JSON values whose key path ends
 * with the given segments ("*" matches one segment). Validation is done here by
 * hand, following the schema, and names the line of a bad rule. */
#include "redact_internal.h"

#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "error.h"
#include "yamljson.h"
#include "banned.h"

#define USER_RULES_MAX 1000
#define USER_VALUE_MAX 4096
#define USER_PATH_SEGMENTS 32

struct user_rule {
	char *name;
	enum user_rule_kind kind;
	bool ignore_case;
	char *literal;
	size_t literal_len;
	regex_t re;
	bool re_ok;
	char **segs;
	size_t n_segs;
};

struct user_rules {
	struct user_rule *v;
	size_t n;
	bool have_paths;
};

static void rule_release(struct user_rule *u)
{
	free(u->name);
	free(u->literal);
	if (u->re_ok)
		regfree(&u->re);
	for (size_t i = 0; i < u->n_segs; i++)
		free(u->segs[i]);
	free(u->segs);
}

void user_rules_free(struct user_rules *u)
{
	if (!u)
		return;
	for (size_t i = 0; i < u->n; i++)
		rule_release(&u->v[i]);
	free(u->v);
	free(u);
}

size_t user_rules_count(const struct user_rules *u)
{
	return u ? u->n : 0;
}

const char *user_rules_name(const struct user_rules *u, size_t i)
{
	return u && i < u->n ? u->v[i].name : "";
}

enum user_rule_kind user_rules_kind(const struct user_rules *u, size_t i)
{
	return u && i < u->n ? u->v[i].kind : USER_RULE__INVALID;
}

bool user_rules_have_key_paths(const struct user_rules *u)
{
	return u && u->have_paths;
}

int user_rules_match_path(const struct user_rules *u, const char *const *path, const size_t *lens,
                          size_t n)
{
	for (size_t r = 0; u && r < u->n; r++) {
		const struct user_rule *x = &u->v[r];
		size_t m = x->n_segs, i;

		if (x->kind != USER_RULE_KEY_PATH || m > n || m == 0)
			continue;
		for (i = 0; i < m; i++) {
			const char *seg = x->segs[i];
			size_t k = n - m + i;

			if (strcmp(seg, "*") == 0)
				continue;
			if (strlen(seg) != lens[k] || memcmp(seg, path[k], lens[k]) != 0)
				break;
		}
		if (i == m)
			return (int)r;
	}
	return -1;
}

static bool valid_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 64)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_' || c == '.'))
			return false;
	}
	return true;
}

static int split_path(struct user_rule *x, const char *p, const char *source, unsigned line,
                      struct error *err)
{
	const char *seg = p;

	if (!*p)
		return error_set(err, -EINVAL, source, line, "rule '%s': empty key_path", x->name);
	for (;;) {
		const char *dot = strchr(seg, '.');
		size_t len = dot ? (size_t)(dot - seg) : strlen(seg);
		char **nv;

		if (len == 0)
			return error_set(err, -EINVAL, source, line,
			                 "rule '%s': empty segment in key_path", x->name);
		if (x->n_segs >= USER_PATH_SEGMENTS)
			return error_set(err, -ERANGE, source, line,
			                 "rule '%s': key_path has more than %d segments", x->name,
			                 USER_PATH_SEGMENTS);
		nv = realloc(x->segs, (x->n_segs + 1) * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		x->segs = nv;
		x->segs[x->n_segs] = strndup(seg, len);
		if (!x->segs[x->n_segs])
			return -ENOMEM;
		x->n_segs++;
		if (!dot)
			return 0;
		seg = dot + 1;
	}
}

static int parse_rule(struct user_rules *u, json_t *o, size_t idx, const char *source,
                      struct error *err)
{
	struct user_rule *x = &u->v[u->n];
	unsigned line = yamljson_line(o);
	const char *k;
	json_t *v, *name;
	int kinds = 0, rc;

	memset(x, 0, sizeof(*x));
	if (!json_is_object(o))
		return error_set(err, -EINVAL, source, line, "rules[%zu] is not a mapping", idx);
	name = json_object_get(o, "name");
	if (!json_is_string(name) || !valid_name(json_string_value(name)))
		return error_set(err, -EINVAL, source, line,
		                 "rules[%zu]: 'name' must be 1-64 characters of [A-Za-z0-9._-]",
		                 idx);
	x->name = strdup(json_string_value(name));
	if (!x->name)
		return -ENOMEM;
	u->n++; /* owned from here on */
	for (size_t i = 0; i < RULE__BUILTIN_MAX; i++)
		if (strcmp(redact_builtin_rules[i].name, x->name) == 0)
			return error_set(err, -EINVAL, source, line,
			                 "rule '%s': the name of a built-in rule", x->name);
	for (size_t i = 0; i + 1 < u->n; i++)
		if (strcmp(u->v[i].name, x->name) == 0)
			return error_set(err, -EINVAL, source, line, "rule '%s' is defined twice",
			                 x->name);
	json_object_foreach(o, k, v)
	{
		if (strcmp(k, YAMLJSON_LINE_KEY) == 0 || strcmp(k, "name") == 0 ||
		    strcmp(k, "description") == 0)
			continue;
		if (strcmp(k, "ignore_case") == 0) {
			if (!json_is_boolean(v))
				return error_set(err, -EINVAL, source, line,
				                 "rule '%s': 'ignore_case' must be true or false",
				                 x->name);
			x->ignore_case = json_is_true(v);
			continue;
		}
		if (strcmp(k, "literal") != 0 && strcmp(k, "regex") != 0 &&
		    strcmp(k, "key_path") != 0)
			return error_set(err, -EINVAL, source, line,
			                 "rule '%s': unknown member '%s'", x->name, k);
		if (!json_is_string(v) || json_string_length(v) == 0 ||
		    json_string_length(v) > USER_VALUE_MAX)
			return error_set(err, -EINVAL, source, line,
			                 "rule '%s': '%s' must be a string of 1-%d bytes", x->name,
			                 k, USER_VALUE_MAX);
		if (++kinds > 1)
			return error_set(
			        err, -EINVAL, source, line,
			        "rule '%s': needs exactly one of 'literal', 'regex', 'key_path'",
			        x->name);
		if (strcmp(k, "literal") == 0) {
			x->kind = USER_RULE_LITERAL;
			x->literal_len = json_string_length(v);
			x->literal = malloc(x->literal_len + 1);
			if (!x->literal)
				return -ENOMEM;
			memcpy(x->literal, json_string_value(v), x->literal_len + 1);
		} else if (strcmp(k, "regex") == 0) {
			x->kind = USER_RULE_REGEX;
			x->literal = strdup(json_string_value(v));
			if (!x->literal)
				return -ENOMEM;
		} else {
			x->kind = USER_RULE_KEY_PATH;
			if ((rc = split_path(x, json_string_value(v), source, line, err)) < 0)
				return rc;
			u->have_paths = true;
		}
	}
	if (kinds != 1)
		return error_set(err, -EINVAL, source, line,
		                 "rule '%s': needs exactly one of 'literal', 'regex', 'key_path'",
		                 x->name);
	if (x->kind == USER_RULE_REGEX) {
		int flags = REG_EXTENDED | (x->ignore_case ? REG_ICASE : 0);
		char msg[160];

		rc = regcomp(&x->re, x->literal, flags);
		if (rc != 0) {
			regerror(rc, &x->re, msg, sizeof(msg));
			return error_set(err, -EINVAL, source, line, "rule '%s': bad regex: %s",
			                 x->name, msg);
		}
		x->re_ok = true;
	}
	return 0;
}

int user_rules_parse(const uint8_t *data, size_t len, const char *source, struct user_rules **ret,
                     struct error *err)
{
	struct user_rules *u = NULL;
	json_t *docs = NULL, *doc, *rules, *fmt;
	const char *k;
	json_t *v;
	size_t i;
	int rc;

	*ret = NULL;
	rc = yamljson_parse(data, len, source, &docs, err);
	if (rc < 0) {
		if (err && !err->source[0])
			snprintf(err->source, sizeof(err->source), "%s", source ? source : "");
		return rc;
	}
	if (json_array_size(docs) != 1) {
		rc = error_set(err, -EINVAL, source, 0, "'%s' must hold one YAML document", source);
		goto out;
	}
	doc = json_array_get(docs, 0);
	if (!json_is_object(doc)) {
		rc = error_set(err, -EINVAL, source, 1,
		               "the rules file must be a mapping with 'rules'");
		goto out;
	}
	json_object_foreach(doc, k, v)
	{
		if (strcmp(k, YAMLJSON_LINE_KEY) != 0 && strcmp(k, "rules") != 0 &&
		    strcmp(k, "format") != 0) {
			rc = error_set(err, -EINVAL, source, yamljson_line(doc),
			               "unknown member '%s'", k);
			goto out;
		}
	}
	fmt = json_object_get(doc, "format");
	if (fmt && (!json_is_string(fmt) ||
	            strcmp(json_string_value(fmt), "apigee-bundle/redact-rules/v1") != 0)) {
		rc = error_set(err, -EINVAL, source, yamljson_line(doc),
		               "'format' must be \"apigee-bundle/redact-rules/v1\"");
		goto out;
	}
	rules = json_object_get(doc, "rules");
	if (!json_is_array(rules)) {
		rc = error_set(err, -EINVAL, source, yamljson_line(doc), "'rules' must be a list");
		goto out;
	}
	if (json_array_size(rules) > USER_RULES_MAX) {
		rc = error_set(err, -ERANGE, source, yamljson_line(doc), "more than %d rules",
		               USER_RULES_MAX);
		goto out;
	}
	u = calloc(1, sizeof(*u));
	if (!u || !(u->v = calloc(json_array_size(rules) + 1, sizeof(*u->v)))) {
		rc = error_set(err, -ENOMEM, source, 0, "out of memory");
		goto out;
	}
	json_array_foreach(rules, i, v)
	{
		rc = parse_rule(u, v, i, source, err);
		if (rc < 0) {
			if (rc == -ENOMEM)
				error_set(err, rc, source, 0, "out of memory");
			goto out;
		}
	}
	*ret = u;
	u = NULL;
	rc = 0;
out:
	user_rules_free(u);
	json_decref(docs);
	return rc;
}

/* ---- stage 4 ----------------------------------------------------------------------- */

static const char *find_ci(const char *hay, size_t n, const char *needle, size_t m)
{
	if (m == 0 || m > n)
		return NULL;
	for (size_t i = 0; i + m <= n; i++)
		if (strncasecmp(hay + i, needle, m) == 0)
			return hay + i;
	return NULL;
}

/* Apply one literal/regex rule to a stretch of text without markers. */
static int apply_text(struct redact_stream *s, const struct user_rule *x, int rule, const char *in,
                      size_t n, struct buf *out)
{
	size_t i = 0;

	while (i < n) {
		size_t ms, me;

		if (x->kind == USER_RULE_LITERAL) {
			const char *hit =
			        x->ignore_case ? find_ci(in + i, n - i, x->literal, x->literal_len)
			                       : memmem(in + i, n - i, x->literal, x->literal_len);

			if (!hit)
				break;
			ms = (size_t)(hit - in);
			me = ms + x->literal_len;
		} else {
			regmatch_t m[1];
			struct buf tmp = BUF_INIT;
			int rc;

#ifdef REG_STARTEND
			m[0].rm_so = (regoff_t)i;
			m[0].rm_eo = (regoff_t)n;
			rc = regexec(&x->re, in, 1, m, REG_STARTEND | (i ? REG_NOTBOL : 0));
#else
			if (buf_append(&tmp, in + i, n - i) < 0)
				return -ENOMEM;
			rc = regexec(&x->re, tmp.data, 1, m, i ? REG_NOTBOL : 0);
			if (rc == 0) {
				m[0].rm_so += (regoff_t)i;
				m[0].rm_eo += (regoff_t)i;
			}
#endif
			buf_release(&tmp);
			if (rc != 0)
				break;
			ms = (size_t)m[0].rm_so;
			me = (size_t)m[0].rm_eo;
			if (me <= ms) {
				/* an empty match: step over one byte */
				if (buf_append(out, in + i, ms + 1 - i) < 0)
					return -ENOMEM;
				i = ms + 1;
				continue;
			}
		}
		if (buf_append(out, in + i, ms - i) < 0 ||
		    redact_emit(s, rule, in + ms, me - ms, NULL, out) < 0)
			return -ENOMEM;
		i = me;
	}
	return buf_append(out, in + i, n - i);
}

static int apply_rule(struct redact_stream *s, const struct user_rule *x, int rule, const char *in,
                      size_t n, struct buf *out)
{
	size_t i = 0;
	int rc;

	while (i < n) {
		const char *mk = memmem(in + i, n - i, REDACT_MARKER, REDACT_MARKER_LEN);
		size_t seg = mk ? (size_t)(mk - in) : n, ml;

		if ((rc = apply_text(s, x, rule, in + i, seg - i, out)) < 0)
			return rc;
		if (!mk)
			break;
		ml = redact_marker_at(mk, n - seg);
		if (!ml)
			ml = REDACT_MARKER_LEN;
		if (buf_append(out, mk, ml) < 0)
			return -ENOMEM;
		i = seg + ml;
	}
	return 0;
}

int stage_user(struct redact_stream *s, const char *in, size_t n, struct buf *out)
{
	const struct user_rules *u = s->r->user;
	struct buf tmp = BUF_INIT, cur = BUF_INIT;
	int rc = 0;

	if (buf_append(&cur, in, n) < 0)
		return -ENOMEM;
	for (size_t r = 0; u && r < u->n && rc == 0; r++) {
		const struct user_rule *x = &u->v[r];

		if (x->kind == USER_RULE_KEY_PATH)
			continue;
		buf_reset(&tmp);
		rc = apply_rule(s, x, (int)(RULE__BUILTIN_MAX + r), cur.data ? cur.data : "",
		                cur.len, &tmp);
		if (rc == 0) {
			struct buf t = cur;

			cur = tmp;
			tmp = t;
		}
	}
	if (rc == 0)
		rc = buf_append(out, cur.data ? cur.data : "", cur.len);
	buf_release(&tmp);
	buf_release(&cur);
	return rc;
}
