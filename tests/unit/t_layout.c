/* t_layout.c - the --layout template: parsing, rendering, sanitising. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "cstore/cstore.h"
#include "core/ds_scan.h"
#include "storescp/layout.h"

Suite *layout_suite(void);

/* A fake object: one value per tag, set by each test. */
struct fake {
	uint32_t tag[16];
	const char *val[16];
	size_t len[16];
	size_t n;
};

static void
fake_set(struct fake *f, uint32_t tag, const char *v, size_t len)
{
	f->tag[f->n] = tag;
	f->val[f->n] = v;
	f->len[f->n] = len;
	f->n++;
}

static const char *
fake_lookup(void *arg, uint32_t tag, size_t *lenp)
{
	struct fake *f = arg;
	size_t i;

	for (i = 0; i < f->n; i++) {
		if (f->tag[i] == tag) {
			*lenp = f->len[i];
			return f->val[i];
		}
	}
	*lenp = 0;
	return NULL;
}

static const char *
render(const char *tmpl, struct fake *f, const char *calling,
    const char *date)
{
	static char out[LAYOUT_PATH_MAX];
	struct layout l;
	struct layout_input in = { fake_lookup, f, calling, "DCMRECV", date };
	struct cs_err err = { 0 };
	int n;

	ck_assert_msg(layout_parse(&l, tmpl, &err) == 0, "%s", err.msg);
	n = layout_render(&l, &in, out, sizeof(out), &err);
	ck_assert_int_ge(n, 1);
	ck_assert_uint_eq(strlen(out), (size_t)n);
	return out;
}

START_TEST(default_layout_is_the_instance_uid)
{
	struct fake f = { .n = 0 };

	fake_set(&f, DS_TAG_SOP_INSTANCE_UID, "1.2.3.4", 7);
	ck_assert_str_eq(render(NULL, &f, "SCU", "20261125"), "1.2.3.4.dcm");
	ck_assert_str_eq(render(LAYOUT_DEFAULT, &f, "SCU", "20261125"),
	    "1.2.3.4.dcm");
}
END_TEST

START_TEST(every_placeholder_is_filled_in)
{
	struct fake f = { .n = 0 };

	fake_set(&f, DS_TAG_SOP_INSTANCE_UID, "1.1", 3);
	fake_set(&f, DS_TAG_SOP_CLASS_UID, "1.2", 3);
	fake_set(&f, DS_TAG_STUDY_INSTANCE_UID, "1.3", 3);
	fake_set(&f, DS_TAG_SERIES_INSTANCE_UID, "1.4", 3);
	fake_set(&f, DS_TAG_PATIENT_ID, "P1", 2);
	fake_set(&f, DS_TAG_MODALITY, "MR", 2);
	fake_set(&f, DS_TAG_STUDY_DATE, "20240101", 8);
	fake_set(&f, DS_TAG_ACCESSION_NUMBER, "A7", 2);
	fake_set(&f, DS_TAG_SERIES_NUMBER, "3", 1);
	fake_set(&f, DS_TAG_INSTANCE_NUMBER, "12", 2);
	ck_assert_str_eq(render("{Date}/{CallingAET}-{CalledAET}/{PatientID}/"
	    "{StudyDate}_{AccessionNumber}/{StudyInstanceUID}/"
	    "{SeriesNumber}-{SeriesInstanceUID}/{Modality}.{InstanceNumber}/"
	    "{SOPClassUID}.{SOPInstanceUID}.dcm", &f, "STORESCU", "20261125"),
	    "20261125/STORESCU-DCMRECV/P1/20240101_A7/1.3/3-1.4/MR.12/"
	    "1.2.1.1.dcm");
}
END_TEST

START_TEST(missing_and_empty_values_become_unknown)
{
	struct fake f = { .n = 0 };

	fake_set(&f, DS_TAG_PATIENT_ID, "   ", 3);
	ck_assert_str_eq(render("{PatientID}/{Modality}/{CallingAET}/"
	    "{SOPInstanceUID}", &f, NULL, ""), "unknown/unknown/unknown/"
	    "unknown");
	ck_assert_str_eq(render("{Date}.dcm", &f, "X", NULL), "unknown.dcm");
}
END_TEST

