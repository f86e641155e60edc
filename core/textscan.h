/* SPDX-License-Identifier: Apache-2.0 */
/* Line scanners for text artifacts.
 *
 * Every text member that is not a JSON/YAML/PEM document is fed here line by line
 * (never loaded whole), and every scanner looks at every line, so a file mixing a
 * terminal session, kubectl outputs and a curl transcript is understood. The
 * scanners recognise:
 *   - ingress gateway access logs: Envoy JSON lines (Apigee's format, values as
 *     strings or JSON null/numbers) and Envoy/Istio text-format lines, optionally
 *     prefixed by `kubectl logs --prefix` ("[pod/x/c] ") and/or an RFC 3339
 *     timestamp (--timestamps);
 *   - apigee-watcher logs (zap JSON or text): "failed to get secret" / NOT_FOUND;
 *   - `curl -v` transcripts (OpenSSL 1.x/3.x, LibreSSL, Schannel, Secure Transport,
 *     old and 8.x line styles, one-line `curl: (NN)` errors, PHP "cURL error NN");
 *   - `openssl s_client` transcripts;
 *   - `kubectl get apigeeroutes|secrets|pods|svc` tables, including a table whose
 *     rows were flattened onto the header line (copied from a web page);
 *   - `kubectl describe apigeeroute` text;
 *   - `kubectl get apigeeroute NAME -o jsonpath='{.spec.X}'` commands followed by
 *     their output, in terminal transcripts.
 * Lines may end in \r (CRLF files); embedded NULs and invalid UTF-8 are tolerated.
 *
 * The caller:
 *   1. textscan_begin() for a member;
 *   2. textscan_line() for each line (without its '\n', lineno 1-based, len capped
 *      by the caller at BUNDLE_MAX_LINE_BYTES);
 *   3. textscan_end(), which flushes pending facts into the bundle, sets
 *      a->kinds_seen / a->kind and frees the scanner. */
#ifndef CORE_TEXTSCAN_H
#define CORE_TEXTSCAN_H

#include <stddef.h>

struct artifact;
struct bundle;
struct textscan;

int textscan_begin(struct bundle *b, const char *artifact, struct textscan **ret);
int textscan_line(struct textscan *ts, const char *line, size_t len, unsigned lineno);
int textscan_end(struct textscan *ts, struct artifact *a);
/* Release without flushing (error paths). NULL is fine. */
void textscan_free(struct textscan *ts);
/* Release what the scanners keep on the bundle across members (bundle_free). */
void textscan_bundle_release(struct bundle *b);

#endif
