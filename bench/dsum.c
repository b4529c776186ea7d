/*
 * dsum - checksums for the benchmark's verification step.
 *   dsum [FILE...|-]    per file: "HASH SIZE" of its data set: a Part 10
 *                       file's preamble and File Meta Information (group
 *                       0002) are skipped, other files are taken whole.
 *                       "-" reads the paths from stdin, one per line.
 *   dsum -c [FILE...|-] one "HASH SIZE" of all the files, whole, concatenated
 * HASH is a fast non-cryptographic 64-bit hash (4 lanes, 32-byte blocks):
 * it detects lost, truncated, reordered or altered bytes; it is no defence
 * against an adversary.  Exit 0, or 1 if a file could not be read.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define P1 0x9E3779B185EBCA87ULL
#define P2 0xC2B2AE3D27D4EB4FULL
#define BUFSZ (1 << 20)

struct hs {
	uint64_t lane[4];
	unsigned char carry[32];
	size_t ncarry;
	uint64_t total;
};

static unsigned char buf[BUFSZ];
static int failed;

static uint64_t
rotl(uint64_t x, int r)
{
	return (x << r) | (x >> (64 - r));
}

static void
hs_init(struct hs *h)
{
	memset(h, 0, sizeof *h);
	h->lane[0] = P1;
	h->lane[1] = P2;
	h->lane[2] = P1 ^ P2;
	h->lane[3] = ~P1;
}

static void
block(struct hs *h, const unsigned char *p)
{
	for (int i = 0; i < 4; i++) {
		uint64_t w;
		memcpy(&w, p + 8 * i, 8);
		h->lane[i] = rotl(h->lane[i] ^ (w * P1), 31) * P2;
	}
}

static void
hs_update(struct hs *h, const unsigned char *p, size_t n)
{
	h->total += n;
	if (h->ncarry > 0) {
		size_t k = 32 - h->ncarry < n ? 32 - h->ncarry : n;
		memcpy(h->carry + h->ncarry, p, k);
		h->ncarry += k;
		p += k;
		n -= k;
		if (h->ncarry < 32)
			return;
		block(h, h->carry);
		h->ncarry = 0;
	}
	for (; n >= 32; p += 32, n -= 32)
		block(h, p);
	memcpy(h->carry, p, n);
	h->ncarry = n;
}

static uint64_t
hs_final(const struct hs *h)
{
	uint64_t x = h->total * P2;

	for (int i = 0; i < 4; i++)
		x = rotl(x ^ h->lane[i], 27) * P1 + P2;
	for (size_t i = 0; i < h->ncarry; i++)
		x = rotl(x ^ h->carry[i], 11) * P1;
	x ^= x >> 33;
	x *= P2;
	x ^= x >> 29;
	return x;
}

/* Bytes to skip at the start of a file: preamble + group 0002, or 0. */
static size_t
meta_len(const unsigned char *p, size_t n)
{
	size_t off = 132;

	if (n < 132 || memcmp(p + 128, "DICM", 4) != 0)
		return 0;
	while (off + 8 <= n && p[off] == 2 && p[off + 1] == 0) {
		const unsigned char *vr = p + off + 4;
		int longvr =
		    (!memcmp(vr, "OB", 2) || !memcmp(vr, "OW", 2) || !memcmp(vr, "OF", 2) ||
		     !memcmp(vr, "SQ", 2) || !memcmp(vr, "UT", 2) || !memcmp(vr, "UN", 2) ||
		     !memcmp(vr, "UC", 2) || !memcmp(vr, "UR", 2) || !memcmp(vr, "OL", 2) ||
		     !memcmp(vr, "OD", 2) || !memcmp(vr, "OV", 2) || !memcmp(vr, "SV", 2) ||
		     !memcmp(vr, "UV", 2));
		if (longvr) {
			if (off + 12 > n)
				break;
			off += 12 + ((size_t)p[off + 8] | (size_t)p[off + 9] << 8 |
			    (size_t)p[off + 10] << 16 | (size_t)p[off + 11] << 24);
		} else
			off += 8 + ((size_t)p[off + 6] | (size_t)p[off + 7] << 8);
	}
	return off > n ? n : off;
}

/* Feeds one file into h; skips its meta when strip.  -1 on error. */
static int
feed(struct hs *h, const char *path, int strip)
{
	int fd = open(path, O_RDONLY), first = 1;
	ssize_t r;

	if (fd < 0) {
		perror(path);
		return -1;
	}
	posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	while ((r = read(fd, buf, BUFSZ)) > 0) {
		size_t skip = 0;
		if (first && strip) {
			/* the meta lies within the first read of a regular file */
			skip = meta_len(buf, (size_t)r);
		}
		first = 0;
		hs_update(h, buf + skip, (size_t)r - skip);
	}
	close(fd);
	if (r < 0) {
		perror(path);
		return -1;
	}
	return 0;
}

static void
one(const char *path, int concat, struct hs *all)
{
	struct hs h;

	if (concat) {
		if (feed(all, path, 0) != 0)
			failed = 1;
		return;
	}
	hs_init(&h);
	if (feed(&h, path, 1) != 0) {
		failed = 1;
		return;
	}
	printf("%016llx %llu\n", (unsigned long long)hs_final(&h),
	    (unsigned long long)h.total);
}

int
main(int argc, char **argv)
{
	struct hs all;
	int concat = 0;

	if (argc > 1 && strcmp(argv[1], "-c") == 0) {
		concat = 1;
		argv++;
		argc--;
	}
	hs_init(&all);
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-") == 0) {
			char line[4096];
			while (fgets(line, sizeof line, stdin) != NULL) {
				line[strcspn(line, "\n")] = '\0';
				if (line[0] != '\0')
					one(line, concat, &all);
			}
		} else
			one(argv[i], concat, &all);
	}
	if (concat)
		printf("%016llx %llu\n", (unsigned long long)hs_final(&all),
		    (unsigned long long)all.total);
	return failed;
}
