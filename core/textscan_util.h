/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers shared by the line scanners (textscan.c, textscan_client.c,
 * textscan_k8s.c): bounded token scanning over (pointer, length) views that may
 * hold NULs, name checks, capped string copies, evidence locators, and the
 * per-member tally of recognised artifact kinds. Internal to core/.
 *
 * Nothing here assumes NUL-terminated input; every returned string is a new
 * allocation that the caller (or the struct it is stored in) frees. */
#ifndef CORE_TEXTSCAN_UTIL_H
#define CORE_TEXTSCAN_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h"

#define TS_EXCERPT_CHARS 200 /* evidence excerpt length */
#define TS_MAX_STR 1024      /* longest value copied out of a line */

/* A view into a line. */
struct ts_tok {
	const char *p;
	size_t n;
};

/* Which artifact kinds a member showed, and how strongly (recognised lines). */
struct ts_kinds {
	unsigned seen;             /* 1u << enum artifact_kind */
	uint64_t weight[ART__MAX]; /* recognised lines per kind */
};

void ts_kinds_note(struct ts_kinds *k, enum artifact_kind kind, uint64_t lines);

/* Next run of non-blank bytes (blank = space, tab, \r, \n, \v, \f) in [*cur, end);
 * advances *cur. false at the end. */
bool ts_next_token(const char **cur, const char *end, struct ts_tok *ret);

/* Like ts_next_token, but a quoted part ('...' or "...") is part of the word even
 * when it holds blanks (a shell-like word). The view keeps the quotes; use
 * ts_unquote() to drop a pair wrapping the whole word. */
bool ts_next_word(const char **cur, const char *end, struct ts_tok *ret);
struct ts_tok ts_unquote(struct ts_tok t);

bool ts_tok_eq(struct ts_tok t, const char *s);
bool ts_tok_eq_ci(struct ts_tok t, const char *s);
bool ts_tok_starts(struct ts_tok t, const char *prefix);

/* Trim blanks (including \r) from both ends. */
struct ts_tok ts_trim(const char *p, size_t n);

/* Count of leading spaces (a tab counts as one). */
size_t ts_indent(const char *p, size_t n);

/* RFC 1123 subdomain as Kubernetes names use: [a-z0-9]([a-z0-9.-]*[a-z0-9])?, at
 * most 253 bytes. */
bool ts_is_k8s_name(const char *p, size_t n);
/* A looser identifier: [A-Za-z0-9][A-Za-z0-9._-]*, at most 253 bytes. */
bool ts_is_name_like(const char *p, size_t n);

/* Parse 1..digits decimal digits at p (n bytes available); stores the value and the
 * number of digits used. false when no digit or the value exceeds max. */
bool ts_parse_uint(const char *p, size_t n, uint64_t max, uint64_t *ret, size_t *ret_used);

/* Allocated copy of p[0..n) with blanks trimmed and at most max bytes (cut at a
 * UTF-8 boundary); NULL on allocation failure. */
char *ts_strndup(const char *p, size_t n, size_t max);

/* Replace *dst with a copy (see ts_strndup); 0 or -ENOMEM. */
int ts_set_str(char **dst, const char *p, size_t n, size_t max);
/* Set *dst only when it is NULL. */
int ts_set_str_once(char **dst, const char *p, size_t n, size_t max);

/* Allocated escaped excerpt of a line around byte offset at: from the line start
 * when at is near it, else starting a little before at. */
char *ts_excerpt(const char *line, size_t len, size_t at, size_t max_chars);

/* Replace the locator l with (artifact, lineno, excerpt of line around at). */
int ts_loc_set(struct loc *l, const char *artifact, unsigned lineno, const char *line, size_t len,
               size_t at);

/* A bounded set of 64-bit hashes of strings, for distinct counting. */
struct ts_hashset {
	uint64_t *slots;
	size_t cap; /* power of two, 0 = empty */
	size_t n;
	size_t max; /* stop adding at max (capped = true) */
	bool capped;
};

/* 1 when added, 0 when present or capped, -ENOMEM. */
int ts_hashset_add(struct ts_hashset *s, const char *p, size_t n);
void ts_hashset_release(struct ts_hashset *s);

/* A certificate date or an HTTP Date header as clients print it, into seconds
 * since the epoch (UTC):
 *   "Sep  4 00:00:00 2019 GMT", "Sep 04 00:00:00 2019 GMT"  OpenSSL, LibreSSL, NSS
 *   "Fri, 26 Jun 2015 17:05:45 GMT"          GnuTLS; HTTP Date (IMF-fixdate)
 *   "2019-09-04 00:00:00 GMT", "2019-09-04T00:00:00Z"  curl's ASN.1 reader
 *                                            (Schannel, Secure Transport), mbedTLS
 *   "Friday, 26-Jun-15 17:05:45 GMT", "Fri Jun 26 17:05:45 2015"  old HTTP forms
 * Text after the date (a "; NotAfter: ..." or the next header of a flattened
 * paste) is ignored. 0, or -EINVAL when it is none of these. */
int ts_parse_client_date(const char *s, size_t n, int64_t *ret);

#endif
