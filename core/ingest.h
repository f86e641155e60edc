/* SPDX-License-Identifier: Apache-2.0 */
/* Ingest: recognise one bundle member by its content and turn it into model facts.
 *
 * The caller (bundle.c) streams a member:
 *   1. ingest_begin(b, artifact)  -- the artifact record is already added;
 *   2. ingest_feed() with consecutive chunks of any size;
 *   3. ingest_end(), which classifies what is still buffered, parses documents,
 *      flushes line scanners and frees the state.
 * Memory: the first INGEST_SNIFF_BYTES are buffered to decide; documents (JSON,
 * YAML, PEM) are held whole up to BUNDLE_MAX_DOC_BYTES; everything else is split
 * into lines and scanned as it arrives. */
#ifndef CORE_INGEST_H
#define CORE_INGEST_H

#include <stddef.h>

#include <jansson.h>

#include "model.h"

struct artifact;
struct bundle;
struct ingest;

#define INGEST_SNIFF_BYTES (64u << 10)

int ingest_begin(struct bundle *b, size_t artifact_index, struct ingest **ret);
int ingest_feed(struct ingest *in, const void *data, size_t len);
int ingest_end(struct ingest *in);
void ingest_free(struct ingest *in);

/* Structured documents (ingest_json.c). Returns 1 when the value was recognised,
 * 0 when not, < 0 on allocation failure. a is the artifact being read. */
int ingest_json_value(struct bundle *b, struct artifact *a, json_t *v, const char *pointer,
                      unsigned line);

/* A Kubernetes JSON list document read without building its whole tree
 * (ingest_jsonlist.h): the same as ingest_json_value on what jansson would parse.
 * 1 when read, 0 when the skim does not take it (parse it with jansson), < 0 on
 * allocation failure. */
int ingest_json_list(struct bundle *b, struct artifact *a, const char *doc, size_t len);

/* A PEM value found inside a parsed document (a JSON string, a YAML block
 * scalar): its certificates become cert records of the given role, located by
 * the document pointer ptr (and line, 0 = unknown), never by the raw file text. */
int ingest_cert_value(struct bundle *b, struct artifact *a, const char *pem, size_t len,
                      enum cert_role role, const char *owner, const char *file, const char *ptr,
                      unsigned line);

/* PEM/DER files found loose in the input (ingest_json.c). */
int ingest_pem(struct bundle *b, struct artifact *a, const void *data, size_t len);

/* After the pass: link overrides virtual hosts to loose certificate/key files,
 * attachments documents to instances, and settle the collection time. */
int ingest_finish(struct bundle *b);

/* Free what ingest keeps in b->pending. */
void ingest_pending_free(struct bundle *b);

#endif
