/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Planning the handoff of a whole group to vfio-pci, and its return. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "change.h"

static const char *vfio_driver_for(struct iommugrp_device *d)
{
	return iommugrp_device_is_pci(d) ? "vfio-pci" : "vfio-platform";
}

/* Read with the override itself: no second lookup per device. */
static bool has_override_file(struct iommugrp_device *d)
{
	iommugrp_device_get_driver_override(d);
	return d->has_override_file;
}

/* Every reason a member cannot go to VFIO; the first becomes the refusal. */
static int preflight(struct iommugrp_change *change, struct iommugrp_device *d, unsigned int flags)
{
	int vfs = iommugrp_device_get_sriov_numvfs(d);
	const char *why;
	int r = 0;

	if (vfs < 0)
		return vfs; /* unreadable sysfs: the plan cannot be made */
	if (!has_override_file(d))
		return change_refuse_as(change, IOMMUGRP_REFUSAL_NO_OVERRIDE, d->name, -EOPNOTSUPP,
					"%s is a %s device without driver_override: it cannot be "
					"handed to VFIO",
					d->name, iommugrp_device_get_subsystem(d) ?: "non-PCI");
	if (vfs > 0)
		return change_refuse_as(change, IOMMUGRP_REFUSAL_SRIOV_VFS, d->name, -EBUSY,
					"%s is an SR-IOV PF with %d VFs enabled, which vfio-pci "
					"refuses; "
					"disable them first (write 0 to /%s/sriov_numvfs)",
					d->name, vfs, d->syspath);
	if (flags & IOMMUGRP_FORCE)
		return 0;
	why = host_needs_device(d);
	if (why)
		r = change_refuse_as(change, IOMMUGRP_REFUSAL_HOST_NEEDS_DEVICE, d->name, -EBUSY,
				     "%s is needed by the host: %s", d->name, why);
	return r;
}

static bool on_vfio(struct iommugrp_device *d)
{
	const char *driver = iommugrp_device_get_driver(d);
	const char *override = iommugrp_device_get_driver_override(d);
	const char *target = vfio_driver_for(d);

	return driver && override && strcmp(driver, target) == 0 && strcmp(override, target) == 0;
}

/* libvirt's order: override first so nothing else grabs the device, unbind, probe. */
static int plan_endpoint(struct iommugrp_change *change, struct iommugrp_device *d)
{
	const char *target = vfio_driver_for(d), *driver = iommugrp_device_get_driver(d);
	const char *override = iommugrp_device_get_driver_override(d);
	int r = 0;

	if (!override || strcmp(override, target) != 0)
		r = change_add_step(change, IOMMUGRP_STEP_WRITE_OVERRIDE, d->name, d->syspath, NULL,
				    target);
	if (r == 0 && driver && strcmp(driver, target) != 0)
		r = change_add_step(change, IOMMUGRP_STEP_UNBIND, d->name, d->syspath, driver, NULL);
	if (r == 0 && (!driver || strcmp(driver, target) != 0))
		r = change_add_step(change, IOMMUGRP_STEP_PROBE, d->name, d->syspath, target, NULL);
	return r;
}

static int plan_bind(struct iommugrp_change *change, unsigned int flags)
{
	struct iommugrp_device *d = NULL;
	bool all_on_vfio = true;
	int endpoints = 0, r = 0;

	/* Bridges stay and endpoints go: a member that cannot be told apart stops the plan. */
	while ((d = iommugrp_group_device_next(change->group, d)))
		if ((r = iommugrp_device_check_bridge(d)) < 0)
			return r;
	while ((d = iommugrp_group_device_next(change->group, d)))
		if (!iommugrp_device_is_bridge(d)) {
			all_on_vfio = all_on_vfio && on_vfio(d);
			endpoints++;
		}
	if (endpoints == 0)
		return change_refuse_as(change, IOMMUGRP_REFUSAL_ONLY_BRIDGES, NULL, -EINVAL,
					"group %u holds only bridges, which stay "
					"with the host: nothing to hand to VFIO",
					change->group->number);
	change->noop = all_on_vfio;
	if (change->noop)
		return 0;
	r = change_refuse_if_in_use(change, "handing it to vfio-pci");
	if (r == 0)
		r = change_refuse_without_capabilities(change, "binding drivers");
	/* Every member is checked, so all reasons are reported together. */
	while (r == 0 && (d = iommugrp_group_device_next(change->group, d)))
		if (!iommugrp_device_is_bridge(d))
			r = preflight(change, d, flags);
	while (r == 0 && change->refusal == 0 && (d = iommugrp_group_device_next(change->group, d)))
		if (!iommugrp_device_is_bridge(d) && !on_vfio(d))
			r = plan_endpoint(change, d);
	return r;
}

