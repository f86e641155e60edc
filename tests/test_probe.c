/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the TLS probes (collect/probe.c): an in-process OpenSSL server on
 * 127.0.0.1 with a certificate made here, in the ways a hybrid ingress behaves
 * (normal, reset without SNI, handshake_failure alert, EOF, hang) plus a closed
 * port and an unresolvable name; a recording sink checks what would be stored. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <jansson.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "buf.h"
#include "error.h"
#include "rec_sink.h"
#include "sink.h"
#include "sources.h"

#include "banned.h"

/* ---- certificates made here ----------------------------------------------- */

struct pki {
	EVP_PKEY *ca_key, *leaf_key;
	X509 *ca, *leaf;
	char cafile[64];
};

static struct pki pki;

static X509 *make_cert(EVP_PKEY *key, EVP_PKEY *signer, X509 *issuer, const char *cn,
                       const char *san, bool ca)
{
	X509 *x = X509_new();
	X509_NAME *name = X509_NAME_new();
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	static long serial = 1;

	assert_non_null(x);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400L * 30);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_subject_name(x, name);
	X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name);
	X509_set_pubkey(x, key);
	X509V3_set_ctx(&ctx, issuer ? issuer : x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_basic_constraints,
	                          ca ? "critical,CA:TRUE" : "CA:FALSE");
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	if (san) {
		ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name, san);
		X509_add_ext(x, ext, -1);
		X509_EXTENSION_free(ext);
	}
	if (ca) {
		ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_key_usage,
		                          "critical,keyCertSign,cRLSign");
		X509_add_ext(x, ext, -1);
		X509_EXTENSION_free(ext);
	}
	assert_true(X509_sign(x, signer, EVP_sha256()) > 0);
	X509_NAME_free(name);
	return x;
}

static int pki_setup(void **state)
{
	FILE *f;
	int fd;

	pki.ca_key = EVP_EC_gen("P-256");
	pki.leaf_key = EVP_EC_gen("P-256");
	assert_non_null(pki.ca_key);
	assert_non_null(pki.leaf_key);
	pki.ca = make_cert(pki.ca_key, pki.ca_key, NULL, "Test Probe CA", NULL, true);
	pki.leaf = make_cert(pki.leaf_key, pki.ca_key, pki.ca, "api.example.com",
	                     "DNS:api.example.com,IP:127.0.0.1", false);
	snprintf(pki.cafile, sizeof(pki.cafile), "/tmp/test_probe_ca_XXXXXX");
	fd = mkstemp(pki.cafile);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	PEM_write_X509(f, pki.ca);
	fclose(f);
	(void)state;
	return 0;
}

static int pki_teardown(void **state)
{
	unlink(pki.cafile);
	X509_free(pki.ca);
	X509_free(pki.leaf);
	EVP_PKEY_free(pki.ca_key);
	EVP_PKEY_free(pki.leaf_key);
	(void)state;
	return 0;
}

/* ---- a TLS server that misbehaves on request ------------------------------ */

enum mode {
	M_NORMAL,
	M_RESET_NO_SNI,
	M_ALERT,
	M_EOF,
	M_HANG
};

struct tls_server {
	int fd, port;
	pthread_t thread;
	atomic_bool stop;
	enum mode mode;
	SSL_CTX *ctx;
	pthread_mutex_t lock;
	int held[64]; /* M_HANG: connections kept open until the end, under lock */
	int n_held;
	pthread_t conns[64]; /* one thread per connection, joined at the end */
	int n_conns;
};

struct conn {
	struct tls_server *sv;
	int fd;
};

static int hello_cb(SSL *ssl, int *al, void *arg)
{
	struct tls_server *sv = arg;
	const unsigned char *ext;
	size_t len;
	bool sni = SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_server_name, &ext, &len) == 1;

	if (sv->mode == M_ALERT) {
		*al = SSL_AD_HANDSHAKE_FAILURE;
		return SSL_CLIENT_HELLO_ERROR;
	}
	/* pause the handshake: the server loop then resets the connection, as Envoy
	 * does for a ClientHello without SNI that no filter chain matches */
	if (sv->mode == M_RESET_NO_SNI && !sni)
		return SSL_CLIENT_HELLO_RETRY;
	return SSL_CLIENT_HELLO_SUCCESS;
}

