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
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "archive_out.h"
#include "cli.h"
#include "commands.h"
#include "error.h"
#include "pipeline.h"
#include "text.h"
#include "banned.h"

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

static void print_leak(const char *member, const struct leak_hit *hit)
{
	char esc[1100];

	text_escape(member, strlen(member), esc, sizeof(esc));
	if (strncmp(hit->kind, "archive", 7) == 0)
		/* a container that could not be opened: no line to name */
		fprintf(stderr, "apigee-bundle redact: refused: %s: %s; fix: %s\n", esc, hit->kind,
		        leak_fix(hit->kind));
	else
		fprintf(stderr,
		        "apigee-bundle redact: leak scan: %s:%u: %s is still there; fix: %s\n", esc,
		        hit->line, hit->kind, leak_fix(hit->kind));
}

/* Every hit, then the count: one run tells the customer everything to fix. */
static void print_leaks(const struct redact_bundle_result *res)
{
	for (size_t i = 0; i < res->n_leaks; i++)
		print_leak(res->leaks[i].member, &res->leaks[i].hit);
	if (res->n_leaks == 0) /* the list could not be kept (out of memory): the first */
		print_leak(res->leak_member, &res->hit);
	if (res->total_leaks > res->n_leaks)
		fprintf(stderr, "apigee-bundle redact: ... and %zu more\n",
		        res->total_leaks - res->n_leaks);
	fprintf(stderr,
	        "apigee-bundle redact: refused: %zu finding(s) to fix; no archive written\n",
	        res->total_leaks ? res->total_leaks : (size_t)1);
}

/* ---- the command ------------------------------------------------------------------------- */

/* --level, --threads: 1..64 */
static int small_number(const char *s, int *ret)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 1 || v > 64)
		return -EINVAL;
	*ret = (int)v;
	return 0;
}

/* --max-total-bytes (0), --max-member-bytes (1), --max-ratio (2), --max-members (3) */
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
	else if (which == 3 && v <= SIZE_MAX)
		bo->max_members = (size_t)v;
	else if (which == 2 && v <= UINT32_MAX)
		bo->max_ratio = (unsigned)v;
	else
		return -ERANGE;
	return 0;
}

static void on_notice(void *userdata, enum redact_notice what, const char *member)
{
	char esc[1100];

	(void)userdata;
	if (what == REDACT_NOTICE_TRUNCATED) {
		fprintf(stderr, "apigee-bundle redact: %s\n", member);
		return;
	}
	if (what == REDACT_NOTICE_NOT_FILE) {
		fprintf(stderr, "apigee-bundle redact: skipping %s: not followed\n", member);
		return;
	}
	text_escape(member, strlen(member), esc, sizeof(esc));
	if (what == REDACT_NOTICE_DUPLICATE)
		fprintf(stderr, "apigee-bundle redact: '%s' appears twice; keeping the first\n",
		        esc);
	else
		fprintf(stderr, "apigee-bundle redact: skipping unsafe member name '%s'\n", esc);
}

enum {
	OPT_RULES = 0x100,
	OPT_DRY,
	OPT_PSEUDO,
	OPT_MAP,
	OPT_MAX_TOTAL,
	OPT_MAX_MEMBER,
	OPT_MAX_RATIO,
	OPT_MAX_MEMBERS,
	OPT_LEVEL,
	OPT_THREADS,
};

