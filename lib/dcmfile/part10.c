/*
 * part10.c - probe DICOM files (PS3.10 7.1 Part 10 files and bare
 * datasets) for what a sender needs, and write File Meta Information.
 *
 * One pull parser reads bytes through a 4 KB window from a source (a
 * memory buffer or a file read with pread), optionally through zlib for
 * a Deflated dataset.  Element headers and what follows them are
 * walked by core/ds_walk, the walker every reader of data sets shares.
 * Values are skipped by length; sequences and items of undefined length
 * (PS3.5 7.5) are walked item by item, nesting bounded.  Nothing is
 * allocated but zlib's state.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "dcmfile/part10.h"
#include "dcmfile/xcode_zlib.h"
#include "core/ds_elem.h"
#include "core/ds_walk.h"
#include "core/ts.h"
#include "core/banned.h"

#define WIN PART10_WIN
#define INFLATE_MAX ((uint64_t)64 << 20)

/* Where raw bytes come from: fill buf from offset off, *got < n at EOF. */
struct src {
	int (*pread)(void *ctx, uint64_t off, uint8_t *buf, size_t n,
	    size_t *got, struct cs_err *err);
	void *ctx;
	uint64_t size;
	/* the window to read through (WIN bytes), or NULL: the probe's own;
	 * *kept, when kept is not NULL, is then set to how many bytes of the
	 * source from offset 0 on it holds after the probe, 0 when none */
	uint8_t *win;
	size_t *kept;
};

struct in {
	const struct src *src;
	struct cs_err *err;
	uint64_t raw; /* next raw offset to fetch */
	uint64_t pos; /* stream offset of win[wpos] */
	size_t wlen, wpos;
	int eof; /* nothing more after the window */
	int deflate;
	uint64_t zstart; /* raw offset of the deflate stream */
	uint64_t inflated, inflate_max;
	z_stream z;
	uint8_t *win; /* own, or the caller's (src->win) */
	/* the first read's bytes (from offset 0), and how often the window
	 * was written since the start: once, it holds them still */
	size_t first;
	unsigned writes;
	uint8_t own[WIN];
	uint8_t zin[WIN];
};

/* An element header (PS3.5 7.1.1-7.1.3). */
struct elem {
	uint16_t group, elem;
	char vr[3];
	uint32_t len;
	uint64_t off; /* stream offset of the header */
};

/* Reads the 16-bit group number at p (2 bytes there). */
static uint16_t
group_at(const uint8_t *p, enum ds_enc enc)
{
	struct rd r;

	rd_init(&r, p, 2);
	return enc == DS_ENC_EVR_BE ? rd_be16(&r) : rd_le16(&r);
}

/* True if the 2 bytes at p are a VR of PS3.5 Table 6.2-1. */
static bool
is_vr(const uint8_t *p)
{
	char vr[3] = { (char)p[0], (char)p[1], '\0' };

	return ds_vr_known(vr);
}

/* ---- the byte stream ------------------------------------------------ */

static void
in_init(struct in *in, const struct src *src, struct cs_err *err)
{
	memset(in, 0, offsetof(struct in, own));
	in->src = src;
	in->err = err;
	in->win = src->win != NULL ? src->win : in->own;
}

static void
in_release(struct in *in)
{
	if (in->deflate) {
		inflateEnd(&in->z);
		in->deflate = 0;
	}
}

/* Switches to the raw-deflated dataset starting at the current offset. */
static int
in_start_inflate(struct in *in)
{
	int zr;

	in->raw = in->zstart = in->pos;
	in->wlen = in->wpos = 0;
	in->eof = 0;
	in->pos = 0;
	memset(&in->z, 0, sizeof(in->z));
	/* PS3.5 A.5: deflate (RFC 1951) without a zlib header: windowBits < 0. */
	zr = inflateInit2(&in->z, -MAX_WBITS);
	if (zr == Z_MEM_ERROR)
		return cs_err_set(in->err, CS_E_NOMEM,
		    "cannot start inflating: out of memory");
	if (zr != Z_OK)
		return cs_err_set(in->err, CS_E_NOTDICOM,
		    "cannot start inflating: zlib error %d", zr);
	in->deflate = 1;
	in->inflate_max = INFLATE_MAX;
	return 0;
}

/* Does the deflate stream start with a zlib header (xcode_zlib.h)? */
static int
zlib_wrapped(struct in *in)
{
	struct cs_err local = { 0, "" };
	uint8_t b[2];
	size_t got = 0;

	return in->src->pread(in->src->ctx, in->zstart, b, 2, &got, &local) ==
	    0 &&
	    xcode_zlib_header(b, got);
}

static int
in_inflate_some(struct in *in)
{
	size_t room = WIN - in->wlen, made;
	int zr;

	if (in->z.avail_in == 0 && in->raw < in->src->size) {
		uint64_t left = in->src->size - in->raw;
		size_t want = left < WIN ? (size_t)left : WIN, got = 0;
		int rc;

		rc = in->src->pread(
		    in->src->ctx, in->raw, in->zin, want, &got, in->err);
		if (rc < 0)
			return rc;
		in->raw += got;
		if (got == 0)
			in->raw = in->src->size; /* the file shrank under us */
		in->z.next_in = in->zin;
		in->z.avail_in = (uInt)got;
	}
	/*
	 * Inflate even without new input: zlib may still hold output that
	 * did not fit last time.  No progress at the end of the input is
	 * Z_BUF_ERROR below: a deflate stream cut short, truncated as the
	 * transcoder's xcode_inflate says, wherever the cut falls.
	 */
	in->z.next_out = in->win + in->wlen;
	in->z.avail_out = (uInt)room;
	in->writes++;
	zr = inflate(&in->z, Z_NO_FLUSH);
	made = room - in->z.avail_out;
	in->wlen += made;
	in->inflated += made;
	switch (zr) {
	case Z_OK:
		break;
	case Z_STREAM_END:
		in->eof = 1;
		break;
	case Z_BUF_ERROR:
		if (made == 0 && in->z.avail_in == 0 &&
		    in->raw >= in->src->size)
			return cs_err_set(in->err, CS_E_TRUNCATED,
			    "the Deflated data set ends inside its stream");
		break;
	case Z_MEM_ERROR:
		return cs_err_set(in->err, CS_E_NOMEM,
		    "cannot inflate the dataset: out of memory");
	default:
		return cs_err_set(in->err, CS_E_NOTDICOM,
		    "corrupt Deflated dataset: %s",
		    zlib_wrapped(in)        ? XCODE_ZLIB_WRAPPED
			: in->z.msg != NULL ? in->z.msg
					    : "inflate failed");
	}
	if (in->inflated > in->inflate_max)
		return cs_err_set(in->err, CS_E_TOOBIG,
		    "Deflated dataset inflates past %llu bytes%s",
		    (unsigned long long)in->inflate_max,
		    in->inflate_max == INFLATE_MAX ? " before its UIDs" : "");
	return 0;
}

