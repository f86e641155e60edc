/* SPDX-License-Identifier: Apache-2.0 */
/* Network sources of the collector: the Apigee management API and the TLS/HTTPS
 * probes. Both write only through the sink (collect/sink.h).
 *
 * Management API (collect/api.c)
 * ------------------------------
 * collect_api() GETs, below o->base + "/v1":
 *   organizations/ORG                                   -> api/organization.json
 *   organizations/ORG/instances (all pages, pageToken=) -> api/instances.json
 *        (pages merged into one {"instances": [...]} document)
 *   organizations/ORG/instances/NAME                    -> api/instances/NAME.json
 *   organizations/ORG/instances/NAME/attachments (paged)-> api/instances/NAME/attachments.json
 *        (merged into {"attachments": [...]})
 *   organizations/ORG/envgroups (paged)                 -> api/envgroups.json
 *        (merged into {"environmentGroups": [...]})
 *   organizations/ORG/envgroups/NAME/attachments (paged)-> api/envgroups/NAME/attachments.json
 *        (merged into {"environmentGroupAttachments": [...]})
 * Each member is emitted with MEMBER_SRC_API, its URL (never a token), the final
 * HTTP status, the duration and an outcome; each request is also one sink_source()
 * named "management API: organization", "management API: instances",
 * "management API: instance NAME", ... .
 *
 * Outcome rules (API):
 *   - 2xx with a JSON body: OUTCOME_OK.
 *   - 2xx with a body that is not JSON: the body is kept as the member, outcome
 *     OUTCOME_FAILED, reason "invalid JSON".
 *   - 401/403/404 (and any other 3xx/4xx but 429): no retry; Google's error JSON is
 *     kept as the member body; OUTCOME_FAILED with reason
 *     "HTTP 401 UNAUTHENTICATED: <error.message>" (status text from error.status;
 *     "HTTP 404" alone when the body is no error envelope). Redirects are not
 *     followed (the bearer token must not travel elsewhere).
 *   - 429, 5xx and transport timeouts/resets (curl 28, 35, 52, 55, 56, 18): retried
 *     up to o->max_retries times (exponential backoff: backoff_ms, x2 per attempt,
 *     plus up to 50% jitter, capped at 10 s; a 429's Retry-After seconds are
 *     honoured instead, capped at 30 s). The last answer counts: an HTTP answer is
 *     kept as above; a transport failure (also DNS failure / connection refused,
 *     never retried) emits NO member, only sink_source() with OUTCOME_TIMEOUT (curl
 *     28) or OUTCOME_FAILED and the curl error text. After such a transport
 *     failure the API is considered unreachable: every later request of this call
 *     is OUTCOME_SKIPPED ("management API unreachable: ...") without waiting again.
 *   - A response over API_MAX_RESPONSE is OUTCOME_FAILED "response too large" (no
 *     member).
 *   - A list whose page N>1 fails: the pages read so far are emitted merged, outcome
 *     OUTCOME_FAILED, reason "page N: <reason of that page>".
 * When the instance list cannot be read and no --instance was given, the
 * per-instance requests are skipped (OUTCOME_SKIPPED). Names taken from the API are
 * used in member paths only when they are safe file names ([A-Za-z0-9._-], not
 * "." or ".."); others are OUTCOME_FAILED "unsafe name".
 * Return value: 0 when the source ran (whatever the HTTP outcomes, they are all
 * recorded in the sink), negative errno only for local failures (ENOMEM, libcurl
 * cannot be initialised, sink_emit failed) with err set.
 * The token only ever goes into an Authorization header built in a curl_slist that
 * is freed (and cleansed) after use; error text from libcurl is scrubbed of it.
 *
 * Probes (collect/probe.c)
 * ------------------------
 * collect_probes() plans, then runs in up to 8 threads (results reach the sink
 * from the calling thread only, after all probes ended):
 *   1. per host ("name[:port]", port 443 by default; every --resolve name is a host
 *      too): an OpenSSL handshake WITH SNI (none for an IP literal host) to the
 *      address of the matching --resolve entry, else to getaddrinfo()'s first
 *      address; ALPN h2,http/1.1 offered; records protocol, cipher, ALPN, the served
 *      chain (cert_facts_to_json of each), verification against the system store
 *      plus o->cacert (SSL_VERIFY_NONE handshake, then SSL_get_verify_result) and
 *      the host name check (X509_check_host / X509_check_ip_asc) — a mismatch on an
 *      otherwise valid chain is code 62 "hostname mismatch";
 *   2. per ingress address (each --resolve address, and each --ingress
 *      "addr[:port]"): a handshake WITHOUT SNI; for --ingress addresses also one
 *      with each host name's SNI (for a --resolve address that is step 1 already),
 *      so that SNI-002 can compare. Identical (sni, address, port) probes run once;
 *   3. per host: GET https://name:port/ with libcurl (CURLOPT_RESOLVE from
 *      o->resolves, the same CA rule as the API, proxy variables honoured), stored as
 *      a `curl -v` transcript (first line "$ curl -v [--resolve ..] [--cacert F] URL",
 *      last line "curl: (NN) message" on failure, response body up to 16 KiB).
 * Members, in this order:
 *   probes/probes.json          MEMBER_SRC_COLLECTOR, always OUTCOME_OK: the
 *                               apigee-bundle/probes/v1 document of
 *                               doc/bundle-layout.md, plus per probe "pem" (member
 *                               name or null) and "verify.host_match" (true, false,
 *                               null when not checked: no-SNI probes);
 *                               "verify" is null when no certificate was received;
 *                               "host" is null for a no-SNI probe of an --ingress
 *                               address, the --resolve name for a --resolve address.
 *   probes/certs/NAME[_PORT].pem        chain of a host's own SNI probe (PORT only
 *                                       when not 443), MEMBER_SRC_PROBE, target ADDR:PORT;
 *   probes/certs/SNI@ADDR_PORT.pem      other probes that got a chain ("nosni@..."
 *                                       without SNI);
 *   probes/curl/NAME[_PORT].txt         MEMBER_SRC_PROBE, target = the URL,
 *                                       exit_status = curl's code, http_status.
 * NAME parts are collect_safe_name()d; a clash gets "-2", "-3"...
 * Probe outcomes ("outcome" in probes.json): ok|reset|eof|alert|timeout|refused|dns|error.
 *
 * Outcome rules (probes), one sink_source() per handshake, named
 * "probe NAME:PORT (SNI)" (step 1), "probe ADDR:PORT (no SNI)",
 * "probe ADDR:PORT (SNI NAME)" (step 2), and one per request
 * "probe https://NAME:PORT/ (curl)":
 *   - A handshake that reached the server is a collected fact, whatever the server
 *     did: ok, reset, eof, alert, a TLS error after connecting, and a failed
 *     verification are OUTCOME_OK for the source; the reason (informational, may be
 *     shown beside "ok") says what was seen: "reset: Connection reset by peer",
 *     "alert: handshake failure", "certificate verification: ...".
 *   - An unreachable target is a failed source: dns, refused and an error before the
 *     TCP connection (EHOSTUNREACH...) are OUTCOME_FAILED; a connect or handshake
 *     timeout is OUTCOME_TIMEOUT. So collect exits 4 when a host cannot be reached
 *     or never answers, and 0 when it answers with a reset.
 *   - The curl request: OUTCOME_OK when it succeeded or failed after connecting
 *     (35, 60, 56...: the fact is in the transcript); OUTCOME_FAILED for 6, 5, 7 and
 *     local failures; OUTCOME_TIMEOUT for 28.
 * With no host and no ingress address: no member, sink_source("probes", SKIPPED).
 * Return value: 0 when the probes ran (whatever they found); negative errno for
 * local failures only: ENOMEM, an unparsable --host/--resolve/--ingress (-EINVAL,
 * err names it), an unreadable o->cacert (-EINVAL), more than 256 handshakes
 * (-ERANGE), a failing sink_emit.
 *
 * Process requirements (both sources): curl_global_init() ran once in main() before
 * any thread; SIGPIPE is blocked in the calling thread (and so in the probe
 * threads) while a source runs and a SIGPIPE raised meanwhile is dropped, so main
 * need not ignore it. Both sources may run concurrently in different threads; each
 * calls the sink only from the thread that called it.
 *
 * Every network wait is timed and reported with sink_add_wait(). */
