/* SPDX-License-Identifier: Apache-2.0 */
/* Shared helpers of the line scanners: token views, name checks, capped copies,
 * excerpts and a bounded distinct-value set. See textscan_util.h. */
#include "textscan_util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

#include "banned.h"

void ts_kinds_note(struct ts_kinds *k, enum artifact_kind kind, uint64_t lines)
{
	if (!k || (int)kind < 0 || kind >= ART__MAX)
		return;
	k->seen |= 1u << kind;
	k->weight[kind] += lines;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

bool ts_next_token(const char **cur, const char *end, struct ts_tok *ret)
{
	const char *p = *cur;
	const char *s;

	while (p < end && is_blank(*p))
		p++;
	if (p >= end) {
		*cur = end;
		return false;
	}
	s = p;
	while (p < end && !is_blank(*p))
		p++;
	ret->p = s;
	ret->n = (size_t)(p - s);
	*cur = p;
	return true;
}

bool ts_next_word(const char **cur, const char *end, struct ts_tok *ret)
{
	const char *p = *cur;
	const char *s;

	while (p < end && is_blank(*p))
		p++;
	if (p >= end) {
		*cur = end;
		return false;
	}
	s = p;
	while (p < end && !is_blank(*p)) {
		if (*p == '\'' || *p == '"') {
			const char *q = memchr(p + 1, *p, (size_t)(end - p - 1));

			/* an unbalanced quote ends at the next blank, like a plain word */
			if (q) {
				p = q + 1;
				continue;
			}
		}
		p++;
	}
	ret->p = s;
	ret->n = (size_t)(p - s);
	*cur = p;
	return true;
}

struct ts_tok ts_unquote(struct ts_tok t)
{
	if (t.n >= 2 && (t.p[0] == '\'' || t.p[0] == '"') && t.p[t.n - 1] == t.p[0]) {
		t.p++;
		t.n -= 2;
	} else if (t.n >= 1 && (t.p[0] == '\'' || t.p[0] == '"') &&
	           !memchr(t.p + 1, t.p[0], t.n - 1)) {
		/* an opening quote whose partner was lost (copied from a web page) */
		t.p++;
		t.n--;
	}
	return t;
}

bool ts_tok_eq(struct ts_tok t, const char *s)
{
	size_t n = strlen(s);

	return t.n == n && memcmp(t.p, s, n) == 0;
}

bool ts_tok_eq_ci(struct ts_tok t, const char *s)
{
	size_t n = strlen(s);

	if (t.n != n)
		return false;
	for (size_t i = 0; i < n; i++) {
		char a = t.p[i], b = s[i];

		if (a >= 'A' && a <= 'Z')
			a = (char)(a - 'A' + 'a');
		if (b >= 'A' && b <= 'Z')
			b = (char)(b - 'A' + 'a');
		if (a != b)
			return false;
	}
	return true;
}

bool ts_tok_starts(struct ts_tok t, const char *prefix)
{
	return text_starts_with(t.p, t.n, prefix);
}

struct ts_tok ts_trim(const char *p, size_t n)
{
	struct ts_tok t = { p, n };

	while (t.n && is_blank(t.p[0])) {
		t.p++;
		t.n--;
	}
	while (t.n && is_blank(t.p[t.n - 1]))
		t.n--;
	return t;
}

size_t ts_indent(const char *p, size_t n)
{
	size_t i = 0;

	while (i < n && (p[i] == ' ' || p[i] == '\t'))
		i++;
	return i;
}

bool ts_is_k8s_name(const char *p, size_t n)
{
	if (n == 0 || n > 253)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = p[i];
		bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');

		if (alnum)
			continue;
		if ((c == '-' || c == '.') && i > 0 && i + 1 < n)
			continue;
		return false;
	}
	return true;
}

bool ts_is_name_like(const char *p, size_t n)
{
	if (n == 0 || n > 253)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = p[i];
		bool alnum =
		        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');

		if (alnum)
			continue;
		if ((c == '-' || c == '.' || c == '_') && i > 0)
			continue;
		return false;
	}
	return true;
}

