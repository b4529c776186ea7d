/* t_commit_index.c - the receiver's index of stored instances and the
 * commitment transaction built on it (lib/storescp/commit_index.h,
 * commit.h). */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cstore/cstore.h"
#include "core/buf.h"
#include "core/commit_ds.h"
#include "storescp/commit.h"
#include "storescp/commit_index.h"

Suite *commit_index_suite(void);

#define CT "1.2.840.10008.5.1.4.1.1.2"
#define MR "1.2.840.10008.5.1.4.1.1.4"

static char top[64];
static int dfd = -1;

static void
setup(void)
{
	snprintf(top, sizeof(top), "/tmp/t_cidx.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(top));
	dfd = open(top, O_RDONLY | O_DIRECTORY);
	ck_assert_int_ge(dfd, 0);
}

static void
teardown(void)
{
	char cmd[128];

	close(dfd);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
	ck_assert_int_eq(system(cmd), 0);
}

/* A file of n bytes named rel under the output directory. */
static void
put_file(const char *rel, size_t n)
{
	int fd = openat(dfd, rel, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, (off_t)n), 0);
	close(fd);
}

/* Appends raw bytes to the index, as a crash might have left them. */
static void
raw_append(const char *s)
{
	int fd =
	    openat(dfd, COMMIT_INDEX_NAME, O_WRONLY | O_APPEND | O_CREAT, 0644);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, s, strlen(s)), (ssize_t)strlen(s));
	close(fd);
}

static void
item(struct commit_item *it, const char *cls, const char *inst)
{
	memset(it, 0, sizeof(*it));
	snprintf(it->sop_class, sizeof(it->sop_class), "%s", cls);
	snprintf(it->sop_instance, sizeof(it->sop_instance), "%s", inst);
	it->reason = 0xFFFF;
}

static void
add(struct commit_index *ix, const char *cls, const char *inst, uint64_t bytes,
    const char *rel)
{
	struct cs_err err = { 0, "" };

	ck_assert_int_eq(commit_index_add(ix, cls, inst, bytes, rel, &err), 0);
}

START_TEST(held_instances_survive_a_restart_and_others_are_unknown)
{
	struct commit_index ix;
	struct cs_err err = { 0, "" };
	struct commit_item it[4];

	ck_assert_int_eq(mkdirat(dfd, "s1", 0755), 0);
	put_file("s1/a.dcm", 100);
	put_file("b.dcm", 200);
	ck_assert_int_eq(commit_index_open(&ix, dfd, 0, &err), 0);
	add(&ix, CT, "1.2.3.1", 100, "s1/a.dcm");
	add(&ix, MR, "1.2.3.2", 200, "b.dcm");
	commit_index_close(&ix);
	/* a new process: nothing but the file on disk */
	item(&it[0], CT, "1.2.3.1");
	item(&it[1], MR, "1.2.3.2");
	item(&it[2], CT, "1.2.3.9");
	item(&it[3], MR, "1.2.3.1");
	ck_assert_int_eq(commit_index_check(dfd, it, 4, &err), 0);
	ck_assert_uint_eq(it[0].reason, 0);
	ck_assert_uint_eq(it[1].reason, 0);
	ck_assert_uint_eq(it[2].reason, COMMIT_FAIL_NO_SUCH_INSTANCE);
	ck_assert_uint_eq(it[3].reason, COMMIT_FAIL_CLASS_INSTANCE_CONFLICT);
}
END_TEST

START_TEST(a_torn_last_line_is_ignored_and_the_next_line_stands_alone)
{
	struct commit_index ix;
	struct cs_err err = { 0, "" };
	struct commit_item it[2];

	put_file("a.dcm", 10);
	put_file("b.dcm", 20);
	/* the crash cut the line of a.dcm inside its path */
	raw_append(CT "\t1.2.3.1\t10\ta.d");
	ck_assert_int_eq(commit_index_open(&ix, dfd, 1, &err), 0);
	add(&ix, CT, "1.2.3.2", 20, "b.dcm");
	commit_index_close(&ix);
	item(&it[0], CT, "1.2.3.1");
	item(&it[1], CT, "1.2.3.2");
	ck_assert_int_eq(commit_index_check(dfd, it, 2, &err), 0);
	ck_assert_uint_eq(it[0].reason, COMMIT_FAIL_NO_SUCH_INSTANCE);
	ck_assert_uint_eq(it[1].reason, 0);
}
END_TEST

