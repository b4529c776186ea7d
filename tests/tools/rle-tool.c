/*
 * rle-tool - our RLE codec (lib/dcmfile/rle.h) on DICOM files and raw
 * frames, for the exactness tests against DCMTK (tests/bats/rle.bats).
 *
 *   rle-tool info FILE               rows cols samples bits frames planar
 *   rle-tool pixels [-p PC] FILE OUT native file: its frames' bytes
 *   rle-tool decode [-p PC] FILE OUT RLE file: every frame decoded by us
 *   rle-tool encode FILE OUT         native Explicit VR LE file -> RLE file
 *   rle-tool decode-raw R C S B PC IN OUT    one raw compressed frame
 *   rle-tool encode-raw R C S B PC IN OUT    one raw native frame
 *   rle-tool bench FILE SECONDS      decode speed of an RLE file's frames
 *   rle-tool gen R C S B PC FRAMES SIGNED SEED OUT    a native test image
 *
 * pixels and decode write the frames concatenated, without the Pixel
 * Data pad byte, in planar configuration PC (default: the file's).
 * encode copies every data element but Pixel Data byte for byte, and
 * writes Pixel Data encapsulated: an empty Basic Offset Table, then one
 * fragment per frame (PS3.5 A.4, G.5).  The file parser here is a test
 * tool's: Explicit or Implicit VR Little Endian, whole file in memory.
 * gen writes native frames whose byte planes hold runs of every length
 * that matters to PackBits (1, 2, 3, 127..130, 255..257) of random,
 * small, zero or (SIGNED) small negative values, as the file bytes of
 * Pixel Data in planar configuration PC.
 * Exit 0, 1 with a message on failure, 2 on usage.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cstore/cstore.h"
#include "core/buf.h"
#include "core/ts_uids.h"
#include "dcmfile/part10.h"
#include "dcmfile/rle.h"

#define TAG(g, e) (((uint32_t)(g) << 16) | (e))

struct file {
	uint8_t *data;
	size_t size;
	struct part10_info info;
	int evr;
	struct rle_image im;
	unsigned frames;
	/* Pixel Data element: header start, value start and length (native) */
	size_t px_start, px_end, px_val;
	uint32_t px_len;
	int encapsulated;
	/* encapsulated: the fragments (the offset table is fragment 0) */
	size_t nfrag;
	size_t frag_off[4096];
	uint32_t frag_len[4096];
};

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void
die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "rle-tool: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static uint8_t *
slurp(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	uint8_t *p = NULL;
	size_t cap = 0, n = 0, r;

	if (f == NULL)
		die("'%s': %s", path, strerror(errno));
	for (;;) {
		if (n == cap) {
			cap = cap ? cap * 2 : 1 << 20;
			if ((p = realloc(p, cap)) == NULL)
				die("'%s': %s", path, "out of memory");
		}
		r = fread(p + n, 1, cap - n, f);
		n += r;
		if (r == 0)
			break;
	}
	if (ferror(f))
		die("'%s': %s", path, "read error");
	fclose(f);
	*size = n;
	return p;
}

static void
spill(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");

	if (f == NULL || fwrite(p, 1, n, f) != n || fclose(f) != 0)
		die("'%s': %s", path, strerror(errno));
}

static int
long_vr(const uint8_t *vr)
{
	static const char *const l[] = { "OB", "OD", "OF", "OL", "OV", "OW", "SQ", "UC", "UN",
		"UR", "UT", "SV", "UV" };
	size_t i;

	for (i = 0; i < sizeof(l) / sizeof(l[0]); i++)
		if (memcmp(vr, l[i], 2) == 0)
			return 1;
	return 0;
}

