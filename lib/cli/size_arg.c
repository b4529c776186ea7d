/* size_arg.c - byte counts on the command line (see size_arg.h). */
#include <string.h>
#include <strings.h>

#include "cli/size_arg.h"

#include "core/banned.h"

int
cli_parse_size(
    const char *arg, const char *what, uint64_t *out, struct cs_err *err)
{
	static const char units[] = "KMGT";
	const char *p = arg, *u;
	uint64_t v = 0;
	unsigned shift = 0;

	if (*p < '0' || *p > '9')
		goto bad;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (UINT64_C(1) << 62) / 10)
			goto bad;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (*p != '\0' && (u = strchr(units, *p & ~0x20)) != NULL) {
		shift = 10u * (unsigned)(u - units + 1);
		p++;
		if (strcasecmp(p, "B") == 0 || strcasecmp(p, "iB") == 0)
			p += strlen(p);
	}
	if (*p != '\0' || (shift > 0 && v > (UINT64_C(1) << 62) >> shift) ||
	    (v << shift) > (UINT64_C(1) << 62))
		goto bad;
	*out = v << shift;
	return 0;
bad:
	return cs_err_set(err, CS_E_INVAL,
	    "%s '%s': expected a size in bytes, optionally with K, M, G or T",
	    what, arg);
}
