/* apigee-bundle redact: placeholder until its issue lands. */
#include <stdio.h>

#include "commands.h"
#include "banned.h"

int cmd_redact(int argc, char **argv, struct context *ctx)
{
	(void)argc;
	(void)argv;
	(void)ctx;
	fprintf(stderr, "apigee-bundle redact: not implemented yet\n");
	return EXIT_USAGE;
}
