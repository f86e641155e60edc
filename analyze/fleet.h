/* SPDX-License-Identifier: Apache-2.0 */
/* The per-bundle pipeline shared by 'analyze' (one input, every format), its fleet
 * mode ('analyze --format jsonl INPUT...') and 'diff OLD NEW', and the pieces of
 * the fleet mode that do not print: expanding a folder of bundles, the identity of
 * a bundle, one JSON line per bundle.
 *
 * The caller of the pipeline:
 *   1. analyze_one(input, &opts, &one, &err): open the bundle, run the checks, add
 *      the no-evidence warning; returns the exit status analyze gives for that
 *      input alone (0, 1, 3) and fills one (b is NULL when the input could not be
 *      read: err says why);
 *   2. reads one.b and one.fs;
 *   3. analyze_one_release(&one). */
#ifndef ANALYZE_FLEET_H
#define ANALYZE_FLEET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

#include "findings.h"

struct bundle;
struct buf;
struct bundle_options;
struct context;
struct error;
struct strv;

#define FLEET_LINE_FORMAT "apigee-bundle/fleet-line/v1"

struct analyze_one_options {
	const struct bundle_options *bundle;
	const char *const *checks; /* --check IDs; NULL/0 = every check */
	size_t n_checks;
};

struct analyze_one {
	struct bundle *b;   /* NULL when the input could not be read */
	struct findings fs; /* empty when b is NULL or the checks failed to run */
	bool no_evidence;   /* nothing read was recognised as evidence (exit 3) */
};

/* 0 no fail, 1 a fail, 3 unreadable / no evidence (err set when one.b is NULL or
 * the checks could not run), -ENOMEM. */
int analyze_one(const char *input, const struct analyze_one_options *o, struct analyze_one *ret,
                struct error *err);
void analyze_one_release(struct analyze_one *one);

/* When every check skipped, nothing in the input was evidence for any of them:
 * add the no-evidence warning first, naming what was read. Returns 1 when nothing
 * read was recognised at all (analyze exits 3), 0 otherwise, <0 out of memory. */
int analyze_note_no_evidence(const struct bundle *b, struct findings *fs);

/* A folder of bundles (README "Beyond one machine"): a folder without a
 * manifest.json of its own, holding at least one entry, each entry not starting
 * with '.' being a bundle: a file libarchive reads as an archive (by content, not
 * name), or a folder with manifest.json at its top or in its one top folder. Any
 * other folder is one bundle of loose files. When the folder holds a bundle and
 * also something else, the name of the first other entry is put in ret_other
 * (may be NULL). */
bool fleet_is_folder_of_bundles(const char *path, struct buf *ret_other);

/* Append to ret the bundles named by the arguments: a folder of bundles gives its
 * bundles (entries in byte order), anything else itself. For a folder read as one
 * bundle although it holds bundles, ret_notes gets two strings: the folder and the
 * entry that is not a bundle. 0, -ENOMEM. */
int fleet_expand(const char *const *args, size_t n, struct strv *ret, struct strv *ret_notes);

/* The SHA-256 (lower-case hex) of the bundle's manifest.json into hex[65]; 0,
 * -ENOENT (no manifest), or the read error (err set). */
int fleet_manifest_sha256(const struct bundle *b, char hex[65], struct error *err);

/* The bundle's organization: overrides.yaml's org, else the management API's;
 * NULL when neither was seen. */
const char *fleet_bundle_org(const struct bundle *b);

/* A JSON string for s, made valid UTF-8 first ("\xNN") as the report does; JSON
 * null for NULL or "". A new reference, NULL out of memory. */
json_t *fleet_json_string(const char *s);

/* One line of the jsonl output (schemas/fleet-line.schema.json) for input, whose
 * analysis gave status (exit) and one; err is the read error when one->b is NULL.
 * A new reference, NULL out of memory. */
json_t *fleet_line(const char *input, int status, const struct analyze_one *one,
                   const struct error *err);

/* The cmd layer of 'analyze --format jsonl' (cmd_jsonl.c), called by cmd_analyze
 * after its options: every input in turn, one line each, to output (NULL =
 * stdout; else replaced atomically at the end). Returns the exit status. */
int analyze_jsonl(int argc, char **argv, const char *output, const struct strv *checks,
                  const struct bundle_options *bo, struct context *ctx);

/* Everything of the input a report quotes (summaries, evidence excerpts, notes)
 * through the redactor's line rules, whatever the input: a report goes into
 * tickets, and loose files are not redacted. 0, or -ENOMEM. */
int analyze_redact_findings(struct findings *fs);

/* A temp file beside path (".NAME.XXXXXX", mode 0666 & ~umask) to be renamed onto
 * it when complete: *ret_tmp (free) and *ret_f. 0, or -errno. */
int analyze_open_temp(const char *path, char **ret_tmp, FILE **ret_f);

#endif
