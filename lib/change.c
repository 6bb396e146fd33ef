/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A planned change: its steps, refusals and accessors. The planners are plan-*.c. */
#include <errno.h>
#include <linux/capability.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "change.h"

int change_new(struct iommugrp_group *group, const char *operation,
	       struct iommugrp_change **ret_change)
{
	struct iommugrp_change *change = calloc(1, sizeof(*change));
	int r;

	if (!change)
		return -ENOMEM;
	change->refcount = 1;
	change->group = iommugrp_group_ref(group);
	change->operation = operation;
	change->outcome = IOMMUGRP_OUTCOME_PLANNED;
	change->record = &change->snapshot;
	change->journal_path = journal_path(group->number, "journal");
	r = change->journal_path ? journal_capture(group, operation, &change->snapshot) : -ENOMEM;
	if (r == 0)
		r = change_refuse_if_interrupted(change, false);
	if (r < 0) {
		iommugrp_change_unref(change);
		return r;
	}
	*ret_change = change;
	return 0;
}

/*
 * The first refusal's errno and code count; every reason is kept, one a line,
 * so all are said at once.
 */
int change_refuse_as(struct iommugrp_change *change, enum iommugrp_refusal code, const char *device,
		     int error, const char *format, ...)
{
	char *reason = NULL, *joined;
	va_list args;
	int n;

	va_start(args, format);
	n = vasprintf(&reason, format, args);
	va_end(args);
	if (n < 0)
		return -ENOMEM;
	if (change->refusal == 0) {
		change->refusal = error;
		change->refusal_code = code;
		change->refusal_device = device ? strdup(device) : NULL;
		if (device && !change->refusal_device) {
			free(reason);
			return -ENOMEM;
		}
	}
	joined = change->refusal_reason ? strdup_printf("%s\n%s", change->refusal_reason, reason)
					: reason;
	if (joined != reason)
		free(reason);
	if (!joined)
		return -ENOMEM;
	free(change->refusal_reason);
	change->refusal_reason = joined;
	return 0;
}

EXPORT enum iommugrp_refusal iommugrp_change_get_refusal_code(const struct iommugrp_change *change,
							      const char **ret_device)
{
	if (ret_device)
		*ret_device = change->refusal < 0 ? change->refusal_device : NULL;
	return change->refusal < 0 ? change->refusal_code : IOMMUGRP_REFUSAL_NONE;
}

/*
 * The bus directory a device's subsystem link leads to: sys/bus/pci,
 * sys/bus/platform. Read once per device, not once per step.
 */
static char *bus_dir(struct iommugrp_change *change, const char *devpath)
{
	char *bus = NULL;

	if (!devpath)
		return NULL;
	if (change->bus_devpath && strcmp(change->bus_devpath, devpath) == 0)
		return strdup(change->bus);
	if (sysfs_link_target(change->group->ctx, devpath, "subsystem", &bus) < 0)
		bus = strdup("sys/bus/pci");
	free(change->bus_devpath);
	free(change->bus);
	change->bus_devpath = strdup(devpath);
	change->bus = bus ? strdup(bus) : NULL;
	if (!change->bus_devpath || !change->bus) {
		free(change->bus_devpath);
		change->bus_devpath = NULL;
	}
	return bus;
}

static char *step_path(struct iommugrp_change *change, const struct step *s)
{
	switch (s->kind) {
	case IOMMUGRP_STEP_WRITE_TYPE:
		return path_join(change->group->syspath, "type");
	case IOMMUGRP_STEP_UNBIND:
		return strdup_printf("%s/drivers/%s/unbind", s->bus, s->driver);
	case IOMMUGRP_STEP_BIND:
		return strdup_printf("%s/drivers/%s/bind", s->bus, s->driver);
	case IOMMUGRP_STEP_WRITE_OVERRIDE:
		return path_join(s->devpath, "driver_override");
	case IOMMUGRP_STEP_PROBE:
		return path_join(s->bus, "drivers_probe");
	}
	return NULL;
}

static char *current_override_value(struct iommugrp_change *change, const char *device)
{
	const struct journal_device *d = journal_find(&change->snapshot, device);

	return strdup(d && d->override ? d->override : "\n");
}

/* @value: the type for WRITE_TYPE, the override ("\n" clears) for WRITE_OVERRIDE. */
int change_add_step(struct iommugrp_change *change, enum iommugrp_step_kind kind,
		    const char *device, const char *devpath, const char *driver, const char *value)
{
	struct step *bigger = realloc(change->steps, (change->n_steps + 1) * sizeof(*bigger));
	bool failed = false;
	struct step *s;

	if (!bigger)
		return -ENOMEM;
	change->steps = bigger;
	s = &change->steps[change->n_steps++];
	memset(s, 0, sizeof(*s));
	s->kind = kind;
	s->device = strdup_or_null(device, &failed);
	s->devpath = strdup_or_null(devpath, &failed);
	s->driver = strdup_or_null(driver, &failed);
	s->bus = bus_dir(change, devpath);
	if (devpath && !s->bus)
		return -ENOMEM;
	s->path = step_path(change, s);
	s->value = strdup_or_null(
		kind == IOMMUGRP_STEP_WRITE_TYPE || kind == IOMMUGRP_STEP_WRITE_OVERRIDE ? value
											 : device,
		&failed);
	if (kind == IOMMUGRP_STEP_WRITE_OVERRIDE)
		s->old_value = current_override_value(change, device);
	return failed || !s->path || !s->value ||
			       (kind == IOMMUGRP_STEP_WRITE_OVERRIDE && !s->old_value)
		       ? -ENOMEM
		       : 0;
}

