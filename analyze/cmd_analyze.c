/* SPDX-License-Identifier: Apache-2.0 */
/* apigee-bundle analyze: read a bundle (or loose files), run the checks offline
 * and write the report to stdout or, atomically, to -o FILE.
 *
 * Exit status (contract.md): 0 no check failed, 1 at least one fail, 2 usage
 * error, 3 input unreadable or not a bundle (also used when the report cannot be
 * written). */
#include "commands.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "archive_in.h"
#include "buf.h"
#include "cleanup.h"
#include "cli.h"
#include "bundle.h"
#include "checks.h"
#include "error.h"
#include "findings.h"
#include "fleet.h"
#include "report.h"
#include "redact.h"
#include "text.h"
#include "banned.h"

#define CHECK_ARG_MAX 64 /* longest --check token considered */

enum {
	OPT_MAX_TOTAL = 0x100,
	OPT_MAX_MEMBER,
	OPT_MAX_RATIO,
	OPT_MAX_MEMBERS,
	OPT_ONLY_PROBLEMS,
};

static const struct cli_option analyze_options[] = {
	{ "check", 'c', 'c', "ID", CLI_REPEAT,
	  "run only this check; repeatable, comma lists allowed; a family name (SNI, TLS ...: "
	  "'apigee-bundle checks' lists them) selects all of its checks",
	  NULL },
	{ "format", 'f', 'f', "FORMAT", 0,
	  "text, json, html or markdown; without it the extension of -o FILE (.txt .json .html "
	  ".htm .md .markdown) decides, else text. jsonl: the fleet mode, one line of JSON per "
	  "bundle for every INPUT (a folder of bundles gives each of them)",
	  "text|json|html|markdown|jsonl" },
	ARCHIVE_IN_OPTIONS(OPT_MAX_TOTAL, OPT_MAX_MEMBER, OPT_MAX_RATIO, OPT_MAX_MEMBERS,
	                   "gzip'd members", ""),
	{ "only-problems", 0, OPT_ONLY_PROBLEMS, NULL, 0,
	  "show only checks that fail, warn or could not read their input (text, markdown, "
	  "html; json keeps all)",
	  NULL },
	{ "output", 'o', 'o', "FILE", 0,
	  "write the report to FILE (replaced atomically), not stdout; - is stdout", "file" },
};

const struct cli_command cli_analyze = {
	.name = "analyze",
	.synopsis = "INPUT [--format text|json|html|markdown|jsonl] [-o FILE] [options]",
	.summary = "run every check against a bundle, offline",
	.description =
	        "Run every check against INPUT, offline: a bundle made by 'apigee-bundle collect', "
	        "that bundle unpacked, or a folder, archive (tar, zip, cpio; plain or compressed) "
	        "or single file of files gathered by hand. INPUT - reads the bundle from standard "
	        "input. 'apigee-bundle checks' lists the checks.",
	CLI_OPTIONS(analyze_options),
	.exit_status = "0 no check failed; 1 at least one check failed; 2 usage error; 3 input "
	               "missing, unreadable or not a bundle.",
	.complete_args = "file",
};

/* Add the check (or family) named by token to ids. 0, -ENOENT unknown, -ENOMEM. */
static int add_check(struct strv *ids, const char *token, size_t len)
{
	char name[CHECK_ARG_MAX];
	const struct check *c;
	const struct check_family *fam;

	if (len == 0 || len >= sizeof(name))
		return -ENOENT;
	memcpy(name, token, len);
	name[len] = '\0';

	c = checks_find(name);
	if (c)
		return strv_push_unique(ids, c->id);
	fam = check_family_find(name);
	if (!fam || fam->rows->n == 0)
		return -ENOENT;
	for (size_t i = 0; i < fam->rows->n; i++)
		if (strv_push_unique(ids, fam->rows->v[i].id) < 0)
			return -ENOMEM;
	return 0;
}

/* One --check argument: "SNI-001", "sni-001,TLS-005", "XLB". */
static int parse_check_arg(struct strv *ids, const char *arg)
{
	const char *p = arg;

	for (;;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		size_t tl;
		const char *t = text_trim(p, len, &tl);
		int r;

		if (tl == 0) {
			char whole[256];

			text_escape(arg, strlen(arg), whole, sizeof(whole));
			fprintf(stderr, "apigee-bundle analyze: empty check ID in --check '%s'\n",
			        whole);
			return EXIT_USAGE;
		}
		r = add_check(ids, t, tl);
		if (r == -ENOENT) {
			char tok[CHECK_ARG_MAX * 4 + 8];

			text_escape(t, tl, tok, sizeof(tok));
			fprintf(stderr,
			        "apigee-bundle analyze: unknown check '%s'; 'apigee-bundle checks' "
			        "lists them\n",
			        tok);
			return EXIT_USAGE;
		}
		if (r < 0) {
			fprintf(stderr, "apigee-bundle analyze: %s\n", strerror(-r));
			return EXIT_UNREADABLE;
		}
		if (!comma)
			return 0;
		p = comma + 1;
	}
}

