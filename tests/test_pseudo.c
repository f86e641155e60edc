/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of pseudonymization (redact/pseudo.c, pemfile.c): consistency across
 * members and member names, IP classes and /24s, wildcard labels and SAN
 * matching, e-mail, org/project names, DN values, fingerprints, dropped
 * certificates, and the map round trip (mode 0600, same tokens again). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <jansson.h>

#include "error.h"
#include "pem.h"
#include "redact.h"
#include "redact_internal.h"
#include "banned.h"

#define MAP "test_pseudo_map.json"

static struct redactor *new_pseudo(const char *map)
{
	struct redact_options o = { .pseudonymize = true, .map_file = map };
	struct error e = ERROR_INIT;
	struct redactor *r = NULL;

	assert_int_equal(redactor_new(&o, &r, &e), 0);
	return r;
}

static char *red(struct redactor *r, const char *member, const char *in)
{
	struct buf out;
	struct error e = ERROR_INIT;
	char *s;

	assert_int_equal(redact_buffer(r, member, in, strlen(in), &out, &e), 0);
	s = calloc(1, out.len + 1);
	assert_non_null(s);
	if (out.len)
		memcpy(s, out.data, out.len);
	buf_release(&out);
	return s;
}

/* The first whitespace/quote-delimited word after prefix in s (static buffer). */
static const char *word_after(const char *s, const char *prefix)
{
	static char w[256];
	const char *p = strstr(s, prefix);
	size_t n = 0;

	assert_non_null(p);
	p += strlen(prefix);
	while (p[n] && !strchr(" \t\n\",;", p[n]) && n < sizeof(w) - 1)
		n++;
	memcpy(w, p, n);
	w[n] = '\0';
	return w;
}

static uint32_t ip4(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return ntohl(a.s_addr);
}

static void test_pseudo__hosts_consistent_across_members(void **state)
{
	struct redactor *r = new_pseudo(NULL);
	char *a = red(r, "a.log", "host api-test.mydomain.com sni api-test.mydomain.com\n");
	char *b = red(r, "b.json",
	              "{\"hostnames\": [\"api-test.mydomain.com\", \"*.mydomain.com\"]}\n");
	char *name = redact_member_name(r, "probes/curl/api-test.mydomain.com.txt");
	char t1[256], t2[256];

	(void)state;
	snprintf(t1, sizeof(t1), "%s", word_after(a, "host "));
	snprintf(t2, sizeof(t2), "%s", word_after(a, "sni "));
	assert_string_equal(t1, t2);
	assert_null(strstr(a, "mydomain"));
	assert_null(strstr(b, "mydomain"));
	assert_null(strstr(name, "mydomain"));
	assert_non_null(strstr(b, t1));
	assert_true(strncmp(name, "probes/curl/", 12) == 0);
	assert_true(strncmp(name + 12, t1, strlen(t1)) == 0);
	assert_string_equal(name + 12 + strlen(t1), ".txt");
	/* the TLD stays, labels become h-tokens */
	assert_true(t1[0] == 'h' && strlen(t1) > 4 && strcmp(t1 + strlen(t1) - 4, ".com") == 0);
	free(a);
	free(b);
	free(name);
	redactor_free(r);
}

static void test_pseudo__wildcards_and_san_matching(void **state)
{
	struct redactor *r = new_pseudo(NULL);
	char *out = red(r, "x.txt",
	                "san *.mydomain.com host api.mydomain.com other api.otherdomain.com "
	                "deep a.b.mydomain.com\n");
	struct cert_facts c = { 0 };
	char san[256], host[256], other[256], deep[256];

	(void)state;
	snprintf(san, sizeof(san), "%s", word_after(out, "san "));
	snprintf(host, sizeof(host), "%s", word_after(out, "host "));
	snprintf(other, sizeof(other), "%s", word_after(out, "other "));
	snprintf(deep, sizeof(deep), "%s", word_after(out, "deep "));
	assert_true(strncmp(san, "*.", 2) == 0);
	assert_int_equal(strv_push(&c.san_dns, san), 0);
	/* the same answers as before pseudonymization */
	assert_true(cert_covers_host(&c, host, NULL));
	assert_false(cert_covers_host(&c, other, NULL));
	assert_false(cert_covers_host(&c, deep, NULL));
	strv_release(&c.san_dns);
	free(out);
	redactor_free(r);
}

