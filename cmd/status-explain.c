/*
 * status-explain - explains DIMSE status codes: category, meaning (with
 * the range it falls in) and the service or implementation it belongs
 * to, as a C-STORE response status first (PS3.4 Table B.2-1, PS3.7
 * Annex C).
 */
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/status.h"
#include "storescu/outcome.h"

/* The service whose meanings are preferred. */
#define SERVICE "C-STORE"
/* The category of dcmsend's own outcome words (notsent, aborted...),
 * which stand where a status would when no response was received. */
#define LOCAL "Local"
#define LOCAL_CONTEXT "dcmsend local outcome"

enum out_mode { OUT_TSV, OUT_JSON, OUT_CATEGORY };

static enum out_mode out_mode = OUT_TSV;

static const char usage_text[] =
    "Usage: %s [-c | -j] [code ...]\n"
    "       %s -l [-j]\n"
    "       %s -F n\n";

static void
usage(FILE *f)
{
	const char *p = cli_progname();

	fprintf(f, usage_text, p, p, p);
}

static void
help(void)
{
	usage(stdout);
	fputs("Explains DIMSE status codes, as C-STORE statuses first.  A code\n"
	    "is 0xA700, A700, a700 or decimal 42752; four digits are hex.\n"
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
	    "2 usage or bad code.\n",
	    stdout);
	exit(EXIT_OK);
}

/* "Refused: out of resources (A700–A7FF)" for a range, the meaning alone
 * for one code. */
static void
describe(const struct status_entry *e, char *buf, size_t size)
{
	if (e->lo == e->hi)
		snprintf(buf, size, "%s", e->meaning);
	else
		snprintf(buf, size, "%s (%04X\u2013%04X)", e->meaning, e->lo, e->hi);
}

static const char *
context_of(const struct status_entry *e)
{
	return e == NULL ? "PS3.7 Annex C range" :
	    strcmp(e->service, "*") == 0 ? "general (PS3.7 Annex C)" : e->service;
}

/* Fills meaning and context for a code. */
static void
explain(uint16_t code, struct status_info *si, char *meaning, size_t msize,
    char *ctx, size_t csize)
{
	char std[256], impl[256];
	const char *cat;

	status_explain(code, SERVICE, si);
	cat = status_category_name(si->category);
	if (si->std != NULL)
		describe(si->std, std, sizeof(std));
	else if (si->category == STATUS_UNKNOWN)
		snprintf(std, sizeof(std), "not a status defined by PS3.7 Annex C");
	else
		snprintf(std, sizeof(std), "no specific meaning for %s; a %s code by its range",
		    SERVICE, cat);
	if (si->impl != NULL) {
		describe(si->impl, impl, sizeof(impl));
		snprintf(meaning, msize, "%s; as %s SCP: %s", std, si->impl->impl, impl);
		snprintf(ctx, csize, "%s, %s", context_of(si->std), si->impl->impl);
	} else {
		snprintf(meaning, msize, "%s", std);
		snprintf(ctx, csize, "%s", si->category == STATUS_UNKNOWN ? "-" :
		    context_of(si->std));
	}
}

static void
print_json(const char *code, long value, const char *cat, const char *meaning,
    const char *ctx, const char *impl)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "code", json_object_new_string(code));
	if (value >= 0)
		json_object_object_add(o, "value", json_object_new_int(value));
	json_object_object_add(o, "category", json_object_new_string(cat));
	json_object_object_add(o, "meaning", json_object_new_string(meaning));
	json_object_object_add(o, "context", json_object_new_string(ctx));
	json_object_object_add(o, "implementation",
	    impl != NULL ? json_object_new_string(impl) : NULL);
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

/* A word dcmsend prints in place of a status, or NULL. */
static const struct outcome_info *
local_word(const char *s)
{
	const struct outcome_info *oi = outcome_by_word(s);

	return oi != NULL && oi->local ? oi : NULL;
}

/* One code: returns 0 stored, 1 not stored, 2 not a code. */
static int
one(const char *arg)
{
	char code[8], meaning[600], ctx[128];
	const struct outcome_info *oi;
	struct status_info si;
	uint16_t v;
	const char *cat;

	if ((oi = local_word(arg)) != NULL) {
		if (out_mode == OUT_CATEGORY) {
			puts(LOCAL);
		} else if (out_mode == OUT_JSON) {
			print_json(oi->word, -1, LOCAL, oi->meaning, LOCAL_CONTEXT, NULL);
		} else {
			const char *f[4] = { oi->word, LOCAL, oi->meaning, LOCAL_CONTEXT };

			cli_tsv_line(stdout, 4, f);
		}
		return oi->stored ? 0 : 1;
	}
	if (status_parse_code(arg, &v) != 0) {
		fprintf(stderr, "%s: '%s': not a 16-bit status code "
		    "(0x0000-0xFFFF, hex or decimal)\n", cli_progname(), arg);
		return 2;
	}
	explain(v, &si, meaning, sizeof(meaning), ctx, sizeof(ctx));
	cat = status_category_name(si.category);
	snprintf(code, sizeof(code), "0x%04X", v);
	if (out_mode == OUT_CATEGORY) {
		puts(cat);
	} else if (out_mode == OUT_JSON) {
		print_json(code, v, cat, meaning, ctx,
		    si.impl != NULL ? si.impl->impl : NULL);
	} else {
		const char *f[4] = { code, cat, meaning, ctx };

		cli_tsv_line(stdout, 4, f);
	}
	return status_is_stored(si.category) ? 0 : 1;
}

