/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * iommugrp why TARGET: why the devices of a group share it, from the replay of
 * the kernel's grouping (DMA aliases, ACS on the path, multi-function
 * devices, quirks), the bridges on the way to the root bus with their ACS
 * bits, what would split the group, and the settings that make isolation
 * other than it looks. The wording lives here; the library gives the facts.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char *short_name(const struct iommugrp_pci *pci)
{
	return pci ? iommugrp_pci_get_name(pci) : "?";
}

/* "SV RR CR UF" for the bits set in @bits. */
static void acs_bits(char *buf, size_t size, uint16_t bits)
{
	static const char *const names[] = { "SV", "TB", "RR", "CR", "UF", "EC", "DT" };
	size_t len = 0;

	buf[0] = '\0';
	for (unsigned int i = 0; i < 7; i++)
		if (bits & (1u << i))
			len += (size_t)snprintf(buf + len, size - len, "%s%s", len ? " " : "",
						names[i]);
	if (!len)
		snprintf(buf, size, "none");
}

/* The sentence for one PCI function's ACS: capability, control, quirk, readability. */
static char *acs_sentence(const struct iommugrp_pci *pci)
{
	const char *quirk = NULL;
	unsigned int got, size;
	uint16_t cap, ctrl;
	char capbuf[32], ctrlbuf[32], *s = NULL;
	int isolates = iommugrp_pci_acs_isolates(pci, &quirk);
	int r = iommugrp_pci_get_acs(pci, &cap, &ctrl);

	iommugrp_pci_get_config_size(pci, &got, &size);
	if (r == -EACCES) {
		if (got < size && asprintf(&s,
					   "ACS not readable: %u of the %u bytes of config "
					   "space could be read (the rest needs root)",
					   got, size) < 0)
			s = NULL;
		else if (got >= size && asprintf(&s,
						 "ACS not readable: the config file has only "
						 "%u bytes",
						 got) < 0)
			s = NULL;
		return s;
	}
	if (r == -ENODATA && !quirk) {
		return strdup("no ACS capability");
	}
	if (r == 0) {
		acs_bits(capbuf, sizeof(capbuf), cap);
		acs_bits(ctrlbuf, sizeof(ctrlbuf), ctrl);
	}
	if (asprintf(&s, "%s%s%s%s%s%s%s%s", r == 0 ? "ACS capability: " : "no ACS capability",
		     r == 0 ? capbuf : "", r == 0 ? "; enabled: " : "", r == 0 ? ctrlbuf : "",
		     quirk ? "; decided by the kernel quirk " : "", quirk ? quirk : "",
		     quirk && isolates == 1 ? " (isolated)" : "",
		     quirk && isolates == 0  ? " (not isolated)"
		     : quirk && isolates < 0 ? " (result not visible in sysfs)"
					     : "") < 0)
		s = NULL;
	return s;
}

/* What the kernel requires and this port lacks, "SV UF", or NULL when it has ACS at all. */
static bool missing_acs_bits(const struct iommugrp_pci *pci, char *buf, size_t size)
{
	uint16_t cap, ctrl, need = IOMMUGRP_ACS_REQUIRED;

	if (iommugrp_pci_get_acs(pci, &cap, &ctrl) < 0)
		return false;
	need &= cap | IOMMUGRP_ACS_EC;
	acs_bits(buf, size, need & (uint16_t)~ctrl);
	return true;
}

static const char *port_words(const struct iommugrp_pci *pci)
{
	return iommugrp_pcie_type_to_string(iommugrp_pci_get_pcie_type(pci));
}

