/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A test-only LD_PRELOAD library, kept out of the shipped build as kmod keeps its fakes in its
 * testsuite. It does two things:
 *
 * 1. Fault injection, by IOMMUGRP_FAULT (one mode; "N" counts the sysfs writes iommugrp makes to
 *    unbind, bind, drivers_probe, driver_override and type, from 1; a transaction's step N is
 *    its N-th such write, since every step is one write):
 *      fail-step=N      write N fails with EIO and changes nothing
 *      busy-write=N     write N fails with EBUSY and changes nothing
 *      written-wrong=N  write N "succeeds" with another value: a type becomes DMA (DMA-FQ if
 *                       DMA was asked), an override becomes "wrong", a bind/unbind/probe does
 *                       nothing; the step's check must then fail (the kernel's DMA-FQ -> DMA)
 *      block-write=N    write N never returns (a driver's remove that hangs); the file named
 *                       by IOMMUGRP_FAULT_BLOCKED, if set, is created first
 *      stop-after=N     SIGSTOP once the journal records N finished steps (the N+1-th rename
 *                       onto a *.journal file)
 *      stop-write=N     SIGSTOP once write N is done (a hold, say), so that a test can change
 *                       the tree before the process goes on (SIGCONT)
 *    On a real sysfs (the VM tests) every other write goes to the kernel unchanged.
 *
 * 2. Sysfs write semantics on fixture trees (any file not on sysfs): a write to drivers/D/unbind
 *    removes the device's driver link, drivers/D/bind and drivers_probe create it (honouring
 *    driver_override, ENODEV/EBUSY as the kernel says them), driver_override and type store one
 *    value ("\n" clears an override), files without a write bit refuse with EACCES. A probe of
 *    a device without an override binds the driver named in the device's fake_probe_driver
 *    file, if any (what the kernel would find by modalias).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>
#include <unistd.h>

/* Paths here are bounded by PATH_MAX; a fixture path longer than that is no test case. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif

#define SYSFS_MAGIC 0x62656572
#define MAX_FDS 1024

enum fault_mode {
	FAULT_NONE,
	FAULT_FAIL,
	FAULT_BUSY,
	FAULT_WRONG,
	FAULT_BLOCK,
	FAULT_STOP,
	FAULT_STOP_WRITE
};

static struct {
	enum fault_mode mode;
	unsigned long n;
	unsigned long writes, journal_renames;
	bool parsed;
} fault;

/* The sysfs files iommugrp writes, by fd: their absolute path, and whether they are real sysfs. */
static struct {
	char *path;
	bool real;
} tracked[MAX_FDS];

static void parse_fault(void)
{
	static const struct {
		const char *prefix;
		enum fault_mode mode;
	} modes[] = {
		{ "fail-step=", FAULT_FAIL },	   { "busy-write=", FAULT_BUSY },
		{ "written-wrong=", FAULT_WRONG }, { "block-write=", FAULT_BLOCK },
		{ "stop-after=", FAULT_STOP },	   { "stop-write=", FAULT_STOP_WRITE },
	};
	const char *env = getenv("IOMMUGRP_FAULT");

	fault.parsed = true;
	for (size_t i = 0; env && i < sizeof(modes) / sizeof(modes[0]); i++) {
		size_t len = strlen(modes[i].prefix);

		if (strncmp(env, modes[i].prefix, len) == 0) {
			fault.mode = modes[i].mode;
			fault.n = strtoul(env + len, NULL, 10);
		}
	}
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

static bool is_step_file(const char *path)
{
	static const char *const names[] = { "unbind", "bind", "drivers_probe", "driver_override",
					     "type" };
	const char *base = base_name(path);

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(base, names[i]) == 0)
			return true;
	return false;
}

static char *fd_path(int fd)
{
	char link[64], buf[PATH_MAX];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, buf, sizeof(buf) - 1);
	if (n < 0)
		return NULL;
	buf[n] = '\0';
	return strdup(buf);
}

/* --- fixture semantics ------------------------------------------------------------------ */

static char *dir_of(const char *path)
{
	char *dir = strdup(path), *slash = strrchr(dir, '/');

	if (slash)
		*slash = '\0';
	return dir;
}

/* The first line of a small file, without its newline; "" when unreadable. */
static void read_line(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "re");

	buf[0] = '\0';
	if (f && fgets(buf, (int)size, f))
		buf[strcspn(buf, "\n")] = '\0';
	if (f)
		fclose(f);
}

