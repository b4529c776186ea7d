/* status_query.c - status-explain's answers and lines (status_query.h). */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/output.h"
#include "cli/status_query.h"
#include "core/status.h"
#include "storescu/outcome.h"

#include "core/banned.h"

/* The service whose meanings are preferred. */
#define SERVICE "C-STORE"
/* The category of dcmsend's own outcome words (notsent, aborted...),
 * which stand where a status would when no response was received. */
#define LOCAL "Local"
#define LOCAL_CONTEXT "dcmsend local outcome"

/* One run: the options and the line writer built from them. */
struct run {
	const struct status_query *q;
	struct cli_out out;
};

/* "Refused: out of resources (A700–A7FF)" for a range, the meaning alone
 * for one code. */
static void
describe(const struct status_entry *e, char *buf, size_t size)
{
	if (e->lo == e->hi)
		snprintf(buf, size, "%s", e->meaning);
	else
		snprintf(
		    buf, size, "%s (%04X\u2013%04X)", e->meaning, e->lo, e->hi);
}

static const char *
context_of(const struct status_entry *e)
{
	return e == NULL                   ? "PS3.7 Annex C range"
	    : strcmp(e->service, "*") == 0 ? "general (PS3.7 Annex C)"
					   : e->service;
}

/*
 * The codes neither C-STORE nor PS3.7 Annex C names: those of the other
 * services the tools speak (Storage Commitment's N-EVENT-REPORT, whose
 * Failure Reasons dcmsend --commit prints, and N-ACTION).
 */
static void
explain_other(uint16_t code, struct status_info *si)
{
	static const char *const other[] = { "N-EVENT-REPORT", "N-ACTION" };
	struct status_info o;

	for (size_t i = 0; si->std == NULL && i < 2; i++) {
		status_explain(code, other[i], &o);
		if (o.std != NULL) {
			si->std = o.std;
			si->category = o.category;
		}
	}
}

/* Fills meaning and context for a code. */
static void
explain(uint16_t code, struct status_info *si, char *meaning, size_t msize,
    char *ctx, size_t csize)
{
	char std[256], impl[256];
	const char *cat;

	status_explain(code, SERVICE, si);
	explain_other(code, si);
	cat = status_category_name(si->category);
	if (si->std != NULL)
		describe(si->std, std, sizeof(std));
	else if (si->category == STATUS_UNKNOWN)
		snprintf(
		    std, sizeof(std), "not a status defined by PS3.7 Annex C");
	else
		snprintf(std, sizeof(std),
		    "no specific meaning for %s; a %s code by its range",
		    SERVICE, cat);
	if (si->impl != NULL) {
		describe(si->impl, impl, sizeof(impl));
		snprintf(meaning, msize, "%s; as %s SCP: %s", std,
		    si->impl->impl, impl);
		snprintf(
		    ctx, csize, "%s, %s", context_of(si->std), si->impl->impl);
	} else {
		snprintf(meaning, msize, "%s", std);
		snprintf(ctx, csize, "%s",
		    si->category == STATUS_UNKNOWN ? "-" : context_of(si->std));
	}
}

/* One explained code (value < 0: none, as for a range or a word). */
static void
print_code(const struct run *r, const char *code, long value, const char *cat,
    const char *meaning, const char *ctx, const char *impl)
{
	struct cli_field f[] = {
		CLI_S("code", 1, code),
		CLI_I("value", 0, value),
		CLI_S("category", 2, cat),
		CLI_S("meaning", 3, meaning),
		CLI_S("context", 4, ctx),
		CLI_S("implementation", 0, impl),
	};

	if (r->q->print == STATUS_QUERY_CATEGORY) {
		fputs(cat, r->q->out);
		fputc('\n', r->q->out);
		return;
	}
	if (value < 0)
		f[1].name = NULL;
	cli_out_write(&r->out, f, CLI_NFIELDS(f));
}

/* A word dcmsend prints in place of a status, or NULL. */
static const struct outcome_info *
local_word(const char *s)
{
	const struct outcome_info *oi = outcome_by_word(s);

	return oi != NULL && oi->local ? oi : NULL;
}

int
status_query_readings(const char *s, char *buf, size_t len)
{
	char up[4], right[5] = "0000";
	size_t i, n = strlen(s);

	if (!status_code_is_short_hex(s))
		return 0;
	for (i = 0; i < n && i < 3; i++)
		right[i] = up[i] = s[i] >= 'a' && s[i] <= 'f'
		    ? (char)(s[i] - 'a' + 'A')
		    : s[i];
	up[i] = '\0';
	snprintf(buf, len,
	    "ambiguous: a status has four hex digits: %s, or 0x%.*s%s?", right,
	    (int)(4 - i), "000", up);
	return 1;
}

