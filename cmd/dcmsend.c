/*
 * dcmsend - send DICOM files to a Storage SCP; --echo verifies a peer.
 * A thin front end over libstorescu: options, output, exit codes.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cstore/cstore.h"
#include "cstore/storescu.h"
#include "cli/cli.h"
#include "core/status.h"
#include "storescu/inputs.h"

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
	{ "trace", no_argument, NULL, 'd' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

struct opts {
	struct storescu_config cfg;
	struct storescu_send_opts send;
	int echo, json, quiet, verbose, trace, nul, probe;
	int progress;            /* -1 auto (a terminal), 0 off, 1 on */
	int progress_shown, stdout_tty;
	uint64_t progress_last_us;
};

static void
usage_lines(FILE *f)
{
	fprintf(f,
	    "Usage: %s [-0dqv] [-a aetitle] [-c called] [-j jobs] [--async n]\n"
	    "               [--per-assoc n] [--retry n] [--retry-delay ms] [--resume log]\n"
	    "               [--no-transcode | --lossy] [--dry-run [--probe]] [--json]\n"
	    "               [--progress | --no-progress] [--max-pdu bytes]\n"
	    "               [--connect-timeout s] [--acse-timeout s] [--dimse-timeout s]\n"
	    "               host port [file | dir | - ...]\n"
	    "       %s --echo [-dqv] [-a aetitle] [-c called] [--json] host port\n",
	    cli_progname(), cli_progname());
}

static void
help(void)
{
	usage_lines(stdout);
	printf("\n"
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
	    "\n"
	    "Output: STATUS<TAB>PATH<TAB>SOPClassUID<TAB>SOPInstanceUID<TAB>DETAIL per input.\n"
	    "Exit status: 0 every input stored, 1 some not stored, 2 usage or no input\n"
	    "at all, 3 peer unreachable, 4 association rejected or nothing acceptable,\n"
	    "5 aborted or protocol error, 6 cannot write the output.\n",
	    STORESCU_MAX_WINDOW, STORESCU_DEFAULT_WINDOW,
	    16u * 1024u * 1024u, 256u * 1024u);
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
print_trace(void *user, const char *line)
{
	(void)user;
	fprintf(stderr, "%s: %s\n", cli_progname(), line);
}

static int
exit_for(int rc)
{
	switch (rc) {
	case 0:
		return EXIT_OK;
	case CS_E_UNREACHABLE:
	case CS_E_NONAME:
	case CS_E_TIMEOUT:
		return EXIT_UNREACHABLE;
	case CS_E_REJECTED:
		return EXIT_REJECTED;
	case CS_E_ABORTED:
	case CS_E_CLOSED:
	case CS_E_PROTO:
	case CS_E_NET:
		return EXIT_ABORTED;
	case CS_E_INVAL:
		return EXIT_USAGE;
	default:
		return EXIT_INTERNAL;
	}
}

/* Milliseconds with three decimals, as a JSON number. */
static json_object *
ms_value(unsigned us)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%.3f", us / 1000.0);
	return json_object_new_double_s(us / 1000.0, buf);
}

