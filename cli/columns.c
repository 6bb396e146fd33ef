/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The output columns: one registry serves the table, the tree, raw and JSON output. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"

struct column_info {
	const char *name;
	double width_hint;
	int flags;
	int json_type;
	const char *help;
};

static const struct column_info infos[COL_COUNT] = {
	[COL_NAME] = { "NAME", 14, SCOLS_FL_TREE | SCOLS_FL_NOEXTREMES, SCOLS_JSON_STRING,
		       "\"group N\" for a group, the device name for a device" },
	[COL_GROUP] = { "GROUP", 5, SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER, "IOMMU group number" },
	[COL_TYPE] = { "TYPE", 8, 0, SCOLS_JSON_STRING,
		       "group's DMA policy: default domain type (identity, DMA, DMA-FQ, ...)" },
	[COL_DEVICES] = { "DEVICES", 3, SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER,
			  "number of devices in the group" },
	[COL_VIABLE] = { "VIABLE", 3, 0, SCOLS_JSON_BOOLEAN_OPTIONAL, /* null: unknown */
			 "group: usable by VFIO now; device: does not block VFIO" },
	[COL_VFIO] = { "VFIO", 12, 0, SCOLS_JSON_STRING,
		       "why a device keeps the group viable or not: unbound, bridge, "
		       "driver-managed-dma, kernel-driver" },
	[COL_SUBSYSTEM] = { "SUBSYSTEM", 6, 0, SCOLS_JSON_STRING, "bus: pci, platform, ..." },
	[COL_CLASS] = { "CLASS", 0.15, SCOLS_FL_TRUNC, SCOLS_JSON_STRING,
			"device class name from the hwdb" },
	[COL_CLASSID] = { "CLASSID", 8, 0, SCOLS_JSON_STRING, "PCI class code (0x020000)" },
	[COL_ID] = { "ID", 9, 0, SCOLS_JSON_STRING, "PCI vendor:device IDs (8086:10d3)" },
	[COL_VENDOR] = { "VENDOR", 0.15, SCOLS_FL_TRUNC, SCOLS_JSON_STRING,
			 "vendor name from the hwdb" },
	[COL_MODEL] = { "MODEL", 0.25, SCOLS_FL_TRUNC, SCOLS_JSON_STRING,
			"model name from the hwdb" },
	[COL_DRIVER] = { "DRIVER", 8, 0, SCOLS_JSON_STRING, "bound driver (empty: unbound)" },
	[COL_OVERRIDE] = { "OVERRIDE", 8, 0, SCOLS_JSON_STRING, "driver_override, when set" },
	[COL_PATH] = { "PATH", 0.3, SCOLS_FL_NOEXTREMES, SCOLS_JSON_STRING, "sysfs path" },
	[COL_REASON] = { "REASON", 0.2, SCOLS_FL_TRUNC, SCOLS_JSON_STRING,
			 "why it is grouped (replayed kernel rule and its cause): isolated, "
			 "dma-alias, no-acs, multifunction, not-pci, ... (see 'iommugrp why')" },
};

static int column_by_name(const char *name, size_t len)
{
	for (int i = 0; i < COL_COUNT; i++)
		if (strlen(infos[i].name) == len && strncasecmp(infos[i].name, name, len) == 0)
			return i;
	return -1;
}

/* "A,B" replaces the defaults, "+A,B" adds to them (as lsblk does). */
int columns_parse(const char *spec, const struct column_set *defaults, struct column_set *ret_set)
{
	struct column_set set = { .count = 0, .hidden = -1 };
	const char *p = spec;

	if (!spec) {
		*ret_set = *defaults;
		return 0;
	}
	if (*p == '+') {
		set = *defaults;
		p++;
	}
	while (*p) {
		size_t len = strcspn(p, ",");
		int id = column_by_name(p, len);

		if (id < 0) {
			cli_error("unknown column '%.*s' (see --list-columns)", (int)len, p);
			return -EINVAL;
		}
		if (set.count >= COL_COUNT * 2) {
			cli_error("too many columns in '%s'", spec);
			return -EINVAL;
		}
		set.ids[set.count++] = (enum column_id)id;
		p += len;
		p += *p == ',';
	}
	if (set.count == 0) {
		cli_error("no columns in '%s'", spec);
		return -EINVAL;
	}
	*ret_set = set;
	return 0;
}

