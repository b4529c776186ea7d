/* t_send.c - storescu_send without a peer: outcome words, options, and
 * dry runs that report every input exactly once. */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cstore/cstore.h"
#include "cstore/storescu.h"
#include "core/alloc.h"
#include "net/net.h"

Suite *send_suite(void);

struct seen {
	size_t n, planned, plans;
	int count[STORESCU_PLANNED + 1];
	size_t index_sum;
	unsigned n_pc;
};

static void
on_result(void *user, const struct storescu_result *r)
{
	struct seen *s = user;

	s->n++;
	s->index_sum += r->index;
	s->count[r->outcome]++;
	ck_assert_ptr_nonnull(r->detail);
	ck_assert_ptr_nonnull(r->sop_class);
	if (r->outcome == STORESCU_PLANNED)
		ck_assert_str_eq(r->sop_class, "1.2.840.10008.5.1.4.1.1.7");
}

static void
on_plan(void *user, const struct storescu_plan_assoc *a)
{
	struct seen *s = user;

	s->plans++;
	s->n_pc += a->n_pc;
	ck_assert_uint_ge(a->n_pc, 1);
	ck_assert_uint_eq(a->pc[0].pcid, 1);
}

static const struct storescu_config cfg = {
	.host = "127.0.0.1", .port = "1", .connect_timeout_ms = 1000,
	.acse_timeout_ms = 1000, .dimse_timeout_ms = 1000,
};

START_TEST(outcome_words_are_distinct_and_stored_means_on_the_peer)
{
	int i, j;

	for (i = STORESCU_STORED; i <= STORESCU_PLANNED; i++) {
		ck_assert_str_ne(storescu_outcome_word((enum storescu_outcome)i), "?");
		for (j = i + 1; j <= STORESCU_PLANNED; j++)
			ck_assert_str_ne(storescu_outcome_word((enum storescu_outcome)i),
			    storescu_outcome_word((enum storescu_outcome)j));
	}
	ck_assert_int_eq(storescu_outcome_stored(STORESCU_STORED), 1);
	ck_assert_int_eq(storescu_outcome_stored(STORESCU_WARNING), 1);
	ck_assert_int_eq(storescu_outcome_stored(STORESCU_RESUMED), 1);
	ck_assert_int_eq(storescu_outcome_stored(STORESCU_ABORTED), 0);
	ck_assert_int_eq(storescu_outcome_stored(STORESCU_NOCONTEXT), 0);
	ck_assert_str_eq(storescu_outcome_word(STORESCU_RESUMED), "resumed");
}
END_TEST

START_TEST(send_dry_run_reports_every_input_once)
{
	static const char *const paths[] = {
		"tests/data/p10-evrle.dcm", "tests/data/no-such-file.dcm",
		"tests/data/not-dicom.txt", "tests/data/img16-j2k.dcm",
		"tests/data/p10-truncated-element.dcm", "tests/data/bare-ivrle.dcm",
	};
	struct storescu_send_opts o = { .dry_run = 1, .on_result = on_result,
		.on_plan = on_plan };
	struct storescu_summary sum;
	struct cs_err err = { 0, "" };
	struct seen s;

	memset(&s, 0, sizeof(s));
	o.user = &s;
	ck_assert_int_eq(storescu_send(&cfg, &o, paths, 6, &sum, &err), 0);
	ck_assert_uint_eq(s.n, 6);
	ck_assert_uint_eq(s.index_sum, 0 + 1 + 2 + 3 + 4 + 5);
	ck_assert_int_eq(s.count[STORESCU_PLANNED], 3);
	ck_assert_int_eq(s.count[STORESCU_UNREADABLE], 1);
	ck_assert_int_eq(s.count[STORESCU_NOTDICOM], 1);
	ck_assert_int_eq(s.count[STORESCU_TRUNCATED], 1);
	ck_assert_uint_eq(s.plans, 1);
	ck_assert_uint_eq(sum.inputs, 6);
	ck_assert_uint_eq(sum.skipped, 3);
	ck_assert_uint_eq(sum.stored + sum.failed, 0);
}
END_TEST

START_TEST(send_no_transcode_proposes_each_syntax_alone)
{
	static const char *const paths[] = {
		"tests/data/p10-evrle.dcm", "tests/data/p10-ivrle.dcm",
		"tests/data/img16-rle.dcm",
	};
	struct storescu_send_opts o = { .dry_run = 1, .no_transcode = 1,
		.on_result = on_result, .on_plan = on_plan };
	struct storescu_summary sum;
	struct cs_err err = { 0, "" };
	struct seen s;

	memset(&s, 0, sizeof(s));
	o.user = &s;
	ck_assert_int_eq(storescu_send(&cfg, &o, paths, 3, &sum, &err), 0);
	ck_assert_uint_eq(s.n_pc, 3);
	ck_assert_int_eq(s.count[STORESCU_PLANNED], 3);
}
END_TEST

