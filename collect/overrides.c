/* SPDX-License-Identifier: Apache-2.0 */
/* overrides.yaml sources: each --overrides file is stored (redacted) as
 * overrides/N-overrides.yaml; the certificate and key files its virtual hosts
 * name (sslCertPath/sslKeyPath, relative to the file's folder) are read to record
 * certificate facts, key facts and whether they match (overrides/tls-files.json).
 * The certificate chain is stored as overrides/certs/VHOST.pem when it is public
 * (parsed as certificates, no private key inside). Key bytes are wiped after use
 * and never stored.
 *
 * Also the TLS entry builder shared with the Secret facts (kube.c). */
#include "collect.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "error.h"
#include "pem.h"
#include "run.h"
#include "yamljson.h"
#include "banned.h"

#define OVERRIDES_MAX_BYTES (16u << 20)

/* ---- the TLS entry --------------------------------------------------------------------- */

static json_t *cert_error_json(const char *cls, const char *text, unsigned line)
{
	return json_pack("{s:s,s:s,s:i}", "class", cls, "text", text ? text : cls, "line",
	                 (int)line);
}

int collect_tls_entry(json_t *entry, const void *cert, size_t cert_len, const char *cert_missing,
                      const void *key, size_t key_len, const char *key_missing,
                      bool *ret_public_chain)
{
	struct pem_file pf;
	struct key_facts kf;
	const struct cert_facts *leaf = NULL;
	enum pem_error perr = PEM_ERR_EMPTY;
	json_t *certs = json_array();
	bool have_key = false;
	int r;

	memset(&pf, 0, sizeof(pf));
	memset(&kf, 0, sizeof(kf));
	if (ret_public_chain)
		*ret_public_chain = false;
	if (!certs)
		return -ENOMEM;

	/* the certificate (chain): every certificate block that parsed, leaf first */
	if (cert) {
		r = pem_parse_cert_file(cert, cert_len, &pf, &perr, NULL);
		if (r < 0) {
			json_object_set_new(entry, "cert_error",
			                    cert_error_json(pem_error_name(PEM_ERR_BAD_DER),
			                                    r == -ERANGE
			                                            ? "certificate file too large"
			                                            : "cannot parse",
			                                    0));
		} else {
			for (size_t i = 0; i < pf.n_items; i++) {
				const struct pem_item *it = &pf.items[i];

				if (it->kind != PEM_ITEM_CERT || it->error != PEM_OK)
					continue;
				if (perr != PEM_OK && !pf.der)
					break;
				if (!leaf)
					leaf = &it->cert;
				json_array_append_new(certs, cert_facts_to_json(&it->cert));
			}
			if (perr == PEM_OK)
				json_object_set_new(entry, "cert_error", json_null());
			else
				json_object_set_new(entry, "cert_error",
				                    cert_error_json(pem_error_name(perr),
				                                    pf.error_text
				                                            ? pf.error_text
				                                            : pem_error_text(perr),
				                                    pf.error_line));
			if (perr != PEM_OK)
				leaf = NULL;
			if (ret_public_chain)
				*ret_public_chain = perr == PEM_OK && !pf.has_private_key;
		}
	} else if (cert_missing) {
		json_object_set_new(entry, "cert_error",
		                    cert_error_json("missing", cert_missing, 0));
	} else {
		json_object_set_new(entry, "cert_error", json_null());
	}
	json_object_set_new(entry, "certificates", certs);

	/* the key: facts only */
	if (key) {
		r = pem_parse_key_file(key, key_len, &kf, NULL);
		if (r == 0) {
			json_object_set_new(entry, "key", key_facts_to_json(&kf));
			have_key = kf.status == PEM_OK;
		} else {
			json_object_set_new(entry, "key", json_null());
			json_object_set_new(entry, "key_error",
			                    cert_error_json(pem_error_name(PEM_ERR_BAD_DER),
			                                    "cannot parse the key file", 0));
		}
	} else {
		json_object_set_new(entry, "key", json_null());
		if (key_missing)
			json_object_set_new(entry, "key_error",
			                    cert_error_json("missing", key_missing, 0));
	}
	if (leaf && have_key)
		json_object_set_new(entry, "key_matches", json_boolean(cert_key_match(leaf, &kf)));
	else
		json_object_set_new(entry, "key_matches", json_null());
	key_facts_release(&kf);
	pem_file_release(&pf);
	return 0;
}

/* ---- files ------------------------------------------------------------------------------ */

