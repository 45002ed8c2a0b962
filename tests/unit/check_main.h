/*
 * check_main.h: the shared main() of the Check unit tests.  Each test file
 * defines `static Suite *make_suite(void)` and includes this at the end.
 */
#ifndef SM_CHECK_MAIN_H
#define SM_CHECK_MAIN_H

#include <check.h>
#include <stdlib.h>

static Suite *make_suite(void);

int main(void)
{
	SRunner *sr = srunner_create(make_suite());
	/* No fork: the sanitizers then see every test in one process, and
	 * leaks are reported against the test that made them. */
	srunner_set_fork_status(sr, CK_NOFORK);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

#endif
