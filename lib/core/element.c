/* element.c - the data element dictionary's lookup (element.h). */
#include <stddef.h>
#include <stdint.h>

#include "core/element.h"
#include "core/banned.h"

const struct element_entry *
element_find(uint32_t tag)
{
	size_t lo = 0, hi = element_table_len, mid, i;

	if ((tag >> 16) & 1)
		return NULL;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (element_table[mid].tag == tag)
			return &element_table[mid];
		if (element_table[mid].tag < tag)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (i = 0; i < element_pattern_table_len; i++)
		if ((tag & element_pattern_table[i].mask) ==
		    element_pattern_table[i].e.tag)
			return &element_pattern_table[i].e;
	return NULL;
}
