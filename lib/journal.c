/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The journal records a group's state (type, each device's driver and
 * override) before the first write of an operation, so an interrupted
 * operation can be undone by `iommugrp restore`. It is written atomically
 * (temp file, fsync, rename, fsync of the directory), root-only, and ends
 * with an "end" line: a file without it was cut short.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/file.h>
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

/* Fills *ret_boot_id only on success: callers free what they passed in on their own. */
int journal_boot_id(const struct iommugrp_ctx *ctx, char **ret_boot_id)
{
	char *boot_id = NULL;
	int r = sysfs_read(ctx, "proc/sys/kernel/random/boot_id", &boot_id);

	if (r <= 0) {
		free(boot_id);
		return r < 0 ? r : -EBADMSG;
	}
	*ret_boot_id = boot_id;
	return 0;
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

/* Every operation a planner journals (change_new's callers); the reader accepts no other, so
 * the writer refuses any other too: a journal it wrote is one restore can read. */
static bool valid_operation(const char *op)
{
	static const char *const ops[] = { "set-policy", "vfio-bind", "vfio-release",
					   "restore",	 "hold",      "unhold" };

	for (size_t i = 0; op && i < ARRAY_SIZE(ops); i++)
		if (strcmp(op, ops[i]) == 0)
			return true;
	return false;
}

int journal_capture(struct iommugrp_group *group, const char *operation, struct journal *j)
{
	struct iommugrp_device *d = NULL;
	const char *type;
	int r = 0;

	memset(j, 0, sizeof(*j));
	if (!valid_operation(operation))
		return -EINVAL;
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

/* POSIX cksum(1): CRC-32 (polynomial 0x04C11DB7, MSB first) over the data, then its length. */
static uint32_t crc_byte(uint32_t crc, unsigned char byte)
{
	crc ^= (uint32_t)byte << 24;
	for (int bit = 0; bit < 8; bit++)
		crc = crc & 0x80000000u ? (crc << 1) ^ 0x04C11DB7u : crc << 1;
	return crc;
}

uint32_t journal_cksum(const char *data, size_t len)
{
	uint32_t crc = 0;

	for (size_t i = 0; i < len; i++)
		crc = crc_byte(crc, (unsigned char)data[i]);
	for (size_t n = len; n; n >>= 8)
		crc = crc_byte(crc, (unsigned char)(n & 0xff));
	return ~crc;
}

/* Bytes written as \xHH: separators, controls, non-ASCII and the escape itself. */
static bool needs_escape(unsigned char c)
{
	return c <= ' ' || c >= 0x7f || c == '\\';
}

/* One field: "-" stands for none, so a field that is literally "-" is escaped too. */
static int put_field(FILE *f, const char *value)
{
	if (!value)
		return fputs(" -", f) < 0 ? -EIO : 0;
	if (strlen(value) > JOURNAL_FIELD_MAX || !value[0])
		return -E2BIG;
	fputc(' ', f);
	if (strcmp(value, "-") == 0)
		return fputs("\\x2d", f) < 0 ? -EIO : 0;
	for (const unsigned char *p = (const unsigned char *)value; *p; p++)
		if (needs_escape(*p))
			fprintf(f, "\\x%02x", *p);
		else
			fputc(*p, f);
	return 0;
}

static int put_line(FILE *f, const char *key, const char *const *fields, size_t n)
{
	int r = 0;

	fputs(key, f);
	for (size_t i = 0; r == 0 && i < n; i++)
		r = put_field(f, fields[i]);
	fputc('\n', f);
	return r;
}

static int format_body(FILE *f, const struct journal *j)
{
	char group[16], done[16];
	int r;

	snprintf(group, sizeof(group), "%u", j->group);
	snprintf(done, sizeof(done), "%u", j->done);
	fputs(JOURNAL_MAGIC "\n", f);
	r = put_line(f, "boot-id", (const char *[]){ j->boot_id }, 1);
	if (r == 0)
		r = put_line(f, "operation", (const char *[]){ j->operation }, 1);
	if (r == 0)
		r = put_line(f, "group", (const char *[]){ group }, 1);
	if (r == 0)
		r = put_line(f, "type", (const char *[]){ j->type }, 1);
	for (size_t i = 0; r == 0 && i < j->n_devices; i++) {
		const struct journal_device *d = &j->devices[i];

		r = put_line(f, "device",
			     (const char *[]){ d->name, d->devpath, d->driver, d->override }, 4);
	}
	if (r == 0)
		r = put_line(f, "done", (const char *[]){ done }, 1);
	return r;
}

/* Every field escaped and at most JOURNAL_FIELD_MAX bytes (-E2BIG otherwise), which is what
 * journal_parse accepts; a checksum of everything before it closes the record. */
int journal_format(const struct journal *j, char **ret_text)
{
	char *text = NULL, *sealed;
	size_t size = 0;
	FILE *f = open_memstream(&text, &size);
	int r;

	if (!valid_operation(j->operation)) {
		if (f)
			fclose(f);
		free(text);
		return -EINVAL;
	}
	if (!f)
		return -ENOMEM;
	r = format_body(f, j);
	if (fclose(f) != 0 && r == 0)
		r = -ENOMEM;
	if (r < 0) {
		free(text);
		return r;
	}
	sealed = strdup_printf("%schecksum %u\nend\n", text, journal_cksum(text, strlen(text)));
	free(text);
	if (!sealed)
		return -ENOMEM;
	*ret_text = sealed;
	return 0;
}

/* Why the directory STAT describes is not one iommugrp may trust (NULL: it is). */
char *journal_untrusted_dir_reason(const struct stat *st)
{
	if (S_ISLNK(st->st_mode))
		return strdup("it is a symbolic link");
	if (!S_ISDIR(st->st_mode))
		return strdup("it is not a directory");
	if (st->st_uid != 0)
		return strdup_printf("it is owned by uid %u, not by root", (unsigned int)st->st_uid);
	if (st->st_mode & 0077)
		return strdup_printf("it has mode %04o: others may write or read it (it must be "
				     "0700)",
				     (unsigned int)(st->st_mode & 07777));
	return NULL;
}

/*
 * Opens run/iommugrp below the sysroot, creating it (0700) when asked. It must be a real
 * directory, root's, closed to others: journals in it are trusted, and root writes there, so a
 * directory someone else controls could redirect those writes or plant a record. Returns the
 * fd, or -errno with *ret_reason saying why it was refused (-EPERM).
 */
int journal_dir_open(const struct iommugrp_ctx *ctx, bool create, char **ret_reason)
{
	struct stat st;
	int runfd, fd;

	*ret_reason = NULL;
	if (create && mkdirat(ctx->rootfd, "run", 0755) < 0 && errno != EEXIST)
		return -errno;
	runfd = openat(ctx->rootfd, "run", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (runfd < 0)
		return -errno;
	if (create && mkdirat(runfd, "iommugrp", 0700) < 0 && errno != EEXIST) {
		fd = -errno;
		close(runfd);
		return fd;
	}
	if (fstatat(runfd, "iommugrp", &st, AT_SYMLINK_NOFOLLOW) < 0) {
		fd = -errno;
		close(runfd);
		return fd;
	}
	*ret_reason = journal_untrusted_dir_reason(&st);
	if (*ret_reason) {
		close(runfd);
		return -EPERM;
	}
	fd = openat(runfd, "iommugrp", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		fd = -errno;
	close(runfd);
	/* The directory opened is the one checked: nothing swapped it in between. */
	if (fd >= 0 && (fstat(fd, &st) < 0 || (*ret_reason = journal_untrusted_dir_reason(&st)))) {
		close(fd);
		fd = -EPERM;
	}
	return fd;
}

/* The file name of a path below run/iommugrp. */
static const char *entry_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

static void dir_problem(const struct iommugrp_ctx *ctx, int error, const char *reason)
{
	problem(ctx, error, "/" JOURNAL_DIR, "cannot use /" JOURNAL_DIR ": %s",
		reason ? reason : strerror(-error));
}

/* Written under the group's lock: a .tmp there is one a killed process left, removed first. */
int journal_write(const struct iommugrp_ctx *ctx, const char *path, const struct journal *j)
{
	const char *name = entry_name(path);
	char *text = NULL, *tmp = NULL, *reason = NULL;
	int r, dirfd;

	dirfd = journal_dir_open(ctx, true, &reason);
	if (dirfd < 0) {
		dir_problem(ctx, dirfd, reason);
		free(reason);
		return dirfd;
	}
	r = journal_format(j, &text);
	if (r == 0 && asprintf(&tmp, "%s.tmp", name) < 0)
		r = -ENOMEM;
	if (r == 0)
		r = file_write_atomic(dirfd, name, tmp, text, 0600, true);
	if (r < 0)
		log_err(ctx, "cannot write the journal /%s: %s", path, strerror(-r));
	close(dirfd);
	free(text);
	free(tmp);
	return r;
}

/* Removes the .tmp files of group NUMBER's records a killed process left (under its lock). */
void journal_remove_stale(int dirfd, unsigned int number)
{
	static const char *const suffixes[] = { "journal", "vfio" };
	char name[64];

	for (size_t i = 0; i < ARRAY_SIZE(suffixes); i++) {
		snprintf(name, sizeof(name), "group-%u.%s.tmp", number, suffixes[i]);
		unlinkat(dirfd, name, 0);
	}
}

/* A whole record file: no link followed, no FIFO waited on, nothing but a regular file. */
static int read_record(const struct iommugrp_ctx *ctx, const char *path, char **ret_text)
{
	char *reason = NULL;
	struct stat st;
	int dirfd, fd, r;

	dirfd = journal_dir_open(ctx, false, &reason);
	if (dirfd < 0) {
		if (dirfd != -ENOENT)
			dir_problem(ctx, dirfd, reason);
		free(reason);
		return dirfd;
	}
	fd = openat(dirfd, entry_name(path), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	r = fd < 0 ? -errno : fstat(fd, &st) < 0 ? -errno : !S_ISREG(st.st_mode) ? -EINVAL : 0;
	close(dirfd);
	if (r == 0)
		r = sysfs_read_fd(fd, ret_text);
	if (fd >= 0)
		close(fd);
	return r;
}

/* Decodes one field in place; NULL for "-"; -EBADMSG for a bad escape or an overlong field. */
static int unescape_field(char *field, char **ret_value)
{
	char *out = field;

	if (strcmp(field, "-") == 0) {
		*ret_value = NULL;
		return 0;
	}
	for (const char *p = field; *p; p++) {
		unsigned int byte;

		if (*p != '\\') {
			*out++ = *p;
			continue;
		}
		if (p[1] != 'x' || !isxdigit((unsigned char)p[2]) ||
		    !isxdigit((unsigned char)p[3]) || sscanf(p + 2, "%2x", &byte) != 1 || byte == 0)
			return -EBADMSG;
		*out++ = (char)byte;
		p += 3;
	}
	*out = '\0';
	if (out == field || (size_t)(out - field) > JOURNAL_FIELD_MAX)
		return -EBADMSG;
	*ret_value = field;
	return 0;
}

/* Splits LINE (modified) at single spaces into exactly N decoded fields after the key. */
static int split_fields(char *line, char **fields, size_t n)
{
	char *p = strchr(line, ' ');

	for (size_t i = 0; i < n; i++) {
		char *end;

		if (!p || p[1] == '\0' || p[1] == ' ')
			return -EBADMSG;
		p++;
		end = strchr(p, ' ');
		if (end)
			*end = '\0';
		if (unescape_field(p, &fields[i]) < 0)
			return -EBADMSG;
		p = end;
	}
	return p ? -EBADMSG : 0;
}

/* A name the kernel could give a driver or device: one sysfs directory entry. */
static bool valid_entry_name(const char *name)
{
	if (!name || !name[0] || strlen(name) > NAME_MAX || strcmp(name, ".") == 0 ||
	    strcmp(name, "..") == 0)
		return false;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		if (*p == '/' || *p <= ' ' || *p >= 0x7f)
			return false;
	return true;
}

/* A device directory below sys/devices, without "." or ".." components. */
static bool valid_devpath(const char *path)
{
	const char *p;

	if (!path || strncmp(path, "sys/devices/", 12) != 0)
		return false;
	for (p = path; *p;) {
		size_t len = strcspn(p, "/");

		if (len == 0 || (len == 1 && p[0] == '.') ||
		    (len == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		p += len;
		if (*p == '/')
			p++;
	}
	return p[-1] != '/';
}

static int parse_device_line(char *line, struct journal *j)
{
	char *f[4];

	if (split_fields(line, f, 4) < 0 || !valid_entry_name(f[0]) || !valid_devpath(f[1]) ||
	    (f[2] && !valid_entry_name(f[2])) || (f[3] && strchr(f[3], '\n')) ||
	    journal_find(j, f[0]))
		return -EBADMSG;
	return add_device(j, f[0], f[1], f[2], f[3]) < 0 ? -EBADMSG : 0;
}

/* The lines seen once each; a journal needs every one of them. */
enum { SEEN_BOOT = 1, SEEN_OP = 2, SEEN_GROUP = 4, SEEN_TYPE = 8, SEEN_DONE = 16, SEEN_ALL = 31 };

static int parse_line(char *line, struct journal *j, unsigned int *seen)
{
	size_t keylen = strcspn(line, " ");
	char *value;
	int bit;

	if (strncmp(line, "device ", 7) == 0)
		return *seen & SEEN_DONE ? -EBADMSG : parse_device_line(line, j);
	if (split_fields(line, &value, 1) < 0)
		return -EBADMSG;
	line[keylen] = '\0';
	bit = strcmp(line, "boot-id") == 0     ? SEEN_BOOT
	      : strcmp(line, "operation") == 0 ? SEEN_OP
	      : strcmp(line, "group") == 0     ? SEEN_GROUP
	      : strcmp(line, "type") == 0      ? SEEN_TYPE
	      : strcmp(line, "done") == 0      ? SEEN_DONE
					       : 0;
	if (!bit || (*seen & bit))
		return -EBADMSG;
	*seen |= (unsigned int)bit;
	switch (bit) {
	case SEEN_BOOT:
		return value && (j->boot_id = strdup(value)) ? 0 : -EBADMSG;
	case SEEN_OP:
		return valid_operation(value) && (j->operation = strdup(value)) ? 0 : -EBADMSG;
	case SEEN_GROUP:
		return value && parse_uint(value, &j->group) == 0 ? 0 : -EBADMSG;
	case SEEN_TYPE:
		return !value || (is_known_group_type(value) && (j->type = strdup(value)))
			       ? 0
			       : -EBADMSG;
	default:
		return value && parse_uint(value, &j->done) == 0 ? 0 : -EBADMSG;
	}
}

/* "checksum N": the cksum of TEXT's first LEN bytes (everything before this line). */
static int check_seal(const char *line, const char *text, size_t len)
{
	unsigned int sum;
	int end = 0;

	if (sscanf(line, "checksum %u%n", &sum, &end) != 1 || line[end] != '\0')
		return -EBADMSG;
	return sum == journal_cksum(text, len) ? 0 : -EBADMSG;
}

/* Parses a whole journal: the magic line, every record line once (devices at least once), the
 * checksum, "end". *ret_bad_line: the first bad line (or the one after the last). Returns
 * -EUCLEAN when only the checksum is wrong (damaged after it was written), else -EBADMSG. */
int journal_parse(const char *text, struct journal *j, unsigned int *ret_bad_line)
{
	unsigned int lineno = 0, seen = 0;
	bool sealed = false, ended = false;
	const char *p = text;

	memset(j, 0, sizeof(*j));
	while (*p) {
		size_t len = strcspn(p, "\n");
		char *line;
		int r;

		lineno++;
		if (ended || p[len] != '\n' || !(line = strndup(p, len)))
			goto bad;
		if (lineno == 1)
			r = strcmp(line, JOURNAL_MAGIC) == 0 ? 0 : -EBADMSG;
		else if (sealed)
			r = strcmp(line, "end") == 0 && (ended = true) ? 0 : -EBADMSG;
		else if (strncmp(line, "checksum ", 9) == 0)
			r = seen != SEEN_ALL || j->n_devices == 0	     ? -EBADMSG
			    : check_seal(line, text, (size_t)(p - text)) < 0 ? -EUCLEAN
			    : (sealed = true)				     ? 0
									     : -EBADMSG;
		else
			r = parse_line(line, j, &seen);
		free(line);
		if (r < 0) {
			journal_clear(j);
			*ret_bad_line = lineno;
			return r;
		}
		p += len + 1;
	}
	if (!ended) {
		lineno++;
		goto bad;
	}
	return 0;
bad:
	journal_clear(j);
	*ret_bad_line = lineno;
	return -EBADMSG;
}

/* The journal's devices are the group's, at the same places: a record of another group (or of
 * hardware since changed) is never applied. */
int journal_check_group(const struct journal *j, struct iommugrp_group *group, char **ret_reason)
{
	struct iommugrp_device *d = NULL;
	size_t members = 0;

	while ((d = iommugrp_group_device_next(group, d))) {
		const struct journal_device *rec = journal_find(j, d->name);

		members++;
		if (!rec || strcmp(rec->devpath, d->syspath) != 0) {
			*ret_reason = strdup_printf("it does not record %s of group %u%s", d->name,
						    group->number, rec ? " at its place" : "");
			return -EBADMSG;
		}
	}
	if (members != j->n_devices) {
		*ret_reason = strdup_printf("it records %zu devices; group %u has %zu",
					    j->n_devices, group->number, members);
		return -EBADMSG;
	}
	return 0;
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

	r = read_record(ctx, path, &text);
	if (r == -EPERM)
		return r; /* the directory was refused, and said why */
	if (r < 0) {
		if (r != -ENOENT)
			journal_problem(ctx, path, r,
					r == -EINVAL || r == -ELOOP ? "is not a regular file"
								    : strerror(-r));
		return r;
	}
	/* As written: a file whose last line lacks its newline was cut short. */
	r = journal_parse(text, j, &bad);
	free(text);
	if (r == -EUCLEAN) {
		why = strdup_printf("is truncated or corrupt (line %u: the checksum does not "
				    "match, "
				    "it was cut or changed after it was written)",
				    bad);
		journal_problem(ctx, path, -EBADMSG, why ? why : "is truncated or corrupt");
		free(why);
		return -EBADMSG;
	}
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
	char *reason = NULL;
	int dirfd = journal_dir_open(ctx, false, &reason), r = 0;

	free(reason);
	if (dirfd == -ENOENT)
		return 0;
	if (dirfd < 0)
		return dirfd;
	if (unlinkat(dirfd, entry_name(path), 0) < 0 && errno != ENOENT)
		r = -errno;
	close(dirfd);
	return r;
}
