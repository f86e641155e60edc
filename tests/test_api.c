/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the management API source (collect/api.c) against a tiny HTTP
 * server on 127.0.0.1 answering canned responses, with a recording sink. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <jansson.h>

#include "buf.h"
#include "error.h"
#include "rec_sink.h"
#include "sink.h"
#include "sources.h"

#include "banned.h"

#define TOKEN "ya29.test-token-0123456789abcdef"

/* The token is nowhere: no member data, URL, error or source reason. */
static void assert_no_token(const struct sink *s)
{
	for (size_t i = 0; i < s->n_m; i++) {
		const struct rec_member *m = &s->m[i];

		assert_null(memmem(m->data.data ? m->data.data : "", m->data.len, TOKEN,
		                   strlen(TOKEN)));
		assert_null(
		        memmem(m->data.data ? m->data.data : "", m->data.len, "test-token", 10));
		assert_true(!m->url || !strstr(m->url, "test-token"));
		assert_true(!m->error || !strstr(m->error, "test-token"));
	}
	for (size_t i = 0; i < s->n_s; i++)
		assert_true(!s->s[i].reason || !strstr(s->s[i].reason, "test-token"));
}

/* ---- a canned HTTP server ------------------------------------------------- */

struct rule {
	const char *target; /* request target (path?query), exact; NULL = any */
	int status;
	const char *headers; /* extra header lines, each ending in \r\n */
	const char *body;
	int times;      /* how often this rule answers; 0 = always */
	bool echo_auth; /* body = the Authorization header received */
	int delay_ms;   /* wait this long before answering */
};

struct server {
	int fd;
	int port;
	pthread_t thread;
	atomic_bool stop;
	const struct rule *rules;
	int used[32];
	char seen[64][256]; /* request targets in order */
	char auth[128];     /* last Authorization header */
	int n_seen;
};

static int count_seen(const struct server *sv, const char *target)
{
	int n = 0;

	for (int i = 0; i < sv->n_seen && i < 64; i++)
		n += strcmp(sv->seen[i], target) == 0;
	return n;
}

static void serve_one(struct server *sv, int c)
{
	char req[8192], target[256] = "", *p, *e;
	size_t n = 0;
	const struct rule *r = NULL;
	struct buf out = BUF_INIT;
	const char *body;

	while (n < sizeof(req) - 1) {
		ssize_t k = recv(c, req + n, sizeof(req) - 1 - n, 0);

		if (k <= 0)
			break;
		n += (size_t)k;
		req[n] = '\0';
		if (strstr(req, "\r\n\r\n"))
			break;
	}
	req[n] = '\0';
	if (sscanf(req, "GET %255s", target) != 1)
		return;
	if (sv->n_seen < 64)
		snprintf(sv->seen[sv->n_seen], sizeof(sv->seen[0]), "%s", target);
	sv->n_seen++;
	p = strcasestr(req, "\r\nAuthorization: ");
	if (p) {
		p += 17;
		e = strstr(p, "\r\n");
		snprintf(sv->auth, sizeof(sv->auth), "%.*s", (int)(e - p), p);
	}
	for (int i = 0; sv->rules[i].status; i++) {
		const struct rule *x = &sv->rules[i];

		if (x->target && strcmp(x->target, target) != 0)
			continue;
		if (x->times && sv->used[i] >= x->times)
			continue;
		sv->used[i]++;
		r = x;
		break;
	}
	if (r && r->delay_ms)
		usleep((useconds_t)r->delay_ms * 1000);
	buf_init(&out, 0);
	if (!r) {
		body = "{\"error\":{\"code\":404,\"message\":\"Requested entity was not found.\","
		       "\"status\":\"NOT_FOUND\"}}";
		buf_printf(&out, "HTTP/1.1 404 Not Found\r\n");
	} else {
		body = r->echo_auth ? sv->auth : r->body;
		buf_printf(&out, "HTTP/1.1 %d X\r\n%s", r->status, r->headers ? r->headers : "");
	}
	buf_printf(&out,
	           "Content-Type: application/json\r\nContent-Length: %zu\r\n"
	           "Connection: close\r\n\r\n%s",
	           strlen(body), body);
	(void)!write(c, out.data, out.len);
	buf_release(&out);
}

