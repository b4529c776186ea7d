/*
 * t_query.c - the answers of sopclass-lookup and status-explain
 * (lib/cli/sopclass_query, lib/cli/status_query): the line each query
 * gives in each form, the whole list, and the result for found, not
 * found and not a code.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/sopclass_query.h"
#include "cli/status_query.h"
#include "core/sopclass.h"
#include "core/status.h"

Suite *query_suite(void);

/* The captured output of one run and what it returned. */
struct answer {
	char *text; /* free it */
	int rc;
};

/* Runs sopclass_query_run on the operands, stderr silenced. */
static struct answer
lookup(enum sopclass_query_print print, int all, int list, int n,
    char *const *queries)
{
	struct answer a = { NULL, -1 };
	size_t len = 0;
	FILE *olderr = stderr;
	struct sopclass_query q = {
		.print = print, .all = all, .list = list,
		.queries = queries, .nqueries = n,
	};

	q.out = open_memstream(&a.text, &len);
	ck_assert_ptr_nonnull(q.out);
	stderr = fopen("/dev/null", "w"); /* "no match", "did you mean" */
	a.rc = sopclass_query_run(&q);
	fclose(stderr);
	stderr = olderr;
	fclose(q.out);
	return a;
}

/* Runs status_query_run on the codes, stderr silenced. */
static struct answer
explain(enum status_query_print print, int list, int n, char *const *codes)
{
	struct answer a = { NULL, -1 };
	size_t len = 0;
	FILE *olderr = stderr;
	struct status_query q = {
		.print = print, .list = list, .codes = codes, .ncodes = n,
	};

	q.out = open_memstream(&a.text, &len);
	ck_assert_ptr_nonnull(q.out);
	stderr = fopen("/dev/null", "w"); /* "not a 16-bit status code" */
	a.rc = status_query_run(&q);
	fclose(stderr);
	stderr = olderr;
	fclose(q.out);
	return a;
}

static size_t
count_lines(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		n += *s == '\n';
	return n;
}

START_TEST(a_keyword_or_uid_gives_its_entry_in_each_form)
{
	char *ct[] = { (char[]){ "CTImageStorage" } };
	char *mr[] = { (char[]){ "1.2.840.10008.5.1.4.1.1.4" } };
	char *ts[] = { (char[]){ "1.2.840.10008.1.2.1" } };
	struct answer a = lookup(SOPCLASS_QUERY_TSV, 0, 0, 1, ct);

	ck_assert_int_eq(a.rc, 0);
	ck_assert_str_eq(a.text, "1.2.840.10008.5.1.4.1.1.2\tCTImageStorage\t"
	    "CT Image Storage\tA.3\n");
	free(a.text);
	a = lookup(SOPCLASS_QUERY_KEYWORD, 0, 0, 1, mr);
	ck_assert_str_eq(a.text, "MRImageStorage\n");
	free(a.text);
	a = lookup(SOPCLASS_QUERY_UID, 0, 0, 1, ct);
	ck_assert_str_eq(a.text, "1.2.840.10008.5.1.4.1.1.2\n");
	free(a.text);
	/* a transfer syntax only with all, then with its type */
	a = lookup(SOPCLASS_QUERY_JSON, 0, 0, 1, ts);
	ck_assert_int_eq(a.rc, 1);
	ck_assert_str_eq(a.text, "");
	free(a.text);
	a = lookup(SOPCLASS_QUERY_JSON, 1, 0, 1, ts);
	ck_assert_int_eq(a.rc, 0);
	ck_assert_str_eq(a.text, "{\"uid\":\"1.2.840.10008.1.2.1\","
	    "\"keyword\":\"ExplicitVRLittleEndian\","
	    "\"name\":\"Explicit VR Little Endian\",\"annex\":\"\","
	    "\"type\":\"Transfer Syntax\",\"retired\":false}\n");
	free(a.text);
}
END_TEST