START_TEST(values_are_trimmed_of_padding)
{
	struct fake f = { .n = 0 };

	fake_set(&f, DS_TAG_SOP_INSTANCE_UID, "1.2.3\0", 6);
	fake_set(&f, DS_TAG_PATIENT_ID, "  ID 7  ", 8);
	ck_assert_str_eq(render("{PatientID}/{SOPInstanceUID}.dcm", &f,
	    "  SCU  ", "20261125"), "ID_7/1.2.3.dcm");
	ck_assert_str_eq(render("{CallingAET}", &f, "  SCU  ", "x"), "SCU");
}
END_TEST

/* The rules of layout.h for one sanitised value. */
static void
assert_safe_value(const char *v)
{
	size_t n = strlen(v);

	ck_assert_uint_ge(n, 1);
	ck_assert_uint_le(n, LAYOUT_VALUE_MAX);
	ck_assert_ptr_null(strchr(v, '/'));
	ck_assert_ptr_null(strchr(v, '\\'));
	ck_assert_ptr_null(strstr(v, ".."));
	/* '~' marks the names a taken name gives way to (sink_dir.h) */
	ck_assert_ptr_null(strchr(v, '~'));
	ck_assert_int_ne(v[0], '.');
	ck_assert_int_ne(v[0], '-');
	for (; *v != '\0'; v++)
		ck_assert_msg((unsigned char)*v > 0x20 &&
		    (unsigned char)*v < 0x7f, "byte 0x%02x", *v);
}

static const char *
san(const char *v, size_t len)
{
	static char out[LAYOUT_VALUE_MAX + 1];
	size_t n = layout_sanitize(out, v, len);

	ck_assert_uint_eq(strlen(out), n);
	assert_safe_value(out);
	return out;
}

START_TEST(sanitize_neutralises_hostile_values)
{
	static char big[10240];
	const char ctl[] = "a\x01\x1b[31m\x7f\n\tb";
	const char nul[] = "1.2\0/../x";

	ck_assert_str_eq(san("../../etc/passwd", 16), "_._.__etc_passwd");
	ck_assert_str_eq(san("/abs", 4), "_abs");
	ck_assert_str_eq(san(".", 1), "_");
	ck_assert_str_eq(san("..", 2), "_.");
	ck_assert_str_eq(san("...", 3), "_._");
	ck_assert_str_eq(san(".hidden", 7), "_hidden");
	ck_assert_str_eq(san("-rf", 3), "_rf");
	ck_assert_str_eq(san("a..b", 4), "a._b");
	ck_assert_str_eq(san("C:\\x y", 6), "C__x_y");
	ck_assert_str_eq(san(ctl, sizeof(ctl) - 1), "a___31m___b");
	ck_assert_str_eq(san(nul, sizeof(nul) - 1), "1.2__.__x");
	ck_assert_str_eq(san("M\xc3\xbcller^Hans", 12), "M__ller^Hans");
	ck_assert_str_eq(san("1.2.840+x", 9), "1.2.840+x");
	ck_assert_str_eq(san("CT~2", 4), "CT_2");
	ck_assert_str_eq(san("", 0), "unknown");
	ck_assert_str_eq(san(NULL, 5), "unknown");
	ck_assert_str_eq(san(" \0 \0", 4), "unknown");
	memset(big, '7', sizeof(big));
	ck_assert_uint_eq(strlen(san(big, sizeof(big))), LAYOUT_VALUE_MAX);
	memset(big, '.', sizeof(big));
	ck_assert_uint_eq(strlen(san(big, sizeof(big))), LAYOUT_VALUE_MAX);
	memset(big, '/', sizeof(big));
	san(big, sizeof(big));
}
END_TEST

START_TEST(hostile_values_cannot_leave_the_directory)
{
	static char big[10240];
	static const char *const evil[] = { "../../etc/passwd", "/abs", "..",
		".", "", "\x01\x02", "a/../../b", "//", big };
	const char *p, *c;
	size_t i;

	memset(big, 'x', sizeof(big) - 1);
	big[100] = '/';
	for (i = 0; i < sizeof(evil) / sizeof(*evil); i++) {
		struct fake f = { .n = 0 };

		fake_set(&f, DS_TAG_PATIENT_ID, evil[i], strlen(evil[i]));
		fake_set(&f, DS_TAG_STUDY_INSTANCE_UID, evil[i], strlen(evil[i]));
		fake_set(&f, DS_TAG_SOP_INSTANCE_UID, evil[i], strlen(evil[i]));
		p = render("{PatientID}/{StudyInstanceUID}/{SOPInstanceUID}",
		    &f, evil[i], evil[i]);
		ck_assert_uint_lt(strlen(p), LAYOUT_PATH_MAX);
		/* exactly three components, each safe */
		for (c = p; c != NULL; c = strchr(c, '/') ? strchr(c, '/') + 1 :
		    NULL) {
			char comp[LAYOUT_PATH_MAX];
			size_t n = strcspn(c, "/");

			memcpy(comp, c, n);
			comp[n] = '\0';
			assert_safe_value(comp);
		}
		ck_assert_int_eq(p[0] != '/', 1);
		ck_assert_ptr_nonnull(strchr(p, '/'));
		ck_assert_ptr_nonnull(strchr(strchr(p, '/') + 1, '/'));
		ck_assert_ptr_null(strchr(strchr(strchr(p, '/') + 1, '/') + 1,
		    '/'));
	}
}
END_TEST

