/*
 * gencorpus - the benchmark's synthetic corpus: N Part 10 files, Explicit
 * VR Little Endian, 16-bit MONOCHROME2 pixel data of pseudo-random values
 * (so that nothing compresses or deduplicates), each with its own UIDs.
 *   gencorpus DIR N ROWS COLS FRAMES SEED
 * FRAMES 1: Secondary Capture Image Storage; more: Multi-frame Grayscale
 * Word Secondary Capture.  Files DIR/000001.dcm...  Reproducible for a
 * given SEED.  Exit 0, 1 on error, 2 on usage.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TS_EVRLE "1.2.840.10008.1.2.1"
#define SC "1.2.840.10008.5.1.4.1.1.7"
#define MFSC "1.2.840.10008.5.1.4.1.1.7.3"
#define ROOT "2.25.32980073569858662929564"

struct out {
	unsigned char b[4096];
	size_t n;
};

static void
put(struct out *o, const void *p, size_t n)
{
	if (o->n + n > sizeof o->b) {
		fprintf(stderr, "gencorpus: header too long\n");
		exit(1);
	}
	memcpy(o->b + o->n, p, n);
	o->n += n;
}

static void
u16(struct out *o, unsigned v)
{
	unsigned char b[2] = { (unsigned char)v, (unsigned char)(v >> 8) };
	put(o, b, 2);
}

static void
u32(struct out *o, uint32_t v)
{
	u16(o, v & 0xffff);
	u16(o, v >> 16);
}

/* One element, explicit VR; strings padded to even length (UI with NUL). */
static void
el(struct out *o, unsigned g, unsigned e, const char *vr, const void *val, size_t n)
{
	int pad = n % 2;
	int longvr = !strcmp(vr, "OB") || !strcmp(vr, "OW");

	u16(o, g);
	u16(o, e);
	put(o, vr, 2);
	if (longvr) {
		u16(o, 0);
		u32(o, (uint32_t)(n + pad));
	} else
		u16(o, (unsigned)(n + pad));
	put(o, val, n);
	if (pad)
		put(o, strcmp(vr, "UI") == 0 || strcmp(vr, "OB") == 0 ? "\0" : " ", 1);
}

static void
str(struct out *o, unsigned g, unsigned e, const char *vr, const char *s)
{
	el(o, g, e, vr, s, strlen(s));
}

static void
us(struct out *o, unsigned g, unsigned e, unsigned v)
{
	unsigned char b[2] = { (unsigned char)v, (unsigned char)(v >> 8) };
	el(o, g, e, "US", b, 2);
}

int
main(int argc, char **argv)
{
	static unsigned char px[1 << 20];
	unsigned long n, rows, cols, frames, seed;
	uint64_t x;

	if (argc != 7) {
		fprintf(stderr, "usage: gencorpus DIR N ROWS COLS FRAMES SEED\n");
		return 2;
	}
	n = strtoul(argv[2], NULL, 10);
	rows = strtoul(argv[3], NULL, 10);
	cols = strtoul(argv[4], NULL, 10);
	frames = strtoul(argv[5], NULL, 10);
	seed = strtoul(argv[6], NULL, 10);
	if (rows == 0 || cols == 0 || frames == 0 || rows > 65535 || cols > 65535 ||
	    seed > 99) {
		fprintf(stderr, "gencorpus: bad sizes\n");
		return 2;
	}
	x = 0x2545F4914F6CDD1DULL ^ (seed * 0x9E3779B97F4A7C15ULL);
	for (unsigned long i = 1; i <= n; i++) {
		struct out meta = { .n = 0 }, head = { .n = 0 }, ds = { .n = 0 };
		const char *cls = frames > 1 ? MFSC : SC;
		char inst[65], study[65], series[65], path[4096], num[32];
		uint64_t left = (uint64_t)rows * cols * frames * 2;
		FILE *f;

		snprintf(inst, sizeof inst, ROOT "%02lu%07lu", seed, i);
		snprintf(study, sizeof study, ROOT "%02lu0000001", seed + 100);
		snprintf(series, sizeof series, ROOT "%02lu0000002", seed + 100);
		el(&meta, 2, 1, "OB", "\0\1", 2);
		str(&meta, 2, 2, "UI", cls);
		str(&meta, 2, 3, "UI", inst);
		str(&meta, 2, 0x10, "UI", TS_EVRLE);
		str(&meta, 2, 0x12, "UI", ROOT "1");
		str(&meta, 2, 0x13, "SH", "CSTORE_BENCH");
		memset(head.b, 0, 128);
		head.n = 128;
		put(&head, "DICM", 4);
		{
			uint32_t ml = (uint32_t)meta.n;
			unsigned char b[4] = { (unsigned char)ml, (unsigned char)(ml >> 8),
				(unsigned char)(ml >> 16), (unsigned char)(ml >> 24) };
			el(&head, 2, 0, "UL", b, 4);
		}
		put(&head, meta.b, meta.n);
		str(&ds, 8, 0x16, "UI", cls);
		str(&ds, 8, 0x18, "UI", inst);
		str(&ds, 8, 0x20, "DA", "20260101");
		str(&ds, 8, 0x60, "CS", "OT");
		str(&ds, 8, 0x64, "CS", "WSD");
		str(&ds, 0x10, 0x10, "PN", "BENCH^OBJECT");
		str(&ds, 0x10, 0x20, "LO", "BENCH1");
		str(&ds, 0x20, 0xd, "UI", study);
		str(&ds, 0x20, 0xe, "UI", series);
		snprintf(num, sizeof num, "%lu", i);
		str(&ds, 0x20, 0x13, "IS", num);
		us(&ds, 0x28, 2, 1);
		str(&ds, 0x28, 4, "CS", "MONOCHROME2");
		if (frames > 1) {
			snprintf(num, sizeof num, "%lu", frames);
			str(&ds, 0x28, 8, "IS", num);
		}
		us(&ds, 0x28, 0x10, (unsigned)rows);
		us(&ds, 0x28, 0x11, (unsigned)cols);
		us(&ds, 0x28, 0x100, 16);
		us(&ds, 0x28, 0x101, 16);
		us(&ds, 0x28, 0x102, 15);
		us(&ds, 0x28, 0x103, 0);
		u16(&ds, 0x7fe0);
		u16(&ds, 0x10);
		put(&ds, "OW\0\0", 4);
		u32(&ds, (uint32_t)left);
		snprintf(path, sizeof path, "%s/%06lu.dcm", argv[1], i);
		if ((f = fopen(path, "wb")) == NULL) {
			fprintf(stderr, "gencorpus: '%s': %s\n", path, strerror(errno));
			return 1;
		}
		fwrite(head.b, 1, head.n, f);
		fwrite(ds.b, 1, ds.n, f);
		while (left > 0) {
			size_t k = left < sizeof px ? (size_t)left : sizeof px;
			for (size_t j = 0; j + 8 <= k; j += 8) {
				x ^= x << 13;
				x ^= x >> 7;
				x ^= x << 17;
				memcpy(px + j, &x, 8);
			}
			fwrite(px, 1, k, f);
			left -= k;
		}
		if (fclose(f) != 0) {
			fprintf(stderr, "gencorpus: '%s': %s\n", path, strerror(errno));
			return 1;
		}
	}
	return 0;
}