#ifndef COLLECT_SOURCES_H
#define COLLECT_SOURCES_H

#include <pthread.h>
#include <stdbool.h>
#include <signal.h>
#include <stddef.h>

#include "buf.h"

struct sink;
struct collect_options;
struct error;

#define API_DEFAULT_BASE "https://apigee.googleapis.com"
#define API_MAX_RESPONSE (32u * 1024 * 1024)
#define API_DEFAULT_RETRIES 3
#define API_DEFAULT_TIMEOUT_S 30

struct api_options {
	const char *base;                    /* NULL = API_DEFAULT_BASE; "/v1" is appended */
	const char *org;                     /* required */
	const struct strv *instances;        /* NULL or empty = all instances listed */
	const char *token;                   /* never copied into members, errors or logs;
				       * NULL = no Authorization header; white space or
				       * control characters in it: -EINVAL */
	const char *cacert;                  /* NULL = system store only; else trusted in
				       * addition to the system store (unreadable: -EINVAL) */
	long timeout_s;                      /* per request; <= 0 = API_DEFAULT_TIMEOUT_S */
	int max_retries;                     /* < 0 = API_DEFAULT_RETRIES */
	int backoff_ms;                      /* base of the backoff; <= 0 = 200 */
	const volatile sig_atomic_t *cancel; /* non-zero (SIGINT): abort the request in
					      * flight, no retry, skip the rest; NULL = never */
};

