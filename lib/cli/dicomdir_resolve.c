/*
 * dicomdir_resolve.c - a referenced file's path on a file system whose
 * case may differ from the medium's (see dicomdir_inputs.h, dd_resolve).
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cstore/cstore.h"
#include "cli/dicomdir_inputs.h"

#include "core/banned.h"

static int
by_name(const void *a, const void *b)
{
	return strcasecmp(*(const char *const *)a, *(const char *const *)b);
}

void
dd_resolver_init(struct dd_resolver *rs)
{
	memset(rs, 0, sizeof(*rs));
}

static void
listing_release(struct dd_listing *l)
{
	free(l->dir);
	free(l->arena);
	free(l->names);
	memset(l, 0, sizeof(*l));
}

void
dd_resolver_release(struct dd_resolver *rs)
{
	for (unsigned i = 0; i < DD_CACHE; i++)
		listing_release(&rs->cache[i]);
}

/* Reads dir's names into l, sorted; 0, 1 (cannot list it, or more than
 * DD_DIR_MAX names) or CS_E_NOMEM. */
static int
list_dir(struct dd_listing *l, const char *dir)
{
	DIR *d = opendir(dir[0] != '\0' ? dir : ".");
	size_t len = 0, cap = 0, n = 0, i, pos;
	struct dirent *de;
	int rc = 0;

	if (d == NULL)
		return 1;
	while (rc == 0 && (de = readdir(d)) != NULL) {
		size_t k = strlen(de->d_name) + 1;

		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (++n > DD_DIR_MAX) {
			rc = 1;
			break;
		}
		if (cap - len < k) {
			size_t ncap = cap ? cap * 2 : 4096;
			char *na;

			while (ncap - len < k)
				ncap *= 2;
			if ((na = realloc(l->arena, ncap)) == NULL) {
				rc = CS_E_NOMEM;
				break;
			}
			l->arena = na;
			cap = ncap;
		}
		memcpy(l->arena + len, de->d_name, k);
		len += k;
	}
	closedir(d);
	if (rc == 0 &&
	    (l->names = calloc(n ? n : 1, sizeof(*l->names))) == NULL)
		rc = CS_E_NOMEM;
	if (rc == 0 && (l->dir = strdup(dir)) == NULL)
		rc = CS_E_NOMEM;
	if (rc != 0) {
		listing_release(l);
		return rc;
	}
	for (i = 0, pos = 0; i < n; i++) {
		l->names[i] = l->arena + pos;
		pos += strlen(l->arena + pos) + 1;
	}
	l->n = n;
	qsort(l->names, n, sizeof(*l->names), by_name);
	return 0;
}

/* The listing of dir, from the cache or read now; NULL with *rc set. */
static const struct dd_listing *
listing(struct dd_resolver *rs, const char *dir, int *rc)
{
	struct dd_listing *l;
	unsigned i;

	for (i = 0; i < DD_CACHE; i++)
		if (rs->cache[i].dir != NULL &&
		    strcmp(rs->cache[i].dir, dir) == 0)
			return &rs->cache[i];
	l = &rs->cache[rs->next];
	rs->next = (rs->next + 1) % DD_CACHE;
	listing_release(l);
	*rc = list_dir(l, dir);
	return *rc == 0 ? l : NULL;
}

/* The one name of l equal to name without regard to case: its index,
 * -1 for none, -2 for several. */
static long
match(const struct dd_listing *l, const char *name)
{
	size_t lo = 0, hi = l->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcasecmp(l->names[mid], name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == l->n || strcasecmp(l->names[lo], name) != 0)
		return -1;
	if (lo + 1 < l->n && strcasecmp(l->names[lo + 1], name) == 0)
		return -2;
	return (long)lo;
}

/* prefix+rel into a new string. */
static char *
join(const char *prefix, const char *rel)
{
	size_t a = strlen(prefix), b = strlen(rel);
	char *p = malloc(a + b + 1);

	if (p != NULL) {
		memcpy(p, prefix, a);
		memcpy(p + a, rel, b + 1);
	}
	return p;
}

/*
 * Component by component from prefix into buf (room for prefix+rel:
 * names matched without regard to case are as long as the ones they
 * match), each taken as spelled when it exists.
 */
static int
fold_path(
    struct dd_resolver *rs, const char *prefix, const char *rel, char *buf)
{
	size_t len = strlen(prefix);
	const char *c = rel;
	struct stat st;
	int rc = 0;

	memcpy(buf, prefix, len + 1);
	while (*c != '\0') {
		const char *slash = strchr(c, '/');
		size_t k = slash != NULL ? (size_t)(slash - c) : strlen(c);
		const struct dd_listing *l;
		char name[256];
		long at;

		if (k >= sizeof(name))
			return DD_MISSING;
		memcpy(name, c, k);
		name[k] = '\0';
		memcpy(buf + len, name, k + 1);
		if (stat(buf, &st) != 0) {
			buf[len] = '\0';
			if ((l = listing(rs, buf, &rc)) == NULL)
				return rc == CS_E_NOMEM ? rc : DD_MISSING;
			if ((at = match(l, name)) < 0)
				return at == -1 ? DD_MISSING : DD_AMBIGUOUS;
			memcpy(buf + len, l->names[at], k + 1);
		}
		len += k;
		c += k;
		if (*c == '/') {
			buf[len++] = '/';
			buf[len] = '\0';
			c++;
		}
	}
	return DD_FOLDED;
}

int
dd_resolve(
    struct dd_resolver *rs, const char *prefix, const char *rel, char **out)
{
	struct stat st;
	char *buf;
	int rc;

	if ((*out = join(prefix, rel)) == NULL)
		return CS_E_NOMEM;
	if (stat(*out, &st) == 0 || (errno != ENOENT && errno != ENOTDIR))
		return DD_EXACT;
	if ((buf = malloc(strlen(*out) + 1)) == NULL) {
		free(*out);
		*out = NULL;
		return CS_E_NOMEM;
	}
	rc = fold_path(rs, prefix, rel, buf);
	if (rc == DD_FOLDED) {
		free(*out);
		*out = buf;
	} else {
		free(buf);
		if (rc == CS_E_NOMEM) {
			free(*out);
			*out = NULL;
		}
	}
	return rc;
}
