/* SPDX-License-Identifier: Apache-2.0 */
/* Growable byte buffers with a hard maximum (curl's dynbuf, git's strbuf), and
 * string vectors.
 *
 * A struct buf always keeps a terminating NUL after len bytes once anything was
 * appended, so data can be used as a C string when it holds text. */
#ifndef CORE_BUF_H
#define CORE_BUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

struct buf {
	char *data;
	size_t len;
	size_t cap;
	size_t max; /* appending beyond max fails with -ERANGE; 0 = no limit */
};

#define BUF_INIT              \
	{                     \
		NULL, 0, 0, 0 \
	}

void buf_init(struct buf *b, size_t max);
/* 0, -ENOMEM or -ERANGE (the limit). */
int buf_append(struct buf *b, const void *data, size_t len);
int buf_puts(struct buf *b, const char *s);
int buf_putc(struct buf *b, char c);
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int buf_vprintf(struct buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
void buf_reset(struct buf *b); /* len = 0, keeps memory */
void buf_release(struct buf *b);
/* Hand the data (NUL-terminated, possibly NULL when empty) to the caller, who frees it. */
char *buf_detach(struct buf *b, size_t *ret_len);

/* A NULL-terminated vector of owned strings. */
struct strv {
	char **v;
	size_t n;
	size_t cap;
};

#define STRV_INIT          \
	{                  \
		NULL, 0, 0 \
	}

int strv_push(struct strv *s, const char *str);
int strv_pushn(struct strv *s, const char *str, size_t len);
/* push only when not present yet */
int strv_push_unique(struct strv *s, const char *str);
bool strv_contains(const struct strv *s, const char *str);
void strv_release(struct strv *s);
int strv_copy(struct strv *dst, const struct strv *src);
/* Join with sep into a newly allocated string (caller frees). */
char *strv_join(const struct strv *s, const char *sep);

#endif
