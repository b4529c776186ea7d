/* t_policy.c - the receiver's association policy and debugging faults. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "cstore/cstore.h"
#include "cstore/storescp.h"
#include "core/ul_pdu.h"
#include "storescp/scp.h"
#include "cli/recv_opts.h"

Suite *policy_suite(void);

#define CT "1.2.840.10008.5.1.4.1.1.2"
#define SC "1.2.840.10008.5.1.4.1.1.7"
#define IVR "1.2.840.10008.1.2"
#define EVR "1.2.840.10008.1.2.1"
#define J2K "1.2.840.10008.1.2.4.90"

static struct ul_assoc_params *rq, *ac;

static void
setup(void)
{
	rq = calloc(1, sizeof(*rq));
	ac = calloc(1, sizeof(*ac));
	ck_assert_ptr_nonnull(rq);
	ck_assert_ptr_nonnull(ac);
	strcpy(rq->called_ae, "ANY-SCP");
	strcpy(rq->calling_ae, "SCU");
	strcpy(rq->app_context, UL_APP_CONTEXT);
}

static void
teardown(void)
{
	free(rq);
	free(ac);
}

static void
propose(uint8_t id, const char *as, const char *ts1, const char *ts2)
{
	struct ul_pc *pc = &rq->pc[rq->n_pc++];

	pc->id = id;
	strcpy(pc->abstract_syntax, as);
	strcpy(pc->ts[pc->n_ts++], ts1);
	if (ts2 != NULL)
		strcpy(pc->ts[pc->n_ts++], ts2);
}

static int
decide(const struct storescp_config *cfg, const char *host,
    struct ul_assoc_rj *rj, char *why)
{
	struct scp_policy p;
	struct cs_err err = { 0, "" };
	int rc;

	ck_assert_int_eq(policy_init(&p, cfg, &err), 0);
	rc = policy_decide(&p, rq, host, NULL, ac, rj, why, 256);
	policy_release(&p);
	return rc;
}

START_TEST(policy_accepts_storage_and_verification_in_the_senders_order)
{
	struct storescp_config cfg = { 0 };
	struct ul_assoc_rj rj;
	char why[256];

	propose(1, CT, J2K, EVR);
	propose(3, "1.2.840.10008.1.1", IVR, NULL);
	propose(5, "1.2.3.999.1", EVR, NULL);
	propose(7, SC, "1.2.3.4.5.6", NULL);
	ck_assert_int_eq(decide(&cfg, "127.0.0.1", &rj, why), POLICY_ACCEPT);
	ck_assert_uint_eq(ac->n_pc, 4);
	ck_assert_uint_eq(ac->pc[0].id, 1);
	ck_assert_uint_eq(ac->pc[0].result, UL_PC_ACCEPTANCE);
	ck_assert_str_eq(ac->pc[0].ts[0], J2K); /* the sender's first */
	ck_assert_uint_eq(ac->pc[1].result, UL_PC_ACCEPTANCE);
	ck_assert_uint_eq(ac->pc[2].result, UL_PC_ABSTRACT_SYNTAX_NOT_SUPPORTED);
	ck_assert_uint_eq(ac->pc[3].result, UL_PC_TRANSFER_SYNTAXES_NOT_SUPPORTED);
	ck_assert_str_eq(why, "");
}
END_TEST

/* PS3.6 2025: the waveform presentation states and DICONDE's ultrasound
 * waveform are Storage SOP classes; by default they are accepted too. */
START_TEST(policy_accepts_the_storage_classes_ps36_added_lately)
{
	struct storescp_config cfg = { 0 };
	struct ul_assoc_rj rj;
	char why[256];

	propose(1, "1.2.840.10008.5.1.4.1.1.9.100.1", EVR, NULL);
	propose(3, "1.2.840.10008.5.1.4.1.1.9.100.2", EVR, NULL);
	propose(5, "1.2.840.10008.5.1.4.1.1.601.5", EVR, NULL);
	ck_assert_int_eq(decide(&cfg, "127.0.0.1", &rj, why), POLICY_ACCEPT);
	ck_assert_uint_eq(ac->n_pc, 3);
	for (size_t i = 0; i < 3; i++)
		ck_assert_uint_eq(ac->pc[i].result, UL_PC_ACCEPTANCE);
}
END_TEST

START_TEST(policy_ts_list_sets_which_and_our_order)
{
	const char *ts[] = { "ImplicitVRLittleEndian", EVR };
	struct storescp_config cfg = { .ts = ts, .n_ts = 2 };
	struct ul_assoc_rj rj;
	char why[256];

	propose(1, CT, EVR, IVR);
	propose(3, CT, J2K, NULL);
	ck_assert_int_eq(decide(&cfg, "127.0.0.1", &rj, why), POLICY_ACCEPT);
	ck_assert_str_eq(ac->pc[0].ts[0], IVR); /* ours first */
	ck_assert_uint_eq(ac->pc[1].result, UL_PC_TRANSFER_SYNTAXES_NOT_SUPPORTED);
}
END_TEST

