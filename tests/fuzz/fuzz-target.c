/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Target resolution (lib/target.c): any string as the TARGET of show, set-policy or vfio-bind,
 * against a small sysroot made once (group 0 with 0000:00:02.0, reachable by number, address,
 * name and sysfs path). It resolves to a group of that tree or fails with a negative errno;
 * never a crash, and never a group outside the tree.
 */
#include <ftw.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"
#include "iommugrp.h"

static struct iommugrp_ctx *ctx;
static char root[] = "/tmp/iommugrp-fuzz-target.XXXXXX";

int LLVMFuzzerInitialize(int *argc, char ***argv);

static void must(int ok)
{
	if (!ok) {
		perror("fuzz-target: making the sysroot");
		abort();
	}
}

static void make_tree(const char *top)
{
	static const char *const dirs[] = {
		"sys",
		"sys/kernel",
		"sys/kernel/iommu_groups",
		"sys/kernel/iommu_groups/0",
		"sys/kernel/iommu_groups/0/devices",
		"sys/devices",
		"sys/devices/pci0000:00",
		"sys/devices/pci0000:00/0000:00:02.0",
		"sys/bus",
		"sys/bus/pci",
		"sys/bus/pci/devices",
	};
	char path[4096];

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", top, dirs[i]);
		must(mkdir(path, 0755) == 0);
	}
	snprintf(path, sizeof(path), "%s/sys/kernel/iommu_groups/0/devices/0000:00:02.0", root);
	must(symlink("../../../../devices/pci0000:00/0000:00:02.0", path) == 0);
	snprintf(path, sizeof(path), "%s/sys/devices/pci0000:00/0000:00:02.0/iommu_group", root);
	must(symlink("../../../kernel/iommu_groups/0", path) == 0);
	snprintf(path, sizeof(path), "%s/sys/bus/pci/devices/0000:00:02.0", root);
	must(symlink("../../../devices/pci0000:00/0000:00:02.0", path) == 0);
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	return remove(path) < 0 ? 0 : 0;
}

static void remove_tree(void)
{
	nftw(root, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	must(mkdtemp(root) != NULL);
	atexit(remove_tree);
	make_tree(root);
	must(iommugrp_new(root, &ctx) == 0);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct iommugrp_group *group = NULL;
	struct iommugrp_device *device = NULL;
	char *text = fuzz_text(data, size);
	int r = iommugrp_group_new_from_target(ctx, text, &group, &device);

	FUZZ_ASSERT(r <= 0);
	if (r == 0) {
		FUZZ_ASSERT(iommugrp_group_get_number(group) == 0);
		iommugrp_device_unref(device);
		iommugrp_group_unref(group);
	}
	free(text);
	return 0;
}
