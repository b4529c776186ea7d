/* ts.c - lookups in the transfer syntax table (ts.h). */
#include <stddef.h>
#include <string.h>

#include "core/rows.h"
#include "core/ts.h"
#include "core/banned.h"

const struct ts_entry *
ts_find(const char *uid)
{
	return rows_find(ts_table, ts_table_len, sizeof(ts_table[0]),
	    offsetof(struct ts_entry, uid), uid, strcmp);
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
