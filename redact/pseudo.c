/* SPDX-License-Identifier: Apache-2.0 */
/* Pseudonymization (stage 5 and member names): IPv4/IPv6 addresses, host names
 * label by label, e-mail addresses, org and project names, and the names in
 * certificate distinguished names become consistent tokens.
 *
 *  - Host names: every label (lower-cased) maps to "hN" in one table, so equal
 *    labels give equal tokens wherever they stand; "*" labels and the top-level
 *    domain are kept, so "*.mydomain.com" still covers "api.mydomain.com" after
 *    the change ("*.h2.com" and "h1.h2.com"). Names under well-known public
 *    domains (googleapis.com, kubernetes.io, cluster.local, ...) are kept; under
 *    shared hosting suffixes (iam.gserviceaccount.com, svc.id.goog, apigee.net)
 *    only the customer's labels change.
 *  - IPv4: a keyed prefix-preserving permutation of the /24 prefix (Crypto-PAn
 *    style), inside the address's class: 10/8, 172.16/12, 192.168/16, 100.64/10
 *    and 198.18/15 stay in their block, public stays public (cycle walking),
 *    loopback, link-local, multicast and the Google load balancer and health
 *    check ranges (130.211.0.0/22, 35.191.0.0/16, 209.85.152.0/22,
 *    209.85.204.0/22) are kept. The last octet is kept, so one /24 stays one /24
 *    and every shorter prefix relation (CIDR ranges) still holds.
 *  - IPv6: the same over 128 bits inside 2000::/3 and fc00::/7; others kept.
 *  - E-mail: the local part becomes "userN", the domain goes through the host
 *    rule. Org / project names (learnt from overrides.yaml, the organization
 *    JSON, the manifest or given by the caller) become "orgN" / "projectN" as
 *    whole dash-separated words.
 *
 * Lookups are hash tables (SipHash-2-4 with a per-run seed), so the cost per line
 * does not grow with the number of mappings. The map (--map) is JSON, written
 * with mode 0600 to a temp file renamed over the target; it holds the IP key,
 * so a later run with the same map gives the same tokens. */
#include "redact_internal.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/rand.h>

#include "cleanup.h"
#include "error.h"
#include "yamljson.h"
#include "banned.h"

#define PSEUDO_TABLE_MAX (8u << 20) /* entries per table; beyond: hashed tokens */
#define PSEUDO_NAME_WORDS 8

