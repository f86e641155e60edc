/* SPDX-License-Identifier: Apache-2.0 */
/* kubectl text outputs found in terminal transcripts and hand-gathered files:
 * `get` tables, `describe apigeeroute` blocks and `-o jsonpath` fragments. They
 * fill the same route / secret / pod / service records as the JSON documents,
 * but never override what a JSON document said (JSON is the complete form).
 * Between the text forms the first one wins a field, except the locator, where
 * describe beats a table row or a jsonpath output. A describe block shows the
 * whole spec, so a list it does not print (additionalGateways) is known empty.
 * jsonpath fragments count as ART_K8S_TABLE (kubectl text output). */
#include "textscan_k8s.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "bundle.h"
#include "cleanup.h"
#include "model.h"
#include "text.h"
#include "textscan_util.h"

#include "banned.h"

#define TBL_MAX_COLS 16
#define DESC_MAX_DEPTH 8
#define JP_MAX_WAIT 3                   /* non-empty lines to look at for a command's output */
#define K8S_MAX_RECORDS MODEL_MAX_ITEMS /* rows, describes, outputs applied per member */
#define K8S_MAX_LIST 64                 /* credential names, external IPs: deduplicated lists */

/* ---- the last kubectl command of the member --------------------------------- */

struct kcmd {
	bool valid;
	char verb[16];
	char resource[64]; /* lower-case, without "/name" */
	char name[254];
	char app[64];           /* from -l app=X */
	struct ts_tok jsonpath; /* "{...}" template; only valid while its line is */
	size_t rest_off;        /* offset of the text after the command in its line */
};

enum tbl_kind {
	TBL_NONE = 0,
	TBL_ROUTES,
	TBL_SECRETS,
	TBL_PODS,
	TBL_SERVICES,
};

struct table_state {
	enum tbl_kind kind;
	size_t ncols;
	size_t off[TBL_MAX_COLS];
	int c_ns, c_name, c_state, c_type, c_data, c_ready, c_status, c_age, c_ext;
	char app[64];
};

struct describe_state {
	bool active;
	bool spec_seen;
	bool hosts_seen;
	bool gws_seen;
	int kind; /* 0 unknown, 1 ApigeeRoute, 2 something else */
	char *name;
	char *ns;
	char *non_sni_raw;
	char *state;
	struct strv hosts;
	struct strv gws;
	struct strv creds;
	struct loc where;
	unsigned lines;
	size_t base; /* indentation of the Name: line */
	size_t depth;
	struct {
		size_t indent;
		char label[40];
	} stack[DESC_MAX_DEPTH];
};

enum jp_field {
	JP_NONE = 0,
	JP_HOSTS,
	JP_NONSNI,
	JP_GWS,
	JP_STATE,
	JP_CREDS,
};

struct jsonpath_state {
	bool pending;
	enum jp_field field;
	char name[254];
	unsigned waited;
};

struct k8s_scan {
	struct bundle *b;
	const char *artifact;
	struct ts_kinds *kinds;
	struct kcmd cmd;
	struct table_state tbl;
	struct describe_state ds;
	struct jsonpath_state jp;
	unsigned records; /* records applied from this member (capped) */
};

