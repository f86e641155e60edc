/* SPDX-License-Identifier: Apache-2.0 */
/* Stage 2 for YAML members (overrides.yaml, kubectl -o yaml): a line-oriented
 * pass that tracks the key path by indentation and redacts values by key:
 * every password, *EncryptionKey, client secret, axHashSalt, private key, token,
 * API key (redact_key_class), the username of an HTTP proxy, Kubernetes Secret
 * data/stringData values, the last-applied-configuration of a Secret and the
 * user's key paths; in credential contexts (…secret, …token, …key) only values
 * that look random. Paths (sslCertPath, serviceAccountPath), references
 * (…Ref, …Secret names) and everything else stay.
 *
 * It understands "key: value", "- key: value", quoted keys and values, comments,
 * anchors and tags, block scalars ("|", ">-", …: a redacted block becomes one
 * marker line at the block's indentation), flow collections on one line
 * ("{user: a, password: b}") and multi-line scalars. Comments and layout are kept,
 * so the output is the same YAML with markers for values. Not a YAML parser: what
 * it cannot read is copied, and the line rules still apply to it. */
#include "redact_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h"

#define YF_SEEN_API 0x01
#define YF_SEEN_KIND 0x02
#define YF_KIND_SECRET 0x04
/* "name:" names a credential: the "value:" key beside it is one (env lists) */
#define YF_NAME_SECRET 0x08
#define YF_NAME_AUTH 0x10
#define YF_NAME_CONTEXT 0x20
/* "encrypted: true": an Apigee KVM whose every "entry" value is a credential */
#define YF_KVM_ENCRYPTED 0x40

struct ylevel {
	int indent;
	char key[REDACT_KEY_MAX];
	size_t key_len;
	bool key_long;
	uint8_t child_flags; /* the mapping below this key: apiVersion / kind seen */
	int sens_rule;       /* every scalar below is redacted under this rule, or -1 */
	bool meta_of_secret;
};

struct yaml_state {
	struct ylevel lv[REDACT_DEPTH_MAX + 1]; /* lv[0]: the document root */
	int n;

	/* a block scalar: 1 copied, 2 redacted (held back until it ends) */
	int block;
	int block_parent_indent;
	int block_rule;
	int block_content_indent;
	unsigned block_blank;
	struct redact_mac block_mac;

	/* the lines that continue a redacted scalar */
	bool cont;
	int cont_indent;
	int cont_rule;
	char cont_quote;

	/* the rest of an over-long line is a redacted value */
	bool piece_drop;
};

struct yaml_state *yaml_state_new(void)
{
	struct yaml_state *y = calloc(1, sizeof(*y));

	if (!y)
		return NULL;
	y->lv[0].indent = -1;
	y->lv[0].sens_rule = -1;
	return y;
}

void yaml_state_free(struct yaml_state *y)
{
	if (!y)
		return;
	redact_mac_release(&y->block_mac);
	free(y);
}

static void doc_reset(struct yaml_state *y)
{
	y->n = 0;
	memset(&y->lv[0], 0, sizeof(y->lv[0]));
	y->lv[0].indent = -1;
	y->lv[0].sens_rule = -1;
	y->cont = false;
}

static bool secretish(uint8_t f)
{
	return (f & YF_KIND_SECRET) || ((f & YF_SEEN_API) && !(f & YF_SEEN_KIND));
}

static bool word_is(const char *k, size_t n, const char *w)
{
	return n == strlen(w) && memcmp(k, w, n) == 0;
}

/* "value:" of an entry of an encrypted Apigee KVM (entry: under a mapping with
 * encrypted: true) or of Apigee X's keyValueEntries (every KVM of X is encrypted). */
static bool kvm_entry_value(const struct yaml_state *y, const struct ylevel *p, const char *key,
                            size_t klen)
{
	if (!word_is(key, klen, "value") || p->key_long)
		return false;
	if (word_is(p->key, p->key_len, "keyValueEntries"))
		return true;
	return word_is(p->key, p->key_len, "entry") && p > y->lv &&
	       ((p - 1)->child_flags & YF_KVM_ENCRYPTED);
}

