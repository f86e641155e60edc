/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for analyze/report*.c: every format rendered from hand-made findings
 * into memory, checking structure, diagnosis order, escaping of hostile text for
 * each format, colour only when asked, and that the JSON parses back with every
 * key; plus the check catalog. */
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
#include "findings.h"
#include "model.h"
#include "report.h"
#include "report_impl.h"
#include "banned.h"

/* A small fake catalog: one symptom and causes of each family. */
static const struct check fake_checks[] = {
	{ "SNI-003", "No wildcard ApigeeRoute exists", "A wildcard ApigeeRoute exists",
	  SEVERITY_MEDIUM, "ApigeeRoute list", "create a wildcard route", "000_seed.txt",
	  "kubectl -n apigee get apigeeroutes -o json", NULL },
	{ "SNI-004", "Wildcard route does not enable non-SNI clients",
	  "The wildcard route enables them", SEVERITY_HIGH, "ApigeeRoute list",
	  "set enableNonSniClient: true on the wildcard route", "000_seed.txt",
	  "kubectl -n apigee get apigeeroutes -o json", NULL },
	{ "TLS-005", "Certificate expired | or *not* yet valid", "Every certificate is valid",
	  SEVERITY_CRITICAL, "certificates", "renew the certificate", "001_seed.txt",
	  "--overrides FILE", NULL },
	{ "XLB-003", "Cloud Armor denied requests", "Cloud Armor denied no request", SEVERITY_LOW,
	  "load balancer logs", "review the policy", "002_4cec95510c21cd8a.txt, 002_seed.txt",
	  "--project ID", NULL },
	{ "XLB-009", "An environment is not attached to an instance",
	  "Every environment is attached", SEVERITY_HIGH, "instances API", "attach the environment",
	  "002_seed.txt", NULL, NULL },
	{ "CURL-001", "Connection reset during the TLS handshake", "No reset", SEVERITY_HIGH,
	  "curl -v output", "see the causes", "000_seed.txt", "--attach curl-v.txt", NULL },
};

/* Their families; the symptom family is last, as in the registry. */
static const struct check_family fake_families[] = {
	{ "SNI", "SNI", "connection reset for non-SNI clients", false, NULL },
	{ "TLS", "TLS", "API calls fail with TLS errors", false, NULL },
	{ "XLB", "Apigee X", "external clients cannot reach Apigee", false, NULL },
	{ "CURL", "Client", "the client-side symptom", true, NULL },
};

static const struct check_family *fake_family(const struct check *c)
{
	for (size_t i = 0; i < sizeof(fake_families) / sizeof(fake_families[0]); i++)
		if (strncmp(c->id, fake_families[i].id, strlen(fake_families[i].id)) == 0)
			return &fake_families[i];
	return NULL;
}

enum {
	I_SNI3,
	I_SNI4,
	I_TLS5,
	I_XLB3,
	I_XLB9,
	I_CURL1,
	N_FAKE
};

struct fixture {
	struct findings fs;
	struct bundle b;
	struct artifact arts[4];
};

static void fill(struct fixture *fx)
{
	struct findings *fs = &fx->fs;
	struct finding *f;
	struct warning *w;

	memset(fx, 0, sizeof(*fx));
	fs->items = calloc(N_FAKE, sizeof(*fs->items));
	assert_non_null(fs->items);
	fs->n = N_FAKE;
	for (size_t i = 0; i < N_FAKE; i++) {
		fs->items[i].check = &fake_checks[i];
		fs->items[i].family = fake_family(&fake_checks[i]);
		fs->items[i].severity = fake_checks[i].severity;
		fs->items[i].status = STATUS_SKIP;
	}
	fs->collected_at = 1767225600; /* 2026-01-01T00:00:00Z */
	fs->time_source = TIME_FROM_MANIFEST;

	/* SNI-003 passes */
	finding_set(&fs->items[I_SNI3], STATUS_PASS, "a wildcard route exists: non-sni");

	/* SNI-004 fails, with hostile text in summary and evidence */
	f = &fs->items[I_SNI4];
	finding_set(f, STATUS_FAIL,
	            "route non-sni has enableNonSniClient false \x1b[31mred\x1b[0m");
	finding_evidence_at(f, "k8s/apigeeroutes.json", 0, "/items/1/spec",
	                    "\"enableNonSniClient\": false");
	finding_evidence_at(f, "logs/ingress.log", 12, NULL, "sni=- ``` `tick` <b>&amp;</b>");
	finding_evidence_at(f,
	                    "bad\xff"
	                    "name.txt",
	                    3, NULL,
	                    "\xe2\x80\xae"
	                    "reversed");
	f->evidence_dropped = 4;
	finding_note(f, "note with | pipe and # hash");

	/* TLS-005 warns, critical severity; its title has markdown syntax */
	f = &fs->items[I_TLS5];
	finding_set(f, STATUS_WARN, "certificate for api.example.test expires in 7 days");
	finding_evidence_at(f, "certs/api.pem", 1, NULL, NULL);

	/* XLB-003 fails with low severity: ranked after fail/high, before the warn */
	f = &fs->items[I_XLB3];
	finding_set(f, STATUS_FAIL, "<script>alert(1)</script> 3 requests denied");
	finding_evidence_at(f, "gcp/lb-logs.json", 0, "/0/jsonPayload", "DENY");

	/* XLB-009 skips with an explicit missing input and no command */
	finding_skip(&fs->items[I_XLB9], "instance attachments", NULL);

	/* CURL-001 fails and points to SNI-004 and a check that did not run */
	f = &fs->items[I_CURL1];
	finding_set(f, STATUS_FAIL, "curl: (35) Recv failure: Connection reset by peer");
	finding_evidence_at(f, "attachments/curl-v.txt", 9, NULL, "* Recv failure");
	finding_relate(f, "SNI-004");
	finding_relate(f, "TLS-001");

	w = findings_add_warning(fs, WARNING_UNREADABLE);
	assert_non_null(w);
	assert_int_equal(warning_add_member(w, "logs/broken.json", "bad \x07 JSON"), 0);

	fx->b.input = (char *)"bundle.tar.gz";
	fx->b.is_collected = true;
	fx->b.tool_version = (char *)"0.0.9";
	fx->b.artifacts = fx->arts;
	fx->b.n_artifacts = 3;
	fx->arts[0].path = (char *)"manifest.json";
	fx->arts[0].kind = ART_MANIFEST;
	fx->arts[1].path = (char *)"k8s/apigeeroutes.json";
	fx->arts[1].kind = ART_K8S_JSON;
	fx->arts[2].path = (char *)"logs/broken.json";
	fx->arts[2].kind = ART_UNKNOWN;
	fx->arts[2].failed = true;
	fx->b.collected_at = fs->collected_at;
	fx->b.time_source = TIME_FROM_MANIFEST;
}

