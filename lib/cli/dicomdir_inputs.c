/*
 * dicomdir_inputs.c - each DICOMDIR among dcmsend's inputs followed by
 * the files it references (see dicomdir_inputs.h).
 */
#include <sys/stat.h>

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cstore/cstore.h"
#include "cstore/storescu.h"
#include "cli/cli.h"
#include "cli/dicomdir_inputs.h"
#include "cli/send_dicomdir.h"
#include "core/strmap.h"
#include "dcmfile/dicomdir.h"
#include "dcmfile/infile.h"
#include "dcmfile/part10.h"

#include "core/banned.h"

/* What one expansion carries from DICOMDIR to DICOMDIR. */
struct expand {
	struct inputs out;
	struct strmap seen; /* files in the list: "i" dev:ino, "p" path */
	struct dd_resolver rs;
	struct send_dicomdir_counts c; /* the DICOMDIR being read */
	int quiet;
};

/* Is path worth probing: a file operand (in ops, a set of the
 * operands), or named DICOMDIR. */
static int
candidate(const char *path, const struct strmap *ops)
{
	const char *base = strrchr(path, '/');

	return strcasecmp(base != NULL ? base + 1 : path, "DICOMDIR") == 0 ||
	    strmap_get(ops, path, strlen(path), NULL);
}

/* 1 when path is a regular file whose meta says DICOMDIR. */
static int
is_dicomdir(const char *path)
{
	struct part10_info info;
	struct cs_err err = { 0, "" };
	struct stat st;
	int fd = infile_open_stat(path, &st, &err), rc;

	if (fd < 0)
		return 0; /* the sender says why, on its line */
	rc = part10_probe_fd_size(
	    fd, (uint64_t)st.st_size, PART10_O_META_ONLY, &info, &err);
	close(fd);
	return rc == 0 && storescu_is_dicomdir(info.meta_sop_class);
}

/* The whole file, at most DICOMDIR_FILE_MAX bytes, into *buf. */
static int
read_whole(const char *path, uint8_t **buf, size_t *n, struct cs_err *err)
{
	struct stat st;
	size_t got = 0;
	int fd = infile_open_stat(path, &st, err);

	*buf = NULL;
	if (fd < 0)
		return fd;
	if ((uint64_t)st.st_size > DICOMDIR_FILE_MAX) {
		close(fd);
		return cs_err_set(err, CS_E_TOOBIG,
		    "%jd bytes: more than %llu MiB", (intmax_t)st.st_size,
		    (unsigned long long)(DICOMDIR_FILE_MAX >> 20));
	}
	*n = (size_t)st.st_size;
	if ((*buf = malloc(*n ? *n : 1)) == NULL) {
		close(fd);
		return cs_err_set(err, CS_E_NOMEM, "out of memory");
	}
	while (got < *n) {
		ssize_t k = pread(fd, *buf + got, *n - got, (off_t)got);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			cs_err_set(err, CS_E_IO, "%s",
			    k < 0 ? strerror(errno) : "it shrank while read");
			close(fd);
			free(*buf);
			*buf = NULL;
			return CS_E_IO;
		}
		got += (size_t)k;
	}
	close(fd);
	return 0;
}

/* Puts the file at path in the set; 1 if it was not there, 0 if it
 * was, CS_E_NOMEM.  exists: stat it and key it by device and inode. */
static int
see(struct strmap *seen, const char *path, int exists)
{
	char key[64];
	struct stat st;
	size_t len;
	char *k;
	int rc;

	if (exists && stat(path, &st) == 0) {
		rc = snprintf(key, sizeof(key), "i%ju:%ju",
		    (uintmax_t)st.st_dev, (uintmax_t)st.st_ino);
		return strmap_put(seen, key, (size_t)rc, NULL);
	}
	/* not there: one line for each spelling */
	len = strlen(path);
	if ((k = malloc(len + 2)) == NULL)
		return CS_E_NOMEM;
	k[0] = 'p';
	memcpy(k + 1, path, len + 1);
	rc = strmap_put(seen, k, len + 1, NULL);
	free(k);
	return rc;
}