/* Tries to have need (<= WIN) bytes in the window; returns 0 or error. */
static int
in_fill(struct in *in, size_t need)
{
	size_t have = in->wlen - in->wpos;
	int rc;

	if (have >= need || in->eof)
		return 0;
	/* the source read to its end: no more to move the window for (and
	 * what it holds stays where it is: src->kept) */
	if (!in->deflate && in->raw >= in->src->size) {
		in->eof = 1;
		return 0;
	}
	if (have > 0 && in->wpos > 0)
		in->writes++;
	memmove(in->win, in->win + in->wpos, have);
	in->wlen = have;
	in->wpos = 0;
	while (in->wlen < need && !in->eof) {
		if (in->deflate) {
			if ((rc = in_inflate_some(in)) < 0)
				return rc;
			continue;
		}
		uint64_t left = in->src->size - in->raw;
		size_t want = WIN - in->wlen, got = 0;

		if (want > left)
			want = (size_t)left;
		if (want > 0) {
			rc = in->src->pread(in->src->ctx, in->raw,
			    in->win + in->wlen, want, &got, in->err);
			if (rc < 0)
				return rc;
		}
		if (got == 0) {
			in->eof = 1;
			break;
		}
		if (in->writes++ == 0 && in->raw == 0 && in->wlen == 0)
			in->first = got;
		in->raw += got;
		in->wlen += got;
	}
	return 0;
}

static size_t
in_avail(const struct in *in)
{
	return in->wlen - in->wpos;
}

static const uint8_t *
in_ptr(const struct in *in)
{
	return in->win + in->wpos;
}

static void
in_take(struct in *in, size_t n)
{
	in->wpos += n;
	in->pos += n;
}

/* Skips n bytes; CS_E_TRUNCATED (no message) if the stream ends first. */
static int
in_skip(struct in *in, uint64_t n)
{
	size_t have = in_avail(in);
	int rc;

	if (n <= have) {
		in_take(in, (size_t)n);
		return 0;
	}
	in_take(in, have);
	n -= have;
	if (!in->deflate) {
		uint64_t left = in->src->size - in->raw;

		in->wlen = in->wpos = 0;
		if (n > left) {
			in->pos += left;
			in->raw = in->src->size;
			in->eof = 1;
			return CS_E_TRUNCATED;
		}
		in->raw += n;
		in->pos += n;
		return 0;
	}
	while (n > 0) {
		if ((rc = in_fill(in, 1)) < 0)
			return rc;
		have = in_avail(in);
		if (have == 0)
			return CS_E_TRUNCATED;
		if (have > n)
			have = (size_t)n;
		in_take(in, have);
		n -= have;
	}
	return 0;
}

/* ---- elements ------------------------------------------------------- */

/*
 * Reads an element header (core/ds_elem.h decodes it).  *end is set when
 * the stream ends cleanly before it.
 */
static int
read_header(struct in *in, enum ds_enc enc, struct elem *e, int *end)
{
	struct cs_err local = { 0, "" };
	struct ds_elem d;
	struct rd r;
	int rc;

	*end = 0;
	e->off = in->pos;
	if ((rc = in_fill(in, DS_ELEM_HDR_MAX)) < 0)
		return rc;
	if (in_avail(in) == 0) {
		*end = 1;
		return 0;
	}
	rd_init(&r, in_ptr(in), in_avail(in));
	rc = ds_elem_read(&r, enc, &d, &local);
	e->group = DS_TAG_GROUP(d.tag);
	e->elem = DS_TAG_ELEM(d.tag);
	if (rc == CS_E_TRUNCATED)
		return cs_err_set(in->err, CS_E_TRUNCATED,
		    "truncated element header at offset %llu",
		    (unsigned long long)e->off);
	if (rc < 0)
		return cs_err_set(in->err, CS_E_NOTDICOM,
		    "invalid VR at offset %llu: %s", (unsigned long long)e->off,
		    local.msg);
	memcpy(e->vr, d.vr, sizeof(e->vr));
	e->len = d.len;
	in_take(in, r.pos);
	return 0;
}

/* Skips the defined-length value of e (a meta element). */
static int
skip_len(struct in *in, const struct elem *e)
{
	int rc;

	if ((rc = in_skip(in, e->len)) < 0)
		return cs_err_set(in->err, rc,
		    "truncated value of (%04X,%04X) at offset %llu: %lu bytes announced",
		    e->group, e->elem, (unsigned long long)e->off,
		    (unsigned long)e->len);
	return 0;
}

/*
 * The data set's next step through the shared walker (core/ds_walk.h),
 * from a window of at least the longest header.  *end is set when the
 * data ends cleanly before a header.
 */
static int
walk_step(struct in *in, struct ds_walk *w, struct ds_walk_step *st, int *end)
{
	struct cs_err local = { 0, "" };
	unsigned long long off;
	struct rd r;
	int rc;

	*end = 0;
	if ((rc = in_fill(in, DS_ELEM_HDR_MAX)) < 0)
		return rc;
	rd_init(&r, in_ptr(in), in_avail(in));
	rc = ds_walk_next(w, &r, st, &local);
	off = (unsigned long long)in->pos;
	if (rc == CS_E_TRUNCATED && in_avail(in) == 0) {
		*end = 1;
		return 0;
	}
	/* between two top-level elements: not a cut header for sure */
	if (rc == CS_E_TRUNCATED && ds_walk_depth(w) == 0)
		return cs_err_set(in->err, CS_E_TRUNCATED,
		    "%zu byte%s at offset %llu after the last element, too few "
		    "for an element header (trailing garbage, or the file is "
		    "cut short)",
		    in_avail(in), in_avail(in) == 1 ? "" : "s", off);
	if (rc == CS_E_TRUNCATED)
		return cs_err_set(in->err, CS_E_TRUNCATED,
		    "truncated element header at offset %llu", off);
	if (rc == CS_E_TOOBIG)
		return cs_err_set(
		    in->err, rc, "%s at offset %llu", local.msg, off);
	/* the walker moves on once a header is decoded */
	if (rc < 0 && ds_walk_offset(w) == st->off)
		return cs_err_set(in->err, CS_E_NOTDICOM,
		    "invalid VR at offset %llu: %s", off, local.msg);
	if (rc < 0 && st->kind == DS_KIND_INVALID)
		return cs_err_set(in->err, CS_E_NOTDICOM,
		    "undefined length for VR %s in (%04X,%04X) at offset %llu",
		    st->e.vr[0] != '\0' ? st->e.vr : "(implicit)",
		    DS_TAG_GROUP(st->e.tag), DS_TAG_ELEM(st->e.tag), off);
	if (rc < 0)
		return cs_err_set(in->err, CS_E_NOTDICOM,
		    "malformed data set at offset %llu: %s", off, local.msg);
	in_take(in, r.pos);
	return 0;
}