static void test_pseudo__ip_classes(void **state)
{
	struct redactor *r = new_pseudo(NULL);
	char *out = red(
	        r, "x.log",
	        "a 10.1.2.3 b 10.1.2.200 c 10.1.3.4 d 172.20.5.6 e 192.168.7.8 f 127.0.0.1 "
	        "g 35.191.10.20 h 130.211.1.2 i 8.8.8.8 j 8.8.8.9 k 100.64.1.1 l 169.254.169.254 "
	        "m 10.0.0.0/8\n");
	uint32_t a, b, c, d, e, i, j, k;

	(void)state;
	a = ip4(word_after(out, "a "));
	b = ip4(word_after(out, "b "));
	c = ip4(word_after(out, "c "));
	d = ip4(word_after(out, "d "));
	e = ip4(word_after(out, "e "));
	i = ip4(word_after(out, "i "));
	j = ip4(word_after(out, "j "));
	k = ip4(word_after(out, "k "));
	assert_int_equal(a >> 24, 10);    /* private stays private */
	assert_int_equal(a >> 8, b >> 8); /* one /24 stays one /24 */
	assert_int_equal(a & 255, 3);
	assert_int_not_equal(a >> 8, c >> 8); /* another /24 stays another */
	assert_int_equal(a >> 16, c >> 16);   /* and shares the /16 it shared */
	assert_int_equal(d >> 20, (172u << 4) | 1);
	assert_int_equal(e >> 16, (192u << 8) | 168);
	assert_int_equal(k >> 22, (100u << 2) | 1);
	assert_int_equal(i >> 8, j >> 8);
	assert_false((i >> 24) == 10 || (i >> 24) == 127 || (i >> 16) == ((192u << 8) | 168));
	assert_non_null(strstr(out, "f 127.0.0.1 "));    /* loopback kept */
	assert_non_null(strstr(out, "g 35.191.10.20 ")); /* health checks kept */
	assert_non_null(strstr(out, "h 130.211.1.2 "));
	assert_non_null(strstr(out, "l 169.254.169.254 "));
	assert_null(strstr(out, "10.1.2.3 "));
	assert_null(strstr(out, "8.8.8.8 "));
	assert_non_null(strstr(out, "/8\n"));
	free(out);
	redactor_free(r);
}

static void test_pseudo__ipv6(void **state)
{
	struct redactor *r = new_pseudo(NULL);
	char *out = red(r, "x.log",
	                "a [2001:4860:4860::8888]:443 b ::1 c fe80::1 d fd00:1:2::3 e 2001:db8::1 "
	                "time 10:00:01 f ::ffff:10.1.2.3\n");
	unsigned char buf[16];

	(void)state;
	assert_null(strstr(out, "4860"));
	assert_non_null(strstr(out, "b ::1 "));
	assert_non_null(strstr(out, "c fe80::1 "));
	assert_non_null(strstr(out, "e 2001:db8::1 "));
	assert_non_null(strstr(out, "time 10:00:01 "));
	/* ULA stays ULA (fc00::/7) */
	assert_true(strncmp(word_after(out, "d "), "fd", 2) == 0 ||
	            strncmp(word_after(out, "d "), "fc", 2) == 0);
	assert_int_equal(inet_pton(AF_INET6, word_after(out, "d "), buf), 1);
	assert_null(strstr(out, "10.1.2.3"));
	free(out);
	redactor_free(r);
}

