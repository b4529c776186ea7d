/*
 * sopclass-lookup - looks up Storage SOP classes (and, with --all, every
 * well-known UID) by UID, keyword or words of the name.  Offline: reads
 * only the registry compiled into lib/core and, with --file, the head of a
 * DICOM file.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "cli/output.h"
#include "cli/sopclass_query.h"

static const char *const synopsis[] = {
	"[-a] [-j | -k | -u] [-f file] [query ...]",
	"-l [-a] [-j | -k | -u]",
	"-F n [-a] [-u]",
	NULL,
};

static void
help(void)
{
	cli_help(synopsis,
	    "Looks up DICOM Storage SOP classes by UID, keyword or name.\n"
	    "A query that is a UID, a keyword or a name (any case, or a known\n"
	    "alias) prints its entry; anything else searches keywords and names.\n"
	    "Without a query, reads one query per line of standard input.\n\n"
	    "  -a, --all         every well-known UID (transfer syntaxes...), with its type\n"
	    "  -f, --file file   look up the SOP Class UID of a DICOM file\n"
	    "  -F, --field n     filter stdin: append the keyword of tab-separated field n\n"
	    "  -j, --json        JSON lines instead of tab-separated fields\n"
	    "  -k, --keyword     print only the keyword\n"
	    "  -l, --list        print the whole registry\n"
	    "  -u, --uid         print only the UID\n"
	    "  -h, --help        print this help and exit\n"
	    "  -V, --version     print the version and exit\n\n"
	    "Output: UID, keyword, name, Part 3 annex (and type with --all).\n"
	    "Exit status: 0 every query found, 1 some not found, 2 usage, 6 cannot\n"
	    "write the output, 70 internal error (out of memory).\n");
}

static const struct option longopts[] = {
	{ "all", no_argument, NULL, 'a' },
	{ "field", required_argument, NULL, 'F' },
	{ "file", required_argument, NULL, 'f' },
	{ "help", no_argument, NULL, 'h' },
	{ "json", no_argument, NULL, 'j' },
	{ "keyword", no_argument, NULL, 'k' },
	{ "list", no_argument, NULL, 'l' },
	{ "uid", no_argument, NULL, 'u' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

int
main(int argc, char **argv)
{
	struct sopclass_query q = { .out = stdout };
	/* static: still reachable when an option exits (--help, usage) */
	static const char **files;
	int c, nmodes = 0, rc;

	cli_process_start();
	files = calloc((size_t)argc, sizeof(*files));
	if (files == NULL) {
		fprintf(stderr, "%s: out of memory\n", cli_progname());
		return EXIT_INTERNAL;
	}
	while ((c = cli_getopt(argc, argv, "aF:f:hjkluV", longopts)) != -1) {
		switch (c) {
		case 'a':
			q.all = 1;
			break;
		case 'F':
			q.field = cli_parse_num(optarg, 1, 64, "field");
			break;
		case 'f':
			files[q.nfiles++] = optarg;
			break;
		case 'j':
			q.print = SOPCLASS_QUERY_JSON;
			nmodes++;
			break;
		case 'k':
			q.print = SOPCLASS_QUERY_KEYWORD;
			nmodes++;
			break;
		case 'l':
			q.list = 1;
			break;
		case 'u':
			q.print = SOPCLASS_QUERY_UID;
			nmodes++;
			break;
		default:
			cli_other_option(c, help);
		}
	}
	q.files = files;
	q.queries = argv + optind;
	q.nqueries = argc - optind;
	if (nmodes > 1)
		cli_usage_error(
		    "--json, --keyword and --uid exclude each other");
	if (q.list && (q.nqueries > 0 || q.nfiles > 0 || q.field > 0))
		cli_usage_error("--list takes no query, --file or --field");
	if (q.field > 0 &&
	    (q.nqueries > 0 || q.nfiles > 0 || q.print == SOPCLASS_QUERY_JSON))
		cli_usage_error(
		    "--field reads standard input: no query, --file or --json");

	rc = sopclass_query_run(&q);
	free(files);
	if (cli_flush_stdout("the output") != 0)
		return EXIT_OUTPUT;
	return rc ? EXIT_NO : EXIT_OK;
}
