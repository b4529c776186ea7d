/*
 * ds_walk.h - the one walker of a data set's structure, shared by every
 * reader of data sets: the receiver's scanner (ds_scan), the sender's
 * prober (dcmfile/part10), the transcoder (dcmfile/xcode) and the
 * commitment decoder (commit_ds).
 *
 * A pull walker that owns no bytes: the caller hands it a bounded reader
 * (core/buf.h) positioned at the next header, it decodes one header
 * (core/ds_elem) and says what it is and what follows.  Value bytes are
 * the caller's to read or skip (exactly `pending' of them) before the
 * next call, so a walk can run over memory, a file window or bytes fed
 * one at a time.  What is open (undefined-length sequences, items and
 * encapsulated pixel data, and the defined-length ones the caller
 * entered) is a fixed stack of DS_WALK_MAX_DEPTH levels: no recursion,
 * no allocation, and deeper nesting is CS_E_TOOBIG.
 *
 * What it accepts, decided here once (PS3.5 6.2.2, 7.1, 7.5, A.4):
 *   - undefined lengths nested in any way, defined-length items in
 *     undefined-length sequences and the other way round;
 *   - a UN of undefined length holds a sequence whose items are Implicit
 *     VR LE (6.2.2), or Explicit VR LE where a writer from before CP-246
 *     kept it (ds_un_item_enc, told from each item's first element);
 *   - odd lengths, missing group lengths, private sequences: lengths are
 *     taken as they are, no tag or group is special but FFFE;
 *   - a Sequence Delimitation Item whatever its length field says (0, or
 *     FFFFFFFF from some writers), and a Sequence or Item Delimitation
 *     Item that ends a defined-length sequence or item exactly where its
 *     length ends (counted in it);
 *   - Big Endian headers, and items always in the 8-byte form.
 * What it refuses (CS_E_PROTO): an element or item that overruns the
 * defined length around it, anything but an item inside a sequence, an
 * item or delimiter among elements, a fragment of undefined length, an
 * undefined length where no VR allows one, a bad VR.
 */
#ifndef CS_CORE_DS_WALK_H
#define CS_CORE_DS_WALK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cstore/cstore.h"
#include "core/buf.h"
#include "core/ds_elem.h"

/*
 * The limit on nesting, the one every reader of data sets has: 128
 * undefined-length sequences nested in each other's items, and 128
 * defined-length ones the caller entered (a reader that passes those by
 * length, as the receiver without --validate does, counts only the
 * former: entering them must not refuse what it reads).  PS3.5 sets no
 * limit and DCMTK reads any depth; a structured report's content tree (a
 * Content Sequence in each container, code sequences in each item) can
 * nest past the 16 sequences an older limit allowed.  A sequence and an
 * item are one level each, and encapsulated Pixel Data one more in the
 * innermost item: DS_WALK_MAX_DEPTH levels, 16 bytes a level.
 */
#define DS_WALK_MAX_SEQUENCES 128
#define DS_WALK_MAX_DEPTH (4 * DS_WALK_MAX_SEQUENCES + 1)
/* ds_walk_init len: the data ends where the caller says (ds_walk_finish). */
#define DS_WALK_LEN_OPEN UINT64_MAX

/* ds_walk_next's positive result: the top level used its whole length. */
#define DS_WALK_END 1

enum ds_walk_ev {
	/* a data element of a data set (top level or an item's); kind says
	 * what follows.  DS_KIND_VALUE or a defined-length container:
	 * pending bytes follow (ds_walk_enter walks into a container
	 * instead); an undefined-length one was opened: its contents come
	 * as further steps */
	DS_WALK_ELEM = 1,
	/* an item of a sequence (kind DS_KIND_ITEM: a data set follows, as
	 * above) or a fragment of encapsulated pixel data (kind
	 * DS_KIND_VALUE: pending bytes of it) */
	DS_WALK_ITEM,
	/* the innermost open level ended: its delimiter was read, or its
	 * defined length is used up (nothing read then).  e.tag is the tag
	 * of what closed (the item, sequence or pixel data element) */
	DS_WALK_CLOSE
};

/* One step of the walk. */
struct ds_walk_step {
	enum ds_walk_ev ev;
	struct ds_elem e;        /* the header as read (CLOSE: see above) */
	enum ds_value_kind kind; /* what follows e */
	enum ds_enc enc;         /* the encoding e was read in */
	enum ds_enc inner;       /* the encoding of e's contents */
	unsigned depth;          /* levels open around e (0: top level) */
	uint64_t off;            /* stream offset of e's header */
};