/*
 * Passes what the step st announced or opened: its value by length, or
 * the levels it opened, step by step up to the one that closes it.
 */
static int
walk_past(struct in *in, struct ds_walk *w, const struct ds_walk_step *st)
{
	struct cs_err local = { 0, "" };
	struct ds_walk_step s = *st;
	uint64_t n;
	int rc, end;

	for (;;) {
		if ((n = ds_walk_pending(w)) > 0 && (rc = in_skip(in, n)) < 0)
			return cs_err_set(in->err, rc,
			    "truncated value of (%04X,%04X) at offset %llu: "
			    "%llu bytes announced",
			    DS_TAG_GROUP(s.e.tag), DS_TAG_ELEM(s.e.tag),
			    (unsigned long long)s.off, (unsigned long long)n);
		if (ds_walk_depth(w) == st->depth)
			return 0;
		if ((rc = walk_step(in, w, &s, &end)) < 0)
			return rc;
		if (end) {
			ds_walk_finish(w, &local);
			return cs_err_set(in->err, CS_E_TRUNCATED,
			    "truncated data set: %s (opened at offset %llu)",
			    local.msg, (unsigned long long)st->off);
		}
	}
}

/*
 * Reads a text value into dst (cap bytes with the NUL), dropping
 * trailing NUL and space padding (PS3.5 6.2).  A value longer than cap-1
 * after trimming sets *toolong; its first bytes are kept.
 */
static int
read_text(
    struct in *in, const struct elem *e, char *dst, size_t cap, int *toolong)
{
	size_t n = e->len < 256 ? e->len : 256, i;
	const uint8_t *p;
	int rc;

	*toolong = 0;
	if (e->len == DS_LEN_UNDEFINED)
		return cs_err_set(in->err, CS_E_NOTDICOM,
		    "undefined length for (%04X,%04X) at offset %llu", e->group,
		    e->elem, (unsigned long long)e->off);
	if ((rc = in_fill(in, n)) < 0)
		return rc;
	if (in_avail(in) < n)
		return cs_err_set(in->err, CS_E_TRUNCATED,
		    "truncated value of (%04X,%04X) at offset %llu", e->group,
		    e->elem, (unsigned long long)e->off);
	p = in_ptr(in);
	while (n > 0 && (p[n - 1] == '\0' || p[n - 1] == ' '))
		n--;
	if (n >= cap || e->len > 256) {
		*toolong = 1;
		if (n >= cap)
			n = cap - 1;
	}
	for (i = 0; i < n; i++)
		dst[i] = (char)p[i];
	dst[n] = '\0';
	if ((rc = in_skip(in, e->len)) < 0)
		return cs_err_set(in->err, rc,
		    "truncated value of (%04X,%04X) at offset %llu", e->group,
		    e->elem, (unsigned long long)e->off);
	return 0;
}

/* Reads a UI value: at most 64 printable characters (PS3.5 9.1). */
static int
read_uid(struct in *in, const struct elem *e, const char *name, char *dst)
{
	int rc, toolong;
	size_t i;

	if ((rc = read_text(in, e, dst, PART10_UID_MAX + 1, &toolong)) < 0)
		return rc;
	if (toolong)
		return cs_err_set(in->err, CS_E_NOTDICOM,
		    "invalid '%s' (%04X,%04X): %lu bytes, more than %d", name,
		    e->group, e->elem, (unsigned long)e->len, PART10_UID_MAX);
	for (i = 0; dst[i] != '\0'; i++)
		if (dst[i] <= ' ' || dst[i] > '~' || dst[i] == '\\')
			return cs_err_set(in->err, CS_E_NOTDICOM,
			    "invalid '%s' (%04X,%04X): byte 0x%02x at %zu",
			    name, e->group, e->elem, (unsigned)(uint8_t)dst[i],
			    i);
	return 0;
}

/* ---- File Meta Information (PS3.10 7.1) ---------------------------- */

/* The bit parse_meta marks when it has read meta element elem's value
 * (0 for one it only skips). */
static unsigned
meta_bit(uint16_t elem)
{
	switch (elem) {
	case 0x0000:
		return 0x01u;
	case 0x0002:
		return 0x02u;
	case 0x0003:
		return 0x04u;
	case 0x0010:
		return 0x08u;
	case 0x0012:
		return 0x10u;
	case 0x0013:
		return 0x20u;
	case 0x0016:
		return 0x40u;
	default:
		return 0;
	}
}

/* Reads the value of meta element e, in encoding menc, into info (the
 * group length's end into *gl_end, *have_gl set), or skips it.  Returns
 * 0 or a negative CS_E_*. */
static int
meta_value(struct in *in, enum ds_enc menc, const struct elem *e,
    struct part10_info *info, uint64_t *gl_end, int *have_gl)
{
	struct rd r;
	int rc, toolong;

	switch (e->elem) {
	case 0x0000:
		if (e->len != 4)
			return skip_len(in, e);
		if ((rc = in_fill(in, 4)) < 0)
			return rc;
		if (in_avail(in) < 4)
			return CS_E_TRUNCATED;
		rd_init(&r, in_ptr(in), 4);
		*gl_end = in->pos + 4 +
		    (menc == DS_ENC_EVR_BE ? rd_be32(&r) : rd_le32(&r));
		*have_gl = 1;
		in_take(in, 4);
		return 0;
	case 0x0002:
		return read_uid(
		    in, e, "Media Storage SOP Class UID", info->meta_sop_class);
	case 0x0003:
		return read_uid(in, e, "Media Storage SOP Instance UID",
		    info->meta_sop_instance);
	case 0x0010:
		return read_uid(in, e, "Transfer Syntax UID", info->ts_uid);
	case 0x0012:
		return read_uid(
		    in, e, "Implementation Class UID", info->impl_class_uid);
	case 0x0013:
		return read_text(in, e, info->impl_version,
		    sizeof(info->impl_version), &toolong);
	case 0x0016:
		return read_text(
		    in, e, info->source_ae, sizeof(info->source_ae), &toolong);
	default:
		return skip_len(in, e);
	}
}

