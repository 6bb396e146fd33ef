/* SPDX-License-Identifier: GPL-2.0-or-later */
/* iommugrp set-policy TARGET POLICY: switch a group's DMA policy as one transaction. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "boot.h"

struct set_policy_options {
	bool dry_run, unbind, save, force;
};

enum { OPT_UNBIND = OPT_COMMAND_FIRST, OPT_SAVE, OPT_FORCE };

static const struct argp_option options[] = {
	DRY_RUN_OPTION,
	{ "unbind", OPT_UNBIND, NULL, 0,
	  "Unbind the drivers the kernel wants gone, and bind them again afterwards", 0 },
	{ "save", OPT_SAVE, NULL, 0,
	  "Also save the policy in /etc/iommugrp.d/90-saved.conf, for every boot", 0 },
	{ "force", OPT_FORCE, NULL, 0,
	  "Unbind even devices the host needs (mounted disks, swap, routed NICs, the console)", 0 },
	{ 0 }
};

static error_t parse_option(int key, char *arg, struct argp_state *state)
{
	struct set_policy_options *o = state->input;

	(void)arg;
	if (key == OPT_DRY_RUN)
		o->dry_run = true;
	else if (key == OPT_UNBIND)
		o->unbind = true;
	else if (key == OPT_SAVE)
		o->save = true;
	else if (key == OPT_FORCE)
		o->force = true;
	else
		return ARGP_ERR_UNKNOWN;
	return 0;
}

static void print_json(struct iommugrp_group *group, const char *policy, bool dry_run,
		       struct iommugrp_change *change, const char *cli_refusal)
{
	struct json j;

	json_begin(&j, stdout);
	json_uint(&j, "group", iommugrp_group_get_number(group));
	json_string(&j, "requested", policy);
	json_bool(&j, "dry_run", dry_run);
	plan_json(&j, change, cli_refusal);
	json_end(&j);
}

static void print_text(struct iommugrp_group *group, const char *policy, bool dry_run,
		       struct iommugrp_change *change)
{
	unsigned int number = iommugrp_group_get_number(group);
	const char *old = iommugrp_change_get_old_type(change);
	const char *expected = iommugrp_change_get_expected_type(change);

	if (plan_outcome(change) == IOMMUGRP_OUTCOME_REFUSED)
		return;
	if (iommugrp_change_is_noop(change)) {
		printf("group %u already has policy %s: nothing to do\n", number, old);
	} else if (dry_run) {
		printf("group %u: %s -> %s%s%s%s, would write:\n", number, old ? old : "?", policy,
		       expected && strcmp(expected, policy) ? " (the boot default: " : "",
		       expected && strcmp(expected, policy) ? expected : "",
		       expected && strcmp(expected, policy) ? ")" : "");
		plan_print_steps(stdout, change);
	} else if (plan_outcome(change) == IOMMUGRP_OUTCOME_DONE) {
		printf("group %u: %s -> %s\n", number, old, iommugrp_change_get_new_type(change));
		plan_print_steps(stdout, change);
	}
}

/* Unbinding drivers takes devices away from the host: scripts must ask for it. */
static bool allowed_to_unbind(struct cli *cli, const struct set_policy_options *o,
			      struct iommugrp_group *group, struct iommugrp_change *change)
{
	char question[128];

	if (o->unbind || o->dry_run || !plan_needs_unbind(change) ||
	    iommugrp_change_get_refusal(change, NULL) < 0 || iommugrp_change_is_noop(change))
		return true;
	if (cli->json || !isatty(STDIN_FILENO))
		return false;
	fprintf(stderr, "Changing the policy of group %u needs these writes:\n",
		iommugrp_group_get_number(group));
	plan_print_steps(stderr, change);
	snprintf(question, sizeof(question), "Unbind the drivers of group %u and go on?",
		 iommugrp_group_get_number(group));
	return confirm(question);
}

static void refuse_unbind(struct cli *cli, struct iommugrp_group *group, const char *policy,
			  struct iommugrp_change *change)
{
	char *drivers = plan_unbound_drivers(change), *reason = NULL;