/* ---- SipHash-2-4 ----------------------------------------------------------------- */

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND                   \
	do {                       \
		v0 += v1;          \
		v1 = ROTL(v1, 13); \
		v1 ^= v0;          \
		v0 = ROTL(v0, 32); \
		v2 += v3;          \
		v3 = ROTL(v3, 16); \
		v3 ^= v2;          \
		v0 += v3;          \
		v3 = ROTL(v3, 21); \
		v3 ^= v0;          \
		v2 += v1;          \
		v1 = ROTL(v1, 17); \
		v1 ^= v2;          \
		v2 = ROTL(v2, 32); \
	} while (0)

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static uint64_t siphash(const uint8_t key[16], const void *data, size_t len)
{
	const uint8_t *in = data;
	uint64_t k0 = le64(key), k1 = le64(key + 8);
	uint64_t v0 = 0x736f6d6570736575ULL ^ k0, v1 = 0x646f72616e646f6dULL ^ k1;
	uint64_t v2 = 0x6c7967656e657261ULL ^ k0, v3 = 0x7465646279746573ULL ^ k1;
	uint64_t b = (uint64_t)len << 56, m;
	size_t i, left = len & 7;
	const uint8_t *end = in + len - left;

	for (; in != end; in += 8) {
		m = le64(in);
		v3 ^= m;
		SIPROUND;
		SIPROUND;
		v0 ^= m;
	}
	for (i = 0; i < left; i++)
		b |= (uint64_t)in[i] << (8 * i);
	v3 ^= b;
	SIPROUND;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

/* ---- hash tables ------------------------------------------------------------------- */

struct entry {
	char *key;
	char *val;
	uint64_t h;
};

struct table {
	struct entry *v;
	size_t cap, n;
};

struct pseudo {
	uint8_t seed[16];   /* hash tables, per run */
	uint8_t ip_key[16]; /* the IP permutation; kept in the map */
	struct table labels, emails, names, dn, ip4, ip6;
	unsigned next_label, next_email, next_org, next_project, next_dn;
	size_t min_name; /* shortest known name, 0 = none */
	/* A prefilter over the names, so that a word that cannot be one is never
	 * hashed: bit min(length, 63) of name_lens is set when a name has that
	 * length, bit (a << 8 | b) of name_pairs when a name starts with bytes a, b.
	 * Set under the lock, read without it (relaxed atomics). */
	_Atomic uint64_t name_lens;
	_Atomic uint64_t name_pairs[1024];
	/* the last /24 prefixes seen (prefix + 1, 0 = empty) and their tokens */
	uint32_t ip4_cache_key[4096];
	uint32_t ip4_cache_val[4096];
};

/* The names prefilter (see struct pseudo): a known name key[0..len). */
static void name_note(struct pseudo *p, const char *key, size_t len)
{
	atomic_fetch_or_explicit(&p->name_lens, 1ull << (len < 63 ? len : 63),
	                         memory_order_relaxed);
	if (len >= 2) {
		unsigned pair = (unsigned)(unsigned char)key[0] << 8 | (unsigned char)key[1];

		atomic_fetch_or_explicit(&p->name_pairs[pair >> 6], 1ull << (pair & 63),
		                         memory_order_relaxed);
	}
}

/* Whether a name may have this length. */
static bool name_len_maybe(struct pseudo *p, size_t len)
{
	return (atomic_load_explicit(&p->name_lens, memory_order_relaxed) >>
	        (len < 63 ? len : 63)) &
	       1;
}

/* Whether a name may start at the (not yet lower-cased) bytes s[0..avail). */
static bool name_start_maybe(struct pseudo *p, const char *s, size_t avail)
{
	unsigned pair;

	if (atomic_load_explicit(&p->name_lens, memory_order_relaxed) & 3)
		return true; /* names of 0 or 1 bytes (only from a hand-made map) */
	if (avail < 2)
		return false;
	pair = (unsigned)tolower((unsigned char)s[0]) << 8 | (unsigned)tolower((unsigned char)s[1]);
	return (atomic_load_explicit(&p->name_pairs[pair >> 6], memory_order_relaxed) >>
	        (pair & 63)) &
	       1;
}

/* Whether the lower-cased low[0..len) may be a name. */
static bool name_maybe(struct pseudo *p, const char *low, size_t len)
{
	return name_len_maybe(p, len) && (len < 2 || name_start_maybe(p, low, len));
}

static void table_release(struct table *t)
{
	for (size_t i = 0; i < t->cap; i++) {
		free(t->v[i].key);
		free(t->v[i].val);
	}
	free(t->v);
	memset(t, 0, sizeof(*t));
}

static struct entry *table_find(const struct pseudo *p, const struct table *t, const char *key,
                                size_t len, uint64_t *ret_h)
{
	uint64_t h = siphash(p->seed, key, len);

	*ret_h = h;
	if (!t->cap)
		return NULL;
	for (size_t i = h & (t->cap - 1);; i = (i + 1) & (t->cap - 1)) {
		struct entry *e = &t->v[i];

		if (!e->key)
			return NULL;
		if (e->h == h && strlen(e->key) == len && memcmp(e->key, key, len) == 0)
			return e;
	}
}

static int table_grow(struct table *t)
{
	size_t ncap = t->cap ? t->cap * 2 : 64;
	struct entry *nv = calloc(ncap, sizeof(*nv));

	if (!nv)
		return -ENOMEM;
	for (size_t i = 0; i < t->cap; i++) {
		struct entry *e = &t->v[i];
		size_t j;

		if (!e->key)
			continue;
		for (j = e->h & (ncap - 1); nv[j].key; j = (j + 1) & (ncap - 1))
			;
		nv[j] = *e;
	}
	free(t->v);
	t->v = nv;
	t->cap = ncap;
	return 0;
}

/* Insert key -> val (both copied). */
static int table_put(struct table *t, const char *key, size_t len, uint64_t h, const char *val)
{
	size_t j;

	if ((t->n + 1) * 10 > t->cap * 7 && table_grow(t) < 0)
		return -ENOMEM;
	for (j = h & (t->cap - 1); t->v[j].key; j = (j + 1) & (t->cap - 1))
		;
	t->v[j].key = strndup(key, len);
	t->v[j].val = strdup(val);
	if (!t->v[j].key || !t->v[j].val) {
		free(t->v[j].key);
		free(t->v[j].val);
		t->v[j].key = t->v[j].val = NULL;
		return -ENOMEM;
	}
	t->v[j].h = h;
	t->n++;
	return 0;
}

/* val into out (size 96), cut as snprintf(out, 96, "%s", val) would. */
static void copy_token(char *out, const char *val)
{
	size_t n = strnlen(val, 95);

	memcpy(out, val, n);
	out[n] = '\0';
}

/* "a.b.c" (3 parts) or "a.b.c.d" (4) of v's low bytes into out (size >= 16);
 * returns its length. */
static size_t dotted(char *out, uint32_t v, unsigned parts)
{
	size_t n = 0;

	for (unsigned k = parts; k-- > 0;) {
		unsigned x = (v >> (8 * k)) & 255;

		if (x >= 100)
			out[n++] = (char)('0' + x / 100);
		if (x >= 10)
			out[n++] = (char)('0' + x / 10 % 10);
		out[n++] = (char)('0' + x % 10);
		if (k)
			out[n++] = '.';
	}
	out[n] = '\0';
	return n;
}

/* The token for key in t, made with prefix and *counter when new. Copies it to
 * out (size 96). */
static int token_for(struct pseudo *p, struct table *t, const char *key, size_t len,
                     const char *prefix, unsigned *counter, char *out)
{
	uint64_t h;
	struct entry *e = table_find(p, t, key, len, &h);

	if (e) {
		copy_token(out, e->val);
		return 0;
	}
	if (t->n >= PSEUDO_TABLE_MAX) {
		/* hostile input: stay consistent without storing more */
		snprintf(out, 96, "%sx%08x", prefix,
		         (unsigned)(siphash(p->ip_key, key, len) >> 32));
		return 0;
	}
	snprintf(out, 96, "%s%u", prefix, ++*counter);
	return table_put(t, key, len, h, out);
}

/* ---- public suffixes and top-level domains ------------------------------------------- */

static const char *const tlds[] = {
	"ac",     "academy", "ad",          "ae",         "aero",        "af",         "ag",
	"agency", "ai",      "al",          "am",         "amazon",      "ao",         "app",
	"apple",  "aq",      "ar",          "as",         "asia",        "at",         "au",
	"aw",     "aws",     "ax",          "az",         "azure",       "ba",         "bank",
	"bb",     "bd",      "be",          "bf",         "bg",          "bh",         "bi",
	"biz",    "bj",      "blog",        "bm",         "bn",          "bo",         "br",
	"bs",     "bt",      "bw",          "by",         "bz",          "ca",         "capital",
	"care",   "cd",      "center",      "cf",         "cg",          "ch",         "ci",
	"ck",     "cl",      "click",       "clinic",     "cloud",       "cloudapp",   "cm",
	"cn",     "co",      "codes",       "com",        "company",     "consulting", "coop",
	"corp",   "cr",      "cu",          "cv",         "cw",          "cx",         "cy",
	"cz",     "de",      "design",      "dev",        "digital",     "dj",         "dk",
	"dm",     "do",      "dz",          "ec",         "edu",         "ee",         "eg",
	"email",  "energy",  "engineering", "er",         "es",          "et",         "eu",
	"events", "fi",      "finance",     "fj",         "fk",          "fm",         "fo",
	"fr",     "fund",    "ga",          "gd",         "ge",          "gf",         "gg",
	"gh",     "gi",      "gl",          "gle",        "global",      "gm",         "gmbh",
	"gn",     "goog",    "google",      "gov",        "gp",          "gq",         "gr",
	"group",  "gs",      "gt",          "gu",         "gw",          "gy",         "health",
	"hk",     "hm",      "hn",          "home",       "hospital",    "hr",         "ht",
	"hu",     "ibm",     "id",          "ie",         "il",          "im",         "in",
	"inc",    "info",    "institute",   "insurance",  "int",         "internal",   "intranet",
	"io",     "iq",      "ir",          "is",         "it",          "je",         "jm",
	"jo",     "jobs",    "jp",          "ke",         "kg",          "kh",         "ki",
	"km",     "kn",      "kp",          "kr",         "kw",          "ky",         "kz",
	"la",     "lan",     "lb",          "lc",         "li",          "life",       "link",
	"live",   "lk",      "llc",         "local",      "localdomain", "lr",         "ls",
	"lt",     "ltd",     "lu",          "lv",         "ly",          "ma",         "mc",
	"me",     "media",   "mg",          "mh",         "microsoft",   "mil",        "mm",
	"mn",     "mo",      "mobi",        "money",      "mp",          "mq",         "mr",
	"ms",     "mt",      "mu",          "mv",         "mw",          "mx",         "my",
	"mz",     "na",      "name",        "nc",         "ne",          "net",        "network",
	"new",    "news",    "nf",          "ng",         "ni",          "nl",         "no",
	"np",     "nr",      "nu",          "nz",         "om",          "one",        "online",
	"org",    "pa",      "page",        "partners",   "pay",         "pe",         "pf",
	"pg",     "ph",      "photo",       "pk",         "pl",          "pn",         "pr",
	"pro",    "ps",      "pt",          "pw",         "qa",          "re",         "ro",
	"ru",     "run",     "rw",          "sa",         "sap",         "sb",         "sc",
	"sd",     "se",      "security",    "services",   "sg",          "shop",       "si",
	"site",   "sk",      "sl",          "sm",         "sn",          "software",   "solutions",
	"space",  "sr",      "ss",          "st",         "store",       "studio",     "su",
	"sv",     "sx",      "sy",          "systems",    "sz",          "tc",         "td",
	"team",   "tech",    "technology",  "tel",        "tg",          "th",         "tj",
	"tk",     "tl",      "tm",          "tn",         "to",          "today",      "tools",
	"top",    "tr",      "travel",      "tt",         "tv",          "tw",         "tz",
	"ua",     "ug",      "uk",          "university", "us",          "uy",         "uz",
	"va",     "vc",      "ve",          "ventures",   "vg",          "vi",         "vn",
	"vu",     "website", "wf",          "wiki",       "works",       "world",      "ws",
	"xyz",    "ye",      "youtube",     "yt",         "za",          "zm",         "zone",
	"zw",
};

/* Whether p[0..n) is a top-level domain (any case): a binary search of the
 * sorted table over the label lower-cased; all of them are letters only. */
static bool is_tld(const char *p, size_t n)
{
	char low[25];
	size_t lo = 0, hi = ELEMENTSOF(tlds);

	if (n < 2 || n > 24)
		return false;
	for (size_t q = 0; q < n; q++) {
		unsigned char c = (unsigned char)p[q] | 0x20;

		if (c < 'a' || c > 'z')
			return false;
		low[q] = (char)c;
	}
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const char *t = tlds[mid];
		int c = 0;
		size_t q = 0;

		/* strncmp(low, t, n), then shorter first */
		while (q < n && !(c = (unsigned char)low[q] - (unsigned char)t[q]))
			q++;
		if (!c)
			c = t[n] ? -1 : 0;
		if (!c)
			return true;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return false;
}

struct suffix {
	const char *w;
	size_t n;
};

#define S(x)                     \
	{                        \
		x, sizeof(x) - 1 \
	}

/* Names under these stay whole. */
static const struct suffix keep_whole[] = {
	S("googleapis.com"), S("google.com"),      S("gstatic.com"),   S("googleusercontent.com"),
	S("gcr.io"),         S("pkg.dev"),         S("k8s.io"),        S("kubernetes.io"),
	S("istio.io"),       S("envoyproxy.io"),   S("cluster.local"), S("gke.io"),
	S("x-k8s.io"),       S("cert-manager.io"), S("github.com"),    S("docker.io"),
	S("quay.io"),        S("letsencrypt.org"), S("curl.se"),       S("openssl.org"),
	S("apigee.com"),     S("cloud.goog"),      { NULL, 0 },
};

/* Under these only the labels in front change. */
static const struct suffix keep_suffix[] = {
	S("iam.gserviceaccount.com"),
	S("gserviceaccount.com"),
	S("svc.id.goog"),
	S("appspot.com"),
	S("run.app"),
	S("cloudfunctions.net"),
	S("apigee.net"),
	S("nip.io"),
	S("sslip.io"),
	{ NULL, 0 },
};

/* How many trailing bytes of name[0..n) are a listed suffix on a label boundary. */
static size_t suffix_len(const char *name, size_t n, const struct suffix *list)
{
	char last;

	if (!n)
		return 0;
	last = (char)tolower((unsigned char)name[n - 1]);
	for (; list->w; list++) {
		size_t m = list->n, q = 0;

		if (m > n || list->w[m - 1] != last)
			continue;
		/* strncasecmp(name + n - m, list->w, m) == 0 (the list is lower case) */
		while (q < m && tolower((unsigned char)name[n - m + q]) == list->w[q])
			q++;
		if (q == m && (m == n || name[n - m - 1] == '.'))
			return m;
	}
	return 0;
}

/* ---- the pseudonym state ------------------------------------------------------------- */

static unsigned token_number(const char *tok, const char *prefix)
{
	size_t m = strlen(prefix);
	char *end;
	unsigned long v;

	if (strncmp(tok, prefix, m) != 0 || !isdigit((unsigned char)tok[m]))
		return 0;
	v = strtoul(tok + m, &end, 10);
	return *end || v > 1000000000ul ? 0 : (unsigned)v;
}

static int hex_decode(const char *s, uint8_t *out, size_t n)
{
	if (!s || strlen(s) != 2 * n)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		unsigned v;

		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -EINVAL;
		out[i] = (uint8_t)v;
	}
	return 0;
}