static int setup(void **state)
{
	struct fixture *fx = malloc(sizeof(*fx));

	if (!fx)
		return -1;
	fill(fx);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	findings_release(&fx->fs);
	free(fx);
	return 0;
}

/* Render with ro into a NUL-terminated string (caller frees). */
static char *render_opts(const struct fixture *fx, const struct report_options *ro,
                         bool with_bundle)
{
	char *data = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&data, &len);

	assert_non_null(f);
	assert_int_equal(report_write(f, with_bundle ? &fx->b : NULL, &fx->fs, ro), 0);
	assert_int_equal(fclose(f), 0);
	assert_non_null(data);
	assert_int_equal(strlen(data), len);
	return data;
}

/* Render into a NUL-terminated string (caller frees). */
static char *render(const struct fixture *fx, enum report_format fmt, bool color, bool with_bundle)
{
	/* 100 columns: the content tests need not follow the wrapping (test_report__text_width
	 * does) */
	struct report_options ro = {
		.format = fmt, .color = color, .input = "bundle.tar.gz", .width = 100
	};
	char *data = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&data, &len);

	assert_non_null(f);
	assert_int_equal(report_write(f, with_bundle ? &fx->b : NULL, &fx->fs, &ro), 0);
	assert_int_equal(fclose(f), 0);
	assert_non_null(data);
	assert_int_equal(strlen(data), len);
	return data;
}

static const char *after(const char *hay, const char *needle)
{
	const char *p = hay ? strstr(hay, needle) : NULL;

	if (!p) {
		fail_msg("'%s' not found in output:\n%s", needle, hay ? hay : "(none)");
		return "";
	}
	return p;
}

static void test_report__format_names(void **state)
{
	(void)state;
	assert_int_equal(report_format_from_name("text"), REPORT_TEXT);
	assert_int_equal(report_format_from_name("json"), REPORT_JSON);
	assert_int_equal(report_format_from_name("markdown"), REPORT_MARKDOWN);
	assert_int_equal(report_format_from_name("md"), REPORT_MARKDOWN);
	assert_int_equal(report_format_from_name("HTML"), REPORT_HTML);
	assert_int_equal(report_format_from_name("xml"), REPORT__INVALID);
	assert_int_equal(report_format_from_name(""), REPORT__INVALID);
	assert_int_equal(report_format_from_name(NULL), REPORT__INVALID);
}

static void test_report__escape(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	/* control bytes, invalid UTF-8, C1 and bidi controls become \xNN; tabs spaces */
	assert_int_equal(report_escape(&b,
	                               "a\x1b[1m\tb\xff\xc2\x9b\xe2\x80\xae"
	                               "c\xc3\xa9",
	                               ESC_TEXT),
	                 0);
	assert_string_equal(b.data, "a\\x1b[1m b\\xff\\xc2\\x9b\\xe2\\x80\\xaec\xc3\xa9");
	buf_reset(&b);
	/* overlong encodings and surrogates are not UTF-8 */
	assert_int_equal(report_escape(&b, "\xc0\xaf\xed\xa0\x80", ESC_TEXT), 0);
	assert_string_equal(b.data, "\\xc0\\xaf\\xed\\xa0\\x80");
	buf_reset(&b);
	assert_int_equal(report_escape(&b, "<a href='x'>&\"", ESC_HTML), 0);
	assert_string_equal(b.data, "&lt;a href=&#39;x&#39;&gt;&amp;&quot;");
	buf_reset(&b);
	assert_int_equal(report_escape(&b, "*a* _b_ `c` [d](e) <f> | # x-y", ESC_MD), 0);
	/* only what markdown would read as syntax there: no stray backslashes */
	assert_string_equal(b.data, "\\*a\\* \\_b\\_ \\`c\\` \\[d\\](e) \\<f> | # x-y");
	buf_reset(&b);
	assert_int_equal(report_escape(&b, "items[].spec [x] [y]: a", ESC_MD), 0);
	assert_string_equal(b.data, "items[].spec \\[x] \\[y\\]: a");
	buf_reset(&b);
	assert_int_equal(report_escape(&b, "# h", ESC_MD), 0);
	assert_string_equal(b.data, "\\# h");
	buf_reset(&b);
	assert_int_equal(report_escape(&b, "> q", ESC_MD), 0);
	assert_string_equal(b.data, "\\> q");
	buf_reset(&b);
	assert_int_equal(report_escape(&b, "a & b &amp; &#1; ![i] ! ~~s~~ ~", ESC_MD), 0);
	assert_string_equal(b.data, "a & b \\&amp; \\&#1; \\!\\[i] ! \\~\\~s\\~\\~ ~");
	buf_reset(&b);
	assert_int_equal(report_escape(&b, "a | *b*", ESC_MD_TABLE), 0);
	assert_string_equal(b.data, "a \\| \\*b\\*");
	buf_reset(&b);
	/* "_" inside a word is never emphasis: left alone */
	assert_int_equal(report_escape(&b, "filter_chain_not_found _x_ a_ _b", ESC_MD), 0);
	assert_string_equal(b.data, "filter_chain_not_found \\_x\\_ a\\_ \\_b");
	buf_reset(&b);
	/* block syntax only at the start */
	assert_int_equal(report_escape(&b, "- item", ESC_MD), 0);
	assert_string_equal(b.data, "\\- item");
	buf_reset(&b);
	assert_int_equal(report_escape(&b, "12. x 3.4", ESC_MD), 0);
	assert_string_equal(b.data, "12\\. x 3.4");
	buf_reset(&b);
	assert_int_equal(report_escape(&b, "a|b`c", ESC_MD_CELL), 0);
	assert_string_equal(b.data, "a\\|b`c");
	buf_reset(&b);
	assert_int_equal(report_escape(&b, "", ESC_TEXT), 0);
	assert_string_equal(b.data, "");
	buf_release(&b);

	assert_int_equal(report_backtick_run("a ``` b `` c"), 3);
	assert_int_equal(report_backtick_run(NULL), 0);
	assert_int_equal(report_text_width("\xc3\xa9t\xc3\xa9"), 3);
	assert_int_equal(report_text_width("\x01"), 4);
}

