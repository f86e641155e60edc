/* SPDX-License-Identifier: Apache-2.0 */
/* The kind of an object whose data comes before it, for the whole member (issue
 * 10): kubectl sorts keys, so a ConfigMap prints apiVersion, data, kind; the
 * redactor must know, at the data line, whether the kind that follows is Secret.
 * Its look-ahead window (REDACT_LOOK_MAX, and only what was fed so far) cannot
 * see past a chunk; this scanner reads the member once before it is redacted
 * (the pipeline holds the member: memory, then a temp file) and remembers, for
 * every data / stringData / binaryData whose object has a kind that is not
 * Secret, where it is. Memory: one offset per such object, plus the open nesting.
 *
 * YAML: the answer for (line offset, key column), the same rule as
 * redact_look_kind_not_secret(): a "kind:" at that column further down before
 * the mapping ends. JSON (a member starting with '{' or '['): the answer for the
 * offset of the '{' of the data object, as redact_look_json_kind_not_secret(): a
 * "kind" member of the parent object, after it, whose value is a string other
 * than "Secret". */
#ifndef REDACT_KINDSCAN_H
#define REDACT_KINDSCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct kindscan;

int kindscan_new(struct kindscan **ret); /* 0 or -ENOMEM */
/* The member's bytes as the redactor's line stage sees them (after UTF-16
 * decoding). 0 or -ENOMEM. */
int kindscan_feed(struct kindscan *k, const void *data, size_t len);
/* After the last byte: the answers are ready. 0 or -ENOMEM. */
int kindscan_end(struct kindscan *k);
bool kindscan_yaml(const struct kindscan *k, uint64_t line_off, int col);
bool kindscan_json(const struct kindscan *k, uint64_t brace_off);
void kindscan_free(struct kindscan *k);

#endif
