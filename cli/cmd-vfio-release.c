/* SPDX-License-Identifier: GPL-2.0-or-later */
/* iommugrp vfio-release TARGET...: give whole groups back to the drivers they had. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

struct vfio_release_options {
	bool dry_run;
};

enum { OPT_DRY_RUN = 0x200 };

static const struct argp_option options[] = {
	{ "dry-run", OPT_DRY_RUN, NULL, 0, "Print every sysfs write, in order; change nothing", 0 },
	{ 0 }
};

static error_t parse_option(int key, char *arg, struct argp_state *state)
{
	struct vfio_release_options *o = state->input;

	(void)arg;
	if (key != OPT_DRY_RUN)
		return ARGP_ERR_UNKNOWN;
	o->dry_run = true;
	return 0;
}

static const struct change_words words = {
	"give it back to its drivers", "given back to its drivers", "it is not on vfio-pci",
};

static int release_group(struct cli *cli, const struct vfio_release_options *o,
			 struct iommugrp_group *group, struct json *j)
{
	struct iommugrp_change *change = NULL;
	unsigned int number = iommugrp_group_get_number(group);
	int status, r = iommugrp_change_new_vfio_release(group, &change);

	if (r < 0) {
		cli_error("group %u: cannot plan the release: %s", number, strerror(-r));
		return EXIT_ERROR;
	}
	status = change_execute(change, o->dry_run);
	if (!iommugrp_change_has_record(change) && !cli->json &&
	    change_outcome(change) != IOMMUGRP_OUTCOME_REFUSED &&
	    !iommugrp_change_is_noop(change))
		fprintf(stderr, "%s: group %u: no record of the drivers before vfio-bind (bound by "
				"another tool?): clearing the overrides and letting the kernel choose "
				"the drivers\n",
			program_invocation_short_name, number);
	if (j) {
		json_object_begin(j, NULL);
		json_uint(j, "group", number);
		json_bool(j, "dry_run", o->dry_run);
		json_bool(j, "recorded", iommugrp_change_has_record(change));
		change_json(j, change, NULL);
		json_object_end(j);
	} else {
		change_print_text(number, change, o->dry_run, &words);
	}
	change_report(change);
	iommugrp_change_unref(change);
	return status;
}

int cmd_vfio_release(struct cli *cli, int argc, char **argv)
{
	struct vfio_release_options o = { false };
	const struct command_spec spec = {
		.args_doc = "TARGET...",
		.doc = "Give the whole IOMMU group of each TARGET back from vfio-pci.\v"
		       "Each device is bound to the driver vfio-bind recorded, its override as it "
		       "was. Refused while a process (a VMM) holds the group's VFIO files.",
		.min_args = 1,
		.max_args = 1024,
		.cli = cli,
		.options = options,
		.parser = parse_option,
		.input = &o,
	};
	struct iommugrp_group **groups = NULL;
	char **args;
	int count, ngroups = 0, status;
	struct json j;

	if (cli_parse(&spec, argc, argv, &args, &count) < 0)
		return EXIT_ERROR;
	status = cli_open_context(cli);
	if (status == EXIT_OK)
		status = cli_resolve_groups(cli, args, count, &groups, &ngroups);
	if (status == EXIT_OK && cli->json) {
		json_begin(&j, stdout);
		json_array_begin(&j, "groups");
	}
	for (int i = 0; i < ngroups; i++)
		status = worst_status(status, release_group(cli, &o, groups[i], cli->json ? &j : NULL));
	if (ngroups > 0 && cli->json) {
		json_array_end(&j);
		json_end(&j);
	}
	cli_unref_groups(groups, ngroups);
	free(args);
	return status;
}
