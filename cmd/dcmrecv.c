/*
 * dcmrecv - receive DICOM objects (Storage SCP) into a directory, one
 * line per stored file on stdout.  A thin front end over libstorescp:
 * options (lib/cli/recv_args), output, --exec hooks, exit codes.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cstore/cstore.h"
#include "cstore/storescp.h"
#include "cli/cli.h"
#include "cli/hook_sep.h"
#include "cli/output.h"
#include "cli/privdrop.h"
#include "cli/recv_args.h"
#include "cli/recv_confine.h"
#include "cli/tmpfile.h"

static struct {
	struct recv_args a;
	struct cli_out out;
	pthread_mutex_t out_mu; /* the output and out_failed */
	int out_failed;
	volatile sig_atomic_t stop_asked; /* SIGTERM or SIGINT */
	struct storescp *srv;
	struct cli_hook_sep *hook; /* the --exec helper, or NULL */
	int hook_lost;             /* it has gone (reported once) */
	atomic_int log_stuck;      /* standard error took nothing for -t */
} g = { .out_mu = PTHREAD_MUTEX_INITIALIZER };

static void
on_log(void *user, enum storescp_level level, const char *line)
{
	(void)user;
	if (level == STORESCP_LOG_ERROR && g.a.quiet)
		return;
	/* a standard error nobody reads costs lines, never a hung receiver:
	 * after one wait of -t, lines go while it stays full */
	if (cli_out_ready(stderr, g.log_stuck ? 0 : g.a.cfg.timeout_ms) != 0) {
		g.log_stuck = 1;
		return;
	}
	g.log_stuck = 0;
	fprintf(stderr, "%s: %s\n", cli_progname(), line);
}

/* In the --exec helper process: a failure, or with -v any end. */
static void
on_hook_ended(void *user, const char *line)
{
	on_log(user, STORESCP_LOG_ERROR, line);
}

/* One result line (TSV columns 1-5, 7 with --users; every field in
 * JSON), or the path
 * and a NUL with -0.  Returns 0, or -1 when out of memory. */
static int
write_stored(const struct storescp_stored *st)
{
	char peer[96], status[8];
	const struct cli_field f[] = {
		CLI_S("path", 1, st->path),
		CLI_S("sop_class", 2, st->sop_class),
		CLI_S("sop_instance", 3, st->sop_instance),
		CLI_S("calling_ae", 4, st->calling_ae),
		CLI_S("peer", 5, peer),
		CLI_S("transfer_syntax", 0, st->ts_uid),
		CLI_I("bytes", 0, st->bytes),
		CLI_S("status", 0, status),
		CLI_S("called_ae", 0, st->called_ae),
		CLI_I("association", 0, st->assoc_id),
		CLI_B("kept", 0, st->kept),
		/* TLS: the client certificate's subject, column 6 */
		CLI_S("tls_subject", g.a.cfg.tls.enabled ? 6 : 0,
		    st->tls_subject ? st->tls_subject
				    : (g.a.cfg.tls.enabled ? "" : NULL)),
		CLI_S("user", g.a.users_file || g.a.identity_hook_argv ? 7 : 0,
		    st->user),
	};

	if (g.a.nul) {
		fputs(st->path, stdout);
		putchar('\0');
		return 0;
	}
	snprintf(peer, sizeof(peer), "%s", st->peer);
	snprintf(status, sizeof(status), "%04X", st->status);
	return cli_out_write(&g.out, f, CLI_NFIELDS(f));
}

/* Non-zero when the line could not be written: the object is answered
 * A700 (the peer keeps its copy), never 0000 without a line. */
static int
on_stored(void *user, const struct storescp_stored *st)
{
	int bad, stuck;

	(void)user;
	pthread_mutex_lock(&g.out_mu);
	/* a slow reader holds the answer (back-pressure); one that stopped
	 * holds it until dcmrecv is asked to stop, never past that */
	stuck = !g.out_failed &&
	    cli_out_wait(stdout, &g.stop_asked,
		g.a.cfg.timeout_ms ? g.a.cfg.timeout_ms : 30000) != 0;
	bad = g.out_failed || stuck || write_stored(st) != 0 ||
	    fflush(stdout) != 0 || ferror(stdout);
	if (bad && !g.out_failed) {
		g.out_failed = 1;
		fprintf(stderr,
		    "%s: cannot write to standard output: %s: stopping\n",
		    cli_progname(),
		    stuck ? "nothing read from it" : strerror(errno));
		storescp_request_stop(g.srv);
	}
	if (g.hook != NULL && !g.out_failed &&
	    cli_hook_sep_run(g.hook, st->path) != 0 && !g.hook_lost) {
		g.hook_lost = 1;
		fprintf(stderr,
		    "%s: the --exec helper has gone: no command for '%s' and later files\n",
		    cli_progname(), st->path);
	}
	bad = g.out_failed;
	pthread_mutex_unlock(&g.out_mu);
	return bad;
}

static void
on_signal(int sig)
{
	(void)sig;
	g.stop_asked = 1;
	if (g.srv != NULL)
		storescp_request_stop(g.srv);
}

/* SIGHUP: read the TLS certificate and key again (storescp_run does),
 * and the users file. */
static void
on_hangup(int sig)
{
	(void)sig;
	if (g.srv != NULL)
		storescp_reload_tls(g.srv);
	recv_identity_hangup();
}