/* Read a whole regular file (at most max bytes). On failure *ret_why says why
 * ("cannot open 'x': No such file or directory"). Caller cleanses and frees. */
static int read_file(const char *path, size_t max, struct buf *ret, char **ret_why)
{
	char chunk[16384];
	struct stat st;
	int fd, r = 0;

	buf_init(ret, max);
	*ret_why = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0 || fstat(fd, &st) < 0) {
		r = -errno;
		if (asprintf(ret_why, "cannot open '%s': %s", path, strerror(errno)) < 0)
			*ret_why = NULL;
		if (fd >= 0)
			close(fd);
		return r;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		if (asprintf(ret_why, "cannot read '%s': not a regular file", path) < 0)
			*ret_why = NULL;
		return -EINVAL;
	}
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			if (asprintf(ret_why, "cannot read '%s': %s", path, strerror(errno)) < 0)
				*ret_why = NULL;
			break;
		}
		if (n == 0)
			break;
		if (buf_append(ret, chunk, (size_t)n) < 0) {
			r = -ERANGE;
			if (asprintf(ret_why, "cannot read '%s': larger than %zu bytes", path,
			             max) < 0)
				*ret_why = NULL;
			break;
		}
	}
	OPENSSL_cleanse(chunk, sizeof(chunk));
	close(fd);
	return r;
}

static void buf_wipe(struct buf *b)
{
	if (b->data)
		OPENSSL_cleanse(b->data, b->cap);
	buf_release(b);
}

/* path resolved against the overrides file's folder */
static char *resolve(const char *overrides_file, const char *path)
{
	char *copy, *dir, *out = NULL;

	if (path[0] == '/')
		return strdup(path);
	if (path[0] == '~' && path[1] == '/' && getenv("HOME")) {
		if (asprintf(&out, "%s/%s", getenv("HOME"), path + 2) < 0)
			return NULL;
		return out;
	}
	copy = strdup(overrides_file);
	if (!copy)
		return NULL;
	dir = dirname(copy);
	if (asprintf(&out, "%s/%s", dir, path) < 0)
		out = NULL;
	free(copy);
	return out;
}

char *collect_overrides_org(const struct strv *files)
{
	for (size_t i = 0; i < files->n; i++) {
		struct buf b = BUF_INIT;
		char *why = NULL, *org = NULL;
		json_t *docs = NULL, *d;
		size_t k;

		if (read_file(files->v[i], OVERRIDES_MAX_BYTES, &b, &why) == 0 &&
		    yamljson_parse((const uint8_t *)(b.data ? b.data : ""), b.len, files->v[i],
		                   &docs, NULL) == 0)
			json_array_foreach(docs, k, d) if (!org && json_str(d, "org")) org =
			        strdup(json_str(d, "org"));
		json_decref(docs);
		buf_wipe(&b);
		free(why);
		if (org)
			return org;
	}
	return NULL;
}

