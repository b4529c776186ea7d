/*
 * ds_elem.h - one decoder of Part 5 data element headers, shared by every
 * reader of datasets: the receiver's incremental scanner (ds_scan), the
 * sender's file prober (dcmfile/part10) and the transcoder's walker.
 *
 * It decodes one header at a time from a bounded reader and says what
 * follows it; it keeps no state, allocates nothing and never looks at a
 * value.  Callers keep their own structure (a stack of open sequences),
 * so that each can read the way it must: byte by byte, through a window,
 * or from memory.
 *
 * The rules decided here, once (PS3.5 7.1, 7.5, 6.2.2, A.4):
 *   - items and delimiters (group FFFE) have the 8-byte form (tag, 32-bit
 *     length) in every encoding, in the encoding's byte order;
 *   - in Explicit VR, the VRs of ds_vr_long_length have 2 reserved bytes
 *     and a 32-bit length (12 bytes), every other known VR a 16-bit
 *     length (8 bytes);
 *   - an explicit VR we do not know but that has the form of one (two
 *     upper-case letters: a VR of a later edition) is read as a
 *     long-length VR: every VR added since the first edition (OF UT UN
 *     OD OL UC UR OV SV UV) has that form;
 *   - a blank VR (two spaces, which GE's writers made for an element whose
 *     VR they did not know) has a 16-bit length, as DCMTK reads it; any
 *     other VR that is not two capitals is refused;
 *   - an undefined length means: SQ, UN (contents in Implicit VR LE,
 *     PS3.5 6.2.2), or in Implicit VR any element but Pixel Data: a
 *     sequence; Pixel Data (whatever its VR) and other OB or OW:
 *     encapsulated fragments; anything else is malformed.
 * Odd lengths are decoded as they are: PS3.5 7.1.1 asks for even ones,
 * but real writers make odd ones and other readers accept them.
 */
#ifndef CS_CORE_DS_ELEM_H
#define CS_CORE_DS_ELEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cstore/cstore.h"
#include "core/buf.h"

/* A tag as one number: group in the high 16 bits. */
#define DS_TAG(g, e) (((uint32_t)(g) << 16) | (uint32_t)(e))
#define DS_TAG_GROUP(t) ((uint16_t)((t) >> 16))
#define DS_TAG_ELEM(t) ((uint16_t)((t)&0xffffu))

/* PS3.5 7.5: items and delimiters, group FFFE */
#define DS_TAG_ITEM DS_TAG(0xfffe, 0xe000)
#define DS_TAG_ITEM_DELIM DS_TAG(0xfffe, 0xe00d)
#define DS_TAG_SEQ_DELIM DS_TAG(0xfffe, 0xe0dd)
/* PS3.6: the pixel data elements */
#define DS_TAG_FLOAT_PIXEL_DATA DS_TAG(0x7fe0, 0x0008)
#define DS_TAG_DOUBLE_PIXEL_DATA DS_TAG(0x7fe0, 0x0009)
#define DS_TAG_PIXEL_DATA DS_TAG(0x7fe0, 0x0010)

/* PS3.5 7.1.1: the Value Length of an undefined-length value */
#define DS_LEN_UNDEFINED 0xffffffffu
/* The longest element header (Explicit VR, long-length VR). */
#define DS_ELEM_HDR_MAX 12

enum ds_enc {
	DS_ENC_IVR_LE = 1, /* Implicit VR Little Endian (PS3.5 A.1) */
	DS_ENC_EVR_LE = 2, /* Explicit VR Little Endian (A.2, A.4) */
	DS_ENC_EVR_BE = 3  /* Explicit VR Big Endian (A.3, retired) */
};

/* One element header as it was encoded. */
struct ds_elem {
	uint32_t tag;
	char vr[3];      /* "" when implicit or group FFFE; NUL-terminated */
	uint32_t len;    /* Value Length, or DS_LEN_UNDEFINED */
	uint8_t hdr_len; /* bytes the header took: 8 or 12 */
};

