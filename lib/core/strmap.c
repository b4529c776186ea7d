/* strmap.c - string-keyed open-addressing hash map (see strmap.h). */
#include <stdint.h>
#include <string.h>

#include "cstore/cstore.h"
#include "core/alloc.h"
#include "core/strmap.h"

#include "core/banned.h"

/*
 * Keys live in chunks that never move, so slots can point at them and a
 * rehash copies only the slot array (a million paths: one 16 MB slot
 * array, ~1/64 KB chunk per 64 KB of keys).
 */
#define CHUNK_MIN 65536

struct strmap_chunk {
	struct strmap_chunk *next;
	size_t used, cap;
	char data[];
};

void
strmap_init(struct strmap *m)
{
	memset(m, 0, sizeof(*m));
}

void
strmap_release(struct strmap *m)
{
	struct strmap_chunk *c, *next;

	for (c = m->chunks; c != NULL; c = next) {
		next = c->next;
		cs_free(c);
	}
	cs_free(m->slot);
	memset(m, 0, sizeof(*m));
}

uint64_t
strmap_hash(const char *p, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)p[i];
		h *= 0x100000001b3ULL;
	}
	/* FNV's low bits mix poorly for short keys; fold the high half in. */
	return h ^ (h >> 32);
}

static size_t
find_slot(const struct strmap_slot *slot, size_t cap, uint64_t h,
    const char *key, size_t len)
{
	size_t i = (size_t)h & (cap - 1);

	/* strncmp stops at the stored key's NUL: no read past a short key */
	while (slot[i].key != NULL &&
	    !(slot[i].hash == h && strncmp(slot[i].key, key, len) == 0 &&
		slot[i].key[len] == '\0'))
		i = (i + 1) & (cap - 1);
	return i;
}

int
strmap_get(const struct strmap *m, const char *key, size_t len, size_t *value)
{
	size_t i;

	if (m->cap == 0)
		return 0;
	i = find_slot(m->slot, m->cap, strmap_hash(key, len), key, len);
	if (m->slot[i].key == NULL)
		return 0;
	if (value != NULL)
		*value = m->slot[i].value;
	return 1;
}

static int
grow(struct strmap *m)
{
	size_t ncap = m->cap ? m->cap * 2 : 64, i, j;
	struct strmap_slot *ns;

	if (ncap > SIZE_MAX / sizeof(*ns))
		return CS_E_NOMEM;
	ns = cs_calloc(ncap, sizeof(*ns));
	if (ns == NULL)
		return CS_E_NOMEM;
	for (i = 0; i < m->cap; i++) {
		if (m->slot[i].key == NULL)
			continue;
		j = (size_t)m->slot[i].hash & (ncap - 1);
		while (
		    ns[j].key != NULL) /* keys are distinct: first free slot */
			j = (j + 1) & (ncap - 1);
		ns[j] = m->slot[i];
	}
	cs_free(m->slot);
	m->slot = ns;
	m->cap = ncap;
	return 0;
}

static const char *
copy_key(struct strmap *m, const char *key, size_t len)
{
	struct strmap_chunk *c = m->chunks;
	char *p;

	if (c == NULL || c->cap - c->used < len + 1) {
		size_t cap = len + 1 > CHUNK_MIN ? len + 1 : CHUNK_MIN;

		if (len >= SIZE_MAX - sizeof(*c) - 1)
			return NULL;
		c = cs_malloc(sizeof(*c) + cap);
		if (c == NULL)
			return NULL;
		c->used = 0;
		c->cap = cap;
		c->next = m->chunks;
		m->chunks = c;
	}
	p = c->data + c->used;
	memcpy(p, key, len);
	p[len] = '\0';
	c->used += len + 1;
	return p;
}

int
strmap_put(struct strmap *m, const char *key, size_t len, size_t *value)
{
	uint64_t h = strmap_hash(key, len);
	const char *k;
	size_t i;
	int rc;

	if (m->cap != 0) {
		i = find_slot(m->slot, m->cap, h, key, len);
		if (m->slot[i].key != NULL) {
			if (value != NULL)
				*value = m->slot[i].value;
			return 0;
		}
	}
	/* keep the load at most 3/4 so probe runs stay short */
	if ((m->count + 1) * 4 > m->cap * 3 && (rc = grow(m)) < 0)
		return rc;
	k = copy_key(m, key, len);
	if (k == NULL)
		return CS_E_NOMEM;
	i = find_slot(m->slot, m->cap, h, key, len);
	m->slot[i].hash = h;
	m->slot[i].key = k;
	m->slot[i].value = value != NULL ? *value : 0;
	m->count++;
	return 1;
}
