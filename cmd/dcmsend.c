/*
 * dcmsend - send DICOM files to a Storage SCP; --echo verifies a peer.
 * A thin front end over libstorescu: options, output, exit codes.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cstore/cstore.h"
#include "cstore/storescu.h"
#include "cli/cli.h"
#include "cli/follow_queue.h"
#include "cli/operands.h"
#include "cli/output.h"
#include "cli/resume.h"
#include "cli/send_args.h"
#include "cli/send_check.h"
#include "cli/send_commit.h"
#include "cli/send_out.h"
#include "cli/send_stop.h"
#include "cli/sent_names.h"
#include "cli/stow_send.h"

struct dcmsend {
	struct send_args a;
	struct cli_out out;
	struct send_progress progress;
	struct resume *resume;
	int stdout_tty;
	size_t dicomdirs; /* inputs that were DICOMDIRs (send_exit_status) */
	struct send_commit_state state; /* --commit-state */
	struct sent_names *sent;        /* --follow --remove-sent: what went */
};

static void
print_trace(void *user, const char *line)
{
	(void)user;
	fprintf(stderr, "%s: %s\n", cli_progname(), line);
}

static void
print_note(void *user, const char *line)
{
	struct dcmsend *d = user;

	if (d->a.verbose) {
		send_progress_clear(&d->progress);
		fprintf(stderr, "%s: %s\n", cli_progname(), line);
	}
}

static void
on_progress(void *user, const struct storescu_progress *p)
{
	send_progress_update(&((struct dcmsend *)user)->progress, p);
}

static void
on_result(void *user, const struct storescu_result *r)
{
	struct dcmsend *d = user;

	if (r->outcome == STORESCU_DICOMDIR)
		d->dicomdirs++;
	if (d->stdout_tty)
		send_progress_clear(&d->progress);
	/* its line before it goes: a signal then finds it done */
	send_stop_result(&d->out, r); /* serialised with SIGTERM's lines */
	if (d->a.remove_sent &&
	    send_remove_sent(
		r, d->a.send.commit || d->a.commit_wait != NULL, d->a.quiet) &&
	    d->sent != NULL)
		sent_names_add(d->sent, r->path);
	if (d->a.commit_state != NULL)
		send_commit_state_done(&d->state, r);
	if (d->a.follow)
		fflush(stdout); /* a router's log line as each file goes */
}

/* --follow: the peer went away or came back. */
static void
on_state(void *user, const char *line)
{
	struct dcmsend *d = user;

	if (!d->a.quiet)
		fprintf(stderr, "%s: %s\n", cli_progname(), line);
}

static void
on_plan(void *user, const struct storescu_plan_assoc *a)
{
	struct dcmsend *d = user;

	if (send_stop_plan(&d->out, a, d->a.send.probe) != 0) {
		fprintf(stderr, "%s: out of memory\n", cli_progname());
		exit(EXIT_INTERNAL);
	}
}

static void
on_commit_asked(void *user, const struct storescu_pending *p)
{
	send_commit_state_add(&((struct dcmsend *)user)->state, p);
}

/* --commit-state: keeps the inputs asked for and not reported yet. */
static void
state_open(struct dcmsend *d, const struct send_commit_pending *from)
{
	size_t k;

	if (d->a.commit_state == NULL)
		return;
	send_commit_state_init(&d->state, d->a.commit_state, d->a.quiet);
	d->a.send.on_commit_asked = on_commit_asked;
	for (k = 0; from != NULL && k < from->n; k++)
		send_commit_state_add(&d->state, &from->p[k]);
}

/* --commit-wait FILE: the reports of an earlier run's pending inputs. */
static int
do_commit_wait(struct dcmsend *d)
{
	struct send_commit_pending pend;
	struct storescu_summary sum;
	struct cs_err err = { 0, "" };
	int rc, ex;

	if ((ex = send_commit_state_read(
		 d->a.commit_wait, &pend, d->a.quiet)) ||
	    (ex = send_commit_listen(
		 &d->a.send, d->a.commit_listen, d->a.quiet))) {
		send_commit_pending_release(&pend);
		return ex;
	}
	state_open(d, &pend);
	rc = pend.n == 0 ? 0
			 : storescu_commit_wait(&d->a.cfg, &d->a.send, pend.p,
			       pend.n, &sum, &err);
	if (pend.n == 0)
		memset(&sum, 0, sizeof(sum));
	send_commit_pending_release(&pend);
	if (rc != 0) /* an error: said under -q too */
		fprintf(stderr, "%s: %s\n", cli_progname(), err.msg);
	ex = send_commit_state_close(&d->state, d->a.commit_state != NULL,
	    rc != 0 ? cli_exit_for(rc) : send_commit_status(&sum));
	return cli_flush_stdout("the results") != 0 ? EXIT_OUTPUT : ex;
}

