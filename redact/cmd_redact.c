/* SPDX-License-Identifier: Apache-2.0 */
/* apigee-bundle redact IN -o OUT [--rules FILE] [--dry-run] [--pseudonymize] [--map FILE]
 *
 * Options and messages only: the pipeline is redact/pipeline.c (redact_bundle()).
 *
 * Exit status: 0 written (or --dry-run done); 1 leak or failure, nothing written;
 * 2 usage error. */
#include "redact.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "archive_out.h"
#include "commands.h"
#include "error.h"
#include "pipeline.h"
#include "text.h"
#include "banned.h"

static void usage(FILE *f)
{
	fputs("usage: apigee-bundle redact IN -o OUT [--rules FILE] [--dry-run] [--pseudonymize] "
	      "[--map FILE]\n"
	      "                            [--max-total-bytes N] [--max-member-bytes N] "
	      "[--max-ratio N]\n",
	      f);
}

static void help(void)
{
	usage(stdout);
	puts("\nRedact an existing bundle, an unpacked bundle folder, or a folder, an archive\n"
	     "(tar, tar.gz, tar.zst, zip, cpio ...) or one file of loose files into a new\n"
	     "archive (.tar.gz, or .tar.zst / .tar by the name of OUT), streaming member by\n"
	     "member.\n\n"
	     "  -o, --output FILE   the archive to write (atomically)\n"
	     "  --rules FILE        extra rules: literals, regexes, key paths\n"
	     "                      (schemas/redact-rules.schema.json)\n"
	     "  --dry-run           list what would be redacted, per rule and member; write "
	     "nothing\n"
	     "  --pseudonymize      also replace IP addresses, host names, e-mail addresses, org\n"
	     "                      and project names by consistent tokens; drop certificates\n"
	     "  --map FILE          the pseudonym map to reuse and update (mode 0600); never\n"
	     "                      written into the bundle\n"
	     "  --max-total-bytes N, --max-member-bytes N, --max-ratio N\n"
	     "                      bounds on what the input may expand to (K, M, G, T\n"
	     "                      suffixes; defaults 256G, 16G, 200:1 after 64 MiB)\n\n"
	     "A leak scan checks every member before the archive is finished; on a hit nothing\n"
	     "is written. Exit status: 0 ok; 1 leak or failure; 2 usage error.");
}

/* ---- dry run ------------------------------------------------------------------------------- */

static void print_dry_run(struct redactor *r, size_t members)
{
	json_t *rep = redactor_report_json(r), *it;
	size_t i;
	uint64_t total = 0;

	printf("%-36s %-14s %8s  %s\n", "RULE", "KIND", "COUNT", "MEMBER");
	json_array_foreach(json_object_get(rep, "rules"), i, it)
	{
		const char *m;
		json_t *c;

		json_object_foreach(json_object_get(it, "members"), m, c)
		{
			char esc[300];

			text_escape(m, strlen(m), esc, sizeof(esc));
			printf("%-36s %-14s %8lld  %s\n",
			       json_string_value(json_object_get(it, "rule")),
			       json_string_value(json_object_get(it, "kind")),
			       (long long)json_integer_value(c), esc);
			total += (uint64_t)json_integer_value(c);
		}
	}
	printf("%llu values in %zu members would be redacted%s (dry run: nothing written)\n",
	       (unsigned long long)total, members,
	       json_is_true(json_object_get(rep, "pseudonymized")) ? " or pseudonymized" : "");
	json_decref(rep);
}

/* ---- the command ------------------------------------------------------------------------- */

/* --max-total-bytes (0), --max-member-bytes (1), --max-ratio (2) */
static int limit_option(struct redact_bundle_options *bo, int which, const char *value)
{
	uint64_t v;
	int r = text_parse_size(value, &v);

	if (r < 0)
		return r;
	if (which == 0)
		bo->max_total = v;
	else if (which == 1)
		bo->max_member = v;
	else if (v <= UINT32_MAX)
		bo->max_ratio = (unsigned)v;
	else
		return -ERANGE;
	return 0;
}

static void on_notice(void *userdata, enum redact_notice what, const char *member)
{
	char esc[1100];

	(void)userdata;
	text_escape(member, strlen(member), esc, sizeof(esc));
	if (what == REDACT_NOTICE_DUPLICATE)
		fprintf(stderr, "apigee-bundle redact: '%s' appears twice; keeping the first\n",
		        esc);
	else
		fprintf(stderr, "apigee-bundle redact: skipping unsafe member name '%s'\n", esc);
}