/* The rule for the value of key (klen) whose parent level is p. */
static int key_rule(struct redact_stream *s, const struct yaml_state *y, const struct ylevel *p,
                    const char *key, size_t klen, bool *ret_cond, bool *ret_auth)
{
	enum key_class cls;

	*ret_cond = *ret_auth = false;
	if (p->sens_rule >= 0)
		return p->sens_rule;
	if ((word_is(key, klen, "data") || word_is(key, klen, "stringData")) &&
	    secretish(p->child_flags))
		return RULE_SECRET_DATA;
	if (p->meta_of_secret &&
	    word_is(key, klen, "kubectl.kubernetes.io/last-applied-configuration"))
		return RULE_LAST_APPLIED;
	if (s->r->user && user_rules_have_key_paths(s->r->user)) {
		const char *path[REDACT_DEPTH_MAX + 1];
		size_t lens[REDACT_DEPTH_MAX + 1], n = 0;
		int idx;

		for (int d = 1; d <= y->n && n < REDACT_DEPTH_MAX; d++) {
			path[n] = y->lv[d].key;
			lens[n++] = y->lv[d].key_len;
			if (&y->lv[d] == p)
				break;
		}
		path[n] = key;
		lens[n++] = klen;
		idx = user_rules_match_path(s->r->user, path, lens, n);
		if (idx >= 0)
			return RULE__BUILTIN_MAX + idx;
	}
	/* the proxy user name travels with its password */
	if (redact_key_eq_ci(key, klen, "username") && !p->key_long &&
	    redact_key_eq_ci(p->key, p->key_len, "httpProxy"))
		return RULE_YAML_KEY;
	if (word_is(key, klen, "value") &&
	    (p->child_flags & (YF_NAME_SECRET | YF_NAME_AUTH | YF_NAME_CONTEXT))) {
		*ret_auth = (p->child_flags & YF_NAME_AUTH) != 0;
		*ret_cond = !(p->child_flags & (YF_NAME_SECRET | YF_NAME_AUTH));
		return RULE_NAMED_VALUE;
	}
	if (kvm_entry_value(y, p, key, klen))
		return RULE_NAMED_VALUE;
	if (redact_jwk_private_member(key, klen)) {
		*ret_cond = true;
		return RULE_JWK_PRIVATE;
	}
	cls = stream_key_class(s, key, klen, false);
	switch (cls) {
	case KEY_AUTH:
		*ret_auth = true;
		return RULE_YAML_KEY;
	case KEY_SECRET:
		return RULE_YAML_KEY;
	case KEY_CONTEXT:
		*ret_cond = true;
		return RULE_HIGH_ENTROPY;
	default:
		return -1;
	}
}

/* Should this scalar (unquoted: plain) be replaced? */
static bool scalar_redactable(const char *v, size_t n, bool quoted, bool cond)
{
	if (n == 0 || redact_marker_at(v, n) == n)
		return false;
	if (!quoted && (word_is(v, n, "null") || word_is(v, n, "~") || word_is(v, n, "Null") ||
	                word_is(v, n, "NULL") || word_is(v, n, "true") || word_is(v, n, "false") ||
	                v[0] == '*'))
		return false;
	/* "16 bytes" (kubectl describe secret), ${VAR} / $(VAR) placeholders */
	if (!quoted && redact_value_is_harmless(v, n))
		return false;
	/* kubectl describe: "<set to the key 'password' in secret 'creds'>" */
	if (!quoted && n > 16 && memcmp(v, "<set to the key ", 16) == 0)
		return false;
	if (cond)
		return redact_context_value(v, n);
	return true;
}

static int put_marker(struct redact_stream *s, int rule, const char *v, size_t n, struct buf *out)
{
	return redact_emit(s, rule, v, n, NULL, out);
}

/* Replace a scalar value at in[v..n) (plain or quoted). Returns the index where
 * the copying goes on. */
