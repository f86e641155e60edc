/* SPDX-License-Identifier: Apache-2.0 */
/* The base64 decoder of collect, redact and analyze, on OpenSSL's EVP_DecodeBlock.
 * (The leak scan in redact/leakscan.c keeps its own, on purpose: it must not share
 * a mistake with the code it checks.) */
#ifndef CORE_BASE64_H
#define CORE_BASE64_H

#include <stdbool.h>
#include <stddef.h>

#define BASE64_SPACE 1u  /* white space anywhere is skipped */
#define BASE64_URL 2u    /* '-' and '_' (the URL-safe alphabet) too */
#define BASE64_STRICT 4u /* padded to a multiple of 4 characters */

/* The output room base64_decode_into() needs for n input characters. */
#define BASE64_DECODED_MAX(n) ((n) / 4 * 3 + 3)

/* Decode in[0..n) into out (room for cap bytes, at least BASE64_DECODED_MAX of the
 * characters kept). '=' padding (at most two) only at the end; optional unless
 * BASE64_STRICT. 0 and *ret_len; -EINVAL with *ret_why ("invalid character",
 * "data after padding", "too much padding", "length is not a multiple of 4");
 * -ERANGE when out is too small; -ENOMEM. Intermediate copies are cleansed. */
int base64_decode_into(const char *in, size_t n, unsigned flags, unsigned char *out, size_t cap,
                       size_t *ret_len, const char **ret_why);

/* The same into a new buffer of exactly the room needed (caller cleanses if it
 * holds key material, and frees). */
int base64_decode(const char *in, size_t n, unsigned flags, unsigned char **ret, size_t *ret_len);

/* A character of the standard alphabet (not '='). */
bool base64_is_char(unsigned char c);

/* The longest prefix of in that is base64 (either alphabet), decoded, at most max
 * bytes: for a peek at what a long token holds. Returns the bytes written. */
size_t base64_decode_prefix(const char *in, size_t n, unsigned char *out, size_t max);

#endif
