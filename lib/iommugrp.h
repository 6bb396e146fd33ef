/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libiommugrp: read and administer Linux IOMMU groups.
 *
 * One context (struct iommugrp_ctx) per sysroot. Groups and devices hang
 * off the context, are reference counted and opaque. Functions that can fail
 * return a negative errno and fill their out-parameters (named ret_*) last,
 * only on success: a failure leaves them as they were.
 * The library never prints and never exits: it logs through a callback.
 */
#ifndef IOMMUGRP_H
#define IOMMUGRP_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

struct iommugrp_ctx;
struct iommugrp_group;
struct iommugrp_device;

/* Context ---------------------------------------------------------------- */

/*
 * Creates a context reading the system below @sysroot ("/" or NULL for the
 * running system). The log priority starts from $IOMMUGRP_LOG (a syslog
 * priority number or name: err, warning, info, debug), default err.
 * Returns: 0 and a new context in @ret_ctx, or a negative errno (-ENOENT: no such sysroot,
 *    -ENOMEM).
 * Since: 0.1
 */
int iommugrp_new(const char *sysroot, struct iommugrp_ctx **ret_ctx);
/*
 * Takes a reference on the context.
 * Returns: @ctx.
 * Since: 0.1
 */
struct iommugrp_ctx *iommugrp_ref(struct iommugrp_ctx *ctx);
/*
 * Drops a reference; frees at zero. Accepts NULL.
 * Returns: NULL.
 * Since: 0.1
 */
struct iommugrp_ctx *iommugrp_unref(struct iommugrp_ctx *ctx);
/*
 * The directory the context reads below.
 * Returns: the sysroot, without a trailing '/' ("/" for the running system).
 * Since: 0.1
 */
const char *iommugrp_get_sysroot(const struct iommugrp_ctx *ctx);

typedef void (*iommugrp_log_fn)(void *data, int priority, const char *file, int line,
				const char *fn, const char *format, va_list args);
/*
 * Sets the function the library logs through (NULL: log nowhere); @data is passed to it.
 * Since: 0.1
 */
void iommugrp_set_log_fn(struct iommugrp_ctx *ctx, iommugrp_log_fn log_fn, void *data);
/*
 * The log priority (a syslog priority, LOG_ERR by default).
 * Returns: the syslog priority up to which messages are logged.
 * Since: 0.1
 */
int iommugrp_get_log_priority(const struct iommugrp_ctx *ctx);
/*
 * Logs messages up to @priority (LOG_ERR .. LOG_DEBUG).
 * Since: 0.1
 */
void iommugrp_set_log_priority(struct iommugrp_ctx *ctx, int priority);

/*
 * Problems the context met in what it read: a file that is unreadable or
 * malformed (an empty type, a bad reserved_regions line, a dangling link).
 * Reading goes on with what could be read; each problem is kept here once and
 * logged at LOG_ERR, so a caller without a log function still learns of it.
 * The getter's values are borrowed, valid while ctx is.
 * Returns: the number of problems so far.
 * Since: 0.2
 */
unsigned int iommugrp_get_problem_count(const struct iommugrp_ctx *ctx);
/*
 * Problem @index, oldest first: the negative errno, the file (below the
 * sysroot, "/sys/kernel/iommu_groups/0/type") and a sentence naming it.
 * Any out-parameter may be NULL.
 * Returns: 0, or -ERANGE past the last problem.
 * Since: 0.2
 */
int iommugrp_get_problem(const struct iommugrp_ctx *ctx, unsigned int index, int *ret_error,
			 const char **ret_path, const char **ret_message);

/* Groups ----------------------------------------------------------------- */

/*
 * Reads the list of groups (once; later calls return the cached count).
 * Returns: the number of groups, 0 when the kernel has none (no IOMMU active), or a negative
 *    errno.
 * Since: 0.1
 */
int iommugrp_scan(struct iommugrp_ctx *ctx);
/*
 * Iterates groups in numeric order. Borrowed pointers, valid while ctx is.
 * Returns: the group after @prev (the first with NULL), or NULL after the last or when the
 *    groups cannot be read.
 * Since: 0.1
 */
struct iommugrp_group *iommugrp_group_next(struct iommugrp_ctx *ctx, struct iommugrp_group *prev);

/*
 * Looks up a group by a target: a group number ("3"), a PCI address
 * ("0000:01:00.0" or "01:00.0"), a device name ("AMDI0010:00"), or a sysfs
 * device path ("/sys/bus/pci/devices/0000:01:00.0"). Returns a new reference.
 * -EINVAL: malformed target; -ENOENT: no such group or device;
 * -ENODEV: the device exists but belongs to no IOMMU group.
 * With @ret_device non-NULL, the named device (new reference), or NULL when
 * the target was a group number.
 * Returns: 0, or -EINVAL, -ENOENT, -ENODEV as above, or another negative errno.
 * Since: 0.1
 */
int iommugrp_group_new_from_target(struct iommugrp_ctx *ctx, const char *target,
				   struct iommugrp_group **ret_group,
				   struct iommugrp_device **ret_device);
/*
 * Takes a reference on the group (and so on its context).
 * Returns: @group.
 * Since: 0.1
 */
struct iommugrp_group *iommugrp_group_ref(struct iommugrp_group *group);
/*
 * Drops a reference taken with iommugrp_group_ref() or returned by
 * iommugrp_group_new_from_target(). Accepts NULL.
 * Returns: NULL.
 * Since: 0.1
 */
struct iommugrp_group *iommugrp_group_unref(struct iommugrp_group *group);

/*
 * The group's number, N of /sys/kernel/iommu_groups/N.
 * Returns: the group number.
 * Since: 0.1
 */
unsigned int iommugrp_group_get_number(const struct iommugrp_group *group);
/*
 * The group's sysfs directory below the sysroot, e.g. /sys/kernel/iommu_groups/3
 * Returns: the path, borrowed.
 * Since: 0.1
 */
const char *iommugrp_group_get_syspath(const struct iommugrp_group *group);

/*
 * The default domain type as the kernel names it ("DMA-FQ", "identity",
 * "blocked", "unknown", ...). -ENOENT: the kernel has no type file (< 5.11);
 * -EBADMSG: the file is empty or holds an unknown word (logged).
 * Returns: 0 with the type in @ret_type (borrowed), or a negative errno as above.
 * Since: 0.1
 */
int iommugrp_group_get_type(struct iommugrp_group *group, const char **ret_type);
/*
 * The group's `name`, or NULL when the IOMMU driver gives none.
 * Returns: the name (borrowed), or NULL.
 * Since: 0.1
 */
const char *iommugrp_group_get_name(struct iommugrp_group *group);
/*
 * Who owns the group's DMA: "none", "kernel" or "user", read from dma_owner,
 * which only kernels with iommugrp's companion patch have; NULL elsewhere.
 * Returns: the owner (borrowed), or NULL.
 * Since: 0.1
 */
const char *iommugrp_group_get_dma_owner(struct iommugrp_group *group);

/* Reserved regions --------------------------------------------------------- */

enum iommugrp_region_type {
	IOMMUGRP_REGION_DIRECT,		  /* RMRR: identity-mapped, blocks VFIO on 6.6+ */
	IOMMUGRP_REGION_DIRECT_RELAXABLE, /* identity-mapped, relaxable for VFIO */
	IOMMUGRP_REGION_RESERVED,	  /* never mapped */
	IOMMUGRP_REGION_MSI,		  /* MSI doorbell (hardware or software) */
};

/*
 * Number of reserved regions. Bad lines are skipped (each is a problem and logged).
 * Returns: the number of regions, or a negative errno when the file is unreadable.
 * Since: 0.1
 */