static int scalar_value(struct redact_stream *s, struct yaml_state *y, const char *in, size_t n,
                        size_t v, int rule, bool cond, bool auth, int key_indent,
                        const struct piece *pc, struct buf *out, size_t *ret_next)
{
	size_t e, vs = v;
	int rc;

	*ret_next = v;
	if (in[v] == '"' || in[v] == '\'') {
		char q = in[v];

		for (e = v + 1; e < n; e++) {
			if (q == '"' && in[e] == '\\') {
				e++;
				continue;
			}
			if (in[e] == q) {
				if (q == '\'' && e + 1 < n && in[e + 1] == '\'') {
					e++;
					continue;
				}
				break;
			}
		}
		if (rule < 0)
			return 0;
		if (e >= n) {
			/* the quoted scalar goes on below (or in the next piece) */
			if (e - v - 1 == 0 && !pc->partial)
				return 0;
			if (buf_putc(out, q) < 0 ||
			    put_marker(s, rule, in + v + 1, n - v - 1, out) < 0)
				return -ENOMEM;
			*ret_next = n;
			if (pc->partial)
				y->piece_drop = true;
			y->cont = true;
			y->cont_indent = key_indent;
			y->cont_rule = rule;
			y->cont_quote = q;
			return 0;
		}
		if (!scalar_redactable(in + v + 1, e - v - 1, true, cond))
			return 0;
		if ((rc = buf_putc(out, q)) < 0 ||
		    (rc = put_marker(s, rule, in + v + 1, e - v - 1, out)) < 0)
			return rc;
		*ret_next = e; /* the closing quote is copied */
		return 0;
	}
	/* plain: up to " #" or the end, without trailing blanks */
	for (e = v; e < n; e++)
		if (in[e] == '#' && e > v && (in[e - 1] == ' ' || in[e - 1] == '\t'))
			break;
	while (e > v && (in[e - 1] == ' ' || in[e - 1] == '\t'))
		e--;
	if (rule < 0)
		return 0;
	if (auth) {
		size_t w = v;

		while (w < e && ((in[w] >= 'A' && in[w] <= 'Z') || (in[w] >= 'a' && in[w] <= 'z')))
			w++;
		if (w > v && w < e && in[w] == ' ') {
			while (w < e && in[w] == ' ')
				w++;
			vs = w;
		}
	}
	if (pc->partial && e == n) {
		if (buf_append(out, in + v, vs - v) < 0 ||
		    put_marker(s, rule, in + vs, e - vs, out) < 0)
			return -ENOMEM;
		y->piece_drop = true;
		*ret_next = n;
		return 0;
	}
	if (!scalar_redactable(in + vs, e - vs, false, cond))
		return 0;
	if (buf_append(out, in + v, vs - v) < 0 || put_marker(s, rule, in + vs, e - vs, out) < 0)
		return -ENOMEM;
	*ret_next = e;
	if (!cond) {
		/* a plain scalar may go on in more indented lines */
		y->cont = true;
		y->cont_indent = key_indent;
		y->cont_rule = rule;
		y->cont_quote = 0;
	}
	return 0;
}

/* The state of a flow collection being read. */
struct flow_state {
	struct {
		char type;
		int rule;
	} st[32];
	int d;    /* depth */
	int rule; /* of the collection's own key */
	int cur_rule;
	bool cond, auth;
	size_t start; /* copied up to here */
};

enum flow_step {
	FLOW_GO = 0, /* go on at the new position */
	FLOW_STOP,   /* the collection (or what can be read of it) ends here */
};

static int flow_open(struct flow_state *f, char c, size_t *pi)
{
	if (f->d >= 32)
		return FLOW_STOP;
	f->st[f->d].type = c;
	f->st[f->d].rule = f->d == 0 ? f->rule : f->cur_rule;
	f->d++;
	f->cur_rule = f->st[f->d - 1].rule;
	(*pi)++;
	return FLOW_GO;
}

static int flow_close(struct flow_state *f, size_t *pi)
{
	if (f->d == 0)
		return FLOW_STOP;
	f->d--;
	(*pi)++;
	if (f->d == 0)
		return FLOW_STOP;
	f->cur_rule = f->st[f->d - 1].rule;
	return FLOW_GO;
}

