/* SPDX-License-Identifier: Apache-2.0 */
/* Internals shared by the files of the redaction engine (not for other parts).
 *
 * A member goes through one struct redact_stream. The stream splits the bytes
 * into lines (at most REDACT_LINE_MAX bytes; a longer line is cut into pieces at
 * a delimiter, and a run without any delimiter longer than REDACT_TOKEN_MAX is
 * replaced whole), and each line or piece goes through the stages in order:
 *
 *   1. PEM blocks (rules_text.c): private key blocks become one marker line;
 *      certificates are dropped when pseudonymizing;
 *   2. structure: the YAML key-path pass (rules_yaml.c) for YAML members, the
 *      JSON tokenizer (rules_json.c) for everything else -- it finds JSON values
 *      anywhere in text, log lines with prefixes included;
 *   3. line rules (rules_text.c): HTTP headers, credential key=value / key: value,
 *      query parameters and value shapes (JWT, ya29., API keys, base64 keys...);
 *   4. user rules (userrules.c): literals and regexes;
 *   5. pseudonymization (pseudo.c) when asked.
 *
 * Every stage copies the line into an output buffer, replacing what it removes by
 * a marker "<redacted:XXXXXXXX>" (redact_marker()) and counting the rule. Markers
 * written by an earlier stage are skipped by the later ones. */
#ifndef REDACT_REDACT_INTERNAL_H
#define REDACT_REDACT_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "redact.h"
#include "utf16.h"

struct error;
struct json_t;
struct evp_mac_ctx_st;

#define REDACT_LINE_MAX (1u << 20)    /* a longer line is handled in pieces */
#define REDACT_TOKEN_MAX (64u << 10)  /* a longer run without delimiter is replaced */
#define REDACT_SNIFF_MAX (64u << 10)  /* bytes looked at to choose YAML or text */
#define REDACT_PEMFILE_MAX (4u << 20) /* PEM files turned into facts up to this size */
#define REDACT_KEY_MAX 96             /* member names / YAML keys kept for paths */
#define REDACT_DEPTH_MAX 128          /* JSON / YAML nesting tracked */
#define REDACT_MARKER "<redacted:"
#define REDACT_MARKER_LEN 10
#define REDACT_MARKER_FULL 19 /* "<redacted:12345678>" */

/* The built-in rules, in the order of redaction.json. */
enum rule_id {
	RULE_PEM_PRIVATE_KEY = 0,
	RULE_BASE64_PRIVATE_KEY,
	RULE_SECRET_DATA,
	RULE_YAML_KEY,
	RULE_JSON_MEMBER,
	RULE_LAST_APPLIED,
	RULE_HTTP_HEADER,
	RULE_CREDENTIAL_KV,
	RULE_QUERY_PARAM,
	RULE_CLI_FLAG,
	RULE_GCP_ACCESS_TOKEN,
	RULE_JWT,
	RULE_GOOGLE_API_KEY,
	RULE_AWS_ACCESS_KEY,
	RULE_BASE64_SA_JSON,
	RULE_HIGH_ENTROPY,
	RULE_LONG_TOKEN,
	RULE_NAMED_VALUE,      /* {"name": "DB_PASSWORD", "value": "…"}: env, KVM, HAR */
	RULE_CMDLINE_PASSWORD, /* -storepass V, -pw V, mysql -pV, -passout pass:V */
	RULE_SQL_PASSWORD,     /* IDENTIFIED BY '…', PASSWORD '…' */
	RULE_FILE_FORMAT,      /* .netrc, .pgpass, jmxremote.password */
	RULE_XML_ELEMENT,      /* <Password>…</Password>, <Header name="Authorization"> */
	RULE_JWK_PRIVATE,      /* d, p, q, dp, dq, qi, k of a JWK */
	RULE_GITHUB_TOKEN,
	RULE_SLACK_TOKEN,
	RULE_SLACK_WEBHOOK,
	RULE_STRIPE_KEY,
	RULE_SENDGRID_KEY,
	RULE_WRAPPED_TOKEN, /* the rest of a secret wrapped onto the next line */
	RULE_MEMBER_NAME,   /* a credential in a member (file or folder) name */
	RULE_CERT_DROPPED,
	RULE_PSEUDO_IP,
	RULE_PSEUDO_HOST,
	RULE_PSEUDO_EMAIL,
	RULE_PSEUDO_NAME,
	RULE_PSEUDO_DN,
	RULE_PSEUDO_FINGERPRINT,
	RULE_DER_PRIVATE_KEY, /* DER / PKCS#12 member: dropped whole */
	RULE_BASE64_GZIP,     /* base64 of gzip (ConfigMap binaryData) holding secrets */
	RULE_VENDOR_TOKEN,    /* a token prefix with a public format (glpat-, npm_, hvs., ...) */
	RULE__BUILTIN_MAX,
	RULE__INVALID = -22,
};

