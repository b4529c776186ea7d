/*
 * fuzz_commit_state.c - libFuzzer target for the reader of dcmsend's
 * --commit-state file (lib/cli/send_commit.h).
 *
 * Besides not crashing: a parsed file gives entries whose five strings
 * lie inside the text, none empty but for the UIDs' (checked later by
 * the library), none holding a tab or a newline but the path (which is
 * unescaped); a malformed line is named by a number within the file.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli/send_commit.h"

#include "check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
inside(const char *s, const char *base, size_t n)
{
	return s >= base && s < base + n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct send_commit_pending p;
	size_t bad = 0, lines = 1, i;
	char *text = malloc(size + 1);
	int rc;

	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	for (i = 0; i < size; i++)
		lines += data[i] == '\n';
	memset(&p, 0, sizeof(p));
	p.text = text;
	rc = send_commit_state_parse(&p, &bad);
	CHECK(rc == 0 || rc == SEND_COMMIT_NOT_STATE ||
	    rc == SEND_COMMIT_MALFORMED || rc == SEND_COMMIT_NEWER);
	if (rc == SEND_COMMIT_MALFORMED)
		CHECK(bad >= 2 && bad <= lines);
	for (i = 0; rc == 0 && i < p.n; i++) {
		const struct storescu_pending *e = &p.p[i];

		CHECK(inside(e->transaction_uid, text, size));
		CHECK(inside(e->sop_class, text, size));
		CHECK(inside(e->sop_instance, text, size));
		CHECK(inside(e->path, text, size) && e->path[0] != '\0');
		CHECK(strpbrk(e->transaction_uid, "\t\n") == NULL);
		CHECK(strpbrk(e->sop_instance, "\t\n") == NULL);
		CHECK(!e->last);
	}
	free(p.p);
	free(text);
	return 0;
}
