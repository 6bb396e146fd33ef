/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The journal records a group's state (type, each device's driver and
 * override) before the first write of an operation, so an interrupted
 * operation can be undone by `iommugrp restore`. It is written atomically
 * (temp file, fsync, rename, fsync of the directory), root-only, and ends
 * with an "end" line: a file without it was cut short.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "journal.h"

#define JOURNAL_DIR "run/iommugrp"
#define JOURNAL_MAGIC "iommugrp-journal 1"

void journal_clear(struct journal *j)
{
	for (size_t i = 0; i < j->n_devices; i++) {
		free(j->devices[i].name);
		free(j->devices[i].devpath);
		free(j->devices[i].driver);
		free(j->devices[i].override);
	}
	free(j->devices);
	free(j->boot_id);
	free(j->operation);
	free(j->type);
	memset(j, 0, sizeof(*j));
}

int journal_boot_id(const struct iommugrp_ctx *ctx, char **ret_boot_id)
{
	int r = sysfs_read(ctx, "proc/sys/kernel/random/boot_id", ret_boot_id);

	if (r == 0) {
		free(*ret_boot_id);
		return -EBADMSG;
	}
	return r < 0 ? r : 0;
}

static int add_device(struct journal *j, const char *name, const char *devpath, const char *driver,
		      const char *override)
{
	struct journal_device *bigger = realloc(j->devices, (j->n_devices + 1) * sizeof(*bigger));
	struct journal_device *d;

	if (!bigger)
		return -ENOMEM;
	j->devices = bigger;
	d = &j->devices[j->n_devices++];
	d->name = strdup(name);
	d->devpath = strdup(devpath);
	d->driver = strdup_or_null(driver, NULL);
	d->override = strdup_or_null(override, NULL);
	return d->name && d->devpath && (!driver || d->driver) && (!override || d->override)
		       ? 0
		       : -ENOMEM;
}

int journal_capture(struct iommugrp_group *group, const char *operation, struct journal *j)
{
	struct iommugrp_device *d = NULL;
	const char *type;
	int r = 0;

	memset(j, 0, sizeof(*j));
	/* Without procfs (some fixture trees) there is no boot to tell apart. */
	if (journal_boot_id(group->ctx, &j->boot_id) < 0)
		j->boot_id = strdup("unknown");
	j->operation = strdup(operation);
	j->group = group->number;
	if (iommugrp_group_get_type(group, &type) == 0)
		j->type = strdup(type);
	while (r == 0 && (d = iommugrp_group_device_next(group, d)))
		r = add_device(j, d->name, d->syspath, iommugrp_device_get_driver(d),
			       iommugrp_device_get_driver_override(d));
	if (r == 0 && (!j->operation || !j->boot_id))
		r = -ENOMEM;
	if (r < 0)
		journal_clear(j);
	return r;
}

/*
 * Snapshots are captured in the group's (sorted) order: a binary search finds a
 * name in O(log n), so planning a 20,000-device group is not quadratic. A
 * journal read from disk may be in any order; a miss falls back to the scan.
 */
