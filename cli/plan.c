/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Showing planned changes, asking before unbinding, reporting outcomes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static const char *step_verb(enum iommugrp_step_kind kind)
{
	switch (kind) {
	case IOMMUGRP_STEP_UNBIND:
		return "unbind";
	case IOMMUGRP_STEP_WRITE_TYPE:
		return "write-type";
	case IOMMUGRP_STEP_BIND:
		return "bind";
	case IOMMUGRP_STEP_WRITE_OVERRIDE:
		return "write-override";
	case IOMMUGRP_STEP_PROBE:
		return "probe";
	}
	return "?";
}

static const char *step_note(enum iommugrp_step_kind kind, const char *device, const char *driver,
			     const char *value)
{
	static char note[256];

	switch (kind) {
	case IOMMUGRP_STEP_UNBIND:
		snprintf(note, sizeof(note), "unbind %s from %s", device, driver);
		break;
	case IOMMUGRP_STEP_BIND:
		snprintf(note, sizeof(note), "bind %s to %s, check its driver link", device, driver);
		break;
	case IOMMUGRP_STEP_WRITE_TYPE:
		snprintf(note, sizeof(note), "then read it back");
		break;
	case IOMMUGRP_STEP_WRITE_OVERRIDE:
		if (strcmp(value, "\n") == 0)
			snprintf(note, sizeof(note), "clear the override of %s", device);
		else
			snprintf(note, sizeof(note), "only %s may bind %s", value, device);
		break;
	case IOMMUGRP_STEP_PROBE:
		if (driver)
			snprintf(note, sizeof(note), "probe %s, check it is bound to %s", device,
				 driver);
		else
			snprintf(note, sizeof(note), "probe %s, let the kernel choose its driver",
				 device);
		break;
	}
	return note;
}

void plan_print_steps(FILE *out, struct iommugrp_change *change)
{
	unsigned int n = iommugrp_change_get_step_count(change);

	for (unsigned int i = 0; i < n; i++) {
		enum iommugrp_step_kind kind;
		const char *device, *driver, *path, *value;

		iommugrp_change_get_step(change, i, &kind, &device, &driver, &path, &value);
		fprintf(out, "  %u. write '%s' to /%s", i + 1, strcmp(value, "\n") ? value : "\\n",
			path);
		fprintf(out, "   (%s)\n", step_note(kind, device, driver, value));
	}
}

/* "e1000 (0000:01:01.0), e1000 (0000:01:02.0)": the drivers the plan unbinds. */
char *plan_unbound_drivers(struct iommugrp_change *change)
{
	unsigned int n = iommugrp_change_get_step_count(change);
	char *list = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&list, &size);
	bool first = true;

	if (!f)
		return NULL;
	for (unsigned int i = 0; i < n; i++) {
		enum iommugrp_step_kind kind;
		const char *device, *driver, *path, *value;

		iommugrp_change_get_step(change, i, &kind, &device, &driver, &path, &value);
		if (kind != IOMMUGRP_STEP_UNBIND)
			continue;
		fprintf(f, "%s%s (%s)", first ? "" : ", ", driver, device);
		first = false;
	}
	fclose(f);
	return list;
}

bool plan_needs_unbind(struct iommugrp_change *change)
{
	unsigned int n = iommugrp_change_get_step_count(change);

	for (unsigned int i = 0; i < n; i++) {
		enum iommugrp_step_kind kind;
		const char *device, *driver, *path, *value;

		iommugrp_change_get_step(change, i, &kind, &device, &driver, &path, &value);
		if (kind == IOMMUGRP_STEP_UNBIND)
			return true;
	}
	return false;
}

bool confirm(const char *question)
{
	char answer[16];

	if (!isatty(STDIN_FILENO))
		return false;
	fprintf(stderr, "%s [y/N] ", question);
	fflush(stderr);
	if (!fgets(answer, sizeof(answer), stdin))
		return false;
	return answer[0] == 'y' || answer[0] == 'Y';
}

static void json_steps(struct json *j, struct iommugrp_change *change)
{
	unsigned int n = iommugrp_change_get_step_count(change);

	json_array_begin(j, "steps");
	for (unsigned int i = 0; i < n; i++) {
		enum iommugrp_step_kind kind;
		const char *device, *driver, *path, *value;
		char file[512];

		iommugrp_change_get_step(change, i, &kind, &device, &driver, &path, &value);
		snprintf(file, sizeof(file), "/%s", path);
		json_object_begin(j, NULL);
		json_string(j, "action", step_verb(kind));
		json_string(j, "device", device);
		json_string(j, "driver", driver);
		json_string(j, "file", file);
		json_string(j, "value", value);
		json_object_end(j);
	}
	json_array_end(j);
}

