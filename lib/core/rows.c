/* rows.c - finds a row of a constant table by a string field (rows.h). */
#include <stddef.h>

#include "core/rows.h"
#include "core/banned.h"

const void *
rows_find(const void *rows, size_t n, size_t size, size_t off, const char *key,
    int (*cmp)(const char *, const char *))
{
	const char *row = rows;
	size_t i;

	if (key == NULL)
		return NULL;
	for (i = 0; i < n; i++, row += size) {
		if (cmp(*(const char *const *)(const void *)(row + off), key) ==
		    0)
			return row;
	}
	return NULL;
}
