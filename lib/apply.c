/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Applying a planned change as one transaction: each write verified against
 * what the kernel then shows, and every executed step undone in reverse order
 * when a later one fails.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "change.h"

/* Test hooks: IOMMUGRP_FAULT=fail-step=N (step N fails before writing) or stop-after=N. */
struct fault {
	unsigned int fail_step, stop_after;
};

static struct fault read_fault(void)
{
	const char *env = secure_getenv("IOMMUGRP_FAULT");
	struct fault f = { 0, 0 };

	if (env && strncmp(env, "fail-step=", 10) == 0)
		parse_uint(env + 10, &f.fail_step);
	else if (env && strncmp(env, "stop-after=", 11) == 0)
		parse_uint(env + 11, &f.stop_after);
	return f;
}

static int lock_group(struct iommugrp_change *change)
{
	const struct iommugrp_ctx *ctx = change->group->ctx;
	char path[64], pid[16];
	int fd;

	if (mkdirat(ctx->rootfd, "run", 0755) < 0 && errno != EEXIST)
		return -errno;
	if (mkdirat(ctx->rootfd, "run/iommugrp", 0700) < 0 && errno != EEXIST)
		return -errno;
	snprintf(path, sizeof(path), "run/iommugrp/group-%u.lock", change->group->number);
	fd = openat(ctx->rootfd, path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int r = errno == EWOULDBLOCK ? -EAGAIN : -errno;

		close(fd);
		return r;
	}
	snprintf(pid, sizeof(pid), "%d\n", getpid());
	if (ftruncate(fd, 0) == 0 && write(fd, pid, strlen(pid)) < 0)
		dbg(ctx, "%s: %s", path, strerror(errno));
	return fd;
}

static char *current_driver(const struct iommugrp_ctx *ctx, const char *devpath)
{
	char *driver = NULL;

	if (sysfs_link_basename(ctx, devpath, "driver", &driver) < 0)
		return NULL;
	return driver;
}

static char *current_type(const struct iommugrp_change *change)
{
	char *type = NULL;

	if (sysfs_read_attr(change->group->ctx, change->group->syspath, "type", &type) < 0) {
		free(type);
		return NULL;
	}
	return type;
}

/* Nothing changed between planning and locking: otherwise the plan is stale. */
static int check_still_planned(struct iommugrp_change *change)
{
	char *type = current_type(change);
	bool same = type && strcmp(type, change->old_type) == 0;

	free(type);
	for (size_t i = 0; same && i < change->n_steps; i++) {
		struct step *s = &change->steps[i];
		char *driver;

		if (s->kind != IOMMUGRP_STEP_UNBIND)
			continue;
		driver = current_driver(change->group->ctx, s->devpath);
		same = driver && strcmp(driver, s->driver) == 0;
		free(driver);
	}
	return same ? 0 : -ESTALE;
}

static const char *type_errno_hint(int error)
{
	switch (error) {
	case EBUSY:
		return "a driver is still bound, and this kernel wants the device unbound";
	case EPERM:
		return "a kernel driver is bound, or a VFIO user owns the group";
	case EINVAL:
		return "the kernel refused this type for this group: more than one device on "
		       "kernels before 6.4, or a device that requires another domain type";
	case EACCES:
		return "needs CAP_SYS_ADMIN and CAP_SYS_RAWIO";
	default:
		return NULL;
	}
}

static char *describe_write_error(const char *who, const char *value, const char *path,
				  int error, const char *kernel, const char *hint)
{
	return strdup_printf("%s: writing '%s' to /%s failed: %s%s%s%s%s%s", who, value, path,
			     strerror(error), kernel ? " (kernel: " : "", kernel ? kernel : "",
			     kernel ? ")" : "", hint ? "; " : "", hint ? hint : "");
}

static int write_type(struct iommugrp_change *change, const char *value, const char *expect,
		      char **ret_error)
{
	const struct iommugrp_ctx *ctx = change->group->ctx;
	char who[32], *path = path_join(change->group->syspath, "type"), *kernel, *now;
	int kmsg = kmsg_open_at_end(ctx), r;

	snprintf(who, sizeof(who), "group %u", change->group->number);
	r = path ? sysfs_write(ctx, path, value) : -ENOMEM;
	if (r < 0) {
		kernel = kmsg_read_new(kmsg);
		*ret_error = describe_write_error(who, value, path, -r, kernel, type_errno_hint(-r));
		free(kernel);
	}
	if (kmsg >= 0)
		close(kmsg);
	free(path);
	if (r < 0)
		return r;
	now = current_type(change);
	if (expect && (!now || strcmp(now, expect) != 0)) {
		*ret_error = strdup_printf("%s: the kernel accepted '%s' but the type now reads '%s', "
					   "not '%s' (it falls back to DMA when it cannot set up "
					   "the domain)",
					   who, value, now ? now : "(unreadable)", expect);
		r = -EIO;
	}
	free(change->new_type);
	change->new_type = now;
	return r;
}

