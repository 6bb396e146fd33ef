/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Planning a group change: which writes, in which order, or why not at all. */
#include <errno.h>
#include <linux/capability.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "change.h"

char *strdup_printf(const char *format, ...)
{
	va_list args;
	char *s;

	va_start(args, format);
	if (vasprintf(&s, format, args) < 0)
		s = NULL;
	va_end(args);
	return s;
}

int change_refuse(struct iommugrp_change *change, int error, const char *format, ...)
{
	va_list args;

	if (change->refusal < 0)
		return 0; /* the first reason is the one that counts */
	change->refusal = error;
	va_start(args, format);
	if (vasprintf(&change->refusal_reason, format, args) < 0)
		change->refusal_reason = NULL;
	va_end(args);
	return change->refusal_reason ? 0 : -ENOMEM;
}

static char *driver_file(const char *driver, const char *file)
{
	return strdup_printf("sys/bus/pci/drivers/%s/%s", driver, file);
}

int change_add_step(struct iommugrp_change *change, enum iommugrp_step_kind kind,
		    struct iommugrp_device *device, const char *driver, const char *value)
{
	struct step *bigger = realloc(change->steps, (change->n_steps + 1) * sizeof(*bigger));
	struct step *s;

	if (!bigger)
		return -ENOMEM;
	change->steps = bigger;
	s = &change->steps[change->n_steps++];
	memset(s, 0, sizeof(*s));
	s->kind = kind;
	if (kind == IOMMUGRP_STEP_WRITE_TYPE) {
		s->path = path_join(change->group->syspath, "type");
		s->value = strdup(value);
		return s->path && s->value ? 0 : -ENOMEM;
	}
	s->device = strdup(device->name);
	s->devpath = strdup(device->syspath);
	s->driver = strdup(driver);
	s->path = driver_file(driver, kind == IOMMUGRP_STEP_UNBIND ? "unbind" : "bind");
	s->value = strdup(device->name);
	return s->device && s->devpath && s->driver && s->path && s->value ? 0 : -ENOMEM;
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

/* A VFIO user owns the group's DMA: the kernel refuses, and unbinding vfio-pci would hang. */
static int refuse_if_in_use(struct iommugrp_change *change)
{
	struct iommugrp_group *group = change->group;
	const char *comm, *file;
	unsigned int pid;

	if (iommugrp_group_get_user_count(group) <= 0)
		return 0;
	iommugrp_group_get_user(group, 0, &pid, &comm, &file);
	return change_refuse(change, -EBUSY,
			     "group %u is in use: process %u (%s) holds %s open; "
			     "stop it (or its VM) first",
			     group->number, pid, comm, file);
}

static const char *expected_type(struct iommugrp_change *change)
{
	enum iommugrp_policy boot;
	const char *source;

	if (change->policy != IOMMUGRP_POLICY_AUTO)
		return iommugrp_policy_to_string(change->policy);
	/* "auto" means the boot default, when we can know it. */
	if (iommugrp_kernel_get_boot_policy(change->group->ctx, &boot, &source) == 0)
		return iommugrp_policy_to_string(boot);
	return NULL;
}

/* The drivers the kernel wants gone before it changes the type. */
static int plan_unbinds(struct iommugrp_change *change, enum iommugrp_type_rules rules)
{
	struct iommugrp_device *d = NULL;
	int r = 0;

	while (r == 0 && (d = iommugrp_group_device_next(change->group, d))) {
		const char *driver = iommugrp_device_get_driver(d);

		if (!driver)
			continue;
		/* 6.4+ counts only drivers that own DMA; 6.1 wants the one device unbound. */
		if (rules == IOMMUGRP_RULES_CLAIM_BASED &&
		    iommugrp_device_get_vfio_state(d) != IOMMUGRP_VFIO_KERNEL_DRIVER)
			continue;
		r = change_add_step(change, IOMMUGRP_STEP_UNBIND, d, driver, NULL);
	}
	return r;
}

static int plan_rebinds(struct iommugrp_change *change)
{
	size_t n = change->n_steps;
	int r = 0;

	for (size_t i = 0; r == 0 && i < n; i++) {
		struct step *u = &change->steps[i];
		struct iommugrp_device *d = NULL;

		if (u->kind != IOMMUGRP_STEP_UNBIND)
			continue;
		while ((d = iommugrp_group_device_next(change->group, d)))
			if (strcmp(d->name, u->device) == 0)
				break;
		r = change_add_step(change, IOMMUGRP_STEP_BIND, d, u->driver, NULL);
	}
	return r;
}

static int refuse_by_rules(struct iommugrp_change *change, enum iommugrp_type_rules rules,
			   const char *release)
{
	int ndev = iommugrp_group_get_device_count(change->group);

	if (rules == IOMMUGRP_RULES_NONE)
		return change_refuse(change, -EOPNOTSUPP,
				     "kernel %s cannot change a group's type at run time (5.11 "
				     "and later can); use iommu.passthrough= / iommu.strict= at boot",
				     release);
	if (rules == IOMMUGRP_RULES_SINGLE_DEVICE && ndev > 1)
		return change_refuse(change, -EINVAL,
				     "group %u has %d devices, and kernel %s changes the policy only "
				     "of single-device groups; kernels from 6.4, or 6.1 with "
				     "kernel/0001-iommu-*.patch from iommugrp, can",
				     change->group->number, ndev, release);
	if (ndev == 0)
		return change_refuse(change, -EINVAL, "group %u has no devices",
				     change->group->number);
	return 0;
}

static int plan_policy(struct iommugrp_change *change)
{
	enum iommugrp_type_rules rules;
	const char *type, *expected, *release = "?";
	int r;

	r = iommugrp_group_get_type(change->group, &type);
	if (r == -ENOENT)
		return change_refuse(change, -EOPNOTSUPP,
				     "%s/type does not exist: this kernel cannot change policies",
				     change->group->display_syspath);
	if (r < 0)
		return change_refuse(change, r, "%s/type is unreadable: %s",
				     change->group->display_syspath, strerror(-r));
	change->old_type = strdup(type);
	expected = expected_type(change);
	change->expected_type = expected ? strdup(expected) : NULL;
	if (!change->old_type || (expected && !change->expected_type))
		return -ENOMEM;
	if (change->expected_type && strcmp(change->expected_type, type) == 0) {
		change->noop = true;
		return 0;
	}
	iommugrp_kernel_get_release(change->group->ctx, &release);
	r = iommugrp_kernel_get_type_rules(change->group->ctx, &rules);
	if (r < 0)
		return change_refuse(change, r, "cannot tell which rules kernel %s applies", release);
	r = refuse_by_rules(change, rules, release);
	if (r == 0)
		r = refuse_if_in_use(change);
	if (r == 0 && !has_capabilities())
		r = change_refuse(change, -EACCES, "changing a group's type needs CAP_SYS_ADMIN "
						   "and CAP_SYS_RAWIO: run as root");
	if (r < 0 || change->refusal < 0)
		return r;
	/* DMA -> DMA-FQ only relaxes TLB flushing: the kernel does it live, drivers bound. */
	if (!(strcmp(type, "DMA") == 0 && change->policy == IOMMUGRP_POLICY_DMA_FQ))
		r = plan_unbinds(change, rules);
	if (r == 0)
		r = change_add_step(change, IOMMUGRP_STEP_WRITE_TYPE, NULL, NULL,
				    iommugrp_policy_to_string(change->policy));
	return r < 0 ? r : plan_rebinds(change);
}

EXPORT int iommugrp_change_new_policy(struct iommugrp_group *group, enum iommugrp_policy policy,
				      struct iommugrp_change **ret_change)
{
	struct iommugrp_change *change;
	int r;

