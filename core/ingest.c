/* SPDX-License-Identifier: Apache-2.0 */
/* Ingest: decide what a member is from its first bytes, then parse it as a
 * document or scan it line by line. */
#include "ingest.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "bundle.h"
#include "capture.h"
#include "cleanup.h"
#include "error.h"
#include "text.h"
#include "textscan.h"
#include "utf16.h"
#include "yamljson.h"
#include "banned.h"

/* JSON documents from this size on are first offered to the list skim */
#define INGEST_LIST_SKIM_BYTES 2048

enum ingest_mode {
	MODE_SNIFF = 0,
	MODE_DOC,
	MODE_LINES,
	MODE_BINARY,
	MODE_CAPTURE, /* pcap / pcapng: streamed to capture.c */
};

enum doc_type {
	DOC_JSON = 0,
	DOC_YAML,
	DOC_PEM,
	DOC_DER,
};

struct ingest {
	struct bundle *b;
	/* UTF-16 with a byte order mark is decoded to UTF-8 before anything looks */
	struct utf16_dec dec;
	size_t ai;
	enum ingest_mode mode;
	enum doc_type doc;
	bool pem_inside; /* a JSON/YAML document with "-----BEGIN " in it */
	struct buf buf;
	struct textscan *ts;
	struct capture *cap;
	enum capture_format cap_fmt;
	struct buf line;
	bool line_overflow;
	unsigned lineno;
	uint64_t cut_lines;
};

static struct artifact *ingest_artifact(struct ingest *in)
{
	return &in->b->artifacts[in->ai];
}

int ingest_begin(struct bundle *b, size_t artifact_index, struct ingest **ret)
{
	struct ingest *in = calloc(1, sizeof(*in));

	if (!in)
		return -ENOMEM;
	in->b = b;
	in->ai = artifact_index;
	buf_init(&in->buf, BUNDLE_MAX_DOC_BYTES);
	buf_init(&in->line, BUNDLE_MAX_LINE_BYTES);
	*ret = in;
	return 0;
}

void ingest_free(struct ingest *in)
{
	if (!in)
		return;
	textscan_free(in->ts);
	capture_free(in->cap);
	buf_release(&in->buf);
	buf_release(&in->line);
	free(in);
}

