/*
 * strmap.h - a string-keyed hash map with O(1) expected lookup, used by
 * the input planner (distinct SOP classes and transfer syntaxes) and the
 * resume log (paths already stored).  Used by lib/storescu and lib/cli.
 *
 * Ownership: keys are copied into chunks owned by the map; a key pointer
 * returned by strmap_put stays valid until strmap_release (chunks never
 * move).  Values are plain size_t chosen by the caller.
 *
 * Open addressing with linear probing, load factor at most 3/4, 64-bit
 * FNV-1a hashes cached per slot so that most probes never touch the key
 * (24 bytes a slot: a million keys take 48 MB of slots at worst).
 * Keys must not contain NUL bytes.
 */
#ifndef CS_CORE_STRMAP_H
#define CS_CORE_STRMAP_H

#include <stddef.h>
#include <stdint.h>

struct strmap_slot {
	uint64_t hash;
	const char *key; /* NUL-terminated; NULL: empty slot */
	size_t value;
};

struct strmap_chunk;

struct strmap {
	struct strmap_slot *slot;
	size_t cap;   /* slots, a power of two, or 0 before the first put */
	size_t count; /* keys stored */
	struct strmap_chunk *chunks;
};

/* The map's hash of the len bytes at p (FNV-1a, high half folded in). */
uint64_t strmap_hash(const char *p, size_t len);
/* Starts an empty map (allocates nothing). */
void strmap_init(struct strmap *m);
/* Frees everything; m may be initialised again. */
void strmap_release(struct strmap *m);
/*
 * Looks key (len bytes, need not be NUL-terminated) up.  Returns 1 and
 * sets *value when present, else 0.  value may be NULL.
 */
int
strmap_get(const struct strmap *m, const char *key, size_t len, size_t *value);
/*
 * Inserts key with value unless it is present.  Returns 1 when inserted,
 * 0 when it was already there (*value then receives the existing value,
 * when value is not NULL, and nothing changes), or CS_E_NOMEM.
 */
int strmap_put(struct strmap *m, const char *key, size_t len, size_t *value);

#endif
