/* SPDX-License-Identifier: Apache-2.0 */
/* Structured inputs: recognise JSON/YAML values by their shape (Kubernetes
 * objects, overrides.yaml, management API answers, the collector's own fact
 * documents, the manifest) and PEM files, and fill the model. */
#include "ingest.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "bundle.h"
#include "cleanup.h"
#include "error.h"
#include "gcp.h"
#include "ingest_jsonlist.h"
#include "pem.h"
#include "text.h"
#include "capture.h"
#include "yamljson.h"
#include "base64.h"
#include "banned.h"

struct pend_att {
	size_t artifact;
	struct strv envs;
	struct loc where;
};

struct pend_src {
	char *path;
	char *url;
	int status;
};

struct pending {
	struct pend_att *att;
	size_t n_att, cap_att;
	struct pend_src *src;
	size_t n_src, cap_src;
	struct capcert_list cc; /* certificates beside pseudonymized captures */
};

static struct pending *pending_get(struct bundle *b)
{
	if (!b->pending)
		b->pending = calloc(1, sizeof(struct pending));
	return b->pending;
}

void ingest_pending_free(struct bundle *b)
{
	struct pending *p = b->pending;

	if (!p)
		return;
	for (size_t i = 0; i < p->n_att; i++) {
		strv_release(&p->att[i].envs);
		loc_release(&p->att[i].where);
	}
	free(p->att);
	for (size_t i = 0; i < p->n_src; i++) {
		free(p->src[i].path);
		free(p->src[i].url);
	}
	free(p->src);
	capcert_list_release(&p->cc);
	free(p);
	b->pending = NULL;
}

/* ---- small JSON helpers ---------------------------------------------------------- */

static const char *jpath_str(const json_t *o, const char *k1, const char *k2)
{
	return json_str(json_object_get(o, k1), k2);
}

static int dup_str(char **dst, const char *s)
{
	if (!s)
		return 0;
	free(*dst);
	*dst = strdup(s);
	return *dst ? 0 : -ENOMEM;
}

static int strv_from_json(struct strv *s, const json_t *arr)
{
	size_t i;
	json_t *v;

	if (json_is_string(arr))
		return strv_push_unique(s, json_string_value(arr));
	json_array_foreach(arr, i, v)
	{
		if (json_is_string(v) && strv_push_unique(s, json_string_value(v)) < 0)
			return -ENOMEM;
	}
	return 0;
}

static char *json_excerpt(const json_t *v)
{
	_cleanup_free_ char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);

	if (!s)
		return NULL;
	return text_excerpt(s, strlen(s), 160);
}

static int set_loc(struct loc *l, const struct artifact *a, const char *ptr, unsigned line,
                   const json_t *excerpt_of)
{
	_cleanup_free_ char *ex = excerpt_of ? json_excerpt(excerpt_of) : NULL;

	return loc_set(l, a->path, line, ptr && *ptr ? ptr : NULL, ex);
}

static void mark(struct artifact *a, enum artifact_kind k)
{
	if (a->kind == ART_UNKNOWN || a->kind == ART_TEXT)
		a->kind = k;
	a->kinds_seen |= 1u << k;
}

/* ---- Kubernetes objects ------------------------------------------------------------- */

static enum tristate tristate_of(const json_t *v)
{
	if (!v)
		return TRI_ABSENT;
	if (json_is_true(v))
		return TRI_TRUE;
	if (json_is_false(v))
		return TRI_FALSE;
	return TRI_OTHER;
}

static int k8s_route(struct bundle *b, struct artifact *a, const json_t *o, const char *ptr)
{
	const char *name = jpath_str(o, "metadata", "name");
	json_t *spec = json_object_get(o, "spec");
	json_t *ports, *port, *v;
	struct route *r;
	size_t i;
	json_t *ex;

	if (!name)
		return 0;
	r = bundle_route(b, name);
	if (!r)
		return -ENOMEM;
	if (dup_str(&r->namespace_, jpath_str(o, "metadata", "namespace")) < 0)
		return -ENOMEM;
	v = json_object_get(spec, "hostnames");
	if (v) {
		strv_release(&r->hostnames);
		if (strv_from_json(&r->hostnames, v) < 0)
			return -ENOMEM;
		r->hostnames_known = true;
	} else if (!(r->sources & ROUTE_SRC_JSON)) {
		r->hostnames_known = true; /* the full spec says: none */
	}
	v = json_object_get(spec, "enableNonSniClient");
	r->non_sni = tristate_of(v);
	free(r->non_sni_raw);
	r->non_sni_raw = v ? json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
	v = json_object_get(spec, "additionalGateways");
	strv_release(&r->additional_gateways);
	if (v && strv_from_json(&r->additional_gateways, v) < 0)
		return -ENOMEM;
	r->gateways_known = true;
	ports = json_object_get(spec, "ports");
	json_array_foreach(ports, i, port)
	{
		const char *cred = jpath_str(port, "tls", "credentialName");

		if (cred && strv_push_unique(&r->credential_names, cred) < 0)
			return -ENOMEM;
	}
	if (dup_str(&r->state, jpath_str(o, "status", "state")) < 0)
		return -ENOMEM;
	r->sources |= ROUTE_SRC_JSON;
	ex = json_pack("{s:O*,s:O*,s:O*}", "hostnames", json_object_get(spec, "hostnames"),
	               "enableNonSniClient", json_object_get(spec, "enableNonSniClient"),
	               "additionalGateways", json_object_get(spec, "additionalGateways"));
	loc_release(&r->where);
	{
		struct buf p = BUF_INIT;
		int rr;

		buf_printf(&p, "%s/spec", ptr);
		rr = set_loc(&r->where, a, p.data, yamljson_line(spec), ex);
		buf_release(&p);
		json_decref(ex);
		if (rr < 0)
			return rr;
	}
	return 1;
}

static int k8s_route_config(struct bundle *b, struct artifact *a, const json_t *o, const char *ptr)
{
	const char *name = jpath_str(o, "metadata", "name");
	json_t *spec = json_object_get(o, "spec");
	struct route_config *c;

	if (!name)
		return 0;
	c = bundle_add_route_config(b);
	if (!c)
		return -ENOMEM;
	c->name = strdup(name);
	if (!c->name || strv_from_json(&c->additional_gateways,
	                               json_object_get(spec, "additionalGateways")) < 0)
		return -ENOMEM;
	c->non_sni = tristate_of(json_object_get(spec, "enableNonSniClient"));
	return set_loc(&c->where, a, ptr, yamljson_line(o), spec) < 0 ? -ENOMEM : 1;
}

static bool is_cert_data_key(const char *k)
{
	return strcmp(k, "cert") == 0 || strcmp(k, "tls.crt") == 0 || strcmp(k, "cert.pem") == 0 ||
	       strcmp(k, "ca.crt") == 0;
}

static bool is_key_data_key(const char *k)
{
	return strcmp(k, "key") == 0 || strcmp(k, "tls.key") == 0 || strcmp(k, "key.pem") == 0;
}

/* base64 (standard, with or without padding, white space ignored), at most 16 MiB */
static int b64_decode(const char *in, struct buf *out)
{
	unsigned char *dst = NULL;
	size_t n = strlen(in), len = 0;
	int r;

	if (n / 4 * 3 > (16u << 20))
		return -ERANGE;
	r = base64_decode(in, n, BASE64_SPACE, &dst, &len);
	if (r < 0)
		return r;
	r = buf_append(out, dst, len);
	OPENSSL_cleanse(dst, len);
	free(dst);
	return r;
}

