/* SPDX-License-Identifier: Apache-2.0 */
/* The Apigee management API source: organization, instances and their
 * attachments, environment groups and their attachments, fetched with libcurl
 * (bearer token, retries with backoff, pagination merged into one document) and
 * handed to the sink as raw answers. See sources.h for the outcome rules. */
#include "sources.h"

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/crypto.h>

#include "cleanup.h"
#include "error.h"
#include "sink.h"
#include "text.h"
#include "version.h"

#include "banned.h"

#define API_MAX_PAGES 1000
#define API_MAX_PAGE_TOKEN 4096
#define API_RETRY_AFTER_CAP_S 30
#define API_BACKOFF_CAP_MS 10000
#define API_REASON_MAX 512

/* ---- pagination (pure) ---------------------------------------------------- */

int api_page_merge(json_t **acc, const char *key, const void *data, size_t len, char **ret_next,
                   struct error *err)
{
	json_error_t jerr;
	json_t *page = NULL, *items, *next, *dst;
	char *tok = NULL;
	int r;

	*ret_next = NULL;
	if (len > API_MAX_RESPONSE)
		return error_set(err, -ERANGE, NULL, 0, "answer over %u bytes", API_MAX_RESPONSE);
	page = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!page) {
		r = error_set(err, -EINVAL, NULL, (unsigned)(jerr.line > 0 ? jerr.line : 0),
		              "invalid JSON: %s", jerr.text);
		goto out;
	}
	if (!json_is_object(page)) {
		r = error_set(err, -EINVAL, NULL, 0, "invalid JSON: not an object");
		goto out;
	}
	items = json_object_get(page, key);
	if (items && !json_is_array(items)) {
		r = error_set(err, -EINVAL, NULL, 0, "invalid JSON: '%s' is not an array", key);
		goto out;
	}
	next = json_object_get(page, "nextPageToken");
	if (next && !json_is_string(next) && !json_is_null(next)) {
		r = error_set(err, -EINVAL, NULL, 0,
		              "invalid JSON: 'nextPageToken' is not a string");
		goto out;
	}
	if (json_is_string(next) && json_string_length(next) > 0) {
		if (json_string_length(next) > API_MAX_PAGE_TOKEN ||
		    strlen(json_string_value(next)) != json_string_length(next)) {
			r = error_set(err, -EINVAL, NULL, 0,
			              "invalid JSON: unusable 'nextPageToken'");
			goto out;
		}
		tok = strdup(json_string_value(next));
		if (!tok) {
			r = -ENOMEM;
			goto out;
		}
	}

	if (!*acc) {
		/* the first page is the document, without the token */
		if (json_object_del(page, "nextPageToken") < 0 && next) {
			r = -ENOMEM;
			goto out;
		}
		if (json_array_size(items) > API_MAX_ITEMS) {
			r = error_set(err, -ERANGE, NULL, 0, "more than %u items", API_MAX_ITEMS);
			goto out;
		}
		if (!items && json_object_set_new(page, key, json_array()) < 0) {
			r = -ENOMEM;
			goto out;
		}
		*acc = page;
		page = NULL;
	} else {
		dst = json_object_get(*acc, key);
		if (!json_is_array(dst)) {
			r = error_set(err, -EINVAL, NULL, 0, "accumulated document lacks '%s'",
			              key);
			goto out;
		}
		if (json_array_size(dst) + json_array_size(items) > API_MAX_ITEMS) {
			r = error_set(err, -ERANGE, NULL, 0, "more than %u items", API_MAX_ITEMS);
			goto out;
		}
		if (items && json_array_extend(dst, items) < 0) {
			r = -ENOMEM;
			goto out;
		}
	}
	*ret_next = tok;
	tok = NULL;
	r = 0;
out:
	free(tok);
	json_decref(page);
	return r;
}

/* ---- the HTTP client ------------------------------------------------------ */

struct api_client {
	const struct api_options *o;
	struct sink *s;
	CURL *h;
	struct curl_slist *hdrs;
	char *base; /* ".../v1", no trailing slash */
	const char *token;
	size_t token_len;
	uint64_t rng;
	int max_retries;
	int backoff_ms;
	long timeout_s;
	char unreachable[API_REASON_MAX]; /* non-empty: do not try again */
};

