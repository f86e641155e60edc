/* SPDX-License-Identifier: Apache-2.0 */
/* The kind of objects whose data comes first, over the whole member (kindscan.h). */
#include "kindscan.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h"

#define HEAD_MAX 256       /* of each line: the indentation and the key */
#define QUESTIONS_MAX 4096 /* open data objects at once (nesting) */
#define KEY_MAX 16

struct question {
	uint64_t off; /* YAML: line offset; JSON: offset of the '{' */
	int where;    /* YAML: key column; JSON: depth of the parent object */
};

enum json_state {
	JS_OFF = 0, /* not JSON, or not decided yet */
	JS_VALUE,   /* a value (or a key: the level says) may start */
	JS_STRING,  /* inside a string */
	JS_ESCAPE,  /* after a backslash in a string */
	JS_SCALAR,  /* inside a number, true, false, null */
};

struct kindscan {
	uint64_t off; /* bytes fed */
	/* YAML: the current line's head */
	char head[HEAD_MAX];
	size_t n_head;
	uint64_t line_off;
	/* JSON */
	bool decided, json;
	enum json_state js;
	int depth;
	unsigned char *obj;    /* per depth: 1 an object, 0 an array (up to QUESTIONS_MAX) */
	bool expect_key;       /* in an object, the next string is a key */
	bool in_key;           /* the string being read is a key */
	char key[KEY_MAX + 1]; /* the last key (cut) */
	size_t n_key;
	bool key_long;
	bool kind_value; /* the string being read is the value of "kind" */
	char kval[KEY_MAX + 1];
	size_t n_kval;
	/* open questions and the answers found true */
	struct question *open;
	size_t n_open;
	uint64_t *yes;
	size_t n_yes, cap_yes;
	bool yes_json_sorted;
	uint64_t *yes_json;
	size_t n_yes_json, cap_yes_json;
};

int kindscan_new(struct kindscan **ret)
{
	struct kindscan *k = calloc(1, sizeof(*k));

	/* not zeroed: an entry is read only below n_open / depth, after it was
	 * written (zeroing 68 KB per member was 14% of redacting 100k small ones) */
	if (!k || !(k->open = malloc(QUESTIONS_MAX * sizeof(*k->open))) ||
	    !(k->obj = malloc(QUESTIONS_MAX))) {
		kindscan_free(k);
		return -ENOMEM;
	}
	*ret = k;
	return 0;
}

void kindscan_free(struct kindscan *k)
{
	if (!k)
		return;
	free(k->open);
	free(k->obj);
	free(k->yes);
	free(k->yes_json);
	free(k);
}

static int add_yes(uint64_t **v, size_t *n, size_t *cap, uint64_t off)
{
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 64;
		uint64_t *p = realloc(*v, nc * sizeof(*p));

		if (!p)
			return -ENOMEM;
		*v = p;
		*cap = nc;
	}
	(*v)[(*n)++] = off;
	return 0;
}

/* ---- YAML ------------------------------------------------------------------------ */

static bool kind_not_secret(const char *v, size_t n)
{
	size_t i = 0;

	while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == '"' || v[i] == '\''))
		i++;
	if (n - i >= 6 && memcmp(v + i, "Secret", 6) == 0) {
		char c = n - i > 6 ? v[i + 6] : '\0';

		/* "Secret" alone (a quote, a blank, a comment may follow) */
		return !(c == '\0' || c == '"' || c == '\'' || c == ' ' || c == '\t' || c == '\r' ||
		         c == '#');
	}
	return true;
}

static bool data_key(const char *p, size_t n)
{
	static const char *const keys[] = { "data:", "stringData:", "binaryData:" };

	for (size_t i = 0; i < 3; i++) {
		size_t m = strlen(keys[i]);

		if (n >= m && memcmp(p, keys[i], m) == 0 &&
		    (n == m || p[m] == ' ' || p[m] == '\t' || p[m] == '\r'))
			return true;
	}
	return false;
}