/* One device's rule, in words. */
static void print_reason(FILE *out, struct iommugrp_device *device)
{
	struct iommugrp_pci *cause = NULL, *pci = iommugrp_device_get_pci(device);
	enum iommugrp_reason reason = iommugrp_device_get_reason(device, &cause);
	char missing[40];

	fprintf(out, "  %s  ", iommugrp_device_get_name(device));
	switch (reason) {
	case IOMMUGRP_REASON_ISOLATED:
		fprintf(out, "isolated: ACS (or a kernel quirk) separates it from every other "
			     "device up to the root bus\n");
		break;
	case IOMMUGRP_REASON_DMA_ALIAS:
		fprintf(out,
			"DMA alias: a conventional PCI device behind the %s %s, whose "
			"requester ID it carries: the IOMMU cannot tell it from the others "
			"behind that bridge\n",
			port_words(cause), short_name(cause));
		break;
	case IOMMUGRP_REASON_ALIAS_BRIDGE:
		fprintf(out,
			"%s: the devices behind it carry its requester ID, so they share "
			"its group\n",
			port_words(pci));
		break;
	case IOMMUGRP_REASON_NO_ACS:
		if (cause && missing_acs_bits(cause, missing, sizeof(missing)))
			fprintf(out,
				"no ACS isolation on the path: the %s %s has ACS but not %s "
				"enabled, so every device below it is in one group\n",
				port_words(cause), short_name(cause), missing);
		else
			fprintf(out,
				"no ACS isolation on the path: the %s %s has no ACS "
				"capability, so every device below it is in one group\n",
				port_words(cause), short_name(cause));
		break;
	case IOMMUGRP_REASON_MULTIFUNCTION:
		fprintf(out,
			"multi-function device without ACS: its functions (here with %s) "
			"can reach each other without the IOMMU\n",
			short_name(cause));
		break;
	case IOMMUGRP_REASON_QUIRK_ALIAS:
		fprintf(out, "DMA alias quirk %s: the kernel knows it issues DMA as %s too\n",
			iommugrp_pci_get_alias_quirk(pci) ? iommugrp_pci_get_alias_quirk(pci) : "",
			short_name(cause));
		break;
	case IOMMUGRP_REASON_NOT_PCI:
		fprintf(out,
			"not a PCI device (%s bus): the IOMMU driver grouped it (for example "
			"a stream ID it shares); no PCI rule applies\n",
			iommugrp_device_get_subsystem(device) ? iommugrp_device_get_subsystem(device)
							      : "unknown");
		break;
	case IOMMUGRP_REASON_UNKNOWN:
		fprintf(out, "unknown: iommugrp's replay of the kernel's rules does not explain "
			     "this group\n");
		break;
	}
}

static int compare_pci_names(const void *a, const void *b)
{
	return strcmp(iommugrp_pci_get_name(*(struct iommugrp_pci *const *)a),
		      iommugrp_pci_get_name(*(struct iommugrp_pci *const *)b));
}

/* The group's PCI functions and every bridge above them, once each, in address order. */
static size_t path_functions(struct iommugrp_group *group, struct iommugrp_pci ***ret_path)
{
	struct iommugrp_device *d = NULL;
	struct iommugrp_pci **path = NULL;
	size_t n = 0, alloc = 0;

	while ((d = iommugrp_group_device_next(group, d))) {
		for (struct iommugrp_pci *p = iommugrp_device_get_pci(d); p;
		     p = iommugrp_pci_get_upstream(p)) {
			size_t i = 0;

			while (i < n && path[i] != p)
				i++;
			if (i < n)
				break; /* the rest of this chain is listed already */
			if (n == alloc) {
				struct iommugrp_pci **bigger =
					realloc(path, (alloc + 16) * sizeof(*path));

				if (!bigger)
					break;
				path = bigger;
				alloc += 16;
			}
			path[n++] = p;
		}
	}
	if (n)
		qsort(path, n, sizeof(*path), compare_pci_names);
	*ret_path = path;
	return n;
}

/* The functions of the group and the bridges above them, with port type and ACS. */
static void print_path(FILE *out, struct iommugrp_group *group)
{
	struct iommugrp_pci **path;
	size_t n = path_functions(group, &path);

	if (n)
		fprintf(out, "\nPCI functions of the group and the bridges above it:\n");
	for (size_t i = 0; i < n; i++) {
		char *acs = acs_sentence(path[i]);

		fprintf(out, "  %s  %s%s; %s\n", iommugrp_pci_get_name(path[i]), port_words(path[i]),
			iommugrp_pci_is_multifunction(path[i]) ? " (multi-function)" : "",
			acs ? acs : "ACS unknown");
		free(acs);
	}
	free(path);
}