static int store(const char *path, const char *value)
{
	FILE *f = fopen(path, "we");

	if (!f)
		return -errno;
	fprintf(f, "%s\n", value);
	return fclose(f) == 0 ? 0 : -errno;
}

/* Creates FROM_DIR/NAME as a relative link to TO (both absolute and canonical), as sysfs links are. */
static int link_relative(const char *to, const char *from_dir, const char *name)
{
	char target[PATH_MAX] = "", linkpath[PATH_MAX];
	size_t common = 0;

	/* The longest common prefix that ends at a component boundary of both. */
	for (size_t i = 0; to[i] && to[i] == from_dir[i]; i++)
		if ((to[i + 1] == '/' || to[i + 1] == '\0') &&
		    (from_dir[i + 1] == '/' || from_dir[i + 1] == '\0'))
			common = i + 1;
	for (const char *p = from_dir + common; *p; p++)
		if (*p == '/')
			strcat(target, "../");
	strcat(target, to[common] == '/' ? to + common + 1 : to + common);
	snprintf(linkpath, sizeof(linkpath), "%s/%s", from_dir, name);
	unlink(linkpath);
	return symlink(target, linkpath) == 0 ? 0 : -errno;
}

/* The device directory of DEVICE on the bus whose directory is BUS (canonical), or NULL. */
static char *device_dir(const char *bus, const char *device)
{
	char path[PATH_MAX];

	if (strchr(device, '/'))
		return NULL;
	snprintf(path, sizeof(path), "%s/devices/%s", bus, device);
	return realpath(path, NULL);
}

/* The name of the driver DEVDIR is bound to, in BUF ("" when unbound). */
static void bound_driver(const char *devdir, char *buf, size_t size)
{
	char link[PATH_MAX], target[PATH_MAX];
	ssize_t n;

	snprintf(link, sizeof(link), "%s/driver", devdir);
	n = readlink(link, target, sizeof(target) - 1);
	buf[0] = '\0';
	if (n > 0) {
		target[n] = '\0';
		snprintf(buf, size, "%s", base_name(target));
	}
}

/* Binding vfio-pci makes the group's /dev/vfio/N, as the kernel's vfio does. */
static void make_vfio_node(const char *devdir)
{
	char link[PATH_MAX], target[PATH_MAX], node[PATH_MAX];
	const char *sys = strstr(devdir, "/sys/");
	ssize_t n;

	snprintf(link, sizeof(link), "%s/iommu_group", devdir);
	n = readlink(link, target, sizeof(target) - 1);
	if (!sys || n <= 0)
		return;
	target[n] = '\0';
	snprintf(node, sizeof(node), "%.*s/dev", (int)(sys - devdir), devdir);
	mkdir(node, 0755);
	strcat(node, "/vfio");
	mkdir(node, 0755);
	snprintf(node + strlen(node), sizeof(node) - strlen(node), "/%s", base_name(target));
	mknod(node, S_IFCHR | 0600, makedev(1, 3));
}

static int do_bind(const char *bus, const char *driver, const char *devdir, const char *device)
{
	char drvdir[PATH_MAX], override[PATH_MAX], now[PATH_MAX], *canon;
	int r;

	snprintf(drvdir, sizeof(drvdir), "%s/drivers/%s", bus, driver);
	canon = realpath(drvdir, NULL);
	if (!canon)
		return -ENODEV;
	bound_driver(devdir, now, sizeof(now));
	snprintf(override, sizeof(override), "%s/driver_override", devdir);
	read_line(override, override, sizeof(override));
	r = now[0] ? -EBUSY
	    : override[0] && strcmp(override, "(null)") && strcmp(override, driver)
		    ? -ENODEV
		    : link_relative(canon, devdir, "driver");
	if (r == 0)
		r = link_relative(devdir, canon, device);
	if (r == 0 && strcmp(driver, "vfio-pci") == 0)
		make_vfio_node(devdir);
	free(canon);
	return r;
}

