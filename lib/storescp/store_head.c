/*
 * store_head.c - File Meta Information elements (group 0002) that a
 * sender put at the head of a data set are dropped as they stream in.
 *
 * A data set holds no element of a group below 0008 (PS3.5 7.1, PS3.4
 * C.4.1.1.3): group 0002 is the File Meta Information of a Part 10 file
 * (PS3.10 7.1), which the receiver writes itself.  Kept, they would
 * follow our meta group in the file, and a reader that takes every
 * group 0002 element before the data set as the meta (pydicom does)
 * reads the sender's Transfer Syntax UID instead of ours.  Writers make
 * such data sets (a pydicom Dataset whose meta elements were set on the
 * data set itself, then sent as it is).
 *
 * Elements are in ascending order (PS3.5 7.1.2), so these can only be
 * the first ones: each header is held (at most 12 bytes) until its
 * group is known; the first one of another group ends the look, and its
 * held bytes go to the file before the rest.  Only the data sets the
 * scanner can read are looked at (not a Deflated one, stored as it
 * came); store_unseen_room splices nothing while the look goes on.
 */
#include <string.h>

#include "cstore/cstore.h"
#include "core/ds_elem.h"
#include "core/ds_scan.h"
#include "core/status.h"
#include "core/ts.h"
#include "storescp/store.h"
#include "core/banned.h"

#define META_GROUP 0x0002u

void
store_head_begin(struct store *st)
{
	struct store_head *h = &st->head;

	memset(h, 0, sizeof(*h));
	h->on = ds_scan_enc_for_ts(st->ts, &h->enc) == 0;
}

static unsigned
rd16(const struct store_head *h, const uint8_t *p)
{
	return h->enc == DS_ENC_EVR_BE ? (unsigned)p[0] << 8 | p[1]
				       : (unsigned)p[1] << 8 | p[0];
}

static uint32_t
rd32(const struct store_head *h, const uint8_t *p)
{
	if (h->enc == DS_ENC_EVR_BE)
		return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
		    (uint32_t)p[2] << 8 | p[3];
	return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[1] << 8 | p[0];
}

/* The header bytes the element in hand needs before its length is
 * known: 2 (its group) until then. */
static size_t
header_size(const struct store_head *h)
{
	char vr[3];

	if (h->have < 2 || h->enc == DS_ENC_IVR_LE)
		return h->have < 2 ? 2 : 8;
	if (h->have < 6)
		return 6;
	vr[0] = (char)h->hdr[4];
	vr[1] = (char)h->hdr[5];
	vr[2] = '\0';
	return ds_vr_header_long(vr) ? 12 : 8;
}

/* The value length of the complete header in hand. */
static uint32_t
value_length(const struct store_head *h)
{
	if (h->enc == DS_ENC_IVR_LE || h->have == 12)
		return rd32(h, h->hdr + h->have - 4);
	return rd16(h, h->hdr + 6);
}

/* Takes header bytes of the element in hand; returns 1 when it is not
 * a group 0002 element (the look is over), else 0. */
static int
take_header(struct store_head *h, const uint8_t **data, size_t *len)
{
	size_t need = header_size(h), n;

	while (*len > 0 && h->have < need) {
		n = need - h->have < *len ? need - h->have : *len;
		memcpy(h->hdr + h->have, *data, n);
		h->have += n;
		*data += n;
		*len -= n;
		if (h->have >= 2 && rd16(h, h->hdr) != META_GROUP)
			return 1;
		need = header_size(h);
	}
	return 0;
}

void
store_head_feed(struct store *st, const uint8_t *data, size_t len)
{
	struct store_head *h = &st->head;
	uint32_t vlen;
	size_t n;

	while (h->on && len > 0) {
		if (h->skip > 0) {
			n = h->skip < len ? (size_t)h->skip : len;
			h->skip -= n;
			data += n;
			len -= n;
			continue;
		}
		if (take_header(h, &data, &len)) {
			h->on = 0;
			store_keep(st, h->hdr, h->have);
			break;
		}
		if (h->have < header_size(h))
			return; /* the rest of the header comes next */
		if ((vlen = value_length(h)) == DS_LEN_UNDEFINED) {
			st->status = STATUS_CODE_CANNOT_UNDERSTAND;
			store_comment(st->comment,
			    "cannot parse the data set: (0002,%04X) of "
			    "undefined length",
			    rd16(h, h->hdr + 2));
			store_drop(st);
			return;
		}
		h->skip = vlen;
		h->dropped_bytes += h->have + (uint64_t)vlen;
		h->have = 0;
		h->dropped++;
	}
	if (len > 0 && st->status == STATUS_CODE_SUCCESS)
		store_keep(st, data, len);
}

void
store_head_end(struct store *st)
{
	struct store_head *h = &st->head;

	/* a data set shorter than one header: kept as it came */
	if (h->on && h->skip == 0 && h->have > 0)
		store_keep(st, h->hdr, h->have);
	h->on = 0;
	h->have = 0;
}
