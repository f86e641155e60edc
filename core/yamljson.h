/* SPDX-License-Identifier: Apache-2.0 */
/* YAML to JSON values with libyaml.
 *
 * Every document of a YAML stream becomes one jansson value, so YAML and JSON
 * inputs (kubectl -o yaml / -o json, overrides.yaml) share one recogniser. Anchors
 * and aliases are resolved by sharing the anchored value (no copy); the number of
 * alias uses and the nesting depth are capped, so an alias bomb is refused instead
 * of expanded. Each object made from a YAML mapping carries its 1-based line in a
 * hidden member named YAMLJSON_LINE_KEY (an integer), for evidence. Scalars: plain
 * true/false/null/integers/floats are typed (YAML 1.2 core schema); quoted scalars
 * stay strings. */
#ifndef CORE_YAMLJSON_H
#define CORE_YAMLJSON_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct error;

#define YAMLJSON_LINE_KEY "\x01line"
#define YAMLJSON_MAX_ALIASES 10000
#define YAMLJSON_MAX_DOCS 1000

/* The string member key of o, or NULL (not an object, no such member, not a
 * string): the one jansson getter every part uses. */
const char *json_str(const json_t *o, const char *key);

/* Parse data into a JSON array of documents (*ret, new reference). On a syntax
 * error: -EINVAL with err->line/column/message naming the problem (source is left
 * for the caller). */
int yamljson_parse(const uint8_t *data, size_t len, const char *source, json_t **ret,
                   struct error *err);

/* The YAML line of an object produced by yamljson_parse, 0 if none. */
unsigned yamljson_line(const json_t *obj);

#endif
