/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for the check registry (sorted, unique, complete against checks.md)
 * and for each check's verdicts, on bundles built by hand in memory: every
 * SNI/TLS/CURL check and XLB-009 is driven to fail and to pass at least once. */
#include <ctype.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "bundle.h"
#include "checks.h"
#include "checks/common.h"
#include "cleanup.h"
#include "error.h"
#include "findings.h"
#include "model.h"
#include "pem.h"
#include "banned.h"

/* 2026-01-01T00:00:00Z: the collection time of the hand-made bundles */
#define T0 1767225600LL
#define DAY 86400LL

/* ---- building bundles ------------------------------------------------------------------ */

static struct bundle *new_bundle(void)
{
	struct bundle *b = calloc(1, sizeof(*b));

	assert_non_null(b);
	b->collected_at = T0;
	b->time_source = TIME_FROM_MANIFEST;
	return b;
}

static void where(struct loc *l, const char *artifact, unsigned line, const char *excerpt)
{
	assert_int_equal(loc_set(l, artifact, line, NULL, excerpt), 0);
}

static void push_all(struct strv *s, const char *const *v)
{
	for (; v && *v; v++)
		assert_int_equal(strv_push(s, *v), 0);
}

/* hostnames NULL = unknown (a table row) */
static struct route *add_route(struct bundle *b, const char *name, const char *const *hostnames,
                               enum tristate non_sni, const char *const *gateways,
                               const char *state)
{
	struct route *r = bundle_route(b, name);

	assert_non_null(r);
	if (hostnames) {
		push_all(&r->hostnames, hostnames);
		r->hostnames_known = true;
		r->gateways_known = true;
		r->non_sni = non_sni;
		push_all(&r->additional_gateways, gateways);
		r->sources |= ROUTE_SRC_JSON;
	} else {
		r->sources |= ROUTE_SRC_TABLE;
	}
	if (state)
		r->state = strdup(state);
	where(&r->where, "routes.json", 3, name);
	b->routes_listed = true;
	return r;
}

static struct vhost *add_vhost(struct bundle *b, const char *name, const char *const *gateways)
{
	struct vhost *v = bundle_add_vhost(b);

	assert_non_null(v);
	v->name = strdup(name);
	v->ssl_cert_path = strdup("./certs/cert.pem");
	v->ssl_key_path = strdup("./certs/key.pem");
	v->gateways_known = true;
	push_all(&v->additional_gateways, gateways);
	where(&v->where, "overrides.yaml", 10, name);
	b->overrides_seen = true;
	return v;
}

static struct cert_rec *add_cert(struct bundle *b, enum cert_role role, const char *owner,
                                 const char *sha, const char *const *sans, int64_t nb, int64_t na)
{
	struct cert_rec *c = bundle_add_cert(b);

	assert_non_null(c);
	c->role = role;
	c->owner = owner ? strdup(owner) : NULL;
	c->parsed = true;
	c->key_match = -1;
	c->facts.subject = strdup("CN = test");
	c->facts.common_name = strdup("test");
	snprintf(c->facts.sha256, sizeof(c->facts.sha256), "%s", sha);
	snprintf(c->facts.pubkey_sha256, sizeof(c->facts.pubkey_sha256), "pk-%s", sha);
	push_all(&c->facts.san_dns, sans);
	c->facts.not_before = nb;
	c->facts.not_after = na;
	where(&c->where, "certs/cert.pem", 1, "CN = test");
	return c;
}

static struct probe *add_probe(struct bundle *b, const char *address, const char *sni,
                               enum probe_outcome o, const char *leaf_sha)
{
	struct probe *p = bundle_add_probe(b);

	assert_non_null(p);
	p->address = strdup(address);
	p->sni = sni ? strdup(sni) : NULL;
	p->host = sni ? strdup(sni) : NULL;
	p->port = 443;
	p->outcome = o;
	p->verify_ok = -1;
	if (leaf_sha) {
		p->got_cert = true;
		snprintf(p->leaf_sha256, sizeof(p->leaf_sha256), "%s", leaf_sha);
	}
	where(&p->where, "probes/probes.json", 0, sni ? sni : "no sni");
	b->probes_seen = true;
	return p;
}

static struct curl_trace *add_curl(struct bundle *b, unsigned symptoms, int exit_code)
{
	struct curl_trace *t = bundle_add_curl(b);

	assert_non_null(t);
	t->symptoms = symptoms;
	t->exit_code = exit_code;
	t->host = strdup("api.example.com");
	where(&t->where, "curl.txt", 4, "curl: (35) Recv failure: Connection reset by peer");
	return t;
}

static struct artifact *add_artifact(struct bundle *b, const char *path)
{
	struct artifact *a;

	if (b->n_artifacts == b->cap_artifacts) {
		size_t ncap = b->cap_artifacts ? 2 * b->cap_artifacts : 8;
		struct artifact *p = realloc(b->artifacts, ncap * sizeof(*p));

		assert_non_null(p);
		b->artifacts = p;
		b->cap_artifacts = ncap;
	}
	a = &b->artifacts[b->n_artifacts++];
	memset(a, 0, sizeof(*a));
	a->path = strdup(path);
	a->source_status = -1;
	return a;
}

/* ---- running ----------------------------------------------------------------------------- */

/* Run the checks named (NULL-terminated) and return the finding of the last one. */
static const struct finding *run_ids(const struct bundle *b, struct findings *fs,
                                     const char *const *ids)
{
	struct error err = ERROR_INIT;
	size_t n = 0;

	while (ids[n])
		n++;
	assert_int_equal(checks_run(b, ids, n, fs, &err), 0);
	assert_int_equal(fs->n, n);
	return findings_get(fs, ids[n - 1]);
}

