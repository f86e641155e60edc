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

struct findings {
	struct finding *items;
	size_t n;
	int64_t collected_at;
	int time_source; /* enum time_source */
	bool input_has_private_key;
	struct strv
	        warnings; /* report-level warnings (private key in input, skipped members, ...) */
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

void findings_release(struct findings *fs);
const struct finding *findings_get(const struct findings *fs, const char *check_id);

#endif
