/* resume.c - the set of paths a previous dcmsend run stored (see resume.h). */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cstore/cstore.h"
#include "core/alloc.h"
#include "core/status.h"
#include "cli/cli.h"
#include "cli/exitcodes.h"
#include "cli/json_str.h"
#include "cli/output.h"
#include "cli/resume.h"
#include "core/strmap.h"
#include "core/ts.h"
#include "dcmfile/infile.h"
#include "dcmfile/part10.h"
#include "dcmfile/xcode.h"

#include "core/banned.h"

struct resume {
	struct strmap set;
	struct resume_stats st;
	char *tmp; /* scratch for unescaping */
	size_t tmp_cap;
	char *norm; /* scratch for normalising */
	size_t norm_cap;
	/* the SOP Instance UID each stored path had (the set's value
	 * indexes this; NULL: no line said it) */
	struct stored_inst {
		char *uid;
		int noted; /* another instance there was said once */
	} * inst;
	size_t n_inst, inst_cap;
	char uid[65];    /* the line being read's, "" when none */
	int need_commit; /* resume_require_commit */
};

struct resume *
resume_new(void)
{
	struct resume *r = cs_calloc(1, sizeof(*r));

	if (r != NULL)
		strmap_init(&r->set);
	return r;
}

void
resume_free(struct resume *r)
{
	if (r == NULL)
		return;
	strmap_release(&r->set);
	for (size_t i = 0; i < r->n_inst; i++)
		cs_free(r->inst[i].uid);
	cs_free(r->inst);
	cs_free(r->tmp);
	cs_free(r->norm);
	cs_free(r);
}

size_t
resume_count(const struct resume *r)
{
	return r->set.count;
}

const struct resume_stats *
resume_stats(const struct resume *r)
{
	return &r->st;
}

/* Success or a Warning (PS3.4 B.2.3): the instance is on the peer. */
static int
dimse_stored(uint16_t v)
{
	return status_is_stored(status_category_of(v));
}

int
resume_status_stored(const char *s, size_t len)
{
	char hex[5];
	uint16_t v;
	size_t i;

	if (len == 4 && isxdigit((unsigned char)s[0]) &&
	    isxdigit((unsigned char)s[1]) && isxdigit((unsigned char)s[2]) &&
	    isxdigit((unsigned char)s[3])) {
		memcpy(hex, s, 4);
		hex[4] = '\0';
		/* four digits are hex to status_parse_code, as we write them */
		return status_parse_code(hex, &v) == 0 && dimse_stored(v);
	}
	if (len == 0 || s[0] < 'a' || s[0] > 'z')
		return -1;
	for (i = 1; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
			(s[i] >= '0' && s[i] <= '9') || s[i] == '-' ||
			s[i] == '_'))
			return -1;
	return len == strlen(RESUME_WORD) && memcmp(s, RESUME_WORD, len) == 0;
}

static int
tmp_reserve(struct resume *r, size_t n)
{
	char *p;

	if (n <= r->tmp_cap)
		return 0;
	p = cs_realloc(r->tmp, n);
	if (p == NULL)
		return CS_E_NOMEM;
	r->tmp = p;
	r->tmp_cap = n;
	return 0;
}

/*
 * Lexical normalisation of p[0..len) into out (at least len + 1 bytes):
 * "//" folded, "." components and a trailing '/' dropped.  Returns the
 * new length.
 */
static size_t
normalise(const char *p, size_t len, char *out)
{
	size_t i = 0, o = 0;
	int abs = len > 0 && p[0] == '/';

	if (abs)
		out[o++] = '/';
	while (i < len) {
		size_t s;

		while (i < len && p[i] == '/')
			i++;
		s = i;
		while (i < len && p[i] != '/')
			i++;
		if (i == s || (i - s == 1 && p[s] == '.'))
			continue;
		if (o > 0 && out[o - 1] != '/')
			out[o++] = '/';
		memcpy(out + o, p + s, i - s);
		o += i - s;
	}
	if (o == 0 && len > 0) /* "." or "./" stays "." */
		out[o++] = '.';
	out[o] = '\0';
	return o;
}