static int do_unbind(const char *bus, const char *driver, const char *devdir, const char *device)
{
	char now[PATH_MAX], path[PATH_MAX];

	bound_driver(devdir, now, sizeof(now));
	if (strcmp(now, driver) != 0)
		return -ENODEV;
	snprintf(path, sizeof(path), "%s/driver", devdir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/drivers/%s/%s", bus, driver, device);
	unlink(path);
	return 0;
}

static int do_probe(const char *bus, const char *devdir, const char *device)
{
	char now[PATH_MAX], want[PATH_MAX], path[PATH_MAX];

	bound_driver(devdir, now, sizeof(now));
	if (now[0])
		return 0;
	snprintf(path, sizeof(path), "%s/driver_override", devdir);
	read_line(path, want, sizeof(want));
	if (!want[0] || strcmp(want, "(null)") == 0) {
		snprintf(path, sizeof(path), "%s/fake_probe_driver", devdir);
		read_line(path, want, sizeof(want));
	}
	/* No matching driver: drivers_probe still succeeds, as the kernel's does. */
	if (want[0])
		do_bind(bus, want, devdir, device);
	return 0;
}

static bool valid_type(const char *value)
{
	return strcmp(value, "identity") == 0 || strcmp(value, "DMA") == 0 ||
	       strcmp(value, "DMA-FQ") == 0 || strcmp(value, "auto") == 0;
}

/* What a fixture tree does on a write of VALUE (one line) to PATH. */
static int fake_write(const char *path, const char *value)
{
	const char *base = base_name(path);
	char *dir = dir_of(path), *bus = NULL, *devdir = NULL;
	int r = -EINVAL;

	if (strcmp(base, "driver_override") == 0) {
		r = store(path, value[0] ? value : "(null)");
	} else if (strcmp(base, "type") == 0) {
		r = valid_type(value) ? store(path, strcmp(value, "auto") ? value : "DMA-FQ")
				      : -EINVAL;
	} else if (strcmp(base, "drivers_probe") == 0) {
		devdir = device_dir(dir, value);
		r = devdir ? do_probe(dir, devdir, value) : -ENODEV;
	} else {
		/* DIR is BUS/drivers/DRIVER */
		char *drivers = dir_of(dir);

		bus = dir_of(drivers);
		free(drivers);
		devdir = device_dir(bus, value);
		r = !devdir			? -ENODEV
		    : strcmp(base, "bind") == 0 ? do_bind(bus, base_name(dir), devdir, value)
						: do_unbind(bus, base_name(dir), devdir, value);
	}
	free(dir);
	free(bus);
	free(devdir);
	return r;
}

/* --- interposed calls ------------------------------------------------------------------ */

static void track(int fd, int flags)
{
	struct statfs fs;
	char *path;

	if (fd < 0 || fd >= MAX_FDS || (flags & O_ACCMODE) == O_RDONLY)
		return;
	path = fd_path(fd);
	if (!path || !is_step_file(path)) {
		free(path);
		return;
	}
	free(tracked[fd].path);
	tracked[fd].path = path;
	tracked[fd].real = fstatfs(fd, &fs) == 0 && fs.f_type == SYSFS_MAGIC;
}

/* A fixture's file without a write bit refuses as sysfs does for a file without a store. */
static bool fake_read_only(int dirfd, const char *path, int flags)
{
	struct stat st;

	if ((flags & O_ACCMODE) == O_RDONLY || !is_step_file(path) ||
	    fstatat(dirfd, path, &st, 0) < 0 || !S_ISREG(st.st_mode))
		return false;
	return (st.st_mode & 0222) == 0;
}

int openat(int dirfd, const char *path, int flags, ...)
{
	static int (*real_openat)(int, const char *, int, ...);
	mode_t mode = 0;
	va_list ap;
	int fd;

	if (!real_openat)
		real_openat = dlsym(RTLD_NEXT, "openat");
	va_start(ap, flags);
	if (flags & (O_CREAT | __O_TMPFILE))
		mode = va_arg(ap, mode_t);
	va_end(ap);
	if (fake_read_only(dirfd, path, flags)) {
		struct statfs fs;

		if (fstatfs(dirfd, &fs) == 0 && fs.f_type != SYSFS_MAGIC) {
			errno = EACCES;
			return -1;
		}
	}
	fd = real_openat(dirfd, path, flags, mode);
	track(fd, flags);
	return fd;
}

int openat64(int dirfd, const char *path, int flags, ...) __attribute__((alias("openat")));

/* The library opens below a --sysroot with openat2(RESOLVE_IN_ROOT), through syscall(2): its
 * opens are tracked as openat's are. The other system calls pass through, six arguments as
 * the kernel takes them. */
long syscall(long number, ...)
{
	static long (*real_syscall)(long, ...);
	long a[6];
	va_list ap;

	if (!real_syscall)
		real_syscall = dlsym(RTLD_NEXT, "syscall");
	va_start(ap, number);
	for (int i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
#ifdef SYS_openat2
	if (number == SYS_openat2) {
		const uint64_t *how = (const uint64_t *)a[2]; /* struct open_how: flags first */
		int flags = (int)how[0];
		long fd;

		if (fake_read_only((int)a[0], (const char *)a[1], flags)) {
			errno = EACCES;
			return -1;
		}
		fd = real_syscall(number, a[0], a[1], a[2], a[3]);
		track((int)fd, flags);
		return fd;
	}
#endif
	return real_syscall(number, a[0], a[1], a[2], a[3], a[4], a[5]);
}

int close(int fd)
{
	static int (*real_close)(int);

	if (!real_close)
		real_close = dlsym(RTLD_NEXT, "close");
	if (fd >= 0 && fd < MAX_FDS && tracked[fd].path) {
		free(tracked[fd].path);
		tracked[fd].path = NULL;
	}
	return real_close(fd);
}

static const char *wrong_value(const char *path, const char *value)
{
	if (strcmp(base_name(path), "type") == 0)
		return strncmp(value, "DMA\n", 4) == 0 || strcmp(value, "DMA") == 0 ? "DMA-FQ"
										    : "DMA";
	return "wrong";
}

static void block_forever(void)
{
	const char *marker = getenv("IOMMUGRP_FAULT_BLOCKED");

	if (marker)
		close(open(marker, O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
	for (;;)
		pause();
}

static ssize_t tracked_write(int fd, const void *buf, size_t count);

ssize_t write(int fd, const void *buf, size_t count)
{
	ssize_t r = tracked_write(fd, buf, count);

	if (fault.mode == FAULT_STOP_WRITE && fault.writes == fault.n && fd >= 0 && fd < MAX_FDS &&
	    tracked[fd].path) {
		int saved = errno;

		raise(SIGSTOP);
		errno = saved;
	}
	return r;
}

static ssize_t tracked_write(int fd, const void *buf, size_t count)
{
	static ssize_t (*real_write)(int, const void *, size_t);
	char value[4096];
	const char *path;
	bool wrong = false;
	int r;

	if (!real_write)
		real_write = dlsym(RTLD_NEXT, "write");
	if (fd < 0 || fd >= MAX_FDS || !tracked[fd].path)
		return real_write(fd, buf, count);
	if (!fault.parsed)
		parse_fault();
	path = tracked[fd].path;
	fault.writes++;
	if (fault.writes == fault.n) {
		switch (fault.mode) {
		case FAULT_FAIL:
			errno = EIO;
			return -1;
		case FAULT_BUSY:
			errno = EBUSY;
			return -1;
		case FAULT_BLOCK:
			block_forever();
			break;
		case FAULT_WRONG:
			wrong = true;
			break;
		default:
			break;
		}
	}
	if (wrong && strcmp(base_name(path), "type") && strcmp(base_name(path), "driver_override"))
		return (ssize_t)count; /* a bind, unbind or probe that did nothing */
	if (tracked[fd].real) {
		if (!wrong)
			return real_write(fd, buf, count);
		snprintf(value, sizeof(value), "%s", wrong_value(path, buf));
		return real_write(fd, value, strlen(value)) < 0 ? -1 : (ssize_t)count;
	}
	snprintf(value, sizeof(value), "%.*s",
		 (int)(count < sizeof(value) ? count : sizeof(value) - 1), (const char *)buf);
	value[strcspn(value, "\n")] = '\0';
	r = fake_write(path, wrong ? wrong_value(path, value) : value);
	if (r < 0) {
		errno = -r;
		return -1;
	}
	return (ssize_t)count;
}

static void after_rename(const char *newpath, int r)
{
	size_t len = strlen(newpath);

	if (r < 0 || len < 8 || strcmp(newpath + len - 8, ".journal") != 0)
		return;
	if (!fault.parsed)
		parse_fault();
	fault.journal_renames++;
	if (fault.mode == FAULT_STOP && fault.journal_renames == fault.n + 1)
		raise(SIGSTOP);
}

int renameat(int olddirfd, const char *oldpath, int newdirfd, const char *newpath)
{
	static int (*real_renameat)(int, const char *, int, const char *);
	int r;

	if (!real_renameat)
		real_renameat = dlsym(RTLD_NEXT, "renameat");
	r = real_renameat(olddirfd, oldpath, newdirfd, newpath);
	after_rename(newpath, r);
	return r;
}

int renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath,
	      unsigned int flags)
{
	static int (*real_renameat2)(int, const char *, int, const char *, unsigned int);
	int r;

	if (!real_renameat2)
		real_renameat2 = dlsym(RTLD_NEXT, "renameat2");
	r = real_renameat2(olddirfd, oldpath, newdirfd, newpath, flags);
	after_rename(newpath, r);
	return r;
}
