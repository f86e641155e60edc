/* SPDX-License-Identifier: Apache-2.0 */
/* One kubectl command's output for several objects, split back into what one
 * command per object prints (see kube_split.h). */
#include "kube_split.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "text.h"
#include "banned.h"

const char *kube_label_app(json_t *obj)
{
	return json_string_value(json_object_get(
	        json_object_get(json_object_get(obj, "metadata"), "labels"), "app"));
}

bool kube_kind_is(json_t *obj, const char *kind)
{
	const char *k = json_string_value(json_object_get(obj, "kind"));

	return k && strcmp(k, kind) == 0;
}

/* ---- JSON lists ---- */

static bool pod_selected(json_t *pod)
{
	const char *app = kube_label_app(pod);

	return app &&
	       (strcmp(app, "apigee-ingressgateway") == 0 || strcmp(app, "apigee-watcher") == 0);
}

/* A List of the items of one kind, as `kubectl get KIND -o json` prints it: keys
 * sorted, 4-space indent, and Go's escapes of <, >, &, U+2028 and U+2029. */
int kube_list_text(json_t *items, const char *kind, bool pods, struct buf *ret)
{
	json_t *list = json_pack("{s:s,s:[],s:s,s:{s:s}}", "apiVersion", "v1", "items", "kind",
	                         "List", "metadata", "resourceVersion", "");
	json_t *dst = json_object_get(list, "items"), *it;
	char *text;
	size_t i;
	int r = 0;

	if (!list)
		return -ENOMEM;
	json_array_foreach(items, i, it) if (kube_kind_is(it, kind) && (!pods || pod_selected(it)))
	        json_array_append(dst, it);
	if (pods && json_array_size(dst) == 0)
		json_array_foreach(items, i, it) if (kube_kind_is(it, kind))
		        json_array_append(dst, it);
	text = json_dumps(list, JSON_INDENT(4) | JSON_SORT_KEYS);
	json_decref(list);
	if (!text)
		return -ENOMEM;
	for (const char *c = text; *c && r == 0; c++) {
		if (*c == '<' || *c == '>' || *c == '&')
			r = buf_printf(ret, "\\u%04x", (unsigned)*c);
		else if ((unsigned char)c[0] == 0xe2 && (unsigned char)c[1] == 0x80 &&
		         ((unsigned char)c[2] == 0xa8 || (unsigned char)c[2] == 0xa9)) {
			r = buf_printf(ret, "\\u%04x", 0x2000u | ((unsigned char)c[2] & 0x2fu));
			c += 2;
		} else
			r = buf_append(ret, c, 1);
	}
	if (r == 0)
		r = buf_append(ret, "\n", 1);
	free(text);
	return r < 0 ? -ENOMEM : 0;
}

/* ---- describe ---- */

/* Does describe text start at p with the route's "Name:" line? */
static bool describe_names(const char *p, const char *end, const char *route)
{
	size_t rl = strlen(route);

	if ((size_t)(end - p) < 5 || memcmp(p, "Name:", 5) != 0)
		return false;
	for (p += 5; p < end && (*p == ' ' || *p == '\t'); p++)
		;
	return (size_t)(end - p) > rl && memcmp(p, route, rl) == 0 && p[rl] == '\n';
}

/* kubectl prints the objects of one describe in the order asked, each text
 * ending in a newline, separated by two more. off[i]..off[i+1] (n+1 offsets)
 * get each route's text as its own describe would print it; false when the
 * output does not split so. */
bool kube_describe_split(const struct buf *out, char *const *routes, size_t n, size_t *off,
                         size_t *end)
{
	const char *t = out->data ? out->data : "", *stop = t + out->len;
	size_t pos = 0;

	for (size_t i = 0; i < n; i++) {
		const char *p = t + pos;

		if (!describe_names(p, stop, routes[i]))
			return false;
		off[i] = pos;
		if (i + 1 == n) {
			end[i] = out->len;
			break;
		}
		for (;;) {
			const char *sep = text_find(p, (size_t)(stop - p), "\n\n\nName:");

			if (!sep)
				return false;
			if (describe_names(sep + 3, stop, routes[i + 1])) {
				end[i] = (size_t)(sep - t) + 1;
				pos = (size_t)(sep - t) + 3;
				break;
			}
			p = sep + 3;
		}
	}
	return true;
}

