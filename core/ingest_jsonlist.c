/* SPDX-License-Identifier: Apache-2.0 */
/* A validating skim of Kubernetes JSON lists (see ingest_jsonlist.h). The first
 * pass validates, reads the top-level keys and keeps what it read of each item
 * (up to JL_MAX_RECORDS of them); only a longer list is walked a second time to
 * hand its items over, so memory does not grow with the number of items. */
#include "ingest_jsonlist.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h"

#define JL_MAX_DEPTH 128
#define JL_MAX_INT_DIGITS 18 /* fits an int64 and a double without overflow */
#define ONES 0x0101010101010101ull
#define JL_MAX_RECORDS 16384 /* items kept from the first pass (1.5 MB) */

enum jl_role {
	R_SKIP = 0,
	R_TOP,   /* the document */
	R_ITEMS, /* the top-level "items" array */
	R_ITEM,  /* an object element of "items" */
	R_META,  /* the "metadata" object of an item */
};

struct skim {
	const char *d;
	size_t n, i;
	bool ok;
	/* the top level */
	enum jl_type kind_t, api_t, items_t;
	struct jl_str kind;
	bool format, items_twice;
	size_t n_items;
	/* the item being read */
	struct jl_item it;
	jl_item_fn fn; /* NULL in the validating pass */
	jl_tree_fn tree;
	size_t tree_bytes;
	void *userdata;
	int fn_r;
	/* the validating pass keeps the items it read, up to JL_MAX_RECORDS, so
	 * that the second pass is needed only for lists longer than that */
	struct jl_item *rec;
	size_t n_rec, cap_rec;
	bool rec_off;
};

static bool fail(struct skim *s)
{
	s->ok = false;
	return false;
}

static uint64_t load8(const char *p)
{
	uint64_t w;

	memcpy(&w, p, sizeof(w));
	return w;
}