START_TEST(a_torn_line_without_a_newline_at_the_end_is_skipped)
{
	struct cs_err err = { 0, "" };
	struct commit_item it[1];

	put_file("a.dcm", 10);
	raw_append(CT "\t1.2.3.1\t10\ta.dcm"); /* no LF: never completed */
	item(&it[0], CT, "1.2.3.1");
	ck_assert_int_eq(commit_index_check(dfd, it, 1, &err), 0);
	ck_assert_uint_eq(it[0].reason, COMMIT_FAIL_NO_SUCH_INSTANCE);
}
END_TEST

START_TEST(garbage_lines_are_skipped)
{
	struct cs_err err = { 0, "" };
	struct commit_item it[1];

	put_file("a.dcm", 10);
	raw_append("\n\t\t\t\nnot a line\n" CT "\t1.2.3.1\tten\ta.dcm\n"
		   "x\t1.2.3.1\t10\ta.dcm\n" CT "\t1.2.3.1\t10\t\n");
	item(&it[0], CT, "1.2.3.1");
	ck_assert_int_eq(commit_index_check(dfd, it, 1, &err), 0);
	ck_assert_uint_eq(it[0].reason, COMMIT_FAIL_NO_SUCH_INSTANCE);
}
END_TEST

START_TEST(a_file_gone_or_changed_in_size_is_not_held)
{
	struct commit_index ix;
	struct cs_err err = { 0, "" };
	struct commit_item it[2];

	put_file("a.dcm", 10);
	put_file("b.dcm", 20);
	ck_assert_int_eq(commit_index_open(&ix, dfd, 0, &err), 0);
	add(&ix, CT, "1.2.3.1", 10, "a.dcm");
	add(&ix, CT, "1.2.3.2", 20, "b.dcm");
	commit_index_close(&ix);
	ck_assert_int_eq(unlinkat(dfd, "a.dcm", 0), 0);
	put_file("b.dcm", 21);
	item(&it[0], CT, "1.2.3.1");
	item(&it[1], CT, "1.2.3.2");
	ck_assert_int_eq(commit_index_check(dfd, it, 2, &err), 0);
	ck_assert_uint_eq(it[0].reason, COMMIT_FAIL_NO_SUCH_INSTANCE);
	ck_assert_uint_eq(it[1].reason, COMMIT_FAIL_NO_SUCH_INSTANCE);
}
END_TEST

START_TEST(the_latest_line_of_an_instance_wins)
{
	struct commit_index ix;
	struct cs_err err = { 0, "" };
	struct commit_item it[2];

	put_file("a.dcm", 30); /* overwritten by a re-send of 30 bytes */
	ck_assert_int_eq(commit_index_open(&ix, dfd, 0, &err), 0);
	add(&ix, CT, "1.2.3.1", 10, "a.dcm");
	add(&ix, CT, "1.2.3.1", 30, "a.dcm");
	commit_index_close(&ix);
	item(&it[0], CT, "1.2.3.1");
	item(&it[1], CT, "1.2.3.1"); /* named twice: both answered */
	ck_assert_int_eq(commit_index_check(dfd, it, 2, &err), 0);
	ck_assert_uint_eq(it[0].reason, 0);
	ck_assert_uint_eq(it[1].reason, 0);
}
END_TEST

START_TEST(no_index_yet_means_nothing_is_held)
{
	struct cs_err err = { 0, "" };
	struct commit_item it[1];

	item(&it[0], CT, "1.2.3.1");
	ck_assert_int_eq(commit_index_check(dfd, it, 1, &err), 0);
	ck_assert_uint_eq(it[0].reason, COMMIT_FAIL_NO_SUCH_INSTANCE);
}
END_TEST

