/* utf8.c - UTF-8 validity and replacement (utf8.h). */
#include <string.h>

#include "core/utf8.h"

#include "core/banned.h"

size_t
cs_utf8_seq(const unsigned char *p, size_t n)
{
	unsigned c = p[0];
	size_t len, k;
	unsigned long cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4, cp = c & 0x07;
	else
		return 0; /* a continuation byte, C0/C1 or F5-FF */
	if (n < len)
		return 0;
	for (k = 1; k < len; k++) {
		if ((p[k] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[k] & 0x3f);
	}
	/* RFC 3629: no overlong form, no surrogate, at most U+10FFFF */
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

char *
cs_utf8_replace(const char *s, char *out, size_t cap)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), i = 0, o = 0, k;

	while (i < n) {
		const char *from = s + i;

		/* a stray byte: U+FFFD, as a Unicode decoder replaces it */
		if ((k = cs_utf8_seq(p + i, n - i)) == 0)
			from = "\xef\xbf\xbd", k = 3, i++;
		else
			i += k;
		if (o + k >= cap)
			break;
		memcpy(out + o, from, k);
		o += k;
	}
	out[o] = '\0';
	return out;
}
