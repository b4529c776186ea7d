/* uid.c - well-known UIDs and lookups across both registries (uid.h). */
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "cstore/cstore.h"
#include "core/rows.h"
#include "core/sopclass.h"
#include "core/uid.h"
#include "core/banned.h"

size_t
uid_count(void)
{
	return uid_table_len;
}

const struct uid_entry *
uid_at(size_t i)
{
	return i < uid_table_len ? &uid_table[i] : NULL;
}

const struct uid_entry *
uid_by_uid(const char *uid)
{
	return rows_find(uid_table, uid_table_len, sizeof(uid_table[0]),
	    offsetof(struct uid_entry, uid), uid, strcmp);
}

const struct uid_entry *
uid_by_keyword(const char *keyword)
{
	if (keyword == NULL || *keyword == '\0')
		return NULL;
	return rows_find(uid_table, uid_table_len, sizeof(uid_table[0]),
	    offsetof(struct uid_entry, keyword), keyword, strcasecmp);
}

static void
from_sopclass(const struct sopclass *sc, struct uid_entry *out)
{
	out->uid = sc->uid;
	out->keyword = sc->keyword;
	out->name = sc->name;
	out->type = UID_TYPE_STORAGE;
	out->retired = sc->retired;
}

/* The entry for key: the Storage SOP class sc if there is one, else what
 * find says in the table of other UIDs. */
static int
lookup(const struct sopclass *sc, const struct uid_entry *(*find)(const char *),
    const char *key, struct uid_entry *out)
{
	const struct uid_entry *e;

	if (sc != NULL) {
		from_sopclass(sc, out);
		return 0;
	}
	if ((e = find(key)) == NULL)
		return CS_E_NOTFOUND;
	*out = *e;
	return 0;
}

int
uid_lookup(const char *uid, struct uid_entry *out)
{
	return lookup(sopclass_by_uid(uid), uid_by_uid, uid, out);
}

int
uid_lookup_keyword(const char *keyword, struct uid_entry *out)
{
	return lookup(
	    sopclass_by_keyword(keyword), uid_by_keyword, keyword, out);
}

int
uid_looks_like(const char *s)
{
	if (s == NULL || *s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (!((*s >= '0' && *s <= '9') || *s == '.'))
			return 0;
	return 1;
}

int
uid_is_valid(const char *s)
{
	size_t len;
	const char *p;

	if (!uid_looks_like(s))
		return 0;
	len = strlen(s);
	if (len > 64 || s[0] == '.' || s[len - 1] == '.')
		return 0;
	for (p = s; *p != '\0'; p++) {
		int starts = p == s || p[-1] == '.';

		if (*p == '.' && p[1] == '.')
			return 0;
		/* a component is "0" or starts with a non-zero digit */
		if (starts && *p == '0' && p[1] != '.' && p[1] != '\0')
			return 0;
	}
	return 1;
}

size_t
uid_search(const char *query, void (*fn)(const struct uid_entry *e, void *ctx),
    void *ctx)
{
	size_t i, found = 0;

	for (i = 0; i < uid_table_len; i++) {
		if (!sopclass_text_match(
			query, uid_table[i].keyword, NULL, uid_table[i].name))
			continue;
		found++;
		if (fn != NULL)
			fn(&uid_table[i], ctx);
	}
	return found;
}
