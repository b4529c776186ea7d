/* t_send_convert.c - a file's target syntax among a list
 * (lib/storescu/send_convert: STOW-RS's choice, propose_pick's test). */
#include <check.h>
#include <string.h>

#include "cstore/cstore.h"
#include "dcmfile/dcmfile.h"
#include "storescu/send_convert.h"

Suite *send_convert_suite(void);

#define EV TS_UID_ExplicitVRLittleEndian
#define IV TS_UID_ImplicitVRLittleEndian
#define JLL "1.2.840.10008.1.2.4.70" /* JPEG Lossless SV1 */
#define JB "1.2.840.10008.1.2.4.50"  /* JPEG Baseline: lossy */
#define J2K "1.2.840.10008.1.2.4.91" /* JPEG 2000: lossy */

static int
skip_named(void *user, const char *ts)
{
	return strcmp(ts, (const char *)user) == 0;
}

START_TEST(lossless_first_in_list_order_then_lossy_only_if_allowed)
{
	struct propose_opts po = { .can_transcode = dcmfile_can_transcode };
	const char *const list[] = { JB, JLL, EV };
	const char *const lossy[] = { JB, J2K };
	long only;

	/* the first lossless one, though a lossy one comes before it */
	ck_assert_int_eq(
	    send_convert_target(IV, list, 3, &po, NULL, NULL, &only), 1);
	ck_assert_int_eq(only, -1);
	/* one the caller leaves out (the service refused it) */
	ck_assert_int_eq(send_convert_target(IV, list, 3, &po, skip_named,
			     (void *)JLL, &only),
	    2);
	/* only lossy ones: none, and which --lossy would allow */
	ck_assert_int_eq(
	    send_convert_target(EV, lossy, 2, &po, NULL, NULL, &only), -1);
	ck_assert_int_eq(only, 0);
	ck_assert_int_eq(send_convert_target(EV, lossy, 2, &po, skip_named,
			     (void *)JB, &only),
	    -1);
	ck_assert_int_eq(only, 1);
	po.allow_lossy = 1;
	ck_assert_int_eq(
	    send_convert_target(EV, lossy, 2, &po, NULL, NULL, &only), 0);
	ck_assert_int_eq(only, -1);
	/* nothing reaches a private syntax: none either way */
	ck_assert_int_eq(
	    send_convert_target("1.2.3.4", list, 3, &po, NULL, NULL, &only),
	    -1);
	ck_assert_int_eq(only, -1);
	ck_assert_int_eq(send_convert_target(IV, list, 0, &po, NULL, NULL, NULL),
	    -1);
}
END_TEST

Suite *
send_convert_suite(void)
{
	Suite *s = suite_create("send_convert");
	TCase *tc = tcase_create("storescu");

	tcase_add_test(tc, lossless_first_in_list_order_then_lossy_only_if_allowed);
	suite_add_tcase(s, tc);
	return s;
}
