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
 * the first ones: each header is held (at most 12 bytes) until
 * ds_elem_read decodes it; the first one of another group ends the look, and its
 * held bytes go to the file before the rest.  Only the data sets the
 * scanner can read are looked at (not a Deflated one, stored as it
 * came); store_unseen_room splices nothing while the look goes on.
 */
#include <string.h>

#include "cstore/cstore.h"
#include "core/ds_elem.h"
#include "core/ds_scan.h"
#include "core/status.h"
#include "core/buf.h"
#include "core/ts.h"
#include "storescp/store.h"
#include "core/banned.h"

#define META_GROUP 0x0002u
/* the shortest element header: what is read before ds_elem_read says
 * more */
#define DS_HEADER_MIN 8u

void
store_head_begin(struct store *st)
{
	struct store_head *h = &st->head;

	memset(h, 0, sizeof(*h));
	h->on = ds_scan_enc_for_ts(st->ts, &h->enc) == 0;
	h->need = DS_HEADER_MIN;
}

/* Takes header bytes of the element in hand, as many as ds_elem_read
 * says it needs (8, or 12 once a VR shows it): 1 with *e when the
 * header is whole, 0 when more must come, -1 when it decodes as no
 * header (not ours to judge: the look ends, the bytes are kept). */
static int
take_header(
    struct store_head *h, const uint8_t **data, size_t *len, struct ds_elem *e)
{
	struct rd r;
	size_t n;
	int rc;

	for (;;) {
		n = h->need - h->have < *len ? h->need - h->have : *len;
		memcpy(h->hdr + h->have, *data, n);
		h->have += n;
		*data += n;
		*len -= n;
		if (h->have < h->need)
			return 0;
		rd_init(&r, h->hdr, h->have);
		rc = ds_elem_read(&r, h->enc, e, NULL);
		if (rc == 0)
			return 1;
		if (rc != CS_E_TRUNCATED || e->hdr_len <= h->have ||
		    e->hdr_len > sizeof(h->hdr))
			return -1;
		h->need = e->hdr_len;
	}
}

void
store_head_feed(struct store *st, const uint8_t *data, size_t len)
{
	struct store_head *h = &st->head;
	struct ds_elem e;
	size_t n;
	int rc;

	while (h->on && len > 0) {
		if (h->skip > 0) {
			n = h->skip < len ? (size_t)h->skip : len;
			h->skip -= n;
			data += n;
			len -= n;
			continue;
		}
		if ((rc = take_header(h, &data, &len, &e)) == 0)
			return; /* the rest of the header comes next */
		if (rc < 0 || DS_TAG_GROUP(e.tag) != META_GROUP) {
			h->on = 0;
			store_keep(st, h->hdr, h->have);
			break;
		}
		if (e.len == DS_LEN_UNDEFINED) {
			st->status = STATUS_CODE_CANNOT_UNDERSTAND;
			store_why(st->comment, sizeof(st->comment),
			    STORE_PARSE_WHY "(0002,%04X) of "
					    "undefined length",
			    DS_TAG_ELEM(e.tag));
			store_drop(st);
			return;
		}
		h->skip = e.len;
		h->dropped_bytes += h->have + (uint64_t)e.len;
		h->have = 0;
		h->need = DS_HEADER_MIN;
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