/* A root or downstream port whose ACS isolates and that sits alone in a group. */
static struct iommugrp_pci *isolating_port(struct iommugrp_ctx *ctx, unsigned int *ret_group)
{
	struct iommugrp_pci *p = NULL;

	while ((p = iommugrp_pci_next(ctx, p))) {
		enum iommugrp_pcie_type type = iommugrp_pci_get_pcie_type(p);

		if ((type == IOMMUGRP_PCIE_ROOT_PORT || type == IOMMUGRP_PCIE_DOWNSTREAM_PORT) &&
		    iommugrp_pci_acs_isolates(p, NULL) == 1 &&
		    iommugrp_pci_get_reason(p, NULL) == IOMMUGRP_REASON_ISOLATED &&
		    iommugrp_pci_get_group_number(p, ret_group) == 0)
			return p;
	}
	return NULL;
}

/* The most telling rule of the group: what ties its devices together. */
static enum iommugrp_reason group_rule(struct iommugrp_group *group, struct iommugrp_pci **ret_cause)
{
	static const enum iommugrp_reason order[] = {
		IOMMUGRP_REASON_NOT_PCI, IOMMUGRP_REASON_UNKNOWN,     IOMMUGRP_REASON_DMA_ALIAS,
		IOMMUGRP_REASON_NO_ACS,	 IOMMUGRP_REASON_QUIRK_ALIAS, IOMMUGRP_REASON_MULTIFUNCTION,
	};

	for (size_t i = 0; i < ARRAY_SIZE(order); i++) {
		struct iommugrp_device *d = NULL;

		while ((d = iommugrp_group_device_next(group, d))) {
			if (iommugrp_device_get_reason(d, ret_cause) != order[i])
				continue;
			/* functions of one slot: name the first, not its peer */
			if (order[i] == IOMMUGRP_REASON_MULTIFUNCTION)
				*ret_cause = iommugrp_device_get_pci(d);
			return order[i];
		}
	}
	*ret_cause = NULL;
	return IOMMUGRP_REASON_ISOLATED;
}

static void print_split_hint(FILE *out, struct iommugrp_ctx *ctx, struct iommugrp_group *group)
{
	struct iommugrp_pci *cause, *port;
	unsigned int port_group = 0;

	fprintf(out, "\nWhat would split it:\n  ");
	port = isolating_port(ctx, &port_group);
	switch (group_rule(group, &cause)) {
	case IOMMUGRP_REASON_ISOLATED:
		fprintf(out, "nothing to split: %s\n",
			iommugrp_group_get_device_count(group) > 1 ? "(the devices are isolated "
								     "from each other)"
								   : "the device is alone in its "
								     "group");
		return;
	case IOMMUGRP_REASON_DMA_ALIAS:
		fprintf(out,
			"nothing short of different hardware splits the devices behind the "
			"%s %s: they all carry its requester ID",
			port_words(cause), short_name(cause));
		break;
	case IOMMUGRP_REASON_NO_ACS:
		fprintf(out,
			"a port with ACS: devices below the %s %s cannot be split from each "
			"other while it lacks ACS isolation",
			port_words(cause), short_name(cause));
		break;
	case IOMMUGRP_REASON_MULTIFUNCTION:
	case IOMMUGRP_REASON_QUIRK_ALIAS:
		fprintf(out, "nothing short of different hardware: functions of one device without "
			     "ACS stay together (unless the kernel gains an ACS quirk for this "
			     "device)");
		break;
	case IOMMUGRP_REASON_NOT_PCI:
		fprintf(out, "nothing in the PCI topology: the IOMMU driver (firmware tables, "
			     "stream "
			     "IDs) decides this group\n");
		return;
	case IOMMUGRP_REASON_UNKNOWN:
	case IOMMUGRP_REASON_ALIAS_BRIDGE:
		fprintf(out, "not known: the replay does not explain this group\n");
		return;
	}
	if (port)
		fprintf(out,
			";\n  a card in a slot below a port with ACS (e.g. %s, alone in group "
			"%u) would be in a group of its own\n",
			iommugrp_pci_get_name(port), port_group);
	else
		fprintf(out, ";\n  no port of this machine isolates with ACS, so no other slot "
			     "would "
			     "do better\n");
}