/* The encoding of a meta group whose first element header is at p (8
 * bytes there): Explicit VR LE unless that header says otherwise. */
static enum ds_enc
meta_enc(const uint8_t *p)
{
	if (group_at(p, DS_ENC_EVR_LE) == 0x0002)
		return is_vr(p + 4) ? DS_ENC_EVR_LE : DS_ENC_IVR_LE;
	if (group_at(p, DS_ENC_EVR_BE) == 0x0002 && is_vr(p + 4))
		return DS_ENC_EVR_BE;
	return DS_ENC_EVR_LE;
}

static int
parse_meta(struct in *in, struct part10_info *info)
{
	enum ds_enc menc = DS_ENC_EVR_LE; /* the meta's own encoding */
	uint64_t gl_end = 0;
	unsigned seen = 0, bit;
	int have_gl = 0, first = 1, again = 0, rc, end;
	struct elem e;

	for (;;) {
		if ((rc = in_fill(in, 8)) < 0)
			return rc;
		if (in_avail(in) == 0)
			break;
		if (have_gl && in->pos >= gl_end &&
		    ts_is_deflated(info->ts_uid))
			break; /* compressed bytes follow: do not peek */
		/*
		 * PS3.10 7.1 wants the meta in Explicit VR LE; old writers
		 * put it in Implicit VR LE, or in Explicit VR BE before a Big
		 * Endian data set, which DCMTK reads: its first element says
		 * which, for the whole group
		 */
		if (first && in_avail(in) >= 8)
			menc = meta_enc(in_ptr(in));
		first = 0;
		if (in_avail(in) >= 2 && group_at(in_ptr(in), menc) != 0x0002)
			break;
		if ((rc = read_header(in, menc, &e, &end)) < 0)
			return cs_err_set(in->err, rc,
			    "truncated File Meta Information at offset %llu",
			    (unsigned long long)e.off);
		if (end)
			break;
		if (e.len == DS_LEN_UNDEFINED)
			return cs_err_set(in->err, CS_E_NOTDICOM,
			    "undefined length in File Meta Information (0002,%04X)",
			    e.elem);
		/*
		 * An element read already starts a second meta group (a
		 * writer that put its meta before a file's own): the first
		 * group's values describe the data set; the second group
		 * is skipped to its end, never taken for them nor sent
		 * with the data set
		 */
		bit = meta_bit(e.elem);
		if (again || (seen & bit)) {
			again = 1;
			info->flags |= PART10_F_META_REPEATED;
			rc = skip_len(in, &e);
		} else {
			seen |= bit;
			rc = meta_value(in, menc, &e, info, &gl_end, &have_gl);
		}
		if (rc < 0)
			return cs_err_set(in->err, rc,
			    "truncated File Meta Information in (0002,%04X) at offset %llu",
			    e.elem, (unsigned long long)e.off);
	}
	if (have_gl && in->pos < gl_end && in_avail(in) == 0 && in->eof)
		return cs_err_set(in->err, CS_E_TRUNCATED,
		    "truncated File Meta Information: ends at offset %llu, its group length says %llu",
		    (unsigned long long)in->pos, (unsigned long long)gl_end);
	if (!have_gl || gl_end != in->pos)
		info->flags |= PART10_F_GROUP_LENGTH;
	return 0;
}

/* ---- the dataset ---------------------------------------------------- */

/*
 * Guesses the encoding of a dataset from its first element: group 0008
 * read little-endian, then an explicit VR or not; or group 0008 read
 * big-endian with an explicit VR.  Returns 0 when unrecognised.
 */
static int
sniff(const uint8_t *p, size_t n, enum ds_enc *enc)
{
	if (n < 8)
		return 0;
	if (group_at(p, DS_ENC_EVR_LE) == 0x0008) {
		*enc = is_vr(p + 4) ? DS_ENC_EVR_LE : DS_ENC_IVR_LE;
		return 1;
	}
	if (group_at(p, DS_ENC_EVR_BE) == 0x0008 && is_vr(p + 4)) {
		*enc = DS_ENC_EVR_BE;
		return 1;
	}
	return 0;
}

static const char *
enc_ts(enum ds_enc enc)
{
	switch (enc) {
	case DS_ENC_IVR_LE:
		return TS_UID_ImplicitVRLittleEndian;
	case DS_ENC_EVR_LE:
		return TS_UID_ExplicitVRLittleEndian;
	case DS_ENC_EVR_BE:
		return TS_UID_ExplicitVRBigEndian;
	}
	return TS_UID_ExplicitVRLittleEndian;
}

/* scan_dataset's *pixel: the top-level Pixel Data, as its length says */
enum { PIXEL_NONE, PIXEL_NATIVE, PIXEL_FRAGMENTS };

/* Whether the n bytes at p are an Item Delimitation Item (FFFE,E00D) of
 * length 0 in encoding enc. */
static int
item_end_at(const uint8_t *p, size_t n, enum ds_enc enc)
{
	static const uint8_t le[8] = { 0xfe, 0xff, 0x0d, 0xe0, 0, 0, 0, 0 };
	static const uint8_t be[8] = { 0xff, 0xfe, 0xe0, 0x0d, 0, 0, 0, 0 };

	return n >= 8 && memcmp(p, enc == DS_ENC_EVR_BE ? be : le, 8) == 0;
}

/* padding_follows' memory: scanning from offset from, the first byte
 * other than zero was at nz (the file's size: none), so that a run of
 * zero bytes read as (0000,0000) elements is read once, not once each */
struct zscan {
	uint64_t from, nz;
	int valid;
};

/* The offset of the first byte other than zero at or after off (the
 * file's size: none), or a negative CS_E_* of a read. */
