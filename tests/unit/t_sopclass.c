/* t_sopclass.c - the Storage SOP class and well-known UID registries. */
#include <check.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cstore/cstore.h"
#include "core/sopclass.h"
#include "core/ts.h"
#include "core/ts_uids.h"
#include "core/uid.h"
#include "dcmfile/dcmfile.h"

Suite *sopclass_suite(void);

START_TEST(every_entry_has_a_valid_unique_uid_and_keyword)
{
	size_t i, j, n = sopclass_count();

	ck_assert_uint_ge(n, 200);
	for (i = 0; i < n; i++) {
		const struct sopclass *a = sopclass_at(i);

		ck_assert_msg(uid_is_valid(a->uid), "bad UID %s", a->uid);
		ck_assert_str_ne(a->keyword, "");
		ck_assert_str_ne(a->name, "");
		for (j = i + 1; j < n; j++) {
			const struct sopclass *b = sopclass_at(j);

			ck_assert_str_ne(a->uid, b->uid);
			ck_assert_msg(strcasecmp(a->keyword, b->keyword) != 0,
			    "duplicate keyword %s", a->keyword);
		}
		/* no UID is both a storage class and another well-known UID */
		ck_assert_ptr_null(uid_by_uid(a->uid));
	}
	ck_assert_ptr_null(sopclass_at(n));
}
END_TEST

START_TEST(lookup_by_uid_and_keyword_in_any_case)
{
	const struct sopclass *sc = sopclass_by_uid("1.2.840.10008.5.1.4.1.1.2");

	ck_assert_ptr_nonnull(sc);
	ck_assert_str_eq(sc->keyword, "CTImageStorage");
	ck_assert_str_eq(sc->annex, "A.3");
	ck_assert_int_eq(sc->retired, 0);
	ck_assert_ptr_eq(sopclass_by_keyword("ctimagestorage"), sc);
	ck_assert_ptr_eq(sopclass_by_keyword("CTIMAGESTORAGE"), sc);
	ck_assert_ptr_null(sopclass_by_uid("1.2.840.10008.5.1.4.1.1.2 "));
	ck_assert_ptr_null(sopclass_by_keyword(""));
	ck_assert_ptr_null(sopclass_by_keyword("CTImage"));
	ck_assert_ptr_null(sopclass_by_uid(NULL));
}
END_TEST

START_TEST(retired_classes_are_flagged)
{
	const struct sopclass *sc = sopclass_by_uid("1.2.840.10008.5.1.4.1.1.6");

	ck_assert_ptr_nonnull(sc);
	ck_assert_int_eq(sc->retired, 1);
	ck_assert_str_eq(sc->keyword, "UltrasoundImageStorageRetired");
	ck_assert_int_eq(sopclass_by_uid("1.2.840.10008.5.1.4.1.1.6.1")->retired, 0);
}
END_TEST

/* A name a current and a retired class share: by_name the current one,
 * retired_namesake the retired one; any other query no namesake. */
START_TEST(a_shared_name_has_a_retired_namesake)
{
	static const char *const shared[][2] = {
		{ "Ultrasound Image Storage", "1.2.840.10008.5.1.4.1.1.6" },
		{ "ultrasound multi-frame image storage",
		    "1.2.840.10008.5.1.4.1.1.3" },
		{ "Nuclear Medicine Image Storage",
		    "1.2.840.10008.5.1.4.1.1.5" },
	};
	static const char *const none[] = { "CT Image Storage",
		"Ultrasound Image Storage (Retired)", "UltrasoundImageStorage",
		"1.2.840.10008.5.1.4.1.1.6.1", "Ultrasound Image", "" };
	size_t i;

	for (i = 0; i < sizeof(shared) / sizeof(shared[0]); i++) {
		const struct sopclass *old =
		    sopclass_retired_namesake(shared[i][0]);

		ck_assert_ptr_nonnull(old);
		ck_assert_str_eq(old->uid, shared[i][1]);
		ck_assert_int_eq(sopclass_by_name(shared[i][0])->retired, 0);
	}
	for (i = 0; i < sizeof(none) / sizeof(none[0]); i++)
		ck_assert_msg(sopclass_retired_namesake(none[i]) == NULL,
		    "'%s' has a namesake", none[i]);
}
END_TEST

