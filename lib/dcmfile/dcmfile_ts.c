/*
 * dcmfile_ts.c - which conversions dcmfile_transcode may do
 * (dcmfile_can_transcode), from the transfer syntax table (core/ts.h).
 * Plain C, so that planning a send never loads the GDCM module
 * (dcmfile_load.c).
 */
#include <string.h>

#include "dcmfile/dcmfile.h"
#include "core/ts.h"
#include "core/banned.h"

int
dcmfile_can_transcode(const char *from_ts, const char *to_ts, int allow_lossy)
{
	const struct ts_entry *from = ts_find(from_ts), *to = ts_find(to_ts);

	if (from_ts != NULL && to_ts != NULL && strcmp(from_ts, to_ts) == 0)
		return 1;
	if (from == NULL || to == NULL || from->codec == TS_CODEC_NONE ||
	    !(to->flags & TS_F_WRITE))
		return 0;
	return !(to->flags & TS_F_LOSSY) || allow_lossy ? 1 : 0;
}