/* Says why arg is no code (line 0: an operand); short hex names its two
 * readings instead of picking one (status_query_readings). */
static void
bad_code(const char *arg, size_t lineno, const char *what)
{
	char at[32] = "", why[96];

	if (lineno > 0)
		snprintf(at, sizeof(at), "line %zu: ", lineno);
	if (status_query_readings(arg, why, sizeof(why)))
		what = why;
	fprintf(stderr, "%s: %s'%s': %s\n", cli_progname(), at, arg, what);
}

/*
 * "122" is decimal 122 (0x007A, no status), where 0x0122 (SOP Class not
 * supported) was as likely meant, the leading zero dropped: named when
 * the decimal reading means nothing and the hex one does ("272",
 * decimal for 0x0110 as dcmdump prints it, is taken as it is).
 */
int
status_query_decimal_reading(const char *arg, char *buf, size_t len)
{
	struct status_info si, h;
	unsigned dv = 0, hv = 0;
	size_t i, n = strlen(arg);

	if (n < 2 || n > 3)
		return 0;
	for (i = 0; i < n; i++) {
		if (arg[i] < '0' || arg[i] > '9')
			return 0;
		dv = dv * 10 + (unsigned)(arg[i] - '0');
		hv = hv * 16 + (unsigned)(arg[i] - '0');
	}
	status_explain((uint16_t)dv, SERVICE, &si);
	if (si.category != STATUS_UNKNOWN)
		return 0;
	status_explain((uint16_t)hv, SERVICE, &h);
	explain_other((uint16_t)hv, &h);
	if (h.std == NULL)
		return 0;
	snprintf(buf, len, "'%s' is decimal (0x%04X); 0x%04X is '%s'", arg, dv,
	    hv, h.std->meaning);
	return 1;
}

/*
 * A range written as PS3.4 and PS3.7 write them, four hex digits the last
 * of which are x ("A7xx", "Cxxx", "0xA9XX"): 1 with its first and last
 * code in *lo, *hi, else 0.
 */
