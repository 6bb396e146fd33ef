/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The block devices the host needs: from every mounted filesystem and active
 * swap down through what the kernel stacks (dm's and md's slaves/, a loop
 * device's backing file, bcache's cache, btrfs's members in /sys/fs/btrfs, a
 * ZFS pool's members in udev's database) to the disks, each with the chain
 * that explains it. Network storage (NFS, SMB, Ceph, an iSCSI disk) becomes a
 * server whose interface the network part then finds.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostuse.h"

struct mount {
	char *point, *fstype, *source, *options;
	unsigned int major, minor;
};

struct zfs_member {
	char *name, *pool;
};

/* A dm device by its dm/name, in sys/class/block's order. */
struct dm_name {
	char *name, *dm;
};

/* A mounted btrfs: sys/fs/btrfs/FSID/devices, NULL when it cannot be listed. */
struct btrfs_fs {
	char **members;
	size_t n_members;
	bool listed;
};

struct storage {
	const struct iommugrp_ctx *ctx;
	struct host_use *hu;
	struct mount *mounts;
	size_t n_mounts;
	struct zfs_member *zfs;
	size_t n_zfs;
	int zfs_read; /* 0 not yet, 1 read, -errno */
	/* Read once, on first need: a lookup per mount or swap would read them all each time. */
	struct dm_name *dm_names;
	size_t n_dm_names;
	int dm_names_read; /* 0 not yet, 1 read, -errno: sys/class/block cannot be listed */
	struct btrfs_fs *btrfs;
	char **btrfs_fsids;
	size_t n_btrfs;
	int btrfs_read; /* 0 not yet, 1 read, -errno: sys/fs/btrfs cannot be listed */
	struct link_dir class_block, dev_block;
};

#define MAX_DEPTH 12

static void walk_mount(struct storage *st, const struct mount *m, const char *suffix, int depth);

static void unknown(struct storage *st, char *why)
{
	host_use_unknown(st->hu, &st->hu->storage_unknown, why);
}

/* mountinfo and swaps escape space, tab, newline and backslash as \ooo. */
static void unescape_octal(char *s)
{
	char *out = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*out++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else
			*out++ = *s;
	}
	*out = '\0';
}

/* "36 35 98:0 /root /mnt rw,noatime master:1 - ext3 /dev/sda1 rw,errors=continue" */
static bool parse_mount_line(char *line, struct mount *m)
{
	char *fields[64], *save = NULL;
	size_t n = 0, dash = 0;

	for (char *f = strtok_r(line, " ", &save); f && n < ARRAY_SIZE(fields);
	     f = strtok_r(NULL, " ", &save))
		fields[n++] = f;
	for (size_t i = 6; i < n && !dash; i++)
		if (strcmp(fields[i], "-") == 0)
			dash = i;
	if (!dash || dash + 2 >= n || sscanf(fields[2], "%u:%u", &m->major, &m->minor) != 2)
		return false;
	unescape_octal(fields[4]);
	unescape_octal(fields[dash + 2]);
	m->point = fields[4];
	m->fstype = fields[dash + 1];
	m->source = fields[dash + 2];
	m->options = dash + 3 < n ? fields[dash + 3] : "";
	return true;
}

static void parse_mounts(struct storage *st, char *text)
{
	size_t lines = 1;

	for (const char *p = text; *p; p++)
		lines += *p == '\n';
	st->mounts = calloc(lines, sizeof(*st->mounts));
	if (!st->mounts) {
		st->hu->out_of_memory = true;
		return;
	}
	for (char *line = text, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (parse_mount_line(line, &st->mounts[st->n_mounts]))
			st->n_mounts++;
	}
}

