/* SPDX-License-Identifier: Apache-2.0 */
/* A set of strings (see strset.h). */
#include "strset.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h"

static uint64_t hash(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ull;
	}
	return h;
}

/* The slot of str, or of the empty slot where it would go. */
static size_t find(char *const *slots, size_t cap, const char *str)
{
	size_t i = (size_t)hash(str) & (cap - 1);

	while (slots[i] && strcmp(slots[i], str) != 0)
		i = (i + 1) & (cap - 1);
	return i;
}

static int grow(struct strset *s)
{
	size_t ncap = s->cap ? s->cap * 2 : 64;
	char **slots = calloc(ncap, sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	for (size_t i = 0; i < s->cap; i++)
		if (s->slots[i])
			slots[find(slots, ncap, s->slots[i])] = s->slots[i];
	free(s->slots);
	s->slots = slots;
	s->cap = ncap;
	return 0;
}

int strset_add(struct strset *s, const char *str)
{
	size_t i;

	/* at most half full: probes stay short */
	if ((s->n + 1) * 2 > s->cap && grow(s) < 0)
		return -ENOMEM;
	i = find(s->slots, s->cap, str);
	if (s->slots[i])
		return 0;
	s->slots[i] = strdup(str);
	if (!s->slots[i])
		return -ENOMEM;
	s->n++;
	return 1;
}

bool strset_contains(const struct strset *s, const char *str)
{
	return s->cap && s->slots[find(s->slots, s->cap, str)] != NULL;
}

void strset_release(struct strset *s)
{
	for (size_t i = 0; i < s->cap; i++)
		free(s->slots[i]);
	free(s->slots);
	s->slots = NULL;
	s->cap = 0;
	s->n = 0;
}
