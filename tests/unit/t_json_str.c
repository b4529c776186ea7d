/* t_json_str.c - stray bytes escaped as \udcXX and read back. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "cli/json_str.h"
#include "core/utf8.h"

Suite *json_str_suite(void);

START_TEST(stray_bytes_are_escaped_and_read_back)
{
	const char *name = "caf\xe9-\xff.dcm";
	json_object *s = cli_json_string(name);
	const char *text;
	char *raw;
	size_t n;

	ck_assert_ptr_nonnull(s);
	text = json_object_to_json_string_ext(s, JSON_C_TO_STRING_PLAIN);
	ck_assert_str_eq(text, "\"caf\\udce9-\\udcff.dcm\"");
	raw = cli_json_unescape_bytes(text, strlen(text), &n);
	ck_assert_ptr_nonnull(raw);
	ck_assert_uint_eq(n, strlen(name) + 2);
	ck_assert_str_eq(raw, "\"caf\xe9-\xff.dcm\"");
	free(raw);
	json_object_put(s);
}
END_TEST

START_TEST(other_escapes_stay_as_they_are)
{
	static const struct {
		const char *in, *out;
	} v[] = {
		/* an escaped backslash before "udc80": text, not an escape */
		{ "\"a\\\\udc80\"", "\"a\\\\udc80\"" },
		{ "\"\\udc7f\"", "\"\\udc7f\"" }, /* below 80: not a byte */
		{ "\"\\uDCFF\"", "\"\xff\"" },
		{ "\"\\udc8\"", "\"\\udc8\"" }, /* cut */
		{ "\"\\u00e9\\n\"", "\"\\u00e9\\n\"" },
		/* a pair's low half is a character (U+1F480), not a byte */
		{ "\"\\ud83d\\udc80\"", "\"\\ud83d\\udc80\"" },
		{ "\"\\ud83d-\\udc80\"", "\"\\ud83d-\x80\"" },
		{ "\\", "\\" },
	};
	size_t i, n;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		char *raw =
		    cli_json_unescape_bytes(v[i].in, strlen(v[i].in), &n);

		ck_assert_ptr_nonnull(raw);
		ck_assert_str_eq(raw, v[i].out);
		ck_assert_uint_eq(n, strlen(v[i].out));
		free(raw);
	}
}
END_TEST

/* Peer text: each stray byte one U+FFFD, valid sequences kept, never a
 * character cut at the end of a small buffer. */
START_TEST(utf8_replace_puts_fffd_for_stray_bytes)
{
	static const struct {
		const char *in, *out;
	} v[] = {
		{ "caf\xe9", "caf\xef\xbf\xbd" },
		{ "\xff\xfe", "\xef\xbf\xbd\xef\xbf\xbd" },
		{ "caf\xc3\xa9", "caf\xc3\xa9" },
		{ "\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
		{ "", "" },
	};
	char out[64], small[6];
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		ck_assert_str_eq(
		    cs_utf8_replace(v[i].in, out, sizeof(out)), v[i].out);
	/* "ab" and one U+FFFD fit in 6 bytes with the NUL; the next not */
	ck_assert_str_eq(cs_utf8_replace("ab\xe9\xe9", small, sizeof(small)),
	    "ab\xef\xbf\xbd");
}
END_TEST

Suite *
json_str_suite(void)
{
	Suite *s = suite_create("json_str");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, stray_bytes_are_escaped_and_read_back);
	tcase_add_test(tc, other_escapes_stay_as_they_are);
	tcase_add_test(tc, utf8_replace_puts_fffd_for_stray_bytes);
	suite_add_tcase(s, tc);
	return s;
}