static void artifact_fail(struct artifact *a, unsigned line, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static void artifact_fail(struct artifact *a, unsigned line, const char *fmt, ...)
{
	struct buf m = BUF_INIT;
	va_list ap;

	a->failed = true;
	if (a->error)
		return; /* keep the first */
	va_start(ap, fmt);
	if (buf_vprintf(&m, fmt, ap) == 0)
		a->error = buf_detach(&m, NULL);
	va_end(ap);
	buf_release(&m);
	a->error_line = line;
}

/* What a broken document was probably meant to be, from keywords. */
static unsigned guess_hints(const char *d, size_t n)
{
	static const struct {
		const char *word;
		unsigned hint;
	} words[] = {
		{ "ApigeeRoute", HINT_ROUTES },
		{ "apigeeroute", HINT_ROUTES },
		{ "virtualhosts", HINT_OVERRIDES },
		{ "instanceID", HINT_OVERRIDES },
		{ "Secret", HINT_SECRETS },
		{ "sni_host", HINT_ACCESS_LOG },
		{ "status_details", HINT_ACCESS_LOG },
		{ "watcher", HINT_WATCHER },
		{ "CERTIFICATE", HINT_CERT },
		{ "PRIVATE KEY", HINT_CERT },
		{ "apigee-bundle/probes", HINT_PROBES },
		{ "environmentGroups", HINT_API },
		{ "\"instances\"", HINT_API },
		{ "attachments", HINT_API },
		{ "runtimeType", HINT_API },
		{ "curl", HINT_CURL },
	};
	unsigned h = 0;

	if (n > INGEST_SNIFF_BYTES)
		n = INGEST_SNIFF_BYTES;
	for (size_t i = 0; i < ELEMENTSOF(words); i++)
		if (text_find(d, n, words[i].word))
			h |= words[i].hint;
	return h;
}

/* ---- line mode --------------------------------------------------------------- */

static int lines_start(struct ingest *in)
{
	if (in->ts)
		return 0;
	return textscan_begin(in->b, ingest_artifact(in)->path, &in->ts);
}

static int line_emit(struct ingest *in, const char *s, size_t n)
{
	in->lineno++;
	return textscan_line(in->ts, s, n, in->lineno);
}

static int lines_feed(struct ingest *in, const char *data, size_t len)
{
	while (len) {
		const char *nl = memchr(data, '\n', len);
		size_t n = nl ? (size_t)(nl - data) : len;
		int r;

		if (in->line_overflow) {
			/* the rest of an over-long line: drop it */
		} else if (nl && in->line.len == 0) {
			r = line_emit(in, data, n);
			if (r < 0)
				return r;
		} else {
			size_t room = BUNDLE_MAX_LINE_BYTES - in->line.len;

			if (n > room) {
				buf_append(&in->line, data, room);
				in->line_overflow = true;
				in->cut_lines++;
			} else if (buf_append(&in->line, data, n) < 0) {
				return -ENOMEM;
			}
		}
		if (!nl)
			break;
		if (in->line.len || (in->line_overflow && in->line.data)) {
			r = line_emit(in, in->line.data ? in->line.data : "", in->line.len);
			if (r < 0)
				return r;
		}
		buf_reset(&in->line);
		in->line_overflow = false;
		data = nl + 1;
		len -= n + 1;
	}
	return 0;
}

static int lines_finish(struct ingest *in)
{
	struct artifact *a = ingest_artifact(in);
	int r = 0;

	if (!in->ts)
		return 0;
	if (in->line.len)
		r = line_emit(in, in->line.data, in->line.len);
	buf_reset(&in->line);
	if (r == 0)
		r = textscan_end(in->ts, a);
	else
		textscan_free(in->ts);
	in->ts = NULL;
	a->lines = in->lineno;
	return r;
}

/* Scan a whole buffer as text; true when the scanners recognised something. */
static int scan_buffer(struct ingest *in, const char *data, size_t len, bool *ret_recognised)
{
	struct artifact *a = ingest_artifact(in);
	enum artifact_kind before = a->kind;
	int r;

	in->lineno = 0;
	r = lines_start(in);
	if (r < 0)
		return r;
	r = lines_feed(in, data, len);
	if (r < 0)
		return r;
	r = lines_finish(in);
	if (r < 0)
		return r;
	a = ingest_artifact(in);
	*ret_recognised = a->kind != ART_TEXT && a->kind != ART_UNKNOWN;
	if (!*ret_recognised && before != ART_UNKNOWN)
		a->kind = before;
	return 0;
}

/* ---- deciding ------------------------------------------------------------------ */

static bool looks_binary(const char *d, size_t n)
{
	size_t ctrl = 0;

	if (n > 4096)
		n = 4096;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)d[i];

		if (c == 0)
			return true;
		if (c < 0x20 && c != '\n' && c != '\r' && c != '\t' && c != '\f' && c != 0x1b)
			ctrl++;
	}
	return n && ctrl * 10 > n;
}

static const char *skip_bom_ws(const char *d, size_t n, size_t *ret_n)
{
	if (n >= 3 && memcmp(d, "\xef\xbb\xbf", 3) == 0) {
		d += 3;
		n -= 3;
	}
	while (n && (*d == ' ' || *d == '\t' || *d == '\r' || *d == '\n')) {
		d++;
		n--;
	}
	*ret_n = n;
	return d;
}

/* A YAML document: a top-level "key:" line (or "---") among the first lines. */
static bool looks_yaml(const char *d, size_t n)
{
	size_t seen = 0;

	while (n && seen < 20) {
		const char *nl = memchr(d, '\n', n);
		size_t ll = nl ? (size_t)(nl - d) : n;
		size_t tl;
		const char *t = text_trim(d, ll, &tl);

		if (tl && t[0] != '#') {
			size_t k = 0;

			seen++;
			if (text_starts_with(t, tl, "---") || text_starts_with(t, tl, "%YAML"))
				return true;
			if (d[0] != ' ' && d[0] != '\t') {
				while (k < tl && (t[k] == '_' || t[k] == '-' || t[k] == '.' ||
				                  (t[k] >= 'a' && t[k] <= 'z') ||
				                  (t[k] >= 'A' && t[k] <= 'Z') ||
				                  (t[k] >= '0' && t[k] <= '9')))
					k++;
				if (k && k < tl && t[k] == ':' && (k + 1 == tl || t[k + 1] == ' '))
					return true;
				return false;
			}
		}
		if (!nl)
			break;
		n -= ll + 1;
		d = nl + 1;
	}
	return false;
}

