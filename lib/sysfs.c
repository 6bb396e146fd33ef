/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Every file the library reads goes through here, relative to the context's
 * sysroot directory fd, so fixture trees and the live system share one path.
 */
#include <dirent.h>
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "config.h"

/* sysfs attributes are at most a page; reserved_regions and /proc files may be longer. */
#define READ_LIMIT (1024 * 1024)

/*
 * A sysfs attribute arrives whole in the first read (the kernel renders it into
 * one page, and a binary attribute gives what was asked up to its size), so a
 * short first read under sys/ is the end: no second read to hear EOF. Anything
 * else (/proc's seq_files hand out a page at a time) and a full buffer read on.
 */
static int read_all(int fd, bool short_read_is_eof, char **ret_value)
{
	size_t size = 4096, len = 0;
	char *buf = malloc(size);

	if (!buf)
		return -ENOMEM;
	for (;;) {
		size_t want = size - len - 1;
		ssize_t n = read(fd, buf + len, want);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			free(buf);
			return -errno;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (short_read_is_eof && (size_t)n < want)
			break;
		if (len + 1 == size) {
			char *bigger = size >= READ_LIMIT ? NULL : realloc(buf, size * 2);

			if (!bigger) {
				free(buf);
				return size >= READ_LIMIT ? -EFBIG : -ENOMEM;
			}
			buf = bigger;
			size *= 2;
		}
	}
	buf[len] = '\0';
	/* Values are kept (a group's type, an override): not in a 4 KiB buffer each. */
	if (len + 1 < size) {
		char *fitted = realloc(buf, len + 1);

		if (fitted)
			buf = fitted;
	}
	*ret_value = buf;
	return (int)len;
}

/* Reads a whole file; strips one trailing newline. Returns the length or -errno. */
/* Reads a whole regular file from FD (-EINVAL for anything else: a FIFO would block). */
static bool sysfs_is_regular(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
}

int sysfs_read_fd(int fd, char **ret_value)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -errno;
	return S_ISREG(st.st_mode) ? read_all(fd, false, ret_value) : -EINVAL;
}

int sysfs_read(const struct iommugrp_ctx *ctx, const char *path, char **ret_value)
{
	bool in_sysfs = strncmp(path, "sys/", 4) == 0;
	int fd, r;

	fd = root_open(ctx, path, O_RDONLY | O_NOCTTY | O_NONBLOCK, 0);
	if (fd < 0)
		return fd;
	/*
	 * Only a regular file: a FIFO or device planted in a tree is not read. The
	 * host's own /sys holds no such thing: no fstat per attribute there.
	 */
	if (in_sysfs && !ctx->confined)
		r = read_all(fd, true, ret_value);
	else
		r = sysfs_is_regular(fd) ? read_all(fd, in_sysfs, ret_value) : -EINVAL;
	close(fd);
	if (r > 0 && (*ret_value)[r - 1] == '\n')
		(*ret_value)[--r] = '\0';
	return r;
}

/* One byte at an offset: a single config-space access where a whole read would be ~1,000. */
int sysfs_read_byte(const struct iommugrp_ctx *ctx, const char *path, off_t offset,
		    uint8_t *ret_byte)
{
	int fd = root_open(ctx, path, O_RDONLY | O_NOCTTY, 0);
	ssize_t n;
	int r;

	if (fd < 0)
		return fd;
	do
		n = pread(fd, ret_byte, 1, offset);
	while (n < 0 && errno == EINTR);
	r = n < 0 ? -errno : n == 0 ? -ENODATA : 0;
	close(fd);
	return r;
}

int sysfs_read_attr(const struct iommugrp_ctx *ctx, const char *dir, const char *attr,
		    char **ret_value)
{
	char *path = path_join(dir, attr);
	int r;

	if (!path)
		return -ENOMEM;
	r = sysfs_read(ctx, path, ret_value);
	free(path);
	return r;
}

/* The target of the link dir/link, as written in the link. */
static int read_link(const struct iommugrp_ctx *ctx, const char *dir, const char *link,
		     char **ret_target)
{
	char buf[PATH_MAX], *path = path_join(dir, link);
	ssize_t n = path ? root_readlink(ctx, path, buf, sizeof(buf)) : -ENOMEM;

	free(path);
	if (n < 0)
		return (int)n;
	buf[n] = '\0';
	*ret_target = strdup(buf);
	return *ret_target ? 0 : -ENOMEM;
}

/* Resolves dir/link to a normalized path relative to the sysroot. */
int sysfs_link_target(const struct iommugrp_ctx *ctx, const char *dir, const char *link,
		      char **ret_path)
{
	char *target = NULL;
	int r = read_link(ctx, dir, link, &target);

	if (r < 0)
		return r;
	r = path_resolve_link(dir, target, ret_path);
	free(target);
	return r;
}