/* The end of a plain scalar in a flow collection: before ',', '}', ']' or a ':'
 * that ends a key. */
static size_t flow_plain_end(const char *in, size_t n, size_t i)
{
	size_t e = i;

	while (e < n && in[e] != ',' && in[e] != '}' && in[e] != ']' &&
	       !(in[e] == ':' &&
	         (e + 1 == n || in[e + 1] == ' ' || in[e + 1] == ',' || in[e + 1] == '}')))
		e++;
	while (e > i && in[e - 1] == ' ')
		e--;
	return e;
}

/* The scalar at b..e is a key of a mapping when ':' follows: its rule applies to
 * the value after it. */
static bool flow_key(struct redact_stream *s, struct yaml_state *y, const struct ylevel *parent,
                     struct flow_state *f, const char *in, size_t n, size_t b, size_t e,
                     bool quoted, size_t *pi)
{
	size_t k = e;

	while (k < n && in[k] == ' ')
		k++;
	if (!(k < n && in[k] == ':' && f->st[f->d - 1].type == '{'))
		return false;
	if (f->st[f->d - 1].rule >= 0)
		f->cur_rule = f->st[f->d - 1].rule;
	else
		f->cur_rule = key_rule(s, y, parent, in + b + (quoted ? 1 : 0),
		                       e - b - (quoted ? 2 : 0), &f->cond, &f->auth);
	*pi = k + 1;
	return true;
}

/* Replace the value scalar b..e (quotes included when quoted). */
static int flow_value(struct redact_stream *s, struct flow_state *f, const char *in, size_t b,
                      size_t e, bool quoted, struct buf *out)
{
	const char *v = in + b + (quoted ? 1 : 0);
	size_t vlen = e - b - (quoted ? 2 : 0);

	if (f->cur_rule < 0 || !scalar_redactable(v, vlen, quoted, f->cond))
		return 0;
	if (buf_append(out, in + f->start, b - f->start) < 0 ||
	    (quoted && buf_putc(out, in[b]) < 0) || put_marker(s, f->cur_rule, v, vlen, out) < 0 ||
	    (quoted && buf_putc(out, in[b]) < 0))
		return -ENOMEM;
	f->start = e;
	return 0;
}

/* A scalar in the collection: a key (followed by ':') or a value. */
static int flow_scalar(struct redact_stream *s, struct yaml_state *y, const struct ylevel *parent,
                       struct flow_state *f, const char *in, size_t n, size_t *pi, struct buf *out)
{
	size_t b = *pi, e;
	char c = in[b];
	bool quoted = c == '"' || c == '\'';
	int rc;

	if (quoted) {
		for (e = b + 1; e < n && in[e] != c; e++)
			if (c == '"' && in[e] == '\\')
				e++;
		if (e >= n)
			return FLOW_STOP;
		e++;
	} else {
		e = flow_plain_end(in, n, b);
		if (e == b) {
			/* a stray ':' (not a key here): step over it */
			(*pi)++;
			return FLOW_GO;
		}
	}
	if (flow_key(s, y, parent, f, in, n, b, e, quoted, pi))
		return FLOW_GO;
	if ((rc = flow_value(s, f, in, b, e, quoted, out)) < 0)
		return rc;
	*pi = e;
	return FLOW_GO;
}

/* One step of a flow collection at *pi. */
static int flow_step(struct redact_stream *s, struct yaml_state *y, const struct ylevel *parent,
                     struct flow_state *f, const char *in, size_t n, size_t *pi, struct buf *out)
{
	char c = in[*pi];

	switch (c) {
	case ' ':
	case '\t':
		(*pi)++;
		return FLOW_GO;
	case '{':
	case '[':
		return flow_open(f, c, pi);
	case '}':
	case ']':
		return flow_close(f, pi);
	case ',':
		f->cur_rule = f->d ? f->st[f->d - 1].rule : f->rule;
		f->cond = f->auth = false;
		(*pi)++;
		return FLOW_GO;
	default:
		if (c == '#' || f->d == 0)
			return FLOW_STOP;
		return flow_scalar(s, y, parent, f, in, n, pi, out);
	}
}