static int finish(struct iommugrp_change *change, int r, struct iommugrp_change **ret_change)
{
	if (r < 0 && change->refusal == 0) {
		iommugrp_change_unref(change);
		return r;
	}
	*ret_change = change;
	return 0;
}

EXPORT int iommugrp_change_new_vfio_bind(struct iommugrp_group *group, unsigned int flags,
					 struct iommugrp_change **ret_change)
{
	struct iommugrp_change *change;
	enum iommugrp_module_state state;
	int r;

	r = change_new(group, "vfio-bind", &change);
	if (r < 0)
		return r;
	change->save_record_path = journal_path(group->number, "vfio");
	r = change->save_record_path ? plan_bind(change, flags) : -ENOMEM;
	if (r == 0 && !change->noop && change->refusal == 0 &&
	    iommugrp_vfio_pci_get_state(group->ctx, &state) == 0 && state == IOMMUGRP_MODULE_MISSING)
		r = change_refuse_as(change, IOMMUGRP_REFUSAL_VFIO_PCI_MISSING, NULL, -ENOENT,
				     "vfio-pci is neither loaded, built in nor "
				     "installed as a module for this kernel");
	return finish(change, r, ret_change);
}

/* Without a record: clear the overrides, unbind VFIO, let the kernel choose the driver. */
static int plan_release_unrecorded(struct iommugrp_change *change)
{
	struct iommugrp_device *d = NULL;
	int r = 0;

	while (r == 0 && (d = iommugrp_group_device_next(change->group, d))) {
		const char *driver = iommugrp_device_get_driver(d);
		bool vfio_bound = driver && strstr(driver, "vfio");

		if (iommugrp_device_is_bridge(d) ||
		    !(vfio_bound || iommugrp_device_get_driver_override(d)))
			continue;
		if (iommugrp_device_get_driver_override(d))
			r = change_add_step(change, IOMMUGRP_STEP_WRITE_OVERRIDE, d->name,
					    d->syspath, NULL, "\n");
		if (r == 0 && vfio_bound)
			r = change_add_step(change, IOMMUGRP_STEP_UNBIND, d->name, d->syspath,
					    driver, NULL);
		if (r == 0 && (vfio_bound || !driver))
			r = change_add_step(change, IOMMUGRP_STEP_PROBE, d->name, d->syspath, NULL,
					    NULL);
	}
	return r;
}

static int plan_release(struct iommugrp_change *change)
{
	struct journal record;
	char *reason = NULL;
	int r;

	r = change_refuse_if_in_use(change, "giving it back");
	if (r == 0)
		r = change_refuse_without_capabilities(change, "binding drivers");
	if (r < 0 || change->refusal < 0)
		return r;
	r = journal_read(change->group->ctx, change->drop_record_path, &record);
	if (r == 0 && journal_check_group(&record, change->group, &reason) < 0) {
		journal_clear(&record);
		r = change_refuse(change, -EBADMSG,
				  "the record /%s does not match group %u: %s; "
				  "remove it to release without it",
				  change->drop_record_path, change->group->number,
				  reason ? reason : "out of memory");
		free(reason);
		return r;
	}
	if (r == -ENOENT)
		r = plan_release_unrecorded(change);
	else if (r < 0)
		return change_refuse_unusable_journal(change, change->drop_record_path, r,
						      "remove it to release without it");
	else {
		change->has_record = true;
		r = change_plan_converge(change, &record, true);
		journal_clear(&record);
	}
	change->noop = r == 0 && change->n_steps == 0;
	return r;
}

EXPORT int iommugrp_change_new_vfio_release(struct iommugrp_group *group,
					    struct iommugrp_change **ret_change)
{
	struct iommugrp_change *change;
	int r;

	r = change_new(group, "vfio-release", &change);
	if (r < 0)
		return r;
	change->drop_record_path = journal_path(group->number, "vfio");
	r = change->drop_record_path ? plan_release(change) : -ENOMEM;
	return finish(change, r, ret_change);
}
