/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Resolving what a user names (group number, PCI address, device, path) to a group. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static struct iommugrp_device *group_find_device(struct iommugrp_group *group, const char *name)
{
	struct iommugrp_device *d = NULL;

	while ((d = iommugrp_group_device_next(group, d)))
		if (strcmp(d->name, name) == 0)
			return d;
	return NULL;
}

/* The group a device directory's iommu_group link points to. */
static int group_of_device_dir(struct iommugrp_ctx *ctx, const char *devdir,
			       struct iommugrp_group **ret_group)
{
	char *number_str = NULL;
	unsigned int number;
	int r;

	if (sysfs_exists(ctx, devdir) < 0)
		return -ENOENT;
	r = sysfs_link_basename(ctx, devdir, "iommu_group", &number_str);
	if (r < 0)
		return r == -ENOENT ? -ENODEV : r;
	r = parse_uint(number_str, &number);
	*ret_group = r < 0 ? NULL : ctx_find_group(ctx, number);
	if (!*ret_group) {
		char *link = strdup_printf("/%s/iommu_group", devdir);

		if (link)
			problem(ctx, -EBADMSG, link,
				"%s leads to group '%s', which is not in /sys/kernel/iommu_groups",
				link, number_str);
		free(link);
	}
	free(number_str);
	return *ret_group ? 0 : -EBADMSG;
}

static int resolve_device_dir(struct iommugrp_ctx *ctx, const char *devdir, const char *name,
			      struct iommugrp_group **ret_group, struct iommugrp_device **ret_device)
{
	struct iommugrp_group *group;
	int r;

	r = group_of_device_dir(ctx, devdir, &group);
	if (r < 0) {
		log_dbg(ctx, "/%s: %s", devdir, strerror(-r));
		return r;
	}
	*ret_device = group_find_device(group, name);
	*ret_group = group;
	return 0;
}

/* Through the bus's link to the device's own directory, so messages name the real path. */
static int resolve_pci_address(struct iommugrp_ctx *ctx, const char *address,
			       struct iommugrp_group **ret_group,
			       struct iommugrp_device **ret_device)
{
	char *devdir = NULL;
	int r;

	if (sysfs_link_target(ctx, "sys/bus/pci/devices", address, &devdir) < 0)
		return -ENOENT;
	r = resolve_device_dir(ctx, devdir, address, ret_group, ret_device);
	free(devdir);
	return r;
}

static int resolve_path(struct iommugrp_ctx *ctx, const char *target,
			struct iommugrp_group **ret_group, struct iommugrp_device **ret_device)
{
	char *rel = NULL, *slash;
	int r;

	r = path_resolve_link("", target, &rel);
	if (r < 0)
		return -EINVAL;
	/* A group's own directory names the group. */
	if (strncmp(rel, "sys/kernel/iommu_groups/", 24) == 0 && !strchr(rel + 24, '/')) {
		unsigned int number;

		r = parse_uint(rel + 24, &number);
		*ret_group = r < 0 ? NULL : ctx_find_group(ctx, number);
		free(rel);
		return *ret_group ? 0 : -ENOENT;
	}
	slash = strrchr(rel, '/');
	r = resolve_device_dir(ctx, rel, slash ? slash + 1 : rel, ret_group, ret_device);
	free(rel);
	return r;
}

static int resolve_name(struct iommugrp_ctx *ctx, const char *name,
			struct iommugrp_group **ret_group, struct iommugrp_device **ret_device)
{
	struct iommugrp_group *g = NULL;

	while ((g = iommugrp_group_next(ctx, g))) {
		struct iommugrp_device *d = group_find_device(g, name);

		if (d) {
			*ret_group = g;
			*ret_device = d;
			return 0;
		}
	}
	return -ENOENT;
}

static bool is_device_name(const char *s)
{
	return *s && s[strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:._"
				 "-")] == '\0';
}

static int resolve_target(struct iommugrp_ctx *ctx, const char *target,
			  struct iommugrp_group **ret_group, struct iommugrp_device **ret_device)
{
	char address[PCI_ADDRESS_MAX];
	unsigned int number;

	if (target[0] >= '0' && target[0] <= '9' && !strchr(target, ':')) {
		if (parse_uint(target, &number) < 0)
			return -EINVAL;
		*ret_group = ctx_find_group(ctx, number);
		return *ret_group ? 0 : -ENOENT;
	}
	if (target[0] == '/')
		return resolve_path(ctx, target, ret_group, ret_device);
	if (looks_like_pci_address(target)) {
		if (parse_pci_address(target, address) < 0)
			return -EINVAL;
		return resolve_pci_address(ctx, address, ret_group, ret_device);
	}
	if (is_device_name(target))
		return resolve_name(ctx, target, ret_group, ret_device);
	return -EINVAL;
}

EXPORT int iommugrp_group_new_from_target(struct iommugrp_ctx *ctx, const char *target,
					  struct iommugrp_group **ret_group,
					  struct iommugrp_device **ret_device)
{
	struct iommugrp_group *group = NULL;
	struct iommugrp_device *device = NULL;
	int r;

	r = iommugrp_scan(ctx);
	if (r < 0)
		return r;
	r = resolve_target(ctx, target, &group, &device);
	if (r < 0)
		return r;
	*ret_group = iommugrp_group_ref(group);
	if (ret_device)
		*ret_device = iommugrp_device_ref(device);
	return 0;
}