struct api_response {
	long status;
	struct buf body;
	CURLcode code;
	char error[CURL_ERROR_SIZE];
	long long duration_ms;
	long retry_after; /* seconds, -1 = none */
	bool too_large;
};

static size_t api_write_cb(char *data, size_t size, size_t nmemb, void *userp)
{
	struct api_response *r = userp;
	size_t n = size * nmemb;

	if (buf_append(&r->body, data, n) < 0) {
		r->too_large = true;
		return 0;
	}
	return n;
}

static size_t api_header_cb(char *data, size_t size, size_t nmemb, void *userp)
{
	struct api_response *r = userp;
	size_t n = size * nmemb;
	static const char name[] = "retry-after:";

	if (n > sizeof(name) - 1 && strncasecmp(data, name, sizeof(name) - 1) == 0) {
		char tmp[32];
		size_t len;
		const char *v = text_trim(data + sizeof(name) - 1, n - (sizeof(name) - 1), &len);
		char *end;
		long secs;

		if (len > 0 && len < sizeof(tmp)) {
			memcpy(tmp, v, len);
			tmp[len] = '\0';
			errno = 0;
			secs = strtol(tmp, &end, 10);
			if (errno == 0 && *end == '\0' && secs >= 0)
				r->retry_after = secs;
		}
	}
	return n;
}

static uint64_t api_random(struct api_client *c)
{
	/* xorshift64*: jitter only, no security property needed */
	c->rng ^= c->rng >> 12;
	c->rng ^= c->rng << 25;
	c->rng ^= c->rng >> 27;
	return c->rng * 0x2545F4914F6CDD1DULL;
}

static bool api_cancelled(const struct api_client *c)
{
	return c->o->cancel && *c->o->cancel;
}

/* libcurl's progress callback: a non-zero return aborts the transfer. */
static int api_progress_cb(void *userp, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                           curl_off_t ulnow)
{
	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	return api_cancelled(userp) ? 1 : 0;
}

/* Sleep in short slices so that an interrupt is noticed within 100 ms. */
static void api_sleep_ms(const struct api_client *c, long long ms)
{
	while (ms > 0 && !api_cancelled(c)) {
		long long slice = ms < 100 ? ms : 100;
		struct timespec ts = { 0, (long)slice * 1000000L };

		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
		ms -= slice;
	}
}

static bool api_transient(CURLcode code)
{
	switch (code) {
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return true;
	default:
		return false;
	}
}

/* Scrub the token out of a C string in place (defensive: libcurl never puts
 * request headers into its error texts). */
static void api_scrub_str(const struct api_client *c, char *s)
{
	char *hit;

	if (c->token_len < 4)
		return;
	while ((hit = strstr(s, c->token)))
		memset(hit, '*', c->token_len);
}

static void api_response_release(struct api_response *r)
{
	buf_release(&r->body);
}

static int api_perform_once(struct api_client *c, const char *url, struct api_response *r)
{
	long long t0;

	buf_reset(&r->body);
	r->status = 0;
	r->retry_after = -1;
	r->too_large = false;
	r->error[0] = '\0';
	if (curl_easy_setopt(c->h, CURLOPT_URL, url) != CURLE_OK ||
	    curl_easy_setopt(c->h, CURLOPT_WRITEDATA, r) != CURLE_OK ||
	    curl_easy_setopt(c->h, CURLOPT_HEADERDATA, r) != CURLE_OK ||
	    curl_easy_setopt(c->h, CURLOPT_ERRORBUFFER, r->error) != CURLE_OK)
		return -EINVAL;
	t0 = collect_now_ms();
	r->code = curl_easy_perform(c->h);
	r->duration_ms += collect_now_ms() - t0;
	sink_add_wait(c->s, collect_now_ms() - t0);
	curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &r->status);
	(void)curl_easy_setopt(c->h, CURLOPT_ERRORBUFFER, NULL);
	api_scrub_str(c, r->error);
	return 0;
}

/* GET with retries: 429 / 5xx / transient transport errors, exponential backoff
 * with jitter, Retry-After honoured. The last attempt's answer is in r. */
