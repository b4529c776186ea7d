/*
 * privdrop.h - dcmrecv --user NAME: give up root once the port is bound.
 */
#ifndef CS_CLI_PRIVDROP_H
#define CS_CLI_PRIVDROP_H

#include "cstore/cstore.h"

/*
 * Becomes user name for good: its groups (initgroups), its group, its
 * user id, $HOME untouched; but first checks, as that user, that dir
 * (the output directory) is writable by it, so that a refusal leaves
 * the user ID unchanged.  Returns 0, or CS_E_INVAL (no such user) or
 * CS_E_IO (not possible, dir not writable) with err set.  Already that
 * user (not root): only the check.
 */
int cli_drop_privileges(const char *name, const char *dir, struct cs_err *err);

#endif