static int
do_echo(struct opts *o)
{
	struct storescu_echo_result r;
	struct cs_err err = { 0, "" };
	struct status_info si;
	char hex[8];
	int rc;

	rc = storescu_echo(&o->cfg, &r, &err);
	if (rc != 0) {
		fprintf(stderr, "%s: echo to '%s' port %s failed: %s\n",
		    cli_progname(), o->cfg.host, o->cfg.port,
		    err.code ? err.msg : cs_strerror(rc));
		return exit_for(rc);
	}
	status_explain(r.status, "C-ECHO", &si);
	if (o->json) {
		json_object *j = json_object_new_object();

		json_object_object_add(j, "host", json_object_new_string(o->cfg.host));
		json_object_object_add(j, "port", json_object_new_string(o->cfg.port));
		snprintf(hex, sizeof(hex), "%04X", r.status);
		json_object_object_add(j, "status", json_object_new_string(hex));
		json_object_object_add(j, "category",
		    json_object_new_string(status_category_name(si.category)));
		json_object_object_add(j, "association_ms", ms_value(r.assoc_us));
		json_object_object_add(j, "echo_ms", ms_value(r.echo_us));
		json_object_object_add(j, "peer_max_pdu",
		    json_object_new_int64(r.peer_max_pdu));
		json_object_object_add(j, "peer_implementation_class_uid",
		    json_object_new_string(r.peer_impl_class_uid));
		json_object_object_add(j, "peer_implementation_version",
		    json_object_new_string(r.peer_impl_version));
		puts(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN));
		json_object_put(j);
	} else {
		printf("%04X\t%s\t%s:%s\tassociation %.1f ms\techo %.1f ms\n",
		    r.status, status_category_name(si.category), o->cfg.host,
		    o->cfg.port, r.assoc_us / 1000.0, r.echo_us / 1000.0);
	}
	fflush(stdout);
	if (o->verbose) {
		fprintf(stderr, "%s: peer max PDU length %u%s\n", cli_progname(),
		    (unsigned)r.peer_max_pdu, r.peer_max_pdu ? "" : " (no limit)");
		fprintf(stderr, "%s: peer implementation class UID %s, version name '%s'\n",
		    cli_progname(), r.peer_impl_class_uid[0] ? r.peer_impl_class_uid : "(none)",
		    r.peer_impl_version);
	}
	if (!status_is_stored(si.category) || r.status != 0) {
		if (!o->quiet && r.status != 0)
			fprintf(stderr, "%s: the peer answered the echo with status %04X: %s\n",
			    cli_progname(), r.status,
			    si.std ? si.std->meaning : status_category_name(si.category));
		return r.status == 0 ? EXIT_OK : EXIT_NO;
	}
	return EXIT_OK;
}

/* Clears the progress line before anything else is written under it. */
static void
progress_clear(struct opts *o)
{
	if (o->progress_shown) {
		fputs("\r\033[K", stderr);
		o->progress_shown = 0;
	}
}

static void
print_note(void *user, const char *line)
{
	struct opts *o = user;

	if (o->verbose) {
		progress_clear(o);
		fprintf(stderr, "%s: %s\n", cli_progname(), line);
	}
}

static void
on_progress(void *user, const struct storescu_progress *p)
{
	struct opts *o = user;
	double secs = p->elapsed_us / 1e6, rate, eta;

	if (o->progress <= 0)
		return;
	if (p->files_done < p->files_total &&
	    p->elapsed_us - o->progress_last_us < 200000)
		return;
	o->progress_last_us = p->elapsed_us;
	rate = secs > 0 ? p->bytes_done / secs : 0;
	eta = rate > 0 ? (p->bytes_total - p->bytes_done) / rate : 0;
	fprintf(stderr, "\r\033[K%s: %zu/%zu files, %.1f/%.1f MB, %.1f MB/s, ETA %um%02us",
	    cli_progname(), p->files_done, p->files_total, p->bytes_done / 1e6,
	    p->bytes_total / 1e6, rate / 1e6, (unsigned)eta / 60, (unsigned)eta % 60);
	fflush(stderr);
	o->progress_shown = 1;
}

static void
json_str(json_object *j, const char *key, const char *v)
{
	json_object_object_add(j, key, json_object_new_string(v));
}

static void
on_result(void *user, const struct storescu_result *r)
{
	struct opts *o = user;
	char st[32], detail[1100];
	struct status_info si;

	if (r->has_status)
		snprintf(st, sizeof(st), "%04X", r->status);
	else
		snprintf(st, sizeof(st), "%s", storescu_outcome_word(r->outcome));
	snprintf(detail, sizeof(detail), "%s%s%s", r->error_comment,
	    r->error_comment[0] && r->detail[0] ? "; " : "", r->detail);
	if (o->stdout_tty)
		progress_clear(o);
	if (o->json) {
		json_object *j = json_object_new_object();

		json_str(j, "path", r->path);
		json_str(j, "status", st);
		if (r->has_status) {
			status_explain(r->status, "C-STORE", &si);
			json_str(j, "category", status_category_name(si.category));
		} else {
			json_object_object_add(j, "category", NULL);
		}
		json_str(j, "outcome", storescu_outcome_word(r->outcome));
		json_str(j, "sop_class_uid", r->sop_class);
		json_str(j, "sop_instance_uid", r->sop_instance);
		json_str(j, "transfer_syntax", r->ts_original);
		json_str(j, "sent_transfer_syntax", r->ts_sent);
		json_object_object_add(j, "transcoded", json_object_new_boolean(r->transcoded));
		json_object_object_add(j, "bytes", json_object_new_int64((int64_t)r->bytes));
		json_str(j, "error_comment", r->error_comment);
		json_str(j, "detail", r->detail);
		json_object_object_add(j, "association", json_object_new_int64(r->assoc));
		json_object_object_add(j, "attempts", json_object_new_int64(r->attempts));
		json_object_object_add(j, "ms", json_object_new_int64(r->ms));
		puts(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN));
		json_object_put(j);
		fflush(stdout);
	} else {
		const char *f[5] = { st, r->path, r->sop_class, r->sop_instance, detail };

		cli_tsv_line(stdout, 5, f);
	}
}