/*
 * A UID the receiver accepts is named as sent: a leading zero or any
 * other PS3.5 9.1 slip changes nothing, and 64 digits fit whole.
 */
START_TEST(uids_are_named_as_sent)
{
	static const char *const uids[] = { "1.2.03.4", "1.2.0.4",
		"2.25.0001", "1.2.3.", "1",
		"1234567890123456789012345678901234567890123456789012345678901234" };
	char want[80];
	size_t i;

	for (i = 0; i < sizeof(uids) / sizeof(*uids); i++) {
		struct fake f = { .n = 0 };

		fake_set(&f, DS_TAG_SOP_INSTANCE_UID, uids[i], strlen(uids[i]));
		snprintf(want, sizeof(want), "%s.dcm", uids[i]);
		ck_assert_str_eq(render(NULL, &f, "SCU", "20261206"), want);
	}
}
END_TEST

START_TEST(bad_templates_are_refused_with_a_reason)
{
	static const struct {
		const char *tmpl, *msg;
	} bad[] = {
		{ "{Foo}.dcm", "unknown placeholder '{Foo}' in layout "
		    "'{Foo}.dcm'" },
		{ "{}.dcm", "unknown placeholder '{}'" },
		{ "{sopinstanceuid}", "unknown placeholder" },
		{ "{SOPInstanceUID.dcm", "unbalanced '{'" },
		{ "{SOP{Modality}}", "unbalanced '{'" },
		{ "{Modality/x}", "unbalanced '{'" },
		{ "SOPInstanceUID}.dcm", "unbalanced '}'" },
		{ "a}{Modality}", "unbalanced '}'" },
		{ "/data/{SOPInstanceUID}", "absolute layout" },
		{ "a//{SOPInstanceUID}", "empty path component" },
		{ "{Modality}/", "empty path component" },
		{ ".", "starting with '.'" },
		{ "..", "starting with '.'" },
		{ "./{SOPInstanceUID}", "starting with '.'" },
		{ "../{SOPInstanceUID}", "starting with '.'" },
		{ "a/../{SOPInstanceUID}", "starting with '.'" },
		{ ".cstore-tmp-{SOPInstanceUID}", "starting with '.'" },
		{ "a\tb", "control character 0x09" },
		{ "", "empty layout" },
		{ "{PatientID}{PatientID}{PatientID}{PatientID}", "component too "
		    "long" },
	};
	struct layout l;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		struct cs_err err = { 0 };

		ck_assert_int_eq(layout_parse(&l, bad[i].tmpl, &err),
		    CS_E_INVAL);
		ck_assert_int_eq(err.code, CS_E_INVAL);
		ck_assert_msg(strstr(err.msg, bad[i].msg) != NULL,
		    "'%s': got '%s'", bad[i].tmpl, err.msg);
	}
}
END_TEST

START_TEST(long_templates_are_bounded)
{
	char t[LAYOUT_PATH_MAX + 10];
	struct layout l;
	struct cs_err err = { 0 };
	size_t i, n = 0;

	/* 16 components of 3 placeholders: 16 * 193 > 1023 */
	for (i = 0; i < 16; i++)
		n += (size_t)snprintf(t + n, sizeof(t) - n, "%s{Modality}"
		    "{Modality}{Modality}", i ? "/" : "");
	ck_assert_int_eq(layout_parse(&l, t, &err), CS_E_INVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "too long"));
	memset(t, 'a', sizeof(t) - 1);
	t[sizeof(t) - 1] = '\0';
	cs_err_clear(&err);
	ck_assert_int_eq(layout_parse(&l, t, &err), CS_E_INVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "layout too long"));
	/* 3 placeholders and a literal fit in one component */
	ck_assert_int_eq(layout_parse(&l, "{PatientID}{PatientID}{PatientID}"
	    ".dcm", NULL), 0);
}
END_TEST

