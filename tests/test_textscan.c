/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for the line scanners (core/textscan*.c). Inputs are the verbatim
 * samples and playbook texts under tests/data/text/ (copied from the domain notes
 * and seeds), plus small constructed transcripts inline. Each test scans into a
 * zeroed struct bundle and inspects the model. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bundle.h"
#include "model.h"
#include "text.h"
#include "textscan.h"
#include "banned.h"

#define DATA "data/text/"

static struct bundle *bundle_new(void)
{
	struct bundle *b = calloc(1, sizeof(*b));

	assert_non_null(b);
	return b;
}

/* Feed data line by line, as the ingest layer does. */
static void scan_buf(struct bundle *b, const char *name, const char *data, size_t len,
                     struct artifact *a)
{
	struct textscan *ts = NULL;
	unsigned lineno = 0;

	assert_int_equal(textscan_begin(b, name, &ts), 0);
	while (len) {
		const char *nl = memchr(data, '\n', len);
		size_t n = nl ? (size_t)(nl - data) : len;

		assert_int_equal(textscan_line(ts, data, n, ++lineno), 0);
		if (!nl)
			break;
		data = nl + 1;
		len -= n + 1;
	}
	assert_int_equal(textscan_end(ts, a), 0);
}

static void scan_str(struct bundle *b, const char *name, const char *text, struct artifact *a)
{
	scan_buf(b, name, text, strlen(text), a);
}

static char *read_file(const char *path, size_t *ret_len)
{
	FILE *f = fopen(path, "rb");
	char *d;
	long n;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n >= 0);
	assert_int_equal(fseek(f, 0, SEEK_SET), 0);
	d = malloc((size_t)n + 1);
	assert_non_null(d);
	assert_int_equal(fread(d, 1, (size_t)n, f), (size_t)n);
	d[n] = '\0';
	fclose(f);
	*ret_len = (size_t)n;
	return d;
}

static void scan_file(struct bundle *b, const char *file, struct artifact *a)
{
	char path[256];
	size_t len;
	char *d;

	snprintf(path, sizeof(path), DATA "%s", file);
	d = read_file(path, &len);
	scan_buf(b, file, d, len, a);
	free(d);
}

/* The same bytes with every "\n" turned into "\r\n". */
static void scan_file_crlf(struct bundle *b, const char *file, struct artifact *a)
{
	char path[256];
	size_t len, o = 0;
	char *d, *c;

	snprintf(path, sizeof(path), DATA "%s", file);
	d = read_file(path, &len);
	c = malloc(len * 2 + 1);
	assert_non_null(c);
	for (size_t i = 0; i < len; i++) {
		if (d[i] == '\n')
			c[o++] = '\r';
		c[o++] = d[i];
	}
	scan_buf(b, file, c, o, a);
	free(c);
	free(d);
}

static const struct route *route(const struct bundle *b, const char *name)
{
	const struct route *r = bundle_find_route(b, name);

	assert_non_null(r);
	return r;
}

static bool has_kind(const struct artifact *a, enum artifact_kind k)
{
	return (a->kinds_seen & (1u << k)) != 0;
}

/* ---- access logs ------------------------------------------------------------------ */

static void test_textscan__access_apigee_json(void **state)
{
	struct bundle *b = bundle_new();
	struct artifact a = { 0 };

	(void)state;
	scan_file(b, "access-apigee.jsonl", &a);
	assert_int_equal(b->access.files, 1);
	assert_int_equal(b->access.lines, 2);
	assert_int_equal(b->access.entries, 2);
	assert_int_equal(b->access.nonsni_reject, 1);
	assert_int_equal(b->access.fcnf_with_sni, 0);
	assert_string_equal(b->access.first_start, "2024-05-01T10:00:00.000Z");
	assert_string_equal(b->access.last_start, "2024-05-01T10:00:00.000Z");
	assert_int_equal(b->access.n_samples, 1);
	assert_string_equal(b->access.samples[0].artifact, "access-apigee.jsonl");
	assert_int_equal(b->access.samples[0].line, 1);
	assert_non_null(strstr(b->access.samples[0].excerpt, "filter_chain_not_found"));
	assert_int_equal(b->access.distinct_remote, 1);
	assert_false(b->access.distinct_capped);
	assert_int_equal(a.kind, ART_ACCESS_LOG);
	assert_true(has_kind(&a, ART_ACCESS_LOG));
	assert_int_equal(a.lines, 2);
	/* the last entry's start_time is noted */
	assert_int_equal(b->newest_timestamp, 1714557601);
	bundle_free(b);
}

/* The playbook's entry: "sni_host": null, "status": 0 (a number), spaces. */
static void test_textscan__access_seed_null_sni(void **state)
{
	struct bundle *b = bundle_new();
	struct artifact a = { 0 };

	(void)state;
	scan_file(b, "access-seed-null.jsonl", &a);
	assert_int_equal(b->access.entries, 1);
	assert_int_equal(b->access.nonsni_reject, 1);
	assert_string_equal(b->access.first_start, "2025-05-19T04:46:20.117Z");
	assert_int_equal(b->access.distinct_remote, 1);
	assert_int_equal(b->newest_timestamp, 1747629980);
	assert_int_equal(a.kind, ART_ACCESS_LOG);
	bundle_free(b);
}

static void test_textscan__access_prefixes_and_crlf(void **state)
{
	struct bundle *b = bundle_new();
	struct artifact a = { 0 };
	const char *text =
	        "[pod/apigee-ingressgateway-ext-abc/istio-proxy] "
	        "{\"start_time\":\"2024-05-01T10:00:05.000Z\",\"remote_address\":\"10.0.0.9:1\","
	        "\"status\":\"0\",\"status_details\":\"filter_chain_not_found\",\"sni_host\":\"\"}"
	        "\r\n"
	        "2024-05-01T10:00:06.123456789Z "
	        "{\"start_time\":\"2024-05-01T10:00:06.000Z\",\"remote_address\":\"10.0.0.9:2\","
	        "\"status\":0,\"status_details\":\"filter_chain_not_found\"}\r\n"
	        "[pod/apigee-ingressgateway-ext-abc/istio-proxy] 2024-05-01T10:00:07Z "
	        "{\"start_time\":\"2024-05-01T10:00:04.000Z\",\"remote_address\":\"[2001:db8::1]:"
	        "443\","
	        "\"status_details\":\"filter_chain_not_found\",\"sni_host\":\"-\"}\r\n"
	        "[pod/apigee-ingressgateway-ext-abc/istio-proxy] "
	        "{\"start_time\":\"2024-05-01T10:00:08.000Z\",\"remote_address\":\"10.0.0.10:3\","
	        "\"status_details\":\"via_upstream\",\"sni_host\":\"api.example.com\"}\r\n"
	        "[pod/apigee-ingressgateway-ext-abc/istio-proxy] 2022-10-12T05:43:17Z "
	        "[2022-10-12T05:43:16.541Z] \"- - -\" 0 NR filter_chain_not_found - \"-\" 0 0 1 - "
	        "\"-\" \"-\" \"-\" \"-\" \"-\" - - 172.17.0.4:8443 172.17.0.1:35812 - -\r\n";

	(void)state;
	scan_str(b, "ingress.log", text, &a);
	assert_int_equal(b->access.entries, 5);
	assert_int_equal(b->access.nonsni_reject, 4);
	/* first/last by time, not by order */
	assert_string_equal(b->access.first_start, "2022-10-12T05:43:16.541Z");
	assert_string_equal(b->access.last_start, "2024-05-01T10:00:06.000Z");
	assert_int_equal(b->access.distinct_remote, 3);
	assert_int_equal(b->access.n_samples, 4);
	assert_int_equal(b->access.samples[3].line, 5);
	assert_int_equal(b->access.samples[2].line, 3);
	assert_int_equal(b->newest_timestamp, 1714557608);
	bundle_free(b);
}

