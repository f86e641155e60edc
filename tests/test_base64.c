/* SPDX-License-Identifier: Apache-2.0 */
/* core/base64.c: the one decoder of collect, redact and analyze. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base64.h"
#include "banned.h"

static void expect(const char *in, unsigned flags, const char *want, const char *why)
{
	unsigned char out[64];
	const char *got_why = NULL;
	size_t len = 0;
	int r = base64_decode_into(in, strlen(in), flags, out, sizeof(out), &len, &got_why);

	if (want) {
		assert_int_equal(r, 0);
		assert_int_equal(len, strlen(want));
		assert_memory_equal(out, want, len);
	} else {
		assert_int_equal(r, -EINVAL);
		assert_string_equal(got_why, why);
	}
}

static void test_base64__decode(void **state)
{
	(void)state;
	expect("", 0, "", NULL);
	expect("QQ==", BASE64_STRICT, "A", NULL);
	expect("QUI=", BASE64_STRICT, "AB", NULL);
	expect("QUJD", BASE64_STRICT, "ABC", NULL);
	expect("QQ", 0, "A", NULL);
	expect("QUI", 0, "AB", NULL);
	expect("QU\nJD\r\n", BASE64_SPACE, "ABC", NULL);
	expect("QQ==\n", BASE64_SPACE, "A", NULL);
	expect("_-8", BASE64_URL, "\xff\xef", NULL);
	expect("/+8", 0, "\xff\xef", NULL);
	/* errors, with the reason pem.c reports */
	expect("QQ", BASE64_STRICT, NULL, "length is not a multiple of 4");
	expect("QQ=A", 0, NULL, "data after padding");
	expect("Q===", 0, NULL, "too much padding");
	expect("Q!JD", 0, NULL, "invalid character");
	expect("QU JD", 0, NULL, "invalid character");
	expect("_-8", 0, NULL, "invalid character");
	expect("QUJDR", 0, NULL, "length is not a multiple of 4");
}

static void test_base64__allocating_and_range(void **state)
{
	unsigned char *out = NULL, small[2];
	size_t len = 0;

	(void)state;
	assert_int_equal(base64_decode("aGVsbG8gd29ybGQ=", 16, 0, &out, &len), 0);
	assert_int_equal(len, 11);
	assert_memory_equal(out, "hello world", 11);
	free(out);
	assert_int_equal(base64_decode_into("QUJD", 4, 0, small, sizeof(small), &len, NULL),
	                 -ERANGE);
}

/* The prefix decoder equals the plain bit-by-bit definition for every length and
 * output limit. */
static size_t reference_prefix(const char *p, size_t n, unsigned char *out, size_t max)
{
	static const char alpha[] =
	        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	unsigned acc = 0;
	int bits = 0;
	size_t o = 0;

	for (size_t i = 0; i < n && o < max; i++) {
		const char *v = p[i] == '-' ? alpha + 62 : p[i] == '_' ? alpha + 63 : NULL;

		if (!v)
			v = p[i] ? strchr(alpha, p[i]) : NULL;
		if (!v)
			break;
		acc = (acc << 6) | (unsigned)(v - alpha);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)((acc >> bits) & 0xff);
		}
	}
	return o;
}

static void test_base64__prefix(void **state)
{
	static const char src[] = "LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0t_-AbC=tail";

	(void)state;
	for (size_t n = 0; n <= sizeof(src) - 1; n++)
		for (size_t max = 0; max < 40; max++) {
			unsigned char a[64], b[64];
			size_t na = base64_decode_prefix(src, n, a, max);
			size_t nb = reference_prefix(src, n, b, max);

			assert_int_equal(na, nb);
			assert_memory_equal(a, b, na);
		}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_base64__decode),
		cmocka_unit_test(test_base64__allocating_and_range),
		cmocka_unit_test(test_base64__prefix),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
