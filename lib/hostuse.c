/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Does the host need this device? Whatever the host runs on, found once per
 * context for the whole host: the disks below its mounts and swaps (through
 * partitions, dm, md, bcache, loop, btrfs and ZFS members), the NICs below its
 * routed interfaces (through bridges, bonds, VLANs, macvlans, teams), the NIC
 * to its network storage, and the console's VGA. Taking those away breaks the
 * host, so every changing command refuses them unless forced. Fail closed: a
 * source that cannot be read makes every device of its kind count as needed.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "change.h"
#include "hostuse.h"

static const char out_of_memory_why[] = "iommugrp ran out of memory while finding what the host "
					"uses, so it cannot tell";

/* FNV-1a: names are short, a few thousand at most. */
static size_t name_hash(const char *name)
{
	size_t h = 2166136261u;

	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		h = (h ^ *p) * 16777619u;
	return h;
}

static void index_insert(struct host_needs *set, size_t item)
{
	size_t mask = set->by_name_size - 1, slot = name_hash(set->items[item].name) & mask;

	while (set->by_name[slot])
		slot = (slot + 1) & mask;
	set->by_name[slot] = item + 1;
}

/*
 * Keeps the index at most half full; when it cannot grow, it is dropped and
 * lookups scan the items (slower, the same answers), so no memory is needed
 * for a right answer.
 */
static void index_add(struct host_needs *set, size_t item)
{
	if (set->count * 2 > set->by_name_size) {
		size_t size = set->by_name_size ? set->by_name_size * 2 : 64;
		size_t *bigger = calloc(size, sizeof(*bigger));

		free(set->by_name);
		set->by_name = bigger;
		set->by_name_size = bigger ? size : 0;
		for (size_t i = 0; bigger && i < item; i++)
			index_insert(set, i);
	}
	if (set->by_name)
		index_insert(set, item);
}

void host_needs_reordered(struct host_needs *set)
{
	free(set->by_name);
	set->by_name = NULL;
	set->by_name_size = 0;
	for (size_t i = 0; i < set->count; i++)
		index_add(set, i);
}

bool host_need_add(struct host_use *hu, struct host_needs *set, const char *name, char *why,
		   int strength)
{
	struct host_need *old = (struct host_need *)host_need_find(set, name), *bigger;
	char *copy;

	if (!why) {
		hu->out_of_memory = true;
		return false;
	}
	if (old) {
		if (strength > old->strength) {
			free(old->why);
			old->why = why;
			old->strength = strength;
		} else
			free(why);
		return true;
	}
	bigger = reallocarray(set->items, set->count + 1, sizeof(*bigger));
	copy = strdup(name);
	if (bigger)
		set->items = bigger;
	if (!bigger || !copy) {
		free(copy);
		free(why);
		hu->out_of_memory = true;
		return false;
	}
	set->items[set->count++] = (struct host_need){ copy, NULL, why, strength };
	index_add(set, set->count - 1);
	return true;
}

/* The first item of that name: the index holds the first, as a scan finds it. */
const struct host_need *host_need_find(const struct host_needs *set, const char *name)
{
	if (set->by_name) {
		size_t mask = set->by_name_size - 1;

		for (size_t slot = name_hash(name) & mask; set->by_name[slot];
		     slot = (slot + 1) & mask)
			if (strcmp(set->items[set->by_name[slot] - 1].name, name) == 0)
				return &set->items[set->by_name[slot] - 1];
		return NULL;
	}
	for (size_t i = 0; i < set->count; i++)
		if (strcmp(set->items[i].name, name) == 0)
			return &set->items[i];
	return NULL;
}

/*
 * The directory opened inside the sysroot once, a link in it read with
 * readlinkat (the link's directories are resolved inside the sysroot, the link
 * itself is not followed, as in root_readlink). Anything that is not a plain
 * name, and any error, is -EAGAIN: the caller asks sysfs.c, whose errors are
 * the ones to keep.
 */