static int
first_nonzero(struct in *in, uint64_t off, struct zscan *zs)
{
	uint8_t buf[WIN];
	size_t got, i;
	int rc;

	if (zs->valid && off >= zs->from && off <= zs->nz)
		return 0;
	zs->valid = 0;
	zs->from = off;
	for (; off < in->src->size; off += got) {
		uint64_t left = in->src->size - off;

		got = 0;
		rc = in->src->pread(in->src->ctx, off, buf,
		    left < WIN ? (size_t)left : WIN, &got, in->err);
		if (rc < 0)
			return rc;
		if (got == 0)
			break; /* shorter than it was: the scan says so */
		for (i = 0; i < got; i++)
			if (buf[i] != 0) {
				off += i;
				goto found;
			}
	}
found:
	zs->nz = off;
	zs->valid = 1;
	return 0;
}

/*
 * Whether what is left of an uncompressed data set, from the stream's
 * position between two top-level elements (the last one's tag: last),
 * is padding after its last element rather than an element: zero bytes
 * to the end of the file (no element of group 0000 follows another in
 * a data set: PS3.5 7.1, 7.6), after at most one Item Delimitation Item
 * of length 0 closing no item.  GDCM and pydicom read such a file; the
 * data set ends before them.  Fewer than 8 zero bytes hold no element;
 * 8 or more are padding only after Pixel Data (a writer pads after the
 * pixels), before it they are where the data set should go on: a file
 * cut and zero-filled back (preallocated), refused (CS_E_TRUNCATED).
 * Reads the rest of the file (only when it starts so) without moving
 * the window.  Returns 1, 0, or a negative CS_E_*.
 */
static int
padding_follows(struct in *in, enum ds_enc enc, uint32_t last, struct zscan *zs)
{
	const uint8_t *p;
	uint64_t from, zeros;
	size_t n, i, head;
	int rc;

	if (in->deflate || (rc = in_fill(in, DS_ELEM_HDR_MAX)) < 0)
		return in->deflate ? 0 : rc;
	p = in_ptr(in);
	if ((n = in_avail(in)) == 0)
		return 0; /* the end: no padding */
	head = item_end_at(p, n, enc) ? 8 : 0;
	for (i = head; i < n && i < head + 8; i++)
		if (p[i] != 0)
			return 0;
	from = in->pos + head;
	if ((rc = first_nonzero(in, from, zs)) < 0)
		return rc;
	if (zs->nz < in->src->size)
		return 0;
	zeros = in->src->size - from;
	if (zeros < 8 || last >= DS_TAG(0x7fe0, 0x0010))
		return 1;
	return cs_err_set(in->err, CS_E_TRUNCATED,
	    "%llu zero bytes at offset %llu after (%04X,%04X) where the data "
	    "set should go on: a file cut and zero-filled?",
	    (unsigned long long)zeros, (unsigned long long)from,
	    (unsigned)DS_TAG_GROUP(last), (unsigned)DS_TAG_ELEM(last));
}

/*
 * CS_E_TRUNCATED with a message when the (not deflated) data set begins
 * with 8 zero bytes: the header of an element (0000,0000) of length 0,
 * which no data set begins with (PS3.5 7.1: group 0000 is the command's),
 * but a file preallocated or still being written has; else 0 or the
 * CS_E_* of a read.
 */
static int
zeros_first(struct in *in)
{
	static const uint8_t zero[8];
	int rc;

	if (in->deflate || (rc = in_fill(in, sizeof(zero))) < 0)
		return in->deflate ? 0 : rc;
	if (in_avail(in) < sizeof(zero) ||
	    memcmp(in_ptr(in), zero, sizeof(zero)) != 0)
		return 0;
	return cs_err_set(in->err, CS_E_TRUNCATED,
	    "the data set at offset %llu begins with zero bytes, not an "
	    "element (a file preallocated or still being written?)",
	    (unsigned long long)in->pos);
}

static int
scan_dataset(struct in *in, enum ds_enc enc, unsigned opts, char *cls,
    char *inst, unsigned *flags, int *pixel, uint64_t *pad_at)
{
	struct ds_walk w;
	struct ds_walk_step st;
	struct elem e;
	struct zscan zs = { 0, 0, 0 };
	uint32_t last = 0; /* the last top-level element's tag */
	int rc, end, first = 1;

	if ((rc = zeros_first(in)) < 0)
		return rc;
	ds_walk_init(&w, enc, DS_WALK_LEN_OPEN, DS_WALK_DATASET);
	for (;;) {
		/* after an element of the data set's own (none of group
		 * 0000): a data set of padding alone is none */
		if ((opts & PART10_O_VERIFY) && !first &&
		    ds_walk_depth(&w) == 0 &&
		    (rc = padding_follows(in, enc, last, &zs)) != 0) {
			if (rc > 0)
				*pad_at = in->pos;
			return rc < 0 ? rc : 0;
		}
		if ((rc = walk_step(in, &w, &st, &end)) < 0)
			return rc;
		if (end)
			return 0;
		e.group = DS_TAG_GROUP(st.e.tag);
		first = first && e.group == 0;
		if (st.depth == 0 && st.ev == DS_WALK_ELEM)
			last = st.e.tag;
		e.elem = DS_TAG_ELEM(st.e.tag);
		memcpy(e.vr, st.e.vr, sizeof(e.vr));
		e.len = st.e.len;
		e.off = st.off;
		if (e.elem == 0 && st.kind == DS_KIND_VALUE)
			*flags |= PART10_F_DS_GROUP_LENGTH;
		/* an empty value holds nothing to misread, either way */
		if (st.e.tag == DS_TAG(0x7fe0, 0x0010) && st.depth == 0 &&
		    st.e.len != 0)
			*pixel = st.e.len == DS_LEN_UNDEFINED ? PIXEL_FRAGMENTS
							      : PIXEL_NATIVE;
		if (!(opts & PART10_O_VERIFY) &&
		    st.e.tag > DS_TAG(0x0008, 0x0018))
			return 0;
		/* where the UIDs are: only verifying goes on, as far as the
		 * transcoder inflates */
		if (st.e.tag >= DS_TAG(0x0008, 0x0018))
			in->inflate_max = PART10_INFLATED_MAX;
		if (st.e.tag == DS_TAG(0x0008, 0x0016))
			rc = read_uid(in, &e, "SOP Class UID", cls);
		else if (st.e.tag == DS_TAG(0x0008, 0x0018))
			rc = read_uid(in, &e, "SOP Instance UID", inst);
		else
			rc = walk_past(in, &w, &st);
		if (rc < 0)
			return rc;
		if (!(opts & PART10_O_VERIFY) &&
		    st.e.tag == DS_TAG(0x0008, 0x0018))
			return 0;
	}
}