static int load_table(struct pseudo *p, struct table *t, json_t *o, const char *prefix,
                      unsigned *counter, const char *prefix2, unsigned *counter2)
{
	const char *k;
	json_t *v;

	json_object_foreach(o, k, v)
	{
		uint64_t h;
		unsigned num;

		if (!json_is_string(v) || table_find(p, t, k, strlen(k), &h))
			continue;
		if (table_put(t, k, strlen(k), h, json_string_value(v)) < 0)
			return -ENOMEM;
		num = token_number(json_string_value(v), prefix);
		if (counter && num > *counter)
			*counter = num;
		num = prefix2 ? token_number(json_string_value(v), prefix2) : 0;
		if (counter2 && num > *counter2)
			*counter2 = num;
	}
	return 0;
}

static int pseudo_load(struct pseudo *p, const char *path, struct error *err)
{
	json_error_t jerr;
	json_t *doc = json_load_file(path, 0, &jerr);
	const char *fmt;
	int rc = 0;

	if (!doc)
		return error_set(err, -EINVAL, path, (unsigned)jerr.line,
		                 "cannot read map '%s': %s", path, jerr.text);
	fmt = json_string_value(json_object_get(doc, "format"));
	if (!fmt || strcmp(fmt, "apigee-bundle/pseudonym-map/v1") != 0 ||
	    hex_decode(json_string_value(json_object_get(doc, "ip_key")), p->ip_key,
	               sizeof(p->ip_key)) < 0) {
		json_decref(doc);
		return error_set(err, -EINVAL, path, 0,
		                 "'%s' is not a pseudonym map of apigee-bundle", path);
	}
	if (load_table(p, &p->labels, json_object_get(doc, "labels"), "h", &p->next_label, NULL,
	               NULL) < 0 ||
	    load_table(p, &p->emails, json_object_get(doc, "emails"), "user", &p->next_email, NULL,
	               NULL) < 0 ||
	    load_table(p, &p->names, json_object_get(doc, "names"), "org", &p->next_org, "project",
	               &p->next_project) < 0 ||
	    load_table(p, &p->dn, json_object_get(doc, "dn"), "name", &p->next_dn, NULL, NULL) <
	            0 ||
	    load_table(p, &p->ip4, json_object_get(doc, "ipv4_prefixes"), "", NULL, NULL, NULL) <
	            0 ||
	    load_table(p, &p->ip6, json_object_get(doc, "ipv6"), "", NULL, NULL, NULL) < 0)
		rc = error_set(err, -ENOMEM, path, 0, "out of memory");
	for (size_t i = 0; rc == 0 && i < p->names.cap; i++)
		if (p->names.v[i].key) {
			size_t n = strlen(p->names.v[i].key);

			if (!p->min_name || n < p->min_name)
				p->min_name = n;
			name_note(p, p->names.v[i].key, n);
		}
	json_decref(doc);
	return rc;
}

int pseudo_new(const char *map_file, struct pseudo **ret, struct error *err)
{
	struct pseudo *p = calloc(1, sizeof(*p));
	struct stat st;
	int rc = 0;

	if (!p)
		return error_set(err, -ENOMEM, NULL, 0, "out of memory");
	if (RAND_bytes(p->seed, sizeof(p->seed)) != 1 ||
	    RAND_bytes(p->ip_key, sizeof(p->ip_key)) != 1) {
		free(p);
		return error_set(err, -EIO, NULL, 0, "cannot get random bytes");
	}
	if (map_file && stat(map_file, &st) == 0)
		rc = pseudo_load(p, map_file, err);
	if (rc < 0) {
		pseudo_free(p);
		return rc;
	}
	*ret = p;
	return 0;
}

void pseudo_free(struct pseudo *p)
{
	if (!p)
		return;
	table_release(&p->labels);
	table_release(&p->emails);
	table_release(&p->names);
	table_release(&p->dn);
	table_release(&p->ip4);
	table_release(&p->ip6);
	free(p);
}

/* Words the checks read that must never be taken for an org or project name. */
static const char *const name_stoplist[] = {
	"apigee",     "default", "istio",   "ingress",      "system",   "google",
	"kubernetes", "gateway", "runtime", "synchronizer", "watcher",  "cassandra",
	"redis",      "envoy",   "test",    "prod",         "dev",      "api",
	"apis",       "hybrid",  "org",     "env",          "envgroup", "secret",
	"route",      "https",   "http",    "example",      NULL,
};

int pseudo_add_name(struct pseudo *p, const char *category, const char *value)
{
	char low[96], tok[96];
	size_t n = strlen(value);
	bool project = category && strcmp(category, "project") == 0;

	if (n < 3 || n >= sizeof(low))
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = value[i];

		if (!(isalnum((unsigned char)c) || c == '-' || c == '_'))
			return 0; /* not a name (a template "$ORG", a path) */
		low[i] = (char)tolower((unsigned char)c);
	}
	low[n] = '\0';
	for (const char *const *s = name_stoplist; *s; s++)
		if (strcmp(low, *s) == 0)
			return 0;
	if (!p->min_name || n < p->min_name)
		p->min_name = n;
	name_note(p, low, n);
	return token_for(p, &p->names, low, n, project ? "project" : "org",
	                 project ? &p->next_project : &p->next_org, tok);
}

/* Whether in[0..n) holds needle as a whole word (no letter or digit either side). */
static bool has_word(const char *in, size_t n, const char *needle, size_t m)
{
	const char *end = in + n, *q = in;

	while ((q = memmem(q, (size_t)(end - q), needle, m)) != NULL) {
		if ((q == in || !isalnum((unsigned char)q[-1])) &&
		    (q + m == end || !isalnum((unsigned char)q[m])))
			return true;
		q++;
	}
	return false;
}

bool pseudo_may_learn(const void *data, size_t len)
{
	static const char *const keys[] = { "rojectI", "runtimeType", "subscriptionType",
		                            "collection", NULL };
	const char *in = data, *end = in + len, *q;

	/* a UTF-16 document (libyaml reads its BOM) */
	if (len >= 2 && (((unsigned char)in[0] == 0xff && (unsigned char)in[1] == 0xfe) ||
	                 ((unsigned char)in[0] == 0xfe && (unsigned char)in[1] == 0xff)))
		return true;
	/* an escape that may spell a key: \u, \U, \x, a line joined by '\' */
	for (q = in; (q = memchr(q, '\\', (size_t)(end - q))) != NULL && q + 1 < end; q++)
		if (strchr("uUx\r\n", q[1]) && q[1])
			return true;
	for (const char *const *k = keys; *k; k++)
		if (memmem(in, len, *k, strlen(*k)))
			return true;
	return has_word(in, len, "org", 3);
}

int pseudo_learn_json(struct pseudo *p, const json_t *doc)
{
	const json_t *gcp, *opts;
	int rc = 0;

	if (!json_is_object(doc))
		return 0;
	/* overrides.yaml */
	if (json_str(doc, "org") &&
	    (json_object_get(doc, "virtualhosts") || json_object_get(doc, "gcp") ||
	     json_object_get(doc, "instanceID") || json_object_get(doc, "envs")))
		rc = pseudo_add_name(p, "org", json_str(doc, "org"));
	gcp = json_object_get(doc, "gcp");
	if (rc == 0 && json_str(gcp, "projectID"))
		rc = pseudo_add_name(p, "project", json_str(gcp, "projectID"));
	if (rc == 0 && json_str(doc, "gcpProjectID"))
		rc = pseudo_add_name(p, "project", json_str(doc, "gcpProjectID"));
	/* an Apigee organization */
	if (rc == 0 && json_str(doc, "name") &&
	    (json_object_get(doc, "runtimeType") || json_object_get(doc, "subscriptionType") ||
	     json_object_get(doc, "projectId"))) {
		rc = pseudo_add_name(p, "org", json_str(doc, "name"));
		if (rc == 0 && json_str(doc, "projectId"))
			rc = pseudo_add_name(p, "project", json_str(doc, "projectId"));
	}
	/* the manifest of a collected bundle */
	opts = json_object_get(json_object_get(doc, "collection"), "options");
	if (rc == 0 && json_str(opts, "org"))
		rc = pseudo_add_name(p, "org", json_str(opts, "org"));
	if (rc == 0 && json_str(opts, "project"))
		rc = pseudo_add_name(p, "project", json_str(opts, "project"));
	return rc;
}