/* ---- tables ---- */

static const struct {
	const char *singular; /* the "KIND" of the NAME prefix, before any ".group" */
	const char *path;
} table_members[] = {
	{ "apigeeroute", "kubernetes/apigeeroutes.txt" },
	{ "secret", "kubernetes/secrets.txt" },
	{ "service", "kubernetes/services.txt" },
};

static int table_kind(const char *p, size_t n)
{
	for (size_t i = 0; i < KUBE_N_TABLES; i++) {
		size_t l = strlen(table_members[i].singular);

		if (n >= l && memcmp(p, table_members[i].singular, l) == 0 &&
		    (n == l || p[l] == '.'))
			return (int)i;
	}
	return -1;
}

struct table_scan {
	size_t w;    /* where the second column starts (the header's length if none) */
	size_t name; /* the widest NAME cell without its prefix */
	int kind;
};

/* One row of a table: the NAME cell is "KIND/name" of the table's kind. */
static bool table_row(const char *r, size_t len, struct table_scan *t)
{
	size_t cell = len < t->w ? len : t->w;
	const char *sp = memchr(r, ' ', cell), *slash = memchr(r, '/', cell);
	size_t clen = sp ? (size_t)(sp - r) : cell;
	int kind;

	if (!slash || (size_t)(slash - r) >= clen || (len > t->w && r[t->w - 1] != ' '))
		return false;
	kind = table_kind(r, (size_t)(slash - r));
	if (kind < 0 || (t->kind >= 0 && kind != t->kind))
		return false;
	t->kind = kind;
	if (clen - (size_t)(slash - r) - 1 > t->name)
		t->name = clen - (size_t)(slash - r) - 1;
	return true;
}

static int put_row(struct buf *b, const char *cell, size_t clen, size_t width, const char *rest,
                   size_t rlen)
{
	if (buf_append(b, cell, clen) < 0)
		return -ENOMEM;
	for (size_t i = clen; rlen && i < width; i++)
		if (buf_append(b, " ", 1) < 0)
			return -ENOMEM;
	if (buf_append(b, rest, rlen) < 0 || buf_append(b, "\n", 1) < 0)
		return -ENOMEM;
	return 0;
}

/* The table in [p, end) (whole lines) as a get of its kind alone prints it: NAME
 * cells without "KIND/", the column as wide as kubectl's tabwriter makes it then
 * (widest cell + 3, at least 6). Its kind, or -1 when it is not such a table. */
static int table_one(const char *p, const char *end, struct buf *ret)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));
	struct table_scan t = { 4, 4, -1 };
	size_t width;

	if (!nl || nl - p < 4 || memcmp(p, "NAME", 4) != 0)
		return -1;
	while (p + t.w < nl && p[t.w] == ' ')
		t.w++;
	for (const char *r = nl + 1; r < end;) {
		const char *rn = memchr(r, '\n', (size_t)(end - r));

		if (!rn || !table_row(r, (size_t)(rn - r), &t))
			return -1;
		r = rn + 1;
	}
	if (t.kind < 0)
		return -1;
	width = t.name + 3 < 6 ? 6 : t.name + 3;
	if (put_row(ret, "NAME", 4, width, p + t.w, (size_t)(nl - p) - t.w) < 0)
		return -1;
	for (const char *r = nl + 1; r < end;) {
		const char *rn = memchr(r, '\n', (size_t)(end - r));
		size_t len = (size_t)(rn - r), cell = len < t.w ? len : t.w;
		const char *slash = memchr(r, '/', cell), *sp = memchr(r, ' ', cell);
		size_t clen = (sp ? (size_t)(sp - r) : cell) - (size_t)(slash - r) - 1;

		if (put_row(ret, slash + 1, clen, width, r + cell, len - cell) < 0)
			return -1;
		r = rn + 1;
	}
	return t.kind;
}