/* The mount a file is on: the longest mount point that is a prefix of its path. */
static const struct mount *mount_of_file(const struct storage *st, const char *file)
{
	const struct mount *best = NULL;

	for (size_t i = 0; i < st->n_mounts; i++) {
		const struct mount *m = &st->mounts[i];
		size_t len = strlen(m->point);

		if (strncmp(file, m->point, len) == 0 &&
		    (file[len] == '/' || file[len] == '\0' || strcmp(m->point, "/") == 0) &&
		    (!best || strlen(best->point) <= len))
			best = m;
	}
	return best;
}

static bool block_exists(const struct storage *st, const char *name)
{
	char *path = strdup_printf("sys/class/block/%s", name);
	bool exists = path && !strchr(name, '/') && sysfs_exists(st->ctx, path) == 0;

	free(path);
	return exists;
}

/* Every dm device's dm/name, once (one that cannot be read names nothing, as before). */
static void read_dm_names(struct storage *st)
{
	char **names = NULL;
	size_t count = 0;

	st->dm_names_read = sysfs_list_dir(st->ctx, "sys/class/block", &names, &count);
	if (st->dm_names_read == 0)
		st->dm_names_read = 1;
	for (size_t i = 0; st->dm_names_read > 0 && i < count; i++) {
		char *dir, *dm = NULL, *copy;
		struct dm_name *bigger;

		if (strncmp(names[i], "dm-", 3) != 0)
			continue;
		dir = strdup_printf("sys/class/block/%s", names[i]);
		if (!dir || sysfs_read_attr(st->ctx, dir, "dm/name", &dm) < 0) {
			st->hu->out_of_memory = st->hu->out_of_memory || !dir;
			free(dir);
			free(dm);
			continue;
		}
		free(dir);
		copy = strdup(names[i]);
		bigger = copy ? reallocarray(st->dm_names, st->n_dm_names + 1, sizeof(*bigger))
			      : NULL;
		if (!bigger) {
			st->hu->out_of_memory = true;
			free(copy);
			free(dm);
			continue;
		}
		st->dm_names = bigger;
		st->dm_names[st->n_dm_names++] = (struct dm_name){ dm, copy };
	}
	strv_free(names, count);
}

/* The dm device named NAME (/dev/mapper/NAME), by its dm/name. */
static char *dm_by_name(struct storage *st, const char *name)
{
	if (!st->dm_names_read)
		read_dm_names(st);
	for (size_t i = 0; i < st->n_dm_names; i++)
		if (strcmp(st->dm_names[i].name, name) == 0)
			return strdup(st->dm_names[i].dm);
	return NULL;
}

/* A device path as mountinfo or swaps gives it (/dev/sda1, /dev/mapper/x, a /dev link). */
static char *block_of_dev_path(struct storage *st, const char *path)
{
	char target[4096];
	const char *rest = strncmp(path, "/dev/", 5) == 0 ? path + 5 : NULL;
	ssize_t n;

	if (!rest)
		return NULL;
	if (block_exists(st, rest))
		return strdup(rest);
	n = root_readlink(st->ctx, path + 1, target, sizeof(target) - 1);
	if (n > 0) {
		const char *base;

		target[n] = '\0';
		base = strrchr(target, '/') ? strrchr(target, '/') + 1 : target;
		if (block_exists(st, base))
			return strdup(base);
	}
	if (strncmp(rest, "mapper/", 7) == 0)
		return dm_by_name(st, rest + 7);
	return NULL;
}

static char *block_of_number(struct storage *st, unsigned int major, unsigned int minor)
{
	char link[32], *name = NULL;

	snprintf(link, sizeof(link), "%u:%u", major, minor);
	return host_use_link_basename(st->ctx, &st->dev_block, link, &name) == 0 ? name : NULL;
}

