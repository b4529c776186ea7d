/*
 * dcmrecv - receive DICOM objects (Storage SCP) into a directory, one
 * line per stored file on stdout.  A thin front end over libstorescp:
 * options, output, exit codes.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cstore/cstore.h"
#include "cstore/storescp.h"
#include "cli/cli.h"
#include "cli/listen_fds.h"
#include "net/net.h"

enum {
	OPT_ABORT_AFTER = 256,
	OPT_ABORT_ON,
	OPT_ACCEPT_TS,
	OPT_ALLOW,
	OPT_ASYNC,
	OPT_DELAY,
	OPT_EXEC,
	OPT_FSYNC,
	OPT_GRACE,
	OPT_IDLE_TIMEOUT,
	OPT_JSON,
	OPT_LAYOUT,
	OPT_MAX_ASSOCIATIONS,
	OPT_MAX_ASSOCS,
	OPT_MAX_FILES,
	OPT_MAX_PDU,
	OPT_ON_DUPLICATE,
	OPT_PORT_FILE,
	OPT_PROXY_FROM,
	OPT_PROXY_PROTOCOL,
	OPT_REJECT,
	OPT_REJECT_SOP_CLASS,
	OPT_RESPOND,
	OPT_RESPOND_EVERY,
	OPT_REUSE_PORT,
	OPT_SOP_CLASS,
	OPT_STRICT_AET,
	OPT_TS,
	OPT_VERSION,
};

static const struct option longopts[] = {
	{ "abort-after", required_argument, NULL, OPT_ABORT_AFTER },
	{ "abort-on", required_argument, NULL, OPT_ABORT_ON },
	{ "accept-ts", required_argument, NULL, OPT_ACCEPT_TS },
	{ "aet", required_argument, NULL, 'a' },
	{ "allow", required_argument, NULL, OPT_ALLOW },
	{ "async", required_argument, NULL, OPT_ASYNC },
	{ "delay", required_argument, NULL, OPT_DELAY },
	{ "exec", required_argument, NULL, OPT_EXEC },
	{ "fsync", no_argument, NULL, OPT_FSYNC },
	{ "grace", required_argument, NULL, OPT_GRACE },
	{ "help", no_argument, NULL, 'h' },
	{ "idle-timeout", required_argument, NULL, OPT_IDLE_TIMEOUT },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "layout", required_argument, NULL, OPT_LAYOUT },
	{ "max-associations", required_argument, NULL, OPT_MAX_ASSOCIATIONS },
	{ "max-assocs", required_argument, NULL, OPT_MAX_ASSOCS },
	{ "max-files", required_argument, NULL, OPT_MAX_FILES },
	{ "max-pdu", required_argument, NULL, OPT_MAX_PDU },
	{ "null", no_argument, NULL, '0' },
	{ "on-duplicate", required_argument, NULL, OPT_ON_DUPLICATE },
	{ "output-dir", required_argument, NULL, 'o' },
	{ "port-file", required_argument, NULL, OPT_PORT_FILE },
	{ "proxy-from", required_argument, NULL, OPT_PROXY_FROM },
	{ "proxy-protocol", no_argument, NULL, OPT_PROXY_PROTOCOL },
	{ "quiet", no_argument, NULL, 'q' },
	{ "reject", required_argument, NULL, OPT_REJECT },
	{ "reject-sop-class", required_argument, NULL, OPT_REJECT_SOP_CLASS },
	{ "respond", required_argument, NULL, OPT_RESPOND },
	{ "respond-every", required_argument, NULL, OPT_RESPOND_EVERY },
	{ "reuse-port", no_argument, NULL, OPT_REUSE_PORT },
	{ "sop-class", required_argument, NULL, OPT_SOP_CLASS },
	{ "strict-aet", no_argument, NULL, OPT_STRICT_AET },
	{ "timeout", required_argument, NULL, 't' },
	{ "trace", no_argument, NULL, 'd' },
	{ "ts", required_argument, NULL, OPT_TS },
	{ "verbose", no_argument, NULL, 'v' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

#define MAX_LIST 256

static struct {
	int json, nul, quiet;
	pthread_mutex_t out_mu;
	int out_failed;
	struct storescp *srv;
} g = { .out_mu = PTHREAD_MUTEX_INITIALIZER };

static void
usage_lines(FILE *f)
{
	fprintf(f,
	    "usage: %s [-0dqv] [-a aetitle] [-o dir] [-t seconds] [--layout template]\n"
	    "               [--json] [--port-file file] [--strict-aet] [--allow aet[@host]]\n"
	    "               [--sop-class class] [--ts syntax] [--accept-ts list]\n"
	    "               [--on-duplicate policy] [--fsync] [--max-associations n]\n"
	    "               [--max-pdu bytes] [--async n] [--max-files n] [--max-assocs n]\n"
	    "               [--idle-timeout s] [--grace s] [--exec cmd [arg ...] ;]\n"
	    "               [--respond status] [--respond-every n:status] [--reject how]\n"
	    "               [--abort-after n] [--abort-on uid] [--delay ms]\n"
	    "               [--reject-sop-class class] [--proxy-protocol]\n"
	    "               [--proxy-from addr[/bits]] [--reuse-port] [[addr:]port]\n",
	    cli_progname());
}

static void
help(void)
{
	usage_lines(stdout);
	printf("\n"
	    "Receive DICOM objects (C-STORE, C-ECHO) and write each one atomically into a\n"
	    "directory; print one line per stored file once it is in place.\n\n"
	    "  -a, --aet AETITLE          our AE title (default DCMRECV)\n"
	    "  -o, --output-dir DIR       where files go (default .)\n"
	    "      --layout TEMPLATE      file name template (default {SOPInstanceUID}.dcm);\n"
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
	    "      --allow AET[@HOST]     admit only these calling AE titles (repeatable)\n"
	    "      --sop-class CLASS      accept only these SOP classes (repeatable)\n"
	    "      --reject-sop-class CLASS  refuse this SOP class (repeatable)\n"
	    "      --ts SYNTAX            accept only these transfer syntaxes, in this\n"
	    "                             order of preference (repeatable)\n"
	    "      --accept-ts LIST       the same as a comma-separated list\n"
	    "      --max-associations N   at once (default 32); beyond: transient rejection\n"
	    "      --max-pdu BYTES        largest PDU we accept, 4096-16777216 or 0 for no\n"
	    "                             limit (default 262144)\n"
	    "      --async N              accept up to N outstanding C-STOREs per\n"
	    "                             association when the sender proposes an\n"
	    "                             asynchronous operations window; default 16;\n"
	    "                             1 = synchronous\n"
	    "  -t, --timeout S            ARTIM and peer silence limit (default 30)\n"
	    "      --max-files N          exit after N stored files\n"
	    "      --max-assocs N         exit after N associations\n"
	    "      --idle-timeout S       exit after S seconds without an association\n"
	    "      --grace S              on SIGTERM/SIGINT, time for transfers in flight\n"
	    "                             (default 10)\n"
	    "      --proxy-protocol       every connection begins with a PROXY protocol\n"
	    "                             v1/v2 header (HAProxy send-proxy[-v2]); the\n"
	    "                             client it names is the peer\n"
	    "      --proxy-from ADDR[/BITS]  accept PROXY headers only from these\n"
	    "                             balancers (repeatable)\n"
	    "      --reuse-port           share the port with other dcmrecv processes\n"
	    "                             (SO_REUSEPORT)\n"
	    "Without [ADDR:]PORT, serve the socket passed by systemd (LISTEN_FDS).\n");
	printf(
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
	    "  -q, --quiet                no notes or warnings on stderr\n"
	    "  -h, --help                 this help\n"
	    "      --version              print the version\n"
	    "\n"
	    "Output: PATH, SOP Class UID, SOP Instance UID, calling AE title, peer.\n"
	    "Exit status: 0 stopped cleanly, 2 usage, 6 cannot listen or cannot write the\n"
	    "output directory, the port file or standard output, 70 internal error.\n");
	exit(EXIT_OK);
}

static void
usage(void)
{
	usage_lines(stderr);
	cli_help_hint();
	exit(EXIT_USAGE);
}

static void
on_log(void *user, int level, const char *line)
{
	(void)user;
	if (level == STORESCP_LOG_ERROR && g.quiet)
		return;
	fprintf(stderr, "%s: %s\n", cli_progname(), line);
}

static void
on_stored(void *user, const struct storescp_stored *st)
{
	char peer[96];
	int bad;

	(void)user;
	snprintf(peer, sizeof(peer), "%s", st->peer);
	pthread_mutex_lock(&g.out_mu);
	if (g.nul) {
		fputs(st->path, stdout);
		putchar('\0');
	} else if (g.json) {
		json_object *j = json_object_new_object();
		char hex[8];

		snprintf(hex, sizeof(hex), "%04X", st->status);
		json_object_object_add(j, "path", json_object_new_string(st->path));
		json_object_object_add(j, "sop_class", json_object_new_string(st->sop_class));
		json_object_object_add(j, "sop_instance",
		    json_object_new_string(st->sop_instance));
		json_object_object_add(j, "calling_ae",
		    json_object_new_string(st->calling_ae));
		json_object_object_add(j, "peer", json_object_new_string(peer));
		json_object_object_add(j, "transfer_syntax",
		    json_object_new_string(st->ts_uid));
		json_object_object_add(j, "bytes", json_object_new_int64((int64_t)st->bytes));
		json_object_object_add(j, "status", json_object_new_string(hex));
		json_object_object_add(j, "called_ae",
		    json_object_new_string(st->called_ae));
		json_object_object_add(j, "association",
		    json_object_new_int64(st->assoc_id));
		json_object_object_add(j, "kept", json_object_new_boolean(st->kept));
		puts(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN));
		json_object_put(j);
	} else {
		const char *f[5] = { st->path, st->sop_class, st->sop_instance,
			st->calling_ae, peer };

		cli_tsv_line(stdout, 5, f);
	}
	bad = fflush(stdout) != 0 || ferror(stdout);
	if (bad && !g.out_failed) {
		g.out_failed = 1;
		fprintf(stderr, "%s: cannot write to standard output: %s: stopping\n",
		    cli_progname(), strerror(errno));
		storescp_request_stop(g.srv);
	}
	pthread_mutex_unlock(&g.out_mu);
}

static void
on_signal(int sig)
{
	(void)sig;
	if (g.srv != NULL)
		storescp_request_stop(g.srv);
}

static int
write_port_file(const char *path, unsigned port)
{
	char tmp[4096];
	FILE *f;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp%ld", path, (long)getpid()) >=
	    (int)sizeof(tmp))
		return -1;
	f = fopen(tmp, "w");
	if (f == NULL)
		return -1;
	fprintf(f, "%u\n", port);
	if (fclose(f) != 0 || rename(tmp, path) != 0) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

static void
add(const char **list, size_t *n, const char *v, const char *what)
{
	if (*n >= MAX_LIST)
		cli_usage_error("too many %s (at most %d)", what, MAX_LIST);
	list[(*n)++] = v;
}

static void
need_ok(int rc, const struct cs_err *err)
{
	if (rc != 0)
		cli_usage_error("%s", err->msg);
}

/* The one socket systemd passed (fd 3), or 0 when none was. */
static int
systemd_socket(void)
{
	int n = cli_listen_fds();

	if (n > 1)
		cli_usage_error("systemd passed %d sockets: expected one", n);
	return n == 1 ? 3 : 0;
}

