/* SPDX-License-Identifier: Apache-2.0 */
/* The facts 'diff' compares, and the comparison itself.
 *
 * facts_json() turns the model of one bundle into {kind: {key: value}}: one entry
 * per route, certificate (keyed by SHA-256 fingerprint; an unreadable one by where
 * it was), Secret, virtual host, instance (with its attached environments),
 * environment group, firewall rule, load balancer certificate and TLS probe. Lists
 * whose order means nothing are sorted, so that equal facts compare equal.
 *
 * facts_diff() and checks_diff() are pure functions of two such documents / two
 * findings sets: the caller owns the new references they return. */
#ifndef ANALYZE_FACTS_H
#define ANALYZE_FACTS_H

#include <stddef.h>

#include <jansson.h>

struct bundle;
struct findings;

/* The kinds of fact, in the order diff reports them. */
extern const char *const facts_kinds[];
extern const size_t facts_n_kinds;

/* {kind: {key: value}} for b; NULL out of memory. */
json_t *facts_json(const struct bundle *b);

/* {kind: {"added": [{key, value}], "removed": [{key, value}],
 *         "changed": [{key, fields, old, new}]}} with only the kinds where
 * something changed (keys in byte order; fields: the names of the value's
 * members that differ). *ret_n counts the entries. NULL out of memory. */
json_t *facts_diff(const json_t *old_facts, const json_t *new_facts, size_t *ret_n);

/* [{check, title, old, new, summary}] for every check whose status differs
 * (catalog order of new; a check run on one side only has "absent" on the
 * other), *ret_same the checks whose status is the same. NULL out of memory. */
json_t *checks_diff(const struct findings *old_fs, const struct findings *new_fs, size_t *ret_same);

#endif
