/*
 * ds_scan.c - incremental scanner of a dataset's top-level elements.
 *
 * The scanner is a byte-driven state machine: it assembles an element
 * header (8 or 12 bytes) in a small buffer, then either copies the value
 * into a slot (requested top-level tags) or counts it down unread.  Only
 * undefined-length values need their structure walked, because nothing
 * but the closing delimiter marks their end; a stack of levels records
 * what is open:
 *   LV_DATASET  elements until the end of the data (depth 0) or until an
 *               Item Delimitation Item (an undefined-length item);
 *   LV_SEQ      items until a Sequence Delimitation Item;
 *   LV_FRAG     encapsulated pixel data: defined-length fragments until a
 *               Sequence Delimitation Item (PS3.5 A.4).
 * Defined-length sequences and items are skipped by length like any
 * other value: nothing inside them is top level.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h> /* vsnprintf only: no file I/O in core */
#include <string.h>

#include "core/ds_scan.h"

#include "core/banned.h"

enum { ST_HDR, ST_VALUE, ST_DONE, ST_ERROR };
enum { LV_DATASET, LV_SEQ, LV_FRAG };

#define UNDEFINED_LENGTH 0xffffffffu
/* PS3.5 7.5: items and delimiters, group FFFE */
#define TAG_ITEM DS_TAG(0xfffe, 0xe000)
#define TAG_ITEM_DELIM DS_TAG(0xfffe, 0xe00d)
#define TAG_SEQ_DELIM DS_TAG(0xfffe, 0xe0dd)

