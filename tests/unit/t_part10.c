/* t_part10.c - the DICOM file prober and the meta header writer. */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "cstore/cstore.h"
#include "core/buf.h"
#include "core/ts_uids.h"
#include "dcmfile/part10.h"
#include "vectors.h"

Suite *part10_suite(void);

#define SC "1.2.840.10008.5.1.4.1.1.7"
#define CT "1.2.840.10008.5.1.4.1.1.2"
#define INST "2.25.314159265358979323846264338327950"
#define DCMTK_IMPL "1.2.276.0.7230010.3.0.3.6.7"

static uint8_t *
slurp(const char *path, size_t *len)
{
	uint8_t *b = NULL;

	ck_assert_msg(vec_read_file(path, &b, len) == 0,
	    "cannot open fixture %s", path);
	return b;
}

struct fixture {
	const char *path;
	int rc;
	enum part10_kind kind;
	const char *ts;
	const char *meta_class; /* NULL: "" expected */
	unsigned flags;
};

static const struct fixture fixtures[] = {
	{ "tests/data/p10-evrle.dcm", 0, PART10_FILE, TS_UID_ExplicitVRLittleEndian, SC, 0 },
	{ "tests/data/p10-ivrle.dcm", 0, PART10_FILE, TS_UID_ImplicitVRLittleEndian, SC, 0 },
	{ "tests/data/p10-evrbe.dcm", 0, PART10_FILE, TS_UID_ExplicitVRBigEndian, SC, 0 },
	{ "tests/data/p10-deflated.dcm", 0, PART10_FILE, TS_UID_DeflatedExplicitVRLittleEndian, SC, 0 },
	{ "tests/data/p10-evrle-undef-seq.dcm", 0, PART10_FILE, TS_UID_ExplicitVRLittleEndian, SC, 0 },
	{ "tests/data/p10-ivrle-undef-seq.dcm", 0, PART10_FILE, TS_UID_ImplicitVRLittleEndian, SC, 0 },
	{ "tests/data/p10-class-mismatch.dcm", 0, PART10_FILE, TS_UID_ExplicitVRLittleEndian, CT,
	    PART10_F_CLASS_MISMATCH },
	{ "tests/data/bare-ivrle.dcm", 0, PART10_BARE, TS_UID_ImplicitVRLittleEndian, NULL, 0 },
	{ "tests/data/bare-evrle.dcm", 0, PART10_BARE, TS_UID_ExplicitVRLittleEndian, NULL, 0 },
	{ "tests/data/p10-truncated-meta.dcm", CS_E_TRUNCATED, 0, NULL, NULL, 0 },
	{ "tests/data/p10-truncated-element.dcm", CS_E_TRUNCATED, 0, NULL, NULL, 0 },
	{ "tests/data/not-dicom.txt", CS_E_NOTDICOM, 0, NULL, NULL, 0 },
	{ "tests/data/no-such-file.dcm", CS_E_IO, 0, NULL, NULL, 0 },
	{ "tests/data", CS_E_IO, 0, NULL, NULL, 0 },
};

static void
check_fixture(const struct fixture *fx, int rc, const struct part10_info *in,
    const struct cs_err *err, unsigned opts)
{
	ck_assert_msg(rc == fx->rc, "%s: rc %d (%s), want %d", fx->path, rc,
	    err->msg, fx->rc);
	if (rc < 0) {
		ck_assert_int_eq(err->code, rc);
		ck_assert_msg(err->msg[0] != '\0', "%s: no message", fx->path);
		return;
	}
	ck_assert_int_eq(in->kind, fx->kind);
	ck_assert_str_eq(in->ts_uid, fx->ts);
	ck_assert_str_eq(in->sop_class, SC);
	ck_assert_str_eq(in->sop_instance, INST);
	ck_assert_str_eq(in->meta_sop_class, fx->meta_class ? fx->meta_class : "");
	ck_assert_uint_eq(in->flags & ~PART10_F_VERIFIED, fx->flags);
	if ((opts & PART10_O_VERIFY) && strcmp(fx->ts, TS_UID_DeflatedExplicitVRLittleEndian) != 0)
		ck_assert(in->flags & PART10_F_VERIFIED);
	ck_assert_uint_eq(in->dataset_offset + in->dataset_length, in->file_size);
	if (fx->kind == PART10_BARE) {
		ck_assert_uint_eq(in->dataset_offset, 0);
		ck_assert_str_eq(in->impl_class_uid, "");
	} else {
		ck_assert_uint_eq(in->meta_offset, 132);
		ck_assert_str_eq(in->meta_sop_instance, INST);
		ck_assert_str_eq(in->impl_class_uid, DCMTK_IMPL);
		ck_assert_str_eq(in->impl_version, "OFFIS_DCMTK_367");
	}
}

START_TEST(probe_path_classifies_every_fixture)
{
	const struct fixture *fx = &fixtures[_i];
	struct part10_info info;
	struct cs_err err = { 0, "" };
	unsigned opts;

	for (opts = 0; opts <= PART10_O_VERIFY; opts++) {
		cs_err_clear(&err);
		check_fixture(fx, part10_probe_path(fx->path, opts, &info, &err),
		    &info, &err, opts);
	}
	if (fx->rc == CS_E_IO && strstr(fx->path, "no-such") != NULL)
		ck_assert_ptr_nonnull(strstr(err.msg, "No such file"));
}
END_TEST

START_TEST(probe_mem_agrees_with_probe_path)
{
	const struct fixture *fx = &fixtures[_i];
	struct part10_info a, b;
	struct cs_err err = { 0, "" };
	uint8_t *buf;
	size_t len;

	if (fx->rc == CS_E_IO)
		return;
	buf = slurp(fx->path, &len);
	check_fixture(fx, part10_probe_mem(buf, len, 0, &a, &err), &a, &err, 0);
	cs_err_clear(&err);
	part10_probe_path(fx->path, 0, &b, &err);
	ck_assert_int_eq(memcmp(&a, &b, sizeof(a)), 0);
	free(buf);
}
END_TEST

START_TEST(dataset_offset_is_after_group_length)
{
	static const char *const files[] = { "tests/data/p10-evrle.dcm",
		"tests/data/p10-ivrle.dcm", "tests/data/p10-deflated.dcm" };
	struct part10_info info;
	struct cs_err err = { 0, "" };
	uint8_t *buf;
	size_t len, i;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		buf = slurp(files[i], &len);
		/* (0002,0000) UL at 132: 8-byte header, value at 140 */
		ck_assert_int_eq(memcmp(buf + 132, "\x02\0\0\0UL\x04\0", 8), 0);
		ck_assert_int_eq(part10_probe_mem(buf, len, 0, &info, &err), 0);
		ck_assert_uint_eq(info.dataset_offset,
		    144 + (uint32_t)(buf[140] | buf[141] << 8 | buf[142] << 16 |
		    (uint32_t)buf[143] << 24));
		ck_assert_uint_eq(info.dataset_length, len - info.dataset_offset);
		free(buf);
	}
}
END_TEST