/* The group the replay predicts for the group's first PCI function. */
static void print_predicted(FILE *out, struct iommugrp_ctx *ctx, struct iommugrp_group *group)
{
	struct iommugrp_device *d = iommugrp_group_device_next(group, NULL);
	struct iommugrp_pci *first = d ? iommugrp_device_get_pci(d) : NULL, *p = NULL;

	if (!first)
		return;
	fprintf(out, "  predicted: one group of");
	while ((p = iommugrp_pci_next(ctx, p)))
		if (iommugrp_pci_predicted_together(first, p))
			fprintf(out, " %s", iommugrp_pci_get_name(p));
	fprintf(out, "\n");
}

static void print_mismatch(FILE *out, struct iommugrp_ctx *ctx, struct iommugrp_group *group)
{
	const char *override;

	fprintf(out, "  replay:  MISMATCH: the kernel's group differs from the one iommugrp's "
		     "replay "
		     "of its rules predicts, so no explanation is given\n");
	print_predicted(out, ctx, group);
	if (iommugrp_kernel_get_acs_override(ctx, &override) == 0)
		fprintf(out,
			"  cause:   pcie_acs_override=%s on the kernel command line makes the "
			"kernel claim ACS isolation the hardware does not report\n",
			override);
	else
		fprintf(out, "  cause:   unknown quirk: an ACS or DMA alias quirk iommugrp does "
			     "not "
			     "recognise\n");
}

static void print_replay(FILE *out, struct iommugrp_ctx *ctx, struct iommugrp_group *group)
{
	bool isolates;

	switch (iommugrp_group_get_replay(group)) {
	case IOMMUGRP_REPLAY_MATCH:
		fprintf(out, "  replay:  iommugrp's replay of the kernel's rules predicts exactly "
			     "this group\n");
		break;
	case IOMMUGRP_REPLAY_MISMATCH:
		print_mismatch(out, ctx, group);
		break;
	case IOMMUGRP_REPLAY_UNREADABLE:
		fprintf(out, "  replay:  not possible: config space that decides it could not be "
			     "read (run as root)\n");
		break;
	case IOMMUGRP_REPLAY_NOT_PCI:
		fprintf(out, "  replay:  the group holds non-PCI devices: the IOMMU driver made "
			     "it\n");
		break;
	}
	if (iommugrp_topology_assumed_quirk(ctx, &isolates))
		fprintf(out,
			"  note:    a kernel ACS quirk's result is not visible in sysfs; the "
			"kernel's groups show it %s\n",
			isolates ? "claims isolation" : "does not isolate");
}

/* The heading before the first warning. */
static FILE *warning(FILE *out, bool *any)
{
	if (!*any)
		fprintf(out, "\nWarnings:\n");
	*any = true;
	return out;
}

/* Settings under which isolation is not what the groups suggest. */
static void print_warnings(FILE *out, struct iommugrp_ctx *ctx, struct iommugrp_group *group)
{
	const char *value, *type = NULL, *source = NULL;
	enum iommugrp_irq_remapping irq = iommugrp_kernel_get_irq_remapping(ctx, &source);
	bool any = false;

	if (iommugrp_kernel_get_acs_override(ctx, &value) == 0)
		fprintf(warning(out, &any),
			"  pcie_acs_override=%s is on the kernel command line: the kernel claims "
			"ACS "
			"the hardware may not have, so groups can be smaller than the isolation "
			"really is\n",
			value);
	if (iommugrp_group_get_type(group, &type) == 0 && strcmp(type, "identity") == 0)
		fprintf(warning(out, &any), "  the group's type is identity (iommu=pt or "
					    "set-policy): its DMA is not "
					    "translated while host drivers own it\n");
	if (irq == IOMMUGRP_IRQ_REMAPPING_OFF)
		fprintf(warning(out, &any),
			"  interrupt remapping is off (%s): vfio_iommu_type1 refuses the group "
			"unless "
			"allow_unsafe_interrupts=1\n",
			source);
	else if (irq == IOMMUGRP_IRQ_REMAPPING_UNKNOWN)
		fprintf(warning(out, &any), "  interrupt remapping: unknown (%s)\n", source);
}

