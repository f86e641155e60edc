/* SPDX-License-Identifier: Apache-2.0 */
/* Family CURL: the symptom the client sees, from the collector's libcurl trace
 * and any curl -v / openssl s_client transcript a user attached (all seeds).
 * Each check fails when a transcript shows its symptom, and points to the cause
 * checks of the other families (finding_relate) so the report can lead from the
 * symptom to the causes the evidence supports.
 *
 * Decisions where checks.md leaves room:
 *   - openssl s_client transcripts count for CURL-001 (reset, or no certificate)
 *     and CURL-002 (alert); they cannot show HTTP statuses, so CURL-003..007 need
 *     curl transcripts and skip when only s_client output is there;
 *   - CURL-002 also points to TLS-001: the TLS playbook lists the missing secret
 *     among the causes of both resets and handshake-failure alerts. */
#include "checks.h"

#include <stdio.h>
#include <string.h>

#include "bundle.h"
#include "cleanup.h"
#include "findings.h"
#include "model.h"
#include "common.h"
#include "banned.h"

#define HINT_CURL_TRACE                                                                      \
	"curl -v https://HOST/PATH > curl.txt 2>&1 and add it with --attach curl.txt  (or: " \
	"apigee-bundle collect --host HOST)"

struct curl_rule {
	unsigned symptom;   /* enum curl_symptom bit */
	bool sclient_reset; /* s_client: reset / no peer certificate counts */
	bool sclient_alert; /* s_client: an alert counts */
	const char *what;   /* "show a connection reset during the TLS handshake" */
	const char *const *related;
};

static const char *const rel_reset[] = { "SNI-001", "SNI-002", "SNI-003", "SNI-004", "SNI-005",
	                                 "SNI-006", "SNI-007", "TLS-001", NULL };
static const char *const rel_alert[] = {
	"TLS-001", "TLS-002", "TLS-003", "TLS-004", "TLS-006", NULL
};
static const char *const rel_verify[] = { "TLS-005", "TLS-006", "TLS-007",
	                                  "TLS-008", "XLB-001", NULL };
static const char *const rel_502[] = {
	"XLB-004", "XLB-005", "XLB-006", "XLB-007", "XLB-008", NULL
};
static const char *const rel_503[] = { "XLB-009", NULL };
static const char *const rel_403[] = { "XLB-003", NULL };
static const char *const rel_none[] = { NULL };

static const struct curl_rule rule_001 = { CURL_SYM_RESET, true, false,
	                                   "show the connection reset during the TLS handshake",
	                                   rel_reset };
static const struct curl_rule rule_002 = { CURL_SYM_ALERT, false, true,
	                                   "show a TLS handshake failure alert", rel_alert };
static const struct curl_rule rule_003 = { CURL_SYM_VERIFY, false, false,
	                                   "show the client rejecting the server certificate",
	                                   rel_verify };
static const struct curl_rule rule_004 = { CURL_SYM_HTTP502, false, false,
	                                   "show HTTP 502 with the Google front end's Server Error "
	                                   "page",
	                                   rel_502 };
static const struct curl_rule rule_005 = { CURL_SYM_HTTP503, false, false,
	                                   "show HTTP 503 from the Google front end", rel_503 };
static const struct curl_rule rule_006 = { CURL_SYM_HTTP403_404, false, false,
	                                   "show HTTP 403/404, possibly from Cloud Armor",
	                                   rel_403 };
static const struct curl_rule rule_007 = { CURL_SYM_CONNECT, false, false,
	                                   "show that the client could not connect", rel_none };

static bool sclient_shows(const struct curl_rule *rule, const struct sclient_trace *s)
{
	if (rule->sclient_reset && !s->got_cert && (s->reset || s->no_peer_cert) && !s->alert)
		return true;
	return rule->sclient_alert && s->alert;
}

/* The one-line detail of a trace for the summary: "curl: (35) ..." as excerpt. */
static const char *trace_detail(const struct curl_trace *t, const struct curl_rule *rule)
{
	if (rule->symptom == CURL_SYM_VERIFY && t->verify_error)
		return t->verify_error;
	if (rule->symptom == CURL_SYM_CONNECT && t->connect_error)
		return t->connect_error;
	return t->where.excerpt;
}