static void test_report__view_order(void **state)
{
	struct fixture *fx = *state;
	struct report_options ro = { .format = REPORT_TEXT };
	struct report_view v;

	assert_int_equal(report_view_init(&v, &fx->b, &fx->fs, &ro), 0);
	assert_int_equal(v.n_symptoms, 1);
	assert_string_equal(report_check_id(v.symptoms[0]), "CURL-001");
	assert_int_equal(v.n_causes, 3);
	/* fail/high (linked to the symptom), fail/low, then warn/critical */
	assert_string_equal(report_check_id(v.causes[0]), "SNI-004");
	assert_string_equal(report_check_id(v.causes[1]), "XLB-003");
	assert_string_equal(report_check_id(v.causes[2]), "TLS-005");
	assert_int_equal(v.counts[STATUS_FAIL], 3);
	assert_int_equal(v.counts[STATUS_WARN], 1);
	assert_int_equal(v.counts[STATUS_PASS], 1);
	assert_int_equal(v.counts[STATUS_SKIP], 1);
	assert_int_equal(v.n_collect, 1);
	assert_string_equal(v.collect[0].checks.v[0], "XLB-009");
	assert_string_equal(v.collect[0].missing.v[0], "instance attachments");
	assert_null(v.collect[0].command);
	assert_string_equal(v.collected_at, "2026-01-01T00:00:00Z");
	assert_string_equal(v.time_source, "manifest");
	/* the runner's warning already names the unreadable member: not repeated */
	assert_int_equal(v.warnings.n, 1);
	assert_int_equal(v.n_unreadable, 1);
	report_view_release(&v);

	/* the symptom link decides between two fails of equal severity */
	fx->fs.items[I_XLB3].severity = SEVERITY_HIGH;
	fx->fs.items[I_SNI4].severity = SEVERITY_HIGH;
	strv_release(&fx->fs.items[I_CURL1].related);
	finding_relate(&fx->fs.items[I_CURL1], "XLB-003");
	assert_int_equal(report_view_init(&v, NULL, &fx->fs, &ro), 0);
	assert_string_equal(report_check_id(v.causes[0]), "XLB-003");
	assert_string_equal(report_check_id(v.causes[1]), "SNI-004");
	assert_string_equal(v.input, "-");
	report_view_release(&v);
}

static void test_report__text(void **state)
{
	struct fixture *fx = *state;
	char *out = render(fx, REPORT_TEXT, false, true);
	const char *p;

	assert_null(strchr(out, '\x1b'));
	assert_null(strchr(out, '\x07'));
	after(out, "Input:      bundle.tar.gz");
	after(out,
	      "collected by apigee-bundle 0.0.9, 3 artifacts (manifest 1, kubernetes-objects 1)");
	after(out, "Collected:  2026-01-01T00:00:00Z (from the bundle manifest)");
	/* diagnosis: symptom, where it points, then causes strongest first */
	p = after(out, "Diagnosis");
	p = after(p, "Symptom:");
	p = after(p, "CURL-001 Connection reset during the TLS handshake — curl: (35)");
	p = after(p, "points to: SNI-004 (fail), TLS-001 (not run)");
	p = after(p, "Likely causes, strongest first:");
	p = after(p, "1. [FAIL]  SNI-004 Wildcard route");
	p = after(p, "2. [FAIL]  XLB-003");
	p = after(p, "3. [WARN]  TLS-005");
	/* every check grouped by family, with evidence and remediation */
	p = after(p, "SNI — connection reset for non-SNI clients");
	/* a pass reads as the pass sentence, a fail as the fault */
	p = after(p, "[PASS]  SNI-003  A wildcard ApigeeRoute exists\n");
	p = after(p, "[FAIL]  SNI-004");
	p = after(p, "enableNonSniClient false \\x1b[31mred\\x1b[0m");
	p = after(p, "k8s/apigeeroutes.json#/items/1/spec  \"enableNonSniClient\": false");
	p = after(p, "logs/ingress.log:12  sni=- ``` `tick` <b>&amp;</b>");
	p = after(p, "bad\\xffname.txt:3  \\xe2\\x80\\xaereversed");
	p = after(p, "(4 more not shown)");
	p = after(p, "note: note with | pipe");
	p = after(p, "fix: set enableNonSniClient: true");
	p = after(p, "playbook: 000_seed.txt");
	p = after(p, "TLS — API calls fail with TLS errors");
	p = after(p, "XLB — external clients cannot reach Apigee");
	/* playbooks by title; a file the table does not know as itself */
	p = after(p, "playbook: Apigee X and hybrid: external clients cannot reach Apigee");
	p = after(p, "; 002_seed.txt");
	p = after(p, "[SKIP]  XLB-009");
	p = after(p, "CURL — the client-side symptom");
	p = after(p, "What to collect next");
	p = after(p, "XLB-009");
	p = after(p, "missing: instance attachments");
	p = after(p, "Warnings");
	p = after(p, "bad \\x07 JSON");
	after(p, "Result: 3 fail, 1 warn, 1 pass, 1 skip, 0 error (6 checks)");
	free(out);
}