bool ts_parse_uint(const char *p, size_t n, uint64_t max, uint64_t *ret, size_t *ret_used)
{
	uint64_t v = 0;
	size_t i = 0;

	while (i < n && p[i] >= '0' && p[i] <= '9') {
		v = v * 10 + (uint64_t)(p[i] - '0');
		if (v > max)
			return false;
		i++;
		if (i > 19)
			return false;
	}
	if (i == 0)
		return false;
	*ret = v;
	if (ret_used)
		*ret_used = i;
	return true;
}

char *ts_strndup(const char *p, size_t n, size_t max)
{
	struct ts_tok t = ts_trim(p, n);
	char *s;

	if (t.n > max) {
		t.n = max;
		/* do not cut a UTF-8 sequence in half */
		while (t.n && ((unsigned char)t.p[t.n] & 0xc0) == 0x80)
			t.n--;
	}
	/* a NUL inside the view ends the string, as strndup would */
	if (t.n && memchr(t.p, '\0', t.n))
		t.n = strnlen(t.p, t.n);
	s = malloc(t.n + 1);
	if (!s)
		return NULL;
	if (t.n)
		memcpy(s, t.p, t.n);
	s[t.n] = '\0';
	return s;
}

int ts_set_str(char **dst, const char *p, size_t n, size_t max)
{
	char *s = ts_strndup(p, n, max);

	if (!s)
		return -ENOMEM;
	free(*dst);
	*dst = s;
	return 0;
}

int ts_set_str_once(char **dst, const char *p, size_t n, size_t max)
{
	if (*dst)
		return 0;
	return ts_set_str(dst, p, n, max);
}

char *ts_excerpt(const char *line, size_t len, size_t at, size_t max_chars)
{
	size_t start = 0;

	/* keep the decisive text in view when it sits far into a long line */
	if (at > max_chars / 2 && at <= len) {
		size_t w;

		start = at - max_chars / 4;
		/* nor inside a word: half a token is still a secret's tail, and the
		 * report's redaction cannot recognise it any more */
		for (w = start; w < at && line[w - 1] != ' ' && line[w - 1] != '\t'; w++)
			;
		start = w;
	}
	/* do not start inside a UTF-8 sequence */
	while (start > 0 && start < len && ((unsigned char)line[start] & 0xc0) == 0x80)
		start--;
	return text_excerpt(line + start, len - start, max_chars);
}

int ts_loc_set(struct loc *l, const char *artifact, unsigned lineno, const char *line, size_t len,
               size_t at)
{
	char *ex = ts_excerpt(line, len, at, TS_EXCERPT_CHARS);
	int r;

	if (!ex)
		return -ENOMEM;
	loc_release(l);
	memset(l, 0, sizeof(*l));
	r = loc_set(l, artifact, lineno, NULL, ex);
	free(ex);
	return r;
}

static uint64_t hash_bytes(const char *p, size_t n)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a, then a final mix */

	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)p[i];
		h *= 1099511628211ull;
	}
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	return h ? h : 1; /* 0 marks an empty slot */
}

static int hashset_grow(struct ts_hashset *s)
{
	size_t ncap = s->cap ? s->cap * 2 : 64;
	uint64_t *slots = calloc(ncap, sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	for (size_t i = 0; i < s->cap; i++) {
		uint64_t h = s->slots[i];
		size_t j;

		if (!h)
			continue;
		for (j = (size_t)h & (ncap - 1); slots[j]; j = (j + 1) & (ncap - 1))
			;
		slots[j] = h;
	}
	free(s->slots);
	s->slots = slots;
	s->cap = ncap;
	return 0;
}

int ts_hashset_add(struct ts_hashset *s, const char *p, size_t n)
{
	uint64_t h = hash_bytes(p, n);
	size_t j;

	if (s->cap) {
		for (j = (size_t)h & (s->cap - 1); s->slots[j]; j = (j + 1) & (s->cap - 1))
			if (s->slots[j] == h)
				return 0;
	}
	if (s->max && s->n >= s->max) {
		s->capped = true;
		return 0;
	}
	if ((s->n + 1) * 2 > s->cap) {
		int r = hashset_grow(s);

		if (r < 0)
			return r;
	}
	for (j = (size_t)h & (s->cap - 1); s->slots[j]; j = (j + 1) & (s->cap - 1))
		;
	s->slots[j] = h;
	s->n++;
	return 1;
}

void ts_hashset_release(struct ts_hashset *s)
{
	free(s->slots);
	s->slots = NULL;
	s->cap = 0;
	s->n = 0;
	s->capped = false;
}
