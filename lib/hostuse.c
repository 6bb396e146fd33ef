/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Does the host need this device? A disk under a mount or swap, a NIC with
 * routes or addresses, the boot VGA with a console: taking those away breaks
 * the host, so vfio-bind refuses them unless forced.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "change.h"

/* A block device below the device, or one holding it (dm, md). */
struct block {
	char *name;
	char *dev;    /* "major:minor" */
	char *mapper; /* device-mapper name, for /dev/mapper/NAME; NULL if none */
	bool holder;  /* found through holders/, not below the device */
};

struct found {
	struct block *blocks;
	size_t count;
};

static void found_free(struct found *f)
{
	for (size_t i = 0; i < f->count; i++) {
		free(f->blocks[i].name);
		free(f->blocks[i].dev);
		free(f->blocks[i].mapper);
	}
	free(f->blocks);
}

static bool already_found(const struct found *f, const char *name)
{
	for (size_t i = 0; i < f->count; i++)
		if (strcmp(f->blocks[i].name, name) == 0)
			return true;
	return false;
}

/* Takes over @dev and @mapper. Out of memory, the block is missed: -ENOMEM stops the search. */
static int add_block(struct found *f, const char *name, char *dev, char *mapper, bool holder)
{
	struct block *bigger = reallocarray(f->blocks, f->count + 1, sizeof(*bigger));
	char *copy = strdup(name);

	if (!bigger || !copy) {
		free(copy);
		free(dev);
		free(mapper);
		if (bigger)
			f->blocks = bigger;
		return -ENOMEM;
	}
	f->blocks = bigger;
	f->blocks[f->count++] = (struct block){ copy, dev, mapper, holder };
	return 0;
}

static void note_holders(const struct iommugrp_ctx *ctx, const char *name, struct found *f,
			 int depth);

static void note_block(const struct iommugrp_ctx *ctx, const char *dir, const char *name,
		       struct found *f, int depth)
{
	char *dev = NULL, *mapper = NULL;

	if (already_found(f, name) || sysfs_read_attr(ctx, dir, "dev", &dev) <= 0) {
		free(dev);
		return;
	}
	if (sysfs_read_attr(ctx, dir, "dm/name", &mapper) <= 0) {
		free(mapper);
		mapper = NULL;
	}
	if (add_block(f, name, dev, mapper, depth > 0) == 0)
		note_holders(ctx, name, f, depth + 1);
}

/* dm-crypt, LVM, md: the mounted device may be one that holds this one. */
static void note_holders(const struct iommugrp_ctx *ctx, const char *name, struct found *f,
			 int depth)
{
	char *dir = strdup_printf("sys/class/block/%s/holders", name), **names = NULL;
	size_t count = 0;

	if (depth < 4 && dir && sysfs_list_dir(ctx, dir, &names, &count) == 0)
		for (size_t i = 0; i < count; i++) {
			char *holder = strdup_printf("sys/class/block/%s", names[i]);

			if (holder)
				note_block(ctx, holder, names[i], f, depth);
			free(holder);
		}
	strv_free(names, count);
	free(dir);
}

/* A PCI function below a bridge: a device of its own, judged on its own. */
static bool is_pci_function_dir(const char *name)
{
	char canonical[PCI_ADDRESS_MAX];

	return parse_pci_address(name, canonical) == 0 && strcmp(canonical, name) == 0;
}

/*
 * Block devices (and partitions) anywhere below a device: real directories
 * only, no links, and not into the PCI functions below a bridge (unbinding the
 * bridge's driver leaves theirs bound).
 */
static void find_block(const struct iommugrp_ctx *ctx, const char *dir, int depth, struct found *f)
{
	char **names = NULL;
	size_t count = 0;

	if (depth > 8 || sysfs_list_subdirs(ctx, dir, &names, &count) < 0)
		return;
	for (size_t i = 0; i < count; i++) {
		char *sub = path_join(dir, names[i]);
		char *subsystem = NULL;

		if (sub && !is_pci_function_dir(names[i])) {
			if (sysfs_link_basename(ctx, sub, "subsystem", &subsystem) == 0 &&
			    strcmp(subsystem, "block") == 0)
				note_block(ctx, sub, names[i], f, 0);
			find_block(ctx, sub, depth + 1, f);
		}
		free(subsystem);
		free(sub);
	}
	strv_free(names, count);
}

/* mountinfo: field 3 is MAJ:MIN, but btrfs shows 0:NN there; the source after " - TYPE " names the device. */
static bool has_word(const char *text, const char *prefix, const char *word)
{
	char *key = strdup_printf(" %s%s ", prefix, word);
	bool found = key && strstr(text, key);

	free(key);
	return found;
}

