/*
 * sopclass.h - the registry of Storage SOP classes (PS3.4 Table B.5-1,
 * PS3.6 Table A-1), generated from data/sopclasses.tsv into
 * sopclass_table.c.  Every pointer returned points into that static table:
 * never freed, valid for the life of the program.
 */
#ifndef CS_CORE_SOPCLASS_H
#define CS_CORE_SOPCLASS_H

#include <stddef.h>

struct sopclass {
	const char *uid;
	const char *keyword; /* PS3.6 keyword, e.g. "CTImageStorage" */
	const char *name;    /* PS3.6 name, without "(Retired)" */
	const char *annex;   /* PS3.3 IOD annex ("A.3"), "" when not recorded */
	int retired;         /* 1 when PS3.6 marks the class retired */
	const char
	    *aliases; /* other names that resolve, comma-separated, or "" */
};

extern const struct sopclass sopclass_table[];
extern const size_t sopclass_table_len;

/* Number of entries, and the i-th one (NULL when i is out of range). */
size_t sopclass_count(void);
const struct sopclass *sopclass_at(size_t i);

/* The entry with exactly this UID, or NULL. */
const struct sopclass *sopclass_by_uid(const char *uid);

/*
 * The entry whose keyword or one of whose aliases equals name, ignoring
 * case, or NULL.  Aliases are other projects' names for a class (e.g.
 * pynetdicom's "KeyObjectSelectionStorage").
 */
const struct sopclass *sopclass_by_keyword(const char *name);

/*
 * The entry whose PS3.6 name is name, ignoring ASCII case ("CT Image
 * Storage"): where a current class and a retired one share a name
 * ("Ultrasound Image Storage") the current one; "NAME (Retired)", as the
 * tools print a retired class's name, the retired one.  Or NULL.
 */
const struct sopclass *sopclass_by_name(const char *name);

/*
 * How q names an entry called name: 2 the name itself (ignoring ASCII
 * case), 1 the name with " (Retired)" after it, 0 not; the rule of
 * sopclass_by_name, shared with the UID registry's queries (lib/cli).
 */
int sopclass_name_match(const char *q, const char *name);

/*
 * Where name is exactly the PS3.6 name a current class shares with a
 * retired one ("Ultrasound Image Storage", any case, without
 * " (Retired)"), the retired one; else NULL.
 */
const struct sopclass *sopclass_retired_namesake(const char *name);

/*
 * Case-insensitive search.  The query is split into words at spaces; an
 * entry matches when every word starts a word of its name (words are
 * separated by anything but letters and digits: "enhanced mr"), a
 * modality abbreviation standing for the words it abbreviates ("us"
 * for "ultrasound", "pet", "nm", "xa", "cr", "dx", "mg"...), or when
 * the query without spaces occurs in its keyword or an alias at a capital
 * letter or digit ("ct" finds CTImageStorage and EnhancedCTImageStorage,
 * not KeyObjectSelection...).  Calls fn for each match in table order and
 * returns the number of matches; fn may be NULL to count only.
 */
size_t sopclass_search(const char *query,
    void (*fn)(const struct sopclass *sc, void *ctx), void *ctx);

/*
 * The matching rule of sopclass_search for one entry of any registry:
 * 1 when query matches keyword, one of the comma-separated aliases (may
 * be NULL) or name, else 0.
 */
int sopclass_text_match(const char *query, const char *keyword,
    const char *aliases, const char *name);

/*
 * Near misses for a query that matched nothing: entries whose UID (for a
 * query made of digits and dots) or keyword/alias (otherwise, ignoring
 * case) is within edit distance max_dist of the query.  Fills out with up
 * to max entries, closest first; returns how many.
 */
size_t sopclass_suggest(const char *query, unsigned max_dist,
    const struct sopclass **out, size_t max);

/* Levenshtein distance between a and b, ignoring ASCII case when nocase,
 * or a value greater than cap as soon as it exceeds cap (cap <= 64). */
unsigned
sopclass_edit_distance(const char *a, const char *b, int nocase, unsigned cap);

#endif
