/* SPDX-License-Identifier: GPL-2.0-or-later */
/* iommugrp vfio-release TARGET...: give whole groups back to the drivers they had. */
#include <stdlib.h>
#include <string.h>

#include "boot.h"

static const struct plan_words words = {
	"give it back to its drivers",
	"given back to its drivers",
	"it is not on vfio-pci",
};

static int release_group(struct cli *cli, const void *options, struct iommugrp_group *group,
			 struct json *j)
{
	const struct dry_run_save *o = options;
	bool dry_run = o->dry_run;
	struct iommugrp_change *change = NULL;
	unsigned int number = iommugrp_group_get_number(group);
	int status, r = iommugrp_change_new_vfio_release(group, &change);

	if (r < 0) {
		cli_error("group %u: cannot plan the release: %s", number, strerror(-r));
		return EXIT_ERROR;
	}
	status = plan_execute(change, dry_run);
	if (!iommugrp_change_has_record(change) && !cli->json &&
	    plan_outcome(change) != IOMMUGRP_OUTCOME_REFUSED && !iommugrp_change_is_noop(change))
		fprintf(stderr,
			"%s: group %u: no record of the drivers before vfio-bind (bound by "
			"another tool?): clearing the overrides and letting the kernel choose "
			"the drivers\n",
			program_invocation_short_name, number);
	if (j) {
		json_object_begin(j, NULL);
		json_uint(j, "group", number);
		json_bool(j, "dry_run", dry_run);
		json_bool(j, "recorded", iommugrp_change_has_record(change));
		plan_json(j, change, NULL);
		json_object_end(j);
	} else {
		plan_print_text(number, change, dry_run, &words);
	}
	plan_report(change);
	if (o->save && status == EXIT_OK)
		status = config_save_group(cli, group, "vfio", NULL, dry_run);
	iommugrp_change_unref(change);
	return status;
}

int cmd_vfio_release(struct cli *cli, int argc, char **argv)
{
	struct dry_run_save o = { false, false };
	const struct command_spec spec = {
		.args_doc = "TARGET...",
		.doc = "Give the whole IOMMU group of each TARGET back from vfio-pci.\v"
		       "Each device is bound to the driver vfio-bind recorded, its override as it "
		       "was. Refused while a process (a VMM) holds the group's VFIO files.",
		.min_args = 1,
		.max_args = 1024,
		.cli = cli,
		.options = dry_run_save_options,
		.parser = parse_dry_run_save,
		.input = &o,
	};
	char **args;
	int count, status;

	if (cli_parse(&spec, argc, argv, &args, &count) < 0)
		return EXIT_ERROR;
	status = run_on_groups(cli, args, count, release_group, &o);
	free(args);
	return status;
}