START_TEST(other_projects_names_resolve_as_aliases)
{
	static const struct {
		const char *alias, *uid;
	} t[] = {
		{ "KeyObjectSelectionStorage", "1.2.840.10008.5.1.4.1.1.88.59" },
		{ "ProcedureSRStorage", "1.2.840.10008.5.1.4.1.1.88.40" },
		{ "DigitalXRayImageProcessingStorage", "1.2.840.10008.5.1.4.1.1.1.1.1" },
		{ "PseudocolorSoftcopyPresentationStageStorage", "1.2.840.10008.5.1.4.1.1.11.3" },
		{ "macularGridThicknessAndVolumeReport", "1.2.840.10008.5.1.4.1.1.79.1" },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		const struct sopclass *sc = sopclass_by_keyword(t[i].alias);

		ck_assert_msg(sc != NULL, "%s not found", t[i].alias);
		ck_assert_str_eq(sc->uid, t[i].uid);
	}
}
END_TEST

START_TEST(wrong_uids_of_the_reference_do_not_resolve)
{
	ck_assert_ptr_null(sopclass_by_uid("1.2.840.10008.5.1.4.1.1.1.1.1.1"));
	ck_assert_ptr_null(sopclass_by_uid("1.2.840.10008.5.1.1.4.1.1.3.1"));
}
END_TEST

static void
collect(const struct sopclass *sc, void *ctx)
{
	char *buf = ctx;
	size_t n = strlen(buf);

	snprintf(buf + n, 4096 - n, "%s,", sc->keyword);
}

START_TEST(search_matches_word_starts_and_keyword_capitals)
{
	char buf[4096] = "";

	ck_assert_uint_ge(sopclass_search("ct", collect, buf), 4);
	ck_assert_int_eq(strncmp(buf, "CTImageStorage,", 15), 0);
	ck_assert_ptr_nonnull(strstr(buf, "EnhancedCTImageStorage,"));
	ck_assert_ptr_null(strstr(buf, "KeyObjectSelection"));
	ck_assert_ptr_null(strstr(buf, "Spectacle"));
	buf[0] = '\0';
	ck_assert_uint_eq(sopclass_search("enhanced mr", collect, buf), 3);
	ck_assert_str_eq(buf, "EnhancedMRImageStorage,EnhancedMRColorImageStorage,"
	    "LegacyConvertedEnhancedMRImageStorage,");
	ck_assert_uint_eq(sopclass_search("ENHANCED   Mr", NULL, NULL), 3);
	ck_assert_uint_eq(sopclass_search("", NULL, NULL), 0);
	ck_assert_uint_eq(sopclass_search("   ", NULL, NULL), 0);
	ck_assert_uint_eq(sopclass_search("nosuchthing", NULL, NULL), 0);
}
END_TEST

START_TEST(edit_distance_is_levenshtein_with_a_cap)
{
	ck_assert_uint_eq(sopclass_edit_distance("kitten", "sitting", 0, 10), 3);
	ck_assert_uint_eq(sopclass_edit_distance("abc", "ABC", 1, 10), 0);
	ck_assert_uint_eq(sopclass_edit_distance("abc", "ABC", 0, 10), 3);
	ck_assert_uint_eq(sopclass_edit_distance("", "abc", 0, 10), 3);
	/* past the cap it only says "more than cap" */
	ck_assert_uint_eq(sopclass_edit_distance("aaaaaaaa", "bbbbbbbb", 0, 2), 3);
}
END_TEST

START_TEST(near_miss_uids_and_keywords_are_suggested)
{
	const struct sopclass *out[3];
	size_t n;

	n = sopclass_suggest("1.2.840.10008.5.1.4.1.1.1.1.1.1", 2, out, 3);
	ck_assert_uint_ge(n, 1);
	ck_assert_str_eq(out[0]->uid, "1.2.840.10008.5.1.4.1.1.1.1.1");
	n = sopclass_suggest("CTImageStorag", 1, out, 3);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(out[0]->keyword, "CTImageStorage");
	ck_assert_uint_eq(sopclass_suggest("9.9.9", 2, out, 3), 0);
}
END_TEST