/* See above. ret_hostnames (may be NULL) receives the envgroup host names (unique,
 * in API order, wildcard names like "*.example.com" left out): the default probe
 * targets. The caller releases it (strv_release). */
int collect_api(const struct api_options *o, struct sink *s, struct strv *ret_hostnames,
                struct error *err);

/* Pagination of a list answer (pure, fuzzable: no network, no files).
 * Parses one page (data, len), which must be a JSON object whose member `key` is an
 * array (or absent: Google omits empty lists) and whose optional "nextPageToken" is
 * a string. The first page becomes *acc (without "nextPageToken", `key` always
 * present); later pages' items are appended to (*acc)[key]. *ret_next gets the
 * next page token (caller frees) or NULL on the last page.
 * Limits: API_MAX_ITEMS items in all, tokens of at most 4096 bytes.
 * Returns 0; -EINVAL for invalid JSON / wrong shapes (err says which, *acc is left
 * as it was), -ERANGE over a limit, -ENOMEM. */
struct json_t;
#define API_MAX_ITEMS 100000
int api_page_merge(struct json_t **acc, const char *key, const void *data, size_t len,
                   char **ret_next, struct error *err);

#define PROBE_DEFAULT_PORT 443
#define PROBE_DEFAULT_TIMEOUT_S 10

struct probe_target {
	char *host;    /* SNI name, or NULL for a handshake without SNI */
	char *address; /* numeric connect address */
	int port;
};

struct probe_options {
	const struct strv *hosts;            /* "name[:port]" ("[v6]:port" accepted) */
	const struct strv *resolves;         /* "name:port:addr" as curl --resolve */
	const struct strv *ingress;          /* "addr[:port]" */
	const char *cacert;                  /* trusted in addition to the system store */
	long timeout_s;                      /* per connect and per handshake; <= 0 = default */
	const volatile sig_atomic_t *cancel; /* non-zero: abort the HTTPS requests in flight */
};

int collect_probes(const struct probe_options *o, struct sink *s, struct error *err);

