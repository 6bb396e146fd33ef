/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Which devices each configuration entry means now, and what that asks of
 * their groups. Every entry acts on whole groups.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

/*
 * "sys/devices/pci0000:00/0000:00:03.0/0000:01:01.0" -> "0000:00/03.0/01.0" into @buf;
 * -ENODATA if not below a PCI host bridge, -ENAMETOOLONG if @size is short. No allocation:
 * matching runs it for every device.
 */
static int device_path_into(const struct iommugrp_device *device, char *buf, size_t size)
{
	const char *root = strstr(device->syspath, "/pci");
	unsigned long domain, bus;
	size_t used;
	char *end;
	int n;

	if (!root)
		return -ENODATA;
	domain = strtoul(root + 4, &end, 16);
	if (end == root + 4 || *end != ':')
		return -ENODATA;
	bus = strtoul(end + 1, &end, 16);
	if (*end != '/')
		return -ENODATA;
	n = snprintf(buf, size, "%04lx:%02lx", domain, bus);
	if (n < 0 || (size_t)n >= size)
		return -ENAMETOOLONG;
	used = (size_t)n;
	for (const char *p = end; *p == '/';) {
		const char *component = p + 1, *dot;
		size_t len = strcspn(component, "/");

		/* Each component is DDDD:BB:DD.F: keep DD.F, the part that does not move. */
		dot = memchr(component, '.', len);
		if (len < 7 || !dot || dot - component < 5 || dot[-3] != ':' ||
		    (size_t)(component + len - dot) != 2)
			return -ENODATA;
		if (used + 6 > size)
			return -ENAMETOOLONG;
		buf[used++] = '/';
		memcpy(buf + used, dot - 2, 4);
		used += 4;
		buf[used] = '\0';
		p = component + len;
	}
	return 0;
}

int config_device_path(const struct iommugrp_device *device, char **ret_path)
{
	char buf[CONFIG_PATH_MAX];
	int r = device_path_into(device, buf, sizeof(buf));

	if (r < 0)
		return r;
	*ret_path = strdup(buf);
	return *ret_path ? 0 : -ENOMEM;
}

EXPORT int iommugrp_config_device_path(struct iommugrp_device *device, char **ret_path)
{
	return config_device_path(device, ret_path);
}

/* @path: the device's path if the caller has it already (matching every entry), else NULL. */
static bool path_matches(const struct config_entry *e, struct iommugrp_device *d, const char *path)
{
	char buf[CONFIG_PATH_MAX];

	if (!path && device_path_into(d, buf, sizeof(buf)) < 0)
		return false;
	return strcmp(path ? path : buf, e->path) == 0;
}

static int read_hex_attr(struct iommugrp_device *d, const char *attr, uint32_t *ret_value)
{
	char *text = NULL;
	int r = sysfs_read_attr(d->group->ctx, d->syspath, attr, &text);

	if (r >= 0)
		r = parse_hex_u32(text, 0xffff, ret_value);
	free(text);
	return r;
}

static bool subsystem_matches(const struct config_entry *e, struct iommugrp_device *d)
{
	uint32_t vendor, device;

	return read_hex_attr(d, "subsystem_vendor", &vendor) == 0 &&
	       read_hex_attr(d, "subsystem_device", &device) == 0 && vendor == e->sub_vendor &&
	       device == e->sub_device;
}

/* The slot's address ("0000:01:00") names a bus and device; every function of it is in the slot. */
static bool slot_matches(struct iommugrp_ctx *ctx, struct config_entry *e, struct iommugrp_device *d)
{
	size_t len;

	if (!e->slot_loaded) {
		char *dir = path_join("sys/bus/pci/slots", e->slot);

		e->slot_loaded = true;
		if (!dir || sysfs_read_attr(ctx, dir, "address", &e->slot_address) < 0) {
			free(e->slot_address);
			e->slot_address = NULL;
		}
		free(dir);
	}
	if (!e->slot_address)
		return false;
	len = strlen(e->slot_address);
	return strncmp(d->name, e->slot_address, len) == 0 && d->name[len] == '.';
}

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The Device Serial Number: extended capability 3 in the 4 KiB config space. -ENODATA: none. */
static int read_serial(struct iommugrp_device *d, uint64_t *ret_serial)
{
	char *config = NULL, *path = path_join(d->syspath, "config");
	const unsigned char *c;
	size_t len = 0, offset = 0x100;
	int r = path ? sysfs_read_raw(d->group->ctx, path, 4096, &config, &len, NULL) : -ENOMEM;

	free(path);
	if (r < 0)
		return r;
	c = (const unsigned char *)config;
	r = -ENODATA;
	/* At most 1024 capabilities fit; a loop in the list must not hang us. */
	for (int hops = 0; hops < 1024 && offset >= 0x100 && offset + 4 <= len; hops++) {
		uint32_t header = le32(c + offset);

		if (header == 0 || header == 0xffffffffu)
			break;
		if ((header & 0xffff) == 0x0003 && offset + 12 <= len) {
			*ret_serial = (uint64_t)le32(c + offset + 8) << 32 | le32(c + offset + 4);
			r = 0;
			break;
		}
		offset = (header >> 20) & 0xffc;
	}
	free(config);
	return r;
}