START_TEST(probe_fd_leaves_the_offset_alone)
{
	struct part10_info info;
	struct cs_err err = { 0, "" };
	int fd = open("tests/data/p10-ivrle.dcm", O_RDONLY);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(lseek(fd, 7, SEEK_SET), 7);
	ck_assert_int_eq(part10_probe_fd(fd, PART10_O_VERIFY, &info, &err), 0);
	ck_assert_int_eq(lseek(fd, 0, SEEK_CUR), 7);
	ck_assert_str_eq(info.sop_instance, INST);
	close(fd);
}
END_TEST

/* Through the caller's window: a file read in one go is there whole
 * after the probe (the sender keeps it); a deflated one is not (the
 * window held what was inflated). */
START_TEST(probe_fd_keep_leaves_the_first_read_in_the_window)
{
	static const struct {
		const char *path;
		int whole;
	} cases[] = {
		{ "tests/data/p10-evrle.dcm", 1 },
		{ "tests/data/bare-ivrle.dcm", 1 },
		{ "tests/data/p10-deflated.dcm", 0 },
	};
	struct part10_info info;
	struct cs_err err = { 0, "" };
	static uint8_t win[PART10_WIN];
	size_t i, kept, len;
	struct stat st;
	uint8_t *b;
	int fd;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fd = open(cases[i].path, O_RDONLY);
		ck_assert_int_ge(fd, 0);
		ck_assert_int_eq(fstat(fd, &st), 0);
		ck_assert_int_lt(st.st_size, PART10_WIN);
		memset(win, 0xa5, sizeof(win));
		kept = 12345;
		ck_assert_int_eq(part10_probe_fd_keep(fd, (uint64_t)st.st_size,
		    PART10_O_VERIFY, &info, win, &kept, &err), 0);
		close(fd);
		ck_assert_str_eq(info.sop_instance, INST);
		if (!cases[i].whole) {
			ck_assert_uint_eq(kept, 0);
			continue;
		}
		b = slurp(cases[i].path, &len);
		ck_assert_uint_eq(kept, len);
		ck_assert(memcmp(win, b, len) == 0);
		free(b);
	}
}
END_TEST

/* Cutting a file anywhere gives an error or a consistent result, never a crash. */
START_TEST(every_truncation_is_an_error_or_consistent)
{
	static const char *const files[] = { "tests/data/p10-evrle.dcm",
		"tests/data/p10-ivrle.dcm", "tests/data/p10-evrbe.dcm",
		"tests/data/p10-evrle-undef-seq.dcm",
		"tests/data/p10-ivrle-undef-seq.dcm", "tests/data/bare-ivrle.dcm",
		"tests/data/bare-evrle.dcm", "tests/data/p10-deflated.dcm" };
	struct part10_info full, info;
	struct cs_err err;
	uint8_t *buf, *cut;
	size_t len, n, i;
	int rc;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		buf = slurp(files[i], &len);
		ck_assert_int_eq(part10_probe_mem(buf, len, PART10_O_VERIFY,
		    &full, NULL), 0);
		for (n = 0; n < len; n++) {
			/* an exact-size copy, so ASan sees any over-read */
			cut = malloc(n ? n : 1);
			memcpy(cut, buf, n);
			cs_err_clear(&err);
			rc = part10_probe_mem(cut, n, PART10_O_VERIFY, &info, &err);
			free(cut);
			if (full.kind == PART10_FILE && n <= 128) {
				ck_assert_int_eq(rc, CS_E_NOTDICOM);
			} else if (full.kind == PART10_FILE &&
			    n < full.dataset_offset) {
				ck_assert_msg(rc == CS_E_TRUNCATED,
				    "%s cut at %zu: rc %d %s", files[i], n, rc, err.msg);
			} else if (n >= len - 16 &&
			    strcmp(full.ts_uid, TS_UID_DeflatedExplicitVRLittleEndian) != 0) {
				/* inside the 16-byte pixel data value */
				ck_assert_msg(rc == CS_E_TRUNCATED,
				    "%s cut at %zu: rc %d", files[i], n, rc);
			} else if (rc == 0) {
				ck_assert_str_eq(info.sop_instance, full.sop_instance);
				ck_assert_str_eq(info.sop_class, full.sop_class);
			} else {
				ck_assert_msg(rc == CS_E_TRUNCATED ||
				    rc == CS_E_NOTDICOM, "%s cut at %zu: rc %d",
				    files[i], n, rc);
				ck_assert_int_eq(err.code, rc);
			}
		}
		free(buf);
	}
}
END_TEST

/* Builds a bare Implicit VR LE dataset by hand. */
static void
ivr(struct wr *w, uint16_t g, uint16_t e, uint32_t len, const char *val)
{
	wr_le16(w, g);
	wr_le16(w, e);
	wr_le32(w, len);
	if (val != NULL)
		wr_bytes(w, val, strlen(val));
}

static int
probe_wr(struct wr *w, unsigned opts, struct part10_info *info,
    struct cs_err *err)
{
	ck_assert_int_eq(w->err, 0);
	cs_err_clear(err);
	return part10_probe_mem(w->p, w->len, opts, info, err);
}

/* A group length among the top-level elements walked is flagged: the
 * sender says a conversion will drop it (--dry-run). */
START_TEST(top_level_group_length_is_flagged_when_walked)
{
	struct part10_info info;
	struct cs_err err;
	struct wr w;

	wr_init(&w, 4096);
	ivr(&w, 0x0008, 0x0016, 8, "1.2.3.44");
	ivr(&w, 0x0008, 0x0018, 6, "1.2.56");
	ivr(&w, 0x0010, 0x0000, 4, NULL);
	wr_le32(&w, 12);
	ivr(&w, 0x0010, 0x0010, 4, "A^B ");
	ck_assert_msg(probe_wr(&w, PART10_O_VERIFY, &info, &err) == 0, "%s", err.msg);
	ck_assert_uint_ne(info.flags & PART10_F_DS_GROUP_LENGTH, 0);
	/* not walked that far */
	ck_assert_int_eq(probe_wr(&w, 0, &info, &err), 0);
	ck_assert_uint_eq(info.flags & PART10_F_DS_GROUP_LENGTH, 0);
	/* none there */
	wr_reset(&w);
	ivr(&w, 0x0008, 0x0016, 8, "1.2.3.44");
	ivr(&w, 0x0008, 0x0018, 6, "1.2.56");
	ivr(&w, 0x0010, 0x0010, 4, "A^B ");
	ck_assert_int_eq(probe_wr(&w, PART10_O_VERIFY, &info, &err), 0);
	ck_assert_uint_eq(info.flags & PART10_F_DS_GROUP_LENGTH, 0);
	wr_release(&w);
}
END_TEST

