/*
 * ds_walk.c - the data set structure walker (see ds_walk.h).
 *
 * The walk is a stack of open levels, each a data set (the top level or
 * an item's), a sequence's items, or encapsulated fragments, with the
 * stream offset where it ends when its length is defined.  Every header
 * is read through a copy of the caller's reader cut at the nearest such
 * end, so nothing inside a defined length can reach past it.
 */
#include <stddef.h>
#include <string.h>

#include "core/ds_walk.h"

#include "core/banned.h"

enum { LV_DATASET, LV_SEQ, LV_FRAG };

static bool
valid_enc(enum ds_enc enc)
{
	return enc == DS_ENC_IVR_LE || enc == DS_ENC_EVR_LE ||
	    enc == DS_ENC_EVR_BE;
}

int
ds_walk_init(struct ds_walk *w, enum ds_enc enc, uint64_t len, int what)
{
	/* the levels above the top are written whole by push() before
	 * they are read: clearing them would cost 4 KiB a walk */
	memset(w, 0, offsetof(struct ds_walk, lvl) + sizeof(w->lvl[0]));
	if (!valid_enc(enc))
		return CS_E_INVAL;
	w->lvl[0].kind = what == DS_WALK_ITEMS ? LV_SEQ : LV_DATASET;
	w->lvl[0].enc = (uint8_t)enc;
	w->lvl[0].end = len;
	return 0;
}

uint64_t
ds_walk_pending(const struct ds_walk *w)
{
	return w->pending;
}

uint32_t
ds_walk_top_tag(const struct ds_walk *w)
{
	return w->depth == 0 ? 0 : w->lvl[1].tag;
}

unsigned
ds_walk_depth(const struct ds_walk *w)
{
	return w->depth;
}

unsigned
ds_walk_sequences(const struct ds_walk *w)
{
	return (unsigned)w->nseq_open + w->nseq_def;
}

uint64_t
ds_walk_offset(const struct ds_walk *w)
{
	return w->pos + w->pending;
}

/* The level whose defined end is nearest (every inner one lies in it),
 * kept in w->lim as levels open and close. */
static unsigned
limit_level(const struct ds_walk *w)
{
	return w->lim;
}

static void
find_limit(struct ds_walk *w)
{
	unsigned d = w->depth;

	while (d > 0 && w->lvl[d].end == DS_WALK_LEN_OPEN)
		d--;
	w->lim = d;
}

static int
push(struct ds_walk *w, uint8_t kind, enum ds_enc enc, uint8_t un, uint32_t tag,
    uint64_t end, struct cs_err *err)
{
	struct ds_walk_lvl *l;

	/* undefined-length sequences and entered defined-length ones
	 * each have their own budget, so a reader that enters the latter
	 * refuses nothing one that passes them by length reads */
	uint8_t *n = end == DS_WALK_LEN_OPEN ? &w->nseq_open : &w->nseq_def;

	if ((kind == LV_SEQ && *n >= DS_WALK_MAX_SEQUENCES) ||
	    w->depth >= DS_WALK_MAX_DEPTH)
		return cs_err_set(err, CS_E_TOOBIG,
		    "(%04X,%04X) nests more than %d sequences in each other",
		    DS_TAG_GROUP(tag), DS_TAG_ELEM(tag), DS_WALK_MAX_SEQUENCES);
	l = &w->lvl[++w->depth];
	l->kind = kind;
	l->enc = (uint8_t)enc;
	l->un = un;
	l->tag = tag;
	l->end = end;
	if (kind == LV_SEQ)
		(*n)++;
	if (end != DS_WALK_LEN_OPEN)
		w->lim = w->depth;
	return 0;
}

static enum ds_value_kind
level_kind(const struct ds_walk_lvl *l)
{
	switch (l->kind) {
	case LV_SEQ:
		return DS_KIND_SEQUENCE;
	case LV_FRAG:
		return DS_KIND_FRAGMENTS;
	default:
		return DS_KIND_ITEM;
	}
}

