/*
 * fuzz_resume.c - the reader of dcmsend --resume logs (lib/cli/resume.h)
 * on hostile bytes, and the promise it keeps to the sender: a file the
 * log records stored is skipped, any other is sent.
 *
 * Input: one control byte, then text.
 *   1. The text, line by line, goes to resume_add_line: the answer is 1,
 *      0 or CS_E_INVAL, and the counters add up.
 *   2. The text up to its first NUL or newline, when not empty, is a
 *      path P.  A result line for P as dcmsend writes it (TSV with
 *      cli_tsv_field; JSON with cli_json_string, with and without
 *      escaped slashes, control bit 0) must record P stored when the
 *      status is 0000 or B000 and not stored when it is A700.
 *   3. Another path Q (P with its byte at (control >> 1) % len changed
 *      to '/', '.', '\\' or 'x', control bits 5-6) is then held exactly
 *      when Q and P are the same after the documented lexical
 *      normalisation ("//" folded, "." components and a trailing '/'
 *      dropped), computed here independently: a file never sent must
 *      never be skipped.
 * abort() on any violation.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cstore/cstore.h"
#include "cli/cli.h"
#include "cli/json_str.h"
#include "cli/resume.h"

#include "check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The normalised form of s, by components: a new string. */
static char *
norm(const char *s)
{
	size_t len = strlen(s), i = 0, o = 0;
	char *out = malloc(len + 2);

	CHECK(out != NULL);
	if (s[0] == '/')
		out[o++] = '/';
	while (i < len) {
		size_t start, n;

		while (s[i] == '/')
			i++;
		start = i;
		while (s[i] != '\0' && s[i] != '/')
			i++;
		n = i - start;
		if (n == 0 || (n == 1 && s[start] == '.'))
			continue;
		if (o > 0 && out[o - 1] != '/')
			out[o++] = '/';
		memcpy(out + o, s + start, n);
		o += n;
	}
	if (o == 0)
		out[o++] = '.';
	out[o] = '\0';
	return out;
}

static void
feed_lines(const char *text, size_t size)
{
	struct resume *r = resume_new();
	const struct resume_stats *st;
	size_t i = 0, stored = 0, not_stored = 0, bad = 0;

	CHECK(r != NULL);
	while (i < size) {
		const char *nl = memchr(text + i, '\n', size - i);
		size_t n =
		    nl != NULL ? (size_t)(nl - (text + i)) + 1 : size - i;
		int rc = resume_add_line(r, text + i, n);

		CHECK(rc == 0 || rc == 1 || rc == CS_E_INVAL);
		stored += rc == 1;
		bad += rc == CS_E_INVAL;
		not_stored += rc == 0;
		i += n;
	}
	st = resume_stats(r);
	CHECK(st->stored == stored && st->unparseable == bad);
	CHECK(st->lines == st->stored + st->not_stored + st->unparseable);
	CHECK(st->not_stored <= not_stored);
	CHECK(resume_count(r) <= stored);
	resume_free(r);
}

/* One result line for path with status, as dcmsend writes it. */
static char *
result_line(const char *status, const char *path, int json, int slash)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	CHECK(f != NULL);
	if (json) {
		json_object *o = json_object_new_object();
		int flags = JSON_C_TO_STRING_PLAIN;

		CHECK(o != NULL);
		json_object_object_add(
		    o, "status", json_object_new_string(status));
		json_object_object_add(o, "path", cli_json_string(path));
		json_object_object_add(
		    o, "sop_class", json_object_new_string("1.2.3"));
		if (!slash)
			flags |= JSON_C_TO_STRING_NOSLASHESCAPE;
		fputs(json_object_to_json_string_ext(o, flags), f);
		json_object_put(o);
	} else {
		const char *fields[5] = { status, path, "1.2.3", "4.5.6", "" };

		fields[4] = "detail\twith a tab";
		cli_tsv_line(f, 5, fields);
	}
	fputc('\n', f);
	CHECK(fclose(f) == 0);
	return buf;
}

static int
one_line(const char *status, const char *path, int json, int slash,
    const char *probe)
{
	struct resume *r = resume_new();
	char *line = result_line(status, path, json, slash);
	int rc, has;

	CHECK(r != NULL);
	rc = resume_add_line(r, line, strlen(line));
	CHECK(rc == 0 || rc == 1);
	has = resume_has(r, probe);
	CHECK(resume_count(r) == (size_t)rc);
	free(line);
	resume_free(r);
	return rc == 1 ? has : -1;
}

static void
round_trip(uint8_t ctl, const char *p, size_t len)
{
	static const char subst[4] = { '/', '.', '\\', 'x' };
	char *q = strdup(p), *np, *nq;
	int json, same;

	CHECK(q != NULL);
	q[(ctl >> 1) % len] = subst[(ctl >> 5) & 3];
	np = norm(p);
	nq = norm(q);
	same = strcmp(np, nq) == 0;
	for (json = 0; json < 2; json++) {
		int slash = ctl & 1;

		CHECK(one_line("0000", p, json, slash, p) == 1);
		CHECK(one_line("B000", p, json, slash, p) == 1);
		CHECK(one_line("A700", p, json, slash, p) == -1);
		CHECK(one_line("0000", p, json, slash, q) == same);
	}
	free(np);
	free(nq);
	free(q);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data + 1;
	size_t n = 0;
	char *p;

	if (size < 1)
		return 0;
	feed_lines(text, size - 1);
	while (n < size - 1 && text[n] != '\0' && text[n] != '\n')
		n++;
	if (n == 0 || n > 4096)
		return 0;
	p = strndup(text, n);
	CHECK(p != NULL);
	round_trip(data[0], p, n);
	free(p);
	return 0;
}