START_TEST(send_rejects_too_many_jobs_before_any_result)
{
	static const char *const paths[] = { "tests/data/p10-evrle.dcm" };
	struct storescu_send_opts o = { .jobs = 257, .on_result = on_result };
	struct storescu_summary sum;
	struct cs_err err = { 0, "" };
	struct seen s;

	memset(&s, 0, sizeof(s));
	o.user = &s;
	ck_assert_int_eq(storescu_send(&cfg, &o, paths, 1, &sum, &err), CS_E_INVAL);
	ck_assert_uint_eq(s.n, 0);
	ck_assert_int_eq(err.code, CS_E_INVAL);
}
END_TEST

START_TEST(send_to_nobody_reports_notsent_with_the_reason)
{
	static const char *const paths[] = {
		"tests/data/p10-evrle.dcm", "tests/data/not-dicom.txt",
	};
	struct storescu_send_opts o = { .on_result = on_result };
	struct storescu_config c = cfg;
	struct storescu_summary sum;
	struct cs_err err = { 0, "" };
	struct seen s;
	int rc;

	memset(&s, 0, sizeof(s));
	o.user = &s;
	c.host = "no-such-host.invalid";
	/* NONAME from a resolver that answers, UNREACHABLE from one that
	 * cannot be reached (a private network namespace) */
	rc = storescu_send(&c, &o, paths, 2, &sum, &err);
	ck_assert(rc == CS_E_NONAME || rc == CS_E_UNREACHABLE);
	ck_assert_uint_eq(s.n, 2);
	ck_assert_int_eq(s.count[STORESCU_NOTSENT], 1);
	ck_assert_int_eq(s.count[STORESCU_NOTDICOM], 1);
	ck_assert_uint_eq(sum.failed, 1);
	ck_assert_uint_eq(sum.skipped, 1);
	ck_assert_ptr_nonnull(strstr(err.msg, "no-such-host.invalid"));
}
END_TEST

/* A name that does not resolve is an answer, not a transient failure:
 * decided by its code (a service name resolves locally, always). */
START_TEST(send_does_not_retry_a_name_that_does_not_resolve)
{
	static const char *const paths[] = { "tests/data/p10-evrle.dcm" };
	struct storescu_send_opts o = { .on_result = on_result, .retries = 3,
		.retry_delay_ms = 20000 };
	struct storescu_config c = cfg;
	struct storescu_summary sum;
	struct cs_err err = { 0, "" };
	struct seen s;
	uint64_t t0;

	memset(&s, 0, sizeof(s));
	o.user = &s;
	c.host = "127.0.0.1";
	c.port = "no-such-dicom-service";
	t0 = net_now_ms();
	ck_assert_int_eq(storescu_send(&c, &o, paths, 1, &sum, &err), CS_E_NONAME);
	ck_assert_uint_lt(net_now_ms() - t0, 10000); /* no backoff taken */
	ck_assert_int_eq(s.count[STORESCU_NOTSENT], 1);
	ck_assert_ptr_nonnull(strstr(err.msg, "resolve"));
}
END_TEST

/* A listener on 127.0.0.1 that never accepts (the kernel completes the
 * connections); its port into port. */
static int
silent_listener(char *port, size_t len)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t alen = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	ck_assert_int_ge(fd, 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(listen(fd, 8), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
	snprintf(port, len, "%u", (unsigned)ntohs(a.sin_port));
	return fd;
}

/* An AE title of 17 characters is another title, not one to cut to 16:
 * nothing is sent, CS_E_INVAL says why (as an empty one is refused). */
START_TEST(an_ae_title_longer_than_16_is_refused_never_cut)
{
	static const char *const paths[] = { "tests/data/p10-evrle.dcm" };
	struct storescu_send_opts o = { .on_result = on_result };
	struct storescu_config c = cfg;
	struct storescu_echo_result r;
	struct storescu_summary sum;
	struct cs_err err = { 0, "" };
	struct seen s;
	char port[8];
	int fd = silent_listener(port, sizeof(port));

	c.port = port;
	c.calling_ae = "ABCDEFGHIJKLMNOPQ";
	ck_assert_int_eq(storescu_echo(&c, &r, &err), CS_E_INVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "'ABCDEFGHIJKLMNOPQ'"));
	ck_assert_ptr_nonnull(strstr(err.msg, "longer than 16"));
	c.calling_ae = NULL;
	c.called_ae = "ABCDEFGHIJKLMNOPQ";
	cs_err_clear(&err);
	memset(&s, 0, sizeof(s));
	o.user = &s;
	ck_assert_int_eq(storescu_send(&c, &o, paths, 1, &sum, &err), CS_E_INVAL);
	ck_assert_int_eq(s.count[STORESCU_NOTSENT], 1);
	ck_assert_ptr_nonnull(strstr(err.msg, "longer than 16"));
	/* 16 is the most, and fits */
	c.called_ae = "ABCDEFGHIJKLMNOP";
	c.acse_timeout_ms = 200;
	cs_err_clear(&err);
	ck_assert_int_eq(storescu_echo(&c, &r, &err), CS_E_TIMEOUT);
	close(fd);
}
END_TEST

