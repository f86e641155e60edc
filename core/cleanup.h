/* SPDX-License-Identifier: Apache-2.0 */
/* Scope-bound cleanup helpers (systemd style). Use _cleanup_free_ and friends for
 * locals that own memory, TAKE_PTR() to hand ownership to the caller. */
#ifndef CORE_CLEANUP_H
#define CORE_CLEANUP_H

#include <stdio.h>
#include <stdlib.h>

#define _cleanup_(f) __attribute__((cleanup(f)))

#define DEFINE_TRIVIAL_CLEANUP_FUNC(type, func) \
	static inline void func##p(type *p)     \
	{                                       \
		if (*p)                         \
			func(*p);               \
	}

static inline void freep(void *p)
{
	free(*(void **)p);
}

static inline void fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}

#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_fclose_ _cleanup_(fclosep)

/* Return the pointer and set the variable to NULL, so that its cleanup does nothing. */
#define TAKE_PTR(p)                        \
	__extension__({                    \
		__typeof__(p) _ptr_ = (p); \
		(p) = NULL;                \
		_ptr_;                     \
	})

/* Free and set to NULL. */
#define FREE_AND_NULL(p)    \
	do {                \
		free(p);    \
		(p) = NULL; \
	} while (0)

#define ELEMENTSOF(a) (sizeof(a) / sizeof((a)[0]))

#endif
