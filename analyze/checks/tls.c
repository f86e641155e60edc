/* SPDX-License-Identifier: Apache-2.0 */
/* Family TLS: API calls fail with TLS errors (seed playbook 001). Missing ingress
 * secret, certificate that does not parse, key that does not match or does not
 * load, expiry against the collection time, host name coverage (RFC 6125), the
 * served certificate against the configured one, and chain verification.
 *
 * Decisions where checks.md leaves room:
 *   - TLS-001 also checks virtual hosts that name their secret with sslSecret;
 *     when every secret the watcher could not find is present in the secrets
 *     listing, the log predates a re-creation: warn, not fail.
 *   - TLS-002 treats a DER certificate as "not PEM": fail where the ingress reads
 *     it (sslCertPath, secret), warn for a loose file handed in by a customer.
 *   - TLS-005 judges each distinct certificate (by fingerprint) once, chain
 *     certificates included; the summary says which time it judged against.
 *   - TLS-006 pairs a certificate with the host names it must serve: a virtual
 *     host's certificate with its env group's host names (envgroups API, routes
 *     named after the virtual host, hostAliases); a secret with the routes whose
 *     credentialName names it (and env group G for secret ORG-G); a served
 *     certificate with the SNI name it was served for; a loose certificate with
 *     every known host name, only when it is the only certificate in the input.
 *   - TLS-007 prefers the secret named by the route that serves the probed host;
 *     otherwise any configured certificate (virtual host, secret, load balancer)
 *     that covers the host counts, and a match with any of them passes.
 *   - TLS-008 fails for missing issuer / intermediate, self-signed, unknown CA and
 *     validity errors, and warns for other verification errors (e.g. a name
 *     mismatch, which TLS-006 judges). s_client transcripts with a certificate
 *     count as probes. */
#include "checks.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "bundle.h"
#include "cleanup.h"
#include "findings.h"
#include "model.h"
#include "pem.h"
#include "text.h"
#include "common.h"
#include "pcap.h"
#include "banned.h"

#define EXPIRY_WARN_SECONDS (30 * 24 * 3600)
#define HINT_CERTS                                                                             \
	"apigee-bundle collect --overrides overrides.yaml  (reads the sslCertPath/sslKeyPath " \
	"files and the TLS secrets; keys are never stored)"
#define HINT_PROBE                                                                                \
	"apigee-bundle collect --host HOST  (or: openssl s_client -connect HOST:443 -servername " \
	"HOST -showcerts)"

/* ---- helpers ------------------------------------------------------------------------------ */

/* "virtual host dev-grp (./certs/dev.pem)", "secret myorg-dev-grp (cert)", ... */
static void cert_who(const struct cert_rec *c, char *out, size_t size)
{
	const char *file = c->file ? c->file : (c->where.artifact ? c->where.artifact : "?");

	switch (c->role) {
	case CERT_ROLE_VHOST:
		snprintf(out, size, "virtual host %s certificate %s", c->owner ? c->owner : "?",
		         file);
		break;
	case CERT_ROLE_SECRET:
		snprintf(out, size, "secret %s key %s", c->owner ? c->owner : "?",
		         c->file ? c->file : "cert");
		break;
	case CERT_ROLE_SERVED:
		snprintf(out, size, "certificate served for %s", c->owner ? c->owner : "?");
		break;
	case CERT_ROLE_LB:
		snprintf(out, size, "load balancer certificate %s", c->owner ? c->owner : "?");
		break;
	case CERT_ROLE_LOOSE:
	default:
		snprintf(out, size, "file %s", c->where.artifact ? c->where.artifact : "?");
		break;
	}
	if (c->chain_index)
		snprintf(out + strlen(out), size - strlen(out), " (chain certificate %u)",
		         c->chain_index);
}

static const char *time_source_text(enum time_source t)
{
	switch (t) {
	case TIME_FROM_MANIFEST:
		return "from the manifest";
	case TIME_FROM_NEWEST_TIMESTAMP:
		return "the newest timestamp in the input, as there is no manifest";
	case TIME_FROM_ANALYSIS_CLOCK:
	default:
		return "the analysis clock, as the input has no manifest and no timestamps";
	}
}

static bool is_leaf(const struct cert_rec *c)
{
	return c->chain_index == 0;
}

/* ---- TLS-001 ---------------------------------------------------------------------------- */

struct tls001_tally {
	size_t checked, missing;
	struct buf names; /* the missing secrets, for the summary */
};

static void tls_001_expect(const struct bundle *b, struct finding *f, const struct vhost *v,
                           const char *secret, const char *how, struct tls001_tally *t)
{
	char ex[512];

	t->checked++;
	if (bundle_find_secret(b, secret))
		return;
	t->missing++;
	buf_printf(&t->names, "%s%s (virtual host %s)", t->names.len ? ", " : "", secret, v->name);
	snprintf(ex, sizeof(ex), "virtual host %s uses %s; secret %s is not in the secrets list",
	         v->name, how, secret);
	finding_evidence(f, &v->where, ex);
}

static int tls_001(const struct bundle *b, const struct findings *prior, struct finding *f)
{
	const struct watcher_stats *w = &b->watcher;
	struct tls001_tally t = { 0, 0, BUF_INIT };
	struct buf names = BUF_INIT;
	size_t now_present = 0;

	(void)prior;
	/* 1. the watcher's own complaint */
	for (size_t i = 0; i < w->n_missing; i++) {
		const struct watcher_missing *m = &w->missing[i];

		buf_printf(&names, "%s%s (%" PRIu64 " time%s)", i ? ", " : "", m->secret, m->count,
		           m->count == 1 ? "" : "s");
		finding_evidence(f, &m->first, NULL);
		if (b->secrets_listed && bundle_find_secret(b, m->secret))
			now_present++;
	}
	/* 2. every virtual host that builds its secret from files needs ORG-VHOST */
	if (b->secrets_listed) {
		for (size_t i = 0; i < b->n_vhosts; i++) {
			const struct vhost *v = &b->vhosts[i];
			char want[512];

			if (v->ssl_secret)
				tls_001_expect(b, f, v, v->ssl_secret, "sslSecret", &t);
			if (!(v->ssl_cert_path || v->ssl_key_path))
				continue;
			if (!b->overrides.org) {
				finding_note(f,
				             "org is not in overrides.yaml: the secret of virtual "
				             "host %s cannot be named",
				             v->name);
				continue;
			}
			snprintf(want, sizeof(want), "%s-%s", b->overrides.org, v->name);
			tls_001_expect(b, f, v, want, "sslCertPath/sslKeyPath", &t);
		}
	}
	if (w->n_missing && now_present == w->n_missing && !t.missing) {
		f->severity = SEVERITY_MEDIUM;
		finding_set(
		        f, STATUS_WARN,
		        "apigee-watcher could not find secret(s) %s, but they are in the secrets "
		        "list now: the log predates their re-creation",
		        names.data ? names.data : "?");
	} else if (w->n_missing || t.missing) {
		finding_set(f, STATUS_FAIL, "%s%s%s%s%s%s",
		            w->n_missing ? "apigee-watcher cannot find secret(s) " : "",
		            w->n_missing && names.data ? names.data : "",
		            w->n_missing ? " (NOT_FOUND)" : "",
		            w->n_missing && t.missing ? "; " : "",
		            t.missing ? "not in the secrets list: " : "",
		            t.missing && t.names.data ? t.names.data : "");
	} else if (w->files || b->secrets_listed) {
		finding_set(f, STATUS_PASS, "%s%s%s",
		            w->files ? "the apigee-watcher logs report no missing secret" : "",
		            w->files && b->secrets_listed ? "; " : "",
		            t.checked ? "every virtual host's secret is in the secrets list"
		                      : (b->secrets_listed ? "the secrets list was read" : ""));
		check_note_unreadable(b, f, HINT_WATCHER | HINT_SECRETS);
	} else {
		check_skip_or_error(
		        b, f, HINT_WATCHER | HINT_SECRETS,
		        "apigee-watcher logs or the secrets list",
		        "kubectl -n apigee logs -l app=apigee-watcher --all-containers --prefix; "
		        "kubectl -n apigee get secrets  (or: apigee-bundle collect)");
	}
	buf_release(&names);
	buf_release(&t.names);
	return 0;
}

