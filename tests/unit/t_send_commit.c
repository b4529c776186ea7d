/* t_send_commit.c - dcmsend's --commit-state journal. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cstore/storescu.h"
#include "cli/send_commit.h"

Suite *send_commit_suite(void);

/*
 * 32 "-" lines of 128 bytes fill the journal's first 4096-byte buffer
 * exactly: the 32nd lost its newline to snprintf's NUL, which then went
 * into the file and hid every later line from the reader.
 */
START_TEST(gone_lines_that_fill_the_buffer_exactly_stay_whole)
{
	char dir[] = "/tmp/t_send_commit.XXXXXX", path[64], tx[63], inst[65];
	struct send_commit_state st;
	char line[512];
	int i, gone = 0, nul = 0, c;
	FILE *f;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/state", dir);
	memset(tx, '1', 62);
	tx[0] = '2';
	tx[1] = '.';
	tx[62] = '\0';
	send_commit_state_init(&st, path, 1);
	for (i = 0; i < 40; i++) {
		struct storescu_pending p;

		memset(&p, 0, sizeof(p));
		snprintf(inst, sizeof(inst), "1.2.%058d", i);
		p.transaction_uid = tx;
		p.sop_class = "1.2.840.10008.5.1.4.1.1.7";
		p.sop_instance = inst;
		p.path = "/x";
		p.last = i == 39;
		send_commit_state_add(&st, &p);
	}
	for (i = 0; i < 40; i++) {
		struct storescu_result r;

		memset(&r, 0, sizeof(r));
		snprintf(inst, sizeof(inst), "1.2.%058d", i);
		r.transaction_uid = tx;
		r.sop_instance = inst;
		r.commit = STORESCU_COMMITTED;
		send_commit_state_done(&st, &r);
	}
	ck_assert_int_eq(send_commit_state_write(&st), 0);
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	while ((c = fgetc(f)) != EOF)
		nul += c == '\0';
	rewind(f);
	while (fgets(line, sizeof(line), f) != NULL)
		gone += strncmp(line, "-\t", 2) == 0;
	fclose(f);
	ck_assert_int_eq(nul, 0);
	ck_assert_int_eq(gone, 40);
	send_commit_state_release(&st);
	unlink(path);
	rmdir(dir);
}
END_TEST

/* Adds n inputs of transaction tx, instances "1.2.<from + i>". */
static void
add_inputs(struct send_commit_state *st, const char *tx, int from, int n)
{
	char inst[32];

	for (int i = 0; i < n; i++) {
		struct storescu_pending p;

		memset(&p, 0, sizeof(p));
		snprintf(inst, sizeof(inst), "1.2.%d", from + i);
		p.transaction_uid = tx;
		p.sop_class = "1.2.840.10008.5.1.4.1.1.7";
		p.sop_instance = inst;
		p.path = "/x";
		p.last = i == n - 1;
		send_commit_state_add(st, &p);
	}
}

/*
 * Appends larger than one writev's worth of lines (600 of them, then
 * 300 more with 300 "-" lines) read back whole and in order.
 */
