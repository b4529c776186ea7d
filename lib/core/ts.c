/* ts.c - lookups in the transfer syntax table (ts.h). */
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "core/rows.h"
#include "core/ts.h"
#include "core/banned.h"

const struct ts_entry *
ts_find(const char *uid)
{
	return rows_find(ts_table, ts_table_len, sizeof(ts_table[0]),
	    offsetof(struct ts_entry, uid), uid, strcmp);
}

/* 1 when the comma-separated list holds name, in any letter case. */
static int
has_name(const char *list, const char *name)
{
	size_t n = strlen(name);
	const char *p = list, *e;

	for (; *p != '\0'; p = *e == ',' ? e + 1 : e) {
		e = strchr(p, ',');
		if (e == NULL)
			e = p + strlen(p);
		if ((size_t)(e - p) == n && strncasecmp(p, name, n) == 0)
			return 1;
	}
	return 0;
}

const struct ts_entry *
ts_by_name(const char *name)
{
	size_t i;

	if (name == NULL || *name == '\0')
		return NULL;
	for (i = 0; i < ts_table_len; i++)
		if (strcasecmp(ts_table[i].keyword, name) == 0 ||
		    has_name(ts_table[i].aliases, name))
			return &ts_table[i];
	return NULL;
}

int
ts_is_stream(const struct ts_entry *t)
{
	/* PS3.6 keywords MPEG2*, MPEG4*, HEVC*: every video syntax */
	return t != NULL && t->keyword != NULL &&
	    (strncmp(t->keyword, "MPEG", 4) == 0 ||
		strncmp(t->keyword, "HEVC", 4) == 0);
}

int
ts_is_deflated(const char *uid)
{
	const struct ts_entry *t = ts_find(uid);

	return t != NULL && (t->flags & TS_F_DEFLATED);
}

int
ts_is_gdcm(const struct ts_entry *t)
{
	if (t == NULL)
		return 0;
	switch (t->codec) {
	case TS_CODEC_JPEG:
	case TS_CODEC_JPEGLS:
	case TS_CODEC_J2K:
		return 1;
	case TS_CODEC_NONE:
	case TS_CODEC_NATIVE:
	case TS_CODEC_RLE:
		return 0;
	}
	return 0;
}
