/* SPDX-License-Identifier: Apache-2.0 */
/* The TLS probes: OpenSSL handshakes with and without SNI against the host names
 * and ingress addresses (what exactly happened: certificate chain, alert, reset,
 * EOF, timeout), and one HTTPS request per host with libcurl recorded as a
 * `curl -v` transcript. Probes run in a few threads; results go to the sink from
 * the calling thread only. See sources.h for the outcome rules. */
#include "sources.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "cleanup.h"
#include "error.h"
#include "model.h"
#include "pem.h"
#include "sink.h"
#include "text.h"
#include "version.h"

#include "banned.h"

#define PROBE_MAX_THREADS 8
#define PROBE_MAX_TARGETS 256 /* handshakes in one run */
#define PROBE_MAX_CHAIN 16

/* Handshake outcomes are enum probe_outcome of core/model.h, the one vocabulary the
 * writer (here) and the reader of probes.json (core/ingest_json.c) share. */

/* One handshake: what to do, and what happened. */
struct hs_job {
	/* input */
	char *host;   /* the host name (or IP literal) this is about; NULL for a bare ingress */
	char *target; /* what to connect to: a numeric address or a name to resolve */
	int port;
	char *sni;    /* NULL = no SNI */
	char *check;  /* name (or IP literal) to check the certificate against; NULL = none */
	bool primary; /* the host's own SNI probe */
	/* output */
	enum probe_outcome oc;
	bool connected;
	char address[INET6_ADDRSTRLEN];
	char time[32];
	long long duration_ms;
	char alert[64];
	char error[256];
	char protocol[32];
	char cipher[96];
	char alpn[32];
	json_t *chain; /* array of cert facts, NULL when no certificate */
	struct buf pem;
	bool verified; /* verification result below is known */
	long verify_code;
	char verify_error[160];
	int host_match; /* -1 unknown, 0, 1 */
};

struct curl_job {
	char *host; /* name or IP literal */
	int port;
	char url[300];
	struct curl_slist *resolve;
	struct curl_transcript t;
	int code;
	long status;
	char errbuf[CURL_ERROR_SIZE];
	long long duration_ms;
};

struct probe_run {
	const struct probe_options *o;
	SSL_CTX *ctx;
	long timeout_ms;
	struct hs_job *hs;
	size_t n_hs;
	struct curl_job *cj;
	size_t n_cj;
	pthread_mutex_t lock;
	size_t next; /* next job index, under lock */
};

/* ---- option parsing ------------------------------------------------------- */

void probe_target_release(struct probe_target *t)
{
	if (!t)
		return;
	free(t->host);
	free(t->address);
	t->host = t->address = NULL;
}

static bool is_hostname(const char *s, size_t n)
{
	if (n == 0 || n > 253)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '.' || c == '_'))
			return false;
	}
	return true;
}

static bool is_numeric_addr(const char *s)
{
	unsigned char tmp[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, s, tmp) == 1 || inet_pton(AF_INET6, s, tmp) == 1;
}

static int parse_port(const char *s, size_t n, int *ret)
{
	char tmp[8];
	char *end;
	long v;

	if (n == 0 || n >= sizeof(tmp))
		return -EINVAL;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	errno = 0;
	v = strtol(tmp, &end, 10);
	if (errno || *end || v < 1 || v > 65535 || tmp[0] == '-' || tmp[0] == '+')
		return -EINVAL;
	*ret = (int)v;
	return 0;
}

/* "[v6]:port", "[v6]", "v6", "name:port", "name", "v4:port". */
static int split_host_port(const char *s, char **ret_name, int *ret_port)
{
	const char *colon, *name = s;
	size_t n;

	*ret_name = NULL;
	*ret_port = PROBE_DEFAULT_PORT;
	if (!s || !*s)
		return -EINVAL;
	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (!close)
			return -EINVAL;
		name = s + 1;
		n = (size_t)(close - name);
		if (close[1] == ':') {
			if (parse_port(close + 2, strlen(close + 2), ret_port) < 0)
				return -EINVAL;
		} else if (close[1]) {
			return -EINVAL;
		}
	} else if ((colon = strchr(s, ':')) && !strchr(colon + 1, ':')) {
		n = (size_t)(colon - s);
		if (parse_port(colon + 1, strlen(colon + 1), ret_port) < 0)
			return -EINVAL;
	} else {
		n = strlen(s);
	}
	if (n == 0)
		return -EINVAL;
	*ret_name = strndup(name, n);
	return *ret_name ? 0 : -ENOMEM;
}

static int classify_name(char *name, struct probe_target *ret)
{
	if (is_numeric_addr(name)) {
		ret->address = name;
		return 0;
	}
	if (!is_hostname(name, strlen(name)) || strchr(name, ':')) {
		free(name);
		return -EINVAL;
	}
	ret->host = name;
	return 0;
}

int probe_parse_host(const char *s, struct probe_target *ret, struct error *err)
{
	char *name;
	int r;

	memset(ret, 0, sizeof(*ret));
	r = split_host_port(s, &name, &ret->port);
	if (r == -ENOMEM)
		return error_set(err, r, NULL, 0, "out of memory");
	if (r < 0 || classify_name(name, ret) < 0)
		return error_set(err, -EINVAL, NULL, 0, "invalid host '%s' (expected NAME[:PORT])",
		                 s ? s : "");
	return 0;
}