static int save_table(json_t *doc, const char *name, const struct table *t)
{
	json_t *o = json_object();

	if (!o)
		return -ENOMEM;
	for (size_t i = 0; i < t->cap; i++)
		if (t->v[i].key &&
		    json_object_set_new(o, t->v[i].key, json_string(t->v[i].val)) < 0) {
			json_decref(o);
			return -ENOMEM;
		}
	return json_object_set_new(doc, name, o) < 0 ? -ENOMEM : 0;
}

int pseudo_save(struct pseudo *p, const char *map_file, struct error *err)
{
	json_t *doc = json_object();
	char hex[33], *tmp = NULL;
	int fd = -1, rc = 0;
	size_t len;
	FILE *f = NULL;

	for (size_t i = 0; i < sizeof(p->ip_key); i++)
		snprintf(hex + 2 * i, 3, "%02x", p->ip_key[i]);
	if (!doc ||
	    json_object_set_new(doc, "format", json_string("apigee-bundle/pseudonym-map/v1")) < 0 ||
	    json_object_set_new(doc, "ip_key", json_string(hex)) < 0 ||
	    save_table(doc, "labels", &p->labels) < 0 ||
	    save_table(doc, "emails", &p->emails) < 0 || save_table(doc, "names", &p->names) < 0 ||
	    save_table(doc, "dn", &p->dn) < 0 || save_table(doc, "ipv4_prefixes", &p->ip4) < 0 ||
	    save_table(doc, "ipv6", &p->ip6) < 0) {
		rc = error_set(err, -ENOMEM, map_file, 0, "out of memory");
		goto out;
	}
	/* a temp file beside the map (mkstemp: mode 0600), renamed over it */
	len = strlen(map_file) + 16;
	tmp = malloc(len);
	if (!tmp) {
		rc = error_set(err, -ENOMEM, map_file, 0, "out of memory");
		goto out;
	}
	snprintf(tmp, len, "%s.tmp.XXXXXX", map_file);
	fd = mkstemp(tmp);
	if (fd < 0) {
		rc = error_set(err, -errno, map_file, 0, "cannot write '%s': %s", map_file,
		               strerror(errno));
		FREE_AND_NULL(tmp);
		goto out;
	}
	if (fchmod(fd, 0600) < 0 || !(f = fdopen(fd, "w"))) {
		rc = error_set(err, -errno, map_file, 0, "cannot write '%s': %s", map_file,
		               strerror(errno));
		goto out;
	}
	fd = -1;
	if (json_dumpf(doc, f, JSON_INDENT(1) | JSON_SORT_KEYS) < 0 || fputc('\n', f) == EOF ||
	    fflush(f) != 0 || fsync(fileno(f)) < 0) {
		rc = error_set(err, -EIO, map_file, 0, "cannot write '%s'", map_file);
		goto out;
	}
	if (fclose(f) != 0) {
		f = NULL;
		rc = error_set(err, -EIO, map_file, 0, "cannot write '%s'", map_file);
		goto out;
	}
	f = NULL;
	if (rename(tmp, map_file) < 0) {
		rc = error_set(err, -errno, map_file, 0, "cannot write '%s': %s", map_file,
		               strerror(errno));
		goto out;
	}
	FREE_AND_NULL(tmp);
out:
	if (f)
		fclose(f);
	if (fd >= 0)
		close(fd);
	if (tmp) {
		unlink(tmp);
		free(tmp);
	}
	json_decref(doc);
	return rc;
}

/* ---- IP addresses ----------------------------------------------------------------------- */

static unsigned prf_bit(const struct pseudo *p, unsigned domain, unsigned bit,
                        const uint8_t *prefix, size_t plen)
{
	uint8_t buf[20];

	buf[0] = (uint8_t)domain;
	buf[1] = (uint8_t)bit;
	memcpy(buf + 2, prefix, plen);
	return (unsigned)(siphash(p->ip_key, buf, plen + 2) & 1);
}

/* Prefix-preserving permutation of the 24-bit prefix v, keeping the first `fixed` bits. */
static uint32_t pp24(const struct pseudo *p, uint32_t v, unsigned fixed)
{
	uint32_t out = v;

	for (unsigned b = fixed; b < 24; b++) {
		uint32_t pre = b ? v >> (24 - b) : 0;
		uint8_t pb[3] = { (uint8_t)(pre >> 16), (uint8_t)(pre >> 8), (uint8_t)pre };

		out ^= (uint32_t)prf_bit(p, 4, b, pb, 3) << (23 - b);
	}
	return out;
}

static bool in_net(uint32_t a, uint32_t net, unsigned bits)
{
	uint32_t mask = bits ? 0xffffffffu << (32 - bits) : 0;

	return (a & mask) == (net & mask);
}

#define IP4(a, b, c, d) (((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | ((uint32_t)(c) << 8) | (d))

static bool ip4_kept(uint32_t a)
{
	return in_net(a, IP4(0, 0, 0, 0), 8) || in_net(a, IP4(127, 0, 0, 0), 8) ||
	       in_net(a, IP4(169, 254, 0, 0), 16) || a >= IP4(224, 0, 0, 0) ||
	       in_net(a, IP4(130, 211, 0, 0), 22) || in_net(a, IP4(35, 191, 0, 0), 16) ||
	       in_net(a, IP4(209, 85, 152, 0), 22) || in_net(a, IP4(209, 85, 204, 0), 22) ||
	       in_net(a, IP4(192, 0, 2, 0), 24) || in_net(a, IP4(198, 51, 100, 0), 24) ||
	       in_net(a, IP4(203, 0, 113, 0), 24);
}

/* The block an address must stay in: its fixed bits, or 0 for public. */
static unsigned ip4_class_bits(uint32_t a)
{
	if (in_net(a, IP4(10, 0, 0, 0), 8))
		return 8;
	if (in_net(a, IP4(172, 16, 0, 0), 12))
		return 12;
	if (in_net(a, IP4(192, 168, 0, 0), 16))
		return 16;
	if (in_net(a, IP4(100, 64, 0, 0), 10))
		return 10;
	if (in_net(a, IP4(198, 18, 0, 0), 15))
		return 15;
	return 0;
}

static uint32_t map_ip4(struct pseudo *p, uint32_t a)
{
	char key[16], tok[96];
	uint64_t h;
	struct entry *e;
	uint32_t pre = a >> 8, out;
	size_t klen;
	unsigned fixed;

	if (ip4_kept(a))
		return a;
	if (p->ip4_cache_key[pre & 4095] == pre + 1)
		return (p->ip4_cache_val[pre & 4095] << 8) | (a & 255);
	klen = dotted(key, pre, 3);
	e = table_find(p, &p->ip4, key, klen, &h);
	if (e) {
		unsigned x, y, z;

		if (sscanf(e->val, "%u.%u.%u", &x, &y, &z) == 3 && x < 256 && y < 256 && z < 256) {
			p->ip4_cache_key[pre & 4095] = pre + 1;
			p->ip4_cache_val[pre & 4095] = (x << 16) | (y << 8) | z;
			return IP4(x, y, z, a & 255);
		}
	}
	fixed = ip4_class_bits(a);
	out = pp24(p, pre, fixed);
	if (!fixed) {
		/* public stays public: walk the cycle out of the special blocks */
		for (int k = 0; k < 1000; k++) {
			uint32_t o = out << 8;

			if (!ip4_kept(o) && !ip4_class_bits(o))
				break;
			out = pp24(p, out, 0);
		}
	}
	dotted(tok, out, 3);
	if (p->ip4.n < PSEUDO_TABLE_MAX)
		table_put(&p->ip4, key, klen, h, tok);
	p->ip4_cache_key[pre & 4095] = pre + 1;
	p->ip4_cache_val[pre & 4095] = out;
	return (out << 8) | (a & 255);
}