START_TEST(hostile_lengths_are_errors)
{
	struct part10_info info;
	struct cs_err err;
	struct wr w;
	int i;

	wr_init(&w, 1 << 20);
	/* a value announcing far more bytes than the file has */
	ivr(&w, 0x0008, 0x0005, 0xfffffff0u, NULL);
	ck_assert_int_eq(probe_wr(&w, 0, &info, &err), CS_E_TRUNCATED);
	ck_assert_ptr_nonnull(strstr(err.msg, "(0008,0005)"));

	/* a SOP Class UID of undefined length */
	wr_reset(&w);
	ivr(&w, 0x0008, 0x0016, 0xffffffffu, NULL);
	ck_assert_int_eq(probe_wr(&w, 0, &info, &err), CS_E_NOTDICOM);

	/* a 200-byte UID */
	wr_reset(&w);
	ivr(&w, 0x0008, 0x0016, 200, NULL);
	wr_fill(&w, '1', 200);
	ck_assert_int_eq(probe_wr(&w, 0, &info, &err), CS_E_NOTDICOM);
	ck_assert_ptr_nonnull(strstr(err.msg, "more than 64"));

	/* a UID with a control byte */
	wr_reset(&w);
	ivr(&w, 0x0008, 0x0016, 4, "1\n.2");
	ck_assert_int_eq(probe_wr(&w, 0, &info, &err), CS_E_NOTDICOM);

	/* 129 nested undefined-length sequences: 258 levels */
	wr_reset(&w);
	ivr(&w, 0x0008, 0x0005, 0, NULL);
	for (i = 0; i < 129; i++) {
		ivr(&w, 0x0008, 0x0006, 0xffffffffu, NULL);
		ivr(&w, 0xfffe, 0xe000, 0xffffffffu, NULL);
	}
	ck_assert_int_eq(probe_wr(&w, 0, &info, &err), CS_E_TOOBIG);

	/* a sequence that never ends */
	wr_reset(&w);
	ivr(&w, 0x0008, 0x0006, 0xffffffffu, NULL);
	ivr(&w, 0xfffe, 0xe000, 4, "abcd");
	ck_assert_int_eq(probe_wr(&w, 0, &info, &err), CS_E_TRUNCATED);

	/* an item whose length runs past the end */
	wr_reset(&w);
	ivr(&w, 0x0008, 0x0006, 0xffffffffu, NULL);
	ivr(&w, 0xfffe, 0xe000, 0x7fffffffu, NULL);
	ck_assert_int_eq(probe_wr(&w, 0, &info, &err), CS_E_TRUNCATED);

	/* something else than an item inside a sequence */
	wr_reset(&w);
	ivr(&w, 0x0008, 0x0006, 0xffffffffu, NULL);
	ivr(&w, 0x0008, 0x0100, 0, NULL);
	ck_assert_int_eq(probe_wr(&w, 0, &info, &err), CS_E_NOTDICOM);

	/* no SOP Class UID at all */
	wr_reset(&w);
	ivr(&w, 0x0008, 0x0018, 4, "1.23");
	ivr(&w, 0x0010, 0x0010, 0, NULL);
	ck_assert_int_eq(probe_wr(&w, 0, &info, &err), CS_E_NOTDICOM);
	ck_assert_ptr_nonnull(strstr(err.msg, "SOP Class UID"));

	/* but both UIDs, odd-padded with NUL and space, are fine */
	wr_reset(&w);
	ivr(&w, 0x0008, 0x0016, 6, "1.2.3");
	wr_u8(&w, 0);
	ivr(&w, 0x0008, 0x0018, 6, "1.2.4 ");
	ck_assert_int_eq(probe_wr(&w, PART10_O_VERIFY, &info, &err), 0);
	ck_assert_str_eq(info.sop_class, "1.2.3");
	ck_assert_str_eq(info.sop_instance, "1.2.4");
	ck_assert_str_eq(info.ts_uid, TS_UID_ImplicitVRLittleEndian);
	wr_release(&w);
}
END_TEST

START_TEST(what_real_writers_make_is_verified)
{
	/* Explicit VR LE: the UIDs (odd lengths, unpadded), a VR of a later
	 * edition with 2 reserved bytes and a 32-bit length, a UN sequence
	 * of undefined length holding an Implicit VR LE item, an empty
	 * sequence; walked to the end with PART10_O_VERIFY */
	static const uint8_t ds[] = {
		0x08, 0, 0x16, 0, 'U', 'I', 5, 0, '1', '.', '2', '.', '3',
		0x08, 0, 0x18, 0, 'U', 'I', 3, 0, '4', '.', '5',
		0x09, 0, 0x10, 0, 'L', 'O', 4, 0, 'A', 'C', 'M', 'E',
		0x09, 0, 0x01, 0x10, 'Z', 'Z', 0, 0, 3, 0, 0, 0, 1, 2, 3,
		0x09, 0, 0x02, 0x10, 'U', 'N', 0, 0, 0xff, 0xff, 0xff, 0xff,
		0xfe, 0xff, 0x00, 0xe0, 0xff, 0xff, 0xff, 0xff,
		0x10, 0, 0x20, 0, 2, 0, 0, 0, 'I', 'D',
		0xfe, 0xff, 0x0d, 0xe0, 0, 0, 0, 0,
		0xfe, 0xff, 0xdd, 0xe0, 0, 0, 0, 0,
		0x09, 0, 0x03, 0x10, 'S', 'Q', 0, 0, 0xff, 0xff, 0xff, 0xff,
		0xfe, 0xff, 0xdd, 0xe0, 0, 0, 0, 0,
		0x10, 0, 0x10, 0, 'P', 'N', 0, 0 };
	struct part10_info info;
	struct cs_err err = { 0, "" };

	ck_assert_int_eq(part10_probe_mem(ds, sizeof(ds), PART10_O_VERIFY,
	    &info, &err), 0);
	ck_assert_str_eq(info.ts_uid, TS_UID_ExplicitVRLittleEndian);
	ck_assert_str_eq(info.sop_class, "1.2.3");
	ck_assert_str_eq(info.sop_instance, "4.5");
	ck_assert_uint_ne(info.flags & PART10_F_VERIFIED, 0);
	/* one byte less: the last header is cut */
	ck_assert_int_eq(part10_probe_mem(ds, sizeof(ds) - 1, PART10_O_VERIFY,
	    &info, &err), CS_E_TRUNCATED);
}
END_TEST

