/* inputs.c - operands to an ordered list of paths (see inputs.h). */
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cstore/cstore.h"
#include "core/alloc.h"
#include "cli/inputs.h"
#include "storescp/commit_index.h"
#include "storescp/sink_dir.h"

#include "core/banned.h"

void
inputs_init(struct inputs *in, const struct inputs_opts *opts)
{
	memset(in, 0, sizeof(*in));
	if (opts != NULL)
		in->opts = *opts;
}

void
inputs_release(struct inputs *in)
{
	cs_free(in->arena);
	cs_free(in->off);
	memset(in, 0, sizeof(*in));
}

size_t
inputs_count(const struct inputs *in)
{
	return in->n;
}

const char *
inputs_path(const struct inputs *in, size_t i)
{
	return i < in->n ? in->arena + in->off[i] : NULL;
}

static int
add_len(struct inputs *in, const char *path, size_t len, struct cs_err *err)
{
	if (in->n == in->cap) {
		size_t ncap = in->cap ? in->cap * 2 : 256;
		size_t *noff;

		if (ncap > SIZE_MAX / sizeof(*noff) ||
		    (noff = cs_realloc(in->off, ncap * sizeof(*noff))) == NULL)
			return cs_err_set(err, CS_E_NOMEM,
			    "cannot list '%s': out of memory", path);
		in->off = noff;
		in->cap = ncap;
	}
	if (in->arena_cap - in->arena_len < len + 1) {
		size_t ncap = in->arena_cap ? in->arena_cap : 4096;
		char *na;

		while (ncap - in->arena_len < len + 1) {
			if (ncap > SIZE_MAX / 2)
				return cs_err_set(err, CS_E_NOMEM,
				    "cannot list '%s': out of memory", path);
			ncap *= 2;
		}
		na = cs_realloc(in->arena, ncap);
		if (na == NULL)
			return cs_err_set(err, CS_E_NOMEM,
			    "cannot list '%s': out of memory", path);
		in->arena = na;
		in->arena_cap = ncap;
	}
	memcpy(in->arena + in->arena_len, path, len);
	in->arena[in->arena_len + len] = '\0';
	in->off[in->n++] = in->arena_len;
	in->arena_len += len + 1;
	return 0;
}

int
inputs_add_path(struct inputs *in, const char *path, struct cs_err *err)
{
	if (path == NULL)
		return cs_err_set(err, CS_E_INVAL, "cannot list a null path");
	return add_len(in, path, strlen(path), err);
}

static void
skipped(struct inputs *in, const char *path, const char *why)
{
	if (in->opts.on_skip != NULL)
		in->opts.on_skip(in->opts.skip_ctx, path, why);
}

/* The path being walked, grown as we descend. */
struct pathbuf {
	char *p;
	size_t len, cap;
};

static int
pb_append(struct pathbuf *pb, const char *name, struct cs_err *err)
{
	size_t n = strlen(name);
	int slash = pb->len > 0 && pb->p[pb->len - 1] != '/';

	if (pb->cap - pb->len < n + 2) {
		size_t ncap = pb->cap ? pb->cap : 256;
		char *np;

		while (ncap - pb->len < n + 2)
			ncap *= 2;
		np = cs_realloc(pb->p, ncap);
		if (np == NULL)
			return cs_err_set(err, CS_E_NOMEM,
			    "cannot walk '%s': out of memory", name);
		pb->p = np;
		pb->cap = ncap;
	}
	if (slash)
		pb->p[pb->len++] = '/';
	memcpy(pb->p + pb->len, name, n + 1);
	pb->len += n;
	return 0;
}

/* Directories on the current path, to recognise a symlink loop. */
struct dirid {
	dev_t dev;
	ino_t ino;
};
struct dirstack {
	struct dirid *d;
	size_t n, cap;
};

static int
on_stack(const struct dirstack *s, const struct stat *st)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->d[i].dev == st->st_dev && s->d[i].ino == st->st_ino)
			return 1;
	return 0;
}

static int
push(struct dirstack *s, const struct stat *st, struct cs_err *err)
{
	if (s->n == s->cap) {
		size_t ncap = s->cap ? s->cap * 2 : 16;
		struct dirid *nd = cs_realloc(s->d, ncap * sizeof(*nd));

		if (nd == NULL)
			return cs_err_set(err, CS_E_NOMEM,
			    "cannot walk directories: out of memory");
		s->d = nd;
		s->cap = ncap;
	}
	s->d[s->n].dev = st->st_dev;
	s->d[s->n].ino = st->st_ino;
	s->n++;
	return 0;
}