static void test_pseudo__emails_names_dn_fingerprints(void **state)
{
	struct redactor *r = new_pseudo(NULL);
	const char *ov = "org: acme-prod\ngcp:\n  projectID: acme-proj-1\nvirtualhosts: []\n";
	char *out, *name;

	(void)state;
	assert_int_equal(redactor_learn(r, "overrides.yaml", ov, strlen(ov)), 0);
	out = red(r, "x.log",
	          "mail alice.smith+x@mydomain.com sa rt@acme-proj-1.iam.gserviceaccount.com\n"
	          "secret acme-prod-dev-grp url /v1/organizations/acme-prod/envgroups ACME-PROD\n"
	          "subject: CN = api.mydomain.com, O = Acme Corp, L = Springfield\n"
	          "issuer=O=Acme Corp/CN=Acme Root CA\n"
	          "Issuer: C = US, O = Google Trust Services, CN = WR3\n"
	          "issuer=C=US/O=Let's Encrypt/CN=R3\n"
	          "fp 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n"
	          "apigee.googleapis.com kubernetes.io/tls "
	          "outbound|443||rt-acme-prod.apigee.svc.cluster.local\n");
	assert_null(strstr(out, "alice"));
	assert_null(strstr(out, "acme"));
	assert_null(strstr(out, "ACME"));
	assert_null(strstr(out, "Acme"));
	assert_null(strstr(out, "Springfield"));
	assert_null(strstr(out, "0123456789abcdef0123"));
	assert_non_null(strstr(out, "@h"));
	assert_non_null(strstr(out, ".iam.gserviceaccount.com"));
	assert_non_null(strstr(out, "secret org1-dev-grp"));
	assert_non_null(strstr(out, "/v1/organizations/org1/envgroups"));
	assert_non_null(strstr(out, "@project1.iam.gserviceaccount.com"));
	/* public CAs name no customer and say where a certificate comes from: kept */
	assert_non_null(strstr(out, "O = Google Trust Services, CN = WR3\n"));
	assert_non_null(strstr(out, "O=Let's Encrypt/CN=R3\n"));
	/* the same company name gives the same token in both DNs */
	assert_string_equal(word_after(out, "O = "), word_after(out, "issuer=O="));
	assert_non_null(strstr(out, "apigee.googleapis.com kubernetes.io/tls"));
	assert_non_null(strstr(out, "rt-org1.apigee.svc.cluster.local"));
	name = redact_member_name(r, "kubernetes/describe/apigeeroute-acme-prod-grp.txt");
	assert_string_equal(name, "kubernetes/describe/apigeeroute-org1-grp.txt");
	free(name);
	free(out);
	redactor_free(r);
}

/* The learning pass parses only documents in which a key it reads can appear:
 * spelled out, behind a JSON/YAML escape or in UTF-16; others teach nothing. */
static void test_pseudo__learning_prefilter(void **state)
{
	const char *escaped = "{\"\\u006frg\": \"esc-org-one\", \"envs\": []}";
	const char *yaml_x = "\"\\x6frg\": esc-org-two\ninstanceID: x\n";
	const char *nokeys = "{\"kind\": \"EventList\", \"items\": [{\"o\": \"noise-3\"}]}";
	const char *word = "{\"kind\": \"organization\", \"name\": \"notlearned-4\"}";
	const char u16[] = "\xff\xfeo\0r\0g\0:\0 \0u\0t\0f\0o\0r\0g\0\n\0e\0n\0v\0s\0:\0 "
	                   "\0[\0]\0\n\0";
	struct redactor *r = new_pseudo(NULL);
	char *out;

	(void)state;
	assert_true(pseudo_may_learn(escaped, strlen(escaped)));
	assert_true(pseudo_may_learn(yaml_x, strlen(yaml_x)));
	assert_true(pseudo_may_learn(u16, sizeof(u16) - 1));
	assert_false(pseudo_may_learn(nokeys, strlen(nokeys)));
	assert_false(pseudo_may_learn(word, strlen(word)));
	assert_true(pseudo_may_learn("org: a\n", 7));
	assert_true(pseudo_may_learn("{\"gcpProjectID\":\"p\"}", 20));
	assert_int_equal(redactor_learn(r, "a.json", escaped, strlen(escaped)), 0);
	assert_int_equal(redactor_learn(r, "b.yaml", yaml_x, strlen(yaml_x)), 0);
	assert_int_equal(redactor_learn(r, "c.yaml", u16, sizeof(u16) - 1), 0);
	out = red(r, "x.log", "a esc-org-one b esc-org-two c utforg\n");
	assert_null(strstr(out, "esc-org"));
	assert_null(strstr(out, "utforg"));
	free(out);
	redactor_free(r);
}

