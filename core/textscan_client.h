/* SPDX-License-Identifier: Apache-2.0 */
/* Client transcript scanners: `curl -v` (and one-line curl / libcurl errors) and
 * `openssl s_client` outputs, turned into struct curl_trace / struct sclient_trace
 * records of the bundle. Internal to core/, driven by textscan.c.
 *
 * The caller:
 *   1. client_scan_new() per member;
 *   2. client_scan_line() for every line (CR already stripped);
 *   3. client_scan_end(), which stores the pending traces;
 *   4. client_scan_free(). */
#ifndef CORE_TEXTSCAN_CLIENT_H
#define CORE_TEXTSCAN_CLIENT_H

#include <stddef.h>

struct bundle;
struct client_scan;
struct text_pairs;
struct ts_kinds;

/* artifact and kinds are borrowed and must outlive the scanner. */
int client_scan_new(struct bundle *b, const char *artifact, struct ts_kinds *kinds,
                    struct client_scan **ret);
/* tp: text_pairs_init() of the line (needles it cannot have are not searched) */
int client_scan_line(struct client_scan *cs, const char *line, size_t len, unsigned lineno,
                     const struct text_pairs *tp);
int client_scan_end(struct client_scan *cs);
void client_scan_free(struct client_scan *cs);

#endif
