/* SPDX-License-Identifier: Apache-2.0 */
/* The openssl command-line tool's load errors ("unable to load certificate",
 * "unable to load Private Key", "Could not read certificate from ...") followed by
 * the error-stack lines that say why ("bad end line", "bad base64 decode", ...),
 * as a customer pastes them from the playbook's `openssl x509` / `openssl rsa`
 * steps. Each becomes a failed loose certificate or key record, classified like
 * core/pem.c classifies files. Internal to core/, driven by textscan.c; same
 * protocol as textscan_client.h. */
#ifndef CORE_TEXTSCAN_OPENSSL_H
#define CORE_TEXTSCAN_OPENSSL_H

#include <stddef.h>

struct bundle;
struct ossl_scan;
struct text_pairs;
struct ts_kinds;

int ossl_scan_new(struct bundle *b, const char *artifact, struct ts_kinds *kinds,
                  struct ossl_scan **ret);
/* tp: text_pairs_init() of the line (needles it cannot have are not searched) */
int ossl_scan_line(struct ossl_scan *os, const char *line, size_t len, unsigned lineno,
                   const struct text_pairs *tp);
int ossl_scan_end(struct ossl_scan *os);
void ossl_scan_free(struct ossl_scan *os);

#endif
