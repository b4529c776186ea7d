/* size_arg.c - byte counts on the command line (see size_arg.h). */
#include <string.h>
#include <strings.h>

#include "cli/size_arg.h"

#include "core/banned.h"

#define SIZE_MAX_BYTES (UINT64_C(1) << 62)
#define FRAC_DIGITS 9 /* more are refused, not rounded silently */

/* The multiplier a suffix names (1 for none), or 0 if it is none of
 * ours. */
static uint64_t
unit(const char *p)
{
	static const char units[] = "KMGT";
	const char *u;
	uint64_t base = 1024, m = 1;

	if (*p == '\0')
		return 1;
	/* (a space folds to NUL, which strchr would find) */
	if ((*p & ~0x20) == 0 || (u = strchr(units, *p & ~0x20)) == NULL)
		return 0;
	p++;
	if (strcasecmp(p, "B") == 0)
		base = 1000;
	else if (strcasecmp(p, "iB") != 0 && strcasecmp(p, "i") != 0 &&
	    *p != '\0')
		return 0;
	for (long k = u - units; k >= 0; k--)
		m *= base;
	return m;
}

/* 0 with *out set; CS_E_INVAL when arg is no size; 1 when it is one
 * but not of whole bytes (a fraction with no unit, or one its unit
 * does not make whole: "1.5", "0.97K"). */
static int
scan(const char *arg, uint64_t *out)
{
	const char *p = arg;
	uint64_t v = 0, frac = 0, scale = 1, m;
	unsigned nd = 0;

	if (*p < '0' || *p > '9')
		return CS_E_INVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > SIZE_MAX_BYTES / 10)
			return CS_E_INVAL;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++, nd++) {
			if (nd == FRAC_DIGITS)
				return CS_E_INVAL;
			frac = frac * 10 + (uint64_t)(*p - '0');
			scale *= 10;
		}
		if (nd == 0)
			return CS_E_INVAL;
	}
	m = unit(p);
	if (m == 0 || v > SIZE_MAX_BYTES / m)
		return CS_E_INVAL;
	/* frac < scale <= 10^9: neither product passes 2^64 */
	if (frac * (m % scale) % scale != 0)
		return 1; /* dropping the part byte would change the size */
	v = v * m + frac * (m / scale) + frac * (m % scale) / scale;
	if (v > SIZE_MAX_BYTES)
		return CS_E_INVAL;
	*out = v;
	return 0;
}

int
cli_size_value(const char *arg, uint64_t *out)
{
	return scan(arg, out) == 0 ? 0 : CS_E_INVAL;
}

int
cli_parse_size(
    const char *arg, const char *what, uint64_t *out, struct cs_err *err)
{
	int rc = scan(arg, out);

	if (rc == 0)
		return 0;
	if (rc > 0)
		return cs_err_set(err, CS_E_INVAL,
		    "%s '%s': not a whole number of bytes (a fraction needs "
		    "a unit that makes it whole, as 1.5K = 1536)",
		    what, arg);
	return cs_err_set(err, CS_E_INVAL,
	    "%s '%s': expected a size in bytes, optionally with K, M, G or T "
	    "(powers of 1024; KB, MB... powers of 1000)",
	    what, arg);
}
