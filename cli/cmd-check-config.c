/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * iommugrp check-config: the configuration's syntax and permissions, what
 * each entry means on this system now, conflicts, what this kernel would
 * refuse, and whether the initramfs applied an older configuration.
 */
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "boot.h"

struct check_options {
	bool digest_only;
};

enum { OPT_DIGEST = 0x200 };

static const struct argp_option options[] = {
	{ "digest", OPT_DIGEST, NULL, 0, "Print only the configuration's digest", 0 }, { 0 }
};

static error_t parse_option(int key, char *arg, struct argp_state *state)
{
	struct check_options *o = state->input;

	(void)arg;
	if (key != OPT_DIGEST)
		return ARGP_ERR_UNKNOWN;
	o->digest_only = true;
	return 0;
}

/* One group's plan, in words: what applying the configuration now would do, or why not. */
struct group_verdict {
	char *policy; /* NULL: no policy wanted */
	char *vfio;   /* NULL: no vfio wanted */
	bool refused;
};

static char *describe_change(struct iommugrp_change *change, const char *aim, const char *already,
			     unsigned int flags, bool *refused)
{
	const char *reason = NULL;
	char *drivers, *text = NULL;
	int r;

	if (iommugrp_change_get_refusal(change, &reason) < 0) {
		*refused = true;
		r = asprintf(&text, "refused: %s", reason ? reason : "?");
	} else if (iommugrp_change_is_noop(change)) {
		r = asprintf(&text, "nothing to do: %s", already);
	} else if (!plan_needs_unbind(change)) {
		r = asprintf(&text, "would %s", aim);
	} else {
		drivers = plan_unbound_drivers(change);
		if (flags & IOMMUGRP_CONFIG_FALLBACK_NONE) {
			*refused = true;
			r = asprintf(&text,
				     "refused: %s %s bound and fallback=none forbids unbinding",
				     drivers ? drivers : "a driver", "is");
		} else {
			r = asprintf(&text,
				     "would %s, unbinding %s first (fallback=unbind; at boot "
				     "a driver that is a module is held off instead)",
				     aim, drivers ? drivers : "?");
		}
		free(drivers);
	}
	return r < 0 ? NULL : text;
}

static void judge_group(const struct iommugrp_config *config, unsigned int index,
			struct group_verdict *v)
{
	struct iommugrp_group *group = iommugrp_config_get_group(config, index);
	unsigned int flags = iommugrp_config_group_get_flags(config, index);
	struct iommugrp_change *change = NULL;
	enum iommugrp_policy policy;
	char aim[64];

	memset(v, 0, sizeof(*v));
	if (iommugrp_config_group_get_refusal(config, index)) {
		v->refused = true;
		return;
	}
	if (iommugrp_config_group_get_policy(config, index, &policy) == 0) {
		snprintf(aim, sizeof(aim), "set policy %s", iommugrp_policy_to_string(policy));
		if (iommugrp_change_new_policy(group, policy, &change) == 0)
			v->policy = describe_change(change, aim, "the policy is set already", flags,
						    &v->refused);
		change = iommugrp_change_unref(change);
	}
	if (iommugrp_config_group_wants_vfio(config, index)) {
		if (iommugrp_change_new_vfio_bind(
			    group, flags & IOMMUGRP_CONFIG_FORCE ? IOMMUGRP_FORCE : 0, &change) == 0)
			v->vfio = describe_change(change, "hand it to vfio-pci",
						  "it is on vfio-pci already", flags, &v->refused);
		iommugrp_change_unref(change);
	}
}

static void verdict_clear(struct group_verdict *v)
{
	free(v->policy);
	free(v->vfio);
}

/* The initramfs's pass recorded its digest: a different one means an older copy in the image. */
struct boot_check {
	char *stamp;
	char *where, *digest, *initramfs_digest, *config_state;
	bool this_boot;
	bool initramfs_stale;
};

