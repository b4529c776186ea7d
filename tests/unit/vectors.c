/* vectors.c - annotated hex test vector loader (see vectors.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/hex.h"
#include "vectors.h"

int
vec_parse(const char *text, uint8_t **buf, size_t *len)
{
	size_t cap = strlen(text) / 2 + 1, n = 0;
	uint8_t *b = malloc(cap);
	int hi = -1;
	const char *s;

	if (b == NULL)
		return -1;
	for (s = text; *s != '\0'; s++) {
		int v;

		if (*s == '#') {
			while (s[1] != '\0' && s[1] != '\n')
				s++;
			continue;
		}
		if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
			continue;
		if ((v = hex_digit(*s)) < 0)
			goto fail;
		if (hi < 0) {
			hi = v;
			continue;
		}
		b[n++] = (uint8_t)(hi << 4 | v);
		hi = -1;
	}
	if (hi >= 0)
		goto fail;
	*buf = b;
	*len = n;
	return 0;
fail:
	free(b);
	return -1;
}

const char *
vec_path(const char *path, char *out, size_t n)
{
	const char *root = getenv("CSTORE_SRCDIR");
	static const char self[] = "tests/unit/vectors.c";
	const char *file = __FILE__;
	size_t fl = strlen(file), sl = strlen(self);

	if (path[0] == '/') {
		snprintf(out, n, "%s", path);
		return out;
	}
	if (root != NULL && root[0] != '\0') {
		snprintf(out, n, "%s/%s", root, path);
		return out;
	}
	/* __FILE__ is "<root>/tests/unit/vectors.c" or relative to it */
	if (fl >= sl && strcmp(file + fl - sl, self) == 0 && fl > sl)
		snprintf(out, n, "%.*s%s", (int)(fl - sl), file, path);
	else
		snprintf(out, n, "%s", path);
	return out;
}

int
vec_read_file(const char *path, uint8_t **buf, size_t *len)
{
	char full[4096];
	FILE *f = fopen(vec_path(path, full, sizeof(full)), "rb");
	uint8_t *b;
	long n;

	if (f == NULL)
		return -1;
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0 || (b = malloc((size_t)n + 1)) == NULL) {
		fclose(f);
		return -1;
	}
	if (fread(b, 1, (size_t)n, f) != (size_t)n) {
		free(b);
		fclose(f);
		return -1;
	}
	fclose(f);
	b[n] = 0;
	*buf = b;
	*len = (size_t)n;
	return 0;
}

int
vec_load(const char *path, uint8_t **buf, size_t *len)
{
	uint8_t *text;
	size_t n;
	int rc;

	if (vec_read_file(path, &text, &n) != 0)
		return -1;
	rc = vec_parse((const char *)text, buf, len);
	free(text);
	return rc;
}
