/*
 * recv_args.h - dcmrecv's command line: its options fill the library's
 * storescp_config directly, plus what only the tool needs (output
 * format, verbosity, the port file, the --exec command).
 */
#ifndef CS_CLI_RECV_ARGS_H
#define CS_CLI_RECV_ARGS_H

#include "cstore/storescp.h"
#include "cli/output.h"

/* The most entries of each repeatable list option. */
#define RECV_MAX_LIST 256

struct recv_args {
	struct storescp_config cfg; /* storescp_config_init, then options */
	enum cli_format fmt;        /* --json */
	int nul, quiet, verbose, trace;
	const char *port_file; /* --port-file, or NULL */
	const char *const
	    *exec_argv; /* --exec CMD ARG... ; (in argv), or NULL */
	/* The sandbox and the --exec helper (lib/cli/recv_confine.c). */
	const char *user;          /* --user NAME, or NULL */
	int no_sandbox;            /* --no-sandbox */
	const char *sandbox_probe; /* --sandbox-probe FILE, or NULL */
	unsigned exec_jobs;        /* --exec-jobs; 0 = one per CPU */
	/* What cfg's lists and address point into. */
	const char *allow[RECV_MAX_LIST], *classes[RECV_MAX_LIST];
	const char *refused[RECV_MAX_LIST], *ts[RECV_MAX_LIST];
	const char *proxy_from[RECV_MAX_LIST];
	/* Storage Commitment: --commit-peer (recv_commit.h) */
	const char *commit_peers[RECV_MAX_LIST];
	char host[256], port[32];
	/* User identity: --users (its table is recv_identity.c's) */
	const char *users_file;
	/* --identity-hook CMD ARG... ; (in argv), or NULL */
	const char *const *identity_hook_argv;
};

/*
 * Parses the options of argv into a (initialised here with the library
 * defaults); --help, --version and usage errors print and exit.  --exec
 * takes the words up to ";" (replaced by NULL in argv).  Returns optind:
 * the [ADDR:]PORT operand follows.
 */
int recv_args_parse(struct recv_args *a, int argc, char **argv);

/*
 * Checks the operands after the options (one, [ADDR:]PORT, or none
 * when systemd passed the listening socket: cfg.listen_fd) and the
 * options against each other, and sets cfg.host and cfg.port.
 * Usage errors print and exit.
 */
void recv_args_check(struct recv_args *a, int argc, char **argv);

/*
 * --users, --identity-hook and --require-identity: loads the users
 * file (kept in recv_identity.c, swapped at each reload) and sets cfg's identity check.  A missing or bad file is a usage
 * error (prints, exits 2).
 */
void recv_identity_check(struct recv_args *a);

/*
 * Once listening, before the sandbox (one thread yet): starts the
 * --identity-hook helper.  Returns 0, or -1 (said on stderr).
 */
int recv_identity_start(struct recv_args *a);

/* Once confined (so that it is too): the thread that reads --users
 * again on recv_identity_hangup. */
void recv_identity_watch(void);

/* From a SIGHUP handler (async-signal-safe): read --users again; a bad
 * file keeps the users read before, with one line on stderr. */
void recv_identity_hangup(void);

/* Lets the --identity-hook helper go. */
void recv_identity_stop(void);
/*
 * --hash-password[=METHOD]: reads a passcode from stdin (a prompt, echo
 * off, asked twice at a terminal), prints its crypt(3) hash and exits 0;
 * exits 2 on a bad method or no passcode.
 */
void recv_hash_password(const char *method) __attribute__((noreturn));

#endif