/* Reads one element header into *tag and *len (errors latch in r). */
static void
elem_header(struct rd *r, int evr, uint32_t *tag, uint32_t *len)
{
	const uint8_t *vr;
	uint16_t g = rd_le16(r), e = rd_le16(r);

	*tag = TAG(g, e);
	if (!evr || g == 0xfffe) {
		*len = rd_le32(r);
		return;
	}
	vr = rd_bytes(r, 2);
	if (vr == NULL)
		return;
	if (long_vr(vr)) {
		rd_skip(r, 2);
		*len = rd_le32(r);
	} else {
		*len = rd_le16(r);
	}
}

/* Skips the items of an undefined-length sequence, delimiter included. */
static void
skip_seq(struct rd *r, int evr, int depth)
{
	uint32_t tag, len;

	if (depth > 16)
		die("%s", "sequences nested too deep");
	while (!r->err && rd_left(r) > 0) {
		elem_header(r, evr, &tag, &len);
		if (tag == TAG(0xfffe, 0xe0dd))
			return;
		if (tag != TAG(0xfffe, 0xe000))
			die("%s", "bad item in a sequence");
		if (len != 0xffffffffu) {
			rd_skip(r, len);
			continue;
		}
		for (;;) {
			elem_header(r, evr, &tag, &len);
			if (r->err || tag == TAG(0xfffe, 0xe00d))
				break;
			if (len == 0xffffffffu)
				skip_seq(r, evr, depth + 1);
			else
				rd_skip(r, len);
		}
	}
}

static unsigned
us_value(struct rd *r, uint32_t len)
{
	struct rd v = rd_sub(r, len);

	return rd_le16(&v);
}

static void
load(struct file *f, const char *path)
{
	struct cs_err err = { 0, "" };
	struct rd r;
	uint32_t tag, len;
	size_t at;
	int have = 0;

	memset(f, 0, sizeof(*f));
	f->data = slurp(path, &f->size);
	if (part10_probe_mem(f->data, f->size, 0, &f->info, &err) < 0)
		die("'%s': %s", path, err.msg);
	f->evr = strcmp(f->info.ts_uid, TS_UID_ImplicitVRLittleEndian) != 0;
	if (strcmp(f->info.ts_uid, TS_UID_ExplicitVRBigEndian) == 0 ||
	    strcmp(f->info.ts_uid, TS_UID_DeflatedExplicitVRLittleEndian) == 0)
		die("'%s': transfer syntax %s not handled here", path, f->info.ts_uid);
	f->frames = 1;
	rd_init(&r, f->data + f->info.dataset_offset, f->info.dataset_length);
	while (!r.err && rd_left(&r) > 0) {
		at = r.pos;
		elem_header(&r, f->evr, &tag, &len);
		switch (tag) {
		case TAG(0x0028, 0x0002): f->im.samples = (uint16_t)us_value(&r, len); break;
		case TAG(0x0028, 0x0006): f->im.planar = us_value(&r, len) ? RLE_SEPARATE : RLE_INTERLEAVED; break;
		case TAG(0x0028, 0x0010): f->im.rows = (uint16_t)us_value(&r, len); break;
		case TAG(0x0028, 0x0011): f->im.columns = (uint16_t)us_value(&r, len); break;
		case TAG(0x0028, 0x0100): f->im.bits_allocated = (uint16_t)us_value(&r, len); break;
		case TAG(0x0028, 0x0008): {
			const uint8_t *v = rd_bytes(&r, len);
			char s[16] = "";

			if (v != NULL && len < sizeof(s))
				memcpy(s, v, len);
			f->frames = (unsigned)strtoul(s, NULL, 10);
			break;
		}
		case TAG(0x7fe0, 0x0010):
			have = 1;
			f->px_start = at;
			if (len != 0xffffffffu) {
				f->px_val = r.pos;
				f->px_len = len;
				rd_skip(&r, len);
				f->px_end = r.pos;
				break;
			}
			f->encapsulated = 1;
			for (;;) {
				elem_header(&r, 0, &tag, &len);
				if (r.err || tag == TAG(0xfffe, 0xe0dd))
					break;
				if (tag != TAG(0xfffe, 0xe000) || len == 0xffffffffu ||
				    f->nfrag == sizeof(f->frag_len) / sizeof(f->frag_len[0]))
					die("'%s': %s", path, "bad fragment");
				f->frag_off[f->nfrag] = r.pos;
				f->frag_len[f->nfrag++] = len;
				rd_skip(&r, len);
			}
			f->px_end = r.pos;
			break;
		default:
			if (len == 0xffffffffu)
				skip_seq(&r, f->evr, 0);
			else
				rd_skip(&r, len);
		}
	}
	if (r.err)
		die("'%s': %s", path, "data set truncated");
	if (!have)
		die("'%s': %s", path, "no Pixel Data");
	if (f->frames == 0)
		f->frames = 1;
	f->px_start += f->info.dataset_offset;
	f->px_end += f->info.dataset_offset;
	f->px_val += f->info.dataset_offset;
	for (at = 0; at < f->nfrag; at++)
		f->frag_off[at] += f->info.dataset_offset;
	if (rle_image_check(&f->im, &err) < 0)
		die("'%s': %s", path, err.msg);
}