int iommugrp_group_get_region_count(struct iommugrp_group *group);
/*
 * Region @index: start and inclusive end address, type.
 * Returns: 0, -ERANGE past the last region, or the count's negative errno.
 * Since: 0.1
 */
int iommugrp_group_get_region(struct iommugrp_group *group, unsigned int index, uint64_t *ret_start,
			      uint64_t *ret_end, enum iommugrp_region_type *ret_type);
/*
 * The kernel's word for a region type.
 * Returns: "direct", "direct-relaxable", "reserved" or "msi"; NULL for other values.
 * Since: 0.1
 */
const char *iommugrp_region_type_to_string(enum iommugrp_region_type type);

/* Devices ------------------------------------------------------------------ */

/*
 * Number of member devices, or -errno.
 * Returns: the number of members, or a negative errno.
 * Since: 0.1
 */
int iommugrp_group_get_device_count(struct iommugrp_group *group);
/*
 * Iterates member devices in name order. Borrowed pointers.
 * Returns: the member after @prev (the first with NULL), or NULL after the last.
 * Since: 0.1
 */
struct iommugrp_device *iommugrp_group_device_next(struct iommugrp_group *group,
						   struct iommugrp_device *prev);

/*
 * Takes a reference on the device (and so on its context).
 * Returns: @device.
 * Since: 0.1
 */
struct iommugrp_device *iommugrp_device_ref(struct iommugrp_device *device);
/*
 * Drops a reference. Accepts NULL.
 * Returns: NULL.
 * Since: 0.1
 */
struct iommugrp_device *iommugrp_device_unref(struct iommugrp_device *device);
/*
 * The group holding the device (borrowed).
 * Returns: the group, borrowed.
 * Since: 0.1
 */
struct iommugrp_group *iommugrp_device_get_group(struct iommugrp_device *device);

/*
 * Kernel name: "0000:00:02.0", "AMDI0010:00".
 * Returns: the name, borrowed.
 * Since: 0.1
 */
const char *iommugrp_device_get_name(const struct iommugrp_device *device);
/*
 * Canonical sysfs path below the sysroot, "/sys/devices/pci0000:00/0000:00:02.0".
 * Returns: the path, borrowed.
 * Since: 0.1
 */
const char *iommugrp_device_get_syspath(const struct iommugrp_device *device);
/*
 * Bus: "pci", "platform", ...; NULL if unknown.
 * Returns: the bus name (borrowed), or NULL.
 * Since: 0.1
 */
const char *iommugrp_device_get_subsystem(struct iommugrp_device *device);
/*
 * True for PCI devices; false also when the subsystem link cannot be read.
 * Returns: true or false.
 * Since: 0.1
 */
bool iommugrp_device_is_pci(struct iommugrp_device *device);
/*
 * Whether the device is on the PCI bus.
 * Returns: 1 yes, 0 no, or a negative errno when its subsystem link cannot be read.
 * Since: 0.2
 */
int iommugrp_device_check_pci(struct iommugrp_device *device);
/*
 * Bound driver, or NULL when unbound.
 * Returns: the driver name (borrowed), or NULL.
 * Since: 0.1
 */
const char *iommugrp_device_get_driver(struct iommugrp_device *device);
/*
 * driver_override, or NULL when unset or the bus has none.
 * Returns: the override (borrowed), or NULL.
 * Since: 0.1
 */
const char *iommugrp_device_get_driver_override(struct iommugrp_device *device);

/*
 * PCI identity. -ENODATA for non-PCI devices, -EBADMSG for unreadable
 * values (logged). class is the 24-bit class code (0x020000).
 * Returns: 0 with the IDs in the out-parameters (each may be NULL), or a negative errno as
 *    above.
 * Since: 0.1
 */
int iommugrp_device_get_pci_ids(struct iommugrp_device *device, uint16_t *ret_vendor,
				uint16_t *ret_device, uint32_t *ret_class);
/*
 * Names from the udev hwdb, or NULL when unknown.
 * Returns: the name (borrowed), or NULL.
 * Since: 0.1
 */
const char *iommugrp_device_get_vendor_name(struct iommugrp_device *device);
/*
 * The model name from the udev hwdb, or NULL when unknown.
 * Returns: the name (borrowed), or NULL.
 * Since: 0.1
 */
const char *iommugrp_device_get_model_name(struct iommugrp_device *device);
/*
 * The class (or subclass) name from the udev hwdb, or NULL when unknown.
 * Returns: the name (borrowed), or NULL.
 * Since: 0.1
 */
const char *iommugrp_device_get_class_name(struct iommugrp_device *device);

/*
 * PCI-to-PCI or CardBus bridge (header type 1 or 2); false also when unreadable.
 * Returns: true or false.
 * Since: 0.1
 */
bool iommugrp_device_is_bridge(struct iommugrp_device *device);
/*
 * Whether the device is a PCI-to-PCI or CardBus bridge (header type 1 or 2
 * from config space, else the class code).
 * Returns: 1 yes, 0 no, or a negative errno when neither can be read.
 * Since: 0.2
 */
int iommugrp_device_check_bridge(struct iommugrp_device *device);
/*
 * Enabled SR-IOV VFs.
 * Returns: the count, 0 when none or not a PF (no sriov_numvfs), or a negative
 * errno when sriov_numvfs is unreadable (-EBADMSG: not a number).
 * Since: 0.1 (negative returns since 0.2)
 */
int iommugrp_device_get_sriov_numvfs(struct iommugrp_device *device);
/*
 * Whether the host runs on the device: a disk below a mounted filesystem or an
 * active swap (through partitions, dm, md, bcache, loop, btrfs and ZFS members),
 * a NIC below an interface with routes or a global address (through bridges,
 * bonds, VLANs and the like) or that reaches network storage, the boot VGA with
 * a console. Found once per context for the whole host. Fail closed: when what
 * tells cannot be read, every device of that kind is needed, and the reason
 * says what could not be read. @ret_reason: the chain that explains it ("its
 * interface eno1 is a port of the bond bond0, which ..."), owned by the device,
 * NULL when not needed.
 * Returns: 1 needed, 0 not, -EINVAL for a NULL argument.
 * Since: 0.3
 */
int iommugrp_device_get_host_use(struct iommugrp_device *device, const char **ret_reason);

/* Why a device does or does not keep its group viable for VFIO (5.19+ rules). */
enum iommugrp_vfio_state {
	IOMMUGRP_VFIO_UNBOUND,	     /* no driver: viable */
	IOMMUGRP_VFIO_BRIDGE,	     /* bridge without driver or on pcieport: viable */
	IOMMUGRP_VFIO_MANAGED_DMA,   /* driver_managed_dma driver (vfio-pci, pci-stub): viable */
	IOMMUGRP_VFIO_KERNEL_DRIVER, /* a kernel driver owns DMA: not viable */
};
/*
 * The state; IOMMUGRP_VFIO_KERNEL_DRIVER also when it cannot be read.
 * Returns: the state.
 * Since: 0.1
 */
enum iommugrp_vfio_state iommugrp_device_get_vfio_state(struct iommugrp_device *device);
/*
 * Why the device does or does not keep its group viable, in @ret_state.
 * Returns: 0, or a negative errno when its driver link or bridge-ness cannot be read.
 * Since: 0.2
 */
int iommugrp_device_read_vfio_state(struct iommugrp_device *device,
				    enum iommugrp_vfio_state *ret_state);
/*
 * The word for a VFIO state, as the VFIO column shows it.
 * Returns: "unbound", "bridge", "driver-managed-dma" or "kernel-driver"; NULL for other values.
 * Since: 0.1
 */
const char *iommugrp_vfio_state_to_string(enum iommugrp_vfio_state state);
/*
 * True when every member is unbound or on a driver_managed_dma driver (false when unreadable).
 * Returns: true or false.
 * Since: 0.1
 */