static void copy_tok(char *dst, size_t size, struct ts_tok t, bool lower)
{
	size_t n = t.n < size - 1 ? t.n : size - 1;

	for (size_t i = 0; i < n; i++) {
		char c = t.p[i];

		if (lower && c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		dst[i] = c ? c : '?';
	}
	dst[n] = '\0';
}

static bool is_route_resource(const char *res)
{
	return strcmp(res, "apigeeroute") == 0 || strcmp(res, "apigeeroutes") == 0 ||
	       strcmp(res, "ar") == 0 || strcmp(res, "apigeeroute.apigee.cloud.google.com") == 0 ||
	       strcmp(res, "apigeeroutes.apigee.cloud.google.com") == 0;
}

static bool kubectl_opt_takes_arg(struct ts_tok w)
{
	static const char *const opts[] = {
		"-n",
		"--namespace",
		"--context",
		"--kubeconfig",
		"-l",
		"--selector",
		"-o",
		"--output",
		"-c",
		"--container",
		"-f",
		"--filename",
		"--sort-by",
		"--template",
		"--field-selector",
		"--cluster",
		"--user",
		"--request-timeout",
		"-L",
		"--label-columns",
	};

	for (size_t i = 0; i < ELEMENTSOF(opts); i++)
		if (ts_tok_eq(w, opts[i]))
			return true;
	return false;
}

static void kcmd_option(struct kcmd *k, struct ts_tok opt, struct ts_tok arg)
{
	if (arg.n && arg.p[0] == '=') { /* -o=jsonpath=... */
		arg.p++;
		arg.n--;
	}
	arg = ts_unquote(arg);
	if (ts_tok_eq(opt, "-o") || ts_tok_eq(opt, "--output")) {
		if (ts_tok_starts(arg, "jsonpath=") || ts_tok_starts(arg, "jsonpath ")) {
			const char *b = memchr(arg.p, '{', arg.n);

			if (b) {
				const char *e = memchr(b, '}', arg.n - (size_t)(b - arg.p));

				k->jsonpath.p = b;
				k->jsonpath.n =
				        e ? (size_t)(e + 1 - b) : arg.n - (size_t)(b - arg.p);
			}
		}
	} else if (ts_tok_eq(opt, "-l") || ts_tok_eq(opt, "--selector")) {
		const char *a = text_find(arg.p, arg.n, "app=");

		if (a && (a == arg.p || a[-1] == ',')) {
			struct ts_tok v = { a + 4, 0 };

			while (v.p + v.n < arg.p + arg.n && v.p[v.n] != ',')
				v.n++;
			copy_tok(k->app, sizeof(k->app), v, false);
		}
	}
}

/* Parse "kubectl [opts] VERB [opts] RESOURCE[/NAME] [NAME] [opts]" in the line. */
static bool kcmd_parse(struct kcmd *k, const char *line, size_t len)
{
	const char *p = text_find(line, len, "kubectl");
	const char *end = line + len, *cur;
	struct ts_tok w;
	int pos = 0, words = 0;

	memset(k, 0, sizeof(*k));
	if (!p)
		return false;
	cur = p + 7;
	if (cur < end && *cur != ' ' && *cur != '\t')
		return false;
	while (words++ < 128 && ts_next_word(&cur, end, &w)) {
		if (ts_tok_eq(w, "|") || ts_tok_eq(w, ";") || ts_tok_eq(w, "&&") ||
		    ts_tok_eq(w, ">") || ts_tok_eq(w, "||"))
			break;
		if (w.n > 1 && w.p[0] == '-') {
			const char *eq = memchr(w.p, '=', w.n);

			if (eq && w.p[1] == '-') {
				struct ts_tok opt = { w.p, (size_t)(eq - w.p) };
				struct ts_tok arg = { eq + 1, w.n - (size_t)(eq + 1 - w.p) };

				kcmd_option(k, opt, arg);
			} else if (w.p[1] != '-' && w.n > 2 &&
			           (w.p[1] == 'o' || w.p[1] == 'l' || w.p[1] == 'n')) {
				/* -ojsonpath=..., -lapp=x, -napigee */
				struct ts_tok opt = { w.p, 2 };
				struct ts_tok arg = { w.p + 2, w.n - 2 };

				kcmd_option(k, opt, arg);
			} else if (kubectl_opt_takes_arg(w)) {
				struct ts_tok arg;

				if (!ts_next_word(&cur, end, &arg))
					break;
				kcmd_option(k, w, arg);
			}
			continue;
		}
		if (pos >= 3) {
			/* output copied onto the command line ("... '{.spec.hostnames}' ["*"]") */
			if (k->jsonpath.p) {
				cur = w.p;
				break;
			}
			continue;
		}
		w = ts_unquote(w);
		if (pos == 0) {
			copy_tok(k->verb, sizeof(k->verb), w, true);
		} else if (pos == 1) {
			const char *slash = memchr(w.p, '/', w.n);

			if (slash) {
				struct ts_tok res = { w.p, (size_t)(slash - w.p) };
				struct ts_tok nm = { slash + 1, w.n - res.n - 1 };

				copy_tok(k->resource, sizeof(k->resource), res, true);
				copy_tok(k->name, sizeof(k->name), nm, false);
				pos++;
			} else {
				copy_tok(k->resource, sizeof(k->resource), w, true);
			}
		} else {
			copy_tok(k->name, sizeof(k->name), w, false);
		}
		pos++;
	}
	k->rest_off = (size_t)(cur - line);
	k->valid = pos > 0;
	return k->valid;
}

/* ---- routes and records ------------------------------------------------------ */

static bool route_from_json(const struct route *r)
{
	return (r->sources & ROUTE_SRC_JSON) != 0;
}

static enum tristate tri_from(const char *s)
{
	if (strcmp(s, "true") == 0)
		return TRI_TRUE;
	if (strcmp(s, "false") == 0)
		return TRI_FALSE;
	return TRI_OTHER;
}

static int set_where_once(struct loc *l, const char *artifact, unsigned lineno, const char *line,
                          size_t len)
{
	if (l->artifact)
		return 0;
	return ts_loc_set(l, artifact, lineno, line, len, 0);
}

/* ---- tables ------------------------------------------------------------------ */

static bool is_header_tok(struct ts_tok t)
{
	bool letter = false;

	for (size_t i = 0; i < t.n; i++) {
		char c = t.p[i];

		if (c >= 'A' && c <= 'Z')
			letter = true;
		else if (!((c >= '0' && c <= '9') || c == '(' || c == ')' || c == '-' || c == '/'))
			return false;
	}
	return letter;
}

static bool is_age(struct ts_tok t)
{
	size_t i = 0;

	if (ts_tok_eq(t, "<unknown>") || ts_tok_eq(t, "<invalid>"))
		return true;
	if (!t.n)
		return false;
	while (i < t.n) {
		size_t d = i;

		while (i < t.n && t.p[i] >= '0' && t.p[i] <= '9')
			i++;
		if (i == d || i >= t.n || !memchr("smhdy", t.p[i], 5))
			return false;
		i++;
	}
	return true;
}

static bool is_ratio(struct ts_tok t)
{
	const char *slash = memchr(t.p, '/', t.n);
	uint64_t v;
	size_t used;

	return slash && ts_parse_uint(t.p, t.n, 1000, &v, &used) && t.p + used == slash &&
	       ts_parse_uint(slash + 1, t.n - used - 1, 1000, &v, &used) &&
	       used == t.n - (size_t)(slash + 1 - t.p);
}

static bool is_number(struct ts_tok t)
{
	uint64_t v;
	size_t used;

	return ts_parse_uint(t.p, t.n, UINT32_MAX, &v, &used) && used == t.n;
}

static int col_index(struct ts_tok *hdr, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (ts_tok_eq(hdr[i], name))
			return (int)i;
	return -1;
}

/* Recognise a table header in the first tokens of the line; *ret_used = number
 * of header tokens (rows may follow on the same line). */
static enum tbl_kind table_header(struct k8s_scan *ks, const char *line, size_t len,
                                  size_t *ret_used, size_t *ret_end)
{
	struct table_state *t = &ks->tbl;
	struct ts_tok hdr[TBL_MAX_COLS];
	const char *cur = line, *end = line + len, *prev;
	struct ts_tok w;
	size_t n = 0;
	enum tbl_kind kind = TBL_NONE;

	prev = cur;
	while (ts_next_token(&cur, end, &w) && is_header_tok(w)) {
		/* two-word headers of -o wide */
		if (n > 0 && ((ts_tok_eq(hdr[n - 1], "NOMINATED") && ts_tok_eq(w, "NODE")) ||
		              (ts_tok_eq(hdr[n - 1], "READINESS") && ts_tok_eq(w, "GATES")))) {
			hdr[n - 1].n = (size_t)(w.p + w.n - hdr[n - 1].p);
			prev = cur;
			continue;
		}
		if (n == TBL_MAX_COLS)
			return TBL_NONE;
		hdr[n++] = w;
		prev = cur;
	}
	if (n < 3)
		return TBL_NONE;
	memset(t, 0, sizeof(*t));
	t->ncols = n;
	for (size_t i = 0; i < n; i++)
		t->off[i] = (size_t)(hdr[i].p - line);
	t->c_ns = col_index(hdr, n, "NAMESPACE");
	t->c_name = col_index(hdr, n, "NAME");
	t->c_state = col_index(hdr, n, "STATE");
	t->c_type = col_index(hdr, n, "TYPE");
	t->c_data = col_index(hdr, n, "DATA");
	t->c_ready = col_index(hdr, n, "READY");
	t->c_status = col_index(hdr, n, "STATUS");
	t->c_age = col_index(hdr, n, "AGE");
	t->c_ext = col_index(hdr, n, "EXTERNAL-IP");
	if (t->c_name < 0 || (t->c_name != 0 && !(t->c_ns == 0 && t->c_name == 1)))
		return TBL_NONE;
	if (t->c_state >= 0 && t->c_age >= 0 && t->c_ready < 0 && t->c_type < 0)
		kind = TBL_ROUTES;
	else if (t->c_type >= 0 && t->c_data >= 0 && t->c_age >= 0)
		kind = TBL_SECRETS;
	else if (t->c_ready >= 0 && t->c_status >= 0 && col_index(hdr, n, "RESTARTS") >= 0)
		kind = TBL_PODS;
	else if (t->c_type >= 0 && t->c_ext >= 0 && col_index(hdr, n, "CLUSTER-IP") >= 0)
		kind = TBL_SERVICES;
	/* NAME STATE AGE is also what other Apigee resources print: trust the command */
	if (kind == TBL_ROUTES && ks->cmd.valid && strcmp(ks->cmd.verb, "get") == 0 &&
	    ks->cmd.resource[0] && !is_route_resource(ks->cmd.resource))
		kind = TBL_NONE;
	*ret_used = n;
	*ret_end = (size_t)(prev - line);
	return kind;
}

static bool row_valid(const struct table_state *t, enum tbl_kind kind, const struct ts_tok *f)
{
	if (!ts_is_k8s_name(f[t->c_name].p, f[t->c_name].n))
		return false;
	if (t->c_ns >= 0 && !ts_is_k8s_name(f[t->c_ns].p, f[t->c_ns].n))
		return false;
	if (t->c_age >= 0 && !is_age(f[t->c_age]))
		return false;
	switch (kind) {
	case TBL_ROUTES:
		return f[t->c_state].n == 0 || ts_is_name_like(f[t->c_state].p, f[t->c_state].n);
	case TBL_SECRETS:
		return f[t->c_type].n > 0 && t->c_data >= 0 && is_number(f[t->c_data]);
	case TBL_PODS:
		return is_ratio(f[t->c_ready]) && f[t->c_status].n > 0;
	case TBL_SERVICES:
		return f[t->c_type].n > 0;
	default:
		return false;
	}
}

/* Split a row into the header's columns: by blanks when the counts agree, else
 * by the header's column offsets (an empty STATE, "2 (3h ago)" restarts). */
static bool row_fields(const struct table_state *t, const char *line, size_t len, struct ts_tok *f)
{
	const char *cur = line, *end = line + len;
	struct ts_tok w;
	size_t n = 0;

	while (ts_next_token(&cur, end, &w)) {
		if (n == t->ncols) {
			n++;
			break;
		}
		f[n++] = w;
	}
	if (n == t->ncols)
		return true;
	if (len <= t->off[t->ncols - 1])
		return false;
	for (size_t i = 0; i < t->ncols; i++) {
		size_t s = t->off[i];
		size_t e = i + 1 < t->ncols ? t->off[i + 1] : len;

		if (s > 0 && line[s - 1] != ' ' && line[s - 1] != '\t')
			return false;
		if (e > len)
			return false;
		f[i] = ts_trim(line + s, e - s);
	}
	for (size_t i = 0; i < t->off[0] && i < len; i++)
		if (line[i] != ' ' && line[i] != '\t')
			return false;
	return true;
}

static struct pod_meta *find_pod(struct bundle *b, struct ts_tok name)
{
	for (size_t i = 0; i < b->n_pods; i++)
		if (b->pods[i].name && ts_tok_eq(name, b->pods[i].name))
			return &b->pods[i];
	return NULL;
}

static struct service_meta *find_service(struct bundle *b, struct ts_tok name)
{
	for (size_t i = 0; i < b->n_services; i++)
		if (b->services[i].name && ts_tok_eq(name, b->services[i].name))
			return &b->services[i];
	return NULL;
}

static int table_row(struct k8s_scan *ks, const struct ts_tok *f, const char *line, size_t len,
                     unsigned lineno)
{
	struct table_state *t = &ks->tbl;
	struct bundle *b = ks->b;
	struct ts_tok name = f[t->c_name];
	char nm[256];
	int r = 0;

	/* every record is a linear lookup: bound the work one member can cause */
	if (ks->records >= K8S_MAX_RECORDS)
		return 0;
	ks->records++;
	copy_tok(nm, sizeof(nm), name, false);
	switch (t->kind) {
	case TBL_ROUTES: {
		struct route *rt = bundle_route(b, nm);

		if (!rt)
			return 0;
		rt->sources |= ROUTE_SRC_TABLE;
		if (f[t->c_state].n && !rt->state)
			r = ts_set_str(&rt->state, f[t->c_state].p, f[t->c_state].n, 64);
		if (r >= 0 && t->c_ns >= 0 && !rt->namespace_)
			r = ts_set_str(&rt->namespace_, f[t->c_ns].p, f[t->c_ns].n, 253);
		if (r >= 0)
			r = set_where_once(&rt->where, ks->artifact, lineno, line, len);
		break;
	}
	case TBL_SECRETS: {
		struct secret_meta *s = bundle_secret(b, nm);

		if (!s)
			return 0;
		r = ts_set_str_once(&s->type, f[t->c_type].p, f[t->c_type].n, 128);
		if (r >= 0)
			r = set_where_once(&s->where, ks->artifact, lineno, line, len);
		break;
	}
	case TBL_PODS: {
		struct pod_meta *p = find_pod(b, name);

		if (!p)
			p = bundle_add_pod(b);
		if (!p)
			return 0;
		r = ts_set_str_once(&p->name, name.p, name.n, 253);
		if (r >= 0)
			r = ts_set_str_once(&p->phase, f[t->c_status].p, f[t->c_status].n, 64);
		if (r >= 0)
			r = ts_set_str_once(&p->ready, f[t->c_ready].p, f[t->c_ready].n, 16);
		if (r >= 0 && t->app[0])
			r = ts_set_str_once(&p->app, t->app, strlen(t->app), 63);
		if (r >= 0)
			r = set_where_once(&p->where, ks->artifact, lineno, line, len);
		break;
	}
	case TBL_SERVICES: {
		struct service_meta *s = find_service(b, name);
		struct ts_tok ext = f[t->c_ext];

		if (!s)
			s = bundle_add_service(b);
		if (!s)
			return 0;
		r = ts_set_str_once(&s->name, name.p, name.n, 253);
		if (r >= 0)
			r = ts_set_str_once(&s->type, f[t->c_type].p, f[t->c_type].n, 64);
		/* "1.2.3.4,5.6.7.8", "<none>", "<pending>" */
		for (size_t i = 0; r >= 0 && i < ext.n && s->external_ips.n < K8S_MAX_LIST;) {
			size_t j = i;
			char ip[256];

			while (j < ext.n && ext.p[j] != ',')
				j++;
			if (j > i && ext.p[i] != '<') {
				copy_tok(ip, sizeof(ip), (struct ts_tok){ ext.p + i, j - i },
				         false);
				r = strv_push_unique(&s->external_ips, ip);
			}
			i = j + 1;
		}
		if (r >= 0)
			r = set_where_once(&s->where, ks->artifact, lineno, line, len);
		break;
	}
	default:
		break;
	}
	ts_kinds_note(ks->kinds, ART_K8S_TABLE, 1);
	return r;
}

static void table_start(struct k8s_scan *ks, enum tbl_kind kind)
{
	struct table_state *t = &ks->tbl;

	t->kind = kind;
	if (kind == TBL_ROUTES)
		ks->b->routes_listed = true;
	else if (kind == TBL_SECRETS)
		ks->b->secrets_listed = true;
	if (kind == TBL_PODS && ks->cmd.valid)
		memcpy(t->app, ks->cmd.app, sizeof(t->app));
	ts_kinds_note(ks->kinds, ART_K8S_TABLE, 1);
}

static int table_line(struct k8s_scan *ks, const char *line, size_t len, unsigned lineno)
{
	struct table_state *t = &ks->tbl;
	struct ts_tok tl = ts_trim(line, len);
	struct ts_tok f[TBL_MAX_COLS + 1];
	int r = 0;

	if (text_starts_with(tl.p, tl.n, "NAME ") || text_starts_with(tl.p, tl.n, "NAME\t") ||
	    text_starts_with(tl.p, tl.n, "NAMESPACE ") ||
	    text_starts_with(tl.p, tl.n, "NAMESPACE\t")) {
		size_t used, hdr_end;
		enum tbl_kind kind = table_header(ks, line, len, &used, &hdr_end);
		const char *cur, *end = line + len;
		bool rows = false;

		if (kind == TBL_NONE) {
			t->kind = TBL_NONE;
			return 0;
		}
		table_start(ks, kind);
		/* rows flattened onto the header line: ncols tokens each */
		cur = line + hdr_end;
		for (;;) {
			size_t n = 0;
			const char *save = cur;

			while (n < t->ncols && ts_next_token(&cur, end, &f[n]))
				n++;
			if (n < t->ncols || !row_valid(t, kind, f)) {
				cur = save;
				break;
			}
			rows = true;
			r = table_row(ks, f, line, len, lineno);
			if (r < 0)
				return r;
		}
		if (rows)
			t->kind = TBL_NONE; /* a flattened table is complete */
		return 0;
	}
	if (t->kind == TBL_NONE)
		return 0;
	if (tl.n == 0 || !row_fields(t, line, len, f) || !row_valid(t, t->kind, f)) {
		t->kind = TBL_NONE;
		return 0;
	}
	return table_row(ks, f, line, len, lineno);
}

/* ---- describe ------------------------------------------------------------------ */

static void describe_release(struct describe_state *d)
{
	free(d->name);
	free(d->ns);
	free(d->non_sni_raw);
	free(d->state);
	strv_release(&d->hosts);
	strv_release(&d->gws);
	strv_release(&d->creds);
	loc_release(&d->where);
	memset(d, 0, sizeof(*d));
}

static int describe_flush(struct k8s_scan *ks)
{
	struct describe_state *d = &ks->ds;
	bool is_route = d->kind == 1 ||
	                (d->kind == 0 && ks->cmd.valid && strcmp(ks->cmd.verb, "describe") == 0 &&
	                 is_route_resource(ks->cmd.resource));
	struct route *rt;
	int r = 0;

	if (!d->active)
		return 0;
	if (!is_route || !d->name || !ts_is_k8s_name(d->name, strlen(d->name)) ||
	    ks->records >= K8S_MAX_RECORDS)
		goto out;
	ks->records++;
	rt = bundle_route(ks->b, d->name);
	if (!rt)
		goto out;
	ts_kinds_note(ks->kinds, ART_K8S_DESCRIBE, d->lines);
	if (!route_from_json(rt)) {
		/* describe prints the whole object: a list it does not show is empty */
		if (d->spec_seen && !rt->hostnames_known) {
			strv_release(&rt->hostnames);
			rt->hostnames = d->hosts;
			memset(&d->hosts, 0, sizeof(d->hosts));
			rt->hostnames_known = true;
		}
		if (d->spec_seen && !rt->gateways_known) {
			strv_release(&rt->additional_gateways);
			rt->additional_gateways = d->gws;
			memset(&d->gws, 0, sizeof(d->gws));
			rt->gateways_known = true;
		}
		if (rt->non_sni == TRI_ABSENT && d->non_sni_raw) {
			rt->non_sni = tri_from(d->non_sni_raw);
			free(rt->non_sni_raw);
			rt->non_sni_raw = d->non_sni_raw;
			d->non_sni_raw = NULL;
		}
		for (size_t i = 0;
		     r >= 0 && i < d->creds.n && rt->credential_names.n < K8S_MAX_LIST; i++)
			r = strv_push_unique(&rt->credential_names, d->creds.v[i]);
		if (!rt->state && d->state) {
			rt->state = d->state;
			d->state = NULL;
		}
		if (!rt->namespace_ && d->ns) {
			rt->namespace_ = d->ns;
			d->ns = NULL;
		}
		if (r >= 0 && d->where.artifact) {
			loc_release(&rt->where);
			rt->where = d->where;
			memset(&d->where, 0, sizeof(d->where));
		}
	}
	rt->sources |= ROUTE_SRC_DESCRIBE;
out:
	describe_release(d);
	return r;
}

/* "Label:  value": the label ends at a ':' followed by a blank or the end, and
 * holds only characters kubectl labels have. */
static bool describe_label(struct ts_tok c, struct ts_tok *ret_label, struct ts_tok *ret_value)
{
	for (size_t i = 0; i < c.n; i++) {
		char ch = c.p[i];

		if (ch == ':') {
			if (i == 0 || (i + 1 < c.n && c.p[i + 1] != ' ' && c.p[i + 1] != '\t'))
				return false;
			ret_label->p = c.p;
			ret_label->n = i;
			*ret_value = ts_trim(c.p + i + 1, c.n - i - 1);
			return true;
		}
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == ' ' || ch == '_' || ch == '-' ||
		      ch == '.' || ch == '/'))
			return false;
	}
	return false;
}

