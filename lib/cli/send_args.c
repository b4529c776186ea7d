/* send_args.c - dcmsend's options (see send_args.h and man/dcmsend.1). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cstore/storescu.h"
#include "cli/cli.h"
#include "cli/follow_args.h"
#include "cli/output.h"
#include "cli/send_args.h"
#include "cli/send_dicomdir.h"
#include "cli/size_arg.h"
#include "cli/tls_args.h"
#include "dcmfile/dcmfile.h"

#include "core/banned.h"

/* The largest --max-pdu (the PDU length field allows 4 GiB). */
#define MAX_PDU_LIMIT (16u * 1024u * 1024u)

enum {
	OPT_ACSE_TIMEOUT = 256,
	OPT_ACCEPT_TS,
	OPT_ASYNC,
	OPT_BEARER_FILE,
	OPT_COMMIT,
	OPT_COMMIT_LISTEN,
	OPT_COMMIT_STATE,
	OPT_COMMIT_TIMEOUT,
	OPT_COMMIT_WAIT,
	OPT_CONNECT_TIMEOUT,
	OPT_DIMSE_TIMEOUT,
	OPT_DRY_RUN,
	OPT_ECHO,
	OPT_FOLLOW,
	OPT_IDLE,
	OPT_IDENTITY_RESPONSE,
	OPT_JSON,
	OPT_LIMIT_RATE,
	OPT_LOSSY,
	OPT_MAX_PDU,
	OPT_NETRC,
	OPT_NO_PROGRESS,
	OPT_NO_TRANSCODE,
	OPT_NO_TRANSCODE_AHEAD,
	OPT_PASSWORD,
	OPT_PASSWORD_FILE,
	OPT_PASSWORD_STDIN,
	OPT_PER_ASSOC,
	OPT_PROBE,
	OPT_PROGRESS,
	OPT_REMOVE_SENT,
	OPT_RESUME,
	OPT_RETRY,
	OPT_RETRY_DELAY,
	OPT_RETRY_FOR,
	OPT_STOW_BATCH,
	OPT_STOW_BYTES,
	OPT_USER,
	OPT_VERSION,
};