static int read_link_in(const struct iommugrp_ctx *ctx, struct link_dir *ld, const char *name,
			char *buf, size_t size)
{
	ssize_t n = -1;

	if (!ld->tried) {
		ld->tried = true;
		ld->fd = root_open(ctx, ld->dir, O_PATH | O_DIRECTORY, 0);
	}
	if (ld->fd >= 0 && *name && !strchr(name, '/') && strcmp(name, ".") != 0 &&
	    strcmp(name, "..") != 0)
		n = readlinkat(ld->fd, name, buf, size - 1);
	if (n < 0)
		return -EAGAIN;
	buf[n] = '\0';
	return 0;
}

int host_use_link_target(const struct iommugrp_ctx *ctx, struct link_dir *ld, const char *name,
			 char **ret_path)
{
	char target[PATH_MAX];

	if (read_link_in(ctx, ld, name, target, sizeof(target)) < 0)
		return sysfs_link_target(ctx, ld->dir, name, ret_path);
	return path_resolve_link(ld->dir, target, ret_path);
}

int host_use_link_basename(const struct iommugrp_ctx *ctx, struct link_dir *ld, const char *name,
			   char **ret_name)
{
	char target[PATH_MAX], *slash;

	if (read_link_in(ctx, ld, name, target, sizeof(target)) < 0)
		return sysfs_link_basename(ctx, ld->dir, name, ret_name);
	slash = strrchr(target, '/');
	*ret_name = strdup(slash ? slash + 1 : target);
	return *ret_name ? 0 : -ENOMEM;
}

void link_dir_close(struct link_dir *ld)
{
	if (ld->fd >= 0)
		close(ld->fd);
	ld->fd = -1;
}

void host_use_unknown(struct host_use *hu, char **slot, char *why)
{
	if (!why)
		hu->out_of_memory = true;
	if (*slot || !why)
		free(why);
	else
		*slot = why;
}

void host_use_add_target(struct host_use *hu, const char *address, char *what)
{
	struct net_target *bigger = reallocarray(hu->targets, hu->n_targets + 1, sizeof(*bigger));
	char *copy = strdup(address);

	if (bigger)
		hu->targets = bigger;
	if (!bigger || !copy || !what) {
		free(copy);
		free(what);
		hu->out_of_memory = true;
		return;
	}
	hu->targets[hu->n_targets++] = (struct net_target){ copy, what };
}

static void needs_free(struct host_needs *set)
{
	for (size_t i = 0; i < set->count; i++) {
		free(set->items[i].name);
		free(set->items[i].path);
		free(set->items[i].why);
	}
	free(set->items);
	free(set->by_name);
}

void host_use_free(struct iommugrp_ctx *ctx)
{
	struct host_use *hu = ctx->host_use;

	if (!hu)
		return;
	needs_free(&hu->anchors);
	needs_free(&hu->ifaces);
	needs_free(&hu->blocks);
	for (size_t i = 0; i < hu->n_targets; i++) {
		free(hu->targets[i].address);
		free(hu->targets[i].what);
	}
	free(hu->targets);
	free(hu->routes);
	free(hu->blocks_by_path);
	free(hu->ifaces_by_path);
	free(hu->net_unknown);
	free(hu->storage_unknown);
	free(hu);
	ctx->host_use = NULL;
}

static int by_path(const void *a, const void *b)
{
	const struct need_path *x = a, *y = b;
	int r = strcmp(x->path, y->path);

	return r != 0 ? r : (x->item > y->item) - (x->item < y->item);
}

/* The set's items that have a path, sorted by it (NULL when out of memory: then a scan). */
static struct need_path *sort_paths(const struct host_needs *set, size_t *ret_count)
{
	struct need_path *sorted = calloc(set->count ? set->count : 1, sizeof(*sorted));
	size_t n = 0;

