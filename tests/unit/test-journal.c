/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The journal's text format: round trip, and every way a file can be cut or damaged. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "journal.h"
#include "unit.h"

static const char good[] = "iommugrp-journal 1\n"
			   "boot-id 1b2c\n"
			   "operation vfio-bind\n"
			   "group 3\n"
			   "type DMA-FQ\n"
			   "device 0000:00:03.0 sys/devices/pci0000:00/0000:00:03.0 - -\n"
			   "device 0000:01:01.0 sys/devices/pci0000:00/0000:00:03.0/0000:01:01.0 "
			   "e1000 -\n"
			   "device 0000:01:02.0 sys/devices/pci0000:00/0000:00:03.0/0000:01:02.0 - "
			   "vfio-pci\n"
			   "done 2\n"
			   "checksum 2757410378\n"
			   "end\n";

static void test_parse_good(void)
{
	struct journal j;
	unsigned int bad = 0;

	CHECK_INT(journal_parse(good, &j, &bad), 0);
	CHECK_STR(j.boot_id, "1b2c");
	CHECK_STR(j.operation, "vfio-bind");
	CHECK_INT(j.group, 3);
	CHECK_STR(j.type, "DMA-FQ");
	CHECK_INT(j.n_devices, 3);
	CHECK_INT(j.done, 2);
	CHECK(j.devices[0].driver == NULL && j.devices[0].override == NULL);
	CHECK_STR(j.devices[1].driver, "e1000");
	CHECK_STR(journal_find(&j, "0000:01:02.0")->override, "vfio-pci");
	CHECK(journal_find(&j, "0000:09:00.0") == NULL);
	journal_clear(&j);
}

static void test_round_trip(void)
{
	struct journal j, again;
	unsigned int bad = 0;
	char *text = NULL;

	CHECK_INT(journal_parse(good, &j, &bad), 0);
	CHECK_INT(journal_format(&j, &text), 0);
	CHECK_STR(text, good);
	CHECK_INT(journal_parse(text, &again, &bad), 0);
	CHECK_INT(again.n_devices, 3);
	journal_clear(&j);
	journal_clear(&again);
	free(text);
}

/* Each operation a planner journals reads back (the boot pass's hold and unhold among them);
 * one the reader would refuse is never written. */
static void test_every_operation(void)
{
	static const char *const ops[] = { "set-policy", "vfio-bind", "vfio-release",
					   "restore",	 "hold",      "unhold" };
	struct journal j, again;
	unsigned int bad = 0;
	char *text = NULL;

	CHECK_INT(journal_parse(good, &j, &bad), 0);
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		free(j.operation);
		j.operation = strdup(ops[i]);
		CHECK_INT(journal_format(&j, &text), 0);
		CHECK_INT(journal_parse(text, &again, &bad), 0);
		CHECK_STR(again.operation, ops[i]);
		journal_clear(&again);
		free(text);
		text = NULL;
	}
	free(j.operation);
	j.operation = strdup("bogus");
	CHECK_INT(journal_format(&j, &text), -EINVAL);
	CHECK(text == NULL);
	journal_clear(&j);
}

static void test_truncated_everywhere(void)
{
	size_t len = strlen(good);

	/* Any cut short of the whole file must be refused: the "end" line comes last. */
	for (size_t cut = 0; cut < len; cut++) {
		struct journal j;
		unsigned int bad = 0;
		char *part = strndup(good, cut);

		CHECK_INT(journal_parse(part, &j, &bad), -EBADMSG);
		free(part);
	}
}

static void check_corrupt(const char *text, unsigned int line)
{
	struct journal j;
	unsigned int bad = 0;

	CHECK_INT(journal_parse(text, &j, &bad), -EBADMSG);
	CHECK_INT(bad, line);
}

static void test_corrupt(void)
{
	check_corrupt("iommugrp-journal 2\nend\n", 1);
	check_corrupt("iommugrp-journal 1\nboot-id x\nbogus line\nend\n", 3);
	check_corrupt("iommugrp-journal 1\nboot-id x\noperation a\nend\n", 3);
	check_corrupt("iommugrp-journal 1\nboot-id x\noperation restore\ngroup x3\nend\n", 4);
	check_corrupt("iommugrp-journal 1\nboot-id x\noperation restore\ngroup 3\ndevice a b "
		      "c\nend\n",
		      5);
	/* A line twice, a device path out of sys/devices, a driver name that is a path. */
	check_corrupt("iommugrp-journal 1\nboot-id x\nboot-id x\n", 3);
	check_corrupt("iommugrp-journal 1\ndevice a sys/devices/../x - -\n", 2);
	check_corrupt("iommugrp-journal 1\ndevice a sys/devices/a ../../tmp -\n", 2);
	check_corrupt("iommugrp-journal 1\ndevice a sys/devices/a e1000 bad\\q\n", 2);
	/* "end" without the checksum before it, or every line but no device: not sealed. */
	check_corrupt("iommugrp-journal 1\nboot-id x\noperation restore\ngroup 3\nend\n", 5);
	check_corrupt("iommugrp-journal 1\nboot-id x\noperation restore\ngroup 3\ntype -\n"
		      "done 0\nchecksum 1\nend\n",
		      7);
	check_corrupt("", 1);
}

/* Overrides with separators, escapes, "-" itself, and the longest field come back as they were. */
static void test_escaped_round_trip(void)
{
	static const char *const overrides[] = { "my driver",	      "-",
						 "back\\slash",	      "tab\there",
						 "\xc3\xa9t\xc3\xa9", "\\x41" };
	struct journal j, again;
	unsigned int bad = 0;
	char *text = NULL;

	for (size_t i = 0; i < sizeof(overrides) / sizeof(overrides[0]); i++) {
		CHECK_INT(journal_parse(good, &j, &bad), 0);
		free(j.devices[1].override);
		j.devices[1].override = strdup(overrides[i]);
		CHECK_INT(journal_format(&j, &text), 0);
		CHECK_INT(journal_parse(text, &again, &bad), 0);
		CHECK_STR(again.devices[1].override, overrides[i]);
		journal_clear(&j);
		journal_clear(&again);
		free(text);
	}
}

/* One limit on both sides: the writer refuses what the reader would. */
static void test_field_limit(void)
{
	struct journal j, again;
	unsigned int bad = 0;
	char *text = NULL;

	CHECK_INT(journal_parse(good, &j, &bad), 0);
	free(j.devices[1].override);
	j.devices[1].override = malloc(JOURNAL_FIELD_MAX + 2);
	memset(j.devices[1].override, 'a', JOURNAL_FIELD_MAX);
	j.devices[1].override[JOURNAL_FIELD_MAX] = '\0';
	CHECK_INT(journal_format(&j, &text), 0);
	CHECK_INT(journal_parse(text, &again, &bad), 0);
	journal_clear(&again);
	free(text);
	strcat(j.devices[1].override, "a");
	CHECK_INT(journal_format(&j, &text), -E2BIG);
	journal_clear(&j);
}

int main(void)
{
	RUN(test_parse_good);
	RUN(test_round_trip);
	RUN(test_every_operation);
	RUN(test_truncated_everywhere);
	RUN(test_corrupt);
	RUN(test_escaped_round_trip);
	RUN(test_field_limit);
	return unit_summary();
}