/* One directory's names, read whole so that no DIR* stays open while we recurse. */
struct names {
	char *buf;
	size_t len, cap;
	size_t *off;
	unsigned char *type; /* d_type */
	size_t n, cap_n;
};

static int
names_add(struct names *nm, const char *name, unsigned char type)
{
	size_t n = strlen(name) + 1;

	if (nm->n == nm->cap_n) {
		size_t ncap = nm->cap_n ? nm->cap_n * 2 : 64;
		size_t *noff = cs_realloc(nm->off, ncap * sizeof(*noff));
		unsigned char *nt;

		if (noff == NULL)
			return CS_E_NOMEM;
		nm->off = noff;
		nt = cs_realloc(nm->type, ncap);
		if (nt == NULL)
			return CS_E_NOMEM;
		nm->type = nt;
		nm->cap_n = ncap;
	}
	if (nm->cap - nm->len < n) {
		size_t ncap = nm->cap ? nm->cap : 1024;
		char *nb;

		while (ncap - nm->len < n)
			ncap *= 2;
		nb = cs_realloc(nm->buf, ncap);
		if (nb == NULL)
			return CS_E_NOMEM;
		nm->buf = nb;
		nm->cap = ncap;
	}
	memcpy(nm->buf + nm->len, name, n);
	nm->off[nm->n] = nm->len;
	nm->type[nm->n] = type;
	nm->n++;
	nm->len += n;
	return 0;
}

static void
names_release(struct names *nm)
{
	cs_free(nm->buf);
	cs_free(nm->off);
	cs_free(nm->type);
}

/* Sorts entry indices by name, strcmp byte order (qsort_r: no global state). */
static int
cmp_name(const void *a, const void *b, void *ctx)
{
	const struct names *nm = ctx;
	const size_t *x = a, *y = b;

	return strcmp(nm->buf + nm->off[*x], nm->buf + nm->off[*y]);
}

/*
 * A receiver's own file in its output directory, never an object: a
 * named temporary file (dcmrecv without O_TMPFILE, as on NFS: an object
 * still arriving, or cut short by a receiver that died) and the
 * commitment index.  Left out of a walk, with a note.
 */
static int
receiver_own(struct inputs *in, const char *dir, const char *name)
{
	char path[PATH_MAX];
	const char *why;

	if (strncmp(name, SINK_TMP_PREFIX, sizeof(SINK_TMP_PREFIX) - 1) == 0)
		why = "a receiver's temporary file, not a whole object";
	else if (strcmp(name, COMMIT_INDEX_NAME) == 0)
		why = "a receiver's commitment index";
	else
		return 0;
	if (snprintf(path, sizeof(path), "%s%s%s", dir,
		dir[0] != '\0' && dir[strlen(dir) - 1] == '/' ? "" : "/",
		name) >= (int)sizeof(path))
		snprintf(path, sizeof(path), "%s", name);
	skipped(in, path, why);
	return 1;
}

static int
read_names(struct inputs *in, const char *dir, struct names *nm, int *opened,
    struct cs_err *err)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int rc = 0;

	*opened = d != NULL;
	if (d == NULL)
		return 0;
	for (;;) {
		errno = 0;
		de = readdir(d);
		if (de == NULL) {
			if (errno != 0)
				rc = cs_err_set(err, CS_E_IO,
				    "cannot read directory '%s': %s", dir,
				    strerror(errno));
			break;
		}
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if ((in->opts.flags & INPUTS_SKIP_DOT) && de->d_name[0] == '.')
			continue;
		if (receiver_own(in, dir, de->d_name))
			continue;
		if (names_add(nm, de->d_name, de->d_type) < 0) {
			rc = cs_err_set(err, CS_E_NOMEM,
			    "cannot walk '%s': out of memory", dir);
			break;
		}
	}
	closedir(d);
	return rc;
}

static int walk_dir(struct inputs *in, struct pathbuf *pb, struct dirstack *stk,
    struct cs_err *err);

/* The entry at pb (inside a walk): a file, a directory, or something to skip. */
static int
walk_entry(struct inputs *in, struct pathbuf *pb, struct dirstack *stk,
    unsigned char d_type, struct cs_err *err)
{
	struct stat st;
	int rc;

	/* d_type saves a stat per file on file systems that fill it in */
	if (d_type == DT_REG)
		return add_len(in, pb->p, pb->len, err);
	if (stat(pb->p, &st) != 0) /* follows links: dangling ones fail */
		return add_len(in, pb->p, pb->len, err);
	/* FIFOs, sockets, devices are entries too: the sender reports them
	 * (infile_open refuses them without blocking) */
	if (!S_ISDIR(st.st_mode))
		return add_len(in, pb->p, pb->len, err);
	if (on_stack(stk, &st)) {
		skipped(
		    in, pb->p, "directory loop (symbolic link to a parent)");
		return 0;
	}
	if ((rc = push(stk, &st, err)) < 0)
		return rc;
	rc = walk_dir(in, pb, stk, err);
	stk->n--;
	return rc;
}

