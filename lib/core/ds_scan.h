/*
 * ds_scan.h - an incremental scanner of a dataset's top-level elements.
 *
 * The receiver feeds the dataset bytes of a C-STORE exactly as they
 * arrive (any split, down to one byte).  The scanner copies the values
 * of a few chosen top-level tags (the UIDs and whatever the file layout
 * needs) and skips everything else without buffering it: values by
 * length, undefined-length sequences and items by walking their
 * structure, encapsulated pixel data fragment by fragment.  Its state is
 * one fixed-size struct, so memory stays flat whatever the dataset size;
 * it never allocates.
 *
 * Encodings (PS3.5 A.1-A.4, chosen once at init): Implicit VR Little
 * Endian, Explicit VR Little Endian (also every encapsulated transfer
 * syntax) and Explicit VR Big Endian.  Deflated datasets cannot be
 * scanned (ds_scan_enc_for_ts says so); callers fall back.
 *
 * Malformed input latches an error (a negative code and a message); the
 * scanner never reads outside the chunk it is given.
 *
 * Ownership: struct ds_scan is caller-owned (embed it, no _release
 * needed).  Chunks are borrowed for the call and never kept.  Pointers
 * returned by ds_scan_value live as long as the struct and stay valid
 * until the next ds_scan_init.
 */
#ifndef CS_CORE_DS_SCAN_H
#define CS_CORE_DS_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cstore/cstore.h"
#include "core/ds_elem.h" /* enum ds_enc, DS_TAG */
#include "core/ds_walk.h"

/* Tags the receiver usually asks for (PS3.6). */
#define DS_TAG_SOP_CLASS_UID DS_TAG(0x0008, 0x0016)
#define DS_TAG_SOP_INSTANCE_UID DS_TAG(0x0008, 0x0018)
#define DS_TAG_STUDY_DATE DS_TAG(0x0008, 0x0020)
#define DS_TAG_ACCESSION_NUMBER DS_TAG(0x0008, 0x0050)
#define DS_TAG_MODALITY DS_TAG(0x0008, 0x0060)
#define DS_TAG_PATIENT_ID DS_TAG(0x0010, 0x0020)
#define DS_TAG_STUDY_INSTANCE_UID DS_TAG(0x0020, 0x000d)
#define DS_TAG_SERIES_INSTANCE_UID DS_TAG(0x0020, 0x000e)
#define DS_TAG_SERIES_NUMBER DS_TAG(0x0020, 0x0011)
#define DS_TAG_INSTANCE_NUMBER DS_TAG(0x0020, 0x0013)

/* Limits: tags per scan, bytes kept per value, nesting levels. */
#define DS_SCAN_MAX_TAGS 24
#define DS_SCAN_VALUE_MAX 256
/* levels of undefined-length sequences and items (those are what count
 * against DS_WALK_MAX_SEQUENCES; defined-length ones entered under
 * DS_SCAN_DEEP have a budget of their own) */
#define DS_SCAN_MAX_DEPTH (2 * DS_WALK_MAX_SEQUENCES + 1)

/* ds_scan_init opts */
/*
 * Stop once every requested tag has been seen, or a top-level tag past
 * the highest requested one has started (PS3.5 7.1: top-level elements
 * come in ascending tag order).  Later chunks are then ignored unread,
 * so the rest of the dataset is not checked.  Without this flag the
 * whole dataset is walked and ds_scan_finish checks that it ended on an
 * element boundary.
 */
#define DS_SCAN_STOP_EARLY 0x1u
/*
 * Walk into defined-length sequences and items too (dcmrecv --validate),
 * instead of skipping them by their length: an element or item that
 * overruns the one around it, anything but an item in a sequence, an
 * undefined-length sequence or item left open where a defined-length
 * item ends, all latch CS_E_PROTO as at the top level.  Values of tags
 * asked for are captured as without it.  The nesting limit is as
 * without it (DS_WALK_MAX_SEQUENCES undefined-length sequences); past
 * DS_WALK_MAX_SEQUENCES entered defined-length ones, the next is passed
 * by its length.  Implicit VR marks no
 * sequence of defined length (no dictionary here): those are skipped as
 * values, the defined-length items of undefined-length sequences
 * walked.
 */