static int
range_of(const char *s, uint16_t *lo, uint16_t *hi)
{
	unsigned l = 0, h = 0;
	size_t i, x = 0;

	/* "0xxx" is itself the range 0x0000-0x0FFF: a 0x prefix only
	 * before four more characters */
	if (strlen(s) == 6 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	if (strlen(s) != 4)
		return 0;
	for (i = 0; i < 4; i++) {
		int d = s[i] >= '0' && s[i] <= '9' ? s[i] - '0'
		    : s[i] >= 'a' && s[i] <= 'f'   ? s[i] - 'a' + 10
		    : s[i] >= 'A' && s[i] <= 'F'   ? s[i] - 'A' + 10
						   : -1;

		if (s[i] == 'x' || s[i] == 'X') {
			x++;
			l <<= 4, h = h << 4 | 0xF;
		} else if (d < 0 || x > 0) {
			return 0; /* a digit after an x, or no hex digit */
		} else {
			l = l << 4 | (unsigned)d, h = h << 4 | (unsigned)d;
		}
	}
	if (x == 0 || x == 4)
		return 0;
	*lo = (uint16_t)l, *hi = (uint16_t)h;
	return 1;
}

/*
 * "A7xx": the entry that is that range (or holds it), else the category
 * its codes share (a range no code of which PS3.7 defines, "Dxxx", is
 * Unknown as each of its codes is); a range of codes of several
 * categories ("01xx") is no code.  Returns as one() does.
 */
static int
one_range(const struct run *r, const char *arg, uint16_t lo, uint16_t hi)
{
	char code[8], meaning[600], sctx[128];
	struct status_info si;
	enum status_category c = status_category_of(lo);
	unsigned v;

	for (v = lo; v <= hi && status_category_of((uint16_t)v) == c; v++)
		;
	explain(lo, &si, meaning, sizeof(meaning), sctx, sizeof(sctx));
	if (si.std != NULL && si.std->lo <= lo && si.std->hi >= hi) {
		c = si.std->category;
	} else if (v > hi && c == STATUS_UNKNOWN) {
		/* meaning and sctx as explain() gave them for lo: "D000" */
	} else if (v > hi) {
		snprintf(meaning, sizeof(meaning),
		    "codes without a specific meaning for %s share the %s category (PS3.7 Annex C); see -l for those with one",
		    SERVICE, status_category_name(c));
		snprintf(sctx, sizeof(sctx), "PS3.7 Annex C range");
	} else {
		bad_code(
		    arg, 0, "a range of codes of several categories (see -l)");
		return 2;
	}
	snprintf(code, sizeof(code), "0x%04X", lo);
	{
		/* the range as written: 0xA7xx */
		size_t n = strlen(code);

		for (unsigned k = hi ^ lo, i = 0; k != 0; k >>= 4, i++)
			code[n - 1 - i] = 'x';
	}
	print_code(r, code, -1, status_category_name(c), meaning, sctx, NULL);
	return status_is_stored(c) ? 0 : 1;
}

/* One code (a cli_query_fn): returns 0 stored, 1 not stored, 2 not a code. */
static int
one(void *ctx, const char *arg)
{
	const struct run *r = ctx;
	char code[8], meaning[600], sctx[128], note[400];
	const struct outcome_info *oi;
	struct status_info si;
	uint16_t v, lo, hi;
	const char *cat;

	if ((oi = local_word(arg)) != NULL) {
		print_code(
		    r, oi->word, -1, LOCAL, oi->meaning, LOCAL_CONTEXT, NULL);
		return oi->stored ? 0 : 1;
	}
	if (range_of(arg, &lo, &hi))
		return one_range(r, arg, lo, hi);
	if (status_parse_code(arg, &v) != 0) {
		bad_code(arg, 0,
		    "not a 16-bit status code (0x0000-0xFFFF, hex or decimal)");
		return 2;
	}
	explain(v, &si, meaning, sizeof(meaning), sctx, sizeof(sctx));
	if (status_query_decimal_reading(arg, note, sizeof(note)))
		fprintf(stderr, "%s: note: %s\n", cli_progname(), note);
	cat = status_category_name(si.category);
	snprintf(code, sizeof(code), "0x%04X", v);
	print_code(r, code, v, cat, meaning, sctx,
	    si.impl != NULL ? si.impl->impl : NULL);
	return status_is_stored(si.category) ? 0 : 1;
}

/* Every entry of the table, ranges as "0xA700-0xA7FF". */
static void
list(const struct run *r)
{
	char code[16], meaning[300], ctx[128];
	size_t i;

	for (i = 0; i < status_count(); i++) {
		const struct status_entry *e = status_at(i);
		const char *cat = status_category_name(e->category);

		if (e->lo == e->hi)
			snprintf(code, sizeof(code), "0x%04X", e->lo);
		else
			snprintf(
			    code, sizeof(code), "0x%04X-0x%04X", e->lo, e->hi);
		describe(e, meaning, sizeof(meaning));
		snprintf(ctx, sizeof(ctx), "%s%s%s", context_of(e),
		    e->impl[0] != '\0' ? ", " : "", e->impl);
		print_code(r, code, -1, cat, meaning, ctx,
		    e->impl[0] != '\0' ? e->impl : NULL);
	}
}

/* The value without the blanks around it, in buf when it fits (a code or
 * an outcome word always does), else the value as it is. */
static const char *
trimmed(const char *value, char *buf, size_t size)
{
	size_t n;

	while (*value == ' ' || *value == '\t')
		value++;
	n = strlen(value);
	while (n > 0 && (value[n - 1] == ' ' || value[n - 1] == '\t'))
		n--;
	if (n >= size)
		return value;
	memcpy(buf, value, n);
	buf[n] = '\0';
	return buf;
}

/* --field N: category and meaning of column N, appended to the line. */
static int
filter_one(void *ctx, const char *value, size_t lineno, FILE *out)
{
	char meaning[600], sctx[128], buf[32];
	const struct outcome_info *oi;
	struct status_info si;
	uint16_t v;

	(void)ctx;
	if (value == NULL) {
		fputs("\t\t", out);
		return 2;
	}
	/* as on stdin lines: blanks around the code do not count */
	value = trimmed(value, buf, sizeof(buf));
	if ((oi = local_word(value)) != NULL) {
		cli_out_append(out, LOCAL);
		cli_out_append(out, oi->meaning);
		return oi->stored ? 0 : 1;
	}
	if (status_parse_code(value, &v) != 0) {
		bad_code(value, lineno,
		    "not a 16-bit status code or an outcome word of dcmsend");
		fputs("\t\t", out);
		return 2;
	}
	explain(v, &si, meaning, sizeof(meaning), sctx, sizeof(sctx));
	cli_out_append(out, status_category_name(si.category));
	cli_out_append(out, meaning);
	return status_is_stored(si.category) ? 0 : 1;
}

int
status_query_run(const struct status_query *q)
{
	struct run r = { .q = q };

	cli_out_init(&r.out, q->out,
	    q->print == STATUS_QUERY_JSON ? CLI_JSON : CLI_TSV, 0);
	if (q->list) {
		list(&r);
		return 0;
	}
	if (q->field > 0)
		return cli_filter(stdin, q->out, q->field, filter_one, NULL);
	return cli_each_query(q->ncodes, q->codes, "code", one, &r, 2);
}