int probe_parse_ingress(const char *s, struct probe_target *ret, struct error *err)
{
	char *name;
	int r;

	memset(ret, 0, sizeof(*ret));
	r = split_host_port(s, &name, &ret->port);
	if (r == -ENOMEM)
		return error_set(err, r, NULL, 0, "out of memory");
	if (r < 0 || classify_name(name, ret) < 0)
		return error_set(err, -EINVAL, NULL, 0,
		                 "invalid ingress address '%s' (expected ADDR[:PORT])", s ? s : "");
	/* an ingress given by name is still just a place to connect to */
	if (ret->host) {
		ret->address = ret->host;
		ret->host = NULL;
	}
	return 0;
}

int probe_parse_resolve(const char *s, struct probe_target *ret, struct error *err)
{
	const char *p = s, *c1, *c2, *addr;
	size_t an;

	memset(ret, 0, sizeof(*ret));
	if (!s)
		goto bad;
	if (*p == '+')
		p++;
	c1 = strchr(p, ':');
	if (!c1 || c1 == p || !is_hostname(p, (size_t)(c1 - p)))
		goto bad;
	c2 = strchr(c1 + 1, ':');
	if (!c2 || parse_port(c1 + 1, (size_t)(c2 - c1 - 1), &ret->port) < 0)
		goto bad;
	addr = c2 + 1;
	an = strcspn(addr, ",");
	if (an >= 2 && addr[0] == '[' && addr[an - 1] == ']') {
		addr++;
		an -= 2;
	}
	if (an == 0 || an >= INET6_ADDRSTRLEN)
		goto bad;
	ret->host = strndup(p, (size_t)(c1 - p));
	ret->address = strndup(addr, an);
	if (!ret->host || !ret->address) {
		probe_target_release(ret);
		return error_set(err, -ENOMEM, NULL, 0, "out of memory");
	}
	if (!is_numeric_addr(ret->address)) {
		probe_target_release(ret);
		goto bad;
	}
	return 0;
bad:
	return error_set(err, -EINVAL, NULL, 0, "invalid --resolve '%s' (expected NAME:PORT:ADDR)",
	                 s ? s : "");
}

/* ---- one handshake -------------------------------------------------------- */

static void hs_set_error(struct hs_job *j, enum probe_outcome oc, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static void hs_set_error(struct hs_job *j, enum probe_outcome oc, const char *fmt, ...)
{
	va_list ap;

	j->oc = oc;
	va_start(ap, fmt);
	vsnprintf(j->error, sizeof(j->error), fmt, ap);
	va_end(ap);
}

static void hs_info_cb(const SSL *ssl, int where, int ret)
{
	struct hs_job *j = SSL_get_app_data(ssl);

	/* the alert the server sent, e.g. "handshake failure" */
	if (j && (where & SSL_CB_READ_ALERT) == SSL_CB_READ_ALERT &&
	    (ret & 0xff) != SSL_AD_CLOSE_NOTIFY && (!j->alert[0] || (ret >> 8) == SSL3_AL_FATAL))
		snprintf(j->alert, sizeof(j->alert), "%s", SSL_alert_desc_string_long(ret));
}

/* 1 ready, 0 timed out, -errno; -ECANCELED as soon as collect is interrupted
 * (the signal may go to another thread: poll in slices of 100 ms and look). */
static int wait_fd(int fd, short events, long long deadline, const volatile sig_atomic_t *cancel)
{
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = events };
		long long left = deadline - collect_now_ms();
		int r;

		if (cancel && *cancel)
			return -ECANCELED;
		if (left <= 0)
			return 0;
		r = poll(&pfd, 1, left > 100 ? 100 : (int)left);
		if (r == 0)
			continue;
		if (r > 0)
			return 1;
		if (r < 0 && errno != EINTR)
			return -errno;
	}
}

/* Resolve j->target (numeric or a name) into addrinfo. */
static int hs_resolve(struct hs_job *j, struct addrinfo **ret)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
	char port[8];
	int r;

	snprintf(port, sizeof(port), "%d", j->port);
	hints.ai_flags = AI_NUMERICSERV | (is_numeric_addr(j->target) ? AI_NUMERICHOST : 0);
	r = getaddrinfo(j->target, port, &hints, ret);
	if (r != 0) {
		hs_set_error(j, PROBE_DNS, "cannot resolve '%s': %s", j->target,
		             r == EAI_SYSTEM ? strerror(errno) : gai_strerror(r));
		return -1;
	}
	return 0;
}

static int hs_connect(struct hs_job *j, const struct addrinfo *ai, long long deadline,
                      const volatile sig_atomic_t *cancel)
{
	int fd, r, soerr = 0;
	socklen_t sl = sizeof(soerr);
	const void *addr =
	        ai->ai_family == AF_INET6
	                ? (const void *)&((const struct sockaddr_in6 *)ai->ai_addr)->sin6_addr
	                : (const void *)&((const struct sockaddr_in *)ai->ai_addr)->sin_addr;

	inet_ntop(ai->ai_family, addr, j->address, sizeof(j->address));
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		hs_set_error(j, PROBE_ERROR, "socket: %s", strerror(errno));
		return -1;
	}
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		if (errno != EINPROGRESS) {
			soerr = errno;
			goto fail;
		}
		r = wait_fd(fd, POLLOUT, deadline, cancel);
		if (r == 0) {
			hs_set_error(j, PROBE_TIMEOUT, "connect to %s port %d timed out",
			             j->address, j->port);
			close(fd);
			return -1;
		}
		if (r < 0) {
			soerr = -r;
			goto fail;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0)
			soerr = errno;
		if (soerr)
			goto fail;
	}
	j->connected = true;
	return fd;
