/* t_resume.c - the set of paths a previous run stored (lib/cli/resume). */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "cstore/cstore.h"
#include "core/alloc.h"
#include "cli/resume.h"

Suite *resume_suite(void);

static int
add(struct resume *r, const char *line)
{
	return resume_add_line(r, line, strlen(line));
}

START_TEST(tsv_success_and_warnings_count_as_stored)
{
	struct resume *r = resume_new();

	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(add(r, "0000\ta.dcm\t1.2.3\t1.2.3.4\t\n"), 1);
	ck_assert_int_eq(add(r, "0001\tb.dcm\t1.2.3\t1.2.3.5\t"), 1);
	ck_assert_int_eq(add(r, "B000\tc.dcm\t1.2\t1.3\tcoerced"), 1);
	ck_assert_int_eq(add(r, "b007\td.dcm\t1.2\t1.3\t"), 1);
	ck_assert_int_eq(add(r, "0107\te.dcm\t1.2\t1.3\t"), 1);
	ck_assert_int_eq(add(r, "0116\tf.dcm\t1.2\t1.3\t"), 1);
	ck_assert_int_eq(add(r, "resumed\tg.dcm\t1.2\t1.3\t"), 1);
	ck_assert_int_eq(add(r, "0000\th.dcm\t"), 1); /* short record: still ours */
	/* no tab after the path: it may have been cut short */
	ck_assert_int_eq(add(r, "0000\th.dcm.cut"), CS_E_INVAL);
	ck_assert_uint_eq(resume_count(r), 8);
	ck_assert_int_eq(resume_has(r, "a.dcm"), 1);
	ck_assert_int_eq(resume_has(r, "g.dcm"), 1);
	ck_assert_int_eq(resume_has(r, "h.dcm"), 1);
	ck_assert_int_eq(resume_has(r, "z.dcm"), 0);
	ck_assert_uint_eq(resume_stats(r)->stored, 8);
	resume_free(r);
}
END_TEST

START_TEST(the_instance_each_stored_path_had_is_kept)
{
	struct resume *r = resume_new();

	ck_assert_int_eq(add(r, "0000\ta.dcm\t1.2.3\t1.2.3.4\t\n"), 1);
	ck_assert_str_eq(resume_instance(r, "./a.dcm"), "1.2.3.4");
	/* a later run that stored another instance there: the last wins */
	ck_assert_int_eq(add(r, "0000\ta.dcm\t1.2.3\t1.2.3.5\t"), 1);
	ck_assert_str_eq(resume_instance(r, "a.dcm"), "1.2.3.5");
	/* a resumed line (no UID) does not forget it */
	ck_assert_int_eq(add(r, "resumed\ta.dcm\t\t\tstored"), 1);
	ck_assert_str_eq(resume_instance(r, "a.dcm"), "1.2.3.5");
	/* none said, cut before the UID's tab, or not a UID: unknown */
	ck_assert_int_eq(add(r, "0000\tb.dcm\t"), 1);
	ck_assert_int_eq(add(r, "0000\tc.dcm\t1.2\t1.2.9"), 1);
	ck_assert_int_eq(add(r, "0000\td.dcm\t1.2\t1.x\t"), 1);
	ck_assert_ptr_null(resume_instance(r, "b.dcm"));
	ck_assert_ptr_null(resume_instance(r, "c.dcm"));
	ck_assert_ptr_null(resume_instance(r, "d.dcm"));
	ck_assert_ptr_null(resume_instance(r, "z.dcm"));
	/* JSON */
	ck_assert_int_eq(add(r, "{\"path\":\"e.dcm\",\"status\":\"0000\","
				"\"sop_instance_uid\":\"2.25.7\"}"),
	    1);
	ck_assert_str_eq(resume_instance(r, "e.dcm"), "2.25.7");
	resume_free(r);
}
END_TEST

START_TEST(tsv_failures_and_local_outcomes_are_not_stored)
{
	static const char *const lines[] = {
		"A700\ta.dcm\t1.2\t1.3\tout of resources",
		"a900\tb.dcm\t1.2\t1.3\t",
		"C000\tc.dcm\t1.2\t1.3\tcannot understand",
		"0122\td.dcm\t1.2\t1.3\tSOP class not supported",
		"0110\te.dcm\t1.2\t1.3\t",
		"unreadable\tf.dcm\t\t\tPermission denied",
		"notdicom\tg.dcm\t\t\t",
		"nocontext\th.dcm\t1.2\t1.3\t",
		"aborted\ti.dcm\t1.2\t1.3\t",
	};
	struct resume *r = resume_new();
	size_t i;

	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		ck_assert_int_eq(add(r, lines[i]), 0);
	ck_assert_uint_eq(resume_count(r), 0);
	ck_assert_uint_eq(resume_stats(r)->not_stored, 9);
	ck_assert_uint_eq(resume_stats(r)->unparseable, 0);
	ck_assert_int_eq(resume_has(r, "a.dcm"), 0);
	ck_assert_int_eq(resume_has(r, "f.dcm"), 0);
	resume_free(r);
}
END_TEST