/* Run one check, assert its status, and check the invariants of every finding. */
static void expect(const struct bundle *b, const char *id, enum status want)
{
	struct findings fs = { 0 };
	const char *ids[] = { id, NULL };
	const struct finding *f = run_ids(b, &fs, ids);

	assert_non_null(f);
	if (f->status != want)
		fail_msg("%s: want %s, got %s: %s", id, status_name(want), status_name(f->status),
		         f->summary ? f->summary : "(no summary)");
	assert_non_null(f->summary);
	if (want == STATUS_FAIL || want == STATUS_WARN)
		assert_true(f->n_evidence > 0);
	if (want == STATUS_SKIP) {
		assert_non_null(f->missing);
		assert_non_null(f->collect_hint);
	}
	findings_release(&fs);
}

/* The same, when the check reads the findings of earlier ones (ids in order). */
static void expect_after(const struct bundle *b, const char *const *ids, enum status want)
{
	struct findings fs = { 0 };
	const struct finding *f = run_ids(b, &fs, ids);

	assert_non_null(f);
	if (f->status != want)
		fail_msg("%s: want %s, got %s: %s", f->check->id, status_name(want),
		         status_name(f->status), f->summary ? f->summary : "");
	findings_release(&fs);
}

/* ---- registry ------------------------------------------------------------------------- */

/* The family table: unique IDs, a title each, exactly one symptom family. */
static void test_checks__registry_families(void **state)
{
	size_t n_fam, n_symptom = 0;
	const struct check_family *fams = check_families(&n_fam);

	(void)state;
	assert_true(n_fam > 0);
	for (size_t i = 0; i < n_fam; i++) {
		assert_non_null(fams[i].id);
		assert_true(fams[i].id[0] != '\0');
		assert_non_null(fams[i].title);
		assert_true(fams[i].title[0] != '\0');
		assert_non_null(fams[i].rows);
		assert_true(fams[i].rows->n > 0);
		for (size_t j = 0; j < i; j++)
			assert_true(strcmp(fams[i].id, fams[j].id) != 0);
		assert_ptr_equal(check_family_find(fams[i].id), &fams[i]);
		if (fams[i].symptom)
			n_symptom++;
	}
	assert_int_equal(n_symptom, 1);
	assert_ptr_equal(check_family_find("sni"), check_family_find("SNI"));
	assert_null(check_family_find("SNI-001"));
	assert_null(check_family_find(NULL));
}

/* every file the check's source names ("a.txt, b.txt") has a playbook title */
static void expect_playbooks(const struct check *c)
{
	const char *p = c->source;

	while (*p) {
		size_t len = strcspn(p, ",");
		char file[64];

		assert_true(len < sizeof(file));
		memcpy(file, p, len);
		file[len] = '\0';
		if (!check_playbook_title(file))
			fail_msg("%s: no playbook title for '%s'", c->id, file);
		p += len;
		p += strspn(p, ", ");
	}
}

/* Each family's rows: sorted by ID, "FAMILY-NNN", complete; IDs unique overall and
 * found by checks_find (case-insensitive). */
static void test_checks__registry_rows(void **state)
{
	size_t n_fam, total = 0;
	const struct check_family *fams = check_families(&n_fam);

	(void)state;
	for (size_t f = 0; f < n_fam; f++) {
		size_t plen = strlen(fams[f].id);

		for (size_t i = 0; i < fams[f].rows->n; i++) {
			const struct check *c = &fams[f].rows->v[i];
			char lower[16];

			if (i)
				assert_true(strcmp(fams[f].rows->v[i - 1].id, c->id) < 0);
			if (strncmp(c->id, fams[f].id, plen) != 0 || c->id[plen] != '-' ||
			    strlen(c->id + plen + 1) != 3 ||
			    strspn(c->id + plen + 1, "0123456789") != 3)
				fail_msg("%s: the ID is not %s-NNN", c->id, fams[f].id);
			assert_non_null(c->title);
			assert_non_null(c->pass);
			if (strcmp(c->pass, c->title) == 0)
				fail_msg("%s: the pass sentence repeats the title", c->id);
			assert_non_null(c->inputs);
			assert_non_null(c->remediation);
			assert_non_null(c->source);
			assert_non_null(c->collect_hint);
			assert_non_null(c->run);
			assert_true(strstr(c->source, ".txt") != NULL);
			expect_playbooks(c);
			assert_ptr_equal(checks_find(c->id), c);
			assert_true(strlen(c->id) < sizeof(lower));
			for (size_t k = 0; c->id[k]; k++)
				lower[k] = (char)tolower((unsigned char)c->id[k]);
			lower[strlen(c->id)] = '\0';
			assert_ptr_equal(checks_find(lower), c);
			total++;
		}
	}
	assert_int_equal(checks_count(), total);
	assert_null(checks_find("SNI-999"));
	assert_null(checks_find("SNI"));
	assert_null(checks_find(NULL));
}

/* w is of kind and reads text (exact) or contains it */
static void expect_warning(const struct warning *w, enum warning_kind kind, const char *text,
                           bool exact)
{
	struct buf line = BUF_INIT;

	assert_int_equal(w->kind, kind);
	assert_int_equal(warning_text(w, &line), 0);
	if (exact)
		assert_string_equal(line.data, text);
	else if (!strstr(line.data, text))
		fail_msg("'%s' lacks '%s'", line.data, text);
	buf_release(&line);
}

