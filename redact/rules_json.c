/* SPDX-License-Identifier: Apache-2.0 */
/* Stage 2 for everything that is not YAML: a small streaming JSON tokenizer that
 * finds JSON values in the text (whole documents, pretty-printed over many lines,
 * JSON log lines behind a "kubectl logs --prefix" or a time stamp, response bodies
 * in curl traces) and redacts string values in place by their member name path:
 * Kubernetes Secret data/stringData, credential members (password, token, secret,
 * apiKey, private_key, ... case-insensitive), the last-applied-configuration of a
 * Secret, and the user's key paths. Formatting is kept byte for byte.
 *
 * Anything that is not JSON resets the tokenizer, which then looks for the next
 * '{' or '['; text between values is copied unchanged (the line rules see it). */
#include "redact_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>

#include "banned.h"

enum jst {
	J_TOP = 0,
	J_VALUE,
	J_VALUE_OR_END,
	J_KEY_OR_END,
	J_KEY,
	J_COLON,
	J_AFTER,
	J_STRING,
	J_SCALAR,
};

#define JF_SEEN_API 0x01
#define JF_SEEN_KIND 0x02
#define JF_KIND_SECRET 0x04
/* "name": names a credential: the "value" member beside it is one */
#define JF_NAME_SECRET 0x08
#define JF_NAME_AUTH 0x10
#define JF_NAME_CONTEXT 0x20
/* "encrypted": true: an Apigee KVM whose every "entry" value is a credential */
#define JF_KVM_ENCRYPTED 0x40

struct jlevel {
	char type; /* 'o' or 'a' */
	uint8_t flags;
	bool meta_of_secret; /* metadata (or below) of a Secret-ish object */
	int sens_rule;       /* every scalar below is redacted under this rule, or -1 */
	char key[REDACT_KEY_MAX];
	size_t key_len;
	bool key_long;
};

struct json_state {
	struct jlevel lv[REDACT_DEPTH_MAX + 1];
	int depth;
	enum jst st;
	bool str_is_key;
	bool esc;
	int str_rule;         /* -1: copy */
	bool str_conditional; /* credential context: only high-entropy values */
	bool str_auth;        /* keep the scheme word */
	bool str_dropping;    /* the value was replaced in an earlier piece */
	size_t str_out;       /* where the content starts in out */
	int cap_what;         /* 1 kind, 2 apiVersion, 3 name */
	char cap[REDACT_KEY_MAX];
	size_t cap_len;
	int scalar_rule;
	size_t scalar_out;
};

/* Only the top level and the fields after the levels are zeroed (16 KB a member
 * otherwise): a level is set up by push() before it is read. */
struct json_state *json_state_new(void)
{
	struct json_state *j = malloc(sizeof(*j));

	if (j) {
		memset(&j->lv[0], 0, sizeof(j->lv[0]));
		memset(&j->depth, 0, sizeof(*j) - offsetof(struct json_state, depth));
		j->str_rule = j->scalar_rule = -1;
	}
	return j;
}

void json_state_free(struct json_state *j)
{
	free(j);
}

static void reset(struct json_state *j)
{
	j->depth = 0;
	j->st = J_TOP;
	j->esc = false;
	j->str_rule = -1;
	j->str_dropping = false;
	j->scalar_rule = -1;
}

static bool secretish(const struct jlevel *l)
{
	return (l->flags & JF_KIND_SECRET) ||
	       ((l->flags & JF_SEEN_API) && !(l->flags & JF_SEEN_KIND));
}

static bool key_is(const struct jlevel *l, const char *word)
{
	return !l->key_long && l->key_len == strlen(word) && memcmp(l->key, word, l->key_len) == 0;
}