static bool path_is(const struct describe_state *d, const char *a, const char *b)
{
	struct ts_tok t;

	if (d->depth < 1 || (b && d->depth < 2) || (!b && d->depth != 1))
		return false;
	t.p = d->stack[0].label;
	t.n = strlen(d->stack[0].label);
	if (!ts_tok_eq_ci(t, a))
		return false;
	if (!b)
		return true;
	if (d->depth != 2)
		return false;
	t.p = d->stack[1].label;
	t.n = strlen(d->stack[1].label);
	return ts_tok_eq_ci(t, b);
}

/* "[* api.example.com]" (Go %v of a list) or a single scalar. */
static int push_inline_list(struct strv *sv, struct ts_tok v)
{
	const char *cur, *end;
	struct ts_tok w;
	int r = 0;

	if (v.n >= 2 && v.p[0] == '[' && v.p[v.n - 1] == ']') {
		v.p++;
		v.n -= 2;
	}
	cur = v.p;
	end = v.p + v.n;
	while (r >= 0 && sv->n < MODEL_MAX_ITEMS && ts_next_token(&cur, end, &w)) {
		while (w.n && w.p[w.n - 1] == ',')
			w.n--;
		w = ts_unquote(w);
		if (w.n && !memchr(w.p, '\0', w.n))
			r = strv_pushn(sv, w.p, w.n < 253 ? w.n : 253);
	}
	return r;
}