#define DS_SCAN_DEEP 0x2u

/* ds_scan_value flags */
#define DS_SCAN_F_PRESENT 0x1u /* the element occurred at the top level */
/*
 * The value was longer than DS_SCAN_VALUE_MAX (only its first bytes are
 * kept) or had undefined length (nothing kept).  Never compare such a
 * value with a UID: use ds_scan_equals.
 */
#define DS_SCAN_F_TOOLONG 0x2u

/* ds_scan_feed result when DS_SCAN_STOP_EARLY has nothing more to find. */
#define DS_SCAN_DONE 1

struct ds_scan_slot {
	uint32_t tag;
	unsigned flags;
	size_t len;                      /* bytes kept in val */
	uint32_t vlen;                   /* value length as encoded */
	uint8_t raw[4];                  /* its first bytes, untrimmed */
	char val[DS_SCAN_VALUE_MAX + 1]; /* NUL-terminated */
};

/* All fields are private; use the functions below. */
struct ds_scan {
	enum ds_enc enc;
	unsigned opts;
	int state;
	struct cs_err err;            /* the latched error, if any */
	uint64_t pos;                 /* dataset bytes consumed */
	uint64_t elem_pos;            /* offset of the current element header */
	uint8_t hdr[DS_ELEM_HDR_MAX]; /* element header being assembled */
	size_t hlen, hneed;
	uint32_t tag;                /* current element */
	uint32_t remain;             /* value bytes left to capture or skip */
	struct ds_scan_slot *cur;    /* slot being captured, or NULL */
	struct ds_scan_slot dup;     /* a second copy of a captured tag */
	struct ds_scan_slot *dup_of; /* the slot dup is compared with */
	struct ds_walk walk;         /* what is open (core/ds_walk.h) */
	uint32_t max_tag;            /* highest requested tag */
	/* items of the top level's encapsulated Pixel Data, the Basic
	 * Offset Table's included, and that table's length */
	uint32_t px_items, px_bot_len;
	int in_px; /* the top level's element is encapsulated Pixel Data */
	unsigned nslots, nseen;
	struct ds_scan_slot slot[DS_SCAN_MAX_TAGS];
};

/*
 * Sets *enc to the dataset encoding of the transfer syntax ts_uid.
 * Every standard transfer syntax (prefix 1.2.840.10008.1.2) other than
 * Implicit VR LE and Explicit VR BE encodes its dataset in Explicit VR
 * LE (PS3.5 A.4).  Returns 0, or CS_E_UNSUPPORTED for the deflated ones
 * (1.2.840.10008.1.2.1.99, .4.95, .4.205: the dataset is compressed) and
 * for non-standard UIDs, whose encoding we cannot know; CS_E_INVAL for
 * NULL.
 */
int ds_scan_enc_for_ts(const char *ts_uid, enum ds_enc *enc);

/*
 * Prepares s to scan one dataset in encoding enc, keeping the values of
 * the ntags tags in tags (duplicates allowed, order free).  opts: 0,
 * DS_SCAN_STOP_EARLY or DS_SCAN_DEEP.  Returns 0, or CS_E_INVAL (bad
 * enc, more than DS_SCAN_MAX_TAGS distinct tags, a tag of group FFFE)
 * with detail in err.  May be called again on the same struct to scan
 * another dataset.
 */
int ds_scan_init(struct ds_scan *s, enum ds_enc enc, const uint32_t *tags,
    size_t ntags, unsigned opts, struct cs_err *err);

