/*
 * unhex.h - the hex arguments of the test tools (flood, hostile): PDUs
 * built by the bats helpers as hex strings.
 */
#ifndef CS_TOOLS_UNHEX_H
#define CS_TOOLS_UNHEX_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The bytes of hex string s (malloc'd, *len of them), or NULL. */
static unsigned char *
unhex(const char *s, size_t *len)
{
	size_t n = strlen(s) / 2;
	unsigned char *p = malloc(n > 0 ? n : 1);

	for (size_t i = 0; p != NULL && i < n; i++) {
		unsigned v;

		if (sscanf(s + 2 * i, "%2x", &v) != 1) {
			free(p);
			return NULL;
		}
		p[i] = (unsigned char)v;
	}
	*len = n;
	return p;
}

#endif