START_TEST(tsv_paths_are_unescaped)
{
	struct resume *r = resume_new();

	ck_assert_int_eq(add(r, "0000\tdir\\twith tab/x.dcm\t1.2\t1.3\t"), 1);
	ck_assert_int_eq(add(r, "0000\tline\\nbreak.dcm\t1.2\t1.3\t"), 1);
	ck_assert_int_eq(add(r, "0000\tC:\\\\win\\\\y.dcm\t1.2\t1.3\t"), 1);
	ck_assert_int_eq(add(r, "0000\tcr\\r.dcm\t"), 1);
	ck_assert_int_eq(resume_has(r, "dir\twith tab/x.dcm"), 1);
	ck_assert_int_eq(resume_has(r, "line\nbreak.dcm"), 1);
	ck_assert_int_eq(resume_has(r, "C:\\win\\y.dcm"), 1);
	ck_assert_int_eq(resume_has(r, "cr\r.dcm"), 1);
	/* the escaped spelling is not a path that was stored */
	ck_assert_int_eq(resume_has(r, "line\\nbreak.dcm"), 0);
	/* escapes we never write make the line unparseable */
	ck_assert_int_eq(add(r, "0000\tbad\\x.dcm"), CS_E_INVAL);
	ck_assert_int_eq(add(r, "0000\ttrailing\\\t"), CS_E_INVAL);
	ck_assert_uint_eq(resume_stats(r)->unparseable, 2);
	resume_free(r);
}
END_TEST

START_TEST(json_lines_with_string_or_numeric_status)
{
	struct resume *r = resume_new();

	ck_assert_int_eq(add(r, "{\"path\":\"a.dcm\",\"status\":\"0000\","
	    "\"sop_class\":\"1.2\"}"), 1);
	ck_assert_int_eq(add(r, "  {\"status\":\"B000\",\"path\":\"b\\tc.dcm\"}"),
	    1);
	ck_assert_int_eq(add(r, "{\"path\":\"\\u00e9t\\u00e9.dcm\",\"status\":0}"),
	    1);
	ck_assert_int_eq(add(r, "{\"path\":\"w.dcm\",\"status\":45062}"), 1);
	ck_assert_int_eq(add(r, "{\"path\":\"f.dcm\",\"status\":\"A700\"}"), 0);
	ck_assert_int_eq(add(r, "{\"path\":\"g.dcm\",\"status\":42752}"), 0);
	ck_assert_int_eq(add(r, "{\"path\":\"h.dcm\",\"status\":\"unreadable\"}"),
	    0);
	ck_assert_int_eq(resume_has(r, "a.dcm"), 1);
	ck_assert_int_eq(resume_has(r, "b\tc.dcm"), 1);
	ck_assert_int_eq(resume_has(r, "\xc3\xa9t\xc3\xa9.dcm"), 1);
	ck_assert_int_eq(resume_has(r, "w.dcm"), 1);
	ck_assert_int_eq(resume_has(r, "f.dcm"), 0);
	ck_assert_int_eq(resume_has(r, "g.dcm"), 0);
	ck_assert_uint_eq(resume_count(r), 4);
	resume_free(r);
}
END_TEST

START_TEST(garbage_lines_are_counted_and_ignored)
{
	static const char *const bad[] = {
		"no tab here",
		"0000",
		"0000\tx.dcm",           /* path not closed by a tab */
		"00000\tx.dcm",           /* five digits */
		"00G0\tx.dcm",            /* not hex */
		"Stored\tx.dcm",          /* words are lower case */
		"0000\t\t1.2\t1.3",       /* empty path */
		"{\"path\":\"x.dcm\"}",   /* no status */
		"{\"status\":\"0000\"}",  /* no path */
		"{\"path\":1,\"status\":\"0000\"}",
		"{\"path\":\"x.dcm\",\"status\":\"0000\"",  /* truncated */
		"{\"path\":\"x.dcm\",\"status\":\"0000\"} trailing",
		"{\"path\":\"x.dcm\",\"status\":70000}",
		"{\"path\":\"x\\u0000y\",\"status\":\"0000\"}",
		"[\"0000\",\"x.dcm\"]",
	};
	struct resume *r = resume_new();
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(add(r, bad[i]) == CS_E_INVAL, "line %zu: %s", i,
		    bad[i]);
	/* blank lines are not even counted */
	ck_assert_int_eq(add(r, ""), 0);
	ck_assert_int_eq(add(r, "  \r\n"), 0);
	ck_assert_uint_eq(resume_stats(r)->lines, i);
	ck_assert_uint_eq(resume_stats(r)->unparseable, i);
	ck_assert_uint_eq(resume_count(r), 0);
	ck_assert_int_eq(resume_has(r, "x.dcm"), 0);
	resume_free(r);
}
END_TEST

