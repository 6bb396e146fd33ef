/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Group members: identity, driver, override, bridge and VFIO viability. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct iommugrp_device *device_new(struct iommugrp_group *group, const char *name,
				   const char *syspath)
{
	struct iommugrp_device *device = calloc(1, sizeof(*device));

	if (!device)
		return NULL;
	device->group = group;
	device->name = strdup(name);
	device->syspath = strdup(syspath);
	device->display_syspath = path_join("", syspath);
	if (!device->name || !device->syspath || !device->display_syspath) {
		device_free(device);
		return NULL;
	}
	return device;
}

void device_free(struct iommugrp_device *device)
{
	if (!device)
		return;
	free(device->name);
	free(device->syspath);
	free(device->display_syspath);
	free(device->subsystem);
	free(device->driver);
	free(device->driver_override);
	free(device->vendor_name);
	free(device->model_name);
	free(device->class_name);
	free(device->host_use);
	free(device);
}

EXPORT struct iommugrp_device *iommugrp_device_ref(struct iommugrp_device *device)
{
	if (device)
		iommugrp_ref(device->group->ctx);
	return device;
}

EXPORT struct iommugrp_device *iommugrp_device_unref(struct iommugrp_device *device)
{
	if (device)
		iommugrp_unref(device->group->ctx);
	return NULL;
}

EXPORT struct iommugrp_group *iommugrp_device_get_group(struct iommugrp_device *device)
{
	return device->group;
}

EXPORT const char *iommugrp_device_get_name(const struct iommugrp_device *device)
{
	return device->name;
}

EXPORT const char *iommugrp_device_get_syspath(const struct iommugrp_device *device)
{
	return device->display_syspath;
}

/* A link's basename; 0 with NULL when the link is absent, -errno when it cannot be read. */
static int read_link_name(struct iommugrp_device *device, const char *link, char **ret_name)
{
	int r = sysfs_link_basename(device->group->ctx, device->syspath, link, ret_name);

	if (r == -ENOENT) {
		*ret_name = NULL;
		return 0;
	}
	if (r < 0) {
		*ret_name = NULL;
		file_problem(device->group->ctx, r, device->display_syspath, link, "%s",
			     strerror(-r));
	}
	return r;
}

static int load_subsystem(struct iommugrp_device *device)
{
	if (!device->loaded_subsystem) {
		device->loaded_subsystem = 1;
		device->subsystem_err = read_link_name(device, "subsystem", &device->subsystem);
	}
	return device->subsystem_err;
}

EXPORT const char *iommugrp_device_get_subsystem(struct iommugrp_device *device)
{
	load_subsystem(device);
	return device->subsystem;
}

EXPORT int iommugrp_device_check_pci(struct iommugrp_device *device)
{
	int r = load_subsystem(device);

	if (r < 0)
		return r;
	return device->subsystem && strcmp(device->subsystem, "pci") == 0;
}

EXPORT bool iommugrp_device_is_pci(struct iommugrp_device *device)
{
	return iommugrp_device_check_pci(device) == 1;
}

static int load_driver(struct iommugrp_device *device)
{
	if (!device->loaded_driver) {
		device->loaded_driver = 1;
		device->driver_err = read_link_name(device, "driver", &device->driver);
	}
	return device->driver_err;
}

EXPORT const char *iommugrp_device_get_driver(struct iommugrp_device *device)
{
	load_driver(device);
	return device->driver;
}

char *device_read_override_file(const struct iommugrp_ctx *ctx, const char *devpath,
				bool *ret_exists)
{
	char *value = NULL;
	int r = sysfs_read_attr(ctx, devpath, "driver_override", &value);

	if (ret_exists)
		*ret_exists = r >= 0;
	/* The kernel prints "(null)" when no override is set. */
	if (r <= 0 || strcmp(value, "(null)") == 0) {
		free(value);
		return NULL;
	}
	return value;
}

char *device_read_override(const struct iommugrp_ctx *ctx, const char *devpath)
{
	return device_read_override_file(ctx, devpath, NULL);
}

EXPORT const char *iommugrp_device_get_driver_override(struct iommugrp_device *device)
{
	if (!device->loaded_override) {
		bool exists;

		device->loaded_override = 1;
		device->driver_override =
			device_read_override_file(device->group->ctx, device->syspath, &exists);
		device->has_override_file = exists;
	}
	return device->driver_override;
}

static int read_hex_attr(struct iommugrp_device *device, const char *attr, uint32_t max,
			 uint32_t *ret_value)
{
	struct iommugrp_ctx *ctx = device->group->ctx;
	const char *dir = device->display_syspath;
	char *value = NULL;
	int r;

	r = sysfs_read_attr(ctx, device->syspath, attr, &value);
	if (r < 0)
		file_problem(ctx, r, dir, attr, "%s", strerror(-r));
	else if (r == 0)
		file_problem(ctx, r = -EBADMSG, dir, attr, "empty file");
	else if (parse_hex_u32(value, max, ret_value) < 0)
		file_problem(ctx, r = -EBADMSG, dir, attr, "not a hexadecimal number: '%.40s'",
			     value);
	free(value);
	return r < 0 ? r : 0;
}

static void load_pci_ids(struct iommugrp_device *device)
{
	uint32_t vendor = 0, dev = 0, class_code = 0;
	int r;

	device->loaded_pci = 1;
	r = iommugrp_device_check_pci(device);
	if (r <= 0) {
		device->pci_err = r < 0 ? r : -ENODATA;
		return;
	}
	/* Read all three, so each bad file is named, not only the first. */
	r = read_hex_attr(device, "vendor", 0xffff, &vendor);
	r = read_hex_attr(device, "device", 0xffff, &dev) ?: r;
	r = read_hex_attr(device, "class", 0xffffff, &class_code) ?: r;
	device->pci_err = r;
	device->vendor = (uint16_t)vendor;
	device->device_id = (uint16_t)dev;
	device->class_code = class_code;
}