/* One whole line's head (the line may go on beyond HEAD_MAX). */
static int yaml_line(struct kindscan *k)
{
	const char *h = k->head;
	size_t n = k->n_head, ind = 0, key;

	while (ind < n && h[ind] == ' ')
		ind++;
	if (ind == n || h[ind] == '#' || h[ind] == '\r')
		return 0; /* blank or a comment: as the look-ahead, skipped */
	while (k->n_open && !k->json) {
		struct question *q = &k->open[k->n_open - 1];

		if ((int)ind < q->where || ((int)ind == q->where && h[ind] == '-')) {
			k->n_open--; /* the mapping ended: no kind */
		} else if ((int)ind == q->where && n - ind >= 5 &&
		           memcmp(h + ind, "kind:", 5) == 0) {
			bool yes = kind_not_secret(h + ind + 5, n - ind - 5);

			k->n_open--;
			if (yes && add_yes(&k->yes, &k->n_yes, &k->cap_yes, q->off) < 0)
				return -ENOMEM;
		} else {
			break;
		}
	}
	for (key = ind; key + 1 < n && h[key] == '-' && h[key + 1] == ' ';)
		for (key += 2; key < n && h[key] == ' ';)
			key++;
	if (data_key(h + key, n - key) && k->n_open < QUESTIONS_MAX)
		k->open[k->n_open++] = (struct question){ k->line_off, (int)key };
	return 0;
}

static int yaml_feed(struct kindscan *k, const char *p, size_t n, uint64_t base)
{
	for (size_t i = 0; i < n;) {
		const char *nl = memchr(p + i, '\n', n - i);
		size_t e = nl ? (size_t)(nl - p) : n, take = e - i;
		int rc;

		if (k->n_head < HEAD_MAX) {
			size_t room = HEAD_MAX - k->n_head;

			memcpy(k->head + k->n_head, p + i, take < room ? take : room);
			k->n_head += take < room ? take : room;
		}
		if (!nl)
			return 0;
		if ((rc = yaml_line(k)) < 0)
			return rc;
		k->n_head = 0;
		k->line_off = base + e + 1;
		i = e + 1;
	}
	return 0;
}

/* ---- JSON ------------------------------------------------------------------------- */

static bool key_is(const struct kindscan *k, const char *s)
{
	return !k->key_long && k->n_key == strlen(s) && memcmp(k->key, s, k->n_key) == 0;
}

/* The parent object at depth d saw "kind": its data objects are answered. */
static int json_kind(struct kindscan *k, bool yes)
{
	while (k->n_open && k->open[k->n_open - 1].where == k->depth) {
		uint64_t off = k->open[--k->n_open].off;

		if (yes && add_yes(&k->yes_json, &k->n_yes_json, &k->cap_yes_json, off) < 0)
			return -ENOMEM;
	}
	return 0;
}

static void json_close(struct kindscan *k)
{
	while (k->n_open && k->open[k->n_open - 1].where >= k->depth)
		k->n_open--; /* the parent ended without a kind */
	if (k->depth > 0)
		k->depth--;
	k->expect_key = false;
}

static int json_open(struct kindscan *k, char c, uint64_t off)
{
	bool in_obj = k->depth > 0 && k->obj[k->depth - 1];

	if (in_obj && c == '{' &&
	    (key_is(k, "data") || key_is(k, "stringData") || key_is(k, "binaryData")) &&
	    k->n_open < QUESTIONS_MAX)
		k->open[k->n_open++] = (struct question){ off, k->depth };
	if (k->depth >= QUESTIONS_MAX) {
		k->js = JS_OFF; /* deeper than anything kubectl prints: give up */
		return 0;
	}
	k->obj[k->depth++] = c == '{';
	k->expect_key = c == '{';
	return 0;
}

static int json_string_end(struct kindscan *k)
{
	if (k->in_key) {
		k->in_key = false;
		return 0;
	}
	if (k->kind_value) {
		k->kind_value = false;
		return json_kind(k, !(k->n_kval == 6 && memcmp(k->kval, "Secret", 6) == 0));
	}
	return 0;
}

/* A value that is no string starts: when it is the kind, the data before it stays
 * unanswered (as the look-ahead). */
static int kind_not_string(struct kindscan *k)
{
	if (!k->expect_key && k->depth > 0 && k->obj[k->depth - 1] && key_is(k, "kind")) {
		k->n_key = 0; /* once */
		return json_kind(k, false);
	}
	return 0;
}

