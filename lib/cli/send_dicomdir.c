/* send_dicomdir.c - dcmsend --read-from-dicomdir (see send_dicomdir.h). */
#include <stddef.h>

#include "cli/cli.h"
#include "cli/send_args.h"
#include "cli/send_dicomdir.h"

#include "core/banned.h"

const char send_dicomdir_help[] =
    "      --read-from-dicomdir a DICOMDIR among the inputs stands for the files\n"
    "                           its records reference (relative to its directory;\n"
    "                           names matched without regard to case when the\n"
    "                           exact one is missing), sent after it, each once\n";

/* One command line, one switch: see the header. */
static struct {
	int on;
	size_t refused;
} state;

int
send_dicomdir_parse(int c)
{
	if (c != OPT_READ_FROM_DICOMDIR)
		return 0;
	state.on = 1;
	return 1;
}

void
send_dicomdir_check(const struct send_args *a)
{
	if (!state.on)
		return;
	/* a stream has no end to read a file-set index against, and its
	 * queue takes paths as they come, never a DICOMDIR's records */
	if (a->follow)
		cli_usage_error(
		    "--read-from-dicomdir and --follow exclude each other");
	if (a->echo)
		cli_usage_error(
		    "--read-from-dicomdir sends files: not with --echo");
	if (a->commit_wait != NULL)
		cli_usage_error(
		    "--read-from-dicomdir sends files: not with --commit-wait");
}

int
send_dicomdir_on(void)
{
	return state.on;
}

void
send_dicomdir_refused_add(void)
{
	state.refused++;
}

size_t
send_dicomdir_refused(void)
{
	return state.refused;
}

int
send_dicomdir_exit(int ex)
{
	if (state.refused > 0 && (ex == EXIT_OK || ex == EXIT_UNCOMMITTED))
		return EXIT_NO;
	return ex;
}
