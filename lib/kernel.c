/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The running kernel: release, type-change rules, boot policy, IOMMU units, vfio-pci. */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libkmod.h>

#include "internal.h"

#define OSRELEASE "proc/sys/kernel/osrelease"

/* A tree without osrelease (captured, synthetic) is not malformed: callers say what is unknown. */
static int read_release(struct iommugrp_ctx *ctx)
{
	int r = sysfs_read(ctx, OSRELEASE, &ctx->release);

	if (r > 0)
		return 0;
	free(ctx->release);
	ctx->release = NULL;
	if (r == -ENOENT) {
		log_dbg(ctx, "/" OSRELEASE ": %s", strerror(-r));
		return r;
	}
	r = r < 0 ? r : -EBADMSG;
	problem(ctx, r, "/" OSRELEASE, "/" OSRELEASE ": %s",
		r == -EBADMSG ? "empty file" : strerror(-r));
	return r;
}

EXPORT int iommugrp_kernel_get_release(struct iommugrp_ctx *ctx, const char **ret_release)
{
	if (!ctx->release && ctx->release_err == 0)
		ctx->release_err = read_release(ctx);
	if (ctx->release_err < 0)
		return ctx->release_err;
	*ret_release = ctx->release;
	return 0;
}

EXPORT int iommugrp_kernel_get_type_rules(struct iommugrp_ctx *ctx,
					  enum iommugrp_type_rules *ret_rules)
{
	unsigned int major, minor, version;
	const char *release;
	int r;

	r = iommugrp_kernel_get_release(ctx, &release);
	if (r < 0)
		return r;
	if (parse_kernel_version(release, &major, &minor) < 0) {
		problem(ctx, -EBADMSG, "/" OSRELEASE, "/" OSRELEASE ": '%s' has no version number",
			release);
		return -EBADMSG;
	}
	version = major * 1000 + minor;
	/*
	 * Not from dma_owner: that file is an optional out-of-tree patch
	 * (kernel/optional/), so the rules are the same with and without it:
	 * a 6.1 kernel with the series is recognised by its answer to a write
	 * (kernel_probe_claim_rules()).
	 */
	if (ctx->claim_rules_seen)
		*ret_rules = IOMMUGRP_RULES_CLAIM_BASED;
	else if (version < 5011)
		*ret_rules = IOMMUGRP_RULES_NONE;
	else if (version < 6004)
		*ret_rules = IOMMUGRP_RULES_SINGLE_DEVICE;
	else
		*ret_rules = IOMMUGRP_RULES_CLAIM_BASED;
	return 0;
}

/*
 * The optional out-of-tree patch of iommugrp's 6.1 series
 * (kernel/optional/) adds a dma_owner file to every group; mainline has none.
 * Reported for status and show only: nothing decides on it.
 */
EXPORT int iommugrp_kernel_check_claim_patch(struct iommugrp_ctx *ctx)
{
	struct iommugrp_group *group;
	int r = iommugrp_scan(ctx);

	if (r <= 0)
		return r;
	group = iommugrp_group_next(ctx, NULL);
	if (!group->loaded_dma_owner)
		iommugrp_group_get_dma_owner(group);
	return group->dma_owner_err < 0 ? group->dma_owner_err : group->dma_owner != NULL;
}

EXPORT bool iommugrp_kernel_has_claim_patch(struct iommugrp_ctx *ctx)
{
	return iommugrp_kernel_check_claim_patch(ctx) == 1;
}

/*
 * A 6.1 kernel with iommugrp's series has the files of any 6.1 (the optional
 * dma_owner patch is not taken into account): its type writes tell the rules
 * apart.
 * Writing a multi-device group's current type changes nothing under either rules:
 * single-device rules refuse it with EINVAL ("more than one device") before
 * anything else, claim-based rules accept it, or refuse it with EPERM while the
 * group is in use. Only the running kernel can answer (a sysroot's files accept
 * any write).
 */
bool kernel_probe_claim_rules(struct iommugrp_ctx *ctx, struct iommugrp_group *group)
{
	const char *type;
	char *path;
	int r;

	if (ctx->claim_rules_seen)
		return true;
	if (strcmp(ctx->sysroot, "/") != 0 || iommugrp_group_get_device_count(group) < 2 ||
	    iommugrp_group_get_type(group, &type) < 0)
		return false;
	path = strdup_printf("%s/type", group->syspath);
	if (!path)
		return false;
	r = sysfs_write(ctx, path, type);
	free(path);
	log_dbg(ctx, "group %u: writing its type '%s' again: %s", group->number, type,
		r < 0 ? strerror(-r) : "accepted");
	ctx->claim_rules_seen = r == 0 || r == -EPERM;
	return ctx->claim_rules_seen;
}