const struct journal_device *journal_find(const struct journal *j, const char *name)
{
	size_t lo = 0, hi = j->n_devices;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int cmp = strcmp(name, j->devices[mid].name);

		if (cmp == 0)
			return &j->devices[mid];
		if (cmp < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	for (size_t i = 0; i < j->n_devices; i++)
		if (strcmp(j->devices[i].name, name) == 0)
			return &j->devices[i];
	return NULL;
}

char *journal_path(unsigned int group, const char *suffix)
{
	char *path;

	if (asprintf(&path, JOURNAL_DIR "/group-%u.%s", group, suffix) < 0)
		return NULL;
	return path;
}

static const char *or_dash(const char *s)
{
	return s ? s : "-";
}

int journal_format(const struct journal *j, char **ret_text)
{
	size_t size = 0;
	FILE *f = open_memstream(ret_text, &size);

	if (!f)
		return -ENOMEM;
	fprintf(f, JOURNAL_MAGIC "\nboot-id %s\noperation %s\ngroup %u\ntype %s\n", j->boot_id,
		j->operation, j->group, or_dash(j->type));
	for (size_t i = 0; i < j->n_devices; i++)
		fprintf(f, "device %s %s %s %s\n", j->devices[i].name, j->devices[i].devpath,
			or_dash(j->devices[i].driver), or_dash(j->devices[i].override));
	fprintf(f, "done %u\nend\n", j->done);
	return fclose(f) == 0 ? 0 : -ENOMEM;
}

int journal_ensure_dir(const struct iommugrp_ctx *ctx)
{
	if (mkdirat(ctx->rootfd, "run", 0755) < 0 && errno != EEXIST)
		return -errno;
	if (mkdirat(ctx->rootfd, JOURNAL_DIR, 0700) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static int write_file_synced(const struct iommugrp_ctx *ctx, const char *path, const char *text)
{
	size_t len = strlen(text);
	int fd = openat(ctx->rootfd, path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	int r = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, text, len) != (ssize_t)len || fsync(fd) < 0)
		r = errno ? -errno : -EIO;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	return r;
}

int journal_write(const struct iommugrp_ctx *ctx, const char *path, const struct journal *j)
{
	char *text = NULL, *tmp = NULL;
	int r, dirfd;

	r = journal_ensure_dir(ctx);
	if (r == 0)
		r = journal_format(j, &text);
	if (r == 0 && asprintf(&tmp, "%s.tmp", path) < 0)
		r = -ENOMEM;
	if (r == 0)
		r = write_file_synced(ctx, tmp, text);
	if (r == 0 && renameat(ctx->rootfd, tmp, ctx->rootfd, path) < 0)
		r = -errno;
	if (r == 0) {
		dirfd = openat(ctx->rootfd, JOURNAL_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dirfd >= 0) {
			fsync(dirfd);
			close(dirfd);
		}
	}
	if (r < 0)
		log_err(ctx, "cannot write the journal /%s: %s", path, strerror(-r));
	free(text);
	free(tmp);
	return r;
}

static int parse_device_line(const char *rest, struct journal *j)
{
	char name[128], devpath[1024], driver[128], override[128];
	int end = 0;

	if (sscanf(rest, "%127s %1023s %127s %127s%n", name, devpath, driver, override, &end) != 4 ||
	    rest[end] != '\0')
		return -EBADMSG;
	return add_device(j, name, devpath, strcmp(driver, "-") ? driver : NULL,
			  strcmp(override, "-") ? override : NULL);
}

static int parse_line(const char *line, struct journal *j)
{
	char key[16], value[256];
	int n = 0, end = 0;

	if (sscanf(line, "%15s %n", key, &n) != 1)
		return -EBADMSG;
	if (strcmp(key, "device") == 0)
		return parse_device_line(line + n, j);
	if (sscanf(line + n, "%255s%n", value, &end) != 1 || line[n + end] != '\0')
		return -EBADMSG;
	if (strcmp(key, "boot-id") == 0 && !j->boot_id)
		j->boot_id = strdup(value);
	else if (strcmp(key, "operation") == 0 && !j->operation)
		j->operation = strdup(value);
	else if (strcmp(key, "group") == 0)
		return parse_uint(value, &j->group) < 0 ? -EBADMSG : 0;
	else if (strcmp(key, "type") == 0 && !j->type && strcmp(value, "-") != 0)
		return is_known_group_type(value) && (j->type = strdup(value)) ? 0 : -EBADMSG;
	else if (strcmp(key, "type") == 0 && !j->type)
		return 0;
	else if (strcmp(key, "done") == 0)
		return parse_uint(value, &j->done) < 0 ? -EBADMSG : 0;
	else
		return -EBADMSG;
	return 0;
}

/* Parses a whole journal; every line must be known and "end" must close it. */
int journal_parse(const char *text, struct journal *j, unsigned int *ret_bad_line)
{
	unsigned int lineno = 0;
	bool ended = false;
	const char *p = text;

	memset(j, 0, sizeof(*j));
	while (*p) {
		size_t len = strcspn(p, "\n");
		char line[1400];

		lineno++;
		if (len >= sizeof(line) || ended || p[len] != '\n')
			goto bad;
		memcpy(line, p, len);
		line[len] = '\0';
		if (lineno == 1		       ? strcmp(line, JOURNAL_MAGIC) != 0
		    : strcmp(line, "end") == 0 ? !(ended = true)
					       : parse_line(line, j) < 0)
			goto bad;
		p += len + 1;
	}
	if (!ended || !j->boot_id || !j->operation || j->n_devices == 0) {
		lineno++;
		goto bad;
	}
	return 0;
bad:
	journal_clear(j);
	*ret_bad_line = lineno;
	return -EBADMSG;
}

/* A journal that is unreadable, corrupt or stale is a problem the refusal names. */
static void journal_problem(const struct iommugrp_ctx *ctx, const char *path, int error,
			    const char *why)
{
	char *display = path_join("", path);

	if (display)
		problem(ctx, error, display, "the journal %s %s", display, why);
	free(display);
}

int journal_read(const struct iommugrp_ctx *ctx, const char *path, struct journal *j)
{
	char *text = NULL, *boot_id = NULL, *why = NULL;
	unsigned int bad = 0;
	int r;

	r = sysfs_read(ctx, path, &text);
	if (r < 0) {
		if (r != -ENOENT)
			journal_problem(ctx, path, r, strerror(-r));
		return r;
	}
	/* sysfs_read dropped the final newline; journal_parse wants every line whole. */
	if (r > 0) {
		char *whole = strdup_printf("%s\n", text);

		free(text);
		text = whole;
	}
	r = text ? journal_parse(text, j, &bad) : -ENOMEM;
	free(text);
	if (r == -EBADMSG) {
		why = strdup_printf("is truncated or corrupt (line %u)", bad);
		journal_problem(ctx, path, r, why ? why : "is truncated or corrupt");
		free(why);
		return r;
	}
	if (r == 0 && journal_boot_id(ctx, &boot_id) == 0 && strcmp(boot_id, j->boot_id) != 0) {
		journal_problem(ctx, path, -ESTALE,
				"is from another boot: the state it records no longer exists");
		journal_clear(j);
		r = -ESTALE;
	}
	free(boot_id);
	return r;
}

int journal_remove(const struct iommugrp_ctx *ctx, const char *path)
{
	if (unlinkat(ctx->rootfd, path, 0) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}
