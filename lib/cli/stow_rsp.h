/*
 * stow_rsp.h - what a STOW-RS response (PS3.18 10.5.3, an
 * application/dicom+json data set) says of each instance: in its
 * Referenced SOP Sequence (0008,1199), perhaps with a Warning Reason
 * (0008,1196), or in its Failed SOP Sequence (0008,1198) with a
 * Failure Reason (0008,1197).  json-c does the parsing; the XML
 * representation is read by stow_rsp_xml.c.
 */
#ifndef CS_CLI_STOW_RSP_H
#define CS_CLI_STOW_RSP_H

#include <stddef.h>
#include <stdint.h>

struct cs_err;
struct stow_rsp;

enum stow_verdict {
	STOW_UNNAMED = 0, /* in neither sequence */
	STOW_REFERENCED,  /* stored; *reason the Warning Reason or 0 */
	STOW_FAILED,      /* *reason the Failure Reason (0 if none given) */
};

/* The len bytes of body, or NULL with CS_E_PROTO (not a JSON data set)
 * or CS_E_NOMEM in err. */
struct stow_rsp *
stow_rsp_parse(const char *body, size_t len, struct cs_err *err);
enum stow_verdict stow_rsp_find(
    const struct stow_rsp *r, const char *sop_instance, uint16_t *reason);
void stow_rsp_free(struct stow_rsp *r);

/* Whether Content-Type type is the XML representation. */
int stow_rsp_xml_type(const char *type);

/* The verdict on sop_instance of a response of Content-Type type that
 * is the XML representation (application/dicom+xml), as
 * stow_rsp_find's: named in an item of the Failed SOP Sequence (which
 * wins) or of the Referenced SOP Sequence; STOW_UNNAMED for another
 * type (stow_rsp_xml.c). */
enum stow_verdict stow_rsp_xml_find(const char *type, const char *body,
    size_t len, const char *sop_instance, uint16_t *reason);

#endif
