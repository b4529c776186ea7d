/*
 * fuzz_dicomdir.c - the DICOMDIR reader (dcmfile/dicomdir.h) over a
 * memory buffer.  Any result is fine; a crash, hang, leak or over-read
 * is not.  A failure carries its reason; on success every reference is
 * either refused with a reason or a path that stays inside the
 * file-set: relative, no empty, "." or ".." component, no control
 * character; record types are printable.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cstore/cstore.h"
#include "dcmfile/dicomdir.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_path(const char *p)
{
	const char *c = p;

	if (p[0] == '\0' || p[0] == '/' || strlen(p) > 4 * DICOMDIR_ID_MAX)
		abort();
	for (;;) {
		const char *slash = strchr(c, '/');
		size_t n = slash != NULL ? (size_t)(slash - c) : strlen(c);

		if (n == 0 || n > 255 || (n == 1 && c[0] == '.') ||
		    (n == 2 && c[0] == '.' && c[1] == '.'))
			abort();
		for (size_t i = 0; i < n; i++)
			if ((unsigned char)c[i] < 0x20 || c[i] == 0x7f ||
			    c[i] == '\\')
				abort();
		if (slash == NULL)
			break;
		c = slash + 1;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dicomdir dd;
	struct cs_err err;
	size_t i;
	int rc;

	cs_err_clear(&err);
	dicomdir_init(&dd);
	rc = dicomdir_parse(data, size, &dd, &err);
	if (rc < 0 && (err.code != rc || err.msg[0] == '\0'))
		abort();
	if (rc > 0 || dd.n > DICOMDIR_REFS_MAX || dd.inactive > dd.records ||
	    dd.n > dd.records)
		abort();
	for (i = 0; i < dd.n; i++) {
		const char *p = dicomdir_path(&dd, i);

		if (p == NULL || dd.ref[i].offset >= size)
			abort();
		for (const char *t = dd.ref[i].type; *t != '\0'; t++)
			if (*t < 0x20 || *t > 0x7e)
				abort();
		if (dd.ref[i].why == DICOMDIR_OK)
			check_path(p);
		else if (dicomdir_why_text(dd.ref[i].why)[0] == '\0')
			abort();
	}
	if (dicomdir_path(&dd, dd.n) != NULL)
		abort();
	dicomdir_release(&dd);
	return 0;
}
