/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for core/: buffers, text helpers, YAML to JSON, and the bundle
 * reader on folders and archives built by the test. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <cmocka.h>
#include <jansson.h>

#include "buf.h"
#include "bundle.h"
#include "error.h"
#include "text.h"
#include "utf16.h"
#include "yamljson.h"
#include "banned.h"

static void test_core__buf_limit(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	buf_init(&b, 8);
	assert_int_equal(buf_puts(&b, "abcd"), 0);
	assert_int_equal(buf_printf(&b, "%d", 1234), 0);
	assert_string_equal(b.data, "abcd1234");
	assert_int_equal(buf_putc(&b, 'x'), -ERANGE);
	assert_int_equal(b.len, 8);
	buf_release(&b);
}

static void test_core__strv(void **state)
{
	struct strv s = STRV_INIT;
	char *j;

	(void)state;
	assert_int_equal(strv_push_unique(&s, "a"), 0);
	assert_int_equal(strv_push_unique(&s, "a"), 0);
	assert_int_equal(strv_push(&s, "b"), 0);
	assert_int_equal(s.n, 2);
	assert_true(strv_contains(&s, "b"));
	j = strv_join(&s, ", ");
	assert_string_equal(j, "a, b");
	free(j);
	strv_release(&s);
}

static void test_core__time(void **state)
{
	int64_t t;
	char out[32];

	(void)state;
	assert_int_equal(text_parse_time("2025-05-19T04:46:20.117Z", 24, &t), 0);
	assert_int_equal(t, 1747629980);
	assert_int_equal(text_parse_time("2025-05-19T06:46:20+02:00", 25, &t), 0);
	assert_int_equal(t, 1747629980);
	assert_int_equal(text_parse_time("2025-05-19 04:46:20", 19, &t), 0);
	assert_int_equal(text_parse_time("yesterday", 9, &t), -EINVAL);
	assert_int_equal(text_parse_time("2025-13-19T04:46:20Z", 20, &t), -EINVAL);
	text_format_time(1747629980, out, sizeof(out));
	assert_string_equal(out, "2025-05-19T04:46:20Z");
}

static void test_core__escape(void **state)
{
	char out[32];

	(void)state;
	text_escape("a\x1b[31mb\n", 8, out, sizeof(out));
	assert_string_equal(out, "a\\x1b[31mb\\x0a");
	text_escape("0123456789012345678901234567890123456789", 40, out, 16);
	assert_true(strlen(out) < 16);
	assert_non_null(strstr(out, "..."));
	assert_true(text_is_ip_literal("10.1.2.3"));
	assert_true(text_is_ip_literal("[::1]"));
	assert_false(text_is_ip_literal("api.example.com"));
}

static void test_core__yaml_anchors(void **state)
{
	static const char y[] = "base: &b\n  app: apigee-ingressgateway\n"
	                        "virtualhosts:\n- name: dev\n  selector: *b\n"
	                        "  additionalGateways: [\"non-sni\"]\n"
	                        "---\nsecond: true\ncount: 3\nquoted: \"3\"\n";
	struct error err = ERROR_INIT;
	json_t *docs = NULL, *vh;

	(void)state;
	assert_int_equal(yamljson_parse((const uint8_t *)y, strlen(y), "t", &docs, &err), 0);
	assert_int_equal(json_array_size(docs), 2);
	vh = json_array_get(json_object_get(json_array_get(docs, 0), "virtualhosts"), 0);
	assert_string_equal(
	        json_string_value(json_object_get(json_object_get(vh, "selector"), "app")),
	        "apigee-ingressgateway");
	assert_int_equal(yamljson_line(vh), 4);
	assert_true(json_is_true(json_object_get(json_array_get(docs, 1), "second")));
	assert_true(json_is_integer(json_object_get(json_array_get(docs, 1), "count")));
	assert_true(json_is_string(json_object_get(json_array_get(docs, 1), "quoted")));
	json_decref(docs);
}