/* One virtual host: its TLS entry, and its chain when public. */
static void vhost_tls(struct sink *s, const char *file, const char *member, json_t *vh,
                      json_t *items)
{
	const char *name = json_str(vh, "name"), *cp = json_str(vh, "sslCertPath"),
	           *kp = json_str(vh, "sslKeyPath");
	struct buf cert = BUF_INIT, key = BUF_INIT;
	char *cwhy = NULL, *kwhy = NULL, *cfull = NULL, *kfull = NULL, *src = NULL;
	bool public_chain = false;
	json_t *e;

	if (!cp && !kp)
		return; /* sslSecret: the Secret facts cover it */
	e = json_pack("{s:s?,s:s,s:s?,s:s?}", "virtualhost", name, "overrides", member, "cert_path",
	              cp, "key_path", kp);
	if (!e)
		return;
	if (cp && (cfull = resolve(file, cp)))
		read_file(cfull, PEM_MAX_INPUT, &cert, &cwhy);
	if (kp && (kfull = resolve(file, kp)))
		read_file(kfull, PEM_MAX_INPUT, &key, &kwhy);
	collect_tls_entry(e, cwhy || !cp ? NULL : (cert.data ? cert.data : ""), cert.len,
	                  cp ? cwhy : NULL, kwhy || !kp ? NULL : (key.data ? key.data : ""),
	                  key.len, kp ? kwhy : NULL, &public_chain);
	buf_wipe(&key);
	json_array_append_new(items, e);

	if (asprintf(&src, "overrides: virtual host %s certificate", name ? name : "?") < 0)
		src = NULL;
	if (public_chain) {
		/* certificates are public: keep the chain for the checks and people */
		char *safe = NULL, *path = NULL;
		size_t n = strlen(name ? name : "vhost");

		safe = malloc(n + 1);
		if (safe) {
			for (size_t i = 0; i < n; i++) {
				char c = (name ? name : "vhost")[i];

				safe[i] =
				        ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
				         (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.')
				                ? c
				                : '_';
			}
			safe[n] = '\0';
			if (safe[0] == '.')
				safe[0] = '_';
		}
		if (safe && asprintf(&path, "overrides/certs/%s.pem", safe) >= 0) {
			struct member_out m = {
				.path = path,
				.data = cert.data,
				.len = cert.len,
				.source = MEMBER_SRC_FILE,
				.target = cfull,
				.outcome = OUTCOME_OK,
				.exit_status = -1,
				.duration_ms = -1,
			};

			sink_emit(s, &m);
			free(path);
		}
		free(safe);
	}
	if (src)
		sink_source_ex(s, src, OUTCOME_OK,
		               cwhy           ? cwhy
		               : public_chain ? NULL
		                              : "not stored (not a public chain)",
		               -1, false);
	free(src);
	buf_wipe(&cert);
	free(cwhy);
	free(kwhy);
	free(cfull);
	free(kfull);
}

int collect_overrides(const struct collect_options *o, struct sink *s, char **ret_org,
                      struct error *err)
{
	json_t *doc = json_pack("{s:s,s:[]}", "kind", "apigee-bundle/tls-files/v1", "items");
	json_t *items = json_object_get(doc, "items");

	if (ret_org)
		*ret_org = NULL;
	if (!doc)
		return error_set(err, -ENOMEM, NULL, 0, "out of memory");
	for (size_t i = 0; i < o->overrides.n; i++) {
		const char *file = o->overrides.v[i];
		struct buf b = BUF_INIT;
		struct error perr = ERROR_INIT;
		char *why = NULL, *member = NULL, *name = NULL;
		json_t *docs = NULL, *d;
		int64_t t0 = run_now_ms();
		size_t k;
		int r;

		if (asprintf(&member, "overrides/%zu-overrides.yaml", i + 1) < 0 ||
		    asprintf(&name, "overrides %s", file) < 0)
			break;
		r = read_file(file, OVERRIDES_MAX_BYTES, &b, &why);
		{
			struct member_out m = {
				.path = member,
				.data = b.data,
				.len = b.len,
				.source = MEMBER_SRC_FILE,
				.target = file,
				.outcome = r < 0 ? OUTCOME_FAILED : OUTCOME_OK,
				.exit_status = -1,
				.duration_ms = run_now_ms() - t0,
				.error = why,
			};

			sink_emit(s, &m);
		}
		if (r < 0) {
			sink_source_ex(s, name, OUTCOME_FAILED, why, -1, false);
			goto next;
		}
		/* the parsed form only guides what else to read; the file itself is stored */
		if (yamljson_parse((const uint8_t *)(b.data ? b.data : ""), b.len, file, &docs,
		                   &perr) < 0) {
			char reason[600];

			snprintf(reason, sizeof(reason), "stored, but not valid YAML (line %u: %s)",
			         perr.line, perr.message);
			sink_source_ex(s, name, OUTCOME_OK, reason, run_now_ms() - t0, false);
			goto next;
		}
		json_array_foreach(docs, k, d)
		{
			json_t *vh;
			size_t v;

			if (ret_org && !*ret_org && json_str(d, "org"))
				*ret_org = strdup(json_str(d, "org"));
			json_array_foreach(json_object_get(d, "virtualhosts"), v,
			                   vh) if (json_is_object(vh))
			        vhost_tls(s, file, member, vh, items);
		}
		sink_source_ex(s, name, OUTCOME_OK, NULL, run_now_ms() - t0, false);
	next:
		json_decref(docs);
		buf_wipe(&b);
		free(why);
		free(member);
		free(name);
	}
	if (o->overrides.n) {
		char *text = json_dumps(doc, JSON_INDENT(2));
		struct member_out m = {
			.path = "overrides/tls-files.json",
			.data = text,
			.len = text ? strlen(text) : 0,
			.source = MEMBER_SRC_COLLECTOR,
			.outcome = text ? OUTCOME_OK : OUTCOME_FAILED,
			.exit_status = -1,
			.duration_ms = -1,
		};

		sink_emit(s, &m);
		free(text);
	}
	json_decref(doc);
	return 0;
}