START_TEST(well_known_uids_resolve_with_their_type)
{
	struct uid_entry e;

	ck_assert_int_eq(uid_lookup("1.2.840.10008.1.2.1", &e), 0);
	ck_assert_str_eq(e.keyword, "ExplicitVRLittleEndian");
	ck_assert_str_eq(e.type, "Transfer Syntax");
	ck_assert_int_eq(uid_lookup("1.2.840.10008.1.1", &e), 0);
	ck_assert_str_eq(e.keyword, "Verification");
	ck_assert_int_eq(uid_lookup("1.2.840.10008.3.1.1.1", &e), 0);
	ck_assert_str_eq(e.type, "Application Context Name");
	ck_assert_int_eq(uid_lookup("1.2.840.10008.5.1.4.1.1.4", &e), 0);
	ck_assert_str_eq(e.type, UID_TYPE_STORAGE);
	ck_assert_int_eq(uid_lookup_keyword("rlelossless", &e), 0);
	ck_assert_str_eq(e.uid, "1.2.840.10008.1.2.5");
	ck_assert_int_eq(uid_lookup("1.2.3", &e), CS_E_NOTFOUND);
	ck_assert_int_eq(e.retired, 0);
	ck_assert_int_eq(uid_lookup("1.2.840.10008.1.2.2", &e), 0);
	ck_assert_int_eq(e.retired, 1);
}
END_TEST

START_TEST(uid_syntax_follows_ps3_5)
{
	char u[66];

	ck_assert_int_eq(uid_is_valid("1.2.840.10008.1.1"), 1);
	ck_assert_int_eq(uid_is_valid("0.1"), 1);
	ck_assert_int_eq(uid_is_valid("1.02"), 0);
	ck_assert_int_eq(uid_is_valid("1..2"), 0);
	ck_assert_int_eq(uid_is_valid(".1"), 0);
	ck_assert_int_eq(uid_is_valid("1."), 0);
	ck_assert_int_eq(uid_is_valid("1.a"), 0);
	ck_assert_int_eq(uid_is_valid(""), 0);
	/* PS3.5 9.1: at most 64 characters */
	memset(u, '1', sizeof(u));
	u[1] = '.';
	u[64] = '\0';
	ck_assert_int_eq(uid_is_valid(u), 1);
	u[64] = '1';
	u[65] = '\0';
	ck_assert_int_eq(uid_is_valid(u), 0);
}
END_TEST

/*
 * GDCM's name, normalised: lower case, letters and digits only, without
 * "(Retired)", without the ": Default Transfer Syntax..." note GDCM
 * appends, "&" read as "and", and without a trailing "SOP Class".
 */
static void
norm(const char *s, char *out, size_t size)
{
	size_t n = 0;
	const char *colon = strstr(s, ": ");
	const char *end = colon != NULL ? colon : s + strlen(s);

	for (; s < end && n + 4 < size; s++) {
		if (strncasecmp(s, "(retired)", 9) == 0) {
			s += 8;
			continue;
		}
		if (*s == '&') {
			memcpy(out + n, "and", 3);
			n += 3;
		} else if (isalnum((unsigned char)*s)) {
			out[n++] = (char)tolower((unsigned char)*s);
		}
	}
	out[n] = '\0';
	if (n >= 8 && strcmp(out + n - 8, "sopclass") == 0 &&
	    strcmp(out, "verificationsopclass") != 0)
		out[n - 8] = '\0';
}

/*
 * Known wording differences between GDCM 3.0's dictionary and PS3.6
 * (which our table follows), each checked to be the same class.
 */
static const struct {
	const char *uid, *why;
} gdcm_wording[] = {
	/* GDCM keeps the name of the Supplement 74 draft; PS3.6 calls the
	 * retired class "RT Beams Delivery Instruction Storage - Trial". */
	{ "1.2.840.10008.5.1.4.34.1", "Supplement 74 Frozen Draft" },
};