/* Split the tables: 0, or -1 when the output is not one table per kind. */
int kube_tables_split(const struct buf *out, struct buf *tables)
{
	const char *p = out->data ? out->data : "", *end = p + out->len;
	bool seen[KUBE_N_TABLES] = { false };

	while (p < end) {
		const char *sep = text_find(p, (size_t)(end - p), "\n\n");
		const char *bend = sep ? sep + 1 : end;
		struct buf one = BUF_INIT;
		int kind = table_one(p, bend, &one);

		if (kind < 0 || seen[kind]) {
			buf_release(&one);
			return -1;
		}
		seen[kind] = true;
		tables[kind] = one;
		p = sep ? sep + 2 : end;
	}
	return 0;
}

const char *kube_table_path(size_t i)
{
	return i < KUBE_N_TABLES ? table_members[i].path : NULL;
}

/* ---- logs ---- */

void kube_demux_init(struct kube_demux *d)
{
	d->plen = 0;
	d->cur = -2;
	memset(d->bytes, 0, sizeof(d->bytes));
}

/* "[pod/POD/CONTAINER] " -> the stream, -1 when not in the set, -2 malformed. */
static int demux_target(struct kube_demux *d)
{
	const char *p = d->prefix, *end = d->prefix + d->plen - 2, *slash;
	size_t pl, cl;
	int r;

	if (d->plen < 9 || memcmp(p, "[pod/", 5) != 0)
		return -2;
	p += 5;
	slash = memchr(p, '/', (size_t)(end - p));
	if (!slash)
		return -2;
	pl = (size_t)(slash - p);
	cl = (size_t)(end - slash - 1);
	for (size_t i = 0; i < d->n; i++)
		if (strlen(d->pods[i]) == pl && memcmp(d->pods[i], p, pl) == 0 &&
		    strlen(d->containers[i]) == cl && memcmp(d->containers[i], slash + 1, cl) == 0)
			return (int)i;
	/* a container seen first: learnt when there is room and an open() */
	if (!d->open || d->n >= KUBE_DEMUX_MAX || pl == 0 || pl >= sizeof(d->pod_names[0]) ||
	    cl == 0 || cl >= sizeof(d->container_names[0]))
		return -1;
	memcpy(d->pod_names[d->n], p, pl);
	d->pod_names[d->n][pl] = '\0';
	memcpy(d->container_names[d->n], slash + 1, cl);
	d->container_names[d->n][cl] = '\0';
	d->pods[d->n] = d->pod_names[d->n];
	d->containers[d->n] = d->container_names[d->n];
	r = d->open(d->ud, d->n);
	if (r < 0) {
		d->error = r;
		return -3;
	}
	return (int)d->n++;
}

int kube_demux_write(void *ud, const void *data, size_t len)
{
	struct kube_demux *d = ud;
	const char *p = data, *end = p + len;

	while (p < end) {
		if (d->cur == -2) {
			/* the prefix, up to "] " */
			while (p < end && !(d->plen >= 2 && d->prefix[d->plen - 2] == ']' &&
			                    d->prefix[d->plen - 1] == ' ')) {
				if (*p == '\n' || d->plen + 1 >= sizeof(d->prefix))
					return -EPROTO;
				d->prefix[d->plen++] = *p++;
			}
			if (d->plen < 2 || d->prefix[d->plen - 2] != ']' ||
			    d->prefix[d->plen - 1] != ' ')
				break;
			d->cur = demux_target(d);
			d->plen = 0;
			if (d->cur == -2)
				return -EPROTO;
			if (d->cur == -3)
				return d->error;
			continue;
		}
		{
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			size_t n = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);

			if (d->cur >= 0) {
				int r = d->write(d->ud, (size_t)d->cur, p, n);

				if (r < 0)
					return r;
				d->bytes[d->cur] += n;
			}
			p += n;
			if (nl)
				d->cur = -2;
		}
	}
	return 0;
}

bool kube_demux_finished(const struct kube_demux *d)
{
	return d->cur == -2 && d->plen == 0;
}
