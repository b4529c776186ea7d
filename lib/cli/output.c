/* output.c - result lines from one field list (see output.h). */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cstore/cstore.h"
#include "cli/cli.h"
#include "cli/json_str.h"
#include "cli/output.h"
#include "net/net.h"

#include "core/banned.h"

void
cli_out_init(struct cli_out *o, FILE *f, enum cli_format fmt, unsigned flags)
{
	o->f = f;
	o->fmt = fmt;
	o->flags = flags;
}

static json_object *json_record(const struct cli_field *f, size_t n);

static json_object *
json_value(const struct cli_field *f)
{
	json_object *a;
	char num[64];
	size_t k;

	switch (f->type) {
	case CLI_STR:
		return f->s != NULL ? cli_json_string(f->s) : NULL;
	case CLI_INT:
		return json_object_new_int64(f->i);
	case CLI_BOOL:
		return json_object_new_boolean(f->i != 0);
	case CLI_NUM:
		snprintf(num, sizeof(num), "%.*f", f->prec, f->d);
		return json_object_new_double_s(f->d, num);
	case CLI_STRS:
		a = json_object_new_array();
		for (k = 0; a != NULL && k < f->n; k++)
			json_object_array_add(a, cli_json_string(f->sv[k]));
		return a;
	case CLI_RECS:
		a = json_object_new_array();
		for (k = 0; a != NULL && k < f->n; k++)
			json_object_array_add(
			    a, json_record(f->rv[k].f, f->rv[k].n));
		return a;
	}
	return NULL;
}

static json_object *
json_record(const struct cli_field *f, size_t n)
{
	json_object *o = json_object_new_object();
	size_t k;

	for (k = 0; o != NULL && k < n; k++)
		if (f[k].name != NULL)
			json_object_object_add(o, f[k].name, json_value(&f[k]));
	return o;
}

static int
write_json(const struct cli_out *o, const struct cli_field *f, size_t n)
{
	int flags = JSON_C_TO_STRING_PLAIN;
	json_object *j = json_record(f, n);

	if (j == NULL)
		return -1;
	if (!(o->flags & CLI_OUT_SLASH))
		flags |= JSON_C_TO_STRING_NOSLASHESCAPE;
	fputs(json_object_to_json_string_ext(j, flags), o->f);
	fputc('\n', o->f);
	json_object_put(j);
	return 0;
}

/* One field's TSV text (escaped). */
static void
tsv_value(FILE *out, const struct cli_field *f)
{
	char num[64];
	size_t k;

	switch (f->type) {
	case CLI_STR:
		cli_tsv_field(out, f->s);
		break;
	case CLI_INT:
	case CLI_BOOL:
		fprintf(out, "%lld", (long long)f->i);
		break;
	case CLI_NUM:
		snprintf(num, sizeof(num), "%.*f", f->prec, f->d);
		fputs(num, out);
		break;
	case CLI_STRS:
		for (k = 0; k < f->n; k++) {
			if (k > 0)
				fputc(',', out);
			cli_tsv_field(out, f->sv[k]);
		}
		break;
	case CLI_RECS:
		break;
	}
}

static void
write_tsv(const struct cli_out *o, const struct cli_field *f, size_t n)
{
	int col, last = 0;
	size_t k;

	for (k = 0; k < n; k++)
		if (f[k].tsv > last)
			last = f[k].tsv;
	for (col = 1; col <= last; col++) {
		if (col > 1)
			fputc('\t', o->f);
		for (k = 0; k < n; k++)
			if (f[k].tsv == col) {
				tsv_value(o->f, &f[k]);
				break;
			}
	}
	fputc('\n', o->f);
}

int
cli_out_write(const struct cli_out *o, const struct cli_field *f, size_t n)
{
	if (o->fmt == CLI_JSON) {
		if (write_json(o, f, n) != 0)
			return -1;
	} else {
		write_tsv(o, f, n);
	}
	fflush(o->f);
	return 0;
}

int
cli_out_ready(FILE *f, unsigned timeout_ms)
{
	struct pollfd p = { .fd = fileno(f), .events = POLLOUT };
	int ms = timeout_ms > INT_MAX ? INT_MAX : (int)timeout_ms;
	int rc;

	do
		rc = poll(&p, 1, ms);
	while (rc < 0 && errno == EINTR);
	return rc == 0 ? -1 : 0;
}