static void print_write_error(const char *path, int r)
{
	char safe[1024];

	text_escape(path, strlen(path), safe, sizeof(safe));
	fprintf(stderr, "apigee-bundle analyze: cannot write '%s': %s\n", safe, strerror(-r));
}

/* Render into a temp file beside path, then rename it over path: readers see the
 * old file or the whole new one, never half a report. */
static int write_atomic(const char *path, const struct bundle *b, const struct findings *fs,
                        const struct report_options *ro)
{
	char *tmp = NULL;
	FILE *f = NULL;
	int r;

	r = analyze_open_temp(path, &tmp, &f);
	if (r < 0) {
		print_write_error(path, r);
		return r;
	}
	r = report_write(f, b, fs, ro);
	if (r == 0 && fsync(fileno(f)) < 0)
		r = -errno;
	if (fclose(f) != 0 && r == 0)
		r = errno ? -errno : -EIO;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0) {
		unlink(tmp);
		print_write_error(path, r);
	}
	free(tmp);
	return r;
}

/* Columns the text report fits: COLUMNS when set to a number, else the terminal's
 * width when writing to a terminal, else 80. */
static unsigned report_width(bool to_stdout, const struct context *ctx)
{
	const char *env = getenv("COLUMNS");
	struct winsize ws;

	if (env && *env) {
		char *end;
		long n = strtol(env, &end, 10);

		if (!*end && n > 0 && n < 10000)
			return (unsigned)n;
	}
	if (to_stdout && ctx && ctx->stdout_tty && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 &&
	    ws.ws_col > 0)
		return ws.ws_col;
	return 80;
}

static void print_open_error(const char *input, const struct error *err)
{
	char in[1024], msg[1024], src[1024];

	text_escape(input, strlen(input), in, sizeof(in));
	text_escape(err->message, strnlen(err->message, sizeof(err->message)), msg, sizeof(msg));
	if (!msg[0])
		snprintf(msg, sizeof(msg), "%s", strerror(err->code < 0 ? -err->code : EIO));
	fprintf(stderr, "apigee-bundle analyze: %s: %s", in, msg);
	if (err->source[0] && strcmp(err->source, input) != 0) {
		text_escape(err->source, strnlen(err->source, sizeof(err->source)), src,
		            sizeof(src));
		fprintf(stderr, " (at %s", src);
		if (err->line)
			fprintf(stderr, ":%u", err->line);
		fputc(')', stderr);
	}
	fputc('\n', stderr);
}

/* --max-total-bytes, --max-member-bytes, --max-ratio, --max-members (core/archive_in.h) */
static int limit_option(struct bundle_options *bo, int opt, const char *value)
{
	uint64_t v;
	int r = text_parse_size(value, &v);

	if (r < 0)
		return r;
	if (opt == OPT_MAX_TOTAL)
		bo->max_total_bytes = v;
	else if (opt == OPT_MAX_MEMBER)
		bo->max_member_bytes = v;
	else if (opt == OPT_MAX_MEMBERS && v <= SIZE_MAX)
		bo->max_members = (size_t)v;
	else if (opt == OPT_MAX_RATIO && v <= UINT32_MAX)
		bo->max_ratio = (unsigned)v;
	else
		return -ERANGE;
	return 0;
}

/* The no-evidence warning (fleet.c); when nothing read was recognised at all, also
 * said on stderr. 1 then (exit 3), 0 otherwise, <0 on allocation failure. */
static int note_no_evidence(const struct bundle *b, struct findings *fs)
{
	_cleanup_(buf_release) struct buf line = BUF_INIT;
	int r = analyze_note_no_evidence(b, fs);

	if (r <= 0)
		return r;
	if (warning_text(&fs->warnings[0], &line) < 0)
		return -ENOMEM;
	fprintf(stderr, "apigee-bundle analyze: %s\n", line.data);
	return 1;
}

/* --verbose: every file read and what it was taken for. */
static void trace_artifacts(const struct bundle *b)
{
	for (size_t i = 0; i < b->n_artifacts; i++) {
		char esc[600];

		text_escape(b->artifacts[i].path, strlen(b->artifacts[i].path), esc, sizeof(esc));
		fprintf(stderr, "+ read %s (%s, %llu bytes)%s\n", esc,
		        artifact_kind_name(b->artifacts[i].kind),
		        (unsigned long long)b->artifacts[i].size,
		        b->artifacts[i].failed ? " -- unreadable" : "");
	}
}

