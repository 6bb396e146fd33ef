/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Private to libiommugrp: object layouts, logging, sysfs and parser helpers. */
#ifndef IOMMUGRP_INTERNAL_H
#define IOMMUGRP_INTERNAL_H

#include <stddef.h>
#include <sys/types.h>
#include <sys/stat.h>
#include <syslog.h>

#include "iommugrp.h"
#include "../shared/pci-address.h"

#define EXPORT __attribute__((visibility("default")))
#define PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

struct udev;
struct udev_hwdb;
struct hwdb_names;
struct vfio_holder;

struct iommugrp_region {
	uint64_t start;
	uint64_t end; /* inclusive, as the kernel prints it */
	enum iommugrp_region_type type;
};

struct iommugrp_device {
	struct iommugrp_group *group;
	char *name;
	char *syspath;	       /* relative to the sysroot, no leading '/': sys/devices/... */
	char *display_syspath; /* same with a leading '/' */
	size_t index;	       /* in group->devices, for iommugrp_group_device_next() */

	/* Each attribute is read once, on first use. */
	unsigned loaded_subsystem : 1, loaded_driver : 1, loaded_override : 1,
		has_override_file : 1, loaded_pci : 1, loaded_names : 1, loaded_bridge : 1,
		loaded_host_use : 1, host_use_failed : 1;
	char *host_use; /* hostuse.c: why the host needs it; NULL: it does not */
	int bridge;	/* 1/0/-errno */
	int subsystem_err;
	char *subsystem;
	int driver_err;
	char *driver;
	char *driver_override;
	int pci_err;
	uint16_t vendor, device_id;
	uint32_t class_code;
	char *vendor_name, *model_name, *class_name;
};

struct iommugrp_user {
	unsigned int pid;
	char *comm;
	char *file; /* the VFIO file it holds open */
};

struct iommugrp_group {
	struct iommugrp_ctx *ctx;
	unsigned int number;
	char *syspath; /* sys/kernel/iommu_groups/N */
	char *display_syspath;

	unsigned loaded_type : 1, loaded_name : 1, loaded_regions : 1, loaded_devices : 1,
		loaded_users : 1, loaded_dma_owner : 1;
	int type_err;
	char *type;
	char *name;
	char *dma_owner;
	int dma_owner_err; /* 0 also when the kernel has no dma_owner file */
	int regions_err;
	struct iommugrp_region *regions;
	size_t n_regions;
	int devices_err;
	struct iommugrp_device **devices;
	size_t n_devices;
	int users_err;
	struct iommugrp_user *users;
	size_t n_users;
	char **vfio_files; /* the last iommugrp_group_get_vfio_files() answer */
	size_t n_vfio_files;
};

struct iommugrp_ctx {
	int refcount;
	char *sysroot;
	int rootfd;
	bool confined; /* a --sysroot: every path resolved inside it (root.c) */
	iommugrp_log_fn log_fn;
	void *log_data;
	int log_priority;

	int scan_result; /* 1 + count once scanned; 0 before; negative errno */
	struct iommugrp_group **groups;
	size_t n_groups;

	/* users.c: what /proc showed open under /dev/vfio, scanned once (1), or -errno */
	int vfio_scan;
	struct vfio_holder *vfio_holders;
	size_t n_vfio_holders;

	struct udev *udev;
	struct udev_hwdb *hwdb;
	int hwdb_tried;
	struct hwdb_names *hwdb_cache;
	size_t n_hwdb_cache;

	struct problem_list *problems; /* separate, so readers holding a const ctx can add */

	char *release;
	int release_err;
	bool claim_rules_seen; /* a type write answered by claim-based rules (kernel.c) */
	int libkmod_err;       /* kernel.c: libkmod.so.2 could not be opened (logged once) */
	char *boot_policy_source;
	char **iommu_units;
	int n_iommu_units;

	struct topology *topology;	  /* topology.c: read and replayed on first use */
	struct topology *scoped_topology; /* list: the parts groups' replays needed */
	int topology_err;
	char *acs_override;	   /* why.c: pcie_acs_override= value, "" when absent */
	struct host_use *host_use; /* hostuse.c: what the host runs on, found on first need */
};