START_TEST(un_sequence_with_explicit_items_is_verified)
{
	/* before CP-246, writers kept Explicit VR LE inside a UN sequence:
	 * the UT's 32-bit length would be misread as Implicit VR */
	static const uint8_t ds[] = {
		0x08, 0, 0x16, 0, 'U', 'I', 6, 0, '1', '.', '2', '.', '3', 0,
		0x08, 0, 0x18, 0, 'U', 'I', 4, 0, '4', '.', '5', 0,
		0x09, 0, 0x01, 0x10, 'U', 'N', 0, 0, 0xff, 0xff, 0xff, 0xff,
		0xfe, 0xff, 0x00, 0xe0, 0xff, 0xff, 0xff, 0xff,
		0x09, 0, 0x02, 0x10, 'U', 'T', 0, 0, 4, 0, 0, 0, 'a', 'b', 'c', 'd',
		0xfe, 0xff, 0x0d, 0xe0, 0, 0, 0, 0,
		0xfe, 0xff, 0xdd, 0xe0, 0, 0, 0, 0,
		0x10, 0, 0x10, 0, 'P', 'N', 0, 0 };
	struct part10_info info;
	struct cs_err err = { 0, "" };

	ck_assert_msg(part10_probe_mem(ds, sizeof(ds), PART10_O_VERIFY,
	    &info, &err) == 0, "%s", err.msg);
	ck_assert_uint_ne(info.flags & PART10_F_VERIFIED, 0);
}
END_TEST

START_TEST(explicit_vr_errors_are_reported)
{
	static const uint8_t bad_vr[] = { 0x08, 0, 0x16, 0, 'U', 'I', 2, 0, '1',
		0, 0x08, 0, 0x18, 0, 'z', 'z', 2, 0, '1', 0 };
	static const uint8_t undef_cs[] = { 0x08, 0, 0x05, 0, 'O', 'F', 0, 0,
		0xff, 0xff, 0xff, 0xff };
	struct part10_info info;
	struct cs_err err = { 0, "" };

	ck_assert_int_eq(part10_probe_mem(bad_vr, sizeof(bad_vr), 0, &info,
	    &err), CS_E_NOTDICOM);
	ck_assert_ptr_nonnull(strstr(err.msg, "invalid VR"));
	cs_err_clear(&err);
	ck_assert_int_eq(part10_probe_mem(undef_cs, sizeof(undef_cs), 0, &info,
	    &err), CS_E_NOTDICOM);
	ck_assert_ptr_nonnull(strstr(err.msg, "undefined length for VR OF"));
	cs_err_clear(&err);
	ck_assert_int_eq(part10_probe_mem(NULL, 0, 0, &info, &err),
	    CS_E_NOTDICOM);
	ck_assert_str_eq(err.msg, "empty file");
}
END_TEST

static void
meta_and_dataset(struct wr *w, const char *ts, const char *cls,
    const char *inst)
{
	struct cs_err err = { 0, "" };

	ck_assert_int_gt(part10_write_meta(w, cls, inst, ts, CS_IMPL_CLASS_UID,
	    CS_IMPL_VERSION, "STORESCU", &err), 0);
	/* Explicit VR LE dataset: (0008,0016) and (0008,0018) */
	wr_bytes(w, "\x08\0\x16\0UI", 6);
	wr_le16(w, (uint16_t)(strlen(cls) + (strlen(cls) & 1)));
	wr_bytes(w, cls, strlen(cls));
	if (strlen(cls) & 1)
		wr_u8(w, 0);
	wr_bytes(w, "\x08\0\x18\0UI", 6);
	wr_le16(w, (uint16_t)(strlen(inst) + (strlen(inst) & 1)));
	wr_bytes(w, inst, strlen(inst));
	if (strlen(inst) & 1)
		wr_u8(w, 0);
}

START_TEST(written_meta_parses_back)
{
	struct part10_info info;
	struct cs_err err = { 0, "" };
	struct wr w;
	int n;

	wr_init(&w, 4096);
	n = part10_write_meta(&w, SC, "1.2.3", TS_UID_ExplicitVRLittleEndian,
	    CS_IMPL_CLASS_UID, CS_IMPL_VERSION, "ABC", &err);
	ck_assert_int_eq(n, (int)w.len);
	/* version 00\01, odd UID padded with NUL, odd AE with a space */
	ck_assert_int_eq(memcmp(w.p + 144, "\x02\0\x01\0OB\0\0\x02\0\0\0\0\x01", 14), 0);
	ck_assert_ptr_nonnull(memmem(w.p, w.len, "\x02\0\x03\0UI\x06\0" "1.2.3\0", 14));
	ck_assert_ptr_nonnull(memmem(w.p, w.len, "\x02\0\x16\0AE\x04\0" "ABC ", 12));
	ck_assert_ptr_nonnull(memmem(w.p, w.len, "\x02\0\x13\0SH\x0a\0" CS_IMPL_VERSION, 18));

	wr_reset(&w);
	meta_and_dataset(&w, TS_UID_ExplicitVRLittleEndian, SC, INST);
	ck_assert_int_eq(part10_probe_mem(w.p, w.len, PART10_O_VERIFY, &info,
	    &err), 0);
	ck_assert_int_eq(info.kind, PART10_FILE);
	ck_assert_uint_eq(info.flags, PART10_F_VERIFIED); /* group length right */
	ck_assert_str_eq(info.meta_sop_class, SC);
	ck_assert_str_eq(info.meta_sop_instance, INST);
	ck_assert_str_eq(info.sop_class, SC);
	ck_assert_str_eq(info.ts_uid, TS_UID_ExplicitVRLittleEndian);
	ck_assert_str_eq(info.impl_class_uid, CS_IMPL_CLASS_UID);
	ck_assert_str_eq(info.impl_version, CS_IMPL_VERSION);
	ck_assert_str_eq(info.source_ae, "STORESCU");
	ck_assert_uint_eq(info.dataset_length, 26 + 8 + 38 + 8);
	wr_release(&w);
}
END_TEST

/* META_ONLY: the meta's UIDs, the data set unread (here: garbage). */
START_TEST(meta_only_does_not_read_the_dataset)
{
	struct part10_info info;
	struct cs_err err = { 0, "" };
	struct wr w;

	wr_init(&w, 4096);
	ck_assert_int_gt(part10_write_meta(&w, SC, "1.2.03.4", TS_UID_ExplicitVRLittleEndian,
	    CS_IMPL_CLASS_UID, NULL, NULL, &err), 0);
	wr_bytes(&w, "\xff\xff\xff\xff\xff\xff\xff\xff", 8);
	ck_assert_int_eq(part10_probe_mem(w.p, w.len, PART10_O_META_ONLY,
	    &info, NULL), 0);
	ck_assert_str_eq(info.sop_instance, "1.2.03.4");
	ck_assert_str_eq(info.meta_sop_instance, "1.2.03.4");
	ck_assert_str_eq(info.sop_class, SC);
	ck_assert_uint_eq(info.dataset_length, 8);
	wr_release(&w);
}
END_TEST

