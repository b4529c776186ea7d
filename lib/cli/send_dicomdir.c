/* send_dicomdir.c - dcmsend --read-from-dicomdir (see send_dicomdir.h). */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cstore/cstore.h"
#include "cstore/storescu.h"

#include "cli/cli.h"
#include "cli/send_args.h"
#include "cli/send_dicomdir.h"
#include "core/strmap.h"

#include "core/banned.h"

const char send_dicomdir_help[] =
    "      --read-from-dicomdir a DICOMDIR among the inputs stands for the files\n"
    "                           its records reference (relative to its directory;\n"
    "                           names matched without regard to case when the\n"
    "                           exact one is missing), sent after it, each once\n";

/* One command line, one switch: see the header. */
static struct {
	int on;
	size_t refused;
	struct strmap done; /* path of each DICOMDIR read: index in counts */
	struct send_dicomdir_counts *counts;
	size_t ncounts;
} state;

int
send_dicomdir_parse(int c)
{
	if (c != OPT_READ_FROM_DICOMDIR)
		return 0;
	state.on = 1;
	return 1;
}

void
send_dicomdir_check(const struct send_args *a)
{
	if (!state.on)
		return;
	/* a stream has no end to read a file-set index against, and its
	 * queue takes paths as they come, never a DICOMDIR's records */
	if (a->follow)
		cli_usage_error(
		    "--read-from-dicomdir and --follow exclude each other");
	if (a->echo)
		cli_usage_error(
		    "--read-from-dicomdir sends files: not with --echo");
	if (a->commit_wait != NULL)
		cli_usage_error(
		    "--read-from-dicomdir sends files: not with --commit-wait");
}

int
send_dicomdir_on(void)
{
	return state.on;
}

void
send_dicomdir_refused_add(void)
{
	state.refused++;
}

size_t
send_dicomdir_refused(void)
{
	return state.refused;
}

int
send_dicomdir_record(const char *path, const struct send_dicomdir_counts *c)
{
	struct send_dicomdir_counts *p;
	size_t k = state.ncounts;
	int rc;

	if (state.ncounts == 0)
		strmap_init(&state.done);
	rc = strmap_put(&state.done, path, strlen(path), &k);
	if (rc <= 0)
		return rc;
	p = realloc(state.counts, (k + 1) * sizeof(*p));
	if (p == NULL)
		return CS_E_NOMEM;
	p[k] = *c;
	state.counts = p;
	state.ncounts = k + 1;
	return 0;
}

/* "; N what", when N is not 0 (one: "; 1 one") */
static size_t
part(
    char *buf, size_t n, size_t at, size_t v, const char *one, const char *what)
{
	int w;

	if (v == 0 || at >= n)
		return at;
	w = snprintf(buf + at, n - at, "; %zu %s", v, v == 1 ? one : what);
	return w < 0 ? at : at + (size_t)w;
}

const char *
send_dicomdir_detail(const char *path, char *buf, size_t n)
{
	const struct send_dicomdir_counts *c;
	size_t k, at;
	int w;

	if (!state.on)
		return NULL;
	if (state.ncounts == 0 ||
	    !strmap_get(&state.done, path, strlen(path), &k)) {
		snprintf(buf, n,
		    "a DICOMDIR (Media Storage Directory) is not sent; not "
		    "read as an index: only a file operand or a file named "
		    "DICOMDIR is (--read-from-dicomdir)");
		return buf;
	}
	c = &state.counts[k];
	w = snprintf(buf, n,
	    "a DICOMDIR (Media Storage Directory) is not sent; the %zu "
	    "file%s its records reference follow%s",
	    c->added, c->added == 1 ? "" : "s", c->added == 1 ? "s" : "");
	at = w < 0 ? 0 : (size_t)w;
	at = part(buf, n, at, c->missing, "of them missing", "of them missing");
	at = part(buf, n, at, c->already,
	    "reference to a file already among the inputs",
	    "references to files already among the inputs");
	part(buf, n, at, c->refused, "record not followed",
	    "records not followed");
	return buf;
}

int
send_dicomdir_exit(int ex)
{
	if (state.refused > 0 && (ex == EXIT_OK || ex == EXIT_UNCOMMITTED))
		return EXIT_NO;
	return ex;
}