static void map_ip6(struct pseudo *p, uint8_t a[16])
{
	char key[64], tok[64];
	uint8_t out[16], pre[16];
	uint64_t h;
	struct entry *e;
	unsigned fixed;
	static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	if (memcmp(a, v4mapped, 12) == 0) {
		uint32_t v = ((uint32_t)a[12] << 24) | ((uint32_t)a[13] << 16) |
		             ((uint32_t)a[14] << 8) | a[15];

		v = map_ip4(p, v);
		a[12] = (uint8_t)(v >> 24), a[13] = (uint8_t)(v >> 16), a[14] = (uint8_t)(v >> 8),
		a[15] = (uint8_t)v;
		return;
	}
	if ((a[0] & 0xe0) == 0x20)
		fixed = 3; /* global unicast */
	else if ((a[0] & 0xfe) == 0xfc)
		fixed = 7; /* unique local */
	else
		return; /* loopback, link-local, multicast, unspecified: kept */
	if (a[0] == 0x20 && a[1] == 0x01 && a[2] == 0x0d && a[3] == 0xb8)
		return; /* documentation */
	inet_ntop(AF_INET6, a, key, sizeof(key));
	e = table_find(p, &p->ip6, key, strlen(key), &h);
	if (e && inet_pton(AF_INET6, e->val, out) == 1) {
		memcpy(a, out, 16);
		return;
	}
	memcpy(out, a, 16);
	for (unsigned b = fixed; b < 128; b++) {
		memset(pre, 0, sizeof(pre));
		memcpy(pre, a, b / 8);
		if (b % 8)
			pre[b / 8] = (uint8_t)(a[b / 8] & (0xff << (8 - b % 8)));
		out[b / 8] ^= (uint8_t)(prf_bit(p, 6, b, pre, 16) << (7 - b % 8));
	}
	inet_ntop(AF_INET6, out, tok, sizeof(tok));
	if (p->ip6.n < PSEUDO_TABLE_MAX)
		table_put(&p->ip6, key, strlen(key), h, tok);
	memcpy(a, out, 16);
}

/* ---- the scanner ------------------------------------------------------------------------- */

struct scan {
	struct redactor *r;
	struct pseudo *p;
	uint64_t *counts; /* NULL for member names */
	const char *in;
	size_t n;
	size_t start; /* copied up to here */
	struct buf *out;
	bool manifest; /* a manifest.json: digests stay, home-folder user names change */
};

static void count(struct scan *sc, int rule)
{
	if (sc->counts)
		sc->counts[rule]++;
}

/* Host names, addresses, words: '_' separates them ("host.example.com_443.pem").
 * A-Z a-z 0-9 - . * as a bitmap of the 128 ASCII bytes. */
#define BIT(c) (1ull << ((c)&63))
#define RUN_LO (BIT('*') | BIT('-') | BIT('.') | (0x3ffull << '0'))
#define RUN_HI ((0x3ffffffull << ('A' - 64)) | (0x3ffffffull << ('a' - 64)))

static bool run_char(unsigned char c)
{
	return c < 64 ? (RUN_LO >> c) & 1 : c < 128 && ((RUN_HI >> (c - 64)) & 1);
}

/* Replace in[b..e) by text. */
static int put(struct scan *sc, size_t b, size_t e, const char *text, size_t tlen)
{
	if (buf_append(sc->out, sc->in + sc->start, b - sc->start) < 0 ||
	    buf_append(sc->out, text, tlen) < 0)
		return -ENOMEM;
	sc->start = e;
	return 0;
}

static void lock(struct scan *sc)
{
	pthread_mutex_lock(&sc->r->lock);
}

static void unlock(struct scan *sc)
{
	pthread_mutex_unlock(&sc->r->lock);
}

/* a.b.c.d exactly */
static bool parse_ip4(const char *s, size_t n, uint32_t *ret)
{
	uint32_t v = 0;
	unsigned parts = 0;
	size_t i = 0;

	while (i < n) {
		unsigned x = 0, digits = 0;

		while (i < n && s[i] >= '0' && s[i] <= '9' && digits < 4) {
			x = x * 10 + (unsigned)(s[i] - '0');
			i++;
			digits++;
		}
		if (!digits || digits > 3 || x > 255)
			return false;
		v = (v << 8) | x;
		parts++;
		if (i == n)
			break;
		if (s[i] != '.' || parts == 4)
			return false;
		i++;
	}
	if (parts != 4)
		return false;
	*ret = v;
	return true;
}

/* The longest known name among the candidates in[i..ends[k]) (up to
 * PSEUDO_NAME_WORDS word ends from i): its length, its token in tok; 0 if none. */
static size_t name_at(struct scan *sc, size_t i, size_t e, char *tok)
{
	size_t ends[PSEUDO_NAME_WORDS], ne = 0;

	if (!name_start_maybe(sc->p, sc->in + i, e - i))
		return 0;
	for (size_t k = i; k <= e && ne < PSEUDO_NAME_WORDS; k++)
		if (k == e || sc->in[k] == '-' || sc->in[k] == '_' || sc->in[k] == '.')
			ends[ne++] = k;
	for (size_t k = ne; k-- > 0;) {
		char low[96];
		size_t len = ends[k] - i;
		uint64_t h;
		struct entry *en;

		if (len < sc->p->min_name || len >= sizeof(low) || !name_len_maybe(sc->p, len))
			continue;
		for (size_t q = 0; q < len; q++)
			low[q] = (char)tolower((unsigned char)sc->in[i + q]);
		lock(sc);
		en = table_find(sc->p, &sc->p->names, low, len, &h);
		if (en)
			copy_token(tok, en->val);
		unlock(sc);
		if (en)
			return len;
	}
	return 0;
}

/* Known org/project names as dash/underscore-separated words of in[b..e). */
static int names_in(struct scan *sc, size_t b, size_t e)
{
	size_t i = b;

	if (!sc->p->min_name || e - b < sc->p->min_name)
		return 0;
	while (i < e) {
		size_t best;
		char tok[96];

		if (i > b && sc->in[i - 1] != '-' && sc->in[i - 1] != '_' && sc->in[i - 1] != '.') {
			i++;
			continue;
		}
		best = name_at(sc, i, e, tok);
		if (best) {
			if (put(sc, i, i + best, tok, strlen(tok)) < 0)
				return -ENOMEM;
			count(sc, RULE_PSEUDO_NAME);
			i += best;
		} else {
			i++;
		}
	}
	return 0;
}

/* A host name in in[b..e): labels, the TLD at index t (labels after it are a file
 * extension and stay). Returns the end of the host part or 0. */
static size_t host_end(const char *in, size_t b, size_t e)
{
	size_t nl = 0, i = b, last_tld_end = 0;
	unsigned nlab = 0;

	while (i <= e && nl < 64) {
		size_t ls = i;

		while (i < e && in[i] != '.')
			i++;
		if (i == ls)
			return 0; /* empty label */
		nl++;
		nlab++;
		if (nlab >= 2 && is_tld(in + ls, i - ls))
			last_tld_end = i;
		if (i >= e)
			break;
		i++;
	}
	if (!last_tld_end)
		return 0;
	/* every label up to the TLD: [A-Za-z0-9_-]+, "*" first */
	for (size_t k = b; k < last_tld_end; k++) {
		unsigned char c = (unsigned char)in[k];

		if (c == '*' && (k == b) && k + 1 < last_tld_end && in[k + 1] == '.')
			continue;
		if (c != '.' && !cc_is(c, CC_HOST))
			return 0;
	}
	if (in[b] == '-' || in[last_tld_end - 1] == '-')
		return 0;
	return last_tld_end;
}

/* The token of the host label in[ls..ls+len) appended to the output (under the lock). */
static int put_label(struct scan *sc, size_t ls, size_t len)
{
	char t[96], low[96];
	uint64_t h;
	struct entry *known;
	int rc;

	if (len == 1 && sc->in[ls] == '*')
		return buf_putc(sc->out, '*');
	if (len >= sizeof(low))
		return buf_puts(sc->out, "hlong");
	for (size_t q = 0; q < len; q++)
		low[q] = (char)tolower((unsigned char)sc->in[ls + q]);
	/* a label that is the org or project name gets that token */
	known = name_maybe(sc->p, low, len) ? table_find(sc->p, &sc->p->names, low, len, &h) : NULL;
	if (known)
		copy_token(t, known->val);
	else if ((rc = token_for(sc->p, &sc->p->labels, low, len, "h", &sc->p->next_label, t)) < 0)
		return rc;
	return buf_puts(sc->out, t);
}

static int map_host(struct scan *sc, size_t b, size_t e)
{
	size_t keep = suffix_len(sc->in + b, e - b, keep_whole), front_end, i;
	int rc;

	if (keep)
		return names_in(sc, b, e); /* a public name: only known names inside change */
	keep = suffix_len(sc->in + b, e - b, keep_suffix);
	if (!keep) {
		/* keep the TLD */
		for (i = e; i > b && sc->in[i - 1] != '.'; i--)
			;
		keep = e - i + 1;
	}
	front_end = e - keep; /* the '.' before the kept part, or b */
	if (front_end <= b)
		return 0;
	if (sc->in[front_end - 1] == '.')
		front_end--;
	/* the tokens go straight to the output: what stands before, then label by label */
	if ((rc = buf_append(sc->out, sc->in + sc->start, b - sc->start)) < 0)
		return rc;
	sc->start = front_end;
	i = b;
	lock(sc);
	while (i < front_end && rc == 0) {
		size_t ls = i;

		while (i < front_end && sc->in[i] != '.')
			i++;
		rc = put_label(sc, ls, i - ls);
		if (rc == 0 && i < front_end)
			rc = buf_putc(sc->out, '.'), i++;
	}
	unlock(sc);
	if (rc == 0)
		count(sc, RULE_PSEUDO_HOST);
	return rc;
}