static int add_cert_chain(struct bundle *b, const struct artifact *a, const struct pem_file *f,
                          enum cert_role role, const char *owner, const char *file, const char *ptr,
                          unsigned base_line, size_t *ret_leaf)
{
	unsigned idx = 0;
	bool any = false;

	*ret_leaf = SIZE_MAX;
	for (size_t i = 0; i < f->n_items; i++) {
		const struct pem_item *it = &f->items[i];
		struct cert_rec *c;

		if (it->kind != PEM_ITEM_CERT)
			continue;
		c = bundle_add_cert(b);
		if (!c)
			return -ENOMEM;
		any = true;
		c->role = role;
		c->chain_index = idx++;
		c->key_match = -1;
		if (dup_str(&c->owner, owner) < 0 || dup_str(&c->file, file) < 0)
			return -ENOMEM;
		if (it->error == PEM_OK) {
			c->parsed = true;
			if (cert_facts_copy(&c->facts, &it->cert) < 0)
				return -ENOMEM;
		} else {
			c->error = it->error;
			if (dup_str(&c->error_text, it->error_text ? it->error_text
			                                           : pem_error_text(it->error)) < 0)
				return -ENOMEM;
		}
		if (loc_set(&c->where, a->path, base_line ? base_line : it->line, ptr,
		            c->parsed ? c->facts.subject : c->error_text) < 0)
			return -ENOMEM;
		if (c->chain_index == 0)
			*ret_leaf = (size_t)(c - b->certs);
	}
	if (!any && role != CERT_ROLE_LOOSE) {
		/* nothing usable where a certificate belongs */
		struct cert_rec *c = bundle_add_cert(b);
		enum pem_error e = f->error;

		if (!c)
			return -ENOMEM;
		if (e == PEM_OK)
			e = PEM_ERR_WRONG_OBJECT;
		c->role = role;
		c->key_match = -1;
		c->error = e;
		if (dup_str(&c->owner, owner) < 0 || dup_str(&c->file, file) < 0 ||
		    dup_str(&c->error_text, f->error_text ? f->error_text : pem_error_text(e)) < 0)
			return -ENOMEM;
		if (loc_set(&c->where, a->path, base_line ? base_line : f->error_line, ptr,
		            c->error_text) < 0)
			return -ENOMEM;
		*ret_leaf = (size_t)(c - b->certs);
	}
	return 0;
}

/* One item of a facts document as pem_file_parse would have given it. */
static int facts_item(const json_t *it, struct pem_item *p)
{
	const char *label = json_str(it, "label");
	json_t *err = json_object_get(it, "error"), *cert = json_object_get(it, "cert");

	p->line = (unsigned)json_integer_value(json_object_get(it, "line"));
	p->error = json_is_object(err) ? pem_error_from_name(json_str(err, "class")) : PEM_OK;
	if (p->error == PEM_ERR__INVALID)
		p->error = PEM_ERR_BAD_DER;
	if (dup_str(&p->label, label ? label : "") < 0)
		return -ENOMEM;
	if (json_is_object(cert) || (label && strcmp(label, "CERTIFICATE") == 0))
		p->kind = PEM_ITEM_CERT;
	else
		p->kind = PEM_ITEM_OTHER;
	if (p->kind == PEM_ITEM_CERT && p->error == PEM_OK &&
	    (!json_is_object(cert) || cert_facts_from_json(cert, &p->cert, NULL) < 0))
		p->error = PEM_ERR_BAD_DER; /* facts we cannot read: unreadable, not a crash */
	return 0;
}

/* A certificate value as `redact --pseudonymize` leaves it inside a document (a
 * JSON string, a YAML block scalar, base64 Secret data): one compact
 * "apigee-bundle/pem-file/v1" document per PEM block it held, in their order
 * (redact/pemfile.c, pemfile_block_facts). Fills f as pem_file_parse would have
 * from the PEM. 0, 1 when the text is no such document, -ENOMEM. */
static int facts_value_parse(const char *text, size_t len, struct pem_file *f)
{
	size_t off = 0, docs = 0;

	for (;;) {
		json_error_t je;
		json_t *doc, *items, *it;
		size_t i;
		const char *kind;

		while (off < len && strchr(" \t\r\n", text[off]))
			off++;
		if (off >= len || text[off] != '{')
			break;
		doc = json_loadb(text + off, len - off, JSON_DISABLE_EOF_CHECK, &je);
		kind = doc ? json_str(doc, "kind") : NULL;
		if (!kind || strcmp(kind, "apigee-bundle/pem-file/v1") != 0) {
			json_decref(doc);
			break;
		}
		off += (size_t)je.position;
		docs++;
		items = json_object_get(doc, "items");
		json_array_foreach(items, i, it)
		{
			struct pem_item *n = realloc(f->items, (f->n_items + 1) * sizeof(*n));

			if (!n) {
				json_decref(doc);
				return -ENOMEM;
			}
			f->items = n;
			n = &f->items[f->n_items++];
			memset(n, 0, sizeof(*n));
			if (facts_item(it, n) < 0) {
				json_decref(doc);
				return -ENOMEM;
			}
			if (f->error == PEM_OK && n->error != PEM_OK) {
				f->error = n->error;
				f->error_line = n->line;
			}
		}
		json_decref(doc);
	}
	return docs ? 0 : 1;
}

/* A certificate value: PEM, or the facts that replaced it (facts_value_parse). */
static int cert_value_parse(const char *text, size_t len, struct pem_file *f)
{
	int r = facts_value_parse(text, len, f);

	if (r <= 0)
		return r;
	pem_file_release(f);
	return pem_file_parse((const uint8_t *)text, len, f, NULL);
}

int ingest_cert_value(struct bundle *b, struct artifact *a, const char *pem, size_t len,
                      enum cert_role role, const char *owner, const char *file, const char *ptr,
                      unsigned line)
{
	struct pem_file f = { 0 };
	size_t first = b->n_certs, leaf;
	int r = cert_value_parse(pem, len, &f);

	if (r == 0)
		r = add_cert_chain(b, a, &f, role, owner, file, ptr, line, &leaf);
	if (r == 0 && f.has_private_key) {
		a->has_private_key = true;
		b->input_has_private_key = true;
	}
	/* a line inside the value means nothing in the file: the pointer locates it */
	for (size_t i = first; r == 0 && i < b->n_certs; i++)
		b->certs[i].where.line = line;
	pem_file_release(&f);
	return r;
}

/* Record what a private key found beside a certificate says of it: matched or
 * not (by public key), or why the key is unreadable. 0, -ENOMEM. */
static int cert_take_key(struct cert_rec *c, const struct key_facts *kf)
{
	if (kf->status == PEM_OK) {
		c->key_state = KEYSTATE_OK;
		c->key_match = c->parsed ? cert_key_match(&c->facts, kf) : -1;
		return 0;
	}
	c->key_state = KEYSTATE_BAD;
	c->key_error = kf->status;
	return dup_str(&c->key_error_text, pem_error_text(kf->status));
}

static int k8s_secret(struct bundle *b, struct artifact *a, const json_t *o, const char *ptr,
                      bool listed)
{
	const char *name = jpath_str(o, "metadata", "name");
	struct secret_meta *s;
	json_t *data = json_object_get(o, "data"), *sdata = json_object_get(o, "stringData");
	const char *k;
	json_t *v;
	size_t leaf = SIZE_MAX;
	struct key_facts kf = { 0 };
	bool have_key = false;
	int r = 0;

	if (!name)
		return 0;
	s = bundle_secret(b, name);
	if (!s)
		return -ENOMEM;
	if (listed)
		b->secrets_listed = true;
	if (dup_str(&s->type, json_str(o, "type")) < 0)
		return -ENOMEM;
	if (set_loc(&s->where, a, ptr, yamljson_line(o), NULL) < 0)
		return -ENOMEM;
	for (int pass = 0; pass < 2; pass++) {
		json_t *d = pass ? sdata : data;

		json_object_foreach(d, k, v)
		{
			struct buf raw = BUF_INIT;
			struct pem_file f = { 0 };

			if (k[0] == '\x01')
				continue;
			if (strv_push_unique(&s->data_keys, k) < 0)
				return -ENOMEM;
			if (!json_is_string(v) || !json_string_length(v))
				continue;
			if (!is_cert_data_key(k) && !is_key_data_key(k))
				continue;
			if (pass == 0) {
				if (b64_decode(json_string_value(v), &raw) < 0) {
					buf_release(&raw);
					continue;
				}
			} else if (buf_puts(&raw, json_string_value(v)) < 0) {
				return -ENOMEM;
			}
			if (is_key_data_key(k)) {
				key_facts_release(&kf);
				r = pem_parse_key_file((const uint8_t *)raw.data, raw.len, &kf,
				                       NULL);
				have_key = r == 0;
				a->has_private_key = true;
				b->input_has_private_key = true;
			} else if (strcmp(k, "ca.crt") != 0) {
				struct buf p = BUF_INIT;

				r = cert_value_parse(raw.data, raw.len, &f);
				if (r == 0) {
					buf_printf(&p, "%s/%s/%s", ptr,
					           pass ? "stringData" : "data", k);
					r = add_cert_chain(b, a, &f, CERT_ROLE_SECRET, name, k,
					                   p.data, yamljson_line(o), &leaf);
					if (f.has_private_key) {
						a->has_private_key = true;
						b->input_has_private_key = true;
					}
				}
				buf_release(&p);
				pem_file_release(&f);
			}
			OPENSSL_cleanse(raw.data, raw.len);
			buf_release(&raw);
			if (r == -ENOMEM)
				return r;
			r = 0;
		}
	}
	if (leaf != SIZE_MAX && have_key) {
		if (cert_take_key(&b->certs[leaf], &kf) < 0)
			r = -ENOMEM;
	}
	key_facts_release(&kf);
	return r < 0 ? r : 1;
}

