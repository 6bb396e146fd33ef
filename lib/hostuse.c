/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Does the host need this device? A disk under a mount or swap, a NIC with
 * routes or addresses, the boot VGA with a console: taking those away breaks
 * the host, so vfio-bind refuses them unless forced.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "change.h"

#define FOUND_MAX 32

struct found {
	char names[FOUND_MAX][64];   /* block devices, and what holds them (dm, md) */
	char devs[FOUND_MAX][32];    /* "major:minor" */
	char mapper[FOUND_MAX][128]; /* device-mapper name, for /dev/mapper/NAME */
	bool holder[FOUND_MAX];      /* found through holders/, not below the device */
	size_t count;
};

static bool is_dir_not_link(const struct iommugrp_ctx *ctx, const char *path)
{
	struct stat st;

	return fstatat(ctx->rootfd, path, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
}

static bool already_found(const struct found *f, const char *name)
{
	for (size_t i = 0; i < f->count; i++)
		if (strcmp(f->names[i], name) == 0)
			return true;
	return false;
}

static void note_holders(const struct iommugrp_ctx *ctx, const char *name, struct found *f,
			 int depth);

static void note_block(const struct iommugrp_ctx *ctx, const char *dir, const char *name,
		       struct found *f, int depth)
{
	char *dev = NULL, *mapper = NULL;

	if (f->count < FOUND_MAX && !already_found(f, name) &&
	    sysfs_read_attr(ctx, dir, "dev", &dev) > 0) {
		snprintf(f->names[f->count], sizeof(f->names[0]), "%s", name);
		snprintf(f->devs[f->count], sizeof(f->devs[0]), "%s", dev);
		f->mapper[f->count][0] = '\0';
		f->holder[f->count] = depth > 0;
		if (sysfs_read_attr(ctx, dir, "dm/name", &mapper) > 0)
			snprintf(f->mapper[f->count], sizeof(f->mapper[0]), "%s", mapper);
		f->count++;
		note_holders(ctx, name, f, depth + 1);
	}
	free(mapper);
	free(dev);
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

/* Block devices (and partitions) anywhere below a device: real directories only, no links. */
static void find_block(const struct iommugrp_ctx *ctx, const char *dir, int depth, struct found *f)
{
	char **names = NULL;
	size_t count = 0;

	if (depth > 8 || sysfs_list_dir(ctx, dir, &names, &count) < 0)
		return;
	for (size_t i = 0; i < count; i++) {
		char *sub = path_join(dir, names[i]);
		char *subsystem = NULL;

		if (sub && is_dir_not_link(ctx, sub)) {
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
static bool mounted(const char *mountinfo, const struct found *f, size_t i)
{
	char key[160];

	snprintf(key, sizeof(key), " %s ", f->devs[i]);
	if (strstr(mountinfo, key))
		return true;
	snprintf(key, sizeof(key), " /dev/%s ", f->names[i]);
	if (strstr(mountinfo, key))
		return true;
	snprintf(key, sizeof(key), " /dev/mapper/%s ", f->mapper[i]);
	return f->mapper[i][0] && strstr(mountinfo, key);
}

static char *mounted_or_swap(const struct iommugrp_ctx *ctx, const struct found *f)
{
	char *mountinfo = NULL, *swaps = NULL, *why = NULL;

	sysfs_read(ctx, "proc/self/mountinfo", &mountinfo);
	sysfs_read(ctx, "proc/swaps", &swaps);
	for (size_t i = 0; i < f->count && !why; i++) {
		char dev[80];

		snprintf(dev, sizeof(dev), "/dev/%s ", f->names[i]);
		if (mountinfo && mounted(mountinfo, f, i))
			why = strdup_printf("it holds %s, which is mounted%s", f->names[i],
					    f->holder[i] ? " (a device-mapper or md device on it)" : "");
		else if (swaps && strstr(swaps, dev))
			why = strdup_printf("it holds %s, which is in use as swap", f->names[i]);
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
					    strncmp(line + len + 1, "00000000", 8) == 0 ?
						    "the default route" : "routes (it has an address)");
	sysfs_read(ctx, "proc/net/if_inet6", &inet6);
	/* Lines: address index prefix scope flags name; scope 00 is global. */
	for (char *line = inet6; line && *line && !why; line = next_line(line)) {
		char name[64];
		unsigned int idx, prefix, scope, flags;

		if (sscanf(line, "%*32s %x %x %x %x %63s", &idx, &prefix, &scope, &flags, name) == 5 &&
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

	if (sysfs_read_attr(ctx, devpath, "boot_vga", &boot_vga) > 0 && strcmp(boot_vga, "1") == 0 &&
	    sysfs_read(ctx, "proc/fb", &fb) > 0)
		why = strdup_printf("it is the boot VGA device and a framebuffer console uses it (%.*s)",
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
	if (!why)
		why = network_in_use(ctx, device->syspath);
	if (!why)
		why = console_on_boot_vga(ctx, device->syspath);
	return why;
}