void columns_print_list(FILE *out)
{
	for (int i = 0; i < COL_COUNT; i++)
		fprintf(out, "%11s  %s\n", infos[i].name, infos[i].help);
}

int column_json_type(enum column_id id)
{
	return infos[id].json_type;
}

const char *column_name(enum column_id id)
{
	return infos[id].name;
}

/* The SCOLS_FL_* flags libsmartcols gets: the text table aligns and draws the tree by them. */
int column_flags(enum column_id id)
{
	return infos[id].flags;
}

/* Below 1 a fraction of the terminal's width, else an absolute width in cells. */
double column_width_hint(enum column_id id)
{
	return infos[id].width_hint;
}

/* JSON keys are the lower-case column names. */
static void set_json_key(struct libscols_column *cl, const char *name)
{
	char key[32];
	size_t k;

	for (k = 0; name[k] && k < sizeof(key) - 1; k++)
		key[k] = (char)tolower((unsigned char)name[k]);
	key[k] = '\0';
	scols_cell_set_data(scols_column_get_header(cl), key);
}

struct libscols_table *columns_new_table(const struct cli *cli, const struct column_set *set,
					 const char *json_name, bool tree)
{
	struct libscols_table *tb = scols_new_table();

	if (!tb)
		return NULL;
	scols_table_enable_json(tb, cli->json);
	scols_table_set_name(tb, json_name);
	scols_table_enable_raw(tb, cli->raw);
	scols_table_enable_noheadings(tb, cli->noheadings);
	scols_table_enable_colors(tb, cli_use_color(cli));
	for (size_t i = 0; i < set->count; i++) {
		const struct column_info *ci = &infos[set->ids[i]];
		int flags = ci->flags;
		struct libscols_column *cl;

		if (!tree)
			flags &= ~SCOLS_FL_TREE;
		if ((int)i == set->hidden)
			flags |= SCOLS_FL_HIDDEN;
		cl = scols_table_new_column(tb, ci->name, ci->width_hint, flags);
		if (!cl) {
			scols_unref_table(tb);
			return NULL;
		}
		scols_column_set_json_type(cl, ci->json_type);
		if (cli->json)
			set_json_key(cl, ci->name);
	}
	return tb;
}

/*
 * A cell's text: a string the library owns, a constant, one formatted into
 * scratch, or one allocated for the caller, who frees *owned (REASON's
 * sentences). NULL for an empty cell. The streaming writer prints it as it is;
 * libsmartcols gets a copy.
 */
const char *column_text(enum column_id id, struct iommugrp_group *group,
			struct iommugrp_device *device, char scratch[COLUMN_SCRATCH], char **owned)
{
	return device ? column_device_text(id, device, scratch, owned)
		      : column_group_text(id, group, scratch, owned);
}

const char *column_group_text(enum column_id id, struct iommugrp_group *group,
			      char scratch[COLUMN_SCRATCH], char **owned)
{
	const char *type;
	int n;

	switch (id) {
	case COL_NAME:
		snprintf(scratch, COLUMN_SCRATCH, "group %u", iommugrp_group_get_number(group));
		return scratch;
	case COL_GROUP:
		snprintf(scratch, COLUMN_SCRATCH, "%u", iommugrp_group_get_number(group));
		return scratch;
	case COL_TYPE:
		return iommugrp_group_get_type(group, &type) == 0 ? type : NULL;
	case COL_DEVICES:
		n = iommugrp_group_get_device_count(group);
		if (n < 0)
			return NULL;
		snprintf(scratch, COLUMN_SCRATCH, "%d", n);
		return scratch;
	case COL_VIABLE:
		n = iommugrp_group_check_viable(group);
		return n < 0 ? NULL : n ? "yes" : "no"; /* unknown: empty, JSON null */
	case COL_PATH:
		return iommugrp_group_get_syspath(group);
	case COL_REASON:
		return *owned = why_group_reason(group);
	default:
		return NULL;
	}
}