START_TEST(render_reports_a_small_buffer)
{
	struct layout l;
	struct fake f = { .n = 0 };
	struct layout_input in = { fake_lookup, &f, "A", "B", "20261125" };
	struct cs_err err = { 0 };
	char out[16];

	fake_set(&f, DS_TAG_SOP_INSTANCE_UID, "1.2.3.4", 7);
	ck_assert_int_eq(layout_parse(&l, NULL, NULL), 0);
	ck_assert_int_eq(layout_render(&l, &in, out, 8, &err), CS_E_TOOBIG);
	ck_assert_str_eq(out, "");
	ck_assert_int_eq(layout_render(&l, &in, out, 0, NULL), CS_E_TOOBIG);
	ck_assert_int_eq(layout_render(&l, &in, out, 12, NULL), 11);
	ck_assert_str_eq(out, "1.2.3.4.dcm");
}
END_TEST

START_TEST(layout_lists_the_tags_it_needs)
{
	struct layout l;
	uint32_t t[LAYOUT_MAX_TAGS];
	size_t n;

	ck_assert_int_eq(layout_parse(&l, "{Modality}/{PatientID}/{Modality}/"
	    "{CallingAET}{Date}{SOPInstanceUID}", NULL), 0);
	n = layout_tags(&l, t, LAYOUT_MAX_TAGS);
	ck_assert_uint_eq(n, 3);
	ck_assert_uint_eq(t[0], DS_TAG_MODALITY);
	ck_assert_uint_eq(t[1], DS_TAG_PATIENT_ID);
	ck_assert_uint_eq(t[2], DS_TAG_SOP_INSTANCE_UID);
	ck_assert_uint_eq(layout_tags(&l, t, 1), 1);
	ck_assert_ptr_nonnull(strstr(layout_placeholder_list(),
	    "{SeriesInstanceUID}"));
}
END_TEST

START_TEST(renders_from_a_real_scan)
{
	/* Explicit VR LE: (0008,0018) UI "1.2" + NUL, (0010,0020) LO */
	static const uint8_t ds[] = { 0x08, 0x00, 0x18, 0x00, 'U', 'I', 4, 0,
		'1', '.', '2', 0, 0x10, 0x00, 0x20, 0x00, 'L', 'O', 6, 0, '.',
		'.', '/', 'x', ' ', ' ' };
	const uint32_t tags[] = { DS_TAG_SOP_INSTANCE_UID, DS_TAG_PATIENT_ID };
	struct ds_scan s;
	struct layout l;
	struct layout_input in = { layout_ds_scan_lookup, &s, "SCU", "RCV",
		"20261125" };
	char out[LAYOUT_PATH_MAX];

	ck_assert_int_eq(ds_scan_init(&s, DS_ENC_EVR_LE, tags, 2, 0, NULL), 0);
	ck_assert_int_eq(ds_scan_feed(&s, ds, sizeof(ds), NULL), 0);
	ck_assert_int_eq(layout_parse(&l, "{PatientID}/{Modality}/"
	    "{SOPInstanceUID}.dcm", NULL), 0);
	ck_assert_int_gt(layout_render(&l, &in, out, sizeof(out), NULL), 0);
	ck_assert_str_eq(out, "_._x/unknown/1.2.dcm");
}
END_TEST

Suite *
layout_suite(void)
{
	Suite *s = suite_create("layout");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, default_layout_is_the_instance_uid);
	tcase_add_test(tc, every_placeholder_is_filled_in);
	tcase_add_test(tc, missing_and_empty_values_become_unknown);
	tcase_add_test(tc, values_are_trimmed_of_padding);
	tcase_add_test(tc, sanitize_neutralises_hostile_values);
	tcase_add_test(tc, hostile_values_cannot_leave_the_directory);
	tcase_add_test(tc, uids_are_named_as_sent);
	tcase_add_test(tc, bad_templates_are_refused_with_a_reason);
	tcase_add_test(tc, long_templates_are_bounded);
	tcase_add_test(tc, render_reports_a_small_buffer);
	tcase_add_test(tc, layout_lists_the_tags_it_needs);
	tcase_add_test(tc, renders_from_a_real_scan);
	suite_add_tcase(s, tc);
	return s;
}
