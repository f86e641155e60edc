/* SPDX-License-Identifier: Apache-2.0 */
/* The subcommands of apigee-bundle.
 *
 * Adding a new subcommand:
 *   1. write `int cmd_<name>(int argc, char **argv, struct context *ctx)` in the
 *      folder of its job (collect/, redact/, analyze/), parsing its own options
 *      with getopt_long and printing its own --help;
 *   2. declare it below;
 *   3. add a row to commands[] in main.c, keeping the table sorted by name;
 *   4. document it in README.md and doc/apigee-bundle.1, and add tests that drive
 *      the real binary.
 * Library code under the job folders never prints or exits; only cmd_* does.
 * Exit status conventions are in README.md ("Exit codes"). */
#ifndef COMMANDS_H
#define COMMANDS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* Process-wide settings, created once in main() and passed down. */
struct context {
	const char *progname;
	bool stdout_tty;
	bool stderr_tty;
	bool color; /* stdout colour allowed: a TTY and NO_COLOR unset */
	bool stderr_color;
	int64_t now; /* analysis clock; APIGEE_BUNDLE_NOW (epoch seconds) overrides, for tests */
};

int cmd_analyze(int argc, char **argv, struct context *ctx);
int cmd_checks(int argc, char **argv, struct context *ctx);
int cmd_collect(int argc, char **argv, struct context *ctx);
int cmd_redact(int argc, char **argv, struct context *ctx);
int cmd_verify(int argc, char **argv, struct context *ctx);

/* Exit codes shared by the subcommands (contract.md). */
enum exit_code {
	EXIT_OK = 0,
	EXIT_FINDINGS = 1, /* analyze: at least one fail; collect/redact/verify: failure */
	EXIT_USAGE = 2,
	EXIT_UNREADABLE = 3, /* analyze: input unreadable or not a bundle */
	EXIT_PARTIAL = 4,    /* collect: bundle written, some sources failed or skipped */
};

#endif
