/* send_commit.c - dcmsend --commit on the command line (see send_commit.h). */
#include <stdio.h>

#include "cli/cli.h"
#include "cli/exitcodes.h"
#include "cli/send_commit.h"
#include "net/net.h"
#include "core/banned.h"

int
send_commit_listen(
    struct storescu_send_opts *send, const char *spec, int quiet)
{
	struct cs_err err = { 0, "" };
	char host[256], port[32];
	int fd;

	if (spec == NULL)
		return 0;
	if (net_split_hostport(
		spec, host, sizeof(host), port, sizeof(port)) != 0) {
		if (!quiet)
			fprintf(stderr,
			    "%s: commitment listener '%s': not [ADDR:]PORT\n",
			    cli_progname(), spec);
		return EXIT_USAGE;
	}
	fd = net_listen(host, port, 8, &err);
	if (fd < 0) {
		if (!quiet)
			fprintf(stderr,
			    "%s: cannot listen for commitment reports on '%s': %s\n",
			    cli_progname(), spec, err.msg);
		return EXIT_OUTPUT;
	}
	send->commit_listen_fd = fd;
	return 0;
}

int
send_commit_status(const struct storescu_summary *sum)
{
	/* resumed inputs count as committed: --commit --resume skips only
	 * those (cli/resume.h) */
	return sum->committed == sum->inputs ? EXIT_OK : EXIT_UNCOMMITTED;
}