static int k8s_pod(struct bundle *b, struct artifact *a, const json_t *o, const char *ptr)
{
	const char *name = jpath_str(o, "metadata", "name");
	json_t *labels = json_object_get(json_object_get(o, "metadata"), "labels");
	json_t *cs = json_object_get(json_object_get(o, "status"), "containerStatuses"), *c;
	struct pod_meta *p;
	size_t i, ready = 0;

	if (!name)
		return 0;
	p = bundle_add_pod(b);
	if (!p)
		return -ENOMEM;
	if (dup_str(&p->name, name) < 0 || dup_str(&p->app, json_str(labels, "app")) < 0 ||
	    dup_str(&p->phase, jpath_str(o, "status", "phase")) < 0)
		return -ENOMEM;
	json_array_foreach(cs, i, c) if (json_is_true(json_object_get(c, "ready"))) ready++;
	if (json_array_size(cs)) {
		char tmp[32];

		snprintf(tmp, sizeof(tmp), "%zu/%zu", ready, json_array_size(cs));
		if (dup_str(&p->ready, tmp) < 0)
			return -ENOMEM;
	}
	return set_loc(&p->where, a, ptr, yamljson_line(o), NULL) < 0 ? -ENOMEM : 1;
}

static int k8s_service(struct bundle *b, struct artifact *a, const json_t *o, const char *ptr)
{
	const char *name = jpath_str(o, "metadata", "name");
	json_t *ing = json_object_get(json_object_get(json_object_get(o, "status"), "loadBalancer"),
	                              "ingress"),
	       *e;
	struct service_meta *s;
	size_t i;

	if (!name)
		return 0;
	s = bundle_add_service(b);
	if (!s)
		return -ENOMEM;
	if (dup_str(&s->name, name) < 0 || dup_str(&s->type, jpath_str(o, "spec", "type")) < 0)
		return -ENOMEM;
	json_array_foreach(ing, i, e)
	{
		const char *ip = json_str(e, "ip") ? json_str(e, "ip") : json_str(e, "hostname");

		if (ip && strv_push_unique(&s->external_ips, ip) < 0)
			return -ENOMEM;
	}
	return set_loc(&s->where, a, ptr, yamljson_line(o), NULL) < 0 ? -ENOMEM : 1;
}

/* Readers of the Kubernetes kinds ingest uses beyond their metadata: k8s_object and
 * the list skim (skim_needs_tree) both go by this one table. */
static int kind_route(struct bundle *b, struct artifact *a, const json_t *o, const char *ptr,
                      bool listed)
{
	if (listed)
		b->routes_listed = true;
	return k8s_route(b, a, o, ptr);
}

static int kind_route_config(struct bundle *b, struct artifact *a, const json_t *o, const char *ptr,
                             bool listed)
{
	(void)listed;
	return k8s_route_config(b, a, o, ptr);
}

static int kind_pod(struct bundle *b, struct artifact *a, const json_t *o, const char *ptr,
                    bool listed)
{
	(void)listed;
	return k8s_pod(b, a, o, ptr);
}

static int kind_service(struct bundle *b, struct artifact *a, const json_t *o, const char *ptr,
                        bool listed)
{
	(void)listed;
	return k8s_service(b, a, o, ptr);
}

static const struct k8s_kind {
	const char *kind;
	int (*read)(struct bundle *b, struct artifact *a, const json_t *o, const char *ptr,
	            bool listed);
} k8s_kinds[] = {
	{ "ApigeeRoute", kind_route }, { "ApigeeRouteConfig", kind_route_config },
	{ "Secret", k8s_secret },      { "Pod", kind_pod },
	{ "Service", kind_service },
};

static const struct k8s_kind *k8s_kind_find(const char *kind, size_t len)
{
	for (size_t i = 0; i < ELEMENTSOF(k8s_kinds); i++)
		if (strlen(k8s_kinds[i].kind) == len && memcmp(k8s_kinds[i].kind, kind, len) == 0)
			return &k8s_kinds[i];
	return NULL;
}

static int k8s_object(struct bundle *b, struct artifact *a, const json_t *o, const char *ptr,
                      bool listed)
{
	const char *kind = json_str(o, "kind");
	const char *ts = jpath_str(o, "metadata", "creationTimestamp");
	const struct k8s_kind *k;
	int64_t t;

	if (ts && text_parse_time(ts, strlen(ts), &t) == 0)
		bundle_note_time(b, t);
	if (!b->namespace_ && jpath_str(o, "metadata", "namespace"))
		if (dup_str(&b->namespace_, jpath_str(o, "metadata", "namespace")) < 0)
			return -ENOMEM;
	k = k8s_kind_find(kind, strlen(kind));
	if (k)
		return k->read(b, a, o, ptr, listed);
	return 1; /* a Kubernetes object we do not use: still recognised */
}

static bool path_mentions(const char *path, const char *word)
{
	return text_find_ci(path, strlen(path), word) != NULL;
}

static int k8s_list(struct bundle *b, struct artifact *a, const json_t *o, const char *ptr)
{
	const char *kind = json_str(o, "kind");
	json_t *items = json_object_get(o, "items"), *it;
	size_t i;

	if (json_array_size(items) == 0) {
		/* an empty "List" says nothing about what was listed but through its name */
		if (strcmp(kind, "ApigeeRouteList") == 0 || path_mentions(a->path, "apigeeroute"))
			b->routes_listed = true;
		if (strcmp(kind, "SecretList") == 0 || path_mentions(a->path, "secret"))
			b->secrets_listed = true;
		return 1;
	}
	json_array_foreach(items, i, it)
	{
		char p[64];
		int r;

		if (!json_is_object(it) || !json_str(it, "kind"))
			continue;
		snprintf(p, sizeof(p), "%s/items/%zu", ptr, i);
		r = k8s_object(b, a, it, p, true);
		if (r < 0)
			return r;
	}
	return 1;
}

/* The same as k8s_list on the tree jansson would build, for a list the skim
 * accepted (ingest_jsonlist.h): an item of a kind ingest uses, or whose read keys
 * and values carry escapes, is parsed alone by jansson and read by k8s_object; of
 * any other item only the creation time and the namespace are read. */
struct skim_ctx {
	struct bundle *b;
	struct artifact *a;
};

static bool skim_needs_tree(const char *doc, const struct jl_item *it, void *userdata)
{
	(void)userdata;
	if (!it->object)
		return false;
	if (it->key_esc)
		return true;
	if (it->kind_t != JL_STRING)
		return false;
	if (it->kind.esc)
		return true;
	if (it->md_t == JL_OBJECT &&
	    ((it->ts_t == JL_STRING && it->ts.esc) || (it->ns_t == JL_STRING && it->ns.esc)))
		return true;
	/* the kinds k8s_object reads beyond the metadata */
	return k8s_kind_find(doc + it->kind.off, it->kind.len) != NULL;
}