/* Closes the innermost level: a CLOSE step at the depth it opened at. */
static int
pop(struct ds_walk *w, struct ds_walk_step *st)
{
	const struct ds_walk_lvl *l = &w->lvl[w->depth];

	st->ev = DS_WALK_CLOSE;
	st->kind = level_kind(l);
	st->e.tag = l->tag;
	st->enc = st->inner = (enum ds_enc)l->enc;
	if (l->kind == LV_SEQ && l->end == DS_WALK_LEN_OPEN)
		w->nseq_open--;
	else if (l->kind == LV_SEQ)
		w->nseq_def--;
	w->depth--;
	if (w->lim > w->depth)
		find_limit(w);
	st->depth = w->depth;
	return 0;
}

/* len value bytes follow the header just read: do they fit? */
static int
fits(struct ds_walk *w, const struct ds_walk_step *st, uint32_t len,
    struct cs_err *err)
{
	unsigned d = limit_level(w);
	uint64_t end = w->lvl[d].end;

	if (end == DS_WALK_LEN_OPEN || len <= end - w->pos)
		return 0;
	if (d == 0)
		return cs_err_set(err, CS_E_TRUNCATED,
		    "the data set ends inside %s (%04X,%04X)",
		    st->ev == DS_WALK_ITEM ? "the item" : "the value of",
		    DS_TAG_GROUP(st->e.tag), DS_TAG_ELEM(st->e.tag));
	return cs_err_set(err, CS_E_PROTO,
	    "(%04X,%04X) runs past the end of (%04X,%04X)",
	    DS_TAG_GROUP(st->e.tag), DS_TAG_ELEM(st->e.tag),
	    DS_TAG_GROUP(w->lvl[d].tag), DS_TAG_ELEM(w->lvl[d].tag));
}

/* An item, fragment or delimiter where a sequence's items are. */
static int
seq_child(struct ds_walk *w, struct ds_walk_step *st, struct cs_err *err)
{
	struct ds_walk_lvl *l = &w->lvl[w->depth];
	bool frag = l->kind == LV_FRAG;
	int rc;

	if (st->e.tag == DS_TAG_SEQ_DELIM && w->depth > 0 &&
	    (l->end == DS_WALK_LEN_OPEN || l->end == w->pos))
		/* PS3.5 7.5: its length should be 0; some writers put
		 * FFFFFFFF there, and it carries nothing either way.  Some
		 * also end a defined-length sequence with one, counted in
		 * its length: accepted exactly at its end */
		return pop(w, st);
	if (st->e.tag != DS_TAG_ITEM)
		return cs_err_set(err, CS_E_PROTO,
		    "expected an item in %s, found (%04X,%04X)",
		    frag ? "encapsulated pixel data" : "a sequence",
		    DS_TAG_GROUP(st->e.tag), DS_TAG_ELEM(st->e.tag));
	st->ev = DS_WALK_ITEM;
	st->inner = (enum ds_enc)l->enc;
	if (frag) {
		/* PS3.5 A.4: fragments always have an explicit length */
		st->kind = DS_KIND_VALUE;
		if (st->e.len == DS_LEN_UNDEFINED)
			return cs_err_set(err, CS_E_PROTO,
			    "pixel data fragment with undefined length");
	} else {
		st->kind = DS_KIND_ITEM;
		if (st->e.len == DS_LEN_UNDEFINED)
			return push(w, LV_DATASET, (enum ds_enc)l->enc, l->un,
			    DS_TAG_ITEM, DS_WALK_LEN_OPEN, err);
		w->can_enter = 1;
	}
	if ((rc = fits(w, st, st->e.len, err)) != 0)
		return rc;
	w->pending = st->e.len;
	return 0;
}

