/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The floor for `iommugrp -J`: the least a C program must do to print the same
 * bytes. It reads the same sysfs files (each once, in one read), asks the same
 * hwdb keys, and prints the same JSON, with no library, no objects and no
 * table. tests/bench/run checks its output against iommugrp's on every tree it
 * measures, so the comparison is between programs that do the same work.
 *
 * It trusts well-formed trees: on a malformed one it prints something, not
 * iommugrp's messages. Usage: walker [SYSROOT]
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libudev.h>

static int rootfd;
static struct udev_hwdb *hwdb;

/* --- output: growable buffers; stdout gets one write per 64 KiB --------------------------- */
struct buf {
	char *data;
	size_t len, size;
};

static struct buf out;

static void buf_mem(struct buf *b, const char *s, size_t len)
{
	if (b->len + len > b->size) {
		b->size = (b->len + len) * 2 + 4096;
		b->data = realloc(b->data, b->size);
		if (!b->data)
			exit(1);
	}
	memcpy(b->data + b->len, s, len);
	b->len += len;
}

static void buf_str(struct buf *b, const char *s)
{
	buf_mem(b, s, strlen(s));
}

static void out_flush(void)
{
	for (size_t done = 0; done < out.len;) {
		ssize_t n = write(STDOUT_FILENO, out.data + done, out.len - done);

		if (n <= 0)
			exit(1);
		done += (size_t)n;
	}
	out.len = 0;
}

/* A JSON string as libsmartcols escapes it; NULL or "" is null. */
static void buf_json(struct buf *b, const char *s)
{
	if (!s || !*s) {
		buf_mem(b, "null", 4);
		return;
	}
	buf_mem(b, "\"", 1);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		char esc[8];

		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			buf_mem(b, esc, 2);
		} else if (c >= 0x20) {
			buf_mem(b, s, 1);
		} else {
			const char *named = c == '\b'	? "\\b"
					    : c == '\t' ? "\\t"
					    : c == '\n' ? "\\n"
					    : c == '\f' ? "\\f"
					    : c == '\r' ? "\\r"
							: NULL;

			if (!named) {
				snprintf(esc, sizeof(esc), "\\u%04x", c);
				named = esc;
			}
			buf_str(b, named);
		}
	}
	buf_mem(b, "\"", 1);
}

/* indent"key": value, where value is already JSON (a number, null, true). */
static void buf_raw_member(struct buf *b, const char *indent, const char *key, const char *raw)
{
	buf_str(b, indent);
	buf_mem(b, "\"", 1);
	buf_str(b, key);
	buf_mem(b, "\": ", 3);
	buf_str(b, raw);
	buf_mem(b, ",\n", 2);
}

static void buf_string_member(struct buf *b, const char *indent, const char *key, const char *value)
{
	buf_str(b, indent);
	buf_mem(b, "\"", 1);
	buf_str(b, key);
	buf_mem(b, "\": ", 3);
	buf_json(b, value);
	buf_mem(b, ",\n", 2);
}

/* --- reading --------------------------------------------------------------------------- */

/* An attribute in one read (they are at most a page); trailing newline dropped. */
static int read_attr(const char *dir, const char *attr, char *buf, size_t size)
{
	char path[PATH_MAX];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, attr);
	fd = openat(rootfd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -1;
	if (n > 0 && buf[n - 1] == '\n')
		n--;
	buf[n] = '\0';
	return (int)n;
}

static bool link_basename(const char *dir, const char *link, char *buf, size_t size)
{
	char path[PATH_MAX], target[PATH_MAX];
	ssize_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, link);
	n = readlinkat(rootfd, path, target, sizeof(target) - 1);
	if (n < 0)
		return false;
	target[n] = '\0';
	const char *base = strrchr(target, '/') ? strrchr(target, '/') + 1 : target;
	size_t len = strlen(base) < size - 1 ? strlen(base) : size - 1;

	memcpy(buf, base, len);
	buf[len] = '\0';
	return true;
}

/* dir + "/" + relative target, with "." and ".." folded: "sys/devices/...". */
static void resolve(const char *dir, const char *target, char *buf, size_t size)
{
	size_t len = 0;
	const char *parts[2] = { target[0] == '/' ? "" : dir, target };

	buf[0] = '\0';
	for (int i = 0; i < 2; i++)
		for (const char *p = parts[i]; *p;) {
			size_t clen = strcspn(p, "/");

			if (clen == 2 && p[0] == '.' && p[1] == '.') {
				while (len > 0 && buf[len - 1] != '/')
					len--;
				len -= len > 0;
			} else if (clen > 0 && !(clen == 1 && p[0] == '.') && len + clen + 2 < size) {
				if (len > 0)
					buf[len++] = '/';
				memcpy(buf + len, p, clen);
				len += clen;
			}
			buf[len] = '\0';
			p += clen;
			p += strspn(p, "/");
		}
}

