/*
 * recv_opts.h - dcmrecv's option syntax: the values of its debugging
 * options and of --on-duplicate, parsed into the structs of
 * cstore/storescp.h.  The library takes structs only; the words and
 * their spelling belong to the command line.
 *
 * Each parser returns 0, or CS_E_INVAL with a message in err that names
 * the value (err may be shown to the user as it is).  On error the
 * output is left as it was.
 */
#ifndef CS_CLI_RECV_OPTS_H
#define CS_CLI_RECV_OPTS_H

#include <stdint.h>

#include "cstore/cstore.h"
#include "cstore/storescp.h"

/* "A700", "0xA700", "42752" -> *status (through lib/core/status). */
int cli_parse_status(const char *s, uint16_t *status, struct cs_err *err);

/* --respond-every "N:STATUS" (N 1-1000000000) -> f->respond_every*. */
int cli_parse_respond_every(
    const char *s, struct storescp_faults *f, struct cs_err *err);

/*
 * --reject "transient" | "permanent", optionally ":REASON": a number 1-7
 * (source 1, service user), or "congestion" / "limit" (source 3,
 * reasons 1 and 2); without one, reason 1 (no reason given).  Sets
 * f->reject and f->reject_*.
 */
int
cli_parse_reject(const char *s, struct storescp_faults *f, struct cs_err *err);

/* --on-duplicate "overwrite", "keep", "rename", "reject" -> *dup. */
int cli_parse_dup(const char *s, enum storescp_dup *dup, struct cs_err *err);

#endif
