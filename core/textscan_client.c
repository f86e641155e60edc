/* SPDX-License-Identifier: Apache-2.0 */
/* Client transcript scanners: curl -v transcripts and one-line curl errors
 * (OpenSSL 1.x/3.x, LibreSSL, Schannel, Secure Transport; old and 8.x verbose
 * styles; PHP "cURL error NN"), and openssl s_client outputs.
 *
 * A trace is built while lines arrive and stored when the next one starts or at
 * the end of the member. Every match is a substring test anywhere in the line,
 * so a whole transcript flattened onto one line (copied from a web page) is
 * understood as well as the real thing.
 *
 * Symptom bits: CURL_SYM_OK means the handshake completed ("SSL connection
 * using", "SSL_read") or an HTTP status arrived, and may be set together with a
 * failure bit (RESET + OK = reset after the handshake, e.g. exit 56). An
 * unexpected EOF counts as RESET. With -k, "SSL certificate verify result: X"
 * fills verify_error but sets no VERIFY bit (the client went on). A response
 * pasted without its request (a GFE error page, "HTTP/2 503 ... via: 1.1 google")
 * is a trace of its own. A command line alone (no output after it) is dropped. */
#include "textscan_client.h"

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bundle.h"
#include "cleanup.h"
#include "model.h"
#include "text.h"
#include "textscan_util.h"

#include "banned.h"

/* Unrecognised lines after which a transcript is considered over, so that an
 * unrelated log further down a terminal session is not read as part of it. */
#define CURL_MAX_IDLE 200
#define SCLIENT_MAX_IDLE 500
#define MSG_MAX 200

/* Strength of the line a locator points to: a stronger one replaces a weaker. */
enum where_level {
	WL_NONE = 0,
	WL_ANY,       /* the first recognised line */
	WL_HANDSHAKE, /* handshake completed */
	WL_STATUS,    /* HTTP status line (the last one wins) */
	WL_ERROR,     /* the first failure message */
	WL_EXIT,      /* curl: (NN) summary */
	WL_NOCERT,    /* s_client: no peer certificate available */
};

struct curl_state {
	bool active;
	bool closed;    /* connection closed: only the exit line may still attach */
	bool ended;     /* another command or a long unrelated stretch followed */
	bool request;   /* a command or verbose lines, not only a pasted response */
	bool response;  /* an HTTP status line arrived */
	bool handshake; /* the TLS handshake completed */
	bool lib_sure;  /* tls_library named explicitly, not guessed */
	bool server_error, try_again;
	bool ca_given;     /* --cacert / --capath on the command line */
	bool verify_ok;    /* "SSL certificate verify ok" */
	bool continued;    /* the command line ended with a continuation (\ ^ `) */
	bool dates_failed; /* GnuTLS "expiration date FAILED" / "activation date FAILED" */
	unsigned evidence; /* recognised lines besides the command */
	unsigned idle;
	enum where_level level;
	struct curl_trace t;
};

struct sclient_state {
	bool active;
	bool connected;
	bool finished;
	bool after_leaf;   /* the depth 0 "s:" line was the last one: "i:" is its issuer */
	bool servername;   /* -servername on the command line */
	bool command;      /* the s_client command line was seen */
	bool old_openssl;  /* OpenSSL before 1.1.1: no SNI unless -servername */
	size_t read_bytes; /* "SSL handshake has read N bytes" */
	bool in_hello;     /* reading the hex dump of a -msg ClientHello */
	unsigned char hello[2048];
	size_t hello_n;
	unsigned evidence;
	unsigned idle;
	enum where_level level;
	struct sclient_trace t;
};

/* A "<title>403 Forbidden</title>" line waiting for the Google front end's page
 * markers on the next lines (the page as received spans several lines). */
struct gfe_title {
	int status; /* 0 = none pending */
	unsigned lineno;
	unsigned age;
	size_t at;
	char line[256];
};

struct client_scan {
	struct bundle *b;
	const char *artifact;
	struct ts_kinds *kinds;
	struct curl_state curl;
	struct sclient_state sc;
	const struct text_pairs *tp; /* of the line being scanned (client_scan_line) */
	struct gfe_title gfe;
	struct sig_index *sx; /* curl_sigs by byte pairs (sig_candidates) */
	unsigned sig_lines;   /* lines asked for curl_sigs before sx was built */
};

/* ---- small matching helpers ----------------------------------------------- */

static const char *find(const char *s, size_t n, const char *needle)
{
	return text_find(s, n, needle);
}

static bool has(const char *s, size_t n, const char *needle)
{
	return text_find(s, n, needle) != NULL;
}

/* find() within the line of tp, without searching when it cannot be there */
static const char *pfind(const struct text_pairs *tp, const char *s, size_t n, const char *needle)
{
	return !tp || text_pairs_may_have(tp, needle) ? text_find(s, n, needle) : NULL;
}

static bool phas(const struct text_pairs *tp, const char *s, size_t n, const char *needle)
{
	return pfind(tp, s, n, needle) != NULL;
}

/* How seldom a byte is in log text (a guess, for the pair filter below). */
static unsigned byte_rarity(unsigned char c)
{
	if (c == ' ')
		return 0;
	switch (c | 0x20) {
	case 'e':
	case 't':
	case 'a':
	case 'o':
	case 'i':
	case 'n':
	case 's':
	case 'r':
	case 'h':
	case 'l':
		return 1;
	default:
		break;
	}
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ? 2 : 3;
}

/* Two of the needle's byte pairs (text_pair_hash), the rarest: a line whose pair
 * set lacks either cannot hold the needle, and two bit tests say so before
 * text_pairs_may_have walks all its pairs. NEEDLE_NO_KEY: shorter than a pair. */
#define NEEDLE_NO_KEY 0xffffu

