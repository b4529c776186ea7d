/*
 * fuzz_ds_scan.c - the streaming dataset scanner on hostile bytes.
 *
 * Input: one control byte, then the dataset.  The control byte picks
 *   bits 0-1  the encoding (0 and 3: Implicit LE, 1: Explicit LE,
 *             2: Explicit BE);
 *   bits 2-3  the split: 0 one chunk of random sizes from a tiny PRNG
 *             seeded by the data, 1 one byte at a time, 2 two halves,
 *             3 chunks of 1..64 bytes;
 *   bit 4     the split scan lets pass unseen what ds_scan_skippable
 *             allows (ds_scan_skip, up to the chunk), as a receiver
 *             splicing a data set's Pixel Data does;
 *   bit 5     DS_SCAN_DEEP (defined-length sequences and items walked);
 *   bit 7     DS_SCAN_STOP_EARLY.
 * Besides "no crash, no overread" (ASan), the target checks that the
 * split never changes the outcome: the chunked scan must end with the
 * same code, message, offset and captured values as a scan of the whole
 * buffer at once.  It aborts on any difference.  A data set that
 * DS_SCAN_DEEP passes must pass without it too (it only refuses more),
 * with the same offset.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cstore/cstore.h"
#include "core/ds_scan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint32_t tags[] = { DS_TAG_SOP_CLASS_UID,
	DS_TAG_SOP_INSTANCE_UID, DS_TAG_STUDY_INSTANCE_UID,
	DS_TAG_SERIES_INSTANCE_UID, DS_TAG_PATIENT_ID, DS_TAG_MODALITY,
	DS_TAG_INSTANCE_NUMBER };
#define NTAGS (sizeof(tags) / sizeof(*tags))

struct outcome {
	int feed_rc, finish_rc;
	uint64_t offset;
	struct cs_err err;
};

static size_t
next_chunk(unsigned mode, uint32_t *rng, size_t left, size_t total)
{
	size_t n;

	switch (mode) {
	case 1:
		n = 1;
		break;
	case 2:
		n = total / 2 > 0 ? total / 2 : 1;
		break;
	case 3:
		*rng = *rng * 1103515245u + 12345u;
		n = 1 + (*rng >> 16) % 64;
		break;
	default:
		*rng = *rng * 1103515245u + 12345u;
		n = (*rng >> 16) % 8 == 0 ? left : 1 + (*rng >> 16) % 4096;
		break;
	}
	return n < left ? n : left;
}

static void
scan(struct ds_scan *s, enum ds_enc enc, unsigned opts, unsigned mode,
    int skip, const uint8_t *p, size_t size, struct outcome *o)
{
	uint32_t rng = (uint32_t)size * 2654435761u;
	size_t i = 0;

	memset(o, 0, sizeof(*o));
	if (ds_scan_init(s, enc, tags, NTAGS, opts, &o->err) != 0)
		abort();
	if (mode == 0xff) {
		o->feed_rc = ds_scan_feed(s, p, size, &o->err);
	} else {
		while (i < size) {
			size_t n = next_chunk(mode, &rng, size - i, size);
			uint64_t k = skip ? ds_scan_skippable(s) : 0;

			if (k > 0) {
				n = k < n ? (size_t)k : n;
				o->feed_rc = ds_scan_skip(s, n, &o->err);
			} else {
				o->feed_rc = ds_scan_feed(s, p + i, n, &o->err);
			}
			i += n;
			if (o->feed_rc != 0)
				break;
		}
	}
	o->finish_rc = ds_scan_finish(s, &o->err);
	o->offset = ds_scan_offset(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ds_scan whole, split, shallow;
	static const enum ds_enc encs[] = { DS_ENC_IVR_LE, DS_ENC_EVR_LE,
		DS_ENC_EVR_BE, DS_ENC_IVR_LE };
	struct outcome a, b;
	enum ds_enc enc;
	unsigned opts, mode;
	int skip;
	size_t i;

	if (size < 1)
		return 0;
	enc = encs[data[0] & 3];
	mode = (data[0] >> 2) & 3;
	opts = (data[0] & 0x80) ? DS_SCAN_STOP_EARLY : 0;
	opts |= (data[0] & 0x20) ? DS_SCAN_DEEP : 0;
	skip = (data[0] & 0x10) != 0;
	data++;
	size--;

	scan(&whole, enc, opts, 0xff, 0, data, size, &a);
	scan(&split, enc, opts, mode, skip, data, size, &b);

	/* a split must never change the outcome */
	if (a.finish_rc != b.finish_rc || a.offset != b.offset ||
	    a.err.code != b.err.code || strcmp(a.err.msg, b.err.msg) != 0)
		abort();
	if (a.feed_rc < 0 && a.finish_rc != a.feed_rc)
		abort();
	/* without early stop, success means every byte was consumed */
	if (a.finish_rc == 0 && !(opts & DS_SCAN_STOP_EARLY) &&
	    a.offset != size)
		abort();
	if (a.offset > size)
		abort();
	if ((opts & DS_SCAN_DEEP) && a.finish_rc == 0) {
		struct outcome c;

		scan(&shallow, enc, opts & ~DS_SCAN_DEEP, 0xff, 0, data, size,
		    &c);
		if (c.finish_rc != 0 || c.offset != a.offset)
			abort();
	}
	for (i = 0; i < NTAGS; i++) {
		size_t la, lb;
		unsigned fa, fb;
		const char *va = ds_scan_value(&whole, tags[i], &la, &fa);
		const char *vb = ds_scan_value(&split, tags[i], &lb, &fb);

		if ((va == NULL) != (vb == NULL) || fa != fb || la != lb)
			abort();
		if (va == NULL)
			continue;
		if (la > DS_SCAN_VALUE_MAX || va[la] != '\0' ||
		    memcmp(va, vb, la) != 0)
			abort();
		/* trimmed: no padding left at either end */
		if (la > 0 && (va[0] == ' ' || va[la - 1] == ' ' ||
		    va[la - 1] == '\0'))
			abort();
		if (ds_scan_equals(&whole, tags[i], va) !=
		    (!(fa & DS_SCAN_F_TOOLONG) && strlen(va) == la))
			abort();
	}
	return 0;
}
