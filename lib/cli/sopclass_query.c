/* sopclass_query.c - sopclass-lookup's lookups and lines (sopclass_query.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cstore/cstore.h"
#include "cli/cli.h"
#include "cli/output.h"
#include "cli/sopclass_query.h"
#include "core/sopclass.h"
#include "core/uid.h"
#include "dcmfile/infile.h"
#include "dcmfile/part10.h"

#include "core/banned.h"

/* One run: the options and the line writer built from them. */
struct run {
	const struct sopclass_query *q;
	struct cli_out out;
};

static void
print_entry(const struct run *r, const struct uid_entry *e, const char *annex)
{
	char name[512];

	if (r->q->print == SOPCLASS_QUERY_UID ||
	    r->q->print == SOPCLASS_QUERY_KEYWORD) {
		fputs(r->q->print == SOPCLASS_QUERY_UID ? e->uid : e->keyword,
		    r->q->out);
		fputc('\n', r->q->out);
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
			CLI_S("type", r->q->all ? 5 : 0, e->type),
			CLI_B("retired", 0, e->retired),
		};

		cli_out_write(&r->out, f, CLI_NFIELDS(f));
	}
}

/* A Storage SOP class as a registry entry of type UID_TYPE_STORAGE. */
static struct uid_entry
storage_entry(const struct sopclass *sc)
{
	return (struct uid_entry){ sc->uid, sc->keyword, sc->name,
		UID_TYPE_STORAGE, sc->retired };
}

static void
print_sopclass(const struct sopclass *sc, void *ctx)
{
	struct uid_entry e = storage_entry(sc);

	print_entry(ctx, &e, sc->annex);
}

