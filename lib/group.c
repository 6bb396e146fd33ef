/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* IOMMU groups: enumeration, type, name, reserved regions, members. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define GROUPS_DIR "sys/kernel/iommu_groups"

struct iommugrp_group *group_new(struct iommugrp_ctx *ctx, unsigned int number)
{
	struct iommugrp_group *group = calloc(1, sizeof(*group));
	char numbuf[16];

	if (!group)
		return NULL;
	group->ctx = ctx;
	group->number = number;
	snprintf(numbuf, sizeof(numbuf), "%u", number);
	group->syspath = path_join(GROUPS_DIR, numbuf);
	group->display_syspath = group->syspath ? path_join("", group->syspath) : NULL;
	if (!group->display_syspath) {
		group_free(group);
		return NULL;
	}
	return group;
}

void group_free(struct iommugrp_group *group)
{
	if (!group)
		return;
	for (size_t i = 0; i < group->n_devices; i++)
		device_free(group->devices[i]);
	free(group->devices);
	users_free(group);
	vfio_files_free(group);
	free(group->regions);
	free(group->type);
	free(group->name);
	free(group->dma_owner);
	free(group->syspath);
	free(group->display_syspath);
	free(group);
}

static int compare_groups(const void *a, const void *b)
{
	const struct iommugrp_group *ga = *(struct iommugrp_group *const *)a;
	const struct iommugrp_group *gb = *(struct iommugrp_group *const *)b;

	return (ga->number > gb->number) - (ga->number < gb->number);
}

static int scan_groups(struct iommugrp_ctx *ctx)
{
	char **names = NULL;
	size_t count = 0;
	int r;

	r = sysfs_list_dir(ctx, GROUPS_DIR, &names, &count);
	if (r == -ENOENT) {
		log_info(ctx, "/%s does not exist: the kernel has no IOMMU API", GROUPS_DIR);
		return 0;
	}
	if (r < 0) {
		problem(ctx, r, "/" GROUPS_DIR, "cannot read /%s: %s", GROUPS_DIR, strerror(-r));
		return r;
	}
	ctx->groups = calloc(count ? count : 1, sizeof(*ctx->groups));
	if (!ctx->groups) {
		strv_free(names, count);
		return -ENOMEM;
	}
	for (size_t i = 0; i < count; i++) {
		unsigned int number;

		if (parse_uint(names[i], &number) < 0) {
			log_warn(ctx, "/%s/%s: not a group number, ignored", GROUPS_DIR, names[i]);
			continue;
		}
		ctx->groups[ctx->n_groups] = group_new(ctx, number);
		if (!ctx->groups[ctx->n_groups]) {
			strv_free(names, count);
			return -ENOMEM;
		}
		ctx->n_groups++;
	}
	strv_free(names, count);
	qsort(ctx->groups, ctx->n_groups, sizeof(*ctx->groups), compare_groups);
	return (int)ctx->n_groups;
}

EXPORT int iommugrp_scan(struct iommugrp_ctx *ctx)
{
	if (ctx->scan_result == 0) {
		int r = scan_groups(ctx);

		ctx->scan_result = r < 0 ? r : r + 1;
	}
	return ctx->scan_result < 0 ? ctx->scan_result : ctx->scan_result - 1;
}

EXPORT struct iommugrp_group *iommugrp_group_next(struct iommugrp_ctx *ctx,
						  struct iommugrp_group *prev)
{
	size_t i = 0;

	if (iommugrp_scan(ctx) <= 0)
		return NULL;
	if (prev) {
		struct iommugrp_group **slot = bsearch(&prev, ctx->groups, ctx->n_groups,
						       sizeof(*ctx->groups), compare_groups);

		if (!slot)
			return NULL;
		i = (size_t)(slot - ctx->groups) + 1;
	}
	return i < ctx->n_groups ? ctx->groups[i] : NULL;
}

struct iommugrp_group *ctx_find_group(struct iommugrp_ctx *ctx, unsigned int number)
{
	struct iommugrp_group key = { .number = number }, *keyp = &key, **slot;

	if (iommugrp_scan(ctx) <= 0)
		return NULL;
	slot = bsearch(&keyp, ctx->groups, ctx->n_groups, sizeof(*ctx->groups), compare_groups);
	return slot ? *slot : NULL;
}

/* Groups and devices live as long as their context: a reference pins the context. */
EXPORT struct iommugrp_group *iommugrp_group_ref(struct iommugrp_group *group)
{
	if (group)
		iommugrp_ref(group->ctx);
	return group;
}

