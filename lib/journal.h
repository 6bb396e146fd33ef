/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The journal: a group's state before an operation, kept under /run/iommugrp. */
#ifndef IOMMUGRP_JOURNAL_H
#define IOMMUGRP_JOURNAL_H

#include <stdint.h>

#include "internal.h"

struct journal_device {
	char *name;
	char *devpath;	/* relative to the sysroot */
	char *driver;	/* NULL: unbound */
	char *override; /* NULL: none */
};

struct journal {
	char *boot_id;
	char *operation; /* set-policy, vfio-bind, vfio-release, restore, hold, unhold */
	unsigned int group;
	char *type; /* NULL: the kernel has no type file */
	struct journal_device *devices;
	size_t n_devices;
	unsigned int done; /* steps completed */
};

void journal_clear(struct journal *j);
int journal_capture(struct iommugrp_group *group, const char *operation, struct journal *j);
const struct journal_device *journal_find(const struct journal *j, const char *name);
/* File names below run/iommugrp: group-N.journal (operation under way), group-N.vfio (before vfio-bind). */
char *journal_path(unsigned int group, const char *suffix);
int journal_write(const struct iommugrp_ctx *ctx, const char *path, const struct journal *j);
/* /run/iommugrp below the sysroot, made when missing: journals, records and locks live there. */
/* -EBADMSG: truncated or corrupt (logged with the line); -ESTALE: from another boot. */
int journal_read(const struct iommugrp_ctx *ctx, const char *path, struct journal *j);
int journal_remove(const struct iommugrp_ctx *ctx, const char *path);
int journal_dir_open(const struct iommugrp_ctx *ctx, bool create, char **ret_reason);
/* Why a directory is not one iommugrp trusts (a link, not root's, open to others), or NULL. */
struct stat;
char *journal_untrusted_dir_reason(const struct stat *st);
void journal_remove_stale(int dirfd, unsigned int number);
int journal_boot_id(const struct iommugrp_ctx *ctx, char **ret_boot_id);
/* The longest field, in bytes, the writer writes and the reader accepts (a driver_override
 * is at most a page less its newline). */
#define JOURNAL_FIELD_MAX 4095
int journal_format(const struct journal *j, char **ret_text);
uint32_t journal_cksum(const char *data, size_t len);
int journal_check_group(const struct journal *j, struct iommugrp_group *group, char **ret_reason);
int journal_parse(const char *text, struct journal *j, unsigned int *ret_bad_line);

#endif