static void test_checks__name_helpers(void **state)
{
	struct bundle *b = new_bundle();
	struct api_envgroup *g;

	(void)state;
	assert_true(name_has_token("myorg-hyb-dev-grp-000-33620d0", "dev-grp"));
	assert_true(name_has_token("dev-grp", "dev-grp"));
	assert_false(name_has_token("myorg-mydev-grp-000", "dev-grp"));
	assert_false(name_has_token("myorg-dev-grpx", "dev-grp"));
	assert_false(name_has_token("dev-grp", ""));
	g = bundle_envgroup(b, "dev-grp");
	assert_non_null(g);
	assert_ptr_equal(envgroup_named(b, "dev-grp"), g);
	assert_null(envgroup_named(b, "prod-grp"));
	bundle_free(b);
}

static void test_checks__run_unknown_id(void **state)
{
	struct bundle *b = new_bundle();
	struct findings fs = { 0 };
	struct error err = ERROR_INIT;
	const char *ids[] = { "SNI-001", "NOPE-1" };

	(void)state;
	assert_int_equal(checks_run(b, ids, 2, &fs, &err), -EINVAL);
	assert_string_equal(err.message, "unknown check 'NOPE-1'");
	bundle_free(b);
}

static void test_checks__run_selection(void **state)
{
	struct bundle *b = new_bundle();
	struct findings fs = { 0 };
	struct error err = ERROR_INIT;
	const char *ids[] = { "TLS-001", "sni-001", "SNI-001" };

	(void)state;
	assert_int_equal(checks_run(b, ids, 3, &fs, &err), 0);
	/* catalog order, each once, IDs case-insensitive */
	assert_int_equal(fs.n, 2);
	assert_string_equal(fs.items[0].check->id, "SNI-001");
	assert_string_equal(fs.items[1].check->id, "TLS-001");
	assert_non_null(findings_get(&fs, "TLS-001"));
	assert_null(findings_get(&fs, "SNI-002"));
	findings_release(&fs);
	bundle_free(b);
}

static void test_checks__run_empty_bundle(void **state)
{
	struct bundle *b = new_bundle();
	struct findings fs = { 0 };
	struct error err = ERROR_INIT;
	size_t n_all;

	(void)state;
	n_all = checks_count();
	assert_int_equal(checks_run(b, NULL, 0, &fs, &err), 0);
	assert_int_equal(fs.n, n_all);
	assert_int_equal(fs.collected_at, T0);
	for (size_t i = 0; i < fs.n; i++) {
		const struct finding *f = &fs.items[i];

		assert_int_equal(f->status, STATUS_SKIP);
		assert_int_equal(f->severity, f->check->severity);
		assert_non_null(f->summary);
		assert_non_null(f->missing);
		assert_non_null(f->collect_hint);
		assert_non_null(f->family);
		assert_true(strncmp(f->check->id, f->family->id, strlen(f->family->id)) == 0);
	}
	assert_int_equal(fs.n_warnings, 1);
	expect_warning(&fs.warnings[0], WARNING_COLLECTION_TIME,
	               "collection time 2026-01-01T00:00:00Z from the manifest", true);
	findings_release(&fs);
	bundle_free(b);
}

static void test_checks__run_warnings(void **state)
{
	struct bundle *b = new_bundle();
	struct findings fs = { 0 };
	struct error err = ERROR_INIT;
	struct artifact *a;

	(void)state;
	b->time_source = TIME_FROM_NEWEST_TIMESTAMP;
	a = add_artifact(b, "keys/tls.key");
	a->has_private_key = true;
	b->input_has_private_key = true;
	a = add_artifact(b, "routes.json");
	a->failed = true;
	a->error = strdup("invalid JSON at line 3, column 1: end of file expected");
	a->error_line = 3;
	assert_int_equal(checks_run(b, NULL, 0, &fs, &err), 0);
	assert_true(fs.input_has_private_key);
	assert_int_equal(fs.n_warnings, 3);
	expect_warning(&fs.warnings[0], WARNING_PRIVATE_KEY,
	               "the input contains a private key (keys/tls.key)", false);
	assert_string_equal(fs.warnings[0].path, "keys/tls.key");
	expect_warning(&fs.warnings[1], WARNING_UNREADABLE,
	               "1 member(s) could not be read: routes.json: invalid JSON at line 3, "
	               "column 1: end of file expected",
	               true);
	assert_int_equal(fs.warnings[1].count, 1);
	expect_warning(&fs.warnings[2], WARNING_COLLECTION_TIME,
	               "newest timestamp in the input (no manifest)", false);
	findings_release(&fs);
	bundle_free(b);
}

/* more members than are listed, members read in part, the item cap, no manifest */
static void test_checks__run_warnings_lists(void **state)
{
	struct bundle *b = new_bundle();
	struct findings fs = { 0 };
	struct error err = ERROR_INIT;
	char path[32];

	(void)state;
	b->time_source = TIME_FROM_ANALYSIS_CLOCK;
	b->model_capped = true;
	for (int i = 0; i < WARNING_MAX_MEMBERS + 5; i++) {
		struct artifact *a;

		snprintf(path, sizeof(path), "bad-%02d.json", i);
		a = add_artifact(b, path);
		a->failed = true;
	}
	add_artifact(b, "long.log")->error = strdup("lines over 64 KiB were cut");
	assert_int_equal(checks_run(b, NULL, 0, &fs, &err), 0);
	assert_int_equal(fs.n_warnings, 4);
	expect_warning(&fs.warnings[0], WARNING_ITEMS_CAPPED, "the input holds more than", false);
	expect_warning(&fs.warnings[1], WARNING_UNREADABLE,
	               "25 member(s) could not be read: bad-00.json: unreadable; ", false);
	expect_warning(&fs.warnings[1], WARNING_UNREADABLE,
	               "bad-19.json: unreadable; ... and 5 more", false);
	assert_int_equal(fs.warnings[1].count, WARNING_MAX_MEMBERS + 5);
	assert_int_equal(fs.warnings[1].n_members, WARNING_MAX_MEMBERS);
	expect_warning(&fs.warnings[2], WARNING_PARTIAL,
	               "1 member(s) were read only in part: long.log: lines over 64 KiB were cut",
	               true);
	expect_warning(&fs.warnings[3], WARNING_COLLECTION_TIME, "from the analysis clock", false);
	findings_release(&fs);
	bundle_free(b);
}