static void test_report__text_color(void **state)
{
	struct fixture *fx = *state;
	char *out = render(fx, REPORT_TEXT, true, true);

	after(out, "\033[1;31m[FAIL]\033[0m");
	after(out, "\033[33m[WARN]\033[0m");
	after(out, "\033[32m[PASS]\033[0m");
	after(out, "\033[2m[SKIP]\033[0m");
	/* the hostile escape in the summary is still neutralised */
	after(out, "\\x1b[31mred");
	free(out);
}

static void test_report__json(void **state)
{
	static const char *const keys[] = { "format",       "schema_version", "tool_version",
		                            "input",        "collected_at",   "collected_at_source",
		                            "bundle",       "diagnosis",      "findings",
		                            "collect_next", "warnings",       "summary" };
	struct fixture *fx = *state;
	char *out = render(fx, REPORT_JSON, true, true);
	json_error_t jerr;
	json_t *doc = json_loads(out, 0, &jerr);
	json_t *fa, *f, *ev, *diag, *o;
	const char *k;
	size_t i = 0;

	if (!doc)
		fail_msg("JSON does not parse: %s (line %d)\n%s", jerr.text, jerr.line, out);
	assert_null(strchr(out, '\x1b'));
	/* the top-level keys, in order */
	json_object_foreach(doc, k, o)
	{
		assert_true(i < sizeof(keys) / sizeof(keys[0]));
		assert_string_equal(k, keys[i]);
		i++;
	}
	assert_int_equal(i, sizeof(keys) / sizeof(keys[0]));
	assert_string_equal(json_string_value(json_object_get(doc, "format")),
	                    "apigee-bundle/findings/v1");
	assert_int_equal(json_integer_value(json_object_get(doc, "schema_version")), 1);
	assert_string_equal(json_string_value(json_object_get(doc, "collected_at")),
	                    "2026-01-01T00:00:00Z");
	assert_string_equal(json_string_value(json_object_get(doc, "collected_at_source")),
	                    "manifest");
	o = json_object_get(doc, "bundle");
	assert_true(json_is_true(json_object_get(o, "collected")));
	assert_int_equal(json_integer_value(json_object_get(o, "artifacts")), 3);
	assert_int_equal(json_integer_value(json_object_get(o, "unreadable")), 1);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(o, "recognised"),
	                                                    "kubernetes-objects")),
	                 1);

	fa = json_object_get(doc, "findings");
	assert_int_equal(json_array_size(fa), N_FAKE);
	f = json_array_get(fa, I_SNI4);
	assert_string_equal(json_string_value(json_object_get(f, "check")), "SNI-004");
	assert_string_equal(json_string_value(json_object_get(f, "family")), "SNI");
	assert_string_equal(json_string_value(json_object_get(f, "status")), "fail");
	assert_string_equal(json_string_value(json_object_get(f, "severity")), "error");
	/* jansson escapes the control bytes; they survive the round trip */
	assert_string_equal(json_string_value(json_object_get(f, "summary")),
	                    "route non-sni has enableNonSniClient false \x1b[31mred\x1b[0m");
	assert_non_null(strstr(out, "\\u001B[31m"));
	assert_non_null(json_object_get(f, "remediation"));
	assert_string_equal(json_string_value(json_object_get(f, "source")), "000_seed.txt");
	assert_int_equal(json_integer_value(json_object_get(f, "evidence_dropped")), 4);
	assert_null(json_object_get(f, "missing"));
	ev = json_object_get(f, "evidence");
	assert_int_equal(json_array_size(ev), 3);
	assert_string_equal(json_string_value(json_object_get(json_array_get(ev, 0), "pointer")),
	                    "/items/1/spec");
	assert_null(json_object_get(json_array_get(ev, 0), "line"));
	assert_int_equal(json_integer_value(json_object_get(json_array_get(ev, 1), "line")), 12);
	/* not UTF-8: made so, not dropped */
	assert_string_equal(json_string_value(json_object_get(json_array_get(ev, 2), "artifact")),
	                    "bad\\xffname.txt");
	assert_int_equal(json_array_size(json_object_get(f, "notes")), 1);

	f = json_array_get(fa, I_SNI3); /* pass: no remediation */
	assert_null(json_object_get(f, "remediation"));
	f = json_array_get(fa, I_XLB9); /* skip */
	assert_string_equal(json_string_value(json_object_get(f, "missing")),
	                    "instance attachments");
	assert_null(json_object_get(f, "collect_hint"));
	f = json_array_get(fa, I_CURL1);
	assert_int_equal(json_array_size(json_object_get(f, "related")), 2);

	diag = json_object_get(doc, "diagnosis");
	o = json_object_get(diag, "symptoms");
	assert_int_equal(json_array_size(o), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(o, 0), "check")),
	                    "CURL-001");
	o = json_object_get(diag, "causes");
	assert_int_equal(json_array_size(o), 3);
	assert_string_equal(json_string_value(json_object_get(json_array_get(o, 0), "check")),
	                    "SNI-004");
	assert_string_equal(json_string_value(json_object_get(json_array_get(o, 2), "severity")),
	                    "critical");

	o = json_object_get(doc, "collect_next");
	assert_int_equal(json_array_size(o), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(o, 0), "check")),
	                    "XLB-009");
	assert_true(json_is_null(json_object_get(json_array_get(o, 0), "command")));
	assert_int_equal(json_array_size(json_object_get(doc, "warnings")), 1);
	o = json_object_get(doc, "summary");
	assert_int_equal(json_integer_value(json_object_get(o, "fail")), 3);
	assert_int_equal(json_integer_value(json_object_get(o, "warn")), 1);
	assert_int_equal(json_integer_value(json_object_get(o, "pass")), 1);
	assert_int_equal(json_integer_value(json_object_get(o, "skip")), 1);
	assert_int_equal(json_integer_value(json_object_get(o, "error")), 0);
	json_decref(doc);
	free(out);

	/* without a bundle: still complete */
	out = render(fx, REPORT_JSON, false, false);
	doc = json_loads(out, 0, &jerr);
	assert_non_null(doc);
	assert_true(json_is_false(json_object_get(json_object_get(doc, "bundle"), "collected")));
	assert_string_equal(json_string_value(json_object_get(doc, "input")), "bundle.tar.gz");
	json_decref(doc);
	free(out);
}