static const struct option longopts[] = {
	{ "accept-ts", required_argument, NULL, OPT_ACCEPT_TS },
	{ "acse-timeout", required_argument, NULL, OPT_ACSE_TIMEOUT },
	{ "async", required_argument, NULL, OPT_ASYNC },
	{ "aec", required_argument, NULL, 'c' },
	{ "aet", required_argument, NULL, 'a' },
	{ "bearer-file", required_argument, NULL, OPT_BEARER_FILE },
	{ "commit", no_argument, NULL, OPT_COMMIT },
	{ "commit-listen", required_argument, NULL, OPT_COMMIT_LISTEN },
	{ "commit-state", required_argument, NULL, OPT_COMMIT_STATE },
	{ "commit-timeout", required_argument, NULL, OPT_COMMIT_TIMEOUT },
	{ "commit-wait", required_argument, NULL, OPT_COMMIT_WAIT },
	{ "connect-timeout", required_argument, NULL, OPT_CONNECT_TIMEOUT },
	{ "dimse-timeout", required_argument, NULL, OPT_DIMSE_TIMEOUT },
	{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
	{ "echo", no_argument, NULL, OPT_ECHO },
	{ "follow", no_argument, NULL, OPT_FOLLOW },
	{ "help", no_argument, NULL, 'h' },
	{ "idle", required_argument, NULL, OPT_IDLE },
	{ "identity-response", no_argument, NULL, OPT_IDENTITY_RESPONSE },
	{ "jobs", required_argument, NULL, 'j' },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "limit-rate", required_argument, NULL, OPT_LIMIT_RATE },
	{ "lossy", no_argument, NULL, OPT_LOSSY },
	{ "max-pdu", required_argument, NULL, OPT_MAX_PDU },
	{ "netrc", no_argument, NULL, OPT_NETRC },
	{ "no-progress", no_argument, NULL, OPT_NO_PROGRESS },
	{ "no-transcode", no_argument, NULL, OPT_NO_TRANSCODE },
	{ "no-transcode-ahead", no_argument, NULL, OPT_NO_TRANSCODE_AHEAD },
	{ "null", no_argument, NULL, '0' },
	{ "password", required_argument, NULL, OPT_PASSWORD },
	{ "password-file", required_argument, NULL, OPT_PASSWORD_FILE },
	{ "password-stdin", no_argument, NULL, OPT_PASSWORD_STDIN },
	{ "per-assoc", required_argument, NULL, OPT_PER_ASSOC },
	{ "probe", no_argument, NULL, OPT_PROBE },
	{ "progress", no_argument, NULL, OPT_PROGRESS },
	{ "quiet", no_argument, NULL, 'q' },
	{ "read-from-dicomdir", no_argument, NULL, OPT_READ_FROM_DICOMDIR },
	{ "remove-sent", no_argument, NULL, OPT_REMOVE_SENT },
	{ "resume", required_argument, NULL, OPT_RESUME },
	{ "retry", required_argument, NULL, OPT_RETRY },
	{ "retry-delay", required_argument, NULL, OPT_RETRY_DELAY },
	{ "retry-for", required_argument, NULL, OPT_RETRY_FOR },
	{ "stow-batch", required_argument, NULL, OPT_STOW_BATCH },
	{ "stow-bytes", required_argument, NULL, OPT_STOW_BYTES },
	{ "tls", no_argument, NULL, OPT_TLS },
	{ "tls-ca", required_argument, NULL, OPT_TLS_CA },
	{ "tls-cert", required_argument, NULL, OPT_TLS_CERT },
	{ "tls-insecure", no_argument, NULL, OPT_TLS_INSECURE },
	{ "tls-key", required_argument, NULL, OPT_TLS_KEY },
	{ "tls-profile", required_argument, NULL, OPT_TLS_PROFILE },
	{ "tls-server-name", required_argument, NULL, OPT_TLS_SERVER_NAME },
	{ "trace", no_argument, NULL, 'd' },
	{ "user", required_argument, NULL, OPT_USER },
	{ "verbose", no_argument, NULL, 'v' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

static const char *const synopsis[] = {
	"[-0dqv] [-a aetitle] [-c called] [-j jobs] [--async n]\n"
	"               [--per-assoc n] [--retry n] [--retry-delay ms] [--resume log]\n"
	"               [--no-transcode | --lossy] [--dry-run [--probe]] [--json]\n"
	"               [--progress | --no-progress] [--read-from-dicomdir]\n"
	"               [--max-pdu bytes] [--commit\n"
	"               [--commit-listen [addr:]port] [--commit-timeout s]\n"
	"               [--commit-state file]] [--connect-timeout s] [--acse-timeout s]\n"
	"               [--dimse-timeout s]\n"
	"               [--follow [--idle s] [--retry-for duration]] [--remove-sent]\n"
	"               [--limit-rate rate]\n"
	"               [--user name [--password-file file | --password-stdin]\n"
	"               [--identity-response]]\n"
	"               [--tls [--tls-ca file|dir] [--tls-server-name name]\n"
	"               [--tls-cert file [--tls-key file]] [--tls-profile p]\n"
	"               [--tls-insecure]] host port [file | dir | - ...]",
	"[-dqv] [-j jobs] [--stow-batch n] [--stow-bytes size]\n"
	"               [--bearer-file file | --netrc] [--accept-ts list]\n"
	"               [--no-transcode | --lossy] [--dry-run] [--limit-rate rate]\n"
	"               [--tls-ca file|dir] [--retry n] [--retry-delay ms] [--resume log]\n"
	"               [--json] [--progress | --no-progress] [--read-from-dicomdir]\n"
	"               url [file | dir | - ...]",
	"--echo [-dqv] [--bearer-file file | --netrc] [--tls-ca file|dir]\n"
	"               url",
	"--echo [-dqv] [-a aetitle] [-c called] [--json] [--user name ...]\n"
	"               [--tls ...] host port",
	"--commit-wait file --commit-listen [addr:]port [-dqv]\n"
	"               [-a aetitle] [--commit-timeout s] [--commit-state file] [--json]",
	NULL,
};

/* Routing (--follow); a literal of its own, as the one below is near
 * the length every compiler must take. */
static const char follow_help[] =
    "      --follow             read the list on stdin as a stream and send each path\n"
    "                           as it comes, keeping the association open meanwhile;\n"
    "                           stdin is always drained at once (queued in memory,\n"
    "                           then in a temporary file), whatever the peer does\n"
    "      --idle S             with --follow: release the association after S\n"
    "                           seconds without input (default 10)\n"
    "      --retry-for DURATION with --follow: keep trying to reach the peer this\n"
    "                           long (90, 30s, 5m, 1h, 1d; default forever), then\n"
    "                           give up (exit 3)\n"
    "      --remove-sent        unlink each file the peer answered Success or a\n"
    "                           Warning (never one that failed)\n"
    "      --limit-rate RATE    at most RATE bytes/s over all -j associations\n"
    "                           together (20M, 500K, 1.5M...: K, M, G are powers\n"
    "                           of 1024, KB, MB, GB of 1000)\n";

#define STR_(x) #x
#define STR(x) STR_(x)

/* DICOMweb (a URL instead of host and port); a literal of its own. */
static const char web_help[] =
    "\n"
    "With an http:// or https:// URL (a DICOMweb service's base, e.g.\n"
    "http://pacs:8042/dicom-web) instead of host and port, the files are stored\n"
    "over STOW-RS (POST URL/studies), several per request, streamed from the\n"
    "files; --echo asks the service a QIDO-RS query (GET URL/studies?limit=1):\n"
    "      --stow-batch N       at most N files per request (default " STR(
	STOW_DEFAULT_BATCH) ")\n"
			    "      --stow-bytes SIZE    start a new request once its files reach SIZE\n"
			    "                           bytes (64M, 1G...: K, M, G powers of 1024, KB,\n"
			    "                           MB, GB of 1000; default 64M)\n"
			    "      --bearer-file FILE   send the first line of FILE as an OAuth bearer\n"
			    "                           token (Authorization: Bearer)\n"
			    "      --netrc              take the user name and password for the host\n"
			    "                           from ~/.netrc (HTTP Basic)\n"
			    "      --tls-ca FILE|DIR    with https: trust these CA certificates (PEM, or\n"
			    "                           a directory made by openssl rehash) instead\n"
			    "                           of the system's\n"
			    "      --tls-cert FILE      with https: our client certificate (PEM, the\n"
			    "                           chain after it), for a service requiring one\n"
			    "      --tls-key FILE       its private key (PEM; default: in --tls-cert)\n"
			    "      --accept-ts LIST     the transfer syntaxes the service takes (UIDs or\n"
			    "                           keywords, comma-separated): files in others are\n"
			    "                           converted, losslessly unless --lossy; without it\n"
			    "                           files go as they are until the service refuses\n"
			    "                           a syntax (HTTP 415, Failure Reason C122), then\n"
			    "                           in Explicit VR Little Endian, as are files in\n"
			    "                           Implicit VR LE or Explicit VR BE from the start\n"
			    "                           (PS3.18 8.7.3: not for web services)\n"
			    "HTTP 401 or 403 exits 4; no such host or a TLS failure exits 3 at\n"
			    "once; a 5xx or 429 answer, or a connection refused or timed out (then\n"
			    "exit 3) or cut before the answer (then aborted, exit 5), is tried again\n"
			    "--retry times (after a Retry-After if longer), then its files fail.\n";

/* User Identity Negotiation; a literal of its own. */
static const char identity_help[] =
    "      --user NAME          send a user identity (PS3.7 D.3.3.7): the name\n"
    "                           alone, or with a passcode from one of:\n"
    "      --password-file FILE the passcode is the first line of FILE\n"
    "      --password-stdin     the passcode is the first line of stdin\n"
    "                           (never on the command line: --password is\n"
    "                           refused)\n"
    "      --identity-response  ask the peer to confirm the identity; send\n"
    "                           nothing to a peer that does not\n";

/* Converting ahead; a literal of its own. */
static const char ahead_help[] =
    "      --no-transcode-ahead convert each file at its turn (by default the next\n"
    "                           files of an association are converted on other\n"
    "                           threads, one per core, while one is sent)\n";

/* Storage commitment (--commit): a literal of its own. */
static const char commit_help[] =
    "      --commit             after storing, ask the peer to commit the objects\n"
    "                           (Storage Commitment, N-ACTION) and wait for its\n"
    "                           report: each line then says committed, the failure,\n"
    "                           or uncommitted\n"
    "      --commit-listen [ADDR:]PORT  take the report on an association the\n"
    "                           archive opens to us here (our AE title as -a)\n"
    "      --commit-timeout S   seconds to wait for the report (default 300)\n"
    "      --commit-state FILE  write the inputs still without a report to FILE\n"
    "      --commit-wait FILE   collect the reports of FILE's inputs (a\n"
    "                           --commit-state of an earlier run) on\n"
    "                           --commit-listen; send nothing\n";

static void
help(void)
{
	cli_help(synopsis,
	    "\n"
	    "Send DICOM files to a Storage SCP (C-STORE); --echo verifies a peer (C-ECHO).\n"
	    "Directories are walked; '-' (or no file with stdin not a terminal) reads paths\n"
	    "from stdin, one per line or NUL-separated with -0.  One result line per input;\n"
	    "only regular files are read (a FIFO, socket or device gets an unreadable line).\n\n"
	    "  -a, --aet AETITLE        our (calling) AE title (default DCMSEND): 1-16\n"
	    "                           printable ASCII characters, no backslash (also\n"
	    "                           DCMTK's spelling -aet AETITLE)\n"
	    "  -c, --aec AETITLE        the peer's (called) AE title (default ANY-SCP;\n"
	    "                           also -aec AETITLE, DCMTK's spelling)\n"
	    "  -j, --jobs N             N associations in parallel, 1-256 (default 1)\n"
	    "      --async N            keep up to N C-STOREs outstanding per association\n"
	    "                           when the peer agrees, 1-%d (default %d; 1 = wait\n"
	    "                           for each response)\n"
	    "      --per-assoc N        open a new association after N files\n"
	    "      --retry N            send each file up to N+1 times after transient\n"
	    "                           failures (aborts, A7xx), reconnecting as needed;\n"
	    "                           stored files are never resent\n"
	    "      --retry-delay MS     first retry delay, doubled each time (default 1000)\n"
	    "%s"
	    "      --resume LOG         skip inputs that LOG (an earlier output) has stored\n"
	    "      --no-transcode       never convert: files need a context in their own\n"
	    "                           syntax\n"
	    "      --lossy              allow lossy conversion when nothing else is accepted\n"
	    "%s"
	    "      --dry-run            print the planned associations and contexts, send\n"
	    "                           nothing\n"
	    "      --probe              with --dry-run: negotiate them, show what is accepted\n"
	    "                           and give each input the line a send would\n"
	    "  -0, --null               the list read from stdin is NUL-separated\n"
	    "%s"
	    "      --echo               send a C-ECHO instead of files\n"
	    "%s"
	    "      --max-pdu BYTES      largest PDU we accept, 4096-%u or 0 for no\n"
	    "                           limit (default %u)\n"
	    "      --connect-timeout S  seconds to wait for the connection (default 30)\n"
	    "      --acse-timeout S     seconds to wait for association answers, and for\n"
	    "                           the peer's close after an abort (default 30)\n"
	    "      --dimse-timeout S    seconds to wait for each response (default 60;\n"
	    "                           0 = forever)\n"
	    "      --json               results as JSON lines\n"
	    "      --progress           a progress line on stderr even when not a terminal\n"
	    "      --no-progress        no progress line\n"
	    "%s"
	    "  -v, --verbose            more detail on stderr\n"
	    "  -d, --trace              every PDU and DIMSE message, readable, on stderr\n"
	    "  -q, --quiet              no summary, progress or notes on stderr\n"
	    "  -h, --help               this help\n"
	    "      --version            print the version\n"
	    "%s"
	    "\n"
	    "Output: STATUS<TAB>PATH<TAB>SOPClassUID<TAB>SOPInstanceUID<TAB>DETAIL per input.\n"
	    "Exit status: 0 every input stored, 1 some not stored, 2 usage or no input\n"
	    "at all (or an unusable TLS certificate, key or CA), 3 peer unreachable\n"
	    "(or not securely: TLS), 4 association rejected or nothing acceptable,\n"
	    "5 aborted or protocol error, 6 cannot write the output or listen,\n"
	    "7 every input stored but not all committed (--commit), 70 internal error.\n"
	    "%s",
	    STORESCU_MAX_WINDOW, STORESCU_DEFAULT_WINDOW, follow_help,
	    ahead_help, send_dicomdir_help, commit_help, MAX_PDU_LIMIT,
	    STORESCU_DEFAULT_MAX_PDU, identity_help, tls_send_help, web_help);
}

static const char *
ae_title(const char *arg)
{
	size_t n = strlen(arg);

	if (n == 0 || n > 16)
		cli_usage_error("AE title '%s': must be 1-16 characters", arg);
	/* PS3.5 AE: the default repertoire without backslash and control
	 * characters, PS3.8 9.3.2: never all spaces; refused here, not
	 * after the connection is open */
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)arg[i] < 0x20 ||
		    (unsigned char)arg[i] > 0x7e || arg[i] == '\\')
			cli_usage_error("AE title '%s': must be printable "
					"ASCII characters, no backslash",
			    arg);
	if (strspn(arg, " ") == n)
		cli_usage_error("AE title '%s': must not be all spaces", arg);
	return arg;
}