static void test_checks__findings_helpers(void **state)
{
	struct finding f = { 0 };
	struct findings fs = { 0 };

	(void)state;
	assert_string_equal(status_name(STATUS_ERROR), "error");
	assert_string_equal(status_name(STATUS_PASS), "pass");
	assert_string_equal(severity_name(SEVERITY_CRITICAL), "critical");
	assert_string_equal(severity_name(SEVERITY_INFO), "info");
	assert_string_equal(status_name((enum status)99), "invalid");
	for (int i = 0; i < FINDING_MAX_EVIDENCE + 5; i++)
		finding_evidence_at(&f, "a.log", (unsigned)i + 1, NULL, "x");
	assert_int_equal(f.n_evidence, FINDING_MAX_EVIDENCE);
	assert_int_equal(f.evidence_dropped, 5);
	finding_relate(&f, "SNI-001");
	finding_relate(&f, "SNI-001");
	assert_int_equal(f.related.n, 1);
	finding_skip(&f, "the thing", "get the thing");
	assert_string_equal(f.summary, "needs the thing");
	finding_set(&f, STATUS_FAIL, "%d problems", 3);
	assert_string_equal(f.summary, "3 problems");
	fs.items = malloc(sizeof(f));
	assert_non_null(fs.items);
	fs.items[0] = f;
	fs.n = 1;
	assert_null(findings_get(&fs, "SNI-001")); /* no check attached */
	findings_release(&fs);
}

/* ---- SNI ----------------------------------------------------------------------------- */

static const char *const H_API[] = { "api.example.com", NULL };
static const char *const H_STAR[] = { "*", NULL };
static const char *const G_NONSNI[] = { "non-sni", NULL };

static void test_checks__sni001(void **state)
{
	struct bundle *b = new_bundle();

	(void)state;
	expect(b, "SNI-001", STATUS_SKIP);
	add_artifact(b, "ingress.log")->failed = true;
	b->artifacts[0].hints = HINT_ACCESS_LOG;
	expect(b, "SNI-001", STATUS_ERROR);
	b->access.files = 1;
	b->access.entries = 10;
	expect(b, "SNI-001", STATUS_PASS);
	b->access.nonsni_reject = 3;
	b->access.distinct_remote = 2;
	snprintf(b->access.first_start, sizeof(b->access.first_start), "2025-05-19T04:46:20.117Z");
	snprintf(b->access.last_start, sizeof(b->access.last_start), "2025-05-19T04:50:00.000Z");
	where(&b->access.samples[0], "ingress.log", 7, "\"sni_host\": null");
	b->access.n_samples = 1;
	expect(b, "SNI-001", STATUS_FAIL);
	bundle_free(b);
}

static void test_checks__sni001_summary(void **state)
{
	struct bundle *b = new_bundle();
	struct findings fs = { 0 };
	const char *ids[] = { "SNI-001", NULL };
	const struct finding *f;

	(void)state;
	b->access.files = 1;
	b->access.nonsni_reject = 4;
	b->access.distinct_remote = 65536;
	b->access.distinct_capped = true;
	where(&b->access.samples[0], "ingress.log", 7, "x");
	b->access.n_samples = 1;
	f = run_ids(b, &fs, ids);
	assert_non_null(strstr(f->summary, "4 handshake(s)"));
	assert_non_null(strstr(f->summary, "at least 65536"));
	assert_string_equal(f->evidence[0].artifact, "ingress.log");
	assert_int_equal(f->evidence[0].line, 7);
	findings_release(&fs);
	bundle_free(b);
}

static void test_checks__sni002(void **state)
{
	struct bundle *b = new_bundle();
	struct sclient_trace *s;

	(void)state;
	expect(b, "SNI-002", STATUS_SKIP);
	add_probe(b, "10.0.0.5", NULL, PROBE_RESET, NULL);
	expect(b, "SNI-002", STATUS_FAIL); /* SNI probe not tried */
	add_probe(b, "10.0.0.5", "api.example.com", PROBE_OK, "aa");
	expect(b, "SNI-002", STATUS_FAIL); /* SNI works, no-SNI does not */
	bundle_free(b);

	b = new_bundle();
	add_probe(b, "10.0.0.5", NULL, PROBE_RESET, NULL);
	add_probe(b, "10.0.0.5", "api.example.com", PROBE_RESET, NULL);
	expect(b, "SNI-002", STATUS_WARN); /* broken for everyone */
	bundle_free(b);

	b = new_bundle();
	add_probe(b, "10.0.0.5", NULL, PROBE_OK, "aa");
	expect(b, "SNI-002", STATUS_PASS);
	bundle_free(b);

	b = new_bundle();
	add_probe(b, "10.0.0.5", NULL, PROBE_TIMEOUT, NULL);
	expect(b, "SNI-002", STATUS_SKIP); /* no verdict from a timeout */
	s = bundle_add_sclient(b);
	s->noservername = true;
	s->no_peer_cert = true;
	s->verify_code = 0;
	where(&s->where, "sclient.txt", 5, "no peer certificate available");
	expect(b, "SNI-002", STATUS_FAIL);
	bundle_free(b);

	b = new_bundle();
	s = bundle_add_sclient(b);
	s->noservername = true;
	s->got_cert = true;
	s->verify_code = 0;
	where(&s->where, "sclient.txt", 9, "Certificate chain");
	expect(b, "SNI-002", STATUS_PASS);
	bundle_free(b);
}