static void test_textscan__access_fcnf_with_sni(void **state)
{
	struct bundle *b = bundle_new();
	struct artifact a = { 0 };

	(void)state;
	scan_str(b, "a.log",
	         "{\"start_time\":\"2024-05-01T10:00:00Z\",\"remote_address\":\"1.2.3.4:5\","
	         "\"status_details\":\"filter_chain_not_found\",\"sni_host\":\"other.example.com\"}"
	         "\n"
	         /* not valid JSON: counted as an entry, never as a rejection */
	         "{\"status_details\":\"filter_chain_not_found\",\"sni_host\":null,\n"
	         /* filter_chain_not_found elsewhere than status_details */
	         "{\"status_details\":\"-\",\"user_agent\":\"filter_chain_not_found\"}\n",
	         &a);
	assert_int_equal(b->access.entries, 2);
	assert_int_equal(b->access.fcnf_with_sni, 1);
	assert_int_equal(b->access.nonsni_reject, 0);
	assert_int_equal(b->access.n_samples, 0);
	assert_string_equal(b->access.first_start, "");
	bundle_free(b);
}

static void test_textscan__access_istio_text(void **state)
{
	struct bundle *b = bundle_new();
	struct artifact a = { 0 };

	(void)state;
	scan_file(b, "access-istio-text.log", &a);
	assert_int_equal(b->access.entries, 3);
	assert_int_equal(b->access.nonsni_reject, 2);
	assert_int_equal(b->access.distinct_remote, 2);
	assert_string_equal(b->access.first_start, "2021-03-25T23:59:51.372Z");
	assert_string_equal(b->access.last_start, "2022-10-12T05:43:16.541Z");
	assert_int_equal(b->access.samples[0].line, 3);
	assert_int_equal(a.kind, ART_ACCESS_LOG);
	bundle_free(b);
}

static void test_textscan__access_istio_text_with_sni(void **state)
{
	struct bundle *b = bundle_new();
	struct artifact a = { 0 };

	(void)state;
	scan_str(b, "x.log",
	         "[2022-10-12T05:43:16.541Z] \"- - -\" 0 NR filter_chain_not_found - \"-\" 0 0 1 - "
	         "\"-\" \"-\" \"-\" \"-\" \"-\" - - 172.17.0.4:8443 172.17.0.1:35812 "
	         "unknown.example.com -\n",
	         &a);
	assert_int_equal(b->access.fcnf_with_sni, 1);
	assert_int_equal(b->access.nonsni_reject, 0);
	bundle_free(b);
}

/* The Indonesian playbook prints the entry over 25 lines. */
static void test_textscan__access_pretty_printed(void **state)
{
	struct bundle *b = bundle_new();
	struct artifact a = { 0 };

	(void)state;
	scan_file(b, "seed-003-id.txt", &a);
	assert_int_equal(b->access.entries, 1);
	assert_int_equal(b->access.nonsni_reject, 1);
	assert_string_equal(b->access.first_start, "2025-05-19T04:46:20.117Z");
	assert_int_equal(b->access.n_samples, 1);
	assert_int_equal(b->access.samples[0].line, 43);
	bundle_free(b);
}

static void test_textscan__access_distinct_capped(void **state)
{
	struct bundle *b = bundle_new();
	struct textscan *ts = NULL;
	struct artifact a = { 0 };
	char line[256];
	unsigned n = MODEL_MAX_DISTINCT + 10;

	(void)state;
	assert_int_equal(textscan_begin(b, "big.log", &ts), 0);
	for (unsigned i = 0; i < n; i++) {
		int len = snprintf(
		        line, sizeof(line),
		        "{\"start_time\":\"2024-05-01T10:00:00Z\",\"remote_address\":"
		        "\"10.%u.%u.%u:4000\",\"status_details\":\"filter_chain_not_found\","
		        "\"sni_host\":null}",
		        (i >> 16) & 255, (i >> 8) & 255, i & 255);

		assert_int_equal(textscan_line(ts, line, (size_t)len, i + 1), 0);
	}
	assert_int_equal(textscan_end(ts, &a), 0);
	assert_int_equal(b->access.nonsni_reject, n);
	assert_int_equal(b->access.distinct_remote, MODEL_MAX_DISTINCT);
	assert_true(b->access.distinct_capped);
	assert_int_equal(b->access.n_samples, MODEL_MAX_SAMPLES);
	bundle_free(b);
}

/* ---- apigee-watcher ---------------------------------------------------------------- */

static void test_textscan__watcher_webhook_line(void **state)
{
	struct bundle *b = bundle_new();
	struct artifact a = { 0 };

	(void)state;
	scan_file(b, "watcher-webhook.jsonl", &a);
	assert_int_equal(b->watcher.files, 1);
	assert_int_equal(b->watcher.lines, 1);
	assert_int_equal(b->watcher.errors, 1);
	assert_int_equal(b->watcher.n_missing, 0);
	assert_int_equal(b->newest_timestamp, 1687991930);
	assert_int_equal(a.kind, ART_WATCHER_LOG);
	bundle_free(b);
}

static void test_textscan__watcher_not_found(void **state)
{
	struct bundle *b = bundle_new();
	struct artifact a = { 0 };

	(void)state;
	scan_file(b, "watcher-not-found.jsonl", &a);
	scan_file(b, "watcher-not-found.jsonl", &a);
	assert_int_equal(b->watcher.files, 2);
	assert_int_equal(b->watcher.errors, 2);
	assert_int_equal(b->watcher.n_missing, 1);
	assert_string_equal(b->watcher.missing[0].secret, "myorg-dev-grp");
	assert_int_equal(b->watcher.missing[0].count, 2);
	assert_int_equal(b->watcher.missing[0].first.line, 1);
	assert_non_null(strstr(b->watcher.missing[0].first.excerpt, "NOT_FOUND"));
	assert_int_equal(b->newest_timestamp, 1700000000);
	assert_int_equal(a.kind, ART_WATCHER_LOG);
	bundle_free(b);
}

/* The playbook wraps the message over two lines: one event, not two. Zap
 * console lines and --prefix/--timestamps prefixes are recognised too. */
