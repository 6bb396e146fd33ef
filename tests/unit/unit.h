/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A minimal unit-test harness: TAP lines, a summary, and a non-zero exit on failure. */
#ifndef IOMMUGRP_UNIT_H
#define IOMMUGRP_UNIT_H

#include <stdio.h>
#include <string.h>

static int unit_passed, unit_failed, unit_current_failed;
static const char *unit_current;

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "# %s:%d: %s: check failed: %s\n", __FILE__, __LINE__,     \
				unit_current, #cond);                                              \
			unit_current_failed = 1;                                                   \
		}                                                                                  \
	} while (0)

#define CHECK_INT(actual, expected)                                                                \
	do {                                                                                       \
		long long a_ = (long long)(actual), e_ = (long long)(expected);                    \
		if (a_ != e_) {                                                                    \
			fprintf(stderr, "# %s:%d: %s: %s is %lld, expected %lld\n", __FILE__,      \
				__LINE__, unit_current, #actual, a_, e_);                          \
			unit_current_failed = 1;                                                   \
		}                                                                                  \
	} while (0)

#define CHECK_STR(actual, expected)                                                                \
	do {                                                                                       \
		const char *a_ = (actual), *e_ = (expected);                                       \
		if (!a_ || !e_ ? a_ != e_ : strcmp(a_, e_) != 0) {                                 \
			fprintf(stderr, "# %s:%d: %s: %s is \"%s\", expected \"%s\"\n", __FILE__,  \
				__LINE__, unit_current, #actual, a_ ? a_ : "(null)",               \
				e_ ? e_ : "(null)");                                               \
			unit_current_failed = 1;                                                   \
		}                                                                                  \
	} while (0)

#define RUN(test)                                                                                  \
	do {                                                                                       \
		unit_current = #test;                                                              \
		unit_current_failed = 0;                                                           \
		test();                                                                            \
		if (unit_current_failed)                                                           \
			unit_failed++;                                                             \
		else                                                                               \
			unit_passed++;                                                             \
		printf("%s %d - %s\n", unit_current_failed ? "not ok" : "ok",                      \
		       unit_passed + unit_failed, #test);                                          \
	} while (0)

static inline int unit_summary(void)
{
	printf("%d passed, %d failed\n", unit_passed, unit_failed);
	return unit_failed ? 1 : 0;
}

#endif