static void test_checks__sni003(void **state)
{
	struct bundle *b = new_bundle();
	const char *after001[] = { "SNI-001", "SNI-003", NULL };

	(void)state;
	expect(b, "SNI-003", STATUS_SKIP);
	add_route(b, "myorg-hyb-dev-grp-000-33620d0", NULL, TRI_ABSENT, NULL, "running");
	expect(b, "SNI-003", STATUS_SKIP); /* table only: no hostnames */
	bundle_free(b);

	b = new_bundle();
	add_route(b, "myorg-hyb-dev-grp-000-33620d0", H_API, TRI_ABSENT, NULL, "running");
	expect(b, "SNI-003", STATUS_WARN);
	b->access.files = 1;
	b->access.nonsni_reject = 1;
	where(&b->access.samples[0], "ingress.log", 1, "x");
	b->access.n_samples = 1;
	expect_after(b, after001, STATUS_FAIL);
	add_route(b, "unknown-route", NULL, TRI_ABSENT, NULL, "running");
	expect(b, "SNI-003", STATUS_SKIP); /* unknown-route could be the wildcard */
	add_route(b, "non-sni", H_STAR, TRI_TRUE, NULL, "running");
	expect(b, "SNI-003", STATUS_PASS);
	bundle_free(b);

	/* a curl to an IP literal that was reset also proves the symptom */
	b = new_bundle();
	add_route(b, "myorg-hyb-dev-grp-000-33620d0", H_API, TRI_ABSENT, NULL, "running");
	add_curl(b, CURL_SYM_RESET, 35)->ip_literal = true;
	expect(b, "SNI-003", STATUS_FAIL);
	bundle_free(b);
}

static void test_checks__sni004(void **state)
{
	struct bundle *b = new_bundle();
	struct route *r;

	(void)state;
	expect(b, "SNI-004", STATUS_SKIP);
	add_route(b, "myorg-hyb-dev-grp-000-33620d0", H_API, TRI_ABSENT, NULL, "running");
	expect(b, "SNI-004", STATUS_PASS); /* no wildcard: nothing to enable (SNI-003) */
	r = add_route(b, "non-sni", H_STAR, TRI_FALSE, NULL, "running");
	expect(b, "SNI-004", STATUS_FAIL);
	r->non_sni = TRI_OTHER;
	r->non_sni_raw = strdup("\"true\"");
	expect(b, "SNI-004", STATUS_FAIL);
	r->non_sni = TRI_TRUE;
	expect(b, "SNI-004", STATUS_PASS);
	bundle_free(b);
}

static void test_checks__sni005(void **state)
{
	struct bundle *b = new_bundle();
	struct vhost *v;

	(void)state;
	add_route(b, "non-sni", H_STAR, TRI_TRUE, NULL, "running");
	expect(b, "SNI-005", STATUS_SKIP); /* no overrides */
	v = add_vhost(b, "dev-grp", NULL);
	expect(b, "SNI-005", STATUS_FAIL);
	assert_int_equal(strv_push(&v->additional_gateways, "non-sni"), 0);
	expect(b, "SNI-005", STATUS_PASS);
	add_vhost(b, "prod-grp", NULL);
	expect(b, "SNI-005", STATUS_WARN);
	bundle_free(b);
}

static void test_checks__sni006(void **state)
{
	struct bundle *b = new_bundle();
	struct route *r;
	struct route_config *rc;

	(void)state;
	expect(b, "SNI-006", STATUS_SKIP);
	add_route(b, "non-sni", H_STAR, TRI_TRUE, NULL, "running");
	r = add_route(b, "myorg-hyb-dev-grp-000-33620d0", H_API, TRI_ABSENT, NULL, "running");
	add_route(b, "myorg-hyb-dev-grp2-000-1234567", H_API, TRI_ABSENT, NULL, "running");
	add_vhost(b, "dev-grp", G_NONSNI);
	/* dev-grp2 has the same host name but is matched by name only when the name
	 * matches: the by-name route of dev-grp lacks the gateway */
	expect(b, "SNI-006", STATUS_FAIL);
	assert_int_equal(strv_push(&r->additional_gateways, "non-sni"), 0);
	expect(b, "SNI-006", STATUS_PASS);
	bundle_free(b);

	/* kustomize installs: the ApigeeRouteConfig carries the gateway */
	b = new_bundle();
	b->overrides.org = strdup("myorg");
	add_route(b, "myorg-hyb-dev-grp-000-33620d0", H_API, TRI_ABSENT, NULL, "running");
	add_vhost(b, "dev-grp", G_NONSNI);
	rc = bundle_add_route_config(b);
	rc->name = strdup("myorg-dev-grp");
	assert_int_equal(strv_push(&rc->additional_gateways, "non-sni"), 0);
	expect(b, "SNI-006", STATUS_PASS);
	bundle_free(b);

	/* no virtual host lists gateways */
	b = new_bundle();
	add_vhost(b, "dev-grp", NULL);
	expect(b, "SNI-006", STATUS_PASS);
	bundle_free(b);
}

static void test_checks__sni007(void **state)
{
	struct bundle *b = new_bundle();
	struct route *r;

	(void)state;
	expect(b, "SNI-007", STATUS_SKIP);
	r = add_route(b, "myorg-hyb-dev-grp-000-33620d0", NULL, TRI_ABSENT, NULL, "running");
	expect(b, "SNI-007", STATUS_PASS);
	free(r->state);
	r->state = strdup("creating");
	expect(b, "SNI-007", STATUS_WARN);
	add_route(b, "non-sni", H_STAR, TRI_TRUE, NULL, "Releasing");
	expect(b, "SNI-007", STATUS_FAIL);
	bundle_free(b);
}