int cmd_redact(int argc, char **argv, struct context *ctx)
{
	enum {
		OPT_RULES = 0x100,
		OPT_DRY,
		OPT_PSEUDO,
		OPT_MAP,
		OPT_MAX_TOTAL,
		OPT_MAX_MEMBER,
		OPT_MAX_RATIO,
	};
	static const struct option opts[] = {
		{ "dry-run", no_argument, NULL, OPT_DRY },
		{ "help", no_argument, NULL, 'h' },
		{ "map", required_argument, NULL, OPT_MAP },
		{ "max-member-bytes", required_argument, NULL, OPT_MAX_MEMBER },
		{ "max-ratio", required_argument, NULL, OPT_MAX_RATIO },
		{ "max-total-bytes", required_argument, NULL, OPT_MAX_TOTAL },
		{ "output", required_argument, NULL, 'o' },
		{ "pseudonymize", no_argument, NULL, OPT_PSEUDO },
		{ "rules", required_argument, NULL, OPT_RULES },
		{ NULL, 0, NULL, 0 },
	};
	struct redact_options ro = { 0 };
	struct redact_bundle_options bo = { .notice = on_notice };
	struct redact_bundle_result res;
	struct error err = ERROR_INIT;
	struct redactor *r = NULL;
	struct stat st;
	char msg[1200];
	int c, rc;

	(void)ctx;
	while ((c = getopt_long(argc, argv, "ho:", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			help();
			return EXIT_OK;
		case 'o':
			bo.out = optarg;
			break;
		case OPT_RULES:
			ro.rules_file = optarg;
			break;
		case OPT_DRY:
			ro.dry_run = bo.dry_run = true;
			break;
		case OPT_PSEUDO:
			ro.pseudonymize = bo.pseudonymize = true;
			break;
		case OPT_MAP:
			ro.map_file = bo.map_file = optarg;
			break;
		case OPT_MAX_TOTAL:
		case OPT_MAX_MEMBER:
		case OPT_MAX_RATIO:
			if (limit_option(&bo, c - OPT_MAX_TOTAL, optarg) < 0) {
				fprintf(stderr,
				        "apigee-bundle redact: bad bound '%s' (a number, "
				        "optionally "
				        "K, M, G or T)\n",
				        optarg);
				return EXIT_USAGE;
			}
			break;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (argc - optind != 1 || (!bo.out && !bo.dry_run)) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (ro.map_file && !ro.pseudonymize) {
		fputs("apigee-bundle redact: --map needs --pseudonymize\n", stderr);
		return EXIT_USAGE;
	}
	bo.in = argv[optind];
	if (bo.dry_run)
		bo.out = NULL;
	if (bo.out && archive_out_format_from_path(bo.out) < 0) {
		fprintf(stderr,
		        "apigee-bundle redact: '%s': the output must end in .tar.gz, .tgz, "
		        ".tar.zst or .tar\n",
		        bo.out);
		return EXIT_USAGE;
	}
	if (stat(bo.in, &st) < 0) {
		fprintf(stderr, "apigee-bundle redact: cannot open '%s': %s\n", bo.in,
		        strerror(errno));
		return EXIT_USAGE;
	}
	if (ro.map_file && bo.out && strcmp(ro.map_file, bo.out) == 0) {
		fputs("apigee-bundle redact: --map and -o name the same file\n", stderr);
		return EXIT_USAGE;
	}
	rc = redactor_new(&ro, &r, &err);
	if (rc < 0) {
		error_format(&err, msg, sizeof(msg));
		fprintf(stderr, "apigee-bundle redact: %s\n", msg);
		return rc == -EINVAL ? EXIT_USAGE : EXIT_FINDINGS;
	}
	bo.tmpdir = getenv("TMPDIR");
	rc = redact_bundle(r, &bo, &res, &err);
	if (rc < 0) {
		error_format(&err, msg, sizeof(msg));
		fprintf(stderr, "apigee-bundle redact: %s%s\n", msg,
		        bo.dry_run ? "" : "; no archive written");
	} else if (bo.dry_run) {
		print_dry_run(r, res.members);
	} else if (res.leaked) {
		text_escape(res.leak_member, strlen(res.leak_member), msg, sizeof(msg));
		fprintf(stderr,
		        "apigee-bundle redact: leak scan: %s:%u: %s is still there; no archive "
		        "written\n",
		        msg, res.hit.line, res.hit.kind);
	} else {
		fprintf(stderr, "apigee-bundle redact: %zu members written to %s\n", res.written,
		        bo.out);
	}
	redactor_free(r);
	return rc == 0 && !res.leaked ? EXIT_OK : EXIT_FINDINGS;
}