/* JSON document vs JSON lines vs text starting with '[' or '{'. */
static enum ingest_mode decide_json(const char *d, size_t n, bool complete)
{
	const char *nl = memchr(d, '\n', n);
	size_t ll = nl ? (size_t)(nl - d) : n;
	size_t tl, rest_n;
	const char *t = text_trim(d, ll, &tl);
	json_t *v;

	if (!nl)
		return MODE_DOC;
	v = json_loadb(t, tl, JSON_DECODE_ANY, NULL);
	if (v) {
		json_decref(v);
		skip_bom_ws(nl + 1, n - ll - 1, &rest_n);
		return rest_n ? MODE_LINES : MODE_DOC;
	}
	if (tl <= 2)
		return MODE_DOC;
	if (complete) {
		v = json_loadb(d, n, JSON_DECODE_ANY, NULL);
		if (v) {
			json_decref(v);
			return MODE_DOC;
		}
	}
	return MODE_LINES;
}

static bool name_ends(const char *path, const char *suffix)
{
	size_t pl = strlen(path), sl = strlen(suffix);

	return pl >= sl && strcasecmp(path + pl - sl, suffix) == 0;
}

/* Binary junk under a name that promises evidence (overrides.yaml, a .pem/.crt/.key
 * file, a .json listing): a failed member, named in the report's warnings and in
 * the error verdicts of the checks that wanted it, never silently dropped. */
static void binary_named_like_evidence(struct artifact *a)
{
	static const struct {
		const char *suffix;
		unsigned hint;
		const char *what;
	} names[] = {
		{ ".yaml", HINT_OVERRIDES, "YAML" }, { ".yml", HINT_OVERRIDES, "YAML" },
		{ ".pem", HINT_CERT, "PEM" },        { ".crt", HINT_CERT, "a certificate" },
		{ ".key", HINT_CERT, "a key" },      { ".json", HINT_ROUTES, "JSON" },
	};

	if (!a->path)
		return;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (name_ends(a->path, names[i].suffix)) {
			a->hints |= names[i].hint;
			artifact_fail(a, 0, "binary content where %s was expected", names[i].what);
			return;
		}
}

static void decide(struct ingest *in, bool complete)
{
	struct artifact *a = ingest_artifact(in);
	size_t n;
	const char *d = skip_bom_ws(in->buf.data ? in->buf.data : "", in->buf.len, &n);

	if (in->buf.len == 0) {
		in->mode = MODE_DOC;
		in->doc = DOC_JSON;
		return;
	}
	in->cap_fmt = capture_sniff(in->buf.data, in->buf.len);
	if (in->cap_fmt != CAPTURE_NONE) {
		in->mode = MODE_CAPTURE;
		a->kind = ART_CAPTURE;
		return;
	}
	if (looks_binary(in->buf.data, in->buf.len)) {
		unsigned char c0 = (unsigned char)in->buf.data[0];

		if (c0 == 0x30) {
			in->mode = MODE_DOC;
			in->doc = DOC_DER;
		} else {
			in->mode = MODE_BINARY;
			a->kind = ART_BINARY;
			binary_named_like_evidence(a);
		}
		return;
	}
	/* PEM inside a JSON or YAML document (ssl-certificates "certificate", an inline
	 * block scalar) is judged from the parsed value; the raw text goes to the PEM
	 * reader only when the document is not one we recognise */
	in->pem_inside = text_find(d, n, "-----BEGIN ") != NULL;
	if (n && (d[0] == '{' || d[0] == '[')) {
		in->mode = decide_json(d, n, complete);
		in->doc = DOC_JSON;
		if (in->mode == MODE_DOC || !in->pem_inside)
			return;
	} else if (looks_yaml(d, n)) {
		in->mode = MODE_DOC;
		in->doc = DOC_YAML;
		return;
	}
	if (in->pem_inside) {
		in->mode = MODE_DOC;
		in->doc = DOC_PEM;
		return;
	}
	in->mode = MODE_LINES;
}

