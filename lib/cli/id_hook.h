/*
 * id_hook.h - dcmrecv --identity-hook: a command judges the user
 * identities that --users does not (PS3.7 D.3.3.7: Kerberos, SAML,
 * JWT; user names too without --users).
 *
 * Like --exec (hook_sep.h), the commands run from a helper process
 * forked before the receiver confines itself.  For each identity the
 * receiver makes a socket pair, hands one end to the helper and sends
 * the identity over it; the helper starts the command (no shell) with
 * the identity on its standard input, never in its arguments or its
 * environment, and answers on the same socket.  The environment says
 * what is not secret:
 *
 *   CSTORE_IDENTITY_TYPE        1-5 (user, user and passcode, Kerberos,
 *                               SAML, JWT)
 *   CSTORE_IDENTITY_PRIMARY_LENGTH, CSTORE_IDENTITY_SECONDARY_LENGTH
 *                               bytes of each field on standard input,
 *                               primary first (secondary: type 2 only)
 *   CSTORE_IDENTITY_RESPONSE    1 when the peer asks for a response
 *   CSTORE_CALLING_AE, CSTORE_PEER
 *
 * Exit status 0 accepts: the first line of standard output is the name
 * to show, the bytes after it the server response (types 3-5; one
 * longer than the room the receiver gives rejects).  Any other end
 * rejects.  A command still running after the bound is
 * killed (its process group) and the identity rejected for now.
 */
#ifndef CS_CLI_ID_HOOK_H
#define CS_CLI_ID_HOOK_H

#include <stddef.h>

#include "cstore/storescp.h"

struct cli_idhook;

/*
 * Forks the helper for argv (borrowed; the command and its arguments,
 * NULL-terminated), each command bounded by timeout_ms.  Call it while
 * the process has one thread.  Returns NULL with errno set when it
 * could not be started.
 */
struct cli_idhook *
cli_idhook_start(const char *const *argv, unsigned timeout_ms);

/*
 * A storescp_identity_fn over h: 0 accepted (the name in name), -1
 * rejected (the command said no, or its answer was unusable), -2 when
 * it did not answer within the bound or the helper is gone.  Thread
 * safe.  The name shown for types 3-5 is "kerberos:", "saml:" or
 * "jwt:" and the command's first line; for types 1 and 2 that line, or
 * the user name sent when it printed none.
 */
int cli_idhook_check(void *h, const struct storescp_identity *id, char *name,
    size_t name_size, char *why, size_t why_size);

/* Closes the receiver's end; the helper exits.  NULL-safe. */
void cli_idhook_close(struct cli_idhook *h);

#endif
