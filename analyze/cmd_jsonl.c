/* SPDX-License-Identifier: Apache-2.0 */
/* apigee-bundle analyze --format jsonl INPUT...: the fleet mode. Every input (a
 * folder of bundles gives each of its bundles) is analysed in turn, one after the
 * other, so memory stays that of one bundle; each gives one line, written and
 * flushed at once: the bundle's identity and the findings document of
 * --format json, or the error that kept it from being read. A bundle that cannot
 * be read never stops the run.
 *
 * Exit status: 3 when any input was unreadable or not a bundle, else 1 when any
 * bundle has a failing check, else 0; 2 usage error. */
#include "fleet.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "cli.h"
#include "commands.h"
#include "error.h"
#include "text.h"
#include "banned.h"

/* The output: stdout, or a temp file beside the -o FILE renamed over it at the end. */
struct jsonl_out {
	FILE *f;
	const char *path; /* NULL = stdout */
	char *tmp;
};

static void print_error(const char *what, const char *path, const char *msg)
{
	char safe[1024], m[1024];

	text_escape(path, strlen(path), safe, sizeof(safe));
	text_escape(msg, strlen(msg), m, sizeof(m));
	fprintf(stderr, "apigee-bundle analyze: %s%s: %s\n", what, safe, m);
}

/* A folder that holds bundles but is read as one bundle of loose files: say why. */
static void print_note(const char *folder, const char *entry)
{
	char f[1024], e[512];

	text_escape(folder, strlen(folder), f, sizeof(f));
	text_escape(entry, strlen(entry), e, sizeof(e));
	fprintf(stderr,
	        "apigee-bundle analyze: %s: read as one bundle of loose files: '%s' is neither an "
	        "archive nor a folder with manifest.json\n",
	        f, e);
}

static int out_open(struct jsonl_out *o, const char *path)
{
	o->path = path;
	o->f = stdout;
	if (!path)
		return 0;
	return analyze_open_temp(path, &o->tmp, &o->f);
}

/* Finish the output: rename the temp file into place when all went well (ok),
 * else remove it. 0 or -errno. */
static int out_close(struct jsonl_out *o, bool ok)
{
	int r = 0;

	if (!o->path)
		return 0;
	if (fsync(fileno(o->f)) < 0)
		r = -errno;
	if (fclose(o->f) != 0 && r == 0)
		r = -errno;
	if (ok && r == 0 && rename(o->tmp, o->path) < 0)
		r = -errno;
	if (!ok || r < 0)
		unlink(o->tmp);
	free(o->tmp);
	o->tmp = NULL;
	return r;
}

/* Analyse one input and write its line. The input's exit status, or -EIO (write
 * failed), -ENOMEM. */
static int one_line(FILE *out, const char *input, const struct analyze_one_options *opts)
{
	struct analyze_one one;
	struct error err = ERROR_INIT;
	json_t *line;
	int st = analyze_one(input, opts, &one, &err);

	if (st < 0) {
		analyze_one_release(&one);
		return st;
	}
	line = fleet_line(input, st, &one, &err);
	if (!line) {
		analyze_one_release(&one);
		return -ENOMEM;
	}
	if (!json_is_true(json_object_get(line, "ok"))) {
		const char *msg = json_string_value(
		        json_object_get(json_object_get(line, "error"), "message"));

		print_error("", input, msg ? msg : "cannot read the input");
		st = EXIT_UNREADABLE;
	} else if (one.no_evidence) {
		print_error("", input, "nothing in the input is evidence for any check");
	}
	if (json_dumpf(line, out, JSON_COMPACT | JSON_PRESERVE_ORDER) < 0 ||
	    fputc('\n', out) == EOF || fflush(out) != 0)
		st = -EIO;
	json_decref(line);
	analyze_one_release(&one);
	return st;
}

int analyze_jsonl(int argc, char **argv, const char *output, const struct strv *checks,
                  const struct bundle_options *bo, struct context *ctx)
{
	struct analyze_one_options opts = {
		.bundle = bo,
		.checks = (const char *const *)checks->v,
		.n_checks = checks->n,
	};
	struct strv inputs = STRV_INIT, notes = STRV_INIT;
	struct jsonl_out out = { 0 };
	bool broken = false;
	int ret = EXIT_OK, r;

	(void)ctx;
	if (output && strcmp(output, "-") == 0)
		output = NULL;
	if (argc < 1)
		return cli_usage_error(&cli_analyze,
		                       "missing INPUT (--format jsonl takes one or more)");
	r = fleet_expand((const char *const *)argv, (size_t)argc, &inputs, &notes);
	for (size_t i = 0; r >= 0 && i + 1 < notes.n; i += 2)
		print_note(notes.v[i], notes.v[i + 1]);
	strv_release(&notes);
	if (r >= 0)
		r = out_open(&out, output);
	if (r < 0) {
		print_error("cannot write ", output ? output : "the output", strerror(-r));
		strv_release(&inputs);
		return EXIT_UNREADABLE;
	}
	for (size_t i = 0; i < inputs.n; i++) {
		int st = one_line(out.f, inputs.v[i], &opts);

		if (st < 0) {
			if (st != -EIO || output)
				print_error("cannot write ", output ? output : "the output",
				            strerror(-st));
			ret = EXIT_UNREADABLE;
			broken = true;
			break;
		}
		if (st == EXIT_UNREADABLE || (st == EXIT_FINDINGS && ret == EXIT_OK))
			ret = st;
	}
	r = out_close(&out, !broken);
	if (r < 0 && !broken) {
		print_error("cannot write ", output, strerror(-r));
		ret = EXIT_UNREADABLE;
	}
	strv_release(&inputs);
	return ret;
}
