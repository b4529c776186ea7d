/* buf.c - bounded readers and capped writers (see buf.h). */
#include <string.h>

#include "cstore/cstore.h"
#include "alloc.h"
#include "buf.h"

void
rd_init(struct rd *r, const void *p, size_t len)
{
	r->p = p;
	r->len = p != NULL ? len : 0;
	r->pos = 0;
	r->err = 0;
}

size_t
rd_left(const struct rd *r)
{
	return r->err ? 0 : r->len - r->pos;
}

const uint8_t *
rd_bytes(struct rd *r, size_t n)
{
	const uint8_t *at;

	if (r->err || n > r->len - r->pos) {
		r->err = CS_E_TRUNCATED;
		r->pos = r->len;
		return NULL;
	}
	at = r->p + r->pos;
	r->pos += n;
	return at;
}

void
rd_skip(struct rd *r, size_t n)
{
	(void)rd_bytes(r, n);
}

uint8_t
rd_u8(struct rd *r)
{
	const uint8_t *b = rd_bytes(r, 1);

	return b ? b[0] : 0;
}

uint16_t
rd_be16(struct rd *r)
{
	const uint8_t *b = rd_bytes(r, 2);

	return b ? (uint16_t)(b[0] << 8 | b[1]) : 0;
}

uint32_t
rd_be32(struct rd *r)
{
	const uint8_t *b = rd_bytes(r, 4);

	return b ? (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
		(uint32_t)b[2] << 8 | b[3]
		 : 0;
}

uint16_t
rd_le16(struct rd *r)
{
	const uint8_t *b = rd_bytes(r, 2);

	return b ? (uint16_t)(b[1] << 8 | b[0]) : 0;
}

uint32_t
rd_le32(struct rd *r)
{
	const uint8_t *b = rd_bytes(r, 4);

	return b ? (uint32_t)b[3] << 24 | (uint32_t)b[2] << 16 |
		(uint32_t)b[1] << 8 | b[0]
		 : 0;
}

struct rd
rd_sub(struct rd *r, size_t n)
{
	struct rd sub;
	const uint8_t *at = rd_bytes(r, n);

	rd_init(&sub, at, at ? n : 0);
	if (at == NULL)
		sub.err = CS_E_TRUNCATED;
	return sub;
}

void
wr_init(struct wr *w, size_t max)
{
	w->p = NULL;
	w->len = 0;
	w->cap = 0;
	w->max = max;
	w->err = 0;
}

void
wr_release(struct wr *w)
{
	cs_free(w->p);
	wr_init(w, w->max);
}

void
wr_reset(struct wr *w)
{
	w->len = 0;
	w->err = 0;
}

int
wr_reserve(struct wr *w, size_t n)
{
	size_t want, cap;
	uint8_t *p;

	if (w->err)
		return w->err;
	if (n > w->max - w->len)
		return w->err = CS_E_TOOBIG;
	want = w->len + n;
	if (want <= w->cap)
		return 0;
	cap = w->cap ? w->cap : 256;
	while (cap < want)
		cap = cap > w->max / 2 ? w->max : cap * 2;
	p = cs_realloc(w->p, cap);
	if (p == NULL)
		return w->err = CS_E_NOMEM;
	w->p = p;
	w->cap = cap;
	return 0;
}

void
wr_bytes(struct wr *w, const void *p, size_t n)
{
	if (n == 0 || wr_reserve(w, n) != 0)
		return;
	memcpy(w->p + w->len, p, n);
	w->len += n;
}

void
wr_fill(struct wr *w, uint8_t c, size_t n)
{
	if (n == 0 || wr_reserve(w, n) != 0)
		return;
	memset(w->p + w->len, c, n);
	w->len += n;
}

void
wr_u8(struct wr *w, uint8_t v)
{
	wr_bytes(w, &v, 1);
}

void
wr_be16(struct wr *w, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	wr_bytes(w, b, 2);
}

void
wr_be32(struct wr *w, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16),
		(uint8_t)(v >> 8), (uint8_t)v };

	wr_bytes(w, b, 4);
}

void
wr_le16(struct wr *w, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)v, (uint8_t)(v >> 8) };

	wr_bytes(w, b, 2);
}

void
wr_le32(struct wr *w, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16),
		(uint8_t)(v >> 24) };

	wr_bytes(w, b, 4);
}

void
wr_patch_be16(struct wr *w, size_t at, uint16_t v)
{
	if (w->err || at + 2 > w->len)
		return;
	w->p[at] = (uint8_t)(v >> 8);
	w->p[at + 1] = (uint8_t)v;
}

void
wr_patch_be32(struct wr *w, size_t at, uint32_t v)
{
	if (w->err || at + 4 > w->len)
		return;
	w->p[at] = (uint8_t)(v >> 24);
	w->p[at + 1] = (uint8_t)(v >> 16);
	w->p[at + 2] = (uint8_t)(v >> 8);
	w->p[at + 3] = (uint8_t)v;
}

void
wr_patch_le32(struct wr *w, size_t at, uint32_t v)
{
	if (w->err || at + 4 > w->len)
		return;
	w->p[at] = (uint8_t)v;
	w->p[at + 1] = (uint8_t)(v >> 8);
	w->p[at + 2] = (uint8_t)(v >> 16);
	w->p[at + 3] = (uint8_t)(v >> 24);
}

void
wr_consume(struct wr *w, size_t n)
{
	if (n >= w->len) {
		w->len = 0;
		return;
	}
	memmove(w->p, w->p + n, w->len - n);
	w->len -= n;
}
