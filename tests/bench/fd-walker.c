/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * make bench's floor for the user scan: the least a program does to find who
 * holds a /dev/vfio file, one readlink per open file of every process under
 * ROOT/proc (no confinement, no allocation). Prints "PID TARGET" per hit.
 * Usage: fd-walker ROOT
 */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void scan_fds(int procfd, const char *pid)
{
	char path[NAME_MAX + 8], target[PATH_MAX];
	struct dirent *de;
	DIR *dir;
	int fd;

	snprintf(path, sizeof(path), "%s/fd", pid);
	fd = openat(procfd, path, O_RDONLY | O_DIRECTORY);
	if (fd < 0 || !(dir = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((de = readdir(dir))) {
		ssize_t n = readlinkat(fd, de->d_name, target, sizeof(target) - 1);

		if (n <= 0)
			continue;
		target[n] = '\0';
		if (strncmp(target, "/dev/vfio/", 10) == 0)
			printf("%s %s\n", pid, target);
	}
	closedir(dir);
}

int main(int argc, char **argv)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *proc;

	if (argc != 2)
		return 2;
	snprintf(path, sizeof(path), "%s/proc", argv[1]);
	proc = opendir(path);
	if (!proc)
		return 1;
	while ((de = readdir(proc)))
		if (de->d_name[0] >= '0' && de->d_name[0] <= '9')
			scan_fds(dirfd(proc), de->d_name);
	closedir(proc);
	return 0;
}