/* "dm-1 (LVM vg0-root)", "md0 (raid1)": what a stacked device is. */
static char *label(const struct storage *st, const char *name)
{
	char *dir = strdup_printf("sys/class/block/%s", name), *a = NULL, *b = NULL, *text;
	const char *kind = NULL;

	if (dir && sysfs_read_attr(st->ctx, dir, "dm/name", &a) >= 0) {
		sysfs_read_attr(st->ctx, dir, "dm/uuid", &b);
		kind = !b			      ? "device-mapper"
		       : strncmp(b, "CRYPT-", 6) == 0 ? "dm-crypt"
		       : strncmp(b, "LVM-", 4) == 0   ? "LVM"
		       : strncmp(b, "mpath-", 6) == 0 ? "multipath"
						      : "device-mapper";
		text = strdup_printf("%s (%s %s)", name, kind, a);
	} else if (dir && sysfs_read_attr(st->ctx, dir, "md/level", &a) >= 0)
		text = strdup_printf("%s (md %s)", name, a);
	else
		text = strdup(name);
	free(a);
	free(b);
	free(dir);
	return text;
}

static void walk_block(struct storage *st, const char *name, const char *suffix, int depth);

static void walk_below(struct storage *st, const char *name, const char *suffix, int depth)
{
	char *dir = strdup_printf("sys/class/block/%s/slaves", name), **names = NULL;
	char *lbl = label(st, name),
	     *below = lbl ? strdup_printf(", below %s%s", lbl, suffix) : NULL;
	size_t count = 0;
	int r = dir && below ? sysfs_list_dir(st->ctx, dir, &names, &count) : -ENOMEM;

	if (r == -ENOMEM)
		st->hu->out_of_memory = true;
	else if (r < 0 && r != -ENOENT)
		unknown(st, strdup_printf("the devices below %s cannot be listed (/%s: %s)", name,
					  dir, strerror(-r)));
	for (size_t i = 0; r == 0 && i < count; i++)
		walk_block(st, names[i], below, depth + 1);
	strv_free(names, count);
	free(below);
	free(lbl);
	free(dir);
}

/* A loop device's backing file lives on another filesystem: that one's disks too. */
static void walk_backing_file(struct storage *st, const char *name, const char *suffix, int depth)
{
	char *dir = strdup_printf("sys/class/block/%s", name), *file = NULL, *why;
	const struct mount *m;

	if (!dir || sysfs_read_attr(st->ctx, dir, "loop/backing_file", &file) < 0 || !*file) {
		free(file);
		free(dir);
		return;
	}
	m = mount_of_file(st, file);
	why = strdup_printf(", which holds %s, the backing file of %s%s", file, name, suffix);
	if (m && why)
		walk_mount(st, m, why, depth + 1);
	else if (why)
		unknown(st, strdup_printf("the filesystem holding %s, the backing file of %s, "
					  "cannot be found in /proc/self/mountinfo",
					  file, name));
	free(why);
	free(file);
	free(dir);
}

/* bcache: the caching device is not a slave of bcacheN, but its cache set names it. */
static void walk_bcache_cache(struct storage *st, const char *name, const char *suffix, int depth)
{
	char *dir = strdup_printf("sys/class/block/%s/bcache", name), *set = NULL, **names = NULL;
	char *why = strdup_printf(", the cache of %s%s", name, suffix);
	size_t count = 0;

	if (dir && why && sysfs_link_target(st->ctx, dir, "cache", &set) == 0 &&
	    sysfs_list_dir(st->ctx, set, &names, &count) == 0)
		for (size_t i = 0; i < count; i++) {
			char *cache = NULL, *slash;

			if (strncmp(names[i], "cache", 5) == 0 &&
			    sysfs_link_target(st->ctx, set, names[i], &cache) == 0 &&
			    (slash = strrchr(cache, '/'))) {
				*slash = '\0'; /* .../block/sdb/sdb1/bcache -> .../sdb1 */
				slash = strrchr(cache, '/');
				walk_block(st, slash ? slash + 1 : cache, why, depth + 1);
			}
			free(cache);
		}
	strv_free(names, count);
	free(set);
	free(why);
	free(dir);
}