static void say(const struct expand *x, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
say(const struct expand *x, const char *fmt, ...)
{
	va_list ap;

	if (x->quiet)
		return;
	fprintf(stderr, "%s: ", cli_progname());
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* One reference of the DICOMDIR at ddpath (its directory is prefix). */
static int
add_ref(struct expand *x, const char *ddpath, const char *prefix,
    const struct dicomdir *dd, size_t i)
{
	const struct dicomdir_ref *ref = &dd->ref[i];
	struct cs_err err = { 0, "" };
	char *path;
	int found, rc;

	if (ref->why != DICOMDIR_OK) {
		send_dicomdir_refused_add();
		x->c.refused++;
		say(x,
		    "DICOMDIR '%s': record at offset %" PRIu64
		    " (%s) not followed: Referenced File ID '%s': %s",
		    ddpath, ref->offset, ref->type[0] ? ref->type : "no type",
		    dicomdir_path(dd, i), dicomdir_why_text(ref->why));
		return 0;
	}
	if ((found = dd_resolve(&x->rs, prefix, dicomdir_path(dd, i), &path)) <
	    0)
		return found;
	if (found == DD_MISSING || found == DD_AMBIGUOUS)
		say(x, "DICOMDIR '%s': '%s' (record at offset %" PRIu64 ") %s",
		    ddpath, path, ref->offset,
		    found == DD_MISSING
			? "does not exist"
			: "matches several names that differ only in case");
	rc = see(&x->seen, path, found == DD_EXACT || found == DD_FOLDED);
	if (rc == 0)
		x->c.already++;
	if (rc == 1) {
		x->c.added++;
		x->c.missing += found == DD_MISSING || found == DD_AMBIGUOUS;
		rc = inputs_add_path(&x->out, path, &err);
	}
	free(path);
	return rc < 0 ? rc : 0;
}

/* The DICOMDIR at path: its references into x->out. */
static int
expand_one(struct expand *x, const char *path)
{
	struct cs_err err = { 0, "" };
	struct dicomdir dd;
	const char *slash = strrchr(path, '/');
	size_t plen = slash != NULL ? (size_t)(slash - path) + 1 : 0, i;
	char *prefix = NULL;
	uint8_t *buf;
	size_t n = 0;
	int rc;

	dicomdir_init(&dd);
	if ((rc = read_whole(path, &buf, &n, &err)) == 0) {
		rc = dicomdir_parse(buf, n, &dd, &err);
		free(buf);
	}
	if (rc == 0 && (prefix = strndup(path, plen)) == NULL)
		rc = cs_err_set(&err, CS_E_NOMEM, "out of memory");
	if (rc != 0) {
		fprintf(stderr, "%s: cannot read the DICOMDIR '%s': %s\n",
		    cli_progname(), path, err.msg);
		dicomdir_release(&dd);
		return rc == CS_E_NOMEM ? rc : CS_E_IO;
	}
	if (dd.n == 0)
		say(x, "DICOMDIR '%s' references no file", path);
	memset(&x->c, 0, sizeof(x->c));
	for (i = 0, rc = 0; rc == 0 && i < dd.n; i++)
		rc = add_ref(x, path, prefix, &dd, i);
	if (rc == 0)
		rc = send_dicomdir_record(path, &x->c);
	free(prefix);
	dicomdir_release(&dd);
	return rc;
}

/* Every input into the set, so that no reference repeats one. */
static int
see_inputs(struct expand *x, const struct inputs *in)
{
	size_t i;
	int rc;

	for (i = 0; i < inputs_count(in); i++)
		if ((rc = see(&x->seen, inputs_path(in, i), 1)) < 0)
			return rc;
	return 0;
}

static int
expand(struct expand *x, const struct inputs *in, const unsigned char *is_dd)
{
	struct cs_err err = { 0, "" };
	size_t i;
	int rc = see_inputs(x, in);

	for (i = 0; rc == 0 && i < inputs_count(in); i++) {
		/* the DICOMDIR keeps its own line, before its files */
		rc = inputs_add_path(&x->out, inputs_path(in, i), &err);
		if (rc == 0 && is_dd[i])
			rc = expand_one(x, inputs_path(in, i));
	}
	return rc;
}

int
dicomdir_inputs_expand(struct inputs *in, int nops, char *const *ops, int quiet)
{
	size_t i, n = inputs_count(in), found = 0;
	unsigned char *is_dd = calloc(n ? n : 1, 1);
	struct strmap opset;
	struct expand x;
	int k, rc = 0;

	strmap_init(&opset);
	for (k = 0; rc >= 0 && k < nops; k++)
		if (strcmp(ops[k], "-") != 0)
			rc = strmap_put(&opset, ops[k], strlen(ops[k]), NULL);
	if (is_dd == NULL || rc < 0) {
		free(is_dd);
		strmap_release(&opset);
		fprintf(stderr, "%s: out of memory\n", cli_progname());
		return EXIT_INTERNAL;
	}
	for (i = 0; i < n; i++) {
		const char *p = inputs_path(in, i);

		is_dd[i] = candidate(p, &opset) && is_dicomdir(p);
		found += is_dd[i];
	}
	strmap_release(&opset);
	if (found == 0) {
		free(is_dd);
		return 0;
	}
	memset(&x, 0, sizeof(x));
	x.quiet = quiet;
	inputs_init(&x.out, &in->opts);
	strmap_init(&x.seen);
	dd_resolver_init(&x.rs);
	rc = expand(&x, in, is_dd);
	free(is_dd);
	strmap_release(&x.seen);
	dd_resolver_release(&x.rs);
	if (rc != 0) {
		if (rc == CS_E_NOMEM)
			fprintf(stderr, "%s: out of memory\n", cli_progname());
		inputs_release(&x.out);
		return rc == CS_E_NOMEM ? EXIT_INTERNAL : EXIT_NO;
	}
	inputs_release(in);
	*in = x.out;
	return 0;
}