/* A flow collection on one line: "{user: a, password: b}", "[a, b]". */
static int flow(struct redact_stream *s, struct yaml_state *y, const struct ylevel *parent,
                const char *in, size_t n, size_t i, int rule, struct buf *out, size_t *ret_next)
{
	struct flow_state f;
	int rc = FLOW_GO;

	memset(&f, 0, sizeof(f));
	f.rule = f.cur_rule = rule;
	f.start = i;
	while (i < n && rc == FLOW_GO)
		rc = flow_step(s, y, parent, &f, in, n, &i, out);
	if (rc < 0)
		return rc;
	if (buf_append(out, in + f.start, i - f.start) < 0)
		return -ENOMEM;
	*ret_next = i;
	return 0;
}

static int block_flush(struct redact_stream *s, struct yaml_state *y, struct buf *out, bool raw)
{
	char m[64];
	size_t ml;
	struct buf tmp = BUF_INIT;
	struct buf *o = raw ? &tmp : out;
	int indent =
	        y->block_content_indent >= 0 ? y->block_content_indent : y->block_parent_indent + 2;
	int rc = 0;

	if (indent < 1)
		indent = 1;
	y->block = 0;
	if (!redact_fire(s, y->block_rule)) {
		/* disabled (tests): the content is gone; keep the YAML valid */
		redact_mac_release(&y->block_mac);
		ml = (size_t)snprintf(m, sizeof(m), "<block removed>");
	} else {
		ml = redact_mac_end(&y->block_mac, NULL, m);
	}
	for (int k = 0; k < indent && rc == 0; k++)
		rc = buf_putc(o, ' ');
	if (rc == 0)
		rc = buf_append(o, m, ml);
	if (rc == 0)
		rc = buf_putc(o, '\n');
	for (unsigned k = 0; k < y->block_blank && rc == 0; k++)
		rc = buf_putc(o, '\n');
	y->block_blank = 0;
	if (raw && rc == 0)
		rc = redact_stream_emit_raw(s, tmp.data, tmp.len);
	buf_release(&tmp);
	return rc;
}

int stage_yaml_finish(struct redact_stream *s, struct buf *out)
{
	struct yaml_state *y = s->yaml;

	if (y && y->block == 2)
		return block_flush(s, y, out, false);
	return 0;
}

static int indent_of(const char *in, size_t n)
{
	size_t i = 0;

	while (i < n && in[i] == ' ')
		i++;
	return (int)i;
}

static bool blank_rest(const char *in, size_t n, size_t i)
{
	for (; i < n; i++)
		if (in[i] != ' ' && in[i] != '\t' && in[i] != '\r')
			return false;
	return true;
}

/* "|", "|-", ">+2", optionally followed by a comment. */
static bool block_indicator(const char *in, size_t n, size_t v)
{
	size_t i = v + 1;

	if (in[v] != '|' && in[v] != '>')
		return false;
	while (i < n && (in[i] == '-' || in[i] == '+' || (in[i] >= '1' && in[i] <= '9')))
		i++;
	while (i < n && (in[i] == ' ' || in[i] == '\t'))
		i++;
	return i == n || in[i] == '#';
}

static void pop_to(struct yaml_state *y, int indent, bool inclusive)
{
	while (y->n > 0 &&
	       (y->lv[y->n].indent > indent || (inclusive && y->lv[y->n].indent == indent)))
		y->n--;
}

/* Where the key of "key: value" at in[p] ends (the ':'), or 0. */
static size_t find_key(const char *in, size_t n, size_t p, size_t *ret_kb, size_t *ret_ke)
{
	size_t e;

	if (in[p] == '"' || in[p] == '\'') {
		char q = in[p];

		for (e = p + 1; e < n && in[e] != q; e++)
			if (q == '"' && in[e] == '\\')
				e++;
		if (e >= n)
			return 0;
		*ret_kb = p + 1;
		*ret_ke = e;
		e++;
		while (e < n && in[e] == ' ')
			e++;
		if (e < n && in[e] == ':' && (e + 1 == n || in[e + 1] == ' ' || in[e + 1] == '\t'))
			return e;
		return 0;
	}
	if (strchr("-?:,[]{}#&*!|>'\"%@`", in[p]))
		return 0;
	for (e = p; e < n; e++) {
		if (in[e] == ':' && (e + 1 == n || in[e + 1] == ' ' || in[e + 1] == '\t')) {
			size_t ke = e;

			while (ke > p && in[ke - 1] == ' ')
				ke--;
			*ret_kb = p;
			*ret_ke = ke;
			return e;
		}
		if (in[e] == '#' && e > p && in[e - 1] == ' ')
			return 0;
	}
	return 0;
}

