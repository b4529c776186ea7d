/*
 * status-explain - explains DIMSE status codes: category, meaning (with
 * the range it falls in) and the service or implementation it belongs
 * to, as a C-STORE response status first (PS3.4 Table B.2-1, PS3.7
 * Annex C).
 */
#include <getopt.h>
#include <stdio.h>

#include "cli/cli.h"
#include "cli/output.h"
#include "cli/status_query.h"

static const char *const synopsis[] = {
	"[-c | -j] [code ...]",
	"-l [-j]",
	"-F n",
	NULL,
};

static void
help(void)
{
	cli_help(synopsis,
	    "Explains DIMSE status codes, as C-STORE statuses first.  A code\n"
	    "is 0xA700, A700, a700 or decimal 42752; four digits are hex, and\n"
	    "fewer hex digits need 0x (a7 is refused: A700, or 0x00A7?).  A range\n"
	    "is written as the standard writes it: A7xx, Cxxx.\n"
	    "Without a code, reads one code per line of standard input.  The words\n"
	    "dcmsend prints instead of a status (notsent, aborted...) are explained\n"
	    "as local outcomes.\n\n"
	    "  -c, --category    print only the category\n"
	    "  -F, --field n     filter stdin: append category and meaning of field n\n"
	    "  -j, --json        JSON lines instead of tab-separated fields\n"
	    "  -l, --list        print the table of known codes\n"
	    "  -h, --help        print this help and exit\n"
	    "  -V, --version     print the version and exit\n\n"
	    "Output: code, category, meaning, service or implementation.\n"
	    "Exit status: 0 every code means stored (Success, Warning, resumed), 1 some\n"
	    "code is a Failure, Cancel, Pending, unknown or another local outcome,\n"
	    "2 usage or bad code, 6 cannot write the output.\n");
}

static const struct option longopts[] = {
	{ "category", no_argument, NULL, 'c' },
	{ "field", required_argument, NULL, 'F' },
	{ "help", no_argument, NULL, 'h' },
	{ "json", no_argument, NULL, 'j' },
	{ "list", no_argument, NULL, 'l' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

int
main(int argc, char **argv)
{
	struct status_query q = { .out = stdout };
	int c, nmodes = 0, rc;

	cli_process_start();
	while ((c = cli_getopt(argc, argv, "cF:hjlV", longopts)) != -1) {
		switch (c) {
		case 'c':
			q.print = STATUS_QUERY_CATEGORY;
			nmodes++;
			break;
		case 'F':
			q.field = cli_parse_num(optarg, 1, 64, "field");
			break;
		case 'j':
			q.print = STATUS_QUERY_JSON;
			nmodes++;
			break;
		case 'l':
			q.list = 1;
			break;
		default:
			cli_other_option(c, help);
		}
	}
	q.codes = argv + optind;
	q.ncodes = argc - optind;
	if (nmodes > 1)
		cli_usage_error("--category and --json exclude each other");
	if (q.list &&
	    (q.ncodes > 0 || q.field > 0 || q.print == STATUS_QUERY_CATEGORY))
		cli_usage_error("--list takes no code, --field or --category");
	if (q.field > 0 && (q.ncodes > 0 || nmodes > 0))
		cli_usage_error(
		    "--field reads standard input: no code, --json or --category");

	rc = status_query_run(&q);
	if (cli_flush_stdout("the output") != 0)
		return EXIT_OUTPUT;
	return rc == 2 ? EXIT_USAGE : rc == 1 ? EXIT_NO : EXIT_OK;
}
