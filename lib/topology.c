/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The PCI topology as the kernel's grouping code sees it: every function's
 * upstream bridge, PCIe port type, ACS capability and control, multi-function
 * bit, read from sysfs and the `config` files. topology-replay.c replays
 * pci_device_group() on it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "topology.h"

#define PCI_DEVICES_DIR "sys/bus/pci/devices"
#define CONFIG_MAX 4096

static uint16_t cfg16(const uint8_t *cfg, unsigned int off)
{
	return (uint16_t)(cfg[off] | cfg[off + 1] << 8);
}

static uint32_t cfg32(const uint8_t *cfg, unsigned int off)
{
	return (uint32_t)cfg16(cfg, off) | (uint32_t)cfg16(cfg, off + 2) << 16;
}

/*
 * Reads up to 4096 bytes of `config`, which is binary (sysfs_read() would
 * strip a trailing 0x0a). Without CAP_SYS_ADMIN the kernel returns only the
 * first 64 bytes although the file's size says 256 or 4096: both are kept.
 */
static int read_config(const struct iommugrp_ctx *ctx, struct iommugrp_pci *pci, uint8_t *cfg)
{
	char *path = path_join(pci->syspath, "config");
	struct stat st;
	size_t len = 0;
	int fd;

	if (!path)
		return -ENOMEM;
	fd = root_open(ctx, path, O_RDONLY | O_NOCTTY, 0);
	free(path);
	if (fd < 0)
		return fd;
	if (fstat(fd, &st) == 0)
		pci->config_size = st.st_size > CONFIG_MAX ? CONFIG_MAX : (unsigned int)st.st_size;
	while (len < CONFIG_MAX) {
		ssize_t n = pread(fd, cfg + len, CONFIG_MAX - len, (off_t)len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	pci->config_read = (unsigned int)len;
	return 0;
}

/* The PCI Express capability in the standard list, or 0. */
static unsigned int find_pcie_cap(const uint8_t *cfg)
{
	unsigned int pos, ttl = 48;

	if (!(cfg16(cfg, 0x06) & 0x10)) /* status: capabilities list */
		return 0;
	for (pos = cfg[0x34] & 0xfc; pos >= 0x40 && pos < 0xff && ttl--; pos = cfg[pos + 1] & 0xfc)
		if (cfg[pos] == 0x10)
			return pos;
	return 0;
}

/* An extended capability (ACS is 0x000d) from 0x100 on, or 0. */
static unsigned int find_ext_cap(const uint8_t *cfg, unsigned int len, uint16_t id)
{
	unsigned int pos = 0x100, ttl = (CONFIG_MAX - 0x100) / 8;

	while (pos >= 0x100 && pos + 8 <= len && ttl--) {
		uint32_t header = cfg32(cfg, pos);

		if (header == 0 || header == 0xffffffff)
			return 0;
		if ((header & 0xffff) == id)
			return pos;
		pos = (header >> 20) & 0xffc;
	}
	return 0;
}

static void parse_capabilities(struct iommugrp_pci *pci, const uint8_t *cfg)
{
	unsigned int pos;

	pci->pcie_type = IOMMUGRP_PCIE_UNKNOWN;
	if (pci->config_read < 256)
		return; /* the capability list lies beyond what could be read */
	pos = find_pcie_cap(cfg);
	if (!pos) {
		pci->pcie_type = IOMMUGRP_PCIE_NONE;
		return;
	}
	pci->pcie_type = (cfg16(cfg, pos + 2) >> 4) & 0xf;
	/* A 256-byte config space read as root: the device has no extended space. */
	if (pci->config_size > 256 && pci->config_read < pci->config_size) {
		pci->ext_unreadable = 1;
		return;
	}
	pos = find_ext_cap(cfg, pci->config_read, 0x000d);
	if (pos) {
		pci->acs_pos = (uint16_t)pos;
		pci->acs_cap = cfg16(cfg, pos + 4);
		pci->acs_ctrl = cfg16(cfg, pos + 6);
		pci->acs_ctrl32 = pos + 12 <= pci->config_read ? cfg32(cfg, pos + 8) : 0;
	}
}

static void parse_header(struct iommugrp_pci *pci, const uint8_t *cfg)
{
	if (pci->config_read < 64)
		return;
	pci->vendor = cfg16(cfg, 0x00);
	pci->device = cfg16(cfg, 0x02);
	pci->header_type = cfg[0x0e];
	/*
	 * pci_scan_slot() marks functions 1-7 multi-function whatever their header
	 * says; SR-IOV VFs are not scanned so, and pci_iov_add_virtfn() clears it.
	 */
	pci->multifunction = (cfg[0x0e] & 0x80) || ((pci->name[11] - '0') > 0 && !pci->is_vf);
	if ((cfg[0x0e] & 0x7f) == 1 || (cfg[0x0e] & 0x7f) == 2) {
		pci->is_bridge = 1;
		pci->secondary_bus = cfg[0x19];
	}
	parse_capabilities(pci, cfg);
}

static bool vf_link_exists(const struct iommugrp_ctx *ctx, const struct iommugrp_pci *pci)
{
	char *path = path_join(pci->syspath, "physfn");
	bool exists = path && sysfs_exists(ctx, path) == 0;

	free(path);
	return exists;
}

static int load_function(struct topology *topo, struct iommugrp_pci *pci, uint8_t *cfg)
{
	struct iommugrp_ctx *ctx = topo->ctx;
	char *group = NULL;
	int r;

	memset(cfg, 0xff, CONFIG_MAX);
	pci->is_vf = vf_link_exists(ctx, pci);
	r = read_config(ctx, pci, cfg);
	if (r < 0) {
		pci->config_err = r;
		log_info(ctx, "/%s/config: %s", pci->syspath, strerror(-r));
	} else if (pci->config_read < 64) {
		pci->config_err = -EBADMSG;
		char *dir = path_join("", pci->syspath);

		if (dir)
			file_problem(ctx, -EBADMSG, dir, "config",
				     "only %u bytes, not a PCI header", pci->config_read);
		free(dir);
	} else {
		parse_header(pci, cfg);
	}
	if (sysfs_link_basename(ctx, pci->syspath, "iommu_group", &group) == 0 &&
	    parse_uint(group, &pci->group) == 0)
		pci->has_group = 1;
	free(group);
	return 0;
}

/* The upstream bridge is the parent directory when that is a PCI function. */
static void link_upstream(struct topology *topo, struct iommugrp_pci *pci)
{
	const char *slash = strrchr(pci->syspath, '/');
	const char *start;
	char parent[PCI_ADDRESS_MAX];
	size_t len;

	if (!slash)
		return;
	for (start = slash; start > pci->syspath && start[-1] != '/'; start--)
		;
	len = (size_t)(slash - start);
	if (len >= sizeof(parent))
		return;
	memcpy(parent, start, len);
	parent[len] = '\0';
	if (looks_like_pci_address(parent))
		pci->upstream = topology_find(topo, parent);
}

static int compare_pci(const void *a, const void *b)
{
	return strcmp((*(struct iommugrp_pci *const *)a)->name,
		      (*(struct iommugrp_pci *const *)b)->name);
}

static int add_function(struct topology *topo, const char *name)
{
	struct iommugrp_pci *pci;
	char *path = path_join(PCI_DEVICES_DIR, name);
	int r;

	if (!path)
		return -ENOMEM;
	pci = calloc(1, sizeof(*pci));
	if (!pci) {
		free(path);
		return -ENOMEM;
	}
	pci->topo = topo;
	snprintf(pci->name, sizeof(pci->name), "%s", name);
	r = sysfs_link_target(topo->ctx, PCI_DEVICES_DIR, name, &pci->syspath);
	free(path);
	if (r < 0) {
		file_problem(topo->ctx, r, "/" PCI_DEVICES_DIR, name, "%s", strerror(-r));
		free(pci);
		return 0; /* one broken link must not hide the others */
	}
	topo->pcis[topo->n_pcis++] = pci;
	return 0;
}

static int list_functions(struct topology *topo)
{
	char **names = NULL;
	size_t count = 0;
	int r = sysfs_list_dir(topo->ctx, PCI_DEVICES_DIR, &names, &count);

	if (r == -ENOENT)
		return 0; /* no PCI bus */
	if (r < 0) {
		problem(topo->ctx, r, "/" PCI_DEVICES_DIR, "cannot read /%s: %s", PCI_DEVICES_DIR,
			strerror(-r));
		return r;
	}
	topo->pcis = calloc(count ? count : 1, sizeof(*topo->pcis));
	r = topo->pcis ? 0 : -ENOMEM;
	for (size_t i = 0; r == 0 && i < count; i++)
		if (looks_like_pci_address(names[i]))
			r = add_function(topo, names[i]);
	strv_free(names, count);
	return r;
}

struct iommugrp_pci *topology_find(struct topology *topo, const char *name)
{
	struct iommugrp_pci key, *keyp = &key, **slot;

	snprintf(key.name, sizeof(key.name), "%s", name);
	slot = bsearch(&keyp, topo->pcis, topo->n_pcis, sizeof(*topo->pcis), compare_pci);
	return slot ? *slot : NULL;
}

/* Sorted, indexed, configs read, upstream links set: ready for the replay. */
static int topology_load(struct topology *topo)
{
	uint8_t *cfg;

	qsort(topo->pcis, topo->n_pcis, sizeof(*topo->pcis), compare_pci);
	for (size_t i = 0; i < topo->n_pcis; i++)
		topo->pcis[i]->index = i;
	cfg = malloc(CONFIG_MAX);
	if (!cfg)
		return -ENOMEM;
	for (size_t i = 0; i < topo->n_pcis; i++)
		load_function(topo, topo->pcis[i], cfg);
	free(cfg);
	for (size_t i = 0; i < topo->n_pcis; i++)
		link_upstream(topo, topo->pcis[i]);
	/* amd_sb quirk: only with an AMD IOMMU described by ACPI */
	topo->has_ivrs = sysfs_exists(topo->ctx, "sys/firmware/acpi/tables/IVRS") == 0;
	return topology_replay(topo);
}

static void topology_destroy(struct topology *topo)
{
	if (!topo)
		return;
	for (size_t i = 0; i < topo->n_pcis; i++) {
		free(topo->pcis[i]->syspath);
		free(topo->pcis[i]);
	}
	free(topo->pcis);
	free(topo->scope);
	free(topo);
}

void topology_free(struct iommugrp_ctx *ctx)
{
	free(ctx->acs_override);
	ctx->acs_override = NULL;
	topology_destroy(ctx->topology);
	ctx->topology = NULL;
	while (ctx->scoped_topology) {
		struct topology *next = ctx->scoped_topology->next;

		topology_destroy(ctx->scoped_topology);
		ctx->scoped_topology = next;
	}
}

int topology_get(struct iommugrp_ctx *ctx, struct topology **ret_topo)
{
	struct topology *topo;
	int r;

	if (ctx->topology) {
		*ret_topo = ctx->topology;
		return 0;
	}
	if (ctx->topology_err < 0)
		return ctx->topology_err;
	topo = calloc(1, sizeof(*topo));
	if (!topo)
		return -ENOMEM;
	topo->ctx = ctx;
	r = list_functions(topo);
	if (r == 0)
		r = topology_load(topo);
	if (r < 0) {
		topology_destroy(topo);
		ctx->topology_err = r;
		return r;
	}
	ctx->topology = topo;
	*ret_topo = topo;
	return 0;
}

/* -- the part of the topology one group's replay depends on ----------------------------- */

static int push_function(struct topology *topo, size_t *alloc, const char *name, const char *syspath)
{
	struct iommugrp_pci *pci;

	if (topo->n_pcis == *alloc) {
		size_t n = *alloc ? *alloc * 2 : 16;
		struct iommugrp_pci **bigger = realloc(topo->pcis, n * sizeof(*bigger));

		if (!bigger)
			return -ENOMEM;
		topo->pcis = bigger;
		*alloc = n;
	}
	pci = calloc(1, sizeof(*pci));
	if (!pci || !(pci->syspath = strdup(syspath))) {
		free(pci);
		return -ENOMEM;
	}
	pci->topo = topo;
	snprintf(pci->name, sizeof(pci->name), "%s", name);
	topo->pcis[topo->n_pcis++] = pci;
	return 0;
}

/* @dir and every PCI function below it (subdirectories named like PCI addresses). */
static int walk_subtree(struct topology *topo, size_t *alloc, const char *dir, const char *name)
{
	char **names = NULL;
	size_t count = 0;
	int r = push_function(topo, alloc, name, dir);

	if (r < 0 || sysfs_list_dir(topo->ctx, dir, &names, &count) < 0)
		return r;
	for (size_t i = 0; r == 0 && i < count; i++) {
		char *child;

		if (!looks_like_pci_address(names[i]))
			continue;
		child = path_join(dir, names[i]);
		r = child ? walk_subtree(topo, alloc, child, names[i]) : -ENOMEM;
		free(child);
	}
	strv_free(names, count);
	return r;
}

/*
 * The subtrees of the functions in one slot of a root bus: "sys/devices/pci0000:00"
 * and "0000:00:1c". A predicted group never reaches beyond them (its edges go to
 * upstream bridges and to functions of the same bus), so they decide the replay.
 */
static int walk_slot(struct topology *topo, size_t *alloc, const char *root, const char *slot)
{
	char **names = NULL;
	size_t count = 0;
	int r = sysfs_list_dir(topo->ctx, root, &names, &count);

	if (r < 0)
		return r;
	for (size_t i = 0; r == 0 && i < count; i++) {
		char *dir;

		if (!looks_like_pci_address(names[i]) || strncmp(names[i], slot, 10) != 0)
			continue;
		dir = path_join(root, names[i]);
		r = dir ? walk_subtree(topo, alloc, dir, names[i]) : -ENOMEM;
		free(dir);
	}
	strv_free(names, count);
	return r;
}

static bool looks_like_pci_address_prefix(const char *s)
{
	char address[16];

	snprintf(address, sizeof(address), "%.10s.0", s);
	return looks_like_pci_address(address);
}

/* "sys/devices/pci0000:00/0000:00:1c.0/..." -> root "sys/devices/pci0000:00", slot "0000:00:1c". */
static int slot_of(const char *syspath, char **ret_root, char slot[11])
{
	const char *top = strstr(syspath, "/pci");
	const char *start = top ? strchr(top + 1, '/') : NULL;

	if (!start || strlen(start + 1) < 10 || !looks_like_pci_address_prefix(start + 1))
		return -EINVAL;
	memcpy(slot, start + 1, 10);
	slot[10] = '\0';
	*ret_root = strndup(syspath, (size_t)(start - syspath));
	return *ret_root ? 0 : -ENOMEM;
}

static int walk_group_scope(struct topology *topo, struct iommugrp_group *group)
{
	struct iommugrp_device *d = NULL;
	size_t alloc = 0;
	int r = 0;

	while (r == 0 && (d = iommugrp_group_device_next(group, d))) {
		char slot[11], *root = NULL, *key;

		if (!iommugrp_device_is_pci(d) || slot_of(d->syspath, &root, slot) < 0) {
			free(root);
			continue;
		}
		key = strdup_printf("%s/%s;", root, slot);
		if (!key) {
			r = -ENOMEM;
		} else if (!topo->scope || !strstr(topo->scope, key)) {
			char *scope = strdup_printf("%s%s", topo->scope ? topo->scope : "", key);

			free(topo->scope);
			topo->scope = scope;
			r = scope ? walk_slot(topo, &alloc, root, slot) : -ENOMEM;
		}
		free(key);
		free(root);
	}
	return r;
}

/* A kept topology of the same root-bus slots as @scope, or NULL. */
static struct topology *find_scoped(struct iommugrp_ctx *ctx, const char *scope)
{
	for (struct topology *t = ctx->scoped_topology; t; t = t->next)
		if (scope && t->scope && strcmp(scope, t->scope) == 0)
			return t;
	return NULL;
}

/*
 * The topology @group's replay needs, read and replayed, unless the whole one
 * already is (iommugrp_topology_scan). Each is kept until the context goes,
 * so the functions handed out stay valid; groups of one slot share one.
 */
int topology_get_for_group(struct iommugrp_group *group, struct topology **ret_topo)
{
	struct iommugrp_ctx *ctx = group->ctx;
	struct topology *topo, *known;
	int r;

	if (ctx->topology)
		return topology_get(ctx, ret_topo);
	for (known = ctx->scoped_topology; known && known->for_group != group; known = known->next)
		;
	if (known) {
		*ret_topo = known;
		return 0;
	}
	topo = calloc(1, sizeof(*topo));
	if (!topo)
		return -ENOMEM;
	topo->ctx = ctx;
	r = walk_group_scope(topo, group);
	known = r == 0 ? find_scoped(ctx, topo->scope) : NULL;
	if (known) {
		topology_destroy(topo);
		known->for_group = group;
		*ret_topo = known;
		return 0;
	}
	if (r == 0)
		r = topology_load(topo);
	if (r < 0) {
		topology_destroy(topo);
		return r;
	}
	topo->for_group = group;
	topo->next = ctx->scoped_topology;
	ctx->scoped_topology = topo;
	*ret_topo = topo;
	return 0;
}