/* A reset counts as a handshake reset only during a TLS handshake: not after it
 * completed, not on plain HTTP, and not with curl exit 56 (CURLE_RECV_ERROR:
 * receiving data failed; curl reports a failed handshake as 35). */
static bool handshake_reset(const struct curl_trace *t)
{
	if (t->symptoms & CURL_SYM_OK)
		return false;
	if (t->exit_code == 56)
		return false;
	return !(t->url && strncmp(t->url, "http://", 7) == 0);
}

/* An alert after the server asked for a client certificate, or after it sent its own
 * chain: the handshake failed on the client's side of the exchange, typically a
 * client certificate that mutual TLS requires and the client did not send. */
static void client_cert_note(const struct bundle *b, struct finding *f)
{
	size_t asked = 0, after_chain = 0;

	for (size_t i = 0; i < b->n_curls; i++)
		if ((b->curls[i].symptoms & CURL_SYM_ALERT) && b->curls[i].cert_requested)
			asked++;
	for (size_t i = 0; i < b->n_sclients; i++) {
		const struct sclient_trace *s = &b->sclients[i];

		if (!s->alert)
			continue;
		if (s->cert_requested)
			asked++;
		else if (s->got_cert)
			after_chain++;
	}
	if (asked)
		finding_note(f,
		             "%zu of them: the server asked for a client certificate before the "
		             "alert: mutual TLS (a ca.crt in the virtual host's secret); give the "
		             "client its certificate (curl --cert/--key, s_client -cert/-key)",
		             asked);
	if (after_chain)
		finding_note(f,
		             "%zu of them: the alert came after the server's certificate chain, so "
		             "the server found its certificate for the name: look at what the "
		             "client sent next (a client certificate mutual TLS requires, "
		             "signature algorithms)",
		             after_chain);
}

/* "refused x2, timed out x2, DNS x1": what kept the clients from connecting; the
 * number of different kinds */
static size_t connect_kinds(const struct bundle *b, char *out, size_t size)
{
	static const struct {
		const char *label, *words[3];
	} kinds[] = {
		{ "DNS", { "resolve", "Name or service not known", NULL } },
		{ "refused", { "refused", "Couldn't connect", NULL } },
		{ "timed out", { "timed out", "Timeout", NULL } },
	};
	size_t n[ELEMENTSOF(kinds) + 1] = { 0 }, distinct = 0, at = 0;

	for (size_t i = 0; i < b->n_curls; i++) {
		const char *e = b->curls[i].connect_error;
		size_t k = 0;

		if (!(b->curls[i].symptoms & CURL_SYM_CONNECT))
			continue;
		for (; e && k < ELEMENTSOF(kinds); k++)
			if (strstr(e, kinds[k].words[0]) || strstr(e, kinds[k].words[1]))
				break;
		n[e ? k : ELEMENTSOF(kinds)]++;
	}
	out[0] = '\0';
	for (size_t k = 0; k <= ELEMENTSOF(kinds); k++) {
		if (!n[k])
			continue;
		distinct++;
		at += (size_t)snprintf(out + at, at < size ? size - at : 0, "%s%s x%zu",
		                       at ? ", " : "",
		                       k < ELEMENTSOF(kinds) ? kinds[k].label : "other", n[k]);
		if (at >= size)
			break;
	}
	return distinct;
}

/* CURL-007's verdict: not a TLS problem, and what kind of connection failure */
static void connect_summary(const struct bundle *b, struct finding *f,
                            const struct curl_trace *first, const char *detail, size_t hits)
{
	char kinds[160];

	if (connect_kinds(b, kinds, sizeof(kinds)) > 1)
		finding_set(
		        f, STATUS_FAIL,
		        "not a TLS problem: the client could not connect in %zu transcript(s): %s",
		        hits, kinds);
	else if (first && first->exit_code >= 0)
		finding_set(
		        f, STATUS_FAIL,
		        "not a TLS problem: the client could not connect (%s, curl exit %d) in %zu "
		        "transcript(s)",
		        detail ? detail : "connection failed", first->exit_code, hits);
	else
		finding_set(
		        f, STATUS_FAIL,
		        "not a TLS problem: the client could not connect (%s) in %zu transcript(s)",
		        detail ? detail : "connection failed", hits);
	finding_note(f, "check DNS, routing and firewalls between the client and the endpoint "
	                "before looking at certificates");
}