START_TEST(policy_sop_class_lists_accept_and_refuse)
{
	const char *only[] = { "CTImageStorage", SC, "1.2.3.999.1" };
	const char *refused[] = { SC };
	struct storescp_config cfg = { .sop_classes = only, .n_sop_classes = 3,
		.reject_sop_classes = refused, .n_reject_sop_classes = 1 };
	struct ul_assoc_rj rj;
	char why[256];

	propose(1, CT, EVR, NULL);
	propose(3, SC, EVR, NULL);
	propose(5, "1.2.3.999.1", EVR, NULL);
	propose(7, "1.2.840.10008.5.1.4.1.1.4", EVR, NULL);
	ck_assert_int_eq(decide(&cfg, "127.0.0.1", &rj, why), POLICY_ACCEPT);
	ck_assert_uint_eq(ac->pc[0].result, UL_PC_ACCEPTANCE);
	ck_assert_uint_eq(ac->pc[1].result, UL_PC_ABSTRACT_SYNTAX_NOT_SUPPORTED);
	ck_assert_uint_eq(ac->pc[2].result, UL_PC_ACCEPTANCE);
	ck_assert_uint_eq(ac->pc[3].result, UL_PC_ABSTRACT_SYNTAX_NOT_SUPPORTED);
}
END_TEST

START_TEST(policy_strict_aet_rejects_other_called_titles_with_reason_7)
{
	struct storescp_config cfg = { .aet = "ARCHIVE", .strict_aet = 1 };
	struct ul_assoc_rj rj;
	char why[256];

	propose(1, CT, EVR, NULL);
	ck_assert_int_eq(decide(&cfg, "127.0.0.1", &rj, why), POLICY_REJECT);
	ck_assert_uint_eq(rj.result, 1);
	ck_assert_uint_eq(rj.source, 1);
	ck_assert_uint_eq(rj.reason, 7);
	ck_assert_ptr_nonnull(strstr(why, "'ANY-SCP' not recognised"));
	strcpy(rq->called_ae, "ARCHIVE");
	ck_assert_int_eq(decide(&cfg, "127.0.0.1", &rj, why), POLICY_ACCEPT);
}
END_TEST

START_TEST(policy_allow_list_checks_calling_title_and_host_with_reason_3)
{
	const char *allow[] = { "MODALITY", "LOCAL@localhost", "FAR@192.0.2.7" };
	struct storescp_config cfg = { .allow = allow, .n_allow = 3 };
	struct ul_assoc_rj rj;
	char why[256];

	propose(1, CT, EVR, NULL);
	ck_assert_int_eq(decide(&cfg, "127.0.0.1", &rj, why), POLICY_REJECT);
	ck_assert_uint_eq(rj.reason, 3);
	strcpy(rq->calling_ae, "MODALITY");
	ck_assert_int_eq(decide(&cfg, "10.1.1.1", &rj, why), POLICY_ACCEPT);
	strcpy(rq->calling_ae, "LOCAL");
	ck_assert_int_eq(decide(&cfg, "::1", &rj, why), POLICY_ACCEPT);
	ck_assert_int_eq(decide(&cfg, "10.1.1.1", &rj, why), POLICY_REJECT);
	strcpy(rq->calling_ae, "FAR");
	ck_assert_int_eq(decide(&cfg, "192.0.2.7", &rj, why), POLICY_ACCEPT);
	ck_assert_int_eq(decide(&cfg, "192.0.2.8", &rj, why), POLICY_REJECT);
}
END_TEST

START_TEST(policy_rejects_a_foreign_application_context_with_reason_2)
{
	struct storescp_config cfg = { 0 };
	struct ul_assoc_rj rj;
	char why[256];

	strcpy(rq->app_context, "1.2.3");
	propose(1, CT, EVR, NULL);
	ck_assert_int_eq(decide(&cfg, "127.0.0.1", &rj, why), POLICY_REJECT);
	ck_assert_uint_eq(rj.reason, 2);
}
END_TEST

/* Decides an RQ proposing the window invoked/performed (propose 0: no
 * window item) with our window cfg_window; ac holds the answer. */
static void
decide_window(unsigned cfg_window, int propose_it, uint16_t invoked,
    uint16_t performed)
{
	struct storescp_config cfg = { .async_window = cfg_window };
	struct ul_assoc_rj rj;
	char why[256];

	rq->n_pc = 0;
	propose(1, CT, EVR, NULL);
	rq->has_async_ops = propose_it;
	rq->max_ops_invoked = invoked;
	rq->max_ops_performed = performed;
	ck_assert_int_eq(decide(&cfg, "127.0.0.1", &rj, why), POLICY_ACCEPT);
	ck_assert_uint_eq(ac->pc[0].result, UL_PC_ACCEPTANCE);
}

