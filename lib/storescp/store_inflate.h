/*
 * store_inflate.h - the receiver's look into a Deflated data set (PS3.5
 * A.5): the stream is inflated as it arrives and fed to the top-level
 * scanner, which stops once it has the UIDs (DS_SCAN_STOP_EARLY), so
 * that a stream that does not inflate, or whose UIDs differ from the
 * command's, is refused as any other data set would be.  The head is
 * scanned within STORE_INFLATE_MAX inflated bytes, and the stream is
 * inflated to its end within STORE_INFLATE_TAIL_MAX, so that one cut
 * short is refused too: the work per object stays bounded whatever the
 * compression ratio (a few KB of zeros inflate to a 4 GiB element).
 * The bytes stored are those received, never the inflated ones.
 *
 * Ownership: struct store_inflate is opaque and owned by the caller
 * (store_inflate_new/_free); the scanner and chunks are borrowed for
 * each call.
 */
#ifndef CS_STORESCP_STORE_INFLATE_H
#define CS_STORESCP_STORE_INFLATE_H

#include <stddef.h>
#include <stdint.h>

#include "cstore/cstore.h"
#include "core/ds_scan.h"

struct store_inflate;

/*
 * Inflated bytes looked at, at most: far more than the head up to the
 * UIDs and the layout's tags (groups 0008-0020) takes in real data sets.
 */
#define STORE_INFLATE_MAX (16u << 20)

/*
 * Once the scanner is done, the rest of the stream is inflated (and
 * thrown away) only to see that it ends, up to this many inflated bytes
 * in all: a stream cut short would be a partial data set.  Past it the
 * end is not checked.  Kept low: a peer's few hundred KB of zeros cost
 * ~1.4 ms of inflating per MiB here.
 */
#define STORE_INFLATE_TAIL_MAX (64u << 20)

/* store_inflate_feed: STORE_INFLATE_MAX reached, the scanner not done. */
#define STORE_INFLATE_CAPPED 2

/*
 * A new inflater, or NULL (CS_E_NOMEM in err).  The walk of the whole
 * inflated top level keeps the values of tags (ntags of them, borrowed
 * for the call; 0 for none): the SOP Class and Instance UIDs and dcmrecv
 * --validate's, read once the stream has ended (store_inflate_walk);
 * opts are the walk's ds_scan_init options (DS_SCAN_DEEP for --validate).
 */
struct store_inflate *store_inflate_new(
    const uint32_t *tags, size_t ntags, unsigned opts, struct cs_err *err);

/* Frees zi (NULL-safe). */
void store_inflate_free(struct store_inflate *zi);

/*
 * Inflates the next len received bytes into scan (an Explicit VR LE
 * scanner).  Returns 0 (more wanted; once the scanner is done the rest
 * is inflated, not scanned, up to STORE_INFLATE_TAIL_MAX; bytes after
 * the end of the stream, a pad, are ignored), STORE_INFLATE_CAPPED
 * (STORE_INFLATE_MAX bytes came out before the scanner was done:
 * nothing more is inflated, and every later call says so again), or a
 * negative code with detail in err: CS_E_PROTO for a stream that does
 * not inflate (also after the UIDs), CS_E_NOMEM when zlib runs out of
 * memory, the scanner's code for what it refused.
 */
int store_inflate_feed(struct store_inflate *zi, const uint8_t *p, size_t len,
    struct ds_scan *scan, struct cs_err *err);

/*
 * The data set has ended.  Returns 0 when a cap was reached or the
 * stream ended with its data set on an element boundary, else
 * CS_E_TRUNCATED with detail in err (also when the scanner was done:
 * the data set is cut short after its UIDs).
 */
int store_inflate_finish(
    struct store_inflate *zi, const struct ds_scan *scan, struct cs_err *err);

/*
 * The walk of the whole data set, with the values of the tags given to
 * store_inflate_new, once store_inflate_finish has returned 0 for a
 * stream inflated to its end; NULL when it was not (a cap was reached:
 * the data set was not seen whole).
 */
const struct ds_scan *store_inflate_walk(const struct store_inflate *zi);

/*
 * The walk as far as it went, once store_inflate_finish has returned 0:
 * the whole top level (store_inflate_walk), or, past a cap, its first
 * STORE_INFLATE_TAIL_MAX bytes (of the walk's tags, those whose values
 * ended within them; the SOP Class and Instance UIDs come early).
 */
const struct ds_scan *store_inflate_seen(const struct store_inflate *zi);

/* Bytes inflated so far (never more than STORE_INFLATE_TAIL_MAX). */
uint64_t store_inflate_out(const struct store_inflate *zi);

#endif