static int print_text(struct iommugrp_ctx *ctx, struct iommugrp_group *group,
		      struct iommugrp_device *named)
{
	struct iommugrp_device *d = NULL;
	int n = iommugrp_group_get_device_count(group);

	printf("group %u: %d device%s", iommugrp_group_get_number(group), n, n == 1 ? "" : "s");
	if (named)
		printf(" (holding %s)", iommugrp_device_get_name(named));
	printf("\n");
	print_replay(stdout, ctx, group);
	printf("\nWhy each device is in it:\n");
	while ((d = iommugrp_group_device_next(group, d)))
		print_reason(stdout, d);
	print_path(stdout, group);
	print_split_hint(stdout, ctx, group);
	print_warnings(stdout, ctx, group);
	return EXIT_OK;
}

static void json_acs(struct json *j, const struct iommugrp_pci *pci)
{
	const char *quirk = NULL;
	uint16_t cap, ctrl;
	int r = iommugrp_pci_get_acs(pci, &cap, &ctrl), isolates;
	char buf[32];

	isolates = iommugrp_pci_acs_isolates(pci, &quirk);
	json_object_begin(j, "acs");
	json_bool(j, "readable", r != -EACCES);
	json_bool(j, "present", r == 0);
	if (r == 0) {
		acs_bits(buf, sizeof(buf), cap);
		json_string(j, "capability", buf);
		acs_bits(buf, sizeof(buf), ctrl);
		json_string(j, "enabled", buf);
	}
	json_string(j, "quirk", quirk);
	json_string(j, "isolates", isolates < 0 ? "unknown" : isolates ? "yes" : "no");
	json_object_end(j);
}

static void json_pci(struct json *j, const struct iommugrp_pci *pci)
{
	struct iommugrp_pci *cause = NULL;
	enum iommugrp_reason reason = iommugrp_pci_get_reason(pci, &cause);
	unsigned int got, size;

	iommugrp_pci_get_config_size(pci, &got, &size);
	json_string(j, "port_type", port_words(pci));
	json_bool(j, "multifunction", iommugrp_pci_is_multifunction(pci));
	json_uint(j, "config_read", got);
	json_uint(j, "config_size", size);
	json_acs(j, pci);
	json_string(j, "reason", iommugrp_reason_to_string(reason));
	json_string(j, "cause", cause ? iommugrp_pci_get_name(cause) : NULL);
	json_string(j, "upstream",
		    iommugrp_pci_get_upstream(pci)
			    ? iommugrp_pci_get_name(iommugrp_pci_get_upstream(pci))
			    : NULL);
}

static void json_devices(struct json *j, struct iommugrp_group *group)
{
	struct iommugrp_device *d = NULL;

	json_array_begin(j, "devices");
	while ((d = iommugrp_group_device_next(group, d))) {
		struct iommugrp_pci *pci = iommugrp_device_get_pci(d);

		json_object_begin(j, NULL);
		json_string(j, "name", iommugrp_device_get_name(d));
		if (pci) {
			json_pci(j, pci);
		} else {
			json_string(j, "reason",
				    iommugrp_reason_to_string(iommugrp_device_get_reason(d, NULL)));
			json_string(j, "cause", NULL);
		}
		json_object_end(j);
	}
	json_array_end(j);
}

static void json_warnings(struct json *j, struct iommugrp_ctx *ctx)
{
	const char *value = NULL, *source = NULL;
	enum iommugrp_irq_remapping irq = iommugrp_kernel_get_irq_remapping(ctx, &source);
	bool isolates;

	json_string(j, "acs_override",
		    iommugrp_kernel_get_acs_override(ctx, &value) == 0 ? value : NULL);
	json_string(j, "irq_remapping",
		    irq == IOMMUGRP_IRQ_REMAPPING_ON	? "on"
		    : irq == IOMMUGRP_IRQ_REMAPPING_OFF ? "off"
							: "unknown");
	json_string(j, "irq_remapping_source", source);
	if (iommugrp_topology_assumed_quirk(ctx, &isolates))
		json_string(j, "assumed_quirk", isolates ? "isolates" : "does-not-isolate");
	else
		json_string(j, "assumed_quirk", NULL);
}

