/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The object model on fixture trees: contexts, groups, devices, targets, kernel facts. */
#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "iommugrp.h"
#include "unit.h"

static const char *fixtures;
static int logged_errors;

/* The library's objects are linked in, so this strdup is theirs: it fails for one string. */
static const char *strdup_fails_for;

char *strdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *copy;

	if (strdup_fails_for && strcmp(s, strdup_fails_for) == 0) {
		errno = ENOMEM;
		return NULL;
	}
	copy = malloc(n);
	return copy ? memcpy(copy, s, n) : NULL;
}

static void count_errors(void *data, int priority, const char *file, int line, const char *fn,
			 const char *format, va_list args)
{
	(void)data, (void)file, (void)line, (void)fn, (void)format, (void)args;
	if (priority <= 3)
		logged_errors++;
}

static struct iommugrp_ctx *open_fixture(const char *name)
{
	struct iommugrp_ctx *ctx = NULL;
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", fixtures, name);
	if (iommugrp_new(path, &ctx) < 0)
		return NULL;
	logged_errors = 0;
	iommugrp_set_log_fn(ctx, count_errors, NULL);
	return ctx;
}

static void test_context(void)
{
	struct iommugrp_ctx *ctx = NULL;

	CHECK_INT(iommugrp_new("/nonexistent/sysroot", &ctx), -ENOENT);
	CHECK_INT(iommugrp_new(NULL, &ctx), 0);
	CHECK_STR(iommugrp_get_sysroot(ctx), "/");
	CHECK(iommugrp_unref(ctx) == NULL);
	CHECK(iommugrp_unref(NULL) == NULL);
	CHECK(iommugrp_group_unref(NULL) == NULL);
	CHECK(iommugrp_device_unref(NULL) == NULL);
}

static void test_scan_order(void)
{
	struct iommugrp_ctx *ctx = open_fixture("many-groups");
	struct iommugrp_group *g = NULL;
	unsigned int expected = 0;

	CHECK(ctx);
	CHECK_INT(iommugrp_scan(ctx), 13);
	CHECK_INT(iommugrp_scan(ctx), 13); /* cached */
	while ((g = iommugrp_group_next(ctx, g)))
		CHECK_INT(iommugrp_group_get_number(g), expected++);
	CHECK_INT(expected, 13);
	iommugrp_unref(ctx);
}

static void test_no_iommu(void)
{
	struct iommugrp_ctx *ctx = open_fixture("no-iommu");

	CHECK_INT(iommugrp_scan(ctx), 0);
	CHECK(iommugrp_group_next(ctx, NULL) == NULL);
	iommugrp_unref(ctx);
	ctx = open_fixture("no-iommu-sysfs");
	CHECK_INT(iommugrp_scan(ctx), 0);
	CHECK_INT(logged_errors, 0);
	iommugrp_unref(ctx);
}

static void test_group_reference_outlives_context_ref(void)
{
	struct iommugrp_ctx *ctx = open_fixture("qemu-q35");
	struct iommugrp_group *g = NULL;
	const char *type = NULL;

	CHECK_INT(iommugrp_group_new_from_target(ctx, "2", &g, NULL), 0);
	iommugrp_unref(ctx); /* the group's reference keeps the context */
	CHECK_INT(iommugrp_group_get_number(g), 2);
	CHECK_INT(iommugrp_group_get_type(g, &type), 0);
	CHECK_STR(type, "DMA-FQ");
	CHECK(iommugrp_group_unref(g) == NULL);
}

static void test_targets(void)
{
	struct iommugrp_ctx *ctx = open_fixture("qemu-q35");
	struct iommugrp_group *g = NULL;
	struct iommugrp_device *d = NULL;

	CHECK_INT(iommugrp_group_new_from_target(ctx, "3", &g, &d), 0);
	CHECK(d == NULL);
	g = iommugrp_group_unref(g);
	CHECK_INT(iommugrp_group_new_from_target(ctx, "01:02.0", &g, &d), 0);
	CHECK_INT(iommugrp_group_get_number(g), 3);
	CHECK_STR(iommugrp_device_get_name(d), "0000:01:02.0");
	g = iommugrp_group_unref(g);
	d = iommugrp_device_unref(d);
	CHECK_INT(iommugrp_group_new_from_target(ctx, "/sys/bus/pci/devices/0000:00:02.0", &g, &d),
		  0);
	CHECK_INT(iommugrp_group_get_number(g), 2);
	CHECK_STR(iommugrp_device_get_syspath(d), "/sys/devices/pci0000:00/0000:00:02.0");
	g = iommugrp_group_unref(g);
	d = iommugrp_device_unref(d);
	CHECK_INT(iommugrp_group_new_from_target(ctx, "0000:00:1f.3", &g, &d), 0);
	CHECK_INT(iommugrp_group_get_number(g), 4);
	g = iommugrp_group_unref(g);
	d = iommugrp_device_unref(d);
	CHECK_INT(iommugrp_group_new_from_target(ctx, "99", &g, NULL), -ENOENT);
	CHECK_INT(iommugrp_group_new_from_target(ctx, "05:00.0", &g, NULL), -ENOENT);
	CHECK_INT(iommugrp_group_new_from_target(ctx, "00:00.8", &g, NULL), -EINVAL);
	CHECK_INT(iommugrp_group_new_from_target(ctx, "3x", &g, NULL), -EINVAL);
	CHECK_INT(iommugrp_group_new_from_target(ctx, "a b", &g, NULL), -EINVAL);
	CHECK_INT(iommugrp_group_new_from_target(ctx, "/sys/devices/nonexistent", &g, NULL),
		  -ENOENT);
	iommugrp_unref(ctx);
}

