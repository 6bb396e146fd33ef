/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Applying a planned change as one transaction: the group's state is
 * journalled before the first write, each write is verified against what the
 * kernel then shows, and on a failure every executed step is undone in
 * reverse order.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "change.h"

/* Takes group-N.lock in a trusted /run/iommugrp (see journal_dir_open). Returns its fd, or
 * -EAGAIN while another process holds it, or -errno with *ret_reason when refused. */
static int lock_group(struct iommugrp_change *change, char **ret_reason)
{
	const struct iommugrp_ctx *ctx = change->group->ctx;
	char name[64], pid[16];
	struct stat st;
	int dirfd, fd, r;

	dirfd = journal_dir_open(ctx, true, ret_reason);
	if (dirfd < 0)
		return dirfd;
	snprintf(name, sizeof(name), "group-%u.lock", change->group->number);
	/* A planted link is not followed, a FIFO not waited on. */
	fd = openat(dirfd, name, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600);
	r = fd < 0 ? -errno : fstat(fd, &st) < 0 ? -errno : !S_ISREG(st.st_mode) ? -EINVAL : 0;
	if (r == 0 && flock(fd, LOCK_EX | LOCK_NB) < 0)
		r = errno == EWOULDBLOCK ? -EAGAIN : -errno;
	if (r < 0 && r != -EAGAIN)
		*ret_reason = strdup_printf("/%s/%s: %s", "run/iommugrp", name,
					    r == -ELOOP || r == -EINVAL ? "not a regular file"
									: strerror(-r));
	if (r == 0)
		journal_remove_stale(dirfd, change->group->number);
	close(dirfd);
	if (r < 0) {
		if (fd >= 0)
			close(fd);
		return r;
	}
	snprintf(pid, sizeof(pid), "%d\n", getpid());
	if (ftruncate(fd, 0) == 0 && write(fd, pid, strlen(pid)) < 0)
		log_dbg(ctx, "%s: %s", name, strerror(errno));
	return fd;
}

static char *read_driver(const struct iommugrp_ctx *ctx, const char *devpath)
{
	char *driver = NULL;

	return sysfs_link_basename(ctx, devpath, "driver", &driver) < 0 ? NULL : driver;
}

static char *read_type(const struct iommugrp_change *change)
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
	const struct iommugrp_ctx *ctx = change->group->ctx;
	const struct journal *snap = &change->snapshot;
	char *type = read_type(change);
	bool unchanged = streq_ptr(type, snap->type);

	free(type);
	for (size_t i = 0; unchanged && i < snap->n_devices; i++) {
		char *driver = read_driver(ctx, snap->devices[i].devpath);
		char *override = device_read_override(ctx, snap->devices[i].devpath);

		unchanged = streq_ptr(driver, snap->devices[i].driver) &&
			    streq_ptr(override, snap->devices[i].override);
		free(driver);
		free(override);
	}
	return unchanged ? 0 : -ESTALE;
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

static char *describe_write_error(const char *who, const char *value, const char *path, int error,
				  const char *kernel, const char *hint)
{
	bool newline = strcmp(value, "\n") == 0;

	return strdup_printf("%s: writing '%s' to /%s failed: %s%s%s%s%s%s", who,
			     newline ? "\\n" : value, path, strerror(error),
			     kernel ? " (kernel: " : "", kernel ? kernel : "", kernel ? ")" : "",
			     hint ? "; " : "", hint ? hint : "");
}

/* Writes a sysfs file; on failure describes it with the kernel's log lines. */
static int write_checked(struct iommugrp_change *change, const char *who, const char *path,
			 const char *value, const char *hint, char **ret_error)
{
	const struct iommugrp_ctx *ctx = change->group->ctx;
	int kmsg = kmsg_open_at_end(ctx);
	int r = sysfs_write(ctx, path, value);

	if (r < 0) {
		char *kernel = kmsg_read_new(kmsg);

		*ret_error = describe_write_error(who, value, path, -r, kernel, hint);
		free(kernel);
	}
	if (kmsg >= 0)
		close(kmsg);
	return r;
}

