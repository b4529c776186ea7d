/*
 * json_str.h - a C string as a JSON string that is valid UTF-8 whatever
 * bytes the string holds (a file name in another encoding).
 */
#ifndef CS_CLI_JSON_STR_H
#define CS_CLI_JSON_STR_H

#include <json-c/json.h>

/*
 * A new json-c string of s (NULL when out of memory).  Valid UTF-8 is
 * written as json-c writes it.  Otherwise each byte of s that is not
 * part of a valid UTF-8 sequence is written as the escape \udcXX (XX its
 * value, 80-ff: the lone low surrogates U+DC80-U+DCFF, which valid
 * UTF-8 never holds), as Python's "surrogateescape" error handler
 * (PEP 383) decodes it: reversible, s.encode("utf-8",
 * "surrogateescape") gives the bytes back.
 */
json_object *cli_json_string(const char *s);

/*
 * The reverse of cli_json_string's escapes for a JSON text (one line of
 * --json output) of len bytes: a copy in which each \udc80-\udcff
 * escape is the raw byte it stands for, every other byte and escape as
 * it was (json-c, which reads a lone surrogate as U+FFFD, then gives
 * the bytes back).  Returns the copy (NUL-terminated, *out_len its
 * length) or NULL when out of memory; the caller frees it.
 */
char *cli_json_unescape_bytes(const char *text, size_t len, size_t *out_len);

#endif
