/*
 * vectors.h - annotated hex test vectors (tests/vectors/<kind>/<name>.hex).
 *
 * Format: hex digit pairs; whitespace anywhere between pairs; "#" starts a
 * comment that runs to the end of the line.  Paths that are not absolute
 * are taken relative to the repository root: $CSTORE_SRCDIR if set, else
 * the directory this file was compiled from (two levels up), else ".".
 */
#ifndef CS_TESTS_VECTORS_H
#define CS_TESTS_VECTORS_H

#include <stddef.h>
#include <stdint.h>

/*
 * Parses annotated hex text into a malloc'd buffer (*buf, free() it;
 * never NULL on success, even when empty).  Returns 0, or -1 on an odd
 * digit count or a character that is neither hex, space nor comment.
 */
int vec_parse(const char *text, uint8_t **buf, size_t *len);
/*
 * Reads the whole file at path (see vec_path) into a malloc'd buffer
 * (*buf, free() it; NUL-terminated past *len bytes); returns 0 or -1.
 */
int vec_read_file(const char *path, uint8_t **buf, size_t *len);
/* Reads the file at path (see above) and parses it; returns 0 or -1. */
int vec_load(const char *path, uint8_t **buf, size_t *len);
/* The path vec_load() would open for path, in out[n]. */
const char *vec_path(const char *path, char *out, size_t n);

#endif