/* ---- TLS-002 ---------------------------------------------------------------------------- */

static void pem_reason(const struct cert_rec *c, char *out, size_t size)
{
	const char *cls = pem_error_text(c->error);

	/* OpenSSL's reason usually starts with the class already ("bad end line: ...") */
	if (c->error_text && strncmp(c->error_text, cls, strlen(cls)) != 0)
		snprintf(out, size, "%s: %s", cls, c->error_text);
	else
		snprintf(out, size, "%s", c->error_text ? c->error_text : cls);
}

static bool vhost_has_cert(const struct bundle *b, const char *vhost)
{
	for (size_t i = 0; i < b->n_certs; i++)
		if (b->certs[i].role == CERT_ROLE_VHOST && b->certs[i].owner &&
		    strcmp(b->certs[i].owner, vhost) == 0)
			return true;
	return false;
}

/* sslCertPath names a file that is in the input but yielded no certificate at all
 * (empty, text, junk): nothing of it reached the model, so say so here. */
static size_t tls_002_vhost_files(const struct bundle *b, struct finding *f, struct buf *list,
                                  size_t *relevant)
{
	size_t bad = 0;

	for (size_t i = 0; i < b->n_vhosts; i++) {
		const struct vhost *v = &b->vhosts[i];
		const struct artifact *a;
		const char *reason;
		char ex[1024];

		if (!v->ssl_cert_path || !v->name || vhost_has_cert(b, v->name))
			continue;
		if (!v->cert_file) /* resolved by ingest */
			continue;
		a = &b->artifacts[v->cert_file - 1];
		(*relevant)++;
		if (a->size == 0)
			reason = pem_error_text(PEM_ERR_EMPTY);
		else if (a->kind == ART_PEM || (a->kinds_seen & (1u << ART_PEM)))
			reason = "wrong object type: the PEM file holds no CERTIFICATE block (a "
			         "key, "
			         "CSR or other object)";
		else if (a->error)
			reason = a->error;
		else
			reason = pem_error_text(PEM_ERR_NO_PEM);
		snprintf(ex, sizeof(ex), "virtual host %s certificate %s: %s", v->name,
		         v->ssl_cert_path, reason);
		finding_evidence_at(f, a->path, a->error_line, NULL, ex);
		if (bad < 3)
			buf_printf(list, "%s%s", list->len ? "; " : "", ex);
		bad++;
	}
	return bad;
}

static int tls_002(const struct bundle *b, const struct findings *prior, struct finding *f)
{
	size_t relevant = 0, bad = 0, der_loose = 0;
	struct buf list = BUF_INIT;

	(void)prior;
	for (size_t i = 0; i < b->n_certs; i++) {
		const struct cert_rec *c = &b->certs[i];
		char who[512], why[512], ex[1100];
		bool der;

		if (c->role != CERT_ROLE_VHOST && c->role != CERT_ROLE_SECRET &&
		    c->role != CERT_ROLE_LOOSE)
			continue;
		if (!c->parsed && c->error == PEM_ERR_MISSING) {
			/* collected on a machine without the file: nothing to judge */
			cert_who(c, who, sizeof(who));
			finding_note(f, "%s: %s", who,
			             c->error_text ? c->error_text : pem_error_text(c->error));
			continue;
		}
		relevant++;
		der = c->parsed && c->error == PEM_ERR_NO_PEM;
		if (c->parsed && !der)
			continue;
		cert_who(c, who, sizeof(who));
		if (der)
			snprintf(why, sizeof(why), "%s",
			         c->error_text ? c->error_text
			                       : "DER-encoded certificate, not PEM");
		else
			pem_reason(c, why, sizeof(why));
		snprintf(ex, sizeof(ex), "%s: %s", who, why);
		finding_evidence(f, &c->where, ex);
		if (der && c->role == CERT_ROLE_LOOSE) {
			der_loose++;
			continue;
		}
		if (bad < 3)
			buf_printf(&list, "%s%s", bad ? "; " : "", ex);
		bad++;
	}
	bad += tls_002_vhost_files(b, f, &list, &relevant);
	if (bad) {
		finding_set(f, STATUS_FAIL, "%zu certificate(s) are not well-formed PEM: %s%s", bad,
		            list.data ? list.data : "", bad > 3 ? "; ..." : "");
	} else if (der_loose) {
		f->severity = SEVERITY_MEDIUM;
		finding_set(f, STATUS_WARN,
		            "%zu certificate file(s) are DER, not PEM: the ingress needs PEM "
		            "(convert with openssl x509 -inform der -in FILE -out FILE.pem)",
		            der_loose);
	} else if (relevant) {
		finding_set(f, STATUS_PASS, "%zu certificate(s) parse as PEM", relevant);
		check_note_unreadable(b, f, HINT_CERT);
	} else {
		check_skip_or_error(
		        b, f, HINT_CERT,
		        "the certificate files named by sslCertPath or the cert key of the TLS "
		        "secrets",
		        HINT_CERTS);
	}
	buf_release(&list);
	return 0;
}

/* ---- TLS-003 ---------------------------------------------------------------------------- */

static int tls_003(const struct bundle *b, const struct findings *prior, struct finding *f)
{
	size_t matched = 0, mismatched = 0;
	const struct cert_rec *first = NULL;

	(void)prior;
	for (size_t i = 0; i < b->n_certs; i++) {
		const struct cert_rec *c = &b->certs[i];
		char who[512], ex[1024];

		if (!is_leaf(c) || c->key_state != KEYSTATE_OK)
			continue;
		if (c->key_match == 1) {
			matched++;
			continue;
		}
		if (c->key_match != 0)
			continue;
		mismatched++;
		if (!first)
			first = c;
		cert_who(c, who, sizeof(who));
		snprintf(ex, sizeof(ex),
		         "%s: %s %d-bit certificate, public key SHA-256 %.16s...; the "
		         "key's public key differs",
		         who, c->facts.key_type ? c->facts.key_type : "?", c->facts.key_bits,
		         c->facts.pubkey_sha256);
		finding_evidence(f, &c->where, ex);
	}
	if (mismatched) {
		char who[512];

		cert_who(first, who, sizeof(who));
		finding_set(
		        f, STATUS_FAIL,
		        "%zu private key(s) do not match their certificate, e.g. %s: the key's "
		        "public key differs from the certificate's (compared SubjectPublicKeyInfo "
		        "SHA-256, which works for RSA and EC keys alike)",
		        mismatched, who);
	} else if (matched) {
		finding_set(
		        f, STATUS_PASS,
		        "%zu key/certificate pair(s) compared; each key's public key equals its "
		        "certificate's",
		        matched);
	} else {
		check_skip_or_error(
		        b, f, HINT_CERT,
		        "a certificate together with its private key (or the collector's key "
		        "facts)",
		        HINT_CERTS);
	}
	return 0;
}

/* ---- TLS-004 ---------------------------------------------------------------------------- */

static const char *key_reason(enum pem_error e, const char *text)
{
	if (e == PEM_ERR_ENCRYPTED)
		return "encrypted key without passphrase";
	return text ? text : pem_error_text(e);
}

/* A virtual host's (or loose) certificate gets its key verdict from a key file in
 * the input, which is reported on its own: do not count the same key twice. */
