/*
 * ds_scan.c - incremental scanner of a dataset's top-level elements.
 *
 * The scanner is a byte-driven state machine: it assembles an element
 * header (8 or 12 bytes) in a small buffer and hands it to core/ds_walk,
 * the walker every reader of data sets shares, which decodes it and
 * keeps what is open (undefined-length sequences, items, encapsulated
 * pixel data).  The scanner then copies the value into a slot (requested
 * top-level tags) or counts it down unread.  Defined-length sequences and
 * items are skipped by length like any other value: nothing inside them
 * is top level.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h> /* vsnprintf only: no file I/O in core */
#include <string.h>

#include "core/ds_scan.h"
#include "core/ts.h"

#include "core/banned.h"

enum { ST_HDR, ST_VALUE, ST_DONE, ST_ERROR };

static int fail(struct ds_scan *s, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
fail(struct ds_scan *s, int code, const char *fmt, ...)
{
	va_list ap;
	int n;

	s->state = ST_ERROR;
	s->err.code = code;
	/* the reason first: an Error Comment (64 characters) keeps it */
	va_start(ap, fmt);
	n = vsnprintf(s->err.msg, sizeof(s->err.msg), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(s->err.msg))
		return code;
	snprintf(s->err.msg + n, sizeof(s->err.msg) - (size_t)n,
	    " (%s data set, offset %" PRIu64 ")",
	    code == CS_E_TRUNCATED ? "truncated" : "malformed", s->elem_pos);
	return code;
}

/* Hands the latched error to the caller's err (first error wins there). */
static int
report(const struct ds_scan *s, struct cs_err *err)
{
	return cs_err_set(err, s->err.code, "%s", s->err.msg);
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
	if ((s->opts & DS_SCAN_STOP_EARLY) && ds_walk_depth(&s->walk) == 0 &&
	    s->nseen == s->nslots) {
		s->state = ST_DONE;
		return true;
	}
	return false;
}

/* Trims PS3.5 6.2 padding: leading spaces, trailing spaces and NULs. */
static void
trim(struct ds_scan_slot *sl)
{
	size_t a = 0, b = sl->len;

	memset(sl->raw, 0, sizeof(sl->raw));
	memcpy(sl->raw, sl->val, b < sizeof(sl->raw) ? b : sizeof(sl->raw));
	while (b > 0 && (sl->val[b - 1] == ' ' || sl->val[b - 1] == '\0'))
		b--;
	while (a < b && sl->val[a] == ' ')
		a++;
	memmove(sl->val, sl->val + a, b - a);
	sl->len = b - a;
	sl->val[sl->len] = '\0';
}

static int
value_end(struct ds_scan *s)
{
	const struct ds_scan_slot *a = s->dup_of, *b = &s->dup;

	if (s->cur != NULL)
		trim(s->cur);
	if (s->cur == &s->dup) {
		/* a second copy is harmless only if it says the same */
		s->dup_of = NULL;
		if (a->len != b->len || memcmp(a->val, b->val, a->len) != 0)
			return fail(s, CS_E_PROTO,
			    "(%04X,%04X) occurs twice, "
			    "with different values",
			    DS_TAG_GROUP(a->tag), DS_TAG_ELEM(a->tag));
	}
	start_header(s);
	stop_now(s);
	return 0;
}

/* Starts reading or skipping a value of len bytes (slot may be NULL). */
static int
value_begin(struct ds_scan *s, uint32_t len, struct ds_scan_slot *slot)
{
	s->cur = slot;
	s->remain = len;
	s->state = ST_VALUE;
	if (len == 0)
		return value_end(s);
	return 0;
}

/* A data element of the top level: captured, compared or skipped. */
static int
on_top(struct ds_scan *s, const struct ds_elem *e)
{
	struct ds_scan_slot *slot = find_slot(s, e->tag);
	uint16_t g = DS_TAG_GROUP(e->tag), el = DS_TAG_ELEM(e->tag);

	if (slot != NULL && (slot->flags & DS_SCAN_F_PRESENT)) {
		/* a second copy that differs would let two readers of the
		 * file see two different UIDs: compare it with the first
		 * (some writers repeat an element with the same value) */
		if ((slot->flags & DS_SCAN_F_TOOLONG) ||
		    e->len > DS_SCAN_VALUE_MAX)
			return fail(s, CS_E_PROTO,
			    "(%04X,%04X) occurs twice, "
			    "too long to compare",
			    g, el);
		memset(&s->dup, 0, sizeof(s->dup));
		s->dup.tag = e->tag;
		s->dup_of = slot;
		return value_begin(s, e->len, &s->dup);
	}
	if (slot != NULL) {
		slot->flags = DS_SCAN_F_PRESENT;
		slot->vlen = e->len;
		s->nseen++;
	}
	if (e->len != DS_LEN_UNDEFINED) {
		/* defined-length sequences too: nothing inside is top level */
		if (slot != NULL && e->len > DS_SCAN_VALUE_MAX)
			slot->flags |= DS_SCAN_F_TOOLONG;
		return value_begin(s, e->len, slot);
	}
	/* the walker opened it: its contents come as headers */
	if (slot != NULL)
		slot->flags |= DS_SCAN_F_TOOLONG;
	start_header(s);
	return 0;
}

/*
 * DS_SCAN_DEEP: a defined-length sequence (not one asked for) or item is
 * walked into, unless that passes the walker's nesting limit: its
 * contents come as headers.  Returns 1 when it was, 0 when it is to be
 * skipped as a value, or a walker error.
 */
static int
enter_defined(
    struct ds_scan *s, const struct ds_walk_step *st, struct cs_err *err)
{
	int rc;

	if (!(s->opts & DS_SCAN_DEEP) ||
	    (st->ev != DS_WALK_ELEM && st->ev != DS_WALK_ITEM) ||
	    st->e.len == DS_LEN_UNDEFINED ||
	    (st->kind != DS_KIND_SEQUENCE && st->kind != DS_KIND_ITEM) ||
	    (st->depth == 0 && find_slot(s, st->e.tag) != NULL))
		return 0;
	/* past the nesting limit it is passed by its length, as without
	 * DS_SCAN_DEEP (the walker left it pending) */
	if ((rc = ds_walk_enter(&s->walk, err)) == CS_E_TOOBIG)
		return 0;
	if (rc != 0)
		return rc;
	start_header(s);
	return 1;
}

/* Counts the fragments of the top level's encapsulated Pixel Data. */
static void
count_px_item(struct ds_scan *s, const struct ds_walk_step *st)
{
	if (st->ev == DS_WALK_ELEM && st->depth == 0)
		s->in_px = st->e.tag == DS_TAG(0x7fe0, 0x0010) &&
		    st->e.len == DS_LEN_UNDEFINED;
	else if (st->ev == DS_WALK_ITEM && st->depth == 1 && s->in_px) {
		if (s->px_items == 0)
			s->px_bot_len = st->e.len;
		if (s->px_items < UINT32_MAX)
			s->px_items++;
	}
}

/*
 * Called whenever hlen reaches hneed: has the walker decode the header if
 * it is complete, else asks for the rest of it (a long-length VR).
 */
static int
on_header(struct ds_scan *s)
{
	struct cs_err err = { 0, "" };
	struct ds_walk_step st;
	struct rd r;
	int rc;

	rd_init(&r, s->hdr, s->hlen);
	rc = ds_walk_next(&s->walk, &r, &st, &err);
	/* levels entered (DS_SCAN_DEEP) close where their length ends,
	 * reading nothing: the header is the next step's */
	while (rc == 0 && st.ev == DS_WALK_CLOSE && r.pos == 0)
		rc = ds_walk_next(&s->walk, &r, &st, &err);
	s->tag = st.e.tag;
	if (st.depth == 0 && st.ev != DS_WALK_CLOSE &&
	    (s->opts & DS_SCAN_STOP_EARLY) && st.e.tag > s->max_tag) {
		s->state = ST_DONE;
		return 0;
	}
	if (rc == CS_E_TRUNCATED && st.e.hdr_len > s->hlen &&
	    st.e.hdr_len <= sizeof(s->hdr)) {
		s->hneed = st.e.hdr_len;
		return 0;
	}
	if (rc < 0)
		return fail(
		    s, rc, "%s", err.code != 0 ? err.msg : cs_strerror(rc));
	if (rc != 0 || r.pos != s->hlen)
		/* an open top level never ends by itself, and a header is
		 * read whole, delimiters included */
		return fail(s, CS_E_PROTO, "walker out of step");
	/* before a level is entered: a defined-length sequence after Pixel
	 * Data (Digital Signatures) ends its fragments, its items are none */
	count_px_item(s, &st);
	if ((rc = enter_defined(s, &st, &err)) != 0)
		return rc < 0 ? fail(s, rc, "%s", err.msg) : 0;
	if (st.ev == DS_WALK_ELEM && st.depth == 0)
		return on_top(s, &st.e);
	/* a value, item or fragment to skip; nothing when a level opened
	 * or closed: a header follows */
	return value_begin(s, (uint32_t)ds_walk_pending(&s->walk), NULL);
}

int
ds_scan_enc_for_ts(const char *ts, enum ds_enc *enc)
{
	static const char std[] = TS_UID_ImplicitVRLittleEndian;
	size_t n = sizeof(std) - 1;
	const struct ts_entry *t;

	if (ts == NULL || enc == NULL)
		return CS_E_INVAL;
	if (strncmp(ts, std, n) != 0 || (ts[n] != '\0' && ts[n] != '.'))
		return CS_E_UNSUPPORTED;
	t = ts_find(ts);
	/* PS3.5 A.5, A.7, A.12: the dataset itself is deflated */
	if (t != NULL && (t->flags & TS_F_DEFLATED))
		return CS_E_UNSUPPORTED;
	/* PS3.5 A.4: one not in the table is Explicit VR LE all the same */
	*enc = t != NULL ? t->enc : DS_ENC_EVR_LE;
	return 0;
}

int
ds_scan_init(struct ds_scan *s, enum ds_enc enc, const uint32_t *tags,
    size_t ntags, unsigned opts, struct cs_err *err)
{
	size_t i;

	_Static_assert(offsetof(struct ds_scan, max_tag) ==
		offsetof(struct ds_scan, walk) + sizeof(s->walk),
	    "ds_scan_init clears what follows the walker from max_tag on");
	/* all but the walker's levels, which ds_walk_init leaves to be
	 * written before they are read: clearing its 256 would cost 4 KiB
	 * a data set (it is started here at once, whatever enc is) */
	memset(s, 0, offsetof(struct ds_scan, walk));
	memset(&s->max_tag, 0, sizeof(*s) - offsetof(struct ds_scan, max_tag));
	(void)ds_walk_init(
	    &s->walk, DS_ENC_EVR_LE, DS_WALK_LEN_OPEN, DS_WALK_DATASET);
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
	ds_walk_init(&s->walk, enc, DS_WALK_LEN_OPEN, DS_WALK_DATASET);
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
			if ((rc = value_end(s)) < 0)
				return report(s, err);
		}
	}
	if (s->state == ST_ERROR)
		return report(s, err);
	return s->state == ST_DONE ? DS_SCAN_DONE : 0;
}