START_TEST(a_path_with_a_tab_or_newline_is_refused)
{
	struct commit_index ix;
	struct cs_err err = { 0, "" };

	ck_assert_int_eq(commit_index_open(&ix, dfd, 0, &err), 0);
	ck_assert_int_eq(
	    commit_index_add(&ix, CT, "1.2.3.1", 1, "a\tb", &err), CS_E_INVAL);
	ck_assert_int_eq(
	    commit_index_add(&ix, CT, "1.2.3.1", 1, "a\nb", &err), CS_E_INVAL);
	commit_index_close(&ix);
}
END_TEST

/* Collects what a report says. */
struct seen {
	int ok, failed;
	uint16_t reasons[8];
};

static int
on_ref(void *ctx, int failed, const struct commit_ref *r)
{
	struct seen *s = ctx;

	if (failed)
		s->reasons[s->failed++] = r->failure_reason;
	else
		s->ok++;
	return 0;
}

/* The Action Information naming n instances of CT, 1.2.3.1 ... */
static void
request(struct commit_tx *t, int n)
{
	struct commit_ref r[8];
	char uids[8][16];
	struct cs_err err = { 0, "" };
	struct wr w;

	for (int i = 0; i < n; i++) {
		snprintf(uids[i], sizeof(uids[i]), "1.2.3.%d", i + 1);
		r[i] = (struct commit_ref){ CT, uids[i], 0 };
	}
	wr_init(&w, 1u << 20);
	ck_assert_int_gt(commit_ds_encode(&w, DS_ENC_IVR_LE, "2.25.77", r,
			     (size_t)n, NULL, 0, &err),
	    0);
	commit_tx_init(t, DS_ENC_IVR_LE);
	commit_tx_data(t, w.p, 10); /* in two pieces, as PDVs come */
	commit_tx_data(t, w.p + 10, w.len - 10);
	wr_release(&w);
}

/* request(), with an empty fragment first, between and last */
static void
request_split(struct commit_tx *t, int n)
{
	struct commit_tx whole;

	request(&whole, n);
	commit_tx_init(t, DS_ENC_IVR_LE);
	commit_tx_data(t, whole.rq, 0);
	commit_tx_data(t, whole.rq, 7);
	commit_tx_data(t, whole.rq + 7, 0);
	commit_tx_data(t, whole.rq + 7, whole.rq_len - 7);
	commit_tx_data(t, whole.rq + whole.rq_len, 0);
	commit_tx_release(&whole);
}

START_TEST(a_transaction_reports_held_and_missing_instances)
{
	struct commit_index ix;
	struct cs_err err = { 0, "" };
	struct commit_ds_cb cb;
	struct commit_tx t;
	struct seen s = { 0, 0, { 0 } };
	char tx[COMMIT_UID_MAX + 1];

	put_file("a.dcm", 10);
	ck_assert_int_eq(commit_index_open(&ix, dfd, 0, &err), 0);
	add(&ix, CT, "1.2.3.1", 10, "a.dcm");
	commit_index_close(&ix);
	ck_assert_int_eq(commit_index_open(&ix, dfd, 0, &err), 0);
	request(&t, 2);
	ck_assert_uint_eq(commit_tx_decode(&t, &err), 0);
	ck_assert_uint_eq(t.n, 2);
	ck_assert_int_eq(
	    commit_tx_judge(&t, &ix, 0, 0, NULL, NULL, &err), COMMIT_EVENT_FAILURES);
	commit_index_close(&ix);
	cb = (struct commit_ds_cb){ on_ref, &s };
	ck_assert_int_eq(
	    commit_ds_decode(t.ds, t.ds_len, DS_ENC_IVR_LE, tx, &cb, &err), 0);
	ck_assert_str_eq(tx, "2.25.77");
	ck_assert_int_eq(s.ok, 1);
	ck_assert_int_eq(s.failed, 1);
	ck_assert_uint_eq(s.reasons[0], COMMIT_FAIL_NO_SUCH_INSTANCE);
	commit_tx_release(&t);
}
END_TEST