	if (asprintf(&reason,
		     "the kernel changes the policy only with these drivers unbound: %s; "
		     "pass --unbind to let iommugrp unbind and rebind them",
		     drivers ? drivers : "?") < 0)
		reason = NULL;
	if (cli->json) {
		print_json(group, policy, false, change, reason);
	} else {
		cli_error("group %u: %s", iommugrp_group_get_number(group), reason ? reason : "");
		plan_print_steps(stderr, change);
	}
	free(reason);
	free(drivers);
}

static int run(struct cli *cli, const struct set_policy_options *o, const char *target,
	       const char *policy_name)
{
	struct iommugrp_change *change = NULL;
	struct iommugrp_group *group = NULL;
	struct iommugrp_device *named = NULL;
	enum iommugrp_policy policy;
	int r, status;

	if (iommugrp_policy_from_string(policy_name, &policy) < 0) {
		cli_error("unknown policy '%s': expected identity, DMA, DMA-FQ or auto "
			  "(or passthrough, strict, lazy, default)",
			  policy_name);
		return EXIT_USAGE;
	}
	status = cli_open_context(cli);
	if (status != EXIT_OK)
		return status;
	r = iommugrp_group_new_from_target(cli->ctx, target, &group, &named);
	if (r < 0)
		return cli_target_error(cli, target, r);
	if (named && iommugrp_group_get_device_count(group) > 1 && !cli->json)
		fprintf(stderr,
			"%s: %s is one of %d devices of group %u: the policy is the group's\n",
			program_invocation_short_name, iommugrp_device_get_name(named),
			iommugrp_group_get_device_count(group), iommugrp_group_get_number(group));
	r = iommugrp_change_new_policy_flags(group, policy, o->force ? IOMMUGRP_FORCE : 0, &change);
	if (r < 0) {
		cli_error("group %u: cannot plan the change: %s", iommugrp_group_get_number(group),
			  strerror(-r));
		status = EXIT_ERROR;
	} else if (!allowed_to_unbind(cli, o, group, change)) {
		refuse_unbind(cli, group, iommugrp_policy_to_string(policy), change);
		status = EXIT_REFUSED;
	} else {
		status = plan_execute(change, o->dry_run);
		if (cli->json)
			print_json(group, iommugrp_policy_to_string(policy), o->dry_run, change,
				   NULL);
		else
			print_text(group, iommugrp_policy_to_string(policy), o->dry_run, change);
		plan_report(change);
		if (o->save && status == EXIT_OK) {
			char actions[32];

			snprintf(actions, sizeof(actions), "policy=%s",
				 iommugrp_policy_to_string(policy));
			status = config_save_group(cli, group, "policy", actions, o->dry_run);
		}
	}
	iommugrp_change_unref(change);
	iommugrp_device_unref(named);
	iommugrp_group_unref(group);
	return status;
}

int cmd_set_policy(struct cli *cli, int argc, char **argv)
{
	struct set_policy_options o = { false, false, false, false };
	const struct command_spec spec = {
		.args_doc = "TARGET POLICY",
		.doc = "Switch the DMA policy of the IOMMU group holding TARGET.\v"
		       "POLICY: identity (passthrough), DMA (strict), DMA-FQ (lazy), auto "
		       "(default: "
		       "the boot-time policy); case does not matter.\n"
		       "Exit status: 0 done or nothing to do, 2 usage, 3 no such target, 4 refused "
		       "(nothing changed), 5 failed and rolled back, 6 failed, rollback "
		       "incomplete.",
		.min_args = 2,
		.max_args = 2,
		.cli = cli,
		.options = options,
		.parser = parse_option,
		.input = &o,
	};
	char **args;
	int count, status;

	if (cli_parse(&spec, argc, argv, &args, &count) < 0)
		return EXIT_ERROR;
	status = run(cli, &o, args[0], args[1]);
	free(args);
	return status;
}
