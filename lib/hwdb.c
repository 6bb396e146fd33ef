/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Vendor, model and class names from the udev hardware database. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libudev.h>

#include "internal.h"

static struct udev_hwdb *open_hwdb(struct iommugrp_ctx *ctx)
{
	if (!ctx->hwdb_tried) {
		ctx->hwdb_tried = 1;
		ctx->udev = udev_new();
		ctx->hwdb = ctx->udev ? udev_hwdb_new(ctx->udev) : NULL;
		if (!ctx->hwdb)
			info(ctx, "udev hwdb unavailable: no vendor or model names");
	}
	return ctx->hwdb;
}

void hwdb_close(struct iommugrp_ctx *ctx)
{
	udev_hwdb_unref(ctx->hwdb);
	udev_unref(ctx->udev);
}

static void copy_property(struct udev_hwdb *hwdb, const char *modalias,
			  const char *key, char **ret_value)
{
	struct udev_list_entry *entry;

	udev_list_entry_foreach(entry, udev_hwdb_get_properties_list_entry(hwdb, modalias, 0)) {
		if (strcmp(udev_list_entry_get_name(entry), key) == 0) {
			free(*ret_value);
			*ret_value = strdup(udev_list_entry_get_value(entry));
			return;
		}
	}
}

static void lookup_pci(struct udev_hwdb *hwdb, struct iommugrp_device *device)
{
	uint16_t vendor, dev;
	uint32_t class_code;
	char key[96];

	if (iommugrp_device_get_pci_ids(device, &vendor, &dev, &class_code) < 0)
		return;
	/* Without subsystem IDs so the chip's name wins over a board's. */
	snprintf(key, sizeof(key), "pci:v%08Xd%08X", vendor, dev);
	copy_property(hwdb, key, "ID_VENDOR_FROM_DATABASE", &device->vendor_name);
	copy_property(hwdb, key, "ID_MODEL_FROM_DATABASE", &device->model_name);
	snprintf(key, sizeof(key), "pci:v%08Xd%08Xsv00000000sd00000000bc%02Xsc%02Xi%02X",
		 vendor, dev, class_code >> 16, (class_code >> 8) & 0xff, class_code & 0xff);
	copy_property(hwdb, key, "ID_PCI_SUBCLASS_FROM_DATABASE", &device->class_name);
	if (!device->class_name)
		copy_property(hwdb, key, "ID_PCI_CLASS_FROM_DATABASE", &device->class_name);
}

static void lookup_modalias(struct udev_hwdb *hwdb, struct iommugrp_device *device)
{
	char *modalias = NULL;

	if (sysfs_read_attr(device->group->ctx, device->syspath, "modalias", &modalias) <= 0) {
		free(modalias);
		return;
	}
	copy_property(hwdb, modalias, "ID_VENDOR_FROM_DATABASE", &device->vendor_name);
	copy_property(hwdb, modalias, "ID_MODEL_FROM_DATABASE", &device->model_name);
	free(modalias);
}

void hwdb_lookup_names(struct iommugrp_device *device)
{
	struct udev_hwdb *hwdb;

	if (device->loaded_names)
		return;
	device->loaded_names = 1;
	hwdb = open_hwdb(device->group->ctx);
	if (!hwdb)
		return;
	if (iommugrp_device_is_pci(device))
		lookup_pci(hwdb, device);
	else
		lookup_modalias(hwdb, device);
}