START_TEST(appends_of_many_lines_read_back_in_order)
{
	char dir[] = "/tmp/t_send_commit.XXXXXX", path[64], inst[32];
	struct send_commit_state st;
	struct send_commit_pending got;
	size_t i;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/state", dir);
	send_commit_state_init(&st, path, 1);
	add_inputs(&st, "2.25.1", 0, 1); /* the first write makes the file */
	add_inputs(&st, "2.25.2", 1000, 600);
	for (i = 0; i < 300; i++) {
		struct storescu_result r;

		memset(&r, 0, sizeof(r));
		snprintf(inst, sizeof(inst), "1.2.%zu", 1000 + i);
		r.transaction_uid = "2.25.2";
		r.sop_instance = inst;
		r.commit = STORESCU_COMMITTED;
		send_commit_state_done(&st, &r);
	}
	add_inputs(&st, "2.25.3", 5000, 300);
	ck_assert_uint_eq(st.rewrites, 1);
	ck_assert_uint_eq(st.appends, 2);
	ck_assert_uint_eq(st.live, 601);
	send_commit_state_release(&st);
	ck_assert_int_eq(send_commit_state_read(path, &got, 1), 0);
	ck_assert_uint_eq(got.n, 601);
	ck_assert_str_eq(got.p[0].sop_instance, "1.2.0");
	for (i = 0; i < 300; i++) {
		snprintf(inst, sizeof(inst), "1.2.%zu", 1300 + i);
		ck_assert_str_eq(got.p[1 + i].transaction_uid, "2.25.2");
		ck_assert_str_eq(got.p[1 + i].sop_instance, inst);
	}
	for (i = 0; i < 300; i++) {
		snprintf(inst, sizeof(inst), "1.2.%zu", 5000 + i);
		ck_assert_str_eq(got.p[301 + i].sop_instance, inst);
	}
	send_commit_pending_release(&got);
	unlink(path);
	rmdir(dir);
}
END_TEST

/* The file sent is kept after its path (which may hold a tab, escaped)
 * and read back; a line without it (an older run's) has none. */
START_TEST(the_file_sent_is_read_back)
{
	char dir[] = "/tmp/t_send_commit.XXXXXX", path[64];
	struct send_commit_state st;
	struct send_commit_pending got;
	struct storescu_pending p;
	FILE *f;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/state", dir);
	send_commit_state_init(&st, path, 1);
	memset(&p, 0, sizeof(p));
	p.transaction_uid = "2.25.9";
	p.sop_class = "1.2.840.10008.5.1.4.1.1.7";
	p.sop_instance = "1.2.3";
	p.path = "dir\twith tab/a.dcm";
	p.dev = 2049;
	p.ino = 1234567;
	p.size = 812;
	p.mtime_ns = 1700000000123456789;
	p.ctime_ns = -1;
	p.last = 1;
	send_commit_state_add(&st, &p);
	send_commit_state_release(&st);
	f = fopen(path, "a");
	ck_assert_ptr_nonnull(f);
	fputs("2.25.9\t0000\t1.2.840.10008.5.1.4.1.1.7\t1.2.4\told.dcm\n", f);
	fclose(f);
	ck_assert_int_eq(send_commit_state_read(path, &got, 1), 0);
	ck_assert_uint_eq(got.n, 2);
	ck_assert_str_eq(got.p[0].path, "dir\twith tab/a.dcm");
	ck_assert_uint_eq(got.p[0].dev, 2049);
	ck_assert_uint_eq(got.p[0].ino, 1234567);
	ck_assert_uint_eq(got.p[0].size, 812);
	ck_assert(got.p[0].mtime_ns == 1700000000123456789);
	ck_assert(got.p[0].ctime_ns == -1);
	ck_assert_str_eq(got.p[1].path, "old.dcm");
	ck_assert_uint_eq(got.p[1].ino, 0);
	send_commit_pending_release(&got);
	/* a damaged identity is a malformed line */
	f = fopen(path, "a");
	ck_assert_ptr_nonnull(f);
	fputs("2.25.9\t0000\t1.2.840.10008.5.1.4.1.1.7\t1.2.5\tb.dcm\t1:x\n", f);
	fclose(f);
	ck_assert_int_ne(send_commit_state_read(path, &got, 1), 0);
	unlink(path);
	rmdir(dir);
}
END_TEST

Suite *
send_commit_suite(void)
{
	Suite *s = suite_create("send_commit");
	TCase *tc = tcase_create("journal");

	tcase_add_test(tc, gone_lines_that_fill_the_buffer_exactly_stay_whole);
	tcase_add_test(tc, appends_of_many_lines_read_back_in_order);
	tcase_add_test(tc, the_file_sent_is_read_back);
	suite_add_tcase(s, tc);
	return s;
}
