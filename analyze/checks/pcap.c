/* SPDX-License-Identifier: Apache-2.0 */
/* Family PCAP: what the packets show (seeds 000 and 001). Reads the facts
 * core/capture.c put in the model (b->pcap_conns, b->pcap and the served
 * certificates it added to b->certs); evidence names the capture, the frame
 * number (as the line), the time and the addresses.
 *
 * Decisions where checks.md leaves room:
 *   - PCAP-001 warns (not fails) when no-SNI ClientHellos were refused on a port
 *     where no ClientHello with SNI appears in the capture to compare with: the
 *     server may refuse everything there;
 *   - PCAP-002 ignores close_notify (a warning-level goodbye, not a failure);
 *   - PCAP-004 counts a SYN at the very end of a capture as unanswered. */
#include "checks.h"

#include <stdio.h>
#include <string.h>

#include "bundle.h"
#include "capture.h"
#include "cleanup.h"
#include "common.h"
#include "findings.h"
#include "model.h"
#include "pcap.h"
#include "pem.h"
#include "tlsparse.h"
#include "banned.h"

#define HINT_PCAP                                                                          \
	"tcpdump -i any -s 0 -w capture.pcap 'tcp port 443' while the failing call runs, " \
	"then add it with --attach capture.pcap"
#define MISSING_PCAP "a packet capture (pcap or pcapng) of the failing handshakes"
#define MAX_GROUPS 16
#define MAX_SHOWN 5

/* Per server address:port (or alert kind): counts and the first/last sighting. */
struct group {
	char server[48];
	unsigned port;
	unsigned key; /* alert: from_server << 8 | desc */
	size_t count;
	struct strv clients;
	int64_t first_us, last_us;
	const struct pcap_conn *first;
	bool compare_ok; /* PCAP-001: a ClientHello with SNI got a ServerHello here */
};

struct groups {
	struct group v[MAX_GROUPS];
	size_t n;
	size_t dropped;
};

static void groups_release(struct groups *g)
{
	for (size_t i = 0; i < g->n; i++)
		strv_release(&g->v[i].clients);
}

static struct group *group_get(struct groups *g, const char *server, unsigned port, unsigned key)
{
	for (size_t i = 0; i < g->n; i++)
		if (g->v[i].port == port && g->v[i].key == key &&
		    strcmp(g->v[i].server, server) == 0)
			return &g->v[i];
	if (g->n == MAX_GROUPS) {
		g->dropped++;
		return NULL;
	}
	memset(&g->v[g->n], 0, sizeof(g->v[0]));
	snprintf(g->v[g->n].server, sizeof(g->v[0].server), "%s", server);
	g->v[g->n].port = port;
	g->v[g->n].key = key;
	return &g->v[g->n++];
}

static void group_add(struct group *x, const struct pcap_conn *c, int64_t us)
{
	if (x->count++ == 0 || us < x->first_us) {
		x->first_us = us;
		if (!x->first)
			x->first = c;
	}
	if (us > x->last_us)
		x->last_us = us;
	if (x->clients.n < MAX_SHOWN)
		strv_push_unique(&x->clients, c->client);
}

/* A capture with frames in it (an unreadable one makes the checks error). */
static bool any_capture(const struct bundle *b)
{
	return b->pcap.packets > 0;
}

/* Skip / error when there is no capture (or nothing of the kind in it). */
static bool no_capture(const struct bundle *b, struct finding *f)
{
	if (any_capture(b))
		return false;
	check_skip_or_error(b, f, HINT_CAPTURE, MISSING_PCAP, HINT_PCAP);
	return true;
}

static bool capped(const struct bundle *b)
{
	return b->pcap.conns_untracked || b->pcap.conns_unrecorded;
}

static void cap_notes(const struct bundle *b, struct finding *f)
{
	const struct pcap_stats *s = &b->pcap;

	if (s->conns_untracked)
		finding_note(f,
		             "the capture held more than %d connections at once: %llu were not "
		             "followed, counts may be low",
		             CAPTURE_MAX_CONNS, (unsigned long long)s->conns_untracked);
	if (s->conns_unrecorded)
		finding_note(f, "%llu connection(s) beyond the first %d were counted but not kept",
		             (unsigned long long)s->conns_unrecorded, MODEL_MAX_ITEMS);
	if (s->streams_capped)
		finding_note(f,
		             "%llu stream direction(s) were given up: more out-of-order data than "
		             "the reassembly buffer holds",
		             (unsigned long long)s->streams_capped);
	if (s->streams_cut)
		finding_note(f,
		             "%llu stream direction(s) lack bytes in the capture (snap length or "
		             "lost packets); capture with -s 0",
		             (unsigned long long)s->streams_cut);
	check_note_unreadable(b, f, HINT_CAPTURE);
}

