/*
 * send_args.h - dcmsend's command line: its options fill the library's
 * storescu_config and storescu_send_opts directly, plus what only the
 * tool needs (output format, verbosity, the resume log, operands).
 */
#ifndef CS_CLI_SEND_ARGS_H
#define CS_CLI_SEND_ARGS_H

#include "cstore/storescu.h"
#include "cli/output.h"
#include "cli/secret.h"
#include "cli/stow_send.h"

struct send_args {
	struct storescu_config cfg; /* storescu_config_init, then options */
	struct storescu_send_opts send;
	enum cli_format fmt;    /* --json */
	const char *resume_log; /* --resume */
	int echo, quiet, verbose, nul;
	int progress; /* -1 auto (a terminal), 0 off, 1 on */
	int trace;    /* -d */
	/* follow: --follow, --idle, --retry-for, --remove-sent (--limit-rate
	 * is send.limit_rate) */
	int follow, remove_sent, retry_for_set, idle_set;
	struct storescu_follow_opts fo;
	/* User identity: --password-file, --password-stdin, and the
	 * passcode read (send_identity_check) that cfg.password points to */
	const char *password_file;
	int password_stdin;
	char password[CLI_SECRET_MAX + 1];
	const char *commit_listen; /* --commit-listen [ADDR:]PORT */
	const char *commit_state;  /* --commit-state FILE */
	const char *commit_wait;   /* --commit-wait FILE */
	/* DICOMweb (a URL operand): --stow-batch, --stow-bytes, --netrc,
	 * --tls-ca; the token of --bearer-file read into bearer */
	struct stow_opts stow;
	char accept_ts_buf
	    [1280]; /* --accept-ts's copy, stow.accept_ts points in */
	const char *bearer_file;
	char bearer[CLI_SECRET_MAX + 1];
};

/*
 * The user identity options against each other and the operands (nops
 * file operands in ops; --password-stdin takes standard input, which
 * then cannot list files), and the passcode read into a->password.
 * Usage errors and an unreadable passcode print and exit (2).
 */
void send_identity_check(struct send_args *a, int nops, char **ops);

/*
 * dcmsend URL: the options against a URL operand (those of DIMSE alone
 * are usage errors), the bearer token read; exits (2) on a usage error.
 */
void send_web_check(struct send_args *a, const char *url);
/* --accept-ts LIST: comma-separated UIDs or PS3.6 keywords into
 * a->stow; exits (2) on a usage error. */
void send_web_accept_ts(struct send_args *a, const char *arg);
/* dcmsend --echo URL: a QIDO-RS query, its line on o; the exit status
 * (EXIT_OUTPUT when the line could not be written). */
int send_web_echo(const struct send_args *a, const struct cli_out *o);

/*
 * Parses the options of argv into a (initialised here with the library
 * defaults); --help, --version and usage errors print and exit.
 * Returns optind: the host, port and file operands (or a URL and the
 * files) follow.  The TLS options are checked by the caller
 * (tls_args_check for a host, send_web_check for a URL).
 */
int send_args_parse(struct send_args *a, int argc, char **argv);

#endif