/* "the iSCSI target of sda (session1)": the connection's address becomes a target. */
static void add_iscsi_target(struct storage *st, const char *name, const char *path,
			     const char *suffix)
{
	const char *session = strstr(path, "/session");
	unsigned int number;
	char **names = NULL, prefix[48], *address = NULL;
	size_t count = 0;

	if (!session || sscanf(session, "/session%u", &number) != 1)
		return;
	snprintf(prefix, sizeof(prefix), "connection%u:", number);
	if (sysfs_list_dir(st->ctx, "sys/class/iscsi_connection", &names, &count) == 0)
		for (size_t i = 0; i < count && !address; i++) {
			char *dir = strdup_printf("sys/class/iscsi_connection/%s", names[i]);

			if (dir && strncmp(names[i], prefix, strlen(prefix)) == 0 &&
			    sysfs_read_attr(st->ctx, dir, "persistent_address", &address) < 0 &&
			    sysfs_read_attr(st->ctx, dir, "address", &address) < 0)
				address = NULL;
			free(dir);
		}
	if (address)
		host_use_add_target(st->hu, address,
				    strdup_printf("the iSCSI target of %s (session%u)%s", name,
						  number, suffix));
	else
		host_use_unknown(st->hu, &st->hu->net_unknown,
				 strdup_printf("the address of session%u, the iSCSI session of %s, "
					       "cannot be read in /sys/class/iscsi_connection",
					       number, name));
	free(address);
	strv_free(names, count);
}

/*
 * Native NVMe multipath: the mounted disk (or its partition, one level deeper)
 * is the subsystem's (virtual), its paths are the controllers the subsystem
 * directory (.../nvme-subsystem/nvme-subsysN) links to.
 */
static void add_nvme_paths(struct storage *st, const char *disk, const char *path)
{
	static const char marker[] = "/nvme-subsystem/";
	const struct host_need *need = host_need_find(&st->hu->blocks, disk);
	char *subsys = strdup(path), *why = need ? strdup(need->why) : NULL, *slash = NULL,
	     *at = subsys ? strstr(subsys, marker) : NULL, **names = NULL;
	size_t count = 0;

	if (at)
		slash = strchr(at + strlen(marker), '/');
	if (!subsys || !why || !slash) {
		st->hu->out_of_memory = st->hu->out_of_memory || !subsys || !why;
		free(subsys);
		free(why);
		return;
	}
	*slash = '\0';
	if (sysfs_list_dir(st->ctx, subsys, &names, &count) == 0)
		for (size_t i = 0; i < count; i++) {
			unsigned int n;
			char end, *key = strdup_printf("%s via %s", disk, names[i]);
			struct host_need *added;

			if (sscanf(names[i], "nvme%u%c", &n, &end) != 1 || !key ||
			    !host_need_add(st->hu, &st->hu->blocks, key, strdup(why), 0)) {
				free(key);
				continue;
			}
			added = (struct host_need *)host_need_find(&st->hu->blocks, key);
			if (added && !added->path)
				sysfs_link_target(st->ctx, subsys, names[i], &added->path);
			free(key);
		}
	strv_free(names, count);
	free(subsys);
	free(why);
}

static void walk_block(struct storage *st, const char *name, const char *suffix, int depth)
{
	struct host_need *need;
	char *path = NULL;
	int r;

	if (depth > MAX_DEPTH || host_need_find(&st->hu->blocks, name) ||
	    !host_need_add(st->hu, &st->hu->blocks, name,
			   strdup_printf("it holds %s%s", name, suffix), 0))
		return;
	r = host_use_link_target(st->ctx, &st->class_block, name, &path);
	if (r < 0) {
		unknown(st, strdup_printf("%s, which the host uses, is not in /sys/class/block "
					  "(%s)",
					  name, strerror(-r)));
		return;
	}
	/* The set grows below: no pointer into it is kept across the walk. */
	need = (struct host_need *)host_need_find(&st->hu->blocks, name);
	need->path = strdup(path);
	if (!need->path)
		st->hu->out_of_memory = true;
	if (strstr(path, "/nvme-subsystem/"))
		add_nvme_paths(st, name, path);
	add_iscsi_target(st, name, path, suffix);
	walk_below(st, name, suffix, depth);
	walk_backing_file(st, name, suffix, depth);
	walk_bcache_cache(st, name, suffix, depth);
	free(path);
}

