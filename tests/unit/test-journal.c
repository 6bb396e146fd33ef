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
	check_corrupt("iommugrp-journal 1\nboot-id x\noperation a\ngroup x3\nend\n", 4);
	check_corrupt("iommugrp-journal 1\nboot-id x\noperation a\ngroup 3\ndevice a b c\nend\n", 5);
	check_corrupt("iommugrp-journal 1\nboot-id x\noperation a\ngroup 3\nend\nextra\n", 6);
	/* Well-formed lines but no device: nothing to restore to. */
	check_corrupt("iommugrp-journal 1\nboot-id x\noperation a\ngroup 3\nend\n", 6);
	check_corrupt("", 1);
}

int main(void)
{
	RUN(test_parse_good);
	RUN(test_round_trip);
	RUN(test_truncated_everywhere);
	RUN(test_corrupt);
	return unit_summary();
}