static void
copy_uid(char *dst, const char *src)
{
	size_t n = strlen(src);

	memcpy(dst, src, n + 1);
}

/*
 * What the file starts with: a preamble and "DICM", a meta group
 * without either, "DICM" alone, or a bare data set (*enc: its encoding,
 * info->ts_uid set).  Returns 0, or CS_E_TRUNCATED / CS_E_NOTDICOM.
 */
static int
detect_kind(struct in *in, const struct src *src, struct part10_info *info,
    enum ds_enc *enc, struct cs_err *err)
{
	const uint8_t *p = in_ptr(in);
	size_t n = in_avail(in);

	if (n >= 132 + 6 && memcmp(p + 128, "DICM", 4) == 0) {
		/* PS3.10 7.1: 128-byte preamble, then the "DICM" prefix */
		info->kind = PART10_FILE;
		info->meta_offset = 132;
	} else if (n >= 8 && group_at(p, DS_ENC_EVR_LE) == 0x0002 &&
	    is_vr(p + 4)) {
		info->kind = PART10_FILE;
		info->flags |= PART10_F_NO_PREAMBLE;
	} else if (n >= 12 && memcmp(p, "DICM", 4) == 0 &&
	    group_at(p + 4, DS_ENC_EVR_LE) == 0x0002) {
		info->kind = PART10_FILE;
		info->flags |= PART10_F_NO_PREAMBLE;
		info->meta_offset = 4;
	} else if (sniff(p, n, enc)) {
		info->kind = PART10_BARE;
		copy_uid(info->ts_uid, enc_ts(*enc));
	} else if (n > 128 && n < 132 + 6 &&
	    memcmp(p + 128, "DICM", n - 128 < 4 ? n - 128 : 4) == 0) {
		return cs_err_set(err, CS_E_TRUNCATED,
		    "truncated after the preamble: %llu bytes",
		    (unsigned long long)src->size);
	} else {
		return cs_err_set(err, CS_E_NOTDICOM,
		    src->size == 0
			? "empty file"
			: "no DICM prefix, File Meta Information or dataset at the start");
	}
	return 0;
}

/*
 * The meta's transfer syntax does not say how the data set is encoded
 * (enc, from its bytes).  A native syntax: ts_uid becomes the one the
 * bytes are in.  One that must be Explicit VR LE (encapsulated,
 * deflated, unknown: PS3.5 A.4) over an Implicit VR data set: nothing
 * describes it, PART10_F_TS_NONE.
 */
static void
real_syntax(struct part10_info *info, enum ds_enc enc)
{
	int native = strcmp(info->ts_uid, TS_UID_ImplicitVRLittleEndian) == 0 ||
	    strcmp(info->ts_uid, TS_UID_ExplicitVRLittleEndian) == 0;

	info->flags |= PART10_F_TS_MISMATCH;
	if (native)
		copy_uid(info->ts_uid, enc_ts(enc));
	else
		info->flags |= PART10_F_TS_NONE;
}

/*
 * The data set's encoding (*enc) from the meta's transfer syntax, checked
 * against its first bytes; starts inflating a Deflated one.  A missing
 * transfer syntax is guessed (PART10_F_TS_DETECTED), a wrong VR encoding
 * followed (PART10_F_TS_MISMATCH).  Returns 0 or a negative CS_E_*.
 */
static int
dataset_encoding(struct in *in, struct part10_info *info, enum ds_enc *enc)
{
	const uint8_t *p;
	int rc;

	if (strcmp(info->ts_uid, TS_UID_ImplicitVRLittleEndian) == 0)
		*enc = DS_ENC_IVR_LE;
	else if (strcmp(info->ts_uid, TS_UID_Papyrus3ImplicitVRLittleEndian) ==
	    0) {
		/* Papyrus 3 Implicit VR LE (retired, PS3.6 A-1) is Implicit
		 * VR LE byte for byte, as DCMTK reads it, and no peer takes
		 * it: sent as that, the meta's syntax named apart */
		*enc = DS_ENC_IVR_LE;
		info->flags |= PART10_F_TS_MISMATCH;
		copy_uid(info->ts_uid, TS_UID_ImplicitVRLittleEndian);
	} else if (strcmp(info->ts_uid, TS_UID_ExplicitVRBigEndian) == 0)
		*enc = DS_ENC_EVR_BE;
	else if (ts_is_deflated(info->ts_uid) &&
	    (rc = in_start_inflate(in)) < 0)
		return rc; /* every deflated syntax: PS3.5 A.5, A.7, A.12 */
	/* every other (encapsulated) syntax is Explicit VR LE: PS3.5 A.4 */
	if ((rc = in_fill(in, 8)) < 0)
		return rc;
	p = in_ptr(in);
	if (info->ts_uid[0] == '\0') {
		enum ds_enc guess;

		info->flags |= PART10_F_TS_DETECTED;
		if (sniff(p, in_avail(in), &guess))
			*enc = guess;
		copy_uid(info->ts_uid, enc_ts(*enc));
	} else if (*enc != DS_ENC_EVR_BE && in_avail(in) >= 8 &&
	    group_at(p, *enc) != 0xfffe &&
	    is_vr(p + 4) != (*enc == DS_ENC_EVR_LE)) {
		/* the meta lies about VR encoding: follow the bytes */
		*enc = *enc == DS_ENC_IVR_LE ? DS_ENC_EVR_LE : DS_ENC_IVR_LE;
		real_syntax(info, *enc);
	}
	return 0;
}

/*
 * Reads the File Meta Information and sets *enc for the data set after
 * it.  Returns 0 to scan the data set, 1 when the meta said all the
 * caller wants (PART10_O_META_ONLY: info complete), or a negative CS_E_*.
 */
static int
read_meta(struct in *in, const struct src *src, unsigned opts,
    struct part10_info *info, enum ds_enc *enc, struct cs_err *err)
{
	int rc;

	in_take(in, (size_t)info->meta_offset);
	if ((rc = parse_meta(in, info)) < 0)
		return rc;
	copy_uid(info->meta_ts_uid, info->ts_uid);
	info->dataset_offset = in->pos;
	/* the meta's UIDs are all the caller wants: do not read on */
	if ((opts & PART10_O_META_ONLY) && info->meta_sop_instance[0] != '\0') {
		copy_uid(info->sop_class, info->meta_sop_class);
		copy_uid(info->sop_instance, info->meta_sop_instance);
		info->dataset_length = src->size - info->dataset_offset;
		return 1;
	}
	if (info->dataset_offset >= src->size)
		/* PS3.10 7.1: the meta is followed by a dataset */
		return cs_err_set(err, CS_E_TRUNCATED,
		    "truncated after the File Meta Information: no dataset");
	return dataset_encoding(in, info, enc);
}

