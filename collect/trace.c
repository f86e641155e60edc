/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers shared by the network sources: the `curl -v` style transcript that the
 * HTTPS probe stores (rendered from CURLOPT_DEBUGFUNCTION the way curl's
 * tool_cb_dbg.c renders --verbose), the extra CA file on a libcurl handle, a
 * monotonic clock, secret scrubbing and member-path-safe names. */
#include "sources.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "cleanup.h"
#include "text.h"

#include "banned.h"

#define TRANSCRIPT_MAX (1024u * 1024)
#define TRANSCRIPT_BODY_MAX (16u * 1024)

long long collect_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int collect_scrub(struct buf *b, const char *secret)
{
	struct buf out = BUF_INIT;
	size_t n, i = 0;
	const char *hit;

	if (!secret || (n = strlen(secret)) < 4 || !b->data || b->len < n)
		return 0;
	if (!text_find(b->data, b->len, secret))
		return 0;
	buf_init(&out, 0);
	while (i < b->len && (hit = text_find(b->data + i, b->len - i, secret))) {
		if (buf_append(&out, b->data + i, (size_t)(hit - (b->data + i))) < 0 ||
		    buf_puts(&out, "<redacted>") < 0)
			goto oom;
		i = (size_t)(hit - b->data) + n;
	}
	if (buf_append(&out, b->data + i, b->len - i) < 0)
		goto oom;
	/* never leave the secret in freed memory */
	OPENSSL_cleanse(b->data, b->len);
	buf_release(b);
	*b = out;
	return 0;
oom:
	buf_release(&out);
	/* cannot rebuild: blank the occurrences in place instead */
	while ((hit = text_find(b->data, b->len, secret)))
		memset((char *)hit, '*', n);
	return -ENOMEM;
}

char *collect_safe_name(const char *name)
{
	char out[101];
	size_t i, n = 0;

	for (i = 0; name && name[i] && n < sizeof(out) - 1; i++) {
		char c = name[i];

		out[n++] = ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		            (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_')
		                   ? c
		                   : '_';
	}
	out[n] = '\0';
	if (n == 0 || strcmp(out, ".") == 0 || strcmp(out, "..") == 0)
		return strdup("_");
	return strdup(out);
}

/* ---- the extra CA file ---------------------------------------------------- */

static CURLcode cacert_ssl_ctx(CURL *h, void *sslctx, void *userp)
{
	X509_STORE *st = SSL_CTX_get_cert_store(sslctx);
	int ok;

	(void)h;
	if (!st)
		return CURLE_SSL_CACERT_BADFILE;
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
	ok = X509_STORE_load_file(st, userp);
#else
	ok = X509_STORE_load_locations(st, userp, NULL);
#endif
	ERR_clear_error();
	return ok == 1 ? CURLE_OK : CURLE_SSL_CACERT_BADFILE;
}

int collect_curl_cacert(void *curl, const char *cacert)
{
	const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);

	if (!cacert || !*cacert)
		return 0;
	/* fail now on an unusable file rather than on every request */
	{
		X509_STORE *st = X509_STORE_new();
		int ok;

		if (!st)
			return -ENOMEM;
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
		ok = X509_STORE_load_file(st, cacert);
#else
		ok = X509_STORE_load_locations(st, cacert, NULL);
#endif
		X509_STORE_free(st);
		ERR_clear_error();
		if (ok != 1)
			return -EINVAL;
	}
	/* Keep the system store and add the file: possible only where curl's TLS
	 * backend is the OpenSSL we link. Elsewhere CURLOPT_CAINFO replaces it. */
	if (v && v->ssl_version && strncmp(v->ssl_version, "OpenSSL/", 8) == 0 &&
	    curl_easy_setopt(curl, CURLOPT_SSL_CTX_FUNCTION, cacert_ssl_ctx) == CURLE_OK &&
	    curl_easy_setopt(curl, CURLOPT_SSL_CTX_DATA, (void *)cacert) == CURLE_OK)
		return 0;
	return curl_easy_setopt(curl, CURLOPT_CAINFO, cacert) == CURLE_OK ? 0 : -EINVAL;
}

/* ---- the transcript ------------------------------------------------------- */

static void t_append(struct curl_transcript *t, const char *data, size_t len)
{
	size_t room;

	if (t->text.len >= TRANSCRIPT_MAX)
		return;
	room = TRANSCRIPT_MAX - t->text.len;
	(void)buf_append(&t->text, data, len < room ? len : room);
}

static void t_puts(struct curl_transcript *t, const char *s)
{
	t_append(t, s, strlen(s));
}

static void t_newline(struct curl_transcript *t)
{
	if (!t->at_line_start)
		t_puts(t, "\n");
	t->at_line_start = true;
}

