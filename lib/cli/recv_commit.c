/* recv_commit.c - dcmrecv's Storage Commitment options (see
 * recv_commit.h and man/dcmrecv.1). */
#include <stdio.h>
#include <string.h>

#include "cstore/storescp.h"
#include "cli/cli.h"
#include "cli/recv_commit.h"
#include "cli/recv_opts.h"
#include "net/net.h"

#include "core/banned.h"

const char recv_commit_help[] =
    "Storage Commitment (see dcmrecv(1)):\n"
    "      --commit               answer Storage Commitment requests, indexing\n"
    "                             each stored file in DIR/.cstore-index\n"
    "      --commit-peer AET=HOST:PORT  where requester AET takes a report\n"
    "                             when its association is gone (repeatable)\n"
    "      --commit-delay MS      wait MS milliseconds before each report\n"
    "      --commit-fail N        report every N-th instance of each request\n"
    "                             failed (0110, debugging a requester)\n"
    "      --commit-respond STATUS  answer every commitment request with\n"
    "                             STATUS (e.g. 0110), no report follows\n"
    "The last four imply --commit.\n";

void
recv_commit_peer(struct recv_args *a, const char *arg)
{
	const char *eq = strchr(arg, '=');
	char host[256], port[32];

	if (eq == NULL || eq == arg || eq - arg > 16 ||
	    net_split_hostport(
		eq + 1, host, sizeof(host), port, sizeof(port)) != 0 ||
	    host[0] == '\0')
		cli_usage_error(
		    "--commit-peer '%s': expected AETITLE=HOST:PORT", arg);
	cli_parse_num(port, 1, 65535, "--commit-peer port");
	if (a->cfg.n_commit_peers >= RECV_MAX_LIST)
		cli_usage_error("too many --commit-peer entries (at most %d)",
		    RECV_MAX_LIST);
	a->commit_peers[a->cfg.n_commit_peers++] = arg;
	a->cfg.commit = 1;
}

void
recv_commit_delay(struct recv_args *a, const char *arg)
{
	a->cfg.commit_delay_ms =
	    (unsigned)cli_parse_num(arg, 0, 3600000, "--commit-delay");
	a->cfg.commit = 1;
}

void
recv_commit_fail(struct recv_args *a, const char *arg)
{
	a->cfg.commit_fail_every =
	    (unsigned)cli_parse_num(arg, 1, 1000000000, "--commit-fail");
	a->cfg.commit = 1;
}

void
recv_commit_respond(struct recv_args *a, const char *arg)
{
	struct cs_err err = { 0, "" };

	if (cli_parse_status(arg, &a->cfg.commit_respond, &err) != 0)
		cli_usage_error("--commit-respond: %s", err.msg);
	/* 0000 would be the ordinary answer, with a report owed */
	if (a->cfg.commit_respond == 0)
		cli_usage_error("--commit-respond '%s': not a failure", arg);
	a->cfg.commit = 1;
}