static void test_devices(void)
{
	struct iommugrp_ctx *ctx = open_fixture("qemu-q35");
	struct iommugrp_group *g = NULL;
	struct iommugrp_device *d = NULL;
	uint16_t vendor = 0, device = 0;
	uint32_t class_code = 0;

	CHECK_INT(iommugrp_group_new_from_target(ctx, "3", &g, NULL), 0);
	CHECK_INT(iommugrp_group_get_device_count(g), 3);
	CHECK(!iommugrp_group_is_viable(g));
	d = iommugrp_group_device_next(g, NULL);
	CHECK_STR(iommugrp_device_get_name(d), "0000:00:03.0");
	CHECK(iommugrp_device_is_bridge(d));
	CHECK_INT(iommugrp_device_get_vfio_state(d), IOMMUGRP_VFIO_BRIDGE);
	d = iommugrp_group_device_next(g, d);
	CHECK_STR(iommugrp_device_get_name(d), "0000:01:01.0");
	CHECK_STR(iommugrp_device_get_subsystem(d), "pci");
	CHECK_STR(iommugrp_device_get_driver(d), "e1000");
	CHECK(iommugrp_device_get_driver_override(d) == NULL);
	CHECK(!iommugrp_device_is_bridge(d));
	CHECK_INT(iommugrp_device_get_vfio_state(d), IOMMUGRP_VFIO_KERNEL_DRIVER);
	CHECK_INT(iommugrp_device_get_pci_ids(d, &vendor, &device, &class_code), 0);
	CHECK(vendor == 0x8086 && device == 0x100e && class_code == 0x020000);
	CHECK(iommugrp_group_device_next(g, iommugrp_group_device_next(g, d)) == NULL);
	iommugrp_group_unref(g);
	iommugrp_unref(ctx);
}

static void test_vfio_group(void)
{
	struct iommugrp_ctx *ctx = open_fixture("many-groups");
	struct iommugrp_group *g = NULL;
	struct iommugrp_device *d = NULL;

	CHECK_INT(iommugrp_group_new_from_target(ctx, "11", &g, NULL), 0);
	CHECK(iommugrp_group_is_viable(g));
	while ((d = iommugrp_group_device_next(g, d))) {
		CHECK_STR(iommugrp_device_get_driver(d), "vfio-pci");
		CHECK_STR(iommugrp_device_get_driver_override(d), "vfio-pci");
		CHECK_INT(iommugrp_device_get_vfio_state(d), IOMMUGRP_VFIO_MANAGED_DMA);
	}
	iommugrp_group_unref(g);
	iommugrp_unref(ctx);
}

/* One list of a group's VFIO files (vfio-files.c): the public call names them, the users'
 * scan matches /proc against them. A vfio-noiommu group's node is /dev/vfio/noiommu-N. */
static void test_vfio_files(void)
{
	struct iommugrp_ctx *ctx = open_fixture("many-groups");
	struct iommugrp_group *g = NULL;
	const char *const *files = NULL;
	const char *command = NULL, *file = NULL;
	unsigned int pid = 0;

	CHECK_INT(iommugrp_group_new_from_target(ctx, "11", &g, NULL), 0);
	CHECK_INT(iommugrp_group_get_vfio_files(g, &files), 3);
	CHECK_STR(files[0], "/dev/vfio/11");
	CHECK_STR(files[1], "/dev/vfio/devices/vfio0");
	CHECK_STR(files[2], "/dev/vfio/devices/vfio1");
	iommugrp_group_unref(g);
	iommugrp_unref(ctx);

	ctx = open_fixture("regions");
	CHECK_INT(iommugrp_group_new_from_target(ctx, "8", &g, NULL), 0);
	CHECK_INT(iommugrp_group_get_vfio_files(g, &files), 1);
	CHECK_STR(files[0], "/dev/vfio/noiommu-8");
	CHECK_INT(iommugrp_group_get_user_count(g), 1);
	CHECK_INT(iommugrp_group_get_user(g, 0, &pid, &command, &file), 0);
	CHECK_INT(pid, 3100);
	CHECK_STR(file, "/dev/vfio/noiommu-8");
	iommugrp_group_unref(g);
	iommugrp_unref(ctx);
}

