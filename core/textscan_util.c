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

/* ---- client dates (realworld2) ------------------------------------------------ */

struct cdate {
	int year, mon, day, hour, min, sec; /* -1 = not seen */
};

static int month_of(const char *p, size_t n)
{
	static const char names[] = "janfebmaraprmayjunjulaugsepoctnovdec";
	char m[3];

	if (n < 3)
		return -1;
	for (size_t i = 0; i < 3; i++)
		m[i] = (char)(p[i] | 0x20);
	for (int i = 0; i < 12; i++)
		if (memcmp(names + 3 * i, m, 3) == 0)
			return i + 1;
	return -1;
}

static bool digits(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] < '0' || p[i] > '9')
			return false;
	return n > 0;
}

static int num(const char *p, size_t n)
{
	int v = 0;

	for (size_t i = 0; i < n; i++)
		v = v * 10 + (p[i] - '0');
	return v;
}

/* "17:05:45" (hours may be one digit) */
static bool cdate_time(struct cdate *d, const char *p, size_t n)
{
	size_t h = n == 8 ? 2 : 1;

	if ((n != 8 && n != 7) || p[h] != ':' || p[h + 3] != ':' || !digits(p, h) ||
	    !digits(p + h + 1, 2) || !digits(p + h + 4, 2))
		return false;
	d->hour = num(p, h);
	d->min = num(p + h + 1, 2);
	d->sec = num(p + h + 4, 2);
	return true;
}

/* "26-Jun-15" / "26-Jun-2015" (RFC 850) */
static bool cdate_dashed(struct cdate *d, const char *p, size_t n)
{
	const char *a = memchr(p, '-', n), *b;
	int m;

	if (!a || a == p || !digits(p, (size_t)(a - p)) || (size_t)(a - p) > 2)
		return false;
	b = memchr(a + 1, '-', (size_t)(p + n - a - 1));
	if (!b || (m = month_of(a + 1, (size_t)(b - a - 1))) < 0 ||
	    !digits(b + 1, (size_t)(p + n - b - 1)))
		return false;
	d->day = num(p, (size_t)(a - p));
	d->mon = m;
	d->year = num(b + 1, (size_t)(p + n - b - 1));
	if (d->year < 100)
		d->year += d->year < 70 ? 2000 : 1900;
	return true;
}

/* One word of a date; false when it cannot belong to one. */
static bool cdate_word(struct cdate *d, const char *p, size_t n)
{
	int m;

	if (n >= 7 && p[n - 3] == ':' && cdate_time(d, p, n))
		return true;
	if (digits(p, n) && n <= 2 && d->day < 0) {
		d->day = num(p, n);
		return true;
	}
	if (digits(p, n) && n == 4 && d->year < 0) {
		d->year = num(p, n);
		return true;
	}
	if (memchr(p, '-', n))
		return cdate_dashed(d, p, n);
	if ((m = month_of(p, n)) > 0 && n <= 9 && d->mon < 0) {
		d->mon = m;
		return true;
	}
	/* week days and the zone */
	return n >= 3 && ((p[0] | 0x20) >= 'a' && (p[0] | 0x20) <= 'z');
}

static bool cdate_done(const struct cdate *d)
{
	return d->year >= 0 && d->mon > 0 && d->day > 0 && d->hour >= 0;
}

static int cdate_epoch(const struct cdate *d, int64_t *ret)
{
	/* days from civil (proleptic Gregorian), H. Hinnant's algorithm */
	int y = d->year - (d->mon <= 2);
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (d->mon + (d->mon > 2 ? -3 : 9)) + 2) / 5 + d->day - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	if (d->year < 1950 || d->year > 9999 || d->mon > 12 || d->day > 31 || d->hour > 23 ||
	    d->min > 59 || d->sec > 60)
		return -EINVAL;
	*ret = (era * 146097 + doe - 719468) * 86400 + d->hour * 3600 + d->min * 60 + d->sec;
	return 0;
}

int ts_parse_client_date(const char *s, size_t n, int64_t *ret)
{
	struct cdate d = { -1, -1, -1, -1, -1, -1 };
	struct ts_tok t = ts_trim(s, n);
	const char *p = t.p, *end = t.p + t.n;

	/* ISO forms: "2019-09-04 00:00:00 GMT", "2019-09-04T00:00:00Z" */
	if (t.n >= 19 && digits(t.p, 4) && t.p[4] == '-')
		return text_parse_time(t.p, 19, ret);
	while (p < end && !cdate_done(&d)) {
		const char *w = p;

		while (p < end && *p != ' ' && *p != ',' && *p != '\t' && *p != ';')
			p++;
		if (p > w && !cdate_word(&d, w, (size_t)(p - w)))
			return -EINVAL;
		while (p < end && (*p == ' ' || *p == ',' || *p == '\t'))
			p++;
		if (p < end && *p == ';')
			break;
	}
	if (!cdate_done(&d))
		return -EINVAL;
	return cdate_epoch(&d, ret);
}