/*
 * One of the SOP Class or Instance UIDs (dst): the data set's (ds),
 * flagged mismatch when the meta's (meta) is another, or the meta's,
 * flagged from_meta, when the data set has none.  -1 when neither has one.
 */
static int
take_uid(char *dst, const char *ds, const char *meta, unsigned *flags,
    unsigned mismatch, unsigned from_meta)
{
	if (ds[0] != '\0') {
		copy_uid(dst, ds);
		if (meta[0] != '\0' && strcmp(ds, meta) != 0)
			*flags |= mismatch;
	} else if (meta[0] != '\0') {
		copy_uid(dst, meta);
		*flags |= from_meta;
	} else {
		return -1;
	}
	return 0;
}

/*
 * The SOP Class and Instance UIDs of info: the data set's (cls, inst),
 * compared with the meta's, or the meta's when the data set has none.
 * Returns 0, or CS_E_NOTDICOM when neither has one.
 */
static int
take_uids(struct part10_info *info, const char *cls, const char *inst,
    struct cs_err *err)
{
	if (take_uid(info->sop_class, cls, info->meta_sop_class, &info->flags,
		PART10_F_CLASS_MISMATCH, PART10_F_CLASS_FROM_META) != 0)
		return cs_err_set(
		    err, CS_E_NOTDICOM, "no 'SOP Class UID' (0008,0016)");
	if (take_uid(info->sop_instance, inst, info->meta_sop_instance,
		&info->flags, PART10_F_INSTANCE_MISMATCH,
		PART10_F_INSTANCE_FROM_META) != 0)
		return cs_err_set(
		    err, CS_E_NOTDICOM, "no 'SOP Instance UID' (0008,0018)");
	return 0;
}

size_t
part10_uid_gap(const struct part10_info *info, char *buf, size_t cap)
{
	int cls = (info->flags & PART10_F_CLASS_FROM_META) != 0;
	int inst = (info->flags & PART10_F_INSTANCE_FROM_META) != 0;
	int n;

	if (cap > 0)
		buf[0] = '\0';
	/* a DICOMDIR (Media Storage Directory) is known by its meta alone */
	if (strcmp(info->sop_class, "1.2.840.10008.1.3.10") == 0 ||
	    !(cls || inst) || cap == 0)
		return 0;
	n = snprintf(buf, cap,
	    "no %s%s%s in the data set: sent under the meta header's %s%s%s",
	    cls ? "'SOP Class UID' (0008,0016)" : "",
	    cls && inst ? " nor " : "",
	    inst ? "'SOP Instance UID' (0008,0018)" : "",
	    cls ? info->sop_class : "", cls && inst ? " and " : "",
	    inst ? info->sop_instance : "");
	return n < 0 ? 0 : (size_t)n < cap ? (size_t)n : cap - 1;
}

static int
probe(const struct src *src, unsigned opts, struct part10_info *info,
    struct cs_err *err)
{
	struct in in;
	enum ds_enc enc = DS_ENC_EVR_LE;
	char cls[PART10_UID_MAX + 1] = "", inst[PART10_UID_MAX + 1] = "";
	const struct ts_entry *t;
	uint64_t pad_at = 0;
	int rc, pixel = PIXEL_NONE;

	memset(info, 0, sizeof(*info));
	info->file_size = src->size;
	in_init(&in, src, err);
	if ((rc = in_fill(&in, 132 + 8)) < 0 ||
	    (rc = detect_kind(&in, src, info, &enc, err)) < 0)
		goto out;
	if (info->kind == PART10_FILE &&
	    (rc = read_meta(&in, src, opts, info, &enc, err)) != 0) {
		if (rc > 0)
			rc = 0;
		goto out;
	}
	if ((rc = scan_dataset(
		 &in, enc, opts, cls, inst, &info->flags, &pixel, &pad_at)) < 0)
		goto out;
	if (opts & PART10_O_VERIFY)
		info->flags |= PART10_F_VERIFIED;
	if (pixel != PIXEL_NONE && (t = ts_find(info->ts_uid)) != NULL &&
	    ((t->flags & TS_F_ENCAPSULATED) != 0) != (pixel == PIXEL_FRAGMENTS))
		info->flags |= PART10_F_PIXEL_MISMATCH;
	if ((rc = take_uids(info, cls, inst, err)) < 0)
		goto out;
	/* padding after the last element is not sent (padding_follows) */
	info->dataset_length =
	    (pad_at != 0 ? pad_at : src->size) - info->dataset_offset;
	rc = 0;
out:
	if (src->kept != NULL)
		*src->kept = in.writes == 1 ? in.first : 0;
	in_release(&in);
	return rc;
}

const char *
part10_pixel_why(const struct part10_info *info)
{
	const struct ts_entry *t = ts_find(info->ts_uid);

	return t != NULL && (t->flags & TS_F_ENCAPSULATED)
	    ? "native Pixel Data under an encapsulated transfer syntax "
	      "(PS3.5 A.4): a peer would misread it"
	    : "encapsulated Pixel Data under a native transfer syntax "
	      "(PS3.5 A.4): a peer would misread it";
}

/* ---- sources -------------------------------------------------------- */

struct mem {
	const uint8_t *p;
};

static int
mem_pread(void *ctx, uint64_t off, uint8_t *buf, size_t n, size_t *got,
    struct cs_err *err)
{
	const struct mem *m = ctx;

	(void)err;
	/* the caller never asks past src->size */
	memcpy(buf, m->p + off, n);
	*got = n;
	return 0;
}

int
part10_probe_mem(const void *p, size_t size, unsigned opts,
    struct part10_info *info, struct cs_err *err)
{
	struct mem m = { p };
	struct src src = { mem_pread, &m, size, NULL, NULL };

	if (p == NULL && size > 0)
		return cs_err_set(err, CS_E_INVAL, "no buffer");
	return probe(&src, opts, info, err);
}

struct fd_ctx {
	int fd;
};

static int
fd_pread(void *ctx, uint64_t off, uint8_t *buf, size_t n, size_t *got,
    struct cs_err *err)
{
	const struct fd_ctx *f = ctx;
	size_t done = 0;

