/* send_identity.c - dcmsend's user identity options (see send_args.h). */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cstore/cstore.h"
#include "cli/cli.h"
#include "cli/send_args.h"
#include "core/banned.h"

/* 1 when the files come from standard input (see cli/operands.h). */
static int
files_from_stdin(int nops, char **ops)
{
	if (nops == 0)
		return !isatty(STDIN_FILENO);
	for (int i = 0; i < nops; i++)
		if (strcmp(ops[i], "-") == 0)
			return 1;
	return 0;
}

void
send_identity_check(struct send_args *a, int nops, char **ops)
{
	struct cs_err err = { 0, "" };
	struct stat st;
	size_t len = 0;
	int rc;

	if (a->cfg.user == NULL) {
		if (a->password_file || a->password_stdin ||
		    a->cfg.identity_response)
			cli_usage_error("%s needs --user",
			    a->password_file        ? "--password-file"
				: a->password_stdin ? "--password-stdin"
						    : "--identity-response");
		return;
	}
	if (a->cfg.user[0] == '\0' || strlen(a->cfg.user) > 65535)
		cli_usage_error("--user: a name of 1-65535 bytes");
	if (a->password_file && a->password_stdin)
		cli_usage_error(
		    "--password-file and --password-stdin exclude each other");
	if (a->password_stdin && !a->echo && files_from_stdin(nops, ops))
		cli_usage_error(
		    "--password-stdin: standard input holds the passcode; name the files as operands");
	if (!a->password_file && !a->password_stdin)
		return; /* identity type 1: the name alone */
	/* a directory is no passcode file: its error alone below */
	if (a->password_file && !a->quiet && stat(a->password_file, &st) == 0 &&
	    !S_ISDIR(st.st_mode) && (st.st_mode & (S_IRWXG | S_IRWXO)) != 0)
		fprintf(stderr,
		    "%s: warning: the passcode file '%s' is open to other users (mode %04o; chmod 600 it)\n",
		    cli_progname(), a->password_file,
		    (unsigned)(st.st_mode & 07777));
	rc = cli_secret_read(
	    a->password_file, "Passcode: ", a->password, &len, &err);
	if (rc != 0)
		cli_usage_error("%s: %s",
		    a->password_file ? "--password-file" : "--password-stdin",
		    err.msg);
	a->cfg.password = (const uint8_t *)a->password;
	a->cfg.password_len = len;
}