START_TEST(a_query_not_found_counts_and_the_others_still_print)
{
	char *q[] = { (char[]){ "nosuch" }, (char[]){ "CTImageStorage" },
		(char[]){ "1.2.3.4" } };
	struct answer a = lookup(SOPCLASS_QUERY_KEYWORD, 0, 0, 3, q);

	ck_assert_int_eq(a.rc, 1);
	ck_assert_str_eq(a.text, "CTImageStorage\n");
	free(a.text);
}
END_TEST

START_TEST(the_list_has_every_class_and_with_all_every_uid)
{
	struct answer a = lookup(SOPCLASS_QUERY_UID, 0, 1, 0, NULL);
	size_t n = count_lines(a.text);

	ck_assert_int_eq(a.rc, 0);
	ck_assert_uint_eq(n, sopclass_count());
	free(a.text);
	a = lookup(SOPCLASS_QUERY_UID, 1, 1, 0, NULL);
	ck_assert_uint_gt(count_lines(a.text), n);
	free(a.text);
}
END_TEST

START_TEST(a_code_is_explained_as_a_c_store_status)
{
	char *refused[] = { (char[]){ "0xA700" }, (char[]){ "notsent" } };
	char *warn[] = { (char[]){ "45056" } };
	char *bad[] = { (char[]){ "0xB000" }, (char[]){ "zz" }, (char[]){ "0xC123" } };
	struct answer a = explain(STATUS_QUERY_TSV, 0, 2, refused);

	ck_assert_int_eq(a.rc, 1);
	ck_assert_str_eq(a.text, "0xA700\tFailure\tRefused: out of resources "
	    "(A700\u2013A7FF)\tC-STORE\nnotsent\tLocal\tnot sent: its association "
	    "could not be opened, or ended before its turn\tdcmsend local outcome\n");
	free(a.text);
	a = explain(STATUS_QUERY_JSON, 0, 1, warn);
	ck_assert_int_eq(a.rc, 0);
	ck_assert_str_eq(a.text, "{\"code\":\"0xB000\",\"value\":45056,"
	    "\"category\":\"Warning\",\"meaning\":\"Coercion of data elements\","
	    "\"context\":\"C-STORE\",\"implementation\":null}\n");
	free(a.text);
	/* a word has no value */
	a = explain(STATUS_QUERY_JSON, 0, 1, refused + 1);
	ck_assert_int_eq(a.rc, 1);
	ck_assert_str_eq(a.text, "{\"code\":\"notsent\",\"category\":\"Local\","
	    "\"meaning\":\"not sent: its association could not be opened, or "
	    "ended before its turn\",\"context\":\"dcmsend local outcome\","
	    "\"implementation\":null}\n");
	free(a.text);
	/* not a code is the worst result; the others still print */
	a = explain(STATUS_QUERY_CATEGORY, 0, 3, bad);
	ck_assert_int_eq(a.rc, 2);
	ck_assert_str_eq(a.text, "Warning\nFailure\n");
	free(a.text);
}
END_TEST

START_TEST(the_status_list_has_every_entry)
{
	struct answer a = explain(STATUS_QUERY_CATEGORY, 1, 0, NULL);

	ck_assert_int_eq(a.rc, 0);
	ck_assert_uint_eq(count_lines(a.text), status_count());
	free(a.text);
}
END_TEST

Suite *
query_suite(void)
{
	Suite *s = suite_create("query");
	TCase *tc = tcase_create("answers");

	tcase_add_test(tc, a_keyword_or_uid_gives_its_entry_in_each_form);
	tcase_add_test(tc, a_query_not_found_counts_and_the_others_still_print);
	tcase_add_test(tc, the_list_has_every_class_and_with_all_every_uid);
	tcase_add_test(tc, a_code_is_explained_as_a_c_store_status);
	tcase_add_test(tc, the_status_list_has_every_entry);
	suite_add_tcase(s, tc);
	return s;
}
