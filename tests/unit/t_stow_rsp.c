/* t_stow_rsp.c - a STOW-RS response's verdict on each instance. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <string.h>

#include "cstore/cstore.h"
#include "cli/stow_rsp.h"
#include "net/net.h"
#include "web/stow_http.h"

Suite *stow_rsp_suite(void);

static const char rsp[] =
    "{\"00081190\":{\"vr\":\"UR\",\"Value\":[\"http://x/studies/1\"]},"
    "\"00081199\":{\"vr\":\"SQ\",\"Value\":["
    "{\"00081150\":{\"vr\":\"UI\",\"Value\":[\"1.2.3\"]},"
    "\"00081155\":{\"vr\":\"UI\",\"Value\":[\"1.1\"]}},"
    "{\"00081155\":{\"vr\":\"UI\",\"Value\":[\"1.2\"]},"
    "\"00081196\":{\"vr\":\"US\",\"Value\":[45056]}}]},"
    "\"00081198\":{\"vr\":\"SQ\",\"Value\":["
    "{\"00081155\":{\"vr\":\"UI\",\"Value\":[\"1.3\"]},"
    "\"00081197\":{\"vr\":\"US\",\"Value\":[42752]}},"
    "{\"00081155\":{\"vr\":\"UI\",\"Value\":[\"1.4\"]}}]}}";

START_TEST(each_instance_gets_its_sequence_and_reason)
{
	struct cs_err err = { 0, "" };
	struct stow_rsp *r = stow_rsp_parse(rsp, strlen(rsp), &err);
	uint16_t reason = 1;

	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(stow_rsp_find(r, "1.1", &reason), STOW_REFERENCED);
	ck_assert_uint_eq(reason, 0);
	ck_assert_int_eq(stow_rsp_find(r, "1.2", &reason), STOW_REFERENCED);
	ck_assert_uint_eq(reason, 0xB000);
	ck_assert_int_eq(stow_rsp_find(r, "1.3", &reason), STOW_FAILED);
	ck_assert_uint_eq(reason, 0xA700);
	ck_assert_int_eq(stow_rsp_find(r, "1.4", &reason), STOW_FAILED);
	ck_assert_uint_eq(reason, 0);
	/* a prefix of a UID is not the UID */
	ck_assert_int_eq(stow_rsp_find(r, "1.", &reason), STOW_UNNAMED);
	ck_assert_int_eq(stow_rsp_find(r, "1.5", &reason), STOW_UNNAMED);
	stow_rsp_free(r);
}
END_TEST

START_TEST(an_array_of_one_data_set_is_read_too)
{
	static const char a[] = "[{\"00081199\":{\"vr\":\"SQ\",\"Value\":["
				"{\"00081155\":{\"vr\":\"UI\",\"Value\":[\"9\"]}}]}}]";
	struct stow_rsp *r = stow_rsp_parse(a, strlen(a), NULL);
	uint16_t reason;

	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(stow_rsp_find(r, "9", &reason), STOW_REFERENCED);
	stow_rsp_free(r);
}
END_TEST

START_TEST(a_byte_order_mark_before_the_data_set_is_passed_over)
{
	static const char a[] = "\xef\xbb\xbf{\"00081199\":{\"vr\":\"SQ\","
				"\"Value\":[{\"00081155\":{\"vr\":\"UI\","
				"\"Value\":[\"9\"]}}]}}\r\n";
	struct stow_rsp *r = stow_rsp_parse(a, strlen(a), NULL);
	uint16_t reason;

	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(stow_rsp_find(r, "9", &reason), STOW_REFERENCED);
	stow_rsp_free(r);
	/* a mark alone, or cut, is still no data set */
	ck_assert_ptr_null(stow_rsp_parse("\xef\xbb\xbf", 3, NULL));
	ck_assert_ptr_null(stow_rsp_parse("\xef\xbb", 2, NULL));
}
END_TEST

START_TEST(what_is_not_a_data_set_is_refused)
{
	static const char *const bad[] = { "", "<html>", "[]", "[{},{}]",
		"42", "{\"00081199\":", "{} trailing" };
	struct cs_err err = { 0, "" };
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		cs_err_clear(&err);
		ck_assert_ptr_null(stow_rsp_parse(bad[i], strlen(bad[i]), &err));
		ck_assert_int_eq(err.code, CS_E_PROTO);
	}
}
END_TEST

START_TEST(odd_shapes_name_nothing)
{
	/* wrong types where sequences, items, UIDs and reasons belong */
	static const char odd[] =
	    "{\"00081199\":{\"Value\":{\"a\":1}},"
	    "\"00081198\":{\"Value\":[1,\"x\",{\"00081155\":{\"Value\":[7]}},"
	    "{\"00081155\":{\"Value\":[\"2\"]},\"00081197\":{\"Value\":[70000]}}]}}";
	struct stow_rsp *r = stow_rsp_parse(odd, strlen(odd), NULL);
	uint16_t reason = 9;

	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(stow_rsp_find(r, "7", &reason), STOW_UNNAMED);
	ck_assert_int_eq(stow_rsp_find(r, "2", &reason), STOW_FAILED);
	ck_assert_uint_eq(reason, 0); /* out of range: no reason */
	stow_rsp_free(r);
}
END_TEST

