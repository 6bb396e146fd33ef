/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Every path below a --sysroot is resolved inside it: an absolute symlink or a ".." in a
 * captured or planted tree must not lead root's reads and writes to the host's files. The
 * kernel does it with openat2(RESOLVE_IN_ROOT) (5.6+); elsewhere a walk does the same, one
 * component at a time with O_NOFOLLOW, following symlinks itself. The running system ("/")
 * needs neither: its root is the root.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"

#ifndef RESOLVE_IN_ROOT
#define RESOLVE_NO_MAGICLINKS 0x02
#define RESOLVE_IN_ROOT 0x10
#endif

struct open_how_v0 {
	uint64_t flags, mode, resolve;
};

#define WALK_MAX_DEPTH 256
#define WALK_MAX_LINKS 40 /* the kernel's own limit */

static bool openat2_missing;

static int open_in_root_kernel(int rootfd, const char *path, int flags, mode_t mode)
{
#ifdef SYS_openat2
	struct open_how_v0 how = { .flags = (uint64_t)(unsigned int)flags,
				   .mode = flags & (O_CREAT | O_TMPFILE) ? mode : 0,
				   .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
	long fd;

	do
		fd = syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
	while (fd < 0 && errno == EAGAIN);
	if (fd >= 0)
		return (int)fd;
	if (errno != ENOSYS)
		return -errno;
#else
	(void)rootfd, (void)path, (void)flags, (void)mode;
#endif
	openat2_missing = true;
	return -ENOSYS;
}

/* The walk's position: the directories entered, fds[0] being the root (never closed). */
struct walk {
	int fds[WALK_MAX_DEPTH];
	size_t depth;
	unsigned int links;
	char *todo; /* what is left to resolve */
};

static void walk_up(struct walk *w, bool to_root)
{
	while (w->depth > 0) {
		close(w->fds[w->depth--]);
		if (!to_root)
			break;
	}
}

/* The symlink NAME in the current directory: its target replaces it in what is left. @dir: NAME
 * was followed by a slash, which must stay (a link to a file, then "/", is ENOTDIR). */
static int walk_follow(struct walk *w, const char *name, bool dir, const char *rest)
{
	char target[PATH_MAX], *todo;
	ssize_t n = readlinkat(w->fds[w->depth], name, target, sizeof(target) - 1);

	if (n < 0)
		return -errno;
	if (++w->links > WALK_MAX_LINKS)
		return -ELOOP;
	target[n] = '\0';
	if (target[0] == '/')
		walk_up(w, true);
	todo = malloc((size_t)n + strlen(rest) + 2);
	if (!todo)
		return -ENOMEM;
	strcpy(todo, target);
	if (dir) {
		strcat(todo, "/");
		strcat(todo, rest);
	}
	free(w->todo);
	w->todo = todo;
	return 0;
}

/* A directory component: "." stays, ".." goes up (never above the root), a directory is
 * entered, a symlink followed. Returns 1 when what is left was replaced (a link), 0 when the
 * caller drops the component, or -errno. */
static int walk_step(struct walk *w, const char *name, const char *rest)
{
	struct stat st;
	int fd;

	if (strcmp(name, ".") == 0 || !*name)
		return 0;
	if (strcmp(name, "..") == 0) {
		walk_up(w, false);
		return 0;
	}
	if (fstatat(w->fds[w->depth], name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	if (S_ISLNK(st.st_mode)) {
		int r = walk_follow(w, name, true, rest);

		return r < 0 ? r : 1;
	}
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	if (w->depth + 1 >= WALK_MAX_DEPTH)
		return -ENAMETOOLONG;
	fd = openat(w->fds[w->depth], name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	w->fds[++w->depth] = fd;
	return 0;
}

/* The last component, opened with O_NOFOLLOW, or followed when it is a symlink and the caller
 * did not ask for the link itself. Returns 1 with *ret_fd, 0 to go on walking, or -errno. */
static int walk_last(struct walk *w, const char *name, int flags, mode_t mode, int *ret_fd)
{
	struct stat st;

	if (strcmp(name, "..") == 0) {
		walk_up(w, false);
		name = ".";
	}
	if (!*name)
		name = ".";
	if (strcmp(name, ".") != 0 && !(flags & O_NOFOLLOW) &&
	    fstatat(w->fds[w->depth], name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode)) {
		int r = walk_follow(w, name, false, "");

		return r < 0 ? r : 0;
	}
	*ret_fd = openat(w->fds[w->depth], name, flags | O_NOFOLLOW, mode);
	return *ret_fd < 0 ? -errno : 1;
}

int root_open_walk(int rootfd, const char *path, int flags, mode_t mode)
{
	struct walk w = { .fds = { rootfd }, .todo = strdup(path) };
	int r = w.todo ? 0 : -ENOMEM, fd = -1;

	while (r >= 0) {
		char *name = w.todo + strspn(w.todo, "/"), *slash = strchr(name, '/');

		if (!slash) {
			r = walk_last(&w, name, flags, mode, &fd);
			if (r == 1)
				break;
			continue;
		}
		*slash = '\0';
		r = walk_step(&w, name, slash + 1);
		if (r == 0)
			memmove(w.todo, slash + 1, strlen(slash + 1) + 1);
	}
	walk_up(&w, true);
	free(w.todo);
	return r < 0 ? r : fd;
}

/*
 * A tree below a --sysroot may hold anything: a FIFO planted as a "config" or an "unbind"
 * would block its open (or read) forever. Opens there do not block, and only directories,
 * regular files and character devices (a tree's dev/kmsg) are kept: anything else is
 * -EINVAL, as sysfs_read answers for it. The host's own root ("/") is not checked: its /sys
 * holds only regular files, and the walk over it pays no fstat per attribute. With
 * O_DIRECTORY the kernel opened a directory or nothing, and O_NONBLOCK does nothing to one:
 * a listing pays neither the fstat nor the two fcntl.
 */
static int refuse_special(int fd, int flags)
{
	struct stat st;
	int r = 0, status = 0;

	if (fd < 0 || (flags & (O_PATH | O_DIRECTORY)))
		return fd;
	if (fstat(fd, &st) < 0)
		r = -errno;
	else if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode) && !S_ISCHR(st.st_mode))
		r = -EINVAL;
	else if (!(flags & O_NONBLOCK) && (status = fcntl(fd, F_GETFL)) >= 0)
		status = fcntl(fd, F_SETFL, status & ~O_NONBLOCK);
	if (status < 0)
		r = -errno;
	if (r < 0)
		close(fd);
	return r < 0 ? r : fd;
}

int root_open(const struct iommugrp_ctx *ctx, const char *path, int flags, mode_t mode)
{
	int fd, nonblock = flags & O_PATH ? 0 : O_NONBLOCK;

	flags |= O_CLOEXEC;
	if (!ctx->confined) {
		fd = openat(ctx->rootfd, path, flags, mode);
		return fd < 0 ? -errno : fd;
	}
	if (!openat2_missing) {
		fd = open_in_root_kernel(ctx->rootfd, path, flags | nonblock, mode);
		if (fd != -ENOSYS)
			return refuse_special(fd, flags);
	}
	return refuse_special(root_open_walk(ctx->rootfd, path, flags | nonblock, mode), flags);
}

int root_stat(const struct iommugrp_ctx *ctx, const char *path, bool follow, struct stat *ret_st)
{
	int fd = root_open(ctx, path, O_PATH | (follow ? 0 : O_NOFOLLOW), 0), r = 0;

	if (fd < 0)
		return fd;
	if (fstat(fd, ret_st) < 0)
		r = -errno;
	close(fd);
	return r;
}

/* The link's own text (a link's directories resolved inside the sysroot, the link not). */
ssize_t root_readlink(const struct iommugrp_ctx *ctx, const char *path, char *buf, size_t size)
{
	ssize_t n;
	int fd;

	if (!ctx->confined) { /* "/": nothing to stay inside, one syscall instead of three */
		n = readlinkat(ctx->rootfd, path, buf, size - 1);
		if (n < 0)
			return -errno;
		buf[n] = '\0';
		return n;
	}
	fd = root_open(ctx, path, O_PATH | O_NOFOLLOW, 0);
	if (fd < 0)
		return fd;
	n = readlinkat(fd, "", buf, size - 1);
	if (n < 0)
		n = -errno;
	else
		buf[n] = '\0';
	close(fd);
	return n;
}

int root_make_dirs(const struct iommugrp_ctx *ctx, const char *path, mode_t mode)
{
	char *copy = strdup(path), *name, *save = NULL;
	int fd = copy ? openat(ctx->rootfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC) : -1, next;

	if (!copy || fd < 0) {
		free(copy);
		return copy ? -errno : -ENOMEM;
	}
	for (name = strtok_r(copy, "/", &save); name; name = strtok_r(NULL, "/", &save)) {
		if (mkdirat(fd, name, mode) < 0 && errno != EEXIST)
			break;
		next = openat(fd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0)
			break;
		close(fd);
		fd = next;
	}
	free(copy);
	if (name) { /* stopped by an error */
		int r = -errno;

		close(fd);
		return r;
	}
	next = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	next = next < 0 ? -errno : next;
	close(fd);
	return next;
}

EXPORT int iommugrp_open_file(struct iommugrp_ctx *ctx, const char *path, int flags)
{
	if (!ctx || !path || path[0] != '/' || (flags & (O_CREAT | O_TMPFILE)))
		return -EINVAL;
	return root_open(ctx, path + 1, flags | O_NOCTTY, 0);
}

static int write_all(int fd, const char *text)
{
	size_t len = strlen(text);

	while (len > 0) {
		ssize_t n = write(fd, text, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		text += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * The one atomic writer: @text to the temporary @tmp in the directory open at @dirfd, made
 * with O_EXCL|O_NOFOLLOW after a leftover of that name is removed (a crash's, or a planted
 * link: never written through), @mode set whatever the umask, then renamed over @name. A
 * reader sees the old file or the new one, never half of one. @durable: the file is fsynced
 * before the rename and the directory after (/etc); on a tmpfs (/run) fsync buys nothing.
 * On failure the temporary file is removed and @name is untouched.
 */
int file_write_atomic(int dirfd, const char *name, const char *tmp, const char *text, mode_t mode,
		      bool durable)
{
	int fd, r = 0;

	if (unlinkat(dirfd, tmp, 0) < 0 && errno != ENOENT)
		return -errno;
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0)
		return -errno;
	r = write_all(fd, text);
	if (r == 0 && fchmod(fd, mode) < 0)
		r = -errno;
	if (r == 0 && durable && fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r == 0 && renameat(dirfd, tmp, dirfd, name) < 0)
		r = -errno;
	if (r < 0)
		unlinkat(dirfd, tmp, 0);
	else if (durable)
		fsync(dirfd);
	return r;
}