/* Leave document mode: scan what was buffered as lines and go on in line mode. */
static int doc_to_lines(struct ingest *in)
{
	int r = lines_start(in);

	if (r < 0)
		return r;
	r = lines_feed(in, in->buf.data ? in->buf.data : "", in->buf.len);
	buf_release(&in->buf);
	buf_init(&in->buf, BUNDLE_MAX_DOC_BYTES);
	in->mode = MODE_LINES;
	return r;
}

/* Start the capture reader with what was sniffed. */
static int capture_start(struct ingest *in)
{
	int r = capture_begin(in->b, in->ai, in->cap_fmt, &in->cap);

	if (r < 0)
		return r;
	r = capture_feed(in->cap, in->buf.data, in->buf.len);
	buf_release(&in->buf);
	return r;
}

static int feed_utf8(struct ingest *in, const void *data, size_t len);

static int feed_decoded(void *userdata, const void *data, size_t len)
{
	return feed_utf8(userdata, data, len);
}

int ingest_feed(struct ingest *in, const void *data, size_t len)
{
	ingest_artifact(in)->size += len;
	return utf16_feed(&in->dec, data, len, feed_decoded, in);
}

static int feed_utf8(struct ingest *in, const void *data, size_t len)
{
	int r;

	switch (in->mode) {
	case MODE_SNIFF:
		if (buf_append(&in->buf, data, len) < 0)
			return -ENOMEM;
		if (in->buf.len < INGEST_SNIFF_BYTES)
			return 0;
		decide(in, false);
		if (in->mode == MODE_LINES)
			return doc_to_lines(in);
		if (in->mode == MODE_BINARY)
			buf_release(&in->buf);
		if (in->mode == MODE_CAPTURE)
			return capture_start(in);
		return 0;
	case MODE_DOC:
		r = buf_append(&in->buf, data, len);
		if (r == -ERANGE) {
			/* too big for a document: it is a log or a listing, scan it */
			r = doc_to_lines(in);
			if (r < 0)
				return r;
			return lines_feed(in, data, len);
		}
		return r;
	case MODE_LINES:
		return lines_feed(in, data, len);
	case MODE_BINARY:
		return 0;
	case MODE_CAPTURE:
		return capture_feed(in->cap, data, len);
	}
	return 0;
}

/* A find-or-add helper returns NULL both when memory runs out and when a model
 * cap is reached; the structured readers report both as -ENOMEM. A cap is not a
 * failure of the input: keep what was read (bundle_open's caller reports the cap). */
static int cap_is_not_fatal(const struct bundle *b, int r)
{
	return r == -ENOMEM && b->model_capped ? 1 : r;
}

/* ---- documents ------------------------------------------------------------------ */

static int doc_pem(struct ingest *in);

