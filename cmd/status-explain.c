/*
 * status-explain - explains DIMSE status codes: category, meaning (with
 * the range it falls in) and the service or implementation it belongs
 * to, as a C-STORE response status first (PS3.4 Table B.2-1, PS3.7
 * Annex C).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/output.h"
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
	    "2 usage or bad code.\n");
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

/* One explained code (value < 0: none, as for a range or a word). */
static void
print_code(const char *code, long value, const char *cat, const char *meaning,
    const char *ctx, const char *impl)
{
	struct cli_out o;
	struct cli_field f[] = {
		CLI_S("code", 1, code),
		CLI_I("value", 0, value),
		CLI_S("category", 2, cat),
		CLI_S("meaning", 3, meaning),
		CLI_S("context", 4, ctx),
		CLI_S("implementation", 0, impl),
	};

	if (out_mode == OUT_CATEGORY) {
		puts(cat);
		return;
	}
	if (value < 0)
		f[1].name = NULL;
	cli_out_init(&o, stdout, out_mode == OUT_JSON ? CLI_JSON : CLI_TSV, 0);
	cli_out_write(&o, f, CLI_NFIELDS(f));
}

/* A word dcmsend prints in place of a status, or NULL. */
static const struct outcome_info *
local_word(const char *s)
{
	const struct outcome_info *oi = outcome_by_word(s);

	return oi != NULL && oi->local ? oi : NULL;
}

/* One code (a cli_query_fn): returns 0 stored, 1 not stored, 2 not a code. */
static int
one(void *unused, const char *arg)
{
	char code[8], meaning[600], ctx[128];
	const struct outcome_info *oi;
	struct status_info si;
	uint16_t v;
	const char *cat;

	(void)unused;
	if ((oi = local_word(arg)) != NULL) {
		print_code(oi->word, -1, LOCAL, oi->meaning, LOCAL_CONTEXT, NULL);
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
	print_code(code, v, cat, meaning, ctx,
	    si.impl != NULL ? si.impl->impl : NULL);
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
		print_code(code, -1, cat, meaning, ctx,
		    e->impl[0] != '\0' ? e->impl : NULL);
	}
}

/* --field N: category and meaning of column N, appended to the line. */
static int
filter_one(void *ctx, const char *value, size_t lineno, FILE *out)
{
	char meaning[600], sctx[128];
	const struct outcome_info *oi;
	struct status_info si;
	uint16_t v;

	(void)ctx;
	if (value == NULL) {
		fputs("\t\t", out);
		return 2;
	}
	if ((oi = local_word(value)) != NULL) {
		cli_out_append(out, LOCAL);
		cli_out_append(out, oi->meaning);
		return oi->stored ? 0 : 1;
	}
	if (status_parse_code(value, &v) != 0) {
		fprintf(stderr, "%s: line %zu: '%s': not a 16-bit status code "
		    "or an outcome word of dcmsend\n", cli_progname(), lineno, value);
		fputs("\t\t", out);
		return 2;
	}
	explain(v, &si, meaning, sizeof(meaning), sctx, sizeof(sctx));
	cli_out_append(out, status_category_name(si.category));
	cli_out_append(out, meaning);
	return status_is_stored(si.category) ? 0 : 1;
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
		case 'j':
			out_mode = OUT_JSON;
			nmodes++;
			break;
		case 'l':
			opt_list = 1;
			break;
		default:
			cli_other_option(c, help);
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
		rc = cli_filter(stdin, stdout, field, filter_one, NULL);
	} else {
		rc = cli_each_query(argc - optind, argv + optind, "code",
		    one, NULL);
	}
	if (cli_flush_stdout("the output") != 0)
		return EXIT_OUTPUT;
	return rc == 2 ? EXIT_USAGE : rc == 1 ? EXIT_NO : EXIT_OK;
}
