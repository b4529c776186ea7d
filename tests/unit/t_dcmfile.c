/* t_dcmfile.c - transcoding through the GDCM adapter. */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cstore/cstore.h"
#include "core/buf.h"
#include "core/ts_uids.h"
#include "dcmfile/dcmfile.h"
#include "dcmfile/part10.h"

Suite *dcmfile_suite(void);

#define INST "2.25.314159265358979323846264338327950"
#define SC "1.2.840.10008.5.1.4.1.1.7"
#define JPEG_BASELINE "1.2.840.10008.1.2.4.50"
#define JPEG_SV1 "1.2.840.10008.1.2.4.70"
#define JPEGLS "1.2.840.10008.1.2.4.80"
#define JPEGLS_NEAR "1.2.840.10008.1.2.4.81"
#define J2K_LOSSLESS "1.2.840.10008.1.2.4.90"
#define J2K "1.2.840.10008.1.2.4.91"
#define RLE "1.2.840.10008.1.2.5"

/* Reads all of fd from offset 0. */
static uint8_t *
read_fd(int fd, size_t len)
{
	uint8_t *b = malloc(len + 1);

	ck_assert_ptr_nonnull(b);
	ck_assert_int_eq(pread(fd, b, len, 0), (ssize_t)len);
	return b;
}

/* The dataset bytes of a fixture file (after its meta header). */
static uint8_t *
dataset_of(const char *path, size_t *len)
{
	struct part10_info info;
	struct cs_err err = { 0, "" };
	uint8_t *b;
	FILE *f;

	ck_assert_int_eq(part10_probe_path(path, 0, &info, &err), 0);
	f = fopen(path, "rb");
	ck_assert_ptr_nonnull(f);
	b = malloc(info.dataset_length + 1);
	ck_assert_int_eq(fseek(f, (long)info.dataset_offset, SEEK_SET), 0);
	ck_assert_uint_eq(fread(b, 1, info.dataset_length, f), info.dataset_length);
	fclose(f);
	*len = info.dataset_length;
	return b;
}

/*
 * The n bytes of native Pixel Data at the end of a Little Endian
 * dataset, checking the (7FE0,0010) header before them (PS3.5 7.1).
 */
static const uint8_t *
pixels(const uint8_t *ds, size_t len, size_t n, int explicit_vr)
{
	size_t h = explicit_vr ? 12 : 8;
	const uint8_t *p;

	ck_assert_uint_ge(len, n + h);
	p = ds + len - n - h;
	ck_assert_int_eq(memcmp(p, "\xe0\x7f\x10\x00", 4), 0);
	if (explicit_vr) {
		ck_assert(p[4] == 'O' && (p[5] == 'B' || p[5] == 'W'));
		p += 8;
	} else {
		p += 4;
	}
	ck_assert_uint_eq(p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24, n);
	return ds + len - n;
}

/* Transcodes and checks what every output must satisfy. */
static uint8_t *
transcode(const char *path, const char *ts, int lossy, size_t *len,
    struct dcmfile_transcoded *out)
{
	struct cs_err err = { 0, "" };
	struct part10_info info;
	uint8_t *b;
	int rc;

	rc = dcmfile_transcode(path, ts, lossy, out, &err);
	ck_assert_msg(rc == 0, "%s to %s: %d %s", path, ts, rc, err.msg);
	ck_assert_int_ge(out->fd, 0);
	ck_assert_str_eq(out->ts_uid, ts);
	ck_assert_int_eq(lseek(out->fd, 0, SEEK_CUR), 0);
	b = read_fd(out->fd, out->length);
	*len = (size_t)out->length;
	/* a bare dataset (no preamble, no meta) with the same SOP UIDs */
	if (strcmp(ts, TS_UID_DeflatedExplicitVRLittleEndian) != 0) {
		ck_assert_int_eq(part10_probe_mem(b, *len, PART10_O_VERIFY, &info,
		    &err), 0);
		ck_assert_int_eq(info.kind, PART10_BARE);
		/* a lossy compression makes a new instance (PS3.3 C.12.1.1.1) */
		ck_assert_str_eq(info.sop_instance, out->sop_instance);
		if (out->lossy)
			ck_assert_str_ne(info.sop_instance, INST);
		else
			ck_assert_str_eq(info.sop_instance, INST);
	}
	return b;
}