static int value_part(struct redact_stream *s, struct yaml_state *y, const struct ylevel *parent,
                      const char *in, size_t n, size_t v, int rule, bool cond, bool auth,
                      int key_indent, int block_parent, const struct piece *pc, struct buf *out)
{
	size_t next = v;
	int rc;

	/* anchors and tags before the value */
	while (v < n && (in[v] == '&' || in[v] == '!')) {
		while (v < n && in[v] != ' ')
			v++;
		while (v < n && in[v] == ' ')
			v++;
	}
	if (buf_append(out, in + next, v - next) < 0)
		return -ENOMEM;
	next = v;
	if (v >= n || in[v] == '#') {
		/* nothing on this line: a nested node or a scalar on the next lines */
		if (rule == RULE_YAML_KEY && !cond) {
			y->cont = true;
			y->cont_indent = key_indent;
			y->cont_rule = rule;
			y->cont_quote = 0;
		}
	} else if (block_indicator(in, n, v)) {
		y->block = rule >= 0 && rule != s->r->disabled_rule ? 2 : 1;
		y->block_parent_indent = block_parent;
		y->block_rule = rule;
		y->block_content_indent = -1;
		y->block_blank = 0;
		if (y->block == 2 && (rc = redact_mac_begin(s->r, &y->block_mac)) < 0)
			return rc;
	} else if (in[v] == '{' || in[v] == '[') {
		if ((rc = flow(s, y, parent, in, n, v, cond ? -1 : rule, out, &next)) < 0)
			return rc;
	} else {
		if ((rc = scalar_value(s, y, in, n, v, rule, cond, auth, key_indent, pc, out,
		                       &next)) < 0)
			return rc;
	}
	return buf_append(out, in + next, n - next);
}

/* The rest of an over-long line (pc->cont). */
static int cont_piece(struct redact_stream *s, struct yaml_state *y, const char *in, size_t n,
                      const struct piece *pc, struct buf *out)
{
	if (y->block == 2) {
		redact_mac_update(&y->block_mac, in, n);
		return 1;
	}
	if (y->piece_drop) {
		if (!pc->partial)
			y->piece_drop = false;
		return 0;
	}
	return buf_append(out, in, n);
}

/* Inside a block scalar ("|", ">"): a line of it (*ret_done), or its end. */
static int block_line(struct redact_stream *s, struct yaml_state *y, const char *in, size_t n,
                      int indent, bool blank, struct buf *out, bool *ret_done)
{
	int rc;

	*ret_done = true;
	if (blank) {
		if (y->block == 1)
			return buf_append(out, in, n);
		y->block_blank++;
		return 1;
	}
	if (indent > y->block_parent_indent) {
		if (y->block == 1)
			return buf_append(out, in, n);
		if (y->block_content_indent < 0)
			y->block_content_indent = indent;
		for (; y->block_blank; y->block_blank--)
			redact_mac_update(&y->block_mac, "\n", 1);
		redact_mac_update(&y->block_mac, in, n);
		redact_mac_update(&y->block_mac, "\n", 1);
		return 1;
	}
	*ret_done = false;
	if (y->block == 2 && (rc = block_flush(s, y, out, true)) < 0)
		return rc;
	y->block = 0;
	return 0;
}

