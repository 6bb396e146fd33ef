/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * iommugrp apply [--dry-run] [--unbind]: converge the running system to the
 * configuration, group by group, through the planners and the transaction
 * engine. `apply --udev DEVPATH`, the udev entry point, is in apply-udev.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../shared/owner-id.h"
#include "apply.h"

enum { OPT_UNBIND = OPT_COMMAND_FIRST, OPT_UDEV };

static const struct argp_option options[] = { DRY_RUN_OPTION,
					      { "unbind", OPT_UNBIND, NULL, 0,
						"Unbind drivers that are bound where the "
						"configuration wants a group changed",
						0 },
					      { "udev", OPT_UDEV, "DEVPATH", 0,
						"The udev rule's entry point for the device "
						"DEVPATH ($devpath): always exits 0, "
						"logs to the kernel log",
						0 },
					      { 0 } };

static error_t parse_option(int key, char *arg, struct argp_state *state)
{
	struct apply_options *o = state->input;

	switch (key) {
	case OPT_DRY_RUN:
		o->dry_run = true;
		break;
	case OPT_UNBIND:
		o->unbind = true;
		break;
	case OPT_UDEV:
		o->udev = arg;
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

/* user= / group= take names or numbers (shared/owner-id.h); -1 when not given. On failure
 * *ret_bad is the value refused and the return -ENOENT (no such name) or -ERANGE. */
int owner_ids(const char *user, const char *group, uid_t *ret_uid, gid_t *ret_gid,
	      const char **ret_bad)
{
	unsigned int id;
	int r;

	*ret_uid = (uid_t)-1;
	*ret_gid = (gid_t)-1;
	if (user) {
		r = owner_id_resolve(user, false, &id);
		if (r < 0) {
			*ret_bad = user;
			return r;
		}
		*ret_uid = (uid_t)id;
	}
	if (group) {
		r = owner_id_resolve(group, true, &id);
		if (r < 0) {
			*ret_bad = group;
			return r;
		}
		*ret_gid = (gid_t)id;
	}
	return 0;
}

/* /dev/vfio/N to the VMM's user and group (user=, group=): a sentence on failure, else NULL. */
char *hand_over_group_file(struct iommugrp_ctx *ctx, unsigned int number, const char *user,
			   const char *group)
{
	const char *bad = NULL;
	char file[32], *why = NULL;
	uid_t uid;
	gid_t gid;
	int r;

	if (!user && !group)
		return NULL;
	snprintf(file, sizeof(file), "/dev/vfio/%u", number);
	if ((r = owner_ids(user, group, &uid, &gid, &bad)) < 0) {
		if (asprintf(&why, "%s '%s' for %s", owner_id_error(r, bad == group), bad, file) < 0)
			why = NULL;
	} else if ((r = iommugrp_vfio_file_set_owner(ctx, file, uid, gid)) < 0) {
		if (asprintf(&why, "cannot give %s to %s%s%s: %s", file, user ? user : "",
			     user && group ? ":" : "", group ? group : "", vfio_file_error(r)) < 0)
			why = NULL;
	}
	return why;
}

static const struct plan_words vfio_words = {
	"hand it to vfio-pci",
	"handed to vfio-pci",
	"it is on vfio-pci already",
};
static const struct plan_words policy_words = {
	"set its policy",
	"policy set",
	"the policy is set already",
};

/* Unbinding takes devices from the host: by hand only with --unbind, never with fallback=none. */
static bool unbind_refused(const struct apply_options *o, unsigned int flags,
			   struct iommugrp_change *change, unsigned int number)
{
	char *drivers;

	if (o->dry_run || iommugrp_change_get_refusal(change, NULL) < 0 ||
	    iommugrp_change_is_noop(change) || !plan_needs_unbind(change))
		return false;
	if (o->unbind && !(flags & IOMMUGRP_CONFIG_FALLBACK_NONE))
		return false;
	drivers = plan_unbound_drivers(change);
	if (flags & IOMMUGRP_CONFIG_FALLBACK_NONE)
		cli_error("group %u: refused, nothing was changed: %s bound, and the configuration "
			  "says fallback=none",
			  number, drivers ? drivers : "a driver is");
	else
		cli_error("group %u: refused, nothing was changed: this needs %s unbound; pass "
			  "--unbind to let iommugrp unbind and rebind them",
			  number, drivers ? drivers : "drivers");
	free(drivers);
	return true;
}

static int run_change(struct cli *cli, const struct apply_options *o, unsigned int flags,
		      unsigned int number, struct iommugrp_change *change,
		      const struct plan_words *words, const char *kind, struct json *j)
{
	int status;
	bool refused_here = unbind_refused(o, flags, change, number);

	if (refused_here)
		status = EXIT_REFUSED;
	else if (strcmp(kind, "vfio") == 0 && !o->dry_run &&
		 iommugrp_change_get_refusal(change, NULL) == 0 &&
		 !iommugrp_change_is_noop(change) && cli_load_vfio_pci(cli) < 0)
		status = EXIT_ERROR;
	else
		status = plan_execute(change, o->dry_run);
	if (j) {
		json_object_begin(j, NULL);
		json_string(j, "action", kind);
		plan_json(j, change, refused_here ? "needs --unbind (or fallback=none)" : NULL);
		json_object_end(j);
	} else if (!refused_here) {
		plan_print_text(number, change, o->dry_run, words);
	}
	if (!refused_here)
		plan_report(change);
	return status;
}

static int apply_group(struct cli *cli, const struct apply_options *o,
		       const struct iommugrp_config *config, unsigned int index, struct json *j)
{
	struct iommugrp_group *group = iommugrp_config_get_group(config, index);
	unsigned int number = iommugrp_group_get_number(group);
	unsigned int flags = iommugrp_config_group_get_flags(config, index);
	const char *refusal = iommugrp_config_group_get_refusal(config, index);
	struct iommugrp_change *change = NULL;
	enum iommugrp_policy policy;
	int status = EXIT_OK, r;

	if (j) {
		json_object_begin(j, NULL);
		json_uint(j, "group", number);
		json_string(j, "entries", iommugrp_config_group_get_entries(config, index));
		json_string(j, "refusal", refusal);
		json_array_begin(j, "changes");
	}
	if (refusal) {
		if (!j)
			cli_error("group %u: refused, nothing was changed: %s", number, refusal);
		status = EXIT_REFUSED;
	}
	if (!refusal && iommugrp_config_group_get_policy(config, index, &policy) == 0) {
		r = iommugrp_change_new_policy(group, policy, &change);
		if (r < 0) {
			cli_error("group %u: cannot plan the policy: %s", number, strerror(-r));
			status = EXIT_ERROR;
		} else {
			status = run_change(cli, o, flags, number, change, &policy_words, "policy",
					    j);
		}
		change = iommugrp_change_unref(change);
	}
	/* A refused policy does not stop the handoff (as at boot); a failed one does. */
	if (!refusal && status <= EXIT_REFUSED && iommugrp_config_group_wants_vfio(config, index)) {
		int policy_status = status;

		r = iommugrp_change_new_vfio_bind(
			group, flags & IOMMUGRP_CONFIG_FORCE ? IOMMUGRP_FORCE : 0, &change);
		if (r < 0) {
			cli_error("group %u: cannot plan the handoff: %s", number, strerror(-r));
			status = EXIT_ERROR;
		} else {
			status = run_change(cli, o, flags, number, change, &vfio_words, "vfio", j);
		}
		if (status == EXIT_OK && !o->dry_run &&
		    iommugrp_change_get_outcome(change) != IOMMUGRP_OUTCOME_PLANNED) {
			char *why = hand_over_group_file(
				cli->ctx, number, iommugrp_config_group_get_user(config, index),
				iommugrp_config_group_get_owner_group(config, index));

			if (why) {
				cli_error("group %u: %s", number, why);
				status = EXIT_ERROR;
			}
			free(why);
		}
		iommugrp_change_unref(change);
		status = worst_status(status, policy_status);
	}
	if (j) {
		json_array_end(j);
		json_object_end(j);
	}
	return status;
}

static int apply_by_hand(struct cli *cli, const struct apply_options *o)
{
	struct iommugrp_config *config = NULL;
	struct json j;
	int status, r;

	status = cli_open_context(cli);
	if (status == EXIT_OK)
		status = config_load(cli, &config);
	if (status != EXIT_OK)
		return status;
	if (iommugrp_config_get_error_count(config) > 0) {
		config_print_problems(stderr, config, true);
		cli_error("the configuration is refused (%u error%s): nothing was changed",
			  iommugrp_config_get_error_count(config),
			  iommugrp_config_get_error_count(config) == 1 ? "" : "s");
		iommugrp_config_unref(config);
		return EXIT_ERROR;
	}
	config_print_problems(stderr, config, true);
	r = iommugrp_config_resolve(config);
	if (r < 0) {
		cli_error("cannot match the configuration against the system: %s", strerror(-r));
		iommugrp_config_unref(config);
		return EXIT_ERROR;
	}
	for (unsigned int i = 0; i < iommugrp_config_get_entry_count(config); i++)
		if (iommugrp_config_entry_get_refusal(config, i)) {
			cli_error("%s", iommugrp_config_entry_get_refusal(config, i));
			status = EXIT_REFUSED;
		}
	if (cli->json) {
		json_begin(&j, stdout);
		json_bool(&j, "dry_run", o->dry_run);
		json_array_begin(&j, "groups");
	}
	for (unsigned int i = 0; i < iommugrp_config_get_group_count(config); i++)
		status = worst_status(status, apply_group(cli, o, config, i, cli->json ? &j : NULL));
	if (cli->json) {
		json_array_end(&j);
		json_end(&j);
	} else if (iommugrp_config_get_group_count(config) == 0) {
		printf("no configured group matches a device now: nothing to do\n");
	}
	iommugrp_config_unref(config);
	return cli_exit_status(cli, status);
}

/* `--udev` must exit 0 whatever happens, argument errors included. */
static bool wants_udev(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--udev") == 0 || strncmp(argv[i], "--udev=", 7) == 0)
			return true;
	return false;
}

int cmd_apply(struct cli *cli, int argc, char **argv)
{
	struct apply_options o = { 0 };
	const struct command_spec spec = {
		.args_doc = "",
		.doc = "Converge the system to /etc/iommugrp.conf and /etc/iommugrp.d/*.conf now: "
		       "each configured group's policy, then its handoff to vfio-pci.\v"
		       "Exit status: 0 done or nothing to do, 1 invalid configuration (nothing "
		       "changed), 4 a group refused, 5 rolled back, 6 rollback incomplete. With "
		       "--udev always 0.",
		.cli = cli,
		.options = options,
		.parser = parse_option,
		.input = &o,
	};
	char **args;
	int count;

	if (wants_udev(argc, argv))
		argp_err_exit_status = EXIT_OK;
	if (cli_parse(&spec, argc, argv, &args, &count) < 0)
		return wants_udev(argc, argv) ? EXIT_OK : EXIT_ERROR;
	free(args);
	if (o.udev)
		return apply_udev(cli, &o);
	return apply_by_hand(cli, &o);
}
