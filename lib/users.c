/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Who uses a group: processes holding its VFIO files open. No sysfs attribute
 * shows DMA ownership; an open /dev/vfio/N (noiommu-N without an IOMMU) or
 * /dev/vfio/devices/vfioX of a member, in /proc/PID/fd, is the only trace a
 * VMM leaves.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

/*
 * One scan of /proc per context, whatever the number of groups asked about:
 * every open file under /dev/vfio/, in /proc's order. A group's users are then
 * picked from that list. Only fd links are read, through directory fds, with no
 * allocation per descriptor; only VFIO targets are kept.
 */
struct vfio_holder {
	unsigned int pid;
	char *file;
};

#define VFIO_PREFIX "/dev/vfio/"

void users_forget_scan(struct iommugrp_ctx *ctx)
{
	for (size_t i = 0; i < ctx->n_vfio_holders; i++)
		free(ctx->vfio_holders[i].file);
	free(ctx->vfio_holders);
	ctx->vfio_holders = NULL;
	ctx->n_vfio_holders = 0;
	ctx->vfio_scan = 0;
}

static int add_holder(struct iommugrp_ctx *ctx, size_t *alloc, unsigned int pid, const char *file)
{
	if (ctx->n_vfio_holders == *alloc) {
		size_t n = *alloc ? *alloc * 2 : 16;
		struct vfio_holder *bigger = realloc(ctx->vfio_holders, n * sizeof(*bigger));

		if (!bigger)
			return -ENOMEM;
		ctx->vfio_holders = bigger;
		*alloc = n;
	}
	ctx->vfio_holders[ctx->n_vfio_holders].pid = pid;
	ctx->vfio_holders[ctx->n_vfio_holders].file = strdup(file);
	if (!ctx->vfio_holders[ctx->n_vfio_holders].file)
		return -ENOMEM;
	ctx->n_vfio_holders++;
	return 0;
}

/* Calls fn for each entry of the directory open at fd but "." and "..". */
static int for_each_entry(int fd, int (*fn)(void *data, const char *name), void *data)
{
	char buf[8192] __attribute__((aligned(8)));

	for (;;) {
		ssize_t n = getdents64(fd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : 0;
		for (ssize_t off = 0; off < n;) {
			struct dirent64 *de = (struct dirent64 *)(buf + off);
			int r;

			off += de->d_reclen;
			if (de->d_name[0] == '.' &&
			    (de->d_name[1] == '\0' ||
			     (de->d_name[1] == '.' && de->d_name[2] == '\0')))
				continue;
			r = fn(data, de->d_name);
			if (r < 0)
				return r;
		}
	}
}

struct process_scan {
	struct iommugrp_ctx *ctx;
	size_t alloc;
	int procfd, fdfd;
	unsigned int pid;
};

static int check_fd(void *data, const char *name)
{
	struct process_scan *scan = data;
	char target[PATH_MAX];
	ssize_t n = readlinkat(scan->fdfd, name, target, sizeof(target) - 1);

	if (n < (ssize_t)strlen(VFIO_PREFIX))
		return 0;
	target[n] = '\0';
	if (strncmp(target, VFIO_PREFIX, strlen(VFIO_PREFIX)) != 0)
		return 0;
	return add_holder(scan->ctx, &scan->alloc, scan->pid, target);
}

static int scan_process(void *data, const char *name)
{
	struct process_scan *scan = data;
	char fddir[32];
	int r;

	if (parse_uint(name, &scan->pid) < 0)
		return 0;
	snprintf(fddir, sizeof(fddir), "proc/%u/fd", scan->pid);
	scan->fdfd = root_open(scan->ctx, fddir, O_RDONLY | O_DIRECTORY, 0);
	if (scan->fdfd < 0)
		return 0; /* gone, or not ours to read */
	r = for_each_entry(scan->fdfd, check_fd, scan);
	close(scan->fdfd);
	return r == -ENOMEM ? r : 0;
}

static int scan_proc(struct iommugrp_ctx *ctx)
{
	struct process_scan scan = { .ctx = ctx };
	int r;

	if (ctx->vfio_scan)
		return ctx->vfio_scan < 0 ? ctx->vfio_scan : 0;
	scan.procfd = root_open(ctx, "proc", O_RDONLY | O_DIRECTORY, 0);
	if (scan.procfd < 0) {
		r = scan.procfd == -ENOENT ? 0 : scan.procfd;
	} else {
		r = for_each_entry(scan.procfd, scan_process, &scan);
		close(scan.procfd);
	}
	ctx->vfio_scan = r < 0 ? r : 1;
	return r;
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

static void load_users(struct iommugrp_group *group)
{
	struct iommugrp_ctx *ctx = group->ctx;
	char **paths = NULL;
	size_t npaths = 0;
	int r;

	group->loaded_users = 1;
	/* An open file whose node is gone reads "... (deleted)" in /proc, which names no group:
	 * with none of the group's files present, nobody holds it, and /proc (one readlink per
	 * open file on the host) is not read at all. */
	r = vfio_files_list(group, true, &paths, &npaths);
	if (r == 0 && npaths > 0)
		r = scan_proc(ctx);
	for (size_t i = 0; r == 0 && i < ctx->n_vfio_holders; i++)
		for (size_t p = 0; p < npaths; p++)
			if (strcmp(ctx->vfio_holders[i].file, paths[p]) == 0) {
				r = add_user(group, ctx->vfio_holders[i].pid, paths[p]);
				break;
			}
	group->users_err = r;
	strv_free(paths, npaths);
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