static void test_textscan__watcher_text_forms(void **state)
{
	struct bundle *b = bundle_new();
	struct artifact a = { 0 };

	(void)state;
	scan_file(b, "seed-001-ko.txt", &a);
	assert_int_equal(b->watcher.n_missing, 1);
	assert_string_equal(b->watcher.missing[0].secret, "MY_HYBRID_PROJECT-ENV_GROUP");
	assert_int_equal(b->watcher.missing[0].count, 1);
	assert_int_equal(b->watcher.missing[0].first.line, 42);
	bundle_free(b);

	b = bundle_new();
	memset(&a, 0, sizeof(a));
	scan_str(b, "apigee-watcher.log",
	         "2024-05-01T10:00:00.000Z\tERROR\twatcher/watcher.go:60\terror during watch\t"
	         "{\"name\": \"ingress\", \"error\": \"NOT_FOUND: failed to get secret "
	         "\\\"org1-grp1\\\" in namespace \\\"apigee\\\": secrets \\\"org1-grp1\\\" not "
	         "found\"}\n"
	         "2024-05-01T10:00:01.000Z\tINFO\twatcher/watcher.go:40\twatch ok\n"
	         "[pod/apigee-watcher-1/apigee-watcher] 2024-05-01T10:00:02Z {\"level\":\"info\","
	         "\"ts\":1714557602.5,\"caller\":\"watcher/watcher.go:41\",\"msg\":\"ok\"}\n"
	         /* the secret exists but cannot be read: not a missing secret */
	         "secrets \"org1-grp2\" is forbidden: User cannot get resource\n",
	         &a);
	assert_int_equal(b->watcher.files, 1);
	assert_int_equal(b->watcher.lines, 4);
	assert_int_equal(b->watcher.errors, 1);
	assert_int_equal(b->watcher.n_missing, 1);
	assert_string_equal(b->watcher.missing[0].secret, "org1-grp1");
	assert_int_equal(b->newest_timestamp, 1714557602);
	bundle_free(b);
}

/* Zap lines of another component are not a watcher log. */
static void test_textscan__zap_not_watcher(void **state)
{
	struct bundle *b = bundle_new();
	struct artifact a = { 0 };

	(void)state;
	scan_str(b, "apigee-synchronizer.log",
	         "{\"level\":\"error\",\"ts\":1714557602.5,\"caller\":\"sync/sync.go:41\","
	         "\"msg\":\"failed\"}\n",
	         &a);
	assert_int_equal(b->watcher.files, 0);
	assert_int_equal(b->watcher.errors, 0);
	assert_int_equal(a.kind, ART_TEXT);
	bundle_free(b);
}

/* ---- curl ------------------------------------------------------------------------- */

static void test_textscan__curl_seed_flattened(void **state)
{
	struct bundle *b = bundle_new();
	struct artifact a = { 0 };
	const struct curl_trace *t;

	(void)state;
	scan_file(b, "curl-seed-flat.txt", &a);
	assert_int_equal(b->n_curls, 1);
	t = &b->curls[0];
	assert_int_equal(t->exit_code, -1);
	assert_string_equal(t->url, "https://1.2.3.4/basepath");
	assert_string_equal(t->host, "1.2.3.4");
	assert_true(t->ip_literal);
	assert_true(t->insecure);
	assert_int_equal(t->symptoms, CURL_SYM_RESET);
	assert_int_equal(t->where.line, 1);
	assert_non_null(strstr(t->where.excerpt, "Connection reset by peer"));
	assert_int_equal(a.kind, ART_CURL);
	bundle_free(b);
}

static void test_textscan__curl_libressl_three_traces(void **state)
{
	struct bundle *b = bundle_new();
	struct artifact a = { 0 };

	(void)state;
	scan_file(b, "curl-libressl-seed.txt", &a);
	assert_int_equal(b->n_curls, 3);
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(b->curls[i].exit_code, 35);
		assert_string_equal(b->curls[i].tls_library, "LibreSSL");
	}
	assert_int_equal(b->curls[0].symptoms, CURL_SYM_RESET);
	assert_string_equal(b->curls[0].host, "example.apis.com");
	assert_int_equal(b->curls[0].where.line, 4);
	assert_int_equal(b->curls[1].symptoms, CURL_SYM_RESET);
	assert_int_equal(b->curls[1].where.line, 9);
	assert_int_equal(b->curls[2].symptoms, CURL_SYM_ALERT);
	assert_non_null(strstr(b->curls[2].where.excerpt, "alert handshake failure"));
	bundle_free(b);
}

static void test_textscan__curl_expired(void **state)
{
	static const char *const files[] = { "curl-expired-old.txt", "curl-expired-openssl3.txt" };

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		struct bundle *b = bundle_new();
		struct artifact a = { 0 };
		const struct curl_trace *t;

		scan_file(b, files[i], &a);
		assert_int_equal(b->n_curls, 1);
		t = &b->curls[0];
		assert_int_equal(t->exit_code, 60);
		assert_int_equal(t->symptoms, CURL_SYM_VERIFY);
		assert_string_equal(t->verify_error, "certificate has expired");
		assert_false(t->insecure);
		assert_false(t->ip_literal);
		assert_non_null(strstr(t->where.excerpt, "curl: (60)"));
		assert_int_equal(a.kind, ART_CURL);
		bundle_free(b);
	}
}

static void test_textscan__curl_openssl3_expired_fields(void **state)
{
	struct bundle *b = bundle_new();
	struct artifact a = { 0 };

	(void)state;
	scan_file_crlf(b, "curl-expired-openssl3.txt", &a);
	assert_int_equal(b->n_curls, 1);
	assert_string_equal(b->curls[0].url, "https://wttr.in/");
	assert_string_equal(b->curls[0].host, "wttr.in");
	assert_string_equal(b->curls[0].verify_error, "certificate has expired");
	assert_int_equal(b->curls[0].where.line, 18);
	bundle_free(b);
}

static void test_textscan__curl_ssl_error_syscall(void **state)
{
	struct bundle *b = bundle_new();
	struct artifact a = { 0 };

	(void)state;
	scan_file(b, "curl-ssl-error-syscall.txt", &a);
	assert_int_equal(b->n_curls, 1);
	assert_int_equal(b->curls[0].exit_code, 35);
	assert_int_equal(b->curls[0].symptoms, CURL_SYM_RESET);
	assert_string_equal(b->curls[0].tls_library, "OpenSSL");
	assert_string_equal(b->curls[0].host, "dotnet.microsoft.com");
	bundle_free(b);
}

static void test_textscan__curl_schannel(void **state)
{
	struct bundle *b = bundle_new();
	struct artifact a = { 0 };

	(void)state;
	scan_file(b, "curl-schannel-reset.txt", &a);
	assert_int_equal(b->n_curls, 2);
	assert_int_equal(b->curls[0].exit_code, -1);
	assert_int_equal(b->curls[0].symptoms, CURL_SYM_RESET);
	assert_string_equal(b->curls[0].tls_library, "schannel");
	assert_string_equal(b->curls[0].host, "jeroen.r-universe.dev");
	assert_int_equal(b->curls[0].where.line, 5);
	/* "curl -v -k to an IP literal" + "using IP address, SNI is not supported" */
	assert_true(b->curls[1].ip_literal);
	assert_true(b->curls[1].insecure);
	bundle_free(b);

	b = bundle_new();
	memset(&a, 0, sizeof(a));
	scan_file(b, "curl-schannel-wrong-principal.txt", &a);
	assert_int_equal(b->n_curls, 1);
	assert_int_equal(b->curls[0].exit_code, 60);
	assert_int_equal(b->curls[0].symptoms, CURL_SYM_VERIFY);
	assert_string_equal(b->curls[0].verify_error,
	                    "SEC_E_WRONG_PRINCIPAL (0x80090322) - The target principal name is "
	                    "incorrect.");
	assert_string_equal(b->curls[0].host, "wrong.host.badssl.com");
	assert_string_equal(b->curls[0].tls_library, "schannel");
	bundle_free(b);
}