static int api_get(struct api_client *c, const char *url, struct api_response *r)
{
	for (int attempt = 0;; attempt++) {
		long long delay;
		bool retry;
		int k;

		k = api_perform_once(c, url, r);
		if (k < 0)
			return k;
		if (api_cancelled(c)) {
			snprintf(c->unreachable, sizeof(c->unreachable), "interrupted");
			return 0;
		}
		if (r->code == CURLE_OK)
			retry = r->status == 429 || r->status >= 500;
		else
			retry = !r->too_large && api_transient(r->code);
		if (!retry || attempt >= c->max_retries)
			return 0;
		if (r->code == CURLE_OK && r->retry_after >= 0) {
			delay = (long long)(r->retry_after < API_RETRY_AFTER_CAP_S
			                            ? r->retry_after
			                            : API_RETRY_AFTER_CAP_S) *
			        1000;
		} else {
			delay = (long long)c->backoff_ms << (attempt < 16 ? attempt : 16);
			if (delay > API_BACKOFF_CAP_MS)
				delay = API_BACKOFF_CAP_MS;
			delay += (long long)(api_random(c) % (uint64_t)(delay / 2 + 1));
		}
		if (delay > 0) {
			api_sleep_ms(c, delay);
			sink_add_wait(c->s, delay);
			r->duration_ms += delay;
		}
	}
}

static const char *api_status_text(long status)
{
	switch (status) {
	case 400:
		return "INVALID_ARGUMENT";
	case 401:
		return "UNAUTHENTICATED";
	case 403:
		return "PERMISSION_DENIED";
	case 404:
		return "NOT_FOUND";
	case 409:
		return "ABORTED";
	case 429:
		return "RESOURCE_EXHAUSTED";
	case 500:
		return "INTERNAL";
	case 501:
		return "NOT_IMPLEMENTED";
	case 503:
		return "UNAVAILABLE";
	case 504:
		return "DEADLINE_EXCEEDED";
	default:
		return NULL;
	}
}

/* Outcome of a non-2xx or failed request, with its reason. Returns OUTCOME_OK for
 * a 2xx answer (the caller parses the body). */
static enum outcome api_judge(const struct api_client *c, const struct api_response *r,
                              char *reason, size_t size)
{
	reason[0] = '\0';
	/* the bound hit while reading, or announced by Content-Length (CURLOPT_MAXFILESIZE) */
	if (r->too_large || r->code == CURLE_FILESIZE_EXCEEDED) {
		snprintf(reason, size, "response too large (over %u bytes)", API_MAX_RESPONSE);
		return OUTCOME_FAILED;
	}
	if (r->code != CURLE_OK) {
		snprintf(reason, size, "curl error %d: %s", (int)r->code,
		         r->error[0] ? r->error : curl_easy_strerror(r->code));
		api_scrub_str(c, reason);
		return r->code == CURLE_OPERATION_TIMEDOUT ? OUTCOME_TIMEOUT : OUTCOME_FAILED;
	}
	if (r->status >= 200 && r->status < 300)
		return OUTCOME_OK;

	/* Google's error envelope: {"error": {"code", "message", "status"}} */
	{
		_cleanup_(json_decrefp) json_t *j =
		        json_loadb(r->body.data ? r->body.data : "", r->body.len, 0, NULL);
		json_t *e = json_object_get(j, "error");
		const char *st = json_string_value(json_object_get(e, "status"));
		const char *msg = json_string_value(json_object_get(e, "message"));
		char st_esc[64], msg_esc[320];

		if (!st)
			st = api_status_text(r->status);
		text_escape(st ? st : "", st ? strlen(st) : 0, st_esc, sizeof(st_esc));
		if (msg) {
			text_escape(msg, strlen(msg), msg_esc, sizeof(msg_esc));
			snprintf(reason, size, "HTTP %ld%s%s: %s", r->status, st ? " " : "", st_esc,
			         msg_esc);
		} else {
			snprintf(reason, size, "HTTP %ld%s%s", r->status, st ? " " : "", st_esc);
		}
	}
	api_scrub_str(c, reason);
	return OUTCOME_FAILED;
}

