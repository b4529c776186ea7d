/*
 * buf.h - bounded cursors for every protocol byte we read or write.
 *
 * A reader never reads past its end: a short read latches rd->err and
 * returns zeros (or NULL), so decoders check once at the end instead of
 * subtracting lengths by hand.  A writer grows up to its max and latches
 * wr->err when an append would pass it or memory runs out.
 */
#ifndef CS_CORE_BUF_H
#define CS_CORE_BUF_H

#include <stddef.h>
#include <stdint.h>

struct rd {
	const uint8_t *p;
	size_t len;
	size_t pos;
	int err; /* 0, or CS_E_TRUNCATED once a read went past the end */
};

void rd_init(struct rd *r, const void *p, size_t len);
size_t rd_left(const struct rd *r);
uint8_t rd_u8(struct rd *r);
uint16_t rd_be16(struct rd *r);
uint32_t rd_be32(struct rd *r);
uint16_t rd_le16(struct rd *r);
uint32_t rd_le32(struct rd *r);
/* Returns a pointer to the next n bytes and advances, or NULL (err set). */
const uint8_t *rd_bytes(struct rd *r, size_t n);
void rd_skip(struct rd *r, size_t n);
/*
 * Splits off the next n bytes as a reader of their own and advances r
 * past them.  If fewer than n remain, both r and the result latch err.
 */
struct rd rd_sub(struct rd *r, size_t n);

struct wr {
	uint8_t *p;
	size_t len;
	size_t cap;
	size_t max; /* the buffer never grows beyond this */
	int err;    /* 0, CS_E_TOOBIG or CS_E_NOMEM */
};

/* Starts an empty writer that may grow to max bytes. */
void wr_init(struct wr *w, size_t max);
/* Frees the buffer; w may be initialised again. */
void wr_release(struct wr *w);
/* Empties the buffer (keeps the memory) and clears err. */
void wr_reset(struct wr *w);
/* Makes room for n more bytes; returns 0 or the latched error. */
int wr_reserve(struct wr *w, size_t n);
void wr_u8(struct wr *w, uint8_t v);
void wr_be16(struct wr *w, uint16_t v);
void wr_be32(struct wr *w, uint32_t v);
void wr_le16(struct wr *w, uint16_t v);
void wr_le32(struct wr *w, uint32_t v);
void wr_bytes(struct wr *w, const void *p, size_t n);
/* Appends n copies of byte c (padding, reserved fields). */
void wr_fill(struct wr *w, uint8_t c, size_t n);
/* Overwrites bytes at offset at, written earlier (length fields). */
void wr_patch_be16(struct wr *w, size_t at, uint16_t v);
void wr_patch_be32(struct wr *w, size_t at, uint32_t v);
void wr_patch_le32(struct wr *w, size_t at, uint32_t v);
/* Drops the first n bytes, moving the rest to the front. */
void wr_consume(struct wr *w, size_t n);

#endif