static void evidence_frame(struct finding *f, const struct pcap_conn *c, uint64_t frame, int64_t us,
                           const char *what)
{
	char when[40], ex[512];

	capture_time_text(us, when, sizeof(when));
	snprintf(ex, sizeof(ex), "frame %llu at %s: %s:%u -> %s:%u: %s", (unsigned long long)frame,
	         when, c->client, c->client_port, c->server, c->server_port, what);
	finding_evidence_at(f, c->where.artifact, (unsigned)frame, NULL, ex);
}

static const char *end_name(enum pcap_hs_end e)
{
	switch (e) {
	case PCAP_END_RST:
		return "a TCP reset";
	case PCAP_END_FIN:
		return "a FIN";
	case PCAP_END_ALERT:
		return "an alert";
	default:
		return "nothing";
	}
}

/* ---- PCAP-001 -------------------------------------------------------------------- */

static void p001_collect(const struct bundle *b, struct groups *g, size_t *nosni, size_t *answered,
                         size_t *unanswered)
{
	for (size_t i = 0; i < b->n_pcap_conns; i++) {
		const struct pcap_conn *c = &b->pcap_conns[i];
		struct group *x;

		if (!c->client_hello || c->has_sni)
			continue;
		(*nosni)++;
		if (c->server_hello) {
			(*answered)++;
			continue;
		}
		if (c->end == PCAP_END_NONE) {
			(*unanswered)++;
			continue;
		}
		x = group_get(g, c->server, c->server_port, 0);
		if (x)
			group_add(x, c, c->ch_us);
	}
	for (size_t k = 0; k < g->n; k++)
		for (size_t i = 0; i < b->n_pcap_conns; i++) {
			const struct pcap_conn *c = &b->pcap_conns[i];

			if (c->has_sni && c->server_hello && c->server_port == g->v[k].port &&
			    strcmp(c->server, g->v[k].server) == 0)
				g->v[k].compare_ok = true;
		}
}

static void p001_evidence(const struct bundle *b, struct finding *f, const struct group *x)
{
	size_t shown = 0;

	for (size_t i = 0; i < b->n_pcap_conns && shown < MAX_SHOWN; i++) {
		const struct pcap_conn *c = &b->pcap_conns[i];
		char what[160];

		if (!c->client_hello || c->has_sni || c->server_hello || c->end == PCAP_END_NONE ||
		    c->server_port != x->port || strcmp(c->server, x->server) != 0)
			continue;
		evidence_frame(f, c, c->ch_frame, c->ch_us, "ClientHello without SNI");
		snprintf(what, sizeof(what), "answered by %s before any ServerHello",
		         end_name(c->end));
		evidence_frame(f, c, c->end_frame, c->end_us, what);
		shown++;
	}
}

static int pcap_001(const struct bundle *b, const struct findings *prior, struct finding *f)
{
	_cleanup_(groups_release) struct groups g = { .n = 0 };
	size_t nosni = 0, answered = 0, unanswered = 0, refused = 0;
	const struct group *worst = NULL;

	(void)prior;
	if (no_capture(b, f))
		return 0;
	p001_collect(b, &g, &nosni, &answered, &unanswered);
	if (nosni == 0) {
		finding_skip(f, "a ClientHello without SNI in the capture",
		             "openssl s_client -connect INGRESS_IP:443 -noservername while "
		             "capturing with tcpdump");
		cap_notes(b, f);
		return 0;
	}
	for (size_t i = 0; i < g.n; i++) {
		refused += g.v[i].count;
		if (!worst || (g.v[i].compare_ok && !worst->compare_ok))
			worst = &g.v[i];
	}
	if (!worst) {
		if (unanswered)
			finding_set(
			        f, STATUS_WARN,
			        "%zu ClientHello(s) without SNI got neither a ServerHello nor a "
			        "refusal before the capture ended; %zu got a ServerHello",
			        unanswered, answered);
		else
			finding_set(f, STATUS_PASS,
			            "all %zu ClientHello(s) without SNI got a ServerHello", nosni);
		cap_notes(b, f);
		return 0;
	}
	{
		_cleanup_free_ char *clients = strv_join(&worst->clients, ", ");
		char t1[40], t2[40];

		capture_time_text(worst->first_us, t1, sizeof(t1));
		capture_time_text(worst->last_us, t2, sizeof(t2));
		finding_set(f, worst->compare_ok ? STATUS_FAIL : STATUS_WARN,
		            "%zu ClientHello(s) without SNI to %s:%u were answered by %s before "
		            "any ServerHello%s (clients %s; first %s, last %s)",
		            worst->count, worst->server, worst->port, end_name(worst->first->end),
		            worst->compare_ok ? ", while ClientHellos with SNI on that port got one"
		                              : "; no ClientHello with SNI on that port to compare",
		            clients ? clients : "?", t1, t2);
	}
	p001_evidence(b, f, worst);
	if (refused > worst->count)
		finding_note(f,
		             "%zu refused ClientHello(s) without SNI in all, on %zu server "
		             "address:port(s)",
		             refused, g.n);
	if (answered)
		finding_note(f, "%zu ClientHello(s) without SNI did get a ServerHello", answered);
	for (int k = 1; k <= 5; k++) {
		char id[16];

		snprintf(id, sizeof(id), "SNI-%03d", k);
		finding_relate(f, id);
	}
	cap_notes(b, f);
	return 0;
}