/* Keeps r->uid as the instance stored path k had: the last line that
 * names one wins (a log appended to by later runs). */
static int
set_instance(struct resume *r, size_t k)
{
	char *u;

	if (r->uid[0] == '\0' ||
	    (r->inst[k].uid != NULL && strcmp(r->inst[k].uid, r->uid) == 0))
		return 0;
	if ((u = cs_malloc(strlen(r->uid) + 1)) == NULL)
		return CS_E_NOMEM;
	memcpy(u, r->uid, strlen(r->uid) + 1);
	cs_free(r->inst[k].uid);
	r->inst[k].uid = u;
	return 0;
}

static int
add_path(struct resume *r, const char *path, size_t len)
{
	size_t n, k = r->n_inst;
	int rc;

	if (len + 2 > r->norm_cap) {
		char *p = cs_realloc(r->norm, len + 2);

		if (p == NULL)
			return CS_E_NOMEM;
		r->norm = p;
		r->norm_cap = len + 2;
	}
	n = normalise(path, len, r->norm);
	if (r->n_inst == r->inst_cap) {
		size_t cap = r->inst_cap ? r->inst_cap * 2 : 256;
		struct stored_inst *p = cs_realloc(r->inst, cap * sizeof(*p));

		if (p == NULL)
			return CS_E_NOMEM;
		r->inst = p;
		r->inst_cap = cap;
	}
	rc = strmap_put(&r->set, r->norm, n, &k);
	if (rc < 0)
		return rc;
	if (rc == 1)
		r->inst[r->n_inst++] = (struct stored_inst){ NULL, 0 };
	return set_instance(r, k);
}

/* 1 and *k, the index of path's instance, when the set has path */
static int
lookup(const struct resume *r, const char *path, size_t *k)
{
	char small[1024], *norm = small;
	size_t len = strlen(path), n;
	int found;

	if (len + 2 > sizeof(small) && (norm = cs_malloc(len + 2)) == NULL)
		return 0; /* out of memory: the file is sent again, never lost */
	n = normalise(path, len, norm);
	found = strmap_get(&r->set, norm, n, k);
	if (norm != small)
		cs_free(norm);
	return found;
}

int
resume_has(const struct resume *r, const char *path)
{
	size_t k;

	return lookup(r, path, &k);
}

const char *
resume_instance(const struct resume *r, const char *path)
{
	size_t k;

	return lookup(r, path, &k) && k < r->n_inst ? r->inst[k].uid : NULL;
}

/* 1 when was is the instance uid, or the UID --lossy gives uid's lossy
 * copy in a syntax cstore may write (xcode_derived_uid: the log of a
 * --lossy run names the copy, the file keeps its own UID) */
static int
same_instance(const char *uid, const char *was)
{
	char derived[DCMFILE_UID_MAX + 1];
	struct cs_err err = { 0, "" };
	size_t i;

	if (strcmp(uid, was) == 0)
		return 1;
	if (uid[0] == '\0' || strncmp(was, "2.25.", 5) != 0)
		return 0;
	for (i = 0; i < ts_table_len; i++) {
		const struct ts_entry *t = &ts_table[i];

		if ((t->flags & (TS_F_LOSSY | TS_F_WRITE)) !=
		    (TS_F_LOSSY | TS_F_WRITE))
			continue;
		if (xcode_derived_uid(
			uid, t->uid, derived, sizeof(derived), &err) == 0 &&
		    strcmp(derived, was) == 0)
			return 1;
	}
	return 0;
}