/* The user key-path rule matching the current member, or -1. */
static int user_path_rule(const struct redact_stream *s, const struct json_state *j)
{
	const char *path[REDACT_DEPTH_MAX];
	size_t lens[REDACT_DEPTH_MAX], n = 0;
	int idx;

	if (!s->r->user || !user_rules_have_key_paths(s->r->user))
		return -1;
	for (int d = 1; d <= j->depth; d++)
		if (j->lv[d].type == 'o') {
			path[n] = j->lv[d].key;
			lens[n++] = j->lv[d].key_len;
		}
	idx = user_rules_match_path(s->r->user, path, lens, n);
	return idx < 0 ? -1 : RULE__BUILTIN_MAX + idx;
}

/* The "value" of an entry of an encrypted Apigee KVM: {"encrypted": true, "entry":
 * [{"name": …, "value": …}]} (Edge, the maven plugin) or Apigee X's
 * {"keyValueEntries": [...]} (every KVM of X is encrypted), whatever the names. */
static bool kvm_entry_value(const struct json_state *j)
{
	const struct jlevel *m = j->depth >= 3 ? &j->lv[j->depth - 2] : NULL;

	return m && j->lv[j->depth - 1].type == 'a' && m->type == 'o' &&
	       (key_is(m, "keyValueEntries") ||
	        (key_is(m, "entry") && (m->flags & JF_KVM_ENCRYPTED)));
}

/* A value begins in the current level: how is it redacted? */
static int value_rule(struct redact_stream *s, struct json_state *j, bool *ret_cond, bool *ret_auth)
{
	const struct jlevel *l = &j->lv[j->depth];
	enum key_class cls;
	int u;

	*ret_cond = *ret_auth = false;
	if (l->sens_rule >= 0)
		return l->sens_rule;
	if (l->type != 'o' || l->key_long)
		return -1;
	if ((key_is(l, "data") || key_is(l, "stringData")) && secretish(l))
		return RULE_SECRET_DATA;
	if (l->meta_of_secret && key_is(l, "kubectl.kubernetes.io/last-applied-configuration"))
		return RULE_LAST_APPLIED;
	u = user_path_rule(s, j);
	if (u >= 0)
		return u;
	if (key_is(l, "value")) {
		/* {"name": "DB_PASSWORD", "value": …}; HAR cookies: every value */
		if (l->flags & (JF_NAME_SECRET | JF_NAME_AUTH | JF_NAME_CONTEXT)) {
			*ret_auth = (l->flags & JF_NAME_AUTH) != 0;
			*ret_cond = !(l->flags & (JF_NAME_SECRET | JF_NAME_AUTH));
			return RULE_NAMED_VALUE;
		}
		if (j->depth >= 3 && j->lv[j->depth - 1].type == 'a' &&
		    key_is(&j->lv[j->depth - 2], "cookies"))
			return RULE_NAMED_VALUE;
		if (kvm_entry_value(j))
			return RULE_NAMED_VALUE;
	}
	if (redact_jwk_private_member(l->key, l->key_len)) {
		*ret_cond = true;
		return RULE_JWK_PRIVATE;
	}
	cls = stream_key_class(s, l->key, l->key_len, true);
	switch (cls) {
	case KEY_AUTH:
		*ret_auth = true;
		return RULE_JSON_MEMBER;
	case KEY_SECRET:
		return RULE_JSON_MEMBER;
	case KEY_CONTEXT:
		*ret_cond = true;
		return RULE_HIGH_ENTROPY;
	default:
		return -1;
	}
}

static int push(struct redact_stream *s, struct json_state *j, char type)
{
	struct jlevel *parent = &j->lv[j->depth], *child;
	bool cond, auth;
	int rule = -1;

	if (j->depth >= REDACT_DEPTH_MAX)
		return -1;
	if (j->depth > 0)
		rule = value_rule(s, j, &cond, &auth);
	child = &j->lv[++j->depth];
	memset(child, 0, offsetof(struct jlevel, key));
	child->type = type;
	child->key_len = 0;
	child->key_long = false;
	child->sens_rule = -1;
	if (j->depth == 1)
		return 0;
	/* Secret data, a user key path, or an array under a credential member: all
	 * scalars below; an object under "secret" (a volume source) is not */
	if (parent->sens_rule >= 0)
		child->sens_rule = parent->sens_rule;
	else if (rule == RULE_SECRET_DATA || rule >= RULE__BUILTIN_MAX)
		child->sens_rule = rule;
	else if (rule == RULE_JSON_MEMBER && type == 'a')
		child->sens_rule = rule;
	child->meta_of_secret =
	        parent->type == 'o' &&
	        (parent->meta_of_secret || (key_is(parent, "metadata") && secretish(parent)));
	return 0;
}

