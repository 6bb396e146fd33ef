/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Private to the configuration: parser (config.c), matching (config-match.c), boot (config-boot.c). */
#ifndef IOMMUGRP_CONFIG_H
#define IOMMUGRP_CONFIG_H

#include <sys/stat.h>

#include "internal.h"

#define CONFIG_FILE "etc/iommugrp.conf"
#define CONFIG_DIR "etc/iommugrp.d"
#define CONFIG_SAVED "etc/iommugrp.d/90-saved.conf"
#define CONFIG_LINE_MAX 4096
#define CONFIG_FILE_MAX (1024 * 1024)

enum config_fallback { FALLBACK_UNBIND, FALLBACK_NONE };

struct config_entry {
	char *file; /* display path: /etc/iommugrp.d/10-gpu.conf */
	unsigned int line;
	char *text; /* the line without its comment, tokens as written */

	/* Selectors: all given ones must match. */
	char *path;    /* canonical "0000:00/03.0/01.0" */
	char *address; /* canonical "0000:01:00.0" */
	bool has_id, has_subsystem, has_serial, has_function;
	uint16_t vendor, device, sub_vendor, sub_device;
	uint64_t serial;
	unsigned int function;
	char *slot;
	char *slot_address; /* "0000:01:00" from /sys/bus/pci/slots/NAME/address, read once */
	bool slot_loaded;

	/* Actions and options. */
	bool vfio;
	int policy; /* enum iommugrp_policy, or -1 */
	char *user, *owner_group;
	bool multiple, force;
	enum config_fallback fallback;

	/* What it matches now (after resolve). */
	struct iommugrp_device **matches;
	size_t n_matches;
	char *refusal; /* ambiguous: the entry is refused */
};

struct config_problem {
	int priority;	   /* LOG_ERR or LOG_WARNING */
	char *file;	   /* NULL: not about one file */
	unsigned int line; /* 0: the whole file */
	char *message;
};

/* What the entries want of one group. */
struct config_group {
	struct iommugrp_group *group; /* holds a reference */
	size_t *entries;	      /* indexes into config->entries */
	size_t n_entries;
	char *entries_text; /* "/etc/iommugrp.conf:1, /etc/iommugrp.d/x.conf:3" */
	bool vfio;
	int policy;
	char *user, *owner_group;
	unsigned int flags; /* IOMMUGRP_CONFIG_FALLBACK_NONE, IOMMUGRP_CONFIG_FORCE */
	char *refusal;	    /* conflicting entries */
};

struct iommugrp_config {
	int refcount;
	struct iommugrp_ctx *ctx;
	char **files; /* display paths, in the order read */
	size_t n_files;
	struct config_entry *entries;
	size_t n_entries;
	struct config_problem *problems;
	size_t n_problems;
	unsigned int n_errors;
	uint64_t digest;
	char digest_text[32];
	bool resolved;
	int resolve_err;
	struct config_group *groups;
	size_t n_groups;
};

/* config.c */
int config_add_problem(struct iommugrp_config *config, int priority, const char *file,
		       unsigned int line, const char *format, ...) PRINTF(5, 6);
int config_parse_text(struct iommugrp_config *config, const char *file, const char *text,
		      size_t len);
void config_entry_clear(struct config_entry *e);

/* config-match.c */
int config_device_path(const struct iommugrp_device *device, char **ret_path);
/* @path: the device's path= if known (NULL: worked out here). */
int config_entry_matches(struct iommugrp_config *config, const struct config_entry *e,
			 struct iommugrp_device *device, const char *path);
#define CONFIG_PATH_MAX 256

/* sysfs.c additions: the bytes as they are, and the file's stat from the same fd. */
int sysfs_read_raw(const struct iommugrp_ctx *ctx, const char *path, size_t limit, char **ret_value,
		   size_t *ret_len, struct stat *ret_stat);
int sysfs_stat(const struct iommugrp_ctx *ctx, const char *path, struct stat *ret_stat);

#endif
