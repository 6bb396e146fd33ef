/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The library's contract with a second caller (issue 12): problems are readable without a log
 * function, refusals come as codes plus facts in words that name no tool's options.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "iommugrp.h"
#include "unit.h"

static const char *fixtures;

/* No log function: everything the caller learns comes from return values and objects. */
static struct iommugrp_ctx *open_fixture(const char *name)
{
	struct iommugrp_ctx *ctx = NULL;
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", fixtures, name);
	if (iommugrp_new(path, &ctx) < 0)
		return NULL;
	iommugrp_set_log_priority(ctx, 0);
	return ctx;
}

static void test_problems_without_log(void)
{
	struct iommugrp_ctx *ctx = open_fixture("malformed");
	struct iommugrp_group *g = NULL;
	const char *type = NULL, *path = NULL, *message = NULL;
	int error = 0;

	CHECK(ctx);
	CHECK_INT(iommugrp_get_problem_count(ctx), 0);
	CHECK_INT(iommugrp_group_new_from_target(ctx, "0", &g, NULL), 0);
	CHECK_INT(iommugrp_group_get_type(g, &type), -EBADMSG);
	CHECK_INT(iommugrp_group_get_type(g, &type), -EBADMSG);
	CHECK_INT(iommugrp_get_problem_count(ctx), 1); /* once, though asked twice */
	CHECK_INT(iommugrp_get_problem(ctx, 0, &error, &path, &message), 0);
	CHECK_INT(error, -EBADMSG);
	CHECK_STR(path, "/sys/kernel/iommu_groups/0/type");
	CHECK_STR(message, "/sys/kernel/iommu_groups/0/type: empty file");
	CHECK_INT(iommugrp_get_problem(ctx, 1, NULL, NULL, NULL), -ERANGE);
	iommugrp_group_unref(g);
	iommugrp_unref(ctx);
}

static void test_predicates(void)
{
	struct iommugrp_ctx *ctx = open_fixture("qemu-q35");
	struct iommugrp_group *g = NULL;
	struct iommugrp_device *d = NULL;
	enum iommugrp_vfio_state state;

	CHECK_INT(iommugrp_group_new_from_target(ctx, "00:03.0", &g, &d), 0);
	CHECK_INT(iommugrp_group_check_viable(g), 0);
	CHECK_INT(iommugrp_device_check_pci(d), 1);
	CHECK_INT(iommugrp_device_check_bridge(d), 1);
	CHECK_INT(iommugrp_device_read_vfio_state(d, &state), 0);
	CHECK_INT(state, IOMMUGRP_VFIO_BRIDGE);
	CHECK_INT(iommugrp_kernel_check_claim_patch(ctx), 0);
	iommugrp_device_unref(d);
	iommugrp_group_unref(g);
	iommugrp_unref(ctx);
	ctx = open_fixture("patched-6.1");
	CHECK_INT(iommugrp_kernel_check_claim_patch(ctx), 1);
	iommugrp_unref(ctx);
}

static void test_refusal_code_and_facts(void)
{
	struct iommugrp_group *g = NULL;
	struct iommugrp_change *change = NULL;
	const char *reason = NULL, *device = NULL;
	struct iommugrp_ctx *ctx;

	if (geteuid() != 0)
		return; /* the first refusal would be the missing privileges */
	ctx = open_fixture("host-in-use");
	CHECK_INT(iommugrp_group_new_from_target(ctx, "01:00.0", &g, NULL), 0);
	CHECK_INT(iommugrp_change_new_vfio_bind(g, 0, &change), 0);
	CHECK_INT(iommugrp_change_get_refusal(change, &reason), -EBUSY);
	CHECK_INT(iommugrp_change_get_refusal_code(change, &device),
		  IOMMUGRP_REFUSAL_HOST_NEEDS_DEVICE);
	CHECK_STR(device, "0000:01:00.0");
	CHECK(reason && strstr(reason, "is needed by the host"));
	CHECK(reason && !strstr(reason, "--force")); /* the tool's option is the tool's to name */
	iommugrp_change_unref(change);
	CHECK_INT(iommugrp_change_new_vfio_bind(g, IOMMUGRP_FORCE, &change), 0);
	CHECK_INT(iommugrp_change_get_refusal_code(change, &device), IOMMUGRP_REFUSAL_NONE);
	CHECK(device == NULL);
	iommugrp_change_unref(change);
	iommugrp_group_unref(g);
	iommugrp_unref(ctx);
}

int main(void)
{
	fixtures = getenv("IOMMUGRP_FIXTURES");
	if (!fixtures) {
		fprintf(stderr, "IOMMUGRP_FIXTURES must name the directory tests/fixtures/build filled\n");
		return 2;
	}
	RUN(test_problems_without_log);
	RUN(test_predicates);
	RUN(test_refusal_code_and_facts);
	return unit_summary();
}