bool iommugrp_group_is_viable(struct iommugrp_group *group);
/*
 * Whether every member is unbound, a bridge, or on a driver_managed_dma driver.
 * Returns: 1 viable, 0 not, or a negative errno when the members or their
 * drivers cannot be read (an unreadable devices/ is not viable: it is unknown).
 * Since: 0.2
 */
int iommugrp_group_check_viable(struct iommugrp_group *group);
/*
 * Drivers that set driver_managed_dma (they do not claim the group's DMA).
 * Returns: true when @driver is such a driver; false for others and NULL.
 * Since: 0.1
 */
bool iommugrp_driver_manages_dma(const char *driver);

/*
 * Processes holding the group's VFIO files open (/dev/vfio/N, or a member's
 * /dev/vfio/devices/vfioX): the group's users. Needs the right to read other
 * processes' /proc/PID/fd (root); others' processes are otherwise not seen.
 * /proc is read (once per context) only when one of these files exists below
 * the sysroot: without them nobody can hold the group.
 * Returns: the number of users, or a negative errno when /proc cannot be read.
 * Since: 0.1
 */
int iommugrp_group_get_user_count(struct iommugrp_group *group);
/*
 * User @index: its process id, command (comm) and the VFIO file it holds open.
 * Returns: 0 with the process id, its command and the file it holds (borrowed), -ERANGE past
 *    the last user, or the count's negative errno.
 * Since: 0.1
 */
int iommugrp_group_get_user(struct iommugrp_group *group, unsigned int index, unsigned int *ret_pid,
			    const char **ret_command, const char **ret_file);

/*
 * The device files that give userspace this group's DMA, as paths on the
 * system read (not below the sysroot): "/dev/vfio/N" first ("/dev/vfio/noiommu-N"
 * for a group named "vfio-noiommu"), then each member's
 * "/dev/vfio/devices/vfioX" where the kernel has VFIO cdevs (6.6+,
 * CONFIG_VFIO_DEVICE_CDEV). Read anew on every call: they appear once the
 * members are on a VFIO driver. @ret_files is borrowed until the next call.
 * Returns: the number of files, or a negative errno when the members or
 * their vfio-dev directories cannot be read.
 * Since: 0.2
 */
int iommugrp_group_get_vfio_files(struct iommugrp_group *group, const char *const **ret_files);
/*
 * Opens @path (absolute, as on the system read: "/dev/kmsg") below the sysroot,
 * resolved inside it: no symlink or ".." leads out of the sysroot. For the few
 * files a tool opens itself. @flags as open(2) takes them, without O_CREAT;
 * O_CLOEXEC and O_NOCTTY are added.
 * Returns: a file descriptor, or a negative errno (-EINVAL: a relative @path or O_CREAT).
 * Since: 0.2
 */
int iommugrp_open_file(struct iommugrp_ctx *ctx, const char *path, int flags);
/*
 * Hands a VFIO device file (@file: "/dev/vfio/N" or "/dev/vfio/devices/vfioX",
 * as iommugrp_group_get_vfio_files() names them) to @uid and @gid ((uid_t)-1
 * and (gid_t)-1 leave one unchanged). The file is resolved inside the sysroot,
 * opened without following a symlink, must be a character device, and is
 * changed by its descriptor: a link planted in its place is never followed.
 * Returns: 0, -EINVAL when @file is not below /dev/vfio, -ENODEV when it is not
 * a character device, or another negative errno (-ENOENT: no such file).
 * Since: 0.2
 */
int iommugrp_vfio_file_set_owner(struct iommugrp_ctx *ctx, const char *file, uid_t uid, gid_t gid);

/* Policies ------------------------------------------------------------------ */

enum iommugrp_policy {
	IOMMUGRP_POLICY_IDENTITY, /* "identity", alias "passthrough" */
	IOMMUGRP_POLICY_DMA,	  /* "DMA", alias "strict" */
	IOMMUGRP_POLICY_DMA_FQ,	  /* "DMA-FQ", alias "lazy" */
	IOMMUGRP_POLICY_AUTO,	  /* "auto", alias "default": the boot default */
};
/*
 * Case-insensitive, aliases accepted. -EINVAL for anything else.
 * Returns: 0 with the policy in @ret_policy, or -EINVAL.
 * Since: 0.1
 */
int iommugrp_policy_from_string(const char *name, enum iommugrp_policy *ret_policy);
/*
 * The word the kernel's type file takes.
 * Returns: "identity", "DMA", "DMA-FQ" or "auto"; NULL for other values.
 * Since: 0.1
 */
const char *iommugrp_policy_to_string(enum iommugrp_policy policy);

/* Kernel ------------------------------------------------------------------- */

/*
 * Kernel release (osrelease), e.g. "6.1.0-27-amd64".
 * Returns: 0 with the release in @ret_release (borrowed), -ENOENT when the tree has no
 *    osrelease, or another negative errno (-EBADMSG: empty).
 * Since: 0.1
 */
int iommugrp_kernel_get_release(struct iommugrp_ctx *ctx, const char **ret_release);

/* Which rules the kernel applies when the group type is written. */
enum iommugrp_type_rules {
	IOMMUGRP_RULES_NONE,	      /* < 5.11: no writable type */
	IOMMUGRP_RULES_SINGLE_DEVICE, /* 5.11..6.3: single device, unbound (EBUSY/EINVAL) */
	IOMMUGRP_RULES_CLAIM_BASED,   /* 6.4+: any group, no kernel driver bound (EPERM) */
};
/*
 * The rules this kernel applies when a group's type is written.
 * Returns: 0 with the rules in @ret_rules, or the release's negative errno (-EBADMSG: no
 *    version number in it).
 * Since: 0.1
 */
int iommugrp_kernel_get_type_rules(struct iommugrp_ctx *ctx, enum iommugrp_type_rules *ret_rules);
/*
 * True when the groups have dma_owner (the optional out-of-tree patch of
 * iommugrp's 6.1 series); the type-change rules do not depend on it.
 * Returns: true or false (false also when unreadable).
 * Since: 0.1
 */
bool iommugrp_kernel_has_claim_patch(struct iommugrp_ctx *ctx);
/*
 * Whether the groups have dma_owner (the optional out-of-tree patch of
 * iommugrp's 6.1 series); the type-change rules do not depend on it.
 * Returns: 1 yes, 0 no (also without groups), or a negative errno when the
 * groups or dma_owner cannot be read.
 * Since: 0.2
 */
int iommugrp_kernel_check_claim_patch(struct iommugrp_ctx *ctx);
/*
 * The word for a set of rules, as status shows it.
 * Returns: "none", "single-device" or "claim-based"; NULL for other values.
 * Since: 0.1
 */
const char *iommugrp_type_rules_to_string(enum iommugrp_type_rules rules);

/*
 * The boot-time default policy as far as it can be known: from the kernel
 * command line (iommu.passthrough=, iommu.strict=, iommu=pt, ...), else the
 * kernel config in /boot. @ret_source says where it came from
 * ("kernel command line: iommu=pt", "/boot/config-6.1.0: CONFIG_..."). -ENODATA
 * when nothing says.
 * Returns: 0 with the policy and its source (borrowed), -ENODATA when nothing says, or -ENOMEM.
 * Since: 0.1
 */
int iommugrp_kernel_get_boot_policy(struct iommugrp_ctx *ctx, enum iommugrp_policy *ret_policy,
				    const char **ret_source);

/*
 * Number of IOMMU hardware units (/sys/class/iommu), or -errno.
 * Returns: the number of units with their names in @ret_names (borrowed), or a negative errno.
 * Since: 0.1
 */
int iommugrp_kernel_get_iommu_units(struct iommugrp_ctx *ctx, const char *const **ret_names);

