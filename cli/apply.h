/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared by apply (cmd-apply.c) and its udev entry point (apply-udev.c). */
#ifndef IOMMUGRP_CLI_APPLY_H
#define IOMMUGRP_CLI_APPLY_H

#include <sys/types.h>

#include "boot.h"

struct apply_options {
	bool dry_run, unbind;
	const char *udev; /* DEVPATH */
};

int apply_udev(struct cli *cli, const struct apply_options *o);
int owner_ids(const char *user, const char *group, uid_t *ret_uid, gid_t *ret_gid,
	      const char **ret_bad);
char *hand_over_group_file(struct iommugrp_ctx *ctx, unsigned int number, const char *user,
			   const char *group);

#endif
