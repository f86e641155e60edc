/* SPDX-License-Identifier: Apache-2.0 */
/* apigee-bundle diff OLD NEW: what changed between two bundles of one site (say,
 * before and after a fix): the checks whose status changed, and the facts that
 * changed (facts.c). Both inputs go through analyze's own pipeline (fleet.c).
 *
 * Exit status: 0 nothing changed, 1 something changed, 2 usage error, 3 an input
 * unreadable or not a bundle (as analyze). */
#include "commands.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "bundle.h"
#include "cli.h"
#include "error.h"
#include "facts.h"
#include "fleet.h"
#include "text.h"
#include "banned.h"

#define DIFF_FORMAT "apigee-bundle/diff/v1"

static const struct cli_option diff_options[] = {
	{ "format", 'f', 'f', "FORMAT", 0,
	  "text (the default) or json: one document valid against diff.schema.json", "text|json" },
};

const struct cli_command cli_diff = {
	.name = "diff",
	.synopsis = "OLD NEW [--format text|json]",
	.summary = "what changed between two bundles of one site",
	.description =
	        "Compare two bundles (or folders of loose files) of one site, e.g. before and "
	        "after a fix. Both are analysed offline as analyze would; the output names the "
	        "checks whose status changed (old and new status, the new summary) and the facts "
	        "that were added, removed or changed: ApigeeRoutes, virtual hosts of "
	        "overrides.yaml, Secrets (type and keys, never values), certificates (by SHA-256 "
	        "fingerprint, with subject, validity and where each is used), instances and their "
	        "attached environments, environment groups, firewall rules, load balancer "
	        "certificates and TLS probes. A warning says when the two name different "
	        "organizations or when NEW was collected before OLD.",
	CLI_OPTIONS(diff_options),
	.exit_status = "0 nothing changed; 1 something changed; 2 usage error; 3 an input "
	               "missing, unreadable or not a bundle.",
	.complete_args = "file",
};

static void print_error(const char *input, const char *msg)
{
	char in[1024], m[1024];

	text_escape(input, strlen(input), in, sizeof(in));
	text_escape(msg, strlen(msg), m, sizeof(m));
	fprintf(stderr, "apigee-bundle diff: %s: %s\n", in, m);
}

/* Analyse one side. 0 with one filled, or EXIT_UNREADABLE (said on stderr). */
static int open_side(const char *input, const struct analyze_one_options *o,
                     struct analyze_one *one)
{
	struct error err = ERROR_INIT;
	int st = analyze_one(input, o, one, &err);

	if (st < 0) {
		print_error(input, strerror(-st));
		return EXIT_UNREADABLE;
	}
	if (!one->b) {
		print_error(input, err.message[0] ? err.message : "cannot read the input");
		return EXIT_UNREADABLE;
	}
	if (one->no_evidence) {
		print_error(input, "nothing in the input is evidence for any check");
		return EXIT_UNREADABLE;
	}
	return 0;
}

static json_t *side_json(const char *input, const struct bundle *b)
{
	struct error err = ERROR_INIT;
	char when[40], hex[65];
	json_t *o;

	text_format_time(b->collected_at, when, sizeof(when));
	o = json_pack("{s:o,s:o,s:s,s:o}", "input", fleet_json_string(input), "org",
	              fleet_json_string(fleet_bundle_org(b)), "collected_at", when,
	              "manifest_sha256",
	              fleet_manifest_sha256(b, hex, &err) == 0 ? json_string(hex) : json_null());
	return o;
}

/* Warnings about the pair: two sites, or NEW older than OLD. */
static json_t *pair_warnings(const struct bundle *ob, const struct bundle *nb)
{
	const char *oo = fleet_bundle_org(ob), *no = fleet_bundle_org(nb);
	json_t *w = json_array();

	if (oo && no && strcmp(oo, no) != 0)
		json_array_append_new(w, json_string("OLD and NEW name different organizations: "
		                                     "they may not be of one site"));
	if (nb->collected_at < ob->collected_at)
		json_array_append_new(w, json_string("NEW was collected before OLD"));
	return w;
}