static char **list_dir(const char *dir, size_t *ret_count)
{
	int fd = openat(rootfd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	char **names = NULL;
	size_t count = 0, alloc = 0;
	struct dirent *de;

	*ret_count = 0;
	if (!d)
		return NULL;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' &&
		    (de->d_name[1] == '\0' || (de->d_name[1] == '.' && de->d_name[2] == '\0')))
			continue;
		if (count == alloc) {
			alloc = alloc ? alloc * 2 : 64;
			names = realloc(names, alloc * sizeof(*names));
			if (!names)
				exit(1);
		}
		names[count++] = strdup(de->d_name);
	}
	closedir(d);
	*ret_count = count;
	return names;
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int compare_numbers(const void *a, const void *b)
{
	unsigned long x = strtoul(*(char *const *)a, NULL, 10),
		      y = strtoul(*(char *const *)b, NULL, 10);

	return (x > y) - (x < y);
}

/* --- hwdb, with each key's answer remembered (big hosts repeat IDs) --------------------- */
struct names {
	char key[96];
	char *vendor, *model, *subclass, *class_name;
};
static struct names cache[1024];
static size_t n_cache;

static const struct names *hwdb_names(const char *key)
{
	static const struct names none;
	struct udev_list_entry *e;
	struct names *n;

	for (size_t i = 0; i < n_cache; i++)
		if (strcmp(cache[i].key, key) == 0)
			return &cache[i];
	if (!hwdb || n_cache == sizeof(cache) / sizeof(cache[0]))
		return &none;
	n = &cache[n_cache++];
	snprintf(n->key, sizeof(n->key), "%s", key);
	udev_list_entry_foreach(e, udev_hwdb_get_properties_list_entry(hwdb, key, 0))
	{
		const char *name = udev_list_entry_get_name(e);
		char *value = strdup(udev_list_entry_get_value(e));

		if (strcmp(name, "ID_VENDOR_FROM_DATABASE") == 0)
			n->vendor = value;
		else if (strcmp(name, "ID_MODEL_FROM_DATABASE") == 0)
			n->model = value;
		else if (strcmp(name, "ID_PCI_SUBCLASS_FROM_DATABASE") == 0)
			n->subclass = value;
		else if (strcmp(name, "ID_PCI_CLASS_FROM_DATABASE") == 0)
			n->class_name = value;
		else
			free(value);
	}
	return n;
}

/* --- one device, one group --------------------------------------------------------------- */
static const char *vfio_state(bool pci, const char *config, int config_len, unsigned int class_code,
			      const char *driver)
{
	bool bridge = false;

	if (pci && config_len > 0x0e)
		bridge = (config[0x0e] & 0x7f) == 1 || (config[0x0e] & 0x7f) == 2;
	else if (pci)
		bridge = class_code >> 8 == 0x0604 || class_code >> 8 == 0x0609 ||
			 class_code >> 8 == 0x0607;
	if (bridge && (!*driver || strcmp(driver, "pcieport") == 0))
		return "bridge";
	if (!*driver)
		return "unbound";
	if (strstr(driver, "vfio") || strcmp(driver, "pci-stub") == 0 ||
	    strcmp(driver, "pcieport") == 0)
		return "driver-managed-dma";
	return "kernel-driver";
}

/* Appends the device's object to b; returns whether it keeps the group viable. */
static bool print_device(struct buf *b, const char *group, const char *devdir, const char *name,
			 bool first)
{
	static const char *in = "               ";
	char target[PATH_MAX], syspath[PATH_MAX], linkpath[PATH_MAX], subsystem[64] = "";
	char driver[64] = "", override[256] = "", config[256], value[64];
	char id[16] = "", classid[16] = "", vendor_key[32], class_key[96];
	const char *vendor = NULL, *model = NULL, *class_name = NULL, *state;
	unsigned int vendor_id = 0, device_id = 0, class_code = 0;
	int config_len = -1;
	bool pci;
	ssize_t n;

	snprintf(linkpath, sizeof(linkpath), "%s/%s", devdir, name);
	n = readlinkat(rootfd, linkpath, target, sizeof(target) - 1);
	if (n < 0)
		return true;
	target[n] = '\0';
	resolve(devdir, target, syspath, sizeof(syspath));
	link_basename(syspath, "subsystem", subsystem, sizeof(subsystem));
	link_basename(syspath, "driver", driver, sizeof(driver));
	pci = strcmp(subsystem, "pci") == 0;
	if (pci) {
		if (read_attr(syspath, "vendor", value, sizeof(value)) > 0)
			vendor_id = (unsigned int)strtoul(value, NULL, 16);
		if (read_attr(syspath, "device", value, sizeof(value)) > 0)
			device_id = (unsigned int)strtoul(value, NULL, 16);
		if (read_attr(syspath, "class", value, sizeof(value)) > 0)
			class_code = (unsigned int)strtoul(value, NULL, 16);
		snprintf(id, sizeof(id), "%04x:%04x", vendor_id, device_id);
		snprintf(classid, sizeof(classid), "0x%06x", class_code);
		config_len = read_attr(syspath, "config", config, sizeof(config));
		snprintf(vendor_key, sizeof(vendor_key), "pci:v%08Xd%08X", vendor_id, device_id);
		vendor = hwdb_names(vendor_key)->vendor;
		model = hwdb_names(vendor_key)->model;
		snprintf(class_key, sizeof(class_key),
			 "pci:v00000000d00000000sv00000000sd00000000bc%02Xsc%02Xi%02X",
			 class_code >> 16, (class_code >> 8) & 0xff, class_code & 0xff);
		class_name = hwdb_names(class_key)->subclass ?: hwdb_names(class_key)->class_name;
	} else if (read_attr(syspath, "modalias", class_key, sizeof(class_key)) > 0) {
		vendor = hwdb_names(class_key)->vendor;
		model = hwdb_names(class_key)->model;
	}
	if (read_attr(syspath, "driver_override", override, sizeof(override)) <= 0 ||
	    strcmp(override, "(null)") == 0)
		override[0] = '\0';
	state = vfio_state(pci, config, config_len, class_code, driver);

	buf_str(b, first ? "            {\n" : ",{\n");
	buf_string_member(b, in, "name", name);
	buf_raw_member(b, in, "group", group);
	buf_raw_member(b, in, "type", "null");
	buf_raw_member(b, in, "devices", "null");
	buf_raw_member(b, in, "viable", strcmp(state, "kernel-driver") ? "true" : "false");
	buf_string_member(b, in, "vfio", state);
	buf_string_member(b, in, "subsystem", subsystem);
	buf_string_member(b, in, "id", id);
	buf_string_member(b, in, "classid", classid);
	buf_string_member(b, in, "class", class_name);
	buf_string_member(b, in, "vendor", vendor);
	buf_string_member(b, in, "model", model);
	buf_string_member(b, in, "driver", driver);
	buf_string_member(b, in, "override", override);
	snprintf(target, sizeof(target), "/%s", syspath);
	buf_str(b, in);
	buf_str(b, "\"path\": ");
	buf_json(b, target);
	buf_str(b, "\n            }");
	return strcmp(state, "kernel-driver") != 0;
}

