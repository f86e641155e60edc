/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of analyze/facts.c: the comparable facts of hand-built bundles
 * (sorted lists, certificates merged by fingerprint), facts_diff() on hand-written
 * documents, checks_diff() on findings made by the real check runner. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "buf.h"
#include "bundle.h"
#include "checks.h"
#include "error.h"
#include "facts.h"
#include "findings.h"
#include "model.h"
#include "banned.h"

static struct bundle *new_bundle(void)
{
	struct bundle *b = calloc(1, sizeof(*b));

	assert_non_null(b);
	b->collected_at = 1767225600;
	return b;
}

static json_t *parse(const char *text)
{
	json_error_t e;
	json_t *j = json_loads(text, JSON_DECODE_ANY, &e);

	if (!j)
		fail_msg("bad test JSON: %s: %s", e.text, text);
	return j;
}

static void assert_json(const json_t *got, const char *want_text)
{
	json_t *want = parse(want_text);

	if (!json_equal(got, want)) {
		char *g = json_dumps(got, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);

		fail_msg("got %s\nwant %s", g ? g : "NULL", want_text);
	}
	json_decref(want);
}

static void add_cert(struct bundle *b, enum cert_role role, const char *owner, const char *sha,
                     const char *subject)
{
	struct cert_rec *c = bundle_add_cert(b);

	assert_non_null(c);
	c->role = role;
	c->owner = owner ? strdup(owner) : NULL;
	c->parsed = true;
	c->facts.subject = strdup(subject);
	c->facts.not_after = 1767225600 + 86400;
	snprintf(c->facts.sha256, sizeof(c->facts.sha256), "%s", sha);
}

static void test_facts__route_lists_sorted(void **state)
{
	struct bundle *b = new_bundle();
	struct route *r = bundle_route(b, "non-sni");
	json_t *f;

	(void)state;
	assert_non_null(r);
	assert_int_equal(strv_push(&r->hostnames, "b.example"), 0);
	assert_int_equal(strv_push(&r->hostnames, "a.example"), 0);
	assert_int_equal(strv_push(&r->hostnames, "b.example"), 0);
	r->non_sni = TRI_TRUE;
	f = facts_json(b);
	assert_non_null(f);
	assert_json(
	        json_object_get(json_object_get(f, "routes"), "non-sni"),
	        "{\"hostnames\": [\"a.example\", \"b.example\"], \"enableNonSniClient\": "
	        "\"true\", \"additionalGateways\": [], \"credentialNames\": [], \"state\": null}");
	assert_int_equal(json_object_size(f), facts_n_kinds);
	json_decref(f);
	bundle_free(b);
}

static void test_facts__certificate_by_fingerprint(void **state)
{
	static const char sha[] =
	        "aa00000000000000000000000000000000000000000000000000000000000000";
	struct bundle *b = new_bundle();
	json_t *f, *c;

	(void)state;
	add_cert(b, CERT_ROLE_SERVED, "api.example", sha, "CN = api.example");
	add_cert(b, CERT_ROLE_SECRET, "myorg-dev-grp", sha, "CN = api.example");
	add_cert(b, CERT_ROLE_SECRET, "myorg-dev-grp", sha, "CN = api.example");
	f = facts_json(b);
	assert_non_null(f);
	c = json_object_get(f, "certificates");
	assert_int_equal(json_object_size(c), 1);
	assert_json(json_object_get(json_object_get(c, sha), "used_by"),
	            "[\"secret myorg-dev-grp\", \"served api.example\"]");
	assert_json(json_object_get(json_object_get(c, sha), "not_after"),
	            "\"2026-01-02T00:00:00Z\"");
	json_decref(f);
	bundle_free(b);
}