EXPORT int iommugrp_device_get_pci_ids(struct iommugrp_device *device, uint16_t *ret_vendor,
				       uint16_t *ret_device, uint32_t *ret_class)
{
	if (!device->loaded_pci)
		load_pci_ids(device);
	if (device->pci_err < 0)
		return device->pci_err;
	if (ret_vendor)
		*ret_vendor = device->vendor;
	if (ret_device)
		*ret_device = device->device_id;
	if (ret_class)
		*ret_class = device->class_code;
	return 0;
}

EXPORT const char *iommugrp_device_get_vendor_name(struct iommugrp_device *device)
{
	hwdb_lookup_names(device);
	return device->vendor_name;
}

EXPORT const char *iommugrp_device_get_model_name(struct iommugrp_device *device)
{
	hwdb_lookup_names(device);
	return device->model_name;
}

EXPORT const char *iommugrp_device_get_class_name(struct iommugrp_device *device)
{
	hwdb_lookup_names(device);
	return device->class_name;
}

/* Header type from config space; the class code where config is unreadable. 1/0/-errno. */
static int detect_bridge(struct iommugrp_device *device)
{
	uint32_t class_code;
	uint8_t header;
	char *path = path_join(device->syspath, "config");
	int n = path ? sysfs_read_byte(device->group->ctx, path, 0x0e, &header) : -ENOMEM;

	free(path);
	if (n == 0) {
		header &= 0x7f;
		return header == 1 || header == 2;
	}
	n = iommugrp_device_get_pci_ids(device, NULL, NULL, &class_code);
	if (n < 0)
		return n;
	return class_code >> 8 == 0x0604 || class_code >> 8 == 0x0609 || class_code >> 8 == 0x0607;
}

EXPORT int iommugrp_device_check_bridge(struct iommugrp_device *device)
{
	if (!device->loaded_bridge) {
		int r = iommugrp_device_check_pci(device);

		device->loaded_bridge = 1;
		device->bridge = r > 0 ? detect_bridge(device) : r;
	}
	return device->bridge;
}

EXPORT bool iommugrp_device_is_bridge(struct iommugrp_device *device)
{
	return iommugrp_device_check_bridge(device) == 1;
}

EXPORT int iommugrp_device_get_sriov_numvfs(struct iommugrp_device *device)
{
	struct iommugrp_ctx *ctx = device->group->ctx;
	char *value = NULL;
	unsigned int n = 0;
	int r;

	r = sysfs_read_attr(ctx, device->syspath, "sriov_numvfs", &value);
	if (r == -ENOENT)
		return 0; /* not a PF */
	if (r < 0)
		file_problem(ctx, r, device->display_syspath, "sriov_numvfs", "%s", strerror(-r));
	else if (parse_uint(value, &n) < 0 || n > INT32_MAX)
		file_problem(ctx, r = -EBADMSG, device->display_syspath, "sriov_numvfs",
			     "not a count: '%.40s'", value);
	free(value);
	return r < 0 ? r : (int)n;
}

/*
 * Drivers that set driver_managed_dma: every VFIO driver (vfio-pci and its
 * variants such as mlx5_vfio_pci, vfio-platform, vfio-fsl-mc, vfio-cdx), pci-stub
 * and pcieport. They do not claim the group's kernel DMA ownership.
 */
EXPORT bool iommugrp_driver_manages_dma(const char *driver)
{
	return driver && (strstr(driver, "vfio") || strcmp(driver, "pci-stub") == 0 ||
			  strcmp(driver, "pcieport") == 0);
}

EXPORT int iommugrp_device_read_vfio_state(struct iommugrp_device *device,
					   enum iommugrp_vfio_state *ret_state)
{
	int bridge, r = load_driver(device);
	const char *driver = device->driver;

	if (r < 0)
		return r;
	bridge = iommugrp_device_check_bridge(device);
	if (bridge < 0)
		return bridge;
	if (bridge && (!driver || strcmp(driver, "pcieport") == 0))
		*ret_state = IOMMUGRP_VFIO_BRIDGE;
	else if (!driver)
		*ret_state = IOMMUGRP_VFIO_UNBOUND;
	else if (iommugrp_driver_manages_dma(driver))
		*ret_state = IOMMUGRP_VFIO_MANAGED_DMA;
	else
		*ret_state = IOMMUGRP_VFIO_KERNEL_DRIVER;
	return 0;
}

/* Where the state cannot be read, the device is taken to keep the group from VFIO. */
EXPORT enum iommugrp_vfio_state iommugrp_device_get_vfio_state(struct iommugrp_device *device)
{
	enum iommugrp_vfio_state state;

	if (iommugrp_device_read_vfio_state(device, &state) < 0)
		return IOMMUGRP_VFIO_KERNEL_DRIVER;
	return state;
}

EXPORT const char *iommugrp_vfio_state_to_string(enum iommugrp_vfio_state state)
{
	switch (state) {
	case IOMMUGRP_VFIO_UNBOUND:
		return "unbound";
	case IOMMUGRP_VFIO_BRIDGE:
		return "bridge";
	case IOMMUGRP_VFIO_MANAGED_DMA:
		return "driver-managed-dma";
	case IOMMUGRP_VFIO_KERNEL_DRIVER:
		return "kernel-driver";
	}
	return NULL;
}

void device_forget_state(struct iommugrp_device *device)
{
	free(device->driver);
	free(device->driver_override);
	device->driver = device->driver_override = NULL;
	device->loaded_driver = device->loaded_override = 0;
	device->driver_err = 0;
}