static void test_core__yaml_errors(void **state)
{
	struct error err = ERROR_INIT;
	json_t *docs = NULL;
	struct buf bomb = BUF_INIT;

	(void)state;
	assert_int_equal(yamljson_parse((const uint8_t *)"a: [1, 2\nb: c\n", 14, "t", &docs, &err),
	                 -EINVAL);
	assert_int_equal(err.line, 2);
	assert_non_null(strstr(err.message, "invalid YAML"));
	assert_int_equal(yamljson_parse((const uint8_t *)"a: *nope\n", 9, "t", &docs, &err),
	                 -EINVAL);
	/* an alias bomb: refused or shared, never expanded */
	buf_puts(&bomb, "a0: &a0 [x]\n");
	for (int i = 1; i < 40; i++)
		buf_printf(&bomb, "a%d: &a%d [*a%d, *a%d, *a%d, *a%d, *a%d, *a%d]\n", i, i, i - 1,
		           i - 1, i - 1, i - 1, i - 1, i - 1);
	if (yamljson_parse((const uint8_t *)bomb.data, bomb.len, "t", &docs, &err) == 0)
		json_decref(docs);
	buf_release(&bomb);
}

/* ---- bundle reader ---------------------------------------------------------------- */

static void write_file(const char *dir, const char *name, const char *content)
{
	char p[512];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	f = fopen(p, "w");
	assert_non_null(f);
	fputs(content, f);
	fclose(f);
}

static const char routes_json[] =
        "{\n  \"apiVersion\": \"v1\",\n  \"items\": [\n    {\n"
        "      \"apiVersion\": \"apigee.cloud.google.com/v1alpha1\",\n"
        "      \"kind\": \"ApigeeRoute\",\n"
        "      \"metadata\": {\"name\": \"myorg-dev-grp-000-33620d0\", \"namespace\": "
        "\"apigee\"},\n"
        "      \"spec\": {\"hostnames\": [\"api.example.com\"], \"additionalGateways\": "
        "[\"non-sni\"],\n"
        "        \"ports\": [{\"number\": 443, \"protocol\": \"HTTPS\", \"tls\": "
        "{\"credentialName\": "
        "\"myorg-dev-grp\", \"mode\": \"SIMPLE\"}}]},\n"
        "      \"status\": {\"state\": \"running\"}\n    },\n    {\n"
        "      \"apiVersion\": \"apigee.cloud.google.com/v1alpha1\",\n"
        "      \"kind\": \"ApigeeRoute\",\n"
        "      \"metadata\": {\"name\": \"non-sni\", \"namespace\": \"apigee\"},\n"
        "      \"spec\": {\"hostnames\": [\"*\"], \"enableNonSniClient\": \"true\"},\n"
        "      \"status\": {\"state\": \"creating\"}\n    }\n  ],\n  \"kind\": \"List\"\n}\n";

static const char overrides_yaml[] = "org: myorg\ninstanceID: i1\n"
                                     "virtualhosts:\n  - name: dev-grp\n"
                                     "    sslCertPath: ./certs/dev.pem\n"
                                     "    sslKeyPath: ./certs/dev.key\n"
                                     "    additionalGateways: [\"non-sni\"]\n";

static void make_dir(char *tmpl)
{
	assert_non_null(mkdtemp(tmpl));
}

static void rm_rf(const char *dir)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