static int describe_scalar(struct describe_state *d, struct ts_tok label, struct ts_tok value)
{
	if (d->depth == 0) {
		if (ts_tok_eq_ci(label, "Kind"))
			d->kind = ts_tok_eq(value, "ApigeeRoute") ? 1 : 2;
		else if (ts_tok_eq_ci(label, "Namespace"))
			return ts_set_str_once(&d->ns, value.p, value.n, 253);
		return 0;
	}
	if (path_is(d, "Spec", NULL)) {
		if (ts_tok_eq_ci(label, "Enable Non Sni Client"))
			return ts_set_str(&d->non_sni_raw, value.p, value.n, 64);
		if (ts_tok_eq_ci(label, "Hostnames")) {
			d->hosts_seen = true;
			return push_inline_list(&d->hosts, value);
		}
		if (ts_tok_eq_ci(label, "Additional Gateways")) {
			d->gws_seen = true;
			return push_inline_list(&d->gws, value);
		}
	}
	if (d->depth >= 1 && strcasecmp(d->stack[0].label, "Spec") == 0 &&
	    ts_tok_eq_ci(label, "Credential Name") && value.n && d->creds.n < K8S_MAX_LIST) {
		char tmp[254];

		copy_tok(tmp, sizeof(tmp), value, false);
		return strv_push_unique(&d->creds, tmp);
	}
	if (path_is(d, "Status", NULL) && ts_tok_eq_ci(label, "State"))
		return ts_set_str(&d->state, value.p, value.n, 64);
	return 0;
}

