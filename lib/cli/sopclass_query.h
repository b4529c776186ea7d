/*
 * sopclass_query.h - what sopclass-lookup answers, and how it prints it:
 * queries (a UID, a keyword, or words of a name) looked up in lib/core's
 * registries, the SOP class of DICOM files, the whole registry, or the
 * -F filter over standard input.  Results go to the given stream as TSV
 * or JSON lines (or the UID or keyword alone); "not found" and "did you
 * mean" go to stderr.
 */
#ifndef CS_CLI_SOPCLASS_QUERY_H
#define CS_CLI_SOPCLASS_QUERY_H

#include <stddef.h>
#include <stdio.h>

enum sopclass_query_print {
	SOPCLASS_QUERY_TSV =
	    0,               /* UID, keyword, name, annex (and type with all) */
	SOPCLASS_QUERY_JSON, /* the same fields and "retired" as JSON lines */
	SOPCLASS_QUERY_UID,  /* the UID alone */
	SOPCLASS_QUERY_KEYWORD, /* the keyword alone */
};

struct sopclass_query {
	FILE *out; /* results (stdout) */
	enum sopclass_query_print print;
	int all;                  /* every well-known UID, with its type */
	int list;                 /* the whole registry; nothing else */
	long field;               /* > 0: filter stdin by this column */
	const char *const *files; /* DICOM files whose class to look up */
	size_t nfiles;
	char *const *queries; /* without any (and no file): stdin */
	int nqueries;
};

/*
 * Answers q: the list, else the filter, else the files and then the
 * queries (stdin lines when there are neither).  Returns 0 when every
 * query and file was found, 1 when some was not.  Write errors show in
 * ferror(q->out); a usage error (no query anywhere) exits EXIT_USAGE.
 */
int sopclass_query_run(const struct sopclass_query *q);

#endif