static bool local_char(unsigned char c)
{
	return cc_is(c, CC_HOST) || c == '.' || c == '+' || c == '%';
}

/* DN attributes whose values name people and companies. */
static bool dn_attr(const char *s, size_t n)
{
	switch (n) {
	case 1:
		return s[0] == 'O' || s[0] == 'L';
	case 2:
		return memcmp(s, "OU", 2) == 0 || memcmp(s, "ST", 2) == 0 ||
		       memcmp(s, "CN", 2) == 0;
	case 6:
		return memcmp(s, "street", 6) == 0;
	case 12:
		return memcmp(s, "emailAddress", 12) == 0;
	default:
		return false;
	}
}

/* Public certificate authorities' names in a DN stay: they name no customer, and
 * whether a certificate comes from a public CA or a private one is evidence (a
 * Google-managed load balancer certificate, Let's Encrypt, a corporate root). */
static const struct {
	const char *name;
	size_t len;
} public_ca_names[] = {
#define CA_NAME(s)               \
	{                        \
		s, sizeof(s) - 1 \
	}
	CA_NAME("Google Trust Services LLC"),
	CA_NAME("Google Trust Services"),
	CA_NAME("GTS Root R1"),
	CA_NAME("GTS Root R2"),
	CA_NAME("GTS Root R3"),
	CA_NAME("GTS Root R4"),
	CA_NAME("GTS CA 1C3"),
	CA_NAME("GTS CA 1D4"),
	CA_NAME("GTS CA 1P5"),
	CA_NAME("WR1"),
	CA_NAME("WR2"),
	CA_NAME("WR3"),
	CA_NAME("WR4"),
	CA_NAME("WE1"),
	CA_NAME("WE2"),
	CA_NAME("Let's Encrypt"),
	CA_NAME("Internet Security Research Group"),
	CA_NAME("ISRG Root X1"),
	CA_NAME("ISRG Root X2"),
	CA_NAME("R3"),
	CA_NAME("R10"),
	CA_NAME("R11"),
	CA_NAME("E5"),
	CA_NAME("E6"),
	CA_NAME("DigiCert Inc"),
	CA_NAME("DigiCert Global Root CA"),
	CA_NAME("DigiCert Global Root G2"),
	CA_NAME("Sectigo Limited"),
	CA_NAME("GlobalSign nv-sa"),
	CA_NAME("GlobalSign"),
	CA_NAME("Amazon"),
	CA_NAME("Amazon Root CA 1"),
	CA_NAME("Microsoft Corporation"),
	CA_NAME("IdenTrust"),
	CA_NAME("ZeroSSL"),
#undef CA_NAME
};

static bool public_ca_name(const char *v, size_t len)
{
	for (size_t i = 0; i < sizeof(public_ca_names) / sizeof(public_ca_names[0]); i++)
		if (public_ca_names[i].len == len && memcmp(public_ca_names[i].name, v, len) == 0)
			return true;
	return false;
}

static int dn_value(struct scan *sc, size_t eq, size_t *ret_next)
{
	size_t v = eq + 1, e;
	char tok[96];
	int rc;

	while (v < sc->n && sc->in[v] == ' ')
		v++;
	for (e = v; e < sc->n && !strchr(",;/+\"\n\r<>", sc->in[e]); e++)
		;
	/* a DN inside a JSON-escaped string ends at \" (the backslash is not its own) */
	if (e > v && e < sc->n && sc->in[e] == '"' && sc->in[e - 1] == '\\')
		e--;
	while (e > v && sc->in[e - 1] == ' ')
		e--;
	*ret_next = v;
	if (e == v || e - v >= 90 || redact_marker_at(sc->in + v, e - v))
		return 0;
	if (public_ca_name(sc->in + v, e - v)) {
		*ret_next = e;
		return 0;
	}
	/* a host name, an address: left to their own rules */
	if (host_end(sc->in, v, e) == e || (sc->in[v] == '*' && e - v > 2)) {
		return 0;
	}
	{
		uint32_t ip;

		if (parse_ip4(sc->in + v, e - v, &ip))
			return 0;
	}
	lock(sc);
	rc = token_for(sc->p, &sc->p->dn, sc->in + v, e - v, "name", &sc->p->next_dn, tok);
	unlock(sc);
	if (rc < 0)
		return rc;
	if ((rc = put(sc, v, e, tok, strlen(tok))) < 0)
		return rc;
	count(sc, RULE_PSEUDO_DN);
	*ret_next = e;
	return 0;
}

static int try_ip6(struct scan *sc, size_t i, size_t *ret_next)
{
	size_t e = i, colons = 0;
	char tmp[64];
	uint8_t a[16];

	*ret_next = 0;
	/* inet_pton() takes no more than 4 hex digits before the first ':' */
	while (e < sc->n && e - i <= 4 && cc_is((unsigned char)sc->in[e], CC_HEX))
		e++;
	if (!(e < sc->n && sc->in[e] == ':'))
		return 0;
	while (e < sc->n &&
	       (cc_is((unsigned char)sc->in[e], CC_HEX) || sc->in[e] == ':' || sc->in[e] == '.')) {
		colons += sc->in[e] == ':';
		e++;
	}
	if (colons < 2 || e - i >= sizeof(tmp))
		return 0;
	if (e < sc->n && cc_is((unsigned char)sc->in[e], CC_ALNUM | CC_B64URL))
		return 0;
	while (e > i && sc->in[e - 1] == '.')
		e--;
	memcpy(tmp, sc->in + i, e - i);
	tmp[e - i] = '\0';
	if (inet_pton(AF_INET6, tmp, a) != 1)
		return 0;
	lock(sc);
	map_ip6(sc->p, a);
	unlock(sc);
	inet_ntop(AF_INET6, a, tmp, sizeof(tmp));
	if (put(sc, i, e, tmp, strlen(tmp)) < 0)
		return -ENOMEM;
	count(sc, RULE_PSEUDO_IP);
	*ret_next = e;
	return 0;
}

static bool hex64(const char *p)
{
	for (int k = 0; k < 64; k++)
		if (!cc_is((unsigned char)p[k], CC_HEX))
			return false;
	return true;
}

/* A keyed, repeatable replacement of a 64-hex-digit fingerprint (lower case). */
static void fingerprint(const struct pseudo *p, const char *in, char *out)
{
	char low[64];

	for (int k = 0; k < 64; k++)
		low[k] = (char)tolower((unsigned char)in[k]);
	for (int w = 0; w < 4; w++) {
		uint8_t buf[65];
		uint64_t h;

		buf[0] = (uint8_t)w;
		memcpy(buf + 1, low, 64);
		h = siphash(p->ip_key, buf, sizeof(buf));
		snprintf(out + 16 * w, 17, "%016llx", (unsigned long long)h);
	}
}

/* An e-mail address: the run in[i..e) is followed by '@' and a host name. Sets
 * *ret_next past it when replaced (0 otherwise). */
static int try_email(struct scan *sc, size_t i, size_t e, size_t *ret_next)
{
	const char *in = sc->in;
	size_t n = sc->n, db = e + 1, de = db, hb = i, he, len;
	char low[96], tok[96];
	int rc;

	*ret_next = 0;
	if (!(e < n && in[e] == '@' && e > i))
		return 0;
	while (de < n && run_char((unsigned char)in[de]))
		de++;
	while (de > db && (in[de - 1] == '.' || in[de - 1] == '-'))
		de--;
	he = de > db ? host_end(in, db, de) : 0;
	if (!he)
		return 0;
	/* the local part may hold '+' and '%' (not yet copied) */
	while (hb > sc->start && local_char((unsigned char)in[hb - 1]))
		hb--;
	len = e - hb;
	if (len < sizeof(low)) {
		for (size_t q = 0; q < len; q++)
			low[q] = (char)tolower((unsigned char)in[hb + q]);
		lock(sc);
		rc = token_for(sc->p, &sc->p->emails, low, len, "user", &sc->p->next_email, tok);
		unlock(sc);
		if (rc < 0 || (rc = put(sc, hb, e, tok, strlen(tok))) < 0)
			return rc;
		count(sc, RULE_PSEUDO_EMAIL);
	}
	if ((rc = map_host(sc, db, he)) < 0)
		return rc;
	*ret_next = de;
	return 0;
}

