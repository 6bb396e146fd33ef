/* SPDX-License-Identifier: GPL-2.0-or-later */
/* iommugrp status: is an IOMMU active, which kernel rules apply, the boot policy, vfio-pci. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "boot.h"

struct status {
	int groups;
	const char *const *units;
	int n_units;
	const char *release;
	int release_err;
	int rules_ok;
	enum iommugrp_type_rules rules;
	bool patched;
	int policy_ok;
	enum iommugrp_policy policy;
	const char *policy_source;
	int vfio_ok;
	enum iommugrp_module_state vfio;
	unsigned int *interrupted;
	int n_interrupted;
	unsigned int *running; /* a journal and a held lock: under way, not interrupted */
	int n_running;
	struct iommugrp_ctx *ctx;
};

static void gather(struct iommugrp_ctx *ctx, struct status *st)
{
	st->groups = iommugrp_scan(ctx);
	st->n_units = iommugrp_kernel_get_iommu_units(ctx, &st->units);
	st->release_err = iommugrp_kernel_get_release(ctx, &st->release);
	if (st->release_err < 0)
		st->release = NULL;
	st->rules_ok = iommugrp_kernel_get_type_rules(ctx, &st->rules) == 0;
	st->patched = iommugrp_kernel_check_claim_patch(ctx) ==
		      1; /* unreadable: a problem, exit 1 */
	st->policy_ok = iommugrp_kernel_get_boot_policy(ctx, &st->policy, &st->policy_source) == 0;
	st->vfio_ok = iommugrp_vfio_pci_get_state(ctx, &st->vfio) == 0;
	st->n_interrupted = iommugrp_get_interrupted(ctx, &st->interrupted);
	st->n_running = iommugrp_get_running(ctx, &st->running);
}

static const char *rules_explanation(enum iommugrp_type_rules rules, bool patched)
{
	(void)patched; /* dma_owner (optional out-of-tree patch) says nothing about the rules */
	switch (rules) {
	case IOMMUGRP_RULES_NONE:
		return "before 5.11: group types cannot be changed at run time";
	case IOMMUGRP_RULES_SINGLE_DEVICE:
		return "5.11 to 6.3: only single-device groups, with the driver unbound "
		       "(EBUSY while bound, EINVAL for larger groups)";
	case IOMMUGRP_RULES_CLAIM_BASED:
		return "6.4 and later: any group with no kernel driver bound (EPERM otherwise)";
	}
	return "";
}

static void print_iommu_text(const struct status *st)
{
	if (st->groups <= 0) {
		printf("IOMMU: not active: the kernel has no IOMMU groups\n"
		       "  enable the IOMMU in firmware (Intel VT-d, AMD-Vi) and on the kernel "
		       "command line:\n"
		       "  intel_iommu=on (Intel), amd_iommu=on (AMD, usually on once firmware "
		       "enables it)\n");
		return;
	}
	printf("IOMMU: active, %d group%s, %d unit%s", st->groups, st->groups == 1 ? "" : "s",
	       st->n_units < 0 ? 0 : st->n_units, st->n_units == 1 ? "" : "s");
	for (int i = 0; i < st->n_units; i++)
		printf("%s%s", i ? " " : " (", st->units[i]);
	printf("%s\n", st->n_units > 0 ? ")" : "");
}

static void print_text(const struct status *st)
{
	print_iommu_text(st);
	printf("kernel: %s\n", st->release ? st->release : "unknown");
	if (st->rules_ok)
		printf("type-change rules: %s\n  %s\n", iommugrp_type_rules_to_string(st->rules),
		       rules_explanation(st->rules, st->patched));
	else
		printf("type-change rules: unknown\n");
	if (st->policy_ok)
		printf("boot policy: %s (%s)\n", iommugrp_policy_to_string(st->policy),
		       st->policy_source);
	else
		printf("boot policy: unknown (the kernel command line does not set it, and "
		       "/boot/config-%s is missing or has no CONFIG_IOMMU_DEFAULT_* line)\n",
		       st->release ? st->release : "RELEASE");
	printf("vfio-pci: %s\n",
	       st->vfio_ok ? iommugrp_module_state_to_string(st->vfio) : "unknown");
	if (st->n_interrupted < 0)
		printf("interrupted operations: unknown (cannot look in /run/iommugrp: %s)\n",
		       strerror(-st->n_interrupted));
	if (st->n_interrupted > 0) {
		printf("interrupted operations:");
		for (int i = 0; i < st->n_interrupted; i++)
			printf("%s group %u", i ? "," : "", st->interrupted[i]);
		printf("\n  a journal under /run/iommugrp records their state before: run "
		       "'iommugrp restore'\n");
	}
	if (st->n_running > 0) {
		printf("operations under way:");
		for (int i = 0; i < st->n_running; i++)
			printf("%s group %u", i ? "," : "", st->running[i]);
		printf("\n  another iommugrp holds their lock: not interrupted\n");
	}
	status_boot_text(st->ctx);
}

