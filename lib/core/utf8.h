/*
 * utf8.h - UTF-8 validity (RFC 3629) and peer text made valid UTF-8:
 * Error Comments of C-STORE and N-ACTION responses alike.
 */
#ifndef CS_CORE_UTF8_H
#define CS_CORE_UTF8_H

#include <stddef.h>

/* The length of the valid UTF-8 sequence at p (n bytes left), or 0 when
 * the bytes there are none (overlong, a surrogate, past U+10FFFF, cut). */
size_t cs_utf8_seq(const unsigned char *p, size_t n);

/*
 * Peer text (an Error Comment) as valid UTF-8 in out (cap bytes, cap
 * > 0, always NUL-terminated): each byte of s outside a valid UTF-8
 * sequence becomes U+FFFD, so that TSV and JSON lines show the same
 * characters (a path keeps its bytes instead: lib/cli's cli_json_string).
 * Stops before a character that would not fit.  Returns out.
 */
char *cs_utf8_replace(const char *s, char *out, size_t cap);

#endif
