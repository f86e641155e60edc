/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the collector's joints: the source table runner
 * (collect/run_sources.c) with the real sink -- a source that fails before it
 * recorded anything prints its error and is marked failed in the manifest -- and
 * the gcloud plan (collect/gcp_plan.c) on list answers shaped as gcloud prints
 * them. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <cmocka.h>
#include <jansson.h>

#include "buf.h"
#include "collect.h"
#include "error.h"
#include "gcp_plan.h"
#include "redact.h"
#include "banned.h"

/* ---- the source table ---------------------------------------------------------------- */

static int src_ok(void *ud, struct error *err)
{
	struct sink *s = ud;

	(void)err;
	sink_source_ex(s, "fine source", OUTCOME_OK, NULL, 1, false);
	return 0;
}

static int src_fails_early(void *ud, struct error *err)
{
	(void)ud;
	return error_set(err, -EIO, NULL, 0, "cannot start: the staging disk is gone");
}

static int src_fails_silently(void *ud, struct error *err)
{
	(void)ud;
	(void)err;
	return -ENOMEM; /* no message: strerror says it */
}

static int src_later(void *ud, struct error *err)
{
	(void)ud;
	return error_set(err, -EPERM, NULL, 0, "phase two broke");
}

static unsigned needs_api(const void *ud)
{
	(void)ud;
	return COLLECT_FACT_API;
}

static const struct collect_source table[] = {
	{ "fine", COLLECT_PHASE_GATHER, src_ok, COLLECT_FACT_API, NULL },
	{ "early", COLLECT_PHASE_GATHER, src_fails_early, 0, NULL },
	{ "silent", COLLECT_PHASE_GATHER, src_fails_silently, 0, NULL },
	{ "later", COLLECT_PHASE_AFTER, src_later, 0, needs_api },
};

/* manifest.json of the archive at path, parsed. */
static json_t *read_manifest(const char *path)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	json_t *doc = NULL;

	archive_read_support_filter_all(a);
	archive_read_support_format_all(a);
	assert_int_equal(archive_read_open_filename(a, path, 16384), ARCHIVE_OK);
	while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
		const char *name = archive_entry_pathname(e);
		struct buf b = BUF_INIT;
		char chunk[8192];
		la_ssize_t n;

		if (!strstr(name, "/manifest.json"))
			continue;
		while ((n = archive_read_data(a, chunk, sizeof(chunk))) > 0)
			assert_int_equal(buf_append(&b, chunk, (size_t)n), 0);
		doc = json_loadb(b.data, b.len, 0, NULL);
		buf_release(&b);
	}
	archive_read_free(a);
	assert_non_null(doc);
	return doc;
}

static json_t *source_named(json_t *man, const char *name)
{
	json_t *it;
	size_t i;

	json_array_foreach(json_object_get(man, "sources"), i,
	                   it) if (strcmp(json_string_value(json_object_get(it, "name")), name) ==
	                           0) return it;
	return NULL;
}