/* Copies a native frame from layout `from` into `to` (same image). */
static void
replan(const struct rle_image *im, enum rle_planar to, const uint8_t *in, uint8_t *out)
{
	size_t npix = (size_t)im->rows * im->columns, nb = im->bits_allocated / 8, p, s;

	if (im->samples == 1 || im->planar == to) {
		memcpy(out, in, rle_frame_len(im));
		return;
	}
	for (p = 0; p < npix; p++)
		for (s = 0; s < im->samples; s++) {
			size_t pc0 = (p * im->samples + s) * nb, pc1 = (s * npix + p) * nb;

			if (to == RLE_SEPARATE)
				memcpy(out + pc1, in + pc0, nb);
			else
				memcpy(out + pc0, in + pc1, nb);
		}
}

static enum rle_planar
want_pc(const char *opt, const struct file *f)
{
	if (opt == NULL)
		return f->im.planar;
	return strcmp(opt, "1") == 0 ? RLE_SEPARATE : RLE_INTERLEAVED;
}

static void
cmd_pixels(const char *pc, const char *in, const char *out)
{
	struct file *f = malloc(sizeof(*f));
	size_t flen, i;
	uint8_t *buf;

	if (f == NULL)
		die("%s", "out of memory");
	load(f, in);
	if (f->encapsulated)
		die("'%s': %s", in, "Pixel Data is encapsulated");
	flen = rle_frame_len(&f->im);
	if ((size_t)f->px_len < flen * f->frames)
		die("'%s': %s", in, "Pixel Data shorter than its frames");
	buf = malloc(flen * f->frames);
	if (buf == NULL)
		die("%s", "out of memory");
	for (i = 0; i < f->frames; i++)
		replan(&f->im, want_pc(pc, f), f->data + f->px_val + i * flen, buf + i * flen);
	spill(out, buf, flen * f->frames);
	free(buf);
	free(f->data);
	free(f);
}

/*
 * The frames of an encapsulated Pixel Data: by the offset table when it
 * has entries, else one fragment per frame, else (one frame) all
 * fragments concatenated.  Returns a malloc'd frame; *n its length.
 */
