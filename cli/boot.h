/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared by check-config, apply, status and show: the configuration and the boot pass's state. */
#ifndef IOMMUGRP_CLI_BOOT_H
#define IOMMUGRP_CLI_BOOT_H

#include "cli.h"

/* The words of the boot state files (/run/iommugrp/boot/, see iommugrp.conf(5)). */
#define BOOT_HOLD "iommugrp-hold"

/* config-common.c */
int config_load(struct cli *cli, struct iommugrp_config **ret_config);
/* "FILE:LINE: error: MESSAGE", one a line, to @out; returns how many were printed. */
unsigned int config_print_problems(FILE *out, const struct iommugrp_config *config, bool warnings);
char *config_problem_text(const struct iommugrp_config *config, unsigned int index);
/* The value of the first "key=value" line in a state file's @text, malloc'ed, or NULL. */
char *state_value(const char *text, const char *key);
/* Whether @word is one of the blank-separated words of @list. */
bool word_in_list(const char *list, const char *word);
/* What the boot pass recorded for group @number this boot (malloc'ed text), or NULL. */
char *boot_group_state(struct iommugrp_ctx *ctx, unsigned int number);
/* "applied (entry /etc/iommugrp.conf:1): ..." for status and show, malloc'ed, or NULL. */
char *boot_group_summary(struct iommugrp_ctx *ctx, unsigned int number);
/* The policy and vfio words of a group's wanted state: "vfio", "policy=identity", "vfio,policy=DMA". */
char *config_group_actions(const struct iommugrp_config *config, unsigned int index);

int config_save_group(struct cli *cli, struct iommugrp_group *group, const char *kind,
		      const char *actions, bool dry_run);
/* --dry-run and --save, for vfio-release. */
struct dry_run_save {
	bool dry_run, save;
};
extern const struct argp_option dry_run_save_options[];
error_t parse_dry_run_save(int key, char *arg, struct argp_state *state);
char *config_entries_for_group(struct iommugrp_ctx *ctx, struct iommugrp_group *group,
			       bool *ret_refused);
void status_boot_text(struct iommugrp_ctx *ctx);
void status_boot_json(struct json *j, struct iommugrp_ctx *ctx);

#endif