static void
print_other(const struct uid_entry *e, void *ctx)
{
	print_entry(ctx, e, "");
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

/* Into buf, q without the words "SOP Class" ending it (any case), as
 * conformance statements name the classes ("CT Image Storage SOP
 * Class"); NULL when q does not end so, or holds nothing else. */
static const char *
without_sop_class(const char *q, char *buf, size_t size)
{
	size_t n = strlen(q), w;

	if (n >= size)
		return NULL;
	memcpy(buf, q, n + 1);
	/* the last two words, separated by blanks, after a blank */
	while (n > 0 && (buf[n - 1] == ' ' || buf[n - 1] == '\t'))
		n--;
	if (n < 5 || strncasecmp(buf + n - 5, "class", 5) != 0)
		return NULL;
	w = n - 5;
	n = w;
	while (n > 0 && (buf[n - 1] == ' ' || buf[n - 1] == '\t'))
		n--;
	if (n == w || n < 3 || strncasecmp(buf + n - 3, "sop", 3) != 0)
		return NULL;
	w = n - 3;
	n = w;
	while (n > 0 && (buf[n - 1] == ' ' || buf[n - 1] == '\t'))
		n--;
	if (n == w || n == 0)
		return NULL;
	buf[n] = '\0';
	return buf;
}

/* The entry of the registries in use whose PS3.6 name q is: the name of
 * a current class and of a retired one (Ultrasound Image Storage) is
 * the current one's, "NAME (Retired)" the retired one's; a name with
 * "SOP Class" after it too.  0 or -1. */
static int
by_name(
    const struct run *r, const char *q, struct uid_entry *e, const char **annex)
{
	const struct sopclass *sc = sopclass_by_name(q);
	const struct uid_entry *u, *old_u = NULL;
	char buf[256];
	size_t i;
	int m;

	if (sc != NULL) {
		*e = storage_entry(sc);
		*annex = sc->annex;
		return 0;
	}
	for (i = 0; r->q->all && (u = uid_at(i)) != NULL; i++) {
		m = sopclass_name_match(q, u->name);
		if (m == 2 && !u->retired)
			break;
		if (m != 0 && u->retired && old_u == NULL)
			old_u = u;
	}
	if (r->q->all && (u != NULL || (u = old_u) != NULL)) {
		*e = *u;
		return 0;
	}
	/* "CT Image Storage SOP Class": the name with "SOP Class" after it */
	q = without_sop_class(q, buf, sizeof(buf));
	return q != NULL ? by_name(r, q, e, annex) : -1;
}

/* Exact lookup of a UID, keyword or name in the registries in use. */
static int
exact(
    const struct run *r, const char *q, struct uid_entry *e, const char **annex)
{
	const struct sopclass *sc =
	    uid_looks_like(q) ? sopclass_by_uid(q) : sopclass_by_keyword(q);

	if (sc != NULL) {
		*e = storage_entry(sc);
		*annex = sc->annex;
		return 0;
	}
	*annex = "";
	if (r->q->all &&
	    (uid_looks_like(q) ? uid_lookup(q, e) : uid_lookup_keyword(q, e)) ==
		0)
		return 0;
	return uid_looks_like(q) ? -1 : by_name(r, q, e, annex);
}

/* 1 after saying on stderr that q names o, which is no storage class
 * (without --all), else 0. */
static int
not_storage(const char *q, const struct uid_entry *o)
{
	if (o == NULL)
		return 0;
	fprintf(stderr,
	    "%s: '%s': not a Storage SOP Class but the %s %s (see --all)\n",
	    cli_progname(), q, o->type, o->keyword);
	return 1;
}

/* Why a UID found no entry, on stderr. */
static void
unknown_uid(const struct run *r, const char *q)
{
	if (not_storage(q, uid_by_uid(q)))
		return;
	fprintf(stderr, "%s: '%s': %s\n", cli_progname(), q,
	    !uid_is_valid(q) ? "not a valid UID (PS3.5 9.1)"
		: r->q->all  ? "unknown UID"
			     : "not a known Storage SOP Class UID");
	suggest(q);
}

/* One query (a cli_query_fn): the exact entry, else a search of the
 * words.  Returns 0 when found, 1 when not. */
static int
lookup(void *ctx, const char *q)
{
	const struct run *r = ctx;
	struct uid_entry e;
	const char *annex;
	size_t n;

	if (exact(r, q, &e, &annex) == 0) {
		print_entry(r, &e, annex);
		return 0;
	}
	if (uid_looks_like(q)) {
		unknown_uid(r, q);
		return 1;
	}
	n = sopclass_search(q, print_sopclass, ctx);
	if (r->q->all)
		n += uid_search(q, print_other, ctx);
	if (n > 0)
		return 0;
	/* a keyword of another registry: HTJ2KLossless, Verification */
	if (!r->q->all && not_storage(q, uid_by_keyword(q)))
		return 1;
	fprintf(stderr, "%s: '%s': no match\n", cli_progname(), q);
	suggest(q);
	return 1;
}

/* The SOP Class UID in the head of a DICOM file, looked up. */
static int
lookup_file(struct run *r, const char *path)
{
	struct part10_info info;
	struct cs_err err = { 0, "" };
	int fd, rc;

	/* never blocks on a FIFO; only regular files */
	fd = infile_open(path, &err);
	if (fd < 0) {
		fprintf(
		    stderr, "%s: '%s': %s\n", cli_progname(), path, err.msg);
		return 1;
	}
	rc = part10_probe_fd(fd, 0, &info, &err);
	close(fd);
	if (rc < 0) {
		fprintf(
		    stderr, "%s: '%s': %s\n", cli_progname(), path, err.msg);
		return 1;
	}
	rc = lookup(r, info.sop_class);
	/* the lines above name the UID; with several files, which one */
	if (rc != 0)
		fprintf(stderr, "%s: '%s': SOP Class UID %s\n", cli_progname(),
		    path, info.sop_class);
	return rc;
}

/* --field N: the keyword (or UID) of column N, appended to the line. */
static int
filter_one(void *ctx, const char *value, size_t lineno, FILE *out)
{
	const struct run *r = ctx;
	struct uid_entry e;
	const char *annex;
	char *copy;
	int rc = 0;

	if (value == NULL) {
		cli_out_append(out, "");
		return 1;
	}
	copy = strdup(value);
	if (copy == NULL) {
		fprintf(stderr, "%s: out of memory\n", cli_progname());
		exit(EXIT_INTERNAL);
	}
	if (exact(r, cli_trim(copy), &e, &annex) == 0) {
		fputc('\t', out);
		fputs(
		    r->q->print == SOPCLASS_QUERY_UID ? e.uid : e.keyword, out);
	} else {
		fprintf(stderr, "%s: line %zu: '%s': not found\n",
		    cli_progname(), lineno, copy);
		fputc('\t', out);
		rc = 1;
	}
	free(copy);
	return rc;
}

static void
list(struct run *r)
{
	size_t i;

	for (i = 0; i < sopclass_count(); i++)
		print_sopclass(sopclass_at(i), r);
	for (i = 0; r->q->all && i < uid_count(); i++)
		print_other(uid_at(i), r);
}

/* The files, then the operands (or stdin lines when there are neither). */
static int
lookup_all(struct run *r)
{
	const struct sopclass_query *q = r->q;
	size_t i;
	int rc = 0;

	for (i = 0; i < q->nfiles; i++)
		rc |= lookup_file(r, q->files[i]);
	if (q->nfiles == 0 || q->nqueries > 0)
		rc |= cli_each_query(
		    q->nqueries, q->queries, "query", lookup, r, 1);
	return rc;
}

int
sopclass_query_run(const struct sopclass_query *q)
{
	struct run r = { .q = q };
	int rc = 0;

	cli_out_init(&r.out, q->out,
	    q->print == SOPCLASS_QUERY_JSON ? CLI_JSON : CLI_TSV, 0);
	if (q->list)
		list(&r);
	else if (q->field > 0)
		rc = cli_filter(stdin, q->out, q->field, filter_one, &r);
	else
		rc = lookup_all(&r);
	return rc;
}