static json_t *diff_doc(const char *old_in, const struct analyze_one *o, const char *new_in,
                        const struct analyze_one *n)
{
	json_t *of = facts_json(o->b), *nf = facts_json(n->b);
	size_t same = 0, n_facts = 0;
	json_t *checks = checks_diff(&o->fs, &n->fs, &same);
	json_t *facts = of && nf ? facts_diff(of, nf, &n_facts) : NULL;
	json_t *doc = NULL;

	json_decref(of);
	json_decref(nf);
	if (checks && facts)
		doc = json_pack("{s:s,s:o,s:o,s:b,s:{s:I,s:I,s:I},s:O,s:O,s:o}", "format",
		                DIFF_FORMAT, "old", side_json(old_in, o->b), "new",
		                side_json(new_in, n->b), "changed",
		                json_array_size(checks) || n_facts, "summary", "checks_changed",
		                (json_int_t)json_array_size(checks), "checks_unchanged",
		                (json_int_t)same, "facts_changed", (json_int_t)n_facts, "checks",
		                checks, "facts", facts, "warnings", pair_warnings(o->b, n->b));
	json_decref(checks);
	json_decref(facts);
	return doc;
}

/* ---- text ------------------------------------------------------------------------------------ */

static void put_escaped(FILE *out, const char *s)
{
	char safe[1024];

	text_escape(s ? s : "", s ? strlen(s) : 0, safe, sizeof(safe));
	fputs(safe, out);
}

static void put_value(FILE *out, const json_t *v)
{
	char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);

	put_escaped(out, s ? s : "?");
	free(s);
}

static void text_side(FILE *out, const char *label, const json_t *side)
{
	fprintf(out, "%s: ", label);
	put_escaped(out, json_string_value(json_object_get(side, "input")));
	fputs(" (org ", out);
	put_escaped(out, json_is_string(json_object_get(side, "org"))
	                         ? json_string_value(json_object_get(side, "org"))
	                         : "unknown");
	fprintf(out, ", collected %s)\n", json_string_value(json_object_get(side, "collected_at")));
}

static void text_checks(FILE *out, const json_t *doc)
{
	const json_t *sum = json_object_get(doc, "summary");
	size_t i;
	json_t *c;

	fprintf(out, "\nChecks: %lld changed, %lld unchanged\n",
	        (long long)json_integer_value(json_object_get(sum, "checks_changed")),
	        (long long)json_integer_value(json_object_get(sum, "checks_unchanged")));
	json_array_foreach(json_object_get(doc, "checks"), i, c)
	{
		fprintf(out, "  %-8s %s -> %s  ", json_string_value(json_object_get(c, "check")),
		        json_string_value(json_object_get(c, "old")),
		        json_string_value(json_object_get(c, "new")));
		put_escaped(out, json_string_value(json_object_get(c, "title")));
		fputs("\n           now: ", out);
		put_escaped(out, json_string_value(json_object_get(c, "summary")));
		fputc('\n', out);
	}
}

/* One added or removed fact: its key, and for a certificate its subject and expiry. */
static void text_entry(FILE *out, char mark, const char *kind, const json_t *e)
{
	const json_t *v = json_object_get(e, "value");

	fprintf(out, "    %c ", mark);
	put_escaped(out, json_string_value(json_object_get(e, "key")));
	if (strcmp(kind, "certificates") == 0 && json_object_get(v, "subject")) {
		fputs("  ", out);
		put_escaped(out, json_string_value(json_object_get(v, "subject")));
		fputs(", expires ", out);
		put_escaped(out, json_string_value(json_object_get(v, "not_after")));
	}
	fputc('\n', out);
}

static void text_changed(FILE *out, const json_t *e)
{
	const json_t *o = json_object_get(e, "old"), *n = json_object_get(e, "new");
	size_t i;
	json_t *f;

	fputs("    ~ ", out);
	put_escaped(out, json_string_value(json_object_get(e, "key")));
	fputc('\n', out);
	json_array_foreach(json_object_get(e, "fields"), i, f)
	{
		const char *name = json_string_value(f);

		fprintf(out, "        %s: ", name);
		put_value(out, json_object_get(o, name));
		fputs(" -> ", out);
		put_value(out, json_object_get(n, name));
		fputc('\n', out);
	}
}