	if (!iommugrp_policy_to_string(policy))
		return -EINVAL;
	change = calloc(1, sizeof(*change));
	if (!change)
		return -ENOMEM;
	change->refcount = 1;
	change->group = iommugrp_group_ref(group);
	change->policy = policy;
	change->outcome = IOMMUGRP_OUTCOME_PLANNED;
	r = plan_policy(change);
	if (r < 0 && change->refusal == 0) {
		iommugrp_change_unref(change);
		return r;
	}
	*ret_change = change;
	return 0;
}

EXPORT struct iommugrp_change *iommugrp_change_ref(struct iommugrp_change *change)
{
	if (change)
		change->refcount++;
	return change;
}

static void step_free(struct step *s)
{
	free(s->device);
	free(s->devpath);
	free(s->driver);
	free(s->path);
	free(s->value);
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
	free(change->error);
	free(change->leftover);
	iommugrp_group_unref(change->group);
	free(change);
	return NULL;
}

EXPORT int iommugrp_change_get_refusal(const struct iommugrp_change *change,
				       const char **ret_reason)
{
	if (ret_reason)
		*ret_reason = change->refusal_reason;
	return change->refusal;
}

EXPORT bool iommugrp_change_is_noop(const struct iommugrp_change *change)
{
	return change->noop;
}

EXPORT const char *iommugrp_change_get_old_type(const struct iommugrp_change *change)
{
	return change->old_type;
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

	return (unsigned)outcome < sizeof(names) / sizeof(names[0]) ? names[outcome] : NULL;
}

EXPORT const char *iommugrp_change_get_error(const struct iommugrp_change *change)
{
	return change->error;
}

EXPORT const char *iommugrp_change_get_leftover(const struct iommugrp_change *change)
{
	return change->leftover;
}