/* The last component of a link's target: a driver's or subsystem's name. */
int sysfs_link_basename(const struct iommugrp_ctx *ctx, const char *dir, const char *link,
			char **ret_name)
{
	char *target = NULL, *slash;
	int r = read_link(ctx, dir, link, &target);

	if (r < 0)
		return r;
	slash = strrchr(target, '/');
	if (!slash) {
		*ret_name = target;
		return 0;
	}
	*ret_name = strdup(slash + 1);
	free(target);
	return *ret_name ? 0 : -ENOMEM;
}

void strv_free(char **strv, size_t count)
{
	if (!strv)
		return;
	for (size_t i = 0; i < count; i++)
		free(strv[i]);
	free(strv);
}

static int strv_push(char ***strv, size_t *count, size_t *alloc, const char *s)
{
	if (*count == *alloc) {
		size_t n = *alloc ? *alloc * 2 : 16;
		char **bigger = realloc(*strv, n * sizeof(char *));

		if (!bigger)
			return -ENOMEM;
		*strv = bigger;
		*alloc = n;
	}
	(*strv)[*count] = strdup(s);
	if (!(*strv)[*count])
		return -ENOMEM;
	(*count)++;
	return 0;
}

/* Whether the entry de of the directory open at fd is a directory (not a link to one). */
static bool entry_is_dir(int fd, const struct dirent64 *de)
{
	struct stat st;

	if (de->d_type != DT_UNKNOWN)
		return de->d_type == DT_DIR;
	return fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
}

/*
 * Names in a directory, without "." and "..", unsorted; only its real
 * subdirectories when dirs_only. getdents64 itself: fdopendir's fstat and
 * fcntl per directory add up on big hosts, and its d_type saves a stat per
 * entry.
 */
static int list_dir(const struct iommugrp_ctx *ctx, const char *dir, bool dirs_only,
		    char ***ret_names, size_t *ret_count)
{
	char **names = NULL, buf[16 * 1024] __attribute__((aligned(8)));
	size_t count = 0, alloc = 0;
	int fd, r = 0;

	fd = root_open(ctx, dir, O_RDONLY | O_DIRECTORY, 0);
	if (fd < 0)
		return fd;
	for (;;) {
		ssize_t n = getdents64(fd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = n < 0 ? -errno : 0;
			break;
		}
		for (ssize_t off = 0; off < n && r == 0;) {
			struct dirent64 *de = (struct dirent64 *)(buf + off);

			off += de->d_reclen;
			if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
				continue;
			if (!dirs_only || entry_is_dir(fd, de))
				r = strv_push(&names, &count, &alloc, de->d_name);
		}
		if (r < 0)
			break;
	}
	close(fd);
	if (r < 0) {
		strv_free(names, count);
		return r;
	}
	*ret_names = names;
	*ret_count = count;
	return 0;
}

int sysfs_list_dir(const struct iommugrp_ctx *ctx, const char *dir, char ***ret_names,
		   size_t *ret_count)
{
	return list_dir(ctx, dir, false, ret_names, ret_count);
}

int sysfs_list_subdirs(const struct iommugrp_ctx *ctx, const char *dir, char ***ret_names,
		       size_t *ret_count)
{
	return list_dir(ctx, dir, true, ret_names, ret_count);
}

int sysfs_exists(const struct iommugrp_ctx *ctx, const char *path)
{
	struct stat st;

	return root_stat(ctx, path, true, &st);
}

/* One write(2) of the whole value, as sysfs stores expect. */
int sysfs_write(const struct iommugrp_ctx *ctx, const char *path, const char *value)
{
	size_t len = strlen(value);
	ssize_t n;
	int fd, r = 0;

	fd = root_open(ctx, path, O_WRONLY | O_NOCTTY, 0);
	if (fd < 0)
		return fd;
	n = write(fd, value, len);
	if (n < 0)
		r = -errno;
	else if ((size_t)n != len)
		r = -EIO;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	return r;
}

/*
 * The configuration reader's needs: the bytes as they are (a PCI config space
 * may end in 0x0a), and the stat of the very file read, so the permission
 * check and the contents cannot come from two different files.
 */
int sysfs_read_raw(const struct iommugrp_ctx *ctx, const char *path, size_t limit, char **ret_value,
		   size_t *ret_len, struct stat *ret_stat)
{
	int fd, r;

	fd = root_open(ctx, path, O_RDONLY | O_NOCTTY | O_NONBLOCK, 0);
	if (fd < 0)
		return fd;
	if (ret_stat && fstat(fd, ret_stat) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	if (ret_stat && !S_ISREG(ret_stat->st_mode)) {
		close(fd);
		return -EISDIR;
	}
	r = read_all(fd, false, ret_value);
	close(fd);
	if (r < 0)
		return r;
	if ((size_t)r > limit) {
		free(*ret_value);
		return -EFBIG;
	}
	*ret_len = (size_t)r;
	return 0;
}

int sysfs_stat(const struct iommugrp_ctx *ctx, const char *path, struct stat *ret_stat)
{
	return root_stat(ctx, path, true, ret_stat);
}