static int api_emit(struct api_client *c, const char *path, const char *url, long status,
                    long long duration_ms, struct buf *body, enum outcome o, const char *reason,
                    struct error *err)
{
	struct member_out m = {
		.path = path,
		.source = MEMBER_SRC_API,
		.url = url,
		.outcome = o,
		.exit_status = -1,
		.http_status = (int)status,
		.duration_ms = duration_ms,
		.error = o == OUTCOME_OK ? NULL : reason,
	};
	int r;

	/* an echoing server must not smuggle the token into the bundle */
	if (c->token && collect_scrub(body, c->token) < 0)
		return error_set(err, -ENOMEM, path, 0, "out of memory");
	m.data = body->data ? body->data : "";
	m.len = body->len;
	r = sink_emit(c->s, &m);
	if (r < 0)
		return error_set(err, r, path, 0, "cannot store '%s'", path);
	return 0;
}

static void api_mark_unreachable(struct api_client *c, const char *rel, const char *reason)
{
	snprintf(c->unreachable, sizeof(c->unreachable),
	         "management API unreachable: '%.150s' failed (%.300s)", rel, reason);
}

static bool api_skip(struct api_client *c, const char *source)
{
	if (!c->unreachable[0])
		return false;
	sink_source(c->s, source, OUTCOME_SKIPPED, c->unreachable);
	return true;
}

static char *api_url(const struct api_client *c, const char *rel, const char *page_token)
{
	struct buf b = BUF_INIT;

	buf_init(&b, 0);
	if (buf_printf(&b, "%s/%s", c->base, rel) < 0)
		goto oom;
	if (page_token) {
		char *esc = curl_easy_escape(c->h, page_token, 0);

		if (!esc)
			goto oom;
		if (buf_printf(&b, "?pageToken=%s", esc) < 0) {
			curl_free(esc);
			goto oom;
		}
		curl_free(esc);
	}
	return buf_detach(&b, NULL);
oom:
	buf_release(&b);
	return NULL;
}

/* One GET stored as one member. *ret_json (may be NULL) gets the answer when it
 * is a JSON object. */
static int api_fetch_one(struct api_client *c, const char *rel, const char *path,
                         const char *source, json_t **ret_json, struct error *err)
{
	struct api_response r = { .body = BUF_INIT };
	_cleanup_free_ char *url = NULL;
	char reason[API_REASON_MAX];
	enum outcome o;
	int k;

	if (ret_json)
		*ret_json = NULL;
	if (api_skip(c, source))
		return 0;
	url = api_url(c, rel, NULL);
	if (!url)
		return error_set(err, -ENOMEM, rel, 0, "out of memory");
	buf_init(&r.body, API_MAX_RESPONSE);
	k = api_get(c, url, &r);
	if (k < 0) {
		k = error_set(err, k, url, 0, "cannot set up the request");
		goto out;
	}
	o = api_judge(c, &r, reason, sizeof(reason));
	if (r.code != CURLE_OK) {
		/* no answer: nothing to store */
		if (!r.too_large)
			api_mark_unreachable(c, rel, reason);
		sink_source(c->s, source, o, reason);
		k = 0;
		goto out;
	}
	if (o == OUTCOME_OK) {
		json_error_t jerr;
		json_t *j = json_loadb(r.body.data ? r.body.data : "", r.body.len, 0, &jerr);

		if (!json_is_object(j)) {
			char esc[200];

			text_escape(jerr.text, strlen(jerr.text), esc, sizeof(esc));
			if (j)
				snprintf(reason, sizeof(reason), "invalid JSON: not an object");
			else
				snprintf(reason, sizeof(reason), "invalid JSON: %s", esc);
			json_decref(j);
			o = OUTCOME_FAILED;
		} else if (ret_json) {
			*ret_json = j;
		} else {
			json_decref(j);
		}
	}
	k = api_emit(c, path, url, r.status, r.duration_ms, &r.body, o, reason, err);
	if (k >= 0)
		sink_source(c->s, source, o, o == OUTCOME_OK ? NULL : reason);
out:
	api_response_release(&r);
	return k;
}

/* A paginated list stored as one member: the raw answer when there was one page,
 * else the pages merged. *ret_json (may be NULL) gets what was read (also when a
 * later page failed). */