static int write_type(struct iommugrp_change *change, const char *path, const char *value,
		      const char *expect, char **ret_error)
{
	char who[32], *now;
	int r;

	snprintf(who, sizeof(who), "group %u", change->group->number);
	r = write_checked(change, who, path, value, NULL, ret_error);
	if (r < 0) {
		char *with_hint = NULL;

		if (type_errno_hint(-r))
			with_hint = strdup_printf("%s; %s", *ret_error, type_errno_hint(-r));
		if (with_hint) {
			free(*ret_error);
			*ret_error = with_hint;
		}
		return r;
	}
	now = read_type(change);
	if (expect && !streq_ptr(now, expect)) {
		*ret_error = strdup_printf("%s: the kernel accepted '%s' but the type now reads "
					   "'%s', "
					   "not '%s' (it falls back to DMA when it cannot set up "
					   "the domain)",
					   who, value, now ? now : "(unreadable)", expect);
		r = -EIO;
	}
	free(change->new_type);
	change->new_type = now;
	return r;
}

/* The driver link is the only truth about what a bind, unbind or probe did. */
static int check_driver(struct iommugrp_change *change, const struct step *s, const char *path,
			const char *expect, bool any, char **ret_error)
{
	char *driver = read_driver(change->group->ctx, s->devpath);
	bool ok = any ? driver != NULL : streq_ptr(driver, expect);

	if (!ok)
		*ret_error = strdup_printf("%s: after writing /%s the device is %s%s%s", s->device,
					   path, driver ? "bound to " : "unbound",
					   driver ? driver : "",
					   expect ? ", not bound to the expected driver" : "");
	free(driver);
	return ok ? 0 : -EIO;
}

static int driver_write(struct iommugrp_change *change, const struct step *s, const char *driver,
			bool bind, char **ret_error)
{
	char *path = strdup_printf("%s/drivers/%s/%s", s->bus, driver, bind ? "bind" : "unbind");
	int r = path ? write_checked(change, s->device, path, s->device, NULL, ret_error) : -ENOMEM;

	if (r == 0)
		r = check_driver(change, s, path, bind ? driver : NULL, false, ret_error);
	free(path);
	return r;
}

static int write_override(struct iommugrp_change *change, const struct step *s, const char *value,
			  char **ret_error)
{
	char *now;
	int r = write_checked(change, s->device, s->path, value, NULL, ret_error);

	if (r < 0)
		return r;
	now = device_read_override(change->group->ctx, s->devpath);
	if (!streq_ptr(now, strcmp(value, "\n") == 0 ? NULL : value)) {
		*ret_error = strdup_printf("%s: /%s reads '%s' after the write", s->device, s->path,
					   now ? now : "(null)");
		r = -EIO;
	}
	free(now);
	return r;
}

static int probe(struct iommugrp_change *change, const struct step *s, char **ret_error)
{
	int r = write_checked(change, s->device, s->path, s->device, NULL, ret_error);

	/* drivers_probe succeeds even when nothing bound: check the link. */
	return r < 0 ? r : check_driver(change, s, s->path, s->driver, s->driver == NULL, ret_error);
}

static int run_step(struct iommugrp_change *change, struct step *s, char **ret_error)
{
	switch (s->kind) {
	case IOMMUGRP_STEP_UNBIND:
		return driver_write(change, s, s->driver, false, ret_error);
	case IOMMUGRP_STEP_BIND:
		return driver_write(change, s, s->driver, true, ret_error);
	case IOMMUGRP_STEP_WRITE_TYPE:
		return write_type(change, s->path, s->value, change->expected_type, ret_error);
	case IOMMUGRP_STEP_WRITE_OVERRIDE:
		return write_override(change, s, s->value, ret_error);
	case IOMMUGRP_STEP_PROBE:
		return probe(change, s, ret_error);
	}
	return -EINVAL;
}

