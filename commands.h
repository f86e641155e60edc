/* SPDX-License-Identifier: Apache-2.0 */
/* The subcommands of apigee-bundle.
 *
 * Adding a new subcommand:
 *   1. write `int cmd_<name>(int argc, char **argv, struct context *ctx)` in the
 *      folder of its job (collect/, redact/, analyze/), with its option table as a
 *      `const struct cli_command cli_<name>` (core/cli.h) and its options parsed by
 *      cli_next(): help text, the man page apigee-bundle-<name>(1) and the shell
 *      completions are generated from that table;
 *   2. declare both below;
 *   3. add a row to commands[] in main.c, keeping the table sorted by name, and
 *      the man page's name to MAN_PAGES in meson.build;
 *   4. document it in README.md, and add tests that drive the real binary
 *      (tests/cli_options.py checks help, man page and table agree).
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
	int verbosity; /* -1 --quiet, 0 normal, 1 --verbose (cli_next() sets it) */
	int64_t now;   /* analysis clock; APIGEE_BUNDLE_NOW (epoch seconds) overrides, for tests */
};

int cmd_analyze(int argc, char **argv, struct context *ctx);
int cmd_checks(int argc, char **argv, struct context *ctx);
int cmd_collect(int argc, char **argv, struct context *ctx);
int cmd_diff(int argc, char **argv, struct context *ctx);
int cmd_redact(int argc, char **argv, struct context *ctx);
int cmd_verify(int argc, char **argv, struct context *ctx);

struct cli_command;
extern const struct cli_command cli_analyze, cli_checks, cli_collect, cli_diff, cli_redact,
        cli_verify;

/* Exit codes shared by the subcommands (contract.md). */
enum exit_code {
	EXIT_OK = 0,
	EXIT_FINDINGS = 1, /* analyze: at least one fail; collect/redact/verify: failure */
	EXIT_USAGE = 2,
	EXIT_UNREADABLE =
	        3, /* an input missing or unreadable (every command); analyze: not a bundle */
	EXIT_PARTIAL = 4, /* collect: bundle written, some sources failed or skipped */
};

#endif
