/* ts.c - lookups in the transfer syntax table (ts.h). */
#include <string.h>

#include "core/ts.h"
#include "core/banned.h"

const struct ts_entry *
ts_find(const char *uid)
{
	size_t i;

	if (uid == NULL)
		return NULL;
	for (i = 0; i < ts_table_len; i++)
		if (strcmp(ts_table[i].uid, uid) == 0)
			return &ts_table[i];
	return NULL;
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