static void test_pseudo__certificates_dropped(void **state)
{
	struct redactor *r = new_pseudo(NULL);
	const char *pem = "-----BEGIN CERTIFICATE-----\n"
	                  "MIIBkzCCATmgAwIBAgIUfakefakefakefakefakefakefakefakewCgYIKoZIzj0E\n"
	                  "-----END CERTIFICATE-----\n";
	char trace[1024], *out, *facts;
	json_t *rep, *doc;
	json_error_t jerr;

	(void)state;
	snprintf(trace, sizeof(trace), "* Server certificate:\n%s* done\n", pem);
	out = red(r, "trace.txt", trace);
	assert_null(strstr(out, "MIIBkzCC"));
	assert_non_null(strstr(out, "certificate>"));
	assert_non_null(strstr(out, "* done\n"));
	/* a PEM file becomes a facts document (here the block does not parse) */
	facts = red(r, "certs/api.pem", pem);
	assert_null(strstr(facts, "MIIBkzCC"));
	doc = json_loads(facts, 0, &jerr);
	assert_non_null(doc);
	assert_string_equal(json_string_value(json_object_get(doc, "kind")),
	                    "apigee-bundle/pem-file/v1");
	json_decref(doc);
	rep = redactor_report_json(r);
	assert_true(json_is_true(json_object_get(rep, "pseudonymized")));
	assert_int_equal(json_integer_value(json_object_get(rep, "dropped_certificates")), 2);
	json_decref(rep);
	free(out);
	free(facts);
	redactor_free(r);
}

/* A test certificate (tests/fixtures/analyze/overrides-inline-sslcert): subject
 * "O = Apigee Bundle Fixtures, CN = api.acme.example". */
static const char fixture_pem[] =
        "-----BEGIN CERTIFICATE-----\n"
        "MIICtTCCAlygAwIBAgICEAEwCgYIKoZIzj0EAwIwOzEfMB0GA1UECgwWQXBpZ2Vl\n"
        "IEJ1bmRsZSBGaXh0dXJlczEYMBYGA1UEAwwPRml4dHVyZSBUZXN0IENBMB4XDTIw\n"
        "MDEwMTAwMDAwMFoXDTQ1MDEwMTAwMDAwMFowPDEfMB0GA1UECgwWQXBpZ2VlIEJ1\n"
        "bmRsZSBGaXh0dXJlczEZMBcGA1UEAwwQYXBpLmFjbWUuZXhhbXBsZTCCASIwDQYJ\n"
        "KoZIhvcNAQEBBQADggEPADCCAQoCggEBAL6aiG2rLS2X3mrEMueHkduQfSlmEsTk\n"
        "P3Sy1mas43nRUPM2uoYOqvsvibnohNWFo2qPrhAKL1g2RQ160EIkLWutPRxFt4IF\n"
        "e8nrUdrNMDG5uE5qtMiCFfskxGcfRSbN7W47JmquCXOaFuJvBRJrsPmoI6V9NE6Q\n"
        "D4ukz2jUPmIPj81KRqZU7kWzipsI29ltRbE5npmZfJXERdNOk63tP/NnZorSMUIg\n"
        "jrOSkOoi1AQO8PbHxmbg6M/tEBPREjJ2Wy+ZllsPYvpZ33tAFbH0a9168350KRSi\n"
        "RLK2qyCwcAso53gH7pE0wn6fYYmoTQ0X5l7+64Fs+tUagOVRT+JnVGECAwEAAaOB\n"
        "gzCBgDAMBgNVHRMBAf8EAjAAMBMGA1UdJQQMMAoGCCsGAQUFBwMBMBsGA1UdEQQU\n"
        "MBKCEGFwaS5hY21lLmV4YW1wbGUwHQYDVR0OBBYEFOt5aH4AVCnnd+kheKX1ze8X\n"
        "MhsAMB8GA1UdIwQYMBaAFLTop+f53NoRYaBq9/FT+UkCj0wAMAoGCCqGSM49BAMC\n"
        "A0cAMEQCIBUxM5cvbCUlUKFP11VkfuuKlvUEIDTwqnbs8E3EjQ/vAiBa/X3GZ/Pv\n"
        "Gq5jewqMZBiw1GD4EX/92eevoxEYKW9YmA==\n"
        "-----END CERTIFICATE-----\n";