static uint8_t *
frame_bytes(const struct file *f, unsigned i, size_t *n)
{
	size_t first, last, k, at;
	uint8_t *p;

	if (f->nfrag < 2)
		die("%s", "no fragments");
	if (f->frag_len[0] > 0) {
		/* offsets count from the first byte of the first fragment's item */
		size_t base = f->frag_off[1] - 8;
		uint32_t want, next;
		struct rd r;

		if (f->frag_len[0] < 4 * f->frames)
			die("%s", "offset table too short");
		rd_init(&r, f->data + f->frag_off[0], f->frag_len[0]);
		rd_skip(&r, 4 * i);
		want = rd_le32(&r);
		next = i + 1 < f->frames ? rd_le32(&r) : 0xffffffffu;
		for (first = 1; first < f->nfrag && f->frag_off[first] - 8 - base != want; first++)
			;
		for (last = first; last + 1 < f->nfrag && f->frag_off[last + 1] - 8 - base < next;
		     last++)
			;
		if (first == f->nfrag)
			die("%s", "offset table points nowhere");
	} else if (f->nfrag - 1 == f->frames) {
		first = last = i + 1;
	} else if (f->frames == 1) {
		first = 1;
		last = f->nfrag - 1;
	} else {
		die("%s", "cannot tell fragments from frames");
	}
	for (*n = 0, k = first; k <= last; k++)
		*n += f->frag_len[k];
	if ((p = malloc(*n ? *n : 1)) == NULL)
		die("%s", "out of memory");
	for (at = 0, k = first; k <= last; k++) {
		memcpy(p + at, f->data + f->frag_off[k], f->frag_len[k]);
		at += f->frag_len[k];
	}
	return p;
}

static void
cmd_decode(const char *pc, const char *in, const char *out)
{
	struct file *f = malloc(sizeof(*f));
	struct cs_err err = { 0, "" };
	struct rle_image im;
	size_t flen, n;
	unsigned i;
	uint8_t *buf, *frame;

	if (f == NULL)
		die("%s", "out of memory");
	load(f, in);
	if (!f->encapsulated || strcmp(f->info.ts_uid, TS_UID_RLELossless) != 0)
		die("'%s': %s", in, "not RLE Lossless");
	im = f->im;
	im.planar = want_pc(pc, f);
	flen = rle_frame_len(&im);
	if ((buf = malloc(flen * f->frames)) == NULL)
		die("%s", "out of memory");
	for (i = 0; i < f->frames; i++) {
		frame = frame_bytes(f, i, &n);
		if (rle_decode_frame(&im, frame, n, buf + i * flen, flen, &err) < 0)
			die("'%s': %s", in, err.msg);
		free(frame);
	}
	spill(out, buf, flen * f->frames);
	free(buf);
	free(f->data);
	free(f);
}

static void
put_item(FILE *o, uint16_t e, uint32_t len)
{
	uint8_t h[8] = { 0xfe, 0xff, (uint8_t)e, (uint8_t)(e >> 8), (uint8_t)len,
		(uint8_t)(len >> 8), (uint8_t)(len >> 16), (uint8_t)(len >> 24) };

	fwrite(h, 1, 8, o);
}

static void
cmd_encode(const char *in, const char *out)
{
	static const uint8_t px_hdr[12] = { 0xe0, 0x7f, 0x10, 0x00, 'O', 'B', 0, 0, 0xff,
		0xff, 0xff, 0xff };
	struct file *f = malloc(sizeof(*f));
	struct cs_err err = { 0, "" };
	struct wr w;
	size_t flen, cap, n, ds;
	unsigned i;
	uint8_t *enc;
	FILE *o;

	if (f == NULL)
		die("%s", "out of memory");
	load(f, in);
	if (f->encapsulated || !f->evr)
		die("'%s': %s", in, "not a native Explicit VR Little Endian file");
	flen = rle_frame_len(&f->im);
	if ((size_t)f->px_len < flen * f->frames)
		die("'%s': %s", in, "Pixel Data shorter than its frames");
	cap = rle_encode_bound(&f->im);
	if ((enc = malloc(cap)) == NULL)
		die("%s", "out of memory");
	wr_init(&w, 1 << 16);
	if (part10_write_meta(&w, f->info.sop_class, f->info.sop_instance, TS_UID_RLELossless,
	    CS_IMPL_CLASS_UID, CS_IMPL_VERSION, NULL, &err) < 0)
		die("'%s': %s", in, err.msg);
	if ((o = fopen(out, "wb")) == NULL)
		die("'%s': %s", out, strerror(errno));
	ds = f->info.dataset_offset;
	fwrite(w.p, 1, w.len, o);
	fwrite(f->data + ds, 1, f->px_start - ds, o);
	fwrite(px_hdr, 1, sizeof(px_hdr), o);
	put_item(o, 0xe000, 0);
	for (i = 0; i < f->frames; i++) {
		if (rle_encode_frame(&f->im, f->data + f->px_val + i * flen, flen, enc, cap, &n,
		    &err) < 0)
			die("'%s': %s", in, err.msg);
		put_item(o, 0xe000, (uint32_t)n);
		fwrite(enc, 1, n, o);
	}
	put_item(o, 0xe0dd, 0);
	fwrite(f->data + f->px_end, 1, f->size - f->px_end, o);
	if (ferror(o) || fclose(o) != 0)
		die("'%s': %s", out, "write error");
	wr_release(&w);
	free(enc);
	free(f->data);
	free(f);
}