/* LINE is a whole line of TEXT (the last one has lost its newline in sysfs_read). */
static bool has_line(const char *text, const char *line)
{
	size_t len = strlen(line);

	for (const char *p = strstr(text, line); p; p = strstr(p + 1, line))
		if ((p == text || p[-1] == '\n') && (p[len] == '\n' || p[len] == '\0'))
			return true;
	return false;
}

/* udev's database: blkid's ID_FS_TYPE=zfs_member with the pool's name as ID_FS_LABEL. */
static void read_zfs_members(struct storage *st)
{
	char **names = NULL;
	size_t count = 0;

	st->zfs_read = sysfs_list_dir(st->ctx, "run/udev/data", &names, &count);
	for (size_t i = 0; st->zfs_read == 0 && i < count; i++) {
		char *path = strdup_printf("run/udev/data/%s", names[i]), *text = NULL, *label;
		unsigned int major, minor;
		struct zfs_member *bigger;

		if (names[i][0] == 'b' && sscanf(names[i], "b%u:%u", &major, &minor) == 2 && path &&
		    sysfs_read(st->ctx, path, &text) >= 0 &&
		    has_line(text, "E:ID_FS_TYPE=zfs_member") &&
		    (label = strstr(text, "E:ID_FS_LABEL=")) &&
		    (bigger = reallocarray(st->zfs, st->n_zfs + 1, sizeof(*bigger)))) {
			label += strlen("E:ID_FS_LABEL=");
			st->zfs = bigger;
			st->zfs[st->n_zfs].name = block_of_number(st, major, minor);
			st->zfs[st->n_zfs].pool = strndup(label, strcspn(label, "\n"));
			st->n_zfs++;
		}
		free(text);
		free(path);
	}
	strv_free(names, count);
	if (st->zfs_read == 0)
		st->zfs_read = 1;
}

static void walk_zfs(struct storage *st, const struct mount *m, const char *suffix, int depth)
{
	char *pool = strndup(m->source, strcspn(m->source, "/")), *why;
	bool found = false;

	if (!st->zfs_read)
		read_zfs_members(st);
	why = pool ? strdup_printf(", a member of the ZFS pool %s%s", pool, suffix) : NULL;
	for (size_t i = 0; why && st->zfs_read > 0 && i < st->n_zfs; i++)
		if (st->zfs[i].name && st->zfs[i].pool && strcmp(st->zfs[i].pool, pool) == 0) {
			walk_block(st, st->zfs[i].name, why, depth + 1);
			found = true;
		}
	if (!found && pool)
		unknown(st, strdup_printf("the disks of the ZFS pool %s (%s on %s) cannot be found "
					  "in udev's database (/run/udev/data%s%s)",
					  pool, m->source, m->point, st->zfs_read < 0 ? ": " : "",
					  st->zfs_read < 0 ? strerror(-st->zfs_read) : ""));
	free(why);
	free(pool);
}

/* Every btrfs's members, once: sys/fs/btrfs/FSID/devices for each FSID. */
static void read_btrfs(struct storage *st)
{
	st->btrfs_read = sysfs_list_dir(st->ctx, "sys/fs/btrfs", &st->btrfs_fsids, &st->n_btrfs);
	if (st->btrfs_read < 0)
		return;
	st->btrfs_read = 1;
	st->btrfs = calloc(st->n_btrfs ? st->n_btrfs : 1, sizeof(*st->btrfs));
	if (!st->btrfs) {
		st->hu->out_of_memory = true;
		return;
	}
	for (size_t i = 0; i < st->n_btrfs; i++) {
		char *dir = strdup_printf("sys/fs/btrfs/%s/devices", st->btrfs_fsids[i]);

		st->btrfs[i].listed = dir && sysfs_list_dir(st->ctx, dir, &st->btrfs[i].members,
							    &st->btrfs[i].n_members) == 0;
		free(dir);
	}
}