static void after_value(struct json_state *j)
{
	j->st = j->depth == 0 ? J_TOP : J_AFTER;
}

/* Replace out[from..] by a marker (counting rule) unless it must stay. */
static int replace_tail(struct redact_stream *s, struct buf *out, size_t from, int rule, bool cond,
                        bool auth, bool quote_it)
{
	const char *v = out->data + from;
	size_t n = out->len - from;
	char m[64];
	size_t ml;

	if (n == 0 || redact_marker_at(v, n) == n)
		return 0;
	if (cond && !redact_context_value(v, n))
		return 0;
	if (auth) {
		size_t w = 0;

		while (w < n && ((v[w] >= 'A' && v[w] <= 'Z') || (v[w] >= 'a' && v[w] <= 'z')))
			w++;
		if (w > 0 && w < n && v[w] == ' ') {
			while (w < n && v[w] == ' ')
				w++;
			if (w == n || redact_marker_at(v + w, n - w) == n - w)
				return 0;
			from += w;
			v += w;
			n -= w;
		}
	}
	if (!redact_fire(s, rule))
		return 0;
	ml = redact_marker(s->r, v, n, NULL, m);
	out->len = from;
	if (quote_it && buf_putc(out, '"') < 0)
		return -ENOMEM;
	if (buf_append(out, m, ml) < 0)
		return -ENOMEM;
	return quote_it ? buf_putc(out, '"') : 0;
}

/* The input is copied lazily: in[*from..i) is pending and goes to out only when
 * out must be current (before a replacement) or at the end of the piece. */
struct lazy {
	const char *in;
	size_t from;
	struct buf *out;
};

static int flush(struct lazy *z, size_t upto)
{
	int rc = 0;

	if (upto > z->from)
		rc = buf_append(z->out, z->in + z->from, upto - z->from);
	z->from = upto;
	return rc;
}

/* The closing quote of a string is at i. */
static int end_string(struct redact_stream *s, struct json_state *j, struct lazy *z, size_t i)
{
	struct jlevel *l = &j->lv[j->depth];
	int rc = 0;

	if (j->str_is_key) {
		j->st = J_COLON;
		return 0;
	}
	if (j->cap_what == 1) {
		l->flags |= JF_SEEN_KIND;
		if (j->cap_len == 6 && memcmp(j->cap, "Secret", 6) == 0)
			l->flags |= JF_KIND_SECRET;
	} else if (j->cap_what == 2) {
		l->flags |= JF_SEEN_API;
	} else if (j->cap_what == 3 && j->cap_len < sizeof(j->cap)) {
		switch (redact_name_class(j->cap, j->cap_len)) {
		case KEY_SECRET:
			l->flags |= JF_NAME_SECRET;
			break;
		case KEY_AUTH:
			l->flags |= JF_NAME_AUTH;
			break;
		case KEY_CONTEXT:
			l->flags |= JF_NAME_CONTEXT;
			break;
		default:
			break;
		}
	}
	j->cap_what = 0;
	if (j->str_rule >= 0 && !j->str_dropping) {
		if ((rc = flush(z, i)) < 0)
			return rc;
		rc = replace_tail(s, z->out, j->str_out, j->str_rule, j->str_conditional,
		                  j->str_auth, false);
	}
	j->str_rule = -1;
	j->str_dropping = false;
	after_value(j);
	return rc;
}

