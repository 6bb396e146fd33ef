/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Returning a group to a recorded state: `iommugrp restore` after an
 * interrupted operation, and vfio-release with the record vfio-bind kept.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "change.h"

static bool type_to_restore(struct iommugrp_change *change, const struct journal *target,
			    bool keep_type)
{
	const char *now;

	if (keep_type || !target->type || iommugrp_group_get_type(change->group, &now) < 0 ||
	    streq_ptr(now, target->type))
		return false;
	return is_restorable_type(target->type);
}

/* Whether the kernel wants this driver gone before it writes the type. */
static bool blocks_type_write(struct iommugrp_device *d, enum iommugrp_type_rules rules)
{
	return rules != IOMMUGRP_RULES_CLAIM_BASED ||
	       iommugrp_device_get_vfio_state(d) == IOMMUGRP_VFIO_KERNEL_DRIVER;
}

static int plan_unbinds(struct iommugrp_change *change, const struct journal *target,
			bool type_change, bool *unbound)
{
	enum iommugrp_type_rules rules = IOMMUGRP_RULES_CLAIM_BASED;
	struct iommugrp_device *d = NULL;
	int r = 0;

	iommugrp_kernel_get_type_rules(change->group->ctx, &rules);
	for (size_t i = 0; r == 0 && (d = iommugrp_group_device_next(change->group, d)); i++) {
		const struct journal_device *want = journal_find(target, d->name);
		const char *driver = iommugrp_device_get_driver(d);

		unbound[i] = driver && want &&
			     (!streq_ptr(driver, want->driver) ||
			      (type_change && blocks_type_write(d, rules)));
		if (unbound[i])
			r = change_add_step(change, IOMMUGRP_STEP_UNBIND, d->name, d->syspath,
					    driver, NULL);
	}
	return r;
}

static int plan_overrides_and_binds(struct iommugrp_change *change, const struct journal *target,
				    const bool *unbound)
{
	struct iommugrp_device *d = NULL;
	int r = 0;

	for (size_t i = 0; r == 0 && (d = iommugrp_group_device_next(change->group, d)); i++) {
		const struct journal_device *want = journal_find(target, d->name);

		if (want && !streq_ptr(iommugrp_device_get_driver_override(d), want->override))
			r = change_add_step(change, IOMMUGRP_STEP_WRITE_OVERRIDE, d->name,
					    d->syspath, NULL,
					    want->override ? want->override : "\n");
	}
	for (size_t i = 0; r == 0 && (d = iommugrp_group_device_next(change->group, d)); i++) {
		const struct journal_device *want = journal_find(target, d->name);

		if (want && want->driver && (unbound[i] || !iommugrp_device_get_driver(d)))
			r = change_add_step(change, IOMMUGRP_STEP_BIND, d->name, d->syspath,
					    want->driver, NULL);
	}
	return r;
}

/* Unbind what differs (and what blocks a type write), write the type, overrides, bind. */
int change_plan_converge(struct iommugrp_change *change, const struct journal *target,
			 bool keep_type)
{
	int n = iommugrp_group_get_device_count(change->group);
	bool type_change = type_to_restore(change, target, keep_type);
	bool *unbound = calloc(n > 0 ? (size_t)n : 1, sizeof(bool));
	const char *now = NULL;
	int r;

	if (!unbound)
		return -ENOMEM;
	r = plan_unbinds(change, target, type_change, unbound);
	if (r == 0 && type_change) {
		iommugrp_group_get_type(change->group, &now);
		change->old_type = now ? strdup(now) : NULL;
		change->expected_type = strdup(target->type);
		r = change_add_step(change, IOMMUGRP_STEP_WRITE_TYPE, NULL, NULL, NULL,
				    target->type);
	}
	if (r == 0)
		r = plan_overrides_and_binds(change, target, unbound);
	free(unbound);
	return r;
}

static const char *entry_name_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

static int parse_journal_name(const char *name, unsigned int *ret_group)
{
	char number[16];
	size_t len;

	if (strncmp(name, "group-", 6) != 0)
		return -EINVAL;
	len = strcspn(name + 6, ".");
	if (len == 0 || len >= sizeof(number) || strcmp(name + 6 + len, ".journal") != 0)
		return -EINVAL;
	memcpy(number, name + 6, len);
	number[len] = '\0';
	return parse_uint(number, ret_group);
}

static int compare_uint(const void *a, const void *b)
{
	unsigned int x = *(const unsigned int *)a, y = *(const unsigned int *)b;

	return (x > y) - (x < y);
}

/* Running, not interrupted: some process holds the group's lock. Read from /proc/locks, not
 * by trying the lock: a try would make the holder's own non-blocking retake fail meanwhile. */
