/* SPDX-License-Identifier: Apache-2.0 */
/* apigee-bundle: dispatch to the subcommands (git-style), after the set-up that
 * every command shares: library initialisation, TTY and colour detection, the
 * analysis clock, and checking that stdout was flushed without error. */
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

#include "commands.h"
#include "version.h"
#include "banned.h"

struct command {
	const char *name;
	int (*fn)(int argc, char **argv, struct context *ctx);
	const char *summary;
};

/* Sorted by name. */
static const struct command commands[] = {
	{ "analyze", cmd_analyze, "run every check against a bundle, offline" },
	{ "checks", cmd_checks, "list the check catalog" },
	{ "collect", cmd_collect, "gather, redact and write a support bundle" },
	{ "redact", cmd_redact, "redact an existing bundle or folder" },
	{ "verify", cmd_verify, "verify a bundle's checksums and schemas" },
};

static void usage(FILE *out)
{
	fprintf(out, "usage: apigee-bundle <command> [options]\n\n"
	             "Support bundles for Apigee hybrid and Apigee X ingress and TLS failures.\n\n"
	             "commands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-9s %s\n", commands[i].name, commands[i].summary);
	fprintf(out, "\n'apigee-bundle <command> --help' describes a command's options.\n"
	             "apigee-bundle --version prints the version.\n");
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
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
		printf("apigee-bundle %s\n", APIGEE_BUNDLE_VERSION);
		return EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(commands[i].name, argv[1]) == 0)
			cmd = &commands[i];
	if (!cmd) {
		fprintf(stderr,
		        "apigee-bundle: '%s' is not a command; see 'apigee-bundle --help'\n",
		        argv[1]);
		return EXIT_USAGE;
	}

	ctx.stdout_tty = isatty(STDOUT_FILENO);
	ctx.stderr_tty = isatty(STDERR_FILENO);
	ctx.color = ctx.stdout_tty && !(no_color && *no_color);
	ctx.stderr_color = ctx.stderr_tty && !(no_color && *no_color);
	ctx.now = context_now();

	OPENSSL_init_ssl(0, NULL);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "apigee-bundle: cannot initialise libcurl\n");
		return EXIT_FINDINGS;
	}
	optind = 1;
	r = cmd->fn(argc - 1, argv + 1, &ctx);
	curl_global_cleanup();

	/* A full disk or a closed pipe must not pass for success. */
	if (fflush(stdout) != 0 || ferror(stdout)) {
		if (errno != EPIPE)
			fprintf(stderr, "apigee-bundle: write error on standard output: %s\n",
			        strerror(errno));
		return r ? r : EXIT_FINDINGS;
	}
	return r;
}