static int api_fetch_list(struct api_client *c, const char *rel, const char *key, const char *path,
                          const char *source, json_t **ret_json, struct error *err)
{
	struct api_response r = { .body = BUF_INIT };
	_cleanup_(json_decrefp) json_t *acc = NULL;
	_cleanup_free_ char *first_url = NULL;
	char *token = NULL, *prev = NULL;
	char reason[API_REASON_MAX + 64] = "";
	enum outcome o = OUTCOME_OK;
	struct buf out = BUF_INIT;
	long long total_ms = 0;
	long status = 0;
	int k = 0, page;

	if (ret_json)
		*ret_json = NULL;
	if (api_skip(c, source))
		return 0;
	buf_init(&r.body, API_MAX_RESPONSE);
	buf_init(&out, 0);
	for (page = 1;; page++) {
		_cleanup_free_ char *url = api_url(c, rel, token);
		struct error perr = ERROR_INIT;
		char *next = NULL;
		char why[API_REASON_MAX];

		if (!url) {
			k = error_set(err, -ENOMEM, rel, 0, "out of memory");
			goto out;
		}
		if (page == 1)
			first_url = strdup(url);
		r.duration_ms = 0;
		k = api_get(c, url, &r);
		if (k < 0) {
			k = error_set(err, k, url, 0, "cannot set up the request");
			goto out;
		}
		total_ms += r.duration_ms;
		status = r.status;
		o = api_judge(c, &r, why, sizeof(why));
		if (r.code != CURLE_OK) {
			if (!r.too_large)
				api_mark_unreachable(c, rel, why);
			if (page == 1) {
				sink_source(c->s, source, o, why);
				k = 0;
				goto out;
			}
			snprintf(reason, sizeof(reason), "page %d: %s", page, why);
			break;
		}
		if (o != OUTCOME_OK) {
			if (page == 1) {
				/* keep Google's error answer as the member */
				if (buf_append(&out, r.body.data ? r.body.data : "", r.body.len) <
				    0)
					goto oom;
				snprintf(reason, sizeof(reason), "%s", why);
				goto emit;
			}
			snprintf(reason, sizeof(reason), "page %d: %s", page, why);
			break;
		}
		k = api_page_merge(&acc, key, r.body.data ? r.body.data : "", r.body.len, &next,
		                   &perr);
		if (k == -ENOMEM)
			goto oom;
		if (k < 0) {
			char esc[300];

			text_escape(perr.message, strlen(perr.message), esc, sizeof(esc));
			o = OUTCOME_FAILED;
			if (page == 1) {
				if (buf_append(&out, r.body.data ? r.body.data : "", r.body.len) <
				    0)
					goto oom;
				snprintf(reason, sizeof(reason), "%s", esc);
				goto emit;
			}
			snprintf(reason, sizeof(reason), "page %d: %s", page, esc);
			break;
		}
		if (!next) {
			if (page == 1 &&
			    buf_append(&out, r.body.data ? r.body.data : "", r.body.len) < 0)
				goto oom;
			break;
		}
		if (page >= API_MAX_PAGES || (token && strcmp(next, token) == 0) ||
		    (prev && strcmp(next, prev) == 0)) {
			free(next);
			o = OUTCOME_FAILED;
			snprintf(reason, sizeof(reason), "pagination does not end after %d pages",
			         page);
			break;
		}
		free(prev);
		prev = token;
		token = next;
	}
	/* more than one page, or a later page failed: store the merged pages */
	if (out.len == 0 && acc) {
		char *s = json_dumps(acc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);

		if (!s || buf_puts(&out, s) < 0 || buf_putc(&out, '\n') < 0) {
			free(s);
			goto oom;
		}
		free(s);
	}
emit:
	k = api_emit(c, path, first_url ? first_url : rel, status, total_ms, &out, o, reason, err);
	if (k >= 0)
		sink_source(c->s, source, o, o == OUTCOME_OK ? NULL : reason);
	if (k >= 0 && ret_json && acc)
		*ret_json = TAKE_PTR(acc);
	goto out;
oom:
	k = error_set(err, -ENOMEM, rel, 0, "out of memory");
out:
	free(token);
	free(prev);
	buf_release(&out);
	api_response_release(&r);
	return k;
}

/* ---- set-up --------------------------------------------------------------- */

