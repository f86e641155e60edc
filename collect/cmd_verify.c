/* apigee-bundle verify: placeholder until its issue lands. */
#include <stdio.h>

#include "commands.h"
#include "banned.h"

int cmd_verify(int argc, char **argv, struct context *ctx)
{
	(void)argc;
	(void)argv;
	(void)ctx;
	fprintf(stderr, "apigee-bundle verify: not implemented yet\n");
	return EXIT_USAGE;
}