/* A timeout option in seconds, as milliseconds. */
static int
seconds(const char *arg, long long min, long long max, const char *what)
{
	return (int)cli_parse_num(arg, min, max, what) * 1000;
}

/* User identity: the passcode itself is read by send_identity_check. */
static void
parse_identity(struct send_args *d, int c, const char *arg)
{
	switch (c) {
	case OPT_IDENTITY_RESPONSE:
		d->cfg.identity_response = 1;
		break;
	case OPT_PASSWORD:
		cli_usage_error(
		    "--password: a passcode on the command line is seen by every local user; use --password-file FILE or --password-stdin");
	case OPT_PASSWORD_FILE:
		d->password_file = arg;
		break;
	case OPT_PASSWORD_STDIN:
		d->password_stdin = 1;
		break;
	case OPT_USER:
		d->cfg.user = arg;
		break;
	default:
		if (!send_dicomdir_parse(c))
			cli_usage_exit(synopsis);
	}
}

/* The DICOMweb options; the rest goes to parse_identity. */
static void
parse_web(struct send_args *d, int c, const char *arg)
{
	struct cs_err err = { 0, "" };

	switch (c) {
	case OPT_ACCEPT_TS:
		send_web_accept_ts(d, arg);
		break;
	case OPT_BEARER_FILE:
		d->bearer_file = arg;
		break;
	case OPT_NETRC:
		d->stow.netrc = 1;
		break;
	case OPT_STOW_BATCH:
		d->stow.batch =
		    (size_t)cli_parse_num(arg, 1, 10000, "files per request");
		break;
	case OPT_STOW_BYTES:
		if (cli_parse_size(
			arg, "--stow-bytes", &d->stow.batch_bytes, &err) != 0)
			cli_usage_error("%s", err.msg);
		if (d->stow.batch_bytes == 0)
			cli_usage_error("--stow-bytes: must be above 0");
		break;
	default:
		parse_identity(d, c, arg);
	}
}