int
cli_out_wait(FILE *f, const volatile sig_atomic_t *stop, unsigned note_ms)
{
	struct pollfd p = { .fd = fileno(f), .events = POLLOUT };
	uint64_t t0 = 0, now;
	int rc;

	/* slices, so that a stop asked meanwhile is seen within one; a
	 * line that can go still goes after the stop (--grace) */
	for (;;) {
		rc = poll(&p, 1, *stop ? 0 : 100);
		if (rc != 0 && !(rc < 0 && errno == EINTR))
			return 0;
		if (*stop)
			return -1;
		/* the clock only once the first slice has passed */
		now = net_now_ms();
		if (t0 == 0)
			t0 = now - 100;
		if (note_ms > 0 && now - t0 >= note_ms) {
			if (cli_out_ready(stderr, 0) == 0)
				fprintf(stderr,
				    "%s: standard output has taken nothing for %llu s: waiting for its reader (SIGTERM stops)\n",
				    cli_progname(),
				    (unsigned long long)(now - t0) / 1000);
			note_ms = 0;
		}
	}
}

void
cli_out_append(FILE *out, const char *s)
{
	fputc('\t', out);
	cli_tsv_field(out, s);
}

char *
cli_trim(char *s)
{
	size_t n;

	while (*s == ' ' || *s == '\t')
		s++;
	n = strlen(s);
	while (
	    n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		s[--n] = '\0';
	return s;
}

/* Field n (1-based) of the len bytes of line: its start and length, or
 * -1 when the line has fewer (*nf: how many it has). */
static long
nth_field(const char *line, size_t len, long n, const char **start, long *nf)
{
	const char *p = line, *end = line + len, *tab;
	long i = 1, flen = -1;

	for (;; i++) {
		tab = memchr(p, '\t', (size_t)(end - p));
		if (i == n) {
			*start = p;
			flen = (tab != NULL ? tab : end) - p;
		}
		if (tab == NULL)
			break;
		p = tab + 1;
	}
	*nf = i;
	return flen;
}

/* Bytes of a UTF-8 byte order mark opening line 1 (Windows editors
 * write one), which belong to no field: 3 or 0. */
static size_t
bom_len(const char *line, size_t len, size_t lineno)
{
	return lineno == 1 && len >= 3 && memcmp(line, "\xef\xbb\xbf", 3) == 0
	    ? 3
	    : 0;
}

/* A read error on in is no end of input: the rest is missing. */
static void
check_read(FILE *in, char *line)
{
	int e = errno;

	if (!ferror(in))
		return;
	free(line);
	fprintf(stderr, "%s: cannot read standard input: %s\n", cli_progname(),
	    strerror(e));
	exit(EXIT_USAGE);
}

/* A NUL inside a line read from stdin: named, so that nothing is cut
 * there silently (C strings would end at it). */
static int
has_nul(const char *line, long len, size_t lineno)
{
	const char *z = memchr(line, '\0', (size_t)len);

	if (z == NULL)
		return 0;
	fprintf(stderr,
	    "%s: line %zu: a NUL byte at column %zu: not a text line\n",
	    cli_progname(), lineno, (size_t)(z - line) + 1);
	return 1;
}

int
cli_filter(FILE *in, FILE *out, long field, cli_filter_fn fn, void *ctx)
{
	char *line = NULL, *value = NULL;
	const char *start = NULL;
	size_t cap = 0, lineno = 0, skip;
	int rc = 0, r;
	long len, flen, nf;

	while ((len = cli_read_record(in, &line, &cap, 0)) >= 0) {
		lineno++;
		/* cli_read_record drops one CR; a second one goes too */
		if (len > 0 && line[len - 1] == '\r')
			line[--len] = '\0';
		skip = bom_len(line, (size_t)len, lineno);
		flen = nth_field(
		    line + skip, (size_t)len - skip, field, &start, &nf);
		free(value);
		value = NULL;
		if (flen < 0)
			fprintf(stderr,
			    "%s: line %zu: no field %ld (%ld fields)\n",
			    cli_progname(), lineno, field, nf);
		else if (memchr(start, '\0', (size_t)flen) != NULL)
			/* not text: the bytes before it are no value */
			fprintf(stderr,
			    "%s: line %zu: field %ld holds a NUL byte\n",
			    cli_progname(), lineno, field);
		else if ((value = strndup(start, (size_t)flen)) == NULL) {
			fprintf(stderr, "%s: out of memory\n", cli_progname());
			exit(EXIT_INTERNAL);
		}
		/* the line goes back as read, every byte (NULs too) */
		fwrite(line, 1, (size_t)len, out);
		r = fn(ctx, value, lineno, out);
		fputc('\n', out);
		if (r > rc)
			rc = r;
	}
	free(value);
	check_read(in, line);
	free(line);
	return rc;
}

int
cli_each_query(int argc, char *const *argv, const char *what, cli_query_fn fn,
    void *ctx, int bad_rc)
{
	char *line = NULL, *q;
	size_t cap = 0, nq = 0, lineno = 0;
	int i, r, rc = 0;
	long len;

	for (i = 0; i < argc; i++) {
		/* as on stdin lines: " CTImageStorage" is no word search */
		if ((q = strdup(argv[i])) == NULL) {
			fprintf(stderr, "%s: out of memory\n", cli_progname());
			exit(EXIT_INTERNAL);
		}
		r = fn(ctx, cli_trim(q));
		free(q);
		if (r > rc)
			rc = r;
	}
	if (argc > 0)
		return rc;
	while ((len = cli_read_record(stdin, &line, &cap, 0)) >= 0) {
		lineno++;
		if (has_nul(line, len, lineno)) {
			/* not text: what precedes the NUL is not the query */
			nq++;
			rc = bad_rc > rc ? bad_rc : rc;
			continue;
		}
		q = cli_trim(line + bom_len(line, (size_t)len, lineno));
		if (*q == '\0')
			continue;
		nq++;
		r = fn(ctx, q);
		if (r > rc)
			rc = r;
	}
	check_read(stdin, line);
	free(line);
	if (nq == 0)
		cli_usage_error("no %s given and none on standard input", what);
	return rc;
}

void
cli_usage_lines(FILE *f, const char *const *synopsis)
{
	size_t k;

	for (k = 0; synopsis[k] != NULL; k++)
		fprintf(f, "%s%s %s\n", k == 0 ? "Usage: " : "       ",
		    cli_progname(), synopsis[k]);
}

void
cli_usage_exit(const char *const *synopsis)
{
	cli_usage_lines(stderr, synopsis);
	cli_help_hint();
	exit(EXIT_USAGE);
}

void
cli_help(const char *const *synopsis, const char *fmt, ...)
{
	va_list ap;

	cli_usage_lines(stdout, synopsis);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	/* a help that did not arrive is no success (tool --help >/dev/full) */
	exit(cli_flush_stdout("the help") != 0 ? EXIT_OUTPUT : EXIT_OK);
}

void
cli_other_option(int c, void (*help)(void))
{
	if (c == 'h')
		help();
	if (c == 'V')
		cli_print_version();
	cli_help_hint();
	exit(EXIT_USAGE);
}

int
cli_flush_stdout(const char *what)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "%s: cannot write %s: %s\n", cli_progname(),
		    what, strerror(errno));
		return EXIT_OUTPUT;
	}
	return 0;
}