fail:
	close(fd);
	if (soerr == ECONNREFUSED)
		hs_set_error(j, PROBE_REFUSED, "connect to %s port %d: %s", j->address, j->port,
		             strerror(soerr));
	else if (soerr == ETIMEDOUT)
		hs_set_error(j, PROBE_TIMEOUT, "connect to %s port %d: %s", j->address, j->port,
		             strerror(soerr));
	else
		hs_set_error(j, PROBE_ERROR, "connect to %s port %d: %s", j->address, j->port,
		             strerror(soerr));
	return -1;
}

/* The errno hidden in OpenSSL's error queue (OpenSSL 3 records system errors as
 * ERR_LIB_SYS entries), or 0. */
static int ssl_queue_errno(void)
{
	unsigned long e = ERR_peek_error();

	return e && ERR_GET_LIB(e) == ERR_LIB_SYS ? ERR_GET_REASON(e) : 0;
}

static bool ssl_queue_has_reason(int reason)
{
	unsigned long e = ERR_peek_last_error();

	return e && ERR_GET_LIB(e) == ERR_LIB_SSL && ERR_GET_REASON(e) == reason;
}

/* Facts, PEM and verification of the served chain after a handshake. */
static void hs_chain(struct hs_job *j, SSL *ssl)
{
	STACK_OF(X509) *chain = SSL_get_peer_cert_chain(ssl);
	BIO *bio = NULL;
	X509 *leaf;
	int n = chain ? sk_X509_num(chain) : 0;

	if (n <= 0)
		return;
	j->chain = json_array();
	bio = BIO_new(BIO_s_mem());
	if (!j->chain || !bio)
		goto out;
	for (int i = 0; i < n && i < PROBE_MAX_CHAIN; i++) {
		X509 *x = sk_X509_value(chain, i);
		unsigned char *der = NULL;
		int len = i2d_X509(x, &der);
		struct cert_facts f = { 0 };
		struct error e = ERROR_INIT;

		if (len > 0 && cert_facts_from_der(der, (size_t)len, &f, &e) >= 0) {
			json_t *jf = cert_facts_to_json(&f);

			if (jf)
				json_array_append_new(j->chain, jf);
		}
		cert_facts_release(&f);
		OPENSSL_free(der);
		PEM_write_bio_X509(bio, x);
	}
	{
		char *data;
		long len = BIO_get_mem_data(bio, &data);

		if (len > 0)
			(void)buf_append(&j->pem, data, (size_t)len);
	}

	/* The handshake ran with SSL_VERIFY_NONE so that the chain is seen whatever
	 * it is; OpenSSL still verified it against the store. */
	j->verified = true;
	j->verify_code = SSL_get_verify_result(ssl);
	leaf = sk_X509_value(chain, 0);
	if (j->check) {
		if (is_numeric_addr(j->check))
			j->host_match = X509_check_ip_asc(leaf, j->check, 0) == 1;
		else
			j->host_match = X509_check_host(leaf, j->check, 0, 0, NULL) == 1;
	}
	if (j->verify_code == X509_V_OK && j->host_match == 0)
		j->verify_code = X509_V_ERR_HOSTNAME_MISMATCH;
	snprintf(j->verify_error, sizeof(j->verify_error), "%s",
	         X509_verify_cert_error_string(j->verify_code));
out:
	BIO_free(bio);
}