START_TEST(meta_writer_rejects_bad_arguments)
{
	static const char uid65[] =
	    "1.2345678901234567890123456789012345678901234567890123456789012345";
	struct cs_err err = { 0, "" };
	struct wr w;

	wr_init(&w, 4096);
	ck_assert_int_eq(part10_write_meta(&w, "1.2.a", INST, TS_UID_ExplicitVRLittleEndian,
	    CS_IMPL_CLASS_UID, NULL, NULL, &err), CS_E_INVAL);
	ck_assert_int_eq(part10_write_meta(&w, SC, uid65, TS_UID_ExplicitVRLittleEndian,
	    CS_IMPL_CLASS_UID, NULL, NULL, NULL), CS_E_INVAL);
	ck_assert_int_eq(part10_write_meta(&w, SC, "", TS_UID_ExplicitVRLittleEndian,
	    CS_IMPL_CLASS_UID, NULL, NULL, NULL), CS_E_INVAL);
	ck_assert_int_eq(part10_write_meta(&w, SC, INST, TS_UID_ExplicitVRLittleEndian,
	    CS_IMPL_CLASS_UID, NULL, "A\\B", NULL), CS_E_INVAL);
	ck_assert_int_eq(part10_write_meta(&w, SC, INST, TS_UID_ExplicitVRLittleEndian,
	    CS_IMPL_CLASS_UID, "12345678901234567", NULL, NULL), CS_E_INVAL);
	ck_assert_uint_eq(w.len, 0);
	/* optional elements left out */
	ck_assert_int_gt(part10_write_meta(&w, SC, INST, TS_UID_ExplicitVRLittleEndian,
	    CS_IMPL_CLASS_UID, NULL, "", NULL), 0);
	ck_assert_ptr_null(memmem(w.p, w.len, "\x02\0\x16\0", 4));
	ck_assert_ptr_null(memmem(w.p, w.len, "\x02\0\x13\0", 4));
	wr_release(&w);

	/* a writer too small for the header */
	wr_init(&w, 100);
	cs_err_clear(&err);
	ck_assert_int_eq(part10_write_meta(&w, SC, INST, TS_UID_ExplicitVRLittleEndian,
	    CS_IMPL_CLASS_UID, NULL, NULL, &err), CS_E_TOOBIG);
	ck_assert_int_eq(err.code, CS_E_TOOBIG);
	wr_release(&w);
}
END_TEST

START_TEST(written_meta_is_read_by_dcmdump)
{
	char path[] = "/tmp/t_part10_XXXXXX", cmd[256], line[512];
	struct wr w;
	FILE *p;
	int fd, found = 0;

	if (access("/usr/bin/dcmdump", X_OK) != 0)
		return; /* DCMTK absent: covered by written_meta_parses_back */
	wr_init(&w, 4096);
	meta_and_dataset(&w, TS_UID_ExplicitVRLittleEndian, CT, INST);
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, w.p, w.len), (ssize_t)w.len);
	close(fd);
	snprintf(cmd, sizeof(cmd), "/usr/bin/dcmdump -q +E %s 2>&1", path);
	p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	while (fgets(line, sizeof(line), p) != NULL) {
		ck_assert_msg(strstr(line, "W:") != line && strstr(line, "E:") != line,
		    "dcmdump: %s", line);
		if (strstr(line, "(0002,0016) AE [STORESCU]") != NULL ||
		    strstr(line, "(0002,0000) UL 208") != NULL ||
		    strstr(line, "(0008,0016) UI =CTImageStorage") != NULL ||
		    strstr(line, "(0002,0013) SH [" CS_IMPL_VERSION "]") != NULL)
			found++;
	}
	ck_assert_int_eq(pclose(p), 0);
	unlink(path);
	ck_assert_int_eq(found, 4);
	wr_release(&w);
}
END_TEST

/* Deflates an Explicit VR LE dataset: (0008,0001) OB of pad zero bytes, then the UIDs. */
static void
deflated_after(struct wr *w, size_t pad)
{
	static uint8_t zeros[1 << 16];
	struct cs_err err = { 0, "" };
	uint8_t hdr[12] = { 0x08, 0, 0x01, 0, 'O', 'B', 0, 0 };
	uint8_t *out;
	size_t cap = (1 << 20) + pad / 100, left;
	z_stream z;

	ck_assert_int_gt(part10_write_meta(w, SC, INST, TS_UID_DeflatedExplicitVRLittleEndian,
	    CS_IMPL_CLASS_UID, NULL, NULL, &err), 0);
	memset(&z, 0, sizeof(z));
	ck_assert_int_eq(deflateInit2(&z, 9, Z_DEFLATED, -15, 9,
	    Z_DEFAULT_STRATEGY), Z_OK);
	out = malloc(cap);
	z.next_out = out;
	z.avail_out = (uInt)cap;
	hdr[8] = (uint8_t)pad;
	hdr[9] = (uint8_t)(pad >> 8);
	hdr[10] = (uint8_t)(pad >> 16);
	hdr[11] = (uint8_t)(pad >> 24);
	z.next_in = hdr;
	z.avail_in = sizeof(hdr);
	ck_assert_int_eq(deflate(&z, Z_NO_FLUSH), Z_OK);
	for (left = pad; left > 0;) {
		size_t n = left < sizeof(zeros) ? left : sizeof(zeros);

		z.next_in = zeros;
		z.avail_in = (uInt)n;
		ck_assert_int_eq(deflate(&z, Z_NO_FLUSH), Z_OK);
		left -= n;
	}
	z.next_in = (uint8_t *)"\x08\0\x16\0UI\x1a\0" SC "\0"
	    "\x08\0\x18\0UI\x26\0" INST;
	z.avail_in = 8 + 26 + 8 + 38;
	ck_assert_int_eq(deflate(&z, Z_FINISH), Z_STREAM_END);
	wr_bytes(w, out, cap - z.avail_out);
	deflateEnd(&z);
	free(out);
}