static void test_report__markdown(void **state)
{
	struct fixture *fx = *state;
	char *out = render(fx, REPORT_MARKDOWN, true, true);
	const char *p;

	assert_null(strchr(out, '\x1b'));
	p = after(out, "# apigee-bundle analysis");
	p = after(p, "- **Input:** `bundle.tar.gz`");
	p = after(p, "## Diagnosis");
	p = after(p, "**Symptom:** **FAIL** `CURL-001`");
	p = after(p, "1. **FAIL** `SNI-004`");
	p = after(p, "| ID | Status | Title |");
	/* title syntax escaped in the table; problems first */
	p = after(p, "| `TLS-005` | **WARN** | Certificate expired \\| or \\*not\\* yet valid |");
	/* a pass shows its pass sentence, not the fault */
	p = after(p, "| `SNI-003` | **PASS** | A wildcard ApigeeRoute exists |");
	p = after(p, "#### FAIL · SNI-004");
	/* summary text escaped ("[" would start a link) */
	p = after(p, "enableNonSniClient false \\x1b\\[31mred\\x1b\\[0m");
	/* evidence fence longer than the backtick run inside */
	p = after(p, "<summary>Evidence (7)</summary>\n\n````text\n");
	p = after(p, "logs/ingress.log:12  sni=- ``` `tick` <b>&amp;</b>\n");
	p = after(p, "\n````\n");
	p = after(p, "Note: note with | pipe and # hash");
	p = after(p, "**Remediation:**");
	p = after(p, "\\<script>alert(1)\\</script>");
	p = after(p, "Playbook: Apigee X and hybrid: external clients cannot reach Apigee");
	p = after(p, "#### PASS · SNI-003 · A wildcard ApigeeRoute exists\n");
	p = after(p, "## What to collect next");
	p = after(p, "- `XLB-009`: missing instance attachments");
	p = after(p, "## Warnings");
	after(p, "*apigee-bundle ");
	free(out);
}

static void test_report__html(void **state)
{
	struct fixture *fx = *state;
	char *out = render(fx, REPORT_HTML, true, true);
	const char *p;

	assert_null(strchr(out, '\x1b'));
	assert_null(strstr(out, "<script"));
	assert_null(strstr(out, "http://"));
	assert_null(strstr(out, "https://"));
	assert_null(strstr(out, "src="));
	p = after(out, "<!DOCTYPE html>");
	p = after(p, "Content-Security-Policy");
	p = after(p, "<style>");
	/* evidence wraps at token boundaries; cards are not split when printed */
	after(p, "white-space:pre-wrap;overflow-wrap:anywhere;word-break:normal}");
	after(after(p, "@media print{"), ".finding,tr,pre{break-inside:avoid");
	p = after(p, "<main>");
	p = after(p, "<caption>");
	p = after(p, "<h2 id=\"diagnosis\">Diagnosis</h2>");
	p = after(p, "<span class=\"tag fail\">FAIL</span> <a href=\"#CURL-001\">");
	p = after(p, "<h2 id=\"checks\">Checks</h2>\n<table>\n<caption>");
	p = after(p, "<td>A wildcard ApigeeRoute exists</td>");
	p = after(p, "Certificate expired | or *not* yet valid");
	/* each check a section with its id and a heading */
	p = after(p, "<section class=\"finding f-pass\" id=\"SNI-003\">\n<h4>");
	p = after(p, "</code> A wildcard ApigeeRoute exists <span");
	p = after(p, "</h4>");
	p = after(p, "id=\"SNI-004\"");
	p = after(p, "sni=- ``` `tick` &lt;b&gt;&amp;amp;&lt;/b&gt;");
	p = after(p, "&lt;script&gt;alert(1)&lt;/script&gt;");
	p = after(p, "<dt>Playbook</dt><dd>Apigee X and hybrid: external clients cannot reach "
	             "Apigee");
	p = after(p, "<h2 id=\"collect\">What to collect next</h2>\n<table>\n<caption>");
	p = after(p, "<h2 id=\"warnings\">Warnings</h2>");
	p = after(p, "</main>");
	after(p, "</html>\n");
	free(out);
}