enum iommugrp_module_state {
	IOMMUGRP_MODULE_LOADED,
	IOMMUGRP_MODULE_BUILTIN,
	IOMMUGRP_MODULE_LOADABLE,
	IOMMUGRP_MODULE_MISSING,
};
/*
 * State of the vfio-pci module, through libkmod on the sysroot. libkmod.so.2 is loaded
 * (dlopen) on the first question /sys/module cannot answer, not when the program starts.
 * Returns: 0 with the state in @ret_state, or a negative errno (the kernel release or the
 *    module index unreadable; -ELIBACC when libkmod.so.2 cannot be loaded, -ELIBBAD when it
 *    lacks a function, both logged at LOG_ERR with the loader's reason).
 * Since: 0.1
 */
int iommugrp_vfio_pci_get_state(struct iommugrp_ctx *ctx, enum iommugrp_module_state *ret_state);
/*
 * The word for a module state.
 * Returns: "loaded", "built-in", "loadable" or "missing"; NULL for other values.
 * Since: 0.1
 */
const char *iommugrp_module_state_to_string(enum iommugrp_module_state state);
/*
 * Loads vfio-pci through libkmod (only on the running system): -EPERM blacklisted, -ENOENT
 * missing.
 * Returns: 0 when vfio-pci is loaded or built in, -EPERM blacklisted, -ENOENT missing,
 *    -EOPNOTSUPP under another sysroot, -ELIBACC or -ELIBBAD when libkmod.so.2 cannot be
 *    loaded (as iommugrp_vfio_pci_get_state()), or libkmod's negative errno.
 * Since: 0.1
 */
int iommugrp_vfio_pci_load(struct iommugrp_ctx *ctx);

/* Changes ------------------------------------------------------------------ */

/*
 * A change to one group, planned first and applied as one transaction: every
 * sysfs write is verified, and any failure rolls the group back to the state
 * it was planned from. Plans are made without writing anything.
 */
struct iommugrp_change;

enum iommugrp_step_kind {
	IOMMUGRP_STEP_UNBIND,	      /* write the device name to <driver>/unbind */
	IOMMUGRP_STEP_WRITE_TYPE,     /* write the policy to the group's type, read it back */
	IOMMUGRP_STEP_BIND,	      /* write the device name to <driver>/bind, check the link */
	IOMMUGRP_STEP_WRITE_OVERRIDE, /* write a driver name, or "\n" to clear, to driver_override */
	IOMMUGRP_STEP_PROBE,	      /* write the device name to drivers_probe, check the link */
};

enum iommugrp_outcome {
	IOMMUGRP_OUTCOME_PLANNED,     /* not applied yet */
	IOMMUGRP_OUTCOME_DONE,	      /* applied and verified */
	IOMMUGRP_OUTCOME_UNCHANGED,   /* the group already was as asked */
	IOMMUGRP_OUTCOME_REFUSED,     /* a precondition failed: nothing was written */
	IOMMUGRP_OUTCOME_ROLLED_BACK, /* a step failed; the group is as it was */
	IOMMUGRP_OUTCOME_INCOMPLETE,  /* a step failed and so did part of the rollback */
};

/*
 * Plans switching @group's DMA policy. Succeeds also when the change would be
 * refused: see iommugrp_change_get_refusal(). -errno only when planning
 * itself failed (memory, unreadable sysfs).
 * Returns: 0 with the plan in @ret_change (also when refused), or a negative errno.
 * Since: 0.1
 */
int iommugrp_change_new_policy(struct iommugrp_group *group, enum iommugrp_policy policy,
			       struct iommugrp_change **ret_change);
/*
 * As iommugrp_change_new_policy(), with @flags: a plan that unbinds a device the
 * host needs (a mounted disk, swap, a routed NIC, the console) is refused unless
 * @flags has IOMMUGRP_FORCE, as for iommugrp_change_new_vfio_bind().
 * iommugrp_change_new_policy() is this with @flags 0.
 * Returns: 0 with the plan in @ret_change (also when refused), or a negative errno.
 * Since: 0.2
 */
int iommugrp_change_new_policy_flags(struct iommugrp_group *group, enum iommugrp_policy policy,
				     unsigned int flags, struct iommugrp_change **ret_change);
/*
 * Takes a reference on the plan.
 * Returns: @change.
 * Since: 0.1
 */
struct iommugrp_change *iommugrp_change_ref(struct iommugrp_change *change);
/*
 * Drops a reference; frees at zero. Accepts NULL.
 * Returns: NULL.
 * Since: 0.1
 */
struct iommugrp_change *iommugrp_change_unref(struct iommugrp_change *change);

/*
 * 0 when the change can be applied, else the errno the kernel would give or
 * the reason it must not be tried (-EBUSY in use, -EINVAL not possible on this
 * kernel, -EACCES missing privileges, -EOPNOTSUPP no writable type), with a
 * sentence saying why and what would make it work.
 * Returns: 0 when the change may be applied, else the negative errno as above, with the
 *    sentence in @ret_reason (borrowed; may be NULL).
 * Since: 0.1
 */
int iommugrp_change_get_refusal(const struct iommugrp_change *change, const char **ret_reason);
/* Why a change is refused, for the caller to put in its own words. */
enum iommugrp_refusal {
	IOMMUGRP_REFUSAL_NONE,		    /* not refused */
	IOMMUGRP_REFUSAL_OTHER,		    /* see the sentence */
	IOMMUGRP_REFUSAL_IN_USE,	    /* a process holds the group's VFIO files */
	IOMMUGRP_REFUSAL_PRIVILEGES,	    /* needs CAP_SYS_ADMIN and CAP_SYS_RAWIO */
	IOMMUGRP_REFUSAL_HOST_NEEDS_DEVICE, /* the host needs @device; IOMMUGRP_FORCE overrides */
	IOMMUGRP_REFUSAL_SRIOV_VFS,	    /* @device is a PF with VFs enabled */
	IOMMUGRP_REFUSAL_NO_OVERRIDE,	    /* @device has no driver_override */
	IOMMUGRP_REFUSAL_ONLY_BRIDGES,	    /* nothing but bridges, which stay */
	IOMMUGRP_REFUSAL_VFIO_PCI_MISSING,  /* vfio-pci is not available */
	IOMMUGRP_REFUSAL_NO_TYPE_CHANGE,    /* the kernel cannot change types at run time */
	IOMMUGRP_REFUSAL_KERNEL_RULES,	    /* this kernel's rules do not allow it (group size) */
	IOMMUGRP_REFUSAL_UNUSABLE_JOURNAL, /* the journal or record is unreadable, corrupt or stale */
	IOMMUGRP_REFUSAL_CHANGED,	   /* the group changed since the plan was made */
	IOMMUGRP_REFUSAL_LOCKED,	   /* another process is changing the group */
	IOMMUGRP_REFUSAL_INTERRUPTED, /* an interrupted operation's journal: restore it first */
};
/*
 * The first refusal as a code, with the member it concerns in @ret_device
 * (NULL when it concerns the group; may be NULL). The sentence of
 * iommugrp_change_get_refusal() says the same with the facts, in words that
 * name no option or command of any tool.
 * Returns: the code, IOMMUGRP_REFUSAL_NONE when the change is not refused.
 * Since: 0.2
 */
enum iommugrp_refusal iommugrp_change_get_refusal_code(const struct iommugrp_change *change,
						       const char **ret_device);
/*
 * True when the group already is as asked: applying changes nothing.
 * Returns: true or false.
 * Since: 0.1
 */
bool iommugrp_change_is_noop(const struct iommugrp_change *change);
/*
 * The type before, and after applying (NULL before).
 * Returns: the type (borrowed), or NULL.
 * Since: 0.1
 */
const char *iommugrp_change_get_old_type(const struct iommugrp_change *change);
/*
 * The type the kernel must show after the write ("auto" resolved to the boot default), or NULL.
 * Returns: the type (borrowed), or NULL.
 * Since: 0.1
 */