static void test_textscan__curl_one_line_errors(void **state)
{
	struct bundle *b = bundle_new();
	struct artifact a = { 0 };
	const struct curl_trace *t;

	(void)state;
	scan_file(b, "curl-one-line-errors.txt", &a);
	/* 28 messages; the pycurl -v line and the next cURL error form one trace */
	assert_int_equal(b->n_curls, 27);
	t = b->curls;
	assert_int_equal(t[0].exit_code, 35);
	assert_int_equal(t[0].symptoms, CURL_SYM_RESET);
	assert_string_equal(t[0].host, "storage.googleapis.com");
	assert_int_equal(t[1].exit_code, 35); /* PHP */
	assert_int_equal(t[1].symptoms, CURL_SYM_RESET);
	assert_int_equal(t[2].symptoms, CURL_SYM_ALERT);
	assert_string_equal(t[2].tls_library, "OpenSSL");
	assert_int_equal(t[3].symptoms, CURL_SYM_ALERT); /* pycurl + guzzle */
	assert_int_equal(t[4].symptoms, CURL_SYM_ALERT);
	assert_int_equal(t[5].exit_code, 60);
	assert_int_equal(t[5].symptoms, CURL_SYM_VERIFY);
	assert_string_equal(t[5].verify_error,
	                    "no alternative certificate subject name matches target host name "
	                    "'tmp-file.xxxxxx.ai'");
	assert_int_equal(t[6].exit_code, 51);
	assert_int_equal(t[6].symptoms, CURL_SYM_VERIFY);
	assert_string_equal(t[7].verify_error,
	                    "certificate subject name 'example.com' does not match target host "
	                    "name 'localhost'");
	assert_string_equal(t[8].verify_error,
	                    "no alternative certificate subject name matches target hostname "
	                    "'github.com'");
	assert_int_equal(t[9].symptoms, CURL_SYM_RESET);
	assert_string_equal(t[9].tls_library, "LibreSSL");
	assert_int_equal(t[10].exit_code, 56);
	assert_int_equal(t[10].symptoms, CURL_SYM_RESET | CURL_SYM_OK); /* SSL_read */
	assert_int_equal(t[13].symptoms, CURL_SYM_RESET);               /* Recv failure */
	assert_int_equal(t[14].symptoms, CURL_SYM_ALERT);               /* Secure Transport */
	assert_string_equal(t[14].tls_library, "SecureTransport");
	assert_int_equal(t[16].symptoms, CURL_SYM_VERIFY);
	assert_int_equal(t[17].exit_code, 35);
	assert_int_equal(t[17].symptoms, CURL_SYM_VERIFY); /* SEC_E_UNTRUSTED_ROOT */
	assert_string_equal(t[18].verify_error, "CERT_TRUST_REVOCATION_STATUS_UNKNOWN");
	assert_int_equal(t[20].symptoms, CURL_SYM_ALERT); /* SEC_E_ALGORITHM_MISMATCH */
	assert_int_equal(t[21].exit_code, 7);
	assert_int_equal(t[21].symptoms, CURL_SYM_CONNECT);
	assert_string_equal(t[21].connect_error, "Connection refused");
	assert_int_equal(t[22].exit_code, 28);
	assert_string_equal(t[22].connect_error, "Timeout was reached");
	assert_int_equal(t[23].exit_code, 7);
	assert_string_equal(t[23].connect_error, "Couldn't connect to server");
	assert_int_equal(t[24].exit_code, 28);
	assert_string_equal(t[24].connect_error, "Connection timed out");
	assert_int_equal(t[25].exit_code, 28);
	assert_string_equal(t[25].connect_error,
	                    "Operation timed out after 10009 milliseconds with 0 bytes received");
	assert_int_equal(t[26].exit_code, -1);
	assert_int_equal(t[26].symptoms, CURL_SYM_CONNECT);
	for (size_t i = 0; i < b->n_curls; i++) {
		assert_non_null(t[i].where.artifact);
		assert_non_null(t[i].where.excerpt);
	}
	bundle_free(b);
}

static void test_textscan__curl_http_gfe_502(void **state)
{
	struct bundle *b = bundle_new();
	struct artifact a = { 0 };
	const struct curl_trace *t;

	(void)state;
	scan_str(b, "curl.txt",
	         "$ curl -v https://api.example.com/v1/hello\n"
	         "* Host api.example.com:443 was resolved.\n"
	         "*   Trying 203.0.113.10:443...\n"
	         "* Connected to api.example.com (203.0.113.10) port 443\n"
	         "* SSL connection using TLSv1.3 / TLS_AES_256_GCM_SHA384\n"
	         "> GET /v1/hello HTTP/2\n"
	         "< HTTP/2 502 \n"
	         "< content-type: text/html; charset=UTF-8\n"
	         "< Via: 1.1 google\n"
	         "<\n"
	         "<!DOCTYPE html>\n"
	         "<html><head><title>Error 502 (Server Error)!!1</title></head>\n"
	         "<body><h1>Error: Server Error</h1><h2>The server encountered a temporary error "
	         "and could not complete your request.<p>Please try again in 30 seconds.</h2>\n"
	         "</body></html>\n"
	         "* Connection #0 to host api.example.com left intact\n"
	         /* a later, unrelated log must not attach to the finished trace */
	         "read: connection reset by peer; Connection refused\n",
	         &a);
	assert_int_equal(b->n_curls, 1);
	t = &b->curls[0];
	assert_int_equal(t->http_status, 502);
	assert_true(t->via_google);
	assert_true(t->gfe_error_page);
	assert_int_equal(t->symptoms, CURL_SYM_HTTP502 | CURL_SYM_OK);
	assert_int_equal(t->where.line, 7);
	assert_string_equal(t->host, "api.example.com");
	bundle_free(b);
}

static void test_textscan__curl_http_503_include(void **state)
{
	struct bundle *b = bundle_new();
	struct artifact a = { 0 };

	(void)state;
	scan_str(b, "curl.txt",
	         "curl -i -H 'Host: api.example.com' https://api.example.com/x\r\n"
	         "HTTP/1.1 503 Service Unavailable\r\n"
	         "content-length: 19\r\n"
	         "via: 1.1 google\r\n"
	         "\r\n"
	         "no healthy upstream\r\n"
	         "curl -sk https://api.example.com/y -o /dev/null -w '%{http_code}'\r\n"
	         "< HTTP/1.1 404 Not Found\r\n",
	         &a);
	assert_int_equal(b->n_curls, 2);
	assert_int_equal(b->curls[0].http_status, 503);
	assert_true(b->curls[0].via_google);
	assert_false(b->curls[0].gfe_error_page);
	assert_int_equal(b->curls[0].symptoms, CURL_SYM_HTTP503 | CURL_SYM_OK);
	assert_false(b->curls[0].insecure);
	assert_true(b->curls[1].insecure);
	assert_int_equal(b->curls[1].symptoms, CURL_SYM_HTTP403_404 | CURL_SYM_OK);
	bundle_free(b);
}

/* The XLB playbook: a GFE error page and 503 headers pasted into prose, without
 * the request. */
static void test_textscan__curl_response_without_request(void **state)
{
	struct bundle *b = bundle_new();
	struct artifact a = { 0 };

	(void)state;
	scan_file(b, "gfe-seed-002.txt", &a);
	assert_int_equal(b->n_curls, 2);
	assert_int_equal(b->curls[0].http_status, 502);
	assert_true(b->curls[0].gfe_error_page);
	assert_int_equal(b->curls[0].symptoms, CURL_SYM_HTTP502 | CURL_SYM_OK);
	assert_int_equal(b->curls[0].where.line, 6);
	assert_int_equal(b->curls[1].http_status, 503);
	assert_true(b->curls[1].via_google);
	assert_false(b->curls[1].gfe_error_page);
	assert_int_equal(b->curls[1].symptoms, CURL_SYM_HTTP503 | CURL_SYM_OK);
	assert_int_equal(b->curls[1].where.line, 11);
	bundle_free(b);
}

