/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the leak scan (redact/leakscan.c): every kind on the never-list
 * is found with its line, markers and public material pass, and -- the point of
 * an independent scan -- with any one protecting rule switched off (the
 * test-only disable_rule option) the scan refuses what the redactor let through. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <zlib.h>

#include "error.h"
#include "redact.h"
#include "banned.h"

static int scan(const char *text, struct leak_hit *hit)
{
	memset(hit, 0, sizeof(*hit));
	return leak_scan_buffer(text, strlen(text), hit);
}

static void expect_hit(const char *text, const char *kind_part, unsigned line)
{
	struct leak_hit hit;

	if (scan(text, &hit) != 1) {
		print_error("no hit for:\n%s\n", text);
		fail();
	}
	if (!strstr(hit.kind, kind_part)) {
		print_error("kind '%s', want '%s'\n", hit.kind, kind_part);
		fail();
	}
	if (line)
		assert_int_equal(hit.line, line);
}

static void expect_clean(const char *text)
{
	struct leak_hit hit;

	if (scan(text, &hit) != 0) {
		print_error("unexpected hit '%s' line %u in:\n%s\n", hit.kind, hit.line, text);
		fail();
	}
}

static void test_leakscan__finds_every_kind(void **state)
{
	(void)state;
	expect_hit("a\n-----BEGIN RSA PRIVATE KEY-----\nMIIB\n", "PEM private key", 2);
	expect_hit("x -----BEGIN OPENSSH PRIVATE KEY----- y\n", "PEM private key", 1);
	expect_hit("l1\nl2\nbearer ya29.a0AfH6SMBxyzxyzxyz\n", "ya29", 3);
	expect_hit("t=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.sig\n", "JWT", 1);
	expect_hit("k=AIzaSyFAKEfakeFAKEfakeFAKEfakeFAKE12345\n", "Google API key", 1);
	expect_hit("id AKIAFAKEFAKEFAKE1234\n", "AWS", 1);
	expect_hit("x ghp_FAKEfakeFAKEfakeFAKEfakeFAKEfake0002\n", "vendor token", 1);
	expect_hit("x github_pat_FAKEfakeFAKEfakeFAKEfa_keFAKEfakeFAKEfakeFAKEfake02\n", "GitHub",
	           1);
	expect_hit("x xoxp-0000000002-fakeFAKEfakeFAKEfake02\n", "vendor token", 1);
	expect_hit("x rk_live_fakeFAKEfakeFAKE0002\n", "vendor token", 1);
	expect_hit("x SG.fakeFAKEfakeFAKE000002.fakeFAKEfakeFAKEfakeFAKEfakeFAKEfakeFAKE0002\n",
	           "vendor token", 1);
	expect_hit("v: LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQpNSUlmYWtl\n", "base64 PEM", 1);
	expect_hit("> Authorization: Bearer abc\n", "header", 1);
	expect_hit("> authorization: Basic Zm9v\n", "header", 1);
	expect_hit("< Set-Cookie: sid=1\n", "header", 1);
	expect_hit("> Cookie: a=b\n", "header", 1);
	expect_hit("> x-api-key: k\n", "header", 1);
	expect_hit("curl -H 'Authorization: Bearer x'\n", "header", 1);
	expect_hit("{\"password\": \"p\"}\n", "JSON member", 1);
	expect_hit("{\"Token\":\"t\"}\n", "JSON member", 1);
	expect_hit("{\"secret\": \"s\"}\n", "JSON member", 1);
	expect_hit("{\"private_key\": \"k\"}\n", "JSON member", 1);
	expect_hit("{\"client_secret\": 123}\n", "JSON member", 1);
	expect_hit("\"a\": \"{\\\"password\\\":\\\"p\\\"}\"\n", "JSON member", 1);
	expect_hit("apiVersion: v1\nkind: Secret\ndata:\n  k: c2VjcmV0\n", "Secret data", 0);
	expect_hit("{\"kind\": \"Secret\", \"stringData\": {\"a\": \"b\"}}", "Secret data", 0);
	expect_hit("cassandra:\n  auth:\n    admin:\n      password: iloveapis123\n",
	           "credential value", 4);
	expect_hit("kvmEncryptionKey: a2V5\n", "credential value", 1);
	expect_hit("axHashSalt: salt\n", "credential value", 1);
}