static bool has_capabilities(void)
{
	struct __user_cap_header_struct header = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = { 0 };

	if (syscall(SYS_capget, &header, data) < 0)
		return false;
	return (data[0].effective & (1u << CAP_SYS_ADMIN)) &&
	       (data[0].effective & (1u << CAP_SYS_RAWIO));
}

int change_refuse_without_capabilities(struct iommugrp_change *change, const char *what)
{
	if (has_capabilities())
		return 0;
	return change_refuse_as(change, IOMMUGRP_REFUSAL_PRIVILEGES, NULL, -EACCES,
				"%s needs CAP_SYS_ADMIN and CAP_SYS_RAWIO: run as root", what);
}

/* The refusal names what is wrong with the journal; nothing is done until it is removed. */
int change_refuse_unusable_journal(struct iommugrp_change *change, const char *path, int error,
				   const char *advice)
{
	char *display = path_join("", path);
	const char *why = display ? problem_about(change->group->ctx, display) : NULL;
	int r;

	r = why ? change_refuse_as(change, IOMMUGRP_REFUSAL_UNUSABLE_JOURNAL, NULL, error,
				   "%s: nothing done; %s", why, advice)
		: change_refuse_as(change, IOMMUGRP_REFUSAL_UNUSABLE_JOURNAL, NULL, error,
				   "the journal /%s cannot be used: %s: nothing done; %s", path,
				   strerror(-error), advice);
	free(display);
	return r;
}

/* A VFIO user owns the group's DMA: the kernel refuses, and unbinding vfio-pci would hang. */
int change_refuse_if_in_use(struct iommugrp_change *change, const char *what)
{
	struct iommugrp_group *group = change->group;
	const char *comm, *file;
	unsigned int pid;

	if (iommugrp_group_get_user_count(group) <= 0)
		return 0;
	iommugrp_group_get_user(group, 0, &pid, &comm, &file);
	return change_refuse_as(change, IOMMUGRP_REFUSAL_IN_USE, NULL, -EBUSY,
				"group %u is in use: process %u (%s) holds %s open; stop it (or "
				"its "
				"VM) before %s",
				group->number, pid, comm, file, what);
}

static void step_free(struct step *s)
{
	free(s->device);
	free(s->devpath);
	free(s->bus);
	free(s->driver);
	free(s->path);
	free(s->value);
	free(s->old_value);
}

EXPORT struct iommugrp_change *iommugrp_change_ref(struct iommugrp_change *change)
{
	if (change)
		change->refcount++;
	return change;
}

EXPORT struct iommugrp_change *iommugrp_change_unref(struct iommugrp_change *change)
{
	if (!change || --change->refcount > 0)
		return NULL;
	for (size_t i = 0; i < change->n_steps; i++)
		step_free(&change->steps[i]);
	free(change->steps);
	free(change->old_type);
	free(change->expected_type);
	free(change->new_type);
	free(change->refusal_reason);
	free(change->refusal_device);
	free(change->error);
	free(change->leftover);
	free(change->journal_path);
	free(change->save_record_path);
	free(change->drop_record_path);
	free(change->bus_devpath);
	free(change->bus);
	journal_clear(&change->snapshot);
	journal_clear(&change->restore_source);
	iommugrp_group_unref(change->group);
	free(change);
	return NULL;
}

EXPORT int iommugrp_change_get_refusal(const struct iommugrp_change *change, const char **ret_reason)
{
	if (ret_reason)
		*ret_reason = change->refusal_reason;
	return change->refusal;
}

EXPORT bool iommugrp_change_is_noop(const struct iommugrp_change *change)
{
	return change->noop;
}

EXPORT bool iommugrp_change_has_record(const struct iommugrp_change *change)
{
	return change->has_record;
}

EXPORT const char *iommugrp_change_get_old_type(const struct iommugrp_change *change)
{
	return change->old_type;
}

EXPORT const char *iommugrp_change_get_expected_type(const struct iommugrp_change *change)
{
	return change->expected_type;
}

EXPORT const char *iommugrp_change_get_new_type(const struct iommugrp_change *change)
{
	return change->new_type;
}

EXPORT unsigned int iommugrp_change_get_step_count(const struct iommugrp_change *change)
{
	return (unsigned int)change->n_steps;
}

EXPORT int iommugrp_change_get_step(const struct iommugrp_change *change, unsigned int index,
				    enum iommugrp_step_kind *ret_kind, const char **ret_device,
				    const char **ret_driver, const char **ret_path,
				    const char **ret_value)
{
	const struct step *s;

	if (index >= change->n_steps)
		return -ERANGE;
	s = &change->steps[index];
	*ret_kind = s->kind;
	*ret_device = s->device;
	*ret_driver = s->driver;
	*ret_path = s->path;
	*ret_value = s->value;
	return 0;
}

EXPORT enum iommugrp_outcome iommugrp_change_get_outcome(const struct iommugrp_change *change)
{
	return change->outcome;
}

EXPORT const char *iommugrp_outcome_to_string(enum iommugrp_outcome outcome)
{
	static const char *const names[] = {
		[IOMMUGRP_OUTCOME_PLANNED] = "planned",
		[IOMMUGRP_OUTCOME_DONE] = "done",
		[IOMMUGRP_OUTCOME_UNCHANGED] = "unchanged",
		[IOMMUGRP_OUTCOME_REFUSED] = "refused",
		[IOMMUGRP_OUTCOME_ROLLED_BACK] = "rolled-back",
		[IOMMUGRP_OUTCOME_INCOMPLETE] = "rollback-incomplete",
	};

	return (unsigned)outcome < ARRAY_SIZE(names) ? names[outcome] : NULL;
}

EXPORT const char *iommugrp_change_get_error(const struct iommugrp_change *change)
{
	return change->error;
}

EXPORT const char *iommugrp_change_get_leftover(const struct iommugrp_change *change)
{
	return change->leftover;
}