static bool api_safe_name(const char *s)
{
	size_t n = 0;

	if (!s || !*s || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return false;
	for (; s[n]; n++) {
		char ch = s[n];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '.' || ch == '-' || ch == '_'))
			return false;
	}
	return n <= 200;
}

static int api_client_init(struct api_client *c, const struct api_options *o, struct sink *s,
                           struct error *err)
{
	const char *base = o->base && *o->base ? o->base : API_DEFAULT_BASE;
	size_t n = strlen(base);
	struct buf b = BUF_INIT;
	struct timespec ts;

	memset(c, 0, sizeof(*c));
	c->o = o;
	c->s = s;
	c->max_retries = o->max_retries < 0 ? API_DEFAULT_RETRIES : o->max_retries;
	if (c->max_retries > 10)
		c->max_retries = 10;
	c->backoff_ms = o->backoff_ms > 0 ? o->backoff_ms : 200;
	c->timeout_s = o->timeout_s > 0 ? o->timeout_s : API_DEFAULT_TIMEOUT_S;
	clock_gettime(CLOCK_REALTIME, &ts);
	c->rng = ((uint64_t)ts.tv_nsec << 20) ^ (uint64_t)ts.tv_sec ^ ((uint64_t)getpid() << 40) ^
	         0x9E3779B97F4A7C15ULL;

	/* base: no trailing '/', "/v1" appended unless given */
	while (n > 0 && base[n - 1] == '/')
		n--;
	buf_init(&b, 0);
	if (buf_append(&b, base, n) < 0 ||
	    ((n < 3 || strncmp(base + n - 3, "/v1", 3) != 0) && buf_puts(&b, "/v1") < 0)) {
		buf_release(&b);
		return error_set(err, -ENOMEM, NULL, 0, "out of memory");
	}
	c->base = buf_detach(&b, NULL);

	if (o->token && *o->token) {
		struct buf hdr = BUF_INIT;

		c->token = o->token;
		c->token_len = strlen(o->token);
		for (size_t i = 0; i < c->token_len; i++)
			if ((unsigned char)o->token[i] <= ' ' || o->token[i] == 0x7f)
				return error_set(err, -EINVAL, NULL, 0,
				                 "the API token contains white space or control "
				                 "characters");
		buf_init(&hdr, 0);
		if (buf_printf(&hdr, "Authorization: Bearer %s", o->token) < 0) {
			buf_release(&hdr);
			return error_set(err, -ENOMEM, NULL, 0, "out of memory");
		}
		c->hdrs = curl_slist_append(NULL, hdr.data);
		OPENSSL_cleanse(hdr.data, hdr.len);
		buf_release(&hdr);
		if (!c->hdrs)
			return error_set(err, -ENOMEM, NULL, 0, "out of memory");
	}
	{
		struct curl_slist *t = curl_slist_append(c->hdrs, "Accept: application/json");

		if (!t)
			return error_set(err, -ENOMEM, NULL, 0, "out of memory");
		c->hdrs = t;
	}