/* Walks the directory at pb, whose dev/ino is already on stk. */
static int
walk_dir(struct inputs *in, struct pathbuf *pb, struct dirstack *stk,
    struct cs_err *err)
{
	struct names nm;
	size_t *order = NULL, i, keep = pb->len;
	int opened, rc;

	memset(&nm, 0, sizeof(nm));
	rc = read_names(in, pb->p, &nm, &opened, err);
	if (rc < 0)
		goto out;
	if (!opened) {
		/* the sender's open() will fail too and say why */
		rc = add_len(in, pb->p, pb->len, err);
		goto out;
	}
	if (nm.n == 0)
		goto out;
	order = cs_malloc(nm.n * sizeof(*order));
	if (order == NULL) {
		rc = cs_err_set(
		    err, CS_E_NOMEM, "cannot walk '%s': out of memory", pb->p);
		goto out;
	}
	for (i = 0; i < nm.n; i++)
		order[i] = i;
	qsort_r(order, nm.n, sizeof(*order), cmp_name, &nm);
	for (i = 0; i < nm.n && rc == 0; i++) {
		const char *name = nm.buf + nm.off[order[i]];
		unsigned char t = nm.type[order[i]];

		rc = pb_append(pb, name, err);
		if (rc == 0)
			rc = walk_entry(in, pb, stk, t, err);
		pb->len = keep;
		pb->p[keep] = '\0';
	}
out:
	cs_free(order);
	names_release(&nm);
	return rc;
}

int
inputs_add_operand(struct inputs *in, const char *operand, struct cs_err *err)
{
	struct pathbuf pb = { NULL, 0, 0 };
	struct dirstack stk = { NULL, 0, 0 };
	struct stat st;
	int rc;

	if (operand == NULL)
		return cs_err_set(err, CS_E_INVAL, "cannot list a null path");
	if (strcmp(operand, "-") == 0) {
		if (in->opts.list == NULL)
			return cs_err_set(err, CS_E_INVAL,
			    "cannot read a list for '-': no input stream");
		return inputs_read_list(in, in->opts.list,
		    (in->opts.flags & INPUTS_NUL_SEP) != 0, err);
	}
	if (stat(operand, &st) != 0 || !S_ISDIR(st.st_mode))
		return inputs_add_path(in, operand, err);
	rc = pb_append(&pb, operand, err);
	if (rc == 0)
		rc = push(&stk, &st, err);
	if (rc == 0)
		rc = walk_dir(in, &pb, &stk, err);
	cs_free(pb.p);
	cs_free(stk.d);
	return rc;
}

int
inputs_read_list(struct inputs *in, FILE *f, int nul_sep, struct cs_err *err)
{
	char *line = NULL;
	size_t cap = 0, lineno = 0;
	ssize_t n;
	int rc = 0;
	struct stat st;

	for (;;) {
		errno = 0;
		n = getdelim(&line, &cap, nul_sep ? '\0' : '\n', f);
		if (n < 0) {
			if (ferror(f))
				rc = cs_err_set(err, CS_E_IO,
				    "cannot read the list of files: %s",
				    errno ? strerror(errno) : "read error");
			else if (errno == ENOMEM)
				rc = cs_err_set(err, CS_E_NOMEM,
				    "cannot read the list of files: out of memory");
			break;
		}
		lineno++;
		if (n > 0 && line[n - 1] == (nul_sep ? '\0' : '\n'))
			line[--n] = '\0';
		if (!nul_sep && n > 0 && line[n - 1] == '\r')
			line[--n] = '\0';
		if (n == 0)
			continue;
		/* a NUL would silently cut the path short */
		if (!nul_sep && memchr(line, '\0', (size_t)n) != NULL) {
			rc = cs_err_set(err, CS_E_INVAL,
			    "cannot read the list of files: line %zu contains "
			    "a NUL byte (NUL-separated lists need -0)",
			    lineno);
			break;
		}
		if (stat(line, &st) == 0 && S_ISDIR(st.st_mode)) {
			skipped(
			    in, line, "is a directory (a list names files)");
			continue;
		}
		if ((rc = add_len(in, line, (size_t)n, err)) < 0)
			break;
	}
	free(line); /* getdelim allocates with malloc */
	return rc;
}
