/* SPDX-License-Identifier: Apache-2.0 */
/* One base64 decoder (see base64.h). */
#include "base64.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "banned.h"

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* The character in the standard alphabet, or 0 when it is not base64. */
static char std_char(char c, unsigned flags)
{
	if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	    c == '+' || c == '/')
		return c;
	if (flags & BASE64_URL) {
		if (c == '-')
			return '+';
		if (c == '_')
			return '/';
	}
	return 0;
}

bool base64_is_char(unsigned char c)
{
	return std_char((char)c, 0) != 0;
}

/* Padding: from the first '=', only '=' (and white space with BASE64_SPACE). */
static const char *check_padding(const char *in, size_t n, unsigned flags, size_t *ret_pad)
{
	const char *eq = memchr(in, '=', n);
	size_t pad = 0;

	*ret_pad = 0;
	if (!eq)
		return NULL;
	for (size_t i = (size_t)(eq - in); i < n; i++) {
		if (in[i] == '=')
			pad++;
		else if (!((flags & BASE64_SPACE) && is_space(in[i])))
			return "data after padding";
	}
	*ret_pad = pad;
	return pad > 2 ? "too much padding" : NULL;
}

int base64_decode_into(const char *in, size_t n, unsigned flags, unsigned char *out, size_t cap,
                       size_t *ret_len, const char **ret_why)
{
	const char *why = NULL;
	char *tmp;
	size_t pad, len = 0, groups;
	int d, r = 0;

	*ret_len = 0;
	if ((flags & BASE64_STRICT) && n % 4 != 0)
		why = "length is not a multiple of 4";
	if (!why)
		why = check_padding(in, n, flags, &pad);
	if (why) {
		if (ret_why)
			*ret_why = why;
		return -EINVAL;
	}
	tmp = malloc(n + 4);
	if (!tmp)
		return -ENOMEM;
	for (size_t i = 0; i < n && in[i] != '='; i++) {
		char c = std_char(in[i], flags);

		if (c)
			tmp[len++] = c;
		else if (!((flags & BASE64_SPACE) && is_space(in[i]))) {
			why = "invalid character";
			break;
		}
	}
	if (!why && len % 4 == 1)
		why = "length is not a multiple of 4";
	groups = (len + 3) / 4;
	if (!why && groups * 3 > cap)
		r = -ERANGE;
	if (!why && r == 0 && len) {
		size_t full = len;

		while (full % 4)
			tmp[full++] = '=';
		d = EVP_DecodeBlock(out, (const unsigned char *)tmp, (int)full);
		if (d < 0)
			why = "invalid character";
		else /* EVP_DecodeBlock counts the padding as zero bytes */
			*ret_len = (size_t)d - (full - len);
	}
	OPENSSL_cleanse(tmp, n + 4);
	free(tmp);
	if (why) {
		if (ret_why)
			*ret_why = why;
		return -EINVAL;
	}
	return r;
}

int base64_decode(const char *in, size_t n, unsigned flags, unsigned char **ret, size_t *ret_len)
{
	size_t cap = BASE64_DECODED_MAX(n);
	unsigned char *out = malloc(cap);
	int r;

	if (!out)
		return -ENOMEM;
	r = base64_decode_into(in, n, flags, out, cap, ret_len, NULL);
	if (r < 0) {
		OPENSSL_cleanse(out, cap);
		free(out);
		return r;
	}
	*ret = out;
	return 0;
}

size_t base64_decode_prefix(const char *in, size_t n, unsigned char *out, size_t max)
{
	unsigned char buf[BASE64_DECODED_MAX(1368)];
	size_t run = 0, got = 0;

	/* enough characters for max bytes, and no more than the local buffer holds */
	while (run < n && run < (max + 2) / 3 * 4 && run < 1368 && std_char(in[run], BASE64_URL))
		run++;
	if (run % 4 == 1)
		run--;
	if (base64_decode_into(in, run, BASE64_URL, buf, sizeof(buf), &got, NULL) < 0)
		return 0;
	if (got > max)
		got = max;
	memcpy(out, buf, got);
	OPENSSL_cleanse(buf, sizeof(buf));
	return got;
}
