/* SPDX-License-Identifier: Apache-2.0 */
/* The command line from one table per subcommand: parsing, help, man pages,
 * completions and "did you mean" (cli.h). */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "archive_in.h"
#include "commands.h"
#include "text.h"
#include "banned.h"

#define HELP_WIDTH 80
#define HELP_COL 26 /* where an option's help starts */

static const struct cli_option common_options[] = {
	{ "help", 'h', 'h', NULL, 0, "print this help and exit", NULL },
	{ "quiet", 'q', 'q', NULL, 0, "print only errors (no progress, no summary)", NULL },
	{ "verbose", 'v', 'v', NULL, 0,
	  "also print the exact commands run and requests made (secrets removed)", NULL },
};
#define N_COMMON (sizeof(common_options) / sizeof(common_options[0]))

/* Row i of cmd's options followed by the common ones. */
static const struct cli_option *row(const struct cli_command *cmd, size_t i)
{
	return i < cmd->n_options ? &cmd->options[i] : &common_options[i - cmd->n_options];
}

static size_t n_rows(const struct cli_command *cmd)
{
	return cmd->n_options + N_COMMON;
}

void cli_parser_init(struct cli_parser *p, const struct cli_command *cmd, struct context *ctx)
{
	memset(p, 0, sizeof(*p));
	p->cmd = cmd;
	p->ctx = ctx;
}

void cli_parser_release(struct cli_parser *p)
{
	free(p->longopts);
	p->longopts = NULL;
	p->ready = false;
}

static int parser_build(struct cli_parser *p)
{
	size_t n = n_rows(p->cmd), k = 0;
	struct option *lo;

	if (n > CLI_MAX_OPTIONS)
		return -1;
	lo = calloc(n + 1, sizeof(*lo));
	if (!lo)
		return -1;
	p->shortopts[k++] = ':';
	for (size_t i = 0; i < n; i++) {
		const struct cli_option *o = row(p->cmd, i);

		lo[i].name = o->name;
		lo[i].has_arg = o->arg ? required_argument : no_argument;
		lo[i].val = o->id;
		if (o->short_name) {
			p->shortopts[k++] = o->short_name;
			if (o->arg)
				p->shortopts[k++] = ':';
		}
	}
	p->shortopts[k] = '\0';
	p->longopts = lo;
	p->ready = true;
	return 0;
}

void cli_error(const struct cli_command *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "apigee-bundle %s: ", cmd->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void cli_usage_hint(FILE *out, const struct cli_command *cmd)
{
	fprintf(out, "usage: apigee-bundle %s %s\nsee 'apigee-bundle help %s'\n", cmd->name,
	        cmd->synopsis, cmd->name);
}

int cli_usage_error(const struct cli_command *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "apigee-bundle %s: ", cmd->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	cli_usage_hint(stderr, cmd);
	return EXIT_USAGE;
}

static size_t min3(size_t a, size_t b, size_t c)
{
	size_t m = a < b ? a : b;

	return m < c ? m : c;
}

/* Levenshtein distance, capped: words longer than 63 bytes are "far". */
static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), prev[64], cur[64];

	if (la >= 64 || lb >= 64)
		return 99;
	for (size_t j = 0; j <= lb; j++)
		prev[j] = j;
	for (size_t i = 1; i <= la; i++) {
		cur[0] = i;
		for (size_t j = 1; j <= lb; j++)
			cur[j] = min3(prev[j] + 1, cur[j - 1] + 1,
			              prev[j - 1] + (a[i - 1] != b[j - 1]));
		memcpy(prev, cur, (lb + 1) * sizeof(prev[0]));
	}
	return prev[lb];
}

const char *cli_closest(const char *word, const char *const *candidates, size_t n)
{
	const char *best = NULL;
	size_t best_d = 3, wl = strlen(word);

	for (size_t i = 0; i < n; i++) {
		size_t d = distance(word, candidates[i]);

		if (wl >= 3 && strncmp(candidates[i], word, wl) == 0 && d > 1)
			d = 1; /* a prefix: "--pseudo" */
		if (d < best_d) {
			best_d = d;
			best = candidates[i];
		}
	}
	return best;
}