/* Binding back needs the override the device had, or the driver would not match. */
static int rebind(struct iommugrp_change *change, const struct step *s, char **ret_error)
{
	const struct journal_device *was = journal_find(&change->snapshot, s->device);
	char *now = device_read_override(change->group->ctx, s->devpath);
	char *driver = read_driver(change->group->ctx, s->devpath);
	int r = 0;

	if (was && !streq_ptr(now, was->override)) {
		char *path = path_join(s->devpath, "driver_override");

		r = path ? write_checked(change, s->device, path,
					 was->override ? was->override : "\n", NULL, ret_error)
			 : -ENOMEM;
		free(path);
	}
	/* The unbind may never have happened (its write failed, or it did nothing). */
	if (r == 0 && !streq_ptr(driver, s->driver))
		r = driver_write(change, s, s->driver, true, ret_error);
	free(driver);
	free(now);
	return r;
}

/* Undoes a bind or probe: the device was unbound before it, whatever bound it since. */
static int unbind_any(struct iommugrp_change *change, const struct step *s, char **ret_error)
{
	char *driver = read_driver(change->group->ctx, s->devpath);
	int r = driver ? driver_write(change, s, driver, false, ret_error) : 0;

	free(driver);
	return r;
}

static int undo_type(struct iommugrp_change *change, const struct step *s, char **ret_error)
{
	char *now = read_type(change);
	bool as_found = streq_ptr(now, change->old_type);

	free(now);
	if (as_found)
		return 0;
	if (!is_restorable_type(change->old_type)) {
		*ret_error = strdup_printf("group %u: the type was '%s', which cannot be written "
					   "back",
					   change->group->number, change->old_type);
		return -EINVAL;
	}
	return write_type(change, s->path, change->old_type, change->old_type, ret_error);
}

static int undo_override(struct iommugrp_change *change, const struct step *s, char **ret_error)
{
	char *now = device_read_override(change->group->ctx, s->devpath);
	bool as_found = streq_ptr(now, strcmp(s->old_value, "\n") == 0 ? NULL : s->old_value);

	free(now);
	return as_found ? 0 : write_override(change, s, s->old_value, ret_error);
}