static void test_facts__diff(void **state)
{
	json_t *o =
	        parse("{\"routes\": {\"a\": {\"x\": 1, \"y\": [1]}, \"gone\": {}, \"same\": {}},"
	              " \"secrets\": {\"s\": {\"type\": \"tls\"}}}");
	json_t *n = parse("{\"routes\": {\"a\": {\"x\": 2, \"y\": [1], \"z\": true}, \"new\": {},"
	                  " \"same\": {}}, \"secrets\": {\"s\": {\"type\": \"tls\"}}}");
	size_t count = 99;
	json_t *d = facts_diff(o, n, &count);

	(void)state;
	assert_non_null(d);
	assert_int_equal(count, 3);
	assert_json(d, "{\"routes\": {\"added\": [{\"key\": \"new\", \"value\": {}}],"
	               " \"removed\": [{\"key\": \"gone\", \"value\": {}}],"
	               " \"changed\": [{\"key\": \"a\", \"fields\": [\"x\", \"z\"],"
	               " \"old\": {\"x\": 1, \"y\": [1]}, \"new\": {\"x\": 2, \"y\": [1], \"z\": "
	               "true}}]}}");
	json_decref(d);

	/* the same document: nothing, and a kind missing on one side counts as empty */
	d = facts_diff(o, o, &count);
	assert_int_equal(count, 0);
	assert_json(d, "{}");
	json_decref(d);
	json_decref(n);
	n = parse("{\"secrets\": {\"s\": {\"type\": \"tls\"}}}");
	d = facts_diff(o, n, &count);
	assert_int_equal(count, 3);
	assert_int_equal(json_array_size(json_object_get(json_object_get(d, "routes"), "removed")),
	                 3);
	json_decref(d);
	json_decref(o);
	json_decref(n);
}

/* The statuses of the real checks on two hand-built bundles: a wildcard route
 * without and with enableNonSniClient. */
static void run_checks(struct bundle *b, struct findings *fs)
{
	struct error err = ERROR_INIT;

	memset(fs, 0, sizeof(*fs));
	assert_int_equal(checks_run(b, NULL, 0, fs, &err), 0);
}

static void test_facts__checks_diff(void **state)
{
	struct bundle *ob = new_bundle(), *nb = new_bundle();
	struct findings ofs, nfs;
	size_t same = 0;
	json_t *d;
	struct route *r;

	(void)state;
	ob->routes_listed = nb->routes_listed = true;
	r = bundle_route(ob, "non-sni");
	assert_int_equal(strv_push(&r->hostnames, "*"), 0);
	r->hostnames_known = true;
	r->non_sni = TRI_FALSE;
	r = bundle_route(nb, "non-sni");
	assert_int_equal(strv_push(&r->hostnames, "*"), 0);
	r->hostnames_known = true;
	r->non_sni = TRI_TRUE;
	run_checks(ob, &ofs);
	run_checks(nb, &nfs);
	d = checks_diff(&ofs, &nfs, &same);
	assert_non_null(d);
	assert_int_equal(json_array_size(d), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(d, 0), "check")),
	                    "SNI-004");
	assert_string_equal(json_string_value(json_object_get(json_array_get(d, 0), "old")),
	                    "fail");
	assert_string_equal(json_string_value(json_object_get(json_array_get(d, 0), "new")),
	                    "pass");
	assert_int_equal(same + 1, nfs.n);
	json_decref(d);

	/* a check run on one side only */
	findings_release(&nfs);
	memset(&nfs, 0, sizeof(nfs));
	{
		static const char *const only[] = { "SNI-004" };
		struct error err = ERROR_INIT;

		assert_int_equal(checks_run(nb, only, 1, &nfs, &err), 0);
	}
	d = checks_diff(&ofs, &nfs, &same);
	assert_int_equal(same, 0);
	assert_int_equal(json_array_size(d), ofs.n);
	assert_string_equal(json_string_value(json_object_get(json_array_get(d, 1), "new")),
	                    "absent");
	json_decref(d);
	findings_release(&ofs);
	findings_release(&nfs);
	bundle_free(ob);
	bundle_free(nb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_facts__route_lists_sorted),
		cmocka_unit_test(test_facts__certificate_by_fingerprint),
		cmocka_unit_test(test_facts__diff),
		cmocka_unit_test(test_facts__checks_diff),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