START_TEST(jpeg_baseline_decodes_like_dcmdjpeg)
{
	struct dcmfile_transcoded out;
	uint8_t *got, *ref;
	size_t glen, rlen;

	got = transcode("tests/data/img8-jpeg-baseline.dcm", TS_UID_ExplicitVRLittleEndian, 0,
	    &glen, &out);
	ck_assert_int_eq(out.lossy, 0);
	ref = dataset_of("tests/data/img8-jpeg-baseline-ref.dcm", &rlen);
	ck_assert_int_eq(memcmp(pixels(got, glen, 256, 1),
	    pixels(ref, rlen, 256, 1), 256), 0);
	close(out.fd);
	free(got);
	free(ref);
}
END_TEST

static const char *const lossless16[] = { "tests/data/img16-jpeg-sv1.dcm",
	"tests/data/img16-jpegls.dcm", "tests/data/img16-rle.dcm",
	"tests/data/img16-j2k.dcm" };

START_TEST(lossless_syntaxes_decode_to_the_original)
{
	struct dcmfile_transcoded out;
	uint8_t *got, *ref;
	size_t glen, rlen;
	int implicit;

	ref = dataset_of("tests/data/img16-evrle.dcm", &rlen);
	for (implicit = 0; implicit <= 1; implicit++) {
		got = transcode(lossless16[_i],
		    implicit ? TS_UID_ImplicitVRLittleEndian : TS_UID_ExplicitVRLittleEndian, 0, &glen, &out);
		ck_assert_msg(memcmp(pixels(got, glen, 512, !implicit),
		    pixels(ref, rlen, 512, 1), 512) == 0, "%s: pixels differ",
		    lossless16[_i]);
		close(out.fd);
		free(got);
	}
	free(ref);
}
END_TEST

/* Compress losslessly, wrap in a meta header, decode: same pixels. */
START_TEST(lossless_compression_round_trips)
{
	static const char *const targets[] = { JPEG_SV1, JPEGLS, RLE,
		J2K_LOSSLESS };
	struct dcmfile_transcoded out, back;
	struct cs_err err = { 0, "" };
	char path[] = "/tmp/t_dcmfile_XXXXXX";
	uint8_t *got, *again, *ref;
	size_t glen, alen, rlen;
	struct wr w;
	int fd;

	ref = dataset_of("tests/data/img16-evrle.dcm", &rlen);
	got = transcode("tests/data/img16-evrle.dcm", targets[_i], 0, &glen, &out);
	ck_assert_int_eq(out.lossy, 0);
	close(out.fd);
	wr_init(&w, 1 << 20);
	ck_assert_int_gt(part10_write_meta(&w, SC, INST, targets[_i],
	    CS_IMPL_CLASS_UID, NULL, NULL, &err), 0);
	wr_bytes(&w, got, glen);
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, w.p, w.len), (ssize_t)w.len);
	close(fd);
	again = transcode(path, TS_UID_ExplicitVRLittleEndian, 0, &alen, &back);
	unlink(path);
	ck_assert_int_eq(memcmp(pixels(again, alen, 512, 1),
	    pixels(ref, rlen, 512, 1), 512), 0);
	close(back.fd);
	wr_release(&w);
	free(got);
	free(again);
	free(ref);
}
END_TEST

/* Between uncompressed syntaxes GDCM must give what dump2dcm gave. */
START_TEST(uncompressed_syntaxes_convert_exactly)
{
	static const struct {
		const char *from, *ts, *like;
	} cases[] = {
		{ "tests/data/p10-evrbe.dcm", TS_UID_ExplicitVRLittleEndian, "tests/data/p10-evrle.dcm" },
		{ "tests/data/p10-ivrle.dcm", TS_UID_ExplicitVRLittleEndian, "tests/data/p10-evrle.dcm" },
		{ "tests/data/p10-deflated.dcm", TS_UID_ExplicitVRLittleEndian, "tests/data/p10-evrle.dcm" },
		{ "tests/data/p10-evrle.dcm", TS_UID_ImplicitVRLittleEndian, "tests/data/p10-ivrle.dcm" },
		{ "tests/data/bare-ivrle.dcm", TS_UID_ExplicitVRLittleEndian, "tests/data/bare-evrle.dcm" },
		{ "tests/data/p10-evrle.dcm", TS_UID_ExplicitVRBigEndian, "tests/data/p10-evrbe.dcm" },
	};
	struct dcmfile_transcoded out;
	uint8_t *got, *ref;
	size_t glen, rlen, i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		got = transcode(cases[i].from, cases[i].ts, 0, &glen, &out);
		ref = dataset_of(cases[i].like, &rlen);
		/*
		 * PS3.5 A.1: implicit VR pixel data is OW; made explicit it
		 * may stay OW where dump2dcm wrote OB for 8-bit samples.
		 */
		if (glen == rlen && glen > 28 && got[glen - 28 + 5] == 'W' &&
		    ref[rlen - 28 + 5] == 'B')
			got[glen - 28 + 5] = 'B';
		ck_assert_msg(glen == rlen && memcmp(got, ref, rlen) == 0,
		    "%s to %s: %zu bytes, %s has %zu", cases[i].from,
		    cases[i].ts, glen, cases[i].like, rlen);
		close(out.fd);
		free(got);
		free(ref);
	}
}
END_TEST