static struct rle_image
raw_image(char **a)
{
	struct rle_image im;
	struct cs_err err = { 0, "" };

	im.rows = (uint16_t)strtoul(a[0], NULL, 10);
	im.columns = (uint16_t)strtoul(a[1], NULL, 10);
	im.samples = (uint16_t)strtoul(a[2], NULL, 10);
	im.bits_allocated = (uint16_t)strtoul(a[3], NULL, 10);
	im.planar = strcmp(a[4], "1") == 0 ? RLE_SEPARATE : RLE_INTERLEAVED;
	if (rle_image_check(&im, &err) < 0)
		die("%s", err.msg);
	return im;
}

static void
cmd_raw(int encode, char **a)
{
	struct rle_image im = raw_image(a);
	struct cs_err err = { 0, "" };
	size_t n, cap, len;
	uint8_t *in = slurp(a[5], &n), *out;
	int rc;

	cap = encode ? rle_encode_bound(&im) : rle_frame_len(&im);
	if ((out = malloc(cap)) == NULL)
		die("%s", "out of memory");
	if (encode) {
		rc = rle_encode_frame(&im, in, n, out, cap, &len, &err);
	} else {
		rc = rle_decode_frame(&im, in, n, out, cap, &err);
		len = cap;
	}
	if (rc < 0)
		die("%s (%s)", err.msg, cs_errname(rc));
	spill(a[6], out, len);
	free(in);
	free(out);
}

static uint32_t
xorshift(uint32_t *st)
{
	uint32_t x = *st;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return *st = x;
}