static const char *pci_text(enum column_id id, struct iommugrp_device *device,
			    char scratch[COLUMN_SCRATCH])
{
	uint16_t vendor, dev;
	uint32_t class_code;

	if (iommugrp_device_get_pci_ids(device, &vendor, &dev, &class_code) < 0)
		return NULL;
	if (id == COL_ID)
		snprintf(scratch, COLUMN_SCRATCH, "%04x:%04x", vendor, dev);
	else
		snprintf(scratch, COLUMN_SCRATCH, "0x%06x", class_code);
	return scratch;
}

const char *column_device_text(enum column_id id, struct iommugrp_device *device,
			       char scratch[COLUMN_SCRATCH], char **owned)
{
	enum iommugrp_vfio_state state;

	switch (id) {
	case COL_NAME:
		return iommugrp_device_get_name(device);
	case COL_GROUP:
		snprintf(scratch, COLUMN_SCRATCH, "%u",
			 iommugrp_group_get_number(iommugrp_device_get_group(device)));
		return scratch;
	case COL_VIABLE:
		if (iommugrp_device_read_vfio_state(device, &state) < 0)
			return NULL;
		return state == IOMMUGRP_VFIO_KERNEL_DRIVER ? "no" : "yes";
	case COL_VFIO:
		if (iommugrp_device_read_vfio_state(device, &state) < 0)
			return NULL;
		return iommugrp_vfio_state_to_string(state);
	case COL_SUBSYSTEM:
		return iommugrp_device_get_subsystem(device);
	case COL_CLASS:
		return iommugrp_device_get_class_name(device);
	case COL_CLASSID:
	case COL_ID:
		return pci_text(id, device, scratch);
	case COL_VENDOR:
		return iommugrp_device_get_vendor_name(device);
	case COL_MODEL:
		return iommugrp_device_get_model_name(device);
	case COL_DRIVER:
		return iommugrp_device_get_driver(device);
	case COL_OVERRIDE:
		return iommugrp_device_get_driver_override(device);
	case COL_PATH:
		return iommugrp_device_get_syspath(device);
	case COL_REASON:
		return *owned = why_device_reason(device);
	default:
		return NULL;
	}
}

static char *xstrdup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

char *column_group_value(enum column_id id, struct iommugrp_group *group)
{
	char scratch[COLUMN_SCRATCH], *owned = NULL;
	const char *text = column_group_text(id, group, scratch, &owned);

	return owned ? owned : xstrdup_or_null(text);
}

char *column_device_value(enum column_id id, struct iommugrp_device *device)
{
	char scratch[COLUMN_SCRATCH], *owned = NULL;
	const char *text = column_device_text(id, device, scratch, &owned);

	return owned ? owned : xstrdup_or_null(text);
}

static const char *cell_color(enum column_id id, const char *value, bool group_row)
{
	if (id == COL_VIABLE && value)
		return strcmp(value, "yes") == 0 ? "green" : "red";
	if (id == COL_NAME && group_row)
		return "bold";
	return NULL;
}

/* Fills a group row (device NULL) or a device row. */
void columns_fill_line(struct libscols_line *line, const struct column_set *set,
		       struct iommugrp_group *group, struct iommugrp_device *device)
{
	for (size_t i = 0; i < set->count; i++) {
		char *value = device ? column_device_value(set->ids[i], device)
				     : column_group_value(set->ids[i], group);
		const char *color = cell_color(set->ids[i], value, !device);

		if (color)
			scols_cell_set_color(scols_line_get_cell(line, i), color);
		if (value)
			scols_line_refer_data(line, i, value);
	}
}
