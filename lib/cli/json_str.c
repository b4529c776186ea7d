/* json_str.c - JSON strings valid as UTF-8 whatever the bytes (json_str.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/json_str.h"
#include "core/hex.h"
#include "core/utf8.h"

#include "core/banned.h"

static int
valid_utf8(const char *s, size_t n)
{
	size_t i = 0, k;

	while (i < n) {
		if ((k = cs_utf8_seq((const unsigned char *)s + i, n - i)) == 0)
			return 0;
		i += k;
	}
	return 1;
}

/* json-c's serializer for a string that is not valid UTF-8. */
static int
escape_bytes(json_object *j, struct printbuf *pb, int level, int flags)
{
	const unsigned char *s =
	    (const unsigned char *)json_object_get_string(j);
	size_t n = (size_t)json_object_get_string_len(j), i = 0, k;
	char esc[8];

	(void)level;
	printbuf_memappend(pb, "\"", 1);
	while (i < n) {
		k = cs_utf8_seq(s + i, n - i);
		if (k == 0) {
			snprintf(esc, sizeof(esc), "\\udc%02x", s[i]);
			printbuf_memappend(pb, esc, 6);
			i++;
			continue;
		}
		if (k > 1 ||
		    (s[i] >= 0x20 && s[i] != '"' && s[i] != '\\' &&
			(s[i] != '/' ||
			    (flags & JSON_C_TO_STRING_NOSLASHESCAPE))))
			printbuf_memappend(pb, (const char *)s + i, (int)k);
		else if (s[i] == '"' || s[i] == '\\' || s[i] == '/') {
			esc[0] = '\\';
			esc[1] = (char)s[i];
			printbuf_memappend(pb, esc, 2);
		} else {
			snprintf(esc, sizeof(esc), "\\u%04x", s[i]);
			printbuf_memappend(pb, esc, 6);
		}
		i += k;
	}
	printbuf_memappend(pb, "\"", 1);
	return 0;
}

json_object *
cli_json_string(const char *s)
{
	json_object *j = json_object_new_string(s);

	if (j != NULL && !valid_utf8(s, strlen(s)))
		json_object_set_serializer(j, escape_bytes, NULL, NULL);
	return j;
}

char *
cli_json_unescape_bytes(const char *text, size_t len, size_t *out_len)
{
	char *out = malloc(len + 1);
	size_t i = 0, o = 0;
	int high = 0; /* the escape before was \ud800-\udbff */

	if (out == NULL)
		return NULL;
	while (i < len) {
		int d3, hi, lo, after_high = high;

		high = 0;
		if (text[i] != '\\') {
			out[o++] = text[i++];
			continue;
		}
		/* an escape: \udcXX with XX 80-ff becomes its byte, unless
		 * it is the low half of a pair (\ud83d\udc80 is a character,
		 * as json.dumps writes it); any other escape (\\ among them)
		 * is copied whole, so its second character never starts one */
		d3 = len - i >= 6 && text[i + 1] == 'u' &&
			(text[i + 2] == 'd' || text[i + 2] == 'D')
		    ? hex_digit(text[i + 3])
		    : -1;
		if (d3 >= 8 && d3 <= 0xb) { /* \ud800-\udbff: a high half */
			memcpy(out + o, text + i, 6);
			o += 6, i += 6;
			high = 1;
			continue;
		}
		if (d3 == 0xc && !after_high &&
		    (hi = hex_digit(text[i + 4])) >= 8 &&
		    (lo = hex_digit(text[i + 5])) >= 0) {
			out[o++] = (char)(hi << 4 | lo);
			i += 6;
			continue;
		}
		out[o++] = text[i++];
		if (i < len)
			out[o++] = text[i++];
	}
	out[o] = '\0';
	*out_len = o;
	return out;
}
