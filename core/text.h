/* SPDX-License-Identifier: Apache-2.0 */
/* Small text helpers shared by the parsers: escaping for display, searching,
 * trimming and timestamp parsing. None of them allocate unless stated. */
#ifndef CORE_TEXT_H
#define CORE_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Write a printable, single-line form of data into out (control bytes and
 * non-UTF-8 bytes as \xNN, truncated with "..." to fit). Always NUL-terminates. */
void text_escape(const char *data, size_t len, char *out, size_t size);

/* Allocate an escaped excerpt of at most max_chars characters (caller frees). */
char *text_excerpt(const char *data, size_t len, size_t max_chars);

/* memmem for a NUL-terminated needle; NULL if absent. */
const char *text_find(const char *hay, size_t len, const char *needle);
/* ASCII case-insensitive variant. */
const char *text_find_ci(const char *hay, size_t len, const char *needle);

bool text_starts_with(const char *s, size_t len, const char *prefix);

/* Trim ASCII white space (including \r) from both ends; returns the new start and
 * stores the new length. */
const char *text_trim(const char *s, size_t len, size_t *ret_len);

/* Parse an RFC 3339 / ISO 8601 UTC time ("2025-05-19T04:46:20.117Z",
 * "2025-05-19T04:46:20+00:00", "2025-05-19 04:46:20") into seconds since the epoch.
 * Returns 0 on success, -EINVAL otherwise. */
int text_parse_time(const char *s, size_t len, int64_t *ret);
/* A byte count for an option: digits, optionally K, M, G or T (powers of 1024).
 * -EINVAL when it is not one (or is 0), -ERANGE above 2^62. */
int text_parse_size(const char *s, uint64_t *ret);

/* Format seconds since the epoch as "YYYY-MM-DDTHH:MM:SSZ" (out >= 21 bytes). */
void text_format_time(int64_t t, char *out, size_t size);

/* True when the string looks like an IPv4 or IPv6 literal. */
bool text_is_ip_literal(const char *s);

#endif