static void text_facts(FILE *out, const json_t *doc)
{
	const json_t *facts = json_object_get(doc, "facts");

	fprintf(out, "\nFacts: %lld changed\n",
	        (long long)json_integer_value(
	                json_object_get(json_object_get(doc, "summary"), "facts_changed")));
	for (size_t k = 0; k < facts_n_kinds; k++) {
		const json_t *d = json_object_get(facts, facts_kinds[k]);
		size_t i;
		json_t *e;

		if (!d)
			continue;
		fprintf(out, "  %s\n", facts_kinds[k]);
		json_array_foreach(json_object_get(d, "removed"), i, e)
		        text_entry(out, '-', facts_kinds[k], e);
		json_array_foreach(json_object_get(d, "added"), i, e)
		        text_entry(out, '+', facts_kinds[k], e);
		json_array_foreach(json_object_get(d, "changed"), i, e) text_changed(out, e);
	}
}

static void text_write(FILE *out, const json_t *doc)
{
	size_t i;
	json_t *w;

	text_side(out, "OLD", json_object_get(doc, "old"));
	text_side(out, "NEW", json_object_get(doc, "new"));
	json_array_foreach(json_object_get(doc, "warnings"), i, w)
	        fprintf(out, "warning: %s\n", json_string_value(w));
	if (!json_is_true(json_object_get(doc, "changed"))) {
		fputs("\nNo change: every check has the same status and the facts compared are "
		      "the same.\n",
		      out);
		return;
	}
	text_checks(out, doc);
	text_facts(out, doc);
}

/* ---- the command ----------------------------------------------------------------------------- */

enum diff_format {
	DIFF_TEXT,
	DIFF_JSON
};

static int parse_args(int argc, char **argv, struct context *ctx, enum diff_format *fmt)
{
	struct cli_parser cp;
	int c, ret = 0;

	cli_parser_init(&cp, &cli_diff, ctx);
	while ((c = cli_next(&cp, argc, argv)) == 'f') {
		if (strcmp(optarg, "text") == 0) {
			*fmt = DIFF_TEXT;
		} else if (strcmp(optarg, "json") == 0) {
			*fmt = DIFF_JSON;
		} else {
			char safe[256];

			text_escape(optarg, strlen(optarg), safe, sizeof(safe));
			ret = cli_usage_error(&cli_diff, "unknown format '%s' (text or json)",
			                      safe);
			break;
		}
	}
	cli_parser_release(&cp);
	if (ret)
		return ret;
	if (c != CLI_END)
		return c == CLI_HELP ? -1 : EXIT_USAGE;
	if (argc - optind < 2)
		return cli_usage_error(&cli_diff, "missing OLD or NEW");
	if (argc - optind > 2) {
		char safe[256];

		text_escape(argv[optind + 2], strlen(argv[optind + 2]), safe, sizeof(safe));
		return cli_usage_error(&cli_diff, "unexpected argument '%s' (OLD and NEW only)",
		                       safe);
	}
	return 0;
}

int cmd_diff(int argc, char **argv, struct context *ctx)
{
	struct bundle_options bo = { .now = ctx ? ctx->now : 0 };
	struct analyze_one_options opts = { .bundle = &bo };
	struct analyze_one old_one = { 0 }, new_one = { 0 };
	enum diff_format fmt = DIFF_TEXT;
	json_t *doc = NULL;
	int ret = parse_args(argc, argv, ctx, &fmt);

	if (ret != 0)
		return ret < 0 ? EXIT_OK : ret;
	ret = open_side(argv[optind], &opts, &old_one);
	if (ret == 0)
		ret = open_side(argv[optind + 1], &opts, &new_one);
	if (ret != 0)
		goto out;
	doc = diff_doc(argv[optind], &old_one, argv[optind + 1], &new_one);
	if (!doc) {
		fprintf(stderr, "apigee-bundle diff: %s\n", strerror(ENOMEM));
		ret = EXIT_UNREADABLE;
		goto out;
	}
	if (fmt == DIFF_JSON) {
		json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		fputc('\n', stdout);
	} else {
		text_write(stdout, doc);
	}
	ret = json_is_true(json_object_get(doc, "changed")) ? EXIT_FINDINGS : EXIT_OK;
out:
	json_decref(doc);
	analyze_one_release(&old_one);
	analyze_one_release(&new_one);
	return ret;
}