static bool serial_matches(const struct config_entry *e, struct iommugrp_device *d)
{
	uint64_t serial;

	if (e->has_function && d->name[strlen(d->name) - 1] - '0' != (int)e->function)
		return false;
	return read_serial(d, &serial) == 0 && serial == e->serial;
}

/* Cheap selectors first: names and IDs already read, then files (subsystem, slot, config). */
int config_entry_matches(struct iommugrp_config *config, const struct config_entry *e,
			 struct iommugrp_device *d, const char *path)
{
	uint16_t vendor, device;
	uint32_t class_code;

	if (!iommugrp_device_is_pci(d))
		return 0;
	if (e->address && strcmp(e->address, d->name) != 0)
		return 0;
	if (e->path && !path_matches(e, d, path))
		return 0;
	if (e->has_id && (iommugrp_device_get_pci_ids(d, &vendor, &device, &class_code) < 0 ||
			  vendor != e->vendor || device != e->device))
		return 0;
	if (e->slot && !slot_matches(config->ctx, (struct config_entry *)e, d))
		return 0;
	if (e->has_subsystem && !subsystem_matches(e, d))
		return 0;
	if (e->has_serial && !serial_matches(e, d))
		return 0;
	return 1;
}

static int entry_add_match(struct config_entry *e, struct iommugrp_device *d)
{
	struct iommugrp_device **bigger = realloc(e->matches, (e->n_matches + 1) * sizeof(*bigger));

	if (!bigger)
		return -ENOMEM;
	e->matches = bigger;
	e->matches[e->n_matches++] = iommugrp_device_ref(d);
	return 0;
}

static int refuse_ambiguous(struct config_entry *e)
{
	size_t size = 0;
	FILE *f = open_memstream(&e->refusal, &size);

	if (!f)
		return -ENOMEM;
	fprintf(f, "%s:%u matches %zu devices (", e->file, e->line, e->n_matches);
	for (size_t i = 0; i < e->n_matches; i++)
		fprintf(f, "%s%s", i ? ", " : "", e->matches[i]->name);
	fprintf(f, ") and has no multiple=yes: the entry is refused; narrow it with path= or "
		   "slot=, or add multiple=yes");
	return fclose(f) == 0 && e->refusal ? 0 : -ENOMEM;
}

static struct config_group *find_or_add_group(struct iommugrp_config *config,
					      struct iommugrp_group *group)
{
	struct config_group *bigger, *g;

	for (size_t i = 0; i < config->n_groups; i++)
		if (config->groups[i].group == group)
			return &config->groups[i];
	bigger = realloc(config->groups, (config->n_groups + 1) * sizeof(*bigger));
	if (!bigger)
		return NULL;
	config->groups = bigger;
	g = &config->groups[config->n_groups++];
	memset(g, 0, sizeof(*g));
	g->group = iommugrp_group_ref(group);
	g->policy = -1;
	return g;
}

static int group_add_entry(struct config_group *g, size_t entry)
{
	size_t *bigger;

	for (size_t i = 0; i < g->n_entries; i++)
		if (g->entries[i] == entry)
			return 0;
	bigger = realloc(g->entries, (g->n_entries + 1) * sizeof(*bigger));
	if (!bigger)
		return -ENOMEM;
	g->entries = bigger;
	g->entries[g->n_entries++] = entry;
	return 0;
}

static bool same_or_unset(const char *a, const char *b)
{
	return !a || !b || strcmp(a, b) == 0;
}

