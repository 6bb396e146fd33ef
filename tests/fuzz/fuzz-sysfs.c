/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The parsers of what sysfs shows (lib/parse.c): reserved_regions, one region line, PCI
 * addresses, hex ids, numbers, link targets resolved against a directory, kernel releases.
 * The first byte picks the parser; results are checked for the invariants callers rely on.
 */
#include "fuzz.h"
#include "internal.h"

static void regions(const char *text)
{
	struct iommugrp_region *r = NULL;
	size_t count = 0;
	unsigned int bad = 0;

	if (parse_regions(text, &r, &count, &bad) == 0)
		for (size_t i = 0; i < count; i++)
			FUZZ_ASSERT(r[i].start <= r[i].end);
	free(r);
}

static void pci_address(const char *text)
{
	char canonical[PCI_ADDRESS_MAX], again[PCI_ADDRESS_MAX];

	if (parse_pci_address(text, canonical) == 0) {
		/* DDDD:BB:DD.F, the domain as the kernel prints it: at least 4 digits, up to 8
		 * (VMD domains are 10000 and up) */
		FUZZ_ASSERT(strlen(canonical) >= 12 && strlen(canonical) <= 16);
		FUZZ_ASSERT(parse_pci_address(canonical, again) == 0 && !strcmp(canonical, again));
	}
}

/* A link read in a device directory resolves to a normalized path below the sysroot. */
static void link_target(const char *text)
{
	char *path = NULL;

	if (path_resolve_link("sys/devices/pci0000:00/0000:00:02.0", text, &path) == 0) {
		FUZZ_ASSERT(path[0] != '/' && strncmp(path, "../", 3) != 0 && strcmp(path, ".."));
		FUZZ_ASSERT(!strstr(path, "/../") && !strstr(path, "//"));
	}
	free(path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct iommugrp_region region;
	unsigned int major, minor, n;
	uint32_t value;
	char *text;

	if (size == 0)
		return 0;
	text = fuzz_text(data + 1, size - 1);
	switch (data[0] % 8) {
	case 0:
		regions(text);
		break;
	case 1:
		if (parse_region_line(text, &region) == 0)
			FUZZ_ASSERT(region.start <= region.end);
		break;
	case 2:
		pci_address(text);
		break;
	case 3:
		if (parse_hex_u32(text, 0xffff, &value) == 0)
			FUZZ_ASSERT(value <= 0xffff);
		break;
	case 4:
		parse_uint(text, &n);
		break;
	case 5:
		link_target(text);
		break;
	case 6:
		/* /proc/locks: any text, against the device and inode a seed names */
		proc_locks_has_flock(text, 0xfe, 0, 10953173);
		break;
	default:
		parse_kernel_version(text, &major, &minor);
		nth_line(text, data[0] / 8);
		break;
	}
	free(text);
	return 0;
}
