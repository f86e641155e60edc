/* SPDX-License-Identifier: Apache-2.0 */
/* Text helpers: escaping, searching, trimming, time parsing. */
#include "text.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "banned.h"

void text_escape(const char *data, size_t len, char *out, size_t size)
{
	size_t o = 0;

	if (!size)
		return;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)data[i];
		char tmp[8];
		size_t tl;

		if (c == '\t') {
			tmp[0] = ' ';
			tl = 1;
		} else if (c < 0x20 || c == 0x7f) {
			tl = (size_t)snprintf(tmp, sizeof(tmp), "\\x%02x", c);
		} else {
			tmp[0] = (char)c;
			tl = 1;
		}
		if (o + tl + 4 > size) {
			if (o + 4 <= size) {
				memcpy(out + o, "...", 3);
				o += 3;
			}
			break;
		}
		memcpy(out + o, tmp, tl);
		o += tl;
	}
	out[o] = '\0';
}

char *text_excerpt(const char *data, size_t len, size_t max_chars)
{
	size_t size = max_chars * 4 + 8;
	char *out = malloc(size);

	if (!out)
		return NULL;
	if (len > max_chars * 4)
		len = max_chars * 4;
	text_escape(data, len, out, max_chars + 4 < size ? max_chars + 4 : size);
	return out;
}

/* Below this haystack length, memchr for the first byte and memcmp beat glibc's
 * memmem, whose per-call set-up (a shift table) dominates on the short log lines
 * the scanners ask dozens of needles of (bounded: at most this many memcmp). */
#define TEXT_FIND_SHORT 256

const char *text_find(const char *hay, size_t len, const char *needle)
{
	size_t nl = strlen(needle);
	const char *p, *end;

	if (len >= TEXT_FIND_SHORT || nl == 0)
		return memmem(hay, len, needle, nl);
	if (len < nl)
		return NULL;
	end = hay + len - nl + 1; /* the last place a match can start, + 1 */
	for (p = hay; p < end; p++) {
		p = memchr(p, needle[0], (size_t)(end - p));
		if (!p)
			return NULL;
		if (nl == 1 || (p[1] == needle[1] && memcmp(p + 2, needle + 2, nl - 2) == 0))
			return p;
	}
	return NULL;
}

const char *text_find_ci(const char *hay, size_t len, const char *needle)
{
	size_t nl = strlen(needle);

	if (nl == 0)
		return hay;
	if (len < nl)
		return NULL;
	for (size_t i = 0; i + nl <= len; i++) {
		if (tolower((unsigned char)hay[i]) != tolower((unsigned char)needle[0]))
			continue;
		if (strncasecmp(hay + i, needle, nl) == 0)
			return hay + i;
	}
	return NULL;
}

void text_pairs_init(struct text_pairs *tp, const char *s, size_t len)
{
	memset(tp, 0, sizeof(*tp));
	for (size_t i = 1; i < len; i++) {
		unsigned h = text_pair_hash((unsigned char)s[i - 1], (unsigned char)s[i]);

		tp->bits[h >> 6] |= 1ull << (h & 63);
	}
}

bool text_starts_with(const char *s, size_t len, const char *prefix)
{
	size_t pl;

	/* most calls fail on the first byte: no strlen for them */
	if (!prefix[0])
		return true;
	if (!len || s[0] != prefix[0])
		return false;
	pl = strlen(prefix);
	return len >= pl && memcmp(s, prefix, pl) == 0;
}

const char *text_trim(const char *s, size_t len, size_t *ret_len)
{
	while (len && isspace((unsigned char)s[0])) {
		s++;
		len--;
	}
	while (len && isspace((unsigned char)s[len - 1]))
		len--;
	*ret_len = len;
	return s;
}

static int parse_digits(const char *s, size_t n, int *ret)
{
	int v = 0;

	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -EINVAL;
		v = v * 10 + (s[i] - '0');
	}
	*ret = v;
	return 0;
}

int text_parse_time(const char *s, size_t len, int64_t *ret)
{
	struct tm tm = { 0 };
	int y, mo, d, h, mi, se;
	size_t i;
	int64_t t;

	if (len < 19)
		return -EINVAL;
	if (parse_digits(s, 4, &y) < 0 || s[4] != '-' || parse_digits(s + 5, 2, &mo) < 0 ||
	    s[7] != '-' || parse_digits(s + 8, 2, &d) < 0 ||
	    (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || parse_digits(s + 11, 2, &h) < 0 ||
	    s[13] != ':' || parse_digits(s + 14, 2, &mi) < 0 || s[16] != ':' ||
	    parse_digits(s + 17, 2, &se) < 0)
		return -EINVAL;
	if (y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
	    se > 60)
		return -EINVAL;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = se;
	t = (int64_t)timegm(&tm);
	i = 19;
	if (i < len && (s[i] == '.' || s[i] == ','))
		for (i++; i < len && isdigit((unsigned char)s[i]); i++)
			;
	if (i < len && (s[i] == '+' || s[i] == '-') && i + 6 <= len && s[i + 3] == ':') {
		int oh, om;

		if (parse_digits(s + i + 1, 2, &oh) == 0 && parse_digits(s + i + 4, 2, &om) == 0) {
			int64_t off = (int64_t)oh * 3600 + om * 60;

			t += s[i] == '+' ? -off : off;
		}
	}
	*ret = t;
	return 0;
}

void text_format_time(int64_t t, char *out, size_t size)
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (!gmtime_r(&tt, &tm)) {
		snprintf(out, size, "invalid");
		return;
	}
	strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

bool text_is_ip_literal(const char *s)
{
	unsigned char tmp[16];
	char host[64];
	size_t n = strlen(s);

	if (n >= sizeof(host))
		return false;
	if (s[0] == '[' && n > 2 && s[n - 1] == ']') {
		memcpy(host, s + 1, n - 2);
		host[n - 2] = '\0';
	} else {
		memcpy(host, s, n + 1);
	}
	return inet_pton(AF_INET, host, tmp) == 1 || inet_pton(AF_INET6, host, tmp) == 1;
}

int text_parse_size(const char *s, uint64_t *ret)
{
	static const char units[] = "KMGT";
	uint64_t v = 0;
	const char *u;
	unsigned shift = 0;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (v > (UINT64_C(1) << 62) / 10)
			return -ERANGE;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	if (*s) {
		u = strchr(units, *s);
		if (!u || s[1])
			return -EINVAL;
		shift = 10u * (unsigned)(u - units + 1);
	}
	if (v == 0)
		return -EINVAL;
	if (v > (UINT64_C(1) << 62) >> shift)
		return -ERANGE;
	*ret = v << shift;
	return 0;
}
