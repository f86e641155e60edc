/* SPDX-License-Identifier: Apache-2.0 */
/* The certificate facts beside a pseudonymized capture (see capture.h). */
#include "capture.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "bundle.h"
#include "model.h"
#include "pem.h"
#include "banned.h"

#define CERTS_SUFFIX ".certs.json"

static int add_pending(struct capcert_list *l, const struct capcert_pending *p)
{
	if (l->n == l->cap) {
		size_t nc = l->cap ? l->cap * 2 : 8;
		struct capcert_pending *v = realloc(l->v, nc * sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = nc;
	}
	l->v[l->n++] = *p;
	return 0;
}

static int one_cert(struct bundle *b, const char *capture, const json_t *it, struct capcert_list *l)
{
	struct capcert_pending p = { 0 };
	struct cert_rec *c;
	const char *server = json_string_value(json_object_get(it, "server"));
	char own[80], ex[200];

	if (!json_is_object(json_object_get(it, "cert")))
		return 0;
	c = bundle_add_cert(b);
	if (!c)
		return b->model_capped ? 0 : -ENOMEM;
	c->role = CERT_ROLE_SERVED;
	c->key_match = -1;
	if (cert_facts_from_json(json_object_get(it, "cert"), &c->facts, NULL) == 0)
		c->parsed = true;
	else
		c->error = PEM_ERR_BAD_DER;
	snprintf(own, sizeof(own), "%s:%d", server ? server : "?",
	         (int)json_integer_value(json_object_get(it, "server_port")));
	p.frame = (uint64_t)json_integer_value(json_object_get(it, "frame"));
	p.conn_frame = (uint64_t)json_integer_value(json_object_get(it, "connection_frame"));
	p.us = (int64_t)json_integer_value(json_object_get(it, "time_us"));
	snprintf(ex, sizeof(ex), "frame %llu: Certificate from %s (facts beside the capture)",
	         (unsigned long long)p.frame, own);
	c->owner = strdup(own);
	p.cert = (size_t)(c - b->certs);
	p.capture = strdup(capture);
	if (!c->owner || !p.capture ||
	    loc_set(&c->where, capture, (unsigned)p.frame, NULL, ex) < 0 ||
	    add_pending(l, &p) < 0) {
		free(p.capture);
		return -ENOMEM;
	}
	return 0;
}

int capture_certs_doc(struct bundle *b, const struct artifact *a, const json_t *o,
                      struct capcert_list *l)
{
	size_t n = strlen(a->path), k = strlen(CERTS_SUFFIX), i;
	char *capture;
	json_t *it;
	int r = 0;

	if (n <= k || strcmp(a->path + n - k, CERTS_SUFFIX) != 0)
		return 1; /* not beside a capture: the facts alone say nothing */
	capture = strndup(a->path, n - k);
	if (!capture)
		return -ENOMEM;
	json_array_foreach(json_object_get(o, "certificates"), i, it)
	{
		if ((r = one_cert(b, capture, it, l)) < 0)
			break;
	}
	free(capture);
	return r < 0 ? r : 1;
}

int capture_certs_link(struct bundle *b, const struct capcert_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		const struct capcert_pending *p = &l->v[i];
		struct cert_rec *c = &b->certs[p->cert];

		for (size_t k = 0; k < b->n_pcap_conns; k++) {
			struct pcap_conn *pc = &b->pcap_conns[k];

			if (pc->cert_index >= 0 || pc->first_frame != p->conn_frame ||
			    !pc->where.artifact || strcmp(pc->where.artifact, p->capture) != 0)
				continue;
			pc->cert_index = (long)p->cert;
			pc->cert_frame = p->frame;
			pc->cert_us = p->us;
			if (pc->sni) {
				char *o = strdup(pc->sni);

				if (!o)
					return -ENOMEM;
				free(c->owner);
				c->owner = o;
			}
			break;
		}
	}
	return 0;
}

void capcert_list_release(struct capcert_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].capture);
	free(l->v);
	memset(l, 0, sizeof(*l));
}