static void test_leakscan__clean_inputs(void **state)
{
	(void)state;
	expect_clean("");
	expect_clean("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
	expect_clean("-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----\n");
	expect_clean("<redacted:1a2b3c4d private key>\n");
	expect_clean("pk_live_fakeFAKEfakeFAKE0003 SG.short.x ghp_short xoxb-12\n");
	expect_clean(
	        "> Authorization: Bearer <redacted:1a2b3c4d>\n> Cookie: <redacted:00000000>\n");
	expect_clean("> Authorization:\n");
	expect_clean("{\"password\": \"<redacted:1a2b3c4d>\", \"token\": \"\", \"secret\": {\"a\": "
	             "1}}\n");
	expect_clean("{\"token_type\": \"Bearer\", \"nextPageToken\": \"x\", \"passwordPolicy\": "
	             "\"y\"}\n");
	expect_clean("apiVersion: v1\nkind: Secret\ndata:\n  k: <redacted:1a2b3c4d>\n  b: |\n    "
	             "<redacted:2a2b3c4d>\n");
	expect_clean("apiVersion: v1\nkind: ConfigMap\ndata:\n  k: plain\n");
	expect_clean("password: null\ncassandra:\n  auth:\n    secret: apigee-datastore-secret\n");
	expect_clean("sslKeyPath: ./certs/x.key\nkmsEncryptionPath: ./kms.key\n");
	expect_clean("ya29. is the prefix of Google access tokens\n");
	expect_clean("the cookie jar; Authorization header missing\n");
}

static void test_leakscan__streaming_and_long_lines(void **state)
{
	struct leak_scan *s;
	struct leak_hit hit;
	size_t n = (2u << 20) + 100;
	char *big = malloc(n);
	const char *tok = "ya29.a0AfH6SMBsecretsecret";

	(void)state;
	assert_non_null(big);
	memset(big, 'a', n);
	/* a token across the 1 MiB cut of one long line */
	memcpy(big + (1u << 20) - 10, tok, strlen(tok));
	big[(1u << 20) - 11] = ' ';
	assert_int_equal(leak_scan_begin("m", &s), 0);
	for (size_t off = 0; off < n; off += 4096)
		assert_int_equal(leak_scan_write(s, big + off, n - off < 4096 ? n - off : 4096), 0);
	assert_int_equal(leak_scan_end(s, &hit), 1);
	assert_int_equal(hit.line, 1);
	free(big);
	/* line counting across chunks */
	assert_int_equal(leak_scan_begin("m", &s), 0);
	assert_int_equal(leak_scan_write(s, "a\nb\n", 4), 0);
	assert_int_equal(leak_scan_write(s, "c\n{\"pass", 8), 0);
	assert_int_equal(leak_scan_write(s, "word\": \"x\"}\n", 12), 0);
	assert_int_equal(leak_scan_end(s, &hit), 1);
	assert_int_equal(hit.line, 4);
}

/* ---- the scan catches what a switched-off rule let through ------------------------- */

struct case_ {
	const char *rule;
	const char *member;
	const char *text;
};

static const struct case_ cases[] = {
	{ "pem-private-key", "k.txt",
	  "x\n-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIFAKE\n-----END EC PRIVATE KEY-----\n" },
	{ "jwt", "a.log", "jwt eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJmYWtlIn0.c2lnbmF0dXJl\n" },
	{ "gcp-access-token", "a.log", "got ya29.a0AfH6SMBfakefakefake0123\n" },
	{ "http-credential-header", "t.txt", "> Authorization: Bearer opaque-token-1\n" },
	{ "json-credential-member", "a.json", "{\"password\":\n  \"p4ss\"}\n" },
	{ "secret-data", "s.json",
	  "{\"apiVersion\":\"v1\",\"data\":{\"k\":\"djE=\"},\"kind\":\"Secret\"}\n" },
	{ "yaml-credential-key", "overrides.yaml",
	  "cassandra:\n  auth:\n    admin:\n      password: iloveapis123\n" },
	{ "base64-private-key", "x.txt",
	  "v: LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQpNSUlmYWtl\n" },
	{ "google-api-key", "a.log", "key AIzaSyFAKEfakeFAKEfakeFAKEfakeFAKE12345\n" },
	{ "aws-access-key-id", "a.log", "id AKIAFAKEFAKEFAKE1234\n" },
	{ "github-token", "a.log", "t ghp_FAKEfakeFAKEfakeFAKEfakeFAKEfake0001\n" },
	{ "slack-token", "a.log", "t xoxb-0000000001-fakeFAKEfakeFAKEfake01\n" },
	{ "stripe-secret-key", "a.log", "k sk_live_fakeFAKEfakeFAKE0001\n" },
	{ "vendor-token", "a.log", "t glpat-FAKEfakeFAKEfake0001xy\n" },
	{ "vendor-token", "ci.log", "npm notice auth npm_FAKEfakeFAKEfakeFAKEfakeFAKEfake0001\n" },
	{ "vendor-token", "a.log", "hf hf_FAKEfakeFAKEfakeFAKEfakeFAKE01\n" },
	{ "sendgrid-api-key", "a.log",
	  "k SG.fakeFAKEfakeFAKE000001.fakeFAKEfakeFAKEfakeFAKEfakeFAKEfakeFAKE0001\n" },
	{ "secret-last-applied-configuration", "s.json",
	  "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"annotations\":{\"kubectl."
	  "kubernetes.io/"
	  "last-applied-configuration\":\"{\\\"stringData\\\":{\\\"user\\\":\\\"p\\\"},"
	  "\\\"kind\\\":\\\"Secret\\\"}\"}}}\n" },
};

static void redact_with(const char *disable, const struct case_ *c, struct buf *out)
{
	struct redact_options o = { .disable_rule = disable };
	struct error e = ERROR_INIT;
	struct redactor *r;

	assert_int_equal(redactor_new(&o, &r, &e), 0);
	assert_int_equal(redact_buffer(r, c->member, c->text, strlen(c->text), out, &e), 0);
	redactor_free(r);
}

/* A gzip member (a gzip'd capture, a log export) is scanned as what it holds,
 * also when it comes in small pieces. */
static void test_leakscan__gzip_members(void **state)
{
	static const char text[] = "frame\0\x01binary\r\nGET / HTTP/1.1\r\nAuthorization: Bearer "
	                           "abcdefghijklmnopqrstuvwxyz012345\r\n\r\n";
	unsigned char z[512];
	uLongf zn = sizeof(z);
	z_stream zs;
	struct leak_scan *s;
	struct leak_hit hit;

	(void)state;
	memset(&zs, 0, sizeof(zs));
	assert_int_equal(deflateInit2(&zs, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY),
	                 Z_OK);
	zs.next_in = (Bytef *)(uintptr_t)text;
	zs.avail_in = sizeof(text) - 1;
	zs.next_out = z;
	zs.avail_out = (uInt)zn;
	assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
	zn = zs.total_out;
	deflateEnd(&zs);
	assert_null(memmem(z, zn, "Bearer", 6));
	assert_int_equal(leak_scan_buffer(z, zn, &hit), 1);
	assert_non_null(strstr(hit.kind, "header"));
	assert_int_equal(leak_scan_begin("x.pcap.gz", &s), 0);
	for (size_t i = 0; i < zn; i += 3)
		assert_int_equal(leak_scan_write(s, z + i, zn - i < 3 ? zn - i : 3), 0);
	assert_int_equal(leak_scan_end(s, &hit), 1);
	/* a gzip header alone: clean */
	assert_int_equal(leak_scan_buffer(z, 10, &hit), 0);
}

static void test_leakscan__refuses_when_a_rule_is_off(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct buf out;
		struct leak_hit hit;

		/* all rules on: clean */
		redact_with(NULL, &cases[i], &out);
		if (leak_scan_buffer(out.data, out.len, &hit) != 0) {
			print_error("%s: hit '%s' with every rule on:\n%.*s\n", cases[i].rule,
			            hit.kind, (int)out.len, out.data);
			fail();
		}
		buf_release(&out);
		/* the one rule off: the scan refuses */
		redact_with(cases[i].rule, &cases[i], &out);
		if (leak_scan_buffer(out.data, out.len, &hit) != 1) {
			print_error("%s off: the scan found nothing in:\n%.*s\n", cases[i].rule,
			            (int)out.len, out.data);
			fail();
		}
		buf_release(&out);
	}
}

