/* t_outcome.c - the one table of dcmsend's outcome words (lib/storescu/outcome). */
#include <check.h>
#include <string.h>

#include "cstore/storescu.h"
#include "storescu/outcome.h"
#include "cli/resume.h"

Suite *outcome_suite(void);

START_TEST(every_outcome_has_one_entry_in_enum_order)
{
	size_t i, j;

	ck_assert_uint_eq(outcome_count(), (size_t)STORESCU_DICOMDIR + 1);
	for (i = 0; i < outcome_count(); i++) {
		const struct outcome_info *oi = outcome_at(i);

		ck_assert_int_eq((int)oi->outcome, (int)i);
		ck_assert_str_eq(storescu_outcome_word(oi->outcome), oi->word);
		ck_assert_int_eq(storescu_outcome_stored(oi->outcome), oi->stored);
		ck_assert_ptr_eq(outcome_by_word(oi->word), oi);
		ck_assert_uint_gt(strlen(oi->meaning), 0);
		for (j = 0; oi->word[j]; j++)
			ck_assert(oi->word[j] >= 'a' && oi->word[j] <= 'z');
	}
	ck_assert_ptr_null(outcome_at(outcome_count()));
	ck_assert_ptr_null(outcome_by_word("Notsent"));
	ck_assert_ptr_null(outcome_by_word(NULL));
}
END_TEST

START_TEST(only_the_outcomes_with_a_dimse_status_are_not_local)
{
	size_t i;

	for (i = 0; i < outcome_count(); i++) {
		const struct outcome_info *oi = outcome_at(i);
		/* "failed" has the peer's status, except when the response
		 * names another instance: then the word stands in STATUS */
		int always_status = oi->outcome == STORESCU_STORED ||
		    oi->outcome == STORESCU_WARNING;

		ck_assert_int_eq(oi->local, !always_status);
	}
	/* the resume log reads back the word the sender writes */
	ck_assert_str_eq(storescu_outcome_word(STORESCU_RESUMED), RESUME_WORD);
	ck_assert(storescu_outcome_stored(STORESCU_RESUMED));
	ck_assert(!storescu_outcome_stored(STORESCU_ABORTED));
}
END_TEST

Suite *
outcome_suite(void)
{
	Suite *s = suite_create("outcome");
	TCase *tc = tcase_create("table");

	tcase_add_test(tc, every_outcome_has_one_entry_in_enum_order);
	tcase_add_test(tc, only_the_outcomes_with_a_dimse_status_are_not_local);
	suite_add_tcase(s, tc);
	return s;
}
