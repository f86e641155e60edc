/* SPDX-License-Identifier: Apache-2.0 */
/* A set of strings with O(1) lookups (open addressing, FNV-1a, linear probing).
 *
 * For the "seen already?" questions asked once per member: a strv searched
 * linearly makes a bundle of n members cost O(n^2).
 *
 *   struct strset s = STRSET_INIT;
 *   strset_add(&s, "a/b.log");      1 added, 0 already there, -ENOMEM
 *   strset_contains(&s, "a/b.log"); true
 *   strset_release(&s);
 *
 * The set owns copies of its strings. */
#ifndef CORE_STRSET_H
#define CORE_STRSET_H

#include <stdbool.h>
#include <stddef.h>

struct strset {
	char **slots; /* cap slots, NULL = empty; cap is 0 or a power of two */
	size_t cap, n;
};

#define STRSET_INIT        \
	{                  \
		NULL, 0, 0 \
	}

int strset_add(struct strset *s, const char *str);
bool strset_contains(const struct strset *s, const char *str);
void strset_release(struct strset *s);

#endif