/* What follows a header (ds_elem_kind). */
enum ds_value_kind {
	/* len bytes of value (a defined-length SQ is DS_KIND_SEQUENCE) */
	DS_KIND_VALUE = 1,
	/* items, until len bytes are used or, for DS_LEN_UNDEFINED, until a
	 * Sequence Delimitation Item */
	DS_KIND_SEQUENCE,
	/* encapsulated pixel data (PS3.5 A.4): defined-length items
	 * (fragments, never parsed) until a Sequence Delimitation Item */
	DS_KIND_FRAGMENTS,
	/* (FFFE,E000): len bytes of dataset, or an undefined-length dataset
	 * up to an Item Delimitation Item */
	DS_KIND_ITEM,
	DS_KIND_ITEM_DELIM, /* (FFFE,E00D) */
	DS_KIND_SEQ_DELIM,  /* (FFFE,E0DD) */
	/* undefined length where no VR allows it, or another FFFE tag */
	DS_KIND_INVALID
};

/*
 * Decodes the element header at r's position in encoding enc into *e
 * and advances r past it.  e->tag is set whenever 4 bytes were there,
 * whatever the result.  Returns 0, or without moving r:
 *   CS_E_TRUNCATED  fewer bytes left than the header needs (r->err and
 *                   err untouched: an incremental caller waits for more).
 *                   e->hdr_len then says how many bytes the header needs
 *                   at least (8, or 12 once the VR shows it);
 *   CS_E_PROTO      the VR bytes are no VR (detail in err);
 *   CS_E_INVAL      enc is not a ds_enc, or r has latched an error.
 */
int ds_elem_read(
    struct rd *r, enum ds_enc enc, struct ds_elem *e, struct cs_err *err);

/*
 * True for the VRs that take 2 reserved bytes and a 32-bit length in
 * Explicit VR (PS3.5 Tables 7.1-1 and 7.1-2): OB OD OF OL OV OW SQ SV UC
 * UN UR UT UV.  vr: two characters (more are ignored); NULL is false.
 */
bool ds_vr_long_length(const char *vr);

/*
 * The header form this reader (and every writer of ours) uses for vr in
 * Explicit VR: true for 2 reserved bytes and a 32-bit length, that is a
 * VR of ds_vr_long_length or one it does not know (two capitals of a
 * later edition: new VRs take the long form, PS3.5 6.2); false for a
 * blank VR ("  ", see above).
 */
bool ds_vr_header_long(const char *vr);

/* True if vr (two characters) is one of PS3.5 Table 6.2-1's VRs. */
bool ds_vr_known(const char *vr);

/*
 * Says what follows the header e read in encoding enc, and sets *inner
 * (if not NULL) to the encoding of what is inside (items, and the
 * datasets of items): Implicit VR LE for a UN sequence, enc otherwise.
 * Implicit VR tells a sequence only by an undefined length: a
 * defined-length one is DS_KIND_VALUE there (and so is a defined-length
 * UN that holds a sequence).  The float and double pixel data elements
 * are never encapsulated: with an undefined length they are invalid.
 */
enum ds_value_kind
ds_elem_kind(const struct ds_elem *e, enum ds_enc enc, enum ds_enc *inner);

/*
 * The encoding of the data set in an item of an undefined-length UN
 * sequence, told from the first n bytes of the item's first element.
 * PS3.5 6.2.2 says Implicit VR LE, and that is the answer, except when
 * the data set around the UN (outer) is Explicit VR LE and bytes 4-5 are
 * a VR of Table 6.2-1: writers from before that rule (CP-246) kept the
 * explicit encoding there.  An implicit length whose low bytes spell a
 * VR would be over 16 KB, which a first element hardly has.  Fewer than
 * 6 bytes: Implicit VR LE.
 */
enum ds_enc ds_un_item_enc(const uint8_t *p, size_t n, enum ds_enc outer);

/* Returns a static name for a kind ("value", "sequence"...), for logs. */
const char *ds_kind_name(enum ds_value_kind kind);

#endif