static void test_non_pci_member(void)
{
	struct iommugrp_ctx *ctx = open_fixture("nonpci");
	struct iommugrp_group *g = NULL;
	int platform_members = 0;

	while ((g = iommugrp_group_next(ctx, g))) {
		struct iommugrp_device *d = NULL;

		while ((d = iommugrp_group_device_next(g, d))) {
			if (iommugrp_device_is_pci(d))
				continue;
			platform_members++;
			CHECK_INT(iommugrp_device_get_pci_ids(d, NULL, NULL, NULL), -ENODATA);
			CHECK(!iommugrp_device_is_bridge(d));
		}
	}
	CHECK(platform_members >= 2);
	CHECK_INT(logged_errors, 0);
	iommugrp_unref(ctx);
}

static void test_sriov(void)
{
	struct iommugrp_ctx *ctx = open_fixture("sriov");
	struct iommugrp_group *g = NULL;
	int pfs_with_vfs = 0;

	while ((g = iommugrp_group_next(ctx, g))) {
		struct iommugrp_device *d = NULL;

		while ((d = iommugrp_group_device_next(g, d)))
			pfs_with_vfs += iommugrp_device_get_sriov_numvfs(d) > 0;
	}
	CHECK_INT(pfs_with_vfs, 1);
	iommugrp_unref(ctx);
}

static void test_regions(void)
{
	struct iommugrp_ctx *ctx = open_fixture("regions");
	struct iommugrp_group *g = NULL;
	int seen[4] = { 0 };

	while ((g = iommugrp_group_next(ctx, g))) {
		int n = iommugrp_group_get_region_count(g);

		CHECK(n >= 0);
		for (int i = 0; i < n; i++) {
			enum iommugrp_region_type type;
			uint64_t start, end;

			CHECK_INT(iommugrp_group_get_region(g, (unsigned)i, &start, &end, &type), 0);
			CHECK(end >= start);
			seen[type]++;
		}
		CHECK_INT(iommugrp_group_get_region(g, (unsigned)n, NULL, NULL, NULL), -ERANGE);
	}
	for (int t = 0; t < 4; t++)
		CHECK(seen[t] > 0);
	CHECK_INT(logged_errors, 0);
	iommugrp_unref(ctx);
}

static void test_kernel_facts(void)
{
	struct iommugrp_ctx *ctx = open_fixture("qemu-q35");
	enum iommugrp_type_rules rules;
	enum iommugrp_module_state state;
	enum iommugrp_policy policy;
	const char *release = NULL, *source = NULL;
	const char *const *units = NULL;

	CHECK_INT(iommugrp_kernel_get_release(ctx, &release), 0);
	CHECK_STR(release, "6.1.0-27-amd64");
	CHECK_INT(iommugrp_kernel_get_type_rules(ctx, &rules), 0);
	CHECK_INT(rules, IOMMUGRP_RULES_SINGLE_DEVICE);
	CHECK_INT(iommugrp_kernel_get_boot_policy(ctx, &policy, &source), 0);
	CHECK_INT(policy, IOMMUGRP_POLICY_DMA_FQ);
	CHECK_STR(source, "CONFIG_IOMMU_DEFAULT_DMA_LAZY=y");
	CHECK_INT(iommugrp_kernel_get_iommu_units(ctx, &units), 1);
	CHECK_STR(units[0], "dmar0");
	CHECK_INT(iommugrp_vfio_pci_get_state(ctx, &state), 0);
	CHECK_INT(state, IOMMUGRP_MODULE_LOADABLE);
	iommugrp_unref(ctx);

	ctx = open_fixture("many-groups");
	CHECK_INT(iommugrp_kernel_get_type_rules(ctx, &rules), 0);
	CHECK_INT(rules, IOMMUGRP_RULES_CLAIM_BASED);
	CHECK_INT(iommugrp_kernel_get_boot_policy(ctx, &policy, &source), 0);
	CHECK_INT(policy, IOMMUGRP_POLICY_IDENTITY);
	CHECK_STR(source, "iommu=pt");
	CHECK_INT(iommugrp_vfio_pci_get_state(ctx, &state), 0);
	CHECK_INT(state, IOMMUGRP_MODULE_LOADED);
	iommugrp_unref(ctx);

	ctx = open_fixture("old-kernel");
	CHECK_INT(iommugrp_kernel_get_type_rules(ctx, &rules), 0);
	CHECK_INT(rules, IOMMUGRP_RULES_NONE);
	iommugrp_unref(ctx);
}

