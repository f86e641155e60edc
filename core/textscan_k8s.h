/* SPDX-License-Identifier: Apache-2.0 */
/* kubectl text-output scanners: `get` tables (ApigeeRoutes, secrets, pods,
 * services; also a table whose rows were flattened onto the header line),
 * `describe apigeeroute` blocks and `get apigeeroute NAME -o jsonpath=...`
 * commands followed by their output. Internal to core/, driven by textscan.c.
 *
 * The caller:
 *   1. k8s_scan_new() per member;
 *   2. k8s_scan_line() for every line (CR already stripped);
 *   3. k8s_scan_end(), which stores a pending describe block;
 *   4. k8s_scan_free(). */
#ifndef CORE_TEXTSCAN_K8S_H
#define CORE_TEXTSCAN_K8S_H

#include <stddef.h>

struct bundle;
struct k8s_scan;
struct ts_kinds;

/* artifact and kinds are borrowed and must outlive the scanner. */
int k8s_scan_new(struct bundle *b, const char *artifact, struct ts_kinds *kinds,
                 struct k8s_scan **ret);
int k8s_scan_line(struct k8s_scan *ks, const char *line, size_t len, unsigned lineno);
int k8s_scan_end(struct k8s_scan *ks);
void k8s_scan_free(struct k8s_scan *ks);

#endif