/* Two entries disagreeing about one group: the group is refused, and both are named. */
static int refuse_conflict(struct config_group *g, const struct config_entry *a,
			   const struct config_entry *b, const char *what, const char *va,
			   const char *vb)
{
	char *reason = strdup_printf("%s:%u says %s=%s but %s:%u says %s=%s: group %u is refused",
				     a->file, a->line, what, va, b->file, b->line, what, vb,
				     g->group->number);
	char *joined = reason && g->refusal ? strdup_printf("%s\n%s", g->refusal, reason) : NULL;

	if (!reason)
		return -ENOMEM;
	if (g->refusal) {
		free(reason);
		if (!joined)
			return -ENOMEM;
		free(g->refusal);
		reason = joined;
	}
	g->refusal = reason;
	return 0;
}

static int merge_names(struct config_group *g, const struct config_entry *first,
		       const struct config_entry *e, char **slot, const char *value,
		       const char *what)
{
	if (!value)
		return 0;
	if (!*slot) {
		*slot = strdup(value);
		return *slot ? 0 : -ENOMEM;
	}
	return same_or_unset(*slot, value) ? 0 : refuse_conflict(g, first, e, what, *slot, value);
}

/* force=yes counts only when every vfio entry of the group says it; fallback=none when any does. */
static int aggregate_group(struct iommugrp_config *config, struct config_group *g)
{
	const struct config_entry *policy_from = NULL, *user_from = NULL, *group_from = NULL;
	bool all_force = true;
	size_t size = 0;
	FILE *f = open_memstream(&g->entries_text, &size);
	int r = f ? 0 : -ENOMEM;

	for (size_t i = 0; r == 0 && i < g->n_entries; i++) {
		const struct config_entry *e = &config->entries[g->entries[i]];

		fprintf(f, "%s%s:%u", i ? ", " : "", e->file, e->line);
		g->vfio |= e->vfio;
		if (e->vfio && !e->force)
			all_force = false;
		if (e->fallback == FALLBACK_NONE)
			g->flags |= IOMMUGRP_CONFIG_FALLBACK_NONE;
		if (e->policy >= 0 && g->policy >= 0 && e->policy != g->policy)
			r = refuse_conflict(g, policy_from, e, "policy",
					    iommugrp_policy_to_string(g->policy),
					    iommugrp_policy_to_string(e->policy));
		else if (e->policy >= 0 && !policy_from) {
			g->policy = e->policy;
			policy_from = e;
		}
		if (r == 0)
			r = merge_names(g, user_from ? user_from : e, e, &g->user, e->user, "user");
		if (e->user && !user_from)
			user_from = e;
		if (r == 0)
			r = merge_names(g, group_from ? group_from : e, e, &g->owner_group,
					e->owner_group, "group");
		if (e->owner_group && !group_from)
			group_from = e;
	}
	if (f && fclose(f) != 0)
		r = -ENOMEM;
	if (r == 0 && !g->entries_text)
		r = -ENOMEM;
	if (g->vfio && all_force)
		g->flags |= IOMMUGRP_CONFIG_FORCE;
	return r;
}

static int compare_groups(const void *a, const void *b)
{
	const struct config_group *ga = a, *gb = b;

	return ga->group->number < gb->group->number ? -1 : ga->group->number > gb->group->number;
}

static int match_all_devices(struct iommugrp_config *config)
{
	struct iommugrp_group *group = NULL;
	int r = 0;

	while (r == 0 && (group = iommugrp_group_next(config->ctx, group))) {
		struct iommugrp_device *d = NULL;

		while (r == 0 && (d = iommugrp_group_device_next(group, d))) {
			char path[CONFIG_PATH_MAX];
			bool has_path = device_path_into(d, path, sizeof(path)) == 0;

			if (!has_path)
				strcpy(path, "-"); /* matches no path= */
			for (size_t i = 0; r == 0 && i < config->n_entries; i++)
				if (config_entry_matches(config, &config->entries[i], d, path))
					r = entry_add_match(&config->entries[i], d);
		}
	}
	return r;
}