static void test_textscan__curl_verify_with_k_is_not_a_failure(void **state)
{
	struct bundle *b = bundle_new();
	struct artifact a = { 0 };

	(void)state;
	scan_str(b, "curl.txt",
	         "curl -kv https://10.0.0.5/\n"
	         "*   Trying 10.0.0.5:443...\n"
	         "* Connected to 10.0.0.5 (10.0.0.5) port 443\n"
	         "* SSL connection using TLSv1.3 / TLS_AES_256_GCM_SHA384\n"
	         "*  SSL certificate verify result: self-signed certificate (18), continuing "
	         "anyway.\n"
	         "< HTTP/1.1 200 OK\n",
	         &a);
	assert_int_equal(b->n_curls, 1);
	assert_int_equal(b->curls[0].symptoms, CURL_SYM_OK);
	assert_true(b->curls[0].ip_literal);
	assert_true(b->curls[0].insecure);
	assert_string_equal(b->curls[0].verify_error,
	                    "self-signed certificate (18), continuing anyway.");
	bundle_free(b);
}

static void test_textscan__curl_command_alone_is_dropped(void **state)
{
	struct bundle *b = bundle_new();
	struct artifact a = { 0 };

	(void)state;
	scan_str(b, "notes.txt",
	         "run curl -v https://api.example.com/ and send the output\n"
	         "the curl output shows Connection reset by peer\n",
	         &a);
	assert_int_equal(b->n_curls, 0);
	assert_int_equal(a.kind, ART_TEXT);
	bundle_free(b);
}

static void test_textscan__curl_cap(void **state)
{
	struct bundle *b = bundle_new();
	struct textscan *ts = NULL;
	struct artifact a = { 0 };
	const char *l = "curl: (7) Failed to connect to h port 443: Connection refused";

	(void)state;
	assert_int_equal(textscan_begin(b, "many.txt", &ts), 0);
	for (unsigned i = 0; i < MODEL_MAX_ITEMS + 50; i++)
		assert_int_equal(textscan_line(ts, l, strlen(l), i + 1), 0);
	assert_int_equal(textscan_end(ts, &a), 0);
	assert_int_equal(b->n_curls, MODEL_MAX_ITEMS);
	bundle_free(b);
}

/* ---- openssl s_client ------------------------------------------------------------ */

static void test_textscan__sclient_verbatim(void **state)
{
	struct bundle *b = bundle_new();
	struct artifact a = { 0 };

	(void)state;
	scan_file(b, "sclient-failures.txt", &a);
	assert_int_equal(b->n_sclients, 2);
	assert_true(b->sclients[0].no_peer_cert);
	assert_false(b->sclients[0].got_cert);
	assert_int_equal(b->sclients[0].where.line, 6);
	assert_false(b->sclients[1].no_peer_cert);
	assert_string_equal(b->sclients[1].alert, "handshake failure");
	assert_int_equal(b->sclients[1].verify_code, 10);
	assert_string_equal(b->sclients[1].verify_text, "certificate has expired");
	assert_int_equal(a.kind, ART_SCLIENT);
	bundle_free(b);
}

static void test_textscan__sclient_seed_flattened(void **state)
{
	struct bundle *b = bundle_new();
	struct artifact a = { 0 };
	const struct sclient_trace *t;

	(void)state;
	scan_file(b, "sclient-seed-flat.txt", &a);
	assert_int_equal(b->n_sclients, 1);
	t = &b->sclients[0];
	assert_true(t->noservername);
	assert_string_equal(t->target, "api-test.mydomain.com:443");
	assert_true(t->no_peer_cert);
	assert_true(t->reset);
	assert_false(t->got_cert);
	assert_int_equal(t->verify_code, 0);
	assert_string_equal(t->verify_text, "ok");
	assert_int_equal(t->where.line, 3);
	assert_int_equal(b->n_curls, 0);
	bundle_free(b);
}

static void test_textscan__sclient_success_and_ip(void **state)
{
	struct bundle *b = bundle_new();
	struct artifact a = { 0 };

	(void)state;
	scan_str(b, "sclient.txt",
	         "$ openssl s_client -connect api.example.com:443 -servername api.example.com\n"
	         "CONNECTED(00000003)\n"
	         "depth=0 CN = api.example.com\n"
	         "---\n"
	         "Certificate chain\n"
	         " 0 s:CN = api.example.com\n"
	         "   i:CN = Example CA\n"
	         "---\n"
	         "Server certificate\n"
	         "-----BEGIN CERTIFICATE-----\n"
	         "MIIBfake\n"
	         "-----END CERTIFICATE-----\n"
	         "subject=CN = api.example.com\n"
	         "Verify return code: 21 (unable to verify the first certificate)\n"
	         "DONE\n"
	         "$ openssl s_client -connect 10.1.2.3:443\n"
	         "CONNECTED(00000003)\n"
	         "write:errno=104\n"
	         "---\n"
	         "no peer certificate available\n",
	         &a);
	assert_int_equal(b->n_sclients, 2);
	assert_false(b->sclients[0].noservername);
	assert_true(b->sclients[0].got_cert);
	assert_false(b->sclients[0].no_peer_cert);
	assert_string_equal(b->sclients[0].leaf_subject, "CN = api.example.com");
	assert_int_equal(b->sclients[0].verify_code, 21);
	assert_string_equal(b->sclients[0].verify_text, "unable to verify the first certificate");
	assert_true(b->sclients[1].noservername);
	assert_string_equal(b->sclients[1].target, "10.1.2.3:443");
	assert_true(b->sclients[1].reset);
	assert_true(b->sclients[1].no_peer_cert);
	assert_int_equal(b->sclients[1].verify_code, -1);
	assert_int_equal(b->sclients[1].where.line, 20);
	bundle_free(b);
}

/* ---- kubectl ------------------------------------------------------------------------ */

static void test_textscan__routes_table(void **state)
{
	struct bundle *b = bundle_new();
	struct artifact a = { 0 };
	const struct route *r;

	(void)state;
	scan_file(b, "get-apigeeroutes.txt", &a);
	assert_true(b->routes_listed);
	assert_int_equal(b->n_routes, 2);
	r = route(b, "apigee-wildcard");
	assert_string_equal(r->state, "running");
	assert_int_equal(r->sources, ROUTE_SRC_TABLE);
	assert_false(r->hostnames_known);
	assert_int_equal(r->where.line, 5);
	assert_string_equal(route(b, "myorg-prod-group-84a6bb5")->state, "running");
	assert_int_equal(a.kind, ART_K8S_TABLE);
	bundle_free(b);
}

static void test_textscan__routes_table_flattened(void **state)
{
	struct bundle *b = bundle_new();
	struct artifact a = { 0 };

	(void)state;
	scan_file(b, "routes-seed-flat.txt", &a);
	assert_true(b->routes_listed);
	assert_int_equal(b->n_routes, 2);
	assert_string_equal(route(b, "myorg-hyb-dev-grp-000-33620d0")->state, "running");
	assert_string_equal(route(b, "non-sni")->state, "running");
	bundle_free(b);
}

