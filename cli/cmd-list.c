/* SPDX-License-Identifier: GPL-2.0-or-later */
/* iommugrp list: every group and its devices, as a tree, list, raw or JSON. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static const struct column_set list_defaults = {
	{ COL_NAME, COL_TYPE, COL_VIABLE, COL_DRIVER, COL_ID, COL_CLASS, COL_MODEL }, 7, -1
};

/* JSON gets every column unless -o says otherwise: a stable schema for scripts. */
static const struct column_set json_defaults = {
	{ COL_NAME, COL_GROUP, COL_TYPE, COL_DEVICES, COL_VIABLE, COL_VFIO, COL_SUBSYSTEM, COL_ID,
	  COL_CLASSID, COL_CLASS, COL_VENDOR, COL_MODEL, COL_DRIVER, COL_OVERRIDE, COL_PATH },
	15,
	-1
};

static bool has_column(const struct column_set *set, enum column_id id)
{
	for (size_t i = 0; i < set->count; i++)
		if (set->ids[i] == id)
			return true;
	return false;
}

static int add_group(struct libscols_table *tb, const struct column_set *set,
		     struct iommugrp_group *group, bool tree)
{
	struct libscols_line *group_line = scols_table_new_line(tb, NULL);
	struct iommugrp_device *device = NULL;

	if (!group_line)
		return -1;
	columns_fill_line(group_line, set, group, NULL);
	while ((device = iommugrp_group_device_next(group, device))) {
		struct libscols_line *line = scols_table_new_line(tb, tree ? group_line : NULL);

		if (!line)
			return -1;
		columns_fill_line(line, set, group, device);
	}
	return 0;
}

/* JSON and raw output, streamed: what libsmartcols would print, without the table. */
static int stream_groups(struct cli *cli, const struct column_set *set, bool tree)
{
	static struct stream s;
	struct iommugrp_group *group = NULL;
	bool first_group = true;

	stream_begin(&s, stdout, set, cli->json, cli->noheadings, "iommugroups");
	while ((group = iommugrp_group_next(cli->ctx, group))) {
		struct iommugrp_device *device = NULL;
		bool first_device = true;

		stream_row(&s, group, NULL, first_group);
		first_group = false;
		while ((device = iommugrp_group_device_next(group, device))) {
			if (!tree) {
				stream_row_end(&s);
				stream_row(&s, group, device, false);
				continue;
			}
			if (first_device)
				stream_children_begin(&s);
			stream_row(&s, group, device, first_device);
			stream_row_end(&s);
			first_device = false;
		}
		if (tree && !first_device)
			stream_children_end(&s);
		stream_row_end(&s);
	}
	if (stream_end(&s) < 0) {
		cli_output_error(errno);
		return EXIT_ERROR;
	}
	return EXIT_OK;
}

/* The tree or table off a terminal: libsmartcols' layout, computed by text-table.c. */
static int print_text_table(struct cli *cli, const struct column_set *set, bool tree)
{
	struct text_table *t = text_table_new(set, tree, cli->noheadings);
	struct iommugrp_group *group = NULL;
	int status = EXIT_OK;

	if (!t) {
		cli_error("out of memory");
		return EXIT_ERROR;
	}
	while (status == EXIT_OK && (group = iommugrp_group_next(cli->ctx, group))) {
		struct iommugrp_device *device = NULL;

		if (text_table_add_row(t, group, NULL, false) < 0)
			status = EXIT_ERROR;
		while (status == EXIT_OK && (device = iommugrp_group_device_next(group, device)))
			if (text_table_add_row(t, group, device, tree) < 0)
				status = EXIT_ERROR;
	}
	if (status != EXIT_OK)
		cli_error("out of memory");
	else if (text_table_print(t, stdout) < 0) {
		cli_output_error(errno);
		status = EXIT_ERROR;
	}
	text_table_free(t);
	return status;
}

/*
 * IOMMUGRP_OUTPUT=smartcols, a test hook: libsmartcols prints everything, so tests can
 * hold the streaming and text-table writers to its output.
 */
static bool smartcols_forced(void)
{
	const char *output = getenv("IOMMUGRP_OUTPUT");

	return output && strcmp(output, "smartcols") == 0;
}

static int print_groups(struct cli *cli, struct column_set *set)
{
	bool tree = !cli->flat && !cli->raw && (has_column(set, COL_NAME) || cli->json);
	struct libscols_table *tb;

	/* JSON nests devices under their group even when NAME is not asked for. */
	if (tree && !has_column(set, COL_NAME)) {
		set->hidden = (int)set->count;
		set->ids[set->count++] = COL_NAME;
	}
	/* Colors and a terminal's width are libsmartcols' business; plain JSON and raw stream. */
	if ((cli->json || cli->raw) && !cli_use_color(cli) && !smartcols_forced())
		return stream_groups(cli, set, tree);
	if (!cli->json && !cli->raw && !cli_use_color(cli) && !isatty(STDOUT_FILENO) &&
	    !smartcols_forced())
		return print_text_table(cli, set, tree);
	tb = columns_new_table(cli, set, "iommugroups", tree);
	struct iommugrp_group *group = NULL;
	int status = EXIT_OK;

	if (!tb) {
		cli_error("cannot create the output table");
		return EXIT_ERROR;
	}
	while ((group = iommugrp_group_next(cli->ctx, group)))
		if (add_group(tb, set, group, tree) < 0) {
			cli_error("out of memory");
			status = EXIT_ERROR;
			break;
		}
	if (status == EXIT_OK)
		scols_print_table(tb);
	scols_unref_table(tb);
	return status;
}

int cmd_list(struct cli *cli, int argc, char **argv)
{
	const struct command_spec spec = {
		.args_doc = "",
		.doc = "List every IOMMU group and its devices.\v"
		       "Default columns: NAME,TYPE,VIABLE,DRIVER,ID,CLASS,MODEL.",
		.cli = cli,
	};
	struct column_set set;
	char **args;
	int count, n, status;

	static char stdout_buffer[64 * 1024];

	if (cli_parse(&spec, argc, argv, &args, &count) < 0)
		return EXIT_ERROR;
	free(args);
	/* A pipe gets the listing in 64 KiB writes, not stdio's 4 KiB; a terminal stays as it is. */
	if (!isatty(STDOUT_FILENO))
		setvbuf(stdout, stdout_buffer, _IOFBF, sizeof(stdout_buffer));
	if (cli->list_columns) {
		columns_print_list(stdout);
		return EXIT_OK;
	}
	if (columns_parse(cli->columns, cli->json ? &json_defaults : &list_defaults, &set) < 0)
		return EXIT_USAGE;
	status = cli_open_context(cli);
	if (status != EXIT_OK)
		return status;
	n = iommugrp_scan(cli->ctx);
	if (n < 0)
		return EXIT_ERROR;
	if (n == 0)
		fprintf(stderr,
			"%s: no IOMMU groups: the IOMMU is off or absent "
			"(see 'iommugrp status')\n",
			program_invocation_short_name);
	/* REASON replays every group: read the whole topology once, not per group */
	if (has_column(&set, COL_REASON) && iommugrp_topology_scan(cli->ctx) < 0)
		cli_error("cannot read the PCI topology: the REASON column is unknown");
	status = print_groups(cli, &set);
	return cli_exit_status(cli, status);
}