static void
list(void)
{
	char code[16], meaning[300], ctx[128];
	size_t i;

	for (i = 0; i < status_count(); i++) {
		const struct status_entry *e = status_at(i);
		const char *cat = status_category_name(e->category);

		if (e->lo == e->hi)
			snprintf(code, sizeof(code), "0x%04X", e->lo);
		else
			snprintf(code, sizeof(code), "0x%04X-0x%04X", e->lo, e->hi);
		describe(e, meaning, sizeof(meaning));
		snprintf(ctx, sizeof(ctx), "%s%s%s", context_of(e),
		    e->impl[0] != '\0' ? ", " : "", e->impl);
		if (out_mode == OUT_JSON) {
			print_json(code, -1, cat, meaning, ctx,
			    e->impl[0] != '\0' ? e->impl : NULL);
		} else {
			const char *f[4] = { code, cat, meaning, ctx };

			cli_tsv_line(stdout, 4, f);
		}
	}
}

/* --field N: pass each line through with category and meaning appended. */
static int
filter(long field)
{
	char *line = NULL, *copy, *f[64], meaning[600], ctx[128];
	const struct outcome_info *oi;
	size_t cap = 0, lineno = 0;
	struct status_info si;
	int rc = 0, nf;
	long len;
	uint16_t v;

	while ((len = cli_read_record(stdin, &line, &cap, 0)) >= 0) {
		lineno++;
		if (len > 0 && line[len - 1] == '\r')
			line[--len] = '\0';
		copy = strdup(line);
		if (copy == NULL) {
			fprintf(stderr, "%s: out of memory\n", cli_progname());
			exit(EXIT_INTERNAL);
		}
		nf = cli_split_tabs(copy, f, 64);
		if (field > nf) {
			fprintf(stderr, "%s: line %zu: no field %ld (%d fields)\n",
			    cli_progname(), lineno, field, nf);
			printf("%s\t\t\n", line);
			rc = 2;
		} else if ((oi = local_word(f[field - 1])) != NULL) {
			printf("%s\t%s\t", line, LOCAL);
			cli_tsv_field(stdout, oi->meaning);
			putchar('\n');
			if (!oi->stored && rc == 0)
				rc = 1;
		} else if (status_parse_code(f[field - 1], &v) != 0) {
			fprintf(stderr, "%s: line %zu: '%s': not a 16-bit status code "
			    "or an outcome word of dcmsend\n",
			    cli_progname(), lineno, f[field - 1]);
			printf("%s\t\t\n", line);
			rc = 2;
		} else {
			explain(v, &si, meaning, sizeof(meaning), ctx, sizeof(ctx));
			printf("%s\t%s\t", line, status_category_name(si.category));
			cli_tsv_field(stdout, meaning);
			putchar('\n');
			if (!status_is_stored(si.category) && rc == 0)
				rc = 1;
		}
		free(copy);
	}
	free(line);
	return rc;
}

static char *
trim(char *s)
{
	size_t n;

	while (*s == ' ' || *s == '\t')
		s++;
	n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		s[--n] = '\0';
	return s;
}

static int
worst(int a, int b)
{
	return a > b ? a : b;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "category", no_argument, NULL, 'c' },
		{ "field", required_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ "json", no_argument, NULL, 'j' },
		{ "list", no_argument, NULL, 'l' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	char *line = NULL, *q;
	size_t cap = 0, nq = 0;
	long field = 0;
	int c, opt_list = 0, nmodes = 0, rc = 0;

	while ((c = getopt_long(argc, argv, "cF:hjlV", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			out_mode = OUT_CATEGORY;
			nmodes++;
			break;
		case 'F':
			field = cli_parse_num(optarg, 1, 64, "field");
			break;
		case 'h':
			help();
			break;
		case 'j':
			out_mode = OUT_JSON;
			nmodes++;
			break;
		case 'l':
			opt_list = 1;
			break;
		case 'V':
			cli_print_version();
			break;
		default:
			cli_help_hint();
			exit(EXIT_USAGE);
		}
	}
	if (nmodes > 1)
		cli_usage_error("--category and --json exclude each other");
	if (opt_list && (optind < argc || field > 0 || out_mode == OUT_CATEGORY))
		cli_usage_error("--list takes no code, --field or --category");
	if (field > 0 && (optind < argc || nmodes > 0))
		cli_usage_error("--field reads standard input: no code, --json or --category");

	if (opt_list) {
		list();
	} else if (field > 0) {
		rc = filter(field);
	} else if (optind < argc) {
		for (; optind < argc; optind++)
			rc = worst(rc, one(argv[optind]));
	} else {
		while (cli_read_record(stdin, &line, &cap, 0) >= 0) {
			q = trim(line);
			if (*q == '\0')
				continue;
			nq++;
			rc = worst(rc, one(q));
		}
		if (nq == 0)
			cli_usage_error("no code given and none on standard input");
	}
	free(line);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		perror("status-explain: cannot write the output");
		return EXIT_OUTPUT;
	}
	return rc == 2 ? EXIT_USAGE : rc == 1 ? EXIT_NO : EXIT_OK;
}
