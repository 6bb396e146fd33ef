/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the boot pass needs beyond the planners: holding devices before their
 * drivers load, its state under /run/iommugrp/boot, its lock, and the saved
 * entries of --save in /etc/iommugrp.d/90-saved.conf.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "change.h"
#include "config.h"

#define BOOT_DIR "run/iommugrp/boot"

static int plan_overrides(struct iommugrp_group *group, const char *operation,
			  const char *want_override, const char *value,
			  struct iommugrp_change **ret_change)
{
	struct iommugrp_change *change;
	struct iommugrp_device *d = NULL;
	int r = change_new(group, operation, &change);

	if (r < 0)
		return r;
	while (r == 0 && (d = iommugrp_group_device_next(group, d))) {
		const char *override = iommugrp_device_get_driver_override(d);

		/* Bridges stay with the host; a bound device is the fallback's business. */
		if (iommugrp_device_is_bridge(d) || !iommugrp_device_is_pci(d) ||
		    iommugrp_device_get_driver(d))
			continue;
		if (want_override ? override && strcmp(override, want_override) == 0 : !override)
			r = change_add_step(change, IOMMUGRP_STEP_WRITE_OVERRIDE, d->name,
					    d->syspath, NULL, value);
	}
	change->noop = r == 0 && change->n_steps == 0;
	if (r == 0 && !change->noop)
		r = change_refuse_without_capabilities(change, "writing driver_override");
	if (r < 0) {
		iommugrp_change_unref(change);
		return r;
	}
	*ret_change = change;
	return 0;
}

EXPORT int iommugrp_change_new_hold(struct iommugrp_group *group, const char *override,
				    struct iommugrp_change **ret_change)
{
	if (!override || !*override || strchr(override, '\n'))
		return -EINVAL;
	return plan_overrides(group, "hold", NULL, override, ret_change);
}

EXPORT int iommugrp_change_new_unhold(struct iommugrp_group *group, const char *override,
				      struct iommugrp_change **ret_change)
{
	if (!override || !*override)
		return -EINVAL;
	return plan_overrides(group, "unhold", override, "\n", ret_change);
}

/* The holds' release ends the change, and the journal records the group before the holds:
 * what a killed boot pass must be restored to (policy groups fail open). */
static int release_holds_last(struct iommugrp_change *change, const char *hold)
{
	struct journal *before = &change->restore_source;
	int r = journal_capture(change->group, change->operation, before);

	for (size_t i = 0; r == 0 && i < before->n_devices; i++) {
		struct journal_device *d = &before->devices[i];

		if (d->driver || !d->override || strcmp(d->override, hold) != 0)
			continue;
		free(d->override);
		d->override = NULL;
		r = change_add_step(change, IOMMUGRP_STEP_WRITE_OVERRIDE, d->name, d->devpath, NULL,
				    "\n");
	}
	if (r == 0)
		change->record = before;
	return r;
}

EXPORT int iommugrp_change_new_policy_from_hold(struct iommugrp_group *group,
						enum iommugrp_policy policy, const char *hold,
						struct iommugrp_change **ret_change)
{
	struct iommugrp_change *change;
	int r;

	if (!hold || !*hold)
		return -EINVAL;
	r = iommugrp_change_new_policy(group, policy, &change);
	if (r < 0)
		return r;
	if (change->refusal == 0 && !change->noop)
		r = release_holds_last(change, hold);
	if (r < 0) {
		iommugrp_change_unref(change);
		return r;
	}
	*ret_change = change;
	return 0;
}

EXPORT int iommugrp_group_probe_unbound(struct iommugrp_group *group)
{
	struct iommugrp_device *d = NULL;
	int bound = 0;

	while ((d = iommugrp_group_device_next(group, d))) {
		int r;

		if (iommugrp_device_is_bridge(d) || !iommugrp_device_is_pci(d) ||
		    iommugrp_device_get_driver(d) || iommugrp_device_get_driver_override(d))
			continue;
		/* Success says nothing about a bind: a driver not loaded yet binds on its load. */
		r = sysfs_write(group->ctx, "sys/bus/pci/drivers_probe", d->name);
		if (r < 0)
			log_dbg(group->ctx, "%s: drivers_probe: %s", d->name, strerror(-r));
		device_forget_state(d);
		bound += iommugrp_device_get_driver(d) != NULL;
	}
	return bound;
}