/* ---- PCAP-002 -------------------------------------------------------------------- */

static void relate_alert(struct finding *f, uint8_t desc)
{
	switch (desc) {
	case 40:
		finding_relate(f, "TLS-001");
		finding_relate(f, "TLS-002");
		finding_relate(f, "TLS-003");
		finding_relate(f, "TLS-004");
		break;
	case 42:
	case 43:
	case 46:
		finding_relate(f, "TLS-006");
		finding_relate(f, "TLS-008");
		break;
	case 44:
	case 45:
		finding_relate(f, "TLS-005");
		break;
	case 48:
		finding_relate(f, "TLS-008");
		break;
	case 112:
		finding_relate(f, "TLS-006");
		finding_relate(f, "TLS-007");
		break;
	default:
		break;
	}
}

static int pcap_002(const struct bundle *b, const struct findings *prior, struct finding *f)
{
	_cleanup_(groups_release) struct groups g = { .n = 0 };
	size_t total = 0;
	struct buf sum = BUF_INIT;

	(void)prior;
	if (no_capture(b, f))
		return 0;
	if (b->pcap.handshakes == 0) {
		finding_skip(f, "a TLS handshake in the capture", HINT_PCAP);
		cap_notes(b, f);
		return 0;
	}
	for (size_t i = 0; i < b->n_pcap_conns; i++) {
		const struct pcap_conn *c = &b->pcap_conns[i];

		for (size_t k = 0; k < c->n_alerts; k++) {
			const struct pcap_alert *a = &c->alerts[k];
			struct group *x;
			char what[200];

			if (!a->before_done || a->desc == 0)
				continue;
			total++;
			x = group_get(&g, c->sni ? c->sni : "(no SNI)", a->level,
			              (unsigned)a->from_server << 8 | a->desc);
			if (x)
				group_add(x, c, a->time_us);
			snprintf(what, sizeof(what), "%s alert %u %s from the %s (SNI %s)",
			         a->level == 2 ? "fatal" : "warning", a->desc,
			         tls_alert_name(a->desc), a->from_server ? "server" : "client",
			         c->sni ? c->sni : "none");
			evidence_frame(f, c, a->frame, a->time_us, what);
			relate_alert(f, a->desc);
		}
	}
	if (total == 0) {
		finding_set(f, STATUS_PASS, "%llu handshake(s) in the capture; no alert during any",
		            (unsigned long long)b->pcap.handshakes);
		cap_notes(b, f);
		return 0;
	}
	for (size_t i = 0; i < g.n; i++) {
		const struct group *x = &g.v[i];

		buf_printf(&sum, "%s%zu x %s %u %s from the %s (SNI %s)", i ? "; " : "", x->count,
		           x->port == 2 ? "fatal" : "warning", x->key & 0xff,
		           tls_alert_name((uint8_t)(x->key & 0xff)),
		           (x->key >> 8) ? "server" : "client", x->server);
	}
	finding_set(f, STATUS_FAIL, "%zu TLS alert(s) during the handshake: %s", total,
	            sum.data ? sum.data : "");
	buf_release(&sum);
	cap_notes(b, f);
	return 0;
}

/* ---- PCAP-003 -------------------------------------------------------------------- */