static int describe_item(struct describe_state *d, struct ts_tok item)
{
	struct strv *sv = NULL;

	if (path_is(d, "Spec", "Hostnames"))
		sv = &d->hosts;
	else if (path_is(d, "Spec", "Additional Gateways"))
		sv = &d->gws;
	if (!sv || !item.n || sv->n >= MODEL_MAX_ITEMS || memchr(item.p, '\0', item.n))
		return 0;
	return strv_pushn(sv, item.p, item.n < 253 ? item.n : 253);
}

static int describe_line(struct k8s_scan *ks, const char *line, size_t len, unsigned lineno)
{
	struct describe_state *d = &ks->ds;
	size_t indent = ts_indent(line, len);
	struct ts_tok c = ts_trim(line, len);
	struct ts_tok label = { NULL, 0 }, value = { NULL, 0 };
	bool is_label;
	int r;

	/* a block may be indented as a whole (pasted into a document); inside one,
	 * only a Name: at its own level starts the next (spec fields have names too) */
	if ((!d->active || indent == d->base) && text_starts_with(c.p, c.n, "Name:") && c.n > 5 &&
	    (c.p[5] == ' ' || c.p[5] == '\t')) {
		r = describe_flush(ks);
		if (r < 0)
			return r;
		value = ts_trim(c.p + 5, c.n - 5);
		if (!value.n)
			return 0;
		d->active = true;
		d->base = indent;
		d->lines = 1;
		r = ts_set_str(&d->name, value.p, value.n, 253);
		if (r >= 0)
			r = ts_loc_set(&d->where, ks->artifact, lineno, line, len, 0);
		return r;
	}
	if (!d->active)
		return 0;
	if (c.n == 0 || indent < d->base)
		return describe_flush(ks);
	is_label = describe_label(c, &label, &value);
	if (indent == d->base && !is_label)
		return describe_flush(ks);
	d->lines++;
	while (d->depth > 0 && d->stack[d->depth - 1].indent >= indent)
		d->depth--;
	if (!is_label)
		return describe_item(d, c);
	if (value.n)
		return describe_scalar(d, label, value);
	/* a section */
	if (d->depth == 0 && ts_tok_eq_ci(label, "Spec"))
		d->spec_seen = true;
	if (path_is(d, "Spec", NULL) && ts_tok_eq_ci(label, "Hostnames"))
		d->hosts_seen = true;
	if (path_is(d, "Spec", NULL) && ts_tok_eq_ci(label, "Additional Gateways"))
		d->gws_seen = true;
	if (d->depth < DESC_MAX_DEPTH) {
		d->stack[d->depth].indent = indent;
		copy_tok(d->stack[d->depth].label, sizeof(d->stack[d->depth].label), label, false);
		d->depth++;
	}
	return 0;
}

