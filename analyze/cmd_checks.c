/* SPDX-License-Identifier: Apache-2.0 */
/* apigee-bundle checks: print the check catalog (ID, family, severity, title,
 * inputs, remediation, playbook, how to collect the inputs) as a text table or a
 * JSON array. */
#include "commands.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "report.h"
#include "text.h"
#include "banned.h"

static const struct cli_option checks_options[] = {
	{ "format", 'f', 'f', "FORMAT", 0, "text (default) or json", "text|json" },
};

const struct cli_command cli_checks = {
	.name = "checks",
	.synopsis = "[--format text|json]",
	.summary = "list the check catalog",
	.description = "List every check that 'apigee-bundle analyze' runs: its ID, severity, "
	               "title and the inputs it reads (json adds the sentence shown when it "
	               "passes, remediation, playbook and how to collect the inputs).",
	CLI_OPTIONS(checks_options),
	.exit_status = "0 listed; 1 the catalog could not be written; 2 usage error.",
	.complete_args = NULL,
};

int cmd_checks(int argc, char **argv, struct context *ctx)
{
	enum report_format format = REPORT_TEXT;
	struct cli_parser cp;
	int c, r;

	cli_parser_init(&cp, &cli_checks, ctx);
	while ((c = cli_next(&cp, argc, argv)) == 'f') {
		format = report_format_from_name(optarg);
		if (format != REPORT_TEXT && format != REPORT_JSON) {
			c = CLI_USAGE;
			cli_usage_error(&cli_checks, "unknown format '%s' (text or json)", optarg);
			break;
		}
	}
	cli_parser_release(&cp);
	if (c != CLI_END)
		return c == CLI_HELP ? EXIT_OK : EXIT_USAGE;
	if (optind < argc)
		return cli_usage_error(&cli_checks, "unexpected argument '%s'", argv[optind]);
	r = report_catalog(stdout, format);
	if (r < 0 && r != -EIO) {
		fprintf(stderr, "apigee-bundle checks: %s\n", strerror(-r));
		return EXIT_FINDINGS;
	}
	/* a failed write to stdout is reported by main */
	return r < 0 ? EXIT_FINDINGS : EXIT_OK;
}