static void test_textscan__routes_table_variants(void **state)
{
	struct bundle *b = bundle_new();
	struct artifact a = { 0 };
	const struct route *r;

	(void)state;
	scan_str(b, "t.txt",
	         "$ kubectl get apigeeroutes -A\n"
	         "NAMESPACE   NAME              STATE     AGE\n"
	         "apigee      route-a           running   5d\n"
	         "apigee      route-b                     3m20s\n"
	         "\n"
	         "route-c     running   5d\n"
	         "$ kubectl -n apigee get apigeeorg\n"
	         "NAME        STATE     AGE\n"
	         "myorg       running   30d\n",
	         &a);
	assert_int_equal(b->n_routes, 2);
	r = route(b, "route-a");
	assert_string_equal(r->namespace_, "apigee");
	assert_string_equal(r->state, "running");
	r = route(b, "route-b");
	assert_null(r->state);
	assert_null(bundle_find_route(b, "myorg"));
	assert_null(bundle_find_route(b, "route-c"));
	bundle_free(b);
}

static void test_textscan__pods_secrets_services(void **state)
{
	struct bundle *b = bundle_new();
	struct artifact a = { 0 };

	(void)state;
	scan_str(b, "k.txt",
	         "kubectl -n apigee get pods -l app=apigee-ingressgateway\n"
	         "NAME READY STATUS RESTARTS AGE apigee-ingressgateway-ext-ingress-myorg-hyb-"
	         "8f2c412-dvrcp 2/2 Running 0 46h apigee-ingressgateway-ext-ingress-myorg-hyb-"
	         "8f2c412-wg26k 2/2 Running 0 46h\n"
	         "kubectl -n apigee get secrets\n"
	         "NAME                 TYPE                DATA   AGE\n"
	         "myorg-dev-grp        kubernetes.io/tls   2      7d\n"
	         "myorg-test-grp       Opaque              2      7s\n"
	         "kubectl -n apigee get secrets | grep other\n"
	         "other-grp                   Opaque                2      7s\n"
	         "kubectl -n apigee get svc\n"
	         "NAME                  TYPE           CLUSTER-IP    EXTERNAL-IP    PORT(S)        "
	         " AGE\n"
	         "apigee-ingressgateway LoadBalancer   10.0.0.10     34.1.2.3       443:31000/TCP  "
	         " 9d\n"
	         "apigee-runtime        ClusterIP      10.0.0.11     <none>         8443/TCP       "
	         " 9d\n"
	         "kubectl get pods -o wide\n"
	         "NAME    READY   STATUS             RESTARTS      AGE   IP          NODE   "
	         "NOMINATED NODE   READINESS GATES\n"
	         "pod-x   0/1     CrashLoopBackOff   5 (2m ago)    1h    10.4.0.2    n1     "
	         "<none>           <none>\n",
	         &a);
	assert_int_equal(b->n_pods, 3);
	assert_string_equal(b->pods[0].name,
	                    "apigee-ingressgateway-ext-ingress-myorg-hyb-8f2c412-dvrcp");
	assert_string_equal(b->pods[0].ready, "2/2");
	assert_string_equal(b->pods[0].phase, "Running");
	assert_string_equal(b->pods[0].app, "apigee-ingressgateway");
	assert_string_equal(b->pods[2].name, "pod-x");
	assert_string_equal(b->pods[2].phase, "CrashLoopBackOff");
	assert_null(b->pods[2].app);
	assert_true(b->secrets_listed);
	assert_int_equal(b->n_secrets, 2);
	assert_string_equal(bundle_find_secret(b, "myorg-dev-grp")->type, "kubernetes.io/tls");
	assert_null(bundle_find_secret(b, "other-grp"));
	assert_int_equal(b->n_services, 2);
	assert_string_equal(b->services[0].type, "LoadBalancer");
	assert_int_equal(b->services[0].external_ips.n, 1);
	assert_string_equal(b->services[0].external_ips.v[0], "34.1.2.3");
	assert_int_equal(b->services[1].external_ips.n, 0);
	assert_false(b->routes_listed);
	bundle_free(b);
}

static void test_textscan__describe(void **state)
{
	struct bundle *b = bundle_new();
	struct artifact a = { 0 };
	const struct route *r;

	(void)state;
	scan_file(b, "describe-apigeeroute.txt", &a);
	assert_int_equal(b->n_routes, 1);
	r = route(b, "myorg-prod-group-84a6bb5");
	assert_int_equal(r->sources, ROUTE_SRC_DESCRIBE);
	assert_true(r->hostnames_known);
	assert_int_equal(r->hostnames.n, 1);
	assert_string_equal(r->hostnames.v[0], "*");
	assert_int_equal(r->non_sni, TRI_TRUE);
	assert_string_equal(r->non_sni_raw, "true");
	assert_true(r->gateways_known);
	assert_int_equal(r->additional_gateways.n, 0);
	assert_int_equal(r->credential_names.n, 1);
	assert_string_equal(r->credential_names.v[0], "myorg-prod-group");
	assert_string_equal(r->state, "running");
	assert_string_equal(r->namespace_, "apigee");
	assert_int_equal(r->where.line, 11);
	assert_false(b->routes_listed);
	assert_int_equal(a.kind, ART_K8S_DESCRIBE);
	bundle_free(b);
}

static void test_textscan__describe_several_and_merge(void **state)
{
	struct bundle *b = bundle_new();
	struct artifact a = { 0 };
	const struct route *r;

	(void)state;
	scan_str(b, "d.txt",
	         "NAME                STATE     AGE\n"
	         "myorg-dev-grp-1a2b3c4   running   2d\n"
	         "\n"
	         "$ kubectl -n apigee describe apigeeroute\n"
	         "Name:         myorg-dev-grp-1a2b3c4\n"
	         "Namespace:    apigee\n"
	         "Kind:         ApigeeRoute\n"
	         "Spec:\n"
	         "  Additional Gateways:\n"
	         "    non-sni\n"
	         "  Hostnames:\n"
	         "    api.example.com\n"
	         "    api2.example.com\n"
	         "Status:\n"
	         "  State:  creating\n"
	         "Events:  <none>\n"
	         "\n"
	         "Name:         non-sni\n"
	         "Kind:         ApigeeRoute\n"
	         "Spec:\n"
	         "  Enable Non Sni Client:  false\n"
	         "  Hostnames:\n"
	         "    *\n"
	         "Status:\n"
	         "  State:  running\n"
	         "Name:         other\n"
	         "Kind:         ApigeeRouteConfig\n"
	         "Spec:\n"
	         "  Enable Non Sni Client:  true\n",
	         &a);
	assert_int_equal(b->n_routes, 2);
	r = route(b, "myorg-dev-grp-1a2b3c4");
	assert_int_equal(r->sources, ROUTE_SRC_TABLE | ROUTE_SRC_DESCRIBE);
	assert_string_equal(r->state, "running"); /* the table came first */
	assert_int_equal(r->additional_gateways.n, 1);
	assert_string_equal(r->additional_gateways.v[0], "non-sni");
	assert_int_equal(r->hostnames.n, 2);
	assert_int_equal(r->non_sni, TRI_ABSENT);
	assert_int_equal(r->where.line, 5);
	r = route(b, "non-sni");
	assert_int_equal(r->non_sni, TRI_FALSE);
	assert_string_equal(r->hostnames.v[0], "*");
	assert_true(has_kind(&a, ART_K8S_TABLE));
	assert_true(has_kind(&a, ART_K8S_DESCRIBE));
	bundle_free(b);
}

