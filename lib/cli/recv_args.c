/* recv_args.c - dcmrecv's options (see recv_args.h and man/dcmrecv.1). */
#include <errno.h>
#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cstore/cstore.h"
#include "cstore/storescp.h"
#include "cli/cli.h"
#include "cli/listen_fds.h"
#include "cli/output.h"
#include "cli/recv_args.h"
#include "cli/ts_arg.h"
#include "cli/recv_commit.h"
#include "cli/recv_opts.h"
#include "core/sopclass.h"
#include "cli/size_arg.h"
#include "cli/tls_args.h"
#include "net/net.h"

#include "core/banned.h"

/* The largest --max-pdu (as dcmsend's). */
#define MAX_PDU_LIMIT (16u * 1024u * 1024u)

enum {
	OPT_ABORT_AFTER = 256,
	OPT_ABORT_ON,
	OPT_ACCEPT_TS,
	OPT_ALLOW,
	OPT_ASYNC,
	OPT_COMMIT,
	OPT_COMMIT_DELAY,
	OPT_COMMIT_FAIL,
	OPT_COMMIT_PEER,
	OPT_COMMIT_RESPOND,
	OPT_DELAY,
	OPT_EXEC,
	OPT_EXEC_JOBS,
	OPT_FSYNC,
	OPT_GRACE,
	OPT_HASH_PASSWORD,
	OPT_IDENTITY_HOOK,
	OPT_IDLE_TIMEOUT,
	OPT_JSON,
	OPT_LAYOUT,
	OPT_MAX_ASSOCIATIONS,
	OPT_MAX_ASSOCS,
	OPT_MAX_FILES,
	OPT_MAX_OBJECT_SIZE,
	OPT_MAX_PDU,
	OPT_MAX_PER_HOST,
	OPT_MIN_FREE_SPACE,
	OPT_NO_SANDBOX,
	OPT_ON_DUPLICATE,
	OPT_PORT_FILE,
	OPT_PROXY_FROM,
	OPT_PROXY_PROTOCOL,
	OPT_QUARANTINE,
	OPT_REJECT,
	OPT_REJECT_SOP_CLASS,
	OPT_REQUIRE_IDENTITY,
	OPT_RESPOND,
	OPT_RESPOND_EVERY,
	OPT_REUSE_PORT,
	OPT_SANDBOX_PROBE,
	OPT_SOP_CLASS,
	OPT_STRICT_AET,
	OPT_TS,
	OPT_USERS,
	OPT_VALIDATE,
	OPT_USER,
	OPT_VERSION,
};