static void
assert_window(int has, uint16_t invoked, uint16_t performed)
{
	ck_assert_int_eq(ac->has_async_ops, has);
	ck_assert_uint_eq(ac->max_ops_invoked, invoked);
	ck_assert_uint_eq(ac->max_ops_performed, performed);
}

START_TEST(policy_answers_no_async_window_unless_one_is_proposed)
{
	decide_window(0, 0, 0, 0);
	assert_window(0, 0, 0);
	decide_window(8, 0, 0, 0);
	assert_window(0, 0, 0);
	decide_window(1, 0, 0, 0);
	assert_window(0, 0, 0);
}
END_TEST

START_TEST(policy_async_window_is_the_smaller_limit_and_we_perform_one)
{
	/* 0 proposed means unlimited: our default, 16, applies. */
	decide_window(0, 1, 0, 0);
	assert_window(1, 16, 1);
	decide_window(0, 1, 4, 4);
	assert_window(1, 4, 1);
	decide_window(0, 1, 16, 1);
	assert_window(1, 16, 1);
	decide_window(0, 1, 17, 2);
	assert_window(1, 16, 1);
	decide_window(8, 1, 100, 1);
	assert_window(1, 8, 1);
	decide_window(8, 1, 0, 0);
	assert_window(1, 8, 1);
	decide_window(65535, 1, 0, 9);
	assert_window(1, 65535, 1);
}
END_TEST

START_TEST(policy_async_window_1_answers_synchronous)
{
	decide_window(1, 1, 0, 0);
	assert_window(1, 1, 1);
	decide_window(1, 1, 100, 5);
	assert_window(1, 1, 1);
	decide_window(1, 1, 1, 1);
	assert_window(1, 1, 1);
}
END_TEST

START_TEST(policy_init_refuses_bad_values)
{
	const char *bad_allow[] = { "@host" };
	const char *bad_class[] = { "NoSuchStorage" };
	const char *bad_ts[] = { "CTImageStorage" };
	struct storescp_config c1 = { .aet = "" };
	struct storescp_config c2 = { .aet = "A\\B" };
	struct storescp_config c3 = { .allow = bad_allow, .n_allow = 1 };
	struct storescp_config c4 = { .sop_classes = bad_class, .n_sop_classes = 1 };
	struct storescp_config c5 = { .ts = bad_ts, .n_ts = 1 };
	struct storescp_config c6 = { .async_window = 65536 };
	/* a subject with TLS but no CA: no certificate is asked for, it
	 * could never match (dcmrecv refuses it too) */
	const char *subject[] = { "subject=CN=modality-1" };
	struct storescp_config c7 = { .allow = subject,
		.n_allow = 1,
		.tls = { .enabled = 1, .optional_client_cert = 1 } };
	const struct storescp_config *all[] = { &c1, &c2, &c3, &c4, &c5, &c6,
		&c7 };

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		struct scp_policy p;
		struct cs_err err = { 0, "" };

		ck_assert_int_lt(policy_init(&p, all[i], &err), 0);
		ck_assert_str_ne(err.msg, "");
		policy_release(&p);
	}
	/* with its CAs it stands */
	{
		struct scp_policy p;
		struct cs_err err = { 0, "" };

		c7.tls.ca = "ca.pem";
		ck_assert_int_eq(policy_init(&p, &c7, &err), 0);
		policy_release(&p);
	}
}
END_TEST

START_TEST(faults_parse_and_choose_statuses)
{
	struct storescp_faults f = { 0 };
	struct scp_faults s;
	struct cs_err err = { 0, "" };
	const char *why = NULL;
	int forced;

	ck_assert_int_eq(cli_parse_respond_every("3:A700", &f, &err), 0);
	ck_assert_uint_eq(f.respond_every, 3);
	ck_assert_uint_eq(f.respond_every_status, 0xA700);
	ck_assert_int_lt(cli_parse_respond_every("0:A700", &f, &err), 0);
	ck_assert_int_lt(cli_parse_respond_every("3:XYZ", &f, &err), 0);
	faults_init(&s, &f);
	ck_assert_uint_eq(faults_status(&s, 0, &forced), 0);
	ck_assert_int_eq(forced, 0);
	ck_assert_uint_eq(faults_status(&s, 0, &forced), 0);
	ck_assert_uint_eq(faults_status(&s, 0, &forced), 0xA700);
	ck_assert_int_eq(forced, 1);
	ck_assert_int_eq(faults_abort_now(&s, 5, "1.2.3", &why), 0);
}
END_TEST

