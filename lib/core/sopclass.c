/* sopclass.c - lookups over the Storage SOP class registry (sopclass.h). */
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "core/rows.h"
#include "core/sopclass.h"
#include "core/uid.h"
#include "core/banned.h"

size_t
sopclass_count(void)
{
	return sopclass_table_len;
}

const struct sopclass *
sopclass_at(size_t i)
{
	return i < sopclass_table_len ? &sopclass_table[i] : NULL;
}

const struct sopclass *
sopclass_by_uid(const char *uid)
{
	return rows_find(sopclass_table, sopclass_table_len,
	    sizeof(sopclass_table[0]), offsetof(struct sopclass, uid), uid,
	    strcmp);
}

/* 1 when the comma-separated list has an item equal to name (any case). */
static int
list_has(const char *list, const char *name)
{
	size_t n = strlen(name);
	const char *p = list, *e;

	while (*p != '\0') {
		e = strchr(p, ',');
		if (e == NULL)
			e = p + strlen(p);
		if ((size_t)(e - p) == n && strncasecmp(p, name, n) == 0)
			return 1;
		p = *e == ',' ? e + 1 : e;
	}
	return 0;
}

const struct sopclass *
sopclass_by_keyword(const char *name)
{
	const struct sopclass *sc;
	size_t i;

	if (name == NULL || *name == '\0')
		return NULL;
	sc = rows_find(sopclass_table, sopclass_table_len,
	    sizeof(sopclass_table[0]), offsetof(struct sopclass, keyword), name,
	    strcasecmp);
	if (sc != NULL)
		return sc;
	for (i = 0; i < sopclass_table_len; i++)
		if (list_has(sopclass_table[i].aliases, name))
			return &sopclass_table[i];
	return NULL;
}

int
sopclass_name_match(const char *q, const char *name)
{
	static const char tag[] = " (Retired)";
	size_t n = strlen(name);

	if (strncasecmp(q, name, n) != 0)
		return 0;
	if (q[n] == '\0')
		return 2;
	return strcasecmp(q + n, tag) == 0 ? 1 : 0;
}

const struct sopclass *
sopclass_by_name(const char *name)
{
	const struct sopclass *old = NULL;
	size_t i;
	int m;

	if (name == NULL)
		return NULL;
	for (i = 0; i < sopclass_table_len; i++) {
		const struct sopclass *sc = &sopclass_table[i];

		m = sopclass_name_match(name, sc->name);
		if (m == 2 && !sc->retired)
			return sc;
		if (m != 0 && sc->retired && old == NULL)
			old = sc;
	}
	return old;
}

const struct sopclass *
sopclass_retired_namesake(const char *name)
{
	const struct sopclass *sc = sopclass_by_name(name);
	size_t i;

	if (sc == NULL || sc->retired)
		return NULL;
	for (i = 0; i < sopclass_table_len; i++)
		if (sopclass_table[i].retired &&
		    sopclass_name_match(name, sopclass_table[i].name) == 2)
			return &sopclass_table[i];
	return NULL;
}

static int
is_alnum(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z');
}

static char
lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* 1 when word (length n) starts a word of text, ignoring case. */
static int
starts_a_word(const char *text, const char *word, size_t n)
{
	const char *p;

	for (p = text; *p != '\0'; p++) {
		if (!is_alnum(*p) || (p > text && is_alnum(p[-1])))
			continue;
		if (strncasecmp(p, word, n) == 0)
			return 1;
	}
	return 0;
}

/*
 * Abbreviations for the words some names spell out: Modality codes (PS3.3
 * C.7.3.1.1.1: CR, DX, EEG, EMG, EOG, IO, MG, NM, OCT, PT, RF, US, XA) and
 * those other names use (SC, PET, XRF: "Enhanced PET", "Enhanced XRF"),
 * so that "us" finds Ultrasound Image Storage as it finds Enhanced US
 * Volume Storage.
 */
static const struct {
	const char *abbrev, *words;
} abbrevs[] = {
	{ "cr", "computed radiography" },
	{ "dx", "digital x-ray" },
	{ "eeg", "electroencephalogram" },
	{ "emg", "electromyogram" },
	{ "eog", "electrooculogram" },
	{ "io", "intra-oral" },
	{ "mg", "mammography" },
	{ "nm", "nuclear medicine" },
	{ "oct", "optical coherence tomography" },
	{ "pet", "positron emission tomography" },
	{ "pt", "positron emission tomography" },
	{ "pt", "pet" },
	{ "rf", "radiofluoroscopic" },
	{ "sc", "secondary capture" },
	{ "us", "ultrasound" },
	{ "xa", "x-ray angiographic" },
	{ "xrf", "x-ray radiofluoroscopic" },
};

/* 1 when word (length n) is an abbreviation whose words are in text. */
static int
abbrev_in(const char *text, const char *word, size_t n)
{
	for (size_t i = 0; i < sizeof(abbrevs) / sizeof(abbrevs[0]); i++)
		if (strlen(abbrevs[i].abbrev) == n &&
		    strncasecmp(abbrevs[i].abbrev, word, n) == 0 &&
		    starts_a_word(
			text, abbrevs[i].words, strlen(abbrevs[i].words)))
			return 1;
	return 0;
}

/*
 * 1 when q (length n, no spaces, lower case) occurs in the CamelCase
 * identifier id at a capital letter or a digit that starts a run of them.
 */
static int
in_camel(const char *id, const char *q, size_t n, size_t idlen)
{
	size_t i, j;

	for (i = 0; i + n <= idlen; i++) {
		char c = id[i];
		int boundary = i == 0 || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9' &&
			!(id[i - 1] >= '0' && id[i - 1] <= '9'));
		if (!boundary)
			continue;
		for (j = 0; j < n && lower(id[i + j]) == q[j]; j++)
			;
		if (j == n)
			return 1;
	}
	return 0;
}