int
resume_skips(struct resume *r, const char *path, int quiet)
{
	struct part10_info info;
	struct cs_err err = { 0, "" };
	const char *was;
	size_t k;
	int fd, rc;

	if (!lookup(r, path, &k))
		return 0;
	if (k >= r->n_inst || (was = r->inst[k].uid) == NULL)
		return 1; /* the log names no instance */
	if ((fd = infile_open(path, &err)) < 0)
		return 1; /* gone (--remove-sent) or unreadable: as logged */
	rc = part10_probe_fd(fd, 0, &info, &err);
	close(fd);
	if (rc == 0 && same_instance(info.sop_instance, was))
		return 1;
	if (!quiet && !r->inst[k].noted++)
		fprintf(stderr,
		    "%s: '%s' is not what the resume log has stored under "
		    "its name (%s%s%s): sent\n",
		    cli_progname(), path, rc == 0 ? "SOP Instance UID " : "",
		    rc == 0 ? info.sop_instance : "not read: ",
		    rc == 0 ? ", not the log's" : err.msg);
	return 0;
}

/* A SOP Instance UID as we write it (PS3.5 9.1: digits and dots, 64
 * at most) into r->uid, else "" */
static void
keep_uid(struct resume *r, const char *s, size_t len)
{
	size_t i;

	r->uid[0] = '\0';
	if (len == 0 || len >= sizeof(r->uid))
		return;
	for (i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || s[i] == '.'))
			return;
	memcpy(r->uid, s, len);
	r->uid[len] = '\0';
}

/* Undoes cli_tsv_field into r->tmp; returns the length or CS_E_INVAL. */
static long
unescape(struct resume *r, const char *s, size_t len)
{
	long n;

	if (tmp_reserve(r, len + 1) < 0)
		return CS_E_NOMEM;
	n = cli_tsv_unescape(r->tmp, s, len);
	return n < 0 ? CS_E_INVAL : n;
}

void
resume_require_commit(struct resume *r)
{
	r->need_commit = 1;
}

#define COMMITTED_WORD "committed"

/* Whether the TSV line's DETAIL (the fifth field) begins with the word
 * "committed" (dcmsend --commit). */
static int
tsv_committed(const char *line, size_t len)
{
	const char *p = line, *end = line + len;
	size_t w = strlen(COMMITTED_WORD);
	int tabs = 0;

	while (tabs < 4 && (p = memchr(p, '\t', (size_t)(end - p))) != NULL) {
		p++;
		tabs++;
	}
	if (tabs < 4 || (size_t)(end - p) < w || memcmp(p, COMMITTED_WORD, w))
		return 0;
	return p + w == end || p[w] == ';' || p[w] == '\t';
}

/* The fourth field (SOP Instance UID) of the TSV line whose third
 * begins at p, into r->uid ("" when cut short before its tab) */
static void
tsv_uid(struct resume *r, const char *p, const char *end)
{
	const char *t3 = memchr(p, '\t', (size_t)(end - p)), *t4;

	r->uid[0] = '\0';
	if (t3 == NULL)
		return;
	t3++;
	t4 = memchr(t3, '\t', (size_t)(end - t3));
	if (t4 != NULL)
		keep_uid(r, t3, (size_t)(t4 - t3));
}

/* 1 stored (path set), 0 not stored, CS_E_INVAL unparseable. */
static int
parse_tsv(struct resume *r, const char *line, size_t len, const char **path,
    size_t *plen)
{
	const char *t1 = memchr(line, '\t', len), *t2;
	long n;
	int st;

	if (t1 == NULL)
		return CS_E_INVAL;
	st = resume_status_stored(line, (size_t)(t1 - line));
	if (st < 0)
		return CS_E_INVAL;
	if (st == 1 && r->need_commit && !tsv_committed(line, len))
		st = 0;
	t1++;
	t2 = memchr(t1, '\t', len - (size_t)(t1 - line));
	/*
	 * The path must be followed by a tab (we always write 5 fields):
	 * the last line of a killed run may be cut inside the path, and
	 * "dir/img1" cut from "dir/img10.dcm" could name another input.
	 */
	if (t2 == NULL || t2 == t1)
		return CS_E_INVAL; /* no path */
	tsv_uid(r, t2 + 1, line + len);
	n = unescape(r, t1, (size_t)(t2 - t1));
	if (n < 0)
		return (int)n;
	/* a NUL cannot be part of a path: \0 is not an escape we write */
	*path = r->tmp;
	*plen = (size_t)n;
	return st;
}

