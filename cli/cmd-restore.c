/* SPDX-License-Identifier: GPL-2.0-or-later */
/* iommugrp restore: return groups of interrupted operations to their journalled state. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const struct plan_words words = {
	"return it to its journalled state",
	"returned to its journalled state",
	"it is in its journalled state already",
};

static int restore_group(struct cli *cli, bool dry_run, unsigned int number, struct json *j)
{
	struct iommugrp_change *change = NULL;
	int status, r = iommugrp_change_new_restore(cli->ctx, number, &change);

	if (r == -ENOENT) {
		cli_error("the journal /run/iommugrp/group-%u.journal is for group %u, which does "
			  "not "
			  "exist now (hardware changed?): nothing done; remove the file",
			  number, number);
		return EXIT_REFUSED;
	}
	if (r < 0) {
		cli_error("group %u: cannot plan the restore: %s", number, strerror(-r));
		return EXIT_ERROR;
	}
	status = plan_execute(change, dry_run);
	if (j) {
		json_object_begin(j, NULL);
		json_uint(j, "group", number);
		json_bool(j, "dry_run", dry_run);
		plan_json(j, change, NULL);
		json_object_end(j);
	} else {
		plan_print_text(number, change, dry_run, &words);
	}
	plan_report(change);
	iommugrp_change_unref(change);
	return status;
}

int cmd_restore(struct cli *cli, int argc, char **argv)
{
	bool dry_run = false;
	const struct command_spec spec = {
		.args_doc = "",
		.doc = "Return every group whose operation was interrupted (a journal under "
		       "/run/iommugrp) to the state recorded before it began.",
		.cli = cli,
		.options = dry_run_options,
		.parser = parse_dry_run,
		.input = &dry_run,
	};
	unsigned int *groups = NULL;
	char **args;
	int count, n, status;
	struct json j;

	if (cli_parse(&spec, argc, argv, &args, &count) < 0)
		return EXIT_ERROR;
	free(args);
	status = cli_open_context(cli);
	if (status != EXIT_OK)
		return status;
	n = iommugrp_get_interrupted(cli->ctx, &groups);
	/* -EPERM: a /run/iommugrp iommugrp does not trust (the library said why): refused. */
	if (n == -EPERM)
		return EXIT_REFUSED;
	if (n < 0) {
		cli_error("cannot read /run/iommugrp: %s", strerror(-n));
		return EXIT_ERROR;
	}
	if (cli->json) {
		json_begin(&j, stdout);
		json_array_begin(&j, "groups");
	} else if (n == 0) {
		printf("nothing to restore: no interrupted operation\n");
	}
	for (int i = 0; i < n; i++)
		status = worst_status(status, restore_group(cli, dry_run, groups[i],
							    cli->json ? &j : NULL));
	if (cli->json) {
		json_array_end(&j);
		json_end(&j);
	}
	free(groups);
	return partial_status(status);
}