/* ---- what looks like an address, a host or a fingerprint but is not ---------------
 *
 * The shapes above are decided on the word alone; these rules look at its context
 * and are deliberately narrow (a miss leaves a real address in the bundle):
 *  - a dotted quad is a version, not an IPv4 address, when a part has a leading
 *    zero (inet_pton would not take it either), when it follows "Product/" (an
 *    RFC 9110 product token: "Chrome/124.0.0.0"; not "//" of a URL), when a
 *    "+build" suffix follows ("17.0.10.7+7"), or when the word before it (past
 *    quotes, '=', ':' and blanks) ends with "version", "release", "build" or is
 *    "jdk"/"openjdk"/"ver" ("openjdk version \"17.0.10.7\"", "java.version=...");
 *  - a dotted name is a Java/Kotlin/Scala qualified name, not a host, when its
 *    first label is a JDK root (java, javax, jakarta, jdk, sun, kotlin, scala),
 *    when it is a reversed domain of three labels or more (com./org./net./io.
 *    first: "org.apache.cassandra.net"), or when a label after the first is
 *    CamelCase while the first is lower case ("io.netty.channel.nio.NioEventLoop");
 *  - 64 hex digits are a content digest or an ID, not a certificate fingerprint,
 *    after "://" (container IDs: "containerd://..."), directly after "sha256:"
 *    (image and blob digests), and under a key that names an ID, a checksum or a
 *    digest ("containerID", "checksum/config", "digest"), and never in a
 *    manifest.json (its member digests). */

/* The key or word that ends before in[i], past up to 4 quotes, '=', ':' and
 * blanks: its start in *ret_b (0 length when none). */
static size_t word_before(const char *in, size_t i, size_t *ret_b)
{
	size_t e = i, skipped = 0, b;

	while (e > 0 && skipped < 4 && strchr("\"' =:\t", in[e - 1])) {
		e--;
		skipped++;
	}
	b = e;
	while (b > 0 && e - b < 64 && (cc_is((unsigned char)in[b - 1], CC_KEY) || in[b - 1] == '/'))
		b--;
	*ret_b = b;
	return e - b;
}

static bool ends_with_ci(const char *p, size_t n, const char *suffix)
{
	size_t m = strlen(suffix);

	return n >= m && strncasecmp(p + n - m, suffix, m) == 0 &&
	       (n == m || !cc_is((unsigned char)p[n - m - 1], CC_ALNUM) ||
	        (p[n - m - 1] >= 'a' && p[n - m - 1] <= 'z' && p[n - m] >= 'A' && p[n - m] <= 'Z'));
}

static bool version_context(const char *in, size_t n, size_t i, size_t e)
{
	static const char *const keys[] = { "version", "release", "build", "jdk",
		                            "openjdk", "ver",     NULL };
	size_t b, len;

	for (size_t k = i; k < e; k++)
		if ((k == i || in[k - 1] == '.') && in[k] == '0' && k + 1 < e && in[k + 1] != '.')
			return true; /* a part with a leading zero */
	if (i >= 2 && in[i - 1] == '/' && cc_is((unsigned char)in[i - 2], CC_ALNUM))
		return true;
	if (e + 1 < n && in[e] == '+' && in[e + 1] >= '0' && in[e + 1] <= '9')
		return true;
	len = word_before(in, i, &b);
	for (const char *const *k = keys; len && *k; k++)
		if (ends_with_ci(in + b, len, *k))
			return true;
	return false;
}

static bool java_name(const char *in, size_t i, size_t e)
{
	static const struct suffix roots[] = { S("java"), S("javax"),  S("jakarta"), S("jdk"),
		                               S("sun"),  S("kotlin"), S("scala"),   { NULL, 0 } };
	static const struct suffix reversed[] = {
		S("com"), S("org"), S("net"), S("io"), { NULL, 0 }
	};
	const char *dot = memchr(in + i, '.', e - i);
	size_t first = dot ? (size_t)(dot - in) - i : e - i, labels = 1;
	bool lower_first = true, camel = false;

	for (const struct suffix *r = roots; r->w; r++)
		if (r->n == first && memcmp(in + i, r->w, first) == 0)
			return true;
	for (size_t k = i; k < i + first; k++)
		lower_first &= !(in[k] >= 'A' && in[k] <= 'Z');
	for (size_t k = i + first; k + 2 < e; k++) {
		if (in[k] != '.')
			continue;
		labels++;
		camel |= in[k + 1] >= 'A' && in[k + 1] <= 'Z' && in[k + 2] >= 'a' &&
		         in[k + 2] <= 'z';
	}
	if (lower_first && camel)
		return true;
	for (const struct suffix *r = reversed; labels >= 3 && r->w; r++)
		if (r->n == first && memcmp(in + i, r->w, first) == 0)
			return true;
	return false;
}

static bool digest_context(const struct scan *sc, size_t i)
{
	static const char *const keys[] = { "id", "ID", "checksum", "digest", "Digest", NULL };
	const char *in = sc->in;
	size_t b, len;

	if (sc->manifest)
		return true;
	if (i >= 3 && memcmp(in + i - 3, "://", 3) == 0)
		return true;
	if (i >= 7 && strncasecmp(in + i - 7, "sha256:", 7) == 0)
		return true;
	len = word_before(in, i, &b);
	if (len && memmem(in + b, len, "checksum", 8))
		return true;
	for (const char *const *k = keys; len && *k; k++)
		if (ends_with_ci(in + b, len, *k))
			return true;
	return false;
}

/* SHA-256 fingerprints (certificate facts): searchable in CT logs */
static int try_fingerprint(struct scan *sc, size_t i, size_t e, size_t *ret_next)
{
	char hx[65];
	int rc;

	*ret_next = 0;
	if (!(e - i == 64 && hex64(sc->in + i)))
		return 0;
	if (digest_context(sc, i)) {
		*ret_next = e;
		return 0;
	}
	fingerprint(sc->p, sc->in + i, hx);
	if ((rc = put(sc, i, e, hx, 64)) < 0)
		return rc;
	count(sc, RULE_PSEUDO_FINGERPRINT);
	*ret_next = e;
	return 0;
}

static int try_ip4(struct scan *sc, size_t i, size_t e, size_t *ret_next)
{
	uint32_t ip, m;
	char tok[16];
	int rc;

	*ret_next = 0;
	if (!(sc->in[i] >= '0' && sc->in[i] <= '9' && parse_ip4(sc->in + i, e - i, &ip)))
		return 0;
	if (version_context(sc->in, sc->n, i, e)) {
		*ret_next = e;
		return 0;
	}
	lock(sc);
	m = map_ip4(sc->p, ip);
	unlock(sc);
	if (m != ip) {
		size_t tlen = dotted(tok, m, 4);

		if ((rc = put(sc, i, e, tok, tlen)) < 0)
			return rc;
		count(sc, RULE_PSEUDO_IP);
	}
	*ret_next = e;
	return 0;
}

/* Past a JSON quote at q ('"' or, inside an escaped string, '\"'); 0 if none. */
static size_t json_quote_end(const struct scan *sc, size_t q)
{
	if (q < sc->n && sc->in[q] == '"')
		return q + 1;
	if (q + 1 < sc->n && sc->in[q] == '\\' && sc->in[q + 1] == '"')
		return q + 2;
	return 0;
}

/* The common name a certificate facts document gives beside its subject
 * ("common_name": "Acme Internal CA"): the same token as the subject's CN. */
static int try_cn_member(struct scan *sc, size_t i, size_t e, size_t *ret_next)
{
	size_t q, next;

	*ret_next = 0;
	if (!((e - i == 4 && i >= 7 && memcmp(sc->in + i - 7, "common_name", 11) == 0) ||
	      (e - i == 10 && memcmp(sc->in + i, "commonName", 10) == 0)))
		return 0;
	if (!(q = json_quote_end(sc, e)))
		return 0;
	while (q < sc->n && sc->in[q] == ' ')
		q++;
	if (!(q < sc->n && sc->in[q] == ':'))
		return 0;
	q++;
	while (q < sc->n && sc->in[q] == ' ')
		q++;
	if (!(q = json_quote_end(sc, q)))
		return 0;
	/* dn_value() reads the value after the character at its 'eq' */
	if (dn_value(sc, q - 1, &next) < 0)
		return -ENOMEM;
	*ret_next = next > q ? next : q;
	return 0;
}

/* O=Acme, CN = name */
static int try_dn(struct scan *sc, size_t i, size_t e, size_t *ret_next)
{
	size_t q = e, next;
	int rc;

	*ret_next = 0;
	if ((rc = try_cn_member(sc, i, e, ret_next)) < 0 || *ret_next)
		return rc;
	if (!(e - i <= 12 && dn_attr(sc->in + i, e - i)))
		return 0;
	while (q < sc->n && sc->in[q] == ' ')
		q++;
	if (!(q < sc->n && sc->in[q] == '='))
		return 0;
	if ((rc = dn_value(sc, q, &next)) < 0)
		return rc;
	*ret_next = next > q ? next : q + 1;
	return 0;
}