START_TEST(deflated_output_inflates_to_the_dataset)
{
	struct dcmfile_transcoded out;
	struct part10_info info;
	struct cs_err err = { 0, "" };
	uint8_t *got, *ref;
	size_t glen, rlen;
	struct wr w;

	got = transcode("tests/data/p10-evrle.dcm", TS_UID_DeflatedExplicitVRLittleEndian, 0, &glen,
	    &out);
	close(out.fd);
	/* our prober inflates it behind a meta header: PS3.5 A.5 raw deflate */
	wr_init(&w, 1 << 20);
	ck_assert_int_gt(part10_write_meta(&w, SC, INST, TS_UID_DeflatedExplicitVRLittleEndian,
	    CS_IMPL_CLASS_UID, NULL, NULL, &err), 0);
	wr_bytes(&w, got, glen);
	ck_assert_int_eq(part10_probe_mem(w.p, w.len, 0, &info, &err), 0);
	ck_assert_str_eq(info.sop_instance, INST);
	ref = dataset_of("tests/data/p10-evrle.dcm", &rlen);
	ck_assert_uint_lt(glen, rlen);
	wr_release(&w);
	free(got);
	free(ref);
}
END_TEST

START_TEST(lossy_compression_needs_permission)
{
	struct dcmfile_transcoded out;
	struct cs_err err = { 0, "" };
	uint8_t *got;
	size_t glen;

	ck_assert_int_eq(dcmfile_transcode("tests/data/img8-jpeg-baseline-ref.dcm",
	    JPEG_BASELINE, 0, &out, &err), CS_E_UNSUPPORTED);
	ck_assert_int_eq(out.fd, -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "lossy compression not allowed"));
	got = transcode("tests/data/img8-jpeg-baseline-ref.dcm", JPEG_BASELINE, 1,
	    &glen, &out);
	ck_assert_int_eq(out.lossy, 1);
	/* encapsulated: (7FE0,0010) OB of undefined length (PS3.5 A.4) */
	ck_assert_ptr_nonnull(memmem(got, glen,
	    "\xe0\x7f\x10\x00OB\0\0\xff\xff\xff\xff", 12));
	close(out.fd);
	free(got);
}
END_TEST

START_TEST(bad_inputs_are_clear_errors)
{
	static const struct {
		const char *path, *ts;
		int rc;
		const char *msg;
	} cases[] = {
		{ "tests/data/no-such-file.dcm", TS_UID_ExplicitVRLittleEndian, CS_E_IO, "No such file" },
		{ "tests/data/not-dicom.txt", TS_UID_ExplicitVRLittleEndian, CS_E_NOTDICOM, "DICM" },
		{ "tests/data/p10-truncated-element.dcm", TS_UID_ExplicitVRLittleEndian, CS_E_TRUNCATED, "(0008,0018)" },
		{ "tests/data/p10-evrle.dcm", "1.2.3.4", CS_E_UNSUPPORTED, "unknown transfer syntax" },
		{ "tests/data/p10-evrle.dcm", "1.2.840.10008.1.2.4.57", CS_E_UNSUPPORTED, "cannot transcode" },
		/* JPEG Baseline holds 8-bit samples only (PS3.5 A.4.1) */
		{ "tests/data/img16-evrle.dcm", JPEG_BASELINE, CS_E_UNSUPPORTED, "pixel data" },
	};
	struct dcmfile_transcoded out;
	struct cs_err err;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int allow = cases[i].rc == CS_E_UNSUPPORTED;

		cs_err_clear(&err);
		out.fd = 42;
		ck_assert_int_eq(dcmfile_transcode(cases[i].path, cases[i].ts,
		    allow, &out, &err), cases[i].rc);
		ck_assert_int_eq(out.fd, -1);
		ck_assert_msg(strstr(err.msg, cases[i].msg) != NULL,
		    "%s: '%s' lacks '%s'", cases[i].path, err.msg, cases[i].msg);
	}
	cs_err_clear(&err);
	ck_assert_int_eq(dcmfile_transcode(NULL, TS_UID_ExplicitVRLittleEndian, 0, &out, &err),
	    CS_E_INVAL);
	ck_assert_int_eq(dcmfile_transcode("x", TS_UID_ExplicitVRLittleEndian, 0, NULL, NULL),
	    CS_E_INVAL);
}
END_TEST