static uint32_t needle_keys(const char *needle)
{
	const unsigned char *p = (const unsigned char *)needle;
	unsigned best[2] = { NEEDLE_NO_KEY, NEEDLE_NO_KEY }, score[2] = { 0, 0 };

	for (size_t i = 0; p[i] && p[i + 1]; i++) {
		unsigned sc = byte_rarity(p[i]) + byte_rarity(p[i + 1]) + 1;
		unsigned h = text_pair_hash(p[i], p[i + 1]);

		if (h == best[0] || h == best[1])
			continue;
		if (sc > score[0]) {
			best[1] = best[0];
			score[1] = score[0];
			best[0] = h;
			score[0] = sc;
		} else if (sc > score[1]) {
			best[1] = h;
			score[1] = sc;
		}
	}
	return best[0] | (uint32_t)best[1] << 16;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* needle followed by a non-digit (or the end): "errno 54" but not "errno 540" */
static const char *find_number_word(const char *s, size_t n, const char *needle)
{
	const char *p = s, *end = s + n;
	size_t nl = strlen(needle);

	while ((p = text_find(p, (size_t)(end - p), needle))) {
		if (p + nl >= end || !is_digit(p[nl]))
			return p;
		p += nl;
	}
	return NULL;
}

/* The end of a message that starts at p: the end of the line, or where a
 * flattened transcript, a "(see https://...)" hint or an annotation begins. */
static size_t msg_len(const char *p, const char *end)
{
	static const char *const stops[] = { " * ", " (see http", " More details here", "   [" };
	size_t n = (size_t)(end - p);

	for (size_t i = 0; i < ELEMENTSOF(stops); i++) {
		const char *q = text_find(p, n, stops[i]);

		if (q)
			n = (size_t)(q - p);
	}
	return n;
}

static int set_msg(char **dst, const char *p, const char *end)
{
	return ts_set_str_once(dst, p, msg_len(p, end), MSG_MAX);
}

static void free_curl_trace(struct curl_trace *t)
{
	free(t->tls_library);
	free(t->url);
	free(t->host);
	free(t->verify_error);
	free(t->connect_error);
	loc_release(&t->where);
	memset(t, 0, sizeof(*t));
	t->exit_code = -1;
}

static void free_sclient_trace(struct sclient_trace *t)
{
	free(t->target);
	free(t->alert);
	free(t->verify_text);
	free(t->leaf_subject);
	loc_release(&t->where);
	memset(t, 0, sizeof(*t));
	t->verify_code = -1;
}

/* Any kubectl / gcloud / apigeectl / helm command line ends open transcripts. */
static bool other_command(const char *s, size_t n, const struct text_pairs *tp)
{
	static const char *const cmds[] = { "kubectl ", "gcloud ", "apigeectl ", "helm " };

	for (size_t i = 0; i < ELEMENTSOF(cmds); i++)
		if (phas(tp, s, n, cmds[i]))
			return true;
	return false;
}

/* ---- curl: the command line ----------------------------------------------- */

/* "`curl -v` transcripts": a command quoted in a sentence (Markdown backticks
 * with prose after the closing one) is a mention, not a command that ran. */
static bool quoted_in_prose(const char *p, const char *q, const char *end)
{
	const char *close;

	if (p[-1] != '`')
		return false;
	close = memchr(q, '`', (size_t)(end - q));
	return close && ts_trim(close + 1, (size_t)(end - close - 1)).n > 0;
}

/* Find a `curl ...` command; *ret_args = offset just after "curl" / "curl.exe". */
static bool find_curl_command(const char *s, size_t n, const struct text_pairs *tp,
                              size_t *ret_args)
{
	static const char pre[] = " \t$>/`'\"(:;|&]";
	const char *end = s + n, *p = s;

	while ((p = pfind(tp, p, (size_t)(end - p), "curl"))) {
		const char *q = p + 4;
		bool pre_ok = p == s || (p[-1] && memchr(pre, p[-1], sizeof(pre) - 1));
		const char *cur;
		struct ts_tok t;

		if ((size_t)(end - q) >= 4 && memcmp(q, ".exe", 4) == 0)
			q += 4;
		if (!pre_ok || q >= end || (*q != ' ' && *q != '\t') ||
		    (p > s && quoted_in_prose(p, q, end))) {
			p += 4;
			continue;
		}
		/* a command has an option or a URL after the name; prose does not */
		cur = q;
		if (ts_next_token(&cur, end, &t) &&
		    (t.p[0] == '-' || has(t.p, t.n, "://") || has(q, (size_t)(end - q), "://"))) {
			*ret_args = (size_t)(q - s);
			return true;
		}
		p += 4;
	}
	return false;
}

static bool short_opt_takes_arg(char c)
{
	return c && memchr("AbcCdDeEFHKmoPQrtTuUwxXyYz", c, 26) != NULL;
}

static bool long_opt_takes_arg(struct ts_tok w)
{
	static const char *const opts[] = {
		"--cacert",          "--capath",      "--cert",
		"--cert-type",       "--ciphers",     "--config",
		"--connect-timeout", "--connect-to",  "--cookie",
		"--cookie-jar",      "--data",        "--data-ascii",
		"--data-binary",     "--data-raw",    "--data-urlencode",
		"--dump-header",     "--form",        "--header",
		"--interface",       "--key",         "--key-type",
		"--limit-rate",      "--local-port",  "--max-redirs",
		"--max-time",        "--output",      "--pinnedpubkey",
		"--proxy",           "--proxy-user",  "--range",
		"--referer",         "--request",     "--resolve",
		"--retry",           "--retry-delay", "--retry-max-time",
		"--stderr",          "--tls-max",     "--trace",
		"--trace-ascii",     "--user",        "--user-agent",
		"--write-out",
	};

	for (size_t i = 0; i < ELEMENTSOF(opts); i++)
		if (ts_tok_eq(w, opts[i]))
			return true;
	return false;
}

/* The host part of a URL (or of a bare host[:port][/path]). */
static struct ts_tok url_host(struct ts_tok u)
{
	const char *p = u.p, *end = u.p + u.n, *a_end, *q;
	const char *sch = text_find(u.p, u.n, "://");
	struct ts_tok h;

	if (sch)
		p = sch + 3;
	for (a_end = p; a_end < end && *a_end != '/' && *a_end != '?' && *a_end != '#'; a_end++)
		;
	for (q = a_end; q > p; q--)
		if (q[-1] == '@') {
			p = q;
			break;
		}
	if (p < a_end && *p == '[') {
		const char *rb = memchr(p, ']', (size_t)(a_end - p));

		if (rb) {
			h.p = p + 1;
			h.n = (size_t)(rb - p - 1);
			return h;
		}
	}
	q = memchr(p, ':', (size_t)(a_end - p));
	h.p = p;
	h.n = (size_t)((q ? q : a_end) - p);
	return h;
}

static bool tok_is_ip(struct ts_tok t)
{
	char tmp[64];

	if (t.n == 0 || t.n >= sizeof(tmp) || memchr(t.p, '\0', t.n))
		return false;
	memcpy(tmp, t.p, t.n);
	tmp[t.n] = '\0';
	return text_is_ip_literal(tmp);
}

/* A word that names a host without a scheme: "example.com/x", "10.0.0.1:443". */
static bool bare_target(struct ts_tok u)
{
	struct ts_tok h = url_host(u);

	if (tok_is_ip(h) || ts_tok_eq(h, "localhost"))
		return true;
	return memchr(h.p, '.', h.n) && ts_is_name_like(h.p, h.n) && h.p[h.n - 1] != '.';
}

static int curl_parse_command(struct curl_state *c, const char *s, const char *end)
{
	const char *cur = s;
	struct ts_tok w, url = { NULL, 0 }, bare = { NULL, 0 };
	bool skip_next = false, next_is_url = false;
	int words = 0, r;

	while (words++ < 512 && ts_next_word(&cur, end, &w)) {
		struct ts_tok u;

		/* the command ends where a flattened transcript or a pipe begins */
		if (ts_tok_eq(w, "*") || ts_tok_eq(w, "<") || ts_tok_eq(w, ">") ||
		    ts_tok_eq(w, "|") || ts_tok_eq(w, ";") || ts_tok_eq(w, "&&") ||
		    ts_tok_eq(w, "||"))
			break;
		if (next_is_url) {
			url = ts_unquote(w);
			next_is_url = false;
			continue;
		}
		if (skip_next) {
			skip_next = false;
			continue;
		}
		if (w.n > 1 && w.p[0] == '-') {
			if (w.p[1] == '-') {
				if (ts_tok_starts(w, "--cacert") || ts_tok_starts(w, "--capath"))
					c->ca_given = true;
				if (ts_tok_eq(w, "--insecure"))
					c->t.insecure = true;
				else if (ts_tok_eq(w, "--url"))
					next_is_url = true;
				else if (!memchr(w.p, '=', w.n) && long_opt_takes_arg(w))
					skip_next = true;
				continue;
			}
			for (size_t i = 1; i < w.n; i++) {
				if (w.p[i] == 'k')
					c->t.insecure = true;
				if (short_opt_takes_arg(w.p[i])) {
					/* the rest of the cluster is the argument, else the next word */
					skip_next = i + 1 == w.n;
					break;
				}
			}
			continue;
		}
		u = ts_unquote(w);
		if (!u.n)
			continue;
		if (!url.p && has(u.p, u.n, "://"))
			url = u;
		else if (!bare.p && bare_target(u))
			bare = u; /* "curl -v example.com" */
	}
	if (!url.p)
		url = bare;
	if (!url.p)
		return 0;
	r = ts_set_str(&c->t.url, url.p, url.n, TS_MAX_STR);
	if (r < 0)
		return r;
	{
		struct ts_tok h = url_host(url);

		if (h.n && ts_is_name_like(h.p, h.n)) {
			r = ts_set_str(&c->t.host, h.p, h.n, 255);
			if (r < 0)
				return r;
		} else if (h.n && tok_is_ip(h)) {
			r = ts_set_str(&c->t.host, h.p, h.n, 255);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

/* ---- curl: exit lines and start signals ----------------------------------- */

/* Text that reads like one of curl's error messages (for "(NN) text" lines,
 * which prose numbering could imitate). */
static bool curl_message(const char *s, size_t n)
{
	static const char *const words[] = {
		"Failed to",    "Could not",    "Couldn't",  "SSL",         "schannel",
		"Recv failure", "Send failure", "timed out", "Connection",  "error:",
		"Empty reply",  "OpenSSL",      "LibreSSL",  "Timeout was", "gnutls_",
	};

	for (size_t i = 0; i < ELEMENTSOF(words); i++)
		if (has(s, n, words[i]))
			return true;
	return false;
}

/* "curl: (NN) ...", "cURL error NN: ...", "(NN) Failed ..." at the line start. */
static bool find_exit(const char *s, size_t n, const struct text_pairs *tp, int *ret_code,
                      size_t *ret_at)
{
	const char *end = s + n, *p;
	uint64_t v;
	size_t used;

	p = pfind(tp, s, n, "curl: (");
	if (p && ts_parse_uint(p + 7, (size_t)(end - p - 7), 999, &v, &used) &&
	    p + 7 + used < end && p[7 + used] == ')') {
		*ret_code = (int)v;
		*ret_at = (size_t)(p - s);
		return true;
	}
	/* a terminal copy that clipped the first letter: "url: (7) Failed ..." */
	if (text_starts_with(s, n, "url: (") && ts_parse_uint(s + 6, n - 6, 999, &v, &used) &&
	    6 + used < n && s[6 + used] == ')' && curl_message(s + 7 + used, n - 7 - used)) {
		*ret_code = (int)v;
		*ret_at = 0;
		return true;
	}
	p = pfind(tp, s, n, "cURL error ");
	if (p && ts_parse_uint(p + 11, (size_t)(end - p - 11), 999, &v, &used)) {
		*ret_code = (int)v;
		*ret_at = (size_t)(p - s);
		return true;
	}
	if (n > 4 && s[0] == '(' && ts_parse_uint(s + 1, n - 1, 99, &v, &used) &&
	    1 + used + 1 < n && s[1 + used] == ')' && s[2 + used] == ' ' && v > 0 &&
	    curl_message(s + 3 + used, n - 3 - used)) {
		*ret_code = (int)v;
		*ret_at = 0;
		return true;
	}
	return false;
}

/* A verbose line ("* ..."), returning the text after the marker. */
static bool verbose_rest(const char *s, size_t n, struct ts_tok *ret)
{
	if (n < 2 || s[0] != '*' || (s[1] != ' ' && s[1] != '\t'))
		return false;
	*ret = ts_trim(s + 1, n - 1);
	return true;
}

/* "HTTP/1.1 502 Bad Gateway" at p: the status, or 0. */
static int http_status_at(const char *p, const char *end)
{
	const char *q = p + 5;
	uint64_t v;
	size_t used;

	while (q < end && (is_digit(*q) || *q == '.'))
		q++;
	if (q == p + 5 || q >= end || *q != ' ')
		return 0;
	q++;
	if (!ts_parse_uint(q, (size_t)(end - q), 999, &v, &used) || used != 3)
		return 0;
	if (q + 3 < end && q[3] != ' ' && q[3] != '\t' && q[3] != '\r')
		return 0;
	return v >= 100 ? (int)v : 0;
}

/* "502 Server Error" at p: 502, else 0. */
static int http_status_at_code(const char *p, const char *end)
{
	uint64_t v;
	size_t used;

	if (!ts_parse_uint(p, (size_t)(end - p), 999, &v, &used) || used != 3 || v < 100)
		return 0;
	return text_starts_with(p + 3, (size_t)(end - p - 3), " Server Error") ? (int)v : 0;
}

/* The Google front end's error page title, "<title>Error 502 (Server Error)!!1</title>"
 * (also 503, 403, 404): the status, else 0. A page saved by a plain `curl URL`
 * (no -v) has no status line, only this. */
static int google_title_status(const char *s, size_t n)
{
	const char *p = text_find(s, n, "<title>Error "), *end = s + n;
	uint64_t v;
	size_t used;

	if (!p || !text_find(p, (size_t)(end - p), "!!1"))
		return 0;
	p += 13;
	if (!ts_parse_uint(p, (size_t)(end - p), 999, &v, &used) || used != 3 || v < 100)
		return 0;
	return (int)v;
}

static bool via_google(const char *s, size_t n)
{
	return has(s, n, "oogle") && text_find_ci(s, n, "via: 1.1 google");
}

static bool gfe_page(const char *s, size_t n)
{
	return has(s, n, "Server Error") && has(s, n, "30 seconds") &&
	       text_find_ci(s, n, "try again in 30 seconds");
}

/* A bare status line ("HTTP/1.1 503 Service Unavailable", curl -i), or one in
 * the middle of response headers flattened onto a line of prose next to
 * "via: 1.1 google". */
static const char *status_line(const char *s, size_t n)
{
	const char *end = s + n, *p = s;

	/* Go's log prefix of a client's HTTP dump (crane --verbose, ...):
	 * "2023/03/14 08:29:22 HTTP/2.0 403 Forbidden" */
	if (n > 20 && is_digit(s[0]) && s[4] == '/' && s[7] == '/' && s[10] == ' ' &&
	    s[13] == ':' && s[19] == ' ' && text_starts_with(s + 20, n - 20, "HTTP/"))
		return http_status_at(s + 20, end) ? s + 20 : NULL;
	if (text_starts_with(s, n, "HTTP/"))
		return http_status_at(s, end) ? s : NULL;
	if (!via_google(s, n))
		return NULL;
	while ((p = find(p, (size_t)(end - p), "HTTP/"))) {
		if ((p == s || p[-1] == ' ' || p[-1] == '.' || p[-1] == '>' || p[-1] == ':') &&
		    http_status_at(p, end))
			return p;
		p += 5;
	}
	return NULL;
}

/* Lines that open a transcript. After a closed one (connection closed, no exit
 * line yet) only the start of a new connection does: curl still logs the
 * shutdown of the old one ("schannel: shutting down", "Send failure"). */
static bool curl_start_signal(const char *s, size_t n, bool strong_only)
{
	static const char *const strong_starts[] = {
		"Trying ", "Connected to ", "Hostname ", "Could not resolve", "Rebuilt URL",
	};
	static const char *const verbose_starts[] = {
		"Trying ",
		"Connected to ",
		"Hostname ",
		"Could not resolve",
		"Rebuilt URL",
		"TLSv",
		"SSLv",
		"ALPN",
		"schannel:",
		"OpenSSL",
		"LibreSSL",
		"SSL ",
		"SSL:",
		"error:",
		"Recv failure",
		"Send failure",
		"Failed to connect",
		"Connection refused",
		"Connection timed out",
		"Operation timed out",
		"Timeout was reached",
		"Couldn't connect",
		"SSL certificate",
		"Server certificate",
		"successfully set certificate",
		"CAfile:",
		"IPv4:",
		"IPv6:",
	};
	struct ts_tok rest;

	if (verbose_rest(s, n, &rest)) {
		for (size_t i = 0; i < ELEMENTSOF(strong_starts); i++)
			if (rest.n && rest.p[0] == strong_starts[i][0] &&
			    ts_tok_starts(rest, strong_starts[i]))
				return true;
		if (ts_tok_starts(rest, "Host ") && has(rest.p, rest.n, " was resolved"))
			return true;
		if (has(rest.p, rest.n, "Client hello"))
			return true;
		if (strong_only)
			return false;
		for (size_t i = 0; i < ELEMENTSOF(verbose_starts); i++)
			if (rest.n && rest.p[0] == verbose_starts[i][0] &&
			    ts_tok_starts(rest, verbose_starts[i]))
				return true;
		/* "* (304) (OUT), TLS handshake, Client hello (1):" (macOS curl) */
		if (rest.n && rest.p[0] == '(' && has(rest.p, rest.n, "TLS"))
			return true;
		return false;
	}
	if (text_starts_with(s, n, "Error in curl"))
		return true;
	/* libcurl tools (git) print curl's message after the URL */
	if (has(s, n, "unable to access 'http") &&
	    (curl_message(s, n) || has(s, n, "certificate verification failed")))
		return true;
	if (strong_only)
		return false;
	if (text_starts_with(s, n, "< HTTP/"))
		return true;
	/* a response without the request: GFE error page, or headers with "via: 1.1 google" */
	if (gfe_page(s, n) || status_line(s, n) || google_title_status(s, n))
		return true;
	if (has(s, n, " timed out after ") && has(s, n, " milliseconds"))
		return true;
	return false;
}

/* ---- curl: classification of one line ------------------------------------ */

enum sig_kind {
	SK_RESET,
	SK_RESET_RECV, /* "Recv failure": a reset unless it says "timed out" */
	SK_ALERT,
	SK_VERIFY,
	SK_VERIFY_SOFT, /* -k: verification failed but curl went on */
	SK_CONNECT,
	SK_HANDSHAKE, /* the handshake completed */
};

enum sig_text {
	ST_NONE,
	ST_AFTER,      /* the text after the needle */
	ST_FROM,       /* the text from the needle on */
	ST_FROM_QUOTE, /* from the needle to the quote closing "host name '...'" */
	ST_FAILED,     /* from after the "failed: " before the needle (Schannel codes whose
	                  text is localized), else from the needle */
};

struct sig {
	const char *needle;
	enum sig_kind kind;
	enum sig_text text;
};

/* Order matters within a kind: the first match of a line gives the message. */
static const struct sig curl_sigs[] = {
	{ "Connection reset by peer", SK_RESET, ST_NONE },
	{ "Connection was reset", SK_RESET, ST_NONE },
	{ "SSL_ERROR_SYSCALL", SK_RESET, ST_NONE },
	{ "ECONNRESET", SK_RESET, ST_NONE },
	{ "Server dropped the connection", SK_RESET, ST_NONE },
	{ "Server aborted the SSL handshake", SK_RESET, ST_NONE },
	{ "unexpected eof while reading", SK_RESET, ST_NONE },
	{ "PR_CONNECT_RESET_ERROR", SK_RESET, ST_NONE },
	{ "Recv failure", SK_RESET_RECV, ST_NONE },
	{ "alert handshake failure", SK_ALERT, ST_NONE },
	{ "error:1404B410", SK_ALERT, ST_NONE },
	{ "error:14094410", SK_ALERT, ST_NONE },
	{ "error:0A000410", SK_ALERT, ST_NONE },
	{ "error:14077410", SK_ALERT, ST_NONE },
	{ "SSL peer handshake failed", SK_ALERT, ST_NONE },
	{ "SEC_E_ILLEGAL_MESSAGE", SK_ALERT, ST_NONE },
	{ "SEC_E_ALGORITHM_MISMATCH", SK_ALERT, ST_NONE },
	{ "Could not negotiate an SSL cipher suite", SK_ALERT, ST_NONE },
	{ "SSL_ERROR_HANDSHAKE_FAILURE_ALERT", SK_ALERT, ST_NONE },
	/* OpenSSL's reason strings for other alerts received during the handshake */
	{ "tlsv1 unrecognized name", SK_ALERT, ST_NONE },
	{ "tlsv1 alert ", SK_ALERT, ST_NONE },
	{ "tlsv13 alert ", SK_ALERT, ST_NONE },
	{ "sslv3 alert ", SK_ALERT, ST_NONE },
	{ "SSL_ERROR_NO_CYPHER_OVERLAP", SK_ALERT, ST_NONE },
	/* BoringSSL's upper-case reason codes */
	{ "SSLV3_ALERT_", SK_ALERT, ST_NONE },
	{ "TLSV1_ALERT_", SK_ALERT, ST_NONE },
	/* GnuTLS, wolfSSL, mbedTLS builds of curl */
	{ "A TLS fatal alert has been received", SK_ALERT, ST_NONE },
	{ "revcd alert fatal error", SK_ALERT, ST_NONE },
	{ "A fatal alert message was received from our peer", SK_ALERT, ST_NONE },
	{ "Error in the pull function", SK_RESET_RECV, ST_NONE },
	{ "The TLS connection was non-properly terminated", SK_RESET_RECV, ST_NONE },
	/* Schannel HRESULTs: the text after them is in the system's language */
	{ "(0x80090326)", SK_ALERT, ST_NONE }, /* SEC_E_ILLEGAL_MESSAGE */
	{ "(0x80090331)", SK_ALERT, ST_NONE }, /* SEC_E_ALGORITHM_MISMATCH */
	{ "SSL certificate problem: ", SK_VERIFY, ST_AFTER },
	{ "no alternative certificate subject name matches", SK_VERIFY, ST_FROM_QUOTE },
	{ "certificate subject name '", SK_VERIFY, ST_FROM_QUOTE },
	{ "SSL certificate peer verification failed", SK_VERIFY, ST_FROM },
	{ "SEC_E_WRONG_PRINCIPAL", SK_VERIFY, ST_FROM },
	{ "SEC_E_UNTRUSTED_ROOT", SK_VERIFY, ST_FROM },
	{ "SEC_E_CERT_EXPIRED", SK_VERIFY, ST_FROM },
	{ "SEC_E_CERT_UNKNOWN", SK_VERIFY, ST_FROM },
	{ "CERT_TRUST_", SK_VERIFY, ST_FROM },
	{ "CRYPT_E_NO_REVOCATION_CHECK", SK_VERIFY, ST_FROM },
	{ "CRYPT_E_REVOCATION_OFFLINE", SK_VERIFY, ST_FROM },
	{ "CERT_E_", SK_VERIFY, ST_FROM },
	{ "unable to get local issuer certificate", SK_VERIFY, ST_FROM },
	{ "self-signed certificate", SK_VERIFY, ST_FROM },
	{ "self signed certificate", SK_VERIFY, ST_FROM },
	{ "certificate has expired", SK_VERIFY, ST_FROM },
	/* NSS-era curl (RHEL/CentOS 7) */
	{ "Peer's certificate issuer is not recognized", SK_VERIFY, ST_FROM },
	{ "Peer's Certificate issuer is not recognized", SK_VERIFY, ST_FROM },
	{ "Peer's Certificate has expired", SK_VERIFY, ST_FROM },
	{ "SSL_ERROR_BAD_CERT_DOMAIN", SK_VERIFY, ST_FROM },
	/* GnuTLS builds (Debian/Ubuntu curl, git) */
	{ "server certificate verification failed", SK_VERIFY, ST_FROM },
	{ "server verification failed", SK_VERIFY, ST_FROM },
	{ "certificate subject name (", SK_VERIFY, ST_FROM },
	{ "server certificate expiration date has passed", SK_VERIFY, ST_FROM },
	{ "server certificate activation date is in the future", SK_VERIFY, ST_FROM },
	{ "The certificate is NOT trusted", SK_VERIFY, ST_FROM },
	{ "X509 - Certificate verification failed", SK_VERIFY, ST_FROM },
	{ "CERTIFICATE_VERIFY_FAILED", SK_VERIFY, ST_FROM },
	/* Schannel HRESULTs of certificate problems (localized text after them) */
	{ "(0x80090325)", SK_VERIFY, ST_FAILED }, /* SEC_E_UNTRUSTED_ROOT */
	{ "(0x80090328)", SK_VERIFY, ST_FAILED }, /* SEC_E_CERT_EXPIRED */
	{ "(0x80090322)", SK_VERIFY, ST_FAILED }, /* SEC_E_WRONG_PRINCIPAL */
	{ "(0x80090327)", SK_VERIFY, ST_FAILED }, /* SEC_E_CERT_UNKNOWN */
	{ "(0x800B0101)", SK_VERIFY, ST_FAILED }, /* CERT_E_EXPIRED */
	{ "(0x800B0109)", SK_VERIFY, ST_FAILED }, /* CERT_E_UNTRUSTEDROOT */
	{ "(0x800B010A)", SK_VERIFY, ST_FAILED }, /* CERT_E_CHAINING */
	{ "(0x800B010F)", SK_VERIFY, ST_FAILED }, /* CERT_E_CN_NO_MATCH */
	{ "(0x80092012)", SK_VERIFY, ST_FAILED }, /* CRYPT_E_NO_REVOCATION_CHECK */
	{ "(0x80092013)", SK_VERIFY, ST_FAILED }, /* CRYPT_E_REVOCATION_OFFLINE */
	{ "SSL certificate verify result: ", SK_VERIFY_SOFT, ST_AFTER },
	{ "Could not resolve host", SK_CONNECT, ST_FROM },
	{ "Could not resolve proxy", SK_CONNECT, ST_FROM },
	{ "Resolving timed out", SK_CONNECT, ST_FROM },
	{ "Connection refused", SK_CONNECT, ST_FROM },
	{ "Timeout was reached", SK_CONNECT, ST_FROM },
	{ "Connection timed out", SK_CONNECT, ST_FROM },
	{ "Operation timed out", SK_CONNECT, ST_FROM },
	{ "Couldn't connect to server", SK_CONNECT, ST_FROM },
	{ "Network is unreachable", SK_CONNECT, ST_FROM },
	{ "No route to host", SK_CONNECT, ST_FROM },
	{ "Failed to connect to", SK_CONNECT, ST_FROM },
	{ "SSL connection using", SK_HANDSHAKE, ST_NONE },
	{ "SSL certificate verify ok", SK_HANDSHAKE, ST_NONE },
	{ "server certificate verification OK", SK_HANDSHAKE, ST_NONE }, /* GnuTLS */
	{ "SSL_read", SK_HANDSHAKE, ST_NONE }, /* application data: the handshake is done */
};

/* curl_sigs by the two rarest byte pairs of each needle (needle_keys): one AND of
 * the line's pair set (text_pairs) with the set of first keys finds the needles
 * that may be in the line, so a curl line is not asked for all of them. */
#define N_SIGS ELEMENTSOF(curl_sigs)
#define SIG_WORDS ((N_SIGS + 63) / 64)
#define SIG_INDEX_AFTER 64 /* lines */

struct sig_index {
	uint64_t key1[64];          /* the needles' first keys, as a pair set */
	uint64_t always[SIG_WORDS]; /* needles shorter than a pair */
	uint32_t keys[N_SIGS];
	uint8_t first[4096];  /* 1 + a needle with this first key, 0 = none */
	uint8_t next[N_SIGS]; /* 1 + the next needle with the same first key */
};

_Static_assert(N_SIGS < 255, "curl_sigs indexes fit a byte");

static struct sig_index *sig_index_new(void)
{
	struct sig_index *sx = calloc(1, sizeof(*sx));

	if (!sx)
		return NULL;
	for (size_t i = 0; i < N_SIGS; i++) {
		unsigned k1;

		sx->keys[i] = needle_keys(curl_sigs[i].needle);
		k1 = sx->keys[i] & 0xffff;
		if (k1 == NEEDLE_NO_KEY) {
			sx->always[i >> 6] |= 1ull << (i & 63);
			continue;
		}
		sx->key1[k1 >> 6] |= 1ull << (k1 & 63);
		sx->next[i] = sx->first[k1];
		sx->first[k1] = (uint8_t)(i + 1);
	}
	return sx;
}

static bool pair_set(const struct text_pairs *tp, unsigned h)
{
	return h == NEEDLE_NO_KEY || (tp->bits[h >> 6] >> (h & 63)) & 1;
}

/* The needles that may be in the line of tp (all without tp or index). */
static void sig_candidates(const struct sig_index *sx, const struct text_pairs *tp,
                           uint64_t cand[SIG_WORDS])
{
	if (!sx || !tp) {
		memset(cand, 0, SIG_WORDS * sizeof(*cand));
		for (size_t i = 0; i < N_SIGS; i++)
			cand[i >> 6] |= 1ull << (i & 63);
		return;
	}
	memcpy(cand, sx->always, sizeof(sx->always));
	for (size_t w = 0; w < 64; w++) {
		uint64_t hit = tp->bits[w] & sx->key1[w];

		while (hit) {
			unsigned h = (unsigned)(w * 64) + (unsigned)__builtin_ctzll(hit);

			hit &= hit - 1;
			for (unsigned k = sx->first[h]; k; k = sx->next[k - 1])
				if (pair_set(tp, sx->keys[k - 1] >> 16))
					cand[(k - 1) >> 6] |= 1ull << ((k - 1) & 63);
		}
	}
}

/* The first candidate from index i on; N_SIGS when none. */
static size_t next_sig(const uint64_t cand[SIG_WORDS], size_t i)
{
	while (i < N_SIGS) {
		uint64_t m = cand[i >> 6] >> (i & 63);

		if (m)
			return i + (size_t)__builtin_ctzll(m);
		i = (i | 63) + 1;
	}
	return N_SIGS;
}

static void curl_where(struct client_scan *cs, enum where_level level, bool replace_equal,
                       const char *line, size_t len, size_t at, unsigned lineno, int *r)
{
	struct curl_state *c = &cs->curl;

	if (*r < 0)
		return;
	if (level < c->level || (level == c->level && !replace_equal))
		return;
	*r = ts_loc_set(&c->t.where, cs->artifact, lineno, line, len, at);
	c->level = level;
}

/* Text of a verify failure per enum sig_text. */
static int verify_text(struct curl_trace *t, const struct sig *sg, const char *s, const char *m,
                       const char *end)
{
	const char *p = m;

	if (sg->text == ST_AFTER)
		p = m + strlen(sg->needle);
	if (sg->text == ST_FAILED) {
		const char *q = find(s, (size_t)(m - s), "failed: ");

		/* "... failed: Unknown error (0x80092013) - <localized text>" */
		if (q)
			p = q + 8;
	}
	if (sg->text == ST_FROM_QUOTE) {
		const char *q = find(m, (size_t)(end - m), "host name '");
		size_t skip = 11;

		if (!q) {
			q = find(m, (size_t)(end - m), "hostname '");
			skip = 10;
		}
		if (q) {
			const char *close = memchr(q + skip, '\'', (size_t)(end - q - skip));

			if (close)
				return ts_set_str_once(&t->verify_error, m, (size_t)(close + 1 - m),
				                       MSG_MAX);
		}
	}
	return set_msg(&t->verify_error, p, end);
}

static void curl_library(struct curl_state *c, const char *s, size_t n, const struct text_pairs *tp,
                         int *r)
{
	static const struct {
		const char *needle;
		const char *name;
		bool sure;
	} libs[] = {
		{ "LibreSSL", "LibreSSL", true },
		{ "OpenSSL", "OpenSSL", true },
		{ "schannel", "schannel", true },
		{ "SEC_E_", "schannel", true },
		{ "SecureTransport", "SecureTransport", true },
		{ "Secure Transport", "SecureTransport", true },
		{ "GnuTLS", "GnuTLS", true },
		{ "gnutls_", "GnuTLS", true },
		{ "wolfSSL", "wolfSSL", true },
		{ "mbedTLS", "mbedTLS", true },
		{ "BoringSSL", "BoringSSL", true },
		{ "rustls", "rustls", true },
		{ "NSS error", "NSS", true },
		/* Secure Transport's own messages (curl sectransp.c) */
		{ "SSL peer handshake failed", "SecureTransport", false },
		{ "Server aborted the SSL handshake", "SecureTransport", false },
		{ "Server dropped the connection during the SSL handshake", "SecureTransport",
		  false },
		{ "Could not negotiate an SSL cipher suite", "SecureTransport", false },
		{ "SSL certificate problem: Invalid certificate chain", "SecureTransport", false },
		{ "SSL certificate problem: Untrusted root certificate", "SecureTransport", false },
		{ "Certificate chain had an expired certificate", "SecureTransport", false },
		{ "SSL certificate peer verification failed", "SecureTransport", false },
	};

	if (*r < 0 || c->lib_sure)
		return;
	for (size_t i = 0; i < ELEMENTSOF(libs); i++) {
		if (!phas(tp, s, n, libs[i].needle))
			continue;
		if (libs[i].sure || !c->t.tls_library) {
			*r = ts_set_str(&c->t.tls_library, libs[i].name, strlen(libs[i].name), 32);
			c->lib_sure = libs[i].sure;
		}
		return;
	}
	/* "error:0A000410:SSL routines" is how OpenSSL (and its forks) report */
	if (!c->t.tls_library) {
		const char *p = pfind(tp, s, n, "error:");

		if (p && (size_t)(s + n - p) > 15 && p[14] == ':') {
			bool hex = true;

			for (size_t i = 6; i < 14; i++)
				if (!memchr("0123456789abcdefABCDEF", p[i], 22) || !p[i])
					hex = false;
			if (hex)
				*r = ts_set_str(&c->t.tls_library, "OpenSSL", 7, 32);
		}
	}
}

/* The response's Date header: "< Date: Thu, 08 Jun 2023 07:22:15 GMT" (-v),
 * "date: ..." (HTTP/2, or curl -i), also inside a flattened response
 * ("HTTP/2 503 date: ... via: 1.1 google"). The server's clock when the transcript
 * was taken: it dates the certificate the client saw and the bundle. */
static bool curl_date_header(struct client_scan *cs, const char *s, size_t n, bool status_here)
{
	struct curl_state *c = &cs->curl;
	struct ts_tok h = ts_trim(s, n);
	const char *p = NULL;
	int64_t v;

	if (!text_pairs_may_have(cs->tp, "date:"))
		return false;
	if (text_starts_with(h.p, h.n, "< "))
		h = ts_trim(h.p + 2, h.n - 2);
	if (h.n > 5 && strncasecmp(h.p, "date:", 5) == 0 &&
	    (c->response || text_starts_with(s, n, "<")))
		p = h.p + 5;
	else if (status_here && (p = text_find_ci(s, n, " date: ")) &&
	         !(p - s >= 6 && text_find_ci(p - 6, 6, "start")) &&
	         !(p - s >= 6 && text_find_ci(p - 6, 6, "xpire")))
		p += 7;
	else
		p = NULL;
	if (!p || ts_parse_client_date(p, (size_t)(s + n - p), &v) < 0)
		return false;
	c->t.http_date = v;
	return true;
}

static bool curl_http(struct client_scan *cs, const char *line, size_t len, const char *s, size_t n,
                      unsigned lineno, int *r)
{
	struct curl_state *c = &cs->curl;
	const char *end = s + n, *p = s;
	bool seen = false;

	/* "< HTTP/2 503" anywhere (flattened), or a bare status line (curl -i) */
	while ((p = pfind(cs->tp, p, (size_t)(end - p), "< HTTP/"))) {
		int st = http_status_at(p + 2, end);

		if (st) {
			c->t.http_status = st;
			c->response = true;
			seen = true;
			curl_where(cs, WL_STATUS, true, line, len, (size_t)(p - line), lineno, r);
		}
		p += 7;
	}
	if (!seen && (p = status_line(s, n))) {
		c->t.http_status = http_status_at(p, end);
		c->response = true;
		seen = true;
		curl_where(cs, WL_STATUS, true, line, len, (size_t)(p - line), lineno, r);
	}
	if (via_google(s, n)) {
		c->t.via_google = true;
		seen = true;
	}
	if (!c->t.http_status && google_title_status(s, n)) {
		c->t.http_status = google_title_status(s, n);
		c->t.via_google = true;
		c->response = true;
		seen = true;
		curl_where(cs, WL_STATUS, false, line, len, (size_t)(s - line), lineno, r);
	}
	if (phas(cs->tp, s, n, "Server Error")) {
		const char *title = find(s, n, "<title>");

		c->server_error = true;
		seen = true;
		/* a saved GFE page without its headers: "<title>502 Server Error</title>" */
		if (!c->t.http_status && title && http_status_at_code(title + 7, end)) {
			c->t.http_status = http_status_at_code(title + 7, end);
			c->response = true;
			curl_where(cs, WL_STATUS, false, line, len, (size_t)(title - line), lineno,
			           r);
		}
	}
	if (phas(cs->tp, s, n, "30 seconds") && text_find_ci(s, n, "try again in 30 seconds")) {
		c->try_again = true;
		seen = true;
	}
	if (curl_date_header(cs, s, n, seen && c->response))
		seen = true;
	return seen;
}

static bool curl_apply_sigs(struct client_scan *cs, const char *line, size_t len, const char *s,
                            size_t n, unsigned lineno, int *r);
static bool curl_target(struct curl_state *c, const char *s, size_t n, const struct text_pairs *tp,
                        int *r);

/* The leaf's validity as each TLS backend of curl prints it (-v):
 *   OpenSSL, LibreSSL, NSS, GnuTLS   "*  start date: ..."   "*  expire date: ..."
 *   curl's ASN.1 reader (Schannel, Secure Transport, GSKit; older curl)
 *                                    "*    Start date: ..."  "*    Expire date: ..."
 *   mbedTLS (cert info dump)         "* issued  on        : ..." "* expires on        : ..."
 * The first date of each kind is the leaf's. GnuTLS also says whether it checked
 * them: "server certificate expiration date OK". */
static bool curl_cert_date(struct curl_state *c, struct ts_tok rest, unsigned lineno)
{
	static const struct {
		const char *key;
		bool after;
	} keys[] = {
		{ "start date", false }, { "expire date", true }, { "issued  on", false },
		{ "issued on", false },  { "expires on", true },
	};
	struct curl_trace *t = &c->t;

	if (text_find_ci(rest.p, rest.n, "expiration date ") ||
	    text_find_ci(rest.p, rest.n, "activation date ")) {
		/* GnuTLS: "... expiration date OK" / "... activation date FAILED" */
		if (text_find(rest.p, rest.n, "date FAILED"))
			c->dates_failed = true;
		else if (text_find(rest.p, rest.n, "date OK"))
			c->t.dates_ok = true;
		c->t.dates_ok = c->t.dates_ok && !c->dates_failed;
		return true;
	}
	for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
		size_t kl = strlen(keys[i].key);
		const char *colon, *q;
		int64_t *dst = keys[i].after ? &t->leaf_not_after_t : &t->leaf_not_before_t;
		int64_t v;

		if (rest.n <= kl || strncasecmp(rest.p, keys[i].key, kl) != 0)
			continue;
		for (q = rest.p + kl; q < rest.p + rest.n && *q == ' '; q++)
			;
		colon = q < rest.p + rest.n && *q == ':' ? q : NULL;
		if (!colon)
			return false;
		if (!*dst && ts_parse_client_date(colon + 1, (size_t)(rest.p + rest.n - colon - 1),
		                                  &v) == 0) {
			*dst = v ? v : 1;
			if (keys[i].after)
				t->leaf_dates_line = lineno;
		}
		return true;
	}
	return false;
}

/* "*  subject: CN=...", "*  issuer: ...", "*  expire date: ..." of curl -v: the
 * served leaf as the client saw it (kept for TLS-007 and the chain checks). */
static bool curl_cert_line(struct curl_state *c, const char *s, size_t n, unsigned lineno)
{
	static const struct {
		const char *key;
		size_t off;
		size_t size;
	} keys[] = {
		{ "subject: ", offsetof(struct curl_trace, leaf_subject),
		  sizeof(((struct curl_trace *)0)->leaf_subject) },
		/* curl's ASN.1 reader (Schannel, Secure Transport), mbedTLS */
		{ "0 Subject: ", offsetof(struct curl_trace, leaf_subject),
		  sizeof(((struct curl_trace *)0)->leaf_subject) },
		{ "subject name      : ", offsetof(struct curl_trace, leaf_subject),
		  sizeof(((struct curl_trace *)0)->leaf_subject) },
		{ "issuer: ", offsetof(struct curl_trace, leaf_issuer),
		  sizeof(((struct curl_trace *)0)->leaf_issuer) },
		{ "expire date: ", offsetof(struct curl_trace, leaf_not_after),
		  sizeof(((struct curl_trace *)0)->leaf_not_after) },
	};
	struct ts_tok rest;

	if (!verbose_rest(s, n, &rest))
		return false;
	if (curl_cert_date(c, rest, lineno) && !ts_tok_starts(rest, "expire date: "))
		return true;
	for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
		char *dst = (char *)&c->t + keys[i].off;
		struct ts_tok v;

		if (!ts_tok_starts(rest, keys[i].key))
			continue;
		if (dst[0])
			return true; /* the first certificate shown is the leaf */
		v = ts_trim(rest.p + strlen(keys[i].key), rest.n - strlen(keys[i].key));
		if (v.n >= keys[i].size)
			v.n = keys[i].size - 1;
		memcpy(dst, v.p, v.n);
		dst[v.n] = '\0';
		return true;
	}
	return false;
}

/* Apply every signature to the line; true when anything was recognised. */
static bool curl_classify(struct client_scan *cs, const char *line, size_t len, const char *s,
                          size_t n, unsigned lineno, bool after_response, bool curl_shaped, int *r)
{
	struct curl_state *c = &cs->curl;
	bool seen = false;
	struct ts_tok rest;
	int code;
	size_t at;

	if (*r < 0)
		return false;
	if (verbose_rest(s, n, &rest) || text_starts_with(s, n, "< ") ||
	    text_starts_with(s, n, "> ")) {
		seen = true;
		c->request = true;
	}

	if (curl_http(cs, line, len, s, n, lineno, r))
		seen = true;

	if (find_exit(s, n, cs->tp, &code, &at)) {
		if (c->t.exit_code < 0)
			c->t.exit_code = code;
		curl_where(cs, WL_EXIT, false, line, len, (size_t)(s - line) + at, lineno, r);
		seen = true;
	}

	/* Failure messages count on lines curl writes (verbose, exit, its own plain
	 * messages, the command line of a flattened transcript), never on a body or
	 * on prose or a later log; after the response only the exit line does. */
	if (!seen && !(curl_shaped && !after_response))
		return false;
	if (after_response && !seen)
		return false;

	if (curl_apply_sigs(cs, line, len, s, n, lineno, r))
		seen = true;
	curl_library(c, s, n, cs->tp, r);
	if (curl_target(c, s, n, cs->tp, r))
		seen = true;
	if (curl_cert_line(c, s, n, lineno))
		seen = true;
	/* "* TLSv1.2 (IN), TLS handshake, Request CERT (13):": CertificateRequest */
	if (phas(cs->tp, s, n, "Request CERT")) {
		c->t.cert_requested = true;
		seen = true;
	}
	if (phas(cs->tp, s, n, "Issue another request") || phas(cs->tp, s, n, "Following redirect"))
		c->closed = false;
	if (phas(cs->tp, s, n, "Closing connection") || phas(cs->tp, s, n, "closing connection") ||
	    phas(cs->tp, s, n, "left intact"))
		c->closed = true;
	return seen;
}

/* Every failure / success signature of curl_sigs on one curl-written line. */
static bool curl_apply_sigs(struct client_scan *cs, const char *line, size_t len, const char *s,
                            size_t n, unsigned lineno, int *r)
{
	struct curl_state *c = &cs->curl;
	const char *end = s + n, *p;
	bool seen = false;

	uint64_t cand[SIG_WORDS];

	/* the index pays from a few dozen lines on (a probe's transcript is shorter) */
	if (!cs->sx && ++cs->sig_lines > SIG_INDEX_AFTER) {
		cs->sx = sig_index_new();
		if (!cs->sx) {
			*r = -ENOMEM;
			return false;
		}
	}
	sig_candidates(cs->sx, cs->tp, cand);
	for (size_t i = next_sig(cand, 0); i < N_SIGS && *r >= 0; i = next_sig(cand, i + 1)) {
		const struct sig *sg = &curl_sigs[i];
		const char *m = pfind(cs->tp, s, n, sg->needle);

		if (!m)
			continue;
		switch (sg->kind) {
		case SK_RESET_RECV:
			if (c->handshake || has(s, n, "timed out"))
				continue;
			c->t.symptoms |= CURL_SYM_RESET;
			break;
		case SK_RESET:
			c->t.symptoms |= CURL_SYM_RESET;
			break;
		case SK_ALERT:
			c->t.symptoms |= CURL_SYM_ALERT;
			break;
		case SK_VERIFY:
			if (sg->needle[0] == 'c' && sg->text == ST_FROM_QUOTE &&
			    !has(s, n, "does not match"))
				continue;
			/* -k: "SSL certificate verify result: ..., continuing anyway" */
			if (has(s, n, "SSL certificate verify result"))
				continue;
			c->t.symptoms |= CURL_SYM_VERIFY;
			*r = verify_text(&c->t, sg, s, m, end);
			break;
		case SK_VERIFY_SOFT:
			*r = verify_text(&c->t, sg, s, m, end);
			break;
		case SK_CONNECT:
			c->t.symptoms |= CURL_SYM_CONNECT;
			*r = set_msg(&c->t.connect_error, m, end);
			break;
		case SK_HANDSHAKE:
			c->handshake = true;
			if (has(m, (size_t)(end - m), "SSL certificate verify ok") ||
			    has(m, (size_t)(end - m), "certificate verification OK"))
				c->verify_ok = true;
			curl_where(cs, WL_HANDSHAKE, false, line, len, (size_t)(m - line), lineno,
			           r);
			seen = true;
			continue;
		}
		seen = true;
		if (sg->kind != SK_VERIFY_SOFT)
			curl_where(cs, WL_ERROR, false, line, len, (size_t)(m - line), lineno, r);
	}
	p = text_pairs_may_have(cs->tp, "errno ") ? find_number_word(s, n, "errno 104") : NULL;
	if (!p && text_pairs_may_have(cs->tp, "errno "))
		p = find_number_word(s, n, "errno 54");
	if (p) {
		c->t.symptoms |= CURL_SYM_RESET;
		curl_where(cs, WL_ERROR, false, line, len, (size_t)(p - line), lineno, r);
		seen = true;
	}
	return seen;
}

/* The target, when the command line did not say. */
static bool curl_target(struct curl_state *c, const char *s, size_t n, const struct text_pairs *tp,
                        int *r)
{
	const char *end = s + n, *p;
	struct ts_tok rest;
	bool seen = false;

	if ((p = pfind(tp, s, n, "Connected to ")) && !c->t.host) {
		const char *h = p + 13, *e = h, *port;

		while (e < end && *e != ' ' && *e != '(' && *e != '\t')
			e++;
		/* a name masked by whoever pasted it: "Connected to [Censored name] port 443" */
		if (h < end && *h == '[' && e < end && *e == ' ' &&
		    (port = find(h, (size_t)(end - h), " port ")) && port > e &&
		    memchr(h, ']', (size_t)(port - h)))
			e = (const char *)memchr(h, ']', (size_t)(port - h)) + 1;
		if (e > h && *r >= 0)
			*r = ts_set_str(&c->t.host, h, (size_t)(e - h), 255);
		seen = true;
	}
	if (!c->t.host && verbose_rest(s, n, &rest) && ts_tok_starts(rest, "Host ") &&
	    (p = find(rest.p, rest.n, " was resolved"))) {
		const char *h = rest.p + 5, *e = h;

		while (e < p && *e != ' ' && *e != ':')
			e++;
		if (e > h && *r >= 0)
			*r = ts_set_str(&c->t.host, h, (size_t)(e - h), 255);
	}
	if (!c->t.host && (p = pfind(tp, s, n, "in connection to "))) {
		const char *h = p + 17, *e = h;

		while (e < end && *e != ' ' && *e != ':')
			e++;
		if (e > h && *r >= 0)
			*r = ts_set_str(&c->t.host, h, (size_t)(e - h), 255);
	}
	/* git and other libcurl tools: "unable to access 'https://host/repo/': ..." */
	if (!c->t.host && (p = find(s, n, "unable to access '"))) {
		const char *u = p + 18, *e = memchr(u, '\'', (size_t)(end - u));
		struct ts_tok h = url_host((struct ts_tok){ u, e ? (size_t)(e - u) : 0 });

		if (h.n && *r >= 0)
			*r = ts_set_str(&c->t.host, h.p, h.n, 255);
	}
	if (phas(tp, s, n, "using IP address, SNI is not supported")) {
		c->t.ip_literal = true;
		seen = true;
	}
	return seen;
}

/* "... does not match target host name 'api.example.com'": the host, when the
 * transcript showed no command and no "Connected to" line. */
static void host_from_message(struct curl_trace *t, int *r)
{
	const char *m = t->verify_error, *end = m + strlen(m), *q, *close;

	q = find(m, (size_t)(end - m), "host name '");
	if (!q)
		q = find(m, (size_t)(end - m), "hostname '");
	if (!q)
		return;
	q = (const char *)memchr(q, '\'', (size_t)(end - q)) + 1;
	close = memchr(q, '\'', (size_t)(end - q));
	if (close && close > q)
		*r = ts_set_str(&t->host, q, (size_t)(close - q), 255);
}

static int curl_flush(struct client_scan *cs)
{
	struct curl_state *c = &cs->curl;
	struct curl_trace *t = &c->t;
	struct curl_trace *slot;
	int r = 0;

	if (!c->active || (c->evidence == 0 && t->exit_code < 0))
		goto out;
	/* a transcript says something only with a result: an exit line, a status, a
	 * symptom, a completed handshake or a verify result (a command quoted in prose
	 * followed by prose is not one) */
	if (t->exit_code < 0 && !t->http_status && !t->symptoms && !c->handshake &&
	    !t->verify_error && !c->server_error && !c->try_again && !t->via_google &&
	    !t->ip_literal)
		goto out;
	/* nothing, or a command with nothing after it */ /* a command with nothing after it says nothing */

	switch (t->exit_code) {
	case 51:
	case 60:
		t->symptoms |= CURL_SYM_VERIFY;
		break;
	case 6:
	case 7:
	case 28:
		t->symptoms |= CURL_SYM_CONNECT;
		if (!t->connect_error) {
			const char *m = t->exit_code == 6   ? "Could not resolve host"
			                : t->exit_code == 7 ? "Failed to connect"
			                                    : "Timeout was reached";

			r = ts_set_str(&t->connect_error, m, strlen(m), MSG_MAX);
			if (r < 0)
				goto out;
		}
		break;
	default:
		break;
	}
	t->gfe_error_page = c->server_error && c->try_again;
	if (t->http_status == 502)
		t->symptoms |= CURL_SYM_HTTP502;
	else if (t->http_status == 503)
		t->symptoms |= CURL_SYM_HTTP503;
	else if (t->http_status == 403 || t->http_status == 404)
		t->symptoms |= CURL_SYM_HTTP403_404;
	if (c->handshake || t->http_status)
		t->symptoms |= CURL_SYM_OK;
	if (!t->host && t->verify_error)
		host_from_message(t, &r);
	if (r < 0)
		goto out;
	if (t->host && text_is_ip_literal(t->host))
		t->ip_literal = true;
	t->tls = c->handshake || t->verify_error ||
	         (t->url && text_starts_with(t->url, strlen(t->url), "https://"));
	t->trust = t->insecure ? TRUST_NONE : c->ca_given ? TRUST_CA_GIVEN : TRUST_DEFAULT;
	if (t->verify_error)
		t->verify_class = verify_class_from_text(t->verify_error);
	else if (c->verify_ok)
		t->verify_class = VERIFY_OK;

	if (t->http_date)
		bundle_note_time(cs->b, t->http_date);
	slot = bundle_add_curl(cs->b);
	if (slot) {
		*slot = *t; /* ownership moves to the bundle */
		memset(t, 0, sizeof(*t));
		t->exit_code = -1;
	}
	ts_kinds_note(cs->kinds, ART_CURL, c->evidence + 1);
out:
	free_curl_trace(t);
	memset(c, 0, sizeof(*c));
	c->t.exit_code = -1;
	return r;
}

static int curl_begin(struct client_scan *cs)
{
	int r = curl_flush(cs);

	cs->curl.active = true;
	/* a new curl transcript ends an s_client one */
	if (cs->sc.active)
		cs->sc.finished = true;
	return r;
}

static int curl_begin(struct client_scan *cs);

/* A command line continued on the next one: bash "\", cmd.exe "^", PowerShell "`". */
static bool continuation(const char *s, size_t n)
{
	return n >= 2 && (s[n - 1] == '\\' || s[n - 1] == '^' || s[n - 1] == '`') &&
	       (s[n - 2] == ' ' || s[n - 2] == '\t');
}

/* The Google front end's own error page ("<title>403 Forbidden</title>", then
 * "<body text=#000000 bgcolor=#ffffff>" and "<h1>Error: Forbidden</h1>"), saved by
 * a plain curl or pasted alone, over several lines: the status of its title once
 * the markers confirm the page. 1 when a confirmed page should open a transcript. */
static int gfe_page_line(struct client_scan *cs, const char *s, size_t n, unsigned lineno)
{
	struct gfe_title *g = &cs->gfe;
	const char *p = find(s, n, "<title>");
	uint64_t v;
	size_t used;

	if (p && ts_parse_uint(p + 7, (size_t)(s + n - p - 7), 999, &v, &used) && used == 3 &&
	    v >= 400 && p + 10 < s + n && p[10] == ' ') {
		size_t keep = n < sizeof(g->line) ? n : sizeof(g->line) - 1;

		memcpy(g->line, s, keep);
		g->line[keep] = '\0';
		g->status = (int)v;
		g->lineno = lineno;
		g->age = 0;
		g->at = (size_t)(p - s) < keep ? (size_t)(p - s) : 0;
		/* the whole page flattened onto one line */
		if (!has(p, (size_t)(s + n - p), "bgcolor=#ffffff") ||
		    !has(p, (size_t)(s + n - p), "<h1>Error: "))
			return 0;
	} else if (!g->status) {
		return 0;
	} else if (++g->age > 6) {
		g->status = 0;
		return 0;
	} else if (!has(s, n, "bgcolor=#ffffff") && !has(s, n, "<h1>Error: ")) {
		return 0;
	}
	return 1;
}

static int gfe_page_apply(struct client_scan *cs)
{
	struct curl_state *c = &cs->curl;
	struct gfe_title *g = &cs->gfe;
	int r = 0;

	/* the page belongs to the open transcript unless that one has another status */
	if (!c->active || c->ended || c->t.exit_code >= 0 ||
	    (c->t.http_status && c->t.http_status != g->status)) {
		r = curl_begin(cs);
		if (r < 0)
			return r;
	}
	c->t.via_google = true;
	c->evidence++;
	if (!c->t.http_status) {
		c->t.http_status = g->status;
		c->response = true;
		curl_where(cs, WL_STATUS, false, g->line, strlen(g->line), g->at, g->lineno, &r);
	}
	g->status = 0;
	return r;
}

static int curl_line(struct client_scan *cs, const char *line, size_t len, unsigned lineno)
{
	struct curl_state *c = &cs->curl;
	struct ts_tok tl = ts_trim(line, len);
	const char *s = tl.p;
	size_t n = tl.n, args, at;
	int r = 0, code;
	bool recognised, another;

	if (gfe_page_line(cs, s, n, lineno)) {
		r = gfe_page_apply(cs);
		if (r < 0)
			return r;
	}
	if (c->active && c->continued) {
		/* "curl --cacert ca.pem \" then "  https://host/path" */
		c->continued = continuation(s, n);
		return c->t.url ? 0 : curl_parse_command(c, s, s + n);
	}
	if (find_curl_command(s, n, cs->tp, &args)) {
		r = curl_begin(cs);
		if (r < 0)
			return r;
		c->request = true;
		r = curl_parse_command(c, s + args, s + n);
		if (r < 0)
			return r;
		c->continued = continuation(s, n);
		curl_where(cs, WL_ANY, false, line, len, (size_t)(s - line), lineno, &r);
		/* a flattened transcript may follow the command on the same line */
		recognised =
		        curl_classify(cs, line, len, s + args, n - args, lineno, false, true, &r);
		if (recognised)
			c->evidence++;
		return r;
	}
	/* a second response without a request of its own is another transcript */
	another = c->active && c->response && !c->request && status_line(s, n);
	if (c->active && !c->closed && !c->ended && c->t.exit_code < 0 && !another) {
		/* inside an open transcript */
	} else if (c->active && !c->ended && c->t.exit_code < 0 &&
	           find_exit(s, n, cs->tp, &code, &at)) {
		/* the summary line after "* Closing connection" */
	} else if (another || find_exit(s, n, cs->tp, &code, &at) ||
	           curl_start_signal(s, n, c->active && !c->ended && c->t.exit_code < 0)) {
		r = curl_begin(cs);
		if (r < 0)
			return r;
	} else {
		if (c->active && other_command(s, n, cs->tp))
			c->ended = true;
		return 0;
	}
	if (other_command(s, n, cs->tp)) {
		c->ended = true;
		return 0;
	}
	recognised = curl_classify(
	        cs, line, len, s, n, lineno, c->response,
	        curl_start_signal(s, n, false) || find_exit(s, n, cs->tp, &code, &at), &r);
	if (recognised) {
		c->evidence++;
		c->idle = 0;
		curl_where(cs, WL_ANY, false, line, len, (size_t)(s - line), lineno, &r);
	} else if (n && ++c->idle > CURL_MAX_IDLE) {
		c->ended = true;
	}
	return r;
}

/* ---- openssl s_client ------------------------------------------------------ */

static void sclient_where(struct client_scan *cs, enum where_level level, const char *line,
                          size_t len, size_t at, unsigned lineno, int *r)
{
	struct sclient_state *sc = &cs->sc;

	if (*r < 0 || level <= sc->level)
		return;
	*r = ts_loc_set(&sc->t.where, cs->artifact, lineno, line, len, at);
	sc->level = level;
}

static int sclient_flush(struct client_scan *cs)
{
	struct sclient_state *sc = &cs->sc;
	struct sclient_trace *t = &sc->t;
	struct sclient_trace *slot;
	int r = 0;

	if (!sc->active)
		goto out;
	t->verify_class = verify_class_from_code(t->verify_code);
	if (sc->old_openssl && sc->command && !sc->servername && !t->noservername) {
		t->noservername = true;
		t->no_sni_why = "OpenSSL before 1.1.1 sends no SNI without -servername";
	}
	/* nothing but one alert record came back (5-byte header + 2): an alert the
	 * output does not name, not a reset */
	if (t->no_peer_cert && !t->got_cert && !t->alert && !t->reset && sc->read_bytes == 7) {
		static const char what[] = "not named (one 7-byte alert record read)";

		r = ts_set_str(&t->alert, what, sizeof(what) - 1, 64);
		if (r < 0)
			goto out;
	}
	if (sc->connected || t->no_peer_cert || t->got_cert || t->reset || t->alert ||
	    t->verify_code >= 0) {
		if (t->start_time)
			bundle_note_time(cs->b, t->start_time);
		slot = bundle_add_sclient(cs->b);
		if (slot) {
			*slot = *t; /* ownership moves to the bundle */
			memset(t, 0, sizeof(*t));
		}
		ts_kinds_note(cs->kinds, ART_SCLIENT, sc->evidence + 1);
	}
out:
	free_sclient_trace(t);
	memset(sc, 0, sizeof(*sc));
	sc->t.verify_code = -1;
	return r;
}

static int sclient_begin(struct client_scan *cs)
{
	int r = sclient_flush(cs);

	cs->sc.active = true;
	/* an s_client transcript ends a curl one */
	if (cs->curl.active)
		cs->curl.ended = true;
	return r;
}

static void copy_tok(char *dst, size_t size, struct ts_tok t)
{
	if (t.n >= size)
		t.n = size - 1;
	memcpy(dst, t.p, t.n);
	dst[t.n] = '\0';
}

/* "host:443", "[v6]:443": a name or address, a colon, digits */
static bool host_port(struct ts_tok w)
{
	size_t digits = 0;

	while (digits < w.n && is_digit(w.p[w.n - 1 - digits]))
		digits++;
	return digits && digits + 1 < w.n && w.p[w.n - 1 - digits] == ':' &&
	       !memchr(w.p, '/', w.n) && !memchr(w.p, '=', w.n);
}

static int sclient_parse_command(struct sclient_state *sc, const char *s, const char *end)
{
	const char *cur = s;
	struct ts_tok w, target = { NULL, 0 }, sni = { NULL, 0 };
	bool servername = false, noservername = false;
	int words = 0;

	while (words++ < 256 && ts_next_word(&cur, end, &w)) {
		if (ts_tok_eq(w, "|") || ts_tok_eq(w, ";") || ts_tok_eq(w, "&&") ||
		    ts_tok_eq(w, "<") || ts_tok_eq(w, ">") || ts_tok_eq(w, "2>&1"))
			break;
		if (ts_tok_eq(w, "-connect") || ts_tok_eq(w, "--connect")) {
			if (ts_next_word(&cur, end, &w))
				target = ts_unquote(w);
		} else if (ts_tok_eq(w, "-servername") || ts_tok_eq(w, "--servername") ||
		           ts_tok_starts(w, "-servername=")) {
			servername = true;
			if (!ts_tok_starts(w, "-servername=") && ts_next_word(&cur, end, &w))
				sni = ts_unquote(w);
		} else if (ts_tok_eq(w, "-CAfile") || ts_tok_eq(w, "-CApath") ||
		           ts_tok_eq(w, "-CAstore") || ts_tok_eq(w, "--CAfile")) {
			sc->t.trust = TRUST_CA_GIVEN;
		} else if (ts_tok_eq(w, "-noservername") || ts_tok_eq(w, "--noservername")) {
			noservername = true;
		} else if (ts_tok_eq(w, "-proxy") || ts_tok_eq(w, "-bind")) {
			ts_next_word(&cur, end, &w);
		} else if (!target.p && w.p[0] != '-' && host_port(ts_unquote(w))) {
			target = ts_unquote(w); /* OpenSSL 3: s_client [host:port] */
		}
	}
	if (target.p && target.n) {
		struct ts_tok h = target;
		const char *colon;
		int r = ts_set_str(&sc->t.target, target.p, target.n, 255);

		if (r < 0)
			return r;
		/* host of host:port, [v6]:port; a bare v6 literal has several colons */
		if (h.p[0] == '[') {
			const char *rb = memchr(h.p, ']', h.n);

			if (rb) {
				h.n = (size_t)(rb - h.p - 1);
				h.p++;
			}
		} else if ((colon = memchr(h.p, ':', h.n)) &&
		           !memchr(colon + 1, ':', h.n - (size_t)(colon + 1 - h.p))) {
			h.n = (size_t)(colon - h.p);
		}
		if (tok_is_ip(h) && !servername) {
			noservername = true;
			sc->t.no_sni_why = "s_client sends no SNI to an IP address";
		} else if (!servername && !noservername && h.n && !memchr(h.p, '.', h.n)) {
			/* s_client (1.1.1+) sends SNI only for a name with a dot */
			noservername = true;
			sc->t.no_sni_why = "s_client sends no SNI for a host name without a dot";
		}
		copy_tok(sc->t.host, sizeof(sc->t.host), h);
	}
	if (sni.p && sni.n)
		copy_tok(sc->t.host, sizeof(sc->t.host), sni);
	if (noservername && !sc->t.no_sni_why)
		sc->t.no_sni_why = "-noservername";
	sc->t.noservername = noservername;
	sc->servername = servername;
	sc->command = true;
	return 0;
}

/* An alert name after "sslv3 alert " / "tlsv1 alert " ..., or from its number. */
static int sclient_alert(struct sclient_trace *t, const char *s, size_t n)
{
	static const char *const prefixes[] = { "sslv3 alert ",  "tlsv1 alert ",  "tlsv11 alert ",
		                                "tlsv12 alert ", "tlsv13 alert ", "SSLV3_ALERT_",
		                                "TLSV1_ALERT_" };
	static const struct {
		unsigned number;
		const char *name;
	} numbers[] = {
		{ 10, "unexpected message" },
		{ 40, "handshake failure" },
		{ 42, "bad certificate" },
		{ 45, "certificate expired" },
		{ 48, "unknown ca" },
		{ 70, "protocol version" },
		{ 80, "internal error" },
		{ 112, "unrecognized name" },
		{ 116, "certificate required" },
	};
	const char *end = s + n, *p;
	uint64_t v;
	size_t used;

	for (size_t i = 0; i < ELEMENTSOF(prefixes); i++) {
		const char *e;

		p = find(s, n, prefixes[i]);
		if (!p)
			continue;
		p += strlen(prefixes[i]);
		for (e = p; e < end && *e != ':' && *e != '\r'; e++)
			;
		if (e > p) {
			size_t an = msg_len(p, e);
			int r = ts_set_str(&t->alert, p, an, 64);

			if (r < 0)
				return r;
			/* "SSLV3_ALERT_HANDSHAKE_FAILURE" -> "handshake failure" */
			for (char *c = t->alert; *c; c++) {
				if (*c == '_')
					*c = ' ';
				else if (*c >= 'A' && *c <= 'Z')
					*c = (char)(*c - 'A' + 'a');
			}
			return 1;
		}
	}
	p = find(s, n, "SSL alert number ");
	if (p && ts_parse_uint(p + 17, (size_t)(end - p - 17), 255, &v, &used)) {
		for (size_t i = 0; i < ELEMENTSOF(numbers); i++)
			if (numbers[i].number == v && !t->alert)
				return ts_set_str(&t->alert, numbers[i].name,
				                  strlen(numbers[i].name), 64) < 0
				               ? -ENOMEM
				               : 1;
		return 1;
	}
	if (has(s, n, "alert handshake failure"))
		return ts_set_str_once(&t->alert, "handshake failure", 17, 64) < 0 ? -ENOMEM : 1;
	return 0;
}

/* The value after "s:" / "subject=", up to where a flattened output continues. */
static size_t subject_len(const char *p, const char *end)
{
	static const char *const stops[] = { " i:", " a:", " v:", " 1 s:", " ---", " issuer=" };
	size_t n = (size_t)(end - p);

	for (size_t i = 0; i < ELEMENTSOF(stops); i++) {
		const char *q = find(p, n, stops[i]);

		if (q)
			n = (size_t)(q - p);
	}
	return n;
}

static bool sclient_hello(struct sclient_state *sc, const char *s, size_t n);
static bool sclient_version(struct sclient_state *sc, const char *s, size_t n);

/* The leaf's issuer: the "i:" line after " 0 s:", or the first "issuer=". */
static bool sclient_issuer(struct sclient_state *sc, const char *s, size_t n)
{
	struct ts_tok tl = ts_trim(s, n);
	const char *p;
	bool leaf = text_starts_with(tl.p, tl.n, "0 s:") || has(s, n, " 0 s:");

	if (!sc->t.leaf_issuer[0]) {
		const char *v = NULL;

		if (sc->after_leaf && text_starts_with(tl.p, tl.n, "i:"))
			v = tl.p + 2;
		else if (leaf && (p = find(s, n, " i:")))
			v = p + 3; /* flattened */
		else if ((p = find(s, n, "issuer=")))
			v = p + 7;
		if (v) {
			size_t vn = subject_len(v, s + n);

			copy_tok(sc->t.leaf_issuer, sizeof(sc->t.leaf_issuer), ts_trim(v, vn));
			sc->after_leaf = false;
			return true;
		}
	}
	if (leaf)
		sc->after_leaf = true;
	else if (!text_starts_with(tl.p, tl.n, "a:") && !text_starts_with(tl.p, tl.n, "v:"))
		sc->after_leaf = false;
	return false;
}

/* "Start Time: 1554305653" of the SSL-Session block (seconds since the epoch, the
 * client's clock at the handshake), and OpenSSL 3's validity line under each chain
 * certificate, "v:NotBefore: Jun 20 16:17:11 2020 GMT; NotAfter: Sep 18 ... GMT"
 * (the first one, after " 0 s:", is the leaf's). */
static bool sclient_times(struct sclient_state *sc, const char *s, size_t n, unsigned lineno)
{
	struct sclient_trace *t = &sc->t;
	const char *p, *end = s + n;
	uint64_t v;
	size_t used;
	int64_t nb, na;

	if ((p = find(s, n, "Start Time: ")) &&
	    ts_parse_uint(p + 12, (size_t)(end - p - 12), UINT32_MAX, &v, &used)) {
		t->start_time = (int64_t)v;
		return true;
	}
	if (t->leaf_not_after_t || !(p = find(s, n, "v:NotBefore:")))
		return false;
	if (ts_parse_client_date(p + 12, (size_t)(end - p - 12), &nb) < 0)
		return false;
	p = find(p, (size_t)(end - p), "NotAfter:");
	if (!p || ts_parse_client_date(p + 9, (size_t)(end - p - 9), &na) < 0)
		return false;
	t->leaf_not_before_t = nb ? nb : 1;
	t->leaf_not_after_t = na ? na : 1;
	t->leaf_dates_line = lineno;
	return true;
}

static bool sclient_classify(struct client_scan *cs, const char *line, size_t len, const char *s,
                             size_t n, unsigned lineno, int *r)
{
	struct sclient_state *sc = &cs->sc;
	struct sclient_trace *t = &sc->t;
	const char *end = s + n, *p;
	bool seen = false;
	uint64_t v;
	size_t used;

	if ((p = find(s, n, "CONNECTED("))) {
		sc->connected = true;
		sclient_where(cs, WL_ANY, line, len, (size_t)(p - line), lineno, r);
		seen = true;
	}
	if ((p = find(s, n, "no peer certificate available"))) {
		t->no_peer_cert = true;
		sclient_where(cs, WL_NOCERT, line, len, (size_t)(p - line), lineno, r);
		seen = true;
	}
	if (has(s, n, "Certificate chain") || has(s, n, "Server certificate") ||
	    has(s, n, "-----BEGIN CERTIFICATE-----")) {
		t->got_cert = true;
		sclient_where(cs, WL_HANDSHAKE, line, len, (size_t)(s - line), lineno, r);
		seen = true;
	}
	p = find_number_word(s, n, "errno=104");
	if (!p)
		p = find_number_word(s, n, "errno=54");
	if (!p)
		p = find(s, n, "Connection reset");
	if (!p)
		p = find(s, n, "unexpected eof while reading");
	if (p) {
		t->reset = true;
		sclient_where(cs, WL_ERROR, line, len, (size_t)(p - line), lineno, r);
		seen = true;
	}
	if (*r >= 0) {
		int a = sclient_alert(t, s, n);

		if (a < 0)
			*r = a;
		else if (a > 0) {
			sclient_where(cs, WL_ERROR, line, len, (size_t)(s - line), lineno, r);
			seen = true;
		}
	}
	if ((p = find(s, n, "Verify return code: ")) &&
	    ts_parse_uint(p + 20, (size_t)(end - p - 20), 1000000, &v, &used)) {
		const char *q = p + 20 + used;

		t->verify_code = (int)v;
		if (q + 1 < end && q[0] == ' ' && q[1] == '(' && *r >= 0) {
			const char *close = memchr(q + 2, ')', (size_t)(end - q - 2));

			if (close) {
				free(t->verify_text);
				t->verify_text = NULL;
				*r = ts_set_str(&t->verify_text, q + 2, (size_t)(close - q - 2),
				                MSG_MAX);
			}
		}
		if (v != 0)
			sclient_where(cs, WL_STATUS, line, len, (size_t)(p - line), lineno, r);
		seen = true;
	}
	if ((p = find(s, n, "Verification error: ")) && *r >= 0) {
		*r = set_msg(&t->verify_text, p + 20, end);
		seen = true;
	}
	if (!t->leaf_subject && *r >= 0) {
		const char *v0 = NULL;

		if (text_starts_with(s, n, "0 s:"))
			v0 = s + 4;
		else if ((p = find(s, n, " 0 s:")))
			v0 = p + 5;
		else if ((p = find(s, n, "subject=")))
			v0 = p + 8;
		if (v0) {
			size_t vn = subject_len(v0, end);

			if (ts_trim(v0, vn).n)
				*r = ts_set_str(&t->leaf_subject, v0, vn, 512);
			seen = true;
		}
	}
	if (sclient_issuer(sc, s, n))
		seen = true;
	if (sclient_times(sc, s, n, lineno))
		seen = true;
	if (sclient_hello(sc, s, n))
		seen = true;
	if (sclient_version(sc, s, n))
		seen = true;
	/* printed only when the server sent a CertificateRequest */
	if (has(s, n, "Client Certificate Types:") ||
	    text_starts_with(s, n, "Requested Signature Algorithms:") ||
	    has(s, n, "Acceptable client certificate CA names")) {
		t->cert_requested = true;
		seen = true;
	}
	if (ts_tok_eq(ts_trim(s, n), "DONE") || ts_tok_eq(ts_trim(s, n), "closed"))
		sc->finished = true;
	return seen;
}

/* Signs of the s_client build: OpenSSL 1.0.x (its "ssl23_"/"s23_" functions and
 * files), a 1.0.x / 1.1.0 source path or version line. Those send no SNI without
 * -servername. And "SSL handshake has read N bytes". */
static bool sclient_version(struct sclient_state *sc, const char *s, size_t n)
{
	static const char *const old[] = { ":ssl23_",       ":SSL23_",       ":s23_",
		                           "openssl-1.0.",  "openssl-1.1.0", "OpenSSL 1.0.",
		                           "OpenSSL 1.1.0", "OpenSSL 0.9." };
	const char *p;
	uint64_t v;
	size_t used;

	for (size_t i = 0; i < ELEMENTSOF(old); i++)
		if (has(s, n, old[i])) {
			sc->old_openssl = true;
			break;
		}
	p = find(s, n, "SSL handshake has read ");
	if (p && ts_parse_uint(p + 23, (size_t)(s + n - p - 23), UINT32_MAX, &v, &used)) {
		sc->read_bytes = (size_t)v;
		return true;
	}
	return false;
}

/* OpenSSL 3.2+ "Connecting to 1.2.3.4" (not wget's "Connecting to h (h)|ip|:443... "). */
static bool sclient_connecting(const char *s, size_t n)
{
	const char *cur = s + 14, *end = s + n;
	struct ts_tok w;

	if (!text_starts_with(s, n, "Connecting to ") || !ts_next_token(&cur, end, &w) ||
	    memchr(w.p, '|', w.n) || has(w.p, w.n, ".."))
		return false;
	return !ts_next_token(&cur, end, &w) || ts_tok_starts(w, "CONNECTED(");
}

static unsigned hex_val(char c)
{
	return c >= '0' && c <= '9'   ? (unsigned)(c - '0')
	       : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10)
	                              : (unsigned)(c - 'A' + 10);
}

/* Does a ClientHello (handshake message, from its type byte) carry a server_name
 * extension? 1 yes, 0 no, -1 cut short or not a ClientHello. */
static int hello_has_sni(const unsigned char *h, size_t n)
{
	size_t i = 4 + 2 + 32, ext_end;

	if (n < i + 1 || h[0] != 1)
		return -1;
	i += 1 + h[i]; /* session id */
	if (i + 2 > n)
		return -1;
	i += 2 + ((size_t)h[i] << 8 | h[i + 1]); /* cipher suites */
	if (i + 1 > n)
		return -1;
	i += 1 + h[i]; /* compression methods */
	if (i == n)
		return 0; /* no extensions at all */
	if (i + 2 > n)
		return -1;
	ext_end = i + 2 + ((size_t)h[i] << 8 | h[i + 1]);
	if (ext_end > n)
		return -1;
	for (i += 2; i + 4 <= ext_end; i += 4 + ((size_t)h[i + 2] << 8 | h[i + 3]))
		if (h[i] == 0 && h[i + 1] == 0)
			return 1;
	return 0;
}

/* One line of an s_client -msg dump: ">>> ... ClientHello" opens it, lines of hex
 * byte pairs follow; at its end a ClientHello without server_name means the run
 * sent no SNI (LibreSSL, OpenSSL before 1.1.1 without -servername). */
static bool sclient_hello(struct sclient_state *sc, const char *s, size_t n)
{
	struct ts_tok t = ts_trim(s, n);
	const char *cur = t.p, *end = t.p + t.n;
	struct ts_tok w;
	bool hex = t.n > 0;

	if (has(s, n, ">>> ") && has(s, n, "ClientHello")) {
		sc->in_hello = true;
		sc->hello_n = 0;
		return true;
	}
	if (!sc->in_hello)
		return false;
	while (hex && ts_next_word(&cur, end, &w))
		if (w.n != 2 || !memchr("0123456789abcdefABCDEF", w.p[0], 22) ||
		    !memchr("0123456789abcdefABCDEF", w.p[1], 22))
			hex = false;
	if (hex) {
		cur = t.p;
		while (ts_next_word(&cur, end, &w) && sc->hello_n < sizeof(sc->hello))
			sc->hello[sc->hello_n++] =
			        (unsigned char)(hex_val(w.p[0]) << 4 | hex_val(w.p[1]));
		return true;
	}
	sc->in_hello = false;
	if (!sc->servername && hello_has_sni(sc->hello, sc->hello_n) == 0) {
		sc->t.noservername = true;
		sc->t.no_sni_why = "its ClientHello (-msg) has no server_name extension";
	}
	return false;
}

/* Lines that open an s_client output pasted without its CONNECTED(...) line. */
static bool sclient_fragment_start(const char *s, size_t n)
{
	return (text_starts_with(s, n, "depth=") && has(s, n, "verify")) ||
	       text_starts_with(s, n, "verify error:num=") ||
	       text_starts_with(s, n, "Certificate chain") ||
	       text_starts_with(s, n, "Verify return code: ") ||
	       text_starts_with(s, n, "SSL handshake has read ") ||
	       text_starts_with(s, n, "no peer certificate available");
}

static int sclient_line(struct client_scan *cs, const char *line, size_t len, unsigned lineno)
{
	struct sclient_state *sc = &cs->sc;
	struct ts_tok tl = ts_trim(line, len);
	const char *s = tl.p, *p;
	size_t n = tl.n;
	int r = 0;

	p = pfind(cs->tp, s, n, "s_client");
	if (p && p + 8 <= s + n && (p + 8 == s + n || p[8] == ' ' || p[8] == '\t') &&
	    (p == s || p[-1] == ' ' || p[-1] == '\t')) {
		r = sclient_begin(cs);
		if (r < 0)
			return r;
		r = sclient_parse_command(sc, p + 8, s + n);
		if (r < 0)
			return r;
		/* a flattened output may follow on the same line */
		if (sclient_classify(cs, line, len, p + 8, (size_t)(s + n - p - 8), lineno, &r))
			sc->evidence++;
		return r;
	}
	if (phas(cs->tp, s, n, "CONNECTED(") || sclient_connecting(s, n) ||
	    (!sc->active && sclient_fragment_start(s, n))) {
		if (!sc->active || sc->connected || sc->finished) {
			r = sclient_begin(cs);
			if (r < 0)
				return r;
		}
	} else if (!sc->active || sc->finished) {
		return 0;
	}
	if (other_command(s, n, cs->tp) || find_curl_command(s, n, cs->tp, &(size_t){ 0 })) {
		sc->finished = true;
		return 0;
	}
	if (sclient_classify(cs, line, len, s, n, lineno, &r)) {
		sc->evidence++;
		sc->idle = 0;
	} else if (n && ++sc->idle > SCLIENT_MAX_IDLE) {
		sc->finished = true;
	}
	return r;
}

/* ---- entry points ----------------------------------------------------------- */

int client_scan_new(struct bundle *b, const char *artifact, struct ts_kinds *kinds,
                    struct client_scan **ret)
{
	struct client_scan *cs = calloc(1, sizeof(*cs));

	if (!cs)
		return -ENOMEM;
	cs->b = b;
	cs->artifact = artifact;
	cs->kinds = kinds;
	cs->curl.t.exit_code = -1;
	cs->sc.t.verify_code = -1;
	*ret = cs;
	return 0;
}

/* curl --trace / --trace-ascii (and libcurl tools that log the same way) write
 * "== Info: TEXT" for what -v shows as "* TEXT", and received header data as
 * "0000: HTTP/1.1 503 ..." under "<= Recv header": rewrite to the -v form. */
static bool trace_line(const char *line, size_t len, char *buf, size_t size, size_t *ret_len)
{
	size_t skip = 0;
	const char *prefix = NULL;

	if (text_starts_with(line, len, "== Info: ")) {
		skip = 9;
		prefix = "* ";
	} else if (len > 6 && line[4] == ':' && line[5] == ' ') {
		for (size_t i = 0; i < 4; i++)
			if (!memchr("0123456789abcdef", line[i], 16) || !line[i])
				return false;
		skip = 6;
		prefix = "< ";
	} else {
		return false;
	}
	if (len - skip + 2 >= size)
		return false;
	memcpy(buf, prefix, 2);
	memcpy(buf + 2, line + skip, len - skip);
	*ret_len = len - skip + 2;
	buf[*ret_len] = '\0';
	return true;
}

int client_scan_line(struct client_scan *cs, const char *line, size_t len, unsigned lineno,
                     const struct text_pairs *tp)
{
	char buf[4096];
	struct text_pairs rewritten;
	size_t blen;
	int r;

	if (trace_line(line, len, buf, sizeof(buf), &blen)) {
		line = buf;
		len = blen;
		text_pairs_init(&rewritten, line, len);
		tp = &rewritten;
	}
	cs->tp = tp;
	r = curl_line(cs, line, len, lineno);
	if (r >= 0)
		r = sclient_line(cs, line, len, lineno);
	cs->tp = NULL;
	return r;
}

int client_scan_end(struct client_scan *cs)
{
	int r = curl_flush(cs);
	int r2 = sclient_flush(cs);

	return r < 0 ? r : r2;
}

void client_scan_free(struct client_scan *cs)
{
	if (!cs)
		return;
	free_curl_trace(&cs->curl.t);
	free_sclient_trace(&cs->sc.t);
	free(cs->sx);
	free(cs);
}
