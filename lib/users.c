/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Who uses a group: processes holding its VFIO files open. No sysfs attribute
 * shows DMA ownership; an open /dev/vfio/N (noiommu-N without an IOMMU) or
 * /dev/vfio/devices/vfioX of a member, in /proc/PID/fd, is the only trace a
 * VMM leaves.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

void users_free(struct iommugrp_group *group)
{
	for (size_t i = 0; i < group->n_users; i++) {
		free(group->users[i].comm);
		free(group->users[i].file);
	}
	free(group->users);
	group->users = NULL;
	group->n_users = 0;
	group->loaded_users = 0;
}

/* The /dev paths that give access to this group's DMA. */
static size_t group_vfio_paths(struct iommugrp_group *group, char paths[][64], size_t max)
{
	struct iommugrp_device *d = NULL;
	size_t n = 0;

	snprintf(paths[n++], 64, "/dev/vfio/%u", group->number);
	snprintf(paths[n++], 64, "/dev/vfio/noiommu-%u", group->number);
	while ((d = iommugrp_group_device_next(group, d)) && n < max) {
		char **names = NULL, *dir = path_join(d->syspath, "vfio-dev");
		size_t count = 0;

		if (dir && sysfs_list_dir(group->ctx, dir, &names, &count) == 0)
			for (size_t i = 0; i < count && n < max; i++)
				snprintf(paths[n++], 64, "/dev/vfio/devices/%s", names[i]);
		strv_free(names, count);
		free(dir);
	}
	return n;
}

static int add_user(struct iommugrp_group *group, unsigned int pid, const char *file)
{
	struct iommugrp_user *bigger, *u;
	char path[64];

	for (size_t i = 0; i < group->n_users; i++)
		if (group->users[i].pid == pid)
			return 0; /* one entry per process */
	bigger = realloc(group->users, (group->n_users + 1) * sizeof(*bigger));
	if (!bigger)
		return -ENOMEM;
	group->users = bigger;
	u = &group->users[group->n_users];
	u->pid = pid;
	u->comm = NULL;
	snprintf(path, sizeof(path), "proc/%u/comm", pid);
	if (sysfs_read(group->ctx, path, &u->comm) < 0)
		u->comm = strdup("?");
	u->file = strdup(file);
	group->n_users++;
	return u->comm && u->file ? 0 : -ENOMEM;
}

static int scan_process(struct iommugrp_group *group, unsigned int pid, char paths[][64],
			size_t npaths)
{
	char fddir[64], **fds = NULL;
	size_t count = 0;
	int r = 0;

	snprintf(fddir, sizeof(fddir), "proc/%u/fd", pid);
	if (sysfs_list_dir(group->ctx, fddir, &fds, &count) < 0)
		return 0; /* gone, or not ours to read */
	for (size_t i = 0; i < count && r == 0; i++) {
		char target[PATH_MAX], *link = path_join(fddir, fds[i]);
		ssize_t n = link ? readlinkat(group->ctx->rootfd, link, target, sizeof(target) - 1)
				 : -1;

		free(link);
		if (n <= 0)
			continue;
		target[n] = '\0';
		for (size_t p = 0; p < npaths; p++)
			if (strcmp(target, paths[p]) == 0) {
				r = add_user(group, pid, target);
				break;
			}
	}
	strv_free(fds, count);
	return r;
}

static void load_users(struct iommugrp_group *group)
{
	char paths[64][64], **pids = NULL;
	size_t npaths = group_vfio_paths(group, paths, 64), count = 0;
	int r;

	group->loaded_users = 1;
	r = sysfs_list_dir(group->ctx, "proc", &pids, &count);
	if (r < 0) {
		group->users_err = r == -ENOENT ? 0 : r;
		return;
	}
	for (size_t i = 0; i < count && r == 0; i++) {
		unsigned int pid;

		if (parse_uint(pids[i], &pid) == 0)
			r = scan_process(group, pid, paths, npaths);
	}
	group->users_err = r;
	strv_free(pids, count);
}

EXPORT int iommugrp_group_get_user_count(struct iommugrp_group *group)
{
	if (!group->loaded_users)
		load_users(group);
	return group->users_err < 0 ? group->users_err : (int)group->n_users;
}

EXPORT int iommugrp_group_get_user(struct iommugrp_group *group, unsigned int index,
				   unsigned int *ret_pid, const char **ret_command,
				   const char **ret_file)
{
	int n = iommugrp_group_get_user_count(group);

	if (n < 0)
		return n;
	if (index >= (unsigned int)n)
		return -ERANGE;
	*ret_pid = group->users[index].pid;
	*ret_command = group->users[index].comm;
	*ret_file = group->users[index].file;
	return 0;
}