START_TEST(the_xml_representation_is_read_too)
{
	static const char x[] =
	    "<?xml version=\"1.0\"?><NativeDicomModel>"
	    "<!-- <DicomAttribute tag=\"00081198\"> -->"
	    "<DicomAttribute tag=\"00081198\" vr=\"SQ\"><Item number=\"1\">"
	    "<DicomAttribute tag=\"00081155\" vr=\"UI\"><Value number=\"1\">1.1</Value></DicomAttribute>"
	    "<DicomAttribute tag='00081197' vr='US'><Value number='1'> 49152 </Value></DicomAttribute>"
	    "</Item><Item number=\"2\"><DicomAttribute tag=\"00081155\" vr=\"UI\">"
	    "<Value number=\"1\">1.4</Value></DicomAttribute></Item></DicomAttribute>"
	    "<DicomAttribute tag=\"00081199\" vr=\"SQ\">"
	    "<Item number=\"1\"><DicomAttribute tag=\"00081155\" vr=\"UI\"><Value number=\"1\">1.1</Value></DicomAttribute></Item>"
	    "<Item number=\"2\"><DicomAttribute tag=\"00081155\" vr=\"UI\"><Value number=\"1\">1.2</Value></DicomAttribute>"
	    "<DicomAttribute tag=\"00081196\" vr=\"US\"><Value number=\"1\">45063</Value></DicomAttribute></Item>"
	    "<Item number=\"3\"><DicomAttribute tag=\"00081155\" vr=\"UI\"><Value number=\"1\">1.3</Value></DicomAttribute></Item>"
	    "</DicomAttribute><DicomAttribute tag=\"00081150\" vr=\"UI\"><Value number=\"1\">1.5</Value></DicomAttribute>"
	    "</NativeDicomModel>";
	const char *t = "application/dicom+xml";
	uint16_t reason = 9;

	/* named in both sequences: failed wins */
	ck_assert_int_eq(stow_rsp_xml_find(t, x, strlen(x), "1.1", &reason), STOW_FAILED);
	ck_assert_uint_eq(reason, 0xC000);
	ck_assert_int_eq(stow_rsp_xml_find(t, x, strlen(x), "1.4", &reason), STOW_FAILED);
	ck_assert_uint_eq(reason, 0);
	ck_assert_int_eq(stow_rsp_xml_find(t, x, strlen(x), "1.2", &reason), STOW_REFERENCED);
	ck_assert_uint_eq(reason, 0xB007);
	ck_assert_int_eq(stow_rsp_xml_find(t, x, strlen(x), "1.3", &reason), STOW_REFERENCED);
	ck_assert_uint_eq(reason, 0);
	/* a prefix, a UID outside the two sequences, another type */
	ck_assert_int_eq(stow_rsp_xml_find(t, x, strlen(x), "1.", &reason), STOW_UNNAMED);
	ck_assert_int_eq(stow_rsp_xml_find(t, x, strlen(x), "1.5", &reason), STOW_UNNAMED);
	ck_assert_int_eq(stow_rsp_xml_find("text/xml", x, strlen(x), "1.3", &reason), STOW_UNNAMED);
	/* cut anywhere: no crash, and a cut answer never fails a
	 * referenced one for want of its end */
	for (size_t n = 0; n < strlen(x); n++)
		(void)stow_rsp_xml_find(t, x, n, "1.1", &reason);
}
END_TEST

START_TEST(a_loopback_host_is_known_without_a_lookup)
{
	static const char *const lo[] = { "127.0.0.1", "127.1.2.3",
		"localhost", "LOCALHOST", "localhost.", "pacs.localhost",
		"[::1]", "[0:0:0:0:0:0:0:1]", "[::ffff:127.0.0.1]",
		/* they reach this machine too */
		"0.0.0.0", "0.1.2.3", "[::]", "[0:0:0:0:0:0:0:0]",
		"[::ffff:0.0.0.0]", "127.0.0.1.", "0.0.0.0.",
		/* bare, as stow_http_url_host gives them */
		"::1", "0:0:0:0:0:0:0:1", "::", "::ffff:127.0.0.1" };
	static const char *const not_lo[] = { "10.0.0.1", "128.0.0.1",
		"pacs", "mylocalhost", "localhost.example", "127.0.0.1.nip.io",
		"[::2]", "[::ffff:10.0.0.1]", "[::1", "", "[]", ".",
		"127.0.0.1..", "1.0.0.0", "10.0.0.1.", "[::1.]", "::2",
		"::ffff:10.0.0.1", ":", "::1]", "fe80::1" };
	size_t k;

	for (k = 0; k < sizeof(lo) / sizeof(lo[0]); k++)
		ck_assert_msg(net_host_is_loopback(lo[k]), "%s", lo[k]);
	for (k = 0; k < sizeof(not_lo) / sizeof(not_lo[0]); k++)
		ck_assert_msg(!net_host_is_loopback(not_lo[k]), "%s", not_lo[k]);
}
END_TEST