/* ---- TLS ----------------------------------------------------------------------------- */

static const char *const SAN_API[] = { "api.example.com", NULL };
static const char *const SAN_WILD[] = { "*.example.com", NULL };
static const char *const SAN_OTHER[] = { "other.example.org", NULL };

static void test_checks__tls001(void **state)
{
	struct bundle *b = new_bundle();

	(void)state;
	expect(b, "TLS-001", STATUS_SKIP);
	b->watcher.files = 1;
	expect(b, "TLS-001", STATUS_PASS);
	bundle_watcher_missing(b, "myorg-dev-grp", 13, "watcher.log", 4,
	                       "NOT_FOUND: failed to get secret");
	expect(b, "TLS-001", STATUS_FAIL);
	/* the secret is back in the listing: the log predates its re-creation */
	b->secrets_listed = true;
	assert_non_null(bundle_secret(b, "myorg-dev-grp"));
	expect(b, "TLS-001", STATUS_WARN);
	bundle_free(b);

	/* overrides name the secret ORG-VHOST, the listing lacks it */
	b = new_bundle();
	b->secrets_listed = true;
	b->overrides.org = strdup("myorg");
	assert_non_null(bundle_secret(b, "default-token"));
	add_vhost(b, "dev-grp", NULL);
	expect(b, "TLS-001", STATUS_FAIL);
	assert_non_null(bundle_secret(b, "myorg-dev-grp"));
	expect(b, "TLS-001", STATUS_PASS);
	bundle_free(b);
}

static void test_checks__tls002(void **state)
{
	struct bundle *b = new_bundle();
	struct cert_rec *c;

	(void)state;
	expect(b, "TLS-002", STATUS_SKIP);
	add_cert(b, CERT_ROLE_VHOST, "dev-grp", "aa", SAN_API, T0 - DAY, T0 + 365 * DAY);
	expect(b, "TLS-002", STATUS_PASS);
	c = add_cert(b, CERT_ROLE_LOOSE, NULL, "bb", SAN_API, T0 - DAY, T0 + 365 * DAY);
	c->error = PEM_ERR_NO_PEM;
	c->error_text = strdup("DER-encoded certificate, not PEM");
	expect(b, "TLS-002", STATUS_WARN); /* DER handed in loose */
	c = bundle_add_cert(b);
	c->role = CERT_ROLE_SECRET;
	c->owner = strdup("myorg-dev-grp");
	c->file = strdup("cert");
	c->error = PEM_ERR_BAD_END_LINE;
	c->error_text = strdup("bad end line");
	where(&c->where, "secrets.json", 0, "bad end line");
	expect(b, "TLS-002", STATUS_FAIL);
	bundle_free(b);
}

static void test_checks__tls003(void **state)
{
	struct bundle *b = new_bundle();
	struct cert_rec *c;

	(void)state;
	expect(b, "TLS-003", STATUS_SKIP);
	c = add_cert(b, CERT_ROLE_VHOST, "dev-grp", "aa", SAN_API, T0 - DAY, T0 + 365 * DAY);
	c->key_state = KEYSTATE_OK;
	c->key_match = 1;
	expect(b, "TLS-003", STATUS_PASS);
	c = add_cert(b, CERT_ROLE_SECRET, "myorg-prod", "bb", SAN_API, T0 - DAY, T0 + 365 * DAY);
	c->key_state = KEYSTATE_OK;
	c->key_match = 0;
	expect(b, "TLS-003", STATUS_FAIL);
	bundle_free(b);
}

static void test_checks__tls004(void **state)
{
	struct bundle *b = new_bundle();
	struct cert_rec *c;
	struct key_rec *k;

	(void)state;
	expect(b, "TLS-004", STATUS_SKIP);
	c = add_cert(b, CERT_ROLE_VHOST, "dev-grp", "aa", SAN_API, T0 - DAY, T0 + 365 * DAY);
	c->key_state = KEYSTATE_OK;
	expect(b, "TLS-004", STATUS_PASS);
	k = bundle_add_key(b);
	k->facts.status = PEM_ERR_BAD_BASE64;
	k->error_text = strdup("bad base64 decode");
	where(&k->where, "keys/bad.key", 1, "PRIVATE KEY");
	expect(b, "TLS-004", STATUS_FAIL);
	bundle_free(b);

	b = new_bundle();
	c = add_cert(b, CERT_ROLE_SECRET, "myorg-dev-grp", "aa", SAN_API, T0 - DAY, T0 + 365 * DAY);
	c->key_state = KEYSTATE_BAD;
	c->key_error = PEM_ERR_ENCRYPTED;
	expect(b, "TLS-004", STATUS_FAIL);
	bundle_free(b);
}

static void test_checks__tls005(void **state)
{
	struct bundle *b = new_bundle();
	struct cert_rec *c;

	(void)state;
	expect(b, "TLS-005", STATUS_SKIP);
	c = add_cert(b, CERT_ROLE_VHOST, "dev-grp", "aa", SAN_API, T0 - DAY, T0 + 365 * DAY);
	expect(b, "TLS-005", STATUS_PASS);
	c->facts.not_after = T0 + 7 * DAY;
	expect(b, "TLS-005", STATUS_WARN);
	c->facts.not_after = T0 - DAY;
	expect(b, "TLS-005", STATUS_FAIL);
	c->facts.not_before = T0 + DAY;
	c->facts.not_after = T0 + 365 * DAY;
	expect(b, "TLS-005", STATUS_FAIL); /* not yet valid */
	bundle_free(b);
}