static bool mounted(const char *mountinfo, const struct block *b)
{
	return has_word(mountinfo, "", b->dev) || has_word(mountinfo, "/dev/", b->name) ||
	       (b->mapper && has_word(mountinfo, "/dev/mapper/", b->mapper));
}

/* /proc/swaps: the device path starts the line. */
static bool in_swaps(const char *swaps, const struct block *b)
{
	char *key = strdup_printf("/dev/%s ", b->name);
	bool found = key && strstr(swaps, key);

	free(key);
	return found;
}

static char *mounted_or_swap(const struct iommugrp_ctx *ctx, const struct found *f)
{
	char *mountinfo = NULL, *swaps = NULL, *why = NULL;

	if (f->count == 0)
		return NULL;
	sysfs_read(ctx, "proc/self/mountinfo", &mountinfo);
	sysfs_read(ctx, "proc/swaps", &swaps);
	for (size_t i = 0; i < f->count && !why; i++) {
		const struct block *b = &f->blocks[i];

		if (mountinfo && mounted(mountinfo, b))
			why = strdup_printf("it holds %s, which is mounted%s", b->name,
					    b->holder ? " (a device-mapper or md device on it)"
						      : "");
		else if (swaps && in_swaps(swaps, b))
			why = strdup_printf("it holds %s, which is in use as swap", b->name);
	}
	free(mountinfo);
	free(swaps);
	return why;
}

static char *next_line(char *line)
{
	char *newline = strchr(line, '\n');

	return newline ? newline + 1 : NULL;
}

/* /proc/net/route: any route through the interface, the default route first. */
static char *routed(const struct iommugrp_ctx *ctx, const char *ifname)
{
	char *routes = NULL, *inet6 = NULL, *why = NULL;
	size_t len = strlen(ifname);

	sysfs_read(ctx, "proc/net/route", &routes);
	for (char *line = routes; line && *line && !why; line = next_line(line))
		if (strncmp(line, ifname, len) == 0 && line[len] == '\t')
			why = strdup_printf("its interface %s carries %s", ifname,
					    strncmp(line + len + 1, "00000000", 8) == 0
						    ? "the default route"
						    : "routes (it has an address)");
	sysfs_read(ctx, "proc/net/if_inet6", &inet6);
	/* Lines: address index prefix scope flags name; scope 00 is global. */
	for (char *line = inet6; line && *line && !why; line = next_line(line)) {
		char name[64]; /* interface names are at most 15 bytes (IFNAMSIZ) */
		unsigned int idx, prefix, scope, flags;

		if (sscanf(line, "%*32s %x %x %x %x %63s", &idx, &prefix, &scope, &flags, name) ==
			    5 &&
		    strcmp(name, ifname) == 0 && scope == 0)
			why = strdup_printf("its interface %s has a global IPv6 address", ifname);
	}
	free(routes);
	free(inet6);
	return why;
}

static char *network_in_use(const struct iommugrp_ctx *ctx, const char *devpath)
{
	char *netdir = path_join(devpath, "net"), **names = NULL, *why = NULL;
	size_t count = 0;

	if (netdir && sysfs_list_dir(ctx, netdir, &names, &count) == 0)
		for (size_t i = 0; i < count && !why; i++)
			why = routed(ctx, names[i]);
	strv_free(names, count);
	free(netdir);
	return why;
}

static char *console_on_boot_vga(const struct iommugrp_ctx *ctx, const char *devpath)
{
	char *boot_vga = NULL, *fb = NULL, *why = NULL;

	if (sysfs_read_attr(ctx, devpath, "boot_vga", &boot_vga) > 0 &&
	    strcmp(boot_vga, "1") == 0 && sysfs_read(ctx, "proc/fb", &fb) > 0)
		why = strdup_printf("it is the boot VGA device and a framebuffer console uses it "
				    "(%.*s)",
				    (int)strcspn(fb, "\n"), fb);
	free(boot_vga);
	free(fb);
	return why;
}

char *host_needs_device(struct iommugrp_device *device)
{
	const struct iommugrp_ctx *ctx = device->group->ctx;
	struct found blocks = { .count = 0 };
	char *why;

	find_block(ctx, device->syspath, 0, &blocks);
	why = mounted_or_swap(ctx, &blocks);
	found_free(&blocks);
	if (!why)
		why = network_in_use(ctx, device->syspath);
	if (!why)
		why = console_on_boot_vga(ctx, device->syspath);
	return why;
}