/* Pasted into a document with an indent, and with a Name: inside the spec. */
static void test_textscan__describe_indented(void **state)
{
	struct bundle *b = bundle_new();
	struct artifact a = { 0 };
	const struct route *r;

	(void)state;
	scan_str(b, "notes.md",
	         "Output:\n"
	         "    Name:         route-x\n"
	         "    Namespace:    apigee\n"
	         "    Kind:         ApigeeRoute\n"
	         "    Spec:\n"
	         "      Hostnames:\n"
	         "        api.example.com\n"
	         "      Rules:\n"
	         "        Http:\n"
	         "          Destination:\n"
	         "            Name:  apigee-runtime-myorg-test\n"
	         "            Port:  8443\n"
	         "      Enable Non Sni Client:  true\n"
	         "    Status:\n"
	         "      State:  running\n"
	         "That was the route.\n"
	         "    Spec:\n"
	         "      Enable Non Sni Client:  false\n",
	         &a);
	assert_int_equal(b->n_routes, 1);
	r = route(b, "route-x");
	assert_int_equal(r->non_sni, TRI_TRUE);
	assert_string_equal(r->hostnames.v[0], "api.example.com");
	assert_int_equal(r->hostnames.n, 1);
	assert_string_equal(r->state, "running");
	assert_int_equal(r->where.line, 2);
	bundle_free(b);
}

/* The Korean playbook: commands, "sample output" lines, and outputs. */
static void test_textscan__seed_000_playbook(void **state)
{
	struct bundle *b = bundle_new();
	struct artifact a = { 0 };
	const struct route *r;

	(void)state;
	scan_file(b, "seed-000-ko.txt", &a);
	r = route(b, "myorg-hyb-dev-grp-000-33620d0");
	assert_string_equal(r->state, "running");
	assert_true(r->hostnames_known);
	assert_int_equal(r->hostnames.n, 1);
	assert_string_equal(r->hostnames.v[0], "api-test.mydomain.com");
	assert_true(r->gateways_known);
	assert_string_equal(r->additional_gateways.v[0], "non-sni");
	assert_int_equal(r->sources, ROUTE_SRC_TABLE | ROUTE_SRC_JSONPATH);
	r = route(b, "non-sni");
	assert_string_equal(r->hostnames.v[0], "*");
	assert_int_equal(r->non_sni, TRI_TRUE);
	assert_false(r->gateways_known);
	assert_int_equal(b->n_routes, 2); /* no route for the APIGEE_ROUTE_NAME placeholder */
	assert_true(b->routes_listed);

	assert_int_equal(b->n_pods, 2);
	assert_string_equal(b->pods[1].app, "apigee-ingressgateway");

	assert_int_equal(b->access.nonsni_reject, 1);
	assert_int_equal(b->access.samples[0].line, 23);

	assert_int_equal(b->n_curls, 1);
	assert_int_equal(b->curls[0].symptoms, CURL_SYM_RESET);
	assert_true(b->curls[0].ip_literal);

	assert_int_equal(b->n_sclients, 1);
	assert_true(b->sclients[0].noservername);
	assert_true(b->sclients[0].no_peer_cert);
	assert_true(b->sclients[0].reset);

	assert_true(has_kind(&a, ART_ACCESS_LOG));
	assert_true(has_kind(&a, ART_CURL));
	assert_true(has_kind(&a, ART_SCLIENT));
	assert_true(has_kind(&a, ART_K8S_TABLE));
	bundle_free(b);
}

/* The Indonesian playbook: the same content, multi-line and indented. */
static void test_textscan__seed_003_playbook(void **state)
{
	struct bundle *b = bundle_new();
	struct artifact a = { 0 };
	const struct route *r;

	(void)state;
	scan_file(b, "seed-003-id.txt", &a);
	assert_int_equal(b->n_routes, 2);
	r = route(b, "myorg-hyb-dev-grp-000-33620d0");
	assert_string_equal(r->state, "running");
	assert_string_equal(r->hostnames.v[0], "api-test.mydomain.com");
	assert_string_equal(r->additional_gateways.v[0], "non-sni");
	r = route(b, "non-sni");
	assert_int_equal(r->non_sni, TRI_TRUE);
	assert_int_equal(b->n_pods, 2);
	assert_int_equal(b->n_curls, 1);
	assert_int_equal(b->curls[0].symptoms, CURL_SYM_RESET);
	assert_true(b->curls[0].insecure);
	assert_int_equal(b->n_sclients, 1);
	assert_true(b->sclients[0].noservername);
	assert_true(b->sclients[0].no_peer_cert);
	bundle_free(b);
}

static void test_textscan__jsonpath_same_line_and_json_wins(void **state)
{
	struct bundle *b = bundle_new();
	struct artifact a = { 0 };
	struct route *pre;
	const struct route *r;

	(void)state;
	pre = bundle_route(b, "from-json");
	assert_non_null(pre);
	pre->sources = ROUTE_SRC_JSON;
	pre->hostnames_known = true;
	assert_int_equal(strv_push(&pre->hostnames, "json.example.com"), 0);
	scan_str(b, "j.txt",
	         "kubectl -n apigee get apigeeroute non-sni -o jsonpath='{.spec.hostnames}' "
	         "[\"*\"]\n"
	         "kubectl get ar/non-sni -o \"jsonpath={.status.state}\"\n"
	         "running\n"
	         "kubectl -n apigee get apigeeroute non-sni "
	         "-o=jsonpath='{.spec.additionalGateways}'\n"
	         "[a b]\n"
	         "kubectl get apigeeroute from-json -o jsonpath='{.spec.hostnames}'\n"
	         "[\"*\"]\n"
	         "kubectl get apigeeroute non-sni -o jsonpath='{.spec.enableNonSniClient}'\n"
	         "Sample output\n"
	         "\n"
	         "maybe\n"
	         "false\n"
	         "true\n",
	         &a);
	r = route(b, "non-sni");
	assert_int_equal(r->sources, ROUTE_SRC_JSONPATH);
	assert_string_equal(r->hostnames.v[0], "*");
	assert_string_equal(r->state, "running");
	assert_int_equal(r->additional_gateways.n, 2);
	assert_string_equal(r->additional_gateways.v[1], "b");
	assert_int_equal(r->non_sni, TRI_FALSE);
	r = route(b, "from-json");
	assert_int_equal(r->hostnames.n, 1);
	assert_string_equal(r->hostnames.v[0], "json.example.com");
	assert_int_equal(r->sources, ROUTE_SRC_JSON | ROUTE_SRC_JSONPATH);
	bundle_free(b);
}

/* ---- robustness -------------------------------------------------------------------- */

static void test_textscan__huge_line(void **state)
{
	struct bundle *b = bundle_new();
	struct textscan *ts = NULL;
	struct artifact a = { 0 };
	size_t n = 2u << 20;
	char *line = malloc(n + 512);
	const char *head =
	        "{\"start_time\":\"2024-05-01T10:00:00Z\",\"remote_address\":\"1.1.1.1:1\","
	        "\"status_details\":\"filter_chain_not_found\",\"sni_host\":null,"
	        "\"user_agent\":\"";
	size_t o;

	(void)state;
	assert_non_null(line);
	if (!line)
		return;
	o = strlen(head);
	memcpy(line, head, o);
	memset(line + o, 'A', n);
	o += n;
	memcpy(line + o, "\"}", 2);
	o += 2;
	assert_int_equal(textscan_begin(b, "huge.log", &ts), 0);
	assert_int_equal(textscan_line(ts, line, o, 1), 0);
	/* a 2 MB line of text, and of junk with a curl command at the end */
	memset(line, 'x', n);
	assert_int_equal(textscan_line(ts, line, n, 2), 0);
	memcpy(line + n - 40, " curl -v https://h/ * Recv failure: x", 37);
	assert_int_equal(textscan_line(ts, line, n, 3), 0);
	assert_int_equal(textscan_end(ts, &a), 0);
	assert_int_equal(b->access.nonsni_reject, 1);
	assert_true(strlen(b->access.samples[0].excerpt) < 300);
	assert_int_equal(b->n_curls, 1);
	assert_true(strlen(b->curls[0].where.excerpt) < 300);
	free(line);
	bundle_free(b);
}