EXPORT const char *iommugrp_type_rules_to_string(enum iommugrp_type_rules rules)
{
	switch (rules) {
	case IOMMUGRP_RULES_NONE:
		return "none";
	case IOMMUGRP_RULES_SINGLE_DEVICE:
		return "single-device";
	case IOMMUGRP_RULES_CLAIM_BASED:
		return "claim-based";
	}
	return NULL;
}

static void read_boot_settings(struct iommugrp_ctx *ctx, struct boot_setting *setting)
{
	const char *release;
	char *text = NULL;

	if (sysfs_read(ctx, "proc/cmdline", &text) >= 0)
		parse_boot_cmdline(text, setting);
	free(text);
	text = NULL;
	if ((setting->passthrough < 0 || setting->strict < 0) &&
	    iommugrp_kernel_get_release(ctx, &release) == 0) {
		char path[256];

		snprintf(path, sizeof(path), "boot/config-%s", release);
		if (sysfs_read(ctx, path, &text) >= 0)
			parse_kernel_config(text, setting);
		free(text);
	}
}

/* The context keeps the source the last answer borrowed; a failure leaves it as it was. */
static int set_source(struct iommugrp_ctx *ctx, const char *a, const char *b)
{
	char *source;

	if (b && strcmp(a, b) != 0) {
		if (asprintf(&source, "%s, %s", a, b) < 0)
			source = NULL;
	} else {
		source = strdup(a);
	}
	if (!source)
		return -ENOMEM;
	free(ctx->boot_policy_source);
	ctx->boot_policy_source = source;
	return 0;
}

EXPORT int iommugrp_kernel_get_boot_policy(struct iommugrp_ctx *ctx,
					   enum iommugrp_policy *ret_policy, const char **ret_source)
{
	struct boot_setting s = { .passthrough = -1, .strict = -1 };
	enum iommugrp_policy policy;
	int r;

	read_boot_settings(ctx, &s);
	if (s.passthrough == 1) {
		policy = IOMMUGRP_POLICY_IDENTITY;
		r = set_source(ctx, s.passthrough_source, NULL);
	} else if (s.strict >= 0) {
		policy = s.strict ? IOMMUGRP_POLICY_DMA : IOMMUGRP_POLICY_DMA_FQ;
		r = set_source(ctx, s.strict_source,
			       s.passthrough == 0 ? s.passthrough_source : NULL);
	} else {
		return -ENODATA;
	}
	if (r < 0)
		return r;
	*ret_policy = policy;
	*ret_source = ctx->boot_policy_source;
	return 0;
}

EXPORT int iommugrp_kernel_get_iommu_units(struct iommugrp_ctx *ctx, const char *const **ret_names)
{
	if (!ctx->iommu_units && ctx->n_iommu_units == 0) {
		size_t count = 0;
		int r = sysfs_list_dir(ctx, "sys/class/iommu", &ctx->iommu_units, &count);

		if (r == -ENOENT)
			count = 0;
		else if (r < 0)
			return r;
		ctx->n_iommu_units = (int)count;
	}
	*ret_names = (const char *const *)ctx->iommu_units;
	return ctx->n_iommu_units;
}

/* /sys/module/<name> exists for loaded and built-in modules; only loaded ones have initstate. */
static int module_state_from_sysfs(struct iommugrp_ctx *ctx, const char *name,
				   enum iommugrp_module_state *ret_state)
{
	char path[128];

	snprintf(path, sizeof(path), "sys/module/%s", name);
	if (sysfs_exists(ctx, path) < 0)
		return -ENOENT;
	snprintf(path, sizeof(path), "sys/module/%s/initstate", name);
	*ret_state = sysfs_exists(ctx, path) == 0 ? IOMMUGRP_MODULE_LOADED : IOMMUGRP_MODULE_BUILTIN;
	return 0;
}

/*
 * libkmod is opened when a module question is asked, not at startup: linked, it
 * pulls in libcrypto, liblzma and libzstd, whose relocation was most of a small
 * host's fixed cost, paid by every udev event. As systemd does with its optional
 * libraries; libkmod.h still type-checks the calls. RTLD_NODELETE: libcrypto's
 * exit handlers must stay mapped. Whatever copies iommugrp into another root
 * (the initramfs hooks, tests/vm) copies libkmod.so.2 too: ldd does not list it.
 */
