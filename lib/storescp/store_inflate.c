/*
 * store_inflate.c - the head of a Deflated data set, inflated for the
 * scanner (see store_inflate.h).
 */
#include <limits.h>
#include <stdint.h>
#include <string.h>
#include <zlib.h>

#include "cstore/cstore.h"
#include "core/alloc.h"
#include "storescp/store_inflate.h"
#include "dcmfile/xcode_zlib.h"
#include "core/banned.h"

#define OUT_SLICE 16384

struct store_inflate {
	z_stream z;
	uint64_t out;     /* bytes inflated, at most STORE_INFLATE_TAIL_MAX */
	int ended;        /* Z_STREAM_END seen */
	int walked;       /* walk finished: the data set was seen whole */
	uint8_t first[2]; /* the stream's first bytes (zlib's header?) */
	size_t nfirst;
	/* the whole inflated data set's top level, walked as a native one
	 * is: an element cut short inside a whole stream is seen too */
	struct ds_scan walk;
};

/* zlib allocates through ours: a test can make it run out of memory */
static voidpf
z_alloc(voidpf opaque, uInt items, uInt size)
{
	(void)opaque;
	if (size != 0 && items > SIZE_MAX / size)
		return Z_NULL;
	return cs_malloc((size_t)items * size);
}

static void
z_free(voidpf opaque, voidpf p)
{
	(void)opaque;
	cs_free(p);
}

struct store_inflate *
store_inflate_new(
    const uint32_t *tags, size_t ntags, unsigned opts, struct cs_err *err)
{
	struct store_inflate *zi = cs_malloc(sizeof(*zi));

	if (zi == NULL) {
		cs_err_set(err, CS_E_NOMEM, "cannot inflate: out of memory");
		return NULL;
	}
	memset(zi, 0, sizeof(*zi));
	zi->z.zalloc = z_alloc;
	zi->z.zfree = z_free;
	if (ds_scan_init(&zi->walk, DS_ENC_EVR_LE, tags, ntags, opts, err) !=
	    0) {
		cs_free(zi);
		return NULL;
	}
	/* PS3.5 A.5: raw deflate, no zlib header */
	if (inflateInit2(&zi->z, -MAX_WBITS) != Z_OK) {
		cs_free(zi);
		cs_err_set(err, CS_E_NOMEM, "cannot inflate: out of memory");
		return NULL;
	}
	return zi;
}

void
store_inflate_free(struct store_inflate *zi)
{
	if (zi == NULL)
		return;
	inflateEnd(&zi->z);
	cs_free(zi);
}

/* The most inflated bytes looked at: the head's cap until the scanner
 * has what it wants, then the tail's. */
static uint64_t
cap_of(const struct ds_scan *scan)
{
	return ds_scan_done(scan) ? STORE_INFLATE_TAIL_MAX : STORE_INFLATE_MAX;
}

int
store_inflate_feed(struct store_inflate *zi, const uint8_t *p, size_t len,
    struct ds_scan *scan, struct cs_err *err)
{
	uint8_t out[OUT_SLICE];
	size_t in, room, made;
	uint64_t cap;
	int zr, rc;

	for (in = 0; zi->nfirst < 2 && in < len; in++)
		zi->first[zi->nfirst++] = p[in];
	for (;;) {
		/* the cap before the end: the same verdict whether the
		 * stream's last bytes came with its last output or later */
		cap = cap_of(scan);
		if (zi->out >= cap)
			return ds_scan_done(scan) ? 0 : STORE_INFLATE_CAPPED;
		if (zi->ended)
			return 0;
		/* zlib's counters are 32-bit: a slice at a time */
		in = len > UINT_MAX ? UINT_MAX : len;
		room = cap - zi->out;
		room = room < sizeof(out) ? room : sizeof(out);
		zi->z.next_in = (Bytef *)(uintptr_t)p;
		zi->z.avail_in = (uInt)in;
		zi->z.next_out = out;
		zi->z.avail_out = (uInt)room;
		zr = inflate(&zi->z, Z_NO_FLUSH);
		p += in - zi->z.avail_in;
		len -= in - zi->z.avail_in;
		if (zr == Z_STREAM_END)
			zi->ended = 1;
		/* what came out before a bad byte first: however the data
		 * set is split, the same verdict; once the scanner is done
		 * the tail is inflated only to see the stream end */
		made = room - zi->z.avail_out;
		zi->out += made;
		if (made > 0 && !ds_scan_done(scan) &&
		    (rc = ds_scan_feed(scan, out, made, err)) < 0)
			return rc;
		if (made > 0 &&
		    (rc = ds_scan_feed(&zi->walk, out, made, err)) < 0)
			return rc;
		if (zi->out >= cap_of(scan))
			continue; /* decided above, before any error */
		if (zr == Z_MEM_ERROR)
			return cs_err_set(
			    err, CS_E_NOMEM, "cannot inflate: out of memory");
		if (zr != Z_OK && zr != Z_STREAM_END && zr != Z_BUF_ERROR &&
		    xcode_zlib_header(zi->first, zi->nfirst))
			return cs_err_set(
			    err, CS_E_PROTO, "%s", XCODE_ZLIB_WRAPPED_SHORT);
		if (zr != Z_OK && zr != Z_STREAM_END && zr != Z_BUF_ERROR)
			return cs_err_set(err, CS_E_PROTO,
			    ds_scan_done(scan) ? "a corrupt deflate stream (%s)"
					       : "no deflate stream (%s)",
			    zi->z.msg != NULL ? zi->z.msg : "inflate failed");
		/* all input taken and nothing held back, or no progress */
		if ((len == 0 && zi->z.avail_out > 0) || zr == Z_BUF_ERROR)
			return 0;
	}
}

int
store_inflate_finish(
    struct store_inflate *zi, const struct ds_scan *scan, struct cs_err *err)
{
	/* a stream cut short is a partial data set, also after the UIDs;
	 * so is a whole one that ends inside an element */
	if (zi->out >= cap_of(scan))
		return 0;
	if (zi->ended) {
		int rc = ds_scan_finish(&zi->walk, err);

		zi->walked = rc == 0;
		return rc;
	}
	return cs_err_set(
	    err, CS_E_TRUNCATED, "ends inside its deflate stream");
}

const struct ds_scan *
store_inflate_walk(const struct store_inflate *zi)
{
	return zi->walked ? &zi->walk : NULL;
}

const struct ds_scan *
store_inflate_seen(const struct store_inflate *zi)
{
	return &zi->walk;
}

uint64_t
store_inflate_out(const struct store_inflate *zi)
{
	return zi->out;
}