static int alpn_cb(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                   const unsigned char *in, unsigned int inlen, void *arg)
{
	static const unsigned char h1[] = "\x08http/1.1";
	unsigned char *sel;

	(void)ssl;
	(void)arg;
	if (SSL_select_next_proto(&sel, outlen, h1, sizeof(h1) - 1, in, inlen) !=
	    OPENSSL_NPN_NEGOTIATED)
		return SSL_TLSEXT_ERR_NOACK;
	*out = sel;
	return SSL_TLSEXT_ERR_OK;
}

static void reset_close(int c)
{
	struct linger l = { 1, 0 };

	setsockopt(c, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	close(c);
}

/* TEST_TIMEOUT_SCALE=N (scripts/valgrind.sh) stretches the probe timeouts: under
 * valgrind a handshake takes seconds. */
static long scaled(long timeout_s)
{
	const char *e = getenv("TEST_TIMEOUT_SCALE");
	long k = e ? strtol(e, NULL, 10) : 1;

	return timeout_s * (k >= 1 && k <= 100 ? k : 1);
}

static void serve_conn(struct tls_server *sv, int c)
{
	struct timeval tv = { scaled(10), 0 };
	char req[4096];
	size_t n = 0;
	SSL *ssl;
	int r;

	setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (sv->mode == M_HANG) {
		pthread_mutex_lock(&sv->lock);
		if (sv->n_held < 64)
			sv->held[sv->n_held++] = c;
		else
			close(c);
		pthread_mutex_unlock(&sv->lock);
		return;
	}
	if (sv->mode == M_EOF) {
		(void)!recv(c, req, sizeof(req), 0); /* the ClientHello */
		close(c);
		return;
	}
	ssl = SSL_new(sv->ctx);
	SSL_set_fd(ssl, c);
	r = SSL_accept(ssl);
	if (r != 1) {
		if (SSL_get_error(ssl, r) == SSL_ERROR_WANT_CLIENT_HELLO_CB)
			reset_close(c);
		else
			close(c);
		SSL_free(ssl);
		ERR_clear_error();
		return;
	}
	while (n < sizeof(req) - 1) {
		r = SSL_read(ssl, req + n, (int)(sizeof(req) - 1 - n));
		if (r <= 0)
			break;
		n += (size_t)r;
		req[n] = '\0';
		if (strstr(req, "\r\n\r\n")) {
			static const char resp[] = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
			                           "Set-Cookie: session=secret-cookie\r\n"
			                           "Content-Length: 6\r\nConnection: close\r\n\r\n"
			                           "hello\n";

			SSL_write(ssl, resp, (int)sizeof(resp) - 1);
			break;
		}
	}
	SSL_shutdown(ssl);
	SSL_free(ssl);
	close(c);
	ERR_clear_error();
}

static void *conn_main(void *userp)
{
	struct conn *c = userp;

	serve_conn(c->sv, c->fd);
	free(c);
	return NULL;
}

static void *tls_server_main(void *userp)
{
	struct tls_server *sv = userp;
	sigset_t set;

	/* writing to a client that went away must not kill the test (only this
	 * thread: the probes themselves must cope with SIGPIPE on their own) */
	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	while (!sv->stop) {
		struct pollfd pfd = { .fd = sv->fd, .events = POLLIN };
		int c;

		if (poll(&pfd, 1, 50) <= 0)
			continue;
		c = accept(sv->fd, NULL, NULL);
		if (c < 0)
			continue;
		/* concurrently, as the probes connect concurrently */
		if (sv->n_conns < 64) {
			struct conn *cn = malloc(sizeof(*cn));

			cn->sv = sv;
			cn->fd = c;
			if (pthread_create(&sv->conns[sv->n_conns], NULL, conn_main, cn) == 0) {
				sv->n_conns++;
				continue;
			}
			free(cn);
		}
		serve_conn(sv, c);
	}
	return NULL;
}

static struct tls_server *tls_server_start(enum mode mode)
{
	struct tls_server *sv = calloc(1, sizeof(*sv));
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int one = 1;

	assert_non_null(sv);
	sv->mode = mode;
	pthread_mutex_init(&sv->lock, NULL);
	sv->ctx = SSL_CTX_new(TLS_server_method());
	assert_non_null(sv->ctx);
	assert_int_equal(SSL_CTX_use_certificate(sv->ctx, pki.leaf), 1);
	assert_int_equal(SSL_CTX_use_PrivateKey(sv->ctx, pki.leaf_key), 1);
	SSL_CTX_set_client_hello_cb(sv->ctx, hello_cb, sv);
	SSL_CTX_set_alpn_select_cb(sv->ctx, alpn_cb, NULL);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sv->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(sv->fd >= 0);
	setsockopt(sv->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	assert_int_equal(bind(sv->fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(sv->fd, 32), 0);
	assert_int_equal(getsockname(sv->fd, (struct sockaddr *)&a, &len), 0);
	sv->port = ntohs(a.sin_port);
	assert_int_equal(pthread_create(&sv->thread, NULL, tls_server_main, sv), 0);
	return sv;
}

static void tls_server_stop(struct tls_server *sv)
{
	sv->stop = true;
	pthread_join(sv->thread, NULL);
	for (int i = 0; i < sv->n_conns; i++)
		pthread_join(sv->conns[i], NULL);
	for (int i = 0; i < sv->n_held; i++)
		close(sv->held[i]);
	pthread_mutex_destroy(&sv->lock);
	close(sv->fd);
	SSL_CTX_free(sv->ctx);
	free(sv);
}

/* A port where nothing listens. */
static int closed_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	close(fd);
	return ntohs(a.sin_port);
}

/* ---- running the probes --------------------------------------------------- */

struct run {
	struct sink *s;
	json_t *doc; /* probes.json */
};

static struct run run_probes(const char *host, const char *resolve, const char *ingress,
                             bool cacert, long timeout_s)
{
	struct strv hosts = STRV_INIT, res = STRV_INIT, ing = STRV_INIT;
	struct probe_options o = { .hosts = &hosts,
		                   .resolves = &res,
		                   .ingress = &ing,
		                   .cacert = cacert ? pki.cafile : NULL,
		                   .timeout_s = scaled(timeout_s) };
	struct error err = ERROR_INIT;
	struct run r = { calloc(1, sizeof(struct sink)), NULL };
	const struct rec_member *m;

	if (host)
		strv_push(&hosts, host);
	if (resolve)
		strv_push(&res, resolve);
	if (ingress)
		strv_push(&ing, ingress);
	assert_int_equal(collect_probes(&o, r.s, &err), 0);
	m = find_member(r.s, "probes/probes.json");
	assert_non_null(m);
	assert_int_equal(m->source, MEMBER_SRC_COLLECTOR);
	r.doc = json_loadb(m->data.data, m->data.len, 0, NULL);
	assert_non_null(r.doc);
	assert_string_equal(json_string_value(json_object_get(r.doc, "kind")),
	                    "apigee-bundle/probes/v1");
	if (getenv("TEST_PROBE_DUMP"))
		fprintf(stderr, "---- probes.json\n%.*s\n", (int)m->data.len, m->data.data);
	strv_release(&hosts);
	strv_release(&res);
	strv_release(&ing);
	return r;
}

static void run_free(struct run *r)
{
	json_decref(r->doc);
	rec_sink_free(r->s);
}

/* The probe with this SNI (NULL = none) and address. */
static json_t *probe(const struct run *r, const char *sni)
{
	json_t *it;
	size_t i;

	json_array_foreach(json_object_get(r->doc, "probes"), i, it)
	{
		const char *s = json_string_value(json_object_get(it, "sni"));

		if ((!sni && !s) || (sni && s && strcmp(s, sni) == 0))
			return it;
	}
	fail_msg("no probe with SNI %s", sni ? sni : "(none)");
	return NULL;
}

static const char *jstr(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static const char *transcript(const struct run *r, const char *path)
{
	const struct rec_member *m = find_member(r->s, path);

	if (!m)
		fail_msg("no member %s", path);
	if (getenv("TEST_PROBE_DUMP"))
		fprintf(stderr, "---- %s\n%s", path, m->data.data);
	return m->data.data;
}

/* ---- tests ---------------------------------------------------------------- */

static void test_probe__normal(void **state)
{
	struct tls_server *sv = tls_server_start(M_NORMAL);
	char host[64], resolve[96], path[128], name[128], first[256];
	struct run r;
	json_t *p, *v, *chain;
	const char *t;

	snprintf(host, sizeof(host), "api.example.com:%d", sv->port);
	snprintf(resolve, sizeof(resolve), "api.example.com:%d:127.0.0.1", sv->port);
	r = run_probes(host, resolve, NULL, true, 5);

	/* the host's SNI handshake at its --resolve address, and one without SNI */
	assert_int_equal(json_array_size(json_object_get(r.doc, "probes")), 2);
	p = probe(&r, "api.example.com");
	assert_string_equal(jstr(p, "outcome"), "ok");
	assert_string_equal(jstr(p, "host"), "api.example.com");
	assert_string_equal(jstr(p, "address"), "127.0.0.1");
	assert_int_equal(json_integer_value(json_object_get(p, "port")), sv->port);
	assert_string_equal(jstr(p, "protocol"), "TLSv1.3");
	assert_non_null(jstr(p, "cipher"));
	assert_string_equal(jstr(p, "alpn"), "http/1.1");
	assert_true(json_is_null(json_object_get(p, "alert")));
	assert_true(json_is_null(json_object_get(p, "error")));
	t = jstr(p, "time");
	assert_non_null(t);
	assert_int_equal(strlen(t), 20);
	assert_int_equal(t[19], 'Z');
	chain = json_object_get(p, "chain");
	assert_int_equal(json_array_size(chain), 1);
	assert_string_equal(jstr(json_array_get(chain, 0), "common_name"), "api.example.com");
	v = json_object_get(p, "verify");
	assert_true(json_is_true(json_object_get(v, "ok")));
	assert_int_equal(json_integer_value(json_object_get(v, "code")), 0);
	assert_true(json_is_true(json_object_get(v, "host_match")));

	p = probe(&r, NULL);
	assert_string_equal(jstr(p, "outcome"), "ok");
	assert_int_equal(json_array_size(json_object_get(p, "chain")), 1);
	assert_true(json_is_null(json_object_get(json_object_get(p, "verify"), "host_match")));

	/* the served chain as PEM */
	snprintf(path, sizeof(path), "probes/certs/api.example.com_%d.pem", sv->port);
	assert_non_null(strstr(transcript(&r, path), "-----BEGIN CERTIFICATE-----"));
	assert_string_equal(jstr(probe(&r, "api.example.com"), "pem"), path);

	/* the curl -v transcript */
	snprintf(path, sizeof(path), "probes/curl/api.example.com_%d.txt", sv->port);
	t = transcript(&r, path);
	snprintf(first, sizeof(first),
	         "$ curl -v --resolve api.example.com:%d:127.0.0.1 --cacert %s "
	         "https://api.example.com:%d/\n",
	         sv->port, pki.cafile, sv->port);
	assert_true(strncmp(t, first, strlen(first)) == 0);
	snprintf(first, sizeof(first), "\n*   Trying 127.0.0.1:%d...\n", sv->port);
	assert_non_null(strstr(t, first));
	assert_non_null(strstr(t, "\n* Connected to api.example.com (127.0.0.1) port "));
	assert_non_null(strstr(t, "\n* SSL connection using TLSv1.3 / "));
	assert_non_null(strstr(t, "\n*  subject: CN=api.example.com\n"));
	assert_non_null(strstr(t, "\n*  SSL certificate verify ok."));
	assert_non_null(strstr(t, "\n> GET / HTTP/1.1\n"));
	assert_non_null(strstr(t, "\n< HTTP/1.1 200 OK\n"));
	assert_non_null(strstr(t, "\nhello\n"));
	assert_null(strstr(t, "\r"));
	assert_null(strstr(t, "curl: ("));
	assert_null(strstr(t, "secret-cookie")); /* Set-Cookie dropped */
	assert_null(strstr(t, "Set-Cookie"));

	snprintf(name, sizeof(name), "probe api.example.com:%d (SNI)", sv->port);
	assert_int_equal(find_source(r.s, name)->outcome, OUTCOME_OK);
	assert_null(find_source(r.s, name)->reason);
	snprintf(name, sizeof(name), "probe 127.0.0.1:%d (no SNI)", sv->port);
	assert_int_equal(find_source(r.s, name)->outcome, OUTCOME_OK);
	snprintf(name, sizeof(name), "probe https://api.example.com:%d/ (curl)", sv->port);
	assert_int_equal(find_source(r.s, name)->outcome, OUTCOME_OK);
	assert_true(r.s->wait_ms >= 0);
	run_free(&r);
	tls_server_stop(sv);
	(void)state;
}

static void test_probe__reset_without_sni(void **state)
{
	struct tls_server *sv = tls_server_start(M_RESET_NO_SNI);
	char host[64], resolve[96], ingress[64], name[128], path[128];
	struct run r;
	json_t *p;
	const char *t;

	snprintf(host, sizeof(host), "api.example.com:%d", sv->port);
	snprintf(resolve, sizeof(resolve), "api.example.com:%d:127.0.0.1", sv->port);
	snprintf(ingress, sizeof(ingress), "127.0.0.1:%d", sv->port);
	r = run_probes(host, resolve, ingress, true, 5);

	/* --ingress names the same address as --resolve: no duplicate handshakes */
	assert_int_equal(json_array_size(json_object_get(r.doc, "probes")), 2);
	assert_string_equal(jstr(probe(&r, "api.example.com"), "outcome"), "ok");
	p = probe(&r, NULL);
	assert_string_equal(jstr(p, "outcome"), "reset");
	assert_int_equal(json_array_size(json_object_get(p, "chain")), 0);
	assert_true(json_is_null(json_object_get(p, "verify")));
	assert_non_null(strstr(jstr(p, "error"), "reset"));

	/* a fact, not a collection failure */
	snprintf(name, sizeof(name), "probe 127.0.0.1:%d (no SNI)", sv->port);
	assert_int_equal(find_source(r.s, name)->outcome, OUTCOME_OK);
	assert_non_null(strstr(find_source(r.s, name)->reason, "reset"));
	snprintf(path, sizeof(path), "probes/curl/api.example.com_%d.txt", sv->port);
	assert_null(strstr(transcript(&r, path), "curl: ("));
	run_free(&r);

	/* an IP literal host: neither the probe nor curl sends SNI */
	r = run_probes(ingress, NULL, NULL, true, 5);
	p = probe(&r, NULL);
	assert_string_equal(jstr(p, "outcome"), "reset");
	assert_string_equal(jstr(p, "host"), "127.0.0.1");
	snprintf(path, sizeof(path), "probes/curl/127.0.0.1_%d.txt", sv->port);
	t = transcript(&r, path);
	assert_non_null(strstr(t, "\ncurl: (35) "));
	assert_non_null(strstr(t, "reset by peer"));
	snprintf(name, sizeof(name), "probe https://127.0.0.1:%d/ (curl)", sv->port);
	assert_int_equal(find_source(r.s, name)->outcome, OUTCOME_OK);
	run_free(&r);
	tls_server_stop(sv);
	(void)state;
}

static void test_probe__alert(void **state)
{
	struct tls_server *sv = tls_server_start(M_ALERT);
	char host[64], resolve[96], path[128], name[128];
	struct run r;
	json_t *p;

	snprintf(host, sizeof(host), "api.example.com:%d", sv->port);
	snprintf(resolve, sizeof(resolve), "api.example.com:%d:127.0.0.1", sv->port);
	r = run_probes(host, resolve, NULL, true, 5);
	p = probe(&r, "api.example.com");
	assert_string_equal(jstr(p, "outcome"), "alert");
	assert_string_equal(jstr(p, "alert"), "handshake failure");
	p = probe(&r, NULL);
	assert_string_equal(jstr(p, "outcome"), "alert");
	assert_string_equal(jstr(p, "alert"), "handshake failure");
	snprintf(path, sizeof(path), "probes/curl/api.example.com_%d.txt", sv->port);
	assert_non_null(strstr(transcript(&r, path), "\ncurl: (35) "));
	assert_non_null(strstr(transcript(&r, path), "alert handshake failure"));
	snprintf(name, sizeof(name), "probe api.example.com:%d (SNI)", sv->port);
	assert_int_equal(find_source(r.s, name)->outcome, OUTCOME_OK);
	assert_string_equal(find_source(r.s, name)->reason, "alert: handshake failure");
	run_free(&r);
	tls_server_stop(sv);
	(void)state;
}

static void test_probe__eof(void **state)
{
	struct tls_server *sv = tls_server_start(M_EOF);
	char host[64], resolve[96];
	struct run r;

	snprintf(host, sizeof(host), "api.example.com:%d", sv->port);
	snprintf(resolve, sizeof(resolve), "api.example.com:%d:127.0.0.1", sv->port);
	r = run_probes(host, resolve, NULL, true, 5);
	assert_string_equal(jstr(probe(&r, "api.example.com"), "outcome"), "eof");
	assert_string_equal(jstr(probe(&r, NULL), "outcome"), "eof");
	run_free(&r);
	tls_server_stop(sv);
	(void)state;
}

static void test_probe__hang_is_timeout(void **state)
{
	struct tls_server *sv = tls_server_start(M_HANG);
	char host[64], resolve[96], path[128], name[128];
	struct run r;

	snprintf(host, sizeof(host), "api.example.com:%d", sv->port);
	snprintf(resolve, sizeof(resolve), "api.example.com:%d:127.0.0.1", sv->port);
	r = run_probes(host, resolve, NULL, true, 1);
	assert_string_equal(jstr(probe(&r, "api.example.com"), "outcome"), "timeout");
	assert_string_equal(jstr(probe(&r, NULL), "outcome"), "timeout");
	snprintf(name, sizeof(name), "probe api.example.com:%d (SNI)", sv->port);
	assert_int_equal(find_source(r.s, name)->outcome, OUTCOME_TIMEOUT);
	snprintf(path, sizeof(path), "probes/curl/api.example.com_%d.txt", sv->port);
	assert_non_null(strstr(transcript(&r, path), "\ncurl: (28) "));
	snprintf(name, sizeof(name), "probe https://api.example.com:%d/ (curl)", sv->port);
	assert_int_equal(find_source(r.s, name)->outcome, OUTCOME_TIMEOUT);
	run_free(&r);
	tls_server_stop(sv);
	(void)state;
}

static void test_probe__refused(void **state)
{
	int port = closed_port();
	char host[64], resolve[96], path[128], name[128];
	struct run r;

	snprintf(host, sizeof(host), "api.example.com:%d", port);
	snprintf(resolve, sizeof(resolve), "api.example.com:%d:127.0.0.1", port);
	r = run_probes(host, resolve, NULL, true, 5);
	assert_string_equal(jstr(probe(&r, "api.example.com"), "outcome"), "refused");
	snprintf(name, sizeof(name), "probe api.example.com:%d (SNI)", port);
	assert_int_equal(find_source(r.s, name)->outcome, OUTCOME_FAILED);
	assert_non_null(strstr(find_source(r.s, name)->reason, "refused"));
	snprintf(path, sizeof(path), "probes/curl/api.example.com_%d.txt", port);
	assert_non_null(strstr(transcript(&r, path), "\ncurl: (7) "));
	snprintf(name, sizeof(name), "probe https://api.example.com:%d/ (curl)", port);
	assert_int_equal(find_source(r.s, name)->outcome, OUTCOME_FAILED);
	run_free(&r);
	(void)state;
}

static void test_probe__dns(void **state)
{
	struct run r = run_probes("probe-test.invalid", NULL, NULL, false, 5);
	json_t *p = probe(&r, "probe-test.invalid");

	assert_string_equal(jstr(p, "outcome"), "dns");
	assert_true(json_is_null(json_object_get(p, "address")));
	assert_int_equal(find_source(r.s, "probe probe-test.invalid:443 (SNI)")->outcome,
	                 OUTCOME_FAILED);
	assert_non_null(
	        strstr(transcript(&r, "probes/curl/probe-test.invalid.txt"), "\ncurl: (6) "));
	run_free(&r);
	(void)state;
}

static void test_probe__verify_failures(void **state)
{
	struct tls_server *sv = tls_server_start(M_NORMAL);
	char host[64], resolve[96], path[128];
	struct run r;
	json_t *v;

	/* no --cacert: the private CA is unknown */
	snprintf(host, sizeof(host), "api.example.com:%d", sv->port);
	snprintf(resolve, sizeof(resolve), "api.example.com:%d:127.0.0.1", sv->port);
	r = run_probes(host, resolve, NULL, false, 5);
	v = json_object_get(probe(&r, "api.example.com"), "verify");
	assert_true(json_is_false(json_object_get(v, "ok")));
	assert_int_equal(json_integer_value(json_object_get(v, "code")),
	                 X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
	assert_string_equal(jstr(v, "error"), "unable to get local issuer certificate");
	snprintf(path, sizeof(path), "probes/curl/api.example.com_%d.txt", sv->port);
	assert_non_null(strstr(transcript(&r, path), "\ncurl: (60) SSL certificate problem: "));
	run_free(&r);

	/* a name the certificate does not cover */
	snprintf(host, sizeof(host), "other.example.com:%d", sv->port);
	snprintf(resolve, sizeof(resolve), "other.example.com:%d:127.0.0.1", sv->port);
	r = run_probes(host, resolve, NULL, true, 5);
	v = json_object_get(probe(&r, "other.example.com"), "verify");
	assert_true(json_is_false(json_object_get(v, "ok")));
	assert_true(json_is_false(json_object_get(v, "host_match")));
	assert_int_equal(json_integer_value(json_object_get(v, "code")),
	                 X509_V_ERR_HOSTNAME_MISMATCH);
	assert_string_equal(jstr(v, "error"), "hostname mismatch");
	snprintf(path, sizeof(path), "probes/curl/other.example.com_%d.txt", sv->port);
	assert_non_null(strstr(transcript(&r, path), "\ncurl: (60) "));
	run_free(&r);
	tls_server_stop(sv);
	(void)state;
}

static void test_probe__ingress_sni_pairs(void **state)
{
	struct tls_server *sv = tls_server_start(M_RESET_NO_SNI);
	char host[64], resolve[96], ingress[64], name[128];
	struct strv hosts = STRV_INIT, res = STRV_INIT, ing = STRV_INIT;
	struct probe_options o = { .hosts = &hosts,
		                   .resolves = &res,
		                   .ingress = &ing,
		                   .cacert = pki.cafile,
		                   .timeout_s = scaled(5) };
	struct error err = ERROR_INIT;
	struct sink *s = calloc(1, sizeof(*s));

	/* the host resolves elsewhere (a closed port); --ingress is the real one: the
	 * ingress gets a no-SNI and an SNI handshake for the host */
	snprintf(host, sizeof(host), "api.example.com:%d", sv->port);
	snprintf(resolve, sizeof(resolve), "api.example.com:%d:127.0.0.2", sv->port);
	snprintf(ingress, sizeof(ingress), "127.0.0.1:%d", sv->port);
	strv_push(&hosts, host);
	strv_push(&res, resolve);
	strv_push(&ing, ingress);
	assert_int_equal(collect_probes(&o, s, &err), 0);
	snprintf(name, sizeof(name), "probe 127.0.0.1:%d (no SNI)", sv->port);
	assert_int_equal(find_source(s, name)->outcome, OUTCOME_OK);
	snprintf(name, sizeof(name), "probe 127.0.0.1:%d (SNI api.example.com)", sv->port);
	assert_int_equal(find_source(s, name)->outcome, OUTCOME_OK);
	assert_null(find_source(s, name)->reason);
	strv_release(&hosts);
	strv_release(&res);
	strv_release(&ing);
	rec_sink_free(s);
	tls_server_stop(sv);
	(void)state;
}

static void test_probe__parse(void **state)
{
	struct probe_target t;
	struct error err = ERROR_INIT;

	assert_int_equal(probe_parse_host("api.example.com", &t, &err), 0);
	assert_string_equal(t.host, "api.example.com");
	assert_null(t.address);
	assert_int_equal(t.port, 443);
	probe_target_release(&t);
	assert_int_equal(probe_parse_host("api.example.com:8443", &t, &err), 0);
	assert_int_equal(t.port, 8443);
	probe_target_release(&t);
	assert_int_equal(probe_parse_host("[::1]:9443", &t, &err), 0);
	assert_null(t.host);
	assert_string_equal(t.address, "::1");
	assert_int_equal(t.port, 9443);
	probe_target_release(&t);
	assert_int_equal(probe_parse_host("10.0.0.5", &t, &err), 0);
	assert_string_equal(t.address, "10.0.0.5");
	probe_target_release(&t);
	assert_int_equal(probe_parse_host("api.example.com:0", &t, &err), -EINVAL);
	assert_int_equal(probe_parse_host("api.example.com:99999", &t, &err), -EINVAL);
	assert_int_equal(probe_parse_host("a b", &t, &err), -EINVAL);
	assert_int_equal(probe_parse_host("", &t, &err), -EINVAL);
	assert_int_equal(probe_parse_host("[::1", &t, &err), -EINVAL);

	assert_int_equal(probe_parse_resolve("api.example.com:443:10.1.2.3", &t, &err), 0);
	assert_string_equal(t.host, "api.example.com");
	assert_string_equal(t.address, "10.1.2.3");
	assert_int_equal(t.port, 443);
	probe_target_release(&t);
	assert_int_equal(probe_parse_resolve("+h.example:8443:[::1],10.0.0.1", &t, &err), 0);
	assert_string_equal(t.host, "h.example");
	assert_string_equal(t.address, "::1");
	probe_target_release(&t);
	assert_int_equal(probe_parse_resolve("h.example:443", &t, &err), -EINVAL);
	assert_int_equal(probe_parse_resolve("h.example:443:notanip", &t, &err), -EINVAL);
	assert_int_equal(probe_parse_resolve(":443:10.0.0.1", &t, &err), -EINVAL);

	assert_int_equal(probe_parse_ingress("34.1.2.3", &t, &err), 0);
	assert_string_equal(t.address, "34.1.2.3");
	assert_null(t.host);
	assert_int_equal(t.port, 443);
	probe_target_release(&t);
	assert_int_equal(probe_parse_ingress("34.1.2.3:8443", &t, &err), 0);
	assert_int_equal(t.port, 8443);
	probe_target_release(&t);
	assert_int_equal(probe_parse_ingress("[2001:db8::1]", &t, &err), 0);
	assert_string_equal(t.address, "2001:db8::1");
	probe_target_release(&t);
	(void)state;
}

static void test_probe__nothing_to_do(void **state)
{
	struct probe_options o = { 0 };
	struct error err = ERROR_INIT;
	struct sink *s = calloc(1, sizeof(*s));

	assert_int_equal(collect_probes(&o, s, &err), 0);
	assert_int_equal(s->n_m, 0);
	assert_int_equal(find_source(s, "probes")->outcome, OUTCOME_SKIPPED);
	rec_sink_free(s);
	(void)state;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_probe__parse),
		cmocka_unit_test(test_probe__nothing_to_do),
		cmocka_unit_test(test_probe__normal),
		cmocka_unit_test(test_probe__reset_without_sni),
		cmocka_unit_test(test_probe__alert),
		cmocka_unit_test(test_probe__eof),
		cmocka_unit_test(test_probe__hang_is_timeout),
		cmocka_unit_test(test_probe__refused),
		cmocka_unit_test(test_probe__dns),
		cmocka_unit_test(test_probe__verify_failures),
		cmocka_unit_test(test_probe__ingress_sni_pairs),
	};
	int r;

	/* loopback only: no proxy */
	unsetenv("http_proxy");
	unsetenv("HTTP_PROXY");
	unsetenv("https_proxy");
	unsetenv("HTTPS_PROXY");
	unsetenv("all_proxy");
	unsetenv("ALL_PROXY");
	curl_global_init(CURL_GLOBAL_DEFAULT);
	r = cmocka_run_group_tests(tests, pki_setup, pki_teardown);
	curl_global_cleanup();
	return r;
}