/* The opening quote is at i. */
static int start_string(struct redact_stream *s, struct json_state *j, bool key, struct lazy *z,
                        size_t i)
{
	struct jlevel *l = &j->lv[j->depth];

	j->st = J_STRING;
	j->str_is_key = key;
	j->esc = false;
	j->str_rule = -1;
	j->str_dropping = false;
	j->cap_what = 0;
	if (key) {
		l->key_len = 0;
		l->key_long = false;
		return 0;
	}
	j->str_rule = value_rule(s, j, &j->str_conditional, &j->str_auth);
	if (l->type == 'o' && key_is(l, "kind"))
		j->cap_what = 1, j->cap_len = 0;
	else if (l->type == 'o' && key_is(l, "apiVersion"))
		j->cap_what = 2, j->cap_len = 0;
	else if (l->type == 'o' && key_is(l, "name"))
		j->cap_what = 3, j->cap_len = 0;
	if (j->str_rule >= 0) {
		int rc = flush(z, i + 1);

		if (rc < 0)
			return rc;
		j->str_out = z->out->len;
	}
	return 0;
}

/* The scalar ends before i. */
static int end_scalar(struct redact_stream *s, struct json_state *j, struct lazy *z, size_t i)
{
	int rc = 0;

	if (j->scalar_rule >= 0) {
		char c;

		if ((rc = flush(z, i)) < 0)
			return rc;
		c = j->scalar_out < z->out->len ? z->out->data[j->scalar_out] : 0;
		/* numbers under a credential member become marker strings; true/false/null stay */
		if ((c >= '0' && c <= '9') || c == '-')
			rc = replace_tail(s, z->out, j->scalar_out, j->scalar_rule, false, false,
			                  true);
	}
	j->scalar_rule = -1;
	after_value(j);
	return rc;
}

/* What a tokenizer step asks of the loop in stage_json(). */
enum jstep {
	JSTEP_NEXT = 0, /* the character is taken: go on after it */
	JSTEP_AGAIN,    /* the step moved the position itself */
	JSTEP_ERROR,    /* not JSON after all */
};

/* J_STRING: string content up to and with the closing quote. */
static int string_step(struct redact_stream *s, struct json_state *j, struct lazy *z,
                       const char *in, size_t n, size_t *pi)
{
	struct jlevel *l = &j->lv[j->depth];
	size_t i = *pi;
	char c = in[i];
	int rc;

	/* the hot loop: string content up to a quote or backslash */
	if (!j->esc && !j->str_is_key && !j->cap_what && c != '"' && c != '\\') {
		size_t k = i + 1;

		while (k < n && in[k] != '"' && in[k] != '\\')
			k++;
		if (j->str_dropping)
			z->from = k;
		*pi = k;
		return JSTEP_AGAIN;
	}
	if (j->esc) {
		j->esc = false;
	} else if (c == '\\') {
		j->esc = true;
	} else if (c == '"') {
		if ((rc = end_string(s, j, z, i)) < 0)
			return rc;
		return JSTEP_NEXT;
	}
	if (j->str_is_key) {
		if (l->key_len < sizeof(l->key) - 1)
			l->key[l->key_len++] = c;
		else
			l->key_long = true;
	} else if (j->cap_what && j->cap_len < sizeof(j->cap)) {
		j->cap[j->cap_len++] = c;
	}
	if (j->str_dropping)
		z->from = i + 1;
	return JSTEP_NEXT;
}

static bool scalar_char(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       c == '.' || c == '+' || c == '-';
}

/* J_SCALAR: a number, true, false or null goes on while its characters do. */
static int scalar_step(struct redact_stream *s, struct json_state *j, struct lazy *z, char c,
                       size_t i)
{
	int rc;

	if (scalar_char(c))
		return JSTEP_NEXT;
	if ((rc = end_scalar(s, j, z, i)) < 0)
		return rc;
	return JSTEP_AGAIN; /* look at c again */
}

/* An object or array opens. */
static int open_container(struct redact_stream *s, struct json_state *j, char c)
{
	if (push(s, j, c == '{' ? 'o' : 'a') < 0)
		return JSTEP_ERROR;
	j->st = c == '{' ? J_KEY_OR_END : J_VALUE_OR_END;
	return JSTEP_NEXT;
}