/* ---- jsonpath fragments ------------------------------------------------------- */

static enum jp_field jp_field_of(struct ts_tok tpl)
{
	if (text_find(tpl.p, tpl.n, ".spec.hostnames"))
		return JP_HOSTS;
	if (text_find(tpl.p, tpl.n, ".spec.enableNonSniClient"))
		return JP_NONSNI;
	if (text_find(tpl.p, tpl.n, ".spec.additionalGateways"))
		return JP_GWS;
	if (text_find(tpl.p, tpl.n, ".status.state"))
		return JP_STATE;
	if (text_find(tpl.p, tpl.n, ".credentialName"))
		return JP_CREDS;
	return JP_NONE;
}

/* A list printed by jsonpath: ["a","b"] (JSON) or [a b] (older kubectl). */
static bool jp_parse_list(struct ts_tok s, struct strv *out)
{
	const char *close;
	json_t *j;

	if (!s.n || s.p[0] != '[')
		return false;
	close = memchr(s.p, ']', s.n);
	if (!close)
		return false;
	s.n = (size_t)(close + 1 - s.p);
	j = json_loadb(s.p, s.n, 0, NULL);
	if (j) {
		bool ok = json_is_array(j);

		for (size_t i = 0; ok && i < json_array_size(j) && out->n < MODEL_MAX_ITEMS; i++) {
			json_t *v = json_array_get(j, i);

			if (!json_is_string(v)) {
				ok = false;
				break;
			}
			if (strv_pushn(out, json_string_value(v),
			               json_string_length(v) < 253 ? json_string_length(v) : 253) <
			    0)
				ok = false;
		}
		json_decref(j);
		return ok;
	}
	return push_inline_list(out, s) >= 0;
}