START_TEST(send_dry_run_fails_cleanly_at_every_allocation)
{
	static const char *const paths[] = {
		"tests/data/p10-evrle.dcm", "tests/data/img16-j2k.dcm",
		"tests/data/not-dicom.txt",
	};
	struct storescu_send_opts o = { .dry_run = 1, .on_result = on_result,
		.on_plan = on_plan };
	struct storescu_summary sum;
	struct cs_err err;
	struct seen s;
	unsigned long n;
	int rc;

	for (n = 1; n < 10000; n++) {
		memset(&s, 0, sizeof(s));
		o.user = &s;
		cs_err_clear(&err);
		cs_alloc_fail_at(n);
		rc = storescu_send(&cfg, &o, paths, 3, &sum, &err);
		cs_alloc_fail_at(0);
		if (rc == 0) {
			ck_assert_uint_eq(s.n, 3);
			break;
		}
		ck_assert_int_eq(rc, CS_E_NOMEM);
		ck_assert_int_eq(err.code, CS_E_NOMEM);
		ck_assert_uint_le(s.n, 3); /* never a line twice */
	}
	ck_assert_uint_gt(n, 1);
}
END_TEST

/* storescu_follow's next() for a test that must never read the stream */
static long
no_next(void *user, const char **out, size_t max, int wait_ms)
{
	(void)out;
	(void)max;
	(void)wait_ms;
	(*(int *)user)++;
	return -1;
}

/* No host (NULL or empty) or no port: CS_E_INVAL naming the field,
 * before a result or a connection; getaddrinfo(3) took a NULL host for
 * the loopback address, and the messages said "(null)". */
START_TEST(no_peer_host_or_port_is_refused_never_null)
{
	static const char *const paths[] = { "tests/data/p10-evrle.dcm" };
	struct storescu_send_opts o = { .on_result = on_result };
	struct storescu_follow_opts fo = { .next = no_next };
	struct storescu_config c = cfg;
	struct storescu_echo_result r;
	struct storescu_summary sum;
	struct cs_err err = { 0, "" };
	struct seen s;
	char port[8];
	int fd = silent_listener(port, sizeof(port)), nexts = 0;

	c.host = NULL;
	c.port = port; /* a NULL host would have reached this listener */
	ck_assert_int_eq(storescu_echo(&c, &r, &err), CS_E_INVAL);
	ck_assert_str_eq(err.msg, "no peer host given (storescu_config.host is NULL)");
	memset(&s, 0, sizeof(s));
	o.user = &s;
	cs_err_clear(&err);
	ck_assert_int_eq(storescu_send(&c, &o, paths, 1, &sum, &err), CS_E_INVAL);
	ck_assert_uint_eq(s.n, 0);
	ck_assert_ptr_null(strstr(err.msg, "(null)"));
	fo.user = &nexts;
	cs_err_clear(&err);
	ck_assert_int_eq(storescu_follow(&c, &o, &fo, &sum, &err), CS_E_INVAL);
	ck_assert_int_eq(nexts, 0);
	ck_assert_uint_eq(s.n, 0);
	c.host = "";
	cs_err_clear(&err);
	ck_assert_int_eq(storescu_echo(&c, &r, &err), CS_E_INVAL);
	ck_assert_str_eq(err.msg, "no peer host given (storescu_config.host is empty)");
	c.host = "127.0.0.1";
	c.port = NULL;
	cs_err_clear(&err);
	ck_assert_int_eq(storescu_send(&c, &o, paths, 1, &sum, &err), CS_E_INVAL);
	ck_assert_str_eq(err.msg, "no peer port given (storescu_config.port is NULL)");
	ck_assert_uint_eq(s.n, 0);
	/* a dry run connects to nobody: it needs no peer */
	c.host = NULL;
	o.dry_run = 1;
	ck_assert_int_eq(storescu_send(&c, &o, paths, 1, &sum, &err), 0);
	ck_assert_int_eq(s.count[STORESCU_PLANNED], 1);
	close(fd);
}
END_TEST

Suite *
send_suite(void)
{
	Suite *s = suite_create("send");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, outcome_words_are_distinct_and_stored_means_on_the_peer);
	tcase_add_test(tc, send_dry_run_reports_every_input_once);
	tcase_add_test(tc, send_no_transcode_proposes_each_syntax_alone);
	tcase_add_test(tc, send_rejects_too_many_jobs_before_any_result);
	tcase_add_test(tc, send_to_nobody_reports_notsent_with_the_reason);
	tcase_add_test(tc, send_does_not_retry_a_name_that_does_not_resolve);
	tcase_add_test(tc, send_dry_run_fails_cleanly_at_every_allocation);
	tcase_add_test(tc, an_ae_title_longer_than_16_is_refused_never_cut);
	tcase_add_test(tc, no_peer_host_or_port_is_refused_never_null);
	suite_add_tcase(s, tc);
	return s;
}