static int pcap_003(const struct bundle *b, const struct findings *prior, struct finding *f)
{
	size_t certs = 0, bad = 0, tls13 = 0, hellos = 0;
	const char *first = NULL;

	(void)prior;
	if (no_capture(b, f))
		return 0;
	for (size_t i = 0; i < b->n_pcap_conns; i++) {
		const struct pcap_conn *c = &b->pcap_conns[i];
		const struct cert_rec *cr;
		int64_t t;
		char what[512];
		const char *problem = NULL;

		if (c->server_hello) {
			hellos++;
			tls13 += c->version >= 0x0304;
		}
		if (c->cert_index < 0 || (size_t)c->cert_index >= b->n_certs)
			continue;
		cr = &b->certs[c->cert_index];
		if (!cr->parsed)
			continue;
		certs++;
		t = c->cert_us / 1000000;
		if (cr->facts.not_after < t)
			problem = "expired at capture time";
		else if (cr->facts.not_before > t)
			problem = "not yet valid at capture time";
		else if (c->sni && !cert_covers_host(&cr->facts, c->sni, NULL))
			problem = "does not cover the SNI";
		if (!problem)
			continue;
		bad++;
		snprintf(what, sizeof(what), "served leaf %s: subject %s, SNI %s, SHA-256 %s",
		         problem, cr->facts.subject ? cr->facts.subject : "?",
		         c->sni ? c->sni : "none", cr->facts.sha256);
		evidence_frame(f, c, c->cert_frame, c->cert_us, what);
		if (!first)
			first = problem;
	}
	if (certs == 0) {
		if (hellos && tls13 == hellos)
			finding_skip(f, "a TLS 1.2 handshake: TLS 1.3 hides the certificate",
			             "capture a handshake forced to TLS 1.2: openssl s_client "
			             "-connect HOST:443 -servername HOST -tls1_2");
		else
			finding_skip(f, "a TLS 1.2 Certificate message in the capture", HINT_PCAP);
		cap_notes(b, f);
		return 0;
	}
	if (bad == 0)
		finding_set(f, STATUS_PASS,
		            "%zu served certificate(s) in the capture, all valid at capture time "
		            "and covering their SNI",
		            certs);
	else {
		finding_set(f, STATUS_FAIL, "%zu of %zu served certificate(s) in the capture: %s%s",
		            bad, certs, first, bad > 1 ? " (and more)" : "");
		finding_relate(f, "TLS-005");
		finding_relate(f, "TLS-006");
		finding_relate(f, "TLS-007");
		finding_relate(f, "XLB-001");
		finding_relate(f, "XLB-002");
	}
	cap_notes(b, f);
	return 0;
}

/* ---- PCAP-004 -------------------------------------------------------------------- */

static int pcap_004(const struct bundle *b, const struct findings *prior, struct finding *f)
{
	_cleanup_(groups_release) struct groups g = { .n = 0 };
	size_t syns = 0, failed = 0;
	struct buf sum = BUF_INIT;

	(void)prior;
	if (no_capture(b, f))
		return 0;
	for (size_t i = 0; i < b->n_pcap_conns; i++) {
		const struct pcap_conn *c = &b->pcap_conns[i];
		struct group *x;
		bool refused = c->tcp == PCAP_TCP_REFUSED;

		if (c->tcp == PCAP_TCP_MIDSTREAM)
			continue;
		syns++;
		if (c->tcp != PCAP_TCP_REFUSED && c->tcp != PCAP_TCP_NO_ANSWER)
			continue;
		failed++;
		x = group_get(&g, c->server, c->server_port, refused);
		if (x)
			group_add(x, c, c->first_us);
		if (x && x->count <= MAX_SHOWN)
			evidence_frame(f, c, c->first_frame, c->first_us,
			               refused ? "SYN answered by a reset (refused)"
			                       : "SYN without SYN-ACK (timed out)");
	}
	if (syns == 0) {
		finding_skip(f, "the start of a TCP connection (SYN) in the capture", HINT_PCAP);
		cap_notes(b, f);
		return 0;
	}
	if (failed == 0) {
		finding_set(f, STATUS_PASS, "all %zu connection attempt(s) got a SYN-ACK", syns);
		cap_notes(b, f);
		return 0;
	}
	for (size_t i = 0; i < g.n; i++) {
		char t1[40], t2[40];

		capture_time_text(g.v[i].first_us, t1, sizeof(t1));
		capture_time_text(g.v[i].last_us, t2, sizeof(t2));
		buf_printf(&sum, "%s%s:%u %s %zu time(s) (%s .. %s)", i ? "; " : "", g.v[i].server,
		           g.v[i].port, g.v[i].key ? "refused" : "timed out", g.v[i].count, t1, t2);
	}
	finding_set(f, STATUS_FAIL, "%s%zu of %zu connection attempt(s) were not established: %s",
	            capped(b) ? "at least " : "", failed, syns, sum.data ? sum.data : "");
	buf_release(&sum);
	finding_relate(f, "CURL-007");
	finding_relate(f, "XLB-005");
	cap_notes(b, f);
	return 0;
}

