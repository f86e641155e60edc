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
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "cleanup.h"
#include "bundle.h"
#include "checks.h"
#include "error.h"
#include "findings.h"
#include "report.h"
#include "text.h"
#include "banned.h"

#define CHECK_ARG_MAX 64 /* longest --check token considered */

static void analyze_usage(FILE *out)
{
	size_t n_fam;
	const struct check_family *fams = check_families(&n_fam);

	fprintf(out,
	        "usage: apigee-bundle analyze INPUT [--format text|json|html|markdown] [-o FILE]\n"
	        "                             [--check ID]...\n"
	        "\n"
	        "Run every check against INPUT, offline: a bundle made by 'apigee-bundle "
	        "collect',\n"
	        "that bundle unpacked, or a folder, archive (tar, zip, cpio; plain or compressed)\n"
	        "or single file of files gathered by hand.\n"
	        "\n"
	        "options:\n"
	        "  -f, --format FORMAT  text (default), json, html or markdown\n"
	        "  -o, --output FILE    write the report to FILE (replaced atomically), not "
	        "stdout\n"
	        "  -c, --check ID       run only this check; repeatable, comma lists allowed, a\n"
	        "                       family name (");
	for (size_t i = 0; i < n_fam; i++)
		fprintf(out, "%s%s", i ? ", " : "", fams[i].id);
	fprintf(out,
	        ") selects all of its checks\n"
	        "  --max-total-bytes N  stop when the input expands beyond N bytes (K, M, G, T\n"
	        "                       suffixes; default 256G)\n"
	        "  --max-member-bytes N ... when one member does (default 16G)\n"
	        "  --max-ratio N        ... when compressed input expands more than N:1 (after\n"
	        "                       the first 64 MiB; default 200)\n"
	        "  -h, --help           show this help\n"
	        "\n"
	        "exit status: 0 no check failed, 1 at least one check failed, 2 usage error,\n"
	        "3 input unreadable or not a bundle.\n"
	        "'apigee-bundle checks' lists the checks.\n");
}

static int usage_error(const char *fmt, const char *arg) __attribute__((format(printf, 1, 0)));

static int usage_error(const char *fmt, const char *arg)
{
	char safe[256];

	text_escape(arg ? arg : "", arg ? strlen(arg) : 0, safe, sizeof(safe));
	fprintf(stderr, "apigee-bundle analyze: ");
	fprintf(stderr, fmt, safe);
	fprintf(stderr, "\n");
	analyze_usage(stderr);
	return EXIT_USAGE;
}

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

/* A temp file next to path ("DIR/.BASE.XXXXXX"), mode 0666 & ~umask as for any
 * created file. */
static int open_temp(const char *path, char **ret_tmp, FILE **ret_f)
{
	const char *slash = strrchr(path, '/');
	struct buf tmp = BUF_INIT;
	mode_t mask;
	int fd, r;
	FILE *f;

	if (slash)
		r = buf_printf(&tmp, "%.*s/.%s.XXXXXX", (int)(slash - path), path, slash + 1);
	else
		r = buf_printf(&tmp, ".%s.XXXXXX", path);
	if (r < 0)
		return r;
	fd = mkostemp(tmp.data, O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		buf_release(&tmp);
		return r;
	}
	mask = umask(0);
	umask(mask);
	if (fchmod(fd, 0666 & ~mask) < 0 || !(f = fdopen(fd, "w"))) {
		r = -errno;
		close(fd);
		unlink(tmp.data);
		buf_release(&tmp);
		return r;
	}
	*ret_f = f;
	*ret_tmp = buf_detach(&tmp, NULL);
	return 0;
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

	r = open_temp(path, &tmp, &f);
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

enum {
	OPT_MAX_TOTAL = 0x100,
	OPT_MAX_MEMBER,
	OPT_MAX_RATIO,
};

/* --max-total-bytes, --max-member-bytes, --max-ratio (core/archive_in.h) */
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
	else if (v <= UINT32_MAX)
		bo->max_ratio = (unsigned)v;
	else
		return -ERANGE;
	return 0;
}

/* When every check skipped, nothing in the input was evidence for any of them:
 * say so first (the first warning of the report), naming what was read. Returns
 * 1 when nothing read was recognised at all (exit 3, also said on stderr), 0
 * otherwise, <0 on allocation failure. */