START_TEST(stored_once_is_stored_even_if_another_line_failed)
{
	struct resume *r = resume_new();

	ck_assert_int_eq(add(r, "A700\tx.dcm\t1.2\t1.3\t"), 0);
	ck_assert_int_eq(add(r, "0000\tx.dcm\t1.2\t1.3\t"), 1);
	ck_assert_int_eq(add(r, "C000\tx.dcm\t1.2\t1.3\t"), 0);
	ck_assert_int_eq(add(r, "0000\tx.dcm\t1.2\t1.3\t"), 1);
	ck_assert_int_eq(resume_has(r, "x.dcm"), 1);
	ck_assert_uint_eq(resume_count(r), 1);
	resume_free(r);
}
END_TEST

START_TEST(paths_match_after_lexical_normalisation)
{
	struct resume *r = resume_new();
	char longp[3000];

	ck_assert_int_eq(add(r, "0000\t./study//a.dcm\t"), 1);
	ck_assert_int_eq(add(r, "0000\t/abs/./b.dcm\t"), 1);
	ck_assert_int_eq(add(r, "0000\tdir/../c.dcm\t"), 1);
	ck_assert_int_eq(resume_has(r, "study/a.dcm"), 1);
	ck_assert_int_eq(resume_has(r, "./study/./a.dcm"), 1);
	ck_assert_int_eq(resume_has(r, "/abs/b.dcm"), 1);
	ck_assert_int_eq(resume_has(r, "abs/b.dcm"), 0); /* relative is not absolute */
	ck_assert_int_eq(resume_has(r, "c.dcm"), 0);     /* ".." is kept */
	ck_assert_int_eq(resume_has(r, "dir/../c.dcm"), 1);
	/* a path longer than the lookup's stack buffer */
	memset(longp, 'p', sizeof(longp) - 1);
	longp[sizeof(longp) - 1] = '\0';
	ck_assert_int_eq(resume_has(r, longp), 0);
	resume_free(r);
}
END_TEST

START_TEST(load_reads_a_mixed_log_and_counts)
{
	static char log[] =
	    "0000\ta.dcm\t1.2\t1.3\t\n"
	    "{\"path\":\"b.dcm\",\"status\":\"0000\"}\n"
	    "A700\tc.dcm\t1.2\t1.3\tout of resources\n"
	    "\n"
	    "dcmsend: association aborted\n"
	    "0000\td.dcm\t1.2\t1."; /* the last line of a killed run */
	FILE *f = fmemopen(log, strlen(log), "r");
	struct resume *r = resume_new();
	struct cs_err e = { 0, "" };

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(resume_load(r, f, "run1.tsv", &e), 0);
	ck_assert_int_eq(e.code, 0);
	ck_assert_uint_eq(resume_stats(r)->lines, 5);
	ck_assert_uint_eq(resume_stats(r)->stored, 3);
	ck_assert_uint_eq(resume_stats(r)->not_stored, 1);
	ck_assert_uint_eq(resume_stats(r)->unparseable, 1);
	/* the stray message is junk, line 5 of the file (blanks count) */
	ck_assert_uint_eq(resume_stats(r)->junk, 1);
	ck_assert_uint_eq(resume_stats(r)->first_junk, 5);
	ck_assert_int_eq(resume_has(r, "a.dcm"), 1);
	ck_assert_int_eq(resume_has(r, "b.dcm"), 1);
	ck_assert_int_eq(resume_has(r, "c.dcm"), 0);
	/* the path and status are whole, so the stored line counts */
	ck_assert_int_eq(resume_has(r, "d.dcm"), 1);
	fclose(f);
	resume_free(r);
}
END_TEST

START_TEST(status_words_and_codes_classify)
{
	ck_assert_int_eq(resume_status_stored("0000", 4), 1);
	ck_assert_int_eq(resume_status_stored("bfff", 4), 1);
	ck_assert_int_eq(resume_status_stored("0002", 4), 0);
	ck_assert_int_eq(resume_status_stored("FE00", 4), 0); /* cancel */
	ck_assert_int_eq(resume_status_stored("resumed", 7), 1);
	ck_assert_int_eq(resume_status_stored("skipped", 7), 0);
	ck_assert_int_eq(resume_status_stored("resumedx", 7), 1); /* len rules */
	ck_assert_int_eq(resume_status_stored("", 0), -1);
	ck_assert_int_eq(resume_status_stored("OK!", 3), -1);
}
END_TEST