static void
on_plan(void *user, const struct storescu_plan_assoc *a)
{
	struct opts *o = user;
	json_object *j, *pcs, *pc, *ts;
	char buf[1200], num[3][32];
	unsigned m, t;
	size_t len;

	if (o->json) {
		j = json_object_new_object();
		json_object_object_add(j, "association", json_object_new_int64(a->assoc));
		/* 1-based, as in the TSV line */
		json_object_object_add(j, "lane", json_object_new_int64(a->lane + 1));
		json_object_object_add(j, "files", json_object_new_int64((int64_t)a->files));
		json_object_object_add(j, "bytes", json_object_new_int64((int64_t)a->bytes));
		pcs = json_object_new_array();
		for (m = 0; m < a->n_pc; m++) {
			pc = json_object_new_object();
			json_object_object_add(pc, "pcid", json_object_new_int64(a->pc[m].pcid));
			json_str(pc, "abstract_syntax", a->pc[m].abstract_syntax);
			ts = json_object_new_array();
			for (t = 0; t < a->pc[m].n_ts; t++)
				json_object_array_add(ts, json_object_new_string(a->pc[m].ts[t]));
			json_object_object_add(pc, "transfer_syntaxes", ts);
			if (a->pc[m].probed) {
				json_object_object_add(pc, "accepted",
				    json_object_new_boolean(a->pc[m].result == 0));
				json_object_object_add(pc, "result",
				    json_object_new_int64(a->pc[m].result));
				json_str(pc, "accepted_transfer_syntax", a->pc[m].accepted_ts);
			}
			json_object_array_add(pcs, pc);
		}
		json_object_object_add(j, "contexts", pcs);
		if (o->probe)
			json_str(j, "probe_error", a->probe_error);
		puts(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN));
		json_object_put(j);
		fflush(stdout);
		return;
	}
	snprintf(num[0], sizeof(num[0]), "%u", a->assoc);
	snprintf(buf, sizeof(buf), "lane %u, %zu files, %llu bytes, %u contexts%s%s",
	    a->lane + 1, a->files, (unsigned long long)a->bytes, a->n_pc,
	    a->probe_rc ? ": " : "", a->probe_rc ? a->probe_error : "");
	{
		const char *f[3] = { "association", num[0], buf };

		cli_tsv_line(stdout, 3, f);
	}
	for (m = 0; m < a->n_pc; m++) {
		const char *res = "";
		char tsl[STORESCU_MAX_TS * 66] = "";

		len = 0;
		for (t = 0; t < a->pc[m].n_ts; t++)
			len += (size_t)snprintf(tsl + len, sizeof(tsl) - len, "%s%s",
			    t ? "," : "", a->pc[m].ts[t]);
		snprintf(num[1], sizeof(num[1]), "%u", a->pc[m].pcid);
		if (a->pc[m].probed) {
			snprintf(num[2], sizeof(num[2]), "rejected (%u)", a->pc[m].result);
			res = a->pc[m].result == 0 ? "accepted" : num[2];
		}
		{
			const char *f[6] = { "context", num[0], num[1],
				a->pc[m].abstract_syntax, tsl, res };
			const char *acc = a->pc[m].result == 0 ? a->pc[m].accepted_ts : "";

			if (a->pc[m].probed && acc[0]) {
				snprintf(buf, sizeof(buf), "accepted %s", acc);
				f[5] = buf;
			}
			cli_tsv_line(stdout, a->pc[m].probed ? 6 : 5, f);
		}
	}
}

static void
on_skip(void *ctx, const char *path, const char *why)
{
	struct opts *o = ctx;

	if (!o->quiet)
		fprintf(stderr, "%s: skipping '%s': %s\n", cli_progname(), path, why);
}

