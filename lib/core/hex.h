/* hex.h - the value of one hexadecimal digit (status codes, test
 * vectors, JSON escapes). */
#ifndef CS_CORE_HEX_H
#define CS_CORE_HEX_H

/* c's value 0-15, or -1 when c is no hexadecimal digit (either case). */
static inline int
hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

#endif