static bool jp_word(struct ts_tok s, struct ts_tok *ret, bool alone)
{
	const char *cur = s.p, *end = s.p + s.n;
	struct ts_tok w, extra;

	if (!ts_next_token(&cur, end, &w))
		return false;
	if (alone && ts_next_token(&cur, end, &extra))
		return false;
	*ret = ts_unquote(w);
	return ret->n > 0;
}

/* Try the output text for the pending command; true when it was the output. */
static int jp_apply(struct k8s_scan *ks, struct ts_tok s, bool same_line, const char *line,
                    size_t len, unsigned lineno)
{
	struct jsonpath_state *jp = &ks->jp;
	struct strv list = STRV_INIT;
	struct ts_tok w = { NULL, 0 };
	struct route *rt;
	int r = 0;

	s = ts_trim(s.p, s.n);
	switch (jp->field) {
	case JP_HOSTS:
	case JP_GWS:
		if (!jp_parse_list(s, &list)) {
			strv_release(&list);
			return 0;
		}
		break;
	case JP_NONSNI:
		if (!jp_word(s, &w, !same_line) || !(ts_tok_eq(w, "true") || ts_tok_eq(w, "false")))
			return 0;
		break;
	case JP_STATE:
		if (!jp_word(s, &w, !same_line) || !ts_is_name_like(w.p, w.n) || w.p[0] < 'A')
			return 0;
		break;
	case JP_CREDS: {
		const char *cur = s.p, *end = s.p + s.n;
		struct ts_tok t;

		while (ts_next_token(&cur, end, &t) && list.n < K8S_MAX_LIST) {
			if (!ts_is_k8s_name(t.p, t.n))
				break;
			if (strv_pushn(&list, t.p, t.n) < 0)
				break;
		}
		if (!list.n || (!same_line && cur < end)) {
			strv_release(&list);
			return 0;
		}
		break;
	}
	default:
		return 0;
	}

	if (ks->records >= K8S_MAX_RECORDS)
		goto done;
	ks->records++;
	rt = bundle_route(ks->b, jp->name);
	if (!rt)
		goto done;
	rt->sources |= ROUTE_SRC_JSONPATH;
	ts_kinds_note(ks->kinds, ART_K8S_TABLE, 1);
	if (route_from_json(rt))
		goto done;
	switch (jp->field) {
	case JP_HOSTS:
		if (!rt->hostnames_known) {
			strv_release(&rt->hostnames);
			rt->hostnames = list;
			memset(&list, 0, sizeof(list));
			rt->hostnames_known = true;
		}
		break;
	case JP_GWS:
		if (!rt->gateways_known) {
			strv_release(&rt->additional_gateways);
			rt->additional_gateways = list;
			memset(&list, 0, sizeof(list));
			rt->gateways_known = true;
		}
		break;
	case JP_NONSNI:
		if (rt->non_sni == TRI_ABSENT) {
			r = ts_set_str(&rt->non_sni_raw, w.p, w.n, 64);
			if (r >= 0)
				rt->non_sni = tri_from(rt->non_sni_raw);
		}
		break;
	case JP_STATE:
		r = ts_set_str_once(&rt->state, w.p, w.n, 64);
		break;
	case JP_CREDS:
		for (size_t i = 0; r >= 0 && i < list.n && rt->credential_names.n < K8S_MAX_LIST;
		     i++)
			r = strv_push_unique(&rt->credential_names, list.v[i]);
		break;
	default:
		break;
	}
	if (r >= 0)
		r = set_where_once(&rt->where, ks->artifact, lineno, line, len);
done:
	strv_release(&list);
	memset(jp, 0, sizeof(*jp));
	return r < 0 ? r : 1;
}