START_TEST(faults_abort_on_one_instance_or_at_the_nth_store)
{
	struct storescp_faults f = { .abort_after = 3,
		.abort_on_instance = "1.2.3.4" };
	struct scp_faults s;
	const char *why = NULL;

	faults_init(&s, &f);
	ck_assert_int_eq(faults_abort_now(&s, 1, "1.2.3", &why), 0);
	ck_assert_int_eq(faults_abort_now(&s, 1, "1.2.3.45", &why), 0);
	ck_assert_int_eq(faults_abort_now(&s, 1, "1.2.3.4", &why), 1);
	ck_assert_str_eq(why, "--abort-on");
	ck_assert_int_eq(faults_abort_now(&s, 3, "1.2.3", &why), 1);
	ck_assert_str_eq(why, "--abort-after");
	faults_init(&s, NULL);
	ck_assert_int_eq(faults_abort_now(&s, 1000, "1.2.3.4", &why), 0);
}
END_TEST

START_TEST(faults_parse_reject_fields)
{
	struct storescp_faults f = { 0 };
	struct cs_err err = { 0, "" };

	ck_assert_int_eq(cli_parse_reject("transient", &f, &err), 0);
	ck_assert_uint_eq(f.reject_result, 2);
	ck_assert_uint_eq(f.reject_source, 1);
	ck_assert_uint_eq(f.reject_reason, 1);
	ck_assert_int_eq(cli_parse_reject("permanent:limit", &f, &err), 0);
	ck_assert_uint_eq(f.reject_result, 1);
	ck_assert_uint_eq(f.reject_source, 3);
	ck_assert_uint_eq(f.reject_reason, 2);
	ck_assert_int_eq(cli_parse_reject("permanent:7", &f, &err), 0);
	ck_assert_uint_eq(f.reject_reason, 7);
	ck_assert_int_lt(cli_parse_reject("permanent:8", &f, &err), 0);
	ck_assert_int_lt(cli_parse_reject("sometimes", &f, &err), 0);
}
END_TEST

START_TEST(config_init_sets_the_named_defaults)
{
	struct storescp_config c;

	memset(&c, 0xa5, sizeof(c));
	storescp_config_init(&c);
	ck_assert_str_eq(c.aet, STORESCP_DEFAULT_AET);
	ck_assert_str_eq(c.aet, "DCMRECV");
	ck_assert_str_eq(c.port, "0");
	ck_assert_str_eq(c.output_dir, ".");
	ck_assert_str_eq(c.layout, "{SOPInstanceUID}.dcm");
	ck_assert_uint_eq(c.max_pdu, 256u * 1024u);
	ck_assert_uint_eq(c.max_associations, 32);
	ck_assert_uint_eq(c.timeout_ms, 30000);
	ck_assert_uint_eq(c.grace_ms, 10000);
	ck_assert_uint_eq(c.async_window, 16);
	ck_assert_int_eq(c.log_level, STORESCP_LOG_ERROR);
	ck_assert_int_eq(c.on_duplicate, STORESCP_DUP_OVERWRITE);
	ck_assert_ptr_null(c.host);
	ck_assert(c.on_stored == NULL && c.log == NULL);
	ck_assert_ptr_null(c.faults.abort_on_instance);
	ck_assert_int_eq(c.faults.respond | c.faults.reject, 0);
	ck_assert_uint_eq(c.n_allow + c.n_sop_classes + c.n_ts, 0);
	ck_assert_uint_eq(c.max_files + c.max_assocs, 0);
}
END_TEST

Suite *
policy_suite(void)
{
	Suite *s = suite_create("policy");
	TCase *tc = tcase_create("storescp");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, policy_accepts_storage_and_verification_in_the_senders_order);
	tcase_add_test(tc, policy_accepts_the_storage_classes_ps36_added_lately);
	tcase_add_test(tc, policy_ts_list_sets_which_and_our_order);
	tcase_add_test(tc, policy_sop_class_lists_accept_and_refuse);
	tcase_add_test(tc, policy_strict_aet_rejects_other_called_titles_with_reason_7);
	tcase_add_test(tc, policy_allow_list_checks_calling_title_and_host_with_reason_3);
	tcase_add_test(tc, policy_rejects_a_foreign_application_context_with_reason_2);
	tcase_add_test(tc, policy_answers_no_async_window_unless_one_is_proposed);
	tcase_add_test(tc, policy_async_window_is_the_smaller_limit_and_we_perform_one);
	tcase_add_test(tc, policy_async_window_1_answers_synchronous);
	tcase_add_test(tc, policy_init_refuses_bad_values);
	tcase_add_test(tc, faults_parse_and_choose_statuses);
	tcase_add_test(tc, faults_abort_on_one_instance_or_at_the_nth_store);
	tcase_add_test(tc, faults_parse_reject_fields);
	tcase_add_test(tc, config_init_sets_the_named_defaults);
	suite_add_tcase(s, tc);
	return s;
}
