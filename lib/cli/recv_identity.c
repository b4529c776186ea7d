/* recv_identity.c - dcmrecv's user identity options (see recv_args.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cstore/cstore.h"
#include "cli/cli.h"
#include "cli/recv_args.h"
#include "cli/secret.h"
#include "cli/users.h"
#include "core/banned.h"

void
recv_identity_check(struct recv_args *a)
{
	struct cs_err err = { 0, "" };

	if (a->users_file == NULL) {
		if (a->cfg.require_identity)
			cli_usage_error("--require-identity needs --users");
		return;
	}
	if (cli_users_load(&a->users, a->users_file, &err) != 0)
		cli_usage_error("--users: %s", err.msg);
	a->cfg.check_identity = cli_users_check;
	a->cfg.identity_user = a->users;
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