static bool key_reported_loose(const struct bundle *b, const struct cert_rec *c)
{
	if (c->role != CERT_ROLE_VHOST && c->role != CERT_ROLE_LOOSE)
		return false;
	for (size_t k = 0; k < b->n_keys; k++)
		if (b->keys[k].facts.status == c->key_error)
			return true;
	return false;
}

/* sslKeyPath names a member (resolved by ingest) that holds no private key: a
 * certificate, or another object, where the key should be. */
static size_t tls_004_vhost_files(const struct bundle *b, struct finding *f, struct buf *list,
                                  size_t listed)
{
	size_t bad = 0;

	for (size_t i = 0; i < b->n_vhosts; i++) {
		const struct vhost *v = &b->vhosts[i];
		const struct artifact *a;
		bool has_key = false;
		char ex[1024];

		if (!v->key_file)
			continue;
		a = &b->artifacts[v->key_file - 1];
		for (size_t k = 0; k < b->n_keys && !has_key; k++)
			has_key = b->keys[k].where.artifact && a->path &&
			          strcmp(b->keys[k].where.artifact, a->path) == 0;
		if (has_key || a->has_private_key || a->size == 0)
			continue;
		snprintf(ex, sizeof(ex), "virtual host %s key %s: %s", v->name ? v->name : "?",
		         v->ssl_key_path,
		         a->kind == ART_PEM || (a->kinds_seen & (1u << ART_PEM))
		                 ? "the file holds no private key (a certificate or other PEM "
		                   "object where the key should be)"
		                 : "the file holds no private key");
		finding_evidence_at(f, a->path, 0, NULL, ex);
		if (listed + bad < 3)
			buf_printf(list, "%s%s", listed + bad ? "; " : "", ex);
		bad++;
	}
	return bad;
}

static int tls_004(const struct bundle *b, const struct findings *prior, struct finding *f)
{
	size_t good_files = 0, good_pairs = 0, bad = 0;
	struct buf list = BUF_INIT;

	(void)prior;
	for (size_t i = 0; i < b->n_certs; i++) {
		const struct cert_rec *c = &b->certs[i];
		char who[512], ex[1024];

		if (c->key_state == KEYSTATE_OK)
			good_pairs++;
		if (c->key_state != KEYSTATE_BAD || key_reported_loose(b, c))
			continue;
		if (c->key_error == PEM_ERR_MISSING) {
			cert_who(c, who, sizeof(who));
			finding_note(f, "key of %s: %s", who,
			             c->key_error_text ? c->key_error_text
			                               : pem_error_text(c->key_error));
			continue;
		}
		cert_who(c, who, sizeof(who));
		snprintf(ex, sizeof(ex), "key of %s: %s", who,
		         key_reason(c->key_error, c->key_error_text));
		finding_evidence(f, &c->where, ex);
		if (bad < 3)
			buf_printf(&list, "%s%s", bad ? "; " : "", ex);
		bad++;
	}
	bad += tls_004_vhost_files(b, f, &list, bad);
	for (size_t i = 0; i < b->n_keys; i++) {
		const struct key_rec *k = &b->keys[i];
		char ex[1024];

		if (k->facts.status == PEM_OK) {
			good_files++;
			continue;
		}
		snprintf(ex, sizeof(ex), "%s: %s", k->where.artifact ? k->where.artifact : "?",
		         key_reason(k->facts.status, k->error_text));
		finding_evidence(f, &k->where, ex);
		if (bad < 3)
			buf_printf(&list, "%s%s", bad ? "; " : "", ex);
		bad++;
	}
	if (bad)
		finding_set(f, STATUS_FAIL, "%zu private key(s) cannot be loaded: %s%s", bad,
		            list.data ? list.data : "", bad > 3 ? "; ..." : "");
	else if (good_files || good_pairs)
		finding_set(
		        f, STATUS_PASS,
		        "every private key loads (%zu key file(s), %zu certificate(s) with their "
		        "key)",
		        good_files, good_pairs);
	else
		check_skip_or_error(
		        b, f, HINT_CERT,
		        "the private keys named by sslKeyPath or held by the TLS secrets (the "
		        "collector records only their facts)",
		        HINT_CERTS);
	buf_release(&list);
	return 0;
}

/* ---- TLS-005 ---------------------------------------------------------------------------- */

/* A certificate a client transcript showed: its dates ("start date" / "expire date" of
 * curl -v, OpenSSL 3 s_client "v:NotBefore"), the transcript's own time (the response's
 * Date header, s_client's Start Time) and whether the client checked the dates and
 * accepted them (curl "SSL certificate verify ok", GnuTLS "expiration date OK",
 * s_client "Verify return code: 0"). */
struct shown_cert {
	const char *tool, *host, *subject;
	int64_t nb, na, own_time;
	bool accepted;
	enum verify_class verify;
	const char *verify_text;
	const struct loc *where;
	unsigned dates_line; /* where the dates are, 0 = at where */
};

struct tls005_tally {
	size_t judged, bad, soon, own_time, accepted_old;
	const char *first_bad;
	struct strv seen; /* fingerprints, "nb na" of shown dates, hosts with dates */
};

static const char *validity_verdict(int64_t at, int64_t nb, int64_t na)
{
	if (at < nb)
		return "not yet valid";
	if (at > na)
		return "expired";
	if (na - at < EXPIRY_WARN_SECONDS)
		return "expires within 30 days";
	return NULL;
}

static void tls_005_count(struct tls005_tally *t, const char *verdict, const char *subject)
{
	if (strcmp(verdict, "expires within 30 days") == 0) {
		t->soon++;
	} else {
		t->bad++;
		if (!t->first_bad)
			t->first_bad = subject;
	}
}

/* dates shown by a transcript */
static int tls_005_dated(const struct bundle *b, struct finding *f, struct tls005_tally *t,
                         const struct shown_cert *c)
{
	char key[64], nb[32], na[32], at[32], ex[1200];
	int64_t ref = c->own_time ? c->own_time : b->collected_at;
	const char *verdict = validity_verdict(ref, c->nb, c->na);

	snprintf(key, sizeof(key), "%lld %lld", (long long)c->nb, (long long)c->na);
	if (strv_contains(&t->seen, key))
		return 0; /* the same certificate, judged already */
	if (strv_push(&t->seen, key) < 0 || (c->host && strv_push(&t->seen, c->host) < 0))
		return -ENOMEM;
	t->judged++;
	if (c->own_time)
		t->own_time++;
	if (!verdict)
		return 0;
	if (!c->own_time && c->accepted && strcmp(verdict, "expires within 30 days") != 0) {
		/* the client found it valid when it ran: the transcript predates the
		 * collection time, which says nothing about the certificate then */
		t->accepted_old++;
		return 0;
	}
	text_format_time(c->nb, nb, sizeof(nb));
	text_format_time(c->na, na, sizeof(na));
	text_format_time(ref, at, sizeof(at));
	snprintf(ex, sizeof(ex), "certificate %s showed for %s: %s (%s), valid %s .. %s%s%s%s",
	         c->tool, c->host ? c->host : "(host not shown)", verdict,
	         c->subject && *c->subject ? c->subject : "subject not shown", nb, na,
	         c->own_time ? ", at " : "", c->own_time ? at : "",
	         c->own_time ? " (the transcript's own time)" : "");
	if (c->dates_line && c->where->artifact)
		finding_evidence_at(f, c->where->artifact, c->dates_line, NULL, ex);
	else
		finding_evidence(f, c->where, ex);
	tls_005_count(t, verdict, c->subject && *c->subject ? c->subject : c->host);
	return 0;
}

