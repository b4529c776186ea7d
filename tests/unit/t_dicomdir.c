/*
 * t_dicomdir.c - the Referenced File IDs of a DICOMDIR
 * (lib/dcmfile/dicomdir) and where dcmsend finds them (lib/cli
 * dicomdir_inputs).  The DICOMDIRs are built here in every encoding and
 * length form; those of real writers (DCMTK dcmmkdir, pydicom) are sent
 * in tests/bats/dcmsend-dicomdir.bats.
 */
#include <sys/stat.h>

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cstore/cstore.h"
#include "cli/dicomdir_inputs.h"
#include "core/buf.h"
#include "core/ds_elem.h"
#include "core/ts_uids.h"
#include "dcmfile/dicomdir.h"
#include "dcmfile/part10.h"

Suite *dicomdir_suite(void);

#define DICOMDIR_UID "1.2.840.10008.1.3.10"

/* --- a DICOMDIR writer for the tests -------------------------------------- */

struct b {
	struct wr w;
	enum ds_enc enc;
	int undef; /* sequences and items of undefined length */
};

static void
u16(struct b *b, uint16_t v)
{
	if (b->enc == DS_ENC_EVR_BE)
		wr_be16(&b->w, v);
	else
		wr_le16(&b->w, v);
}

static void
u32(struct b *b, uint32_t v)
{
	if (b->enc == DS_ENC_EVR_BE)
		wr_be32(&b->w, v);
	else
		wr_le32(&b->w, v);
}

static void
patch32(struct b *b, size_t at, uint32_t v)
{
	if (b->enc == DS_ENC_EVR_BE)
		wr_patch_be32(&b->w, at, v);
	else
		wr_patch_le32(&b->w, at, v);
}

/* A header; returns where its 32-bit length is (for patching). */
static size_t
hdr(struct b *b, uint32_t tag, const char *vr, uint32_t len)
{
	u16(b, DS_TAG_GROUP(tag));
	u16(b, DS_TAG_ELEM(tag));
	if (b->enc != DS_ENC_IVR_LE && DS_TAG_GROUP(tag) != 0xfffe) {
		wr_bytes(&b->w, vr, 2);
		if (!ds_vr_long_length(vr)) {
			u16(b, (uint16_t)len);
			return 0;
		}
		wr_le16(&b->w, 0);
	}
	u32(b, len);
	return b->w.len - 4;
}

/* A CS value of n bytes, padded with a space to even length. */
static void
cs(struct b *b, uint32_t tag, const char *v, size_t n)
{
	hdr(b, tag, "CS", (uint32_t)(n + (n & 1)));
	wr_bytes(&b->w, v, n);
	if (n & 1)
		wr_u8(&b->w, ' ');
}

static size_t
open_(struct b *b, uint32_t tag, const char *vr)
{
	return hdr(b, tag, vr, b->undef ? DS_LEN_UNDEFINED : 0);
}

static void
close_(struct b *b, size_t at, uint32_t delim)
{
	if (b->undef) {
		u16(b, 0xfffe);
		u16(b, DS_TAG_ELEM(delim));
		u32(b, 0);
		return;
	}
	patch32(b, at, (uint32_t)(b->w.len - at - 4));
}

/* One directory record; id NULL: none; in_use < 0: no flag. */
static void
record(struct b *b, const char *type, const char *id, size_t id_len, int in_use)
{
	size_t item = open_(b, DS_TAG_ITEM, "");

	hdr(b, DS_TAG(0x0004, 0x1400), "UL", 4);
	u32(b, 0);
	if (in_use >= 0) {
		hdr(b, DS_TAG(0x0004, 0x1410), "US", 2);
		u16(b, (uint16_t)in_use);
	}
	hdr(b, DS_TAG(0x0004, 0x1420), "UL", 4);
	u32(b, 0);
	cs(b, DS_TAG(0x0004, 0x1430), type, strlen(type));
	if (id != NULL)
		cs(b, DS_TAG(0x0004, 0x1500), id, id_len);
	close_(b, item, DS_TAG_ITEM_DELIM);
}

static const char *
ts_of(enum ds_enc enc)
{
	return enc == DS_ENC_IVR_LE ? TS_UID_ImplicitVRLittleEndian
	    : enc == DS_ENC_EVR_BE  ? TS_UID_ExplicitVRBigEndian
				    : TS_UID_ExplicitVRLittleEndian;
}

