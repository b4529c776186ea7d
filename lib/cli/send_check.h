/*
 * send_check.h - dcmsend's options against each other and its operands,
 * after send_args_parse: what main would otherwise spell out inline.
 */
#ifndef CS_CLI_SEND_CHECK_H
#define CS_CLI_SEND_CHECK_H

struct send_args;

/*
 * dcmsend [options] HOST PORT [FILE...] (ops: nops operands after the
 * options): host ("[v6]" unwrapped in place) and port into a->cfg, the
 * options checked against each other and the operands, the passcode
 * read, DCMSEND_COMMIT_DELAY_MS taken.  Usage errors print and exit (2).
 */
void send_check_peer(struct send_args *a, int nops, char **ops);
/*
 * dcmsend [options] URL [FILE...]: trailing slashes cut from url (in
 * place), the options checked against a URL and nfiles files.  Usage
 * errors print and exit (2).
 */
void send_check_web(struct send_args *a, char *url, int nfiles);

#endif