struct rule_def {
	const char *name;
	const char *kind; /* "value-shape", "yaml-key", "json-member", "header", ... */
};

extern const struct rule_def redact_builtin_rules[RULE__BUILTIN_MAX];

/* ---- key classes (shared by the YAML and JSON passes and the line rules) ---- */

enum key_class {
	KEY_PLAIN = 0, /* nothing special */
	KEY_SECRET,    /* the value is always a credential */
	KEY_AUTH,      /* an Authorization-like header: keep the scheme word */
	KEY_CONTEXT,   /* a credential context: redact high-entropy values */
	KEY_REF,       /* names a secret or a file (…Path, …Ref, …Name): keep */
};

/* json: JSON member names ("secret" is always a credential there; in YAML it is
 * the name of a Kubernetes Secret). */
enum key_class redact_key_class(const char *key, size_t len, bool json);
/* The same through the stream's cache (member names repeat on every log line). */
enum key_class stream_key_class(struct redact_stream *s, const char *key, size_t len, bool json);
bool redact_key_eq_ci(const char *key, size_t len, const char *word);
/* A value that looks like a random secret: long, base64/hex-ish, mixed classes. */
bool redact_high_entropy(const char *v, size_t n);
/* A value that need not be redacted even under a credential key: empty, a
 * marker, null/true/false, "-", a shell variable reference. */
bool redact_value_is_harmless(const char *v, size_t n);
/* A value under a credential-context key (KEY_CONTEXT) that is a secret: random
 * looking, or a "user:password" pair. */
bool redact_context_value(const char *v, size_t n);
/* The class of a key given as a value ({"name": "DB_PASSWORD", "value": …},
 * <Entry name="db_password">): the key vocabulary of redact_key_class(). */
enum key_class redact_name_class(const char *name, size_t len);
/* A JWK private member name (d, p, q, dp, dq, qi, k). */
bool redact_jwk_private_member(const char *key, size_t len);

/* Member names: credentials in path components ("token=ghp_…", "password-Hunter2")
 * become "redacted-XXXXXXXX"; *ret_hits counts them (rules_text.c). */
int redact_name_secrets(struct redactor *r, const char *in, size_t n, struct buf *out,
                        unsigned *ret_hits);

/* What a member is, by its name: formats with their own credential lines. */
enum member_format {
	FMT_NONE = 0,
	FMT_NETRC,
	FMT_PGPASS,
	FMT_JMXPASS,
	FMT_PROPERTIES, /* .properties, .env, .ini, .conf, .cfg, .cnf: values to the end */
};
enum member_format redact_member_format(const char *member);

/* ---- user rules (userrules.c) ------------------------------------------------ */

enum user_rule_kind {
	USER_RULE_LITERAL = 0,
	USER_RULE_REGEX,
	USER_RULE_KEY_PATH,
	USER_RULE__MAX,
	USER_RULE__INVALID = -22,
};

struct user_rules;

/* Parse and validate a rules file (YAML or JSON). */
int user_rules_parse(const uint8_t *data, size_t len, const char *source, struct user_rules **ret,
                     struct error *err);
void user_rules_free(struct user_rules *u);
size_t user_rules_count(const struct user_rules *u);
const char *user_rules_name(const struct user_rules *u, size_t i);
enum user_rule_kind user_rules_kind(const struct user_rules *u, size_t i);
bool user_rules_have_key_paths(const struct user_rules *u);
/* Which key-path rule (index) matches path[0..n) (outermost first), or -1. */
int user_rules_match_path(const struct user_rules *u, const char *const *path, const size_t *lens,
                          size_t n);

/* ---- pseudonymization (pseudo.c) ----------------------------------------------- */

struct pseudo;

int pseudo_new(const char *map_file, struct pseudo **ret, struct error *err);
void pseudo_free(struct pseudo *p);
int pseudo_add_name(struct pseudo *p, const char *category, const char *value);
int pseudo_save(struct pseudo *p, const char *map_file, struct error *err);

/* ---- the redactor and its streams ------------------------------------------ */