/* What the user can do about a refusal, in the tool's words; NULL when the reason says it. */
static const char *refusal_hint(const struct iommugrp_change *change)
{
	switch (iommugrp_change_get_refusal_code(change, NULL)) {
	case IOMMUGRP_REFUSAL_HOST_NEEDS_DEVICE:
		return "--force overrides";
	case IOMMUGRP_REFUSAL_CHANGED:
		return "run the command again";
	case IOMMUGRP_REFUSAL_INTERRUPTED:
		return "run 'iommugrp restore'";
	default:
		return NULL;
	}
}

/* The library's reason, and the tool's hint (malloc'ed; NULL when not refused). */
static char *refusal_text(const struct iommugrp_change *change)
{
	const char *reason = NULL, *hint = refusal_hint(change);
	char *text;

	if (iommugrp_change_get_refusal(change, &reason) == 0 || !reason)
		return NULL;
	if (asprintf(&text, "%s%s%s%s", reason, hint ? " (" : "", hint ? hint : "",
		     hint ? ")" : "") < 0)
		return NULL;
	return text;
}

/* After an incomplete restore its journal is kept: another restore tries again. */
static const char *leftover_hint(const struct iommugrp_change *change)
{
	const char *leftover = iommugrp_change_get_leftover(change);

	return leftover && strstr(leftover, "the journal is kept") ? "run 'iommugrp restore' again "
								     "once the cause is fixed"
								   : NULL;
}

/* @cli_refusal: a refusal the tool made itself (e.g. unbinding not allowed), or NULL. */
void plan_json(struct json *j, struct iommugrp_change *change, const char *cli_refusal)
{
	char *reason = cli_refusal ? strdup(cli_refusal) : refusal_text(change);

	json_string(j, "outcome",
		    cli_refusal ? "refused" : iommugrp_outcome_to_string(plan_outcome(change)));
	json_string(j, "old_type", iommugrp_change_get_old_type(change));
	json_string(j, "expected_type", iommugrp_change_get_expected_type(change));
	json_string(j, "new_type", iommugrp_change_get_new_type(change));
	json_string(j, "refusal", reason);
	free(reason);
	json_string(j, "error", iommugrp_change_get_error(change));
	json_string(j, "leftover", iommugrp_change_get_leftover(change));
	json_steps(j, change);
}

int plan_exit_status(struct iommugrp_change *change)
{
	switch (plan_outcome(change)) {
	case IOMMUGRP_OUTCOME_PLANNED:
	case IOMMUGRP_OUTCOME_DONE:
	case IOMMUGRP_OUTCOME_UNCHANGED:
		return EXIT_OK;
	case IOMMUGRP_OUTCOME_REFUSED:
		return EXIT_REFUSED;
	case IOMMUGRP_OUTCOME_ROLLED_BACK:
		return EXIT_ROLLED_BACK;
	case IOMMUGRP_OUTCOME_INCOMPLETE:
		return EXIT_INCOMPLETE;
	}
	return EXIT_ERROR;
}

/* Says on stderr what went wrong and the state it left; the library already logged the error. */
void plan_report(struct iommugrp_change *change)
{
	const char *leftover = iommugrp_change_get_leftover(change);
	const char *hint = leftover_hint(change);
	char *reason = NULL;

	switch (plan_outcome(change)) {
	case IOMMUGRP_OUTCOME_REFUSED:
		reason = refusal_text(change);
		if (reason && strchr(reason, '\n')) {
			cli_error("refused, nothing was changed, for these reasons:");
			for (const char *line = reason; *line;) {
				int len = (int)strcspn(line, "\n");

				fprintf(stderr, "  %.*s\n", len, line);
				line += len + (line[len] == '\n');
			}
		} else {
			cli_error("refused, nothing was changed: %s",
				  reason ? reason : "unknown reason");
		}
		break;
	case IOMMUGRP_OUTCOME_ROLLED_BACK:
		fprintf(stderr, "%s: rolled back: every driver and the type are as they were\n",
			program_invocation_short_name);
		break;
	case IOMMUGRP_OUTCOME_INCOMPLETE:
		fprintf(stderr, "%s: the rollback did not finish; what is left:\n%s\n",
			program_invocation_short_name, leftover ? leftover : "?");
		if (hint)
			fprintf(stderr, "%s: %s\n", program_invocation_short_name, hint);
		fprintf(stderr, "Fix it by hand with the writes above (see 'iommugrp show'), "
				"or reboot.\n");
		break;
	default:
		break;
	}
	free(reason);
}

/* Groups changed by this run: with several targets, a refusal must not say "nothing changed". */
static int groups_changed;

/* Applies the plan; a dry run applies nothing and says what applying would meet first. */
int plan_execute(struct iommugrp_change *change, bool dry_run)
{
	if (!dry_run)
		iommugrp_change_apply(change);
	if (plan_outcome(change) == IOMMUGRP_OUTCOME_DONE)
		groups_changed++;
	return plan_exit_status(change);
}