/* --resume's log has it, or (--follow --remove-sent) an earlier line of
 * its name was sent and removed since the pipe named it again */
static int
already_stored(void *user, const char *path)
{
	struct dcmsend *d = user;

	if (d->resume != NULL && resume_skips(d->resume, path, d->a.quiet))
		return 1;
	return d->sent != NULL && sent_names_gone(d->sent, path)
	    ? STORESCU_SENT_EARLIER
	    : 0;
}

/* --resume LOG: the set of inputs an earlier run stored. */
static int
load_resume(struct dcmsend *d)
{
	int ex = resume_open(
	    d->a.resume_log, d->a.send.commit, d->a.quiet, &d->resume);

	if (ex == 0 && d->resume != NULL)
		d->a.send.already_stored = already_stored;
	return ex;
}

static int
do_send(struct dcmsend *d, int nops, char **ops)
{
	struct storescu_summary sum;
	struct cs_err err = { 0, "" };
	struct inputs in;
	const char **paths;
	int rc, ex;

	send_stop_block(); /* before any thread: only the watcher takes them */
	if ((ex = operands_collect(&in, nops, ops, d->a.nul, d->a.quiet)) != 0)
		return ex;
	if ((ex = load_resume(d)) != 0 ||
	    (ex = send_commit_listen(
		 &d->a.send, d->a.commit_listen, d->a.quiet)) != 0 ||
	    (paths = operands_paths(&in)) == NULL) {
		inputs_release(&in);
		resume_free(d->resume);
		return ex != 0 ? ex : EXIT_INTERNAL;
	}
	state_open(d, NULL);
	send_stop_watch(paths, inputs_count(&in), &d->out);
	d->progress.on = d->a.progress < 0
	    ? !d->a.quiet && isatty(STDERR_FILENO)
	    : d->a.progress;
	d->stdout_tty = isatty(STDOUT_FILENO);
	rc = d->a.stow.url != NULL ? stow_send(&d->a.stow, &d->a.send, paths,
					 inputs_count(&in), &sum, &err)
				   : storescu_send(&d->a.cfg, &d->a.send, paths,
					 inputs_count(&in), &sum, &err);
	send_progress_clear(&d->progress);
	if (rc != 0) /* an error: said under -q too */
		fprintf(stderr, "%s: %s\n", cli_progname(),
		    err.code ? err.msg : cs_strerror(rc));
	if (!d->a.quiet && !d->a.send.dry_run && rc != CS_E_IO &&
	    rc != CS_E_INVAL && rc != CS_E_NOMEM)
		send_out_summary(&sum);
	/* a DICOM file that failed its own way once its association was
	 * open (cut short while sent or converted) was no "no DICOM" */
	if (!d->a.quiet && rc == 0 && sum.skipped - sum.resumed == sum.inputs &&
	    sum.associations == 0)
		fprintf(stderr,
		    "%s: no DICOM %s among the %zu input%s: nothing %s\n",
		    cli_progname(),
		    d->dicomdirs
			? "object to store (a DICOMDIR only indexes files)"
			: "file",
		    sum.inputs, sum.inputs == 1 ? "" : "s",
		    d->a.send.dry_run ? "to send" : "sent");
	send_stop_watch(NULL, 0, NULL); /* every input has its line */
	free(paths);
	inputs_release(&in);
	resume_free(d->resume);
	ex = send_commit_state_close(&d->state, d->a.commit_state != NULL,
	    send_exit_status(rc, &sum, d->dicomdirs, &d->a.send));
	return cli_flush_stdout("the results") != 0 ? EXIT_OUTPUT : ex;
}

/* The paths of the operands, then (for "-", or none with stdin not a
 * terminal) the stream on stdin, sent as they come. */