static void test_core__bundle_folder(void **state)
{
	char dir[] = "/tmp/test-core-XXXXXX";
	struct bundle_options opts = { .now = 1700000000 };
	struct error err = ERROR_INIT;
	struct bundle *b = NULL;
	const struct route *r;
	char sub[600];

	(void)state;
	make_dir(dir);
	write_file(dir, "routes.json", routes_json);
	write_file(dir, "overrides.yaml", overrides_yaml);
	snprintf(sub, sizeof(sub), "%s/api", dir);
	mkdir(sub, 0700);
	write_file(dir, "api/org.json",
	           "{\"name\": \"myorg\", \"runtimeType\": \"CLOUD\", \"environments\": [\"dev\", "
	           "\"prod\"]}");
	write_file(
	        dir, "api/instances.json",
	        "{\"instances\": [{\"name\": \"us-west1\", \"location\": \"us-west1\", \"host\": "
	        "\"10.0.0.2\", \"port\": \"443\"}]}");
	write_file(dir, "api/us-west1-attachments.json",
	           "{\"attachments\": [{\"name\": \"x\", \"environment\": \"dev\"}]}");
	write_file(dir, "broken.json", "{\"apiVersion\": \"v1\", \"kind\": \"ApigeeRoute\", ");
	write_file(dir, "empty.txt", "");

	assert_int_equal(bundle_open(dir, &opts, &b, &err), 0);
	assert_true(b->routes_listed);
	assert_int_equal(b->n_routes, 2);
	r = bundle_find_route(b, "non-sni");
	assert_non_null(r);
	assert_int_equal(r->non_sni, TRI_OTHER);
	assert_true(strv_contains(&r->hostnames, "*"));
	assert_string_equal(r->state, "creating");
	r = bundle_find_route(b, "myorg-dev-grp-000-33620d0");
	assert_true(strv_contains(&r->credential_names, "myorg-dev-grp"));
	assert_true(strv_contains(&r->additional_gateways, "non-sni"));
	assert_string_equal(r->where.artifact, "routes.json");
	assert_string_equal(r->where.pointer, "/items/0/spec");

	assert_true(b->overrides_seen);
	assert_string_equal(b->overrides.org, "myorg");
	assert_int_equal(b->n_vhosts, 1);
	assert_string_equal(b->vhosts[0].name, "dev-grp");
	assert_int_equal(b->vhosts[0].where.line, 4);
	assert_true(strv_contains(&b->vhosts[0].additional_gateways, "non-sni"));

	assert_true(b->org.seen);
	assert_int_equal(b->org.environments.n, 2);
	assert_int_equal(b->n_instances, 1);
	assert_true(b->instances[0].attachments_known);
	assert_true(strv_contains(&b->instances[0].attached_envs, "dev"));

	for (size_t i = 0; i < b->n_artifacts; i++) {
		const struct artifact *a = &b->artifacts[i];

		if (strcmp(a->path, "broken.json") == 0) {
			assert_true(a->failed);
			assert_true(a->hints & HINT_ROUTES);
			assert_non_null(strstr(a->error, "invalid JSON"));
		}
		if (strcmp(a->path, "empty.txt") == 0)
			assert_true(a->failed);
	}
	assert_int_equal(b->time_source, TIME_FROM_ANALYSIS_CLOCK);
	bundle_free(b);
	rm_rf(dir);
}

static void add_member(struct archive *a, const char *name, const char *data)
{
	struct archive_entry *e = archive_entry_new();

	archive_entry_set_pathname(e, name);
	archive_entry_set_size(e, (la_int64_t)strlen(data));
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
	assert_int_equal(archive_write_data(a, data, strlen(data)), (la_ssize_t)strlen(data));
	archive_entry_free(e);
}

static void write_targz(const char *path)
{
	struct archive *a = archive_write_new();

	archive_write_add_filter_gzip(a);
	archive_write_set_format_pax_restricted(a);
	assert_int_equal(archive_write_open_filename(a, path), ARCHIVE_OK);
	add_member(a, "top/kubernetes/apigeeroutes.json", routes_json);
	add_member(a, "../../etc/evil", "not written anywhere\n");
	add_member(a, "top/logs/ingress.log",
	           "{\"start_time\":\"2024-05-01T10:00:00.000Z\",\"status_details\":"
	           "\"filter_chain_not_found\",\"sni_host\":\"-\",\"remote_address\":"
	           "\"10.0.0.1:1\"}\n");
	add_member(a, "top/manifest.json",
	           "{\"format\": \"apigee-bundle/manifest/v1\", \"tool_version\": \"0.1.0\", "
	           "\"collection\": {\"start\": \"2026-01-01T00:00:00Z\", \"end\": "
	           "\"2026-01-01T00:01:00Z\"}, \"artifacts\": []}");
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
}