EXPORT int iommugrp_vfio_record_forget_override(struct iommugrp_group *group, const char *override)
{
	char *path = journal_path(group->number, "vfio");
	struct journal record;
	bool changed = false;
	int r = path ? journal_read(group->ctx, path, &record) : -ENOMEM;

	if (r < 0) {
		free(path);
		return r == -ENOENT ? 0 : r;
	}
	for (size_t i = 0; i < record.n_devices; i++) {
		struct journal_device *d = &record.devices[i];

		if (!d->driver && d->override && strcmp(d->override, override) == 0) {
			free(d->override);
			d->override = NULL;
			changed = true;
		}
	}
	r = changed ? journal_write(group->ctx, path, &record) : 0;
	journal_clear(&record);
	free(path);
	return r;
}

EXPORT void iommugrp_group_reread(struct iommugrp_group *group)
{
	group_forget_state(group);
}

EXPORT int iommugrp_boot_id(struct iommugrp_ctx *ctx, char **ret_boot_id)
{
	return journal_boot_id(ctx, ret_boot_id);
}

/*
 * Written aside and renamed (file_write_atomic). The temporary file carries the pid: boot
 * passes of several devices write at once. @durable: /etc; the boot state lives in /run, a
 * tmpfs, where fsync buys nothing and costs a pass of 100 groups a few hundred system calls.
 */
static int write_atomic(int dirfd, const char *name, const char *text, mode_t mode, bool durable)
{
	char tmp[300];

	snprintf(tmp, sizeof(tmp), ".%.200s.%d.tmp", name, getpid());
	return file_write_atomic(dirfd, name, tmp, text, mode, durable);
}

static bool is_state_name(const char *name)
{
	return *name && !strchr(name, '/') && name[0] != '.' && strlen(name) < 64;
}

/*
 * Boot state is obeyed (a group recorded as done is skipped), so it is trusted only as the
 * journals are: run/iommugrp as journal_dir_open checks it, boot/ in it a real directory,
 * root's, closed to others, each file a regular one, root's, writable by no one else, none
 * opened through a link. What is refused is a problem (the boot pass logs it to the kernel
 * log) and -EPERM.
 */
