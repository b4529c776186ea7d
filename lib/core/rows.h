/*
 * rows.h - finds a row of a constant table (the SOP class, UID and
 * transfer syntax registries) by one of its string fields.
 */
#ifndef CS_CORE_ROWS_H
#define CS_CORE_ROWS_H

#include <stddef.h>

/*
 * The first of the n rows of size bytes at rows whose string field at
 * byte offset off (a const char *, offsetof) equals key under cmp
 * (strcmp, strcasecmp); NULL when none does or key is NULL.
 */
const void *rows_find(const void *rows, size_t n, size_t size, size_t off,
    const char *key, int (*cmp)(const char *, const char *));

#endif