static int
do_follow(struct dcmsend *d, int nops, char **ops)
{
	struct storescu_summary sum;
	struct cs_err err = { 0, "" };
	struct fq q;
	int k, stream = nops == 0, rc, ex;

	if (nops == 0 && isatty(STDIN_FILENO))
		cli_usage_error(
		    "--follow reads a list on stdin: not a terminal");
	for (k = 0; k < nops; k++)
		stream |= strcmp(ops[k], "-") == 0;
	if (fq_init(&q, stream ? stdin : NULL, d->a.nul, d->a.quiet) != 0)
		return EXIT_INTERNAL;
	if ((ex = fq_add_operands(&q, nops, ops, d->a.nul, d->a.quiet)) != 0)
		return ex;
	if ((ex = load_resume(d)) != 0)
		return ex;
	if (d->a.remove_sent && (d->sent = malloc(sizeof(*d->sent))) != NULL) {
		sent_names_init(d->sent);
		d->a.send.already_stored = already_stored;
	}
	if (fq_start(&q) != 0) {
		fprintf(
		    stderr, "%s: cannot start reading stdin\n", cli_progname());
		return EXIT_INTERNAL;
	}
	state_open(d, NULL);
	d->a.fo.next = fq_take;
	d->a.fo.user = &q;
	d->a.fo.on_state = on_state;
	d->stdout_tty = isatty(STDOUT_FILENO);
	rc = d->a.stow.url != NULL
	    ? stow_follow(&d->a.stow, &d->a.send, &d->a.fo, &sum, &err)
	    : storescu_follow(&d->a.cfg, &d->a.send, &d->a.fo, &sum, &err);
	if (rc != 0) /* an error: said under -q too */
		fprintf(stderr, "%s: %s\n", cli_progname(),
		    err.code ? err.msg : cs_strerror(rc));
	if (rc != 0) /* what was read and not handed over has its line */
		fq_give_up(
		    &q, err.code ? err.msg : cs_strerror(rc), &d->a.send, &sum);
	if (fq_error(&q)[0] != '\0') {
		fprintf(stderr, "%s: %s\n", cli_progname(), fq_error(&q));
		/* an unreadable list: exit 2 (CS_E_INVAL), as without
		 * --follow; a lost spill file: 1 */
		rc = rc ? rc : q.in_failed ? CS_E_INVAL : CS_E_IO;
	}
	if (!d->a.quiet)
		send_out_summary(&sum);
	fq_release(&q);
	resume_free(d->resume);
	free(d->sent);
	ex = send_commit_state_close(&d->state, d->a.commit_state != NULL,
	    rc == CS_E_IO
		? EXIT_NO
		: send_exit_status(rc, &sum, d->dicomdirs, &d->a.send));
	return cli_flush_stdout("the results") != 0 ? EXIT_OUTPUT : ex;
}

/* A URL instead of host and port: DICOMweb (lib/cli/stow_send.c). */
static int
web_main(struct dcmsend *d, int nops, char **ops)
{
	send_check_web(&d->a, ops[-1], nops);
	if (d->a.trace)
		d->a.stow.trace = print_trace;
	d->a.send.user = d;
	d->a.send.on_result = on_result;
	cli_out_init(&d->out, stdout, d->a.fmt, CLI_OUT_SLASH);
	signal(SIGPIPE, SIG_IGN);
	if (d->a.echo)
		return send_web_echo(&d->a, &d->out);
	if (d->a.follow)
		return do_follow(d, nops, ops);
	return do_send(d, nops, ops);
}

int
main(int argc, char **argv)
{
	struct dcmsend d = { .resume = NULL };
	int n;

	cli_process_start();
	cli_guard_input_mappings();
	n = send_args_parse(&d.a, argc, argv);

	argc -= n;
	argv += n;
	if (argc > 0 && stow_is_url(argv[0]))
		return web_main(&d, argc - 1, argv + 1);
	send_check_peer(&d.a, argc, argv);
	if (d.a.trace)
		d.a.cfg.trace = print_trace;
	d.a.send.user = &d;
	d.a.send.on_result = on_result;
	d.a.send.on_plan = on_plan;
	d.a.send.on_progress = on_progress;
	d.a.send.on_note = d.a.verbose ? print_note : NULL;
	cli_out_init(&d.out, stdout, d.a.fmt, CLI_OUT_SLASH);
	signal(SIGPIPE,
	    SIG_IGN); /* a closed pipe or socket is an error, not death */
	if (d.a.commit_wait != NULL)
		return do_commit_wait(&d);
	if (d.a.echo)
		return send_echo_run(&d.a.cfg, &d.out, d.a.verbose, d.a.quiet);
	if (d.a.follow)
		return do_follow(&d, argc - 2, argv + 2);
	return do_send(&d, argc - 2, argv + 2);
}