	for (size_t i = 0; sorted && i < set->count; i++)
		if (set->items[i].path)
			sorted[n++] = (struct need_path){ set->items[i].path, i };
	if (n > 1)
		qsort(sorted, n, sizeof(*sorted), by_path);
	*ret_count = n;
	return sorted;
}

/* Storage first: the servers of network storage become reasons for interfaces. */
static struct host_use *host_use_get(struct iommugrp_ctx *ctx)
{
	struct host_use *hu = ctx->host_use;

	if (!hu) {
		hu = ctx->host_use = calloc(1, sizeof(*ctx->host_use));
		if (!hu)
			return NULL;
		host_use_read_storage(ctx, hu);
		host_use_read_network(ctx, hu);
		hu->blocks_by_path = sort_paths(&hu->blocks, &hu->n_blocks_by_path);
		hu->ifaces_by_path = sort_paths(&hu->ifaces, &hu->n_ifaces_by_path);
	}
	return hu;
}

/* A PCI function below a bridge: a device of its own, judged on its own. */
static bool is_pci_function_dir(const char *name, size_t len)
{
	char canonical[PCI_ADDRESS_MAX], copy[PCI_ADDRESS_MAX];

	if (len >= sizeof(copy))
		return false;
	memcpy(copy, name, len);
	copy[len] = '\0';
	return parse_pci_address(copy, canonical) == 0 && strcmp(canonical, copy) == 0;
}

/*
 * PATH lies below the device's own directory, not below another PCI function
 * under it (unbinding a bridge's driver leaves the functions below it bound).
 */
static bool below_device(const char *path, const char *devpath)
{
	size_t len = strlen(devpath);
	const char *rest;

	if (!path || strncmp(path, devpath, len) != 0 || path[len] != '/')
		return false;
	for (rest = path + len + 1; *rest;) {
		size_t clen = strcspn(rest, "/");

		if (is_pci_function_dir(rest, clen))
			return false;
		rest += clen;
		rest += strspn(rest, "/");
	}
	return true;
}

/* PATH against DEVPATH + "/": <0, 0 (PATH starts with it), >0, as strcmp would order them. */
static int against_dir(const char *path, const char *devpath, size_t len)
{
	int r = strncmp(path, devpath, len);

	return r != 0 ? r : (int)(unsigned char)path[len] - '/';
}

/*
 * The first need of the set (in its order) below the device: among the sorted
 * paths, those below DEVPATH + "/" are one run, found by bisection.
 */
static const char *needed_below(const struct host_needs *set, const struct need_path *sorted,
				size_t n, const char *devpath)
{
	size_t len = strlen(devpath), lo = 0, hi = n, best = SIZE_MAX;

	if (!sorted) {
		for (size_t i = 0; i < set->count; i++)
			if (below_device(set->items[i].path, devpath))
				return set->items[i].why;
		return NULL;
	}
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (against_dir(sorted[mid].path, devpath, len) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; i < n && against_dir(sorted[i].path, devpath, len) == 0; i++)
		if (sorted[i].item < best && below_device(sorted[i].path, devpath))
			best = sorted[i].item;
	return best != SIZE_MAX ? set->items[best].why : NULL;
}

/* Whether the device has an entry in a subdirectory that would hold what is unknown. */
static bool has_entries(const struct iommugrp_ctx *ctx, const char *devpath, const char *sub)
{
	char *dir = path_join(devpath, sub), **names = NULL;
	size_t count = 0;
	int r = dir ? sysfs_list_dir(ctx, dir, &names, &count) : -ENOMEM;

	strv_free(names, count);
	free(dir);
	return r < 0 ? r != -ENOENT : count > 0;
}

