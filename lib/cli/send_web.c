/* send_web.c - dcmsend's options against a URL operand (send_args.h). */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cstore/cstore.h"
#include "cstore/storescp.h"
#include "cli/cli.h"
#include "cli/exitcodes.h"
#include "cli/output.h"
#include "cli/send_args.h"
#include "cli/secret.h"
#include "cli/tls_args.h"
#include "cli/ts_arg.h"
#include "web/stow_http.h"

#include "core/banned.h"

/* What only a DIMSE peer has: the first one given, or NULL. */
static const char *
dimse_only(const struct send_args *a)
{
	const struct cstore_tls *t = &a->cfg.tls;

	if (a->send.commit || a->commit_listen || a->commit_state ||
	    a->commit_wait)
		return "--commit (storage commitment is a DIMSE service, "
		       "PS3.4 Annex J: STOW-RS has none)";
	if (a->send.probe)
		return "--probe (nothing to negotiate over HTTP)";
	if (a->send.per_assoc)
		return "--per-assoc (see --stow-batch)";
	if (a->cfg.user || a->password_file || a->password_stdin)
		return "--user (use --bearer-file or --netrc)";
	if (t->enabled)
		return "--tls (an https:// URL is)";
	if (t->insecure || t->profile_set || t->server_name)
		return "--tls-insecure, --tls-profile and --tls-server-name";
	return NULL;
}

/* A netrc file read as libcurl 7.88 reads it: line by line; p is where
 * the next token is looked for (NULL: on the next line); macdef: a
 * macro's lines are skipped, up to an empty one. */
struct netrc_rd {
	FILE *f;
	char line[4096];
	char *p;
	int macdef;
};

/* The next token into tok: 1, or 0 at the end of the file (an empty
 * quoted "" is a token).  Tokens are apart by white space, or "quoted"
 * with \ escapes; an unquoted one beginning with # makes the rest of
 * its line a comment. */
static int
netrc_token(struct netrc_rd *r, char *tok, size_t len)
{
	size_t n = 0;
	int quoted;

	for (;;) {
		while (r->p != NULL && strchr(" \t\r\n", *r->p) != NULL &&
		    *r->p != '\0')
			r->p++;
		if (r->p != NULL && *r->p != '\0' && *r->p != '#')
			break;
		if (fgets(r->line, sizeof(r->line), r->f) == NULL)
			return 0;
		r->p = r->line;
		if (r->macdef) {
			r->macdef = r->line[0] != '\n' && r->line[0] != '\r';
			r->p = NULL;
		}
	}
	if ((quoted = *r->p == '"'))
		r->p++;
	for (; *r->p != '\0'; r->p++) {
		if (quoted ? *r->p == '"' : strchr(" \t\r\n", *r->p) != NULL)
			break;
		if (quoted && *r->p == '\\' && r->p[1] != '\0')
			r->p++;
		if (n + 1 < len)
			tok[n++] = *r->p;
	}
	if (quoted && *r->p == '"')
		r->p++;
	tok[n] = '\0';
	return 1;
}

/* Whether the netrc file path has an entry for host ("machine host"
 * or "default", keywords in any case): 1, 0, or -1 with errno when it
 * cannot be read.  A macdef's lines, up to an empty one, hold none.
 * As libcurl 7.88.1, the tokens after another machine's login or
 * password are not skipped as values: its "login default" is the
 * default entry (curl sends that entry's password). */
static int
netrc_has(const char *path, const char *host)
{
	struct netrc_rd r = { NULL, "", NULL, 0 };
	char tok[1024];
	int found = 0, machine = 0;

	if ((r.f = fopen(path, "r")) == NULL)
		return -1;
	while (!found && netrc_token(&r, tok, sizeof(tok))) {
		if (machine)
			found = strcasecmp(tok, host) == 0, machine = 0;
		else if (strcasecmp(tok, "default") == 0)
			found = 1;
		else if (strcasecmp(tok, "machine") == 0)
			machine = 1;
		else if (strcasecmp(tok, "macdef") == 0)
			r.macdef = 1, r.p = NULL;
	}
	fclose(r.f);
	return found;
}

/* --netrc: libcurl's file ($HOME/.netrc) names the URL's host, or the
 * run would go without the credentials asked for (a 401 that does not
 * say why): exit 2 saying so. */
static void
netrc_check(const char *url)
{
	const char *home = getenv("HOME");
	struct passwd *pw;
	char host[256], path[4096];
	int rc;

	if (home == NULL || home[0] == '\0')
		home = (pw = getpwuid(getuid())) != NULL ? pw->pw_dir : NULL;
	if (home == NULL || stow_http_url_host(url, host, sizeof(host)) != 0)
		return; /* libcurl finds none either, or says why */
	snprintf(path, sizeof(path), "%s/.netrc", home);
	rc = netrc_has(path, host);
	if (rc < 0)
		cli_usage_error(
		    "--netrc: cannot read %s: %s", path, strerror(errno));
	if (rc == 0)
		cli_usage_error("--netrc: %s has no entry for %s ('machine "
				"%s' or 'default'): no credentials to send",
		    path, host, host);
}

void
send_web_accept_ts(struct send_args *a, const char *arg)
{
	const char *uid;
	char *list, *p;

	/* the receiver's names (storescp_ts_uid), kept for the run */
	if (strlen(arg) >= sizeof(a->accept_ts_buf))
		cli_usage_error("--accept-ts: the list is too long");
	memcpy(a->accept_ts_buf, arg, strlen(arg) + 1);
	list = a->accept_ts_buf;
	a->stow.n_accept_ts = 0;
	while ((p = strsep(&list, ",")) != NULL) {
		uid = cli_ts_arg(p);
		if (a->stow.n_accept_ts == STOW_MAX_ACCEPT)
			cli_usage_error("--accept-ts: at most %d syntaxes",
			    STOW_MAX_ACCEPT);
		a->stow.accept_ts[a->stow.n_accept_ts++] = uid;
	}
}

