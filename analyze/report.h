/* SPDX-License-Identifier: Apache-2.0 */
/* Rendering findings: text (terminal, colour optional), json (schemas/
 * findings.schema.json), markdown (tickets) and html (one offline file).
 *
 * Every renderer writes:
 *   1. the diagnosis summary: the symptom (CURL-* that fail/warn) and the causes
 *      the evidence supports, strongest first (fail before warn, then severity),
 *      each naming its check;
 *   2. every check with its status, summary, evidence and remediation;
 *   3. "what to collect next": each skip with the missing input and the command;
 *   4. report warnings (private key found in the input, unreadable members, how the
 *      collection time was chosen).
 * Untrusted text (evidence excerpts, names) is escaped for the target format. */
#ifndef ANALYZE_REPORT_H
#define ANALYZE_REPORT_H

#include <stdbool.h>
#include <stdio.h>

struct bundle;
struct findings;

enum report_format {
	REPORT_TEXT = 0,
	REPORT_JSON,
	REPORT_MARKDOWN,
	REPORT_HTML,
	REPORT__MAX,
	REPORT__INVALID = -22,
};

enum report_format report_format_from_name(const char *name);
/* The format a file name asks for by its extension (.html/.htm, .md/.markdown,
 * .json, .txt/.text, case-insensitive); REPORT__INVALID when it names none. */
enum report_format report_format_from_path(const char *path);

struct report_options {
	enum report_format format;
	bool color;         /* text only */
	bool only_problems; /* fail, warn and error checks only (text, markdown, html) */
	unsigned width;     /* text only: columns to fit (0 = 80) */
	const char *input;  /* the INPUT argument, shown in the header */
};

/* Write the report to out. 0, or -EIO when writing failed. */
int report_write(FILE *out, const struct bundle *b, const struct findings *fs,
                 const struct report_options *opts);

/* The check catalog (apigee-bundle checks). */
int report_catalog(FILE *out, enum report_format format);

#endif