/* no dates shown, but the client said the certificate is out of its validity */
static void tls_005_rejected(struct finding *f, struct tls005_tally *t, const struct shown_cert *c)
{
	char ex[1000];

	if (c->verify != VERIFY_VALIDITY || (c->host && strv_contains(&t->seen, c->host)))
		return;
	t->judged++;
	snprintf(ex, sizeof(ex),
	         "%s for %s: the client found the certificate out of its validity: %s", c->tool,
	         c->host ? c->host : "(host not shown)",
	         c->verify_text ? c->verify_text : "certificate has expired");
	finding_evidence(f, c->where, ex);
	tls_005_count(t, "expired", c->host ? c->host : "the certificate a client rejected");
}

static int tls_005_shown(const struct bundle *b, struct finding *f, struct tls005_tally *t)
{
	int r = 0;

	/* a transcript's dates equal to a certificate judged as a file are that file */
	for (size_t i = 0; i < b->n_certs && r == 0; i++) {
		char key[64];

		if (!b->certs[i].parsed)
			continue;
		snprintf(key, sizeof(key), "%lld %lld", (long long)b->certs[i].facts.not_before,
		         (long long)b->certs[i].facts.not_after);
		r = strv_push_unique(&t->seen, key);
	}
	for (int pass = 0; pass < 2 && r >= 0; pass++) {
		for (size_t i = 0; i < b->n_curls && r >= 0; i++) {
			const struct curl_trace *c = &b->curls[i];
			struct shown_cert sc = { "curl",
				                 c->host,
				                 c->leaf_subject,
				                 c->leaf_not_before_t,
				                 c->leaf_not_after_t,
				                 c->http_date,
				                 c->dates_ok || (c->verify_class == VERIFY_OK &&
				                                 c->trust != TRUST_NONE),
				                 c->verify_class,
				                 c->verify_error,
				                 &c->where,
				                 c->leaf_dates_line };

			if (pass == 0 && sc.nb && sc.na)
				r = tls_005_dated(b, f, t, &sc);
			else if (pass == 1 && !(sc.nb && sc.na))
				tls_005_rejected(f, t, &sc);
		}
		for (size_t i = 0; i < b->n_sclients && r >= 0; i++) {
			const struct sclient_trace *s = &b->sclients[i];
			const char *host = s->host[0] ? s->host : s->target;
			struct shown_cert sc = { "openssl s_client",
				                 host,
				                 s->leaf_subject,
				                 s->leaf_not_before_t,
				                 s->leaf_not_after_t,
				                 s->start_time,
				                 s->verify_class == VERIFY_OK && s->got_cert,
				                 s->verify_class,
				                 s->verify_text,
				                 &s->where,
				                 s->leaf_dates_line };

			if (pass == 0 && sc.nb && sc.na)
				r = tls_005_dated(b, f, t, &sc);
			else if (pass == 1 && !(sc.nb && sc.na))
				tls_005_rejected(f, t, &sc);
		}
	}
	return r < 0 ? r : 0;
}

static void tls_005_notes(struct finding *f, const struct tls005_tally *t)
{
	if (t->own_time)
		finding_note(f,
		             "%zu certificate(s) shown by a transcript judged at that transcript's "
		             "own time (its Date header or s_client Start Time)",
		             t->own_time);
	if (t->accepted_old)
		finding_note(f,
		             "%zu certificate(s) shown by a transcript are past their dates at the "
		             "collection time, but the client checked the dates and accepted them "
		             "when it ran: the transcript is older than the rest of the input; "
		             "take it again to see what is served now",
		             t->accepted_old);
}

static int tls_005(const struct bundle *b, const struct findings *prior, struct finding *f)
{
	struct strv seen = STRV_INIT;
	size_t judged = 0, bad = 0, soon = 0;
	char when[32];
	const char *first_bad = NULL;
	size_t accepted_old = 0;
	int r = 0;

	(void)prior;
	text_format_time(b->collected_at, when, sizeof(when));
	for (size_t i = 0; i < b->n_certs; i++) {
		const struct cert_rec *c = &b->certs[i];
		char who[512], nb[32], na[32], ex[1024];
		const char *verdict = NULL;

		if (!c->parsed)
			continue;
		if (c->facts.sha256[0]) {
			if (strv_contains(&seen, c->facts.sha256))
				continue;
			if (strv_push(&seen, c->facts.sha256) < 0) {
				r = -ENOMEM;
				break;
			}
		}
		judged++;
		verdict =
		        validity_verdict(b->collected_at, c->facts.not_before, c->facts.not_after);
		if (!verdict)
			continue;
		cert_who(c, who, sizeof(who));
		text_format_time(c->facts.not_before, nb, sizeof(nb));
		text_format_time(c->facts.not_after, na, sizeof(na));
		snprintf(ex, sizeof(ex), "%s: %s (%s), valid %s .. %s", who, verdict,
		         c->facts.subject ? c->facts.subject : "?", nb, na);
		finding_evidence(f, &c->where, ex);
		if (strcmp(verdict, "expires within 30 days") == 0) {
			soon++;
		} else {
			bad++;
			if (!first_bad)
				first_bad = c->facts.subject;
		}
	}
	strv_release(&seen);
	if (r < 0)
		return r;
	{
		struct tls005_tally t = { 0, 0, 0, 0, 0, NULL, STRV_INIT };

		r = tls_005_shown(b, f, &t);
		accepted_old = t.accepted_old;
		judged += t.judged;
		bad += t.bad;
		soon += t.soon;
		if (!first_bad)
			first_bad = t.first_bad;
		if (r == 0)
			tls_005_notes(f, &t);
		strv_release(&t.seen);
		if (r < 0)
			return r;
	}
	if (bad) {
		finding_set(
		        f, STATUS_FAIL,
		        "%zu certificate(s) expired or not yet valid at collection time %s (%s), "
		        "e.g. %s",
		        bad, when, time_source_text(b->time_source), first_bad ? first_bad : "?");
	} else if (soon) {
		f->severity = SEVERITY_MEDIUM;
		finding_set(f, STATUS_WARN,
		            "%zu certificate(s) expire within 30 days of collection time %s (%s)",
		            soon, when, time_source_text(b->time_source));
	} else if (judged && accepted_old) {
		finding_set(f, STATUS_PASS,
		            "%zu certificate(s) judged, none out of its validity: %zu of them when "
		            "the client that showed it checked it, before collection time %s (%s)",
		            judged, accepted_old, when, time_source_text(b->time_source));
	} else if (judged) {
		finding_set(
		        f, STATUS_PASS,
		        "%zu certificate(s) valid at collection time %s (%s) for 30 days or more",
		        judged, when, time_source_text(b->time_source));
	} else {
		check_skip_or_error(b, f, HINT_CERT | HINT_PROBES,
		                    "a certificate (files, secrets or probes)",
		                    "apigee-bundle collect --overrides overrides.yaml --host HOST");
	}
	if (b->time_source == TIME_FROM_ANALYSIS_CLOCK && judged)
		finding_note(f,
		             "judged against the analysis clock: the verdict can change with the "
		             "day the input is analysed");
	return 0;
}

/* ---- TLS-006 ---------------------------------------------------------------------------- */

static int push_hosts(struct strv *hosts, const struct strv *from)
{
	for (size_t i = 0; i < from->n; i++) {
		const char *h = from->v[i];

		if (strcmp(h, "*") == 0 || text_is_ip_literal(h))
			continue;
		if (strv_push_unique(hosts, h) < 0)
			return -ENOMEM;
	}
	return 0;
}

static int all_hosts(const struct bundle *b, struct strv *hosts)
{
	for (size_t i = 0; i < b->n_routes; i++)
		if (push_hosts(hosts, &b->routes[i].hostnames) < 0)
			return -ENOMEM;
	for (size_t i = 0; i < b->n_envgroups; i++)
		if (push_hosts(hosts, &b->envgroups[i].hostnames) < 0)
			return -ENOMEM;
	for (size_t i = 0; i < b->n_vhosts; i++)
		if (push_hosts(hosts, &b->vhosts[i].host_aliases) < 0)
			return -ENOMEM;
	return 0;
}