/* host names */
static int try_host(struct scan *sc, size_t i, size_t e, size_t *ret_next)
{
	size_t he;
	int rc;

	*ret_next = 0;
	if (!memchr(sc->in + i, '.', e - i))
		return 0;
	if (java_name(sc->in, i, e)) {
		*ret_next = e;
		return 0;
	}
	he = host_end(sc->in, i, e);
	if (!he)
		return 0;
	if ((rc = map_host(sc, i, he)) < 0)
		return rc;
	*ret_next = e;
	return 0;
}

/* The word in[i..e): the first shape that matches replaces it, else names. */
static int scan_word(struct scan *sc, size_t i, size_t e, size_t *ret_next)
{
	int rc;

	/* direct calls (not through a table): the compiler inlines their first tests */
	if ((rc = try_fingerprint(sc, i, e, ret_next)) < 0 || *ret_next)
		return rc;
	if ((rc = try_ip4(sc, i, e, ret_next)) < 0 || *ret_next)
		return rc;
	if ((rc = try_dn(sc, i, e, ret_next)) < 0 || *ret_next)
		return rc;
	if ((rc = try_host(sc, i, e, ret_next)) < 0 || *ret_next)
		return rc;
	*ret_next = e;
	return names_in(sc, i, e);
}

/* Whether a word may start at i: a run character or ':' after none. */
static bool word_start(const char *in, size_t i)
{
	unsigned char c = (unsigned char)in[i];

	/* the names of an "openssl x509 -text" SAN line: "DNS:a.example.com, IP
	 * Address:10.1.2.3" (and email:, URI:) are words like any other */
	if (run_char(c) && i >= 4 && in[i - 1] == ':' &&
	    ((i >= 4 && memcmp(in + i - 4, "DNS:", 4) == 0) ||
	     (i >= 8 && memcmp(in + i - 8, "Address:", 8) == 0) ||
	     (i >= 6 && memcmp(in + i - 6, "email:", 6) == 0) ||
	     (i >= 4 && memcmp(in + i - 4, "URI:", 4) == 0)))
		return true;
	return (run_char(c) || c == ':') &&
	       !(i > 0 && (run_char((unsigned char)in[i - 1]) || in[i - 1] == ':'));
}

/* In a manifest (argv, working folder, output path): the user name of a home
 * folder ("/home/alice/", "/Users/bob/", "C:\Users\carol\", JSON-escaped or not)
 * becomes the token the same e-mail local part gets ("user1"). */
static int home_user(struct scan *sc, size_t i, size_t *ret_next)
{
	static const char *const homes[] = { "/home/", "/Users/", "\\Users\\", "\\\\Users\\\\",
		                             NULL };
	const char *in = sc->in;
	char low[96], tok[96];
	size_t b = 0, e;
	int rc;

	*ret_next = 0;
	for (const char *const *h = homes; *h; h++) {
		size_t m = strlen(*h);

		if (sc->n - i > m && memcmp(in + i, *h, m) == 0) {
			b = i + m;
			break;
		}
	}
	if (!b)
		return 0;
	for (e = b; e < sc->n && e - b < sizeof(low) - 1 && !strchr("/\\\"' \t:;,", in[e]); e++)
		low[e - b] = (char)tolower((unsigned char)in[e]);
	if (e == b || e - b >= sizeof(low) - 1 || redact_marker_at(in + b, e - b))
		return 0;
	lock(sc);
	rc = token_for(sc->p, &sc->p->emails, low, e - b, "user", &sc->p->next_email, tok);
	unlock(sc);
	if (rc < 0 || (rc = put(sc, b, e, tok, strlen(tok))) < 0)
		return rc;
	count(sc, RULE_PSEUDO_EMAIL);
	*ret_next = e;
	return 0;
}

/* One step at i: returns the next position in *ret_next. */
static int scan_at(struct scan *sc, size_t i, size_t *ret_next)
{
	const char *in = sc->in;
	unsigned char c = (unsigned char)in[i];
	size_t e, next;
	int rc;

	*ret_next = i + 1;
	if (sc->manifest && (c == '/' || c == '\\')) {
		if ((rc = home_user(sc, i, &next)) < 0)
			return rc;
		if (next) {
			*ret_next = next;
			return 0;
		}
	}
	if (c == '<') {
		size_t m = redact_marker_at(in + i, sc->n - i);

		*ret_next = i + (m ? m : 1);
		return 0;
	}
	if (!word_start(in, i))
		return 0;
	/* IPv6 (also "::1") */
	if (cc_is(c, CC_HEX) || c == ':') {
		if ((rc = try_ip6(sc, i, &next)) < 0)
			return rc;
		if (next) {
			*ret_next = next;
			return 0;
		}
	}
	if (c == ':')
		return 0;
	e = i;
	while (e < sc->n && run_char((unsigned char)in[e]))
		e++;
	if ((rc = try_email(sc, i, e, &next)) < 0)
		return rc;
	if (next) {
		*ret_next = next;
		return 0;
	}
	while (e > i && (in[e - 1] == '.' || in[e - 1] == '-'))
		e--;
	if (e == i)
		return 0;
	return scan_word(sc, i, e, ret_next);
}

/* The first position from i where scan_at() may do something: past bytes that
 * start nothing and past the inside of a run (a run character after another). */
static size_t next_start(const struct scan *sc, size_t i)
{
	const char *in = sc->in;

	while (i < sc->n) {
		unsigned char c = (unsigned char)in[i];

		if (run_char(c)) {
			if (i == 0 || !run_char((unsigned char)in[i - 1]))
				return i;
		} else if (c == ':' || c == '<' || (sc->manifest && (c == '/' || c == '\\'))) {
			return i;
		}
		i++;
	}
	return i;
}

static int scan_line(struct scan *sc)
{
	size_t i = 0;
	int rc;

	while ((i = next_start(sc, i)) < sc->n) {
		if ((rc = scan_at(sc, i, &i)) < 0)
			return rc;
	}
	if (sc->start == 0 && sc->out->len == 0)
		return STAGE_UNCHANGED;
	return buf_append(sc->out, sc->in + sc->start, sc->n - sc->start);
}

int stage_pseudo(struct redact_stream *s, const char *in, size_t n, struct buf *out)
{
	struct scan sc = { s->r, s->r->pseudo, s->counts, in, n, 0, out, false };
	const char *base = strrchr(s->member, '/');

	if (!sc.p)
		return buf_append(out, in, n);
	sc.manifest = strcmp(base ? base + 1 : s->member, "manifest.json") == 0;
	return scan_line(&sc);
}

int pseudo_string(struct redactor *r, const char *in, size_t n, struct buf *out)
{
	struct scan sc = { r, r->pseudo, NULL, in, n, 0, out, false };
	int rc;

	if (!sc.p)
		return buf_append(out, in, n);
	rc = scan_line(&sc);
	return rc == STAGE_UNCHANGED ? buf_append(out, in, n) : rc;
}

/* ---- binary addresses (packet captures, pcap_redact.c) ------------------------------------ */

void pseudo_ip4_bytes(struct redactor *r, uint8_t a[4])
{
	uint32_t v = ((uint32_t)a[0] << 24) | ((uint32_t)a[1] << 16) | ((uint32_t)a[2] << 8) | a[3];

	if (!r->pseudo)
		return;
	pthread_mutex_lock(&r->lock);
	v = map_ip4(r->pseudo, v);
	pthread_mutex_unlock(&r->lock);
	a[0] = (uint8_t)(v >> 24), a[1] = (uint8_t)(v >> 16), a[2] = (uint8_t)(v >> 8),
	a[3] = (uint8_t)v;
}

void pseudo_ip6_bytes(struct redactor *r, uint8_t a[16])
{
	if (!r->pseudo)
		return;
	pthread_mutex_lock(&r->lock);
	map_ip6(r->pseudo, a);
	pthread_mutex_unlock(&r->lock);
}

/* A MAC address: the vendor part (OUI) stays, the 24 bits after it go through a
 * keyed Feistel permutation (so two NICs never share a pseudonym); group
 * addresses (broadcast, multicast) and all-zero stay. */
void pseudo_mac(struct redactor *r, uint8_t m[6])
{
	uint32_t lo, hi;

	if (!r->pseudo || (m[0] & 1) || !(m[0] | m[1] | m[2] | m[3] | m[4] | m[5]))
		return;
	hi = (uint32_t)m[3] << 4 | m[4] >> 4;
	lo = (uint32_t)(m[4] & 15) << 8 | m[5];
	for (unsigned round = 0; round < 4; round++) {
		uint8_t in[5] = { m[0], m[1], m[2], (uint8_t)(lo >> 8), (uint8_t)lo };
		uint32_t f = (uint32_t)(siphash(r->pseudo->ip_key, in, sizeof(in)) >> (round * 12));
		uint32_t t = lo;

		lo = (hi ^ (f & 0xfff)) & 0xfff;
		hi = t;
	}
	m[3] = (uint8_t)(hi >> 4);
	m[4] = (uint8_t)((hi & 15) << 4 | lo >> 8);
	m[5] = (uint8_t)lo;
}
