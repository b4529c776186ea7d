/*
 * sopclass-lookup - looks up Storage SOP classes (and, with --all, every
 * well-known UID) by UID, keyword or words of the name.  Offline: reads
 * only the registry compiled into lib/core and, with --file, the head of a
 * DICOM file.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/output.h"
#include "core/sopclass.h"
#include "core/uid.h"
#include "dcmfile/part10.h"
#include "dcmfile/infile.h"

enum out_mode { OUT_TSV, OUT_JSON, OUT_UID, OUT_KEYWORD };

static enum out_mode out_mode = OUT_TSV;
static struct cli_out output; /* TSV or JSON lines on stdout */
static int opt_all;

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
	    "A query that is a UID or a keyword (any case, or a known alias)\n"
	    "prints its entry; anything else searches keywords and names.\n"
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
	    "Exit status: 0 every query found, 1 some not found, 2 usage.\n");
}

static void
print_entry(const struct uid_entry *e, const char *annex)
{
	char name[512];

	if (out_mode == OUT_UID || out_mode == OUT_KEYWORD) {
		puts(out_mode == OUT_UID ? e->uid : e->keyword);
		return;
	}
	snprintf(name, sizeof(name), "%s%s", e->name,
	    e->retired ? " (Retired)" : "");
	{
		const struct cli_field f[] = {
			CLI_S("uid", 1, e->uid),
			CLI_S("keyword", 2, e->keyword),
			CLI_S("name", 3, name),
			CLI_S("annex", 4, annex),
			CLI_S("type", opt_all ? 5 : 0, e->type),
			CLI_B("retired", 0, e->retired),
		};

		cli_out_write(&output, f, CLI_NFIELDS(f));
	}
}

static void
print_sopclass(const struct sopclass *sc, void *ctx)
{
	struct uid_entry e = { sc->uid, sc->keyword, sc->name,
		UID_TYPE_STORAGE, sc->retired };

	(void)ctx;
	print_entry(&e, sc->annex);
}

static void
print_other(const struct uid_entry *e, void *ctx)
{
	(void)ctx;
	print_entry(e, "");
}

/* Names close matches of a query that found nothing, on stderr. */
static void
suggest(const char *q)
{
	const struct sopclass *near[3];
	size_t i, n;

	/* the closest only: one edit away if any, else two */
	n = sopclass_suggest(q, 1, near, 3);
	if (n == 0)
		n = sopclass_suggest(q, 2, near, 3);
	for (i = 0; i < n; i++)
		fprintf(stderr, "%s: did you mean %s (%s)?\n", cli_progname(),
		    uid_looks_like(q) ? near[i]->uid : near[i]->keyword,
		    uid_looks_like(q) ? near[i]->keyword : near[i]->uid);
}

/* Exact lookup of a UID or keyword in the registries in use. */
static int
exact(const char *q, struct uid_entry *e, const char **annex)
{
	const struct sopclass *sc = uid_looks_like(q) ? sopclass_by_uid(q) :
	    sopclass_by_keyword(q);

	if (sc != NULL) {
		*e = (struct uid_entry){ sc->uid, sc->keyword, sc->name,
			UID_TYPE_STORAGE, sc->retired };
		*annex = sc->annex;
		return 0;
	}
	*annex = "";
	if (!opt_all)
		return -1;
	return uid_looks_like(q) ? uid_lookup(q, e) : uid_lookup_keyword(q, e);
}

/* One query (a cli_query_fn); returns 0 when found, 1 when not. */
static int
lookup(void *ctx, const char *q)
{
	struct uid_entry e;
	const char *annex;
	size_t n;

	(void)ctx;
	if (exact(q, &e, &annex) == 0) {
		print_entry(&e, annex);
		return 0;
	}
	if (uid_looks_like(q) && uid_by_uid(q) != NULL) {
		const struct uid_entry *o = uid_by_uid(q);

		fprintf(stderr, "%s: '%s': not a Storage SOP Class but the %s %s "
		    "(see --all)\n", cli_progname(), q, o->type, o->keyword);
		return 1;
	}
	if (uid_looks_like(q)) {
		fprintf(stderr, "%s: '%s': %s\n", cli_progname(), q,
		    !uid_is_valid(q) ? "not a valid UID (PS3.5 9.1)" :
		    opt_all ? "unknown UID" : "not a known Storage SOP Class UID");
		suggest(q);
		return 1;
	}
	n = sopclass_search(q, print_sopclass, NULL);
	if (opt_all)
		n += uid_search(q, print_other, NULL);
	if (n > 0)
		return 0;
	fprintf(stderr, "%s: '%s': no match\n", cli_progname(), q);
	suggest(q);
	return 1;
}