/* A data element, item or delimiter where a data set's elements are. */
static int
member(struct ds_walk *w, struct ds_walk_step *st, struct cs_err *err)
{
	const struct ds_walk_lvl *l = &w->lvl[w->depth];
	const struct ds_elem *e = &st->e;
	int rc;

	if (DS_TAG_GROUP(e->tag) == 0xfffe) {
		/* an item's delimiter; some writers also end a defined-length
		 * item with one, exactly at its end */
		if (e->tag == DS_TAG_ITEM_DELIM && w->depth > 0 &&
		    (l->end == DS_WALK_LEN_OPEN || l->end == w->pos))
			return pop(w, st);
		return cs_err_set(err, CS_E_PROTO, "(%04X,%04X) out of place",
		    DS_TAG_GROUP(e->tag), DS_TAG_ELEM(e->tag));
	}
	st->ev = DS_WALK_ELEM;
	st->kind = ds_elem_kind(e, st->enc, &st->inner);
	if (e->len != DS_LEN_UNDEFINED) {
		if ((rc = fits(w, st, e->len, err)) != 0)
			return rc;
		w->pending = e->len;
		w->can_enter =
		    st->kind == DS_KIND_SEQUENCE || st->kind == DS_KIND_VALUE;
		return 0;
	}
	switch (st->kind) {
	case DS_KIND_SEQUENCE:
		/* a UN: items sniffed in the encoding around it */
		return push(w, LV_SEQ, st->inner,
		    st->inner != st->enc ? (uint8_t)st->enc : 0, e->tag,
		    DS_WALK_LEN_OPEN, err);
	case DS_KIND_FRAGMENTS:
		return push(
		    w, LV_FRAG, st->inner, 0, e->tag, DS_WALK_LEN_OPEN, err);
	default:
		break;
	}
	if (e->vr[0] == '\0')
		return cs_err_set(err, CS_E_PROTO,
		    "undefined length not allowed for (%04X,%04X)",
		    DS_TAG_GROUP(e->tag), DS_TAG_ELEM(e->tag));
	return cs_err_set(err, CS_E_PROTO,
	    "undefined length not allowed for VR '%s' in (%04X,%04X)", e->vr,
	    DS_TAG_GROUP(e->tag), DS_TAG_ELEM(e->tag));
}

int
ds_walk_next(struct ds_walk *w, struct rd *r, struct ds_walk_step *st,
    struct cs_err *err)
{
	struct ds_walk_lvl *l;
	uint64_t room = DS_WALK_LEN_OPEN;
	unsigned d;
	struct rd h;
	enum ds_enc enc;
	bool sniff;
	int rc;

	w->pos += w->pending;
	w->pending = 0;
	w->can_enter = 0;
	/* no memset: this runs once per element header */
	st->ev = (enum ds_walk_ev)0;
	st->kind = (enum ds_value_kind)0;
	st->e.tag = 0;
	st->e.vr[0] = '\0';
	st->e.len = 0;
	st->e.hdr_len = 0;
	st->off = w->pos;
	st->depth = w->depth;
	l = &w->lvl[w->depth];
	if (l->end != DS_WALK_LEN_OPEN && w->pos >= l->end) {
		if (w->depth == 0)
			return DS_WALK_END;
		return pop(w, st);
	}
	if (r->err)
		return cs_err_set(err, CS_E_INVAL, "walk over a failed reader");
	h = *r;
	d = limit_level(w);
	if (w->lvl[d].end != DS_WALK_LEN_OPEN) {
		room = w->lvl[d].end - w->pos;
		if (rd_left(&h) > room)
			h.len = h.pos + (size_t)room;
	}
	enc = (enum ds_enc)l->enc;
	st->e.hdr_len = 8;
	sniff = l->kind == LV_DATASET && l->un != 0;
	if (sniff) {
		/* the first element of an item of a UN sequence tells its
		 * encoding (ds_un_item_enc): 8 bytes, or all there is */
		if (rd_left(&h) < 8 && rd_left(&h) < room)
			return CS_E_TRUNCATED;
		enc = ds_un_item_enc(
		    h.p + h.pos, rd_left(&h), (enum ds_enc)l->un);
	}
	rc = ds_elem_read(&h, enc, &st->e, err);
	st->enc = enc;
	if (rc == CS_E_TRUNCATED) {
		if (rd_left(&h) < room || d == 0)
			return CS_E_TRUNCATED;
		return cs_err_set(err, CS_E_PROTO,
		    "an element header runs past the end of (%04X,%04X)",
		    DS_TAG_GROUP(w->lvl[d].tag), DS_TAG_ELEM(w->lvl[d].tag));
	}
	if (rc < 0)
		return rc == CS_E_INVAL ? rc : CS_E_PROTO;
	if (sniff) {
		l->enc = (uint8_t)enc;
		l->un = 0;
	}
	r->pos = h.pos;
	w->pos += st->e.hdr_len;
	rc = l->kind == LV_DATASET ? member(w, st, err) : seq_child(w, st, err);
	w->last_ev = (uint8_t)st->ev;
	w->last_enc = (uint8_t)st->enc;
	w->last_inner = (uint8_t)st->inner;
	w->last_un = st->e.vr[0] == 'U' && st->e.vr[1] == 'N';
	w->last_tag = st->e.tag;
	return rc;
}