static void hs_run(struct probe_run *run, struct hs_job *j)
{
	struct addrinfo *ai = NULL;
	long long t0 = collect_now_ms(), deadline = t0 + run->timeout_ms;
	SSL *ssl = NULL;
	int fd = -1;

	text_format_time((int64_t)time(NULL), j->time, sizeof(j->time));
	j->host_match = -1;
	buf_init(&j->pem, 0);
	if (hs_resolve(j, &ai) < 0)
		goto out;
	/* every address DNS gave, until one connects (or the time is up) */
	for (const struct addrinfo *p = ai; p; p = p->ai_next) {
		fd = hs_connect(j, p, deadline, run->o->cancel);
		if (fd >= 0 || j->oc == PROBE_TIMEOUT)
			break;
	}
	if (fd < 0)
		goto out;
	ssl = SSL_new(run->ctx);
	if (!ssl || SSL_set_fd(ssl, fd) != 1 ||
	    (j->sni && SSL_set_tlsext_host_name(ssl, j->sni) != 1)) {
		hs_set_error(j, PROBE_ERROR, "cannot set up the TLS client");
		goto out;
	}
	SSL_set_app_data(ssl, j);
	SSL_set_info_callback(ssl, hs_info_cb);

	for (;;) {
		int ret, e, saved, w;

		ERR_clear_error();
		errno = 0;
		ret = SSL_connect(ssl);
		if (ret == 1)
			break;
		saved = errno;
		e = SSL_get_error(ssl, ret);
		if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
			w = wait_fd(fd, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline,
			            run->o->cancel);
			if (w == -ECANCELED) {
				hs_set_error(j, PROBE_ERROR,
				             "interrupted during the TLS handshake with %s port %d",
				             j->address, j->port);
				goto out;
			}
			if (w == 0) {
				hs_set_error(
				        j, PROBE_TIMEOUT,
				        "TLS handshake with %s port %d timed out after %lld ms",
				        j->address, j->port, collect_now_ms() - t0);
				goto out;
			}
			if (w < 0) {
				hs_set_error(j, PROBE_ERROR, "poll: %s", strerror(-w));
				goto out;
			}
			continue;
		}
		if (!saved)
			saved = ssl_queue_errno();
		if (j->alert[0]) {
			char text[200];

			ERR_error_string_n(ERR_peek_last_error(), text, sizeof(text));
			hs_set_error(j, PROBE_ALERT, "%s", ERR_peek_last_error() ? text : j->alert);
		} else if (saved == ECONNRESET || saved == EPIPE) {
			hs_set_error(j, PROBE_RESET, "%s", strerror(ECONNRESET));
		} else if (e == SSL_ERROR_SYSCALL && saved == 0) {
			hs_set_error(j, PROBE_EOF, "unexpected EOF while reading");
		} else if (e == SSL_ERROR_ZERO_RETURN) {
			hs_set_error(j, PROBE_EOF, "connection closed by the server");
#ifdef SSL_R_UNEXPECTED_EOF_WHILE_READING
		} else if (ssl_queue_has_reason(SSL_R_UNEXPECTED_EOF_WHILE_READING)) {
			hs_set_error(j, PROBE_EOF, "unexpected EOF while reading");
#endif
		} else if (e == SSL_ERROR_SYSCALL) {
			hs_set_error(j, PROBE_ERROR, "%s", strerror(saved));
		} else {
			char text[200];

			ERR_error_string_n(ERR_peek_last_error(), text, sizeof(text));
			hs_set_error(j, PROBE_ERROR, "%s", text);
		}
		goto out;
	}

	/* handshake done: what the server chose and what it served */
	j->oc = PROBE_OK;
	snprintf(j->protocol, sizeof(j->protocol), "%s", SSL_get_version(ssl));
	snprintf(j->cipher, sizeof(j->cipher), "%s", SSL_get_cipher_name(ssl));
	{
		const unsigned char *alpn = NULL;
		unsigned int alen = 0;

		SSL_get0_alpn_selected(ssl, &alpn, &alen);
		if (alpn && alen > 0 && alen < sizeof(j->alpn)) {
			memcpy(j->alpn, alpn, alen);
			j->alpn[alen] = '\0';
		}
	}
	hs_chain(j, ssl);
	(void)SSL_shutdown(ssl);
out:
	SSL_free(ssl);
	if (fd >= 0)
		close(fd);
	if (ai)
		freeaddrinfo(ai);
	ERR_clear_error();
	j->duration_ms = collect_now_ms() - t0;
}

/* libcurl's progress callback: abort the request when collect is interrupted. */
static int probe_progress_cb(void *userp, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                             curl_off_t ulnow)
{
	const volatile sig_atomic_t *cancel = userp;

	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	return *cancel ? 1 : 0;
}

/* ---- one HTTPS request ---------------------------------------------------- */

static void cj_run(struct probe_run *run, struct curl_job *j)
{
	CURL *h = curl_easy_init();
	long long t0 = collect_now_ms();
	long secs = (run->timeout_ms + 999) / 1000;

	if (!h) {
		j->code = CURLE_FAILED_INIT;
		goto out;
	}
	if (collect_transcript_attach(h, &j->t) < 0 ||
	    curl_easy_setopt(h, CURLOPT_URL, j->url) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, j->errbuf) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, secs) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_TIMEOUT, secs) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_USERAGENT, "apigee-bundle/" APIGEE_BUNDLE_VERSION) !=
	            CURLE_OK ||
	    (j->resolve && curl_easy_setopt(h, CURLOPT_RESOLVE, j->resolve) != CURLE_OK) ||
	    (run->o->cancel &&
	     (curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L) != CURLE_OK ||
	      curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, probe_progress_cb) != CURLE_OK ||
	      curl_easy_setopt(h, CURLOPT_XFERINFODATA, (void *)run->o->cancel) != CURLE_OK)) ||
	    collect_curl_cacert(h, run->o->cacert) < 0) {
		j->code = CURLE_FAILED_INIT;
		goto out;
	}
	j->code = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &j->status);
out:
	if (collect_transcript_finish(&j->t, j->code, j->errbuf) < 0)
		j->code = CURLE_OUT_OF_MEMORY;
	if (h)
		curl_easy_cleanup(h);
	j->duration_ms = collect_now_ms() - t0;
}

static void *probe_worker(void *userp)
{
	struct probe_run *run = userp;

	for (;;) {
		size_t i;

		pthread_mutex_lock(&run->lock);
		i = run->next++;
		pthread_mutex_unlock(&run->lock);
		if (i < run->n_hs)
			hs_run(run, &run->hs[i]);
		else if (i < run->n_hs + run->n_cj)
			cj_run(run, &run->cj[i - run->n_hs]);
		else
			return NULL;
	}
}

/* ---- the plan ------------------------------------------------------------- */

static void hs_job_release(struct hs_job *j)
{
	free(j->host);
	free(j->target);
	free(j->sni);
	free(j->check);
	json_decref(j->chain);
	buf_release(&j->pem);
}

