/* SPDX-License-Identifier: Apache-2.0 */
/* apigee-bundle checks: print the check catalog (ID, family, severity, title,
 * inputs, remediation, playbook, how to collect the inputs) as a text table or a
 * JSON array. */
#include "commands.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "report.h"
#include "text.h"
#include "banned.h"

static void checks_usage(FILE *out)
{
	fprintf(out, "usage: apigee-bundle checks [--format text|json]\n"
	             "\n"
	             "List every check that 'apigee-bundle analyze' runs: its ID, severity, title\n"
	             "and the inputs it reads (json adds the sentence shown when it passes,\n"
	             "remediation, playbook and how to collect the inputs).\n"
	             "\n"
	             "options:\n"
	             "  -f, --format FORMAT  text (default) or json\n"
	             "  -h, --help           show this help\n");
}

static int checks_usage_error(const char *what, const char *arg)
{
	char safe[256];

	text_escape(arg, strlen(arg), safe, sizeof(safe));
	fprintf(stderr, "apigee-bundle checks: %s '%s'\n", what, safe);
	checks_usage(stderr);
	return EXIT_USAGE;
}

int cmd_checks(int argc, char **argv, struct context *ctx)
{
	static const struct option longopts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	enum report_format format = REPORT_TEXT;
	int c, r;

	(void)ctx;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":f:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			format = report_format_from_name(optarg);
			if (format != REPORT_TEXT && format != REPORT_JSON)
				return checks_usage_error("unknown format (text or json)", optarg);
			break;
		case 'h':
			checks_usage(stdout);
			return EXIT_OK;
		case ':':
			return checks_usage_error("option needs a value:", argv[optind - 1]);
		default:
			return checks_usage_error("unknown option", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return checks_usage_error("unexpected argument", argv[optind]);
	r = report_catalog(stdout, format);
	if (r < 0 && r != -EIO) {
		fprintf(stderr, "apigee-bundle checks: %s\n", strerror(-r));
		return EXIT_FINDINGS;
	}
	/* a failed write to stdout is reported by main */
	return r < 0 ? EXIT_FINDINGS : EXIT_OK;
}