START_TEST(names_agree_with_gdcm_for_every_uid_gdcm_knows)
{
	size_t i, j, n = dcmfile_gdcm_uid_count(), compared = 0, excused = 0;
	const char *uid, *gname;
	char a[512], b[512];

	ck_assert_uint_gt(n, 100);
	for (i = 0; i < n; i++) {
		struct uid_entry e;
		int known = 0;

		if (dcmfile_gdcm_uid_at(i, &uid, &gname) != 0)
			continue;
		if (uid_lookup(uid, &e) != 0)
			continue; /* a UID we do not carry (Q/R, print, private...) */
		norm(gname, a, sizeof(a));
		norm(e.name, b, sizeof(b));
		compared++;
		if (strcmp(a, b) == 0)
			continue;
		for (j = 0; j < sizeof(gdcm_wording) / sizeof(gdcm_wording[0]); j++)
			if (strcmp(gdcm_wording[j].uid, uid) == 0 &&
			    strstr(gname, gdcm_wording[j].why) != NULL)
				known = 1;
		ck_assert_msg(known, "%s: GDCM says \"%s\", we say \"%s\"", uid,
		    gname, e.name);
		excused++;
	}
	ck_assert_uint_eq(excused, sizeof(gdcm_wording) / sizeof(gdcm_wording[0]));
	/* GDCM 3.0 knows most storage classes and every classic TS */
	ck_assert_uint_ge(compared, 200);
	ck_assert_int_eq(dcmfile_gdcm_uid_at(n, &uid, &gname), CS_E_NOTFOUND);
	ck_assert_ptr_null(uid);
}
END_TEST

/* The names users type for transfer syntaxes: keywords in any case and
 * the aliases of data/transfer-syntaxes.tsv, each to its UID. */
START_TEST(ts_names_users_type_resolve_to_their_uids)
{
	static const struct {
		const char *name, *uid;
	} cases[] = {
		{ "JPEGBaseline", TS_UID_JPEGBaseline8Bit },
		{ "jpegbaseline8bit", TS_UID_JPEGBaseline8Bit },
		{ "JPEGProcess1", TS_UID_JPEGBaseline8Bit },
		{ "jpeglossless", TS_UID_JPEGLossless },
		{ "JPEGLosslessP14", TS_UID_JPEGLossless },
		{ "JPEGProcess14SV1", TS_UID_JPEGLosslessSV1 },
		{ "JPEGLSLOSSLESS", TS_UID_JPEGLSLossless },
		{ "JPEG2000Lossless", TS_UID_JPEG2000Lossless },
		{ "JPEG2000LosslessOnly", TS_UID_JPEG2000Lossless },
		{ "rlelossless", TS_UID_RLELossless },
		{ "ExplicitVRLittleEndian", TS_UID_ExplicitVRLittleEndian },
		{ "LittleEndianExplicit", TS_UID_ExplicitVRLittleEndian },
		{ "implicitvrlittleendian", TS_UID_ImplicitVRLittleEndian },
		{ "LittleEndianImplicit", TS_UID_ImplicitVRLittleEndian },
		{ "BigEndianExplicit", TS_UID_ExplicitVRBigEndian },
		{ "DeflatedExplicitVRLittleEndian",
		    TS_UID_DeflatedExplicitVRLittleEndian },
		{ "DeflatedLittleEndianExplicit",
		    TS_UID_DeflatedExplicitVRLittleEndian },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct ts_entry *t = ts_by_name(cases[i].name);

		ck_assert_msg(t != NULL, "%s", cases[i].name);
		ck_assert_str_eq(t->uid, cases[i].uid);
	}
	ck_assert_ptr_null(ts_by_name("JPEGBase"));
	ck_assert_ptr_null(ts_by_name("rle")); /* too short to be sure */
	ck_assert_ptr_null(ts_by_name(""));
	ck_assert_ptr_null(ts_by_name(NULL));
}
END_TEST