	c->h = curl_easy_init();
	if (!c->h)
		return error_set(err, -ENOMEM, NULL, 0, "cannot initialise libcurl");
	/* Proxy environment variables are honoured by libcurl's defaults: not touched. */
	if (curl_easy_setopt(c->h, CURLOPT_HTTPGET, 1L) != CURLE_OK ||
	    curl_easy_setopt(c->h, CURLOPT_HTTPHEADER, c->hdrs) != CURLE_OK ||
	    curl_easy_setopt(c->h, CURLOPT_USERAGENT, "apigee-bundle/" APIGEE_BUNDLE_VERSION) !=
	            CURLE_OK ||
	    curl_easy_setopt(c->h, CURLOPT_TIMEOUT, c->timeout_s) != CURLE_OK ||
	    curl_easy_setopt(c->h, CURLOPT_CONNECTTIMEOUT, c->timeout_s) != CURLE_OK ||
	    curl_easy_setopt(c->h, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    curl_easy_setopt(c->h, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK ||
	    curl_easy_setopt(c->h, CURLOPT_ACCEPT_ENCODING, "") != CURLE_OK ||
	    curl_easy_setopt(c->h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)API_MAX_RESPONSE) !=
	            CURLE_OK ||
	    curl_easy_setopt(c->h, CURLOPT_WRITEFUNCTION, api_write_cb) != CURLE_OK ||
	    curl_easy_setopt(c->h, CURLOPT_HEADERFUNCTION, api_header_cb) != CURLE_OK ||
	    curl_easy_setopt(c->h, CURLOPT_NOPROGRESS, 0L) != CURLE_OK ||
	    curl_easy_setopt(c->h, CURLOPT_XFERINFOFUNCTION, api_progress_cb) != CURLE_OK ||
	    curl_easy_setopt(c->h, CURLOPT_XFERINFODATA, c) != CURLE_OK)
		return error_set(err, -EINVAL, NULL, 0, "cannot set up libcurl");
#if LIBCURL_VERSION_NUM >= 0x075500
	if (curl_easy_setopt(c->h, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK)
		return error_set(err, -EINVAL, NULL, 0, "cannot set up libcurl");
#else
	if (curl_easy_setopt(c->h, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS)) !=
	    CURLE_OK)
		return error_set(err, -EINVAL, NULL, 0, "cannot set up libcurl");
#endif
	if (collect_curl_cacert(c->h, o->cacert) < 0)
		return error_set(err, -EINVAL, o->cacert, 0, "cannot use CA file '%s'", o->cacert);
	return 0;
}

static void api_client_release(struct api_client *c)
{
	if (c->h)
		curl_easy_cleanup(c->h);
	/* the Authorization header lives in the slist: wipe it before freeing */
	for (struct curl_slist *l = c->hdrs; l; l = l->next)
		if (l->data)
			OPENSSL_cleanse(l->data, strlen(l->data));
	curl_slist_free_all(c->hdrs);
	free(c->base);
	memset(c, 0, sizeof(*c));
}

/* ---- the source ----------------------------------------------------------- */

static int api_hostnames(const json_t *groups, struct strv *ret)
{
	json_t *g, *h;
	size_t i, j;

	json_array_foreach(json_object_get(groups, "environmentGroups"), i, g)
	{
		json_array_foreach(json_object_get(g, "hostnames"), j, h)
		{
			const char *s = json_string_value(h);

			if (!s || !*s || strchr(s, '*') || strlen(s) > 253)
				continue;
			if (strv_push_unique(ret, s) < 0)
				return -ENOMEM;
		}
	}
	return 0;
}

static int api_names(const json_t *list, const char *key, struct strv *ret)
{
	json_t *it;
	size_t i;

	json_array_foreach(json_object_get(list, key), i, it)
	{
		const char *s = json_string_value(json_object_get(it, "name"));

		if (s && strv_push_unique(ret, s) < 0)
			return -ENOMEM;
	}
	return 0;
}

/* Paths and source names for one named child: "instances/NAME" etc. */
static int api_child(struct api_client *c, const char *org_esc, const char *kind, const char *label,
                     const char *name, bool details, const char *list_key, struct error *err)
{
	_cleanup_free_ char *esc = NULL;
	char rel[1024], path[512], source[512];
	int k;

	if (!api_safe_name(name)) {
		char shown[128];

		text_escape(name, strlen(name), shown, sizeof(shown));
		snprintf(source, sizeof(source), "management API: %s %s", label, shown);
		sink_source(c->s, source, OUTCOME_FAILED, "unsafe name");
		return 0;
	}
	esc = curl_easy_escape(c->h, name, 0);
	if (!esc)
		return error_set(err, -ENOMEM, NULL, 0, "out of memory");
	if (details) {
		snprintf(rel, sizeof(rel), "organizations/%s/%s/%s", org_esc, kind, esc);
		snprintf(path, sizeof(path), "api/%s/%s.json", kind, name);
		snprintf(source, sizeof(source), "management API: %s %s", label, name);
		k = api_fetch_one(c, rel, path, source, NULL, err);
		if (k < 0)
			return k;
	}
	snprintf(rel, sizeof(rel), "organizations/%s/%s/%s/attachments", org_esc, kind, esc);
	snprintf(path, sizeof(path), "api/%s/%s/attachments.json", kind, name);
	snprintf(source, sizeof(source), "management API: %s %s attachments", label, name);
	return api_fetch_list(c, rel, list_key, path, source, NULL, err);
}

int collect_api(const struct api_options *o, struct sink *s, struct strv *ret_hostnames,
                struct error *err)
{
	struct api_client c;
	_cleanup_(json_decrefp) json_t *org = NULL, *instances = NULL, *groups = NULL;
	_cleanup_free_ char *org_esc = NULL;
	struct strv names = STRV_INIT;
	char rel[512];
	sigset_t pipe_set, old_set;
	int k;