/* Puts back what a written step may have changed; a no-op where it changed nothing. */
static int undo_step(struct iommugrp_change *change, struct step *s, char **ret_error)
{
	switch (s->kind) {
	case IOMMUGRP_STEP_UNBIND:
		return rebind(change, s, ret_error);
	case IOMMUGRP_STEP_BIND:
	case IOMMUGRP_STEP_PROBE:
		return unbind_any(change, s, ret_error);
	case IOMMUGRP_STEP_WRITE_TYPE:
		return undo_type(change, s, ret_error);
	case IOMMUGRP_STEP_WRITE_OVERRIDE:
		return undo_override(change, s, ret_error);
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

/* Undoes written steps newest first, the failed one included (its write may have taken
 * effect); every failure is recorded, none stops the rest. */
static void roll_back(struct iommugrp_change *change)
{
	for (size_t i = change->n_steps; i-- > 0;) {
		struct step *s = &change->steps[i];
		char *error = NULL;

		if (!s->written)
			continue;
		if (undo_step(change, s, &error) < 0)
			append_leftover(change, error);
		else
			s->written = s->verified = false;
		free(error);
	}
	change->outcome = change->leftover ? IOMMUGRP_OUTCOME_INCOMPLETE
					   : IOMMUGRP_OUTCOME_ROLLED_BACK;
}

static void fail(struct iommugrp_change *change, int r)
{
	log_err(change->group->ctx, "%s", change->error ? change->error : strerror(-r));
	if (change->no_rollback) {
		append_leftover(change, "the journal is kept for another try once the cause is "
					"fixed");
		change->outcome = IOMMUGRP_OUTCOME_INCOMPLETE;
	} else {
		roll_back(change);
	}
}

static int run_steps(struct iommugrp_change *change)
{
	const struct iommugrp_ctx *ctx = change->group->ctx;

	for (size_t i = 0; i < change->n_steps; i++) {
		struct step *s = &change->steps[i];
		int r;

		s->written = true;
		r = run_step(change, s, &change->error);

		if (r < 0) {
			fail(change, r);
			return r;
		}
		s->verified = true;
		change->record->done = (unsigned int)i + 1;
		journal_write(ctx, change->journal_path, change->record);
	}
	change->outcome = IOMMUGRP_OUTCOME_DONE;
	return 0;
}

/* After the steps: keep the journal only when the group is not as it should be. */
static void finish_journal(struct iommugrp_change *change)
{
	const struct iommugrp_ctx *ctx = change->group->ctx;

	if (change->outcome == IOMMUGRP_OUTCOME_INCOMPLETE)
		return;
	if (change->outcome == IOMMUGRP_OUTCOME_DONE && change->save_record_path) {
		change->snapshot.done = 0;
		journal_write(ctx, change->save_record_path, &change->snapshot);
	}
	if (change->outcome == IOMMUGRP_OUTCOME_DONE && change->drop_record_path)
		journal_remove(ctx, change->drop_record_path);
	journal_remove(ctx, change->journal_path);
}

static int apply_locked(struct iommugrp_change *change)
{
	int r = check_still_planned(change);

	if (r < 0)
		return change_refuse_as(change, IOMMUGRP_REFUSAL_CHANGED, NULL, r,
					"group %u changed since it was planned: plan again",
					change->group->number) < 0
			       ? -ENOMEM
			       : r;
	change->record->done = 0;
	r = journal_write(change->group->ctx, change->journal_path, change->record);
	if (r < 0)
		return change_refuse(change, r, "cannot write the journal /%s: %s",
				     change->journal_path, strerror(-r)) < 0
			       ? -ENOMEM
			       : r;
	r = run_steps(change);
	finish_journal(change);
	return r;
}

static int refuse_unlocked(struct iommugrp_change *change, int lock, const char *reason)
{
	if (lock == -EAGAIN)
		change_refuse_as(change, IOMMUGRP_REFUSAL_LOCKED, NULL, lock,
				 "another iommugrp process is changing group %u",
				 change->group->number);
	else
		change_refuse_as(change, IOMMUGRP_REFUSAL_OTHER, NULL, lock,
				 "cannot take the lock of group %u under /run/iommugrp: %s",
				 change->group->number, reason ? reason : strerror(-lock));
	return lock;
}

/* Nothing to write, but a record to drop: only under the lock, and only if the group is still
 * as planned (a concurrent operation may have just written the record, or be under way). */
static int drop_record_locked(struct iommugrp_change *change)
{
	int r = check_still_planned(change);

	if (r < 0)
		return change_refuse(change, r, "group %u changed since it was planned: plan again",
				     change->group->number) < 0
			       ? -ENOMEM
			       : r;
	journal_remove(change->group->ctx, change->drop_record_path);
	change->outcome = IOMMUGRP_OUTCOME_UNCHANGED;
	return 0;
}

EXPORT int iommugrp_change_apply(struct iommugrp_change *change)
{
	char *reason = NULL;
	int lock, r;

	if (change->outcome != IOMMUGRP_OUTCOME_PLANNED)
		return -EALREADY;
	change->outcome = IOMMUGRP_OUTCOME_REFUSED;
	if (change->refusal < 0)
		return change->refusal;
	if (change->noop && !change->drop_record_path) {
		change->outcome = IOMMUGRP_OUTCOME_UNCHANGED;
		return 0;
	}
	lock = lock_group(change, &reason);
	if (lock < 0) {
		r = refuse_unlocked(change, lock, reason);
		free(reason);
		return r;
	}
	/* Interrupted since the plan: under the lock, a journal there is no live process's. */
	r = change_refuse_if_interrupted(change, true);
	if (r == 0 && change->refusal < 0)
		r = change->refusal;
	/* A no-op: already as recorded, the record (or the interrupted journal) has served. */
	else if (r == 0)
		r = change->noop ? drop_record_locked(change) : apply_locked(change);
	group_forget_state(change->group);
	close(lock);
	return r;
}