static int skim_item_tree(struct skim_ctx *c, const char *doc, const struct jl_item *it)
{
	json_t *v = json_loadb(doc + it->off, it->len, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
	char p[64];
	int r = 0;

	if (!v)
		return -ENOMEM; /* the skim accepted it: jansson fails only without memory */
	if (json_is_object(v) && json_str(v, "kind")) {
		snprintf(p, sizeof(p), "/items/%zu", it->index);
		r = k8s_object(c->b, c->a, v, p, true);
	}
	json_decref(v);
	return r;
}

static int skim_item(const char *doc, const struct jl_item *it, void *userdata)
{
	struct skim_ctx *c = userdata;
	int64_t t;

	if (!it->object)
		return 0;
	if (skim_needs_tree(doc, it, NULL))
		return skim_item_tree(c, doc, it);
	if (it->kind_t != JL_STRING || it->md_t != JL_OBJECT)
		return 0;
	if (it->ts_t == JL_STRING && text_parse_time(doc + it->ts.off, it->ts.len, &t) == 0)
		bundle_note_time(c->b, t);
	if (!c->b->namespace_ && it->ns_t == JL_STRING) {
		c->b->namespace_ = strndup(doc + it->ns.off, it->ns.len);
		if (!c->b->namespace_)
			return -ENOMEM;
	}
	return 0;
}

int ingest_json_list(struct bundle *b, struct artifact *a, const char *doc, size_t len)
{
	struct skim_ctx c = { .b = b, .a = a };
	int r = jsonlist_walk(doc, len, skim_item, skim_needs_tree, &c);

	if (r > 0)
		mark(a, ART_K8S_JSON);
	return r;
}

/* ---- overrides.yaml ------------------------------------------------------------------ */

static bool is_overrides(const json_t *o)
{
	if (json_is_array(json_object_get(o, "virtualhosts")))
		return true;
	return json_str(o, "org") &&
	       (json_object_get(o, "instanceID") || json_object_get(o, "envs") ||
	        json_object_get(o, "k8sCluster") || json_object_get(o, "gcp") ||
	        json_object_get(o, "ingressGateways") || json_object_get(o, "cassandra"));
}

/* sslCert / sslKey given inline (a YAML block scalar) instead of by path */
static int vhost_inline_pem(struct bundle *b, struct artifact *a, const json_t *vh,
                            const char *name, const char *ptr)
{
	const char *cert = json_str(vh, "sslCert"), *key = json_str(vh, "sslKey");
	struct key_facts kf = { 0 };
	size_t first = b->n_certs;
	char p[160];
	int r;

	/* PEM, or its facts when the bundle was pseudonymized (facts_value_parse) */
	if (!cert || (!strstr(cert, "-----BEGIN ") && !strstr(cert, "apigee-bundle/pem-file/v1")))
		return 0;
	snprintf(p, sizeof(p), "%s/sslCert", ptr);
	r = ingest_cert_value(b, a, cert, strlen(cert), CERT_ROLE_VHOST, name, "sslCert", p,
	                      yamljson_line(json_object_get(vh, "sslCert")));
	if (r < 0 || !key || b->n_certs == first)
		return r;
	a->has_private_key = true;
	b->input_has_private_key = true;
	if (pem_parse_key_file((const uint8_t *)key, strlen(key), &kf, NULL) == 0) {
		r = cert_take_key(&b->certs[first], &kf);
	}
	key_facts_release(&kf);
	return r;
}

static int overrides(struct bundle *b, struct artifact *a, const json_t *o, const char *ptr)
{
	json_t *vhs = json_object_get(o, "virtualhosts"), *vh;
	size_t i;

	b->overrides_seen = true;
	if (!b->overrides.org && dup_str(&b->overrides.org, json_str(o, "org")) < 0)
		return -ENOMEM;
	if (!b->overrides.instance_id &&
	    dup_str(&b->overrides.instance_id, json_str(o, "instanceID")) < 0)
		return -ENOMEM;
	if (!b->overrides.project) {
		const char *p = jpath_str(o, "gcp", "projectID") ? jpath_str(o, "gcp", "projectID")
		                                                 : json_str(o, "gcpProjectID");

		if (dup_str(&b->overrides.project, p) < 0)
			return -ENOMEM;
	}
	if (!b->overrides.where.artifact &&
	    loc_set(&b->overrides.where, a->path, 0, NULL, NULL) < 0)
		return -ENOMEM;
	json_array_foreach(vhs, i, vh)
	{
		struct vhost *v;
		char p[96];
		json_t *ag;

		if (!json_is_object(vh) || !json_str(vh, "name"))
			continue;
		v = bundle_add_vhost(b);
		if (!v)
			return -ENOMEM;
		if (dup_str(&v->name, json_str(vh, "name")) < 0 ||
		    dup_str(&v->ssl_cert_path, json_str(vh, "sslCertPath")) < 0 ||
		    dup_str(&v->ssl_key_path, json_str(vh, "sslKeyPath")) < 0 ||
		    dup_str(&v->ssl_secret, json_str(vh, "sslSecret")) < 0)
			return -ENOMEM;
		ag = json_object_get(vh, "additionalGateways");
		v->gateways_known = true;
		if (strv_from_json(&v->additional_gateways, ag) < 0 ||
		    strv_from_json(&v->host_aliases, json_object_get(vh, "hostAliases")) < 0)
			return -ENOMEM;
		snprintf(p, sizeof(p), "%s/virtualhosts/%zu", ptr, i);
		if (vhost_inline_pem(b, a, vh, v->name, p) < 0)
			return -ENOMEM;
		{
			json_t *ex = json_pack("{s:O*,s:O*}", "name", json_object_get(vh, "name"),
			                       "additionalGateways", ag);
			int r = set_loc(&v->where, a, p, yamljson_line(vh), ex);

			json_decref(ex);
			if (r < 0)
				return r;
		}
	}
	mark(a, ART_OVERRIDES);
	return 1;
}

/* ---- management API ---------------------------------------------------------------------- */

static const char *strip_prefix(const char *s, const char *prefix)
{
	size_t n = strlen(prefix);

	return s && strncmp(s, prefix, n) == 0 ? s + n : s;
}

static int api_instance_obj(struct bundle *b, struct artifact *a, const json_t *o, const char *ptr)
{
	const char *name = json_str(o, "name");
	struct api_instance *s;

	if (!name)
		return 0;
	name = strrchr(name, '/') ? strrchr(name, '/') + 1 : name;
	s = bundle_instance(b, name);
	if (!s)
		return -ENOMEM;
	if (dup_str(&s->host, json_str(o, "host")) < 0 ||
	    dup_str(&s->location, json_str(o, "location")) < 0)
		return -ENOMEM;
	if (!s->where.artifact && set_loc(&s->where, a, ptr, yamljson_line(o), NULL) < 0)
		return -ENOMEM;
	return 1;
}

static int api_object(struct bundle *b, struct artifact *a, const json_t *o, const char *ptr)
{
	json_t *arr, *it;
	size_t i;

	if ((arr = json_object_get(o, "instances")) && json_is_array(arr)) {
		b->instances_listed = true;
		json_array_foreach(arr, i, it)
		{
			char p[64];

			snprintf(p, sizeof(p), "%s/instances/%zu", ptr, i);
			if (api_instance_obj(b, a, it, p) < 0)
				return -ENOMEM;
		}
		return 1;
	}
	if ((arr = json_object_get(o, "environmentGroups")) && json_is_array(arr)) {
		b->envgroups_listed = true;
		json_array_foreach(arr, i, it)
		{
			const char *name = json_str(it, "name");
			struct api_envgroup *g;
			char p[64];

			if (!name)
				continue;
			name = strrchr(name, '/') ? strrchr(name, '/') + 1 : name;
			g = bundle_envgroup(b, name);
			if (!g ||
			    strv_from_json(&g->hostnames, json_object_get(it, "hostnames")) < 0)
				return -ENOMEM;
			snprintf(p, sizeof(p), "%s/environmentGroups/%zu", ptr, i);
			if (set_loc(&g->where, a, p, 0, json_object_get(it, "hostnames")) < 0)
				return -ENOMEM;
		}
		return 1;
	}
	if ((arr = json_object_get(o, "environmentGroupAttachments")) && json_is_array(arr)) {
		json_array_foreach(arr, i, it)
		{
			const char *g = json_str(it, "environmentGroupId"),
			           *env = json_str(it, "environment");
			struct api_envgroup *eg;

			if (!g || !env)
				continue;
			g = strrchr(g, '/') ? strrchr(g, '/') + 1 : g;
			eg = bundle_envgroup(b, g);
			if (!eg || strv_push_unique(&eg->attached_envs, env) < 0)
				return -ENOMEM;
			eg->attachments_known = true;
		}
		return 1;
	}
	if ((arr = json_object_get(o, "attachments")) && json_is_array(arr)) {
		struct pending *p = pending_get(b);
		struct pend_att *pa;

		if (!p || model_grow((void **)&p->att, &p->cap_att, p->n_att, sizeof(*p->att)) < 0)
			return -ENOMEM;
		pa = &p->att[p->n_att++];
		pa->artifact = (size_t)(a - b->artifacts);
		json_array_foreach(arr, i, it)
		{
			const char *env = json_str(it, "environment");

			if (env && strv_push_unique(&pa->envs, env) < 0)
				return -ENOMEM;
		}
		if (set_loc(&pa->where, a, "/attachments", 0, NULL) < 0)
			return -ENOMEM;
		return 1;
	}
	if (json_is_object(json_object_get(o, "error")) &&
	    json_object_get(json_object_get(o, "error"), "code")) {
		json_t *e = json_object_get(o, "error");
		struct api_error *ae = bundle_add_api_error(b);

		if (!ae)
			return -ENOMEM;
		ae->code = (int)json_integer_value(json_object_get(e, "code"));
		if (dup_str(&ae->status, json_str(e, "status")) < 0 ||
		    dup_str(&ae->message, json_str(e, "message")) < 0 ||
		    set_loc(&ae->where, a, "/error", 0, e) < 0)
			return -ENOMEM;
		return 1;
	}
	/* an organization */
	if (json_str(o, "name") &&
	    (json_object_get(o, "runtimeType") || json_object_get(o, "subscriptionType") ||
	     json_object_get(o, "billingType") || json_object_get(o, "analyticsRegion") ||
	     json_object_get(o, "apigeeProjectId") ||
	     (json_object_get(o, "environments") && json_object_get(o, "createdAt")))) {
		struct api_org *org = &b->org;

		org->seen = true;
		if (dup_str(&org->name, strip_prefix(json_str(o, "name"), "organizations/")) < 0 ||
		    dup_str(&org->runtime_type, json_str(o, "runtimeType")) < 0 ||
		    dup_str(&org->authorized_network, json_str(o, "authorizedNetwork")) < 0 ||
		    strv_from_json(&org->environments, json_object_get(o, "environments")) < 0 ||
		    set_loc(&org->where, a, ptr, yamljson_line(o),
		            json_object_get(o, "environments")) < 0)
			return -ENOMEM;
		return 1;
	}
	/* one instance */
	if (json_str(o, "name") && json_str(o, "host") &&
	    (json_object_get(o, "location") || json_object_get(o, "port")))
		return api_instance_obj(b, a, o, ptr);
	return 0;
}

/* ---- the collector's own documents ---------------------------------------------------------- */

static int facts_array(struct bundle *b, struct artifact *a, const json_t *arr, enum cert_role role,
                       const char *owner, const char *file, const char *ptr, size_t *ret_leaf)
{
	json_t *it;
	size_t i;

	*ret_leaf = SIZE_MAX;
	json_array_foreach(arr, i, it)
	{
		struct cert_rec *c = bundle_add_cert(b);
		char p[160];

		if (!c)
			return -ENOMEM;
		c->role = role;
		c->chain_index = (unsigned)i;
		c->key_match = -1;
		if (dup_str(&c->owner, owner) < 0 || dup_str(&c->file, file) < 0)
			return -ENOMEM;
		if (cert_facts_from_json(it, &c->facts, NULL) == 0) {
			c->parsed = true;
		} else {
			c->error = PEM_ERR_BAD_DER;
			if (dup_str(&c->error_text, "unreadable certificate facts") < 0)
				return -ENOMEM;
		}
		snprintf(p, sizeof(p), "%s/%zu", ptr, i);
		if (loc_set(&c->where, a->path, 0, p, c->parsed ? c->facts.subject : NULL) < 0)
			return -ENOMEM;
		if (i == 0)
			*ret_leaf = (size_t)(c - b->certs);
	}
	return 0;
}

/* {"certificates":[facts], "cert_error":{"class","text"}, "key":{key facts}, "key_matches":b} */
static int tls_entry(struct bundle *b, struct artifact *a, const json_t *e, enum cert_role role,
                     const char *owner, const char *file, const char *ptr)
{
	json_t *cerr = json_object_get(e, "cert_error"), *key = json_object_get(e, "key");
	size_t leaf = SIZE_MAX;
	char p[160];
	int r;

	snprintf(p, sizeof(p), "%s/certificates", ptr);
	r = facts_array(b, a, json_object_get(e, "certificates"), role, owner, file, p, &leaf);
	if (r < 0)
		return r;
	if (json_is_object(cerr)) {
		struct cert_rec *c = bundle_add_cert(b);
		enum pem_error pe = pem_error_from_name(json_str(cerr, "class"));

		if (!c)
			return -ENOMEM;
		c->role = role;
		c->key_match = -1;
		c->error = pe == PEM_ERR__INVALID ? PEM_ERR_BAD_DER : pe;
		if (dup_str(&c->owner, owner) < 0 || dup_str(&c->file, file) < 0 ||
		    dup_str(&c->error_text, json_str(cerr, "text") ? json_str(cerr, "text")
		                                                   : pem_error_text(c->error)) < 0)
			return -ENOMEM;
		snprintf(p, sizeof(p), "%s/cert_error", ptr);
		if (set_loc(&c->where, a, p, 0, cerr) < 0)
			return -ENOMEM;
		if (leaf == SIZE_MAX)
			leaf = (size_t)(c - b->certs);
	}
	if (leaf != SIZE_MAX && !json_is_object(key) &&
	    json_is_object(json_object_get(e, "key_error"))) {
		/* the key file could not be read or parsed: the collector says why */
		json_t *ke = json_object_get(e, "key_error");
		struct cert_rec *c = &b->certs[leaf];
		enum pem_error pe = pem_error_from_name(json_str(ke, "class"));

		c->key_state = KEYSTATE_BAD;
		c->key_error = pe == PEM_ERR__INVALID ? PEM_ERR_BAD_DER : pe;
		if (dup_str(&c->key_error_text, json_str(ke, "text")
		                                        ? json_str(ke, "text")
		                                        : pem_error_text(c->key_error)) < 0)
			return -ENOMEM;
	}
	if (leaf != SIZE_MAX && json_is_object(key)) {
		struct cert_rec *c = &b->certs[leaf];
		struct key_facts kf = { 0 };
		json_t *km = json_object_get(e, "key_matches");

		if (key_facts_from_json(key, &kf, NULL) == 0) {
			if (kf.status == PEM_OK) {
				c->key_state = KEYSTATE_OK;
				if (json_is_boolean(km))
					c->key_match = json_is_true(km);
				else if (c->parsed)
					c->key_match = cert_key_match(&c->facts, &kf);
			} else {
				c->key_state = KEYSTATE_BAD;
				c->key_error = kf.status;
				if (dup_str(&c->key_error_text,
				            json_str(key, "error")
				                    ? json_str(key, "error")
				                    : pem_error_text(kf.status)) < 0) {
					key_facts_release(&kf);
					return -ENOMEM;
				}
			}
		}
		key_facts_release(&kf);
	}
	return 0;
}

static int collector_probes(struct bundle *b, struct artifact *a, const json_t *o)
{
	json_t *arr = json_object_get(o, "probes"), *it;
	size_t i;

	b->probes_seen = true;
	json_array_foreach(arr, i, it)
	{
		struct probe *p = bundle_add_probe(b);
		json_t *verify = json_object_get(it, "verify"),
		       *chain = json_object_get(it, "chain");
		char ptr[64];
		size_t leaf;
		int r;

		if (!p)
			return -ENOMEM;
		p->outcome = probe_outcome_from_name(json_str(it, "outcome"));
		if (p->outcome == PROBE__INVALID)
			p->outcome = PROBE_ERROR;
		p->port = (int)json_integer_value(json_object_get(it, "port"));
		p->verify_ok = json_is_boolean(json_object_get(verify, "ok"))
		                       ? json_is_true(json_object_get(verify, "ok"))
		                       : -1;
		p->verify_code = (long)json_integer_value(json_object_get(verify, "code"));
		if (dup_str(&p->host, json_str(it, "host")) < 0 ||
		    dup_str(&p->address, json_str(it, "address")) < 0 ||
		    dup_str(&p->sni, json_str(it, "sni")) < 0 ||
		    dup_str(&p->alert, json_str(it, "alert")) < 0 ||
		    dup_str(&p->error, json_str(it, "error")) < 0 ||
		    dup_str(&p->protocol, json_str(it, "protocol")) < 0 ||
		    dup_str(&p->cipher, json_str(it, "cipher")) < 0 ||
		    dup_str(&p->verify_error, json_str(verify, "error")) < 0)
			return -ENOMEM;
		p->verify_class = p->verify_ok == 1    ? VERIFY_OK
		                  : p->verify_ok != 0  ? VERIFY_UNKNOWN
		                  : p->verify_code > 0 ? verify_class_from_code(p->verify_code)
		                                       : verify_class_from_text(p->verify_error);
		snprintf(ptr, sizeof(ptr), "/probes/%zu", i);
		{
			json_t *ex = json_pack("{s:O*,s:O*,s:O*,s:O*}", "address",
			                       json_object_get(it, "address"), "sni",
			                       json_object_get(it, "sni"), "outcome",
			                       json_object_get(it, "outcome"), "alert",
			                       json_object_get(it, "alert"));

			r = set_loc(&p->where, a, ptr, 0, ex);
			json_decref(ex);
			if (r < 0)
				return r;
		}
		snprintf(ptr, sizeof(ptr), "/probes/%zu/chain", i);
		r = facts_array(b, a, chain, CERT_ROLE_SERVED, p->sni ? p->sni : p->address, NULL,
		                ptr, &leaf);
		if (r < 0)
			return r;
		if (leaf != SIZE_MAX) {
			p->got_cert = true;
			memcpy(p->leaf_sha256, b->certs[leaf].facts.sha256, sizeof(p->leaf_sha256));
		}
		{
			const char *t = json_str(it, "time");
			int64_t tt;

			if (t && text_parse_time(t, strlen(t), &tt) == 0)
				bundle_note_time(b, tt);
		}
	}
	return 1;
}

static int collector_secrets(struct bundle *b, struct artifact *a, const json_t *o)
{
	json_t *arr = json_object_get(o, "items"), *it;
	size_t i;

	b->secrets_listed = true;
	json_array_foreach(arr, i, it)
	{
		const char *name = json_str(it, "name");
		struct secret_meta *s;
		json_t *keys = json_object_get(it, "data_keys"), *tls = json_object_get(it, "tls");
		char ptr[64];

		if (!name)
			continue;
		s = bundle_secret(b, name);
		if (!s || dup_str(&s->type, json_str(it, "type")) < 0)
			return -ENOMEM;
		if (json_is_object(keys)) {
			const char *k;
			json_t *v;

			json_object_foreach(keys, k, v) if (strv_push_unique(&s->data_keys, k) <
			                                    0) return -ENOMEM;
		} else if (strv_from_json(&s->data_keys, keys) < 0) {
			return -ENOMEM;
		}
		snprintf(ptr, sizeof(ptr), "/items/%zu", i);
		if (set_loc(&s->where, a, ptr, 0, NULL) < 0)
			return -ENOMEM;
		if (json_is_object(tls)) {
			snprintf(ptr, sizeof(ptr), "/items/%zu/tls", i);
			if (tls_entry(b, a, tls, CERT_ROLE_SECRET, name, json_str(tls, "cert_key"),
			              ptr) < 0)
				return -ENOMEM;
		}
	}
	return 1;
}

static int collector_tls_files(struct bundle *b, struct artifact *a, const json_t *o)
{
	json_t *arr = json_object_get(o, "items"), *it;
	size_t i;

	json_array_foreach(arr, i, it)
	{
		char ptr[64];

		snprintf(ptr, sizeof(ptr), "/items/%zu", i);
		if (tls_entry(b, a, it, CERT_ROLE_VHOST, json_str(it, "virtualhost"),
		              json_str(it, "cert_path"), ptr) < 0)
			return -ENOMEM;
	}
	return 1;
}

/* The manifest's "sources" (name, status, reason), kept for the report. */
static int manifest_sources(struct bundle *b, const json_t *o)
{
	json_t *it;
	size_t i;

	json_array_foreach(json_object_get(o, "sources"), i, it)
	{
		struct manifest_source *ms;
		int r;

		if (!json_str(it, "name") || !json_str(it, "status"))
			continue;
		r = model_grow((void **)&b->sources, &b->cap_sources, b->n_sources,
		               sizeof(*b->sources));
		if (r == -ERANGE) {
			b->model_capped = true;
			return 0;
		}
		if (r < 0)
			return r;
		ms = &b->sources[b->n_sources++];
		if (dup_str(&ms->name, json_str(it, "name")) < 0 ||
		    dup_str(&ms->status, json_str(it, "status")) < 0 ||
		    dup_str(&ms->reason, json_str(it, "reason")) < 0)
			return -ENOMEM;
	}
	return 0;
}

/* redaction.json: the count per rule, kept for the report. */
static int redaction_doc(struct bundle *b, struct artifact *a, const json_t *o)
{
	json_t *it;
	size_t i;

	mark(a, ART_REDACTION);
	b->redaction_seen = true;
	json_array_foreach(json_object_get(o, "rules"), i, it)
	{
		json_t *count = json_object_get(it, "count");
		struct redaction_count *rc;
		int r;

		if (!json_str(it, "rule") || !json_is_integer(count) ||
		    json_integer_value(count) < 0)
			continue;
		r = model_grow((void **)&b->redactions, &b->cap_redactions, b->n_redactions,
		               sizeof(*b->redactions));
		if (r == -ERANGE) {
			b->model_capped = true;
			return 1;
		}
		if (r < 0)
			return r;
		rc = &b->redactions[b->n_redactions++];
		rc->count = (uint64_t)json_integer_value(count);
		if (dup_str(&rc->rule, json_str(it, "rule")) < 0)
			return -ENOMEM;
	}
	return 1;
}

static int manifest(struct bundle *b, struct artifact *a, const json_t *o)
{
	json_t *arts = json_object_get(o, "artifacts"), *it;
	const char *end = jpath_str(o, "collection", "end");
	const char *start = jpath_str(o, "collection", "start");
	struct pending *p = pending_get(b);
	const char *slash = strrchr(a->path, '/');
	size_t i;
	int64_t t;

	if (!p)
		return -ENOMEM;
	b->is_collected = true;
	mark(a, ART_MANIFEST);
	if (dup_str(&b->tool_version, json_str(o, "tool_version")) < 0 ||
	    manifest_sources(b, o) < 0)
		return -ENOMEM;
	if (slash && !b->top && !(b->top = strndup(a->path, (size_t)(slash - a->path))))
		return -ENOMEM;
	if ((end && text_parse_time(end, strlen(end), &t) == 0) ||
	    (start && text_parse_time(start, strlen(start), &t) == 0))
		b->collected_at = t;
	json_array_foreach(arts, i, it)
	{
		json_t *src = json_object_get(it, "source");
		const char *path = json_str(it, "path");
		struct pend_src *ps;

		if (!path)
			continue;
		if (model_grow((void **)&p->src, &p->cap_src, p->n_src, sizeof(*p->src)) < 0)
			break;
		ps = &p->src[p->n_src++];
		ps->path = strdup(path);
		ps->url = json_str(src, "url") ? strdup(json_str(src, "url")) : NULL;
		ps->status = json_is_integer(json_object_get(it, "http_status"))
		                     ? (int)json_integer_value(json_object_get(it, "http_status"))
		                     : -1;
		if (!ps->path)
			return -ENOMEM;
	}
	return 1;
}

/* A PEM file as `redact` leaves it when it may not keep the PEM (pseudonymized
 * certificates, key-only files): "apigee-bundle/pem-file/v1", the facts of every
 * block at the same member path, so sslCertPath/sslKeyPath still resolve and the
 * TLS checks give the verdicts they would give on the original file. */
static int collector_pem_file(struct bundle *b, struct artifact *a, const json_t *o)
{
	json_t *items = json_object_get(o, "items"), *it;
	size_t first_cert = SIZE_MAX;
	unsigned idx = 0;
	size_t i;

	json_array_foreach(items, i, it)
	{
		const char *label = json_str(it, "label");
		json_t *err = json_object_get(it, "error");
		enum pem_error e =
		        json_is_object(err) ? pem_error_from_name(json_str(err, "class")) : PEM_OK;

		if (e == PEM_ERR__INVALID)
			e = PEM_ERR_BAD_DER;
		unsigned line = (unsigned)json_integer_value(json_object_get(it, "line"));

		if (json_object_get(it, "cert") || (label && strcmp(label, "CERTIFICATE") == 0)) {
			struct cert_rec *c = bundle_add_cert(b);

			if (!c)
				return -ENOMEM;
			c->role = CERT_ROLE_LOOSE;
			if (idx == 0)
				first_cert = (size_t)(c - b->certs);
			c->chain_index = idx++;
			c->key_match = -1;
			if (e == PEM_OK && json_is_object(json_object_get(it, "cert")) &&
			    cert_facts_from_json(json_object_get(it, "cert"), &c->facts, NULL) ==
			            0) {
				c->parsed = true;
			} else {
				c->error = e != PEM_OK ? e : PEM_ERR_BAD_DER;
				if (dup_str(&c->error_text, pem_error_text(c->error)) < 0)
					return -ENOMEM;
			}
			if (loc_set(&c->where, a->path, line, NULL,
			            c->parsed ? c->facts.subject : c->error_text) < 0)
				return -ENOMEM;
		} else if (json_object_get(it, "key")) {
			struct key_rec *k = bundle_add_key(b);

			if (!k)
				return -ENOMEM;
			if (key_facts_from_json(json_object_get(it, "key"), &k->facts, NULL) < 0) {
				/* facts we cannot read: an unreadable key, not a crash */
				key_facts_release(&k->facts);
				memset(&k->facts, 0, sizeof(k->facts));
				k->facts.status = PEM_ERR_BAD_DER;
			}
			if (e != PEM_OK)
				k->facts.status = e;
			/* the key itself was removed by the redactor: no private-key warning */
			if (loc_set(&k->where, a->path, line, NULL, label) < 0)
				return -ENOMEM;
		}
	}
	if (json_is_true(json_object_get(o, "der")) && first_cert != SIZE_MAX) {
		/* usable, but not the PEM the ingress needs (as ingest_pem) */
		struct cert_rec *c = &b->certs[first_cert];

		c->error = PEM_ERR_NO_PEM;
		if (dup_str(&c->error_text, "DER-encoded certificate, not PEM") < 0)
			return -ENOMEM;
	}
	if (json_array_size(items) == 0 && json_is_object(json_object_get(o, "error"))) {
		struct cert_rec *c = bundle_add_cert(b);
		json_t *err = json_object_get(o, "error");

		if (!c)
			return -ENOMEM;
		c->role = CERT_ROLE_LOOSE;
		c->key_match = -1;
		c->error = pem_error_from_name(json_str(err, "class"));
		if (c->error == PEM_ERR__INVALID || c->error == PEM_OK)
			c->error = PEM_ERR_BAD_DER;
		if (dup_str(&c->error_text, pem_error_text(c->error)) < 0 ||
		    loc_set(&c->where, a->path,
		            (unsigned)json_integer_value(json_object_get(err, "line")), NULL,
		            c->error_text) < 0)
			return -ENOMEM;
	}
	mark(a, ART_PEM);
	return 1;
}
static int collector_doc(struct bundle *b, struct artifact *a, const json_t *o, const char *kind)
{
	int r = 0;

	if (strcmp(kind, "apigee-bundle/probes/v1") == 0)
		r = collector_probes(b, a, o);
	else if (strcmp(kind, "apigee-bundle/secrets/v1") == 0)
		r = collector_secrets(b, a, o);
	else if (strcmp(kind, "apigee-bundle/tls-files/v1") == 0)
		r = collector_tls_files(b, a, o);
	else if (strcmp(kind, "apigee-bundle/pem-file/v1") == 0)
		r = collector_pem_file(b, a, o);
	else if (strcmp(kind, "apigee-bundle/capture-certs/v1") == 0)
		r = pending_get(b) ? capture_certs_doc(b, a, o, &pending_get(b)->cc) : -ENOMEM;
	else
		r = 1;
	if (r > 0)
		mark(a, ART_COLLECTOR_JSON);
	return r;
}

/* ---- dispatch -------------------------------------------------------------------------------- */

int ingest_json_value(struct bundle *b, struct artifact *a, json_t *v, const char *pointer,
                      unsigned line)
{
	const char *kind, *format;
	int r;

	(void)line;
	if (json_is_array(v))
		return ingest_gcp_value(b, a, v, pointer);
	if (!json_is_object(v))
		return 0;
	format = json_str(v, "format");
	if (format && strncmp(format, "apigee-bundle/manifest", 22) == 0)
		return manifest(b, a, v);
	if (format && strncmp(format, "apigee-bundle/redaction", 23) == 0)
		return redaction_doc(b, a, v);
	if (format && strncmp(format, "apigee-bundle/findings", 22) == 0) {
		mark(a, ART_COLLECTOR_JSON);
		return 1;
	}
	kind = json_str(v, "kind");
	if (kind && strncmp(kind, "apigee-bundle/", 14) == 0)
		return collector_doc(b, a, v, kind);
	if (kind && json_str(v, "apiVersion")) {
		size_t kl = strlen(kind);

		if (kl >= 4 && strcmp(kind + kl - 4, "List") == 0)
			r = k8s_list(b, a, v, pointer);
		else
			r = k8s_object(b, a, v, pointer, false);
		if (r > 0)
			mark(a, ART_K8S_JSON);
		return r;
	}
	if (is_overrides(v))
		return overrides(b, a, v, pointer);
	r = ingest_gcp_value(b, a, v, pointer);
	if (r != 0)
		return r;
	r = api_object(b, a, v, pointer);
	if (r > 0)
		mark(a, ART_API_JSON);
	return r;
}

/* ---- PEM files ------------------------------------------------------------------------------- */

int ingest_pem(struct bundle *b, struct artifact *a, const void *data, size_t len)
{
	struct pem_file f = { 0 };
	size_t leaf;
	int r;

	r = pem_file_parse(data, len, &f, NULL);
	if (r < 0)
		return r;
	mark(a, ART_PEM);
	if (f.has_private_key) {
		a->has_private_key = true;
		b->input_has_private_key = true;
	}
	r = add_cert_chain(b, a, &f, CERT_ROLE_LOOSE, NULL, NULL, NULL, 0, &leaf);
	if (r == 0 && f.der && leaf != SIZE_MAX) {
		/* usable, but not the PEM the ingress needs */
		struct cert_rec *c = &b->certs[leaf];

		c->error = PEM_ERR_NO_PEM;
		if (dup_str(&c->error_text, "DER-encoded certificate, not PEM") < 0)
			r = -ENOMEM;
	}
	for (size_t i = 0; r == 0 && i < f.n_items; i++) {
		const struct pem_item *it = &f.items[i];
		struct key_rec *k;

		if (it->kind != PEM_ITEM_KEY)
			continue;
		k = bundle_add_key(b);
		if (!k) {
			r = -ENOMEM;
			break;
		}
		k->facts.status = it->error != PEM_OK ? it->error : it->key.status;
		k->facts.encrypted = it->key.encrypted;
		k->facts.key_bits = it->key.key_bits;
		memcpy(k->facts.pubkey_sha256, it->key.pubkey_sha256,
		       sizeof(k->facts.pubkey_sha256));
		if (dup_str(&k->facts.key_type, it->key.key_type) < 0 ||
		    dup_str(&k->error_text, it->error_text) < 0 ||
		    loc_set(&k->where, a->path, it->line, NULL, it->label) < 0)
			r = -ENOMEM;
	}
	if (r == 0 && f.n_items == 0 && f.error != PEM_OK) {
		/* "-----BEGIN" somewhere but nothing usable: a broken certificate file */
		struct cert_rec *c = bundle_add_cert(b);

		if (!c) {
			r = -ENOMEM;
		} else {
			c->role = CERT_ROLE_LOOSE;
			c->key_match = -1;
			c->error = f.error;
			if (dup_str(&c->error_text,
			            f.error_text ? f.error_text : pem_error_text(f.error)) < 0 ||
			    loc_set(&c->where, a->path, f.error_line, NULL, c->error_text) < 0)
				r = -ENOMEM;
		}
	}
	pem_file_release(&f);
	return r;
}

/* ---- after the pass ---------------------------------------------------------------------------- */

/* artifact path (maybe under a top folder) names the same file as rel */
static bool path_is(const char *artifact, const char *top, const char *rel)
{
	size_t tl;

	if (strcmp(artifact, rel) == 0)
		return true;
	if (!top || !*top)
		return false;
	tl = strlen(top);
	return strncmp(artifact, top, tl) == 0 && artifact[tl] == '/' &&
	       strcmp(artifact + tl + 1, rel) == 0;
}

static void apply_sources(struct bundle *b, struct pending *p)
{
	for (size_t i = 0; i < p->n_src; i++)
		for (size_t j = 0; j < b->n_artifacts; j++) {
			struct artifact *a = &b->artifacts[j];

			if (!path_is(a->path, b->top, p->src[i].path))
				continue;
			if (p->src[i].url && !a->source_url)
				a->source_url = strdup(p->src[i].url);
			a->source_status = p->src[i].status;
		}
}

/* the instance an attachments document belongs to: from the URL it came from, else
 * from a path segment naming a known instance */
static struct api_instance *attachment_owner(struct bundle *b, const struct artifact *a)
{
	const char *u = a->source_url;

	if (u) {
		const char *s = strstr(u, "/instances/");

		if (s) {
			char name[256];
			size_t n;

			s += strlen("/instances/");
			n = strcspn(s, "/?");
			if (n && n < sizeof(name)) {
				memcpy(name, s, n);
				name[n] = '\0';
				return bundle_instance(b, name);
			}
		}
	}
	for (size_t i = 0; i < b->n_instances; i++) {
		const char *name = b->instances[i].name;
		const char *hit = strstr(a->path, name);
		size_t n = strlen(name);

		while (hit) {
			bool left = hit == a->path || strchr("/._-", hit[-1]);
			bool right = strchr("/._-", hit[n]) != NULL;

			if (left && right)
				return &b->instances[i];
			hit = strstr(hit + 1, name);
		}
	}
	return NULL;
}

/* "./certs/x.pem", ".\\certs\\x.pem", "C:\\certs\\x.pem" -> "certs/x.pem" / "/certs/x.pem" */
static void normalize_rel(const char *p, char *out, size_t size)
{
	if (((p[0] >= 'A' && p[0] <= 'Z') || (p[0] >= 'a' && p[0] <= 'z')) && p[1] == ':')
		p += 2; /* a Windows drive */
	while (p[0] == '.' && (p[1] == '/' || p[1] == '\\'))
		p += 2;
	snprintf(out, size, "%s", p);
	for (char *c = out; *c; c++)
		if (*c == '\\')
			*c = '/';
}

/* a loose file's path matches a path named in overrides.yaml (relative to it) */
static bool file_matches(const char *artifact, const char *overrides_artifact, const char *named)
{
	char norm[1024], want[2048];
	const char *slash = overrides_artifact ? strrchr(overrides_artifact, '/') : NULL;
	size_t al, nl;

	if (!named || !*named)
		return false;
	normalize_rel(named, norm, sizeof(norm));
	if (slash)
		snprintf(want, sizeof(want), "%.*s/%s", (int)(slash - overrides_artifact),
		         overrides_artifact, norm);
	else
		snprintf(want, sizeof(want), "%s", norm);
	if (strcmp(artifact, want) == 0)
		return true;
	/* absolute paths on the customer's machine: compare the tail */
	al = strlen(artifact);
	nl = strlen(norm);
	if (norm[0] == '/' || strchr(norm, '/')) {
		const char *base = strrchr(norm, '/') + 1;
		size_t bl = strlen(base);

		return al >= bl && strcmp(artifact + al - bl, base) == 0 &&
		       (al == bl || artifact[al - bl - 1] == '/');
	}
	return al >= nl && strcmp(artifact + al - nl, norm) == 0 &&
	       (al == nl || artifact[al - nl - 1] == '/');
}

static void set_key_verdict(struct cert_rec *c, const struct key_rec *k)
{
	if (k->facts.status == PEM_OK) {
		c->key_state = KEYSTATE_OK;
		c->key_match = c->parsed ? cert_key_match(&c->facts, &k->facts) : -1;
	} else {
		c->key_state = KEYSTATE_BAD;
		c->key_error = k->facts.status;
		free(c->key_error_text);
		c->key_error_text =
		        strdup(k->error_text ? k->error_text : pem_error_text(k->facts.status));
	}
}

static bool same_dir(const char *x, const char *y)
{
	const char *sx = strrchr(x, '/'), *sy = strrchr(y, '/');
	size_t lx = sx ? (size_t)(sx - x) : 0, ly = sy ? (size_t)(sy - y) : 0;

	return lx == ly && strncmp(x, y, lx) == 0;
}

/* The member a path of overrides.yaml names: 1 + its index, 0 when not in the input. */
static size_t resolve_named(const struct bundle *b, const char *overrides_artifact,
                            const char *named)
{
	for (size_t i = 0; i < b->n_artifacts; i++)
		if (b->artifacts[i].path &&
		    file_matches(b->artifacts[i].path, overrides_artifact, named))
			return i + 1;
	return 0;
}

static int link_vhost_files(struct bundle *b)
{
	for (size_t v = 0; v < b->n_vhosts; v++) {
		struct vhost *vh = &b->vhosts[v];
		ssize_t leaf = -1;

		vh->cert_file = resolve_named(b, vh->where.artifact, vh->ssl_cert_path);
		vh->key_file = resolve_named(b, vh->where.artifact, vh->ssl_key_path);

		for (size_t i = 0; i < b->n_certs; i++) {
			struct cert_rec *c = &b->certs[i];

			if (c->role != CERT_ROLE_LOOSE ||
			    !file_matches(c->where.artifact, vh->where.artifact, vh->ssl_cert_path))
				continue;
			c->role = CERT_ROLE_VHOST;
			if (dup_str(&c->owner, vh->name) < 0 ||
			    dup_str(&c->file, vh->ssl_cert_path) < 0)
				return -ENOMEM;
			if (c->chain_index == 0 && leaf < 0)
				leaf = (ssize_t)i;
		}
		if (leaf < 0)
			continue;
		for (size_t k = 0; k < b->n_keys; k++)
			if (file_matches(b->keys[k].where.artifact, vh->where.artifact,
			                 vh->ssl_key_path)) {
				set_key_verdict(&b->certs[leaf], &b->keys[k]);
				break;
			}
	}
	/* loose pairs: a key in the same file, or the only leaf and key of a folder */
	for (size_t i = 0; i < b->n_certs; i++) {
		struct cert_rec *c = &b->certs[i];
		const struct key_rec *cand = NULL;
		size_t leaves = 0, keys = 0;

		if (c->role != CERT_ROLE_LOOSE || c->chain_index != 0 || c->key_state)
			continue;
		for (size_t k = 0; k < b->n_keys && !cand; k++)
			if (strcmp(b->keys[k].where.artifact, c->where.artifact) == 0)
				cand = &b->keys[k];
		if (!cand) {
			for (size_t j = 0; j < b->n_certs; j++)
				if (b->certs[j].role == CERT_ROLE_LOOSE &&
				    b->certs[j].chain_index == 0 &&
				    same_dir(b->certs[j].where.artifact, c->where.artifact))
					leaves++;
			for (size_t k = 0; k < b->n_keys; k++)
				if (same_dir(b->keys[k].where.artifact, c->where.artifact)) {
					keys++;
					cand = &b->keys[k];
				}
			if (leaves != 1 || keys != 1)
				cand = NULL;
		}
		if (cand)
			set_key_verdict(c, cand);
	}
	return 0;
}

int ingest_finish(struct bundle *b)
{
	struct pending *p = b->pending;

	if (p) {
		size_t unowned = 0;

		apply_sources(b, p);
		for (size_t i = 0; i < p->n_att; i++)
			unowned += !attachment_owner(b, &b->artifacts[p->att[i].artifact]);
		for (size_t i = 0; i < p->n_att; i++) {
			struct pend_att *pa = &p->att[i];
			struct api_instance *inst =
			        attachment_owner(b, &b->artifacts[pa->artifact]);

			/* one instance, one attachments list that names none (saved by hand
			 * as "attachments.json"): it can only be that instance's */
			if (!inst && unowned == 1 && p->n_att == 1 && b->n_instances == 1 &&
			    !b->instances[0].attachments_known)
				inst = &b->instances[0];
			if (!inst)
				continue;
			inst->attachments_known = true;
			if (strv_copy(&inst->attached_envs, &pa->envs) < 0 ||
			    loc_copy(&inst->attachments_where, &pa->where) < 0)
				return -ENOMEM;
		}
		/* "{}" answers: the API omits empty lists */
		for (size_t j = 0; j < b->n_artifacts; j++) {
			struct artifact *a = &b->artifacts[j];
			struct api_instance *inst;
			size_t ul;

			if (!a->source_url || a->kind != ART_UNKNOWN || a->failed)
				continue;
			ul = strlen(a->source_url);
			if (ul < 12 || strcmp(a->source_url + ul - 12, "/attachments") != 0 ||
			    a->source_status != 200)
				continue;
			inst = attachment_owner(b, a);
			if (inst && !inst->attachments_known) {
				inst->attachments_known = true;
				if (loc_set(&inst->attachments_where, a->path, 0, NULL, "{}") < 0)
					return -ENOMEM;
			}
		}
	}
	if (p && capture_certs_link(b, &p->cc) < 0)
		return -ENOMEM;
	return link_vhost_files(b);
}
