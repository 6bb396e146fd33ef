/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * list-groups [SYSROOT]: every IOMMU group with its devices and whether VFIO can take it,
 * the way a second program (a VMM, a boot-time check) uses libiommugrp: errors come back
 * as return values, problems in what was read as objects; no log function is needed.
 *
 *   cc -o list-groups list-groups.c $(pkg-config --cflags --libs libiommugrp)
 */
#include <iommugrp.h>
#include <stdio.h>
#include <string.h>

static const char *viable_word(int viable)
{
	return viable < 0 ? "unknown" : viable ? "viable" : "not viable";
}

static void print_group(struct iommugrp_group *group)
{
	struct iommugrp_device *device = NULL;
	const char *type;

	if (iommugrp_group_get_type(group, &type) < 0)
		type = "?";
	printf("group %u (%s, %s)\n", iommugrp_group_get_number(group), type,
	       viable_word(iommugrp_group_check_viable(group)));
	while ((device = iommugrp_group_device_next(group, device))) {
		const char *driver = iommugrp_device_get_driver(device);

		printf("  %s %s\n", iommugrp_device_get_name(device),
		       driver ? driver : "(no driver)");
	}
}

/* What could not be read is said, and makes the exit status 1. */
static int print_problems(const struct iommugrp_ctx *ctx)
{
	unsigned int n = iommugrp_get_problem_count(ctx);

	for (unsigned int i = 0; i < n; i++) {
		const char *message;

		iommugrp_get_problem(ctx, i, NULL, NULL, &message);
		fprintf(stderr, "list-groups: %s\n", message);
	}
	return n > 0;
}

int main(int argc, char **argv)
{
	struct iommugrp_group *group = NULL;
	struct iommugrp_ctx *ctx;
	int r, status;

	r = iommugrp_new(argc > 1 ? argv[1] : NULL, &ctx);
	if (r < 0) {
		fprintf(stderr, "list-groups: %s: %s\n", argc > 1 ? argv[1] : "/", strerror(-r));
		return 1;
	}
	r = iommugrp_scan(ctx);
	if (r < 0)
		fprintf(stderr, "list-groups: cannot list the IOMMU groups: %s\n", strerror(-r));
	else if (r == 0)
		printf("no IOMMU groups: the IOMMU is off or absent\n");
	while ((group = iommugrp_group_next(ctx, group)))
		print_group(group);
	status = print_problems(ctx) || r < 0;
	iommugrp_unref(ctx);
	return status;
}