/* for commit_tx_judge: every class but CT is one the receiver stores */
static int
not_ct(const void *ctx, const char *uid)
{
	(void)ctx;
	return strcmp(uid, CT) != 0;
}

START_TEST(unheld_of_a_class_not_stored_is_0122_a_duplicate_is_0131)
{
	struct commit_index ix;
	struct cs_err err = { 0, "" };
	struct commit_tx t;

	put_file("a.dcm", 10);
	ck_assert_int_eq(commit_index_open(&ix, dfd, 0, &err), 0);
	add(&ix, CT, "1.2.3.1", 10, "a.dcm");
	/* 1.2.3.1 held: committed whatever the class check says; 1.2.3.2
	 * not held, and CT refused: 0122 instead of 0112 */
	request(&t, 2);
	ck_assert_uint_eq(commit_tx_decode(&t, &err), 0);
	ck_assert_int_eq(commit_tx_judge(&t, &ix, 0, 0, not_ct, NULL, &err),
	    COMMIT_EVENT_FAILURES);
	ck_assert_uint_eq(t.items[0].reason, 0);
	ck_assert_uint_eq(t.items[1].reason, COMMIT_FAIL_CLASS_NOT_SUPPORTED);
	commit_tx_release(&t);
	/* a duplicate: every instance 0131, held or not, --commit-fail or not */
	request(&t, 2);
	ck_assert_uint_eq(commit_tx_decode(&t, &err), 0);
	ck_assert_int_eq(commit_tx_judge(&t, &ix, COMMIT_DUPLICATE, 1, NULL,
			     NULL, &err),
	    COMMIT_EVENT_FAILURES);
	ck_assert_uint_eq(t.n_failed, 2);
	ck_assert_uint_eq(t.items[0].reason, COMMIT_FAIL_DUPLICATE_TRANSACTION);
	ck_assert_uint_eq(t.items[1].reason, COMMIT_FAIL_DUPLICATE_TRANSACTION);
	commit_tx_release(&t);
	commit_index_close(&ix);
}
END_TEST

START_TEST(commit_fail_n_fails_every_nth_instance_on_purpose)
{
	struct commit_index ix;
	struct cs_err err = { 0, "" };
	struct commit_tx t;

	ck_assert_int_eq(commit_index_open(&ix, dfd, 0, &err), 0);
	for (int i = 1; i <= 5; i++) {
		char name[16], uid[16];

		snprintf(name, sizeof(name), "%d.dcm", i);
		snprintf(uid, sizeof(uid), "1.2.3.%d", i);
		put_file(name, 10);
		add(&ix, CT, uid, 10, name);
	}
	request(&t, 5);
	ck_assert_uint_eq(commit_tx_decode(&t, &err), 0);
	ck_assert_int_eq(commit_tx_judge(&t, &ix, COMMIT_SYNC, 2, NULL, NULL, &err),
	    COMMIT_EVENT_FAILURES);
	ck_assert_uint_eq(t.n_failed, 2);
	ck_assert_uint_eq(t.items[0].reason, 0);
	ck_assert_uint_eq(t.items[1].reason, COMMIT_FAIL_PROCESSING);
	ck_assert_uint_eq(t.items[3].reason, COMMIT_FAIL_PROCESSING);
	commit_tx_release(&t);
	request(&t, 5);
	ck_assert_uint_eq(commit_tx_decode(&t, &err), 0);
	ck_assert_int_eq(
	    commit_tx_judge(&t, &ix, 0, 0, NULL, NULL, &err), COMMIT_EVENT_SUCCESS);
	commit_tx_release(&t);
	commit_index_close(&ix);
}
END_TEST

START_TEST(a_malformed_request_is_answered_invalid_argument)
{
	struct cs_err err = { 0, "" };
	struct commit_tx t;
	static const uint8_t junk[] = { 0x08, 0x00, 0x95, 0x11, 0xff, 0xff,
		0xff, 0x7f };

	commit_tx_init(&t, DS_ENC_IVR_LE);
	commit_tx_data(&t, junk, sizeof(junk));
	ck_assert_uint_eq(commit_tx_decode(&t, &err), 0x0115);
	commit_tx_release(&t);
}
END_TEST

