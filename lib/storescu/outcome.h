/*
 * outcome.h - the outcomes of dcmsend's inputs: the word each prints
 * and what it means.  The one table of them: the sender's result lines
 * (storescu_outcome_word), status-explain -F and scripts/check-outcomes,
 * which compares it with the lists in man/dcmsend.1 and
 * man/status-explain.1.
 */
#ifndef CS_STORESCU_OUTCOME_H
#define CS_STORESCU_OUTCOME_H

#include <stddef.h>

#include "cstore/storescu.h"

struct outcome_info {
	enum storescu_outcome outcome;
	const char *word; /* lower case, as printed */
	int local;        /* 1: the word stands in STATUS (no DIMSE status) */
	int stored;       /* 1: the input is on the peer */
	const char *meaning; /* one line, lower case */
};

/* Number of outcomes; outcome_at(i) for i below it, in enum order. */
size_t outcome_count(void);
const struct outcome_info *outcome_at(size_t i);
/* The entry of a word (exact, case-sensitive), or NULL. */
const struct outcome_info *outcome_by_word(const char *word);

#endif