struct redactor {
	struct redact_options opts;
	char *rules_file;
	char *map_file;
	int disabled_rule;          /* enum rule_id or -1 */
	struct evp_mac_ctx_st *mac; /* HMAC-SHA256 keyed with the run key (template) */
	struct user_rules *user;
	struct pseudo *pseudo;
	size_t n_rules; /* built-in + user */

	pthread_mutex_t lock;  /* guards what follows and the pseudonym map */
	struct json_t *counts; /* array: per rule an object {member: count} */
	uint64_t dropped_certificates;
	struct redact_side *side; /* members made beside others (pcap_redact.c) */
	/* packet captures (pcap_redact.c): what was cut, for redaction.json, and why a
	 * capture was refused, for the caller's message */
	uint64_t captures, capture_frames_cut, capture_bytes_cut;
	struct redact_why *why;
};

/* Free what redactor_take_side() was not asked for (pcap_redact.c). */
void redactor_free_sides(struct redactor *r);

struct json_state;
struct yaml_state;
struct pcap_redact;
struct redact_side;
struct redact_why;
struct kindscan;

enum stream_mode {
	STREAM_SNIFF = 0,
	STREAM_TEXT, /* text and JSON (the JSON tokenizer finds values in text) */
	STREAM_YAML,
	STREAM_PEMFILE, /* a PEM file held whole: becomes a facts document (pemfile.c) */
	STREAM_CAPTURE, /* a packet capture: rewritten whole (pcap_redact.c) */
};

/* What the current piece of a line is. */
struct piece {
	bool partial; /* the line goes on in the next piece */
	bool cont;    /* this piece continues a line */
};

/* A running HMAC of a value that spans lines (PEM blocks, YAML block scalars). */
struct redact_mac {
	struct evp_mac_ctx_st *ctx;
};

struct redact_stream {
	struct redactor *r;
	char *member;     /* as given */
	char *out_member; /* as written (pseudonymized) */
	enum stream_mode mode;
	struct utf16_dec dec; /* UTF-16 members are redacted as UTF-8 */
	bool dry_run;
	uint64_t *counts; /* per rule, this member */
	uint64_t dropped_certificates;
	uint64_t lineno;

	struct buf line;  /* the line being collected */
	struct buf sniff; /* first bytes, to choose the mode; a whole PEM file */
	struct buf a, b;  /* stage buffers */
	bool last_was_partial;

	/* a run without delimiter longer than REDACT_TOKEN_MAX */
	bool long_run;
	struct redact_mac long_mac;

	/* stage 1: PEM block state */
	int pem_state; /* 0 none, 1 private key, 2 certificate (dropped) */
	struct redact_mac pem_mac;
	struct buf pem_prefix;
	struct buf pem_body; /* a certificate block being dropped (pseudonymizing): its text */
	bool pem_body_over;  /* ... longer than PEM_BODY_MAX: a marker only */
	uint64_t pem_lines;
	unsigned pem_junk;

	/* stage 2 */
	struct json_state *json;
	struct yaml_state *yaml;
	size_t kv_skip; /* line rules: the ':' at this offset + 1 was handled (0 = none) */

	/* stage 3: a header value or quoted value goes on in the next piece */
	bool eol_redact;
	bool b64_key_cont; /* the lines after a base64 private key that are base64 */
	bool drop_line;    /* stage 3 removed the whole line (and its line break) */
	enum member_format fmt;
	bool flag_pending;    /* a password flag ended the line: its value is next */
	bool print_pending;   /* a command that prints a secret: its output is next */
	int xml_pending;      /* lines left in which an XML text value is a credential */
	int xml_pending_cls;  /* enum key_class of that value */
	int name_pending;     /* lines in which a "value" key holds a named credential */
	int name_pending_cls; /* enum key_class of that name */
	/* base64 of a PEM bundle wrapped over lines: the decoded tail of the last
	 * line, to find a key that follows the certificates */
	bool b64_pem_wrap;
	uint8_t b64_tail_n;
	unsigned char b64_tail[16];
	/* an AWS access key id was seen: its secret key may follow on this line or
	 * the next (lines left) */
	uint8_t aws_hunt;
	/* PuTTY key file: "Private-Lines: N" lines left */
	uint8_t ppk_lines;
	/* a value wrapped over lines: the width of the line it began on (the line
	 * as read), and whether it is a header value that may hold blanks */
	uint32_t raw_len; /* the current line as read */
	uint32_t wrap_width;
	uint8_t wrap_kind; /* 0 a token, 1 a header value, 2 a Set-Cookie value */
	/* the last short word of a wide line that may begin a vendor token ("glp" of
	 * "glpat-…", "sk-ab"): the next line may hold the rest of the token */
	uint8_t vendor_tail_len;
	char vendor_tail[15];
	/* curl --trace hex dump: where the bytes are in the header being dumped */
	uint8_t trace_state; /* enum in rules_text.c */
	uint8_t trace_name_len;
	char trace_name[64];