#define FIXTURE_SHA256 "6bde5d3d6d89791ea0ed1a7f535aa88b6c354f2c8996b21ae7a1177f279c0723"

/* The facts document standing for a certificate block: parsed, checked, returned
 * (the sha256 of its first certificate). */
static void check_block_facts(const char *doc_text, char sha[65])
{
	json_error_t jerr;
	json_t *doc = json_loads(doc_text, 0, &jerr), *cert;

	assert_non_null(doc);
	assert_string_equal(json_string_value(json_object_get(doc, "kind")),
	                    "apigee-bundle/pem-file/v1");
	assert_non_null(
	        strstr(json_string_value(json_object_get(doc, "redacted")), " certificate>"));
	cert = json_object_get(json_array_get(json_object_get(doc, "items"), 0), "cert");
	assert_non_null(cert);
	assert_int_equal(json_string_length(json_object_get(cert, "sha256")), 64);
	snprintf(sha, 65, "%s", json_string_value(json_object_get(cert, "sha256")));
	assert_string_equal(json_string_value(json_object_get(cert, "not_after")),
	                    "2045-01-01T00:00:00Z");
	json_decref(doc);
}

/* A certificate inside a JSON string (gcloud ssl-certificates) or a YAML block
 * scalar (inline sslCert) becomes its facts, pseudonymized like the rest, in the
 * same place: the JSON stays valid, the analyzer can still judge it. */
static void test_pseudo__embedded_certificates_keep_facts(void **state)
{
	struct redactor *r = new_pseudo(NULL);
	json_t *s = json_string(fixture_pem), *doc;
	char *esc = json_dumps(s, JSON_ENCODE_ANY), *out, *yaml, *fp, sha_json[65], sha_yaml[65];
	struct buf y = BUF_INIT, j = BUF_INIT;
	json_error_t jerr;
	char *p;

	(void)state;
	assert_non_null(esc);
	assert_int_equal(buf_printf(&j, "[{\"name\": \"c1\", \"certificate\": %s}]\n", esc), 0);
	out = red(r, "gcp/ssl-certificates.json", j.data);
	assert_null(strstr(out, "MIICtTCC"));
	assert_null(strstr(out, "Apigee Bundle Fixtures"));
	doc = json_loads(out, 0, &jerr);
	assert_non_null(doc);
	check_block_facts(json_string_value(json_object_get(json_array_get(doc, 0), "certificate")),
	                  sha_json);
	json_decref(doc);

	assert_int_equal(buf_puts(&y, "virtualhosts:\n  - name: public\n    sslCert: |\n"), 0);
	for (const char *l = fixture_pem; *l; l = strchr(l, '\n') + 1) {
		assert_int_equal(buf_puts(&y, "      "), 0);
		assert_int_equal(buf_append(&y, l, (size_t)(strchr(l, '\n') + 1 - l)), 0);
	}
	assert_int_equal(buf_puts(&y, "    sslKey: x\n"), 0);
	yaml = red(r, "overrides.yaml", y.data);
	assert_null(strstr(yaml, "MIICtTCC"));
	p = strstr(yaml, "    sslCert: |\n      {\"kind\"");
	assert_non_null(p);
	p = strchr(p, '{');
	*strchr(p, '\n') = '\0';
	check_block_facts(p, sha_yaml);
	/* the same certificate, the same (pseudonymized) fingerprint everywhere */
	assert_string_equal(sha_json, sha_yaml);
	fp = red(r, "probe.txt", "sha256 " FIXTURE_SHA256 "\n");
	assert_non_null(strstr(fp, sha_json));
	free(fp);
	free(yaml);
	buf_release(&y);
	free(out);
	buf_release(&j);
	free(esc);
	json_decref(s);
	redactor_free(r);
}