/* Whether a JSON line says "commit": "committed". */
static int
json_committed(struct json_object *obj)
{
	struct json_object *jc;

	return json_object_object_get_ex(obj, "commit", &jc) &&
	    json_object_is_type(jc, json_type_string) &&
	    strcmp(json_object_get_string(jc), COMMITTED_WORD) == 0;
}

/* A JSON line's "sop_instance_uid" into r->uid, "" when none */
static void
json_uid(struct resume *r, struct json_object *obj)
{
	struct json_object *ju;

	r->uid[0] = '\0';
	if (json_object_object_get_ex(obj, "sop_instance_uid", &ju) &&
	    json_object_is_type(ju, json_type_string))
		keep_uid(r, json_object_get_string(ju),
		    (size_t)json_object_get_string_len(ju));
}

static int
parse_json(struct resume *r, const char *line, size_t len, const char **path,
    size_t *plen)
{
	struct json_tokener *tok;
	struct json_object *obj, *jp, *js;
	const char *s;
	char *raw;
	int st = CS_E_INVAL;

	if (len > INT32_MAX)
		return CS_E_INVAL;
	/* a path's bytes that are not UTF-8 came as \udcXX (json_str.h) */
	raw = cli_json_unescape_bytes(line, len, &len);
	if (raw == NULL)
		return CS_E_NOMEM;
	line = raw;
	tok = json_tokener_new();
	if (tok == NULL) {
		free(raw);
		return CS_E_NOMEM;
	}
	obj = json_tokener_parse_ex(tok, line, (int)len);
	/* a prefix that parses but leaves bytes behind is not one object */
	if (obj != NULL &&
	    json_tokener_get_error(tok) == json_tokener_success &&
	    json_object_is_type(obj, json_type_object) &&
	    json_object_object_get_ex(obj, "path", &jp) &&
	    json_object_is_type(jp, json_type_string) &&
	    json_object_object_get_ex(obj, "status", &js)) {
		size_t rest = len - json_tokener_get_parse_end(tok);
		const char *tail = line + json_tokener_get_parse_end(tok);

		while (rest > 0 &&
		    (*tail == ' ' || *tail == '\t' || *tail == '\r'))
			tail++, rest--;
		if (rest == 0 && json_object_is_type(js, json_type_string)) {
			s = json_object_get_string(js);
			st = resume_status_stored(
			    s, (size_t)json_object_get_string_len(js));
			if (st < 0)
				st = CS_E_INVAL;
		} else if (rest == 0 &&
		    json_object_is_type(js, json_type_int)) {
			int64_t v = json_object_get_int64(js);

			st = v >= 0 && v <= 0xffff ? dimse_stored((uint16_t)v)
						   : CS_E_INVAL;
		}
		if (st == 1 && r->need_commit && !json_committed(obj))
			st = 0;
		json_uid(r, obj);
		if (st >= 0) {
			size_t n = (size_t)json_object_get_string_len(jp);

			if (n == 0 ||
			    memchr(json_object_get_string(jp), '\0', n) !=
				NULL) {
				st =
				    CS_E_INVAL; /* "\u0000" in a path: not ours */
			} else if (tmp_reserve(r, n + 1) < 0) {
				st = CS_E_NOMEM;
			} else {
				memcpy(
				    r->tmp, json_object_get_string(jp), n + 1);
				*path = r->tmp;
				*plen = n;
			}
		}
	}
	json_object_put(obj);
	json_tokener_free(tok);
	free(raw);
	return st;
}

int
resume_add_line(struct resume *r, const char *line, size_t len)
{
	const char *path = NULL;
	size_t plen = 0, i = 0;
	int st;

	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	if (i == len)
		return 0; /* blank */
	r->st.lines++;
	if (len > RESUME_MAX_LINE || memchr(line, '\0', len) != NULL)
		st = CS_E_INVAL;
	else if (line[i] == '{')
		st = parse_json(r, line + i, len - i, &path, &plen);
	else
		st = parse_tsv(r, line, len, &path, &plen);
	if (st == CS_E_NOMEM)
		return st;
	if (st < 0) {
		r->st.unparseable++;
		return CS_E_INVAL;
	}
	if (st == 0) {
		r->st.not_stored++;
		return 0;
	}
	if ((st = add_path(r, path, plen)) < 0)
		return st;
	r->st.stored++;
	return 1;
}