static int print_json(struct iommugrp_ctx *ctx, struct iommugrp_group *group,
		      struct iommugrp_device *named)
{
	struct iommugrp_pci *cause = NULL;
	struct json j;

	json_begin(&j, stdout);
	json_object_begin(&j, "why");
	json_uint(&j, "group", iommugrp_group_get_number(group));
	json_string(&j, "target", named ? iommugrp_device_get_name(named) : NULL);
	json_string(&j, "replay", iommugrp_replay_to_string(iommugrp_group_get_replay(group)));
	json_string(&j, "rule", iommugrp_reason_to_string(group_rule(group, &cause)));
	json_string(&j, "cause", cause ? iommugrp_pci_get_name(cause) : NULL);
	json_devices(&j, group);
	json_warnings(&j, ctx);
	json_object_end(&j);
	json_end(&j);
	return EXIT_OK;
}

/* The REASON column: a device's rule and cause, or a group's. */
char *why_device_reason(struct iommugrp_device *device)
{
	struct iommugrp_pci *cause = NULL;
	enum iommugrp_reason reason = iommugrp_device_get_reason(device, &cause);
	char *s = NULL;

	if (cause && asprintf(&s, "%s %s", iommugrp_reason_to_string(reason),
			      iommugrp_pci_get_name(cause)) >= 0)
		return s;
	return strdup(iommugrp_reason_to_string(reason));
}

char *why_group_reason(struct iommugrp_group *group)
{
	struct iommugrp_pci *cause = NULL;
	enum iommugrp_reason reason = group_rule(group, &cause);
	char *s = NULL;

	if (reason == IOMMUGRP_REASON_UNKNOWN &&
	    iommugrp_group_get_replay(group) == IOMMUGRP_REPLAY_UNREADABLE)
		return strdup("unknown (config unreadable)");
	if (reason == IOMMUGRP_REASON_UNKNOWN)
		return strdup("unknown (replay mismatch)");
	if (cause && asprintf(&s, "%s %s", iommugrp_reason_to_string(reason),
			      iommugrp_pci_get_name(cause)) >= 0)
		return s;
	return strdup(iommugrp_reason_to_string(reason));
}

/* For show: one line on the group's rule. */
void why_print_summary(FILE *out, struct iommugrp_group *group)
{
	char *reason = why_group_reason(group);

	fprintf(out, "  reason:  %s (iommugrp why %u explains)\n", reason ? reason : "unknown",
		iommugrp_group_get_number(group));
	free(reason);
}

int cmd_why(struct cli *cli, int argc, char **argv)
{
	const struct command_spec spec = {
		.args_doc = "TARGET",
		.doc = "Explain why the devices of TARGET's IOMMU group share it, and what "
		       "would split it.\v"
		       "iommugrp replays the kernel's grouping (DMA aliases behind PCIe-to-PCI "
		       "bridges, ACS on the path to the root bus, multi-function devices, the "
		       "kernel's ACS quirks) and checks it against the kernel's groups. "
		       "ACS is read from config space beyond 64 bytes: run as root.",
		.min_args = 1,
		.max_args = 1,
		.cli = cli,
	};
	struct iommugrp_group *group = NULL;
	struct iommugrp_device *named = NULL;
	char **args;
	int count, r, status;

	if (cli_parse(&spec, argc, argv, &args, &count) < 0)
		return EXIT_ERROR;
	status = cli_open_context(cli);
	if (status == EXIT_OK) {
		r = iommugrp_group_new_from_target(cli->ctx, args[0], &group, &named);
		if (r < 0)
			status = cli_target_error(cli, args[0], r);
	}
	if (status == EXIT_OK) {
		r = iommugrp_topology_scan(cli->ctx);
		if (r < 0) {
			cli_error("cannot read the PCI topology: %s", strerror(-r));
			status = EXIT_ERROR;
		}
	}
	if (status == EXIT_OK)
		status = cli->json ? print_json(cli->ctx, group, named)
				   : print_text(cli->ctx, group, named);
	iommugrp_device_unref(named);
	iommugrp_group_unref(group);
	free(args);
	return cli_exit_status(cli, status);
}