const char *iommugrp_change_get_expected_type(const struct iommugrp_change *change);
/*
 * The type the group has after applying.
 * Returns: the type (borrowed), or NULL before applying.
 * Since: 0.1
 */
const char *iommugrp_change_get_new_type(const struct iommugrp_change *change);

/*
 * Plans handing the whole group holding @group to vfio-pci: for every endpoint
 * (bridges stay) driver_override, unbind, drivers_probe, each verified. The
 * devices' drivers and overrides before are kept in /run/iommugrp/group-N.vfio
 * for iommugrp_change_new_vfio_release(). Refused for SR-IOV PFs with VFs,
 * non-PCI members without driver_override, a group in use, and (unless
 * IOMMUGRP_FORCE) devices the host needs: a mounted filesystem or swap, the
 * NIC of the default route or with addresses, the boot VGA with a console.
 */
#define IOMMUGRP_FORCE 1u
/*
 * Plans the handoff described above; @flags is 0 or IOMMUGRP_FORCE.
 * Returns: 0 with the plan in @ret_change (also when refused), or a negative errno.
 * Since: 0.1
 */
int iommugrp_change_new_vfio_bind(struct iommugrp_group *group, unsigned int flags,
				  struct iommugrp_change **ret_change);
/*
 * Plans giving the group back: overrides as they were, vfio-pci unbound, each
 * device bound to the driver recorded by vfio-bind. Without a record (a group
 * bound by other tools) it clears the overrides and lets the kernel pick the
 * drivers (iommugrp_change_has_record() says which). Refused while a VFIO
 * user holds the group.
 * Returns: 0 with the plan in @ret_change (also when refused), or a negative errno.
 * Since: 0.1
 */
int iommugrp_change_new_vfio_release(struct iommugrp_group *group,
				     struct iommugrp_change **ret_change);
/*
 * Whether a vfio-release plan follows the record vfio-bind kept of the drivers before.
 * Returns: true when vfio-bind's record drives the plan.
 * Since: 0.1
 */
bool iommugrp_change_has_record(const struct iommugrp_change *change);

/*
 * Interrupted operations: the groups with a journal under /run/iommugrp whose
 * lock no process holds (/proc/locks; one still under way is not interrupted).
 * Returns: the number of groups, with their numbers in @ret_groups (malloc'ed), or a negative
 *    errno.
 * Since: 0.1
 */
int iommugrp_get_interrupted(struct iommugrp_ctx *ctx, unsigned int **ret_groups);
/*
 * Operations under way: the groups with a journal whose lock a process holds.
 * Returns: the number of groups, with their numbers in @ret_groups (malloc'ed), or a negative
 *    errno.
 * Since: 0.2
 */
int iommugrp_get_running(struct iommugrp_ctx *ctx, unsigned int **ret_groups);
/*
 * Plans returning group @number to the state its journal recorded.
 * Returns: 0 with the plan in @ret_change (also when refused), or a negative errno.
 * Since: 0.1
 */
int iommugrp_change_new_restore(struct iommugrp_ctx *ctx, unsigned int number,
				struct iommugrp_change **ret_change);

/*
 * The planned writes, in order. @ret_path is the file, @ret_value what is written.
 * Returns: the number of steps.
 * Since: 0.1
 */
unsigned int iommugrp_change_get_step_count(const struct iommugrp_change *change);
/*
 * Step @index: its kind, device (NULL for type writes), driver, the file written and the value.
 * Returns: 0 with the step's parts (borrowed; each out-parameter may be NULL), or -ERANGE.
 * Since: 0.1
 */
int iommugrp_change_get_step(const struct iommugrp_change *change, unsigned int index,
			     enum iommugrp_step_kind *ret_kind, const char **ret_device,
			     const char **ret_driver, const char **ret_path, const char **ret_value);

/*
 * Applies the plan under the group's lock (/run/iommugrp/group-N.lock below
 * the sysroot). Returns 0 when done or unchanged, else the failure's -errno;
 * the outcome says what state the group was left in.
 * Returns: 0 when done or unchanged, -EALREADY when applied before, else the failure's negative
 *    errno.
 * Since: 0.1
 */
int iommugrp_change_apply(struct iommugrp_change *change);
/*
 * What applying did; IOMMUGRP_OUTCOME_PLANNED before.
 * Returns: the outcome.
 * Since: 0.1
 */
enum iommugrp_outcome iommugrp_change_get_outcome(const struct iommugrp_change *change);
/*
 * The word for an outcome, as JSON output shows it.
 * Returns: "planned", "done", "unchanged", "refused", "rolled-back" or "incomplete"; NULL for
 *    other values.
 * Since: 0.1
 */
const char *iommugrp_outcome_to_string(enum iommugrp_outcome outcome);
/*
 * The failure: device, file, errno and the kernel's own reason when it logged one.
 * Returns: the sentence (borrowed), or NULL when nothing failed.
 * Since: 0.1
 */
const char *iommugrp_change_get_error(const struct iommugrp_change *change);
/*
 * After IOMMUGRP_OUTCOME_INCOMPLETE: what is left and how to fix it.
 * Returns: the sentence (borrowed), or NULL.
 * Since: 0.1
 */
const char *iommugrp_change_get_leftover(const struct iommugrp_change *change);

/* Configuration (LIBIOMMUGRP_0.2) ------------------------------------------ */

/*
 * /etc/iommugrp.conf and the .conf files in /etc/iommugrp.d below the sysroot, parsed:
 * see iommugrp.conf(5). Reading succeeds also for a refused configuration
 * (syntax, permissions): its problems say why, each with file and line.
 * Every function of this section and the next (Boot): Since: 0.2
 */
struct iommugrp_config;

/*
 * -errno only when reading itself failed (memory); a missing configuration is empty.
 * Returns: 0 with the configuration in @ret_config, or a negative errno.
 * Since: 0.2
 */
int iommugrp_config_read(struct iommugrp_ctx *ctx, struct iommugrp_config **ret_config);
/*
 * Takes a reference on the configuration.
 * Returns: @config.
 * Since: 0.2
 */
struct iommugrp_config *iommugrp_config_ref(struct iommugrp_config *config);
/*
 * Drops a reference; frees at zero. Accepts NULL.
 * Returns: NULL.
 * Since: 0.2
 */
struct iommugrp_config *iommugrp_config_unref(struct iommugrp_config *config);

/*
 * The files read, in order ("/etc/iommugrp.conf", ...); 0 files: no configuration.
 * Returns: the number of files read.
 * Since: 0.2
 */
unsigned int iommugrp_config_get_file_count(const struct iommugrp_config *config);
/*
 * File @index of those read.
 * Returns: the file's path (borrowed), or NULL past the last.
 * Since: 0.2
 */
const char *iommugrp_config_get_file(const struct iommugrp_config *config, unsigned int index);
/*
 * Errors refuse the whole configuration; warnings do not.
 * Returns: the number of errors.
 * Since: 0.2
 */
unsigned int iommugrp_config_get_error_count(const struct iommugrp_config *config);
/*
 * Errors and warnings, each with file and line where it has them.
 * Returns: the number of problems, errors and warnings.
 * Since: 0.2
 */
unsigned int iommugrp_config_get_problem_count(const struct iommugrp_config *config);
/*
 * @ret_priority LOG_ERR or LOG_WARNING; @ret_file NULL and @ret_line 0 when not about one line.
 * Returns: 0 with the problem's parts (borrowed), or -ERANGE.
 * Since: 0.2
 */
int iommugrp_config_get_problem(const struct iommugrp_config *config, unsigned int index,
				int *ret_priority, const char **ret_file, unsigned int *ret_line,
				const char **ret_message);