/* The collection section: sources failed and skipped first, redaction per rule. */
static void test_report__html_manifest(void **state)
{
	struct fixture *fx = *state;
	struct manifest_source src[] = {
		{ (char *)"kubectl get apigeeroutes", (char *)"collected", NULL },
		{ (char *)"gcloud compute forwarding-rules", (char *)"skipped",
		  (char *)"no --project" },
		{ (char *)"GET <org>/instances", (char *)"failed", (char *)"HTTP 403" },
	};
	struct redaction_count red[] = { { (char *)"bearer-token", 3 }, { (char *)"tls-key", 1 } };
	char *out;
	const char *p;

	out = render(fx, REPORT_HTML, false, true);
	assert_null(strstr(out, "id=\"manifest\""));
	free(out);
	fx->b.sources = src;
	fx->b.n_sources = 3;
	fx->b.redactions = red;
	fx->b.n_redactions = 2;
	fx->b.redaction_seen = true;
	out = render(fx, REPORT_HTML, false, true);
	fx->b.sources = NULL;
	fx->b.n_sources = 0;
	fx->b.redactions = NULL;
	fx->b.n_redactions = 0;
	p = after(out, "<h2 id=\"manifest\">Collection and redaction</h2>");
	p = after(p, "<p>1 failed, 1 skipped, 1 collected.</p>");
	p = after(p, "<caption>Sources the collector tried</caption>");
	p = after(p, "<code>GET &lt;org&gt;/instances</code></td><td>failed</td><td>HTTP 403");
	p = after(p, "gcloud compute forwarding-rules</code></td><td>skipped</td><td>no --project");
	p = after(p, "kubectl get apigeeroutes</code></td><td>collected</td><td></td>");
	p = after(p, "<caption>Values redacted, per rule</caption>");
	p = after(p, "<code>bearer-token</code></td><td>3</td>");
	after(p, "<code>tls-key</code></td><td>1</td>");
	free(out);
}

/* The timeline: a leaf certificate's validity window against the collection time,
 * red when it does not cover it; none without times. */
static void test_report__html_timeline(void **state)
{
	struct fixture *fx = *state;
	struct cert_rec certs[2];
	char *out;
	const char *p;

	out = render(fx, REPORT_HTML, false, true);
	assert_null(strstr(out, "<svg"));
	free(out);
	memset(certs, 0, sizeof(certs));
	certs[0].parsed = true;
	certs[0].facts.common_name = (char *)"api.example.test <&>";
	certs[0].facts.not_before = 1735689600; /* 2025-01-01 */
	certs[0].facts.not_after = 1764547200;  /* 2025-12-01: expired at 2026-01-01 */
	certs[1].parsed = true;
	certs[1].chain_index = 1; /* an issuer: not drawn */
	certs[1].facts.common_name = (char *)"Issuing CA";
	fx->b.certs = certs;
	fx->b.n_certs = 2;
	out = render(fx, REPORT_HTML, false, true);
	fx->b.certs = NULL;
	fx->b.n_certs = 0;
	p = after(out, "<h2 id=\"timeline\">Timeline</h2>");
	p = after(p, "<svg class=\"timeline\" role=\"img\" aria-labelledby=\"timeline-title\"");
	p = after(p, "collection time (2026-01-01 00:00 UTC)</title>");
	p = after(p, ">api.example.test &lt;&amp;&gt;</text>");
	p = after(p, "fill=\"#c62828\"/>");
	p = after(p, "collected 2026-01-01 00:00</text>");
	after(p, "</svg>");
	assert_null(strstr(out, "Issuing CA"));
	free(out);
}

static void test_report__errors(void **state)
{
	struct fixture *fx = *state;
	char *out;

	/* an unreadable input: no verdict, named in the diagnosis in every format */
	finding_set(&fx->fs.items[I_TLS5], STATUS_ERROR, "certs/api.pem could not be read");
	out = render(fx, REPORT_TEXT, false, true);
	after(out, "Unknown:  1 check could not read its input (see Warnings): TLS-005");
	after(out, "[ERROR] TLS-005");
	after(out, "Result: 3 fail, 0 warn, 1 pass, 1 skip, 1 error");
	free(out);
	out = render(fx, REPORT_MARKDOWN, false, true);
	after(out, "**Unknown:** 1 check could not read its input (see *Warnings*): `TLS-005`");
	free(out);
	out = render(fx, REPORT_HTML, false, true);
	after(out, "<strong>Unknown:</strong> 1 check could not read its input");
	after(out, "<span class=\"tag error\">ERROR</span>");
	free(out);
	out = render(fx, REPORT_TEXT, true, true);
	after(out, "\033[35m[ERROR]\033[0m");
	free(out);
}

static void test_report__no_findings(void **state)
{
	struct findings fs = { 0 };
	struct report_options ro = { .format = REPORT_TEXT, .input = "x" };
	char *data = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	fs.time_source = TIME_FROM_ANALYSIS_CLOCK;
	for (int fmt = 0; fmt < REPORT__MAX; fmt++) {
		ro.format = (enum report_format)fmt;
		f = open_memstream(&data, &len);
		assert_non_null(f);
		assert_int_equal(report_write(f, NULL, &fs, &ro), 0);
		fclose(f);
		if (fmt == REPORT_TEXT)
			after(data, "Causes:   none found");
		if (fmt == REPORT_JSON)
			after(data, "\"collected_at_source\": \"analysis-clock\"");
		free(data);
		data = NULL;
	}
	ro.format = REPORT__INVALID;
	f = open_memstream(&data, &len);
	assert_int_equal(report_write(f, NULL, &fs, &ro), -EINVAL);
	fclose(f);
	free(data);
}