static void curl_job_release(struct curl_job *j)
{
	free(j->host);
	curl_slist_free_all(j->resolve);
	collect_transcript_release(&j->t);
}

static bool same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcasecmp(a, b) == 0);
}

static int plan_hs(struct probe_run *run, const char *host, const char *target, int port,
                   const char *sni, const char *check, bool primary)
{
	struct hs_job *j, *n;

	for (size_t i = 0; i < run->n_hs; i++)
		if (same(run->hs[i].sni, sni) && same(run->hs[i].target, target) &&
		    run->hs[i].port == port)
			return 0;
	if (run->n_hs >= PROBE_MAX_TARGETS)
		return -ERANGE;
	n = realloc(run->hs, (run->n_hs + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	run->hs = n;
	j = &run->hs[run->n_hs];
	memset(j, 0, sizeof(*j));
	j->port = port;
	j->primary = primary;
	j->host = host ? strdup(host) : NULL;
	j->target = strdup(target);
	j->sni = sni ? strdup(sni) : NULL;
	j->check = check ? strdup(check) : NULL;
	run->n_hs++;
	if ((host && !j->host) || !j->target || (sni && !j->sni) || (check && !j->check))
		return -ENOMEM;
	return 0;
}

static int plan_curl(struct probe_run *run, const char *host, int port, const struct strv *resolves)
{
	struct curl_job *j, *n;
	struct buf cmd = BUF_INIT;
	bool v6 = strchr(host, ':') != NULL;
	int r = -ENOMEM;

	for (size_t i = 0; i < run->n_cj; i++)
		if (same(run->cj[i].host, host) && run->cj[i].port == port)
			return 0;
	if (run->n_cj >= PROBE_MAX_TARGETS)
		return -ERANGE;
	n = realloc(run->cj, (run->n_cj + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	run->cj = n;
	j = &run->cj[run->n_cj++];
	memset(j, 0, sizeof(*j));
	j->port = port;
	j->host = strdup(host);
	if (!j->host)
		return -ENOMEM;
	snprintf(j->url, sizeof(j->url), "https://%s%s%s:%d/", v6 ? "[" : "", host, v6 ? "]" : "",
	         port);

	/* the command a person would type for the same request */
	buf_init(&cmd, 0);
	if (buf_puts(&cmd, "$ curl -v") < 0)
		goto out;
	for (size_t i = 0; resolves && i < resolves->n; i++) {
		struct probe_target t;
		struct curl_slist *l;

		if (probe_parse_resolve(resolves->v[i], &t, NULL) < 0)
			continue;
		if (same(t.host, host) && t.port == port) {
			if (buf_printf(&cmd, " --resolve %s", resolves->v[i]) < 0) {
				probe_target_release(&t);
				goto out;
			}
		}
		probe_target_release(&t);
		/* all of them, as curl would be given */
		l = curl_slist_append(j->resolve, resolves->v[i]);
		if (!l)
			goto out;
		j->resolve = l;
	}
	if (run->o->cacert && buf_printf(&cmd, " --cacert %s", run->o->cacert) < 0)
		goto out;
	if (buf_printf(&cmd, " %s", j->url) < 0)
		goto out;
	r = collect_transcript_init(&j->t, cmd.data);
out:
	buf_release(&cmd);
	return r;
}

/* Build the list of handshakes and requests (see sources.h). */
static int probe_plan(struct probe_run *run, struct error *err)
{
	const struct probe_options *o = run->o;
	struct probe_target *hosts = NULL, *res = NULL;
	size_t n_hosts = 0, n_res = 0, cap_hosts;
	int r = 0;

	n_res = o->resolves ? o->resolves->n : 0;
	cap_hosts = (o->hosts ? o->hosts->n : 0) + n_res;
	res = calloc(n_res + 1, sizeof(*res));
	hosts = calloc(cap_hosts + 1, sizeof(*hosts));
	if (!res || !hosts) {
		r = error_set(err, -ENOMEM, NULL, 0, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n_res; i++) {
		r = probe_parse_resolve(o->resolves->v[i], &res[i], err);
		if (r < 0)
			goto out;
	}
	for (size_t i = 0; o->hosts && i < o->hosts->n; i++) {
		r = probe_parse_host(o->hosts->v[i], &hosts[n_hosts], err);
		if (r < 0)
			goto out;
		n_hosts++;
	}
	/* a --resolve name is a host to probe too */
	for (size_t i = 0; i < n_res; i++) {
		bool have = false;

		for (size_t k = 0; k < n_hosts; k++)
			have |= same(hosts[k].host, res[i].host) && hosts[k].port == res[i].port;
		if (have)
			continue;
		hosts[n_hosts].host = strdup(res[i].host);
		hosts[n_hosts].port = res[i].port;
		if (!hosts[n_hosts++].host) {
			r = error_set(err, -ENOMEM, NULL, 0, "out of memory");
			goto out;
		}
	}

	/* 1. each host with SNI, at its --resolve address or its DNS address */
	for (size_t i = 0; i < n_hosts; i++) {
		const struct probe_target *h = &hosts[i];
		const char *target = h->address;

		for (size_t k = 0; !target && k < n_res; k++)
			if (same(res[k].host, h->host) && res[k].port == h->port)
				target = res[k].address;
		if (!target)
			target = h->host;
		r = plan_hs(run, h->host ? h->host : h->address, target, h->port, h->host,
		            h->host ? h->host : h->address, true);
		if (r < 0)
			goto fail;
	}
	/* 2. each ingress address without SNI, and with the host names' SNI */
	for (size_t i = 0; i < n_res; i++) {
		r = plan_hs(run, res[i].host, res[i].address, res[i].port, NULL, NULL, false);
		if (r < 0)
			goto fail;
	}
	for (size_t i = 0; o->ingress && i < o->ingress->n; i++) {
		struct probe_target in;

		r = probe_parse_ingress(o->ingress->v[i], &in, err);
		if (r < 0)
			goto out;
		r = plan_hs(run, NULL, in.address, in.port, NULL, NULL, false);
		for (size_t k = 0; r >= 0 && k < n_hosts; k++)
			if (hosts[k].host)
				r = plan_hs(run, hosts[k].host, in.address, in.port, hosts[k].host,
				            hosts[k].host, false);
		probe_target_release(&in);
		if (r < 0)
			goto fail;
	}
	/* 3. one HTTPS request per host */
	for (size_t i = 0; i < n_hosts; i++) {
		r = plan_curl(run, hosts[i].host ? hosts[i].host : hosts[i].address, hosts[i].port,
		              o->resolves);
		if (r < 0)
			goto fail;
	}
	r = 0;
	goto out;
fail:
	if (r == -ERANGE)
		r = error_set(err, r, NULL, 0, "more than %d probes", PROBE_MAX_TARGETS);
	else
		r = error_set(err, -ENOMEM, NULL, 0, "out of memory");
out:
	for (size_t i = 0; hosts && i < cap_hosts; i++)
		probe_target_release(&hosts[i]);
	for (size_t i = 0; res && i < n_res; i++)
		probe_target_release(&res[i]);
	free(hosts);
	free(res);
	return r;
}

/* ---- results -------------------------------------------------------------- */

static json_t *json_str_or_null(const char *s)
{
	return s && *s ? json_string(s) : json_null();
}

static json_t *hs_to_json(const struct hs_job *j, const char *pem_member)
{
	json_t *o = json_object(), *v;

	if (!o)
		return NULL;
	json_object_set_new(o, "host", json_str_or_null(j->host));
	json_object_set_new(o, "address", json_str_or_null(j->address));
	json_object_set_new(o, "port", json_integer(j->port));
	json_object_set_new(o, "sni", json_str_or_null(j->sni));
	json_object_set_new(o, "time", json_string(j->time));
	json_object_set_new(o, "outcome", json_string(probe_outcome_name(j->oc)));
	json_object_set_new(o, "alert", json_str_or_null(j->alert));
	json_object_set_new(o, "error",
	                    j->oc == PROBE_OK ? json_null() : json_str_or_null(j->error));
	json_object_set_new(o, "protocol", json_str_or_null(j->protocol));
	json_object_set_new(o, "cipher", json_str_or_null(j->cipher));
	json_object_set_new(o, "alpn", json_str_or_null(j->alpn));
	json_object_set_new(o, "chain", j->chain ? json_incref(j->chain) : json_array());
	if (j->verified) {
		v = json_pack("{s:b,s:I,s:s}", "ok", j->verify_code == X509_V_OK, "code",
		              (json_int_t)j->verify_code, "error",
		              j->verify_code == X509_V_OK ? "ok" : j->verify_error);
		if (v) {
			json_object_set_new(v, "host_match",
			                    j->host_match < 0 ? json_null()
			                                      : json_boolean(j->host_match));
			if (j->verify_code == X509_V_OK)
				json_object_set_new(v, "error", json_null());
		}
		json_object_set_new(o, "verify", v ? v : json_null());
	} else {
		json_object_set_new(o, "verify", json_null());
	}
	json_object_set_new(o, "duration_ms", json_integer(j->duration_ms));
	json_object_set_new(o, "pem", json_str_or_null(pem_member));
	return o;
}

static char *member_name(struct strv *used, const char *dir, const char *stem, const char *ext)
{
	char path[400];

	for (int i = 1; i < 1000; i++) {
		if (i == 1)
			snprintf(path, sizeof(path), "%s/%s%s", dir, stem, ext);
		else
			snprintf(path, sizeof(path), "%s/%s-%d%s", dir, stem, i, ext);
		if (!strv_contains(used, path)) {
			if (strv_push(used, path) < 0)
				return NULL;
			return strdup(path);
		}
	}
	return NULL;
}

static char *hs_pem_member(struct strv *used, const struct hs_job *j)
{
	_cleanup_free_ char *a = NULL, *b = NULL;
	char stem[300];

	if (j->primary) {
		a = collect_safe_name(j->host);
		if (!a)
			return NULL;
		if (j->port == PROBE_DEFAULT_PORT)
			snprintf(stem, sizeof(stem), "%s", a);
		else
			snprintf(stem, sizeof(stem), "%s_%d", a, j->port);
	} else {
		a = collect_safe_name(j->sni ? j->sni : "nosni");
		b = collect_safe_name(j->address[0] ? j->address : j->target);
		if (!a || !b)
			return NULL;
		snprintf(stem, sizeof(stem), "%s@%s_%d", a, b, j->port);
	}
	return member_name(used, "probes/certs", stem, ".pem");
}

static void hs_source_name(const struct hs_job *j, char *out, size_t size)
{
	const char *where = j->address[0] ? j->address : j->target;
	bool v6 = strchr(where, ':') != NULL;

	if (j->primary)
		snprintf(out, size, "probe %s%s%s:%d (SNI)", v6 ? "[" : "", j->host, v6 ? "]" : "",
		         j->port);
	else if (!j->sni)
		snprintf(out, size, "probe %s%s%s:%d (no SNI)", v6 ? "[" : "", where, v6 ? "]" : "",
		         j->port);
	else
		snprintf(out, size, "probe %s%s%s:%d (SNI %s)", v6 ? "[" : "", where, v6 ? "]" : "",
		         j->port, j->sni);
}

/* Source outcome of a handshake: reaching the server is a collected fact. */
static enum outcome hs_outcome(const struct hs_job *j, char *reason, size_t size)
{
	reason[0] = '\0';
	switch (j->oc) {
	case PROBE_OK:
		if (j->verified && j->verify_code != X509_V_OK)
			snprintf(reason, size, "certificate verification: %s", j->verify_error);
		return OUTCOME_OK;
	case PROBE_RESET:
	case PROBE_EOF:
		snprintf(reason, size, "%s: %s", probe_outcome_name(j->oc), j->error);
		return OUTCOME_OK;
	case PROBE_ALERT:
		snprintf(reason, size, "alert: %s", j->alert);
		return OUTCOME_OK;
	case PROBE_TIMEOUT:
		snprintf(reason, size, "timeout: %s", j->error);
		return OUTCOME_TIMEOUT;
	case PROBE_ERROR:
		snprintf(reason, size, "error: %s", j->error);
		return j->connected ? OUTCOME_OK : OUTCOME_FAILED;
	case PROBE_REFUSED:
	case PROBE_DNS:
	default:
		snprintf(reason, size, "%s: %s", probe_outcome_name(j->oc), j->error);
		return OUTCOME_FAILED;
	}
}

static enum outcome cj_outcome(const struct curl_job *j, char *reason, size_t size)
{
	reason[0] = '\0';
	if (j->code == CURLE_OK)
		return OUTCOME_OK;
	snprintf(reason, size, "curl: (%d) %s", j->code,
	         j->errbuf[0] ? j->errbuf : curl_easy_strerror((CURLcode)j->code));
	switch (j->code) {
	case CURLE_OPERATION_TIMEDOUT:
		return OUTCOME_TIMEOUT;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_CONNECT:
	case CURLE_FAILED_INIT:
	case CURLE_OUT_OF_MEMORY:
		return OUTCOME_FAILED;
	default:
		/* the server answered in some way: the transcript holds the fact */
		return OUTCOME_OK;
	}
}

static int probe_emit(struct probe_run *run, struct sink *s, long long total_ms, struct error *err)
{
	_cleanup_(json_decrefp) json_t *doc = NULL;
	json_t *arr;
	struct strv used = STRV_INIT;
	char **pem_names = NULL;
	char *text = NULL;
	char name[512], reason[600];
	int r = 0;

	pem_names = calloc(run->n_hs + 1, sizeof(*pem_names));
	doc = json_pack("{s:s,s:[]}", "kind", "apigee-bundle/probes/v1", "probes");
	if (!pem_names || !doc)
		goto oom;
	arr = json_object_get(doc, "probes");
	for (size_t i = 0; i < run->n_hs; i++) {
		struct hs_job *j = &run->hs[i];
		json_t *o;

		if (j->pem.len > 0 && !(pem_names[i] = hs_pem_member(&used, j)))
			goto oom;
		o = hs_to_json(j, pem_names[i]);
		if (!o || json_array_append_new(arr, o) < 0)
			goto oom;
	}

	/* 1. the facts document */
	text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if (!text)
		goto oom;
	{
		struct member_out m = {
			.path = "probes/probes.json",
			.data = text,
			.len = strlen(text),
			.source = MEMBER_SRC_COLLECTOR,
			.outcome = OUTCOME_OK,
			.exit_status = -1,
			.duration_ms = total_ms,
		};

		r = sink_emit(s, &m);
		if (r < 0) {
			r = error_set(err, r, m.path, 0, "cannot store '%s'", m.path);
			goto out;
		}
	}
	/* 2. served chains and one source line per handshake */
	for (size_t i = 0; i < run->n_hs; i++) {
		struct hs_job *j = &run->hs[i];
		enum outcome oc;

		sink_add_wait(s, j->duration_ms);
		if (pem_names[i]) {
			char target[300];
			struct member_out m = {
				.path = pem_names[i],
				.data = j->pem.data,
				.len = j->pem.len,
				.source = MEMBER_SRC_PROBE,
				.target = target,
				.outcome = OUTCOME_OK,
				.exit_status = -1,
				.duration_ms = j->duration_ms,
			};

			snprintf(target, sizeof(target), "%s%s%s:%d",
			         strchr(j->address, ':') ? "[" : "", j->address,
			         strchr(j->address, ':') ? "]" : "", j->port);
			r = sink_emit(s, &m);
			if (r < 0) {
				r = error_set(err, r, m.path, 0, "cannot store '%s'", m.path);
				goto out;
			}
		}
		hs_source_name(j, name, sizeof(name));
		oc = hs_outcome(j, reason, sizeof(reason));
		sink_source(s, name, oc, reason[0] ? reason : NULL);
	}
	/* 3. the transcripts */
	for (size_t i = 0; i < run->n_cj; i++) {
		struct curl_job *j = &run->cj[i];
		_cleanup_free_ char *safe = collect_safe_name(j->host), *path = NULL;
		char stem[300];
		enum outcome oc;

		if (!safe)
			goto oom;
		if (j->port == PROBE_DEFAULT_PORT)
			snprintf(stem, sizeof(stem), "%s", safe);
		else
			snprintf(stem, sizeof(stem), "%s_%d", safe, j->port);
		path = member_name(&used, "probes/curl", stem, ".txt");
		if (!path)
			goto oom;
		oc = cj_outcome(j, reason, sizeof(reason));
		sink_add_wait(s, j->duration_ms);
		{
			struct member_out m = {
				.path = path,
				.data = j->t.text.data,
				.len = j->t.text.len,
				.source = MEMBER_SRC_PROBE,
				.target = j->url,
				.outcome = oc,
				.exit_status = j->code,
				.http_status = (int)j->status,
				.duration_ms = j->duration_ms,
				.error = reason[0] ? reason : NULL,
			};

			r = sink_emit(s, &m);
			if (r < 0) {
				r = error_set(err, r, m.path, 0, "cannot store '%s'", m.path);
				goto out;
			}
		}
		snprintf(name, sizeof(name), "probe %s (curl)", j->url);
		sink_source(s, name, oc, reason[0] ? reason : NULL);
	}
	r = 0;
	goto out;
oom:
	r = error_set(err, -ENOMEM, NULL, 0, "out of memory");
out:
	for (size_t i = 0; pem_names && i < run->n_hs; i++)
		free(pem_names[i]);
	free(pem_names);
	free(text);
	strv_release(&used);
	return r;
}

/* ---- the source ----------------------------------------------------------- */

static int probe_ctx(struct probe_run *run, struct error *err)
{
	static const unsigned char alpn[] = "\x02h2\x08http/1.1";

	run->ctx = SSL_CTX_new(TLS_client_method());
	if (!run->ctx)
		return error_set(err, -ENOMEM, NULL, 0, "cannot create a TLS context");
	/* see the chain whatever it is; the verification result is read afterwards */
	SSL_CTX_set_verify(run->ctx, SSL_VERIFY_NONE, NULL);
	if (SSL_CTX_set_default_verify_paths(run->ctx) != 1)
		ERR_clear_error();
	if (run->o->cacert && *run->o->cacert &&
	    SSL_CTX_load_verify_locations(run->ctx, run->o->cacert, NULL) != 1) {
		ERR_clear_error();
		return error_set(err, -EINVAL, run->o->cacert, 0, "cannot load CA file '%s'",
		                 run->o->cacert);
	}
	if (SSL_CTX_set_alpn_protos(run->ctx, alpn, sizeof(alpn) - 1) != 0)
		return error_set(err, -ENOMEM, NULL, 0, "cannot set ALPN");
	return 0;
}

int collect_probes(const struct probe_options *o, struct sink *s, struct error *err)
{
	struct probe_run run = { .o = o };
	pthread_t threads[PROBE_MAX_THREADS];
	size_t n_threads = 0, n_jobs;
	sigset_t pipe_set, old_set;
	long long t0;
	int r;

	if (!o)
		return error_set(err, -EINVAL, NULL, 0, "no probe options");
	run.timeout_ms = (o->timeout_s > 0 ? o->timeout_s : PROBE_DEFAULT_TIMEOUT_S) * 1000L;
	if (pthread_mutex_init(&run.lock, NULL) != 0)
		return error_set(err, -ENOMEM, NULL, 0, "cannot create a mutex");

	r = probe_plan(&run, err);
	if (r < 0)
		goto out;
	if (run.n_hs == 0 && run.n_cj == 0) {
		sink_source(s, "probes", OUTCOME_SKIPPED,
		            "no host names or ingress addresses to probe");
		goto out;
	}
	r = probe_ctx(&run, err);
	if (r < 0)
		goto out;

	/* A reset peer must not kill the process with SIGPIPE: block it here, the
	 * workers inherit the mask, and a pending one is dropped below. */
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old_set);
	t0 = collect_now_ms();
	n_jobs = run.n_hs + run.n_cj;
	while (n_threads < PROBE_MAX_THREADS && n_threads < n_jobs &&
	       pthread_create(&threads[n_threads], NULL, probe_worker, &run) == 0)
		n_threads++;
	probe_worker(&run); /* the calling thread works too */
	for (size_t i = 0; i < n_threads; i++)
		pthread_join(threads[i], NULL);
	{
		struct timespec zero = { 0, 0 };
		sigset_t pending;

		sigpending(&pending);
		if (sigismember(&pending, SIGPIPE) && !sigismember(&old_set, SIGPIPE))
			(void)sigtimedwait(&pipe_set, NULL, &zero);
	}
	pthread_sigmask(SIG_SETMASK, &old_set, NULL);

	r = probe_emit(&run, s, collect_now_ms() - t0, err);
out:
	for (size_t i = 0; i < run.n_hs; i++)
		hs_job_release(&run.hs[i]);
	for (size_t i = 0; i < run.n_cj; i++)
		curl_job_release(&run.cj[i]);
	free(run.hs);
	free(run.cj);
	SSL_CTX_free(run.ctx);
	pthread_mutex_destroy(&run.lock);
	return r;
}