/* ---- lent to SNI-001, SNI-002 and TLS-008 ------------------------------------------ */

static bool nosni_refused(const struct pcap_conn *c)
{
	return c->client_hello && !c->has_sni && !c->server_hello && c->end != PCAP_END_NONE;
}

void pcap_nosni_outcomes(const struct bundle *b, struct finding *f, size_t *refused,
                         size_t *answered, const char **first_server)
{
	size_t shown = 0;

	for (size_t i = 0; i < b->n_pcap_conns; i++) {
		const struct pcap_conn *c = &b->pcap_conns[i];
		char what[160];

		if (!c->client_hello || c->has_sni)
			continue;
		if (c->server_hello) {
			(*answered)++;
			continue;
		}
		if (!nosni_refused(c))
			continue;
		if ((*refused)++ == 0 && first_server)
			*first_server = c->server;
		if (shown++ >= MAX_SHOWN)
			continue;
		snprintf(what, sizeof(what),
		         "ClientHello without SNI answered by %s before any ServerHello (capture)",
		         end_name(c->end));
		evidence_frame(f, c, c->ch_frame, c->ch_us, what);
	}
}

void pcap_nosni_note(const struct bundle *b, struct finding *f)
{
	size_t n = 0;

	for (size_t i = 0; i < b->n_pcap_conns; i++)
		n += nosni_refused(&b->pcap_conns[i]);
	if (n)
		finding_note(f,
		             "a packet capture shows %zu ClientHello(s) without SNI refused before "
		             "any ServerHello (see PCAP-001)",
		             n);
}

size_t pcap_unknown_ca(const struct bundle *b, struct finding *f)
{
	size_t n = 0;

	for (size_t i = 0; i < b->n_pcap_conns; i++) {
		const struct pcap_conn *c = &b->pcap_conns[i];

		for (size_t k = 0; k < c->n_alerts; k++)
			if (c->alerts[k].desc == 48 && !c->alerts[k].from_server) {
				if (n++ < MAX_SHOWN)
					evidence_frame(
					        f, c, c->alerts[k].frame, c->alerts[k].time_us,
					        "the client sent alert 48 unknown_ca: it does not "
					        "trust the served chain (capture)");
			}
	}
	return n;
}

#define SRC_PCAP "000_47a4624b937bcbbd.txt, 001_22208df47de6b036.txt"
#define PCAP_INPUTS "packet captures (pcap / pcapng, possibly gzip'd)"

static const struct check checks_pcap[] = {
	{ "PCAP-001", "Handshakes without SNI are refused",
	  "Handshakes without SNI are answered like those with SNI", SEVERITY_HIGH,
	  PCAP_INPUTS ": ClientHellos and what answered them",
	  "The ingress refuses clients that send no server name. Enable non-SNI clients on a "
	  "wildcard ApigeeRoute and list it in the virtual host's additionalGateways (SNI-003 to "
	  "SNI-005), or make the clients send SNI.",
	  SRC_PCAP, HINT_PCAP, pcap_001 },
	{ "PCAP-002", "TLS alert during the handshake",
	  "No handshake in the capture ends in an alert", SEVERITY_MEDIUM,
	  PCAP_INPUTS ": alert records before the handshake completes",
	  "The alert says which side gave up and why: certificate and key problems on the "
	  "ingress (TLS-002 to TLS-004), an expired certificate (TLS-005), a name mismatch "
	  "(TLS-006) or a chain the client does not trust (TLS-008).",
	  SRC_PCAP, HINT_PCAP, pcap_002 },
	{ "PCAP-003", "Served certificate seen in the capture is wrong",
	  "Every certificate served in the capture is valid and covers its server name",
	  SEVERITY_HIGH, PCAP_INPUTS ": TLS <= 1.2 Certificate messages",
	  "Renew or replace the certificate the server presents so that it is valid and covers "
	  "the host names clients ask for (TLS-005 to TLS-007; Apigee X: XLB-001/002).",
	  SRC_PCAP, HINT_PCAP, pcap_003 },
	{ "PCAP-004", "TCP connections are not established",
	  "Every connection attempt in the capture was answered", SEVERITY_HIGH,
	  PCAP_INPUTS ": SYNs and their answers",
	  "Not a TLS problem: nothing listens on that address and port (refused) or something "
	  "drops the packets (timed out). Check the address, the port, routes and firewalls "
	  "(CURL-007, XLB-005).",
	  SRC_PCAP, HINT_PCAP, pcap_004 },
};
CHECK_ROWS(pcap, checks_pcap);