static void test_collect__failing_source_reported_and_marked(void **state)
{
	char dir[] = "/tmp/test_collect.XXXXXX", out[128], *progress = NULL;
	size_t progress_len = 0;
	FILE *pf = open_memstream(&progress, &progress_len);
	struct sink_options so = { 0 };
	struct sink_summary sum;
	struct error err = ERROR_INIT;
	struct sink *s = NULL;
	struct redact_options ro = { 0 };
	struct redactor *red = NULL;
	json_t *man, *coll, *e;
	struct collect_facts facts;
	unsigned failed = 0;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_non_null(pf);
	assert_int_equal(redactor_new(&ro, &red, &err), 0);
	so.redactor = red;
	so.staging_dir = dir;
	so.progress = pf;
	assert_int_equal(sink_new(&so, &s, &err), 0);
	collect_facts_init(&facts);
	failed = collect_run_sources(table, 4, s, &facts, s, NULL);
	collect_facts_release(&facts);
	assert_int_equal(failed, 3);
	fclose(pf);
	/* stderr (the progress stream) names each failing source and its message */
	assert_non_null(
	        strstr(progress, "early ... failed: cannot start: the staging disk is gone"));
	assert_non_null(strstr(progress, "silent ... failed: Cannot allocate memory"));
	assert_non_null(strstr(progress, "later ... failed: phase two broke"));
	/* "later" needs what "fine" provides: it ran after it */
	assert_true(strstr(progress, "fine source ... ok") < strstr(progress, "later ... failed"));

	snprintf(out, sizeof(out), "%s/b.tar.gz", dir);
	coll = json_pack("{s:s,s:s,s:{}}", "start", "2026-01-01T00:00:00Z", "end",
	                 "2026-01-01T00:00:01Z", "options");
	assert_int_equal(sink_finish(s, out, coll, 0, &sum, &err), 0);
	assert_int_equal(sum.failed, 3);
	assert_int_equal(sum.collected, 1);
	man = read_manifest(out);
	e = source_named(man, "early");
	assert_non_null(e);
	assert_string_equal(json_string_value(json_object_get(e, "status")), "failed");
	assert_string_equal(json_string_value(json_object_get(e, "reason")),
	                    "cannot start: the staging disk is gone");
	e = source_named(man, "later");
	assert_non_null(e);
	assert_string_equal(json_string_value(json_object_get(e, "status")), "failed");
	assert_int_equal(
	        json_integer_value(json_object_get(json_object_get(man, "summary"), "failed")), 3);
	json_decref(man);
	json_decref(coll);
	sink_free(s);
	redactor_free(red);
	free(progress);
	unlink(out);
	rmdir(dir);
}

/* ---- the gcloud plan ------------------------------------------------------------------- */

#define U "https://www.googleapis.com/compute/v1/projects/p1/"

static const char proxies[] =
        "[{\"name\":\"lb-proxy\",\"selfLink\":\"" U "global/targetHttpsProxies/lb-proxy\","
        "\"sslCertificates\":[\"" U "global/sslCertificates/cert-a\",\"" U
        "global/sslCertificates/cert-a\",\"" U "regions/eu1/sslCertificates/cert-b\"],"
        "\"urlMap\":\"" U "global/urlMaps/lb-map\"}]";
static const char url_maps[] =
        "{\"items\":[{\"name\":\"lb-map\",\"selfLink\":\"" U "global/urlMaps/lb-map\","
        "\"defaultService\":\"" U "global/backendServices/be-mig\",\"pathMatchers\":[{"
        "\"defaultService\":\"" U "global/backendServices/be-psc\"}]},"
        "{\"name\":\"other\",\"defaultService\":\"" U "global/backendServices/be-unused\"}]}";
static const char backends_mig[] =
        "[{\"name\":\"be-mig\",\"selfLink\":\"" U "global/backendServices/be-mig\","
        "\"backends\":[{\"group\":\"" U "regions/us1/instanceGroups/apigee-mig-us1\"}]},"
        "{\"name\":\"be-psc\",\"selfLink\":\"" U "global/backendServices/be-psc\","
        "\"backends\":[{\"group\":\"" U "regions/us1/networkEndpointGroups/psc-neg\"}]},"
        "{\"name\":\"be-unused\",\"selfLink\":\"" U "global/backendServices/be-unused\"}]";
static const char negs[] =
        "[{\"name\":\"psc-neg\",\"selfLink\":\"" U "regions/us1/networkEndpointGroups/psc-neg\","
        "\"networkEndpointType\":\"PRIVATE_SERVICE_CONNECT\"}]";
static const char migs[] =
        "[{\"name\":\"apigee-mig-us1\",\"region\":\"" U "regions/us1\",\"selfLink\":\"" U
        "regions/us1/instanceGroupManagers/apigee-mig-us1\",\"instanceGroup\":\"" U
        "regions/us1/instanceGroups/apigee-mig-us1\",\"instanceTemplate\":\"" U
        "global/instanceTemplates/apigee-tpl-1\"},"
        "{\"name\":\"unrelated\",\"zone\":\"" U "zones/us1-a\",\"instanceGroup\":\"" U
        "zones/us1-a/instanceGroups/unrelated\",\"instanceTemplate\":\"" U
        "global/instanceTemplates/web\"}]";

#define J(x)                     \
	{                        \
		x, sizeof(x) - 1 \
	}