static int doc_json(struct ingest *in)
{
	struct artifact *a = ingest_artifact(in);
	json_error_t jerr;
	json_t *v;
	bool recognised = false;
	int r;

	if (in->buf.len >= INGEST_LIST_SKIM_BYTES) {
		/* a big Kubernetes list (events...): skimmed, not parsed whole */
		r = cap_is_not_fatal(in->b, ingest_json_list(in->b, a, in->buf.data, in->buf.len));
		if (r != 0)
			return r < 0 ? r : 0;
	}
	v = json_loadb(in->buf.data ? in->buf.data : "", in->buf.len,
	               JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
	if (v) {
		r = cap_is_not_fatal(in->b, ingest_json_value(in->b, a, v, "", 0));
		json_decref(v);
		if (r < 0)
			return r;
		if (r > 0)
			return 0;
		if (in->pem_inside)
			return doc_pem(in);
		/* valid JSON but not a shape we know: maybe a single access-log line */
		r = scan_buffer(in, in->buf.data ? in->buf.data : "", in->buf.len, &recognised);
		if (r < 0)
			return r;
		a = ingest_artifact(in);
		if (!recognised && a->kind == ART_TEXT)
			a->kind = ART_UNKNOWN;
		return 0;
	}
	if (in->pem_inside)
		return doc_pem(in);
	r = scan_buffer(in, in->buf.data ? in->buf.data : "", in->buf.len, &recognised);
	if (r < 0)
		return r;
	a = ingest_artifact(in);
	if (!recognised) {
		a->hints |= guess_hints(in->buf.data ? in->buf.data : "", in->buf.len);
		if (in->buf.len == 0)
			artifact_fail(a, 0, "empty file");
		else
			artifact_fail(a, (unsigned)jerr.line,
			              "invalid JSON at line %d, column %d: %s", jerr.line,
			              jerr.column, jerr.text);
	}
	return 0;
}

static int doc_yaml(struct ingest *in)
{
	struct artifact *a = ingest_artifact(in);
	struct error err = ERROR_INIT;
	json_t *docs = NULL;
	bool any = false, recognised = false;
	int r;

	r = yamljson_parse((const uint8_t *)(in->buf.data ? in->buf.data : ""), in->buf.len,
	                   a->path, &docs, &err);
	if (r == -ENOMEM)
		return r;
	if (r == 0) {
		size_t i;
		json_t *d;

		json_array_foreach(docs, i, d)
		{
			char ptr[32] = "";

			if (json_array_size(docs) > 1)
				snprintf(ptr, sizeof(ptr), "#%zu", i);
			r = cap_is_not_fatal(
			        in->b, ingest_json_value(in->b, ingest_artifact(in), d, ptr, 0));
			if (r < 0) {
				json_decref(docs);
				return r;
			}
			any |= r > 0;
		}
		json_decref(docs);
		if (any)
			return 0;
	}
	if (in->pem_inside)
		return doc_pem(in);
	r = scan_buffer(in, in->buf.data ? in->buf.data : "", in->buf.len, &recognised);
	if (r < 0)
		return r;
	a = ingest_artifact(in);
	if (!recognised && err.code) {
		a->hints |= guess_hints(in->buf.data ? in->buf.data : "", in->buf.len);
		if (a->hints)
			artifact_fail(a, err.line, "%s", err.message);
	}
	return 0;
}

static int doc_pem(struct ingest *in)
{
	struct artifact *a = ingest_artifact(in);
	bool recognised = false;
	int r;

	r = cap_is_not_fatal(in->b,
	                     ingest_pem(in->b, a, in->buf.data ? in->buf.data : "", in->buf.len));
	if (r < 0)
		return r;
	if (in->doc == DOC_DER)
		return 0;
	/* a transcript (s_client -showcerts, curl -v) may carry PEM blocks too */
	return scan_buffer(in, in->buf.data, in->buf.len, &recognised);
}

int ingest_end(struct ingest *in)
{
	struct artifact *a = ingest_artifact(in);
	int r = 0;

	r = utf16_end(&in->dec, feed_decoded, in);
	if (r < 0)
		return r;

	if (in->mode == MODE_SNIFF) {
		decide(in, true);
		if (in->mode == MODE_LINES) {
			r = doc_to_lines(in);
			if (r < 0)
				return r;
		}
		if (in->mode == MODE_CAPTURE) {
			r = capture_start(in);
			if (r < 0)
				return r;
		}
	}
	switch (in->mode) {
	case MODE_DOC:
		if (in->buf.len == 0) {
			a->kind = ART_TEXT;
			a->failed = true;
			a->error = strdup("empty file");
			return 0;
		}
		if (in->doc == DOC_JSON)
			r = doc_json(in);
		else if (in->doc == DOC_YAML)
			r = doc_yaml(in);
		else
			r = doc_pem(in);
		break;
	case MODE_LINES:
		r = lines_finish(in);
		break;
	case MODE_CAPTURE:
		r = capture_end(in->cap);
		in->cap = NULL;
		break;
	case MODE_BINARY:
	case MODE_SNIFF:
		break;
	}
	a = ingest_artifact(in);
	if (in->cut_lines && !a->error) {
		struct buf m = BUF_INIT;

		if (buf_printf(&m, "%llu line(s) longer than %u bytes were cut",
		               (unsigned long long)in->cut_lines, BUNDLE_MAX_LINE_BYTES) == 0)
			a->error = buf_detach(&m, NULL);
	}
	return r;
}
