/* SPDX-License-Identifier: Apache-2.0 */
/* The sink that every collector source writes to.
 *
 * A source (kubectl, the management API, TLS probes, user files) produces members
 * and outcomes; it never touches the archive, the manifest or the terminal itself.
 * The sink (collect/cmd_collect.c) redacts each member, adds it to the archive,
 * records its manifest entry and prints one progress line per source.
 *
 * The caller of a source:
 *   1. fills a struct member_out per member and calls sink_emit();
 *   2. calls sink_source() once per logical source ("kubectl get apigeeroutes",
 *      "management API: organization", "probe api.example.com:443 (SNI)") with its
 *      outcome and, when skipped or failed, the reason.
 * Nothing passed to the sink may contain a token or a private key: sources remove
 * credential headers and never read key bytes into a member. */
#ifndef COLLECT_SINK_H
#define COLLECT_SINK_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

enum member_source {
	MEMBER_SRC_COMMAND = 0, /* argv */
	MEMBER_SRC_API,         /* url */
	MEMBER_SRC_PROBE,       /* target */
	MEMBER_SRC_FILE,        /* path of a user file */
	MEMBER_SRC_COLLECTOR,   /* computed by the collector */
};

enum outcome {
	OUTCOME_OK = 0,
	OUTCOME_FAILED,
	OUTCOME_TIMEOUT,
	OUTCOME_SKIPPED,
	OUTCOME__MAX,
};

const char *outcome_name(enum outcome o); /* "ok", "failed", "timeout", "skipped" */

struct member_out {
	const char *path; /* relative to the bundle's top folder, e.g. "api/organization.json" */
	const void *data;
	size_t len;
	enum member_source source;
	const struct strv *argv; /* MEMBER_SRC_COMMAND */
	const char *url;         /* MEMBER_SRC_API */
	const char *target;      /* MEMBER_SRC_PROBE / MEMBER_SRC_FILE */
	enum outcome outcome;
	int exit_status; /* -1 = not applicable */
	int http_status; /* 0 = not applicable */
	int64_t duration_ms;
	const char *error;       /* NULL when fine; never holds a secret */
	const char *stderr_text; /* child stderr (redacted by the sink), NULL if none */
};

struct sink;

int sink_emit(struct sink *s, const struct member_out *m);
void sink_source(struct sink *s, const char *name, enum outcome o, const char *reason);
/* Time spent waiting on children/network, for the summary (milliseconds). */
void sink_add_wait(struct sink *s, int64_t ms);

#endif