static void read_boot_check(struct iommugrp_ctx *ctx, const char *digest, struct boot_check *b)
{
	char *boot_id = NULL, *recorded;

	memset(b, 0, sizeof(*b));
	if (iommugrp_boot_state_read(ctx, "pass", &b->stamp) < 0)
		return;
	recorded = state_value(b->stamp, "boot_id");
	b->this_boot = recorded && iommugrp_boot_id(ctx, &boot_id) == 0 &&
		       strcmp(recorded, boot_id) == 0;
	free(recorded);
	free(boot_id);
	b->where = state_value(b->stamp, "where");
	b->digest = state_value(b->stamp, "digest");
	b->initramfs_digest = state_value(b->stamp, "initramfs_digest");
	b->config_state = state_value(b->stamp, "config");
	if (!b->initramfs_digest && b->where && strcmp(b->where, "initramfs") == 0 && b->digest)
		b->initramfs_digest = strdup(b->digest);
	b->initramfs_stale = b->this_boot && b->initramfs_digest &&
			     strcmp(b->initramfs_digest, digest) != 0;
}

static void boot_check_clear(struct boot_check *b)
{
	free(b->stamp);
	free(b->where);
	free(b->digest);
	free(b->initramfs_digest);
	free(b->config_state);
}

static void print_boot_text(const struct boot_check *b)
{
	if (!b->stamp || !b->this_boot) {
		printf("boot pass: none recorded this boot\n");
		return;
	}
	printf("boot pass: this boot, in the %s, configuration %s (%s)\n", b->where ? b->where : "?",
	       b->config_state ? b->config_state : "?", b->digest ? b->digest : "?");
	if (b->initramfs_stale)
		printf("initramfs: it holds an older configuration (%s): run update-initramfs -u "
		       "(or mkinitcpio -P)\n",
		       b->initramfs_digest);
}

static void print_entries_text(const struct iommugrp_config *config)
{
	unsigned int n = iommugrp_config_get_entry_count(config);

	for (unsigned int i = 0; i < n; i++) {
		const char *file, *text, *refusal = iommugrp_config_entry_get_refusal(config, i);
		unsigned int line, matches = iommugrp_config_entry_get_match_count(config, i);

		iommugrp_config_get_entry(config, i, &file, &line, &text);
		printf("%s:%u: %s\n", file, line, text);
		if (matches == 0)
			printf("  matches nothing now (fine: the device may be hot-plugged "
			       "later)\n");
		for (unsigned int k = 0; k < matches; k++) {
			struct iommugrp_device *d = iommugrp_config_entry_get_match(config, i, k);

			char *path = NULL;

			printf("  matches %s (group %u)", iommugrp_device_get_name(d),
			       iommugrp_group_get_number(iommugrp_device_get_group(d)));
			/* address= moves with bus numbers: say what names the device for good. */
			if (strstr(text, "address=") && iommugrp_config_device_path(d, &path) == 0)
				printf(": stable as path=%s", path);
			printf("\n");
			free(path);
		}
		if (refusal)
			printf("  refused: %s\n", refusal);
	}
}

static bool print_groups_text(const struct iommugrp_config *config)
{
	unsigned int n = iommugrp_config_get_group_count(config);
	bool refused = false;

	for (unsigned int i = 0; i < n; i++) {
		struct iommugrp_group *group = iommugrp_config_get_group(config, i);
		const char *refusal = iommugrp_config_group_get_refusal(config, i);
		char *actions = config_group_actions(config, i);
		struct group_verdict v;

		judge_group(config, i, &v);
		printf("group %u: %s (%s)\n", iommugrp_group_get_number(group),
		       actions ? actions : "?", iommugrp_config_group_get_entries(config, i));
		for (const char *line = refusal; line && *line;) {
			int len = (int)strcspn(line, "\n");

			printf("  refused: %.*s\n", len, line);
			line += len + (line[len] == '\n');
		}
		if (v.policy)
			printf("  policy: %s\n", v.policy);
		if (v.vfio)
			printf("  vfio: %s\n", v.vfio);
		refused |= v.refused;
		verdict_clear(&v);
		free(actions);
	}
	return refused;
}

static bool any_entry_refused(const struct iommugrp_config *config)
{
	for (unsigned int i = 0; i < iommugrp_config_get_entry_count(config); i++)
		if (iommugrp_config_entry_get_refusal(config, i))
			return true;
	return false;
}