/* One table of vendor token prefixes (rules_format.c): a made-up token of every
 * row is redacted by the rules, and with the rule off the leak scan refuses it and
 * names it, so a prefix added to the table is covered by both. */
static void test_leakscan__every_vendor_prefix(void **state)
{
	char tok[256], text[300];
	size_t k, n;

	(void)state;
	for (k = 0; (n = redact_vendor_example(k, tok, sizeof(tok))) > 0; k++) {
		struct case_ c = { "vendor-token", "a.log", text };
		struct buf out;
		struct leak_hit hit;

		snprintf(text, sizeof(text), "2024-05-01 INFO using %s for the upload\n", tok);
		if (scan(text, &hit) != 1 || !strstr(hit.kind, "vendor token")) {
			print_error("row %zu: the scan misses %s\n", k, tok);
			fail();
		}
		redact_with(NULL, &c, &out);
		if (memmem(out.data, out.len, tok, n)) {
			print_error("row %zu: the rules miss %s\n", k, tok);
			fail();
		}
		buf_release(&out);
		/* a GitHub/Slack/Stripe row has its own rule name */
		c.rule = strncmp(tok, "gh", 2) == 0 || strncmp(tok, "github_pat_", 11) == 0
		                 ? "github-token"
		         : strncmp(tok, "xox", 3) == 0 || strncmp(tok, "xapp-", 5) == 0
		                 ? "slack-token"
		         : strstr(tok, "_live_") || strstr(tok, "_test_") ||
		                         !strncmp(tok, "whsec_", 6)
		                 ? "stripe-secret-key"
		                 : "vendor-token";
		redact_with(c.rule, &c, &out);
		if (leak_scan_buffer(out.data, out.len, &hit) != 1) {
			print_error("row %zu: %s off, the scan lets %s through\n", k, c.rule, tok);
			fail();
		}
		buf_release(&out);
	}
	assert_true(k > 60);
}

