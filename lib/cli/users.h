/*
 * users.h - dcmrecv --users: the user names and passcode hashes that
 * User Identity Negotiation (PS3.7 D.3.3.7) is checked against, and
 * dcmrecv --hash-password.
 *
 * The file has one "NAME:HASH" line per user; blank lines and lines
 * starting with '#' are skipped.  NAME: 1-128 bytes, no ':' and no
 * control character.  HASH: a crypt(3) hash (libcrypt: yescrypt "$y$",
 * SHA-512 "$6$", bcrypt "$2b$", ...), checked with crypt_rn and compared
 * in constant time; empty: the name alone is enough (identity type 1,
 * or type 2 with any passcode).  A user with a hash must send a passcode.
 */
#ifndef CS_CLI_USERS_H
#define CS_CLI_USERS_H

#include <stddef.h>
#include <stdint.h>

#include "cstore/storescp.h"

struct cs_err;
struct cli_users;

/*
 * Reads the users file at path.  Returns 0 and the table in *out, or
 * CS_E_IO (cannot read it), CS_E_INVAL ("line N: ..."; no user at all),
 * CS_E_NOMEM.  Free with cli_users_free (NULL-safe).
 */
int
cli_users_load(struct cli_users **out, const char *path, struct cs_err *err);
void cli_users_free(struct cli_users *u);

/*
 * A storescp_identity_fn over a table (users): types 1 and 2 against
 * it; types 3-5 (Kerberos, SAML, JWT) refused, with the reason.  Thread
 * safe.  why never holds the passcode.
 */
int cli_users_check(void *users, const struct storescp_identity *id, char *name,
    size_t name_size, char *why, size_t why_size);

/*
 * 1 when passcode pw (len bytes) hashes to hash (a crypt(3) string),
 * 0 when not, or when it cannot be checked (a NUL in pw, too long, an
 * unknown method).  The hashes are compared in constant time.
 */
int cli_password_matches(const char *hash, const uint8_t *pw, size_t len);

/*
 * Hashes pw with a fresh random salt: method "yescrypt" (the default
 * when NULL) or "sha512".  Writes the crypt(3) string into out (size at
 * least 384).  Returns 0, or CS_E_INVAL (unknown method, passcode too
 * long), CS_E_IO (libcrypt failed).
 */
int cli_password_hash(const char *method, const char *pw, char *out,
    size_t size, struct cs_err *err);

#endif
