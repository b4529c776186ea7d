/*
 * tls_args.h - the --tls options of dcmsend and dcmrecv (issue 15):
 * their getopt values, parsing into struct cstore_tls, the checks
 * across them, and their --help lines.
 */
#ifndef CS_CLI_TLS_ARGS_H
#define CS_CLI_TLS_ARGS_H

#include "cstore/tls.h"

/* getopt_long values of the TLS options (above every tool's own). */
enum {
	OPT_TLS = 1000,
	OPT_TLS_CA,
	OPT_TLS_CERT,
	OPT_TLS_INSECURE,
	OPT_TLS_KEY,
	OPT_TLS_OPTIONAL_CLIENT_CERT,
	OPT_TLS_PROFILE,
	OPT_TLS_SERVER_NAME,
};

/* --help lines: the sender's and the receiver's. */
extern const char tls_send_help[];
extern const char tls_recv_help[];

/*
 * Applies option opt (one of the OPT_TLS_* values) with its argument to
 * t; a bad value is a usage error (exits).  Returns 1 if opt is a TLS
 * option, 0 if not.
 */
int tls_args_parse(struct cstore_tls *t, int opt, const char *arg);

/*
 * The checks across the TLS options once all are read: a --tls-* option
 * without --tls, a receiver without a certificate, a key without a
 * certificate, are usage errors; --tls-insecure is said on stderr.
 * server: dcmrecv (which loads its files in storescp_new); for the
 * sender, a certificate, key or CA file that cannot be loaded is a
 * usage error too (exit 2, the reason on stderr).
 */
void tls_args_check(const struct cstore_tls *t, int server);

/* The sender's certificate, key and CA files of t loaded once now (as
 * a connection would): one that cannot be, or an encrypted key, is a
 * usage error (exits 2, the reason on stderr). */
void tls_args_load(const struct cstore_tls *t);

#endif