/* Every hit of a member is listed (line and kind), not only the first. */
static void test_leakscan__lists_every_hit(void **state)
{
	static const char text[] = "fine\n"
	                           "key AIzaSyFAKEfakeFAKEfakeFAKEfakeFAKE12345\n"
	                           "Authorization: Bearer abcdefgh\n"
	                           "fine\n"
	                           "{\"password\": \"hunter2hunter2\"}\n";
	struct leak_scan *s = NULL;
	const struct leak_hit *hits;
	size_t total, n;

	(void)state;
	assert_int_equal(leak_scan_begin("m", &s), 0);
	assert_int_equal(leak_scan_write(s, text, sizeof(text) - 1), 0);
	n = leak_scan_hits(s, &hits, &total);
	assert_true(n >= 3);
	assert_int_equal(total, n);
	assert_int_equal(hits[0].line, 2);
	assert_string_equal(hits[0].kind, "Google API key");
	assert_int_equal(hits[1].line, 3);
	assert_int_equal(hits[2].line, 5);
	assert_non_null(leak_fix(hits[0].kind));
	assert_int_equal(leak_scan_end(s, NULL), 1);
}

/* A scalar folded from lines that were each replaced is markers only: clean. A
 * long line cut by the scan right inside a marker is clean too. */
static void test_leakscan__no_spurious_refusals(void **state)
{
	struct leak_hit hit;
	size_t fill = (1u << 20) - 30;
	char *big;

	(void)state;
	assert_int_equal(scan("password: <redacted:0011aabb>\n  <redacted:2233ccdd>\n", &hit), 0);
	expect_hit("password: <redacted:0011aabb>\n  plaintext\n", "credential value", 1);
	for (size_t k = 0; k < 20; k++) {
		static const char tail[] = "Authorization: Bearer <redacted:0011aabb> end\n";

		big = malloc(fill + sizeof(tail));
		assert_non_null(big);
		memset(big, 'a', fill - k);
		big[fill - k - 1] = ' ';
		memcpy(big + fill - k, tail, sizeof(tail));
		assert_int_equal(leak_scan_buffer(big, strlen(big), &hit), 0);
		free(big);
	}
}