static bool operation_running(int dirfd, const char *locks, unsigned int number)
{
	char name[64];
	struct stat st;

	snprintf(name, sizeof(name), "group-%u.lock", number);
	if (!locks || fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
		return false;
	return proc_locks_has_flock(locks, major(st.st_dev), minor(st.st_dev),
				    (unsigned long)st.st_ino);
}

/*
 * Every change but restore is refused while the group has an interrupted operation's journal:
 * a new plan would start from the half-done state, its own journal would replace the one that
 * records the group as it was, and that state would be lost for good. Restore-first is not
 * done here: the plan was made from the present state, which a restore would change under it.
 * @locked: called under the group's lock, so no live process owns the journal; otherwise a
 * journal whose lock some process holds is an operation still under way.
 */
int change_refuse_if_interrupted(struct iommugrp_change *change, bool locked)
{
	struct iommugrp_ctx *ctx = change->group->ctx;
	unsigned int number = change->group->number;
	char *reason = NULL, *locks = NULL;
	struct stat st;
	bool running;
	int dirfd, r;

	if (strcmp(change->operation, "restore") == 0)
		return 0;
	dirfd = journal_dir_open(ctx, false, &reason);
	free(reason);
	if (dirfd < 0)
		return 0; /* none, or a directory the lock refuses, saying why */
	r = fstatat(dirfd, entry_name_of(change->journal_path), &st, AT_SYMLINK_NOFOLLOW) < 0
		    ? -errno
		    : 0;
	if (r == 0 && !locked && sysfs_read(ctx, "proc/locks", &locks) < 0) {
		free(locks);
		locks = NULL;
	}
	running = r == 0 && !locked && operation_running(dirfd, locks, number);
	free(locks);
	close(dirfd);
	if (r == -ENOENT)
		return 0;
	if (running)
		return change_refuse_as(change, IOMMUGRP_REFUSAL_LOCKED, NULL, -EAGAIN,
					"another iommugrp process is changing group %u", number);
	if (r < 0)
		return change_refuse_as(change, IOMMUGRP_REFUSAL_INTERRUPTED, NULL, r,
					"cannot tell whether group %u has the journal /%s of an "
					"interrupted operation: %s: nothing done",
					number, change->journal_path, strerror(-r));
	return change_refuse_as(change, IOMMUGRP_REFUSAL_INTERRUPTED, NULL, -EEXIST,
				"group %u has the journal /%s of an interrupted operation: "
				"nothing done until the group is restored from it",
				number, change->journal_path);
}

/* The groups with a journal, those with a running operation (@running) or the others: -EACCES
 * when /run/iommugrp cannot be read (not root), -EPERM when it is not a directory iommugrp
 * trusts (the problem says why). */
static int groups_with_journal(struct iommugrp_ctx *ctx, bool running, unsigned int **ret_groups)
{
	char **names = NULL, *reason = NULL, *locks = NULL;
	size_t count = 0, n = 0;
	unsigned int *groups;
	int r, dirfd;

	dirfd = journal_dir_open(ctx, false, &reason);
	if (dirfd == -ENOENT) {
		*ret_groups = NULL;
		return 0;
	}
	if (dirfd == -EPERM)
		problem(ctx, dirfd, "/run/iommugrp", "cannot use /run/iommugrp: %s",
			reason ? reason : strerror(EPERM));
	free(reason);
	if (dirfd < 0)
		return dirfd;
	r = sysfs_list_dir(ctx, "run/iommugrp", &names, &count);
	if (r < 0) {
		close(dirfd);
		if (r == -ENOENT)
			*ret_groups = NULL;
		return r == -ENOENT ? 0 : r;
	}
	if (sysfs_read(ctx, "proc/locks", &locks) < 0)
		locks = NULL;
	groups = calloc(count ? count : 1, sizeof(*groups));
	for (size_t i = 0; groups && i < count; i++)
		if (parse_journal_name(names[i], &groups[n]) == 0 &&
		    operation_running(dirfd, locks, groups[n]) == running)
			n++;
	free(locks);
	close(dirfd);
	strv_free(names, count);
	if (!groups)
		return -ENOMEM;
	qsort(groups, n, sizeof(*groups), compare_uint);
	*ret_groups = groups;
	return (int)n;
}

EXPORT int iommugrp_get_interrupted(struct iommugrp_ctx *ctx, unsigned int **ret_groups)
{
	return groups_with_journal(ctx, false, ret_groups);
}

EXPORT int iommugrp_get_running(struct iommugrp_ctx *ctx, unsigned int **ret_groups)
{
	return groups_with_journal(ctx, true, ret_groups);
}

static int plan_restore(struct iommugrp_change *change)
{
	struct iommugrp_ctx *ctx = change->group->ctx;
	char *reason = NULL;
	int r;

	r = journal_read(ctx, change->journal_path, &change->restore_source);
	if (r < 0)
		return change_refuse_unusable_journal(change, change->journal_path, r,
						      "check the group and remove the file");
	if (change->restore_source.group != change->group->number)
		return change_refuse(change, -EBADMSG,
				     "the journal /%s records group %u, not group %u: "
				     "nothing done; remove the file",
				     change->journal_path, change->restore_source.group,
				     change->group->number);
	if (journal_check_group(&change->restore_source, change->group, &reason) < 0) {
		r = change_refuse(change, -EBADMSG,
				  "the journal /%s does not match group %u: %s; "
				  "nothing done; remove the file",
				  change->journal_path, change->group->number,
				  reason ? reason : "out of memory");
		free(reason);
		return r;
	}
	change->record = &change->restore_source;
	change->no_rollback = true;
	r = change_refuse_if_in_use(change, "restoring it");
	if (r == 0)
		r = change_refuse_without_capabilities(change, "restoring drivers");
	if (r < 0 || change->refusal < 0)
		return r;
	r = change_plan_converge(change, &change->restore_source, false);
	change->noop = r == 0 && change->n_steps == 0;
	return r;
}

EXPORT int iommugrp_change_new_restore(struct iommugrp_ctx *ctx, unsigned int number,
				       struct iommugrp_change **ret_change)
{
	struct iommugrp_group *group = ctx_find_group(ctx, number);
	struct iommugrp_change *change;
	int r;

	if (!group)
		return -ENOENT;
	r = change_new(group, "restore", &change);
	if (r < 0)
		return r;
	change->drop_record_path = journal_path(number, "journal");
	r = change->drop_record_path ? plan_restore(change) : -ENOMEM;
	if (r < 0 && change->refusal == 0) {
		iommugrp_change_unref(change);
		return r;
	}
	*ret_change = change;
	return 0;
}