int
main(int argc, char **argv)
{
	static const char *allow[MAX_LIST], *classes[MAX_LIST],
	    *refused[MAX_LIST], *ts[MAX_LIST], *proxy_from[MAX_LIST];
	struct storescp_config cfg;
	struct cs_err err = { 0, "" };
	struct sigaction sa;
	const char *port_file = NULL;
	char host[256], port[32], bound[64];
	unsigned bport;
	int c, verbose = 0, trace = 0, rc;

	memset(&cfg, 0, sizeof(cfg));
	cfg.allow = allow;
	cfg.sop_classes = classes;
	cfg.reject_sop_classes = refused;
	cfg.ts = ts;
	cfg.proxy_from = proxy_from;
	/* '+': options come before the operand, so that --exec can take the
	 * words up to ';' as its own. */
	while ((c = getopt_long(argc, argv, "+0a:dho:qt:v", longopts, NULL)) != -1) {
		switch (c) {
		case '0':
			g.nul = 1;
			break;
		case 'a':
			cfg.aet = optarg;
			break;
		case 'd':
			trace = 1;
			break;
		case 'h':
			help();
			break;
		case 'o':
			cfg.output_dir = optarg;
			break;
		case 'q':
			g.quiet = 1;
			break;
		case 't':
			cfg.timeout_ms = (unsigned)cli_parse_num(optarg, 1, 86400, "timeout") * 1000u;
			break;
		case 'v':
			verbose = 1;
			break;
		case OPT_ABORT_AFTER:
			cfg.faults.abort_after = (unsigned)cli_parse_num(optarg, 1, 1000000000, "--abort-after");
			break;
		case OPT_ABORT_ON:
			if (optarg[0] == '\0' || strlen(optarg) > 64)
				cli_usage_error("--abort-on '%s': expected a SOP Instance UID", optarg);
			cfg.abort_on_instance = optarg;
			break;
		case OPT_ACCEPT_TS: {
			char *list = optarg, *p;

			while ((p = strsep(&list, ",")) != NULL) {
				const char *uid;

				need_ok(storescp_ts_uid(p, &uid, &err), &err);
				add(ts, &cfg.n_ts, uid, "transfer syntaxes");
			}
			break;
		}
		case OPT_ALLOW:
			add(allow, &cfg.n_allow, optarg, "--allow entries");
			break;
		case OPT_ASYNC:
			cfg.async_window = (unsigned)cli_parse_num(optarg, 1, 65535, "--async");
			break;
		case OPT_DELAY:
			cfg.faults.delay_ms = (unsigned)cli_parse_num(optarg, 0, 3600000, "--delay");
			break;
		case OPT_EXEC: {
			int i = optind;

			while (i < argc && strcmp(argv[i], ";") != 0)
				i++;
			if (i >= argc)
				cli_usage_error("--exec: missing ';' after the command");
			argv[i] = NULL;
			/* optarg is argv[optind - 1]: the command. */
			cfg.exec_argv = (const char *const *)&argv[optind - 1];
			optind = i + 1;
			break;
		}
		case OPT_FSYNC:
			cfg.fsync = 1;
			break;
		case OPT_GRACE:
			cfg.grace_ms = (unsigned)cli_parse_num(optarg, 1, 86400, "grace time") * 1000u;
			break;
		case OPT_IDLE_TIMEOUT:
			cfg.idle_timeout_ms = (unsigned)cli_parse_num(optarg, 1, 86400 * 30, "idle timeout") * 1000u;
			break;
		case OPT_JSON:
			g.json = 1;
			break;
		case OPT_LAYOUT:
			cfg.layout = optarg;
			break;
		case OPT_MAX_ASSOCIATIONS:
			cfg.max_associations = (unsigned)cli_parse_num(optarg, 1, 1024, "--max-associations");
			break;
		case OPT_MAX_ASSOCS:
			cfg.max_assocs = (uint64_t)cli_parse_num(optarg, 1, 1000000000000LL, "--max-assocs");
			break;
		case OPT_MAX_FILES:
			cfg.max_files = (uint64_t)cli_parse_num(optarg, 1, 1000000000000LL, "--max-files");
			break;
		case OPT_MAX_PDU: {
			long long v = cli_parse_num(optarg, 0, 16 * 1024 * 1024, "max PDU length");

			if (v != 0 && v < 4096)
				cli_usage_error("max PDU length '%s': out of range (4096-%d, or 0)",
				    optarg, 16 * 1024 * 1024);
			cfg.max_pdu = v == 0 ? 0xffffffffu : (uint32_t)v;
			break;
		}
		case OPT_ON_DUPLICATE:
			need_ok(storescp_parse_dup(optarg, &cfg.on_duplicate, &err), &err);
			break;
		case OPT_PORT_FILE:
			port_file = optarg;
			break;
		case OPT_PROXY_FROM:
			add(proxy_from, &cfg.n_proxy_from, optarg, "--proxy-from entries");
			break;
		case OPT_PROXY_PROTOCOL:
			cfg.proxy_protocol = 1;
			break;
		case OPT_REUSE_PORT:
			cfg.reuse_port = 1;
			break;
		case OPT_REJECT:
			need_ok(storescp_parse_reject(optarg, &cfg.faults, &err), &err);
			break;
		case OPT_REJECT_SOP_CLASS: {
			const char *uid;

			need_ok(storescp_sop_class_uid(optarg, &uid, &err), &err);
			add(refused, &cfg.n_reject_sop_classes, uid, "refused SOP classes");
			break;
		}
		case OPT_RESPOND:
			need_ok(storescp_parse_status(optarg, &cfg.faults.respond_status,
			    &err), &err);
			cfg.faults.respond = 1;
			break;
		case OPT_RESPOND_EVERY:
			need_ok(storescp_parse_respond_every(optarg, &cfg.faults, &err), &err);
			break;
		case OPT_SOP_CLASS: {
			const char *uid;

			need_ok(storescp_sop_class_uid(optarg, &uid, &err), &err);
			add(classes, &cfg.n_sop_classes, uid, "SOP classes");
			break;
		}
		case OPT_STRICT_AET:
			cfg.strict_aet = 1;
			break;
		case OPT_TS: {
			const char *uid;

			need_ok(storescp_ts_uid(optarg, &uid, &err), &err);
			add(ts, &cfg.n_ts, uid, "transfer syntaxes");
			break;
		}
		case OPT_VERSION:
			cli_print_version();
			break;
		default:
			usage();
		}
	}
	if (optind >= argc && (cfg.listen_fd = systemd_socket()) == 0) {
		fprintf(stderr, "%s: missing port\n", cli_progname());
		usage();
	}
	if (optind + 1 < argc)
		cli_usage_error("unexpected argument '%s' (options go before the port)",
		    argv[optind + 1]);
	if (g.json && g.nul)
		cli_usage_error("--json and -0 exclude each other");
	if (cfg.n_proxy_from > 0 && !cfg.proxy_protocol)
		cli_usage_error("--proxy-from needs --proxy-protocol");
	host[0] = '\0';
	snprintf(port, sizeof(port), "0");
	if (optind < argc && net_split_hostport(argv[optind], host, sizeof(host),
	    port, sizeof(port)) != 0)
		cli_usage_error("address '%s': expected [ADDR:]PORT", argv[optind]);
	cli_parse_num(port, 0, 65535, "port");
	if (cfg.aet != NULL && (strlen(cfg.aet) == 0 || strlen(cfg.aet) > 16))
		cli_usage_error("AE title '%s': must be 1-16 characters", cfg.aet);
	cfg.host = host[0] ? host : NULL;
	cfg.port = port;
	cfg.on_stored = on_stored;
	cfg.log = on_log;
	cfg.log_level = trace ? STORESCP_LOG_TRACE :
	    verbose ? STORESCP_LOG_VERBOSE : STORESCP_LOG_ERROR;

	rc = storescp_new(&cfg, &g.srv, &err);
	if (rc != 0) {
		fprintf(stderr, "%s: %s\n", cli_progname(), err.msg);
		if (rc == CS_E_INVAL)
			exit(EXIT_USAGE);
		exit(rc == CS_E_NOMEM ? EXIT_INTERNAL : EXIT_OUTPUT);
	}
	storescp_addr(g.srv, bound, sizeof(bound), &bport);
	if (port_file != NULL && write_port_file(port_file, bport) != 0) {
		fprintf(stderr, "%s: cannot write the port file '%s': %s\n",
		    cli_progname(), port_file, strerror(errno));
		storescp_free(g.srv);
		exit(EXIT_OUTPUT);
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	if (!g.quiet)
		fprintf(stderr, strchr(bound, ':') ? "%s: listening on [%s]:%u\n" :
		    "%s: listening on %s:%u\n", cli_progname(), bound, bport);
	rc = storescp_run(g.srv, &err);
	/* From here a late signal must not reach a server being freed. */
	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, SIGTERM);
	sigaddset(&sa.sa_mask, SIGINT);
	sigprocmask(SIG_BLOCK, &sa.sa_mask, NULL);
	if (rc != 0)
		fprintf(stderr, "%s: %s\n", cli_progname(), err.msg);
	if (verbose) {
		struct storescp_stats st;

		storescp_get_stats(g.srv, &st);
		fprintf(stderr, "%s: %llu stored, %llu refused, %llu associations, %llu rejected, %llu aborted\n",
		    cli_progname(), (unsigned long long)st.stored,
		    (unsigned long long)st.failed,
		    (unsigned long long)st.associations,
		    (unsigned long long)st.rejected, (unsigned long long)st.aborted);
	}
	storescp_free(g.srv);
	if (rc != 0)
		return EXIT_OUTPUT;
	return g.out_failed ? EXIT_OUTPUT : EXIT_OK;
}