/* Logging (context.c) */
void iommugrp_log(const struct iommugrp_ctx *ctx, int priority, const char *file, int line,
		  const char *fn, const char *format, ...) PRINTF(6, 7);
#define log_cond(ctx, prio, ...)                                                                   \
	do {                                                                                       \
		if ((ctx)->log_priority >= (prio))                                                 \
			iommugrp_log(ctx, prio, __FILE__, __LINE__, __func__, __VA_ARGS__);        \
	} while (0)
/* log_ prefixes keep these apart from <err.h>'s err() and warn(). */
#define log_err(ctx, ...) log_cond(ctx, LOG_ERR, __VA_ARGS__)
#define log_warn(ctx, ...) log_cond(ctx, LOG_WARNING, __VA_ARGS__)
#define log_info(ctx, ...) log_cond(ctx, LOG_INFO, __VA_ARGS__)
#define log_dbg(ctx, ...) log_cond(ctx, LOG_DEBUG, __VA_ARGS__)

/*
 * Problems (context.c): a file that is unreadable or malformed. Kept in the
 * context for iommugrp_get_problem() and logged at LOG_ERR: a caller learns of
 * it without a log function. @path is the file below the sysroot, with a
 * leading '/'; the message names it.
 */
struct problem_list;
void problem(const struct iommugrp_ctx *ctx, int error, const char *path, const char *format, ...)
	PRINTF(4, 5);
/* The same about the file @dir/@name, the message starting with its path. */
void file_problem(const struct iommugrp_ctx *ctx, int error, const char *dir, const char *name,
		  const char *format, ...) PRINTF(5, 6);
/* The last problem recorded about @path, or NULL. */
const char *problem_about(const struct iommugrp_ctx *ctx, const char *path);
void problems_free(struct problem_list *list);

/* root.c: PATH (relative to the sysroot) resolved inside the sysroot; -errno on failure. */
int root_open(const struct iommugrp_ctx *ctx, const char *path, int flags, mode_t mode);
/* The walk root_open uses where the kernel lacks openat2 (exposed for the unit test). */
int root_open_walk(int rootfd, const char *path, int flags, mode_t mode);
int root_stat(const struct iommugrp_ctx *ctx, const char *path, bool follow, struct stat *ret_st);
ssize_t root_readlink(const struct iommugrp_ctx *ctx, const char *path, char *buf, size_t size);
/* Opens the directory PATH (O_RDONLY), making each missing level with MODE; a level that is a
 * symlink is refused (-ELOOP or -ENOTDIR), never followed. */
int root_make_dirs(const struct iommugrp_ctx *ctx, const char *path, mode_t mode);
/* TEXT to TMP in the directory DIRFD, renamed over NAME (fsynced when DURABLE): -errno. */
int file_write_atomic(int dirfd, const char *name, const char *tmp, const char *text, mode_t mode,
		      bool durable);

/* sysfs.c: all paths are relative to the sysroot, without a leading '/'. */
int sysfs_read(const struct iommugrp_ctx *ctx, const char *path, char **ret_value);
int sysfs_read_fd(int fd, char **ret_value);
int sysfs_read_byte(const struct iommugrp_ctx *ctx, const char *path, off_t offset,
		    uint8_t *ret_byte);
int sysfs_read_attr(const struct iommugrp_ctx *ctx, const char *dir, const char *attr,
		    char **ret_value);
int sysfs_link_target(const struct iommugrp_ctx *ctx, const char *dir, const char *link,
		      char **ret_path);
int sysfs_link_basename(const struct iommugrp_ctx *ctx, const char *dir, const char *link,
			char **ret_name);
int sysfs_list_dir(const struct iommugrp_ctx *ctx, const char *dir, char ***ret_names,
		   size_t *ret_count);
/* Only the real subdirectories (no links) of dir, as sysfs_list_dir. */
int sysfs_list_subdirs(const struct iommugrp_ctx *ctx, const char *dir, char ***ret_names,
		       size_t *ret_count);
