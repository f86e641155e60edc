/* SPDX-License-Identifier: Apache-2.0 */
/* A skim of a Kubernetes JSON list ("kind": "...List", "items": [...]) that
 * validates the document and reads, per item, only what ingest looks at in an
 * item of a kind it does not use (Events and the like): the item's "kind" and
 * its metadata's "creationTimestamp" and "namespace". An item of a kind ingest
 * uses, or one whose keys or read values carry escapes, is handed over as its
 * byte range, to be parsed by jansson like before.
 *
 * The skim is stricter than jansson: whatever it does not accept (non-ASCII
 * bytes, \u0000 and surrogate escapes, big numbers, deep nesting, a "format"
 * key, duplicate "items") is not a list for it, and the caller parses the whole
 * document with jansson as before. Whatever it accepts, jansson accepts too,
 * with the same values (tests/fuzz/fuzz_jsonlist.c checks both ways). */
#ifndef CORE_INGEST_JSONLIST_H
#define CORE_INGEST_JSONLIST_H

#include <stdbool.h>
#include <stddef.h>

enum jl_type {
	JL_ABSENT = 0,
	JL_STRING,
	JL_OBJECT,
	JL_ARRAY,
	JL_SCALAR, /* number, true, false, null */
};

/* A string value: its bytes between the quotes (escapes not decoded). */
struct jl_str {
	size_t off, len;
	bool esc; /* a backslash inside: the raw bytes are not the value */
};

struct jl_item {
	size_t index;    /* in "items" */
	size_t off, len; /* the item's bytes */
	bool object;     /* the item is an object */
	bool key_esc;    /* a key of the item or of its metadata has an escape */
	enum jl_type kind_t;
	struct jl_str kind;
	enum jl_type md_t; /* "metadata" (the last one, as jansson keeps the last) */
	enum jl_type ts_t; /* metadata "creationTimestamp" */
	struct jl_str ts;
	enum jl_type ns_t; /* metadata "namespace" */
	struct jl_str ns;
};

/* Called for every element of "items", in order; a negative return stops the
 * walk and is returned by jsonlist_walk. */
typedef int (*jl_item_fn)(const char *doc, const struct jl_item *it, void *userdata);

/* True for an item the caller will parse with jansson anyway. */
typedef bool (*jl_tree_fn)(const char *doc, const struct jl_item *it, void *userdata);

/* 1 when d[0..n) is a JSON object that jansson would read as a Kubernetes list
 * (a string "kind" ending in "List", not "apigee-bundle/..."; a string
 * "apiVersion"; a non-empty "items" array; no "format") and that the skim
 * accepts; then fn was called for every item. 0 when not (fn was not called),
 * also when tree (may be NULL) claims more than a quarter of the bytes: parsing the
 * whole document is then cheaper than skimming it first. Or fn's negative
 * return. */
int jsonlist_walk(const char *d, size_t n, jl_item_fn fn, jl_tree_fn tree, void *userdata);

#endif
