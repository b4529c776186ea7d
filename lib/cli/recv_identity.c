/* recv_identity.c - dcmrecv's user identity options (see recv_args.h). */
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cstore/cstore.h"
#include "cli/cli.h"
#include "cli/id_hook.h"
#include "cli/recv_args.h"
#include "cli/secret.h"
#include "cli/users.h"
#include "net/net.h"
#include "core/banned.h"

/*
 * The check the receiver calls: --users for types 1 and 2 (the table
 * swapped under the lock by a reload), --identity-hook for the rest,
 * and for everything without --users.  The hook is set before the
 * receiver serves, never changed after.
 */
static struct {
	pthread_rwlock_t lock; /* users */
	struct cli_users *users;
	struct cli_idhook *hook;
	const char *path;
	sem_t hup; /* SIGHUP: read the users file again */
	int reloader, verbose;
} ident = { .lock = PTHREAD_RWLOCK_INITIALIZER };

static int
judge(void *user, const struct storescp_identity *id, char *name,
    size_t name_size, char *why, size_t why_size)
{
	int rc;

	(void)user;
	/* path, not users: the table changes under the lock at SIGHUP */
	if (ident.hook != NULL && (ident.path == NULL || id->type > 2))
		return cli_idhook_check(
		    ident.hook, id, name, name_size, why, why_size);
	pthread_rwlock_rdlock(&ident.lock);
	rc = cli_users_check(ident.users, id, name, name_size, why, why_size);
	pthread_rwlock_unlock(&ident.lock);
	return rc;
}

void
recv_identity_check(struct recv_args *a)
{
	struct cs_err err = { 0, "" };

	if (a->users_file == NULL && a->identity_hook_argv == NULL) {
		if (a->cfg.require_identity)
			cli_usage_error(
			    "--require-identity needs --users or --identity-hook");
		return;
	}
	if (a->users_file != NULL &&
	    cli_users_load(&ident.users, a->users_file, &err) != 0)
		cli_usage_error("--users: %s", err.msg);
	ident.path = a->users_file;
	ident.verbose = a->verbose;
	a->cfg.check_identity = judge;
	a->cfg.identity_user = NULL;
}

/* Reads the users file again at each SIGHUP; a bad one keeps the old. */
static void *
reloader(void *arg)
{
	struct cli_users *fresh, *old;

	(void)arg;
	for (;;) {
		struct cs_err err = { 0, "" };

		while (sem_wait(&ident.hup) != 0)
			;
		if (cli_users_load(&fresh, ident.path, &err) != 0) {
			fprintf(stderr,
			    "%s: --users: %s: keeping the users read before\n",
			    cli_progname(), err.msg);
			continue;
		}
		pthread_rwlock_wrlock(&ident.lock);
		old = ident.users;
		ident.users = fresh;
		pthread_rwlock_unlock(&ident.lock);
		cli_users_free(old);
		if (ident.verbose)
			fprintf(stderr, "%s: --users: '%s' read again\n",
			    cli_progname(), ident.path);
	}
	return NULL;
}

int
recv_identity_start(struct recv_args *a)
{
	if (a->identity_hook_argv != NULL &&
	    (ident.hook = cli_idhook_start(
		 a->identity_hook_argv, a->cfg.timeout_ms)) == NULL) {
		fprintf(stderr,
		    "%s: cannot start the --identity-hook helper: %s\n",
		    cli_progname(), strerror(errno));
		return -1;
	}
	return 0;
}

void
recv_identity_watch(void)
{
	if (ident.path == NULL || sem_init(&ident.hup, 0, 0) != 0)
		return;
	/* signals blocked: the stop and reload handlers must never run on
	 * a thread that outlives the server */
	if (net_thread_detached(reloader, NULL, 256 * 1024) == 0)
		ident.reloader = 1;
}

void
recv_identity_hangup(void)
{
	if (ident.reloader)
		sem_post(&ident.hup);
}

void
recv_identity_stop(void)
{
	cli_idhook_close(ident.hook);
	ident.hook = NULL;
}

void
recv_hash_password(const char *method)
{
	static char pw[CLI_SECRET_MAX + 1], again[CLI_SECRET_MAX + 1];
	char hash[512];
	struct cs_err err = { 0, "" };
	size_t len, len2;
	int tty = isatty(STDIN_FILENO);

	if (cli_secret_read(NULL, "Passcode: ", pw, &len, &err) != 0)
		cli_usage_error("--hash-password: %s", err.msg);
	if (tty &&
	    (cli_secret_read(NULL, "Again: ", again, &len2, &err) != 0 ||
		len2 != len || memcmp(pw, again, len) != 0)) {
		explicit_bzero(pw, sizeof(pw));
		cli_usage_error("--hash-password: the two passcodes differ");
	}
	explicit_bzero(again, sizeof(again));
	if (cli_password_hash(method, pw, hash, sizeof(hash), &err) != 0) {
		explicit_bzero(pw, sizeof(pw));
		cli_usage_error("--hash-password: %s", err.msg);
	}
	explicit_bzero(pw, sizeof(pw));
	printf("%s\n", hash);
	exit(cli_flush_stdout("the hash") != 0 ? EXIT_OUTPUT : EXIT_OK);
}