/* A scalar being replaced goes on in a more indented line (*ret_done), or ends. */
static int cont_line(struct redact_stream *s, struct yaml_state *y, const char *in, size_t n,
                     int indent, bool blank, const struct piece *pc, struct buf *out,
                     bool *ret_done)
{
	const char *q;

	*ret_done = false;
	if (blank || indent <= y->cont_indent || in[indent] == '#') {
		if (!blank)
			y->cont = false;
		return 0;
	}
	*ret_done = true;
	q = y->cont_quote ? memchr(in + indent, y->cont_quote, n - (size_t)indent) : NULL;
	if (buf_append(out, in, (size_t)indent) < 0 ||
	    put_marker(s, y->cont_rule, in + indent, n - (size_t)indent, out) < 0)
		return -ENOMEM;
	if (q) {
		y->cont = false;
		if (buf_putc(out, y->cont_quote) < 0)
			return -ENOMEM;
	}
	if (pc->partial)
		y->piece_drop = true;
	return 0;
}

/* "---" or "..." alone: a document boundary. */
static bool doc_marker(const char *in, size_t n, int indent)
{
	size_t rest = n - (size_t)indent;

	return rest >= 3 &&
	       (memcmp(in + indent, "---", 3) == 0 || memcmp(in + indent, "...", 3) == 0) &&
	       (rest == 3 || in[indent + 3] == ' ');
}

/* Sequence items "- ", "- - ": skips them (*pi), the column of the first dash or -1. */
static int seq_items(const char *in, size_t n, size_t *pi)
{
	size_t p = *pi;
	int dash_col = -1;

	while (p < n && in[p] == '-' && (p + 1 == n || in[p + 1] == ' ')) {
		if (dash_col < 0)
			dash_col = (int)p;
		p++;
		while (p < n && in[p] == ' ')
			p++;
	}
	*pi = p;
	return dash_col;
}

/* A new level for key at column p under parent. */
static void push_key(struct yaml_state *y, const struct ylevel *parent, int p, const char *key,
                     size_t klen, int rule, bool cond)
{
	struct ylevel *l;

	if (y->n >= REDACT_DEPTH_MAX)
		return;
	l = &y->lv[++y->n];
	l->indent = p;
	l->key_long = klen >= sizeof(l->key);
	l->key_len = l->key_long ? sizeof(l->key) - 1 : klen;
	memcpy(l->key, key, l->key_len);
	l->child_flags = 0;
	l->sens_rule = -1;
	if (rule == RULE_SECRET_DATA || rule == RULE_LAST_APPLIED || rule >= RULE__BUILTIN_MAX ||
	    (rule == RULE_YAML_KEY && !cond))
		l->sens_rule = rule;
	l->meta_of_secret = parent->meta_of_secret ||
	                    (word_is(key, klen, "metadata") && secretish(parent->child_flags));
}

/* The value of kind: is Secret, plain or quoted ("Secret", 'Secret'), before the
 * end of the line or a comment. */
static bool is_secret_kind(const char *v, size_t n)
{
	size_t q = n > 0 && (v[0] == '"' || v[0] == '\'') ? 1 : 0;
	size_t e = q + 6;

	if (n < e || memcmp(v + q, "Secret", 6) != 0)
		return false;
	if (q) {
		if (e >= n || v[e] != v[0])
			return false;
		e++;
	}
	return e == n || v[e] == ' ' || v[e] == '\t' || v[e] == '#';
}

/* name: DB_PASSWORD (plain or quoted, up to a comment) marks the mapping. */
static void note_name(struct ylevel *parent, const char *v, size_t n)
{
	size_t b = 0, e;

	if (n && (v[0] == '"' || v[0] == '\'')) {
		const char *q = memchr(v + 1, v[0], n - 1);

		if (!q)
			return;
		b = 1;
		e = (size_t)(q - v);
	} else {
		for (e = 0; e < n && v[e] != ' ' && v[e] != '\t' && v[e] != '#'; e++)
			;
	}
	switch (redact_name_class(v + b, e - b)) {
	case KEY_SECRET:
		parent->child_flags |= YF_NAME_SECRET;
		break;
	case KEY_AUTH:
		parent->child_flags |= YF_NAME_AUTH;
		break;
	case KEY_CONTEXT:
		parent->child_flags |= YF_NAME_CONTEXT;
		break;
	default:
		break;
	}
}

