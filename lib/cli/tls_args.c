/* tls_args.c - the --tls options of both tools (see tls_args.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cstore/cstore.h"
#include "cli/cli.h"
#include "cli/exitcodes.h"
#include "cli/tls_args.h"
#include "net/transport.h"
#include "core/banned.h"

const char tls_send_help[] =
    "TLS (PS3.15 Annex B):\n"
    "      --tls                send over TLS, checking the server's certificate\n"
    "      --tls-ca FILE|DIR    trusted CAs (PEM file or hashed directory;\n"
    "                           default the system store)\n"
    "      --tls-server-name NAME  the name the certificate must carry\n"
    "                           (default the host operand)\n"
    "      --tls-cert FILE      our certificate, for servers that require one\n"
    "      --tls-key FILE       its private key (default: in --tls-cert)\n"
    "      --tls-profile P      bcp195-nd (default), bcp195 or bcp195-extended\n"
    "      --tls-insecure       do not check the server's certificate (unsafe)\n";

const char tls_recv_help[] =
    "TLS (PS3.15 Annex B; the certificate and key are read again on SIGHUP):\n"
    "      --tls                  accept only TLS connections\n"
    "      --tls-cert FILE        our certificate chain (PEM)\n"
    "      --tls-key FILE         its private key (default: in --tls-cert)\n"
    "      --tls-ca FILE|DIR      the only CAs that sign client certificates;\n"
    "                             a client certificate is required\n"
    "      --tls-optional-client-cert  let clients without a certificate in;\n"
    "                             without --tls-ca none is asked for\n"
    "      --tls-profile P        bcp195-nd (default), bcp195 or bcp195-extended\n";

static enum cstore_tls_profile
profile(const char *arg)
{
	if (strcmp(arg, "bcp195-nd") == 0)
		return CSTORE_TLS_BCP195_ND;
	if (strcmp(arg, "bcp195") == 0)
		return CSTORE_TLS_BCP195;
	if (strcmp(arg, "bcp195-extended") == 0)
		return CSTORE_TLS_BCP195_EXTENDED;
	cli_usage_error("TLS profile '%s': not bcp195-nd, bcp195 or "
			"bcp195-extended",
	    arg);
	return CSTORE_TLS_BCP195_ND;
}

int
tls_args_parse(struct cstore_tls *t, int opt, const char *arg)
{
	switch (opt) {
	case OPT_TLS:
		t->enabled = 1;
		return 1;
	case OPT_TLS_CA:
		t->ca = arg;
		return 1;
	case OPT_TLS_CERT:
		t->cert = arg;
		return 1;
	case OPT_TLS_INSECURE:
		t->insecure = 1;
		return 1;
	case OPT_TLS_KEY:
		t->key = arg;
		return 1;
	case OPT_TLS_OPTIONAL_CLIENT_CERT:
		t->optional_client_cert = 1;
		return 1;
	case OPT_TLS_PROFILE:
		t->profile = profile(arg);
		t->profile_set = 1;
		return 1;
	case OPT_TLS_SERVER_NAME:
		t->server_name = arg;
		return 1;
	default:
		return 0;
	}
}

void
tls_args_check(const struct cstore_tls *t, int server)
{
	int any = t->ca || t->cert || t->key || t->insecure ||
	    t->optional_client_cert || t->profile_set || t->server_name;

	if (!t->enabled) {
		if (any)
			cli_usage_error("the --tls-* options need --tls");
		return;
	}
	if (t->key != NULL && t->cert == NULL)
		cli_usage_error("--tls-key needs --tls-cert");
	if (server && t->cert == NULL)
		cli_usage_error(
		    "--tls needs --tls-cert (the receiver's certificate)");
	/* the receiver trusts no CA it is not told of (the system's
	 * store holds every public CA), as DCMTK's storescp */
	if (server && t->ca == NULL && !t->optional_client_cert)
		cli_usage_error("--tls requires client certificates and no CA "
				"to check them is named: give --tls-ca "
				"FILE|DIR, or --tls-optional-client-cert");
	if (t->insecure && (t->ca != NULL || t->server_name != NULL))
		cli_usage_error("--tls-insecure checks nothing: not with "
				"--tls-ca or --tls-server-name");
	if (t->insecure)
		fprintf(stderr,
		    "%s: WARNING: --tls-insecure: the server's certificate is "
		    "NOT checked; anyone on the path can read and change what "
		    "is sent\n",
		    cli_progname());
	if (!server)
		tls_args_load(t);
}

/* The sender's certificate, key and CAs read once now: a file that
 * cannot be loaded is the command line's fault (2, as dcmrecv's at its
 * start), not a peer that could not be reached (3) after every file was
 * planned.  The run reads them again for its connections. */
void
tls_args_load(const struct cstore_tls *t)
{
	struct cs_err err = { 0, "" };
	struct tls_ctx *c = tls_ctx_new(t, 0, &err);

	if (c == NULL) {
		fprintf(stderr, "%s: %s\n", cli_progname(), err.msg);
		exit(EXIT_USAGE);
	}
	tls_ctx_free(c);
}
