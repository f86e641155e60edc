/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers shared by the check families: how a check reports a missing or
 * unreadable input, and name matching shared by SNI and TLS checks. Pure: they
 * read the bundle and write the finding. */
#ifndef ANALYZE_CHECKS_COMMON_H
#define ANALYZE_CHECKS_COMMON_H

#include <stdbool.h>

struct api_envgroup;
struct artifact;
struct bundle;
struct finding;

/* The first member that was meant to hold one of hints (enum artifact_hint) but
 * could not be read; NULL if none. */
const struct artifact *check_unreadable(const struct bundle *b, unsigned hints);

/* The input is missing: status error naming the member when one that should have
 * supplied it is unreadable, else skip with what is missing and how to get it. */
void check_skip_or_error(const struct bundle *b, struct finding *f, unsigned hints,
                         const char *missing, const char *hint);

/* Note the unreadable members of that kind when the check could run on the rest. */
void check_note_unreadable(const struct bundle *b, struct finding *f, unsigned hints);

/* needle occurs in hay as a whole dash-separated token sequence ("dev-grp" in
 * "myorg-hyb-dev-grp-000-33620d0", not in "mydev-grp"); false for an empty needle. */
bool name_has_token(const char *hay, const char *needle);

/* The env group named name; NULL if none. */
const struct api_envgroup *envgroup_named(const struct bundle *b, const char *name);

#endif
