/* SPDX-License-Identifier: Apache-2.0 */
/* What one kubectl command prints for several objects, split back into what one
 * command per object prints (collect/kube.c runs fewer processes so): the JSON
 * List of several kinds, the tables of several kinds, the describe of several
 * routes, the logs of several containers (--prefix). Pure (no process, no file):
 * fuzzed by tests/fuzz/fuzz_kubesplit.c. The input is kubectl's output, untrusted:
 * whatever does not split exactly as expected is refused, and the caller then
 * runs one command per object as before. */
#ifndef COLLECT_KUBE_SPLIT_H
#define COLLECT_KUBE_SPLIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct json_t;

/* metadata.labels.app of a Kubernetes object, or NULL. */
const char *kube_label_app(struct json_t *obj);
/* Is obj's "kind" kind? */
bool kube_kind_is(struct json_t *obj, const char *kind);

/* A List of the items of one kind, as `kubectl get KIND -o json` prints it (keys
 * sorted, 4-space indent, Go's escapes of <, >, &, U+2028, U+2029; a newline at
 * the end). pods: only the ingress gateway and watcher pods (as `-l app in
 * (apigee-ingressgateway,apigee-watcher)` selects them), every Pod when none is.
 * 0 or -ENOMEM. */
int kube_list_text(struct json_t *items, const char *kind, bool pods, struct buf *ret);

/* `kubectl describe apigeeroute A B ...`: kubectl prints the objects in the order
 * asked, each text ending in a newline, separated by two more, each starting
 * with its "Name:" line. [off[i], end[i]) is route i's text as its own describe
 * prints it; false when the output does not split so. */
bool kube_describe_split(const struct buf *out, char *const *routes, size_t n, size_t *off,
                         size_t *end);

/* `kubectl get apigeeroutes,secrets,services`: one table per kind, separated by an
 * empty line, NAME cells prefixed "KIND/". tables[KUBE_N_TABLES] (initialised
 * buffers) get each kind's table as a get of that kind alone prints it (the
 * prefix gone, the NAME column re-aligned as kubectl's tabwriter does: widest
 * cell + 3, at least 6); a kind without objects gets nothing. 0, or -1 when the
 * output is not one such table per kind. */
#define KUBE_TABLES_RESOURCES "apigeeroutes,secrets,services"
#define KUBE_N_TABLES 3
int kube_tables_split(const struct buf *out, struct buf *tables);
/* The member of table i. */
const char *kube_table_path(size_t i);

/* `kubectl logs -l SELECTOR --all-containers --prefix`: every line starts with
 * "[pod/POD/CONTAINER] " (kubectl writes prefix and line in one write, and the
 * containers one after the other); the rest of the line goes to that
 * container's output, write(ud, i, ...) for container i of pods/containers. */
#define KUBE_DEMUX_MAX 64
struct kube_demux {
	size_t n;
	const char *pods[KUBE_DEMUX_MAX];
	const char *containers[KUBE_DEMUX_MAX];
	int (*write)(void *ud, size_t i, const void *data, size_t len);
	/* NULL: lines of containers not listed are dropped; else a container seen
	 * first becomes entry n (names copied below; at most KUBE_DEMUX_MAX, then
	 * dropped) and open(ud, n) is called before its first write (negative:
	 * the output is refused with that error) */
	int (*open)(void *ud, size_t i);
	void *ud;
	char pod_names[KUBE_DEMUX_MAX][254];
	char container_names[KUBE_DEMUX_MAX][64];
	uint64_t bytes[KUBE_DEMUX_MAX]; /* written to each */
	char prefix[600];
	size_t plen;
	int cur;   /* container of the line being read; -1: dropped; -2: at a line start */
	int error; /* what open() returned */
};
/* Start (after filling n, pods, containers, write, ud). */
void kube_demux_init(struct kube_demux *d);
/* run_out_fn's shape: -EPROTO on a line without a well-formed prefix, or what
 * write returned. */
int kube_demux_write(void *demux, const void *data, size_t len);
/* The output ended at a line end (not inside a prefix or an unfinished line). */
bool kube_demux_finished(const struct kube_demux *d);

#endif