/* What looks like an address, a host or a fingerprint but is a version, a Java
 * class, an ID or a digest stays; an x509 -text SAN line changes like the rest. */
/* A facts document's common_name gets the token of the subject's CN, in plain
 * and in JSON-escaped text; a host name there is left to the host rule. */
static void test_pseudo__facts_common_name(void **state)
{
	struct redactor *r = new_pseudo(NULL);
	char *out, *esc;

	(void)state;
	out = red(r, "c.json",
	          "{\"subject\": \"O = Customer Corp, CN = Customer Corp Internal CA\",\n"
	          " \"common_name\": \"Customer Corp Internal CA\"}\n");
	assert_null(strstr(out, "Customer Corp"));
	assert_non_null(strstr(out, "\"common_name\": \"name"));
	esc = red(r, "d.json",
	          "{\"doc\": \"{\\\"common_name\\\": \\\"Customer Corp Internal CA\\\"}\"}\n");
	assert_null(strstr(esc, "Customer Corp"));
	free(esc);
	free(out);
	out = red(r, "e.json", "{\"common_name\": \"api.corp-shop.com\"}\n");
	assert_null(strstr(out, "corp-shop"));
	free(out);
	redactor_free(r);
}

static void test_pseudo__false_rewrites(void **state)
{
	struct redactor *r = new_pseudo(NULL);
	const char *keep[] = {
		"Chrome/124.0.0.0",
		"openjdk version \"17.0.10.7\"",
		"java.version=17.0.10.7",
		"Version: 17.0.10.7",
		"release 8.8.4.4",
		"build 17.0.10.7+7",
		"date 2024.01.05.10",
		"1.2.3.4-gke.100",
		"java.net.SocketException: Connection reset",
		"at org.apache.cassandra.net.MessagingService.send(MessagingService.java:123)",
		"at io.netty.channel.nio.NioEventLoop.run(NioEventLoop.java:1)",
		"containerID: "
		"containerd://0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0",
		"checksum/config: 1111111111111111111111111111111111111111111111111111111111111111",
		"\"Id\": \"4444444444444444444444444444444444444444444444444444444444444444\"",
		"image@sha256:2222222222222222222222222222222222222222222222222222222222222222",
		NULL,
	};
	char *out, *san, *m;

	(void)state;
	for (const char *const *k = keep; *k; k++) {
		char line[256];

		snprintf(line, sizeof(line), "%s\n", *k);
		out = red(r, "x.log", line);
		assert_string_equal(out, line);
		free(out);
	}
	/* still addresses, hosts and fingerprints */
	out = red(r, "y.log",
	          "GET http://8.8.4.4/x from 10.1.2.3 host api.corp-shop.com "
	          "fp 3333333333333333333333333333333333333333333333333333333333333333\n");
	assert_null(strstr(out, "8.8.4.4"));
	assert_null(strstr(out, "10.1.2.3"));
	assert_null(strstr(out, "corp-shop"));
	assert_null(strstr(out, "33333333333333333333"));
	/* the SAN line: the same tokens as elsewhere */
	san = red(r, "cert.txt",
	          "                DNS:api.corp-shop.com, DNS:*.corp-shop.com, IP "
	          "Address:10.1.2.3\n");
	assert_null(strstr(san, "corp-shop"));
	assert_null(strstr(san, "10.1.2.3"));
	assert_non_null(strstr(san, word_after(out, "host ")));
	assert_non_null(strstr(san, word_after(out, "from ")));
	/* a manifest.json at any depth: digests stay, home-folder user names go */
	m = red(r, "bundle-1/inner/manifest.json",
	        "{\"argv\": [\"apigee-bundle\", \"-o\", \"/home/alice/b.tar.gz\", "
	        "\"/Users/bob/x\", \"C:\\\\Users\\\\carol\\\\y\"],\n"
	        " \"sha256\": "
	        "\"5555555555555555555555555555555555555555555555555555555555555555\"}\n");
	assert_null(strstr(m, "alice"));
	assert_null(strstr(m, "bob"));
	assert_null(strstr(m, "carol"));
	assert_non_null(strstr(m, "/home/user"));
	assert_non_null(
	        strstr(m, "\"5555555555555555555555555555555555555555555555555555555555555555\""));
	free(m);
	free(san);
	free(out);
	redactor_free(r);
}