static const struct cli_option redact_options[] = {
	{ "dry-run", 0, OPT_DRY, NULL, 0,
	  "list what would be redacted, per rule and member; write nothing", NULL },
	{ "level", 0, OPT_LEVEL, "N", 0,
	  "compression level of OUT: .tar.gz 1..9 (default 1, the speed of gzip -1), .tar.zst "
	  "1..19 (default 3)",
	  NULL },
	{ "map", 0, OPT_MAP, "FILE", 0,
	  "the pseudonym map to reuse and update (mode 0600); never written into the bundle",
	  "file" },
	ARCHIVE_IN_OPTIONS(OPT_MAX_TOTAL, OPT_MAX_MEMBER, OPT_MAX_RATIO, OPT_MAX_MEMBERS,
	                   "nested archives and compressed files", ", those of archives inside it"),
	{ "output", 'o', 'o', "FILE", 0,
	  "the archive to write (atomically; .tar.gz, .tar.zst or .tar by its name); - writes a "
	  "tar.gz to standard output",
	  "file" },
	{ "pseudonymize", 0, OPT_PSEUDO, NULL, 0,
	  "also replace IP addresses, host names, e-mail addresses, org and project names by "
	  "consistent tokens; certificate facts are extracted first and pseudonymized with the "
	  "same map, the certificates themselves are dropped",
	  NULL },
	{ "rules", 0, OPT_RULES, "FILE", 0,
	  "extra rules: literals, regexes, key paths (schemas/redact-rules.schema.json)", "file" },
	{ "threads", 0, OPT_THREADS, "N", 0,
	  "compression threads, 1..64 (default: one per CPU; a .tar.gz is deflated in parallel "
	  "blocks, still one gzip stream)",
	  NULL },
};

const struct cli_command cli_redact = {
	.name = "redact",
	.synopsis = "IN -o OUT [options]",
	.summary = "redact an existing bundle or folder",
	.description =
	        "Redact an existing bundle, an unpacked bundle folder, or a folder, an archive "
	        "(tar, tar.gz, tar.zst, zip, cpio ...) or one file of loose files into a new "
	        "archive, streaming member by member. IN - reads standard input. A leak scan "
	        "checks every member before the archive is finished; on a hit nothing is "
	        "written.",
	CLI_OPTIONS(redact_options),
	.exit_status = "0 written (or --dry-run done); 1 leak or failure, nothing written; 2 "
	               "usage error; 3 IN missing or unreadable.",
	.complete_args = "file",
};

/* --level within the range of OUT's format: -1 (fine), or EXIT_USAGE (said). */
static int check_level(const struct redact_bundle_options *bo)
{
	int lmin, lmax;

	if (!bo->level || !bo->out)
		return -1;
	archive_out_level_range(archive_out_format_from_path(bo->out), &lmin, &lmax);
	if (bo->level >= lmin && bo->level <= lmax)
		return -1;
	return cli_usage_error(&cli_redact, "--level %d: %s", bo->level,
	                       lmax ? "out of range for this format" : "a .tar has no level");
}

static int parse_redact(int argc, char **argv, struct context *ctx, struct redact_options *ro,
                        struct redact_bundle_options *bo)
{
	struct cli_parser cp;
	int c;

	cli_parser_init(&cp, &cli_redact, ctx);
	while ((c = cli_next(&cp, argc, argv)) >= 0) {
		switch (c) {
		case 'o':
			bo->out = optarg;
			break;
		case OPT_RULES:
			ro->rules_file = optarg;
			break;
		case OPT_DRY:
			ro->dry_run = bo->dry_run = true;
			break;
		case OPT_PSEUDO:
			ro->pseudonymize = bo->pseudonymize = true;
			break;
		case OPT_MAP:
			ro->map_file = bo->map_file = optarg;
			break;
		case OPT_LEVEL:
		case OPT_THREADS:
			if (small_number(optarg, c == OPT_LEVEL ? &bo->level : &bo->threads) < 0) {
				cli_usage_error(&cli_redact,
				                "bad --%s '%s' (a number from 1 to 64)",
				                c == OPT_LEVEL ? "level" : "threads", optarg);
				c = CLI_USAGE;
			}
			break;
		default: /* OPT_MAX_TOTAL, OPT_MAX_MEMBER, OPT_MAX_RATIO, OPT_MAX_MEMBERS */
			if (limit_option(bo, c - OPT_MAX_TOTAL, optarg) < 0) {
				c = CLI_USAGE;
				cli_usage_error(
				        &cli_redact,
				        "bad bound '%s' (a number, optionally K, M, G or T)",
				        optarg);
			}
			break;
		}
		if (c == CLI_USAGE)
			break;
	}
	cli_parser_release(&cp);
	if (c != CLI_END)
		return c == CLI_HELP ? EXIT_OK : EXIT_USAGE;
	if (argc == optind)
		return cli_usage_error(&cli_redact, "missing IN");
	if (argc - optind > 1)
		return cli_usage_error(&cli_redact, "unexpected argument '%s' (one IN only)",
		                       argv[optind + 1]);
	if (!bo->out && !bo->dry_run)
		return cli_usage_error(&cli_redact, "-o/--output is required (or --dry-run)");
	if (ro->map_file && !ro->pseudonymize)
		return cli_usage_error(&cli_redact, "--map needs --pseudonymize");
	return check_level(bo);
}

