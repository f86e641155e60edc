/* SPDX-License-Identifier: Apache-2.0 */
/* YAML to jansson values, with alias and depth limits. */
#include "yamljson.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "bundle.h"
#include "error.h"
#include "banned.h"

struct anchor {
	char *name;
	json_t *value;
};

struct yj {
	yaml_parser_t parser;
	struct anchor *anchors;
	size_t n_anchors, cap_anchors;
	size_t aliases;
	const char *source;
	struct error *err;
};

static void yj_anchors_release(struct yj *y)
{
	for (size_t i = 0; i < y->n_anchors; i++) {
		free(y->anchors[i].name);
		json_decref(y->anchors[i].value);
	}
	free(y->anchors);
	y->anchors = NULL;
	y->n_anchors = y->cap_anchors = 0;
}

static int yj_anchor_add(struct yj *y, const char *name, json_t *v)
{
	if (y->n_anchors == y->cap_anchors) {
		size_t ncap = y->cap_anchors ? y->cap_anchors * 2 : 8;
		struct anchor *p;

		if (ncap > YAMLJSON_MAX_ALIASES)
			return error_set(y->err, -ERANGE, y->source, 0, "too many YAML anchors");
		p = realloc(y->anchors, ncap * sizeof(*p));
		if (!p)
			return -ENOMEM;
		y->anchors = p;
		y->cap_anchors = ncap;
	}
	y->anchors[y->n_anchors].name = strdup(name);
	if (!y->anchors[y->n_anchors].name)
		return -ENOMEM;
	y->anchors[y->n_anchors].value = json_incref(v);
	y->n_anchors++;
	return 0;
}

static json_t *yj_anchor_find(struct yj *y, const char *name)
{
	/* the latest definition wins, as in YAML */
	for (size_t i = y->n_anchors; i-- > 0;)
		if (strcmp(y->anchors[i].name, name) == 0)
			return y->anchors[i].value;
	return NULL;
}

static int yj_parse_error(struct yj *y)
{
	return error_set(y->err, -EINVAL, y->source, (unsigned)y->parser.problem_mark.line + 1,
	                 "invalid YAML at line %zu, column %zu: %s%s%s",
	                 y->parser.problem_mark.line + 1, y->parser.problem_mark.column + 1,
	                 y->parser.problem ? y->parser.problem : "syntax error",
	                 y->parser.context ? " " : "", y->parser.context ? y->parser.context : "");
}

static bool str_eq_any(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(s, *list) == 0)
			return true;
	return false;
}

static json_t *yj_scalar(const yaml_event_t *ev)
{
	const char *s = (const char *)ev->data.scalar.value;
	size_t len = ev->data.scalar.length;
	static const char *const trues[] = { "true", "True", "TRUE", NULL };
	static const char *const falses[] = { "false", "False", "FALSE", NULL };
	static const char *const nulls[] = { "null", "Null", "NULL", "~", "", NULL };
	char *end = NULL;

	if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE || memchr(s, '\0', len))
		return json_stringn(s, len);
	if (str_eq_any(s, trues))
		return json_true();
	if (str_eq_any(s, falses))
		return json_false();
	if (str_eq_any(s, nulls))
		return json_null();
	if (len && len < 20 && (s[0] == '-' || s[0] == '+' || (s[0] >= '0' && s[0] <= '9'))) {
		long long v;

		errno = 0;
		v = strtoll(s, &end, 10);
		if (!errno && end && *end == '\0')
			return json_integer(v);
	}
	if (len && len < 40 && ((s[0] >= '0' && s[0] <= '9') || s[0] == '-' || s[0] == '.')) {
		double d;

		errno = 0;
		d = strtod(s, &end);
		if (!errno && end && *end == '\0' && strspn(s, "0123456789.-+eE") == len)
			return json_real(d);
	}
	return json_stringn(s, len);
}

static int yj_node(struct yj *y, yaml_event_t *first, unsigned depth, json_t **ret);

/* Parse the rest of a sequence or mapping whose start event was `first`. */
static int yj_collection(struct yj *y, yaml_event_t *first, unsigned depth, json_t **ret)
{
	bool mapping = first->type == YAML_MAPPING_START_EVENT;
	json_t *out = mapping ? json_object() : json_array();
	int r = 0;

	if (!out)
		return -ENOMEM;
	if (mapping)
		json_object_set_new(out, YAMLJSON_LINE_KEY,
		                    json_integer((json_int_t)first->start_mark.line + 1));
	for (;;) {
		yaml_event_t ev;
		json_t *key = NULL, *val = NULL;

		if (!yaml_parser_parse(&y->parser, &ev)) {
			r = yj_parse_error(y);
			break;
		}
		if (ev.type == YAML_SEQUENCE_END_EVENT || ev.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&ev);
			break;
		}
		r = yj_node(y, &ev, depth + 1, mapping ? &key : &val);
		yaml_event_delete(&ev);
		if (r < 0)
			break;
		if (!mapping) {
			json_array_append_new(out, val);
			continue;
		}
		if (!yaml_parser_parse(&y->parser, &ev)) {
			json_decref(key);
			r = yj_parse_error(y);
			break;
		}
		r = yj_node(y, &ev, depth + 1, &val);
		yaml_event_delete(&ev);
		if (r < 0) {
			json_decref(key);
			break;
		}
		if (json_is_string(key)) {
			json_object_set_new(out, json_string_value(key), val);
		} else if (json_is_integer(key) || json_is_real(key) || json_is_boolean(key)) {
			char tmp[64];

			if (json_is_integer(key))
				snprintf(tmp, sizeof(tmp), "%lld",
				         (long long)json_integer_value(key));
			else if (json_is_boolean(key))
				snprintf(tmp, sizeof(tmp), "%s",
				         json_is_true(key) ? "true" : "false");
			else
				snprintf(tmp, sizeof(tmp), "%g", json_real_value(key));
			json_object_set_new(out, tmp, val);
		} else if (json_is_null(key)) {
			json_object_set_new(out, "", val);
		} else {
			/* complex keys carry nothing we read */
			json_decref(val);
		}
		json_decref(key);
	}
	if (r < 0) {
		json_decref(out);
		return r;
	}
	*ret = out;
	return 0;
}