static void test_checks__tls006(void **state)
{
	struct bundle *b = new_bundle();
	struct api_envgroup *g;
	struct route *r;

	(void)state;
	expect(b, "TLS-006", STATUS_SKIP);
	g = bundle_envgroup(b, "dev-grp");
	assert_int_equal(strv_push(&g->hostnames, "api.example.com"), 0);
	expect(b, "TLS-006", STATUS_SKIP); /* host names but no certificate */
	add_cert(b, CERT_ROLE_VHOST, "dev-grp", "aa", SAN_WILD, T0 - DAY, T0 + 365 * DAY);
	expect(b, "TLS-006", STATUS_PASS); /* *.example.com covers one label */
	assert_int_equal(strv_push(&g->hostnames, "a.b.example.com"), 0);
	expect(b, "TLS-006", STATUS_FAIL); /* but not two */
	bundle_free(b);

	/* a secret's certificate against the routes that name it */
	b = new_bundle();
	r = add_route(b, "myorg-hyb-dev-grp-000-33620d0", H_API, TRI_ABSENT, NULL, "running");
	assert_int_equal(strv_push(&r->credential_names, "myorg-dev-grp"), 0);
	add_cert(b, CERT_ROLE_SECRET, "myorg-dev-grp", "aa", SAN_OTHER, T0 - DAY, T0 + 365 * DAY);
	expect(b, "TLS-006", STATUS_FAIL);
	bundle_free(b);
}

static void test_checks__tls007(void **state)
{
	struct bundle *b = new_bundle();
	struct probe *p;

	(void)state;
	expect(b, "TLS-007", STATUS_SKIP);
	add_cert(b, CERT_ROLE_VHOST, "dev-grp", "aa", SAN_API, T0 - DAY, T0 + 365 * DAY);
	add_cert(b, CERT_ROLE_SERVED, "api.example.com", "aa", SAN_API, T0 - DAY, T0 + 365 * DAY);
	p = add_probe(b, "10.0.0.5", "api.example.com", PROBE_OK, "aa");
	expect(b, "TLS-007", STATUS_PASS);
	snprintf(p->leaf_sha256, sizeof(p->leaf_sha256), "%s", "cc");
	add_cert(b, CERT_ROLE_SERVED, "api.example.com", "cc", SAN_API, T0 - DAY, T0 + 365 * DAY);
	expect(b, "TLS-007", STATUS_FAIL);
	bundle_free(b);
}

static void test_checks__tls008(void **state)
{
	struct bundle *b = new_bundle();
	struct probe *p;

	(void)state;
	expect(b, "TLS-008", STATUS_SKIP);
	/* the class is decided in ingest; the check reads only verify_class */
	p = add_probe(b, "10.0.0.5", "api.example.com", PROBE_OK, "aa");
	p->verify_ok = 1;
	p->verify_class = VERIFY_OK;
	expect(b, "TLS-008", STATUS_PASS);
	p = add_probe(b, "10.0.0.6", "api.example.com", PROBE_OK, "aa");
	p->verify_ok = 0;
	p->verify_code = 62;
	p->verify_error = strdup("hostname mismatch");
	p->verify_class = VERIFY_HOST_MISMATCH;
	expect(b, "TLS-008", STATUS_WARN); /* TLS-006's business */
	p = add_probe(b, "10.0.0.7", "api.example.com", PROBE_OK, "aa");
	p->verify_ok = 0;
	p->verify_code = 19;
	p->verify_error = strdup("self-signed certificate in certificate chain");
	p->verify_class = VERIFY_UNTRUSTED_ROOT;
	expect(b, "TLS-008", STATUS_WARN); /* a private root, default trust: not a broken chain */
	p = add_probe(b, "10.0.0.8", "api.example.com", PROBE_OK, "aa");
	p->verify_ok = 0;
	p->verify_code = 21;
	p->verify_error = strdup("unable to verify the first certificate");
	p->verify_class = VERIFY_MISSING_ISSUER;
	expect(b, "TLS-008", STATUS_FAIL);
	bundle_free(b);

	/* a private CA: the run without the CA fails (19), s_client -CAfile verifies */
	b = new_bundle();
	{
		struct sclient_trace *s = bundle_add_sclient(b);

		assert_non_null(s);
		s->got_cert = true;
		s->verify_code = 19;
		s->verify_class = VERIFY_UNTRUSTED_ROOT;
		s->trust = TRUST_DEFAULT;
		snprintf(s->host, sizeof(s->host), "%s", "api.example.com");
		expect(b, "TLS-008", STATUS_WARN);
		s = bundle_add_sclient(b);
		assert_non_null(s);
		s->got_cert = true;
		s->verify_code = 0;
		s->verify_class = VERIFY_OK;
		s->trust = TRUST_CA_GIVEN;
		snprintf(s->host, sizeof(s->host), "%s", "api.example.com");
		expect(b, "TLS-008", STATUS_PASS);
		/* the same chain failing with the CA given is broken */
		s = bundle_add_sclient(b);
		assert_non_null(s);
		s->got_cert = true;
		s->verify_code = 20;
		s->verify_class = VERIFY_MISSING_ISSUER;
		s->trust = TRUST_CA_GIVEN;
		snprintf(s->host, sizeof(s->host), "%s", "api.example.com");
		expect(b, "TLS-008", STATUS_FAIL);
	}
	bundle_free(b);
}

/* ---- XLB ----------------------------------------------------------------------------- */