static int
do_send(struct opts *o, int nops, char **ops)
{
	struct inputs in;
	struct inputs_opts io = { 0 };
	struct storescu_summary sum;
	struct cs_err err = { 0, "" };
	const char **paths;
	size_t i, n;
	int rc, k, ex;
	double secs;

	io.flags = o->nul ? INPUTS_NUL_SEP : 0;
	io.list = stdin;
	io.on_skip = on_skip;
	io.skip_ctx = o;
	inputs_init(&in, &io);
	rc = 0;
	if (nops == 0) {
		if (isatty(STDIN_FILENO))
			cli_usage_error("missing files (or a list on stdin)");
		rc = inputs_read_list(&in, stdin, o->nul, &err);
	}
	for (k = 0; rc == 0 && k < nops; k++)
		rc = inputs_add_operand(&in, ops[k], &err);
	if (rc != 0) {
		fprintf(stderr, "%s: cannot list the inputs: %s\n", cli_progname(), err.msg);
		inputs_release(&in);
		return rc == CS_E_INVAL ? EXIT_USAGE : EXIT_NO;
	}
	n = inputs_count(&in);
	if (n == 0) {
		/* nothing named a file: the command line is wrong, not a file */
		if (nops == 1 && strcmp(ops[0], "-") != 0)
			fprintf(stderr, "%s: no input: no file in '%s'\n",
			    cli_progname(), ops[0]);
		else if (nops > 1)
			fprintf(stderr, "%s: no input: no file in the %d operands\n",
			    cli_progname(), nops);
		else
			fprintf(stderr, "%s: no input: no file in the list on standard input\n",
			    cli_progname());
		inputs_release(&in);
		return EXIT_USAGE;
	}
	paths = calloc(n ? n : 1, sizeof(*paths));
	if (paths == NULL) {
		fprintf(stderr, "%s: out of memory\n", cli_progname());
		return EXIT_INTERNAL;
	}
	for (i = 0; i < n; i++)
		paths[i] = inputs_path(&in, i);
	if (o->progress < 0)
		o->progress = !o->quiet && isatty(STDERR_FILENO);
	o->stdout_tty = isatty(STDOUT_FILENO);
	o->send.on_result = on_result;
	o->send.on_plan = on_plan;
	o->send.on_progress = on_progress;
	o->send.on_note = o->verbose ? print_note : NULL;
	o->send.user = o;
	rc = storescu_send(&o->cfg, &o->send, paths, n, &sum, &err);
	progress_clear(o);
	if (rc != 0 && !o->quiet)
		fprintf(stderr, "%s: %s\n", cli_progname(), err.code ? err.msg : cs_strerror(rc));
	if (!o->quiet && !o->send.dry_run && rc != CS_E_IO && rc != CS_E_INVAL &&
	    rc != CS_E_NOMEM) {
		secs = sum.elapsed_us / 1e6;
		fprintf(stderr, "%s: %zu stored, %zu with warning, %zu failed, %zu skipped; "
		    "%.1f MB in %.2f s (%.1f MB/s)\n", cli_progname(), sum.stored,
		    sum.warning, sum.failed, sum.skipped, sum.bytes / 1e6, secs,
		    secs > 0 ? sum.bytes / 1e6 / secs : 0.0);
	}
	if (!o->quiet && rc == 0 && sum.skipped - sum.resumed == sum.inputs)
		fprintf(stderr, "%s: no DICOM file among the %zu input%s: nothing %s\n",
		    cli_progname(), sum.inputs, sum.inputs == 1 ? "" : "s",
		    o->send.dry_run ? "to send" : "sent");
	free(paths);
	inputs_release(&in);
	if (rc == CS_E_IO || rc == CS_E_INVAL)
		ex = EXIT_USAGE; /* the resume log or an option */
	else if (rc != 0)
		ex = exit_for(rc);
	else if (o->send.dry_run)
		ex = sum.skipped > sum.resumed || sum.failed > 0 ? EXIT_NO : EXIT_OK;
	else
		ex = sum.stored + sum.warning + sum.resumed == sum.inputs ? EXIT_OK : EXIT_NO;
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "%s: cannot write the results: %s\n", cli_progname(),
		    strerror(errno));
		return EXIT_OUTPUT;
	}
	return ex;
}

