/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz the Kubernetes JSON list skim (core/ingest_jsonlist.c) against jansson:
 * whatever the skim takes as a list, jansson must parse to a list with the same
 * items, and every item field the skim reports must be what jansson reads. Any
 * difference aborts. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ingest_jsonlist.h"
#include "banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct check {
	json_t *items;
	size_t seen;
};

static void same_str(const char *doc, enum jl_type t, const struct jl_str *s, const json_t *v)
{
	if ((t == JL_ABSENT) != (v == NULL))
		abort();
	if ((t == JL_STRING) != json_is_string(v))
		abort();
	if ((t == JL_OBJECT) != json_is_object(v) || (t == JL_ARRAY) != json_is_array(v))
		abort();
	if (t == JL_STRING && s && !s->esc &&
	    (json_string_length(v) != s->len || memcmp(json_string_value(v), doc + s->off, s->len)))
		abort();
}

static int on_item(const char *doc, const struct jl_item *it, void *userdata)
{
	struct check *c = userdata;
	json_t *want = json_array_get(c->items, it->index);
	json_t *got = json_loadb(doc + it->off, it->len, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
	json_t *md;

	if (it->index != c->seen++ || !want || !got || !json_equal(want, got))
		abort();
	json_decref(got);
	if (it->object != json_is_object(want))
		abort();
	if (!it->object || it->key_esc)
		return 0;
	same_str(doc, it->kind_t, &it->kind, json_object_get(want, "kind"));
	md = json_object_get(want, "metadata");
	same_str(doc, it->md_t, NULL, md);
	if (it->md_t != JL_OBJECT)
		return 0;
	same_str(doc, it->ts_t, &it->ts, json_object_get(md, "creationTimestamp"));
	same_str(doc, it->ns_t, &it->ns, json_object_get(md, "namespace"));
	return 0;
}

/* some runs let Pod items count as parsed anyway (the half-the-bytes rule) */
static bool tree_pods(const char *doc, const struct jl_item *it, void *userdata)
{
	(void)userdata;
	return it->kind_t == JL_STRING && it->kind.len == 3 &&
	       !memcmp(doc + it->kind.off, "Pod", 3);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *doc = (const char *)data;
	json_t *v = json_loadb(doc, size, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
	struct check c = { .items = json_object_get(v, "items") };
	const char *kind = json_string_value(json_object_get(v, "kind"));
	int r;

	if (!v) {
		/* jansson refuses it: the skim must not take it */
		if (jsonlist_walk(doc, size, NULL, NULL, NULL) != 0)
			abort();
		return 0;
	}
	r = jsonlist_walk(doc, size, on_item, size % 2 ? tree_pods : NULL, &c);
	if (r == 1 &&
	    (!json_is_array(c.items) || c.seen != json_array_size(c.items) || !c.seen || !kind ||
	     strlen(kind) < 4 || strcmp(kind + strlen(kind) - 4, "List") ||
	     !json_is_string(json_object_get(v, "apiVersion")) || json_object_get(v, "format")))
		abort();
	if (r != 1 && c.seen)
		abort();
	json_decref(v);
	return 0;
}
