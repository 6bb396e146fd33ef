/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Planning a DMA policy change by the rules of the running kernel. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "change.h"

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

/* An unbind takes a device from the host as vfio-bind does: the same checks, the same --force. */
static int refuse_if_host_needs(struct iommugrp_change *change, struct iommugrp_device *d,
				unsigned int flags)
{
	const char *why;
	int r = 0;

	if (flags & IOMMUGRP_FORCE)
		return 0;
	why = host_needs_device(d);
	if (why)
		r = change_refuse_as(change, IOMMUGRP_REFUSAL_HOST_NEEDS_DEVICE, d->name, -EBUSY,
				     "%s is needed by the host: %s", d->name, why);
	return r;
}

/* The drivers the kernel wants gone before it changes the type, unbound and later bound again. */
static int plan_unbind_and_rebind(struct iommugrp_change *change, enum iommugrp_type_rules rules,
				  unsigned int flags)
{
	struct iommugrp_device *d = NULL;
	size_t first = change->n_steps, last;
	int r = 0;

	while (r == 0 && (d = iommugrp_group_device_next(change->group, d))) {
		const char *driver = iommugrp_device_get_driver(d);
		enum iommugrp_vfio_state state;

		/* A member whose driver cannot be read stops the plan: planning failed. */
		r = iommugrp_device_read_vfio_state(d, &state);
		if (r < 0)
			break;
		/* 6.4+ counts only drivers that own DMA; 6.1 wants the one device unbound. */
		if (!driver ||
		    (rules == IOMMUGRP_RULES_CLAIM_BASED && state != IOMMUGRP_VFIO_KERNEL_DRIVER))
			continue;
		r = refuse_if_host_needs(change, d, flags);
		if (r == 0)
			r = change_add_step(change, IOMMUGRP_STEP_UNBIND, d->name, d->syspath,
					    driver, NULL);
	}
	if (r < 0 || change->refusal < 0)
		return r;
	last = change->n_steps;
	if (r == 0)
		r = change_add_step(change, IOMMUGRP_STEP_WRITE_TYPE, NULL, NULL, NULL,
				    iommugrp_policy_to_string(change->policy));
	for (size_t i = first; r == 0 && i < last; i++) {
		struct step *u = &change->steps[i];

		r = change_add_step(change, IOMMUGRP_STEP_BIND, u->device, u->devpath, u->driver,
				    NULL);
	}
	return r;
}

static int refuse_by_rules(struct iommugrp_change *change, enum iommugrp_type_rules rules,
			   const char *release)
{
	int ndev = iommugrp_group_get_device_count(change->group);

	if (rules == IOMMUGRP_RULES_NONE)
		return change_refuse_as(change, IOMMUGRP_REFUSAL_NO_TYPE_CHANGE, NULL, -EOPNOTSUPP,
					"kernel %s cannot change a group's type at run time (5.11 "
					"and later can); use iommu.passthrough= / iommu.strict= at "
					"boot",
					release);
	if (rules == IOMMUGRP_RULES_SINGLE_DEVICE && ndev > 1 &&
	    !kernel_probe_claim_rules(change->group->ctx, change->group))
		return change_refuse_as(change, IOMMUGRP_REFUSAL_KERNEL_RULES, NULL, -EINVAL,
					"group %u has %d devices, and kernel %s changes the policy "
					"only "
					"of single-device groups; kernels from 6.4, or 6.1 with "
					"iommugrp's kernel/ series, can",
					change->group->number, ndev, release);
	if (ndev <= 0)
		return change_refuse(change, -EINVAL, "group %u has no devices",
				     change->group->number);
	return 0;
}

static int refuse_or_noop(struct iommugrp_change *change)
{
	const char *type, *expected;
	int r;

	r = iommugrp_group_get_type(change->group, &type);
	if (r == -ENOENT)
		return change_refuse_as(change, IOMMUGRP_REFUSAL_NO_TYPE_CHANGE, NULL, -EOPNOTSUPP,
					"%s/type does not exist: this kernel cannot change "
					"policies",
					change->group->display_syspath);
	if (r < 0)
		return change_refuse(change, r, "%s/type is unreadable: %s",
				     change->group->display_syspath, strerror(-r));
	change->old_type = strdup(type);
	expected = expected_type(change);
	change->expected_type = expected ? strdup(expected) : NULL;
	if (!change->old_type || (expected && !change->expected_type))
		return -ENOMEM;
	change->noop = expected && strcmp(expected, type) == 0;
	return 0;
}

static int plan_policy(struct iommugrp_change *change, unsigned int flags)
{
	enum iommugrp_type_rules rules;
	const char *release = "?";
	int r;

	r = refuse_or_noop(change);
	if (r < 0 || change->refusal < 0 || change->noop)
		return r;
	iommugrp_kernel_get_release(change->group->ctx, &release);
	r = iommugrp_kernel_get_type_rules(change->group->ctx, &rules);
	if (r < 0)
		return change_refuse(change, r, "cannot tell which rules kernel %s applies",
				     release);
	r = refuse_by_rules(change, rules, release);
	/* The probe may have found claim-based rules behind a 6.1 version number. */
	if (r == 0 && change->refusal == 0)
		r = iommugrp_kernel_get_type_rules(change->group->ctx, &rules);
	if (r == 0)
		r = change_refuse_if_in_use(change, "changing its policy");
	if (r == 0)
		r = change_refuse_without_capabilities(change, "changing a group's type");
	if (r < 0 || change->refusal < 0)
		return r;
	/* DMA -> DMA-FQ only relaxes TLB flushing: the kernel does it live, drivers bound. */
	if (strcmp(change->old_type, "DMA") == 0 && change->policy == IOMMUGRP_POLICY_DMA_FQ)
		return change_add_step(change, IOMMUGRP_STEP_WRITE_TYPE, NULL, NULL, NULL, "DMA-FQ");
	return plan_unbind_and_rebind(change, rules, flags);
}

EXPORT int iommugrp_change_new_policy_flags(struct iommugrp_group *group,
					    enum iommugrp_policy policy, unsigned int flags,
					    struct iommugrp_change **ret_change)
{
	struct iommugrp_change *change;
	int r;

	if (!iommugrp_policy_to_string(policy))
		return -EINVAL;
	r = change_new(group, "set-policy", &change);
	if (r < 0)
		return r;
	change->policy = policy;
	r = plan_policy(change, flags);
	if (r < 0 && change->refusal == 0) {
		iommugrp_change_unref(change);
		return r;
	}
	*ret_change = change;
	return 0;
}

EXPORT int iommugrp_change_new_policy(struct iommugrp_group *group, enum iommugrp_policy policy,
				      struct iommugrp_change **ret_change)
{
	return iommugrp_change_new_policy_flags(group, policy, 0, ret_change);
}
