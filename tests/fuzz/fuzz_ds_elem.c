/*
 * fuzz_ds_elem.c - the shared element header decoder (core/ds_elem) on
 * hostile bytes, used the way a whole-dataset walker (the transcoder)
 * uses it, and checked against the receiver's incremental scanner.
 *
 * Input: one control byte, then the dataset.  Bits 0-1 of the control
 * byte pick the encoding (0 and 3: Implicit LE, 1: Explicit LE, 2:
 * Explicit BE), as in fuzz_ds_scan, so the two corpora can share seeds.
 *
 * Checks, besides "no crash, no overread" (ASan):
 *   - every header decoded from the whole buffer decodes the same from
 *     exactly hdr_len bytes, and from fewer is CS_E_TRUNCATED without
 *     moving the reader (what an incremental caller relies on);
 *   - a failed read never moves the reader or latches its error;
 *   - the tag is the first 4 bytes in the encoding's byte order, the VR
 *     is empty for group FFFE and Implicit VR, else two capitals or two
 *     spaces, and a 12-byte header goes with a long-length or unknown VR
 *     (never a blank one);
 *   - a walker built on ds_elem_read, ds_elem_kind and ds_un_item_enc,
 *     following the scanner's rules, accepts exactly the datasets that
 *     ds_scan accepts.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cstore/cstore.h"
#include "core/ds_elem.h"
#include "core/ds_scan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { LV_DATASET, LV_SEQ, LV_FRAG };

static uint16_t
u16(const uint8_t *p, enum ds_enc enc)
{
	if (enc == DS_ENC_EVR_BE)
		return (uint16_t)(p[0] << 8 | p[1]);
	return (uint16_t)(p[1] << 8 | p[0]);
}

/* Decodes at r with the invariants above; returns ds_elem_read's code. */
static int
read_checked(struct rd *r, enum ds_enc enc, struct ds_elem *e)
{
	struct cs_err err = { 0, "" };
	struct ds_elem e2;
	struct rd before = *r, exact;
	const uint8_t *p = r->p + r->pos;
	size_t n;
	int rc;

	rc = ds_elem_read(r, enc, e, &err);
	if (rc != 0) {
		if (r->pos != before.pos || r->err != 0)
			abort();
		if (rc == CS_E_TRUNCATED &&
		    (err.code != 0 || rd_left(r) >= DS_ELEM_HDR_MAX ||
		    e->hdr_len <= rd_left(r)))
			abort();
		if (rc != CS_E_TRUNCATED && rc != CS_E_PROTO)
			abort();
		if (rc == CS_E_PROTO && (err.code != CS_E_PROTO ||
		    enc == DS_ENC_IVR_LE))
			abort();
		return rc;
	}
	if (r->pos - before.pos != e->hdr_len ||
	    (e->hdr_len != 8 && e->hdr_len != 12))
		abort();
	if (e->tag != DS_TAG(u16(p, enc), u16(p + 2, enc)))
		abort();
	if (DS_TAG_GROUP(e->tag) == 0xfffe || enc == DS_ENC_IVR_LE) {
		if (e->vr[0] != '\0' || e->hdr_len != 8)
			abort();
	} else {
		bool blank = e->vr[0] == ' ' && e->vr[1] == ' ';

		if (!blank && (e->vr[0] < 'A' || e->vr[0] > 'Z' ||
				  e->vr[1] < 'A' || e->vr[1] > 'Z'))
			abort();
		if (e->vr[2] != '\0')
			abort();
		if ((e->hdr_len == 12) != (ds_vr_long_length(e->vr) ||
					      (!ds_vr_known(e->vr) && !blank)))
			abort();
	}
	/* the same header from exactly its bytes, and never from fewer */
	rd_init(&exact, p, e->hdr_len);
	if (ds_elem_read(&exact, enc, &e2, NULL) != 0 ||
	    e2.tag != e->tag || memcmp(e2.vr, e->vr, sizeof(e2.vr)) != 0 ||
	    e2.len != e->len || e2.hdr_len != e->hdr_len ||
	    rd_left(&exact) != 0)
		abort();
	for (n = 0; n < e->hdr_len; n++) {
		rd_init(&exact, p, n);
		if (ds_elem_read(&exact, enc, &e2, NULL) != CS_E_TRUNCATED ||
		    exact.pos != 0 || (n >= 4 && e2.tag != e->tag))
			abort();
	}
	return 0;
}