/* Copies src to dst; with other_uid, every INST in it (meta header and
 * data set) becomes another UID of the same length. */
static void
copy_file(const char *src, const char *dst, int other_uid)
{
	FILE *in = fopen(src, "rb"), *out = fopen(dst, "wb");
	static uint8_t b[1 << 20];
	size_t n, i, k = strlen(INST);

	ck_assert_ptr_nonnull(in);
	ck_assert_ptr_nonnull(out);
	n = fread(b, 1, sizeof(b), in);
	ck_assert_uint_lt(n, sizeof(b));
	for (i = 0; other_uid && i + k <= n; i++)
		if (memcmp(b + i, INST, k) == 0)
			b[i + k - 1] = b[i + k - 1] == '1' ? '2' : '1';
	ck_assert_uint_eq(fwrite(b, 1, n, out), n);
	fclose(in);
	ck_assert_int_eq(fclose(out), 0);
}

/*
 * What a sender probed is what it converts: the file its descriptor is
 * open on, even after another file was renamed over its name (the
 * streaming transcoder and GDCM's whole-file path for Deflated alike).
 */
START_TEST(transcode_fd_converts_the_open_file_not_the_name)
{
	static const char *const sources[] = { "tests/data/img16-rle.dcm",
		"tests/data/p10-deflated.dcm" };
	char dir[] = "/tmp/t_dcmfile.XXXXXX", path[256], other[256];
	struct cs_err err = { 0, "" };
	struct dcmfile_transcoded out;
	struct part10_info before, after;
	size_t i;
	int fd;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	for (i = 0; i < sizeof(sources) / sizeof(sources[0]); i++) {
		snprintf(path, sizeof(path), "%s/in.dcm", dir);
		snprintf(other, sizeof(other), "%s/other.dcm", dir);
		copy_file(sources[i], path, 0);
		copy_file("tests/data/p10-evrle.dcm", other, 1);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		ck_assert_int_ge(fd, 0);
		ck_assert_int_eq(part10_probe_fd(fd, 0, &before, &err), 0);
		ck_assert_str_eq(before.sop_instance, INST);
		ck_assert_int_eq(rename(other, path), 0);
		ck_assert_int_eq(dcmfile_transcode_fd(fd, path,
		    TS_UID_ImplicitVRLittleEndian, 0, &out, &err), 0);
		ck_assert_str_eq(out.sop_instance, before.sop_instance);
		ck_assert_int_eq(part10_probe_fd(out.fd, 0, &after, &err), 0);
		ck_assert_str_eq(after.sop_instance, before.sop_instance);
		ck_assert_str_eq(after.sop_class, before.sop_class);
		close(out.fd);
		close(fd);
		unlink(path);
	}
	rmdir(dir);
}
END_TEST