static int vhost_hosts(const struct bundle *b, const char *vhost, struct strv *hosts)
{
	const struct api_envgroup *g = envgroup_named(b, vhost);

	if (g && push_hosts(hosts, &g->hostnames) < 0)
		return -ENOMEM;
	for (size_t i = 0; i < b->n_routes; i++)
		if (name_has_token(b->routes[i].name, vhost) &&
		    push_hosts(hosts, &b->routes[i].hostnames) < 0)
			return -ENOMEM;
	for (size_t i = 0; i < b->n_vhosts; i++)
		if (b->vhosts[i].name && strcmp(b->vhosts[i].name, vhost) == 0 &&
		    push_hosts(hosts, &b->vhosts[i].host_aliases) < 0)
			return -ENOMEM;
	return 0;
}

static int secret_hosts(const struct bundle *b, const char *secret, struct strv *hosts)
{
	size_t ol = b->overrides.org ? strlen(b->overrides.org) : 0;

	for (size_t i = 0; i < b->n_routes; i++)
		if (strv_contains(&b->routes[i].credential_names, secret) &&
		    push_hosts(hosts, &b->routes[i].hostnames) < 0)
			return -ENOMEM;
	/* the hybrid ingress secret is named ORG-ENVGROUP */
	if (ol && strncmp(secret, b->overrides.org, ol) == 0 && secret[ol] == '-') {
		const struct api_envgroup *g = envgroup_named(b, secret + ol + 1);

		if (g && push_hosts(hosts, &g->hostnames) < 0)
			return -ENOMEM;
	}
	return 0;
}

static int served_hosts(const struct bundle *b, const struct cert_rec *c, struct strv *hosts)
{
	for (size_t i = 0; i < b->n_probes; i++) {
		const struct probe *p = &b->probes[i];

		if (!p->sni || !p->got_cert || strcmp(p->leaf_sha256, c->facts.sha256) != 0)
			continue;
		if (!text_is_ip_literal(p->sni) && strv_push_unique(hosts, p->sni) < 0)
			return -ENOMEM;
	}
	return 0;
}

static size_t count_leaves(const struct bundle *b, enum cert_role role)
{
	size_t n = 0;

	for (size_t i = 0; i < b->n_certs; i++)
		if (b->certs[i].role == role && b->certs[i].parsed && is_leaf(&b->certs[i]))
			n++;
	return n;
}

struct tls006_tally {
	size_t pairs, uncovered;
	struct strv done; /* "sha256 host" pairs already judged */
	struct buf list;
	/* from client transcripts (realworld2): a CN alone that does not cover the host
	 * (SAN not shown), a default certificate served although SNI was sent, a name
	 * mismatch for an IP address */
	size_t cn_only, fallback, by_ip;
};

static int tls_006_cert(const struct bundle *b, const struct cert_rec *c, const struct strv *hosts,
                        struct finding *f, struct tls006_tally *t)
{
	for (size_t h = 0; h < hosts->n; h++) {
		char key[600], who[512], ex[1400];
		_cleanup_free_ char *sans = NULL;

		snprintf(key, sizeof(key), "%s %s", c->facts.sha256, hosts->v[h]);
		if (strv_contains(&t->done, key))
			continue;
		if (strv_push(&t->done, key) < 0)
			return -ENOMEM;
		t->pairs++;
		if (cert_covers_host(&c->facts, hosts->v[h], NULL))
			continue;
		t->uncovered++;
		cert_who(c, who, sizeof(who));
		sans = strv_join(&c->facts.san_dns, ", ");
		snprintf(ex, sizeof(ex), "%s does not cover %s (SAN DNS: %s; CN: %s)", who,
		         hosts->v[h], sans && *sans ? sans : "none",
		         c->facts.common_name ? c->facts.common_name : "none");
		finding_evidence(f, &c->where, ex);
		if (t->uncovered <= 3)
			buf_printf(&t->list, "%s%s (%s)", t->uncovered > 1 ? "; " : "", hosts->v[h],
			           who);
	}
	(void)b;
	return 0;
}

/* ---- TLS-006 from client transcripts ----------------------------------------------------- */

/* The last CN of a subject as clients print it: "C = US, CN = a.example.com" (OpenSSL
 * 1.1+), "/C=US/CN=a.example.com" (OpenSSL 1.0), "C=US; CN=a.example.com" (curl),
 * "CN=a.example.com,O=x" (GnuTLS). */
static bool subject_cn(const char *subject, char *out, size_t size)
{
	const char *p = subject, *best = NULL;
	bool slashes = subject[0] == '/';

	for (; (p = strstr(p, "CN")); p += 2) {
		const char *q = p + 2;

		if (p > subject && !strchr(" ,;/", p[-1]))
			continue;
		while (*q == ' ')
			q++;
		if (*q == '=')
			best = q + 1;
	}
	if (!best)
		return false;
	while (*best == ' ')
		best++;
	p = best;
	while (*p && *p != ',' && *p != ';' && !(slashes && *p == '/'))
		p++;
	while (p > best && p[-1] == ' ')
		p--;
	if (p == best || (size_t)(p - best) >= size)
		return false;
	memcpy(out, best, (size_t)(p - best));
	out[p - best] = '\0';
	return true;
}

/* A server's default certificate: what it sends when the SNI name matches none of its
 * certificates (badssl's "Fallback ... Unknown subdomain or no SNI", ingress-nginx's
 * "Kubernetes Ingress Controller Fake Certificate", Traefik's "TRAEFIK DEFAULT CERT"). */
static bool looks_like_fallback(const char *subject)
{
	static const char *const words[] = { "fallback",          "default", "fake certificate",
		                             "unknown subdomain", "no sni",  "placeholder" };

	/* OpenSSL's placeholder organization of self-made certificates is no sign */
	if (text_find_ci(subject, strlen(subject), "Default Company Ltd"))
		return false;
	for (size_t i = 0; i < ELEMENTSOF(words); i++)
		if (text_find_ci(subject, strlen(subject), words[i]))
			return true;
	return false;
}

/* letters, digits, '-', '_', '.', and '*' as a whole left-most label */
static bool dns_name_like(const char *s)
{
	if (s[0] == '*' && s[1] == '.')
		s += 2;
	if (!*s || strlen(s) > 253)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' || *s == '.'))
			return false;
	return true;
}

static void tls_006_list(struct tls006_tally *t, const char *host, const char *who)
{
	if (t->uncovered <= 3)
		buf_printf(&t->list, "%s%s (%s)", t->uncovered > 1 ? "; " : "", host, who);
}

/* the client compared the names itself: curl 51/60, s_client -verify_hostname (62) */
static void tls_006_mismatch(struct finding *f, struct tls006_tally *t, const char *tool,
                             const char *host, bool ip, const char *text, const struct loc *where)
{
	char ex[1000];

	if (ip) {
		t->by_ip++;
		return;
	}
	if (!dns_name_like(host))
		return;
	t->pairs++;
	t->uncovered++;
	snprintf(ex, sizeof(ex), "%s to %s: the served certificate does not cover it: %s", tool,
	         host, text ? text : "host name mismatch");
	finding_evidence(f, where, ex);
	tls_006_list(t, host, tool);
}