int cmd_analyze(int argc, char **argv, struct context *ctx)
{
	struct report_options ro = { .format = REPORT__INVALID };
	struct bundle_options bo = { .now = ctx ? ctx->now : 0 };
	struct findings fs = { 0 };
	struct error err = ERROR_INIT;
	struct strv ids = STRV_INIT;
	struct bundle *b = NULL;
	const char *output = NULL, *input;
	struct cli_parser cp;
	struct cli_progress progress;
	char *spooled = NULL;
	int c, r, ret = EXIT_OK;
	bool no_evidence = false, jsonl = false;

	cli_parser_init(&cp, &cli_analyze, ctx);
	while ((c = cli_next(&cp, argc, argv)) >= 0) {
		switch (c) {
		case 'c':
			ret = parse_check_arg(&ids, optarg);
			if (ret != EXIT_OK)
				goto out;
			break;
		case 'f':
			jsonl = strcmp(optarg, "jsonl") == 0; /* fleet mode: cmd_jsonl.c */
			if (jsonl)
				break;
			ro.format = report_format_from_name(optarg);
			if (ro.format == REPORT__INVALID) {
				ret = cli_usage_error(
				        &cli_analyze,
				        "unknown format '%s' (text, json, html, markdown or jsonl)",
				        optarg);
				goto out;
			}
			break;
		case 'o':
			output = optarg;
			break;
		case OPT_ONLY_PROBLEMS:
			ro.only_problems = true;
			break;
		default: /* OPT_MAX_TOTAL, OPT_MAX_MEMBER, OPT_MAX_RATIO, OPT_MAX_MEMBERS */
			if (limit_option(&bo, c, optarg) < 0) {
				ret = cli_usage_error(
				        &cli_analyze,
				        "bad bound '%s' (a number, optionally K, M, G or T)",
				        optarg);
				goto out;
			}
			break;
		}
	}
	if (c != CLI_END) {
		ret = c == CLI_HELP ? EXIT_OK : EXIT_USAGE;
		goto out;
	}
	if (jsonl) {
		ret = analyze_jsonl(argc - optind, argv + optind, output, &ids, &bo, ctx);
		goto out;
	}
	if (optind >= argc) {
		ret = cli_usage_error(&cli_analyze, "missing INPUT");
		goto out;
	}
	if (argc - optind > 1) {
		ret = cli_usage_error(&cli_analyze, "unexpected argument '%s' (one INPUT only)",
		                      argv[optind + 1]);
		goto out;
	}
	if (output && !*output) {
		ret = cli_usage_error(&cli_analyze, "empty output file name");
		goto out;
	}
	input = argv[optind];
	if (strcmp(input, "-") == 0) {
		r = cli_stdin_to_temp(&spooled);
		if (r < 0) {
			cli_error(&cli_analyze, "cannot read standard input: %s", strerror(-r));
			ret = EXIT_UNREADABLE;
			goto out;
		}
		input = spooled;
	}
	if (output && strcmp(output, "-") == 0)
		output = NULL;
	/* no --format: the extension of -o FILE decides, else text */
	if (ro.format == REPORT__INVALID)
		ro.format = output ? report_format_from_path(output) : REPORT_TEXT;
	if (ro.format == REPORT__INVALID)
		ro.format = REPORT_TEXT;

	cli_progress_init(&progress, &cli_analyze, ctx);
	bo.progress = cli_progress_update;
	bo.progress_userdata = &progress;
	r = bundle_open(input, &bo, &b, &err);
	cli_progress_end(&progress);
	if (r < 0) {
		if (!err.code)
			err.code = r;
		print_open_error(input, &err);
		ret = EXIT_UNREADABLE;
		goto out;
	}
	if (cli_verbosity(ctx) > 0)
		trace_artifacts(b);
	error_reset(&err);
	r = checks_run(b, (const char *const *)ids.v, ids.n, &fs, &err);
	if (r < 0) {
		print_open_error(input, &err);
		ret = EXIT_UNREADABLE;
		goto out;
	}

	r = note_no_evidence(b, &fs);
	if (r < 0) {
		ret = EXIT_UNREADABLE;
		goto out;
	}
	no_evidence = r > 0;
	if (analyze_redact_findings(&fs) < 0) {
		fputs("apigee-bundle analyze: out of memory\n", stderr);
		ret = EXIT_UNREADABLE;
		goto out;
	}

	ro.input = spooled ? "(standard input)" : input;
	ro.color = ctx && ctx->color && !output && ro.format == REPORT_TEXT;
	ro.width = report_width(!output, ctx);
	if (output) {
		r = write_atomic(output, b, &fs, &ro);
	} else {
		r = report_write(stdout, b, &fs, &ro);
		if (r < 0 && r != -EIO)
			fprintf(stderr, "apigee-bundle analyze: cannot render the report: %s\n",
			        strerror(-r));
		/* a failed write to stdout is reported once, by main */
	}
	if (r < 0) {
		ret = EXIT_UNREADABLE;
		goto out;
	}
	for (size_t i = 0; i < fs.n; i++)
		if (fs.items[i].status == STATUS_FAIL)
			ret = EXIT_FINDINGS;
	if (no_evidence)
		ret = EXIT_UNREADABLE; /* the contract: input unusable */
out:
	findings_release(&fs);
	bundle_free(b);
	strv_release(&ids);
	cli_parser_release(&cp);
	if (spooled)
		unlink(spooled);
	free(spooled);
	return ret;
}