static void test_report__catalog(void **state)
{
	size_t n_fam = 0, n = checks_count(), k = 0;
	const struct check_family *fams = check_families(&n_fam);
	char *data = NULL, head[256];
	const char *p;
	size_t len = 0;
	json_t *doc;
	FILE *f;

	(void)state;
	assert_true(n > 0);
	f = open_memstream(&data, &len);
	assert_int_equal(report_catalog(f, REPORT_TEXT), 0);
	fclose(f);
	p = after(data, "ID        SEVERITY  TITLE");
	/* every family heads its checks, in registry order */
	for (size_t i = 0; i < n_fam; i++) {
		snprintf(head, sizeof(head), "\n%s \xe2\x80\x94 %s\n", fams[i].id, fams[i].title);
		p = after(p, head);
		for (size_t j = 0; j < fams[i].rows->n; j++)
			p = after(p, fams[i].rows->v[j].id);
	}
	free(data);

	f = open_memstream(&data, &len);
	assert_int_equal(report_catalog(f, REPORT_JSON), 0);
	fclose(f);
	doc = json_loads(data, 0, NULL);
	assert_non_null(doc);
	assert_int_equal(json_array_size(doc), n);
	for (size_t i = 0; i < n_fam; i++) {
		for (size_t j = 0; j < fams[i].rows->n; j++, k++) {
			const struct check *c = &fams[i].rows->v[j];
			json_t *o = json_array_get(doc, k);

			assert_string_equal(json_string_value(json_object_get(o, "id")), c->id);
			assert_string_equal(json_string_value(json_object_get(o, "family")),
			                    fams[i].id);
			assert_string_equal(json_string_value(json_object_get(o, "title")),
			                    c->title);
			assert_string_equal(json_string_value(json_object_get(o, "pass")), c->pass);
			assert_int_equal(json_object_size(o), 9);
			assert_non_null(json_object_get(o, "collect_hint"));
			assert_string_equal(json_string_value(json_object_get(o, "severity")),
			                    severity_name(c->severity));
		}
	}
	assert_int_equal(k, n);
	json_decref(doc);
	free(data);

	f = open_memstream(&data, &len);
	assert_int_equal(report_catalog(f, REPORT_HTML), -EINVAL);
	fclose(f);
	free(data);
}

static void test_report__format_from_path(void **state)
{
	(void)state;
	assert_int_equal(report_format_from_path("report.html"), REPORT_HTML);
	assert_int_equal(report_format_from_path("out/REPORT.HTM"), REPORT_HTML);
	assert_int_equal(report_format_from_path("a.b/report.md"), REPORT_MARKDOWN);
	assert_int_equal(report_format_from_path("report.markdown"), REPORT_MARKDOWN);
	assert_int_equal(report_format_from_path("findings.json"), REPORT_JSON);
	assert_int_equal(report_format_from_path("report.txt"), REPORT_TEXT);
	assert_int_equal(report_format_from_path("report"), REPORT__INVALID);
	assert_int_equal(report_format_from_path("dir.html/report"), REPORT__INVALID);
	assert_int_equal(report_format_from_path("report.pdf"), REPORT__INVALID);
	assert_int_equal(report_format_from_path(NULL), REPORT__INVALID);
}

/* WCAG 2.x relative luminance of "#rrggbb". */
static double luminance(const char *hex)
{
	double c[3];

	assert_int_equal(strlen(hex), 7);
	assert_int_equal(hex[0], '#');
	for (int i = 0; i < 3; i++) {
		char part[3] = { hex[1 + 2 * i], hex[2 + 2 * i], '\0' };
		char *end;
		double x = (double)strtol(part, &end, 16) / 255.0;

		assert_int_equal(*end, '\0');
		/* (x + 0.055) / 1.055 raised to 2.4, without libm */
		if (x <= 0.03928) {
			c[i] = x / 12.92;
		} else {
			double b = (x + 0.055) / 1.055, r = b * b; /* b^2 */
			double lo = 0, hi = 1;

			/* b^0.4 by bisection: y^5 = b^2 */
			for (int k = 0; k < 60; k++) {
				double m = (lo + hi) / 2;

				if (m * m * m * m * m < r)
					lo = m;
				else
					hi = m;
			}
			c[i] = b * b * lo; /* b^2.4 */
		}
	}
	return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
}

static double contrast(const char *fg, const char *bg)
{
	double a = luminance(fg), b = luminance(bg);

	return a > b ? (a + 0.05) / (b + 0.05) : (b + 0.05) / (a + 0.05);
}

/* Every text colour and badge of the HTML report meets WCAG AA (4.5:1); every
 * status has a badge; the style sheet uses the palette. */
static void test_report__html_contrast(void **state)
{
	struct fixture *fx = *state;
	size_t n;
	const struct report_color *pal = report_html_palette(&n);
	bool badge[STATUS__MAX] = { false };
	char *out = render(fx, REPORT_HTML, false, true);

	/* the formula, on known pairs: black on white 21:1, the old WARN badge 2.2:1 */
	assert_true(contrast("#000000", "#ffffff") > 20.99);
	assert_true(contrast("#ffffff", "#e6a100") < 2.3);
	assert_true(contrast("#ffffff", "#9e9e9e") < 2.7);
	for (size_t i = 0; i < n; i++) {
		double r = contrast(pal[i].fg, pal[i].bg);
		char rule[128];

		if (r < 4.5)
			fail_msg("%s: %s on %s is %.2f:1, below 4.5:1", pal[i].selector, pal[i].fg,
			         pal[i].bg, r);
		if (pal[i].status != STATUS__MAX)
			badge[pal[i].status] = true;
		snprintf(rule, sizeof(rule), "%s{color:%s;background:%s}", pal[i].selector,
		         pal[i].fg, pal[i].bg);
		after(out, rule);
	}
	for (int s = 0; s < STATUS__MAX; s++)
		assert_true(badge[s]);
	free(out);
}

