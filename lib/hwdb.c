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
			log_info(ctx, "udev hwdb unavailable: no vendor or model names");
	}
	return ctx->hwdb;
}

void hwdb_close(struct iommugrp_ctx *ctx)
{
	hwdb_cache_clear(ctx);
	free(ctx->hwdb_cache);
	udev_hwdb_unref(ctx->hwdb);
	udev_unref(ctx->udev);
}

/*
 * hwdb lookups run fnmatch over many patterns (the class entries are globs),
 * and big hosts repeat the same IDs: remember each key's answer.
 */
struct hwdb_names {
	char *key;
	char *vendor, *model, *subclass, *class_name;
};

#define HWDB_CACHE_MAX 1024

static char *dup_value(struct udev_list_entry *entry)
{
	return strdup(udev_list_entry_get_value(entry));
}

static void query(struct udev_hwdb *hwdb, const char *key, struct hwdb_names *names)
{
	struct udev_list_entry *entry;

	udev_list_entry_foreach(entry, udev_hwdb_get_properties_list_entry(hwdb, key, 0))
	{
		const char *name = udev_list_entry_get_name(entry);
		char **slot = strcmp(name, "ID_VENDOR_FROM_DATABASE") == 0  ? &names->vendor
			      : strcmp(name, "ID_MODEL_FROM_DATABASE") == 0 ? &names->model
			      : strcmp(name, "ID_PCI_SUBCLASS_FROM_DATABASE") == 0
				      ? &names->subclass
			      : strcmp(name, "ID_PCI_CLASS_FROM_DATABASE") == 0 ? &names->class_name
										: NULL;

		if (slot) {
			free(*slot);
			*slot = dup_value(entry);
		}
	}
}

static const struct hwdb_names *lookup(struct iommugrp_ctx *ctx, const char *key)
{
	static const struct hwdb_names none = { 0 };
	struct hwdb_names *names;

	for (size_t i = 0; i < ctx->n_hwdb_cache; i++)
		if (strcmp(ctx->hwdb_cache[i].key, key) == 0)
			return &ctx->hwdb_cache[i];
	if (ctx->n_hwdb_cache == HWDB_CACHE_MAX)
		hwdb_cache_clear(ctx);
	if (!ctx->hwdb_cache)
		ctx->hwdb_cache = calloc(HWDB_CACHE_MAX, sizeof(*ctx->hwdb_cache));
	if (!ctx->hwdb_cache)
		return &none;
	names = &ctx->hwdb_cache[ctx->n_hwdb_cache];
	names->key = strdup(key);
	if (!names->key)
		return &none;
	ctx->n_hwdb_cache++;
	query(ctx->hwdb, key, names);
	return names;
}

void hwdb_cache_clear(struct iommugrp_ctx *ctx)
{
	for (size_t i = 0; i < ctx->n_hwdb_cache; i++) {
		struct hwdb_names *n = &ctx->hwdb_cache[i];

		free(n->key);
		free(n->vendor);
		free(n->model);
		free(n->subclass);
		free(n->class_name);
		memset(n, 0, sizeof(*n));
	}
	ctx->n_hwdb_cache = 0;
}

static void lookup_pci(struct iommugrp_ctx *ctx, struct iommugrp_device *device)
{
	const struct hwdb_names *names;
	uint16_t vendor, dev;
	uint32_t class_code;
	char key[96];

	if (iommugrp_device_get_pci_ids(device, &vendor, &dev, &class_code) < 0)
		return;
	/* Without subsystem IDs so the chip's name wins over a board's. */
	snprintf(key, sizeof(key), "pci:v%08Xd%08X", vendor, dev);
	names = lookup(ctx, key);
	device->vendor_name = strdup_or_null(names->vendor, NULL);
	device->model_name = strdup_or_null(names->model, NULL);
	/* The class entries match any IDs: query with placeholders, cache by class. */
	snprintf(key, sizeof(key), "pci:v00000000d00000000sv00000000sd00000000bc%02Xsc%02Xi%02X",
		 class_code >> 16, (class_code >> 8) & 0xff, class_code & 0xff);
	names = lookup(ctx, key);
	device->class_name =
		strdup_or_null(names->subclass ? names->subclass : names->class_name, NULL);
}

static void lookup_modalias(struct iommugrp_ctx *ctx, struct iommugrp_device *device)
{
	const struct hwdb_names *names;
	char *modalias = NULL;

	if (sysfs_read_attr(ctx, device->syspath, "modalias", &modalias) > 0) {
		names = lookup(ctx, modalias);
		device->vendor_name = strdup_or_null(names->vendor, NULL);
		device->model_name = strdup_or_null(names->model, NULL);
	}
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
		lookup_pci(device->group->ctx, device);
	else
		lookup_modalias(device->group->ctx, device);
}
