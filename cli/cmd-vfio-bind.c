/* SPDX-License-Identifier: GPL-2.0-or-later */
/* iommugrp vfio-bind TARGET...: hand whole groups to vfio-pci, for VM passthrough. */
#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

struct vfio_bind_options {
	bool dry_run, force;
	const char *user, *group;
	uid_t uid;
	gid_t gid;
};

enum { OPT_DRY_RUN = 0x200, OPT_FORCE, OPT_USER, OPT_GROUP };

static const struct argp_option options[] = {
	{ "dry-run", OPT_DRY_RUN, NULL, 0, "Print every sysfs write, in order; change nothing", 0 },
	{ "force", OPT_FORCE, NULL, 0,
	  "Take devices the host needs too (mounted disks, routed NICs, the console's VGA)", 0 },
	{ "user", OPT_USER, "USER", 0, "Give /dev/vfio files to USER (for an unprivileged VMM)", 0 },
	{ "group", OPT_GROUP, "GROUP", 0, "Give /dev/vfio files to GROUP", 0 },
	{ 0 }
};

static error_t parse_option(int key, char *arg, struct argp_state *state)
{
	struct vfio_bind_options *o = state->input;
	struct passwd *pw;
	struct group *gr;

	switch (key) {
	case OPT_DRY_RUN:
		o->dry_run = true;
		break;
	case OPT_FORCE:
		o->force = true;
		break;
	case OPT_USER:
		pw = getpwnam(arg);
		if (!pw)
			argp_error(state, "--user: no such user '%s'", arg);
		o->user = arg;
		o->uid = pw->pw_uid;
		break;
	case OPT_GROUP:
		gr = getgrnam(arg);
		if (!gr)
			argp_error(state, "--group: no such group '%s'", arg);
		o->group = arg;
		o->gid = gr->gr_gid;
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

/* Without CONFIG_VFIO_DEVICE_CDEV the vfio-dev entry exists but has no dev: no node. */
static bool has_dev_file(const char *dir, const char *name)
{
	char path[1200];

	snprintf(path, sizeof(path), "%.1000s/%.64s/dev", dir, name);
	return access(path, F_OK) == 0;
}

/* /dev/vfio/N, then each member's /dev/vfio/devices/vfioX where the kernel has VFIO cdevs. */
static int vfio_files(struct cli *cli, struct iommugrp_group *group, char files[][64], int max)
{
	const char *root = strcmp(iommugrp_get_sysroot(cli->ctx), "/") ? iommugrp_get_sysroot(cli->ctx) : "";
	struct iommugrp_device *d = NULL;
	int n = 0;

	snprintf(files[n++], 64, "/dev/vfio/%u", iommugrp_group_get_number(group));
	while ((d = iommugrp_group_device_next(group, d)) && n < max) {
		char dir[1024];
		struct dirent *de;
		DIR *dh;

		snprintf(dir, sizeof(dir), "%s%s/vfio-dev", root, iommugrp_device_get_syspath(d));
		dh = opendir(dir);
		while (dh && (de = readdir(dh)) && n < max)
			if (strncmp(de->d_name, "vfio", 4) == 0 && has_dev_file(dir, de->d_name))
				snprintf(files[n++], 64, "/dev/vfio/devices/%.40s", de->d_name);
		if (dh)
			closedir(dh);
	}
	return n;
}

/* After a bind the files must exist (devtmpfs); --user/--group then hands them over. */
static int hand_over_files(struct cli *cli, const struct vfio_bind_options *o, char files[][64],
			   int n, bool bound_now)
{
	const char *root = strcmp(iommugrp_get_sysroot(cli->ctx), "/") ? iommugrp_get_sysroot(cli->ctx) : "";
	int status = EXIT_OK;

	for (int i = 0; i < n; i++) {
		char path[4096];

		snprintf(path, sizeof(path), "%.3000s%.64s", root, files[i]);
		if (!bound_now && !o->user && !o->group)
			continue;
		if (access(path, F_OK) < 0) {
			cli_error("%s does not exist after the bind (is devtmpfs mounted on /dev?)",
				  files[i]);
			status = EXIT_ERROR;
		} else if ((o->user || o->group) &&
			   chown(path, o->user ? o->uid : (uid_t)-1, o->group ? o->gid : (gid_t)-1) < 0) {
			cli_error("cannot give %s to %s%s%s: %s", files[i], o->user ? o->user : "",
				  o->user && o->group ? ":" : "", o->group ? o->group : "",
				  strerror(errno));
			status = EXIT_ERROR;
		}
	}
	return status;
}

static const struct change_words words = {
	"hand it to vfio-pci", "handed to vfio-pci", "it is on vfio-pci already",
};

static int bind_group(struct cli *cli, const void *opts, struct iommugrp_group *group,
		      struct json *j)
{
	const struct vfio_bind_options *o = opts;
	struct iommugrp_change *change = NULL;
	unsigned int number = iommugrp_group_get_number(group);
	char files[32][64];
	int status, nfiles = 0;
	int r = iommugrp_change_new_vfio_bind(group, o->force ? IOMMUGRP_FORCE : 0, &change);

	if (r < 0) {
		cli_error("group %u: cannot plan the handoff: %s", number, strerror(-r));
		return EXIT_ERROR;
	}
	if (!o->dry_run && iommugrp_change_get_refusal(change, NULL) == 0 &&
	    !iommugrp_change_is_noop(change) && iommugrp_vfio_pci_load(cli->ctx) < 0)
		status = EXIT_ERROR;
	else
		status = change_execute(change, o->dry_run);
	if (status == EXIT_OK && !o->dry_run) {
		nfiles = vfio_files(cli, group, files, 32);
		status = hand_over_files(cli, o, files, nfiles,
					 iommugrp_change_get_outcome(change) == IOMMUGRP_OUTCOME_DONE);
	}
	if (j) {
		json_object_begin(j, NULL);
		json_uint(j, "group", number);
		json_bool(j, "dry_run", o->dry_run);
		change_json(j, change, NULL);
		json_array_begin(j, "vfio_files");
		for (int i = 0; i < nfiles; i++)
			json_string(j, NULL, files[i]);
		json_array_end(j);
		json_object_end(j);
	} else {
		change_print_text(number, change, o->dry_run, &words);
		for (int i = 0; i < nfiles; i++)
			printf("%s\n", files[i]);
	}
	change_report(change);
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