	while (done < n) {
		ssize_t r =
		    pread(f->fd, buf + done, n - done, (off_t)(off + done));

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return cs_err_set(err, CS_E_IO,
			    "cannot read at offset %llu: %s",
			    (unsigned long long)(off + done), strerror(errno));
		}
		if (r == 0)
			break;
		done += (size_t)r;
	}
	*got = done;
	return 0;
}

int
part10_probe_fd(
    int fd, unsigned opts, struct part10_info *info, struct cs_err *err)
{
	struct fd_ctx f = { fd };
	struct src src = { fd_pread, &f, 0, NULL, NULL };
	struct stat st;

	if (fstat(fd, &st) != 0)
		return cs_err_set(
		    err, CS_E_IO, "cannot stat: %s", strerror(errno));
	if (S_ISDIR(st.st_mode))
		return cs_err_set(
		    err, CS_E_IO, "cannot read: %s", strerror(EISDIR));
	src.size = (uint64_t)st.st_size;
	return probe(&src, opts, info, err);
}

int
part10_probe_fd_size(int fd, uint64_t size, unsigned opts,
    struct part10_info *info, struct cs_err *err)
{
	struct fd_ctx f = { fd };
	struct src src = { fd_pread, &f, size, NULL, NULL };

	return probe(&src, opts, info, err);
}

int
part10_probe_fd_keep(int fd, uint64_t size, unsigned opts,
    struct part10_info *info, uint8_t *win, size_t *kept, struct cs_err *err)
{
	struct fd_ctx f = { fd };
	struct src src = { fd_pread, &f, size, win, kept };

	*kept = 0;
	return probe(&src, opts, info, err);
}

int
part10_probe_path(const char *path, unsigned opts, struct part10_info *info,
    struct cs_err *err)
{
	struct cs_err local = { 0, "" };
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return cs_err_set(err, CS_E_IO, "cannot open '%s': %s", path,
		    strerror(errno));
	rc = part10_probe_fd(fd, opts, info, &local);
	close(fd);
	if (rc < 0 && local.code != 0) {
		if (local.code == CS_E_IO)
			return cs_err_set(err, rc, "'%s': %s", path, local.msg);
		return cs_err_set(err, rc, "%s", local.msg);
	}
	return rc;
}

const char *
part10_kind_name(enum part10_kind kind)
{
	switch (kind) {
	case PART10_FILE:
		return "part10";
	case PART10_BARE:
		return "bare";
	}
	return "?";
}

/* ---- the writer ----------------------------------------------------- */

static int
uid_ok(const char *s)
{
	size_t n;

	if (s == NULL)
		return 0;
	for (n = 0; s[n] != '\0'; n++)
		if ((s[n] < '0' || s[n] > '9') && s[n] != '.')
			return 0;
	return n >= 1 && n <= PART10_UID_MAX;
}

static int
sh_ok(const char *s)
{
	size_t n;

	for (n = 0; s[n] != '\0'; n++)
		if (s[n] < ' ' || s[n] > '~' || s[n] == '\\')
			return 0;
	return n <= PART10_SH_MAX;
}

/* Explicit VR LE element with a short (16-bit) length, padded to even. */
static void
put_text(
    struct wr *w, uint16_t elem, const char *vr, const char *s, uint8_t pad)
{
	size_t n = strlen(s);

	wr_le16(w, 0x0002);
	wr_le16(w, elem);
	wr_bytes(w, vr, 2);
	wr_le16(w, (uint16_t)(n + (n & 1)));
	wr_bytes(w, s, n);
	if (n & 1)
		wr_u8(w, pad);
}

int
part10_write_meta(struct wr *w, const char *sop_class, const char *sop_instance,
    const char *ts_uid, const char *impl_uid, const char *impl_version,
    const char *source_ae, struct cs_err *err)
{
	static const uint8_t version[2] = { 0x00, 0x01 };
	size_t start, gl_at;

	if (!uid_ok(sop_class))
		return cs_err_set(err, CS_E_INVAL,
		    "invalid SOP Class UID for the meta header");
	if (!uid_ok(sop_instance))
		return cs_err_set(err, CS_E_INVAL,
		    "invalid SOP Instance UID for the meta header");
	if (!uid_ok(ts_uid))
		return cs_err_set(err, CS_E_INVAL,
		    "invalid Transfer Syntax UID for the meta header");
	if (!uid_ok(impl_uid))
		return cs_err_set(err, CS_E_INVAL,
		    "invalid Implementation Class UID for the meta header");
	if (impl_version != NULL && !sh_ok(impl_version))
		return cs_err_set(err, CS_E_INVAL,
		    "invalid Implementation Version Name '%s'", impl_version);
	if (source_ae != NULL && !sh_ok(source_ae))
		return cs_err_set(
		    err, CS_E_INVAL, "invalid Source AE Title '%s'", source_ae);
	if (w->err)
		return cs_err_set(err, w->err,
		    "cannot write the meta header: %s", cs_strerror(w->err));

	start = w->len;
	/* PS3.10 7.1: preamble (zeros when unused) and prefix */
	wr_fill(w, 0, 128);
	wr_bytes(w, "DICM", 4);
	/* (0002,0000) UL File Meta Information Group Length */
	wr_le16(w, 0x0002);
	wr_le16(w, 0x0000);
	wr_bytes(w, "UL", 2);
	wr_le16(w, 4);
	gl_at = w->len;
	wr_le32(w, 0);
	/* (0002,0001) OB version 00\01: reserved 2 bytes, 32-bit length */
	wr_le16(w, 0x0002);
	wr_le16(w, 0x0001);
	wr_bytes(w, "OB", 2);
	wr_le16(w, 0);
	wr_le32(w, 2);
	wr_bytes(w, version, 2);
	put_text(w, 0x0002, "UI", sop_class, '\0');
	put_text(w, 0x0003, "UI", sop_instance, '\0');
	put_text(w, 0x0010, "UI", ts_uid, '\0');
	put_text(w, 0x0012, "UI", impl_uid, '\0');
	if (impl_version != NULL && impl_version[0] != '\0')
		put_text(w, 0x0013, "SH", impl_version, ' ');
	if (source_ae != NULL && source_ae[0] != '\0')
		put_text(w, 0x0016, "AE", source_ae, ' ');
	if (w->err)
		return cs_err_set(err, w->err,
		    "cannot write the meta header: %s", cs_strerror(w->err));
	wr_patch_le32(w, gl_at, (uint32_t)(w->len - gl_at - 4));
	return (int)(w->len - start);
}