int
main(int argc, char **argv)
{
	struct opts o;
	int c;

	memset(&o, 0, sizeof(o));
	o.cfg.max_pdu = 256u * 1024u;
	o.cfg.connect_timeout_ms = 30000;
	o.cfg.acse_timeout_ms = 30000;
	o.cfg.dimse_timeout_ms = 60000;
	o.send.jobs = 1;
	o.send.retry_delay_ms = 1000;
	o.progress = -1;
	signal(SIGPIPE, SIG_IGN); /* a closed pipe or socket is an error, not death */
	while ((c = getopt_long(argc, argv, "0a:c:dhj:qv", longopts, NULL)) != -1) {
		switch (c) {
		case '0':
			o.nul = 1;
			break;
		case 'a':
			if (strlen(optarg) == 0 || strlen(optarg) > 16)
				cli_usage_error("AE title '%s': must be 1-16 characters", optarg);
			o.cfg.calling_ae = optarg;
			break;
		case 'c':
			if (strlen(optarg) == 0 || strlen(optarg) > 16)
				cli_usage_error("AE title '%s': must be 1-16 characters", optarg);
			o.cfg.called_ae = optarg;
			break;
		case 'd':
			o.trace = 1;
			break;
		case 'h':
			help();
			break;
		case 'j':
			o.send.jobs = (unsigned)cli_parse_num(optarg, 1, 256, "jobs");
			break;
		case 'q':
			o.quiet = 1;
			break;
		case 'v':
			o.verbose = 1;
			break;
		case OPT_ASYNC:
			o.send.async_window = (unsigned)cli_parse_num(optarg, 1,
			    STORESCU_MAX_WINDOW, "asynchronous window");
			break;
		case OPT_ACSE_TIMEOUT:
			o.cfg.acse_timeout_ms = (int)cli_parse_num(optarg, 1, 3600, "ACSE timeout") * 1000;
			break;
		case OPT_CONNECT_TIMEOUT:
			o.cfg.connect_timeout_ms = (int)cli_parse_num(optarg, 1, 3600, "connect timeout") * 1000;
			break;
		case OPT_DIMSE_TIMEOUT:
			o.cfg.dimse_timeout_ms = (int)cli_parse_num(optarg, 0, 86400, "DIMSE timeout") * 1000;
			break;
		case OPT_DRY_RUN:
			o.send.dry_run = 1;
			break;
		case OPT_ECHO:
			o.echo = 1;
			break;
		case OPT_JSON:
			o.json = 1;
			break;
		case OPT_LOSSY:
			o.send.allow_lossy = 1;
			break;
		case OPT_MAX_PDU: {
			long long v = cli_parse_num(optarg, 0, 16 * 1024 * 1024, "max PDU length");
			if (v != 0 && v < 4096)
				cli_usage_error("max PDU length '%s': out of range (4096-%d, or 0)",
				    optarg, 16 * 1024 * 1024);
			o.cfg.max_pdu = (uint32_t)v;
			break;
		}
		case OPT_NO_PROGRESS:
			o.progress = 0;
			break;
		case OPT_NO_TRANSCODE:
			o.send.no_transcode = 1;
			break;
		case OPT_PER_ASSOC:
			o.send.per_assoc = (size_t)cli_parse_num(optarg, 1, 1000000000, "files per association");
			break;
		case OPT_PROBE:
			o.probe = o.send.probe = 1;
			break;
		case OPT_PROGRESS:
			o.progress = 1;
			break;
		case OPT_RESUME:
			o.send.resume_log = optarg;
			break;
		case OPT_RETRY:
			o.send.retries = (unsigned)cli_parse_num(optarg, 0, 100, "retries");
			break;
		case OPT_RETRY_DELAY:
			o.send.retry_delay_ms = (unsigned)cli_parse_num(optarg, 0, 600000, "retry delay");
			break;
		case OPT_VERSION:
			cli_print_version();
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 2)
		cli_usage_error("missing %s", argc == 0 ? "host and port" : "port");
	o.cfg.host = argv[0];
	o.cfg.port = argv[1];
	cli_parse_num(o.cfg.port, 1, 65535, "port");
	if (o.trace) {
		o.cfg.trace = print_trace;
		o.cfg.trace_user = &o;
	}
	if (o.echo) {
		if (argc > 2)
			cli_usage_error("--echo takes no files");
		return do_echo(&o);
	}
	if (o.probe && !o.send.dry_run)
		cli_usage_error("--probe needs --dry-run");
	if (o.send.no_transcode && o.send.allow_lossy)
		cli_usage_error("--no-transcode and --lossy exclude each other");
	return do_send(&o, argc - 2, argv + 2);
}
