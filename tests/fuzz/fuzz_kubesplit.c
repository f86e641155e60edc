/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target for collect/kube_split.c, the splitters of kubectl output for
 * several objects: the input is read as `kubectl describe` of the routes named by
 * its first line, as the tables of several kinds, as `kubectl logs --prefix`
 * output (in two writes, cut where the first byte says) and, when it parses, as
 * a JSON List split per kind. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "buf.h"
#include "kube_split.h"
#include "banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int count_write(void *ud, size_t i, const void *data, size_t len)
{
	size_t *total = ud;

	(void)i;
	(void)data;
	*total += len;
	return 0;
}

static void describe(const struct buf *in)
{
	char *routes[4], *first = strndup(in->data, strcspn(in->data, "\n"));
	size_t n = 0, off[4], end[4];

	for (char *save = NULL, *w = first ? strtok_r(first, " ", &save) : NULL; w && n < 4;
	     w = strtok_r(NULL, " ", &save))
		routes[n++] = w;
	if (n && kube_describe_split(in, routes, n, off, end))
		for (size_t i = 0; i < n; i++)
			if (off[i] > end[i] || end[i] > in->len)
				abort();
	free(first);
}

static void tables(const struct buf *in)
{
	struct buf t[KUBE_N_TABLES];

	for (size_t i = 0; i < KUBE_N_TABLES; i++)
		buf_init(&t[i], 1u << 24);
	kube_tables_split(in, t);
	for (size_t i = 0; i < KUBE_N_TABLES; i++)
		buf_release(&t[i]);
}

static void logs(const uint8_t *data, size_t size)
{
	struct kube_demux d;
	size_t total = 0, cut = size ? data[0] % (size + 1) : 0;

	memset(&d, 0, sizeof(d));
	d.n = 2;
	d.pods[0] = "p1";
	d.containers[0] = "c1";
	d.pods[1] = "p2";
	d.containers[1] = "c";
	d.write = count_write;
	d.ud = &total;
	kube_demux_init(&d);
	if (kube_demux_write(&d, data, cut) == 0)
		kube_demux_write(&d, data + cut, size - cut);
	if (total > size)
		abort();
	(void)kube_demux_finished(&d);
}

static void lists(const struct buf *in)
{
	json_t *j = json_loadb(in->data, in->len, 0, NULL);
	json_t *items = json_object_get(j, "items");
	static const char *const kinds[] = { "Pod", "Service", "ApigeeRoute" };

	for (size_t i = 0; i < 3 && json_is_array(items); i++) {
		struct buf out = BUF_INIT;

		buf_init(&out, 1u << 24);
		kube_list_text(items, kinds[i], i == 0, &out);
		buf_release(&out);
	}
	json_decref(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf in = BUF_INIT;

	buf_init(&in, 1u << 24);
	if (buf_append(&in, data, size) < 0 || !in.data) {
		buf_release(&in);
		return 0;
	}
	describe(&in);
	tables(&in);
	logs(data, size);
	lists(&in);
	buf_release(&in);
	return 0;
}
