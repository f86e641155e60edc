/* SPDX-License-Identifier: Apache-2.0 */
/* Findings: the verdict of each check, with evidence.
 *
 * The runner creates exactly one finding per check (status SKIP until the check
 * says otherwise) and passes it to the check's run function. Strings are copied
 * into the finding; the finding owns them. */
#ifndef ANALYZE_FINDINGS_H
#define ANALYZE_FINDINGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct check;
struct check_family;
struct loc;

enum status {
	STATUS_PASS = 0,
	STATUS_WARN,
	STATUS_FAIL,
	STATUS_SKIP,
	STATUS_ERROR,
	STATUS__MAX,
	STATUS__INVALID = -22,
};

/* Printed as info, notice, warning, error, critical (the contract's "error" is HIGH). */
enum severity {
	SEVERITY_INFO = 0,
	SEVERITY_LOW,
	SEVERITY_MEDIUM,
	SEVERITY_HIGH,
	SEVERITY_CRITICAL,
	SEVERITY__MAX,
	SEVERITY__INVALID = -22,
};

const char *status_name(enum status s);
const char *severity_name(enum severity s);

#define FINDING_MAX_EVIDENCE 20

struct evidence {
	char *artifact;
	unsigned line; /* 0 = none */
	char *pointer; /* NULL = none */
	char *excerpt; /* NULL = none */
};

struct finding {
	const struct check *check;
	const struct check_family *family; /* the check's family (set by the runner) */
	enum status status;
	enum severity severity; /* defaults to the check's; a check may lower it for warn */
	char *summary;
	struct evidence *evidence;
	size_t n_evidence;
	size_t evidence_dropped; /* beyond FINDING_MAX_EVIDENCE */
	char *missing;           /* skip: the missing input */
	char *collect_hint;      /* skip: the command or collect option that supplies it */
	struct strv related;     /* CURL-*: the cause checks this symptom points to */
	struct strv notes;       /* extra lines for the report */
};

/* Report-level warnings: facts about the input as a whole, made once by
 * checks_run() from the bundle and written by every report format as the sentence
 * warning_text() gives. */
enum warning_kind {
	WARNING_PRIVATE_KEY = 0, /* path: a member that holds a private key */
	WARNING_ITEMS_CAPPED,    /* count: the cap on items of one kind was reached */
	WARNING_UNREADABLE,      /* members that could not be read */
	WARNING_PARTIAL,         /* members read, but only in part */
	WARNING_COLLECTION_TIME, /* time, time_source: how the collection time was chosen */
	WARNING_NO_EVIDENCE,     /* members: every file read, with its kind (error field) */
	WARNING__MAX,
	WARNING__INVALID = -22,
};

#define WARNING_MAX_MEMBERS 20

struct warning_member {
	char *path;
	char *error; /* NULL = no reason recorded */
};

struct warning {
	enum warning_kind kind;
	char *path;   /* PRIVATE_KEY */
	size_t count; /* ITEMS_CAPPED: the cap; UNREADABLE, PARTIAL: members in all */
	struct warning_member *members; /* UNREADABLE, PARTIAL: the first WARNING_MAX_MEMBERS */
	size_t n_members;
	int64_t time;    /* COLLECTION_TIME */
	int time_source; /* COLLECTION_TIME: enum time_source */
};

struct findings {
	struct finding *items;
	size_t n;
	int64_t collected_at;
	int time_source; /* enum time_source */
	bool input_has_private_key;
	struct warning *warnings; /* in the order they are reported */
	size_t n_warnings;
};

/* Set status and summary (printf-style). */
void finding_set(struct finding *f, enum status s, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
/* Mark as skip: what is missing and how to get it. */
void finding_skip(struct finding *f, const char *missing, const char *collect_hint);
/* Add evidence from a locator (NULL fields allowed); excerpt overrides loc's if not NULL. */
void finding_evidence(struct finding *f, const struct loc *where, const char *excerpt);
void finding_evidence_at(struct finding *f, const char *artifact, unsigned line,
                         const char *pointer, const char *excerpt);
void finding_note(struct finding *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void finding_relate(struct finding *f, const char *check_id);

/* Append a warning of kind (all other fields zero); NULL when out of memory. */
struct warning *findings_add_warning(struct findings *fs, enum warning_kind kind);
/* List a member under an UNREADABLE or PARTIAL warning: counted always, listed while
 * fewer than WARNING_MAX_MEMBERS are. 0, -ENOMEM. */
int warning_add_member(struct warning *w, const char *path, const char *error);
/* The warning as one sentence, appended to out. 0, -ENOMEM, -EINVAL (unknown kind). */
int warning_text(const struct warning *w, struct buf *out);

void findings_release(struct findings *fs);
const struct finding *findings_get(const struct findings *fs, const char *check_id);

#endif