START_TEST(many_paths_and_clean_failure_at_every_allocation)
{
	struct resume *r;
	char line[64];
	unsigned long n;
	size_t i;
	int rc = 0;

	r = resume_new();
	for (i = 0; i < 200000; i++) {
		snprintf(line, sizeof(line), "0000\ts/%zu.dcm\t1.2\t1.3\t", i);
		ck_assert_int_eq(add(r, line), 1);
	}
	ck_assert_uint_eq(resume_count(r), 200000);
	ck_assert_int_eq(resume_has(r, "s/199999.dcm"), 1);
	ck_assert_int_eq(resume_has(r, "s/200000.dcm"), 0);
	resume_free(r);

	for (n = 1; n < 10000; n++) {
		cs_alloc_fail_at(n);
		r = resume_new();
		if (r != NULL) {
			for (i = 0; i < 300; i++) {
				snprintf(line, sizeof(line), "0000\tp%zu\t", i);
				rc = add(r, line);
				if (rc < 0)
					break;
			}
		}
		cs_alloc_fail_at(0);
		if (r != NULL && rc >= 0) {
			ck_assert_uint_eq(resume_count(r), 300);
			resume_free(r);
			break;
		}
		ck_assert(r == NULL || rc == CS_E_NOMEM);
		resume_free(r);
	}
	ck_assert_uint_gt(n, 1);
	ck_assert_uint_lt(n, 10000);
}
END_TEST
START_TEST(with_commit_only_committed_lines_count_as_stored)
{
	struct resume *r = resume_new();

	ck_assert_ptr_nonnull(r);
	resume_require_commit(r);
	ck_assert_int_eq(add(r, "0000\ta.dcm\t1.2\t1.3\tcommitted"), 1);
	ck_assert_int_eq(
	    add(r, "0001\tb.dcm\t1.2\t1.4\tcommitted; coerced"), 1);
	ck_assert_int_eq(add(r,
			     "resumed\tc.dcm\t1.2\t1.5\tcommitted; stored "
			     "and committed according to the resume log"),
	    1);
	/* stored, but not committed: sent again */
	ck_assert_int_eq(add(r,
			     "0000\td.dcm\t1.2\t1.6\tuncommitted; no "
			     "commitment report within 300 s"),
	    0);
	ck_assert_int_eq(add(r,
			     "0000\te.dcm\t1.2\t1.7\tcommitfailed; "
			     "commitment failed: processing failure (0110)"),
	    0);
	ck_assert_int_eq(add(r, "0000\tf.dcm\t1.2\t1.8\t"), 0);
	ck_assert_int_eq(add(r, "0000\tg.dcm\t1.2\t1.9\tcommittedly"), 0);
	ck_assert_int_eq(add(r, "0000\th.dcm\t1.2\tcommitted"), 0);
	/* a failure stays one whatever its detail says */
	ck_assert_int_eq(add(r, "A700\ti.dcm\t1.2\t1.3\tcommitted"), 0);
	ck_assert_int_eq(add(r,
			     "{\"path\":\"j.dcm\",\"status\":\"0000\","
			     "\"commit\":\"committed\"}"),
	    1);
	ck_assert_int_eq(add(r,
			     "{\"path\":\"k.dcm\",\"status\":\"0000\","
			     "\"commit\":\"uncommitted\"}"),
	    0);
	ck_assert_int_eq(
	    add(r, "{\"path\":\"l.dcm\",\"status\":\"0000\"}"), 0);
	ck_assert_uint_eq(resume_count(r), 4);
	ck_assert_int_eq(resume_has(r, "a.dcm"), 1);
	ck_assert_int_eq(resume_has(r, "d.dcm"), 0);
	ck_assert_int_eq(resume_has(r, "j.dcm"), 1);
	ck_assert_int_eq(resume_has(r, "l.dcm"), 0);
	resume_free(r);
}
END_TEST

Suite *
resume_suite(void)
{
	Suite *s = suite_create("resume");
	TCase *tc = tcase_create("storescu");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, tsv_success_and_warnings_count_as_stored);
	tcase_add_test(tc, tsv_failures_and_local_outcomes_are_not_stored);
	tcase_add_test(tc, the_instance_each_stored_path_had_is_kept);
	tcase_add_test(tc, tsv_paths_are_unescaped);
	tcase_add_test(tc, json_lines_with_string_or_numeric_status);
	tcase_add_test(tc, garbage_lines_are_counted_and_ignored);
	tcase_add_test(tc, stored_once_is_stored_even_if_another_line_failed);
	tcase_add_test(tc, paths_match_after_lexical_normalisation);
	tcase_add_test(tc, load_reads_a_mixed_log_and_counts);
	tcase_add_test(tc, status_words_and_codes_classify);
	tcase_add_test(tc, many_paths_and_clean_failure_at_every_allocation);
	tcase_add_test(tc, with_commit_only_committed_lines_count_as_stored);
	suite_add_tcase(s, tc);
	return s;
}
