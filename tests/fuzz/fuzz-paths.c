/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Path resolution below a sysroot (lib/root.c): any string as a path, against a small tree of
 * directories and symlinks (absolute, relative, climbing past the root, chained, looping) made
 * once beside a host file. The kernel's openat2(RESOLVE_IN_ROOT) and the walk used without it
 * must agree: both fail with the same errno, or both open the same file, and never the host's.
 */
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"
#include "internal.h"

static struct iommugrp_ctx *ctx;
static int rootfd;
static char top[] = "/tmp/iommugrp-fuzz-paths.XXXXXX";
static struct stat host;

int LLVMFuzzerInitialize(int *argc, char ***argv);

static void must(int ok)
{
	if (!ok) {
		perror("fuzz-paths: making the tree");
		abort();
	}
}

static void make_tree(void)
{
	static const char *const dirs[] = { "root", "root/a", "root/a/b", "root/outside" };
	static const char *const files[] = { "secret", "root/a/b/file", "root/outside/secret" };
	static const char *const links[][2] = {
		{ "/a", "root/abs" },
		{ "../../outside", "root/a/up" },
		{ "b/file", "root/a/rel" },
		{ "/abs/rel", "root/chain" },
		{ "loop", "root/loop" },
		{ "/nowhere/x", "root/dangling" },
		{ "../../../..", "root/a/b/top" },
		{ "/", "root/slash" },
		{ "./b/../b/.", "root/a/dot" },
	};
	char path[4200], target[4200];
	int fd;

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", top, dirs[i]);
		must(mkdir(path, 0755) == 0);
	}
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", top, files[i]);
		must((fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644)) >= 0);
		close(fd);
	}
	for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", top, links[i][1]);
		must(symlink(links[i][0], path) == 0);
	}
	/* The host's file by its full path: inside the root it names nothing. */
	snprintf(target, sizeof(target), "%s/secret", top);
	snprintf(path, sizeof(path), "%s/root/a/host", top);
	must(symlink(target, path) == 0);
	must(stat(target, &host) == 0);
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st, (void)type, (void)ftw;
	remove(path);
	return 0;
}

static void remove_tree(void)
{
	nftw(top, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char root[4200];

	(void)argc, (void)argv;
	must(mkdtemp(top) != NULL);
	atexit(remove_tree);
	make_tree();
	snprintf(root, sizeof(root), "%s/root", top);
	must(iommugrp_new(root, &ctx) == 0);
	must((rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC)) >= 0);
	return 0;
}

/* Both opened the same file, or failed alike; neither is the host's file. */
static void check_agree(int by_kernel, int by_walk)
{
	struct stat a, b;

	FUZZ_ASSERT((by_kernel < 0) == (by_walk < 0));
	if (by_kernel < 0) {
		FUZZ_ASSERT(by_kernel == by_walk);
		return;
	}
	FUZZ_ASSERT(fstat(by_kernel, &a) == 0 && fstat(by_walk, &b) == 0);
	FUZZ_ASSERT(a.st_dev == b.st_dev && a.st_ino == b.st_ino);
	FUZZ_ASSERT(a.st_ino != host.st_ino || a.st_dev != host.st_dev);
	close(by_kernel);
	close(by_walk);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *path = fuzz_text(data, size);

	/* The kernel refuses what the walk never sees: an empty path, one over PATH_MAX. */
	if (*path && size < 1024) {
		check_agree(root_open(ctx, path, O_PATH, 0),
			    root_open_walk(rootfd, path, O_PATH, 0));
		check_agree(root_open(ctx, path, O_PATH | O_NOFOLLOW, 0),
			    root_open_walk(rootfd, path, O_PATH | O_NOFOLLOW, 0));
	}
	free(path);
	return 0;
}
