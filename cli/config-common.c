/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The configuration and the boot pass's state, as check-config, apply, status and show use them. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "boot.h"

int config_load(struct cli *cli, struct iommugrp_config **ret_config)
{
	int r = iommugrp_config_read(cli->ctx, ret_config);

	if (r < 0) {
		cli_error("cannot read the configuration: %s", strerror(-r));
		return EXIT_ERROR;
	}
	return EXIT_OK;
}

char *config_problem_text(const struct iommugrp_config *config, unsigned int index)
{
	const char *file, *message, *level;
	unsigned int line;
	int priority, r;
	char *text = NULL;

	if (iommugrp_config_get_problem(config, index, &priority, &file, &line, &message) < 0)
		return NULL;
	level = priority <= LOG_ERR ? "error" : "warning";
	if (file && line)
		r = asprintf(&text, "%s:%u: %s: %s", file, line, level, message);
	else if (file)
		r = asprintf(&text, "%s: %s: %s", file, level, message);
	else
		r = asprintf(&text, "%s: %s", level, message);
	return r < 0 ? NULL : text;
}

unsigned int config_print_problems(FILE *out, const struct iommugrp_config *config, bool warnings)
{
	unsigned int n = iommugrp_config_get_problem_count(config), printed = 0;

	for (unsigned int i = 0; i < n; i++) {
		int priority;
		char *text;

		iommugrp_config_get_problem(config, i, &priority, NULL, NULL, NULL);
		if (priority > LOG_ERR && !warnings)
			continue;
		text = config_problem_text(config, i);
		if (text)
			fprintf(out, "%s\n", text);
		free(text);
		printed++;
	}
	return printed;
}

char *state_value(const char *text, const char *key)
{
	size_t klen = strlen(key);

	for (const char *line = text; line && *line;) {
		size_t len = strcspn(line, "\n");

		if (len > klen && strncmp(line, key, klen) == 0 && line[klen] == '=')
			return strndup(line + klen + 1, len - klen - 1);
		line += len + (line[len] == '\n');
	}
	return NULL;
}

bool word_in_list(const char *list, const char *word)
{
	size_t len = strlen(word);

	for (const char *p = list; p && (p = strstr(p, word)); p += len)
		if ((p == list || p[-1] == ' ') && (p[len] == '\0' || p[len] == ' '))
			return true;
	return false;
}

char *boot_group_state(struct iommugrp_ctx *ctx, unsigned int number)
{
	char name[32], *text = NULL, *boot_id = NULL, *recorded;
	bool this_boot;

	snprintf(name, sizeof(name), "group-%u", number);
	if (iommugrp_boot_state_read(ctx, name, &text) < 0)
		return NULL;
	/* /run is a tmpfs: a file from another boot only comes from a captured tree. */
	recorded = state_value(text, "boot_id");
	this_boot = iommugrp_boot_id(ctx, &boot_id) < 0 || !recorded ||
		    strcmp(recorded, boot_id) == 0;
	free(recorded);
	free(boot_id);
	if (!this_boot) {
		free(text);
		return NULL;
	}
	return text;
}

char *boot_group_summary(struct iommugrp_ctx *ctx, unsigned int number)
{
	char *text = boot_group_state(ctx, number), *summary = NULL;
	char *outcome, *entry, *reason, *action;

	if (!text)
		return NULL;
	outcome = state_value(text, "outcome");
	entry = state_value(text, "entry");
	reason = state_value(text, "reason");
	action = state_value(text, "action");
	if (asprintf(&summary, "%s %s (entry %s)%s%s", action ? action : "?",
		     outcome ? outcome : "?", entry ? entry : "?", reason ? ": " : "",
		     reason ? reason : "") < 0)
		summary = NULL;
	free(outcome);
	free(entry);
	free(reason);
	free(action);
	free(text);
	return summary;
}

char *config_group_actions(const struct iommugrp_config *config, unsigned int index)
{
	enum iommugrp_policy policy;
	bool vfio = iommugrp_config_group_wants_vfio(config, index);
	bool has_policy = iommugrp_config_group_get_policy(config, index, &policy) == 0;
	char *text = NULL;

	if (asprintf(&text, "%s%s%s%s", vfio ? "vfio" : "", vfio && has_policy ? "," : "",
		     has_policy ? "policy=" : "",
		     has_policy ? iommugrp_policy_to_string(policy) : "") < 0)
		text = NULL;
	return text;
}

static bool is_endpoint(struct iommugrp_device *d)
{
	return iommugrp_device_is_pci(d) && !iommugrp_device_is_bridge(d);
}

/*
 * --save: the group's entry in /etc/iommugrp.d/90-saved.conf, keyed by its
 * first PCI endpoint (the entry acts on the whole group anyway). @actions
 * NULL removes the entries of every member.
 */
int config_save_group(struct cli *cli, struct iommugrp_group *group, const char *kind,
		      const char *actions, bool dry_run)
{
	unsigned int number = iommugrp_group_get_number(group);
	struct iommugrp_device *d = NULL;
	int r = 0, saved = 0;

	while (r == 0 && (d = iommugrp_group_device_next(group, d))) {
		if (!is_endpoint(d))
			continue;
		if (!dry_run)
			r = iommugrp_config_save(cli->ctx, d, kind, actions);
		if (r < 0)
			cli_error("group %u: cannot %s /etc/iommugrp.d/90-saved.conf: %s", number,
				  actions ? "save the entry in" : "remove the entry from",
				  strerror(-r));
		saved++;
		if (actions)
			break;
	}
	if (r == 0 && saved && !cli->json)
		printf("group %u: %s '%s' %s /etc/iommugrp.d/90-saved.conf\n", number,
		       dry_run ? (actions ? "would save" : "would remove") :
				 (actions ? "saved" : "removed"),
		       actions ? actions : kind, actions ? "in" : "from");
	if (r == 0 && saved == 0)
		cli_error("group %u: no PCI endpoint to name in a saved entry", number);
	return r < 0 || saved == 0 ? EXIT_ERROR : EXIT_OK;
}

const struct argp_option dry_run_save_options[] = {
	{ "dry-run", 0x200, NULL, 0, "Print every sysfs write, in order; change nothing", 0 },
	{ "save", 0x201, NULL, 0,
	  "Also remove the group's entry from /etc/iommugrp.d/90-saved.conf", 0 },
	{ 0 }
};

error_t parse_dry_run_save(int key, char *arg, struct argp_state *state)
{
	struct dry_run_save *o = state->input;

	(void)arg;
	if (key == 0x200)
		o->dry_run = true;
	else if (key == 0x201)
		o->save = true;
	else
		return ARGP_ERR_UNKNOWN;
	return 0;
}