/*
 * "fnv1a64:<16 hex>" over the files' names and contents, or "none" without files.
 * Returns: the digest, borrowed.
 * Since: 0.2
 */
const char *iommugrp_config_get_digest(const struct iommugrp_config *config);

/*
 * The entries (lines with selectors and actions), in the order read.
 * Returns: the number of entries.
 * Since: 0.2
 */
unsigned int iommugrp_config_get_entry_count(const struct iommugrp_config *config);
/*
 * Entry @index: its file, line and text.
 * Returns: 0 with the entry's file, line and text (borrowed), or -ERANGE.
 * Since: 0.2
 */
int iommugrp_config_get_entry(const struct iommugrp_config *config, unsigned int index,
			      const char **ret_file, unsigned int *ret_line, const char **ret_text);

/*
 * Matches the entries against the system now and works out what each group
 * should be. Works for a refused configuration too, on the entries that
 * parsed, so that their refusals can be reported; never apply one.
 * An entry matching nothing is fine; more than one device without
 * multiple=yes refuses the entry; entries giving one group different
 * policies (or owners) refuse the group.
 * Returns: 0, -EINVAL for a configuration with errors, or a negative errno.
 * Since: 0.2
 */
int iommugrp_config_resolve(struct iommugrp_config *config);
/*
 * How many devices entry @index matches (after resolve).
 * Returns: the number of devices the entry matches.
 * Since: 0.2
 */
unsigned int iommugrp_config_entry_get_match_count(const struct iommugrp_config *config,
						   unsigned int index);
/*
 * Device @match of those entry @index matches.
 * Returns: match @match of entry @index (borrowed), or NULL.
 * Since: 0.2
 */
struct iommugrp_device *iommugrp_config_entry_get_match(const struct iommugrp_config *config,
							unsigned int index, unsigned int match);
/*
 * Why the entry is refused (ambiguous), or NULL.
 * Returns: the reason (borrowed), or NULL.
 * Since: 0.2
 */
const char *iommugrp_config_entry_get_refusal(const struct iommugrp_config *config,
					      unsigned int index);
/*
 * True when @device matches the entry's selectors (no resolve needed).
 * Returns: true or false.
 * Since: 0.2
 */
bool iommugrp_config_entry_matches(struct iommugrp_config *config, unsigned int index,
				   struct iommugrp_device *device);

/*
 * The device's path= selector: the device.function chain from the host
 * bridge, "0000:00/03.0/01.0" (malloc'ed, the caller frees it).
 * Returns: 0, -ENODATA for a device not below a PCI host bridge, -ENOMEM.
 * Since: 0.2
 */
int iommugrp_config_device_path(struct iommugrp_device *device, char **ret_path);

/*
 * Groups some entry governs, in numeric order (after resolve).
 * Returns: the number of governed groups.
 * Since: 0.2
 */
unsigned int iommugrp_config_get_group_count(const struct iommugrp_config *config);
/*
 * Governed group @index.
 * Returns: the group (borrowed), or NULL past the last.
 * Since: 0.2
 */
struct iommugrp_group *iommugrp_config_get_group(const struct iommugrp_config *config,
						 unsigned int index);
/*
 * The index of group @number, or -ENOENT when no entry governs it.
 * Returns: the index, or -ENOENT.
 * Since: 0.2
 */
int iommugrp_config_find_group(const struct iommugrp_config *config, unsigned int number);
/*
 * "FILE:LINE[, FILE:LINE...]": the entries that govern the group.
 * Returns: the list (borrowed).
 * Since: 0.2
 */
const char *iommugrp_config_group_get_entries(const struct iommugrp_config *config,
					      unsigned int index);
/*
 * Whether the governed group @index goes to vfio-pci.
 * Returns: true when an entry says vfio=yes for the group.
 * Since: 0.2
 */
bool iommugrp_config_group_wants_vfio(const struct iommugrp_config *config, unsigned int index);
/*
 * -ENODATA: no entry sets a policy.
 * Returns: 0 with the policy in @ret_policy, or -ENODATA.
 * Since: 0.2
 */
int iommugrp_config_group_get_policy(const struct iommugrp_config *config, unsigned int index,
				     enum iommugrp_policy *ret_policy);
/*
 * user= and group= (owner of /dev/vfio/N), or NULL.
 * Returns: the user name (borrowed), or NULL.
 * Since: 0.2
 */
const char *iommugrp_config_group_get_user(const struct iommugrp_config *config, unsigned int index);
/*
 * group= of the governed group @index: the owner group of /dev/vfio/N.
 * Returns: the group name (borrowed), or NULL.
 * Since: 0.2
 */
const char *iommugrp_config_group_get_owner_group(const struct iommugrp_config *config,
						  unsigned int index);
#define IOMMUGRP_CONFIG_FALLBACK_NONE 1u /* never unbind a bound driver */
#define IOMMUGRP_CONFIG_FORCE 2u	 /* force=yes: as vfio-bind --force */
/*
 * The governed group's flags.
 * Returns: IOMMUGRP_CONFIG_FALLBACK_NONE and IOMMUGRP_CONFIG_FORCE, or-ed.
 * Since: 0.2
 */
unsigned int iommugrp_config_group_get_flags(const struct iommugrp_config *config,
					     unsigned int index);
/*
 * Why the group is refused (conflicting entries, refused entries), or NULL.
 * Returns: the reason (borrowed), or NULL.
 * Since: 0.2
 */
const char *iommugrp_config_group_get_refusal(const struct iommugrp_config *config,
					      unsigned int index);

/*
 * Writes (@actions non-NULL, e.g. "vfio=yes user=qemu") or removes (@actions
 * NULL) the saved entry for @device in /etc/iommugrp.d/90-saved.conf: a line
 * "path=... id=VVVV:DDDD ACTIONS". A saved line with the same path= and the
 * same kind (@kind "vfio" or "policy") is replaced. Atomic: a temporary file,
 * fsync, rename, fsync of the directory.
 * Returns: 0, or a negative errno.
 * Since: 0.2
 */
int iommugrp_config_save(struct iommugrp_ctx *ctx, struct iommugrp_device *device, const char *kind,
			 const char *actions);

/* Boot (LIBIOMMUGRP_0.2) ---------------------------------------------------- */

/*
 * Plans holding the group's unbound endpoints that have no override:
 * driver_override set to @override ("vfio-pci", or "iommugrp-hold", which
 * matches no driver), so that no driver loaded later binds them.
 * Returns: 0 with the plan in @ret_change (also when refused), or a negative errno.
 * Since: 0.2
 */
int iommugrp_change_new_hold(struct iommugrp_group *group, const char *override,
			     struct iommugrp_change **ret_change);
/*
 * Plans clearing the overrides that equal @override.
 * Returns: 0 with the plan in @ret_change (also when refused), or a negative errno.
 * Since: 0.2
 */
int iommugrp_change_new_unhold(struct iommugrp_group *group, const char *override,
			       struct iommugrp_change **ret_change);
/*
 * Plans set-policy for a group whose unbound endpoints carry the driver_override
 * @hold (the boot pass's hold), clearing those overrides as its last steps. Its
 * journal records the group as it was before the hold, so a rollback, or restore
 * after the change was killed, gives the devices back without the hold.
 * Returns: 0 with the plan in @ret_change (also when refused), or a negative errno.
 * Since: 0.2
 */
int iommugrp_change_new_policy_from_hold(struct iommugrp_group *group, enum iommugrp_policy policy,
					 const char *hold, struct iommugrp_change **ret_change);
/*
 * Asks the kernel to probe every unbound endpoint without an override
 * (drivers_probe): a driver already loaded binds now, one not loaded yet
 * binds when its module loads. Returns how many got a driver, or -errno.
 * Returns: how many devices got a driver, or a negative errno.
 * Since: 0.2
 */