/* path: a hosts file of one line, n bytes of padding names between
 * "127.0.0.1 " and last, then "127.0.0.1 tail". */
static void
hosts_with(const char *path, size_t n, const char *last)
{
	FILE *f = fopen(path, "w");
	size_t k;

	ck_assert_ptr_nonnull(f);
	fputs("127.0.0.1 ", f);
	for (k = 0; k < n; k++)
		fputc(k % 2 ? ' ' : 'x', f);
	fprintf(f, " %s\n127.0.0.1 tail\n", last);
	ck_assert_int_eq(fclose(f), 0);
}

START_TEST(a_hosts_file_line_is_read_whole_or_not_at_all)
{
	char dir[] = "/tmp/t_hosts.XXXXXX", path[64], fifo[64];

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/hosts", dir);
	/* a name past 1023 bytes of line: whole, never its beginning */
	hosts_with(path, 1009, "pacs-farhost");
	ck_assert_int_eq(net_host_is_local_in("pac", path), 0);
	ck_assert_int_eq(net_host_is_local_in("pacs-farhost", path), 1);
	ck_assert_int_eq(net_host_is_local_in("tail", path), 1);
	/* a line over 64 KiB: none of it, the next one still */
	hosts_with(path, 70000, "far");
	ck_assert_int_eq(net_host_is_local_in("x", path), 0);
	ck_assert_int_eq(net_host_is_local_in("far", path), 0);
	ck_assert_int_eq(net_host_is_local_in("tail", path), 1);
	/* not a regular file: read as none, never waited on */
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	ck_assert_int_eq(mkfifo(fifo, 0600), 0);
	ck_assert_int_eq(net_host_is_local_in("tail", fifo), 0);
	ck_assert_int_eq(net_host_is_local_in("tail", dir), 0);
	ck_assert_int_eq(net_host_is_local_in("localhost", fifo), 1);
	unlink(fifo);
	unlink(path);
	rmdir(dir);
}
END_TEST

/* A NUL byte inside a line (a hosts file of garbage) ends that line's
 * text, never hides the next line: it read as longer than the buffer
 * and the line after it was passed over, so a name given a loopback
 * address and another one was taken as this machine's. */
START_TEST(a_nul_in_a_hosts_line_hides_not_the_next_one)
{
	static const char text[] = "127.0.0.1 pacs\nx\0y\n10.0.0.9 pacs\n"
				   "127.0.0.1 ok\0 10.0.0.9 ok\n";
	char dir[] = "/tmp/t_hosts.XXXXXX", path[64];
	FILE *f;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/hosts", dir);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	ck_assert_uint_eq(fwrite(text, 1, sizeof(text) - 1, f), sizeof(text) - 1);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(net_host_is_local_in("pacs", path), 0);
	ck_assert_int_eq(net_host_is_local_in("ok", path), 1);
	unlink(path);
	rmdir(dir);
}
END_TEST

START_TEST(a_base_url_has_a_host_and_nothing_after_its_path)
{
	static const char *const good[] = { "http://pacs/dicom-web",
		"HTTPS://pacs:8443", "http://[::1]:8042/dicom-web",
		"http://pacs/p@q;x" };
	static const char *const bad[] = { "http://", "http:///x",
		"http://:80/x", "http://a b/", "http://h/a b", "http://h:99999/",
		"http://u@h/", "http://:p@h/", "http://h/x?", "http://h/x#",
		"http://h/dicom-web/studies", "http://h/studies//" };
	struct cs_err err = { 0, "" };
	size_t k;

	for (k = 0; k < sizeof(good) / sizeof(good[0]); k++)
		ck_assert_msg(stow_http_url_check(good[k], &err) == 0, "%s: %s",
		    good[k], err.msg);
	for (k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		cs_err_clear(&err);
		ck_assert_msg(stow_http_url_check(bad[k], &err) == CS_E_INVAL,
		    "%s", bad[k]);
		ck_assert_ptr_nonnull(strstr(err.msg, "URL"));
	}
}
END_TEST

Suite *
stow_rsp_suite(void)
{
	Suite *s = suite_create("stow_rsp");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, each_instance_gets_its_sequence_and_reason);
	tcase_add_test(tc, an_array_of_one_data_set_is_read_too);
	tcase_add_test(tc, what_is_not_a_data_set_is_refused);
	tcase_add_test(tc, a_byte_order_mark_before_the_data_set_is_passed_over);
	tcase_add_test(tc, odd_shapes_name_nothing);
	tcase_add_test(tc, the_xml_representation_is_read_too);
	tcase_add_test(tc, a_loopback_host_is_known_without_a_lookup);
	tcase_add_test(tc, a_hosts_file_line_is_read_whole_or_not_at_all);
	tcase_add_test(tc, a_nul_in_a_hosts_line_hides_not_the_next_one);
	tcase_add_test(tc, a_base_url_has_a_host_and_nothing_after_its_path);
	suite_add_tcase(s, tc);
	return s;
}
