/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Private to the change planners (plan-*.c, change.c) and the transaction (apply.c). */
#ifndef IOMMUGRP_CHANGE_H
#define IOMMUGRP_CHANGE_H

#include "internal.h"
#include "journal.h"

struct step {
	enum iommugrp_step_kind kind;
	char *device;	 /* device name; NULL for type writes */
	char *devpath;	 /* device's sysfs dir, relative to the sysroot */
	char *bus;	 /* the device's bus directory: sys/bus/pci, sys/bus/platform */
	char *driver;	 /* UNBIND, BIND: the driver; PROBE: the driver expected (NULL: any) */
	char *path;	 /* the file written, relative to the sysroot */
	char *value;	 /* what is written */
	char *old_value; /* WRITE_OVERRIDE: the override before ("\n": none) */
	/* Written: the write was made, so the kernel may have acted on it even when its check
	 * then failed (a DMA-FQ request that became DMA); verified: the check passed too. A
	 * rollback undoes every written step; each undo first looks whether it is needed. */
	bool written, verified;
};

struct iommugrp_change {
	int refcount;
	struct iommugrp_group *group; /* holds a reference */
	const char *operation;
	enum iommugrp_policy policy;
	char *old_type;
	char *expected_type; /* what type must read after a type write; NULL: any */
	char *new_type;
	int refusal;
	enum iommugrp_refusal refusal_code; /* the first refusal's */
	char *refusal_device;
	char *refusal_reason;
	bool noop;
	bool no_rollback; /* restore: a failure keeps the journal for another try */
	bool has_record;
	struct journal snapshot;       /* the group when planned: checked before applying */
	struct journal *record;	       /* what the journal file says while applying */
	struct journal restore_source; /* restore: the interrupted operation's journal; a
					  * policy change from the boot hold: the group before it */
	char *journal_path;
	char *save_record_path; /* written on success (vfio-bind) */
	char *drop_record_path; /* removed on success (vfio-release, restore) */
	struct step *steps;
	size_t n_steps;
	char *bus_devpath, *bus; /* the last device's bus dir: its steps come together */
	enum iommugrp_outcome outcome;
	char *error;
	char *leftover;
};

/* change.c */
int change_new(struct iommugrp_group *group, const char *operation,
	       struct iommugrp_change **ret_change);
int change_add_step(struct iommugrp_change *change, enum iommugrp_step_kind kind,
		    const char *device, const char *devpath, const char *driver, const char *value);
/* Refuses with a code and the device it concerns (NULL: the group), for the caller's wording. */
int change_refuse_as(struct iommugrp_change *change, enum iommugrp_refusal code, const char *device,
		     int error, const char *format, ...) PRINTF(5, 6);
#define change_refuse(change, error, ...)                                                          \
	change_refuse_as(change, IOMMUGRP_REFUSAL_OTHER, NULL, error, __VA_ARGS__)
int change_refuse_if_in_use(struct iommugrp_change *change, const char *what);
int change_refuse_without_capabilities(struct iommugrp_change *change, const char *what);
int change_refuse_unusable_journal(struct iommugrp_change *change, const char *path, int error,
				   const char *advice);

/* plan-restore.c: steps from the group's present state to a recorded one. */
int change_refuse_if_interrupted(struct iommugrp_change *change, bool locked);
int change_plan_converge(struct iommugrp_change *change, const struct journal *target,
			 bool keep_type);

/* hostuse.c: why the host needs a device (NULL: it does not); owned by the device. Out of
 * memory or with a source unreadable, a reason that says so: never NULL for "unknown". */
const char *host_needs_device(struct iommugrp_device *device);

/* kmsg.c: the kernel's own words about a failed write. */
int kmsg_open_at_end(const struct iommugrp_ctx *ctx);
char *kmsg_read_new(int fd);

#endif