/* UIDs after 1 MB of zeros: most output comes after the input is all read. */
/* meta's file's header followed by ds's file's data set, probed */
static int
probe_spliced(const char *meta, const char *ds, struct part10_info *info)
{
	struct part10_info a, b;
	struct cs_err err = { 0, "" };
	size_t na, nb;
	uint8_t *pa = slurp(meta, &na), *pb = slurp(ds, &nb), *buf;
	int rc;

	ck_assert_int_eq(part10_probe_mem(pa, na, 0, &a, &err), 0);
	ck_assert_int_eq(part10_probe_mem(pb, nb, 0, &b, &err), 0);
	buf = malloc(a.dataset_offset + b.dataset_length);
	ck_assert_ptr_nonnull(buf);
	memcpy(buf, pa, a.dataset_offset);
	memcpy(buf + a.dataset_offset, pb + b.dataset_offset, b.dataset_length);
	rc = part10_probe_mem(buf, a.dataset_offset + b.dataset_length,
	    PART10_O_VERIFY, info, &err);
	free(buf);
	free(pa);
	free(pb);
	return rc;
}

START_TEST(ts_mismatch_gives_the_syntax_of_the_bytes)
{
	struct part10_info info;

	/* a native syntax: the other native one describes the bytes */
	ck_assert_int_eq(probe_spliced("tests/data/p10-ivrle.dcm",
	    "tests/data/p10-evrle.dcm", &info), 0);
	ck_assert_uint_eq(info.flags & (PART10_F_TS_MISMATCH | PART10_F_TS_NONE),
	    PART10_F_TS_MISMATCH);
	ck_assert_str_eq(info.ts_uid, TS_UID_ExplicitVRLittleEndian);
	ck_assert_str_eq(info.meta_ts_uid, TS_UID_ImplicitVRLittleEndian);
	ck_assert_str_eq(info.sop_instance, INST);
	ck_assert_int_eq(probe_spliced("tests/data/p10-evrle.dcm",
	    "tests/data/p10-ivrle.dcm", &info), 0);
	ck_assert_str_eq(info.ts_uid, TS_UID_ImplicitVRLittleEndian);
	ck_assert(!(info.flags & PART10_F_TS_NONE));
	/* Implicit VR under JPEG Baseline (must be Explicit): none does */
	ck_assert_int_eq(probe_spliced("tests/data/img8-jpeg-baseline.dcm",
	    "tests/data/p10-ivrle.dcm", &info), 0);
	ck_assert_uint_eq(info.flags & (PART10_F_TS_MISMATCH | PART10_F_TS_NONE),
	    PART10_F_TS_MISMATCH | PART10_F_TS_NONE);
	ck_assert_str_eq(info.ts_uid, TS_UID_JPEGBaseline8Bit);
	ck_assert_str_eq(info.meta_ts_uid, TS_UID_JPEGBaseline8Bit);
	/* no mismatch: the meta's, and no flag */
	ck_assert_int_eq(probe_spliced("tests/data/p10-ivrle.dcm",
	    "tests/data/p10-ivrle.dcm", &info), 0);
	ck_assert_uint_eq(info.flags & (PART10_F_TS_MISMATCH | PART10_F_TS_NONE), 0);
	ck_assert_str_eq(info.ts_uid, TS_UID_ImplicitVRLittleEndian);
}
END_TEST

/* One Implicit VR LE element of group 0002 at p; returns its size. */
static size_t
put_ivr_meta(uint8_t *p, uint16_t elem, const char *v, uint32_t n)
{
	p[0] = 0x02, p[1] = 0x00;
	p[2] = (uint8_t)elem, p[3] = (uint8_t)(elem >> 8);
	p[4] = (uint8_t)n, p[5] = (uint8_t)(n >> 8);
	p[6] = (uint8_t)(n >> 16), p[7] = (uint8_t)(n >> 24);
	memcpy(p + 8, v, n);
	return 8 + n;
}

/* Old writers put the meta in Implicit VR LE (PS3.10 wants Explicit);
 * DCMTK and GDCM read such files, and so must we. */
START_TEST(meta_in_implicit_vr_is_read)
{
	struct part10_info ref, info;
	struct cs_err err = { 0, "" };
	size_t n, len = 132 + 12, gl;
	uint8_t *f = slurp("tests/data/p10-evrle.dcm", &n), *buf;

	ck_assert_int_eq(part10_probe_mem(f, n, 0, &ref, &err), 0);
	buf = calloc(1, 1024 + ref.dataset_length);
	ck_assert_ptr_nonnull(buf);
	memcpy(buf + 128, "DICM", 4);
	len += put_ivr_meta(buf + len, 0x0001, "\0\1", 2);
	len += put_ivr_meta(buf + len, 0x0002, SC "\0", 26);
	len += put_ivr_meta(buf + len, 0x0003, INST, 38);
	len += put_ivr_meta(buf + len, 0x0010, TS_UID_ExplicitVRLittleEndian "\0", 20);
	gl = len - (132 + 12);
	put_ivr_meta(buf + 132, 0x0000, "\0\0\0\0", 4);
	buf[140] = (uint8_t)gl;
	memcpy(buf + len, f + ref.dataset_offset, ref.dataset_length);
	ck_assert_int_eq(part10_probe_mem(buf, len + ref.dataset_length,
	    PART10_O_VERIFY, &info, &err), 0);
	ck_assert_int_eq(info.kind, PART10_FILE);
	ck_assert_uint_eq(info.dataset_offset, len);
	ck_assert_uint_eq(info.dataset_length, ref.dataset_length);
	ck_assert_str_eq(info.meta_ts_uid, TS_UID_ExplicitVRLittleEndian);
	ck_assert_str_eq(info.ts_uid, TS_UID_ExplicitVRLittleEndian);
	ck_assert_str_eq(info.meta_sop_instance, INST);
	ck_assert_str_eq(info.sop_instance, INST);
	ck_assert_str_eq(info.sop_class, SC);
	ck_assert_uint_eq(info.flags & (PART10_F_TS_MISMATCH |
	    PART10_F_CLASS_MISMATCH | PART10_F_GROUP_LENGTH), 0);
	free(buf);
	free(f);
}
END_TEST

/* One Explicit VR LE element of group 0002 with a 16-bit length at p;
 * returns its size. */
static size_t
put_evr_meta(uint8_t *p, uint16_t elem, const char *vr, const char *v,
    uint16_t n)
{
	p[0] = 0x02, p[1] = 0x00;
	p[2] = (uint8_t)elem, p[3] = (uint8_t)(elem >> 8);
	p[4] = (uint8_t)vr[0], p[5] = (uint8_t)vr[1];
	p[6] = (uint8_t)n, p[7] = (uint8_t)(n >> 8);
	memcpy(p + 8, v, n);
	return 8 + n;
}

/* One Explicit VR BE element of group 0002 with a 16-bit length at p;
 * returns its size. */