static int yj_node(struct yj *y, yaml_event_t *ev, unsigned depth, json_t **ret)
{
	const char *anchor = NULL;
	json_t *v = NULL;
	int r;

	if (depth > BUNDLE_MAX_DEPTH)
		return error_set(y->err, -ERANGE, y->source, (unsigned)ev->start_mark.line + 1,
		                 "YAML nested deeper than %d levels", BUNDLE_MAX_DEPTH);
	switch (ev->type) {
	case YAML_ALIAS_EVENT:
		if (++y->aliases > YAMLJSON_MAX_ALIASES)
			return error_set(
			        y->err, -ERANGE, y->source, (unsigned)ev->start_mark.line + 1,
			        "more than %d YAML aliases (alias bomb?)", YAMLJSON_MAX_ALIASES);
		v = yj_anchor_find(y, (const char *)ev->data.alias.anchor);
		if (!v)
			return error_set(y->err, -EINVAL, y->source,
			                 (unsigned)ev->start_mark.line + 1,
			                 "YAML alias '%s' names no anchor",
			                 (const char *)ev->data.alias.anchor);
		*ret = json_incref(v);
		return 0;
	case YAML_SCALAR_EVENT:
		anchor = (const char *)ev->data.scalar.anchor;
		v = yj_scalar(ev);
		if (!v)
			return -ENOMEM;
		break;
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		anchor = ev->type == YAML_SEQUENCE_START_EVENT
		                 ? (const char *)ev->data.sequence_start.anchor
		                 : (const char *)ev->data.mapping_start.anchor;
		r = yj_collection(y, ev, depth, &v);
		if (r < 0)
			return r;
		break;
	default:
		return error_set(y->err, -EINVAL, y->source, (unsigned)ev->start_mark.line + 1,
		                 "unexpected YAML event");
	}
	if (anchor) {
		r = yj_anchor_add(y, anchor, v);
		if (r < 0) {
			json_decref(v);
			return r;
		}
	}
	*ret = v;
	return 0;
}

int yamljson_parse(const uint8_t *data, size_t len, const char *source, json_t **ret,
                   struct error *err)
{
	struct yj y = { .source = source, .err = err };
	json_t *docs = json_array();
	int r = 0;

	if (!docs)
		return -ENOMEM;
	if (!yaml_parser_initialize(&y.parser)) {
		json_decref(docs);
		return -ENOMEM;
	}
	yaml_parser_set_input_string(&y.parser, data, len);
	for (;;) {
		yaml_event_t ev;
		json_t *doc = NULL;

		if (!yaml_parser_parse(&y.parser, &ev)) {
			r = yj_parse_error(&y);
			break;
		}
		if (ev.type == YAML_STREAM_END_EVENT) {
			yaml_event_delete(&ev);
			break;
		}
		if (ev.type == YAML_STREAM_START_EVENT || ev.type == YAML_DOCUMENT_END_EVENT) {
			yaml_event_delete(&ev);
			continue;
		}
		if (ev.type == YAML_DOCUMENT_START_EVENT) {
			yaml_event_delete(&ev);
			/* anchors do not cross documents */
			yj_anchors_release(&y);
			if (json_array_size(docs) >= YAMLJSON_MAX_DOCS) {
				r = error_set(err, -ERANGE, source, 0,
				              "more than %d YAML documents", YAMLJSON_MAX_DOCS);
				break;
			}
			continue;
		}
		r = yj_node(&y, &ev, 0, &doc);
		yaml_event_delete(&ev);
		if (r < 0)
			break;
		json_array_append_new(docs, doc);
	}
	yj_anchors_release(&y);
	yaml_parser_delete(&y.parser);
	if (r < 0) {
		json_decref(docs);
		return r;
	}
	*ret = docs;
	return 0;
}

unsigned yamljson_line(const json_t *obj)
{
	json_t *l = json_object_get(obj, YAMLJSON_LINE_KEY);

	return json_is_integer(l) ? (unsigned)json_integer_value(l) : 0;
}

const char *json_str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}
