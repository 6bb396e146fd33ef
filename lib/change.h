/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Private to change.c (planning) and apply.c (the transaction). */
#ifndef IOMMUGRP_CHANGE_H
#define IOMMUGRP_CHANGE_H

#include "internal.h"

struct step {
	enum iommugrp_step_kind kind;
	char *device;  /* device name, NULL for type writes */
	char *devpath; /* device's sysfs dir, relative to the sysroot */
	char *driver;
	char *path;  /* the file written, relative to the sysroot */
	char *value; /* what is written */
	bool done;
};

struct iommugrp_change {
	int refcount;
	struct iommugrp_group *group; /* holds a reference */
	enum iommugrp_policy policy;
	char *old_type;
	char *expected_type; /* what type must read after the write; NULL: any */
	char *new_type;
	int refusal;
	char *refusal_reason;
	bool noop;
	struct step *steps;
	size_t n_steps;
	enum iommugrp_outcome outcome;
	char *error;
	char *leftover;
};

int change_add_step(struct iommugrp_change *change, enum iommugrp_step_kind kind,
		    struct iommugrp_device *device, const char *driver, const char *value);
int change_refuse(struct iommugrp_change *change, int error, const char *format, ...)
	PRINTF(3, 4);
char *strdup_printf(const char *format, ...) PRINTF(1, 2);

/* kmsg.c: the kernel's own words about a failed write. */
int kmsg_open_at_end(const struct iommugrp_ctx *ctx);
char *kmsg_read_new(int fd);

#endif