/* "unknown option '--formt'; did you mean '--format'?" */
static int unknown_option(struct cli_parser *p, const char *given)
{
	const char *names[CLI_MAX_OPTIONS];
	char safe[128], name[64];
	size_t n = n_rows(p->cmd);
	const char *best = NULL;

	text_escape(given, strlen(given), safe, sizeof(safe));
	if (strncmp(given, "--", 2) == 0) {
		size_t len = strcspn(given + 2, "=");

		if (len < sizeof(name)) {
			memcpy(name, given + 2, len);
			name[len] = '\0';
			for (size_t i = 0; i < n && i < CLI_MAX_OPTIONS; i++)
				names[i] = row(p->cmd, i)->name;
			best = cli_closest(name, names, n < CLI_MAX_OPTIONS ? n : CLI_MAX_OPTIONS);
		}
	}
	if (best)
		return cli_usage_error(p->cmd, "unknown option '%s'; did you mean '--%s'?", safe,
		                       best);
	return cli_usage_error(p->cmd, "unknown option '%s'", safe);
}

int cli_next(struct cli_parser *p, int argc, char **argv)
{
	int c;

	if (!p->ready && parser_build(p) < 0) {
		cli_error(p->cmd, "too many options or out of memory");
		return CLI_USAGE;
	}
	opterr = 0;
	c = getopt_long(argc, argv, p->shortopts, p->longopts, NULL);
	switch (c) {
	case -1:
		return CLI_END;
	case 'h':
		cli_help(stdout, p->cmd);
		return CLI_HELP;
	case 'q':
		if (p->ctx)
			p->ctx->verbosity = -1;
		return cli_next(p, argc, argv);
	case 'v':
		if (p->ctx)
			p->ctx->verbosity = 1;
		return cli_next(p, argc, argv);
	case ':':
		cli_usage_error(p->cmd, "option '%s' needs a value", argv[optind - 1]);
		return CLI_USAGE;
	case '?': {
		char given[4] = { '-', (char)optopt, 0, 0 };

		unknown_option(p, optopt ? given : argv[optind - 1]);
		return CLI_USAGE;
	}
	default:
		return c;
	}
}

static int copy_fd(int in, int out)
{
	char block[65536];

	for (;;) {
		ssize_t n = read(in, block, sizeof(block));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return 0;
		for (ssize_t done = 0; done < n;) {
			ssize_t w = write(out, block + done, (size_t)(n - done));

			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0)
				return -errno;
			done += w;
		}
	}
}

int cli_stdin_to_temp(char **ret_path)
{
	const char *dir = getenv("TMPDIR");
	size_t len;
	char *path;
	int fd, r;

	if (!dir || !*dir)
		dir = "/tmp";
	len = strlen(dir) + sizeof("/apigee-bundle-stdin.XXXXXX");
	path = malloc(len);
	if (!path)
		return -ENOMEM;
	snprintf(path, len, "%s/apigee-bundle-stdin.XXXXXX", dir);
	fd = mkostemp(path, O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		free(path);
		return r;
	}
	r = copy_fd(STDIN_FILENO, fd);
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r < 0) {
		unlink(path);
		free(path);
		return r;
	}
	*ret_path = path;
	return 0;
}

int cli_copy_to_stdout(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), r;

	if (fd < 0)
		return -errno;
	fflush(stdout);
	r = copy_fd(fd, STDOUT_FILENO);
	close(fd);
	return r;
}

int cli_temp_output(const char *name, char **ret_path)
{
	const char *dir = getenv("TMPDIR");
	size_t len;
	char *path;

	if (!dir || !*dir)
		dir = "/tmp";
	len = strlen(dir) + strlen(name) + sizeof("/apigee-bundle.XXXXXX/");
	path = malloc(len);
	if (!path)
		return -ENOMEM;
	snprintf(path, len, "%s/apigee-bundle.XXXXXX", dir);
	if (!mkdtemp(path)) {
		int r = -errno;

		free(path);
		return r;
	}
	snprintf(path + strlen(path), len - strlen(path), "/%s", name);
	*ret_path = path;
	return 0;
}

void cli_temp_output_remove(char *path)
{
	char *slash;

	if (!path)
		return;
	unlink(path);
	slash = strrchr(path, '/');
	if (slash) {
		*slash = '\0';
		rmdir(path);
	}
	free(path);
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void cli_progress_init(struct cli_progress *p, const struct cli_command *cmd,
                       const struct context *ctx)
{
	memset(p, 0, sizeof(*p));
	p->cmd = cmd;
	p->on = ctx && ctx->stderr_tty && ctx->verbosity >= 0;
	p->start_ms = mono_ms();
	p->delay_ms = 1000;
	/* tests draw it at once */
	if (getenv("APIGEE_BUNDLE_PROGRESS_NOW"))
		p->delay_ms = 0;
}

/* "12.3 MiB" */
static void human(char *dst, size_t size, double v)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	size_t u = 0;

	while (v >= 1024 && u + 1 < sizeof(unit) / sizeof(unit[0])) {
		v /= 1024;
		u++;
	}
	snprintf(dst, size, u ? "%.1f %s" : "%.0f %s", v, unit[u]);
}