/* An object or array closes. */
static int close_container(struct json_state *j)
{
	j->depth--;
	after_value(j);
	return JSTEP_NEXT;
}

/* J_TOP: outside JSON, jump to the next '{' or '['. */
static int top_step(struct redact_stream *s, struct json_state *j, const char *in, size_t n,
                    size_t *pi)
{
	size_t k = *pi;

	while (k < n && in[k] != '{' && in[k] != '[')
		k++;
	*pi = k;
	if (k == n)
		return JSTEP_AGAIN;
	return open_container(s, j, in[k]);
}

static bool scalar_start(char c)
{
	return (c >= '0' && c <= '9') || c == '-' || c == 't' || c == 'f' || c == 'n';
}

/* The object opening at i is the "data" of an object whose kind is not known yet,
 * and a look ahead finds that kind, not Secret. */
static bool data_of_configmap(const struct redact_stream *s, const struct json_state *j, size_t i)
{
	const struct jlevel *l = &j->lv[j->depth];

	return j->depth > 0 && l->type == 'o' && (key_is(l, "data") || key_is(l, "stringData")) &&
	       (l->flags & JF_SEEN_API) && !(l->flags & (JF_SEEN_KIND | JF_KIND_SECRET)) &&
	       redact_look_json_kind_not_secret(s, i);
}

/* J_VALUE, J_VALUE_OR_END: a value starts (or an array ends). */
static int value_step(struct redact_stream *s, struct json_state *j, struct lazy *z, char c,
                      size_t i)
{
	bool cond, auth;
	int rc;

	if (c == '"') {
		if ((rc = start_string(s, j, false, z, i)) < 0)
			return rc;
		return JSTEP_NEXT;
	}
	if (c == '{' && data_of_configmap(s, j, i)) {
		/* "data" before "kind" (kubectl sorts the keys): a ConfigMap's data stays */
		j->lv[j->depth].flags |= JF_SEEN_KIND;
		rc = open_container(s, j, c);
		j->lv[j->depth - 1].flags &= (uint8_t)~JF_SEEN_KIND;
		return rc;
	}
	if (c == '[' && j->lv[j->depth].type == 'o' && key_is(&j->lv[j->depth], "entry") &&
	    redact_look_json_encrypted(s, i))
		j->lv[j->depth].flags |= JF_KVM_ENCRYPTED; /* "encrypted": true comes after */
	if (c == '{' || c == '[')
		return open_container(s, j, c);
	if (c == ']' && j->st == J_VALUE_OR_END && j->lv[j->depth].type == 'a')
		return close_container(j);
	if (!scalar_start(c))
		return JSTEP_ERROR;
	if (c == 't' && j->lv[j->depth].type == 'o' && key_is(&j->lv[j->depth], "encrypted"))
		j->lv[j->depth].flags |= JF_KVM_ENCRYPTED;
	j->scalar_rule = value_rule(s, j, &cond, &auth);
	if (cond)
		j->scalar_rule = -1; /* a number is no random secret */
	if (j->scalar_rule >= 0) {
		if ((rc = flush(z, i)) < 0)
			return rc;
		j->scalar_out = z->out->len;
	}
	j->st = J_SCALAR;
	return JSTEP_NEXT;
}

/* J_KEY, J_KEY_OR_END: a member name starts (or an object ends). */
static int key_step(struct redact_stream *s, struct json_state *j, struct lazy *z, char c, size_t i)
{
	int rc;

	if (c == '"') {
		if ((rc = start_string(s, j, true, z, i)) < 0)
			return rc;
		return JSTEP_NEXT;
	}
	if (c == '}' && j->lv[j->depth].type == 'o')
		return close_container(j);
	return JSTEP_ERROR;
}

