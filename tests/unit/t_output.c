/* t_output.c - one field list written as a TSV line and as a JSON line. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cstore/cstore.h"
#include "cli/exitcodes.h"
#include "cli/output.h"

Suite *output_suite(void);

/* Writes f[0..n) in fmt and returns the bytes (free them). */
static char *
render(enum cli_format fmt, unsigned flags, const struct cli_field *f, size_t n)
{
	char *buf = NULL;
	size_t len = 0;
	struct cli_out o;
	FILE *m = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(m);
	cli_out_init(&o, m, fmt, flags);
	ck_assert_int_eq(cli_out_write(&o, f, n), 0);
	fclose(m);
	return buf;
}

START_TEST(tsv_takes_the_columns_in_order_and_escapes)
{
	static const char *const ts[] = { "1.2", "1.2.1" };
	const struct cli_field f[] = {
		CLI_S("path", 2, "a\tb/c\\d"),
		CLI_S("status", 1, "0000"),
		CLI_S("json_only", 0, "x"),
		CLI_I("n", 4, -7),
		CLI_SV("ts", 5, ts, 2),
		CLI_N("ms", 6, 1.23456, 3),
		CLI_S(NULL, 7, NULL),
	};
	char *s = render(CLI_TSV, 0, f, sizeof(f) / sizeof(f[0]));

	/* column 3 has no field: an empty one; NULL is empty too */
	ck_assert_str_eq(s, "0000\ta\\tb/c\\\\d\t\t-7\t1.2,1.2.1\t1.235\t\n");
	free(s);
}
END_TEST

START_TEST(json_takes_the_named_fields_in_array_order)
{
	static const char *const ts[] = { "1.2" };
	const struct cli_field pc[] = { CLI_I("pcid", 0, 1), CLI_B("ok", 0, 1) };
	const struct cli_record rec[] = { { pc, 2 } };
	const struct cli_field f[] = {
		CLI_S("path", 2, "d/x"),
		CLI_S("status", 1, "0000"),
		CLI_S(NULL, 3, "tsv only"),
		CLI_S("category", 0, NULL),
		CLI_B("transcoded", 0, 0),
		CLI_N("ms", 0, 2.5, 3),
		CLI_SV("ts", 0, ts, 1),
		CLI_RV("contexts", rec, 1),
	};
	char *s = render(CLI_JSON, 0, f, sizeof(f) / sizeof(f[0]));

	ck_assert_str_eq(s, "{\"path\":\"d/x\",\"status\":\"0000\",\"category\":null,"
	    "\"transcoded\":false,\"ms\":2.500,\"ts\":[\"1.2\"],"
	    "\"contexts\":[{\"pcid\":1,\"ok\":true}]}\n");
	free(s);
	/* dcmsend's lines keep json-c's escaped slash */
	s = render(CLI_JSON, CLI_OUT_SLASH, f, 1);
	ck_assert_str_eq(s, "{\"path\":\"d\\/x\"}\n");
	free(s);
}
END_TEST

static int
append_upper(void *ctx, const char *value, size_t lineno, FILE *out)
{
	(void)ctx;
	(void)lineno;
	if (value == NULL) {
		cli_out_append(out, "");
		return 2;
	}
	cli_out_append(out, value[0] == 'a' ? "A" : "other\tone");
	return value[0] == 'a' ? 0 : 1;
}

START_TEST(json_escapes_bytes_that_are_not_utf8_reversibly)
{
	static const char *const sv[] = { "ok", "x\xff" };
	const struct cli_field f[] = {
		/* Latin-1 e acute, a quote, a tab and a slash around it */
		CLI_S("path", 0, "d/caf\xe9\"\t.dcm"),
		/* valid UTF-8 stays as it is */
		CLI_S("utf8", 0, "caf\xc3\xa9"),
		/* overlong '/', an encoded surrogate, a cut sequence */
		CLI_S("bad", 0, "\xc0\xaf|\xed\xa0\x80|\xe2\x82"),
		CLI_SV("list", 0, sv, 2),
	};
	char *s = render(CLI_JSON, 0, f, sizeof(f) / sizeof(f[0]));

	ck_assert_str_eq(s, "{\"path\":\"d/caf\\udce9\\\"\\u0009.dcm\","
	    "\"utf8\":\"caf\xc3\xa9\","
	    "\"bad\":\"\\udcc0\\udcaf|\\udced\\udca0\\udc80|\\udce2\\udc82\","
	    "\"list\":[\"ok\",\"x\\udcff\"]}\n");
	free(s);
	/* dcmsend's lines escape the slash there too, as json-c does */
	s = render(CLI_JSON, CLI_OUT_SLASH, f, 1);
	ck_assert_str_eq(s, "{\"path\":\"d\\/caf\\udce9\\\"\\u0009.dcm\"}\n");
	free(s);
}
END_TEST

START_TEST(filter_appends_to_each_line_and_keeps_the_worst_result)
{
	static const char in_text[] = "x\ta\r\ny\tb\nz\n";
	char *buf = NULL;
	size_t len = 0;
	FILE *in = fmemopen((void *)in_text, strlen(in_text), "r");
	FILE *out = open_memstream(&buf, &len);
	FILE *olderr = stderr;
	int rc;

	stderr = fopen("/dev/null", "w"); /* "line 3: no field 2" */
	rc = cli_filter(in, out, 2, append_upper, NULL);
	fclose(stderr);
	stderr = olderr;
	fclose(in);
	fclose(out);
	ck_assert_int_eq(rc, 2);
	ck_assert_str_eq(buf, "x\ta\tA\ny\tb\tother\\tone\nz\t\n");
	free(buf);
}
END_TEST

START_TEST(exit_status_follows_the_error_code)
{
	ck_assert_int_eq(cli_exit_for(0), EXIT_OK);
	ck_assert_int_eq(cli_exit_for(CS_E_UNREACHABLE), EXIT_UNREACHABLE);
	ck_assert_int_eq(cli_exit_for(CS_E_TIMEOUT), EXIT_UNREACHABLE);
	ck_assert_int_eq(cli_exit_for(CS_E_REJECTED), EXIT_REJECTED);
	ck_assert_int_eq(cli_exit_for(CS_E_PROTO), EXIT_ABORTED);
	ck_assert_int_eq(cli_exit_for(CS_E_INVAL), EXIT_USAGE);
	ck_assert_int_eq(cli_exit_for(CS_E_NOMEM), EXIT_INTERNAL);
}
END_TEST

Suite *
output_suite(void)
{
	Suite *s = suite_create("output");
	TCase *tc = tcase_create("lines");

	tcase_add_test(tc, tsv_takes_the_columns_in_order_and_escapes);
	tcase_add_test(tc, json_takes_the_named_fields_in_array_order);
	tcase_add_test(tc, json_escapes_bytes_that_are_not_utf8_reversibly);
	tcase_add_test(tc, filter_appends_to_each_line_and_keeps_the_worst_result);
	tcase_add_test(tc, exit_status_follows_the_error_code);
	suite_add_tcase(s, tc);
	return s;
}
