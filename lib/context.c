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

static void log_to_nowhere(void *data, int priority, const char *file, int line, const char *fn,
			   const char *format, va_list args)
{
	(void)data, (void)priority, (void)file, (void)line, (void)fn;
	(void)format, (void)args;
}

void iommugrp_log(const struct iommugrp_ctx *ctx, int priority, const char *file, int line,
		  const char *fn, const char *format, ...)
{
	va_list args;

	va_start(args, format);
	ctx->log_fn(ctx->log_data, priority, file, line, fn, format, args);
	va_end(args);
}

struct problem {
	int error;
	char *path;
	char *message;
};

struct problem_list {
	struct problem *items;
	size_t count;
};

static bool problem_known(const struct problem_list *list, const char *message)
{
	for (size_t i = 0; i < list->count; i++)
		if (strcmp(list->items[i].message, message) == 0)
			return true;
	return false;
}

/* Out of memory, the problem is only logged: the value it concerns already failed. */
static void problem_add(struct problem_list *list, int error, const char *path, char *message)
{
	struct problem *items;

	if (problem_known(list, message))
		return;
	items = reallocarray(list->items, list->count + 1, sizeof(*items));
	if (!items)
		return;
	list->items = items;
	items[list->count].path = strdup(path);
	if (!items[list->count].path)
		return;
	items[list->count].message = strdup(message);
	if (!items[list->count].message) {
		free(items[list->count].path);
		return;
	}
	items[list->count++].error = error;
}

void problem(const struct iommugrp_ctx *ctx, int error, const char *path, const char *format, ...)
{
	char *message = NULL;
	va_list args;

	va_start(args, format);
	if (vasprintf(&message, format, args) < 0)
		message = NULL;
	va_end(args);
	if (!message)
		return;
	problem_add(ctx->problems, error, path, message);
	log_err(ctx, "%s", message);
	free(message);
}

void file_problem(const struct iommugrp_ctx *ctx, int error, const char *dir, const char *name,
		  const char *format, ...)
{
	char *detail = NULL, *path = path_join(dir, name);
	va_list args;

	va_start(args, format);
	if (vasprintf(&detail, format, args) < 0)
		detail = NULL;
	va_end(args);
	if (path && detail)
		problem(ctx, error, path, "%s: %s", path, detail);
	free(detail);
	free(path);
}

const char *problem_about(const struct iommugrp_ctx *ctx, const char *path)
{
	for (size_t i = ctx->problems->count; i > 0; i--)
		if (strcmp(ctx->problems->items[i - 1].path, path) == 0)
			return ctx->problems->items[i - 1].message;
	return NULL;
}

void problems_free(struct problem_list *list)
{
	if (!list)
		return;
	for (size_t i = 0; i < list->count; i++) {
		free(list->items[i].path);
		free(list->items[i].message);
	}
	free(list->items);
	free(list);
}

EXPORT unsigned int iommugrp_get_problem_count(const struct iommugrp_ctx *ctx)
{
	return (unsigned int)ctx->problems->count;
}

EXPORT int iommugrp_get_problem(const struct iommugrp_ctx *ctx, unsigned int index, int *ret_error,
				const char **ret_path, const char **ret_message)
{
	const struct problem *p;

	if (index >= ctx->problems->count)
		return -ERANGE;
	p = &ctx->problems->items[index];
	if (ret_error)
		*ret_error = p->error;
	if (ret_path)
		*ret_path = p->path;
	if (ret_message)
		*ret_message = p->message;
	return 0;
}

static int log_priority_from_string(const char *s)
{
	static const char *const names[] = {
		[LOG_ERR] = "err",   [LOG_WARNING] = "warning", [LOG_NOTICE] = "notice",
		[LOG_INFO] = "info", [LOG_DEBUG] = "debug",
	};
	unsigned int value;

	if (parse_uint(s, &value) == 0 && value <= LOG_DEBUG)
		return (int)value;
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
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
	ctx->problems = calloc(1, sizeof(*ctx->problems));
	if (!ctx->sysroot || !ctx->problems) {
		free(ctx->problems);
		free(ctx->sysroot);
		free(ctx);
		return -ENOMEM;
	}
	ctx->confined = strcmp(ctx->sysroot, "/") != 0;
	ctx->rootfd = open(ctx->sysroot, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (ctx->rootfd < 0) {
		int r = -errno;

		problems_free(ctx->problems);
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
	topology_free(ctx);
	host_use_free(ctx);
	users_forget_scan(ctx);
	free(ctx->release);
	free(ctx->boot_policy_source);
	problems_free(ctx->problems);
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

EXPORT void iommugrp_set_log_fn(struct iommugrp_ctx *ctx, iommugrp_log_fn log_fn, void *data)
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
