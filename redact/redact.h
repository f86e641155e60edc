/* SPDX-License-Identifier: Apache-2.0 */
/* The redaction engine.
 *
 * One struct redactor per run: a random HMAC key (never stored), the built-in
 * rules, optional user rules and the optional pseudonym map. Every member passes
 * through a stream before it is written:
 *
 *   1. redactor_new(&opts, &r, &err);
 *   2. per member: redact_stream_begin(r, path, &s); redact_stream_write(s, data,
 *      len, out, ud) any number of times; redact_stream_end(s, out, ud) -- out()
 *      receives the redacted bytes in order; memory stays bounded (lines are
 *      handled one at a time; structured YAML/JSON members up to a size limit are
 *      parsed whole, bigger ones fall back to line rules);
 *      or, for small members, redact_buffer(r, path, data, len, &out, &err);
 *   3. redactor_report_json(r) -> the redaction.json document (counts per rule and
 *      member, never values);
 *   4. redactor_free(r).
 *
 * A removed value becomes "<redacted:XXXXXXXX>": the first 8 hex digits of
 * HMAC-SHA256(run key, value), so equal secrets stay equal inside one bundle.
 * Private key PEM blocks are replaced by one marker line. Certificates stay. */
#ifndef REDACT_REDACT_H
#define REDACT_REDACT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct error;
struct json_t;
struct redactor;
struct redact_stream;

struct redact_options {
	const char *rules_file; /* user rules (YAML), NULL = none */
	bool pseudonymize;
	const char *map_file; /* pseudonym map to load and save (mode 0600), NULL = none */
	bool dry_run;         /* count what would change; output unchanged */
	/* Test-only: turn one built-in rule off by its name in redaction.json (e.g.
	 * "jwt"), so that tests can show the leak scan catching what it missed. */
	const char *disable_rule;
};

typedef int (*redact_out_fn)(void *userdata, const void *data, size_t len);

int redactor_new(const struct redact_options *opts, struct redactor **ret, struct error *err);
void redactor_free(struct redactor *r);

int redact_stream_begin(struct redactor *r, const char *member, struct redact_stream **ret);
int redact_stream_write(struct redact_stream *s, const void *data, size_t len, redact_out_fn out,
                        void *userdata);
int redact_stream_end(struct redact_stream *s, redact_out_fn out, void *userdata);

int redact_buffer(struct redactor *r, const char *member, const void *data, size_t len,
                  struct buf *ret, struct error *err);

/* One piece of text (a report's evidence excerpt, a summary) through the same
 * stages as a member's lines; a new NUL-terminated string (NULL: out of memory).
 * No line break is added. */
char *redact_text(struct redactor *r, const char *text);

/* Known names to pseudonymize everywhere as whole words (category "org" or
 * "project"), e.g. the organization collect was asked about. Values shorter than 3
 * bytes or common words the checks rely on ("apigee", "default") are ignored. No-op
 * without pseudonymization. */
int redactor_add_name(struct redactor *r, const char *category, const char *value);

/* Learn known names from a member before redacting anything (overrides.yaml: org,
 * gcp.projectID, gcpProjectID; an Apigee organization JSON: name, projectId; a
 * bundle manifest's collection options). Cheap; returns 0 also when nothing was
 * found or the member does not parse. No-op without pseudonymization. */
int redactor_learn(struct redactor *r, const char *member, const void *data, size_t len);

/* Pseudonymize a member name (path) when pseudonymization is on; else a copy. */
char *redact_member_name(struct redactor *r, const char *member);

/* A member the redaction of another one made (the facts document of the
 * certificates cut from a packet capture, "<capture>.certs.json"): 1 with the
 * name (output form, pseudonymized) and the redacted bytes, owned by the caller;
 * 0 when there is none. Ask after each member. */
int redactor_take_side(struct redactor *r, char **ret_name, struct buf *ret_data);

/* Why the redaction of member (input name) failed, when a stage said more than an
 * errno (a refused packet capture: the frame and byte); 1 and the text into out,
 * taken off the redactor; 0 when none. */
int redactor_take_why(struct redactor *r, const char *member, char *out, size_t size);

/* Before redact_stream_write(): the member's bytes, all of them, read once so
 * that the look-ahead for an object's kind (kubectl prints a ConfigMap's data
 * before its kind) holds for a member of any size (redact/kindscan.h); then
 * redact_stream_prefeed_end(). Optional: without it the look-ahead sees only
 * what was written so far, up to REDACT_LOOK_MAX. 0 or -ENOMEM. */
int redact_stream_prefeed(struct redact_stream *s, const void *data, size_t len);
int redact_stream_prefeed_end(struct redact_stream *s);

/* redaction.json (new reference). */
struct json_t *redactor_report_json(const struct redactor *r);

/* Save the pseudonym map to opts->map_file (0600). No-op without pseudonymize. */
int redactor_save_map(struct redactor *r, struct error *err);

/* The leak scan: independent code that looks for anything on the contract's
 * never-list in final member bytes. Returns 0 when clean; 1 with *ret_hit filled
 * when something is found (kind, line; never the value). */
struct leak_hit {
	char kind[64];
	unsigned line;
};

struct leak_scan;
int leak_scan_begin(const char *member, struct leak_scan **ret);
int leak_scan_write(struct leak_scan *s, const void *data, size_t len);
int leak_scan_end(struct leak_scan *s, struct leak_hit *ret_hit); /* frees s */
int leak_scan_buffer(const void *data, size_t len, struct leak_hit *ret_hit);
/* Before leak_scan_end(): every hit of the member (every kind on every line, and
 * what the document walk found), the first ones in order; *ret_total counts them
 * all (more than returned when there were very many). Valid until the end. */
size_t leak_scan_hits(struct leak_scan *s, const struct leak_hit **ret, size_t *ret_total);
/* rules_format.c: a token of the vendor prefix table at in[i] (the rules' one
 * table; the leak scan looks for the same rows): a name for it ("GitHub",
 * "glpat-") and its length, NULL if none starts there. */
const char *redact_vendor_token_at(const char *in, size_t n, size_t i, size_t *ret_len);
/* A made-up token for row k of that table in buf (its length, 0 past the end). */
size_t redact_vendor_example(size_t k, char *buf, size_t cap);
/* What the customer can do about a hit of this kind (one sentence). */
const char *leak_fix(const char *kind);

#endif