struct ds_walk_lvl {
	uint8_t kind; /* private: data set, sequence or fragments */
	uint8_t enc;  /* enum ds_enc of what is inside */
	uint8_t un;   /* an item of a UN sequence: the encoding around it */
	uint32_t tag;
	uint64_t end; /* stream offset where it ends, or DS_WALK_LEN_OPEN */
};

/* All fields are private. */
struct ds_walk {
	uint64_t pos;     /* stream offset of the next header */
	uint64_t pending; /* value bytes the caller passes before it */
	unsigned depth;
	unsigned lim; /* the open level whose defined end is nearest */
	/* sequences open of undefined length, and of defined length */
	uint8_t nseq_open, nseq_def;
	int can_enter; /* the last step may be entered */
	/* what ds_walk_enter and ds_walk_pass need of the last step */
	uint8_t last_ev, last_enc, last_inner, last_un;
	uint32_t last_tag;
	struct ds_walk_lvl lvl[DS_WALK_MAX_DEPTH + 1];
};

/* ds_walk_init what: the top level is a data set, or the items of a
 * sequence (the value of a defined-length sequence read on its own). */
#define DS_WALK_DATASET 0
#define DS_WALK_ITEMS 1

/*
 * Starts a walk of len bytes (DS_WALK_LEN_OPEN: until the caller stops)
 * in encoding enc.  what: DS_WALK_DATASET or DS_WALK_ITEMS.  Returns 0
 * or CS_E_INVAL (enc is no ds_enc).
 */
int ds_walk_init(struct ds_walk *w, enum ds_enc enc, uint64_t len, int what);

/*
 * The next step.  r holds the bytes at the walk's position (the pending
 * bytes of the last step already passed); on success the header is
 * consumed from r.  Returns 0 with *st filled, DS_WALK_END when a
 * top level of known length is used up, or without moving r:
 *   CS_E_TRUNCATED  r holds less than the next header needs (st->e.hdr_len
 *                   says how much at least; err untouched): give more,
 *                   or at the end of the data call ds_walk_finish;
 *   CS_E_PROTO      malformed (detail in err; *st holds what was read);
 *   CS_E_TOOBIG     more than DS_WALK_MAX_SEQUENCES undefined-length
 *                   sequences nested.
 * After an error the walk must not go on.
 */
int ds_walk_next(struct ds_walk *w, struct rd *r, struct ds_walk_step *st,
    struct cs_err *err);

/* Value bytes the caller must read or skip before the next call. */
uint64_t ds_walk_pending(const struct ds_walk *w);

/*
 * Walks into the defined-length container the last step announced
 * instead of passing it as pending bytes: a sequence (an SQ, a UN that
 * holds one, or in Implicit VR a value the caller knows to be one), or an
 * item of a sequence.  Its contents come as steps and a CLOSE ends it.
 * Returns 0, CS_E_INVAL (the last step cannot be entered) or
 * CS_E_TOOBIG (DS_WALK_MAX_SEQUENCES defined-length sequences entered
 * are open already; the step is left pending, to be passed by length).
 */
int ds_walk_enter(struct ds_walk *w, struct cs_err *err);

/* Levels open now (0: the top level). */
unsigned ds_walk_depth(const struct ds_walk *w);

/* The tag of the top-level element whose contents are open (a sequence
 * or encapsulated Pixel Data), or 0 at the top level. */
uint32_t ds_walk_top_tag(const struct ds_walk *w);

/* Sequences open now, of undefined and of defined length. */
unsigned ds_walk_sequences(const struct ds_walk *w);

/* Stream offset of the next header (after the pending bytes). */
uint64_t ds_walk_offset(const struct ds_walk *w);

/*
 * Says the data ended at the walk's position (pending bytes included).
 * Returns 0 if that is between two elements of the top level (open
 * defined-length levels that end exactly there close), else
 * CS_E_TRUNCATED with "ends inside ..." in err.
 */
int ds_walk_finish(struct ds_walk *w, struct cs_err *err);

/*
 * For walks over memory: passes what the step st (just returned) holds,
 * reading from r, the same bytes the walk reads: its pending bytes, or
 * every level it opened up to the CLOSE that ends it.  With enter set,
 * defined-length sequences and items inside are walked too (checked),
 * else passed by length.  visit (NULL: none) sees every step inside;
 * a non-zero return stops and is returned.  Returns 0, CS_E_TRUNCATED
 * ("ends inside ..." in err), or ds_walk_next's errors.
 */
int ds_walk_pass(struct ds_walk *w, struct rd *r, const struct ds_walk_step *st,
    bool enter, int (*visit)(void *ctx, const struct ds_walk_step *st),
    void *ctx, struct cs_err *err);

#endif