int iommugrp_group_probe_unbound(struct iommugrp_group *group);
/*
 * After a boot-time vfio-bind of held devices: the vfio record says the
 * devices had no override (the hold was iommugrp's, not the admin's), so
 * vfio-release gives them to their native drivers.
 * Returns: 0, or a negative errno.
 * Since: 0.2
 */
int iommugrp_vfio_record_forget_override(struct iommugrp_group *group, const char *override);

/*
 * Drops what was read of the group's changing state (type, drivers,
 * overrides, users): the next calls read sysfs again. After something outside
 * iommugrp's changes moved it, e.g. loading vfio-pci bound held devices.
 * Since: 0.2
 */
void iommugrp_group_reread(struct iommugrp_group *group);

/*
 * This boot's id (/proc/sys/kernel/random/boot_id), malloc'ed.
 * Returns: 0 with the id in @ret_boot_id (malloc'ed), or a negative errno.
 * Since: 0.2
 */
int iommugrp_boot_id(struct iommugrp_ctx *ctx, char **ret_boot_id);
/*
 * Boot state under /run/iommugrp/boot below the sysroot: @name is "pass" or
 * "group-N". Written atomically (temporary file, rename); read returns
 * -ENOENT when absent. Trusted as the journals are (directories root's, 0700,
 * files regular, root's, written by no one else, no links): -EPERM otherwise,
 * with a problem saying which file and why.
 * Returns: 0, or a negative errno.
 * Since: 0.2
 */
int iommugrp_boot_state_write(struct iommugrp_ctx *ctx, const char *name, const char *text);
/*
 * Reads the boot state @name (see iommugrp_boot_state_write()).
 * Returns: 0 with the text in @ret_text (malloc'ed), -ENOENT when absent, or a negative errno.
 * Since: 0.2
 */
int iommugrp_boot_state_read(struct iommugrp_ctx *ctx, const char *name, char **ret_text);
/*
 * Takes /run/iommugrp/boot/lock, waiting at most @timeout_ms (a timer
 * interrupts the wait). Returns the lock's fd (close it to release),
 * -ETIMEDOUT, or -errno. An untrusted /run/iommugrp or boot/ (see
 * iommugrp_boot_state_read()) is moved aside (NAME.untrusted-PID-MS) and made
 * anew, each step a problem: the boot pass then runs as if no state existed.
 * Returns: the lock's file descriptor, -ETIMEDOUT, or a negative errno.
 * Since: 0.2
 */
int iommugrp_boot_lock(struct iommugrp_ctx *ctx, unsigned int timeout_ms);
/* Why devices share a group (LIBIOMMUGRP_0.2) ------------------------------ */

/*
 * iommugrp reads every PCI function's topology (upstream bridge, PCIe port
 * type, ACS, multi-function bit) and replays the kernel's pci_device_group():
 * DMA aliases behind PCIe-to-PCI bridges, ACS on the path to the root bus,
 * non-isolated functions of one slot, and the ACS quirks of
 * drivers/pci/quirks.c it recognises. The replay is compared with the groups
 * the kernel made. PCI functions hang off the context (borrowed pointers).
 */
struct iommugrp_pci;

/* PCI Express device/port type (PCIe capability), as the kernel numbers them. */
enum iommugrp_pcie_type {
	IOMMUGRP_PCIE_UNKNOWN = -2, /* the capability list could not be read */
	IOMMUGRP_PCIE_NONE = -1,    /* conventional PCI or PCI-X: no PCIe capability */
	IOMMUGRP_PCIE_ENDPOINT = 0x0,
	IOMMUGRP_PCIE_LEGACY_ENDPOINT = 0x1,
	IOMMUGRP_PCIE_ROOT_PORT = 0x4,
	IOMMUGRP_PCIE_UPSTREAM_PORT = 0x5,
	IOMMUGRP_PCIE_DOWNSTREAM_PORT = 0x6,
	IOMMUGRP_PCIE_TO_PCI_BRIDGE = 0x7, /* PCIe to PCI/PCI-X bridge: devices below alias to it */
	IOMMUGRP_PCI_TO_PCIE_BRIDGE = 0x8, /* PCI/PCI-X to PCIe bridge */
	IOMMUGRP_PCIE_RC_ENDPOINT = 0x9,   /* root complex integrated endpoint */
	IOMMUGRP_PCIE_RC_EVENT_COLLECTOR = 0xa,
};

/* ACS capability and control bits (PCIe ACS extended capability 0x000d). */
#define IOMMUGRP_ACS_SV 0x0001 /* Source Validation */
#define IOMMUGRP_ACS_TB 0x0002 /* Translation Blocking */
#define IOMMUGRP_ACS_RR 0x0004 /* P2P Request Redirect */
#define IOMMUGRP_ACS_CR 0x0008 /* P2P Completion Redirect */
#define IOMMUGRP_ACS_UF 0x0010 /* Upstream Forwarding */
#define IOMMUGRP_ACS_EC 0x0020 /* P2P Egress Control */
#define IOMMUGRP_ACS_DT 0x0040 /* Direct Translated P2P */
/* What the kernel requires for isolation (REQ_ACS_FLAGS in drivers/iommu/iommu.c). */
#define IOMMUGRP_ACS_REQUIRED                                                                      \
	(IOMMUGRP_ACS_SV | IOMMUGRP_ACS_RR | IOMMUGRP_ACS_CR | IOMMUGRP_ACS_UF)

/* Why a PCI function is in its group, by the replayed rule. */
enum iommugrp_reason {
	IOMMUGRP_REASON_UNKNOWN,  /* the replay cannot tell (unreadable config, disagreement) */
	IOMMUGRP_REASON_ISOLATED, /* alone: isolated by ACS (or a quirk) up to the root bus */
	IOMMUGRP_REASON_DMA_ALIAS, /* behind a PCIe-to-PCI/PCI bridge (cause): uses its requester ID */
	IOMMUGRP_REASON_ALIAS_BRIDGE, /* the bridge whose requester ID the devices below it use */
	IOMMUGRP_REASON_NO_ACS,	      /* the port (cause) on its path gives no ACS isolation */
	IOMMUGRP_REASON_MULTIFUNCTION, /* a function without ACS of a multi-function device (cause: another) */
	IOMMUGRP_REASON_QUIRK_ALIAS, /* a kernel DMA alias quirk ties it to the function (cause) */
	IOMMUGRP_REASON_NOT_PCI,     /* not a PCI device: the IOMMU driver grouped it */
};
/*
 * A short keyword for @reason.
 * Returns: "unknown", "isolated", "dma-alias", "alias-bridge", "no-acs",
 * "multifunction", "quirk-alias" or "not-pci"; NULL for other values.
 * Since: 0.2
 */
const char *iommugrp_reason_to_string(enum iommugrp_reason reason);

/* How the replay compares with the kernel's group. */
enum iommugrp_replay {
	IOMMUGRP_REPLAY_MATCH,	    /* the replay predicts exactly this group */
	IOMMUGRP_REPLAY_MISMATCH,   /* it predicts another group: an unknown quirk or override */
	IOMMUGRP_REPLAY_UNREADABLE, /* config space needed for the replay could not be read */
	IOMMUGRP_REPLAY_NOT_PCI,    /* the group holds non-PCI devices: no PCI rule applies */
};
/*
 * A short keyword for @replay.
 * Returns: "match", "mismatch", "unreadable" or "not-pci"; NULL for other values.
 * Since: 0.2
 */
const char *iommugrp_replay_to_string(enum iommugrp_replay replay);

/*
 * Reads the whole PCI topology and replays the grouping (once per context).
 * Returns: the number of PCI functions (0 without a PCI bus), or a negative
 * errno (-ENOMEM; the listing of /sys/bus/pci/devices failed).
 * Since: 0.2
 */
