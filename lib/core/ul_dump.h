/*
 * ul_dump.h - PDUs in readable form, for -d/--trace: PDU type and
 * length, every item, each presentation context with its result in
 * words, user information sub-items.  Pure: text goes to a line
 * callback, nothing is printed here.
 */
#ifndef CS_CORE_UL_DUMP_H
#define CS_CORE_UL_DUMP_H

#include <stddef.h>
#include <stdint.h>

typedef void (*ul_line_fn)(void *user, const char *line);

/*
 * Describes one PDU as the ul_assoc trace hook passes it (dir 'S' sent,
 * 'R' received; a whole association-control PDU, or the PDU and first
 * PDV headers of a P-DATA-TF) in one or more lines.  The AC does not
 * name abstract syntaxes on the wire; proposal, when not NULL, is the
 * RQ whose abstract syntaxes are shown next to the AC's results.
 */
struct ul_assoc_params;
void ul_dump_pdu(char dir, const uint8_t *pdu, size_t len,
    const struct ul_assoc_params *proposal, ul_line_fn line, void *user);

/* "1.2.840.10008.1.2.1 (ExplicitVRLittleEndian)" into buf. */
const char *ul_dump_uid(const char *uid, char *buf, size_t size);

#endif