static int boot_dir_open(struct iommugrp_ctx *ctx, bool create)
{
	char *reason = NULL;
	struct stat st;
	int dirfd, fd;

	dirfd = journal_dir_open(ctx, create, &reason);
	if (dirfd == -EPERM)
		problem(ctx, -EPERM, "/run/iommugrp", "cannot use /run/iommugrp: %s",
			reason ? reason : strerror(EPERM));
	free(reason);
	reason = NULL;
	if (dirfd < 0)
		return dirfd;
	if (create && mkdirat(dirfd, "boot", 0700) < 0 && errno != EEXIST) {
		fd = -errno;
		close(dirfd);
		return fd;
	}
	fd = fstatat(dirfd, "boot", &st, AT_SYMLINK_NOFOLLOW) < 0 ? -errno : 0;
	if (fd == 0 && !(reason = journal_untrusted_dir_reason(&st))) {
		fd = openat(dirfd, "boot", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			fd = -errno;
		/* The directory opened is the one checked. */
		else if (fstat(fd, &st) < 0 || (reason = journal_untrusted_dir_reason(&st))) {
			close(fd);
			fd = -EPERM;
		}
	} else if (fd == 0) {
		fd = -EPERM;
	}
	close(dirfd);
	if (fd == -EPERM)
		problem(ctx, -EPERM, "/" BOOT_DIR, "cannot use /" BOOT_DIR ": %s",
			reason ? reason : strerror(EPERM));
	free(reason);
	return fd;
}

/* Why the file STAT describes is not boot state iommugrp wrote (NULL: it is). */
static char *untrusted_file_reason(const struct stat *st)
{
	if (!S_ISREG(st->st_mode))
		return strdup("it is not a regular file");
	if (st->st_uid != 0)
		return strdup_printf("it is owned by uid %u, not by root", (unsigned int)st->st_uid);
	if (st->st_mode & 0022)
		return strdup_printf("it has mode %04o: others may write it",
				     (unsigned int)(st->st_mode & 07777));
	return NULL;
}

/* Opens boot/NAME (in DIRFD) as FLAGS, refusing a link, a FIFO, or a file not root's alone. */
static int boot_file_open(struct iommugrp_ctx *ctx, int dirfd, const char *name, int flags,
			  mode_t mode)
{
	char *reason = NULL;
	struct stat st;
	int fd = openat(dirfd, name, flags | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, mode);

	if (fd < 0 && errno == ELOOP)
		reason = strdup("it is a symbolic link");
	else if (fd < 0)
		return -errno;
	else if (fstat(fd, &st) < 0 || (reason = untrusted_file_reason(&st))) {
		close(fd);
		fd = -1;
	}
	if (fd < 0) {
		char path[128];

		snprintf(path, sizeof(path), "/" BOOT_DIR "/%s", name);
		problem(ctx, -EPERM, path, "cannot use %s: %s", path,
			reason ? reason : strerror(errno));
		free(reason);
		return -EPERM;
	}
	return fd;
}

EXPORT int iommugrp_boot_state_write(struct iommugrp_ctx *ctx, const char *name, const char *text)
{
	int dirfd, r;

	if (!is_state_name(name))
		return -EINVAL;
	dirfd = boot_dir_open(ctx, true);
	if (dirfd < 0)
		return dirfd;
	/* A forged file in its place is replaced, never written through (rename). */
	r = write_atomic(dirfd, name, text, 0644, false);
	close(dirfd);
	return r;
}

EXPORT int iommugrp_boot_state_read(struct iommugrp_ctx *ctx, const char *name, char **ret_text)
{
	char *text = NULL;
	int dirfd, fd, r;

	if (!is_state_name(name))
		return -EINVAL;
	dirfd = boot_dir_open(ctx, false);
	if (dirfd < 0)
		return dirfd;
	fd = boot_file_open(ctx, dirfd, name, O_RDONLY, 0);
	close(dirfd);
	if (fd < 0)
		return fd;
	r = sysfs_read_fd(fd, &text);
	close(fd);
	if (r >= 0 && r > 64 * 1024) {
		free(text);
		r = -EFBIG;
	}
	if (r < 0)
		return r;
	*ret_text = text;
	return 0;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Moves PARENTFD/NAME aside as NAME.untrusted-PID-MS, saying so (a problem about DISPLAY). */
static int move_aside(struct iommugrp_ctx *ctx, int parentfd, const char *display, const char *name)
{
	char suffix[48], aside[96];

	snprintf(suffix, sizeof(suffix), ".untrusted-%d-%lld", (int)getpid(), now_ms());
	snprintf(aside, sizeof(aside), "%s%s", name, suffix);
	if (renameat2(parentfd, name, parentfd, aside, RENAME_NOREPLACE) < 0) {
		int r = -errno;

		problem(ctx, r, display, "cannot move the untrusted %s aside: %s", display,
			strerror(-r));
		return r;
	}
	problem(ctx, -EPERM, display,
		"%s is not trusted: moved aside to %s%s, the boot pass runs as if no state "
		"existed",
		display, display, suffix);
	return 0;
}

/*
 * The boot pass has no one to ask: a /run/iommugrp (or its boot/) it may not trust is moved
 * aside, when its parent is one only root writes, and made anew, so that the pass fails
 * closed (configured vfio groups held and handed over as if no state existed) instead of
 * obeying or skipping. Returns 0 when something was moved.
 */
static int quarantine_untrusted(struct iommugrp_ctx *ctx)
{
	char *reason = NULL;
	struct stat st;
	int runfd, dirfd, r = -EPERM;

	runfd = openat(ctx->rootfd, "run", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (runfd < 0)
		return -errno;
	if (fstat(runfd, &st) < 0 || st.st_uid != 0 || (st.st_mode & 0022)) {
		close(runfd);
		return -EPERM; /* run/ itself is not root's alone: nothing in it is moved */
	}
	dirfd = journal_dir_open(ctx, false, &reason);
	if (dirfd == -EPERM)
		r = move_aside(ctx, runfd, "/run/iommugrp", "iommugrp");
	free(reason);
	if (dirfd >= 0) {
		if (fstatat(dirfd, "boot", &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    (reason = journal_untrusted_dir_reason(&st)))
			r = move_aside(ctx, dirfd, "/" BOOT_DIR, "boot");
		free(reason);
		close(dirfd);
	}
	close(runfd);
	return r;
}

/* Polled, not blocking: a bounded wait without taking the process's signals or timers. */
EXPORT int iommugrp_boot_lock(struct iommugrp_ctx *ctx, unsigned int timeout_ms)
{
	long long deadline = now_ms() + timeout_ms;
	struct timespec pause = { 0, 1000000 };
	int dirfd = boot_dir_open(ctx, true), fd;

	if (dirfd == -EPERM && quarantine_untrusted(ctx) == 0)
		dirfd = boot_dir_open(ctx, true);
	if (dirfd < 0)
		return dirfd;
	fd = boot_file_open(ctx, dirfd, "lock", O_RDWR | O_CREAT, 0600);
	close(dirfd);
	if (fd < 0)
		return fd;
	while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK && errno != EINTR) {
			int r = -errno;

			close(fd);
			return r;
		}
		if (now_ms() >= deadline) {
			close(fd);
			return -ETIMEDOUT;
		}
		nanosleep(&pause, NULL);
		/* 1 ms, doubling up to 32 ms: quick when the holder is quick, cheap when not. */
		if (pause.tv_nsec < 32000000)
			pause.tv_nsec *= 2;
	}
	return fd;
}

/* --save ------------------------------------------------------------------ */

static bool line_has_token(const char *line, const char *token)
{
	size_t len = strlen(token);

	for (const char *p = line; (p = strstr(p, token)); p += len)
		if ((p == line || p[-1] == ' ' || p[-1] == '\t') &&
		    (p[len] == '\0' || p[len] == ' ' || p[len] == '\t' || p[len] == '#' ||
		     p[len] == '\n'))
			return true;
	return false;
}

static bool line_is_kind(const char *line, const char *kind)
{
	if (strcmp(kind, "vfio") == 0)
		return line_has_token(line, "vfio=yes");
	return strstr(line, "policy=") != NULL;
}

/* The saved file without @device's line of @kind, then the new line (if any). */
static int saved_text(const char *old, size_t len, const char *path_token, const char *kind,
		      const char *new_line, char **ret_text, bool *ret_any_entry)
{
	size_t size = 0;
	char *out = NULL;
	FILE *f = open_memstream(&out, &size);
	bool any = false;

	if (!f)
		return -ENOMEM;
	if (len == 0)
		fprintf(f, "# Written by iommugrp's --save (vfio-bind, vfio-release, set-policy).\n"
			   "# See iommugrp.conf(5). Lines may be edited or removed by hand.\n");
	for (size_t pos = 0; pos < len;) {
		const char *nl = memchr(old + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (old + pos)) : len - pos;
		char *line = strndup(old + pos, n);

		pos += n + 1;
		if (!line)
			continue;
		if (!(line_has_token(line, path_token) && line_is_kind(line, kind))) {
			fprintf(f, "%s\n", line);
			any |= line[strspn(line, " \t")] != '#' && line[strspn(line, " \t")] != '\0';
		}
		free(line);
	}
	if (new_line) {
		fprintf(f, "%s\n", new_line);
		any = true;
	}
	if (fclose(f) != 0 || !out) {
		free(out);
		return -ENOMEM;
	}
	*ret_text = out;
	*ret_any_entry = any;
	return 0;
}

EXPORT int iommugrp_config_save(struct iommugrp_ctx *ctx, struct iommugrp_device *device,
				const char *kind, const char *actions)
{
	char *path = NULL, *path_token = NULL, *line = NULL, *old = NULL, *text = NULL;
	uint16_t vendor, device_id;
	uint32_t class_code;
	size_t len = 0;
	bool any = false;
	int dirfd = -1, r;

	if (!kind || (strcmp(kind, "vfio") && strcmp(kind, "policy")) ||
	    (actions && strchr(actions, '\n')))
		return -EINVAL;
	r = config_device_path(device, &path);
	if (r == 0)
		r = iommugrp_device_get_pci_ids(device, &vendor, &device_id, &class_code);
	if (r == 0 && (!(path_token = strdup_printf("path=%s", path)) ||
		       (actions && !(line = strdup_printf("path=%s id=%04x:%04x %s", path, vendor,
							  device_id, actions)))))
		r = -ENOMEM;
	if (r == 0) {
		dirfd = root_make_dirs(ctx, CONFIG_DIR, 0755);
		r = dirfd < 0 ? dirfd : 0;
	}
	if (r == 0) {
		r = sysfs_read_raw(ctx, CONFIG_SAVED, CONFIG_FILE_MAX, &old, &len, NULL);
		if (r == -ENOENT) {
			len = 0;
			r = 0;
		}
	}
	if (r == 0)
		r = saved_text(old, len, path_token, kind, line, &text, &any);
	if (r == 0 && any)
		r = write_atomic(dirfd, "90-saved.conf", text, 0644, true);
	else if (r == 0 && len > 0 && unlinkat(dirfd, "90-saved.conf", 0) < 0)
		r = -errno;
	if (dirfd >= 0)
		close(dirfd);
	free(path);
	free(path_token);
	free(line);
	free(old);
	free(text);
	return r;
}