static void test_pseudo__map_round_trip(void **state)
{
	const char *in = "h api.mydomain.com ip 10.9.8.7 mail bob@mydomain.com ip6 2a00:1450::5\n";
	struct redactor *r1, *r2;
	struct error e = ERROR_INIT;
	struct stat st;
	char *a, *b;
	json_t *m;
	json_error_t jerr;

	(void)state;
	unlink(MAP);
	r1 = new_pseudo(MAP);
	a = red(r1, "x.log", in);
	assert_int_equal(redactor_save_map(r1, &e), 0);
	assert_int_equal(stat(MAP, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	m = json_load_file(MAP, 0, &jerr);
	assert_non_null(m);
	assert_string_equal(json_string_value(json_object_get(m, "format")),
	                    "apigee-bundle/pseudonym-map/v1");
	assert_non_null(json_object_get(json_object_get(m, "labels"), "mydomain"));
	json_decref(m);
	/* the same map again: the same tokens, and new ones go on from there */
	r2 = new_pseudo(MAP);
	b = red(r2, "y.log", in);
	assert_string_equal(a, b);
	free(b);
	b = red(r2, "y.log", "new.example-two.org\n");
	assert_null(strstr(b, "example-two"));
	assert_int_equal(redactor_save_map(r2, &e), 0);
	assert_int_equal(stat(MAP, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	free(a);
	free(b);
	redactor_free(r1);
	redactor_free(r2);
	/* a file that is not a map is refused */
	{
		FILE *f = fopen(MAP, "w");
		struct redact_options o = { .pseudonymize = true, .map_file = MAP };
		struct redactor *r3 = NULL;

		fputs("{\"format\": \"other\"}", f);
		fclose(f);
		assert_true(redactor_new(&o, &r3, &e) < 0);
		assert_null(r3);
	}
	unlink(MAP);
}

static void test_pseudo__many_mappings_stay_fast(void **state)
{
	struct redactor *r = new_pseudo(NULL);
	struct buf in = BUF_INIT, out;
	struct error e = ERROR_INIT;

	(void)state;
	/* 200k distinct host names and addresses: hash tables, no per-line scan of the map */
	for (int i = 0; i < 200000; i++)
		assert_int_equal(buf_printf(&in, "h%d.cust%d.com 10.%d.%d.1\n", i, i % 977,
		                            (i >> 8) & 255, i & 255),
		                 0);
	assert_int_equal(redact_buffer(r, "big.log", in.data, in.len, &out, &e), 0);
	assert_null(strstr(out.data, "cust1.com"));
	buf_release(&in);
	buf_release(&out);
	redactor_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pseudo__hosts_consistent_across_members),
		cmocka_unit_test(test_pseudo__wildcards_and_san_matching),
		cmocka_unit_test(test_pseudo__ip_classes),
		cmocka_unit_test(test_pseudo__ipv6),
		cmocka_unit_test(test_pseudo__emails_names_dn_fingerprints),
		cmocka_unit_test(test_pseudo__learning_prefilter),
		cmocka_unit_test(test_pseudo__certificates_dropped),
		cmocka_unit_test(test_pseudo__embedded_certificates_keep_facts),
		cmocka_unit_test(test_pseudo__false_rewrites),
		cmocka_unit_test(test_pseudo__facts_common_name),
		cmocka_unit_test(test_pseudo__map_round_trip),
		cmocka_unit_test(test_pseudo__many_mappings_stay_fast),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