void cli_progress_update(void *userdata, const struct archive_in_progress *pr)
{
	struct cli_progress *p = userdata;
	int64_t now, el;
	char bytes[32], rate[32], eta[48] = "";

	if (!p->on)
		return;
	now = mono_ms();
	el = now - p->start_ms;
	if (el < p->delay_ms || (p->shown && now - p->last_ms < 250))
		return;
	p->last_ms = now;
	human(bytes, sizeof(bytes), (double)pr->bytes);
	human(rate, sizeof(rate), (double)pr->bytes * 1000.0 / (double)el);
	if (pr->total && pr->done && pr->done <= pr->total) {
		int64_t left = (int64_t)((double)el * (double)(pr->total - pr->done) /
		                         (double)pr->done / 1000);

		snprintf(eta, sizeof(eta), ", %u%%, ETA %lld:%02lld",
		         (unsigned)(pr->done * 100 / pr->total), (long long)(left / 60),
		         (long long)(left % 60));
	}
	fprintf(stderr, "\r\033[K%s: %zu members, %s read, %s/s%s", p->cmd->name, pr->members,
	        bytes, rate, eta);
	fflush(stderr);
	p->shown = true;
}

void cli_progress_end(struct cli_progress *p)
{
	if (p->shown)
		fputs("\r\033[K", stderr);
	p->shown = false;
}

int cli_verbosity(const struct context *ctx)
{
	return ctx ? ctx->verbosity : 0;
}

/* ---- help -------------------------------------------------------------------------- */

/* Write s wrapped at HELP_WIDTH: the first line continues at column col0, the
 * others start at indent. Paragraphs ("\n\n") are kept. */
static void wrap(FILE *out, const char *s, size_t col0, size_t indent)
{
	size_t col = col0;
	bool line_start = true;

	while (*s) {
		size_t len;

		if (*s == '\n') {
			fputc('\n', out);
			s++;
			col = 0;
			if (*s == '\n') {
				fputc('\n', out);
				s++;
			}
			fprintf(out, "%*s", (int)indent, "");
			col = indent;
			line_start = true;
			continue;
		}
		if (*s == ' ') {
			s++;
			continue;
		}
		len = strcspn(s, " \n");
		if (!line_start && col + 1 + len > HELP_WIDTH) {
			fprintf(out, "\n%*s", (int)indent, "");
			col = indent;
			line_start = true;
		}
		if (!line_start) {
			fputc(' ', out);
			col++;
		}
		fwrite(s, 1, len, out);
		col += len;
		s += len;
		line_start = false;
	}
	fputc('\n', out);
}

static void option_label(char *dst, size_t size, const struct cli_option *o)
{
	if (o->short_name)
		snprintf(dst, size, "-%c, --%s%s%s", o->short_name, o->name, o->arg ? " " : "",
		         o->arg ? o->arg : "");
	else
		snprintf(dst, size, "    --%s%s%s", o->name, o->arg ? " " : "",
		         o->arg ? o->arg : "");
}

void cli_help(FILE *out, const struct cli_command *cmd)
{
	fprintf(out, "usage: apigee-bundle %s %s\n\n", cmd->name, cmd->synopsis);
	wrap(out, cmd->description, 0, 0);
	fprintf(out, "\noptions:\n");
	for (size_t i = 0; i < n_rows(cmd); i++) {
		const struct cli_option *o = row(cmd, i);
		char label[96];
		size_t len;

		option_label(label, sizeof(label), o);
		len = 2 + strlen(label);
		fprintf(out, "  %s", label);
		if (len + 2 > HELP_COL) {
			fprintf(out, "\n%*s", HELP_COL, "");
			len = HELP_COL;
		} else {
			fprintf(out, "%*s", (int)(HELP_COL - len), "");
		}
		wrap(out, o->help, HELP_COL, HELP_COL);
	}
	if (cmd->exit_status) {
		fprintf(out, "\nExit status: ");
		wrap(out, cmd->exit_status, 13, 0);
	}
}

/* ---- man pages ------------------------------------------------------------------------ */

/* Text escaped for roff: backslashes and hyphens, a leading dot or quote guarded. */
static void roff(FILE *out, const char *s)
{
	bool bol = true;

	for (; *s; s++) {
		if (bol && (*s == '.' || *s == '\''))
			fputs("\\&", out);
		bol = false;
		if (*s == '\\')
			fputs("\\e", out);
		else if (*s == '-')
			fputs("\\-", out);
		else if (*s == '\n') {
			fputc('\n', out);
			bol = true;
			if (s[1] == '\n') {
				fputs(".PP\n", out);
				s++;
			}
		} else
			fputc(*s, out);
	}
}