/* only the subject was shown: judge its CN (the SAN list is not in the transcript) */
static int tls_006_subject(struct finding *f, struct tls006_tally *t, const char *tool,
                           const char *host, const char *subject, const struct loc *where)
{
	char cn[256], key[800], ex[1200];
	struct cert_facts facts = { 0 };

	/* a host or CN masked by whoever pasted it ("[Censored my DNS Name]", a pseudonym
	 * without a dot) says nothing; a CN that covers the host proves nothing either
	 * while the SAN list is not shown */
	if (!subject_cn(subject, cn, sizeof(cn)) || !dns_name_like(host) ||
	    ((!dns_name_like(cn) || !strchr(cn, '.')) && !looks_like_fallback(subject)))
		return 0;
	facts.common_name = cn;
	if (cert_covers_host(&facts, host, NULL))
		return 0;
	snprintf(key, sizeof(key), "shown %s %s", host, subject);
	if (strv_contains(&t->done, key))
		return 0;
	if (strv_push(&t->done, key) < 0)
		return -ENOMEM;
	t->pairs++;
	if (looks_like_fallback(subject)) {
		t->uncovered++;
		t->fallback++;
		snprintf(ex, sizeof(ex),
		         "%s sent SNI %s and got a default certificate that does not cover it "
		         "(%s)",
		         tool, host, subject);
		finding_evidence(f, where, ex);
		tls_006_list(t, host, "default certificate served");
		return 0;
	}
	t->cn_only++;
	snprintf(ex, sizeof(ex),
	         "%s to %s got a certificate whose CN %s does not cover it (SAN not "
	         "shown: %s)",
	         tool, host, cn, subject);
	finding_evidence(f, where, ex);
	return 0;
}

static int tls_006_shown(const struct bundle *b, struct finding *f, struct tls006_tally *t)
{
	int r = 0;

	for (size_t i = 0; i < b->n_curls && r == 0; i++) {
		const struct curl_trace *c = &b->curls[i];

		if (!c->host)
			continue;
		if (c->verify_class == VERIFY_HOST_MISMATCH)
			tls_006_mismatch(f, t, "curl", c->host, c->ip_literal, c->verify_error,
			                 &c->where);
		else if (c->leaf_subject[0] && !c->ip_literal &&
		         !(c->verify_class == VERIFY_OK && c->trust != TRUST_NONE))
			r = tls_006_subject(f, t, "curl", c->host, c->leaf_subject, &c->where);
		else if (c->leaf_subject[0] && !c->ip_literal)
			t->pairs++; /* curl verified the name itself */
	}
	for (size_t i = 0; i < b->n_sclients && r == 0; i++) {
		const struct sclient_trace *s = &b->sclients[i];
		const char *host = s->host[0] ? s->host : NULL;

		if (!host || text_is_ip_literal(host))
			continue;
		if (s->verify_code == 62)
			tls_006_mismatch(f, t, "openssl s_client", host, false, s->verify_text,
			                 &s->where);
		else if (s->leaf_subject && !s->noservername)
			r = tls_006_subject(f, t, "openssl s_client", host, s->leaf_subject,
			                    &s->where);
	}
	return r;
}

static void tls_006_notes(const struct bundle *b, struct finding *f, const struct tls006_tally *t)
{
	if (t->fallback)
		finding_note(
		        f,
		        "%zu handshake(s) sent SNI and got the server's default certificate: "
		        "nothing there serves that host name. On hybrid, add the host name to "
		        "the env group (it becomes the ApigeeRoute's hostnames) and check that "
		        "the env group's TLS secret exists (TLS-001); on Apigee X, give the load "
		        "balancer a certificate for it (XLB-001) and point DNS at it",
		        t->fallback);
	if (t->cn_only)
		finding_note(f,
		             "%zu served certificate(s) were shown by subject only and its CN does "
		             "not cover the host name; the SAN list decides: openssl s_client "
		             "-connect HOST:443 -servername HOST | openssl x509 -noout -ext "
		             "subjectAltName",
		             t->cn_only);
	if (t->by_ip)
		finding_note(f,
		             "%zu client(s) called an IP address and rejected the certificate for "
		             "it: env group host names are DNS names; call the API by its host "
		             "name (an IP address also sends no SNI: see SNI-002)",
		             t->by_ip);
	(void)b;
}

static int tls_006(const struct bundle *b, const struct findings *prior, struct finding *f)
{
	struct tls006_tally t = { 0, 0, STRV_INIT, BUF_INIT, 0, 0, 0 };
	struct strv everyone = STRV_INIT;
	bool loose_ok;
	int r = 0;

	(void)prior;
	r = all_hosts(b, &everyone);
	/* a loose certificate is judged only when it is the one certificate given */
	loose_ok = count_leaves(b, CERT_ROLE_LOOSE) == 1 && count_leaves(b, CERT_ROLE_VHOST) == 0 &&
	           count_leaves(b, CERT_ROLE_SECRET) == 0;
	for (size_t i = 0; r == 0 && i < b->n_certs; i++) {
		const struct cert_rec *c = &b->certs[i];
		struct strv hosts = STRV_INIT;

		if (!c->parsed || !is_leaf(c))
			continue;
		switch (c->role) {
		case CERT_ROLE_VHOST:
			r = c->owner ? vhost_hosts(b, c->owner, &hosts) : 0;
			break;
		case CERT_ROLE_SECRET:
			r = c->owner ? secret_hosts(b, c->owner, &hosts) : 0;
			break;
		case CERT_ROLE_SERVED:
			r = served_hosts(b, c, &hosts);
			break;
		case CERT_ROLE_LOOSE:
			r = loose_ok ? strv_copy(&hosts, &everyone) : 0;
			break;
		case CERT_ROLE_LB:
		default:
			break; /* XLB-001 */
		}
		if (r == 0)
			r = tls_006_cert(b, c, &hosts, f, &t);
		strv_release(&hosts);
	}
	if (r == 0)
		r = tls_006_shown(b, f, &t);
	if (r == 0)
		tls_006_notes(b, f, &t);
	if (r == 0) {
		if (t.uncovered)
			finding_set(
			        f, STATUS_FAIL,
			        "%zu host name(s) not covered by the certificate that serves them "
			        "(RFC 6125 matching): %s%s",
			        t.uncovered, t.list.data ? t.list.data : "",
			        t.uncovered > 3 ? "; ..." : "");
		else if (t.cn_only && (f->severity = SEVERITY_MEDIUM))
			finding_set(
			        f, STATUS_WARN,
			        "%zu served certificate(s) name another host in their CN; the SAN "
			        "list was not shown",
			        t.cn_only);
		else if (t.pairs)
			finding_set(f, STATUS_PASS,
			            "%zu certificate/host name pair(s) checked; each host name is "
			            "covered",
			            t.pairs);
		else if (everyone.n == 0)
			finding_skip(
			        f,
			        "the env group host names (ApigeeRoute spec.hostnames or the "
			        "envgroups API)",
			        "kubectl -n apigee get apigeeroutes -o json  (or: apigee-bundle "
			        "collect --org ORG)");
		else
			check_skip_or_error(b, f, HINT_CERT | HINT_PROBES,
			                    "the certificate configured for the host names",
			                    HINT_CERTS);
	}
	strv_release(&t.done);
	buf_release(&t.list);
	strv_release(&everyone);
	return r;
}

/* ---- TLS-007 ---------------------------------------------------------------------------- */

static const struct cert_rec *served_leaf(const struct bundle *b, const struct probe *p)
{
	for (size_t i = 0; i < b->n_certs; i++)
		if (b->certs[i].role == CERT_ROLE_SERVED && b->certs[i].parsed &&
		    is_leaf(&b->certs[i]) && strcmp(b->certs[i].facts.sha256, p->leaf_sha256) == 0)
			return &b->certs[i];
	return NULL;
}

static bool configured_role(enum cert_role r)
{
	return r == CERT_ROLE_VHOST || r == CERT_ROLE_SECRET || r == CERT_ROLE_LB;
}

/* Is c one of the configured certificates for host? With a preferred secret
 * (named by the route serving host), only that secret's certificate counts. */
