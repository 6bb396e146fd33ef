/* SPDX-License-Identifier: GPL-2.0-or-later */
/* iommugrp vfio-bind TARGET...: hand whole groups to vfio-pci, for VM passthrough. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../shared/owner-id.h"
#include "boot.h"

struct vfio_bind_options {
	bool dry_run, force, save;
	const char *user, *group;
	uid_t uid;
	gid_t gid;
};

enum { OPT_FORCE = OPT_COMMAND_FIRST, OPT_USER, OPT_GROUP, OPT_SAVE };

static const struct argp_option options[] = {
	DRY_RUN_OPTION,
	{ "force", OPT_FORCE, NULL, 0,
	  "Take devices the host needs too (mounted disks, routed NICs, the console's VGA)", 0 },
	{ "user", OPT_USER, "USER", 0, "Give /dev/vfio files to USER (for an unprivileged VMM)", 0 },
	{ "group", OPT_GROUP, "GROUP", 0, "Give /dev/vfio files to GROUP", 0 },
	{ "save", OPT_SAVE, NULL, 0,
	  "Also save the handoff in /etc/iommugrp.d/90-saved.conf, for every boot", 0 },
	{ 0 }
};

static error_t parse_option(int key, char *arg, struct argp_state *state)
{
	struct vfio_bind_options *o = state->input;
	unsigned int id = 0;
	int r;

	switch (key) {
	case OPT_DRY_RUN:
		o->dry_run = true;
		break;
	case OPT_FORCE:
		o->force = true;
		break;
	case OPT_SAVE:
		o->save = true;
		break;
	case OPT_USER:
		/* A name, or a numeric id (a VMM's user need not be in passwd): as user=. */
		r = owner_id_resolve(arg, false, &id);
		if (r < 0)
			argp_error(state, "--user: %s '%s'", owner_id_error(r, false), arg);
		o->user = arg;
		o->uid = (uid_t)id;
		break;
	case OPT_GROUP:
		r = owner_id_resolve(arg, true, &id);
		if (r < 0)
			argp_error(state, "--group: %s '%s'", owner_id_error(r, true), arg);
		o->group = arg;
		o->gid = (gid_t)id;
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

/* Without --user/--group the owner stays ((uid_t)-1): the call then checks the file alone. */
static int hand_over_file(struct cli *cli, const struct vfio_bind_options *o, const char *file)
{
	int r = iommugrp_vfio_file_set_owner(cli->ctx, file, o->user ? o->uid : (uid_t)-1,
					     o->group ? o->gid : (gid_t)-1);

	if (r == -ENOENT) {
		cli_error("%s does not exist after the bind (is devtmpfs mounted on /dev?)", file);
		return EXIT_ERROR;
	}
	if (r < 0) {
		cli_error("cannot give %s to %s%s%s: %s", file, o->user ? o->user : "",
			  o->user && o->group ? ":" : "", o->group ? o->group : "",
			  vfio_file_error(r));
		return EXIT_ERROR;
	}
	return EXIT_OK;
}

/* After a bind the files must exist (devtmpfs); --user/--group then hands them over. */
static int hand_over_files(struct cli *cli, const struct vfio_bind_options *o,
			   const char *const *files, int n, bool bound_now)
{
	int status = EXIT_OK;

	if (!bound_now && !o->user && !o->group)
		return EXIT_OK;
	for (int i = 0; i < n; i++)
		status = worst_status(status, hand_over_file(cli, o, files[i]));
	return status;
}

static const struct plan_words words = {
	"hand it to vfio-pci",
	"handed to vfio-pci",
	"it is on vfio-pci already",
};

/* --save: "vfio=yes" with the owner and force the handoff had, so every boot repeats it. */
static int save_entry(struct cli *cli, const struct vfio_bind_options *o,
		      struct iommugrp_group *group)
{
	char actions[300];

	snprintf(actions, sizeof(actions), "vfio=yes%s%.100s%s%.100s%s", o->user ? " user=" : "",
		 o->user ? o->user : "", o->group ? " group=" : "", o->group ? o->group : "",
		 o->force ? " force=yes" : "");
	return config_save_group(cli, group, "vfio", actions, o->dry_run);
}

static int bind_group(struct cli *cli, const void *opts, struct iommugrp_group *group,
		      struct json *j)
{
	const struct vfio_bind_options *o = opts;
	struct iommugrp_change *change = NULL;
	unsigned int number = iommugrp_group_get_number(group);
	const char *const *files = NULL;
	int status, nfiles = 0;
	int r = iommugrp_change_new_vfio_bind(group, o->force ? IOMMUGRP_FORCE : 0, &change);

	if (r < 0) {
		cli_error("group %u: cannot plan the handoff: %s", number, strerror(-r));
		return EXIT_ERROR;
	}
	if (!o->dry_run && iommugrp_change_get_refusal(change, NULL) == 0 &&
	    !iommugrp_change_is_noop(change) && cli_load_vfio_pci(cli) < 0)
		status = EXIT_ERROR;
	else
		status = plan_execute(change, o->dry_run);
	if (status == EXIT_OK && !o->dry_run) {
		nfiles = iommugrp_group_get_vfio_files(group, &files);
		if (nfiles < 0) {
			cli_error("group %u: cannot list its VFIO files: %s", number,
				  strerror(-nfiles));
			status = EXIT_ERROR;
			nfiles = 0;
		} else {
			status = hand_over_files(cli, o, files, nfiles,
						 iommugrp_change_get_outcome(change) ==
							 IOMMUGRP_OUTCOME_DONE);
		}
	}
	if (j) {
		json_object_begin(j, NULL);
		json_uint(j, "group", number);
		json_bool(j, "dry_run", o->dry_run);
		plan_json(j, change, NULL);
		json_array_begin(j, "vfio_files");
		for (int i = 0; i < nfiles; i++)
			json_string(j, NULL, files[i]);
		json_array_end(j);
		json_object_end(j);
	} else {
		plan_print_text(number, change, o->dry_run, &words);
		for (int i = 0; i < nfiles; i++)
			printf("%s\n", files[i]);
	}
	plan_report(change);
	if (o->save && status == EXIT_OK)
		status = save_entry(cli, o, group);
	iommugrp_change_unref(change);
	return status;
}

int cmd_vfio_bind(struct cli *cli, int argc, char **argv)
{
	struct vfio_bind_options o = { 0 };
	const struct command_spec spec = {
		.args_doc = "TARGET...",
		.doc = "Hand the whole IOMMU group of each TARGET to vfio-pci.\v"
		       "Bridges stay where they are. Every device's driver and override are "
		       "recorded in /run/iommugrp/group-N.vfio so vfio-release can give each back "
		       "to the driver it had. Any failure rolls the group back.",
		.min_args = 1,
		.max_args = 1024,
		.cli = cli,
		.options = options,
		.parser = parse_option,
		.input = &o,
	};
	char **args;
	int count, status;

	if (cli_parse(&spec, argc, argv, &args, &count) < 0)
		return EXIT_ERROR;
	status = run_on_groups(cli, args, count, bind_group, &o);
	free(args);
	return status;
}