int partial_status(int status)
{
	bool failed = status == EXIT_REFUSED || status == EXIT_ROLLED_BACK;

	return failed && groups_changed > 0 ? EXIT_PARTIAL : status;
}

/* The outcome, or for an unapplied plan what applying it would start with. */
enum iommugrp_outcome plan_outcome(struct iommugrp_change *change)
{
	enum iommugrp_outcome outcome = iommugrp_change_get_outcome(change);

	if (outcome != IOMMUGRP_OUTCOME_PLANNED)
		return outcome;
	if (iommugrp_change_get_refusal(change, NULL) < 0)
		return IOMMUGRP_OUTCOME_REFUSED;
	return iommugrp_change_is_noop(change) ? IOMMUGRP_OUTCOME_UNCHANGED : outcome;
}

void plan_print_text(unsigned int group, struct iommugrp_change *change, bool dry_run,
		     const struct plan_words *words)
{
	switch (plan_outcome(change)) {
	case IOMMUGRP_OUTCOME_UNCHANGED:
		printf("group %u: nothing to do: %s\n", group, words->already);
		break;
	case IOMMUGRP_OUTCOME_PLANNED:
		if (dry_run) {
			printf("group %u: to %s, iommugrp would write:\n", group, words->aim);
			plan_print_steps(stdout, change);
		}
		break;
	case IOMMUGRP_OUTCOME_DONE:
		printf("group %u: %s:\n", group, words->done);
		plan_print_steps(stdout, change);
		break;
	default:
		break;
	}
}

/* The worst of two exit statuses: incomplete > rolled back > refused > other errors. */
int worst_status(int a, int b)
{
	return a > b ? a : b;
}

const char *vfio_file_error(int r)
{
	return r == -ENODEV ? "it is not a character device (a file or link in its place is "
			      "never followed)"
			    : strerror(-r);
}

/* Resolves targets to distinct groups, in order; notes a device that stands for a larger group. */
int cli_resolve_groups(struct cli *cli, char **targets, int count,
		       struct iommugrp_group ***ret_groups, int *ret_count)
{
	struct iommugrp_group **groups = calloc((size_t)count + 1, sizeof(*groups));
	int n = 0;

	if (!groups)
		return EXIT_ERROR;
	for (int i = 0; i < count; i++) {
		struct iommugrp_group *group = NULL;
		struct iommugrp_device *named = NULL;
		int r = iommugrp_group_new_from_target(cli->ctx, targets[i], &group, &named),
		    dup = 0;

		if (r < 0) {
			for (int k = 0; k < n; k++)
				iommugrp_group_unref(groups[k]);
			free(groups);
			return cli_target_error(cli, targets[i], r);
		}
		if (named && iommugrp_group_get_device_count(group) > 1 && !cli->json)
			fprintf(stderr,
				"%s: %s is one of %d devices of group %u: the whole group "
				"is the unit of work\n",
				program_invocation_short_name, iommugrp_device_get_name(named),
				iommugrp_group_get_device_count(group),
				iommugrp_group_get_number(group));
		iommugrp_device_unref(named);
		for (int k = 0; k < n; k++)
			dup |= groups[k] == group;
		if (dup)
			iommugrp_group_unref(group);
		else
			groups[n++] = group;
	}
	*ret_groups = groups;
	*ret_count = n;
	return EXIT_OK;
}

void cli_unref_groups(struct iommugrp_group **groups, int count)
{
	for (int i = 0; i < count; i++)
		iommugrp_group_unref(groups[i]);
	free(groups);
}

/* --dry-run, for the changing commands with no other option of their own; input: a bool. */
const struct argp_option dry_run_options[] = { DRY_RUN_OPTION, { 0 } };

error_t parse_dry_run(int key, char *arg, struct argp_state *state)
{
	(void)arg;
	if (key != OPT_DRY_RUN)
		return ARGP_ERR_UNKNOWN;
	*(bool *)state->input = true;
	return 0;
}

/* Resolves the targets to groups and runs @fn on each, inside {"groups": [...]} for --json. */
int run_on_groups(struct cli *cli, char **targets, int count, group_fn fn, const void *options)
{
	struct iommugrp_group **groups = NULL;
	int ngroups = 0, status;
	struct json j;

	status = cli_open_context(cli);
	if (status == EXIT_OK)
		status = cli_resolve_groups(cli, targets, count, &groups, &ngroups);
	if (status != EXIT_OK)
		return status;
	if (cli->json) {
		json_begin(&j, stdout);
		json_array_begin(&j, "groups");
	}
	for (int i = 0; i < ngroups; i++)
		status = worst_status(status, fn(cli, options, groups[i], cli->json ? &j : NULL));
	if (cli->json) {
		json_array_end(&j);
		json_end(&j);
	}
	cli_unref_groups(groups, ngroups);
	return partial_status(status);
}