static void test_collect__gcp_plan_mig_and_psc(void **state)
{
	struct gcp_lists in = { J(proxies), J(url_maps), J(backends_mig), J(negs), J(migs) };
	struct gcp_plan p;
	struct error err = ERROR_INIT;

	(void)state;
	assert_int_equal(gcp_plan_build(&in, &p, &err), 0);
	assert_true(p.lb_known);
	assert_int_equal(p.n[GCP_REF_CERT], 2);
	assert_string_equal(p.refs[GCP_REF_CERT][0].name, "cert-a");
	assert_int_equal(p.refs[GCP_REF_CERT][0].scope, GCP_SCOPE_GLOBAL);
	assert_string_equal(p.refs[GCP_REF_CERT][1].location, "eu1");
	assert_int_equal(p.refs[GCP_REF_CERT][1].scope, GCP_SCOPE_REGION);
	assert_int_equal(p.n[GCP_REF_HEALTH], 2); /* be-unused is behind no proxy */
	assert_int_equal(p.n[GCP_REF_MIG], 1);
	assert_string_equal(p.refs[GCP_REF_MIG][0].name, "apigee-mig-us1");
	assert_string_equal(p.refs[GCP_REF_MIG][0].location, "us1");
	assert_int_equal(p.n[GCP_REF_TEMPLATE], 1);
	assert_string_equal(p.refs[GCP_REF_TEMPLATE][0].name, "apigee-tpl-1");
	assert_int_equal(p.psc_negs, 1);
	assert_int_equal(p.mig_backends, 1);
	gcp_plan_release(&p);
}

static void test_collect__gcp_plan_unreadable_lists(void **state)
{
	struct gcp_lists in = { { NULL, 0 }, { "not json", 8 }, { NULL, 0 }, { NULL, 0 }, J(migs) };
	struct gcp_plan p;
	struct error err = ERROR_INIT;

	(void)state;
	assert_int_equal(gcp_plan_build(&in, &p, &err), 0);
	assert_false(p.lb_known);
	assert_int_equal(p.n[GCP_REF_CERT], 0);
	assert_int_equal(p.n[GCP_REF_MIG], 2); /* the load balancer unknown: every MIG */
	gcp_plan_release(&p);
}

static void test_collect__gcp_ref_parse(void **state)
{
	struct gcp_ref r;

	(void)state;
	assert_int_equal(gcp_ref_parse("projects/host-p/global/networks/shared-net", &r), 0);
	assert_string_equal(r.project, "host-p");
	assert_string_equal(r.name, "shared-net");
	gcp_ref_release(&r);
	assert_int_equal(gcp_ref_parse("default", &r), 0);
	assert_null(r.project);
	assert_string_equal(r.name, "default");
	gcp_ref_release(&r);
	assert_int_equal(gcp_ref_parse(U "global/sslCertificates/--format=x", &r), -EINVAL);
	assert_int_equal(gcp_ref_parse(U "regions/a b/sslCertificates/c", &r), -EINVAL);
	assert_int_equal(gcp_ref_parse("projects/p/regions/", &r), -EINVAL);
}

static void test_collect__authorized_network(void **state)
{
	static const char org[] = "{\"name\":\"o\",\"authorizedNetwork\":"
	                          "\"projects/host-p/global/networks/shared-net\"}";
	static const char psc[] = "{\"name\":\"o\",\"disableVpcPeering\":true}";
	char *project, *name;
	bool no_peering;

	(void)state;
	assert_int_equal(gcp_authorized_network(org, sizeof(org) - 1, &project, &name, &no_peering),
	                 0);
	assert_string_equal(project, "host-p");
	assert_string_equal(name, "shared-net");
	assert_false(no_peering);
	free(project);
	free(name);
	assert_int_equal(gcp_authorized_network(psc, sizeof(psc) - 1, &project, &name, &no_peering),
	                 -ENOENT);
	assert_true(no_peering);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_collect__failing_source_reported_and_marked),
		cmocka_unit_test(test_collect__gcp_plan_mig_and_psc),
		cmocka_unit_test(test_collect__gcp_plan_unreadable_lists),
		cmocka_unit_test(test_collect__gcp_ref_parse),
		cmocka_unit_test(test_collect__authorized_network),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