static int curl_check(const struct bundle *b, struct finding *f, const struct curl_rule *rule)
{
	size_t traces = 0, hits = 0, ip_hits = 0;
	const struct curl_trace *first = NULL;
	const struct sclient_trace *first_s = NULL;
	const char *detail, *first_ev;
	char lib[160] = "", alert[96];

	for (size_t i = 0; i < b->n_curls; i++) {
		const struct curl_trace *t = &b->curls[i];

		traces++;
		if (!(t->symptoms & rule->symptom))
			continue;
		if (rule->symptom == CURL_SYM_RESET && !handshake_reset(t))
			continue;
		hits++;
		if (t->ip_literal)
			ip_hits++;
		if (!first)
			first = t;
		finding_evidence(f, &t->where, NULL);
	}
	if (rule->sclient_reset || rule->sclient_alert)
		for (size_t i = 0; i < b->n_sclients; i++) {
			const struct sclient_trace *s = &b->sclients[i];

			traces++;
			if (!sclient_shows(rule, s))
				continue;
			hits++;
			if (s->noservername)
				ip_hits++;
			if (!first_s)
				first_s = s;
			finding_evidence(f, &s->where, NULL);
		}
	if (traces == 0) {
		const struct artifact *a = check_unreadable(b, HINT_CURL);

		if (a) {
			finding_set(f, STATUS_ERROR, "%s could not be read: %s", a->path,
			            a->error ? a->error : "unreadable");
			finding_evidence_at(f, a->path, a->error_line, NULL, a->error);
			return 0;
		}
		finding_skip(f, "a curl -v transcript of the failing call", HINT_CURL_TRACE);
		return 0;
	}
	if (hits == 0) {
		finding_set(f, STATUS_PASS, "%zu client transcript(s); none %s", traces,
		            rule->what);
		return 0;
	}
	for (const char *const *r = rule->related; *r; r++)
		finding_relate(f, *r);
	if (first && first->tls_library)
		snprintf(lib, sizeof(lib), ", %s", first->tls_library);
	if (!first && first_s && rule->sclient_alert && first_s->alert) {
		snprintf(alert, sizeof(alert), "alert: %s", first_s->alert);
		detail = alert;
	} else {
		detail = first ? trace_detail(first, rule)
		               : (first_s ? first_s->where.excerpt : NULL);
	}
	first_ev = f->n_evidence && f->evidence[0].excerpt ? f->evidence[0].excerpt : NULL;
	if (rule->symptom == CURL_SYM_CONNECT) {
		connect_summary(b, f, first, detail, hits);
		return 0;
	}
	if (first && first->exit_code >= 0)
		finding_set(f, STATUS_FAIL, "%zu client transcript(s) %s (curl exit %d%s): %s",
		            hits, rule->what, first->exit_code, lib, detail ? detail : "");
	else
		finding_set(f, STATUS_FAIL, "%zu client transcript(s) %s%s%s%s", hits, rule->what,
		            lib[0] ? " (" : "", lib[0] ? lib + 2 : "", lib[0] ? ")" : "");
	/* the detail, unless it only repeats the first evidence line */
	if (detail && !(first && first->exit_code >= 0) && !(first_ev && strstr(first_ev, detail)))
		finding_note(f, "%s", detail);
	if (rule->symptom == CURL_SYM_RESET && ip_hits)
		finding_note(f,
		             "%zu of them connected to an IP address or without a server name, "
		             "so no SNI was sent: see the SNI checks",
		             ip_hits);
	if (rule->symptom == CURL_SYM_ALERT)
		client_cert_note(b, f);
	if (rule->symptom == CURL_SYM_ALERT && ip_hits) {
		/* a server that requires SNI answers a ClientHello without it with an alert
		 * (handshake_failure, unrecognized_name) instead of a reset */
		finding_note(f,
		             "%zu of them sent no SNI (an IP address or a client that sends none "
		             "by default): a server that requires SNI refuses such handshakes with "
		             "an alert: see the SNI checks",
		             ip_hits);
		finding_relate(f, "SNI-002");
		finding_relate(f, "SNI-003");
	}
	return 0;
}

static int curl_001(const struct bundle *b, const struct findings *prior, struct finding *f)
{
	(void)prior;
	return curl_check(b, f, &rule_001);
}