/* The routing options (--follow...); the rest goes to parse_web. */
static void
parse_follow(struct send_args *d, int c, const char *arg)
{
	struct cs_err err = { 0, "" };

	switch (c) {
	case OPT_FOLLOW:
		d->follow = 1;
		break;
	case OPT_IDLE:
		d->fo.idle_ms =
		    (unsigned)cli_parse_num(arg, 1, 86400, "idle time") * 1000;
		d->idle_set = 1;
		break;
	case OPT_LIMIT_RATE:
		if (follow_parse_rate(arg, &d->send.limit_rate, &err) != 0)
			cli_usage_error("%s", err.msg);
		break;
	case OPT_REMOVE_SENT:
		d->remove_sent = 1;
		break;
	case OPT_RETRY_FOR:
		if (follow_parse_duration(arg, &d->fo.retry_for_ms, &err) != 0)
			cli_usage_error("%s", err.msg);
		d->retry_for_set = 1;
		break;
	default:
		parse_web(d, c, arg);
	}
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
	case OPT_COMMIT:
		s->commit = 1;
		break;
	case OPT_COMMIT_LISTEN:
		d->commit_listen = arg;
		break;
	case OPT_COMMIT_STATE:
		d->commit_state = arg;
		break;
	case OPT_COMMIT_WAIT:
		d->commit_wait = arg;
		break;
	case OPT_COMMIT_TIMEOUT:
		s->commit_timeout_ms =
		    seconds(arg, 1, 86400, "commitment timeout");
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
		s->retries_set = 1;
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
	case OPT_NO_TRANSCODE_AHEAD:
		s->no_ahead = 1;
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
			parse_follow(d, c, arg);
	}
}