static bool scalar_end(char c)
{
	return c == ',' || c == '}' || c == ']' || c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int json_byte(struct kindscan *k, char c, uint64_t off)
{
	switch (k->js) {
	case JS_STRING:
		if (c == '\\') {
			k->js = JS_ESCAPE;
		} else if (c == '"') {
			k->js = JS_VALUE;
			return json_string_end(k);
		} else if (k->in_key) {
			if (k->n_key < KEY_MAX)
				k->key[k->n_key++] = c;
			else
				k->key_long = true;
		} else if (k->kind_value && k->n_kval < KEY_MAX) {
			k->kval[k->n_kval++] = c;
		}
		return 0;
	case JS_ESCAPE:
		k->js = JS_STRING;
		k->key_long |= k->in_key; /* an escaped key is none we look for */
		return 0;
	case JS_SCALAR:
		if (!scalar_end(c))
			return 0;
		k->js = JS_VALUE;
		/* fall through: the delimiter counts */
		/* FALLTHROUGH */
	case JS_VALUE:
		break;
	case JS_OFF:
		return 0;
	}
	switch (c) {
	case '"':
		k->js = JS_STRING;
		k->in_key = k->expect_key;
		k->kind_value =
		        !k->in_key && k->depth > 0 && k->obj[k->depth - 1] && key_is(k, "kind");
		if (k->in_key) {
			k->n_key = 0;
			k->key_long = false;
		}
		k->n_kval = 0;
		k->expect_key = false;
		return 0;
	case '{':
	case '[':
		if (kind_not_string(k) < 0)
			return -ENOMEM;
		return json_open(k, c, off);
	case '}':
	case ']':
		json_close(k);
		return 0;
	case ',':
		k->expect_key = k->depth > 0 && k->obj[k->depth - 1];
		return 0;
	case ':':
	case ' ':
	case '\t':
	case '\r':
	case '\n':
		return 0;
	default:
		k->js = JS_SCALAR;
		return kind_not_string(k);
	}
}

static int json_feed(struct kindscan *k, const char *p, size_t n, uint64_t base)
{
	for (size_t i = 0; i < n && k->js != JS_OFF; i++) {
		int rc;

		/* the bytes that change nothing, in a tight loop: inside a value
		 * string that is not kind's, inside a scalar */
		if (k->js == JS_STRING && !k->in_key && !k->kind_value) {
			while (i < n && p[i] != '"' && p[i] != '\\')
				i++;
		} else if (k->js == JS_SCALAR) {
			while (i < n && !scalar_end(p[i]))
				i++;
		}
		if (i == n)
			break;
		rc = json_byte(k, p[i], base + i);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* ---- the API ----------------------------------------------------------------------- */

int kindscan_feed(struct kindscan *k, const void *data, size_t len)
{
	const char *p = data;
	uint64_t base = k->off;
	int rc;

	k->off += len;
	if (!k->decided) {
		size_t i = 0;

		while (i < len && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n'))
			i++;
		if (i < len) {
			k->decided = true;
			k->json = p[i] == '{' || p[i] == '[';
			k->js = k->json ? JS_VALUE : JS_OFF;
		}
	}
	if (k->json)
		return json_feed(k, p, len, base);
	rc = yaml_feed(k, p, len, base);
	return rc;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

int kindscan_end(struct kindscan *k)
{
	int rc = 0;

	if (!k->json && k->n_head)
		rc = yaml_line(k); /* the last line, without a line break */
	k->n_open = 0;
	if (k->n_yes)
		qsort(k->yes, k->n_yes, sizeof(*k->yes), cmp_u64);
	if (k->n_yes_json)
		qsort(k->yes_json, k->n_yes_json, sizeof(*k->yes_json), cmp_u64);
	return rc;
}

static bool find(const uint64_t *v, size_t n, uint64_t x)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (v[mid] == x)
			return true;
		if (v[mid] < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

bool kindscan_yaml(const struct kindscan *k, uint64_t line_off, int col)
{
	(void)col; /* one data key per line */
	return !k->json && find(k->yes, k->n_yes, line_off);
}

bool kindscan_json(const struct kindscan *k, uint64_t brace_off)
{
	return k->json && find(k->yes_json, k->n_yes_json, brace_off);
}
