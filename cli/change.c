/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Showing planned changes, asking before unbinding, reporting outcomes. */
#include <stdio.h>
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
	}
	return "?";
}

void change_print_plan(FILE *out, struct iommugrp_change *change)
{
	unsigned int n = iommugrp_change_get_step_count(change);

	for (unsigned int i = 0; i < n; i++) {
		enum iommugrp_step_kind kind;
		const char *device, *driver, *path, *value;

		iommugrp_change_get_step(change, i, &kind, &device, &driver, &path, &value);
		fprintf(out, "  %u. write '%s' to /%s", i + 1, value, path);
		if (kind == IOMMUGRP_STEP_UNBIND)
			fprintf(out, "   (unbind %s from %s)", device, driver);
		else if (kind == IOMMUGRP_STEP_BIND)
			fprintf(out, "   (bind %s to %s again, check its driver link)", device, driver);
		else
			fprintf(out, "   (then read it back)");
		fputc('\n', out);
	}
}

bool change_needs_unbind(struct iommugrp_change *change)
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

void change_json(struct json *j, struct iommugrp_change *change)
{
	const char *reason = NULL;

	iommugrp_change_get_refusal(change, &reason);
	json_string(j, "outcome", iommugrp_outcome_to_string(iommugrp_change_get_outcome(change)));
	json_string(j, "old_type", iommugrp_change_get_old_type(change));
	json_string(j, "new_type", iommugrp_change_get_new_type(change));
	json_string(j, "refusal", reason);
	json_string(j, "error", iommugrp_change_get_error(change));
	json_string(j, "leftover", iommugrp_change_get_leftover(change));
	json_steps(j, change);
}

int change_exit_status(struct iommugrp_change *change)
{
	switch (iommugrp_change_get_outcome(change)) {
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
void change_report(struct iommugrp_change *change)
{
	const char *reason = NULL, *leftover = iommugrp_change_get_leftover(change);

	switch (iommugrp_change_get_outcome(change)) {
	case IOMMUGRP_OUTCOME_REFUSED:
		iommugrp_change_get_refusal(change, &reason);
		cli_error("refused, nothing was changed: %s", reason ? reason : "unknown reason");
		break;
	case IOMMUGRP_OUTCOME_ROLLED_BACK:
		fprintf(stderr, "%s: rolled back: every driver and the type are as they were\n",
			program_invocation_short_name);
		break;
	case IOMMUGRP_OUTCOME_INCOMPLETE:
		fprintf(stderr, "%s: the rollback did not finish; what is left:\n%s\n"
				"Fix it by hand with the writes above (see 'iommugrp show'), "
				"or reboot.\n",
			program_invocation_short_name, leftover ? leftover : "?");
		break;
	default:
		break;
	}
}