static int
write_port_file(const char *path, unsigned port)
{
	char tmp[4200];
	int fd = cli_open_tmp(path, tmp, sizeof(tmp)), bad;

	if (fd < 0)
		return -1;
	bad = dprintf(fd, "%u\n", port) < 0;
	if (close(fd) != 0 || bad || rename(tmp, path) != 0) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* SIGTERM and SIGINT stop the server, SIGHUP reloads the TLS
 * certificate; SIGPIPE is an error, not death. */
static void
catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = on_hangup;
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

/* From here a late signal must not reach a server being freed. */
static void
block_stop_signals(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
}

/* Listens and writes the port file; returns 0 or an exit status. */
static int
start(void)
{
	struct cs_err err = { 0, "" };
	char bound[64];
	unsigned port;
	int rc;

	rc = storescp_new(&g.a.cfg, &g.srv, &err);
	if (rc != 0) {
		fprintf(stderr, "%s: %s\n", cli_progname(), err.msg);
		/* a bad value (or TLS file) is a usage error; anything
		 * else: cannot listen */
		if (rc == CS_E_TLS)
			return EXIT_USAGE;
		return rc == CS_E_INVAL || rc == CS_E_NOMEM ? cli_exit_for(rc)
							    : EXIT_OUTPUT;
	}
	/* before the port file, which tells scripts that they may stop us */
	catch_signals();
	storescp_addr(g.srv, bound, sizeof(bound), &port);
	if (g.a.port_file != NULL &&
	    write_port_file(g.a.port_file, port) != 0) {
		fprintf(stderr, "%s: cannot write the port file '%s': %s\n",
		    cli_progname(), g.a.port_file, strerror(errno));
		block_stop_signals();
		storescp_free(g.srv);
		return EXIT_OUTPUT;
	}
	if (!g.a.quiet)
		fprintf(stderr,
		    strchr(bound, ':') ? "%s: listening on [%s]:%u\n"
				       : "%s: listening on %s:%u\n",
		    cli_progname(), bound, port);
	return 0;
}

static void
print_stats(void)
{
	struct storescp_stats st;

	storescp_get_stats(g.srv, &st);
	fprintf(stderr,
	    "%s: %llu stored, %llu refused, %llu associations, %llu rejected, %llu aborted\n",
	    cli_progname(), (unsigned long long)st.stored,
	    (unsigned long long)st.failed, (unsigned long long)st.associations,
	    (unsigned long long)st.rejected, (unsigned long long)st.aborted);
}

/* After the bind: --user, the --exec helper (before the sandbox, so
 * that hooks may do what they do today), the sandbox.  Returns 0 or an
 * exit status. */
static int
confine(void)
{
	struct cs_err err = { 0, "" };
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	char line[1024];
	int rc;

	rc = g.a.user == NULL
	    ? 0
	    : cli_drop_privileges(g.a.user, g.a.cfg.output_dir, &err);
	if (rc != 0) {
		fprintf(stderr, "%s: %s\n", cli_progname(), err.msg);
		return rc == CS_E_INVAL ? EXIT_USAGE : EXIT_OUTPUT;
	}
	if (g.a.exec_jobs == 0)
		g.a.exec_jobs = cpus > 0 ? (unsigned)cpus : 1;
	if (g.a.exec_argv != NULL &&
	    (g.hook = cli_hook_sep_start(g.a.exec_argv, g.a.exec_jobs,
		 g.a.verbose, on_hook_ended, NULL)) == NULL) {
		fprintf(stderr, "%s: cannot start the --exec helper: %s\n",
		    cli_progname(), strerror(errno));
		return EXIT_INTERNAL;
	}
	if (recv_identity_start(&g.a) != 0)
		return EXIT_INTERNAL;
	if (!g.a.no_sandbox && (rc = recv_sandbox_enter(&g.a)) != 0)
		return rc;
	recv_identity_watch();
	if (g.a.sandbox_probe != NULL) {
		recv_sandbox_probe(g.a.sandbox_probe, line, sizeof(line));
		fprintf(stderr, "%s: %s\n", cli_progname(), line);
	}
	return 0;
}

/* Serves until stopped; returns the exit status. */
static int
serve(void)
{
	struct cs_err err = { 0, "" };
	unsigned left;
	int rc;

	rc = storescp_run(g.srv, &err);
	/* As long again for --exec commands; then the helper goes on
	 * alone and reports each end. */
	if (g.hook != NULL &&
	    (left = cli_hook_sep_wait(g.hook, g.a.cfg.grace_ms)) > 0 &&
	    !g.a.quiet)
		fprintf(stderr,
		    "%s: %u --exec commands running or queued: their ends are reported as they come\n",
		    cli_progname(), left);
	block_stop_signals();
	if (rc != 0)
		fprintf(stderr, "%s: %s\n", cli_progname(), err.msg);
	if (g.a.verbose)
		print_stats();
	storescp_free(g.srv);
	cli_hook_sep_close(g.hook);
	recv_identity_stop();
	return rc != 0 || g.out_failed ? EXIT_OUTPUT : EXIT_OK;
}

int
main(int argc, char **argv)
{
	int n, ex;

	cli_process_start();
	n = recv_args_parse(&g.a, argc, argv);
	recv_args_check(&g.a, argc - n, argv + n);

	g.a.cfg.on_stored = on_stored;
	g.a.cfg.log = on_log;
	g.a.cfg.log_level = g.a.trace ? STORESCP_LOG_TRACE
	    : g.a.verbose             ? STORESCP_LOG_VERBOSE
				      : STORESCP_LOG_ERROR;
	cli_out_init(&g.out, stdout, g.a.fmt, CLI_OUT_SLASH);
	if ((ex = start()) != 0)
		return ex;
	if ((ex = confine()) != 0) {
		/* not serving after all (may fail once --user has changed us) */
		if (g.a.port_file != NULL)
			unlink(g.a.port_file);
		block_stop_signals();
		storescp_free(g.srv);
		cli_hook_sep_close(g.hook);
		recv_identity_stop();
		return ex;
	}
	return serve();
}