static int note_no_evidence(const struct bundle *b, struct findings *fs)
{
	struct warning *w;
	bool recognised = false;
	int r = 0;

	if (!fs->n)
		return 0;
	for (size_t i = 0; i < fs->n; i++)
		if (fs->items[i].status != STATUS_SKIP)
			return 0;
	w = findings_add_warning(fs, WARNING_NO_EVIDENCE);
	if (!w)
		return -ENOMEM;
	for (size_t i = 0; i < b->n_artifacts && r >= 0; i++)
		r = warning_add_member(w, b->artifacts[i].path,
		                       artifact_kind_name(b->artifacts[i].kind));
	if (r < 0)
		return r;
	/* first: move the new warning to the front */
	if (fs->n_warnings > 1) {
		struct warning tmp = fs->warnings[fs->n_warnings - 1];

		memmove(fs->warnings + 1, fs->warnings,
		        (fs->n_warnings - 1) * sizeof(fs->warnings[0]));
		fs->warnings[0] = tmp;
	}
	/* exit 3 only when nothing read was even recognised as a kind of evidence; a
	 * recognised file that no check can use alone (overrides.yaml without the
	 * routes) is usable input, merely not enough */
	for (size_t i = 0; i < b->n_artifacts; i++)
		if (b->artifacts[i].kind != ART_TEXT && b->artifacts[i].kind != ART_BINARY &&
		    b->artifacts[i].kind != ART_UNKNOWN)
			recognised = true;
	if (!recognised) {
		_cleanup_(buf_release) struct buf line = BUF_INIT;

		r = warning_text(&fs->warnings[0], &line);
		if (r < 0)
			return r;
		fprintf(stderr, "apigee-bundle analyze: %s\n", line.data);
	}
	return recognised ? 0 : 1;
}

int cmd_analyze(int argc, char **argv, struct context *ctx)
{
	static const struct option longopts[] = {
		{ "check", required_argument, NULL, 'c' },
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ "max-member-bytes", required_argument, NULL, OPT_MAX_MEMBER },
		{ "max-ratio", required_argument, NULL, OPT_MAX_RATIO },
		{ "max-total-bytes", required_argument, NULL, OPT_MAX_TOTAL },
		{ "output", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	struct report_options ro = { .format = REPORT_TEXT };
	struct bundle_options bo = { .now = ctx ? ctx->now : 0 };
	struct findings fs = { 0 };
	struct error err = ERROR_INIT;
	struct strv ids = STRV_INIT;
	struct bundle *b = NULL;
	const char *output = NULL, *input;
	int c, r, ret = EXIT_OK;
	bool no_evidence = false;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":c:f:ho:", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			ret = parse_check_arg(&ids, optarg);
			if (ret != EXIT_OK)
				goto out;
			break;
		case 'f':
			ro.format = report_format_from_name(optarg);
			if (ro.format == REPORT__INVALID) {
				ret = usage_error(
				        "unknown format '%s' (text, json, html or markdown)",
				        optarg);
				goto out;
			}
			break;
		case 'h':
			analyze_usage(stdout);
			goto out;
		case 'o':
			output = optarg;
			break;
		case OPT_MAX_TOTAL:
		case OPT_MAX_MEMBER:
		case OPT_MAX_RATIO:
			if (limit_option(&bo, c, optarg) < 0) {
				ret = usage_error(
				        "bad bound '%s' (a number, optionally K, M, G or T)",
				        optarg);
				goto out;
			}
			break;
		case ':':
			ret = usage_error("option '%s' needs a value", argv[optind - 1]);
			goto out;
		default:
			ret = usage_error("unknown option '%s'", argv[optind - 1]);
			goto out;
		}
	}
	if (optind >= argc) {
		ret = usage_error("missing INPUT%s", "");
		goto out;
	}
	if (argc - optind > 1) {
		ret = usage_error("unexpected argument '%s' (one INPUT only)", argv[optind + 1]);
		goto out;
	}
	input = argv[optind];
	if (output && !*output) {
		ret = usage_error("empty output file name%s", "");
		goto out;
	}
	if (output && strcmp(output, "-") == 0)
		output = NULL;

	r = bundle_open(input, &bo, &b, &err);
	if (r < 0) {
		if (!err.code)
			err.code = r;
		print_open_error(input, &err);
		ret = EXIT_UNREADABLE;
		goto out;
	}
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

	ro.input = input;
	ro.color = ctx && ctx->color && !output && ro.format == REPORT_TEXT;
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
	return ret;
}