static void upper(FILE *out, const char *s)
{
	for (; *s; s++)
		fputc(*s >= 'a' && *s <= 'z' ? *s - 'a' + 'A' : *s == '-' ? '-' : *s, out);
}

static void man_option(FILE *out, const struct cli_option *o)
{
	fputs(".TP\n", out);
	if (o->short_name)
		fprintf(out, "\\fB\\-%c\\fR, ", o->short_name);
	fputs("\\fB\\-\\-", out);
	roff(out, o->name);
	fputs("\\fR", out);
	if (o->arg) {
		fputs(" \\fI", out);
		roff(out, o->arg);
		fputs("\\fR", out);
	}
	fputc('\n', out);
	roff(out, o->help);
	if (o->flags & CLI_REPEAT && !strstr(o->help, "repeatable"))
		fputs(" (repeatable)", out);
	fputc('\n', out);
}

void cli_man(FILE *out, const struct cli_command *cmd, const char *version)
{
	fputs(".TH APIGEE\\-BUNDLE\\-", out);
	upper(out, cmd->name);
	fprintf(out, " 1 \"\" \"apigee-bundle %s\" \"User Commands\"\n", version);
	fprintf(out, ".SH NAME\napigee\\-bundle\\-%s \\- ", cmd->name);
	roff(out, cmd->summary);
	fprintf(out, "\n.SH SYNOPSIS\n.B apigee\\-bundle %s\n", cmd->name);
	roff(out, cmd->synopsis);
	fputs("\n.SH DESCRIPTION\n", out);
	roff(out, cmd->description);
	fputs("\n.SH OPTIONS\n", out);
	for (size_t i = 0; i < n_rows(cmd); i++)
		man_option(out, row(cmd, i));
	if (cmd->exit_status) {
		fputs(".SH EXIT STATUS\n", out);
		roff(out, cmd->exit_status);
		fputc('\n', out);
	}
	fputs(".SH SEE ALSO\n.BR apigee\\-bundle (1)\n", out);
}

/* ---- completions ------------------------------------------------------------------------- */

static void completion_bash(FILE *out, const struct cli_command *const *cmds, size_t n)
{
	fputs("# bash completion for apigee-bundle (generated: apigee-bundle help --completion "
	      "bash)\n"
	      "_apigee_bundle()\n{\n"
	      "\tlocal cur prev words cword cmd\n"
	      "\t_init_completion || return\n"
	      "\tcmd=${words[1]}\n"
	      "\tif [[ $cword -eq 1 ]]; then\n"
	      "\t\tCOMPREPLY=($(compgen -W 'help",
	      out);
	for (size_t i = 0; i < n; i++)
		fprintf(out, " %s", cmds[i]->name);
	fputs(" --help --version -V' -- \"$cur\"))\n\t\treturn\n\tfi\n"
	      "\tif [[ $cmd == help ]]; then\n\t\tCOMPREPLY=($(compgen -W '",
	      out);
	for (size_t i = 0; i < n; i++)
		fprintf(out, "%s%s", i ? " " : "", cmds[i]->name);
	fputs("' -- \"$cur\"))\n\t\treturn\n\tfi\n\tcase $cmd in\n", out);
	for (size_t i = 0; i < n; i++) {
		const struct cli_command *c = cmds[i];

		fprintf(out, "\t%s)\n\t\tcase $prev in\n", c->name);
		for (size_t j = 0; j < n_rows(c); j++) {
			const struct cli_option *o = row(c, j);

			if (!o->arg)
				continue;
			fprintf(out, "\t\t--%s", o->name);
			if (o->short_name)
				fprintf(out, "|-%c", o->short_name);
			if (o->complete && strcmp(o->complete, "file") == 0)
				fputs(") _filedir; return ;;\n", out);
			else if (o->complete && strcmp(o->complete, "dir") == 0)
				fputs(") _filedir -d; return ;;\n", out);
			else if (o->complete) {
				fputs(") COMPREPLY=($(compgen -W '", out);
				for (const char *s = o->complete; *s; s++)
					fputc(*s == '|' ? ' ' : *s, out);
				fputs("' -- \"$cur\")); return ;;\n", out);
			} else
				fputs(") return ;;\n", out);
		}
		fputs("\t\tesac\n\t\tif [[ $cur == -* ]]; then\n\t\t\tCOMPREPLY=($(compgen -W '",
		      out);
		for (size_t j = 0; j < n_rows(c); j++)
			fprintf(out, "%s--%s", j ? " " : "", row(c, j)->name);
		fprintf(out, "' -- \"$cur\"))\n\t\telse\n\t\t\t%s\n\t\tfi\n\t\t;;\n",
		        c->complete_args ? "_filedir" : ":");
	}
	fputs("\tesac\n}\ncomplete -F _apigee_bundle apigee-bundle kubectl-apigee_bundle\n", out);
}

