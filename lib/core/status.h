/*
 * status.h - DIMSE status codes: the specific meanings of
 * data/dimse-status.tsv (generated into status_table.c) and the category
 * of any 16-bit code from the ranges of PS3.7 Annex C.
 */
#ifndef CS_CORE_STATUS_H
#define CS_CORE_STATUS_H

#include <stddef.h>
#include <stdint.h>

enum status_category {
	STATUS_SUCCESS,
	STATUS_WARNING,
	STATUS_FAILURE,
	STATUS_CANCEL,
	STATUS_PENDING,
	STATUS_UNKNOWN, /* outside every range PS3.7 Annex C defines */
};

/*
 * The codes our tools answer or test by name (PS3.4 B.2.3, PS3.7 C).
 * Each is an entry of data/dimse-status.tsv (t_status checks that the
 * table explains it with the category its name implies).
 */
enum status_code {
	STATUS_CODE_SUCCESS = 0x0000,
	STATUS_CODE_DUPLICATE_INSTANCE = 0x0111, /* PS3.7 C.5.9 */
	STATUS_CODE_CLASS_NOT_SUPPORTED = 0x0122,
	STATUS_CODE_UNRECOGNIZED_OPERATION = 0x0211,
	STATUS_CODE_MISTYPED_ARGUMENT = 0x0212,
	STATUS_CODE_OUT_OF_RESOURCES = 0xA700,
	STATUS_CODE_DATASET_MISMATCH = 0xA900,
	STATUS_CODE_COERCION = 0xB000, /* stored with elements changed */
	STATUS_CODE_ELEMENTS_DISCARDED = 0xB006,       /* stored without some */
	STATUS_CODE_DATASET_MISMATCH_WARNING = 0xB007, /* stored anyway */
	STATUS_CODE_CANNOT_UNDERSTAND = 0xC000,
};

struct status_entry {
	uint16_t lo, hi; /* the code, or a range lo..hi */
	enum status_category category;
	const char *service; /* "*" (general, PS3.7 Annex C) or "C-STORE"... */
	const char *impl;    /* "" (standard) or e.g. "pynetdicom" */
	const char *meaning;
};

extern const struct status_entry status_table[];
extern const size_t status_table_len;

/* Number of entries, and the i-th one (NULL past the end). */
size_t status_count(void);
const struct status_entry *status_at(size_t i);

/*
 * Category of code by the ranges of PS3.7 Annex C: 0000 success; 0001,
 * 0107, 0116 and Bxxx warning; Axxx, Cxxx and the rest of 01xx/02xx
 * failure; FE00 cancel; FF00/FF01 pending; anything else STATUS_UNKNOWN.
 */
enum status_category status_category_of(uint16_t code);

/* "Success", "Warning", "Failure", "Cancel", "Pending" or "Unknown". */
const char *status_category_name(enum status_category c);

/* 1 when the category means the object was stored (success or warning). */
int status_is_stored(enum status_category c);

/* What status_explain found for one code. */
struct status_info {
	uint16_t code;
	enum status_category category;
	const struct status_entry *std; /* narrowest standard entry, or NULL */
	const struct status_entry
	    *impl; /* narrowest implementation entry, or NULL */
};

/*
 * Explains code as a status of service (e.g. "C-STORE"; NULL for general
 * only).  A service-specific entry wins over a general one, a narrower
 * range over a wider one.  Entries of implementations (pynetdicom) are
 * reported separately in info->impl.  The category is the standard
 * entry's, else the one of the code's Annex C range.
 */
void
status_explain(uint16_t code, const char *service, struct status_info *info);

/*
 * Parses a code written as "0xA700", "A700", "a700" or decimal "42752"
 * (decimal only when it has no hex letter and no 0x; four hex digits
 * without 0x are read as hex, as statuses are written in hex).  Returns 0,
 * or CS_E_INVAL when s is not a number in 0..0xFFFF, or is fewer than
 * four digits with a hex letter and no 0x: "a7" may be 0x00A7 or the
 * A7xx of A700 (status_code_is_short_hex).
 */
int status_parse_code(const char *s, uint16_t *code);

/* 1 when s is refused by status_parse_code only for being short hex
 * without 0x ("a7", "fff"): the caller may say which codes it meant. */
int status_code_is_short_hex(const char *s);

#endif