/*
 * Scans the next n bytes of the dataset.  Returns 0 (give me more),
 * DS_SCAN_DONE (DS_SCAN_STOP_EARLY only: nothing left to find, further
 * chunks are ignored), or a negative code, latched so that every later
 * call returns it again, with detail in err:
 *   CS_E_PROTO  malformed element (bad VR, undefined length where not
 *               allowed, an item or delimiter out of place, a requested
 *               tag repeated with another value, an element overrunning
 *               its item);
 *   CS_E_TOOBIG more than DS_WALK_MAX_SEQUENCES undefined-length
 *               sequences nested.
 */
int
ds_scan_feed(struct ds_scan *s, const void *p, size_t n, struct cs_err *err);

/*
 * Bytes that may pass the scanner unseen now (ds_scan_skip): the rest
 * of a value it only counts (one it does not keep, or a long one past
 * the part it keeps), UINT64_MAX once DS_SCAN_STOP_EARLY has nothing
 * left to find, else 0 (a header, or a value it keeps, comes next).
 */
uint64_t ds_scan_skippable(const struct ds_scan *s);
/*
 * The next n bytes of the dataset (1 to ds_scan_skippable) went by
 * unseen.  Returns as ds_scan_feed; CS_E_INVAL with nothing done (and
 * not latched) when they may not.
 */
int ds_scan_skip(struct ds_scan *s, uint64_t n, struct cs_err *err);

/*
 * Tells the scanner that the dataset has ended.  Returns 0 if it ended
 * between two top-level elements (or the scan had stopped early),
 * CS_E_TRUNCATED if it ended inside an element or an open sequence, or
 * the latched error.  Detail in err.
 */
int ds_scan_finish(struct ds_scan *s, struct cs_err *err);

/* True once DS_SCAN_STOP_EARLY has found everything it can. */
bool ds_scan_done(const struct ds_scan *s);

/* Number of dataset bytes consumed so far (stops growing when done). */
uint64_t ds_scan_offset(const struct ds_scan *s);

/*
 * Returns the captured value of tag with leading spaces and trailing
 * spaces and NULs removed (PS3.5 6.2 padding), NUL-terminated, or NULL
 * if tag was not requested or did not occur (yet).  *lenp (if not NULL)
 * gets its length, which counts any embedded NUL; *flagsp (if not NULL)
 * gets DS_SCAN_F_* (0 when NULL is returned).  A DS_SCAN_F_TOOLONG value
 * is only a prefix: fine for a file name, never for a comparison.
 */
const char *ds_scan_value(
    const struct ds_scan *s, uint32_t tag, size_t *lenp, unsigned *flagsp);

/*
 * After a failure: the top-level element it was found in (the sequence
 * or encapsulated Pixel Data around a nested item or element), or 0
 * when none is known (a header cut short, no failure).
 */
uint32_t ds_scan_error_tag(const struct ds_scan *s);

/*
 * The items of the top level's encapsulated Pixel Data (7FE0,0010) read
 * so far, its Basic Offset Table (the first) included; the first's
 * length in *bot_len (0 when there is none).  0 without such Pixel Data.
 */
uint32_t ds_scan_px_items(const struct ds_scan *s, uint32_t *bot_len);

/*
 * For binary values (US, UL) and lengths: if tag occurred at the top
 * level and its value has been read, sets *vlen to its length as
 * encoded (DS_LEN_UNDEFINED for undefined length) and raw[0..3] to its
 * first bytes before any trimming (zeros past the value), and returns
 * true; else false.
 */
bool ds_scan_raw(
    const struct ds_scan *s, uint32_t tag, uint32_t *vlen, uint8_t raw[4]);

/*
 * True if tag occurred with a value (trimmed as above) exactly equal to
 * the string str: same length, no embedded NUL, not too long.  For the
 * check that the dataset's SOP Class/Instance UIDs match the command.
 */
bool ds_scan_equals(const struct ds_scan *s, uint32_t tag, const char *str);

#endif