/* J_AFTER: after a value, a comma or the end of its container. */
static int after_step(struct json_state *j, char c)
{
	char type = j->lv[j->depth].type;

	if (c == ',') {
		j->st = type == 'o' ? J_KEY : J_VALUE;
		return JSTEP_NEXT;
	}
	if ((c == '}' && type == 'o') || (c == ']' && type == 'a'))
		return close_container(j);
	return JSTEP_ERROR;
}

/* One step of the tokenizer at *pi, by state. */
static int json_step(struct redact_stream *s, struct json_state *j, struct lazy *z, const char *in,
                     size_t n, size_t *pi)
{
	char c = in[*pi];

	if (j->st == J_STRING)
		return string_step(s, j, z, in, n, pi);
	if (j->st == J_SCALAR)
		return scalar_step(s, j, z, c, *pi);
	if (c == ' ' || c == '\t' || c == '\r')
		return JSTEP_NEXT;
	switch (j->st) {
	case J_TOP:
		return top_step(s, j, in, n, pi);
	case J_VALUE:
	case J_VALUE_OR_END:
		return value_step(s, j, z, c, *pi);
	case J_KEY_OR_END:
	case J_KEY:
		return key_step(s, j, z, c, *pi);
	case J_COLON:
		if (c != ':')
			return JSTEP_ERROR;
		j->st = J_VALUE;
		return JSTEP_NEXT;
	case J_AFTER:
		return after_step(j, c);
	default:
		return JSTEP_ERROR;
	}
}

/* Nothing replaced in the piece: the caller keeps the input. */
static bool piece_unchanged(const struct json_state *j, const struct lazy *z,
                            const struct piece *pc)
{
	return z->from == 0 && z->out->len == 0 &&
	       !(j->st == J_STRING && pc->partial && j->str_rule >= 0) &&
	       !(j->st == J_SCALAR && !pc->partial && j->scalar_rule >= 0);
}

static int piece_keep(struct json_state *j, const struct piece *pc)
{
	if (!pc->partial && j->st == J_STRING)
		reset(j);
	else if (!pc->partial && j->st == J_SCALAR)
		after_value(j);
	if (j->st == J_STRING && pc->partial)
		j->str_out = 0;
	return STAGE_UNCHANGED;
}

/* The end of a piece: a string or scalar still open. */
static int piece_end(struct redact_stream *s, struct json_state *j, struct lazy *z,
                     const struct piece *pc, size_t n)
{
	struct buf *out = z->out;
	int rc;

	if ((rc = flush(z, n)) < 0)
		return rc;
	/* the end of a piece inside a credential value: replace what we have */
	if (j->st == J_STRING && pc->partial) {
		if (!j->str_is_key && j->str_rule >= 0 && !j->str_dropping) {
			rc = replace_tail(s, out, j->str_out, j->str_rule, false, j->str_auth,
			                  false);
			if (rc < 0)
				return rc;
			j->str_dropping = true;
		}
		j->str_out = out->len;
		return 0;
	}
	if (!pc->partial) {
		if (j->st == J_STRING)
			reset(j); /* a string cannot go over a line end: this was not JSON */
		else if (j->st == J_SCALAR)
			return end_scalar(s, j, z, n);
	}
	return 0;
}

int stage_json(struct redact_stream *s, const char *in, size_t n, const struct piece *pc,
               struct buf *out)
{
	struct json_state *j;
	struct lazy z = { in, 0, out };
	size_t i = 0;

	/* made on first use: most members of a big bundle are logs */
	if (!s->json && !(s->json = json_state_new()))
		return -ENOMEM;
	j = s->json;

	while (i < n) {
		int st = json_step(s, j, &z, in, n, &i);

		if (st < 0)
			return st;
		if (st == JSTEP_NEXT) {
			i++;
		} else if (st == JSTEP_ERROR) {
			/* not JSON after all: copy on and look for the next value */
			reset(j);
			if (in[i] != '{' && in[i] != '[')
				i++;
		}
	}
	if (piece_unchanged(j, &z, pc))
		return piece_keep(j, pc);
	return piece_end(s, j, &z, pc, n);
}
