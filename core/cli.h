/* SPDX-License-Identifier: Apache-2.0 */
/* The command line, from one table per subcommand.
 *
 * Each subcommand describes itself once, as a `struct cli_command` (synopsis,
 * description, its option rows, exit status). Everything a user reads about
 * options comes from that table:
 *   - parsing: cli_next() builds getopt_long()'s tables from the rows;
 *   - `CMD --help` / `help CMD`: cli_help();
 *   - the man page apigee-bundle-CMD(1): cli_man() (the build runs the binary's
 *     hidden `help --man CMD`);
 *   - bash and zsh completions: cli_completion() (`help --completion bash|zsh`).
 * tests/cli_options.py checks that help, man pages and the tables agree.
 *
 * Options every subcommand takes (-h/--help, -q/--quiet, -v/--verbose) are
 * added by this module and handled by cli_next(); a command's table lists only
 * its own.
 *
 * Errors: every message starts "apigee-bundle CMD: ". A usage error prints the
 * message and a two-line hint (the synopsis and where the help is), never the
 * whole help, and the command exits EXIT_USAGE. */
#ifndef CORE_CLI_H
#define CORE_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct context;

#define CLI_REPEAT 1u /* may be given more than once */

/* One option of a subcommand. */
struct cli_option {
	const char *name;     /* long name, without "--" */
	char short_name;      /* 0: none */
	int id;               /* what cli_next() returns for it: short_name, or an enum >= 256 */
	const char *arg;      /* the value's name ("FILE"); NULL: takes no value */
	unsigned flags;       /* CLI_* */
	const char *help;     /* what it does: sentences, wrapped by the printers */
	const char *complete; /* the value's completion: "file", "dir", "a|b|c" words; NULL none */
};

struct cli_command {
	const char *name;        /* "analyze" */
	const char *synopsis;    /* after "apigee-bundle NAME ": "INPUT [options]" */
	const char *summary;     /* one line: the command list and the man page's NAME */
	const char *description; /* paragraphs separated by "\n\n" */
	const struct cli_option *options;
	size_t n_options;
	const char *exit_status;   /* one paragraph */
	const char *complete_args; /* completion of the operands: "file", "dir", NULL none */
};

#define CLI_OPTIONS(table) (table), (sizeof(table) / sizeof((table)[0]))

/* cli_next() results besides an option's id. */
enum {
	CLI_END = -1,   /* no more options: operands start at optind */
	CLI_HELP = -2,  /* --help was printed to stdout: exit EXIT_OK */
	CLI_USAGE = -3, /* a usage error was printed: exit EXIT_USAGE */
};

#define CLI_MAX_OPTIONS 48

struct cli_parser {
	const struct cli_command *cmd;
	struct context *ctx; /* gets the verbosity; may be NULL */
	void *longopts;      /* struct option[], built on first use */
	char shortopts[2 * CLI_MAX_OPTIONS + 8];
	bool ready;
};

void cli_parser_init(struct cli_parser *p, const struct cli_command *cmd, struct context *ctx);
void cli_parser_release(struct cli_parser *p);
/* The next option of argv (getopt_long semantics: optarg holds its value). */
int cli_next(struct cli_parser *p, int argc, char **argv);

/* "apigee-bundle CMD: MESSAGE\n" on stderr. */
void cli_error(const struct cli_command *cmd, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
/* The same, then the short usage hint; returns EXIT_USAGE. */
int cli_usage_error(const struct cli_command *cmd, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
/* The hint alone: "usage: apigee-bundle CMD SYNOPSIS\nsee 'apigee-bundle help CMD'". */
void cli_usage_hint(FILE *out, const struct cli_command *cmd);

/* The full help (stdout for --help). */
void cli_help(FILE *out, const struct cli_command *cmd);
/* The man page apigee-bundle-CMD(1) in roff. */
void cli_man(FILE *out, const struct cli_command *cmd, const char *version);
/* The completion script for shell "bash" or "zsh"; -EINVAL for another shell. */
int cli_completion(FILE *out, const char *shell, const struct cli_command *const *cmds, size_t n);
/* Every option of cmd (common ones too) as JSON lines, for the agreement test. */
void cli_options_json(FILE *out, const struct cli_command *cmd);

/* The candidate closest to word (edit distance at most 2, or a prefix of at least
 * 3 characters); NULL if none is close. */
const char *cli_closest(const char *word, const char *const *candidates, size_t n);

/* Copy standard input into a new temp file ($TMPDIR, else /tmp) for an operand
 * "-"; *ret_path gets its name, which the caller unlinks and frees. 0 or -errno. */
int cli_stdin_to_temp(char **ret_path);
/* Copy the file path to standard output (an output "-" written to a temp file
 * first). 0 or -errno. */
int cli_copy_to_stdout(const char *path);

/* A path NAME in a new private folder under $TMPDIR (else /tmp), for an output
 * "-" that is built as a file and then copied to stdout. 0 or -errno. */
int cli_temp_output(const char *name, char **ret_path);
/* Remove that file and its folder, and free path (NULL: nothing). */
void cli_temp_output_remove(char *path);

/* A progress line on stderr for long reads (analyze, redact): members, bytes,
 * rate and ETA, redrawn at most four times a second, only on a TTY and not with
 * --quiet, and only once the run has taken a second (short runs stay silent). */
struct cli_progress {
	const struct cli_command *cmd;
	bool on, shown;
	int64_t start_ms, last_ms;
	int64_t delay_ms; /* 1000; 0 with APIGEE_BUNDLE_PROGRESS_NOW set (tests) */
};
void cli_progress_init(struct cli_progress *p, const struct cli_command *cmd,
                       const struct context *ctx);
/* Has archive_in_progress_fn's shape (userdata is the struct cli_progress). */
struct archive_in_progress;
void cli_progress_update(void *userdata, const struct archive_in_progress *pr);
/* Clear the line, if one was drawn. */
void cli_progress_end(struct cli_progress *p);

/* Verbosity: -1 quiet, 0 normal, 1 verbose (from the context; 0 without one). */
int cli_verbosity(const struct context *ctx);

#endif