START_TEST(empty_fragments_of_a_request_are_no_data)
{
	struct cs_err err = { 0, "" };
	struct commit_tx t;
	static const uint8_t none[1];

	/* a peer may send a PDV with no bytes first, and nothing else:
	 * (with UBSan) no memcpy to the buffer not yet allocated */
	commit_tx_init(&t, DS_ENC_IVR_LE);
	commit_tx_data(&t, none, 0);
	commit_tx_data(&t, NULL, 0);
	ck_assert_ptr_null(t.rq);
	ck_assert_uint_eq(t.rq_len, 0);
	ck_assert_uint_eq(commit_tx_decode(&t, &err), 0x0115);
	commit_tx_release(&t);
	/* and between two halves of a request they change nothing */
	request_split(&t, 2);
	ck_assert_uint_eq(commit_tx_decode(&t, &err), 0);
	ck_assert_uint_eq(t.n, 2);
	commit_tx_release(&t);
}
END_TEST

START_TEST(the_index_in_memory_sees_what_any_writer_appends_later)
{
	struct commit_index ix;
	struct cs_err err = { 0, "" };
	struct commit_item it[2];

	put_file("a.dcm", 10);
	put_file("b.dcm", 20);
	ck_assert_int_eq(commit_index_open(&ix, dfd, 0, &err), 0);
	add(&ix, CT, "1.2.3.1", 10, "a.dcm");
	item(&it[0], CT, "1.2.3.1");
	item(&it[1], MR, "1.2.3.2");
	ck_assert_int_eq(commit_index_judge(&ix, it, 2, 0, &err), 0);
	ck_assert_uint_eq(it[0].reason, 0);
	ck_assert_uint_eq(it[1].reason, COMMIT_FAIL_NO_SUCH_INSTANCE);
	/* another process appends: half a line first, then the rest */
	raw_append(MR "\t1.2.3.2\t2");
	ck_assert_int_eq(commit_index_judge(&ix, it, 2, 0, &err), 0);
	ck_assert_uint_eq(it[1].reason, COMMIT_FAIL_NO_SUCH_INSTANCE);
	raw_append("0\tb.dcm\n");
	ck_assert_int_eq(commit_index_judge(&ix, it, 2, 0, &err), 0);
	ck_assert_uint_eq(it[0].reason, 0);
	ck_assert_uint_eq(it[1].reason, 0);
	/* a later line for a.dcm's instance under another class wins */
	add(&ix, MR, "1.2.3.1", 10, "a.dcm");
	ck_assert_int_eq(commit_index_judge(&ix, it, 2, 0, &err), 0);
	ck_assert_uint_eq(it[0].reason, COMMIT_FAIL_CLASS_INSTANCE_CONFLICT);
	commit_index_close(&ix);
}
END_TEST

START_TEST(a_report_flushes_only_when_something_it_names_is_newer_than_the_last_flush)
{
	struct commit_index ix;
	struct cs_err err = { 0, "" };
	struct commit_item it[2];

	put_file("a.dcm", 10);
	put_file("b.dcm", 20);
	ck_assert_int_eq(commit_index_open(&ix, dfd, 0, &err), 0);
	item(&it[0], CT, "1.2.3.1");
	item(&it[1], MR, "1.2.3.2");
	/* nothing held: nothing to flush */
	ck_assert_int_eq(commit_index_judge(&ix, it, 2, 1, &err), 0);
	ck_assert_uint_eq(atomic_load(&ix.syncs), 0);
	add(&ix, CT, "1.2.3.1", 10, "a.dcm");
	ck_assert_int_eq(commit_index_judge(&ix, it, 1, 1, &err), 0);
	ck_assert_uint_eq(it[0].reason, 0);
	ck_assert_uint_eq(atomic_load(&ix.syncs), 1);
	/* asked again, and with something else stored since: no flush */
	add(&ix, MR, "1.2.3.3", 20, "b.dcm");
	ck_assert_int_eq(commit_index_judge(&ix, it, 1, 1, &err), 0);
	ck_assert_uint_eq(atomic_load(&ix.syncs), 1);
	/* a newer line among those asked for: one flush */
	add(&ix, MR, "1.2.3.2", 20, "b.dcm");
	ck_assert_int_eq(commit_index_judge(&ix, it, 2, 1, &err), 0);
	ck_assert_uint_eq(it[1].reason, 0);
	ck_assert_uint_eq(atomic_load(&ix.syncs), 2);
	ck_assert_int_eq(commit_index_judge(&ix, it, 2, 1, &err), 0);
	ck_assert_uint_eq(atomic_load(&ix.syncs), 2);
	commit_index_close(&ix);
}
END_TEST

