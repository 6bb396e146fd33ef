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
		       dry_run ? (actions ? "would save" : "would remove")
			       : (actions ? "saved" : "removed"),
		       actions ? actions : kind, actions ? "in" : "from");
	if (r == 0 && saved == 0)
		cli_error("group %u: no PCI endpoint to name in a saved entry", number);
	return r < 0 || saved == 0 ? EXIT_ERROR : EXIT_OK;
}

const struct argp_option dry_run_save_options[] = { DRY_RUN_OPTION,
						    { "save", OPT_COMMAND_FIRST, NULL, 0,
						      "Also remove the group's entry from "
						      "/etc/iommugrp.d/90-saved.conf",
						      0 },
						    { 0 } };

error_t parse_dry_run_save(int key, char *arg, struct argp_state *state)
{
	struct dry_run_save *o = state->input;

	(void)arg;
	if (key == OPT_DRY_RUN)
		o->dry_run = true;
	else if (key == OPT_COMMAND_FIRST)
		o->save = true;
	else
		return ARGP_ERR_UNKNOWN;
	return 0;
}

/* "FILE:LINE, FILE:LINE": the entries naming a member of @group; NULL when none (or no config). */
char *config_entries_for_group(struct iommugrp_ctx *ctx, struct iommugrp_group *group,
			       bool *ret_refused)
{
	struct iommugrp_config *config = NULL;
	char *list = NULL;

	*ret_refused = false;
	if (iommugrp_config_read(ctx, &config) < 0)
		return NULL;
	if (iommugrp_config_get_error_count(config) > 0)
		*ret_refused = true;
	for (unsigned int i = 0; !*ret_refused && i < iommugrp_config_get_entry_count(config); i++) {
		struct iommugrp_device *d = NULL;
		const char *file;
		unsigned int line;

		while ((d = iommugrp_group_device_next(group, d)))
			if (iommugrp_config_entry_matches(config, i, d))
				break;
		if (!d)
			continue;
		iommugrp_config_get_entry(config, i, &file, &line, NULL);
		char *joined = NULL;

		if (asprintf(&joined, "%s%s%s:%u", list ? list : "", list ? ", " : "", file, line) <
		    0)
			break;
		free(list);
		list = joined;
	}
	iommugrp_config_unref(config);
	return list;
}

struct boot_summary {
	char *stamp, *where, *config, *state, *time_ms, *digest;
	bool this_boot;
	unsigned int files;
};

static void read_boot_summary(struct iommugrp_ctx *ctx, struct boot_summary *b)
{
	struct iommugrp_config *config = NULL;
	char *boot_id = NULL, *recorded = NULL;

	memset(b, 0, sizeof(*b));
	if (iommugrp_config_read(ctx, &config) == 0)
		b->files = iommugrp_config_get_file_count(config);
	iommugrp_config_unref(config);
	if (iommugrp_boot_state_read(ctx, "pass", &b->stamp) < 0)
		return;
	recorded = state_value(b->stamp, "boot_id");
	b->this_boot = recorded && iommugrp_boot_id(ctx, &boot_id) == 0 &&
		       strcmp(recorded, boot_id) == 0;
	free(recorded);
	free(boot_id);
	b->where = state_value(b->stamp, "where");
	b->config = state_value(b->stamp, "config");
	b->state = state_value(b->stamp, "state");
	b->time_ms = state_value(b->stamp, "time_ms");
	b->digest = state_value(b->stamp, "digest");
}

static void boot_summary_clear(struct boot_summary *b)
{
	free(b->stamp);
	free(b->where);
	free(b->config);
	free(b->state);
	free(b->time_ms);
	free(b->digest);
}

/* status's "boot:" section: the pass of this boot and each group it configured. */
void status_boot_text(struct iommugrp_ctx *ctx)
{
	struct iommugrp_group *group = NULL;
	struct boot_summary b;

	read_boot_summary(ctx, &b);
	if (!b.this_boot && b.files == 0) {
		boot_summary_clear(&b);
		return;
	}
	if (!b.this_boot)
		printf("boot: no boot pass this boot (is the udev rule installed? "
		       "'iommugrp apply' applies the configuration now)\n");
	else
		printf("boot: pass %s in the %s, configuration %s, %s ms\n",
		       b.state ? b.state : "?", b.where ? b.where : "?", b.config ? b.config : "?",
		       b.time_ms ? b.time_ms : "?");
	while (b.this_boot && (group = iommugrp_group_next(ctx, group))) {
		char *summary = boot_group_summary(ctx, iommugrp_group_get_number(group));

		if (summary)
			printf("  group %u: %s\n", iommugrp_group_get_number(group), summary);
		free(summary);
	}
	boot_summary_clear(&b);
}

void status_boot_json(struct json *j, struct iommugrp_ctx *ctx)
{
	struct iommugrp_group *group = NULL;
	struct boot_summary b;

	read_boot_summary(ctx, &b);
	json_object_begin(j, "boot");
	json_uint(j, "config_files", b.files);
	json_bool(j, "this_boot", b.this_boot);
	json_string(j, "state", b.this_boot ? b.state : NULL);
	json_string(j, "where", b.this_boot ? b.where : NULL);
	json_string(j, "config", b.this_boot ? b.config : NULL);
	json_string(j, "digest", b.this_boot ? b.digest : NULL);
	json_array_begin(j, "groups");
	while (b.this_boot && (group = iommugrp_group_next(ctx, group))) {
		unsigned int number = iommugrp_group_get_number(group);
		char *text = boot_group_state(ctx, number), *value;

		if (!text)
			continue;
		json_object_begin(j, NULL);
		json_uint(j, "group", number);
		for (const char *const *key =
			     (const char *const[]){ "entry", "action", "outcome", "reason", NULL };
		     *key; key++) {
			value = state_value(text, *key);
			json_string(j, *key, value);
			free(value);
		}
		json_object_end(j);
		free(text);
	}
	json_array_end(j);
	json_object_end(j);
	boot_summary_clear(&b);
}