/* The members of the btrfs that SOURCE is a member of (the first such FSID), or NULL. */
static const struct btrfs_fs *btrfs_of(const struct storage *st, const char *source)
{
	for (size_t i = 0; st->btrfs && i < st->n_btrfs; i++)
		for (size_t k = 0; st->btrfs[i].listed && k < st->btrfs[i].n_members; k++)
			if (strcmp(st->btrfs[i].members[k], source) == 0)
				return &st->btrfs[i];
	return NULL;
}

/* A btrfs filesystem spans every device in /sys/fs/btrfs/FSID/devices; the source names one. */
static void walk_btrfs(struct storage *st, const struct mount *m, const char *suffix, int depth)
{
	char *source = block_of_dev_path(st, m->source);
	const struct btrfs_fs *fs = NULL;
	int r = -ENODEV;

	if (source) {
		if (!st->btrfs_read)
			read_btrfs(st);
		r = st->btrfs_read < 0 ? st->btrfs_read : 0;
		fs = btrfs_of(st, source);
	}
	if (source)
		walk_block(st, source, suffix, depth + 1);
	if (fs) {
		char *why =
			strdup_printf(", a member of the btrfs filesystem on %s%s", source, suffix);

		for (size_t k = 0; why && k < fs->n_members; k++)
			walk_block(st, fs->members[k], why, depth + 1);
		free(why);
	} else
		unknown(st, strdup_printf("the devices of the btrfs filesystem on %s (%s) cannot "
					  "be found%s%s",
					  m->point, m->source, r < 0 ? ": " : " in /sys/fs/btrfs",
					  r == -ENODEV ? "its source is no block device"
					  : r < 0      ? strerror(-r)
						       : ""));
	free(source);
}

