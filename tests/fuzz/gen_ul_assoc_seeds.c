/*
 * gen_ul_assoc_seeds.c - records the seed corpora of fuzz_ul_assoc_scp
 * and fuzz_ul_assoc_scu from real exchanges: a requestor and an acceptor
 * with the fuzz harness callbacks (ul_assoc_fuzz.h) talk in memory; what
 * the requestor wrote becomes an SCP seed and what the acceptor wrote an
 * SCU seed, behind the two mode bytes.  Not built by make:
 *
 *   cc -std=c11 -D_DEFAULT_SOURCE -Iinclude -Ilib -Itests/fuzz \
 *       tests/fuzz/gen_ul_assoc_seeds.c build/libcstore.a -o gen
 *   ./gen DIR_SCP DIR_SCU
 *   cd DIR && for f in seed-*; do mv "$f" "$(sha256sum < "$f" | cut -c1-64)"; done
 */
#include <stdio.h>
#include <stdlib.h>

#include "ul_assoc_fuzz.h"

#define REC_MAX (1u << 20)

static void
move(struct fz *from, size_t *fed, struct fz *to)
{
	fz_drain(from);
	if (from->rec_len > *fed)
		(void)ul_recv(to->a, from->rec + *fed, from->rec_len - *fed,
		    0);
	*fed = from->rec_len;
	fz_drain(to);
}

static int
write_seed(const char *dir, int n, uint8_t mode, uint8_t seed,
    const uint8_t *p, size_t len)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/seed-%03d", dir, n);
	f = fopen(path, "wb");
	if (f == NULL)
		return -1;
	fputc(mode, f);
	fputc(seed, f);
	fwrite(p, 1, len, f);
	return fclose(f);
}

int
main(int argc, char **argv)
{
	/* whole, byte by byte, chunks, random chunks; with the other bits */
	static const uint8_t modes[] = { 0x00, 0x01, 0x02, 0x03, 0x04, 0x07,
		0x08, 0x13, 0x20, 0x22, 0x40, 0x45, 0x80, 0x81, 0x4c, 0x33 };
	size_t i;
	int n = 0;

	(void)fz_feed; /* the targets' entry, unused here */
	if (argc != 3) {
		fprintf(stderr, "usage: gen_ul_assoc_seeds DIR_SCP DIR_SCU\n");
		return 2;
	}
	for (i = 0; i < sizeof(modes); i++) {
		struct fz r, s;
		size_t r_fed = 0, s_fed = 0;
		int k;

		if (fz_start(&r, UL_REQUESTOR, modes[i]) != 0 ||
		    fz_start(&s, UL_ACCEPTOR, modes[i]) != 0)
			return 1;
		r.rec = malloc(REC_MAX);
		s.rec = malloc(REC_MAX);
		if (r.rec == NULL || s.rec == NULL)
			return 1;
		r.rec_cap = s.rec_cap = REC_MAX;
		for (k = 0; k < 1000; k++) {
			size_t before = r.rec_len + s.rec_len;

			move(&r, &r_fed, &s);
			move(&s, &s_fed, &r);
			if (r.rec_len + s.rec_len == before)
				break;
		}
		if (write_seed(argv[1], n, modes[i], (uint8_t)(i * 37),
		    r.rec, r.rec_len) != 0 ||
		    write_seed(argv[2], n, modes[i], (uint8_t)(i * 37),
		    s.rec, s.rec_len) != 0)
			return 1;
		fprintf(stderr, "mode 0x%02x: requestor %zu bytes (%s), "
		    "acceptor %zu bytes (%s)\n", modes[i], r.rec_len,
		    ul_state_name(ul_state(r.a)), s.rec_len,
		    ul_state_name(ul_state(s.a)));
		n++;
		free(r.rec);
		free(s.rec);
		ul_assoc_free(r.a);
		ul_assoc_free(s.a);
	}
	return 0;
}