/* Block devices anywhere below the device, for the fail-closed case only. */
static bool has_block_device(const struct iommugrp_ctx *ctx, const char *dir, int depth)
{
	char **names = NULL, *subsystem = NULL;
	size_t count = 0;
	bool found = false;

	if (depth > 8 || sysfs_list_subdirs(ctx, dir, &names, &count) < 0)
		return false;
	for (size_t i = 0; i < count && !found; i++) {
		char *sub = path_join(dir, names[i]);

		if (!sub || is_pci_function_dir(names[i], strlen(names[i])))
			found = !sub;
		else if (sysfs_link_basename(ctx, sub, "subsystem", &subsystem) == 0 &&
			 (strcmp(subsystem, "block") == 0 || strcmp(subsystem, "nvme") == 0))
			found = true;
		else
			found = has_block_device(ctx, sub, depth + 1);
		free(subsystem);
		subsystem = NULL;
		free(sub);
	}
	strv_free(names, count);
	return found;
}

/* A reason that had to be written but could not: out of memory, which must not read as "free". */
static int reason(char *why, char **ret_why)
{
	*ret_why = why;
	return why ? 1 : -ENOMEM;
}

static int console_on_boot_vga(const struct iommugrp_ctx *ctx, const char *devpath, char **ret_why)
{
	char *boot_vga = NULL, *fb = NULL;
	int r = 0, fb_r;

	if (sysfs_read_attr(ctx, devpath, "boot_vga", &boot_vga) > 0 && strcmp(boot_vga, "1") == 0) {
		fb_r = sysfs_read(ctx, "proc/fb", &fb);
		if (fb_r > 0)
			r = reason(strdup_printf("it is the boot VGA device and a framebuffer "
						 "console uses it (%.*s)",
						 (int)strcspn(fb, "\n"), fb),
				   ret_why);
		else if (fb_r < 0 && fb_r != -ENOENT)
			r = reason(strdup_printf("it is the boot VGA device, and /proc/fb, which "
						 "tells whether a console uses it, cannot be read "
						 "(%s)",
						 strerror(-fb_r)),
				   ret_why);
	}
	free(boot_vga);
	free(fb);
	return r;
}

static int unknown_use(const struct iommugrp_ctx *ctx, const struct host_use *hu,
		       const char *devpath, char **ret_why)
{
	if (hu->storage_unknown && has_block_device(ctx, devpath, 0))
		return reason(strdup_printf("it has a disk, and %s", hu->storage_unknown), ret_why);
	if (hu->net_unknown && has_entries(ctx, devpath, "net"))
		return reason(strdup_printf("it has a network interface, and %s", hu->net_unknown),
			      ret_why);
	return 0;
}

/* 1 and the reason, 0 when the host does not need it, -ENOMEM. */
static int find_host_use(struct iommugrp_device *device, char **ret_why)
{
	struct iommugrp_ctx *ctx = device->group->ctx;
	struct host_use *hu = host_use_get(ctx);
	const char *why;
	int r;

	*ret_why = NULL;
	if (!hu || hu->out_of_memory)
		return -ENOMEM;
	why = needed_below(&hu->blocks, hu->blocks_by_path, hu->n_blocks_by_path, device->syspath);
	if (!why)
		why = needed_below(&hu->ifaces, hu->ifaces_by_path, hu->n_ifaces_by_path,
				   device->syspath);
	if (why)
		return reason(strdup(why), ret_why);
	r = unknown_use(ctx, hu, device->syspath, ret_why);
	return r != 0 ? r : console_on_boot_vga(ctx, device->syspath, ret_why);
}

const char *host_needs_device(struct iommugrp_device *device)
{
	if (!device->loaded_host_use) {
		device->host_use_failed = find_host_use(device, &device->host_use) < 0;
		device->loaded_host_use = 1;
	}
	return device->host_use_failed ? out_of_memory_why : device->host_use;
}

EXPORT int iommugrp_device_get_host_use(struct iommugrp_device *device, const char **ret_reason)
{
	const char *why;

	if (!device || !ret_reason)
		return -EINVAL;
	why = host_needs_device(device);
	*ret_reason = why;
	return why ? 1 : 0;
}