static void ws(struct skim *s)
{
	/* indentation: eight spaces at a time */
	while (s->n - s->i >= 8 && load8(s->d + s->i) == 0x2020202020202020ull)
		s->i += 8;
	while (s->i < s->n) {
		char c = s->d[s->i];

		if (c != ' ' && c != '\n' && c != '\t' && c != '\r')
			return;
		s->i++;
	}
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* s->d[s->i] is the backslash. Accepts what jansson accepts except \u0000 and
 * surrogates (left to jansson). */
static bool escape(struct skim *s)
{
	unsigned v = 0;

	if (s->i + 1 >= s->n)
		return fail(s);
	switch (s->d[s->i + 1]) {
	case '"':
	case '\\':
	case '/':
	case 'b':
	case 'f':
	case 'n':
	case 'r':
	case 't':
		s->i += 2;
		return true;
	case 'u':
		break;
	default:
		return fail(s);
	}
	if (s->i + 6 > s->n)
		return fail(s);
	for (size_t k = 2; k < 6; k++) {
		int h = hexval(s->d[s->i + k]);

		if (h < 0)
			return fail(s);
		v = v * 16 + (unsigned)h;
	}
	if (v == 0 || (v >= 0xd800 && v <= 0xdfff))
		return fail(s);
	s->i += 6;
	return true;
}

/* s->d[s->i] is the opening quote. Printable ASCII and simple escapes only. */
static bool string(struct skim *s, struct jl_str *out)
{
	size_t start = ++s->i;
	bool esc = false;

	while (s->i < s->n) {
		unsigned char c;

		/* eight plain bytes at a time: none below 0x20, none from 0x80 on, no
		 * quote, no backslash */
		while (s->n - s->i >= 8) {
			uint64_t w = load8(s->d + s->i);
			uint64_t q = w ^ (ONES * '"'), b = w ^ (ONES * '\\');

			if (((w - ONES * 0x20) | (q - ONES) | (b - ONES) | w) & (ONES * 0x80))
				break;
			s->i += 8;
		}
		if (s->i >= s->n)
			break;
		c = (unsigned char)s->d[s->i];
		if ((unsigned char)(c - 0x20) < 0x60 && c != '"' && c != '\\') {
			s->i++;
			continue;
		}
		if (c == '"') {
			out->off = start;
			out->len = s->i - start;
			out->esc = esc;
			s->i++;
			return true;
		}
		if (c != '\\' || !escape(s))
			return fail(s);
		esc = true;
	}
	return fail(s);
}

static bool digits(struct skim *s, size_t *count)
{
	size_t start = s->i;

	while (s->i < s->n && s->d[s->i] >= '0' && s->d[s->i] <= '9')
		s->i++;
	*count = s->i - start;
	return *count > 0;
}

/* -?(0|[1-9][0-9]{0,17})(\.[0-9]+)?([eE][+-]?[0-9]{1,2})? : what jansson reads
 * without an integer or real overflow. */
static bool number(struct skim *s)
{
	size_t nd;

	if (s->d[s->i] == '-')
		s->i++;
	if (s->i < s->n && s->d[s->i] == '0')
		s->i++;
	else if (!digits(s, &nd) || nd > JL_MAX_INT_DIGITS)
		return fail(s);
	if (s->i < s->n && s->d[s->i] == '.') {
		s->i++;
		if (!digits(s, &nd))
			return fail(s);
	}
	if (s->i < s->n && (s->d[s->i] == 'e' || s->d[s->i] == 'E')) {
		s->i++;
		if (s->i < s->n && (s->d[s->i] == '+' || s->d[s->i] == '-'))
			s->i++;
		if (!digits(s, &nd) || nd > 2)
			return fail(s);
	}
	return true;
}

static bool literal(struct skim *s, const char *word)
{
	size_t l = strlen(word);

	if (s->n - s->i < l || memcmp(s->d + s->i, word, l) != 0)
		return fail(s);
	s->i += l;
	return true;
}

static bool value(struct skim *s, unsigned depth, enum jl_role role, struct jl_str *str);

static bool is_key(const struct skim *s, const struct jl_str *k, const char *word)
{
	size_t l = strlen(word);

	return k->len == l && memcmp(s->d + k->off, word, l) == 0;
}

static enum jl_type type_at(const struct skim *s)
{
	switch (s->d[s->i]) {
	case '"':
		return JL_STRING;
	case '{':
		return JL_OBJECT;
	case '[':
		return JL_ARRAY;
	default:
		return JL_SCALAR;
	}
}

/* A top-level member: what the caller decides on. */
static bool top_member(struct skim *s, unsigned depth, const struct jl_str *k)
{
	enum jl_type t = type_at(s);

	if (k->esc || is_key(s, k, "format"))
		return fail(s);
	if (is_key(s, k, "kind")) {
		s->kind_t = t;
		return value(s, depth + 1, R_SKIP, &s->kind);
	}
	if (is_key(s, k, "apiVersion")) {
		s->api_t = t;
		return value(s, depth + 1, R_SKIP, NULL);
	}
	if (is_key(s, k, "items")) {
		if (s->items_t != JL_ABSENT)
			return fail(s); /* which one jansson keeps is not worth the trouble */
		s->items_t = t;
		return value(s, depth + 1, t == JL_ARRAY ? R_ITEMS : R_SKIP, NULL);
	}
	return value(s, depth + 1, R_SKIP, NULL);
}

static bool item_member(struct skim *s, unsigned depth, const struct jl_str *k)
{
	enum jl_type t = type_at(s);

	if (k->esc) {
		s->it.key_esc = true;
		return value(s, depth + 1, R_SKIP, NULL);
	}
	if (is_key(s, k, "kind")) {
		s->it.kind_t = t;
		return value(s, depth + 1, R_SKIP, &s->it.kind);
	}
	if (is_key(s, k, "metadata")) {
		/* jansson keeps the last "metadata": forget what an earlier one said */
		s->it.md_t = t;
		s->it.ts_t = JL_ABSENT;
		s->it.ns_t = JL_ABSENT;
		return value(s, depth + 1, t == JL_OBJECT ? R_META : R_SKIP, NULL);
	}
	return value(s, depth + 1, R_SKIP, NULL);
}

static bool meta_member(struct skim *s, unsigned depth, const struct jl_str *k)
{
	enum jl_type t = type_at(s);

	if (k->esc) {
		s->it.key_esc = true;
		return value(s, depth + 1, R_SKIP, NULL);
	}
	if (is_key(s, k, "creationTimestamp")) {
		s->it.ts_t = t;
		return value(s, depth + 1, R_SKIP, &s->it.ts);
	}
	if (is_key(s, k, "namespace")) {
		s->it.ns_t = t;
		return value(s, depth + 1, R_SKIP, &s->it.ns);
	}
	return value(s, depth + 1, R_SKIP, NULL);
}

static bool member(struct skim *s, unsigned depth, enum jl_role role, const struct jl_str *k)
{
	switch (role) {
	case R_TOP:
		return top_member(s, depth, k);
	case R_ITEM:
		return item_member(s, depth, k);
	case R_META:
		return meta_member(s, depth, k);
	case R_SKIP:
	case R_ITEMS:
		break;
	}
	return value(s, depth + 1, R_SKIP, NULL);
}

static bool object(struct skim *s, unsigned depth, enum jl_role role)
{
	s->i++; /* { */
	ws(s);
	if (s->i < s->n && s->d[s->i] == '}') {
		s->i++;
		return true;
	}
	for (;;) {
		struct jl_str k;

		if (s->i >= s->n || s->d[s->i] != '"' || !string(s, &k))
			return fail(s);
		ws(s);
		if (s->i >= s->n || s->d[s->i] != ':')
			return fail(s);
		s->i++;
		ws(s);
		if (s->i >= s->n)
			return fail(s);
		if (!member(s, depth, role, &k))
			return false;
		ws(s);
		if (s->i >= s->n)
			return fail(s);
		if (s->d[s->i] == '}') {
			s->i++;
			return true;
		}
		if (s->d[s->i] != ',')
			return fail(s);
		s->i++;
		ws(s);
	}
}

static void keep(struct skim *s)
{
	if (s->n_rec == s->cap_rec) {
		size_t cap = s->cap_rec ? s->cap_rec * 2 : 64;
		struct jl_item *rec =
		        cap <= JL_MAX_RECORDS ? realloc(s->rec, cap * sizeof(*rec)) : NULL;

		if (!rec) {
			/* too many, or no memory: the second pass reads them again */
			free(s->rec);
			s->rec = NULL;
			s->n_rec = s->cap_rec = 0;
			s->rec_off = true;
			return;
		}
		s->rec = rec;
		s->cap_rec = cap;
	}
	s->rec[s->n_rec++] = s->it;
}

/* One element of "items": read it, then keep it (first pass) or hand it over
 * (second pass). */
static bool item(struct skim *s, unsigned depth)
{
	memset(&s->it, 0, sizeof(s->it));
	s->it.index = s->n_items++;
	s->it.off = s->i;
	s->it.object = s->i < s->n && s->d[s->i] == '{';
	if (!value(s, depth, s->it.object ? R_ITEM : R_SKIP, NULL))
		return false;
	s->it.len = s->i - s->it.off;
	if (!s->fn && s->tree && s->tree(s->d, &s->it, s->userdata)) {
		s->tree_bytes += s->it.len;
		if (s->tree_bytes > s->n / 4)
			return fail(s); /* mostly items jansson reads anyway */
	}
	if (!s->fn && !s->rec_off)
		keep(s);
	if (s->fn) {
		s->fn_r = s->fn(s->d, &s->it, s->userdata);
		if (s->fn_r < 0)
			return fail(s);
	}
	return true;
}

static bool array(struct skim *s, unsigned depth, enum jl_role role)
{
	s->i++; /* [ */
	ws(s);
	if (s->i < s->n && s->d[s->i] == ']') {
		s->i++;
		return true;
	}
	for (;;) {
		bool ok = role == R_ITEMS ? item(s, depth + 1) : value(s, depth + 1, R_SKIP, NULL);

		if (!ok)
			return false;
		ws(s);
		if (s->i >= s->n)
			return fail(s);
		if (s->d[s->i] == ']') {
			s->i++;
			return true;
		}
		if (s->d[s->i] != ',')
			return fail(s);
		s->i++;
		ws(s);
	}
}

/* str: where a string value's span goes (NULL: nowhere). */
static bool value(struct skim *s, unsigned depth, enum jl_role role, struct jl_str *str)
{
	struct jl_str ignored;

	if (depth > JL_MAX_DEPTH || s->i >= s->n)
		return fail(s);
	switch (s->d[s->i]) {
	case '"':
		return string(s, str ? str : &ignored);
	case '{':
		return object(s, depth, role);
	case '[':
		return array(s, depth, role);
	case 't':
		return literal(s, "true");
	case 'f':
		return literal(s, "false");
	case 'n':
		return literal(s, "null");
	default:
		if (s->d[s->i] == '-' || (s->d[s->i] >= '0' && s->d[s->i] <= '9'))
			return number(s);
		return fail(s);
	}
}

static bool ends_with(const char *s, size_t n, const char *suffix)
{
	size_t l = strlen(suffix);

	return n >= l && memcmp(s + n - l, suffix, l) == 0;
}

/* One pass over the document; true when it is a list as jsonlist_walk says. */
static bool pass(struct skim *s)
{
	s->i = 0;
	s->ok = true;
	ws(s);
	if (s->i >= s->n || s->d[s->i] != '{')
		return false;
	if (!object(s, 0, R_TOP))
		return false;
	ws(s);
	if (s->i != s->n)
		return false;
	if (s->kind_t != JL_STRING || s->kind.esc ||
	    !ends_with(s->d + s->kind.off, s->kind.len, "List"))
		return false;
	if (s->kind.len >= 14 && memcmp(s->d + s->kind.off, "apigee-bundle/", 14) == 0)
		return false;
	return s->api_t == JL_STRING && s->items_t == JL_ARRAY && s->n_items > 0 && !s->format;
}

int jsonlist_walk(const char *d, size_t n, jl_item_fn fn, jl_tree_fn tree, void *userdata)
{
	struct skim s = { .d = d, .n = n, .tree = tree, .userdata = userdata };

	if (!pass(&s)) {
		free(s.rec);
		return 0;
	}
	if (!s.rec_off) {
		int r = 0;

		for (size_t k = 0; k < s.n_rec && r >= 0; k++)
			r = fn ? fn(d, &s.rec[k], userdata) : 0;
		free(s.rec);
		return r < 0 ? r : 1;
	}
	s = (struct skim){ .d = d, .n = n, .fn = fn, .userdata = userdata };
	if (!pass(&s))
		return s.fn_r < 0 ? s.fn_r : 0;
	return 1;
}
