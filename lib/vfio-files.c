/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The device files that give userspace a group's DMA: /dev/vfio/N, and each
 * member's /dev/vfio/devices/vfioX where the kernel has VFIO cdevs
 * (CONFIG_VFIO_DEVICE_CDEV, 6.6+).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

void vfio_files_free(struct iommugrp_group *group)
{
	strv_free(group->vfio_files, group->n_vfio_files);
	group->vfio_files = NULL;
	group->n_vfio_files = 0;
}

static bool is_present(const struct iommugrp_ctx *ctx, const char *file)
{
	struct stat st;

	return root_stat(ctx, file + 1, false, &st) == 0;
}

/* Adds @path (taken; NULL: out of memory), or with @present frees it when /dev lacks it. */
static int add_file(const struct iommugrp_ctx *ctx, bool present, char ***files, size_t *count,
		    char *path)
{
	char **bigger;

	if (!path)
		return -ENOMEM;
	if (present && !is_present(ctx, path)) {
		free(path);
		return 0;
	}
	bigger = reallocarray(*files, *count + 1, sizeof(**files));
	if (!bigger) {
		free(path);
		return -ENOMEM;
	}
	bigger[(*count)++] = path;
	*files = bigger;
	return 0;
}

/* Without CONFIG_VFIO_DEVICE_CDEV the vfio-dev entry exists but has no dev: no node. */
static bool has_dev_file(const struct iommugrp_ctx *ctx, const char *dir, const char *name)
{
	char *path = strdup_printf("%s/%s/dev", dir, name);
	bool exists = path && sysfs_exists(ctx, path) == 0;

	free(path);
	return exists;
}

static int add_cdevs(struct iommugrp_device *device, bool present, char ***files, size_t *count)
{
	const struct iommugrp_ctx *ctx = device->group->ctx;
	char **names = NULL, *dir = path_join(device->syspath, "vfio-dev");
	size_t n = 0;
	int r;

	r = dir ? sysfs_list_dir(ctx, dir, &names, &n) : -ENOMEM;
	if (r == -ENOENT)
		r = 0; /* not on a VFIO driver, or no cdev support */
	for (size_t i = 0; r == 0 && i < n; i++)
		if (strncmp(names[i], "vfio", 4) == 0 && has_dev_file(ctx, dir, names[i]))
			r = add_file(ctx, present, files, count,
				     strdup_printf("/dev/vfio/devices/%s", names[i]));
	strv_free(names, n);
	free(dir);
	return r;
}

/*
 * The one list of the files that give userspace a group's DMA, for the public call and for
 * the users' scan: the group's node, /dev/vfio/N (/dev/vfio/noiommu-N for a group VFIO made
 * without an IOMMU, named "vfio-noiommu"), then each member's cdev, /dev/vfio/devices/vfioX
 * (a vfio-dev/vfioX entry with a dev attribute). @present: only the files /dev has now (no
 * member's vfio-dev is read when /dev/vfio/devices is missing). Paths as on the system read.
 */
int vfio_files_list(struct iommugrp_group *group, bool present, char ***ret_files, size_t *ret_count)
{
	const char *name = iommugrp_group_get_name(group);
	bool noiommu = name && strcmp(name, "vfio-noiommu") == 0;
	struct iommugrp_device *d = NULL;
	char **files = NULL;
	size_t count = 0;
	int r;

	r = add_file(group->ctx, present, &files, &count,
		     strdup_printf(noiommu ? "/dev/vfio/noiommu-%u" : "/dev/vfio/%u",
				   group->number));
	/* Without /dev/vfio/devices no member has a cdev node: none is looked for. */
	if (!present || is_present(group->ctx, "/dev/vfio/devices"))
		while (r == 0 && (d = iommugrp_group_device_next(group, d)))
			r = add_cdevs(d, present, &files, &count);
	if (r < 0) {
		strv_free(files, count);
		return r;
	}
	*ret_files = files;
	*ret_count = count;
	return 0;
}

EXPORT int iommugrp_group_get_vfio_files(struct iommugrp_group *group, const char *const **ret_files)
{
	char **files = NULL;
	size_t count = 0;
	int r;

	r = iommugrp_group_get_device_count(group);
	if (r >= 0)
		r = vfio_files_list(group, false, &files, &count);
	if (r < 0)
		return r;
	vfio_files_free(group);
	group->vfio_files = files;
	group->n_vfio_files = count;
	*ret_files = (const char *const *)files;
	return (int)count;
}

EXPORT int iommugrp_vfio_file_set_owner(struct iommugrp_ctx *ctx, const char *file, uid_t uid,
					gid_t gid)
{
	struct stat st;
	int fd, r = 0;

	if (!ctx || !file || strncmp(file, "/dev/vfio/", 10) != 0 || strstr(file, "/../"))
		return -EINVAL;
	fd = root_open(ctx, file + 1, O_PATH | O_NOFOLLOW, 0);
	if (fd < 0)
		return fd;
	if (fstat(fd, &st) < 0)
		r = -errno;
	else if (!S_ISCHR(st.st_mode))
		r = -ENODEV;
	else if (fchownat(fd, "", uid, gid, AT_EMPTY_PATH) < 0)
		r = -errno;
	close(fd);
	return r;
}