uint64_t
ds_scan_skippable(const struct ds_scan *s)
{
	if (s->state == ST_DONE)
		return UINT64_MAX;
	if (s->state != ST_VALUE ||
	    (s->cur != NULL && s->cur->len < DS_SCAN_VALUE_MAX))
		return 0;
	return s->remain;
}

int
ds_scan_skip(struct ds_scan *s, uint64_t n, struct cs_err *err)
{
	if (n == 0 || n > ds_scan_skippable(s))
		return cs_err_set(err, CS_E_INVAL,
		    "%" PRIu64 " bytes cannot pass the scanner unseen", n);
	if (s->state == ST_DONE)
		return DS_SCAN_DONE;
	/* as ds_scan_feed counts a value it does not keep */
	s->remain -= (uint32_t)n;
	s->pos += n;
	if (s->remain == 0 && value_end(s) < 0)
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
		fail(s, CS_E_TRUNCATED,
		    "ends inside the value of "
		    "(%04X,%04X), %" PRIu32 " bytes short",
		    g, e, s->remain);
		return report(s, err);
	default:
		break;
	}
	if (s->hlen > 0) {
		s->tag = 0; /* its tag unread: not the element before */
		fail(s, CS_E_TRUNCATED, "ends inside an element header");
		return report(s, err);
	}
	if (ds_walk_finish(&s->walk, &s->err) != 0) {
		char why[sizeof(s->err.msg)];

		memcpy(why, s->err.msg, sizeof(why));
		fail(s, CS_E_TRUNCATED, "%s", why);
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
ds_scan_value(
    const struct ds_scan *s, uint32_t tag, size_t *lenp, unsigned *flagsp)
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

uint32_t
ds_scan_error_tag(const struct ds_scan *s)
{
	uint32_t tag;

	if (s->state != ST_ERROR)
		return 0;
	tag = ds_walk_depth(&s->walk) == 0 ? s->tag : ds_walk_top_tag(&s->walk);
	/* item and delimiters (FFFE,xxxx) are no data elements */
	return DS_TAG_GROUP(tag) == 0xfffe ? 0 : tag;
}

uint32_t
ds_scan_px_items(const struct ds_scan *s, uint32_t *bot_len)
{
	*bot_len = s->px_items > 0 ? s->px_bot_len : 0;
	return s->px_items;
}

bool
ds_scan_raw(
    const struct ds_scan *s, uint32_t tag, uint32_t *vlen, uint8_t raw[4])
{
	const struct ds_scan_slot *sl = find_slot(s, tag);

	if (ds_scan_value(s, tag, NULL, NULL) == NULL)
		return false;
	*vlen = sl->vlen;
	memcpy(raw, sl->raw, 4);
	return true;
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