int cmd_redact(int argc, char **argv, struct context *ctx)
{
	struct redact_options ro = { 0 };
	struct redact_bundle_options bo = { .notice = on_notice };
	struct redact_bundle_result res = { 0 };
	struct error err = ERROR_INIT;
	struct redactor *r = NULL;
	struct cli_progress progress;
	char *spooled = NULL, *tmp_out = NULL;
	const char *final_out = NULL;
	struct stat st;
	char msg[1200];
	int rc;

	rc = parse_redact(argc, argv, ctx, &ro, &bo);
	if (rc >= 0)
		return rc;
	bo.in = argv[optind];
	if (bo.dry_run)
		bo.out = NULL;
	if (bo.out && strcmp(bo.out, "-") != 0 && archive_out_format_from_path(bo.out) < 0)
		return cli_usage_error(
		        &cli_redact, "'%s': the output must end in .tar.gz, .tgz, .tar.zst or .tar",
		        bo.out);
	if (ro.map_file && bo.out && strcmp(ro.map_file, bo.out) == 0)
		return cli_usage_error(&cli_redact, "--map and -o name the same file");
	if (strcmp(bo.in, "-") == 0) {
		rc = cli_stdin_to_temp(&spooled);
		if (rc < 0) {
			cli_error(&cli_redact, "cannot read standard input: %s", strerror(-rc));
			return EXIT_UNREADABLE;
		}
		bo.in = spooled;
	} else if (stat(bo.in, &st) < 0) {
		text_escape(bo.in, strlen(bo.in), msg, sizeof(msg));
		cli_error(&cli_redact, "cannot open '%s': %s", msg, strerror(errno));
		return EXIT_UNREADABLE;
	}
	if (bo.out && strcmp(bo.out, "-") == 0) {
		/* the archive is built in a temp file, then streamed to stdout */
		rc = cli_temp_output("apigee-bundle-redacted.tar.gz", &tmp_out);
		if (rc < 0) {
			cli_error(&cli_redact, "cannot create a temp file: %s", strerror(-rc));
			rc = EXIT_FINDINGS;
			goto out;
		}
		final_out = "-";
		bo.out = tmp_out;
	}
	rc = redactor_new(&ro, &r, &err);
	if (rc < 0) {
		error_format(&err, msg, sizeof(msg));
		cli_error(&cli_redact, "%s", msg);
		rc = rc == -EINVAL ? EXIT_USAGE : EXIT_FINDINGS;
		goto out;
	}
	bo.tmpdir = getenv("TMPDIR");
	cli_progress_init(&progress, &cli_redact, ctx);
	bo.progress = cli_progress_update;
	bo.progress_userdata = &progress;
	rc = redact_bundle(r, &bo, &res, &err);
	cli_progress_end(&progress);
	if (rc < 0) {
		error_format(&err, msg, sizeof(msg));
		cli_error(&cli_redact, "%s%s", msg, bo.dry_run ? "" : "; no archive written");
	} else if (bo.dry_run) {
		print_dry_run(r, res.members);
	} else if (res.leaked) {
		print_leaks(&res);
	} else if (final_out && cli_copy_to_stdout(tmp_out) < 0) {
		cli_error(&cli_redact, "cannot write the archive to standard output: %s",
		          strerror(errno));
		rc = -EIO;
	} else if (cli_verbosity(ctx) >= 0) {
		fprintf(stderr, "apigee-bundle redact: %zu members written to %s\n", res.written,
		        final_out ? "standard output" : bo.out);
	}
	redactor_free(r);
	rc = rc == 0 && !res.leaked ? EXIT_OK : EXIT_FINDINGS;
out:
	redact_bundle_result_release(&res);
	if (spooled)
		unlink(spooled);
	cli_temp_output_remove(tmp_out);
	free(spooled);
	return rc;
}