static int write_driver_file(struct iommugrp_change *change, const struct step *s, bool bind,
			     char **ret_error)
{
	const struct iommugrp_ctx *ctx = change->group->ctx;
	char *path = strdup_printf("sys/bus/pci/drivers/%s/%s", s->driver, bind ? "bind" : "unbind");
	char *driver;
	int r;

	r = path ? sysfs_write(ctx, path, s->device) : -ENOMEM;
	if (r < 0) {
		*ret_error = describe_write_error(s->device, s->device, path, -r, NULL, NULL);
		free(path);
		return r;
	}
	/* The driver link is the only truth about what happened. */
	driver = current_driver(ctx, s->devpath);
	if (bind ? !driver || strcmp(driver, s->driver) != 0 : driver != NULL) {
		*ret_error = strdup_printf("%s: after writing /%s the device is %s%s", s->device, path,
					   driver ? "bound to " : "unbound", driver ? driver : "");
		r = -EIO;
	}
	free(driver);
	free(path);
	return r;
}

static int run_step(struct iommugrp_change *change, struct step *s, char **ret_error)
{
	switch (s->kind) {
	case IOMMUGRP_STEP_UNBIND:
		return write_driver_file(change, s, false, ret_error);
	case IOMMUGRP_STEP_BIND:
		return write_driver_file(change, s, true, ret_error);
	case IOMMUGRP_STEP_WRITE_TYPE:
		return write_type(change, s->value, change->expected_type, ret_error);
	}
	return -EINVAL;
}

static bool restorable_type(const char *type)
{
	return strcmp(type, "identity") == 0 || strcmp(type, "DMA") == 0 ||
	       strcmp(type, "DMA-FQ") == 0;
}

static int undo_step(struct iommugrp_change *change, struct step *s, char **ret_error)
{
	switch (s->kind) {
	case IOMMUGRP_STEP_UNBIND:
		return write_driver_file(change, s, true, ret_error);
	case IOMMUGRP_STEP_BIND:
		return write_driver_file(change, s, false, ret_error);
	case IOMMUGRP_STEP_WRITE_TYPE:
		if (!restorable_type(change->old_type)) {
			*ret_error = strdup_printf("group %u: the type was '%s', which cannot be "
						   "written back",
						   change->group->number, change->old_type);
			return -EINVAL;
		}
		return write_type(change, change->old_type, change->old_type, ret_error);
	}
	return -EINVAL;
}

static void append_leftover(struct iommugrp_change *change, const char *error)
{
	char *joined = strdup_printf("%s%s%s", change->leftover ? change->leftover : "",
				     change->leftover ? "\n" : "", error ? error : "out of memory");

	free(change->leftover);
	change->leftover = joined;
}

/* Undoes executed steps newest first; every failure is recorded, none stops the rest. */
static void roll_back(struct iommugrp_change *change)
{
	for (size_t i = change->n_steps; i-- > 0;) {
		struct step *s = &change->steps[i];
		char *error = NULL;

		if (!s->done)
			continue;
		if (undo_step(change, s, &error) < 0)
			append_leftover(change, error);
		else
			s->done = false;
		free(error);
	}
	change->outcome = change->leftover ? IOMMUGRP_OUTCOME_INCOMPLETE
					   : IOMMUGRP_OUTCOME_ROLLED_BACK;
}

static int run_steps(struct iommugrp_change *change)
{
	struct fault fault = read_fault();

	for (size_t i = 0; i < change->n_steps; i++) {
		struct step *s = &change->steps[i];
		int r;

		if (fault.fail_step == i + 1) {
			change->error = strdup_printf("step %zu failed by IOMMUGRP_FAULT", i + 1);
			r = -EIO;
		} else {
			r = run_step(change, s, &change->error);
		}
		if (r < 0) {
			err(change->group->ctx, "%s", change->error ? change->error : strerror(-r));
			roll_back(change);
			return r;
		}
		s->done = true;
		if (fault.stop_after == i + 1)
			raise(SIGSTOP);
	}
	change->outcome = IOMMUGRP_OUTCOME_DONE;
	return 0;
}

EXPORT int iommugrp_change_apply(struct iommugrp_change *change)
{
	int lock, r;

	if (change->outcome != IOMMUGRP_OUTCOME_PLANNED)
		return -EALREADY;
	change->outcome = IOMMUGRP_OUTCOME_REFUSED;
	if (change->refusal < 0)
		return change->refusal;
	if (change->noop) {
		change->outcome = IOMMUGRP_OUTCOME_UNCHANGED;
		return 0;
	}
	lock = lock_group(change);
	if (lock < 0) {
		change_refuse(change, lock, lock == -EAGAIN ?
				  "another iommugrp process is changing group %u" :
				  "cannot take the lock of group %u under /run/iommugrp",
			      change->group->number);
		return lock;
	}
	r = check_still_planned(change);
	if (r < 0)
		change_refuse(change, r, "group %u changed since it was planned: plan again",
			      change->group->number);
	else
		r = run_steps(change);
	group_forget_state(change->group);
	close(lock);
	return r;
}