static void json_problems(struct json *j, const struct iommugrp_config *config)
{
	json_array_begin(j, "problems");
	for (unsigned int i = 0; i < iommugrp_config_get_problem_count(config); i++) {
		const char *file, *message;
		unsigned int line;
		int priority;

		iommugrp_config_get_problem(config, i, &priority, &file, &line, &message);
		json_object_begin(j, NULL);
		json_string(j, "file", file);
		json_uint(j, "line", line);
		json_string(j, "severity", priority <= LOG_ERR ? "error" : "warning");
		json_string(j, "message", message);
		json_object_end(j);
	}
	json_array_end(j);
}

static void json_entries(struct json *j, const struct iommugrp_config *config, bool resolved)
{
	json_array_begin(j, "entries");
	for (unsigned int i = 0; i < iommugrp_config_get_entry_count(config); i++) {
		const char *file, *text;
		unsigned int line;

		iommugrp_config_get_entry(config, i, &file, &line, &text);
		json_object_begin(j, NULL);
		json_string(j, "file", file);
		json_uint(j, "line", line);
		json_string(j, "text", text);
		if (resolved) {
			json_array_begin(j, "matches");
			for (unsigned int k = 0;
			     k < iommugrp_config_entry_get_match_count(config, i); k++) {
				struct iommugrp_device *d =
					iommugrp_config_entry_get_match(config, i, k);

				json_object_begin(j, NULL);
				char *path = NULL;

				if (iommugrp_config_device_path(d, &path) < 0)
					path = NULL;
				json_string(j, "device", iommugrp_device_get_name(d));
				json_string(j, "path", path);
				free(path);
				json_uint(j, "group",
					  iommugrp_group_get_number(iommugrp_device_get_group(d)));
				json_object_end(j);
			}
			json_array_end(j);
			json_string(j, "refusal", iommugrp_config_entry_get_refusal(config, i));
		}
		json_object_end(j);
	}
	json_array_end(j);
}

static bool json_groups(struct json *j, const struct iommugrp_config *config)
{
	bool refused = false;

	json_array_begin(j, "groups");
	for (unsigned int i = 0; i < iommugrp_config_get_group_count(config); i++) {
		unsigned int flags = iommugrp_config_group_get_flags(config, i);
		enum iommugrp_policy policy;
		struct group_verdict v;

		judge_group(config, i, &v);
		json_object_begin(j, NULL);
		json_uint(j, "group",
			  iommugrp_group_get_number(iommugrp_config_get_group(config, i)));
		json_string(j, "entries", iommugrp_config_group_get_entries(config, i));
		json_bool(j, "vfio", iommugrp_config_group_wants_vfio(config, i));
		json_string(j, "policy",
			    iommugrp_config_group_get_policy(config, i, &policy) == 0
				    ? iommugrp_policy_to_string(policy)
				    : NULL);
		json_string(j, "user", iommugrp_config_group_get_user(config, i));
		json_string(j, "owner_group", iommugrp_config_group_get_owner_group(config, i));
		json_string(j, "fallback",
			    flags & IOMMUGRP_CONFIG_FALLBACK_NONE ? "none" : "unbind");
		json_bool(j, "force", flags & IOMMUGRP_CONFIG_FORCE);
		json_string(j, "refusal", iommugrp_config_group_get_refusal(config, i));
		json_string(j, "policy_plan", v.policy);
		json_string(j, "vfio_plan", v.vfio);
		json_object_end(j);
		refused |= v.refused;
		verdict_clear(&v);
	}
	json_array_end(j);
	return refused;
}