/* The transfer syntax table: every row a registered TS, consistent. */
START_TEST(ts_table_rows_are_registered_and_consistent)
{
	size_t i;

	ck_assert_uint_ge(ts_table_len, 13);
	for (i = 0; i < ts_table_len; i++) {
		const struct ts_entry *t = &ts_table[i];
		const struct uid_entry *u = uid_by_uid(t->uid);

		ck_assert_msg(u != NULL, "%s not in uids.tsv", t->uid);
		ck_assert_str_eq(u->type, "Transfer Syntax");
		ck_assert_str_eq(u->keyword, t->keyword);
		ck_assert_ptr_eq(ts_find(t->uid), t);
		/* PS3.5 A.4: fragments only in Explicit VR LE */
		if (t->flags & TS_F_ENCAPSULATED)
			ck_assert_int_eq(t->enc, DS_ENC_EVR_LE);
		/* a codec here codes fragments; fragments are coded here
		 * or by nobody (HTJ2K, JPEG XL, MPEG...: checked, sent as
		 * they are) */
		if (t->codec == TS_CODEC_RLE || ts_is_gdcm(t))
			ck_assert(t->flags & TS_F_ENCAPSULATED);
		if (t->flags & TS_F_ENCAPSULATED)
			ck_assert(t->codec == TS_CODEC_RLE || ts_is_gdcm(t) ||
			    t->codec == TS_CODEC_NONE);
		if (t->codec == TS_CODEC_NONE)
			ck_assert_uint_eq(t->flags & TS_F_WRITE, 0);
	}
	ck_assert_ptr_null(ts_find(NULL));
	ck_assert_ptr_null(ts_find("1.2.3"));
	ck_assert_int_eq(ts_find(TS_UID_ImplicitVRLittleEndian)->enc, DS_ENC_IVR_LE);
	ck_assert_int_eq(ts_find(TS_UID_ExplicitVRBigEndian)->enc, DS_ENC_EVR_BE);
	ck_assert(ts_find(TS_UID_DeflatedExplicitVRLittleEndian)->flags & TS_F_DEFLATED);
	ck_assert_int_eq(ts_find(TS_UID_JPEGLSLossless)->codec, TS_CODEC_JPEGLS);
	ck_assert_int_eq(ts_find(TS_UID_JPEG2000)->codec, TS_CODEC_J2K);
	ck_assert(ts_find(TS_UID_JPEG2000)->flags & TS_F_LOSSY);
	ck_assert_uint_eq(ts_find(TS_UID_JPEGLossless)->flags & TS_F_WRITE, 0);
	ck_assert_int_eq(ts_find(TS_UID_RLELossless)->codec, TS_CODEC_RLE);
	/* PS3.5 A.4's newer syntaxes, and the retired JPEG processes
	 * nothing here decodes: encapsulated all the same */
	{
		static const char *const encaps[] = { TS_UID_HTJ2KLossless,
			TS_UID_HTJ2K, TS_UID_JPEGXLLossless, TS_UID_JPEGXL,
			TS_UID_DeflatedImageFrameCompression,
			TS_UID_EncapsulatedUncompressedExplicitVRLittleEndian,
			TS_UID_MPEG2MPML, TS_UID_MPEG4HP41F, TS_UID_HEVCM10P51,
			TS_UID_JPEG2000MC, TS_UID_JPEGLosslessHierarchical29 };

		for (i = 0; i < sizeof(encaps) / sizeof(encaps[0]); i++) {
			const struct ts_entry *t = ts_find(encaps[i]);

			ck_assert_msg(t != NULL &&
				(t->flags & TS_F_ENCAPSULATED) &&
				t->codec == TS_CODEC_NONE &&
				!(t->flags & TS_F_DEFLATED),
			    "%s: encapsulated, coded by nobody here", encaps[i]);
		}
	}
}
END_TEST

Suite *
sopclass_suite(void)
{
	Suite *s = suite_create("sopclass");
	TCase *tc = tcase_create("registry");

	tcase_add_test(tc, every_entry_has_a_valid_unique_uid_and_keyword);
	tcase_add_test(tc, lookup_by_uid_and_keyword_in_any_case);
	tcase_add_test(tc, retired_classes_are_flagged);
	tcase_add_test(tc, a_shared_name_has_a_retired_namesake);
	tcase_add_test(tc, other_projects_names_resolve_as_aliases);
	tcase_add_test(tc, wrong_uids_of_the_reference_do_not_resolve);
	tcase_add_test(tc, search_matches_word_starts_and_keyword_capitals);
	tcase_add_test(tc, edit_distance_is_levenshtein_with_a_cap);
	tcase_add_test(tc, near_miss_uids_and_keywords_are_suggested);
	tcase_add_test(tc, well_known_uids_resolve_with_their_type);
	tcase_add_test(tc, uid_syntax_follows_ps3_5);
	tcase_add_test(tc, names_agree_with_gdcm_for_every_uid_gdcm_knows);
	tcase_add_test(tc, ts_table_rows_are_registered_and_consistent);
	tcase_add_test(tc, ts_names_users_type_resolve_to_their_uids);
	suite_add_tcase(s, tc);
	return s;
}