static bool configured_for(const struct cert_rec *c, const char *host, const struct strv *preferred)
{
	if (!c->parsed || !is_leaf(c) || !configured_role(c->role))
		return false;
	if (preferred->n)
		return c->role == CERT_ROLE_SECRET && c->owner &&
		       strv_contains(preferred, c->owner);
	return cert_covers_host(&c->facts, host, NULL);
}

static int tls_007(const struct bundle *b, const struct findings *prior, struct finding *f)
{
	size_t compared = 0, equal = 0, differ = 0, probes = 0;
	struct buf list = BUF_INIT;

	(void)prior;
	for (size_t i = 0; i < b->n_probes; i++) {
		const struct probe *p = &b->probes[i];
		const struct cert_rec *served, *cand = NULL;
		struct strv preferred = STRV_INIT;
		bool match = false;

		if (!p->sni || !p->got_cert || !p->leaf_sha256[0])
			continue;
		probes++;
		/* the secret named by the route for this host wins, when it is in the input */
		for (size_t r = 0; r < b->n_routes; r++)
			if (strv_contains(&b->routes[r].hostnames, p->sni))
				for (size_t k = 0; k < b->routes[r].credential_names.n; k++)
					for (size_t c = 0; c < b->n_certs; c++)
						if (b->certs[c].role == CERT_ROLE_SECRET &&
						    b->certs[c].parsed && b->certs[c].owner &&
						    strcmp(b->certs[c].owner,
						           b->routes[r].credential_names.v[k]) == 0)
							strv_push_unique(&preferred,
							                 b->certs[c].owner);
		for (size_t c = 0; c < b->n_certs && !match; c++) {
			if (!configured_for(&b->certs[c], p->sni, &preferred))
				continue;
			if (!cand)
				cand = &b->certs[c];
			if (strcmp(b->certs[c].facts.sha256, p->leaf_sha256) == 0) {
				match = true;
				cand = &b->certs[c];
			}
		}
		strv_release(&preferred);
		if (!cand)
			continue;
		compared++;
		if (match) {
			equal++;
			continue;
		}
		differ++;
		served = served_leaf(b, p);
		{
			char who[512], ex[1400];

			cert_who(cand, who, sizeof(who));
			snprintf(ex, sizeof(ex),
			         "%s: served %s (SHA-256 %s), configured %s: %s (SHA-256 %s)",
			         p->sni,
			         served && served->facts.subject ? served->facts.subject : "?",
			         p->leaf_sha256, who,
			         cand->facts.subject ? cand->facts.subject : "?",
			         cand->facts.sha256);
			finding_evidence(f, &p->where, ex);
			finding_evidence(f, &cand->where, NULL);
			if (differ <= 2)
				buf_printf(&list, "%s%s", differ > 1 ? "; " : "", ex);
		}
	}
	if (differ)
		finding_set(f, STATUS_FAIL,
		            "the certificate served differs from the configured one for %zu host "
		            "name(s): %s%s",
		            differ, list.data ? list.data : "", differ > 2 ? "; ..." : "");
	else if (compared)
		finding_set(f, STATUS_PASS,
		            "%zu probed host name(s): the served leaf certificate is the "
		            "configured one "
		            "(same SHA-256 fingerprint)",
		            equal);
	else if (probes)
		finding_skip(f, "the certificate configured for the probed host names", HINT_CERTS);
	else
		check_skip_or_error(b, f, HINT_PROBES,
		                    "a TLS probe with SNI that received a certificate", HINT_PROBE);
	buf_release(&list);
	return 0;
}

/* ---- TLS-008 ---------------------------------------------------------------------------- */

/* One verification result, from a probe, an s_client run or a curl transcript:
 * its class (decided in ingest), the trust the client used, and what identifies the
 * chain (host, leaf issuer) for correlating runs of the same chain. */
struct vrun {
	enum verify_class cls;
	enum trust_source trust;
	const char *host;
	const char *issuer;
	const char *text;
	const struct loc *where;
};

static bool same_text(const char *a, const char *b)
{
	return a && b && *a && *b && strcasecmp(a, b) == 0;
}

/* Another run of the same chain (same host or same leaf issuer) that verified
 * against a CA the client was given: the chain is whole, the failing run only
 * lacked that (private) CA. */
static bool verified_with_ca(const struct vrun *runs, size_t n, const struct vrun *f)
{
	for (size_t i = 0; i < n; i++)
		if (runs[i].cls == VERIFY_OK && runs[i].trust == TRUST_CA_GIVEN &&
		    (same_text(runs[i].host, f->host) || same_text(runs[i].issuer, f->issuer)))
			return true;
	return false;
}

static size_t collect_vruns(const struct bundle *b, struct vrun *runs, size_t cap)
{
	size_t n = 0;

	for (size_t i = 0; i < b->n_probes && n < cap; i++) {
		const struct probe *p = &b->probes[i];

		if (p->verify_class != VERIFY_UNKNOWN)
			runs[n++] = (struct vrun){ p->verify_class,           TRUST_DEFAULT,
				                   p->sni ? p->sni : p->host, NULL,
				                   p->verify_error,           &p->where };
	}
	for (size_t i = 0; i < b->n_sclients && n < cap; i++) {
		const struct sclient_trace *s = &b->sclients[i];

		/* a verify result is about a certificate, but "Verify return code: 0" is
		 * printed after "no peer certificate available" too */
		if ((s->got_cert || (s->verify_code > 0 && !s->no_peer_cert)) &&
		    s->verify_class != VERIFY_UNKNOWN)
			runs[n++] = (struct vrun){ s->verify_class, s->trust,       s->host,
				                   s->leaf_issuer,  s->verify_text, &s->where };
	}
	for (size_t i = 0; i < b->n_curls && n < cap; i++) {
		const struct curl_trace *c = &b->curls[i];

		if (c->tls && c->verify_class != VERIFY_UNKNOWN)
			runs[n++] = (struct vrun){ c->verify_class, c->trust,        c->host,
				                   c->leaf_issuer,  c->verify_error, &c->where };
	}
	return n;
}

#define TLS008_MAX_RUNS 256

/* The client could not learn whether the certificate was revoked (Schannel's
 * CRYPT_E_NO_REVOCATION_CHECK / CRYPT_E_REVOCATION_OFFLINE, whatever the language). */
static bool is_revocation(const char *text)
{
	return text && (text_find_ci(text, strlen(text), "revocation") ||
	                strstr(text, "0x80092012") || strstr(text, "0x80092013"));
}