/* The walk: 0 if the dataset is well formed, -1 if not. */
static int
walk(const uint8_t *p, size_t size, enum ds_enc top)
{
	uint8_t kind[DS_SCAN_MAX_DEPTH + 1];
	enum ds_enc enc[DS_SCAN_MAX_DEPTH + 1];
	enum ds_enc un[DS_SCAN_MAX_DEPTH + 1]; /* around a UN sequence */
	unsigned depth = 0;
	struct ds_elem e;
	enum ds_enc inner;
	enum ds_value_kind k;
	struct rd r;

	rd_init(&r, p, size);
	kind[0] = LV_DATASET;
	enc[0] = top;
	un[0] = (enum ds_enc)0;
	while (rd_left(&r) > 0) {
		if (kind[depth] == LV_DATASET && un[depth] != 0) {
			enc[depth] = ds_un_item_enc(r.p + r.pos, rd_left(&r),
			    un[depth]);
			un[depth] = (enum ds_enc)0;
		}
		if (read_checked(&r, enc[depth], &e) != 0)
			return -1;
		k = ds_elem_kind(&e, enc[depth], &inner);
		if (kind[depth] != LV_DATASET) {
			if (k == DS_KIND_SEQ_DELIM) {
				depth--;
				continue;
			}
			if (k != DS_KIND_ITEM)
				return -1;
			if (e.len != DS_LEN_UNDEFINED) {
				if (rd_left(&r) < e.len)
					return -1;
				rd_skip(&r, e.len);
				continue;
			}
			if (kind[depth] == LV_FRAG ||
			    depth >= DS_SCAN_MAX_DEPTH)
				return -1;
			depth++;
			kind[depth] = LV_DATASET;
			enc[depth] = enc[depth - 1];
			un[depth] = un[depth - 1];
			continue;
		}
		if (DS_TAG_GROUP(e.tag) == 0xfffe) {
			if (k == DS_KIND_ITEM_DELIM && depth > 0) {
				depth--;
				continue;
			}
			return -1;
		}
		if (e.len != DS_LEN_UNDEFINED) {
			if (rd_left(&r) < e.len)
				return -1;
			rd_skip(&r, e.len);
			continue;
		}
		if ((k != DS_KIND_SEQUENCE && k != DS_KIND_FRAGMENTS) ||
		    depth >= DS_SCAN_MAX_DEPTH)
			return -1;
		depth++;
		kind[depth] = k == DS_KIND_SEQUENCE ? LV_SEQ : LV_FRAG;
		enc[depth] = inner;
		un[depth] = k == DS_KIND_SEQUENCE && inner != enc[depth - 1] ?
		    enc[depth - 1] : (enum ds_enc)0;
	}
	return depth == 0 ? 0 : -1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum ds_enc encs[] = { DS_ENC_IVR_LE, DS_ENC_EVR_LE,
		DS_ENC_EVR_BE, DS_ENC_IVR_LE };
	static struct ds_scan s;
	enum ds_enc enc;
	int walked, scanned;

	if (size < 1)
		return 0;
	enc = encs[data[0] & 3];
	data++;
	size--;

	walked = walk(data, size, enc);
	if (ds_scan_init(&s, enc, NULL, 0, 0, NULL) != 0)
		abort();
	scanned = ds_scan_feed(&s, data, size, NULL);
	if (scanned == 0)
		scanned = ds_scan_finish(&s, NULL);
	if ((walked == 0) != (scanned == 0))
		abort();
	return 0;
}