static void
cmd_gen(char **a)
{
	static const unsigned runs[] = { 1, 2, 3, 1, 1, 127, 128, 129, 130, 2, 1, 255, 256,
		257, 5, 1, 1, 1, 4 };
	struct rle_image im = raw_image(a);
	unsigned frames = (unsigned)strtoul(a[5], NULL, 10), sgn = strcmp(a[6], "1") == 0;
	uint32_t st = (uint32_t)strtoul(a[7], NULL, 10) | 1u, v = 0, mask;
	size_t flen = rle_frame_len(&im), npix = (size_t)im.rows * im.columns;
	size_t nb = im.bits_allocated / 8, f, s, p, b, at, left = 0, ri = 0;
	uint8_t *out;

	if (frames == 0 || (out = malloc(flen * frames)) == NULL)
		die("%s", "bad frame count or out of memory");
	mask = nb == 4 ? 0xffffffffu : (1u << (8 * nb)) - 1;
	for (f = 0; f < frames; f++)
		for (s = 0; s < im.samples; s++)
			for (p = 0; p < npix; p++) {
				if (left == 0) {
					left = runs[ri++ % (sizeof(runs) / sizeof(runs[0]))];
					switch (xorshift(&st) % 4) {
					case 0: v = xorshift(&st); break;
					case 1: v = xorshift(&st) % 4; break;
					case 2: v = 0; break;
					default: v = sgn ? (uint32_t)-(int32_t)(1 + xorshift(&st) % 3) :
					    xorshift(&st) % 300;
					}
					v &= mask;
				}
				left--;
				at = im.planar == RLE_SEPARATE ? (s * npix + p) * nb :
				    (p * im.samples + s) * nb;
				for (b = 0; b < nb; b++)
					out[f * flen + at + b] = (uint8_t)(v >> (8 * b));
			}
	spill(a[8], out, flen * frames);
	free(out);
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
cmd_bench(const char *in, const char *secs)
{
	struct file *f = malloc(sizeof(*f));
	struct cs_err err = { 0, "" };
	double t0, t, limit = strtod(secs, NULL), bytes = 0;
	size_t flen, *n;
	unsigned i, rounds = 0;
	uint8_t *buf, **frame;

	if (f == NULL)
		die("%s", "out of memory");
	load(f, in);
	flen = rle_frame_len(&f->im);
	buf = malloc(flen);
	frame = calloc(f->frames, sizeof(*frame));
	n = calloc(f->frames, sizeof(*n));
	if (buf == NULL || frame == NULL || n == NULL)
		die("%s", "out of memory");
	for (i = 0; i < f->frames; i++)
		frame[i] = frame_bytes(f, i, &n[i]);
	t0 = now();
	do {
		for (i = 0; i < f->frames; i++) {
			if (rle_decode_frame(&f->im, frame[i], n[i], buf, flen, &err) < 0)
				die("'%s': %s", in, err.msg);
			bytes += (double)flen;
		}
		rounds++;
	} while ((t = now() - t0) < limit);
	printf("%u rounds of %u frames (%zu bytes each) in %.3f s: %.1f MB/s native out\n",
	    rounds, f->frames, flen, t, bytes / t / 1e6);
	for (i = 0; i < f->frames; i++)
		free(frame[i]);
	free(frame);
	free(n);
	free(buf);
	free(f->data);
	free(f);
}

int
main(int argc, char **argv)
{
	const char *pc = NULL;
	int i = 2;

	if (argc >= 3 && strcmp(argv[2], "-p") == 0 && argc >= 4) {
		pc = argv[3];
		i = 4;
	}
	if (argc == 3 && strcmp(argv[1], "info") == 0) {
		struct file *f = malloc(sizeof(*f));

		if (f == NULL)
			die("%s", "out of memory");
		load(f, argv[2]);
		printf("%u %u %u %u %u %d\n", (unsigned)f->im.rows, (unsigned)f->im.columns,
		    (unsigned)f->im.samples, (unsigned)f->im.bits_allocated, f->frames,
		    (int)f->im.planar);
		free(f->data);
		free(f);
	} else if (argc == i + 2 && strcmp(argv[1], "pixels") == 0) {
		cmd_pixels(pc, argv[i], argv[i + 1]);
	} else if (argc == i + 2 && strcmp(argv[1], "decode") == 0) {
		cmd_decode(pc, argv[i], argv[i + 1]);
	} else if (argc == 4 && strcmp(argv[1], "encode") == 0) {
		cmd_encode(argv[2], argv[3]);
	} else if (argc == 9 && strcmp(argv[1], "decode-raw") == 0) {
		cmd_raw(0, argv + 2);
	} else if (argc == 9 && strcmp(argv[1], "encode-raw") == 0) {
		cmd_raw(1, argv + 2);
	} else if (argc == 11 && strcmp(argv[1], "gen") == 0) {
		cmd_gen(argv + 2);
	} else if (argc == 4 && strcmp(argv[1], "bench") == 0) {
		cmd_bench(argv[2], argv[3]);
	} else {
		fprintf(stderr, "usage: rle-tool info FILE\n"
				"       rle-tool pixels|decode [-p 0|1] FILE OUT\n"
				"       rle-tool encode FILE OUT\n"
				"       rle-tool decode-raw|encode-raw ROWS COLS SAMPLES BITS PC IN OUT\n"
				"       rle-tool bench FILE SECONDS\n"
				"       rle-tool gen ROWS COLS SAMPLES BITS PC FRAMES SIGNED SEED OUT\n");
		return 2;
	}
	return 0;
}