/* Parsers of the probe options (pure). Each returns 0 or -EINVAL (err set). */
/* "name[:port]", "[v6]:port", "v6": ret->host = name (NULL for an IP literal, no SNI
 * is sent to an address), ret->address = the literal or NULL, port 443 default. */
int probe_parse_host(const char *s, struct probe_target *ret, struct error *err);
/* "name:port:addr" (addr may be "[v6]"; only the first of a comma list is kept). */
int probe_parse_resolve(const char *s, struct probe_target *ret, struct error *err);
/* "addr[:port]", "[v6][:port]". ret->host is NULL. */
int probe_parse_ingress(const char *s, struct probe_target *ret, struct error *err);
void probe_target_release(struct probe_target *t);

/* ---- shared by api.c, probe.c and trace.c (not for other callers) ---- */

/* curl is a CURL * (kept void so that this header needs no curl.h).
 * Trust cacert in addition to the system store on a libcurl handle: with the
 * OpenSSL backend the file is added to curl's X509_STORE from an SSL_CTX callback;
 * with another backend CURLOPT_CAINFO replaces the default store. NULL: nothing. */
int collect_curl_cacert(void *curl, const char *cacert);
/* Milliseconds of a monotonic clock. */
long long collect_now_ms(void);
/* Replace every occurrence of secret (when at least 4 bytes long) in b with
 * "<redacted>". */
int collect_scrub(struct buf *b, const char *secret);
/* A member-path-safe copy of name: [A-Za-z0-9._-] kept, other bytes '_', at most 100
 * bytes; never "", "." or "..". Caller frees. */
char *collect_safe_name(const char *name);

/* A `curl -v` style transcript written from CURLOPT_DEBUGFUNCTION (trace.c). */
struct curl_transcript {
	struct buf text; /* the transcript; capped */
	bool in_data;    /* a "{ [N bytes data]" line was written for this burst */
	bool at_line_start;
	size_t body_shown; /* response body bytes copied into the transcript */
};
/* 1. collect_transcript_init(t, "$ curl -v https://h:443/") writes the command line;
 * 2. collect_transcript_attach(h, t) sets VERBOSE, DEBUGFUNCTION and a WRITEFUNCTION
 *    that copies up to 16 KiB of the body (as `curl -v 2>&1` shows it);
 * 3. after curl_easy_perform(), collect_transcript_finish(t, code, errbuf) appends
 *    "curl: (NN) message" on failure.
 * Credential headers (Authorization, Proxy-Authorization, Cookie, Set-Cookie,
 * X-Api-Key) never enter the transcript. */
int collect_transcript_init(struct curl_transcript *t, const char *command_line);
int collect_transcript_attach(void *curl, struct curl_transcript *t);
int collect_transcript_finish(struct curl_transcript *t, int code, const char *errbuf);
void collect_transcript_release(struct curl_transcript *t);

/* ---- --capture IFACE[:SECONDS] (pktcap.c) ------------------------------------------ */

#define PKTCAP_DEFAULT_SECONDS 60

/* How the capture and the probes (two sources of the same phase) meet: the
 * probes start once tcpdump listens (or gave up), tcpdump stops once the probes
 * are done. */
struct pktcap_sync {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool started, probes_done;
};

void pktcap_sync_init(struct pktcap_sync *y);
void pktcap_sync_release(struct pktcap_sync *y);
void pktcap_started(struct pktcap_sync *y);
void pktcap_probes_done(struct pktcap_sync *y);
/* The probes' side: wait (bounded) until the capture runs or will not. */
void pktcap_wait_started(struct pktcap_sync *y);
/* "IFACE[:SECONDS]" -> iface (caller frees), seconds (1..3600). -EINVAL. */
int pktcap_parse(const char *arg, char **ret_iface, long *ret_seconds);
/* Run tcpdump on iface for tcp ports (strings) until the probes are done; the
 * capture becomes captures/probes.pcap; skipped with the reason when tcpdump is
 * missing or may not capture. */
int collect_pktcap(const struct collect_options *o, const struct strv *ports, struct sink *s,
                   struct pktcap_sync *y, struct error *err);

#endif
