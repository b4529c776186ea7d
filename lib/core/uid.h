/*
 * uid.h - well-known UIDs other than Storage SOP classes (transfer
 * syntaxes, Verification, the application context name...), generated from
 * data/uids.tsv into uid_table.c, and a lookup across both registries.
 * Returned pointers point into static tables (never freed).
 */
#ifndef CS_CORE_UID_H
#define CS_CORE_UID_H

#include <stddef.h>

struct uid_entry {
	const char *uid;
	const char *keyword;
	const char *name;
	const char
	    *type; /* PS3.6 "UID Type": "Transfer Syntax", "SOP Class"... */
	int retired;
};

extern const struct uid_entry uid_table[];
extern const size_t uid_table_len;

/* Type reported for entries of the Storage SOP class registry. */
#define UID_TYPE_STORAGE "Storage SOP Class"

/* Number of entries of uid_table, and the i-th one (NULL past the end). */
size_t uid_count(void);
const struct uid_entry *uid_at(size_t i);

/* The entry of uid_table with this UID / this keyword (any case), or NULL. */
const struct uid_entry *uid_by_uid(const char *uid);
const struct uid_entry *uid_by_keyword(const char *keyword);

/*
 * Looks uid up in both registries (Storage SOP classes first) and fills
 * *out with a view of the entry, type UID_TYPE_STORAGE for a storage
 * class.  Returns 0, or CS_E_NOTFOUND.
 */
int uid_lookup(const char *uid, struct uid_entry *out);

/* Same for a keyword or alias, ignoring case. */
int uid_lookup_keyword(const char *keyword, struct uid_entry *out);

/*
 * Searches uid_table with the rule of sopclass_search (keyword at a
 * capital letter, or every query word starting a word of the name); calls
 * fn for each match and returns how many matched.
 */
size_t uid_search(const char *query,
    void (*fn)(const struct uid_entry *e, void *ctx), void *ctx);

/*
 * 1 when s is a syntactically valid UID (PS3.5 9.1: at most 64
 * characters, digits and dots, no empty component and no leading zero in
 * a component other than "0" itself), else 0.
 */
int uid_is_valid(const char *s);

/* 1 when s is made only of digits and dots (looks like a UID), else 0. */
int uid_looks_like(const char *s);

#endif