START_TEST(can_transcode_follows_the_lossless_rule)
{
	/* decoding is always fine, lossy or not */
	ck_assert_int_eq(dcmfile_can_transcode(JPEG_BASELINE, TS_UID_ExplicitVRLittleEndian, 0), 1);
	ck_assert_int_eq(dcmfile_can_transcode(J2K, TS_UID_ImplicitVRLittleEndian, 0), 1);
	ck_assert_int_eq(dcmfile_can_transcode(TS_UID_ExplicitVRBigEndian, TS_UID_ExplicitVRLittleEndian, 0), 1);
	ck_assert_int_eq(dcmfile_can_transcode(TS_UID_DeflatedExplicitVRLittleEndian, TS_UID_ImplicitVRLittleEndian, 0), 1);
	ck_assert_int_eq(dcmfile_can_transcode(RLE, TS_UID_ExplicitVRLittleEndian, 0), 1);
	/* lossless compression too */
	ck_assert_int_eq(dcmfile_can_transcode(TS_UID_ExplicitVRLittleEndian, JPEGLS, 0), 1);
	ck_assert_int_eq(dcmfile_can_transcode(TS_UID_ImplicitVRLittleEndian, J2K_LOSSLESS, 0), 1);
	/* lossy compression only when allowed */
	ck_assert_int_eq(dcmfile_can_transcode(TS_UID_ExplicitVRLittleEndian, JPEG_BASELINE, 0), 0);
	ck_assert_int_eq(dcmfile_can_transcode(TS_UID_ExplicitVRLittleEndian, JPEG_BASELINE, 1), 1);
	ck_assert_int_eq(dcmfile_can_transcode(JPEGLS, JPEGLS_NEAR, 0), 0);
	ck_assert_int_eq(dcmfile_can_transcode(RLE, J2K, 1), 1);
	/* identity, unknown and NULL */
	ck_assert_int_eq(dcmfile_can_transcode(JPEG_BASELINE, JPEG_BASELINE, 0), 1);
	ck_assert_int_eq(dcmfile_can_transcode("1.2.3", TS_UID_ExplicitVRLittleEndian, 1), 0);
	ck_assert_int_eq(dcmfile_can_transcode(TS_UID_ExplicitVRLittleEndian, "1.2.3", 1), 0);
	ck_assert_int_eq(dcmfile_can_transcode(NULL, TS_UID_ExplicitVRLittleEndian, 1), 0);
	ck_assert_int_eq(dcmfile_can_transcode(TS_UID_ExplicitVRLittleEndian, NULL, 1), 0);
	/* MPEG2 cannot be decoded here */
	ck_assert_int_eq(dcmfile_can_transcode("1.2.840.10008.1.2.4.100",
	    TS_UID_ExplicitVRLittleEndian, 1), 0);
}
END_TEST

/*
 * Out of descriptors, the GDCM module cannot load; once some are free
 * again it must: an EMFILE is no reason to give GDCM up for the life of
 * the process (dcmsend -j under a small ulimit -n).  In a child of its
 * own, so that the module is not loaded yet.
 */
START_TEST(the_module_loads_after_a_load_out_of_descriptors)
{
	pid_t pid = fork();
	int st = 0;

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct rlimit rl, low;
		int fds[256], n = 0, fd;
		size_t before, after;

		if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
			_exit(2);
		low = rl;
		low.rlim_cur = 64;
		if (low.rlim_cur > rl.rlim_max || setrlimit(RLIMIT_NOFILE, &low))
			_exit(2);
		while (n < 256 && (fd = open("/dev/null", O_RDONLY)) >= 0)
			fds[n++] = fd;
		before = dcmfile_gdcm_uid_count();
		while (n > 0)
			close(fds[--n]);
		(void)setrlimit(RLIMIT_NOFILE, &rl);
		after = dcmfile_gdcm_uid_count();
		_exit(before != 0 ? 3 : after > 0 ? 0 : 1);
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st));
	ck_assert_msg(WEXITSTATUS(st) == 0,
	    "child: %d (1: not loaded after the descriptors came back)",
	    WEXITSTATUS(st));
}
END_TEST

Suite *
dcmfile_suite(void)
{
	Suite *s = suite_create("dcmfile");
	TCase *tc = tcase_create("transcode");

	tcase_add_test(tc, jpeg_baseline_decodes_like_dcmdjpeg);
	tcase_add_loop_test(tc, lossless_syntaxes_decode_to_the_original, 0,
	    (int)(sizeof(lossless16) / sizeof(lossless16[0])));
	tcase_add_loop_test(tc, lossless_compression_round_trips, 0, 4);
	tcase_add_test(tc, uncompressed_syntaxes_convert_exactly);
	tcase_add_test(tc, deflated_output_inflates_to_the_dataset);
	tcase_add_test(tc, lossy_compression_needs_permission);
	tcase_add_test(tc, bad_inputs_are_clear_errors);
	tcase_add_test(tc, can_transcode_follows_the_lossless_rule);
	tcase_add_test(tc, transcode_fd_converts_the_open_file_not_the_name);
	tcase_add_test(tc, the_module_loads_after_a_load_out_of_descriptors);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return s;
}