static int curl_002(const struct bundle *b, const struct findings *prior, struct finding *f)
{
	(void)prior;
	return curl_check(b, f, &rule_002);
}

static int curl_003(const struct bundle *b, const struct findings *prior, struct finding *f)
{
	(void)prior;
	return curl_check(b, f, &rule_003);
}

static int curl_004(const struct bundle *b, const struct findings *prior, struct finding *f)
{
	(void)prior;
	return curl_check(b, f, &rule_004);
}

static int curl_005(const struct bundle *b, const struct findings *prior, struct finding *f)
{
	(void)prior;
	return curl_check(b, f, &rule_005);
}

static int curl_006(const struct bundle *b, const struct findings *prior, struct finding *f)
{
	(void)prior;
	return curl_check(b, f, &rule_006);
}

static int curl_007(const struct bundle *b, const struct findings *prior, struct finding *f)
{
	(void)prior;
	return curl_check(b, f, &rule_007);
}

#define SRC_CURL "000_47a4624b937bcbbd.txt, 001_22208df47de6b036.txt, 002_4cec95510c21cd8a.txt"
#define CURL_INPUTS "curl -v transcripts (collector probe trace or user attachments)"

static const struct check checks_curl[] = {
	{ "CURL-001", "Connection reset during the TLS handshake",
	  "No connection was reset during the TLS handshake", SEVERITY_MEDIUM,
	  CURL_INPUTS ", openssl s_client transcripts",
	  "The server side closed the connection right after the Client Hello. When the client "
	  "sends no SNI (an IP address in the URL, an old client) enable non-SNI clients "
	  "(SNI-003..SNI-007); otherwise check that the env group's TLS secret exists "
	  "(TLS-001).",
	  SRC_CURL, HINT_CURL_TRACE, curl_001 },
	{ "CURL-002", "TLS handshake failure alert", "No TLS handshake failure alert",
	  SEVERITY_MEDIUM, CURL_INPUTS ", openssl s_client transcripts",
	  "The server refused the handshake with an alert: look at the certificate and key the "
	  "ingress was given (TLS-002, TLS-003, TLS-004), the host names it covers (TLS-006) and "
	  "whether its secret exists (TLS-001).",
	  SRC_CURL, HINT_CURL_TRACE, curl_002 },
	{ "CURL-003", "Certificate verification failed on the client",
	  "No certificate verification failure on the client", SEVERITY_MEDIUM, CURL_INPUTS,
	  "The client does not accept the server's certificate: check its validity dates "
	  "(TLS-005), its names (TLS-006), whether the expected certificate is served (TLS-007) "
	  "and the chain (TLS-008); for Apigee X also the load balancer certificate (XLB-001).",
	  SRC_CURL, HINT_CURL_TRACE, curl_003 },
	{ "CURL-004", "HTTP 502 from the Google front end", "No HTTP 502 from the Google front end",
	  SEVERITY_MEDIUM, CURL_INPUTS,
	  "The load balancer could not reach a healthy apigee-proxy backend: see XLB-004 to "
	  "XLB-008.",
	  SRC_CURL, HINT_CURL_TRACE, curl_004 },
	{ "CURL-005", "HTTP 503 from the Google front end", "No HTTP 503 from the Google front end",
	  SEVERITY_MEDIUM, CURL_INPUTS,
	  "An instance that received the request serves no such environment: see XLB-009.",
	  SRC_CURL, HINT_CURL_TRACE, curl_005 },
	{ "CURL-006", "HTTP 403/404 possibly from Cloud Armor",
	  "No HTTP 403/404 that Cloud Armor may have sent", SEVERITY_MEDIUM, CURL_INPUTS,
	  "A security policy may be rejecting the request: see XLB-003 and the load balancer log.",
	  SRC_CURL, HINT_CURL_TRACE, curl_006 },
	{ "CURL-007", "Connection refused / timed out / DNS failure",
	  "No connection refused, timed out or failed in DNS", SEVERITY_MEDIUM, CURL_INPUTS,
	  "Not a TLS problem: the client never reached the TLS layer. Check name resolution, the "
	  "address and port, routes and firewalls between the client and the endpoint.",
	  SRC_CURL, HINT_CURL_TRACE, curl_007 },
};
CHECK_ROWS(curl, checks_curl);