int
cli_exit_for(int rc)
{
	switch (rc) {
	case 0:
		return EXIT_OK;
	case CS_E_UNREACHABLE:
	case CS_E_NONAME:
	case CS_E_TIMEOUT:
	case CS_E_TLS:
		return EXIT_UNREACHABLE;
	case CS_E_REJECTED:
		return EXIT_REJECTED;
	case CS_E_ABORTED:
	case CS_E_CLOSED:
	case CS_E_PROTO:
	case CS_E_NET:
		return EXIT_ABORTED;
	case CS_E_INVAL:
		return EXIT_USAGE;
	case CS_E_RESOURCE: /* no socket: a local failure, as dcmrecv's */
		return EXIT_OUTPUT;
	default:
		return EXIT_INTERNAL;
	}
}

long
cli_tsv_unescape(char *dst, const char *s, size_t len)
{
	size_t i, o = 0;

	for (i = 0; i < len; i++) {
		if (s[i] != '\\') {
			dst[o++] = s[i];
			continue;
		}
		if (++i == len)
			return -1;
		switch (s[i]) {
		case 't':
			dst[o++] = '\t';
			break;
		case 'n':
			dst[o++] = '\n';
			break;
		case 'r':
			dst[o++] = '\r';
			break;
		case '\\':
			dst[o++] = '\\';
			break;
		default:
			return -1;
		}
	}
	dst[o] = '\0';
	return (long)o;
}