int
send_args_parse(struct send_args *d, int argc, char **argv)
{
	const char *limit;
	int c;

	memset(d, 0, sizeof(*d));
	storescu_config_init(&d->cfg);
	storescu_send_opts_init(&d->send);
	d->fmt = CLI_TSV;
	d->progress = -1;
	d->fo.idle_ms = STORESCU_DEFAULT_IDLE_MS;
	d->fo.retry_for_ms = -1;
	d->stow.batch = STOW_DEFAULT_BATCH;
	d->stow.batch_bytes = STOW_DEFAULT_BATCH_BYTES;
	while ((c = cli_getopt(argc, argv, "0a:c:dhj:qv", longopts)) != -1) {
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
		case 'q': /* -q and -v: the last wins, as in DCMTK */
			d->quiet = 1, d->verbose = 0;
			break;
		case 'v':
			d->verbose = 1, d->quiet = 0;
			break;
		default:
			parse_long(d, c, optarg);
		}
	}
	send_dicomdir_check(d);
	/* tests and debugging (man page, ENVIRONMENT); empty means unset */
	if ((limit = getenv("DCMSEND_CODEC_TIMEOUT")) != NULL && limit[0])
		dcmfile_codec_timeout((unsigned)cli_parse_num(
		    limit, 1, 86400, "DCMSEND_CODEC_TIMEOUT"));
	return optind;
}