/* The meta and the top-level elements before the records. */
static size_t
begin(struct b *b, enum ds_enc enc, int undef, const char *ts)
{
	struct cs_err err = { 0, "" };

	wr_init(&b->w, 1u << 24);
	b->enc = enc;
	b->undef = undef;
	ck_assert_int_gt(part10_write_meta(&b->w, DICOMDIR_UID, "1.2.3.4",
			     ts ? ts : ts_of(enc), "1.2.3", NULL, NULL, &err),
	    0);
	cs(b, DS_TAG(0x0004, 0x1130), "TEST", 4);
	hdr(b, DS_TAG(0x0004, 0x1200), "UL", 4);
	u32(b, 0);
	hdr(b, DS_TAG(0x0004, 0x1202), "UL", 4);
	u32(b, 0);
	hdr(b, DS_TAG(0x0004, 0x1212), "US", 2);
	u16(b, 0);
	return open_(b, DS_TAG(0x0004, 0x1220), "SQ");
}

static void
end(struct b *b, size_t seq)
{
	close_(b, seq, DS_TAG_SEQ_DELIM);
	ck_assert_int_eq(b->w.err, 0);
}

#define ID(s) s, sizeof(s) - 1

/* The file-set of the tests: a patient, a study, a series, 3 images,
 * one of them inactive, one record with an empty ID. */
static void
fileset(struct b *b, enum ds_enc enc, int undef)
{
	size_t seq = begin(b, enc, undef, NULL);

	record(b, "PATIENT", NULL, 0, 0xffff);
	record(b, "STUDY", NULL, 0, 0xffff);
	record(b, "SERIES", NULL, 0, -1);
	record(b, "IMAGE", ID("DICOM\\ST000001\\IM000001"), 0xffff);
	record(b, "IMAGE", ID("DICOM\\ST000001\\GONE"), 0x0000);
	record(b, "SR DOCUMENT", ID(" dicom \\ sr_1 "), -1);
	record(b, "PRIVATE", ID(" "), -1);
	end(b, seq);
}

/* Parses from an exact-size heap copy, so that ASan sees any over-read. */
static int
parse(const uint8_t *p, size_t n, struct dicomdir *dd, struct cs_err *err)
{
	uint8_t *copy = malloc(n ? n : 1);
	int rc;

	ck_assert_ptr_nonnull(copy);
	if (n)
		memcpy(copy, p, n);
	rc = dicomdir_parse(copy, n, dd, err);
	free(copy);
	return rc;
}

START_TEST(records_are_read_in_every_encoding_and_length_form)
{
	static const enum ds_enc encs[] = { DS_ENC_EVR_LE, DS_ENC_IVR_LE,
		DS_ENC_EVR_BE };

	for (int e = 0; e < 3; e++)
		for (int undef = 0; undef < 2; undef++) {
			struct b b;
			struct dicomdir dd;
			struct cs_err err = { 0, "" };

			fileset(&b, encs[e], undef);
			dicomdir_init(&dd);
			ck_assert_msg(parse(b.w.p, b.w.len, &dd, &err) == 0,
			    "enc %d undef %d: %s", e, undef, err.msg);
			ck_assert_str_eq(dd.ts_uid, ts_of(encs[e]));
			ck_assert_uint_eq(dd.records, 7);
			ck_assert_uint_eq(dd.inactive, 1);
			ck_assert_uint_eq(dd.n, 2);
			ck_assert_str_eq(
			    dicomdir_path(&dd, 0), "DICOM/ST000001/IM000001");
			ck_assert_str_eq(dd.ref[0].type, "IMAGE");
			ck_assert_int_eq(dd.ref[0].why, DICOMDIR_OK);
			/* CS: spaces around each component are padding */
			ck_assert_str_eq(dicomdir_path(&dd, 1), "dicom/sr_1");
			ck_assert_str_eq(dd.ref[1].type, "SR DOCUMENT");
			ck_assert_ptr_null(dicomdir_path(&dd, 2));
			/* the offset is the record's item header in the file */
			ck_assert_uint_lt(dd.ref[0].offset + 4, b.w.len);
			ck_assert_uint_eq(
			    b.w.p[dd.ref[0].offset +
				(encs[e] == DS_ENC_EVR_BE ? 0 : 1)],
			    0xff);
			dicomdir_release(&dd);
			wr_release(&b.w);
		}
}
END_TEST