int
ds_walk_enter(struct ds_walk *w, struct cs_err *err)
{
	const struct ds_walk_lvl *l = &w->lvl[w->depth];
	uint64_t end = w->pos + w->pending;
	int rc;

	if (!w->can_enter)
		return cs_err_set(err, CS_E_INVAL, "nothing to walk into");
	w->can_enter = 0;
	if (w->last_ev == DS_WALK_ITEM)
		rc = push(w, LV_DATASET, (enum ds_enc)l->enc, l->un,
		    DS_TAG_ITEM, end, err);
	else if (w->last_un)
		/* PS3.5 6.2.2: a UN sequence holds Implicit VR LE */
		rc = push(w, LV_SEQ, DS_ENC_IVR_LE,
		    w->last_enc != DS_ENC_IVR_LE ? w->last_enc : 0, w->last_tag,
		    end, err);
	else
		rc = push(w, LV_SEQ, (enum ds_enc)w->last_inner, 0, w->last_tag,
		    end, err);
	if (rc == 0)
		w->pending = 0;
	return rc;
}

int
ds_walk_finish(struct ds_walk *w, struct cs_err *err)
{
	const struct ds_walk_lvl *l;

	w->pos += w->pending;
	w->pending = 0;
	while (w->depth > 0 && w->lvl[w->depth].end == w->pos) {
		if (w->lvl[w->depth].kind == LV_SEQ)
			w->nseq_def--;
		w->depth--;
	}
	find_limit(w);
	l = &w->lvl[w->depth];
	if (w->depth == 0 && (l->end == DS_WALK_LEN_OPEN || l->end == w->pos))
		return 0;
	if (w->depth == 0)
		return cs_err_set(err, CS_E_TRUNCATED,
		    "ends %llu bytes before its end",
		    (unsigned long long)(l->end - w->pos));
	return cs_err_set(err, CS_E_TRUNCATED, "ends inside %s",
	    l->kind == LV_DATASET ? "an undefined-length item"
				  : "an undefined-length sequence");
}

/* Passes the pending bytes of the last step in r. */
static int
pass_pending(struct ds_walk *w, struct rd *r, struct cs_err *err)
{
	if (w->pending > rd_left(r)) {
		if (w->last_ev == DS_WALK_ITEM)
			return cs_err_set(err, CS_E_TRUNCATED,
			    "the data set ends inside an item");
		return cs_err_set(err, CS_E_TRUNCATED,
		    "the data set ends inside (%04X,%04X)",
		    DS_TAG_GROUP(w->last_tag), DS_TAG_ELEM(w->last_tag));
	}
	rd_skip(r, (size_t)w->pending);
	return 0;
}

static bool
enterable(const struct ds_walk *w, const struct ds_walk_step *s)
{
	return w->can_enter &&
	    (s->kind == DS_KIND_SEQUENCE || s->kind == DS_KIND_ITEM);
}

int
ds_walk_pass(struct ds_walk *w, struct rd *r, const struct ds_walk_step *st,
    bool enter, int (*visit)(void *ctx, const struct ds_walk_step *st),
    void *ctx, struct cs_err *err)
{
	struct ds_walk_step s;
	unsigned base = st->depth;
	int rc;

	if (st->ev == DS_WALK_CLOSE)
		return 0;
	if (w->depth == base) {
		if (!enter || !enterable(w, st))
			return pass_pending(w, r, err);
		if ((rc = ds_walk_enter(w, err)) != 0)
			return rc;
	}
	/* each round reads a header or closes a level of defined length:
	 * the loop ends with the data or at the CLOSE that matches st */
	for (;;) {
		if ((rc = pass_pending(w, r, err)) != 0)
			return rc;
		rc = ds_walk_next(w, r, &s, err);
		if (rc == CS_E_TRUNCATED || rc == DS_WALK_END)
			return cs_err_set(err, CS_E_TRUNCATED,
			    "the data set ends inside %s",
			    rd_left(r) > 0 ? "an element header"
					   : "an undefined-length value");
		if (rc != 0)
			return rc;
		if (visit != NULL && (rc = visit(ctx, &s)) != 0)
			return rc;
		if (s.ev == DS_WALK_CLOSE && w->depth == base)
			return 0;
		if (enter && enterable(w, &s) &&
		    (rc = ds_walk_enter(w, err)) != 0)
			return rc;
	}
}