/* The group's "viable" comes before its devices but depends on them: devices go to a side buffer. */
static void print_group(const char *number, bool first)
{
	static const char *in = "         ";
	static struct buf devices;
	char dir[64], devdir[80], type[64], text[96];
	char **names;
	size_t count;
	bool viable = true;

	snprintf(dir, sizeof(dir), "sys/kernel/iommu_groups/%s", number);
	snprintf(devdir, sizeof(devdir), "%s/devices", dir);
	if (read_attr(dir, "type", type, sizeof(type)) < 0)
		type[0] = '\0';
	names = list_dir(devdir, &count);
	qsort(names, count, sizeof(*names), compare_names);
	devices.len = 0;
	for (size_t i = 0; i < count; i++)
		viable &= print_device(&devices, number, devdir, names[i], i == 0);

	buf_str(&out, first ? "      {\n" : ",{\n");
	snprintf(text, sizeof(text), "group %s", number);
	buf_string_member(&out, in, "name", text);
	buf_raw_member(&out, in, "group", number);
	buf_string_member(&out, in, "type", type);
	snprintf(text, sizeof(text), "%zu", count);
	buf_raw_member(&out, in, "devices", text);
	buf_raw_member(&out, in, "viable", viable ? "true" : "false");
	static const char *const none[] = { "vfio",   "subsystem", "id",     "classid", "class",
					    "vendor", "model",	   "driver", "override" };
	for (size_t i = 0; i < sizeof(none) / sizeof(none[0]); i++)
		buf_raw_member(&out, in, none[i], "null");
	snprintf(text, sizeof(text), "/%s", dir);
	buf_str(&out, in);
	buf_str(&out, "\"path\": ");
	buf_json(&out, text);
	if (count) {
		buf_str(&out, ",\n");
		buf_str(&out, in);
		buf_str(&out, "\"children\": [\n");
		buf_mem(&out, devices.data, devices.len);
		buf_str(&out, "\n");
		buf_str(&out, in);
		buf_str(&out, "]");
	}
	buf_str(&out, "\n      }");
	if (out.len >= 1 << 16)
		out_flush();
	for (size_t i = 0; i < count; i++)
		free(names[i]);
	free(names);
}

int main(int argc, char **argv)
{
	struct udev *udev = udev_new();
	char **groups;
	size_t count;

	rootfd = open(argc > 1 ? argv[1] : "/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0) {
		perror(argc > 1 ? argv[1] : "/");
		return 1;
	}
	hwdb = udev ? udev_hwdb_new(udev) : NULL;
	groups = list_dir("sys/kernel/iommu_groups", &count);
	if (count == 0)
		fputs("iommugrp: no IOMMU groups: the IOMMU is off or absent "
		      "(see 'iommugrp status')\n",
		      stderr);
	qsort(groups, count, sizeof(*groups), compare_numbers);
	buf_str(&out, "{\n   \"iommugroups\": [\n");
	for (size_t i = 0; i < count; i++)
		print_group(groups[i], i == 0);
	buf_str(&out, "\n   ]\n}\n");
	out_flush();
	return 0;
}