static void test_core__bundle_archive(void **state)
{
	char dir[] = "/tmp/test-core-XXXXXX";
	char path[600], cut[600], cmd[1400];
	struct bundle_options opts = { .now = 1700000000 };
	struct error err = ERROR_INIT;
	struct bundle *b = NULL;
	struct buf content = BUF_INIT;

	(void)state;
	make_dir(dir);
	snprintf(path, sizeof(path), "%s/b.tar.gz", dir);
	write_targz(path);
	assert_int_equal(bundle_open(path, &opts, &b, &err), 0);
	assert_true(b->is_archive);
	assert_true(b->is_collected);
	assert_string_equal(b->top, "top");
	assert_int_equal(b->time_source, TIME_FROM_MANIFEST);
	assert_int_equal(b->collected_at, 1767225660);
	assert_int_equal(b->n_routes, 2);
	assert_int_equal(b->access.nonsni_reject, 1);
	assert_int_equal(
	        bundle_read(b, "top/kubernetes/apigeeroutes.json", 1 << 20, &content, &err), 0);
	assert_int_equal(content.len, strlen(routes_json));
	buf_release(&content);
	assert_int_equal(bundle_read(b, "nope", 1 << 20, &content, &err), -ENOENT);
	bundle_free(b);

	/* truncated: what was read before the cut is kept or the input is refused
	 * with the file named; never a crash */
	snprintf(cut, sizeof(cut), "%s/cut.tar.gz", dir);
	snprintf(cmd, sizeof(cmd), "head -c 300 '%s' > '%s'", path, cut);
	assert_int_equal(system(cmd), 0);
	error_reset(&err);
	b = NULL;
	if (bundle_open(cut, &opts, &b, &err) == 0)
		bundle_free(b);
	else
		assert_non_null(strstr(err.source, "cut.tar.gz"));
	rm_rf(dir);
}

static void test_core__distinct_remotes_across_members(void **state)
{
	static const char line_a[] =
	        "{\"start_time\":\"2024-05-01T10:00:00.000Z\",\"remote_address\":\"10.0.0.7:1111\","
	        "\"status\":\"0\",\"status_details\":\"filter_chain_not_found\",\"sni_host\":\"-\"}"
	        "\n";
	static const char line_b[] =
	        "{\"start_time\":\"2024-05-01T10:00:05.000Z\",\"remote_address\":\"10.0.0.7:2222\","
	        "\"status\":\"0\",\"status_details\":\"filter_chain_not_found\",\"sni_host\":null}"
	        "\n"
	        "{\"start_time\":\"2024-05-01T10:00:06.000Z\",\"remote_address\":\"10.0.0.8:2222\","
	        "\"status\":\"0\",\"status_details\":\"filter_chain_not_found\",\"sni_host\":\"\"}"
	        "\n";
	char dir[] = "/tmp/test-core-XXXXXX";
	struct bundle_options opts = { .now = 1700000000 };
	struct error err = ERROR_INIT;
	struct bundle *b = NULL;

	(void)state;
	make_dir(dir);
	write_file(dir, "pod-a.log", line_a);
	write_file(dir, "pod-b.log", line_b);
	assert_int_equal(bundle_open(dir, &opts, &b, &err), 0);
	assert_int_equal(b->access.nonsni_reject, 3);
	/* the same client in two pods' logs counts once */
	assert_int_equal(b->access.distinct_remote, 2);
	assert_string_equal(b->access.first_start, "2024-05-01T10:00:00.000Z");
	assert_string_equal(b->access.last_start, "2024-05-01T10:00:06.000Z");
	bundle_free(b);
	rm_rf(dir);
}

/* A Kubernetes JSON list of 2 KiB or more is skimmed (core/ingest_jsonlist.c);
 * the same list with one non-ASCII byte in a field nobody reads is parsed whole
 * by jansson: both must leave the same model. */