static const struct option longopts[] = {
	{ "abort-after", required_argument, NULL, OPT_ABORT_AFTER },
	{ "abort-on", required_argument, NULL, OPT_ABORT_ON },
	{ "accept-ts", required_argument, NULL, OPT_ACCEPT_TS },
	{ "aet", required_argument, NULL, 'a' },
	{ "allow", required_argument, NULL, OPT_ALLOW },
	{ "async", required_argument, NULL, OPT_ASYNC },
	{ "commit", no_argument, NULL, OPT_COMMIT },
	{ "commit-delay", required_argument, NULL, OPT_COMMIT_DELAY },
	{ "commit-fail", required_argument, NULL, OPT_COMMIT_FAIL },
	{ "commit-peer", required_argument, NULL, OPT_COMMIT_PEER },
	{ "commit-respond", required_argument, NULL, OPT_COMMIT_RESPOND },
	{ "delay", required_argument, NULL, OPT_DELAY },
	{ "exec", required_argument, NULL, OPT_EXEC },
	{ "exec-jobs", required_argument, NULL, OPT_EXEC_JOBS },
	{ "identity-hook", required_argument, NULL, OPT_IDENTITY_HOOK },
	{ "fsync", no_argument, NULL, OPT_FSYNC },
	{ "grace", required_argument, NULL, OPT_GRACE },
	{ "hash-password", optional_argument, NULL, OPT_HASH_PASSWORD },
	{ "help", no_argument, NULL, 'h' },
	{ "idle-timeout", required_argument, NULL, OPT_IDLE_TIMEOUT },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "layout", required_argument, NULL, OPT_LAYOUT },
	{ "max-associations", required_argument, NULL, OPT_MAX_ASSOCIATIONS },
	{ "max-assocs", required_argument, NULL, OPT_MAX_ASSOCS },
	{ "max-files", required_argument, NULL, OPT_MAX_FILES },
	{ "max-object-size", required_argument, NULL, OPT_MAX_OBJECT_SIZE },
	{ "max-pdu", required_argument, NULL, OPT_MAX_PDU },
	{ "max-per-host", required_argument, NULL, OPT_MAX_PER_HOST },
	{ "min-free-space", required_argument, NULL, OPT_MIN_FREE_SPACE },
	{ "no-sandbox", no_argument, NULL, OPT_NO_SANDBOX },
	{ "null", no_argument, NULL, '0' },
	{ "on-duplicate", required_argument, NULL, OPT_ON_DUPLICATE },
	{ "output-dir", required_argument, NULL, 'o' },
	{ "port-file", required_argument, NULL, OPT_PORT_FILE },
	{ "proxy-from", required_argument, NULL, OPT_PROXY_FROM },
	{ "proxy-protocol", no_argument, NULL, OPT_PROXY_PROTOCOL },
	{ "quarantine", required_argument, NULL, OPT_QUARANTINE },
	{ "quiet", no_argument, NULL, 'q' },
	{ "reject", required_argument, NULL, OPT_REJECT },
	{ "reject-sop-class", required_argument, NULL, OPT_REJECT_SOP_CLASS },
	{ "require-identity", no_argument, NULL, OPT_REQUIRE_IDENTITY },
	{ "respond", required_argument, NULL, OPT_RESPOND },
	{ "respond-every", required_argument, NULL, OPT_RESPOND_EVERY },
	{ "reuse-port", no_argument, NULL, OPT_REUSE_PORT },
	{ "sandbox-probe", required_argument, NULL, OPT_SANDBOX_PROBE },
	{ "sop-class", required_argument, NULL, OPT_SOP_CLASS },
	{ "strict-aet", no_argument, NULL, OPT_STRICT_AET },
	{ "timeout", required_argument, NULL, 't' },
	{ "tls", no_argument, NULL, OPT_TLS },
	{ "tls-ca", required_argument, NULL, OPT_TLS_CA },
	{ "tls-cert", required_argument, NULL, OPT_TLS_CERT },
	{ "tls-key", required_argument, NULL, OPT_TLS_KEY },
	{ "tls-optional-client-cert", no_argument, NULL,
	    OPT_TLS_OPTIONAL_CLIENT_CERT },
	{ "tls-profile", required_argument, NULL, OPT_TLS_PROFILE },
	{ "trace", no_argument, NULL, 'd' },
	{ "ts", required_argument, NULL, OPT_TS },
	{ "users", required_argument, NULL, OPT_USERS },
	{ "validate", no_argument, NULL, OPT_VALIDATE },
	{ "user", required_argument, NULL, OPT_USER },
	{ "verbose", no_argument, NULL, 'v' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

static const char *const synopsis[] = {
	"[-0dqv] [-a aetitle] [-o dir] [-t seconds] [--layout template]\n"
	"               [--json] [--port-file file] [--strict-aet] [--allow aet[@host]]\n"
	"               [--sop-class class] [--ts syntax] [--accept-ts list]\n"
	"               [--on-duplicate policy] [--fsync] [--max-associations n]\n"
	"               [--max-pdu bytes] [--async n] [--max-files n] [--max-assocs n]\n"
	"               [--idle-timeout s] [--grace s] [--exec cmd [arg ...] ;]\n"
	"               [--respond status] [--respond-every n:status] [--reject how]\n"
	"               [--abort-after n] [--abort-on uid] [--delay ms]\n"
	"               [--reject-sop-class class] [--proxy-protocol]\n"
	"               [--proxy-from addr[/bits]] [--reuse-port] [--max-per-host n]\n"
	"               [--users file] [--identity-hook cmd [arg ...] ;]\n"
	"               [--require-identity] [--commit]\n"
	"               [--commit-peer aet=host:port] [--commit-delay ms]\n"
	"               [--commit-fail n] [--commit-respond status]\n"
	"               [--max-object-size size]\n"
	"               [--min-free-space size] [--validate [--quarantine dir]]\n"
	"               [--tls --tls-cert file\n"
	"               [--tls-key file] [--tls-ca file|dir] [--tls-optional-client-cert]\n"
	"               [--tls-profile p]] [--user name] [--no-sandbox]\n"
	"               [--exec-jobs n] [--sandbox-probe file] [[addr:]port]",
	"--hash-password[=yescrypt|sha512]",
	NULL,
};

/* Limits of the output directory (issue 14, debris). */
static const char debris_help[] =
    "      --max-object-size SIZE  refuse (A700) an object whose data set passes\n"
    "                             SIZE bytes (K, M, G, T: powers of 1024, KB, MB...\n"
    "                             of 1000; 1.5M): the rest is read\n"
    "                             and discarded; past twice SIZE (at least SIZE +\n"
    "                             64M) the association is aborted\n"
    "      --min-free-space SIZE  refuse (A700) new objects while the file system\n"
    "                             has less than SIZE bytes free\n"
    "      --validate             check each data set: parsed to its end, native\n"
    "                             Pixel Data as long as Rows x Columns x Samples x\n"
    "                             Bits Allocated x Frames, encapsulated only under\n"
    "                             an encapsulated syntax; a failure is answered\n"
    "                             A900 or C000 saying why, and not stored\n"
    "      --quarantine DIR       with --validate: keep failing objects in DIR,\n"
    "                             each with a line in DIR/quarantine.log\n";

/* Behind a load balancer; a literal of its own, as the one below is
 * near the length every compiler must take. */
static const char deploy_help[] =
    "      --proxy-protocol       every connection begins with a PROXY protocol\n"
    "                             v1/v2 header (HAProxy send-proxy[-v2]); the\n"
    "                             client it names is the peer\n"
    "      --proxy-from ADDR[/BITS]  accept PROXY headers only from these\n"
    "                             balancers (repeatable)\n"
    "      --reuse-port           share the port with other dcmrecv processes\n"
    "                             (SO_REUSEPORT)\n"
    "Without [ADDR:]PORT, serve the socket passed by systemd (LISTEN_FDS).\n";

/* Hostile peers: limits per source address; a literal of its own. */
static const char hostile_help[] =
    "      --max-per-host N       associations of one source address at once (with\n"
    "                             --proxy-protocol: of the client its header\n"
    "                             names, so set --proxy-from; default: no limit);\n"
    "                             beyond: transient rejection\n";
/* User Identity Negotiation; a literal of its own. */
static const char identity_help[] =
    "      --users FILE           check user identities (PS3.7 D.3.3.7) against\n"
    "                             FILE, NAME:HASH lines (crypt(3) hashes); a\n"
    "                             wrong one is rejected; read again on SIGHUP\n"
    "      --identity-hook CMD [ARG ...] ;  CMD judges the identities --users\n"
    "                             does not (Kerberos, SAML, JWT; all without\n"
    "                             --users), given on its stdin; exit 0 accepts\n"
    "      --require-identity     reject associations without an identity\n"
    "      --hash-password[=METHOD]  read a passcode from stdin, print its hash\n"
    "                             (METHOD yescrypt, the default, or sha512), exit\n";
/* The sandbox and the --exec helper: a literal of its own too. */
static const char sandbox_help[] =
    "      --exec-jobs N          at most N --exec commands at once, the rest\n"
    "                             queued (default: one per CPU)\n"
    "      --user NAME            run as NAME once the port is bound\n"
    "      --no-sandbox           do not confine the receiver (seccomp, Landlock)\n"
    "      --sandbox-probe FILE   once confined, try to create FILE and say\n"
    "                             whether the kernel refused (a check of the\n"
    "                             sandbox)\n";

static void
help(void)
{
	cli_help(synopsis,
	    "\n"
	    "Receive DICOM objects (C-STORE, C-ECHO) and write each one atomically into a\n"
	    "directory; print one line per stored file once it is in place.\n\n"
	    "  -a, --aet AETITLE          our AE title (default %s; also -aet AETITLE,\n"
	    "                             DCMTK's spelling)\n"
	    "  -o, --output-dir DIR       where files go (default %s; also -od DIR)\n"
	    "      --layout TEMPLATE      file name template (default %s);\n"
	    "                             placeholders: {SOPInstanceUID} {SOPClassUID}\n"
	    "                             {StudyInstanceUID} {SeriesInstanceUID} {PatientID}\n"
	    "                             {Modality} {StudyDate} {AccessionNumber}\n"
	    "                             {SeriesNumber} {InstanceNumber} {CallingAET}\n"
	    "                             {CalledAET} {Date}; a name that holds another\n"
	    "                             instance is never replaced: NAME~2.EXT, ...\n"
	    "      --on-duplicate POLICY  the same instance again: overwrite (default),\n"
	    "                             keep, rename (NAME~2.EXT, ...) or reject\n"
	    "      --fsync                fsync each file and its directory\n"
	    "      --json                 JSON lines instead of tab-separated lines\n"
	    "  -0, --null                 print only paths, each ending with NUL\n"
	    "      --exec CMD [ARG ...] ; run CMD after each stored file, {} = its path\n"
	    "      --port-file FILE       write the bound port number to FILE\n"
	    "      --strict-aet           reject a called AE title other than ours\n"
	    "      --allow AET[@HOST]     admit only these calling AE titles (repeatable);\n"
	    "                             subject=DN: a TLS client certificate's subject\n"
	    "      --sop-class CLASS      accept only these SOP classes (repeatable)\n"
	    "      --reject-sop-class CLASS  refuse this SOP class (repeatable)\n"
	    "      --ts SYNTAX            accept only these transfer syntaxes, in this\n"
	    "                             order of preference (repeatable): UIDs or\n"
	    "                             names, any case (JPEGBaseline8Bit, JPEGBaseline...)\n"
	    "      --accept-ts LIST       the same as a comma-separated list\n"
	    "      --max-associations N   at once (default %u); beyond: transient rejection\n"
	    "      --max-pdu BYTES        largest PDU we accept, 4096-%u or 0 for no\n"
	    "                             limit (default %u)\n"
	    "      --async N              accept up to N outstanding C-STOREs per\n"
	    "                             association when the sender proposes an\n"
	    "                             asynchronous operations window; default %u;\n"
	    "                             1 = synchronous\n"
	    "  -t, --timeout S            quiet limit between messages, ARTIM (default %u)\n"
	    "      --max-files N          exit after N stored files\n"
	    "      --max-assocs N         exit after N associations\n"
	    "      --idle-timeout S       exit after S seconds without an association\n"
	    "      --grace S              on SIGTERM/SIGINT, time for transfers in flight\n"
	    "                             (default %u)\n"
	    "%s%s%s%s%s%s%s"
	    "Debugging a sender:\n"
	    "      --respond STATUS       answer every C-STORE with STATUS (e.g. A700)\n"
	    "      --respond-every N:STATUS  answer every N-th C-STORE with STATUS\n"
	    "      --reject HOW           reject associations: transient or permanent,\n"
	    "                             optionally :REASON (1-7, congestion, limit)\n"
	    "      --abort-after N        abort each association at its N-th C-STORE\n"
	    "      --abort-on UID         abort whenever SOP instance UID arrives\n"
	    "      --delay MS             wait MS milliseconds before each response\n"
	    "  -v, --verbose              associations and objects on stderr\n"
	    "  -d, --trace                every PDU and DIMSE message on stderr\n"
	    "  -q, --quiet                no notes or warnings on stderr (A7xx still)\n"
	    "  -h, --help                 this help\n"
	    "      --version              print the version\n"
	    "\n"
	    "Output: PATH, SOP Class UID, SOP Instance UID, calling AE title, peer;\n"
	    "with --tls the client certificate's subject in column 6; with --users or\n"
	    "--identity-hook, the user in column 7.\n"
	    "Exit status: 0 stopped cleanly, 2 usage (or an unusable TLS certificate, key\n"
	    "or CA), 6 cannot listen or cannot write the output directory, the port\n"
	    "file or standard output, 70 internal error.\n",
	    STORESCP_DEFAULT_AET, STORESCP_DEFAULT_OUTPUT_DIR,
	    STORESCP_DEFAULT_LAYOUT, STORESCP_DEFAULT_MAX_ASSOCIATIONS,
	    MAX_PDU_LIMIT, STORESCP_DEFAULT_MAX_PDU,
	    STORESCP_DEFAULT_ASYNC_WINDOW, STORESCP_DEFAULT_TIMEOUT_MS / 1000,
	    STORESCP_DEFAULT_GRACE_MS / 1000, debris_help, hostile_help,
	    identity_help, recv_commit_help, tls_recv_help, sandbox_help,
	    deploy_help);
}

/* A parser's result: a usage error with its message unless 0. */
static void
need_ok(int rc, const struct cs_err *err)
{
	if (rc != 0)
		cli_usage_error("%s", err->msg);
}

/* Appends v to one of the list options. */
static void
add(const char **list, size_t *n, const char *v, const char *what)
{
	if (*n >= RECV_MAX_LIST)
		cli_usage_error(
		    "too many %s (at most %d)", what, RECV_MAX_LIST);
	list[(*n)++] = v;
}

/* --sop-class and --reject-sop-class: a UID, a keyword or a PS3.6 name;
 * a name a current and a retired class share ("Ultrasound Image
 * Storage") is both of them, "NAME (Retired)" the retired one alone. */
static void
add_class(const char **list, size_t *n, const char *arg, const char *what)
{
	struct cs_err err = { 0, "" };
	const struct sopclass *old = sopclass_retired_namesake(arg);
	const char *uid;

	need_ok(storescp_sop_class_uid(arg, &uid, &err), &err);
	add(list, n, uid, what);
	if (old != NULL && strcmp(old->uid, uid) != 0)
		add(list, n, old->uid, what);
}

/* --ts: one transfer syntax, a UID or a keyword. */
static void
add_ts(struct recv_args *a, const char *arg)
{
	add(a->ts, &a->cfg.n_ts, cli_ts_arg(arg), "transfer syntaxes");
}

/* --accept-ts: a comma-separated list (modified in place). */
static void
add_ts_list(struct recv_args *a, char *list)
{
	char *p;

	while ((p = strsep(&list, ",")) != NULL)
		add_ts(a, p);
}

/* --exec or --identity-hook CMD ARG... ;  optarg is argv[optind - 1],
 * the command. */
static const char *const *
take_command(int argc, char **argv, const char *opt)
{
	int i = optind, cmd = optind - 1;

	while (i < argc && strcmp(argv[i], ";") != 0)
		i++;
	if (i >= argc)
		cli_usage_error("%s: missing ';' after the command", opt);
	argv[i] = NULL;
	optind = i + 1;
	return (const char *const *)&argv[cmd];
}

static unsigned
seconds_ms(const char *arg, long long max, const char *what)
{
	return (unsigned)cli_parse_num(arg, 1, max, what) * 1000u;
}

static uint32_t
max_pdu(const char *arg)
{
	long long v = cli_parse_num(arg, 0, MAX_PDU_LIMIT, "max PDU length");

	if (v != 0 && v < 4096)
		cli_usage_error(
		    "max PDU length '%s': out of range (4096-%u, or 0)", arg,
		    MAX_PDU_LIMIT);
	/* the tool's 0 is "no limit" */
	return v == 0 ? STORESCP_MAX_PDU_NONE : (uint32_t)v;
}

/* The debugging options (struct storescp_faults). */
static void
parse_fault(struct storescp_faults *f, int c, const char *arg)
{
	struct cs_err err = { 0, "" };

	switch (c) {
	case OPT_ABORT_AFTER:
		f->abort_after = (unsigned)cli_parse_num(
		    arg, 1, 1000000000, "--abort-after");
		break;
	case OPT_ABORT_ON:
		if (arg[0] == '\0' || strlen(arg) > 64)
			cli_usage_error(
			    "--abort-on '%s': expected a SOP Instance UID",
			    arg);
		f->abort_on_instance = arg;
		break;
	case OPT_DELAY:
		f->delay_ms =
		    (unsigned)cli_parse_num(arg, 0, 3600000, "--delay");
		break;
	case OPT_REJECT:
		need_ok(cli_parse_reject(arg, f, &err), &err);
		break;
	case OPT_RESPOND:
		need_ok(cli_parse_status(arg, &f->respond_status, &err), &err);
		f->respond = 1;
		break;
	case OPT_RESPOND_EVERY:
		need_ok(cli_parse_respond_every(arg, f, &err), &err);
		break;
	default:
		cli_usage_exit(synopsis);
	}
}

/* The limits and exit conditions. */
static void
parse_limit(struct storescp_config *cfg, int c, const char *arg)
{
	switch (c) {
	case OPT_ASYNC:
		cfg->async_window = (unsigned)cli_parse_num(
		    arg, 1, STORESCP_MAX_ASYNC_WINDOW, "--async");
		break;
	case OPT_GRACE:
		cfg->grace_ms = seconds_ms(arg, 86400, "grace time");
		break;
	case OPT_IDLE_TIMEOUT:
		cfg->idle_timeout_ms =
		    seconds_ms(arg, 86400 * 30, "idle timeout");
		break;
	case OPT_MAX_ASSOCIATIONS:
		cfg->max_associations =
		    (unsigned)cli_parse_num(arg, 1, 1024, "--max-associations");
		break;
	case OPT_MAX_PER_HOST:
		cfg->max_per_host =
		    (unsigned)cli_parse_num(arg, 1, 1024, "--max-per-host");
		break;
	case OPT_MAX_ASSOCS:
		cfg->max_assocs = (uint64_t)cli_parse_num(
		    arg, 1, 1000000000000LL, "--max-assocs");
		break;
	case OPT_MAX_FILES:
		cfg->max_files = (uint64_t)cli_parse_num(
		    arg, 1, 1000000000000LL, "--max-files");
		break;
	case OPT_MAX_PDU:
		cfg->max_pdu = max_pdu(arg);
		break;
	default:
		parse_fault(&cfg->faults, c, arg);
	}
}

/* --max-object-size, --min-free-space, --validate, --quarantine */
static void
parse_debris(struct storescp_config *cfg, int c, const char *arg)
{
	struct cs_err err = { 0, "" };

	if (c == OPT_VALIDATE)
		cfg->validate = 1;
	else if (c == OPT_QUARANTINE)
		cfg->quarantine_dir = arg;
	else if (c == OPT_MAX_OBJECT_SIZE)
		need_ok(cli_parse_size(arg, "--max-object-size",
			    &cfg->max_object_size, &err),
		    &err);
	else if (c == OPT_MIN_FREE_SPACE)
		need_ok(cli_parse_size(arg, "--min-free-space",
			    &cfg->min_free_space, &err),
		    &err);
	else
		parse_limit(cfg, c, arg);
}

/* The sandbox and the --exec helper. */
static void
parse_sandbox(struct recv_args *a, int c, char *arg)
{
	switch (c) {
	case OPT_EXEC_JOBS:
		a->exec_jobs =
		    (unsigned)cli_parse_num(arg, 1, 4096, "--exec-jobs");
		break;
	case OPT_NO_SANDBOX:
		a->no_sandbox = 1;
		break;
	case OPT_SANDBOX_PROBE:
		a->sandbox_probe = arg;
		break;
	case OPT_USER:
		if (arg[0] == '\0')
			cli_usage_error("--user: expected a user name");
		a->user = arg;
		break;
	default:
		parse_debris(&a->cfg, c, arg);
	}
}

/* Behind a load balancer, and sharing the port. */
static void
parse_deploy(struct recv_args *a, int c, char *arg)
{
	switch (c) {
	case OPT_PROXY_FROM:
		add(a->proxy_from, &a->cfg.n_proxy_from, arg,
		    "--proxy-from entries");
		break;
	case OPT_PROXY_PROTOCOL:
		a->cfg.proxy_protocol = 1;
		break;
	case OPT_REUSE_PORT:
		a->cfg.reuse_port = 1;
		break;
	case OPT_COMMIT:
		a->cfg.commit = 1;
		break;
	case OPT_COMMIT_DELAY:
		recv_commit_delay(a, arg);
		break;
	case OPT_COMMIT_FAIL:
		recv_commit_fail(a, arg);
		break;
	case OPT_COMMIT_PEER:
		recv_commit_peer(a, arg);
		break;
	case OPT_COMMIT_RESPOND:
		recv_commit_respond(a, arg);
		break;
	default:
		if (!tls_args_parse(&a->cfg.tls, c, arg))
			parse_sandbox(a, c, arg);
	}
}

/* --port-file's FILE: written to a new FILE.XXXXXXXX.tmp (random, no
 * link followed) renamed onto it, which would
 * replace a device (/dev/null), FIFO or socket there with a regular
 * file: an existing FILE must be one (a usage error before anything is
 * bound, not a failure to write after, exit 6). */
static const char *
port_file_arg(const char *arg)
{
	struct stat sb;

	if (arg[0] == '\0')
		cli_usage_error("--port-file: expected a file name");
	if (stat(arg, &sb) == 0 && !S_ISREG(sb.st_mode))
		cli_usage_error("--port-file: '%s' is not a regular file "
				"(it would be replaced by one)",
		    arg);
	return arg;
}

/* The options without a short form. */
static void
parse_long(struct recv_args *a, int c, char *arg)
{
	struct cs_err err = { 0, "" };

	switch (c) {
	case OPT_ACCEPT_TS:
		add_ts_list(a, arg);
		break;
	case OPT_TS:
		add_ts(a, arg);
		break;
	case OPT_ALLOW:
		add(a->allow, &a->cfg.n_allow, arg, "--allow entries");
		break;
	case OPT_FSYNC:
		a->cfg.fsync = 1;
		break;
	case OPT_JSON:
		a->fmt = CLI_JSON;
		break;
	case OPT_LAYOUT:
		a->cfg.layout = arg;
		break;
	case OPT_ON_DUPLICATE:
		need_ok(cli_parse_dup(arg, &a->cfg.on_duplicate, &err), &err);
		break;
	case OPT_PORT_FILE:
		a->port_file = port_file_arg(arg);
		break;
	case OPT_REJECT_SOP_CLASS:
		add_class(a->refused, &a->cfg.n_reject_sop_classes, arg,
		    "refused SOP classes");
		break;
	case OPT_SOP_CLASS:
		add_class(
		    a->classes, &a->cfg.n_sop_classes, arg, "SOP classes");
		break;
	case OPT_STRICT_AET:
		a->cfg.strict_aet = 1;
		break;
	case OPT_HASH_PASSWORD:
		recv_hash_password(arg);
	case OPT_REQUIRE_IDENTITY:
		a->cfg.require_identity = 1;
		break;
	case OPT_USERS:
		a->users_file = arg;
		break;
	case OPT_VERSION:
		cli_print_version();
	default:
		parse_deploy(a, c, arg);
	}
}

/* The options with a short form. */
static void
parse_short(struct recv_args *a, int c, char *arg)
{
	switch (c) {
	case '0':
		a->nul = 1;
		break;
	case 'a':
		a->cfg.aet = arg;
		break;
	case 'd':
		a->trace = 1;
		break;
	case 'h':
		help();
		break;
	case 'o':
		if (arg[0] == '\0')
			cli_usage_error(
			    "-o (--output-dir): expected a directory");
		a->cfg.output_dir = arg;
		break;
	case 'q': /* -q and -v: the last wins, as in DCMTK */
		a->quiet = 1, a->verbose = 0;
		break;
	case 't':
		a->cfg.timeout_ms = seconds_ms(arg, 86400, "timeout");
		break;
	case 'v':
		a->verbose = 1, a->quiet = 0;
		break;
	default:
		parse_long(a, c, arg);
	}
}

int
recv_args_parse(struct recv_args *a, int argc, char **argv)
{
	int c;

	memset(a, 0, sizeof(*a));
	storescp_config_init(&a->cfg);
	a->cfg.allow = a->allow;
	a->cfg.sop_classes = a->classes;
	a->cfg.reject_sop_classes = a->refused;
	a->cfg.ts = a->ts;
	a->cfg.proxy_from = a->proxy_from;
	a->cfg.commit_peers = a->commit_peers;
	a->fmt = CLI_TSV;
	/* '+': options come before the operand, so that --exec can take the
	 * words up to ';' as its own. */
	while ((c = cli_getopt(argc, argv, "+0a:dho:qt:v", longopts)) != -1) {
		if (c == OPT_EXEC)
			a->exec_argv = take_command(argc, argv, "--exec");
		else if (c == OPT_IDENTITY_HOOK)
			a->identity_hook_argv =
			    take_command(argc, argv, "--identity-hook");
		else
			parse_short(a, c, optarg);
	}
	return optind;
}

void
recv_args_check(struct recv_args *a, int argc, char **argv)
{
	/* No operand: the socket systemd passed, if any. */
	if (argc < 1 &&
	    (a->cfg.listen_fd = cli_systemd_socket()) ==
		STORESCP_NO_LISTEN_FD) {
		fprintf(stderr, "%s: missing port\n", cli_progname());
		cli_usage_exit(synopsis);
	}
	if (argc > 1)
		cli_usage_error(
		    "unexpected argument '%s' (options go before the port)",
		    argv[1]);
	if (a->fmt == CLI_JSON && a->nul)
		cli_usage_error("--json and -0 exclude each other");
	if (a->cfg.n_proxy_from > 0 && !a->cfg.proxy_protocol)
		cli_usage_error("--proxy-from needs --proxy-protocol");
	if (a->cfg.quarantine_dir != NULL && !a->cfg.validate)
		cli_usage_error("--quarantine needs --validate");
	/* a user that does not exist: said before the port is bound (and
	 * "listening on" said, the port file written), not after */
	errno = 0;
	if (a->user != NULL && getpwnam(a->user) == NULL)
		cli_usage_error("--user '%s': %s", a->user,
		    errno != 0 ? strerror(errno) : "no such user");
	tls_args_check(&a->cfg.tls, 1);
	/* without --tls-ca no client certificate is asked for: a subject
	 * could never match */
	for (size_t i = 0;
	     a->cfg.tls.enabled && a->cfg.tls.ca == NULL && i < a->cfg.n_allow;
	     i++)
		if (strncmp(a->cfg.allow[i], "subject=", 8) == 0)
			cli_usage_error(
			    "--allow '%s': no client certificate is "
			    "asked for without --tls-ca",
			    a->cfg.allow[i]);
	a->host[0] = '\0';
	snprintf(a->port, sizeof(a->port), "0");
	if (argc >= 1 &&
	    net_split_hostport(argv[0], a->host, sizeof(a->host), a->port,
		sizeof(a->port)) != 0)
		cli_usage_error("address '%s': expected [ADDR:]PORT", argv[0]);
	cli_parse_num(a->port, 0, 65535, "port");
	if (strlen(a->cfg.aet) == 0 || strlen(a->cfg.aet) > 16)
		cli_usage_error(
		    "AE title '%s': must be 1-16 characters", a->cfg.aet);
	a->cfg.host = a->host[0] != '\0' ? a->host : NULL;
	a->cfg.port = a->port;
	recv_identity_check(a);
}