/* Outputs are untouched on failure (iommugrp.h): the boot policy failing to keep its source. */
static void test_outputs_untouched_on_failure(void)
{
	struct iommugrp_ctx *ctx = open_fixture("many-groups");
	enum iommugrp_policy policy = IOMMUGRP_POLICY_DMA;
	const char *source = "before";

	strdup_fails_for = "iommu=pt";
	CHECK_INT(iommugrp_kernel_get_boot_policy(ctx, &policy, &source), -ENOMEM);
	strdup_fails_for = NULL;
	CHECK_INT(policy, IOMMUGRP_POLICY_DMA);
	CHECK_STR(source, "before");
	CHECK_INT(iommugrp_kernel_get_boot_policy(ctx, &policy, &source), 0);
	CHECK_INT(policy, IOMMUGRP_POLICY_IDENTITY);
	CHECK_STR(source, "iommu=pt");
	iommugrp_unref(ctx);
}

/* The interrupted operations of a sysroot whose /run/iommugrp anyone may write: -EPERM, and the
 * caller's pointer as it was. */
static void test_interrupted_untouched_on_failure(void)
{
	char top[] = "/tmp/iommugrp-objects-XXXXXX", path[4200];
	struct iommugrp_ctx *ctx = NULL;
	unsigned int before = 7, *groups = &before;

	CHECK(mkdtemp(top) != NULL);
	snprintf(path, sizeof(path), "%s/run", top);
	CHECK_INT(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/run/iommugrp", top);
	CHECK_INT(mkdir(path, 0700), 0);
	CHECK_INT(chmod(path, 0777), 0);
	CHECK_INT(iommugrp_new(top, &ctx), 0);
	iommugrp_set_log_fn(ctx, count_errors, NULL);
	CHECK_INT(iommugrp_get_interrupted(ctx, &groups), -EPERM);
	CHECK(groups == &before);
	CHECK_INT(iommugrp_get_running(ctx, &groups), -EPERM);
	CHECK(groups == &before);
	iommugrp_unref(ctx);
	CHECK_INT(rmdir(path), 0);
	snprintf(path, sizeof(path), "%s/run", top);
	CHECK_INT(rmdir(path), 0);
	CHECK_INT(rmdir(top), 0);
}

static void test_old_kernel_without_type(void)
{
	struct iommugrp_ctx *ctx = open_fixture("old-kernel-4.19");
	struct iommugrp_group *g = iommugrp_group_next(ctx, NULL);
	const char *type = NULL;

	CHECK(g != NULL);
	if (g)
		CHECK_INT(iommugrp_group_get_type(g, &type), -ENOENT);
	CHECK_INT(logged_errors, 0);
	iommugrp_unref(ctx);
}

/*
 * Issue 12's contract, as a second caller meets it: no log function, so everything it learns
 * comes from return values and objects (problems, predicates, refusal codes).
 */
static struct iommugrp_ctx *open_fixture_without_log(const char *name)
{
	struct iommugrp_ctx *ctx = open_fixture(name);

	if (ctx)
		iommugrp_set_log_fn(ctx, NULL, NULL);
	return ctx;
}

static void test_problems_without_log(void)
{
	struct iommugrp_ctx *ctx = open_fixture_without_log("malformed");
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
	struct iommugrp_ctx *ctx = open_fixture_without_log("qemu-q35");
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
	ctx = open_fixture_without_log("patched-6.1");
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
	ctx = open_fixture_without_log("host-in-use");
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
		fprintf(stderr, "IOMMUGRP_FIXTURES must name the directory tests/fixtures/build "
				"filled\n");
		return 2;
	}
	RUN(test_context);
	RUN(test_scan_order);
	RUN(test_no_iommu);
	RUN(test_group_reference_outlives_context_ref);
	RUN(test_targets);
	RUN(test_devices);
	RUN(test_vfio_group);
	RUN(test_vfio_files);
	RUN(test_non_pci_member);
	RUN(test_sriov);
	RUN(test_regions);
	RUN(test_kernel_facts);
	RUN(test_outputs_untouched_on_failure);
	RUN(test_interrupted_untouched_on_failure);
	RUN(test_old_kernel_without_type);
	RUN(test_problems_without_log);
	RUN(test_predicates);
	RUN(test_refusal_code_and_facts);
	return unit_summary();
}
