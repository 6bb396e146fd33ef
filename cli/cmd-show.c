/* SPDX-License-Identifier: GPL-2.0-or-later */
/* iommugrp show TARGET: one group in full: devices, viability, reserved regions. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "boot.h"

static const struct column_set show_defaults = {
	{ COL_NAME, COL_ID, COL_CLASS, COL_DRIVER, COL_OVERRIDE, COL_VFIO }, 6, -1
};

/* Device fields in JSON: the list columns that describe a device. */
static const enum column_id json_device_columns[] = {
	COL_NAME,  COL_SUBSYSTEM, COL_ID,	COL_CLASSID, COL_CLASS, COL_VENDOR,
	COL_MODEL, COL_DRIVER,	  COL_OVERRIDE, COL_VFIO,    COL_PATH,	COL_REASON,
};

static const char *const json_device_keys[] = {
	"name",	 "subsystem", "id",	  "classid", "class", "vendor",
	"model", "driver",    "override", "vfio",    "path",  "reason",
};

static void explain_device(FILE *out, struct iommugrp_device *device)
{
	const char *name = iommugrp_device_get_name(device);
	const char *driver = iommugrp_device_get_driver(device);
	enum iommugrp_vfio_state state;

	if (iommugrp_device_read_vfio_state(device, &state) < 0) {
		fprintf(out, "  %s: its driver or bridge state cannot be read: viability unknown\n",
			name);
		return;
	}
	switch (state) {
	case IOMMUGRP_VFIO_UNBOUND:
		fprintf(out, "  %s: no driver: keeps the group viable\n", name);
		break;
	case IOMMUGRP_VFIO_BRIDGE:
		fprintf(out, "  %s: bridge (%s): stays on the host, keeps the group viable\n", name,
			driver ? driver : "no driver");
		break;
	case IOMMUGRP_VFIO_MANAGED_DMA:
		fprintf(out,
			"  %s: %s manages DMA itself (driver_managed_dma): keeps the group "
			"viable\n",
			name, driver);
		break;
	case IOMMUGRP_VFIO_KERNEL_DRIVER:
		fprintf(out,
			"  %s: bound to %s, a kernel driver that owns the group's DMA: "
			"NOT viable until it is unbound\n",
			name, driver);
		break;
	}
}

/* What the host runs on it: changing commands refuse it without --force. */
static void explain_host_use(FILE *out, struct iommugrp_device *device)
{
	const char *why;

	if (iommugrp_device_get_host_use(device, &why) > 0)
		fprintf(out, "  %s: needed by the host: %s\n", iommugrp_device_get_name(device),
			why);
}

static void print_users_text(struct iommugrp_group *group)
{
	int n = iommugrp_group_get_user_count(group);

	if (n <= 0) {
		printf("  users:   %s\n", n == 0 ? "none" : "unknown (cannot read /proc)");
		return;
	}
	for (int i = 0; i < n; i++) {
		const char *comm, *file;
		unsigned int pid;

		iommugrp_group_get_user(group, (unsigned)i, &pid, &comm, &file);
		printf("  %s process %u (%s) holds %s open\n", i ? "        " : "users:  ", pid,
		       comm, file);
	}
}

static void json_users(struct json *j, struct iommugrp_group *group)
{
	int n = iommugrp_group_get_user_count(group);

	json_array_begin(j, "users");
	for (int i = 0; i < n; i++) {
		const char *comm, *file;
		unsigned int pid;

		iommugrp_group_get_user(group, (unsigned)i, &pid, &comm, &file);
		json_object_begin(j, NULL);
		json_uint(j, "pid", pid);
		json_string(j, "command", comm);
		json_string(j, "file", file);
		json_object_end(j);
	}
	json_array_end(j);
}

