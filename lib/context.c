/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The context: sysroot, logging, and the cache every object hangs off. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "internal.h"

static void log_to_nowhere(void *data, int priority, const char *file, int line,
			   const char *fn, const char *format, va_list args)
{
	(void)data, (void)priority, (void)file, (void)line, (void)fn;
	(void)format, (void)args;
}

void iommugrp_log(const struct iommugrp_ctx *ctx, int priority, const char *file,
		  int line, const char *fn, const char *format, ...)
{
	va_list args;

	va_start(args, format);
	ctx->log_fn(ctx->log_data, priority, file, line, fn, format, args);
	va_end(args);
}

static int log_priority_from_string(const char *s)
{
	static const char *const names[] = {
		[LOG_ERR] = "err", [LOG_WARNING] = "warning",
		[LOG_NOTICE] = "notice", [LOG_INFO] = "info", [LOG_DEBUG] = "debug",
	};
	unsigned int value;

	if (parse_uint(s, &value) == 0 && value <= LOG_DEBUG)
		return (int)value;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i] && strcasecmp(s, names[i]) == 0)
			return (int)i;
	return LOG_ERR;
}

static char *normalize_sysroot(const char *sysroot)
{
	size_t len;
	char *copy;

	if (!sysroot || !*sysroot)
		sysroot = "/";
	copy = strdup(sysroot);
	if (!copy)
		return NULL;
	len = strlen(copy);
	while (len > 1 && copy[len - 1] == '/')
		copy[--len] = '\0';
	return copy;
}

EXPORT int iommugrp_new(const char *sysroot, struct iommugrp_ctx **ret_ctx)
{
	struct iommugrp_ctx *ctx;
	const char *env;

	ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return -ENOMEM;
	ctx->refcount = 1;
	ctx->log_fn = log_to_nowhere;
	ctx->log_priority = LOG_ERR;
	env = secure_getenv("IOMMUGRP_LOG");
	if (env)
		ctx->log_priority = log_priority_from_string(env);
	ctx->sysroot = normalize_sysroot(sysroot);
	if (!ctx->sysroot) {
		free(ctx);
		return -ENOMEM;
	}
	ctx->rootfd = open(ctx->sysroot, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (ctx->rootfd < 0) {
		int r = -errno;

		free(ctx->sysroot);
		free(ctx);
		return r;
	}
	*ret_ctx = ctx;
	return 0;
}

EXPORT struct iommugrp_ctx *iommugrp_ref(struct iommugrp_ctx *ctx)
{
	if (ctx)
		ctx->refcount++;
	return ctx;
}

static void ctx_free(struct iommugrp_ctx *ctx)
{
	for (size_t i = 0; i < ctx->n_groups; i++)
		group_free(ctx->groups[i]);
	free(ctx->groups);
	strv_free(ctx->iommu_units, ctx->n_iommu_units > 0 ? (size_t)ctx->n_iommu_units : 0);
	hwdb_close(ctx);
	free(ctx->release);
	free(ctx->boot_policy_source);
	close(ctx->rootfd);
	free(ctx->sysroot);
	free(ctx);
}

EXPORT struct iommugrp_ctx *iommugrp_unref(struct iommugrp_ctx *ctx)
{
	if (ctx && --ctx->refcount == 0)
		ctx_free(ctx);
	return NULL;
}

EXPORT const char *iommugrp_get_sysroot(const struct iommugrp_ctx *ctx)
{
	return ctx->sysroot;
}

EXPORT void iommugrp_set_log_fn(struct iommugrp_ctx *ctx, iommugrp_log_fn log_fn,
				void *data)
{
	ctx->log_fn = log_fn ? log_fn : log_to_nowhere;
	ctx->log_data = data;
}

EXPORT int iommugrp_get_log_priority(const struct iommugrp_ctx *ctx)
{
	return ctx->log_priority;
}

EXPORT void iommugrp_set_log_priority(struct iommugrp_ctx *ctx, int priority)
{
	ctx->log_priority = priority;
}