EXPORT struct iommugrp_group *iommugrp_group_unref(struct iommugrp_group *group)
{
	if (group)
		iommugrp_unref(group->ctx);
	return NULL;
}

EXPORT unsigned int iommugrp_group_get_number(const struct iommugrp_group *group)
{
	return group->number;
}

EXPORT const char *iommugrp_group_get_syspath(const struct iommugrp_group *group)
{
	return group->display_syspath;
}

static void load_type(struct iommugrp_group *group)
{
	struct iommugrp_ctx *ctx = group->ctx;
	int r;

	group->loaded_type = 1;
	r = sysfs_read_attr(ctx, group->syspath, "type", &group->type);
	if (r == -ENOENT) {
		group->type_err = r;
		return;
	}
	if (r < 0) {
		file_problem(ctx, r, group->display_syspath, "type", "%s", strerror(-r));
		group->type_err = r;
		return;
	}
	if (!is_known_group_type(group->type)) {
		if (r == 0)
			file_problem(ctx, -EBADMSG, group->display_syspath, "type", "empty file");
		else
			file_problem(ctx, -EBADMSG, group->display_syspath, "type",
				     "unknown domain type '%s'", group->type);
		group->type_err = -EBADMSG;
	}
}

EXPORT int iommugrp_group_get_type(struct iommugrp_group *group, const char **ret_type)
{
	if (!group->loaded_type)
		load_type(group);
	if (group->type_err < 0)
		return group->type_err;
	*ret_type = group->type;
	return 0;
}

EXPORT const char *iommugrp_group_get_name(struct iommugrp_group *group)
{
	if (!group->loaded_name) {
		group->loaded_name = 1;
		if (sysfs_read_attr(group->ctx, group->syspath, "name", &group->name) < 0)
			group->name = NULL;
	}
	return group->name;
}

EXPORT const char *iommugrp_group_get_dma_owner(struct iommugrp_group *group)
{
	if (!group->loaded_dma_owner) {
		int r = sysfs_read_attr(group->ctx, group->syspath, "dma_owner", &group->dma_owner);

		group->loaded_dma_owner = 1;
		group->dma_owner_err = r < 0 && r != -ENOENT ? r : 0;
		if (group->dma_owner_err < 0)
			file_problem(group->ctx, r, group->display_syspath, "dma_owner", "%s",
				     strerror(-r));
		if (r <= 0) {
			free(group->dma_owner);
			group->dma_owner = NULL;
		}
	}
	return group->dma_owner;
}

static void load_regions(struct iommugrp_group *group)
{
	struct iommugrp_ctx *ctx = group->ctx;
	unsigned int bad_line = 0;
	char *text = NULL;
	int r;

	group->loaded_regions = 1;
	r = sysfs_read_attr(ctx, group->syspath, "reserved_regions", &text);
	if (r < 0) {
		file_problem(ctx, r, group->display_syspath, "reserved_regions", "%s", strerror(-r));
		group->regions_err = r;
		return;
	}
	r = parse_regions(text, &group->regions, &group->n_regions, &bad_line);
	if (r == -EBADMSG) {
		const char *line = nth_line(text, bad_line);
		int len = (int)strcspn(line, "\n");

		file_problem(ctx, r, group->display_syspath, "reserved_regions",
			     "line %u is not 'start end type': '%.*s' (skipped)", bad_line,
			     len > 80 ? 80 : len, line);
	}
	/* Bad lines were logged and skipped; the good regions still count. */
	group->regions_err = r == -EBADMSG ? 0 : r;
	free(text);
}

EXPORT int iommugrp_group_get_region_count(struct iommugrp_group *group)
{
	if (!group->loaded_regions)
		load_regions(group);
	return group->regions_err < 0 ? group->regions_err : (int)group->n_regions;
}

EXPORT int iommugrp_group_get_region(struct iommugrp_group *group, unsigned int index,
				     uint64_t *ret_start, uint64_t *ret_end,
				     enum iommugrp_region_type *ret_type)
{
	int n = iommugrp_group_get_region_count(group);

	if (n < 0)
		return n;
	if (index >= (unsigned int)n)
		return -ERANGE;
	*ret_start = group->regions[index].start;
	*ret_end = group->regions[index].end;
	*ret_type = group->regions[index].type;
	return 0;
}

static int compare_devices(const void *a, const void *b)
{
	return strcmp((*(struct iommugrp_device *const *)a)->name,
		      (*(struct iommugrp_device *const *)b)->name);
}

/*
 * A member's subsystem link, read now, says the device is there (no faccessat
 * per device) and is read for every listing anyway. Without one, the old test.
 */
