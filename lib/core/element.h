/*
 * element.h - the public data elements of PS3.6 (Tables 6-1 to 9-1): their
 * VR(s) by tag, generated from data/elements.tsv into element_table.c,
 * for giving the elements of an Implicit VR data set their VR.  A tag
 * of a repeating group (PS3.5 7.6: (60xx,3000), (0020,31xx)...) is found
 * through a pattern.  The keywords stay in the .tsv: nothing here needs
 * them.
 */
#ifndef CS_CORE_ELEMENT_H
#define CS_CORE_ELEMENT_H

#include <stddef.h>
#include <stdint.h>

/* What PS3.6 gives beside the first VR (vr): alternatives, which the
 * data set decides (PS3.5 A.1, 8.1.2, 8.3; PS3.3 C.7.6.3, C.11.1). */
enum element_alt {
	ELEMENT_ONE,      /* vr only */
	ELEMENT_US_SS,    /* "US or SS" (vr US) */
	ELEMENT_OB_OW,    /* "OB or OW" (vr OB) */
	ELEMENT_US_OW,    /* "US or OW" (vr US) */
	ELEMENT_US_SS_OW, /* "US or SS or OW" (vr US) */
};

struct element_entry {
	uint32_t tag;    /* the x digits of a pattern are 0 */
	char vr[2];      /* the first VR, two letters, no NUL */
	uint8_t alt;     /* enum element_alt */
	uint8_t retired; /* 1 when PS3.6 marks it retired */
};

/* A repeating group's entry: a tag matches when (tag & mask) == e.tag. */
struct element_pattern {
	uint32_t mask;
	struct element_entry e;
};

/* Sorted by tag, without patterns; and the patterns. */
extern const struct element_entry element_table[];
extern const size_t element_table_len;
extern const struct element_pattern element_pattern_table[];
extern const size_t element_pattern_table_len;

/*
 * The entry of a public tag, or NULL: for an odd (private) group, which
 * PS3.6 does not define (PS3.5 7.8), and for a tag PS3.6 does not list.
 */
const struct element_entry *element_find(uint32_t tag);

#endif