/* kind: Secret and apiVersion: mark the mapping they are in. */
static void note_kind(struct ylevel *parent, const char *key, size_t klen, const char *in, size_t n,
                      size_t v)
{
	if (word_is(key, klen, "kind")) {
		parent->child_flags |= YF_SEEN_KIND;
		if (is_secret_kind(in + v, n - v))
			parent->child_flags |= YF_KIND_SECRET;
	} else if (word_is(key, klen, "apiVersion")) {
		parent->child_flags |= YF_SEEN_API;
	} else if (word_is(key, klen, "name")) {
		note_name(parent, in + v, n - v);
	} else if (word_is(key, klen, "encrypted") && n - v >= 4 &&
	           memcmp(in + v, "true", 4) == 0) {
		parent->child_flags |= YF_KVM_ENCRYPTED;
	}
}

/* "key: value" with the key at column p, its ':' at colon. */
static int key_line(struct redact_stream *s, struct yaml_state *y, const char *in, size_t n,
                    size_t p, size_t colon, size_t kb, size_t ke, const struct piece *pc,
                    struct buf *out)
{
	struct ylevel *parent;
	bool cond, auth;
	const char *key = in + kb;
	size_t klen = ke - kb, v;
	int rule;

	pop_to(y, (int)p, true);
	parent = &y->lv[y->n];
	rule = key_rule(s, y, parent, key, klen, &cond, &auth);
	/* data before kind (kubectl sorts the keys): a ConfigMap's data stays */
	if (rule == RULE_SECRET_DATA && !(parent->child_flags & YF_SEEN_KIND) &&
	    redact_look_kind_not_secret(s, (int)p))
		rule = -1;
	push_key(y, parent, (int)p, key, klen, rule, cond);
	v = colon + 1;
	while (v < n && (in[v] == ' ' || in[v] == '\t'))
		v++;
	note_kind(parent, key, klen, in, n, v);
	s->kv_skip = colon + 1;
	if (buf_append(out, in, v) < 0)
		return -ENOMEM;
	return value_part(s, y, parent, in, n, v, rule, cond, auth, (int)p, (int)p, pc, out);
}

int stage_yaml(struct redact_stream *s, const char *in, size_t n, const struct piece *pc,
               struct buf *out)
{
	struct yaml_state *y;
	int indent, dash_col, rc;
	size_t p, kb = 0, ke = 0, colon;
	bool blank, done;

	/* made on first use: most members of a big bundle are logs */
	if (!s->yaml && !(s->yaml = yaml_state_new()))
		return -ENOMEM;
	y = s->yaml;

	if (pc->cont)
		return cont_piece(s, y, in, n, pc, out);
	y->piece_drop = false;
	indent = indent_of(in, n);
	blank = blank_rest(in, n, (size_t)indent);
	if (y->block) {
		rc = block_line(s, y, in, n, indent, blank, out, &done);
		if (done || rc < 0)
			return rc;
	}
	if (y->cont) {
		rc = cont_line(s, y, in, n, indent, blank, pc, out, &done);
		if (done || rc < 0)
			return rc;
	}
	if (blank || in[indent] == '#')
		return buf_append(out, in, n);
	if (doc_marker(in, n, indent)) {
		doc_reset(y);
		return buf_append(out, in, n);
	}
	p = (size_t)indent;
	dash_col = seq_items(in, n, &p);
	if (dash_col >= 0) {
		pop_to(y, dash_col, false);
		y->lv[y->n].child_flags = 0; /* a new mapping starts */
	}
	if (p >= n)
		return buf_append(out, in, n);
	colon = find_key(in, n, p, &kb, &ke);
	if (colon)
		return key_line(s, y, in, n, p, colon, kb, ke, pc, out);
	if (dash_col >= 0) {
		/* "- value" in a sequence */
		struct ylevel *parent = &y->lv[y->n];

		if (buf_append(out, in, p) < 0)
			return -ENOMEM;
		return value_part(s, y, parent, in, n, p, parent->sens_rule, false, false, dash_col,
		                  dash_col, pc, out);
	}
	return buf_append(out, in, n);
}