static size_t
put_evr_be_meta(uint8_t *p, uint16_t elem, const char *vr, const char *v,
    uint16_t n)
{
	p[0] = 0x00, p[1] = 0x02;
	p[2] = (uint8_t)(elem >> 8), p[3] = (uint8_t)elem;
	p[4] = (uint8_t)vr[0], p[5] = (uint8_t)vr[1];
	p[6] = (uint8_t)(n >> 8), p[7] = (uint8_t)n;
	memcpy(p + 8, v, n);
	return 8 + n;
}

/* Old writers put the meta of a Big Endian file in Explicit VR BE
 * (PS3.10 wants LE); DCMTK reads such files ("Used TransferSyntax: Big
 * Endian Explicit" for the meta), and so must we: the group length read
 * big-endian, the data set where the group ends. */
START_TEST(meta_in_big_endian_is_read)
{
	struct part10_info ref, info;
	struct cs_err err = { 0, "" };
	size_t n, len = 132 + 12, gl;
	uint8_t *f = slurp("tests/data/p10-evrbe.dcm", &n), *buf;

	ck_assert_int_eq(part10_probe_mem(f, n, 0, &ref, &err), 0);
	ck_assert_str_eq(ref.ts_uid, TS_UID_ExplicitVRBigEndian);
	buf = calloc(1, 1024 + ref.dataset_length);
	ck_assert_ptr_nonnull(buf);
	memcpy(buf + 128, "DICM", 4);
	len += put_evr_be_meta(buf + len, 0x0002, "UI", SC "\0", 26);
	len += put_evr_be_meta(buf + len, 0x0003, "UI", INST, 38);
	len += put_evr_be_meta(
	    buf + len, 0x0010, "UI", TS_UID_ExplicitVRBigEndian "\0", 20);
	gl = len - (132 + 12);
	put_evr_be_meta(buf + 132, 0x0000, "UL", "\0\0\0\0", 4);
	buf[143] = (uint8_t)gl;
	memcpy(buf + len, f + ref.dataset_offset, ref.dataset_length);
	ck_assert_int_eq(part10_probe_mem(buf, len + ref.dataset_length,
	    PART10_O_VERIFY, &info, &err), 0);
	ck_assert_int_eq(info.kind, PART10_FILE);
	ck_assert_uint_eq(info.dataset_offset, len);
	ck_assert_uint_eq(info.dataset_length, ref.dataset_length);
	ck_assert_str_eq(info.meta_ts_uid, TS_UID_ExplicitVRBigEndian);
	ck_assert_str_eq(info.ts_uid, TS_UID_ExplicitVRBigEndian);
	ck_assert_str_eq(info.meta_sop_instance, INST);
	ck_assert_str_eq(info.sop_class, SC);
	ck_assert_uint_eq(info.flags & (PART10_F_TS_MISMATCH |
	    PART10_F_CLASS_MISMATCH | PART10_F_GROUP_LENGTH), 0);
	free(buf);
	free(f);
}
END_TEST

/* A writer that put its meta before a file's own (fo-dicom's GH1376.dcm:
 * JPEG Lossless, then an old meta saying Explicit VR LE): the first
 * group describes the data set, the second is neither taken nor part of
 * the data set. */
START_TEST(second_meta_group_is_skipped_not_taken)
{
	static const char other[] = "1.2.3.4.5.6.7.8.9";
	struct part10_info ref, info;
	struct cs_err err = { 0, "" };
	size_t n, len, start;
	uint8_t *f = slurp("tests/data/p10-evrle.dcm", &n), *buf;

	ck_assert_int_eq(part10_probe_mem(f, n, 0, &ref, &err), 0);
	buf = calloc(1, n + 256);
	ck_assert_ptr_nonnull(buf);
	memcpy(buf, f, ref.dataset_offset);
	start = len = ref.dataset_offset;
	len += put_evr_meta(buf + len, 0x0000, "UL", "\0\0\0\0", 4);
	len += put_evr_meta(buf + len, 0x0003, "UI", other, sizeof(other) - 1);
	len += put_evr_meta(buf + len, 0x0010, "UI",
	    TS_UID_ImplicitVRLittleEndian, sizeof(TS_UID_ImplicitVRLittleEndian));
	len += put_evr_meta(buf + len, 0x0016, "AE", "OLDWRITER ", 10);
	buf[start + 8] = (uint8_t)(len - start - 12);
	memcpy(buf + len, f + ref.dataset_offset, ref.dataset_length);
	ck_assert_int_eq(part10_probe_mem(buf, len + ref.dataset_length,
	    PART10_O_VERIFY, &info, &err), 0);
	ck_assert_uint_ne(info.flags & PART10_F_META_REPEATED, 0);
	ck_assert_uint_eq(info.flags & PART10_F_TS_MISMATCH, 0);
	ck_assert_uint_eq(info.dataset_offset, len);
	ck_assert_uint_eq(info.dataset_length, ref.dataset_length);
	ck_assert_str_eq(info.ts_uid, ref.ts_uid);
	ck_assert_str_eq(info.meta_sop_instance, ref.meta_sop_instance);
	ck_assert_str_eq(info.sop_instance, ref.sop_instance);
	ck_assert_str_eq(info.source_ae, ref.source_ae);
	ck_assert_uint_eq(ref.flags & PART10_F_META_REPEATED, 0);
	free(buf);
	free(f);
}
END_TEST

START_TEST(deflated_uids_after_a_large_element_are_found)
{
	struct part10_info info;
	struct cs_err err = { 0, "" };
	struct wr w;

	wr_init(&w, 1 << 22);
	deflated_after(&w, 1 << 20);
	ck_assert_uint_lt(w.len, 8192); /* compressed in one or two reads */
	ck_assert_int_eq(part10_probe_mem(w.p, w.len, 0, &info, &err), 0);
	ck_assert_str_eq(info.sop_class, SC);
	ck_assert_str_eq(info.sop_instance, INST);
	ck_assert_str_eq(info.ts_uid, TS_UID_DeflatedExplicitVRLittleEndian);
	wr_release(&w);
}
END_TEST

/*
 * A Deflated data set with elements after its UIDs, its stream whole
 * (n_out: its length in *out, the meta before it), for the cut tests.
 */