#define LIBKMOD_SONAME "libkmod.so.2"

struct kmod_api {
	void *handle;
	typeof(kmod_new) *new_ctx;
	typeof(kmod_unref) *unref;
	typeof(kmod_set_log_priority) *set_log_priority;
	typeof(kmod_set_log_fn) *set_log_fn;
	typeof(kmod_module_new_from_lookup) *new_from_lookup;
	typeof(kmod_list_next) *list_next;
	typeof(kmod_module_get_module) *get_module;
	typeof(kmod_module_get_path) *get_path;
	typeof(kmod_module_unref) *module_unref;
	typeof(kmod_module_unref_list) *unref_list;
	typeof(kmod_module_probe_insert_module) *probe_insert;
};

/*
 * -ELIBACC when libkmod.so.2 cannot be loaded, -ELIBBAD when it lacks a function: logged, and
 * not tried again in this context (a vfio-bind asks about vfio-pci twice).
 */
static int kmod_api_open(struct iommugrp_ctx *ctx, struct kmod_api *api)
{
	struct {
		const char *name;
		void **slot;
	} syms[] = {
		{ "kmod_new", (void **)&api->new_ctx },
		{ "kmod_unref", (void **)&api->unref },
		{ "kmod_set_log_priority", (void **)&api->set_log_priority },
		{ "kmod_set_log_fn", (void **)&api->set_log_fn },
		{ "kmod_module_new_from_lookup", (void **)&api->new_from_lookup },
		{ "kmod_list_next", (void **)&api->list_next },
		{ "kmod_module_get_module", (void **)&api->get_module },
		{ "kmod_module_get_path", (void **)&api->get_path },
		{ "kmod_module_unref", (void **)&api->module_unref },
		{ "kmod_module_unref_list", (void **)&api->unref_list },
		{ "kmod_module_probe_insert_module", (void **)&api->probe_insert },
	};

	if (ctx->libkmod_err < 0)
		return ctx->libkmod_err;
	api->handle = dlopen(LIBKMOD_SONAME, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
	if (!api->handle) {
		log_err(ctx, "cannot load " LIBKMOD_SONAME " (needed for kernel modules): %s",
			dlerror());
		return ctx->libkmod_err = -ELIBACC;
	}
	for (size_t i = 0; i < ARRAY_SIZE(syms); i++) {
		*syms[i].slot = dlsym(api->handle, syms[i].name);
		if (!*syms[i].slot) {
			log_err(ctx, LIBKMOD_SONAME " has no %s: %s", syms[i].name, dlerror());
			dlclose(api->handle);
			return ctx->libkmod_err = -ELIBBAD;
		}
	}
	return 0;
}

static void kmod_api_close(struct kmod_api *api)
{
	dlclose(api->handle);
}

/* libkmod's messages go to the context's log, never to stderr: the library does not print. */
static void log_from_kmod(void *data, int priority, const char *file, int line, const char *fn,
			  const char *format, va_list args)
{
	const struct iommugrp_ctx *ctx = data;

	if (ctx->log_priority >= priority)
		ctx->log_fn(ctx->log_data, priority, file, line, fn, format, args);
}

/* A libkmod context logging through ctx, at ctx's priority. */
static struct kmod_ctx *kmod_new_logged(const struct kmod_api *api, struct iommugrp_ctx *ctx,
					const char *moddir, const char *const *configs)
{
	struct kmod_ctx *kctx = api->new_ctx(moddir, configs);

	if (kctx) {
		api->set_log_fn(kctx, log_from_kmod, ctx);
		api->set_log_priority(kctx, ctx->log_priority);
	}
	return kctx;
}

static struct kmod_ctx *kmod_for_sysroot(const struct kmod_api *api, struct iommugrp_ctx *ctx,
					 const char *release)
{
	char moddir[512];
	char confdirs[4][512];
	const char *configs[5];
	static const char *const dirs[] = { "etc/modprobe.d", "run/modprobe.d",
					    "usr/lib/modprobe.d", "lib/modprobe.d" };
	const char *root = strcmp(ctx->sysroot, "/") == 0 ? "" : ctx->sysroot;

	snprintf(moddir, sizeof(moddir), "%s/lib/modules/%s", root, release);
	for (int i = 0; i < 4; i++) {
		snprintf(confdirs[i], sizeof(confdirs[i]), "%s/%s", root, dirs[i]);
		configs[i] = confdirs[i];
	}
	configs[4] = NULL;
	return kmod_new_logged(api, ctx, moddir, configs);
}

static int module_state_from_kmod(struct iommugrp_ctx *ctx, const char *alias,
				  enum iommugrp_module_state *ret_state)
{
	struct kmod_list *list = NULL, *l;
	struct kmod_ctx *kctx;
	struct kmod_api api;
	const char *release;
	int r;

	r = iommugrp_kernel_get_release(ctx, &release);
	if (r < 0)
		return r;
	r = kmod_api_open(ctx, &api);
	if (r < 0)
		return r;
	kctx = kmod_for_sysroot(&api, ctx, release);
	if (!kctx) {
		kmod_api_close(&api);
		return -ENOMEM;
	}
	api.set_log_priority(kctx, 0);
	*ret_state = IOMMUGRP_MODULE_MISSING;
	r = api.new_from_lookup(kctx, alias, &list);
	if (r < 0)
		log_dbg(ctx, "libkmod lookup of %s: %s", alias, strerror(-r));
	for (l = list; l; l = api.list_next(list, l)) {
		struct kmod_module *mod = api.get_module(l);

		*ret_state = api.get_path(mod) ? IOMMUGRP_MODULE_LOADABLE : IOMMUGRP_MODULE_BUILTIN;
		api.module_unref(mod);
	}
	api.unref_list(list);
	api.unref(kctx);
	kmod_api_close(&api);
	return 0;
}

EXPORT int iommugrp_vfio_pci_get_state(struct iommugrp_ctx *ctx,
				       enum iommugrp_module_state *ret_state)
{
	if (module_state_from_sysfs(ctx, "vfio_pci", ret_state) == 0)
		return 0;
	return module_state_from_kmod(ctx, "vfio-pci", ret_state);
}

EXPORT const char *iommugrp_module_state_to_string(enum iommugrp_module_state state)
{
	switch (state) {
	case IOMMUGRP_MODULE_LOADED:
		return "loaded";
	case IOMMUGRP_MODULE_BUILTIN:
		return "built-in";
	case IOMMUGRP_MODULE_LOADABLE:
		return "loadable";
	case IOMMUGRP_MODULE_MISSING:
		return "missing";
	}
	return NULL;
}

/* Loads vfio-pci with its dependencies, honouring modprobe.d blacklists. */
EXPORT int iommugrp_vfio_pci_load(struct iommugrp_ctx *ctx)
{
	enum iommugrp_module_state state;
	struct kmod_list *list = NULL, *l;
	struct kmod_ctx *kctx;
	struct kmod_api api;
	int r;

	r = iommugrp_vfio_pci_get_state(ctx, &state);
	if (r < 0 || state == IOMMUGRP_MODULE_LOADED || state == IOMMUGRP_MODULE_BUILTIN)
		return r;
	if (state == IOMMUGRP_MODULE_MISSING) {
		log_dbg(ctx, "vfio-pci is neither loaded, built in nor installed as a module");
		return -ENOENT;
	}
	if (strcmp(ctx->sysroot, "/") != 0) {
		log_dbg(ctx, "cannot load modules into the kernel of another root (%s)",
			ctx->sysroot);
		return -EOPNOTSUPP;
	}
	r = kmod_api_open(ctx, &api);
	if (r < 0)
		return r;
	kctx = kmod_new_logged(&api, ctx, NULL, NULL);
	if (!kctx) {
		kmod_api_close(&api);
		return -ENOMEM;
	}
	r = api.new_from_lookup(kctx, "vfio-pci", &list);
	for (l = list; l; l = api.list_next(list, l)) {
		struct kmod_module *mod = api.get_module(l);

		if (r >= 0)
			r = api.probe_insert(mod,
					     KMOD_PROBE_APPLY_BLACKLIST | KMOD_PROBE_IGNORE_COMMAND,
					     NULL, NULL, NULL, NULL);
		api.module_unref(mod);
	}
	api.unref_list(list);
	api.unref(kctx);
	kmod_api_close(&api);
	if (r == KMOD_PROBE_APPLY_BLACKLIST) {
		log_dbg(ctx, "vfio-pci is blacklisted (modprobe.d)");
		return -EPERM;
	}
	if (r < 0)
		log_dbg(ctx, "cannot load vfio-pci: %s", strerror(-r));
	return r < 0 ? r : 0;
}