static void *server_main(void *userp)
{
	struct server *sv = userp;

	while (!sv->stop) {
		struct pollfd pfd = { .fd = sv->fd, .events = POLLIN };
		int c;

		if (poll(&pfd, 1, 50) <= 0)
			continue;
		c = accept(sv->fd, NULL, NULL);
		if (c < 0)
			continue;
		serve_one(sv, c);
		shutdown(c, SHUT_WR);
		close(c);
	}
	return NULL;
}

static struct server *server_start(const struct rule *rules)
{
	struct server *sv = calloc(1, sizeof(*sv));
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int one = 1;

	assert_non_null(sv);
	sv->rules = rules;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sv->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(sv->fd >= 0);
	setsockopt(sv->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	assert_int_equal(bind(sv->fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(sv->fd, 16), 0);
	assert_int_equal(getsockname(sv->fd, (struct sockaddr *)&a, &len), 0);
	sv->port = ntohs(a.sin_port);
	assert_int_equal(pthread_create(&sv->thread, NULL, server_main, sv), 0);
	return sv;
}

static void server_stop(struct server *sv)
{
	sv->stop = true;
	pthread_join(sv->thread, NULL);
	close(sv->fd);
	free(sv);
}

/* Run collect_api against the server. */
static struct sink *run_api(struct server *sv, const struct strv *instances, struct strv *hosts,
                            int max_retries, int expect)
{
	struct sink *s = calloc(1, sizeof(*s));
	struct error err = ERROR_INIT;
	char base[64];
	struct api_options o = {
		.base = base,
		.org = "myorg",
		.instances = instances,
		.token = TOKEN,
		.timeout_s = 5,
		.max_retries = max_retries,
		.backoff_ms = 10,
	};

	assert_non_null(s);
	snprintf(base, sizeof(base), "http://127.0.0.1:%d", sv ? sv->port : 1);
	assert_int_equal(collect_api(&o, s, hosts, &err), expect);
	return s;
}

#define ORG_JSON \
	"{\"name\":\"myorg\",\"runtimeType\":\"CLOUD\",\"environments\":[\"dev\",\"prod\"]}"
#define ERR_401                                                                                   \
	"{\"error\":{\"code\":401,\"message\":\"Request had invalid authentication credentials. " \
	"Expected OAuth 2 access token, login cookie or other valid authentication credential. "  \
	"See https://developers.google.com/identity/sign-in/web/devconsole-project.\","           \
	"\"status\":\"UNAUTHENTICATED\"}}"
#define ERR_500                                                  \
	"{\"error\":{\"code\":500,\"message\":\"Internal error " \
	"encountered.\",\"status\":\"INTERNAL\"}}"

static const struct rule happy_rules[] = {
	{ "/v1/organizations/myorg", 200, NULL, ORG_JSON, 0, false, 0 },
	{ "/v1/organizations/myorg/instances", 200, NULL,
	  "{\"instances\":[{\"name\":\"us-west1\",\"host\":\"10.0.0.2\",\"port\":\"443\"}],"
	  "\"nextPageToken\":\"MQ==\"}",
	  0, false, 0 },
	{ "/v1/organizations/myorg/instances?pageToken=MQ%3D%3D", 200, NULL,
	  "{\"instances\":[{\"name\":\"eu-west1\",\"host\":\"10.0.1.2\",\"port\":\"443\"}]}", 0,
	  false, 0 },
	{ "/v1/organizations/myorg/instances/us-west1", 200, NULL, "{\"name\":\"us-west1\"}", 0,
	  false, 0 },
	{ "/v1/organizations/myorg/instances/eu-west1", 200, NULL, "{\"name\":\"eu-west1\"}", 0,
	  false, 0 },
	{ "/v1/organizations/myorg/instances/us-west1/attachments", 200, NULL,
	  "{\"attachments\":[{\"name\":\"a1\",\"environment\":\"dev\"}],\"nextPageToken\":\"p2\"}",
	  0, false, 0 },
	{ "/v1/organizations/myorg/instances/us-west1/attachments?pageToken=p2", 200, NULL,
	  "{\"attachments\":[{\"name\":\"a2\",\"environment\":\"prod\"}],\"nextPageToken\":\"\"}",
	  0, false, 0 },
	{ "/v1/organizations/myorg/instances/eu-west1/attachments", 200, NULL, "{}", 0, false, 0 },
	{ "/v1/organizations/myorg/envgroups", 200, NULL,
	  "{\"environmentGroups\":[{\"name\":\"dev-grp\",\"hostnames\":[\"api.example.com\","
	  "\"*.example.com\",\"api.example.com\",\"b.example.com\"]},"
	  "{\"name\":\"../evil\",\"hostnames\":[]}]}",
	  0, false, 0 },
	{ "/v1/organizations/myorg/envgroups/dev-grp/attachments", 200, NULL,
	  "{\"environmentGroupAttachments\":[{\"name\":\"x\",\"environment\":\"dev\"}]}", 0, false,
	  0 },
	{ NULL, 0, NULL, NULL, 0, false, 0 },
};

static void test_api__pagination_and_layout(void **state)
{
	struct server *sv = server_start(happy_rules);
	struct strv hosts = STRV_INIT;
	struct sink *s = run_api(sv, NULL, &hosts, 3, 0);
	const struct rec_member *m;
	json_t *j;

	assert_string_equal(sv->auth, "Bearer " TOKEN);

	m = find_member(s, "api/organization.json");
	assert_non_null(m);
	assert_int_equal(m->outcome, OUTCOME_OK);
	assert_int_equal(m->http_status, 200);
	assert_int_equal(m->source, MEMBER_SRC_API);
	assert_string_equal(m->data.data, ORG_JSON); /* raw answer */
	assert_non_null(strstr(m->url, "/v1/organizations/myorg"));

	/* two pages merged into one document without the token */
	m = find_member(s, "api/instances.json");
	assert_non_null(m);
	assert_int_equal(m->outcome, OUTCOME_OK);
	j = json_loadb(m->data.data, m->data.len, 0, NULL);
	assert_non_null(j);
	assert_int_equal(json_array_size(json_object_get(j, "instances")), 2);
	assert_string_equal(json_string_value(json_object_get(
	                            json_array_get(json_object_get(j, "instances"), 1), "name")),
	                    "eu-west1");
	assert_null(json_object_get(j, "nextPageToken"));
	json_decref(j);

	assert_non_null(find_member(s, "api/instances/us-west1.json"));
	assert_non_null(find_member(s, "api/instances/eu-west1.json"));
	m = find_member(s, "api/instances/us-west1/attachments.json");
	assert_non_null(m);
	j = json_loadb(m->data.data, m->data.len, 0, NULL);
	assert_int_equal(json_array_size(json_object_get(j, "attachments")), 2);
	json_decref(j);
	m = find_member(s, "api/instances/eu-west1/attachments.json");
	assert_non_null(m);
	assert_string_equal(m->data.data, "{}");
	assert_int_equal(m->outcome, OUTCOME_OK);
	assert_non_null(find_member(s, "api/envgroups.json"));
	assert_non_null(find_member(s, "api/envgroups/dev-grp/attachments.json"));

	/* an unsafe name from the API never becomes a path */
	for (size_t i = 0; i < s->n_m; i++)
		assert_null(strstr(s->m[i].path, ".."));
	assert_int_equal(find_source(s, "management API: envgroup ../evil")->outcome,
	                 OUTCOME_FAILED);

	/* host names: unique, no wildcard */
	assert_int_equal(hosts.n, 2);
	assert_string_equal(hosts.v[0], "api.example.com");
	assert_string_equal(hosts.v[1], "b.example.com");

	assert_int_equal(find_source(s, "management API: organization")->outcome, OUTCOME_OK);
	assert_int_equal(find_source(s, "management API: instances")->outcome, OUTCOME_OK);
	assert_int_equal(find_source(s, "management API: instance us-west1 attachments")->outcome,
	                 OUTCOME_OK);
	assert_true(s->wait_ms >= 0);
	assert_no_token(s);
	strv_release(&hosts);
	rec_sink_free(s);
	server_stop(sv);
	(void)state;
}

static void test_api__selected_instances(void **state)
{
	struct server *sv = server_start(happy_rules);
	struct strv inst = STRV_INIT;
	struct sink *s;

	strv_push(&inst, "eu-west1");
	s = run_api(sv, &inst, NULL, 3, 0);
	assert_non_null(find_member(s, "api/instances.json")); /* the list is always taken */
	assert_non_null(find_member(s, "api/instances/eu-west1.json"));
	assert_null(find_member(s, "api/instances/us-west1.json"));
	strv_release(&inst);
	rec_sink_free(s);
	server_stop(sv);
	(void)state;
}

static const struct rule retry_rules[] = {
	{ "/v1/organizations/myorg", 500, NULL, ERR_500, 1, false, 0 },
	{ "/v1/organizations/myorg", 200, NULL, ORG_JSON, 0, false, 0 },
	{ "/v1/organizations/myorg/instances", 429, "Retry-After: 0\r\n",
	  "{\"error\":{\"code\":429,\"message\":\"Quota "
	  "exceeded\",\"status\":\"RESOURCE_EXHAUSTED\"}}",
	  2, false, 0 },
	{ "/v1/organizations/myorg/instances", 200, NULL, "{\"instances\":[]}", 0, false, 0 },
	{ "/v1/organizations/myorg/envgroups", 500, NULL, ERR_500, 0, false, 0 },
	{ NULL, 0, NULL, NULL, 0, false, 0 },
};

static void test_api__retries(void **state)
{
	struct server *sv = server_start(retry_rules);
	struct sink *s = run_api(sv, NULL, NULL, 3, 0);
	const struct rec_member *m;
	const struct rec_source *src;

	/* 500 then 200 */
	assert_int_equal(count_seen(sv, "/v1/organizations/myorg"), 2);
	m = find_member(s, "api/organization.json");
	assert_int_equal(m->outcome, OUTCOME_OK);
	assert_int_equal(m->http_status, 200);
	/* 429 (Retry-After: 0) twice then 200 */
	assert_int_equal(count_seen(sv, "/v1/organizations/myorg/instances"), 3);
	assert_int_equal(find_member(s, "api/instances.json")->outcome, OUTCOME_OK);
	/* 500 every time: 1 + 3 retries, then failed with Google's message */
	assert_int_equal(count_seen(sv, "/v1/organizations/myorg/envgroups"), 4);
	m = find_member(s, "api/envgroups.json");
	assert_int_equal(m->outcome, OUTCOME_FAILED);
	assert_int_equal(m->http_status, 500);
	assert_string_equal(m->data.data, ERR_500);
	src = find_source(s, "management API: envgroups");
	assert_int_equal(src->outcome, OUTCOME_FAILED);
	assert_string_equal(src->reason, "HTTP 500 INTERNAL: Internal error encountered.");
	assert_no_token(s);
	rec_sink_free(s);
	server_stop(sv);
	(void)state;
}

static const struct rule unauth_rules[] = {
	{ NULL, 401, "WWW-Authenticate: Bearer realm=\"https://accounts.google.com/\"\r\n", ERR_401,
	  0, false, 0 },
	{ NULL, 0, NULL, NULL, 0, false, 0 },
};

static void test_api__401_kept_no_retry(void **state)
{
	struct server *sv = server_start(unauth_rules);
	struct sink *s = run_api(sv, NULL, NULL, 3, 0);
	const struct rec_member *m;
	const struct rec_source *src;

	assert_int_equal(count_seen(sv, "/v1/organizations/myorg"), 1);
	m = find_member(s, "api/organization.json");
	assert_non_null(m);
	assert_int_equal(m->outcome, OUTCOME_FAILED);
	assert_int_equal(m->http_status, 401);
	assert_string_equal(m->data.data, ERR_401);
	src = find_source(s, "management API: organization");
	assert_int_equal(src->outcome, OUTCOME_FAILED);
	assert_true(
	        strncmp(src->reason,
	                "HTTP 401 UNAUTHENTICATED: Request had invalid authentication credentials",
	                71) == 0);
	assert_string_equal(m->error, src->reason);
	/* the instance list failed too: the per-instance requests are skipped */
	assert_int_equal(find_source(s, "management API: instances")->outcome, OUTCOME_FAILED);
	assert_int_equal(find_source(s, "management API: each instance")->outcome, OUTCOME_SKIPPED);
	assert_no_token(s);
	rec_sink_free(s);
	server_stop(sv);
	(void)state;
}

static const struct rule garbage_rules[] = {
	{ "/v1/organizations/myorg", 200, NULL, "<html>this is not json</html>", 0, false, 0 },
	{ "/v1/organizations/myorg/instances", 200, NULL,
	  "{\"instances\":[],\"nextPageToken\":\"x\"}", 0, false, 0 },
	{ "/v1/organizations/myorg/instances?pageToken=x", 200, NULL, "garbage", 0, false, 0 },
	{ "/v1/organizations/myorg/envgroups", 403, NULL, NULL, 0, true, 0 },
	{ NULL, 0, NULL, NULL, 0, false, 0 },
};

static void test_api__garbage_and_echo(void **state)
{
	struct server *sv = server_start(garbage_rules);
	struct sink *s = run_api(sv, NULL, NULL, 3, 0);
	const struct rec_member *m;

	m = find_member(s, "api/organization.json");
	assert_int_equal(m->outcome, OUTCOME_FAILED);
	assert_string_equal(m->data.data, "<html>this is not json</html>"); /* kept */
	assert_non_null(strstr(m->error, "invalid JSON"));

	/* page 2 is garbage: page 1 is kept, the source failed */
	m = find_member(s, "api/instances.json");
	assert_int_equal(m->outcome, OUTCOME_FAILED);
	assert_non_null(strstr(m->error, "page 2: invalid JSON"));
	assert_non_null(strstr(m->data.data, "\"instances\""));

	/* a server echoing the Authorization header: scrubbed from the member */
	m = find_member(s, "api/envgroups.json");
	assert_int_equal(m->http_status, 403);
	assert_non_null(strstr(m->data.data, "Bearer <redacted>"));
	assert_no_token(s);
	rec_sink_free(s);
	server_stop(sv);
	(void)state;
}

static void test_api__unreachable(void **state)
{
	struct sink *s;
	struct server *sv;
	int port;

	/* a port nobody listens on */
	sv = server_start(unauth_rules);
	port = sv->port;
	server_stop(sv);
	{
		struct error err = ERROR_INIT;
		char base[64];
		struct api_options o = { .base = base,
			                 .org = "myorg",
			                 .token = TOKEN,
			                 .timeout_s = 2,
			                 .max_retries = 3,
			                 .backoff_ms = 10 };

		s = calloc(1, sizeof(*s));
		snprintf(base, sizeof(base), "http://127.0.0.1:%d/", port);
		assert_int_equal(collect_api(&o, s, NULL, &err), 0);
	}
	assert_int_equal(s->n_m, 0);
	assert_int_equal(find_source(s, "management API: organization")->outcome, OUTCOME_FAILED);
	assert_non_null(
	        strstr(find_source(s, "management API: organization")->reason, "curl error 7"));
	assert_int_equal(find_source(s, "management API: instances")->outcome, OUTCOME_SKIPPED);
	assert_int_equal(find_source(s, "management API: envgroups")->outcome, OUTCOME_SKIPPED);
	assert_no_token(s);
	rec_sink_free(s);
	(void)state;
}

static const struct rule slow_rules[] = {
	{ NULL, 200, NULL, ORG_JSON, 0, false, 1500 },
	{ NULL, 0, NULL, NULL, 0, false, 0 },
};

static void test_api__timeout(void **state)
{
	struct server *sv = server_start(slow_rules);
	struct sink *s = calloc(1, sizeof(*s));
	struct error err = ERROR_INIT;
	char base[64];
	struct api_options o = { .base = base,
		                 .org = "myorg",
		                 .token = TOKEN,
		                 .timeout_s = 1,
		                 .max_retries = 1,
		                 .backoff_ms = 10 };
	const struct rec_source *src;

	snprintf(base, sizeof(base), "http://127.0.0.1:%d", sv->port);
	assert_int_equal(collect_api(&o, s, NULL, &err), 0);
	/* timed out twice (one retry), nothing stored, the rest not tried */
	assert_int_equal(s->n_m, 0);
	src = find_source(s, "management API: organization");
	assert_int_equal(src->outcome, OUTCOME_TIMEOUT);
	assert_non_null(strstr(src->reason, "curl error 28"));
	src = find_source(s, "management API: instances");
	assert_int_equal(src->outcome, OUTCOME_SKIPPED);
	assert_non_null(strstr(src->reason, "unreachable"));
	assert_true(s->wait_ms >= 2000);
	assert_no_token(s);
	rec_sink_free(s);
	server_stop(sv);
	(void)state;
}

static void test_api__bad_options(void **state)
{
	struct sink *s = calloc(1, sizeof(*s));
	struct error err = ERROR_INIT;
	struct api_options o = { .base = "http://127.0.0.1:1",
		                 .org = "myorg",
		                 .token = "abc\r\nX-Evil: 1",
		                 .max_retries = 0 };

	assert_int_equal(collect_api(&o, s, NULL, &err), -EINVAL);
	assert_null(strstr(err.message, "abc"));
	o.token = TOKEN;
	o.cacert = "/nonexistent/ca.pem";
	assert_int_equal(collect_api(&o, s, NULL, &err), -EINVAL);
	assert_non_null(strstr(err.message, "CA file"));
	o.cacert = NULL;
	o.org = NULL;
	assert_int_equal(collect_api(&o, s, NULL, &err), -EINVAL);
	assert_int_equal(s->n_m, 0);
	rec_sink_free(s);
	(void)state;
}

#define MERGE(lit) api_page_merge(&acc, "instances", lit, strlen(lit), &next, &err)

static void test_api__page_merge(void **state)
{
	struct error err = ERROR_INIT;
	json_t *acc = NULL;
	char *next = NULL;

	assert_int_equal(MERGE("{}"), 0);
	assert_null(next);
	assert_true(json_is_array(json_object_get(acc, "instances")));
	assert_int_equal(MERGE("{\"instances\":[1,2],\"nextPageToken\":\"t\"}"), 0);
	assert_string_equal(next, "t");
	free(next);
	assert_int_equal(json_array_size(json_object_get(acc, "instances")), 2);
	assert_int_equal(MERGE("{\"instances\":{}}"), -EINVAL);
	assert_int_equal(MERGE("[1]"), -EINVAL);
	assert_int_equal(MERGE("{\"nextPageToken\":5}"), -EINVAL);
	assert_int_equal(MERGE("{\"a\":1,\"a\":2}"), -EINVAL);
	assert_int_equal(json_array_size(json_object_get(acc, "instances")), 2);
	json_decref(acc);
	(void)state;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_api__pagination_and_layout),
		cmocka_unit_test(test_api__selected_instances),
		cmocka_unit_test(test_api__retries),
		cmocka_unit_test(test_api__401_kept_no_retry),
		cmocka_unit_test(test_api__garbage_and_echo),
		cmocka_unit_test(test_api__unreachable),
		cmocka_unit_test(test_api__timeout),
		cmocka_unit_test(test_api__bad_options),
		cmocka_unit_test(test_api__page_merge),
	};
	int r;

	/* loopback only: no proxy */
	unsetenv("http_proxy");
	unsetenv("HTTP_PROXY");
	unsetenv("https_proxy");
	unsetenv("HTTPS_PROXY");
	unsetenv("all_proxy");
	unsetenv("ALL_PROXY");
	curl_global_init(CURL_GLOBAL_DEFAULT);
	r = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return r;
}
