/* status.c - DIMSE status codes (status.h). */
#include <string.h>

#include "cstore/cstore.h"
#include "core/hex.h"
#include "core/status.h"
#include "core/banned.h"

size_t
status_count(void)
{
	return status_table_len;
}

const struct status_entry *
status_at(size_t i)
{
	return i < status_table_len ? &status_table[i] : NULL;
}

enum status_category
status_category_of(uint16_t code)
{
	/* PS3.7 Annex C: C.1 success, C.2 pending, C.3 cancel, C.4 warning
	 * (0001, Bxxx, and 0107/0116 inside the 01xx block), C.5 failure. */
	if (code == 0x0000)
		return STATUS_SUCCESS;
	if (code == 0x0001 || code == 0x0107 || code == 0x0116 ||
	    (code & 0xF000) == 0xB000)
		return STATUS_WARNING;
	if ((code & 0xF000) == 0xA000 || (code & 0xF000) == 0xC000 ||
	    (code & 0xFF00) == 0x0100 || (code & 0xFF00) == 0x0200)
		return STATUS_FAILURE;
	if (code == 0xFE00)
		return STATUS_CANCEL;
	if (code == 0xFF00 || code == 0xFF01)
		return STATUS_PENDING;
	return STATUS_UNKNOWN;
}

const char *
status_category_name(enum status_category c)
{
	switch (c) {
	case STATUS_SUCCESS:
		return "Success";
	case STATUS_WARNING:
		return "Warning";
	case STATUS_FAILURE:
		return "Failure";
	case STATUS_CANCEL:
		return "Cancel";
	case STATUS_PENDING:
		return "Pending";
	case STATUS_UNKNOWN:
		return "Unknown";
	}
	return "Unknown";
}

int
status_is_stored(enum status_category c)
{
	return c == STATUS_SUCCESS || c == STATUS_WARNING;
}

/* Rank of an entry for a service: specific beats general, narrow beats wide. */
static int
better(const struct status_entry *a, const struct status_entry *b,
    const char *service)
{
	int as, bs;

	if (b == NULL)
		return 1;
	as = service != NULL && strcmp(a->service, service) == 0;
	bs = service != NULL && strcmp(b->service, service) == 0;
	if (as != bs)
		return as;
	return (a->hi - a->lo) < (b->hi - b->lo);
}

void
status_explain(uint16_t code, const char *service, struct status_info *info)
{
	size_t i;

	info->code = code;
	info->std = NULL;
	info->impl = NULL;
	for (i = 0; i < status_table_len; i++) {
		const struct status_entry *e = &status_table[i];

		if (code < e->lo || code > e->hi)
			continue;
		if (strcmp(e->service, "*") != 0 &&
		    (service == NULL || strcmp(e->service, service) != 0))
			continue;
		if (e->impl[0] != '\0') {
			if (better(e, info->impl, service))
				info->impl = e;
		} else if (better(e, info->std, service)) {
			info->std = e;
		}
	}
	info->category =
	    info->std != NULL ? info->std->category : status_category_of(code);
}

int
status_parse_code(const char *s, uint16_t *code)
{
	unsigned long v = 0;
	size_t len, i;
	int hex = 0, prefixed = 0, d;

	if (s == NULL)
		return CS_E_INVAL;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		s += 2;
		hex = prefixed = 1;
	}
	len = strlen(s);
	if (len == 0 || len > 8)
		return CS_E_INVAL;
	for (i = 0; i < len; i++) {
		d = hex_digit(s[i]);
		if (d < 0)
			return CS_E_INVAL;
		if (d > 9)
			hex = 1;
	}
	/* "a7" is 00A7 or the A7xx of A700: ambiguous, never guessed */
	if (hex && !prefixed && len < 4)
		return CS_E_INVAL;
	/* Statuses are written as four hex digits: "0110" is 0x0110. */
	if (len == 4)
		hex = 1;
	for (i = 0; i < len; i++) {
		d = hex_digit(s[i]);
		if (!hex && d > 9)
			return CS_E_INVAL;
		v = v * (hex ? 16 : 10) + (unsigned long)d;
	}
	if (v > 0xFFFF)
		return CS_E_INVAL;
	*code = (uint16_t)v;
	return 0;
}

int
status_code_is_short_hex(const char *s)
{
	size_t i, len;
	int letter = 0, d;

	if (s == NULL || (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')))
		return 0;
	len = strlen(s);
	for (i = 0; i < len; i++) {
		if ((d = hex_digit(s[i])) < 0)
			return 0;
		letter |= d > 9;
	}
	return letter && len > 0 && len < 4;
}