/* --only-problems: fail, warn and error only, in text, markdown and html; json keeps
 * every check. */
static void test_report__only_problems(void **state)
{
	struct fixture *fx = *state;
	static const enum report_format fmts[] = { REPORT_TEXT, REPORT_MARKDOWN, REPORT_HTML };

	for (size_t i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
		struct report_options ro = { .format = fmts[i],
			                     .input = "b",
			                     .only_problems = true };
		char *out = render_opts(fx, &ro, true);

		after(out, "SNI-004");
		after(out, "TLS-005");
		after(out, "XLB-003");
		/* the passing check appears nowhere; the skipped one only in what to collect */
		assert_null(strstr(out, "SNI-003"));
		assert_null(strstr(out, "A wildcard ApigeeRoute exists"));
		after(out, "1 passing and 1 skipped checks not shown: --only-problems");
		free(out);
	}
	{
		struct report_options ro = { .format = REPORT_JSON,
			                     .input = "b",
			                     .only_problems = true };
		char *out = render_opts(fx, &ro, true);

		after(out, "\"SNI-003\"");
		free(out);
	}
}

/* The text report fits the width: no line wider than asked, evidence cut with an
 * ellipsis on a code point boundary. */
static void test_report__text_width(void **state)
{
	struct fixture *fx = *state;
	static const unsigned widths[] = { 0, 40, 60, 132 };
	struct finding *f = &fx->fs.items[I_SNI4];

	finding_evidence_at(f, "logs/long.log", 7, NULL,
	                    "\xc3\xa9\xc3\xa9\xc3\xa9 a very long excerpt line that goes on and on "
	                    "\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82"
	                    "\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac"
	                    " well past any terminal width one could have, 140 columns or more "
	                    "and then some more words at the end");
	for (size_t i = 0; i < sizeof(widths) / sizeof(widths[0]); i++) {
		struct report_options ro = { .format = REPORT_TEXT,
			                     .input = "b",
			                     .width = widths[i] };
		char *out = render_opts(fx, &ro, true);
		size_t max = widths[i] ? widths[i] : 80;
		const char *line = out;

		after(out, "logs/long.log:7  \xc3\xa9\xc3\xa9\xc3\xa9 a ");
		if (max < 140)
			after(out, "\xe2\x80\xa6\n");
		while (*line) {
			const char *nl = strchr(line, '\n');
			size_t len = nl ? (size_t)(nl - line) : strlen(line);
			char *copy = strndup(line, len);

			assert_non_null(copy);
			/* valid UTF-8 (the escaper would show a cut byte as \xNN) */
			if (strstr(copy, "long.log"))
				assert_null(strstr(copy, "\\x"));
			if (report_text_width(copy) > max)
				fail_msg("line wider than %zu: '%s'", max, copy);
			free(copy);
			line += len + (nl ? 1 : 0);
		}
		free(out);
	}
}

/* Markdown: failures and warnings first, evidence folded in <details>, plain text
 * without stray backslashes. */
static void test_report__markdown_order(void **state)
{
	struct fixture *fx = *state;
	char *out = render(fx, REPORT_MARKDOWN, false, true);
	const char *p;

	p = after(out, "| ID | Status | Title |");
	p = after(p, "| `SNI-004` | **FAIL**");
	p = after(p, "| `TLS-005` | **WARN**");
	p = after(p, "| `SNI-003` | **PASS**");
	p = after(p, "## Failures and warnings");
	p = after(p, "#### FAIL · SNI-004");
	p = after(p, "<details><summary>Evidence (7)</summary>\n\n````text\n");
	p = after(p, "\n````\n\n</details>\n");
	p = after(p, "#### FAIL · XLB-003");
	p = after(p, "#### FAIL · CURL-001");
	p = after(p, "#### WARN · TLS-005");
	p = after(p, "## Other checks");
	p = after(p, "#### PASS · SNI-003");
	after(p, "#### SKIP · XLB-009");
	/* no backslash before characters markdown would not read as syntax here */
	after(out, "Note: note with | pipe and # hash\n");
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_report__format_names),
		cmocka_unit_test(test_report__escape),
		cmocka_unit_test_setup_teardown(test_report__view_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_report__text, setup, teardown),
		cmocka_unit_test_setup_teardown(test_report__text_color, setup, teardown),
		cmocka_unit_test_setup_teardown(test_report__json, setup, teardown),
		cmocka_unit_test_setup_teardown(test_report__markdown, setup, teardown),
		cmocka_unit_test_setup_teardown(test_report__html, setup, teardown),
		cmocka_unit_test_setup_teardown(test_report__errors, setup, teardown),
		cmocka_unit_test(test_report__no_findings),
		cmocka_unit_test(test_report__catalog),
		cmocka_unit_test(test_report__format_from_path),
		cmocka_unit_test_setup_teardown(test_report__html_contrast, setup, teardown),
		cmocka_unit_test_setup_teardown(test_report__html_manifest, setup, teardown),
		cmocka_unit_test_setup_teardown(test_report__html_timeline, setup, teardown),
		cmocka_unit_test_setup_teardown(test_report__only_problems, setup, teardown),
		cmocka_unit_test_setup_teardown(test_report__text_width, setup, teardown),
		cmocka_unit_test_setup_teardown(test_report__markdown_order, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