/* The same over a comma-separated alias list. */
static int
in_camel_list(const char *list, const char *q, size_t n)
{
	const char *p = list, *e;

	while (*p != '\0') {
		e = strchr(p, ',');
		if (e == NULL)
			e = p + strlen(p);
		if (in_camel(p, q, n, (size_t)(e - p)))
			return 1;
		p = *e == ',' ? e + 1 : e;
	}
	return 0;
}

#define QUERY_MAX 256

int
sopclass_text_match(const char *query, const char *keyword, const char *aliases,
    const char *name)
{
	char squashed[QUERY_MAX];
	const char *p, *w;
	size_t n = 0;
	int any = 0;

	if (query == NULL)
		return 0;
	/* The query without spaces, lower case, for the keyword match. */
	for (p = query; *p != '\0'; p++) {
		if (*p == ' ' || *p == '\t')
			continue;
		if (n + 1 >= sizeof(squashed))
			return 0; /* longer than any keyword: cannot match */
		squashed[n++] = lower(*p);
	}
	squashed[n] = '\0';
	if (n == 0)
		return 0;
	if (in_camel(keyword, squashed, n, strlen(keyword)) ||
	    (aliases != NULL && in_camel_list(aliases, squashed, n)))
		return 1;
	for (p = query; *p != '\0';) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			break;
		w = p;
		while (*p != '\0' && *p != ' ' && *p != '\t')
			p++;
		any = 1;
		if (!starts_a_word(name, w, (size_t)(p - w)) &&
		    !abbrev_in(name, w, (size_t)(p - w)))
			return 0;
	}
	return any;
}

size_t
sopclass_search(const char *query,
    void (*fn)(const struct sopclass *sc, void *ctx), void *ctx)
{
	size_t i, found = 0;

	for (i = 0; i < sopclass_table_len; i++) {
		const struct sopclass *sc = &sopclass_table[i];

		if (!sopclass_text_match(
			query, sc->keyword, sc->aliases, sc->name))
			continue;
		found++;
		if (fn != NULL)
			fn(sc, ctx);
	}
	return found;
}

unsigned
sopclass_edit_distance(const char *a, const char *b, int nocase, unsigned cap)
{
	/* Two rows of the Wagner-Fischer matrix; strings longer than the row
	 * are compared only up to it, which cannot lower the distance below
	 * the length difference checked first. */
	unsigned prev[QUERY_MAX + 1], cur[QUERY_MAX + 1];
	size_t la = strlen(a), lb = strlen(b), i, j;
	unsigned best;

	if (cap > 64)
		cap = 64;
	if (la > QUERY_MAX || lb > QUERY_MAX)
		return cap + 1;
	if ((la > lb ? la - lb : lb - la) > cap)
		return cap + 1;
	for (j = 0; j <= lb; j++)
		prev[j] = (unsigned)j;
	for (i = 1; i <= la; i++) {
		cur[0] = (unsigned)i;
		best = cur[0];
		for (j = 1; j <= lb; j++) {
			char ca = nocase ? lower(a[i - 1]) : a[i - 1];
			char cb = nocase ? lower(b[j - 1]) : b[j - 1];
			unsigned v = prev[j - 1] + (ca != cb);

			if (prev[j] + 1 < v)
				v = prev[j] + 1;
			if (cur[j - 1] + 1 < v)
				v = cur[j - 1] + 1;
			cur[j] = v;
			if (v < best)
				best = v;
		}
		if (best > cap)
			return cap + 1;
		memcpy(prev, cur, (lb + 1) * sizeof(prev[0]));
	}
	return prev[lb] > cap ? cap + 1 : prev[lb];
}

/* Distance from the query to the entry's UID or nearest keyword/alias. */
static unsigned
distance_to(const struct sopclass *sc, const char *q, int as_uid, unsigned cap)
{
	char alias[QUERY_MAX];
	const char *p, *e;
	unsigned d, best;

	if (as_uid)
		return sopclass_edit_distance(q, sc->uid, 0, cap);
	best = sopclass_edit_distance(q, sc->keyword, 1, cap);
	for (p = sc->aliases; *p != '\0'; p = *e == ',' ? e + 1 : e) {
		e = strchr(p, ',');
		if (e == NULL)
			e = p + strlen(p);
		if ((size_t)(e - p) >= sizeof(alias))
			continue;
		memcpy(alias, p, (size_t)(e - p));
		alias[e - p] = '\0';
		d = sopclass_edit_distance(q, alias, 1, cap);
		if (d < best)
			best = d;
	}
	return best;
}

size_t
sopclass_suggest(const char *query, unsigned max_dist,
    const struct sopclass **out, size_t max)
{
	unsigned dist[16];
	size_t i, k, n = 0;
	int as_uid;

	if (query == NULL || max == 0)
		return 0;
	if (max > sizeof(dist) / sizeof(dist[0]))
		max = sizeof(dist) / sizeof(dist[0]);
	as_uid = uid_looks_like(query);
	for (i = 0; i < sopclass_table_len; i++) {
		const struct sopclass *sc = &sopclass_table[i];
		unsigned d = distance_to(sc, query, as_uid, max_dist);

		if (d > max_dist)
			continue;
		/* insertion into the sorted list, closest first */
		for (k = n; k > 0 && dist[k - 1] > d; k--) {
			if (k < max) {
				dist[k] = dist[k - 1];
				out[k] = out[k - 1];
			}
		}
		if (k < max) {
			dist[k] = d;
			out[k] = sc;
			if (n < max)
				n++;
		}
	}
	return n;
}