static const char list_head[] = "{\"apiVersion\": \"v1\", \"kind\": \"List\", \"items\": [\n";
static const char list_rest[] =
        "{\"apiVersion\": \"apigee.cloud.google.com/v1alpha2\", \"kind\": \"ApigeeRoute\", "
        "\"metadata\": {\"name\": \"route-a\", \"namespace\": \"apigee\", "
        "\"creationTimestamp\": \"2024-06-01T00:00:00Z\"}, \"spec\": {\"hostnames\": "
        "[\"a.example.com\"], \"enableNonSniClient\": true}},\n"
        "{\"apiVersion\": \"v1\", \"kind\": \"Pod\", \"metadata\": {\"name\": \"p\\u0031\", "
        "\"labels\": {\"app\": \"apigee-ingressgateway\"}}, \"status\": {\"phase\": "
        "\"Running\"}},\n"
        "{\"kin\\u0064\": \"Event\", \"metadata\": {\"creationTimestamp\": "
        "\"2024-07-01T00:00:00Z\"}},\n"
        "{\"kind\": \"Event\", \"metadata\": {\"creationTimestamp\": \"2024-08-01T00:00:00Z\"},"
        " \"metadata\": {\"namespace\": \"late\"}},\n"
        "{\"kind\": 7}, \"not an object\", [1, 2]\n], \"metadata\": {\"pad\": \"";

static struct bundle *open_list(const char *message, const char *pad)
{
	char dir[] = "/tmp/test-core-XXXXXX";
	struct bundle_options opts = { .now = 1700000000 };
	struct error err = ERROR_INIT;
	struct bundle *b = NULL;
	struct buf doc = BUF_INIT;

	make_dir(dir);
	assert_int_equal(buf_printf(&doc, "%s", list_head), 0);
	for (int i = 1; i <= 9; i++)
		assert_int_equal(
		        buf_printf(&doc,
		                   "{\"apiVersion\": \"v1\", \"kind\": \"Event\", \"metadata\": "
		                   "{\"name\": \"e%d\", \"namespace\": \"ns-%d\", "
		                   "\"creationTimestamp\": \"2024-05-0%dT10:00:00Z\"}, "
		                   "\"message\": \"%s\", \"count\": %d, \"ratio\": 1.5e3, "
		                   "\"ok\": true, \"x\": null},\n",
		                   i, i, i, message, i),
		        0);
	assert_int_equal(buf_printf(&doc, "%s%s\"}}\n", list_rest, pad), 0);
	assert_true(doc.len >= 2048);
	write_file(dir, "list.json", doc.data);
	buf_release(&doc);
	assert_int_equal(bundle_open(dir, &opts, &b, &err), 0);
	rm_rf(dir);
	return b;
}

static void test_core__json_list_skim(void **state)
{
	struct bundle *skim = open_list("Readiness probe failed: \\\"x\\\" \\n", "plain");
	struct bundle *tree = open_list("Readiness probe failed: \\\"x\\\" \\n", "caf\xc3\xa9");

	(void)state;
	assert_string_equal(skim->namespace_, "ns-1");
	assert_string_equal(tree->namespace_, skim->namespace_);
	assert_true(skim->newest_timestamp == tree->newest_timestamp);
	/* 2024-07-01 (an escaped key: jansson reads that item); the 2024-08-01 of a
	 * metadata that a later "metadata" replaces does not count */
	assert_true(skim->newest_timestamp == 1719792000);
	assert_int_equal(skim->n_routes, 1);
	assert_int_equal(tree->n_routes, 1);
	assert_string_equal(skim->routes[0].name, tree->routes[0].name);
	assert_int_equal(skim->routes[0].non_sni, tree->routes[0].non_sni);
	assert_true(skim->routes_listed && tree->routes_listed);
	assert_int_equal(skim->n_pods, 1);
	assert_int_equal(tree->n_pods, 1);
	assert_string_equal(skim->pods[0].name, "p1");
	assert_string_equal(tree->pods[0].name, "p1");
	assert_int_equal(skim->artifacts[0].kind, tree->artifacts[0].kind);
	assert_int_equal(skim->artifacts[0].kind, ART_K8S_JSON);
	bundle_free(skim);
	bundle_free(tree);
}