int iommugrp_topology_scan(struct iommugrp_ctx *ctx);
/*
 * Iterates PCI functions in address order (runs iommugrp_topology_scan()).
 * Returns: the function after @prev (the first for NULL), NULL at the end.
 * Since: 0.2
 */
struct iommugrp_pci *iommugrp_pci_next(struct iommugrp_ctx *ctx, struct iommugrp_pci *prev);
/*
 * Looks up a function by address, full or short ("0000:00:1c.0", "00:1c.0").
 * Returns: the function (borrowed), or NULL when there is none.
 * Since: 0.2
 */
struct iommugrp_pci *iommugrp_pci_lookup(struct iommugrp_ctx *ctx, const char *name);
/*
 * A group member's PCI function. Before iommugrp_topology_scan() it comes
 * from the part of the topology the group needs (the root-bus slots it lives
 * in): cheaper on a big host, and as exact for the group.
 * Returns: the function (borrowed, valid while the context is), or NULL for
 * a non-PCI device or when its topology cannot be read.
 * Since: 0.2
 */
struct iommugrp_pci *iommugrp_device_get_pci(struct iommugrp_device *device);
/*
 * The function's address.
 * Returns: "0000:00:1c.0" (borrowed).
 * Since: 0.2
 */
const char *iommugrp_pci_get_name(const struct iommugrp_pci *pci);
/*
 * The bridge above it (the kernel's bus->self).
 * Returns: the bridge, or NULL on a root bus.
 * Since: 0.2
 */
struct iommugrp_pci *iommugrp_pci_get_upstream(const struct iommugrp_pci *pci);
/*
 * The kernel's group number of the function, in @ret_number.
 * Returns: 0, or -ENOENT when it is in no group.
 * Since: 0.2
 */
int iommugrp_pci_get_group_number(const struct iommugrp_pci *pci, unsigned int *ret_number);
/*
 * Bytes of config space read (@ret_read) and the size the kernel offers
 * (@ret_size: 256 or 4096); without CAP_SYS_ADMIN it gives only the first 64.
 * Since: 0.2
 */
void iommugrp_pci_get_config_size(const struct iommugrp_pci *pci, unsigned int *ret_read,
				  unsigned int *ret_size);
/*
 * Vendor and device ID from config space.
 * Returns: 0, or a negative errno when config space could not be read.
 * Since: 0.2
 */
int iommugrp_pci_get_ids(const struct iommugrp_pci *pci, uint16_t *ret_vendor, uint16_t *ret_device);
/*
 * The PCIe device/port type.
 * Returns: the type, IOMMUGRP_PCIE_NONE for conventional PCI, or
 * IOMMUGRP_PCIE_UNKNOWN when the capability list could not be read.
 * Since: 0.2
 */
enum iommugrp_pcie_type iommugrp_pci_get_pcie_type(const struct iommugrp_pci *pci);
/*
 * Words for a PCIe type.
 * Returns: "root port", "PCIe-to-PCI bridge", "conventional PCI", "unknown", ...
 * Since: 0.2
 */
const char *iommugrp_pcie_type_to_string(enum iommugrp_pcie_type type);
/*
 * The header type's multi-function bit (functions 1-7 count as multi-function,
 * as the kernel counts them, SR-IOV VFs do not).
 * Returns: true for a function of a multi-function device.
 * Since: 0.2
 */
bool iommugrp_pci_is_multifunction(const struct iommugrp_pci *pci);
/*
 * The ACS capability and control words.
 * Returns: 0; -ENODATA: no ACS capability; -EACCES: the extended config
 * space could not be read (not root).
 * Since: 0.2
 */
int iommugrp_pci_get_acs(const struct iommugrp_pci *pci, uint16_t *ret_cap, uint16_t *ret_ctrl);
/*
 * Whether the kernel's pci_acs_enabled(IOMMUGRP_ACS_REQUIRED) holds for it.
 * @ret_quirk: the drivers/pci/quirks.c function deciding it, or NULL when
 * the capability decides; set with -ENODATA too (a quirk decides, its result unseen).
 * Returns: 1 yes, 0 no, -ENODATA not known (unreadable, or a quirk's result
 * sysfs does not show).
 * Since: 0.2
 */
int iommugrp_pci_acs_isolates(const struct iommugrp_pci *pci, const char **ret_quirk);
/*
 * The DMA alias quirk of drivers/pci/quirks.c applying to it.
 * Returns: its name ("quirk_dma_func0_alias"), or NULL.
 * Since: 0.2
 */
const char *iommugrp_pci_get_alias_quirk(const struct iommugrp_pci *pci);
/*
 * The replayed rule that puts it in its group; @ret_cause (may be NULL) gets
 * the function that causes it (the bridge, the port without ACS, another
 * function) or NULL.
 * Returns: the rule; IOMMUGRP_REASON_UNKNOWN when the replay disagrees with
 * the kernel's group or could not read what decides it.
 * Since: 0.2
 */
enum iommugrp_reason iommugrp_pci_get_reason(const struct iommugrp_pci *pci,
					     struct iommugrp_pci **ret_cause);
/*
 * Whether the replay puts @a and @b in one group, whatever the kernel did.
 * Returns: true when it does (both from one topology).
 * Since: 0.2
 */
bool iommugrp_pci_predicted_together(const struct iommugrp_pci *a, const struct iommugrp_pci *b);
/*
 * The replay's verdict on a group.
 * Returns: IOMMUGRP_REPLAY_MATCH, _MISMATCH, _UNREADABLE or _NOT_PCI.
 * Since: 0.2
 */
enum iommugrp_replay iommugrp_group_get_replay(struct iommugrp_group *group);
/*
 * Why a member is in its group; @ret_cause as for iommugrp_pci_get_reason().
 * Returns: its PCI function's reason, IOMMUGRP_REASON_NOT_PCI for others.
 * Since: 0.2
 */
enum iommugrp_reason iommugrp_device_get_reason(struct iommugrp_device *device,
						struct iommugrp_pci **ret_cause);
/*
 * Whether the replay had to assume what a quirk whose result sysfs does not
 * show decides (e.g. Intel PCH root ports); @ret_isolates (may be NULL) is
 * the assumption that matched the kernel's groups.
 * Returns: true when it had to (runs iommugrp_topology_scan()).
 * Since: 0.2
 */
bool iommugrp_topology_assumed_quirk(struct iommugrp_ctx *ctx, bool *ret_isolates);

/*
 * The value of pcie_acs_override= on the kernel command line (an out-of-tree
 * patch: the kernel then claims ACS the hardware lacks), in @ret_value.
 * Returns: 0; -ENODATA when the command line has none; -ENOMEM.
 * Since: 0.2
 */
int iommugrp_kernel_get_acs_override(struct iommugrp_ctx *ctx, const char **ret_value);
/* Interrupt remapping of the running kernel. */
enum iommugrp_irq_remapping {
	IOMMUGRP_IRQ_REMAPPING_UNKNOWN,
	IOMMUGRP_IRQ_REMAPPING_ON,
	IOMMUGRP_IRQ_REMAPPING_OFF, /* vfio_iommu_type1 then needs allow_unsafe_interrupts */
};
/*
 * Whether interrupts are remapped: from intremap= on the command line,
 * /proc/interrupts (IR-* chips), or the Intel units' ecap IR bit; the
 * evidence in @ret_source (may be NULL; a static string).
 * Returns: IOMMUGRP_IRQ_REMAPPING_ON, _OFF or _UNKNOWN.
 * Since: 0.2
 */
enum iommugrp_irq_remapping iommugrp_kernel_get_irq_remapping(struct iommugrp_ctx *ctx,
							      const char **ret_source);

#ifdef __cplusplus
}
#endif
#endif