static bool print_json(const struct iommugrp_config *config, bool resolved,
		       const struct boot_check *b)
{
	bool refused = false;
	struct json j;

	json_begin(&j, stdout);
	json_array_begin(&j, "files");
	for (unsigned int i = 0; i < iommugrp_config_get_file_count(config); i++)
		json_string(&j, NULL, iommugrp_config_get_file(config, i));
	json_array_end(&j);
	json_string(&j, "digest", iommugrp_config_get_digest(config));
	json_bool(&j, "valid", iommugrp_config_get_error_count(config) == 0);
	json_problems(&j, config);
	json_entries(&j, config, resolved);
	if (resolved)
		refused = json_groups(&j, config);
	json_object_begin(&j, "boot");
	json_bool(&j, "this_boot", b->this_boot);
	json_string(&j, "where", b->this_boot ? b->where : NULL);
	json_string(&j, "digest", b->this_boot ? b->digest : NULL);
	json_string(&j, "initramfs_digest", b->this_boot ? b->initramfs_digest : NULL);
	json_bool(&j, "initramfs_stale", b->initramfs_stale);
	json_object_end(&j);
	json_end(&j);
	return refused;
}

static int check(struct cli *cli, const struct check_options *o)
{
	struct iommugrp_config *config = NULL;
	bool resolved = false, refused = false;
	struct boot_check b;
	int status, r;

	status = cli_open_context(cli);
	if (status == EXIT_OK)
		status = config_load(cli, &config);
	if (status != EXIT_OK)
		return status;
	if (o->digest_only && cli->json) {
		struct json j;

		json_begin(&j, stdout);
		json_string(&j, "digest", iommugrp_config_get_digest(config));
		json_end(&j);
		iommugrp_config_unref(config);
		return EXIT_OK;
	}
	if (o->digest_only) {
		printf("%s\n", iommugrp_config_get_digest(config));
		iommugrp_config_unref(config);
		return EXIT_OK;
	}
	if (iommugrp_config_get_error_count(config) == 0) {
		r = iommugrp_config_resolve(config);
		if (r < 0)
			cli_error("cannot match the configuration against the system: %s",
				  strerror(-r));
		resolved = r == 0;
	}
	read_boot_check(cli->ctx, iommugrp_config_get_digest(config), &b);
	if (cli->json) {
		refused = print_json(config, resolved, &b);
	} else {
		unsigned int files = iommugrp_config_get_file_count(config);

		printf("configuration: %s", files ? ""
						  : "none (no /etc/iommugrp.conf, no "
						    "/etc/iommugrp.d/*.conf)");
		for (unsigned int i = 0; i < files; i++)
			printf("%s%s", i ? ", " : "", iommugrp_config_get_file(config, i));
		printf("\ndigest: %s\n", iommugrp_config_get_digest(config));
		config_print_problems(stdout, config, true);
		if (iommugrp_config_get_error_count(config) > 0)
			printf("configuration refused: %u error%s, nothing would be applied\n",
			       iommugrp_config_get_error_count(config),
			       iommugrp_config_get_error_count(config) == 1 ? "" : "s");
		if (resolved) {
			print_entries_text(config);
			refused = print_groups_text(config);
		}
		print_boot_text(&b);
	}
	if (iommugrp_config_get_error_count(config) > 0 || (!resolved && status == EXIT_OK))
		status = EXIT_ERROR;
	else if (refused || any_entry_refused(config))
		status = EXIT_REFUSED;
	else
		for (unsigned int i = 0; i < iommugrp_config_get_group_count(config); i++)
			if (iommugrp_config_group_get_refusal(config, i))
				status = EXIT_REFUSED;
	boot_check_clear(&b);
	iommugrp_config_unref(config);
	return cli_exit_status(cli, status);
}

int cmd_check_config(struct cli *cli, int argc, char **argv)
{
	struct check_options o = { false };
	const struct command_spec spec = {
		.args_doc = "",
		.doc = "Check /etc/iommugrp.conf and /etc/iommugrp.d/*.conf: syntax, permissions, "
		       "what each entry matches now, conflicts, what this kernel refuses, and "
		       "whether the initramfs applied an older configuration.\v"
		       "Exit status: 0 valid, 1 invalid (nothing would be applied), 4 valid but "
		       "something would be refused.",
		.cli = cli,
		.options = options,
		.parser = parse_option,
		.input = &o,
	};
	char **args;
	int count;

	if (cli_parse(&spec, argc, argv, &args, &count) < 0)
		return EXIT_ERROR;
	free(args);
	return check(cli, &o);
}