int
resume_load(struct resume *r, FILE *f, const char *name, struct cs_err *err)
{
	char *line = NULL;
	size_t cap = 0, lineno = 0;
	ssize_t n;
	int rc = 0, st;

	if (name == NULL)
		name = "-";
	for (;;) {
		errno = 0;
		n = getline(&line, &cap, f);
		if (n < 0) {
			if (ferror(f))
				rc = cs_err_set(err, CS_E_IO,
				    "cannot read '%s': %s", name,
				    errno ? strerror(errno) : "read error");
			else if (errno == ENOMEM)
				rc = cs_err_set(err, CS_E_NOMEM,
				    "cannot read '%s': out of memory", name);
			break;
		}
		lineno++;
		st = resume_add_line(r, line, (size_t)n);
		if (st == CS_E_NOMEM) {
			rc = cs_err_set(err, CS_E_NOMEM,
			    "cannot read '%s': out of memory", name);
			break;
		}
		if (st != CS_E_INVAL || line[n - 1] != '\n')
			continue;
		if (r->st.junk++ == 0)
			r->st.first_junk = lineno;
		if (strncmp(line, "dcmsend: ", 9) != 0 && r->st.foreign++ == 0)
			r->st.first_foreign = lineno;
	}
	free(line); /* getline allocates with malloc */
	return rc;
}

int
resume_load_path(struct resume *r, const char *path, struct cs_err *err)
{
	FILE *f = fopen(path, "r");
	int rc;

	if (f == NULL)
		return cs_err_set(err, CS_E_IO,
		    "cannot read the resume log '%s': %s", path,
		    strerror(errno));
	rc = resume_load(r, f, path, err);
	fclose(f);
	return rc;
}

/*
 * A log with lines but no result line is the wrong file (a list of
 * paths, a DICOM file, another tool's stderr): resuming from it would
 * skip nothing and say nothing.  Our own messages alone are a run
 * killed before any result (2>&1): no results yet.  Junk beside result
 * lines (a stray message) is a warning.
 */
static int
junk_check(
    const struct resume *r, const char *log, int quiet, struct cs_err *err)
{
	const struct resume_stats *st = &r->st;

	if (st->junk == 0)
		return 0;
	if (st->stored + st->not_stored == 0 && st->foreign == 0)
		return 0;
	if (st->stored + st->not_stored == 0)
		return cs_err_set(err, CS_E_IO,
		    "'%s' is not a dcmsend output (TSV or JSON lines): "
		    "line %zu is no result line",
		    log, st->first_foreign);
	if (!quiet)
		fprintf(stderr,
		    "%s: warning: the resume log '%s': line %zu is no result "
		    "line of dcmsend (%zu such lines ignored)\n",
		    cli_progname(), log, st->first_junk, st->junk);
	return 0;
}

int
resume_open(const char *log, int commit, int quiet, struct resume **out)
{
	struct cs_err err = { 0, "" };
	int rc;

	*out = NULL;
	if (log == NULL)
		return 0;
	*out = resume_new();
	if (*out != NULL && commit)
		resume_require_commit(*out); /* committed ones only */
	rc = *out == NULL ? cs_err_set(&err, CS_E_NOMEM, "out of memory")
			  : resume_load_path(*out, log, &err);
	if (rc == 0)
		rc = junk_check(*out, log, quiet, &err);
	if (rc == 0)
		return 0;
	/* an error, said even under -q (dcmsend(1): errors are printed) */
	fprintf(stderr, "%s: %s\n", cli_progname(), err.msg);
	return rc == CS_E_IO ? EXIT_USAGE : cli_exit_for(rc);
}