/* The document walk is skipped only when no key it reports on can be in the
 * bytes; escapes and UTF-16 still get the parse, and the anchored line kinds are
 * found wherever their anchor sits (start, end, more than once). */
static void test_leakscan__prefilters_miss_nothing(void **state)
{
	(void)state;
	expect_hit("kind: Secret\ndata:\n  a: aGVsbG8=\n", "Kubernetes Secret", 0);
	expect_hit("{\"kind\": \"Se\\u0063ret\", \"data\": {\"a\": \"aGVsbG8=\"}}\n",
	           "Kubernetes Secret", 0);
	expect_hit("db:\n  \"pass\\u0077ord\": hunter2\n", "credential value", 0);
	expect_hit("x:\n  PLAINTEXTDEK: abcdef\n", "credential value", 0);
	expect_hit("x:\n  kvmEncryptionKey: abcdef\n", "credential value", 0);
	expect_clean("kind: ConfigMap\ndata:\n  a: aGVsbG8=\n");
	expect_hit("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.sig", "JWT", 1);
	expect_hit("eyJ eyJ eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.sig", "JWT", 1);
	expect_hit("ya29.a0AfH6SMBxyzxyzxyz", "ya29", 1);
	expect_hit("AIzaSyFAKEfakeFAKEfakeFAKEfakeFAKE12345", "Google API key", 1);
	expect_hit("-----BEGIN PGP PRIVATE KEY BLOCK-----", "PEM private key", 1);
	expect_hit("s=xoxb-123456789012-abcdefghijklmnopqrst", "vendor", 1);
	expect_hit("SG.abcdefghijklmnopqrstuv.abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOP", "vendor",
	           1);
	expect_clean("AIz ya29 eyJ LS0t PRIVATE KEY\n");
	/* encrypted Apigee KVMs, in any key order, and Apigee X entries */
	expect_hit("[{\"entry\": [{\"name\": \"a\", \"value\": \"v1\"}], \"encrypted\": true}]\n",
	           "encrypted KVM", 0);
	expect_hit("{\"keyValueEntries\": [{\"name\": \"a\", \"value\": \"v1\"}]}\n",
	           "encrypted KVM", 0);
	expect_clean(
	        "[{\"entry\": [{\"name\": \"a\", \"value\": \"v1\"}], \"encrypted\": false}]\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_leakscan__finds_every_kind),
		cmocka_unit_test(test_leakscan__clean_inputs),
		cmocka_unit_test(test_leakscan__streaming_and_long_lines),
		cmocka_unit_test(test_leakscan__refuses_when_a_rule_is_off),
		cmocka_unit_test(test_leakscan__gzip_members),
		cmocka_unit_test(test_leakscan__lists_every_hit),
		cmocka_unit_test(test_leakscan__every_vendor_prefix),
		cmocka_unit_test(test_leakscan__no_spurious_refusals),
		cmocka_unit_test(test_leakscan__prefilters_miss_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