static bool member_exists(struct iommugrp_ctx *ctx, const char *syspath, char **ret_subsystem)
{
	if (sysfs_link_basename(ctx, syspath, "subsystem", ret_subsystem) == 0)
		return true;
	*ret_subsystem = NULL;
	return sysfs_exists(ctx, syspath) == 0;
}

static int add_member(struct iommugrp_group *group, const char *devdir, const char *name)
{
	struct iommugrp_ctx *ctx = group->ctx;
	char *syspath = NULL, *subsystem = NULL;
	int r;

	r = sysfs_link_target(ctx, devdir, name, &syspath);
	if (r < 0 || !member_exists(ctx, syspath, &subsystem)) {
		char *link = strdup_printf("%s/devices/%s", group->display_syspath, name);

		if (link)
			problem(ctx, r < 0 ? r : -ENOENT, link,
				"%s: link does not lead to a device (%s)", link,
				strerror(r < 0 ? -r : ENOENT));
		free(link);
		free(syspath);
		return 0; /* one broken link must not hide the other members */
	}
	group->devices[group->n_devices] = device_new(group, name, syspath);
	free(syspath);
	if (!group->devices[group->n_devices]) {
		free(subsystem);
		return -ENOMEM;
	}
	if (subsystem) {
		group->devices[group->n_devices]->subsystem = subsystem;
		group->devices[group->n_devices]->loaded_subsystem = 1;
	}
	group->n_devices++;
	return 0;
}

static void load_devices(struct iommugrp_group *group)
{
	struct iommugrp_ctx *ctx = group->ctx;
	char *devdir = path_join(group->syspath, "devices");
	char **names = NULL;
	size_t count = 0;
	int r;

	group->loaded_devices = 1;
	r = devdir ? sysfs_list_dir(ctx, devdir, &names, &count) : -ENOMEM;
	if (r < 0) {
		file_problem(ctx, r, group->display_syspath, "devices", "%s", strerror(-r));
		group->devices_err = r;
		free(devdir);
		return;
	}
	group->devices = calloc(count ? count : 1, sizeof(*group->devices));
	r = group->devices ? 0 : -ENOMEM;
	for (size_t i = 0; r == 0 && i < count; i++)
		r = add_member(group, devdir, names[i]);
	group->devices_err = r;
	qsort(group->devices, group->n_devices, sizeof(*group->devices), compare_devices);
	for (size_t i = 0; i < group->n_devices; i++)
		group->devices[i]->index = i;
	strv_free(names, count);
	free(devdir);
}

EXPORT int iommugrp_group_get_device_count(struct iommugrp_group *group)
{
	if (!group->loaded_devices)
		load_devices(group);
	return group->devices_err < 0 ? group->devices_err : (int)group->n_devices;
}

EXPORT struct iommugrp_device *iommugrp_group_device_next(struct iommugrp_group *group,
							  struct iommugrp_device *prev)
{
	size_t i = 0;

	if (iommugrp_group_get_device_count(group) <= 0)
		return NULL;
	/* Each device knows its place: walking a group is linear, not quadratic. */
	if (prev) {
		if (prev->group != group || prev->index >= group->n_devices ||
		    group->devices[prev->index] != prev)
			return NULL;
		i = prev->index + 1;
	}
	return i < group->n_devices ? group->devices[i] : NULL;
}

EXPORT int iommugrp_group_check_viable(struct iommugrp_group *group)
{
	struct iommugrp_device *d = NULL;
	int r = iommugrp_group_get_device_count(group);

	if (r < 0)
		return r;
	while ((d = iommugrp_group_device_next(group, d))) {
		enum iommugrp_vfio_state state;

		r = iommugrp_device_read_vfio_state(d, &state);
		if (r < 0)
			return r;
		if (state == IOMMUGRP_VFIO_KERNEL_DRIVER)
			return 0;
	}
	return 1;
}

/* Where viability cannot be read, the group is taken as not viable. */
EXPORT bool iommugrp_group_is_viable(struct iommugrp_group *group)
{
	return iommugrp_group_check_viable(group) == 1;
}

void group_forget_state(struct iommugrp_group *group)
{
	free(group->type);
	group->type = NULL;
	group->type_err = 0;
	group->loaded_type = 0;
	free(group->dma_owner);
	group->dma_owner = NULL;
	group->dma_owner_err = 0;
	group->loaded_dma_owner = 0;
	users_free(group);
	users_forget_scan(group->ctx); /* a change may have moved who holds what */
	for (size_t i = 0; i < group->n_devices; i++)
		device_forget_state(group->devices[i]);
}