static int tls_008(const struct bundle *b, const struct findings *prior, struct finding *f)
{
	struct vrun runs[TLS008_MAX_RUNS];
	size_t n = collect_vruns(b, runs, TLS008_MAX_RUNS);
	size_t ok = 0, broken = 0, explained = 0, private_root = 0, elsewhere = 0, other = 0;
	size_t revocation = 0;
	const char *first = NULL, *first_rev = NULL, *first_broken = NULL;

	(void)prior;
	for (size_t i = 0; i < n; i++) {
		const struct vrun *v = &runs[i];
		char ex[700];

		if (v->cls == VERIFY_OK) {
			ok++;
			continue;
		}
		if (is_revocation(v->text))
			revocation++;
		snprintf(ex, sizeof(ex), "%s%s: %s (%s)",
		         v->host && *v->host ? v->host : "(host not shown)",
		         v->trust == TRUST_CA_GIVEN ? " with a given CA"
		         : v->trust == TRUST_NONE   ? " (-k: result ignored)"
		                                    : " with the default trust store",
		         v->text ? v->text : "verify failed", verify_class_name(v->cls));
		if ((v->cls == VERIFY_UNTRUSTED_ROOT || v->cls == VERIFY_MISSING_ISSUER) &&
		    v->trust != TRUST_CA_GIVEN && verified_with_ca(runs, n, v)) {
			explained++;
			finding_evidence(f, v->where, ex);
			continue;
		}
		finding_evidence(f, v->where, ex);
		if (is_revocation(v->text)) {
			other++; /* the client's revocation check, not the chain */
			if (!first_rev)
				first_rev = v->text;
			continue;
		}
		if (!first)
			first = v->text;
		switch (v->cls) {
		case VERIFY_MISSING_ISSUER:
			if (!broken++)
				first_broken = v->text;
			break;
		case VERIFY_UNTRUSTED_ROOT:
			if (v->trust != TRUST_CA_GIVEN)
				private_root++;
			else if (!broken++)
				first_broken = v->text;
			break;
		case VERIFY_VALIDITY:
		case VERIFY_HOST_MISMATCH:
			elsewhere++;
			break;
		default:
			other++;
			break;
		}
	}
	if (pcap_unknown_ca(b, f) && broken++ == 0 && !first)
		first = "a client answered the served chain with alert 48 unknown_ca (packet "
		        "capture)";
	if (broken) {
		finding_set(f, STATUS_FAIL, "%zu served chain(s) do not verify: %s", broken,
		            first_broken ? first_broken
		            : first      ? first
		                         : "?");
		finding_note(f, "the chain lacks its issuer for the trust the client used; if the "
		                "ingress uses a private CA, verify with -CAfile / --cacert (the "
		                "collector: --cacert); a missing intermediate must be added to the "
		                "certificate file");
	} else if (private_root || other || elsewhere) {
		if (!first)
			first = first_rev;
		f->severity = SEVERITY_LOW;
		finding_set(f, STATUS_WARN, "%zu served chain(s) did not verify: %s",
		            private_root + other + elsewhere, first ? first : "?");
		if (private_root)
			finding_note(
			        f,
			        "the chain ends at a self-signed or private root the client does "
			        "not trust: normal for a private CA (clients need that CA), a "
			        "fault if the certificate should come from a public CA");
		if (elsewhere)
			finding_note(
			        f, "expiry and name mismatches are judged by TLS-005 and TLS-006; "
			           "they say nothing about the chain");
	} else if (ok || explained) {
		finding_set(f, STATUS_PASS, "%zu served chain(s) verify", ok);
		if (explained)
			finding_note(f,
			             "%zu run(s) without the private CA failed verification, while "
			             "the same chain verified against the CA given with -CAfile / "
			             "--cacert: the chain is whole",
			             explained);
	} else {
		check_skip_or_error(b, f, HINT_PROBES, "a TLS probe with chain verification",
		                    HINT_PROBE);
	}
	if (revocation)
		finding_note(
		        f,
		        "%zu run(s) failed because the client could not check revocation "
		        "(the CRL / OCSP server of the issuer was unreachable from it): a "
		        "client-side network or policy matter, not the served chain; let the "
		        "client reach those URLs (curl --ssl-no-revoke on Windows confirms it)",
		        revocation);
	return 0;
}

/* ---- the table ------------------------------------------------------------------------- */

#define SRC_TLS "001_22208df47de6b036.txt"
#define GATHER_TLS                                                                                 \
	" If it persists, a ticket needs the full curl -v output of a failing call, a packet "     \
	"capture from that machine with sensitive data and IP addresses removed, and the network " \
	"topology."

static const struct check checks_tls[] = {
	{ "TLS-001", "Ingress secret for an env group is missing",
	  "Every env group's ingress secret exists", SEVERITY_CRITICAL,
	  "apigee-watcher logs; secrets metadata; overrides.yaml",
	  "The ingress has no TLS secret for the env group, typically because it was deleted. "
	  "Create it again from the virtual host settings in overrides.yaml (apigeectl apply -f "
	  "overrides.yaml --settings virtualhosts, or upgrade the apigee-virtualhost chart with "
	  "helm), then confirm with kubectl -n apigee get secrets that ORG-ENVGROUP is "
	  "there." GATHER_TLS,
	  SRC_TLS,
	  "kubectl -n apigee logs -l app=apigee-watcher --all-containers --prefix; kubectl -n "
	  "apigee get secrets  (or: apigee-bundle collect --overrides overrides.yaml)",
	  tls_001 },
	{ "TLS-002", "Certificate is not a well-formed PEM certificate",
	  "Every certificate is a well-formed PEM certificate", SEVERITY_HIGH,
	  "certificate files named by sslCertPath; cert key of the TLS secrets",
	  "Replace the certificate with a well-formed PEM file: BEGIN/END CERTIFICATE lines that "
	  "match, clean base64 in between, nothing cut off, and the certificate (not a key or "
	  "CSR) first. openssl x509 -in FILE -noout -text must print it without errors; convert "
	  "DER with openssl x509 -inform der." GATHER_TLS,
	  SRC_TLS, HINT_CERTS, tls_002 },
	{ "TLS-003", "Private key does not match the certificate",
	  "Every private key matches its certificate", SEVERITY_HIGH,
	  "key/certificate pairs per virtual host and per TLS secret (the collector keeps only "
	  "public key hashes)",
	  "Install the private key that belongs to this certificate (or the certificate issued "
	  "for this key): their public keys must be identical. Update the files named by "
	  "sslCertPath/sslKeyPath or the secret, and apply the virtual host settings." GATHER_TLS,
	  SRC_TLS, HINT_CERTS, tls_003 },
	{ "TLS-004", "Private key is unreadable", "Every private key is readable", SEVERITY_HIGH,
	  "private keys named by sslKeyPath or held by the TLS secrets (facts only)",
	  "Provide the key as an unencrypted PEM private key (openssl pkey -in KEY -noout must "
	  "load it): fix broken base64 or END lines, and decrypt a passphrase-protected key with "
	  "openssl pkey before installing it." GATHER_TLS,
	  SRC_TLS, HINT_CERTS, tls_004 },
	{ "TLS-005", "Certificate expired or not yet valid",
	  "Every certificate is valid at collection time", SEVERITY_HIGH,
	  "every certificate in the input (ingress files, secrets, probes, load balancer)",
	  "Renew the certificate (or wait for its start date, or correct the clock of whoever "
	  "issued it), install the new chain where it is configured and apply the virtual host "
	  "settings." GATHER_TLS,
	  SRC_TLS, "apigee-bundle collect --overrides overrides.yaml --host HOST", tls_005 },
	{ "TLS-006", "Certificate does not cover the env group's host names",
	  "The certificates cover the env groups' host names", SEVERITY_HIGH,
	  "certificates and env group host names (ApigeeRoute spec.hostnames, envgroups API)",
	  "Issue a certificate whose SAN DNS names cover every host name of the env group (a "
	  "wildcard covers exactly one left-most label), or fix the env group host names, then "
	  "install it and apply the virtual host settings." GATHER_TLS,
	  SRC_TLS,
	  "kubectl -n apigee get apigeeroutes -o json, and the certificates  (or: apigee-bundle "
	  "collect --overrides overrides.yaml)",
	  tls_006 },
	{ "TLS-007", "Served certificate differs from the configured one",
	  "The served certificates are the configured ones", SEVERITY_HIGH,
	  "TLS probe results and the configured certificates",
	  "The ingress (or load balancer) serves another certificate than the one configured: "
	  "apply the virtual host settings again so that the secret is updated, check that the "
	  "host name reaches the intended ingress (DNS, load balancer), and restart the ingress "
	  "gateway pods if they keep an old secret." GATHER_TLS,
	  SRC_TLS, HINT_PROBE, tls_007 },
	{ "TLS-008", "Served chain does not verify", "The served chains verify", SEVERITY_MEDIUM,
	  "TLS probe results",
	  "Serve the full chain (leaf first, then the intermediates) from a CA the clients trust; "
	  "a self-signed or private-CA certificate needs that CA on every client." GATHER_TLS,
	  SRC_TLS, HINT_PROBE, tls_008 },
};
CHECK_ROWS(tls, checks_tls);