int collect_transcript_init(struct curl_transcript *t, const char *command_line)
{
	memset(t, 0, sizeof(*t));
	buf_init(&t->text, 0);
	t->at_line_start = true;
	if (buf_puts(&t->text, command_line) < 0 || buf_putc(&t->text, '\n') < 0)
		return -ENOMEM;
	return 0;
}

void collect_transcript_release(struct curl_transcript *t)
{
	buf_release(&t->text);
}

static bool credential_header(const char *line, size_t len)
{
	static const char *const names[] = {
		"authorization:", "proxy-authorization:", "cookie:",
		"set-cookie:",    "x-api-key:",           "set-cookie2:",
	};

	for (size_t i = 0; i < ELEMENTSOF(names); i++) {
		size_t n = strlen(names[i]);

		if (len >= n && strncasecmp(line, names[i], n) == 0)
			return true;
	}
	return false;
}

/* One header block or line: "> "/"< " before each line, \r dropped, credential
 * headers left out. */
static void t_headers(struct curl_transcript *t, const char *prefix, const char *data, size_t size)
{
	size_t i = 0;

	t_newline(t);
	while (i < size) {
		const char *nl = memchr(data + i, '\n', size - i);
		size_t end = nl ? (size_t)(nl - data) : size, len = end - i;

		if (len && data[i + len - 1] == '\r')
			len--;
		if (!credential_header(data + i, len)) {
			t_puts(t, prefix);
			t_append(t, data + i, len);
			t_puts(t, "\n");
		}
		i = end + 1;
	}
}

static void t_text(struct curl_transcript *t, const char *data, size_t size)
{
	size_t i = 0;

	while (i < size) {
		const char *nl = memchr(data + i, '\n', size - i);
		size_t end = nl ? (size_t)(nl - data) + 1 : size;

		if (t->at_line_start)
			t_puts(t, "* ");
		t_append(t, data + i, end - i);
		t->at_line_start = nl != NULL;
		i = end;
	}
}

static int debug_cb(CURL *h, curl_infotype type, char *data, size_t size, void *userp)
{
	struct curl_transcript *t = userp;
	char line[64];

	(void)h;
	switch (type) {
	case CURLINFO_TEXT:
		t->in_data = false;
		t_text(t, data, size);
		break;
	case CURLINFO_HEADER_OUT:
		t->in_data = false;
		t_headers(t, "> ", data, size);
		break;
	case CURLINFO_HEADER_IN:
		t->in_data = false;
		t_headers(t, "< ", data, size);
		break;
	case CURLINFO_DATA_IN:
	case CURLINFO_SSL_DATA_IN:
	case CURLINFO_DATA_OUT:
	case CURLINFO_SSL_DATA_OUT:
		/* curl -v writing to a file shows one "{ [N bytes data]" per burst */
		if (t->in_data)
			break;
		t->in_data = true;
		t_newline(t);
		snprintf(line, sizeof(line), "%c [%zu bytes data]\n",
		         type == CURLINFO_DATA_IN || type == CURLINFO_SSL_DATA_IN ? '{' : '}',
		         size);
		t_puts(t, line);
		break;
	default:
		break;
	}
	return 0;
}

static size_t body_cb(char *data, size_t size, size_t nmemb, void *userp)
{
	struct curl_transcript *t = userp;
	size_t n = size * nmemb, keep;

	/* curl -v 2>&1 shows the body after the headers */
	if (t->body_shown < TRANSCRIPT_BODY_MAX) {
		keep = TRANSCRIPT_BODY_MAX - t->body_shown;
		if (keep > n)
			keep = n;
		if (t->body_shown == 0)
			t_newline(t);
		t_append(t, data, keep);
		t->body_shown += keep;
		t->at_line_start = keep && data[keep - 1] == '\n';
	}
	return n;
}

int collect_transcript_attach(void *curl, struct curl_transcript *t)
{
	if (curl_easy_setopt(curl, CURLOPT_VERBOSE, 1L) != CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_DEBUGFUNCTION, debug_cb) != CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_DEBUGDATA, t) != CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, body_cb) != CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_WRITEDATA, t) != CURLE_OK)
		return -EINVAL;
	return 0;
}

int collect_transcript_finish(struct curl_transcript *t, int code, const char *errbuf)
{
	char line[CURL_ERROR_SIZE + 32];

	t_newline(t);
	if (code != CURLE_OK) {
		snprintf(line, sizeof(line), "curl: (%d) %s\n", code,
		         errbuf && *errbuf ? errbuf : curl_easy_strerror((CURLcode)code));
		t_puts(t, line);
	}
	return t->text.data ? 0 : -ENOMEM;
}