static void print_regions_text(FILE *out, struct iommugrp_group *group)
{
	int n = iommugrp_group_get_region_count(group);

	if (n < 0) {
		fprintf(out, "\nReserved regions: unreadable\n");
		return;
	}
	fprintf(out, "\nReserved regions:%s\n", n == 0 ? " none" : "");
	for (int i = 0; i < n; i++) {
		enum iommugrp_region_type type;
		uint64_t start, end;

		iommugrp_group_get_region(group, (unsigned)i, &start, &end, &type);
		fprintf(out, "  0x%016" PRIx64 "-0x%016" PRIx64 " %s%s\n", start, end,
			iommugrp_region_type_to_string(type),
			type == IOMMUGRP_REGION_DIRECT ? " (RMRR: firmware DMA; since 6.6 the "
							 "kernel refuses VFIO for this group)"
						       : "");
	}
}

static const char *viable_word(int viable)
{
	return viable < 0 ? "unknown (unreadable)" : viable ? "yes" : "no";
}

/* JSON: true, false, or null when it cannot be read. */
static void json_viable(struct json *j, int viable)
{
	if (viable < 0)
		json_string(j, "viable", NULL);
	else
		json_bool(j, "viable", viable);
}

/* Which configuration entries govern the group, and what the boot pass did with it. */
static void print_config_text(struct cli *cli, struct iommugrp_group *group)
{
	bool refused;
	char *entries = config_entries_for_group(cli->ctx, group, &refused);
	char *boot = boot_group_summary(cli->ctx, iommugrp_group_get_number(group));

	if (refused)
		printf("  config:  the configuration is refused (see iommugrp check-config)\n");
	else if (entries)
		printf("  config:  %s\n", entries);
	if (boot)
		printf("  boot:    %s\n", boot);
	free(entries);
	free(boot);
}

static int print_text(struct cli *cli, const struct column_set *set, struct iommugrp_group *group,
		      struct iommugrp_device *named)
{
	const char *type = NULL, *name = iommugrp_group_get_name(group);
	struct iommugrp_device *device = NULL;
	struct libscols_table *tb;
	int ndev = iommugrp_group_get_device_count(group);

	printf("group %u\n", iommugrp_group_get_number(group));
	printf("  path:    %s\n", iommugrp_group_get_syspath(group));
	if (iommugrp_group_get_type(group, &type) < 0)
		type = "unknown (unreadable)";
	printf("  type:    %s\n", type);
	if (name)
		printf("  name:    %s\n", name);
	if (iommugrp_group_get_dma_owner(group))
		printf("  dma owner: %s\n", iommugrp_group_get_dma_owner(group));
	printf("  devices: %d\n", ndev < 0 ? 0 : ndev);
	if (named && ndev > 1)
		printf("  note:    %s is one of %d devices in this group; the group is the unit "
		       "of isolation\n",
		       iommugrp_device_get_name(named), ndev);
	print_users_text(group);
	why_print_summary(stdout, group);
	printf("  viable:  %s\n", viable_word(iommugrp_group_check_viable(group)));
	print_config_text(cli, group);
	while ((device = iommugrp_group_device_next(group, device))) {
		explain_device(stdout, device);
		explain_host_use(stdout, device);
	}
	putchar('\n');
	tb = columns_new_table(cli, set, "devices", false);
	if (!tb)
		return EXIT_ERROR;
	while ((device = iommugrp_group_device_next(group, device)))
		columns_fill_line(scols_table_new_line(tb, NULL), set, group, device);
	scols_print_table(tb);
	scols_unref_table(tb);
	print_regions_text(stdout, group);
	return EXIT_OK;
}

static void json_device(struct json *j, struct iommugrp_device *device)
{
	json_object_begin(j, NULL);
	for (size_t i = 0; i < ARRAY_SIZE(json_device_keys); i++) {
		char *value = column_device_value(json_device_columns[i], device);

		json_string(j, json_device_keys[i], value);
		free(value);
	}
	enum iommugrp_vfio_state state;
	int r = iommugrp_device_read_vfio_state(device, &state);

	json_viable(j, r < 0 ? r : state != IOMMUGRP_VFIO_KERNEL_DRIVER);
	{
		const char *why = NULL;

		iommugrp_device_get_host_use(device, &why);
		json_string(j, "host_use", why);
	}
	json_object_end(j);
}

