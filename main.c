/* SPDX-License-Identifier: Apache-2.0 */
/* apigee-bundle: dispatch to the subcommands (git-style), after the set-up that
 * every command shares: library initialisation, TTY and colour detection, the
 * analysis clock, and checking that stdout was flushed without error.
 *
 * Installed as kubectl-apigee_bundle (a link) it is a kubectl plugin: kubectl runs
 * it with the words after "kubectl apigee-bundle", so nothing here depends on the
 * name it was called by. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <openssl/ssl.h>

#include "cli.h"
#include "commands.h"
#include "text.h"
#include "version.h"
#include "banned.h"

struct command {
	const char *name;
	int (*fn)(int argc, char **argv, struct context *ctx);
	const struct cli_command *cli; /* its options, help and man page */
};

/* Sorted by name. */
static const struct command commands[] = {
	{ "analyze", cmd_analyze, &cli_analyze }, { "checks", cmd_checks, &cli_checks },
	{ "collect", cmd_collect, &cli_collect }, { "diff", cmd_diff, &cli_diff },
	{ "redact", cmd_redact, &cli_redact },    { "verify", cmd_verify, &cli_verify },
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *out)
{
	fprintf(out, "usage: apigee-bundle <command> [options]\n\n"
	             "Support bundles for Apigee hybrid and Apigee X ingress and TLS failures.\n\n"
	             "commands:\n");
	for (size_t i = 0; i < N_COMMANDS; i++)
		fprintf(out, "  %-9s %s\n", commands[i].name,
		        commands[i].cli ? commands[i].cli->summary : "");
	fprintf(out, "\nEvery command takes -q/--quiet, -v/--verbose and -h/--help.\n"
	             "'apigee-bundle help <command>' describes a command's options.\n"
	             "'apigee-bundle -V' prints the version. As a kubectl plugin: "
	             "'kubectl apigee-bundle <command>'.\n");
}

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < N_COMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

/* "'analyse' is not a command; did you mean 'analyze'?" and the hint. */
static int unknown_command(const char *name)
{
	const char *names[N_COMMANDS + 1];
	const char *best;
	char safe[128];

	for (size_t i = 0; i < N_COMMANDS; i++)
		names[i] = commands[i].name;
	names[N_COMMANDS] = "help";
	best = cli_closest(name, names, N_COMMANDS + 1);
	text_escape(name, strlen(name), safe, sizeof(safe));
	if (best)
		fprintf(stderr, "apigee-bundle: '%s' is not a command; did you mean '%s'?\n", safe,
		        best);
	else
		fprintf(stderr, "apigee-bundle: '%s' is not a command\n", safe);
	fprintf(stderr, "see 'apigee-bundle --help'\n");
	return EXIT_USAGE;
}

static const struct cli_command *command_specs(const struct cli_command **v)
{
	size_t k = 0;

	for (size_t i = 0; i < N_COMMANDS; i++)
		if (commands[i].cli)
			v[k++] = commands[i].cli;
	v[k] = NULL;
	return v[0];
}

/* apigee-bundle help [CMD]; hidden, for the build and the tests:
 *   help --man CMD              the man page apigee-bundle-CMD(1), in roff
 *   help --completion bash|zsh  the completion script
 *   help --options CMD          CMD's option table as JSON lines */
static int cmd_help(int argc, char **argv)
{
	const struct cli_command *specs[N_COMMANDS + 1];
	const struct command *cmd = NULL;
	size_t n;

	command_specs(specs);
	for (n = 0; specs[n]; n++)
		;
	if (argc < 2) {
		usage(stdout);
		return EXIT_OK;
	}
	if (strcmp(argv[1], "--completion") == 0) {
		if (argc != 3 || cli_completion(stdout, argv[2], specs, n) < 0) {
			fprintf(stderr, "apigee-bundle help: --completion wants bash or zsh\n");
			return EXIT_USAGE;
		}
		return EXIT_OK;
	}
	if (strcmp(argv[1], "--man") == 0 || strcmp(argv[1], "--options") == 0) {
		cmd = argc == 3 ? find_command(argv[2]) : NULL;
		if (!cmd || !cmd->cli) {
			fprintf(stderr, "apigee-bundle help: %s wants one command\n", argv[1]);
			return EXIT_USAGE;
		}
		if (argv[1][2] == 'm')
			cli_man(stdout, cmd->cli, APIGEE_BUNDLE_VERSION);
		else
			cli_options_json(stdout, cmd->cli);
		return EXIT_OK;
	}
	if (argc > 2) {
		fprintf(stderr, "apigee-bundle help: one command at a time\nusage: apigee-bundle "
		                "help [COMMAND]\n");
		return EXIT_USAGE;
	}
	cmd = find_command(argv[1]);
	if (!cmd)
		return unknown_command(argv[1]);
	if (cmd->cli)
		cli_help(stdout, cmd->cli);
	else {
		char *help_argv[] = { argv[1], (char *)"--help", NULL };

		optind = 1;
		return cmd->fn(2, help_argv, NULL);
	}
	return EXIT_OK;
}

static int64_t context_now(void)
{
	const char *s = getenv("APIGEE_BUNDLE_NOW");

	if (s && *s) {
		char *end = NULL;
		long long v;

		errno = 0;
		v = strtoll(s, &end, 10);
		if (!errno && end && *end == '\0' && v > 0)
			return (int64_t)v;
	}
	return (int64_t)time(NULL);
}

int main(int argc, char **argv)
{
	struct context ctx = { 0 };
	const struct command *cmd = NULL;
	const char *no_color = getenv("NO_COLOR");
	int r;

	ctx.progname = "apigee-bundle";
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
		argv[1] = (char *)"help";
	if (strcmp(argv[1], "help") == 0)
		return cmd_help(argc - 1, argv + 1);
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0 ||
	    strcmp(argv[1], "version") == 0) {
		printf("apigee-bundle %s\n", APIGEE_BUNDLE_VERSION);
		return EXIT_OK;
	}
	cmd = find_command(argv[1]);
	if (!cmd) {
		if (argv[1][0] == '-') {
			char safe[128];

			text_escape(argv[1], strlen(argv[1]), safe, sizeof(safe));
			fprintf(stderr,
			        "apigee-bundle: unknown option '%s' (options follow the command)\n"
			        "see 'apigee-bundle --help'\n",
			        safe);
			return EXIT_USAGE;
		}
		return unknown_command(argv[1]);
	}

	ctx.stdout_tty = isatty(STDOUT_FILENO);
	ctx.stderr_tty = isatty(STDERR_FILENO);
	ctx.color = ctx.stdout_tty && !(no_color && *no_color);
	ctx.stderr_color = ctx.stderr_tty && !(no_color && *no_color);
	ctx.now = context_now();

	OPENSSL_init_ssl(0, NULL);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "apigee-bundle %s: cannot initialise libcurl\n", cmd->name);
		return EXIT_FINDINGS;
	}
	optind = 1;
	r = cmd->fn(argc - 1, argv + 1, &ctx);
	curl_global_cleanup();

	/* A full disk or a closed pipe must not pass for success. */
	if (fflush(stdout) != 0 || ferror(stdout)) {
		if (errno != EPIPE)
			fprintf(stderr, "apigee-bundle %s: write error on standard output: %s\n",
			        cmd->name, strerror(errno));
		return r ? r : EXIT_FINDINGS;
	}
	return r;
}