static int build_groups(struct iommugrp_config *config)
{
	int r = 0;

	for (size_t i = 0; r == 0 && i < config->n_entries; i++) {
		struct config_entry *e = &config->entries[i];

		if (e->n_matches > 1 && !e->multiple) {
			r = refuse_ambiguous(e);
			continue;
		}
		for (size_t k = 0; r == 0 && k < e->n_matches; k++) {
			struct config_group *g = find_or_add_group(config, e->matches[k]->group);

			r = g ? group_add_entry(g, i) : -ENOMEM;
		}
	}
	for (size_t i = 0; r == 0 && i < config->n_groups; i++)
		r = aggregate_group(config, &config->groups[i]);
	if (r == 0 && config->n_groups > 1)
		qsort(config->groups, config->n_groups, sizeof(*config->groups), compare_groups);
	return r;
}

EXPORT int iommugrp_config_resolve(struct iommugrp_config *config)
{
	int r;

	if (config->resolved)
		return config->resolve_err;
	r = iommugrp_scan(config->ctx);
	if (r >= 0)
		r = match_all_devices(config);
	if (r >= 0)
		r = build_groups(config);
	config->resolved = true;
	config->resolve_err = r < 0 ? r : 0;
	return config->resolve_err;
}

EXPORT unsigned int iommugrp_config_entry_get_match_count(const struct iommugrp_config *config,
							  unsigned int index)
{
	return index < config->n_entries ? (unsigned int)config->entries[index].n_matches : 0;
}

EXPORT struct iommugrp_device *iommugrp_config_entry_get_match(const struct iommugrp_config *config,
							       unsigned int index,
							       unsigned int match)
{
	if (index >= config->n_entries || match >= config->entries[index].n_matches)
		return NULL;
	return config->entries[index].matches[match];
}

EXPORT const char *iommugrp_config_entry_get_refusal(const struct iommugrp_config *config,
						     unsigned int index)
{
	return index < config->n_entries ? config->entries[index].refusal : NULL;
}

EXPORT bool iommugrp_config_entry_matches(struct iommugrp_config *config, unsigned int index,
					  struct iommugrp_device *device)
{
	return index < config->n_entries && device &&
	       config_entry_matches(config, &config->entries[index], device, NULL) > 0;
}

EXPORT unsigned int iommugrp_config_get_group_count(const struct iommugrp_config *config)
{
	return (unsigned int)config->n_groups;
}

static const struct config_group *group_at(const struct iommugrp_config *config, unsigned int index)
{
	return index < config->n_groups ? &config->groups[index] : NULL;
}

EXPORT struct iommugrp_group *iommugrp_config_get_group(const struct iommugrp_config *config,
							unsigned int index)
{
	const struct config_group *g = group_at(config, index);

	return g ? g->group : NULL;
}

EXPORT int iommugrp_config_find_group(const struct iommugrp_config *config, unsigned int number)
{
	for (size_t i = 0; i < config->n_groups; i++)
		if (config->groups[i].group->number == number)
			return (int)i;
	return -ENOENT;
}

EXPORT const char *iommugrp_config_group_get_entries(const struct iommugrp_config *config,
						     unsigned int index)
{
	const struct config_group *g = group_at(config, index);

	return g ? g->entries_text : NULL;
}

EXPORT bool iommugrp_config_group_wants_vfio(const struct iommugrp_config *config,
					     unsigned int index)
{
	const struct config_group *g = group_at(config, index);

	return g && g->vfio;
}

EXPORT int iommugrp_config_group_get_policy(const struct iommugrp_config *config,
					    unsigned int index, enum iommugrp_policy *ret_policy)
{
	const struct config_group *g = group_at(config, index);

	if (!g)
		return -ERANGE;
	if (g->policy < 0)
		return -ENODATA;
	*ret_policy = (enum iommugrp_policy)g->policy;
	return 0;
}

EXPORT const char *iommugrp_config_group_get_user(const struct iommugrp_config *config,
						  unsigned int index)
{
	const struct config_group *g = group_at(config, index);

	return g ? g->user : NULL;
}

EXPORT const char *iommugrp_config_group_get_owner_group(const struct iommugrp_config *config,
							 unsigned int index)
{
	const struct config_group *g = group_at(config, index);

	return g ? g->owner_group : NULL;
}

EXPORT unsigned int iommugrp_config_group_get_flags(const struct iommugrp_config *config,
						    unsigned int index)
{
	const struct config_group *g = group_at(config, index);

	return g ? g->flags : 0;
}

EXPORT const char *iommugrp_config_group_get_refusal(const struct iommugrp_config *config,
						     unsigned int index)
{
	const struct config_group *g = group_at(config, index);

	return g ? g->refusal : NULL;
}