static const char *network_storage(const char *fstype)
{
	static const char *const kinds[][2] = {
		{ "nfs", "the NFS server" },	{ "nfs4", "the NFS server" },
		{ "cifs", "the SMB server" },	{ "smb3", "the SMB server" },
		{ "ceph", "the Ceph monitor" }, { "glusterfs", "the GlusterFS server" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++)
		if (strcmp(fstype, kinds[i][0]) == 0 ||
		    (strncmp(fstype, "fuse.", 5) == 0 && strcmp(fstype + 5, kinds[i][0]) == 0))
			return kinds[i][1];
	return NULL;
}

/* The server: addr= (nfs, cifs) or the source's host part ("10.0.0.1:/srv", "//host/share"). */
static void add_server(struct storage *st, const struct mount *m, const char *kind,
		       const char *suffix)
{
	const char *addr = strstr(m->options, "addr=");
	char *server;

	if (addr && (addr == m->options || addr[-1] == ','))
		server = strndup(addr + 5, strcspn(addr + 5, ","));
	else {
		const char *s = m->source + strspn(m->source, "/");

		server = s[0] == '[' ? strndup(s + 1, strcspn(s + 1, "]"))
				     : strndup(s, strcspn(s, ":/,"));
	}
	if (server)
		host_use_add_target(st->hu, server,
				    strdup_printf("%s of %s (%s)%s", kind, m->point, m->source,
						  suffix));
	else
		st->hu->out_of_memory = true;
	free(server);
}

static void walk_mount(struct storage *st, const struct mount *m, const char *suffix, int depth)
{
	char *own = suffix ? NULL : strdup_printf(", which is mounted on %s", m->point), *name;
	const char *kind = network_storage(m->fstype);

	suffix = suffix ? suffix : own;
	if (!suffix || depth > MAX_DEPTH) {
		st->hu->out_of_memory = st->hu->out_of_memory || !suffix;
	} else if (kind) {
		add_server(st, m, kind, own ? "" : suffix); /* "the NFS server of /" says it all */
	} else if (strcmp(m->fstype, "zfs") == 0) {
		walk_zfs(st, m, suffix, depth);
	} else if (strcmp(m->fstype, "btrfs") == 0) {
		walk_btrfs(st, m, suffix, depth);
	} else if (m->major != 0) {
		/* Only anonymous superblocks (tmpfs, overlay) have major 0: this is a disk. */
		name = block_of_number(st, m->major, m->minor);
		if (name)
			walk_block(st, name, suffix, depth);
		else
			unknown(st, strdup_printf("the block device %u:%u, mounted on %s, is not "
						  "in "
						  "/sys/dev/block",
						  m->major, m->minor, m->point));
		free(name);
	}
	free(own);
}

/* /proc/swaps: "Filename Type Size Used Priority"; a partition or a file. */
static void walk_swaps(struct storage *st, char *text)
{
	for (char *line = strchr(text, '\n'); line && *++line;) {
		char file[4096], type[32], *name;
		const struct mount *m;

		if (sscanf(line, "%4095s %31s", file, type) == 2) {
			unescape_octal(file);
			if (strcmp(type, "file") == 0 && (m = mount_of_file(st, file))) {
				char *why = strdup_printf(", which holds the swap file %s", file);

				if (why)
					walk_mount(st, m, why, 1);
				free(why);
			} else if ((name = block_of_dev_path(st, file))) {
				walk_block(st, name, ", which is in use as swap", 0);
				free(name);
			} else
				unknown(st, strdup_printf("the device of the swap %s cannot be "
							  "found",
							  file));
		}
		line = strchr(line, '\n');
	}
}

static void read_or_unknown(struct storage *st, const char *path, bool optional, char **ret)
{
	int r = sysfs_read(st->ctx, path, ret);

	if (r == -ENOMEM)
		st->hu->out_of_memory = true;
	else if (r < 0 && !(optional && r == -ENOENT))
		unknown(st, strdup_printf("/%s, which says which disks the host uses, cannot be "
					  "read (%s)",
					  path, strerror(-r)));
	if (r < 0)
		*ret = NULL;
}

void host_use_read_storage(const struct iommugrp_ctx *ctx, struct host_use *hu)
{
	struct storage st = { .ctx = ctx,
			      .hu = hu,
			      .class_block = { "sys/class/block", -1, false },
			      .dev_block = { "sys/dev/block", -1, false } };
	char *mountinfo = NULL, *swaps = NULL;

	read_or_unknown(&st, "proc/self/mountinfo", false, &mountinfo);
	read_or_unknown(&st, "proc/swaps", true, &swaps);
	if (mountinfo)
		parse_mounts(&st, mountinfo);
	for (size_t i = 0; i < st.n_mounts; i++)
		walk_mount(&st, &st.mounts[i], NULL, 0);
	if (swaps)
		walk_swaps(&st, swaps);
	for (size_t i = 0; i < st.n_zfs; i++) {
		free(st.zfs[i].name);
		free(st.zfs[i].pool);
	}
	free(st.zfs);
	for (size_t i = 0; i < st.n_dm_names; i++) {
		free(st.dm_names[i].name);
		free(st.dm_names[i].dm);
	}
	free(st.dm_names);
	link_dir_close(&st.class_block);
	link_dir_close(&st.dev_block);
	for (size_t i = 0; st.btrfs && i < st.n_btrfs; i++)
		strv_free(st.btrfs[i].members, st.btrfs[i].n_members);
	free(st.btrfs);
	strv_free(st.btrfs_fsids, st.n_btrfs);
	free(st.mounts);
	free(mountinfo);
	free(swaps);
}