START_TEST(an_index_larger_than_one_read_is_read_whole)
{
	struct commit_index ix;
	struct cs_err err = { 0, "" };
	struct commit_item it[3];
	char line[128];
	int fd;

	/* 3000 lines, ~200 KB: several reads, lines cut at their ends */
	fd = openat(dfd, COMMIT_INDEX_NAME, O_WRONLY | O_CREAT, 0644);
	ck_assert_int_ge(fd, 0);
	for (int i = 0; i < 3000; i++) {
		int n = snprintf(line, sizeof(line), CT "\t1.2.3.%d\t%d\tf%d.dcm\n",
		    i, 10 + i % 7, i);

		ck_assert_int_eq(write(fd, line, (size_t)n), n);
	}
	close(fd);
	put_file("f0.dcm", 10);
	put_file("f2999.dcm", 10 + 2999 % 7);
	put_file("f1500.dcm", 10 + 1500 % 7);
	ck_assert_int_eq(commit_index_open(&ix, dfd, 0, &err), 0);
	item(&it[0], CT, "1.2.3.0");
	item(&it[1], CT, "1.2.3.2999");
	item(&it[2], CT, "1.2.3.1500");
	ck_assert_int_eq(commit_index_judge(&ix, it, 3, 0, &err), 0);
	ck_assert_uint_eq(it[0].reason, 0);
	ck_assert_uint_eq(it[1].reason, 0);
	ck_assert_uint_eq(it[2].reason, 0);
	commit_index_close(&ix);
}
END_TEST

Suite *
commit_index_suite(void)
{
	Suite *s = suite_create("commit_index");
	TCase *tc = tcase_create("index");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(
	    tc, held_instances_survive_a_restart_and_others_are_unknown);
	tcase_add_test(
	    tc, a_torn_last_line_is_ignored_and_the_next_line_stands_alone);
	tcase_add_test(tc, a_torn_line_without_a_newline_at_the_end_is_skipped);
	tcase_add_test(tc, garbage_lines_are_skipped);
	tcase_add_test(tc, a_file_gone_or_changed_in_size_is_not_held);
	tcase_add_test(tc, the_latest_line_of_an_instance_wins);
	tcase_add_test(tc, no_index_yet_means_nothing_is_held);
	tcase_add_test(tc, a_path_with_a_tab_or_newline_is_refused);
	tcase_add_test(tc, a_transaction_reports_held_and_missing_instances);
	tcase_add_test(tc, commit_fail_n_fails_every_nth_instance_on_purpose);
	tcase_add_test(tc, unheld_of_a_class_not_stored_is_0122_a_duplicate_is_0131);
	tcase_add_test(tc, a_malformed_request_is_answered_invalid_argument);
	tcase_add_test(tc, empty_fragments_of_a_request_are_no_data);
	tcase_add_test(
	    tc, the_index_in_memory_sees_what_any_writer_appends_later);
	tcase_add_test(tc, an_index_larger_than_one_read_is_read_whole);
	tcase_add_test(tc,
	    a_report_flushes_only_when_something_it_names_is_newer_than_the_last_flush);
	suite_add_tcase(s, tc);
	return s;
}