static void json_regions(struct json *j, struct iommugrp_group *group)
{
	int n = iommugrp_group_get_region_count(group);

	json_array_begin(j, "reserved_regions");
	for (int i = 0; i < n; i++) {
		enum iommugrp_region_type type;
		uint64_t start, end;
		char buf[24];

		iommugrp_group_get_region(group, (unsigned)i, &start, &end, &type);
		json_object_begin(j, NULL);
		snprintf(buf, sizeof(buf), "0x%016" PRIx64, start);
		json_string(j, "start", buf);
		snprintf(buf, sizeof(buf), "0x%016" PRIx64, end);
		json_string(j, "end", buf);
		json_string(j, "type", iommugrp_region_type_to_string(type));
		json_object_end(j);
	}
	json_array_end(j);
}

static void json_config(struct cli *cli, struct json *j, struct iommugrp_group *group)
{
	bool refused;
	char *entries = config_entries_for_group(cli->ctx, group, &refused);
	char *boot = boot_group_summary(cli->ctx, iommugrp_group_get_number(group));

	json_string(j, "config_entries", entries);
	json_bool(j, "config_refused", refused);
	json_string(j, "boot", boot);
	free(entries);
	free(boot);
}

static int print_json(struct cli *cli, struct iommugrp_group *group, struct iommugrp_device *named)
{
	struct iommugrp_device *device = NULL;
	const char *type = NULL;
	struct json j;

	json_begin(&j, stdout);
	json_object_begin(&j, "iommugroup");
	json_uint(&j, "group", iommugrp_group_get_number(group));
	json_string(&j, "path", iommugrp_group_get_syspath(group));
	json_string(&j, "type", iommugrp_group_get_type(group, &type) == 0 ? type : NULL);
	json_string(&j, "name", iommugrp_group_get_name(group));
	json_string(&j, "dma_owner", iommugrp_group_get_dma_owner(group));
	json_string(&j, "target", named ? iommugrp_device_get_name(named) : NULL);
	json_viable(&j, iommugrp_group_check_viable(group));
	json_string(&j, "replay", iommugrp_replay_to_string(iommugrp_group_get_replay(group)));
	{
		char *reason = why_group_reason(group);

		json_string(&j, "reason", reason);
		free(reason);
	}
	json_array_begin(&j, "devices");
	while ((device = iommugrp_group_device_next(group, device)))
		json_device(&j, device);
	json_array_end(&j);
	json_regions(&j, group);
	json_users(&j, group);
	json_config(cli, &j, group);
	json_object_end(&j);
	json_end(&j);
	return EXIT_OK;
}

int cmd_show(struct cli *cli, int argc, char **argv)
{
	const struct command_spec spec = {
		.args_doc = "TARGET",
		.doc = "Show everything about the IOMMU group holding TARGET.\v"
		       "TARGET: a group number, PCI address, device name or sysfs path.\n"
		       "-o selects the device table's columns; default "
		       "NAME,ID,CLASS,DRIVER,OVERRIDE,VFIO.",
		.min_args = 1,
		.max_args = 1,
		.cli = cli,
	};
	struct iommugrp_group *group = NULL;
	struct iommugrp_device *named = NULL;
	struct column_set set;
	char **args;
	int count, r, status;

	if (cli_parse(&spec, argc, argv, &args, &count) < 0)
		return EXIT_ERROR;
	if (cli->list_columns) {
		free(args);
		columns_print_list(stdout);
		return EXIT_OK;
	}
	status = columns_parse(cli->columns, &show_defaults, &set) < 0 ? EXIT_USAGE
								       : cli_open_context(cli);
	if (status == EXIT_OK) {
		r = iommugrp_group_new_from_target(cli->ctx, args[0], &group, &named);
		if (r < 0)
			status = cli_target_error(cli, args[0], r);
	}
	if (status == EXIT_OK)
		status = cli->json ? print_json(cli, group, named)
				   : print_text(cli, &set, group, named);
	iommugrp_device_unref(named);
	iommugrp_group_unref(group);
	free(args);
	return cli_exit_status(cli, status);
}