static void test_textscan__binary_junk(void **state)
{
	struct bundle *b = bundle_new();
	struct textscan *ts = NULL;
	struct artifact a = { 0 };
	unsigned char junk[4096];
	uint32_t x = 2463534242u;
	static const char *const frags[] = {
		"curl: (",
		"NAME STATE AGE ",
		"Name: ",
		"{\"status_details\"",
		"CONNECTED(",
		"failed to get secret \"",
		"< HTTP/1.1 ",
		"jsonpath='{.spec.hostnames}'",
		"[2022-",
		"kubectl get apigeeroute a ",
		"\"sni_host\":null,\"status_details\":\"filter_chain_not_found\"}",
	};

	(void)state;
	assert_int_equal(textscan_begin(b, "junk.bin", &ts), 0);
	for (unsigned round = 0; round < 2000; round++) {
		size_t len = 0;

		while (len < sizeof(junk) - 80) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			if ((x & 7) == 0) {
				const char *f =
				        frags[(x >> 8) % (sizeof(frags) / sizeof(frags[0]))];

				memcpy(junk + len, f, strlen(f));
				len += strlen(f);
			} else {
				junk[len++] = (unsigned char)(x >> 24);
			}
			if ((x & 0x3f0) == 0)
				break;
		}
		assert_int_equal(textscan_line(ts, (const char *)junk, len, round + 1), 0);
	}
	assert_int_equal(textscan_line(ts, NULL, 0, 2001), 0);
	assert_int_equal(textscan_end(ts, &a), 0);
	assert_int_equal(a.lines, 2001);
	bundle_free(b);
}

static void test_textscan__nothing_recognised(void **state)
{
	struct bundle *b = bundle_new();
	struct artifact a = { 0 };

	(void)state;
	scan_str(b, "readme.txt", "hello\nworld\n\n", &a);
	assert_int_equal(a.kind, ART_TEXT);
	assert_int_equal(a.kinds_seen, 0);
	assert_int_equal(a.lines, 3);
	assert_int_equal(b->access.files, 0);
	bundle_free(b);
}

static void test_textscan__free_without_end(void **state)
{
	struct bundle *b = bundle_new();
	struct textscan *ts = NULL;
	const char *l = "curl -v https://x.example.com/";

	(void)state;
	assert_int_equal(textscan_begin(b, "x", &ts), 0);
	assert_int_equal(textscan_line(ts, l, strlen(l), 1), 0);
	textscan_free(ts);
	textscan_free(NULL);
	assert_int_equal(b->n_curls, 0);
	bundle_free(b);
}

/* text_pairs_may_have() never rules out a needle that text_find() or
 * text_find_ci() finds in the line or in any part of it. */
static void test_textscan__pairs_never_rule_out_a_match(void **state)
{
	static const char alphabet[] = "aAbBcC:-_ \t\"*<>0123456789\xc3\xa9\x01";
	static const char *const needles[] = { "ab",  "Ab",    "aBc", "c:",   "* ",    "< H",
		                               "0 1", "\"a\"", "-_",  "\xc3", "\x01:", "b" };
	uint32_t seed = 12345;
	char line[64];

	(void)state;
	for (int round = 0; round < 20000; round++) {
		struct text_pairs tp;
		size_t n = 0;

		seed = seed * 1103515245u + 12345u;
		n = (seed >> 16) % sizeof(line);
		for (size_t i = 0; i < n; i++) {
			seed = seed * 1103515245u + 12345u;
			line[i] = alphabet[(seed >> 16) % (sizeof(alphabet) - 1)];
		}
		text_pairs_init(&tp, line, n);
		for (size_t k = 0; k < sizeof(needles) / sizeof(needles[0]); k++) {
			size_t from = n ? (seed >> 8) % (n + 1) : 0;

			if (text_pairs_may_have(&tp, needles[k]))
				continue;
			assert_null(text_find(line, n, needles[k]));
			assert_null(text_find_ci(line, n, needles[k]));
			assert_null(text_find(line + from, n - from, needles[k]));
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_textscan__pairs_never_rule_out_a_match),
		cmocka_unit_test(test_textscan__access_apigee_json),
		cmocka_unit_test(test_textscan__access_seed_null_sni),
		cmocka_unit_test(test_textscan__access_prefixes_and_crlf),
		cmocka_unit_test(test_textscan__access_fcnf_with_sni),
		cmocka_unit_test(test_textscan__access_istio_text),
		cmocka_unit_test(test_textscan__access_istio_text_with_sni),
		cmocka_unit_test(test_textscan__access_pretty_printed),
		cmocka_unit_test(test_textscan__access_distinct_capped),
		cmocka_unit_test(test_textscan__watcher_webhook_line),
		cmocka_unit_test(test_textscan__watcher_not_found),
		cmocka_unit_test(test_textscan__watcher_text_forms),
		cmocka_unit_test(test_textscan__zap_not_watcher),
		cmocka_unit_test(test_textscan__curl_seed_flattened),
		cmocka_unit_test(test_textscan__curl_libressl_three_traces),
		cmocka_unit_test(test_textscan__curl_expired),
		cmocka_unit_test(test_textscan__curl_openssl3_expired_fields),
		cmocka_unit_test(test_textscan__curl_ssl_error_syscall),
		cmocka_unit_test(test_textscan__curl_schannel),
		cmocka_unit_test(test_textscan__curl_one_line_errors),
		cmocka_unit_test(test_textscan__curl_http_gfe_502),
		cmocka_unit_test(test_textscan__curl_http_503_include),
		cmocka_unit_test(test_textscan__curl_response_without_request),
		cmocka_unit_test(test_textscan__curl_verify_with_k_is_not_a_failure),
		cmocka_unit_test(test_textscan__curl_command_alone_is_dropped),
		cmocka_unit_test(test_textscan__curl_cap),
		cmocka_unit_test(test_textscan__sclient_verbatim),
		cmocka_unit_test(test_textscan__sclient_seed_flattened),
		cmocka_unit_test(test_textscan__sclient_success_and_ip),
		cmocka_unit_test(test_textscan__routes_table),
		cmocka_unit_test(test_textscan__routes_table_flattened),
		cmocka_unit_test(test_textscan__routes_table_variants),
		cmocka_unit_test(test_textscan__pods_secrets_services),
		cmocka_unit_test(test_textscan__describe),
		cmocka_unit_test(test_textscan__describe_several_and_merge),
		cmocka_unit_test(test_textscan__describe_indented),
		cmocka_unit_test(test_textscan__seed_000_playbook),
		cmocka_unit_test(test_textscan__seed_003_playbook),
		cmocka_unit_test(test_textscan__jsonpath_same_line_and_json_wins),
		cmocka_unit_test(test_textscan__huge_line),
		cmocka_unit_test(test_textscan__binary_junk),
		cmocka_unit_test(test_textscan__nothing_recognised),
		cmocka_unit_test(test_textscan__free_without_end),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