static void test_core__model_cap_is_not_fatal(void **state)
{
	char dir[] = "/tmp/test-core-XXXXXX";
	char path[600];
	struct bundle_options opts = { .now = 1700000000 };
	struct error err = ERROR_INIT;
	struct bundle *b = NULL;
	FILE *f;

	(void)state;
	make_dir(dir);
	snprintf(path, sizeof(path), "%s/routes.json", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("{\"apiVersion\": \"v1\", \"kind\": \"List\", \"items\": [", f);
	for (int i = 0; i < MODEL_MAX_ITEMS + 100; i++)
		fprintf(f,
		        "%s{\"apiVersion\": \"apigee.cloud.google.com/v1alpha1\", \"kind\": "
		        "\"ApigeeRoute\", \"metadata\": {\"name\": \"r%d\"}, \"spec\": "
		        "{\"hostnames\": [\"h%d.example.com\"]}}",
		        i ? "," : "", i, i);
	fputs("]}\n", f);
	fclose(f);
	/* hostile facts: a key object of the wrong shape in a redacted PEM file */
	write_file(dir, "tls.pem",
	           "{\"kind\": \"apigee-bundle/pem-file/v1\", \"items\": [{\"label\": "
	           "\"PRIVATE KEY\", \"key\": {\"status\": 7, \"key_bits\": \"x\"}}, "
	           "{\"label\": \"CERTIFICATE\", \"cert\": [1, 2]}]}");
	assert_int_equal(bundle_open(dir, &opts, &b, &err), 0);
	assert_true(b->model_capped);
	assert_int_equal(b->n_routes, MODEL_MAX_ITEMS);
	assert_int_equal(b->n_keys, 1);
	assert_int_not_equal(b->keys[0].facts.status, PEM_OK);
	assert_int_equal(b->n_certs, 1);
	assert_false(b->certs[0].parsed);
	bundle_free(b);
	rm_rf(dir);
}

static void test_core__bundle_missing(void **state)
{
	struct error err = ERROR_INIT;
	struct bundle *b = NULL;

	(void)state;
	assert_true(bundle_open("/nonexistent/path", NULL, &b, &err) < 0);
	assert_string_equal(err.source, "/nonexistent/path");
}

static int to_buf(void *userdata, const void *data, size_t len)
{
	return buf_append(userdata, data, len);
}

/* Decode data fed one byte at a time (pending halves and surrogates across
 * calls) and compare with want. */
static void utf16_case(const char *data, size_t len, const char *want)
{
	struct utf16_dec d = UTF16_DEC_INIT;
	struct buf out = BUF_INIT;

	for (size_t i = 0; i < len; i++)
		assert_int_equal(utf16_feed(&d, data + i, 1, to_buf, &out), 0);
	assert_int_equal(utf16_end(&d, to_buf, &out), 0);
	assert_int_equal(out.len, strlen(want));
	assert_memory_equal(out.data ? out.data : "", want, out.len);
	buf_release(&out);
}

static void test_core__utf16(void **state)
{
	(void)state;
	/* LE with BOM; BE with BOM; a surrogate pair (U+1F600); a lone surrogate and an
	 * odd last byte become U+FFFD; no BOM: unchanged; one byte */
	utf16_case("\xff\xfe"
	           "a\0:\0\n\0",
	           8, "a:\n");
	utf16_case("\xfe\xff"
	           "\0a\0\xe9",
	           6, "a\xc3\xa9");
	utf16_case("\xff\xfe"
	           "\x3d\xd8\x00\xde",
	           6, "\xf0\x9f\x98\x80");
	utf16_case("\xff\xfe"
	           "\x3d\xd8"
	           "a\0"
	           "b",
	           7,
	           "\xef\xbf\xbd"
	           "a\xef\xbf\xbd");
	utf16_case("plain text", 10, "plain text");
	utf16_case("x", 1, "x");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_core__buf_limit),
		cmocka_unit_test(test_core__utf16),
		cmocka_unit_test(test_core__strv),
		cmocka_unit_test(test_core__time),
		cmocka_unit_test(test_core__escape),
		cmocka_unit_test(test_core__yaml_anchors),
		cmocka_unit_test(test_core__yaml_errors),
		cmocka_unit_test(test_core__bundle_folder),
		cmocka_unit_test(test_core__bundle_archive),
		cmocka_unit_test(test_core__distinct_remotes_across_members),
		cmocka_unit_test(test_core__json_list_skim),
		cmocka_unit_test(test_core__model_cap_is_not_fatal),
		cmocka_unit_test(test_core__bundle_missing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
