/*
 * ts_arg.h - a transfer syntax named on a command line (dcmrecv --ts
 * and --accept-ts, dcmsend --accept-ts).
 */
#ifndef CS_CLI_TS_ARG_H
#define CS_CLI_TS_ARG_H

/*
 * The UID of the transfer syntax arg names: a UID, a PS3.6 keyword or an
 * alias of data/transfer-syntaxes.tsv, in any letter case
 * (storescp_ts_uid).  Unknown: a usage error (exit 2) that lists the
 * names, each syntax with its aliases.  The result is static or arg.
 */
const char *cli_ts_arg(const char *arg);

#endif