static int
lookup_file(const char *path)
{
	struct part10_info info;
	struct cs_err err = { 0, "" };

	int fd, rc;

	/* never blocks on a FIFO; only regular files */
	fd = infile_open(path, &err);
	if (fd < 0) {
		fprintf(stderr, "%s: '%s': %s\n", cli_progname(), path, err.msg);
		return 1;
	}
	rc = part10_probe_fd(fd, 0, &info, &err);
	close(fd);
	if (rc < 0) {
		fprintf(stderr, "%s: '%s': %s\n", cli_progname(), path, err.msg);
		return 1;
	}
	return lookup(NULL, info.sop_class);
}

/* --field N: the keyword (or UID) of column N, appended to the line. */
static int
filter_one(void *ctx, const char *value, size_t lineno, FILE *out)
{
	struct uid_entry e;
	const char *annex;
	char *copy;
	int rc = 0;

	(void)ctx;
	if (value == NULL) {
		cli_out_append(out, "");
		return 1;
	}
	copy = strdup(value);
	if (copy == NULL) {
		fprintf(stderr, "%s: out of memory\n", cli_progname());
		exit(EXIT_INTERNAL);
	}
	if (exact(cli_trim(copy), &e, &annex) == 0) {
		fputc('\t', out);
		fputs(out_mode == OUT_UID ? e.uid : e.keyword, out);
	} else {
		fprintf(stderr, "%s: line %zu: '%s': not found\n",
		    cli_progname(), lineno, copy);
		fputc('\t', out);
		rc = 1;
	}
	free(copy);
	return rc;
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
	const char **files;
	size_t nfiles = 0, i;
	long field = 0;
	int c, list = 0, nmodes = 0, rc = 0;

	files = calloc((size_t)argc, sizeof(*files));
	if (files == NULL)
		return EXIT_INTERNAL;
	while ((c = getopt_long(argc, argv, "aF:f:hjkluV", longopts, NULL)) != -1) {
		switch (c) {
		case 'a':
			opt_all = 1;
			break;
		case 'F':
			field = cli_parse_num(optarg, 1, 64, "field");
			break;
		case 'f':
			files[nfiles++] = optarg;
			break;
		case 'j':
			out_mode = OUT_JSON;
			nmodes++;
			break;
		case 'k':
			out_mode = OUT_KEYWORD;
			nmodes++;
			break;
		case 'l':
			list = 1;
			break;
		case 'u':
			out_mode = OUT_UID;
			nmodes++;
			break;
		default:
			cli_other_option(c, help);
		}
	}
	if (nmodes > 1)
		cli_usage_error("--json, --keyword and --uid exclude each other");
	if (list && (optind < argc || nfiles > 0 || field > 0))
		cli_usage_error("--list takes no query, --file or --field");
	if (field > 0 && (optind < argc || nfiles > 0 || out_mode == OUT_JSON))
		cli_usage_error("--field reads standard input: no query, --file or --json");
	cli_out_init(&output, stdout, out_mode == OUT_JSON ? CLI_JSON : CLI_TSV, 0);

	if (list) {
		for (i = 0; i < sopclass_count(); i++)
			print_sopclass(sopclass_at(i), NULL);
		for (i = 0; opt_all && i < uid_count(); i++)
			print_other(uid_at(i), NULL);
	} else if (field > 0) {
		rc = cli_filter(stdin, stdout, field, filter_one, NULL);
	} else {
		for (i = 0; i < nfiles; i++)
			rc |= lookup_file(files[i]);
		if (nfiles == 0 || optind < argc)
			rc |= cli_each_query(argc - optind, argv + optind, "query",
			    lookup, NULL);
	}
	free(files);
	if (cli_flush_stdout("the output") != 0)
		return EXIT_OUTPUT;
	return rc ? EXIT_NO : EXIT_OK;
}