	/* the member's first REDACT_LOOK_MAX bytes (as fed, after UTF-16 decoding) and
	 * where the current line starts in them: to look ahead for the kind of an
	 * object whose data comes first (kubectl sorts keys: apiVersion, data, kind) */
	struct buf look;
	uint64_t fed;
	uint64_t line_off;
	/* the whole member read before (redact_stream_prefeed()): the answers of the
	 * look-ahead for any size; NULL = the window above only */
	struct kindscan *ks;
	struct utf16_dec ks_dec;

	/* a small direct-mapped cache of key classes */
	struct {
		char key[31];
		uint8_t len; /* 0 = empty */
		uint8_t cls; /* enum key_class, | 0x80 for json */
	} kc[128];

	redact_out_fn out;
	void *userdata;
	struct pcap_redact *cap; /* STREAM_CAPTURE */
};

/* Markers. out must hold 64 bytes; returns the marker length. label NULL or
 * e.g. "private key". */
size_t redact_marker(const struct redactor *r, const void *data, size_t len, const char *label,
                     char *out);
int redact_mac_begin(const struct redactor *r, struct redact_mac *m);
int redact_mac_update(struct redact_mac *m, const void *data, size_t len);
/* Finish, write the marker (as redact_marker) and free the context. */
size_t redact_mac_end(struct redact_mac *m, const char *label, char *out);
void redact_mac_release(struct redact_mac *m);

/* Write bytes to the member's output directly (a pending YAML block marker). */
int redact_stream_emit_raw(struct redact_stream *s, const void *data, size_t len);

/* Count one firing of a rule in this stream; false when the rule is disabled (the
 * caller must then keep the value). */
bool redact_fire(struct redact_stream *s, int rule);
/* Append a marker for data to out and count rule; when the rule is disabled the
 * original bytes are appended instead. */
int redact_emit(struct redact_stream *s, int rule, const char *data, size_t len, const char *label,
                struct buf *out);

/* At p (inside [base, base+n)) starts an earlier marker? Returns its length or 0. */
size_t redact_marker_at(const char *p, size_t avail);

/* Stages. Each reads in[0..n) and appends to out, or returns STAGE_UNCHANGED
 * having appended nothing when the line stays as it is (stage_json, stage_text,
 * stage_pseudo). stage_yaml returns 1 when it holds the line back. */
#define STAGE_UNCHANGED 2
int stage_pem(struct redact_stream *s, const char *in, size_t n, const struct piece *pc,
              struct buf *out, bool *ret_consumed);
int stage_pem_finish(struct redact_stream *s, struct buf *out);
int stage_json(struct redact_stream *s, const char *in, size_t n, const struct piece *pc,
               struct buf *out);
int stage_yaml(struct redact_stream *s, const char *in, size_t n, const struct piece *pc,
               struct buf *out);
/* YAML: emit what a pending block scalar still holds (end of the member). */
int stage_yaml_finish(struct redact_stream *s, struct buf *out);
int stage_text(struct redact_stream *s, const char *in, size_t n, const struct piece *pc,
               struct buf *out);
int stage_user(struct redact_stream *s, const char *in, size_t n, struct buf *out);
int stage_pseudo(struct redact_stream *s, const char *in, size_t n, struct buf *out);

/* rules_format.c: netrc / pgpass / jmxremote lines and XML text on a later line
 * (the whole line, or STAGE_UNCHANGED); an XML element's credential text at in[i]
 * == '<' (the bytes handled, 0 if none; *ret_err < 0 on failure); a vendor token
 * (GitHub, Slack, Stripe, SendGrid) at in[i] (its length and rule, 0 if none). */
int stage_format_line(struct redact_stream *s, const char *in, size_t n, struct buf *out);
size_t redact_xml_element(struct redact_stream *s, const char *in, size_t n, size_t i,
                          struct buf *out, int *ret_err);
size_t redact_vendor_shape(const char *in, size_t n, size_t i, int *ret_rule);
/* Can a vendor token prefix start with c? (the line walk's trigger) */
bool redact_vendor_first(unsigned char c);
/* Does a token with a fixed infix (an Azure AD secret's "Q~") start at in[i]? */
static inline bool redact_vendor_infix(const char *in, size_t n, size_t i)
{
	return n - i >= 37 && in[i + 5] == '~' && in[i + 4] == 'Q';
}
/* Every prefix of the vendor table starts with a character redact_vendor_first()
 * takes (unit tests). */