	if (!o || !o->org || !*o->org)
		return error_set(err, -EINVAL, NULL, 0, "no organization given");
	if (strlen(o->org) > 200)
		return error_set(err, -EINVAL, NULL, 0, "organization name too long");

	/* a peer closing a connection must not kill the process */
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old_set);

	k = api_client_init(&c, o, s, err);
	if (k < 0)
		goto out;
	org_esc = curl_easy_escape(c.h, o->org, 0);
	if (!org_esc) {
		k = error_set(err, -ENOMEM, NULL, 0, "out of memory");
		goto out;
	}

	/* 1. the organization */
	snprintf(rel, sizeof(rel), "organizations/%s", org_esc);
	k = api_fetch_one(&c, rel, "api/organization.json", "management API: organization", &org,
	                  err);
	if (k < 0)
		goto out;

	/* 2. instances, then each instance and its attachments. Hybrid organizations have
	 * no instances in the API ("not supported for Apigee hybrid"): asking would only
	 * record a failure that is not one. */
	if (json_is_string(json_object_get(org, "runtimeType")) &&
	    strcmp(json_string_value(json_object_get(org, "runtimeType")), "HYBRID") == 0 &&
	    !(o->instances && o->instances->n > 0)) {
		sink_source(s, "management API: instances", OUTCOME_OK,
		            "not applicable: hybrid organization (instances are an Apigee X "
		            "resource)");
		goto envgroups;
	}
	snprintf(rel, sizeof(rel), "organizations/%s/instances", org_esc);
	k = api_fetch_list(&c, rel, "instances", "api/instances.json", "management API: instances",
	                   &instances, err);
	if (k < 0)
		goto out;
	if (o->instances && o->instances->n > 0)
		k = strv_copy(&names, o->instances);
	else
		k = api_names(instances, "instances", &names);
	if (k < 0) {
		k = error_set(err, -ENOMEM, NULL, 0, "out of memory");
		goto out;
	}
	if (!instances && names.n == 0 && !c.unreachable[0])
		sink_source(s, "management API: each instance", OUTCOME_SKIPPED,
		            "the instance list could not be read");
	for (size_t i = 0; i < names.n; i++) {
		k = api_child(&c, org_esc, "instances", "instance", names.v[i], true, "attachments",
		              err);
		if (k < 0)
			goto out;
	}
	strv_release(&names);

envgroups:
	/* 3. environment groups and their attachments */
	snprintf(rel, sizeof(rel), "organizations/%s/envgroups", org_esc);
	k = api_fetch_list(&c, rel, "environmentGroups", "api/envgroups.json",
	                   "management API: envgroups", &groups, err);
	if (k < 0)
		goto out;
	if (api_names(groups, "environmentGroups", &names) < 0) {
		k = error_set(err, -ENOMEM, NULL, 0, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < names.n; i++) {
		k = api_child(&c, org_esc, "envgroups", "envgroup", names.v[i], false,
		              "environmentGroupAttachments", err);
		if (k < 0)
			goto out;
	}
	if (ret_hostnames && groups && api_hostnames(groups, ret_hostnames) < 0) {
		k = error_set(err, -ENOMEM, NULL, 0, "out of memory");
		goto out;
	}
	k = 0;
out:
	strv_release(&names);
	api_client_release(&c);
	{
		/* drop a SIGPIPE raised meanwhile, then restore the mask */
		struct timespec zero = { 0, 0 };
		sigset_t pending;

		sigpending(&pending);
		if (sigismember(&pending, SIGPIPE) && !sigismember(&old_set, SIGPIPE))
			(void)sigtimedwait(&pipe_set, NULL, &zero);
	}
	pthread_sigmask(SIG_SETMASK, &old_set, NULL);
	return k;
}