static int jsonpath_line(struct k8s_scan *ks, const char *line, size_t len, unsigned lineno,
                         bool is_cmd)
{
	struct jsonpath_state *jp = &ks->jp;
	struct kcmd *k = &ks->cmd;
	struct ts_tok t;

	if (is_cmd) {
		memset(jp, 0, sizeof(*jp));
		if (!k->jsonpath.p || strcmp(k->verb, "get") != 0 ||
		    !is_route_resource(k->resource) || !ts_is_k8s_name(k->name, strlen(k->name)))
			return 0;
		jp->field = jp_field_of(k->jsonpath);
		if (jp->field == JP_NONE)
			return 0;
		memcpy(jp->name, k->name, sizeof(jp->name));
		jp->pending = true;
		/* the output copied onto the command line */
		t.p = line + k->rest_off;
		t.n = len - k->rest_off;
		t = ts_trim(t.p, t.n);
		if (t.n)
			return jp_apply(ks, t, true, line, len, lineno);
		return 0;
	}
	if (!jp->pending)
		return 0;
	t = ts_trim(line, len);
	if (!t.n)
		return 0;
	{
		int r = jp_apply(ks, t, false, line, len, lineno);

		if (r != 0)
			return r < 0 ? r : 0;
	}
	if (++jp->waited >= JP_MAX_WAIT)
		memset(jp, 0, sizeof(*jp));
	return 0;
}

/* ---- entry points --------------------------------------------------------------- */

int k8s_scan_new(struct bundle *b, const char *artifact, struct ts_kinds *kinds,
                 struct k8s_scan **ret)
{
	struct k8s_scan *ks = calloc(1, sizeof(*ks));

	if (!ks)
		return -ENOMEM;
	ks->b = b;
	ks->artifact = artifact;
	ks->kinds = kinds;
	*ret = ks;
	return 0;
}

int k8s_scan_line(struct k8s_scan *ks, const char *line, size_t len, unsigned lineno)
{
	bool is_cmd = false;
	int r;

	/* remember the command the following output belongs to */
	if (text_find(line, len, "kubectl")) {
		struct kcmd k;

		if (kcmd_parse(&k, line, len)) {
			ks->cmd = k;
			is_cmd = true;
			ks->tbl.kind = TBL_NONE;
		}
	}
	r = jsonpath_line(ks, line, len, lineno, is_cmd);
	if (r < 0)
		return r;
	ks->cmd.jsonpath.p = NULL; /* points into this line */
	ks->cmd.jsonpath.n = 0;
	if (is_cmd)
		return describe_flush(ks);
	r = table_line(ks, line, len, lineno);
	if (r < 0)
		return r;
	return describe_line(ks, line, len, lineno);
}

int k8s_scan_end(struct k8s_scan *ks)
{
	return describe_flush(ks);
}

void k8s_scan_free(struct k8s_scan *ks)
{
	if (!ks)
		return;
	describe_release(&ks->ds);
	free(ks);
}
