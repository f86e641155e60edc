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

/* The byte pairs of a line, case folded (a 4096-bit set): a scanner that asks a
 * line for dozens of needles first rules out those with a pair the line lacks,
 * without searching. text_pairs_may_have() is false only when neither needle
 * nor any case variant of it occurs in the line or any part of it, so
 *   if (text_pairs_may_have(&tp, n) && text_find(part_of_line, len, n))
 * gives the same answer as text_find() alone, also for text_find_ci(). */
struct text_pairs {
	uint64_t bits[64];
};

void text_pairs_init(struct text_pairs *tp, const char *s, size_t len);

/* 6 bits of each byte with ASCII case folded ('A' and 'a' hash alike) */
static inline unsigned text_pair_hash(unsigned char a, unsigned char b)
{
	return (((a | 0x20u) & 0x3fu) << 6) | ((b | 0x20u) & 0x3fu);
}

static inline bool text_pairs_may_have(const struct text_pairs *tp, const char *needle)
{
	const unsigned char *p = (const unsigned char *)needle;

	if (!p[0])
		return true;
	for (; p[1]; p++) {
		unsigned h = text_pair_hash(p[0], p[1]);

		if (!(tp->bits[h >> 6] & (1ull << (h & 63))))
			return false;
	}
	return true;
}

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