static void
deflated_with_tail(struct wr *w, size_t *meta_len)
{
	static const char ds[] = "\x08\0\x16\0UI\x1a\0" SC "\0"
	    "\x08\0\x18\0UI\x26\0" INST
	    "\x10\0\x10\0PN\x08\0Doe^John"
	    "\x10\0\x20\0LO\x06\0PAT-01"
	    "\x20\0\x0d\0UI\x06\0" "1.2.3\0";
	struct cs_err err = { 0, "" };
	uint8_t out[512];
	z_stream z;

	ck_assert_int_gt(part10_write_meta(w, SC, INST, TS_UID_DeflatedExplicitVRLittleEndian,
	    CS_IMPL_CLASS_UID, NULL, NULL, &err), 0);
	*meta_len = w->len;
	memset(&z, 0, sizeof(z));
	ck_assert_int_eq(deflateInit2(&z, 9, Z_DEFLATED, -15, 9,
	    Z_DEFAULT_STRATEGY), Z_OK);
	z.next_in = (uint8_t *)(uintptr_t)ds;
	z.avail_in = sizeof(ds) - 1;
	z.next_out = out;
	z.avail_out = sizeof(out);
	ck_assert_int_eq(deflate(&z, Z_FINISH), Z_STREAM_END);
	wr_bytes(w, out, sizeof(out) - z.avail_out);
	deflateEnd(&z);
}

/* Cut anywhere in its stream, a Deflated data set is truncated to a
 * verifying probe, as to the transcoder (xcode_inflate), even when the
 * UIDs come before the cut.  What follows its end is not its business
 * (pydicom's image_dfl.dcm has a gzip trailer there). */
START_TEST(deflated_stream_cut_short_is_truncated)
{
	struct part10_info info;
	struct cs_err err = { 0, "" };
	struct wr w;
	size_t meta, n, cut;

	wr_init(&w, 4096);
	deflated_with_tail(&w, &meta);
	n = w.len;
	ck_assert_int_eq(part10_probe_mem(w.p, n, PART10_O_VERIFY, &info, &err), 0);
	ck_assert(info.flags & PART10_F_VERIFIED);
	ck_assert_str_eq(info.sop_instance, INST);
	for (cut = meta + 1; cut < n; cut++) {
		cs_err_clear(&err);
		ck_assert_msg(part10_probe_mem(w.p, cut, PART10_O_VERIFY, &info,
				  &err) == CS_E_TRUNCATED,
		    "cut at %zu of %zu: %s", cut - meta, n - meta, err.msg);
		ck_assert_int_eq(err.code, CS_E_TRUNCATED);
	}
	/* near the end the UIDs are there: without verifying, found */
	ck_assert_int_eq(part10_probe_mem(w.p, n - 1, 0, &info, &err), 0);
	/* the pad byte of PS3.5 A.5, zeros or a trailer may follow */
	wr_bytes(&w, "\0\0xy", 4);
	ck_assert_int_eq(part10_probe_mem(w.p, w.len, PART10_O_VERIFY, &info, &err), 0);
	wr_release(&w);
}
END_TEST

/* A Deflated dataset that inflates to 100 MB before its UIDs. */
START_TEST(deflate_bomb_is_bounded)
{
	static uint8_t zeros[1 << 16];
	struct part10_info info;
	struct cs_err err = { 0, "" };
	struct wr w;
	z_stream z;
	uint8_t *out;
	size_t cap = 1 << 20, i;
	uint8_t hdr[12] = { 0x08, 0, 0x01, 0, 'O', 'B', 0, 0 };

	wr_init(&w, 1 << 20);
	ck_assert_int_gt(part10_write_meta(&w, SC, INST, TS_UID_DeflatedExplicitVRLittleEndian,
	    CS_IMPL_CLASS_UID, NULL, NULL, &err), 0);
	memset(&z, 0, sizeof(z));
	ck_assert_int_eq(deflateInit2(&z, 9, Z_DEFLATED, -15, 9,
	    Z_DEFAULT_STRATEGY), Z_OK);
	out = malloc(cap);
	z.next_out = out;
	z.avail_out = (uInt)cap;
	hdr[8] = 0; hdr[9] = 0; hdr[10] = 0x40; hdr[11] = 0x06; /* 100 MiB */
	z.next_in = hdr;
	z.avail_in = sizeof(hdr);
	ck_assert_int_eq(deflate(&z, Z_NO_FLUSH), Z_OK);
	for (i = 0; i < (100u << 20) / sizeof(zeros); i++) {
		z.next_in = zeros;
		z.avail_in = sizeof(zeros);
		ck_assert_int_eq(deflate(&z, Z_NO_FLUSH), Z_OK);
	}
	ck_assert_int_eq(deflate(&z, Z_FINISH), Z_STREAM_END);
	wr_bytes(&w, out, cap - z.avail_out);
	deflateEnd(&z);
	free(out);
	ck_assert_int_eq(part10_probe_mem(w.p, w.len, 0, &info, &err),
	    CS_E_TOOBIG);
	ck_assert_ptr_nonnull(strstr(err.msg, "inflates past"));
	wr_release(&w);
}
END_TEST

Suite *
part10_suite(void)
{
	Suite *s = suite_create("part10");
	TCase *tc = tcase_create("probe");

	tcase_add_loop_test(tc, probe_path_classifies_every_fixture, 0,
	    (int)(sizeof(fixtures) / sizeof(fixtures[0])));
	tcase_add_loop_test(tc, probe_mem_agrees_with_probe_path, 0,
	    (int)(sizeof(fixtures) / sizeof(fixtures[0])));
	tcase_add_test(tc, dataset_offset_is_after_group_length);
	tcase_add_test(tc, probe_fd_leaves_the_offset_alone);
	tcase_add_test(tc, probe_fd_keep_leaves_the_first_read_in_the_window);
	tcase_add_test(tc, every_truncation_is_an_error_or_consistent);
	tcase_add_test(tc, hostile_lengths_are_errors);
	tcase_add_test(tc, top_level_group_length_is_flagged_when_walked);
	tcase_add_test(tc, explicit_vr_errors_are_reported);
	tcase_add_test(tc, what_real_writers_make_is_verified);
	tcase_add_test(tc, un_sequence_with_explicit_items_is_verified);
	tcase_add_test(tc, deflate_bomb_is_bounded);
	tcase_add_test(tc, deflated_stream_cut_short_is_truncated);
	tcase_add_test(tc, deflated_uids_after_a_large_element_are_found);
	tcase_add_test(tc, ts_mismatch_gives_the_syntax_of_the_bytes);
	tcase_add_test(tc, meta_in_implicit_vr_is_read);
	tcase_add_test(tc, meta_in_big_endian_is_read);
	tcase_add_test(tc, second_meta_group_is_skipped_not_taken);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	tc = tcase_create("write");
	tcase_add_test(tc, written_meta_parses_back);
	tcase_add_test(tc, meta_only_does_not_read_the_dataset);
	tcase_add_test(tc, meta_writer_rejects_bad_arguments);
	tcase_add_test(tc, written_meta_is_read_by_dcmdump);
	suite_add_tcase(s, tc);
	return s;
}