static int
fail(struct ds_scan *s, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
fail(struct ds_scan *s, int code, const char *fmt, ...)
{
	va_list ap;
	int n;

	s->state = ST_ERROR;
	s->err.code = code;
	n = snprintf(s->err.msg, sizeof(s->err.msg), "%s dataset at offset "
	    "%" PRIu64 ": ", code == CS_E_TRUNCATED ? "truncated" :
	    "malformed", s->elem_pos);
	if (n < 0 || (size_t)n >= sizeof(s->err.msg))
		return code;
	va_start(ap, fmt);
	vsnprintf(s->err.msg + n, sizeof(s->err.msg) - (size_t)n, fmt, ap);
	va_end(ap);
	return code;
}

/* Hands the latched error to the caller's err (first error wins there). */
static int
report(const struct ds_scan *s, struct cs_err *err)
{
	return cs_err_set(err, s->err.code, "%s", s->err.msg);
}

static uint16_t
get16(const uint8_t *b, bool be)
{
	if (be)
		return (uint16_t)((unsigned)b[0] << 8 | b[1]);
	return (uint16_t)((unsigned)b[1] << 8 | b[0]);
}

static uint32_t
get32(const uint8_t *b, bool be)
{
	if (be)
		return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
		    (uint32_t)b[2] << 8 | b[3];
	return (uint32_t)b[3] << 24 | (uint32_t)b[2] << 16 |
	    (uint32_t)b[1] << 8 | b[0];
}

/*
 * PS3.5 Table 7.1-1 and 7.1-2: these VRs have two reserved bytes and a
 * 32-bit length; every other VR a 16-bit length.
 */
static const char long_vrs[][3] = { "OB", "OD", "OF", "OL", "OV", "OW",
	"SQ", "SV", "UC", "UN", "UR", "UT", "UV" };
static const char short_vrs[][3] = { "AE", "AS", "AT", "CS", "DA", "DS",
	"DT", "FD", "FL", "IS", "LO", "LT", "PN", "SH", "SL", "SS", "ST",
	"TM", "UI", "UL", "US" };

static bool
vr_in(const uint8_t *vr, const char (*list)[3], size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (vr[0] == (uint8_t)list[i][0] &&
		    vr[1] == (uint8_t)list[i][1])
			return true;
	return false;
}

static bool
vr_is(const uint8_t *vr, const char *name)
{
	return vr[0] == (uint8_t)name[0] && vr[1] == (uint8_t)name[1];
}

static void
start_header(struct ds_scan *s)
{
	s->state = ST_HDR;
	s->hlen = 0;
	s->hneed = 8;
	s->elem_pos = s->pos;
	s->cur = NULL;
}

static struct ds_scan_slot *
find_slot(const struct ds_scan *s, uint32_t tag)
{
	unsigned i;

	for (i = 0; i < s->nslots; i++)
		if (s->slot[i].tag == tag)
			return (struct ds_scan_slot *)&s->slot[i];
	return NULL;
}

static bool
stop_now(struct ds_scan *s)
{
	if ((s->opts & DS_SCAN_STOP_EARLY) && s->depth == 0 &&
	    s->nseen == s->nslots) {
		s->state = ST_DONE;
		return true;
	}
	return false;
}

static int
push(struct ds_scan *s, uint8_t kind, enum ds_enc enc)
{
	if (s->depth >= DS_SCAN_MAX_DEPTH)
		return fail(s, CS_E_TOOBIG, "(%04X,%04X) nests deeper than %d "
		    "levels", DS_TAG_GROUP(s->tag), DS_TAG_ELEM(s->tag),
		    DS_SCAN_MAX_DEPTH);
	s->depth++;
	s->lvl_kind[s->depth] = kind;
	s->lvl_enc[s->depth] = (uint8_t)enc;
	start_header(s);
	return 0;
}

static void
pop(struct ds_scan *s)
{
	s->depth--;
	start_header(s);
	stop_now(s);
}

/* Trims PS3.5 6.2 padding: leading spaces, trailing spaces and NULs. */
static void
trim(struct ds_scan_slot *sl)
{
	size_t a = 0, b = sl->len;

	while (b > 0 && (sl->val[b - 1] == ' ' || sl->val[b - 1] == '\0'))
		b--;
	while (a < b && sl->val[a] == ' ')
		a++;
	memmove(sl->val, sl->val + a, b - a);
	sl->len = b - a;
	sl->val[sl->len] = '\0';
}

static void
value_end(struct ds_scan *s)
{
	if (s->cur != NULL)
		trim(s->cur);
	start_header(s);
	stop_now(s);
}

/* Starts reading or skipping a value of len bytes (slot may be NULL). */
static void
value_begin(struct ds_scan *s, uint32_t len, struct ds_scan_slot *slot)
{
	s->cur = slot;
	s->remain = len;
	s->state = ST_VALUE;
	if (len == 0)
		value_end(s);
}

static int
on_seq_child(struct ds_scan *s, uint32_t len, bool frag)
{
	uint16_t g = DS_TAG_GROUP(s->tag), e = DS_TAG_ELEM(s->tag);

	if (s->tag == TAG_SEQ_DELIM) {
		/* PS3.5 7.5: the length should be 0; some writers put
		 * FFFFFFFF there, and it carries nothing either way */
		pop(s);
		return 0;
	}
	if (s->tag != TAG_ITEM)
		return fail(s, CS_E_PROTO, "expected an item in %s, found "
		    "(%04X,%04X)", frag ? "encapsulated pixel data" :
		    "a sequence", g, e);
	if (len != UNDEFINED_LENGTH) {
		value_begin(s, len, NULL);
		return 0;
	}
	/* PS3.5 A.4: fragments always have an explicit length */
	if (frag)
		return fail(s, CS_E_PROTO, "pixel data fragment with "
		    "undefined length");
	return push(s, LV_DATASET, (enum ds_enc)s->lvl_enc[s->depth]);
}

static int
on_element(struct ds_scan *s, const uint8_t *vr, uint32_t len)
{
	struct ds_scan_slot *slot = NULL;
	uint16_t g = DS_TAG_GROUP(s->tag), e = DS_TAG_ELEM(s->tag);
	enum ds_enc enc = (enum ds_enc)s->lvl_enc[s->depth];

	if (g == 0xfffe) {
		if (s->tag == TAG_ITEM_DELIM && s->depth > 0) {
			pop(s);
			return 0;
		}
		return fail(s, CS_E_PROTO, "(%04X,%04X) out of place", g, e);
	}
	if (s->depth == 0 && (slot = find_slot(s, s->tag)) != NULL) {
		/* a second copy would let two readers of the file see two
		 * different UIDs */
		if (slot->flags & DS_SCAN_F_PRESENT)
			return fail(s, CS_E_PROTO, "(%04X,%04X) occurs twice",
			    g, e);
		slot->flags = DS_SCAN_F_PRESENT;
		s->nseen++;
	}
	if (len != UNDEFINED_LENGTH) {
		if (slot != NULL && len > DS_SCAN_VALUE_MAX)
			slot->flags |= DS_SCAN_F_TOOLONG;
		value_begin(s, len, slot);
		return 0;
	}
	if (slot != NULL)
		slot->flags |= DS_SCAN_F_TOOLONG;
	/* PS3.5 7.1.2/7.1.3: only these may have an undefined length */
	if (vr == NULL)
		return push(s, LV_SEQ, enc); /* implicit VR: a sequence */
	if (vr_is(vr, "SQ"))
		return push(s, LV_SEQ, enc);
	if (vr_is(vr, "UN")) /* PS3.5 6.2.2: contents in Implicit VR LE */
		return push(s, LV_SEQ, DS_ENC_IVR_LE);
	if (vr_is(vr, "OB") || vr_is(vr, "OW") || vr_is(vr, "OD") ||
	    vr_is(vr, "OF") || vr_is(vr, "OL") || vr_is(vr, "OV"))
		return push(s, LV_FRAG, enc);
	return fail(s, CS_E_PROTO, "undefined length not allowed for VR "
	    "'%c%c' in (%04X,%04X)", vr[0], vr[1], g, e);
}

/* Called whenever hlen reaches hneed. */
static int
on_header(struct ds_scan *s)
{
	enum ds_enc enc = (enum ds_enc)s->lvl_enc[s->depth];
	bool be = enc == DS_ENC_EVR_BE;
	const uint8_t *h = s->hdr;
	const uint8_t *vr = NULL;
	uint32_t len;

	if (s->hneed == 8) {
		s->tag = DS_TAG(get16(h, be), get16(h + 2, be));
		if (s->depth == 0 && (s->opts & DS_SCAN_STOP_EARLY) &&
		    s->tag > s->max_tag) {
			s->state = ST_DONE;
			return 0;
		}
	}
	if (DS_TAG_GROUP(s->tag) == 0xfffe || enc == DS_ENC_IVR_LE) {
		/* items, delimiters and implicit VR: tag and 32-bit length */
		len = get32(h + 4, be);
	} else {
		vr = h + 4;
		if (vr_in(vr, long_vrs, sizeof(long_vrs) / sizeof(*long_vrs))) {
			if (s->hneed == 8) {
				s->hneed = 12;
				return 0;
			}
			/* bytes 6-7 are reserved (PS3.5 7.1.2) */
			len = get32(h + 8, be);
		} else if (vr_in(vr, short_vrs,
		    sizeof(short_vrs) / sizeof(*short_vrs))) {
			len = get16(h + 6, be);
		} else {
			if (vr[0] >= 0x20 && vr[0] < 0x7f && vr[1] >= 0x20 &&
			    vr[1] < 0x7f)
				return fail(s, CS_E_PROTO, "unknown VR '%c%c' "
				    "in (%04X,%04X)", vr[0], vr[1],
				    DS_TAG_GROUP(s->tag), DS_TAG_ELEM(s->tag));
			return fail(s, CS_E_PROTO, "unknown VR 0x%02X%02X in "
			    "(%04X,%04X)", vr[0], vr[1],
			    DS_TAG_GROUP(s->tag), DS_TAG_ELEM(s->tag));
		}
	}
	switch (s->lvl_kind[s->depth]) {
	case LV_SEQ:
		return on_seq_child(s, len, false);
	case LV_FRAG:
		return on_seq_child(s, len, true);
	default:
		return on_element(s, vr, len);
	}
}

int
ds_scan_enc_for_ts(const char *ts, enum ds_enc *enc)
{
	static const char std[] = "1.2.840.10008.1.2";
	size_t n = sizeof(std) - 1;

	if (ts == NULL || enc == NULL)
		return CS_E_INVAL;
	if (strncmp(ts, std, n) != 0 || (ts[n] != '\0' && ts[n] != '.'))
		return CS_E_UNSUPPORTED;
	/* PS3.5 A.5, A.7, A.12: the dataset itself is deflated */
	if (strcmp(ts, "1.2.840.10008.1.2.1.99") == 0 ||
	    strcmp(ts, "1.2.840.10008.1.2.4.95") == 0 ||
	    strcmp(ts, "1.2.840.10008.1.2.4.205") == 0)
		return CS_E_UNSUPPORTED;
	if (ts[n] == '\0')
		*enc = DS_ENC_IVR_LE;
	else if (strcmp(ts, "1.2.840.10008.1.2.2") == 0)
		*enc = DS_ENC_EVR_BE;
	else
		*enc = DS_ENC_EVR_LE;
	return 0;
}

int
ds_scan_init(struct ds_scan *s, enum ds_enc enc, const uint32_t *tags,
    size_t ntags, unsigned opts, struct cs_err *err)
{
	size_t i;

	memset(s, 0, sizeof(*s));
	s->state = ST_ERROR;
	s->err.code = CS_E_INVAL;
	if (enc != DS_ENC_IVR_LE && enc != DS_ENC_EVR_LE &&
	    enc != DS_ENC_EVR_BE) {
		snprintf(s->err.msg, sizeof(s->err.msg),
		    "invalid dataset encoding %d", (int)enc);
		return report(s, err);
	}
	if (ntags > 0 && tags == NULL) {
		snprintf(s->err.msg, sizeof(s->err.msg), "no tag list");
		return report(s, err);
	}
	for (i = 0; i < ntags; i++) {
		if (DS_TAG_GROUP(tags[i]) == 0xfffe) {
			snprintf(s->err.msg, sizeof(s->err.msg),
			    "cannot capture (FFFE,%04X): not an element",
			    DS_TAG_ELEM(tags[i]));
			return report(s, err);
		}
		if (find_slot(s, tags[i]) != NULL)
			continue;
		if (s->nslots == DS_SCAN_MAX_TAGS) {
			snprintf(s->err.msg, sizeof(s->err.msg),
			    "too many tags to capture (at most %d)",
			    DS_SCAN_MAX_TAGS);
			return report(s, err);
		}
		s->slot[s->nslots++].tag = tags[i];
		if (tags[i] > s->max_tag)
			s->max_tag = tags[i];
	}
	s->err.code = 0;
	s->err.msg[0] = '\0';
	s->enc = enc;
	s->opts = opts;
	s->lvl_kind[0] = LV_DATASET;
	s->lvl_enc[0] = (uint8_t)enc;
	start_header(s);
	stop_now(s);
	return 0;
}

int
ds_scan_feed(struct ds_scan *s, const void *p, size_t n, struct cs_err *err)
{
	const uint8_t *b = p;
	size_t take;
	int rc;

	while (n > 0) {
		switch (s->state) {
		case ST_HDR:
			take = s->hneed - s->hlen;
			if (take > n)
				take = n;
			memcpy(s->hdr + s->hlen, b, take);
			s->hlen += take;
			break;
		case ST_VALUE:
			take = s->remain < n ? s->remain : n;
			if (s->cur != NULL && s->cur->len < DS_SCAN_VALUE_MAX) {
				size_t room = DS_SCAN_VALUE_MAX - s->cur->len;
				size_t c = take < room ? take : room;

				memcpy(s->cur->val + s->cur->len, b, c);
				s->cur->len += c;
			}
			s->remain -= (uint32_t)take;
			break;
		case ST_DONE:
			return DS_SCAN_DONE;
		default:
			return report(s, err);
		}
		b += take;
		n -= take;
		s->pos += take;
		if (s->state == ST_HDR && s->hlen == s->hneed) {
			if ((rc = on_header(s)) < 0)
				return report(s, err);
		} else if (s->state == ST_VALUE && s->remain == 0) {
			value_end(s);
		}
	}
	if (s->state == ST_ERROR)
		return report(s, err);
	return s->state == ST_DONE ? DS_SCAN_DONE : 0;
}

int
ds_scan_finish(struct ds_scan *s, struct cs_err *err)
{
	uint16_t g = DS_TAG_GROUP(s->tag), e = DS_TAG_ELEM(s->tag);

	switch (s->state) {
	case ST_DONE:
		return 0;
	case ST_ERROR:
		return report(s, err);
	case ST_VALUE:
		fail(s, CS_E_TRUNCATED, "ends inside the value of "
		    "(%04X,%04X), %" PRIu32 " bytes short", g, e, s->remain);
		return report(s, err);
	default:
		break;
	}
	if (s->hlen > 0) {
		fail(s, CS_E_TRUNCATED, "ends inside an element header");
		return report(s, err);
	}
	if (s->depth > 0) {
		fail(s, CS_E_TRUNCATED, "ends inside %s",
		    s->lvl_kind[s->depth] == LV_DATASET ?
		    "an undefined-length item" :
		    "an undefined-length sequence");
		return report(s, err);
	}
	return 0;
}

bool
ds_scan_done(const struct ds_scan *s)
{
	return s->state == ST_DONE;
}

uint64_t
ds_scan_offset(const struct ds_scan *s)
{
	return s->pos;
}

const char *
ds_scan_value(const struct ds_scan *s, uint32_t tag, size_t *lenp,
    unsigned *flagsp)
{
	const struct ds_scan_slot *sl = find_slot(s, tag);

	/* a value is only complete once its last byte has been read;
	 * cur stays set when the data ended or failed inside it */
	if (sl == NULL || !(sl->flags & DS_SCAN_F_PRESENT) || s->cur == sl) {
		if (lenp != NULL)
			*lenp = 0;
		if (flagsp != NULL)
			*flagsp = 0;
		return NULL;
	}
	if (lenp != NULL)
		*lenp = sl->len;
	if (flagsp != NULL)
		*flagsp = sl->flags;
	return sl->val;
}

bool
ds_scan_equals(const struct ds_scan *s, uint32_t tag, const char *str)
{
	unsigned flags;
	size_t len;
	const char *v = ds_scan_value(s, tag, &len, &flags);

	return v != NULL && str != NULL && !(flags & DS_SCAN_F_TOOLONG) &&
	    len == strlen(str) && memcmp(v, str, len) == 0;
}