static void test_checks__xlb009(void **state)
{
	struct bundle *b = new_bundle();
	struct api_instance *in;

	(void)state;
	expect(b, "XLB-009", STATUS_SKIP);
	b->org.seen = true;
	assert_int_equal(strv_push(&b->org.environments, "dev"), 0);
	assert_int_equal(strv_push(&b->org.environments, "prod"), 0);
	expect(b, "XLB-009", STATUS_SKIP); /* no attachments */
	in = bundle_instance(b, "us-west1");
	in->attachments_known = true;
	assert_int_equal(strv_push(&in->attached_envs, "dev"), 0);
	assert_int_equal(strv_push(&in->attached_envs, "prod"), 0);
	where(&in->attachments_where, "api/instances/us-west1/attachments.json", 0, NULL);
	expect(b, "XLB-009", STATUS_PASS);
	in = bundle_instance(b, "europe-west1");
	in->attachments_known = true;
	assert_int_equal(strv_push(&in->attached_envs, "dev"), 0);
	where(&in->attachments_where, "api/instances/europe-west1/attachments.json", 0, NULL);
	expect(b, "XLB-009", STATUS_FAIL);
	{
		struct findings fs = { 0 };
		const char *ids[] = { "XLB-009", NULL };
		const struct finding *f = run_ids(b, &fs, ids);

		assert_non_null(strstr(f->evidence[0].excerpt, "europe-west1"));
		assert_non_null(strstr(f->evidence[0].excerpt, "missing prod"));
		assert_non_null(strstr(f->evidence[0].excerpt, "attached: dev"));
		findings_release(&fs);
	}
	bundle_free(b);
}

static void test_checks__xlb_skips_and_004(void **state)
{
	struct bundle *b = new_bundle();
	static const char *const skips[] = { "XLB-001", "XLB-002", "XLB-003", "XLB-004",
		                             "XLB-005", "XLB-006", "XLB-007", "XLB-008" };

	(void)state;
	for (size_t i = 0; i < ELEMENTSOF(skips); i++)
		expect(b, skips[i], STATUS_SKIP);
	add_curl(b, CURL_SYM_HTTP502, 0)->gfe_error_page = true;
	expect(b, "XLB-004", STATUS_FAIL);
	bundle_free(b);
}

/* ---- CURL ---------------------------------------------------------------------------- */

static void test_checks__curl(void **state)
{
	static const struct {
		const char *id;
		unsigned symptom;
		const char *related;
	} cases[] = {
		{ "CURL-001", CURL_SYM_RESET, "SNI-003" },
		{ "CURL-002", CURL_SYM_ALERT, "TLS-002" },
		{ "CURL-003", CURL_SYM_VERIFY, "TLS-005" },
		{ "CURL-004", CURL_SYM_HTTP502, "XLB-004" },
		{ "CURL-005", CURL_SYM_HTTP503, "XLB-009" },
		{ "CURL-006", CURL_SYM_HTTP403_404, "XLB-003" },
		{ "CURL-007", CURL_SYM_CONNECT, NULL },
	};

	(void)state;
	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		struct bundle *b = new_bundle();
		struct findings fs = { 0 };
		const char *ids[] = { cases[i].id, NULL };
		const struct finding *f;

		expect(b, cases[i].id, STATUS_SKIP);
		add_curl(b, CURL_SYM_OK, 0);
		expect(b, cases[i].id, STATUS_PASS);
		add_curl(b, cases[i].symptom, 35);
		expect(b, cases[i].id, STATUS_FAIL);
		f = run_ids(b, &fs, ids);
		if (cases[i].related)
			assert_true(strv_contains(&f->related, cases[i].related));
		else
			assert_int_equal(f->related.n, 0);
		if (cases[i].symptom == CURL_SYM_CONNECT)
			assert_non_null(strstr(f->summary, "not a TLS problem: the client could "
			                                   "not connect ("));
		findings_release(&fs);
		bundle_free(b);
	}
}

static void test_checks__curl_sclient(void **state)
{
	struct bundle *b = new_bundle();
	struct sclient_trace *s;

	(void)state;
	s = bundle_add_sclient(b);
	s->alert = strdup("handshake failure");
	s->verify_code = -1;
	where(&s->where, "sclient.txt", 3, "sslv3 alert handshake failure");
	expect(b, "CURL-002", STATUS_FAIL);
	expect(b, "CURL-001", STATUS_PASS);
	expect(b, "CURL-004", STATUS_SKIP); /* s_client shows no HTTP status */
	bundle_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_checks__registry_families),
		cmocka_unit_test(test_checks__registry_rows),
		cmocka_unit_test(test_checks__name_helpers),
		cmocka_unit_test(test_checks__run_unknown_id),
		cmocka_unit_test(test_checks__run_selection),
		cmocka_unit_test(test_checks__run_empty_bundle),
		cmocka_unit_test(test_checks__run_warnings),
		cmocka_unit_test(test_checks__run_warnings_lists),
		cmocka_unit_test(test_checks__findings_helpers),
		cmocka_unit_test(test_checks__sni001),
		cmocka_unit_test(test_checks__sni001_summary),
		cmocka_unit_test(test_checks__sni002),
		cmocka_unit_test(test_checks__sni003),
		cmocka_unit_test(test_checks__sni004),
		cmocka_unit_test(test_checks__sni005),
		cmocka_unit_test(test_checks__sni006),
		cmocka_unit_test(test_checks__sni007),
		cmocka_unit_test(test_checks__tls001),
		cmocka_unit_test(test_checks__tls002),
		cmocka_unit_test(test_checks__tls003),
		cmocka_unit_test(test_checks__tls004),
		cmocka_unit_test(test_checks__tls005),
		cmocka_unit_test(test_checks__tls006),
		cmocka_unit_test(test_checks__tls007),
		cmocka_unit_test(test_checks__tls008),
		cmocka_unit_test(test_checks__xlb009),
		cmocka_unit_test(test_checks__xlb_skips_and_004),
		cmocka_unit_test(test_checks__curl),
		cmocka_unit_test(test_checks__curl_sclient),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
