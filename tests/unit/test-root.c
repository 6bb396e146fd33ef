/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Paths below a sysroot stay inside it: absolute symlinks, "..", links to links and loops, each
 * resolved by the context (openat2 RESOLVE_IN_ROOT) and by the walk used without openat2, which
 * must agree. Outside the tree sits a file every escape would reach.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "unit.h"

static char top[] = "/tmp/iommugrp-root-XXXXXX";
static char root[4096];

static void put(const char *rel, const char *text)
{
	char path[4200];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", top, rel);
	f = fopen(path, "w");
	CHECK(f != NULL);
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static void dir(const char *rel)
{
	char path[4200];

	snprintf(path, sizeof(path), "%s/%s", top, rel);
	CHECK_INT(mkdir(path, 0755), 0);
}

static void link_to(const char *target, const char *rel)
{
	char path[4200];

	snprintf(path, sizeof(path), "%s/%s", top, rel);
	CHECK_INT(symlink(target, path), 0);
}

static void build_tree(void)
{
	char outside[4200];

	CHECK(mkdtemp(top) != NULL);
	snprintf(root, sizeof(root), "%s/root", top);
	snprintf(outside, sizeof(outside), "%s/outside/secret", top);
	dir("outside");
	put("outside/secret", "host\n");
	dir("root");
	dir("root/a");
	dir("root/a/b");
	put("root/a/b/file", "inside\n");
	dir("root/outside");
	put("root/outside/secret", "decoy\n");
	link_to("/a", "root/abs");			   /* absolute: the root's /a */
	link_to("../../outside", "root/a/up");		   /* climbs past the root */
	link_to(outside, "root/a/b/host");		   /* the host's file by full path */
	link_to("b/file", "root/a/rel");		   /* relative, inside */
	link_to("/abs/rel", "root/chain");		   /* a link through links */
	link_to("loop", "root/loop");			   /* never resolves */
	link_to("/nowhere/x", "root/dangling");		   /* into nothing */
	link_to("../../../../../../outside", "root/deep"); /* many ".." */
}

/* "inside", "decoy" (root/outside/secret) or "host" (escaped); -errno when it did not open. */
static int contents(int fd, char *buf, size_t size)
{
	ssize_t n;

	if (fd < 0)
		return fd;
	n = read(fd, buf, size - 1);
	close(fd);
	buf[n > 0 ? n - 1 : 0] = '\0';
	return 0;
}

struct resolution {
	const char *path;
	int error;	      /* 0: it opens */
	const char *expected; /* what it reads */
};

static const struct resolution cases[] = {
	{ "a/b/file", 0, "inside" },
	{ "/a/b/file", 0, "inside" },
	{ "abs/b/file", 0, "inside" },
	{ "a/rel", 0, "inside" },
	{ "chain", 0, "inside" },
	{ "a/./b/../b/file", 0, "inside" },
	{ "../outside/secret", 0, "decoy" },
	{ "a/b/../../../../outside/secret", 0, "decoy" },
	{ "a/up/secret", 0, "decoy" },
	{ "deep/secret", 0, "decoy" },
	{ "a/b/host", -ENOENT, NULL },
	{ "loop", -ELOOP, NULL },
	{ "dangling", -ENOENT, NULL },
	{ "a/b/file/x", -ENOTDIR, NULL },
	{ "missing/file", -ENOENT, NULL },
};

static void check_case(const struct resolution *c, int fd, const char *how)
{
	char buf[64] = "";
	int r = contents(fd, buf, sizeof(buf));

	if (r != c->error || (c->expected && strcmp(buf, c->expected) != 0))
		fprintf(stderr, "# %s: %s: got %d '%s', expected %d '%s'\n", how, c->path, r, buf,
			c->error, c->expected ? c->expected : "");
	CHECK_INT(r, c->error);
	if (c->expected)
		CHECK_STR(buf, c->expected);
}

static void test_kernel_and_walk_agree(void)
{
	struct iommugrp_ctx *ctx = NULL;
	int rootfd;

	CHECK_INT(iommugrp_new(root, &ctx), 0);
	rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	for (size_t i = 0; ctx && i < sizeof(cases) / sizeof(cases[0]); i++) {
		check_case(&cases[i], root_open(ctx, cases[i].path, O_RDONLY, 0), "root_open");
		check_case(&cases[i], root_open_walk(rootfd, cases[i].path, O_RDONLY, 0), "walk");
	}
	close(rootfd);
	iommugrp_unref(ctx);
}

/* O_NOFOLLOW opens the link itself (O_PATH), as the vfio file handover needs. */
static void test_nofollow_last(void)
{
	int rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	int fd = root_open_walk(rootfd, "a/b/host", O_PATH | O_NOFOLLOW, 0);
	struct stat st;

	CHECK(fd >= 0 && fstat(fd, &st) == 0 && S_ISLNK(st.st_mode));
	if (fd >= 0)
		close(fd);
	close(rootfd);
}

/* Directories made level by level, never through a link (root/abs is one). */
static void test_make_dirs(void)
{
	struct iommugrp_ctx *ctx = NULL;
	char path[4200];
	struct stat st;
	int fd;

	CHECK_INT(iommugrp_new(root, &ctx), 0);
	fd = root_make_dirs(ctx, "run/iommugrp/boot", 0700);
	CHECK(fd >= 0);
	if (fd >= 0)
		close(fd);
	snprintf(path, sizeof(path), "%s/run/iommugrp/boot", root);
	CHECK(stat(path, &st) == 0 && S_ISDIR(st.st_mode));
	fd = root_make_dirs(ctx, "abs/x", 0700);
	CHECK(fd == -ELOOP || fd == -ENOTDIR);
	snprintf(path, sizeof(path), "%s/a/x", root);
	CHECK(stat(path, &st) < 0);
	iommugrp_unref(ctx);
}

static const char *slurp(const char *rel, char *buf, size_t size)
{
	char path[4200];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", top, rel);
	f = fopen(path, "r");
	if (!f)
		return NULL;
	n = fread(buf, 1, size - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* The one atomic writer: a planted link at the temporary name is replaced, not written through;
 * the mode is set whatever the umask; a failed rename leaves the old file and no temporary. */
static void test_write_atomic(void)
{
	char path[4200], buf[64];
	struct stat st;
	mode_t old_umask;
	int dirfd;

	dir("atomic");
	put("atomic/state", "old\n");
	link_to("../outside/secret", "atomic/state.tmp");
	snprintf(path, sizeof(path), "%s/atomic", top);
	dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	CHECK(dirfd >= 0);
	old_umask = umask(077);
	CHECK_INT(file_write_atomic(dirfd, "state", "state.tmp", "new\n", 0644, true), 0);
	umask(old_umask);
	CHECK(fstatat(dirfd, "state", &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode));
	CHECK_INT(st.st_mode & 07777, 0644);
	CHECK(fstatat(dirfd, "state.tmp", &st, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT);
	CHECK_STR(slurp("atomic/state", buf, sizeof(buf)), "new\n");
	CHECK_STR(slurp("outside/secret", buf, sizeof(buf)), "host\n");
	/* A directory in the way of the rename: the call fails and removes its temporary. */
	dir("atomic/busy");
	put("atomic/busy/x", "");
	CHECK(file_write_atomic(dirfd, "busy", "busy.tmp", "new\n", 0644, false) < 0);
	CHECK(fstatat(dirfd, "busy.tmp", &st, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT);
	close(dirfd);
}

int main(void)
{
	char cmd[4200];

	build_tree();
	RUN(test_kernel_and_walk_agree);
	RUN(test_nofollow_last);
	RUN(test_make_dirs);
	RUN(test_write_atomic);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
	if (system(cmd) != 0)
		fprintf(stderr, "# could not remove %s\n", top);
	return unit_summary();
}
