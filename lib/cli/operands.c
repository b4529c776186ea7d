/* operands.c - dcmsend's inputs from its operands (see operands.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cstore/cstore.h"
#include "cli/cli.h"
#include "cli/dicomdir_inputs.h"
#include "cli/operands.h"
#include "cli/send_dicomdir.h"

#include "core/banned.h"

static void
on_skip(void *ctx, const char *path, const char *why)
{
	(void)ctx;
	fprintf(stderr, "%s: skipping '%s': %s\n", cli_progname(), path, why);
}

/* Nothing named a file: the command line is wrong, not a file. */
static void
say_no_input(int nops, char *const *ops)
{
	if (nops == 1 && strcmp(ops[0], "-") != 0)
		fprintf(stderr, "%s: no input: no file in '%s'\n",
		    cli_progname(), ops[0]);
	else if (nops > 1)
		fprintf(stderr, "%s: no input: no file in the %d operands\n",
		    cli_progname(), nops);
	else
		fprintf(stderr,
		    "%s: no input: no file in the list on standard input\n",
		    cli_progname());
}

int
operands_collect(
    struct inputs *in, int nops, char *const *ops, int nul, int quiet)
{
	struct inputs_opts io = { 0 };
	struct cs_err err = { 0, "" };
	int k, rc = 0;

	io.flags = nul ? INPUTS_NUL_SEP : 0;
	io.list = stdin;
	io.on_skip = quiet ? NULL : on_skip;
	inputs_init(in, &io);
	if (nops == 0) {
		if (isatty(STDIN_FILENO))
			cli_usage_error("missing files (or a list on stdin)");
		rc = inputs_read_list(in, stdin, nul, &err);
	}
	for (k = 0; rc == 0 && k < nops; k++)
		rc = inputs_add_operand(in, ops[k], &err);
	if (rc != 0) {
		fprintf(stderr, "%s: cannot list the inputs: %s\n",
		    cli_progname(), err.msg);
		inputs_release(in);
		/* inputs that cannot be listed (a list on standard input or
		 * a directory that cannot be read) are no input at all,
		 * nothing sent, as sopclass-lookup and status-explain say of
		 * a standard input they cannot read */
		return rc == CS_E_INVAL || rc == CS_E_IO ? EXIT_USAGE : EXIT_NO;
	}
	if (send_dicomdir_on() &&
	    (rc = dicomdir_inputs_expand(in, nops, ops, quiet)) != 0) {
		inputs_release(in);
		return rc;
	}
	if (inputs_count(in) == 0) {
		say_no_input(nops, ops);
		inputs_release(in);
		return EXIT_USAGE;
	}
	return 0;
}

const char **
operands_paths(const struct inputs *in)
{
	size_t i, n = inputs_count(in);
	const char **paths = calloc(n ? n : 1, sizeof(*paths));

	for (i = 0; paths != NULL && i < n; i++)
		paths[i] = inputs_path(in, i);
	return paths;
}
