/* SPDX-License-Identifier: Apache-2.0 */
/* Redacting a whole bundle: a folder, an archive (every format core/archive_in.c
 * reads) or one loose file into a new archive, member by member, never extracting
 * to disk:
 *
 *   1. with --pseudonymize, a first look at the input: the small YAML/JSON members
 *      teach the redactor the org and project names; for an archive also the
 *      common top folder and the newest time stamp;
 *   2. every member streams through the redactor into a spill (memory up to
 *      8 MiB, else an unlinked file in a private temp folder, since a tar header
 *      needs the size first) and through the leak scan at the same time; then
 *      into the archive (core/archive_out.c: temp file + rename);
 *   3. redaction.json (this run's counts merged with the input's), and
 *      manifest.json last with the new sizes and SHA-256s when the input had one;
 *   4. any leak-scan hit: no archive; the result lists every hit (member, line,
 *      kind) of every member, the scan going on to the end of the input.
 *
 * The caller (redact/cmd_redact.c) makes the redactor, calls redact_bundle() and
 * prints; nothing here prints. */
#ifndef REDACT_PIPELINE_H
#define REDACT_PIPELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "archive_in.h"
#include "redact.h"

struct error;

/* A member the pipeline passed over, for the caller to tell. */
enum redact_notice {
	REDACT_NOTICE_UNSAFE_NAME = 0, /* absolute, with "..", empty: skipped */
	REDACT_NOTICE_DUPLICATE,       /* a second member of the same name: skipped */
	REDACT_NOTICE_NOT_FILE,        /* a link, device, fifo: skipped; the string is
	                                * archive_in_describe()'s, already escaped */
	REDACT_NOTICE_TRUNCATED,       /* a compressed file inside the input ends early:
	                                * what was inflated is kept, redacted; the string
	                                * is the whole message, already escaped */
	REDACT_NOTICE__MAX,
	REDACT_NOTICE__INVALID = -22,
};

typedef void (*redact_notice_fn)(void *userdata, enum redact_notice what, const char *member);

struct redact_bundle_options {
	const char *in;
	const char *out; /* .tar.gz, .tgz, .tar.zst, .tar; NULL with dry_run */
	bool dry_run;    /* count only (redactor_report_json()); write nothing */
	bool pseudonymize;
	const char *map_file; /* never read as a member of a folder input */
	const char *tmpdir;   /* where the spill folder goes; NULL = /tmp */
	uint64_t max_total;   /* uncompressed input bytes; 0 = ARCHIVE_IN_MAX_TOTAL */
	uint64_t max_member;  /* one member; 0 = ARCHIVE_IN_MAX_MEMBER */
	unsigned max_ratio;   /* 0 = ARCHIVE_IN_MAX_RATIO */
	size_t max_members;   /* input members, nested ones included; 0 = ARCHIVE_IN_MAX_MEMBERS */
	int level;            /* compression level of out; 0 = the format's default */
	int threads;          /* compression threads; 0 = one per online CPU */
	redact_notice_fn notice;
	void *userdata;
	archive_in_progress_fn progress; /* after each input member; NULL = none */
	void *progress_userdata;
};

/* One leak-scan hit, or a member that could not be redacted (leak_fix() says what
 * to do about it). */
struct redact_leak {
	char *member; /* output name */
	struct leak_hit hit;
};

struct redact_bundle_result {
	size_t members; /* input members redacted (dry run: counted) */
	size_t written; /* members in the archive, redaction.json and manifest.json included */
	bool leaked;    /* the leak scan hit: nothing written */
	char leak_member[1024]; /* the first hit */
	struct leak_hit hit;
	/* every hit of every member (the first REDACT_LEAKS_MAX), so that one run tells
	 * everything to fix; total_leaks counts them all */
	struct redact_leak *leaks;
	size_t n_leaks;
	size_t total_leaks;
};

#define REDACT_LEAKS_MAX 1000

void redact_bundle_result_release(struct redact_bundle_result *res);

/* 0: written, or dry run done, or a leak (ret->leaked; nothing written). <0 with
 * err set: nothing written. */
int redact_bundle(struct redactor *r, const struct redact_bundle_options *opts,
                  struct redact_bundle_result *ret, struct error *err);

#endif