/* One record with id, in Explicit VR LE: the reference it gives. */
static void
one(const char *id, size_t n, struct dicomdir *dd)
{
	struct b b;
	struct cs_err err = { 0, "" };
	size_t seq = begin(&b, DS_ENC_EVR_LE, 1, NULL);

	record(&b, "IMAGE", id, n, -1);
	end(&b, seq);
	dicomdir_init(dd);
	ck_assert_msg(parse(b.w.p, b.w.len, dd, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(dd->n, 1);
	wr_release(&b.w);
}

START_TEST(ids_that_could_leave_the_file_set_are_refused)
{
	static const struct {
		const char *id;
		size_t n;
		enum dicomdir_why why;
		const char *shown;
	} cases[] = {
		{ ID("..\\..\\etc\\passwd"), DICOMDIR_DOT,
		    "..\\..\\etc\\passwd" },
		{ ID("DICOM\\..\\..\\X"), DICOMDIR_DOT, NULL },
		{ ID("DICOM\\.\\X"), DICOMDIR_DOT, NULL },
		{ ID("\\etc\\passwd"), DICOMDIR_EMPTY_COMPONENT, NULL },
		{ ID("DICOM\\\\X"), DICOMDIR_EMPTY_COMPONENT, NULL },
		{ ID("DICOM\\X\\"), DICOMDIR_EMPTY_COMPONENT, NULL },
		{ ID("DICOM\\  \\X"), DICOMDIR_EMPTY_COMPONENT, NULL },
		{ ID("/etc/passwd"), DICOMDIR_SLASH, NULL },
		{ ID("DICOM\\a/../../b"), DICOMDIR_SLASH, NULL },
		{ ID("DICOM\\A\0B"), DICOMDIR_CONTROL, "DICOM\\A\\x00B" },
		{ ID("DICOM\\A\nB"), DICOMDIR_CONTROL, "DICOM\\A\\x0AB" },
		{ ID("DICOM\\A\x7f"), DICOMDIR_CONTROL, NULL },
	};

	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		struct dicomdir dd;

		one(cases[k].id, cases[k].n, &dd);
		ck_assert_msg(dd.ref[0].why == cases[k].why, "case %zu: why %d",
		    k, (int)dd.ref[0].why);
		ck_assert_str_ne(dicomdir_why_text(dd.ref[0].why), "");
		if (cases[k].shown != NULL)
			ck_assert_str_eq(dicomdir_path(&dd, 0), cases[k].shown);
		dicomdir_release(&dd);
	}
}
END_TEST

START_TEST(ids_are_read_leniently_otherwise)
{
	char longc[300], id[DICOMDIR_ID_MAX + 8];
	struct dicomdir dd;

	/* lower case, long names, other characters: copies of media */
	one(ID("dicom\\Study 1\\img_000000000001.dcm"), &dd);
	ck_assert_int_eq(dd.ref[0].why, DICOMDIR_OK);
	ck_assert_str_eq(
	    dicomdir_path(&dd, 0), "dicom/Study 1/img_000000000001.dcm");
	dicomdir_release(&dd);
	/* more than 8 components; "..." is a name */
	one(ID("A\\B\\C\\D\\E\\F\\G\\H\\I\\..."), &dd);
	ck_assert_str_eq(dicomdir_path(&dd, 0), "A/B/C/D/E/F/G/H/I/...");
	dicomdir_release(&dd);
	/* NUL padding, as some writers pad */
	one("IM1\0", 4, &dd);
	ck_assert_int_eq(dd.ref[0].why, DICOMDIR_OK);
	ck_assert_str_eq(dicomdir_path(&dd, 0), "IM1");
	dicomdir_release(&dd);
	/* a component of 255 bytes is a name, of 256 none */
	memset(longc, 'A', sizeof(longc));
	one(longc, 255, &dd);
	ck_assert_int_eq(dd.ref[0].why, DICOMDIR_OK);
	dicomdir_release(&dd);
	one(longc, 256, &dd);
	ck_assert_int_eq(dd.ref[0].why, DICOMDIR_TOO_LONG);
	dicomdir_release(&dd);
	memset(id, 'A', sizeof(id));
	for (size_t i = 100; i < sizeof(id); i += 100)
		id[i] = '\\';
	one(id, DICOMDIR_ID_MAX + 1, &dd);
	ck_assert_int_eq(dd.ref[0].why, DICOMDIR_TOO_LONG);
	/* shown cut short */
	ck_assert_uint_lt(strlen(dicomdir_path(&dd, 0)), 200);
	dicomdir_release(&dd);
}
END_TEST

START_TEST(record_types_are_kept_printable)
{
	struct b b;
	struct dicomdir dd;
	struct cs_err err = { 0, "" };
	size_t seq = begin(&b, DS_ENC_EVR_LE, 1, NULL);

	record(&b, "IM\x1b[2JAGE", ID("IM1"), -1);
	record(&b, "A VERY LONG RECORD TYPE", ID("IM2"), -1);
	end(&b, seq);
	dicomdir_init(&dd);
	ck_assert_msg(parse(b.w.p, b.w.len, &dd, &err) == 0, "%s", err.msg);
	ck_assert_str_eq(dd.ref[0].type, "IM?[2JAGE");
	ck_assert_str_eq(dd.ref[1].type, "A VERY LONG RECO");
	dicomdir_release(&dd);
	wr_release(&b.w);
}
END_TEST

START_TEST(what_is_no_dicomdir_or_deflated_is_refused_whole)
{
	struct b b;
	struct dicomdir dd;
	struct cs_err err = { 0, "" };
	size_t seq =
	    begin(&b, DS_ENC_EVR_LE, 1, TS_UID_DeflatedExplicitVRLittleEndian);

	record(&b, "IMAGE", ID("IM1"), -1);
	end(&b, seq);
	dicomdir_init(&dd);
	ck_assert_int_eq(parse(b.w.p, b.w.len, &dd, &err), CS_E_UNSUPPORTED);
	ck_assert_ptr_nonnull(strstr(err.msg, "Deflated"));
	ck_assert_uint_eq(dd.n, 0);
	wr_release(&b.w);

	/* an image is no DICOMDIR */
	cs_err_clear(&err);
	wr_init(&b.w, 4096);
	ck_assert_int_gt(
	    part10_write_meta(&b.w, "1.2.840.10008.5.1.4.1.1.7", "1.2.3",
		TS_UID_ExplicitVRLittleEndian, "1.2.3", NULL, NULL, &err),
	    0);
	b.enc = DS_ENC_EVR_LE;
	b.undef = 0;
	hdr(&b, DS_TAG(0x0008, 0x0016), "UI", 26);
	wr_bytes(&b.w, "1.2.840.10008.5.1.4.1.1.7", 26);
	ck_assert_int_eq(parse(b.w.p, b.w.len, &dd, &err), CS_E_NOTDICOM);
	ck_assert_ptr_nonnull(strstr(err.msg, "not a DICOMDIR"));
	wr_release(&b.w);
	/* not DICOM at all */
	cs_err_clear(&err);
	ck_assert_int_eq(
	    parse((const uint8_t *)"hello", 5, &dd, &err), CS_E_NOTDICOM);
	dicomdir_release(&dd);
}
END_TEST

START_TEST(every_truncation_fails_cleanly)
{
	struct b b;
	struct dicomdir dd;

	for (int undef = 0; undef < 2; undef++) {
		fileset(&b, DS_ENC_EVR_LE, undef);
		dicomdir_init(&dd);
		for (size_t n = 0; n < b.w.len; n++) {
			struct cs_err err = { 0, "" };
			int rc = parse(b.w.p, n, &dd, &err);

			/* a cut between top-level elements before the
			 * records is a whole (empty) DICOMDIR */
			if (rc == 0) {
				ck_assert_uint_eq(dd.n, 0);
				continue;
			}
			ck_assert_msg(err.code == rc && err.msg[0] != '\0',
			    "cut at %zu: rc %d without a reason", n, rc);
		}
		dicomdir_release(&dd);
		wr_release(&b.w);
	}
}
END_TEST

START_TEST(malformed_structures_are_refused_with_an_offset)
{
	struct b b;
	struct dicomdir dd;
	struct cs_err err = { 0, "" };
	size_t seq, item;

	/* an item that runs past its defined-length sequence (as
	 * pydicom's DICOMDIR-nooffset has it) */
	seq = begin(&b, DS_ENC_EVR_LE, 0, NULL);
	record(&b, "IMAGE", ID("IM1"), -1);
	item = b.w.len;
	record(&b, "IMAGE", ID("IM2"), -1);
	end(&b, seq);
	wr_patch_le32(&b.w, item + 4, (uint32_t)(b.w.len - item));
	dicomdir_init(&dd);
	ck_assert_int_eq(parse(b.w.p, b.w.len, &dd, &err), CS_E_PROTO);
	ck_assert_ptr_nonnull(strstr(err.msg, "DICOMDIR, offset"));
	ck_assert_ptr_nonnull(strstr(err.msg, "runs past"));
	wr_release(&b.w);
	dicomdir_release(&dd);

	/* the record sequence as a text element */
	cs_err_clear(&err);
	wr_init(&b.w, 4096);
	b.enc = DS_ENC_EVR_LE;
	ck_assert_int_gt(
	    part10_write_meta(&b.w, DICOMDIR_UID, "1.2.3",
		TS_UID_ExplicitVRLittleEndian, "1.2.3", NULL, NULL, &err),
	    0);
	cs(&b, DS_TAG(0x0004, 0x1220), "IM1", 3);
	ck_assert_int_eq(parse(b.w.p, b.w.len, &dd, &err), CS_E_PROTO);
	ck_assert_ptr_nonnull(strstr(err.msg, "not a sequence"));
	wr_release(&b.w);
	dicomdir_release(&dd);
}
END_TEST

START_TEST(ids_outside_a_records_own_elements_are_not_files)
{
	struct b b;
	struct dicomdir dd;
	struct cs_err err = { 0, "" };
	size_t seq = begin(&b, DS_ENC_EVR_LE, 1, NULL), item, inner, it2;

	/* a record holding a sequence whose item has a (0004,1500) */
	item = open_(&b, DS_TAG_ITEM, "");
	cs(&b, DS_TAG(0x0004, 0x1430), "IMAGE", 5);
	inner = open_(&b, DS_TAG(0x0008, 0x1140), "SQ");
	it2 = open_(&b, DS_TAG_ITEM, "");
	cs(&b, DS_TAG(0x0004, 0x1500), ID("NESTED"));
	close_(&b, it2, DS_TAG_ITEM_DELIM);
	close_(&b, inner, DS_TAG_SEQ_DELIM);
	cs(&b, DS_TAG(0x0004, 0x1500), ID("OWN"));
	close_(&b, item, DS_TAG_ITEM_DELIM);
	end(&b, seq);
	dicomdir_init(&dd);
	ck_assert_msg(parse(b.w.p, b.w.len, &dd, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(dd.n, 1);
	ck_assert_str_eq(dicomdir_path(&dd, 0), "OWN");
	dicomdir_release(&dd);
	wr_release(&b.w);
}
END_TEST

/* --- lib/cli: where the files are ----------------------------------------- */

static char tmp[256];

static void
mk_tmp(void)
{
	const char *base = getenv("TMPDIR");

	snprintf(
	    tmp, sizeof(tmp), "%s/t_dicomdir.XXXXXX", base ? base : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(tmp));
}

static void
rm_tmp(void)
{
	char cmd[2 * sizeof(tmp) + 32];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	if (system(cmd) != 0)
		fprintf(stderr, "t_dicomdir: cannot remove %s\n", tmp);
}

static void
touch(const char *rel)
{
	char p[512];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", tmp, rel);
	ck_assert_ptr_nonnull(f = fopen(p, "w"));
	fputs(rel, f);
	fclose(f);
}

static void
mkd(const char *rel)
{
	char p[512];

	snprintf(p, sizeof(p), "%s/%s", tmp, rel);
	ck_assert_int_eq(mkdir(p, 0700), 0);
}

/* dd_resolve under tmp: the result and the path relative to tmp. */
static int
resolve(struct dd_resolver *rs, const char *rel, char *got, size_t n)
{
	char prefix[300];
	char *out;
	int rc;

	snprintf(prefix, sizeof(prefix), "%s/", tmp);
	rc = dd_resolve(rs, prefix, rel, &out);
	ck_assert_int_ge(rc, 0);
	ck_assert_uint_gt(strlen(out), strlen(prefix));
	snprintf(got, n, "%s", out + strlen(prefix));
	free(out);
	return rc;
}

START_TEST(paths_are_found_whatever_the_case_of_the_copy)
{
	struct dd_resolver rs;
	char got[256];

	mk_tmp();
	mkd("dicom");
	mkd("dicom/st000001");
	touch("dicom/st000001/im000001");
	touch("EXACT");
	mkd("dicom/two");
	touch("dicom/two/im1");
	touch("dicom/two/Im1");
	dd_resolver_init(&rs);
	ck_assert_int_eq(resolve(&rs, "EXACT", got, sizeof(got)), DD_EXACT);
	ck_assert_str_eq(got, "EXACT");
	ck_assert_int_eq(
	    resolve(&rs, "DICOM/ST000001/IM000001", got, sizeof(got)),
	    DD_FOLDED);
	ck_assert_str_eq(got, "dicom/st000001/im000001");
	/* again, from the cached listings */
	ck_assert_int_eq(
	    resolve(&rs, "Dicom/St000001/iM000001", got, sizeof(got)),
	    DD_FOLDED);
	ck_assert_str_eq(got, "dicom/st000001/im000001");
	/* two names that differ only in case: neither is guessed */
	ck_assert_int_eq(
	    resolve(&rs, "dicom/two/IM1", got, sizeof(got)), DD_AMBIGUOUS);
	ck_assert_str_eq(got, "dicom/two/IM1");
	ck_assert_int_eq(
	    resolve(&rs, "DICOM/two/Im1", got, sizeof(got)), DD_FOLDED);
	ck_assert_str_eq(got, "dicom/two/Im1");
	ck_assert_int_eq(
	    resolve(&rs, "Dicom/st000001/IM2", got, sizeof(got)), DD_MISSING);
	ck_assert_str_eq(got, "Dicom/st000001/IM2");
	ck_assert_int_eq(
	    resolve(&rs, "EXACT/IM2", got, sizeof(got)), DD_MISSING);
	dd_resolver_release(&rs);
	rm_tmp();
}
END_TEST

/* Writes the DICOMDIR of b to tmp/name. */
static void
put_file(const char *name, const struct b *b)
{
	char p[512];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", tmp, name);
	ck_assert_ptr_nonnull(f = fopen(p, "wb"));
	ck_assert_uint_eq(fwrite(b->w.p, 1, b->w.len, f), b->w.len);
	fclose(f);
}

START_TEST(each_dicomdir_is_followed_by_its_files_each_once)
{
	struct inputs in;
	struct cs_err err = { 0, "" };
	char dd[300], walked[300], other[300];
	char *ops[1];
	struct b b;
	size_t seq;

	mk_tmp();
	mkd("A");
	touch("A/IM1");
	touch("A/IM2");
	seq = begin(&b, DS_ENC_EVR_LE, 1, NULL);
	record(&b, "IMAGE", ID("A\\IM1"), -1);
	record(&b, "IMAGE", ID("a\\im2"), -1);   /* found as A/IM2 */
	record(&b, "IMAGE", ID("A\\IM1"), -1);   /* twice */
	record(&b, "IMAGE", ID("DICOMDIR"), -1); /* itself */
	record(&b, "IMAGE", ID("A\\GONE"), -1);
	record(&b, "IMAGE", ID("A\\GONE"), -1);
	end(&b, seq);
	put_file("DICOMDIR", &b);
	wr_release(&b.w);
	snprintf(dd, sizeof(dd), "%s/DICOMDIR", tmp);
	snprintf(walked, sizeof(walked), "%s/A/IM2", tmp);
	snprintf(other, sizeof(other), "%s/A/../A/IM2", tmp);

	/* the DICOMDIR, then a file of it already named (another
	 * spelling of the same file) */
	inputs_init(&in, NULL);
	ck_assert_int_eq(inputs_add_path(&in, dd, &err), 0);
	ck_assert_int_eq(inputs_add_path(&in, other, &err), 0);
	ops[0] = dd;
	ck_assert_int_eq(dicomdir_inputs_expand(&in, 1, ops, 1), 0);
	ck_assert_uint_eq(inputs_count(&in), 4);
	ck_assert_str_eq(inputs_path(&in, 0), dd);
	ck_assert_str_eq(inputs_path(&in, 1) + strlen(tmp), "/A/IM1");
	/* missing: as recorded, once */
	ck_assert_str_eq(inputs_path(&in, 2) + strlen(tmp), "/A/GONE");
	ck_assert_str_eq(inputs_path(&in, 3), other);
	inputs_release(&in);

	/* a walk: only a file named DICOMDIR is looked at */
	inputs_init(&in, NULL);
	ck_assert_int_eq(inputs_add_path(&in, dd, &err), 0);
	ck_assert_int_eq(inputs_add_path(&in, walked, &err), 0);
	ck_assert_int_eq(dicomdir_inputs_expand(&in, 0, NULL, 1), 0);
	ck_assert_uint_eq(inputs_count(&in), 4);
	ck_assert_str_eq(inputs_path(&in, 1) + strlen(tmp), "/A/IM1");
	ck_assert_str_eq(inputs_path(&in, 3), walked);
	inputs_release(&in);

	/* renamed, not an operand: an input like any other */
	snprintf(other, sizeof(other), "%s/index", tmp);
	ck_assert_int_eq(rename(dd, other), 0);
	inputs_init(&in, NULL);
	ck_assert_int_eq(inputs_add_path(&in, other, &err), 0);
	ck_assert_int_eq(dicomdir_inputs_expand(&in, 0, NULL, 1), 0);
	ck_assert_uint_eq(inputs_count(&in), 1);
	/* an operand: read whatever its name */
	ops[0] = other;
	ck_assert_int_eq(dicomdir_inputs_expand(&in, 1, ops, 1), 0);
	/* its record naming DICOMDIR now names a missing file */
	ck_assert_uint_eq(inputs_count(&in), 5);
	ck_assert_str_eq(inputs_path(&in, 3) + strlen(tmp), "/DICOMDIR");
	inputs_release(&in);
	rm_tmp();
}
END_TEST

START_TEST(a_dicomdir_that_cannot_be_read_changes_nothing)
{
	struct inputs in;
	struct cs_err err = { 0, "" };
	char dd[300];
	char *ops[1] = { dd };
	struct b b;
	size_t seq;

	mk_tmp();
	seq = begin(&b, DS_ENC_EVR_LE, 0, NULL);
	record(&b, "IMAGE", ID("IM1"), -1);
	end(&b, seq);
	b.w.len -= 3; /* cut inside the sequence */
	put_file("DICOMDIR", &b);
	wr_release(&b.w);
	snprintf(dd, sizeof(dd), "%s/DICOMDIR", tmp);
	inputs_init(&in, NULL);
	ck_assert_int_eq(inputs_add_path(&in, dd, &err), 0);
	ck_assert_int_eq(dicomdir_inputs_expand(&in, 1, ops, 1), 1);
	ck_assert_uint_eq(inputs_count(&in), 1);
	inputs_release(&in);
	rm_tmp();
}
END_TEST

Suite *
dicomdir_suite(void)
{
	Suite *s = suite_create("dicomdir");
	TCase *tc = tcase_create("dcmfile");
	TCase *cli = tcase_create("cli");

	tcase_add_test(tc, records_are_read_in_every_encoding_and_length_form);
	tcase_add_test(tc, ids_that_could_leave_the_file_set_are_refused);
	tcase_add_test(tc, ids_are_read_leniently_otherwise);
	tcase_add_test(tc, record_types_are_kept_printable);
	tcase_add_test(tc, what_is_no_dicomdir_or_deflated_is_refused_whole);
	tcase_add_test(tc, every_truncation_fails_cleanly);
	tcase_add_test(tc, malformed_structures_are_refused_with_an_offset);
	tcase_add_test(tc, ids_outside_a_records_own_elements_are_not_files);
	suite_add_tcase(s, tc);
	tcase_add_test(cli, paths_are_found_whatever_the_case_of_the_copy);
	tcase_add_test(cli, each_dicomdir_is_followed_by_its_files_each_once);
	tcase_add_test(cli, a_dicomdir_that_cannot_be_read_changes_nothing);
	suite_add_tcase(s, cli);
	return s;
}