/*
 * The token of a --bearer-file line, in place: the spaces around it
 * and an "Authorization: Bearer " or "Bearer " written before it (the
 * header's words, copied with it) dropped.  A space or control byte
 * left inside (a bare CR would end the header line early at some
 * servers) is a usage error.
 */
static void
bearer_token(char *t)
{
	static const char *const lead[] = { "authorization:", "bearer" };
	size_t n = strlen(t), k, skip;

	for (k = 0; k < 2; k++) {
		skip = strspn(t, " \t");
		if (strncasecmp(t + skip, lead[k], strlen(lead[k])) == 0 &&
		    strchr(" \t", t[skip + strlen(lead[k])]) != NULL &&
		    t[skip + strlen(lead[k])] != '\0')
			skip += strlen(lead[k]);
		memmove(t, t + skip, n - skip + 1);
		n -= skip;
	}
	skip = strspn(t, " \t");
	memmove(t, t + skip, n - skip + 1);
	n -= skip;
	while (n > 0 && (t[n - 1] == ' ' || t[n - 1] == '\t'))
		t[--n] = '\0';
	if (n == 0)
		cli_usage_error("--bearer-file: no token in its first line");
	for (k = 0; k < n; k++)
		if ((unsigned char)t[k] <= ' ' || (unsigned char)t[k] == 0x7f)
			cli_usage_error(
			    "--bearer-file: the token holds a space "
			    "or control character (byte %zu of it), "
			    "which no bearer token has (RFC 6750 "
			    "2.1)",
			    k + 1);
}

void
send_web_check(struct send_args *a, const char *url)
{
	struct cs_err err = { 0, "" };
	const char *bad = dimse_only(a);
	size_t len;

	if (bad != NULL)
		cli_usage_error("%s: not with a URL", bad);
	if (a->cfg.tls.ca != NULL && strncasecmp(url, "https://", 8) != 0)
		cli_usage_error("--tls-ca needs an https:// URL");
	if ((a->cfg.tls.cert != NULL || a->cfg.tls.key != NULL) &&
	    strncasecmp(url, "https://", 8) != 0)
		cli_usage_error(
		    "--tls-cert and --tls-key need an https:// URL");
	if (a->cfg.tls.key != NULL && a->cfg.tls.cert == NULL)
		cli_usage_error("--tls-key needs --tls-cert");
	if (a->cfg.tls.cert != NULL) {
		/* the files checked as for --tls (exit 2, never a prompt
		 * for an encrypted key's pass phrase) */
		struct cstore_tls t = a->cfg.tls;

		t.enabled = 1;
		tls_args_load(&t);
	}
	if (a->bearer_file != NULL && a->stow.netrc)
		cli_usage_error("--bearer-file and --netrc exclude each other");
	if (a->stow.netrc)
		netrc_check(url);
	/* a credential in clear text past this machine: every router and
	 * proxy on the way reads it, and the files */
	if ((a->bearer_file != NULL || a->stow.netrc) &&
	    strncasecmp(url, "http://", 7) == 0 && !stow_http_url_is_local(url))
		fprintf(stderr,
		    "%s: WARNING: %s over http:// to another host: the "
		    "credentials and the files go unencrypted; use https://\n",
		    cli_progname(),
		    a->bearer_file != NULL ? "--bearer-file" : "--netrc");
	a->stow.url = url;
	a->stow.ca = a->cfg.tls.ca;
	a->stow.cert = a->cfg.tls.cert;
	a->stow.key = a->cfg.tls.key;
	a->stow.connect_timeout_ms = a->cfg.connect_timeout_ms;
	a->stow.timeout_ms = a->cfg.dimse_timeout_ms;
	if (a->bearer_file != NULL) {
		if (cli_secret_read(
			a->bearer_file, NULL, a->bearer, &len, &err) != 0)
			cli_usage_error("--bearer-file: %s", err.msg);
		bearer_token(a->bearer);
		a->stow.bearer = a->bearer;
	}
}

int
send_web_echo(const struct send_args *a, const struct cli_out *o)
{
	struct cs_err err = { 0, "" };
	char st[16];
	long code = 0;
	int rc = stow_echo(&a->stow, &code, &err);

	if (rc != 0) {
		fprintf(stderr, "%s: echo to '%s' failed: %s\n", cli_progname(),
		    a->stow.url, err.code ? err.msg : cs_strerror(rc));
		return cli_exit_for(rc);
	}
	snprintf(st, sizeof(st), "HTTP %ld", code);
	{
		const struct cli_field f[] = {
			CLI_S("url", 2, a->stow.url),
			CLI_I("http_status", 0, (uint64_t)code),
			CLI_S(NULL, 1, st),
		};

		cli_out_write(o, f, CLI_NFIELDS(f));
	}
	if ((code < 200 || code >= 300) && !a->quiet)
		fprintf(stderr, "%s: '%s' answered the query with HTTP %ld\n",
		    cli_progname(), a->stow.url, code);
	/* the answer is its line: one that could not be written is 6 */
	if (cli_flush_stdout("the result") != 0)
		return EXIT_OUTPUT;
	if (code >= 200 && code < 300)
		return EXIT_OK;
	return code == 401 || code == 403 || code == 407 ? EXIT_REJECTED
							 : EXIT_NO;
}