bool redact_vendor_table_ok(void);
/* A vendor token cut by a line wrap with fewer than 8 body characters before the
 * end of the line: its length, 0 if none. */
size_t redact_vendor_cut(const char *in, size_t n, size_t i);
/* rules_text.c: a token shape (JWT, ya29., AIza…, AKIA…) at in[i] of a member name. */
size_t redact_name_shape(struct redactor *r, const char *in, size_t n, size_t i);

struct json_state *json_state_new(void);
void json_state_free(struct json_state *j);
struct yaml_state *yaml_state_new(void);
void yaml_state_free(struct yaml_state *y);

/* A PEM file (in s->sniff): its facts document, or 1 when it should be redacted
 * as text after all (pemfile.c). */
int pemfile_facts(struct redact_stream *s, const char *data, size_t len, struct buf *ret);
/* A certificate block found inside a document (a JSON string with \n escapes
 * when escaped, else lines of a YAML block scalar or a transcript), dropped when
 * pseudonymizing: append its facts to out as one compact
 * "apigee-bundle/pem-file/v1" document (JSON-escaped when escaped) holding the
 * marker, so the analyzer still judges the certificate. 1 (nothing appended) when
 * the block holds no certificate to describe; the caller writes the marker. */
#define PEM_BODY_MAX (256u << 10)
int pemfile_block_facts(struct redact_stream *s, const char *block, size_t len, const char *marker,
                        size_t marker_len, struct buf *out);
/* Does this member start like a PEM file that becomes a facts document? */
bool pemfile_candidate(const struct redact_stream *s, const char *data, size_t len);
/* The whole member is one DER certificate (public: kept unchanged unless
 * pseudonymizing). */
bool pemfile_is_der_cert(const char *data, size_t len);
/* The whole member is a DER private key (PKCS#1, SEC1, PKCS#8, encrypted PKCS#8)
 * or a PKCS#12 store, by its ASN.1 shape: it is dropped whole. */
bool pemfile_is_der_private(const char *data, size_t len);

#define REDACT_LOOK_MAX (1u << 20)

/* YAML: the mapping whose key at column col is on the current line has a "kind:"
 * further down (within the look-ahead) that is not Secret. */
bool redact_look_kind_not_secret(const struct redact_stream *s, int col);
/* JSON: the object that opens at column col of the current line is followed, in
 * its parent, by a "kind" that is not Secret. */
bool redact_look_json_kind_not_secret(const struct redact_stream *s, size_t col);
/* The \"entry\" array of an Apigee KVM opens at col: is the map encrypted (said after it)? */
bool redact_look_json_encrypted(const struct redact_stream *s, size_t col);

/* Run text through the stages line by line (redact.c). */
int redact_stream_feed_text(struct redact_stream *s, const char *data, size_t len);

/* Pseudonymize one string (a member name) into out. */
int pseudo_string(struct redactor *r, const char *in, size_t n, struct buf *out);

/* Addresses in binary form, in place, with the same map as the text (packet
 * captures); no-ops without pseudonymization. */
void pseudo_ip4_bytes(struct redactor *r, uint8_t a[4]);
void pseudo_ip6_bytes(struct redactor *r, uint8_t a[16]);
void pseudo_mac(struct redactor *r, uint8_t m[6]);

/* Harvest org / project names from a parsed document (pseudo.c). */
int pseudo_learn_json(struct pseudo *p, const struct json_t *doc);
/* Whether a YAML or JSON document may hold what pseudo_learn_json() takes: one of
 * the keys it reads appears in its bytes (or an escape or a UTF-16 BOM that could
 * hide one); a document that cannot is not parsed at all. */
bool pseudo_may_learn(const void *data, size_t len);

/* Character classes. */
extern const uint8_t redact_cc[256];
#define CC_ALNUM 0x01
#define CC_B64 0x02    /* A-Z a-z 0-9 + / = */
#define CC_B64URL 0x04 /* A-Z a-z 0-9 - _ */
#define CC_DELIM 0x08  /* ends an unquoted value */
#define CC_HOST 0x10   /* A-Z a-z 0-9 - _ */
#define CC_KEY 0x20    /* A-Z a-z 0-9 - _ . */
#define CC_HEX 0x40
#define CC_SPACE 0x80

static inline bool cc_is(unsigned char c, uint8_t cls)
{
	return (redact_cc[c] & cls) != 0;
}

#endif