int sysfs_exists(const struct iommugrp_ctx *ctx, const char *path);
int sysfs_write(const struct iommugrp_ctx *ctx, const char *path, const char *value);
void strv_free(char **strv, size_t count);

/* parse.c: pure parsers, unit-tested. */
char *path_join(const char *dir, const char *name);
int path_resolve_link(const char *link_dir, const char *target, char **ret_path);
int parse_hex_u32(const char *s, uint32_t max, uint32_t *ret_value);
int parse_uint(const char *s, unsigned int *ret_value);
int parse_region_line(const char *line, struct iommugrp_region *ret_region);
int parse_regions(const char *text, struct iommugrp_region **ret_regions, size_t *ret_count,
		  unsigned int *ret_bad_line);
#define PCI_ADDRESS_MAX 20
int parse_pci_address(const char *s, char ret_canonical[PCI_ADDRESS_MAX]);
const char *nth_line(const char *text, unsigned int n);
char *strdup_printf(const char *format, ...) PRINTF(1, 2);
/* NULL stays NULL; *failed is set when a copy could not be made. */
char *strdup_or_null(const char *s, bool *failed);
/* Equal strings, or both NULL. */
bool streq_ptr(const char *a, const char *b);
bool is_known_group_type(const char *type);
/* The types a type write can set back: identity, DMA, DMA-FQ (not blocked, unmanaged, ...). */
bool is_restorable_type(const char *type);
int parse_kernel_version(const char *release, unsigned int *ret_major, unsigned int *ret_minor);
/* /proc/locks (TEXT) shows a held flock on the file with this device (MAJ:MIN) and inode. */
bool proc_locks_has_flock(const char *locks, unsigned int maj, unsigned int min,
			  unsigned long inode);
/* What the command line or kernel config says; -1 where it says nothing. */
struct boot_setting {
	int passthrough;
	int strict;
	char passthrough_source[64];
	char strict_source[64];
};
void parse_boot_cmdline(const char *cmdline, struct boot_setting *setting);
void parse_kernel_config(const char *config, struct boot_setting *setting);
/* kernel.c: true when the running kernel's type writes follow claim-based rules. */
bool kernel_probe_claim_rules(struct iommugrp_ctx *ctx, struct iommugrp_group *group);

/* group.c / device.c */
struct iommugrp_group *group_new(struct iommugrp_ctx *ctx, unsigned int number);
void group_free(struct iommugrp_group *group);
struct iommugrp_device *device_new(struct iommugrp_group *group, const char *name,
				   const char *syspath);
void device_free(struct iommugrp_device *device);
struct iommugrp_group *ctx_find_group(struct iommugrp_ctx *ctx, unsigned int number);
/* Drops what was read of a group's changing state (type, drivers, overrides, users). */
void group_forget_state(struct iommugrp_group *group);
void device_forget_state(struct iommugrp_device *device);
/* driver_override read now, uncached; NULL when unset or absent. */
char *device_read_override(const struct iommugrp_ctx *ctx, const char *devpath);
/* The same, saying whether the file is there (*ret_exists; may be NULL). */
char *device_read_override_file(const struct iommugrp_ctx *ctx, const char *devpath,
				bool *ret_exists);

/* topology.c */
void topology_free(struct iommugrp_ctx *ctx);

/* hostuse.c */
struct host_use;
void host_use_free(struct iommugrp_ctx *ctx);

/* users.c */
void users_free(struct iommugrp_group *group);
void users_forget_scan(struct iommugrp_ctx *ctx);

/* vfio-files.c */
void vfio_files_free(struct iommugrp_group *group);
/* The group's VFIO files, as iommugrp_group_get_vfio_files names them; PRESENT: those in /dev. */
int vfio_files_list(struct iommugrp_group *group, bool present, char ***ret_files,
		    size_t *ret_count);

/* hwdb.c */
void hwdb_lookup_names(struct iommugrp_device *device);
void hwdb_close(struct iommugrp_ctx *ctx);
void hwdb_cache_clear(struct iommugrp_ctx *ctx);

#endif