/* A zsh _arguments spec's text: no ':' '[' ']' or '\'' inside brackets. */
static void zsh_text(FILE *out, const char *s)
{
	for (; *s && *s != '.' && *s != ';' && *s != '('; s++)
		if (*s == ':' || *s == '[' || *s == ']' || *s == '\'' || *s == '\\')
			fputc(' ', out);
		else
			fputc(*s, out);
}

static void zsh_action(FILE *out, const struct cli_option *o)
{
	fputs(":", out);
	zsh_text(out, o->arg);
	fputs(":", out);
	if (!o->complete)
		return;
	if (strcmp(o->complete, "file") == 0)
		fputs("_files", out);
	else if (strcmp(o->complete, "dir") == 0)
		fputs("_files -/", out);
	else {
		fputs("(", out);
		for (const char *s = o->complete; *s; s++)
			fputc(*s == '|' ? ' ' : *s, out);
		fputs(")", out);
	}
}

static void completion_zsh(FILE *out, const struct cli_command *const *cmds, size_t n)
{
	fputs("#compdef apigee-bundle kubectl-apigee_bundle\n"
	      "# zsh completion for apigee-bundle (generated: apigee-bundle help --completion "
	      "zsh)\n"
	      "_apigee_bundle() {\n"
	      "\tlocal -a commands\n\tcommands=(\n\t\t'help:print the help of a command'\n",
	      out);
	for (size_t i = 0; i < n; i++) {
		fprintf(out, "\t\t'%s:", cmds[i]->name);
		zsh_text(out, cmds[i]->summary);
		fputs("'\n", out);
	}
	fputs("\t)\n\tif (( CURRENT == 2 )); then\n\t\t_describe command commands\n\t\treturn\n"
	      "\tfi\n\tlocal cmd=${words[2]}\n\tshift words\n\t(( CURRENT-- ))\n"
	      "\tcase $cmd in\n\thelp) _describe command commands ;;\n",
	      out);
	for (size_t i = 0; i < n; i++) {
		const struct cli_command *c = cmds[i];

		fprintf(out, "\t%s)\n\t\t_arguments -s \\\n", c->name);
		for (size_t j = 0; j < n_rows(c); j++) {
			const struct cli_option *o = row(c, j);

			fputs("\t\t\t'", out);
			if (o->flags & CLI_REPEAT)
				fputc('*', out);
			if (o->short_name && !(o->flags & CLI_REPEAT))
				fprintf(out, "(-%c --%s)'{-%c,--%s}'", o->short_name, o->name,
				        o->short_name, o->name);
			else
				fprintf(out, "--%s", o->name);
			fputc('[', out);
			zsh_text(out, o->help);
			fputc(']', out);
			if (o->arg)
				zsh_action(out, o);
			fputs("' \\\n", out);
		}
		fprintf(out, "\t\t\t'*:operand:%s'\n\t\t;;\n", c->complete_args ? "_files" : " ");
	}
	fputs("\tesac\n}\n_apigee_bundle \"$@\"\n", out);
}

int cli_completion(FILE *out, const char *shell, const struct cli_command *const *cmds, size_t n)
{
	if (strcmp(shell, "bash") == 0)
		completion_bash(out, cmds, n);
	else if (strcmp(shell, "zsh") == 0)
		completion_zsh(out, cmds, n);
	else
		return -1;
	return 0;
}

static void json_string_out(FILE *out, const char *s)
{
	fputc('"', out);
	for (; s && *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(out, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(out, "\\u%04x", (unsigned char)*s);
		else
			fputc(*s, out);
	}
	fputc('"', out);
}

void cli_options_json(FILE *out, const struct cli_command *cmd)
{
	for (size_t i = 0; i < n_rows(cmd); i++) {
		const struct cli_option *o = row(cmd, i);
		char s[2] = { o->short_name, 0 };

		fputs("{\"name\": ", out);
		json_string_out(out, o->name);
		fputs(", \"short\": ", out);
		json_string_out(out, s);
		fputs(", \"arg\": ", out);
		json_string_out(out, o->arg ? o->arg : "");
		fputs(", \"help\": ", out);
		json_string_out(out, o->help);
		fputs("}\n", out);
	}
}
