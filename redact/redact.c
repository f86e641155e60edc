/* The redaction engine (minimal placeholder; the real implementation follows). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "redact.h"
#include "error.h"
#include "banned.h"

struct redactor {
	struct redact_options opts;
};

struct redact_stream {
	struct redactor *r;
};

struct leak_scan {
	int dummy;
};

int redactor_new(const struct redact_options *opts, struct redactor **ret, struct error *err)
{
	struct redactor *r = calloc(1, sizeof(*r));
	if (!r)
		return error_set(err, -ENOMEM, NULL, 0, "out of memory");
	if (opts)
		r->opts = *opts;
	*ret = r;
	return 0;
}

void redactor_free(struct redactor *r)
{
	free(r);
}

int redact_stream_begin(struct redactor *r, const char *member, struct redact_stream **ret)
{
	struct redact_stream *s = calloc(1, sizeof(*s));
	(void)member;
	if (!s)
		return -ENOMEM;
	s->r = r;
	*ret = s;
	return 0;
}

int redact_stream_write(struct redact_stream *s, const void *data, size_t len, redact_out_fn out,
			void *userdata)
{
	(void)s;
	return len ? out(userdata, data, len) : 0;
}

int redact_stream_end(struct redact_stream *s, redact_out_fn out, void *userdata)
{
	(void)out;
	(void)userdata;
	free(s);
	return 0;
}

int redact_buffer(struct redactor *r, const char *member, const void *data, size_t len,
		  struct buf *ret, struct error *err)
{
	(void)r;
	(void)member;
	buf_init(ret, 0);
	if (buf_append(ret, data, len) < 0)
		return error_set(err, -ENOMEM, member, 0, "out of memory");
	return 0;
}

char *redact_member_name(struct redactor *r, const char *member)
{
	(void)r;
	return strdup(member);
}

json_t *redactor_report_json(const struct redactor *r)
{
	(void)r;
	return json_pack("{s:s,s:[],s:b,s:i}", "format", "apigee-bundle/redaction/v1", "rules",
			 "pseudonymized", 0, "dropped_certificates", 0);
}

int redactor_save_map(struct redactor *r, struct error *err)
{
	(void)r;
	(void)err;
	return 0;
}

int leak_scan_begin(const char *member, struct leak_scan **ret)
{
	(void)member;
	*ret = calloc(1, sizeof(**ret));
	return *ret ? 0 : -ENOMEM;
}

int leak_scan_write(struct leak_scan *s, const void *data, size_t len)
{
	(void)s;
	(void)data;
	(void)len;
	return 0;
}

int leak_scan_end(struct leak_scan *s, struct leak_hit *ret_hit)
{
	(void)ret_hit;
	free(s);
	return 0;
}

int leak_scan_buffer(const void *data, size_t len, struct leak_hit *ret_hit)
{
	(void)data;
	(void)len;
	(void)ret_hit;
	return 0;
}
