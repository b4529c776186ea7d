/*
 * exitcodes.h - exit statuses shared by every cstore tool.  The man
 * pages' EXIT STATUS sections list them; tests/bats/cli.bats and
 * scripts/check-man-vs-help keep the two in step.
 */
#ifndef CS_CLI_EXITCODES_H
#define CS_CLI_EXITCODES_H

enum cli_exit {
	EXIT_OK = 0,          /* everything succeeded */
	EXIT_NO = 1,          /* ran to the end, the answer is "no" */
	EXIT_USAGE = 2,       /* unknown option, bad value, missing operand */
	EXIT_UNREACHABLE = 3, /* could not reach the peer */
	EXIT_REJECTED = 4,    /* association rejected, nothing acceptable */
	EXIT_ABORTED = 5,     /* aborted or protocol error mid-way */
	EXIT_OUTPUT = 6,      /* local failure: cannot listen, write, or open
				 a socket (out of descriptors) */
	EXIT_UNCOMMITTED = 7, /* stored, but not all committed (--commit) */
	EXIT_INTERNAL = 70,   /* a bug (sysexits' EX_SOFTWARE) */
};

#endif
