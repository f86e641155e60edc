/* SPDX-License-Identifier: Apache-2.0 */
/* The recording sink of the collector's unit tests (rec_sink.h). */
#include "rec_sink.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "banned.h"

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

int sink_emit(struct sink *s, const struct member_out *m)
{
	struct rec_member *r;

	assert_true(s->n_m < REC_SINK_MAX);
	r = &s->m[s->n_m++];
	memset(r, 0, sizeof(*r));
	r->path = strdup(m->path);
	r->url = dup_or_null(m->url);
	r->target = dup_or_null(m->target);
	r->error = dup_or_null(m->error);
	r->outcome = m->outcome;
	r->exit_status = m->exit_status;
	r->http_status = m->http_status;
	r->source = m->source;
	buf_init(&r->data, 0);
	assert_int_equal(buf_append(&r->data, m->data, m->len), 0);
	return 0;
}

void sink_source(struct sink *s, const char *name, enum outcome o, const char *reason)
{
	struct rec_source *r;

	assert_true(s->n_s < REC_SINK_MAX);
	r = &s->s[s->n_s++];
	r->name = strdup(name);
	r->reason = dup_or_null(reason);
	r->outcome = o;
}

void sink_add_wait(struct sink *s, int64_t ms)
{
	s->wait_ms += ms;
}

void rec_sink_free(struct sink *s)
{
	for (size_t i = 0; i < s->n_m; i++) {
		free(s->m[i].path);
		free(s->m[i].url);
		free(s->m[i].target);
		free(s->m[i].error);
		buf_release(&s->m[i].data);
	}
	for (size_t i = 0; i < s->n_s; i++) {
		free(s->s[i].name);
		free(s->s[i].reason);
	}
	free(s);
}

const struct rec_member *find_member(const struct sink *s, const char *path)
{
	for (size_t i = 0; i < s->n_m; i++)
		if (strcmp(s->m[i].path, path) == 0)
			return &s->m[i];
	return NULL;
}

const struct rec_source *find_source(const struct sink *s, const char *name)
{
	for (size_t i = 0; i < s->n_s; i++)
		if (strcmp(s->s[i].name, name) == 0)
			return &s->s[i];
	print_error("no source '%s'; have:\n", name);
	for (size_t i = 0; i < s->n_s; i++)
		print_error("  '%s'\n", s->s[i].name);
	return NULL;
}