static void print_json(const struct status *st)
{
	struct json j;

	json_begin(&j, stdout);
	json_bool(&j, "iommu_active", st->groups > 0);
	json_uint(&j, "groups", st->groups > 0 ? (unsigned)st->groups : 0);
	json_array_begin(&j, "iommu_units");
	for (int i = 0; i < st->n_units; i++)
		json_string(&j, NULL, st->units[i]);
	json_array_end(&j);
	json_string(&j, "kernel_release", st->release);
	json_string(&j, "type_change_rules",
		    st->rules_ok ? iommugrp_type_rules_to_string(st->rules) : NULL);
	json_bool(&j, "kernel_patch", st->patched);
	json_string(&j, "boot_policy", st->policy_ok ? iommugrp_policy_to_string(st->policy) : NULL);
	json_string(&j, "boot_policy_source", st->policy_ok ? st->policy_source : NULL);
	json_string(&j, "vfio_pci", st->vfio_ok ? iommugrp_module_state_to_string(st->vfio) : NULL);
	if (st->n_interrupted < 0) {
		json_string(&j, "interrupted", NULL); /* could not look: not "none" */
	} else {
		json_array_begin(&j, "interrupted");
		for (int i = 0; i < st->n_interrupted; i++)
			json_uint(&j, NULL, st->interrupted[i]);
		json_array_end(&j);
	}
	if (st->n_running < 0) {
		json_string(&j, "running", NULL);
	} else {
		json_array_begin(&j, "running");
		for (int i = 0; i < st->n_running; i++)
			json_uint(&j, NULL, st->running[i]);
		json_array_end(&j);
	}
	status_boot_json(&j, st->ctx);
	json_end(&j);
}

int cmd_status(struct cli *cli, int argc, char **argv)
{
	const struct command_spec spec = {
		.args_doc = "",
		.doc = "Say whether an IOMMU is active, which rules the kernel applies to group "
		       "type changes, the boot-time default policy and the state of vfio-pci.",
		.cli = cli,
	};
	struct status st = { 0 };
	char **args;
	int count, status;

	if (cli_parse(&spec, argc, argv, &args, &count) < 0)
		return EXIT_ERROR;
	free(args);
	status = cli_open_context(cli);
	if (status != EXIT_OK)
		return status;
	st.ctx = cli->ctx;
	gather(cli->ctx, &st);
	if (cli->json)
		print_json(&st);
	else
		print_text(&st);
	/* A captured or synthetic tree may lack it: what needs the release is unknown, not an error. */
	if (st.release_err == -ENOENT)
		cli_warning("%s/proc/sys/kernel/osrelease is missing: the kernel release, its "
			    "type-change rules and what depends on them are unknown",
			    strcmp(iommugrp_get_sysroot(cli->ctx), "/")
				    ? iommugrp_get_sysroot(cli->ctx)
				    : "");
	if (st.n_interrupted < 0)
		cli_warning("could not look for interrupted operations in /run/iommugrp: %s",
			    strerror(-st.n_interrupted));
	if (st.n_interrupted > 0)
		cli_warning("%d interrupted operation%s: run 'iommugrp restore'", st.n_interrupted,
			    st.n_interrupted == 1 ? "" : "s");
	free(st.interrupted);
	free(st.running);
	return cli_exit_status(cli, EXIT_OK);
}
