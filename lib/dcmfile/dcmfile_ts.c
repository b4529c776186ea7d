/*
 * dcmfile_ts.c - which transfer syntaxes the GDCM adapter can decode and
 * encode (dcmfile_can_transcode).  Plain C, so that planning a send
 * never loads the GDCM module (dcmfile_load.c).
 */
#include <string.h>

#include "dcmfile/dcmfile.h"
#include "dcmfile/part10.h"
#include "core/banned.h"

enum ts_target { TS_NO_TARGET, TS_LOSSLESS, TS_LOSSY };

struct ts_rule {
	const char *uid;
	int decodable;         /* GDCM reads and decodes it */
	enum ts_target target; /* what writing it means for the pixels */
};

/* PS3.6 Table A-1 / PS3.5 Annex A: the syntaxes the adapter handles. */
static const struct ts_rule ts_rules[] = {
	{ PART10_TS_IVRLE, 1, TS_LOSSLESS },
	{ PART10_TS_EVRLE, 1, TS_LOSSLESS },
	{ PART10_TS_DEFLATED, 1, TS_LOSSLESS },
	{ PART10_TS_EVRBE, 1, TS_LOSSLESS },
	{ "1.2.840.10008.1.2.4.50", 1, TS_LOSSY },     /* JPEG Baseline */
	{ "1.2.840.10008.1.2.4.51", 1, TS_LOSSY },     /* JPEG Extended */
	{ "1.2.840.10008.1.2.4.57", 1, TS_NO_TARGET }, /* JPEG Lossless */
	{ "1.2.840.10008.1.2.4.70", 1, TS_LOSSLESS },  /* JPEG Lossless SV1 */
	{ "1.2.840.10008.1.2.4.80", 1, TS_LOSSLESS },  /* JPEG-LS Lossless */
	{ "1.2.840.10008.1.2.4.81", 1, TS_LOSSY },     /* JPEG-LS Near-Lossless */
	{ "1.2.840.10008.1.2.4.90", 1, TS_LOSSLESS },  /* JPEG 2000 Lossless */
	{ "1.2.840.10008.1.2.4.91", 1, TS_LOSSY },     /* JPEG 2000 */
	{ "1.2.840.10008.1.2.5", 1, TS_LOSSLESS },     /* RLE Lossless */
};

static const struct ts_rule *
find_rule(const char *uid)
{
	size_t i;

	if (uid == NULL)
		return NULL;
	for (i = 0; i < sizeof(ts_rules) / sizeof(ts_rules[0]); i++)
		if (strcmp(ts_rules[i].uid, uid) == 0)
			return &ts_rules[i];
	return NULL;
}

int
dcmfile_can_transcode(const char *from_ts, const char *to_ts, int allow_lossy)
{
	const struct ts_rule *from = find_rule(from_ts), *to = find_rule(to_ts);

	if (from_ts != NULL && to_ts != NULL && strcmp(from_ts, to_ts) == 0)
		return 1;
	if (from == NULL || to == NULL || !from->decodable)
		return 0;
	if (to->target == TS_LOSSLESS)
		return 1;
	return to->target == TS_LOSSY && allow_lossy ? 1 : 0;
}
