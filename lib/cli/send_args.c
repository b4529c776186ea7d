/* send_args.c - dcmsend's options (see send_args.h and man/dcmsend.1). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cstore/storescu.h"
#include "cli/cli.h"
#include "cli/output.h"
#include "cli/send_args.h"
#include "cli/tls_args.h"

#include "core/banned.h"

/* The largest --max-pdu (the PDU length field allows 4 GiB). */
#define MAX_PDU_LIMIT (16u * 1024u * 1024u)

enum {
	OPT_ACSE_TIMEOUT = 256,
	OPT_ASYNC,
	OPT_CONNECT_TIMEOUT,
	OPT_DIMSE_TIMEOUT,
	OPT_DRY_RUN,
	OPT_ECHO,
	OPT_JSON,
	OPT_LOSSY,
	OPT_MAX_PDU,
	OPT_NO_PROGRESS,
	OPT_NO_TRANSCODE,
	OPT_PER_ASSOC,
	OPT_PROBE,
	OPT_PROGRESS,
	OPT_RESUME,
	OPT_RETRY,
	OPT_RETRY_DELAY,
	OPT_VERSION,
};

static const struct option longopts[] = {
	{ "acse-timeout", required_argument, NULL, OPT_ACSE_TIMEOUT },
	{ "async", required_argument, NULL, OPT_ASYNC },
	{ "aec", required_argument, NULL, 'c' },
	{ "aet", required_argument, NULL, 'a' },
	{ "connect-timeout", required_argument, NULL, OPT_CONNECT_TIMEOUT },
	{ "dimse-timeout", required_argument, NULL, OPT_DIMSE_TIMEOUT },
	{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
	{ "echo", no_argument, NULL, OPT_ECHO },
	{ "help", no_argument, NULL, 'h' },
	{ "jobs", required_argument, NULL, 'j' },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "lossy", no_argument, NULL, OPT_LOSSY },
	{ "max-pdu", required_argument, NULL, OPT_MAX_PDU },
	{ "no-progress", no_argument, NULL, OPT_NO_PROGRESS },
	{ "no-transcode", no_argument, NULL, OPT_NO_TRANSCODE },
	{ "null", no_argument, NULL, '0' },
	{ "per-assoc", required_argument, NULL, OPT_PER_ASSOC },
	{ "probe", no_argument, NULL, OPT_PROBE },
	{ "progress", no_argument, NULL, OPT_PROGRESS },
	{ "quiet", no_argument, NULL, 'q' },
	{ "resume", required_argument, NULL, OPT_RESUME },
	{ "retry", required_argument, NULL, OPT_RETRY },
	{ "retry-delay", required_argument, NULL, OPT_RETRY_DELAY },
	{ "tls", no_argument, NULL, OPT_TLS },
	{ "tls-ca", required_argument, NULL, OPT_TLS_CA },
	{ "tls-cert", required_argument, NULL, OPT_TLS_CERT },
	{ "tls-insecure", no_argument, NULL, OPT_TLS_INSECURE },
	{ "tls-key", required_argument, NULL, OPT_TLS_KEY },
	{ "tls-profile", required_argument, NULL, OPT_TLS_PROFILE },
	{ "tls-server-name", required_argument, NULL, OPT_TLS_SERVER_NAME },
	{ "trace", no_argument, NULL, 'd' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

static const char *const synopsis[] = {
	"[-0dqv] [-a aetitle] [-c called] [-j jobs] [--async n]\n"
	"               [--per-assoc n] [--retry n] [--retry-delay ms] [--resume log]\n"
	"               [--no-transcode | --lossy] [--dry-run [--probe]] [--json]\n"
	"               [--progress | --no-progress] [--max-pdu bytes]\n"
	"               [--connect-timeout s] [--acse-timeout s] [--dimse-timeout s]\n"
	"               [--tls [--tls-ca file|dir] [--tls-server-name name]\n"
	"               [--tls-cert file [--tls-key file]] [--tls-profile p]\n"
	"               [--tls-insecure]] host port [file | dir | - ...]",
	"--echo [-dqv] [-a aetitle] [-c called] [--json] [--tls ...]\n"
	"               host port",
	NULL,
};

static void
help(void)
{
	cli_help(synopsis,
	    "\n"
	    "Send DICOM files to a Storage SCP (C-STORE); with --echo, verify a peer (C-ECHO).\n"
	    "Directories are walked; '-' (or no file with stdin not a terminal) reads paths\n"
	    "from stdin, one per line or NUL-separated with -0.  One result line per input;\n"
	    "only regular files are read (a FIFO, socket or device gets an unreadable line).\n\n"
	    "  -a, --aet AETITLE        our (calling) AE title (default DCMSEND)\n"
	    "  -c, --aec AETITLE        the peer's (called) AE title (default ANY-SCP)\n"
	    "  -j, --jobs N             N associations in parallel, 1-256 (default 1)\n"
	    "      --async N            keep up to N C-STOREs outstanding per association\n"
	    "                           when the peer agrees, 1-%d (default %d; 1 = wait\n"
	    "                           for each response)\n"
	    "      --per-assoc N        open a new association after N files\n"
	    "      --retry N            send each file up to N+1 times after transient\n"
	    "                           failures (aborts, A7xx), reconnecting as needed;\n"
	    "                           stored files are never resent\n"
	    "      --retry-delay MS     first retry delay, doubled each time (default 1000)\n"
	    "      --resume LOG         skip inputs that LOG (an earlier output) has stored\n"
	    "      --no-transcode       never convert: files need a context in their own syntax\n"
	    "      --lossy              allow lossy conversion when nothing else is accepted\n"
	    "      --dry-run            print the planned associations and contexts, send nothing\n"
	    "      --probe              with --dry-run: negotiate them, show what is accepted\n"
	    "                           and give each input the line a send would\n"
	    "  -0, --null               the list read from stdin is NUL-separated\n"
	    "      --echo               send a C-ECHO instead of files\n"
	    "      --max-pdu BYTES      largest PDU we accept, 4096-%u or 0 for no limit\n"
	    "                           (default %u)\n"
	    "      --connect-timeout S  seconds to wait for the connection (default 30)\n"
	    "      --acse-timeout S     seconds to wait for association answers, and for\n"
	    "                           the peer's close after an abort (default 30)\n"
	    "      --dimse-timeout S    seconds to wait for each response (default 60; 0 = forever)\n"
	    "      --json               results as JSON lines\n"
	    "      --progress           a progress line on stderr even when not a terminal\n"
	    "      --no-progress        no progress line\n"
	    "  -v, --verbose            more detail on stderr\n"
	    "  -d, --trace              every PDU and DIMSE message, readable, on stderr\n"
	    "  -q, --quiet              no summary, progress or notes on stderr\n"
	    "  -h, --help               this help\n"
	    "      --version            print the version\n"
	    "%s"
	    "\n"
	    "Output: STATUS<TAB>PATH<TAB>SOPClassUID<TAB>SOPInstanceUID<TAB>DETAIL per input.\n"
	    "Exit status: 0 every input stored, 1 some not stored, 2 usage or no input\n"
	    "at all, 3 peer unreachable (or not securely: TLS), 4 association rejected\n"
	    "or nothing acceptable, 5 aborted or protocol error, 6 cannot write the\n"
	    "output.\n",
	    STORESCU_MAX_WINDOW, STORESCU_DEFAULT_WINDOW, MAX_PDU_LIMIT,
	    STORESCU_DEFAULT_MAX_PDU, tls_send_help);
}

static const char *
ae_title(const char *arg)
{
	if (strlen(arg) == 0 || strlen(arg) > 16)
		cli_usage_error("AE title '%s': must be 1-16 characters", arg);
	return arg;
}

/* A timeout option in seconds, as milliseconds. */
static int
seconds(const char *arg, long long min, long long max, const char *what)
{
	return (int)cli_parse_num(arg, min, max, what) * 1000;
}

/* The options without a short form. */
static void
parse_long(struct send_args *d, int c, const char *arg)
{
	struct storescu_send_opts *s = &d->send;
	long long v;

	switch (c) {
	case OPT_ASYNC:
		s->async_window = (unsigned)cli_parse_num(
		    arg, 1, STORESCU_MAX_WINDOW, "asynchronous window");
		break;
	case OPT_ACSE_TIMEOUT:
		d->cfg.acse_timeout_ms = seconds(arg, 1, 3600, "ACSE timeout");
		break;
	case OPT_CONNECT_TIMEOUT:
		d->cfg.connect_timeout_ms =
		    seconds(arg, 1, 3600, "connect timeout");
		break;
	case OPT_DIMSE_TIMEOUT:
		d->cfg.dimse_timeout_ms =
		    seconds(arg, 0, 86400, "DIMSE timeout");
		break;
	case OPT_MAX_PDU:
		v = cli_parse_num(arg, 0, MAX_PDU_LIMIT, "max PDU length");
		if (v != 0 && v < 4096)
			cli_usage_error(
			    "max PDU length '%s': out of range (4096-%u, or 0)",
			    arg, MAX_PDU_LIMIT);
		/* the tool's 0 is "no limit" */
		d->cfg.max_pdu = v == 0 ? STORESCU_MAX_PDU_NONE : (uint32_t)v;
		break;
	case OPT_PER_ASSOC:
		s->per_assoc = (size_t)cli_parse_num(
		    arg, 1, 1000000000, "files per association");
		break;
	case OPT_RETRY:
		s->retries = (unsigned)cli_parse_num(arg, 0, 100, "retries");
		break;
	case OPT_RETRY_DELAY:
		s->retry_delay_ms =
		    (unsigned)cli_parse_num(arg, 0, 600000, "retry delay");
		break;
	case OPT_DRY_RUN:
		s->dry_run = 1;
		break;
	case OPT_ECHO:
		d->echo = 1;
		break;
	case OPT_JSON:
		d->fmt = CLI_JSON;
		break;
	case OPT_LOSSY:
		s->allow_lossy = 1;
		break;
	case OPT_NO_PROGRESS:
		d->progress = 0;
		break;
	case OPT_NO_TRANSCODE:
		s->no_transcode = 1;
		break;
	case OPT_PROBE:
		s->probe = 1;
		break;
	case OPT_PROGRESS:
		d->progress = 1;
		break;
	case OPT_RESUME:
		d->resume_log = arg;
		break;
	case OPT_VERSION:
		cli_print_version();
	default:
		if (!tls_args_parse(&d->cfg.tls, c, arg))
			cli_usage_exit(synopsis);
	}
}

int
send_args_parse(struct send_args *d, int argc, char **argv)
{
	int c;

	memset(d, 0, sizeof(*d));
	storescu_config_init(&d->cfg);
	storescu_send_opts_init(&d->send);
	d->fmt = CLI_TSV;
	d->progress = -1;
	while ((c = getopt_long(argc, argv, "0a:c:dhj:qv", longopts, NULL)) !=
	    -1) {
		switch (c) {
		case '0':
			d->nul = 1;
			break;
		case 'a':
			d->cfg.calling_ae = ae_title(optarg);
			break;
		case 'c':
			d->cfg.called_ae = ae_title(optarg);
			break;
		case 'd':
			d->trace = 1;
			break;
		case 'h':
			help();
			break;
		case 'j':
			d->send.jobs =
			    (unsigned)cli_parse_num(optarg, 1, 256, "jobs");
			break;
		case 'q':
			d->quiet = 1;
			break;
		case 'v':
			d->verbose = 1;
			break;
		default:
			parse_long(d, c, optarg);
		}
	}
	tls_args_check(&d->cfg.tls, 0);
	return optind;
}
